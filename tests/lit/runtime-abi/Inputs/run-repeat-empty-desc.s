# A copy of x to y, and a descriptor with no elements (a dimension of 0) whose other
# dimension steps by 2^62 elements: planning which constants a run can overwrite
# must treat it as writing nothing, without overflowing on its steps.
.target trn1
.hbm_size 0x200
.const 0x100 fp32 1, 2, 3, 4
.input x fp32 [4] @0x0
.output y fp32 [4] @0x40
.stream q0
    dma imm0=1 signal=s0
    dma aux=1 imm0=1 wait=s0>=1
.desc src=hbm+0x0 fp32 [4:1] dst=hbm+0x40 fp32 [4:1]
.desc src=hbm+0x0 fp32 [0:1,511:4611686018427387904] dst=hbm+0x100 fp32 [0:1,511:4611686018427387904]
