/* Hand-built models for the interpreter's unit tests: a trn_rt_model_t filled in
 * directly (no loader), with helpers to stage data HBM -> SBUF/PSUM on DMA queue 0,
 * run instructions on an engine, and stage results back on DMA queue 1.
 *
 * Sync convention of the helpers: every stage_in DMA signals semaphore 0; tm_finish
 * makes the first instruction of each compute stream wait for all of them and its
 * last instruction signal semaphore 1; the stage_out DMAs wait for every compute
 * stream's signal. */
#ifndef TRN_INTERP_TEST_UTIL_H
#define TRN_INTERP_TEST_UTIL_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "interp_internal.h"

#define TM_MAX_INSTS 256
#define TM_MAX_DESCS 256
#define TM_SEM_IN 0
#define TM_SEM_OUT 1

typedef struct tm_t {
  trn_rt_model_t m;
  trn_inst_t insts[TRN_MAX_STREAMS][TM_MAX_INSTS];
  trn_dma_desc_t dma[TM_MAX_DESCS];
  uint8_t *hbm;
  uint32_t n_in;
  bool finished;
} tm_t;

static inline tm_t *tm_create(size_t hbm_size) {
  tm_t *t = calloc(1, sizeof *t);
  ck_assert_ptr_nonnull(t);
  t->m.target = trn_isa_target(TRN_TARGET_TRN1);
  t->m.hbm_size = hbm_size;
  for (int s = 0; s < TRN_MAX_STREAMS; s++) t->m.streams[s] = t->insts[s];
  t->m.dma = t->dma;
  t->hbm = calloc(1, hbm_size ? hbm_size : 1);
  ck_assert_ptr_nonnull(t->hbm);
  return t;
}

static inline void tm_destroy(tm_t *t) {
  free(t->hbm);
  free(t);
}

static inline uint32_t tm_f(float x) {
  uint32_t b;
  memcpy(&b, &x, 4);
  return b;
}

/* An on-chip AP with explicit dims. */
static inline trn_ap_t tm_ap(trn_space_t space, trn_dtype_t dtype, uint32_t start, uint32_t np,
                             uint32_t offset, uint32_t n0, int32_t s0, uint32_t n1, int32_t s1,
                             uint32_t n2, int32_t s2) {
  trn_ap_t a;
  memset(&a, 0, sizeof a);
  a.space = (uint8_t)space;
  a.dtype = (uint8_t)dtype;
  a.start_partition = (uint8_t)start;
  a.num_partitions = (uint8_t)np;
  a.offset = offset;
  a.num[0] = (uint16_t)n0;
  a.num[1] = (uint16_t)n1;
  a.num[2] = (uint16_t)n2;
  a.step[0] = s0;
  a.step[1] = s1;
  a.step[2] = s2;
  return a;
}

/* Contiguous n elements per partition. */
static inline trn_ap_t tm_row(trn_space_t space, trn_dtype_t dtype, uint32_t start, uint32_t np,
                              uint32_t offset, uint32_t n) {
  return tm_ap(space, dtype, start, np, offset, n, 1, 1, 0, 1, 0);
}

/* Appends an instruction (no wait, no signal) to a stream. */
static inline trn_inst_t *tm_add(tm_t *t, uint32_t stream, trn_opcode_t op) {
  size_t n = t->m.stream_length[stream]++;
  ck_assert_uint_lt(n, TM_MAX_INSTS);
  trn_inst_t *in = &t->insts[stream][n];
  memset(in, 0, sizeof *in);
  in->opcode = (uint8_t)op;
  in->wait_sem = TRN_SEM_NONE;
  in->signal_sem = TRN_SEM_NONE;
  return in;
}

static inline uint32_t tm_desc(tm_t *t, const trn_dma_desc_t *d) {
  ck_assert_uint_lt(t->m.dma_count, TM_MAX_DESCS);
  t->dma[t->m.dma_count] = *d;
  return (uint32_t)t->m.dma_count++;
}

static inline uint64_t tm_pbytes(const tm_t *t, trn_space_t space) {
  return space == TRN_SPACE_PSUM ? t->m.target->psum_partition_bytes
                                 : t->m.target->sbuf_partition_bytes;
}

/* Descriptor moving np partitions x n elements between HBM (row-major, rows of n)
 * and on-chip rows at `offset`. */
static inline trn_dma_desc_t tm_rows_desc(const tm_t *t, bool to_chip, uint64_t hbm_off,
                                          trn_dtype_t hbm_dtype, trn_space_t space,
                                          trn_dtype_t chip_dtype, uint32_t start, uint32_t np,
                                          uint32_t offset, uint32_t n) {
  trn_dma_desc_t d;
  memset(&d, 0, sizeof d);
  uint64_t pb = tm_pbytes(t, space);
  uint64_t chip = (uint64_t)start * pb + offset;
  int64_t pstep = (int64_t)(pb / trn_isa_dtype_size(chip_dtype));
  d.num[0] = n;
  d.num[1] = np;
  d.num[2] = 1;
  d.num[3] = 1;
  if (to_chip) {
    d.src_space = TRN_SPACE_HBM;
    d.src_dtype = (uint8_t)hbm_dtype;
    d.src_addr = hbm_off;
    d.src_step[0] = 1;
    d.src_step[1] = n;
    d.dst_space = (uint8_t)space;
    d.dst_dtype = (uint8_t)chip_dtype;
    d.dst_addr = chip;
    d.dst_step[0] = 1;
    d.dst_step[1] = pstep;
  } else {
    d.dst_space = TRN_SPACE_HBM;
    d.dst_dtype = (uint8_t)hbm_dtype;
    d.dst_addr = hbm_off;
    d.dst_step[0] = 1;
    d.dst_step[1] = n;
    d.src_space = (uint8_t)space;
    d.src_dtype = (uint8_t)chip_dtype;
    d.src_addr = chip;
    d.src_step[0] = 1;
    d.src_step[1] = pstep;
  }
  return d;
}

/* Stages HBM rows into on-chip memory on queue 0 (signals TM_SEM_IN). */
static inline trn_inst_t *tm_stage_in(tm_t *t, uint64_t hbm_off, trn_dtype_t hbm_dtype,
                                      trn_space_t space, trn_dtype_t chip_dtype, uint32_t start,
                                      uint32_t np, uint32_t offset, uint32_t n) {
  trn_dma_desc_t d = tm_rows_desc(t, true, hbm_off, hbm_dtype, space, chip_dtype, start, np,
                                  offset, n);
  trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0, TRN_OP_DMA);
  in->aux = tm_desc(t, &d);
  in->imm[0] = 1;
  in->signal_sem = TM_SEM_IN;
  t->n_in++;
  return in;
}

/* Stages on-chip rows back to HBM on queue 1 (waits in tm_finish). */
static inline trn_inst_t *tm_stage_out(tm_t *t, uint64_t hbm_off, trn_dtype_t hbm_dtype,
                                       trn_space_t space, trn_dtype_t chip_dtype, uint32_t start,
                                       uint32_t np, uint32_t offset, uint32_t n) {
  trn_dma_desc_t d = tm_rows_desc(t, false, hbm_off, hbm_dtype, space, chip_dtype, start, np,
                                  offset, n);
  trn_inst_t *in = tm_add(t, TRN_STREAM_DMA0 + 1, TRN_OP_DMA);
  in->aux = tm_desc(t, &d);
  in->imm[0] = 1;
  return in;
}

/* Wires the helper sync convention (once). */
static inline void tm_finish(tm_t *t) {
  if (t->finished) return;
  t->finished = true;
  uint32_t computes = 0;
  for (uint32_t s = 0; s < TRN_STREAM_DMA0; s++) {
    size_t n = t->m.stream_length[s];
    if (!n) continue;
    trn_inst_t *first = &t->insts[s][0], *last = &t->insts[s][n - 1];
    if (t->n_in && first->wait_sem == TRN_SEM_NONE) {
      first->wait_sem = TM_SEM_IN;
      first->wait_value = t->n_in;
    }
    if (last->signal_sem == TRN_SEM_NONE) {
      last->signal_sem = TM_SEM_OUT;
      computes++;
    }
  }
  size_t nout = t->m.stream_length[TRN_STREAM_DMA0 + 1];
  if (nout) {
    trn_inst_t *first = &t->insts[TRN_STREAM_DMA0 + 1][0];
    if (first->wait_sem == TRN_SEM_NONE) {
      first->wait_sem = computes ? TM_SEM_OUT : TM_SEM_IN;
      first->wait_value = computes ? computes : t->n_in;
    }
  }
}

static inline trn_status_t tm_run_opts(tm_t *t, const trn_rt_run_options_t *opts,
                                       trn_rt_profile_t *prof) {
  tm_finish(t);
  return trn_rt_interpret(&t->m, t->hbm, NULL, NULL, opts, prof);
}

static inline trn_status_t tm_run(tm_t *t) {
  trn_rt_run_options_t o = {.strict = true};
  return tm_run_opts(t, &o, NULL);
}

/* Asserts that a run succeeded, printing its message otherwise. */
#define TM_OK(expr)                                                                  \
  do {                                                                               \
    trn_status_t st_ = (expr);                                                       \
    ck_assert_msg(st_ == NULL, "unexpected failure: %s", trn_status_message(st_));   \
  } while (0)

/* Asserts a failure with `code` whose message contains `needle`. */
#define TM_FAILS(expr, code, needle)                                                       \
  do {                                                                                     \
    trn_status_t st_ = (expr);                                                             \
    ck_assert_msg(st_ != NULL, "expected a failure");                                      \
    ck_assert_msg(trn_status_code(st_) == (code), "code %s, message: %s",                  \
                  trn_status_code_name(trn_status_code(st_)), trn_status_message(st_));     \
    ck_assert_msg(strstr(trn_status_message(st_), (needle)) != NULL,                       \
                  "message lacks '%s': %s", (needle), trn_status_message(st_));            \
    trn_status_free(st_);                                                                  \
  } while (0)

static inline float *tm_hbm_f32(tm_t *t, uint64_t off) { return (float *)(void *)(t->hbm + off); }
static inline int32_t *tm_hbm_i32(tm_t *t, uint64_t off) {
  return (int32_t *)(void *)(t->hbm + off);
}

/* Float equality treating NaN == NaN and distinguishing nothing else. */
static inline bool tm_same_f32(float a, float b) {
  return (isnan(a) && isnan(b)) || a == b;
}

#endif /* TRN_INTERP_TEST_UTIL_H */
