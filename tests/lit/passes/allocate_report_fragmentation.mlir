// trn-allocate: a tile that fails although enough SBUF is free is reported as
// fragmentation. 'a' (short-lived) was at [0, 60032), 'b' after it at the cursor,
// 'c' (long-lived) at the top: 'd' needs 64000 bytes, 106560 are free, in gaps of
// 60032 and 46528.
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: node 'd': error: trn: SBUF exhausted: a tile of 64000 bytes per partition does not fit (90048 of 196608 bytes live)
// CHECK-NEXT: note: the tile: [128, 16000] fp32
// CHECK-NEXT: note: SBUF per partition: needed 64000, live 90048 in 2 tiles, free 106560, largest free gap 60032
// CHECK-NEXT: note: fragmentation: 106560 bytes are free, but in gaps of at most 60032
// CHECK-NEXT: note: live SBUF tiles (largest first):
// CHECK-NEXT: note:   60032 bytes per partition at [60032, 120064): node 'b'
// CHECK-NEXT: note:   30016 bytes per partition at [166592, 196608): node 'c'
// CHECK-NOT: note:

!ab = !trn_tile.tile<[128, 15000], f32, "sbuf">
!c = !trn_tile.tile<[128, 7500], f32, "sbuf">
!d = !trn_tile.tile<[128, 16000], f32, "sbuf">
!f = !trn_tile.tile<[128, 10000], f32, "sbuf">
func.func @main() {
  %a = "trn_tile.alloc"() : () -> !ab loc("a")
  "trn_tile.memset"(%a) {value = 0.0 : f32} : (!ab) -> ()
  %b = "trn_tile.alloc"() : () -> !ab loc("b")
  "trn_tile.memset"(%b) {value = 0.0 : f32} : (!ab) -> ()
  %c = "trn_tile.alloc"() : () -> !c loc("c")
  "trn_tile.memset"(%c) {value = 0.0 : f32} : (!c) -> ()
  %d = "trn_tile.alloc"() : () -> !d loc("d")
  "trn_tile.memset"(%d) {value = 0.0 : f32} : (!d) -> ()
  "trn_tile.memset"(%b) {value = 0.0 : f32} : (!ab) -> ()
  %f = "trn_tile.alloc"() : () -> !f loc("f")
  "trn_tile.memset"(%f) {value = 0.0 : f32} : (!f) -> ()
  "trn_tile.memset"(%c) {value = 0.0 : f32} : (!c) -> ()
  return
}
