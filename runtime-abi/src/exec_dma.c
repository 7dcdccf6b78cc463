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
    int64_t lo = 0, hi = 0;
    if (!side_range(desc->src_addr, desc->src_step, desc->num, ses, ss, &lo, &hi))
      TRAP("descriptor %llu: source bytes [%lld, %lld) outside %s of %llu bytes",
           (unsigned long long)di, (long long)lo, (long long)hi,
           trn_isa_space_name((trn_space_t)desc->src_space), (unsigned long long)ss);
    if (!side_range(desc->dst_addr, desc->dst_step, desc->num, des, ds, &lo, &hi))
      TRAP("descriptor %llu: destination bytes [%lld, %lld) outside %s of %llu bytes",
           (unsigned long long)di, (long long)lo, (long long)hi,
           trn_isa_space_name((trn_space_t)desc->dst_space), (unsigned long long)ds);
    const trn_dtype_t sd = (trn_dtype_t)desc->src_dtype, dd = (trn_dtype_t)desc->dst_dtype;
    const bool same = sd == dd;
    const bool runs = same && desc->src_step[0] == 1 && desc->dst_step[0] == 1;
    const int64_t ss0 = desc->src_step[0] * (int64_t)ses, ds0 = desc->dst_step[0] * (int64_t)des;
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
            /* element by element; a fixed-size memcpy compiles to one load and store */
            uint32_t n0 = desc->num[0];
            switch (ses) {
            case 4:
              for (uint32_t i0 = 0; i0 < n0; i0++, s += ss0, t += ds0) memcpy(t, s, 4);
              break;
            case 2:
              for (uint32_t i0 = 0; i0 < n0; i0++, s += ss0, t += ds0) memcpy(t, s, 2);
              break;
            case 1:
              for (uint32_t i0 = 0; i0 < n0; i0++, s += ss0, t += ds0) *t = *s;
              break;
            default:
              for (uint32_t i0 = 0; i0 < n0; i0++, s += ss0, t += ds0) memmove(t, s, ses);
            }
          } else {
            for (uint32_t i0 = 0; i0 < desc->num[0]; i0++, s += ss0, t += ds0)
              trn_interp_convert(s, sd, t, dd);
          }
        }
    uint64_t moved = elems > UINT64_MAX / des ? UINT64_MAX : elems * des;
    bytes += moved;
    if (desc->src_space == TRN_SPACE_HBM || desc->dst_space == TRN_SPACE_HBM) hbm_bytes += moved;
  }
  it->last_dma_bytes = bytes;
  it->last_dma_hbm_bytes = hbm_bytes;
  return NULL;
}
