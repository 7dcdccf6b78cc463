/* Tensor-engine instructions: MATMUL (through cblas_sgemm when TRN_HAVE_BLAS) and
 * TRANSPOSE. Operands are converted to fp32 exactly; PSUM accumulates in fp32. */
#include <stdlib.h>
#include <string.h>

#ifdef TRN_HAVE_BLAS
#include <cblas.h>
#endif

#include "interp_internal.h"

#define TRAP(...) return trn_interp_trap(stream, index, inst, __VA_ARGS__)

static trn_status_t mm_buffer(trn_interp_t *it, int slot, size_t count, float **out) {
  if (it->mm_cap[slot] < count) {
    float *p = realloc(it->mm[slot], count * sizeof(float));
    if (!p) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "matmul buffer of %zu floats", count);
    it->mm[slot] = p;
    it->mm_cap[slot] = count;
  }
  *out = it->mm[slot];
  return NULL;
}

/* Gathers rows of an operand AP into a dense fp32 buffer (row p at buf + p * cols). */
typedef struct mm_gather_t {
  const trn_ap_t *ap;
  uint8_t *base;
  uint64_t pbytes;
  float *buf;
  size_t cols;
  uint32_t row0; /* buffer row of AP partition 0 */
} mm_gather_t;

static void mm_gather_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  (void)thread;
  const mm_gather_t *g = ctx;
  for (uint32_t p = lo; p < hi; p++)
    trn_interp_load_row_f32(g->ap, g->base, g->pbytes, p,
                            g->buf + (size_t)(g->row0 + p) * g->cols);
}

/* The inverse: stores buffer row p into partition p of the AP. */
static void mm_scatter_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  (void)thread;
  const mm_gather_t *g = ctx;
  for (uint32_t p = lo; p < hi; p++)
    trn_interp_store_row_f32(g->ap, g->base, g->pbytes, p,
                             g->buf + (size_t)(g->row0 + p) * g->cols);
}

static void mm_gather(trn_interp_t *it, const trn_ap_t *ap, uint8_t *base, uint64_t pbytes,
                      float *buf, size_t cols, uint32_t row0) {
  mm_gather_t g = {ap, base, pbytes, buf, cols, row0};
  trn_interp_rows_run(it, ap->num_partitions, cols, mm_gather_rows, &g);
}

/* Materializes the pending loads (lazy.c) that meet operand `a` before it is read. */
static void mm_touch(trn_interp_t *it, const trn_ap_t *a) {
  int m;
  trn_rt_extent_t box;
  if (it->lazy && trn_rt_ap_extent(it->model, a, &m, &box) && m == 1) trn_lazy_touch(it, &box);
}

static uint8_t *mm_space(trn_interp_t *it, uint8_t space, uint64_t *pbytes) {
  bool psum = space == TRN_SPACE_PSUM;
  *pbytes = psum ? it->target->psum_partition_bytes : it->target->sbuf_partition_bytes;
  return psum ? it->psum : it->sbuf;
}

/* Whether operand `a` is fp32, 4-byte aligned and dense per partition
 * (trn_interp_ap_dense): its rows can be read as they lie. */
static bool mm_ap_dense_f32(const trn_ap_t *a) {
  return a->dtype == TRN_DTYPE_FP32 && trn_interp_ap_dense(a) && a->offset % 4 == 0;
}

/* Operand `a`, read in place `cols` fp32 columns per partition (a fused run reads past
 * its first instruction's AP, over the later chains' operands): from the HBM source of
 * the pending load (lazy.c) it lies in, else from SBUF/PSUM, which then holds its
 * bytes. Row r at the result + r * *out_ld. */
static const float *mm_source(trn_interp_t *it, const trn_ap_t *a, uint64_t cols,
                              size_t *out_ld) {
  uint64_t pb;
  const uint8_t *base = mm_space(it, a->space, &pb);
  if (it->lazy && a->space == TRN_SPACE_SBUF) {
    const float *p =
        trn_lazy_in_place(it, a->start_partition, a->num_partitions, a->offset, cols * 4, out_ld);
    if (p) return p;
  }
  *out_ld = (size_t)(pb / 4);
  return (const float *)(const void *)(base + (uint64_t)a->start_partition * pb + a->offset);
}

/* A K x cols fp32 view of an operand whose rows are partitions: directly in place when
 * it is fp32, 4-byte aligned and dense per partition (trn_interp_ap_dense), else
 * gathered. */
static trn_status_t mm_view(trn_interp_t *it, int slot, const trn_ap_t *ap, uint8_t *base,
                            uint64_t pbytes, uint64_t cols, float **out, size_t *out_ld) {
  if (mm_ap_dense_f32(ap) && pbytes % 4 == 0) {
    /* read only (a pending load's source, lazy.c, may serve it) */
    *out = (float *)(uintptr_t)mm_source(it, ap, cols, out_ld);
    return NULL;
  }
  float *buf = NULL;
  TRN_RETURN_IF_ERROR(mm_buffer(it, slot, (size_t)ap->num_partitions * cols, &buf));
  mm_touch(it, ap);
  mm_gather(it, ap, base, pbytes, buf, (size_t)cols, 0);
  *out = buf;
  *out_ld = (size_t)cols;
  return NULL;
}

static void gemm_tn_serial(size_t m, size_t n, size_t k, const float *a, size_t lda,
                           const float *b, size_t ldb, bool acc, float *c, size_t ldc) {
#ifdef TRN_HAVE_BLAS
  cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)lda,
              b, (int)ldb, acc ? 1.0f : 0.0f, c, (int)ldc);
#else
  if (!acc)
    for (size_t i = 0; i < m; i++) memset(c + i * ldc, 0, n * sizeof(float));
  for (size_t kk = 0; kk < k; kk++) {
    const float *brow = b + kk * ldb;
    for (size_t i = 0; i < m; i++) {
      float av = a[kk * lda + i];
      float *crow = c + i * ldc;
      for (size_t j = 0; j < n; j++) crow[j] += av * brow[j];
    }
  }
#endif
}

int trn_interp_blas_serial(void) {
#ifdef TRN_HAVE_BLAS
  int n = openblas_get_num_threads();
  if (n != 1) openblas_set_num_threads(1);
  return n;
#else
  return 1;
#endif
}

void trn_interp_blas_restore(int threads) {
#ifdef TRN_HAVE_BLAS
  if (threads > 1) openblas_set_num_threads(threads);
#else
  (void)threads;
#endif
}

/* A GEMM is split into 2 or 4 blocks of columns of C or of rows, each a multiple of 16
 * wide and one GEMM on the pool: the split whose largest pair of blocks is the
 * smallest share of the whole (two threads finish together), the fewest blocks, then
 * columns, on a tie. Each element of C is the same dot product over K in the same
 * order in any block, provided that OpenBLAS uses the same kernel for the blocks as
 * for the whole: it has other kernels for products of at most 10^6 MACs
 * (SMALL_MATRIX_OPT), so only larger GEMMs are split, in blocks that are larger too.
 * The decomposition depends on the shape only, never on the thread count: any thread
 * count gives the same bytes. */
#define TRN_MM_SMALL_MACS 1000000u
/* Narrowest block: every block packs the whole of the other operand again, which for
 * narrow blocks costs more than the split saves. */
#define TRN_MM_SPLIT_MIN 64

typedef struct gemm_job_t {
  size_t m, n, k, lda, ldb, ldc;
  const float *a, *b;
  float *c;
  bool acc, by_n;
  size_t block;
} gemm_job_t;

static void gemm_part(void *ctx, size_t part, unsigned thread) {
  (void)thread;
  const gemm_job_t *g = ctx;
  size_t at = part * g->block;
  if (g->by_n) {
    size_t nb = g->n - at < g->block ? g->n - at : g->block;
    gemm_tn_serial(g->m, nb, g->k, g->a, g->lda, g->b + at, g->ldb, g->acc, g->c + at, g->ldc);
  } else {
    size_t mb = g->m - at < g->block ? g->m - at : g->block;
    gemm_tn_serial(mb, g->n, g->k, g->a + at, g->lda, g->b, g->ldb, g->acc, g->c + at * g->ldc,
                   g->ldc);
  }
}

/* The number of blocks (2 or 4, else 1) of the best split of `len` rows or columns,
 * each of `per` MACs, and their width (the last may be narrower); *out_share is the
 * largest pair of blocks' share of `len` (1 when not split). */
static size_t gemm_blocks(size_t len, uint64_t per, size_t *out_block, double *out_share) {
  size_t best = 1;
  *out_share = 1.0;
  for (size_t parts = 2; parts <= 4; parts += 2) {
    size_t block = ((len + parts - 1) / parts + 15) / 16 * 16;
    if (block < TRN_MM_SPLIT_MIN) continue;
    size_t n = (len + block - 1) / block;
    size_t last = len - (n - 1) * block;
    if (n < 2 || (uint64_t)last * per <= TRN_MM_SMALL_MACS) continue;
    /* two threads: one takes blocks 0, 2, ..., the other 1, 3, ... */
    size_t half[2] = {0, 0};
    for (size_t i = 0; i < n; i++) half[i % 2] += i + 1 < n ? block : last;
    double share = (double)(half[0] > half[1] ? half[0] : half[1]) / (double)len;
    if (share < *out_share) {
      *out_share = share;
      *out_block = block;
      best = n;
    }
  }
  return best;
}

/* C (m x n, row stride ldc) (+)= A^T B, A = k x m (stride lda), B = k x n (stride ldb). */
static void gemm_tn(trn_interp_t *it, size_t m, size_t n, size_t k, const float *a, size_t lda,
                    const float *b, size_t ldb, bool acc, float *c, size_t ldc) {
  gemm_job_t g = {m, n, k, lda, ldb, ldc, a, b, c, acc, true, 0};
  size_t parts = 1;
  if ((uint64_t)m * n * k > 2 * (uint64_t)TRN_MM_SMALL_MACS) {
    /* columns, unless rows share better */
    size_t mblock = 0;
    double mshare, nshare;
    size_t mparts = gemm_blocks(m, (uint64_t)n * k, &mblock, &mshare);
    parts = gemm_blocks(n, (uint64_t)m * k, &g.block, &nshare);
    if (mshare < nshare) {
      g.by_n = false;
      g.block = mblock;
      parts = mparts;
    }
  }
  if (parts < 2) gemm_tn_serial(m, n, k, a, lda, b, ldb, acc, c, ldc);
  else trn_pool_run(it->pool, parts, gemm_part, &g);
}

/* The operands of one MATMUL, checked. */
typedef struct mm_ops_t {
  uint8_t *db, *ab, *bb;
  uint64_t dp, ap, bp;
  uint64_t k, m, n;
} mm_ops_t;

static trn_status_t mm_check(trn_interp_t *it, uint32_t stream, size_t index,
                             const trn_inst_t *inst, mm_ops_t *o) {
  TRN_RETURN_IF_ERROR(trn_interp_ap_check(it, stream, index, inst, &inst->dst, "dst", &o->db, &o->dp));
  TRN_RETURN_IF_ERROR(trn_interp_ap_check(it, stream, index, inst, &inst->src0, "src0", &o->ab, &o->ap));
  TRN_RETURN_IF_ERROR(trn_interp_ap_check(it, stream, index, inst, &inst->src1, "src1", &o->bb, &o->bp));
  const trn_ap_t *d = &inst->dst, *a = &inst->src0, *b = &inst->src1;
  o->k = a->num_partitions;
  o->m = trn_isa_ap_free_elems(a);
  o->n = trn_isa_ap_free_elems(b);
  if (b->num_partitions != o->k)
    TRAP("src0 partitions (K) %llu != src1 partitions (K) %u", (unsigned long long)o->k,
         b->num_partitions);
  if (d->num_partitions != o->m)
    TRAP("src0 free size (M) %llu != dst partitions %u", (unsigned long long)o->m,
         d->num_partitions);
  if (trn_isa_ap_free_elems(d) != o->n)
    TRAP("src1 free size (N) %llu != dst free size %llu", (unsigned long long)o->n,
         (unsigned long long)trn_isa_ap_free_elems(d));
  return NULL;
}

/* dst (+)= A^T B with A = ktot x m and B = ktot x n, into the dst AP. */
static trn_status_t mm_store(trn_interp_t *it, const trn_inst_t *inst, const mm_ops_t *o,
                             uint64_t ktot, const float *A, size_t lda, const float *B, size_t ldb) {
  const trn_ap_t *d = &inst->dst;
  bool acc = (inst->flags & TRN_FLAG_ACC) != 0;
  bool direct = d->dtype == TRN_DTYPE_FP32 && trn_interp_ap_dense(d) && d->offset % 4 == 0 &&
                o->dp % 4 == 0;
  if (direct) {
    float *C = (float *)(void *)(o->db + (uint64_t)d->start_partition * o->dp + d->offset);
    gemm_tn(it, o->m, o->n, ktot, A, lda, B, ldb, acc, C, (size_t)(o->dp / 4));
    return NULL;
  }
  float *C = NULL;
  TRN_RETURN_IF_ERROR(mm_buffer(it, 2, (size_t)(o->m * o->n), &C));
  if (acc) mm_gather(it, d, o->db, o->dp, C, (size_t)o->n, 0);
  gemm_tn(it, o->m, o->n, ktot, A, lda, B, ldb, acc, C, o->n);
  mm_gather_t g = {d, o->db, o->dp, C, (size_t)o->n, 0};
  trn_interp_rows_run(it, d->num_partitions, o->n, mm_scatter_rows, &g);
  return NULL;
}

/* An AP an fp32 GEMM can read or write in place, rows = partitions, for the chain
 * paths below. A dense AP of several dimensions (trn_interp_ap_dense, e.g. the window
 * of a 1x1 conv over a 7 x 7 image) could be read in place too, but its chains then run
 * as one small GEMM per instruction, which measured slower on ResNet-50 than gathering
 * them into one GEMM over the concatenated K. */
static bool mm_ap_direct(const trn_ap_t *a, uint64_t pbytes) {
  return a->dtype == TRN_DTYPE_FP32 && a->step[0] == 1 && a->num[1] == 1 && a->num[2] == 1 &&
         a->offset % 4 == 0 && pbytes % 4 == 0;
}

/* Whether every instruction of [index, index + rows * rowlen) has its operands in
 * place, each row's dst (the dst of the row's first instruction, `n` columns wide) is
 * in place, and no source overlaps a row's dst (each dst is written before later
 * sources are read). */
static bool mm_rows_direct(trn_interp_t *it, const trn_inst_t *insts, size_t index,
                           size_t rowlen, size_t rows, uint64_t dp, uint64_t n) {
  for (size_t r = 0; r < rows; r++)
    if (!mm_ap_direct(&insts[index + r * rowlen].dst, dp)) return false;
  for (size_t i = index; i < index + rows * rowlen; i++) {
    const trn_ap_t *srcs[2] = {&insts[i].src0, &insts[i].src1};
    for (int k = 0; k < 2; k++) {
      const trn_ap_t *a = srcs[k];
      uint64_t pb;
      (void)mm_space(it, a->space, &pb);
      if (!mm_ap_direct(a, pb)) return false;
      uint64_t lo = a->start_partition, hi = lo + a->num_partitions;
      uint64_t off = a->offset, oend = off + (uint64_t)a->num[0] * 4;
      for (size_t r = 0; r < rows; r++) {
        const trn_ap_t *d = &insts[index + r * rowlen].dst;
        if (a->space != d->space) continue;
        uint64_t d_lo = d->start_partition, d_hi = d_lo + d->num_partitions;
        uint64_t d_off = d->offset, d_end = d_off + n * 4;
        if (lo < d_hi && d_lo < hi && off < d_end && d_off < oend) return false;
      }
    }
  }
  return true;
}

/* Whether every instruction of the chain [index, end) has all its operands in place,
 * and no source overlaps the dst (the dst is written before later sources are read). */
static bool mm_chain_direct(trn_interp_t *it, const trn_inst_t *insts, size_t index, size_t end,
                            const mm_ops_t *head) {
  return mm_rows_direct(it, insts, index, end - index, 1, head->dp, head->n);
}

/* Longest accumulation chain fused into one GEMM, in rows of K. */
#define TRN_MM_FUSE_MAX_K 4096
/* Widest run of neighbouring chains computed as one GEMM, in fp32 columns of N. */
#define TRN_MM_FUSE_MAX_N 2048
/* Most chains of one fused run (each stored when its first instruction runs). */
#define TRN_MM_AHEAD_MAX 64

/* Whether b is a with its offset moved by delta bytes. */
static bool ap_shifted(const trn_ap_t *b, const trn_ap_t *a, uint64_t delta) {
  trn_ap_t t = *a;
  t.offset = (uint32_t)(a->offset + delta);
  return (uint64_t)a->offset + delta <= UINT32_MAX && memcmp(&t, b, sizeof t) == 0;
}

/* The end of the run of chains after the chain [index, end) that continue it along N:
 * chain c (c = 1, 2, ...) has the same length and stationary operands, moving operands
 * and dst c * N columns further, the same flags, and no waits. Such runs come from a
 * GEMM tiled over N (PSUM banks are contiguous in a partition). As for one chain,
 * nothing can observe the early results in a race-free program: a reader of the later
 * chains' dst must wait on their signals, and a writer of their operands must wait on
 * a signal at or after their reads. Returns end when there is none; *out_n is the
 * total width. */
static size_t mm_chains_along_n(trn_interp_t *it, uint32_t stream, const trn_inst_t *insts,
                                size_t len, size_t index, size_t end, const mm_ops_t *head,
                                uint64_t *out_n) {
  size_t chain = end - index, stop = end;
  uint64_t n = head->n, step = head->n * 4;
  while (stop + chain <= len && n + head->n <= TRN_MM_FUSE_MAX_N &&
         (stop - index) / chain < TRN_MM_AHEAD_MAX) {
    uint64_t delta = (n / head->n) * step;
    for (size_t j = 0; j < chain; j++) {
      const trn_inst_t *a = &insts[index + j], *b = &insts[stop + j];
      mm_ops_t o;
      trn_status_t st;
      if (b->opcode != TRN_OP_MATMUL || b->wait_sem != TRN_SEM_NONE || b->flags != a->flags ||
          (j + 1 < chain && b->signal_sem != TRN_SEM_NONE) ||
          memcmp(&b->src0, &a->src0, sizeof b->src0) != 0 ||
          !ap_shifted(&b->src1, &a->src1, delta) || !ap_shifted(&b->dst, &a->dst, delta))
        goto done;
      if ((st = mm_check(it, stream, stop + j, b, &o)) != NULL) {
        trn_status_free(st); /* it traps when it runs */
        goto done;
      }
    }
    /* the candidate must end where the first chain ends, not continue accumulating */
    size_t after = stop + chain;
    if (after < len && insts[after].opcode == TRN_OP_MATMUL &&
        (insts[after].flags & TRN_FLAG_ACC) && insts[after].wait_sem == TRN_SEM_NONE &&
        memcmp(&insts[after].dst, &insts[stop].dst, sizeof insts[after].dst) == 0)
      goto done;
    stop += chain;
    n += head->n;
  }
done:
  *out_n = n;
  return stop;
}

/* The results of a fused run, computed by its first instruction: chain e (from 0, its
 * first instruction head[e]) is the m x n block of c at row row0[e], column col0[e],
 * stored into its dst when head[e] runs (its first write in program order). */
typedef struct trn_mm_ahead_t {
  uint32_t stream;
  size_t count, next;
  size_t head[TRN_MM_AHEAD_MAX];
  uint64_t row0[TRN_MM_AHEAD_MAX], col0[TRN_MM_AHEAD_MAX];
  uint64_t m, n, ldc;
  float *c;
  size_t c_cap;
  /* What each stream's instructions from i on can write: future[s][2 * i] in SBUF,
   * future[s][2 * i + 1] in PSUM (for i up to the stream length); NULL until needed. */
  trn_rt_extent_t *future[TRN_MAX_STREAMS];
  bool have_future;
  /* Each stream's signalling instructions grouped by semaphore, in program order:
   * those of semaphore v are sig_index[s][sig_start[s][v] .. sig_start[s][v + 1]);
   * NULL until needed. */
  uint32_t *sig_index[TRN_MAX_STREAMS];
  uint32_t *sig_start[TRN_MAX_STREAMS];
  uint32_t nsems;
  /* Per semaphore: the one stream whose instructions signal it, TRN_MM_SIG_NONE or
   * TRN_MM_SIG_MANY. */
  uint8_t sig_stream[TRN_SEM_NONE];
} trn_mm_ahead_t;

#define TRN_MM_SIG_NONE 0xFFu
#define TRN_MM_SIG_MANY 0xFEu

void trn_interp_matmul_release(trn_interp_t *it) {
  trn_mm_ahead_t *a = it->mm_ahead;
  if (!a) return;
  free(a->c);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    free(a->future[s]);
    free(a->sig_index[s]);
    free(a->sig_start[s]);
  }
  free(a);
  it->mm_ahead = NULL;
}

static trn_status_t mm_ahead(trn_interp_t *it, trn_mm_ahead_t **out) {
  if (!it->mm_ahead) {
    it->mm_ahead = calloc(1, sizeof *it->mm_ahead);
    if (!it->mm_ahead) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "matmul results ahead");
  }
  *out = it->mm_ahead;
  return NULL;
}

/* Stores chain `index` of stream `stream` if it was computed ahead. */
static void mm_ahead_store(trn_interp_t *it, uint32_t stream, size_t index) {
  trn_mm_ahead_t *a = it->mm_ahead;
  if (!a || a->stream != stream || a->next >= a->count || a->head[a->next] != index) return;
  size_t e = a->next++;
  const trn_ap_t *d = &it->model->streams[stream][index].dst;
  uint64_t dp;
  uint8_t *dst = mm_space(it, d->space, &dp) + (uint64_t)d->start_partition * dp + d->offset;
  trn_interp_copy_rows(it, dst, (size_t)dp,
                       (const uint8_t *)(a->c + a->row0[e] * a->ldc + a->col0[e]),
                       (size_t)a->ldc * 4, (uint32_t)a->m, (size_t)a->n * 4);
}

/* The look-ahead state with `fill` done (it fills its part once per run); NULL when
 * that fails, in which case the caller takes the path that needs no look-ahead. */
static trn_mm_ahead_t *mm_ahead_filled(trn_interp_t *it,
                                       trn_status_t (*fill)(trn_interp_t *, trn_mm_ahead_t *)) {
  trn_mm_ahead_t *a = NULL;
  trn_status_t st = mm_ahead(it, &a);
  if (!st) st = fill(it, a);
  if (st) {
    trn_status_free(st);
    return NULL;
  }
  return a;
}

/* Fills a->future (once per run). */
static trn_status_t mm_future_writes(trn_interp_t *it, trn_mm_ahead_t *a) {
  if (a->have_future) return NULL;
  const trn_rt_model_t *model = it->model;
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    size_t len = model->streams[s] ? model->stream_length[s] : 0;
    trn_rt_extent_t *f = calloc(2 * (len + 1), sizeof *f);
    if (!f) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "write extents of %zu instructions", len);
    free(a->future[s]);
    a->future[s] = f;
    for (size_t i = len; i-- > 0;) {
      trn_rt_extent_t w[3];
      memset(w, 0, sizeof w);
      trn_rt_inst_write_extents(model, &model->streams[s][i], w);
      f[2 * i] = f[2 * (i + 1)];
      f[2 * i + 1] = f[2 * (i + 1) + 1];
      trn_rt_extent_union(&f[2 * i], &w[1]);
      trn_rt_extent_union(&f[2 * i + 1], &w[2]);
    }
  }
  a->have_future = true;
  return NULL;
}

/* Whether no instruction another stream has yet to run can write into the operand
 * `op` (read in place); false when that is not known. */
static bool mm_operand_final(trn_interp_t *it, uint32_t stream, const trn_ap_t *op) {
  uint64_t pb;
  (void)mm_space(it, op->space, &pb);
  if (!mm_ap_direct(op, pb)) return false;
  trn_mm_ahead_t *a = mm_ahead_filled(it, mm_future_writes);
  if (!a) return false;
  const trn_rt_extent_t box = {op->start_partition,
                               (uint64_t)op->start_partition + op->num_partitions, op->offset,
                               op->offset + (uint64_t)op->num[0] * 4};
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    if (s == stream || !a->future[s]) continue;
    size_t len = it->model->streams[s] ? it->model->stream_length[s] : 0;
    size_t at = it->executed[s] < len ? it->executed[s] : len;
    const trn_rt_extent_t *f = &a->future[s][2 * at + (op->space == TRN_SPACE_PSUM)];
    if (trn_rt_extent_meets(f, &box)) return false;
  }
  return true;
}

/* Fills a->sig_index and a->sig_start (once per run). */
static trn_status_t mm_signal_index(trn_interp_t *it, trn_mm_ahead_t *a) {
  if (a->nsems) return NULL;
  const trn_rt_model_t *model = it->model;
  uint32_t nsems = it->target->semaphores < TRN_SEM_NONE ? it->target->semaphores : TRN_SEM_NONE;
  memset(a->sig_stream, TRN_MM_SIG_NONE, sizeof a->sig_stream);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    size_t len = model->streams[s] ? model->stream_length[s] : 0;
    uint32_t *start = calloc((size_t)nsems + 2, sizeof *start);
    uint32_t *index = malloc((len ? len : 1) * sizeof *index);
    if (!start || !index) {
      free(start);
      free(index);
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "signal index of %zu instructions", len);
    }
    free(a->sig_index[s]);
    free(a->sig_start[s]);
    a->sig_index[s] = index;
    a->sig_start[s] = start;
    /* counting sort by semaphore: start[v + 2] counts, then prefix sums, then fill */
    for (size_t i = 0; i < len; i++) {
      uint32_t v = model->streams[s][i].signal_sem;
      if (v >= nsems) continue;
      start[v + 2]++;
      uint8_t *who = &a->sig_stream[v];
      *who = *who == TRN_MM_SIG_NONE || *who == s ? (uint8_t)s : TRN_MM_SIG_MANY;
    }
    for (uint32_t v = 0; v < nsems; v++) start[v + 2] += start[v + 1];
    for (size_t i = 0; i < len; i++) {
      uint32_t v = model->streams[s][i].signal_sem;
      if (v < nsems) index[start[v + 1]++] = (uint32_t)i;
    }
  }
  a->nsems = nsems;
  return NULL;
}

/* How many times semaphore `sem` has been signalled by the instructions every stream
 * has executed. */
static uint64_t mm_signals_done(const trn_interp_t *it, const trn_mm_ahead_t *a, uint32_t sem) {
  uint64_t n = 0;
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    if (!a->sig_index[s]) continue;
    const uint32_t *lo = a->sig_index[s] + a->sig_start[s][sem];
    size_t count = a->sig_start[s][sem + 1] - a->sig_start[s][sem], done = it->executed[s];
    /* the signals of instructions before `done`: binary search for the first after */
    size_t l = 0, h = count;
    while (l < h) {
      size_t mid = l + (h - l) / 2;
      if (lo[mid] < done) l = mid + 1;
      else h = mid;
    }
    n += l;
  }
  return n;
}

/* Whether instruction `at` of `stream`, in a chain that starts at `index` (which is
 * executing now), waits on nothing or on a semaphore that the instructions executed
 * so far and the chain's own instructions before it have signalled enough: the wait
 * adds no ordering then, so the chain may be computed at `index` past it. Only for a
 * semaphore one stream signals: a wait is satisfied by the first signals in time
 * order (interp.c), and one stream's signals come in time order, so those already
 * made stay first; another stream's later signal could end earlier and take their
 * place. */
static bool mm_wait_met(trn_interp_t *it, uint32_t stream, size_t index, size_t at) {
  const trn_inst_t *insts = it->model->streams[stream], *in = &insts[at];
  if (in->wait_sem == TRN_SEM_NONE || in->wait_value == 0) return true;
  trn_mm_ahead_t *a = mm_ahead_filled(it, mm_signal_index);
  if (!a) return false;
  if (in->wait_sem >= a->nsems) return false; /* it traps when it runs */
  if (a->sig_stream[in->wait_sem] >= TRN_MAX_STREAMS) return false;
  uint64_t n = mm_signals_done(it, a, in->wait_sem);
  for (size_t i = index; i < at && n < in->wait_value; i++)
    n += insts[i].signal_sem == in->wait_sem;
  return n >= in->wait_value;
}

/* Tallest run of rows computed as one GEMM, in dst partitions (M), and its largest
 * result, in fp32 elements. */
#define TRN_MM_FUSE_MAX_M 1024
#define TRN_MM_FUSE_MAX_ELEMS ((uint64_t)1 << 20)

/* Whether b is a with another offset. */
static bool ap_moved(const trn_ap_t *b, const trn_ap_t *a) {
  trn_ap_t t = *a;
  t.offset = b->offset;
  return memcmp(&t, b, sizeof t) == 0;
}

static bool ap_rows_overlap(const trn_ap_t *a, const trn_ap_t *b, uint64_t bytes) {
  return a->space == b->space && a->start_partition < b->start_partition + b->num_partitions &&
         b->start_partition < a->start_partition + a->num_partitions &&
         a->offset < b->offset + bytes && b->offset < a->offset + bytes;
}

/* The number of rows (from 1) of the run that starts with row 0 = [index, index +
 * rowlen): chains of `chain` MATMULs, one or several continuing each other along N
 * (ntot columns in all). Row r = 1, 2, ... repeats row 0 instruction by instruction
 * with the same moving operands and flags, the stationary operands r * M columns
 * further (the next M tile of the same stationary matrix), its dst moved by one offset
 * (its chains stay side by side; when they accumulate, rows' dsts stay disjoint, as
 * the run reads them all at its first instruction), and signals only at
 * the ends of chains. Such runs come from a GEMM tiled over M as well. Each chain's
 * results are stored when its first instruction runs. Without waits, nothing can
 * observe the early results in a race-free program: a reader of a later row's dst must
 * wait on that row's signals, and a writer of its operands (or a reader of its dst's
 * old contents) must be waited on by this stream before the run's first instruction,
 * since no later one waits. A row may also wait at the first instruction of a chain
 * (as when its PSUM banks must first be drained) when its chains do not accumulate
 * into their dst and no instruction other streams have yet to run can write its
 * operands, nor those of any later row: then they hold their final values already. */
static size_t mm_rows_along_m(trn_interp_t *it, uint32_t stream, const trn_inst_t *insts,
                              size_t len, size_t index, size_t rowlen, size_t chain,
                              const mm_ops_t *head, uint64_t ntot) {
  size_t rows = 1;
  bool waits = false; /* some row so far waits: operands must be final from there on */
  while (index + (rows + 1) * rowlen <= len && (rows + 1) * head->m <= TRN_MM_FUSE_MAX_M &&
         (rows + 1) * head->m * ntot <= TRN_MM_FUSE_MAX_ELEMS &&
         (rows + 1) * (rowlen / chain) <= TRN_MM_AHEAD_MAX) {
    size_t at = index + rows * rowlen;
    const trn_ap_t *d0 = &insts[index].dst, *dr = &insts[at].dst;
    int64_t move = (int64_t)dr->offset - (int64_t)d0->offset;
    for (size_t j = 0; j < rowlen; j++) {
      const trn_inst_t *a = &insts[index + j], *b = &insts[at + j];
      mm_ops_t o;
      trn_status_t st;
      if (b->wait_sem != TRN_SEM_NONE) {
        if (j % chain != 0 || (b->flags & TRN_FLAG_ACC)) return rows;
        waits = true;
      }
      if (b->opcode != TRN_OP_MATMUL || b->flags != a->flags ||
          ((j + 1) % chain != 0 && b->signal_sem != TRN_SEM_NONE) ||
          memcmp(&b->src1, &a->src1, sizeof b->src1) != 0 ||
          !ap_shifted(&b->src0, &a->src0, rows * head->m * 4) || !ap_moved(&b->dst, &a->dst) ||
          (int64_t)b->dst.offset - (int64_t)a->dst.offset != move)
        return rows;
      if ((st = mm_check(it, stream, at + j, b, &o)) != NULL) {
        trn_status_free(st); /* it traps when it runs */
        return rows;
      }
    }
    /* accumulating rows read every dst at the run's first instruction */
    for (size_t r = 0; (insts[index].flags & TRN_FLAG_ACC) && r < rows; r++)
      if (ap_rows_overlap(&insts[index + r * rowlen].dst, dr, ntot * 4)) return rows;
    for (size_t j = 0; waits && j < rowlen; j++)
      if (!mm_operand_final(it, stream, &insts[at + j].src0) ||
          !mm_operand_final(it, stream, &insts[at + j].src1))
        return rows;
    /* the row must end where row 0 ends, not continue accumulating */
    size_t after = at + rowlen;
    if (after < len && insts[after].opcode == TRN_OP_MATMUL &&
        (insts[after].flags & TRN_FLAG_ACC) && insts[after].wait_sem == TRN_SEM_NONE &&
        memcmp(&insts[after].dst, &insts[after - 1].dst, sizeof insts[after].dst) == 0)
      return rows;
    rows++;
  }
  return rows;
}

/* Operand `a`, `cols` fp32 columns per partition, into rows [row0, ..) of the dense
 * buffer `buf`: copied from the HBM source of the pending load (lazy.c) it lies in,
 * else gathered from SBUF/PSUM (after materializing the pending loads it meets). */
static void mm_rows_into(trn_interp_t *it, const trn_ap_t *a, float *buf, size_t cols,
                         uint32_t row0) {
  uint64_t pb;
  uint8_t *base = mm_space(it, a->space, &pb);
  if (it->lazy && a->space == TRN_SPACE_SBUF && mm_ap_dense_f32(a)) {
    size_t ld;
    const float *p =
        trn_lazy_in_place(it, a->start_partition, a->num_partitions, a->offset, cols * 4, &ld);
    if (p) {
      trn_interp_copy_rows(it, (uint8_t *)(buf + (size_t)row0 * cols), cols * 4,
                           (const uint8_t *)p, ld * 4, a->num_partitions, cols * 4);
      return;
    }
  } else {
    mm_touch(it, a);
  }
  mm_gather(it, a, base, pb, buf, cols, row0);
}

/* The HBM source of operand src0 (or src1 if `moving`), `cols` fp32 columns, of every
 * instruction of [index, end) when each lies in a pending load (lazy.c) and the rows
 * of each continue those of the one before at one stride: one K x cols matrix in
 * place, row stride *out_ld. NULL otherwise. */
static const float *mm_chain_hbm(trn_interp_t *it, const trn_inst_t *insts, size_t index,
                                 size_t end, bool moving, uint64_t cols, size_t *out_ld) {
  if (!it->lazy) return NULL;
  const float *base = NULL;
  size_t ld = 0;
  uint64_t rows = 0;
  for (size_t i = index; i < end; i++) {
    const trn_ap_t *a = moving ? &insts[i].src1 : &insts[i].src0;
    size_t l;
    if (a->space != TRN_SPACE_SBUF || !mm_ap_dense_f32(a)) return NULL;
    const float *p =
        trn_lazy_find(it, a->start_partition, a->num_partitions, a->offset, cols * 4, &l);
    if (!p) return NULL;
    if (i == index) {
      base = p;
      ld = l;
    } else if (l != ld || p != base + rows * ld) {
      return NULL;
    }
    rows += a->num_partitions;
  }
  *out_ld = ld;
  return base;
}

/* MATMUL. A run of MATMULs on one stream that accumulate into the same dst, where
 * no instruction after the first waits on a semaphore not yet signalled enough (see
 * mm_wait_met), is computed at once by the first (one GEMM over the concatenated K).
 * In a race-free program every access another engine makes to the dst is ordered
 * with every MATMUL of the run, so it comes before the first or after the last (an
 * access in between would need a wait inside the run that is still to be satisfied);
 * signals inside the run therefore let nothing observe partial sums, and nothing can
 * change the run's operands in between. Its other instructions then only account
 * their time and MACs. */
trn_status_t trn_interp_exec_matmul(trn_interp_t *it, uint32_t stream, size_t index,
                                    const trn_inst_t *inst) {
  if (index < it->fused_end[stream]) {
    it->last_macs = (uint64_t)inst->src0.num_partitions * trn_isa_ap_free_elems(&inst->src0) *
                    trn_isa_ap_free_elems(&inst->src1);
    mm_ahead_store(it, stream, index);
    return NULL;
  }
  mm_ops_t head;
  TRN_RETURN_IF_ERROR(mm_check(it, stream, index, inst, &head));
  const trn_inst_t *insts = it->model->streams[stream];
  size_t len = it->model->stream_length[stream], end = index + 1;
  uint64_t ktot = head.k;
  if (insts && index < len && &insts[index] == inst) {
    while (end < len) {
      const trn_inst_t *nx = &insts[end];
      if (nx->opcode != TRN_OP_MATMUL || !(nx->flags & TRN_FLAG_ACC) ||
          memcmp(&nx->dst, &inst->dst, sizeof nx->dst) != 0 || !mm_wait_met(it, stream, index, end))
        break;
      mm_ops_t o;
      trn_status_t st = mm_check(it, stream, end, nx, &o);
      if (st || ktot + o.k > TRN_MM_FUSE_MAX_K) {
        trn_status_free(st); /* it traps when it runs */
        break;
      }
      ktot += o.k;
      end++;
    }
  }
  it->last_macs = head.k * head.m * head.n;
  float *A = NULL, *B = NULL;
  size_t lda, ldb;
  if (end == index + 1) {
    TRN_RETURN_IF_ERROR(mm_view(it, 0, &inst->src0, head.ab, head.ap, head.m, &A, &lda));
    TRN_RETURN_IF_ERROR(mm_view(it, 1, &inst->src1, head.bb, head.bp, head.n, &B, &ldb));
    return mm_store(it, inst, &head, head.k, A, lda, B, ldb);
  }
  /* Every operand and the dst in place (fp32, contiguous per partition): one GEMM per
   * instruction of the first chain reading SBUF in place (no gather; gathering the K
   * steps for one GEMM measured slower), widened to the chains that continue it along
   * N and M, accumulating in fp32 into a dense M x N buffer (PSUM rows, a power-of-two
   * stride apart, would share cache sets); each chain's block is copied to its dst
   * when its first instruction runs. Same sums, same order as one at a time. */
  if (mm_chain_direct(it, insts, index, end, &head)) {
    uint64_t ntot = head.n;
    size_t stop = mm_chains_along_n(it, stream, insts, len, index, end, &head, &ntot);
    if (stop > end && !mm_rows_direct(it, insts, index, stop - index, 1, head.dp, ntot)) {
      stop = end;
      ntot = head.n;
    }
    size_t rowlen = stop - index;
    size_t rows = mm_rows_along_m(it, stream, insts, len, index, rowlen, end - index, &head, ntot);
    if (rows > 1 && !mm_rows_direct(it, insts, index, rowlen, rows, head.dp, ntot)) rows = 1;
    uint64_t mtot = head.m * rows;
    size_t chain = end - index, per_row = rowlen / chain;
    trn_mm_ahead_t *ah = NULL;
    TRN_RETURN_IF_ERROR(mm_ahead(it, &ah));
    size_t need = (size_t)(mtot * ntot);
    if (ah->c_cap < need) {
      float *p = realloc(ah->c, need * sizeof(float));
      if (!p) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "matmul result of %zu floats", need);
      ah->c = p;
      ah->c_cap = need;
    }
    float *C = ah->c;
    ah->stream = stream;
    ah->m = head.m;
    ah->n = head.n;
    ah->ldc = ntot;
    ah->count = rows * per_row;
    ah->next = 0;
    for (size_t r = 0; r < rows; r++)
      for (size_t c = 0; c < per_row; c++) {
        size_t e = r * per_row + c;
        ah->head[e] = index + r * rowlen + c * chain;
        ah->row0[e] = r * head.m;
        ah->col0[e] = c * head.n;
      }
    it->fused_end[stream] = index + rows * rowlen;
    bool acc = (inst->flags & TRN_FLAG_ACC) != 0;
    if (acc) /* then no chain of the run waits: every dst holds its old value now */
      for (size_t r = 0; r < rows; r++) {
        const trn_ap_t *d = &insts[index + r * rowlen].dst;
        if (it->lazy && d->space == TRN_SPACE_SBUF) {
          trn_rt_extent_t box = {d->start_partition, (uint64_t)d->start_partition + head.m,
                                 d->offset, d->offset + ntot * 4};
          trn_lazy_touch(it, &box);
        }
        const uint8_t *dst = head.db + (uint64_t)d->start_partition * head.dp + d->offset;
        trn_interp_copy_rows(it, (uint8_t *)(C + r * head.m * ntot), (size_t)ntot * 4, dst,
                             (size_t)head.dp, (uint32_t)head.m, (size_t)ntot * 4);
      }
    for (size_t i = index; i < end; i++) {
      const trn_inst_t *in = &insts[i];
      size_t lda, ldb;
      const float *a = mm_source(it, &in->src0, mtot, &lda);
      const float *b = mm_source(it, &in->src1, ntot, &ldb);
      gemm_tn(it, mtot, ntot, in->src0.num_partitions, a, lda, b, ldb, acc || i > index, C,
              (size_t)ntot);
    }
    mm_ahead_store(it, stream, index);
    return NULL;
  }
  /* Operands a chain reads from pending loads (lazy.c) come from their HBM sources:
   * in place when every instruction's rows continue the previous one's at one stride,
   * else copied row by row instead of gathered. */
  const float *Ah = mm_chain_hbm(it, insts, index, end, false, head.m, &lda);
  const float *Bh = mm_chain_hbm(it, insts, index, end, true, head.n, &ldb);
  if (!Ah) TRN_RETURN_IF_ERROR(mm_buffer(it, 0, (size_t)(ktot * head.m), &A));
  if (!Bh) TRN_RETURN_IF_ERROR(mm_buffer(it, 1, (size_t)(ktot * head.n), &B));
  uint64_t row = 0;
  for (size_t i = index; i < end; i++) {
    const trn_inst_t *in = &insts[i];
    if (!Ah) mm_rows_into(it, &in->src0, A, (size_t)head.m, (uint32_t)row);
    if (!Bh) mm_rows_into(it, &in->src1, B, (size_t)head.n, (uint32_t)row);
    row += in->src0.num_partitions;
  }
  it->fused_end[stream] = end;
  return mm_store(it, inst, &head, ktot, Ah ? Ah : A, Ah ? lda : head.m, Bh ? Bh : B,
                  Bh ? ldb : head.n);
}

trn_status_t trn_interp_exec_transpose(trn_interp_t *it, uint32_t stream, size_t index,
                                       const trn_inst_t *inst) {
  uint8_t *db, *ab;
  uint64_t dp, ap;
  TRN_RETURN_IF_ERROR(trn_interp_ap_check(it, stream, index, inst, &inst->dst, "dst", &db, &dp));
  TRN_RETURN_IF_ERROR(trn_interp_ap_check(it, stream, index, inst, &inst->src0, "src0", &ab, &ap));
  const trn_ap_t *d = &inst->dst, *a = &inst->src0;
  uint64_t rows = a->num_partitions, cols = trn_isa_ap_free_elems(a);
  if (d->num_partitions != cols)
    TRAP("dst partitions %u != src0 free size %llu", d->num_partitions, (unsigned long long)cols);
  if (trn_isa_ap_free_elems(d) != rows)
    TRAP("dst free size %llu != src0 partitions %llu",
         (unsigned long long)trn_isa_ap_free_elems(d), (unsigned long long)rows);
  bool as_int = trn_interp_dtype_is_int(a->dtype) && trn_interp_dtype_is_int(d->dtype);
  void *all, *row;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 3, rows * cols, &all));
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 2, rows, &row));
  for (uint32_t p = 0; p < rows; p++) {
    void *dstrow = (uint8_t *)all + (size_t)p * cols * 4;
    if (as_int) trn_interp_load_row_i32(a, ab, ap, p, dstrow);
    else trn_interp_load_row_f32(a, ab, ap, p, dstrow);
  }
  for (uint32_t j = 0; j < cols; j++) {
    for (uint64_t i = 0; i < rows; i++)
      memcpy((uint8_t *)row + i * 4, (uint8_t *)all + (i * cols + j) * 4, 4);
    if (as_int) trn_interp_store_row_i32(d, db, dp, j, row);
    else trn_interp_store_row_f32(d, db, dp, j, row);
  }
  return NULL;
}
