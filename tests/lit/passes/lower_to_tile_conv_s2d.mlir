// From -O2 a banded stride-2 convolution with few input channels over an image in HBM
// is lowered as the equivalent stride-1 convolution over the 2x2 space-to-depth image
// z[i, j, (p, q, c)] = padded x[2i + p, 2j + q, c] (12 channels), with the 4x4 kernel
// w'[a, b, (p, q, c)] = w[2a + p, 2b + q, c], 0 past the 7x7 kernel: ResNet's conv1
// shape (7x7, stride 2, pad 3, 3 input channels) on a 160x160 image (the same conv as
// lower_to_tile_conv_packed.mlir, which runs at -O1). Taps are packed as there: kernel
// rows in 2 groups of 2, partition block (dkh, b) (12 partitions, phase (p, q) at 3 (2p
// + q)) of the band buffer (96 partitions) holds z from row r0 + dkh, shifted b columns
// left, so the image is read 8 times instead of 28.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// Weight tiles of both groups first, zeroed (the 7x7 kernel leaves taps of row 7 and
// column 7); their loads go with the first band's, in DMA round 1.
// CHECK-LABEL: func.func @main(
// CHECK:      %[[W0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 8], f32, "sbuf">
// CHECK-NEXT: "trn_tile.memset"(%[[W0]])
// CHECK-NEXT: %[[W1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 8], f32, "sbuf">
// CHECK-NEXT: "trn_tile.memset"(%[[W1]])

// Bands grow from one PSUM block (6 output rows) by doubling up to the bands of the
// stride-2 image (30 rows): 6, 12, 24, 30, 8. Band 0: 6 + 2 rows of 80 + 3 = 83
// columns of z; padding 2 rows on top, 2 columns left, 5 right.
// CHECK-NEXT: %[[I0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 664], f32, "sbuf">
// CHECK-NEXT: %[[T:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 0 : i64, free_pattern = array<i64: 166, 1>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[T]])
// CHECK-NEXT: %[[L:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 166 : i64, free_pattern = array<i64: 2, 1, 6, 83>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[L]])
// CHECK-NEXT: %[[R:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 244 : i64, free_pattern = array<i64: 5, 1, 6, 83>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[R]])

// Round 1: per (block row, p, q) one weight DMA of the taps 2b + q (steps of 2 kernel
// columns), 8 for group 0 (kernel rows 0-3), 6 for group 1 (no kernel row 7); then
// per band block and phase one DMA with steps of 2 rows and 2 columns (960 and 6
// elements) from HBM. Block (0, 0) phase (0, 0) starts at z (2, 2) = input (1, 1);
// phase (0, 1) at z (2, 1) = input (1, 0).
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 0 : i64, dst_strides = array<i64: 96, 8, 1>, round = 1 : i64, sizes = array<i64: 4, 3, 8>, src_offset = 0 : i64, src_strides = array<i64: 6, 1, 147>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 24 : i64, dst_strides = array<i64: 96, 8, 1>, round = 1 : i64, sizes = array<i64: 3, 3, 8>, src_offset = 3 : i64, src_strides = array<i64: 6, 1, 147>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 48 : i64, dst_strides = array<i64: 96, 8, 1>, round = 1 : i64, sizes = array<i64: 4, 3, 8>, src_offset = 21 : i64, src_strides = array<i64: 6, 1, 147>}
// CHECK-COUNT-5: "trn_tile.dma"(%{{.*}}, %[[W0]]) {{.*}}round = 1 : i64
// CHECK-COUNT-6: "trn_tile.dma"(%{{.*}}, %[[W1]]) {{.*}}round = 1 : i64
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 168 : i64, dst_strides = array<i64: 664, 83, 1>, round = 1 : i64, sizes = array<i64: 3, 6, 80>, src_offset = 483 : i64, src_strides = array<i64: 1, 960, 6>}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[I0]]) {dst_offset = 2159 : i64, dst_strides = array<i64: 664, 83, 1>, round = 1 : i64, sizes = array<i64: 3, 6, 80>, src_offset = 480 : i64, src_strides = array<i64: 1, 960, 6>}
// CHECK-COUNT-30: "trn_tile.dma"(%{{.*}}, %[[I0]]) {{.*}}round = 1 : i64
// CHECK-NOT:  "trn_tile.dma"(%{{.*}}, %[[I0]])
// CHECK-NOT:  "trn_tile.dma"(%{{.*}}, %[[W0]])
// CHECK-NOT:  "trn_tile.dma"(%{{.*}}, %[[W1]])
// The PSUM block (6 rows of 80): stride-1 windows of blocks 0-95, the second 2 rows down.
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 480], f32, "psum">
// CHECK-NEXT: %[[V0:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 0 : i64, free_pattern = array<i64: 80, 1, 6, 83>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[96, 480], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[W0]], %[[V0]], %[[P]]) {accumulate = false}
// CHECK-NEXT: %[[V1:.*]] = "trn_tile.view"(%[[I0]]) {free_offset = 166 : i64, free_pattern = array<i64: 80, 1, 6, 83>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[96, 480], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[W1]], %[[V1]], %[[P]]) {accumulate = true}
// CHECK:      "trn_tile.activate"(%[[P]],

// The later bands, in no round: 12 + 2 rows from z row 6, then 24, 30 and the last 8
// output rows; 28 matmuls in all.
// CHECK:      %[[I1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 1162], f32, "sbuf">
// CHECK:      "trn_tile.dma"(%{{.*}}, %[[I1]]) {dst_offset = 2 : i64, dst_strides = array<i64: 1162, 83, 1>, sizes = array<i64: 3, 14, 80>, src_offset = 4323 : i64, src_strides = array<i64: 1, 960, 6>}
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 2158], f32, "sbuf">
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 2656], f32, "sbuf">
// CHECK:      "trn_tile.alloc"() : () -> !trn_tile.tile<[96, 830], f32, "sbuf">
// CHECK-NOT:  round =
// CHECK-COUNT-4: "trn_tile.matmul"
// CHECK-NOT:  "trn_tile.matmul"

func.func @main(%x: tensor<1x160x160x3xf32>) -> tensor<1x80x80x8xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x7x7x3xf32>}> : () -> tensor<8x7x7x3xf32>
  %b = "tosa.const"() <{value = dense<0.1> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 3, 3, 3, 3>, stride = array<i64: 2, 2>} : (tensor<1x160x160x3xf32>, tensor<8x7x7x3xf32>, tensor<8xf32>) -> tensor<1x80x80x8xf32>
  return %c : tensor<1x80x80x8xf32>
}
