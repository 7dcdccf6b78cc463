// trn-allocate: when SBUF is full, the report lists the live tiles, largest first
// (the top 8, then how many more), each with its bytes per partition, its offset
// range and the node it belongs to (its location), and says the cause: capacity.
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: node 'sm': error: trn: SBUF exhausted: a tile of 48000 bytes per partition does not fit (163840 of 196608 bytes live)
// CHECK-NEXT: note: the tile: [128, 12000] fp32
// CHECK-NEXT: note: SBUF per partition: needed 48000, live 163840 in 10 tiles, free 32768, largest free gap 32768
// CHECK-NEXT: note: capacity: the live tiles leave 32768 bytes free, 15232 short
// CHECK-NEXT: note: live SBUF tiles (largest first):
// CHECK-NEXT: note:   16384 bytes per partition at [{{[0-9]+}}, {{[0-9]+}}): node 't{{[0-9]}}'
// CHECK-COUNT-7: note:   16384 bytes per partition at [{{[0-9]+}}, {{[0-9]+}}): node 't{{[0-9]}}'
// CHECK-NEXT: note:   ... 2 more: 32768 bytes per partition
// CHECK-NOT: note:

!s = !trn_tile.tile<[128, 4096], f32, "sbuf">
!b = !trn_tile.tile<[128, 12000], f32, "sbuf">
func.func @main() {
  %t0 = "trn_tile.alloc"() : () -> !s loc("t0")
  %t1 = "trn_tile.alloc"() : () -> !s loc("t1")
  %t2 = "trn_tile.alloc"() : () -> !s loc("t2")
  %t3 = "trn_tile.alloc"() : () -> !s loc("t3")
  %t4 = "trn_tile.alloc"() : () -> !s loc("t4")
  %t5 = "trn_tile.alloc"() : () -> !s loc("t5")
  %t6 = "trn_tile.alloc"() : () -> !s loc("t6")
  %t7 = "trn_tile.alloc"() : () -> !s loc("t7")
  %t8 = "trn_tile.alloc"() : () -> !s loc("t8")
  %t9 = "trn_tile.alloc"() : () -> !s loc("t9")
  %big = "trn_tile.alloc"() : () -> !b loc("sm")
  "trn_tile.memset"(%t0) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t1) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t2) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t3) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t4) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t5) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t6) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t7) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t8) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%t9) {value = 0.0 : f32} : (!s) -> ()
  "trn_tile.memset"(%big) {value = 0.0 : f32} : (!b) -> ()
  return
}
