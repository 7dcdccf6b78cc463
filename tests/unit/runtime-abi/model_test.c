/* Tests of model.c and assemble.c: accessors, run argument checks, the listing printer
 * and the listing assembler (print -> assemble -> identical bytes). */
#include <stdio.h>

#include "neff_test_util.h"

static char *print_listing(const trn_rt_model_t *m, bool const_data, size_t *out_len) {
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  ck_assert_ptr_nonnull(out);
  trn_rt_asm_options_t opts = {const_data};
  TRN_CK_OK(trn_rt_model_print_asm_ex(m, out, &opts));
  fclose(out);
  *out_len = len;
  return text;
}

START_TEST(test_model_accessors_tolerate_null) {
  ck_assert_uint_eq(trn_rt_model_input_count(NULL), 0);
  ck_assert_ptr_null(trn_rt_model_input(NULL, 0));
  ck_assert_ptr_null(trn_rt_model_target(NULL));
  ck_assert_uint_eq(trn_rt_model_stream_length(NULL, 0), 0);
  ck_assert_uint_eq(trn_rt_model_section_count(NULL), 0);
  trn_rt_model_destroy(NULL);
}
END_TEST

START_TEST(test_model_sections_listed) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  ck_assert_uint_eq(trn_rt_model_section_count(m), 9);
  trn_rt_section_info_t info;
  ck_assert(trn_rt_model_section(m, 0, &info));
  ck_assert_str_eq(info.kind_name, "metadata");
  ck_assert(trn_rt_model_section(m, 2, &info));
  ck_assert_str_eq(info.kind_name, "stream");
  ck_assert_uint_eq(info.aux, TRN_ENGINE_PE);
  ck_assert_uint_eq(info.size, TRN_INST_BYTES);
  ck_assert(!trn_rt_model_section(m, 9, &info));
  ck_assert_uint_eq(trn_rt_model_checksum(m), trn_rt_neff_checksum(f, size));
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_model_run_checks_arguments) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  trn_status_t st = trn_rt_model_run(NULL, NULL, NULL, NULL, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  st = trn_rt_model_run(m, NULL, NULL, NULL, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  float x[8] = {0};
  const void *inputs[2] = {x, NULL};
  float y[8];
  void *outputs[1] = {y};
  st = trn_rt_model_run(m, NULL, inputs, outputs, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "input 1 'bias:0'"), "%s", trn_status_message(st));
  trn_status_free(st);
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_model_print_asm_lists_everything) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  size_t len;
  char *text = print_listing(m, false, &len);
  const char *needles[] = {".target trn1", ".compiler \"trn-test 1.2.3\"",
                           ".hash 01080f16", ".hbm_size 0x1000",
                           ".input \"x\" fp32 [2, 4] @0x0", ".input \"bias:0\" bf16 [4] @0x40",
                           ".output \"y\" fp32 [1, 2, 4] @0x80", "# .const 0x400: 16 bytes",
                           ".stream pe\n    nop", ".stream q1\n    dma",
                           ".desc src=hbm+0x400 fp32 [4:1] dst=sbuf+0x200 fp32 [4:1]    # 1"};
  for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); ++i)
    ck_assert_msg(strstr(text, needles[i]), "listing lacks '%s':\n%s", needles[i], text);
  ck_assert_ptr_null(strstr(text, ".const 0x400 hex"));
  free(text);
  trn_status_t st = trn_rt_model_print_asm(m, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_assemble_round_trip_is_byte_identical) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  size_t len;
  char *text = print_listing(m, true, &len);
  trn_rt_writer_t *w;
  TRN_CK_OK(trn_rt_assemble(text, len, "listing.s", NULL, NULL, false, &w));
  void *again;
  size_t again_size;
  TRN_CK_OK(trn_rt_writer_write_memory(w, &again, &again_size));
  ck_assert_uint_eq(again_size, size);
  ck_assert_msg(memcmp(again, f, size) == 0, "round trip differs:\n%s", text);
  free(again);
  trn_rt_writer_destroy(w);
  free(text);
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

/* Assembles `text` and loads the result. */
static trn_rt_model_t *assemble_and_load(const char *text) {
  trn_rt_writer_t *w;
  TRN_CK_OK(trn_rt_assemble(text, strlen(text), "t.s", NULL, NULL, false, &w));
  void *data;
  size_t size;
  TRN_CK_OK(trn_rt_writer_write_memory(w, &data, &size));
  trn_rt_writer_destroy(w);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(data, size, &m));
  free(data);
  return m;
}

START_TEST(test_assemble_directives) {
  trn_rt_model_t *m = assemble_and_load(
      "; comment\n"
      ".target trn2\r\n"
      ".input \"a b\\\"c\\x01\" i8 [3] @0x10  # name with escapes\n"
      ".output out fp16 [] @0x20\n"
      ".const 0x40 fp32 1.5, -2 0x1p-1\n"
      ".const 0x4c bf16 1.0\n"       /* extends the previous blob */
      ".const 0x80 i32 -1 7\n"
      ".const 0x90 u8 255 0\n"
      ".const 0x100 hex 00 01 0203\n"
      ".stream dve\n"
      "  memset dst=sbuf[0:1]+0x0 fp32 [4:1]\n");
  ck_assert_str_eq(trn_rt_model_target(m)->name, "trn2");
  ck_assert_str_eq(trn_rt_model_input(m, 0)->name, "a b\"c\x01");
  ck_assert_uint_eq(trn_rt_model_input(m, 0)->bytes, 3);
  ck_assert_uint_eq(trn_rt_model_output(m, 0)->rank, 0);
  ck_assert_uint_eq(trn_rt_model_output(m, 0)->bytes, 2);
  ck_assert_str_eq(trn_rt_model_compiler_version(m), "trn-as");
  /* Default HBM size: end of the last thing placed (0x104), rounded up to 64. */
  ck_assert_uint_eq(trn_rt_model_hbm_size(m), 0x140);
  ck_assert_uint_eq(trn_rt_model_constant_count(m), 4);
  uint64_t off, size;
  const uint8_t *data;
  ck_assert(trn_rt_model_constant(m, 0, &off, &size, &data));
  ck_assert_uint_eq(off, 0x40);
  ck_assert_uint_eq(size, 14);
  const uint8_t expect0[14] = {0, 0, 0xC0, 0x3F, 0, 0, 0, 0xC0, 0, 0, 0, 0x3F, 0x80, 0x3F};
  ck_assert_mem_eq(data, expect0, 14);
  ck_assert(trn_rt_model_constant(m, 1, &off, &size, &data));
  const uint8_t expect1[8] = {0xFF, 0xFF, 0xFF, 0xFF, 7, 0, 0, 0};
  ck_assert_mem_eq(data, expect1, 8);
  ck_assert(trn_rt_model_constant(m, 2, &off, &size, &data));
  ck_assert_uint_eq(size, 2);
  ck_assert_uint_eq(data[0], 255);
  ck_assert(trn_rt_model_constant(m, 3, &off, &size, &data));
  const uint8_t expect3[4] = {0, 1, 2, 3};
  ck_assert_mem_eq(data, expect3, 4);
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_ENGINE_DVE), 1);
  trn_rt_model_destroy(m);
}
END_TEST

/* trn_rt_model_run builds the HBM image (constants, then inputs), runs the interpreter
 * and copies the outputs out. Skipped when built without the interpreter. */
START_TEST(test_model_run_relu_and_constant) {
  trn_rt_model_t *m = assemble_and_load(
      ".input x fp32 [2, 4] @0x0\n"
      ".output y fp32 [2, 4] @0x40\n"
      ".output k fp32 [4] @0xc0\n"
      ".const 0x80 fp32 1.5 -2 3 0.25\n"
      ".stream q0\n"
      "    dma imm0=1 signal=s0\n"
      "    dma aux=2 imm0=1 signal=s2\n"
      ".stream act\n"
      "    activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] "
      "imm0=1 wait=s0>=1 signal=s1\n"
      ".stream q1\n"
      "    dma aux=1 imm0=1 wait=s1>=1\n"
      "    dma aux=3 imm0=1 wait=s2>=1\n"
      ".desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]\n"
      ".desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]\n"
      ".desc src=hbm+0x80 fp32 [4:1] dst=sbuf+0x200 fp32 [4:1]\n"
      ".desc src=sbuf+0x200 fp32 [4:1] dst=hbm+0xc0 fp32 [4:1]\n");
  float x[8] = {-1, 2, -3, 4, 5, -6, 7, -0.5f};
  float y[8], k[4];
  memset(y, 0xFF, sizeof(y));
  const void *inputs[1] = {x};
  void *outputs[2] = {y, k};
  trn_rt_profile_t profile;
  trn_status_t st = trn_rt_model_run(m, NULL, inputs, outputs, &profile);
  if (trn_status_code(st) == TRN_ERR_UNSUPPORTED) {
    trn_status_free(st);
    trn_rt_model_destroy(m);
    return;
  }
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  for (int i = 0; i < 8; ++i) ck_assert_float_eq(y[i], x[i] > 0 ? x[i] : 0);
  const float expect[4] = {1.5f, -2, 3, 0.25f};
  for (int i = 0; i < 4; ++i) ck_assert_float_eq(k[i], expect[i]);
  ck_assert_uint_gt(profile.instructions, 0);
  trn_rt_model_destroy(m);
}
END_TEST

/* Runs `m` (one fp32 input, one fp32 output of n elements, a copy of the input)
 * three times on inputs a, b, a: each run's output equals its input, so no value
 * survives from the run before. Destroys `m`. */
static void expect_copy_runs(trn_rt_model_t *m, const float *a, const float *b, int n) {
  const float *x[2] = {a, b};
  float y[8];
  ck_assert_int_le(n, 8);
  for (int run = 0; run < 3; run++) {
    const void *inputs[1] = {x[run % 2]};
    void *outputs[1] = {y};
    trn_status_t st = trn_rt_model_run(m, NULL, inputs, outputs, NULL);
    if (trn_status_code(st) == TRN_ERR_UNSUPPORTED) {
      trn_status_free(st);
      break;
    }
    ck_assert_msg(st == NULL, "%s", trn_status_message(st));
    for (int i = 0; i < n; ++i) ck_assert_float_eq(y[i], x[run % 2][i]);
  }
  trn_rt_model_destroy(m);
}

/* A model keeps its memories between runs, cleared: a program that adds its input to
 * SBUF and HBM scratch it never initializes gives the same result on every run. */
START_TEST(test_model_run_twice_starts_from_cleared_memories) {
  trn_rt_model_t *m = assemble_and_load(
      ".input x fp32 [4] @0x0\n"
      ".output y fp32 [4] @0x40\n"
      ".stream q0\n"
      "    dma imm0=1 signal=s0\n"
      ".stream dve\n"
      "    tensor_tensor op0=add dst=sbuf[0:1]+0x100 fp32 [4:1] src0=sbuf[0:1]+0x100 fp32 [4:1] "
      "src1=sbuf[0:1]+0x0 fp32 [4:1] wait=s0>=1 signal=s1\n"
      ".stream q1\n"
      "    dma aux=1 imm0=1 wait=s1>=1\n"
      ".desc src=hbm+0x0 fp32 [4:1] dst=sbuf+0x0 fp32 [4:1]\n"
      ".desc src=sbuf+0x100 fp32 [4:1] dst=hbm+0x40 fp32 [4:1]\n");
  float x[2][4] = {{1, 2, 3, 4}, {-5, 6, 0.5f, 8}};
  expect_copy_runs(m, x[0], x[1], 4);
}
END_TEST

/* Runs clear only what a run can write: SBUF and PSUM scratch away from partition 0
 * (a descriptor stepping across partitions, DVE writes), HBM scratch a descriptor
 * writes back; each is read before it is written, so a run that started from the last
 * run's values would double its result. */
START_TEST(test_model_run_clears_what_runs_write) {
  trn_rt_model_t *m = assemble_and_load(
      ".hbm_size 0x200\n"
      ".input x fp32 [2, 4] @0x0\n"
      ".output y fp32 [2, 4] @0x40\n"
      ".stream q0\n"
      "    dma imm0=1 signal=s0\n"
      "    dma aux=1 imm0=1 signal=s0\n"
      ".stream dve\n"
      "    tensor_tensor op0=add dst=psum[3:5]+0x800 fp32 [4:1] src0=psum[3:5]+0x800 fp32 [4:1] "
      "src1=sbuf[3:5]+0x1000 fp32 [4:1] wait=s0>=2\n"
      "    tensor_tensor op0=add dst=sbuf[3:5]+0x2000 fp32 [4:1] src0=sbuf[3:5]+0x2000 fp32 [4:1] "
      "src1=psum[3:5]+0x800 fp32 [4:1] signal=s1\n"
      ".stream q1\n"
      "    dma aux=2 imm0=1 wait=s1>=1\n"
      "    dma aux=3 imm0=1\n"
      ".desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x91000 fp32 [2:49152,4:1]\n"
      ".desc src=hbm+0x100 fp32 [2:4,4:1] dst=sbuf+0x92000 fp32 [2:49152,4:1]\n"
      ".desc src=sbuf+0x92000 fp32 [2:49152,4:1] dst=hbm+0x100 fp32 [2:4,4:1]\n"
      ".desc src=sbuf+0x92000 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]\n");
  float x[2][8] = {{1, 2, 3, 4, 5, 6, 7, 8}, {-5, 6, 0.5f, 8, 1, -1, 2, -2}};
  expect_copy_runs(m, x[0], x[1], 8);
}
END_TEST

static void expect_asm_error(const char *text, const char *needle) {
  trn_rt_writer_t *w = (trn_rt_writer_t *)1;
  trn_status_t st = trn_rt_assemble(text, strlen(text), "t.s", NULL, trn_isa_target(TRN_TARGET_TRN1),
                                    true, &w);
  ck_assert_msg(st != NULL, "accepted: %s", text);
  ck_assert_ptr_null(w);
  ck_assert_msg(strstr(trn_status_message(st), needle), "message '%s' lacks '%s'",
                trn_status_message(st), needle);
  trn_status_free(st);
}

START_TEST(test_assemble_errors_name_line_and_column) {
  expect_asm_error("nop\n", "t.s:1:1: instruction before the first .stream");
  expect_asm_error(".stream pe\n  bogus dst=1\n", "t.s:2:");
  expect_asm_error(".stream zz\n", "t.s:1:9: unknown stream");
  expect_asm_error(".frobnicate\n", "unknown directive '.frobnicate'");
  expect_asm_error(".target trn2\n", "--target trn1 was given");
  expect_asm_error(".target trn7\n", "unknown target 'trn7'");
  expect_asm_error("\n\n.input x fp64 [1] @0\n", "t.s:3:10: expected a dtype");
  expect_asm_error(".input x fp32 [1 @0\n", "expected ',' or ']'");
  expect_asm_error(".input x fp32 [1]\n", "expected '@'");
  expect_asm_error(".input \"x fp32 [1] @0\n", "unterminated string");
  expect_asm_error(".const 0 i8 300\n", "value out of range for i8");
  expect_asm_error(".const 0 hex 0g\n", "expected pairs of hex digits");
  expect_asm_error(".const 0 file \"/nonexistent/blob\"\n", "cannot open constant file");
  expect_asm_error(".hash 0011\n", "expected 64 hex digits");
  expect_asm_error(".hbm_size 99999999999999999999999\n", "out of range");
  expect_asm_error(".stream pe\n  dma imm0=1\n", "t.s:2:");
  expect_asm_error(".stream pe\n  nop\n.target trn1\n", "before any instruction");
  expect_asm_error(".hbm_size 16\n.input x fp32 [8] @0\n", "input 0 'x'");
}
END_TEST

int main(void) {
  Suite *s = suite_create("model");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_model_accessors_tolerate_null);
  tcase_add_test(tc, test_model_sections_listed);
  tcase_add_test(tc, test_model_run_checks_arguments);
  tcase_add_test(tc, test_model_print_asm_lists_everything);
  tcase_add_test(tc, test_assemble_round_trip_is_byte_identical);
  tcase_add_test(tc, test_assemble_directives);
  tcase_add_test(tc, test_assemble_errors_name_line_and_column);
  tcase_add_test(tc, test_model_run_relu_and_constant);
  tcase_add_test(tc, test_model_run_twice_starts_from_cleared_memories);
  tcase_add_test(tc, test_model_run_clears_what_runs_write);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
