/* Unit tests of the interpreter's instruction semantics (interp.c, exec_*.c), on
 * models built by hand. Every run is in strict mode unless a test says otherwise. */
#include <stdio.h>

#include "interp_test_util.h"

#define IN 0u        /* HBM offset of staged inputs */
#define IN2 4096u    /* second input */
#define OUT 65536u   /* HBM offset of results */
#define HBM (1u << 20)

static void put_f32(tm_t *t, uint64_t off, const float *v, size_t n) {
  memcpy(t->hbm + off, v, n * 4);
}
static void put_i32(tm_t *t, uint64_t off, const int32_t *v, size_t n) {
  memcpy(t->hbm + off, v, n * 4);
}

static void assert_f32(const float *got, const float *want, size_t n, float tol) {
  for (size_t i = 0; i < n; i++) {
    if (tm_same_f32(got[i], want[i])) continue;
    float d = fabsf(got[i] - want[i]);
    ck_assert_msg(d <= tol * (1.0f + fabsf(want[i])), "element %zu: got %.9g, want %.9g", i,
                  (double)got[i], (double)want[i]);
  }
}

static void assert_i32(const int32_t *got, const int32_t *want, size_t n) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(got[i] == want[i], "element %zu: got %d, want %d", i, got[i], want[i]);
}

/* ---- DMA ----------------------------------------------------------------------- */

START_TEST(test_dma_roundtrip_bf16_rounding) {
  tm_t *t = tm_create(HBM);
  float in[6] = {1.0f, 1.00390625f, 1.01171875f, NAN, INFINITY, 1e-40f};
  put_f32(t, IN, in, 6);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 3, 1, 64, 6);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 3, 1, 64, 6);
  TM_OK(tm_run(t));
  float want[6] = {1.0f, 1.0f, 1.015625f, NAN, INFINITY,
                   trn_isa_bf16_to_f32(trn_isa_f32_to_bf16(1e-40f))};
  assert_f32(tm_hbm_f32(t, OUT), want, 6, 0);
  ck_assert(tm_hbm_f32(t, OUT)[5] > 0.0f);
  tm_destroy(t);
}
END_TEST

START_TEST(test_dma_strided_and_int_saturation) {
  tm_t *t = tm_create(HBM);
  int32_t in[4] = {300, -300, 5, -5};
  put_i32(t, IN, in, 4);
  /* HBM i32 -> HBM i8 with a reversed destination (step -1). */
  trn_dma_desc_t d;
  memset(&d, 0, sizeof d);
  d.src_space = TRN_SPACE_HBM;
  d.dst_space = TRN_SPACE_HBM;
  d.src_dtype = TRN_DTYPE_INT32;
  d.dst_dtype = TRN_DTYPE_INT8;
  d.src_addr = IN;
  d.dst_addr = OUT + 3;
  d.num[0] = 4;
  d.num[1] = d.num[2] = d.num[3] = 1;
  d.src_step[0] = 1;
  d.dst_step[0] = -1;
  trn_inst_t *in0 = tm_add(t, TRN_STREAM_DMA0 + 5, TRN_OP_DMA);
  in0->aux = tm_desc(t, &d);
  in0->imm[0] = 1;
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, NULL, &prof));
  int8_t *o = (int8_t *)(t->hbm + OUT);
  ck_assert_int_eq(o[3], 127);
  ck_assert_int_eq(o[2], -128);
  ck_assert_int_eq(o[1], 5);
  ck_assert_int_eq(o[0], -5);
  ck_assert_uint_eq(prof.dma_bytes, 4);
  tm_destroy(t);
}
END_TEST

START_TEST(test_dma_descriptor_out_of_range_traps) {
  tm_t *t = tm_create(4096);
  trn_dma_desc_t d = tm_rows_desc(t, true, 4000, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32,
                                  0, 1, 0, 64);
  trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0 + 2, TRN_OP_DMA);
  in->aux = tm_desc(t, &d);
  in->imm[0] = 1;
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "stream q2, instruction 0 (dma): descriptor 0: source bytes");
  /* a descriptor index beyond the table */
  in->aux = 7;
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "descriptors [7, 8) outside the table of 1");
  tm_destroy(t);
}
END_TEST

/* ---- PE ------------------------------------------------------------------------ */

static void matmul_small(trn_dtype_t dt) {
  tm_t *t = tm_create(HBM);
  float a[4] = {1, 2, 3, 4};       /* K=2 rows x M=2 */
  float b[6] = {1, 0, 2, 0, 1, 3}; /* K=2 rows x N=3 */
  put_f32(t, IN, a, 4);
  put_f32(t, IN2, b, 6);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, dt, 0, 2, 0, 2);
  tm_stage_in(t, IN2, TRN_DTYPE_FP32, TRN_SPACE_SBUF, dt, 0, 2, 256, 3);
  for (int i = 0; i < 2; i++) {
    trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 2, 2048, 3);
    mm->src0 = tm_row(TRN_SPACE_SBUF, dt, 0, 2, 0, 2);
    mm->src1 = tm_row(TRN_SPACE_SBUF, dt, 0, 2, 256, 3);
    if (i == 1) mm->flags = TRN_FLAG_ACC;
  }
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 2, 2048, 3);
  trn_rt_profile_t prof;
  trn_rt_run_options_t o = {.strict = true};
  TM_OK(tm_run_opts(t, &o, &prof));
  float want[6] = {2, 6, 22, 4, 8, 32};
  assert_f32(tm_hbm_f32(t, OUT), want, 6, 0);
  ck_assert_uint_eq(prof.macs, 2 * 2 * 2 * 3);
  tm_destroy(t);
}

START_TEST(test_matmul_small_fp32_accumulates) { matmul_small(TRN_DTYPE_FP32); }
END_TEST
START_TEST(test_matmul_small_bf16_fp16) {
  matmul_small(TRN_DTYPE_BF16);
  matmul_small(TRN_DTYPE_FP16);
}
END_TEST

/* 128 x 128 x 512 against a double-precision reference, once through the direct
 * (in place) path and once with strided operands and dst (gathered). */
/* strided: a stride-2 moving operand and a dst of two halves (gathered, stored in
 * place as a dense AP); dense2d: a moving operand of two halves, dense (read in place). */
static void matmul_large(bool strided, bool dense2d) {
  const uint32_t K = 128, M = 128, N = strided ? 256 : 512, NB = strided ? 2 * N : N;
  tm_t *t = tm_create(4u << 20);
  float *a = malloc(K * M * 4), *b = malloc(K * NB * 4);
  uint32_t seed = 12345;
  for (uint32_t i = 0; i < K * M; i++) {
    seed = seed * 1664525u + 1013904223u;
    a[i] = (float)((seed >> 8) % 2001) / 1000.0f - 1.0f;
  }
  for (uint32_t i = 0; i < K * NB; i++) {
    seed = seed * 1664525u + 1013904223u;
    b[i] = (float)((seed >> 8) % 2001) / 1000.0f - 1.0f;
  }
  put_f32(t, 0, a, K * M);
  put_f32(t, 1u << 20, b, K * NB);
  tm_stage_in(t, 0, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, 1u << 20, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, NB);
  trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
  mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  if (strided) {
    /* moving: every second element of the staged rows; dst: two halves of N/2 */
    mm->src1 = tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, N, 2, 1, 0, 1, 0);
    mm->dst = tm_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N / 2, 1, 2, (int32_t)N / 2, 1, 0);
  } else if (dense2d) {
    mm->src1 =
        tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, N / 2, 1, 2, (int32_t)N / 2, 1, 0);
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
  } else {
    mm->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, N);
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
  }
  tm_stage_out(t, 2u << 20, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
  TM_OK(tm_run(t));
  const float *c = tm_hbm_f32(t, 2u << 20);
  for (uint32_t m = 0; m < M; m++)
    for (uint32_t n = 0; n < N; n++) {
      double s = 0;
      for (uint32_t k = 0; k < K; k++)
        s += (double)a[k * M + m] * b[k * NB + (strided ? 2 * n : n)];
      ck_assert_msg(fabs(c[m * N + n] - s) < 1e-4, "c[%u,%u] = %g, want %g", m, n,
                    (double)c[m * N + n], s);
    }
  free(a);
  free(b);
  tm_destroy(t);
}

START_TEST(test_matmul_large_direct) { matmul_large(false, false); }
END_TEST
START_TEST(test_matmul_large_strided) { matmul_large(true, false); }
END_TEST
START_TEST(test_matmul_large_dense_2d) { matmul_large(false, true); }
END_TEST


/* A chain of accumulating matmuls is fused; a wait inside the chain ends the fusion so
 * that data written by another engine before the wait is seen. */
START_TEST(test_matmul_chain_fusion_respects_waits) {
  tm_t *t = tm_create(HBM);
  float a[4] = {1, 2, 3, 4}, b[6] = {1, 0, 2, 0, 1, 3};
  put_f32(t, IN, a, 4);
  put_f32(t, IN2, b, 6);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 2);
  tm_stage_in(t, IN2, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 256, 3);
  /* DVE writes 1.0 into the moving operand of the 4th matmul, then signals s5 */
  trn_inst_t *ms = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 512, 3);
  ms->imm[0] = tm_f(1.0f);
  ms->signal_sem = 5;
  for (int i = 0; i < 4; i++) {
    trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 2, 0, 3);
    mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 2);
    mm->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, i == 3 ? 512 : 256, 3);
    if (i) mm->flags = TRN_FLAG_ACC;
    if (i == 3) {
      mm->wait_sem = 5;
      mm->wait_value = 1;
    }
  }
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 2, 0, 3);
  trn_rt_profile_t prof;
  trn_rt_run_options_t o = {.strict = true};
  TM_OK(tm_run_opts(t, &o, &prof));
  /* 3 x (A^T B) + A^T ones: rows m: A[:,0] = (1, 3), A[:,1] = (2, 4) */
  float want[6] = {3 * 1 + 4, 3 * 3 + 4, 3 * 11 + 4, 3 * 2 + 6, 3 * 4 + 6, 3 * 16 + 6};
  assert_f32(tm_hbm_f32(t, OUT), want, 6, 0);
  ck_assert_uint_eq(prof.macs, 4 * 2 * 2 * 3);
  ck_assert_uint_eq(prof.instructions, 2 + 1 + 4 + 1);
  tm_destroy(t);
}
END_TEST

/* A chain whose members signal, and wait on semaphores already signalled enough when
 * its first instruction runs (by instructions run before it, or by the chain's own
 * earlier members), is computed by its first instruction all the same: those waits
 * order nothing further. The program shows it with a race on purpose (so not in strict
 * mode): DVE overwrites the moving operand of matmuls 1 and 2 after the first matmul
 * ran and before the others run, unordered with them; computed at the first matmul,
 * the chain never sees DVE's ones. Matmul 1 waits on s9, which ACT signalled (it ran)
 * before matmul 0 but whose long activation ends later, so matmul 1 starts after DVE's
 * write; matmul 2 waits on s7 >= 2, the signals of matmuls 0 and 1.
 * With `dve_signals_s9`, DVE also signals s9, after its write, and that signal ends
 * before ACT's: the wait of matmul 1 is then satisfied by DVE's signal (the first in
 * time order), the program is race-free and the chain must see DVE's ones. As s9 has
 * two signalling streams, the count reached when matmul 0 runs says nothing. */
static void matmul_chain_fusion_past_met_waits(bool strided, bool dve_signals_s9) {
  enum { K = 2, M = 2, N = 3 };
  const uint32_t step = strided ? 2 : 1;
  tm_t *t = tm_create(HBM);
  float a[K * M] = {1, 2, 3, 4}, b[K * N * 2], b2[K * N * 2];
  for (int i = 0; i < K * N * 2; i++) {
    b[i] = (float)(i % 5) - 1.0f;
    b2[i] = (float)(i % 3) + 2.0f;
  }
  put_f32(t, IN, a, K * M);
  put_f32(t, IN2, b, K * N * 2);
  put_f32(t, IN2 + 256, b2, K * N * 2);
  /* SBUF: A at 0, B at 256 (matmuls 0 and 3), B2 at 512 (matmuls 1 and 2) */
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
  tm_stage_in(t, IN2, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 256, N * step);
  tm_stage_in(t, IN2 + 256, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 512, N * step);
  /* ACT: a short copy signalling s8 (matmul 0 waits on it), then a long one (s9) */
  trn_inst_t *x0 = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  x0->op0 = TRN_ACT_COPY;
  x0->imm[0] = tm_f(1.0f);
  x0->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 8192, 1);
  x0->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 1);
  x0->signal_sem = 8;
  trn_inst_t *x1 = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  *x1 = *x0;
  x1->wait_sem = TRN_SEM_NONE;
  x1->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 16384, 2048);
  x1->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 32768, 2048);
  x1->signal_sem = 9;
  /* DVE: ones into B2 once matmul 0 has run (a race with matmuls 1 and 2) */
  trn_inst_t *ms = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 512, N * step);
  ms->imm[0] = tm_f(1.0f);
  ms->wait_sem = 7;
  ms->wait_value = 1;
  ms->signal_sem = dve_signals_s9 ? 9 : 10;
  static const uint8_t wait_sem[4] = {8, 9, 7, TRN_SEM_NONE}, wait_value[4] = {1, 1, 2, 0};
  static const uint8_t signal_sem[4] = {7, 7, TRN_SEM_NONE, 7};
  for (int i = 0; i < 4; i++) {
    trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
    uint32_t boff = i == 1 || i == 2 ? 512 : 256;
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
    mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, M);
    mm->src1 = strided ? tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, boff, N, 2, 1, 0, 1, 0)
                       : tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, boff, N);
    if (i) mm->flags = TRN_FLAG_ACC;
    mm->wait_sem = wait_sem[i];
    mm->wait_value = wait_value[i];
    mm->signal_sem = signal_sem[i];
  }
  trn_inst_t *out = tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
  out->wait_sem = 7;
  out->wait_value = 3;
  trn_rt_profile_t prof;
  trn_rt_run_options_t strict = {.strict = true};
  TM_OK(tm_run_opts(t, dve_signals_s9 ? &strict : NULL, &prof));
  /* 2 A^T B + 2 A^T B2, B2 as staged or DVE's ones: A[:,0] = (1, 3), A[:,1] = (2, 4) */
  float want[M * N];
  for (int m = 0; m < M; m++)
    for (int n = 0; n < N; n++) {
      float sum = 0;
      for (int k = 0; k < K; k++) {
        float b2v = dve_signals_s9 ? 1.0f : b2[k * N * step + n * step];
        sum += a[k * M + m] * 2.0f * (b[k * N * step + n * step] + b2v);
      }
      want[m * N + n] = sum;
    }
  assert_f32(tm_hbm_f32(t, OUT), want, M * N, 0);
  ck_assert_uint_eq(prof.macs, 4 * K * M * N);
  tm_destroy(t);
}

START_TEST(test_matmul_chain_fusion_past_met_waits) {
  matmul_chain_fusion_past_met_waits(false, false);
}
END_TEST
START_TEST(test_matmul_chain_fusion_past_met_waits_strided) {
  matmul_chain_fusion_past_met_waits(true, false);
}
END_TEST
START_TEST(test_matmul_chain_fusion_waits_on_two_signallers) {
  matmul_chain_fusion_past_met_waits(false, true);
}
END_TEST

/* Chains that continue each other along N (the same stationaries, moving operands and
 * dst 4 columns further, as a GEMM tiled over N) are computed as one GEMM; a chain
 * whose head waits stays out, so that what the wait orders before it is seen. */
static void matmul_chains_along_n(bool third_waits) {
  enum { K = 2, KT = 3, W = 4, CH = 3 };
  tm_t *t = tm_create(HBM);
  float a[K * K * KT], b[K * W * CH * KT];
  for (int i = 0; i < K * K * KT; i++) a[i] = (float)(i % 5) - 2.0f;
  for (int i = 0; i < K * W * CH * KT; i++) b[i] = (float)(i % 7) - 3.0f;
  /* SBUF: A's kt tiles side by side from 0 (K x K each); B's from 256, 64 bytes apart */
  put_f32(t, IN, a, K * K * KT);
  put_f32(t, IN2, b, K * W * CH * KT);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 0, K * KT);
  for (int j = 0; j < KT; j++)
    tm_stage_in(t, IN2 + (uint64_t)j * K * W * CH * 4, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                TRN_DTYPE_FP32, 0, K, 256 + 64 * (uint32_t)j, W * CH);
  if (third_waits) { /* ones into the moving operand of chain 2's first matmul */
    trn_inst_t *ms = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
    ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 256 + 2 * W * 4, W);
    ms->imm[0] = tm_f(1.0f);
    ms->signal_sem = 5;
  }
  for (int c = 0; c < CH; c++)
    for (int j = 0; j < KT; j++) {
      trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
      mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, K, (uint32_t)c * W * 4, W);
      mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, (uint32_t)j * K * 4, K);
      mm->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 256 + 64 * (uint32_t)j + c * W * 4, W);
      if (j) mm->flags = TRN_FLAG_ACC;
      if (j == KT - 1 && c < CH - 1) mm->signal_sem = 6;
      if (third_waits && c == CH - 1 && j == 0) {
        mm->wait_sem = 5;
        mm->wait_value = 1;
      }
    }
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, K, 0, W * CH);
  trn_rt_profile_t prof;
  trn_rt_run_options_t o = {.strict = true};
  TM_OK(tm_run_opts(t, &o, &prof));
  float want[K * W * CH];
  for (int m = 0; m < K; m++)
    for (int n = 0; n < W * CH; n++) {
      float s = 0;
      for (int j = 0; j < KT; j++)
        for (int k = 0; k < K; k++) {
          float bv = b[j * K * W * CH + k * W * CH + n];
          if (third_waits && j == 0 && n >= 2 * W) bv = 1.0f;
          s += a[k * K * KT + j * K + m] * bv;
        }
      want[m * W * CH + n] = s;
    }
  assert_f32(tm_hbm_f32(t, OUT), want, K * W * CH, 0);
  ck_assert_uint_eq(prof.macs, (uint64_t)CH * KT * K * K * W);
  tm_destroy(t);
}

START_TEST(test_matmul_chains_along_n_fuse) { matmul_chains_along_n(false); }
END_TEST
START_TEST(test_matmul_chains_along_n_stop_at_a_wait) { matmul_chains_along_n(true); }
END_TEST

/* Rows of chains that continue each other along M (the same moving operands, the
 * stationaries M columns further, each row's dst anywhere, as a GEMM tiled over M and
 * N) are computed as one GEMM; a row whose head waits stays out, so that what the wait
 * orders before it is seen. */
static void matmul_rows_along_m(bool third_waits) {
  enum { K = 2, KT = 3, M = 2, R = 3, W = 4, CH = 2 };
  static const uint32_t row_dst[R] = {0, 96, 32}; /* PSUM bytes; rows disjoint, unordered */
  tm_t *t = tm_create(HBM);
  float a[KT * K * M * R], b[KT * K * W * CH];
  for (int i = 0; i < KT * K * M * R; i++) a[i] = (float)(i % 5) - 2.0f;
  for (int i = 0; i < KT * K * W * CH; i++) b[i] = (float)(i % 7) - 3.0f;
  /* SBUF: A's kt tiles (K x M*R each) side by side from 0; B's from 256, 64 bytes apart */
  put_f32(t, IN, a, KT * K * M * R);
  put_f32(t, IN2, b, KT * K * W * CH);
  for (int j = 0; j < KT; j++) {
    tm_stage_in(t, IN + (uint64_t)j * K * M * R * 4, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                TRN_DTYPE_FP32, 0, K, (uint32_t)j * M * R * 4, M * R);
    tm_stage_in(t, IN2 + (uint64_t)j * K * W * CH * 4, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                TRN_DTYPE_FP32, 0, K, 256 + 64 * (uint32_t)j, W * CH);
  }
  if (third_waits) { /* ones into the stationary operand of row 2's first matmul */
    trn_inst_t *ms = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
    ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 2 * M * 4, M);
    ms->imm[0] = tm_f(1.0f);
    ms->signal_sem = 5;
  }
  for (int r = 0; r < R; r++)
    for (int c = 0; c < CH; c++)
      for (int j = 0; j < KT; j++) {
        trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
        mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, row_dst[r] + (uint32_t)c * W * 4, W);
        mm->src0 =
            tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, (uint32_t)(j * M * R + r * M) * 4, M);
        mm->src1 =
            tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 256 + 64 * (uint32_t)j + c * W * 4, W);
        if (j) mm->flags = TRN_FLAG_ACC;
        if (j == KT - 1 && (r < R - 1 || c < CH - 1)) mm->signal_sem = 6;
        if (third_waits && r == 2 && c == 0 && j == 0) {
          mm->wait_sem = 5;
          mm->wait_value = 1;
        }
      }
  for (int r = 0; r < R; r++)
    tm_stage_out(t, OUT + (uint64_t)r * M * W * CH * 4, TRN_DTYPE_FP32, TRN_SPACE_PSUM,
                 TRN_DTYPE_FP32, 0, M, row_dst[r], W * CH);
  trn_rt_profile_t prof;
  trn_rt_run_options_t o = {.strict = true};
  TM_OK(tm_run_opts(t, &o, &prof));
  float want[R * M * W * CH];
  for (int r = 0; r < R; r++)
    for (int m = 0; m < M; m++)
      for (int n = 0; n < W * CH; n++) {
        float s = 0;
        for (int j = 0; j < KT; j++)
          for (int k = 0; k < K; k++) {
            float av = a[j * K * M * R + k * M * R + r * M + m];
            if (third_waits && j == 0 && r == 2) av = 1.0f;
            s += av * b[j * K * W * CH + k * W * CH + n];
          }
        want[(r * M + m) * W * CH + n] = s;
      }
  assert_f32(tm_hbm_f32(t, OUT), want, R * M * W * CH, 0);
  ck_assert_uint_eq(prof.macs, (uint64_t)R * CH * KT * K * M * W);
  /* strict mode or not, the same */
  TM_OK(tm_run_opts(t, NULL, &prof));
  assert_f32(tm_hbm_f32(t, OUT), want, R * M * W * CH, 0);
  tm_destroy(t);
}

START_TEST(test_matmul_rows_along_m_fuse) { matmul_rows_along_m(false); }
END_TEST
START_TEST(test_matmul_rows_along_m_stop_at_a_wait) { matmul_rows_along_m(true); }
END_TEST

/* Rows of a GEMM tiled over M that reuse one PSUM dst, each row's first matmul waiting
 * until ACT has copied the previous row out (as the compiler rotates PSUM banks): the
 * rows are computed at once and each stored when its first matmul runs. When ACT also
 * writes into a later row's stationary operand before it signals (a writer the
 * matmuls have yet to wait for), that row is computed when it runs, from the new
 * values. */
static void matmul_rows_reusing_psum(bool act_writes_operand) {
  enum { K = 3, KT = 2, M = 2, R = 4, W = 4, CH = 2, N = W * CH };
  tm_t *t = tm_create(HBM);
  float a[KT * K * M * R], b[KT * K * N];
  for (int i = 0; i < KT * K * M * R; i++) a[i] = (float)(i % 5) - 2.0f;
  for (int i = 0; i < KT * K * N; i++) b[i] = (float)(i % 7) - 3.0f;
  put_f32(t, IN, a, KT * K * M * R);
  put_f32(t, IN2, b, KT * K * N);
  for (int j = 0; j < KT; j++) {
    tm_stage_in(t, IN + (uint64_t)j * K * M * R * 4, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                TRN_DTYPE_FP32, 0, K, (uint32_t)j * M * R * 4, M * R);
    tm_stage_in(t, IN2 + (uint64_t)j * K * N * 4, TRN_DTYPE_FP32, TRN_SPACE_SBUF,
                TRN_DTYPE_FP32, 0, K, 256 + 64 * (uint32_t)j, N);
  }
  for (int r = 0; r < R; r++) {
    for (int c = 0; c < CH; c++)
      for (int j = 0; j < KT; j++) {
        trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
        mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, (uint32_t)c * W * 4, W);
        mm->src0 =
            tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, (uint32_t)(j * M * R + r * M) * 4, M);
        mm->src1 =
            tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 256 + 64 * (uint32_t)j + c * W * 4, W);
        if (j) mm->flags = TRN_FLAG_ACC;
        if (j == KT - 1 && c == CH - 1) mm->signal_sem = 6;
        if (j == 0 && r > 0) { /* the dst is free once ACT copied row r - 1 */
          mm->wait_sem = 7;
          mm->wait_value = (uint32_t)r;
        }
      }
    trn_inst_t *cp = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
    cp->op0 = TRN_ACT_COPY;
    cp->imm[0] = tm_f(1.0f);
    cp->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, M, 1024 + (uint32_t)r * N * 4, N);
    cp->src0 = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, M, 0, N);
    cp->wait_sem = 6;
    cp->wait_value = (uint32_t)r + 1;
    if (r == 0 && act_writes_operand) { /* ones into row 3's stationary (kt 1), then signal */
      trn_inst_t *ms = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
      ms->op0 = TRN_ACT_COPY;
      ms->imm[0] = tm_f(0.0f);
      ms->imm[1] = tm_f(1.0f);
      ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, (uint32_t)(M * R + 3 * M) * 4, M);
      ms->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, K, 4096, M);
    }
    if (r < R - 1) cp->signal_sem = 7;
    if (r == 0 && act_writes_operand) {
      cp->signal_sem = TRN_SEM_NONE;
      t->insts[TRN_ENGINE_ACT][t->m.stream_length[TRN_ENGINE_ACT] - 1].signal_sem = 7;
    }
  }
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, M, 1024, R * N);
  trn_rt_profile_t prof;
  trn_rt_run_options_t o = {.strict = true};
  TM_OK(tm_run_opts(t, &o, &prof));
  float want[M * R * N];
  for (int r = 0; r < R; r++)
    for (int m = 0; m < M; m++)
      for (int n = 0; n < N; n++) {
        float s = 0;
        for (int j = 0; j < KT; j++)
          for (int k = 0; k < K; k++) {
            float av = a[j * K * M * R + k * M * R + r * M + m];
            if (act_writes_operand && j == 1 && r == 3) av = 1.0f;
            s += av * b[j * K * N + k * N + n];
          }
        want[m * R * N + r * N + n] = s;
      }
  assert_f32(tm_hbm_f32(t, OUT), want, M * R * N, 0);
  ck_assert_uint_eq(prof.macs, (uint64_t)R * CH * KT * K * M * W);
  TM_OK(tm_run_opts(t, NULL, &prof));
  assert_f32(tm_hbm_f32(t, OUT), want, M * R * N, 0);
  tm_destroy(t);
}

START_TEST(test_matmul_rows_reusing_psum_fuse) { matmul_rows_reusing_psum(false); }
END_TEST
START_TEST(test_matmul_rows_reusing_psum_see_later_writes) { matmul_rows_reusing_psum(true); }
END_TEST

/* A run with options.layers fills each layer's profile from the instructions the
 * model attributes to it; instructions of no layer count nowhere. */
START_TEST(test_layer_profile_sums_per_layer) {
  tm_t *t = tm_create(HBM);
  char *names[2] = {"mm", "tail"};
  uint32_t pe_layer[2] = {0, 0}, dve_layer[2] = {1, TRN_RT_NO_LAYER};
  t->m.layer_names = names;
  t->m.layer_count = 2;
  t->m.inst_layer[TRN_ENGINE_PE] = pe_layer;
  t->m.inst_layer[TRN_ENGINE_DVE] = dve_layer;
  for (int i = 0; i < 2; i++) {
    trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
    mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 4, 0, 8);
    mm->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 4);
    mm->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 64, 8);
    if (i) mm->flags = TRN_FLAG_ACC;
  }
  for (int i = 0; i < 2; i++) {
    trn_inst_t *ms = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
    ms->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 1024 + 2048 * (uint32_t)i, 512);
  }
  trn_rt_layer_profile_t layers[2];
  memset(layers, 0xff, sizeof layers); /* the run clears them */
  trn_rt_run_options_t o = {.layers = layers};
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, &o, &prof));
  ck_assert_uint_eq(layers[0].instructions, 2);
  ck_assert_uint_eq(layers[0].macs, 2 * 2 * 4 * 8);
  ck_assert_uint_eq(layers[0].macs, prof.macs);
  ck_assert(layers[0].busy_seconds[TRN_ENGINE_PE] > 0);
  ck_assert(layers[0].busy_seconds[TRN_ENGINE_DVE] == 0);
  ck_assert(layers[0].last_end > layers[0].first_start);
  ck_assert(layers[0].last_end <= prof.total_seconds * (1 + 1e-12));
  ck_assert_uint_eq(layers[1].instructions, 1);
  ck_assert_uint_eq(layers[1].macs, 0);
  ck_assert(layers[1].busy_seconds[TRN_ENGINE_DVE] > 0);
  ck_assert(layers[1].busy_seconds[TRN_ENGINE_PE] == 0);
  ck_assert(layers[1].dma_last_end == 0 && layers[1].dma_bytes == 0);
  /* one of two equal memsets: half the engine's busy time */
  double dve_total = prof.engine_busy[TRN_ENGINE_DVE] * prof.total_seconds;
  ck_assert_msg(fabs(layers[1].busy_seconds[TRN_ENGINE_DVE] - dve_total / 2) < 1e-12,
                "%g vs %g", layers[1].busy_seconds[TRN_ENGINE_DVE], dve_total / 2);
  t->m.layer_names = NULL;
  t->m.layer_count = 0;
  t->m.inst_layer[TRN_ENGINE_PE] = t->m.inst_layer[TRN_ENGINE_DVE] = NULL;
  tm_destroy(t);
}
END_TEST

START_TEST(test_transpose_pe) {
  tm_t *t = tm_create(HBM);
  float a[6] = {1, 2, 3, 4, 5, 6}; /* 2 x 3 */
  put_f32(t, IN, a, 6);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, 2, 0, 3);
  trn_inst_t *tr = tm_add(t, TRN_ENGINE_PE, TRN_OP_TRANSPOSE);
  tr->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, 2, 0, 3);
  tr->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 3, 0, 2);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 3, 0, 2);
  TM_OK(tm_run(t));
  float want[6] = {1, 4, 2, 5, 3, 6};
  assert_f32(tm_hbm_f32(t, OUT), want, 6, 0);
  tm_destroy(t);
}
END_TEST

/* ---- ACT ----------------------------------------------------------------------- */

static double ref_act(trn_act_t fn, double x) {
  switch (fn) {
  case TRN_ACT_COPY: return x;
  case TRN_ACT_EXP: return exp(x);
  case TRN_ACT_LOG: return log(x);
  case TRN_ACT_TANH: return tanh(x);
  case TRN_ACT_SIGMOID: return 1 / (1 + exp(-x));
  case TRN_ACT_RELU: return x > 0 ? x : 0;
  case TRN_ACT_GELU: return x * (1 + erf(x / sqrt(2.0))) / 2;
  case TRN_ACT_GELU_TANH: return x * (1 + tanh(sqrt(2 / 3.14159265358979323846) * (x + 0.044715 * x * x * x))) / 2;
  case TRN_ACT_ERF: return erf(x);
  case TRN_ACT_SILU: return x / (1 + exp(-x));
  case TRN_ACT_SOFTPLUS: return log1p(exp(x));
  case TRN_ACT_SQRT: return sqrt(x);
  case TRN_ACT_RSQRT: return 1 / sqrt(x);
  case TRN_ACT_RECIPROCAL: return 1 / x;
  case TRN_ACT_SQUARE: return x * x;
  case TRN_ACT_ABS: return fabs(x);
  case TRN_ACT_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
  case TRN_ACT_SIN: return sin(x);
  case TRN_ACT_COS: return cos(x);
  }
  return NAN;
}

START_TEST(test_activate_every_function) {
  static const float xs[8] = {-2.0f, -0.5f, 0.0f, 0.5f, 2.0f, 3.0f, 30.0f, -30.0f};
  static const float colbias[2] = {0.5f, -0.5f};
  for (uint32_t fn = 0; fn < 256; fn++) {
    if (!trn_isa_act_name(fn)) continue;
    tm_t *t = tm_create(HBM);
    float in[16];
    for (int p = 0; p < 2; p++) memcpy(in + 8 * p, xs, sizeof xs);
    put_f32(t, IN, in, 16);
    put_f32(t, IN2, colbias, 2);
    tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 8);
    tm_stage_in(t, IN2, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 1024, 1);
    trn_inst_t *a = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
    a->op0 = (uint8_t)fn;
    a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 2048, 8);
    a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 8);
    a->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 1024, 1);
    a->imm[0] = tm_f(0.5f);
    a->imm[1] = tm_f(0.25f);
    tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 2048, 8);
    TM_OK(tm_run(t));
    const float *o = tm_hbm_f32(t, OUT);
    for (int p = 0; p < 2; p++)
      for (int i = 0; i < 8; i++) {
        double x = (double)xs[i] * 0.5 + 0.25 + colbias[p];
        double want = ref_act((trn_act_t)fn, (float)x);
        float got = o[8 * p + i];
        if (isnan(want)) {
          ck_assert_msg(isnan(got), "%s(%g): got %g, want NaN", trn_isa_act_name(fn), x, (double)got);
        } else if (isinf(want)) {
          ck_assert_msg(got == (float)want, "%s(%g): got %g", trn_isa_act_name(fn), x, (double)got);
        } else {
          ck_assert_msg(fabs(got - want) <= 2e-6 * (1 + fabs(want)), "%s(%g): got %.9g, want %.9g",
                        trn_isa_act_name(fn), x, (double)got, want);
        }
      }
    tm_destroy(t);
  }
}
END_TEST

START_TEST(test_activate_accum_column) {
  tm_t *t = tm_create(HBM);
  float in[4] = {1, 2, 3, 4};
  put_f32(t, IN, in, 4);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  /* dst has one extra column: results skip column imm2 = 4 (appended sum) */
  trn_inst_t *a = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  a->op0 = TRN_ACT_SQUARE;
  a->flags = TRN_FLAG_ACCUM;
  a->imm[0] = tm_f(1.0f);
  a->imm[2] = 4;
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 5);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  /* same free size: the sum overwrites column 0 */
  trn_inst_t *b = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  b->op0 = TRN_ACT_COPY;
  b->flags = TRN_FLAG_ACCUM;
  b->imm[0] = tm_f(2.0f);
  b->imm[2] = 0;
  b->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 4);
  b->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  /* one more column than results, sum in column 1: column 4 keeps its value */
  trn_inst_t *c = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  c->op0 = TRN_ACT_COPY;
  c->flags = TRN_FLAG_ACCUM;
  c->imm[0] = tm_f(1.0f);
  c->imm[2] = 1;
  c->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 768, 5);
  c->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 5);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 4);
  tm_stage_out(t, OUT + 128, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 768, 5);
  TM_OK(tm_run(t));
  float want1[5] = {1, 4, 9, 16, 30};
  float want2[4] = {20, 4, 6, 8};
  float want3[5] = {1, 10, 3, 4, 0};
  assert_f32(tm_hbm_f32(t, OUT), want1, 5, 0);
  assert_f32(tm_hbm_f32(t, OUT + 64), want2, 4, 0);
  assert_f32(tm_hbm_f32(t, OUT + 128), want3, 5, 0);
  tm_destroy(t);
}
END_TEST

/* ---- DVE ----------------------------------------------------------------------- */

/* Runs dst = op(src0, src1) on one partition of n elements of dtype dt. */
static void run_tt(trn_dtype_t dt, uint8_t op, uint8_t flags, const void *a, const void *b,
                   size_t n, void *out) {
  tm_t *t = tm_create(HBM);
  memcpy(t->hbm + IN, a, n * 4);
  memcpy(t->hbm + IN2, b, n * 4);
  tm_stage_in(t, IN, dt, TRN_SPACE_SBUF, dt, 0, 1, 0, (uint32_t)n);
  tm_stage_in(t, IN2, dt, TRN_SPACE_SBUF, dt, 0, 1, 256, (uint32_t)n);
  trn_inst_t *in = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_TENSOR);
  in->op0 = op;
  in->flags = flags;
  in->dst = tm_row(TRN_SPACE_SBUF, dt, 0, 1, 512, (uint32_t)n);
  in->src0 = tm_row(TRN_SPACE_SBUF, dt, 0, 1, 0, (uint32_t)n);
  in->src1 = tm_row(TRN_SPACE_SBUF, dt, 0, 1, 256, (uint32_t)n);
  tm_stage_out(t, OUT, dt, TRN_SPACE_SBUF, dt, 0, 1, 512, (uint32_t)n);
  TM_OK(tm_run(t));
  memcpy(out, t->hbm + OUT, n * 4);
  tm_destroy(t);
}

START_TEST(test_tensor_tensor_float_ops) {
  const float a[8] = {5, -7, 2.5f, NAN, 0, -0.0f, INFINITY, 3};
  const float b[8] = {3, 2, -1.5f, 1, 0, 2, 1, 0};
  float o[8];
  struct {
    trn_alu_t op;
    float want[8];
  } cases[] = {
      {TRN_ALU_ADD, {8, -5, 1, NAN, 0, 2, INFINITY, 3}},
      {TRN_ALU_SUB, {2, -9, 4, NAN, 0, -2, INFINITY, 3}},
      {TRN_ALU_MUL, {15, -14, -3.75f, NAN, 0, -0.0f, INFINITY, 0}},
      {TRN_ALU_DIV, {5.0f / 3, -3.5f, 2.5f / -1.5f, NAN, NAN, -0.0f, INFINITY, INFINITY}},
      {TRN_ALU_MAX, {5, 2, 2.5f, NAN, 0, 2, INFINITY, 3}},
      {TRN_ALU_MIN, {3, -7, -1.5f, NAN, 0, -0.0f, 1, 0}},
      {TRN_ALU_RSUB, {-2, 9, -4, NAN, 0, 2, -INFINITY, -3}},
      {TRN_ALU_MOD, {2, 1, -0.5f, NAN, NAN, 0, NAN, NAN}},
      {TRN_ALU_FMOD, {2, -1, 1, NAN, NAN, -0.0f, NAN, NAN}},
      {TRN_ALU_ABSDIFF, {2, 9, 4, NAN, 0, 2, INFINITY, 3}},
      {TRN_ALU_EQ, {0, 0, 0, 0, 1, 0, 0, 0}},
      {TRN_ALU_NE, {1, 1, 1, 1, 0, 1, 1, 1}},
      {TRN_ALU_LT, {0, 1, 0, 0, 0, 1, 0, 0}},
      {TRN_ALU_GE, {1, 0, 1, 0, 1, 0, 1, 1}},
      {TRN_ALU_AND, {1, 1, 1, 1, 0, 0, 1, 0}},
      {TRN_ALU_OR, {1, 1, 1, 1, 0, 1, 1, 1}},
      {TRN_ALU_XOR, {0, 0, 0, 0, 0, 1, 0, 1}},
      {TRN_ALU_POW, {125, 49, powf(2.5f, -1.5f), NAN, 1, 0, INFINITY, 1}},
      {TRN_ALU_BYPASS, {5, -7, 2.5f, NAN, 0, -0.0f, INFINITY, 3}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    run_tt(TRN_DTYPE_FP32, cases[c].op, 0, a, b, 8, o);
    for (int i = 0; i < 8; i++)
      ck_assert_msg(tm_same_f32(o[i], cases[c].want[i]) ||
                        fabsf(o[i] - cases[c].want[i]) <= 1e-6f * fabsf(cases[c].want[i]),
                    "%s element %d: got %g, want %g", trn_isa_alu_name(cases[c].op), i,
                    (double)o[i], (double)cases[c].want[i]);
  }
  /* REVERSE swaps the operands: b - a */
  run_tt(TRN_DTYPE_FP32, TRN_ALU_SUB, TRN_FLAG_REVERSE, a, b, 8, o);
  ck_assert(o[0] == -2 && o[1] == 9);
}
END_TEST

START_TEST(test_tensor_tensor_int_ops) {
  const int32_t a[8] = {7, -7, 5, INT32_MIN, 0, 100, -1, 3};
  const int32_t b[8] = {2, 2, 0, -1, 0, 3, 31, 1};
  int32_t o[8];
  struct {
    trn_alu_t op;
    int32_t want[8];
  } cases[] = {
      {TRN_ALU_ADD, {9, -5, 5, INT32_MAX, 0, 103, 30, 4}},
      {TRN_ALU_DIV, {3, -3, 0, INT32_MIN, 0, 33, 0, 3}},
      {TRN_ALU_MOD, {1, 1, 0, 0, 0, 1, 30, 0}},
      {TRN_ALU_FMOD, {1, -1, 0, 0, 0, 1, -1, 0}},
      {TRN_ALU_SHL, {28, -28, 5, 0, 0, 800, INT32_MIN, 6}},
      {TRN_ALU_SHR, {1, -2, 5, -1, 0, 12, -1, 1}},
      {TRN_ALU_BITAND, {2, 0, 0, INT32_MIN, 0, 0, 31, 1}},
      {TRN_ALU_BITXOR, {5, -5, 5, INT32_MAX, 0, 103, -32, 2}},
      {TRN_ALU_MAX, {7, 2, 5, -1, 0, 100, 31, 3}},
      {TRN_ALU_ABSDIFF, {5, 9, 5, INT32_MAX, 0, 97, 32, 2}},
      {TRN_ALU_POW, {49, 49, 1, 0, 1, 1000000, -1, 3}},
      {TRN_ALU_LE, {0, 1, 0, 1, 1, 0, 1, 0}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    run_tt(TRN_DTYPE_INT32, cases[c].op, 0, a, b, 8, o);
    for (int i = 0; i < 8; i++)
      ck_assert_msg(o[i] == cases[c].want[i], "%s element %d: got %d, want %d",
                    trn_isa_alu_name(cases[c].op), i, o[i], cases[c].want[i]);
  }
}
END_TEST

START_TEST(test_tensor_scalar_imm_ap_reverse) {
  tm_t *t = tm_create(HBM);
  float x[8] = {1, 2, 3, 4, -1, -2, -3, -4}; /* 2 partitions x 4 */
  float s[4] = {3, 100, 10, -5};             /* per partition: s0, s1 */
  put_f32(t, IN, x, 8);
  put_f32(t, IN2, s, 4);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 4);
  tm_stage_in(t, IN2, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 256, 2);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_SCALAR); /* x*2+1 */
  a->op0 = TRN_ALU_MUL;
  a->op1 = TRN_ALU_ADD;
  a->imm[0] = tm_f(2);
  a->imm[1] = tm_f(1);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 512, 4);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 4);
  trn_inst_t *b = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_SCALAR); /* 12 / (10 - x) */
  b->op0 = TRN_ALU_SUB;
  b->op1 = TRN_ALU_DIV;
  b->flags = TRN_FLAG_REVERSE;
  b->imm[0] = tm_f(10);
  b->imm[1] = tm_f(12);
  b->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 768, 4);
  b->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 4);
  trn_inst_t *c = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_SCALAR); /* max(x + s0[p], s1[p]) */
  c->op0 = TRN_ALU_ADD;
  c->op1 = TRN_ALU_MAX;
  c->flags = TRN_FLAG_S0_AP | TRN_FLAG_S1_AP;
  c->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 1024, 4);
  c->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 0, 4);
  c->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 256, 2);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 512, 4);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 768, 4);
  tm_stage_out(t, OUT + 128, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 2, 1024, 4);
  TM_OK(tm_run(t));
  float w1[8] = {3, 5, 7, 9, -1, -3, -5, -7};
  float w2[8] = {12.0f / 9, 12.0f / 8, 12.0f / 7, 2, 12.0f / 11, 1, 12.0f / 13, 12.0f / 14};
  float w3[8] = {100, 100, 100, 100, 9, 8, 7, 6};
  assert_f32(tm_hbm_f32(t, OUT), w1, 8, 0);
  assert_f32(tm_hbm_f32(t, OUT + 64), w2, 8, 1e-7f);
  assert_f32(tm_hbm_f32(t, OUT + 128), w3, 8, 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_tensor_scalar_int_shift) {
  tm_t *t = tm_create(HBM);
  int32_t x[4] = {1, -8, 3, 1 << 20};
  put_i32(t, IN, x, 4);
  tm_stage_in(t, IN, TRN_DTYPE_INT32, TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 0, 4);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_SCALAR); /* (x << 3) >> 1 */
  a->op0 = TRN_ALU_SHL;
  a->op1 = TRN_ALU_SHR;
  a->imm[0] = tm_f(3);
  a->imm[1] = tm_f(1);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 256, 4);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 0, 4);
  tm_stage_out(t, OUT, TRN_DTYPE_INT32, TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 256, 4);
  TM_OK(tm_run(t));
  int32_t want[4] = {4, -32, 12, 1 << 22};
  assert_i32(tm_hbm_i32(t, OUT), want, 4);
  tm_destroy(t);
}
END_TEST

START_TEST(test_tensor_reduce_groups) {
  tm_t *t = tm_create(HBM);
  float x[6] = {1, 2, 3, 4, 5, 6};
  put_f32(t, IN, x, 6);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 6);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_REDUCE);
  a->op0 = TRN_ALU_ADD;
  a->imm[0] = 1;
  a->src0 = tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 3, 1, 2, 3, 1, 0);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 2);
  trn_inst_t *b = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_REDUCE);
  b->op0 = TRN_ALU_MAX;
  b->imm[0] = 2;
  /* transposed view: i0 walks columns of the 2x3 matrix */
  b->src0 = tm_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 2, 3, 3, 1, 1, 0);
  b->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 1);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 2);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 1);
  TM_OK(tm_run(t));
  float w1[2] = {6, 15}, w2[1] = {6};
  assert_f32(tm_hbm_f32(t, OUT), w1, 2, 0);
  assert_f32(tm_hbm_f32(t, OUT + 64), w2, 1, 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_tensor_copy_casts) {
  tm_t *t = tm_create(HBM);
  float x[8] = {300, -300, 2.5f, 3.5f, NAN, -0.5f, 1.00390625f, 65520.0f};
  put_f32(t, IN, x, 8);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 8);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_COPY);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 8);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_INT8, 0, 1, 256, 8);
  trn_inst_t *b = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_COPY);
  b->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 8);
  b->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, 1, 512, 8);
  trn_inst_t *c = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_COPY);
  c->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 8);
  c->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP16, 0, 1, 768, 8);
  tm_stage_out(t, OUT, TRN_DTYPE_INT8, TRN_SPACE_SBUF, TRN_DTYPE_INT8, 0, 1, 256, 8);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, 1, 512, 8);
  tm_stage_out(t, OUT + 128, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP16, 0, 1, 768, 8);
  TM_OK(tm_run(t));
  const int8_t *o = (const int8_t *)(t->hbm + OUT);
  int8_t w1[8] = {127, -128, 2, 4, 0, 0, 1, 127};
  for (int i = 0; i < 8; i++) ck_assert_int_eq(o[i], w1[i]);
  float w2[8] = {300, -300, 2.5f, 3.5f, NAN, -0.5f, 1.0f, 65536.0f};
  assert_f32(tm_hbm_f32(t, OUT + 64), w2, 8, 0);
  float w3[8] = {300, -300, 2.5f, 3.5f, NAN, -0.5f, 1.00390625f, INFINITY};
  assert_f32(tm_hbm_f32(t, OUT + 128), w3, 8, 0);
  tm_destroy(t);
}
END_TEST


START_TEST(test_denormals_kept_and_fp16_subnormal_rounding) {
  tm_t *t = tm_create(HBM);
  float x[4] = {1e-40f, -3e-42f, 1e-7f, 2.9e-8f};
  put_f32(t, IN, x, 4);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_SCALAR);
  a->op0 = TRN_ALU_MUL;
  a->imm[0] = tm_f(0.5f);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 4);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  trn_inst_t *c = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TENSOR_COPY);
  c->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP16, 0, 1, 512, 4);
  c->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 4);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP16, 0, 1, 512, 4);
  TM_OK(tm_run(t));
  volatile float half = 0.5f;
  float w1[4] = {x[0] * half, x[1] * half, x[2] * half, x[3] * half};
  ck_assert(w1[0] != 0.0f); /* the host does not flush either */
  assert_f32(tm_hbm_f32(t, OUT), w1, 4, 0);
  float w2[4] = {0.0f, -0.0f, 2 * 5.9604644775390625e-8f, 0.0f};
  assert_f32(tm_hbm_f32(t, OUT + 64), w2, 4, 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_memset_select) {
  tm_t *t = tm_create(HBM);
  float pred[4] = {1, 0, 2, NAN}, val[4] = {10, 20, 30, 40};
  put_f32(t, IN, pred, 4);
  put_f32(t, IN2, val, 4);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  tm_stage_in(t, IN2, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 4);
  trn_inst_t *m = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  m->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, 2, 1024, 3);
  m->imm[0] = trn_isa_f32_to_bf16(1.5f);
  trn_inst_t *m2 = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  m2->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_UINT8, 0, 1, 1536, 5);
  m2->imm[0] = 0xAB;
  trn_inst_t *s = tm_add(t, TRN_ENGINE_DVE, TRN_OP_SELECT);
  s->imm[0] = tm_f(-1);
  s->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  s->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 256, 4);
  s->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 4);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 4);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 0, 2, 1024, 3);
  tm_stage_out(t, OUT + 128, TRN_DTYPE_UINT8, TRN_SPACE_SBUF, TRN_DTYPE_UINT8, 0, 1, 1536, 6);
  TM_OK(tm_run(t));
  float w[4] = {10, -1, 30, 40};
  assert_f32(tm_hbm_f32(t, OUT), w, 4, 0);
  float w2[6] = {1.5f, 1.5f, 1.5f, 1.5f, 1.5f, 1.5f};
  assert_f32(tm_hbm_f32(t, OUT + 64), w2, 6, 0);
  const uint8_t *u = t->hbm + OUT + 128;
  for (int i = 0; i < 5; i++) ck_assert_uint_eq(u[i], 0xAB);
  ck_assert_uint_eq(u[5], 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_transpose32_blocks) {
  tm_t *t = tm_create(HBM);
  float *x = malloc(64 * 64 * 4);
  for (int p = 0; p < 64; p++)
    for (int f = 0; f < 64; f++) x[p * 64 + f] = (float)(p * 1000 + f);
  put_f32(t, IN, x, 64 * 64);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 64, 0, 64);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_DVE, TRN_OP_TRANSPOSE32);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 64, 0, 64);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 64, 1024, 64);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 64, 1024, 64);
  TM_OK(tm_run(t));
  const float *o = tm_hbm_f32(t, OUT);
  for (int p = 0; p < 64; p++)
    for (int f = 0; f < 64; f++) {
      int sp = p / 32 * 32 + f % 32, sf = f / 32 * 32 + p % 32;
      ck_assert_msg(o[p * 64 + f] == (float)(sp * 1000 + sf), "dst[%d,%d] = %g", p, f,
                    (double)o[p * 64 + f]);
    }
  free(x);
  tm_destroy(t);
}
END_TEST

/* ---- POOL ---------------------------------------------------------------------- */

START_TEST(test_partition_reduce_broadcast) {
  tm_t *t = tm_create(HBM);
  float x[12] = {1, 2, 3, 4, 5, 6, -7, 8, 9, 10, 11, -12}; /* 4 partitions x 3 */
  put_f32(t, IN, x, 12);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 3);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_POOL, TRN_OP_PARTITION_REDUCE);
  a->op0 = TRN_ALU_ADD;
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 3);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 5, 1, 256, 3);
  trn_inst_t *b = tm_add(t, TRN_ENGINE_POOL, TRN_OP_PARTITION_REDUCE);
  b->op0 = TRN_ALU_MAX;
  b->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 3);
  b->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 5, 1, 512, 3);
  trn_inst_t *c = tm_add(t, TRN_ENGINE_POOL, TRN_OP_PARTITION_BROADCAST);
  c->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 2, 1, 0, 3);
  c->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 10, 3, 0, 3);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 5, 1, 256, 3);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 5, 1, 512, 3);
  tm_stage_out(t, OUT + 128, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_BF16, 10, 3, 0, 3);
  TM_OK(tm_run(t));
  float w1[3] = {8, 26, 6}, w2[3] = {10, 11, 9}, w3[9] = {-7, 8, 9, -7, 8, 9, -7, 8, 9};
  assert_f32(tm_hbm_f32(t, OUT), w1, 3, 0);
  assert_f32(tm_hbm_f32(t, OUT + 64), w2, 3, 0);
  assert_f32(tm_hbm_f32(t, OUT + 128), w3, 9, 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_iota_affine_select) {
  tm_t *t = tm_create(HBM);
  float ones[16];
  for (int i = 0; i < 16; i++) ones[i] = (float)(i + 1);
  put_f32(t, IN, ones, 16);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 4);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_POOL, TRN_OP_IOTA);
  a->imm[0] = 5;
  a->imm[1] = 10;
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_INT32, 2, 3, 256, 4);
  trn_inst_t *b = tm_add(t, TRN_ENGINE_POOL, TRN_OP_AFFINE_SELECT); /* keep where p - f >= 0 */
  b->op0 = TRN_ALU_GE;
  b->imm[0] = 0;
  b->imm[1] = 1;
  b->imm[2] = (uint32_t)-1;
  b->imm[3] = tm_f(-INFINITY);
  b->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 4);
  b->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 512, 4);
  tm_stage_out(t, OUT, TRN_DTYPE_INT32, TRN_SPACE_SBUF, TRN_DTYPE_INT32, 2, 3, 256, 4);
  tm_stage_out(t, OUT + 64, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 512, 4);
  TM_OK(tm_run(t));
  int32_t w1[12] = {5, 6, 7, 8, 15, 16, 17, 18, 25, 26, 27, 28};
  assert_i32(tm_hbm_i32(t, OUT), w1, 12);
  const float *o = tm_hbm_f32(t, OUT + 64);
  for (int p = 0; p < 4; p++)
    for (int f = 0; f < 4; f++) {
      float want = p >= f ? (float)(p * 4 + f + 1) : -INFINITY;
      ck_assert_msg(o[p * 4 + f] == want, "[%d,%d] = %g", p, f, (double)o[p * 4 + f]);
    }
  tm_destroy(t);
}
END_TEST

START_TEST(test_gather_and_out_of_range_trap) {
  tm_t *t = tm_create(HBM);
  float x[4] = {10, 20, 30, 40};
  int32_t idx[4] = {3, 0, 2, 2};
  put_f32(t, IN, x, 4);
  put_i32(t, IN2, idx, 4);
  tm_stage_in(t, IN, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  tm_stage_in(t, IN2, TRN_DTYPE_INT32, TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 256, 4);
  trn_inst_t *g = tm_add(t, TRN_ENGINE_POOL, TRN_OP_GATHER);
  g->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  g->src1 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 256, 4);
  g->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 4);
  tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 512, 4);
  TM_OK(tm_run(t));
  float w[4] = {40, 10, 30, 30};
  assert_f32(tm_hbm_f32(t, OUT), w, 4, 0);
  idx[1] = 4;
  put_i32(t, IN2, idx, 4);
  TM_FAILS(tm_run(t), TRN_ERR_EXEC,
           "stream pool, instruction 0 (gather): index 4 out of range [0, 4) at partition 0, "
           "element 1");
  tm_destroy(t);
}
END_TEST

START_TEST(test_bad_access_pattern_traps) {
  tm_t *t = tm_create(HBM);
  tm_add(t, TRN_ENGINE_DVE, TRN_OP_NOP);
  trn_inst_t *m = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  m->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, t->m.target->sbuf_partition_bytes - 8, 4);
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "stream dve, instruction 1 (memset): dst: bytes");
  m->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 100, 40, 0, 4);
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "partitions [100, 140) outside [0, 128)");
  m->dst = tm_row(TRN_SPACE_HBM, TRN_DTYPE_FP32, 0, 1, 0, 4);
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "must be in sbuf or psum");
  m->opcode = TRN_OP_MATMUL;
  TM_FAILS(tm_run(t), TRN_ERR_EXEC, "runs on pe");
  tm_destroy(t);
}
END_TEST

START_TEST(test_halt_ends_stream) {
  tm_t *t = tm_create(HBM);
  tm_add(t, TRN_ENGINE_DVE, TRN_OP_HALT);
  trn_inst_t *m = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET); /* never runs: would trap */
  m->dst = tm_row(TRN_SPACE_HBM, TRN_DTYPE_FP32, 0, 1, 0, 4);
  m->signal_sem = 9; /* keep tm_finish off it */
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, NULL, &prof));
  ck_assert_uint_eq(prof.instructions, 1);
  tm_destroy(t);
}
END_TEST


/* ---- semaphores and timing ------------------------------------------------------ */

static trn_inst_t *elem_op(tm_t *t, uint32_t stream, uint32_t n, uint32_t offset) {
  trn_inst_t *in;
  if (stream == TRN_ENGINE_ACT) {
    in = tm_add(t, stream, TRN_OP_ACTIVATE);
    in->imm[0] = tm_f(1.0f);
    in->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, offset, n);
  } else {
    in = tm_add(t, stream, TRN_OP_MEMSET);
  }
  in->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, offset + 8192, n);
  return in;
}

START_TEST(test_semaphore_orders_producer_consumer) {
  tm_t *t = tm_create(HBM);
  trn_inst_t *m = tm_add(t, TRN_ENGINE_DVE, TRN_OP_MEMSET);
  m->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  m->imm[0] = tm_f(2.0f);
  m->signal_sem = 2;
  trn_inst_t *a = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  a->op0 = TRN_ACT_SQUARE;
  a->imm[0] = tm_f(1.0f);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 0, 4);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 64, 4);
  a->wait_sem = 2;
  a->wait_value = 1;
  a->signal_sem = 3;
  trn_inst_t *o = tm_stage_out(t, OUT, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 1, 64, 4);
  o->wait_sem = 3;
  o->wait_value = 1;
  t->finished = true; /* explicit sync only */
  trn_rt_run_options_t opts = {.strict = true};
  TM_OK(tm_run_opts(t, &opts, NULL));
  float w[4] = {4, 4, 4, 4};
  assert_f32(tm_hbm_f32(t, OUT), w, 4, 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_semaphore_counts_signals) {
  /* ACT waits for 3 signals of s4 coming from DVE (2) and POOL (1). */
  tm_t *t = tm_create(HBM);
  for (int i = 0; i < 2; i++) elem_op(t, TRN_ENGINE_DVE, 100, 0)->signal_sem = 4;
  trn_inst_t *io = tm_add(t, TRN_ENGINE_POOL, TRN_OP_IOTA);
  io->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_INT32, 0, 1, 40000, 1000);
  io->signal_sem = 4;
  trn_inst_t *a = elem_op(t, TRN_ENGINE_ACT, 10, 0);
  a->wait_sem = 4;
  a->wait_value = 3;
  t->finished = true;
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, NULL, &prof));
  const trn_target_t *tg = t->m.target;
  /* the third signal is the iota's end: 1000 cycles at the pool clock */
  double want_ns = 1000 / tg->pool_ghz + tg->access_latency_cycles / tg->act_ghz +
                   tg->min_issue_cycles / tg->act_ghz;
  ck_assert_msg(fabs(prof.total_seconds * 1e9 - want_ns) < 1e-6, "total %.6f ns, want %.6f",
                prof.total_seconds * 1e9, want_ns);
  ck_assert_uint_eq(prof.instructions, 4);
  tm_destroy(t);
}
END_TEST

START_TEST(test_deadlock_names_blocked_streams) {
  tm_t *t = tm_create(HBM);
  trn_inst_t *a = elem_op(t, TRN_ENGINE_DVE, 8, 0);
  a->signal_sem = 7;
  trn_inst_t *b = elem_op(t, TRN_ENGINE_DVE, 8, 0);
  b->wait_sem = 5;
  b->wait_value = 1;
  trn_inst_t *c = tm_add(t, TRN_ENGINE_PE, TRN_OP_NOP);
  c->wait_sem = 7;
  c->wait_value = 2;
  t->finished = true;
  TM_FAILS(tm_run_opts(t, NULL, NULL), TRN_ERR_DEADLOCK,
           "stream pe, instruction 0 (nop) waits for s7 >= 2 (s7 is 1); stream dve, instruction 1 "
           "(memset) waits for s5 >= 1 (s5 is 0)");
  tm_destroy(t);
}
END_TEST

START_TEST(test_timing_independent_engines_overlap) {
  tm_t *t = tm_create(HBM);
  elem_op(t, TRN_ENGINE_DVE, 1000, 0);
  elem_op(t, TRN_ENGINE_ACT, 1000, 0);
  t->finished = true;
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, NULL, &prof));
  const trn_target_t *tg = t->m.target;
  double dve = 1000 / tg->dve_ghz, act = 1000 / tg->act_ghz;
  double total = dve > act ? dve : act;
  ck_assert(fabs(prof.total_seconds * 1e9 - total) < 1e-6);
  ck_assert_uint_eq(prof.total_cycles, (uint64_t)(total * tg->pe_ghz + 0.5));
  ck_assert(fabs(prof.engine_busy[TRN_ENGINE_DVE] - dve / total) < 1e-9);
  ck_assert(fabs(prof.engine_busy[TRN_ENGINE_ACT] - act / total) < 1e-9);
  ck_assert(prof.engine_busy[TRN_ENGINE_PE] == 0);
  tm_destroy(t);
}
END_TEST

START_TEST(test_timing_wait_adds_access_latency) {
  const trn_target_t *tg = trn_isa_target(TRN_TARGET_TRN1);
  /* DVE -> ACT across a semaphore: the latency is added once. */
  tm_t *t = tm_create(HBM);
  elem_op(t, TRN_ENGINE_DVE, 1000, 0)->signal_sem = 2;
  trn_inst_t *a = elem_op(t, TRN_ENGINE_ACT, 1000, 0);
  a->wait_sem = 2;
  a->wait_value = 1;
  t->finished = true;
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, NULL, &prof));
  double want = 1000 / tg->dve_ghz + tg->access_latency_cycles / tg->act_ghz + 1000 / tg->act_ghz;
  ck_assert_msg(fabs(prof.total_seconds * 1e9 - want) < 1e-6, "%.6f vs %.6f",
                prof.total_seconds * 1e9, want);
  tm_destroy(t);
  /* Same engine signalling itself: no latency; back-to-back instructions. */
  t = tm_create(HBM);
  elem_op(t, TRN_ENGINE_DVE, 1000, 0)->signal_sem = 2;
  a = elem_op(t, TRN_ENGINE_DVE, 1000, 0);
  a->wait_sem = 2;
  a->wait_value = 1;
  t->finished = true;
  TM_OK(tm_run_opts(t, NULL, &prof));
  ck_assert(fabs(prof.total_seconds * 1e9 - 2000 / tg->dve_ghz) < 1e-6);
  tm_destroy(t);
}
END_TEST

START_TEST(test_timing_dma_bytes_over_bandwidth) {
  const trn_target_t *tg = trn_isa_target(TRN_TARGET_TRN1);
  tm_t *t = tm_create(HBM);
  tm_stage_in(t, 0, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 128, 0, 512);
  t->finished = true;
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, NULL, &prof));
  double bytes = 128.0 * 512 * 4;
  double want = tg->dma_fixed_ns + bytes / tg->dma_queue_gbps;
  ck_assert_msg(fabs(prof.total_seconds * 1e9 - want) < 1e-6, "%.6f vs %.6f",
                prof.total_seconds * 1e9, want);
  ck_assert_uint_eq(prof.dma_bytes, (uint64_t)bytes);
  ck_assert(fabs(prof.engine_busy[TRN_STREAM_DMA0] - 1.0) < 1e-12);
  tm_destroy(t);
  /* 16 queues at once share HBM: each gets min(queue, hbm / 16). */
  t = tm_create(HBM);
  for (uint32_t q = 0; q < 16; q++) {
    trn_dma_desc_t d = tm_rows_desc(t, true, 0, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32,
                                    q * 8, 8, 0, 1024);
    trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0 + q, TRN_OP_DMA);
    in->aux = tm_desc(t, &d);
    in->imm[0] = 1;
  }
  t->finished = true;
  TM_OK(tm_run_opts(t, NULL, &prof));
  double each = 8.0 * 1024 * 4;
  double rate = tg->hbm_gbps / 16 < tg->dma_queue_gbps ? tg->hbm_gbps / 16 : tg->dma_queue_gbps;
  want = tg->dma_fixed_ns + each / rate;
  ck_assert_msg(fabs(prof.total_seconds * 1e9 - want) < 1e-6, "%.6f vs %.6f",
                prof.total_seconds * 1e9, want);
  tm_destroy(t);
}
END_TEST

START_TEST(test_profile_pe_utilization) {
  const trn_target_t *tg = trn_isa_target(TRN_TARGET_TRN1);
  for (int fp32 = 0; fp32 < 2; fp32++) {
    tm_t *t = tm_create(HBM);
    trn_dtype_t dt = fp32 ? TRN_DTYPE_FP32 : TRN_DTYPE_BF16;
    for (int i = 0; i < 4; i++) {
      trn_inst_t *mm = tm_add(t, TRN_ENGINE_PE, TRN_OP_MATMUL);
      mm->src0 = tm_row(TRN_SPACE_SBUF, dt, 0, 128, 0, 128);
      mm->src1 = tm_row(TRN_SPACE_SBUF, dt, 0, 128, 1024, 512);
      mm->dst = tm_row(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 0, 128, 2048 * (uint32_t)i, 512);
    }
    t->finished = true;
    trn_rt_profile_t prof;
    TM_OK(tm_run_opts(t, NULL, &prof));
    ck_assert_uint_eq(prof.macs, 4ull * 128 * 128 * 512);
    ck_assert_uint_eq(prof.total_cycles, fp32 ? 4 * 2048 : 4 * 512);
    ck_assert(fabs(prof.pe_utilization - (fp32 ? 0.25 : 1.0)) < 1e-12);
    ck_assert(fabs(prof.total_seconds - prof.total_cycles / (tg->pe_ghz * 1e9)) < 1e-15);
    tm_destroy(t);
  }
}
END_TEST


/* Random instructions that pass trn_isa_inst_check (what the loader guarantees) run or
 * trap with a status, never crash (most useful under TRN_SANITIZE). */
static uint32_t rnd(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

static trn_ap_t random_ap(uint64_t *s, const trn_target_t *tg) {
  trn_ap_t a;
  memset(&a, 0, sizeof a);
  a.space = rnd(s) % 4 == 0 ? TRN_SPACE_PSUM : TRN_SPACE_SBUF;
  a.dtype = (uint8_t)(rnd(s) % 6);
  a.num_partitions = (uint8_t)(1 + rnd(s) % 128);
  a.start_partition = (uint8_t)(rnd(s) % (tg->partitions - a.num_partitions + 1));
  if (rnd(s) % 3 == 0) a.num_partitions = (uint8_t)(rnd(s) % 2 ? 32 : 64), a.start_partition = 0;
  size_t es = trn_isa_dtype_size((trn_dtype_t)a.dtype);
  a.offset = (uint32_t)((1024 + rnd(s) % 4096) * es);
  for (int d = 0; d < 3; d++) {
    a.num[d] = (uint16_t)(d == 0 ? 1 + rnd(s) % 70 : 1 + rnd(s) % 3);
    a.step[d] = (int32_t)(rnd(s) % 9) - 3;
  }
  if (rnd(s) % 2) {
    a.num[0] = (uint16_t)(32 * (1 + rnd(s) % 2));
    a.step[0] = 1;
    a.num[1] = a.num[2] = 1;
    a.step[1] = a.step[2] = 0;
  }
  return a;
}

START_TEST(test_random_checked_instructions_never_crash) {
  const trn_target_t *tg = trn_isa_target(TRN_TARGET_TRN1);
  uint64_t seed = 99;
  int accepted = 0, ran = 0;
  for (int tries = 0; tries < 400000 && accepted < 800; tries++) {
    const trn_opinfo_t *info = trn_isa_opinfo_at(rnd(&seed) % trn_isa_opcode_count());
    if (info->format == TRN_FMT_DMA) continue;
    trn_inst_t in;
    memset(&in, 0, sizeof in);
    in.opcode = (uint8_t)info->opcode;
    in.wait_sem = in.signal_sem = TRN_SEM_NONE;
    in.op0 = (uint8_t)(rnd(&seed) % 0x28);
    in.op1 = (uint8_t)(rnd(&seed) % 0x28);
    in.flags = (uint8_t)(rnd(&seed) % 32);
    for (int i = 0; i < 4; i++) in.imm[i] = rnd(&seed) % 2 ? rnd(&seed) % 4 : rnd(&seed);
    in.dst = random_ap(&seed, tg);
    in.src0 = random_ap(&seed, tg);
    in.src1 = random_ap(&seed, tg);
    if (rnd(&seed) % 2) memset(&in.src1, 0, sizeof in.src1);
    /* try to make shapes agree */
    if (rnd(&seed) % 2) {
      in.src0.num_partitions = in.dst.num_partitions;
      in.src0.start_partition = in.dst.start_partition;
      memcpy(in.src0.num, in.dst.num, sizeof in.dst.num);
      if (in.src1.space) {
        in.src1.num_partitions = in.dst.num_partitions;
        in.src1.start_partition = in.dst.start_partition;
        memcpy(in.src1.num, in.dst.num, sizeof in.dst.num);
      }
    }
    if (in.opcode == TRN_OP_MATMUL || in.opcode == TRN_OP_TRANSPOSE) {
      in.dst.space = TRN_SPACE_PSUM;
      in.dst.dtype = TRN_DTYPE_FP32;
      in.dst.offset = 0;
      in.src0.space = in.src1.space = TRN_SPACE_SBUF;
    }
    uint32_t stream = info->engine == TRN_ENGINE_ANY ? rnd(&seed) % 4 : (uint32_t)info->engine;
    char msg[256];
    for (int fmt = 0; fmt < 3; fmt++) { /* clear operands the format does not use */
      if (trn_isa_inst_check(&in, stream, tg, msg, sizeof msg) == 0) break;
      if (strstr(msg, "unused operand src1")) memset(&in.src1, 0, sizeof in.src1);
      else if (strstr(msg, "unused operand src0")) memset(&in.src0, 0, sizeof in.src0);
      else if (strstr(msg, "unused operand dst")) memset(&in.dst, 0, sizeof in.dst);
      else if (strstr(msg, "flags")) in.flags = 0;
      else if (strstr(msg, "op1 must be 0")) in.op1 = 0;
      else if (strstr(msg, "op0 must be 0")) in.op0 = 0;
    }
    if (trn_isa_inst_check(&in, stream, tg, msg, sizeof msg) != 0) continue;
    accepted++;
    tm_t *t = tm_create(64);
    t->insts[stream][0] = in;
    t->m.stream_length[stream] = 1;
    t->finished = true;
    trn_rt_run_options_t o = {.strict = true};
    trn_status_t st = tm_run_opts(t, &o, NULL);
    if (!st) ran++;
    else
      ck_assert_msg(trn_status_code(st) == TRN_ERR_EXEC, "%s", trn_status_message(st));
    trn_status_free(st);
    tm_destroy(t);
  }
  ck_assert_int_ge(accepted, 200);
  ck_assert_int_ge(ran, accepted / 2);
}
END_TEST

/* ---- Row access fast paths (exec_rows.c) ----------------------------------------- */

/* An fp32 AP of partitions [1, 3) at byte offset 8 with num[d] x step[d] (innermost
 * first), over a 2-partition-and-more buffer of 256-float partitions. */
static trn_ap_t row_ap(uint32_t n0, int32_t s0, uint32_t n1, int32_t s1, uint32_t n2,
                       int32_t s2) {
  trn_ap_t a;
  memset(&a, 0, sizeof a);
  a.space = TRN_SPACE_SBUF;
  a.dtype = TRN_DTYPE_FP32;
  a.start_partition = 1;
  a.num_partitions = 2;
  a.offset = 8;
  a.num[0] = (uint16_t)n0, a.num[1] = (uint16_t)n1, a.num[2] = (uint16_t)n2;
  a.step[0] = s0, a.step[1] = s1, a.step[2] = s2;
  return a;
}

/* Loads and stores rows of `a` with trn_interp_load_row_f32 / store_row_f32 and checks
 * every element against the AP's definition, element by element. */
static void check_rows_f32(const trn_ap_t *a) {
  enum { PF = 256, NP = 4 };
  float mem[NP * PF], row[PF];
  for (size_t i = 0; i < NP * PF; i++) mem[i] = (float)i + 0.5f;
  uint8_t *base = (uint8_t *)mem;
  for (uint32_t p = 0; p < a->num_partitions; p++) {
    size_t f = 0;
    for (size_t i = 0; i < PF; i++) row[i] = -1.0f;
    trn_interp_load_row_f32(a, base, PF * 4, p, row);
    const float *pr = mem + (size_t)(a->start_partition + p) * PF + a->offset / 4;
    for (uint32_t i2 = 0; i2 < a->num[2]; i2++)
      for (uint32_t i1 = 0; i1 < a->num[1]; i1++)
        for (uint32_t i0 = 0; i0 < a->num[0]; i0++, f++) {
          float want = pr[(int64_t)i2 * a->step[2] + (int64_t)i1 * a->step[1] +
                          (int64_t)i0 * a->step[0]];
          ck_assert_msg(row[f] == want, "load p %u element %zu: got %g, want %g", p, f,
                        (double)row[f], (double)want);
        }
    ck_assert_msg(row[f] == -1.0f, "load p %u wrote past its %zu elements", p, f);
    /* store the negated row back; then exactly the AP's elements are negated */
    for (size_t i = 0; i < f; i++) row[i] = -row[i];
    trn_interp_store_row_f32(a, base, PF * 4, p, row);
  }
  size_t negated = 0;
  for (size_t i = 0; i < NP * PF; i++) {
    if (mem[i] == (float)i + 0.5f) continue;
    ck_assert_msg(mem[i] == -((float)i + 0.5f), "store: element %zu is %g", i, (double)mem[i]);
    negated++;
  }
  ck_assert_uint_eq(negated, a->num_partitions * trn_isa_ap_free_elems(a));
}

/* A dense window of several dimensions (one run), a padded window of short runs (7
 * floats, copied inline), long runs (memcpy) and stride-2 windows, 2-D and 3-D. */
START_TEST(test_rows_f32_fast_paths) {
  trn_ap_t dense = row_ap(7, 1, 7, 7, 1, 0);
  ck_assert(trn_interp_ap_dense(&dense));
  check_rows_f32(&dense);
  trn_ap_t dense3 = row_ap(3, 1, 2, 3, 4, 6);
  ck_assert(trn_interp_ap_dense(&dense3));
  check_rows_f32(&dense3);
  trn_ap_t padded = row_ap(7, 1, 7, 9, 1, 0);
  ck_assert(!trn_interp_ap_dense(&padded));
  check_rows_f32(&padded);
  trn_ap_t odd = row_ap(5, 1, 3, 6, 2, 20); /* runs of 5: 16-byte chunk and a tail */
  check_rows_f32(&odd);
  trn_ap_t longer = row_ap(70, 1, 3, 72, 1, 0);
  check_rows_f32(&longer);
  trn_ap_t s2 = row_ap(7, 2, 7, 30, 1, 0);
  ck_assert(!trn_interp_ap_dense(&s2));
  check_rows_f32(&s2);
  trn_ap_t s2b = row_ap(9, 2, 3, 20, 2, 61);
  check_rows_f32(&s2b);
  trn_ap_t s3 = row_ap(5, 3, 2, 17, 1, 0); /* other steps take the general loop */
  check_rows_f32(&s3);
  trn_ap_t unit_outer = row_ap(4, 1, 1, 0, 3, 4); /* num[1] == 1: its step is free */
  ck_assert(trn_interp_ap_dense(&unit_outer));
  check_rows_f32(&unit_outer);
}
END_TEST

static Suite *interp_suite(void) {
  Suite *s = suite_create("interp");
  TCase *tc = tcase_create("semantics");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_dma_roundtrip_bf16_rounding);
  tcase_add_test(tc, test_rows_f32_fast_paths);
  tcase_add_test(tc, test_dma_strided_and_int_saturation);
  tcase_add_test(tc, test_dma_descriptor_out_of_range_traps);
  tcase_add_test(tc, test_matmul_small_fp32_accumulates);
  tcase_add_test(tc, test_matmul_small_bf16_fp16);
  tcase_add_test(tc, test_matmul_large_direct);
  tcase_add_test(tc, test_matmul_large_dense_2d);
  tcase_add_test(tc, test_matmul_large_strided);
  tcase_add_test(tc, test_matmul_chain_fusion_respects_waits);
  tcase_add_test(tc, test_matmul_chain_fusion_past_met_waits);
  tcase_add_test(tc, test_matmul_chain_fusion_past_met_waits_strided);
  tcase_add_test(tc, test_matmul_chain_fusion_waits_on_two_signallers);
  tcase_add_test(tc, test_matmul_chains_along_n_fuse);
  tcase_add_test(tc, test_matmul_chains_along_n_stop_at_a_wait);
  tcase_add_test(tc, test_matmul_rows_along_m_fuse);
  tcase_add_test(tc, test_matmul_rows_along_m_stop_at_a_wait);
  tcase_add_test(tc, test_matmul_rows_reusing_psum_fuse);
  tcase_add_test(tc, test_matmul_rows_reusing_psum_see_later_writes);
  tcase_add_test(tc, test_layer_profile_sums_per_layer);
  tcase_add_test(tc, test_transpose_pe);
  tcase_add_test(tc, test_activate_every_function);
  tcase_add_test(tc, test_activate_accum_column);
  tcase_add_test(tc, test_tensor_tensor_float_ops);
  tcase_add_test(tc, test_tensor_tensor_int_ops);
  tcase_add_test(tc, test_tensor_scalar_imm_ap_reverse);
  tcase_add_test(tc, test_tensor_scalar_int_shift);
  tcase_add_test(tc, test_tensor_reduce_groups);
  tcase_add_test(tc, test_tensor_copy_casts);
  tcase_add_test(tc, test_denormals_kept_and_fp16_subnormal_rounding);
  tcase_add_test(tc, test_memset_select);
  tcase_add_test(tc, test_transpose32_blocks);
  tcase_add_test(tc, test_partition_reduce_broadcast);
  tcase_add_test(tc, test_iota_affine_select);
  tcase_add_test(tc, test_gather_and_out_of_range_trap);
  tcase_add_test(tc, test_bad_access_pattern_traps);
  tcase_add_test(tc, test_halt_ends_stream);
  tcase_add_test(tc, test_random_checked_instructions_never_crash);
  suite_add_tcase(s, tc);
  TCase *tt = tcase_create("sync_timing");
  tcase_add_test(tt, test_semaphore_orders_producer_consumer);
  tcase_add_test(tt, test_semaphore_counts_signals);
  tcase_add_test(tt, test_deadlock_names_blocked_streams);
  tcase_add_test(tt, test_timing_independent_engines_overlap);
  tcase_add_test(tt, test_timing_wait_adds_access_latency);
  tcase_add_test(tt, test_timing_dma_bytes_over_bandwidth);
  tcase_add_test(tt, test_profile_pe_utilization);
  suite_add_tcase(s, tt);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(interp_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
