// trn-lower-to-tile: an op without a lowering is an error on that op.
// RUN: not trn-opt %s --trn-layout --trn-lower-to-tile 2>&1 | FileCheck %s

// CHECK: error: trn: no lowering to the ISA for 'tosa.argmax' yet
func.func @main(%arg0: tensor<4x8xf32>) -> tensor<4xi32> {
  %0 = tosa.argmax %arg0 {axis = 1 : i32} : (tensor<4x8xf32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}
