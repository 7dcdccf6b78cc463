/* Tests of the container basics: status objects, the CRC-32 and the header layout. */
#include "neff_test_util.h"

START_TEST(test_status_make_formats_message) {
  trn_status_t st = trn_status_make(TRN_ERR_FORMAT, "file %s at %d", "a.neff", 12);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_FORMAT);
  ck_assert_str_eq(trn_status_message(st), "file a.neff at 12");
  trn_status_free(st);
}
END_TEST

START_TEST(test_status_ok_is_null) {
  ck_assert_ptr_null(trn_status_make(TRN_OK, "nothing"));
  ck_assert_int_eq(trn_status_code(NULL), TRN_OK);
  ck_assert_str_eq(trn_status_message(NULL), "ok");
  trn_status_free(NULL);
}
END_TEST

START_TEST(test_status_code_name_covers_all_codes) {
  for (int c = TRN_OK; c <= TRN_ERR_INTERNAL; ++c)
    ck_assert_str_ne(trn_status_code_name((trn_status_code_t)c), "unknown status code");
  ck_assert_str_eq(trn_status_code_name((trn_status_code_t)999), "unknown status code");
}
END_TEST

START_TEST(test_crc32_known_vectors) {
  ck_assert_uint_eq(trn_rt_crc32(0, "123456789", 9), 0xCBF43926u);
  ck_assert_uint_eq(trn_rt_crc32(0, "", 0), 0u);
  /* Incremental = one shot. */
  uint32_t a = trn_rt_crc32(0, "12345", 5);
  ck_assert_uint_eq(trn_rt_crc32(a, "6789", 4), 0xCBF43926u);
  ck_assert_uint_eq(trn_rt_crc32(0, "The quick brown fox jumps over the lazy dog", 43),
                    0x414FA339u);
}
END_TEST

START_TEST(test_checksum_skips_its_own_field) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  uint32_t sum = trn_rt_neff_checksum(f, size);
  ck_assert_uint_eq(sum, trn_neff_rd32(f + TRN_NEFF_HDR_CHECKSUM));
  trn_neff_wr32(f + TRN_NEFF_HDR_CHECKSUM, 0x12345678u);
  ck_assert_uint_eq(trn_rt_neff_checksum(f, size), sum);
  free(f);
}
END_TEST

START_TEST(test_header_fields_as_documented) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  ck_assert_mem_eq(f, "TRNNEFF\0", 8);
  ck_assert_uint_eq(trn_neff_rd32(f + 8), 1);
  ck_assert_uint_eq(trn_neff_rd32(f + 12), 1);
  ck_assert_uint_eq(trn_neff_rd64(f + 16), size);
  ck_assert_uint_eq(trn_neff_rd32(f + 24), 64);
  ck_assert_uint_eq(trn_neff_rd64(f + 32), 64);
  ck_assert_uint_eq(trn_neff_rd32(f + 44), 0);
  /* metadata, io, 5 streams, dma, constants */
  ck_assert_uint_eq(trn_neff_rd32(f + 28), 9);
  for (uint32_t i = 0; i < 9; ++i) {
    uint64_t off = trn_neff_rd64(f + 64 + 32 * i + 8);
    ck_assert_uint_eq(off % TRN_NEFF_SECTION_ALIGN, 0);
  }
  /* constant blobs 64-aligned in the file */
  uint64_t cs = trn_test_section_offset(f, TRN_NEFF_KIND_CONSTANTS, 0);
  for (int i = 0; i < 2; ++i)
    ck_assert_uint_eq((cs + trn_neff_rd64(f + cs + 32 * i + TRN_NEFF_CONST_DATA)) % 64, 0);
  free(f);
}
END_TEST

START_TEST(test_le_helpers_round_trip) {
  uint8_t b[8];
  trn_neff_wr64(b, 0x0102030405060708ull);
  ck_assert_uint_eq(b[0], 8);
  ck_assert_uint_eq(b[7], 1);
  ck_assert_uint_eq(trn_neff_rd64(b), 0x0102030405060708ull);
  ck_assert_uint_eq(trn_neff_rd32(b + 4), 0x01020304u);
}
END_TEST

int main(void) {
  Suite *s = suite_create("neff");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_status_make_formats_message);
  tcase_add_test(tc, test_status_ok_is_null);
  tcase_add_test(tc, test_status_code_name_covers_all_codes);
  tcase_add_test(tc, test_crc32_known_vectors);
  tcase_add_test(tc, test_checksum_skips_its_own_field);
  tcase_add_test(tc, test_header_fields_as_documented);
  tcase_add_test(tc, test_le_helpers_round_trip);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
