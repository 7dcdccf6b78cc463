// A banded convolution with few input channels packs its taps on partitions: ResNet's
// conv1 shape (7x7, stride 2, pad 3, 3 input channels) on a 160x160 image. Kernel rows
// go in 2 groups (rows 0-3 and 4-6: at most 128 / (7 * 3) = 6 rows a group, as few
// groups as that allows, then as few rows as those groups need); partition block
// (dkh, kw) of the band buffer (84 partitions) holds the 3 channels of the band from
// padded row r0 + dkh, shifted kw columns left. One weight tile [rows * 7 * 3, 8] per
// group (one DMA per kernel row), loaded once, with the first band; per PSUM block one matmul per group,
// the second one's window 4 rows down. (-O1: from -O2 this stride-2 conv takes the
// space-to-depth form, lower_to_tile_conv_s2d.mlir.) The padding the blocks hold is zeroed by
// memsets of views: 3 rows on top, 3 columns left, 9 right (kw = 6 ends 6 columns early).
// RUN: trn-opt %s -O1 --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK:      %[[W0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[84, 8], f32, "sbuf">
// CHECK-NEXT: %[[W1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[63, 8], f32, "sbuf">

// Bands grow from one PSUM block (6 output rows) by doubling up to 30 rows (74 rows
// of 166 fit a quarter of SBUF): 6, 12, 24, 30, 8. Band 0 (5 * 2 + 1 + 4 = 15 rows):
// its padding, then the weight loads (with the first band's), then its loads: block
// (0, 0) below 3 padding rows and right of 3 padding columns, (0, 1) one column further
// left, (0, 4) drops input column 0, (1, 0) one padding row less.
// CHECK-NEXT: %[[I0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[84, 2490], f32, "sbuf">
// CHECK-NEXT: %[[T:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 0 : i64, free_pattern = array<i64: 498, 1>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[T]])
// CHECK-NEXT: %[[L:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 498 : i64, free_pattern = array<i64: 3, 1, 12, 166>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[L]])
// CHECK-NEXT: %[[RT:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 655 : i64, free_pattern = array<i64: 9, 1, 12, 166>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[RT]])
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 0 : i64, dst_strides = array<i64: 24, 8, 1>, sizes = array<i64: 7, 3, 8>, src_offset = 0 : i64, src_strides = array<i64: 3, 1, 147>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 168 : i64, dst_strides = array<i64: 24, 8, 1>, sizes = array<i64: 7, 3, 8>, src_offset = 21 : i64, src_strides = array<i64: 3, 1, 147>}
// CHECK-COUNT-2: "trn_tile.dma"(%{{.*}}, %[[W0]])
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W1]]) {dst_offset = 0 : i64, dst_strides = array<i64: 24, 8, 1>, sizes = array<i64: 7, 3, 8>, src_offset = 84 : i64, src_strides = array<i64: 3, 1, 147>}
// CHECK-COUNT-2: "trn_tile.dma"(%{{.*}}, %[[W1]])
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 501 : i64, dst_strides = array<i64: 2490, 166, 1>, sizes = array<i64: 3, 12, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 7970 : i64, dst_strides = array<i64: 2490, 166, 1>, sizes = array<i64: 3, 12, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-NEXT: "trn_tile.dma"
// CHECK-NEXT: "trn_tile.dma"
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 30378 : i64, dst_strides = array<i64: 2490, 166, 1>, sizes = array<i64: 3, 12, 159>, src_offset = 3 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-NEXT: "trn_tile.dma"
// CHECK-NEXT: "trn_tile.dma"
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 52625 : i64, dst_strides = array<i64: 2490, 166, 1>, sizes = array<i64: 3, 13, 160>, src_offset = 0 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-COUNT-20: "trn_tile.dma"(%{{.*}}, %[[I0]])
// CHECK-NOT:  "trn_tile.dma"(%{{.*}}, %[[I0]])
// The PSUM block (6 rows of 80): the window of blocks 0-83, then of blocks 0-62 4 rows down.
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 480], f32, "psum">
// CHECK-NEXT: %[[V0:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 0 : i64, free_pattern = array<i64: 80, 2, 6, 332>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[84, 480], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[W0]], %[[V0]], %[[P]]) {accumulate = false}
// CHECK-NEXT: %[[V1:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 664 : i64, free_pattern = array<i64: 80, 2, 6, 332>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[63, 480], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[W1]], %[[V1]], %[[P]]) {accumulate = true}
// CHECK:      "trn_tile.activate"(%[[P]],

// Bands of 12, 24 and 30 rows; the last (8 rows: 19 rows from input row 141) gets
// bottom padding rows instead of top ones; PSUM blocks of 6 and 2 rows.
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[84, 4482], f32, "sbuf">
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[84, 8466], f32, "sbuf">
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[84, 10458], f32, "sbuf">
// CHECK:      %[[IL:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[84, 3154], f32, "sbuf">
// CHECK-NEXT: %[[B:.*]] = "trn_tile.view"(%[[IL]]) {free_offset = 2656 : i64, free_pattern = array<i64: 498, 1>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[B]])
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[IL]]) {dst_offset = 3 : i64, dst_strides = array<i64: 3154, 166, 1>, sizes = array<i64: 3, 19, 160>, src_offset = 67680 : i64, src_strides = array<i64: 1, 480, 3>}
// CHECK-COUNT-4: "trn_tile.matmul"
// CHECK-NOT:  "trn_tile.matmul"

func.func @main(%x: tensor<1x160x160x3xf32>) -> tensor<1x80x80x8xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x7x7x3xf32>}> : () -> tensor<8x7x7x3xf32>
  %b = "tosa.const"() <{value = dense<0.1> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 3, 3, 3, 3>, stride = array<i64: 2, 2>} : (tensor<1x160x160x3xf32>, tensor<8x7x7x3xf32>, tensor<8xf32>) -> tensor<1x80x80x8xf32>
  return %c : tensor<1x80x80x8xf32>
}
