/* Unit tests of isa/src/tables.c: targets, enumeration names, the opcode table. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "trn/isa.h"

START_TEST(test_target_lookup) {
  const trn_target_t *t1 = trn_isa_target(TRN_TARGET_TRN1);
  ck_assert_ptr_nonnull(t1);
  ck_assert_str_eq(t1->name, "trn1");
  ck_assert_uint_eq(t1->partitions, 128);
  ck_assert_uint_eq(t1->sbuf_partition_bytes, 196608);
  ck_assert_uint_eq(t1->psum_partition_bytes / t1->psum_banks, 2048);
  ck_assert_ptr_eq(trn_isa_target_find("trn2"), trn_isa_target(TRN_TARGET_TRN2));
  ck_assert_uint_eq(trn_isa_target_find("trn2")->sbuf_partition_bytes, 229376);
  ck_assert_ptr_null(trn_isa_target_find("trn9"));
  ck_assert_ptr_null(trn_isa_target_find(NULL));
  ck_assert_ptr_null(trn_isa_target(TRN_TARGET_COUNT));
  ck_assert_ptr_null(trn_isa_target((trn_target_id_t)-1));
}
END_TEST

START_TEST(test_stream_names) {
  char buf[8];
  ck_assert_int_eq(trn_isa_stream_engine(0), TRN_ENGINE_PE);
  ck_assert_int_eq(trn_isa_stream_engine(3), TRN_ENGINE_POOL);
  ck_assert_int_eq(trn_isa_stream_engine(TRN_STREAM_DMA0 + 5), TRN_ENGINE_DMA);
  ck_assert_str_eq(trn_isa_stream_name(2, buf, sizeof buf), "dve");
  ck_assert_str_eq(trn_isa_stream_name(TRN_STREAM_DMA0 + 15, buf, sizeof buf), "q15");
  ck_assert_str_eq(trn_isa_stream_name(TRN_MAX_STREAMS, buf, sizeof buf), "?");
  ck_assert_str_eq(trn_isa_engine_name(TRN_ENGINE_ACT), "act");
  ck_assert_str_eq(trn_isa_engine_name((trn_engine_t)42), "?");
}
END_TEST

START_TEST(test_dtype_names) {
  static const size_t sizes[] = {4, 2, 2, 4, 1, 1};
  for (int i = 0; i < TRN_DTYPE_COUNT; ++i) {
    const char *name = trn_isa_dtype_name((trn_dtype_t)i);
    trn_dtype_t back;
    ck_assert(trn_isa_dtype_parse(name, strlen(name), &back));
    ck_assert_int_eq(back, i);
    ck_assert_uint_eq(trn_isa_dtype_size((trn_dtype_t)i), sizes[i]);
  }
  ck_assert_uint_eq(trn_isa_dtype_size(TRN_DTYPE_COUNT), 0);
  ck_assert(!trn_isa_dtype_parse("fp3", 3, NULL));
  ck_assert(!trn_isa_dtype_parse("fp32x", 5, NULL));
  ck_assert(trn_isa_dtype_parse("bf16 rest", 4, NULL));
  ck_assert_str_eq(trn_isa_space_name(TRN_SPACE_PSUM), "psum");
  ck_assert_str_eq(trn_isa_space_name((trn_space_t)4), "?");
}
END_TEST

START_TEST(test_opinfo_table) {
  size_t n = trn_isa_opcode_count();
  ck_assert_uint_gt(n, 10);
  int seen[256] = {0};
  for (size_t i = 0; i < n; ++i) {
    const trn_opinfo_t *r = trn_isa_opinfo_at(i);
    ck_assert_ptr_nonnull(r);
    ck_assert_int_eq(seen[r->opcode]++, 0); /* numbers are unique */
    ck_assert_ptr_eq(trn_isa_opinfo(r->opcode), r);
    for (size_t j = 0; j < i; ++j) ck_assert_str_ne(trn_isa_opinfo_at(j)->mnemonic, r->mnemonic);
    ck_assert_uint_gt(strlen(r->semantics), 0);
  }
  ck_assert_ptr_null(trn_isa_opinfo_at(n));
  ck_assert_ptr_null(trn_isa_opinfo(0x02));
  ck_assert_ptr_null(trn_isa_opinfo(0xFF));
  ck_assert_ptr_null(trn_isa_opinfo(0x100));
  ck_assert_int_eq(trn_isa_opinfo(TRN_OP_MATMUL)->engine, TRN_ENGINE_PE);
  ck_assert_int_eq(trn_isa_opinfo(TRN_OP_DMA)->format, TRN_FMT_DMA);
}
END_TEST

START_TEST(test_alu_act_names) {
  ck_assert_str_eq(trn_isa_alu_name(TRN_ALU_ADD), "add");
  ck_assert_ptr_null(trn_isa_alu_name(0x0D));
  ck_assert_ptr_null(trn_isa_alu_name(0x1000));
  ck_assert_str_eq(trn_isa_act_name(TRN_ACT_GELU_TANH), "gelu_tanh");
  ck_assert_ptr_null(trn_isa_act_name(0x13));
  for (uint32_t v = 0; v < 256; ++v) {
    const char *a = trn_isa_alu_name(v);
    if (a) {
      trn_alu_t back;
      ck_assert(trn_isa_alu_parse(a, strlen(a), &back));
      ck_assert_uint_eq(back, v);
    }
    const char *f = trn_isa_act_name(v);
    if (f) {
      trn_act_t back;
      ck_assert(trn_isa_act_parse(f, strlen(f), &back));
      ck_assert_uint_eq(back, v);
    }
  }
  ck_assert(!trn_isa_alu_parse("gelu", 4, NULL));
  ck_assert(!trn_isa_act_parse("ad", 2, NULL));
}
END_TEST

int main(void) {
  Suite *s = suite_create("isa_tables");
  TCase *tc = tcase_create("tables");
  tcase_add_test(tc, test_target_lookup);
  tcase_add_test(tc, test_stream_names);
  tcase_add_test(tc, test_dtype_names);
  tcase_add_test(tc, test_opinfo_table);
  tcase_add_test(tc, test_alu_act_names);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
