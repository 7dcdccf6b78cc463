/* ONNX operators of the reduce family: reductions, ArgMax/ArgMin, the Softmax family,
 * the NLL and softmax cross-entropy losses, TopK, CumSum, Trilu and Einsum, decomposed into TOSA
 * (and math.sqrt). See import.h for the API; each function computes its result shapes and validates
 * its attributes.
 *
 * Decompositions:
 * - Reduce*: one tosa.reduce_* per axis (keeps the axis as 1), element-wise pre/post
 *   maps (abs, square, exp, log, sqrt, 1/N), a reshape when keepdims = 0.
 *   ReduceLogSumExp subtracts the max first.
 * - ArgMax/ArgMin: tosa.argmax (first index of the max) of x or of its order-reversed
 *   image (-x, ~x for integers); select_last_index reverses the axis and maps i to n-1-i.
 *   Unsigned integers (signless in MLIR) get their sign bit flipped before any
 *   comparison (ArgMax/Min, ReduceMax/Min, TopK).
 * - Softmax/LogSoftmax: max-subtracted exp, reduce_sum, reciprocal (log for
 *   LogSoftmax); Hardmax: argmax compared with an iota. Opset < 13 coerces the input to
 *   2-D at `axis`.
 * - TopK: k steps of (masked max, lowest index holding it, mark it taken): ties go to
 *   the lower index, as ONNX asks.
 * - CumSum: log2(n) steps of y += shift(y) (Hillis-Steele) with slice + concat; a
 *   runtime axis computes every axis and selects.
 * - Trilu: row/column iotas compared with k (compile-time or runtime) and tosa.select.
 * - NegativeLogLikelihoodLoss: one-hot (target == iota over C) select, sum over C,
 *   weights picked the same way, ignore_index masked; SoftmaxCrossEntropyLoss is
 *   LogSoftmax over C and then the same.
 * - Einsum: repeated labels take a diagonal (select with an iota mask, sum); then
 *   operands are contracted pairwise: labels only one side needs are summed, then
 *   transposes and reshapes to [batch, M, K] x [batch, K, N] and tosa.matmul.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"
#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"

/* The newest default-domain opset whose semantics the functions below implement. */
#define TRN_REDUCE_MAX_OPSET 21
/* The most axes an axes list may hold (duplicates included). */
#define TRN_REDUCE_MAX_AXES 64
/* The largest k TopK unrolls into its iterative decomposition. */
#define TRN_TOPK_MAX_K 1024

/* ---------------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------------- */

static MlirValue null_value(void) { return (MlirValue){NULL}; }

/* Errors (UNSUPPORTED) unless v holds floats, or also integers when ints_ok. */
static bool require_type(trn_onnx_node_t *n, MlirValue v, const char *what, bool ints_ok) {
  return trn_onnx_require(n, v, what, ints_ok ? TRN_ONNX_NUMERIC : TRN_ONNX_FLOAT);
}

/* A 0/1 attribute (the default when absent); another value is an error. */
static bool attr_flag(trn_onnx_node_t *n, const char *name, int64_t default_value, bool *out) {
  int64_t v = trn_onnx_attr_int(n, name, default_value);
  *out = v != 0;
  if (trn_onnx_failed(n)) return false;
  if (v != 0 && v != 1) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute '%s' = %lld must be 0 or 1", name, (long long)v);
    return false;
  }
  return true;
}

/* Normalizes axis into [0, rank) (negative counts from the end); `what` names it. */
static bool norm_axis(trn_onnx_node_t *n, const char *what, int64_t axis, int64_t rank,
                      int64_t *out) {
  if (trn_onnx_failed(n)) return false;
  if (axis < -rank || axis >= rank) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "%s = %lld is out of range for an input of rank %lld", what,
                   (long long)axis, (long long)rank);
    return false;
  }
  *out = axis < 0 ? axis + rank : axis;
  return true;
}

/* The integer values of a dense elements attribute of i32/i64. */
static bool dense_ints(MlirAttribute a, int64_t *out, size_t max, size_t *count) {
  if (mlirAttributeIsNull(a) || !mlirAttributeIsADenseElements(a)) return false;
  MlirType t = mlirAttributeGetType(a);
  MlirType e = mlirShapedTypeGetElementType(t);
  if (!mlirTypeIsAInteger(e)) return false;
  unsigned w = mlirIntegerTypeGetWidth(e);
  if (w != 32 && w != 64) return false;
  int64_t elems = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(t); d++) elems *= mlirShapedTypeGetDimSize(t, d);
  if (elems < 0 || (size_t)elems > max) return false;
  bool splat = mlirDenseElementsAttrIsSplat(a);
  for (int64_t i = 0; i < elems; i++) {
    if (w == 64)
      out[i] = splat ? mlirDenseElementsAttrGetInt64SplatValue(a)
                     : mlirDenseElementsAttrGetInt64Value(a, i);
    else
      out[i] = splat ? mlirDenseElementsAttrGetInt32SplatValue(a)
                     : mlirDenseElementsAttrGetInt32Value(a, i);
  }
  *count = (size_t)elems;
  return true;
}

/* The values of integer input i when known at compile time: an initializer, or the
 * result of a tosa.const / arith.constant (a Constant node). False without an error
 * when it is not constant; an error when it is constant but not int32/int64 or longer
 * than `max`. */
static bool input_ints(trn_onnx_node_t *n, size_t i, const char *what, int64_t *out, size_t max,
                       size_t *count) {
  *count = 0;
  if (trn_onnx_failed(n)) return false;
  const void *data;
  size_t size;
  MlirType type;
  if (trn_onnx_input_constant(n, i, &data, &size, &type)) {
    MlirType e = mlirShapedTypeGetElementType(type);
    unsigned w = mlirTypeIsAInteger(e) ? mlirIntegerTypeGetWidth(e) : 0;
    if (w != 32 && w != 64) {
      char buf[32];
      trn_onnx_type_str(e, buf, sizeof buf);
      trn_onnx_error(n, TRN_ERR_FORMAT, "input %zu (%s) must be int32 or int64, not %s", i, what,
                     buf);
      return false;
    }
    size_t elems = size / (w / 8);
    if (elems > max) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "input %zu (%s) has %zu values, at most %zu are allowed", i,
                     what, elems, max);
      return false;
    }
    for (size_t k = 0; k < elems; k++) {
      if (w == 64) {
        int64_t v;
        memcpy(&v, (const char *)data + 8 * k, 8);
        out[k] = v;
      } else {
        int32_t v;
        memcpy(&v, (const char *)data + 4 * k, 4);
        out[k] = v;
      }
    }
    *count = elems;
    return true;
  }
  if (trn_onnx_failed(n) || !trn_onnx_has_input(n, i)) return false;
  MlirValue v = trn_onnx_input(n, i);
  if (mlirValueIsNull(v) || !mlirValueIsAOpResult(v)) return false;
  MlirOperation op = mlirOpResultGetOwner(v);
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  bool is_const = (name.length == 10 && memcmp(name.data, "tosa.const", 10) == 0) ||
                  (name.length == 14 && memcmp(name.data, "arith.constant", 14) == 0);
  if (!is_const) return false;
  return dense_ints(mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value")),
                    out, max, count);
}

/* A splat of `rank` dims of 1 (broadcasts against any tensor of that rank). */
static MlirValue scalar_like(trn_onnx_node_t *n, int64_t rank, MlirType elem, double value) {
  trn_onnx_shape_t s = {.rank = rank};
  for (int64_t i = 0; i < rank; i++) s.dims[i] = 1;
  return trn_onnx_splat(n, &s, elem, value);
}

static MlirType i32_type(trn_onnx_node_t *n) { return mlirIntegerTypeGet(trn_onnx_mlir(n), 32); }
static MlirType i64_type(trn_onnx_node_t *n) { return mlirIntegerTypeGet(trn_onnx_mlir(n), 64); }
static MlirType i1_type(trn_onnx_node_t *n) { return mlirIntegerTypeGet(trn_onnx_mlir(n), 1); }

/* 0, 1, ..., len-1 (i32 or i64) shaped [1, .., len, .., 1] with len at `axis`. */
static MlirValue iota(trn_onnx_node_t *n, int64_t rank, int64_t axis, int64_t len, MlirType elem) {
  if (trn_onnx_failed(n)) return null_value();
  trn_onnx_shape_t s = {.rank = rank};
  for (int64_t i = 0; i < rank; i++) s.dims[i] = i == axis ? len : 1;
  MlirType type = trn_onnx_tensor_type(n, &s, elem);
  bool wide = mlirIntegerTypeGetWidth(elem) == 64;
  if (!wide && len > INT32_MAX) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "a dim of %lld exceeds the int32 index range",
                   (long long)len);
    return null_value();
  }
  size_t count = (size_t)(len > 0 ? len : 0);
  void *buf = malloc((count ? count : 1) * (wide ? 8 : 4));
  if (!buf) {
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory for an iota of %lld values",
                   (long long)len);
    return null_value();
  }
  for (size_t i = 0; i < count; i++) {
    if (wide)
      ((int64_t *)buf)[i] = (int64_t)i;
    else
      ((int32_t *)buf)[i] = (int32_t)i;
  }
  MlirAttribute attr = wide ? mlirDenseElementsAttrInt64Get(type, (intptr_t)count, buf)
                            : mlirDenseElementsAttrInt32Get(type, (intptr_t)count, buf);
  free(buf);
  MlirNamedAttribute named = trn_onnx_named(n, "value", attr);
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &named, 1);
}

static MlirValue compare(trn_onnx_node_t *n, const char *op_name, MlirValue a, MlirValue b) {
  return trn_onnx_binary_to(n, op_name, a, b, i1_type(n));
}

/* tosa.select(cond, a, b) with broadcasting of all three. */
static MlirValue select3(trn_onnx_node_t *n, MlirValue cond, MlirValue a, MlirValue b) {
  if (trn_onnx_failed(n)) return null_value();
  trn_onnx_shape_t sc = trn_onnx_shape(cond), sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), t,
                   out;
  if (!trn_onnx_broadcast(n, &sc, &sa, &t) || !trn_onnx_broadcast(n, &t, &sb, &out))
    return null_value();
  MlirValue ops[3] = {trn_onnx_expand_rank(n, cond, out.rank), trn_onnx_expand_rank(n, a, out.rank),
                      trn_onnx_expand_rank(n, b, out.rank)};
  return trn_onnx_build(n, "tosa.select", ops, 3,
                        trn_onnx_tensor_type(n, &out, trn_onnx_element_type(a)), NULL, 0);
}

/* tosa.reduce_* of one axis, which stays as a dim of 1. */
static MlirValue reduce1(trn_onnx_node_t *n, const char *op_name, MlirValue x, int64_t axis) {
  if (trn_onnx_failed(n)) return null_value();
  trn_onnx_shape_t s = trn_onnx_shape(x);
  s.dims[axis] = 1;
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, op_name, &x, 1, trn_onnx_tensor_type(n, &s, trn_onnx_element_type(x)),
                        &attr, 1);
}

/* reduce1 over every axis marked in `axes` (dims of 1 need none). */
static MlirValue reduce_axes(trn_onnx_node_t *n, const char *op_name, MlirValue x,
                             const bool *axes) {
  trn_onnx_shape_t s = trn_onnx_shape(x);
  for (int64_t a = 0; a < s.rank; a++)
    if (axes[a] && s.dims[a] != 1) x = reduce1(n, op_name, x, a);
  return x;
}

/* tosa.argmax along `axis` (removed from the shape), i32 indices. */
static MlirValue argmax(trn_onnx_node_t *n, MlirValue x, int64_t axis) {
  if (trn_onnx_failed(n)) return null_value();
  trn_onnx_shape_t s = trn_onnx_shape(x), out = {.rank = s.rank - 1};
  for (int64_t i = 0, k = 0; i < s.rank; i++)
    if (i != axis) out.dims[k++] = s.dims[i];
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.argmax", &x, 1, trn_onnx_tensor_type(n, &out, i32_type(n)), &attr,
                        1);
}

static MlirValue reverse(trn_onnx_node_t *n, MlirValue x, int64_t axis) {
  if (trn_onnx_failed(n)) return null_value();
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.reverse", &x, 1, mlirValueGetType(x), &attr, 1);
}

/* x[start : start + size] along `axis`. */
static MlirValue slice_axis(trn_onnx_node_t *n, MlirValue x, int64_t axis, int64_t start,
                            int64_t size) {
  if (trn_onnx_failed(n)) return null_value();
  trn_onnx_shape_t s = trn_onnx_shape(x);
  if (start == 0 && size == s.dims[axis]) return x;
  int64_t starts[TRN_MAX_RANK] = {0}, sizes[TRN_MAX_RANK];
  for (int64_t i = 0; i < s.rank; i++) sizes[i] = s.dims[i];
  starts[axis] = start;
  sizes[axis] = size;
  s.dims[axis] = size;
  MlirNamedAttribute attrs[2] = {
      trn_onnx_named(n, "start", trn_onnx_i64_array_attr(n, starts, (size_t)s.rank)),
      trn_onnx_named(n, "size", trn_onnx_i64_array_attr(n, sizes, (size_t)s.rank)),
  };
  return trn_onnx_build(n, "tosa.slice", &x, 1,
                        trn_onnx_tensor_type(n, &s, trn_onnx_element_type(x)), attrs, 2);
}

/* tosa.concat of `count` values along `axis`. */
static MlirValue concat(trn_onnx_node_t *n, const MlirValue *values, size_t count, int64_t axis) {
  if (trn_onnx_failed(n) || count == 0) return null_value();
  if (count == 1) return values[0];
  trn_onnx_shape_t s = trn_onnx_shape(values[0]);
  s.dims[axis] = 0;
  for (size_t i = 0; i < count; i++) s.dims[axis] += trn_onnx_shape(values[i]).dims[axis];
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.concat", values, count,
                        trn_onnx_tensor_type(n, &s, trn_onnx_element_type(values[0])), &attr, 1);
}

/* Removes the dims marked in `drop` (each must be 1 already). */
static MlirValue squeeze(trn_onnx_node_t *n, MlirValue x, const bool *drop) {
  trn_onnx_shape_t s = trn_onnx_shape(x), out = {.rank = 0};
  for (int64_t i = 0; i < s.rank; i++)
    if (!drop[i]) out.dims[out.rank++] = s.dims[i];
  return trn_onnx_reshape(n, x, &out);
}

/* Inserts a dim of 1 at `axis`. */
static MlirValue unsqueeze(trn_onnx_node_t *n, MlirValue x, int64_t axis) {
  trn_onnx_shape_t s = trn_onnx_shape(x), out = {.rank = s.rank + 1};
  for (int64_t i = 0, k = 0; i < out.rank; i++) out.dims[i] = i == axis ? 1 : s.dims[k++];
  return trn_onnx_reshape(n, x, &out);
}

/* The order-reversing image of x: -x for floats, ~x for integers (no overflow). */
static MlirValue flip_order(trn_onnx_node_t *n, MlirValue x) {
  return trn_onnx_unary(
      n, trn_onnx_is_float(trn_onnx_element_type(x)) ? "tosa.negate" : "tosa.bitwise_not", x);
}

/* The least finite value of a float or signless integer type (tosa.reduce_max starts
 * from it). */
static double lowest(MlirType elem) {
  if (trn_onnx_is_float(elem)) {
    unsigned w = mlirFloatTypeGetWidth(elem);
    if (w == 16) return mlirTypeIsABF16(elem) ? -3.3895313892515355e38 : -65504.0;
    return w == 64 ? -DBL_MAX : -FLT_MAX;
  }
  unsigned w = mlirIntegerTypeGetWidth(elem);
  return w >= 64 ? (double)INT64_MIN : -ldexp(1.0, (int)w - 1);
}

/* Integers compare signed: an unsigned input's order maps onto the signed order by
 * flipping its sign bit (its own inverse). */
static MlirValue sign_flip(trn_onnx_node_t *n, MlirValue x) {
  MlirType elem = trn_onnx_element_type(x);
  return trn_onnx_binary(n, "tosa.bitwise_xor", x,
                         scalar_like(n, trn_onnx_shape(x).rank, elem, lowest(elem)));
}

/* ---------------------------------------------------------------------------------
 * Reduce*
 * ------------------------------------------------------------------------------- */

typedef enum reduce_kind_t {
  REDUCE_SUM,
  REDUCE_MEAN,
  REDUCE_MAX,
  REDUCE_MIN,
  REDUCE_PROD,
  REDUCE_L1,
  REDUCE_L2,
  REDUCE_SUM_SQUARE,
  REDUCE_LOG_SUM,
  REDUCE_LOG_SUM_EXP,
} reduce_kind_t;

/* Marks the reduced axes of a rank-`rank` input: the `axes` attribute before opset
 * `input_opset`, input 1 from it. *out_count = 0 for an empty (or absent) list. */
static bool reduced_axes(trn_onnx_node_t *n, int64_t rank, int64_t input_opset, bool *reduce,
                         int64_t *out_count) {
  int64_t values[TRN_REDUCE_MAX_AXES];
  size_t count = 0;
  *out_count = 0;
  for (int64_t i = 0; i < rank; i++) reduce[i] = false;
  if (trn_onnx_node_opset(n) >= input_opset) {
    if (trn_onnx_has_attr(n, "axes")) {
      trn_onnx_error(n, TRN_ERR_FORMAT,
                     "attribute 'axes' is not allowed from opset %lld: axes is input 1",
                     (long long)input_opset);
      return false;
    }
    if (trn_onnx_has_input(n, 1) &&
        !input_ints(n, 1, "axes", values, TRN_REDUCE_MAX_AXES, &count)) {
      if (trn_onnx_failed(n)) return false;
      /* A runtime axes tensor of static shape [0] is the empty list. */
      trn_onnx_shape_t s = trn_onnx_shape(trn_onnx_input(n, 1));
      if (trn_onnx_failed(n)) return false;
      if (!(s.rank == 1 && s.dims[0] == 0)) {
        trn_onnx_input_ints(n, 1, "axes", values, TRN_REDUCE_MAX_AXES, &count); /* its error */
        return false;
      }
      count = 0;
    }
  } else {
    const int64_t *attr;
    count = trn_onnx_attr_ints(n, "axes", &attr);
    if (trn_onnx_failed(n)) return false;
    if (count > TRN_REDUCE_MAX_AXES) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'axes' has %zu values, at most %d are allowed",
                     count, TRN_REDUCE_MAX_AXES);
      return false;
    }
    if (count) memcpy(values, attr, count * sizeof *values);
  }
  for (size_t i = 0; i < count; i++) {
    int64_t a;
    char what[48];
    snprintf(what, sizeof what, "axes[%zu]", i);
    if (!norm_axis(n, what, values[i], rank, &a)) return false;
    if (reduce[a]) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "axes[%zu] = %lld repeats axis %lld", i,
                     (long long)values[i], (long long)a);
      return false;
    }
    reduce[a] = true;
  }
  *out_count = (int64_t)count;
  return true;
}

static trn_status_t import_reduce(trn_onnx_node_t *n, reduce_kind_t kind, int64_t input_opset) {
  MlirValue x = trn_onnx_input(n, 0);
  bool ints_ok =
      kind == REDUCE_SUM || kind == REDUCE_MAX || kind == REDUCE_MIN || kind == REDUCE_PROD;
  /* ReduceMax/Min of bool (opset 20): any/all, computed on i8. */
  bool boolean =
      (kind == REDUCE_MAX || kind == REDUCE_MIN) && trn_onnx_is_bool(trn_onnx_element_type(x));
  if (boolean) x = trn_onnx_cast(n, x, mlirIntegerTypeGet(trn_onnx_mlir(n), 8));
  if (!require_type(n, x, "input 'data'", ints_ok)) return NULL;
  trn_onnx_shape_t s = trn_onnx_shape(x);
  MlirType elem = trn_onnx_element_type(x);
  bool keepdims, noop = false;
  if (!attr_flag(n, "keepdims", 1, &keepdims)) return NULL;
  if (trn_onnx_node_opset(n) >= input_opset && !attr_flag(n, "noop_with_empty_axes", 0, &noop))
    return NULL;
  bool axes[TRN_MAX_RANK];
  int64_t count;
  if (!reduced_axes(n, s.rank, input_opset, axes, &count)) return NULL;
  if (count == 0) {
    if (noop) {
      trn_onnx_set_output(n, 0, trn_onnx_input(n, 0));
      return NULL;
    }
    for (int64_t i = 0; i < s.rank; i++) axes[i] = true;
  }

  /* Element-wise map before the reduction. */
  MlirValue max = null_value();
  switch (kind) {
    case REDUCE_L1: x = trn_onnx_unary(n, "tosa.abs", x); break;
    case REDUCE_L2:
    case REDUCE_SUM_SQUARE: x = trn_onnx_binary(n, "tosa.mul", x, x); break;
    case REDUCE_LOG_SUM_EXP:
      max = reduce_axes(n, "tosa.reduce_max", x, axes);
      x = trn_onnx_unary(n, "tosa.exp", trn_onnx_binary(n, "tosa.sub", x, max));
      break;
    default: break;
  }
  const char *reducer = kind == REDUCE_MAX    ? "tosa.reduce_max"
                        : kind == REDUCE_MIN  ? "tosa.reduce_min"
                        : kind == REDUCE_PROD ? "tosa.reduce_prod"
                                              : "tosa.reduce_sum";
  bool flip = (kind == REDUCE_MAX || kind == REDUCE_MIN) && trn_onnx_input_unsigned(n, 0);
  if (flip) x = sign_flip(n, x);
  MlirValue y = reduce_axes(n, reducer, x, axes);
  if (flip) y = sign_flip(n, y);

  /* Element-wise map after it. */
  switch (kind) {
    case REDUCE_MEAN: {
      int64_t total = 1;
      for (int64_t i = 0; i < s.rank; i++)
        if (axes[i]) total *= s.dims[i];
      y = trn_onnx_binary(n, "tosa.mul", y,
                          scalar_like(n, s.rank, elem, total ? 1.0 / (double)total : NAN));
      break;
    }
    case REDUCE_L2: y = trn_onnx_unary(n, "math.sqrt", y); break;
    case REDUCE_LOG_SUM: y = trn_onnx_unary(n, "tosa.log", y); break;
    case REDUCE_LOG_SUM_EXP:
      y = trn_onnx_binary(n, "tosa.add", trn_onnx_unary(n, "tosa.log", y), max);
      break;
    default: break;
  }
  if (boolean) y = trn_onnx_cast(n, y, i1_type(n));
  if (!keepdims) y = squeeze(n, y, axes);
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

/* ReduceSum takes its axes as an input from opset 13, the others from opset 18. */
static trn_status_t import_reduce_sum(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_SUM, 13);
}
static trn_status_t import_reduce_mean(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_MEAN, 18);
}
static trn_status_t import_reduce_max(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_MAX, 18);
}
static trn_status_t import_reduce_min(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_MIN, 18);
}
static trn_status_t import_reduce_prod(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_PROD, 18);
}
static trn_status_t import_reduce_l1(trn_onnx_node_t *n) { return import_reduce(n, REDUCE_L1, 18); }
static trn_status_t import_reduce_l2(trn_onnx_node_t *n) { return import_reduce(n, REDUCE_L2, 18); }
static trn_status_t import_reduce_sum_square(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_SUM_SQUARE, 18);
}
static trn_status_t import_reduce_log_sum(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_LOG_SUM, 18);
}
static trn_status_t import_reduce_log_sum_exp(trn_onnx_node_t *n) {
  return import_reduce(n, REDUCE_LOG_SUM_EXP, 18);
}

/* ---------------------------------------------------------------------------------
 * ArgMax, ArgMin
 * ------------------------------------------------------------------------------- */

static trn_status_t import_arg(trn_onnx_node_t *n, bool is_max) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!require_type(n, x, "input 'data'", true)) return NULL;
  trn_onnx_shape_t s = trn_onnx_shape(x);
  if (s.rank < 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'data' must have rank >= 1, not 0");
  int64_t axis;
  bool keepdims, last = false;
  if (!norm_axis(n, "attribute 'axis'", trn_onnx_attr_int(n, "axis", 0), s.rank, &axis) ||
      !attr_flag(n, "keepdims", 1, &keepdims) ||
      (trn_onnx_node_opset(n) >= 12 && !attr_flag(n, "select_last_index", 0, &last)))
    return NULL;
  if (s.dims[axis] == 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT,
                          "axis %lld of input 'data' is empty: no index to return",
                          (long long)axis);
  MlirValue key = trn_onnx_input_unsigned(n, 0) ? sign_flip(n, x) : x;
  if (!is_max) key = flip_order(n, key);
  if (last) key = reverse(n, key, axis);
  MlirValue idx = argmax(n, key, axis);
  if (last)
    idx = trn_onnx_binary(n, "tosa.sub",
                          scalar_like(n, s.rank - 1, i32_type(n), (double)(s.dims[axis] - 1)), idx);
  idx = trn_onnx_cast(n, idx, i64_type(n));
  if (keepdims) idx = unsqueeze(n, idx, axis);
  trn_onnx_set_output(n, 0, idx);
  return NULL;
}

static trn_status_t import_argmax(trn_onnx_node_t *n) { return import_arg(n, true); }
static trn_status_t import_argmin(trn_onnx_node_t *n) { return import_arg(n, false); }

/* ---------------------------------------------------------------------------------
 * Softmax, LogSoftmax, Hardmax
 * ------------------------------------------------------------------------------- */

typedef enum softmax_kind_t { SOFTMAX, LOG_SOFTMAX, HARDMAX } softmax_kind_t;

/* The operator along `axis` of x. */
static MlirValue softmax_along(trn_onnx_node_t *n, softmax_kind_t kind, MlirValue x, int64_t axis) {
  trn_onnx_shape_t s = trn_onnx_shape(x);
  MlirType elem = trn_onnx_element_type(x);
  if (kind == HARDMAX) {
    /* One-hot of the first index of the max. */
    MlirValue idx = unsqueeze(n, argmax(n, x, axis), axis);
    MlirValue hit = compare(n, "tosa.equal", iota(n, s.rank, axis, s.dims[axis], i32_type(n)), idx);
    return select3(n, hit, scalar_like(n, s.rank, elem, 1.0), scalar_like(n, s.rank, elem, 0.0));
  }
  MlirValue shifted = trn_onnx_binary(n, "tosa.sub", x, reduce1(n, "tosa.reduce_max", x, axis));
  MlirValue e = trn_onnx_unary(n, "tosa.exp", shifted);
  MlirValue sum = reduce1(n, "tosa.reduce_sum", e, axis);
  if (kind == LOG_SOFTMAX)
    return trn_onnx_binary(n, "tosa.sub", shifted, trn_onnx_unary(n, "tosa.log", sum));
  return trn_onnx_binary(n, "tosa.mul", e, trn_onnx_unary(n, "tosa.reciprocal", sum));
}

/* Opset >= 13: along one axis (default -1). Before: the input is coerced to 2-D
 * [prod(dims < axis), prod(dims >= axis)] (default axis 1) and the operator runs over
 * the second dim. */
static trn_status_t import_softmax_family(trn_onnx_node_t *n, softmax_kind_t kind) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!require_type(n, x, "input 'input'", false)) return NULL;
  trn_onnx_shape_t s = trn_onnx_shape(x);
  bool coerce = trn_onnx_node_opset(n) < 13;
  int64_t axis;
  if (s.rank < 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'input' must have rank >= 1, not 0");
  if (!norm_axis(n, "attribute 'axis'", trn_onnx_attr_int(n, "axis", coerce ? 1 : -1), s.rank,
                 &axis))
    return NULL;
  for (int64_t i = 0; i < s.rank; i++)
    if (s.dims[i] == 0) {
      trn_onnx_set_output(n, 0, x); /* nothing to compute */
      return NULL;
    }
  if (!coerce) {
    trn_onnx_set_output(n, 0, softmax_along(n, kind, x, axis));
    return NULL;
  }
  trn_onnx_shape_t flat = {2, {1, 1}};
  for (int64_t i = 0; i < s.rank; i++) flat.dims[i < axis ? 0 : 1] *= s.dims[i];
  MlirValue y = softmax_along(n, kind, trn_onnx_reshape(n, x, &flat), 1);
  trn_onnx_set_output(n, 0, trn_onnx_reshape(n, y, &s));
  return NULL;
}

static trn_status_t import_softmax(trn_onnx_node_t *n) { return import_softmax_family(n, SOFTMAX); }
static trn_status_t import_log_softmax(trn_onnx_node_t *n) {
  return import_softmax_family(n, LOG_SOFTMAX);
}
static trn_status_t import_hardmax(trn_onnx_node_t *n) { return import_softmax_family(n, HARDMAX); }

/* ---------------------------------------------------------------------------------
 * NegativeLogLikelihoodLoss, SoftmaxCrossEntropyLoss
 * ------------------------------------------------------------------------------- */

/* The NLL loss of log-probabilities x [N, C, D...] for targets t [N, D...]:
 * loss = -x[n, t, d] * w[t], w = 0 where t == ignore_index, then reduced: none, sum,
 * or mean = sum(loss) / sum(w). The pick is a one-hot (t == iota over C) select and a
 * sum over C; a target outside [0, C) picks nothing. */
static MlirValue nll_loss(trn_onnx_node_t *n, MlirValue x, MlirValue t, MlirValue weight) {
  char reduction[16];
  trn_onnx_attr_string(n, "reduction", "mean", reduction, sizeof reduction);
  bool has_ignore = trn_onnx_has_attr(n, "ignore_index");
  int64_t ignore = trn_onnx_attr_int(n, "ignore_index", 0);
  if (trn_onnx_failed(n)) return null_value();
  bool none = strcmp(reduction, "none") == 0, sum = strcmp(reduction, "sum") == 0;
  if (!none && !sum && strcmp(reduction, "mean") != 0) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'reduction' = '%s' must be none, sum or mean",
                   reduction);
    return null_value();
  }
  trn_onnx_shape_t xs = trn_onnx_shape(x), ts = trn_onnx_shape(t);
  MlirType elem = trn_onnx_element_type(x), tt = trn_onnx_element_type(t);
  bool match = xs.rank >= 2 && ts.rank == xs.rank - 1 && ts.dims[0] == xs.dims[0];
  for (int64_t i = 1; match && i < ts.rank; i++) match = ts.dims[i] == xs.dims[i + 1];
  if (!match) {
    char a[128], b[128];
    trn_onnx_error(n, TRN_ERR_FORMAT,
                   "input shape %s and target shape %s do not match [N, C, D...] "
                   "and [N, D...]",
                   trn_onnx_shape_str(&xs, a, sizeof a), trn_onnx_shape_str(&ts, b, sizeof b));
    return null_value();
  }
  if (!trn_onnx_is_int(tt)) {
    char buf[32];
    trn_onnx_error(n, TRN_ERR_FORMAT, "target has element type %s; int32 or int64 is required",
                   trn_onnx_type_str(tt, buf, sizeof buf));
    return null_value();
  }
  int64_t classes = xs.dims[1];
  MlirValue te = unsqueeze(n, t, 1); /* [N, 1, D...] */
  MlirValue hot = compare(n, "tosa.equal", iota(n, xs.rank, 1, classes, tt), te);
  MlirValue zero = scalar_like(n, xs.rank, elem, 0.0);
  MlirValue picked = reduce1(n, "tosa.reduce_sum", select3(n, hot, x, zero), 1);
  MlirValue w = null_value(); /* null: every weight is 1 */
  if (!mlirValueIsNull(weight)) {
    trn_onnx_shape_t ws = trn_onnx_shape(weight);
    if (ws.rank != 1 || ws.dims[0] != classes) {
      char a[128];
      trn_onnx_error(n, TRN_ERR_FORMAT, "weight has shape %s, not [%lld]",
                     trn_onnx_shape_str(&ws, a, sizeof a), (long long)classes);
      return null_value();
    }
    trn_onnx_shape_t wb = {.rank = xs.rank};
    for (int64_t i = 0; i < xs.rank; i++) wb.dims[i] = i == 1 ? classes : 1;
    w = reduce1(n, "tosa.reduce_sum", select3(n, hot, trn_onnx_reshape(n, weight, &wb), zero), 1);
  }
  if (has_ignore) {
    MlirValue kept =
        trn_onnx_unary(n, "tosa.logical_not",
                       compare(n, "tosa.equal", te, scalar_like(n, xs.rank, tt, (double)ignore)));
    if (mlirValueIsNull(w)) w = scalar_like(n, xs.rank, elem, 1.0);
    w = select3(n, kept, w, zero);
  }
  MlirValue loss = trn_onnx_unary(n, "tosa.negate", picked);
  if (!mlirValueIsNull(w)) loss = trn_onnx_binary(n, "tosa.mul", loss, w);
  bool drop[TRN_MAX_RANK] = {false}, all[TRN_MAX_RANK];
  drop[1] = true;
  if (none) return squeeze(n, loss, drop);
  for (int64_t i = 0; i < xs.rank; i++) all[i] = true;
  trn_onnx_shape_t scalar = {.rank = 0};
  MlirValue total = reduce_axes(n, "tosa.reduce_sum", loss, all);
  if (!sum) {
    MlirValue count;
    if (mlirValueIsNull(w)) {
      double elems = (double)trn_onnx_shape_elements(&ts);
      count = scalar_like(n, xs.rank, elem, elems);
    } else {
      count = reduce_axes(n, "tosa.reduce_sum", w, all); /* w is [N, 1, D...] */
    }
    total = trn_onnx_binary(n, "tosa.mul", total, trn_onnx_unary(n, "tosa.reciprocal", count));
  }
  return trn_onnx_reshape(n, total, &scalar);
}

static trn_status_t import_nll_loss(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), t = trn_onnx_input(n, 1);
  MlirValue w = trn_onnx_has_input(n, 2) ? trn_onnx_input(n, 2) : null_value();
  if (!require_type(n, x, "input 'input'", false)) return NULL;
  trn_onnx_set_output(n, 0, nll_loss(n, x, t, w));
  return NULL;
}

/* SoftmaxCrossEntropyLoss: LogSoftmax over C (axis 1), then the NLL loss; output 1 is
 * the log-probabilities. */
static trn_status_t import_sce_loss(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), t = trn_onnx_input(n, 1);
  MlirValue w = trn_onnx_has_input(n, 2) ? trn_onnx_input(n, 2) : null_value();
  if (!require_type(n, x, "input 'scores'", false)) return NULL;
  if (trn_onnx_shape(x).rank < 2)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'scores' must have rank >= 2");
  MlirValue log_prob = softmax_along(n, LOG_SOFTMAX, x, 1);
  trn_onnx_set_output(n, 0, nll_loss(n, log_prob, t, w));
  trn_onnx_set_output(n, 1, log_prob);
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * TopK
 * ------------------------------------------------------------------------------- */

/* k from the attribute (opset < 10) or input 1, a 1-element constant. */
static bool topk_k(trn_onnx_node_t *n, int64_t *out_k) {
  if (trn_onnx_node_opset(n) < 10) {
    if (!trn_onnx_has_attr(n, "k")) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'k' is required before opset 10");
      return false;
    }
    *out_k = trn_onnx_attr_int(n, "k", 0);
    return !trn_onnx_failed(n);
  }
  int64_t values[2];
  size_t count;
  if (!input_ints(n, 1, "K", values, 2, &count)) {
    if (!trn_onnx_failed(n)) trn_onnx_input_ints(n, 1, "K", values, 2, &count); /* its error */
    return false;
  }
  if (count != 1) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "input 1 (K) must hold one value, not %zu", count);
    return false;
  }
  *out_k = values[0];
  return true;
}

/* Per step: masked = key where not taken, else the lowest finite value; m =
 * max(masked); idx = the lowest untaken index where masked == m; the value is the
 * key at idx (a sum of one selected element, exact even for -inf, which the key
 * clamps to the lowest finite value: tosa.reduce_max starts from it). Smallest-k
 * runs on -x (~x for integers). */
static trn_status_t import_topk(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!require_type(n, x, "input 'X'", true)) return NULL;
  trn_onnx_shape_t s = trn_onnx_shape(x);
  MlirType elem = trn_onnx_element_type(x);
  if (s.rank < 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'X' must have rank >= 1, not 0");
  int64_t axis, k;
  bool largest = true, sorted = true;
  if (!norm_axis(n, "attribute 'axis'", trn_onnx_attr_int(n, "axis", -1), s.rank, &axis))
    return NULL;
  if (trn_onnx_node_opset(n) >= 11 &&
      (!attr_flag(n, "largest", 1, &largest) || !attr_flag(n, "sorted", 1, &sorted)))
    return NULL;
  if (!topk_k(n, &k)) return NULL;
  int64_t len = s.dims[axis];
  if (k < 0 || k > len)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "k = %lld is out of range for axis %lld of size %lld",
                          (long long)k, (long long)axis, (long long)len);
  if (k > TRN_TOPK_MAX_K)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                          "k = %lld exceeds %d, the most this decomposition unrolls", (long long)k,
                          TRN_TOPK_MAX_K);
  if (k == 0) {
    MlirValue empty = slice_axis(n, x, axis, 0, 0);
    trn_onnx_set_output(n, 0, empty);
    trn_onnx_set_output(n, 1, trn_onnx_cast(n, empty, i64_type(n)));
    return NULL;
  }
  bool is_unsigned = trn_onnx_input_unsigned(n, 0);
  MlirValue key = is_unsigned ? sign_flip(n, x) : x;
  if (!largest) key = flip_order(n, key);
  MlirValue low = scalar_like(n, s.rank, elem, lowest(elem));
  MlirValue key_c = trn_onnx_is_float(elem) ? trn_onnx_binary(n, "tosa.maximum", key, low) : key;
  MlirValue index = iota(n, s.rank, axis, len, i32_type(n));
  MlirValue past_end = scalar_like(n, s.rank, i32_type(n), (double)len);
  MlirValue zero = scalar_like(n, s.rank, elem, 0.0);
  MlirValue taken = null_value();
  MlirValue values[TRN_TOPK_MAX_K], indices[TRN_TOPK_MAX_K];
  for (int64_t i = 0; i < k && !trn_onnx_failed(n); i++) {
    MlirValue masked = i ? select3(n, taken, low, key_c) : key_c;
    MlirValue m = reduce1(n, "tosa.reduce_max", masked, axis);
    MlirValue cand = compare(n, "tosa.equal", masked, m);
    if (i)
      cand = trn_onnx_binary_to(n, "tosa.logical_and", cand,
                                trn_onnx_unary(n, "tosa.logical_not", taken), i1_type(n));
    MlirValue idx = reduce1(n, "tosa.reduce_min", select3(n, cand, index, past_end), axis);
    MlirValue hit = compare(n, "tosa.equal", index, idx);
    values[i] = reduce1(n, "tosa.reduce_sum", select3(n, hit, key, zero), axis);
    indices[i] = idx;
    if (i + 1 < k)
      taken = i ? trn_onnx_binary_to(n, "tosa.logical_or", taken, hit, i1_type(n)) : hit;
  }
  MlirValue v = concat(n, values, (size_t)k, axis);
  if (!largest) v = flip_order(n, v);
  if (is_unsigned) v = sign_flip(n, v);
  trn_onnx_set_output(n, 0, v);
  trn_onnx_set_output(n, 1, trn_onnx_cast(n, concat(n, indices, (size_t)k, axis), i64_type(n)));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * CumSum
 * ------------------------------------------------------------------------------- */

/* x shifted by `by` along `axis`: zeros first, the last `by` elements dropped. */
static MlirValue shift(trn_onnx_node_t *n, MlirValue x, int64_t axis, int64_t by) {
  trn_onnx_shape_t s = trn_onnx_shape(x), zs = s;
  int64_t len = s.dims[axis];
  if (by > len) by = len;
  zs.dims[axis] = by;
  MlirValue zeros = trn_onnx_splat(n, &zs, trn_onnx_element_type(x), 0.0);
  if (by == len) return zeros;
  MlirValue parts[2] = {zeros, slice_axis(n, x, axis, 0, len - by)};
  return concat(n, parts, 2, axis);
}

/* Inclusive (or exclusive) prefix sums along `axis`, from the end when reverse. */
static MlirValue cumsum_along(trn_onnx_node_t *n, MlirValue x, int64_t axis, bool exclusive,
                              bool reverse_) {
  int64_t len = trn_onnx_shape(x).dims[axis];
  if (len == 0) return x;
  MlirValue y = reverse_ ? reverse(n, x, axis) : x;
  if (exclusive) y = shift(n, y, axis, 1);
  for (int64_t step = 1; step < len && !trn_onnx_failed(n); step *= 2)
    y = trn_onnx_binary(n, "tosa.add", y, shift(n, y, axis, step));
  return reverse_ ? reverse(n, y, axis) : y;
}

static trn_status_t import_cumsum(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!require_type(n, x, "input 'x'", true)) return NULL;
  trn_onnx_shape_t s = trn_onnx_shape(x);
  if (s.rank < 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'x' must have rank >= 1, not 0");
  bool exclusive, reverse_;
  if (!attr_flag(n, "exclusive", 0, &exclusive) || !attr_flag(n, "reverse", 0, &reverse_))
    return NULL;
  int64_t values[2], axis;
  size_t count;
  if (input_ints(n, 1, "axis", values, 2, &count)) {
    if (count != 1)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "input 1 (axis) must hold one value, not %zu",
                            count);
    if (!norm_axis(n, "input 1 (axis)", values[0], s.rank, &axis)) return NULL;
    trn_onnx_set_output(n, 0, cumsum_along(n, x, axis, exclusive, reverse_));
    return NULL;
  }
  if (trn_onnx_failed(n)) return NULL;
  /* A runtime axis: rank 1 has one valid axis; otherwise every axis is computed and
   * the one equal to the input (or to it + rank) selected. */
  MlirValue a = trn_onnx_input(n, 1);
  MlirType at = trn_onnx_element_type(a);
  if (trn_onnx_failed(n)) return NULL;
  if (!trn_onnx_is_int(at))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input 1 (axis) must be an int32 or int64 tensor");
  trn_onnx_shape_t as = trn_onnx_shape(a);
  if (trn_onnx_shape_elements(&as) != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input 1 (axis) must hold one value");
  if (s.rank == 1) {
    trn_onnx_set_output(n, 0, cumsum_along(n, x, 0, exclusive, reverse_));
    return NULL;
  }
  trn_onnx_shape_t ones = {.rank = s.rank};
  for (int64_t i = 0; i < s.rank; i++) ones.dims[i] = 1;
  MlirValue av = trn_onnx_reshape(n, a, &ones);
  MlirValue y = cumsum_along(n, x, s.rank - 1, exclusive, reverse_);
  for (int64_t d = s.rank - 2; d >= 0 && !trn_onnx_failed(n); d--) {
    MlirValue is_d = trn_onnx_binary_to(
        n, "tosa.logical_or", compare(n, "tosa.equal", av, scalar_like(n, s.rank, at, (double)d)),
        compare(n, "tosa.equal", av, scalar_like(n, s.rank, at, (double)(d - s.rank))), i1_type(n));
    y = select3(n, is_d, cumsum_along(n, x, d, exclusive, reverse_), y);
  }
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Trilu
 * ------------------------------------------------------------------------------- */

/* Keeps x[..., i, j] where j - i >= k (upper) or j - i <= k (lower), else 0. k is
 * input 1 (default 0), at compile time or at run time. */
static trn_status_t import_trilu(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (trn_onnx_failed(n)) return NULL;
  if (!trn_onnx_require(n, x, "input 'input'", TRN_ONNX_ANY)) return NULL;
  MlirType elem = trn_onnx_element_type(x);
  trn_onnx_shape_t s = trn_onnx_shape(x);
  if (s.rank < 2)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'input' must have rank >= 2, not %lld",
                          (long long)s.rank);
  bool upper;
  if (!attr_flag(n, "upper", 1, &upper)) return NULL;
  int64_t rows = s.dims[s.rank - 2], cols = s.dims[s.rank - 1];
  MlirValue kv = null_value();
  int64_t k = 0;
  if (trn_onnx_has_input(n, 1)) {
    int64_t values[2];
    size_t count;
    if (input_ints(n, 1, "k", values, 2, &count)) {
      if (count != 1)
        return trn_onnx_error(n, TRN_ERR_FORMAT, "input 1 (k) must hold one value, not %zu", count);
      k = values[0];
    } else {
      if (trn_onnx_failed(n)) return NULL;
      kv = trn_onnx_input(n, 1);
      trn_onnx_shape_t ks = trn_onnx_shape(kv);
      if (!trn_onnx_is_int(trn_onnx_element_type(kv)) || trn_onnx_shape_elements(&ks) != 1)
        return trn_onnx_error(n, TRN_ERR_FORMAT, "input 1 (k) must be one int64 value");
    }
  }
  if (rows == 0 || cols == 0) {
    trn_onnx_set_output(n, 0, x);
    return NULL;
  }
  /* diff[i, j] = j - i in the type k is compared in. */
  MlirType it = mlirValueIsNull(kv) ? i32_type(n) : trn_onnx_element_type(kv);
  MlirValue diff = trn_onnx_binary(n, "tosa.sub", iota(n, 2, 1, cols, it), iota(n, 2, 0, rows, it));
  MlirValue kk;
  if (mlirValueIsNull(kv)) {
    /* Clamped into the range where it matters, which i32 holds. */
    if (k < -rows) k = -rows;
    if (k > cols) k = cols;
    kk = scalar_like(n, 2, it, (double)k);
  } else {
    trn_onnx_shape_t one = {2, {1, 1}};
    kk = trn_onnx_reshape(n, kv, &one);
  }
  MlirValue keep = upper ? compare(n, "tosa.greater_equal", diff, kk)
                         : compare(n, "tosa.greater_equal", kk, diff);
  trn_onnx_set_output(n, 0, select3(n, keep, x, scalar_like(n, s.rank, elem, 0.0)));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Einsum
 * ------------------------------------------------------------------------------- */

/* Labels: a letter is its ASCII code; the dims an ellipsis stands for are 0..E-1
 * (right-aligned across operands), so that sorting by label puts them first. */
#define EIN_LABELS 128
#define EIN_MAX_OPERANDS 16
#define EIN_MAX_TERM 16

typedef struct ein_term_t {
  int64_t count;
  int labels[EIN_MAX_TERM];
} ein_term_t;

typedef struct ein_t {
  trn_onnx_node_t *n;
  const char *equation;
  int64_t size[EIN_LABELS]; /* -1 = not seen */
} ein_t;

/* Parses one term of `len` chars; *out_letters counts its letters, *out_ellipsis is
 * set if it has "...". Labels of the ellipsis are filled in later. */
static bool ein_scan(ein_t *e, const char *t, size_t len, int64_t *out_letters,
                     bool *out_ellipsis) {
  *out_letters = 0;
  *out_ellipsis = false;
  for (size_t i = 0; i < len; i++) {
    char c = t[i];
    if (c == '.') {
      if (*out_ellipsis || i + 2 >= len || t[i + 1] != '.' || t[i + 2] != '.') {
        trn_onnx_error(e->n, TRN_ERR_FORMAT,
                       "equation '%s': a term has a malformed or second ellipsis", e->equation);
        return false;
      }
      *out_ellipsis = true;
      i += 2;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      ++*out_letters;
    } else {
      trn_onnx_error(e->n, TRN_ERR_FORMAT, "equation '%s': unexpected character '%c'", e->equation,
                     c);
      return false;
    }
  }
  return true;
}

/* The labels of a term whose ellipsis stands for `ell` dims of the E in all. */
static bool ein_labels(ein_t *e, const char *t, size_t len, int64_t ell, int64_t big_e,
                       ein_term_t *out) {
  out->count = 0;
  for (size_t i = 0; i < len; i++) {
    if (t[i] == '.') {
      for (int64_t j = 0; j < ell; j++) {
        if (out->count >= EIN_MAX_TERM) goto too_many;
        out->labels[out->count++] = (int)(big_e - ell + j);
      }
      i += 2;
    } else {
      if (out->count >= EIN_MAX_TERM) goto too_many;
      out->labels[out->count++] = (unsigned char)t[i];
    }
  }
  return true;
too_many:
  trn_onnx_error(e->n, TRN_ERR_UNSUPPORTED, "equation '%s': a term has more than %d dims",
                 e->equation, EIN_MAX_TERM);
  return false;
}

static bool term_has(const ein_term_t *t, int label) {
  for (int64_t i = 0; i < t->count; i++)
    if (t->labels[i] == label) return true;
  return false;
}

static void label_str(int label, char *buf, size_t size) {
  if (label >= 'A')
    snprintf(buf, size, "'%c'", (char)label);
  else
    snprintf(buf, size, "ellipsis dim %d", label);
}

/* Sums the dims of v whose labels are not in `keep`. */
static MlirValue ein_sum_out(ein_t *e, MlirValue v, ein_term_t *t, const bool *keep) {
  bool drop[EIN_MAX_TERM] = {false};
  bool any = false;
  ein_term_t kept = {0};
  for (int64_t i = 0; i < t->count; i++) {
    drop[i] = !keep[t->labels[i]];
    any = any || drop[i];
    if (!drop[i]) kept.labels[kept.count++] = t->labels[i];
  }
  if (!any) return v;
  v = squeeze(e->n, reduce_axes(e->n, "tosa.reduce_sum", v, drop), drop);
  *t = kept;
  return v;
}

/* Transposes v (labels t) to the label order `order`. */
static MlirValue ein_permute(ein_t *e, MlirValue v, const ein_term_t *t, const int *order) {
  int64_t perm[TRN_MAX_RANK];
  bool identity = true;
  for (int64_t i = 0; i < t->count; i++) {
    for (int64_t j = 0; j < t->count; j++)
      if (t->labels[j] == order[i]) perm[i] = j;
    identity = identity && perm[i] == i;
  }
  return identity ? v : trn_onnx_transpose(e->n, v, perm);
}

/* The diagonal of v over dims d1 < d2 (the same label): x where the two indices are
 * equal, else 0, summed over d2, which is removed from the labels. */
static MlirValue ein_diagonal(ein_t *e, MlirValue v, ein_term_t *t, int64_t d1, int64_t d2) {
  trn_onnx_node_t *n = e->n;
  trn_onnx_shape_t s = trn_onnx_shape(v);
  if (s.dims[d1] != s.dims[d2]) {
    char ls[32];
    label_str(t->labels[d1], ls, sizeof ls);
    trn_onnx_error(n, TRN_ERR_FORMAT, "equation '%s': repeated label %s has sizes %lld and %lld",
                   e->equation, ls, (long long)s.dims[d1], (long long)s.dims[d2]);
    return null_value();
  }
  MlirValue same = compare(n, "tosa.equal", iota(n, s.rank, d1, s.dims[d1], i32_type(n)),
                           iota(n, s.rank, d2, s.dims[d2], i32_type(n)));
  v = select3(n, same, v, scalar_like(n, s.rank, trn_onnx_element_type(v), 0.0));
  bool drop[EIN_MAX_TERM] = {false};
  drop[d2] = true;
  v = squeeze(n, reduce1(n, "tosa.reduce_sum", v, d2), drop);
  for (int64_t i = d2; i + 1 < t->count; i++) t->labels[i] = t->labels[i + 1];
  t->count--;
  return v;
}

/* Contracts a (labels ta) with b (tb) keeping the labels in `keep`: the result has
 * labels [batch, a-only, b-only] in *out. */
static MlirValue ein_contract(ein_t *e, MlirValue a, ein_term_t ta, MlirValue b, ein_term_t tb,
                              const bool *keep, ein_term_t *out) {
  trn_onnx_node_t *n = e->n;
  bool keep_a[EIN_LABELS], keep_b[EIN_LABELS];
  for (int l = 0; l < EIN_LABELS; l++) {
    keep_a[l] = keep[l] || term_has(&tb, l);
    keep_b[l] = keep[l] || term_has(&ta, l);
  }
  a = ein_sum_out(e, a, &ta, keep_a);
  b = ein_sum_out(e, b, &tb, keep_b);
  int batch[EIN_MAX_TERM], con[EIN_MAX_TERM], fa[EIN_MAX_TERM], fb[EIN_MAX_TERM];
  int64_t nbatch = 0, ncon = 0, nfa = 0, nfb = 0, sb = 1, sk = 1, sm = 1, sn = 1;
  for (int64_t i = 0; i < ta.count; i++) {
    int l = ta.labels[i];
    if (!term_has(&tb, l)) {
      fa[nfa++] = l;
      sm *= e->size[l];
    } else if (keep[l]) {
      batch[nbatch++] = l;
      sb *= e->size[l];
    } else {
      con[ncon++] = l;
      sk *= e->size[l];
    }
  }
  for (int64_t i = 0; i < tb.count; i++) {
    int l = tb.labels[i];
    if (!term_has(&ta, l)) {
      fb[nfb++] = l;
      sn *= e->size[l];
    }
  }
  if (nbatch + nfa + nfb > TRN_MAX_RANK) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "equation '%s': an intermediate result exceeds rank %d",
                   e->equation, TRN_MAX_RANK);
    return null_value();
  }
  int order_a[EIN_MAX_TERM], order_b[EIN_MAX_TERM];
  int64_t k = 0;
  for (int64_t i = 0; i < nbatch; i++) order_a[k++] = batch[i];
  for (int64_t i = 0; i < nfa; i++) order_a[k++] = fa[i];
  for (int64_t i = 0; i < ncon; i++) order_a[k++] = con[i];
  k = 0;
  for (int64_t i = 0; i < nbatch; i++) order_b[k++] = batch[i];
  for (int64_t i = 0; i < ncon; i++) order_b[k++] = con[i];
  for (int64_t i = 0; i < nfb; i++) order_b[k++] = fb[i];
  trn_onnx_shape_t a3 = {3, {sb, sm, sk}}, b3 = {3, {sb, sk, sn}}, r3 = {3, {sb, sm, sn}};
  a = trn_onnx_reshape(n, ein_permute(e, a, &ta, order_a), &a3);
  b = trn_onnx_reshape(n, ein_permute(e, b, &tb, order_b), &b3);
  MlirValue ops[2] = {a, b};
  MlirValue r = trn_onnx_build(n, "tosa.matmul", ops, 2,
                               trn_onnx_tensor_type(n, &r3, trn_onnx_element_type(a)), NULL, 0);
  trn_onnx_shape_t rs = {0};
  out->count = 0;
  for (int64_t i = 0; i < nbatch; i++) out->labels[out->count++] = batch[i];
  for (int64_t i = 0; i < nfa; i++) out->labels[out->count++] = fa[i];
  for (int64_t i = 0; i < nfb; i++) out->labels[out->count++] = fb[i];
  rs.rank = out->count;
  for (int64_t i = 0; i < out->count; i++) rs.dims[i] = e->size[out->labels[i]];
  return trn_onnx_reshape(n, r, &rs);
}

static trn_status_t import_einsum(trn_onnx_node_t *n) {
  char raw[512], eq[512];
  if (!trn_onnx_has_attr(n, "equation"))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'equation' is required");
  trn_onnx_attr_string(n, "equation", "", raw, sizeof raw);
  if (trn_onnx_failed(n)) return NULL;
  size_t len = 0;
  for (const char *p = raw; *p; p++)
    if (*p != ' ' && *p != '\t') eq[len++] = *p;
  eq[len] = '\0';
  ein_t e = {.n = n, .equation = raw};
  for (int l = 0; l < EIN_LABELS; l++) e.size[l] = -1;

  const char *arrow = strstr(eq, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - eq) : len;
  size_t count = trn_onnx_input_count(n);
  if (count < 1 || count > EIN_MAX_OPERANDS)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%zu operands; 1 to %d are supported", count,
                          EIN_MAX_OPERANDS);
  MlirValue v[EIN_MAX_OPERANDS];
  ein_term_t t[EIN_MAX_OPERANDS];
  const char *start[EIN_MAX_OPERANDS];
  size_t tlen[EIN_MAX_OPERANDS];
  int64_t letters[EIN_MAX_OPERANDS], ell[EIN_MAX_OPERANDS], big_e = 0;
  bool has_ell[EIN_MAX_OPERANDS];
  size_t terms = 0;
  for (size_t i = 0, from = 0; i <= lhs_len; i++) {
    if (i < lhs_len && eq[i] != ',') continue;
    if (terms == EIN_MAX_OPERANDS)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "equation '%s': too many terms", raw);
    start[terms] = eq + from;
    tlen[terms++] = i - from;
    from = i + 1;
  }
  if (terms != count)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "equation '%s' has %zu input terms for %zu inputs",
                          raw, terms, count);
  for (size_t i = 0; i < count; i++) {
    char what[32];
    snprintf(what, sizeof what, "input %zu", i);
    v[i] = trn_onnx_input(n, i);
    if (!require_type(n, v[i], what, false) ||
        !ein_scan(&e, start[i], tlen[i], &letters[i], &has_ell[i]))
      return NULL;
    int64_t rank = trn_onnx_shape(v[i]).rank;
    ell[i] = rank - letters[i];
    if ((!has_ell[i] && ell[i] != 0) || ell[i] < 0)
      return trn_onnx_error(n, TRN_ERR_FORMAT,
                            "equation '%s': term %zu does not match input %zu of rank %lld", raw, i,
                            i, (long long)rank);
    if (ell[i] > big_e) big_e = ell[i];
  }
  for (size_t i = 0; i < count; i++)
    if (!ein_labels(&e, start[i], tlen[i], ell[i], big_e, &t[i])) return NULL;

  /* The output labels: explicit, or the ellipsis dims then the letters used once. */
  ein_term_t out = {0};
  if (arrow) {
    const char *o = arrow + 2;
    int64_t ol;
    bool oe;
    if (!ein_scan(&e, o, strlen(o), &ol, &oe) ||
        !ein_labels(&e, o, strlen(o), oe ? big_e : 0, big_e, &out))
      return NULL;
    for (int64_t d = 0; d < out.count; d++) {
      char ls[32];
      label_str(out.labels[d], ls, sizeof ls);
      bool found = false;
      for (size_t i = 0; i < count; i++) found = found || term_has(&t[i], out.labels[d]);
      if (!found)
        return trn_onnx_error(n, TRN_ERR_FORMAT, "equation '%s': output label %s is in no input",
                              raw, ls);
      for (int64_t d2 = 0; d2 < d; d2++)
        if (out.labels[d2] == out.labels[d])
          return trn_onnx_error(n, TRN_ERR_FORMAT, "equation '%s': output label %s repeats", raw,
                                ls);
    }
  } else {
    for (int l = 0; l < EIN_LABELS; l++) {
      int uses = 0;
      for (size_t i = 0; i < count; i++)
        for (int64_t d = 0; d < t[i].count; d++) uses += t[i].labels[d] == l;
      if (l < big_e || uses == 1) {
        if (out.count >= TRN_MAX_RANK)
          return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "equation '%s': the output exceeds rank %d",
                                raw, TRN_MAX_RANK);
        out.labels[out.count++] = l;
      }
    }
  }

  /* A label repeated within an operand takes its diagonal; then every label has one
   * size across the operands. */
  for (size_t i = 0; i < count; i++) {
    for (int64_t d = 0; d < t[i].count && !trn_onnx_failed(n); d++) {
      int l = t[i].labels[d];
      char ls[32];
      label_str(l, ls, sizeof ls);
      int64_t first = -1;
      for (int64_t d2 = 0; d2 < d && first < 0; d2++)
        if (t[i].labels[d2] == l) first = d2;
      if (first >= 0) {
        v[i] = ein_diagonal(&e, v[i], &t[i], first, d);
        d--;
        continue;
      }
      int64_t size = trn_onnx_shape(v[i]).dims[d];
      if (e.size[l] >= 0 && e.size[l] != size)
        return trn_onnx_error(
            n, e.size[l] == 1 || size == 1 ? TRN_ERR_UNSUPPORTED : TRN_ERR_FORMAT,
            "equation '%s': label %s has size %lld and %lld (broadcasting is not supported)", raw,
            ls, (long long)e.size[l], (long long)size);
      e.size[l] = size;
    }
  }
  if (trn_onnx_failed(n)) return NULL;
  if (out.count > TRN_MAX_RANK)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "equation '%s': the output exceeds rank %d", raw,
                          TRN_MAX_RANK);

  /* Left to right: contract the running result with the next operand, keeping the
   * labels the output or a later operand needs. */
  MlirValue cur = v[0];
  ein_term_t ct = t[0];
  for (size_t i = 1; i < count && !trn_onnx_failed(n); i++) {
    bool keep[EIN_LABELS] = {false};
    for (int64_t d = 0; d < out.count; d++) keep[out.labels[d]] = true;
    for (size_t j = i + 1; j < count; j++)
      for (int64_t d = 0; d < t[j].count; d++) keep[t[j].labels[d]] = true;
    cur = ein_contract(&e, cur, ct, v[i], t[i], keep, &ct);
  }
  bool keep[EIN_LABELS] = {false};
  for (int64_t d = 0; d < out.count; d++) keep[out.labels[d]] = true;
  cur = ein_sum_out(&e, cur, &ct, keep);
  if (trn_onnx_failed(n)) return NULL;
  trn_onnx_set_output(n, 0, ein_permute(&e, cur, &ct, out.labels));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------------- */

#define MAXV TRN_REDUCE_MAX_OPSET
static const trn_onnx_op_t k_reduce_ops[] = {
    {{"", "ArgMax", 1, MAXV, "tosa.argmax (tosa.reverse for select_last_index), tosa.cast to i64"},
     import_argmax},
    {{"", "ArgMin", 1, MAXV, "tosa.argmax of -x (~x for integers)"}, import_argmin},
    {{"", "CumSum", 11, MAXV, "log-step scan: tosa.slice, tosa.concat, tosa.add (tosa.reverse)"},
     import_cumsum},
    {{"", "Einsum", 12, MAXV,
      "diagonals by tosa.select, tosa.reduce_sum, tosa.transpose, tosa.matmul"},
     import_einsum},
    {{"", "Hardmax", 1, MAXV, "tosa.argmax, tosa.equal with an iota, tosa.select"}, import_hardmax},
    {{"", "LogSoftmax", 1, MAXV, "x - max - log(reduce_sum(exp(x - max)))"}, import_log_softmax},
    {{"", "NegativeLogLikelihoodLoss", 12, MAXV, "one-hot select and reduce_sum over C, weights"},
     import_nll_loss},
    {{"", "ReduceL1", 1, MAXV, "tosa.abs, tosa.reduce_sum"}, import_reduce_l1},
    {{"", "ReduceL2", 1, MAXV, "tosa.mul, tosa.reduce_sum, math.sqrt"}, import_reduce_l2},
    {{"", "ReduceLogSum", 1, MAXV, "tosa.reduce_sum, tosa.log"}, import_reduce_log_sum},
    {{"", "ReduceLogSumExp", 1, MAXV, "max + log(reduce_sum(exp(x - max)))"},
     import_reduce_log_sum_exp},
    {{"", "ReduceMax", 1, MAXV, "tosa.reduce_max per axis"}, import_reduce_max},
    {{"", "ReduceMean", 1, MAXV, "tosa.reduce_sum, tosa.mul by 1/N"}, import_reduce_mean},
    {{"", "ReduceMin", 1, MAXV, "tosa.reduce_min per axis"}, import_reduce_min},
    {{"", "ReduceProd", 1, MAXV, "tosa.reduce_prod per axis"}, import_reduce_prod},
    {{"", "ReduceSum", 1, MAXV, "tosa.reduce_sum per axis"}, import_reduce_sum},
    {{"", "ReduceSumSquare", 1, MAXV, "tosa.mul, tosa.reduce_sum"}, import_reduce_sum_square},
    {{"", "Softmax", 1, MAXV, "exp(x - max) * reciprocal(reduce_sum(...))"}, import_softmax},
    {{"", "SoftmaxCrossEntropyLoss", 12, MAXV, "LogSoftmax over C, then NegativeLogLikelihoodLoss"},
     import_sce_loss},
    {{"", "TopK", 1, MAXV, "k steps of masked reduce_max and lowest-index reduce_min"},
     import_topk},
    {{"", "Trilu", 14, MAXV, "iota difference compared with k, tosa.select"}, import_trilu},
};
#undef MAXV
const trn_onnx_op_table_t trn_onnx_reduce_ops = {k_reduce_ops,
                                                 sizeof k_reduce_ops / sizeof k_reduce_ops[0]};
