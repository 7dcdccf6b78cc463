/* Host tensors of the CPU reference backend: creation, conversion and comparison. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trn/compiler.h"

size_t trn_elem_type_size(trn_elem_type_t type) {
  switch (type) {
    case TRN_ELEM_F32: case TRN_ELEM_I32: case TRN_ELEM_U32: return 4;
    case TRN_ELEM_U8: case TRN_ELEM_I8: case TRN_ELEM_BOOL: return 1;
    case TRN_ELEM_U16: case TRN_ELEM_I16: case TRN_ELEM_F16: case TRN_ELEM_BF16: return 2;
    case TRN_ELEM_I64: case TRN_ELEM_F64: case TRN_ELEM_U64: return 8;
    default: return 0;
  }
}

const char *trn_elem_type_name(trn_elem_type_t type) {
  switch (type) {
    case TRN_ELEM_UNDEFINED: return "undefined";
    case TRN_ELEM_F32: return "f32";
    case TRN_ELEM_U8: return "u8";
    case TRN_ELEM_I8: return "i8";
    case TRN_ELEM_U16: return "u16";
    case TRN_ELEM_I16: return "i16";
    case TRN_ELEM_I32: return "i32";
    case TRN_ELEM_I64: return "i64";
    case TRN_ELEM_STRING: return "string";
    case TRN_ELEM_BOOL: return "bool";
    case TRN_ELEM_F16: return "f16";
    case TRN_ELEM_F64: return "f64";
    case TRN_ELEM_U32: return "u32";
    case TRN_ELEM_U64: return "u64";
    case TRN_ELEM_BF16: return "bf16";
  }
  return "?";
}

trn_elem_type_t trn_elem_type_from_dtype(trn_dtype_t dtype) {
  switch (dtype) {
    case TRN_DTYPE_FP32: return TRN_ELEM_F32;
    case TRN_DTYPE_BF16: return TRN_ELEM_BF16;
    case TRN_DTYPE_FP16: return TRN_ELEM_F16;
    case TRN_DTYPE_INT32: return TRN_ELEM_I32;
    case TRN_DTYPE_INT8: return TRN_ELEM_I8;
    case TRN_DTYPE_UINT8: return TRN_ELEM_U8;
    default: return TRN_ELEM_UNDEFINED;
  }
}

trn_status_t trn_host_tensor_init(trn_host_tensor_t *out, const char *name, trn_elem_type_t type,
                                  uint32_t rank, const int64_t *dims) {
  if (!out) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor: out is NULL");
  memset(out, 0, sizeof *out);
  size_t esize = trn_elem_type_size(type);
  if (esize == 0)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor '%s': element type %s has no size",
                           name ? name : "", trn_elem_type_name(type));
  if (rank > TRN_MAX_RANK)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor '%s': rank %u exceeds %d",
                           name ? name : "", rank, TRN_MAX_RANK);
  uint64_t elems = 1;
  for (uint32_t i = 0; i < rank; i++) {
    if (dims[i] < 0)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor '%s': dim %u is negative (%lld)",
                             name ? name : "", i, (long long)dims[i]);
    if (dims[i] != 0 && elems > (UINT64_MAX / 16) / (uint64_t)dims[i])
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor '%s': size overflows",
                             name ? name : "");
    elems *= (uint64_t)dims[i];
  }
  if (elems > SIZE_MAX / esize)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor '%s': size overflows",
                           name ? name : "");
  size_t bytes = (size_t)elems * esize;
  /* At least one byte so that an empty tensor still has a distinct, freeable pointer. */
  void *data = calloc(bytes ? bytes : 1, 1);
  char *copy = NULL;
  if (name) {
    copy = malloc(strlen(name) + 1);
    if (copy) strcpy(copy, name);
  }
  if (!data || (name && !copy)) {
    free(data);
    free(copy);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "host tensor '%s': cannot allocate %zu bytes",
                           name ? name : "", bytes);
  }
  out->name = copy;
  out->type = type;
  out->rank = rank;
  for (uint32_t i = 0; i < rank; i++) out->dims[i] = dims[i];
  out->data = data;
  out->bytes = bytes;
  return NULL;
}

int64_t trn_host_tensor_elements(const trn_host_tensor_t *tensor) {
  int64_t n = 1;
  for (uint32_t i = 0; i < tensor->rank; i++) n *= tensor->dims[i];
  return n;
}

void trn_host_tensor_release(trn_host_tensor_t *tensor) {
  if (!tensor) return;
  free(tensor->name);
  free(tensor->data);
  memset(tensor, 0, sizeof *tensor);
}

void trn_host_tensors_free(trn_host_tensor_t *tensors, size_t count) {
  if (!tensors) return;
  for (size_t i = 0; i < count; i++) trn_host_tensor_release(&tensors[i]);
  free(tensors);
}

/* ---- element access ------------------------------------------------------------ */

static float ref_half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else { /* subnormal: normalize */
      int e = -1;
      do {
        e++;
        mant <<= 1;
      } while (!(mant & 0x400));
      bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mant & 0x3ff) << 13);
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | (mant << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (mant << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t ref_float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, mant = x & 0x7fffff;
  int32_t exp = (int32_t)((x >> 23) & 0xff);
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  exp = exp - 127 + 15;
  if (exp >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (exp <= 0) {
    if (exp < -10) return (uint16_t)sign;
    mant |= 0x800000;
    uint32_t shift = (uint32_t)(14 - exp);
    uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1))) half++;
    return (uint16_t)(sign | half);
  }
  uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13);
  uint32_t rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem == 0x1000 && (half & 1))) half++; /* may carry into exp: fine */
  return (uint16_t)half;
}

static float ref_bf16_to_float(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t ref_float_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffff) > 0x7f800000) return (uint16_t)((x >> 16) | 0x40);
  x += 0x7fff + ((x >> 16) & 1);
  return (uint16_t)(x >> 16);
}

static bool ref_is_float(trn_elem_type_t t) {
  return t == TRN_ELEM_F32 || t == TRN_ELEM_F64 || t == TRN_ELEM_F16 || t == TRN_ELEM_BF16;
}

static bool ref_is_unsigned(trn_elem_type_t t) {
  return t == TRN_ELEM_U8 || t == TRN_ELEM_U16 || t == TRN_ELEM_U32 || t == TRN_ELEM_U64 ||
         t == TRN_ELEM_BOOL;
}

static double ref_get_f(const void *data, trn_elem_type_t t, int64_t i) {
  const char *p = (const char *)data;
  switch (t) {
    case TRN_ELEM_F32: { float v; memcpy(&v, p + 4 * i, 4); return v; }
    case TRN_ELEM_F64: { double v; memcpy(&v, p + 8 * i, 8); return v; }
    case TRN_ELEM_F16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return ref_half_to_float(v); }
    case TRN_ELEM_BF16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return ref_bf16_to_float(v); }
    default: return 0.0;
  }
}

/* Integers widened: signed types sign-extend, unsigned zero-extend into the uint64. */
static uint64_t ref_get_i(const void *data, trn_elem_type_t t, int64_t i) {
  const char *p = (const char *)data;
  switch (t) {
    case TRN_ELEM_BOOL: return p[i] != 0;
    case TRN_ELEM_U8: return (uint8_t)p[i];
    case TRN_ELEM_I8: return (uint64_t)(int64_t)(int8_t)p[i];
    case TRN_ELEM_U16: { uint16_t v; memcpy(&v, p + 2 * i, 2); return v; }
    case TRN_ELEM_I16: { int16_t v; memcpy(&v, p + 2 * i, 2); return (uint64_t)(int64_t)v; }
    case TRN_ELEM_U32: { uint32_t v; memcpy(&v, p + 4 * i, 4); return v; }
    case TRN_ELEM_I32: { int32_t v; memcpy(&v, p + 4 * i, 4); return (uint64_t)(int64_t)v; }
    case TRN_ELEM_U64: case TRN_ELEM_I64: { uint64_t v; memcpy(&v, p + 8 * i, 8); return v; }
    default: return 0;
  }
}

static void ref_set_f(void *data, trn_elem_type_t t, int64_t i, double v) {
  char *p = (char *)data;
  switch (t) {
    case TRN_ELEM_F32: { float f = (float)v; memcpy(p + 4 * i, &f, 4); break; }
    case TRN_ELEM_F64: memcpy(p + 8 * i, &v, 8); break;
    case TRN_ELEM_F16: { uint16_t h = ref_float_to_half((float)v); memcpy(p + 2 * i, &h, 2); break; }
    case TRN_ELEM_BF16: { uint16_t h = ref_float_to_bf16((float)v); memcpy(p + 2 * i, &h, 2); break; }
    default: break;
  }
}

static void ref_set_i(void *data, trn_elem_type_t t, int64_t i, uint64_t v) {
  char *p = (char *)data;
  size_t size = trn_elem_type_size(t);
  if (t == TRN_ELEM_BOOL) v = v != 0;
  /* Little-endian truncation to the element width. */
  uint8_t bytes[8];
  for (size_t k = 0; k < 8; k++) bytes[k] = (uint8_t)(v >> (8 * k));
  memcpy(p + (int64_t)size * i, bytes, size);
}

/* A float converted to an integer type without undefined behaviour for out-of-range
 * values (they saturate; NaN gives 0). */
static uint64_t ref_float_to_int(double v, trn_elem_type_t t) {
  if (t == TRN_ELEM_BOOL) return v != 0.0;
  if (isnan(v)) return 0;
  if (ref_is_unsigned(t)) {
    if (v <= 0.0) return 0;
    if (v >= 18446744073709551615.0) return UINT64_MAX;
    return (uint64_t)v;
  }
  if (v <= -9223372036854775808.0) return (uint64_t)INT64_MIN;
  if (v >= 9223372036854775807.0) return (uint64_t)INT64_MAX;
  return (uint64_t)(int64_t)v;
}

trn_status_t trn_host_tensor_convert(const trn_host_tensor_t *src, trn_elem_type_t type,
                                     trn_host_tensor_t *out) {
  if (!src || !out) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "host tensor convert: NULL argument");
  memset(out, 0, sizeof *out);
  if (trn_elem_type_size(src->type) == 0 || trn_elem_type_size(type) == 0)
    return trn_status_make(TRN_ERR_UNSUPPORTED, "host tensor '%s': cannot convert %s to %s",
                           src->name ? src->name : "", trn_elem_type_name(src->type),
                           trn_elem_type_name(type));
  TRN_RETURN_IF_ERROR(trn_host_tensor_init(out, src->name, type, src->rank, src->dims));
  int64_t n = trn_host_tensor_elements(src);
  bool from_f = ref_is_float(src->type), to_f = ref_is_float(type);
  for (int64_t i = 0; i < n; i++) {
    if (from_f && to_f) {
      ref_set_f(out->data, type, i, ref_get_f(src->data, src->type, i));
    } else if (from_f) {
      ref_set_i(out->data, type, i, ref_float_to_int(ref_get_f(src->data, src->type, i), type));
    } else if (to_f) {
      uint64_t v = ref_get_i(src->data, src->type, i);
      double d = ref_is_unsigned(src->type) ? (double)v : (double)(int64_t)v;
      ref_set_f(out->data, type, i, d);
    } else {
      ref_set_i(out->data, type, i, ref_get_i(src->data, src->type, i));
    }
  }
  return NULL;
}

/* ---- comparison ---------------------------------------------------------------- */

static void ref_format_shape(const trn_host_tensor_t *t, char *buf, size_t size) {
  size_t used = 0;
  used += (size_t)snprintf(buf, size, "%s[", trn_elem_type_name(t->type));
  for (uint32_t i = 0; i < t->rank && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? "x%lld" : "%lld", (long long)t->dims[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
}

static void ref_index_text(const trn_host_tensor_t *t, int64_t flat, char *buf, size_t size) {
  int64_t idx[TRN_MAX_RANK];
  for (uint32_t i = t->rank; i-- > 0;) {
    idx[i] = t->dims[i] ? flat % t->dims[i] : 0;
    flat = t->dims[i] ? flat / t->dims[i] : 0;
  }
  size_t used = (size_t)snprintf(buf, size, "[");
  for (uint32_t i = 0; i < t->rank && used < size; i++)
    used += (size_t)snprintf(buf + used, size - used, i ? ",%lld" : "%lld", (long long)idx[i]);
  if (used < size) snprintf(buf + used, size - used, "]");
}

bool trn_host_tensor_allclose(const trn_host_tensor_t *actual, const trn_host_tensor_t *expected,
                              double rtol, double atol, char *why, size_t why_size) {
  char a_shape[160], e_shape[160];
  ref_format_shape(actual, a_shape, sizeof a_shape);
  ref_format_shape(expected, e_shape, sizeof e_shape);
  bool same_shape = actual->rank == expected->rank;
  for (uint32_t i = 0; same_shape && i < actual->rank; i++)
    same_shape = actual->dims[i] == expected->dims[i];
  if (!same_shape) {
    if (why) snprintf(why, why_size, "shape %s, expected %s", a_shape, e_shape);
    return false;
  }
  bool a_f = ref_is_float(actual->type), e_f = ref_is_float(expected->type);
  trn_elem_type_t a_type = actual->type;
  if (a_f != e_f || (!a_f && trn_elem_type_size(a_type) != trn_elem_type_size(expected->type)) ||
      trn_elem_type_size(a_type) == 0) {
    if (why) snprintf(why, why_size, "type %s, expected %s", a_shape, e_shape);
    return false;
  }
  if (!a_f) a_type = expected->type; /* signless integers: read with the expected signedness */
  int64_t n = trn_host_tensor_elements(expected), bad = 0, first = -1;
  double first_a = 0, first_e = 0;
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    double av, ev;
    if (e_f) {
      av = ref_get_f(actual->data, a_type, i);
      ev = ref_get_f(expected->data, expected->type, i);
      if (isnan(ev) || isnan(av))
        ok = isnan(ev) && isnan(av);
      else if (isinf(ev) || isinf(av))
        ok = av == ev;
      else
        ok = fabs(av - ev) <= atol + rtol * fabs(ev);
    } else {
      uint64_t ai = ref_get_i(actual->data, a_type, i), ei = ref_get_i(expected->data, expected->type, i);
      ok = ai == ei;
      bool u = ref_is_unsigned(expected->type);
      av = u ? (double)ai : (double)(int64_t)ai;
      ev = u ? (double)ei : (double)(int64_t)ei;
    }
    if (!ok) {
      if (first < 0) {
        first = i;
        first_a = av;
        first_e = ev;
      }
      bad++;
    }
  }
  if (bad == 0) return true;
  if (why) {
    char idx[160];
    ref_index_text(expected, first, idx, sizeof idx);
    snprintf(why, why_size, "%lld of %lld elements differ; first at %s: %.9g, expected %.9g",
             (long long)bad, (long long)n, idx, first_a, first_e);
  }
  return false;
}
