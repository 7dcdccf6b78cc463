/* !trn_tile.tile types from C. IRDL types have no C accessors for their parameters,
 * so they are made by parsing their text and read back from their printed form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/BuiltinTypes.h"
#include "trn/dialects.h"

MlirType trn_dialects_dtype_type(MlirContext ctx, trn_dtype_t dtype) {
  switch (dtype) {
  case TRN_DTYPE_FP32: return mlirF32TypeGet(ctx);
  case TRN_DTYPE_BF16: return mlirBF16TypeGet(ctx);
  case TRN_DTYPE_FP16: return mlirF16TypeGet(ctx);
  case TRN_DTYPE_INT32: return mlirIntegerTypeGet(ctx, 32);
  case TRN_DTYPE_INT8: return mlirIntegerTypeGet(ctx, 8);
  case TRN_DTYPE_UINT8: return mlirIntegerTypeUnsignedGet(ctx, 8);
  default: return (MlirType){NULL};
  }
}

bool trn_dialects_dtype_of(MlirType t, trn_dtype_t *out) {
  if (mlirTypeIsAF32(t)) *out = TRN_DTYPE_FP32;
  else if (mlirTypeIsABF16(t)) *out = TRN_DTYPE_BF16;
  else if (mlirTypeIsAF16(t)) *out = TRN_DTYPE_FP16;
  else if (mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 32 && !mlirIntegerTypeIsUnsigned(t)) *out = TRN_DTYPE_INT32;
  else if (mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 8 && !mlirIntegerTypeIsUnsigned(t)) *out = TRN_DTYPE_INT8;
  else if (mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 8) *out = TRN_DTYPE_UINT8;
  else if (mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 1) *out = TRN_DTYPE_UINT8; /* bool: 0 or 1 */
  else return false;
  return true;
}

static const char *const kElemNames[TRN_DTYPE_COUNT] = {"f32", "bf16", "f16", "i32", "i8", "ui8"};

MlirType trn_dialects_tile_type_get(MlirContext ctx, const trn_tile_type_t *tile) {
  char buf[512];
  size_t n = 0;
  if (tile->rank < 1 || tile->rank > TRN_TILE_MAX_RANK || (unsigned)tile->dtype >= TRN_DTYPE_COUNT ||
      (tile->space != TRN_SPACE_SBUF && tile->space != TRN_SPACE_PSUM && tile->space != TRN_SPACE_HBM))
    return (MlirType){NULL};
  n += (size_t)snprintf(buf + n, sizeof buf - n, "!trn_tile.tile<[");
  for (uint32_t i = 0; i < tile->rank; i++)
    n += (size_t)snprintf(buf + n, sizeof buf - n, "%s%lld", i ? ", " : "", (long long)tile->dims[i]);
  snprintf(buf + n, sizeof buf - n, "], %s, \"%s\">", kElemNames[tile->dtype], trn_isa_space_name(tile->space));
  return mlirTypeParseGet(ctx, mlirStringRefCreateFromCString(buf));
}

typedef struct strbuf_t {
  char data[512];
  size_t len;
} strbuf_t;

static void append(MlirStringRef s, void *user) {
  strbuf_t *b = user;
  size_t n = s.length;
  if (n > sizeof b->data - 1 - b->len) n = sizeof b->data - 1 - b->len;
  memcpy(b->data + b->len, s.data, n);
  b->len += n;
  b->data[b->len] = 0;
}

bool trn_dialects_tile_type_read(MlirType type, trn_tile_type_t *out) {
  strbuf_t b = {.len = 0};
  b.data[0] = 0;
  memset(out, 0, sizeof *out);
  mlirTypePrint(type, append, &b);
  const char *prefix = "!trn_tile.tile<[";
  if (strncmp(b.data, prefix, strlen(prefix)) != 0) return false;
  const char *p = b.data + strlen(prefix);
  while (*p && *p != ']') {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p || out->rank >= TRN_TILE_MAX_RANK) return false;
    out->dims[out->rank++] = v;
    p = end;
    while (*p == ',' || *p == ' ') p++;
  }
  if (*p != ']' || out->rank == 0) return false;
  p++;
  while (*p == ',' || *p == ' ') p++;
  int found = -1;
  for (int i = 0; i < TRN_DTYPE_COUNT; i++) {
    size_t l = strlen(kElemNames[i]);
    if (strncmp(p, kElemNames[i], l) == 0 && p[l] == ',') found = i;
  }
  if (found < 0) return false;
  out->dtype = (trn_dtype_t)found;
  p = strchr(p, '"');
  if (!p) return false;
  p++;
  if (strncmp(p, "sbuf\"", 5) == 0) out->space = TRN_SPACE_SBUF;
  else if (strncmp(p, "psum\"", 5) == 0) out->space = TRN_SPACE_PSUM;
  else if (strncmp(p, "hbm\"", 4) == 0) out->space = TRN_SPACE_HBM;
  else return false;
  return true;
}
