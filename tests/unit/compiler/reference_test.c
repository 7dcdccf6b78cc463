/* Unit tests of the CPU reference backend (compiler/reference.c), its host tensors
 * (compiler/reference_tensor.c) and the TensorProto reader (compiler/tensor_pb.c).
 * The modules are hand-written tosa, parsed in a context of their own. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/IR.h"
#include "mlir-c/RegisterEverything.h"
#include "trn/compiler.h"

static MlirContext test_context(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreate();
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  return ctx;
}

static MlirModule test_parse(MlirContext ctx, const char *text) {
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  ck_assert_msg(!mlirModuleIsNull(m), "cannot parse:\n%s", text);
  return m;
}

static trn_host_tensor_t test_tensor_f32(uint32_t rank, const int64_t *dims, const float *values) {
  trn_host_tensor_t t;
  trn_status_t st = trn_host_tensor_init(&t, "x", TRN_ELEM_F32, rank, dims);
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
  if (values) memcpy(t.data, values, t.bytes);
  return t;
}

static void test_ok(trn_status_t st) {
  ck_assert_msg(st == NULL, "%s", trn_status_message(st));
}

static float test_f(const trn_host_tensor_t *t, int64_t i) { return ((const float *)t->data)[i]; }

/* ---- trn_reference_run ----------------------------------------------------------- */

START_TEST(test_reference_run_add_relu) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>) -> tensor<2x3xf32> {\n"
      "  %0 = tosa.add %a, %b : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>\n"
      "  %1 = tosa.clamp %0 {min_fp = 0.0 : f32, max_fp = 3.4e38 : f32, min_int = 0 : i64,"
      " max_int = 9223372036854775807 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>\n"
      "  return %1 : tensor<2x3xf32>\n"
      "}\n");
  int64_t dims[2] = {2, 3};
  float a[6] = {1, -2, 3, -4, 5, -6}, b[6] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  trn_host_tensor_t in[2] = {test_tensor_f32(2, dims, a), test_tensor_f32(2, dims, b)};
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, in, 2, &out, &n));
  ck_assert_uint_eq(n, 1);
  ck_assert_int_eq(out[0].type, TRN_ELEM_F32);
  ck_assert_uint_eq(out[0].rank, 2);
  ck_assert_int_eq(out[0].dims[0], 2);
  ck_assert_int_eq(out[0].dims[1], 3);
  ck_assert_str_eq(out[0].name, "output_0");
  float want[6] = {1.5f, 0, 3.5f, 0, 5.5f, 0};
  for (int i = 0; i < 6; i++) ck_assert_float_eq(test_f(&out[0], i), want[i]);
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in[0]);
  trn_host_tensor_release(&in[1]);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_multiple_results_rank3) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%x: tensor<1x4x8xf32>, %w: tensor<1x8x3xf32>) -> (tensor<1x4x3xf32>, tensor<1x4x3xf32>)"
      " attributes {llvm.emit_c_interface} {\n"
      "  %0 = tosa.matmul %x, %w : (tensor<1x4x8xf32>, tensor<1x8x3xf32>) -> tensor<1x4x3xf32>\n"
      "  %1 = tosa.exp %0 : (tensor<1x4x3xf32>) -> tensor<1x4x3xf32>\n"
      "  return %0, %1 : tensor<1x4x3xf32>, tensor<1x4x3xf32>\n"
      "}\n");
  int64_t dx[3] = {1, 4, 8}, dw[3] = {1, 8, 3};
  float x[32], w[24];
  for (int i = 0; i < 32; i++) x[i] = (float)(i % 5) * 0.1f;
  for (int i = 0; i < 24; i++) w[i] = (float)((i % 3) - 1) * 0.2f;
  trn_host_tensor_t in[2] = {test_tensor_f32(3, dx, x), test_tensor_f32(3, dw, w)};
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, in, 2, &out, &n));
  ck_assert_uint_eq(n, 2);
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 3; c++) {
      float acc = 0;
      for (int k = 0; k < 8; k++) acc += x[r * 8 + k] * w[k * 3 + c];
      ck_assert_float_eq_tol(test_f(&out[0], r * 3 + c), acc, 1e-5f);
      ck_assert_float_eq_tol(test_f(&out[1], r * 3 + c), expf(acc), 1e-5f);
    }
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in[0]);
  trn_host_tensor_release(&in[1]);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_rank0_and_dynamic) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%s: tensor<f32>, %x: tensor<?x3xf32>) -> (tensor<f32>, tensor<?x3xf32>) {\n"
      "  %0 = tosa.add %s, %s : (tensor<f32>, tensor<f32>) -> tensor<f32>\n"
      "  %1 = tosa.reshape %s {new_shape = array<i64: 1, 1>} : (tensor<f32>) -> tensor<1x1xf32>\n"
      "  %2 = tosa.mul %x, %1 {shift = 0 : i8} : (tensor<?x3xf32>, tensor<1x1xf32>) -> tensor<?x3xf32>\n"
      "  return %0, %2 : tensor<f32>, tensor<?x3xf32>\n"
      "}\n");
  int64_t dx[2] = {4, 3};
  float s = 2.5f, x[12];
  for (int i = 0; i < 12; i++) x[i] = (float)i;
  trn_host_tensor_t in[2] = {test_tensor_f32(0, NULL, &s), test_tensor_f32(2, dx, x)};
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, in, 2, &out, &n));
  ck_assert_uint_eq(n, 2);
  ck_assert_uint_eq(out[0].rank, 0);
  ck_assert_uint_eq(out[0].bytes, 4);
  ck_assert_float_eq(test_f(&out[0], 0), 5.0f);
  ck_assert_uint_eq(out[1].rank, 2);
  ck_assert_int_eq(out[1].dims[0], 4);
  for (int i = 0; i < 12; i++) ck_assert_float_eq(test_f(&out[1], i), 2.5f * (float)i);
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in[0]);
  trn_host_tensor_release(&in[1]);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_integer_bool_math) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%i: tensor<4xi64>, %x: tensor<4xf32>) -> (tensor<4xi64>, tensor<4xi1>, tensor<4xf32>) {\n"
      "  %c = arith.constant dense<3> : tensor<4xi64>\n"
      "  %0 = arith.muli %i, %c : tensor<4xi64>\n"
      "  %z = arith.constant dense<0.0> : tensor<4xf32>\n"
      "  %1 = arith.cmpf ogt, %x, %z : tensor<4xf32>\n"
      "  %2 = math.sin %x : tensor<4xf32>\n"
      "  return %0, %1, %2 : tensor<4xi64>, tensor<4xi1>, tensor<4xf32>\n"
      "}\n");
  int64_t d[1] = {4};
  trn_host_tensor_t in[2];
  test_ok(trn_host_tensor_init(&in[0], "i", TRN_ELEM_I64, 1, d));
  int64_t iv[4] = {-2, 0, 7, 1LL << 40};
  memcpy(in[0].data, iv, sizeof iv);
  float xv[4] = {-1.0f, 0.0f, 0.5f, 2.0f};
  in[1] = test_tensor_f32(1, d, xv);
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, in, 2, &out, &n));
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(out[0].type, TRN_ELEM_I64);
  ck_assert_int_eq(out[1].type, TRN_ELEM_BOOL);
  for (int i = 0; i < 4; i++) {
    ck_assert_int_eq(((int64_t *)out[0].data)[i], 3 * iv[i]);
    ck_assert_int_eq(((uint8_t *)out[1].data)[i], xv[i] > 0);
    ck_assert_float_eq_tol(test_f(&out[2], i), sinf(xv[i]), 1e-6f);
  }
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in[0]);
  trn_host_tensor_release(&in[1]);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_half_types) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%a: tensor<4xf32>, %h: tensor<4xf16>) -> (tensor<4xf16>, tensor<4xbf16>, tensor<4xf32>) {\n"
      "  %0 = tosa.cast %a : (tensor<4xf32>) -> tensor<4xf16>\n"
      "  %1 = tosa.add %0, %h : (tensor<4xf16>, tensor<4xf16>) -> tensor<4xf16>\n"
      "  %2 = tosa.cast %a : (tensor<4xf32>) -> tensor<4xbf16>\n"
      "  %3 = tosa.mul %2, %2 {shift = 0 : i8} : (tensor<4xbf16>, tensor<4xbf16>) -> tensor<4xbf16>\n"
      "  %4 = tosa.exp %1 : (tensor<4xf16>) -> tensor<4xf16>\n"
      "  %5 = tosa.cast %4 : (tensor<4xf16>) -> tensor<4xf32>\n"
      "  return %1, %3, %5 : tensor<4xf16>, tensor<4xbf16>, tensor<4xf32>\n"
      "}\n");
  int64_t d[1] = {4};
  float a[4] = {0.5f, 1.0f, -2.0f, 3.0f};
  trn_host_tensor_t in[2] = {test_tensor_f32(1, d, a), {0}};
  test_ok(trn_host_tensor_init(&in[1], "h", TRN_ELEM_F16, 1, d));
  for (int i = 0; i < 4; i++) ((uint16_t *)in[1].data)[i] = 0x3c00; /* 1.0 */
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, in, 2, &out, &n));
  ck_assert_uint_eq(n, 3);
  ck_assert_int_eq(out[0].type, TRN_ELEM_F16);
  ck_assert_int_eq(out[1].type, TRN_ELEM_BF16);
  const uint16_t want_h[4] = {0x3e00, 0x4000, 0xbc00, 0x4400};  /* 1.5, 2, -1, 4 */
  const uint16_t want_b[4] = {0x3e80, 0x3f80, 0x4080, 0x4110};  /* 0.25, 1, 4, 9 */
  for (int i = 0; i < 4; i++) {
    ck_assert_uint_eq(((uint16_t *)out[0].data)[i], want_h[i]);
    ck_assert_uint_eq(((uint16_t *)out[1].data)[i], want_b[i]);
    ck_assert_float_eq_tol(test_f(&out[2], i), expf(a[i] + 1.0f), 2e-3f * expf(a[i] + 1.0f));
  }
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in[0]);
  trn_host_tensor_release(&in[1]);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

/* Results that alias an argument, a constant, each other, or a strided view of a
 * buffer: every one comes back right and nothing is freed twice. */
START_TEST(test_reference_run_aliasing_results) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%x: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<2xf32>, tensor<3x4xf32>,"
      " tensor<3x4xf32>, tensor<3x2xf32>) {\n"
      "  %c = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>\n"
      "  %0 = tosa.negate %x : (tensor<3x4xf32>) -> tensor<3x4xf32>\n"
      "  %1 = tensor.extract_slice %0[0, 1] [3, 2] [1, 2] : tensor<3x4xf32> to tensor<3x2xf32>\n"
      "  return %x, %c, %0, %0, %1 : tensor<3x4xf32>, tensor<2xf32>, tensor<3x4xf32>, tensor<3x4xf32>,"
      " tensor<3x2xf32>\n"
      "}\n");
  int64_t d[2] = {3, 4};
  float x[12];
  for (int i = 0; i < 12; i++) x[i] = (float)i;
  trn_host_tensor_t in = test_tensor_f32(2, d, x);
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, &in, 1, &out, &n));
  ck_assert_uint_eq(n, 5);
  for (int i = 0; i < 12; i++) {
    ck_assert_float_eq(test_f(&out[0], i), (float)i);
    ck_assert_float_eq(test_f(&out[2], i), -(float)i);
    ck_assert_float_eq(test_f(&out[3], i), -(float)i);
  }
  ck_assert_float_eq(test_f(&out[1], 0), 1.0f);
  ck_assert_float_eq(test_f(&out[1], 1), 2.0f);
  for (int r = 0; r < 3; r++)
    for (int c = 0; c < 2; c++) ck_assert_float_eq(test_f(&out[4], r * 2 + c), -(float)(r * 4 + 1 + 2 * c));
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_dense_resource_weights) {
  MlirContext ctx = test_context();
  /* Blob: 4-byte alignment header, then float32 {1, 2, 3, 4}. */
  MlirModule m = test_parse(ctx,
      "func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
      "  %w = arith.constant dense_resource<w0> : tensor<4xf32>\n"
      "  %0 = tosa.mul %x, %w {shift = 0 : i8} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>\n"
      "  return %0 : tensor<4xf32>\n"
      "}\n"
      "{-#\n  dialect_resources: { builtin: { w0: \"0x040000000000803F000000400000404000008040\" } }\n#-}\n");
  int64_t d[1] = {4};
  float x[4] = {1, 1, 2, -1};
  trn_host_tensor_t in = test_tensor_f32(1, d, x);
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, &in, 1, &out, &n));
  float want[4] = {1, 2, 6, -4};
  for (int i = 0; i < 4; i++) ck_assert_float_eq(test_f(&out[0], i), want[i]);
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

static void test_append(MlirStringRef s, void *user) { strncat((char *)user, s.data, s.length); }

START_TEST(test_reference_run_leaves_module_untouched) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
      "  %0 = tosa.abs %a : (tensor<2xf32>) -> tensor<2xf32>\n"
      "  return %0 : tensor<2xf32>\n"
      "}\n");
  static char before[4096], after[4096];
  before[0] = after[0] = '\0';
  mlirOperationPrint(mlirModuleGetOperation(m), test_append, before);
  int64_t d[1] = {2};
  float a[2] = {-1, 2};
  trn_host_tensor_t in = test_tensor_f32(1, d, a);
  for (int rep = 0; rep < 2; rep++) {
    trn_host_tensor_t *out = NULL;
    size_t n = 0;
    test_ok(trn_reference_run(NULL, m, &in, 1, &out, &n));
    ck_assert_float_eq(test_f(&out[0], 0), 1.0f);
    trn_host_tensors_free(out, n);
  }
  mlirOperationPrint(mlirModuleGetOperation(m), test_append, after);
  ck_assert_str_eq(before, after);
  trn_host_tensor_release(&in);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_rejects_bad_inputs) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {\n"
      "  return %a : tensor<2x3xf32>\n"
      "}\n");
  int64_t good[2] = {2, 3}, bad[2] = {3, 2};
  trn_host_tensor_t t_bad = test_tensor_f32(2, bad, NULL), t_i32;
  test_ok(trn_host_tensor_init(&t_i32, "i", TRN_ELEM_I32, 2, good));
  trn_host_tensor_t *out = (trn_host_tensor_t *)1;
  size_t n = 99;
  trn_status_t st = trn_reference_run(NULL, m, &t_bad, 0, &out, &n);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "takes 1 inputs, 0 given") != NULL, "%s", trn_status_message(st));
  ck_assert_ptr_null(out);
  ck_assert_uint_eq(n, 0);
  trn_status_free(st);
  st = trn_reference_run(NULL, m, &t_bad, 1, &out, &n);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "dim 0 is 3") != NULL, "%s", trn_status_message(st));
  trn_status_free(st);
  st = trn_reference_run(NULL, m, &t_i32, 1, &out, &n);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "element type i32") != NULL, "%s", trn_status_message(st));
  trn_status_free(st);
  trn_host_tensor_release(&t_bad);
  trn_host_tensor_release(&t_i32);
  mlirModuleDestroy(m);

  m = test_parse(ctx, "func.func @other() { return }\n");
  st = trn_reference_run(NULL, m, NULL, 0, &out, &n);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "@main") != NULL, "%s", trn_status_message(st));
  trn_status_free(st);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_tensor_concat) {
  MlirContext ctx = test_context();
  MlirModule m = test_parse(ctx,
      "func.func @main(%a: tensor<2xf32>, %b: tensor<1xf32>) -> tensor<5xf32> {\n"
      "  %0 = tensor.concat dim(0) %a, %b, %a : (tensor<2xf32>, tensor<1xf32>, tensor<2xf32>) -> tensor<5xf32>\n"
      "  return %0 : tensor<5xf32>\n"
      "}\n");
  int64_t da[1] = {2}, db[1] = {1};
  float a[2] = {1, 2}, b[1] = {3};
  trn_host_tensor_t in[2] = {test_tensor_f32(1, da, a), test_tensor_f32(1, db, b)};
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  test_ok(trn_reference_run(NULL, m, in, 2, &out, &n));
  float want[5] = {1, 2, 3, 1, 2};
  for (int i = 0; i < 5; i++) ck_assert_float_eq(test_f(&out[0], i), want[i]);
  trn_host_tensors_free(out, n);
  trn_host_tensor_release(&in[0]);
  trn_host_tensor_release(&in[1]);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_reference_run_reports_lowering_failure) {
  MlirContext ctx = test_context();
  /* An op no upstream pass knows how to lower. */
  mlirContextSetAllowUnregisteredDialects(ctx, true);
  MlirModule m = test_parse(ctx,
      "func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
      "  %0 = \"test.unknown\"(%a) : (tensor<2xf32>) -> tensor<2xf32>\n"
      "  return %0 : tensor<2xf32>\n"
      "}\n");
  int64_t d[1] = {2};
  trn_host_tensor_t in = test_tensor_f32(1, d, NULL);
  trn_host_tensor_t *out = NULL;
  size_t n = 0;
  trn_status_t st = trn_reference_run(NULL, m, &in, 1, &out, &n);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_UNSUPPORTED);
  ck_assert_msg(strstr(trn_status_message(st), "test.unknown") != NULL, "%s", trn_status_message(st));
  ck_assert_ptr_null(out);
  trn_status_free(st);
  trn_host_tensor_release(&in);
  mlirModuleDestroy(m);
  mlirContextDestroy(ctx);
}
END_TEST

/* ---- host tensors ------------------------------------------------------------------ */

START_TEST(test_host_tensor_allclose_tolerances) {
  int64_t d[1] = {3};
  float e[3] = {1.0f, -2.0f, NAN}, a_ok[3] = {1.0005f, -2.001f, NAN}, a_bad[3] = {1.0f, -2.1f, NAN};
  trn_host_tensor_t te = test_tensor_f32(1, d, e), ta = test_tensor_f32(1, d, a_ok),
                    tb = test_tensor_f32(1, d, a_bad);
  char why[256];
  ck_assert(trn_host_tensor_allclose(&ta, &te, 1e-3, 1e-5, why, sizeof why));
  ck_assert(!trn_host_tensor_allclose(&tb, &te, 1e-3, 1e-5, why, sizeof why));
  ck_assert_msg(strstr(why, "1 of 3 elements differ; first at [1]") != NULL, "%s", why);
  int64_t d2[1] = {4};
  trn_host_tensor_t tc = test_tensor_f32(1, d2, NULL);
  ck_assert(!trn_host_tensor_allclose(&tc, &te, 1e-3, 1e-5, why, sizeof why));
  ck_assert_msg(strstr(why, "shape f32[4], expected f32[3]") != NULL, "%s", why);
  trn_host_tensor_release(&te);
  trn_host_tensor_release(&ta);
  trn_host_tensor_release(&tb);
  trn_host_tensor_release(&tc);
}
END_TEST

START_TEST(test_host_tensor_allclose_integers_by_expected_signedness) {
  int64_t d[1] = {2};
  trn_host_tensor_t a, e;
  test_ok(trn_host_tensor_init(&a, NULL, TRN_ELEM_I8, 1, d));
  test_ok(trn_host_tensor_init(&e, NULL, TRN_ELEM_U8, 1, d));
  ((uint8_t *)a.data)[0] = 200;
  ((uint8_t *)e.data)[0] = 200;
  ck_assert(trn_host_tensor_allclose(&a, &e, 0, 0, NULL, 0));
  ((uint8_t *)a.data)[1] = 1;
  char why[256];
  ck_assert(!trn_host_tensor_allclose(&a, &e, 1, 1, why, sizeof why)); /* integers are exact */
  ck_assert_msg(strstr(why, "1, expected 0") != NULL, "%s", why);
  trn_host_tensor_release(&a);
  trn_host_tensor_release(&e);
}
END_TEST

START_TEST(test_host_tensor_convert_types) {
  int64_t d[1] = {4};
  float v[4] = {1.5f, -2.75f, 0.0f, 65504.0f};
  trn_host_tensor_t f = test_tensor_f32(1, d, v), h, i, b, back;
  test_ok(trn_host_tensor_convert(&f, TRN_ELEM_F16, &h));
  ck_assert_uint_eq(h.bytes, 8);
  ck_assert_uint_eq(((uint16_t *)h.data)[0], 0x3e00); /* 1.5 */
  ck_assert_uint_eq(((uint16_t *)h.data)[3], 0x7bff); /* 65504 */
  test_ok(trn_host_tensor_convert(&h, TRN_ELEM_F32, &back));
  for (int k = 0; k < 4; k++) ck_assert_float_eq(test_f(&back, k), v[k]);
  test_ok(trn_host_tensor_convert(&f, TRN_ELEM_I32, &i));
  ck_assert_int_eq(((int32_t *)i.data)[1], -2);
  test_ok(trn_host_tensor_convert(&f, TRN_ELEM_BOOL, &b));
  ck_assert_uint_eq(((uint8_t *)b.data)[2], 0);
  ck_assert_uint_eq(((uint8_t *)b.data)[1], 1);
  ck_assert_str_eq(b.name, "x");
  trn_host_tensor_release(&f);
  trn_host_tensor_release(&h);
  trn_host_tensor_release(&i);
  trn_host_tensor_release(&b);
  trn_host_tensor_release(&back);
}
END_TEST

START_TEST(test_host_tensor_init_rejects_bad_shapes) {
  trn_host_tensor_t t;
  int64_t neg[1] = {-1}, big[2] = {INT64_MAX, INT64_MAX};
  trn_status_t st = trn_host_tensor_init(&t, "n", TRN_ELEM_F32, 1, neg);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  st = trn_host_tensor_init(&t, "b", TRN_ELEM_F32, 2, big);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  st = trn_host_tensor_init(&t, "s", TRN_ELEM_STRING, 0, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  ck_assert_ptr_null(t.data);
}
END_TEST

/* ---- TensorProto files --------------------------------------------------------- */

/* A minimal protobuf writer for the tests. */
typedef struct test_pb_t {
  uint8_t b[512];
  size_t n;
} test_pb_t;

static void test_pb_varint(test_pb_t *p, uint64_t v) {
  do {
    uint8_t byte = v & 0x7f;
    v >>= 7;
    p->b[p->n++] = (uint8_t)(byte | (v ? 0x80 : 0));
  } while (v);
}

static void test_pb_bytes(test_pb_t *p, uint32_t field, const void *data, size_t len) {
  test_pb_varint(p, (uint64_t)field << 3 | 2);
  test_pb_varint(p, len);
  memcpy(p->b + p->n, data, len);
  p->n += len;
}

START_TEST(test_tensor_pb_parse_raw_and_typed) {
  /* dims {2, 2}, FLOAT, raw_data, name "t" */
  test_pb_t p = {.n = 0};
  test_pb_varint(&p, 1 << 3 | 0);
  test_pb_varint(&p, 2);
  test_pb_varint(&p, 1 << 3 | 0);
  test_pb_varint(&p, 2);
  test_pb_varint(&p, 2 << 3 | 0);
  test_pb_varint(&p, TRN_ELEM_F32);
  test_pb_bytes(&p, 8, "t", 1);
  float v[4] = {1, 2, 3, 4};
  test_pb_bytes(&p, 9, v, sizeof v);
  trn_host_tensor_t t;
  test_ok(trn_tensor_pb_parse(p.b, p.n, "mem", &t));
  ck_assert_int_eq(t.type, TRN_ELEM_F32);
  ck_assert_uint_eq(t.rank, 2);
  ck_assert_str_eq(t.name, "t");
  ck_assert_float_eq(test_f(&t, 3), 4.0f);
  trn_host_tensor_release(&t);

  /* dims {3}, BOOL, int32_data packed {1, 0, 5} */
  test_pb_t q = {.n = 0};
  test_pb_varint(&q, 1 << 3 | 0);
  test_pb_varint(&q, 3);
  test_pb_varint(&q, 2 << 3 | 0);
  test_pb_varint(&q, TRN_ELEM_BOOL);
  uint8_t packed[3] = {1, 0, 5};
  test_pb_bytes(&q, 5, packed, 3);
  test_ok(trn_tensor_pb_parse(q.b, q.n, "mem", &t));
  ck_assert_int_eq(t.type, TRN_ELEM_BOOL);
  ck_assert_uint_eq(t.bytes, 3);
  ck_assert_uint_eq(((uint8_t *)t.data)[0], 1);
  ck_assert_uint_eq(((uint8_t *)t.data)[1], 0);
  ck_assert_uint_eq(((uint8_t *)t.data)[2], 1);
  trn_host_tensor_release(&t);
}
END_TEST

START_TEST(test_tensor_pb_parse_rejects_malformed) {
  trn_host_tensor_t t;
  /* raw_data of the wrong size */
  test_pb_t p = {.n = 0};
  test_pb_varint(&p, 1 << 3 | 0);
  test_pb_varint(&p, 3);
  test_pb_varint(&p, 2 << 3 | 0);
  test_pb_varint(&p, TRN_ELEM_F32);
  float v[2] = {1, 2};
  test_pb_bytes(&p, 9, v, sizeof v);
  trn_status_t st = trn_tensor_pb_parse(p.b, p.n, "short.pb", &t);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_FORMAT);
  ck_assert_msg(strstr(trn_status_message(st), "short.pb: raw_data holds 8 bytes, dims need 12") != NULL,
                "%s", trn_status_message(st));
  trn_status_free(st);
  /* garbage */
  const uint8_t junk[4] = {0xff, 0xff, 0xff, 0xff};
  st = trn_tensor_pb_parse(junk, sizeof junk, "junk.pb", &t);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_FORMAT);
  trn_status_free(st);
  /* a string tensor */
  test_pb_t s = {.n = 0};
  test_pb_varint(&s, 2 << 3 | 0);
  test_pb_varint(&s, TRN_ELEM_STRING);
  st = trn_tensor_pb_parse(s.b, s.n, "str.pb", &t);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_UNSUPPORTED);
  trn_status_free(st);
  st = trn_tensor_pb_read("/nonexistent/x.pb", &t);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  ck_assert_msg(strstr(trn_status_message(st), "/nonexistent/x.pb") != NULL, "%s", trn_status_message(st));
  trn_status_free(st);
}
END_TEST

START_TEST(test_tensor_pb_read_suite_file) {
  const char *path = "/usr/share/libonnx-testdata/data/node/test_add/test_data_set_0/input_0.pb";
  FILE *f = fopen(path, "rb");
  if (!f) return; /* libonnx-testdata not installed */
  fclose(f);
  trn_host_tensor_t t;
  test_ok(trn_tensor_pb_read(path, &t));
  ck_assert_int_eq(t.type, TRN_ELEM_F32);
  ck_assert_uint_eq(t.rank, 3);
  ck_assert_int_eq(t.dims[0], 3);
  ck_assert_int_eq(t.dims[1], 4);
  ck_assert_int_eq(t.dims[2], 5);
  ck_assert_str_eq(t.name, "x");
  ck_assert_float_eq_tol(test_f(&t, 0), 1.7640524f, 1e-6f);
  trn_host_tensor_release(&t);
}
END_TEST

static Suite *reference_suite(void) {
  Suite *s = suite_create("reference");
  TCase *run = tcase_create("run");
  tcase_set_timeout(run, 60);
  tcase_add_test(run, test_reference_run_add_relu);
  tcase_add_test(run, test_reference_run_multiple_results_rank3);
  tcase_add_test(run, test_reference_run_rank0_and_dynamic);
  tcase_add_test(run, test_reference_run_integer_bool_math);
  tcase_add_test(run, test_reference_run_half_types);
  tcase_add_test(run, test_reference_run_aliasing_results);
  tcase_add_test(run, test_reference_run_dense_resource_weights);
  tcase_add_test(run, test_reference_run_leaves_module_untouched);
  tcase_add_test(run, test_reference_run_rejects_bad_inputs);
  tcase_add_test(run, test_reference_run_tensor_concat);
  tcase_add_test(run, test_reference_run_reports_lowering_failure);
  suite_add_tcase(s, run);
  TCase *host = tcase_create("host_tensor");
  tcase_add_test(host, test_host_tensor_allclose_tolerances);
  tcase_add_test(host, test_host_tensor_allclose_integers_by_expected_signedness);
  tcase_add_test(host, test_host_tensor_convert_types);
  tcase_add_test(host, test_host_tensor_init_rejects_bad_shapes);
  suite_add_tcase(s, host);
  TCase *pb = tcase_create("tensor_pb");
  tcase_add_test(pb, test_tensor_pb_parse_raw_and_typed);
  tcase_add_test(pb, test_tensor_pb_parse_rejects_malformed);
  tcase_add_test(pb, test_tensor_pb_read_suite_file);
  suite_add_tcase(s, pb);
  return s;
}

int main(void) {
  SRunner *runner = srunner_create(reference_suite());
  srunner_run_all(runner, CK_NORMAL);
  int failed = srunner_ntests_failed(runner);
  srunner_free(runner);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
