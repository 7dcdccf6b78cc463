/* Strict mode: a race detector over SBUF/PSUM built on vector clocks.
 *
 * Algorithm:
 *  1. Every stream s has a vector clock vc[s]; starting an instruction increments
 *     vc[s][s], so an instruction is named by (stream, epoch) with epoch = index + 1.
 *  2. A signal stores the signaller's clock in the semaphore, in time order. A wait
 *     satisfied by count >= v joins the clocks of the first v signals: as with C11
 *     release sequences, reading the value written by the v-th increment orders the
 *     waiter after every earlier increment of that semaphore.
 *  3. Each instruction's SBUF/PSUM accesses are footprints: a set of partitions (a
 *     128-bit mask) times a strided byte pattern within a partition (DMA descriptors
 *     are factored into that form; one that cannot be is widened to whole rows).
 *  4. An access conflicts with a recorded access of another stream s when at least
 *     one writes, they overlap, and the record is not ordered before it
 *     (epoch > vc[t][s]). Overlap is exact: partition masks, then byte spans, then
 *     (for patterns with holes) a bitmap of the overlapping window.
 *  5. Records every unfinished stream is ordered after can never race again and are
 *     dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

#define NS TRN_MAX_STREAMS
#define FP_DIMS 4

typedef struct fp_t {
  uint64_t mask[2];         /* partitions */
  int64_t off;              /* byte offset of element 0 within a partition */
  int64_t lo, hi;           /* byte span [lo, hi) within a partition */
  uint32_t num[FP_DIMS];
  int64_t stride[FP_DIMS];  /* bytes */
  uint8_t ndims, esize, space, write, dense;
} fp_t;

typedef struct rec_t {
  fp_t fp;
  uint32_t epoch;
  uint8_t opcode;
} rec_t;

typedef struct reclist_t {
  rec_t *v;
  size_t head, n, cap;
} reclist_t;

typedef struct semclk_t {
  uint32_t *raw, *prefix; /* n clocks of NS entries each */
  size_t n, cap;
} semclk_t;

struct trn_race_t {
  const trn_target_t *target;
  uint32_t vc[NS][NS];
  bool done[NS];
  reclist_t recs[NS];
  semclk_t sems[256];
  uint8_t *bitmap;
  size_t bitmap_bytes;
  fp_t *cur;
  size_t ncur, cur_cap;
  uint64_t since_gc;
};

trn_status_t trn_race_create(const trn_target_t *target, trn_race_t **out_race) {
  *out_race = NULL;
  trn_race_t *r = calloc(1, sizeof *r);
  if (!r) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "race detector");
  r->target = target;
  uint64_t pb = target->sbuf_partition_bytes > target->psum_partition_bytes
                    ? target->sbuf_partition_bytes
                    : target->psum_partition_bytes;
  r->bitmap_bytes = (size_t)(pb / 8 + 1);
  r->bitmap = calloc(1, r->bitmap_bytes);
  if (!r->bitmap) {
    free(r);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "race detector bitmap");
  }
  *out_race = r;
  return NULL;
}

void trn_race_destroy(trn_race_t *r) {
  if (!r) return;
  for (int s = 0; s < NS; s++) free(r->recs[s].v);
  for (int i = 0; i < 256; i++) {
    free(r->sems[i].raw);
    free(r->sems[i].prefix);
  }
  free(r->bitmap);
  free(r->cur);
  free(r);
}

static void vc_join(uint32_t *dst, const uint32_t *src) {
  for (int i = 0; i < NS; i++)
    if (src[i] > dst[i]) dst[i] = src[i];
}

void trn_race_wait(trn_race_t *r, uint32_t stream, uint32_t sem, size_t count) {
  if (sem >= 256 || count == 0 || count > r->sems[sem].n) return;
  vc_join(r->vc[stream], r->sems[sem].prefix + (count - 1) * NS);
}

void trn_race_begin(trn_race_t *r, uint32_t stream) { r->vc[stream][stream]++; }

trn_status_t trn_race_signal(trn_race_t *r, uint32_t stream, uint32_t sem, size_t pos) {
  if (sem >= 256) return NULL;
  semclk_t *sc = &r->sems[sem];
  if (sc->n == sc->cap) {
    size_t cap = sc->cap ? sc->cap * 2 : 16;
    uint32_t *raw = realloc(sc->raw, cap * NS * sizeof *raw);
    if (!raw) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "race detector semaphore clocks");
    sc->raw = raw;
    uint32_t *prefix = realloc(sc->prefix, cap * NS * sizeof *prefix);
    if (!prefix) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "race detector semaphore clocks");
    sc->prefix = prefix;
    sc->cap = cap;
  }
  if (pos > sc->n) pos = sc->n;
  memmove(sc->raw + (pos + 1) * NS, sc->raw + pos * NS, (sc->n - pos) * NS * sizeof(uint32_t));
  memcpy(sc->raw + pos * NS, r->vc[stream], NS * sizeof(uint32_t));
  sc->n++;
  for (size_t i = pos; i < sc->n; i++) {
    uint32_t *p = sc->prefix + i * NS;
    memcpy(p, sc->raw + i * NS, NS * sizeof(uint32_t));
    if (i > 0) vc_join(p, p - NS);
  }
  return NULL;
}

void trn_race_stream_done(trn_race_t *r, uint32_t stream) {
  if (stream < NS) r->done[stream] = true;
}

/* ---- footprints ------------------------------------------------------------------ */

static void fp_finish(fp_t *f) {
  int64_t lo = 0, hi = 0;
  for (int d = 0; d < f->ndims; d++) {
    int64_t ext = (int64_t)(f->num[d] - 1) * f->stride[d];
    if (ext < 0) lo += ext; else hi += ext;
  }
  f->lo = f->off + lo;
  f->hi = f->off + hi + f->esize;
  /* Dense when the dims, by increasing |stride|, never leave a hole. */
  int order[FP_DIMS];
  for (int d = 0; d < f->ndims; d++) order[d] = d;
  for (int i = 1; i < f->ndims; i++)
    for (int j = i; j > 0; j--) {
      int64_t a = f->stride[order[j - 1]], b = f->stride[order[j]];
      if ((a < 0 ? -a : a) > (b < 0 ? -b : b)) {
        int t = order[j - 1];
        order[j - 1] = order[j];
        order[j] = t;
      } else {
        break;
      }
    }
  int64_t cover = f->esize;
  f->dense = 1;
  for (int i = 0; i < f->ndims; i++) {
    int64_t s = f->stride[order[i]];
    if (s < 0) s = -s;
    if (s > cover) {
      f->dense = 0;
      break;
    }
    cover += (int64_t)(f->num[order[i]] - 1) * s;
  }
}

static void fp_add_dim(fp_t *f, uint32_t num, int64_t stride) {
  if (num <= 1 || stride == 0) return;
  f->num[f->ndims] = num;
  f->stride[f->ndims] = stride;
  f->ndims++;
}

static void mask_set(uint64_t *mask, uint32_t p) {
  if (p < 128) mask[p / 64] |= (uint64_t)1 << (p % 64);
}

static trn_status_t cur_push(trn_race_t *r, const fp_t *f) {
  if (r->ncur == r->cur_cap) {
    size_t cap = r->cur_cap ? r->cur_cap * 2 : 8;
    fp_t *v = realloc(r->cur, cap * sizeof *v);
    if (!v) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "race detector footprints");
    r->cur = v;
    r->cur_cap = cap;
  }
  r->cur[r->ncur++] = *f;
  return NULL;
}

/* Footprint of an on-chip AP (skipped when malformed: the executor traps on it). */
static trn_status_t fp_from_ap(trn_race_t *r, const trn_ap_t *ap, bool write) {
  if (ap->space != TRN_SPACE_SBUF && ap->space != TRN_SPACE_PSUM) return NULL;
  size_t es = trn_isa_dtype_size((trn_dtype_t)ap->dtype);
  if (!es || (uint32_t)ap->start_partition + ap->num_partitions > 128) return NULL;
  fp_t f;
  memset(&f, 0, sizeof f);
  for (uint32_t p = 0; p < ap->num_partitions; p++) mask_set(f.mask, ap->start_partition + p);
  f.off = ap->offset;
  f.esize = (uint8_t)es;
  f.space = ap->space;
  f.write = write;
  for (int d = 0; d < TRN_AP_DIMS; d++) {
    if (ap->num[d] == 0) return NULL;
    fp_add_dim(&f, ap->num[d], (int64_t)ap->step[d] * (int64_t)es);
  }
  fp_finish(&f);
  const trn_target_t *t = r->target;
  int64_t pb = ap->space == TRN_SPACE_SBUF ? t->sbuf_partition_bytes : t->psum_partition_bytes;
  if (f.lo < 0 || f.hi > pb) return NULL;
  return cur_push(r, &f);
}

/* Footprint of one on-chip side of a DMA descriptor (flat addresses). */
static trn_status_t fp_from_dma(trn_race_t *r, uint8_t space, uint8_t dtype, uint64_t addr,
                                const uint32_t *num, const int64_t *step, bool write) {
  if (space != TRN_SPACE_SBUF && space != TRN_SPACE_PSUM) return NULL;
  size_t es = trn_isa_dtype_size((trn_dtype_t)dtype);
  if (!es) return NULL;
  for (int d = 0; d < TRN_DMA_DIMS; d++)
    if (num[d] == 0) return NULL;
  const trn_target_t *t = r->target;
  int64_t pb = space == TRN_SPACE_SBUF ? t->sbuf_partition_bytes : t->psum_partition_bytes;
  fp_t f;
  memset(&f, 0, sizeof f);
  f.esize = (uint8_t)es;
  f.space = space;
  f.write = write;
  f.off = (int64_t)(addr % (uint64_t)pb);
  int64_t p0 = (int64_t)(addr / (uint64_t)pb);
  uint32_t pnum[TRN_DMA_DIMS];
  int64_t pstep[TRN_DMA_DIMS];
  int np = 0;
  uint64_t combos = 1;
  bool ok = true;
  for (int d = 0; d < TRN_DMA_DIMS; d++) {
    if (num[d] <= 1 || step[d] == 0) continue;
    int64_t sb = step[d] * (int64_t)es;
    if (sb % pb == 0) {
      pnum[np] = num[d];
      pstep[np] = sb / pb;
      combos *= num[d];
      np++;
    } else {
      fp_add_dim(&f, num[d], sb);
    }
  }
  fp_finish(&f);
  if (f.lo < 0 || f.hi > pb || combos > ((uint64_t)1 << 20)) ok = false;
  if (ok) {
    uint32_t idx[TRN_DMA_DIMS] = {0};
    for (uint64_t c = 0; c < combos; c++) {
      int64_t p = p0;
      for (int d = 0; d < np; d++) p += (int64_t)idx[d] * pstep[d];
      if (p < 0 || p >= 128) {
        ok = false;
        break;
      }
      mask_set(f.mask, (uint32_t)p);
      for (int d = 0; d < np; d++) {
        if (++idx[d] < pnum[d]) break;
        idx[d] = 0;
      }
    }
  }
  if (!ok) { /* conservative: whole rows of every partition the flat range touches */
    int64_t lo = 0, hi = 0;
    for (int d = 0; d < TRN_DMA_DIMS; d++) {
      int64_t ext = (int64_t)(num[d] - 1) * step[d] * (int64_t)es;
      if (ext < 0) lo += ext; else hi += ext;
    }
    int64_t flo = (int64_t)addr + lo, fhi = (int64_t)addr + hi + (int64_t)es;
    memset(&f, 0, sizeof f);
    f.esize = 1;
    f.space = space;
    f.write = write;
    if (flo < 0) flo = 0;
    for (int64_t p = flo / pb; p <= (fhi - 1) / pb && p < 128; p++) mask_set(f.mask, (uint32_t)p);
    f.off = 0;
    fp_add_dim(&f, (uint32_t)pb, 1);
    fp_finish(&f);
  }
  return cur_push(r, &f);
}

/* Calls mark(byte offset) for every element byte range of f clipped to [lo, hi). */
static void fp_bitmap_mark(const fp_t *f, uint8_t *bm, int64_t lo, int64_t hi) {
  uint32_t n[FP_DIMS] = {1, 1, 1, 1};
  int64_t s[FP_DIMS] = {0, 0, 0, 0};
  for (int d = 0; d < f->ndims; d++) {
    n[d] = f->num[d];
    s[d] = f->stride[d];
  }
  for (uint32_t a = 0; a < n[3]; a++)
    for (uint32_t b = 0; b < n[2]; b++)
      for (uint32_t c = 0; c < n[1]; c++) {
        int64_t o = f->off + a * s[3] + b * s[2] + c * s[1];
        for (uint32_t e = 0; e < n[0]; e++, o += s[0])
          for (int64_t x = o; x < o + f->esize; x++)
            if (x >= lo && x < hi) bm[(x - lo) >> 3] |= (uint8_t)(1u << ((x - lo) & 7));
      }
}

/* First and last byte of f within [lo, hi) that is set in bm (or any, if bm NULL). */
static bool fp_bitmap_test(const fp_t *f, const uint8_t *bm, int64_t lo, int64_t hi,
                           int64_t *first, int64_t *last) {
  uint32_t n[FP_DIMS] = {1, 1, 1, 1};
  int64_t s[FP_DIMS] = {0, 0, 0, 0};
  for (int d = 0; d < f->ndims; d++) {
    n[d] = f->num[d];
    s[d] = f->stride[d];
  }
  bool hit = false;
  for (uint32_t a = 0; a < n[3]; a++)
    for (uint32_t b = 0; b < n[2]; b++)
      for (uint32_t c = 0; c < n[1]; c++) {
        int64_t o = f->off + a * s[3] + b * s[2] + c * s[1];
        for (uint32_t e = 0; e < n[0]; e++, o += s[0])
          for (int64_t x = o; x < o + f->esize; x++)
            if (x >= lo && x < hi &&
                (!bm || (bm[(x - lo) >> 3] & (1u << ((x - lo) & 7))))) {
              if (!hit || x < *first) *first = x;
              if (!hit || x > *last) *last = x;
              hit = true;
            }
      }
  return hit;
}

/* Exact overlap of two footprints; reports the first common partition and the byte
 * range [lo, hi) of the overlap in it. */
static bool fp_overlap(trn_race_t *r, const fp_t *a, const fp_t *b, uint32_t *out_p,
                       int64_t *out_lo, int64_t *out_hi) {
  if (a->space != b->space) return false;
  uint64_t m0 = a->mask[0] & b->mask[0], m1 = a->mask[1] & b->mask[1];
  if (!m0 && !m1) return false;
  int64_t lo = a->lo > b->lo ? a->lo : b->lo, hi = a->hi < b->hi ? a->hi : b->hi;
  if (lo >= hi) return false;
  int64_t first = lo, last = hi - 1;
  if (a->dense && b->dense) {
    /* spans overlap: the whole window */
  } else if (a->dense || b->dense) {
    const fp_t *holes = a->dense ? b : a;
    if (!fp_bitmap_test(holes, NULL, lo, hi, &first, &last)) return false;
  } else {
    if (hi - lo > (int64_t)r->bitmap_bytes * 8) hi = lo + (int64_t)r->bitmap_bytes * 8;
    size_t bytes = (size_t)((hi - lo + 7) / 8);
    memset(r->bitmap, 0, bytes);
    fp_bitmap_mark(a, r->bitmap, lo, hi);
    if (!fp_bitmap_test(b, r->bitmap, lo, hi, &first, &last)) return false;
  }
  uint32_t p = 0;
  if (m0) {
    while (!(m0 & 1)) { m0 >>= 1; p++; }
  } else {
    p = 64;
    while (!(m1 & 1)) { m1 >>= 1; p++; }
  }
  *out_p = p;
  *out_lo = first;
  *out_hi = last + 1;
  return true;
}

static trn_status_t build_footprints(trn_race_t *r, const trn_rt_model_t *model,
                                     const trn_inst_t *inst) {
  r->ncur = 0;
  const trn_opinfo_t *info = trn_isa_opinfo(inst->opcode);
  if (!info) return NULL;
  switch (info->format) {
  case TRN_FMT_NONE: return NULL;
  case TRN_FMT_DMA: {
    uint64_t first = inst->aux, count = inst->imm[0];
    if (first > model->dma_count || count > model->dma_count - first) return NULL;
    for (uint64_t i = first; i < first + count; i++) {
      const trn_dma_desc_t *d = &model->dma[i];
      TRN_RETURN_IF_ERROR(fp_from_dma(r, d->src_space, d->src_dtype, d->src_addr, d->num,
                                      d->src_step, false));
      TRN_RETURN_IF_ERROR(fp_from_dma(r, d->dst_space, d->dst_dtype, d->dst_addr, d->num,
                                      d->dst_step, true));
    }
    return NULL;
  }
  default: break;
  }
  TRN_RETURN_IF_ERROR(fp_from_ap(r, &inst->dst, true));
  if (info->format != TRN_FMT_T1) TRN_RETURN_IF_ERROR(fp_from_ap(r, &inst->src0, false));
  if (info->format == TRN_FMT_T3 || info->format == TRN_FMT_MATMUL ||
      info->format == TRN_FMT_TS || info->format == TRN_FMT_ACT)
    TRN_RETURN_IF_ERROR(fp_from_ap(r, &inst->src1, false));
  return NULL;
}

static void gc(trn_race_t *r) {
  for (int s = 0; s < NS; s++) {
    reclist_t *l = &r->recs[s];
    if (l->n == l->head) {
      l->n = l->head = 0;
      continue;
    }
    uint32_t bound = UINT32_MAX;
    for (int t = 0; t < NS; t++)
      if (t != s && !r->done[t] && r->vc[t][s] < bound) bound = r->vc[t][s];
    while (l->head < l->n && l->v[l->head].epoch <= bound) l->head++;
    if (l->head > 0 && l->head * 2 >= l->n) {
      memmove(l->v, l->v + l->head, (l->n - l->head) * sizeof *l->v);
      l->n -= l->head;
      l->head = 0;
    }
  }
}

trn_status_t trn_race_access(trn_race_t *r, const trn_rt_model_t *model, uint32_t stream,
                             size_t index, const trn_inst_t *inst) {
  TRN_RETURN_IF_ERROR(build_footprints(r, model, inst));
  const uint32_t *myvc = r->vc[stream];
  for (size_t k = 0; k < r->ncur; k++) {
    const fp_t *f = &r->cur[k];
    for (uint32_t s = 0; s < NS; s++) {
      if (s == stream) continue;
      reclist_t *l = &r->recs[s];
      /* first record not ordered before us: epoch > myvc[s] */
      size_t lo = l->head, hi = l->n;
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (l->v[mid].epoch <= myvc[s]) lo = mid + 1;
        else hi = mid;
      }
      for (size_t i = lo; i < l->n; i++) {
        const rec_t *rec = &l->v[i];
        if (!rec->fp.write && !f->write) continue;
        uint32_t p;
        int64_t blo, bhi;
        if (!fp_overlap(r, f, &rec->fp, &p, &blo, &bhi)) continue;
        char s1[16], s2[16];
        const trn_opinfo_t *i1 = trn_isa_opinfo(inst->opcode), *i2 = trn_isa_opinfo(rec->opcode);
        return trn_status_make(
            TRN_ERR_RACE,
            "data race on %s partition %u bytes [0x%llx, 0x%llx): stream %s, instruction %zu "
            "(%s) %s it while stream %s, instruction %u (%s) %s it, and no semaphore orders "
            "them",
            trn_isa_space_name((trn_space_t)f->space), p, (unsigned long long)blo,
            (unsigned long long)bhi, trn_isa_stream_name(stream, s1, sizeof s1), index,
            i1 ? i1->mnemonic : "?", f->write ? "writes" : "reads",
            trn_isa_stream_name(s, s2, sizeof s2), rec->epoch - 1, i2 ? i2->mnemonic : "?",
            rec->fp.write ? "writes" : "reads");
      }
    }
  }
  reclist_t *l = &r->recs[stream];
  for (size_t k = 0; k < r->ncur; k++) {
    if (l->n == l->cap) {
      size_t cap = l->cap ? l->cap * 2 : 64;
      rec_t *v = realloc(l->v, cap * sizeof *v);
      if (!v) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "race detector records");
      l->v = v;
      l->cap = cap;
    }
    l->v[l->n].fp = r->cur[k];
    l->v[l->n].epoch = myvc[stream];
    l->v[l->n].opcode = inst->opcode;
    l->n++;
  }
  if (++r->since_gc >= 64) {
    r->since_gc = 0;
    gc(r);
  }
  return NULL;
}
