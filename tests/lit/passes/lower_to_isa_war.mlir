// trn-lower-to-isa puts each DMA piece on the queue where it is estimated to finish
// first. A load into SBUF waits for the last instructions reading the bytes it
// overwrites (trn-insert-sync orders it after them), and the estimate counts that:
// below, the load into %b overwrites what the long tensor_scalar reads, so its queue
// (4) stays busy until then, and the 17th load, which finds every queue taken, goes
// to queue 5 (finishing first) rather than behind it on queue 4.
// RUN: trn-opt %s --trn-lower-to-isa | FileCheck %s

!c = !trn_tile.tile<[128, 64], f32, "hbm">
!t = !trn_tile.tile<[128, 64], f32, "sbuf">
!big = !trn_tile.tile<[128, 16384], f32, "sbuf">

// CHECK-LABEL: func.func @main
func.func @main() {
  %c0 = "trn_tile.const"() {value = dense<0.0> : tensor<128x64xf32>, hbm_offset = 0 : i64} : () -> !c
  %c1 = "trn_tile.const"() {value = dense<1.0> : tensor<128x64xf32>, hbm_offset = 32768 : i64} : () -> !c
  %c2 = "trn_tile.const"() {value = dense<2.0> : tensor<128x64xf32>, hbm_offset = 65536 : i64} : () -> !c
  %c3 = "trn_tile.const"() {value = dense<3.0> : tensor<128x64xf32>, hbm_offset = 98304 : i64} : () -> !c
  %c4 = "trn_tile.const"() {value = dense<4.0> : tensor<128x64xf32>, hbm_offset = 131072 : i64} : () -> !c
  %c5 = "trn_tile.const"() {value = dense<5.0> : tensor<128x64xf32>, hbm_offset = 163840 : i64} : () -> !c
  %c6 = "trn_tile.const"() {value = dense<6.0> : tensor<128x64xf32>, hbm_offset = 196608 : i64} : () -> !c
  %c7 = "trn_tile.const"() {value = dense<7.0> : tensor<128x64xf32>, hbm_offset = 229376 : i64} : () -> !c
  %c8 = "trn_tile.const"() {value = dense<8.0> : tensor<128x64xf32>, hbm_offset = 262144 : i64} : () -> !c
  %c9 = "trn_tile.const"() {value = dense<9.0> : tensor<128x64xf32>, hbm_offset = 294912 : i64} : () -> !c
  %c10 = "trn_tile.const"() {value = dense<10.0> : tensor<128x64xf32>, hbm_offset = 327680 : i64} : () -> !c
  %c11 = "trn_tile.const"() {value = dense<11.0> : tensor<128x64xf32>, hbm_offset = 360448 : i64} : () -> !c
  %c12 = "trn_tile.const"() {value = dense<12.0> : tensor<128x64xf32>, hbm_offset = 393216 : i64} : () -> !c
  %c13 = "trn_tile.const"() {value = dense<13.0> : tensor<128x64xf32>, hbm_offset = 425984 : i64} : () -> !c
  %c14 = "trn_tile.const"() {value = dense<14.0> : tensor<128x64xf32>, hbm_offset = 458752 : i64} : () -> !c
  %c15 = "trn_tile.const"() {value = dense<15.0> : tensor<128x64xf32>, hbm_offset = 491520 : i64} : () -> !c
  %c16 = "trn_tile.const"() {value = dense<16.0> : tensor<128x64xf32>, hbm_offset = 524288 : i64} : () -> !c
  %a = "trn_tile.alloc"() {offset = 0 : i64} : () -> !big
  %o = "trn_tile.alloc"() {offset = 65536 : i64} : () -> !big
  // CHECK: "trn_isa.tensor_scalar"()
  "trn_tile.tensor_scalar"(%a, %o) {op0 = "max", scalar0 = 0.0 : f32, op1 = "min", scalar1 = 6.0 : f32} : (!big, !big) -> ()
  %b = "trn_tile.alloc"() {offset = 0 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 0 : i64, {{.*}}src_addr = 0 : i64{{.*}}}], stream = 4 : i64}
  "trn_tile.dma"(%c0, %b) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t1 = "trn_tile.alloc"() {offset = 131328 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 131328 : i64, {{.*}}src_addr = 32768 : i64{{.*}}}], stream = 5 : i64}
  "trn_tile.dma"(%c1, %t1) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t2 = "trn_tile.alloc"() {offset = 131584 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 131584 : i64, {{.*}}src_addr = 65536 : i64{{.*}}}], stream = 6 : i64}
  "trn_tile.dma"(%c2, %t2) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t3 = "trn_tile.alloc"() {offset = 131840 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 131840 : i64, {{.*}}src_addr = 98304 : i64{{.*}}}], stream = 7 : i64}
  "trn_tile.dma"(%c3, %t3) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t4 = "trn_tile.alloc"() {offset = 132096 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 132096 : i64, {{.*}}src_addr = 131072 : i64{{.*}}}], stream = 8 : i64}
  "trn_tile.dma"(%c4, %t4) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t5 = "trn_tile.alloc"() {offset = 132352 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 132352 : i64, {{.*}}src_addr = 163840 : i64{{.*}}}], stream = 9 : i64}
  "trn_tile.dma"(%c5, %t5) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t6 = "trn_tile.alloc"() {offset = 132608 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 132608 : i64, {{.*}}src_addr = 196608 : i64{{.*}}}], stream = 10 : i64}
  "trn_tile.dma"(%c6, %t6) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t7 = "trn_tile.alloc"() {offset = 132864 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 132864 : i64, {{.*}}src_addr = 229376 : i64{{.*}}}], stream = 11 : i64}
  "trn_tile.dma"(%c7, %t7) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t8 = "trn_tile.alloc"() {offset = 133120 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 133120 : i64, {{.*}}src_addr = 262144 : i64{{.*}}}], stream = 12 : i64}
  "trn_tile.dma"(%c8, %t8) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t9 = "trn_tile.alloc"() {offset = 133376 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 133376 : i64, {{.*}}src_addr = 294912 : i64{{.*}}}], stream = 13 : i64}
  "trn_tile.dma"(%c9, %t9) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t10 = "trn_tile.alloc"() {offset = 133632 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 133632 : i64, {{.*}}src_addr = 327680 : i64{{.*}}}], stream = 14 : i64}
  "trn_tile.dma"(%c10, %t10) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t11 = "trn_tile.alloc"() {offset = 133888 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 133888 : i64, {{.*}}src_addr = 360448 : i64{{.*}}}], stream = 15 : i64}
  "trn_tile.dma"(%c11, %t11) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t12 = "trn_tile.alloc"() {offset = 134144 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 134144 : i64, {{.*}}src_addr = 393216 : i64{{.*}}}], stream = 16 : i64}
  "trn_tile.dma"(%c12, %t12) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t13 = "trn_tile.alloc"() {offset = 134400 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 134400 : i64, {{.*}}src_addr = 425984 : i64{{.*}}}], stream = 17 : i64}
  "trn_tile.dma"(%c13, %t13) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t14 = "trn_tile.alloc"() {offset = 134656 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 134656 : i64, {{.*}}src_addr = 458752 : i64{{.*}}}], stream = 18 : i64}
  "trn_tile.dma"(%c14, %t14) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t15 = "trn_tile.alloc"() {offset = 134912 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 134912 : i64, {{.*}}src_addr = 491520 : i64{{.*}}}], stream = 19 : i64}
  "trn_tile.dma"(%c15, %t15) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  %t16 = "trn_tile.alloc"() {offset = 135168 : i64} : () -> !t
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 135168 : i64, {{.*}}src_addr = 524288 : i64{{.*}}}], stream = 5 : i64}
  "trn_tile.dma"(%c16, %t16) {sizes = array<i64: 128, 64>, src_offset = 0 : i64, src_strides = array<i64: 64, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 64, 1>} : (!c, !t) -> ()
  return
}
