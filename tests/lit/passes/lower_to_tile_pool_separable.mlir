// A 3x3 max pool is separable: a max along the width over the block's input rows
// (17 rows of 8 outputs, read from the padded 18x18 image at stride 2) into a row
// buffer, then a max along the height from it (rows at stride 2): 4 vector ops
// instead of 8 (fewer cycles by the DVE cost model). A 1x3 kernel keeps one op per
// window tap and no row buffer.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%x: tensor<1x16x16x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x16x14x8xf32>) {
  // CHECK:      %[[IMG:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 324], f32, "sbuf">
  // CHECK:      %[[O:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 64], f32, "sbuf">
  // CHECK-NEXT: %[[ROWS:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 136], f32, "sbuf">
  // CHECK-NEXT: %[[W0:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 0 : i64, free_pattern = array<i64: 8, 2, 17, 18>, partition_offset = 0 : i64}
  // CHECK-NEXT: %[[W1:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 1 : i64, free_pattern = array<i64: 8, 2, 17, 18>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[W0]], %[[W1]], %[[ROWS]]) {op = "max"}
  // CHECK-NEXT: %[[W2:.*]] = "trn_tile.view"(%[[IMG]]) {free_offset = 2 : i64, free_pattern = array<i64: 8, 2, 17, 18>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[ROWS]], %[[W2]], %[[ROWS]]) {op = "max"}
  // CHECK-NEXT: %[[H0:.*]] = "trn_tile.view"(%[[ROWS]]) {free_offset = 0 : i64, free_pattern = array<i64: 8, 1, 8, 16>, partition_offset = 0 : i64}
  // CHECK-NEXT: %[[H1:.*]] = "trn_tile.view"(%[[ROWS]]) {free_offset = 8 : i64, free_pattern = array<i64: 8, 1, 8, 16>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[H0]], %[[H1]], %[[O]]) {op = "max"}
  // CHECK-NEXT: %[[H2:.*]] = "trn_tile.view"(%[[ROWS]]) {free_offset = 16 : i64, free_pattern = array<i64: 8, 1, 8, 16>, partition_offset = 0 : i64}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[O]], %[[H2]], %[[O]]) {op = "max"}
  // CHECK-NEXT: "trn_tile.dma"(%[[O]],
  %m = tosa.max_pool2d %x {kernel = array<i64: 3, 3>, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x16x16x8xf32>) -> tensor<1x8x8x8xf32>
  // CHECK:      %[[R:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 224], f32, "sbuf">
  // CHECK-NEXT: "trn_tile.view"
  // CHECK-NEXT: "trn_tile.view"
  // CHECK-NEXT: "trn_tile.tensor_tensor"({{.*}}, {{.*}}, %[[R]]) {op = "max"}
  // CHECK-NEXT: "trn_tile.view"
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[R]], {{.*}}, %[[R]]) {op = "max"}
  // CHECK-NEXT: "trn_tile.dma"(%[[R]],
  %r = tosa.max_pool2d %x {kernel = array<i64: 1, 3>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x16x16x8xf32>) -> tensor<1x16x14x8xf32>
  return %m, %r : tensor<1x8x8x8xf32>, tensor<1x16x14x8xf32>
}
