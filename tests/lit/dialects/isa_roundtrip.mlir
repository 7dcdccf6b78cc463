// The trn_isa dialect parses, verifies and prints back (twice, to a fixed point).
// RUN: trn-opt %s | trn-opt | FileCheck %s

// CHECK-LABEL: func.func @isa
func.func @isa() {
  // CHECK: "trn_isa.input"() {hbm_offset = 0 : i64, index = 0 : i64, name = "x", type = tensor<8x16xf32>}
  "trn_isa.input"() {name = "x", index = 0 : i64, type = tensor<8x16xf32>, hbm_offset = 0 : i64} : () -> ()
  // CHECK: "trn_isa.output"() {hbm_offset = 512 : i64, index = 0 : i64, name = "y", type = tensor<8x4xf32>}
  "trn_isa.output"() {name = "y", index = 0 : i64, type = tensor<8x4xf32>, hbm_offset = 512 : i64} : () -> ()
  // CHECK: "trn_isa.const"() {hbm_offset = 640 : i64, value = dense<2.500000e-01> : tensor<16x4xf32>}
  "trn_isa.const"() {value = dense<0.25> : tensor<16x4xf32>, hbm_offset = 640 : i64} : () -> ()
  // CHECK: "trn_isa.dma"() {descriptors = [{dst_addr = 0 : i64, dst_dtype = "fp32", dst_space = "sbuf", dst_step = array<i64: 1, 49152>, num = array<i64: 8, 16>, src_addr = 0 : i64, src_dtype = "fp32", src_space = "hbm", src_step = array<i64: 16, 1>}], signal = 4 : i64, stream = 4 : i64}
  "trn_isa.dma"() {stream = 4 : i64, signal = 4 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 0 : i64, dst_addr = 0 : i64, num = array<i64: 8, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK: "trn_isa.nop"() {stream = 0 : i64, wait = array<i64: 5, 1>}
  "trn_isa.nop"() {stream = 0 : i64, wait = array<i64: 5, 1>} : () -> ()
  // CHECK: "trn_isa.matmul"() {dst = {dtype = "fp32", num = array<i64: 8>, offset = 0 : i64, part = array<i64: 0, 4>, space = "psum", step = array<i64: 1>}, flags = ["acc"]
  "trn_isa.matmul"() {stream = 0 : i64, flags = ["acc"], wait = array<i64: 4, 1>, signal = 0 : i64,
      dst = {space = "psum", dtype = "fp32", part = array<i64: 0, 4>, offset = 0 : i64, num = array<i64: 8>, step = array<i64: 1>},
      src0 = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 64 : i64, num = array<i64: 4>, step = array<i64: 1>},
      src1 = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 0 : i64, num = array<i64: 8>, step = array<i64: 1>}} : () -> ()
  // CHECK: "trn_isa.activate"() {{.*}}imm = [1.000000e+00 : f32, 5.000000e-01 : f32], op0 = "relu"
  "trn_isa.activate"() {stream = 1 : i64, op0 = "relu", imm = [1.0 : f32, 0.5 : f32],
      dst = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 4>, offset = 128 : i64, num = array<i64: 8>, step = array<i64: 1>},
      src0 = {space = "psum", dtype = "fp32", part = array<i64: 0, 4>, offset = 0 : i64, num = array<i64: 8>, step = array<i64: 1>}} : () -> ()
  // CHECK: "trn_isa.tensor_scalar"() {{.*}}op0 = "max", op1 = "min"
  "trn_isa.tensor_scalar"() {stream = 2 : i64, op0 = "max", op1 = "min", imm = [0.0 : f32, 6.0 : f32],
      dst = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 4>, offset = 128 : i64, num = array<i64: 8>, step = array<i64: 1>},
      src0 = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 4>, offset = 128 : i64, num = array<i64: 8>, step = array<i64: 1>}} : () -> ()
  // CHECK: "trn_isa.halt"() {stream = 2 : i64}
  "trn_isa.halt"() {stream = 2 : i64} : () -> ()
  return
}
