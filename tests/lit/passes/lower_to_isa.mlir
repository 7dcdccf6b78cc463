// trn-lower-to-isa: one trn_isa op per instruction. Tiles become access patterns
// (partitions [0, P), byte offset, contiguous free elements); DMAs become descriptors
// with byte addresses (SBUF: partition * 196608 + offset) and element steps, innermost
// first, each on the DMA queue where it is estimated to start first (loads spread
// over queues 4, 5, 6; the store, which waits for the activation anyway, goes back to
// the queue whose load has finished by then).
// RUN: trn-opt %s --trn-lower-to-isa | FileCheck %s

!hx = !trn_tile.tile<[4, 16], f32, "hbm">
!s = !trn_tile.tile<[16, 4], f32, "sbuf">
!w = !trn_tile.tile<[16, 8], f32, "sbuf">
!b = !trn_tile.tile<[8, 1], f32, "sbuf">
!p = !trn_tile.tile<[8, 4], f32, "psum">
!o = !trn_tile.tile<[8, 4], f32, "sbuf">

// CHECK-LABEL: func.func @main
func.func @main() {
  // CHECK: "trn_isa.input"() {hbm_offset = 0 : i64, index = 0 : i64, name = "x", type = tensor<4x16xf32>}
  %x = "trn_tile.input"() {name = "x", index = 0 : i64, hbm_offset = 0 : i64} : () -> !hx
  // CHECK: "trn_isa.output"() {hbm_offset = 256 : i64, index = 0 : i64, name = "y", type = tensor<4x8xf32>}
  %y = "trn_tile.output"() {name = "y", index = 0 : i64, hbm_offset = 256 : i64} : () -> !trn_tile.tile<[4, 8], f32, "hbm">
  // CHECK: "trn_isa.const"() {hbm_offset = 384 : i64, value = dense<5.000000e-01> : tensor<16x8xf32>}
  %w = "trn_tile.const"() {value = dense<0.5> : tensor<16x8xf32>, hbm_offset = 384 : i64} : () -> !trn_tile.tile<[16, 8], f32, "hbm">
  %c = "trn_tile.const"() {value = dense<0.25> : tensor<8xf32>, hbm_offset = 896 : i64} : () -> !trn_tile.tile<[8], f32, "hbm">
  %xt = "trn_tile.alloc"() {offset = 0 : i64} : () -> !s
  // x^T: partition k = column of x (step 1 element in HBM), free m = row (step 16).
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 0 : i64, dst_dtype = "fp32", dst_space = "sbuf", dst_step = array<i64: 1, 49152>, num = array<i64: 4, 16>, src_addr = 0 : i64, src_dtype = "fp32", src_space = "hbm", src_step = array<i64: 16, 1>}], stream = 4 : i64}
  "trn_tile.dma"(%x, %xt) {sizes = array<i64: 16, 4>, src_offset = 0 : i64, src_strides = array<i64: 1, 16>, dst_offset = 0 : i64, dst_strides = array<i64: 4, 1>} : (!hx, !s) -> ()
  %wt = "trn_tile.alloc"() {offset = 64 : i64} : () -> !w
  // Rows of the weight go to partitions (196608 bytes apart), so two dims remain.
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 64 : i64, {{.*}}num = array<i64: 8, 16>, src_addr = 384 : i64, {{.*}}src_step = array<i64: 1, 8>}], stream = 5 : i64}
  "trn_tile.dma"(%w, %wt) {sizes = array<i64: 16, 8>, src_offset = 0 : i64, src_strides = array<i64: 8, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>} : (!trn_tile.tile<[16, 8], f32, "hbm">, !w) -> ()
  %bt = "trn_tile.alloc"() {offset = 128 : i64} : () -> !b
  "trn_tile.dma"(%c, %bt) {sizes = array<i64: 8>, src_offset = 0 : i64, src_strides = array<i64: 1>, dst_offset = 0 : i64, dst_strides = array<i64: 1>} : (!trn_tile.tile<[8], f32, "hbm">, !b) -> ()
  %p = "trn_tile.alloc"() {offset = 2048 : i64} : () -> !p
  // CHECK: "trn_isa.matmul"() {dst = {dtype = "fp32", num = array<i64: 4>, offset = 2048 : i64, part = array<i64: 0, 8>, space = "psum", step = array<i64: 1>}, flags = ["acc"], src0 = {dtype = "fp32", num = array<i64: 8>, offset = 64 : i64, part = array<i64: 0, 16>, space = "sbuf", step = array<i64: 1>}, src1 = {dtype = "fp32", num = array<i64: 4>, offset = 0 : i64, part = array<i64: 0, 16>, space = "sbuf", step = array<i64: 1>}, stream = 0 : i64}
  "trn_tile.matmul"(%wt, %xt, %p) {accumulate = true} : (!w, !s, !p) -> ()
  %o = "trn_tile.alloc"() {offset = 192 : i64} : () -> !o
  // CHECK: "trn_isa.activate"() {dst = {{.*}}offset = 192 : i64, part = array<i64: 0, 8>, space = "sbuf"{{.*}}, imm = [2.000000e+00 : f32, 1.000000e+00 : f32], op0 = "sigmoid", src0 = {{.*}}space = "psum"{{.*}}, src1 = {dtype = "fp32", num = array<i64: 1>, offset = 128 : i64, part = array<i64: 0, 8>, space = "sbuf", step = array<i64: 1>}, stream = 1 : i64}
  "trn_tile.activate"(%p, %o, %bt) {func = "sigmoid", scale = 2.0 : f32, bias = 1.0 : f32} : (!p, !o, !b) -> ()
  // CHECK: "trn_isa.tensor_tensor"() {{.*}}op0 = "mul"{{.*}}stream = 2 : i64}
  "trn_tile.tensor_tensor"(%o, %o, %o) {op = "mul"} : (!o, !o, !o) -> ()
  // CHECK: "trn_isa.tensor_scalar"() {{.*}}imm = [0.000000e+00 : f32, 6.000000e+00 : f32], op0 = "max", op1 = "min"{{.*}}stream = 2 : i64}
  "trn_tile.tensor_scalar"(%o, %o) {op0 = "max", scalar0 = 0.0 : f32, op1 = "min", scalar1 = 6.0 : f32} : (!o, !o) -> ()
  // The store transposes back: SBUF partition n -> HBM column n.
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 256 : i64, dst_dtype = "fp32", dst_space = "hbm", dst_step = array<i64: 8, 1>, num = array<i64: 4, 8>, src_addr = 192 : i64, src_dtype = "fp32", src_space = "sbuf", src_step = array<i64: 1, 49152>}], stream = 4 : i64}
  "trn_tile.dma"(%o, %y) {sizes = array<i64: 8, 4>, src_offset = 0 : i64, src_strides = array<i64: 4, 1>, dst_offset = 0 : i64, dst_strides = array<i64: 1, 8>} : (!o, !trn_tile.tile<[4, 8], f32, "hbm">) -> ()
  // CHECK-NOT: trn_tile.
  // CHECK: return
  return
}
