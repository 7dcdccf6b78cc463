# a dma instruction naming descriptor 5 of a table of 1
.target trn1
.input x fp32 [2, 4] @0x0
.output y fp32 [2, 4] @0x40
.stream q0
    dma aux=5 imm0=1
.desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]
