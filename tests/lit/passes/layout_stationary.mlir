// trn-layout: a matmul result that (through element-wise ops and reshapes) is the
// second operand of another matmul, contracted along its M, gets M on partitions
// (trn.pdim = 1) so that it needs no layout change; the other matmul stays
// feature-major. Attention scores reduced along their last dim (a softmax) get M on
// partitions too: the reductions then run along the free axis.
// RUN: trn-opt %s --trn-layout | FileCheck %s

// CHECK-LABEL: func.func @main
func.func @main(%u: tensor<1x6x40xf32>, %v: tensor<1x40x24xf32>, %t: tensor<1x3x6xf32>) -> tensor<1x3x24xf32> {
  // CHECK: tosa.matmul %arg0, %arg1 {trn.pdim = 1 : i64}
  %h = tosa.matmul %u, %v : (tensor<1x6x40xf32>, tensor<1x40x24xf32>) -> tensor<1x6x24xf32>
  // CHECK: tosa.sigmoid {{.*}} {trn.pdim = 1 : i64}
  %s = tosa.sigmoid %h : (tensor<1x6x24xf32>) -> tensor<1x6x24xf32>
  // CHECK: tosa.matmul %arg2, {{.*}} {trn.pdim = 2 : i64}
  %y = tosa.matmul %t, %s : (tensor<1x3x6xf32>, tensor<1x6x24xf32>) -> tensor<1x3x24xf32>
  return %y : tensor<1x3x24xf32>
}
