/* NumPy .npy reader and writer (see npy.h). */
#include "internal.h"
#include "npy.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FAIL(...) return trn_status_make(TRN_ERR_FORMAT, __VA_ARGS__)

void trn_npy_free(trn_npy_t *a) {
  if (!a) return;
  free(a->data);
  memset(a, 0, sizeof *a);
}

const char *trn_npy_shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t size) {
  size_t n = 0;
  if (size == 0) return buf;
  buf[0] = '\0';
  n += (size_t)snprintf(buf + n, size - n, "(");
  for (uint32_t i = 0; i < rank && n < size; i++)
    n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)dims[i]);
  if (n < size) n += (size_t)snprintf(buf + n, size - n, rank == 1 ? ",)" : ")");
  return buf;
}

/* ---- header dictionary parser ------------------------------------------------------ */

typedef struct lex_t {
  const char *p, *end;
} lex_t;

static void skip_ws(lex_t *l) {
  while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
    l->p++;
}

static bool eat(lex_t *l, char c) {
  skip_ws(l);
  if (l->p < l->end && *l->p == c) {
    l->p++;
    return true;
  }
  return false;
}

/* A quoted string into buf. */
static bool lex_str(lex_t *l, char *buf, size_t size) {
  skip_ws(l);
  if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) return false;
  char q = *l->p++;
  size_t n = 0;
  while (l->p < l->end && *l->p != q) {
    if (n + 1 >= size) return false;
    buf[n++] = *l->p++;
  }
  if (l->p >= l->end) return false;
  l->p++;
  buf[n] = '\0';
  return true;
}

static bool lex_word(lex_t *l, const char *w) {
  skip_ws(l);
  size_t n = strlen(w);
  if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
    l->p += n;
    return true;
  }
  return false;
}

static bool lex_int(lex_t *l, int64_t *out) {
  skip_ws(l);
  const char *s = l->p;
  int64_t v = 0;
  while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
    if (v > (INT64_MAX - 9) / 10) return false;
    v = v * 10 + (*l->p - '0');
    l->p++;
  }
  if (l->p == s) return false;
  if (l->p < l->end && *l->p == 'L') l->p++; /* Python 2 longs */
  *out = v;
  return true;
}

static trn_status_t parse_header(const char *name, const char *h, size_t len, char *descr,
                                 size_t descr_size, bool *fortran, uint32_t *rank,
                                 int64_t *dims) {
  lex_t l = {h, h + len};
  bool have_descr = false, have_fortran = false, have_shape = false;
  if (!eat(&l, '{')) FAIL("%s: header is not a dictionary", name);
  for (;;) {
    if (eat(&l, '}')) break;
    char key[32];
    if (!lex_str(&l, key, sizeof key)) FAIL("%s: header: expected a quoted key", name);
    if (!eat(&l, ':')) FAIL("%s: header: expected ':' after '%s'", name, key);
    if (strcmp(key, "descr") == 0) {
      if (!lex_str(&l, descr, descr_size))
        FAIL("%s: header: 'descr' is not a simple dtype string (structured arrays are not "
             "supported)", name);
      have_descr = true;
    } else if (strcmp(key, "fortran_order") == 0) {
      if (lex_word(&l, "True")) *fortran = true;
      else if (lex_word(&l, "False")) *fortran = false;
      else FAIL("%s: header: 'fortran_order' must be True or False", name);
      have_fortran = true;
    } else if (strcmp(key, "shape") == 0) {
      if (!eat(&l, '(')) FAIL("%s: header: 'shape' is not a tuple", name);
      *rank = 0;
      while (!eat(&l, ')')) {
        if (*rank >= TRN_MAX_RANK) FAIL("%s: header: rank above %d", name, TRN_MAX_RANK);
        if (!lex_int(&l, &dims[*rank])) FAIL("%s: header: bad dimension in 'shape'", name);
        (*rank)++;
        if (!eat(&l, ',')) {
          if (!eat(&l, ')')) FAIL("%s: header: expected ',' or ')' in 'shape'", name);
          break;
        }
      }
      have_shape = true;
    } else {
      FAIL("%s: header: unknown key '%s'", name, key);
    }
    if (!eat(&l, ',')) {
      if (!eat(&l, '}')) FAIL("%s: header: expected ',' or '}'", name);
      break;
    }
  }
  if (!have_descr || !have_fortran || !have_shape)
    FAIL("%s: header lacks %s", name, !have_descr ? "'descr'" : !have_fortran ? "'fortran_order'"
                                                                               : "'shape'");
  return NULL;
}

trn_status_t trn_npy_parse(const void *buf, size_t size, const char *name, trn_npy_t *out) {
  memset(out, 0, sizeof *out);
  const uint8_t *b = buf;
  if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0) FAIL("%s: not a .npy file (bad magic)", name);
  uint32_t major = b[6];
  size_t hlen, hstart;
  if (major == 1) {
    hlen = (size_t)b[8] | (size_t)b[9] << 8;
    hstart = 10;
  } else if (major == 2 || major == 3) {
    if (size < 12) FAIL("%s: truncated header", name);
    hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
    hstart = 12;
  } else {
    FAIL("%s: unsupported .npy version %u.%u", name, major, b[7]);
  }
  if (hlen > size - hstart) FAIL("%s: header of %zu bytes runs past the end of the file", name, hlen);
  char descr[32];
  bool fortran = false;
  uint32_t rank = 0;
  int64_t dims[TRN_MAX_RANK];
  TRN_RETURN_IF_ERROR(parse_header(name, (const char *)b + hstart, hlen, descr, sizeof descr,
                                   &fortran, &rank, dims));
  /* dtype */
  size_t dl = strlen(descr);
  if (dl < 3) FAIL("%s: unsupported dtype '%s'", name, descr);
  char order = descr[0], kind = descr[1];
  char *endp;
  long isz = strtol(descr + 2, &endp, 10);
  if (*endp != '\0' || (order != '<' && order != '>' && order != '|' && order != '='))
    FAIL("%s: unsupported dtype '%s'", name, descr);
  bool ok = (kind == 'f' && (isz == 2 || isz == 4 || isz == 8)) ||
            ((kind == 'i' || kind == 'u') && (isz == 1 || isz == 2 || isz == 4 || isz == 8)) ||
            (kind == 'b' && isz == 1);
  if (!ok) FAIL("%s: unsupported dtype '%s' (floats f2 f4 f8, ints i1..i8, u1..u8, b1)", name, descr);
  bool swap = order == '>' && isz > 1;
  uint64_t count = 1;
  for (uint32_t i = 0; i < rank; i++) {
    if (dims[i] < 0) FAIL("%s: negative dimension", name);
    if (dims[i] != 0 && count > UINT64_MAX / 4 / 8 / (uint64_t)dims[i])
      FAIL("%s: shape too large", name);
    count *= (uint64_t)dims[i];
  }
  uint64_t bytes = count * (uint64_t)isz;
  size_t dstart = hstart + hlen;
  if (bytes > size - dstart)
    FAIL("%s: data is %zu bytes, the shape needs %llu", name, size - dstart,
         (unsigned long long)bytes);
  uint8_t *data = malloc(bytes ? bytes : 1);
  if (!data) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: %llu bytes", name, (unsigned long long)bytes);
  const uint8_t *src = b + dstart;
  if (fortran && rank > 1) {
    /* C index -> Fortran offset */
    int64_t idx[TRN_MAX_RANK] = {0};
    for (uint64_t c = 0; c < count; c++) {
      uint64_t off = 0, mul = 1;
      for (uint32_t k = 0; k < rank; k++) {
        off += (uint64_t)idx[k] * mul;
        mul *= (uint64_t)dims[k];
      }
      memcpy(data + c * (uint64_t)isz, src + off * (uint64_t)isz, (size_t)isz);
      for (int k = (int)rank - 1; k >= 0; k--) {
        if (++idx[k] < dims[k]) break;
        idx[k] = 0;
      }
    }
  } else {
    memcpy(data, src, bytes);
  }
  if (swap)
    for (uint64_t i = 0; i < count; i++) {
      uint8_t *e = data + i * (uint64_t)isz;
      for (long j = 0; j < isz / 2; j++) {
        uint8_t t = e[j];
        e[j] = e[isz - 1 - j];
        e[isz - 1 - j] = t;
      }
    }
  out->kind = kind;
  out->itemsize = (uint32_t)isz;
  snprintf(out->descr, sizeof out->descr, "%c%c%ld", isz == 1 ? '|' : '<', kind, isz);
  out->rank = rank;
  memcpy(out->dims, dims, sizeof dims[0] * rank);
  out->count = count;
  out->data = data;
  return NULL;
}

trn_status_t trn_npy_read_all(const char *path, uint8_t **out_data, size_t *out_size) {
  *out_data = NULL;
  *out_size = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  for (;;) {
    if (!buf) {
      fclose(f);
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: reading", path);
    }
    n += fread(buf + n, 1, cap - n, f);
    if (n < cap) break;
    cap *= 2;
    uint8_t *nb = realloc(buf, cap);
    if (!nb) free(buf);
    buf = nb;
  }
  bool err = ferror(f) != 0;
  fclose(f);
  if (err) {
    free(buf);
    return trn_status_make(TRN_ERR_IO, "%s: read error", path);
  }
  *out_data = buf;
  *out_size = n;
  return NULL;
}

trn_status_t trn_npy_read_file(const char *path, trn_npy_t *out) {
  memset(out, 0, sizeof *out);
  uint8_t *buf;
  size_t n;
  TRN_RETURN_IF_ERROR(trn_npy_read_all(path, &buf, &n));
  trn_status_t st = trn_npy_parse(buf, n, path, out);
  free(buf);
  return st;
}

double trn_npy_get(const trn_npy_t *a, uint64_t i) {
  const uint8_t *e = a->data + i * a->itemsize;
  switch (a->kind) {
  case 'f':
    if (a->itemsize == 2) {
      uint16_t h;
      memcpy(&h, e, 2);
      return trn_isa_f16_to_f32(h);
    } else if (a->itemsize == 4) {
      float v;
      memcpy(&v, e, 4);
      return v;
    } else {
      double v;
      memcpy(&v, e, 8);
      return v;
    }
  case 'i':
    switch (a->itemsize) {
    case 1: return (int8_t)e[0];
    case 2: { int16_t v; memcpy(&v, e, 2); return v; }
    case 4: { int32_t v; memcpy(&v, e, 4); return v; }
    default: { int64_t v; memcpy(&v, e, 8); return (double)v; }
    }
  case 'u':
    switch (a->itemsize) {
    case 1: return e[0];
    case 2: { uint16_t v; memcpy(&v, e, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, e, 4); return v; }
    default: { uint64_t v; memcpy(&v, e, 8); return (double)v; }
    }
  case 'b': return e[0] != 0;
  default: return 0;
  }
}

/* Integer element i as int64 (saturating for u8 above INT64_MAX). */
static int64_t npy_get_int(const trn_npy_t *a, uint64_t i) {
  const uint8_t *e = a->data + i * a->itemsize;
  if (a->kind == 'b') return e[0] != 0;
  if (a->kind == 'u') {
    uint64_t v = 0;
    memcpy(&v, e, a->itemsize); /* little-endian host */
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
  }
  switch (a->itemsize) {
  case 1: return (int8_t)e[0];
  case 2: { int16_t v; memcpy(&v, e, 2); return v; }
  case 4: { int32_t v; memcpy(&v, e, 4); return v; }
  default: { int64_t v; memcpy(&v, e, 8); return v; }
  }
}

trn_status_t trn_npy_to_dtype(const trn_npy_t *a, trn_dtype_t dtype, void *out, const char *what) {
  bool dst_int = dtype == TRN_DTYPE_INT32 || dtype == TRN_DTYPE_INT8 || dtype == TRN_DTYPE_UINT8;
  if (dst_int && a->kind == 'f')
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "%s: the tensor is %s but the file holds float data ('%s')", what,
                           trn_isa_dtype_name(dtype), a->descr);
  uint8_t *o = out;
  for (uint64_t i = 0; i < a->count; i++) {
    if (dst_int) {
      int64_t v = npy_get_int(a, i);
      int64_t lo = dtype == TRN_DTYPE_INT32 ? INT32_MIN : dtype == TRN_DTYPE_INT8 ? -128 : 0;
      int64_t hi = dtype == TRN_DTYPE_INT32 ? INT32_MAX : dtype == TRN_DTYPE_INT8 ? 127 : 255;
      if (dtype == TRN_DTYPE_INT32 && (v < lo || v > hi)) /* an int64 model input runs as int32 */
        return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: element %llu = %lld does not fit %s", what,
                               (unsigned long long)i, (long long)v, trn_isa_dtype_name(dtype));
      if (v < lo) v = lo;
      if (v > hi) v = hi;
      if (dtype == TRN_DTYPE_INT32) {
        int32_t w = (int32_t)v;
        memcpy(o + 4 * i, &w, 4);
      } else {
        o[i] = dtype == TRN_DTYPE_INT8 ? (uint8_t)(int8_t)v : (uint8_t)v;
      }
    } else {
      float v = a->kind == 'f' ? (float)trn_npy_get(a, i) : (float)npy_get_int(a, i);
      trn_isa_store_f32(out, dtype, i, v);
    }
  }
  return NULL;
}

double trn_npy_tensor_get(trn_dtype_t dtype, const void *data, uint64_t i) {
  if (dtype == TRN_DTYPE_INT32) {
    int32_t v;
    memcpy(&v, (const uint8_t *)data + 4 * i, 4);
    return v;
  }
  return trn_isa_load_f32(data, dtype, i);
}

trn_status_t trn_npy_write_memory(trn_dtype_t dtype, uint32_t rank, const int64_t *dims,
                                  const void *data, void **out_data, size_t *out_size) {
  *out_data = NULL;
  *out_size = 0;
  const char *descr;
  size_t isz;
  switch (dtype) {
  case TRN_DTYPE_FP32: case TRN_DTYPE_BF16: descr = "<f4"; isz = 4; break;
  case TRN_DTYPE_FP16: descr = "<f2"; isz = 2; break;
  case TRN_DTYPE_INT32: descr = "<i4"; isz = 4; break;
  case TRN_DTYPE_INT8: descr = "|i1"; isz = 1; break;
  case TRN_DTYPE_UINT8: descr = "|u1"; isz = 1; break;
  default: return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "npy: dtype %d", (int)dtype);
  }
  if (rank > TRN_MAX_RANK) return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "npy: rank %u", rank);
  uint64_t count = 1;
  for (uint32_t i = 0; i < rank; i++) count *= (uint64_t)dims[i];
  char shape[256], dict[512];
  trn_npy_shape_str(rank, dims, shape, sizeof shape);
  int dl = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                    descr, shape);
  size_t pre = 10, hl = (size_t)dl + 1; /* + '\n' */
  int major = 1;
  if ((pre + hl + 63) / 64 * 64 - pre > 65535) {
    major = 2;
    pre = 12;
  }
  size_t total_h = (pre + hl + 63) / 64 * 64;
  size_t hlen = total_h - pre;
  size_t size = total_h + count * isz;
  uint8_t *buf = malloc(size);
  if (!buf) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "npy: %zu bytes", size);
  memcpy(buf, "\x93NUMPY", 6);
  buf[6] = (uint8_t)major;
  buf[7] = 0;
  if (major == 1) {
    buf[8] = (uint8_t)hlen;
    buf[9] = (uint8_t)(hlen >> 8);
  } else {
    for (int i = 0; i < 4; i++) buf[8 + i] = (uint8_t)(hlen >> (8 * i));
  }
  memcpy(buf + pre, dict, (size_t)dl);
  memset(buf + pre + dl, ' ', hlen - (size_t)dl - 1);
  buf[total_h - 1] = '\n';
  uint8_t *o = buf + total_h;
  if (dtype == TRN_DTYPE_BF16) {
    for (uint64_t i = 0; i < count; i++) {
      float v = trn_isa_load_f32(data, dtype, i);
      memcpy(o + 4 * i, &v, 4);
    }
  } else if (count) {
    memcpy(o, data, count * isz);
  }
  *out_data = buf;
  *out_size = size;
  return NULL;
}

trn_status_t trn_npy_write_file(const char *path, trn_dtype_t dtype, uint32_t rank,
                                const int64_t *dims, const void *data) {
  void *buf;
  size_t size;
  TRN_RETURN_IF_ERROR(trn_npy_write_memory(dtype, rank, dims, data, &buf, &size));
  trn_rt_outfile_t out;
  trn_status_t st = trn_rt_outfile_open(path, &out);
  if (!st) {
    fwrite(buf, 1, size, out.file); /* a short write sets the stream's error */
    st = trn_rt_outfile_close(&out, true);
  }
  free(buf);
  return st;
}
