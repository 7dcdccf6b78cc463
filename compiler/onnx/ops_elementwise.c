/* ONNX operators of the elementwise family: arithmetic, unary math, activations,
 * comparisons and logic, Clip, Where, variadic Min/Max/Sum/Mean, and the constant and
 * type operators (Constant, ConstantOfShape, Cast, CastLike).
 *
 * TOSA where it has the op (tosa.add, tosa.exp, tosa.select, ...); arith/math ops on
 * tensors where it has none or where its semantics differ from ONNX's (integer
 * division and remainder, unsigned comparisons, float -> int casts, sqrt, round).
 * arith ops do not broadcast: their operands are tiled to the common shape first.
 * Operators TOSA lacks are decomposed (Softplus = max(x,0) + log(1 + exp(-|x|)), ...).
 * Small constant operands are folded at import (shape computations: Shape -> Sub ->
 * ConstantOfShape), so later nodes can read the result with trn_onnx_input_const. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "mlir-c/BuiltinTypes.h"

/* The newest default-domain opset whose operators below keep the semantics
 * implemented here. */
#define EW_MAX_OPSET 21

/* Constants folded at import have at most this many elements. */
#define EW_FOLD_MAX 4096

/* arith.cmpi predicates (mlir/Dialect/Arith/IR/ArithBase.td). */
enum { EW_CMPI_EQ = 0, EW_CMPI_NE = 1, EW_CMPI_ULT = 6, EW_CMPI_ULE = 7, EW_CMPI_UGT = 8, EW_CMPI_UGE = 9 };

static const MlirValue k_null = {NULL};

/* ---------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------- */

/* Input i, whose element type must be in `classes`. */
static MlirValue input_of(trn_onnx_node_t *n, size_t i, const char *what, unsigned classes) {
  MlirValue v = trn_onnx_input(n, i);
  if (!trn_onnx_require(n, v, what, classes)) return k_null;
  return v;
}

static MlirType elem_of(MlirValue v) { return trn_onnx_element_type(v); }
static MlirType i1_type(trn_onnx_node_t *n) { return mlirIntegerTypeGet(trn_onnx_mlir(n), 1); }

static MlirValue add(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.add", a, b); }
static MlirValue sub(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.sub", a, b); }
static MlirValue mul(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.mul", a, b); }
static MlirValue maximum(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.maximum", a, b); }
static MlirValue minimum(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.minimum", a, b); }
static MlirValue scalar(trn_onnx_node_t *n, MlirValue like, double v) { return trn_onnx_scalar_like(n, like, v); }
/* x * c for a constant c (no op for 1). */
static MlirValue scale(trn_onnx_node_t *n, MlirValue x, double c) {
  return c == 1.0 ? x : mul(n, x, scalar(n, x, c));
}
static MlirValue greater(trn_onnx_node_t *n, MlirValue a, MlirValue b) {
  return trn_onnx_binary_to(n, "tosa.greater", a, b, i1_type(n));
}

/* tosa.select(cond, a, b) with numpy broadcasting of all three. */
static MlirValue select3(trn_onnx_node_t *n, MlirValue c, MlirValue a, MlirValue b) {
  if (trn_onnx_failed(n)) return k_null;
  trn_onnx_shape_t sc = trn_onnx_shape(c), sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), t, out;
  if (!trn_onnx_broadcast(n, &sc, &sa, &t) || !trn_onnx_broadcast(n, &t, &sb, &out)) return k_null;
  MlirValue ops[3] = {trn_onnx_expand_rank(n, c, out.rank), trn_onnx_expand_rank(n, a, out.rank),
                      trn_onnx_expand_rank(n, b, out.rank)};
  return trn_onnx_build(n, "tosa.select", ops, 3, trn_onnx_tensor_type(n, &out, elem_of(a)), NULL, 0);
}

/* An arith op on a and b tiled to their common shape (arith does not broadcast). */
static MlirValue arith2(trn_onnx_node_t *n, const char *op, MlirValue a, MlirValue b, MlirType result_elem,
                        const MlirNamedAttribute *attrs, size_t attr_count) {
  if (trn_onnx_failed(n)) return k_null;
  trn_onnx_shape_t sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), out;
  if (!trn_onnx_broadcast(n, &sa, &sb, &out)) return k_null;
  MlirValue ops[2] = {trn_onnx_broadcast_to(n, a, &out), trn_onnx_broadcast_to(n, b, &out)};
  return trn_onnx_build(n, op, ops, 2, trn_onnx_tensor_type(n, &out, result_elem), attrs, attr_count);
}

static MlirValue cmpi(trn_onnx_node_t *n, int predicate, MlirValue a, MlirValue b) {
  MlirNamedAttribute p = trn_onnx_named(n, "predicate", trn_onnx_int_attr(n, 64, predicate));
  return arith2(n, "arith.cmpi", a, b, i1_type(n), &p, 1);
}

/* An integer divisor with its zeros replaced by 1 (integer division by zero is
 * undefined in ONNX and traps on the host). */
static MlirValue safe_divisor(trn_onnx_node_t *n, MlirValue y) {
  MlirValue zero = scalar(n, y, 0.0);
  MlirValue is_zero = trn_onnx_binary_to(n, "tosa.equal", y, zero, i1_type(n));
  return select3(n, is_zero, scalar(n, y, 1.0), y);
}

static bool input_is_unsigned(trn_onnx_node_t *n, size_t i) { return trn_onnx_input_unsigned(n, i); }

/* Two inputs of the same element type in `classes`. */
static bool two_inputs(trn_onnx_node_t *n, unsigned classes, MlirValue *a, MlirValue *b) {
  *a = input_of(n, 0, "input A", classes);
  *b = input_of(n, 1, "input B", classes);
  return trn_onnx_require_same_elem(n, *a, *b, "inputs A and B");
}

/* A float attribute that must be finite. */
static float attr_finite(trn_onnx_node_t *n, const char *name, float def) {
  float v = trn_onnx_attr_float(n, name, def);
  if (!trn_onnx_failed(n) && !isfinite(v))
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute '%s' must be finite, not %g", name, (double)v);
  return v;
}

/* ---------------------------------------------------------------------------------
 * Folding small constants at import
 * ------------------------------------------------------------------------------- */

static bool elem_is_float(trn_elem_type_t e) {
  return e == TRN_ELEM_F32 || e == TRN_ELEM_F64 || e == TRN_ELEM_F16 || e == TRN_ELEM_BF16;
}

/* Bytes per element in the compute layout (DOUBLE as f32). */
static size_t compute_size(trn_elem_type_t e) { return e == TRN_ELEM_F64 ? 4 : trn_elem_type_size(e); }

static uint16_t float_to_half(float f, bool bf16) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if (bf16) {
    if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40); /* NaN */
    return (uint16_t)((x + 0x7fffu + ((x >> 16) & 1)) >> 16);
  }
  uint32_t sign = (x >> 16) & 0x8000u;
  int32_t exp = (int32_t)((x >> 23) & 0xff) - 127 + 15;
  uint32_t man = x & 0x7fffffu;
  if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
  if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
  if (exp <= 0) {
    if (exp < -10) return (uint16_t)sign;
    man |= 0x800000u;
    uint32_t shift = (uint32_t)(14 - exp);
    uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | ((uint32_t)exp << 10) | (man >> 13), rem = man & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++;
  return (uint16_t)half;
}

/* Stores element k of type `e`: from `d` for float types, from `i` otherwise. */
static void store_elem(trn_elem_type_t e, void *buf, size_t k, double d, int64_t i) {
  uint8_t *p = buf;
  switch (e) {
    case TRN_ELEM_F32:
    case TRN_ELEM_F64: { float f = (float)d; memcpy(p + 4 * k, &f, 4); break; }
    case TRN_ELEM_F16:
    case TRN_ELEM_BF16: { uint16_t h = float_to_half((float)d, e == TRN_ELEM_BF16); memcpy(p + 2 * k, &h, 2); break; }
    case TRN_ELEM_BOOL: p[k] = i != 0; break;
    case TRN_ELEM_I8:
    case TRN_ELEM_U8: p[k] = (uint8_t)i; break;
    case TRN_ELEM_I16:
    case TRN_ELEM_U16: { uint16_t x = (uint16_t)i; memcpy(p + 2 * k, &x, 2); break; }
    case TRN_ELEM_I32:
    case TRN_ELEM_U32: { uint32_t x = (uint32_t)i; memcpy(p + 4 * k, &x, 4); break; }
    default: { uint64_t x = (uint64_t)i; memcpy(p + 8 * k, &x, 8); break; }
  }
}

/* A double to int64 as C's cast would do, without its undefined behaviour. */
static int64_t to_int(double d) {
  if (d != d) return 0;
  if (d >= 9.2233720368547758e18) return INT64_MAX;
  if (d <= -9.2233720368547758e18) return INT64_MIN;
  return (int64_t)d;
}

/* Inputs 0..count-1 when each is a constant of at most EW_FOLD_MAX elements (no
 * error otherwise). */
static bool fold_inputs(trn_onnx_node_t *n, size_t count, trn_onnx_const_t *out) {
  if (trn_onnx_failed(n)) return false;
  for (size_t i = 0; i < count; i++) {
    const void *data;
    size_t size;
    MlirType type;
    if (!trn_onnx_input_constant(n, i, &data, &size, &type)) return false;
    if (!trn_onnx_input_const(n, i, "operand", &out[i])) return false;
    if (trn_onnx_const_count(&out[i]) > EW_FOLD_MAX) return false;
  }
  return true;
}

/* Index into a broadcast operand of shape `s` for flat output index k of `out`. */
static size_t bcast_index(const trn_onnx_shape_t *out, const trn_onnx_shape_t *s, size_t k) {
  size_t idx = 0, stride = 1;
  for (int64_t d = out->rank - 1, e = s->rank - 1; d >= 0; d--, e--) {
    size_t coord = (size_t)(k % (size_t)out->dims[d]);
    k /= (size_t)out->dims[d];
    if (e >= 0) {
      if (s->dims[e] != 1) idx += coord * stride;
      stride *= (size_t)s->dims[e];
    }
  }
  return idx;
}

typedef enum ew_fold_op_t {
  EW_F_ADD, EW_F_SUB, EW_F_MUL, EW_F_DIV, EW_F_MIN, EW_F_MAX, EW_F_EQUAL, EW_F_LESS, EW_F_GREATER,
  EW_F_LESS_EQ, EW_F_GREATER_EQ, EW_F_NEG, EW_F_ABS, EW_F_AND, EW_F_OR, EW_F_XOR, EW_F_NOT,
} ew_fold_op_t;

/* Folds a unary or binary op on constant inputs into a constant output; false when
 * not foldable (then the op is built as usual). Integers compute in int64 with
 * wrap-around at the result width, floats in double rounded to the result type. */
static bool fold(trn_onnx_node_t *n, ew_fold_op_t op, size_t arity) {
  trn_onnx_const_t c[2];
  if (!fold_inputs(n, arity, c)) return false;
  trn_elem_type_t e = c[0].elem;
  if (arity == 2 && c[1].elem != e) return false;
  if (e == TRN_ELEM_U64 || e == TRN_ELEM_UNDEFINED) return false; /* int64 arithmetic below */
  trn_onnx_shape_t out = c[0].shape;
  if (arity == 2 && !trn_onnx_broadcast(n, &c[0].shape, &c[1].shape, &out)) return false;
  size_t count = (size_t)trn_onnx_shape_elements(&out);
  if (count > EW_FOLD_MAX) return false;
  bool is_cmp = op >= EW_F_EQUAL && op <= EW_F_GREATER_EQ;
  trn_elem_type_t re = is_cmp ? TRN_ELEM_BOOL : e;
  bool fl = elem_is_float(e);
  void *buf = malloc(count * compute_size(re) + 8);
  if (!buf) {
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  for (size_t k = 0; k < count; k++) {
    size_t ia = bcast_index(&out, &c[0].shape, k), ib = arity == 2 ? bcast_index(&out, &c[1].shape, k) : 0;
    double da = fl ? trn_onnx_const_double_at(&c[0], ia) : 0, db = 0, d = 0;
    int64_t xa = fl ? 0 : trn_onnx_const_int_at(&c[0], ia), xb = 0, x = 0;
    if (arity == 2) {
      if (fl) db = trn_onnx_const_double_at(&c[1], ib);
      else xb = trn_onnx_const_int_at(&c[1], ib);
    }
    bool t = false;
    switch (op) {
      case EW_F_ADD: d = da + db, x = (int64_t)((uint64_t)xa + (uint64_t)xb); break;
      case EW_F_SUB: d = da - db, x = (int64_t)((uint64_t)xa - (uint64_t)xb); break;
      case EW_F_MUL: d = da * db, x = (int64_t)((uint64_t)xa * (uint64_t)xb); break;
      case EW_F_DIV:
        d = da / db;
        x = xb == 0 || (xb == -1 && xa == INT64_MIN) ? 0 : xa / xb;
        break;
      case EW_F_MIN: d = da < db ? da : db, x = xa < xb ? xa : xb; break;
      case EW_F_MAX: d = da > db ? da : db, x = xa > xb ? xa : xb; break;
      case EW_F_EQUAL: t = fl ? da == db : xa == xb; break;
      case EW_F_LESS: t = fl ? da < db : xa < xb; break;
      case EW_F_GREATER: t = fl ? da > db : xa > xb; break;
      case EW_F_LESS_EQ: t = fl ? da <= db : xa <= xb; break;
      case EW_F_GREATER_EQ: t = fl ? da >= db : xa >= xb; break;
      case EW_F_NEG: d = -da, x = (int64_t)(0 - (uint64_t)xa); break;
      case EW_F_ABS: d = fabs(da), x = xa < 0 ? (int64_t)(0 - (uint64_t)xa) : xa; break;
      case EW_F_AND: x = xa && xb; break;
      case EW_F_OR: x = xa || xb; break;
      case EW_F_XOR: x = (xa != 0) != (xb != 0); break;
      case EW_F_NOT: x = !xa; break;
    }
    if (is_cmp) store_elem(re, buf, k, 0, t);
    else store_elem(re, buf, k, d, x);
  }
  trn_onnx_const_t r = {.elem = re, .shape = out, .data = buf, .size = count * compute_size(re)};
  trn_onnx_set_output_const(n, 0, &r);
  free(buf);
  return !trn_onnx_failed(n);
}

/* ---------------------------------------------------------------------------------
 * Arithmetic
 * ------------------------------------------------------------------------------- */

static trn_status_t binary_arith(trn_onnx_node_t *n, const char *tosa_op, ew_fold_op_t f) {
  if (fold(n, f, 2)) return NULL;
  MlirValue a, b;
  if (!two_inputs(n, TRN_ONNX_NUMERIC, &a, &b)) return NULL;
  trn_onnx_set_output(n, 0, trn_onnx_binary(n, tosa_op, a, b));
  return NULL;
}

static trn_status_t import_add(trn_onnx_node_t *n) { return binary_arith(n, "tosa.add", EW_F_ADD); }
static trn_status_t import_sub(trn_onnx_node_t *n) { return binary_arith(n, "tosa.sub", EW_F_SUB); }
static trn_status_t import_mul(trn_onnx_node_t *n) { return binary_arith(n, "tosa.mul", EW_F_MUL); }

/* Div: floats a * (1/b); integers truncate toward zero (arith.divsi / divui). */
static trn_status_t import_div(trn_onnx_node_t *n) {
  if (fold(n, EW_F_DIV, 2)) return NULL;
  MlirValue a, b;
  if (!two_inputs(n, TRN_ONNX_NUMERIC, &a, &b)) return NULL;
  if (trn_onnx_is_float(elem_of(a))) {
    trn_onnx_set_output(n, 0, mul(n, a, trn_onnx_unary(n, "tosa.reciprocal", b)));
  } else {
    const char *op = input_is_unsigned(n, 0) ? "arith.divui" : "arith.divsi";
    trn_onnx_set_output(n, 0, arith2(n, op, a, safe_divisor(n, b), elem_of(a), NULL, 0));
  }
  return NULL;
}

/* Mod: fmod=1 is C's fmod (sign of the dividend; arith.remf / remsi); fmod=0
 * (integers only) takes the divisor's sign: r = a rem b; r += b where r != 0 and
 * sign(r) != sign(b). */
static trn_status_t import_mod(trn_onnx_node_t *n) {
  int64_t fmod_attr = trn_onnx_attr_int(n, "fmod", 0);
  if (fmod_attr != 0 && fmod_attr != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'fmod' must be 0 or 1, not %lld",
                          (long long)fmod_attr);
  MlirValue a, b;
  if (!two_inputs(n, TRN_ONNX_NUMERIC, &a, &b)) return NULL;
  MlirType t = elem_of(a);
  if (trn_onnx_is_float(t)) {
    if (fmod_attr != 1)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'fmod' must be 1 for float inputs, not 0");
    trn_onnx_set_output(n, 0, arith2(n, "arith.remf", a, b, t, NULL, 0));
    return NULL;
  }
  bool is_u = input_is_unsigned(n, 0);
  MlirValue r = arith2(n, is_u ? "arith.remui" : "arith.remsi", a, safe_divisor(n, b), t, NULL, 0);
  if (fmod_attr == 0 && !is_u) {
    MlirValue zero = scalar(n, r, 0.0);
    MlirValue r_neg = greater(n, zero, r), b_neg = greater(n, zero, b);
    MlirValue r_nz = trn_onnx_unary(n, "tosa.logical_not",
                                    trn_onnx_binary_to(n, "tosa.equal", r, zero, i1_type(n)));
    MlirValue differ = trn_onnx_binary_to(n, "tosa.logical_xor", r_neg, b_neg, i1_type(n));
    MlirValue fix = trn_onnx_binary_to(n, "tosa.logical_and", r_nz, differ, i1_type(n));
    r = select3(n, fix, add(n, r, b), r);
  }
  trn_onnx_set_output(n, 0, r);
  return NULL;
}

/* Pow: the result has the base's type. Float bases: tosa.pow with the exponent cast
 * to the base type; integer bases compute in f32 and truncate back. */
static trn_status_t import_pow(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_NUMERIC), y = input_of(n, 1, "input Y", TRN_ONNX_NUMERIC);
  if (trn_onnx_failed(n)) return NULL;
  trn_elem_type_t xe = trn_onnx_input_elem(n, 0), ye = trn_onnx_input_elem(n, 1);
  if (trn_onnx_is_float(elem_of(x))) {
    MlirValue yc = trn_onnx_convert(n, y, ye, trn_onnx_elem_of_type(elem_of(x)));
    trn_onnx_set_output(n, 0, trn_onnx_binary(n, "tosa.pow", x, yc));
    return NULL;
  }
  MlirValue xf = trn_onnx_convert(n, x, xe, TRN_ELEM_F32), yf = trn_onnx_convert(n, y, ye, TRN_ELEM_F32);
  MlirValue p = trn_onnx_binary(n, "tosa.pow", xf, yf);
  /* Round before truncating: powf of integers may land just below the exact value. */
  p = trn_onnx_unary(n, "math.roundeven", p);
  trn_onnx_set_output_elem(n, 0, trn_onnx_convert(n, p, TRN_ELEM_F32, xe), xe);
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Unary math
 * ------------------------------------------------------------------------------- */

/* A unary op on an input of `classes`, result of the input's type. */
static trn_status_t unary(trn_onnx_node_t *n, const char *op, unsigned classes) {
  MlirValue x = input_of(n, 0, "input X", classes);
  trn_onnx_set_output(n, 0, trn_onnx_unary(n, op, x));
  return NULL;
}

static trn_status_t import_sqrt(trn_onnx_node_t *n) { return unary(n, "math.sqrt", TRN_ONNX_FLOAT); }
static trn_status_t import_reciprocal(trn_onnx_node_t *n) { return unary(n, "tosa.reciprocal", TRN_ONNX_FLOAT); }
static trn_status_t import_exp(trn_onnx_node_t *n) { return unary(n, "tosa.exp", TRN_ONNX_FLOAT); }
static trn_status_t import_log(trn_onnx_node_t *n) { return unary(n, "tosa.log", TRN_ONNX_FLOAT); }
static trn_status_t import_sin(trn_onnx_node_t *n) { return unary(n, "tosa.sin", TRN_ONNX_FLOAT); }
static trn_status_t import_cos(trn_onnx_node_t *n) { return unary(n, "tosa.cos", TRN_ONNX_FLOAT); }
static trn_status_t import_floor(trn_onnx_node_t *n) { return unary(n, "tosa.floor", TRN_ONNX_FLOAT); }
static trn_status_t import_ceil(trn_onnx_node_t *n) { return unary(n, "tosa.ceil", TRN_ONNX_FLOAT); }
/* Round: half to even. */
static trn_status_t import_round(trn_onnx_node_t *n) { return unary(n, "math.roundeven", TRN_ONNX_FLOAT); }
static trn_status_t import_tanh(trn_onnx_node_t *n) { return unary(n, "tosa.tanh", TRN_ONNX_FLOAT); }
static trn_status_t import_sigmoid(trn_onnx_node_t *n) { return unary(n, "tosa.sigmoid", TRN_ONNX_FLOAT); }
static trn_status_t import_erf(trn_onnx_node_t *n) { return unary(n, "tosa.erf", TRN_ONNX_FLOAT); }

static trn_status_t import_neg(trn_onnx_node_t *n) {
  if (fold(n, EW_F_NEG, 1)) return NULL;
  return unary(n, "tosa.negate", TRN_ONNX_NUMERIC);
}

/* Abs: tosa.abs; unsigned integers are their own absolute value. */
static trn_status_t import_abs(trn_onnx_node_t *n) {
  if (fold(n, EW_F_ABS, 1)) return NULL;
  if (input_is_unsigned(n, 0)) {
    trn_onnx_set_output(n, 0, input_of(n, 0, "input X", TRN_ONNX_INT));
    return NULL;
  }
  return unary(n, "tosa.abs", TRN_ONNX_NUMERIC);
}

/* Sign: (x > 0) - (x < 0) in x's type (0 for 0 and NaN). */
static trn_status_t import_sign(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_NUMERIC);
  if (trn_onnx_failed(n)) return NULL;
  MlirType t = elem_of(x);
  MlirValue zero = scalar(n, x, 0.0);
  MlirValue pos = greater(n, x, zero);
  if (input_is_unsigned(n, 0)) {
    trn_onnx_set_output(n, 0, trn_onnx_cast(n, pos, t));
    return NULL;
  }
  MlirValue neg = greater(n, zero, x);
  trn_onnx_set_output(n, 0, sub(n, trn_onnx_cast(n, pos, t), trn_onnx_cast(n, neg, t)));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Activations
 * ------------------------------------------------------------------------------- */

/* Relu: tosa.clamp [0, +max] for floats, max(x, 0) for integers. */
static trn_status_t import_relu(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_NUMERIC);
  if (trn_onnx_failed(n)) return NULL;
  if (!trn_onnx_is_float(elem_of(x))) {
    trn_onnx_set_output(n, 0, input_is_unsigned(n, 0) ? x : maximum(n, x, scalar(n, x, 0.0)));
    return NULL;
  }
  MlirNamedAttribute attrs[4] = {
      trn_onnx_named(n, "min_fp", trn_onnx_f32_attr(n, 0.0f)),
      trn_onnx_named(n, "max_fp", trn_onnx_f32_attr(n, FLT_MAX)),
      trn_onnx_named(n, "min_int", trn_onnx_int_attr(n, 64, 0)),
      trn_onnx_named(n, "max_int", trn_onnx_int_attr(n, 64, INT64_MAX)),
  };
  trn_onnx_set_output(n, 0, trn_onnx_build(n, "tosa.clamp", &x, 1, mlirValueGetType(x), attrs, 4));
  return NULL;
}

/* tosa.clamp of a float tensor to [lo, hi]. */
static MlirValue clamp_fp(trn_onnx_node_t *n, MlirValue x, float lo, float hi) {
  MlirNamedAttribute attrs[4] = {
      trn_onnx_named(n, "min_fp", trn_onnx_f32_attr(n, lo)),
      trn_onnx_named(n, "max_fp", trn_onnx_f32_attr(n, hi)),
      trn_onnx_named(n, "min_int", trn_onnx_int_attr(n, 64, 0)),
      trn_onnx_named(n, "max_int", trn_onnx_int_attr(n, 64, 0)),
  };
  if (trn_onnx_failed(n)) return k_null;
  return trn_onnx_build(n, "tosa.clamp", &x, 1, mlirValueGetType(x), attrs, 4);
}

/* LeakyRelu: x < 0 ? alpha * x : x. */
static trn_status_t import_leaky_relu(trn_onnx_node_t *n) {
  float alpha = attr_finite(n, "alpha", 0.01f);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue neg = greater(n, scalar(n, x, 0.0), x);
  trn_onnx_set_output(n, 0, select3(n, neg, scale(n, x, alpha), x));
  return NULL;
}

/* PRelu: x < 0 ? slope * x : x, slope broadcast to X (unidirectionally). */
static trn_status_t import_prelu(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_NUMERIC), slope = input_of(n, 1, "input slope", TRN_ONNX_NUMERIC);
  if (!trn_onnx_require_same_elem(n, x, slope, "inputs X and slope")) return NULL;
  trn_onnx_shape_t sx = trn_onnx_shape(x), ss = trn_onnx_shape(slope), out;
  if (!trn_onnx_broadcast(n, &sx, &ss, &out)) return NULL;
  if (out.rank != sx.rank || trn_onnx_shape_elements(&out) != trn_onnx_shape_elements(&sx)) {
    char a[128], b[128];
    return trn_onnx_error(n, TRN_ERR_FORMAT, "slope %s does not broadcast to X %s",
                          trn_onnx_shape_str(&ss, a, sizeof a), trn_onnx_shape_str(&sx, b, sizeof b));
  }
  MlirValue neg = greater(n, scalar(n, x, 0.0), x);
  trn_onnx_set_output(n, 0, select3(n, neg, mul(n, x, slope), x));
  return NULL;
}

/* Elu: x < 0 ? alpha * (exp(x) - 1) : x. */
static trn_status_t import_elu(trn_onnx_node_t *n) {
  float alpha = attr_finite(n, "alpha", 1.0f);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue em1 = sub(n, trn_onnx_unary(n, "tosa.exp", x), scalar(n, x, 1.0));
  MlirValue neg = greater(n, scalar(n, x, 0.0), x);
  trn_onnx_set_output(n, 0, select3(n, neg, scale(n, em1, alpha), x));
  return NULL;
}

/* Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)). */
static trn_status_t import_celu(trn_onnx_node_t *n) {
  float alpha = attr_finite(n, "alpha", 1.0f);
  if (!trn_onnx_failed(n) && alpha == 0.0f)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'alpha' must not be 0");
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue zero = scalar(n, x, 0.0);
  MlirValue e = trn_onnx_unary(n, "tosa.exp", scale(n, x, 1.0 / (double)alpha));
  MlirValue neg = minimum(n, zero, scale(n, sub(n, e, scalar(n, x, 1.0)), alpha));
  trn_onnx_set_output(n, 0, add(n, maximum(n, zero, x), neg));
  return NULL;
}

/* Selu: gamma * (x <= 0 ? alpha * (exp(x) - 1) : x). */
static trn_status_t import_selu(trn_onnx_node_t *n) {
  float alpha = attr_finite(n, "alpha", 1.67326319217681884765625f);
  float gamma = attr_finite(n, "gamma", 1.05070102214813232421875f);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue em1 = sub(n, trn_onnx_unary(n, "tosa.exp", x), scalar(n, x, 1.0));
  MlirValue pos = greater(n, x, scalar(n, x, 0.0));
  MlirValue y = select3(n, pos, x, scale(n, em1, alpha));
  trn_onnx_set_output(n, 0, scale(n, y, gamma));
  return NULL;
}

/* max(0, min(1, alpha * x + beta)). */
static MlirValue hard_sigmoid(trn_onnx_node_t *n, MlirValue x, float alpha, float beta) {
  MlirValue y = add(n, scale(n, x, alpha), scalar(n, x, beta));
  return clamp_fp(n, y, 0.0f, 1.0f);
}

static trn_status_t import_hard_sigmoid(trn_onnx_node_t *n) {
  float alpha = attr_finite(n, "alpha", 0.2f), beta = attr_finite(n, "beta", 0.5f);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  trn_onnx_set_output(n, 0, hard_sigmoid(n, x, alpha, beta));
  return NULL;
}

/* HardSwish: x * HardSigmoid(x) with alpha 1/6, beta 0.5. */
static trn_status_t import_hard_swish(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  trn_onnx_set_output(n, 0, mul(n, x, hard_sigmoid(n, x, 1.0f / 6.0f, 0.5f)));
  return NULL;
}

/* ThresholdedRelu: x > alpha ? x : 0. */
static trn_status_t import_thresholded_relu(trn_onnx_node_t *n) {
  float alpha = attr_finite(n, "alpha", 1.0f);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  trn_onnx_set_output(n, 0, select3(n, greater(n, x, scalar(n, x, alpha)), x, scalar(n, x, 0.0)));
  return NULL;
}

/* Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0. */
static trn_status_t import_shrink(trn_onnx_node_t *n) {
  float bias = attr_finite(n, "bias", 0.0f), lambd = attr_finite(n, "lambd", 0.5f);
  if (!trn_onnx_failed(n) && lambd < 0.0f)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'lambd' must be >= 0, not %g", (double)lambd);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_NUMERIC);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue lo = greater(n, scalar(n, x, -lambd), x), hi = greater(n, x, scalar(n, x, lambd));
  MlirValue y = select3(n, hi, sub(n, x, scalar(n, x, bias)), scalar(n, x, 0.0));
  trn_onnx_set_output(n, 0, select3(n, lo, add(n, x, scalar(n, x, bias)), y));
  return NULL;
}

/* Gelu: 0.5 x (1 + erf(x / sqrt 2)), or with approximate="tanh"
 * 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
static trn_status_t import_gelu(trn_onnx_node_t *n) {
  char approx[16];
  trn_onnx_attr_string(n, "approximate", "none", approx, sizeof approx);
  bool use_tanh = strcmp(approx, "tanh") == 0;
  if (!trn_onnx_failed(n) && !use_tanh && strcmp(approx, "none") != 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'approximate' must be \"none\" or \"tanh\", not \"%s\"",
                          approx);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue inner;
  if (use_tanh) {
    MlirValue x3 = mul(n, mul(n, x, x), x);
    MlirValue t = add(n, x, scale(n, x3, 0.044715));
    inner = trn_onnx_unary(n, "tosa.tanh", scale(n, t, 0.7978845608028654));
  } else {
    inner = trn_onnx_unary(n, "tosa.erf", scale(n, x, 0.7071067811865476));
  }
  MlirValue half_x = scale(n, x, 0.5);
  trn_onnx_set_output(n, 0, mul(n, half_x, add(n, inner, scalar(n, x, 1.0))));
  return NULL;
}

/* log(1 + exp(x)), stable: max(x, 0) + log(1 + exp(-|x|)). */
static MlirValue softplus(trn_onnx_node_t *n, MlirValue x) {
  MlirValue e = trn_onnx_unary(n, "tosa.exp", trn_onnx_unary(n, "tosa.negate", trn_onnx_unary(n, "tosa.abs", x)));
  MlirValue l = trn_onnx_unary(n, "tosa.log", add(n, e, scalar(n, x, 1.0)));
  return add(n, maximum(n, x, scalar(n, x, 0.0)), l);
}

static trn_status_t import_softplus(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  trn_onnx_set_output(n, 0, softplus(n, x));
  return NULL;
}

/* Softsign: x / (1 + |x|). */
static trn_status_t import_softsign(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue d = add(n, trn_onnx_unary(n, "tosa.abs", x), scalar(n, x, 1.0));
  trn_onnx_set_output(n, 0, mul(n, x, trn_onnx_unary(n, "tosa.reciprocal", d)));
  return NULL;
}

/* Mish: x * tanh(softplus(x)). */
static trn_status_t import_mish(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  trn_onnx_set_output(n, 0, mul(n, x, trn_onnx_unary(n, "tosa.tanh", softplus(n, x))));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Clip, variadic Min/Max/Sum/Mean, Where
 * ------------------------------------------------------------------------------- */

/* A scalar bound (input i of Clip): a one-element tensor reshaped to x's rank. */
static MlirValue clip_bound(trn_onnx_node_t *n, MlirValue x, size_t i, const char *what) {
  MlirValue b = trn_onnx_input(n, i);
  if (!trn_onnx_require_same_elem(n, x, b, what)) return k_null;
  trn_onnx_shape_t s = trn_onnx_shape(b), one = trn_onnx_shape(x);
  if (trn_onnx_shape_elements(&s) != 1) {
    char buf[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "%s must be a scalar, not of shape %s", what,
                   trn_onnx_shape_str(&s, buf, sizeof buf));
    return k_null;
  }
  for (int64_t d = 0; d < one.rank; d++) one.dims[d] = 1;
  return trn_onnx_reshape(n, b, &one);
}

/* Clip: min(max(x, lo), hi) (numpy's order: lo > hi gives hi). Opset < 11 takes the
 * bounds from attributes, later opsets from optional inputs 1 and 2. */
static trn_status_t import_clip(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input", TRN_ONNX_NUMERIC);
  if (trn_onnx_failed(n)) return NULL;
  bool is_u = input_is_unsigned(n, 0);
  if (trn_onnx_node_opset(n) < 11) {
    float lo = trn_onnx_attr_float(n, "min", -FLT_MAX), hi = trn_onnx_attr_float(n, "max", FLT_MAX);
    if (trn_onnx_failed(n)) return NULL;
    if (lo != lo || hi != hi) return trn_onnx_error(n, TRN_ERR_FORMAT, "attributes 'min'/'max' must not be NaN");
    if (lo <= hi) {
      trn_onnx_set_output(n, 0, clamp_fp(n, x, lo, hi));
    } else {
      trn_onnx_set_output(n, 0, minimum(n, maximum(n, x, scalar(n, x, lo)), scalar(n, x, hi)));
    }
    return NULL;
  }
  /* Constant float bounds: one tosa.clamp. */
  double b[2] = {-FLT_MAX, FLT_MAX};
  bool constant = trn_onnx_is_float(elem_of(x));
  for (size_t i = 1; i <= 2 && constant; i++) {
    const void *data;
    size_t size;
    MlirType type;
    trn_onnx_const_t c;
    if (!trn_onnx_has_input(n, i)) continue;
    constant = trn_onnx_input_constant(n, i, &data, &size, &type) &&
               trn_onnx_input_const(n, i, i == 1 ? "min" : "max", &c) && trn_onnx_const_count(&c) == 1;
    if (constant) b[i - 1] = trn_onnx_const_double_at(&c, 0);
    constant = constant && b[i - 1] == b[i - 1];
  }
  if (trn_onnx_failed(n)) return NULL;
  if (constant && b[0] <= b[1]) {
    trn_onnx_set_output(n, 0, clamp_fp(n, x, (float)b[0], (float)b[1]));
    return NULL;
  }
  MlirValue y = x;
  if (trn_onnx_has_input(n, 1)) {
    MlirValue lo = clip_bound(n, x, 1, "input min");
    y = is_u ? arith2(n, "arith.maxui", y, lo, elem_of(x), NULL, 0) : maximum(n, y, lo);
  }
  if (trn_onnx_has_input(n, 2)) {
    MlirValue hi = clip_bound(n, x, 2, "input max");
    y = is_u ? arith2(n, "arith.minui", y, hi, elem_of(x), NULL, 0) : minimum(n, y, hi);
  }
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

/* Folds a variadic op over its inputs with `step`. */
static MlirValue variadic(trn_onnx_node_t *n, MlirValue (*step)(trn_onnx_node_t *, MlirValue, MlirValue),
                          unsigned classes) {
  size_t count = trn_onnx_input_count(n);
  if (count == 0) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "needs at least one input");
    return k_null;
  }
  MlirValue acc = input_of(n, 0, "input 0", classes);
  for (size_t i = 1; i < count && !trn_onnx_failed(n); i++) {
    char what[32];
    snprintf(what, sizeof what, "input %zu", i);
    MlirValue v = input_of(n, i, what, classes);
    if (!trn_onnx_require_same_elem(n, acc, v, "the inputs")) break;
    acc = step(n, acc, v);
  }
  return trn_onnx_failed(n) ? k_null : acc;
}

static MlirValue max_u(trn_onnx_node_t *n, MlirValue a, MlirValue b) {
  return arith2(n, "arith.maxui", a, b, elem_of(a), NULL, 0);
}
static MlirValue min_u(trn_onnx_node_t *n, MlirValue a, MlirValue b) {
  return arith2(n, "arith.minui", a, b, elem_of(a), NULL, 0);
}

static trn_status_t import_max(trn_onnx_node_t *n) {
  if (trn_onnx_input_count(n) == 2 && fold(n, EW_F_MAX, 2)) return NULL;
  trn_onnx_set_output(n, 0, variadic(n, input_is_unsigned(n, 0) ? max_u : maximum, TRN_ONNX_NUMERIC));
  return NULL;
}

static trn_status_t import_min(trn_onnx_node_t *n) {
  if (trn_onnx_input_count(n) == 2 && fold(n, EW_F_MIN, 2)) return NULL;
  trn_onnx_set_output(n, 0, variadic(n, input_is_unsigned(n, 0) ? min_u : minimum, TRN_ONNX_NUMERIC));
  return NULL;
}

static trn_status_t import_sum(trn_onnx_node_t *n) {
  trn_onnx_set_output(n, 0, variadic(n, add, TRN_ONNX_NUMERIC));
  return NULL;
}

static trn_status_t import_mean(trn_onnx_node_t *n) {
  MlirValue s = variadic(n, add, TRN_ONNX_FLOAT);
  trn_onnx_set_output(n, 0, scale(n, s, 1.0 / (double)trn_onnx_input_count(n)));
  return NULL;
}

/* Where: tosa.select with numpy broadcasting of the three inputs. */
static trn_status_t import_where(trn_onnx_node_t *n) {
  MlirValue c = input_of(n, 0, "input condition", TRN_ONNX_BOOL);
  MlirValue x = input_of(n, 1, "input X", TRN_ONNX_ANY), y = input_of(n, 2, "input Y", TRN_ONNX_ANY);
  if (!trn_onnx_require_same_elem(n, x, y, "inputs X and Y")) return NULL;
  MlirValue r = select3(n, c, x, y);
  trn_elem_type_t e = trn_onnx_input_elem(n, 1);
  trn_onnx_set_output_elem(n, 0, r, e);
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Comparisons and logic
 * ------------------------------------------------------------------------------- */

/* A comparison a OP b: `tosa_op` with the operands swapped when `swap`; unsigned
 * integers use arith.cmpi with `upred`. */
static trn_status_t compare(trn_onnx_node_t *n, const char *tosa_op, bool swap, int upred, ew_fold_op_t f) {
  if (fold(n, f, 2)) return NULL;
  MlirValue a, b;
  if (!two_inputs(n, TRN_ONNX_ANY, &a, &b)) return NULL;
  MlirValue r;
  if (trn_onnx_is_bool(elem_of(a))) {
    /* i1 compares as unsigned 0/1. */
    r = cmpi(n, upred, a, b);
  } else if (input_is_unsigned(n, 0) && upred != EW_CMPI_EQ) {
    r = cmpi(n, upred, a, b);
  } else {
    r = swap ? trn_onnx_binary_to(n, tosa_op, b, a, i1_type(n)) : trn_onnx_binary_to(n, tosa_op, a, b, i1_type(n));
  }
  trn_onnx_set_output_elem(n, 0, r, TRN_ELEM_BOOL);
  return NULL;
}

static trn_status_t import_equal(trn_onnx_node_t *n) { return compare(n, "tosa.equal", false, EW_CMPI_EQ, EW_F_EQUAL); }
static trn_status_t import_greater(trn_onnx_node_t *n) { return compare(n, "tosa.greater", false, EW_CMPI_UGT, EW_F_GREATER); }
static trn_status_t import_less(trn_onnx_node_t *n) { return compare(n, "tosa.greater", true, EW_CMPI_ULT, EW_F_LESS); }
static trn_status_t import_greater_equal(trn_onnx_node_t *n) {
  return compare(n, "tosa.greater_equal", false, EW_CMPI_UGE, EW_F_GREATER_EQ);
}
static trn_status_t import_less_equal(trn_onnx_node_t *n) {
  return compare(n, "tosa.greater_equal", true, EW_CMPI_ULE, EW_F_LESS_EQ);
}

static trn_status_t logic2(trn_onnx_node_t *n, const char *op, ew_fold_op_t f) {
  if (fold(n, f, 2)) return NULL;
  MlirValue a, b;
  if (!two_inputs(n, TRN_ONNX_BOOL, &a, &b)) return NULL;
  trn_onnx_set_output(n, 0, trn_onnx_binary_to(n, op, a, b, i1_type(n)));
  return NULL;
}

static trn_status_t import_and(trn_onnx_node_t *n) { return logic2(n, "tosa.logical_and", EW_F_AND); }
static trn_status_t import_or(trn_onnx_node_t *n) { return logic2(n, "tosa.logical_or", EW_F_OR); }
static trn_status_t import_xor(trn_onnx_node_t *n) { return logic2(n, "tosa.logical_xor", EW_F_XOR); }
static trn_status_t import_not(trn_onnx_node_t *n) {
  if (fold(n, EW_F_NOT, 1)) return NULL;
  return unary(n, "tosa.logical_not", TRN_ONNX_BOOL);
}

/* BitShift: arith.shli / shrui (ONNX defines it for unsigned integers). */
static trn_status_t import_bitshift(trn_onnx_node_t *n) {
  char dir[16];
  trn_onnx_attr_string(n, "direction", "", dir, sizeof dir);
  bool left = strcmp(dir, "LEFT") == 0;
  if (!trn_onnx_failed(n) && !left && strcmp(dir, "RIGHT") != 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'direction' must be \"LEFT\" or \"RIGHT\", not \"%s\"", dir);
  MlirValue a, b;
  if (!two_inputs(n, TRN_ONNX_INT, &a, &b)) return NULL;
  trn_onnx_set_output(n, 0, arith2(n, left ? "arith.shli" : "arith.shrui", a, b, elem_of(a), NULL, 0));
  return NULL;
}

/* IsNaN: x != x. */
static trn_status_t import_isnan(trn_onnx_node_t *n) {
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  MlirValue eq = trn_onnx_binary_to(n, "tosa.equal", x, x, i1_type(n));
  trn_onnx_set_output_elem(n, 0, trn_onnx_unary(n, "tosa.logical_not", eq), TRN_ELEM_BOOL);
  return NULL;
}

/* IsInf: x == +inf (detect_positive) or x == -inf (detect_negative). */
static trn_status_t import_isinf(trn_onnx_node_t *n) {
  int64_t pos = trn_onnx_attr_int(n, "detect_positive", 1), neg = trn_onnx_attr_int(n, "detect_negative", 1);
  MlirValue x = input_of(n, 0, "input X", TRN_ONNX_FLOAT);
  if (trn_onnx_failed(n)) return NULL;
  MlirValue r = k_null;
  if (pos) r = trn_onnx_binary_to(n, "tosa.equal", x, scalar(n, x, INFINITY), i1_type(n));
  if (neg) {
    MlirValue m = trn_onnx_binary_to(n, "tosa.equal", x, scalar(n, x, -INFINITY), i1_type(n));
    r = pos ? trn_onnx_binary_to(n, "tosa.logical_or", r, m, i1_type(n)) : m;
  }
  if (!pos && !neg) {
    trn_onnx_shape_t s = trn_onnx_shape(x);
    r = trn_onnx_splat(n, &s, i1_type(n), 0.0);
  }
  trn_onnx_set_output_elem(n, 0, r, TRN_ELEM_BOOL);
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Constants and types
 * ------------------------------------------------------------------------------- */

/* Constant: exactly one of value (TENSOR), value_float(s), value_int(s). */
static trn_status_t import_constant(trn_onnx_node_t *n) {
  static const char *const k_unsupported[] = {"sparse_value", "value_string", "value_strings"};
  for (size_t i = 0; i < sizeof k_unsupported / sizeof k_unsupported[0]; i++)
    if (trn_onnx_has_attr(n, k_unsupported[i]))
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "attribute '%s' is not supported", k_unsupported[i]);
  static const char *const k_kinds[] = {"value", "value_float", "value_floats", "value_int", "value_ints"};
  int which = -1, given = 0;
  for (int i = 0; i < 5; i++)
    if (trn_onnx_has_attr(n, k_kinds[i])) which = i, given++;
  if (given != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT,
                          "needs exactly one of the attributes value, value_float, value_floats, "
                          "value_int, value_ints (%d given)",
                          given);
  trn_onnx_const_t c = {0};
  float f;
  int64_t i64;
  const float *fs;
  const int64_t *is;
  switch (which) {
    case 0:
      if (!trn_onnx_attr_tensor(n, "value", &c)) return NULL;
      break;
    case 1:
      f = trn_onnx_attr_float(n, "value_float", 0.0f);
      c = (trn_onnx_const_t){.elem = TRN_ELEM_F32, .shape = {0, {0}}, .data = &f, .size = 4};
      break;
    case 2:
      c.elem = TRN_ELEM_F32;
      c.shape = (trn_onnx_shape_t){1, {(int64_t)trn_onnx_attr_floats(n, "value_floats", &fs)}};
      c.data = fs, c.size = 4 * (size_t)c.shape.dims[0];
      break;
    case 3:
      i64 = trn_onnx_attr_int(n, "value_int", 0);
      c = (trn_onnx_const_t){.elem = TRN_ELEM_I64, .shape = {0, {0}}, .data = &i64, .size = 8};
      break;
    default:
      c.elem = TRN_ELEM_I64;
      c.shape = (trn_onnx_shape_t){1, {(int64_t)trn_onnx_attr_ints(n, "value_ints", &is)}};
      c.data = is, c.size = 8 * (size_t)c.shape.dims[0];
      break;
  }
  if (trn_onnx_failed(n)) return NULL;
  trn_onnx_set_output_const(n, 0, &c);
  return NULL;
}

/* ConstantOfShape: a tensor of the (constant) shape input filled with the one-element
 * `value` attribute (default float 0). */
static trn_status_t import_constant_of_shape(trn_onnx_node_t *n) {
  int64_t dims[TRN_MAX_RANK + 1];
  size_t rank = 0;
  if (!trn_onnx_input_ints(n, 0, "shape", dims, TRN_MAX_RANK + 1, &rank)) return NULL;
  if (rank > TRN_MAX_RANK)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "rank %zu exceeds the maximum %d", rank, TRN_MAX_RANK);
  trn_onnx_shape_t shape = {(int64_t)rank, {0}};
  for (size_t i = 0; i < rank; i++) {
    if (dims[i] < 0 || dims[i] > (INT64_C(1) << 32))
      return trn_onnx_error(n, TRN_ERR_FORMAT, "shape entry %zu is %lld", i, (long long)dims[i]);
    shape.dims[i] = dims[i];
  }
  trn_onnx_const_t v;
  float zero = 0.0f;
  if (!trn_onnx_attr_tensor(n, "value", &v)) {
    if (trn_onnx_failed(n)) return NULL;
    v = (trn_onnx_const_t){.elem = TRN_ELEM_F32, .shape = {1, {1}}, .data = &zero, .size = 4};
  }
  if (trn_onnx_const_count(&v) != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'value' must hold one element, not %zu",
                          trn_onnx_const_count(&v));
  size_t count = (size_t)trn_onnx_shape_elements(&shape);
  if (count <= EW_FOLD_MAX) {
    size_t esize = compute_size(v.elem);
    uint8_t *buf = malloc(count * esize + 8);
    if (!buf) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    for (size_t k = 0; k < count; k++) memcpy(buf + k * esize, v.data, esize);
    trn_onnx_const_t r = {.elem = v.elem, .shape = shape, .data = buf, .size = count * esize};
    trn_onnx_set_output_const(n, 0, &r);
    free(buf);
    return NULL;
  }
  MlirType et = trn_onnx_elem_type(n, v.elem);
  if (mlirTypeIsNull(et))
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "element type %s is not supported", trn_elem_type_name(v.elem));
  MlirValue r = trn_onnx_splat(n, &shape, et,
                               elem_is_float(v.elem) ? trn_onnx_const_double_at(&v, 0)
                                                     : (double)trn_onnx_const_int_at(&v, 0));
  trn_onnx_set_output_elem(n, 0, r, v.elem);
  return NULL;
}

/* A constant converted to ONNX type `to` (Cast folded at import). */
static bool fold_cast(trn_onnx_node_t *n, trn_elem_type_t to) {
  trn_onnx_const_t c;
  if (!fold_inputs(n, 1, &c)) return false;
  size_t count = trn_onnx_const_count(&c);
  void *buf = malloc(count * compute_size(to) + 8);
  if (!buf) {
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    return false;
  }
  bool from_float = elem_is_float(c.elem);
  for (size_t k = 0; k < count; k++) {
    double d = trn_onnx_const_double_at(&c, k);
    int64_t i = from_float ? (to == TRN_ELEM_BOOL ? d != 0.0 : to_int(d)) : trn_onnx_const_int_at(&c, k);
    store_elem(to, buf, k, d, i);
  }
  trn_onnx_const_t r = {.elem = to, .shape = c.shape, .data = buf, .size = count * compute_size(to)};
  trn_onnx_set_output_const(n, 0, &r);
  free(buf);
  return !trn_onnx_failed(n);
}

/* The ONNX type `to` of Cast, validated. */
static bool cast_target(trn_onnx_node_t *n, int64_t to, const char *what) {
  if (to <= 0 || to > 16 || to == 14 || to == 15 || to == 8) {
    if (to == 8 || to == 14 || to == 15)
      trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%s %s is not supported", what,
                     to == 8 ? "STRING" : to == 14 ? "COMPLEX64" : "COMPLEX128");
    else if (to > 16 && to <= 23)
      trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%s (data type %lld, a float8/int4 type) is not supported",
                     what, (long long)to);
    else
      trn_onnx_error(n, TRN_ERR_FORMAT, "%s (data type %lld) is not a valid ONNX data type", what, (long long)to);
    return false;
  }
  return true;
}

static trn_status_t cast_to(trn_onnx_node_t *n, trn_elem_type_t to) {
  if (fold_cast(n, to)) return NULL;
  MlirValue x = trn_onnx_input(n, 0);
  trn_elem_type_t from = trn_onnx_input_elem(n, 0);
  if (trn_onnx_failed(n)) return NULL;
  if (from == TRN_ELEM_STRING || from == TRN_ELEM_UNDEFINED)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "Cast from %s is not supported", trn_elem_type_name(from));
  trn_onnx_set_output_elem(n, 0, trn_onnx_convert(n, x, from, to), to);
  return NULL;
}

/* Cast (`to` attribute); opset 19's `saturate` only concerns float8 types. */
static trn_status_t import_cast(trn_onnx_node_t *n) {
  if (!trn_onnx_has_attr(n, "to")) return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'to' is required");
  int64_t to = trn_onnx_attr_int(n, "to", 0);
  if (trn_onnx_failed(n) || !cast_target(n, to, "Cast to")) return NULL;
  return cast_to(n, (trn_elem_type_t)to);
}

/* CastLike: Cast to the element type of input 1. */
static trn_status_t import_cast_like(trn_onnx_node_t *n) {
  trn_elem_type_t to = trn_onnx_input_elem(n, 1);
  if (!trn_onnx_has_input(n, 1)) return trn_onnx_error(n, TRN_ERR_FORMAT, "required input 1 is missing");
  if (!cast_target(n, (int64_t)to, "CastLike to")) return NULL;
  return cast_to(n, to);
}

/* ---------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------- */

#define EW_ROW(op, lo, fn, summary) {{"", op, lo, EW_MAX_OPSET, summary}, fn}

static const trn_onnx_op_t k_ops[] = {
    EW_ROW("Abs", 6, import_abs, "tosa.abs"),
    EW_ROW("Add", 7, import_add, "tosa.add (numpy broadcasting by reshape)"),
    EW_ROW("And", 7, import_and, "tosa.logical_and"),
    EW_ROW("BitShift", 11, import_bitshift, "arith.shli / arith.shrui (operands tiled)"),
    EW_ROW("Cast", 6, import_cast, "tosa.cast; arith.fptosi/fptoui (truncation), uitofp, extui for unsigned"),
    EW_ROW("CastLike", 15, import_cast_like, "as Cast, to input 1's element type"),
    EW_ROW("Ceil", 6, import_ceil, "tosa.ceil"),
    EW_ROW("Celu", 12, import_celu, "max(0,x) + min(0, alpha*(exp(x/alpha)-1))"),
    EW_ROW("Clip", 6, import_clip, "tosa.clamp (attributes) or tosa.maximum/minimum (inputs, opset 11+)"),
    EW_ROW("Constant", 1, import_constant, "compile-time constant (tosa.const where used)"),
    EW_ROW("ConstantOfShape", 9, import_constant_of_shape, "compile-time constant splat (shape must be constant)"),
    EW_ROW("Cos", 7, import_cos, "tosa.cos"),
    EW_ROW("Div", 7, import_div, "floats: tosa.reciprocal, tosa.mul; integers: arith.divsi/divui"),
    EW_ROW("Elu", 6, import_elu, "tosa.select(x<0, alpha*(exp(x)-1), x)"),
    EW_ROW("Equal", 7, import_equal, "tosa.equal (arith.cmpi for bool)"),
    EW_ROW("Erf", 9, import_erf, "tosa.erf"),
    EW_ROW("Exp", 6, import_exp, "tosa.exp"),
    EW_ROW("Floor", 6, import_floor, "tosa.floor"),
    EW_ROW("Gelu", 20, import_gelu, "0.5x(1+erf(x/sqrt2)) or the tanh approximation"),
    EW_ROW("Greater", 7, import_greater, "tosa.greater (arith.cmpi ugt for unsigned)"),
    EW_ROW("GreaterOrEqual", 12, import_greater_equal, "tosa.greater_equal (arith.cmpi uge for unsigned)"),
    EW_ROW("HardSigmoid", 6, import_hard_sigmoid, "tosa.clamp(alpha*x+beta, 0, 1)"),
    EW_ROW("HardSwish", 14, import_hard_swish, "x * clamp(x/6+0.5, 0, 1)"),
    EW_ROW("IsInf", 10, import_isinf, "tosa.equal with +-inf"),
    EW_ROW("IsNaN", 9, import_isnan, "not(x == x)"),
    EW_ROW("LeakyRelu", 6, import_leaky_relu, "tosa.select(x<0, alpha*x, x)"),
    EW_ROW("Less", 7, import_less, "tosa.greater (swapped; arith.cmpi ult for unsigned)"),
    EW_ROW("LessOrEqual", 12, import_less_equal, "tosa.greater_equal (swapped; arith.cmpi ule for unsigned)"),
    EW_ROW("Log", 6, import_log, "tosa.log"),
    EW_ROW("Max", 6, import_max, "tosa.maximum over the inputs (arith.maxui for unsigned)"),
    EW_ROW("Mean", 6, import_mean, "tosa.add over the inputs, tosa.mul by 1/count"),
    EW_ROW("Min", 6, import_min, "tosa.minimum over the inputs (arith.minui for unsigned)"),
    EW_ROW("Mish", 18, import_mish, "x * tanh(softplus(x))"),
    EW_ROW("Mod", 10, import_mod, "arith.remf / remsi / remui (+ divisor-sign fix for fmod=0)"),
    EW_ROW("Mul", 7, import_mul, "tosa.mul"),
    EW_ROW("Neg", 6, import_neg, "tosa.negate"),
    EW_ROW("Not", 1, import_not, "tosa.logical_not"),
    EW_ROW("Or", 7, import_or, "tosa.logical_or"),
    EW_ROW("PRelu", 7, import_prelu, "tosa.select(x<0, slope*x, x)"),
    EW_ROW("Pow", 7, import_pow, "tosa.pow (integer bases through f32)"),
    EW_ROW("Reciprocal", 6, import_reciprocal, "tosa.reciprocal"),
    EW_ROW("Relu", 6, import_relu, "tosa.clamp [0, +max] (integers: tosa.maximum with 0)"),
    EW_ROW("Round", 11, import_round, "math.roundeven"),
    EW_ROW("Selu", 6, import_selu, "gamma * tosa.select(x>0, x, alpha*(exp(x)-1))"),
    EW_ROW("Shrink", 9, import_shrink, "two tosa.select"),
    EW_ROW("Sigmoid", 6, import_sigmoid, "tosa.sigmoid"),
    EW_ROW("Sign", 9, import_sign, "(x>0) - (x<0)"),
    EW_ROW("Sin", 7, import_sin, "tosa.sin"),
    EW_ROW("Softplus", 1, import_softplus, "max(x,0) + log(1+exp(-|x|))"),
    EW_ROW("Softsign", 1, import_softsign, "x * reciprocal(1+|x|)"),
    EW_ROW("Sqrt", 6, import_sqrt, "math.sqrt"),
    EW_ROW("Sub", 7, import_sub, "tosa.sub"),
    EW_ROW("Sum", 6, import_sum, "tosa.add over the inputs"),
    EW_ROW("Tanh", 6, import_tanh, "tosa.tanh"),
    EW_ROW("ThresholdedRelu", 10, import_thresholded_relu, "tosa.select(x>alpha, x, 0)"),
    EW_ROW("Where", 9, import_where, "tosa.select (three-way broadcasting)"),
    EW_ROW("Xor", 7, import_xor, "tosa.logical_xor"),
};

const trn_onnx_op_table_t trn_onnx_elementwise_ops = {k_ops, sizeof k_ops / sizeof k_ops[0]};
