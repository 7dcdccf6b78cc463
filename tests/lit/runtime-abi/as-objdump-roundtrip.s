# trn-as assembles a hand-written listing; trn-objdump prints it back; the listing it
# prints (with --const-data) assembles to the same bytes.
# RUN: trn-as %s -o %t.neff
# RUN: trn-objdump --headers %t.neff | FileCheck %s
# RUN: trn-objdump --const-data %t.neff > %t.s
# RUN: trn-as %t.s -o %t.again.neff
# RUN: cmp %t.neff %t.again.neff

.target trn1
.compiler "lit test"
.hash 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
.input x fp32 [2, 4] @0x0
.input "scale:0" bf16 [4] @0x20
.output y fp32 [2, 4] @0x40
.const 0x80 fp32 1.0 2.0 -3.5 4
.const 0xa0 hex 0102030405

.stream q0
    dma imm0=1 signal=s0
.stream act
    activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 wait=s0>=1 signal=s1
.stream q1
    dma aux=1 imm0=1 wait=s1>=1
    halt
.desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]
.desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]

# CHECK: .neff version 1.1, {{[0-9]+}} bytes, checksum 0x{{[0-9a-f]+}} (crc32)
# CHECK-NEXT: # target trn1, compiler "lit test", HBM image 192 bytes
# CHECK-NEXT: # source model hash 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
# CHECK-NEXT: # sections: 7
# CHECK: metadata
# CHECK-NEXT: io
# CHECK-NEXT: stream {{.*}} 128 1
# CHECK-NEXT: stream {{.*}} 128 4
# CHECK-NEXT: stream {{.*}} 256 5
# CHECK-NEXT: dma {{.*}} 224 2
# CHECK-NEXT: constants
# CHECK: # signature:
# CHECK-NEXT: #   input 0: x fp32 [2x4] at HBM 0x0, 32 bytes
# CHECK-NEXT: #   input 1: scale:0 bf16 [4] at HBM 0x20, 8 bytes
# CHECK-NEXT: #   output 0: y fp32 [2x4] at HBM 0x40, 32 bytes
# CHECK-NEXT: # constants: 2 blobs, 21 bytes
# CHECK: .target trn1
# CHECK-NEXT: .compiler "lit test"
# CHECK: .hbm_size 0xc0
# CHECK-NEXT: .input "x" fp32 [2, 4] @0x0
# CHECK-NEXT: .input "scale:0" bf16 [4] @0x20
# CHECK-NEXT: .output "y" fp32 [2, 4] @0x40
# CHECK-NEXT: # .const 0x80: 16 bytes
# CHECK-NEXT: # .const 0xa0: 5 bytes
# CHECK-LABEL: .stream act
# CHECK-NEXT: activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 wait=s0>=1 signal=s1
# CHECK-LABEL: .stream q0
# CHECK-NEXT: dma imm0=1 signal=s0
# CHECK-LABEL: .stream q1
# CHECK-NEXT: dma imm0=1 aux=1 wait=s1>=1 # 0
# CHECK-NEXT: halt # 1
# CHECK: .desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1] # 0
# CHECK-NEXT: .desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1] # 1
