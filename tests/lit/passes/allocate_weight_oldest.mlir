// trn-allocate: a buffer a weight load (a DMA from a constant) writes takes the free
// memory whose previous tiles were last used earliest, so that the load does not wait
// for a late reader (DMA queues run in order); other buffers keep the rotating cursor.
// Three 64 KiB tiles fill SBUF (a, long-lived, at the top; b at 0, c after it) and are
// last read in the order c, b, a; the cursor then stands after c, at a's memory (read
// last), where the weight does not go: it takes c's; the next activation load takes
// the cursor's.
// RUN: trn-opt %s --trn-allocate | FileCheck %s

!h = !trn_tile.tile<[16, 16384], f32, "hbm">
!s = !trn_tile.tile<[16, 16384], f32, "sbuf">

// CHECK-LABEL: func.func @main
func.func @main() {
  %x = "trn_tile.input"() {name = "x", index = 0 : i64} : () -> !h
  %y = "trn_tile.output"() {name = "y", index = 0 : i64} : () -> !h
  %k = "trn_tile.const"() {value = dense<1.0> : tensor<16x16384xf32>} : () -> !h
  // CHECK: "trn_tile.alloc"() {offset = 131072 : i64}
  %a = "trn_tile.alloc"() : () -> !s
  "trn_tile.dma"(%x, %a) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!h, !s) -> ()
  // CHECK: "trn_tile.alloc"() {offset = 0 : i64}
  %b = "trn_tile.alloc"() : () -> !s
  "trn_tile.dma"(%x, %b) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!h, !s) -> ()
  // CHECK: "trn_tile.alloc"() {offset = 65536 : i64}
  %c = "trn_tile.alloc"() : () -> !s
  "trn_tile.dma"(%x, %c) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!h, !s) -> ()
  "trn_tile.dma"(%c, %y) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!s, !h) -> ()
  "trn_tile.dma"(%b, %y) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!s, !h) -> ()
  "trn_tile.dma"(%a, %y) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!s, !h) -> ()
  // the weight: c's memory, freed first
  // CHECK: "trn_tile.alloc"() {offset = 65536 : i64}
  %w = "trn_tile.alloc"() : () -> !s
  "trn_tile.dma"(%k, %w) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!h, !s) -> ()
  // an activation load: the cursor
  // CHECK: "trn_tile.alloc"() {offset = 131072 : i64}
  %z = "trn_tile.alloc"() : () -> !s
  "trn_tile.dma"(%x, %z) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!h, !s) -> ()
  "trn_tile.dma"(%w, %y) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!s, !h) -> ()
  "trn_tile.dma"(%z, %y) {sizes = array<i64: 16, 16384>, src_offset = 0 : i64, src_strides = array<i64: 16384, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 16384, 1>} : (!s, !h) -> ()
  return
}
