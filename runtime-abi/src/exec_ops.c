/* Functional semantics of the ACT, DVE and POOL instructions (and the dispatch of
 * every opcode). Each operation loads whole partition rows into fp32 or int32
 * scratch buffers, computes, and stores back, so that an instruction whose dst
 * overlaps a source reads every source element before writing. Integer operands
 * (i32, i8, u8 everywhere an op says so) compute in int32, everything else in fp32. */
#include <math.h>
#include <string.h>

#include "interp_internal.h"

static inline float imm_f32(uint32_t bits) {
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

/* ---- ALU ------------------------------------------------------------------------- */

static inline float py_mod_f(float a, float b) {
  float r = fmodf(a, b);
  if (r != 0.0f && ((r < 0.0f) != (b < 0.0f))) r += b;
  return r;
}

static inline float alu_f(uint8_t op, float a, float b) {
  switch ((trn_alu_t)op) {
  case TRN_ALU_BYPASS: return a;
  case TRN_ALU_ADD: return a + b;
  case TRN_ALU_SUB: return a - b;
  case TRN_ALU_MUL: return a * b;
  case TRN_ALU_DIV: return a / b;
  case TRN_ALU_MAX: return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b);
  case TRN_ALU_MIN: return (isnan(a) || isnan(b)) ? NAN : (a < b ? a : b);
  case TRN_ALU_POW: return powf(a, b);
  case TRN_ALU_RSUB: return b - a;
  case TRN_ALU_RDIV: return b / a;
  case TRN_ALU_MOD: return py_mod_f(a, b);
  case TRN_ALU_FMOD: return fmodf(a, b);
  case TRN_ALU_ABSDIFF: return fabsf(a - b);
  case TRN_ALU_EQ: return a == b ? 1.0f : 0.0f;
  case TRN_ALU_NE: return a != b ? 1.0f : 0.0f;
  case TRN_ALU_LT: return a < b ? 1.0f : 0.0f;
  case TRN_ALU_LE: return a <= b ? 1.0f : 0.0f;
  case TRN_ALU_GT: return a > b ? 1.0f : 0.0f;
  case TRN_ALU_GE: return a >= b ? 1.0f : 0.0f;
  case TRN_ALU_AND: return (a != 0.0f && b != 0.0f) ? 1.0f : 0.0f;
  case TRN_ALU_OR: return (a != 0.0f || b != 0.0f) ? 1.0f : 0.0f;
  case TRN_ALU_XOR: return ((a != 0.0f) != (b != 0.0f)) ? 1.0f : 0.0f;
  /* Bitwise ops on fp32 operands: the operands are converted to int32 (nearest
   * even, saturating), combined, and the int32 result converted back. */
  case TRN_ALU_BITAND: return (float)(trn_interp_f32_to_i32(a) & trn_interp_f32_to_i32(b));
  case TRN_ALU_BITOR: return (float)(trn_interp_f32_to_i32(a) | trn_interp_f32_to_i32(b));
  case TRN_ALU_BITXOR: return (float)(trn_interp_f32_to_i32(a) ^ trn_interp_f32_to_i32(b));
  case TRN_ALU_SHL:
    return (float)(int32_t)((uint32_t)trn_interp_f32_to_i32(a) << (trn_interp_f32_to_i32(b) & 31));
  case TRN_ALU_SHR: {
    int32_t x = trn_interp_f32_to_i32(a);
    int n = trn_interp_f32_to_i32(b) & 31;
    return (float)(x < 0 ? ~(~x >> n) : x >> n);
  }
  }
  return NAN;
}

static inline int32_t ipow(int32_t a, int32_t b) {
  if (b < 0) return a == 1 ? 1 : a == -1 ? ((b & 1) ? -1 : 1) : 0;
  uint32_t r = 1, x = (uint32_t)a;
  while (b) {
    if (b & 1) r *= x;
    x *= x;
    b >>= 1;
  }
  return (int32_t)r;
}

static inline int32_t alu_i(uint8_t op, int32_t a, int32_t b) {
  switch ((trn_alu_t)op) {
  case TRN_ALU_BYPASS: return a;
  case TRN_ALU_ADD: return (int32_t)((uint32_t)a + (uint32_t)b);
  case TRN_ALU_SUB: return (int32_t)((uint32_t)a - (uint32_t)b);
  case TRN_ALU_MUL: return (int32_t)((uint32_t)a * (uint32_t)b);
  case TRN_ALU_RDIV: { int32_t t = a; a = b; b = t; }
    /* fallthrough */
  case TRN_ALU_DIV:
    if (b == 0) return 0;
    if (a == INT32_MIN && b == -1) return INT32_MIN;
    return a / b;
  case TRN_ALU_MAX: return a > b ? a : b;
  case TRN_ALU_MIN: return a < b ? a : b;
  case TRN_ALU_POW: return ipow(a, b);
  case TRN_ALU_RSUB: return (int32_t)((uint32_t)b - (uint32_t)a);
  case TRN_ALU_MOD: {
    if (b == 0 || b == -1) return 0;
    int32_t r = a % b;
    if (r != 0 && ((r < 0) != (b < 0))) r += b;
    return r;
  }
  case TRN_ALU_FMOD: return (b == 0 || b == -1) ? 0 : a % b;
  case TRN_ALU_ABSDIFF:
    return (int32_t)(a > b ? (uint32_t)a - (uint32_t)b : (uint32_t)b - (uint32_t)a);
  case TRN_ALU_EQ: return a == b;
  case TRN_ALU_NE: return a != b;
  case TRN_ALU_LT: return a < b;
  case TRN_ALU_LE: return a <= b;
  case TRN_ALU_GT: return a > b;
  case TRN_ALU_GE: return a >= b;
  case TRN_ALU_AND: return a != 0 && b != 0;
  case TRN_ALU_OR: return a != 0 || b != 0;
  case TRN_ALU_XOR: return (a != 0) != (b != 0);
  case TRN_ALU_BITAND: return a & b;
  case TRN_ALU_BITOR: return a | b;
  case TRN_ALU_BITXOR: return a ^ b;
  case TRN_ALU_SHL: return (int32_t)((uint32_t)a << (b & 31));
  case TRN_ALU_SHR: { int n = b & 31; return a < 0 ? ~(~a >> n) : a >> n; }
  }
  return 0;
}

static bool alu_valid(uint8_t op) { return trn_isa_alu_name(op) != NULL; }

/* out[i] = op(a[i*sa], b[i*sb]) with sa, sb in {0, 1}; the common ops get loops the
 * compiler vectorizes (both unit-stride, or a scalar second operand). */
static void alu_vec_f(uint8_t op, const float *a, size_t sa, const float *b, size_t sb,
                      float *out, size_t n) {
#define TRN_VLOOP(EXPR)                                                   \
  do {                                                                    \
    if (sa == 1 && sb == 1) {                                             \
      for (size_t i = 0; i < n; i++) {                                    \
        float x = a[i], y = b[i];                                         \
        out[i] = (EXPR);                                                  \
      }                                                                   \
    } else if (sa == 1 && sb == 0) {                                      \
      const float y = b[0];                                               \
      for (size_t i = 0; i < n; i++) {                                    \
        float x = a[i];                                                   \
        out[i] = (EXPR);                                                  \
      }                                                                   \
    } else {                                                              \
      for (size_t i = 0; i < n; i++) {                                    \
        float x = a[i * sa], y = b[i * sb];                               \
        out[i] = (EXPR);                                                  \
      }                                                                   \
    }                                                                     \
  } while (0);                                                            \
  return
  switch ((trn_alu_t)op) {
  case TRN_ALU_ADD: TRN_VLOOP(x + y);
  case TRN_ALU_SUB: TRN_VLOOP(x - y);
  case TRN_ALU_MUL: TRN_VLOOP(x * y);
  case TRN_ALU_DIV: TRN_VLOOP(x / y);
  case TRN_ALU_BYPASS: TRN_VLOOP(((void)y, x));
  default: TRN_VLOOP(alu_f(op, x, y));
  }
#undef TRN_VLOOP
}

static void alu_vec_i(uint8_t op, const int32_t *a, size_t sa, const int32_t *b, size_t sb,
                      int32_t *out, size_t n) {
  for (size_t i = 0; i < n; i++) out[i] = alu_i(op, a[i * sa], b[i * sb]);
}

/* ---- activation functions ------------------------------------------------------- */

static inline float act_f(uint8_t fn, float x) {
  switch ((trn_act_t)fn) {
  case TRN_ACT_COPY: return x;
  case TRN_ACT_EXP: return expf(x);
  case TRN_ACT_LOG: return logf(x);
  case TRN_ACT_TANH: return tanhf(x);
  case TRN_ACT_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case TRN_ACT_RELU: return isnan(x) ? x : (x > 0.0f ? x : 0.0f);
  case TRN_ACT_GELU: return x * (1.0f + erff(x * 0.70710678118654752f)) * 0.5f;
  case TRN_ACT_GELU_TANH:
    return x * (1.0f + tanhf(0.79788456080286536f * (x + 0.044715f * x * x * x))) * 0.5f;
  case TRN_ACT_ERF: return erff(x);
  case TRN_ACT_SILU: return x / (1.0f + expf(-x));
  case TRN_ACT_SOFTPLUS: return (x > 0.0f ? x : 0.0f) + log1pf(expf(-fabsf(x)));
  case TRN_ACT_SQRT: return sqrtf(x);
  case TRN_ACT_RSQRT: return 1.0f / sqrtf(x);
  case TRN_ACT_RECIPROCAL: return 1.0f / x;
  case TRN_ACT_SQUARE: return x * x;
  case TRN_ACT_ABS: return fabsf(x);
  case TRN_ACT_SIGN: return isnan(x) ? x : x > 0.0f ? 1.0f : x < 0.0f ? -1.0f : 0.0f;
  case TRN_ACT_SIN: return sinf(x);
  case TRN_ACT_COS: return cosf(x);
  }
  return NAN;
}

/* ---- operand helpers ---------------------------------------------------------------- */

typedef struct operand_t {
  const trn_ap_t *ap;
  uint8_t *base;
  uint64_t pbytes;
  uint64_t free;
} operand_t;

#define CHECK_AP(opnd, field, name)                                                          \
  do {                                                                                      \
    (opnd).ap = &inst->field;                                                                \
    TRN_RETURN_IF_ERROR(trn_interp_ap_check(it, stream, index, inst, &inst->field, name,     \
                                            &(opnd).base, &(opnd).pbytes));                 \
    (opnd).free = trn_isa_ap_free_elems(&inst->field);                                      \
  } while (0)

#define TRAP(...) return trn_interp_trap(stream, index, inst, __VA_ARGS__)

#define SAME_PARTS(x, y, xn, yn)                                                       \
  do {                                                                                \
    if ((x).ap->num_partitions != (y).ap->num_partitions)                             \
      TRAP("%s partitions %u != %s partitions %u", xn, (x).ap->num_partitions, yn,    \
           (y).ap->num_partitions);                                                   \
  } while (0)
/* dst, src0 and src1 checked, with the same partitions and free sizes. */
#define CHECK_ELEMENTWISE3(d, a, b)        \
  do {                                     \
    CHECK_AP(d, dst, "dst");               \
    CHECK_AP(a, src0, "src0");             \
    CHECK_AP(b, src1, "src1");             \
    SAME_PARTS(d, a, "dst", "src0");       \
    SAME_PARTS(d, b, "dst", "src1");       \
    SAME_FREE(d, a, "dst", "src0");        \
    SAME_FREE(d, b, "dst", "src1");        \
  } while (0)
#define SAME_FREE(x, y, xn, yn)                                                        \
  do {                                                                                \
    if ((x).free != (y).free)                                                         \
      TRAP("%s free size %llu != %s free size %llu", xn, (unsigned long long)(x).free, \
           yn, (unsigned long long)(y).free);                                         \
  } while (0)

/* Loads / stores one row in the chosen domain. */
static void load_row(const operand_t *o, uint32_t p, void *buf, bool as_int) {
  if (as_int) trn_interp_load_row_i32(o->ap, o->base, o->pbytes, p, (int32_t *)buf);
  else trn_interp_load_row_f32(o->ap, o->base, o->pbytes, p, (float *)buf);
}
static void store_row(const operand_t *o, uint32_t p, const void *buf, bool as_int) {
  if (as_int) trn_interp_store_row_i32(o->ap, o->base, o->pbytes, p, (const int32_t *)buf);
  else trn_interp_store_row_f32(o->ap, o->base, o->pbytes, p, (const float *)buf);
}

/* Row p of an fp32 operand whose free elements are one contiguous, 4-byte aligned run
 * (the common case), for computing in place of the row buffers; NULL otherwise. */
static float *row_f32(const operand_t *o, uint32_t p) {
  const trn_ap_t *ap = o->ap;
  if (ap->dtype != TRN_DTYPE_FP32 || !trn_interp_ap_dense(ap) || (ap->offset | o->pbytes) % 4 != 0)
    return NULL;
  return (float *)(o->base + (uint64_t)(ap->start_partition + p) * o->pbytes + ap->offset);
}

/* True if rows x and y of n elements are the same or share no byte: an elementwise
 * loop reading x[i] and writing y[i] then computes what the row buffers would. */
static bool rows_separate(const float *x, const float *y, size_t n) {
  uintptr_t a = (uintptr_t)x, b = (uintptr_t)y, len = (uintptr_t)n * 4;
  return a == b || a + len <= b || b + len <= a;
}

/* Element f (flattened) of partition p, as fp32 / int32. */
static uint8_t *elem_addr(const operand_t *o, uint32_t p, uint64_t f) {
  const trn_ap_t *ap = o->ap;
  uint64_t i0 = f % ap->num[0], r = f / ap->num[0];
  uint64_t i1 = r % ap->num[1], i2 = r / ap->num[1];
  int64_t e = (int64_t)i0 * ap->step[0] + (int64_t)i1 * ap->step[1] + (int64_t)i2 * ap->step[2];
  return o->base + (uint64_t)(ap->start_partition + p) * o->pbytes + ap->offset +
         e * (int64_t)trn_isa_dtype_size((trn_dtype_t)ap->dtype);
}
static float elem_f32(const operand_t *o, uint32_t p, uint64_t f) {
  float v;
  trn_interp_convert(elem_addr(o, p, f), (trn_dtype_t)o->ap->dtype, (uint8_t *)&v, TRN_DTYPE_FP32);
  return v;
}
static int32_t elem_i32(const operand_t *o, uint32_t p, uint64_t f) {
  uint8_t *a = elem_addr(o, p, f);
  switch ((trn_dtype_t)o->ap->dtype) {
  case TRN_DTYPE_INT32: { int32_t v; memcpy(&v, a, 4); return v; }
  case TRN_DTYPE_INT8: return (int8_t)a[0];
  case TRN_DTYPE_UINT8: return a[0];
  default: return trn_interp_f32_to_i32(elem_f32(o, p, f));
  }
}

/* Whether the rows (partitions) of dst `d` may be computed in any order and at once
 * when row p reads row p of `src`: another memory, the same partitions, or disjoint
 * partitions (then no row writes a partition another row reads). */
static bool rows_independent(const operand_t *d, const operand_t *src) {
  if (!src->ap || src->ap->space != d->ap->space) return true;
  uint32_t ds = d->ap->start_partition, ss = src->ap->start_partition;
  return ds == ss || ds + d->ap->num_partitions <= ss || ss + src->ap->num_partitions <= ds;
}

/* Runs rows [0, rows of d) of an elementwise instruction: split over the pool
 * (trn_interp_rows_run) when every source passes rows_independent, else in order. */
static void run_rows(trn_interp_t *it, const operand_t *d, const operand_t *s0,
                     const operand_t *s1, uint64_t row_work, trn_interp_rows_fn_t fn, void *ctx) {
  uint32_t rows = d->ap->num_partitions;
  if (rows_independent(d, s0) && (!s1 || rows_independent(d, s1)))
    trn_interp_rows_run(it, rows, row_work, fn, ctx);
  else
    fn(ctx, 0, rows, 0);
}

/* ---- ACT ------------------------------------------------------------------------- */

typedef struct act_job_t {
  operand_t d, a, b;
  bool has_b, accum;
  uint64_t col;
  float scale, bias0;
  uint8_t fn;
  void *x[TRN_POOL_MAX_THREADS], *y[TRN_POOL_MAX_THREADS];
} act_job_t;

static void act_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  const act_job_t *j = ctx;
  const operand_t *dd = &j->d, *aa = &j->a;
  float *x = j->x[thread], *y = j->y[thread];
  const float scale = j->scale;
  const uint8_t fn = j->fn;
  const bool accum = j->accum;
  const uint64_t col = j->col;
  const size_t n = (size_t)aa->free;
  for (uint32_t p = lo; p < hi; p++) {
    /* fp32 rows are read and written where they are when that is unobservable */
    const float *xs = row_f32(aa, p);
    float *direct = accum ? NULL : row_f32(dd, p);
    if (direct && xs && !rows_separate(xs, direct, n)) direct = NULL;
    if (!xs) {
      trn_interp_load_row_f32(aa->ap, aa->base, aa->pbytes, p, x);
      xs = x;
    }
    float bias = j->bias0;
    if (j->has_b) bias += elem_f32(&j->b, p, 0);
    float *out = direct ? direct : y;
    switch (fn) {
    case TRN_ACT_COPY:
      for (size_t i = 0; i < n; i++) out[i] = xs[i] * scale + bias;
      break;
    case TRN_ACT_EXP:
      for (size_t i = 0; i < n; i++) out[i] = expf(xs[i] * scale + bias);
      break;
    case TRN_ACT_RELU: /* the common eviction: act_f's rule, in a loop that vectorizes */
      for (size_t i = 0; i < n; i++) {
        float v = xs[i] * scale + bias;
        out[i] = v != v ? v : (v > 0.0f ? v : 0.0f);
      }
      break;
    default:
      for (size_t i = 0; i < n; i++) out[i] = act_f(fn, xs[i] * scale + bias);
      break;
    }
    if (accum) {
      float s = 0.0f;
      for (size_t i = 0; i < n; i++) s += out[i];
      if (dd->free > n && col != n) /* dst column F exists but is not the sum's: keep it */
        y[n] = elem_f32(dd, p, n);
      y[col] = s;
    }
    if (!direct) trn_interp_store_row_f32(dd->ap, dd->base, dd->pbytes, p, y);
  }
}

/* ACTIVATE. With flag ACCUM (ISA.md 5.2), dst is P x F or P x (F+1): the F results
 * go to dst columns 0..F-1 (flattened free index), then s = the sum over f of the
 * fp32 results (before rounding to the dst dtype; fp32 accumulation in order of f) is
 * written to dst column imm2, over a result if imm2 < F. */
static trn_status_t exec_activate(trn_interp_t *it, uint32_t stream, size_t index,
                                  const trn_inst_t *inst) {
  operand_t d, a, b = {0};
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  bool has_b = inst->src1.space != TRN_SPACE_NONE;
  if (has_b) {
    CHECK_AP(b, src1, "src1");
    SAME_PARTS(b, d, "src1", "dst");
  }
  SAME_PARTS(d, a, "dst", "src0");
  bool accum = (inst->flags & TRN_FLAG_ACCUM) != 0;
  uint64_t col = inst->imm[2];
  if (accum) {
    if (d.free != a.free && d.free != a.free + 1)
      TRAP("with accum, dst free size %llu must be %llu or %llu", (unsigned long long)d.free,
           (unsigned long long)a.free, (unsigned long long)a.free + 1);
    if (col >= d.free)
      TRAP("accum column imm2 %llu is not below dst free size %llu", (unsigned long long)col,
           (unsigned long long)d.free);
  } else {
    SAME_FREE(d, a, "dst", "src0");
  }
  if (trn_isa_act_name(inst->op0) == NULL) TRAP("op0 %u is not an activation function", inst->op0);
  act_job_t j = {.d = d, .a = a, .b = b, .has_b = has_b, .accum = accum, .col = col,
                 .scale = imm_f32(inst->imm[0]), .bias0 = imm_f32(inst->imm[1]), .fn = inst->op0};
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 0, a.free, j.x));
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 2, d.free, j.y));
  run_rows(it, &j.d, &j.a, has_b ? &j.b : NULL, a.free, act_rows, &j);
  return NULL;
}

/* ---- DVE ------------------------------------------------------------------------- */

typedef struct tt_job_t {
  operand_t d, a, b;
  bool as_int, rev;
  uint8_t op;
  void *x[TRN_POOL_MAX_THREADS], *y[TRN_POOL_MAX_THREADS], *z[TRN_POOL_MAX_THREADS];
} tt_job_t;

static void tt_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  const tt_job_t *j = ctx;
  const bool as_int = j->as_int, rev = j->rev;
  const size_t n = (size_t)j->d.free;
  void *x = j->x[thread], *y = j->y[thread], *z = j->z[thread];
  for (uint32_t p = lo; p < hi; p++) {
    if (!as_int) { /* fp32 rows in place when that is unobservable */
      const float *xs = row_f32(&j->a, p), *ys = row_f32(&j->b, p);
      float *zs = row_f32(&j->d, p);
      if (xs && ys && zs && rows_separate(xs, zs, n) && rows_separate(ys, zs, n)) {
        alu_vec_f(j->op, rev ? ys : xs, 1, rev ? xs : ys, 1, zs, n);
        continue;
      }
    }
    load_row(&j->a, p, x, as_int);
    load_row(&j->b, p, y, as_int);
    void *l = rev ? y : x, *r = rev ? x : y;
    if (as_int) alu_vec_i(j->op, l, 1, r, 1, z, n);
    else alu_vec_f(j->op, l, 1, r, 1, z, n);
    store_row(&j->d, p, z, as_int);
  }
}

static trn_status_t exec_tensor_tensor(trn_interp_t *it, uint32_t stream, size_t index,
                                       const trn_inst_t *inst) {
  operand_t d, a, b;
  CHECK_ELEMENTWISE3(d, a, b);
  if (!alu_valid(inst->op0)) TRAP("op0 %u is not an ALU op", inst->op0);
  tt_job_t j = {.d = d, .a = a, .b = b, .op = inst->op0,
                .as_int = trn_interp_dtype_is_int(a.ap->dtype) &&
                          trn_interp_dtype_is_int(b.ap->dtype),
                .rev = (inst->flags & TRN_FLAG_REVERSE) != 0};
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 0, d.free, j.x));
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 1, d.free, j.y));
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 2, d.free, j.z));
  run_rows(it, &j.d, &j.a, &j.b, d.free, tt_rows, &j);
  return NULL;
}

typedef struct ts_job_t {
  operand_t d, a, b;
  bool s0ap, s1ap, as_int, rev;
  uint8_t op0, op1;
  float f0, f1;
  int32_t i0, i1;
  void *x[TRN_POOL_MAX_THREADS], *z[TRN_POOL_MAX_THREADS];
} ts_job_t;

static void ts_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  const ts_job_t *j = ctx;
  const size_t n = (size_t)j->d.free;
  const bool rev = j->rev;
  void *x = j->x[thread], *z = j->z[thread];
  for (uint32_t p = lo; p < hi; p++) {
    load_row(&j->a, p, x, j->as_int);
    if (j->as_int) {
      int32_t s0 = j->s0ap ? elem_i32(&j->b, p, 0) : j->i0;
      int32_t s1 = j->s1ap ? elem_i32(&j->b, p, 1) : j->i1;
      int32_t *xv = x, *zv = z;
      if (rev) {
        alu_vec_i(j->op0, &s0, 0, xv, 1, zv, n);
        alu_vec_i(j->op1, &s1, 0, zv, 1, zv, n);
      } else {
        alu_vec_i(j->op0, xv, 1, &s0, 0, zv, n);
        alu_vec_i(j->op1, zv, 1, &s1, 0, zv, n);
      }
    } else {
      float s0 = j->s0ap ? elem_f32(&j->b, p, 0) : j->f0;
      float s1 = j->s1ap ? elem_f32(&j->b, p, 1) : j->f1;
      float *xv = x, *zv = z;
      if (rev) {
        alu_vec_f(j->op0, &s0, 0, xv, 1, zv, n);
        if (j->op1 != TRN_ALU_BYPASS) alu_vec_f(j->op1, &s1, 0, zv, 1, zv, n);
      } else {
        alu_vec_f(j->op0, xv, 1, &s0, 0, zv, n);
        if (j->op1 != TRN_ALU_BYPASS) alu_vec_f(j->op1, zv, 1, &s1, 0, zv, n);
      }
    }
    store_row(&j->d, p, z, j->as_int);
  }
}

/* TENSOR_SCALAR: dst = op1(op0(x, s0), s1); with REVERSE both ops take the scalar
 * first: dst = op1(s1, op0(s0, x)). Immediates are fp32 values (converted to int32,
 * nearest even, when the op computes in int32). */
static trn_status_t exec_tensor_scalar(trn_interp_t *it, uint32_t stream, size_t index,
                                       const trn_inst_t *inst) {
  operand_t d, a, b = {0};
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_PARTS(d, a, "dst", "src0");
  SAME_FREE(d, a, "dst", "src0");
  bool s0ap = (inst->flags & TRN_FLAG_S0_AP) != 0, s1ap = (inst->flags & TRN_FLAG_S1_AP) != 0;
  bool has_b = inst->src1.space != TRN_SPACE_NONE;
  if ((s0ap || s1ap) && !has_b) TRAP("flag s0_ap/s1_ap needs src1");
  if (has_b) {
    CHECK_AP(b, src1, "src1");
    SAME_PARTS(b, d, "src1", "dst");
    if (b.free < (s1ap ? 2u : 1u)) TRAP("src1 (scalars) free size %llu too small", (unsigned long long)b.free);
  }
  if (!alu_valid(inst->op0)) TRAP("op0 %u is not an ALU op", inst->op0);
  if (!alu_valid(inst->op1)) TRAP("op1 %u is not an ALU op", inst->op1);
  ts_job_t j = {.d = d, .a = a, .b = b, .s0ap = s0ap, .s1ap = s1ap,
                .as_int = trn_interp_dtype_is_int(a.ap->dtype) &&
                          (!(s0ap || s1ap) || trn_interp_dtype_is_int(b.ap->dtype)),
                .rev = (inst->flags & TRN_FLAG_REVERSE) != 0, .op0 = inst->op0,
                .op1 = inst->op1, .f0 = imm_f32(inst->imm[0]), .f1 = imm_f32(inst->imm[1])};
  j.i0 = trn_interp_f32_to_i32(j.f0);
  j.i1 = trn_interp_f32_to_i32(j.f1);
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 0, d.free, j.x));
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 2, d.free, j.z));
  run_rows(it, &j.d, &j.a, has_b ? &j.b : NULL, d.free, ts_rows, &j);
  return NULL;
}

typedef struct tr_job_t {
  operand_t d, a;
  bool as_int;
  uint8_t op;
  uint64_t r, groups;
  void *x[TRN_POOL_MAX_THREADS], *z[TRN_POOL_MAX_THREADS];
} tr_job_t;

static void tr_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread);

/* TENSOR_REDUCE: groups of r = num0 (x num1 (x num2)) consecutive flattened elements,
 * folded left to right: acc = x[0]; acc = op0(acc, x[i]). */
static trn_status_t exec_tensor_reduce(trn_interp_t *it, uint32_t stream, size_t index,
                                       const trn_inst_t *inst) {
  operand_t d, a;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_PARTS(d, a, "dst", "src0");
  if (inst->imm[0] < 1 || inst->imm[0] > TRN_AP_DIMS)
    TRAP("imm0 (reduced innermost dims) %u is not in 1..3", inst->imm[0]);
  if (!alu_valid(inst->op0)) TRAP("op0 %u is not an ALU op", inst->op0);
  uint64_t r = 1;
  for (uint32_t i = 0; i < inst->imm[0]; i++) r *= a.ap->num[i];
  uint64_t groups = a.free / r;
  if (d.free != groups)
    TRAP("dst free size %llu != src0 free size %llu / reduced %llu", (unsigned long long)d.free,
         (unsigned long long)a.free, (unsigned long long)r);
  tr_job_t j = {.d = d, .a = a, .as_int = trn_interp_dtype_is_int(a.ap->dtype), .op = inst->op0,
                .r = r, .groups = groups};
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 0, a.free, j.x));
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 2, groups, j.z));
  run_rows(it, &j.d, &j.a, NULL, a.free, tr_rows, &j);
  return NULL;
}

static void tr_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  const tr_job_t *j = ctx;
  const bool as_int = j->as_int;
  const uint8_t op = j->op;
  const uint64_t r = j->r, groups = j->groups;
  void *x = j->x[thread], *z = j->z[thread];
  for (uint32_t p = lo; p < hi; p++) {
    load_row(&j->a, p, x, as_int);
    for (uint64_t g = 0; g < groups; g++) {
      if (as_int) {
        const int32_t *v = (const int32_t *)x + g * r;
        int32_t acc = v[0];
        for (uint64_t i = 1; i < r; i++) acc = alu_i(op, acc, v[i]);
        ((int32_t *)z)[g] = acc;
      } else {
        const float *v = (const float *)x + g * r;
        float acc = v[0];
        if (op == TRN_ALU_ADD)
          for (uint64_t i = 1; i < r; i++) acc += v[i];
        else
          for (uint64_t i = 1; i < r; i++) acc = alu_f(op, acc, v[i]);
        ((float *)z)[g] = acc;
      }
    }
    store_row(&j->d, p, z, as_int);
  }
}

typedef struct tc_job_t {
  operand_t d, a;
  bool as_int;
  void *x[TRN_POOL_MAX_THREADS];
} tc_job_t;

static void tc_rows(void *ctx, uint32_t lo, uint32_t hi, unsigned thread) {
  const tc_job_t *j = ctx;
  void *x = j->x[thread];
  for (uint32_t p = lo; p < hi; p++) {
    load_row(&j->a, p, x, j->as_int);
    store_row(&j->d, p, x, j->as_int);
  }
}

static trn_status_t exec_tensor_copy(trn_interp_t *it, uint32_t stream, size_t index,
                                     const trn_inst_t *inst) {
  operand_t d, a;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_PARTS(d, a, "dst", "src0");
  SAME_FREE(d, a, "dst", "src0");
  tc_job_t j = {.d = d, .a = a,
                .as_int = trn_interp_dtype_is_int(a.ap->dtype) &&
                          trn_interp_dtype_is_int(d.ap->dtype)};
  TRN_RETURN_IF_ERROR(trn_interp_scratch_all(it, 0, a.free, j.x));
  run_rows(it, &j.d, &j.a, NULL, a.free, tc_rows, &j);
  return NULL;
}

static trn_status_t exec_memset(trn_interp_t *it, uint32_t stream, size_t index,
                                const trn_inst_t *inst) {
  operand_t d;
  CHECK_AP(d, dst, "dst");
  size_t es = trn_isa_dtype_size((trn_dtype_t)d.ap->dtype);
  uint8_t bytes[4];
  uint32_t bits = inst->imm[0];
  for (int i = 0; i < 4; i++) bytes[i] = (uint8_t)(bits >> (8 * i));
  const trn_ap_t *ap = d.ap;
  uint8_t *base = d.base;
  uint64_t pbytes = d.pbytes;
  for (uint32_t p = 0; p < ap->num_partitions; p++) {
    uint8_t *row = base + (uint64_t)(ap->start_partition + p) * pbytes + ap->offset;
    for (uint32_t i2 = 0; i2 < ap->num[2]; i2++)
      for (uint32_t i1 = 0; i1 < ap->num[1]; i1++) {
        uint8_t *q = row + ((int64_t)i1 * ap->step[1] + (int64_t)i2 * ap->step[2]) * (int64_t)es;
        if (ap->step[0] == 1 && (es == 1 || bits == 0)) {
          memset(q, bytes[0], ap->num[0] * es);
          continue;
        }
        if (ap->step[0] == 1 && es == 4) { /* a loop that vectorizes */
          for (uint32_t i0 = 0; i0 < ap->num[0]; i0++) memcpy(q + 4 * (size_t)i0, bytes, 4);
          continue;
        }
        for (uint32_t i0 = 0; i0 < ap->num[0]; i0++, q += (int64_t)ap->step[0] * (int64_t)es)
          memcpy(q, bytes, es);
      }
  }
  return NULL;
}

static trn_status_t exec_select(trn_interp_t *it, uint32_t stream, size_t index,
                                const trn_inst_t *inst) {
  operand_t d, a, b;
  CHECK_ELEMENTWISE3(d, a, b);
  bool as_int = trn_interp_dtype_is_int(b.ap->dtype) && trn_interp_dtype_is_int(d.ap->dtype);
  float other = imm_f32(inst->imm[0]);
  int32_t other_i = trn_interp_f32_to_i32(other);
  void *c, *y;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 0, d.free, &c));
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 1, d.free, &y));
  bool pred_int = trn_interp_dtype_is_int(a.ap->dtype);
  for (uint32_t p = 0; p < d.ap->num_partitions; p++) {
    load_row(&a, p, c, pred_int);
    load_row(&b, p, y, as_int);
    for (uint64_t i = 0; i < d.free; i++) {
      bool t = pred_int ? ((int32_t *)c)[i] != 0 : ((float *)c)[i] != 0.0f;
      if (!t) {
        if (as_int) ((int32_t *)y)[i] = other_i;
        else ((float *)y)[i] = other;
      }
    }
    store_row(&d, p, y, as_int);
  }
  return NULL;
}

/* Loads every row of an operand into one buffer (rows of `free` elements). */
static trn_status_t load_all(trn_interp_t *it, const operand_t *o, bool as_int, int slot,
                             void **out) {
  uint64_t n = (uint64_t)o->ap->num_partitions * o->free;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, slot, n, out));
  for (uint32_t p = 0; p < o->ap->num_partitions; p++)
    load_row(o, p, (uint8_t *)*out + (size_t)p * o->free * 4, as_int);
  return NULL;
}

/* TRANSPOSE32: within every block of 32 partitions x 32 consecutive flattened free
 * elements, dst[32a + j, 32b + i] = src0[32a + i, 32b + j]. */
static trn_status_t exec_transpose32(trn_interp_t *it, uint32_t stream, size_t index,
                                     const trn_inst_t *inst) {
  operand_t d, a;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_PARTS(d, a, "dst", "src0");
  SAME_FREE(d, a, "dst", "src0");
  uint32_t np = a.ap->num_partitions;
  if (np % 32 != 0 || a.free % 32 != 0)
    TRAP("partitions %u and free size %llu must be multiples of 32", np, (unsigned long long)a.free);
  bool as_int = trn_interp_dtype_is_int(a.ap->dtype) && trn_interp_dtype_is_int(d.ap->dtype);
  void *all, *row;
  TRN_RETURN_IF_ERROR(load_all(it, &a, as_int, 3, &all));
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 2, a.free, &row));
  const uint8_t *src = all; /* 4-byte elements (fp32 or int32) either way */
  uint8_t *out = row;
  uint64_t nf = a.free;
  for (uint32_t p = 0; p < np; p++) {
    uint32_t blk = p / 32 * 32, j = p % 32;
    for (uint64_t f = 0; f < nf; f++) {
      uint64_t fb = f / 32 * 32, i = f % 32;
      memcpy(out + f * 4, src + ((size_t)(blk + i) * nf + fb + j) * 4, 4);
    }
    store_row(&d, p, out, as_int);
  }
  return NULL;
}

/* ---- POOL ------------------------------------------------------------------------ */

static trn_status_t exec_partition_reduce(trn_interp_t *it, uint32_t stream, size_t index,
                                          const trn_inst_t *inst) {
  operand_t d, a;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_FREE(d, a, "dst", "src0");
  if (!alu_valid(inst->op0)) TRAP("op0 %u is not an ALU op", inst->op0);
  bool as_int = trn_interp_dtype_is_int(a.ap->dtype);
  void *acc, *x;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 2, a.free, &acc));
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 0, a.free, &x));
  load_row(&a, 0, acc, as_int);
  for (uint32_t p = 1; p < a.ap->num_partitions; p++) {
    load_row(&a, p, x, as_int);
    if (as_int) alu_vec_i(inst->op0, acc, 1, x, 1, acc, a.free);
    else alu_vec_f(inst->op0, acc, 1, x, 1, acc, a.free);
  }
  store_row(&d, 0, acc, as_int);
  return NULL;
}

static trn_status_t exec_partition_broadcast(trn_interp_t *it, uint32_t stream, size_t index,
                                             const trn_inst_t *inst) {
  operand_t d, a;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_FREE(d, a, "dst", "src0");
  bool as_int = trn_interp_dtype_is_int(a.ap->dtype) && trn_interp_dtype_is_int(d.ap->dtype);
  void *x;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 0, a.free, &x));
  load_row(&a, 0, x, as_int);
  for (uint32_t p = 0; p < d.ap->num_partitions; p++) store_row(&d, p, x, as_int);
  return NULL;
}

/* IOTA: p is the partition index relative to dst's start_partition, f the flattened
 * free index; int32 arithmetic wraps. */
static trn_status_t exec_iota(trn_interp_t *it, uint32_t stream, size_t index,
                              const trn_inst_t *inst) {
  operand_t d;
  CHECK_AP(d, dst, "dst");
  int32_t *z;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 2, d.free, (void **)&z));
  for (uint32_t p = 0; p < d.ap->num_partitions; p++) {
    uint32_t v = inst->imm[0] + p * inst->imm[1];
    for (uint64_t f = 0; f < d.free; f++) z[f] = (int32_t)(v + (uint32_t)f);
    store_row(&d, p, z, true);
  }
  return NULL;
}

static bool cmp_i64(uint8_t op, int64_t v) {
  switch (op) {
  case TRN_ALU_EQ: return v == 0;
  case TRN_ALU_NE: return v != 0;
  case TRN_ALU_LT: return v < 0;
  case TRN_ALU_LE: return v <= 0;
  case TRN_ALU_GT: return v > 0;
  case TRN_ALU_GE: return v >= 0;
  default: return false;
  }
}

/* AFFINE_SELECT: v = imm0 + p*imm1 + f*imm2 in 64-bit arithmetic (p relative to the
 * AP's start_partition); dst = (v op0 0) ? src0 : imm3 (fp32). */
static trn_status_t exec_affine_select(trn_interp_t *it, uint32_t stream, size_t index,
                                       const trn_inst_t *inst) {
  operand_t d, a;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  SAME_PARTS(d, a, "dst", "src0");
  SAME_FREE(d, a, "dst", "src0");
  if (inst->op0 < TRN_ALU_EQ || inst->op0 > TRN_ALU_GE)
    TRAP("op0 %u is not a comparison", inst->op0);
  bool as_int = trn_interp_dtype_is_int(a.ap->dtype) && trn_interp_dtype_is_int(d.ap->dtype);
  float other = imm_f32(inst->imm[3]);
  int32_t other_i = trn_interp_f32_to_i32(other);
  int64_t c0 = (int32_t)inst->imm[0], c1 = (int32_t)inst->imm[1], c2 = (int32_t)inst->imm[2];
  void *x;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 0, a.free, &x));
  for (uint32_t p = 0; p < d.ap->num_partitions; p++) {
    load_row(&a, p, x, as_int);
    int64_t v = c0 + (int64_t)p * c1;
    for (uint64_t f = 0; f < d.free; f++, v += c2) {
      if (!cmp_i64(inst->op0, v)) {
        if (as_int) ((int32_t *)x)[f] = other_i;
        else ((float *)x)[f] = other;
      }
    }
    store_row(&d, p, x, as_int);
  }
  return NULL;
}

static trn_status_t exec_gather(trn_interp_t *it, uint32_t stream, size_t index,
                                const trn_inst_t *inst) {
  operand_t d, a, b;
  CHECK_AP(d, dst, "dst");
  CHECK_AP(a, src0, "src0");
  CHECK_AP(b, src1, "src1");
  SAME_PARTS(d, a, "dst", "src0");
  SAME_PARTS(d, b, "dst", "src1");
  SAME_FREE(d, b, "dst", "src1 (indices)");
  if (!trn_interp_dtype_is_int(b.ap->dtype))
    TRAP("src1 (indices) must be an integer dtype, is %s", trn_isa_dtype_name((trn_dtype_t)b.ap->dtype));
  bool as_int = trn_interp_dtype_is_int(a.ap->dtype) && trn_interp_dtype_is_int(d.ap->dtype);
  void *x, *idx, *z;
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 0, a.free, &x));
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 1, b.free, &idx));
  TRN_RETURN_IF_ERROR(trn_interp_scratch(it, 2, d.free, &z));
  const uint8_t *xv = x;
  uint8_t *zv = z;
  const int32_t *iv = idx;
  for (uint32_t p = 0; p < d.ap->num_partitions; p++) {
    load_row(&a, p, x, as_int);
    trn_interp_load_row_i32(b.ap, b.base, b.pbytes, p, idx);
    for (uint64_t f = 0; f < d.free; f++) {
      int32_t k = iv[f];
      if (k < 0 || (uint64_t)k >= a.free)
        TRAP("index %d out of range [0, %llu) at partition %u, element %llu", k,
             (unsigned long long)a.free, p, (unsigned long long)f);
      memcpy(zv + f * 4, xv + (size_t)k * 4, 4);
    }
    store_row(&d, p, z, as_int);
  }
  return NULL;
}

/* ---- dispatch -------------------------------------------------------------------- */

trn_status_t trn_interp_exec(trn_interp_t *it, uint32_t stream, size_t index,
                             const trn_inst_t *inst) {
  it->last_macs = 0;
  it->last_dma_bytes = 0;
  it->last_dma_hbm_bytes = 0;
  const trn_opinfo_t *info = trn_isa_opinfo(inst->opcode);
  if (!info) TRAP("unknown opcode 0x%02x", inst->opcode);
  trn_engine_t eng = trn_isa_stream_engine(stream);
  if (info->engine != TRN_ENGINE_ANY && info->engine != eng)
    TRAP("runs on %s, not on this stream", trn_isa_engine_name(info->engine));
  switch ((trn_opcode_t)inst->opcode) {
  case TRN_OP_HALT:
  case TRN_OP_NOP: return NULL;
  case TRN_OP_MATMUL: return trn_interp_exec_matmul(it, stream, index, inst);
  case TRN_OP_TRANSPOSE: return trn_interp_exec_transpose(it, stream, index, inst);
  case TRN_OP_ACTIVATE: return exec_activate(it, stream, index, inst);
  case TRN_OP_TENSOR_TENSOR: return exec_tensor_tensor(it, stream, index, inst);
  case TRN_OP_TENSOR_SCALAR: return exec_tensor_scalar(it, stream, index, inst);
  case TRN_OP_TENSOR_REDUCE: return exec_tensor_reduce(it, stream, index, inst);
  case TRN_OP_TENSOR_COPY: return exec_tensor_copy(it, stream, index, inst);
  case TRN_OP_MEMSET: return exec_memset(it, stream, index, inst);
  case TRN_OP_SELECT: return exec_select(it, stream, index, inst);
  case TRN_OP_TRANSPOSE32: return exec_transpose32(it, stream, index, inst);
  case TRN_OP_PARTITION_REDUCE: return exec_partition_reduce(it, stream, index, inst);
  case TRN_OP_PARTITION_BROADCAST: return exec_partition_broadcast(it, stream, index, inst);
  case TRN_OP_IOTA: return exec_iota(it, stream, index, inst);
  case TRN_OP_AFFINE_SELECT: return exec_affine_select(it, stream, index, inst);
  case TRN_OP_GATHER: return exec_gather(it, stream, index, inst);
  case TRN_OP_DMA: return trn_interp_exec_dma(it, stream, index, inst);
  }
  TRAP("opcode 0x%02x has no semantics in this interpreter", inst->opcode);
}
