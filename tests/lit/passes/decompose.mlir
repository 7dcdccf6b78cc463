// trn-decompose: tosa.argmax becomes reduce_max, equal, select of an fp32 iota (K where
// no hit), reduce_min, cast and a reshape dropping the axis; the first maximum wins.
// RUN: trn-opt %s --trn-decompose | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK-DAG:   %[[IOTA:.*]] = "tosa.const"() <{value = dense<{{\[\[\[}}0.000000e+00], [1.000000e+00], [2.000000e+00]]]> : tensor<1x3x1xf32>}>
// CHECK-DAG:   %[[K:.*]] = "tosa.const"() <{value = dense<3.000000e+00> : tensor<1x1x1xf32>}>
// CHECK:       %[[M:.*]] = tosa.reduce_max %arg0 {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK:       %[[H:.*]] = tosa.equal %arg0, %[[M]] : (tensor<2x3x4xf32>, tensor<2x1x4xf32>) -> tensor<2x3x4xi1>
// CHECK:       %[[P:.*]] = tosa.select %[[H]], %[[IOTA]], %[[K]]
// CHECK:       %[[R:.*]] = tosa.reduce_min %[[P]] {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x1x4xf32>
// CHECK:       %[[C:.*]] = tosa.cast %[[R]] : (tensor<2x1x4xf32>) -> tensor<2x1x4xi32>
// CHECK:       %[[Y:.*]] = tosa.reshape %[[C]] {new_shape = array<i64: 2, 4>}
// CHECK-NOT:   tosa.argmax
// CHECK:       return %[[Y]]
func.func @main(%arg0: tensor<2x3x4xf32> {trn.name = "x"}) -> (tensor<2x4xi32> {trn.name = "y"}) {
  %0 = tosa.argmax %arg0 {axis = 1 : i32} : (tensor<2x3x4xf32>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}
