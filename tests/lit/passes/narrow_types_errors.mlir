// trn-narrow-types: an i64 constant with a value outside int32 is an error naming it.
// RUN: not trn-opt %s --trn-narrow-types 2>&1 | FileCheck %s

// CHECK: error: trn: i64 constant: element 1 = 4294967296 does not fit int32 (the ISA path computes i64 in int32)
func.func @main(%arg0: tensor<2xi64> {trn.name = "x"}) -> (tensor<2xi64> {trn.name = "y"}) {
  %0 = "tosa.const"() <{value = dense<[1, 4294967296]> : tensor<2xi64>}> : () -> tensor<2xi64>
  %1 = tosa.add %arg0, %0 : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %1 : tensor<2xi64>
}
