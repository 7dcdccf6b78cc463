// trn-narrow-types: i64 / f64 arguments, results, constants and values become i32 / f32
// (the ISA has neither); i64 constants are checked to fit int32; casts that became
// identities are left for canonicalize; ui64 is left alone.
// RUN: trn-opt %s --trn-narrow-types | FileCheck %s

// CHECK-LABEL: func.func @main(%arg0: tensor<4xi32> {trn.name = "x"}, %arg1: tensor<4xf32> {trn.name = "f"}, %arg2: tensor<2xui64> {trn.name = "u"}, %arg3: tensor<4xf32> {trn.name = "d"})
// CHECK-SAME:  -> (tensor<4xi32> {trn.name = "y"}, tensor<4xi32> {trn.name = "c"}, tensor<2xui64> {trn.name = "v"}, tensor<4xf32> {trn.name = "e"})
// CHECK:       "tosa.const"() <{value = dense<[1, -2, 2147483647, -2147483648]> : tensor<4xi32>}> : () -> tensor<4xi32>
// CHECK:       "tosa.const"() <{value = dense<3> : tensor<4xi32>}> : () -> tensor<4xi32>
// CHECK:       tosa.add %arg0, %{{.*}} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
// CHECK:       tosa.mul %{{.*}}, %{{.*}} {shift = 0 : i8} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
// CHECK:       tosa.cast %arg1 : (tensor<4xf32>) -> tensor<4xi32>
// CHECK:       %[[D:.*]] = tosa.cast %arg3 : (tensor<4xf32>) -> tensor<4xf32>
// CHECK:       %[[H:.*]] = "tosa.const"() <{value = dense<5.000000e-01> : tensor<4xf32>}> : () -> tensor<4xf32>
// CHECK:       %[[S:.*]] = tosa.add %[[D]], %[[H]] : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
// CHECK:       tosa.cast %[[S]] : (tensor<4xf32>) -> tensor<4xf32>
// CHECK:       return %{{.*}}, %{{.*}}, %arg2, %{{.*}} : tensor<4xi32>, tensor<4xi32>, tensor<2xui64>, tensor<4xf32>
func.func @main(%arg0: tensor<4xi64> {trn.name = "x"}, %arg1: tensor<4xf32> {trn.name = "f"}, %arg2: tensor<2xui64> {trn.name = "u"}, %arg3: tensor<4xf64> {trn.name = "d"})
    -> (tensor<4xi64> {trn.name = "y"}, tensor<4xi64> {trn.name = "c"}, tensor<2xui64> {trn.name = "v"}, tensor<4xf64> {trn.name = "e"}) {
  %0 = "tosa.const"() <{value = dense<[1, -2, 2147483647, -2147483648]> : tensor<4xi64>}> : () -> tensor<4xi64>
  %1 = "tosa.const"() <{value = dense<3> : tensor<4xi64>}> : () -> tensor<4xi64>
  %2 = tosa.add %arg0, %0 : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %3 = tosa.mul %2, %1 {shift = 0 : i8} : (tensor<4xi64>, tensor<4xi64>) -> tensor<4xi64>
  %4 = tosa.cast %arg1 : (tensor<4xf32>) -> tensor<4xi64>
  %5 = tosa.cast %arg3 : (tensor<4xf64>) -> tensor<4xf32>
  %6 = "tosa.const"() <{value = dense<0.5> : tensor<4xf32>}> : () -> tensor<4xf32>
  %7 = tosa.add %5, %6 : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %8 = tosa.cast %7 : (tensor<4xf32>) -> tensor<4xf64>
  return %3, %4, %arg2, %8 : tensor<4xi64>, tensor<4xi64>, tensor<2xui64>, tensor<4xf64>
}
