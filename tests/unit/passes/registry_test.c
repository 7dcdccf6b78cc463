/* Unit tests of passes/registry.c: the pass table and the pipeline builder. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/Diagnostics.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"
#include "trn/dialects.h"
#include "trn/passes.h"

typedef struct text_t {
  char buf[4096];
  size_t len;
} text_t;

static void append(MlirStringRef s, void *user) {
  text_t *t = user;
  size_t n = s.length < sizeof t->buf - 1 - t->len ? s.length : sizeof t->buf - 1 - t->len;
  memcpy(t->buf + t->len, s.data, n);
  t->len += n;
  t->buf[t->len] = 0;
}

static MlirContext make_context(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreate();
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  mlirRegisterAllPasses();
  ck_assert(mlirLogicalResultIsSuccess(trn_dialects_load(ctx)));
  return ctx;
}

START_TEST(test_pass_table_is_consistent) {
  ck_assert_uint_ge(trn_pass_count(), 5);
  for (size_t i = 0; i < trn_pass_count(); i++) {
    const trn_pass_info_t *p = trn_pass_at(i);
    ck_assert_ptr_nonnull(p);
    ck_assert_msg(strncmp(p->argument, "trn-", 4) == 0, "%s", p->argument);
    for (const char *c = p->argument; *c; c++) ck_assert_msg((*c >= 'a' && *c <= 'z') || *c == '-', "%s", p->argument);
    ck_assert(p->summary && *p->summary);
    ck_assert_ptr_nonnull(p->create);
    ck_assert_ptr_eq(trn_pass_find(p->argument), p);
    for (size_t k = 0; k < i; k++) ck_assert_str_ne(trn_pass_at(k)->argument, p->argument);
  }
  ck_assert_ptr_null(trn_pass_at(trn_pass_count()));
  ck_assert_ptr_null(trn_pass_find("trn-no-such-pass"));
  ck_assert_ptr_null(trn_pass_find(NULL));
}
END_TEST

START_TEST(test_pass_options_defaults) {
  trn_pass_options_t o;
  memset(&o, 0xAB, sizeof o);
  trn_pass_options_init(&o);
  ck_assert_ptr_eq(o.target, trn_isa_target(TRN_TARGET_TRN1));
  ck_assert_int_eq(o.opt_level, 2);
  ck_assert_int_eq(o.auto_cast, TRN_AUTO_CAST_NONE);
  ck_assert_int_eq(o.auto_cast_type, TRN_DTYPE_BF16);
}
END_TEST

START_TEST(test_pipeline_stages_append_their_passes) {
  MlirContext ctx = make_context();
  trn_pass_options_t o;
  trn_pass_options_init(&o);
  static const char *const expect[3][6] = {
      {"canonicalize", NULL},
      {"canonicalize", "trn-layout", "trn-lower-to-tile", "trn-allocate", NULL},
      {"canonicalize", "trn-layout", "trn-lower-to-tile", "trn-allocate", "trn-lower-to-isa", "trn-insert-sync"},
  };
  for (int stage = TRN_STAGE_GRAPH; stage <= TRN_STAGE_ISA; stage++) {
    MlirPassManager pm = mlirPassManagerCreate(ctx);
    ck_assert(mlirLogicalResultIsSuccess(
        trn_passes_add_pipeline(mlirPassManagerGetAsOpPassManager(pm), &o, (trn_stage_t)stage)));
    text_t t = {.len = 0};
    t.buf[0] = 0;
    mlirPrintPassPipeline(mlirPassManagerGetAsOpPassManager(pm), append, &t);
    const char *at = t.buf;
    for (int i = 0; i < 6 && expect[stage][i]; i++) {
      const char *p = strstr(at, expect[stage][i]);
      ck_assert_msg(p != NULL, "stage %d: '%s' lacks '%s' in order", stage, t.buf, expect[stage][i]);
      at = p;
    }
    if (stage < TRN_STAGE_ISA) ck_assert_msg(strstr(t.buf, "trn-lower-to-isa") == NULL, "%s", t.buf);
    mlirPassManagerDestroy(pm);
  }
  mlirContextDestroy(ctx);
}
END_TEST

/* A pass that fails reports a diagnostic on the op at fault and fails the manager. */
static MlirLogicalResult count_errors(MlirDiagnostic d, void *user) {
  (void)d;
  ++*(int *)user;
  return mlirLogicalResultSuccess();
}

START_TEST(test_failing_pass_emits_a_diagnostic) {
  MlirContext ctx = make_context();
  int errors = 0;
  MlirDiagnosticHandlerID id = mlirContextAttachDiagnosticHandler(ctx, count_errors, &errors, NULL);
  MlirModule m = mlirModuleCreateParse(
      ctx, mlirStringRefCreateFromCString("func.func @main(%a: tensor<4xi32>) -> tensor<4xi32> {\n"
                                          "  %0 = arith.remui %a, %a : tensor<4xi32>\n"
                                          "  return %0 : tensor<4xi32>\n}\n"));
  ck_assert(!mlirModuleIsNull(m));
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  trn_pass_options_t o;
  trn_pass_options_init(&o);
  ck_assert(mlirLogicalResultIsSuccess(
      trn_passes_add_pipeline(mlirPassManagerGetAsOpPassManager(pm), &o, TRN_STAGE_ISA)));
  ck_assert(mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(m))));
  ck_assert_int_ge(errors, 1);
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(m);
  mlirContextDetachDiagnosticHandler(ctx, id);
  mlirContextDestroy(ctx);
}
END_TEST

int main(void) {
  Suite *s = suite_create("passes_registry");
  TCase *tc = tcase_create("registry");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_pass_table_is_consistent);
  tcase_add_test(tc, test_pass_options_defaults);
  tcase_add_test(tc, test_pipeline_stages_append_their_passes);
  tcase_add_test(tc, test_failing_pass_emits_a_diagnostic);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
