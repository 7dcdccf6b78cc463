func.func @bad() {
  %0 = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 8], f32, "dram">
  return
}
