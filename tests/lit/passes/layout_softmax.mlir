// trn-layout: attention scores q k, reduced along their last dim by a softmax, get M on
// partitions (trn.pdim = 1); the reductions keep it (off their axis); the element-wise
// ops follow their on-chip operand.
// RUN: trn-opt %s --trn-layout | FileCheck %s

// CHECK-LABEL: func.func @main
func.func @main(%q: tensor<1x64x32xf32>, %k: tensor<1x32x200xf32>) -> tensor<1x64x200xf32> {
  // CHECK: tosa.matmul {{.*}} {trn.pdim = 1 : i64}
  %s = tosa.matmul %q, %k : (tensor<1x64x32xf32>, tensor<1x32x200xf32>) -> tensor<1x64x200xf32>
  // CHECK: tosa.reduce_max {{.*}} {axis = 2 : i32, trn.pdim = 1 : i64}
  %m = tosa.reduce_max %s {axis = 2 : i32} : (tensor<1x64x200xf32>) -> tensor<1x64x1xf32>
  // CHECK: tosa.sub {{.*}} {trn.pdim = 1 : i64}
  %d = tosa.sub %s, %m : (tensor<1x64x200xf32>, tensor<1x64x1xf32>) -> tensor<1x64x200xf32>
  // CHECK: tosa.exp {{.*}} {trn.pdim = 1 : i64}
  %e = tosa.exp %d : (tensor<1x64x200xf32>) -> tensor<1x64x200xf32>
  return %e : tensor<1x64x200xf32>
}
