// trn-lower-to-tile: a gather whose axis does not fit its SBUF budget names the sizes.
// RUN: not trn-opt %s --trn-layout --trn-lower-to-tile 2>&1 | FileCheck %s

// CHECK: node 'g': error: trn: tosa.gather: more values along the gathered axis than one SBUF partition holds: 30000 values of 4 bytes (120000 bytes), a gather holds at most 98304 bytes per partition
func.func @main(%x: tensor<1x30000x4xf32> {trn.name = "x"}, %i: tensor<1x2xi32> {trn.name = "i"}) -> (tensor<1x2x4xf32> {trn.name = "y"}) {
  %y = tosa.gather %x, %i : (tensor<1x30000x4xf32>, tensor<1x2xi32>) -> tensor<1x2x4xf32> loc("g")
  return %y : tensor<1x2x4xf32>
}
