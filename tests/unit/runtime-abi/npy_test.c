/* Unit tests of the .npy reader and writer (npy.c). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "npy.h"

/* Builds a v1 .npy image from a header dict and raw data (header padded as NumPy does). */
static size_t make_npy(uint8_t *buf, const char *dict, const void *data, size_t bytes) {
  size_t dl = strlen(dict);
  size_t total = (10 + dl + 1 + 63) / 64 * 64;
  size_t hlen = total - 10;
  memcpy(buf, "\x93NUMPY\x01\x00", 8);
  buf[8] = (uint8_t)hlen;
  buf[9] = (uint8_t)(hlen >> 8);
  memcpy(buf + 10, dict, dl);
  memset(buf + 10 + dl, ' ', hlen - dl - 1);
  buf[total - 1] = '\n';
  memcpy(buf + total, data, bytes);
  return total + bytes;
}

#define NPY_FAILS(buf, size, needle)                                                       \
  do {                                                                                     \
    trn_npy_t a_;                                                                          \
    trn_status_t st_ = trn_npy_parse((buf), (size), "x.npy", &a_);                         \
    ck_assert_msg(st_ != NULL, "expected a failure for %s", needle);                       \
    ck_assert_int_eq(trn_status_code(st_), TRN_ERR_FORMAT);                                \
    ck_assert_msg(strstr(trn_status_message(st_), needle) != NULL, "message: %s",          \
                  trn_status_message(st_));                                                \
    ck_assert_msg(strncmp(trn_status_message(st_), "x.npy: ", 7) == 0, "no file name");    \
    ck_assert_ptr_null(a_.data);                                                           \
    trn_status_free(st_);                                                                  \
  } while (0)

START_TEST(test_npy_round_trip_every_dtype) {
  const trn_dtype_t dts[] = {TRN_DTYPE_FP32, TRN_DTYPE_FP16, TRN_DTYPE_INT32, TRN_DTYPE_INT8,
                             TRN_DTYPE_UINT8, TRN_DTYPE_BF16};
  int64_t dims[3] = {2, 3, 4};
  for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
    trn_dtype_t dt = dts[k];
    uint8_t data[24 * 4];
    for (int i = 0; i < 24; i++) trn_isa_store_f32(data, dt, (size_t)i, (float)(i - 5));
    void *buf;
    size_t size;
    ck_assert_ptr_null(trn_npy_write_memory(dt, 3, dims, data, &buf, &size));
    trn_npy_t a;
    trn_status_t st = trn_npy_parse(buf, size, "mem", &a);
    ck_assert_msg(st == NULL, "%s", trn_status_message(st));
    ck_assert_uint_eq(a.rank, 3);
    ck_assert_int_eq(a.dims[2], 4);
    ck_assert_uint_eq(a.count, 24);
    uint8_t back[24 * 4];
    ck_assert_ptr_null(trn_npy_to_dtype(&a, dt, back, "x"));
    ck_assert_msg(memcmp(back, data, 24 * trn_isa_dtype_size(dt)) == 0, "dtype %s",
                  trn_isa_dtype_name(dt));
    for (int i = 0; i < 24; i++) ck_assert(trn_npy_get(&a, (uint64_t)i) == i - 5 || dt == TRN_DTYPE_UINT8);
    ck_assert_uint_eq((10 + (size - a.count * a.itemsize) - 10) % 64, 0);
    trn_npy_free(&a);
    free(buf);
  }
}
END_TEST

START_TEST(test_npy_reads_fortran_bigendian_v2_and_scalars) {
  uint8_t buf[512];
  int32_t f[6] = {0, 3, 1, 4, 2, 5}; /* Fortran order of arange(6).reshape(2,3) */
  size_t n = make_npy(buf, "{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", f, 24);
  trn_npy_t a;
  ck_assert_ptr_null(trn_npy_parse(buf, n, "f.npy", &a));
  for (int i = 0; i < 6; i++) ck_assert(trn_npy_get(&a, (uint64_t)i) == i);
  trn_npy_free(&a);
  uint8_t be[6] = {0, 1, 0xff, 0xfe, 1, 0}; /* >i2: 1, -2, 256 */
  n = make_npy(buf, "{'descr': '>i2', 'fortran_order': False, 'shape': (3,), }", be, 6);
  ck_assert_ptr_null(trn_npy_parse(buf, n, "b.npy", &a));
  ck_assert(trn_npy_get(&a, 0) == 1 && trn_npy_get(&a, 1) == -2 && trn_npy_get(&a, 2) == 256);
  trn_npy_free(&a);
  double d = 2.5;
  n = make_npy(buf, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", &d, 8);
  ck_assert_ptr_null(trn_npy_parse(buf, n, "s.npy", &a));
  ck_assert_uint_eq(a.rank, 0);
  ck_assert_uint_eq(a.count, 1);
  ck_assert(trn_npy_get(&a, 0) == 2.5);
  trn_npy_free(&a);
  /* version 2.0 header: 4-byte length */
  n = make_npy(buf, "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }", "\x07\x09", 2);
  uint8_t v2[600];
  memcpy(v2, buf, 8);
  v2[6] = 2;
  size_t hlen = (size_t)buf[8] | (size_t)buf[9] << 8;
  v2[8] = (uint8_t)hlen;
  v2[9] = (uint8_t)(hlen >> 8);
  v2[10] = v2[11] = 0;
  memcpy(v2 + 12, buf + 10, n - 10);
  ck_assert_ptr_null(trn_npy_parse(v2, n + 2, "v2.npy", &a));
  ck_assert(trn_npy_get(&a, 1) == 9);
  trn_npy_free(&a);
}
END_TEST

START_TEST(test_npy_rejects_malformed_headers) {
  uint8_t buf[512];
  float z[4] = {0};
  NPY_FAILS((const uint8_t *)"hello", 5, "bad magic");
  size_t n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", z, 16);
  NPY_FAILS(buf, 9, "bad magic");
  NPY_FAILS(buf, 40, "runs past the end");
  NPY_FAILS(buf, n - 1, "data is 15 bytes, the shape needs 16");
  buf[6] = 7;
  NPY_FAILS(buf, n, "unsupported .npy version 7.0");
  n = make_npy(buf, "{'descr': '<c8', 'fortran_order': False, 'shape': (4,), }", z, 16);
  NPY_FAILS(buf, n, "unsupported dtype '<c8'");
  n = make_npy(buf, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", z, 16);
  NPY_FAILS(buf, n, "structured arrays");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (4,), }", z, 16);
  NPY_FAILS(buf, n, "True or False");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,, }", z, 16);
  NPY_FAILS(buf, n, "shape");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False}", z, 16);
  NPY_FAILS(buf, n, "lacks 'shape'");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", z, 16);
  NPY_FAILS(buf, n, "unknown key 'x'");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,2,3,4,5,6,7,8,9), }", z, 16);
  NPY_FAILS(buf, n, "rank above 8");
  n = make_npy(buf, "['descr']", z, 16);
  NPY_FAILS(buf, n, "not a dictionary");
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999), }", z, 16);
  NPY_FAILS(buf, n, "too large");
}
END_TEST

START_TEST(test_npy_conversions) {
  uint8_t buf[512];
  int64_t v[4] = {-1000, 5, 200, 1LL << 40};
  size_t n = make_npy(buf, "{'descr': '<i8', 'fortran_order': False, 'shape': (4,), }", v, 32);
  trn_npy_t a;
  ck_assert_ptr_null(trn_npy_parse(buf, n, "i.npy", &a));
  int8_t o8[4];
  ck_assert_ptr_null(trn_npy_to_dtype(&a, TRN_DTYPE_INT8, o8, "x"));
  ck_assert(o8[0] == -128 && o8[1] == 5 && o8[2] == 127 && o8[3] == 127);
  uint8_t u8[4];
  ck_assert_ptr_null(trn_npy_to_dtype(&a, TRN_DTYPE_UINT8, u8, "x"));
  ck_assert(u8[0] == 0 && u8[1] == 5 && u8[2] == 200 && u8[3] == 255);
  int32_t w32[4]; /* 2^40 does not fit: an error, not a wrapped or saturated value */
  trn_status_t big = trn_npy_to_dtype(&a, TRN_DTYPE_INT32, w32, "x");
  ck_assert_int_eq(trn_status_code(big), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_str_eq(trn_status_message(big), "x: element 3 = 1099511627776 does not fit i32");
  trn_status_free(big);
  float f[4];
  ck_assert_ptr_null(trn_npy_to_dtype(&a, TRN_DTYPE_FP32, f, "x"));
  ck_assert(f[0] == -1000.0f && f[3] == 1099511627776.0f);
  trn_npy_free(&a);
  float x[2] = {1.00390625f, 3.0f};
  n = make_npy(buf, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", x, 8);
  ck_assert_ptr_null(trn_npy_parse(buf, n, "f.npy", &a));
  uint16_t b16[2];
  ck_assert_ptr_null(trn_npy_to_dtype(&a, TRN_DTYPE_BF16, b16, "x"));
  ck_assert_uint_eq(b16[0], 0x3F80); /* tie rounds to even */
  int32_t i32[2];
  trn_status_t st = trn_npy_to_dtype(&a, TRN_DTYPE_INT32, i32, "input 'ids'");
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "input 'ids': the tensor is i32 but the file holds float data") != NULL,
                "%s", trn_status_message(st));
  trn_status_free(st);
  trn_npy_free(&a);
}
END_TEST

START_TEST(test_npy_file_round_trip_and_errors) {
  char dir[] = "/tmp/trn_npy_testXXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/a.npy", dir);
  float data[3] = {1, 2, 3};
  int64_t dims[1] = {3};
  ck_assert_ptr_null(trn_npy_write_file(path, TRN_DTYPE_FP32, 1, dims, data));
  trn_npy_t a;
  ck_assert_ptr_null(trn_npy_read_file(path, &a));
  ck_assert_uint_eq(a.count, 3);
  ck_assert(trn_npy_get(&a, 2) == 3.0);
  trn_npy_free(&a);
  unlink(path);
  snprintf(path, sizeof path, "%s/missing.npy", dir);
  trn_status_t st = trn_npy_read_file(path, &a);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  trn_status_free(st);
  snprintf(path, sizeof path, "%s/nodir/a.npy", dir);
  st = trn_npy_write_file(path, TRN_DTYPE_FP32, 1, dims, data);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  trn_status_free(st);
  rmdir(dir);
  char s[64];
  int64_t d2[2] = {2, 3};
  ck_assert_str_eq(trn_npy_shape_str(2, d2, s, sizeof s), "(2, 3)");
  ck_assert_str_eq(trn_npy_shape_str(1, d2, s, sizeof s), "(2,)");
  ck_assert_str_eq(trn_npy_shape_str(0, d2, s, sizeof s), "()");
}
END_TEST

static Suite *npy_suite(void) {
  Suite *s = suite_create("npy");
  TCase *tc = tcase_create("npy");
  tcase_add_test(tc, test_npy_round_trip_every_dtype);
  tcase_add_test(tc, test_npy_reads_fortran_bigendian_v2_and_scalars);
  tcase_add_test(tc, test_npy_rejects_malformed_headers);
  tcase_add_test(tc, test_npy_conversions);
  tcase_add_test(tc, test_npy_file_round_trip_and_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(npy_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
