# a descriptor that reads past the 128-byte HBM image the program declares
.target trn1
.hbm_size 128
.input x fp32 [2, 4] @0x0
.output y fp32 [2, 4] @0x40
.stream q0
    dma imm0=1
.desc src=hbm+0x1000 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]
