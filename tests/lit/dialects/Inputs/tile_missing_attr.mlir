func.func @bad(%a: !trn_tile.tile<[128, 8], f32, "sbuf">, %p: !trn_tile.tile<[8, 8], f32, "psum">) {
  "trn_tile.matmul"(%a, %a, %p) : (!trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[8, 8], f32, "psum">) -> ()
  return
}
