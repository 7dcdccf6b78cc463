// trn-insert-sync: a DMA descriptor that steps partitions by more than one touches
// only those partitions (trn_ir_desc_footprint's partition mask), not every one of
// its bounding range. Two loads into the even and the odd partitions of the same
// bytes (the taps of a packed convolution's weight tile are interleaved so) run at
// once; a load into one even partition waits for the even load only; an engine
// reading a partition range waits for every load that meets it.
// RUN: trn-opt %s --trn-insert-sync | FileCheck %s

#r = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 2>, offset = 0 : i64, num = array<i64: 4>, step = array<i64: 1>}
#o = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 2>, offset = 256 : i64, num = array<i64: 4>, step = array<i64: 1>}

// CHECK-LABEL: func.func @main
func.func @main() {
  // even partitions 0, 2, 4, 6
  // CHECK: "trn_isa.dma"() {{.*}}signal = 4 : i64, stream = 4 : i64}
  "trn_isa.dma"() {stream = 4 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 0 : i64, dst_addr = 0 : i64, num = array<i64: 4, 4>, src_step = array<i64: 1, 4>, dst_step = array<i64: 1, 98304>}]} : () -> ()
  // odd partitions 1, 3, 5, 7: same bytes, no common partition, no wait
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 5 : i64, stream = 5 : i64}
  "trn_isa.dma"() {stream = 5 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 64 : i64, dst_addr = 196608 : i64, num = array<i64: 4, 4>, src_step = array<i64: 1, 4>, dst_step = array<i64: 1, 98304>}]} : () -> ()
  // partition 2 again: write after write with the even load only
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}stream = 6 : i64, wait = array<i64: 4, 1>}
  "trn_isa.dma"() {stream = 6 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 128 : i64, dst_addr = 393216 : i64, num = array<i64: 4>, src_step = array<i64: 1>, dst_step = array<i64: 1>}]} : () -> ()
  // partitions [0, 2) meet the even and the odd load: two waits (one on a NOP)
  // CHECK-NEXT: "trn_isa.nop"() {stream = 2 : i64, wait = array<i64: 5, 1>}
  // CHECK-NEXT: "trn_isa.tensor_copy"() {{.*}}stream = 2 : i64, wait = array<i64: 4, 1>}
  "trn_isa.tensor_copy"() {stream = 2 : i64, dst = #o, src0 = #r} : () -> ()
  return
}
