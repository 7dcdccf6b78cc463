/* Robustness of the runtime against programs and paths a user or a fuzzer gives it:
 * the run limits of trn_rt_run_options_t (max_instructions, max_elements) and output
 * files that are devices or folders. Public API only: programs are assembled from
 * listings. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trn/runtime.h"

/* relu of a 2x4 input through SBUF: 3 instructions, 8 elements each. */
static const char kRelu[] =
    ".target trn1\n"
    ".input x fp32 [2, 4] @0x0\n"
    ".output y fp32 [2, 4] @0x40\n"
    ".stream q0\n"
    "    dma imm0=1 signal=s0\n"
    ".stream act\n"
    "    activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 "
    "wait=s0>=1 signal=s1\n"
    ".stream q1\n"
    "    dma aux=1 imm0=1 wait=s1>=1\n"
    ".desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]\n"
    ".desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x40 fp32 [2:4,4:1]\n";

/* One descriptor that re-reads the same 4 bytes 2^64 times (zero steps): a valid
 * program whose run would never end without a limit. */
static const char kEndless[] =
    ".target trn1\n"
    ".input x fp32 [1] @0x0\n"
    ".output y fp32 [1] @0x40\n"
    ".stream q0\n"
    "    dma imm0=1\n"
    ".desc src=hbm+0x0 fp32 [65536:0,65536:0,65536:0,65536:0] dst=sbuf+0x0 fp32 "
    "[65536:0,65536:0,65536:0,65536:0]\n";

static trn_rt_model_t *load(const char *text) {
  trn_rt_writer_t *w = NULL;
  trn_status_t st = trn_rt_assemble(text, strlen(text), "limits.s", NULL, NULL, false, &w);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  void *bytes = NULL;
  size_t size = 0;
  st = trn_rt_writer_write_memory(w, &bytes, &size);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  trn_rt_writer_destroy(w);
  trn_rt_model_t *m = NULL;
  st = trn_rt_model_load_memory(bytes, size, &m);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  free(bytes);
  return m;
}

static trn_status_t run(trn_rt_model_t *m, const trn_rt_run_options_t *o, trn_rt_profile_t *prof) {
  float x[8] = {-1, 2, -3, 4, -5, 6, -7, 8}, y[8] = {0};
  const void *in[1] = {x};
  void *out[1] = {y};
  return trn_rt_model_run(m, o, in, out, prof);
}

START_TEST(test_run_no_limit_by_default) {
  trn_rt_model_t *m = load(kRelu);
  trn_rt_run_options_t o = {.strict = true};
  trn_rt_profile_t prof;
  trn_status_t st = run(m, &o, &prof);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  ck_assert_uint_eq(prof.instructions, 3);
  o.max_instructions = 3; /* exactly enough */
  o.max_elements = 24;
  st = run(m, &o, &prof);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  trn_rt_model_destroy(m);
}
END_TEST

START_TEST(test_run_max_instructions_stops) {
  trn_rt_model_t *m = load(kRelu);
  trn_rt_run_options_t o = {.max_instructions = 2};
  trn_status_t st = run(m, &o, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_EXEC);
  ck_assert_ptr_nonnull(strstr(trn_status_message(st), "limit of 2 executed instructions"));
  ck_assert_ptr_nonnull(strstr(trn_status_message(st), "stream q1 instruction 0"));
  trn_status_free(st);
  trn_rt_model_destroy(m);
}
END_TEST

START_TEST(test_run_max_elements_stops) {
  trn_rt_model_t *m = load(kRelu);
  trn_rt_run_options_t o = {.max_elements = 23};
  trn_status_t st = run(m, &o, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_EXEC);
  ck_assert_ptr_nonnull(strstr(trn_status_message(st), "limit of 23 processed elements"));
  trn_status_free(st);
  trn_rt_model_destroy(m);
}
END_TEST

START_TEST(test_run_max_elements_bounds_endless_dma) {
  trn_rt_model_t *m = load(kEndless);
  ck_assert_uint_eq(trn_rt_model_dma_count(m), 1);
  trn_rt_run_options_t o = {.strict = true, .max_elements = 1u << 20};
  trn_status_t st = run(m, &o, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_EXEC);
  ck_assert_ptr_nonnull(strstr(trn_status_message(st), "stream q0 instruction 0"));
  trn_status_free(st);
  trn_rt_model_destroy(m);
}
END_TEST

START_TEST(test_dma_elems_saturates) {
  trn_rt_model_t *m = load(kEndless);
  ck_assert_uint_eq(trn_isa_dma_elems(&trn_rt_model_dma(m)[0]), UINT64_MAX);
  trn_rt_model_destroy(m);
}
END_TEST

START_TEST(test_writer_device_written_in_place) {
  trn_rt_writer_t *w = NULL;
  trn_status_t st = trn_rt_assemble(kRelu, strlen(kRelu), "relu.s", NULL, NULL, false, &w);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  st = trn_rt_writer_write_file(w, "/dev/null");
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  struct stat sb;
  ck_assert_int_eq(stat("/dev/null", &sb), 0);
  ck_assert(S_ISCHR(sb.st_mode)); /* not renamed over */
  char dir[] = "/tmp/trn_limits_testXXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  st = trn_rt_writer_write_file(w, dir);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  ck_assert_ptr_nonnull(strstr(trn_status_message(st), "is a directory"));
  trn_status_free(st);
  ck_assert_int_eq(rmdir(dir), 0); /* and nothing was left in it */
  trn_rt_writer_destroy(w);
}
END_TEST

static Suite *limits_suite(void) {
  Suite *s = suite_create("limits");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_run_no_limit_by_default);
  tcase_add_test(tc, test_run_max_instructions_stops);
  tcase_add_test(tc, test_run_max_elements_stops);
  tcase_add_test(tc, test_run_max_elements_bounds_endless_dma);
  tcase_add_test(tc, test_dma_elems_saturates);
  tcase_add_test(tc, test_writer_device_written_in_place);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(limits_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
