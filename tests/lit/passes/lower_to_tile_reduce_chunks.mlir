// A free-axis reduction of a row split over two matmul chunks (moving free size
// 512 + 88) is reduced per chunk tile and the partial results combined on DVE (no
// re-tiling of the row through HBM).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%x: tensor<1x4x8xf32>, %w: tensor<1x8x600xf32>) -> tensor<1x4x1xf32> {
  // CHECK:     "trn_tile.activate"(%{{.*}}, %[[Y0:[0-9]+]]) {{.*}}func = "copy"{{.*}}tile<[4, 512], f32, "sbuf">
  // CHECK:     "trn_tile.activate"(%{{.*}}, %[[Y1:[0-9]+]]) {{.*}}func = "copy"{{.*}}tile<[4, 88], f32, "sbuf">
  %y = tosa.matmul %x, %w : (tensor<1x4x8xf32>, tensor<1x8x600xf32>) -> tensor<1x4x600xf32>
  // CHECK-NOT: "trn_tile.dma"
  // CHECK:     "trn_tile.tensor_reduce"(%[[Y0]], %[[A:[0-9]+]]) {op = "add", sizes = array<i64: 1, 512, 1>}
  // CHECK:     "trn_tile.tensor_reduce"(%[[Y1]], %[[B:[0-9]+]]) {op = "add", sizes = array<i64: 1, 88, 1>}
  // CHECK:     "trn_tile.tensor_tensor"(%[[A]], %[[B]], %[[A]]) {op = "add"}
  // CHECK:     "trn_tile.dma"(%[[A]], %{{.*}})
  %s = tosa.reduce_sum %y {axis = 2 : i32} : (tensor<1x4x600xf32>) -> tensor<1x4x1xf32>
  return %s : tensor<1x4x1xf32>
}
