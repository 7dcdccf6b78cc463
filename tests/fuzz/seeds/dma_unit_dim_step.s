# a DMA whose one-element dims carry extreme steps (never taken): must run, not overflow
.target trn1
.compiler "hand-written"
.input x fp32 [2, 4] @0x0
.output y fp32 [2, 4] @0x40
.stream q0
    dma imm0=1 signal=s0
.stream q1
    dma aux=1 imm0=1 wait=s0>=1
.desc src=hbm+0x0 fp32 [1:-9223372036854775808,2:4,4:1] dst=sbuf+0x0 fp32 [1:9223372036854775807,2:49152,4:1]
.desc src=sbuf+0x0 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]
