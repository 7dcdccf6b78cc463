// trn-lower-to-tile on a two-layer MLP (x[4,160] -> 16 -> 3): K = 160 is two K tiles
// (128 + 32 partitions) loaded as views of one panel per operand (one DMA per run of
// equal tiles); x is loaded transposed (K on partitions); the bias add and the relu
// fuse into the ACTIVATE that evicts PSUM (bias = per-partition [16, 1] tile); the
// transposed weight of the Gemm is a strided DMA; the output is stored transposed.
// RUN: trn-opt %S/Inputs/mlp_small.mlir --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK: module attributes {trn.target = "trn1"}
// CHECK-LABEL: func.func @main()
// CHECK-DAG: %[[X:.*]] = "trn_tile.input"() {index = 0 : i64, name = "input", type = tensor<4x160xf32>} : () -> !trn_tile.tile<[4, 160], f32, "hbm">
// CHECK-DAG: %[[W1:.*]] = "trn_tile.const"() {value = dense_resource<fc1.weight> : tensor<160x16xf32>} : () -> !trn_tile.tile<[160, 16], f32, "hbm">
// CHECK-DAG: %[[B1:.*]] = "trn_tile.const"() {value = dense_resource<fc1.bias> : tensor<16xf32>}
// CHECK-DAG: %[[W2:.*]] = "trn_tile.const"() {value = dense_resource<fc2.weight> : tensor<3x16xf32>}
// CHECK-DAG: %[[Y:.*]] = "trn_tile.output"() {index = 0 : i64, name = "logits", type = tensor<4x3xf32>} : () -> !trn_tile.tile<[4, 3], f32, "hbm">

// Stationary panel: W1 rows 0..127 and 128..159, side by side in the free axis.
// CHECK: %[[WP:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 32], f32, "sbuf">
// CHECK: "trn_tile.dma"(%[[W1]], %[[WP]]) {dst_offset = 0 : i64, dst_strides = array<i64: 32, 1>, sizes = array<i64: 128, 16>, src_offset = 0 : i64, src_strides = array<i64: 16, 1>}
// CHECK: %[[WK0:.*]] = "trn_tile.view"(%[[WP]]) {free_offset = 0 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[128, 16], f32, "sbuf">
// CHECK: "trn_tile.dma"(%[[W1]], %[[WP]]) {dst_offset = 16 : i64, dst_strides = array<i64: 32, 1>, sizes = array<i64: 32, 16>, src_offset = 2048 : i64, src_strides = array<i64: 16, 1>}
// CHECK: %[[WK1:.*]] = "trn_tile.view"(%[[WP]]) {free_offset = 16 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[32, 16], f32, "sbuf">
// Moving panel: x^T (column k of x on partition k: source stride 1, free stride 160).
// CHECK: %[[XP:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 8], f32, "sbuf">
// CHECK: "trn_tile.dma"(%[[X]], %[[XP]]) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>, sizes = array<i64: 128, 4>, src_offset = 0 : i64, src_strides = array<i64: 1, 160>}
// CHECK: %[[XK0:.*]] = "trn_tile.view"(%[[XP]])
// CHECK: %[[XK1:.*]] = "trn_tile.view"(%[[XP]]) {free_offset = 4 : i64, partition_offset = 0 : i64} {{.*}} -> !trn_tile.tile<[32, 4], f32, "sbuf">
// CHECK: %[[P1:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 4], f32, "psum">
// CHECK: "trn_tile.matmul"(%[[WK0]], %[[XK0]], %[[P1]]) {accumulate = false}
// CHECK: "trn_tile.matmul"(%[[WK1]], %[[XK1]], %[[P1]]) {accumulate = true}
// CHECK: %[[BT:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 1], f32, "sbuf">
// CHECK: "trn_tile.dma"(%[[B1]], %[[BT]]) {dst_offset = 0 : i64, dst_strides = array<i64: 1>, sizes = array<i64: 16>
// CHECK: %[[H:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 4], f32, "sbuf">
// CHECK: "trn_tile.activate"(%[[P1]], %[[H]], %[[BT]]) {bias = 0.000000e+00 : f32, func = "relu", scale = 1.000000e+00 : f32}
// Layer 2: W2^T [16, 3] through a strided DMA; H is the moving operand as is.
// CHECK: %[[W2T:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 3], f32, "sbuf">
// CHECK: "trn_tile.dma"(%[[W2]], %[[W2T]]) {dst_offset = 0 : i64, dst_strides = array<i64: 3, 1>, sizes = array<i64: 16, 3>, src_offset = 0 : i64, src_strides = array<i64: 1, 16>}
// CHECK: %[[P2:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[3, 4], f32, "psum">
// CHECK: "trn_tile.matmul"(%[[W2T]], %[[H]], %[[P2]]) {accumulate = false}
// CHECK: "trn_tile.activate"(%[[P2]], %[[O:.*]], %{{.*}}) {bias = 0.000000e+00 : f32, func = "copy"
// CHECK: "trn_tile.dma"(%[[O]], %[[Y]]) {dst_offset = 0 : i64, dst_strides = array<i64: 1, 3>, sizes = array<i64: 3, 4>, src_offset = 0 : i64, src_strides = array<i64: 4, 1>}
// CHECK-NEXT: return
