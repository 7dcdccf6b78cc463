// A reshape that merges free dims of an on-chip value ([1, C, H, W] -> [1, C, H*W], as
// a global average pool imports) stays on chip: each tile covers whole rows of the
// merged dims, so the reshape relabels the tiles, and the reduction over H*W reads
// the convolution's result tile in place (no HBM scratch buffer, no DMA round trip).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK:     "trn_tile.activate"(%{{.*}}, %[[Y:[0-9]+]]) {{.*}}func = "copy"{{.*}}tile<[8, 25], f32, "sbuf">
// CHECK-NOT: "trn_tile.alloc"() : () -> !trn_tile.tile<{{.*}}"hbm">
// CHECK-NOT: "trn_tile.dma"
// CHECK:     %[[R:[0-9]+]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[8, 1], f32, "sbuf">
// CHECK-NEXT: "trn_tile.tensor_reduce"(%[[Y]], %[[R]]) {op = "add", sizes = array<i64: 1, 25, 1>}
// CHECK-NOT: "trn_tile.dma"
// CHECK:     "trn_tile.tensor_scalar"(%[[R]]
func.func @main(%x: tensor<1x5x5x8xf32>) -> tensor<1x8x1xf32> {
  %w0 = "tosa.const"() <{value = dense<0.5> : tensor<8x1x1x8xf32>}> : () -> tensor<8x1x1x8xf32>
  %b0 = "tosa.const"() <{value = dense<0.0> : tensor<8xf32>}> : () -> tensor<8xf32>
  %s = "tosa.const"() <{value = dense<0.04> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %p = "tosa.const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}> : () -> tensor<4xi32>
  %y = tosa.conv2d %x, %w0, %b0 {dilation = array<i64: 1, 1>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 1, 1>} : (tensor<1x5x5x8xf32>, tensor<8x1x1x8xf32>, tensor<8xf32>) -> tensor<1x5x5x8xf32>
  %t = tosa.transpose %y, %p : (tensor<1x5x5x8xf32>, tensor<4xi32>) -> tensor<1x8x5x5xf32>
  %r = tosa.reshape %t {new_shape = array<i64: 1, 8, 25>} : (tensor<1x8x5x5xf32>) -> tensor<1x8x25xf32>
  %m = tosa.reduce_sum %r {axis = 2 : i32} : (tensor<1x8x25xf32>) -> tensor<1x8x1xf32>
  %a = tosa.mul %m, %s {shift = 0 : i8} : (tensor<1x8x1xf32>, tensor<1x1x1xf32>) -> tensor<1x8x1xf32>
  return %a : tensor<1x8x1xf32>
}
