/* Unit tests of the interpreter's host thread pool (pool.c) and of the instructions
 * it splits (exec_matmul.c, exec_dma.c, exec_ops.c): every part runs once, and a run
 * gives the same bytes with no pool, one thread and several; traps of a split
 * instruction are still reported by the run. */
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "interp_test_util.h"
#include "pool.h"

/* ---- the pool itself ------------------------------------------------------------- */

typedef struct count_job_t {
  _Atomic unsigned *hits;
  _Atomic unsigned max_thread;
} count_job_t;

static void count_part(void *ctx, size_t part, unsigned thread) {
  count_job_t *j = ctx;
  atomic_fetch_add(&j->hits[part], 1);
  unsigned m = atomic_load(&j->max_thread);
  while (thread > m && !atomic_compare_exchange_weak(&j->max_thread, &m, thread)) {
  }
}

static void check_every_part_once(trn_pool_t *pool, size_t parts) {
  _Atomic unsigned *hits = calloc(parts ? parts : 1, sizeof *hits);
  ck_assert_ptr_nonnull(hits);
  count_job_t j = {.hits = hits};
  atomic_init(&j.max_thread, 0);
  trn_pool_run(pool, parts, count_part, &j);
  for (size_t i = 0; i < parts; i++)
    ck_assert_msg(atomic_load(&hits[i]) == 1, "part %zu ran %u times", i, atomic_load(&hits[i]));
  ck_assert_uint_lt(atomic_load(&j.max_thread), trn_pool_threads(pool));
  free(hits);
}

START_TEST(test_pool_runs_every_part_once) {
  check_every_part_once(NULL, 0);
  check_every_part_once(NULL, 7);
  const unsigned counts[] = {1, 2, 4};
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    trn_pool_t *pool = NULL;
    TM_OK(trn_pool_create(counts[c], &pool));
    ck_assert_uint_eq(trn_pool_threads(pool), counts[c]);
    /* many splits back to back, of various sizes (the workers see every generation) */
    for (size_t round = 0; round < 2000; round++) check_every_part_once(pool, round % 67);
    trn_pool_destroy(pool);
  }
  trn_pool_destroy(NULL);
  ck_assert_uint_eq(trn_pool_threads(NULL), 1);
}
END_TEST

/* Splits after the workers went to sleep still run (they are woken, or the calling
 * thread takes every part). */
START_TEST(test_pool_wakes_sleeping_workers) {
  trn_pool_t *pool = NULL;
  TM_OK(trn_pool_create(3, &pool));
  for (int round = 0; round < 3; round++) {
    struct timespec ts = {0, 5 * 1000 * 1000}; /* longer than the workers spin */
    nanosleep(&ts, NULL);
    check_every_part_once(pool, 64);
  }
  trn_pool_destroy(pool);
}
END_TEST

START_TEST(test_pool_default_threads_from_env) {
  setenv("TRN_INTERP_THREADS", "3", 1);
  ck_assert_uint_eq(trn_pool_default_threads(), 3);
  setenv("TRN_INTERP_THREADS", "1", 1);
  ck_assert_uint_eq(trn_pool_default_threads(), 1);
  setenv("TRN_INTERP_THREADS", "100000", 1);
  ck_assert_uint_eq(trn_pool_default_threads(), TRN_POOL_MAX_THREADS);
  setenv("TRN_INTERP_THREADS", "two", 1); /* not a number: the online CPUs */
  unsigned n = trn_pool_default_threads();
  ck_assert(n >= 1 && n <= TRN_POOL_MAX_THREADS);
  unsetenv("TRN_INTERP_THREADS");
  ck_assert_uint_eq(trn_pool_default_threads(), n);
}
END_TEST

/* ---- split instructions give the same bytes with any thread count ----------------- */

#define HBM_SIZE (8u << 20)
#define A_OFF 0u
#define B_OFF (2u << 20)
#define OUT_OFF (4u << 20)
#define OUT2_OFF (6u << 20)

static void fill(tm_t *t, uint64_t off, size_t n, uint32_t seed) {
  float *v = (float *)(void *)(t->hbm + off);
  for (size_t i = 0; i < n; i++) {
    seed = seed * 1664525u + 1013904223u;
    v[i] = (float)((seed >> 8) % 20001) / 1000.0f - 10.0f;
  }
}

/* Builds one of the split kinds into t (inputs filled, outputs staged to HBM). */
typedef void (*build_fn_t)(tm_t *t);

/* C (128 x 1024, PSUM) = A^T B with K = M = 128, operands in place: a GEMM split in
 * eight column blocks; then one of N = 200: two blocks, the second narrower. */
static void build_gemm(tm_t *t) {
  const uint32_t K = 128, M = 128, N = 1024;
  fill(t, A_OFF, K * M, 1);
  fill(t, B_OFF, K * N, 2);
  tm_stage_in(t, A_OFF, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, B_OFF, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, N);
  trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
  mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  mm->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, N);
  mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
  trn_inst_t *m2 = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
  m2->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  m2->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096 + 4 * 8, 200);
  m2->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 8192, 200);
  tm_stage_out(t, OUT_OFF, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
  tm_stage_out(t, OUT2_OFF, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 8192, 200);
}

/* One DMA of four independent descriptors (two of them converting to bf16 and back),
 * 128 partitions x 1024 elements each: split in row pieces. */
static void build_dma(tm_t *t) {
  const uint32_t P = 128, N = 1024;
  fill(t, A_OFF, 4 * P * N / 2, 3);
  trn_dma_desc_t d[4];
  for (int i = 0; i < 4; i++) {
    d[i] = tm_rows_desc(t, true, A_OFF + (uint64_t)i * P * N * 2, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                        i < 2 ? TRN_DTYPE_FP32 : TRN_DTYPE_BF16, 0, P, (uint32_t)i * N * 4, N / 2);
  }
  trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0, TRN_OP_DMA);
  in->aux = tm_desc(t, &d[0]);
  for (int i = 1; i < 4; i++) tm_desc(t, &d[i]);
  in->imm[0] = 4;
  in->signal_sem = TM_SEM_IN;
  t->n_in++;
  for (uint32_t i = 0; i < 4; i++)
    tm_stage_out(t, OUT_OFF + (uint64_t)i * P * N * 2, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                 i < 2 ? TRN_DTYPE_FP32 : TRN_DTYPE_BF16, 0, P, i * N * 4, N / 2);
}

/* ACTIVATE (exp) and TENSOR_TENSOR (add) and TENSOR_SCALAR over 128 x 2048, in place
 * and through the row buffers (a bf16 dst). */
static void build_alu(tm_t *t) {
  const uint32_t P = 128, N = 2048;
  fill(t, A_OFF, P * N, 4);
  fill(t, B_OFF, P * N, 5);
  tm_stage_in(t, A_OFF, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 0, N);
  tm_stage_in(t, B_OFF, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 4 * N, N);
  trn_inst_t *act = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  act->op0 = TRN_ACT_EXP;
  act->imm[0] = tm_f(0.25f);
  act->imm[1] = tm_f(-1.0f);
  act->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 0, N);
  act->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 8 * N, N);
  act->signal_sem = 2;
  trn_inst_t *tt = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_TENSOR);
  tt->wait_sem = 2;
  tt->wait_value = 1;
  tt->op0 = TRN_ALU_ADD;
  tt->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 8 * N, N);
  tt->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 4 * N, N);
  tt->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, P, 12 * N, N);
  trn_inst_t *ts = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_SCALAR);
  ts->op0 = TRN_ALU_MUL;
  ts->op1 = TRN_ALU_MAX;
  ts->imm[0] = tm_f(3.0f);
  ts->imm[1] = tm_f(0.5f);
  ts->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 4 * N, N);
  ts->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 4 * N, N); /* in place */
  tm_stage_out(t, OUT_OFF, TRN_DTYPE_BF16, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, P, 12 * N, N);
  tm_stage_out(t, OUT2_OFF, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, P, 4 * N, N);
}

/* Runs the model `build` makes with no pool and with pools of 1, 2 and 4 threads;
 * every HBM image must be the same bytes. */
static void check_same_bytes(build_fn_t build) {
  uint8_t *first = NULL;
  const unsigned counts[] = {0, 1, 2, 4};
  for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
    tm_t *t = tm_create(HBM_SIZE);
    build(t);
    trn_pool_t *pool = NULL;
    if (counts[c]) TM_OK(trn_pool_create(counts[c], &pool));
    t->m.run_pool = pool;
    TM_OK(tm_run(t));
    t->m.run_pool = NULL;
    trn_pool_destroy(pool);
    if (!first) {
      first = malloc(HBM_SIZE);
      ck_assert_ptr_nonnull(first);
      memcpy(first, t->hbm, HBM_SIZE);
    } else {
      size_t i = 0;
      while (i < HBM_SIZE && first[i] == t->hbm[i]) i++;
      ck_assert_msg(i == HBM_SIZE, "%u threads: HBM byte 0x%zx differs", counts[c], i);
    }
    tm_destroy(t);
  }
  free(first);
}

START_TEST(test_split_gemm_same_bytes) {
  check_same_bytes(build_gemm);
  /* and the values are the GEMM's */
  tm_t *t = tm_create(HBM_SIZE);
  build_gemm(t);
  TM_OK(tm_run(t));
  const float *a = (const float *)(const void *)(t->hbm + A_OFF);
  const float *b = (const float *)(const void *)(t->hbm + B_OFF);
  const float *c = (const float *)(const void *)(t->hbm + OUT_OFF);
  const float *c2 = (const float *)(const void *)(t->hbm + OUT2_OFF);
  for (uint32_t m = 0; m < 128; m += 7)
    for (uint32_t n = 0; n < 1024; n += 13) {
      double s = 0;
      for (uint32_t k = 0; k < 128; k++) s += (double)a[k * 128 + m] * b[k * 1024 + n];
      ck_assert_msg(fabs(c[m * 1024 + n] - s) < 1e-2, "c[%u,%u] = %g, want %g", m, n,
                    (double)c[m * 1024 + n], s);
      if (n >= 8 && n - 8 < 200)
        ck_assert_msg(fabs(c2[m * 200 + n - 8] - s) < 1e-2, "c2[%u,%u]", m, n - 8);
    }
  tm_destroy(t);
}
END_TEST

START_TEST(test_split_dma_same_bytes) {
  check_same_bytes(build_dma);
  /* the fp32 descriptors copy exactly */
  tm_t *t = tm_create(HBM_SIZE);
  build_dma(t);
  TM_OK(tm_run(t));
  ck_assert_int_eq(memcmp(t->hbm + A_OFF, t->hbm + OUT_OFF, 2 * 128 * 1024 * 2), 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_split_alu_same_bytes) {
  check_same_bytes(build_alu);
  tm_t *t = tm_create(HBM_SIZE);
  build_alu(t);
  float b[16];
  memcpy(b, t->hbm + B_OFF, sizeof b);
  TM_OK(tm_run(t));
  const float *o2 = (const float *)(const void *)(t->hbm + OUT2_OFF);
  for (int i = 0; i < 16; i++) {
    float want = b[i] * 3.0f;
    want = want > 0.5f ? want : 0.5f;
    ck_assert_msg(o2[i] == want, "element %d: got %g, want %g", i, (double)o2[i], (double)want);
  }
  tm_destroy(t);
}
END_TEST

/* A large instruction that traps still fails the run with its message, with a pool. */
START_TEST(test_split_traps_reported) {
  trn_pool_t *pool = NULL;
  TM_OK(trn_pool_create(4, &pool));
  tm_t *t = tm_create(HBM_SIZE);
  trn_inst_t *tt = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_TENSOR);
  tt->op0 = TRN_ALU_ADD;
  tt->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 0, 2048);
  tt->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 8192, 2047);
  tt->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 16384, 2048);
  t->m.run_pool = pool;
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "dst free size 2048 != src1 free size 2047");
  tm_destroy(t);

  /* a DMA whose last descriptor leaves SBUF: nothing of it is split */
  t = tm_create(HBM_SIZE);
  trn_dma_desc_t d0 = tm_rows_desc(t, true, 0, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32,
                                   0, 128, 0, 1024);
  trn_dma_desc_t d1 = d0;
  d1.dst_addr = (uint64_t)127 * tm_pbytes(t, TRN_SPACE_SBUF) + 8192;
  d1.num[1] = 2;
  trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0, TRN_OP_DMA);
  in->aux = tm_desc(t, &d0);
  tm_desc(t, &d1);
  in->imm[0] = 2;
  t->m.run_pool = pool;
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "descriptor 1: destination bytes");
  tm_destroy(t);
  trn_pool_destroy(pool);
}
END_TEST

static Suite *pool_suite(void) {
  Suite *s = suite_create("pool");
  TCase *tc = tcase_create("pool");
  tcase_add_test(tc, test_pool_runs_every_part_once);
  tcase_add_test(tc, test_pool_wakes_sleeping_workers);
  tcase_add_test(tc, test_pool_default_threads_from_env);
  tcase_add_test(tc, test_split_gemm_same_bytes);
  tcase_add_test(tc, test_split_dma_same_bytes);
  tcase_add_test(tc, test_split_alu_same_bytes);
  tcase_add_test(tc, test_split_traps_reported);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(pool_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
