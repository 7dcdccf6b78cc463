/* The node API of import.h: inputs, attributes, shapes and op building for operator
 * import functions, and the initializer -> tosa.const path. */
/* realpath */
#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE /* madvise */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "state.h"

/* ---------------------------------------------------------------------------------
 * Data types
 * ------------------------------------------------------------------------------- */

bool trn_onnx_dtype(MlirContext ctx, int32_t t, MlirType *out_type, size_t *out_size) {
  switch (t) {
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: *out_type = mlirF32TypeGet(ctx), *out_size = 4; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: *out_type = mlirF32TypeGet(ctx), *out_size = 4; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16: *out_type = mlirF16TypeGet(ctx), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BFLOAT16: *out_type = mlirBF16TypeGet(ctx), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT8:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT8: *out_type = mlirIntegerTypeGet(ctx, 8), *out_size = 1; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT16:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT16: *out_type = mlirIntegerTypeGet(ctx, 16), *out_size = 2; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT32:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: *out_type = mlirIntegerTypeGet(ctx, 32), *out_size = 4; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__INT64:
    case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: *out_type = mlirIntegerTypeGet(ctx, 64), *out_size = 8; return true;
    case ONNX__TENSOR_PROTO__DATA_TYPE__BOOL: *out_type = mlirIntegerTypeGet(ctx, 1), *out_size = 1; return true;
    default: return false;
  }
}

MlirType trn_onnx_boundary_type(MlirContext ctx, int32_t t) {
  if (t == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE) return mlirF64TypeGet(ctx);
  MlirType type;
  size_t size;
  return trn_onnx_dtype(ctx, t, &type, &size) ? type : (MlirType){NULL};
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

void *trn_onnx_model_alloc(trn_onnx_model_t *m, size_t size) {
  if (m->buffer_count == m->buffer_capacity) {
    size_t cap = m->buffer_capacity ? 2 * m->buffer_capacity : 16;
    void **b = realloc(m->buffers, cap * sizeof *b);
    if (!b) return NULL;
    m->buffers = b;
    m->buffer_capacity = cap;
  }
  if (size > SIZE_MAX - 64) return NULL;
  size_t rounded = (size + 63) / 64 * 64;
  void *p = aligned_alloc(64, rounded ? rounded : 64);
  if (p) m->buffers[m->buffer_count++] = p;
  return p;
}

/* Drops the whole pages of [data, data + size) from memory after their bytes were
 * copied elsewhere, so that a realigned weight is not held twice. Only for bytes in
 * one of the model's read-only file mappings, which refault from the page cache if
 * read again. */
static void release_mapped(const trn_onnx_model_t *m, const void *data, size_t size) {
  const uint8_t *p = data;
  bool mapped = p >= (const uint8_t *)m->map && p + size <= (const uint8_t *)m->map + m->map_size;
  for (size_t i = 0; i < m->ext_count && !mapped; i++)
    mapped = p >= (const uint8_t *)m->ext[i].map && p + size <= (const uint8_t *)m->ext[i].map + m->ext[i].size;
  if (!mapped) return;
  const size_t page = 4096;
  uintptr_t start = ((uintptr_t)data + page - 1) & ~(uintptr_t)(page - 1);
  uintptr_t end = ((uintptr_t)data + size) & ~(uintptr_t)(page - 1);
  if (end > start) madvise((void *)start, end - start, MADV_DONTNEED);
}

static bool mul_overflows(size_t a, size_t b, size_t *out) {
  if (a && b > SIZE_MAX / a) return true;
  *out = a * b;
  return false;
}

/* Parses a decimal size of an external_data entry. */
static bool parse_size(const char *text, size_t *out) {
  if (!text || !*text) return false;
  size_t v = 0;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    size_t d = (size_t)(*p - '0');
    if (v > (SIZE_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* The mapping of external data file `location` (relative to the model's folder,
 * which it must not leave), mapped once per model. */
static trn_status_t external_file(trn_onnx_importer_t *imp, const char *what, const char *location,
                                  const trn_onnx_extfile_t **out) {
  trn_onnx_model_t *m = imp->model;
  const char *path = imp->path;
  for (size_t i = 0; i < m->ext_count; i++)
    if (strcmp(m->ext[i].location, location) == 0) {
      *out = &m->ext[i];
      return NULL;
    }
  /* Lexical check first: relative, no ".." component. */
  bool bad = location[0] == '/' || location[0] == '\0';
  for (const char *p = location; !bad && *p;) {
    const char *e = strchr(p, '/');
    size_t len = e ? (size_t)(e - p) : strlen(p);
    if (len == 2 && p[0] == '.' && p[1] == '.') bad = true;
    p += len + (e ? 1 : 0);
  }
  if (bad)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: %s: external data location '%s' must be a relative path inside the "
                           "model's folder",
                           path, what, location);
  const char *slash = strrchr(path, '/');
  size_t dir_len = slash ? (size_t)(slash - path) : 1;
  char *file = malloc(dir_len + strlen(location) + 2);
  char *real_dir = NULL, *real_file = NULL;
  trn_status_t s = NULL;
  if (!file) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  if (slash) memcpy(file, path, dir_len);
  else file[0] = '.';
  file[dir_len] = '/';
  strcpy(file + dir_len + 1, location);
  /* Symbolic links must not lead outside the folder either. */
  char *dir = strndup(slash ? path : ".", dir_len);
  if (dir) real_dir = realpath(dir, NULL);
  free(dir);
  real_file = realpath(file, NULL);
  if (!real_file) {
    s = trn_status_make(TRN_ERR_IO, "%s: %s: cannot open external data file '%s': %s", path, what,
                        location, strerror(errno));
    goto done;
  }
  size_t rd = real_dir ? strlen(real_dir) : 0;
  if (!real_dir || strncmp(real_file, real_dir, rd) != 0 || (real_file[rd] != '/' && rd != 1)) {
    s = trn_status_make(TRN_ERR_FORMAT, "%s: %s: external data file '%s' is outside the model's folder",
                        path, what, location);
    goto done;
  }
  int fd = open(real_file, O_RDONLY);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    s = trn_status_make(TRN_ERR_IO, "%s: %s: cannot read external data file '%s'%s%s", path, what,
                        location, fd < 0 ? ": " : " (not a regular file)", fd < 0 ? strerror(errno) : "");
    if (fd >= 0) close(fd);
    goto done;
  }
  void *map = NULL;
  if (st.st_size > 0) {
    map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED) {
      s = trn_status_make(TRN_ERR_IO, "%s: %s: cannot map external data file '%s': %s", path, what,
                          location, strerror(errno));
      close(fd);
      goto done;
    }
  }
  close(fd);
  trn_onnx_extfile_t *ext = realloc(m->ext, (m->ext_count + 1) * sizeof *ext);
  char *loc = strdup(location);
  if (!ext || !loc) {
    if (ext) m->ext = ext;
    free(loc);
    if (map) munmap(map, (size_t)st.st_size);
    s = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    goto done;
  }
  m->ext = ext;
  ext[m->ext_count] = (trn_onnx_extfile_t){loc, map, (size_t)st.st_size};
  *out = &ext[m->ext_count++];
done:
  free(file);
  free(real_dir);
  free(real_file);
  return s;
}

/* The `bytes` bytes of an external tensor (keys location, offset, length). */
static trn_status_t external_data(trn_onnx_importer_t *imp, const Onnx__TensorProto *t,
                                  const char *what, size_t bytes, const void **out) {
  const char *location = NULL, *path = imp->path;
  size_t offset = 0, length = bytes;
  bool has_length = false;
  for (size_t i = 0; i < t->n_external_data; i++) {
    const char *k = t->external_data[i]->key, *v = t->external_data[i]->value;
    if (!k) continue;
    if (strcmp(k, "location") == 0) {
      location = v;
    } else if (strcmp(k, "offset") == 0 || strcmp(k, "length") == 0) {
      bool off = k[0] == 'o';
      if (!parse_size(v, off ? &offset : &length))
        return trn_status_make(TRN_ERR_FORMAT, "%s: %s: external data %s '%s' is not a byte count",
                               path, what, k, v ? v : "");
      if (!off) has_length = true;
    }
  }
  if (!location)
    return trn_status_make(TRN_ERR_FORMAT, "%s: %s: external data without a 'location'", path, what);
  if (has_length && length != bytes)
    return trn_status_make(TRN_ERR_FORMAT, "%s: %s: external data length %zu, its shape needs %zu bytes",
                           path, what, length, bytes);
  const trn_onnx_extfile_t *f = NULL;
  TRN_RETURN_IF_ERROR(external_file(imp, what, location, &f));
  if (offset > f->size || bytes > f->size - offset)
    return trn_status_make(TRN_ERR_FORMAT,
                           "%s: %s: external data [%zu, +%zu) lies beyond the end of '%s' (%zu bytes)",
                           path, what, offset, bytes, location, f->size);
  *out = bytes ? (const uint8_t *)f->map + offset : f->map;
  return NULL;
}

trn_status_t trn_onnx_tensor_resolve(trn_onnx_importer_t *imp, const Onnx__TensorProto *t,
                                     const char *what, const void **out_data, size_t *out_size,
                                     size_t *out_elem_size, MlirType *out_type) {
  const char *path = imp->path;
  MlirType elem;
  size_t esize;
  int32_t dt = t->has_data_type ? t->data_type : 0;
  if (!trn_onnx_dtype(imp->ctx, dt, &elem, &esize))
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: %s: data type %s is not supported", path, what,
                           trn_onnx_dtype_name(dt));
  bool is_double = dt == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE;
  size_t stored_esize = is_double ? 8 : esize; /* DOUBLE is converted to f32 below */
  if (t->n_dims > TRN_MAX_RANK)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "%s: %s: rank %zu exceeds the maximum %d", path, what,
                           t->n_dims, TRN_MAX_RANK);
  size_t count = 1;
  for (size_t i = 0; i < t->n_dims; i++) {
    if (t->dims[i] < 0 || t->dims[i] > TRN_ONNX_MAX_DIM ||
        mul_overflows(count, (size_t)t->dims[i], &count))
      return trn_status_make(TRN_ERR_FORMAT, "%s: %s: invalid dimension %lld", path, what,
                             (long long)t->dims[i]);
  }
  size_t bytes, stored_bytes;
  if (mul_overflows(count, esize, &bytes) || mul_overflows(count, stored_esize, &stored_bytes))
    return trn_status_make(TRN_ERR_FORMAT, "%s: %s is too large", path, what);
  const void *data = NULL;
  bool external = t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  if (external || t->has_raw_data) {
    if (external) {
      TRN_RETURN_IF_ERROR(external_data(imp, t, what, stored_bytes, &data));
    } else {
      if (t->raw_data.len != stored_bytes)
        return trn_status_make(TRN_ERR_FORMAT, "%s: %s: raw_data holds %zu bytes, its shape needs %zu",
                               path, what, t->raw_data.len, stored_bytes);
      data = t->raw_data.data;
    }
    if (is_double && count) {
      float *out = trn_onnx_model_alloc(imp->model, bytes);
      if (!out) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
      for (size_t i = 0; i < count; i++) {
        double d;
        memcpy(&d, (const uint8_t *)data + 8 * i, 8);
        out[i] = (float)d;
      }
      data = out;
    } else if (bytes && ((uintptr_t)data % esize) != 0) {
      void *copy = trn_onnx_model_alloc(imp->model, bytes);
      if (!copy) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
      memcpy(copy, data, bytes);
      release_mapped(imp->model, data, bytes);
      data = copy;
    }
  } else {
    /* Typed storage: converted once into a buffer the model owns where the field's
     * element type differs from the tensor's. */
    size_t have;
    switch (dt) {
      case ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT: data = t->float_data, have = t->n_float_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE: have = t->n_double_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT64: data = t->int64_data, have = t->n_int64_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__INT32: data = t->int32_data, have = t->n_int32_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT64: data = t->uint64_data, have = t->n_uint64_data; break;
      case ONNX__TENSOR_PROTO__DATA_TYPE__UINT32: have = t->n_uint64_data; break;
      default: have = t->n_int32_data; break; /* 8/16-bit types and bool live in int32_data */
    }
    if (have != count)
      return trn_status_make(TRN_ERR_FORMAT, "%s: %s holds %zu values, its shape needs %zu", path,
                             what, have, count);
    if (!data && count) {
      uint8_t *out = trn_onnx_model_alloc(imp->model, bytes);
      if (!out) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
      for (size_t i = 0; i < count; i++) {
        if (is_double) {
          float f = (float)t->double_data[i];
          memcpy(out + 4 * i, &f, 4);
          continue;
        }
        uint64_t x = dt == ONNX__TENSOR_PROTO__DATA_TYPE__UINT32 ? t->uint64_data[i]
                                                                : (uint64_t)(uint32_t)t->int32_data[i];
        if (dt == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL) x = x != 0;
        for (size_t b = 0; b < esize; b++) out[i * esize + b] = (uint8_t)(x >> (8 * b));
      }
      data = out;
    }
  }
  int64_t dims[TRN_MAX_RANK];
  for (size_t i = 0; i < t->n_dims; i++) dims[i] = t->dims[i];
  *out_data = data;
  *out_size = bytes;
  *out_elem_size = esize;
  *out_type = mlirRankedTensorTypeGet((intptr_t)t->n_dims, dims, elem, mlirAttributeGetNull());
  return NULL;
}

trn_status_t trn_onnx_value_resolve(trn_onnx_importer_t *imp, trn_onnx_value_t *v) {
  if (!mlirTypeIsNull(v->type) || !v->init) return NULL;
  char what[300];
  snprintf(what, sizeof what, "initializer '%s'", v->name);
  return trn_onnx_tensor_resolve(imp, v->init, what, &v->data, &v->size, &v->elem_size, &v->type);
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

/* Constants up to this many elements that no initializer holds are printed inline
 * (dense elements, which folding sees); larger ones become dense resources. */
#define TRN_ONNX_INLINE_ELEMENTS 16

trn_status_t trn_onnx_value_materialize(trn_onnx_importer_t *imp, trn_onnx_value_t *v) {
  if (!mlirValueIsNull(v->value)) return NULL;
  TRN_RETURN_IF_ERROR(trn_onnx_value_resolve(imp, v));
  size_t esize = v->elem_size ? v->elem_size : 1;
  size_t count = v->size / esize;
  MlirType elem = mlirShapedTypeGetElementType(v->type);
  MlirAttribute value;
  if (mlirTypeIsAInteger(elem) && mlirIntegerTypeGetWidth(elem) == 1) {
    /* i1: dense elements from one byte per value. */
    int *flags = malloc((count ? count : 1) * sizeof *flags);
    if (!flags) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", imp->path);
    for (size_t i = 0; i < count; i++) flags[i] = ((const uint8_t *)v->data)[i] != 0;
    value = mlirDenseElementsAttrBoolGet(v->type, (intptr_t)count, flags);
    free(flags);
  } else if ((!v->init && count <= TRN_ONNX_INLINE_ELEMENTS) || count <= 1) {
    /* Also every initializer of at most one element: LLVM 19's finalize-memref-to-llvm
     * crashes on a rank-0 memref.global whose value is a dense resource. */
    value = mlirDenseElementsAttrRawBufferGet(v->type, v->size, v->data);
  } else {
    char *rname = NULL;
    TRN_RETURN_IF_ERROR(resource_name(imp, v->name, &rname));
    /* The bytes stay where they are (the unpacked model, a mapped file or an owned
     * buffer): MLIR only refers to them. */
    value = mlirUnmanagedDenseResourceElementsAttrGet(v->type, mlirStringRefCreateFromCString(rname),
                                                      (void *)v->data, v->size, esize, false, NULL,
                                                      NULL);
  }
  if (mlirAttributeIsNull(value))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: constant '%s': cannot build its value", imp->path,
                           v->name);
  MlirLocation loc = mlirLocationNameGet(imp->ctx, mlirStringRefCreateFromCString(v->name), imp->file_loc);
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("tosa.const"), loc);
  MlirNamedAttribute attr = mlirNamedAttributeGet(
      mlirIdentifierGet(imp->ctx, mlirStringRefCreateFromCString("value")), value);
  mlirOperationStateAddAttributes(&st, 1, &attr);
  mlirOperationStateAddResults(&st, 1, &v->type);
  MlirOperation op = mlirOperationCreate(&st);
  if (mlirOperationIsNull(op))
    return trn_status_make(TRN_ERR_INTERNAL, "%s: constant '%s': cannot create tosa.const",
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
  if (mlirValueIsNull(v->value) && v->constant) adopt_error(n, trn_onnx_value_materialize(n->imp, v));
  if (!n->error && mlirValueIsNull(v->value))
    trn_onnx_error(n, TRN_ERR_INTERNAL, "input '%s' has no value yet", n->proto->input[i]);
  return n->error ? null : v->value;
}

bool trn_onnx_input_constant(trn_onnx_node_t *n, size_t i, const void **out_data, size_t *out_size,
                             MlirType *out_type) {
  if (n->error || !trn_onnx_has_input(n, i)) return false;
  trn_onnx_value_t *v = trn_onnx_value_find(n->imp, n->proto->input[i]);
  if (!v || !v->constant) return false;
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

trn_elem_type_t trn_onnx_elem_of_type(MlirType t) {
  if (mlirTypeIsNull(t)) return TRN_ELEM_UNDEFINED;
  if (mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  if (mlirTypeIsAF32(t)) return TRN_ELEM_F32;
  if (mlirTypeIsAF64(t)) return TRN_ELEM_F64;
  if (mlirTypeIsAF16(t)) return TRN_ELEM_F16;
  if (mlirTypeIsABF16(t)) return TRN_ELEM_BF16;
  if (mlirTypeIsAInteger(t)) {
    bool u = mlirIntegerTypeIsUnsigned(t);
    switch (mlirIntegerTypeGetWidth(t)) {
      case 1: return TRN_ELEM_BOOL;
      case 8: return u ? TRN_ELEM_U8 : TRN_ELEM_I8;
      case 16: return u ? TRN_ELEM_U16 : TRN_ELEM_I16;
      case 32: return u ? TRN_ELEM_U32 : TRN_ELEM_I32;
      case 64: return u ? TRN_ELEM_U64 : TRN_ELEM_I64;
      default: return TRN_ELEM_UNDEFINED;
    }
  }
  return TRN_ELEM_UNDEFINED;
}

MlirType trn_onnx_elem_type(const trn_onnx_node_t *n, trn_elem_type_t elem) {
  MlirType t;
  size_t size;
  return trn_onnx_dtype(n->imp->ctx, (int32_t)elem, &t, &size) ? t : (MlirType){NULL};
}

bool trn_onnx_elem_unsigned(trn_elem_type_t e) {
  return e == TRN_ELEM_U8 || e == TRN_ELEM_U16 || e == TRN_ELEM_U32 || e == TRN_ELEM_U64;
}

trn_elem_type_t trn_onnx_input_elem(trn_onnx_node_t *n, size_t i) {
  if (!trn_onnx_has_input(n, i)) return TRN_ELEM_UNDEFINED;
  trn_onnx_value_t *v = trn_onnx_value_find(n->imp, n->proto->input[i]);
  if (!v) return TRN_ELEM_UNDEFINED;
  if (v->elem != TRN_ELEM_UNDEFINED) return v->elem;
  return trn_onnx_elem_of_type(mlirValueIsNull(v->value) ? v->type : mlirValueGetType(v->value));
}

bool trn_onnx_input_unsigned(trn_onnx_node_t *n, size_t i) {
  return trn_onnx_elem_unsigned(trn_onnx_input_elem(n, i));
}

static bool input_const_value(trn_onnx_node_t *n, size_t i, const char *what, trn_onnx_value_t **out) {
  if (n->error) return false;
  if (!trn_onnx_has_input(n, i)) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "required input %zu (%s) is missing", i, what);
    return false;
  }
  trn_onnx_value_t *v = trn_onnx_value_find(n->imp, n->proto->input[i]);
  if (!v || !v->constant) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED,
                   "input %zu (%s, '%s') must be a constant known at compile time (an initializer "
                   "or a Constant)",
                   i, what, n->proto->input[i]);
    return false;
  }
  trn_status_t s = trn_onnx_value_resolve(n->imp, v);
  if (s) {
    adopt_error(n, s);
    return false;
  }
  *out = v;
  return true;
}

bool trn_onnx_input_const(trn_onnx_node_t *n, size_t i, const char *what, trn_onnx_const_t *out) {
  trn_onnx_value_t *v;
  memset(out, 0, sizeof *out);
  if (!input_const_value(n, i, what, &v)) return false;
  out->elem = v->elem != TRN_ELEM_UNDEFINED ? v->elem : trn_onnx_elem_of_type(v->type);
  out->shape.rank = mlirShapedTypeGetRank(v->type);
  for (int64_t k = 0; k < out->shape.rank; k++) out->shape.dims[k] = mlirShapedTypeGetDimSize(v->type, (intptr_t)k);
  out->data = v->data;
  out->size = v->size;
  return true;
}

/* Element k of constant bytes of ONNX type `e` (compute layout) as int64 / double. */
static int64_t const_int_at(trn_elem_type_t e, const void *data, size_t k) {
  const uint8_t *p = data;
  switch (e) {
    case TRN_ELEM_BOOL: return p[k] != 0;
    case TRN_ELEM_I8: return (int8_t)p[k];
    case TRN_ELEM_U8: return p[k];
    case TRN_ELEM_I16: { int16_t x; memcpy(&x, p + 2 * k, 2); return x; }
    case TRN_ELEM_U16: { uint16_t x; memcpy(&x, p + 2 * k, 2); return x; }
    case TRN_ELEM_I32: { int32_t x; memcpy(&x, p + 4 * k, 4); return x; }
    case TRN_ELEM_U32: { uint32_t x; memcpy(&x, p + 4 * k, 4); return x; }
    case TRN_ELEM_I64:
    case TRN_ELEM_U64: { int64_t x; memcpy(&x, p + 8 * k, 8); return x; }
    default: return 0;
  }
}

static float half_to_float(uint16_t h, bool bf16) {
  uint32_t bits;
  if (bf16) {
    bits = (uint32_t)h << 16;
  } else {
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    if (exp == 0x1f) {
      bits = sign | 0x7f800000u | (man << 13);
    } else if (exp == 0) {
      float f = (float)man * (1.0f / 16777216.0f); /* man * 2^-24 */
      return sign ? -f : f;
    } else {
      bits = sign | ((exp + 112) << 23) | (man << 13);
    }
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

double trn_onnx_const_double_at(const trn_onnx_const_t *c, size_t k) {
  const uint8_t *p = c->data;
  switch (c->elem) {
    case TRN_ELEM_F32:
    case TRN_ELEM_F64: { float x; memcpy(&x, p + 4 * k, 4); return x; }
    case TRN_ELEM_F16:
    case TRN_ELEM_BF16: { uint16_t x; memcpy(&x, p + 2 * k, 2); return half_to_float(x, c->elem == TRN_ELEM_BF16); }
    case TRN_ELEM_U64: { uint64_t x; memcpy(&x, p + 8 * k, 8); return (double)x; }
    default: return (double)const_int_at(c->elem, c->data, k);
  }
}

int64_t trn_onnx_const_int_at(const trn_onnx_const_t *c, size_t k) {
  switch (c->elem) {
    case TRN_ELEM_F32:
    case TRN_ELEM_F64:
    case TRN_ELEM_F16:
    case TRN_ELEM_BF16: return (int64_t)trn_onnx_const_double_at(c, k);
    default: return const_int_at(c->elem, c->data, k);
  }
}

size_t trn_onnx_const_count(const trn_onnx_const_t *c) {
  return (size_t)trn_onnx_shape_elements(&c->shape);
}

bool trn_onnx_input_ints(trn_onnx_node_t *n, size_t i, const char *what, int64_t *out, size_t max,
                         size_t *out_count) {
  trn_onnx_const_t c;
  *out_count = 0;
  if (!trn_onnx_input_const(n, i, what, &c)) return false;
  bool is_int = c.elem != TRN_ELEM_F32 && c.elem != TRN_ELEM_F64 && c.elem != TRN_ELEM_F16 &&
                c.elem != TRN_ELEM_BF16 && c.elem != TRN_ELEM_BOOL;
  if (!is_int) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "input %zu (%s) must hold integers, not %s", i, what,
                   trn_elem_type_name(c.elem));
    return false;
  }
  size_t count = trn_onnx_const_count(&c);
  if (count > max) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input %zu (%s) holds %zu values, at most %zu are supported",
                   i, what, count, max);
    return false;
  }
  for (size_t k = 0; k < count; k++) out[k] = trn_onnx_const_int_at(&c, k);
  *out_count = count;
  return true;
}

bool trn_onnx_input_doubles(trn_onnx_node_t *n, size_t i, const char *what, double *out, size_t max,
                            size_t *out_count) {
  trn_onnx_const_t c;
  *out_count = 0;
  if (!trn_onnx_input_const(n, i, what, &c)) return false;
  size_t count = trn_onnx_const_count(&c);
  if (count > max) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "input %zu (%s) holds %zu values, at most %zu are supported",
                   i, what, count, max);
    return false;
  }
  for (size_t k = 0; k < count; k++) out[k] = trn_onnx_const_double_at(&c, k);
  *out_count = count;
  return true;
}

size_t trn_onnx_output_count(const trn_onnx_node_t *n) { return n->proto->n_output; }

/* The output's value record, or NULL (omitted optional output, error). */
static trn_onnx_value_t *output_value(trn_onnx_node_t *n, size_t i) {
  if (n->error || i >= n->proto->n_output || n->proto->output[i][0] == '\0') return NULL;
  return trn_onnx_value_find(n->imp, n->proto->output[i]);
}

void trn_onnx_set_output_elem(trn_onnx_node_t *n, size_t i, MlirValue value, trn_elem_type_t elem) {
  trn_onnx_value_t *v = output_value(n, i);
  if (!v || mlirValueIsNull(value)) return;
  v->value = value;
  v->elem = elem;
}

void trn_onnx_set_output(trn_onnx_node_t *n, size_t i, MlirValue value) {
  trn_onnx_value_t *v = output_value(n, i);
  if (!v || mlirValueIsNull(value)) return;
  /* The ONNX type: that of the first input with the same compute type (keeps UINT8
   * through i8 and DOUBLE through f32), else the one the MLIR type names. */
  MlirType t = trn_onnx_element_type(value);
  trn_elem_type_t elem = trn_onnx_elem_of_type(t);
  for (size_t k = 0; k < n->proto->n_input; k++) {
    trn_elem_type_t e = trn_onnx_input_elem(n, k);
    MlirType et = trn_onnx_elem_type(n, e);
    if (e != TRN_ELEM_UNDEFINED && !mlirTypeIsNull(et) && mlirTypeEqual(et, t)) {
      elem = e;
      break;
    }
  }
  trn_onnx_set_output_elem(n, i, value, elem);
}

void trn_onnx_set_output_const(trn_onnx_node_t *n, size_t i, const trn_onnx_const_t *c) {
  trn_onnx_value_t *v = output_value(n, i);
  if (!v) return;
  MlirType elem = trn_onnx_elem_type(n, c->elem);
  if (mlirTypeIsNull(elem)) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "output %zu: element type %s is not supported", i,
                   trn_elem_type_name(c->elem));
    return;
  }
  size_t esize = c->elem == TRN_ELEM_F64 ? 4 : trn_elem_type_size(c->elem);
  size_t bytes = (size_t)trn_onnx_shape_elements(&c->shape) * esize;
  if (c->size != bytes) {
    trn_onnx_error(n, TRN_ERR_INTERNAL, "output %zu: constant of %zu bytes, its shape needs %zu", i,
                   c->size, bytes);
    return;
  }
  void *copy = trn_onnx_model_alloc(n->imp->model, bytes);
  if (!copy) {
    trn_onnx_error(n, TRN_ERR_OUT_OF_MEMORY, "out of memory");
    return;
  }
  if (bytes) memcpy(copy, c->data, bytes);
  v->constant = true;
  v->data = copy;
  v->size = bytes;
  v->elem_size = esize;
  v->elem = c->elem;
  v->type = trn_onnx_tensor_type(n, &c->shape, elem);
  v->value = (MlirValue){NULL}; /* materialized on first use */
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
  /* A result without elements has one possible value: an empty constant (TOSA's
   * verifiers reject zero-sized dims on several ops, e.g. tosa.reshape). */
  if (strcmp(op_name, "tosa.const") != 0 && mlirTypeIsARankedTensor(result_type)) {
    bool empty = false;
    for (intptr_t d = 0; d < mlirShapedTypeGetRank(result_type); d++)
      empty = empty || mlirShapedTypeGetDimSize(result_type, d) == 0;
    if (empty) {
      MlirNamedAttribute value = trn_onnx_named(n, "value", mlirDenseElementsAttrRawBufferGet(result_type, 0, NULL));
      return trn_onnx_build(n, "tosa.const", NULL, 0, result_type, &value, 1);
    }
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

/* ---------------------------------------------------------------------------------
 * Element types beyond f32
 * ------------------------------------------------------------------------------- */

bool trn_onnx_is_float(MlirType t) {
  if (mlirTypeIsNull(t)) return false;
  if (mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  return mlirTypeIsAF32(t) || mlirTypeIsAF16(t) || mlirTypeIsABF16(t) || mlirTypeIsAF64(t);
}

bool trn_onnx_is_int(MlirType t) {
  if (mlirTypeIsNull(t)) return false;
  if (mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  return mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) > 1;
}

bool trn_onnx_is_bool(MlirType t) {
  if (mlirTypeIsNull(t)) return false;
  if (mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  return mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 1;
}

const char *trn_onnx_type_str(MlirType t, char *buf, size_t size) {
  if (!mlirTypeIsNull(t) && mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  trn_elem_type_t e = trn_onnx_elem_of_type(t);
  snprintf(buf, size, "%s", e == TRN_ELEM_UNDEFINED ? "?" : trn_elem_type_name(e));
  return buf;
}

bool trn_onnx_require(trn_onnx_node_t *n, MlirValue v, const char *what, unsigned classes) {
  if (n->error) return false;
  MlirType e = trn_onnx_element_type(v);
  if ((classes & TRN_ONNX_FLOAT) && trn_onnx_is_float(e)) return true;
  if ((classes & TRN_ONNX_INT) && trn_onnx_is_int(e)) return true;
  if ((classes & TRN_ONNX_BOOL) && trn_onnx_is_bool(e)) return true;
  char buf[32], want[64] = "";
  size_t k = 0;
  if (classes & TRN_ONNX_FLOAT) k += (size_t)snprintf(want + k, sizeof want - k, "float");
  if (classes & TRN_ONNX_INT) k += (size_t)snprintf(want + k, sizeof want - k, "%sinteger", k ? " or " : "");
  if (classes & TRN_ONNX_BOOL) snprintf(want + k, sizeof want - k, "%sbool", k ? " or " : "");
  trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "%s has element type %s; %s is supported", what,
                 trn_onnx_type_str(e, buf, sizeof buf), want);
  return false;
}

bool trn_onnx_require_same_elem(trn_onnx_node_t *n, MlirValue a, MlirValue b, const char *what) {
  if (n->error) return false;
  MlirType ea = trn_onnx_element_type(a), eb = trn_onnx_element_type(b);
  if (!mlirTypeIsNull(ea) && !mlirTypeIsNull(eb) && mlirTypeEqual(ea, eb)) return true;
  char sa[32], sb[32];
  trn_onnx_error(n, TRN_ERR_FORMAT, "%s have different element types (%s and %s)", what,
                 trn_onnx_type_str(ea, sa, sizeof sa), trn_onnx_type_str(eb, sb, sizeof sb));
  return false;
}

MlirValue trn_onnx_splat(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, MlirType elem, double value) {
  if (n->error) return (MlirValue){NULL};
  MlirType type = trn_onnx_tensor_type(n, shape, elem);
  MlirAttribute attr;
  if (trn_onnx_is_bool(elem)) {
    attr = mlirDenseElementsAttrBoolSplatGet(type, value != 0.0);
  } else if (mlirTypeIsAInteger(elem)) {
    int64_t iv = value >= 9.2e18 ? INT64_MAX : value <= -9.2e18 ? INT64_MIN : (int64_t)value;
    attr = mlirDenseElementsAttrSplatGet(type, mlirIntegerAttrGet(elem, iv));
  } else if (mlirTypeIsAF32(elem)) {
    attr = mlirDenseElementsAttrFloatSplatGet(type, (float)value);
  } else {
    attr = mlirDenseElementsAttrSplatGet(type, mlirFloatAttrDoubleGet(n->imp->ctx, elem, value));
  }
  MlirNamedAttribute named = trn_onnx_named(n, "value", attr);
  return trn_onnx_build(n, "tosa.const", NULL, 0, type, &named, 1);
}

MlirValue trn_onnx_scalar_like(trn_onnx_node_t *n, MlirValue like, double value) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t s = trn_onnx_shape(like), one = {.rank = s.rank < 0 ? 0 : s.rank};
  for (int64_t i = 0; i < one.rank; i++) one.dims[i] = 1;
  return trn_onnx_splat(n, &one, trn_onnx_element_type(like), value);
}

MlirValue trn_onnx_unary(trn_onnx_node_t *n, const char *op_name, MlirValue v) {
  if (n->error) return (MlirValue){NULL};
  return trn_onnx_build(n, op_name, &v, 1, mlirValueGetType(v), NULL, 0);
}

MlirValue trn_onnx_binary_to(trn_onnx_node_t *n, const char *op_name, MlirValue a, MlirValue b,
                             MlirType result_elem) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t sa = trn_onnx_shape(a), sb = trn_onnx_shape(b), out;
  if (!trn_onnx_broadcast(n, &sa, &sb, &out)) return (MlirValue){NULL};
  MlirValue operands[2] = {trn_onnx_expand_rank(n, a, out.rank), trn_onnx_expand_rank(n, b, out.rank)};
  return trn_onnx_build(n, op_name, operands, 2, trn_onnx_tensor_type(n, &out, result_elem), NULL, 0);
}

MlirValue trn_onnx_broadcast_to(trn_onnx_node_t *n, MlirValue v, const trn_onnx_shape_t *shape) {
  if (n->error) return (MlirValue){NULL};
  trn_onnx_shape_t s = trn_onnx_shape(v), check;
  if (!trn_onnx_broadcast(n, &s, shape, &check)) return (MlirValue){NULL};
  if (!same_shape(&check, shape)) {
    char sa[128], sb[128];
    trn_onnx_error(n, TRN_ERR_FORMAT, "shape %s does not broadcast to %s",
                   trn_onnx_shape_str(&s, sa, sizeof sa), trn_onnx_shape_str(shape, sb, sizeof sb));
    return (MlirValue){NULL};
  }
  v = trn_onnx_expand_rank(n, v, shape->rank);
  s = trn_onnx_shape(v);
  int64_t multiples[TRN_MAX_RANK];
  bool tile = false;
  for (int64_t i = 0; i < shape->rank; i++) {
    multiples[i] = s.dims[i] == shape->dims[i] ? 1 : shape->dims[i];
    tile = tile || multiples[i] != 1;
  }
  if (!tile) return v;
  MlirNamedAttribute attr =
      trn_onnx_named(n, "multiples", trn_onnx_i64_array_attr(n, multiples, (size_t)shape->rank));
  return trn_onnx_build(n, "tosa.tile", &v, 1, trn_onnx_tensor_type(n, shape, trn_onnx_element_type(v)),
                        &attr, 1);
}

MlirValue trn_onnx_cast(trn_onnx_node_t *n, MlirValue v, MlirType elem) {
  if (n->error) return (MlirValue){NULL};
  MlirType from = trn_onnx_element_type(v);
  if (mlirTypeEqual(from, elem)) return v;
  trn_onnx_shape_t s = trn_onnx_shape(v);
  return trn_onnx_build(n, "tosa.cast", &v, 1, trn_onnx_tensor_type(n, &s, elem), NULL, 0);
}

MlirValue trn_onnx_convert(trn_onnx_node_t *n, MlirValue v, trn_elem_type_t from, trn_elem_type_t to) {
  if (n->error) return (MlirValue){NULL};
  MlirType src = trn_onnx_element_type(v), dst = trn_onnx_elem_type(n, to);
  if (mlirTypeIsNull(dst)) {
    trn_onnx_error(n, TRN_ERR_UNSUPPORTED, "conversion to %s is not supported", trn_elem_type_name(to));
    return (MlirValue){NULL};
  }
  if (mlirTypeEqual(src, dst)) return v; /* same bits (f64 in f32, u8 <-> i8 wraps as ONNX does) */
  trn_onnx_shape_t s = trn_onnx_shape(v);
  MlirType type = trn_onnx_tensor_type(n, &s, dst);
  bool src_u = trn_onnx_elem_unsigned(from), dst_u = trn_onnx_elem_unsigned(to);
  const char *op = "tosa.cast"; /* float <-> float, signed int -> float, anything -> bool, bool -> any */
  if (trn_onnx_is_float(src) && trn_onnx_is_int(dst)) {
    op = dst_u ? "arith.fptoui" : "arith.fptosi"; /* ONNX truncates toward zero */
  } else if (trn_onnx_is_int(src) && trn_onnx_is_float(dst)) {
    if (src_u) op = "arith.uitofp";
  } else if (trn_onnx_is_int(src) && trn_onnx_is_int(dst)) {
    unsigned ws = mlirIntegerTypeGetWidth(src), wd = mlirIntegerTypeGetWidth(dst);
    op = ws > wd ? "arith.trunci" : src_u ? "arith.extui" : "arith.extsi";
  }
  return trn_onnx_build(n, op, &v, 1, type, NULL, 0);
}

bool trn_onnx_attr_tensor(trn_onnx_node_t *n, const char *name, trn_onnx_const_t *out) {
  memset(out, 0, sizeof *out);
  const Onnx__AttributeProto *a = find_attr(n, name);
  a = typed_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, a && a->t, "a TENSOR");
  if (!a) return false;
  if (!a->t) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "attribute '%s' holds no tensor", name);
    return false;
  }
  char what[300];
  snprintf(what, sizeof what, "node '%s' (%s): attribute '%s'", n->name, n->proto->op_type, name);
  const void *data;
  size_t size, esize;
  MlirType type;
  trn_status_t s = trn_onnx_tensor_resolve(n->imp, a->t, what, &data, &size, &esize, &type);
  if (s) {
    adopt_error(n, s);
    return false;
  }
  out->elem = (trn_elem_type_t)a->t->data_type;
  out->shape.rank = mlirShapedTypeGetRank(type);
  for (int64_t k = 0; k < out->shape.rank; k++) out->shape.dims[k] = mlirShapedTypeGetDimSize(type, (intptr_t)k);
  out->data = data;
  out->size = size;
  return true;
}
