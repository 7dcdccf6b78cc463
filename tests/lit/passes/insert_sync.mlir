// trn-insert-sync: a consumer on another stream waits for the latest conflicting
// producer of each stream (RAW, WAR, WAW); the producer signals its stream's
// semaphore (semaphore = stream number) and the wait value counts its signals, or,
// when the consumer is its only waiter, a group semaphore shared with the consumer's
// other such producers (insert_sync_groups.mlir). A second wait goes on a NOP before
// the consumer; same-stream order needs nothing.
// RUN: trn-opt %s --trn-insert-sync | FileCheck %s

#x = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 0 : i64, num = array<i64: 4>, step = array<i64: 1>}
#w = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 64 : i64, num = array<i64: 8>, step = array<i64: 1>}
#p = {space = "psum", dtype = "fp32", part = array<i64: 0, 8>, offset = 0 : i64, num = array<i64: 4>, step = array<i64: 1>}
#o = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 8>, offset = 256 : i64, num = array<i64: 4>, step = array<i64: 1>}

// CHECK-LABEL: func.func @main
func.func @main() {
  // CHECK: "trn_isa.dma"() {{.*}}signal = 20 : i64, stream = 4 : i64}
  "trn_isa.dma"() {stream = 4 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 0 : i64, dst_addr = 0 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK: "trn_isa.dma"() {{.*}}signal = 20 : i64, stream = 5 : i64}
  "trn_isa.dma"() {stream = 5 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 256 : i64, dst_addr = 64 : i64, num = array<i64: 8, 16>, src_step = array<i64: 1, 8>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // The matmul reads both loads, which nothing else waits for: they signal group
  // semaphore 20 and the matmul waits for both signals, without a NOP.
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}stream = 0 : i64, wait = array<i64: 20, 2>}
  "trn_isa.matmul"() {stream = 0 : i64, dst = #p, src0 = #w, src1 = #x} : () -> ()
  // Same engine: program order, no wait.
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}signal = 0 : i64{{.*}}stream = 0 : i64}
  "trn_isa.matmul"() {stream = 0 : i64, flags = ["acc"], dst = #p, src0 = #w, src1 = #x} : () -> ()
  // ACT reads PSUM after both matmuls: it waits for the second matmul, the first
  // instruction of the PE that signals (semaphore 0 >= 1).
  // CHECK-NEXT: "trn_isa.activate"() {{.*}}signal = 1 : i64{{.*}}stream = 1 : i64, wait = array<i64: 0, 1>}
  "trn_isa.activate"() {stream = 1 : i64, op0 = "relu", imm = [1.0 : f32], dst = #o, src0 = #p} : () -> ()
  // Overwriting the x tile (WAR against the matmuls, WAW against the first load): one
  // wait on the PE, which had itself waited for the load.
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}stream = 6 : i64, wait = array<i64: 0, 1>}
  "trn_isa.dma"() {stream = 6 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 512 : i64, dst_addr = 0 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // The store reads the activation's output.
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}stream = 7 : i64, wait = array<i64: 1, 1>}
  "trn_isa.dma"() {stream = 7 : i64, descriptors = [{src_space = "sbuf", dst_space = "hbm", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 256 : i64, dst_addr = 1024 : i64, num = array<i64: 4, 8>, src_step = array<i64: 1, 49152>, dst_step = array<i64: 8, 1>}]} : () -> ()
  return
}
