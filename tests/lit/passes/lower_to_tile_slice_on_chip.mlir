// A tosa.slice of an on-chip value along its free dims (the row and column a stride-2
// 1x1 convolution drops, as ResNet's downsample convolutions import) stays on chip:
// the tile that straddles the slice's edge is copied in part by an engine copy of a
// strided view (4 rows of 4 of the 5x5 tile), with no HBM scratch buffer and no DMA,
// and the stride-2 convolution then reads its windows from that tile in place.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK:     "trn_tile.activate"(%{{.*}}, %[[Y:[0-9]+]]) {{.*}}func = "copy"{{.*}}tile<[8, 25], f32, "sbuf">
// CHECK-NEXT: %[[V:[0-9]+]] = "trn_tile.view"(%[[Y]]) {free_offset = 0 : i64, free_pattern = array<i64: 4, 1, 4, 5>, partition_offset = 0 : i64}
// CHECK-NEXT: %[[S:[0-9]+]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 16], f32, "sbuf">
// CHECK-NEXT: "trn_tile.copy"(%[[V]], %[[S]])
// CHECK-NOT: "trn_tile.alloc"() : () -> !trn_tile.tile<{{.*}}"hbm">
// CHECK-NOT: "trn_tile.dma"(%[[Y]]
// CHECK:     %[[WIN:[0-9]+]] = "trn_tile.view"(%[[S]]) {free_offset = 0 : i64, free_pattern = array<i64: 2, 2, 2, 8>, partition_offset = 0 : i64}
// CHECK-NEXT: "trn_tile.matmul"(%{{.*}}, %[[WIN]], %{{.*}})
func.func @main(%x: tensor<1x5x5x8xf32>) -> tensor<1x2x2x4xf32> {
  %w0 = "tosa.const"() <{value = dense<0.5> : tensor<8x1x1x8xf32>}> : () -> tensor<8x1x1x8xf32>
  %w1 = "tosa.const"() <{value = dense<0.25> : tensor<4x1x1x8xf32>}> : () -> tensor<4x1x1x8xf32>
  %b0 = "tosa.const"() <{value = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %b1 = "tosa.const"() <{value = dense<0.0> : tensor<4xf32>}> : () -> tensor<4xf32>
  %y = tosa.conv2d %x, %w0, %b0 {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x5x5x8xf32>
  %s = tosa.slice %y {size = array<i64: 1, 4, 4, 8>, start = array<i64: 0, 0, 0, 0>} : (tensor<1x5x5x8xf32>) -> tensor<1x4x4x8xf32>
  %z = tosa.conv2d %s, %w1, %b1 {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x8xf32>, tensor<4x1x1x8xf32>, tensor<4xf32>) -> tensor<1x2x2x4xf32>
  return %z : tensor<1x2x2x4xf32>
}
