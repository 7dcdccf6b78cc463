// From -O2, trn-lower-to-tile moves the loads of a layer's weights (SBUF buffers
// written only by DMAs from constants) to the first matmul of the previous layer that
// uses the tensor engine, and marks them `prefetched` (trn-lower-to-isa joins such loads
// into longer DMA instructions). Here w2's loads move into the first matmul layer,
// ahead of its second output block. -O1 keeps every load in place.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s
// RUN: trn-opt %s -O1 --trn-layout --trn-lower-to-tile | FileCheck %s --check-prefix=O1

// CHECK-LABEL: func.func @main
// CHECK:       "trn_tile.matmul"
// CHECK:       "trn_tile.matmul"
// CHECK:       "trn_tile.dma"(%[[W2:[0-9]+]], %{{[0-9]+}}) {{.*}}prefetched = 1 : i64
// CHECK:       "trn_tile.matmul"
// CHECK:       "trn_tile.matmul"
// CHECK:       "trn_tile.matmul"
// CHECK:       "trn_tile.matmul"
// CHECK-NOT:   "trn_tile.dma"(%[[W2]],
// O1-LABEL:    func.func @main
// O1-NOT:      prefetched
func.func @main(%x: tensor<1x128x256xf32>) -> tensor<1x128x128xf32> {
  %w1 = "tosa.const"() <{value = dense<0.5> : tensor<1x256x256xf32>}> : () -> tensor<1x256x256xf32>
  %w2 = "tosa.const"() <{value = dense<0.25> : tensor<1x256x128xf32>}> : () -> tensor<1x256x128xf32>
  %h = tosa.matmul %x, %w1 : (tensor<1x128x256xf32>, tensor<1x256x256xf32>) -> tensor<1x128x256xf32>
  %y = tosa.matmul %h, %w2 : (tensor<1x128x256xf32>, tensor<1x256x128xf32>) -> tensor<1x128x128xf32>
  return %y : tensor<1x128x128xf32>
}
