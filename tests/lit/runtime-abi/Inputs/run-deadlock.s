# act waits for a second signal of s3 that never comes.
.target trn1
.input x fp32 [2, 4] @0x0
.output y fp32 [2, 4] @0x40
.stream q0
    dma imm0=1 signal=s3
.stream act
    activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 wait=s3>=2 signal=s1
.stream q1
    dma aux=1 imm0=1 wait=s1>=1
.desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]
.desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]
