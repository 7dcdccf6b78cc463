// A pooling that is the only use of a convolution result (here through its fused
// activation) gets its padded image from the convolution: the PSUM eviction writes
// each block straight into the image interior (a strided view, rows of W + pads)
// after the padding is set to the pool's pad value, and the pool reads the image
// with no copy in between, so that its vector ops can start on the first evicted
// rows.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%x: tensor<1x8x8x4xf32>, %w: tensor<8x1x1x4xf32>, %b: tensor<8xf32>) -> tensor<1x4x4x8xf32> {
  // CHECK:      %[[PS:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 64], f32, "psum">
  // CHECK:      "trn_tile.matmul"({{.*}}, %[[PS]]) {accumulate = false}
  // CHECK-NEXT: %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 100], f32, "sbuf">
  // CHECK-NEXT: %[[T:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 10, 1>
  // CHECK-NEXT: "trn_tile.memset"(%[[T]]) {value = 0xFF800000 : f32}
  // CHECK-NEXT: %[[B:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 90 : i64, free_pattern = array<i64: 10, 1>
  // CHECK-NEXT: "trn_tile.memset"(%[[B]]) {value = 0xFF800000 : f32}
  // CHECK-NEXT: %[[L:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 10 : i64, free_pattern = array<i64: 8, 10>
  // CHECK-NEXT: "trn_tile.memset"(%[[L]]) {value = 0xFF800000 : f32}
  // CHECK-NEXT: %[[R:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 19 : i64, free_pattern = array<i64: 8, 10>
  // CHECK-NEXT: "trn_tile.memset"(%[[R]]) {value = 0xFF800000 : f32}
  // CHECK-NEXT: %[[IN:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 11 : i64, free_pattern = array<i64: 8, 1, 8, 10>
  // CHECK-NEXT: "trn_tile.activate"(%[[PS]], %[[IN]], {{.*}}) {{{.*}}func = "relu"
  // CHECK-NOT:  "trn_tile.copy"
  // CHECK-NOT:  "trn_tile.activate"
  // CHECK:      %[[W0:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 4, 2, 9, 10>
  // CHECK-NEXT: %[[W1:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 1 : i64, free_pattern = array<i64: 4, 2, 9, 10>
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[W0]], %[[W1]], {{.*}}) {op = "max"}
  %c = tosa.conv2d %x, %w, %b {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x8x8x4xf32>, tensor<8x1x1x4xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %r = tosa.clamp %c {max_fp = 3.40282347E+38 : f32, max_int = 9223372036854775807 : i64, min_fp = 0.000000e+00 : f32, min_int = 0 : i64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %m = tosa.max_pool2d %r {kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x4x4x8xf32>
  return %m : tensor<1x4x4x8xf32>
}
