# an activate whose destination runs past the 192 KiB of an SBUF partition
.target trn1
.input x fp32 [2, 4] @0x0
.output y fp32 [2, 4] @0x40
.stream act
    activate op0=relu dst=sbuf[0:2]+0x2fff0 fp32 [8:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1
