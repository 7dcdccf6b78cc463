/* The external-pass scaffolding and the IR toolkit shared by the passes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "mlir-c/Diagnostics.h"

/* ---- pass scaffolding --------------------------------------------------------- */

typedef struct pass_state_t {
  const trn_pass_def_t *def;
  trn_pass_options_t opts;
} pass_state_t;

static void pass_construct(void *user) { (void)user; }
static void pass_destruct(void *user) { free(user); }
static MlirLogicalResult pass_initialize(MlirContext ctx, void *user) {
  (void)ctx;
  (void)user;
  return mlirLogicalResultSuccess();
}
static void *pass_clone(void *user) {
  pass_state_t *copy = malloc(sizeof *copy);
  if (copy) *copy = *(const pass_state_t *)user;
  return copy;
}
static void pass_run(MlirOperation op, MlirExternalPass pass, void *user) {
  const pass_state_t *st = user;
  st->def->run(op, pass, &st->opts);
}

MlirPass trn_pass_create(const trn_pass_def_t *def, const trn_pass_options_t *opts) {
  pass_state_t *st = malloc(sizeof *st);
  if (!st) return (MlirPass){NULL};
  st->def = def;
  if (opts) {
    st->opts = *opts;
  } else {
    trn_pass_options_init(&st->opts);
  }
  if (!st->opts.target) st->opts.target = trn_isa_target(TRN_TARGET_TRN1);
  MlirExternalPassCallbacks cb = {pass_construct, pass_destruct, pass_initialize, pass_clone, pass_run};
  return mlirCreateExternalPass(mlirTypeIDCreate(def), mlirStringRefCreateFromCString(def->name),
                                mlirStringRefCreateFromCString(def->argument),
                                mlirStringRefCreateFromCString(def->summary),
                                mlirStringRefCreateFromCString("builtin.module"), 0, NULL, cb, st);
}

/* ---- diagnostics -------------------------------------------------------------- */

void trn_ir_error(MlirOperation op, const char *fmt, ...) {
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "trn: ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
  va_end(ap);
  mlirEmitError(mlirOperationGetLocation(op), buf);
}

void trn_ir_report_init(trn_ir_report_t *r, const char *fmt, ...) {
  memset(r, 0, sizeof *r);
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->head, sizeof r->head, fmt, ap);
  va_end(ap);
}

void trn_ir_report_note(trn_ir_report_t *r, const char *fmt, ...) {
  if (r->oom) return;
  char line[1024];
  int n = snprintf(line, sizeof line, "\n  note: ");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
  va_end(ap);
  size_t len = strlen(line);
  if (r->length + len + 1 > r->capacity) {
    size_t cap = r->capacity ? r->capacity * 2 : 1024;
    while (cap < r->length + len + 1) cap *= 2;
    char *p = realloc(r->notes, cap);
    if (!p) {
      r->oom = true;
      return;
    }
    r->notes = p;
    r->capacity = cap;
  }
  memcpy(r->notes + r->length, line, len + 1);
  r->length += len;
}

void trn_ir_report_emit(trn_ir_report_t *r, MlirOperation op) {
  const char *notes = r->oom || !r->notes ? "" : r->notes;
  size_t size = strlen(r->head) + strlen(notes) + 8;
  char *msg = malloc(size);
  if (msg) {
    snprintf(msg, size, "trn: %s%s", r->head, notes);
    mlirEmitError(mlirOperationGetLocation(op), msg);
    free(msg);
  } else {
    trn_ir_error(op, "%s", r->head);
  }
  free(r->notes);
  r->notes = NULL;
  r->length = r->capacity = 0;
}

typedef struct where_sink_t {
  char *buf;
  size_t size, length;
} where_sink_t;

static void where_append(MlirStringRef s, void *user) {
  where_sink_t *w = user;
  size_t room = w->size - 1 - w->length;
  size_t n = s.length < room ? s.length : room;
  memcpy(w->buf + w->length, s.data, n);
  w->length += n;
  w->buf[w->length] = '\0';
}

/* Copies the quoted string at *p (at '"') to out; advances *p past it. */
static bool where_quoted(const char **p, char *out, size_t size) {
  const char *s = *p;
  if (*s++ != '"') return false;
  size_t n = 0;
  while (*s && *s != '"') {
    if (*s == '\\' && s[1]) s++;
    if (n + 1 < size) out[n++] = *s;
    s++;
  }
  if (*s != '"') return false;
  out[n] = '\0';
  *p = s + 1;
  return true;
}

void trn_passes_location_parts(MlirLocation loc, trn_location_parts_t *out) {
  memset(out, 0, sizeof *out);
  where_sink_t w = {.buf = out->text, .size = sizeof out->text};
  mlirLocationPrint(loc, where_append, &w);
  const char *q = out->text;
  if (strncmp(q, "loc(", 4) != 0) return;
  q += 4;
  if (strncmp(q, "fused[", 6) == 0) {
    out->fused = true;
    q += 6;
  }
  char first[512];
  if (!where_quoted(&q, first, sizeof first)) return;
  if (*q == ':' && sscanf(q, ":%u:%u", &out->line, &out->col) == 2) {
    snprintf(out->file, sizeof out->file, "%s", first);
    return;
  }
  snprintf(out->name, sizeof out->name, "%s", first);
  if (*q != '(') return;
  out->child = true;
  q++;
  unsigned line, col;
  if (where_quoted(&q, first, sizeof first) && sscanf(q, ":%u:%u", &line, &col) == 2) {
    snprintf(out->file, sizeof out->file, "%s", first);
    out->line = line;
    out->col = col;
  }
}

void trn_ir_op_where(MlirOperation op, char *buf, size_t size) {
  trn_location_parts_t parts;
  trn_passes_location_parts(mlirOperationGetLocation(op), &parts);
  if (parts.name[0]) {
    snprintf(buf, size, "node '%s'", parts.name);
  } else if (parts.file[0]) {
    const char *base = strrchr(parts.file, '/');
    snprintf(buf, size, "%s:%u:%u", base ? base + 1 : parts.file, parts.line, parts.col);
  } else {
    snprintf(buf, size, "%s", strcmp(parts.text, "loc(unknown)") == 0 ? "<unknown>" : parts.text);
  }
}

static int cmp_hbm_use(const void *a, const void *b) {
  const trn_ir_hbm_use_t *x = a, *y = b;
  if (x->bytes != y->bytes) return x->bytes > y->bytes ? -1 : 1;
  if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1; /* ties: a stable report */
  return strcmp(x->name, y->name);
}

void trn_ir_report_hbm(trn_ir_report_t *r, trn_ir_hbm_use_t *uses, size_t n, double total,
                       const trn_target_t *target) {
  static const char *const kKind[] = {"input", "output", "constant", "scratch"};
  static const char *const kKinds[] = {"inputs", "outputs", "constants", "scratch buffers"};
  double sum[4] = {0};
  size_t count[4] = {0};
  for (size_t i = 0; i < n; i++) {
    sum[uses[i].kind] += uses[i].bytes;
    count[uses[i].kind]++;
  }
  double hbm = (double)target->hbm_bytes;
  trn_ir_report_note(r, "HBM: needed %.0f bytes, %s has %.0f: %.0f bytes (%.1f%%) over", total, target->name, hbm,
                     total - hbm, hbm > 0 ? (total - hbm) * 100.0 / hbm : 0.0);
  for (int k = 0; k < 4; k++)
    if (count[k]) trn_ir_report_note(r, "  %s: %.0f bytes in %zu", kKinds[k], sum[k], count[k]);
  if (n > 1) qsort(uses, n, sizeof *uses, cmp_hbm_use);
  size_t shown = n < 8 ? n : 8;
  if (shown) trn_ir_report_note(r, "largest consumers of HBM:");
  for (size_t i = 0; i < shown; i++)
    trn_ir_report_note(r, "  %s %s: %.0f bytes", kKind[uses[i].kind], uses[i].name, uses[i].bytes);
  if (n > shown) {
    double rest = 0;
    for (size_t i = shown; i < n; i++) rest += uses[i].bytes;
    trn_ir_report_note(r, "  ... %zu more: %.0f bytes", n - shown, rest);
  }
}

/* ---- building ----------------------------------------------------------------- */

MlirNamedAttribute trn_ir_named(MlirContext ctx, const char *name, MlirAttribute value) {
  return mlirNamedAttributeGet(mlirIdentifierGet(ctx, mlirStringRefCreateFromCString(name)), value);
}
MlirAttribute trn_ir_i64(MlirContext ctx, int64_t v) { return mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 64), v); }
MlirAttribute trn_ir_bool(MlirContext ctx, bool v) { return mlirBoolAttrGet(ctx, v); }
MlirAttribute trn_ir_f32(MlirContext ctx, double v) { return mlirFloatAttrDoubleGet(ctx, mlirF32TypeGet(ctx), v); }
MlirAttribute trn_ir_str(MlirContext ctx, const char *s) {
  return mlirStringAttrGet(ctx, mlirStringRefCreateFromCString(s));
}
MlirAttribute trn_ir_i64_array(MlirContext ctx, size_t n, const int64_t *v) {
  return mlirDenseI64ArrayGet(ctx, (intptr_t)n, v);
}

MlirOperation trn_ir_op(MlirLocation loc, const char *name, size_t nresults, const MlirType *results,
                        size_t noperands, const MlirValue *operands, size_t nattrs,
                        const MlirNamedAttribute *attrs) {
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(name), loc);
  if (nresults) mlirOperationStateAddResults(&st, (intptr_t)nresults, results);
  if (noperands) mlirOperationStateAddOperands(&st, (intptr_t)noperands, operands);
  if (nattrs) mlirOperationStateAddAttributes(&st, (intptr_t)nattrs, attrs);
  return mlirOperationCreate(&st);
}

/* ---- reading ------------------------------------------------------------------ */

bool trn_ir_str_eq(MlirStringRef s, const char *c) {
  size_t n = strlen(c);
  return s.length == n && memcmp(s.data, c, n) == 0;
}

bool trn_ir_is(MlirOperation op, const char *name) {
  return trn_ir_str_eq(mlirIdentifierStr(mlirOperationGetName(op)), name);
}

static MlirAttribute get_attr(MlirOperation op, const char *name) {
  return mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString(name));
}

bool trn_ir_get_int(MlirOperation op, const char *name, int64_t *out) {
  MlirAttribute a = get_attr(op, name);
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAInteger(a)) return false;
  *out = mlirIntegerAttrGetValueInt(a);
  return true;
}

bool trn_ir_get_float(MlirOperation op, const char *name, double *out) {
  MlirAttribute a = get_attr(op, name);
  if (mlirAttributeIsNull(a)) return false;
  if (mlirAttributeIsAFloat(a)) {
    *out = mlirFloatAttrGetValueDouble(a);
    return true;
  }
  if (mlirAttributeIsAInteger(a)) {
    *out = (double)mlirIntegerAttrGetValueInt(a);
    return true;
  }
  return false;
}

bool trn_ir_get_str(MlirOperation op, const char *name, MlirStringRef *out) {
  MlirAttribute a = get_attr(op, name);
  if (mlirAttributeIsNull(a) || !mlirAttributeIsAString(a)) return false;
  *out = mlirStringAttrGetValue(a);
  return true;
}

bool trn_ir_get_i64_array(MlirOperation op, const char *name, int64_t *out, size_t max, size_t *out_n) {
  MlirAttribute a = get_attr(op, name);
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseI64Array(a)) return false;
  intptr_t n = mlirDenseArrayGetNumElements(a);
  if (n < 0 || (size_t)n > max) return false;
  for (intptr_t i = 0; i < n; i++) out[i] = mlirDenseI64ArrayGetElement(a, i);
  if (out_n) *out_n = (size_t)n;
  return true;
}

bool trn_ir_dense_int_at(MlirAttribute a, intptr_t i, int64_t *out) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseIntElements(a)) return false;
  intptr_t n = mlirElementsAttrGetNumElements(a);
  if (i < 0 || i >= n) return false;
  if (mlirDenseElementsAttrIsSplat(a)) i = 0;
  MlirType et = mlirShapedTypeGetElementType(mlirAttributeGetType(a));
  unsigned w = mlirIntegerTypeGetWidth(et);
  bool u = mlirIntegerTypeIsUnsigned(et);
  if (mlirDenseElementsAttrIsSplat(a)) {
    switch (w) {
    case 1: *out = mlirDenseElementsAttrGetBoolSplatValue(a); return true;
    case 8: *out = u ? mlirDenseElementsAttrGetUInt8SplatValue(a) : mlirDenseElementsAttrGetInt8SplatValue(a); return true;
    case 32: *out = u ? (int64_t)mlirDenseElementsAttrGetUInt32SplatValue(a) : (int64_t)mlirDenseElementsAttrGetInt32SplatValue(a); return true;
    case 64: *out = mlirDenseElementsAttrGetInt64SplatValue(a); return true;
    default: return false;
    }
  }
  switch (w) {
  case 1: *out = mlirDenseElementsAttrGetBoolValue(a, i); return true;
  case 8: *out = u ? mlirDenseElementsAttrGetUInt8Value(a, i) : mlirDenseElementsAttrGetInt8Value(a, i); return true;
  case 16: *out = u ? mlirDenseElementsAttrGetUInt16Value(a, i) : mlirDenseElementsAttrGetInt16Value(a, i); return true;
  case 32: *out = u ? (int64_t)mlirDenseElementsAttrGetUInt32Value(a, i) : (int64_t)mlirDenseElementsAttrGetInt32Value(a, i); return true;
  case 64: *out = mlirDenseElementsAttrGetInt64Value(a, i); return true;
  default: return false;
  }
}

bool trn_ir_dense_splat_f64(MlirAttribute a, double *out) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a)) return false;
  bool splat = mlirDenseElementsAttrIsSplat(a);
  if (!splat && mlirElementsAttrGetNumElements(a) != 1) return false;
  MlirType et = mlirShapedTypeGetElementType(mlirAttributeGetType(a));
  if (mlirAttributeIsADenseFPElements(a)) {
    if (mlirTypeIsAF32(et)) {
      *out = splat ? mlirDenseElementsAttrGetFloatSplatValue(a) : mlirDenseElementsAttrGetFloatValue(a, 0);
      return true;
    }
    if (mlirTypeIsAF64(et)) {
      *out = splat ? mlirDenseElementsAttrGetDoubleSplatValue(a) : mlirDenseElementsAttrGetDoubleValue(a, 0);
      return true;
    }
    return false;
  }
  int64_t v;
  if (!trn_ir_dense_int_at(a, 0, &v)) return false;
  *out = (double)v;
  return true;
}

const trn_target_t *trn_ir_module_target(MlirOperation module, const trn_pass_options_t *opts) {
  MlirStringRef s;
  if (trn_ir_get_str(module, "trn.target", &s)) {
    char name[32];
    if (s.length < sizeof name) {
      memcpy(name, s.data, s.length);
      name[s.length] = 0;
      const trn_target_t *t = trn_isa_target_find(name);
      if (t) return t;
    }
  }
  return opts->target;
}

MlirOperation trn_ir_single_func(MlirOperation module) {
  MlirOperation found = {NULL};
  int count = 0;
  MlirBlock body = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!trn_ir_is(op, "func.func")) continue;
    MlirRegion r = mlirOperationGetRegion(op, 0);
    if (mlirBlockIsNull(mlirRegionGetFirstBlock(r))) continue; /* declaration */
    found = op;
    count++;
  }
  if (count != 1) {
    trn_ir_error(module, "expected exactly one function with a body in the module, found %d", count);
    return (MlirOperation){NULL};
  }
  return found;
}

MlirBlock trn_ir_func_body(MlirOperation fn) { return mlirRegionGetFirstBlock(mlirOperationGetRegion(fn, 0)); }

bool trn_ir_tensor_shape(MlirType type, uint32_t *rank, int64_t *dims, trn_dtype_t *dtype) {
  if (!mlirTypeIsARankedTensor(type) || !mlirShapedTypeHasStaticShape(type)) return false;
  intptr_t r = mlirShapedTypeGetRank(type);
  if (r > TRN_TILE_MAX_RANK) return false;
  if (!trn_dialects_dtype_of(mlirShapedTypeGetElementType(type), dtype)) return false;
  *rank = (uint32_t)r;
  for (intptr_t i = 0; i < r; i++) dims[i] = mlirShapedTypeGetDimSize(type, i);
  return true;
}

/* Maps dim `pdim` of `src` to a dim of `dst` for a reshape that only inserts or
 * removes unit dims; -1 if the reshape is another kind. */
int trn_ir_map_unit_reshape(uint32_t sr, const int64_t *sd, uint32_t dr, const int64_t *dd, int pdim) {
  int64_t a[TRN_TILE_MAX_RANK], b[TRN_TILE_MAX_RANK];
  int na = 0, nb = 0, before = 0;
  for (uint32_t i = 0; i < sr; i++) {
    if (sd[i] != 1) a[na++] = sd[i];
    if ((int)i < pdim && sd[i] != 1) before++;
  }
  for (uint32_t i = 0; i < dr; i++)
    if (dd[i] != 1) b[nb++] = dd[i];
  if (na != nb || memcmp(a, b, (size_t)na * sizeof a[0]) != 0) return -1;
  int seen = 0;
  if (sd[pdim] != 1) {
    for (uint32_t i = 0; i < dr; i++) {
      if (dd[i] == 1) continue;
      if (seen++ == before) return (int)i;
    }
    return -1;
  }
  /* A unit pdim: the first unit dim after as many non-unit dims. */
  for (uint32_t i = 0; i < dr; i++) {
    if (dd[i] != 1) {
      seen++;
      continue;
    }
    if (seen >= before) return (int)i;
  }
  return -1;
}

/* ---- element-wise ops ----------------------------------------------------------- */

static const struct {
  const char *op, *func;
} kUnary[] = {
    {"tosa.sigmoid", "sigmoid"}, {"tosa.tanh", "tanh"},   {"tosa.exp", "exp"},     {"tosa.log", "log"},
    {"tosa.abs", "abs"},         {"tosa.erf", "erf"},     {"tosa.rsqrt", "rsqrt"}, {"tosa.reciprocal", "reciprocal"},
    {"math.sqrt", "sqrt"},       {"math.rsqrt", "rsqrt"}, {"math.sin", "sin"},     {"math.cos", "cos"},
    {"math.erf", "erf"},         {"math.exp", "exp"},     {"math.log", "log"},     {"math.tanh", "tanh"},
    {"math.absf", "abs"},        {"tosa.sin", "sin"},     {"tosa.cos", "cos"},     {"math.square", "square"},
};

static const struct {
  const char *op, *alu;
} kBinary[] = {
    {"tosa.add", "add"},     {"tosa.sub", "sub"},     {"tosa.mul", "mul"},   {"tosa.maximum", "max"},
    {"tosa.minimum", "min"}, {"tosa.pow", "pow"},     {"arith.addf", "add"}, {"arith.subf", "sub"},
    {"arith.mulf", "mul"},   {"arith.divf", "div"},   {"arith.maximumf", "max"}, {"arith.minimumf", "min"},
    {"arith.remf", "fmod"},  {"tosa.greater", "gt"},  {"tosa.greater_equal", "ge"}, {"tosa.equal", "eq"},
    {"tosa.logical_and", "and"}, {"tosa.logical_or", "or"}, {"tosa.logical_xor", "xor"},
    {"tosa.bitwise_and", "bitand"}, {"tosa.bitwise_or", "bitor"}, {"tosa.bitwise_xor", "bitxor"},
    {"tosa.logical_left_shift", "shl"}, {"tosa.arithmetic_right_shift", "shr"},
};

const char *trn_ir_unary_func(MlirOperation op) {
  for (size_t i = 0; i < sizeof kUnary / sizeof kUnary[0]; i++)
    if (trn_ir_is(op, kUnary[i].op)) return kUnary[i].func;
  return NULL;
}

/* Integer ops whose ALU op matches them exactly only on 32-bit operands (the int32
 * result is stored saturating into i8/u8 tiles, where these ops wrap). */
static const struct {
  const char *op, *alu;
} kBinaryI32[] = {
    {"arith.remsi", "fmod"}, /* truncated remainder; x % 0 is undefined for arith */
    {"arith.shli", "shl"},
};

static bool result_is_i32(MlirOperation op) {
  if (mlirOperationGetNumResults(op) != 1) return false;
  MlirType t = mlirValueGetType(mlirOperationGetResult(op, 0));
  if (mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  return mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 32;
}

const char *trn_ir_binary_alu(MlirOperation op) {
  for (size_t i = 0; i < sizeof kBinary / sizeof kBinary[0]; i++)
    if (trn_ir_is(op, kBinary[i].op)) return kBinary[i].alu;
  for (size_t i = 0; i < sizeof kBinaryI32 / sizeof kBinaryI32[0]; i++)
    if (trn_ir_is(op, kBinaryI32[i].op)) return result_is_i32(op) ? kBinaryI32[i].alu : NULL;
  return NULL;
}

/* Unary ops lowered to vector-engine sequences rather than one activation. */
static const char *const kUnaryDve[] = {
    "tosa.floor", "tosa.ceil", "math.floor", "math.ceil", "math.roundeven", "tosa.logical_not",
};

bool trn_ir_is_unary_dve(MlirOperation op) {
  for (size_t i = 0; i < sizeof kUnaryDve / sizeof kUnaryDve[0]; i++)
    if (trn_ir_is(op, kUnaryDve[i])) return true;
  return false;
}

bool trn_ir_is_elementwise(MlirOperation op) {
  return trn_ir_unary_func(op) || trn_ir_binary_alu(op) || trn_ir_is_unary_dve(op) || trn_ir_is(op, "tosa.clamp") ||
         trn_ir_is(op, "tosa.identity") || trn_ir_is(op, "tosa.cast") || trn_ir_is(op, "tosa.negate") ||
         trn_ir_is(op, "tosa.select");
}

/* ---- pointer map -------------------------------------------------------------- */

void trn_ptr_map_init(trn_ptr_map_t *m) { memset(m, 0, sizeof *m); }
void trn_ptr_map_free(trn_ptr_map_t *m) {
  free(m->keys);
  free(m->values);
  memset(m, 0, sizeof *m);
}

static size_t ptr_hash(const void *p, size_t cap) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (size_t)x & (cap - 1);
}

bool trn_ptr_map_put(trn_ptr_map_t *m, const void *key, size_t value) {
  if ((m->count + 1) * 2 > m->cap) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    const void **nk = calloc(ncap, sizeof *nk);
    size_t *nv = calloc(ncap, sizeof *nv);
    if (!nk || !nv) {
      free(nk);
      free(nv);
      return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
      if (!m->keys[i]) continue;
      size_t h = ptr_hash(m->keys[i], ncap);
      while (nk[h]) h = (h + 1) & (ncap - 1);
      nk[h] = m->keys[i];
      nv[h] = m->values[i];
    }
    free(m->keys);
    free(m->values);
    m->keys = nk;
    m->values = nv;
    m->cap = ncap;
  }
  size_t h = ptr_hash(key, m->cap);
  while (m->keys[h] && m->keys[h] != key) h = (h + 1) & (m->cap - 1);
  if (!m->keys[h]) m->count++;
  m->keys[h] = key;
  m->values[h] = value;
  return true;
}

bool trn_ptr_map_get(const trn_ptr_map_t *m, const void *key, size_t *out) {
  if (!m->cap) return false;
  size_t h = ptr_hash(key, m->cap);
  while (m->keys[h]) {
    if (m->keys[h] == key) {
      *out = m->values[h];
      return true;
    }
    h = (h + 1) & (m->cap - 1);
  }
  return false;
}

trn_ir_footprint_t trn_ir_desc_footprint(const trn_target_t *t, const trn_dma_desc_t *d, bool src) {
  uint8_t space = src ? d->src_space : d->dst_space;
  int64_t addr = (int64_t)(src ? d->src_addr : d->dst_addr);
  const int64_t *step = src ? d->src_step : d->dst_step;
  int64_t es = (int64_t)trn_isa_dtype_size((trn_dtype_t)(src ? d->src_dtype : d->dst_dtype));
  int64_t pb = space == TRN_SPACE_HBM ? 0
               : (int64_t)(space == TRN_SPACE_SBUF ? t->sbuf_partition_bytes
                                                   : t->psum_partition_bytes);
  int64_t plo = 0, phi = 0, blo = 0, bhi = 0;
  bool exact = true;
  for (int i = 0; i < TRN_DMA_DIMS; i++) {
    int64_t bytes = step[i] * es, n = (int64_t)d->num[i] - 1;
    if (n <= 0) continue;
    if (pb > 0 && bytes % pb == 0) {
      int64_t ext = n * (bytes / pb);
      if (ext < 0) plo += ext;
      else phi += ext;
    } else {
      int64_t ext = n * bytes;
      if (ext < 0) blo += ext;
      else bhi += ext;
      if (pb > 0 && (bytes >= pb || -bytes >= pb)) exact = false;
    }
  }
  trn_ir_footprint_t f = {.p0 = 0, .p1 = 1};
  if (pb == 0) {
    int64_t lo = addr + blo, hi = addr + bhi + es;
    f.b0 = (uint64_t)(lo < 0 ? 0 : lo);
    f.b1 = (uint64_t)(hi < 0 ? 0 : hi);
    return f;
  }
  int64_t p = addr / pb, b = addr % pb;
  if (!exact || b + blo < 0 || b + bhi + es > pb || p + plo < 0) {
    int64_t lo = addr + plo * pb + blo, hi = addr + phi * pb + bhi + es;
    if (lo < 0) lo = 0;
    f.p0 = (uint32_t)(lo / pb);
    f.p1 = (uint32_t)((hi - 1) / pb + 1);
    f.b0 = 0;
    f.b1 = (uint64_t)pb;
    return f;
  }
  f.p0 = (uint32_t)(p + plo);
  f.p1 = (uint32_t)(p + phi + 1);
  f.b0 = (uint64_t)(b + blo);
  f.b1 = (uint64_t)(b + bhi + es);
  if (f.p1 <= 128) {
    /* the exact partition set: partition p, shifted by every index of each
     * partition-stepping dim */
    uint64_t m[2] = {0, 0};
    m[p / 64] = 1ull << (p % 64);
    for (int i = 0; i < TRN_DMA_DIMS; i++) {
      int64_t bytes = step[i] * es, n = (int64_t)d->num[i];
      if (n <= 1 || bytes % pb != 0) continue;
      int64_t ps = bytes / pb;
      uint64_t acc[2] = {0, 0};
      for (int64_t k = 0; k < n; k++) {
        int64_t sh = k * ps; /* every shifted bit stays in [p0, p1) < 128 */
        uint64_t lo = m[0], hi = m[1];
        if (sh >= 64) {
          hi = lo << (sh - 64);
          lo = 0;
        } else if (sh > 0) {
          hi = hi << sh | lo >> (64 - sh);
          lo <<= sh;
        } else if (sh <= -64) {
          lo = hi >> (-sh - 64);
          hi = 0;
        } else if (sh < 0) {
          lo = lo >> -sh | hi << (64 + sh);
          hi >>= -sh;
        }
        acc[0] |= lo;
        acc[1] |= hi;
      }
      m[0] = acc[0];
      m[1] = acc[1];
    }
    f.masked = true;
    f.pmask[0] = m[0];
    f.pmask[1] = m[1];
  }
  return f;
}
