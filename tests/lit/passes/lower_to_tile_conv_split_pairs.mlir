// A row-split conv result (lower_to_tile_conv_split.mlir: even output rows on
// partitions [8, 16), odd rows on [0, 8) of each [16, 128] tile) feeding a tap-pair
// 3x3 conv: its image buffer [16, 18 x 18] is filled per parity, every other buffer
// row (row step 36). The unshifted copy (partitions [0, 8)) takes the even rows by a
// DMA (they move partitions) and the odd rows by an engine copy; the copy shifted
// left by one column (partitions [8, 16)) the odd rows by a DMA and the even rows by
// an engine copy. The DMAs come first.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 128], f32, "psum">
// CHECK:      %[[Y:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 128], f32, "sbuf">
// CHECK-NEXT: "trn_tile.activate"(%[[P]], %[[Y]], %{{.*}}) {bias = 0.000000e+00 : f32, func = "relu", scale = 1.000000e+00 : f32}
// CHECK-NEXT: %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 324], f32, "sbuf">
// CHECK:      "trn_tile.dma"(%[[Y]], %[[IMG]]) {dst_offset = 19 : i64, dst_strides = array<i64: 324, 36, 1>, sizes = array<i64: 8, 8, 16>, src_offset = 1024 : i64, src_strides = array<i64: 128, 16, 1>}
// CHECK-NEXT: %[[OS:.*]] = "trn_tile.view"(%[[Y]]) {free_offset = 0 : i64, free_pattern = array<i64: 16, 1, 8, 16>, partition_offset = 0 : i64}
// CHECK-NEXT: %[[OD:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 37 : i64, free_pattern = array<i64: 16, 1, 8, 36>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.copy"(%[[OS]], %[[OD]])
// CHECK-NEXT: "trn_tile.dma"(%[[Y]], %[[IMG]]) {dst_offset = 2628 : i64, dst_strides = array<i64: 324, 36, 1>, sizes = array<i64: 8, 8, 16>, src_offset = 0 : i64, src_strides = array<i64: 128, 16, 1>}
// CHECK-NEXT: %[[ES:.*]] = "trn_tile.view"(%[[Y]]) {free_offset = 0 : i64, free_pattern = array<i64: 16, 1, 8, 16>, partition_offset = 8 : i64}
// CHECK-NEXT: %[[ED:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 18 : i64, free_pattern = array<i64: 16, 1, 8, 36>, partition_offset = 8 : i64}
// CHECK-NEXT: "trn_tile.copy"(%[[ES]], %[[ED]])
// CHECK:      "trn_tile.matmul"(%{{.*}}, %{{.*}}, %{{.*}}) {accumulate = false} : (!trn_tile.tile<[16, 8], f32, "sbuf">, !trn_tile.tile<[16, 256], f32, "sbuf">, !trn_tile.tile<[8, 256], f32, "psum">)

func.func @main(%x: tensor<1x16x16x4xf32>) -> tensor<1x16x16x8xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x3x3x4xf32>}> : () -> tensor<8x3x3x4xf32>
  %b = "tosa.const"() <{value = dense<0.25> : tensor<8xf32>}> : () -> tensor<8xf32>
  %w2 = "tosa.const"() <{value = dense<0.125> : tensor<8x3x3x8xf32>}> : () -> tensor<8x3x3x8xf32>
  %b2 = "tosa.const"() <{value = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x16x16x4xf32>, tensor<8x3x3x4xf32>, tensor<8xf32>) -> tensor<1x16x16x8xf32>
  %r = tosa.clamp %c {max_fp = 3.40282347E+38 : f32, max_int = 9223372036854775807 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64} : (tensor<1x16x16x8xf32>) -> tensor<1x16x16x8xf32>
  %d = tosa.conv2d %r, %w2, %b2 {dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>, tensor<8x3x3x8xf32>, tensor<8xf32>) -> tensor<1x16x16x8xf32>
  return %d : tensor<1x16x16x8xf32>
}
