// trn-layout rejects tensors it cannot place: dynamic shapes, unsupported dtypes.
// RUN: not trn-opt %s --trn-layout 2>&1 | FileCheck %s

// CHECK: error: trn: argument 0: only static ranked tensors of fp32/bf16/fp16/i32/i8/u8 are supported
func.func @main(%arg0: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = tosa.abs %arg0 : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
