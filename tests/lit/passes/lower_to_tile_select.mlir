// Comparisons, logical ops and select on the vector engine (booleans are u8 tiles):
// a scalar on the left of a comparison mirrors it (0 > x is x < 0); select is
// select(c, a, 0) + select(c == 0, b, 0); floor is x - mod(x, 1); a vector reduced
// to one element goes across partitions (PARTITION_REDUCE on the GpSimd engine).
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
func.func @main(%x: tensor<6x20xf32>, %v: tensor<200xf32>) -> (tensor<6x20xf32>, tensor<1xf32>) {
  %zero = "tosa.const"() <{value = dense<0.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %slope = "tosa.const"() <{value = dense<0.01> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  // CHECK: %[[C:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[20, 6], ui8, "sbuf">
  // CHECK: "trn_tile.tensor_scalar"(%[[X:.*]], %[[C]]) {op0 = "lt", op1 = "bypass", scalar0 = 0.000000e+00 : f32
  %c = tosa.greater %zero, %x : (tensor<1x1xf32>, tensor<6x20xf32>) -> tensor<6x20xi1>
  // CHECK: "trn_tile.tensor_scalar"(%[[X]], %[[M:.*]]) {op0 = "mul", op1 = "bypass", scalar0 = 0.00999999977 : f32
  %m = tosa.mul %x, %slope {shift = 0 : i8} : (tensor<6x20xf32>, tensor<1x1xf32>) -> tensor<6x20xf32>
  // CHECK:      "trn_tile.select"(%[[C]], %[[M]], %[[S1:.*]]) {otherwise = 0.000000e+00 : f32}
  // CHECK-NEXT: "trn_tile.tensor_scalar"(%[[C]], %[[NC:.*]]) {op0 = "eq", op1 = "bypass", scalar0 = 0.000000e+00 : f32
  // CHECK-NEXT: "trn_tile.select"(%[[NC]], %[[X]], %[[S2:.*]]) {otherwise = 0.000000e+00 : f32}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[S1]], %[[S2]], %[[L:.*]]) {op = "add"}
  %l = tosa.select %c, %m, %x : (tensor<6x20xi1>, tensor<6x20xf32>, tensor<6x20xf32>) -> tensor<6x20xf32>
  // CHECK:      "trn_tile.tensor_scalar"(%[[L]], %[[R:.*]]) {op0 = "mod", op1 = "bypass", scalar0 = 1.000000e+00 : f32
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[L]], %[[R]], %{{.*}}) {op = "sub"}
  %f = tosa.floor %l : (tensor<6x20xf32>) -> tensor<6x20xf32>
  // CHECK:      %[[ACC:.*]] = "trn_tile.alloc"() : () -> !trn_tile.tile<[1, 1], f32, "sbuf">
  // CHECK:      "trn_tile.partition_reduce"(%{{.*}}, %[[ACC]]) {op = "max"}
  // CHECK:      "trn_tile.partition_reduce"(%{{.*}}, %[[P:.*]]) {op = "max"}
  // CHECK-NEXT: "trn_tile.tensor_tensor"(%[[ACC]], %[[P]], %[[ACC]]) {op = "max"}
  %r = tosa.reduce_max %v {axis = 0 : i32} : (tensor<200xf32>) -> tensor<1xf32>
  return %f, %r : tensor<6x20xf32>, tensor<1xf32>
}
