// Free-axis reductions of an on-chip value work on its own tiles (no re-tiling
// through HBM): per-batch score tiles of a batched matmul give one [P, 1] result
// tile each, used by the broadcast sub as per-partition scalars (a softmax per head).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%q: tensor<2x16x8xf32>, %k: tensor<2x8x16xf32>) -> tensor<2x16x16xf32> {
  // CHECK:     "trn_tile.activate"(%{{.*}}, %[[S0:[0-9]+]]) {{.*}}func = "copy"
  // CHECK:     "trn_tile.activate"(%{{.*}}, %[[S1:[0-9]+]]) {{.*}}func = "copy"
  %s = tosa.matmul %q, %k : (tensor<2x16x8xf32>, tensor<2x8x16xf32>) -> tensor<2x16x16xf32>
  // CHECK-NOT: "trn_tile.dma"
  // CHECK:     %[[M0:[0-9]+]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 1], f32, "sbuf">
  // CHECK:     "trn_tile.tensor_reduce"(%[[S0]], %[[M0]]) {op = "max", sizes = array<i64: 1, 16, 1>}
  // CHECK:     %[[M1:[0-9]+]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[16, 1], f32, "sbuf">
  // CHECK:     "trn_tile.tensor_reduce"(%[[S1]], %[[M1]]) {op = "max", sizes = array<i64: 1, 16, 1>}
  %m = tosa.reduce_max %s {axis = 2 : i32} : (tensor<2x16x16xf32>) -> tensor<2x16x1xf32>
  // CHECK-NOT: "trn_tile.dma"
  // CHECK:     "trn_tile.tensor_tensor"(%[[S0]], %[[M0]], %{{.*}}) {op = "sub"}
  // CHECK:     "trn_tile.dma"
  // CHECK:     "trn_tile.tensor_tensor"(%[[S1]], %[[M1]], %{{.*}}) {op = "sub"}
  %d = tosa.sub %s, %m : (tensor<2x16x16xf32>, tensor<2x16x1xf32>) -> tensor<2x16x16xf32>
  return %d : tensor<2x16x16xf32>
}
