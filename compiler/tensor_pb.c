/* ONNX TensorProto files (.pb of the backend test suite) read into host tensors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx.pb-c.h"
#include "trn/compiler.h"

/* Every ONNX data type we store (numbering = ONNX's). */
static bool pb_type_supported(int32_t t) {
  switch (t) {
    case TRN_ELEM_F32: case TRN_ELEM_U8: case TRN_ELEM_I8: case TRN_ELEM_U16: case TRN_ELEM_I16:
    case TRN_ELEM_I32: case TRN_ELEM_I64: case TRN_ELEM_BOOL: case TRN_ELEM_F16: case TRN_ELEM_F64:
    case TRN_ELEM_U32: case TRN_ELEM_U64: case TRN_ELEM_BF16:
      return true;
    default:
      return false;
  }
}

/* Copies n values of a typed field into the tensor, narrowed to its element size
 * (little-endian, as raw_data would hold them). */
static void pb_store_narrow(trn_host_tensor_t *t, const void *src, size_t src_size, size_t n) {
  size_t esize = trn_elem_type_size(t->type);
  const unsigned char *s = (const unsigned char *)src;
  unsigned char *d = (unsigned char *)t->data;
  for (size_t i = 0; i < n; i++) {
    uint64_t v = 0;
    for (size_t k = 0; k < src_size; k++) v |= (uint64_t)s[i * src_size + k] << (8 * k);
    if (t->type == TRN_ELEM_BOOL) v = v != 0;
    for (size_t k = 0; k < esize; k++) d[i * esize + k] = (unsigned char)(v >> (8 * k));
  }
}

static trn_status_t pb_fill(const Onnx__TensorProto *p, const char *what, trn_host_tensor_t *t) {
  size_t n = (size_t)trn_host_tensor_elements(t);
  size_t esize = trn_elem_type_size(t->type);
  if (p->has_raw_data) {
    if (p->raw_data.len != t->bytes)
      return trn_status_make(TRN_ERR_FORMAT, "%s: raw_data holds %zu bytes, dims need %zu", what,
                             p->raw_data.len, t->bytes);
    if (t->bytes) memcpy(t->data, p->raw_data.data, t->bytes);
    return NULL;
  }
  const void *src = NULL;
  size_t count = 0, src_size = 0;
  const char *field = "";
  switch (t->type) {
    case TRN_ELEM_F32: src = p->float_data; count = p->n_float_data; src_size = 4; field = "float_data"; break;
    case TRN_ELEM_F64: src = p->double_data; count = p->n_double_data; src_size = 8; field = "double_data"; break;
    case TRN_ELEM_I64: src = p->int64_data; count = p->n_int64_data; src_size = 8; field = "int64_data"; break;
    case TRN_ELEM_U32: case TRN_ELEM_U64:
      src = p->uint64_data; count = p->n_uint64_data; src_size = 8; field = "uint64_data"; break;
    default: /* int32, int16, int8, uint16, uint8, bool, float16, bfloat16 */
      src = p->int32_data; count = p->n_int32_data; src_size = 4; field = "int32_data"; break;
  }
  if (count != n)
    return trn_status_make(TRN_ERR_FORMAT, "%s: %s holds %zu values, dims need %zu", what, field, count, n);
  if (src_size == esize)
    memcpy(t->data, src, n * esize);
  else
    pb_store_narrow(t, src, src_size, n);
  return NULL;
}

trn_status_t trn_tensor_pb_parse(const void *data, size_t size, const char *what,
                                 trn_host_tensor_t *out) {
  if (!out) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "tensor .pb: out is NULL");
  memset(out, 0, sizeof *out);
  if (!what) what = "TensorProto";
  if (!data && size)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: data is NULL", what);
  Onnx__TensorProto *p = onnx__tensor_proto__unpack(NULL, size, (const uint8_t *)data);
  if (!p) return trn_status_make(TRN_ERR_FORMAT, "%s: not a valid ONNX TensorProto", what);
  trn_status_t st = NULL;
  if (!p->has_data_type || p->data_type == TRN_ELEM_UNDEFINED) {
    st = trn_status_make(TRN_ERR_FORMAT, "%s: TensorProto has no data_type", what);
  } else if (!pb_type_supported(p->data_type)) {
    st = trn_status_make(TRN_ERR_UNSUPPORTED, "%s: data_type %s (%d) is not supported", what,
                         trn_elem_type_name((trn_elem_type_t)p->data_type), p->data_type);
  } else if (p->segment) {
    st = trn_status_make(TRN_ERR_UNSUPPORTED, "%s: segmented TensorProto is not supported", what);
  } else if ((p->has_data_location && p->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) ||
             p->n_external_data) {
    st = trn_status_make(TRN_ERR_UNSUPPORTED, "%s: external data is not supported", what);
  } else if (p->n_dims > TRN_MAX_RANK) {
    st = trn_status_make(TRN_ERR_UNSUPPORTED, "%s: rank %zu exceeds %d", what, p->n_dims, TRN_MAX_RANK);
  } else {
    st = trn_host_tensor_init(out, p->name && p->name[0] ? p->name : NULL, (trn_elem_type_t)p->data_type,
                              (uint32_t)p->n_dims, p->dims);
    if (st) {
      /* Re-word the shape error with the source name. */
      trn_status_t named = trn_status_make(trn_status_code(st) == TRN_ERR_OUT_OF_MEMORY ? TRN_ERR_OUT_OF_MEMORY
                                                                                         : TRN_ERR_FORMAT,
                                           "%s: %s", what, trn_status_message(st));
      trn_status_free(st);
      st = named;
    } else {
      st = pb_fill(p, what, out);
      if (st) trn_host_tensor_release(out);
    }
  }
  onnx__tensor_proto__free_unpacked(p, NULL);
  return st;
}

trn_status_t trn_tensor_pb_read(const char *path, trn_host_tensor_t *out) {
  if (!out || !path) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "tensor .pb: NULL argument");
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, len = 0;
  unsigned char *buf = malloc(cap);
  trn_status_t st = NULL;
  while (buf) {
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (len < cap) break;
    unsigned char *bigger = realloc(buf, cap * 2);
    if (!bigger) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = bigger;
    cap *= 2;
  }
  if (!buf) {
    st = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: cannot allocate a read buffer", path);
  } else if (ferror(f)) {
    st = trn_status_make(TRN_ERR_IO, "%s: read error", path);
  } else {
    st = trn_tensor_pb_parse(buf, len, path, out);
  }
  free(buf);
  fclose(f);
  return st;
}
