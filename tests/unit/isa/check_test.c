/* Unit tests of isa/src/check.c: target rules and the cost model. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "isa_test_util.h"

static const trn_target_t *trn1(void) { return trn_isa_target(TRN_TARGET_TRN1); }

/* Expects inst_check to fail on `stream` with a message containing `needle`. */
#define EXPECT_REJECT(in, stream, needle)                                              \
  do {                                                                                 \
    char msg_[256] = "";                                                               \
    ck_assert_int_eq(trn_isa_inst_check(&(in), (stream), trn1(), msg_, sizeof msg_), -1); \
    ck_assert_msg(strstr(msg_, (needle)) != NULL, "message '%s' lacks '%s'", msg_, (needle)); \
  } while (0)
#define EXPECT_ACCEPT(in, stream)                                                      \
  do {                                                                                 \
    char msg_[256] = "";                                                               \
    ck_assert_msg(trn_isa_inst_check(&(in), (stream), trn1(), msg_, sizeof msg_) == 0, "%s", \
                  msg_);                                                               \
  } while (0)

static trn_inst_t matmul(trn_dtype_t dt, unsigned k, unsigned m, unsigned n) {
  trn_inst_t in = trn_test_inst(TRN_OP_MATMUL);
  in.dst = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, m, n, 0);
  in.src0 = trn_test_ap(TRN_SPACE_SBUF, dt, k, m, 0);
  in.src1 = trn_test_ap(TRN_SPACE_SBUF, dt, k, n, 0x1000);
  return in;
}

static trn_inst_t elementwise(unsigned p, unsigned n) {
  trn_inst_t in = trn_test_inst(TRN_OP_TENSOR_TENSOR);
  in.op0 = TRN_ALU_ADD;
  in.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, p, n, 0);
  in.src0 = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, p, n, 0);
  in.src1 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_BF16, p, n, 0x8000);
  return in;
}

START_TEST(test_inst_check_matmul_accepts) {
  trn_inst_t in = matmul(TRN_DTYPE_BF16, 128, 128, 512);
  EXPECT_ACCEPT(in, TRN_ENGINE_PE);
  in.flags = TRN_FLAG_ACC;
  in.wait_sem = 3;
  in.wait_value = 2;
  in.signal_sem = 63;
  in.dst.offset = 2048 * 7; /* last bank */
  EXPECT_ACCEPT(in, TRN_ENGINE_PE);
  in = matmul(TRN_DTYPE_FP32, 1, 1, 1);
  EXPECT_ACCEPT(in, TRN_ENGINE_PE);
}
END_TEST

START_TEST(test_inst_check_matmul_rejects) {
  trn_inst_t in = matmul(TRN_DTYPE_BF16, 128, 128, 512);
  EXPECT_REJECT(in, TRN_ENGINE_DVE, "engine");
  EXPECT_REJECT(in, TRN_STREAM_DMA0, "engine");
  trn_inst_t bad = in;
  bad.dst.space = TRN_SPACE_SBUF;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "dst");
  bad = in;
  bad.dst.dtype = TRN_DTYPE_BF16;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "psum fp32");
  bad = in;
  bad.src1.num_partitions = 64;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "(K)");
  bad = matmul(TRN_DTYPE_BF16, 128, 129, 512);
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "num_partitions"); /* dst has 129 partitions */
  bad = in;
  bad.src0.num[0] = 129;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "pe_cols");
  bad = matmul(TRN_DTYPE_BF16, 128, 128, 513);
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "moving_free_max");
  bad = in;
  bad.src0.num[0] = 64;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "dst partitions");
  bad = in;
  bad.dst.num[0] = 256;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "dst free size");
  bad = in;
  bad.dst.offset = 0x400; /* 512 fp32 from byte 1024 cross into the next bank */
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "bank");
  bad = in;
  bad.src0.dtype = TRN_DTYPE_INT8;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "src0 and src1");
  bad = in;
  bad.flags = TRN_FLAG_REVERSE;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "flags");
  bad = in;
  bad.op0 = 1;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "op0");
  bad = in;
  bad.aux = 5;
  EXPECT_REJECT(bad, TRN_ENGINE_PE, "aux");
}
END_TEST

START_TEST(test_inst_check_access_bounds) {
  trn_inst_t in = elementwise(128, 64);
  EXPECT_ACCEPT(in, TRN_ENGINE_DVE);
  trn_inst_t bad = in;
  bad.dst.offset = 196608 - 4 * 63; /* last element one past the partition */
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "dst touches bytes");
  bad.dst.offset = 196608 - 4 * 64; /* exactly fits */
  EXPECT_ACCEPT(bad, TRN_ENGINE_DVE);
  bad = in;
  bad.src0.offset = 16384 - 4 * 64 + 4;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "psum");
  bad = in;
  bad.src1.step[0] = -1; /* walks below byte 0x8000 - 2*63: fine */
  EXPECT_ACCEPT(bad, TRN_ENGINE_DVE);
  bad.src1.offset = 2 * 62; /* walks below 0 */
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "src1 touches bytes [-2,");
  bad = in;
  bad.dst.start_partition = 1;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "exceed the 128 partitions");
  bad = in;
  bad.dst.num_partitions = 0;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "num_partitions 0");
  bad = in;
  bad.src0.num[2] = 0;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "src0.num[2]");
  bad = in;
  bad.dst.offset = 2;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "aligned");
  bad = in;
  bad.dst.space = TRN_SPACE_HBM;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "dst.space");
  bad = in;
  bad.src1.step[0] = 0; /* broadcast is fine */
  EXPECT_ACCEPT(bad, TRN_ENGINE_DVE);
  /* A large stride in an outer dim leaves the partition. */
  bad = in;
  bad.dst.num[0] = 32;
  bad.dst.num[1] = 2;
  bad.dst.step[1] = 196608 / 4;
  EXPECT_REJECT(bad, TRN_ENGINE_DVE, "dst touches");
}
END_TEST

START_TEST(test_inst_check_streams_and_semaphores) {
  trn_inst_t in = trn_test_inst(TRN_OP_HALT);
  for (uint32_t s = 0; s < TRN_STREAM_DMA0 + 16; ++s) EXPECT_ACCEPT(in, s);
  EXPECT_REJECT(in, TRN_MAX_STREAMS, "stream");
  in.wait_sem = 63;
  in.wait_value = 0xFFFFFF;
  in.signal_sem = 0;
  EXPECT_ACCEPT(in, 0);
  in.wait_sem = 64;
  EXPECT_REJECT(in, 0, "wait_sem 64");
  in.wait_sem = TRN_SEM_NONE;
  EXPECT_REJECT(in, 0, "wait_value");
  in.wait_value = 0;
  in.signal_sem = 64;
  EXPECT_REJECT(in, 0, "signal_sem 64");
  in.signal_sem = TRN_SEM_NONE;
  in.wait_sem = 1;
  in.wait_value = 0x1000000;
  EXPECT_REJECT(in, 0, "24 bits");
  in = trn_test_inst(TRN_OP_NOP);
  in.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 1, 1, 0);
  EXPECT_REJECT(in, 0, "unused operand src0");

  trn_inst_t dma = trn_test_inst(TRN_OP_DMA);
  dma.imm[0] = 3;
  dma.aux = 0xFFFFFF;
  EXPECT_ACCEPT(dma, TRN_STREAM_DMA0 + 15);
  EXPECT_REJECT(dma, TRN_ENGINE_POOL, "engine");
  dma.imm[0] = 0;
  EXPECT_REJECT(dma, TRN_STREAM_DMA0, "descriptor count");
}
END_TEST

START_TEST(test_inst_check_ops_and_formats) {
  trn_inst_t in = elementwise(128, 64);
  in.op0 = 0x0D; /* reserved ALU number */
  EXPECT_REJECT(in, TRN_ENGINE_DVE, "op0 13 is not an ALU op");
  in.op0 = TRN_ALU_ADD;
  in.op1 = TRN_ALU_ADD;
  EXPECT_REJECT(in, TRN_ENGINE_DVE, "op1 must be 0");
  in.op1 = 0;
  in.src1.num[0] = 63;
  EXPECT_REJECT(in, TRN_ENGINE_DVE, "free sizes");
  in = elementwise(128, 64);
  in.flags = TRN_FLAG_ACC;
  EXPECT_REJECT(in, TRN_ENGINE_DVE, "flags 0x01");
  in.flags = TRN_FLAG_REVERSE;
  EXPECT_ACCEPT(in, TRN_ENGINE_DVE);

  trn_inst_t act = trn_test_inst(TRN_OP_ACTIVATE);
  act.op0 = TRN_ACT_GELU;
  act.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 64, 100, 0);
  act.src0 = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 64, 100, 0);
  EXPECT_ACCEPT(act, TRN_ENGINE_ACT);
  act.src1 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 64, 1, 0x1000);
  EXPECT_ACCEPT(act, TRN_ENGINE_ACT);
  act.src1.num_partitions = 32;
  EXPECT_REJECT(act, TRN_ENGINE_ACT, "bias");
  act.src1.num_partitions = 64;
  act.flags = TRN_FLAG_ACCUM;
  act.dst.num[0] = 101;
  act.imm[2] = 100;
  EXPECT_ACCEPT(act, TRN_ENGINE_ACT);
  act.imm[2] = 101;
  EXPECT_REJECT(act, TRN_ENGINE_ACT, "imm2");
  act.flags = 0;
  act.imm[2] = 0;
  EXPECT_REJECT(act, TRN_ENGINE_ACT, "dst free size 101");
  act.dst.num[0] = 100;
  act.op0 = 0x13;
  EXPECT_REJECT(act, TRN_ENGINE_ACT, "activation function");

  trn_inst_t red = trn_test_inst(TRN_OP_TENSOR_REDUCE);
  red.op0 = TRN_ALU_MAX;
  red.imm[0] = 1;
  red.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 8, 0);
  red.src0.num[1] = 4;
  red.src0.step[1] = 8;
  red.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 4, 0x100);
  EXPECT_ACCEPT(red, TRN_ENGINE_DVE);
  red.imm[0] = 2;
  EXPECT_REJECT(red, TRN_ENGINE_DVE, "reduced 32");
  red.dst.num[0] = 1;
  EXPECT_ACCEPT(red, TRN_ENGINE_DVE);
  red.imm[0] = 4;
  EXPECT_REJECT(red, TRN_ENGINE_DVE, "imm0");
  red.imm[0] = 2;
  red.op0 = TRN_ALU_SUB;
  EXPECT_REJECT(red, TRN_ENGINE_DVE, "not a reduction");

  trn_inst_t ts = trn_test_inst(TRN_OP_TENSOR_SCALAR);
  ts.op0 = TRN_ALU_MUL;
  ts.op1 = TRN_ALU_ADD;
  ts.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 16, 16, 0);
  ts.src0 = ts.dst;
  EXPECT_ACCEPT(ts, TRN_ENGINE_DVE);
  ts.flags = TRN_FLAG_S1_AP;
  EXPECT_REJECT(ts, TRN_ENGINE_DVE, "needs src1");
  ts.src1 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 16, 1, 0x400);
  EXPECT_REJECT(ts, TRN_ENGINE_DVE, "too small");
  ts.src1.num[0] = 2;
  EXPECT_ACCEPT(ts, TRN_ENGINE_DVE);

  trn_inst_t pr = trn_test_inst(TRN_OP_PARTITION_REDUCE);
  pr.op0 = TRN_ALU_ADD;
  pr.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 10, 0);
  pr.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 1, 10, 0x100);
  EXPECT_ACCEPT(pr, TRN_ENGINE_POOL);
  EXPECT_REJECT(pr, TRN_ENGINE_DVE, "engine");
  pr.dst.num_partitions = 2;
  EXPECT_REJECT(pr, TRN_ENGINE_POOL, "dst partitions must be 1");

  trn_inst_t tr = trn_test_inst(TRN_OP_TRANSPOSE);
  tr.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 128, 64, 0);
  tr.dst = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 64, 128, 0);
  EXPECT_ACCEPT(tr, TRN_ENGINE_PE);
  tr.dst.num_partitions = 128;
  EXPECT_REJECT(tr, TRN_ENGINE_PE, "dst partitions 128");

  trn_inst_t sel = trn_test_inst(TRN_OP_AFFINE_SELECT);
  sel.op0 = TRN_ALU_ADD;
  sel.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 8, 0);
  sel.dst = sel.src0;
  EXPECT_REJECT(sel, TRN_ENGINE_POOL, "comparison");
  sel.op0 = TRN_ALU_GE;
  EXPECT_ACCEPT(sel, TRN_ENGINE_POOL);

  trn_inst_t g = trn_test_inst(TRN_OP_GATHER);
  g.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 100, 0);
  g.src1 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 5, 0x1000);
  g.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 5, 0x2000);
  EXPECT_REJECT(g, TRN_ENGINE_POOL, "i32");
  g.src1.dtype = TRN_DTYPE_INT32;
  EXPECT_ACCEPT(g, TRN_ENGINE_POOL);
}
END_TEST

START_TEST(test_inst_cycles_matmul) {
  const trn_target_t *t = trn1();
  trn_inst_t in = matmul(TRN_DTYPE_BF16, 128, 128, 512);
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t), 512);
  in = matmul(TRN_DTYPE_FP32, 128, 128, 512);
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t), 2048);
  in = matmul(TRN_DTYPE_FP16, 128, 128, 100);
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t), 100);
  in = matmul(TRN_DTYPE_BF16, 128, 128, 16); /* stationary-bound, then min issue */
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t), 64);
  in = matmul(TRN_DTYPE_FP32, 128, 32, 20); /* max(min(64, 32), 20) * 4 = 128 */
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t), 128);
  trn_inst_t tr = trn_test_inst(TRN_OP_TRANSPOSE);
  tr.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 100, 0);
  ck_assert_uint_eq(trn_isa_inst_cycles(&tr, t), 400);
}
END_TEST

START_TEST(test_inst_cycles_elementwise) {
  const trn_target_t *t1 = trn1(), *t2 = trn_isa_target(TRN_TARGET_TRN2);
  trn_inst_t in = elementwise(128, 8);
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t1), 64);
  in = elementwise(128, 1001);
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t1), 1001);
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t2), 501); /* 2 elems/cycle, rounded up */
  in.src0.num[1] = 2;
  ck_assert_uint_eq(trn_isa_inst_cycles(&in, t1), 2002);
  trn_inst_t halt = trn_test_inst(TRN_OP_HALT);
  ck_assert_uint_eq(trn_isa_inst_cycles(&halt, t1), 64);
  trn_inst_t dma = trn_test_inst(TRN_OP_DMA);
  dma.imm[0] = 100;
  ck_assert_uint_eq(trn_isa_inst_cycles(&dma, t1), 64);
  trn_inst_t act = trn_test_inst(TRN_OP_ACTIVATE);
  act.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 300, 0);
  act.src0 = act.dst;
  act.src1 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 1, 0);
  ck_assert_uint_eq(trn_isa_inst_cycles(&act, t2), 300);
}
END_TEST

START_TEST(test_dma_check_rules) {
  const trn_target_t *t = trn1();
  trn_dma_desc_t d;
  memset(&d, 0, sizeof d);
  d.src_space = TRN_SPACE_HBM;
  d.dst_space = TRN_SPACE_SBUF;
  d.src_dtype = TRN_DTYPE_FP32;
  d.dst_dtype = TRN_DTYPE_BF16;
  d.num[0] = 512;
  d.num[1] = 128;
  d.num[2] = d.num[3] = 1;
  d.src_step[0] = 1;
  d.src_step[1] = 512;
  d.dst_step[0] = 1;
  d.dst_step[1] = 196608 / 2; /* one partition */
  char msg[256] = "";
  ck_assert_msg(trn_isa_dma_check(&d, t, 512 * 128 * 4, msg, sizeof msg) == 0, "%s", msg);
  ck_assert_int_eq(trn_isa_dma_check(&d, t, 512 * 128 * 4 - 1, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "src touches"));
  ck_assert_int_eq(trn_isa_dma_check(&d, t, 0, msg, sizeof msg), 0); /* target's HBM */
  trn_dma_desc_t bad = d;
  bad.dst_addr = 196608 - 1022; /* last row ends one element past the last partition */
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "dst touches"));
  bad = d;
  bad.dst_space = TRN_SPACE_PSUM;
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "direction hbm -> psum"));
  bad = d;
  bad.dst_space = TRN_SPACE_HBM;
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), -1);
  bad = d;
  bad.num[3] = 0;
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "num[3]"));
  bad = d;
  bad.src_step[2] = INT64_MAX;
  bad.num[2] = 3;
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "overflow"));
  bad = d;
  bad.src_step[0] = -1;
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), -1);
  bad.src_addr = 511 * 4;
  bad.src_step[1] = 0;
  ck_assert_int_eq(trn_isa_dma_check(&bad, t, 0, msg, sizeof msg), 0);
}
END_TEST

/* Any decodable instruction on any stream gets an answer, never a crash. */
START_TEST(test_inst_check_random_input_is_safe) {
  trn_test_rng_t rng = {4242};
  char msg[256];
  for (int rep = 0; rep < 20000; ++rep) {
    trn_inst_t in;
    trn_test_rand_inst(&rng, trn_isa_opinfo_at(trn_test_rand(&rng) % trn_isa_opcode_count())->opcode,
                       &in);
    if (rep % 2) { /* tame some fields so that deeper rules are reached */
      in.wait_sem = in.signal_sem = TRN_SEM_NONE;
      in.wait_value = in.aux = 0;
      in.op1 = 0;
      in.flags = 0;
    }
    msg[0] = '\0';
    int rc = trn_isa_inst_check(&in, trn_test_rand(&rng) % (TRN_MAX_STREAMS + 2), trn1(), msg,
                                sizeof msg);
    ck_assert(rc == 0 || (rc == -1 && msg[0] != '\0'));
    ck_assert_uint_ge(trn_isa_inst_cycles(&in, trn1()), 64);
    trn_dma_desc_t d;
    trn_test_rand_desc(&rng, &d);
    rc = trn_isa_dma_check(&d, trn1(), 0, msg, sizeof msg);
    ck_assert(rc == 0 || rc == -1);
  }
}
END_TEST

int main(void) {
  Suite *s = suite_create("isa_check");
  TCase *tc = tcase_create("check");
  tcase_add_test(tc, test_inst_check_matmul_accepts);
  tcase_add_test(tc, test_inst_check_matmul_rejects);
  tcase_add_test(tc, test_inst_check_access_bounds);
  tcase_add_test(tc, test_inst_check_streams_and_semaphores);
  tcase_add_test(tc, test_inst_check_ops_and_formats);
  tcase_add_test(tc, test_inst_cycles_matmul);
  tcase_add_test(tc, test_inst_cycles_elementwise);
  tcase_add_test(tc, test_dma_check_rules);
  tcase_add_test(tc, test_inst_check_random_input_is_safe);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
