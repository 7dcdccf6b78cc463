/* Unit test of isa/tools/isa_doc.c: the generated tables of isa/ISA.md are current. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isa_doc.h"

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len - 1 == 0) {
      char *nb = realloc(buf, cap *= 2);
      if (!nb) {
        free(buf);
        buf = NULL;
      }
      buf = nb;
    }
  }
  fclose(f);
  if (buf) buf[len] = '\0';
  return buf;
}

START_TEST(test_doc_tables_match_isa_md) {
  const char *src = getenv("TRN_SOURCE_DIR");
  ck_assert_msg(src != NULL, "TRN_SOURCE_DIR is not set");
  char path[4096];
  snprintf(path, sizeof path, "%s/isa/ISA.md", src);
  char *md = read_file(path);
  ck_assert_msg(md != NULL, "cannot read %s", path);
  char *begin = strstr(md, TRN_ISA_DOC_BEGIN);
  ck_assert_msg(begin != NULL, "%s lacks the BEGIN GENERATED marker", path);
  begin += strlen(TRN_ISA_DOC_BEGIN);
  char *end = strstr(begin, TRN_ISA_DOC_END);
  ck_assert_msg(end != NULL, "%s lacks the END GENERATED marker", path);
  *end = '\0';

  char *gen = NULL;
  size_t gen_len = 0;
  FILE *out = open_memstream(&gen, &gen_len);
  ck_assert_ptr_nonnull(out);
  trn_isa_doc_write(out);
  fclose(out);
  ck_assert_msg(strcmp(begin, gen) == 0,
                "%s is stale: replace its generated part with `trn-isa-doc --markers`", path);
  free(gen);
  free(md);
}
END_TEST

int main(void) {
  Suite *s = suite_create("isa_doc");
  TCase *tc = tcase_create("doc");
  tcase_add_test(tc, test_doc_tables_match_isa_md);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
