// A banded convolution with few input channels packs its taps on partitions: ResNet's
// conv1 shape (7x7, stride 2, pad 3, 3 input channels) on a 160x160 image. The 49 taps
// form 2 groups (25 and 24 taps: 75 and 72 partitions); partitions (t, c) of a group
// hold channel c of the band shifted by tap t = (kh, kw): kh rows down, kw columns left.
// One weight tile [taps * 3, 8] per group, loaded once by one DMA per tap (rows t * 3 +
// c of the OHWI weights), and one window view and matmul per group and PSUM block.
// The band holds no kernel halo: 18 output rows = 35 rows of 166 per partition
// (37 rows of 2 groups fit a quarter of SBUF).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK:      %[[W0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[75, 8], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>, sizes = array<i64: 3, 8>, src_offset = 0 : i64, src_strides = array<i64: 1, 147>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 24 : i64, dst_strides = array<i64: 8, 1>, sizes = array<i64: 3, 8>, src_offset = 3 : i64, src_strides = array<i64: 1, 147>}
// CHECK:      %[[W1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[72, 8], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W1]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>, sizes = array<i64: 3, 8>, src_offset = 75 : i64, src_strides = array<i64: 1, 147>}

// Band 0, group 0: tap (0, 0) below 3 padding rows and right of 3 padding columns,
// tap (0, 1) one column further left, tap (0, 4) drops input column 0.
// CHECK:      %[[I0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[75, 5810], f32, "sbuf">
// CHECK-NEXT: "trn_tile.memset"(%[[I0]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 501 : i64, dst_strides = array<i64: 5810, 166, 1>, sizes = array<i64: 3, 32, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 17930 : i64, dst_strides = array<i64: 5810, 166, 1>, sizes = array<i64: 3, 32, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-NEXT: "trn_tile.dma"
// CHECK-NEXT: "trn_tile.dma"
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 70218 : i64, dst_strides = array<i64: 5810, 166, 1>, sizes = array<i64: 3, 32, 159>, src_offset = 3 : i64, src_strides = array<i64: 1, 480, 3>}
// Group 1 starts at tap 25 = (3, 4): no padding rows left above it, input column 0 dropped.
// CHECK:      %[[I1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[72, 5810], f32, "sbuf">
// CHECK-NEXT: "trn_tile.memset"(%[[I1]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I1]]) {dst_offset = 0 : i64, dst_strides = array<i64: 5810, 166, 1>, sizes = array<i64: 3, 35, 159>, src_offset = 3 : i64, src_strides = array<i64: 1, 480, 3>}
// Per PSUM block (6 rows of 80): two matmuls with the same window of both groups.
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 480], f32, "psum">
// CHECK-NEXT: %[[V0:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 0 : i64, free_pattern = array<i64: 80, 2, 6, 332>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.matmul"(%[[W0]], %[[V0]], %[[P]]) {accumulate = false}
// CHECK-NEXT: %[[V1:.*]] = "trn_tile.view"(%[[I1]]) {free_offset = 0 : i64, free_pattern = array<i64: 80, 2, 6, 332>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.matmul"(%[[W1]], %[[V1]], %[[P]]) {accumulate = true}
// CHECK:      "trn_tile.activate"(%[[P]],
// CHECK:      "trn_tile.view"(%[[I0]]) {free_offset = 1992 : i64

// Bands of 18 output rows, the last one 8 (15 rows: input rows 141..155; PSUM blocks
// of 6 and 2 rows).
// CHECK-COUNT-3: "trn_tile.alloc"() : () -> !trn_tile.tile<[75, 5810], f32, "sbuf">
// CHECK:      %[[IL:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[75, 2490], f32, "sbuf">
// CHECK-NEXT: "trn_tile.memset"(%[[IL]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[IL]]) {dst_offset = 3 : i64, dst_strides = array<i64: 2490, 166, 1>, sizes = array<i64: 3, 15, 160>, src_offset = 67680 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[72, 2490], f32, "sbuf">
// CHECK-COUNT-4: "trn_tile.matmul"
// CHECK-NOT:  "trn_tile.matmul"

func.func @main(%x: tensor<1x160x160x3xf32>) -> tensor<1x80x80x8xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x7x7x3xf32>}> : () -> tensor<8x7x7x3xf32>
  %b = "tosa.const"() <{value = dense<0.1> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 3, 3, 3, 3>, stride = array<i64: 2, 2>} : (tensor<1x160x160x3xf32>, tensor<8x7x7x3xf32>, tensor<8xf32>) -> tensor<1x80x80x8xf32>
  return %c : tensor<1x80x80x8xf32>
}
