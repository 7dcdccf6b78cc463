/* Internal to the reference interpreter (interp.c, exec_*.c, race.c, trace.c): the
 * machine state, the functional executor, the race detector and the trace writers.
 * Not included outside runtime-abi/src. */
#ifndef TRN_RT_INTERP_INTERNAL_H
#define TRN_RT_INTERP_INTERNAL_H

#include "internal.h"
#include "pool.h"

/* Largest number of free elements per partition one operand may address (step 0
 * broadcasts can repeat elements; this bounds the interpreter's scratch buffers). */
#define TRN_INTERP_MAX_FREE (1u << 24)

typedef struct trn_race_t trn_race_t;
typedef struct trn_lazy_t trn_lazy_t;

/* Machine state of one run. */
typedef struct trn_interp_t {
  const trn_rt_model_t *model;
  const trn_target_t *target;
  uint8_t *hbm;
  uint64_t hbm_size;
  uint8_t *sbuf, *psum;   /* partitions x partition_bytes each, zeroed per run */
  uint64_t sbuf_size, psum_size;
  /* Per-instruction row buffers (fp32 or int32 elements), one set per pool thread. */
  void *scratch[TRN_POOL_MAX_THREADS][4];
  size_t scratch_cap[TRN_POOL_MAX_THREADS][4]; /* in elements */
  /* Host threads that split large instructions (pool.h); NULL: the calling thread only. */
  trn_pool_t *pool;
  float *mm[3];           /* matmul operand buffers (A, B, C) */
  size_t mm_cap[3];
  trn_race_t *race;       /* strict mode only */
  trn_lazy_t *lazy;       /* deferred loads (lazy.c); NULL: every DMA copies */
  /* MATMUL chains: instructions [.., fused_end[s]) of stream s already had their
   * results computed by the chain's first instruction (see exec_matmul.c). */
  size_t fused_end[TRN_MAX_STREAMS];
  /* Instructions each stream has executed so far (interp.c keeps it). */
  size_t executed[TRN_MAX_STREAMS];
  /* MATMUL chains computed ahead of their first instruction (exec_matmul.c). */
  struct trn_mm_ahead_t *mm_ahead;
  /* The checked descriptors of the DMA being executed (exec_dma.c). */
  struct trn_dma_plan_t *dma_plan;
  size_t dma_plan_cap;
  /* Per-instruction results the timing model reads. */
  uint64_t last_macs;
  uint64_t last_dma_bytes, last_dma_hbm_bytes;
} trn_interp_t;

/* Makes the TRN_ERR_EXEC status of a trap: "stream <s>, instruction <i> (<mnemonic>):
 * <reason>". */
trn_status_t trn_interp_trap(uint32_t stream, size_t index, const trn_inst_t *inst,
                             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Executes one instruction functionally (exec_ops.c, exec_matmul.c, exec_dma.c). */
trn_status_t trn_interp_exec(trn_interp_t *it, uint32_t stream, size_t index,
                             const trn_inst_t *inst);
trn_status_t trn_interp_exec_matmul(trn_interp_t *it, uint32_t stream, size_t index,
                                    const trn_inst_t *inst);
/* OpenBLAS computes each GEMM on its calling thread while the interpreter splits
 * large GEMMs over its own pool (exec_matmul.c): trn_interp_blas_serial sets OpenBLAS
 * to one thread (a process-wide setting) and returns the previous count, which
 * trn_interp_blas_restore puts back at the end of the run. No-ops without OpenBLAS. */
int trn_interp_blas_serial(void);
void trn_interp_blas_restore(int threads);
/* Frees what exec_matmul.c keeps for the run in it->mm_ahead. */
void trn_interp_matmul_release(trn_interp_t *it);
trn_status_t trn_interp_exec_transpose(trn_interp_t *it, uint32_t stream, size_t index,
                                       const trn_inst_t *inst);
trn_status_t trn_interp_exec_dma(trn_interp_t *it, uint32_t stream, size_t index,
                                 const trn_inst_t *inst);

/* Checks that `ap` lies in SBUF/PSUM (defensive re-check of the loader's checks) and
 * returns the base of its space and the partition size. */
trn_status_t trn_interp_ap_check(const trn_interp_t *it, uint32_t stream, size_t index,
                                 const trn_inst_t *inst, const trn_ap_t *ap, const char *what,
                                 uint8_t **out_base, uint64_t *out_partition_bytes);
/* Grows scratch buffer `slot` (of pool thread 0) to hold `count` 4-byte elements. */
trn_status_t trn_interp_scratch(trn_interp_t *it, int slot, uint64_t count, void **out);
/* Grows scratch buffer `slot` of every pool thread to hold `count` 4-byte elements;
 * out[t] is thread t's. */
trn_status_t trn_interp_scratch_all(trn_interp_t *it, int slot, uint64_t count,
                                    void *out[TRN_POOL_MAX_THREADS]);

/* Splits: the number of parts of a split over `rows` rows of `row_work` units each (a
 * unit being about one element copied or computed): 1 below TRN_INTERP_SPLIT_MIN units
 * in all, else rows in chunks of at least TRN_INTERP_SPLIT_CHUNK units, at most
 * TRN_INTERP_SPLIT_PARTS parts. A function of the shape only (pool.h). */
#define TRN_INTERP_SPLIT_MIN (1u << 13)
#define TRN_INTERP_SPLIT_CHUNK (1u << 11)
#define TRN_INTERP_SPLIT_PARTS 32
/* Splits of fewer units leave sleeping pool workers asleep (trn_pool_run_awake): waking
 * one costs the calling thread a system call and the worker tens of microseconds. */
#define TRN_INTERP_SPLIT_WAKE (1u << 16)
size_t trn_interp_split_parts(uint64_t rows, uint64_t row_work);
/* Runs fn(ctx, lo, hi, thread) over rows [0, rows) split as trn_interp_split_parts
 * says (rows [lo, hi) per part, in order when not split). The caller guarantees that
 * rows may run in any order and at once: no row writes what another row reads or
 * writes. */
typedef void (*trn_interp_rows_fn_t)(void *ctx, uint32_t lo, uint32_t hi, unsigned thread);
void trn_interp_rows_run(trn_interp_t *it, uint32_t rows, uint64_t row_work,
                         trn_interp_rows_fn_t fn, void *ctx);
/* Copies `rows` rows of `bytes` bytes, row r from src + r * sstride to dst + r * dstride,
 * through trn_interp_rows_run (rows of different partitions or buffers: no row may touch
 * another's bytes). */
void trn_interp_copy_rows(trn_interp_t *it, uint8_t *dst, size_t dstride, const uint8_t *src,
                          size_t sstride, uint32_t rows, size_t bytes);

/* Row access: element f (flattened free index) of partition p (relative to the AP)
 * for every f, converted to fp32 / int32, and back. */
void trn_interp_load_row_f32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                             float *out);
void trn_interp_store_row_f32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                              const float *in);
void trn_interp_load_row_i32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                             int32_t *out);
void trn_interp_store_row_i32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                              const int32_t *in);

/* Whether the free elements of each partition of `ap` are one contiguous run in
 * flattened order: unit innermost step, and every outer dimension of more than one
 * element steps over exactly the elements inside it (e.g. a [7:7, 7:1] window of a
 * 7 x 7 image). Such an AP reads and writes like a 1-D row of its free size. */
static inline bool trn_interp_ap_dense(const trn_ap_t *ap) {
  if (ap->step[0] != 1) return false;
  int64_t inner = ap->num[0];
  for (int d = 1; d < TRN_AP_DIMS; d++) {
    if (ap->num[d] != 1 && ap->step[d] != inner) return false;
    inner *= ap->num[d];
  }
  return true;
}

/* Integer dtypes (INT32, INT8, UINT8). */
static inline bool trn_interp_dtype_is_int(uint8_t dtype) {
  return dtype == TRN_DTYPE_INT32 || dtype == TRN_DTYPE_INT8 || dtype == TRN_DTYPE_UINT8;
}

/* Converts one element between dtypes (integers exactly, saturating; floats through
 * fp32 with round-to-nearest-even). */
void trn_interp_convert(const uint8_t *src, trn_dtype_t src_dtype, uint8_t *dst,
                        trn_dtype_t dst_dtype);
/* fp32 -> int32 as trn_isa_store_f32 does for INT32 (nearest even, saturate, NaN 0). */
int32_t trn_interp_f32_to_i32(float v);

/* ---- deferred loads (lazy.c) ------------------------------------------------- */

trn_status_t trn_lazy_create(const trn_rt_model_t *model, trn_lazy_t **out_lazy);
void trn_lazy_destroy(trn_lazy_t *lazy);
/* Defers DMA descriptor `d` (already checked by exec_dma.c) when it qualifies, after
 * settling the pending loads its destination meets; *out_deferred says whether it did.
 * Otherwise the caller copies it (after trn_lazy_touch of both of its sides). */
trn_status_t trn_lazy_defer(trn_interp_t *it, const trn_dma_desc_t *d, bool *out_deferred);
/* Materializes the parts of the pending loads inside SBUF box `box`; or drops them,
 * for a box something writes every byte of next, without reading it. */
void trn_lazy_touch(trn_interp_t *it, const trn_rt_extent_t *box);
void trn_lazy_drop(trn_interp_t *it, const trn_rt_extent_t *box);
/* Settles the pending loads that meet what engine instruction `in` reads or writes
 * (dropped where it writes all of its dst, else materialized), except a MATMUL's
 * sources (exec_matmul.c reads those through trn_lazy_in_place or touches them). No-op
 * for DMA (exec_dma.c). */
void trn_lazy_before(trn_interp_t *it, const trn_inst_t *in);
/* For a MATMUL operand read in place: SBUF partitions [p0, p0 + np) x bytes [offset,
 * offset + bytes). When it lies in one pending load whose source can serve it, its
 * fp32 source in HBM, row r at the result + r * *out_ld; else NULL, after
 * materializing whatever pending load it meets (the caller reads SBUF). */
const float *trn_lazy_in_place(trn_interp_t *it, uint32_t p0, uint32_t np, uint64_t offset,
                               uint64_t bytes, size_t *out_ld);
/* The same query without side effects (NULL: not served by one pending load, which
 * says nothing of whether it meets any). */
const float *trn_lazy_find(trn_interp_t *it, uint32_t p0, uint32_t np, uint64_t offset,
                           uint64_t bytes, size_t *out_ld);

/* ---- race detector (race.c) --------------------------------------------------- */

trn_status_t trn_race_create(const trn_target_t *target, trn_race_t **out_race);
void trn_race_destroy(trn_race_t *race);
/* A wait of `stream` on `sem` satisfied by the signals [0, count) in time order. */
void trn_race_wait(trn_race_t *race, uint32_t stream, uint32_t sem, size_t count);
/* `stream` starts its next instruction (advances its clock). */
void trn_race_begin(trn_race_t *race, uint32_t stream);
/* Checks then records the SBUF/PSUM accesses of `inst` (all of its operands and, for
 * DMA, all of its descriptors). */
trn_status_t trn_race_access(trn_race_t *race, const trn_rt_model_t *model, uint32_t stream,
                             size_t index, const trn_inst_t *inst);
/* `stream` signals `sem`; the signal sits at position `pos` of the semaphore's
 * signals in time order. */
trn_status_t trn_race_signal(trn_race_t *race, uint32_t stream, uint32_t sem, size_t pos);
/* `stream` has finished (it no longer holds back the pruning of old accesses). */
void trn_race_stream_done(trn_race_t *race, uint32_t stream);

/* ---- trace writers (trace.c) -------------------------------------------------- */

typedef struct trn_trace_event_t {
  uint32_t stream;
  uint32_t index;
  double start_ns, dur_ns;
} trn_trace_event_t;

/* Writes the Chrome-trace JSON / self-contained HTML timeline of `events` (through a
 * temporary file and a rename). */
trn_status_t trn_trace_write_json(const char *path, const trn_rt_model_t *model,
                                  const trn_trace_event_t *events, size_t count);
trn_status_t trn_trace_write_html(const char *path, const trn_rt_model_t *model,
                                  const trn_trace_event_t *events, size_t count,
                                  const trn_rt_profile_t *profile);

#endif /* TRN_RT_INTERP_INTERNAL_H */
