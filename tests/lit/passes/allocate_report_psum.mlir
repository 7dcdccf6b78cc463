// trn-allocate: when all 8 PSUM banks hold live accumulators, the report lists them
// (bytes per partition, offset range in PSUM, node).
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: node 'mm8': error: trn: PSUM exhausted: all 8 banks hold live accumulators
// CHECK-NEXT: note: the tile: [128, 512] fp32
// CHECK-NEXT: note: PSUM per partition: needed one 2048-byte bank for 2048 bytes; 8 banks of 2048 are live, 0 free
// CHECK-NEXT: note: capacity: a matmul accumulator takes a whole bank, and all are held until their last use
// CHECK-NEXT: note: live PSUM tiles (largest first):
// CHECK-NEXT: note:   2048 bytes per partition at [0, 2048): node 'mm0'
// CHECK-NEXT: note:   2048 bytes per partition at [2048, 4096): node 'mm1'
// CHECK-NEXT: note:   2048 bytes per partition at [4096, 6144): node 'mm2'
// CHECK-NEXT: note:   2048 bytes per partition at [8192, 10240): node 'mm4'
// CHECK-NEXT: note:   2048 bytes per partition at [10240, 12288): node 'mm5'
// CHECK-NEXT: note:   2048 bytes per partition at [12288, 14336): node 'mm6'
// CHECK-NEXT: note:   2048 bytes per partition at [14336, 16384): node 'mm7'
// CHECK-NEXT: note:   512 bytes per partition at [6144, 6656): node 'mm3'
// CHECK-NOT: note:

!p = !trn_tile.tile<[128, 512], f32, "psum">
!q = !trn_tile.tile<[128, 128], f32, "psum">
func.func @main() {
  %p0 = "trn_tile.alloc"() : () -> !p loc("mm0")
  %p1 = "trn_tile.alloc"() : () -> !p loc("mm1")
  %p2 = "trn_tile.alloc"() : () -> !p loc("mm2")
  %p3 = "trn_tile.alloc"() : () -> !q loc("mm3")
  %p4 = "trn_tile.alloc"() : () -> !p loc("mm4")
  %p5 = "trn_tile.alloc"() : () -> !p loc("mm5")
  %p6 = "trn_tile.alloc"() : () -> !p loc("mm6")
  %p7 = "trn_tile.alloc"() : () -> !p loc("mm7")
  %p8 = "trn_tile.alloc"() : () -> !p loc("mm8")
  "trn_tile.memset"(%p0) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p1) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p2) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p3) {value = 0.0 : f32} : (!q) -> ()
  "trn_tile.memset"(%p4) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p5) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p6) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p7) {value = 0.0 : f32} : (!p) -> ()
  "trn_tile.memset"(%p8) {value = 0.0 : f32} : (!p) -> ()
  return
}
