// Pools on the vector engine: the padded image (its border set to -inf for a max
// pool), in blocks of output rows of the moving size; a 3x3 window separably, a
// max (or sum) along the width over the block's input rows into a row buffer then
// along the height from it; an average pool whose windows overlap the padding
// multiplies by a constant of reciprocal window sizes.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// The reciprocal window sizes (constants go first): 1/4, 1/6, 1/6, 1/9.
// CHECK:      "trn_tile.const"() {value = dense<{{\[\[\[\[}}2.500000e-01], [0.166666672]], {{\[\[}}0.166666672], [0.111111112]]]]> : tensor<1x2x2x1xf32>}
func.func @main(%x: tensor<1x4x4x8xf32>) -> (tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>) {
  // CHECK:      %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 36], f32, "sbuf">
  // CHECK-NEXT: %[[TOP:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 6, 1>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.memset"(%[[TOP]]) {value = 0xFF800000 : f32}
  // CHECK-COUNT-3: "trn_tile.memset"({{.*}}) {value = 0xFF800000 : f32}
  // CHECK:      %[[O:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 4], f32, "sbuf">
  // CHECK-NEXT: %[[ROWS:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 10], f32, "sbuf">
  // CHECK-NEXT: %[[W0:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 2, 2, 5, 6>, partition_offset = 0 : i64}
  // CHECK-NEXT: %[[W1:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 1 : i64, free_pattern = array<i64: 2, 2, 5, 6>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[W0]], %[[W1]], %[[ROWS]]) {op = "max"}
  // CHECK-NEXT: %[[W2:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 2 : i64, free_pattern = array<i64: 2, 2, 5, 6>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[ROWS]], %[[W2]], %[[ROWS]]) {op = "max"}
  // CHECK-NEXT: %[[H0:.*]] = "trn_tile.view"(%[[ROWS]]) {free_offset = 0 : i64, free_pattern = array<i64: 2, 1, 2, 4>, partition_offset = 0 : i64}
  // CHECK-NEXT: %[[H1:.*]] = "trn_tile.view"(%[[ROWS]]) {free_offset = 2 : i64, free_pattern = array<i64: 2, 1, 2, 4>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[H0]], %[[H1]], %[[O]]) {op = "max"}
  // CHECK-NEXT: %[[H2:.*]] = "trn_tile.view"(%[[ROWS]]) {free_offset = 4 : i64, free_pattern = array<i64: 2, 1, 2, 4>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[O]], %[[H2]], %[[O]]) {op = "max"}
  %m = tosa.max_pool2d %x {kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x2x2x8xf32>
  // CHECK:      "trn_tile.memset"(%{{.*}}) {value = 0.000000e+00 : f32}
  // CHECK-COUNT-4: "trn_tile.tensor_tensor"({{.*}}) {op = "add"}
  // CHECK-NOT:  {op = "add"}
  // CHECK:      "trn_tile.tensor_tensor"({{.*}}) {op = "mul"}
  %a = tosa.avg_pool2d %x {acc_type = f32, kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x2x2x8xf32>
  return %m, %a : tensor<1x2x2x8xf32>, tensor<1x2x2x8xf32>
}
