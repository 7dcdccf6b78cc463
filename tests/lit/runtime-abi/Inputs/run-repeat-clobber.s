# y = x + c, where the program then overwrites the constant c in HBM with y: a later
# run must copy c again (trn-run --repeat, run-repeat.test)
.target trn1
.compiler "hand-written"
.input x fp32 [4] @0x0
.output y fp32 [4] @0x40
.const 0x80 fp32 1.0 2.0 3.0 4.0
.stream q0
    dma imm0=2 signal=s0
.stream dve
    tensor_tensor op0=add dst=sbuf[0:1]+0x20 fp32 [4:1] src0=sbuf[0:1]+0x0 fp32 [4:1] src1=sbuf[0:1]+0x10 fp32 [4:1] wait=s0>=1 signal=s1
.stream q1
    dma aux=2 imm0=2 wait=s1>=1
.desc src=hbm+0x80 fp32 [4:1] dst=sbuf+0x0 fp32 [4:1]
.desc src=hbm+0x0 fp32 [4:1] dst=sbuf+0x10 fp32 [4:1]
.desc src=sbuf+0x20 fp32 [4:1] dst=hbm+0x80 fp32 [4:1]
.desc src=hbm+0x80 fp32 [4:1] dst=hbm+0x40 fp32 [4:1]
