// trn-allocate: a clear error when a tile does not fit.
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: error: trn: SBUF exhausted: a tile of 240000 bytes per partition does not fit (0 of 196608 bytes live)
func.func @main() {
  %a = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 60000], f32, "sbuf">
  "trn_tile.memset"(%a) {value = 0.0 : f32} : (!trn_tile.tile<[128, 60000], f32, "sbuf">) -> ()
  return
}
