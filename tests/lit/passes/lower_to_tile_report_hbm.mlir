// trn-lower-to-tile refuses a graph whose inputs, outputs and constants alone exceed
// HBM before tiling anything, with a report of the bytes of each kind and the
// largest tensors (inputs and outputs by trn.name, constants by node).
// RUN: not trn-opt %s --trn-layout --trn-lower-to-tile 2>&1 | FileCheck %s

// CHECK: error: trn: the model needs 51539607552 bytes of HBM, the target has 17179869184 (inputs, outputs and constants alone)
// CHECK-NEXT: note: HBM: needed 51539607552 bytes, trn1 has 17179869184: 34359738368 bytes (200.0%) over
// CHECK-NEXT: note:   inputs: 17179869184 bytes in 1
// CHECK-NEXT: note:   outputs: 17179869184 bytes in 1
// CHECK-NEXT: note:   constants: 17179869184 bytes in 1
// CHECK-NEXT: note: largest consumers of HBM:
// CHECK-NEXT: note:   input 'x': 17179869184 bytes
// CHECK-NEXT: note:   output 'y': 17179869184 bytes
// CHECK-NEXT: note:   constant node 'w': 17179869184 bytes
// CHECK-NOT: note:

func.func @main(%x: tensor<4x1073741824xf32> {trn.name = "x"}) -> (tensor<4x1073741824xf32> {trn.name = "y"}) {
  %w = "tosa.const"() {value = dense<1.0> : tensor<4x1073741824xf32>} : () -> tensor<4x1073741824xf32> loc("w")
  %y = tosa.add %x, %w : (tensor<4x1073741824xf32>, tensor<4x1073741824xf32>) -> tensor<4x1073741824xf32> loc("add")
  return %y : tensor<4x1073741824xf32>
}
