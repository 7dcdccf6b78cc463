/* ONNX operators of the shape family: shape computation and data movement
 * (Reshape, Transpose, Concat, Split, Slice, Gather*, Scatter*, Pad, Resize, ...).
 *
 * Shape-like inputs (Reshape's shape, Slice's starts, Pad's pads, ...) are read at
 * compile time when they are constants: initializers, or the tosa.const results of
 * earlier nodes (Shape, Constant). When such an input is only known at run time and
 * the node's output shape is declared in the model (graph output or value_info),
 * the declared shape is used and the values the lowering needs are computed at run
 * time with TOSA ops on small index vectors; otherwise the node is UNSUPPORTED.
 *
 * Data movement that TOSA has no op for is a gather: take() picks positions along
 * one axis with tosa.gather, from index vectors that are constants or computed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "import.h"
#include "state.h" /* declared_shape(): the model's value_info (no import.h call yet) */

/* The newest default-domain opset whose operators below keep the semantics
 * implemented here. */
#define SHAPE_MAX_OPSET 21
/* The most values a shape-like constant input may hold. */
#define CONST_CAP 64
/* Index arithmetic runs in i32: larger dims are not supported by tosa.gather. */
#define INDEX_MAX INT64_C(0x3fffffff)

#define NULLV ((MlirValue){NULL})

/* =================================================================================
 * Shapes and attributes
 * ============================================================================== */

/* The static shape of v, or an error naming `what`. */
static bool get_shape(trn_onnx_node_t *n, MlirValue v, const char *what, trn_onnx_shape_t *out) {
  if (trn_onnx_failed(n)) return false;
  *out = trn_onnx_shape(v);
  if (out->rank < 0) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%s is not a ranked tensor", what);
    return false;
  }
  for (int64_t i = 0; i < out->rank; i++)
    if (mlirShapedTypeIsDynamicSize(out->dims[i]) || out->dims[i] < 0) {
      trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%s has a dynamic dimension %lld", what, (long long)i);
      return false;
    }
  return true;
}

/* Errors (UNSUPPORTED) when a computed result shape is beyond what the importer and
 * the i32 index arithmetic handle. */
static bool check_size(trn_onnx_node_t *n, const trn_onnx_shape_t *s) {
  if (trn_onnx_failed(n)) return false;
  double total = 1;
  for (int64_t i = 0; i < s->rank; i++) {
    if (s->dims[i] < 0 || s->dims[i] > INDEX_MAX) total = INFINITY;
    total *= (double)s->dims[i];
  }
  if (total <= (double)INDEX_MAX) return true;
  char b[160];
  trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "result shape %s is too large", trn_onnx_shape_str(s, b, sizeof b));
  return false;
}

/* The static shape (and element type) of input i, without materializing a constant
 * input as a tosa.const. */
static bool in_type(trn_onnx_node_t *n, size_t i, const char *what, trn_onnx_shape_t *s, MlirType *elem) {
  const void *d;
  size_t size;
  MlirType t;
  if (trn_onnx_failed(n)) return false;
  if (trn_onnx_input_constant(n, i, &d, &size, &t)) {
    s->rank = mlirShapedTypeGetRank(t);
    for (int64_t k = 0; k < s->rank; k++) s->dims[k] = mlirShapedTypeGetDimSize(t, (intptr_t)k);
    if (elem) *elem = mlirShapedTypeGetElementType(t);
    return true;
  }
  MlirValue v = trn_onnx_input(n, i);
  if (!get_shape(n, v, what, s)) return false;
  if (elem) *elem = trn_onnx_element_type(v);
  return true;
}

/* Normalizes an axis in [-rank, rank) (or [-rank, rank] when `inclusive`); an axis
 * out of range is an error naming the attribute or input. */
static bool norm_axis(trn_onnx_node_t *n, int64_t axis, int64_t rank, bool inclusive,
                      const char *what, int64_t *out) {
  int64_t hi = inclusive ? rank : rank - 1;
  if (axis < -rank || axis > hi) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "%s %lld is out of range for rank %lld", what, (long long)axis,
                   (long long)rank);
    return false;
  }
  *out = axis < 0 ? axis + rank : axis;
  return true;
}

static void attr_str(trn_onnx_node_t *n, const char *name, const char *dflt, char *buf, size_t size) {
  trn_onnx_attr_string(n, name, dflt, buf, size);
}

static const char *input_name(const trn_onnx_node_t *n, size_t i) {
  return i < n->proto->n_input ? n->proto->input[i] : "";
}

/* The shape the model declares for output k (graph output or value_info), when it is
 * fully static. */
static bool declared_shape(const trn_onnx_node_t *n, size_t k, trn_onnx_shape_t *out) {
  if (k >= n->proto->n_output || !n->proto->output[k][0]) return false;
  const char *name = n->proto->output[k];
  const Onnx__GraphProto *g = n->imp->model->proto->graph;
  const Onnx__ValueInfoProto *vi = NULL;
  for (size_t i = 0; i < g->n_output && !vi; i++)
    if (g->output[i]->name && strcmp(g->output[i]->name, name) == 0) vi = g->output[i];
  for (size_t i = 0; i < g->n_value_info && !vi; i++)
    if (g->value_info[i]->name && strcmp(g->value_info[i]->name, name) == 0) vi = g->value_info[i];
  if (!vi || !vi->type || vi->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      !vi->type->tensor_type || !vi->type->tensor_type->shape)
    return false;
  const Onnx__TensorShapeProto *s = vi->type->tensor_type->shape;
  if (s->n_dim > TRN_MAX_RANK) return false;
  out->rank = (int64_t)s->n_dim;
  for (size_t i = 0; i < s->n_dim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = s->dim[i];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || d->dim_value < 0 ||
        d->dim_value > INDEX_MAX)
      return false;
    out->dims[i] = d->dim_value;
  }
  return true;
}

/* The error for a run-time input the lowering needs at compile time. */
static trn_status_t not_constant(trn_onnx_node_t *n, size_t i, const char *what) {
  return trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                        "input %zu '%s' (%s) is not a compile-time constant and the output shape "
                        "is not declared in the model",
                        i, input_name(n, i), what);
}

/* =================================================================================
 * Compile-time constants
 * ============================================================================== */

typedef struct const_t {
  size_t count;
  bool is_float;
  int64_t i[CONST_CAP];
  double f[CONST_CAP];
} const_t;

static bool const_put(const_t *c, size_t k, double f, int64_t i) {
  c->f[k] = f;
  c->i[k] = i;
  return true;
}

/* Reads element k of a dense elements or dense resource attribute. */
static bool const_from_attr(const_t *c, size_t k, MlirType elem, MlirAttribute a, bool resource) {
  intptr_t pos = (intptr_t)k;
  if (mlirTypeIsAF32(elem)) {
    float v = resource ? mlirDenseFloatResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetFloatValue(a, pos);
    return const_put(c, k, v, (int64_t)v);
  }
  if (mlirTypeIsAF64(elem)) {
    double v = resource ? mlirDenseDoubleResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetDoubleValue(a, pos);
    return const_put(c, k, v, (int64_t)v);
  }
  if (!mlirTypeIsAInteger(elem)) return false;
  unsigned w = mlirIntegerTypeGetWidth(elem);
  bool u = mlirIntegerTypeIsUnsigned(elem);
  int64_t v;
  switch (w) {
    case 1: v = resource ? mlirDenseBoolResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetBoolValue(a, pos); break;
    case 8:
      v = u ? (int64_t)(resource ? mlirDenseUInt8ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetUInt8Value(a, pos))
            : (int64_t)(resource ? mlirDenseInt8ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetInt8Value(a, pos));
      break;
    case 16:
      v = u ? (int64_t)(resource ? mlirDenseUInt16ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetUInt16Value(a, pos))
            : (int64_t)(resource ? mlirDenseInt16ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetInt16Value(a, pos));
      break;
    case 32:
      v = u ? (int64_t)(resource ? mlirDenseUInt32ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetUInt32Value(a, pos))
            : (int64_t)(resource ? mlirDenseInt32ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetInt32Value(a, pos));
      break;
    case 64:
      v = u ? (int64_t)(resource ? mlirDenseUInt64ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetUInt64Value(a, pos))
            : (resource ? mlirDenseInt64ResourceElementsAttrGetValue(a, pos) : mlirDenseElementsAttrGetInt64Value(a, pos));
      break;
    default: return false;
  }
  return const_put(c, k, (double)v, v);
}

/* Reads input i when it is a compile-time constant: an initializer, or the result of
 * a tosa.const / arith.constant (Shape, Constant nodes). Returns 1 when read, 0 when
 * the input is absent or known only at run time, -1 on an error (recorded). */
static int input_const(trn_onnx_node_t *n, size_t i, const char *what, const_t *c) {
  c->count = 0;
  c->is_float = false;
  if (trn_onnx_failed(n)) return -1;
  if (!trn_onnx_has_input(n, i)) return 0;
  const void *data = NULL;
  size_t size = 0;
  MlirType type;
  if (trn_onnx_input_constant(n, i, &data, &size, &type)) {
    /* An initializer or a constant-folded output: the importer's view of it. */
    trn_onnx_const_t k;
    if (!trn_onnx_input_const(n, i, what, &k)) return -1;
    size_t count = trn_onnx_const_count(&k);
    if (count > CONST_CAP) {
      trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input %zu '%s' (%s) holds %zu values; at most %d are supported", i,
                     input_name(n, i), what, count, CONST_CAP);
      return -1;
    }
    c->is_float = k.elem == TRN_ELEM_F32 || k.elem == TRN_ELEM_F64 || k.elem == TRN_ELEM_F16 || k.elem == TRN_ELEM_BF16;
    for (size_t j = 0; j < count; j++) const_put(c, j, trn_onnx_const_double_at(&k, j), trn_onnx_const_int_at(&k, j));
    c->count = count;
    return 1;
  }
  if (trn_onnx_failed(n)) return -1;
  /* A tosa.const / arith.constant built by an earlier node. */
  MlirValue v = trn_onnx_input(n, i);
  if (mlirValueIsNull(v)) return -1;
  if (!mlirValueIsAOpResult(v)) return 0;
  MlirOperation op = mlirOpResultGetOwner(v);
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  bool is_const = (name.length == 10 && strncmp(name.data, "tosa.const", 10) == 0) ||
                  (name.length == 14 && strncmp(name.data, "arith.constant", 14) == 0);
  if (!is_const) return 0;
  MlirAttribute attr = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
  if (mlirAttributeIsNull(attr)) return 0;
  bool resource = mlirAttributeIsADenseResourceElements(attr);
  if (!resource && !mlirAttributeIsADenseElements(attr)) return 0;
  type = mlirAttributeGetType(attr);
  MlirType elem = mlirShapedTypeGetElementType(type);
  int64_t count = 1;
  for (intptr_t d = 0; d < mlirShapedTypeGetRank(type); d++) count *= mlirShapedTypeGetDimSize(type, d);
  if (count > CONST_CAP) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input %zu '%s' (%s) holds %lld values; at most %d are supported",
                   i, input_name(n, i), what, (long long)count, CONST_CAP);
    return -1;
  }
  c->is_float = !mlirTypeIsAInteger(elem);
  for (int64_t k = 0; k < count; k++)
    if (!const_from_attr(c, (size_t)k, elem, attr, resource)) {
      trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input %zu '%s' (%s) has an unsupported element type", i,
                     input_name(n, i), what);
      return -1;
    }
  c->count = (size_t)count;
  return 1;
}

/* =================================================================================
 * Building blocks
 * ============================================================================== */

static MlirType i1_type(const trn_onnx_node_t *n) { return mlirIntegerTypeGet(trn_onnx_mlir(n), 1); }
static MlirType i32_type(const trn_onnx_node_t *n) { return mlirIntegerTypeGet(trn_onnx_mlir(n), 32); }

static trn_onnx_shape_t shape1(int64_t d) { return (trn_onnx_shape_t){1, {d}}; }

/* A shape of `rank` ones with `d` at `axis`. */
static trn_onnx_shape_t shape_along(int64_t rank, int64_t axis, int64_t d) {
  trn_onnx_shape_t s = {.rank = rank};
  for (int64_t i = 0; i < rank; i++) s.dims[i] = i == axis ? d : 1;
  return s;
}

static MlirValue const_attr(trn_onnx_node_t *n, MlirType type, MlirAttribute value) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirNamedAttribute attr = trn_onnx_named(n, "value", value);
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &attr, 1);
}

/* A constant of `shape` filled with `value`, of any element type. */
static MlirValue splat(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, MlirType elem, double value) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirType type = trn_onnx_tensor_type(n, shape, elem);
  MlirAttribute a;
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1)
    a = mlirDenseElementsAttrBoolSplatGet(type, value != 0);
  else if (mlirTypeIsAInteger(elem))
    a = mlirDenseElementsAttrSplatGet(type, mlirIntegerAttrGet(elem, (int64_t)value));
  else
    a = mlirDenseElementsAttrSplatGet(type, mlirFloatAttrDoubleGet(trn_onnx_mlir(n), elem, value));
  return const_attr(n, type, a);
}

/* An empty tensor (a shape with a zero dim). */
static MlirValue empty(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, MlirType elem) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirType type = trn_onnx_tensor_type(n, shape, elem);
  return const_attr(n, type, mlirDenseElementsAttrGet(type, 0, NULL));
}

/* Reshape of x to `out`; a zero-sized result is a constant. */
static MlirValue reshape_to(trn_onnx_node_t *n, MlirValue x, const trn_onnx_shape_t *out) {
  if (trn_onnx_failed(n)) return NULLV;
  if (trn_onnx_shape_elements(out) == 0) {
    trn_onnx_shape_t s = trn_onnx_shape(x);
    if (trn_onnx_shape_elements(&s) != 0) {
      char a[128], b[128];
      trn_onnx_error(n, TRN_ERR_FORMAT, "cannot reshape %s to %s", trn_onnx_shape_str(&s, a, sizeof a),
                     trn_onnx_shape_str(out, b, sizeof b));
      return NULLV;
    }
    return empty(n, out, trn_onnx_element_type(x));
  }
  return trn_onnx_reshape(n, x, out);
}

static MlirValue const_i32s(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, const int32_t *v) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirType type = trn_onnx_tensor_type(n, shape, i32_type(n));
  return const_attr(n, type, mlirDenseElementsAttrInt32Get(type, (intptr_t)trn_onnx_shape_elements(shape), v));
}

/* 0, 1, ..., count-1 as an i32 or f32 vector. */
static MlirValue iota(trn_onnx_node_t *n, int64_t count, bool as_float) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = shape1(count);
  if (count > INDEX_MAX) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "dimension %lld is too large for index vectors", (long long)count);
    return NULLV;
  }
  size_t k = (size_t)(count > 0 ? count : 1);
  MlirValue r;
  if (as_float) {
    float *v = malloc(k * sizeof *v);
    if (!v) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory"), NULLV;
    for (int64_t i = 0; i < count; i++) v[i] = (float)i;
    MlirType type = trn_onnx_tensor_type(n, &s, trn_onnx_f32(n));
    r = const_attr(n, type, mlirDenseElementsAttrFloatGet(type, (intptr_t)count, v));
    free(v);
  } else {
    int32_t *v = malloc(k * sizeof *v);
    if (!v) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory"), NULLV;
    for (int64_t i = 0; i < count; i++) v[i] = (int32_t)i;
    r = const_i32s(n, &s, v);
    free(v);
  }
  return r;
}

static MlirValue op1(trn_onnx_node_t *n, const char *name, MlirValue v, MlirType type) {
  return trn_onnx_build(n, name, &v, 1, type, NULL, 0);
}

/* An element-wise unary op that keeps the type (tosa.floor, tosa.reciprocal, ...). */
static MlirValue unary(trn_onnx_node_t *n, const char *name, MlirValue v) {
  if (trn_onnx_failed(n)) return NULLV;
  return op1(n, name, v, mlirValueGetType(v));
}

static MlirValue cast_to(trn_onnx_node_t *n, MlirValue v, MlirType elem) {
  if (trn_onnx_failed(n)) return NULLV;
  if (mlirTypeEqual(trn_onnx_element_type(v), elem)) return v;
  trn_onnx_shape_t s = trn_onnx_shape(v);
  return op1(n, "tosa.cast", v, trn_onnx_tensor_type(n, &s, elem));
}

/* tosa.clamp of an integer or float tensor to [lo, hi]. */
static MlirValue clamp(trn_onnx_node_t *n, MlirValue v, double lo, double hi) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirNamedAttribute attrs[4] = {
      trn_onnx_named(n, "min_int", trn_onnx_int_attr(n, 64, (int64_t)lo)),
      trn_onnx_named(n, "max_int", trn_onnx_int_attr(n, 64, (int64_t)hi)),
      trn_onnx_named(n, "min_fp", trn_onnx_f32_attr(n, (float)lo)),
      trn_onnx_named(n, "max_fp", trn_onnx_f32_attr(n, (float)hi)),
  };
  return trn_onnx_build(n, "tosa.clamp", &v, 1, mlirValueGetType(v), attrs, 4);
}

/* A comparison (tosa.greater, tosa.greater_equal, tosa.equal) with broadcasting. */
static MlirValue compare(trn_onnx_node_t *n, const char *name, MlirValue a, MlirValue b) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), out;
  if (!trn_onnx_broadcast(n, &sa, &sb, &out)) return NULLV;
  MlirValue ops[2] = {trn_onnx_expand_rank(n, a, out.rank), trn_onnx_expand_rank(n, b, out.rank)};
  return trn_onnx_build(n, name, ops, 2, trn_onnx_tensor_type(n, &out, i1_type(n)), NULL, 0);
}

/* tosa.select with broadcasting of the three operands. */
static MlirValue select3(trn_onnx_node_t *n, MlirValue c, MlirValue a, MlirValue b) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t sc = trn_onnx_shape(c), sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), t, out;
  if (!trn_onnx_broadcast(n, &sa, &sb, &t) || !trn_onnx_broadcast(n, &sc, &t, &out)) return NULLV;
  MlirValue ops[3] = {trn_onnx_expand_rank(n, c, out.rank), trn_onnx_expand_rank(n, a, out.rank),
                      trn_onnx_expand_rank(n, b, out.rank)};
  return trn_onnx_build(n, "tosa.select", ops, 3, trn_onnx_tensor_type(n, &out, trn_onnx_element_type(a)),
                        NULL, 0);
}

static MlirValue add(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.add", a, b); }
static MlirValue sub(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.sub", a, b); }
static MlirValue mul(trn_onnx_node_t *n, MlirValue a, MlirValue b) { return trn_onnx_binary(n, "tosa.mul", a, b); }

/* A [1] constant of v's element type, for arithmetic with v. */
static MlirValue like(trn_onnx_node_t *n, MlirValue v, double value) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = shape1(1);
  return splat(n, &s, trn_onnx_element_type(v), value);
}

static MlirValue add_c(trn_onnx_node_t *n, MlirValue v, double c) { return add(n, v, like(n, v, c)); }
static MlirValue mul_c(trn_onnx_node_t *n, MlirValue v, double c) { return mul(n, v, like(n, v, c)); }

/* tosa.slice; an empty result is a constant. */
static MlirValue slice(trn_onnx_node_t *n, MlirValue v, const int64_t *start, const int64_t *size) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = trn_onnx_shape(v), out = {.rank = s.rank};
  bool same = true;
  for (int64_t i = 0; i < s.rank; i++) {
    out.dims[i] = size[i];
    same = same && start[i] == 0 && size[i] == s.dims[i];
  }
  if (same) return v;
  MlirType elem = trn_onnx_element_type(v);
  if (trn_onnx_shape_elements(&out) == 0) return empty(n, &out, elem);
  MlirNamedAttribute attrs[2] = {
      trn_onnx_named(n, "start", trn_onnx_i64_array_attr(n, start, (size_t)s.rank)),
      trn_onnx_named(n, "size", trn_onnx_i64_array_attr(n, size, (size_t)s.rank)),
  };
  return trn_onnx_build(n, "tosa.slice", &v, 1, trn_onnx_tensor_type(n, &out, elem), attrs, 2);
}

/* Element k of a 1-D tensor as a [1] tensor. */
static MlirValue element_at(trn_onnx_node_t *n, MlirValue v, int64_t k) {
  int64_t start = k, size = 1;
  return slice(n, v, &start, &size);
}

static MlirValue tile(trn_onnx_node_t *n, MlirValue v, const int64_t *multiples) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = trn_onnx_shape(v), out = {.rank = s.rank};
  bool same = true;
  for (int64_t i = 0; i < s.rank; i++) {
    out.dims[i] = s.dims[i] * multiples[i];
    same = same && multiples[i] == 1;
  }
  if (same) return v;
  MlirType elem = trn_onnx_element_type(v);
  if (trn_onnx_shape_elements(&out) == 0) return empty(n, &out, elem);
  MlirNamedAttribute attr = trn_onnx_named(n, "multiples", trn_onnx_i64_array_attr(n, multiples, (size_t)s.rank));
  return trn_onnx_build(n, "tosa.tile", &v, 1, trn_onnx_tensor_type(n, &out, elem), &attr, 1);
}

/* tosa.reverse along `axis`. */
static MlirValue reverse(trn_onnx_node_t *n, MlirValue v, int64_t axis) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = trn_onnx_shape(v);
  if (s.dims[axis] <= 1 || trn_onnx_shape_elements(&s) == 0) return v;
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.reverse", &v, 1, mlirValueGetType(v), &attr, 1);
}

/* Elements 0, p, 2p, ... along `axis`, whose size is a multiple of p: reshape to
 * [.., size / p, p, ..], slice column 0, reshape back. */
static MlirValue every_nth(trn_onnx_node_t *n, MlirValue v, int64_t axis, int64_t p) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = trn_onnx_shape(v), s1 = {.rank = s.rank + 1}, out = s;
  int64_t start[TRN_MAX_RANK + 1] = {0}, size[TRN_MAX_RANK + 1];
  for (int64_t i = 0; i <= s.rank; i++) {
    s1.dims[i] = i < axis ? s.dims[i] : i == axis ? s.dims[axis] / p : i == axis + 1 ? p : s.dims[i - 1];
    size[i] = i == axis + 1 ? 1 : s1.dims[i];
  }
  out.dims[axis] = s.dims[axis] / p;
  return reshape_to(n, slice(n, trn_onnx_reshape(n, v, &s1), start, size), &out);
}

/* `size` elements from `start` along `axis`. */
static MlirValue slice_axis(trn_onnx_node_t *n, MlirValue v, int64_t axis, int64_t start, int64_t size) {
  trn_onnx_shape_t s = trn_onnx_shape(v);
  int64_t st[TRN_MAX_RANK] = {0}, sz[TRN_MAX_RANK];
  for (int64_t i = 0; i < s.rank; i++) sz[i] = s.dims[i];
  st[axis] = start;
  sz[axis] = size;
  return slice(n, v, st, sz);
}

/* tosa.concat along `axis` of the non-empty values (null values are skipped). */
static MlirValue concat_values(trn_onnx_node_t *n, const MlirValue *vals, size_t count, int64_t axis) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirValue used[8];
  size_t k = 0;
  trn_onnx_shape_t out = {.rank = -1};
  for (size_t i = 0; i < count && k < 8; i++) {
    if (mlirValueIsNull(vals[i])) continue;
    trn_onnx_shape_t s = trn_onnx_shape(vals[i]);
    if (out.rank < 0) out = s, out.dims[axis] = 0;
    out.dims[axis] += s.dims[axis];
    if (trn_onnx_shape_elements(&s) > 0) used[k++] = vals[i];
  }
  if (k == 1) return used[0];
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.concat", used, k, trn_onnx_tensor_type(n, &out, trn_onnx_element_type(used[0])),
                        &attr, 1);
}

/* Integer index values as i32 (i64 clamped first so that huge values saturate). */
static MlirValue to_index(trn_onnx_node_t *n, MlirValue v) {
  if (trn_onnx_failed(n)) return NULLV;
  MlirType e = trn_onnx_element_type(v);
  if (mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 32) return v;
  if (mlirTypeIsAInteger(e) && mlirIntegerTypeGetWidth(e) == 64) v = clamp(n, v, -(double)INDEX_MAX, (double)INDEX_MAX);
  else if (!mlirTypeIsAInteger(e)) v = unary(n, "tosa.floor", v);
  return cast_to(n, v, i32_type(n));
}

/* Negative indices count from `dim`: idx < 0 ? idx + dim : idx (i32). */
static MlirValue wrap_negative(trn_onnx_node_t *n, MlirValue idx, int64_t dim) {
  MlirValue zero = like(n, idx, 0);
  return select3(n, compare(n, "tosa.greater", zero, idx), add_c(n, idx, (double)dim), idx);
}

/* Picks positions `idx` (1-D i32 [W], each in [0, dim)) along `axis` of x: the result
 * has dim W at `axis`. tosa.gather on x as [outer, dim, inner]. */
static MlirValue take(trn_onnx_node_t *n, MlirValue x, int64_t axis, MlirValue idx) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = trn_onnx_shape(x), is = trn_onnx_shape(idx);
  int64_t w = is.dims[0], outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; i++) outer *= s.dims[i];
  for (int64_t i = axis + 1; i < s.rank; i++) inner *= s.dims[i];
  trn_onnx_shape_t out = s;
  out.dims[axis] = w;
  MlirType elem = trn_onnx_element_type(x);
  if (trn_onnx_shape_elements(&out) == 0) return empty(n, &out, elem);
  if (s.dims[axis] == 0) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "cannot take elements from an empty axis %lld", (long long)axis);
    return NULLV;
  }
  trn_onnx_shape_t v3 = {3, {outer, s.dims[axis], inner}}, i2 = {2, {1, w}}, o3 = {3, {outer, w, inner}};
  MlirValue values = trn_onnx_reshape(n, x, &v3);
  MlirValue indices = trn_onnx_reshape(n, idx, &i2);
  int64_t mult[2] = {outer, 1};
  indices = tile(n, indices, mult);
  MlirValue ops[2] = {values, indices};
  MlirValue g = trn_onnx_build(n, "tosa.gather", ops, 2, trn_onnx_tensor_type(n, &o3, elem), NULL, 0);
  return trn_onnx_reshape(n, g, &out);
}

/* take() with constant positions. */
static MlirValue take_const(trn_onnx_node_t *n, MlirValue x, int64_t axis, const int32_t *pos, int64_t w) {
  trn_onnx_shape_t s = shape1(w);
  if (w == 0) {
    trn_onnx_shape_t out = trn_onnx_shape(x);
    out.dims[axis] = 0;
    return empty(n, &out, trn_onnx_element_type(x));
  }
  return take(n, x, axis, const_i32s(n, &s, pos));
}

/* Reshapes a 1-D vector to broadcast along `axis` of a rank-`rank` tensor. */
static MlirValue along(trn_onnx_node_t *n, MlirValue v, int64_t rank, int64_t axis) {
  trn_onnx_shape_t s = trn_onnx_shape(v);
  trn_onnx_shape_t t = shape_along(rank, axis, s.rank == 1 ? s.dims[0] : 1);
  return trn_onnx_reshape(n, v, &t);
}

/* A run-time scalar-like input value (any shape with one element) as a [1] tensor. */
static MlirValue as_one(trn_onnx_node_t *n, MlirValue v) {
  trn_onnx_shape_t one = shape1(1);
  return trn_onnx_reshape(n, v, &one);
}

/* =================================================================================
 * Folding small constants
 *
 * Shape computations (Shape -> Gather -> Unsqueeze -> Concat -> Reshape, as exporters
 * write `x.view(x.size(0), -1)`) stay compile-time constants: when the data inputs
 * of these ops are small constants the result is computed here and set with
 * trn_onnx_set_output_const, so that a later shape input can be read.
 * ============================================================================== */

#define FOLD_MAX 4096

/* Input i when it is a compile-time constant of at most FOLD_MAX elements. */
static bool small_const(trn_onnx_node_t *n, size_t i, trn_onnx_const_t *c) {
  const void *d;
  size_t size;
  MlirType t;
  if (trn_onnx_failed(n) || !trn_onnx_input_constant(n, i, &d, &size, &t)) return false;
  if (!trn_onnx_input_const(n, i, "data", c)) return false;
  return trn_onnx_shape_elements(&c->shape) <= FOLD_MAX;
}

static size_t const_esize(trn_elem_type_t e) { return e == TRN_ELEM_F64 ? 4 : trn_elem_type_size(e); }

/* Output k = the constant c's elements at positions map[0..) laid out as `shape`. */
static void fold_map(trn_onnx_node_t *n, size_t k, const trn_onnx_const_t *c, const trn_onnx_shape_t *shape,
                     const int64_t *map) {
  size_t es = const_esize(c->elem), count = (size_t)trn_onnx_shape_elements(shape);
  uint8_t *buf = malloc(count * es + 1);
  if (!buf) {
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    return;
  }
  for (size_t e = 0; e < count; e++) memcpy(buf + e * es, (const uint8_t *)c->data + (size_t)map[e] * es, es);
  trn_onnx_const_t o = {.elem = c->elem, .shape = *shape, .data = buf, .size = count * es};
  trn_onnx_set_output_const(n, k, &o);
  free(buf);
}

/* Output 0 = the constant c with a new shape (same bytes). */
static void fold_reshape(trn_onnx_node_t *n, const trn_onnx_const_t *c, const trn_onnx_shape_t *shape) {
  trn_onnx_const_t o = *c;
  o.shape = *shape;
  trn_onnx_set_output_const(n, 0, &o);
}

/* The positions of a strided selection: output coordinate i along d reads input
 * coordinate start[d] + i * step[d]. */
static int64_t *strided_map(const trn_onnx_shape_t *in, const trn_onnx_shape_t *out, const int64_t *start,
                            const int64_t *step) {
  int64_t count = trn_onnx_shape_elements(out), st[TRN_MAX_RANK];
  int64_t *map = malloc((size_t)(count > 0 ? count : 1) * sizeof *map);
  if (!map) return NULL;
  int64_t acc = 1;
  for (int64_t d = in->rank - 1; d >= 0; d--) st[d] = acc, acc *= in->dims[d];
  for (int64_t e = 0; e < count; e++) {
    int64_t rem = e, src = 0;
    for (int64_t d = out->rank - 1; d >= 0; d--) {
      int64_t i = rem % out->dims[d];
      rem /= out->dims[d];
      src += (start[d] + i * step[d]) * st[d];
    }
    map[e] = src;
  }
  return map;
}

/* =================================================================================
 * Reshape, Flatten, Squeeze, Unsqueeze, Transpose
 * ============================================================================== */

/* Output shape of Reshape from the requested dims (0 = copy unless allowzero, -1 =
 * inferred). */
static bool reshape_dims(trn_onnx_node_t *n, const trn_onnx_shape_t *in, const int64_t *req, size_t count,
                         bool allowzero, trn_onnx_shape_t *out) {
  if (count > TRN_MAX_RANK) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "shape has %zu dims; at most %d are supported", count, TRN_MAX_RANK);
    return false;
  }
  out->rank = (int64_t)count;
  int64_t infer = -1, known = 1;
  bool has_zero = false;
  for (size_t i = 0; i < count; i++) {
    int64_t d = req[i];
    if (d == -1) {
      if (infer >= 0) {
        trn_onnx_error(n, TRN_ERR_FORMAT, "shape has more than one -1");
        return false;
      }
      infer = (int64_t)i;
      out->dims[i] = 1;
      continue;
    }
    if (d < -1) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "shape value %lld at %zu is invalid", (long long)d, i);
      return false;
    }
    if (d == 0 && !allowzero) {
      if ((int64_t)i >= in->rank) {
        trn_onnx_error(n, TRN_ERR_FORMAT, "shape value 0 at %zu copies a dim the input (rank %lld) lacks", i,
                       (long long)in->rank);
        return false;
      }
      d = in->dims[i];
    }
    if (d == 0) has_zero = true;
    out->dims[i] = d;
    known *= d;
  }
  int64_t total = trn_onnx_shape_elements(in);
  if (infer >= 0) {
    if (has_zero || known == 0) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "shape combines -1 with a zero dim");
      return false;
    }
    if (total % known != 0) {
      char b[128];
      trn_onnx_error(n, TRN_ERR_FORMAT, "cannot infer the -1 dim: %lld elements of %s do not divide by %lld",
                     (long long)total, trn_onnx_shape_str(in, b, sizeof b), (long long)known);
      return false;
    }
    out->dims[infer] = total / known;
  }
  if (trn_onnx_shape_elements(out) != total) {
    char a[128], b[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "cannot reshape %s to %s", trn_onnx_shape_str(in, a, sizeof a),
                   trn_onnx_shape_str(out, b, sizeof b));
    return false;
  }
  return true;
}

/* Sets output 0 to x reshaped to `out`, folded when x is a small constant. */
static void set_reshaped(trn_onnx_node_t *n, const trn_onnx_shape_t *out) {
  trn_onnx_const_t c;
  if (small_const(n, 0, &c)) {
    fold_reshape(n, &c, out);
    return;
  }
  trn_onnx_set_output(n, 0, reshape_to(n, trn_onnx_input(n, 0), out));
}

/* The declared output shape for a run-time shape-like input, checked to hold as many
 * elements as x. */
static bool declared_same_size(trn_onnx_node_t *n, const trn_onnx_shape_t *in, size_t input, const char *what,
                               trn_onnx_shape_t *out) {
  if (!declared_shape(n, 0, out)) {
    not_constant(n, input, what);
    return false;
  }
  trn_onnx_shape_t s = *in;
  if (trn_onnx_shape_elements(&s) != trn_onnx_shape_elements(out)) {
    char a[128], b[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "the declared output shape %s does not hold the %s elements of %s",
                   trn_onnx_shape_str(out, a, sizeof a), "input", trn_onnx_shape_str(&s, b, sizeof b));
    return false;
  }
  return true;
}

static trn_status_t import_reshape(trn_onnx_node_t *n) {
  trn_onnx_shape_t s, out;
  if (!in_type(n, 0, "input 'data'", &s, NULL)) return NULL;
  const int64_t *req;
  size_t count;
  const_t c;
  if (trn_onnx_node_opset(n) < 5) {
    count = trn_onnx_attr_ints(n, "shape", &req);
  } else {
    int r = input_const(n, 1, "shape", &c);
    if (r < 0) return NULL;
    if (r == 0) {
      if (!trn_onnx_has_input(n, 1)) return trn_onnx_error(n, TRN_ERR_FORMAT, "input 'shape' is missing");
      if (!declared_same_size(n, &s, 1, "shape", &out)) return NULL;
      set_reshaped(n, &out);
      return NULL;
    }
    req = c.i;
    count = c.count;
  }
  bool allowzero = trn_onnx_node_opset(n) >= 14 && trn_onnx_attr_int(n, "allowzero", 0) != 0;
  if (!reshape_dims(n, &s, req, count, allowzero, &out)) return NULL;
  set_reshaped(n, &out);
  return NULL;
}

static trn_status_t import_flatten(trn_onnx_node_t *n) {
  trn_onnx_shape_t s;
  if (!in_type(n, 0, "input", &s, NULL)) return NULL;
  int64_t axis;
  if (!norm_axis(n, trn_onnx_attr_int(n, "axis", 1), s.rank, true, "attribute 'axis'", &axis)) return NULL;
  trn_onnx_shape_t out = {2, {1, 1}};
  for (int64_t i = 0; i < s.rank; i++) out.dims[i < axis ? 0 : 1] *= s.dims[i];
  set_reshaped(n, &out);
  return NULL;
}

/* Reads axes from an attribute (opset < `input_from`) or from input 1. Returns 1 read,
 * 0 absent, -1 error, 2 run-time input. */
static int axes_attr_or_input(trn_onnx_node_t *n, int64_t input_from, const_t *c) {
  c->count = 0;
  if (trn_onnx_node_opset(n) < input_from) {
    const int64_t *v;
    size_t k = trn_onnx_attr_ints(n, "axes", &v);
    if (trn_onnx_failed(n)) return -1;
    if (k > CONST_CAP) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "too many axes (%zu)", k), -1;
    for (size_t i = 0; i < k; i++) c->i[i] = v[i];
    c->count = k;
    return trn_onnx_has_attr(n, "axes") ? 1 : 0;
  }
  int r = input_const(n, 1, "axes", c);
  if (r == 0 && trn_onnx_has_input(n, 1)) return 2;
  return r;
}

static trn_status_t import_squeeze(trn_onnx_node_t *n) {
  trn_onnx_shape_t s, out = {.rank = 0};
  if (!in_type(n, 0, "input", &s, NULL)) return NULL;
  const_t c;
  int r = axes_attr_or_input(n, 13, &c);
  if (r < 0) return NULL;
  if (r == 2) {
    if (!declared_same_size(n, &s, 1, "axes", &out)) return NULL;
    set_reshaped(n, &out);
    return NULL;
  }
  bool drop[TRN_MAX_RANK] = {false};
  if (c.count == 0) {
    for (int64_t i = 0; i < s.rank; i++) drop[i] = s.dims[i] == 1;
  } else {
    for (size_t k = 0; k < c.count; k++) {
      int64_t a;
      if (!norm_axis(n, c.i[k], s.rank, false, "axis", &a)) return NULL;
      if (s.dims[a] != 1) {
        char b[128];
        return trn_onnx_error(n, TRN_ERR_FORMAT, "axis %lld of %s is not 1 and cannot be squeezed",
                              (long long)c.i[k], trn_onnx_shape_str(&s, b, sizeof b));
      }
      drop[a] = true;
    }
  }
  for (int64_t i = 0; i < s.rank; i++)
    if (!drop[i]) out.dims[out.rank++] = s.dims[i];
  set_reshaped(n, &out);
  return NULL;
}

static trn_status_t import_unsqueeze(trn_onnx_node_t *n) {
  trn_onnx_shape_t s, out;
  if (!in_type(n, 0, "input", &s, NULL)) return NULL;
  const_t c;
  int r = axes_attr_or_input(n, 13, &c);
  if (r < 0) return NULL;
  if (r == 2) {
    if (!declared_same_size(n, &s, 1, "axes", &out)) return NULL;
    set_reshaped(n, &out);
    return NULL;
  }
  if (c.count == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'axes' is required");
  int64_t rank = s.rank + (int64_t)c.count;
  if (rank > TRN_MAX_RANK)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "result rank %lld exceeds %d", (long long)rank, TRN_MAX_RANK);
  bool ins[TRN_MAX_RANK] = {false};
  for (size_t k = 0; k < c.count; k++) {
    int64_t a;
    if (!norm_axis(n, c.i[k], rank, false, "axis", &a)) return NULL;
    if (ins[a]) return trn_onnx_error(n, TRN_ERR_FORMAT, "axis %lld is repeated", (long long)c.i[k]);
    ins[a] = true;
  }
  out.rank = rank;
  for (int64_t i = 0, j = 0; i < rank; i++) out.dims[i] = ins[i] ? 1 : s.dims[j++];
  set_reshaped(n, &out);
  return NULL;
}

/* tosa.transpose that tolerates empty tensors. */
static MlirValue transpose(trn_onnx_node_t *n, MlirValue x, const int64_t *perm) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t s = trn_onnx_shape(x), out = {.rank = s.rank};
  bool identity = true;
  for (int64_t i = 0; i < s.rank; i++) {
    out.dims[i] = s.dims[perm[i]];
    identity = identity && perm[i] == i;
  }
  if (identity) return x;
  if (trn_onnx_shape_elements(&s) == 0) return empty(n, &out, trn_onnx_element_type(x));
  return trn_onnx_transpose(n, x, perm);
}

static trn_status_t import_transpose(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input", &s)) return NULL;
  const int64_t *p;
  size_t count = trn_onnx_attr_ints(n, "perm", &p);
  int64_t perm[TRN_MAX_RANK];
  if (count == 0) {
    for (int64_t i = 0; i < s.rank; i++) perm[i] = s.rank - 1 - i;
  } else {
    if ((int64_t)count != s.rank)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'perm' has %zu entries for an input of rank %lld", count,
                            (long long)s.rank);
    bool seen[TRN_MAX_RANK] = {false};
    for (size_t i = 0; i < count; i++) {
      if (p[i] < 0 || p[i] >= s.rank || seen[p[i]])
        return trn_onnx_error(n, TRN_ERR_FORMAT, "'perm' is not a permutation (entry %zu = %lld)", i,
                              (long long)p[i]);
      seen[p[i]] = true;
      perm[i] = p[i];
    }
  }
  trn_onnx_set_output(n, 0, transpose(n, x, perm));
  return NULL;
}

/* =================================================================================
 * Concat, Split
 * ============================================================================== */

/* Concat of small constants along `axis` into `out`; false when some input is not one. */
static bool fold_concat(trn_onnx_node_t *n, size_t count, int64_t axis, const trn_onnx_shape_t *out) {
  trn_onnx_const_t *cs = calloc(count, sizeof *cs);
  if (!cs) return false;
  bool ok = true;
  for (size_t i = 0; i < count && ok; i++) ok = small_const(n, i, &cs[i]) && cs[i].elem == cs[0].elem;
  if (ok) {
    size_t es = const_esize(cs[0].elem), total = (size_t)trn_onnx_shape_elements(out) * es, at = 0;
    int64_t outer = 1, inner = 1;
    for (int64_t d = 0; d < axis; d++) outer *= out->dims[d];
    for (int64_t d = axis + 1; d < out->rank; d++) inner *= out->dims[d];
    uint8_t *buf = malloc(total + 1);
    ok = buf != NULL;
    for (int64_t o = 0; ok && o < outer; o++)
      for (size_t i = 0; i < count; i++) {
        size_t chunk = (size_t)(cs[i].shape.dims[axis] * inner) * es;
        memcpy(buf + at, (const uint8_t *)cs[i].data + (size_t)o * chunk, chunk);
        at += chunk;
      }
    if (ok) {
      trn_onnx_const_t o = {.elem = cs[0].elem, .shape = *out, .data = buf, .size = total};
      trn_onnx_set_output_const(n, 0, &o);
    }
    free(buf);
  }
  free(cs);
  return ok;
}

static trn_status_t import_concat(trn_onnx_node_t *n) {
  size_t count = trn_onnx_input_count(n);
  if (count == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "no inputs");
  if (trn_onnx_node_opset(n) >= 4 && !trn_onnx_has_attr(n, "axis"))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'axis' is required");
  MlirValue *vals = calloc(count, sizeof *vals);
  if (!vals) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
  trn_onnx_shape_t s0, out;
  size_t used = 0;
  MlirType elem = {NULL};
  int64_t axis = 0;
  for (size_t i = 0; i < count && !trn_onnx_failed(n); i++) {
    trn_onnx_shape_t s;
    MlirType e;
    char what[32];
    snprintf(what, sizeof what, "input %zu", i);
    if (!in_type(n, i, what, &s, &e)) break;
    if (i == 0) {
      s0 = s;
      out = s;
      elem = e;
      if (!norm_axis(n, trn_onnx_attr_int(n, "axis", 1), s.rank, false, "attribute 'axis'", &axis)) break;
      out.dims[axis] = 0;
    } else {
      bool ok = s.rank == s0.rank && mlirTypeEqual(elem, e);
      for (int64_t d = 0; ok && d < s.rank; d++) ok = d == axis || s.dims[d] == s0.dims[d];
      if (!ok) {
        char a[128], b[128];
        trn_onnx_error(n, TRN_ERR_FORMAT, "input %zu %s does not match input 0 %s outside axis %lld", i,
                       trn_onnx_shape_str(&s, a, sizeof a), trn_onnx_shape_str(&s0, b, sizeof b), (long long)axis);
        break;
      }
    }
    out.dims[axis] += s.dims[axis];
  }
  if (!trn_onnx_failed(n) && !fold_concat(n, count, axis, &out)) {
    for (size_t i = 0; i < count; i++) {
      MlirValue v = trn_onnx_input(n, i);
      trn_onnx_shape_t s = trn_onnx_shape(v);
      if (trn_onnx_shape_elements(&s) > 0) vals[used++] = v;
    }
    MlirValue r;
    if (trn_onnx_shape_elements(&out) == 0) r = empty(n, &out, elem);
    else if (used == 1) r = vals[0];
    else {
      MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
      r = trn_onnx_build(n, "tosa.concat", vals, used, trn_onnx_tensor_type(n, &out, elem), &attr, 1);
    }
    trn_onnx_set_output(n, 0, r);
  }
  free(vals);
  return NULL;
}

static trn_status_t import_split(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input", &s)) return NULL;
  int64_t axis, opset = trn_onnx_node_opset(n);
  if (!norm_axis(n, trn_onnx_attr_int(n, "axis", 0), s.rank, false, "attribute 'axis'", &axis)) return NULL;
  size_t outs = trn_onnx_output_count(n);
  if (outs == 0 || outs > CONST_CAP) return trn_onnx_error(n, TRN_ERR_FORMAT, "%zu outputs are not supported", outs);
  int64_t sizes[CONST_CAP];
  const_t c = {0};
  int r = 0;
  if (opset >= 13 || (opset < 2 && trn_onnx_has_input(n, 1))) {
    r = input_const(n, 1, "split", &c);
    if (r < 0) return NULL;
    if (r == 0 && trn_onnx_has_input(n, 1)) {
      /* Run-time split sizes: the declared output shapes give them. */
      for (size_t k = 0; k < outs; k++) {
        trn_onnx_shape_t d;
        if (!declared_shape(n, k, &d) || d.rank != s.rank) return not_constant(n, 1, "split");
        sizes[k] = d.dims[axis];
      }
      c.count = outs;
      for (size_t k = 0; k < outs; k++) c.i[k] = sizes[k];
      r = 1;
    }
  } else {
    const int64_t *v;
    size_t k = trn_onnx_attr_ints(n, "split", &v);
    if (k > CONST_CAP) return trn_onnx_error(n, TRN_ERR_FORMAT, "'split' has too many entries");
    for (size_t i = 0; i < k; i++) c.i[i] = v[i];
    c.count = k;
    r = k > 0;
  }
  int64_t dim = s.dims[axis];
  if (r == 1) {
    if (c.count != outs)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'split' has %zu entries for %zu outputs", c.count, outs);
    int64_t total = 0;
    for (size_t k = 0; k < outs; k++) {
      if (c.i[k] < 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'split' entry %lld is negative", (long long)c.i[k]);
      sizes[k] = c.i[k];
      total += c.i[k];
    }
    if (total != dim)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'split' sums to %lld, axis %lld has %lld", (long long)total,
                            (long long)axis, (long long)dim);
  } else if (opset >= 18 && trn_onnx_has_attr(n, "num_outputs")) {
    int64_t num = trn_onnx_attr_int(n, "num_outputs", 0);
    if (num < 1 || (size_t)num != outs)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'num_outputs' %lld does not match %zu outputs", (long long)num, outs);
    int64_t chunk = (dim + num - 1) / num, left = dim;
    for (size_t k = 0; k < outs; k++) {
      sizes[k] = left < chunk ? left : chunk;
      left -= sizes[k];
    }
  } else {
    if (dim % (int64_t)outs != 0)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "axis %lld of size %lld does not split into %zu equal parts",
                            (long long)axis, (long long)dim, outs);
    for (size_t k = 0; k < outs; k++) sizes[k] = dim / (int64_t)outs;
  }
  int64_t start[TRN_MAX_RANK] = {0}, size[TRN_MAX_RANK];
  for (int64_t i = 0; i < s.rank; i++) size[i] = s.dims[i];
  for (size_t k = 0; k < outs; k++) {
    size[axis] = sizes[k];
    trn_onnx_set_output(n, k, slice(n, x, start, size));
    start[axis] += sizes[k];
  }
  return NULL;
}

/* =================================================================================
 * Slice
 * ============================================================================== */

/* Run-time Slice (opset >= 10): the declared output shape gives each axis' count;
 * each axis' start and step are picked from the (run-time) vectors by comparing
 * `axes` with the axis, normalized and clamped as ONNX says, and the positions
 * start + i * step are taken with a gather. */
static void slice_runtime(trn_onnx_node_t *n, MlirValue x, const trn_onnx_shape_t *s) {
  trn_onnx_shape_t out;
  if (!declared_shape(n, 0, &out) || out.rank != s->rank) {
    not_constant(n, 1, "starts");
    return;
  }
  MlirValue starts = to_index(n, trn_onnx_input(n, 1));
  trn_onnx_shape_t ks = trn_onnx_shape(starts);
  if (trn_onnx_failed(n)) return;
  if (ks.rank != 1) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "'starts' must be 1-D");
    return;
  }
  int64_t k = ks.dims[0];
  MlirValue axes = trn_onnx_has_input(n, 3) ? to_index(n, trn_onnx_input(n, 3)) : iota(n, k, false);
  trn_onnx_shape_t ones = shape1(k);
  MlirValue steps = trn_onnx_has_input(n, 4) ? to_index(n, trn_onnx_input(n, 4)) : splat(n, &ones, i32_type(n), 1);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, trn_onnx_element_type(x)));
    return;
  }
  axes = wrap_negative(n, axes, s->rank);
  MlirValue zero = like(n, starts, 0);
  MlirValue y = x;
  for (int64_t d = 0; d < s->rank && !trn_onnx_failed(n); d++) {
    int64_t dim = s->dims[d];
    MlirValue hit = compare(n, "tosa.equal", axes, like(n, axes, (double)d));
    MlirNamedAttribute ax = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, 0));
    trn_onnx_shape_t one = shape1(1);
    MlirType t1 = trn_onnx_tensor_type(n, &one, i32_type(n));
    MlirValue st_sel = select3(n, hit, starts, zero);
    MlirValue sp_sel = select3(n, hit, steps, zero);
    MlirValue any_sel = select3(n, hit, like(n, starts, 1), zero);
    MlirValue st = trn_onnx_build(n, "tosa.reduce_sum", &st_sel, 1, t1, &ax, 1);
    MlirValue sp = trn_onnx_build(n, "tosa.reduce_sum", &sp_sel, 1, t1, &ax, 1);
    MlirValue any = trn_onnx_build(n, "tosa.reduce_sum", &any_sel, 1, t1, &ax, 1);
    MlirValue present = compare(n, "tosa.greater", any, zero);
    sp = select3(n, present, sp, like(n, sp, 1));
    st = wrap_negative(n, st, dim);
    MlirValue up = compare(n, "tosa.greater", sp, zero);
    st = select3(n, up, clamp(n, st, 0, (double)dim), clamp(n, st, 0, (double)(dim > 0 ? dim - 1 : 0)));
    MlirValue idx = add(n, mul(n, iota(n, out.dims[d], false), sp), st);
    idx = clamp(n, idx, 0, (double)(dim > 0 ? dim - 1 : 0));
    y = take(n, y, d, idx);
  }
  trn_onnx_set_output(n, 0, y);
}

static trn_status_t import_slice(trn_onnx_node_t *n) {
  trn_onnx_shape_t s;
  if (!in_type(n, 0, "input 'data'", &s, NULL)) return NULL;
  const_t st, en, ax, sp;
  int64_t opset = trn_onnx_node_opset(n);
  if (opset < 10) {
    const int64_t *v;
    size_t k;
    const_t *dst[3] = {&st, &en, &ax};
    const char *names[3] = {"starts", "ends", "axes"};
    for (int j = 0; j < 3; j++) {
      k = trn_onnx_attr_ints(n, names[j], &v);
      if (k > CONST_CAP) return trn_onnx_error(n, TRN_ERR_FORMAT, "'%s' has too many entries", names[j]);
      for (size_t i = 0; i < k; i++) dst[j]->i[i] = v[i];
      dst[j]->count = k;
    }
    sp.count = 0;
  } else {
    int r1 = input_const(n, 1, "starts", &st), r2 = input_const(n, 2, "ends", &en);
    int r3 = input_const(n, 3, "axes", &ax), r4 = input_const(n, 4, "steps", &sp);
    if (r1 < 0 || r2 < 0 || r3 < 0 || r4 < 0) return NULL;
    if (r1 == 0 || r2 == 0 || (r3 == 0 && trn_onnx_has_input(n, 3)) || (r4 == 0 && trn_onnx_has_input(n, 4))) {
      slice_runtime(n, trn_onnx_input(n, 0), &s);
      return NULL;
    }
  }
  size_t k = st.count;
  if (en.count != k) return trn_onnx_error(n, TRN_ERR_FORMAT, "'starts' has %zu entries, 'ends' %zu", k, en.count);
  if (ax.count != 0 && ax.count != k)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'axes' has %zu entries, 'starts' %zu", ax.count, k);
  if (sp.count != 0 && sp.count != k)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'steps' has %zu entries, 'starts' %zu", sp.count, k);
  int64_t start[TRN_MAX_RANK], step[TRN_MAX_RANK], count[TRN_MAX_RANK];
  bool seen[TRN_MAX_RANK] = {false};
  for (int64_t d = 0; d < s.rank; d++) start[d] = 0, step[d] = 1, count[d] = s.dims[d];
  for (size_t j = 0; j < k; j++) {
    int64_t a;
    if (!norm_axis(n, ax.count ? ax.i[j] : (int64_t)j, s.rank, false, "axis", &a)) return NULL;
    if (seen[a]) return trn_onnx_error(n, TRN_ERR_FORMAT, "axis %lld is repeated", (long long)a);
    seen[a] = true;
    int64_t dim = s.dims[a], b = st.i[j], e = en.i[j], p = sp.count ? sp.i[j] : 1;
    if (p == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'steps' entry %zu is 0", j);
    /* Steps beyond the axis select the same single element. */
    if (p > dim + 1) p = dim + 1;
    if (p < -(dim + 1)) p = -(dim + 1);
    if (b < 0) b += dim;
    if (e < 0) e += dim;
    int64_t c;
    if (p > 0) {
      b = b < 0 ? 0 : b > dim ? dim : b;
      e = e < 0 ? 0 : e > dim ? dim : e;
      c = e > b ? (e - b + p - 1) / p : 0;
    } else {
      b = b < 0 ? 0 : b > dim - 1 ? dim - 1 : b;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      c = b > e ? (b - e + (-p) - 1) / (-p) : 0;
    }
    start[a] = b, step[a] = p, count[a] = c;
  }
  trn_onnx_const_t cx;
  if (small_const(n, 0, &cx)) {
    trn_onnx_shape_t out = {.rank = s.rank};
    for (int64_t d = 0; d < s.rank; d++) out.dims[d] = count[d];
    int64_t *map = strided_map(&s, &out, start, step);
    if (!map) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    fold_map(n, 0, &cx, &out, map);
    free(map);
    return NULL;
  }
  /* Reversed axes: tosa.reverse, then positive steps. One tosa.slice; an axis with
   * step p > 1 keeps count * p elements, seen as [count, p] of which column 0 is
   * kept (reshape, slice, reshape), or by a gather when that overruns the axis. */
  MlirValue y = trn_onnx_input(n, 0);
  int64_t sl_start[TRN_MAX_RANK], sl_size[TRN_MAX_RANK];
  bool by_gather[TRN_MAX_RANK] = {false};
  for (int64_t d = 0; d < s.rank; d++) {
    if (count[d] <= 1) step[d] = 1;
    if (step[d] < 0) {
      y = reverse(n, y, d);
      start[d] = s.dims[d] - 1 - start[d];
      step[d] = -step[d];
    }
    sl_start[d] = start[d];
    sl_size[d] = count[d];
    if (step[d] > 1) {
      by_gather[d] = start[d] + count[d] * step[d] > s.dims[d] || s.rank >= TRN_MAX_RANK;
      sl_size[d] = by_gather[d] ? (count[d] - 1) * step[d] + 1 : count[d] * step[d];
    }
  }
  y = slice(n, y, sl_start, sl_size);
  for (int64_t d = 0; d < s.rank && !trn_onnx_failed(n); d++) {
    if (step[d] == 1) continue;
    if (!by_gather[d]) {
      y = every_nth(n, y, d, step[d]);
      continue;
    }
    int32_t *pos = malloc((size_t)count[d] * sizeof *pos);
    if (!pos) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t i = 0; i < count[d]; i++) pos[i] = (int32_t)(i * step[d]);
    y = take_const(n, y, d, pos, count[d]);
    free(pos);
  }
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

/* =================================================================================
 * Gather, GatherElements, GatherND, ScatterElements, ScatterND
 * ============================================================================== */

static trn_status_t import_gather(trn_onnx_node_t *n) {
  trn_onnx_shape_t s, is;
  MlirType ie;
  if (!in_type(n, 0, "input 'data'", &s, NULL) || !in_type(n, 1, "input 'indices'", &is, &ie)) return NULL;
  if (s.rank == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'data' must have rank >= 1");
  int64_t axis;
  if (!norm_axis(n, trn_onnx_attr_int(n, "axis", 0), s.rank, false, "attribute 'axis'", &axis)) return NULL;
  if (!mlirTypeIsAInteger(ie))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'indices' must be an integer tensor");
  trn_onnx_shape_t out = {.rank = s.rank - 1 + is.rank};
  if (out.rank > TRN_MAX_RANK)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "result rank %lld exceeds %d", (long long)out.rank, TRN_MAX_RANK);
  int64_t r = 0;
  for (int64_t i = 0; i < axis; i++) out.dims[r++] = s.dims[i];
  for (int64_t i = 0; i < is.rank; i++) out.dims[r++] = is.dims[i];
  for (int64_t i = axis + 1; i < s.rank; i++) out.dims[r++] = s.dims[i];
  int64_t w = trn_onnx_shape_elements(&is);
  trn_onnx_const_t cx, ci;
  if (small_const(n, 0, &cx) && small_const(n, 1, &ci)) {
    int64_t outer = 1, inner = 1, dim = s.dims[axis];
    for (int64_t i = 0; i < axis; i++) outer *= s.dims[i];
    for (int64_t i = axis + 1; i < s.rank; i++) inner *= s.dims[i];
    int64_t *map = malloc((size_t)(outer * w * inner + 1) * sizeof *map);
    if (!map) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t j = 0; j < w; j++) {
      int64_t k = trn_onnx_const_int_at(&ci, (size_t)j);
      if (k < -dim || k >= dim) {
        free(map);
        return trn_onnx_error(n, TRN_ERR_FORMAT, "index %lld is out of range for axis %lld of size %lld",
                              (long long)k, (long long)axis, (long long)dim);
      }
      if (k < 0) k += dim;
      for (int64_t o = 0; o < outer; o++)
        for (int64_t q = 0; q < inner; q++) map[(o * w + j) * inner + q] = (o * dim + k) * inner + q;
    }
    fold_map(n, 0, &cx, &out, map);
    free(map);
    return NULL;
  }
  MlirValue x = trn_onnx_input(n, 0);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, trn_onnx_element_type(x)));
    return NULL;
  }
  trn_onnx_shape_t flat = shape1(w);
  if (trn_onnx_input_constant(n, 1, &(const void *){NULL}, &(size_t){0}, &(MlirType){NULL}) &&
      trn_onnx_input_const(n, 1, "indices", &ci) && w <= INDEX_MAX) {
    /* Constant indices: checked and wrapped here. */
    int32_t *pos = malloc((size_t)w * sizeof *pos);
    if (!pos) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    int64_t dim = s.dims[axis];
    for (int64_t j = 0; j < w; j++) {
      int64_t k = trn_onnx_const_int_at(&ci, (size_t)j);
      if (k < -dim || k >= dim) {
        free(pos);
        return trn_onnx_error(n, TRN_ERR_FORMAT, "index %lld is out of range for axis %lld of size %lld",
                              (long long)k, (long long)axis, (long long)dim);
      }
      pos[j] = (int32_t)(k < 0 ? k + dim : k);
    }
    trn_onnx_set_output(n, 0, reshape_to(n, take_const(n, x, axis, pos, w), &out));
    free(pos);
    return NULL;
  }
  MlirValue idx = trn_onnx_input(n, 1);
  MlirValue i1 = wrap_negative(n, to_index(n, trn_onnx_reshape(n, idx, &flat)), s.dims[axis]);
  i1 = clamp(n, i1, 0, (double)(s.dims[axis] - 1));
  trn_onnx_set_output(n, 0, reshape_to(n, take(n, x, axis, i1), &out));
  return NULL;
}

/* Row-major strides of a shape. */
static void strides_of(const trn_onnx_shape_t *s, int64_t *st) {
  int64_t acc = 1;
  for (int64_t i = s->rank - 1; i >= 0; i--) {
    st[i] = acc;
    acc *= s->dims[i];
  }
}

/* Linear positions into `data_shape` for every element of an index tensor `idx` of
 * shape `is` that replaces the coordinate along `axis` (GatherElements /
 * ScatterElements): base(coords without axis) + idx * stride[axis], as i32 [1, W]. */
static MlirValue element_positions(trn_onnx_node_t *n, const trn_onnx_shape_t *ds, int64_t axis, MlirValue idx) {
  if (trn_onnx_failed(n)) return NULLV;
  trn_onnx_shape_t is = trn_onnx_shape(idx);
  int64_t w = trn_onnx_shape_elements(&is), total = trn_onnx_shape_elements(ds);
  if (total > INDEX_MAX || w > INDEX_MAX) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "tensors of more than %lld elements are not supported", (long long)INDEX_MAX);
    return NULLV;
  }
  int64_t dst[TRN_MAX_RANK], ist[TRN_MAX_RANK];
  strides_of(ds, dst);
  strides_of(&is, ist);
  int32_t *base = malloc((size_t)(w > 0 ? w : 1) * sizeof *base);
  if (!base) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory"), NULLV;
  for (int64_t e = 0; e < w; e++) {
    int64_t lin = 0;
    for (int64_t d = 0; d < is.rank; d++)
      if (d != axis) lin += ((e / ist[d]) % is.dims[d]) * dst[d];
    base[e] = (int32_t)lin;
  }
  trn_onnx_shape_t row = {2, {1, w}};
  MlirValue b = const_i32s(n, &row, base);
  free(base);
  MlirValue i = wrap_negative(n, to_index(n, trn_onnx_reshape(n, idx, &row)), ds->dims[axis]);
  i = clamp(n, i, 0, (double)(ds->dims[axis] - 1));
  return add(n, b, mul_c(n, i, (double)dst[axis]));
}

static bool check_element_indices(trn_onnx_node_t *n, MlirValue x, MlirValue idx, trn_onnx_shape_t *s,
                                  trn_onnx_shape_t *is, int64_t *axis) {
  if (!get_shape(n, x, "input 'data'", s) || !get_shape(n, idx, "input 'indices'", is)) return false;
  if (!mlirTypeIsAInteger(trn_onnx_element_type(idx))) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "'indices' must be an integer tensor");
    return false;
  }
  if (s->rank < 1 || is->rank != s->rank) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "'indices' (rank %lld) must have the rank of 'data' (%lld)",
                   (long long)is->rank, (long long)s->rank);
    return false;
  }
  return norm_axis(n, trn_onnx_attr_int(n, "axis", 0), s->rank, false, "attribute 'axis'", axis);
}

static trn_status_t import_gather_elements(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), idx = trn_onnx_input(n, 1);
  trn_onnx_shape_t s, is;
  int64_t axis;
  if (!check_element_indices(n, x, idx, &s, &is, &axis)) return NULL;
  MlirType elem = trn_onnx_element_type(x);
  if (trn_onnx_shape_elements(&is) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &is, elem));
    return NULL;
  }
  int64_t total = trn_onnx_shape_elements(&s), w = trn_onnx_shape_elements(&is);
  trn_onnx_shape_t v3 = {3, {1, total, 1}}, o3 = {3, {1, w, 1}};
  MlirValue ops[2] = {trn_onnx_reshape(n, x, &v3), element_positions(n, &s, axis, idx)};
  MlirValue g = trn_onnx_build(n, "tosa.gather", ops, 2, trn_onnx_tensor_type(n, &o3, elem), NULL, 0);
  trn_onnx_set_output(n, 0, trn_onnx_reshape(n, g, &is));
  return NULL;
}

typedef enum reduction_t { RED_NONE, RED_ADD, RED_MUL, RED_MAX, RED_MIN } reduction_t;

static bool parse_reduction(trn_onnx_node_t *n, reduction_t *out) {
  char red[32];
  attr_str(n, "reduction", "none", red, sizeof red);
  int64_t opset = trn_onnx_node_opset(n);
  if (strcmp(red, "none") == 0) *out = RED_NONE;
  else if (strcmp(red, "add") == 0 && opset >= 16) *out = RED_ADD;
  else if (strcmp(red, "mul") == 0 && opset >= 16) *out = RED_MUL;
  else if (strcmp(red, "max") == 0 && opset >= 18) *out = RED_MAX;
  else if (strcmp(red, "min") == 0 && opset >= 18) *out = RED_MIN;
  else return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'reduction' value '%s' is invalid", red), false;
  return !trn_onnx_failed(n);
}

/* The neutral element of a reduction for element type `elem`. */
static double reduction_identity(reduction_t red, MlirType elem) {
  bool is_int = mlirTypeIsAInteger(elem);
  unsigned w = is_int ? mlirIntegerTypeGetWidth(elem) : 0;
  double big = is_int ? (w >= 64 ? 9.2e18 : ldexp(1.0, (int)w - 1) - 1) : INFINITY;
  switch (red) {
    case RED_MUL: return 1;
    case RED_MAX: return is_int ? -big - 1 : -INFINITY;
    case RED_MIN: return big;
    default: return 0;
  }
}

/* Scatter of rows: data as [K, C], updates [W, C] at row positions pos ([1, W] i32,
 * in range). A [K, W] match matrix (pos[w] == k) gives, without reduction, the last
 * update of each row (an inverse map, then a gather); with a reduction, the matching
 * updates (others the neutral element) reduced over W and combined with the data. */
static MlirValue scatter_rows(trn_onnx_node_t *n, MlirValue x, int64_t k, int64_t c, MlirValue pos, MlirValue upd,
                              int64_t w, reduction_t red) {
  if (trn_onnx_failed(n)) return NULLV;
  if (k * w > (INT64_C(1) << 24)) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "scatter of %lld updates into %lld rows is too large", (long long)w,
                   (long long)k);
    return NULLV;
  }
  trn_onnx_shape_t s = trn_onnx_shape(x), x2 = {2, {k, c}}, u2 = {2, {w, c}}, row = {2, {1, w}}, col = {2, {k, 1}};
  MlirType elem = trn_onnx_element_type(x);
  MlirValue xs = trn_onnx_reshape(n, x, &x2), us = trn_onnx_reshape(n, upd, &u2);
  MlirValue match = compare(n, "tosa.equal", trn_onnx_reshape(n, pos, &row), trn_onnx_reshape(n, iota(n, k, false), &col));
  MlirValue out;
  if (red == RED_NONE) {
    MlirValue iw = trn_onnx_reshape(n, iota(n, w, false), &row);
    MlirValue sel = select3(n, match, iw, like(n, iw, -1));
    MlirNamedAttribute ax = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, 1));
    MlirValue inv = trn_onnx_build(n, "tosa.reduce_max", &sel, 1, trn_onnx_tensor_type(n, &col, i32_type(n)), &ax, 1);
    MlirValue has = compare(n, "tosa.greater_equal", inv, like(n, inv, 0));
    trn_onnx_shape_t flat = shape1(k);
    MlirValue g = take(n, us, 0, trn_onnx_reshape(n, clamp(n, inv, 0, (double)(w - 1)), &flat));
    out = select3(n, has, g, xs);
  } else {
    trn_onnx_shape_t m3 = {3, {k, w, 1}}, u3 = {3, {1, w, c}}, r3 = {3, {k, 1, c}}, one3 = {3, {1, 1, 1}};
    MlirValue sel = select3(n, trn_onnx_reshape(n, match, &m3), trn_onnx_reshape(n, us, &u3),
                            splat(n, &one3, elem, reduction_identity(red, elem)));
    static const char *const k_reduce[] = {"", "tosa.reduce_sum", "tosa.reduce_prod", "tosa.reduce_max", "tosa.reduce_min"};
    static const char *const k_combine[] = {"", "tosa.add", "tosa.mul", "tosa.maximum", "tosa.minimum"};
    MlirNamedAttribute ax = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, 1));
    MlirValue r = trn_onnx_build(n, k_reduce[red], &sel, 1, trn_onnx_tensor_type(n, &r3, elem), &ax, 1);
    out = trn_onnx_binary(n, k_combine[red], xs, trn_onnx_reshape(n, r, &x2));
  }
  return trn_onnx_reshape(n, out, &s);
}

static trn_status_t import_scatter_elements(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), idx = trn_onnx_input(n, 1), upd = trn_onnx_input(n, 2);
  trn_onnx_shape_t s, is, us;
  int64_t axis;
  reduction_t red = RED_NONE;
  if (!check_element_indices(n, x, idx, &s, &is, &axis) || !get_shape(n, upd, "input 'updates'", &us)) return NULL;
  if (!parse_reduction(n, &red)) return NULL;
  if (us.rank != is.rank || trn_onnx_shape_elements(&us) != trn_onnx_shape_elements(&is) ||
      !mlirTypeEqual(trn_onnx_element_type(upd), trn_onnx_element_type(x)))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'updates' must match 'indices' in shape and 'data' in type");
  int64_t w = trn_onnx_shape_elements(&is);
  if (w == 0) {
    trn_onnx_set_output(n, 0, x);
    return NULL;
  }
  MlirValue pos = element_positions(n, &s, axis, idx);
  trn_onnx_set_output(n, 0, scatter_rows(n, x, trn_onnx_shape_elements(&s), 1, pos, upd, w, red));
  return NULL;
}

/* Row positions for GatherND / ScatterND: idx [B, W, k] (normalized per coordinate)
 * dotted with the strides of dims[b .. b+k) -> [B, W] i32. */
static MlirValue nd_positions(trn_onnx_node_t *n, const trn_onnx_shape_t *s, int64_t b, int64_t k, MlirValue idx,
                              int64_t bsz, int64_t w) {
  trn_onnx_shape_t i3 = {3, {bsz, w, k}};
  MlirValue i = to_index(n, trn_onnx_reshape(n, idx, &i3));
  int32_t dims[TRN_MAX_RANK], strides[TRN_MAX_RANK];
  int64_t acc = 1;
  for (int64_t j = k - 1; j >= 0; j--) {
    dims[j] = (int32_t)s->dims[b + j];
    strides[j] = (int32_t)acc;
    acc *= s->dims[b + j];
  }
  trn_onnx_shape_t ks = {3, {1, 1, k}};
  MlirValue dimv = const_i32s(n, &ks, dims), zero = like(n, i, 0);
  i = select3(n, compare(n, "tosa.greater", zero, i), add(n, i, dimv), i);
  i = trn_onnx_binary(n, "tosa.maximum", i, zero);
  i = trn_onnx_binary(n, "tosa.minimum", i, sub(n, dimv, like(n, i, 1)));
  i = mul(n, i, const_i32s(n, &ks, strides));
  trn_onnx_shape_t r3 = {3, {bsz, w, 1}}, r2 = {2, {bsz, w}};
  MlirNamedAttribute ax = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, 2));
  MlirValue sum = trn_onnx_build(n, "tosa.reduce_sum", &i, 1, trn_onnx_tensor_type(n, &r3, i32_type(n)), &ax, 1);
  return trn_onnx_reshape(n, sum, &r2);
}

/* Shapes of GatherND/ScatterND: batch size, rows per batch (W), coordinates (k), the
 * slice size C and the row count M of data as [B, M, C]. */
typedef struct nd_t {
  int64_t b, k, bsz, w, m, c;
} nd_t;

static bool nd_shapes(trn_onnx_node_t *n, const trn_onnx_shape_t *s, const trn_onnx_shape_t *is, int64_t b, nd_t *o) {
  if (is->rank < 1 || s->rank < 1 || b < 0 || b >= is->rank || b >= s->rank) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "invalid ranks for 'data' (%lld), 'indices' (%lld) and batch_dims %lld",
                   (long long)s->rank, (long long)is->rank, (long long)b);
    return false;
  }
  o->b = b;
  o->k = is->dims[is->rank - 1];
  if (o->k < 1 || b + o->k > s->rank) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "the last dim of 'indices' (%lld) is out of range", (long long)o->k);
    return false;
  }
  o->bsz = 1, o->w = 1, o->m = 1, o->c = 1;
  for (int64_t i = 0; i < b; i++) {
    if (s->dims[i] != is->dims[i]) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "batch dim %lld differs between 'data' and 'indices'", (long long)i);
      return false;
    }
    o->bsz *= s->dims[i];
  }
  for (int64_t i = b; i < is->rank - 1; i++) o->w *= is->dims[i];
  for (int64_t i = b; i < b + o->k; i++) o->m *= s->dims[i];
  for (int64_t i = b + o->k; i < s->rank; i++) o->c *= s->dims[i];
  return true;
}

static trn_status_t import_gather_nd(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), idx = trn_onnx_input(n, 1);
  trn_onnx_shape_t s, is;
  if (!get_shape(n, x, "input 'data'", &s) || !get_shape(n, idx, "input 'indices'", &is)) return NULL;
  if (!mlirTypeIsAInteger(trn_onnx_element_type(idx)))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'indices' must be an integer tensor");
  nd_t nd;
  if (!nd_shapes(n, &s, &is, trn_onnx_attr_int(n, "batch_dims", 0), &nd)) return NULL;
  trn_onnx_shape_t out = {.rank = 0};
  for (int64_t i = 0; i < is.rank - 1; i++) out.dims[out.rank++] = is.dims[i];
  for (int64_t i = nd.b + nd.k; i < s.rank; i++) {
    if (out.rank >= TRN_MAX_RANK) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "result rank is too large");
    out.dims[out.rank++] = s.dims[i];
  }
  MlirType elem = trn_onnx_element_type(x);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, elem));
    return NULL;
  }
  trn_onnx_shape_t v3 = {3, {nd.bsz, nd.m, nd.c}}, o3 = {3, {nd.bsz, nd.w, nd.c}};
  MlirValue ops[2] = {trn_onnx_reshape(n, x, &v3), nd_positions(n, &s, nd.b, nd.k, idx, nd.bsz, nd.w)};
  MlirValue g = trn_onnx_build(n, "tosa.gather", ops, 2, trn_onnx_tensor_type(n, &o3, elem), NULL, 0);
  trn_onnx_set_output(n, 0, reshape_to(n, g, &out));
  return NULL;
}

static trn_status_t import_scatter_nd(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), idx = trn_onnx_input(n, 1), upd = trn_onnx_input(n, 2);
  trn_onnx_shape_t s, is, us;
  reduction_t red = RED_NONE;
  if (!get_shape(n, x, "input 'data'", &s) || !get_shape(n, idx, "input 'indices'", &is) ||
      !get_shape(n, upd, "input 'updates'", &us) || !parse_reduction(n, &red))
    return NULL;
  if (!mlirTypeIsAInteger(trn_onnx_element_type(idx)))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'indices' must be an integer tensor");
  nd_t nd;
  if (!nd_shapes(n, &s, &is, 0, &nd)) return NULL;
  if (trn_onnx_shape_elements(&us) != nd.w * nd.c || !mlirTypeEqual(trn_onnx_element_type(upd), trn_onnx_element_type(x)))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'updates' does not match 'indices' and 'data'");
  if (nd.w * nd.c == 0) {
    trn_onnx_set_output(n, 0, x);
    return NULL;
  }
  MlirValue pos = nd_positions(n, &s, 0, nd.k, idx, 1, nd.w);
  trn_onnx_set_output(n, 0, scatter_rows(n, x, nd.m, nd.c, pos, upd, nd.w, red));
  return NULL;
}

/* =================================================================================
 * Expand, Tile
 * ============================================================================== */

static trn_status_t import_expand(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s, out;
  if (!get_shape(n, x, "input", &s)) return NULL;
  const_t c;
  int r = input_const(n, 1, "shape", &c);
  if (r < 0) return NULL;
  if (r == 0) {
    if (!declared_shape(n, 0, &out)) return not_constant(n, 1, "shape");
  } else {
    if (c.count > TRN_MAX_RANK) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "'shape' has too many dims");
    trn_onnx_shape_t want = {.rank = (int64_t)c.count};
    for (size_t i = 0; i < c.count; i++) {
      if (c.i[i] < 0 || c.i[i] > INDEX_MAX)
        return trn_onnx_error(n, TRN_ERR_FORMAT, "'shape' value %lld is out of range", (long long)c.i[i]);
      want.dims[i] = c.i[i];
    }
    if (!trn_onnx_broadcast(n, &s, &want, &out)) return NULL;
  }
  if (!check_size(n, &out)) return NULL;
  trn_onnx_shape_t check;
  if (!trn_onnx_broadcast(n, &s, &out, &check)) return NULL;
  if (check.rank != out.rank || trn_onnx_shape_elements(&check) != trn_onnx_shape_elements(&out))
    return trn_onnx_error(n, TRN_ERR_FORMAT, "the output shape does not match the broadcast of the input");
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, trn_onnx_element_type(x)));
    return NULL;
  }
  MlirValue v = trn_onnx_expand_rank(n, x, out.rank);
  trn_onnx_shape_t vs = trn_onnx_shape(v);
  int64_t mult[TRN_MAX_RANK];
  for (int64_t i = 0; i < out.rank; i++) mult[i] = vs.dims[i] == out.dims[i] ? 1 : out.dims[i];
  trn_onnx_set_output(n, 0, tile(n, v, mult));
  return NULL;
}

static trn_status_t import_tile(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input", &s)) return NULL;
  const_t c;
  int r = input_const(n, 1, "repeats", &c);
  if (r < 0) return NULL;
  int64_t mult[TRN_MAX_RANK];
  if (r == 0) {
    trn_onnx_shape_t out;
    if (!declared_shape(n, 0, &out) || out.rank != s.rank) return not_constant(n, 1, "repeats");
    for (int64_t i = 0; i < s.rank; i++) {
      if (s.dims[i] == 0 ? out.dims[i] != 0 : out.dims[i] % s.dims[i] != 0)
        return trn_onnx_error(n, TRN_ERR_FORMAT, "the declared output dim %lld is not a multiple of %lld",
                              (long long)out.dims[i], (long long)s.dims[i]);
      mult[i] = s.dims[i] == 0 ? 1 : out.dims[i] / s.dims[i];
    }
  } else {
    if ((int64_t)c.count != s.rank)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'repeats' has %zu entries for rank %lld", c.count, (long long)s.rank);
    for (int64_t i = 0; i < s.rank; i++) {
      if (c.i[i] < 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'repeats' value %lld is negative", (long long)c.i[i]);
      if (c.i[i] > INDEX_MAX) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "'repeats' value %lld is too large", (long long)c.i[i]);
      mult[i] = c.i[i];
    }
  }
  trn_onnx_shape_t tiled = s;
  for (int64_t i = 0; i < s.rank; i++) tiled.dims[i] = s.dims[i] * mult[i];
  if (!check_size(n, &tiled)) return NULL;
  if (s.rank == 0) {
    trn_onnx_set_output(n, 0, x);
    return NULL;
  }
  trn_onnx_set_output(n, 0, tile(n, x, mult));
  return NULL;
}

/* =================================================================================
 * Pad
 * ============================================================================== */

typedef enum pad_mode_t { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode_t;

/* The source position of output position j along a dim of size `dim` with `before`
 * padding, for the non-constant modes. */
static int64_t pad_source(pad_mode_t mode, int64_t j, int64_t before, int64_t dim) {
  int64_t p = j - before;
  switch (mode) {
    case PAD_EDGE: return p < 0 ? 0 : p >= dim ? dim - 1 : p;
    case PAD_WRAP: return ((p % dim) + dim) % dim;
    case PAD_REFLECT: {
      if (dim == 1) return 0;
      int64_t period = 2 * (dim - 1);
      p = ((p % period) + period) % period;
      return p < dim ? p : period - p;
    }
    default: return p;
  }
}

/* Run-time pads: the declared output shape gives each axis' size; `before` comes from
 * the pads vector at run time; out-of-range positions are mapped (edge, reflect) or
 * masked to the constant value. */
static void pad_runtime(trn_onnx_node_t *n, MlirValue x, const trn_onnx_shape_t *s, pad_mode_t mode, MlirValue value) {
  trn_onnx_shape_t out;
  if (!declared_shape(n, 0, &out) || out.rank != s->rank) {
    not_constant(n, 1, "pads");
    return;
  }
  if (mode == PAD_WRAP) {
    not_constant(n, 1, "pads");
    return;
  }
  MlirValue pads = to_index(n, trn_onnx_input(n, 1));
  trn_onnx_shape_t ps = trn_onnx_shape(pads);
  if (trn_onnx_failed(n)) return;
  if (ps.rank != 1 || ps.dims[0] != 2 * s->rank) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "'pads' must have %lld entries", (long long)(2 * s->rank));
    return;
  }
  MlirType elem = trn_onnx_element_type(x);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, elem));
    return;
  }
  MlirValue y = x, mask = {NULL};
  for (int64_t d = 0; d < s->rank && !trn_onnx_failed(n); d++) {
    int64_t dim = s->dims[d];
    if (dim == 0) {
      trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "padding an empty axis at run time");
      return;
    }
    MlirValue src = sub(n, iota(n, out.dims[d], false), element_at(n, pads, d));
    if (mode == PAD_CONSTANT) {
      MlirValue ok = trn_onnx_binary(n, "tosa.logical_and", compare(n, "tosa.greater_equal", src, like(n, src, 0)),
                                     compare(n, "tosa.greater", like(n, src, (double)dim), src));
      ok = along(n, ok, s->rank, d);
      mask = mlirValueIsNull(mask) ? ok : trn_onnx_binary(n, "tosa.logical_and", mask, ok);
    } else if (mode == PAD_REFLECT) {
      src = trn_onnx_binary(n, "tosa.maximum", src, sub(n, like(n, src, 0), src));
      MlirValue far = sub(n, like(n, src, (double)(2 * (dim - 1))), src);
      src = trn_onnx_binary(n, "tosa.minimum", src, far);
    }
    src = clamp(n, src, 0, (double)(dim - 1));
    y = take(n, y, d, src);
  }
  if (mode == PAD_CONSTANT) {
    trn_onnx_shape_t ones = shape_along(s->rank, 0, 1);
    MlirValue v = mlirValueIsNull(value) ? splat(n, &ones, elem, 0) : trn_onnx_reshape(n, value, &ones);
    y = select3(n, mask, y, v);
  }
  trn_onnx_set_output(n, 0, y);
}

static trn_status_t import_pad(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input 'data'", &s)) return NULL;
  int64_t opset = trn_onnx_node_opset(n);
  char ms[32];
  attr_str(n, "mode", "constant", ms, sizeof ms);
  pad_mode_t mode;
  if (strcmp(ms, "constant") == 0) mode = PAD_CONSTANT;
  else if (strcmp(ms, "reflect") == 0) mode = PAD_REFLECT;
  else if (strcmp(ms, "edge") == 0) mode = PAD_EDGE;
  else if (strcmp(ms, "wrap") == 0 && opset >= 19) mode = PAD_WRAP;
  else return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'mode' value '%s' is invalid", ms);
  MlirType elem = trn_onnx_element_type(x);
  int64_t pads[2 * TRN_MAX_RANK] = {0};
  MlirValue value = {NULL};
  double cval = 0;
  if (opset < 11) {
    const int64_t *v;
    size_t k = trn_onnx_attr_ints(n, opset < 2 ? "paddings" : "pads", &v);
    if ((int64_t)k != 2 * s.rank)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'pads' has %zu entries for rank %lld", k, (long long)s.rank);
    memcpy(pads, v, k * sizeof *v);
    cval = trn_onnx_attr_float(n, "value", 0.0f);
  } else {
    const_t cv, cp, ca;
    int rv = input_const(n, 2, "constant_value", &cv);
    if (rv < 0) return NULL;
    if (rv == 1) {
      if (cv.count > 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "'constant_value' must be a scalar");
      cval = cv.count ? cv.f[0] : 0;
    } else if (trn_onnx_has_input(n, 2)) {
      value = trn_onnx_input(n, 2);
      if (!mlirTypeEqual(trn_onnx_element_type(value), elem))
        return trn_onnx_error(n, TRN_ERR_FORMAT, "'constant_value' must have the element type of 'data'");
    }
    int ra = input_const(n, 3, "axes", &ca);
    if (ra < 0) return NULL;
    if (ra == 0 && trn_onnx_has_input(n, 3)) return not_constant(n, 3, "axes");
    int rp = input_const(n, 1, "pads", &cp);
    if (rp < 0) return NULL;
    if (rp == 0) {
      if (ra == 1) return not_constant(n, 1, "pads");
      pad_runtime(n, x, &s, mode, value);
      return NULL;
    }
    size_t naxes = ra == 1 ? ca.count : (size_t)s.rank;
    if (cp.count != 2 * naxes)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'pads' has %zu entries for %zu axes", cp.count, naxes);
    for (size_t j = 0; j < naxes; j++) {
      int64_t a = (int64_t)j;
      if (ra == 1 && !norm_axis(n, ca.i[j], s.rank, false, "axis", &a)) return NULL;
      pads[a] = cp.i[j];
      pads[s.rank + a] = cp.i[naxes + j];
    }
  }
  /* Negative pads crop first. */
  int64_t start[TRN_MAX_RANK], size[TRN_MAX_RANK];
  trn_onnx_shape_t out = s;
  for (int64_t d = 0; d < s.rank; d++) {
    int64_t b = pads[d], e = pads[s.rank + d];
    start[d] = b < 0 ? -b : 0;
    size[d] = s.dims[d] - start[d] - (e < 0 ? -e : 0);
    if (size[d] < 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "negative pads remove more than axis %lld holds", (long long)d);
    if (b > INDEX_MAX || e > INDEX_MAX || b < -INDEX_MAX || e < -INDEX_MAX)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "pads of axis %lld (%lld, %lld) are out of range", (long long)d,
                            (long long)b, (long long)e);
    out.dims[d] = s.dims[d] + b + e;
  }
  if (!check_size(n, &out)) return NULL;
  MlirValue y = slice(n, x, start, size);
  trn_onnx_shape_t cs = trn_onnx_shape(y);
  if (trn_onnx_failed(n)) return NULL;
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, elem));
    return NULL;
  }
  if (mode == PAD_CONSTANT) {
    int32_t p32[2 * TRN_MAX_RANK];
    bool any = false;
    for (int64_t d = 0; d < s.rank; d++) {
      p32[2 * d] = (int32_t)(pads[d] > 0 ? pads[d] : 0);
      p32[2 * d + 1] = (int32_t)(pads[s.rank + d] > 0 ? pads[s.rank + d] : 0);
      any = any || p32[2 * d] || p32[2 * d + 1];
    }
    if (!any) {
      trn_onnx_set_output(n, 0, y);
      return NULL;
    }
    if (trn_onnx_shape_elements(&cs) == 0) {
      MlirValue r = mlirValueIsNull(value) ? splat(n, &out, elem, cval) : NULLV;
      if (mlirValueIsNull(value)) {
        trn_onnx_set_output(n, 0, r);
        return NULL;
      }
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "padding an empty tensor with a run-time value");
    }
    trn_onnx_shape_t ps = {2, {s.rank, 2}}, scalar = {.rank = 0};
    MlirValue pv = mlirValueIsNull(value) ? splat(n, &scalar, elem, cval) : trn_onnx_reshape(n, value, &scalar);
    MlirValue ops[3] = {y, const_i32s(n, &ps, p32), pv};
    trn_onnx_set_output(n, 0, trn_onnx_build(n, "tosa.pad", ops, 3, trn_onnx_tensor_type(n, &out, elem), NULL, 0));
    return NULL;
  }
  /* Per padded axis: [before, y, after] joined by tosa.concat, the parts being
   * slices (wrap), reversed slices (reflect) or a tiled edge (edge); pads beyond one
   * period take positions by a gather. */
  for (int64_t d = 0; d < s.rank && !trn_onnx_failed(n); d++) {
    int64_t b = pads[d] > 0 ? pads[d] : 0, dim = cs.dims[d], e = out.dims[d] - dim - b;
    if (b == 0 && e == 0) continue;
    if (dim == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "cannot pad empty axis %lld in mode '%s'", (long long)d, ms);
    MlirValue parts[3] = {{NULL}, y, {NULL}};
    bool simple = true;
    if (mode == PAD_EDGE) {
      int64_t mult[TRN_MAX_RANK];
      for (int64_t i = 0; i < s.rank; i++) mult[i] = 1;
      if (b) mult[d] = b, parts[0] = tile(n, slice_axis(n, y, d, 0, 1), mult);
      if (e) mult[d] = e, parts[2] = tile(n, slice_axis(n, y, d, dim - 1, 1), mult);
    } else if (mode == PAD_REFLECT && dim > 1 && b <= dim - 1 && e <= dim - 1) {
      if (b) parts[0] = reverse(n, slice_axis(n, y, d, 1, b), d);
      if (e) parts[2] = reverse(n, slice_axis(n, y, d, dim - 1 - e, e), d);
    } else if (mode == PAD_WRAP && b <= dim && e <= dim) {
      if (b) parts[0] = slice_axis(n, y, d, dim - b, b);
      if (e) parts[2] = slice_axis(n, y, d, 0, e);
    } else {
      simple = false;
    }
    if (simple) {
      y = concat_values(n, parts, 3, d);
      continue;
    }
    int32_t *pos = malloc((size_t)out.dims[d] * sizeof *pos);
    if (!pos) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t j = 0; j < out.dims[d]; j++) pos[j] = (int32_t)pad_source(mode, j, b, dim);
    y = take_const(n, y, d, pos, out.dims[d]);
    free(pos);
  }
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

/* =================================================================================
 * Resize, Upsample
 * ============================================================================== */

typedef enum coord_mode_t {
  COORD_HALF_PIXEL,
  COORD_HALF_PIXEL_SYMMETRIC,
  COORD_PYTORCH_HALF_PIXEL,
  COORD_ALIGN_CORNERS,
  COORD_ASYMMETRIC,
  COORD_TF_HALF_PIXEL_FOR_NN,
  COORD_TF_CROP_AND_RESIZE,
} coord_mode_t;

typedef enum interp_t { INTERP_NEAREST, INTERP_LINEAR, INTERP_CUBIC } interp_t;

typedef enum nearest_t { NEAREST_ROUND_PREFER_FLOOR, NEAREST_ROUND_PREFER_CEIL, NEAREST_FLOOR, NEAREST_CEIL } nearest_t;

typedef struct resize_t {
  interp_t interp;
  coord_mode_t coord;
  nearest_t nearest;
  float cubic_a;
  bool exclude_outside;
  float extrapolation;
} resize_t;

/* Source coordinates (f32 [O]) of the output positions along one axis of length L ->
 * O. `scale` is a [1] f32 value (constant or run-time); roi0/roi1 the crop box ([1]
 * values) for tf_crop_and_resize. */
static MlirValue resize_coords(trn_onnx_node_t *n, const resize_t *r, int64_t len, int64_t out_len, MlirValue scale,
                               MlirValue roi0, MlirValue roi1) {
  MlirValue i = iota(n, out_len, true);
  trn_onnx_shape_t os = shape1(out_len);
  switch (r->coord) {
    case COORD_HALF_PIXEL: return add_c(n, mul(n, add_c(n, i, 0.5), unary(n, "tosa.reciprocal", scale)), -0.5);
    case COORD_HALF_PIXEL_SYMMETRIC: {
      /* offset = L/2 * (1 - O / (L * scale)) */
      MlirValue adj = mul(n, like(n, scale, (double)out_len), unary(n, "tosa.reciprocal", mul_c(n, scale, (double)len)));
      MlirValue off = mul_c(n, sub(n, like(n, adj, 1), adj), (double)len / 2);
      return add(n, add_c(n, mul(n, add_c(n, i, 0.5), unary(n, "tosa.reciprocal", scale)), -0.5), off);
    }
    case COORD_PYTORCH_HALF_PIXEL:
      if (out_len == 1) return splat(n, &os, trn_onnx_f32(n), 0);
      return add_c(n, mul(n, add_c(n, i, 0.5), unary(n, "tosa.reciprocal", scale)), -0.5);
    case COORD_ALIGN_CORNERS: {
      if (out_len == 1) return splat(n, &os, trn_onnx_f32(n), 0);
      /* the reference divides by scale * L - 1 (= O - 1 when sizes are given) */
      MlirValue width = mul_c(n, scale, (double)len);
      return mul(n, mul_c(n, i, (double)(len - 1)), unary(n, "tosa.reciprocal", add_c(n, width, -1)));
    }
    case COORD_ASYMMETRIC: return mul(n, i, unary(n, "tosa.reciprocal", scale));
    case COORD_TF_HALF_PIXEL_FOR_NN: return mul(n, add_c(n, i, 0.5), unary(n, "tosa.reciprocal", scale));
    case COORD_TF_CROP_AND_RESIZE: {
      MlirValue span = mul_c(n, sub(n, roi1, roi0), (double)(len - 1));
      MlirValue base = mul_c(n, roi0, (double)(len - 1));
      if (out_len == 1) return add(n, mul(n, splat(n, &os, trn_onnx_f32(n), 0.5), span), base);
      MlirValue width = mul_c(n, scale, (double)len);
      return add(n, mul(n, i, mul(n, span, unary(n, "tosa.reciprocal", add_c(n, width, -1)))), base);
    }
  }
  return NULLV;
}

/* Positions idx clamped to [0, len) as i32. */
static MlirValue clamp_positions(trn_onnx_node_t *n, MlirValue f, int64_t len) {
  return clamp(n, cast_to(n, f, i32_type(n)), 0, (double)(len - 1));
}

/* Host computation of one axis when scale and roi are constants: the source
 * coordinate of output position i (ONNX's formulas, in double). */
static double host_coord(const resize_t *r, int64_t i, int64_t len, int64_t out_len, double scale, double r0,
                         double r1) {
  double width = scale * (double)len, x = (double)i;
  switch (r->coord) {
    case COORD_HALF_PIXEL: return (x + 0.5) / scale - 0.5;
    case COORD_HALF_PIXEL_SYMMETRIC: {
      double adj = (double)out_len / width, off = (double)len / 2 * (1 - adj);
      return off + (x + 0.5) / scale - 0.5;
    }
    case COORD_PYTORCH_HALF_PIXEL: return out_len > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case COORD_ALIGN_CORNERS: return out_len > 1 ? x * (double)(len - 1) / (width - 1) : 0;
    case COORD_ASYMMETRIC: return x / scale;
    case COORD_TF_HALF_PIXEL_FOR_NN: return (x + 0.5) / scale;
    case COORD_TF_CROP_AND_RESIZE:
      if (out_len == 1) return (r1 - r0) * (double)(len - 1) / 2 + r0 * (double)(len - 1);
      return x * (r1 - r0) * (double)(len - 1) / (width - 1) + r0 * (double)(len - 1);
  }
  return 0;
}

/* y repeated k times along `axis` (each element k times in a row): reshape, tile. */
static MlirValue repeat_each(trn_onnx_node_t *n, MlirValue y, int64_t axis, int64_t k) {
  trn_onnx_shape_t s = trn_onnx_shape(y), s1 = {.rank = s.rank + 1}, out = s;
  int64_t mult[TRN_MAX_RANK + 1];
  for (int64_t i = 0; i <= s.rank; i++) {
    s1.dims[i] = i <= axis ? s.dims[i] : i == axis + 1 ? 1 : s.dims[i - 1];
    mult[i] = i == axis + 1 ? k : 1;
  }
  out.dims[axis] *= k;
  return reshape_to(n, tile(n, trn_onnx_reshape(n, y, &s1), mult), &out);
}

/* One axis of Resize with constant parameters: positions and weights are constant
 * vectors; nearest with an integer factor that repeats each element is a tile. */
static MlirValue resize_axis_host(trn_onnx_node_t *n, const resize_t *r, MlirValue y, int64_t axis,
                                  int64_t out_len, double scale, double r0, double r1) {
  trn_onnx_shape_t s = trn_onnx_shape(y);
  int64_t len = s.dims[axis], rank = s.rank;
  int taps = r->interp == INTERP_NEAREST ? 1 : r->interp == INTERP_LINEAR ? 2 : 4;
  int first = r->interp == INTERP_CUBIC ? -1 : 0;
  int32_t *pos = malloc((size_t)out_len * 4 * sizeof *pos);
  float *w = malloc((size_t)out_len * 4 * sizeof *w);
  int *inside = malloc((size_t)out_len * sizeof *inside);
  if (!pos || !w || !inside) {
    free(pos), free(w), free(inside);
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    return NULLV;
  }
  bool repeat = r->interp == INTERP_NEAREST && out_len % len == 0, any_outside = false;
  for (int64_t i = 0; i < out_len; i++) {
    double x = host_coord(r, i, len, out_len, scale, r0, r1);
    inside[i] = x >= 0 && x <= (double)(len - 1);
    any_outside = any_outside || !inside[i];
    if (r->interp == INTERP_NEAREST) {
      double p;
      switch (r->nearest) {
        case NEAREST_ROUND_PREFER_FLOOR: p = ceil(x - 0.5); break;
        case NEAREST_ROUND_PREFER_CEIL: p = floor(x + 0.5); break;
        case NEAREST_FLOOR: p = floor(x); break;
        default: p = ceil(x); break;
      }
      int64_t q = p < 0 ? 0 : p > (double)(len - 1) ? len - 1 : (int64_t)p;
      pos[i] = (int32_t)q;
      repeat = repeat && q == i / (out_len / len);
      continue;
    }
    double x0 = floor(x), t = x - x0, c[4];
    if (r->interp == INTERP_LINEAR) {
      c[0] = 1 - t, c[1] = t;
    } else {
      double a = r->cubic_a, d0 = t + 1, d3 = 2 - t, u = 1 - t;
      c[0] = ((a * d0 - 5 * a) * d0 + 8 * a) * d0 - 4 * a;
      c[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
      c[2] = ((a + 2) * u - (a + 3)) * u * u + 1;
      c[3] = ((a * d3 - 5 * a) * d3 + 8 * a) * d3 - 4 * a;
    }
    double sum = 0;
    for (int k = 0; k < taps; k++) {
      double q = x0 + first + k;
      if (r->exclude_outside && (q < 0 || q > (double)(len - 1))) c[k] = 0;
      sum += c[k];
      pos[k * out_len + i] = (int32_t)(q < 0 ? 0 : q > (double)(len - 1) ? len - 1 : q);
    }
    for (int k = 0; k < taps; k++) w[k * out_len + i] = (float)(r->exclude_outside && sum != 0 ? c[k] / sum : c[k]);
  }
  MlirValue res = {NULL};
  trn_onnx_shape_t vs = shape1(out_len);
  if (repeat) {
    res = repeat_each(n, y, axis, out_len / len);
  } else {
    for (int k = 0; k < taps; k++) {
      MlirValue part = take_const(n, y, axis, pos + k * out_len, out_len);
      if (r->interp != INTERP_NEAREST) {
        MlirType type = trn_onnx_tensor_type(n, &vs, trn_onnx_f32(n));
        MlirValue wk = const_attr(n, type, mlirDenseElementsAttrFloatGet(type, (intptr_t)out_len, w + k * out_len));
        part = mul(n, part, along(n, cast_to(n, wk, trn_onnx_element_type(y)), rank, axis));
      }
      res = k == 0 ? part : add(n, res, part);
    }
  }
  if (r->coord == COORD_TF_CROP_AND_RESIZE && any_outside) {
    MlirType type = trn_onnx_tensor_type(n, &vs, i1_type(n));
    MlirValue mask = const_attr(n, type, mlirDenseElementsAttrBoolGet(type, (intptr_t)out_len, inside));
    trn_onnx_shape_t one = shape_along(rank, 0, 1);
    res = select3(n, along(n, mask, rank, axis), res, splat(n, &one, trn_onnx_element_type(y), r->extrapolation));
  }
  free(pos), free(w), free(inside);
  return res;
}

/* One axis of Resize: y has L at `axis`, the result O. */
static MlirValue resize_axis(trn_onnx_node_t *n, const resize_t *r, MlirValue y, int64_t axis, int64_t out_len,
                             MlirValue scale, MlirValue roi0, MlirValue roi1) {
  trn_onnx_shape_t s = trn_onnx_shape(y);
  int64_t len = s.dims[axis], rank = s.rank;
  MlirValue x = resize_coords(n, r, len, out_len, scale, roi0, roi1);
  MlirValue res;
  if (r->interp == INTERP_NEAREST) {
    MlirValue p;
    switch (r->nearest) {
      case NEAREST_ROUND_PREFER_FLOOR: p = unary(n, "tosa.ceil", add_c(n, x, -0.5)); break;
      case NEAREST_ROUND_PREFER_CEIL: p = unary(n, "tosa.floor", add_c(n, x, 0.5)); break;
      case NEAREST_FLOOR: p = unary(n, "tosa.floor", x); break;
      default: p = unary(n, "tosa.ceil", x); break;
    }
    res = take(n, y, axis, clamp_positions(n, p, len));
  } else {
    MlirValue x0 = unary(n, "tosa.floor", x);
    MlirValue t = sub(n, x, x0);
    int taps = r->interp == INTERP_LINEAR ? 2 : 4, first = r->interp == INTERP_LINEAR ? 0 : -1;
    MlirValue w[4];
    if (r->interp == INTERP_LINEAR) {
      w[0] = sub(n, like(n, t, 1), t);
      w[1] = t;
    } else {
      double a = r->cubic_a;
      MlirValue t1 = add_c(n, t, 1), u = sub(n, like(n, t, 1), t), u1 = add_c(n, u, 1);
      /* ((A*d - 5A)*d + 8A)*d - 4A for d in (1, 2); ((A+2)*d - (A+3))*d*d + 1 for d <= 1 */
      w[0] = add_c(n, mul(n, add_c(n, mul(n, add_c(n, mul_c(n, t1, a), -5 * a), t1), 8 * a), t1), -4 * a);
      w[1] = add_c(n, mul(n, mul(n, add_c(n, mul_c(n, t, a + 2), -(a + 3)), t), t), 1);
      w[2] = add_c(n, mul(n, mul(n, add_c(n, mul_c(n, u, a + 2), -(a + 3)), u), u), 1);
      w[3] = add_c(n, mul(n, add_c(n, mul(n, add_c(n, mul_c(n, u1, a), -5 * a), u1), 8 * a), u1), -4 * a);
    }
    MlirValue pos[4];
    for (int k = 0; k < taps; k++) pos[k] = add_c(n, x0, (double)(first + k));
    if (r->exclude_outside) {
      MlirValue sum = {NULL};
      for (int k = 0; k < taps; k++) {
        MlirValue inside = trn_onnx_binary(n, "tosa.logical_and", compare(n, "tosa.greater_equal", pos[k], like(n, x, 0)),
                                           compare(n, "tosa.greater", like(n, x, (double)len), pos[k]));
        w[k] = select3(n, inside, w[k], like(n, x, 0));
        sum = k == 0 ? w[k] : add(n, sum, w[k]);
      }
      MlirValue inv = unary(n, "tosa.reciprocal", sum);
      for (int k = 0; k < taps; k++) w[k] = mul(n, w[k], inv);
    }
    res = NULLV;
    for (int k = 0; k < taps; k++) {
      MlirValue part = mul(n, take(n, y, axis, clamp_positions(n, pos[k], len)), along(n, w[k], rank, axis));
      res = k == 0 ? part : add(n, res, part);
    }
  }
  if (r->coord == COORD_TF_CROP_AND_RESIZE) {
    MlirValue inside = trn_onnx_binary(n, "tosa.logical_and", compare(n, "tosa.greater_equal", x, like(n, x, 0)),
                                       compare(n, "tosa.greater_equal", like(n, x, (double)(len - 1)), x));
    trn_onnx_shape_t one = shape1(1);
    res = select3(n, along(n, inside, rank, axis), res,
                  trn_onnx_expand_rank(n, splat(n, &one, trn_onnx_element_type(y), r->extrapolation), rank));
  }
  return res;
}

static bool parse_resize_attrs(trn_onnx_node_t *n, bool upsample, resize_t *r) {
  char buf[64];
  int64_t opset = trn_onnx_node_opset(n);
  attr_str(n, "mode", "nearest", buf, sizeof buf);
  if (strcmp(buf, "nearest") == 0) r->interp = INTERP_NEAREST;
  else if (strcmp(buf, "linear") == 0 || (upsample && strcmp(buf, "bilinear") == 0)) r->interp = INTERP_LINEAR;
  else if (strcmp(buf, "cubic") == 0 && !upsample && opset >= 11) r->interp = INTERP_CUBIC;
  else return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'mode' value '%s' is invalid", buf), false;
  r->cubic_a = trn_onnx_attr_float(n, "cubic_coeff_a", -0.75f);
  r->exclude_outside = trn_onnx_attr_int(n, "exclude_outside", 0) != 0;
  r->extrapolation = trn_onnx_attr_float(n, "extrapolation_value", 0.0f);
  if (upsample || opset < 11) {
    /* Upsample and Resize-10: asymmetric coordinates, nearest rounds down. */
    r->coord = COORD_ASYMMETRIC;
    r->nearest = NEAREST_FLOOR;
    return !trn_onnx_failed(n);
  }
  static const struct { const char *name; coord_mode_t mode; int min_opset; } k_coords[] = {
      {"half_pixel", COORD_HALF_PIXEL, 11},           {"half_pixel_symmetric", COORD_HALF_PIXEL_SYMMETRIC, 19},
      {"pytorch_half_pixel", COORD_PYTORCH_HALF_PIXEL, 11}, {"align_corners", COORD_ALIGN_CORNERS, 11},
      {"asymmetric", COORD_ASYMMETRIC, 11},           {"tf_half_pixel_for_nn", COORD_TF_HALF_PIXEL_FOR_NN, 11},
      {"tf_crop_and_resize", COORD_TF_CROP_AND_RESIZE, 11},
  };
  attr_str(n, "coordinate_transformation_mode", "half_pixel", buf, sizeof buf);
  size_t i;
  for (i = 0; i < sizeof k_coords / sizeof k_coords[0]; i++)
    if (strcmp(buf, k_coords[i].name) == 0 && opset >= k_coords[i].min_opset) break;
  if (i == sizeof k_coords / sizeof k_coords[0])
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'coordinate_transformation_mode' value '%s' is invalid", buf),
           false;
  r->coord = k_coords[i].mode;
  static const char *const k_nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  attr_str(n, "nearest_mode", "round_prefer_floor", buf, sizeof buf);
  for (i = 0; i < 4; i++)
    if (strcmp(buf, k_nearest[i]) == 0) break;
  if (i == 4) return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'nearest_mode' value '%s' is invalid", buf), false;
  r->nearest = (nearest_t)i;
  if (opset >= 18 && trn_onnx_attr_int(n, "antialias", 0) != 0)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "antialias = 1 is not supported"), false;
  return !trn_onnx_failed(n);
}

/* Resize (opset 10+) and Upsample (7-9). Inputs: X, then scales (Upsample-9,
 * Resize-10) or roi, scales, sizes (Resize-11+). Every axis whose size or scale
 * changes is resampled in turn (the modes are separable). */
static trn_status_t resize_common(trn_onnx_node_t *n, bool upsample) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input 'X'", &s)) return NULL;
  resize_t r;
  if (!parse_resize_attrs(n, upsample, &r)) return NULL;
  if (!mlirTypeIsAFloat(trn_onnx_element_type(x)) && r.interp != INTERP_NEAREST)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "mode linear/cubic needs a float input");
  int64_t opset = trn_onnx_node_opset(n);
  bool old = upsample || opset < 11;
  size_t scales_in = old ? 1 : 2, sizes_in = 3;
  int64_t rank = s.rank;
  /* axes (opset 18) */
  int64_t axes[TRN_MAX_RANK];
  size_t naxes = (size_t)rank;
  for (int64_t i = 0; i < rank; i++) axes[i] = i;
  if (!old && opset >= 18 && trn_onnx_has_attr(n, "axes")) {
    const int64_t *a;
    naxes = trn_onnx_attr_ints(n, "axes", &a);
    if (naxes > (size_t)rank) return trn_onnx_error(n, TRN_ERR_FORMAT, "too many 'axes'");
    for (size_t i = 0; i < naxes; i++)
      if (!norm_axis(n, a[i], rank, false, "axis", &axes[i])) return NULL;
  }
  double scale_c[TRN_MAX_RANK];
  bool scale_known = true;
  MlirValue scales_rt = {NULL};
  trn_onnx_shape_t out = s;
  for (int64_t i = 0; i < rank; i++) scale_c[i] = 1.0;
  const_t c;
  bool have_sizes = false;
  if (!old && trn_onnx_has_input(n, sizes_in)) {
    int rs = input_const(n, sizes_in, "sizes", &c);
    if (rs < 0) return NULL;
    if (rs == 0 || c.count > 0) {
      have_sizes = true;
      if (rs == 0) {
        if (!declared_shape(n, 0, &out) || out.rank != rank) return not_constant(n, sizes_in, "sizes");
      } else {
        if (c.count != naxes) return trn_onnx_error(n, TRN_ERR_FORMAT, "'sizes' has %zu entries for %zu axes", c.count, naxes);
        char pol[32] = "stretch";
        if (opset >= 18) attr_str(n, "keep_aspect_ratio_policy", "stretch", pol, sizeof pol);
        double pick = 0;
        bool stretch = strcmp(pol, "stretch") == 0, larger = strcmp(pol, "not_larger") == 0;
        if (!stretch && !larger && strcmp(pol, "not_smaller") != 0)
          return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'keep_aspect_ratio_policy' value '%s' is invalid", pol);
        for (size_t j = 0; j < naxes; j++) {
          if (c.i[j] < 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'sizes' value %lld is negative", (long long)c.i[j]);
          double q = s.dims[axes[j]] ? (double)c.i[j] / (double)s.dims[axes[j]] : 1.0;
          if (j == 0 || (larger ? q < pick : q > pick)) pick = q;
        }
        for (size_t j = 0; j < naxes; j++) {
          int64_t a = axes[j];
          out.dims[a] = stretch ? c.i[j] : (int64_t)floor(pick * (double)s.dims[a] + 0.5);
        }
        if (!stretch)
          for (size_t j = 0; j < naxes; j++) scale_c[axes[j]] = pick;
      }
      /* Scales follow from the sizes (unless a keep-aspect policy chose one). */
      for (int64_t a = 0; a < rank; a++)
        if (scale_c[a] == 1.0 && s.dims[a] > 0) scale_c[a] = (double)out.dims[a] / (double)s.dims[a];
    }
  }
  if (!have_sizes) {
    if (upsample && opset < 9) {
      const float *f;
      size_t k = trn_onnx_attr_floats(n, "scales", &f);
      if ((int64_t)k != rank) return trn_onnx_error(n, TRN_ERR_FORMAT, "'scales' has %zu entries for rank %lld", k, (long long)rank);
      for (size_t i = 0; i < k; i++) scale_c[i] = f[i];
    } else {
      int rs = input_const(n, scales_in, "scales", &c);
      if (rs < 0) return NULL;
      if (rs == 0) {
        if (!trn_onnx_has_input(n, scales_in))
          return trn_onnx_error(n, TRN_ERR_FORMAT, "one of 'scales' and 'sizes' is required");
        if (!declared_shape(n, 0, &out) || out.rank != rank) return not_constant(n, scales_in, "scales");
        scales_rt = cast_to(n, trn_onnx_input(n, scales_in), trn_onnx_f32(n));
        scale_known = false;
        if (trn_onnx_shape(scales_rt).dims[0] != (int64_t)naxes)
          return trn_onnx_error(n, TRN_ERR_FORMAT, "'scales' must have %zu entries", naxes);
      } else {
        if (c.count != naxes) return trn_onnx_error(n, TRN_ERR_FORMAT, "'scales' has %zu entries for %zu axes", c.count, naxes);
        for (size_t j = 0; j < naxes; j++) scale_c[axes[j]] = c.f[j];
      }
    }
    if (scale_known)
      for (int64_t a = 0; a < rank; a++) {
        if (!(scale_c[a] > 0)) return trn_onnx_error(n, TRN_ERR_FORMAT, "scale %g of axis %lld is not positive", scale_c[a], (long long)a);
        if (upsample && scale_c[a] < 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "Upsample scale %g is below 1", scale_c[a]);
        double o = floor((double)s.dims[a] * scale_c[a]);
        out.dims[a] = o > (double)INDEX_MAX ? INDEX_MAX + 1 : (int64_t)o;
      }
  }
  for (int64_t a = 0; a < rank; a++)
    if (out.dims[a] < 0 || out.dims[a] > INDEX_MAX)
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "output dim %lld of axis %lld is out of range", (long long)out.dims[a],
                            (long long)a);
  if (!check_size(n, &out)) return NULL;
  /* roi (tf_crop_and_resize) */
  MlirValue roi = {NULL};
  const_t roi_c = {0};
  bool roi_known = true;
  if (r.coord == COORD_TF_CROP_AND_RESIZE) {
    int rr = input_const(n, 1, "roi", &roi_c);
    if (rr < 0) return NULL;
    roi_known = rr == 1;
    if (roi_known && roi_c.count != 2 * naxes)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'roi' must have %zu entries", 2 * naxes);
  }
  if (r.coord == COORD_TF_CROP_AND_RESIZE && !roi_known) {
    if (!trn_onnx_has_input(n, 1)) return trn_onnx_error(n, TRN_ERR_FORMAT, "tf_crop_and_resize needs input 'roi'");
    roi = cast_to(n, trn_onnx_input(n, 1), trn_onnx_f32(n));
    trn_onnx_shape_t rs = trn_onnx_shape(roi);
    if (trn_onnx_failed(n)) return NULL;
    if (rs.rank != 1 || rs.dims[0] != 2 * (int64_t)naxes)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'roi' must have %zu entries", 2 * naxes);
  }
  MlirType elem = trn_onnx_element_type(x);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, elem));
    return NULL;
  }
  MlirValue y = x;
  trn_onnx_shape_t one = shape1(1);
  for (size_t j = 0; j < naxes && !trn_onnx_failed(n); j++) {
    int64_t a = axes[j];
    bool identity = scale_known && scale_c[a] == 1.0 && out.dims[a] == s.dims[a] && r.coord != COORD_TF_CROP_AND_RESIZE;
    if (identity) continue;
    if (s.dims[a] == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "cannot resize empty axis %lld", (long long)a);
    if (scale_known && roi_known) {
      double r0 = roi_c.count ? roi_c.f[j] : 0, r1 = roi_c.count ? roi_c.f[naxes + j] : 1;
      y = resize_axis_host(n, &r, y, a, out.dims[a], scale_c[a], r0, r1);
      continue;
    }
    MlirValue sc = scale_known ? splat(n, &one, trn_onnx_f32(n), scale_c[a]) : element_at(n, scales_rt, (int64_t)j);
    MlirValue r0 = {NULL}, r1 = {NULL};
    if (!mlirValueIsNull(roi)) {
      r0 = element_at(n, roi, (int64_t)j);
      r1 = element_at(n, roi, (int64_t)(naxes + j));
    }
    y = resize_axis(n, &r, y, a, out.dims[a], sc, r0, r1);
  }
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

static trn_status_t import_resize(trn_onnx_node_t *n) { return resize_common(n, false); }
static trn_status_t import_upsample(trn_onnx_node_t *n) { return resize_common(n, true); }

/* =================================================================================
 * DepthToSpace, SpaceToDepth
 * ============================================================================== */

static bool blocks(trn_onnx_node_t *n, MlirValue x, trn_onnx_shape_t *s, int64_t *b) {
  if (!get_shape(n, x, "input", s)) return false;
  if (s->rank != 4) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "input must have rank 4, not %lld", (long long)s->rank);
    return false;
  }
  *b = trn_onnx_attr_int(n, "blocksize", 0);
  if (*b < 1 || *b > 65536) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'blocksize' value %lld is invalid", (long long)*b);
    return false;
  }
  return !trn_onnx_failed(n);
}

static trn_status_t import_depth_to_space(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  int64_t b;
  if (!blocks(n, x, &s, &b)) return NULL;
  char mode[16];
  attr_str(n, "mode", "DCR", mode, sizeof mode);
  bool crd = strcmp(mode, "CRD") == 0;
  if (!crd && strcmp(mode, "DCR") != 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'mode' value '%s' is invalid", mode);
  int64_t N = s.dims[0], C = s.dims[1], H = s.dims[2], W = s.dims[3];
  if (C % (b * b) != 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "channels %lld do not divide by blocksize^2 = %lld", (long long)C,
                          (long long)(b * b));
  int64_t c = C / (b * b);
  trn_onnx_shape_t s6 = crd ? (trn_onnx_shape_t){6, {N, c, b, b, H, W}} : (trn_onnx_shape_t){6, {N, b, b, c, H, W}};
  static const int64_t k_dcr[6] = {0, 3, 4, 1, 5, 2}, k_crd[6] = {0, 1, 4, 2, 5, 3};
  trn_onnx_shape_t out = {4, {N, c, H * b, W * b}};
  MlirValue y = transpose(n, reshape_to(n, x, &s6), crd ? k_crd : k_dcr);
  trn_onnx_set_output(n, 0, reshape_to(n, y, &out));
  return NULL;
}

static trn_status_t import_space_to_depth(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  int64_t b;
  if (!blocks(n, x, &s, &b)) return NULL;
  int64_t N = s.dims[0], C = s.dims[1], H = s.dims[2], W = s.dims[3];
  if (H % b != 0 || W % b != 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "spatial dims %lldx%lld do not divide by blocksize %lld", (long long)H,
                          (long long)W, (long long)b);
  trn_onnx_shape_t s6 = {6, {N, C, H / b, b, W / b, b}}, out = {4, {N, C * b * b, H / b, W / b}};
  static const int64_t k_perm[6] = {0, 3, 5, 1, 2, 4};
  MlirValue y = transpose(n, reshape_to(n, x, &s6), k_perm);
  trn_onnx_set_output(n, 0, reshape_to(n, y, &out));
  return NULL;
}

/* =================================================================================
 * Shape, Size, Range, Dropout, OneHot
 * ============================================================================== */

static trn_status_t import_shape(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input", &s)) return NULL;
  int64_t start = 0, end = s.rank;
  if (trn_onnx_node_opset(n) >= 15) {
    start = trn_onnx_attr_int(n, "start", 0);
    end = trn_onnx_attr_int(n, "end", s.rank);
    if (start < 0) start += s.rank;
    if (end < 0) end += s.rank;
    start = start < 0 ? 0 : start > s.rank ? s.rank : start;
    end = end < 0 ? 0 : end > s.rank ? s.rank : end;
    if (end < start) end = start;
  }
  trn_onnx_const_t c = {.elem = TRN_ELEM_I64, .shape = shape1(end - start), .data = s.dims + start,
                        .size = (size_t)(end - start) * sizeof(int64_t)};
  trn_onnx_set_output_const(n, 0, &c);
  return NULL;
}

static trn_status_t import_size(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s, scalar = {.rank = 0};
  if (!get_shape(n, x, "input", &s)) return NULL;
  int64_t count = trn_onnx_shape_elements(&s);
  trn_onnx_const_t c = {.elem = TRN_ELEM_I64, .shape = scalar, .data = &count, .size = sizeof count};
  trn_onnx_set_output_const(n, 0, &c);
  return NULL;
}

static trn_status_t import_range(trn_onnx_node_t *n) {
  MlirValue v0 = trn_onnx_input(n, 0);
  if (trn_onnx_failed(n)) return NULL;
  MlirType elem = trn_onnx_element_type(v0);
  bool is_float = !mlirTypeIsAInteger(elem);
  const_t c[3];
  int known = 0;
  size_t runtime = 0;
  static const char *const k_names[3] = {"start", "limit", "delta"};
  for (size_t i = 0; i < 3; i++) {
    int r = input_const(n, i, k_names[i], &c[i]);
    if (r < 0) return NULL;
    if (r == 1 && c[i].count != 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "input %zu must be a scalar", i);
    if (r == 0 && known == (int)i) runtime = i;
    known += r;
  }
  for (size_t i = 1; i < 3; i++)
    if (!mlirTypeEqual(trn_onnx_element_type(trn_onnx_input(n, i)), elem))
      return trn_onnx_error(n, TRN_ERR_FORMAT, "inputs must share one element type");
  if (known == 3) {
    double start = is_float ? c[0].f[0] : (double)c[0].i[0], limit = is_float ? c[1].f[0] : (double)c[1].i[0];
    double delta = is_float ? c[2].f[0] : (double)c[2].i[0];
    if (delta == 0) return trn_onnx_error(n, TRN_ERR_FORMAT, "'delta' is 0");
    double cnt = ceil((limit - start) / delta);
    if (cnt > (double)INDEX_MAX) cnt = (double)INDEX_MAX + 1;
    int64_t count = cnt > 0 ? (int64_t)cnt : 0;
    if (count > INDEX_MAX) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "range of %lld elements is too large", (long long)count);
    trn_elem_type_t et = trn_onnx_input_elem(n, 0);
    size_t es = const_esize(et);
    void *buf = malloc((size_t)count * 8 + 8);
    if (!buf) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    bool ok = true;
    for (int64_t i = 0; i < count; i++) {
      switch (et) {
        case TRN_ELEM_F32:
        case TRN_ELEM_F64: ((float *)buf)[i] = (float)(start + (double)i * delta); break;
        case TRN_ELEM_I64: ((int64_t *)buf)[i] = c[0].i[0] + i * c[2].i[0]; break;
        case TRN_ELEM_I32: ((int32_t *)buf)[i] = (int32_t)(c[0].i[0] + i * c[2].i[0]); break;
        case TRN_ELEM_I16: ((int16_t *)buf)[i] = (int16_t)(c[0].i[0] + i * c[2].i[0]); break;
        default: ok = false; break;
      }
    }
    if (ok) {
      trn_onnx_const_t o = {.elem = et, .shape = shape1(count), .data = buf, .size = (size_t)count * es};
      trn_onnx_set_output_const(n, 0, &o);
    }
    free(buf);
    if (!ok) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "element type %s of Range is not supported", trn_elem_type_name(et));
    return NULL;
  }
  /* Run-time inputs: start + i * delta over the declared length. */
  trn_onnx_shape_t out;
  if (!declared_shape(n, 0, &out) || out.rank != 1) return not_constant(n, runtime, k_names[runtime]);
  if (out.dims[0] == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, elem));
    return NULL;
  }
  if (!mlirTypeIsAF32(elem) && !(mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 32))
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "run-time Range supports f32 and i32 only");
  MlirValue i = iota(n, out.dims[0], is_float);
  MlirValue start = as_one(n, v0), delta = as_one(n, trn_onnx_input(n, 2));
  trn_onnx_set_output(n, 0, add(n, mul(n, i, delta), start));
  return NULL;
}

static trn_status_t import_dropout(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  trn_onnx_shape_t s;
  if (!get_shape(n, x, "input", &s)) return NULL;
  if (trn_onnx_node_opset(n) >= 12 && trn_onnx_has_input(n, 2)) {
    const_t c;
    int r = input_const(n, 2, "training_mode", &c);
    if (r < 0) return NULL;
    if (r == 0) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "run-time input 'training_mode' is not supported");
    if (c.count == 1 && c.i[0] != 0)
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "training mode (random dropout) is not supported");
  }
  trn_onnx_set_output(n, 0, x);
  if (trn_onnx_output_count(n) > 1 && n->proto->output[1][0]) {
    MlirType mask = trn_onnx_node_opset(n) >= 10 ? i1_type(n) : trn_onnx_element_type(x);
    trn_onnx_set_output(n, 1, splat(n, &s, mask, 1));
  }
  return NULL;
}

static trn_status_t import_onehot(trn_onnx_node_t *n) {
  MlirValue idx = trn_onnx_input(n, 0), values = trn_onnx_input(n, 2);
  trn_onnx_shape_t is, vs;
  if (!get_shape(n, idx, "input 'indices'", &is) || !get_shape(n, values, "input 'values'", &vs)) return NULL;
  if (trn_onnx_shape_elements(&vs) != 2) return trn_onnx_error(n, TRN_ERR_FORMAT, "'values' must hold 2 values");
  int64_t rank = is.rank + 1, axis;
  if (rank > TRN_MAX_RANK) return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "result rank is too large");
  if (!norm_axis(n, trn_onnx_attr_int(n, "axis", -1), rank, false, "attribute 'axis'", &axis)) return NULL;
  const_t c;
  int r = input_const(n, 1, "depth", &c);
  if (r < 0) return NULL;
  int64_t depth;
  trn_onnx_shape_t out;
  if (r == 1) {
    if (c.count != 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "'depth' must be a scalar");
    depth = c.is_float ? (int64_t)c.f[0] : c.i[0];
    if (depth < 1 || depth > INDEX_MAX)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "'depth' %lld is out of range", (long long)depth);
  } else {
    if (!declared_shape(n, 0, &out) || out.rank != rank) return not_constant(n, 1, "depth");
    depth = out.dims[axis];
  }
  out.rank = rank;
  for (int64_t i = 0, j = 0; i < rank; i++) out.dims[i] = i == axis ? depth : is.dims[j++];
  if (!check_size(n, &out)) return NULL;
  MlirType elem = trn_onnx_element_type(values);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, elem));
    return NULL;
  }
  trn_onnx_shape_t flat = shape1(2), ins = out;
  ins.dims[axis] = 1;
  values = trn_onnx_reshape(n, values, &flat);
  MlirValue i = wrap_negative(n, to_index(n, idx), depth);
  i = trn_onnx_reshape(n, i, &ins);
  MlirValue hit = compare(n, "tosa.equal", i, along(n, iota(n, depth, false), rank, axis));
  MlirValue on = trn_onnx_expand_rank(n, element_at(n, values, 1), rank);
  MlirValue off = trn_onnx_expand_rank(n, element_at(n, values, 0), rank);
  trn_onnx_set_output(n, 0, select3(n, hit, on, off));
  return NULL;
}

/* =================================================================================
 * Compress, NonZero (data-dependent sizes: the declared output shape gives them)
 * ============================================================================== */

/* Positions of the first `count` true entries of a 1-D i1 vector `cond` [N], at run
 * time: prefix counts by a lower-triangular [N, N] sum, then for output slot o the
 * position whose prefix count is o + 1. */
static MlirValue true_positions(trn_onnx_node_t *n, MlirValue cond, int64_t count) {
  if (trn_onnx_failed(n)) return NULLV;
  int64_t len = trn_onnx_shape(cond).dims[0];
  if (len > 4096 || len * count > (INT64_C(1) << 24)) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "run-time selection over %lld elements is too large", (long long)len);
    return NULLV;
  }
  trn_onnx_shape_t row = {2, {1, len}}, col = {2, {len, 1}}, sq = {2, {len, len}}, ocol = {2, {count, 1}};
  int32_t *tri = malloc((size_t)(len * len) * sizeof *tri);
  if (!tri) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory"), NULLV;
  for (int64_t i = 0; i < len; i++)
    for (int64_t j = 0; j < len; j++) tri[i * len + j] = j <= i;
  MlirValue c = trn_onnx_reshape(n, cast_to(n, cond, i32_type(n)), &row);
  MlirValue prod = mul(n, const_i32s(n, &sq, tri), c);
  free(tri);
  MlirNamedAttribute ax = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, 1));
  MlirValue prefix = trn_onnx_build(n, "tosa.reduce_sum", &prod, 1, trn_onnx_tensor_type(n, &col, i32_type(n)), &ax, 1);
  prefix = trn_onnx_reshape(n, add_c(n, prefix, -1), &row);
  MlirValue slot = trn_onnx_reshape(n, iota(n, count, false), &ocol);
  MlirValue match = trn_onnx_binary(n, "tosa.logical_and", compare(n, "tosa.equal", prefix, slot),
                                    trn_onnx_reshape(n, cond, &row));
  MlirValue sel = select3(n, match, trn_onnx_reshape(n, iota(n, len, false), &row), like(n, c, 0));
  MlirValue pos = trn_onnx_build(n, "tosa.reduce_sum", &sel, 1, trn_onnx_tensor_type(n, &ocol, i32_type(n)), &ax, 1);
  trn_onnx_shape_t flat = shape1(count);
  return trn_onnx_reshape(n, pos, &flat);
}

static trn_status_t import_compress(trn_onnx_node_t *n) {
  trn_onnx_shape_t s, cs;
  MlirType ce;
  if (!in_type(n, 0, "input", &s, NULL) || !in_type(n, 1, "input 'condition'", &cs, &ce)) return NULL;
  if (cs.rank != 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "'condition' must be 1-D");
  bool flatten = !trn_onnx_has_attr(n, "axis");
  int64_t axis = 0;
  trn_onnx_shape_t src = s;
  if (flatten) src = shape1(trn_onnx_shape_elements(&s));
  else if (!norm_axis(n, trn_onnx_attr_int(n, "axis", 0), s.rank, false, "attribute 'axis'", &axis)) return NULL;
  int64_t dim = src.dims[axis], len = cs.dims[0] < dim ? cs.dims[0] : dim;
  if (cs.dims[0] > dim)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "'condition' has %lld entries for an axis of %lld", (long long)cs.dims[0],
                          (long long)dim);
  trn_onnx_shape_t out = src;
  trn_onnx_const_t cc;
  const void *d;
  size_t size;
  MlirType t;
  MlirValue pos;
  if (trn_onnx_input_constant(n, 1, &d, &size, &t) && trn_onnx_input_const(n, 1, "condition", &cc)) {
    int32_t *p = malloc((size_t)(len + 1) * sizeof *p);
    if (!p) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    int64_t k = 0;
    for (int64_t i = 0; i < len; i++)
      if (trn_onnx_const_int_at(&cc, (size_t)i)) p[k++] = (int32_t)i;
    out.dims[axis] = k;
    MlirValue x = trn_onnx_reshape(n, trn_onnx_input(n, 0), &src);
    trn_onnx_set_output(n, 0, take_const(n, x, axis, p, k));
    free(p);
    return NULL;
  }
  trn_onnx_shape_t dec;
  if (!declared_shape(n, 0, &dec) || dec.rank != out.rank) return not_constant(n, 1, "condition");
  out.dims[axis] = dec.dims[axis];
  if (out.dims[axis] > len) return trn_onnx_error(n, TRN_ERR_FORMAT, "the declared output selects more than 'condition' holds");
  MlirValue x = trn_onnx_reshape(n, trn_onnx_input(n, 0), &src);
  if (trn_onnx_shape_elements(&out) == 0) {
    trn_onnx_set_output(n, 0, empty(n, &out, trn_onnx_element_type(x)));
    return NULL;
  }
  MlirValue cond = trn_onnx_input(n, 1);
  if (!mlirTypeIsAInteger(ce) || mlirIntegerTypeGetWidth(ce) != 1)
    cond = compare(n, "tosa.equal", cond, like(n, cond, 0)), cond = unary(n, "tosa.logical_not", cond);
  if (cs.dims[0] > len) cond = slice_axis(n, cond, 0, 0, len);
  pos = true_positions(n, cond, out.dims[axis]);
  trn_onnx_set_output(n, 0, take(n, x, axis, pos));
  return NULL;
}

static trn_status_t import_nonzero(trn_onnx_node_t *n) {
  trn_onnx_shape_t s, dec;
  if (!in_type(n, 0, "input", &s, NULL)) return NULL;
  int64_t total = trn_onnx_shape_elements(&s), rank = s.rank > 0 ? s.rank : 1;
  int64_t st[TRN_MAX_RANK];
  strides_of(&s, st);
  trn_onnx_const_t cx;
  if (small_const(n, 0, &cx)) {
    int64_t *buf = malloc((size_t)(rank * total + 1) * sizeof *buf), k = 0;
    if (!buf) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    for (int64_t e = 0; e < total; e++)
      if (trn_onnx_const_double_at(&cx, (size_t)e) != 0) k++;
    for (int64_t e = 0, j = 0; e < total; e++) {
      if (trn_onnx_const_double_at(&cx, (size_t)e) == 0) continue;
      for (int64_t d = 0; d < rank; d++) buf[d * k + j] = s.rank ? (e / st[d]) % s.dims[d] : 0;
      j++;
    }
    trn_onnx_const_t o = {.elem = TRN_ELEM_I64, .shape = {2, {rank, k}}, .data = buf, .size = (size_t)(rank * k) * 8};
    trn_onnx_set_output_const(n, 0, &o);
    free(buf);
    return NULL;
  }
  if (!declared_shape(n, 0, &dec) || dec.rank != 2 || dec.dims[0] != rank)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "the output size depends on the values of input 0 '%s' and the "
                          "output shape is not declared in the model", input_name(n, 0));
  int64_t count = dec.dims[1];
  trn_onnx_shape_t flat = shape1(total);
  if (count == 0) {
    trn_onnx_set_output(n, 0, empty(n, &dec, mlirIntegerTypeGet(trn_onnx_mlir(n), 64)));
    return NULL;
  }
  MlirValue x = trn_onnx_reshape(n, trn_onnx_input(n, 0), &flat), nz;
  MlirType xe = trn_onnx_element_type(x);
  if (mlirTypeIsAInteger(xe) && mlirIntegerTypeGetWidth(xe) == 1) nz = x;
  else nz = unary(n, "tosa.logical_not", compare(n, "tosa.equal", x, like(n, x, 0)));
  MlirValue pos = true_positions(n, nz, count);
  int32_t *coord = malloc((size_t)(total > 0 ? total : 1) * sizeof *coord);
  if (!coord) return trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
  MlirValue rows[TRN_MAX_RANK];
  trn_onnx_shape_t r2 = {2, {1, count}};
  for (int64_t d = 0; d < rank; d++) {
    for (int64_t e = 0; e < total; e++) coord[e] = s.rank ? (int32_t)((e / st[d]) % s.dims[d]) : 0;
    rows[d] = trn_onnx_reshape(n, take(n, const_i32s(n, &flat, coord), 0, pos), &r2);
  }
  free(coord);
  MlirValue all = rank == 1 ? rows[0] : concat_values(n, rows, (size_t)rank, 0);
  trn_onnx_set_output(n, 0, cast_to(n, all, mlirIntegerTypeGet(trn_onnx_mlir(n), 64)));
  return NULL;
}

/* =================================================================================
 * The table
 * ============================================================================== */

static const trn_onnx_op_t k_shape_ops[] = {
    {{"", "Compress", 9, SHAPE_MAX_OPSET, "gather of the selected positions (run-time: declared shape)"}, import_compress},
    {{"", "Concat", 1, SHAPE_MAX_OPSET, "tosa.concat"}, import_concat},
    {{"", "DepthToSpace", 1, SHAPE_MAX_OPSET, "tosa.reshape, tosa.transpose (DCR/CRD)"}, import_depth_to_space},
    {{"", "Dropout", 1, SHAPE_MAX_OPSET, "inference: forwards its input, mask = true"}, import_dropout},
    {{"", "Expand", 8, SHAPE_MAX_OPSET, "tosa.reshape, tosa.tile"}, import_expand},
    {{"", "Flatten", 1, SHAPE_MAX_OPSET, "tosa.reshape to 2-D"}, import_flatten},
    {{"", "Gather", 1, SHAPE_MAX_OPSET, "tosa.gather on [outer, dim, inner] (negative indices wrap)"}, import_gather},
    {{"", "GatherElements", 11, SHAPE_MAX_OPSET, "tosa.gather of linear positions"}, import_gather_elements},
    {{"", "GatherND", 11, SHAPE_MAX_OPSET, "tosa.gather of linear row positions (batch_dims)"}, import_gather_nd},
    {{"", "NonZero", 9, SHAPE_MAX_OPSET, "constant: folded; run-time: declared shape, prefix counts"}, import_nonzero},
    {{"", "OneHot", 9, SHAPE_MAX_OPSET, "tosa.equal with an iota, tosa.select"}, import_onehot},
    {{"", "Pad", 1, SHAPE_MAX_OPSET, "tosa.pad (constant); slices, tosa.reverse, tosa.concat (reflect, edge, wrap)"}, import_pad},
    {{"", "Range", 11, SHAPE_MAX_OPSET, "tosa.const (constant inputs), iota * delta + start"}, import_range},
    {{"", "Reshape", 1, SHAPE_MAX_OPSET, "tosa.reshape (0 = copy, -1 = inferred, allowzero)"}, import_reshape},
    {{"", "Resize", 10, SHAPE_MAX_OPSET, "per axis: constant taps + weights, tosa.gather (nearest, linear, cubic); x k nearest = tile"}, import_resize},
    {{"", "Scatter", 9, 10, "tosa.scatter of linear positions"}, import_scatter_elements},
    {{"", "ScatterElements", 11, SHAPE_MAX_OPSET, "tosa.scatter of linear positions (reduction none)"}, import_scatter_elements},
    {{"", "ScatterND", 11, SHAPE_MAX_OPSET, "tosa.scatter of linear row positions (reduction none)"}, import_scatter_nd},
    {{"", "Shape", 1, SHAPE_MAX_OPSET, "tosa.const of the static shape (start/end)"}, import_shape},
    {{"", "Size", 1, SHAPE_MAX_OPSET, "tosa.const of the element count"}, import_size},
    {{"", "Slice", 1, SHAPE_MAX_OPSET, "tosa.slice, tosa.reverse, strided by reshape (constants); run-time starts: gathers"}, import_slice},
    {{"", "SpaceToDepth", 1, SHAPE_MAX_OPSET, "tosa.reshape, tosa.transpose"}, import_space_to_depth},
    {{"", "Split", 1, SHAPE_MAX_OPSET, "tosa.slice per output"}, import_split},
    {{"", "Squeeze", 1, SHAPE_MAX_OPSET, "tosa.reshape"}, import_squeeze},
    {{"", "Tile", 6, SHAPE_MAX_OPSET, "tosa.tile"}, import_tile},
    {{"", "Transpose", 1, SHAPE_MAX_OPSET, "tosa.transpose (default: reversed dims)"}, import_transpose},
    {{"", "Unsqueeze", 1, SHAPE_MAX_OPSET, "tosa.reshape"}, import_unsqueeze},
    {{"", "Upsample", 7, 9, "per-axis tosa.gather (nearest, linear; asymmetric)"}, import_upsample},
};
const trn_onnx_op_table_t trn_onnx_shape_ops = {k_shape_ops, sizeof k_shape_ops / sizeof k_shape_ops[0]};
