// A softmax along the free axis: trn-layout keeps the rows on partitions (pdim 0,
// off the reduced axis); each reduction is one TENSOR_REDUCE over [outer, axis, inner]
// and the reduced [P, 1] tiles are per-partition scalars of the broadcast sub and mul.
// The input tile is loaded once for both of its uses.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%x: tensor<6x300xf32>) -> tensor<6x300xf32> {
  // CHECK:     %[[X:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[6, 300], f32, "sbuf">
  // CHECK:     "trn_tile.dma"
  // CHECK:     %[[M:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[6, 1], f32, "sbuf">
  // CHECK:     "trn_tile.tensor_reduce"(%[[X]], %[[M]]) {op = "max", sizes = array<i64: 1, 300, 1>}
  %m = tosa.reduce_max %x {axis = 1 : i32} : (tensor<6x300xf32>) -> tensor<6x1xf32>
  // CHECK:     %[[D:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[6, 300], f32, "sbuf">
  // CHECK:     "trn_tile.tensor_tensor"(%[[X]], %[[M]], %[[D]]) {op = "sub"}
  %d = tosa.sub %x, %m : (tensor<6x300xf32>, tensor<6x1xf32>) -> tensor<6x300xf32>
  // CHECK:     "trn_tile.activate"(%[[D]], %[[E:.*]]) {{.*}}func = "exp"
  %e = tosa.exp %d : (tensor<6x300xf32>) -> tensor<6x300xf32>
  // CHECK:     "trn_tile.tensor_reduce"(%[[E]], %[[Z:.*]]) {op = "add", sizes = array<i64: 1, 300, 1>}
  %z = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<6x300xf32>) -> tensor<6x1xf32>
  // CHECK:     "trn_tile.activate"(%[[Z]], %[[R:.*]]) {{.*}}func = "reciprocal"
  %r = tosa.reciprocal %z : (tensor<6x1xf32>) -> tensor<6x1xf32>
  // CHECK:     "trn_tile.tensor_tensor"(%[[E]], %[[R]], %[[Y:.*]]) {op = "mul"}
  %y = tosa.mul %e, %r {shift = 0 : i8} : (tensor<6x300xf32>, tensor<6x1xf32>) -> tensor<6x300xf32>
  // CHECK:     "trn_tile.dma"(%[[Y]], %{{.*}})
  // CHECK-NEXT: return
  return %y : tensor<6x300xf32>
}
