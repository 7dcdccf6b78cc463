/* Unit tests of isa/src/numeric.c: exact dtype conversions. */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "isa_test_util.h"

static float f32(uint32_t bits) {
  float f;
  memcpy(&f, &bits, 4);
  return f;
}
static uint32_t bits(float f) {
  uint32_t b;
  memcpy(&b, &f, 4);
  return b;
}

START_TEST(test_bf16_rounding) {
  ck_assert_uint_eq(trn_isa_f32_to_bf16(1.0f), 0x3F80);
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x3F808000)), 0x3F80); /* tie, even below */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x3F818000)), 0x3F82); /* tie, odd below: up */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x3F808001)), 0x3F81); /* above tie */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x3F807FFF)), 0x3F80); /* below tie */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0xBF818000)), 0xBF82); /* negative */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(-0.0f), 0x8000);
}
END_TEST

START_TEST(test_bf16_special_values) {
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x7F7FFFFF)), 0x7F80); /* FLT_MAX overflows */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x7F7F7FFF)), 0x7F7F);
  ck_assert_uint_eq(trn_isa_f32_to_bf16(INFINITY), 0x7F80);
  ck_assert_uint_eq(trn_isa_f32_to_bf16(-INFINITY), 0xFF80);
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x7FC00000)), 0x7FC0);
  uint16_t snan = trn_isa_f32_to_bf16(f32(0x7F800001)); /* payload only in low bits */
  ck_assert(isnan(trn_isa_bf16_to_f32(snan)));
  ck_assert(isnan(trn_isa_bf16_to_f32(trn_isa_f32_to_bf16(f32(0xFFFFFFFF)))));
  /* Denormals: exact rounding at the bottom of the range. */
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x00008000)), 0x0000);
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x00018000)), 0x0002);
  ck_assert_uint_eq(trn_isa_f32_to_bf16(f32(0x00008001)), 0x0001);
  ck_assert_uint_eq(bits(trn_isa_bf16_to_f32(0x0001)), 0x00010000);
  /* Every bf16 survives a round trip. */
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = trn_isa_bf16_to_f32((uint16_t)h);
    if (isnan(f)) continue;
    ck_assert_uint_eq(trn_isa_f32_to_bf16(f), h);
  }
}
END_TEST

START_TEST(test_f16_rounding) {
  ck_assert_uint_eq(trn_isa_f32_to_f16(1.0f), 0x3C00);
  ck_assert_uint_eq(trn_isa_f32_to_f16(-2.0f), 0xC000);
  ck_assert_uint_eq(trn_isa_f32_to_f16(f32(0x3F801000)), 0x3C00); /* 1 + 2^-11: tie, even */
  ck_assert_uint_eq(trn_isa_f32_to_f16(f32(0x3F803000)), 0x3C02); /* 1 + 3*2^-11: tie, up */
  ck_assert_uint_eq(trn_isa_f32_to_f16(f32(0x3F801001)), 0x3C01);
  ck_assert_uint_eq(trn_isa_f32_to_f16(65504.0f), 0x7BFF);
  ck_assert_uint_eq(trn_isa_f32_to_f16(65519.0f), 0x7BFF);
  ck_assert_uint_eq(trn_isa_f32_to_f16(65520.0f), 0x7C00); /* overflow to inf */
  ck_assert_uint_eq(trn_isa_f32_to_f16(1e10f), 0x7C00);
  ck_assert_uint_eq(trn_isa_f32_to_f16(-1e10f), 0xFC00);
  ck_assert_uint_eq(trn_isa_f32_to_f16(-0.0f), 0x8000);
}
END_TEST

START_TEST(test_f16_denormals_and_nan) {
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(1, -24)), 0x0001);
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(1, -25)), 0x0000);    /* tie to even 0 */
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(1.5f, -25)), 0x0001); /* above the tie */
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(3, -25)), 0x0002);    /* 1.5 units: tie, up */
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(5, -25)), 0x0002);    /* 2.5 units: tie, down */
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(1, -14)), 0x0400);
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(1023, -24)), 0x03FF);
  ck_assert_uint_eq(trn_isa_f32_to_f16(ldexpf(2047, -25)), 0x0400); /* carry into normal */
  ck_assert_uint_eq(trn_isa_f32_to_f16(-ldexpf(1, -24)), 0x8001);
  ck_assert_uint_eq(trn_isa_f32_to_f16(f32(0x00000001)), 0x0000); /* f32 denormal */
  ck_assert_float_eq(trn_isa_f16_to_f32(0x0001), ldexpf(1, -24));
  ck_assert_float_eq(trn_isa_f16_to_f32(0x03FF), ldexpf(1023, -24));
  ck_assert_float_eq(trn_isa_f16_to_f32(0x7BFF), 65504.0f);
  ck_assert(isinf(trn_isa_f16_to_f32(0x7C00)) && trn_isa_f16_to_f32(0xFC00) < 0);
  ck_assert(isnan(trn_isa_f16_to_f32(0x7E00)));
  ck_assert_uint_eq(bits(trn_isa_f16_to_f32(0x8000)), 0x80000000u);
  uint16_t n = trn_isa_f32_to_f16(f32(0x7F800001));
  ck_assert(isnan(trn_isa_f16_to_f32(n)));
  ck_assert(isnan(trn_isa_f16_to_f32(trn_isa_f32_to_f16(NAN))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    float f = trn_isa_f16_to_f32((uint16_t)h);
    if (isnan(f)) continue;
    ck_assert_uint_eq(trn_isa_f32_to_f16(f), h);
  }
}
END_TEST

#ifdef __FLT16_MAX__
/* Compare against the compiler's own correctly rounded float -> _Float16. */
START_TEST(test_f16_matches_compiler) {
  trn_test_rng_t rng = {77};
  for (int i = 0; i < 1000000; ++i) {
    uint32_t b = trn_test_rand(&rng) << 1 ^ trn_test_rand(&rng);
    float f = f32(b);
    if (isnan(f)) continue;
    _Float16 h = (_Float16)f;
    uint16_t hb;
    memcpy(&hb, &h, 2);
    ck_assert_msg(trn_isa_f32_to_f16(f) == hb, "0x%08x: 0x%04x != 0x%04x", b,
                  trn_isa_f32_to_f16(f), hb);
  }
}
END_TEST
#endif

START_TEST(test_store_int_saturates) {
  int8_t i8[1];
  uint8_t u8[1];
  int32_t i32[1];
  static const struct {
    float in;
    int8_t i8;
    uint8_t u8;
    int32_t i32;
  } cases[] = {
      {2.5f, 2, 2, 2},          {3.5f, 4, 4, 4},       {-2.5f, -2, 0, -2},
      {127.4f, 127, 127, 127},  {200.0f, 127, 200, 200}, {-200.0f, -128, 0, -200},
      {254.5f, 127, 254, 254},  {255.5f, 127, 255, 256}, {300.0f, 127, 255, 300},
      {0.5f, 0, 0, 0},          {1.5f, 2, 2, 2},       {-0.5f, 0, 0, 0},
      {3e9f, 127, 255, INT32_MAX}, {-3e9f, -128, 0, INT32_MIN},
      {2147483520.0f, 127, 255, 2147483520}, {-2147483648.0f, -128, 0, INT32_MIN},
      {INFINITY, 127, 255, INT32_MAX}, {-INFINITY, -128, 0, INT32_MIN},
      {NAN, 0, 0, 0},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    trn_isa_store_f32(i8, TRN_DTYPE_INT8, 0, cases[i].in);
    trn_isa_store_f32(u8, TRN_DTYPE_UINT8, 0, cases[i].in);
    trn_isa_store_f32(i32, TRN_DTYPE_INT32, 0, cases[i].in);
    ck_assert_msg(i8[0] == cases[i].i8, "i8 of %g: %d", (double)cases[i].in, i8[0]);
    ck_assert_msg(u8[0] == cases[i].u8, "u8 of %g: %d", (double)cases[i].in, u8[0]);
    ck_assert_msg(i32[0] == cases[i].i32, "i32 of %g: %d", (double)cases[i].in, i32[0]);
  }
}
END_TEST

START_TEST(test_load_store_every_dtype) {
  uint8_t buf[64];
  memset(buf, 0, sizeof buf);
  for (int dt = 0; dt < TRN_DTYPE_COUNT; ++dt) {
    for (size_t i = 0; i < 4; ++i) trn_isa_store_f32(buf + 1, (trn_dtype_t)dt, i, (float)i - 1.0f);
    for (size_t i = 0; i < 4; ++i) {
      float want = dt == TRN_DTYPE_UINT8 && i == 0 ? 0.0f : (float)i - 1.0f;
      ck_assert_float_eq(trn_isa_load_f32(buf + 1, (trn_dtype_t)dt, i), want);
    }
  }
  trn_isa_store_f32(buf, TRN_DTYPE_BF16, 1, f32(0x3F818000));
  uint16_t h;
  memcpy(&h, buf + 2, 2);
  ck_assert_uint_eq(h, 0x3F82);
  buf[0] = 0xFF;
  ck_assert_float_eq(trn_isa_load_f32(buf, TRN_DTYPE_INT8, 0), -1.0f);
  ck_assert_float_eq(trn_isa_load_f32(buf, TRN_DTYPE_UINT8, 0), 255.0f);
  int32_t big = 16777217;
  memcpy(buf, &big, 4);
  ck_assert_float_eq(trn_isa_load_f32(buf, TRN_DTYPE_INT32, 0), 16777216.0f);
}
END_TEST

int main(void) {
  Suite *s = suite_create("isa_numeric");
  TCase *tc = tcase_create("numeric");
  tcase_add_test(tc, test_bf16_rounding);
  tcase_add_test(tc, test_bf16_special_values);
  tcase_add_test(tc, test_f16_rounding);
  tcase_add_test(tc, test_f16_denormals_and_nan);
#ifdef __FLT16_MAX__
  tcase_add_test(tc, test_f16_matches_compiler);
#endif
  tcase_add_test(tc, test_store_int_saturates);
  tcase_add_test(tc, test_load_store_every_dtype);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
