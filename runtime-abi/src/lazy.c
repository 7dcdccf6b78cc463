/* Deferred loads: DMAs from constant HBM into SBUF that are not copied when they run.
 *
 * Most of a model's DMA bytes are weights copied HBM -> SBUF and then read once, in
 * place, by MATMUL. Copying them costs the interpreter about as much as the GEMMs.
 * Instead, a DMA descriptor that
 *  - copies from HBM bytes no DMA descriptor of the program writes (the host writes
 *    the inputs and constants before the run, never during it: such bytes hold the
 *    same value for the whole run),
 *  - into SBUF, same dtype, as one contiguous run of bytes in each of a set of
 *    consecutive partitions (its destination footprint is then exactly its bounding
 *    box, and each destination byte is written once), or as several such pieces
 *    along its other dimensions whose boxes do not meet (as the column blocks of
 *    weights joined into one load),
 *  - and moves at least TRN_LAZY_MIN_BYTES per piece,
 * becomes pending entries, one per piece: its source pointer, the source stride
 * between partitions and its SBUF box. The DMA instruction still runs as before
 * otherwise: its descriptors are checked (traps are the same), its bytes are counted
 * and it takes the same simulated time.
 *
 * Invariant: pending entries are pairwise disjoint, and every SBUF byte inside an
 * entry's box holds, as far as the program can tell, the entry's source byte; the
 * bytes outside every box are what SBUF holds. So:
 *  - A new entry first cuts out of each older one the part its box meets and drops
 *    it: the new one writes every byte of its box, later. What is left of the older
 *    entry stays pending (entry_cut: up to four boxes, each still written exactly).
 *  - Every other access (each operand of an engine instruction, each side of a DMA
 *    descriptor that is not deferred) first materializes the part of each entry its
 *    bounding box meets (trn_lazy_touch; interp.c, exec_dma.c), copying it from the
 *    constant source: the source gives the bytes a copy at the DMA's time would have.
 *    The box over-approximates the access, so no access misses an entry.
 *  - The exception: MATMUL operands read in place (exec_matmul.c, including the
 *    operands of later instructions its chain fusion reads early) that lie wholly in
 *    one entry whose partitions' source rows are evenly strided read the HBM source
 *    directly, with the stride as leading dimension (trn_lazy_in_place): the same
 *    bytes, no copy. Any other MATMUL operand materializes what it meets.
 *  - Nothing reads SBUF after the run (outputs live in HBM; the next run clears
 *    SBUF where the program can write), so entries left at the end are dropped.
 * Every SBUF read therefore sees the bytes a copy at DMA time would have left.
 *
 * Deferral is off in strict mode (the race detector's run executes every copy as
 * written); anything that would inspect SBUF in the middle of a run must turn it off
 * too (interp.c creates the state). */
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

/* Smallest descriptor deferred, in bytes: below it the bookkeeping (and the likely
 * materialization by a vector engine reading it, e.g. a bias column) costs more than
 * the copy. Measured: ResNet-50 defers the same 93 MB from 4 KiB to 64 KiB (its weight
 * descriptors are 64 KiB and more); MobileNetV2 defers 7.4 / 7.1 / 4.8 MB at 4 / 16 /
 * 64 KiB and copies 411 / 161 / 4 KB of it late. */
#define TRN_LAZY_MIN_BYTES ((uint64_t)16 << 10)

typedef struct lazy_entry_t {
  const uint8_t *src;  /* source of the box's first partition */
  uint64_t stride;     /* source bytes between consecutive partitions' runs */
  trn_rt_extent_t box; /* SBUF partitions x bytes; written exactly */
} lazy_entry_t;

struct trn_lazy_t {
  lazy_entry_t *v;
  size_t n, cap;
  trn_rt_extent_t all;   /* bounding box of the entries (quick rejection) */
  bool all_stale;        /* entries were removed since `all` was computed */
  uint64_t *hbm_written; /* [lo, hi) byte ranges DMAs may write in HBM, sorted, disjoint */
  size_t nwritten;
};

static int cmp_range(const void *a, const void *b) {
  const uint64_t *x = a, *y = b;
  return x[0] < y[0] ? -1 : x[0] > y[0];
}

trn_status_t trn_lazy_create(const trn_rt_model_t *model, trn_lazy_t **out) {
  *out = NULL;
  trn_lazy_t *lz = calloc(1, sizeof *lz);
  if (!lz) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "deferred-load state");
  size_t n = 0;
  for (size_t d = 0; d < model->dma_count; d++) n += model->dma[d].dst_space == TRN_SPACE_HBM;
  lz->hbm_written = malloc((n ? n : 1) * 2 * sizeof(uint64_t));
  if (!lz->hbm_written) {
    free(lz);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "HBM write ranges of %zu descriptors", n);
  }
  n = 0;
  for (size_t d = 0; d < model->dma_count; d++) {
    trn_rt_extent_t box;
    if (model->dma[d].dst_space != TRN_SPACE_HBM ||
        !trn_rt_desc_side_extent(model, &model->dma[d], true, &box) || box.lo >= box.hi)
      continue;
    lz->hbm_written[2 * n] = box.lo;
    lz->hbm_written[2 * n + 1] = box.hi;
    n++;
  }
  qsort(lz->hbm_written, n, 2 * sizeof(uint64_t), cmp_range);
  size_t k = 0; /* merge overlapping ranges */
  for (size_t i = 0; i < n; i++) {
    uint64_t lo = lz->hbm_written[2 * i], hi = lz->hbm_written[2 * i + 1];
    if (k && lo <= lz->hbm_written[2 * k - 1]) {
      if (hi > lz->hbm_written[2 * k - 1]) lz->hbm_written[2 * k - 1] = hi;
      continue;
    }
    lz->hbm_written[2 * k] = lo;
    lz->hbm_written[2 * k + 1] = hi;
    k++;
  }
  lz->nwritten = k;
  *out = lz;
  return NULL;
}

void trn_lazy_destroy(trn_lazy_t *lz) {
  if (!lz) return;
  free(lz->v);
  free(lz->hbm_written);
  free(lz);
}

/* Whether HBM bytes [lo, hi) meet a range some DMA may write. */
static bool hbm_written(const trn_lazy_t *lz, uint64_t lo, uint64_t hi) {
  size_t a = 0, b = lz->nwritten; /* first range ending after lo */
  while (a < b) {
    size_t mid = a + (b - a) / 2;
    if (lz->hbm_written[2 * mid + 1] <= lo) a = mid + 1;
    else b = mid;
  }
  return a < lz->nwritten && lz->hbm_written[2 * a] < hi;
}

static bool box_covers(const trn_rt_extent_t *outer, const trn_rt_extent_t *in) {
  return outer->p_lo <= in->p_lo && in->p_hi <= outer->p_hi && outer->lo <= in->lo &&
         in->hi <= outer->hi;
}

/* Copies rows x bytes of an entry's source, from `src`, to SBUF box `box`. */
static void copy_box(trn_interp_t *it, const trn_rt_extent_t *box, const uint8_t *src,
                     uint64_t stride) {
  uint64_t pb = it->target->sbuf_partition_bytes, bytes = box->hi - box->lo;
  trn_interp_copy_rows(it, it->sbuf + box->p_lo * pb + box->lo, (size_t)pb, src, (size_t)stride,
                       (uint32_t)(box->p_hi - box->p_lo), (size_t)bytes);
}

/* The source of the bytes of entry e at SBUF partition p, byte lo. */
static const uint8_t *entry_src(const lazy_entry_t *e, uint64_t p, uint64_t lo) {
  return e->src + (p - e->box.p_lo) * e->stride + (lo - e->box.lo);
}

/* Room for `n` entries; false without memory. */
static bool reserve(trn_lazy_t *lz, size_t n) {
  if (lz->cap >= n) return true;
  size_t cap = lz->cap * 2 > n ? lz->cap * 2 : n < 64 ? 64 : n;
  lazy_entry_t *v = realloc(lz->v, cap * sizeof *v);
  if (!v) return false;
  lz->v = v;
  lz->cap = cap;
  return true;
}

/* Settles the part of entry i inside `box`, which it meets: copied to SBUF when
 * `copy`, else dropped (something that writes all of it comes next). The rest stays
 * pending as up to four entries (partitions below and above the box, bytes left and
 * right of it), each still one run per partition at the same source stride, so still
 * written exactly by its box. Without memory for them, the whole entry is copied. The
 * order of the entries does not matter (they are disjoint). */
static void entry_cut(trn_interp_t *it, size_t i, const trn_rt_extent_t *box, bool copy) {
  trn_lazy_t *lz = it->lazy;
  const lazy_entry_t e = lz->v[i];
  trn_rt_extent_t in = {e.box.p_lo > box->p_lo ? e.box.p_lo : box->p_lo,
                        e.box.p_hi < box->p_hi ? e.box.p_hi : box->p_hi,
                        e.box.lo > box->lo ? e.box.lo : box->lo,
                        e.box.hi < box->hi ? e.box.hi : box->hi};
  if (!reserve(lz, lz->n + 3)) {
    in = e.box;
    copy = true;
  }
  if (copy) copy_box(it, &in, entry_src(&e, in.p_lo, in.lo), e.stride);
  lz->v[i] = lz->v[--lz->n];
  trn_rt_extent_t piece[4] = {
      {e.box.p_lo, in.p_lo, e.box.lo, e.box.hi}, /* partitions below */
      {in.p_hi, e.box.p_hi, e.box.lo, e.box.hi}, /* partitions above */
      {in.p_lo, in.p_hi, e.box.lo, in.lo},       /* left */
      {in.p_lo, in.p_hi, in.hi, e.box.hi},       /* right */
  };
  for (int k = 0; k < 4; k++)
    if (piece[k].p_lo < piece[k].p_hi && piece[k].lo < piece[k].hi)
      lz->v[lz->n++] =
          (lazy_entry_t){entry_src(&e, piece[k].p_lo, piece[k].lo), e.stride, piece[k]};
  lz->all_stale = true; /* `all` still bounds them: recomputed when next needed */
}

/* Whether `box` meets the bounding box of the entries (recomputing it if stale). */
static bool meets_any(trn_lazy_t *lz, const trn_rt_extent_t *box) {
  if (!lz->n) return false;
  if (lz->all_stale) {
    memset(&lz->all, 0, sizeof lz->all);
    for (size_t k = 0; k < lz->n; k++) trn_rt_extent_union(&lz->all, &lz->v[k].box);
    lz->all_stale = false;
  }
  return trn_rt_extent_meets(&lz->all, box);
}

/* Settles the part inside `box` of every entry that meets it (entry_cut). */
static void settle(trn_interp_t *it, const trn_rt_extent_t *box, bool copy) {
  trn_lazy_t *lz = it->lazy;
  if (!lz || !meets_any(lz, box)) return;
  /* entries moved into slot i or added come from beyond it or lie outside the box */
  for (size_t i = lz->n; i-- > 0;)
    if (i < lz->n && trn_rt_extent_meets(&lz->v[i].box, box)) entry_cut(it, i, box, copy);
}

void trn_lazy_touch(trn_interp_t *it, const trn_rt_extent_t *box) { settle(it, box, true); }

void trn_lazy_drop(trn_interp_t *it, const trn_rt_extent_t *box) { settle(it, box, false); }

/* Whether instruction `in` writes every element of its dst and reads none of it (the
 * executor stores whole rows for these). */
static bool writes_whole_dst(const trn_inst_t *in) {
  switch (in->opcode) {
  case TRN_OP_ACTIVATE: return !(in->flags & TRN_FLAG_ACCUM); /* accum keeps a column */
  case TRN_OP_TENSOR_TENSOR:
  case TRN_OP_TENSOR_SCALAR:
  case TRN_OP_TENSOR_COPY:
  case TRN_OP_MEMSET: return true;
  default: return false;
  }
}

void trn_lazy_before(trn_interp_t *it, const trn_inst_t *in) {
  trn_lazy_t *lz = it->lazy;
  if (!lz || !lz->n || in->opcode == TRN_OP_DMA) return;
  int m[2], md;
  trn_rt_extent_t box[2], bd;
  /* a MATMUL's sources: exec_matmul.c */
  size_t n = in->opcode == TRN_OP_MATMUL ? 0 : trn_rt_inst_read_extents(it->model, in, m, box);
  for (size_t i = 0; i < n; i++)
    if (m[i] == 1) trn_lazy_touch(it, &box[i]);
  if (!trn_rt_ap_extent(it->model, &in->dst, &md, &bd) || md != 1) return;
  /* A dst dense in each partition (trn_interp_ap_dense) is exactly its box: when the
   * instruction writes all of it without reading it, what it covers is dropped. */
  if (writes_whole_dst(in) && trn_interp_ap_dense(&in->dst)) trn_lazy_drop(it, &bd);
  else trn_lazy_touch(it, &bd);
}

/* Most pieces (entries) one descriptor is deferred as. */
#define TRN_LAZY_MAX_PIECES 64

trn_status_t trn_lazy_defer(trn_interp_t *it, const trn_dma_desc_t *d, bool *out_deferred) {
  *out_deferred = false;
  trn_lazy_t *lz = it->lazy;
  if (!lz || d->src_space != TRN_SPACE_HBM || d->dst_space != TRN_SPACE_SBUF ||
      d->src_dtype != d->dst_dtype)
    return NULL;
  const uint64_t es = trn_isa_dtype_size((trn_dtype_t)d->src_dtype);
  const uint64_t pb = it->target->sbuf_partition_bytes;
  if (es == 0 || pb % es != 0) return NULL;
  /* one dimension along the partitions' bytes (unit steps), one across partitions; the
   * others cut the descriptor into pieces (as the column blocks of weights joined into
   * one load), each its own entry */
  uint64_t run = 1, parts = 1, sstride = 0, pieces = 1;
  int outer[TRN_DMA_DIMS], nouter = 0;
  bool have_run = false, have_parts = false;
  for (int k = 0; k < TRN_DMA_DIMS; k++) {
    if (d->num[k] == 0) return NULL;
    if (d->num[k] == 1) continue;
    if (!have_run && d->src_step[k] == 1 && d->dst_step[k] == 1) {
      have_run = true;
      run = d->num[k];
    } else if (!have_parts && d->dst_step[k] > 0 && (uint64_t)d->dst_step[k] == pb / es &&
               d->src_step[k] > 0) {
      have_parts = true;
      parts = d->num[k];
      sstride = (uint64_t)d->src_step[k] * es;
    } else {
      outer[nouter++] = k;
      pieces *= d->num[k];
      if (pieces > TRN_LAZY_MAX_PIECES) return NULL;
    }
  }
  uint64_t bytes = run * es;
  if (!have_parts) sstride = bytes;
  if (parts * bytes < TRN_LAZY_MIN_BYTES) return NULL;
  uint64_t src[TRN_LAZY_MAX_PIECES];
  trn_rt_extent_t box[TRN_LAZY_MAX_PIECES];
  for (uint64_t j = 0; j < pieces; j++) {
    /* the piece's first element on each side (exec_dma.c checked every address) */
    int64_t so = 0, dof = 0;
    uint64_t rest = j;
    for (int o = nouter - 1; o >= 0; o--) {
      int k = outer[o];
      int64_t at = (int64_t)(rest % d->num[k]);
      rest /= d->num[k];
      so += at * d->src_step[k];
      dof += at * d->dst_step[k];
    }
    uint64_t sa = (uint64_t)((int64_t)d->src_addr + so * (int64_t)es);
    uint64_t da = (uint64_t)((int64_t)d->dst_addr + dof * (int64_t)es);
    box[j] = (trn_rt_extent_t){da / pb, da / pb + parts, da % pb, da % pb + bytes};
    src[j] = sa;
    uint64_t src_hi = sa + (parts - 1) * sstride + bytes;
    if (box[j].hi > pb || box[j].p_hi > it->target->partitions || src_hi > it->hbm_size ||
        hbm_written(lz, sa, src_hi))
      return NULL;
    /* pieces that overlap would have to be written in order: copied instead */
    for (uint64_t i = 0; i < j; i++)
      if (trn_rt_extent_meets(&box[i], &box[j])) return NULL;
  }
  for (uint64_t j = 0; j < pieces; j++) {
    settle(it, &box[j], false); /* the new entry writes all of what older ones it meets hold */
    if (!reserve(lz, lz->n + 1))
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%zu deferred loads", lz->n + 1);
    lz->v[lz->n++] = (lazy_entry_t){it->hbm + src[j], sstride, box[j]};
    trn_rt_extent_union(&lz->all, &box[j]);
  }
  *out_deferred = true;
  return NULL;
}

const float *trn_lazy_find(trn_interp_t *it, uint32_t p0, uint32_t np, uint64_t offset,
                           uint64_t bytes, size_t *out_ld) {
  trn_lazy_t *lz = it->lazy;
  if (!lz || !lz->n || np == 0 || bytes == 0) return NULL;
  trn_rt_extent_t box = {p0, (uint64_t)p0 + np, offset, offset + bytes};
  if (!meets_any(lz, &box)) return NULL;
  for (size_t i = 0; i < lz->n; i++) {
    const lazy_entry_t *e = &lz->v[i];
    if (!trn_rt_extent_meets(&e->box, &box)) continue;
    /* the entries are disjoint: no other one meets the operand when this one covers it */
    if (!box_covers(&e->box, &box) || e->stride % 4 != 0 || e->stride < bytes ||
        (uintptr_t)e->src % 4 != 0)
      return NULL;
    const uint8_t *p = e->src + (p0 - e->box.p_lo) * e->stride + (offset - e->box.lo);
    if ((uintptr_t)p % 4 != 0) return NULL;
    *out_ld = (size_t)(e->stride / 4);
    return (const float *)(const void *)p;
  }
  return NULL;
}

const float *trn_lazy_in_place(trn_interp_t *it, uint32_t p0, uint32_t np, uint64_t offset,
                               uint64_t bytes, size_t *out_ld) {
  trn_lazy_t *lz = it->lazy;
  if (!lz || !lz->n) return NULL;
  const float *p = trn_lazy_find(it, p0, np, offset, bytes, out_ld);
  if (p) return p;
  trn_rt_extent_t box = {p0, (uint64_t)p0 + np, offset, offset + bytes};
  trn_lazy_touch(it, &box);
  return NULL;
}
