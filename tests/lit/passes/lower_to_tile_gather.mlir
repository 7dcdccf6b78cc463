// tosa.gather out[n, w, c] = values[n, idx[n, w], c]: per image, the values loaded
// transposed ([C, K], K free), the index row broadcast to the C partitions (partition
// stride 0), one GpSimd GATHER, the [C, W] result stored transposed into a new HBM buffer.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile --trn-allocate --trn-lower-to-isa | FileCheck %s --check-prefix=ISA

// CHECK-LABEL: func.func @main()
// CHECK:      %[[V:.*]] = "trn_tile.input"() {index = 0 : i64, {{.*}}type = tensor<2x5x3xf32>}
// CHECK:      %[[I:.*]] = "trn_tile.input"() {index = 1 : i64, {{.*}}type = tensor<2x4xi32>}
// CHECK:      %[[Y:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[2, 4, 3], f32, "hbm">
// CHECK:      %[[S:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 5], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%[[V]], %[[S]]) {{{.*}}sizes = array<i64: 3, 5>, src_offset = 0 : i64, src_strides = array<i64: 1, 3>}
// CHECK-NEXT: %[[X:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 4], i32, "sbuf">
// CHECK-NEXT: %[[D:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 4], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%[[I]], %[[X]]) {{{.*}}sizes = array<i64: 3, 4>, src_offset = 0 : i64, src_strides = array<i64: 0, 1>}
// CHECK-NEXT: "trn_tile.gather"(%[[S]], %[[X]], %[[D]])
// CHECK-NEXT: "trn_tile.dma"(%[[D]], %[[Y]]) {dst_offset = 0 : i64, dst_strides = array<i64: 1, 3>, sizes = array<i64: 3, 4>
// second image: offsets of n = 1
// CHECK:      "trn_tile.dma"(%[[V]], %{{.*}}) {{{.*}}src_offset = 15 : i64, src_strides = array<i64: 1, 3>}
// CHECK:      "trn_tile.dma"(%[[I]], %{{.*}}) {{{.*}}src_offset = 4 : i64, src_strides = array<i64: 0, 1>}
// CHECK:      "trn_tile.gather"
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[Y]]) {dst_offset = 12 : i64, dst_strides = array<i64: 1, 3>

// ISA-LABEL: func.func @main()
// ISA:       "trn_isa.gather"() {dst = {dtype = "fp32", num = array<i64: 4>, {{.*}}part = array<i64: 0, 3>{{.*}}src0 = {dtype = "fp32", num = array<i64: 5>, {{.*}}src1 = {dtype = "i32", num = array<i64: 4>, {{.*}}stream = 3 : i64}
func.func @main(%v: tensor<2x5x3xf32>, %i: tensor<2x4xi32>) -> tensor<2x4x3xf32> {
  %0 = tosa.gather %v, %i : (tensor<2x5x3xf32>, tensor<2x4xi32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}
