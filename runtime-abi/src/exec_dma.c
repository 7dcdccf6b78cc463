/* DMA queues: run a list of strided descriptors with dtype conversion. */
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

/* Byte range [lo, hi) one side of a descriptor touches; false if it leaves [0, size). */
static bool side_range(uint64_t addr, const int64_t *step, const uint32_t *num, size_t es,
                       uint64_t size, int64_t *out_lo, int64_t *out_hi) {
  int64_t lo = 0, hi = 0;
  *out_lo = *out_hi = 0;
  for (int d = 0; d < TRN_DMA_DIMS; d++) {
    if (num[d] == 0) continue;
    /* |step| * num is bounded by the checks below only if it does not overflow. */
    if (step[d] > ((int64_t)1 << 40) || step[d] < -((int64_t)1 << 40)) return false;
    int64_t ext = (int64_t)(num[d] - 1) * step[d];
    if (ext < 0) lo += ext; else hi += ext;
  }
  if (addr > ((uint64_t)1 << 62)) return false;
  int64_t blo = (int64_t)addr + lo * (int64_t)es, bhi = (int64_t)addr + (hi + 1) * (int64_t)es;
  *out_lo = blo;
  *out_hi = bhi;
  return blo >= 0 && (uint64_t)bhi <= size;
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
 * are disjoint. */
static void copy_tiled(uint8_t *t, const int64_t *ds, const uint8_t *s, const int64_t *ss,
                       const uint32_t *num, int k, size_t es) {
  int o[2], no = 0;
  for (int d = 1; d < TRN_DMA_DIMS; d++)
    if (d != k) o[no++] = d;
  for (uint32_t a = 0; a < num[o[0]]; a++)
    for (uint32_t b = 0; b < num[o[1]]; b++) {
      const uint8_t *sa = s + (int64_t)a * ss[o[0]] + (int64_t)b * ss[o[1]];
      uint8_t *ta = t + (int64_t)a * ds[o[0]] + (int64_t)b * ds[o[1]];
      for (uint32_t kb = 0; kb < num[k]; kb += TRN_DMA_TILE) {
        uint32_t ke = num[k] - kb < TRN_DMA_TILE ? num[k] : kb + TRN_DMA_TILE;
        for (uint32_t ib = 0; ib < num[0]; ib += TRN_DMA_TILE) {
          uint32_t n = num[0] - ib < TRN_DMA_TILE ? num[0] - ib : TRN_DMA_TILE;
          for (uint32_t kk = kb; kk < ke; kk++)
            copy_elems(ta + (int64_t)kk * ds[k] + (int64_t)ib * ds[0], ds[0],
                       sa + (int64_t)kk * ss[k] + (int64_t)ib * ss[0], ss[0], n, es);
        }
      }
    }
}

trn_status_t trn_interp_exec_dma(trn_interp_t *it, uint32_t stream, size_t index,
                                 const trn_inst_t *inst) {
  const trn_rt_model_t *model = it->model;
  uint64_t first = inst->aux, count = inst->imm[0];
  if (first > model->dma_count || count > model->dma_count - first)
    TRAP("descriptors [%llu, %llu) outside the table of %zu", (unsigned long long)first,
         (unsigned long long)(first + count), model->dma_count);
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
    const trn_dtype_t sd = (trn_dtype_t)desc->src_dtype, dd = (trn_dtype_t)desc->dst_dtype;
    const bool same = sd == dd;
    const bool runs = same && desc->src_step[0] == 1 && desc->dst_step[0] == 1;
    const int64_t ss0 = desc->src_step[0] * (int64_t)ses, ds0 = desc->dst_step[0] * (int64_t)des;
    if (same && !runs) {
      int64_t sst[TRN_DMA_DIMS], dst[TRN_DMA_DIMS];
      for (int d = 0; d < TRN_DMA_DIMS; d++) {
        sst[d] = desc->src_step[d] * (int64_t)ses;
        dst[d] = desc->dst_step[d] * (int64_t)des;
      }
      bool disjoint = sb != db || shi <= lo || hi <= slo;
      int k = disjoint ? tile_dim(desc->num, sst, dst, ses) : 0;
      if (k) {
        copy_tiled(db + desc->dst_addr, dst, sb + desc->src_addr, sst, desc->num, k, ses);
        goto account;
      }
    }
    for (uint32_t i3 = 0; i3 < desc->num[3]; i3++)
      for (uint32_t i2 = 0; i2 < desc->num[2]; i2++)
        for (uint32_t i1 = 0; i1 < desc->num[1]; i1++) {
          uint8_t *s = sb + desc->src_addr +
                       ((int64_t)i1 * desc->src_step[1] + (int64_t)i2 * desc->src_step[2] +
                        (int64_t)i3 * desc->src_step[3]) * (int64_t)ses;
          uint8_t *t = db + desc->dst_addr +
                       ((int64_t)i1 * desc->dst_step[1] + (int64_t)i2 * desc->dst_step[2] +
                        (int64_t)i3 * desc->dst_step[3]) * (int64_t)des;
          if (runs) {
            memmove(t, s, (size_t)desc->num[0] * ses);
          } else if (same) {
            copy_elems(t, ds0, s, ss0, desc->num[0], ses);
          } else {
            for (uint32_t i0 = 0; i0 < desc->num[0]; i0++, s += ss0, t += ds0)
              trn_interp_convert(s, sd, t, dd);
          }
        }
  account:;
    uint64_t moved = elems > UINT64_MAX / des ? UINT64_MAX : elems * des;
    bytes += moved;
    if (desc->src_space == TRN_SPACE_HBM || desc->dst_space == TRN_SPACE_HBM) hbm_bytes += moved;
  }
  it->last_dma_bytes = bytes;
  it->last_dma_hbm_bytes = hbm_bytes;
  return NULL;
}
