// trn-allocate: a program whose HBM buffers exceed the target's 16 GiB: the report
// gives the bytes of each kind and the largest buffers (inputs and outputs by name,
// constants and scratch buffers by node).
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: error: trn: the model needs 34363932736 bytes of HBM, the target has 17179869184
// CHECK-NEXT: note: HBM: needed 34363932736 bytes, trn1 has 17179869184: 17184063552 bytes (100.0%) over
// CHECK-NEXT: note:   inputs: 17179869184 bytes in 1
// CHECK-NEXT: note:   outputs: 17179869184 bytes in 1
// CHECK-NEXT: note:   constants: 64 bytes in 1
// CHECK-NEXT: note:   scratch buffers: 4194304 bytes in 1
// CHECK-NEXT: note: largest consumers of HBM:
// CHECK-NEXT: note:   input 'x': 17179869184 bytes
// CHECK-NEXT: note:   output 'y': 17179869184 bytes
// CHECK-NEXT: note:   scratch node 'spill': 4194304 bytes
// CHECK-NEXT: note:   constant node 'w': 64 bytes
// CHECK-NOT: note:

!big = !trn_tile.tile<[4, 1073741824], f32, "hbm">
func.func @main() {
  %x = "trn_tile.input"() {name = "x", index = 0 : i64} : () -> !big loc("x")
  %y = "trn_tile.output"() {name = "y", index = 0 : i64} : () -> !big loc("y")
  %w = "trn_tile.const"() {value = dense<1.0> : tensor<16xf32>} : () -> !trn_tile.tile<[16], f32, "hbm"> loc("w")
  %s = "trn_tile.alloc"() : () -> !trn_tile.tile<[1024, 1024], f32, "hbm"> loc("spill")
  return
}
