// trn-lower-to-isa: the transfers of one DMA round (the `round` attribute) are cut
// into pieces of at least 4 KiB, up to four per queue, and every piece joins the
// round's open instruction on its queue whatever its source: x (256 KiB, 64 pieces)
// and w (64 KiB, 16 pieces) become one instruction per queue, each with four pieces
// of x and one of w (one fixed cost per queue). Without the attribute the same loads
// take five instructions (x in four pieces, w in one).
// RUN: trn-opt %s --trn-lower-to-isa | FileCheck %s
// RUN: sed -e 's/, round = 1 : i64//' %s | trn-opt - --trn-lower-to-isa | FileCheck %s --check-prefix=NOROUND

!hx = !trn_tile.tile<[128, 512], f32, "hbm">
!hw = !trn_tile.tile<[128, 128], f32, "hbm">
!sx = !trn_tile.tile<[128, 512], f32, "sbuf">
!sw = !trn_tile.tile<[128, 128], f32, "sbuf">

// CHECK-LABEL: func.func @main
// CHECK:       "trn_isa.dma"() {descriptors = [{{{.*}}src_addr = 0 : i64{{.*}}src_addr = 65536 : i64{{.*}}src_addr = 131072 : i64{{.*}}src_addr = 196608 : i64{{.*}}src_addr = 262144 : i64{{[^{]*}}}]{{.*}}stream = 4 : i64}
// CHECK-COUNT-14: "trn_isa.dma"() {descriptors = [{{{[^{]*}}}, {{{[^{]*}}}, {{{[^{]*}}}, {{{[^{]*}}}, {{{[^{]*}}}]
// CHECK:       "trn_isa.dma"() {descriptors = [{{{.*}}src_addr = 61440 : i64{{.*}}src_addr = 323584 : i64{{[^{]*}}}]{{.*}}stream = 19 : i64}
// CHECK-NOT:   "trn_isa.dma"
// NOROUND-COUNT-5: "trn_isa.dma"
// NOROUND-NOT:     "trn_isa.dma"
func.func @main() {
  %x = "trn_tile.input"() {name = "x", index = 0 : i64, hbm_offset = 0 : i64} : () -> !hx
  %w = "trn_tile.input"() {name = "w", index = 1 : i64, hbm_offset = 262144 : i64} : () -> !hw
  %xs = "trn_tile.alloc"() {offset = 0 : i64} : () -> !sx
  %ws = "trn_tile.alloc"() {offset = 2048 : i64} : () -> !sw
  "trn_tile.dma"(%x, %xs) {sizes = array<i64: 128, 512>, src_offset = 0 : i64, src_strides = array<i64: 512, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 512, 1>, round = 1 : i64} : (!hx, !sx) -> ()
  "trn_tile.dma"(%w, %ws) {sizes = array<i64: 128, 128>, src_offset = 0 : i64, src_strides = array<i64: 128, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 128, 1>, round = 1 : i64} : (!hw, !sw) -> ()
  return
}
