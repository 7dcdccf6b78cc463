// trn-lower-to-isa needs placed buffers.
// RUN: not trn-opt %s --trn-lower-to-isa 2>&1 | FileCheck %s

// CHECK: error: trn: buffer has no 'offset': run trn-allocate first
func.func @main() {
  %a = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 8], f32, "sbuf">
  "trn_tile.memset"(%a) {value = 0.0 : f32} : (!trn_tile.tile<[128, 8], f32, "sbuf">) -> ()
  return
}
