/* Row access of on-chip access patterns and element conversions for the interpreter. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

trn_status_t trn_interp_trap(uint32_t stream, size_t index, const trn_inst_t *inst,
                             const char *fmt, ...) {
  char reason[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(reason, sizeof reason, fmt, ap);
  va_end(ap);
  char sname[16];
  const trn_opinfo_t *info = inst ? trn_isa_opinfo(inst->opcode) : NULL;
  return trn_status_make(TRN_ERR_EXEC, "stream %s, instruction %zu (%s): %s",
                         trn_isa_stream_name(stream, sname, sizeof sname), index,
                         info ? info->mnemonic : "?", reason);
}

trn_status_t trn_interp_ap_check(const trn_interp_t *it, uint32_t stream, size_t index,
                                 const trn_inst_t *inst, const trn_ap_t *ap, const char *what,
                                 uint8_t **out_base, uint64_t *out_partition_bytes) {
  const trn_target_t *t = it->target;
  uint64_t pbytes;
  uint8_t *base;
  if (ap->space == TRN_SPACE_SBUF) {
    base = it->sbuf;
    pbytes = t->sbuf_partition_bytes;
  } else if (ap->space == TRN_SPACE_PSUM) {
    base = it->psum;
    pbytes = t->psum_partition_bytes;
  } else {
    return trn_interp_trap(stream, index, inst, "%s: operand must be in sbuf or psum, not %s",
                           what, trn_isa_space_name((trn_space_t)ap->space));
  }
  size_t esize = trn_isa_dtype_size((trn_dtype_t)ap->dtype);
  if (esize == 0)
    return trn_interp_trap(stream, index, inst, "%s: invalid dtype %u", what, ap->dtype);
  if (ap->num_partitions == 0 || (uint32_t)ap->start_partition + ap->num_partitions > t->partitions)
    return trn_interp_trap(stream, index, inst, "%s: partitions [%u, %u) outside [0, %u)", what,
                           ap->start_partition, ap->start_partition + ap->num_partitions,
                           t->partitions);
  int64_t lo = 0, hi = 0;
  uint64_t elems = 1;
  for (int d = 0; d < TRN_AP_DIMS; d++) {
    if (ap->num[d] == 0)
      return trn_interp_trap(stream, index, inst, "%s: num[%d] is 0", what, d);
    int64_t ext = (int64_t)(ap->num[d] - 1) * ap->step[d];
    if (ext < 0) lo += ext; else hi += ext;
    elems *= ap->num[d];
  }
  if (elems > TRN_INTERP_MAX_FREE)
    return trn_interp_trap(stream, index, inst, "%s: %llu free elements exceed the limit %u",
                           what, (unsigned long long)elems, TRN_INTERP_MAX_FREE);
  int64_t blo = (int64_t)ap->offset + lo * (int64_t)esize;
  int64_t bhi = (int64_t)ap->offset + (hi + 1) * (int64_t)esize;
  if (blo < 0 || bhi > (int64_t)pbytes)
    return trn_interp_trap(stream, index, inst,
                           "%s: bytes [%lld, %lld) outside the %s partition [0, %llu)", what,
                           (long long)blo, (long long)bhi,
                           trn_isa_space_name((trn_space_t)ap->space), (unsigned long long)pbytes);
  *out_base = base;
  *out_partition_bytes = pbytes;
  return NULL;
}

static trn_status_t scratch_at(trn_interp_t *it, unsigned thread, int slot, uint64_t count,
                               void **out) {
  if (count == 0) count = 1;
  if (it->scratch_cap[thread][slot] < count) {
    size_t cap = it->scratch_cap[thread][slot] ? it->scratch_cap[thread][slot] : 1024;
    while (cap < count) cap *= 2;
    void *p = realloc(it->scratch[thread][slot], cap * 4);
    if (!p) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "interpreter scratch of %zu bytes", cap * 4);
    it->scratch[thread][slot] = p;
    it->scratch_cap[thread][slot] = cap;
  }
  *out = it->scratch[thread][slot];
  return NULL;
}

trn_status_t trn_interp_scratch(trn_interp_t *it, int slot, uint64_t count, void **out) {
  return scratch_at(it, 0, slot, count, out);
}

trn_status_t trn_interp_scratch_all(trn_interp_t *it, int slot, uint64_t count,
                                    void *out[TRN_POOL_MAX_THREADS]) {
  unsigned n = trn_pool_threads(it->pool);
  for (unsigned t = 0; t < n; t++) TRN_RETURN_IF_ERROR(scratch_at(it, t, slot, count, &out[t]));
  return NULL;
}

size_t trn_interp_split_parts(uint64_t rows, uint64_t row_work) {
  if (rows < 2 || row_work == 0) return 1;
  uint64_t total = rows > UINT64_MAX / row_work ? UINT64_MAX : rows * row_work;
  if (total < TRN_INTERP_SPLIT_MIN) return 1;
  uint64_t parts = total / TRN_INTERP_SPLIT_CHUNK;
  if (parts > rows) parts = rows;
  if (parts > TRN_INTERP_SPLIT_PARTS) parts = TRN_INTERP_SPLIT_PARTS;
  return parts < 2 ? 1 : (size_t)parts;
}

typedef struct rows_job_t {
  trn_interp_rows_fn_t fn;
  void *ctx;
  uint32_t rows;
  size_t parts;
} rows_job_t;

static void rows_part(void *ctx, size_t part, unsigned thread) {
  const rows_job_t *j = ctx;
  uint32_t lo = (uint32_t)((uint64_t)j->rows * part / j->parts);
  uint32_t hi = (uint32_t)((uint64_t)j->rows * (part + 1) / j->parts);
  j->fn(j->ctx, lo, hi, thread);
}

void trn_interp_rows_run(trn_interp_t *it, uint32_t rows, uint64_t row_work,
                         trn_interp_rows_fn_t fn, void *ctx) {
  size_t parts = trn_pool_threads(it->pool) > 1 ? trn_interp_split_parts(rows, row_work) : 1;
  if (parts < 2) {
    fn(ctx, 0, rows, 0);
    return;
  }
  rows_job_t job = {fn, ctx, rows, parts};
  uint64_t total = (uint64_t)rows * row_work;
  if (total >= TRN_INTERP_SPLIT_WAKE) trn_pool_run(it->pool, parts, rows_part, &job);
  else trn_pool_run_awake(it->pool, parts, rows_part, &job);
}

typedef struct copy_rows_t {
  uint8_t *dst;
  const uint8_t *src;
  size_t dstride, sstride, bytes;
} copy_rows_t;

static void copy_rows_part(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  (void)thread;
  const copy_rows_t *c = ctx;
  for (uint32_t r = lo; r < hi; r++)
    memcpy(c->dst + r * c->dstride, c->src + r * c->sstride, c->bytes);
}

void trn_interp_copy_rows(trn_interp_t *it, uint8_t *dst, size_t dstride, const uint8_t *src,
                          size_t sstride, uint32_t rows, size_t bytes) {
  copy_rows_t c = {dst, src, dstride, sstride, bytes};
  trn_interp_rows_run(it, rows, bytes / 4, copy_rows_part, &c);
}

/* Round to nearest even and saturate to [lo, hi]; NaN -> 0 (as trn_isa_store_f32,
 * independent of the host rounding mode). */
static int32_t f32_to_int_sat(float x, int32_t lo, int32_t hi) {
  if (isnan(x)) return 0;
  double v = (double)x;
  if (v <= (double)lo) return lo;
  if (v >= (double)hi) return hi;
  double fl = floor(v);
  double diff = v - fl;
  int64_t i = (int64_t)fl;
  if (diff > 0.5 || (diff == 0.5 && (i & 1))) ++i;
  return (int32_t)i;
}

int32_t trn_interp_f32_to_i32(float v) { return f32_to_int_sat(v, INT32_MIN, INT32_MAX); }

static inline float bf16_to_f32(uint16_t h) {
  uint32_t b = (uint32_t)h << 16;
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static inline int32_t sat_i8(int32_t v) { return v < -128 ? -128 : v > 127 ? 127 : v; }
static inline int32_t sat_u8(int32_t v) { return v < 0 ? 0 : v > 255 ? 255 : v; }

/* Loops over the elements of partition p of an AP in flattened free order; BODY sees
 * `q` (element address) and `f` (flattened index). The AP's fields are read once into
 * locals: stores through `out` may alias them as far as the compiler knows. */
#define ROW_LOOP(ESIZE, BODY)                                                         \
  do {                                                                                \
    uint8_t *row_ = base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset; \
    size_t f = 0;                                                                     \
    const int64_t s0_ = (int64_t)ap->step[0] * (ESIZE);                               \
    const int64_t s1_ = (int64_t)ap->step[1] * (ESIZE), s2_ = (int64_t)ap->step[2] * (ESIZE); \
    const uint32_t n0_ = ap->num[0], n1_ = ap->num[1], n2_ = ap->num[2];              \
    for (uint32_t i2 = 0; i2 < n2_; i2++)                                             \
      for (uint32_t i1 = 0; i1 < n1_; i1++) {                                         \
        uint8_t *q = row_ + (int64_t)i1 * s1_ + (int64_t)i2 * s2_;                    \
        for (uint32_t i0 = 0; i0 < n0_; i0++, f++, q += s0_) { BODY; }               \
      }                                                                               \
  } while (0)

/* Below this many bytes a run is copied inline: a call to memcpy costs more than the
 * copy for the short rows of small conv windows (7 or 14 fp32). */
#define TRN_INTERP_SHORT_RUN 256

/* Copies `bytes` (a multiple of 4) from src to dst, which do not overlap. */
static inline void copy_run4(uint8_t *restrict dst, const uint8_t *restrict src, size_t bytes) {
  if (bytes >= TRN_INTERP_SHORT_RUN) {
    memcpy(dst, src, bytes);
    return;
  }
  size_t i = 0;
  for (; i + 16 <= bytes; i += 16) memcpy(dst + i, src + i, 16);
  for (; i < bytes; i += 4) memcpy(dst + i, src + i, 4);
}

/* Gathers the 4-byte elements of partition p of an AP with innermost step 2 (a
 * stride-2 conv window) into `buf` (flattened order); the fixed step lets the compiler
 * vectorize the inner loop. */
static void gather_step2_4(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                           uint8_t *restrict buf) {
  const uint8_t *row = base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset;
  const int64_t s1 = (int64_t)ap->step[1] * 4, s2 = (int64_t)ap->step[2] * 4;
  const uint32_t n0 = ap->num[0], n1 = ap->num[1], n2 = ap->num[2];
  for (uint32_t i2 = 0; i2 < n2; i2++)
    for (uint32_t i1 = 0; i1 < n1; i1++, buf += (size_t)n0 * 4) {
      const uint8_t *restrict q = row + (int64_t)i1 * s1 + (int64_t)i2 * s2;
      for (uint32_t i0 = 0; i0 < n0; i0++) memcpy(buf + (size_t)i0 * 4, q + (size_t)i0 * 8, 4);
    }
}

/* Copies the 4-byte elements of partition p of an AP with a unit innermost step to or
 * from `buf` (flattened order), one run of num[0] elements at a time. */
#define ROW_RUNS4(TO_BUF)                                                             \
  do {                                                                                \
    uint8_t *row_ = base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset; \
    const int64_t s1_ = (int64_t)ap->step[1] * 4, s2_ = (int64_t)ap->step[2] * 4;     \
    const uint32_t n1_ = ap->num[1], n2_ = ap->num[2];                                \
    const size_t run_ = (size_t)ap->num[0] * 4;                                       \
    uint8_t *b_ = (uint8_t *)(buf);                                                   \
    for (uint32_t i2 = 0; i2 < n2_; i2++)                                             \
      for (uint32_t i1 = 0; i1 < n1_; i1++, b_ += run_) {                             \
        uint8_t *q = row_ + (int64_t)i1 * s1_ + (int64_t)i2 * s2_;                    \
        if (TO_BUF) copy_run4(b_, q, run_);                                           \
        else copy_run4(q, b_, run_);                                                  \
      }                                                                               \
  } while (0)


void trn_interp_load_row_f32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                             float *out) {
  switch ((trn_dtype_t)ap->dtype) {
  case TRN_DTYPE_FP32:
    if (trn_interp_ap_dense(ap)) { /* one run: one memcpy */
      memcpy(out, base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset,
             (size_t)trn_isa_ap_free_elems(ap) * 4);
      return;
    }
    if (ap->step[0] == 1) {
      float *buf = out;
      ROW_RUNS4(true);
      return;
    }
    if (ap->step[0] == 2) {
      gather_step2_4(ap, base, pbytes, p, (uint8_t *)out);
      return;
    }
    ROW_LOOP(4, memcpy(&out[f], q, 4));
    break;
  case TRN_DTYPE_BF16:
    ROW_LOOP(2, { uint16_t h; memcpy(&h, q, 2); out[f] = bf16_to_f32(h); });
    break;
  case TRN_DTYPE_FP16:
    ROW_LOOP(2, { uint16_t h; memcpy(&h, q, 2); out[f] = trn_isa_f16_to_f32(h); });
    break;
  case TRN_DTYPE_INT32:
    ROW_LOOP(4, { int32_t v; memcpy(&v, q, 4); out[f] = (float)v; });
    break;
  case TRN_DTYPE_INT8:
    ROW_LOOP(1, out[f] = (float)(int8_t)*q);
    break;
  case TRN_DTYPE_UINT8:
    ROW_LOOP(1, out[f] = (float)*q);
    break;
  default:
    break;
  }
}

void trn_interp_store_row_f32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                              const float *in) {
  switch ((trn_dtype_t)ap->dtype) {
  case TRN_DTYPE_FP32:
    if (trn_interp_ap_dense(ap)) { /* one run: one memcpy */
      memcpy(base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset, in,
             (size_t)trn_isa_ap_free_elems(ap) * 4);
      return;
    }
    if (ap->step[0] == 1) {
      const float *buf = in;
      ROW_RUNS4(false);
      return;
    }
    ROW_LOOP(4, memcpy(q, &in[f], 4));
    break;
  case TRN_DTYPE_BF16:
    ROW_LOOP(2, { uint16_t h = trn_isa_f32_to_bf16(in[f]); memcpy(q, &h, 2); });
    break;
  case TRN_DTYPE_FP16:
    ROW_LOOP(2, { uint16_t h = trn_isa_f32_to_f16(in[f]); memcpy(q, &h, 2); });
    break;
  case TRN_DTYPE_INT32:
    ROW_LOOP(4, { int32_t v = trn_interp_f32_to_i32(in[f]); memcpy(q, &v, 4); });
    break;
  case TRN_DTYPE_INT8:
    ROW_LOOP(1, *q = (uint8_t)(int8_t)f32_to_int_sat(in[f], -128, 127));
    break;
  case TRN_DTYPE_UINT8:
    ROW_LOOP(1, *q = (uint8_t)f32_to_int_sat(in[f], 0, 255));
    break;
  default:
    break;
  }
}

void trn_interp_load_row_i32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                             int32_t *out) {
  switch ((trn_dtype_t)ap->dtype) {
  case TRN_DTYPE_INT32:
    if (trn_interp_ap_dense(ap)) { /* one run: one memcpy */
      memcpy(out, base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset,
             (size_t)trn_isa_ap_free_elems(ap) * 4);
      return;
    }
    ROW_LOOP(4, memcpy(&out[f], q, 4));
    break;
  case TRN_DTYPE_INT8:
    ROW_LOOP(1, out[f] = (int8_t)*q);
    break;
  case TRN_DTYPE_UINT8:
    ROW_LOOP(1, out[f] = *q);
    break;
  case TRN_DTYPE_FP32:
    ROW_LOOP(4, { float v; memcpy(&v, q, 4); out[f] = trn_interp_f32_to_i32(v); });
    break;
  case TRN_DTYPE_BF16:
    ROW_LOOP(2, { uint16_t h; memcpy(&h, q, 2); out[f] = trn_interp_f32_to_i32(bf16_to_f32(h)); });
    break;
  case TRN_DTYPE_FP16:
    ROW_LOOP(2, { uint16_t h; memcpy(&h, q, 2); out[f] = trn_interp_f32_to_i32(trn_isa_f16_to_f32(h)); });
    break;
  default:
    break;
  }
}

void trn_interp_store_row_i32(const trn_ap_t *ap, uint8_t *base, uint64_t pbytes, uint32_t p,
                              const int32_t *in) {
  switch ((trn_dtype_t)ap->dtype) {
  case TRN_DTYPE_INT32:
    if (trn_interp_ap_dense(ap)) { /* one run: one memcpy */
      memcpy(base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset, in,
             (size_t)trn_isa_ap_free_elems(ap) * 4);
      return;
    }
    ROW_LOOP(4, memcpy(q, &in[f], 4));
    break;
  case TRN_DTYPE_INT8:
    ROW_LOOP(1, *q = (uint8_t)(int8_t)sat_i8(in[f]));
    break;
  case TRN_DTYPE_UINT8:
    ROW_LOOP(1, *q = (uint8_t)sat_u8(in[f]));
    break;
  case TRN_DTYPE_FP32:
    ROW_LOOP(4, { float v = (float)in[f]; memcpy(q, &v, 4); });
    break;
  case TRN_DTYPE_BF16:
    ROW_LOOP(2, { uint16_t h = trn_isa_f32_to_bf16((float)in[f]); memcpy(q, &h, 2); });
    break;
  case TRN_DTYPE_FP16:
    ROW_LOOP(2, { uint16_t h = trn_isa_f32_to_f16((float)in[f]); memcpy(q, &h, 2); });
    break;
  default:
    break;
  }
}

void trn_interp_convert(const uint8_t *src, trn_dtype_t sd, uint8_t *dst, trn_dtype_t dd) {
  if (sd == dd) {
    memcpy(dst, src, trn_isa_dtype_size(sd));
    return;
  }
  if (trn_interp_dtype_is_int(sd) && trn_interp_dtype_is_int(dd)) {
    int32_t v = 0;
    if (sd == TRN_DTYPE_INT32) memcpy(&v, src, 4);
    else if (sd == TRN_DTYPE_INT8) v = (int8_t)src[0];
    else v = src[0];
    if (dd == TRN_DTYPE_INT32) memcpy(dst, &v, 4);
    else if (dd == TRN_DTYPE_INT8) dst[0] = (uint8_t)(int8_t)sat_i8(v);
    else dst[0] = (uint8_t)sat_u8(v);
    return;
  }
  float v;
  switch (sd) {
  case TRN_DTYPE_FP32: memcpy(&v, src, 4); break;
  case TRN_DTYPE_BF16: { uint16_t h; memcpy(&h, src, 2); v = bf16_to_f32(h); break; }
  case TRN_DTYPE_FP16: { uint16_t h; memcpy(&h, src, 2); v = trn_isa_f16_to_f32(h); break; }
  case TRN_DTYPE_INT32: { int32_t i; memcpy(&i, src, 4); v = (float)i; break; }
  case TRN_DTYPE_INT8: v = (float)(int8_t)src[0]; break;
  case TRN_DTYPE_UINT8: v = (float)src[0]; break;
  default: return;
  }
  switch (dd) {
  case TRN_DTYPE_FP32: memcpy(dst, &v, 4); break;
  case TRN_DTYPE_BF16: { uint16_t h = trn_isa_f32_to_bf16(v); memcpy(dst, &h, 2); break; }
  case TRN_DTYPE_FP16: { uint16_t h = trn_isa_f32_to_f16(v); memcpy(dst, &h, 2); break; }
  case TRN_DTYPE_INT32: { int32_t i = trn_interp_f32_to_i32(v); memcpy(dst, &i, 4); break; }
  case TRN_DTYPE_INT8:
    dst[0] = (uint8_t)(int8_t)f32_to_int_sat(v, -128, 127);
    break;
  case TRN_DTYPE_UINT8:
    dst[0] = (uint8_t)f32_to_int_sat(v, 0, 255);
    break;
  default: break;
  }
}
