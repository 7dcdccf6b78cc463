# one instruction of most kinds on every engine, with constants and semaphores
.target trn1
.compiler "fuzz seed"
.hash ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100
.input a bf16 [128, 128] @0x0
.input b bf16 [128, 64] @0x8000
.output c fp32 [128, 64] @0xc000
.const 0x14000 fp32 0.5 -1 2.25 3e-3
.const 0x14040 i32 1 2 3 -4
.const 0x14080 hex 00ff00ff

.stream q0
    dma imm0=2 signal=s0
.stream pe
    matmul dst=psum[0:128]+0x0 fp32 [64:1] src0=sbuf[0:128]+0x0 bf16 [128:1] src1=sbuf[0:128]+0x100 bf16 [64:1] wait=s0>=1 signal=s1
.stream act
    activate op0=exp dst=sbuf[0:128]+0x400 fp32 [64:1] src0=psum[0:128]+0x0 fp32 [64:1] imm0=0.5 wait=s1>=1 signal=s2
.stream dve
    tensor_tensor op0=add dst=sbuf[0:128]+0x600 fp32 [64:1] src0=sbuf[0:128]+0x400 fp32 [64:1] src1=sbuf[0:128]+0x400 fp32 [64:1] wait=s2>=1
    tensor_scalar op0=mul op1=add dst=sbuf[0:128]+0x800 fp32 [64:1] src0=sbuf[0:128]+0x600 fp32 [64:1] imm0=2 imm1=1
    memset dst=sbuf[0:128]+0xa00 fp32 [8:1] imm0=0x3f800000 signal=s3
.stream pool
    iota dst=sbuf[0:128]+0xc00 i32 [16:1] imm0=0 imm1=16 wait=s3>=1 signal=s4
.stream q1
    dma aux=2 imm0=1 wait=s4>=1
.desc src=hbm+0x0 bf16 [128:128,128:1] dst=sbuf+0x0 bf16 [128:98304,128:1]
.desc src=hbm+0x8000 bf16 [128:64,64:1] dst=sbuf+0x100 bf16 [128:98304,64:1]
.desc src=sbuf+0x800 fp32 [128:49152,64:1] dst=hbm+0xc000 fp32 [128:64,64:1]
