// From -O2, a convolution with a larger kernel than 1x1 over more input channels than
// partitions loads its weights (per output channel chunk) as one panel per input
// channel chunk, each its own buffer [128, KH * KW * OC chunk]: the smaller buffers fit
// the scattered free memory of a full SBUF, where one buffer of all chunks would wait
// for the readers of a window that large. Here 256 input channels: two panels
// [128, 9 * 8], each loaded by one DMA per kernel row, and the matmuls alternate
// between them (taps in order, input chunks innermost).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s
// At -O1 all taps and chunks share one panel [128, 2 * 9 * 8].
// RUN: trn-opt %s -O1 --trn-layout --trn-lower-to-tile | FileCheck %s --check-prefix=O1

// CHECK-LABEL: func.func @main()
// CHECK:      %[[W0:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 72], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W0]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 72, 1>, sizes = array<i64: 3, 128, 8>, src_offset = 0 : i64, src_strides = array<i64: 256, 1, 2304>}
// CHECK-NEXT: %[[T00:.*]] = "trn_tile.view"(%[[W0]]) {free_offset = 0 : i64, partition_offset = 0 : i64}
// CHECK-COUNT-2: "trn_tile.dma"(%{{.*}}, %[[W0]])
// CHECK:      %[[W1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 72], f32, "sbuf">
// CHECK-NEXT: "trn_tile.dma"(%{{.*}}, %[[W1]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 72, 1>, sizes = array<i64: 3, 128, 8>, src_offset = 128 : i64, src_strides = array<i64: 256, 1, 2304>}
// CHECK-NEXT: %[[T10:.*]] = "trn_tile.view"(%[[W1]]) {free_offset = 0 : i64, partition_offset = 0 : i64}
// CHECK-COUNT-2: "trn_tile.dma"(%{{.*}}, %[[W1]])
// CHECK-NOT:  "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 72], f32, "sbuf">
// CHECK:      %[[P:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 16], f32, "psum">
// CHECK:      "trn_tile.matmul"(%[[T00]], %{{.*}}, %[[P]]) {accumulate = false}
// CHECK:      "trn_tile.matmul"(%[[T10]], %{{.*}}, %[[P]]) {accumulate = true}
// CHECK-COUNT-16: "trn_tile.matmul"({{.*}}) {accumulate = true}
// CHECK-NOT:  "trn_tile.matmul"

// O1:     %[[W:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 144], f32, "sbuf">
// O1-NOT: "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 72], f32, "sbuf">

func.func @main(%x: tensor<1x4x4x256xf32>) -> tensor<1x4x4x8xf32> {
  %w = "tosa.const"() <{value = dense<0.5> : tensor<8x3x3x256xf32>}> : () -> tensor<8x3x3x256xf32>
  %b = "tosa.const"() <{value = dense<0.1> : tensor<8xf32>}> : () -> tensor<8xf32>
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 1, 1>} : (tensor<1x4x4x256xf32>, tensor<8x3x3x256xf32>, tensor<8xf32>) -> tensor<1x4x4x8xf32>
  return %c : tensor<1x4x4x8xf32>
}
