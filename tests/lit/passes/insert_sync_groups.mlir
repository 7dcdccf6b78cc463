// trn-insert-sync, group signals: the producers on several streams of one consumer
// that no other instruction waits for all signal one group semaphore (above the 20
// per-stream ones) and the consumer waits for their count, instead of running a NOP
// per extra stream. A later group may reuse the semaphore only if each of its
// producers is known to start after every producer of the semaphore's last group.
// Other instructions may wait for the group too if each waits for all its producers.
// RUN: trn-opt %s --trn-insert-sync | FileCheck %s

#x = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 0 : i64, num = array<i64: 4>, step = array<i64: 1>}
#w = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 64 : i64, num = array<i64: 8>, step = array<i64: 1>}
#y = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 128 : i64, num = array<i64: 4>, step = array<i64: 1>}
#z = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 160 : i64, num = array<i64: 8>, step = array<i64: 1>}
#o = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 256 : i64, num = array<i64: 4>, step = array<i64: 1>}
#u = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 512 : i64, num = array<i64: 4>, step = array<i64: 1>}
#v = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 544 : i64, num = array<i64: 8>, step = array<i64: 1>}
#v4 = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 544 : i64, num = array<i64: 4>, step = array<i64: 1>}
#t = {space = "sbuf", dtype = "fp32", part = array<i64: 0, 16>, offset = 640 : i64, num = array<i64: 4>, step = array<i64: 1>}
#p = {space = "psum", dtype = "fp32", part = array<i64: 0, 8>, offset = 0 : i64, num = array<i64: 4>, step = array<i64: 1>}

// CHECK-LABEL: func.func @main
func.func @main() {
  // Round 1: x and w, each waited for by the first matmul only: one group on semaphore 20.
  // CHECK: "trn_isa.dma"() {{.*}}signal = 20 : i64, stream = 4 : i64}
  "trn_isa.dma"() {stream = 4 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 0 : i64, dst_addr = 0 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 20 : i64, stream = 5 : i64}
  "trn_isa.dma"() {stream = 5 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 256 : i64, dst_addr = 64 : i64, num = array<i64: 8, 16>, src_step = array<i64: 1, 8>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // One wait for both, no NOP.
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}signal = 0 : i64{{.*}}stream = 0 : i64, wait = array<i64: 20, 2>}
  "trn_isa.matmul"() {stream = 0 : i64, dst = #p, src0 = #w, src1 = #x} : () -> ()
  // Round 2 overwrites x and w: both wait for the matmul, which waited for round 1, so
  // round 2 may count on semaphore 20 too (2 + 2).
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 20 : i64, stream = 6 : i64, wait = array<i64: 0, 1>}
  "trn_isa.dma"() {stream = 6 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 512 : i64, dst_addr = 0 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 20 : i64, stream = 7 : i64, wait = array<i64: 0, 1>}
  "trn_isa.dma"() {stream = 7 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 768 : i64, dst_addr = 64 : i64, num = array<i64: 8, 16>, src_step = array<i64: 1, 8>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}stream = 0 : i64, wait = array<i64: 20, 4>}
  "trn_isa.matmul"() {stream = 0 : i64, flags = ["acc"], dst = #p, src0 = #w, src1 = #x} : () -> ()
  // Loads into fresh tiles wait for nothing: a queue could finish them before round 2
  // is done and make up its count on semaphore 20, so this group takes semaphore 21.
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 21 : i64, stream = 8 : i64}
  "trn_isa.dma"() {stream = 8 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 1024 : i64, dst_addr = 128 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 21 : i64, stream = 9 : i64}
  "trn_isa.dma"() {stream = 9 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 1280 : i64, dst_addr = 160 : i64, num = array<i64: 8, 16>, src_step = array<i64: 1, 8>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}stream = 0 : i64, wait = array<i64: 21, 2>}
  "trn_isa.matmul"() {stream = 0 : i64, flags = ["acc"], dst = #p, src0 = #z, src1 = #y} : () -> ()
  // A producer that two instructions wait for keeps its stream's semaphore: y' is read
  // by the scalar engine and by the PE, so the PE's matmul waits for y' itself and for
  // z' on a NOP.
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 10 : i64, stream = 10 : i64, wait = array<i64: 0, 2>}
  "trn_isa.dma"() {stream = 10 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 1536 : i64, dst_addr = 128 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 11 : i64, stream = 11 : i64, wait = array<i64: 0, 2>}
  "trn_isa.dma"() {stream = 11 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 1792 : i64, dst_addr = 160 : i64, num = array<i64: 8, 16>, src_step = array<i64: 1, 8>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.activate"() {{.*}}stream = 1 : i64, wait = array<i64: 10, 1>}
  "trn_isa.activate"() {stream = 1 : i64, op0 = "relu", imm = [1.0 : f32], dst = #o, src0 = #y} : () -> ()
  // CHECK-NEXT: "trn_isa.nop"() {stream = 0 : i64, wait = array<i64: 11, 1>}
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}stream = 0 : i64, wait = array<i64: 10, 1>}
  "trn_isa.matmul"() {stream = 0 : i64, flags = ["acc"], dst = #p, src0 = #z, src1 = #y} : () -> ()
  // Two waiters that both wait for the same two producers share their group: the
  // vector engine and the PE each read u and v, and each waits once (on semaphore 22:
  // the loads into fresh tiles are not ordered after the group on 21).
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 22 : i64, stream = 12 : i64}
  "trn_isa.dma"() {stream = 12 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 2048 : i64, dst_addr = 512 : i64, num = array<i64: 4, 16>, src_step = array<i64: 16, 1>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.dma"() {{.*}}signal = 22 : i64, stream = 13 : i64}
  "trn_isa.dma"() {stream = 13 : i64, descriptors = [{src_space = "hbm", dst_space = "sbuf", src_dtype = "fp32", dst_dtype = "fp32", src_addr = 2304 : i64, dst_addr = 544 : i64, num = array<i64: 8, 16>, src_step = array<i64: 1, 8>, dst_step = array<i64: 1, 49152>}]} : () -> ()
  // CHECK-NEXT: "trn_isa.tensor_tensor"() {{.*}}stream = 2 : i64, wait = array<i64: 22, 2>}
  "trn_isa.tensor_tensor"() {stream = 2 : i64, op0 = "add", dst = #t, src0 = #u, src1 = #v4} : () -> ()
  // CHECK-NEXT: "trn_isa.matmul"() {{.*}}stream = 0 : i64, wait = array<i64: 22, 2>}
  "trn_isa.matmul"() {stream = 0 : i64, flags = ["acc"], dst = #p, src0 = #v, src1 = #u} : () -> ()
  return
}
