// trn-allocate: a clear error when a tile does not fit: the one-line message, then a
// report of the tile, the SBUF totals and the cause (here capacity: the tile alone is
// larger than a partition).
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: error: trn: SBUF exhausted: a tile of 240000 bytes per partition does not fit (0 of 196608 bytes live)
// CHECK-NEXT: note: the tile: [128, 60000] fp32
// CHECK-NEXT: note: SBUF per partition: needed 240000, live 0 in 0 tiles, free 196608, largest free gap 196608
// CHECK-NEXT: note: capacity: the tile alone is larger than a partition's 196608 bytes of SBUF
// CHECK-NOT: note:
func.func @main() {
  %a = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 60000], f32, "sbuf">
  "trn_tile.memset"(%a) {value = 0.0 : f32} : (!trn_tile.tile<[128, 60000], f32, "sbuf">) -> ()
  return
}
