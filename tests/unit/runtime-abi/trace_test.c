/* Unit tests of the timeline writers (trace.c), through trn_rt_interpret. */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

#include "interp_test_util.h"

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(buf);
  ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  return buf;
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static tm_t *small_model(void) {
  tm_t *t = tm_create(1 << 16);
  tm_stage_in(t, 0, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 16);
  trn_inst_t *a = tm_add(t, TRN_ENGINE_ACT, TRN_OP_ACTIVATE);
  a->op0 = TRN_ACT_EXP;
  a->imm[0] = tm_f(1.0f);
  a->dst = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 256, 16);
  a->src0 = tm_row(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 0, 16);
  tm_add(t, TRN_ENGINE_ACT, TRN_OP_NOP);
  tm_stage_out(t, 4096, TRN_DTYPE_FP32, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 0, 4, 256, 16);
  return t;
}

START_TEST(test_trace_json_and_html_written) {
  char dir[] = "/tmp/trn_trace_testXXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char json[256], html[256];
  snprintf(json, sizeof json, "%s/t.json", dir);
  snprintf(html, sizeof html, "%s/t.html", dir);
  tm_t *t = small_model();
  trn_rt_run_options_t o = {.strict = true, .trace_path = json, .html_path = html};
  trn_rt_profile_t prof;
  TM_OK(tm_run_opts(t, &o, &prof));
  char *j = slurp(json);
  ck_assert_ptr_nonnull(j);
  ck_assert(strncmp(j, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", 39) == 0);
  ck_assert_uint_eq(count(j, "\"ph\":\"X\""), prof.instructions);
  ck_assert_uint_eq(count(j, "\"thread_name\""), 3); /* act, q0, q1 */
  ck_assert_ptr_nonnull(strstr(j, "{\"name\":\"act\"}"));
  ck_assert_ptr_nonnull(strstr(j, "\"name\":\"activate\",\"ph\":\"X\",\"pid\":0,\"tid\":1,"));
  ck_assert_ptr_nonnull(strstr(j, "\"args\":{\"opcode\":\"activate\",\"index\":0,\"operands\":\"activate op0=exp"));
  ck_assert_ptr_nonnull(strstr(j, "\"ts\":0.000000,\"dur\":2.00"));
  ck_assert(j[strlen(j) - 2] == '}');
  free(j);
  char *h = slurp(html);
  ck_assert_ptr_nonnull(h);
  ck_assert(strncmp(h, "<!DOCTYPE html>", 15) == 0);
  ck_assert_ptr_nonnull(strstr(h, "<canvas"));
  ck_assert_ptr_nonnull(strstr(h, "const EV=["));
  ck_assert_ptr_nonnull(strstr(h, "[1,\"act\","));
  ck_assert_ptr_null(strstr(h, "http:"));
  ck_assert_ptr_null(strstr(h, "https:"));
  ck_assert_ptr_null(strstr(h, "<script src"));
  ck_assert_ptr_nonnull(strstr(h, "</html>"));
  free(h);
  /* no temporary file is left behind */
  DIR *d = opendir(dir);
  int files = 0;
  for (struct dirent *e; (e = readdir(d));)
    if (e->d_name[0] != '.') files++;
  closedir(d);
  ck_assert_int_eq(files, 2);
  unlink(json);
  unlink(html);
  rmdir(dir);
  tm_destroy(t);
}
END_TEST

START_TEST(test_trace_unwritable_path_is_an_io_error) {
  tm_t *t = small_model();
  trn_rt_run_options_t o = {.trace_path = "/nonexistent-dir/t.json"};
  TM_FAILS(tm_run_opts(t, &o, NULL), TRN_ERR_IO, "/nonexistent-dir/t.json");
  tm_destroy(t);
}
END_TEST

START_TEST(test_trace_written_for_failed_run) {
  char dir[] = "/tmp/trn_trace_testXXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char json[256];
  snprintf(json, sizeof json, "%s/t.json", dir);
  tm_t *t = small_model();
  trn_inst_t *w = tm_add(t, TRN_ENGINE_POOL, TRN_OP_NOP); /* never signalled */
  w->wait_sem = 9;
  w->wait_value = 1;
  w->signal_sem = 10;
  trn_rt_run_options_t o = {.trace_path = json};
  TM_FAILS(tm_run_opts(t, &o, NULL), TRN_ERR_DEADLOCK, "stream pool, instruction 0 (nop)");
  char *j = slurp(json);
  ck_assert_ptr_nonnull(j);
  ck_assert_uint_eq(count(j, "\"ph\":\"X\""), 4);
  free(j);
  unlink(json);
  rmdir(dir);
  tm_destroy(t);
}
END_TEST

static Suite *trace_suite(void) {
  Suite *s = suite_create("trace");
  TCase *tc = tcase_create("trace");
  tcase_add_test(tc, test_trace_json_and_html_written);
  tcase_add_test(tc, test_trace_unwritable_path_is_an_io_error);
  tcase_add_test(tc, test_trace_written_for_failed_run);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(trace_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
