# relu of a 2x4 fp32 input, through SBUF
.target trn1
.compiler "hand-written"
.input x fp32 [2, 4] @0x0
.output y fp32 [2, 4] @0x40
.const 0x80 fp32 1.0 2.0 -3.5 4
.stream q0
    dma imm0=1 signal=s0
.stream act
    activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 wait=s0>=1 signal=s1
.stream q1
    dma aux=1 imm0=1 wait=s1>=1
.desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]
.desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]
