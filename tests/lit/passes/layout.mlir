// trn-layout: matmul results are feature-major (N on partitions, trn.pdim = 2);
// element-wise ops and unit-dim reshapes follow their on-chip operand; constants,
// inputs and their views (transpose of a weight) stay in HBM (no trn.pdim).
// RUN: trn-opt %S/Inputs/mlp_small.mlir --trn-layout | FileCheck %s

// CHECK-LABEL: func.func @main
// CHECK:      tosa.reshape %arg0 {new_shape = array<i64: 1, 4, 160>} :
// CHECK:      tosa.matmul {{.*}} {trn.pdim = 2 : i64} : (tensor<1x4x160xf32>, tensor<1x160x16xf32>)
// CHECK-NEXT: tosa.reshape {{.*}} {new_shape = array<i64: 4, 16>, trn.pdim = 1 : i64}
// CHECK:      tosa.add {{.*}} {trn.pdim = 1 : i64} : (tensor<4x16xf32>, tensor<1x16xf32>)
// CHECK-NEXT: tosa.clamp {{.*}}trn.pdim = 1 : i64
// CHECK:      tosa.transpose
// CHECK-NOT:  trn.pdim
// CHECK-SAME: -> tensor<16x3xf32>
// CHECK:      tosa.reshape {{.*}} {new_shape = array<i64: 1, 4, 16>, trn.pdim = 2 : i64}
// CHECK:      tosa.matmul {{.*}} {trn.pdim = 2 : i64} : (tensor<1x4x16xf32>, tensor<1x16x3xf32>)
// CHECK:      tosa.add {{.*}} {trn.pdim = 1 : i64} : (tensor<4x3xf32>, tensor<1x3xf32>)
// CHECK:      return
