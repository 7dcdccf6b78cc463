// Matmul operands that are slices / transposes of an on-chip value (HBM views of its
// scratch copy) are read from its tiles: the Q and K^T of a fused projection (features
// on partitions) are views of the projection's tile at partition offsets 0 and 32,
// not reloads of the scratch copy.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%x: tensor<1x16x32xf32>, %w: tensor<1x32x64xf32>) -> tensor<1x16x16xf32> {
  // CHECK:     "trn_tile.activate"(%{{.*}}, %[[QKV:[0-9]+]]) {{.*}}func = "copy"{{.*}}tile<[64, 16], f32, "sbuf">
  %qkv = tosa.matmul %x, %w : (tensor<1x16x32xf32>, tensor<1x32x64xf32>) -> tensor<1x16x64xf32>
  %q = tosa.slice %qkv {size = array<i64: 1, 16, 32>, start = array<i64: 0, 0, 0>} : (tensor<1x16x64xf32>) -> tensor<1x16x32xf32>
  %k = tosa.slice %qkv {size = array<i64: 1, 16, 32>, start = array<i64: 0, 0, 32>} : (tensor<1x16x64xf32>) -> tensor<1x16x32xf32>
  %p = "tosa.const"() <{value = dense<[0, 2, 1]> : tensor<3xi32>}> : () -> tensor<3xi32>
  %kt = tosa.transpose %k, %p : (tensor<1x16x32xf32>, tensor<3xi32>) -> tensor<1x32x16xf32>
  // CHECK:     %[[KT:[0-9]+]] = "trn_tile.view"(%[[QKV]]) {free_offset = 0 : i64, partition_offset = 32 : i64}
  // CHECK:     %[[QT:[0-9]+]] = "trn_tile.view"(%[[QKV]]) {free_offset = 0 : i64, partition_offset = 0 : i64}
  // CHECK-NOT: "trn_tile.dma"
  // CHECK:     "trn_tile.matmul"(%[[KT]], %[[QT]], %{{.*}})
  %s = tosa.matmul %q, %kt : (tensor<1x16x32xf32>, tensor<1x32x16xf32>) -> tensor<1x16x16xf32>
  return %s : tensor<1x16x16xf32>
}
