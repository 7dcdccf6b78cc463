// tosa.conv2d as implicit GEMMs: the input image (channels on partitions) padded in
// SBUF (memsets of the padding border only: top and bottom rows, left and right
// columns; then one strided DMA into the interior of the 8x8 rows), the weight
// tiles [IC, OC] of every (kh, kw) in one panel, and per (kh, kw) a matmul of the
// weight tile with a strided window view of the image (3 output columns every 2,
// 3 output rows every 2 rows of 8) accumulating in one PSUM tile [OC, pixels]; the
// bias and the relu are applied by the ACTIVATE that evicts it.
// (-O1; from -O2 the taps go in pairs, see PAIRS below.)
// RUN: trn-opt %s -O1 --trn-layout --trn-lower-to-tile | FileCheck %s
//
// From -O2, with at most half the partitions of input channels, taps go in pairs: the
// image buffer holds a second copy on partitions [3, 6) shifted left by one column
// (its own padding border; a DMA, as it moves partitions), the weight panel holds per
// kernel row the tiles [6, OC] of taps (kh, 0) + (kh, 1) and [3, OC] of tap (kh, 2),
// and a kernel row takes 2 matmuls instead of 3.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s --check-prefix=PAIRS
// PAIRS:      %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[6, 64], f32, "sbuf">
// PAIRS:      "trn_tile.view"(%[[IMG]]) {free_offset = 14 : i64, free_pattern = array<i64: 2, 1, 6, 8>, partition_offset = 3 : i64}
// PAIRS:      "trn_tile.dma"(%{{.*}}, %[[IMG]]) {dst_offset = 9 : i64, dst_strides = array<i64: 64, 8, 1>, sizes = array<i64: 3, 6, 6>, src_offset = 0 : i64, src_strides = array<i64: 1, 18, 3>}
// PAIRS-NEXT: "trn_tile.dma"(%{{.*}}, %[[IMG]]) {dst_offset = 200 : i64, dst_strides = array<i64: 64, 8, 1>, sizes = array<i64: 3, 6, 6>, src_offset = 0 : i64, src_strides = array<i64: 1, 18, 3>}
// PAIRS:      %[[W:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[6, 24], f32, "sbuf">
// PAIRS-COUNT-6: "trn_tile.dma"(%{{.*}}, %[[W]])
// PAIRS:      %[[W0:.*]] = "trn_tile.view"(%[[W]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[6, 4], f32, "sbuf">
// PAIRS-NEXT: %[[W1:.*]] = "trn_tile.view"(%[[W]]) {free_offset = 4 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[3, 4], f32, "sbuf">
// PAIRS:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[4, 9], f32, "psum">
// PAIRS-NEXT: %[[WIN0:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 3, 2, 3, 16>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[6, 9], f32, "sbuf">
// PAIRS-NEXT: "trn_tile.matmul"(%[[W0]], %[[WIN0]], %[[P]]) {accumulate = false}
// PAIRS-NEXT: %[[WIN1:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 2 : i64, free_pattern = array<i64: 3, 2, 3, 16>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[3, 9], f32, "sbuf">
// PAIRS-NEXT: "trn_tile.matmul"(%[[W1]], %[[WIN1]], %[[P]]) {accumulate = true}
// PAIRS-COUNT-4: "trn_tile.matmul"({{.*}}) {accumulate = true}
// PAIRS-NOT:  "trn_tile.matmul"
// PAIRS:      "trn_tile.activate"(%[[P]], %{{.*}}, %{{.*}}) {bias = 0.000000e+00 : f32, func = "relu", scale = 1.000000e+00 : f32}

// CHECK-LABEL: func.func @main()
// CHECK:      %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 64], f32, "sbuf">
// CHECK-NEXT: %[[TOP:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 8, 1>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[TOP]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: %[[BOT:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 56 : i64, free_pattern = array<i64: 8, 1>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[BOT]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: %[[LEFT:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 8 : i64, free_pattern = array<i64: 6, 8>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[LEFT]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: %[[RIGHT:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 15 : i64, free_pattern = array<i64: 6, 8>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.memset"(%[[RIGHT]]) {value = 0.000000e+00 : f32}
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[IMG]]) {dst_offset = 9 : i64, dst_strides = array<i64: 64, 8, 1>, sizes = array<i64: 3, 6, 6>, src_offset = 0 : i64, src_strides = array<i64: 1, 18, 3>}
// CHECK:      %[[W:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 36], f32, "sbuf">
// CHECK:      %[[W00:.*]] = "trn_tile.view"(%[[W]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[3, 4], f32, "sbuf">
// CHECK:      %[[B:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[4, 1], f32, "sbuf">
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[4, 9], f32, "psum">
// CHECK-NEXT: %[[WIN:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 3, 2, 3, 16>, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[3, 9], f32, "sbuf">
// CHECK-NEXT: "trn_tile.matmul"(%[[W00]], %[[WIN]], %[[P]]) {accumulate = false}
// CHECK-COUNT-8: "trn_tile.matmul"({{.*}}) {accumulate = true}
// CHECK:      "trn_tile.activate"(%[[P]], %[[O:.*]], %[[B]]) {bias = 0.000000e+00 : f32, func = "relu", scale = 1.000000e+00 : f32}
// CHECK-NEXT: "trn_tile.dma"(%[[O]], %{{.*}})

func.func @main(%x: tensor<1x6x6x3xf32>) -> tensor<1x3x3x4xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<4x3x3x3xf32>}> : () -> tensor<4x3x3x3xf32>
  %b = "tosa.const"() <{value = dense<[0.1, 0.2, 0.3, 0.4]> : tensor<4xf32>}> : () -> tensor<4xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x6x6x3xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x3x3x4xf32>
  %r = tosa.clamp %c {max_fp = 3.40282347E+38 : f32, max_int = 9223372036854775807 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64} : (tensor<1x3x3x4xf32>) -> tensor<1x3x3x4xf32>
  return %r : tensor<1x3x3x4xf32>
}
