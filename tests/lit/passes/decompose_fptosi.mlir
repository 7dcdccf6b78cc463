// trn-decompose: arith.fptosi (truncation) becomes tosa.cast (round to nearest even) of
// x - fmod(x, 1), which is integral.
// RUN: trn-opt %s --trn-decompose | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK:       %[[ONE:.*]] = "tosa.const"() <{value = dense<1.000000e+00> : tensor<2x3xf32>}>
// CHECK-NEXT:  %[[R:.*]] = arith.remf %arg0, %[[ONE]] : tensor<2x3xf32>
// CHECK-NEXT:  %[[T:.*]] = arith.subf %arg0, %[[R]] : tensor<2x3xf32>
// CHECK-NEXT:  %[[Y:.*]] = tosa.cast %[[T]] : (tensor<2x3xf32>) -> tensor<2x3xi32>
// CHECK-NOT:   arith.fptosi
// CHECK:       return %[[Y]]
func.func @main(%arg0: tensor<2x3xf32> {trn.name = "x"}) -> (tensor<2x3xi32> {trn.name = "y"}) {
  %0 = arith.fptosi %arg0 : tensor<2x3xf32> to tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}
