/* The node API of import.h: inputs, attributes, shapes and op building for operator
 * import functions, and the initializer -> tosa.const path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "state.h"

/* ---------------------------------------------------------------------------------
 * Data types
 * ------------------------------------------------------------------------------- */

bool trn_onnx_dtype(MlirContext ctx, int32_t t, MlirType *out_type, size_t *out_size) {
  switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *out_type = mlirF32TypeGet(ctx), *out_size = 4; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *out_type = mlirF64TypeGet(ctx), *out_size = 8; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *out_type = mlirF16TypeGet(ctx), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *out_type = mlirBF16TypeGet(ctx), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8: *out_type = mlirIntegerTypeGet(ctx, 8), *out_size = 1; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *out_type = mlirIntegerTypeUnsignedGet(ctx, 8), *out_size = 1; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16: *out_type = mlirIntegerTypeGet(ctx, 16), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *out_type = mlirIntegerTypeUnsignedGet(ctx, 16), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: *out_type = mlirIntegerTypeGet(ctx, 32), *out_size = 4; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: *out_type = mlirIntegerTypeUnsignedGet(ctx, 32), *out_size = 4; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: *out_type = mlirIntegerTypeGet(ctx, 64), *out_size = 8; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *out_type = mlirIntegerTypeUnsignedGet(ctx, 64), *out_size = 8; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *out_type = mlirIntegerTypeGet(ctx, 1), *out_size = 1; return true;
    default: return false;
  }
}

const char *trn_onnx_dtype_name(int32_t t) {
  static const char *const k_names[] = {"UNDEFINED", "FLOAT",  "UINT8",   "INT8",      "UINT16",
                                         "INT16",     "INT32",  "INT64",   "STRING",    "BOOL",
                                         "FLOAT16",   "DOUBLE", "UINT32",  "UINT64",    "COMPLEX64",
                                         "COMPLEX128", "BFLOAT16"};
  if (t >= 0 && (size_t)t < sizeof k_names / sizeof k_names[0]) return k_names[t];
  return "UNKNOWN";
}

/* ---------------------------------------------------------------------------------
 * Initializers
 * ------------------------------------------------------------------------------- */

static void *model_alloc(trn_onnx_model_t *m, size_t size) {
  if (m->buffer_count == m->buffer_capacity) {
    size_t cap = m->buffer_capacity ? 2 * m->buffer_capacity : 16;
    void **b = realloc(m->buffers, cap * sizeof *b);
    if (!b) return NULL;
    m->buffers = b;
    m->buffer_capacity = cap;
  }
  size_t rounded = (size + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (p) m->buffers[m->buffer_count++] = p;
  return p;
}

static bool mul_overflows(size_t a, size_t b, size_t *out) {
  if (a && b > SIZE_MAX / a) return true;
  *out = a * b;
  return false;
}

trn_status_t trn_onnx_value_resolve(trn_onnx_importer_t *imp, trn_onnx_value_t *v) {
  if (!mlirTypeIsNull(v->type)) return NULL;
  const Onnx__TensorProto *t = v->init;
  const char *path = imp->path;
  MlirType elem;
  size_t esize;
  int32_t dt = t->has_data_type ? t->data_type : 0;
  if (!trn_onnx_dtype(imp->ctx, dt, &elem, &esize))
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: initializer '%s': data type %s is not supported",
                           path, v->name, trn_onnx_dtype_name(dt));
  if (t->n_dims > TRN_MAX_RANK)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: initializer '%s': rank %zu exceeds the maximum %d",
                           path, v->name, t->n_dims, TRN_MAX_RANK);
  size_t count = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || t->dims[i] > TRN_ONNX_MAX_DIM ||
        mul_overflows(count, (size_t)t->dims[i], &count))
      return trn_status_make(TRN_ERR_FORMAT, "%s: initializer '%s': invalid dimension %lld", path,
                             v->name, (long long)t->dims[i]);
  }
  size_t bytes;
  if (mul_overflows(count, esize, &bytes))
    return trn_status_make(TRN_ERR_FORMAT, "%s: initializer '%s' is too large", path, v->name);
  if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    return trn_status_make(TRN_ERR_UNSUPPORTED,
                           "%s: initializer '%s': external data files are not supported yet", path,
                           v->name);
  const void *data = NULL;
  size_t have = 0; /* values (or bytes for raw) found */
  if (t->has_raw_data) {
    if (t->raw_data.len != bytes)
      return trn_status_make(TRN_ERR_FORMAT,
                             "%s: initializer '%s': raw_data holds %zu bytes, its shape needs %zu",
                             path, v->name, t->raw_data.len, bytes);
    data = t->raw_data.data;
    if (bytes && ((uintptr_t)data % esize) != 0) {
      void *copy = model_alloc(imp->model, bytes);
      if (!copy) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
      memcpy(copy, data, bytes);
      data = copy;
    }
  } else {
    /* Typed storage: converted once into a buffer the model owns where the field's
     * element type differs from the tensor's. */
    switch (dt) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: data = t->float_data, have = t->n_float_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: data = t->double_data, have = t->n_double_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: data = t->int64_data, have = t->n_int64_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: data = t->int32_data, have = t->n_int32_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: data = t->uint64_data, have = t->n_uint64_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: have = t->n_uint64_data; break;
      default: have = t->n_int32_data; break; /* 8/16-bit types and bool live in int32_data */
    }
    if (have != count)
      return trn_status_make(TRN_ERR_FORMAT,
                             "%s: initializer '%s' holds %zu values, its shape needs %zu", path,
                             v->name, have, count);
    if (!data && count) {
      uint8_t *out = model_alloc(imp->model, bytes);
      if (!out) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
      for (size_t i = 0; i < count; i++) {
        uint64_t x = dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ? t->uint64_data[i]
                                                                : (uint64_t)(uint32_t)t->int32_data[i];
        for (size_t b = 0; b < esize; b++) out[i * esize + b] = (uint8_t)(x >> (8 * b));
      }
      data = out;
    }
  }
  int64_t dims[TRN_MAX_RANK];
  for (size_t i = 0; i < t->n_dims; i++) dims[i] = t->dims[i];
  v->data = data;
  v->size = bytes;
  v->elem_size = esize;
  v->type = mlirRankedTensorTypeGet((intptr_t)t->n_dims, dims, elem, mlirAttributeGetNull());
  return NULL;
}

/* A dense resource name from an initializer name: [A-Za-z0-9_.] kept, others '_',
 * unique within the model. */
static trn_status_t resource_name(trn_onnx_importer_t *imp, const char *name, char **out) {
  size_t n = strlen(name);
  char *s = malloc(n + 24);
  if (!s) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", imp->path);
  size_t k = 0;
  if (n == 0 || (name[0] >= '0' && name[0] <= '9')) s[k++] = '_';
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.';
    s[k++] = ok ? c : '_';
  }
  s[k] = '\0';
  for (unsigned suffix = 1;; suffix++) {
    bool taken = false;
    for (size_t i = 0; i < imp->resource_count && !taken; i++)
      taken = strcmp(imp->resource_names[i], s) == 0;
    if (!taken) break;
    snprintf(s + k, 24, "_%u", suffix);
  }
  char **names = realloc(imp->resource_names, (imp->resource_count + 1) * sizeof *names);
  if (!names) {
    free(s);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", imp->path);
  }
  imp->resource_names = names;
  imp->resource_names[imp->resource_count++] = s;
  *out = s;
  return NULL;
}

trn_status_t trn_onnx_value_materialize(trn_onnx_importer_t *imp, trn_onnx_value_t *v) {
  if (!mlirValueIsNull(v->value)) return NULL;
  TRN_RETURN_IF_ERROR(trn_onnx_value_resolve(imp, v));
  char *rname = NULL;
  TRN_RETURN_IF_ERROR(resource_name(imp, v->name, &rname));
  size_t esize = v->elem_size ? v->elem_size : 1;
  /* The bytes stay where they are (the unpacked model or an owned buffer): MLIR only
   * refers to them. */
  MlirAttribute value = mlirUnmanagedDenseResourceElementsAttrGet(
      v->type, mlirStringRefCreateFromCString(rname), (void *)v->data, v->size,
      esize, false, NULL, NULL);
  MlirLocation loc = mlirLocationNameGet(imp->ctx, mlirStringRefCreateFromCString(v->name), imp->file_loc);
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("tosa.const"), loc);
  MlirNamedAttribute attr = mlirNamedAttributeGet(
      mlirIdentifierGet(imp->ctx, mlirStringRefCreateFromCString("value")), value);
  mlirOperationStateAddAttributes(&st, 1, &attr);
  mlirOperationStateAddResults(&st, 1, &v->type);
  MlirOperation op = mlirOperationCreate(&st);
  if (mlirOperationIsNull(op))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: initializer '%s': cannot create tosa.const",
                           imp->path, v->name);
  mlirBlockAppendOwnedOperation(imp->body, op);
  v->value = mlirOperationGetResult(op, 0);
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * The node
 * ------------------------------------------------------------------------------- */

const char *trn_onnx_node_name(const trn_onnx_node_t *n) { return n->name; }
const char *trn_onnx_node_op_type(const trn_onnx_node_t *n) { return n->proto->op_type; }
int64_t trn_onnx_node_opset(const trn_onnx_node_t *n) { return n->opset; }
MlirContext trn_onnx_mlir(const trn_onnx_node_t *n) { return n->imp->ctx; }
MlirLocation trn_onnx_node_location(const trn_onnx_node_t *n) { return n->loc; }
bool trn_onnx_failed(const trn_onnx_node_t *n) { return n->error != NULL; }

trn_status_t trn_onnx_error(trn_onnx_node_t *n, trn_status_code_t code, const char *fmt, ...) {
  if (n->error) return n->error;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  n->error = trn_status_make(code, "%s: node '%s' (%s): %s", n->imp->path, n->name,
                             n->proto->op_type, msg);
  return n->error;
}

/* Adopts a status made elsewhere as the node's error. */
static void adopt_error(trn_onnx_node_t *n, trn_status_t s) {
  if (!s) return;
  if (n->error) {
    trn_status_free(s);
    return;
  }
  n->error = s;
}

size_t trn_onnx_input_count(const trn_onnx_node_t *n) { return n->proto->n_input; }

bool trn_onnx_has_input(const trn_onnx_node_t *n, size_t i) {
  return i < n->proto->n_input && n->proto->input[i][0] != '\0';
}

MlirValue trn_onnx_input(trn_onnx_node_t *n, size_t i) {
  MlirValue null = {NULL};
  if (n->error) return null;
  if (!trn_onnx_has_input(n, i)) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "required input %zu is missing", i);
    return null;
  }
  trn_onnx_value_t *v = trn_onnx_value_find(n->imp, n->proto->input[i]);
  if (!v) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "input '%s' is not defined", n->proto->input[i]);
    return null;
  }
  if (mlirValueIsNull(v->value) && v->init) adopt_error(n, trn_onnx_value_materialize(n->imp, v));
  if (!n->error && mlirValueIsNull(v->value))
    trn_onnx_error(n, TRN_ERR_INTERNAL, "input '%s' has no value yet", n->proto->input[i]);
  return n->error ? null : v->value;
}

bool trn_onnx_input_constant(trn_onnx_node_t *n, size_t i, const void **out_data, size_t *out_size,
                             MlirType *out_type) {
  if (n->error || !trn_onnx_has_input(n, i)) return false;
  trn_onnx_value_t *v = trn_onnx_value_find(n->imp, n->proto->input[i]);
  if (!v || !v->init) return false;
  trn_status_t s = trn_onnx_value_resolve(n->imp, v);
  if (s) {
    adopt_error(n, s);
    return false;
  }
  *out_data = v->data;
  *out_size = v->size;
  *out_type = v->type;
  return true;
}

size_t trn_onnx_output_count(const trn_onnx_node_t *n) { return n->proto->n_output; }

void trn_onnx_set_output(trn_onnx_node_t *n, size_t i, MlirValue value) {
  if (n->error || i >= n->proto->n_output || n->proto->output[i][0] == '\0') return;
  trn_onnx_value_t *v = trn_onnx_value_find(n->imp, n->proto->output[i]);
  if (v) v->value = value;
}

/* ---------------------------------------------------------------------------------
 * Attributes
 * ------------------------------------------------------------------------------- */

static const Onnx__AttributeProto *find_attr(const trn_onnx_node_t *n, const char *name) {
  for (size_t i = 0; i < n->proto->n_attribute; i++)
    if (n->proto->attribute[i]->name && strcmp(n->proto->attribute[i]->name, name) == 0)
      return n->proto->attribute[i];
  return NULL;
}

static const char *attr_type_name(const Onnx__AttributeProto *a) {
  static const char *const k_names[] = {"UNDEFINED", "FLOAT",  "INT",     "STRING",  "TENSOR",
                                         "GRAPH",     "FLOATS", "INTS",    "STRINGS", "TENSORS",
                                         "GRAPHS",    "SPARSE_TENSOR", "SPARSE_TENSORS",
                                         "TYPE_PROTO", "TYPE_PROTOS"};
  int t = a->has_type ? (int)a->type : 0;
  return t >= 0 && (size_t)t < sizeof k_names / sizeof k_names[0] ? k_names[t] : "UNKNOWN";
}

/* The attribute `name` if it has type `type` (an attribute without a type field is
 * accepted when the matching value field is set). */
static const Onnx__AttributeProto *typed_attr(trn_onnx_node_t *n, const char *name,
                                              Onnx__AttributeProto__AttributeType type,
                                              bool has_value, const char *want) {
  const Onnx__AttributeProto *a = find_attr(n, name);
  if (!a || n->error) return NULL;
  if ((a->has_type && a->type == type) || (!a->has_type && has_value)) return a;
  trn_onnx_error(n, TRN_ERR_FORMAT, "attribute '%s' must be %s, not %s", name, want,
                 attr_type_name(a));
  return NULL;
}

bool trn_onnx_has_attr(const trn_onnx_node_t *n, const char *name) { return find_attr(n, name) != NULL; }

int64_t trn_onnx_attr_int(trn_onnx_node_t *n, const char *name, int64_t default_value) {
  const Onnx__AttributeProto *a = find_attr(n, name);
  a = typed_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, a && a->has_i, "an INT");
  return a ? a->i : default_value;
}

float trn_onnx_attr_float(trn_onnx_node_t *n, const char *name, float default_value) {
  const Onnx__AttributeProto *a = find_attr(n, name);
  a = typed_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, a && a->has_f, "a FLOAT");
  return a ? a->f : default_value;
}

void trn_onnx_attr_string(trn_onnx_node_t *n, const char *name, const char *default_value,
                          char *buf, size_t size) {
  const Onnx__AttributeProto *a = find_attr(n, name);
  a = typed_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, a && a->has_s, "a STRING");
  if (size == 0) return;
  if (!a) {
    snprintf(buf, size, "%s", default_value ? default_value : "");
    return;
  }
  size_t len = a->s.len < size - 1 ? a->s.len : size - 1;
  if (len) memcpy(buf, a->s.data, len);
  buf[len] = '\0';
}

size_t trn_onnx_attr_ints(trn_onnx_node_t *n, const char *name, const int64_t **out_values) {
  const Onnx__AttributeProto *a = find_attr(n, name);
  a = typed_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, a && a->n_ints, "INTS");
  *out_values = a ? a->ints : NULL;
  return a ? a->n_ints : 0;
}

size_t trn_onnx_attr_floats(trn_onnx_node_t *n, const char *name, const float **out_values) {
  const Onnx__AttributeProto *a = find_attr(n, name);
  a = typed_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, a && a->n_floats, "FLOATS");
  *out_values = a ? a->floats : NULL;
  return a ? a->n_floats : 0;
}

/* ---------------------------------------------------------------------------------
 * Types and shapes
 * ------------------------------------------------------------------------------- */

trn_onnx_shape_t trn_onnx_shape(MlirValue v) {
  trn_onnx_shape_t s = {.rank = -1};
  if (mlirValueIsNull(v)) return s;
  MlirType t = mlirValueGetType(v);
  if (!mlirTypeIsARankedTensor(t)) return s;
  s.rank = mlirShapedTypeGetRank(t);
  if (s.rank > TRN_MAX_RANK) {
    s.rank = -1;
    return s;
  }
  for (int64_t i = 0; i < s.rank; i++) s.dims[i] = mlirShapedTypeGetDimSize(t, (intptr_t)i);
  return s;
}

MlirType trn_onnx_element_type(MlirValue v) {
  if (mlirValueIsNull(v) || !mlirTypeIsAShaped(mlirValueGetType(v))) return (MlirType){NULL};
  return mlirShapedTypeGetElementType(mlirValueGetType(v));
}

MlirType trn_onnx_f32(const trn_onnx_node_t *n) { return mlirF32TypeGet(n->imp->ctx); }

MlirType trn_onnx_tensor_type(const trn_onnx_node_t *n, const trn_onnx_shape_t *shape,
                              MlirType element) {
  return mlirRankedTensorTypeGet((intptr_t)shape->rank, shape->dims, element, mlirAttributeGetNull());
}

const char *trn_onnx_shape_str(const trn_onnx_shape_t *shape, char *buf, size_t size) {
  size_t k = 0;
  k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "[");
  for (int64_t i = 0; i < shape->rank; i++)
    k += (size_t)snprintf(buf + k, k < size ? size - k : 0, "%s%lld", i ? ", " : "",
                          (long long)shape->dims[i]);
  snprintf(buf + k, k < size ? size - k : 0, "]");
  return buf;
}

bool trn_onnx_require_f32(trn_onnx_node_t *n, MlirValue v, const char *what) {
  if (n->error) return false;
  MlirType e = trn_onnx_element_type(v);
  if (!mlirTypeIsNull(e) && mlirTypeIsAF32(e)) return true;
  char buf[64] = "?";
  if (!mlirTypeIsNull(e)) {
    if (mlirTypeIsAF16(e)) snprintf(buf, sizeof buf, "f16");
    else if (mlirTypeIsABF16(e)) snprintf(buf, sizeof buf, "bf16");
    else if (mlirTypeIsAF64(e)) snprintf(buf, sizeof buf, "f64");
    else if (mlirTypeIsAInteger(e))
      snprintf(buf, sizeof buf, "%si%u", mlirIntegerTypeIsUnsigned(e) ? "u" : "",
               mlirIntegerTypeGetWidth(e));
  }
  trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%s has element type %s; only f32 is supported for now",
                 what, buf);
  return false;
}

bool trn_onnx_broadcast(trn_onnx_node_t *n, const trn_onnx_shape_t *a, const trn_onnx_shape_t *b,
                        trn_onnx_shape_t *out) {
  if (n->error) return false;
  int64_t rank = a->rank > b->rank ? a->rank : b->rank;
  out->rank = rank;
  for (int64_t i = 0; i < rank; i++) {
    int64_t da = i < rank - a->rank ? 1 : a->dims[i - (rank - a->rank)];
    int64_t db = i < rank - b->rank ? 1 : b->dims[i - (rank - b->rank)];
    if (da == db || db == 1) {
      out->dims[i] = da;
    } else if (da == 1) {
      out->dims[i] = db;
    } else {
      char sa[128], sb[128];
      trn_onnx_error(n, TRN_ERR_FORMAT, "shapes %s and %s cannot be broadcast together",
                     trn_onnx_shape_str(a, sa, sizeof sa), trn_onnx_shape_str(b, sb, sizeof sb));
      return false;
    }
  }
  return true;
}

int64_t trn_onnx_shape_elements(const trn_onnx_shape_t *shape) {
  int64_t count = 1;
  for (int64_t i = 0; i < shape->rank; i++) count *= shape->dims[i];
  return count;
}

/* ---------------------------------------------------------------------------------
 * Building ops
 * ------------------------------------------------------------------------------- */

MlirValue trn_onnx_build(trn_onnx_node_t *n, const char *op_name, const MlirValue *operands,
                         size_t operand_count, MlirType result_type,
                         const MlirNamedAttribute *attrs, size_t attr_count) {
  MlirValue null = {NULL};
  if (n->error) return null;
  for (size_t i = 0; i < operand_count; i++)
    if (mlirValueIsNull(operands[i])) {
      trn_onnx_error(n, TRN_ERR_INTERNAL, "operand %zu of %s is null", i, op_name);
      return null;
    }
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString(op_name), n->loc);
  if (operand_count) mlirOperationStateAddOperands(&st, (intptr_t)operand_count, operands);
  mlirOperationStateAddResults(&st, 1, &result_type);
  if (attr_count) mlirOperationStateAddAttributes(&st, (intptr_t)attr_count, attrs);
  MlirOperation op = mlirOperationCreate(&st);
  if (mlirOperationIsNull(op)) {
    trn_onnx_error(n, TRN_ERR_INTERNAL, "cannot create %s", op_name);
    return null;
  }
  mlirBlockAppendOwnedOperation(n->imp->body, op);
  return mlirOperationGetResult(op, 0);
}

MlirNamedAttribute trn_onnx_named(const trn_onnx_node_t *n, const char *name, MlirAttribute attr) {
  return mlirNamedAttributeGet(mlirIdentifierGet(n->imp->ctx, mlirStringRefCreateFromCString(name)),
                               attr);
}

MlirAttribute trn_onnx_i64_array_attr(const trn_onnx_node_t *n, const int64_t *values, size_t count) {
  return mlirDenseI64ArrayGet(n->imp->ctx, (intptr_t)count, values);
}

MlirAttribute trn_onnx_f32_attr(const trn_onnx_node_t *n, float value) {
  return mlirFloatAttrDoubleGet(n->imp->ctx, mlirF32TypeGet(n->imp->ctx), (double)value);
}

MlirAttribute trn_onnx_int_attr(const trn_onnx_node_t *n, unsigned width, int64_t value) {
  return mlirIntegerAttrGet(mlirIntegerTypeGet(n->imp->ctx, width), value);
}

static bool same_shape(const trn_onnx_shape_t *a, const trn_onnx_shape_t *b) {
  if (a->rank != b->rank) return false;
  for (int64_t i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

MlirValue trn_onnx_reshape(trn_onnx_node_t *n, MlirValue v, const trn_onnx_shape_t *shape) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t from = trn_onnx_shape(v);
  if (same_shape(&from, shape)) return v;
  if (trn_onnx_shape_elements(&from) != trn_onnx_shape_elements(shape)) {
    char sa[128], sb[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "cannot reshape %s to %s",
                   trn_onnx_shape_str(&from, sa, sizeof sa), trn_onnx_shape_str(shape, sb, sizeof sb));
    return (MlirValue){NULL};
  }
  MlirNamedAttribute attr =
      trn_onnx_named(n, "new_shape", trn_onnx_i64_array_attr(n, shape->dims, (size_t)shape->rank));
  return trn_onnx_build(n, "tosa.reshape", &v, 1,
                        trn_onnx_tensor_type(n, shape, trn_onnx_element_type(v)), &attr, 1);
}

MlirValue trn_onnx_expand_rank(trn_onnx_node_t *n, MlirValue v, int64_t rank) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t s = trn_onnx_shape(v);
  if (s.rank >= rank) return v;
  trn_onnx_shape_t t = {.rank = rank};
  int64_t pad = rank - s.rank;
  for (int64_t i = 0; i < rank; i++) t.dims[i] = i < pad ? 1 : s.dims[i - pad];
  return trn_onnx_reshape(n, v, &t);
}

MlirValue trn_onnx_const_i32(trn_onnx_node_t *n, const int32_t *values, size_t count) {
  if (n->error) return (MlirValue){NULL};
  int64_t dim = (int64_t)count;
  MlirType type = mlirRankedTensorTypeGet(1, &dim, mlirIntegerTypeGet(n->imp->ctx, 32),
                                          mlirAttributeGetNull());
  MlirNamedAttribute attr =
      trn_onnx_named(n, "value", mlirDenseElementsAttrInt32Get(type, (intptr_t)count, values));
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &attr, 1);
}

MlirValue trn_onnx_splat_f32(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, float value) {
  if (n->error) return (MlirValue){NULL};
  MlirType type = trn_onnx_tensor_type(n, shape, trn_onnx_f32(n));
  MlirNamedAttribute attr =
      trn_onnx_named(n, "value", mlirDenseElementsAttrFloatSplatGet(type, value));
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &attr, 1);
}

MlirValue trn_onnx_transpose(trn_onnx_node_t *n, MlirValue v, const int64_t *perm) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t s = trn_onnx_shape(v), t = {.rank = s.rank};
  int32_t p32[TRN_MAX_RANK];
  for (int64_t i = 0; i < s.rank; i++) {
    if (perm[i] < 0 || perm[i] >= s.rank) {
      trn_onnx_error(n, TRN_ERR_FORMAT, "permutation entry %lld is out of range for rank %lld",
                     (long long)perm[i], (long long)s.rank);
      return (MlirValue){NULL};
    }
    t.dims[i] = s.dims[perm[i]];
    p32[i] = (int32_t)perm[i];
  }
  MlirValue operands[2] = {v, trn_onnx_const_i32(n, p32, (size_t)s.rank)};
  return trn_onnx_build(n, "tosa.transpose", operands, 2,
                        trn_onnx_tensor_type(n, &t, trn_onnx_element_type(v)), NULL, 0);
}

MlirValue trn_onnx_binary(trn_onnx_node_t *n, const char *op_name, MlirValue a, MlirValue b) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), out;
  if (!trn_onnx_broadcast(n, &sa, &sb, &out)) return (MlirValue){NULL};
  a = trn_onnx_expand_rank(n, a, out.rank);
  b = trn_onnx_expand_rank(n, b, out.rank);
  MlirValue operands[2] = {a, b};
  MlirType type = trn_onnx_tensor_type(n, &out, trn_onnx_element_type(a));
  if (strcmp(op_name, "tosa.mul") == 0) {
    MlirNamedAttribute shift = trn_onnx_named(n, "shift", trn_onnx_int_attr(n, 8, 0));
    return trn_onnx_build(n, op_name, operands, 2, type, &shift, 1);
  }
  return trn_onnx_build(n, op_name, operands, 2, type, NULL, 0);
}
