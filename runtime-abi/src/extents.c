/* What a run of a model can write, from its instructions and descriptors alone: the
 * bounding box of every write footprint per run memory. trn_rt_model_run clears only
 * that of the previous run's memories (everything outside it was zero after the
 * first allocation and nothing wrote it since).
 *
 * Writers: the dst AP of every non-DMA instruction (SBUF or PSUM; ACTIVATE's accum
 * column and PARTITION_REDUCE's row lie inside it) and the destination side of the
 * descriptors of every DMA instruction (HBM, SBUF or PSUM). All instructions count,
 * run or not, and a footprint that is malformed (the executor traps on it before
 * writing) widens the box to the whole memory: the box over-approximates, never
 * misses. The interpreter uses the boxes of single instructions too (exec_matmul.c), and
 * the boxes of the operands an instruction reads (trn_rt_inst_read_extents)
 * for its deferred loads (lazy.c). */
#include <string.h>

#include "internal.h"

static void extent_all(trn_rt_extent_t *e, uint64_t parts, uint64_t row_bytes) {
  e->p_lo = 0;
  e->p_hi = parts;
  e->lo = 0;
  e->hi = row_bytes;
}

/* Adds partitions [p_lo, p_hi) x bytes [lo, hi) to e, or the whole memory when the
 * range leaves it. */
static void extent_add(trn_rt_extent_t *e, int64_t p_lo, int64_t p_hi, int64_t lo, int64_t hi,
                       uint64_t parts, uint64_t row_bytes) {
  if (p_lo >= p_hi || lo >= hi) return;
  if (p_lo < 0 || (uint64_t)p_hi > parts || lo < 0 || (uint64_t)hi > row_bytes) {
    extent_all(e, parts, row_bytes);
    return;
  }
  trn_rt_extent_t box = {(uint64_t)p_lo, (uint64_t)p_hi, (uint64_t)lo, (uint64_t)hi};
  trn_rt_extent_union(e, &box);
}

void trn_rt_extent_union(trn_rt_extent_t *into, const trn_rt_extent_t *e) {
  if (e->lo >= e->hi || e->p_lo >= e->p_hi) return;
  if (into->lo >= into->hi || into->p_lo >= into->p_hi) {
    *into = *e;
    return;
  }
  if (e->p_lo < into->p_lo) into->p_lo = e->p_lo;
  if (e->p_hi > into->p_hi) into->p_hi = e->p_hi;
  if (e->lo < into->lo) into->lo = e->lo;
  if (e->hi > into->hi) into->hi = e->hi;
}

bool trn_rt_extent_meets(const trn_rt_extent_t *a, const trn_rt_extent_t *b) {
  return a->p_lo < a->p_hi && a->lo < a->hi && b->p_lo < b->p_hi && b->lo < b->hi &&
         a->p_lo < b->p_hi && b->p_lo < a->p_hi && a->lo < b->hi && b->lo < a->hi;
}

/* Adds (num - 1) * step to the lower or upper bound; false on overflow. */
static bool span_add(int64_t *lo, int64_t *hi, uint64_t num, int64_t step) {
  if (num <= 1 || step == 0) return true;
  int64_t ext;
  if (num - 1 > (uint64_t)INT64_MAX || __builtin_mul_overflow((int64_t)(num - 1), step, &ext))
    return false;
  return ext < 0 ? !__builtin_add_overflow(*lo, ext, lo) : !__builtin_add_overflow(*hi, ext, hi);
}

/* The box of one side of descriptor d (the destination if `dst`) in *box and its run
 * memory in *m (0 HBM image, 1 SBUF, 2 PSUM): the whole memory when the footprint is
 * malformed or leaves it. False when the side is in no run memory or moves no
 * elements. */
static bool desc_side(const trn_dma_desc_t *d, bool dst, const uint64_t parts[3],
                      const uint64_t rows[3], int *m, trn_rt_extent_t *box) {
  uint8_t space = dst ? d->dst_space : d->src_space;
  uint64_t addr = dst ? d->dst_addr : d->src_addr;
  const int64_t *step = dst ? d->dst_step : d->src_step;
  *m = space == TRN_SPACE_HBM ? 0 : space == TRN_SPACE_SBUF ? 1 : space == TRN_SPACE_PSUM ? 2 : -1;
  if (*m < 0) return false;
  for (int k = 0; k < TRN_DMA_DIMS; k++)
    if (d->num[k] == 0) return false; /* no elements */
  int64_t es = (int64_t)trn_isa_dtype_size((trn_dtype_t)(dst ? d->dst_dtype : d->src_dtype));
  uint64_t rb = rows[*m];
  extent_all(box, parts[*m], rb);
  if (es == 0 || rb == 0 || addr > (uint64_t)INT64_MAX / 4) return true;
  /* dims stepping by whole rows move across partitions, the others within one */
  int64_t p0 = (int64_t)(addr / rb), p_lo = p0, p_hi = p0 + 1;
  int64_t lo = (int64_t)(addr % rb), hi = lo + es;
  for (int k = 0; k < TRN_DMA_DIMS; k++) {
    int64_t sb;
    if (__builtin_mul_overflow(step[k], es, &sb)) return true;
    bool ok = *m != 0 && sb % (int64_t)rb == 0 ? span_add(&p_lo, &p_hi, d->num[k], sb / (int64_t)rb)
                                              : span_add(&lo, &hi, d->num[k], sb);
    if (!ok) return true;
  }
  if (p_lo < 0 || (uint64_t)p_hi > parts[*m] || lo < 0 || (uint64_t)hi > rb) return true;
  *box = (trn_rt_extent_t){(uint64_t)p_lo, (uint64_t)p_hi, (uint64_t)lo, (uint64_t)hi};
  return true;
}

/* Adds the destination of descriptor d to out. */
static void desc_write(const trn_dma_desc_t *d, const uint64_t parts[3], const uint64_t rows[3],
                       trn_rt_extent_t out[3]) {
  int m;
  trn_rt_extent_t box;
  if (desc_side(d, true, parts, rows, &m, &box)) trn_rt_extent_union(&out[m], &box);
}

bool trn_rt_desc_side_extent(const trn_rt_model_t *model, const trn_dma_desc_t *d, bool dst,
                             trn_rt_extent_t *out) {
  const trn_target_t *t = model->target;
  const uint64_t parts[3] = {1, t->partitions, t->partitions};
  const uint64_t rows[3] = {model->hbm_size, t->sbuf_partition_bytes, t->psum_partition_bytes};
  int m;
  *out = (trn_rt_extent_t){0, 0, 0, 0};
  return desc_side(d, dst, parts, rows, &m, out);
}

void trn_rt_desc_write_extents(const trn_rt_model_t *model, const trn_dma_desc_t *d,
                               trn_rt_extent_t out[3]) {
  const trn_target_t *t = model->target;
  const uint64_t parts[3] = {1, t->partitions, t->partitions};
  const uint64_t rows[3] = {model->hbm_size, t->sbuf_partition_bytes, t->psum_partition_bytes};
  desc_write(d, parts, rows, out);
}

void trn_rt_inst_write_extents(const trn_rt_model_t *model, const trn_inst_t *in,
                               trn_rt_extent_t out[3]) {
  const trn_target_t *t = model->target;
  const uint64_t parts[3] = {1, t->partitions, t->partitions};
  const uint64_t rows[3] = {model->hbm_size, t->sbuf_partition_bytes, t->psum_partition_bytes};
  const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
  if (in->opcode == TRN_OP_DMA) {
    uint64_t first = in->aux, count = in->imm[0];
    if (first > model->dma_count || count > model->dma_count - first) return; /* traps */
    for (uint64_t i = first; i < first + count; i++) desc_write(&model->dma[i], parts, rows, out);
    return;
  }
  if (info && info->format == TRN_FMT_NONE) return;
  int m;
  trn_rt_extent_t box;
  if (trn_rt_ap_extent(model, &in->dst, &m, &box)) trn_rt_extent_union(&out[m], &box);
}

bool trn_rt_ap_extent(const trn_rt_model_t *model, const trn_ap_t *ap, int *out_m,
                      trn_rt_extent_t *out) {
  const trn_target_t *t = model->target;
  const uint64_t parts[3] = {1, t->partitions, t->partitions};
  const uint64_t rows[3] = {model->hbm_size, t->sbuf_partition_bytes, t->psum_partition_bytes};
  int m = ap->space == TRN_SPACE_SBUF ? 1 : ap->space == TRN_SPACE_PSUM ? 2 : -1;
  *out_m = m;
  *out = (trn_rt_extent_t){0, 0, 0, 0};
  if (m < 0) return false; /* not accessed: the executor traps on it */
  int64_t es = (int64_t)trn_isa_dtype_size((trn_dtype_t)ap->dtype);
  if (es == 0) {
    extent_all(out, parts[m], rows[m]);
    return true;
  }
  int64_t lo = ap->offset, hi = ap->offset + es;
  for (int k = 0; k < TRN_AP_DIMS; k++) {
    if (ap->num[k] == 0) return false; /* no elements */
    if (!span_add(&lo, &hi, ap->num[k], (int64_t)ap->step[k] * es)) {
      extent_all(out, parts[m], rows[m]);
      return true;
    }
  }
  if (ap->num_partitions == 0) return false;
  extent_add(out, ap->start_partition, (int64_t)ap->start_partition + ap->num_partitions, lo, hi,
             parts[m], rows[m]);
  return true;
}

size_t trn_rt_inst_read_extents(const trn_rt_model_t *model, const trn_inst_t *in, int m[2],
                                trn_rt_extent_t box[2]) {
  const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
  int format = info ? (int)info->format : -1;
  if (format == TRN_FMT_NONE || format == TRN_FMT_DMA) return 0;
  /* the operands read, as the race detector (race.c) counts them; unknown formats all */
  bool src0 = format != TRN_FMT_T1;
  bool src1 = format < 0 || format == TRN_FMT_T3 || format == TRN_FMT_MATMUL ||
              format == TRN_FMT_TS || format == TRN_FMT_ACT;
  const trn_ap_t *aps[2] = {src0 ? &in->src0 : NULL, src1 ? &in->src1 : NULL};
  size_t n = 0;
  for (int i = 0; i < 2; i++)
    if (aps[i] && trn_rt_ap_extent(model, aps[i], &m[n], &box[n])) n++;
  return n;
}

void trn_rt_model_write_extents(const trn_rt_model_t *model, trn_rt_extent_t out[3]) {
  memset(out, 0, 3 * sizeof *out);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++)
    for (size_t i = 0; model->streams[s] && i < model->stream_length[s]; i++)
      trn_rt_inst_write_extents(model, &model->streams[s][i], out);
}

void trn_rt_extent_clear(const trn_rt_extent_t *e, uint8_t *mem, uint64_t row_bytes) {
  if (e->lo >= e->hi || e->p_lo >= e->p_hi) return;
  if (e->lo == 0 && e->hi == row_bytes) {
    memset(mem + e->p_lo * row_bytes, 0, (size_t)((e->p_hi - e->p_lo) * row_bytes));
    return;
  }
  for (uint64_t p = e->p_lo; p < e->p_hi; p++)
    memset(mem + p * row_bytes + e->lo, 0, (size_t)(e->hi - e->lo));
}
