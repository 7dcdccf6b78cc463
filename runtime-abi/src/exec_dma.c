/* DMA queues: run a list of strided descriptors with dtype conversion. */
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

#define TRAP(...) return trn_interp_trap(stream, index, inst, __VA_ARGS__)

static bool space_mem(trn_interp_t *it, uint8_t space, uint8_t **out_base, uint64_t *out_size) {
  switch (space) {
  case TRN_SPACE_HBM: *out_base = it->hbm; *out_size = it->hbm_size; return true;
  case TRN_SPACE_SBUF: *out_base = it->sbuf; *out_size = it->sbuf_size; return true;
  case TRN_SPACE_PSUM: *out_base = it->psum; *out_size = it->psum_size; return true;
  default: return false;
  }
}

/* Byte range [lo, hi) one side of a descriptor touches; false if it leaves [0, size)
 * or overflows. */
static bool side_range(uint64_t addr, const int64_t *step, const uint32_t *num, size_t es,
                       uint64_t size, int64_t *out_lo, int64_t *out_hi) {
  *out_lo = *out_hi = 0;
  return trn_isa_dma_side_range(addr, step, num, es, out_lo, out_hi) && *out_lo >= 0 &&
         (uint64_t)*out_hi <= size;
}

/* Copies n elements of es bytes, the source advancing ss bytes and the destination
 * ds bytes per element, in order; a fixed-size memcpy compiles to one load and store. */
static inline void copy_elems(uint8_t *t, int64_t ds, const uint8_t *s, int64_t ss, uint32_t n,
                              size_t es) {
  switch (es) {
  case 4:
    for (uint32_t i = 0; i < n; i++, s += ss, t += ds) memcpy(t, s, 4);
    break;
  case 2:
    for (uint32_t i = 0; i < n; i++, s += ss, t += ds) memcpy(t, s, 2);
    break;
  case 1:
    for (uint32_t i = 0; i < n; i++, s += ss, t += ds) *t = *s;
    break;
  default:
    for (uint32_t i = 0; i < n; i++, s += ss, t += ds) memmove(t, s, es);
  }
}

/* Side length of the tiles of copy_tiled, in elements. */
#define TRN_DMA_TILE 16

/* The dimension (1..3) to walk in tiles with dimension 0 when one side of a
 * same-dtype descriptor is strided in dimension 0 (byte steps ss, ds): the one with
 * the smallest step on that side, if it is smaller than its dimension-0 step; 0 if
 * tiling would not help. */
static int tile_dim(const uint32_t *num, const int64_t *ss, const int64_t *ds, size_t es) {
  const int64_t *side = (ss[0] != (int64_t)es) ? ss : ds;
  int64_t s0 = side[0] < 0 ? -side[0] : side[0];
  if (num[0] < 2 || s0 <= (int64_t)es) return 0;
  int best = 0;
  int64_t best_step = s0;
  for (int d = 1; d < TRN_DMA_DIMS; d++) {
    int64_t a = side[d] < 0 ? -side[d] : side[d];
    if (num[d] > 1 && a != 0 && a < best_step) {
      best = d;
      best_step = a;
    }
  }
  return best;
}

/* A transposing copy (dimension 0 strided on one side, dimension k contiguous or
 * nearly so): walks TRN_DMA_TILE x TRN_DMA_TILE tiles of dimensions 0 and k so that
 * both sides touch whole cache lines; element by element in source order this would
 * miss the cache on every element. The order of the element copies differs from
 * the descriptor's, so the caller uses it only when source and destination bytes
 * are disjoint. Copies the tiles [t_lo, t_hi) of dimension k (TRN_DMA_TILE indices
 * each). */
static void copy_tiled(uint8_t *t, const int64_t *ds, const uint8_t *s, const int64_t *ss,
                       const uint32_t *num, int k, size_t es, uint64_t t_lo, uint64_t t_hi) {
  int o[2], no = 0;
  for (int d = 1; d < TRN_DMA_DIMS; d++)
    if (d != k) o[no++] = d;
  uint32_t k_lo = (uint32_t)(t_lo * TRN_DMA_TILE);
  uint32_t k_hi = t_hi * TRN_DMA_TILE < num[k] ? (uint32_t)(t_hi * TRN_DMA_TILE) : num[k];
  for (uint32_t a = 0; a < num[o[0]]; a++)
    for (uint32_t b = 0; b < num[o[1]]; b++) {
      const uint8_t *sa = s + (int64_t)a * ss[o[0]] + (int64_t)b * ss[o[1]];
      uint8_t *ta = t + (int64_t)a * ds[o[0]] + (int64_t)b * ds[o[1]];
      for (uint32_t kb = k_lo; kb < k_hi; kb += TRN_DMA_TILE) {
        uint32_t ke = k_hi - kb < TRN_DMA_TILE ? k_hi : kb + TRN_DMA_TILE;
        for (uint32_t ib = 0; ib < num[0]; ib += TRN_DMA_TILE) {
          uint32_t n = num[0] - ib < TRN_DMA_TILE ? num[0] - ib : TRN_DMA_TILE;
          for (uint32_t kk = kb; kk < ke; kk++)
            copy_elems(ta + (int64_t)kk * ds[k] + (int64_t)ib * ds[0], ds[0],
                       sa + (int64_t)kk * ss[k] + (int64_t)ib * ss[0], ss[0], n, es);
        }
      }
    }
}

/* One checked descriptor of a DMA, ready to copy in units: rows of dimensions 1..3 in
 * flattened order (dimension 0 being the row), or for a tiled copy tiles of its
 * dimension k. */
typedef struct trn_dma_plan_t {
  const trn_dma_desc_t *desc;
  const uint8_t *src;
  uint8_t *dst;
  size_t ses;
  int64_t sst[TRN_DMA_DIMS], dst_step[TRN_DMA_DIMS]; /* byte steps */
  uint8_t src_space, dst_space;
  trn_rt_extent_t src_box, dst_box; /* bounding boxes of each side (trn_rt_desc_side_extent) */
  int k;          /* copy_tiled's dimension, or 0 */
  uint64_t units; /* rows or tiles */
  uint64_t bytes; /* destination bytes */
} trn_dma_plan_t;

/* Copies units [lo, hi) of `p`. */
static void plan_copy(const trn_dma_plan_t *p, uint64_t lo, uint64_t hi) {
  const trn_dma_desc_t *desc = p->desc;
  if (p->k) {
    copy_tiled(p->dst, p->dst_step, p->src, p->sst, desc->num, p->k, p->ses, lo, hi);
    return;
  }
  const trn_dtype_t sd = (trn_dtype_t)desc->src_dtype, dd = (trn_dtype_t)desc->dst_dtype;
  const bool same = sd == dd;
  const bool runs = same && desc->src_step[0] == 1 && desc->dst_step[0] == 1;
  const uint32_t n1 = desc->num[1], n2 = desc->num[2];
  uint32_t i1 = (uint32_t)(lo % n1), i2 = (uint32_t)((lo / n1) % n2), i3 = (uint32_t)(lo / n1 / n2);
  for (uint64_t r = lo; r < hi; r++) {
    const uint8_t *s = p->src + i1 * p->sst[1] + i2 * p->sst[2] + i3 * p->sst[3];
    uint8_t *t = p->dst + i1 * p->dst_step[1] + i2 * p->dst_step[2] + i3 * p->dst_step[3];
    if (runs) {
      memmove(t, s, (size_t)desc->num[0] * p->ses);
    } else if (same) {
      copy_elems(t, p->dst_step[0], s, p->sst[0], desc->num[0], p->ses);
    } else {
      for (uint32_t i0 = 0; i0 < desc->num[0]; i0++, s += p->sst[0], t += p->dst_step[0])
        trn_interp_convert(s, sd, t, dd);
    }
    if (++i1 == n1) {
      i1 = 0;
      if (++i2 == n2) {
        i2 = 0;
        i3++;
      }
    }
  }
}

/* Whether the elements of a descriptor side (element steps `step`) are all distinct
 * addresses: with its dimensions of more than one element in increasing |step|, each
 * step passes over everything the smaller ones span. */
static bool side_injective(const uint32_t *num, const int64_t *step) {
  int order[TRN_DMA_DIMS], n = 0;
  for (int d = 0; d < TRN_DMA_DIMS; d++)
    if (num[d] > 1) order[n++] = d;
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0; j--) {
      int64_t a = order[j - 1], b = order[j];
      int64_t sa = step[a] < 0 ? -step[a] : step[a], sb = step[b] < 0 ? -step[b] : step[b];
      if (sa <= sb) break;
      order[j - 1] = (int)b;
      order[j] = (int)a;
    }
  int64_t span = 1; /* elements spanned by the smaller dimensions */
  for (int i = 0; i < n; i++) {
    int64_t st = step[order[i]] < 0 ? -step[order[i]] : step[order[i]];
    if (st < span) return false;
    span += st * (int64_t)(num[order[i]] - 1);
  }
  return true;
}

static bool boxes_meet(uint8_t space_a, const trn_rt_extent_t *a, uint8_t space_b,
                       const trn_rt_extent_t *b) {
  return space_a == space_b && trn_rt_extent_meets(a, b);
}

/* Whether the descriptors of `plans` may be copied in any order and in pieces: every
 * destination is injective and meets no other destination and no source. Then each
 * byte is written once, by a copy that reads nothing any copy writes. */
static bool plans_independent(const trn_dma_plan_t *plans, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const trn_dma_plan_t *a = &plans[i];
    if (!side_injective(a->desc->num, a->desc->dst_step)) return false;
    for (size_t j = 0; j < count; j++) {
      const trn_dma_plan_t *b = &plans[j];
      if (boxes_meet(a->dst_space, &a->dst_box, b->src_space, &b->src_box)) return false;
      if (j != i && boxes_meet(a->dst_space, &a->dst_box, b->dst_space, &b->dst_box))
        return false;
    }
  }
  return true;
}

/* A DMA of at least TRN_DMA_SPLIT_BYTES is split over the pool in pieces of about
 * TRN_DMA_SPLIT_CHUNK bytes (whole rows or tiles, a function of the descriptors only),
 * at most TRN_DMA_SPLIT_PARTS pieces. */
#define TRN_DMA_SPLIT_BYTES ((uint64_t)48 << 10)
#define TRN_DMA_SPLIT_CHUNK ((uint64_t)16 << 10)
#define TRN_DMA_SPLIT_PARTS 64
/* Smaller DMAs leave sleeping workers asleep (trn_pool_run_awake). */
#define TRN_DMA_SPLIT_WAKE ((uint64_t)256 << 10)

typedef struct dma_piece_t {
  uint32_t plan;
  uint64_t lo, hi;
} dma_piece_t;

typedef struct dma_job_t {
  const trn_dma_plan_t *plans;
  dma_piece_t pieces[TRN_DMA_SPLIT_PARTS];
} dma_job_t;

static void dma_part(void *ctx, size_t part, unsigned thread) {
  (void)thread;
  const dma_job_t *j = ctx;
  const dma_piece_t *pc = &j->pieces[part];
  plan_copy(&j->plans[pc->plan], pc->lo, pc->hi);
}

/* Splits the copies of `plans` (independent, `total` bytes) into pieces; 0 when
 * they do not fit TRN_DMA_SPLIT_PARTS. */
static size_t dma_pieces(const trn_dma_plan_t *plans, size_t count, uint64_t total,
                         dma_piece_t *pieces) {
  uint64_t chunk = total / TRN_DMA_SPLIT_PARTS + 1;
  if (chunk < TRN_DMA_SPLIT_CHUNK) chunk = TRN_DMA_SPLIT_CHUNK;
  size_t n = 0;
  for (size_t i = 0; i < count; i++) {
    const trn_dma_plan_t *p = &plans[i];
    if (p->units == 0) continue;
    uint64_t k = (p->bytes + chunk - 1) / chunk;
    if (k > p->units) k = p->units;
    if (k < 1) k = 1;
    for (uint64_t j = 0; j < k; j++) {
      if (n == TRN_DMA_SPLIT_PARTS) return 0;
      pieces[n].plan = (uint32_t)i;
      pieces[n].lo = p->units * j / k;
      pieces[n].hi = p->units * (j + 1) / k;
      n++;
    }
  }
  return n;
}

trn_status_t trn_interp_exec_dma(trn_interp_t *it, uint32_t stream, size_t index,
                                 const trn_inst_t *inst) {
  const trn_rt_model_t *model = it->model;
  uint64_t first = inst->aux, count = inst->imm[0];
  if (first > model->dma_count || count > model->dma_count - first)
    TRAP("descriptors [%llu, %llu) outside the table of %zu", (unsigned long long)first,
         (unsigned long long)(first + count), model->dma_count);
  if (it->dma_plan_cap < count) {
    trn_dma_plan_t *p = realloc(it->dma_plan, (size_t)count * sizeof *p);
    if (!p) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%llu DMA descriptors",
                                   (unsigned long long)count);
    it->dma_plan = p;
    it->dma_plan_cap = (size_t)count;
  }
  trn_dma_plan_t *plans = it->dma_plan;
  size_t nplans = 0;
  uint64_t bytes = 0, hbm_bytes = 0;
  for (uint64_t di = first; di < first + count; di++) {
    const trn_dma_desc_t *desc = &model->dma[di];
    uint8_t *sb, *db;
    uint64_t ss, ds;
    if (!space_mem(it, desc->src_space, &sb, &ss) || !space_mem(it, desc->dst_space, &db, &ds))
      TRAP("descriptor %llu: bad memory space (src %u, dst %u)", (unsigned long long)di,
           desc->src_space, desc->dst_space);
    size_t ses = trn_isa_dtype_size((trn_dtype_t)desc->src_dtype);
    size_t des = trn_isa_dtype_size((trn_dtype_t)desc->dst_dtype);
    if (!ses || !des)
      TRAP("descriptor %llu: bad dtype (src %u, dst %u)", (unsigned long long)di,
           desc->src_dtype, desc->dst_dtype);
    uint64_t elems = trn_isa_dma_elems(desc); /* saturating */
    if (elems == 0) continue;
    int64_t lo = 0, hi = 0, slo = 0, shi = 0;
    if (!side_range(desc->src_addr, desc->src_step, desc->num, ses, ss, &slo, &shi))
      TRAP("descriptor %llu: source bytes [%lld, %lld) outside %s of %llu bytes",
           (unsigned long long)di, (long long)slo, (long long)shi,
           trn_isa_space_name((trn_space_t)desc->src_space), (unsigned long long)ss);
    if (!side_range(desc->dst_addr, desc->dst_step, desc->num, des, ds, &lo, &hi))
      TRAP("descriptor %llu: destination bytes [%lld, %lld) outside %s of %llu bytes",
           (unsigned long long)di, (long long)lo, (long long)hi,
           trn_isa_space_name((trn_space_t)desc->dst_space), (unsigned long long)ds);
    trn_dma_plan_t *p = &plans[nplans++];
    p->desc = desc;
    p->src = sb + desc->src_addr;
    p->dst = db + desc->dst_addr;
    p->ses = ses;
    /* A dim of one element never steps (its step may be anything); the others'
     * byte steps fit, as side_range found their spans inside memory. */
    for (int d = 0; d < TRN_DMA_DIMS; d++) {
      p->sst[d] = desc->num[d] > 1 ? desc->src_step[d] * (int64_t)ses : 0;
      p->dst_step[d] = desc->num[d] > 1 ? desc->dst_step[d] * (int64_t)des : 0;
    }
    p->src_space = desc->src_space;
    p->dst_space = desc->dst_space;
    trn_rt_desc_side_extent(model, desc, false, &p->src_box);
    trn_rt_desc_side_extent(model, desc, true, &p->dst_box);
    const bool same = desc->src_dtype == desc->dst_dtype;
    const bool runs = same && desc->src_step[0] == 1 && desc->dst_step[0] == 1;
    p->k = 0;
    if (same && !runs) {
      bool disjoint = sb != db || shi <= lo || hi <= slo;
      p->k = disjoint ? tile_dim(desc->num, p->sst, p->dst_step, ses) : 0;
    }
    p->units = p->k ? ((uint64_t)desc->num[p->k] + TRN_DMA_TILE - 1) / TRN_DMA_TILE
                    : (uint64_t)desc->num[1] * desc->num[2] * desc->num[3];
    uint64_t moved = elems > UINT64_MAX / des ? UINT64_MAX : elems * des;
    p->bytes = moved;
    bytes += moved;
    if (desc->src_space == TRN_SPACE_HBM || desc->dst_space == TRN_SPACE_HBM) hbm_bytes += moved;
  }
  it->last_dma_bytes = bytes;
  it->last_dma_hbm_bytes = hbm_bytes;
  if (it->lazy) {
    /* Deferred loads (lazy.c): descriptors that qualify are not copied; the others
     * first materialize the pending loads either side meets. In descriptor order:
     * when the descriptors are independent that order does not matter, and the rest
     * are copied below as usual (split over the pool); otherwise each is copied in
     * turn, here. */
    const bool independent = plans_independent(plans, nplans);
    size_t kept = 0;
    bytes = 0;
    for (size_t i = 0; i < nplans; i++) {
      bool deferred = false;
      TRN_RETURN_IF_ERROR(trn_lazy_defer(it, plans[i].desc, &deferred));
      if (deferred) continue;
      if (plans[i].src_space == TRN_SPACE_SBUF) trn_lazy_touch(it, &plans[i].src_box);
      if (plans[i].dst_space == TRN_SPACE_SBUF) {
        /* a destination of distinct elements as many as its box holds is its box */
        const trn_dma_plan_t *p = &plans[i];
        const trn_rt_extent_t *b = &p->dst_box;
        uint64_t area = (b->p_hi - b->p_lo) * (b->hi - b->lo);
        if (side_injective(p->desc->num, p->desc->dst_step) && p->bytes == area)
          trn_lazy_drop(it, b);
        else
          trn_lazy_touch(it, b);
      }
      if (!independent) {
        plan_copy(&plans[i], 0, plans[i].units);
        continue;
      }
      plans[kept++] = plans[i];
      bytes += plans[i].bytes;
    }
    if (!independent) return NULL;
    nplans = kept;
  }
  /* with deferred loads, the block above copied everything unless the descriptors
   * are independent (a subset of independent ones is too) */
  if (bytes >= TRN_DMA_SPLIT_BYTES && trn_pool_threads(it->pool) > 1 &&
      (it->lazy || plans_independent(plans, nplans))) {
    dma_job_t job;
    job.plans = plans;
    size_t n = dma_pieces(plans, nplans, bytes, job.pieces);
    if (n > 1) {
      if (bytes >= TRN_DMA_SPLIT_WAKE) trn_pool_run(it->pool, n, dma_part, &job);
      else trn_pool_run_awake(it->pool, n, dma_part, &job);
      return NULL;
    }
  }
  for (size_t i = 0; i < nplans; i++) plan_copy(&plans[i], 0, plans[i].units);
  return NULL;
}
