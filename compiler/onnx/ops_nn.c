/* ONNX operators of the nn family: convolutions, pooling and normalizations.
 *
 * ONNX is channels-first (NCHW, weights OIHW); TOSA's convolutions and 2-D pools
 * are channels-last (NHWC, weights OHWI). Layout is changed with tosa.transpose
 * around each TOSA op; later passes fold transpose pairs. Shapes are computed here
 * (ONNX rules: explicit pads, auto_pad, ceil_mode) and passed to TOSA exactly. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "state.h"

/* The newest default-domain opset whose operators below keep the semantics
 * implemented here. */
#define NN_MAX_OPSET 21
/* Spatial dimensions handled (1-D, 2-D, 3-D). */
#define NN_MAX_SPATIAL 3

static MlirValue nn_null(void) { return (MlirValue){NULL}; }

/* True if output i is requested (present with a non-empty name). */
static bool nn_has_output(const trn_onnx_node_t *n, size_t i) {
  return i < n->proto->n_output && n->proto->output[i] && n->proto->output[i][0] != '\0';
}

/* ---------------------------------------------------------------------------------
 * Small op builders (sticky errors: each returns a null value once the node failed)
 * ------------------------------------------------------------------------------- */

static MlirType nn_type(trn_onnx_node_t *n, const trn_onnx_shape_t *s) {
  return trn_onnx_tensor_type(n, s, trn_onnx_f32(n));
}

/* A splat f32 constant of rank `rank` and all dims 1 (broadcasts against anything). */
static MlirValue nn_scalar(trn_onnx_node_t *n, int64_t rank, float value) {
  trn_onnx_shape_t s = {.rank = rank};
  for (int64_t i = 0; i < rank; i++) s.dims[i] = 1;
  return trn_onnx_splat_f32(n, &s, value);
}

static MlirValue nn_unary(trn_onnx_node_t *n, const char *op, MlirValue v) {
  if (trn_onnx_failed(n)) return nn_null();
  return trn_onnx_build(n, op, &v, 1, mlirValueGetType(v), NULL, 0);
}

static MlirValue nn_mul(trn_onnx_node_t *n, MlirValue a, MlirValue b) {
  return trn_onnx_binary(n, "tosa.mul", a, b);
}

static MlirValue nn_mul_scalar(trn_onnx_node_t *n, MlirValue v, float value) {
  if (trn_onnx_failed(n)) return nn_null();
  return nn_mul(n, v, nn_scalar(n, trn_onnx_shape(v).rank, value));
}

static MlirValue nn_add_scalar(trn_onnx_node_t *n, MlirValue v, float value) {
  if (trn_onnx_failed(n)) return nn_null();
  return trn_onnx_binary(n, "tosa.add", v, nn_scalar(n, trn_onnx_shape(v).rank, value));
}

/* tosa.reduce_sum / reduce_max over `axis` (kept as 1). */
static MlirValue nn_reduce(trn_onnx_node_t *n, const char *op, MlirValue v, int64_t axis) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t s = trn_onnx_shape(v);
  s.dims[axis] = 1;
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, op, &v, 1, trn_onnx_tensor_type(n, &s, trn_onnx_element_type(v)), &attr, 1);
}

static MlirValue nn_slice(trn_onnx_node_t *n, MlirValue v, const int64_t *start, const int64_t *size) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t s = trn_onnx_shape(v), out = {.rank = s.rank};
  bool whole = true;
  for (int64_t i = 0; i < s.rank; i++) {
    out.dims[i] = size[i];
    whole = whole && start[i] == 0 && size[i] == s.dims[i];
  }
  if (whole) return v;
  MlirNamedAttribute attrs[2] = {
      trn_onnx_named(n, "start", trn_onnx_i64_array_attr(n, start, (size_t)s.rank)),
      trn_onnx_named(n, "size", trn_onnx_i64_array_attr(n, size, (size_t)s.rank)),
  };
  return trn_onnx_build(n, "tosa.slice", &v, 1, trn_onnx_tensor_type(n, &out, trn_onnx_element_type(v)),
                        attrs, 2);
}

/* Slice of v along one axis: [start, start + size). */
static MlirValue nn_slice_axis(trn_onnx_node_t *n, MlirValue v, int64_t axis, int64_t start,
                               int64_t size) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t s = trn_onnx_shape(v);
  int64_t st[TRN_MAX_RANK] = {0}, sz[TRN_MAX_RANK];
  for (int64_t i = 0; i < s.rank; i++) sz[i] = s.dims[i];
  st[axis] = start;
  sz[axis] = size;
  return nn_slice(n, v, st, sz);
}

/* A rank-0 tosa.const of v's element type (float or integer) holding `value`. */
static MlirValue nn_scalar0_like(trn_onnx_node_t *n, MlirValue v, double value) {
  if (trn_onnx_failed(n)) return nn_null();
  MlirType elem = trn_onnx_element_type(v);
  MlirType type = mlirRankedTensorTypeGet(0, NULL, elem, mlirAttributeGetNull());
  MlirAttribute a;
  if (mlirTypeIsAInteger(elem)) {
    /* -inf and +inf stand for the type's lowest and highest values. */
    unsigned width = mlirIntegerTypeGetWidth(elem);
    int64_t lo = width >= 64 ? INT64_MIN : -(INT64_C(1) << (width - 1));
    int64_t hi = width >= 64 ? INT64_MAX : (INT64_C(1) << (width - 1)) - 1;
    int64_t iv = isinf(value) ? (value < 0 ? lo : hi) : (int64_t)value;
    a = mlirDenseElementsAttrSplatGet(type, mlirIntegerAttrGet(elem, iv));
  } else {
    a = mlirDenseElementsAttrSplatGet(type, mlirFloatAttrDoubleGet(trn_onnx_mlir(n), elem, value));
  }
  MlirNamedAttribute attr = trn_onnx_named(n, "value", a);
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &attr, 1);
}

/* tosa.pad of v by lo/hi per dimension (negative entries crop) with `value`. */
static MlirValue nn_pad(trn_onnx_node_t *n, MlirValue v, const int64_t *lo, const int64_t *hi,
                        double value) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t s = trn_onnx_shape(v);
  /* Crop first where a pad is negative. */
  int64_t st[TRN_MAX_RANK], sz[TRN_MAX_RANK];
  bool any = false;
  for (int64_t i = 0; i < s.rank; i++) {
    st[i] = lo[i] < 0 ? -lo[i] : 0;
    sz[i] = s.dims[i] - st[i] - (hi[i] < 0 ? -hi[i] : 0);
    if (sz[i] < 1) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "padding crops dimension %lld (size %lld) to nothing",
                     (long long)i, (long long)s.dims[i]);
      return nn_null();
    }
    any = any || lo[i] > 0 || hi[i] > 0;
  }
  v = nn_slice(n, v, st, sz);
  if (!any) return v;
  trn_onnx_shape_t out = {.rank = s.rank};
  int32_t pads[2 * TRN_MAX_RANK];
  for (int64_t i = 0; i < s.rank; i++) {
    pads[2 * i] = (int32_t)(lo[i] > 0 ? lo[i] : 0);
    pads[2 * i + 1] = (int32_t)(hi[i] > 0 ? hi[i] : 0);
    out.dims[i] = sz[i] + pads[2 * i] + pads[2 * i + 1];
  }
  int64_t pshape[2] = {s.rank, 2};
  MlirType ptype = mlirRankedTensorTypeGet(2, pshape, mlirIntegerTypeGet(trn_onnx_mlir(n), 32),
                                           mlirAttributeGetNull());
  MlirNamedAttribute pattr =
      trn_onnx_named(n, "value", mlirDenseElementsAttrInt32Get(ptype, 2 * s.rank, pads));
  MlirValue padding = trn_onnx_build(n, "tosa.const", NULL, 0, ptype, &pattr, 1);
  MlirValue operands[3] = {v, padding, nn_scalar0_like(n, v, value)};
  return trn_onnx_build(n, "tosa.pad", operands, 3,
                        trn_onnx_tensor_type(n, &out, trn_onnx_element_type(v)), NULL, 0);
}

static MlirValue nn_concat(trn_onnx_node_t *n, const MlirValue *values, size_t count, int64_t axis) {
  if (trn_onnx_failed(n)) return nn_null();
  if (count == 1) return values[0];
  trn_onnx_shape_t out = trn_onnx_shape(values[0]);
  for (size_t i = 1; i < count; i++) out.dims[axis] += trn_onnx_shape(values[i]).dims[axis];
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.concat", values, count,
                        trn_onnx_tensor_type(n, &out, trn_onnx_element_type(values[0])), &attr, 1);
}

static MlirValue nn_reverse(trn_onnx_node_t *n, MlirValue v, int64_t axis) {
  if (trn_onnx_failed(n)) return nn_null();
  if (trn_onnx_shape(v).dims[axis] == 1) return v;
  MlirNamedAttribute attr = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, axis));
  return trn_onnx_build(n, "tosa.reverse", &v, 1, mlirValueGetType(v), &attr, 1);
}

/* Moves axis 1 (channels) last: [N, C, S...] -> [N, S..., C], and back. */
static MlirValue nn_to_channels_last(trn_onnx_node_t *n, MlirValue v) {
  if (trn_onnx_failed(n)) return nn_null();
  int64_t rank = trn_onnx_shape(v).rank, perm[TRN_MAX_RANK];
  perm[0] = 0;
  for (int64_t i = 1; i < rank - 1; i++) perm[i] = i + 1;
  perm[rank - 1] = 1;
  return trn_onnx_transpose(n, v, perm);
}

static MlirValue nn_to_channels_first(trn_onnx_node_t *n, MlirValue v) {
  if (trn_onnx_failed(n)) return nn_null();
  int64_t rank = trn_onnx_shape(v).rank, perm[TRN_MAX_RANK];
  perm[0] = 0;
  perm[1] = rank - 1;
  for (int64_t i = 2; i < rank; i++) perm[i] = i - 1;
  return trn_onnx_transpose(n, v, perm);
}

/* Reshapes v to [outer, dims[axis], 1, inner] (a 1-D window along `axis` becomes an
 * NHWC 2-D window of width 1, with no transpose). */
static MlirValue nn_axis_view(trn_onnx_node_t *n, MlirValue v, int64_t axis) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t s = trn_onnx_shape(v);
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < axis; i++) outer *= s.dims[i];
  for (int64_t i = axis + 1; i < s.rank; i++) inner *= s.dims[i];
  trn_onnx_shape_t t = {4, {outer, s.dims[axis], 1, inner}};
  return trn_onnx_reshape(n, v, &t);
}

/* Reshapes an axis view back to `shape` with dims[axis] replaced by the view's. */
static MlirValue nn_axis_unview(trn_onnx_node_t *n, MlirValue v, trn_onnx_shape_t shape, int64_t axis) {
  if (trn_onnx_failed(n)) return nn_null();
  shape.dims[axis] = trn_onnx_shape(v).dims[1];
  return trn_onnx_reshape(n, v, &shape);
}

/* Inserts s - 1 zeros between the elements of v along `axis` (length L becomes
 * (L - 1) * s + 1): the input side of a transposed convolution. */
static MlirValue nn_zero_insert(trn_onnx_node_t *n, MlirValue v, int64_t axis, int64_t s) {
  if (trn_onnx_failed(n) || s == 1) return v;
  trn_onnx_shape_t shape = trn_onnx_shape(v);
  int64_t len = shape.dims[axis];
  MlirValue w = nn_axis_view(n, v, axis); /* [outer, L, 1, inner] */
  int64_t lo[4] = {0, 0, 0, 0}, hi[4] = {0, 0, s - 1, 0};
  w = nn_pad(n, w, lo, hi, 0.0f); /* [outer, L, s, inner] */
  trn_onnx_shape_t ws = trn_onnx_shape(w);
  trn_onnx_shape_t flat = {4, {ws.dims[0], len * s, 1, ws.dims[3]}};
  w = trn_onnx_reshape(n, w, &flat);
  w = nn_slice_axis(n, w, 1, 0, (len - 1) * s + 1);
  return nn_axis_unview(n, w, shape, axis);
}

/* Elements start, start + s, ..., count of them, of v along `axis` (v must hold
 * start + count * s elements there). */
static MlirValue nn_strided_take(trn_onnx_node_t *n, MlirValue v, int64_t axis, int64_t start,
                                 int64_t count, int64_t s) {
  if (trn_onnx_failed(n)) return nn_null();
  if (s == 1) return nn_slice_axis(n, v, axis, start, count);
  trn_onnx_shape_t shape = trn_onnx_shape(v);
  MlirValue w = nn_slice_axis(n, nn_axis_view(n, v, axis), 1, start, count * s);
  trn_onnx_shape_t ws = trn_onnx_shape(w);
  trn_onnx_shape_t r = {4, {ws.dims[0], count, s, ws.dims[3]}};
  w = nn_slice_axis(n, trn_onnx_reshape(n, w, &r), 2, 0, 1);
  return nn_axis_unview(n, w, shape, axis);
}

/* ---------------------------------------------------------------------------------
 * Windows: kernel, strides, dilations, pads (explicit or auto_pad) and output sizes
 * ------------------------------------------------------------------------------- */

typedef struct nn_window_t {
  int64_t nsp; /* spatial dimensions */
  int64_t in[NN_MAX_SPATIAL], kernel[NN_MAX_SPATIAL], stride[NN_MAX_SPATIAL];
  int64_t dilation[NN_MAX_SPATIAL], pad_begin[NN_MAX_SPATIAL], pad_end[NN_MAX_SPATIAL];
  /* Extra end padding that ceil_mode adds beyond pad_end (counts as outside). */
  int64_t extra[NN_MAX_SPATIAL];
  int64_t out[NN_MAX_SPATIAL];
} nn_window_t;

static int64_t nn_floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* The largest stride, dilation, pad or kernel size accepted (TOSA's attributes and
 * pad constants are 32-bit). */
#define NN_MAX_WINDOW_VALUE (INT64_C(1) << 24)

/* Reads an INTS attribute of exactly `count` values in [min, NN_MAX_WINDOW_VALUE], or
 * fills `def` when absent. */
static bool nn_ints(trn_onnx_node_t *n, const char *name, int64_t count, int64_t def, int64_t min,
                    int64_t *out) {
  const int64_t *v = NULL;
  size_t k = trn_onnx_attr_ints(n, name, &v);
  if (trn_onnx_failed(n)) return false;
  if (!trn_onnx_has_attr(n, name)) {
    for (int64_t i = 0; i < count; i++) out[i] = def;
    return true;
  }
  if ((int64_t)k != count) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute '%s' has %zu values, expected %lld", name, k,
                   (long long)count);
    return false;
  }
  for (int64_t i = 0; i < count; i++) {
    if (v[i] < min || v[i] > NN_MAX_WINDOW_VALUE) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "attribute '%s' value %lld at %lld is out of range [%lld, %lld]",
                     name, (long long)v[i], (long long)i, (long long)min, (long long)NN_MAX_WINDOW_VALUE);
      return false;
    }
    out[i] = v[i];
  }
  return true;
}

typedef enum nn_auto_pad_t { NN_NOTSET, NN_SAME_UPPER, NN_SAME_LOWER, NN_VALID } nn_auto_pad_t;

static bool nn_auto_pad(trn_onnx_node_t *n, nn_auto_pad_t *out) {
  char buf[32];
  trn_onnx_attr_string(n, "auto_pad", "NOTSET", buf, sizeof buf);
  if (trn_onnx_failed(n)) return false;
  if (strcmp(buf, "NOTSET") == 0 || buf[0] == '\0') *out = NN_NOTSET;
  else if (strcmp(buf, "SAME_UPPER") == 0) *out = NN_SAME_UPPER;
  else if (strcmp(buf, "SAME_LOWER") == 0) *out = NN_SAME_LOWER;
  else if (strcmp(buf, "VALID") == 0) *out = NN_VALID;
  else {
    trn_onnx_error(n, TRN_ERR_FORMAT,
                   "attribute 'auto_pad' is '%s'; expected NOTSET, SAME_UPPER, SAME_LOWER or VALID", buf);
    return false;
  }
  return true;
}

/* The window of a Conv or pool over x [N, C, spatial...] with `kernel` (already
 * validated): strides, dilations, pads, auto_pad attributes and ceil_mode. */
static bool nn_window(trn_onnx_node_t *n, const trn_onnx_shape_t *xs, const int64_t *kernel,
                      bool ceil_mode, nn_window_t *w) {
  memset(w, 0, sizeof *w);
  w->nsp = xs->rank - 2;
  int64_t pads[2 * NN_MAX_SPATIAL];
  nn_auto_pad_t ap;
  if (!nn_ints(n, "strides", w->nsp, 1, 1, w->stride) ||
      !nn_ints(n, "dilations", w->nsp, 1, 1, w->dilation) ||
      !nn_ints(n, "pads", 2 * w->nsp, 0, 0, pads) || !nn_auto_pad(n, &ap))
    return false;
  for (int64_t i = 0; i < w->nsp; i++) {
    int64_t in = xs->dims[i + 2], s = w->stride[i];
    int64_t dk = (kernel[i] - 1) * w->dilation[i] + 1;
    w->in[i] = in;
    w->kernel[i] = kernel[i];
    if (ap == NN_SAME_UPPER || ap == NN_SAME_LOWER) {
      int64_t out = (in + s - 1) / s;
      int64_t total = (out - 1) * s + dk - in;
      if (total < 0) total = 0;
      w->pad_begin[i] = ap == NN_SAME_UPPER ? total / 2 : total - total / 2;
      w->pad_end[i] = total - w->pad_begin[i];
      w->out[i] = out;
      continue;
    }
    if (ap == NN_NOTSET) {
      w->pad_begin[i] = pads[i];
      w->pad_end[i] = pads[i + w->nsp];
    }
    int64_t span = in + w->pad_begin[i] + w->pad_end[i] - dk;
    if (span < 0) {
      trn_onnx_error(n, TRN_ERR_FORMAT,
                     "spatial dimension %lld: the window (%lld with dilation) is larger than the "
                     "padded input (%lld)",
                     (long long)i, (long long)dk, (long long)(in + w->pad_begin[i] + w->pad_end[i]));
      return false;
    }
    int64_t out = span / s + 1;
    if (ceil_mode && span % s != 0) {
      out = span / s + 2;
      /* The last window must start inside the input or its begin padding. */
      if ((out - 1) * s >= in + w->pad_begin[i]) out--;
    }
    w->out[i] = out;
    int64_t need = (out - 1) * s + dk - (in + w->pad_begin[i] + w->pad_end[i]);
    w->extra[i] = need > 0 ? need : 0;
  }
  return true;
}

/* The kernel of a pool: kernel_shape (required), validated against the input rank. */
static bool nn_pool_kernel(trn_onnx_node_t *n, const trn_onnx_shape_t *xs, int64_t *kernel) {
  if (xs->rank < 3 || xs->rank > 2 + NN_MAX_SPATIAL) {
    char buf[128];
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input X has shape %s; 1-D to 3-D pooling (rank 3 to 5) is supported",
                   trn_onnx_shape_str(xs, buf, sizeof buf));
    return false;
  }
  if (!trn_onnx_has_attr(n, "kernel_shape")) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'kernel_shape' is required");
    return false;
  }
  return nn_ints(n, "kernel_shape", xs->rank - 2, 1, 1, kernel);
}

/* ---------------------------------------------------------------------------------
 * Convolution
 * ------------------------------------------------------------------------------- */

/* TOSA windows must tile the padded input exactly: (in + pb + pe - dk) % s == 0
 * (LLVM's avg_pool2d lowering counts the end padding wrongly otherwise). Trailing
 * elements no window reaches are dropped: from pe first, then cropped off v, whose
 * spatial dim i is axis i + 1 (channels-last). */
static MlirValue nn_exact_window(trn_onnx_node_t *n, MlirValue v, int64_t nsp, const int64_t *dk,
                                 const int64_t *stride, const int64_t *pb, int64_t *pe) {
  for (int64_t i = 0; i < nsp && !trn_onnx_failed(n); i++) {
    int64_t len = trn_onnx_shape(v).dims[i + 1];
    int64_t rem = (len + pb[i] + pe[i] - dk[i]) % stride[i];
    if (rem == 0) continue;
    int64_t from_pad = rem < pe[i] ? rem : pe[i];
    pe[i] -= from_pad;
    if (rem > from_pad) v = nn_slice_axis(n, v, i + 1, 0, len - (rem - from_pad));
  }
  return v;
}

/* One TOSA convolution (group 1, or depthwise) on channels-last x; w is ONNX
 * [O, I, K...]; bias [O]. Pads are non-negative. */
static MlirValue nn_conv_tosa(trn_onnx_node_t *n, MlirValue x_cl, MlirValue w, MlirValue bias,
                              bool depthwise, const nn_window_t *win, const int64_t *pb,
                              const int64_t *pe) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t xs = trn_onnx_shape(x_cl), ws = trn_onnx_shape(w);
  int64_t nsp = win->nsp, out_c = ws.dims[0];
  trn_onnx_shape_t out = {.rank = xs.rank};
  out.dims[0] = xs.dims[0];
  out.dims[xs.rank - 1] = out_c;
  int64_t pad[2 * NN_MAX_SPATIAL], dk[NN_MAX_SPATIAL], pe_exact[NN_MAX_SPATIAL];
  for (int64_t i = 0; i < nsp; i++) {
    dk[i] = (ws.dims[i + 2] - 1) * win->dilation[i] + 1;
    pe_exact[i] = pe[i];
  }
  x_cl = nn_exact_window(n, x_cl, nsp, dk, win->stride, pb, pe_exact);
  xs = trn_onnx_shape(x_cl);
  for (int64_t i = 0; i < nsp; i++) {
    out.dims[i + 1] = (xs.dims[i + 1] + pb[i] + pe_exact[i] - dk[i]) / win->stride[i] + 1;
    pad[2 * i] = pb[i];
    pad[2 * i + 1] = pe_exact[i];
  }
  const char *op = nsp == 3 ? "tosa.conv3d" : "tosa.conv2d";
  MlirValue wt;
  if (depthwise) {
    /* [C*M, 1, KH, KW] -> [C, M, KH, KW] -> [KH, KW, C, M] */
    int64_t c = xs.dims[xs.rank - 1];
    trn_onnx_shape_t r = {4, {c, out_c / c, ws.dims[2], ws.dims[3]}};
    static const int64_t k_hwcm[4] = {2, 3, 0, 1};
    wt = trn_onnx_transpose(n, trn_onnx_reshape(n, w, &r), k_hwcm);
    op = "tosa.depthwise_conv2d";
  } else {
    wt = nn_to_channels_last(n, w); /* OIHW -> OHWI */
  }
  MlirNamedAttribute attrs[3] = {
      trn_onnx_named(n, "pad", trn_onnx_i64_array_attr(n, pad, (size_t)(2 * nsp))),
      trn_onnx_named(n, "stride", trn_onnx_i64_array_attr(n, win->stride, (size_t)nsp)),
      trn_onnx_named(n, "dilation", trn_onnx_i64_array_attr(n, win->dilation, (size_t)nsp)),
  };
  MlirValue operands[3] = {x_cl, wt, bias};
  return trn_onnx_build(n, op, operands, 3, nn_type(n, &out), attrs, 3);
}

/* Y = conv(x, w) + bias in ONNX layout: x [N, C, S...] (1 to 3 spatial dims), w
 * [O, C/group, K...], bias [O] or null. win gives strides and dilations; pb/pe are
 * the pads (negative ones crop x). 1-D becomes 2-D with a width of 1; group 1 is one
 * tosa.conv2d/conv3d, one input channel per group a tosa.depthwise_conv2d, other
 * groups one convolution per group joined by tosa.concat. */
static MlirValue nn_conv(trn_onnx_node_t *n, MlirValue x, MlirValue w, MlirValue bias, int64_t group,
                         nn_window_t win, const int64_t *pads_begin, const int64_t *pads_end) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t xs = trn_onnx_shape(x), ws = trn_onnx_shape(w);
  int64_t pb[NN_MAX_SPATIAL], pe[NN_MAX_SPATIAL];
  int64_t lo[TRN_MAX_RANK] = {0}, hi[TRN_MAX_RANK] = {0};
  bool crop = false;
  for (int64_t i = 0; i < win.nsp; i++) {
    pb[i] = pads_begin[i] > 0 ? pads_begin[i] : 0;
    pe[i] = pads_end[i] > 0 ? pads_end[i] : 0;
    lo[i + 2] = pads_begin[i] < 0 ? pads_begin[i] : 0;
    hi[i + 2] = pads_end[i] < 0 ? pads_end[i] : 0;
    crop = crop || lo[i + 2] || hi[i + 2];
  }
  if (crop) {
    x = nn_pad(n, x, lo, hi, 0.0f);
    xs = trn_onnx_shape(x);
  }
  int64_t out_c = ws.dims[0];
  if (mlirValueIsNull(bias)) {
    trn_onnx_shape_t bs = {1, {out_c}};
    bias = trn_onnx_splat_f32(n, &bs, 0.0f);
  }
  bool one_d = win.nsp == 1;
  if (one_d) {
    /* [N, C, L] -> [N, C, L, 1] */
    trn_onnx_shape_t x4 = {4, {xs.dims[0], xs.dims[1], xs.dims[2], 1}};
    trn_onnx_shape_t w4 = {4, {ws.dims[0], ws.dims[1], ws.dims[2], 1}};
    x = trn_onnx_reshape(n, x, &x4);
    w = trn_onnx_reshape(n, w, &w4);
    win.nsp = 2;
    win.stride[1] = win.dilation[1] = 1;
    pb[1] = pe[1] = 0;
  }
  MlirValue x_cl = nn_to_channels_last(n, x), y_cl;
  int64_t in_c = xs.dims[1], cg = in_c / group, og = out_c / group;
  if (group == 1) {
    y_cl = nn_conv_tosa(n, x_cl, w, bias, false, &win, pb, pe);
  } else if (cg == 1 && win.nsp == 2) {
    y_cl = nn_conv_tosa(n, x_cl, w, bias, true, &win, pb, pe);
  } else {
    MlirValue *parts = malloc((size_t)group * sizeof *parts);
    if (!parts) {
      trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory for %lld groups", (long long)group);
      return nn_null();
    }
    int64_t last = trn_onnx_shape(x_cl).rank - 1;
    for (int64_t g = 0; g < group; g++) {
      MlirValue xg = nn_slice_axis(n, x_cl, last, g * cg, cg);
      MlirValue wg = nn_slice_axis(n, w, 0, g * og, og);
      MlirValue bg = nn_slice_axis(n, bias, 0, g * og, og);
      parts[g] = nn_conv_tosa(n, xg, wg, bg, false, &win, pb, pe);
    }
    y_cl = nn_concat(n, parts, (size_t)group, last);
    free(parts);
  }
  MlirValue y = nn_to_channels_first(n, y_cl);
  if (one_d && !trn_onnx_failed(n)) {
    trn_onnx_shape_t ys = trn_onnx_shape(y);
    ys.rank = 3;
    y = trn_onnx_reshape(n, y, &ys);
  }
  return y;
}

/* Checks the shapes of X, W (and B) of Conv/ConvTranspose: X [N, C, S...] with 1 to
 * 3 spatial dims, W of the same rank, kernel_shape (if given) equal to W's. */
static bool nn_conv_shapes(trn_onnx_node_t *n, MlirValue x, MlirValue w, MlirValue b,
                           int64_t b_channels, int64_t *kernel) {
  if (!trn_onnx_require_f32(n, x, "input X") || !trn_onnx_require_f32(n, w, "input W")) return false;
  if (!mlirValueIsNull(b) && !trn_onnx_require_f32(n, b, "input B")) return false;
  trn_onnx_shape_t xs = trn_onnx_shape(x), ws = trn_onnx_shape(w);
  char s1[128], s2[128];
  if (xs.rank < 3 || xs.rank > 2 + NN_MAX_SPATIAL)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                          "input X has shape %s; 1-D to 3-D convolutions (rank 3 to 5) are supported",
                          trn_onnx_shape_str(&xs, s1, sizeof s1)),
           false;
  if (ws.rank != xs.rank)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input W has shape %s, not of the rank of X %s",
                          trn_onnx_shape_str(&ws, s1, sizeof s1), trn_onnx_shape_str(&xs, s2, sizeof s2)),
           false;
  for (int64_t i = 0; i < xs.rank; i++)
    if (xs.dims[i] < 1 || ws.dims[i] < 1 || ws.dims[i] > NN_MAX_WINDOW_VALUE)
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "empty or oversized X %s or W %s",
                            trn_onnx_shape_str(&xs, s1, sizeof s1), trn_onnx_shape_str(&ws, s2, sizeof s2)),
             false;
  int64_t nsp = xs.rank - 2;
  if (!nn_ints(n, "kernel_shape", nsp, 0, 1, kernel)) return false;
  for (int64_t i = 0; i < nsp; i++) {
    if (trn_onnx_has_attr(n, "kernel_shape") && kernel[i] != ws.dims[i + 2])
      return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'kernel_shape' %lld at %lld differs from W's shape %s",
                            (long long)kernel[i], (long long)i, trn_onnx_shape_str(&ws, s1, sizeof s1)),
             false;
    kernel[i] = ws.dims[i + 2];
  }
  if (!mlirValueIsNull(b)) {
    trn_onnx_shape_t bs = trn_onnx_shape(b);
    if (bs.rank != 1 || bs.dims[0] != b_channels)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "input B has shape %s; expected [%lld]",
                            trn_onnx_shape_str(&bs, s1, sizeof s1), (long long)b_channels),
             false;
  }
  return true;
}

static bool nn_group(trn_onnx_node_t *n, int64_t *out) {
  *out = trn_onnx_attr_int(n, "group", 1);
  if (trn_onnx_failed(n)) return false;
  if (*out < 1) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'group' is %lld; it must be positive", (long long)*out);
    return false;
  }
  return true;
}

/* Conv: X [N, C, S...], W [M, C/group, K...], optional B [M]. */
static trn_status_t import_conv(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), w = trn_onnx_input(n, 1);
  MlirValue b = trn_onnx_has_input(n, 2) ? trn_onnx_input(n, 2) : nn_null();
  int64_t group, kernel[NN_MAX_SPATIAL];
  if (!nn_group(n, &group)) return NULL;
  trn_onnx_shape_t ws = trn_onnx_shape(w);
  if (!nn_conv_shapes(n, x, w, b, ws.dims[0], kernel)) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  if (xs.dims[1] % group != 0 || ws.dims[1] * group != xs.dims[1] || ws.dims[0] % group != 0) {
    char s1[128], s2[128];
    return trn_onnx_error(n, TRN_ERR_FORMAT, "group %lld does not fit X %s and W %s", (long long)group,
                          trn_onnx_shape_str(&xs, s1, sizeof s1), trn_onnx_shape_str(&ws, s2, sizeof s2));
  }
  nn_window_t win;
  if (!nn_window(n, &xs, kernel, false, &win)) return NULL;
  trn_onnx_set_output(n, 0, nn_conv(n, x, w, b, group, win, win.pad_begin, win.pad_end));
  return NULL;
}

/* ConvTranspose: X [N, C, S...], W [C, M/group, K...], optional B [M]. Computed as a
 * convolution of X with s-1 zeros inserted between elements (per stride s), padded
 * by dk-1-pad (dk the dilated kernel extent; output_padding adds at the end), with
 * W's kernel flipped and its channel axes swapped per group. */
static trn_status_t import_conv_transpose(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), w = trn_onnx_input(n, 1);
  MlirValue b = trn_onnx_has_input(n, 2) ? trn_onnx_input(n, 2) : nn_null();
  int64_t group, kernel[NN_MAX_SPATIAL];
  if (!nn_group(n, &group)) return NULL;
  trn_onnx_shape_t ws = trn_onnx_shape(w), xs = trn_onnx_shape(x);
  if (!nn_conv_shapes(n, x, w, b, ws.dims[1] * group, kernel)) return NULL;
  if (ws.dims[0] != xs.dims[1] || xs.dims[1] % group != 0) {
    char s1[128], s2[128];
    return trn_onnx_error(n, TRN_ERR_FORMAT, "group %lld does not fit X %s and W %s", (long long)group,
                          trn_onnx_shape_str(&xs, s1, sizeof s1), trn_onnx_shape_str(&ws, s2, sizeof s2));
  }
  int64_t nsp = xs.rank - 2;
  int64_t stride[NN_MAX_SPATIAL], dil[NN_MAX_SPATIAL], pads[2 * NN_MAX_SPATIAL];
  int64_t out_pad[NN_MAX_SPATIAL], out_shape[NN_MAX_SPATIAL];
  nn_auto_pad_t ap;
  if (!nn_ints(n, "strides", nsp, 1, 1, stride) || !nn_ints(n, "dilations", nsp, 1, 1, dil) ||
      !nn_ints(n, "pads", 2 * nsp, 0, 0, pads) || !nn_ints(n, "output_padding", nsp, 0, 0, out_pad) ||
      !nn_auto_pad(n, &ap))
    return NULL;
  bool has_out_shape = trn_onnx_has_attr(n, "output_shape");
  if (has_out_shape) {
    const int64_t *v = NULL;
    size_t k = trn_onnx_attr_ints(n, "output_shape", &v);
    if (trn_onnx_failed(n)) return NULL;
    /* Either the spatial sizes or the full output shape. */
    if ((int64_t)k != nsp && (int64_t)k != nsp + 2)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'output_shape' has %zu values, expected %lld",
                            k, (long long)nsp);
    for (int64_t i = 0; i < nsp; i++) {
      out_shape[i] = v[(int64_t)k - nsp + i];
      if (out_shape[i] < 1)
        return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'output_shape' value %lld is not positive",
                              (long long)out_shape[i]);
    }
  }
  nn_window_t win = {.nsp = nsp};
  int64_t cb[NN_MAX_SPATIAL], ce[NN_MAX_SPATIAL];
  for (int64_t i = 0; i < nsp; i++) {
    int64_t in = xs.dims[i + 2], s = stride[i], dk = (kernel[i] - 1) * dil[i] + 1;
    if (out_pad[i] >= s && out_pad[i] >= dil[i])
      return trn_onnx_error(n, TRN_ERR_FORMAT,
                            "attribute 'output_padding' value %lld must be smaller than the stride "
                            "or the dilation",
                            (long long)out_pad[i]);
    int64_t full = s * (in - 1) + out_pad[i] + dk, pb, pe;
    if (has_out_shape || ap == NN_SAME_UPPER || ap == NN_SAME_LOWER) {
      int64_t total = full - (has_out_shape ? out_shape[i] : in * s);
      int64_t half = nn_floor_div(total, 2);
      pb = ap == NN_SAME_UPPER ? half : total - half;
      pe = total - pb;
    } else if (ap == NN_VALID) {
      pb = pe = 0;
    } else {
      pb = pads[i];
      pe = pads[i + nsp];
    }
    if (full - pb - pe < 1)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "spatial dimension %lld: the output size %lld is not positive",
                            (long long)i, (long long)(full - pb - pe));
    cb[i] = dk - 1 - pb;
    ce[i] = dk - 1 - pe + out_pad[i];
    win.stride[i] = 1;
    win.dilation[i] = dil[i];
    x = nn_zero_insert(n, x, i + 2, s);
  }
  /* W [C, Mg, K...] -> [M, C/group, K...] with the kernel flipped. */
  int64_t cg = xs.dims[1] / group, og = ws.dims[1];
  MlirValue wc;
  if (group == 1) {
    int64_t perm[TRN_MAX_RANK] = {1, 0, 2, 3, 4};
    wc = trn_onnx_transpose(n, w, perm);
  } else {
    trn_onnx_shape_t g5 = {.rank = ws.rank + 1};
    g5.dims[0] = group, g5.dims[1] = cg, g5.dims[2] = og;
    int64_t perm[TRN_MAX_RANK] = {0, 2, 1};
    for (int64_t i = 0; i < nsp; i++) g5.dims[i + 3] = ws.dims[i + 2], perm[i + 3] = i + 3;
    wc = trn_onnx_transpose(n, trn_onnx_reshape(n, w, &g5), perm);
    trn_onnx_shape_t back = ws;
    back.dims[0] = group * og;
    back.dims[1] = cg;
    wc = trn_onnx_reshape(n, wc, &back);
  }
  for (int64_t i = 0; i < nsp; i++) wc = nn_reverse(n, wc, i + 2);
  trn_onnx_set_output(n, 0, nn_conv(n, x, wc, b, group, win, cb, ce));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Pooling
 * ------------------------------------------------------------------------------- */

typedef enum nn_pool_kind_t { NN_POOL_MAX, NN_POOL_AVG } nn_pool_kind_t;

/* One TOSA 2-D pool on NHWC v: kernel k, stride s, pads (t, b, l, r); the result
 * size is given. Padding is -inf for max and excluded from the average's count. */
static MlirValue nn_pool2d(trn_onnx_node_t *n, MlirValue v, nn_pool_kind_t kind, const int64_t *k,
                           const int64_t *s, const int64_t *pad, int64_t oh, int64_t ow) {
  if (trn_onnx_failed(n)) return nn_null();
  int64_t pb[2] = {pad[0], pad[2]}, pe[2] = {pad[1], pad[3]};
  v = nn_exact_window(n, v, 2, k, s, pb, pe);
  int64_t exact[4] = {pb[0], pe[0], pb[1], pe[1]};
  trn_onnx_shape_t vs = trn_onnx_shape(v);
  trn_onnx_shape_t out = {4, {vs.dims[0], oh, ow, vs.dims[3]}};
  MlirNamedAttribute attrs[4] = {
      trn_onnx_named(n, "kernel", trn_onnx_i64_array_attr(n, k, 2)),
      trn_onnx_named(n, "stride", trn_onnx_i64_array_attr(n, s, 2)),
      trn_onnx_named(n, "pad", trn_onnx_i64_array_attr(n, exact, 4)),
      trn_onnx_named(n, "acc_type", mlirTypeAttrGet(trn_onnx_f32(n))),
  };
  return trn_onnx_build(n, kind == NN_POOL_MAX ? "tosa.max_pool2d" : "tosa.avg_pool2d", &v, 1,
                        trn_onnx_tensor_type(n, &out, trn_onnx_element_type(v)), attrs,
                        kind == NN_POOL_MAX ? 3 : 4);
}

/* A 1-D pool along `axis` of v (window i of win), by viewing v as NHWC
 * [outer, L, 1, inner]. Dilated max windows: with the stride a multiple of the
 * dilation, every window reads one phase of the padded input (taken by a reshape
 * and a slice) and is then undilated; otherwise the window is the maximum of its
 * kernel taps, one strided slice each. */
static MlirValue nn_pool_axis(trn_onnx_node_t *n, MlirValue v, nn_pool_kind_t kind,
                              const nn_window_t *win, int64_t i, int64_t axis) {
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_shape_t shape = trn_onnx_shape(v);
  int64_t k = win->kernel[i], s = win->stride[i], d = win->dilation[i], out = win->out[i];
  int64_t pb = win->pad_begin[i], pe = win->pad_end[i] + win->extra[i];
  if (k == 1 && s == 1 && pb == 0 && pe == 0) return v;
  MlirValue view = nn_axis_view(n, v, axis);
  if (d == 1) {
    int64_t kk[2] = {k, 1}, ss[2] = {s, 1}, pad[4] = {pb, pe, 0, 0};
    /* TOSA windows pad less than their kernel: pad beyond that explicitly (max). */
    if (pb >= k || pe >= k) {
      int64_t lo[4] = {0, pb, 0, 0}, hi[4] = {0, pe, 0, 0};
      view = nn_pad(n, view, lo, hi, -INFINITY);
      pad[0] = pad[1] = 0;
    }
    return nn_axis_unview(n, nn_pool2d(n, view, kind, kk, ss, pad, out, 1), shape, axis);
  }
  /* Dilated (max only): pad explicitly so that every tap is in range. */
  int64_t len = shape.dims[axis] + pb + pe;
  int64_t need = (out - 1) * s + (k - 1) * d + 1;
  int64_t lo[4] = {0, pb, 0, 0}, hi[4] = {0, pe, 0, 0};
  if (s % d == 0) {
    int64_t phases = (need + d - 1) / d, total = phases * d; /* length after padding */
    hi[1] = total - shape.dims[axis] - pb;
    MlirValue p = nn_pad(n, view, lo, hi, -INFINITY);
    trn_onnx_shape_t ps = trn_onnx_shape(p);
    trn_onnx_shape_t r = {4, {ps.dims[0], phases, d, ps.dims[3]}};
    p = nn_slice_axis(n, trn_onnx_reshape(n, p, &r), 2, 0, 1); /* phase 0 */
    int64_t kk[2] = {k, 1}, ss[2] = {s / d, 1}, pad[4] = {0, 0, 0, 0};
    return nn_axis_unview(n, nn_pool2d(n, p, kind, kk, ss, pad, out, 1), shape, axis);
  }
  int64_t total = (k - 1) * d + out * s;
  if (total < len) total = len;
  hi[1] = total - shape.dims[axis] - pb;
  MlirValue p = nn_pad(n, view, lo, hi, -INFINITY), acc = nn_null();
  trn_onnx_shape_t ps = trn_onnx_shape(p);
  for (int64_t j = 0; j < k && !trn_onnx_failed(n); j++) {
    MlirValue tap = nn_slice_axis(n, p, 1, j * d, out * s);
    trn_onnx_shape_t r = {4, {ps.dims[0], out, s, ps.dims[3]}};
    tap = nn_slice_axis(n, trn_onnx_reshape(n, tap, &r), 2, 0, 1);
    acc = j == 0 ? tap : trn_onnx_binary(n, "tosa.maximum", acc, tap);
  }
  return nn_axis_unview(n, acc, shape, axis);
}

/* MaxPool/AveragePool over x [N, C, S...]. 2-D undilated windows are one TOSA pool
 * between NCHW<->NHWC transposes; other windows are pooled one axis at a time
 * (max and the padding-excluding average are separable over a box window). */
static MlirValue nn_pool(trn_onnx_node_t *n, MlirValue x, nn_pool_kind_t kind, nn_window_t win) {
  if (trn_onnx_failed(n)) return nn_null();
  bool dilated = false, big_pad = false;
  for (int64_t i = 0; i < win.nsp; i++) {
    dilated = dilated || win.dilation[i] != 1;
    big_pad = big_pad || win.pad_begin[i] >= win.kernel[i] || win.pad_end[i] + win.extra[i] >= win.kernel[i];
  }
  if (win.nsp == 2 && !dilated && !big_pad) {
    int64_t pad[4] = {win.pad_begin[0], win.pad_end[0] + win.extra[0], win.pad_begin[1],
                      win.pad_end[1] + win.extra[1]};
    MlirValue y = nn_pool2d(n, nn_to_channels_last(n, x), kind, win.kernel, win.stride, pad,
                            win.out[0], win.out[1]);
    return nn_to_channels_first(n, y);
  }
  if (kind == NN_POOL_AVG && big_pad) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "padding as large as the kernel is not supported for AveragePool");
    return nn_null();
  }
  for (int64_t i = 0; i < win.nsp; i++) x = nn_pool_axis(n, x, kind, &win, i, i + 2);
  return x;
}

/* The most kernel taps MaxPool's Indices are computed for. */
#define NN_MAX_INDEX_TAPS 1024

/* An i32 tosa.const of `shape` (count values). */
static MlirValue nn_const_i32(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, const int32_t *values,
                              int64_t count) {
  if (trn_onnx_failed(n)) return nn_null();
  MlirType type = trn_onnx_tensor_type(n, shape, mlirIntegerTypeGet(trn_onnx_mlir(n), 32));
  MlirNamedAttribute attr =
      trn_onnx_named(n, "value", mlirDenseElementsAttrInt32Get(type, (intptr_t)count, values));
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &attr, 1);
}

/* MaxPool with Indices. The T kernel taps (strided slices of the -inf padded input,
 * row-major window order) are stacked as [T, M]; Y is their tosa.reduce_max and the
 * winning tap t their tosa.argmax (the first maximum, as ONNX's reference). The flat
 * index is linear in the tap and the output position:
 *   index = (n*C + c) * plane + sum_i (o_i*s_i - pb_i) * st_i + sum_i t_i*d_i * st_i
 * with st the element strides of the spatial plane (row-major, or column-major for
 * storage_order 1): the tap term is a tosa.gather from a T-entry table, the others
 * are constants. Computed in i32, cast to i64. */
static MlirValue nn_max_pool_indices(trn_onnx_node_t *n, MlirValue x, const nn_window_t *win,
                                     int64_t storage) {
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  int64_t nsp = win->nsp, plane_size = 1, taps = 1, m = xs.dims[0] * xs.dims[1];
  int64_t lo[TRN_MAX_RANK] = {0}, hi[TRN_MAX_RANK] = {0}, st[NN_MAX_SPATIAL];
  trn_onnx_shape_t out = xs;
  for (int64_t i = 0; i < nsp; i++) {
    int64_t need = (win->kernel[i] - 1) * win->dilation[i] + win->out[i] * win->stride[i];
    lo[i + 2] = win->pad_begin[i];
    hi[i + 2] = need - xs.dims[i + 2] - win->pad_begin[i];
    plane_size *= xs.dims[i + 2];
    taps *= win->kernel[i];
    out.dims[i + 2] = win->out[i];
    m *= win->out[i];
  }
  for (int64_t i = 0, row = plane_size, col = 1; i < nsp; i++) {
    row /= xs.dims[i + 2];
    st[i] = storage == 1 ? col : row;
    col *= xs.dims[i + 2];
  }
  if (taps > NN_MAX_INDEX_TAPS || trn_onnx_shape_elements(&xs) > INT32_MAX) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                   "output Indices: %lld kernel taps and %lld input elements exceed the supported %d and 2^31",
                   (long long)taps, (long long)trn_onnx_shape_elements(&xs), NN_MAX_INDEX_TAPS);
    return nn_null();
  }
  /* The taps, stacked. */
  MlirValue xp = nn_pad(n, x, lo, hi, -INFINITY);
  MlirValue stack[NN_MAX_INDEX_TAPS];
  int32_t table[NN_MAX_INDEX_TAPS];
  trn_onnx_shape_t row = {2, {1, m}};
  for (int64_t t = 0; t < taps && !trn_onnx_failed(n); t++) {
    MlirValue v = xp;
    table[t] = 0;
    for (int64_t i = nsp - 1, rem = t; i >= 0; i--) {
      int64_t o = rem % win->kernel[i];
      rem /= win->kernel[i];
      v = nn_strided_take(n, v, i + 2, o * win->dilation[i], win->out[i], win->stride[i]);
      table[t] += (int32_t)(o * win->dilation[i] * st[i]);
    }
    stack[t] = trn_onnx_reshape(n, v, &row);
  }
  MlirValue all = nn_concat(n, stack, (size_t)taps, 0); /* [T, M] */
  MlirValue y = trn_onnx_reshape(n, nn_reduce(n, "tosa.reduce_max", all, 0), &out);
  if (trn_onnx_failed(n)) return nn_null();
  MlirType i32 = mlirIntegerTypeGet(trn_onnx_mlir(n), 32), i64 = mlirIntegerTypeGet(trn_onnx_mlir(n), 64);
  trn_onnx_shape_t ms = {1, {m}};
  MlirNamedAttribute axis0 = trn_onnx_named(n, "axis", trn_onnx_int_attr(n, 32, 0));
  MlirValue tap = trn_onnx_build(n, "tosa.argmax", &all, 1, trn_onnx_tensor_type(n, &ms, i32), &axis0, 1);
  trn_onnx_shape_t ts = {3, {1, taps, 1}}, is = {2, {1, m}}, gs = {3, {1, m, 1}};
  MlirValue gather[2] = {nn_const_i32(n, &ts, table, taps), trn_onnx_reshape(n, tap, &is)};
  MlirValue idx = trn_onnx_build(n, "tosa.gather", gather, 2, trn_onnx_tensor_type(n, &gs, i32), NULL, 0);
  idx = trn_onnx_reshape(n, idx, &out);
  /* + sum_i (o_i*s_i - pb_i) * st_i over the output positions, + (n*C + c) * plane. */
  trn_onnx_shape_t os = out, bs = out;
  os.dims[0] = os.dims[1] = 1;
  for (int64_t i = 2; i < bs.rank; i++) bs.dims[i] = 1;
  int64_t npos = trn_onnx_shape_elements(&os), nc = xs.dims[0] * xs.dims[1];
  int32_t *pos = malloc((size_t)(npos + nc) * sizeof *pos);
  if (!pos) {
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory for the Indices constants");
    return nn_null();
  }
  for (int64_t k = 0; k < npos; k++) {
    int64_t v = 0;
    for (int64_t i = nsp - 1, rem = k; i >= 0; i--) {
      v += ((rem % win->out[i]) * win->stride[i] - win->pad_begin[i]) * st[i];
      rem /= win->out[i];
    }
    pos[k] = (int32_t)v;
  }
  for (int64_t k = 0; k < nc; k++) pos[npos + k] = (int32_t)(k * plane_size);
  MlirValue pv = nn_const_i32(n, &os, pos, npos), bv = nn_const_i32(n, &bs, pos + npos, nc);
  free(pos);
  idx = trn_onnx_binary(n, "tosa.add", trn_onnx_binary(n, "tosa.add", idx, pv), bv);
  if (trn_onnx_failed(n)) return nn_null();
  trn_onnx_set_output(n, 1, trn_onnx_build(n, "tosa.cast", &idx, 1, trn_onnx_tensor_type(n, &out, i64), NULL, 0));
  return y;
}

/* x ^ 0x80: maps uint8 order onto int8 order (and back). */
static MlirValue nn_sign_flip(trn_onnx_node_t *n, MlirValue x) {
  return trn_onnx_binary(n, "tosa.bitwise_xor", x, trn_onnx_scalar_like(n, x, -128.0));
}

/* MaxPool (Y, and optional Indices) of floats, int8 and uint8 (sign-flipped around
 * the signed pool). */
static trn_status_t import_max_pool(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require(n, x, "input X", TRN_ONNX_FLOAT | TRN_ONNX_INT)) return NULL;
  MlirType elem = trn_onnx_element_type(x);
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) != 8) {
    char buf[32];
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input X has element type %s; float, int8 or uint8 is supported",
                          trn_onnx_type_str(elem, buf, sizeof buf));
  }
  bool flip = trn_onnx_input_unsigned(n, 0);
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  int64_t kernel[NN_MAX_SPATIAL];
  if (!nn_pool_kernel(n, &xs, kernel)) return NULL;
  int64_t ceil_mode = trn_onnx_attr_int(n, "ceil_mode", 0);
  int64_t storage = trn_onnx_attr_int(n, "storage_order", 0);
  if (storage != 0 && storage != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'storage_order' is %lld; expected 0 or 1",
                          (long long)storage);
  if (ceil_mode != 0 && ceil_mode != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'ceil_mode' is %lld; expected 0 or 1",
                          (long long)ceil_mode);
  nn_window_t win;
  if (!nn_window(n, &xs, kernel, ceil_mode != 0, &win)) return NULL;
  if (flip) x = nn_sign_flip(n, x);
  MlirValue y = nn_has_output(n, 1) ? nn_max_pool_indices(n, x, &win, storage) : nn_pool(n, x, NN_POOL_MAX, win);
  if (flip) y = nn_sign_flip(n, y);
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

static trn_status_t import_average_pool(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  int64_t kernel[NN_MAX_SPATIAL];
  if (!nn_pool_kernel(n, &xs, kernel)) return NULL;
  int64_t ceil_mode = trn_onnx_attr_int(n, "ceil_mode", 0);
  int64_t include = trn_onnx_attr_int(n, "count_include_pad", 0);
  if (ceil_mode != 0 && ceil_mode != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'ceil_mode' is %lld; expected 0 or 1",
                          (long long)ceil_mode);
  if (include != 0 && include != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'count_include_pad' is %lld; expected 0 or 1",
                          (long long)include);
  nn_window_t win;
  if (!nn_window(n, &xs, kernel, ceil_mode != 0, &win)) return NULL;
  for (int64_t i = 0; i < win.nsp; i++)
    if (win.dilation[i] != 1)
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "dilations other than 1 are not supported for AveragePool");
  if (include) {
    /* The pads count: make them zeros of the input (ceil_mode's overhang still
     * does not count). */
    int64_t lo[TRN_MAX_RANK] = {0}, hi[TRN_MAX_RANK] = {0};
    for (int64_t i = 0; i < win.nsp; i++) {
      lo[i + 2] = win.pad_begin[i];
      hi[i + 2] = win.pad_end[i];
      win.pad_begin[i] = win.pad_end[i] = 0;
    }
    x = nn_pad(n, x, lo, hi, 0.0f);
  }
  trn_onnx_set_output(n, 0, nn_pool(n, x, NN_POOL_AVG, win));
  return NULL;
}

/* LpPool: (sum over the window of |x|^p)^(1/p), pads counting as zeros. */
static trn_status_t import_lp_pool(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  int64_t kernel[NN_MAX_SPATIAL];
  if (!nn_pool_kernel(n, &xs, kernel)) return NULL;
  int64_t ceil_mode = trn_onnx_attr_int(n, "ceil_mode", 0);
  int64_t p = trn_onnx_attr_int(n, "p", 2);
  if (trn_onnx_failed(n)) return NULL;
  if (p < 1) return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'p' is %lld; it must be positive", (long long)p);
  nn_window_t win;
  if (!nn_window(n, &xs, kernel, ceil_mode != 0, &win)) return NULL;
  int64_t lo[TRN_MAX_RANK] = {0}, hi[TRN_MAX_RANK] = {0}, volume = 1;
  for (int64_t i = 0; i < win.nsp; i++) {
    if (win.dilation[i] != 1)
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "dilations other than 1 are not supported for LpPool");
    lo[i + 2] = win.pad_begin[i];
    hi[i + 2] = win.pad_end[i] + win.extra[i];
    win.pad_begin[i] = win.pad_end[i] = win.extra[i] = 0;
    volume *= win.kernel[i];
  }
  MlirValue a;
  if (p == 1) a = nn_unary(n, "tosa.abs", x);
  else if (p == 2) a = nn_mul(n, x, x);
  else a = trn_onnx_binary(n, "tosa.pow", nn_unary(n, "tosa.abs", x), nn_scalar(n, xs.rank, (float)p));
  a = nn_pad(n, a, lo, hi, 0.0f);
  MlirValue sum = nn_mul_scalar(n, nn_pool(n, a, NN_POOL_AVG, win), (float)volume);
  if (p == 2) sum = nn_unary(n, "math.sqrt", sum);
  else if (p > 2) sum = trn_onnx_binary(n, "tosa.pow", sum, nn_scalar(n, xs.rank, 1.0f / (float)p));
  trn_onnx_set_output(n, 0, sum);
  return NULL;
}

/* MaxUnpool: Y = zeros of the output shape with X's values scattered to the flat
 * indices I (tosa.scatter over [1, Y elements, 1]). The output shape is the
 * constant output_shape input, else (in - 1) * stride + kernel - pads. */
static trn_status_t import_max_unpool(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), ind = trn_onnx_input(n, 1);
  if (!trn_onnx_require_f32(n, x, "input X") || !trn_onnx_require(n, ind, "input I", TRN_ONNX_INT)) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x), is = trn_onnx_shape(ind);
  int64_t kernel[NN_MAX_SPATIAL], stride[NN_MAX_SPATIAL], pads[2 * NN_MAX_SPATIAL];
  if (!nn_pool_kernel(n, &xs, kernel)) return NULL;
  int64_t nsp = xs.rank - 2;
  if (!nn_ints(n, "strides", nsp, 1, 1, stride) || !nn_ints(n, "pads", 2 * nsp, 0, 0, pads)) return NULL;
  char s1[128], s2[128];
  if (is.rank != xs.rank || memcmp(is.dims, xs.dims, sizeof(int64_t) * (size_t)xs.rank) != 0)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input I has shape %s, not that of X %s",
                          trn_onnx_shape_str(&is, s1, sizeof s1), trn_onnx_shape_str(&xs, s2, sizeof s2));
  trn_onnx_shape_t out = xs;
  if (trn_onnx_has_input(n, 2)) {
    size_t count = 0;
    if (!trn_onnx_input_ints(n, 2, "output_shape", out.dims, TRN_MAX_RANK, &count)) return NULL;
    if ((int64_t)count != xs.rank || out.dims[0] != xs.dims[0] || out.dims[1] != xs.dims[1])
      return trn_onnx_error(n, TRN_ERR_FORMAT, "input output_shape has %zu values; expected [%lld, %lld, ...] of rank %lld",
                            count, (long long)xs.dims[0], (long long)xs.dims[1], (long long)xs.rank);
  } else {
    for (int64_t i = 0; i < nsp; i++)
      out.dims[i + 2] = (xs.dims[i + 2] - 1) * stride[i] + kernel[i] - pads[i] - pads[i + nsp];
  }
  for (int64_t i = 2; i < out.rank; i++)
    if (out.dims[i] < 1 || out.dims[i] > NN_MAX_WINDOW_VALUE)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "output shape %s is invalid", trn_onnx_shape_str(&out, s1, sizeof s1));
  int64_t total = trn_onnx_shape_elements(&out), count = trn_onnx_shape_elements(&xs);
  if (total > INT32_MAX)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "output of %lld elements: at most 2^31 are supported", (long long)total);
  MlirType i32 = mlirIntegerTypeGet(trn_onnx_mlir(n), 32);
  trn_onnx_shape_t zs = {3, {1, total, 1}}, vs = {3, {1, count, 1}}, ids = {2, {1, count}};
  MlirValue idx = trn_onnx_reshape(n, ind, &ids);
  if (trn_onnx_failed(n)) return NULL;
  if (!mlirTypeEqual(trn_onnx_element_type(idx), i32))
    idx = trn_onnx_build(n, "tosa.cast", &idx, 1, trn_onnx_tensor_type(n, &ids, i32), NULL, 0);
  MlirValue operands[3] = {trn_onnx_splat_f32(n, &zs, 0.0f), idx, trn_onnx_reshape(n, x, &vs)};
  MlirValue y = trn_onnx_build(n, "tosa.scatter", operands, 3, nn_type(n, &zs), NULL, 0);
  trn_onnx_set_output(n, 0, trn_onnx_reshape(n, y, &out));
  return NULL;
}

/* GlobalAveragePool / GlobalMaxPool: x [N, C, S...] -> [N, C, 1...]. */
static MlirValue nn_global_pool(trn_onnx_node_t *n, bool is_max) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return nn_null();
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  if (xs.rank < 2) {
    char buf[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "input X has shape %s; rank 2 or more expected",
                   trn_onnx_shape_str(&xs, buf, sizeof buf));
    return nn_null();
  }
  trn_onnx_shape_t flat = {3, {xs.dims[0], xs.dims[1], 1}}, out = xs;
  for (int64_t i = 2; i < xs.rank; i++) flat.dims[2] *= xs.dims[i], out.dims[i] = 1;
  MlirValue r = nn_reduce(n, is_max ? "tosa.reduce_max" : "tosa.reduce_sum", trn_onnx_reshape(n, x, &flat), 2);
  if (!is_max) r = nn_mul_scalar(n, r, 1.0f / (float)flat.dims[2]);
  return trn_onnx_reshape(n, r, &out);
}

static trn_status_t import_global_average_pool(trn_onnx_node_t *n) {
  trn_onnx_set_output(n, 0, nn_global_pool(n, false));
  return NULL;
}

static trn_status_t import_global_max_pool(trn_onnx_node_t *n) {
  trn_onnx_set_output(n, 0, nn_global_pool(n, true));
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Normalization
 * ------------------------------------------------------------------------------- */

/* Mean and variance of x2 [outer, inner] over axis 1: returns x - mean and writes
 * the variance [outer, 1] (population) and the mean. */
static MlirValue nn_moments(trn_onnx_node_t *n, MlirValue x2, MlirValue *out_mean, MlirValue *out_var) {
  if (trn_onnx_failed(n)) return nn_null();
  float inv = 1.0f / (float)trn_onnx_shape(x2).dims[1];
  MlirValue mean = nn_mul_scalar(n, nn_reduce(n, "tosa.reduce_sum", x2, 1), inv);
  MlirValue d = trn_onnx_binary(n, "tosa.sub", x2, mean);
  MlirValue var = nn_mul_scalar(n, nn_reduce(n, "tosa.reduce_sum", nn_mul(n, d, d), 1), inv);
  if (out_mean) *out_mean = mean;
  *out_var = var;
  return d;
}

static bool nn_epsilon(trn_onnx_node_t *n, float def, float *out) {
  *out = trn_onnx_attr_float(n, "epsilon", def);
  if (trn_onnx_failed(n)) return false;
  if (!(*out >= 0.0f) || isinf(*out)) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'epsilon' is %g; it must be a finite value >= 0", (double)*out);
    return false;
  }
  return true;
}

/* A per-channel parameter p ([C], or [C, S...] for BatchNormalization's spatial=0)
 * reshaped to broadcast against x [N, C, S...]: [1, C, 1...] or [1, C, S...]. */
static MlirValue nn_channel_param(trn_onnx_node_t *n, MlirValue p, const trn_onnx_shape_t *xs,
                                  const char *what) {
  if (!trn_onnx_require_f32(n, p, what)) return nn_null();
  trn_onnx_shape_t ps = trn_onnx_shape(p), t = {.rank = xs->rank};
  bool ok = ps.rank >= 1 && ps.rank <= xs->rank - 1;
  t.dims[0] = 1;
  for (int64_t i = 1; i < xs->rank; i++) {
    t.dims[i] = i - 1 < ps.rank ? ps.dims[i - 1] : 1;
    ok = ok && (t.dims[i] == xs->dims[i] || (i > 1 && t.dims[i] == 1));
  }
  if (!ok) {
    char s1[128], s2[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "%s has shape %s; expected [%lld] for X %s", what,
                   trn_onnx_shape_str(&ps, s1, sizeof s1), (long long)(xs->rank > 1 ? xs->dims[1] : 0),
                   trn_onnx_shape_str(xs, s2, sizeof s2));
    return nn_null();
  }
  return trn_onnx_reshape(n, p, &t);
}

/* BatchNormalization (inference): y = x * a + b, a = scale / sqrt(var + eps),
 * b = B - mean * a. Training mode (training_mode=1, or is_test=0 with the running
 * statistics requested before opset 9) is not supported. */
static trn_status_t import_batch_norm(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  float eps;
  if (!nn_epsilon(n, 1e-5f, &eps)) return NULL;
  int64_t opset = trn_onnx_node_opset(n);
  int64_t training = opset >= 14 ? trn_onnx_attr_int(n, "training_mode", 0) : 0;
  if (trn_onnx_failed(n)) return NULL;
  if (training != 0)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                          "training_mode=%lld is not supported (inference only: batch statistics "
                          "and running-statistics outputs are not computed)",
                          (long long)training);
  for (size_t i = 1; i < trn_onnx_output_count(n); i++)
    if (nn_has_output(n, i))
      return trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                            "output %zu (running or saved statistics) is requested: it exists only "
                            "in training mode, which is not supported",
                            i);
  if (opset < 9) {
    int64_t spatial = trn_onnx_attr_int(n, "spatial", 1);
    if (trn_onnx_failed(n)) return NULL;
    if (spatial != 0 && spatial != 1)
      return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'spatial' is %lld; expected 0 or 1",
                            (long long)spatial);
  }
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  if (xs.rank < 2) {
    char buf[128];
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input X has shape %s; rank 2 or more expected",
                          trn_onnx_shape_str(&xs, buf, sizeof buf));
  }
  MlirValue scale = nn_channel_param(n, trn_onnx_input(n, 1), &xs, "input scale");
  MlirValue bias = nn_channel_param(n, trn_onnx_input(n, 2), &xs, "input B");
  MlirValue mean = nn_channel_param(n, trn_onnx_input(n, 3), &xs, "input mean");
  MlirValue var = nn_channel_param(n, trn_onnx_input(n, 4), &xs, "input var");
  MlirValue a = nn_mul(n, scale, nn_unary(n, "tosa.rsqrt", nn_add_scalar(n, var, eps)));
  MlirValue b = trn_onnx_binary(n, "tosa.sub", bias, nn_mul(n, mean, a));
  trn_onnx_set_output(n, 0, trn_onnx_binary(n, "tosa.add", nn_mul(n, x, a), b));
  return NULL;
}

/* InstanceNormalization: per (n, c) over the spatial dims,
 * y = scale * (x - mean) / sqrt(var + eps) + B. */
static trn_status_t import_instance_norm(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  float eps;
  if (!nn_epsilon(n, 1e-5f, &eps)) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  if (xs.rank < 3) {
    char buf[128];
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input X has shape %s; rank 3 or more expected",
                          trn_onnx_shape_str(&xs, buf, sizeof buf));
  }
  MlirValue scale = nn_channel_param(n, trn_onnx_input(n, 1), &xs, "input scale");
  MlirValue bias = nn_channel_param(n, trn_onnx_input(n, 2), &xs, "input B");
  if (trn_onnx_failed(n)) return NULL;
  if (trn_onnx_shape(trn_onnx_input(n, 1)).rank != 1 || trn_onnx_shape(trn_onnx_input(n, 2)).rank != 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "inputs scale and B must be 1-D of size C");
  int64_t inner = 1;
  for (int64_t i = 2; i < xs.rank; i++) inner *= xs.dims[i];
  trn_onnx_shape_t flat = {2, {xs.dims[0] * xs.dims[1], inner}};
  MlirValue var;
  MlirValue d = nn_moments(n, trn_onnx_reshape(n, x, &flat), NULL, &var);
  MlirValue y = nn_mul(n, d, nn_unary(n, "tosa.rsqrt", nn_add_scalar(n, var, eps)));
  y = trn_onnx_reshape(n, y, &xs);
  y = trn_onnx_binary(n, "tosa.add", nn_mul(n, y, scale), bias);
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

/* Checks that p (Scale or B of LayerNormalization) broadcasts to x's shape. */
static bool nn_broadcasts_to(trn_onnx_node_t *n, MlirValue p, const trn_onnx_shape_t *xs, const char *what) {
  if (!trn_onnx_require_f32(n, p, what)) return false;
  trn_onnx_shape_t ps = trn_onnx_shape(p), out;
  if (!trn_onnx_broadcast(n, xs, &ps, &out)) return false;
  for (int64_t i = 0; i < out.rank; i++)
    if (out.rank != xs->rank || out.dims[i] != xs->dims[i]) {
      char s1[128], s2[128];
      trn_onnx_error(n, TRN_ERR_FORMAT, "%s of shape %s does not broadcast to X %s", what,
                     trn_onnx_shape_str(&ps, s1, sizeof s1), trn_onnx_shape_str(xs, s2, sizeof s2));
      return false;
    }
  return true;
}

/* LayerNormalization: normalizes over the axes [axis, rank); outputs Y and, when
 * requested, Mean and InvStdDev (dims from axis on kept as 1). */
static trn_status_t import_layer_norm(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0), scale = trn_onnx_input(n, 1);
  MlirValue b = trn_onnx_has_input(n, 2) ? trn_onnx_input(n, 2) : nn_null();
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  float eps;
  if (!nn_epsilon(n, 1e-5f, &eps)) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  int64_t axis = trn_onnx_attr_int(n, "axis", -1);
  int64_t stash = trn_onnx_attr_int(n, "stash_type", 1);
  if (trn_onnx_failed(n)) return NULL;
  if (axis < -xs.rank || axis >= xs.rank || xs.rank < 1)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'axis' is %lld; out of range for rank %lld",
                          (long long)axis, (long long)xs.rank);
  if (stash != 1)
    return trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "attribute 'stash_type' is %lld; only 1 (float) is supported",
                          (long long)stash);
  if (axis < 0) axis += xs.rank;
  if (!nn_broadcasts_to(n, scale, &xs, "input Scale")) return NULL;
  if (!mlirValueIsNull(b) && !nn_broadcasts_to(n, b, &xs, "input B")) return NULL;
  trn_onnx_shape_t flat = {2, {1, 1}}, stat = xs;
  for (int64_t i = 0; i < xs.rank; i++) {
    flat.dims[i < axis ? 0 : 1] *= xs.dims[i];
    if (i >= axis) stat.dims[i] = 1;
  }
  MlirValue mean, var;
  MlirValue d = nn_moments(n, trn_onnx_reshape(n, x, &flat), &mean, &var);
  MlirValue inv = nn_unary(n, "tosa.rsqrt", nn_add_scalar(n, var, eps));
  MlirValue y = trn_onnx_reshape(n, nn_mul(n, d, inv), &xs);
  y = nn_mul(n, y, scale);
  if (!mlirValueIsNull(b)) y = trn_onnx_binary(n, "tosa.add", y, b);
  trn_onnx_set_output(n, 0, y);
  if (trn_onnx_output_count(n) > 1) trn_onnx_set_output(n, 1, trn_onnx_reshape(n, mean, &stat));
  if (trn_onnx_output_count(n) > 2) trn_onnx_set_output(n, 2, trn_onnx_reshape(n, inv, &stat));
  return NULL;
}

/* MeanVarianceNormalization: (x - mean) / (sqrt(var) + 1e-9) over `axes` (default
 * [0, 2, 3]), as ONNX's function body; each axis one tosa.reduce_sum. */
static trn_status_t import_mvn(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  static const int64_t k_default_axes[3] = {0, 2, 3};
  const int64_t *axes = k_default_axes;
  size_t count = trn_onnx_attr_ints(n, "axes", &axes);
  if (trn_onnx_failed(n)) return NULL;
  if (!trn_onnx_has_attr(n, "axes")) axes = k_default_axes, count = 3;
  bool seen[TRN_MAX_RANK] = {false};
  int64_t elems = 1;
  for (size_t k = 0; k < count; k++) {
    int64_t a = axes[k] < 0 ? axes[k] + xs.rank : axes[k];
    if (a < 0 || a >= xs.rank || seen[a])
      return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'axes' value %lld is out of range or repeated for rank %lld",
                            (long long)axes[k], (long long)xs.rank);
    seen[a] = true;
    elems *= xs.dims[a];
  }
  MlirValue mean = x;
  for (int64_t a = 0; a < xs.rank; a++)
    if (seen[a]) mean = nn_reduce(n, "tosa.reduce_sum", mean, a);
  mean = nn_mul_scalar(n, mean, 1.0f / (float)elems);
  MlirValue d = trn_onnx_binary(n, "tosa.sub", x, mean), var = nn_mul(n, d, d);
  for (int64_t a = 0; a < xs.rank; a++)
    if (seen[a]) var = nn_reduce(n, "tosa.reduce_sum", var, a);
  var = nn_mul_scalar(n, var, 1.0f / (float)elems);
  MlirValue den = nn_add_scalar(n, nn_unary(n, "math.sqrt", var), 1e-9f);
  trn_onnx_set_output(n, 0, nn_mul(n, d, nn_unary(n, "tosa.reciprocal", den)));
  return NULL;
}

/* LRN: y = x / (bias + alpha / size * sum of x^2 over the channel window)^beta; the
 * window sum is an average pool over the zero-padded channel axis. */
static trn_status_t import_lrn(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  float alpha = trn_onnx_attr_float(n, "alpha", 1e-4f), beta = trn_onnx_attr_float(n, "beta", 0.75f);
  float bias = trn_onnx_attr_float(n, "bias", 1.0f);
  int64_t size = trn_onnx_attr_int(n, "size", 0);
  if (trn_onnx_failed(n)) return NULL;
  if (!trn_onnx_has_attr(n, "size")) return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'size' is required");
  if (size < 1 || size > NN_MAX_WINDOW_VALUE)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'size' is %lld; it must be in [1, %lld]", (long long)size,
                          (long long)NN_MAX_WINDOW_VALUE);
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  if (xs.rank < 2) {
    char buf[128];
    return trn_onnx_error(n, TRN_ERR_FORMAT, "input X has shape %s; rank 2 or more expected",
                          trn_onnx_shape_str(&xs, buf, sizeof buf));
  }
  nn_window_t win = {.nsp = 1};
  win.kernel[0] = size;
  win.stride[0] = win.dilation[0] = 1;
  win.out[0] = xs.dims[1];
  int64_t lo[TRN_MAX_RANK] = {0}, hi[TRN_MAX_RANK] = {0};
  lo[1] = (size - 1) / 2;
  hi[1] = size - 1 - lo[1];
  MlirValue sq = nn_pad(n, nn_mul(n, x, x), lo, hi, 0.0f);
  MlirValue avg = nn_pool_axis(n, sq, NN_POOL_AVG, &win, 0, 1);
  MlirValue base = nn_add_scalar(n, nn_mul_scalar(n, avg, alpha), bias);
  MlirValue den = trn_onnx_binary(n, "tosa.pow", base, nn_scalar(n, xs.rank, -beta));
  trn_onnx_set_output(n, 0, nn_mul(n, x, den));
  return NULL;
}

/* LpNormalization: x / ||x||_p along axis (p 1 or 2). */
static trn_status_t import_lp_norm(trn_onnx_node_t *n) {
  MlirValue x = trn_onnx_input(n, 0);
  if (!trn_onnx_require_f32(n, x, "input X")) return NULL;
  int64_t axis = trn_onnx_attr_int(n, "axis", -1), p = trn_onnx_attr_int(n, "p", 2);
  if (trn_onnx_failed(n)) return NULL;
  trn_onnx_shape_t xs = trn_onnx_shape(x);
  if (axis < -xs.rank || axis >= xs.rank)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'axis' is %lld; out of range for rank %lld",
                          (long long)axis, (long long)xs.rank);
  if (p != 1 && p != 2)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "attribute 'p' is %lld; expected 1 or 2", (long long)p);
  if (axis < 0) axis += xs.rank;
  MlirValue a = p == 1 ? nn_unary(n, "tosa.abs", x) : nn_mul(n, x, x);
  MlirValue norm = nn_reduce(n, "tosa.reduce_sum", a, axis);
  /* x / sqrt(sum x^2) = x * rsqrt(sum x^2) */
  trn_onnx_set_output(n, 0, nn_mul(n, x, nn_unary(n, p == 2 ? "tosa.rsqrt" : "tosa.reciprocal", norm)));
  return NULL;
}

static const trn_onnx_op_t k_nn_ops[] = {
    {{"", "AveragePool", 1, NN_MAX_OPSET, "tosa.avg_pool2d (NHWC; 1-D/3-D one axis at a time)"}, import_average_pool},
    {{"", "BatchNormalization", 6, NN_MAX_OPSET, "inference: x * scale/sqrt(var+eps) + shift"}, import_batch_norm},
    {{"", "Conv", 1, NN_MAX_OPSET, "tosa.conv2d/conv3d/depthwise_conv2d (NHWC/OHWI), per-group concat"}, import_conv},
    {{"", "ConvTranspose", 1, NN_MAX_OPSET, "zero insertion + tosa.conv2d/conv3d with the flipped kernel"}, import_conv_transpose},
    {{"", "GlobalAveragePool", 1, NN_MAX_OPSET, "tosa.reduce_sum over the spatial dims, scaled"}, import_global_average_pool},
    {{"", "GlobalMaxPool", 1, NN_MAX_OPSET, "tosa.reduce_max over the spatial dims"}, import_global_max_pool},
    {{"", "InstanceNormalization", 6, NN_MAX_OPSET, "tosa.reduce_sum moments, tosa.rsqrt"}, import_instance_norm},
    {{"", "LayerNormalization", 17, NN_MAX_OPSET, "tosa.reduce_sum moments, tosa.rsqrt; Mean/InvStdDev"}, import_layer_norm},
    {{"", "LpNormalization", 1, NN_MAX_OPSET, "x * reciprocal(sum |x|) or x * rsqrt(sum x^2)"}, import_lp_norm},
    {{"", "LpPool", 2, NN_MAX_OPSET, "|x|^p, zero pads, tosa.avg_pool2d * volume, ^(1/p)"}, import_lp_pool},
    {{"", "LRN", 1, NN_MAX_OPSET, "x * (bias + alpha * avg_pool(x^2 over channels))^-beta"}, import_lrn},
    {{"", "MaxUnpool", 9, NN_MAX_OPSET, "tosa.scatter of X to the flat indices I into zeros"}, import_max_unpool},
    {{"", "MeanVarianceNormalization", 9, NN_MAX_OPSET, "tosa.reduce_sum moments, (x-mean)/(sqrt(var)+1e-9)"}, import_mvn},
    {{"", "MaxPool", 1, NN_MAX_OPSET, "tosa.max_pool2d (NHWC; dilated: phase slices); no Indices"}, import_max_pool},
};
const trn_onnx_op_table_t trn_onnx_nn_ops = {k_nn_ops, sizeof k_nn_ops / sizeof k_nn_ops[0]};
