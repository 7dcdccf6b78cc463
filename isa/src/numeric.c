/* Exact dtype conversions. Rounding is round-to-nearest-even everywhere; integer
 * arithmetic on the IEEE bit patterns so the result never depends on the host FPU
 * rounding mode or flush-to-zero settings. */
#include <math.h>
#include <string.h>

#include "internal.h"

static uint32_t trn_isa_f32_bits(float x) {
  uint32_t b;
  memcpy(&b, &x, 4);
  return b;
}

static float trn_isa_bits_f32(uint32_t b) {
  float x;
  memcpy(&x, &b, 4);
  return x;
}

uint16_t trn_isa_f32_to_bf16(float x) {
  uint32_t b = trn_isa_f32_bits(x);
  if ((b & 0x7FFFFFFFu) > 0x7F800000u) /* NaN: keep sign and top payload, force quiet */
    return (uint16_t)((b >> 16) | 0x0040u);
  b += 0x7FFFu + ((b >> 16) & 1u); /* ties to even; carries into the exponent, up to inf */
  return (uint16_t)(b >> 16);
}

float trn_isa_bf16_to_f32(uint16_t x) { return trn_isa_bits_f32((uint32_t)x << 16); }

uint16_t trn_isa_f32_to_f16(float x) {
  uint32_t b = trn_isa_f32_bits(x);
  uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
  b &= 0x7FFFFFFFu;
  if (b > 0x7F800000u) /* NaN: quiet, keep the top payload bits */
    return (uint16_t)(sign | 0x7E00u | ((b >> 13) & 0x3FFu));
  if (b >= 0x477FF000u) /* >= 65520 rounds to inf (65504 has an odd mantissa) */
    return (uint16_t)(sign | 0x7C00u);
  if (b >= 0x38800000u) { /* normal in fp16: >= 2^-14 */
    b -= (uint32_t)(127 - 15) << 23;
    b += 0xFFFu + ((b >> 13) & 1u);
    return (uint16_t)(sign | (b >> 13));
  }
  uint32_t e = b >> 23;
  if (e < 102) return sign; /* < 2^-25: rounds to zero (2^-25 itself ties to even 0) */
  /* Subnormal result: value = m * 2^(e-150); fp16 unit 2^-24 -> shift right 126-e. */
  uint32_t m = (b & 0x7FFFFFu) | 0x800000u;
  uint32_t shift = 126 - e; /* 14..24 */
  uint32_t q = m >> shift;
  uint32_t r = m & ((1u << shift) - 1u);
  uint32_t half = 1u << (shift - 1);
  if (r > half || (r == half && (q & 1u))) ++q; /* may carry into the smallest normal */
  return (uint16_t)(sign | q);
}

float trn_isa_f16_to_f32(uint16_t x) {
  uint32_t sign = (uint32_t)(x & 0x8000u) << 16;
  uint32_t e = (x >> 10) & 0x1Fu;
  uint32_t m = x & 0x3FFu;
  if (e == 0x1F) return trn_isa_bits_f32(sign | 0x7F800000u | (m << 13));
  if (e != 0) return trn_isa_bits_f32(sign | ((e + 112) << 23) | (m << 13));
  if (m == 0) return trn_isa_bits_f32(sign);
  /* Subnormal: normalize. */
  e = 113;
  while (!(m & 0x400u)) {
    m <<= 1;
    --e;
  }
  return trn_isa_bits_f32(sign | (e << 23) | ((m & 0x3FFu) << 13));
}

/* Round to nearest even and saturate to [lo, hi]; NaN -> 0. lo and hi are exact in
 * double, and every float is too. */
static int64_t trn_isa_f32_to_int(float x, int64_t lo, int64_t hi) {
  if (isnan(x)) return 0;
  double v = (double)x;
  if (v <= (double)lo) return lo;
  if (v >= (double)hi) return hi;
  double f = floor(v);
  double diff = v - f; /* exact: |v| < 2^31 */
  int64_t i = (int64_t)f;
  if (diff > 0.5 || (diff == 0.5 && (i & 1))) ++i;
  return i;
}

float trn_isa_load_f32(const void *base, trn_dtype_t dtype, size_t index) {
  const uint8_t *p = (const uint8_t *)base;
  switch (dtype) {
  case TRN_DTYPE_FP32: {
    float v;
    memcpy(&v, p + 4 * index, 4);
    return v;
  }
  case TRN_DTYPE_BF16: {
    uint16_t h;
    memcpy(&h, p + 2 * index, 2);
    return trn_isa_bf16_to_f32(h);
  }
  case TRN_DTYPE_FP16: {
    uint16_t h;
    memcpy(&h, p + 2 * index, 2);
    return trn_isa_f16_to_f32(h);
  }
  case TRN_DTYPE_INT32: {
    int32_t v;
    memcpy(&v, p + 4 * index, 4);
    return (float)v;
  }
  case TRN_DTYPE_INT8: return (float)(int8_t)p[index];
  case TRN_DTYPE_UINT8: return (float)p[index];
  default: return 0.0f;
  }
}

void trn_isa_store_f32(void *base, trn_dtype_t dtype, size_t index, float value) {
  uint8_t *p = (uint8_t *)base;
  switch (dtype) {
  case TRN_DTYPE_FP32: memcpy(p + 4 * index, &value, 4); break;
  case TRN_DTYPE_BF16: {
    uint16_t h = trn_isa_f32_to_bf16(value);
    memcpy(p + 2 * index, &h, 2);
    break;
  }
  case TRN_DTYPE_FP16: {
    uint16_t h = trn_isa_f32_to_f16(value);
    memcpy(p + 2 * index, &h, 2);
    break;
  }
  case TRN_DTYPE_INT32: {
    int32_t v = (int32_t)trn_isa_f32_to_int(value, INT32_MIN, INT32_MAX);
    memcpy(p + 4 * index, &v, 4);
    break;
  }
  case TRN_DTYPE_INT8: p[index] = (uint8_t)(int8_t)trn_isa_f32_to_int(value, -128, 127); break;
  case TRN_DTYPE_UINT8: p[index] = (uint8_t)trn_isa_f32_to_int(value, 0, 255); break;
  default: break;
  }
}
