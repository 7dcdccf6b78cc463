// trn-allocate: HBM offsets (inputs, outputs, constants; 64-byte aligned), SBUF
// offsets by liveness with a rotating cursor (a freed buffer is reused as late as
// possible), PSUM by whole 2 KiB banks.
// RUN: trn-opt %s --trn-allocate | FileCheck %s

!hx = !trn_tile.tile<[4, 16], f32, "hbm">
!s = !trn_tile.tile<[16, 4], f32, "sbuf">
!p = !trn_tile.tile<[16, 4], f32, "psum">

// CHECK: module attributes {trn.hbm_size = 576 : i64, trn.target = "trn1"}
// CHECK-LABEL: func.func @main
func.func @main() {
  // CHECK: "trn_tile.input"() {hbm_offset = 0 : i64
  %x = "trn_tile.input"() {name = "x", index = 0 : i64} : () -> !hx
  // CHECK: "trn_tile.output"() {hbm_offset = 256 : i64
  %y = "trn_tile.output"() {name = "y", index = 0 : i64} : () -> !hx
  // CHECK: "trn_tile.const"() {hbm_offset = 512 : i64
  %c = "trn_tile.const"() {value = dense<1.0> : tensor<16xf32>} : () -> !trn_tile.tile<[16], f32, "hbm">
  // CHECK: "trn_tile.alloc"() {offset = 0 : i64} : () -> !trn_tile.tile<[16, 4], f32, "sbuf">
  %a = "trn_tile.alloc"() : () -> !s
  "trn_tile.dma"(%x, %a) {sizes = array<i64: 16, 4>, src_offset = 0 : i64, src_strides = array<i64: 1, 16>, dst_offset = 0 : i64, dst_strides = array<i64: 4, 1>} : (!hx, !s) -> ()
  // CHECK: "trn_tile.alloc"() {offset = 0 : i64} : () -> !trn_tile.tile<[16, 4], f32, "psum">
  %p = "trn_tile.alloc"() : () -> !p
  "trn_tile.matmul"(%a, %a, %p) {accumulate = false} : (!s, !s, !p) -> ()
  // CHECK: "trn_tile.alloc"() {offset = 64 : i64} : () -> !trn_tile.tile<[16, 4], f32, "sbuf">
  %b = "trn_tile.alloc"() : () -> !s
  "trn_tile.activate"(%p, %b) {func = "copy", scale = 1.0 : f32, bias = 0.0 : f32} : (!p, !s) -> ()
  // %a and %p are dead here, but the cursor moves on: SBUF 128, PSUM bank 1.
  // CHECK: "trn_tile.alloc"() {offset = 2048 : i64} : () -> !trn_tile.tile<[16, 4], f32, "psum">
  %q = "trn_tile.alloc"() : () -> !p
  "trn_tile.matmul"(%b, %b, %q) {accumulate = false} : (!s, !s, !p) -> ()
  // CHECK: "trn_tile.alloc"() {offset = 128 : i64} : () -> !trn_tile.tile<[16, 4], f32, "sbuf">
  %d = "trn_tile.alloc"() : () -> !s
  "trn_tile.activate"(%q, %d) {func = "relu", scale = 1.0 : f32, bias = 0.0 : f32} : (!p, !s) -> ()
  "trn_tile.dma"(%d, %y) {sizes = array<i64: 16, 4>, src_offset = 0 : i64, src_strides = array<i64: 4, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 1, 16>} : (!s, !hx) -> ()
  return
}
