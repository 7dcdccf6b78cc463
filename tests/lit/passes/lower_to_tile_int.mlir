// Integer ops that the vector engine's int32 ALU matches exactly on i32 tiles:
// arith.remsi is fmod (the truncated remainder), arith.shli is shl. On i8/u8 tiles (a
// saturating store, where they wrap) they stay unlowered.
// RUN: trn-opt %s --trn-layout --trn-lower-to-tile | FileCheck %s

// CHECK-LABEL: func.func @main()
// CHECK:      "trn_tile.tensor_tensor"(%{{.*}}, %{{.*}}, %{{.*}}) {op = "fmod"} : (!trn_tile.tile<[8, 4], i32, "sbuf">
// CHECK:      "trn_tile.tensor_tensor"(%{{.*}}, %{{.*}}, %{{.*}}) {op = "shl"} : (!trn_tile.tile<[8, 4], i32, "sbuf">
func.func @main(%a: tensor<4x8xi32>, %b: tensor<4x8xi32>) -> (tensor<4x8xi32>, tensor<4x8xi32>) {
  %0 = arith.remsi %a, %b : tensor<4x8xi32>
  %1 = arith.shli %a, %b : tensor<4x8xi32>
  return %0, %1 : tensor<4x8xi32>, tensor<4x8xi32>
}
