# y = x @ w through the tensor engine: x [4, 8] is loaded transposed (K = 8 on
# partitions) as the stationary operand, w [8, 16] as the moving one; ACT drains PSUM.
.target trn1
.compiler "hand-written"
.input x fp32 [4, 8] @0x0
.input w fp32 [8, 16] @0x80
.output y fp32 [4, 16] @0x280
.stream q0
    dma imm0=1 signal=s0
.stream q1
    dma aux=1 imm0=1 signal=s0
.stream pe
    matmul dst=psum[0:4]+0x0 fp32 [16:1] src0=sbuf[0:8]+0x0 fp32 [4:1] src1=sbuf[0:8]+0x100 fp32 [16:1] wait=s0>=2 signal=s1
.stream act
    activate op0=copy dst=sbuf[0:4]+0x200 fp32 [16:1] src0=psum[0:4]+0x0 fp32 [16:1] imm0=1 wait=s1>=1 signal=s2
.stream q2
    dma aux=2 imm0=1 wait=s2>=1
.desc src=hbm+0x0 fp32 [8:1,4:8] dst=sbuf+0x0 fp32 [8:49152,4:1]
.desc src=hbm+0x80 fp32 [8:16,16:1] dst=sbuf+0x100 fp32 [8:49152,16:1]
.desc src=sbuf+0x200 fp32 [4:49152,16:1] dst=hbm+0x280 fp32 [4:16,16:1]
