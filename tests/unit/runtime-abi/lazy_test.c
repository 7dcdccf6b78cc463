/* Unit tests of deferred loads (lazy.c): loads from constant HBM into SBUF that are
 * copied only when something other than a MATMUL reads them, and that MATMUL reads in
 * place from HBM. Runs are not strict (strict mode turns deferral off) and use their
 * own SBUF, so that a test can see what was copied. Loads are 64 partitions x 128
 * fp32 (32 KiB), above the deferral threshold. */
#include <stdio.h>

#include "interp_test_util.h"

#define K 64u
#define M 128u
#define N 16u
#define XN 64u /* columns of the staged moving operand (16 KiB: deferred too) */
#define W_AT 0u             /* HBM: first weights */
#define W2_AT (64u << 10)   /* HBM: second weights */
#define X_AT (128u << 10)   /* HBM: moving operand */
#define OUT_AT (512u << 10) /* HBM: results */
#define HBM_SIZE (1u << 20)

typedef struct run_mem_t {
  uint8_t *sbuf, *psum;
  uint64_t pb; /* SBUF partition bytes */
} run_mem_t;

static float w_val(uint32_t k, uint32_t m, uint32_t which) {
  return (float)((k * 7 + m * 3 + which * 5) % 17) - 8.0f;
}

static float x_val(uint32_t k, uint32_t n) { return (float)((k + 2 * n) % 5) - 2.0f; }

/* A model with W (which 0) and W2 (which 1) and X in HBM. */
static tm_t *lazy_model(void) {
  tm_t *t = tm_create(HBM_SIZE);
  for (uint32_t k = 0; k < K; k++)
    for (uint32_t m = 0; m < M; m++) {
      tm_hbm_f32(t, W_AT)[k * M + m] = w_val(k, m, 0);
      tm_hbm_f32(t, W2_AT)[k * M + m] = w_val(k, m, 1);
    }
  for (uint32_t k = 0; k < K; k++)
    for (uint32_t n = 0; n < XN; n++) tm_hbm_f32(t, X_AT)[k * XN + n] = x_val(k, n);
  return t;
}

static void run_with(tm_t *t, bool strict, run_mem_t *mem) {
  tm_finish(t);
  const trn_target_t *tg = t->m.target;
  mem->pb = tg->sbuf_partition_bytes;
  mem->sbuf = calloc(tg->partitions, tg->sbuf_partition_bytes);
  mem->psum = calloc(tg->partitions, tg->psum_partition_bytes);
  ck_assert_ptr_nonnull(mem->sbuf);
  ck_assert_ptr_nonnull(mem->psum);
  trn_rt_run_options_t o = {.strict = strict};
  TM_OK(trn_rt_interpret(&t->m, t->hbm, mem->sbuf, mem->psum, &o, NULL));
}

static void mem_free(run_mem_t *mem) {
  free(mem->sbuf);
  free(mem->psum);
}

static float sbuf_f32(const run_mem_t *mem, uint32_t p, uint32_t offset, uint32_t i) {
  float v;
  memcpy(&v, mem->sbuf + p * mem->pb + offset + 4 * i, 4);
  return v;
}

/* MATMUL of W' (K x M at SBUF offset 0) by X (K x N of the K x XN at SBUF offset 4096) into PSUM,
 * staged out to OUT_AT; as one instruction, or as a chain of two over K/2 each (with
 * `strided`, a moving operand of two dims, which takes the gathering path). */
static void add_matmul(tm_t *t, bool chain, bool strided) {
  uint32_t parts = chain ? 2 : 1, kk = K / parts;
  for (uint32_t i = 0; i < parts; i++) {
    trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
    mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, i * kk, kk, 0, M);
    mm->src1 = strided ? tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, i * kk, kk, 4096, N / 2, 1, 2,
                               (int32_t)N, 1, 0)
                       : tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, i * kk, kk, 4096, N);
    if (i) mm->flags = TRN_FLAG_ACC;
  }
  tm_stage_out(t, OUT_AT, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
}

/* Checks OUT = W'^T X for the weights w(k, m); X's column n comes from column
 * strided ? (n / 8) * 16 + n % 8 : n of the staged X. */
static void check_out(tm_t *t, float (*w)(uint32_t, uint32_t), bool strided) {
  const float *c = tm_hbm_f32(t, OUT_AT);
  for (uint32_t m = 0; m < M; m++)
    for (uint32_t n = 0; n < N; n++) {
      uint32_t xn = strided ? (n / 8) * 16 + n % 8 : n;
      float s = 0;
      for (uint32_t k = 0; k < K; k++) s += w(k, m) * x_val(k, xn);
      ck_assert_msg(c[m * N + n] == s, "c[%u,%u] = %g, want %g", m, n, (double)c[m * N + n],
                    (double)s);
    }
}

static float w_first(uint32_t k, uint32_t m) { return w_val(k, m, 0); }
static float w_second(uint32_t k, uint32_t m) { return w_val(k, m, 1); }

/* Whether SBUF partitions [0, K) x M floats at offset 0 are all zero (never copied). */
static bool w_box_zero(const run_mem_t *mem) {
  for (uint32_t p = 0; p < K; p++)
    for (uint32_t i = 0; i < M; i++)
      if (sbuf_f32(mem, p, 0, i) != 0.0f) return false;
  return true;
}

/* Runs `t` (not strict) and checks its MATMUL's output against the weights w
 * (check_out, unstrided) and, with `uncopied`, that nothing was copied into the
 * weights' SBUF box (the message says what would have been); then destroys it. */
static void run_check(tm_t *t, float (*w)(uint32_t, uint32_t), const char *uncopied) {
  run_mem_t mem;
  run_with(t, false, &mem);
  check_out(t, w, false);
  if (uncopied) ck_assert_msg(w_box_zero(&mem), "%s were copied into SBUF", uncopied);
  mem_free(&mem);
  tm_destroy(t);
}

/* A vector-engine copy of a pending load sees the loaded bytes. */
START_TEST(test_lazy_dve_read_sees_load) {
  tm_t *t = lazy_model();
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  trn_inst_t *cp = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_COPY);
  cp->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  cp->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 8192, M);
  tm_stage_out(t, OUT_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 8192, M);
  run_mem_t mem;
  run_with(t, false, &mem);
  const float *c = tm_hbm_f32(t, OUT_AT);
  for (uint32_t k = 0; k < K; k++)
    for (uint32_t m = 0; m < M; m++)
      ck_assert_msg(c[k * M + m] == w_val(k, m, 0), "out[%u,%u] = %g", k, m,
                    (double)c[k * M + m]);
  mem_free(&mem);
  tm_destroy(t);
}
END_TEST

/* A scalar-engine read of part of a pending load, then a DMA reading it back. */
START_TEST(test_lazy_act_and_dma_reads_see_load) {
  tm_t *t = lazy_model();
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  trn_inst_t *act = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  act->op0 = TRN_ACT_COPY;
  act->imm[0] = tm_f(2.0f); /* scale */
  act->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 16, 64, 32);
  act->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 16, 8192, 32);
  tm_stage_out(t, OUT_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 16, 8192, 32);
  tm_stage_out(t, OUT_AT + 8192, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  run_mem_t mem;
  run_with(t, false, &mem);
  const float *c = tm_hbm_f32(t, OUT_AT), *w = tm_hbm_f32(t, OUT_AT + 8192);
  for (uint32_t p = 0; p < 16; p++)
    for (uint32_t i = 0; i < 32; i++)
      ck_assert_msg(c[p * 32 + i] == 2.0f * w_val(8 + p, 16 + i, 0), "act[%u,%u] = %g", p, i,
                    (double)c[p * 32 + i]);
  for (uint32_t k = 0; k < K; k++)
    for (uint32_t m = 0; m < M; m++)
      ck_assert_msg(w[k * M + m] == w_val(k, m, 0), "dma[%u,%u] = %g", k, m,
                    (double)w[k * M + m]);
  mem_free(&mem);
  tm_destroy(t);
}
END_TEST

/* MATMUL reads a pending load in place from HBM: nothing is copied into SBUF. One
 * instruction, a fused chain reading in place, and a fused chain that gathers. */
static void matmul_in_place(bool chain, bool strided) {
  tm_t *t = lazy_model();
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  add_matmul(t, chain, strided);
  run_mem_t mem;
  run_with(t, false, &mem);
  check_out(t, w_first, strided);
  ck_assert_msg(w_box_zero(&mem), "the weights were copied into SBUF");
  mem_free(&mem);
  /* strict mode copies them */
  tm_t *s = lazy_model();
  memcpy(s->insts, t->insts, sizeof s->insts);
  memcpy(s->dma, t->dma, sizeof s->dma);
  memcpy(s->m.stream_length, t->m.stream_length, sizeof s->m.stream_length);
  s->m.dma_count = t->m.dma_count;
  s->finished = true;
  run_with(s, true, &mem);
  check_out(s, w_first, strided);
  ck_assert(sbuf_f32(&mem, 1, 0, 2) == w_val(1, 2, 0));
  mem_free(&mem);
  tm_destroy(s);
  tm_destroy(t);
}

START_TEST(test_lazy_matmul_reads_hbm_in_place) {
  matmul_in_place(false, false);
  matmul_in_place(true, false);
  matmul_in_place(true, true);
}
END_TEST

/* A write into part of a pending load (DVE, after the load), then a MATMUL reading all
 * of it: the written part holds the write, the rest the loaded bytes. */
static float w_after_memset(uint32_t k, uint32_t m) {
  return k >= 8 && k < 24 && m >= 16 && m < 48 ? 2.0f : w_val(k, m, 0);
}

START_TEST(test_lazy_partial_write_then_matmul) {
  tm_t *t = lazy_model();
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  trn_inst_t *ms = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 8, 16, 64, 32);
  ms->imm[0] = tm_f(2.0f);
  ms->signal_sem = 5;
  add_matmul(t, false, false);
  trn_inst_t *mm = &t->insts[TRN_ENGINE_PE][0];
  mm->wait_sem = 5;
  mm->wait_value = 1;
  run_check(t, w_after_memset, NULL);
}
END_TEST

/* A second load into the same box: MATMUL sees the second (the first is dropped
 * without a copy). */
START_TEST(test_lazy_second_load_covers_first) {
  tm_t *t = lazy_model();
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, W2_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  add_matmul(t, true, false);
  run_check(t, w_second, "the weights");
}
END_TEST

/* A second load into part of the first (partitions 16..48): MATMUL sees the second
 * there and the first elsewhere. */
static float w_mixed(uint32_t k, uint32_t m) {
  return k >= 16 && k < 48 ? w_val(k - 16, m, 1) : w_val(k, m, 0);
}

START_TEST(test_lazy_second_load_into_part_of_first) {
  tm_t *t = lazy_model();
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, W2_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 16, 32, 0, M);
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  add_matmul(t, false, false);
  run_check(t, w_mixed, NULL);
}
END_TEST

/* A load from HBM that a later DMA of the program overwrites is copied when it runs:
 * the MATMUL sees the bytes from before the store. */
START_TEST(test_lazy_written_hbm_not_deferred) {
  tm_t *t = lazy_model();
  /* queue 0: W2_AT -> SBUF 0, W -> SBUF 8192, SBUF 8192 -> HBM W2_AT, X */
  tm_stage_in(t, W2_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 8192, M);
  trn_dma_desc_t d = tm_rows_desc(t, false, W2_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                                  TRN_DTYPE_FP32, 0, K, 8192, M);
  trn_inst_t *st = tm_add(t, TRN_STREAM_DMA0, TRN_OP_DMA);
  st->aux = tm_desc(t, &d);
  st->imm[0] = 1;
  st->signal_sem = TM_SEM_IN; /* the MATMUL waits for it too */
  t->n_in++;
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  add_matmul(t, false, false);
  run_check(t, w_second, NULL);
}
END_TEST

/* One load of two pieces side by side in each partition (an outer dimension, as the
 * column blocks of weights joined into one DMA): columns [0, 64) of W' from W, columns
 * [64, 128) from W2, each 64 x 64 fp32 (16 KiB). */
static float w_pieces(uint32_t k, uint32_t m) { return m < M / 2 ? w_val(k, m, 0) : w_val(k, m, 1); }

static void stage_pieces(tm_t *t) {
  trn_dma_desc_t d = tm_rows_desc(t, true, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32,
                                  0, K, 0, M / 2);
  d.src_step[1] = M; /* rows of W are M wide */
  d.num[2] = 2;
  d.src_step[2] = (int64_t)(W2_AT - W_AT) / 4 + M / 2;
  d.dst_step[2] = M / 2;
  trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0, TRN_OP_DMA);
  in->aux = tm_desc(t, &d);
  in->imm[0] = 1;
  in->signal_sem = TM_SEM_IN;
  t->n_in++;
}

START_TEST(test_lazy_load_of_pieces) {
  /* read by a MATMUL across both pieces (each materialized): the joined bytes */
  tm_t *t = lazy_model();
  stage_pieces(t);
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  add_matmul(t, true, false);
  run_check(t, w_pieces, NULL);

  /* covered by a later load before anything reads it: both pieces were deferred, and
   * are dropped without a copy */
  t = lazy_model();
  stage_pieces(t);
  tm_stage_in(t, W_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, X_AT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, XN);
  add_matmul(t, true, false);
  run_check(t, w_first, "the pieces or the weights");
}
END_TEST

static Suite *lazy_suite(void) {
  Suite *s = suite_create("lazy");
  TCase *tc = tcase_create("deferred loads");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_lazy_dve_read_sees_load);
  tcase_add_test(tc, test_lazy_act_and_dma_reads_see_load);
  tcase_add_test(tc, test_lazy_matmul_reads_hbm_in_place);
  tcase_add_test(tc, test_lazy_partial_write_then_matmul);
  tcase_add_test(tc, test_lazy_second_load_covers_first);
  tcase_add_test(tc, test_lazy_second_load_into_part_of_first);
  tcase_add_test(tc, test_lazy_written_hbm_not_deferred);
  tcase_add_test(tc, test_lazy_load_of_pieces);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(lazy_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
