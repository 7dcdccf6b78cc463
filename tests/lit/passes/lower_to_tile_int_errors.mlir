// arith.shli on i8 tiles: the int32 result would saturate where shli wraps, so it is
// not lowered.
// RUN: not trn-opt %s --trn-layout --trn-lower-to-tile 2>&1 | FileCheck %s

// CHECK: error: trn: no lowering to the ISA for 'arith.shli' yet
func.func @main(%a: tensor<4x8xi8>, %b: tensor<4x8xi8>) -> tensor<4x8xi8> {
  %0 = arith.shli %a, %b : tensor<4x8xi8>
  return %0 : tensor<4x8xi8>
}
