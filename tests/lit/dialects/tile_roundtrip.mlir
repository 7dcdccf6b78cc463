// The trn_tile dialect parses, verifies and prints back (twice, to a fixed point).
// RUN: trn-opt %s | trn-opt | FileCheck %s

// CHECK-LABEL: func.func @tiles
func.func @tiles() {
  // CHECK: "trn_tile.input"() {index = 0 : i64, name = "x"} : () -> !trn_tile.tile<[8, 784], f32, "hbm">
  %x = "trn_tile.input"() {name = "x", index = 0 : i64} : () -> !trn_tile.tile<[8, 784], f32, "hbm">
  // CHECK: "trn_tile.output"() {index = 0 : i64, name = "y"} : () -> !trn_tile.tile<[8, 128], bf16, "hbm">
  %y = "trn_tile.output"() {name = "y", index = 0 : i64} : () -> !trn_tile.tile<[8, 128], bf16, "hbm">
  // CHECK: "trn_tile.const"() {hbm_offset = 64 : i64, value = dense<1.000000e+00> : tensor<128xf32>} : () -> !trn_tile.tile<[128], f32, "hbm">
  %b = "trn_tile.const"() {value = dense<1.0> : tensor<128xf32>, hbm_offset = 64 : i64} : () -> !trn_tile.tile<[128], f32, "hbm">
  // CHECK: "trn_tile.alloc"() {offset = 1024 : i64} : () -> !trn_tile.tile<[128, 8], f32, "sbuf">
  %xt = "trn_tile.alloc"() {offset = 1024 : i64} : () -> !trn_tile.tile<[128, 8], f32, "sbuf">
  %w = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 128], f32, "sbuf">
  %bt = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 1], f32, "sbuf">
  %p = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 8], f32, "psum">
  %h = "trn_tile.alloc"() : () -> !trn_tile.tile<[128, 8], bf16, "sbuf">
  // CHECK: "trn_tile.dma"(%{{.*}}, %{{.*}}) {dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>, sizes = array<i64: 128, 8>, src_offset = 0 : i64, src_strides = array<i64: 1, 784>}
  "trn_tile.dma"(%x, %xt) {sizes = array<i64: 128, 8>, src_offset = 0 : i64, src_strides = array<i64: 1, 784>, dst_offset = 0 : i64, dst_strides = array<i64: 8, 1>} : (!trn_tile.tile<[8, 784], f32, "hbm">, !trn_tile.tile<[128, 8], f32, "sbuf">) -> ()
  // CHECK: "trn_tile.matmul"(%{{.*}}, %{{.*}}, %{{.*}}) {accumulate = true}
  "trn_tile.matmul"(%w, %xt, %p) {accumulate = true} : (!trn_tile.tile<[128, 128], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "psum">) -> ()
  // CHECK: "trn_tile.activate"(%{{.*}}, %{{.*}}, %{{.*}}) {bias = 0.000000e+00 : f32, func = "relu", scale = 1.000000e+00 : f32}
  "trn_tile.activate"(%p, %h, %bt) {func = "relu", scale = 1.0 : f32, bias = 0.0 : f32} : (!trn_tile.tile<[128, 8], f32, "psum">, !trn_tile.tile<[128, 8], bf16, "sbuf">, !trn_tile.tile<[128, 1], f32, "sbuf">) -> ()
  // CHECK: "trn_tile.activate"(%{{.*}}, %{{.*}}) {bias = 5.000000e-01 : f32, func = "exp", scale = 2.000000e+00 : f32}
  "trn_tile.activate"(%p, %h) {func = "exp", scale = 2.0 : f32, bias = 0.5 : f32} : (!trn_tile.tile<[128, 8], f32, "psum">, !trn_tile.tile<[128, 8], bf16, "sbuf">) -> ()
  // CHECK: "trn_tile.tensor_tensor"(%{{.*}}, %{{.*}}, %{{.*}}) {op = "add"}
  "trn_tile.tensor_tensor"(%xt, %xt, %xt) {op = "add"} : (!trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "sbuf">) -> ()
  // CHECK: "trn_tile.tensor_scalar"(%{{.*}}, %{{.*}}) {op0 = "max", op1 = "min", scalar0 = 0.000000e+00 : f32, scalar1 = 6.000000e+00 : f32}
  "trn_tile.tensor_scalar"(%xt, %xt) {op0 = "max", scalar0 = 0.0 : f32, op1 = "min", scalar1 = 6.0 : f32} : (!trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "sbuf">) -> ()
  // CHECK: "trn_tile.copy"
  "trn_tile.copy"(%xt, %h) : (!trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], bf16, "sbuf">) -> ()
  // CHECK: "trn_tile.memset"(%{{.*}}) {value = 0.000000e+00 : f32}
  "trn_tile.memset"(%xt) {value = 0.0 : f32} : (!trn_tile.tile<[128, 8], f32, "sbuf">) -> ()
  // CHECK: "trn_tile.transpose"
  "trn_tile.transpose"(%xt, %p) : (!trn_tile.tile<[128, 8], f32, "sbuf">, !trn_tile.tile<[128, 8], f32, "psum">) -> ()
  return
}
