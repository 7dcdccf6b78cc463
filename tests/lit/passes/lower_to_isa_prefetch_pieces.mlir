// trn-lower-to-isa cuts a load into pieces of at least what a queue moves during a
// DMA's fixed cost (54,400 bytes on trn1), at most one per queue; a load trn-lower-to-tile
// prefetched a layer ahead (`prefetched`) into pieces of at least twice that: its
// consumers are a layer away, so fewer fixed costs matter more than its latency.
// 870,400 bytes: 16 pieces (one per queue) plain, 8 prefetched.
// RUN: trn-opt %s --trn-lower-to-isa | FileCheck %s --check-prefix=PLAIN
// RUN: sed -e 's/src_strides/prefetched = 1 : i64, src_strides/' %s | trn-opt --trn-lower-to-isa | FileCheck %s --check-prefix=PF

// PLAIN-COUNT-16: "trn_isa.dma"() {descriptors = [{{{[^{]*}}}]
// PLAIN-NOT:      "trn_isa.dma"

// PF-COUNT-8: "trn_isa.dma"() {descriptors = [{{{[^{]*}}}]
// PF-NOT:     "trn_isa.dma"

func.func @main() {
  %x = "trn_tile.input"() {name = "x", index = 0 : i64, hbm_offset = 0 : i64} : () -> !trn_tile.tile<[128, 1700], f32, "hbm">
  %s = "trn_tile.alloc"() {offset = 0 : i64} : () -> !trn_tile.tile<[128, 1700], f32, "sbuf">
  "trn_tile.dma"(%x, %s) {sizes = array<i64: 128, 1700>, src_offset = 0 : i64, src_strides = array<i64: 1700, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 1700, 1>} : (!trn_tile.tile<[128, 1700], f32, "hbm">, !trn_tile.tile<[128, 1700], f32, "sbuf">) -> ()
  return
}
