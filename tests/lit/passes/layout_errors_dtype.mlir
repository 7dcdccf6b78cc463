// RUN: not trn-opt %s --trn-layout 2>&1 | FileCheck %s

// CHECK: error: trn: result 0: only static ranked tensors of fp32/bf16/fp16/i32/i8/u8 are supported
func.func @main(%arg0: tensor<4x4xf32>) -> tensor<4x4xf64> {
  %0 = tosa.cast %arg0 : (tensor<4x4xf32>) -> tensor<4x4xf64>
  return %0 : tensor<4x4xf64>
}
