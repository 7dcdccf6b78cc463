// A batched operand needed with its other dim on partitions is transposed per batch
// on the tensor engine (attention probabilities with queries on partitions, as the
// moving operand of probs x V needs keys there): per batch a TRANSPOSE of its 2-D
// tile into PSUM, evicted by ACT, instead of a round trip through HBM.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%q: tensor<2x16x8xf32>, %k: tensor<2x8x16xf32>, %v: tensor<2x16x8xf32>) -> tensor<2x16x8xf32> {
  %s = tosa.matmul %q, %k : (tensor<2x16x8xf32>, tensor<2x8x16xf32>) -> tensor<2x16x16xf32>
  %m = tosa.reduce_max %s {axis = 2 : i32} : (tensor<2x16x16xf32>) -> tensor<2x16x1xf32>
  // CHECK:     "trn_tile.tensor_tensor"(%{{.*}}, %{{.*}}, %[[D0:[0-9]+]]) {op = "sub"}
  // CHECK:     "trn_tile.tensor_tensor"(%{{.*}}, %{{.*}}, %[[D1:[0-9]+]]) {op = "sub"}
  %d = tosa.sub %s, %m : (tensor<2x16x16xf32>, tensor<2x16x1xf32>) -> tensor<2x16x16xf32>
  // CHECK:     "trn_tile.transpose"(%[[D0]], %[[P0:[0-9]+]]) : (!trn_tile.tile<[16, 16], f32, "sbuf">, !trn_tile.tile<[16, 16], f32, "psum">)
  // CHECK:     "trn_tile.activate"(%[[P0]], %[[T0:[0-9]+]]) {{.*}}func = "copy"
  // CHECK:     "trn_tile.transpose"(%[[D1]], %[[P1:[0-9]+]])
  // CHECK:     "trn_tile.activate"(%[[P1]], %[[T1:[0-9]+]]) {{.*}}func = "copy"
  // CHECK:     "trn_tile.matmul"(%{{.*}}, %[[T0]], %{{.*}})
  // CHECK:     "trn_tile.matmul"(%{{.*}}, %[[T1]], %{{.*}})
  %o = tosa.matmul %d, %v : (tensor<2x16x16xf32>, tensor<2x16x8xf32>) -> tensor<2x16x8xf32>
  return %o : tensor<2x16x8xf32>
}
