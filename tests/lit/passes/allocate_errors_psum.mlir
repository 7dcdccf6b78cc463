// trn-allocate: a PSUM tile must fit one bank (a matmul accumulates inside a bank).
// RUN: not trn-opt %s --trn-allocate 2>&1 | FileCheck %s

// CHECK: error: trn: PSUM tile of 4096 bytes per partition exceeds a 2048-byte bank
func.func @main() {
  %a = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 1024], f32, "psum">
  "trn_tile.memset"(%a) {value = 0.0 : f32} : (!trn_tile.tile<[128, 1024], f32, "psum">) -> ()
  return
}
