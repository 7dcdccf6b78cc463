/* Unit tests of compiler/emit.c: ISA-level IR -> .neff writer. The small MLP of the
 * lit tests goes through the whole pipeline, is emitted, loaded back and run. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlir-c/IR.h"
#include "trn/compiler.h"

static char *input_path(const char *rel) {
  const char *root = getenv("TRN_SOURCE_DIR");
  ck_assert_msg(root != NULL, "TRN_SOURCE_DIR is not set (run through ctest)");
  char *p = malloc(strlen(root) + strlen(rel) + 2);
  sprintf(p, "%s/%s", root, rel);
  return p;
}

static trn_compiler_t *make_compiler(void) {
  trn_compile_options_t o;
  trn_compile_options_init(&o);
  trn_compiler_t *c = NULL;
  trn_status_t s = trn_compiler_create(&o, &c);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  return c;
}

static MlirModule lowered_mlp(trn_compiler_t *c) {
  char *path = input_path("tests/lit/passes/Inputs/mlp_small.mlir");
  MlirModule m;
  trn_status_t s = trn_compiler_parse_mlir_file(c, path, &m);
  free(path);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  s = trn_compiler_lower(c, m, TRN_STAGE_ISA);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  return m;
}

START_TEST(test_emit_mlp_loads_and_runs_race_free) {
  trn_compiler_t *c = make_compiler();
  MlirModule m = lowered_mlp(c);
  trn_rt_writer_t *w = NULL;
  ck_assert(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w) == NULL);
  trn_status_t s = trn_compiler_emit_to_writer(c, m, w);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  uint8_t hash[32] = {0};
  trn_rt_writer_set_metadata(w, "test", hash);
  void *data = NULL;
  size_t size = 0;
  ck_assert(trn_rt_writer_write_memory(w, &data, &size) == NULL);
  trn_rt_model_t *model = NULL;
  s = trn_rt_model_load_memory(data, size, &model);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  ck_assert_uint_eq(trn_rt_model_input_count(model), 1);
  ck_assert_uint_eq(trn_rt_model_output_count(model), 1);
  const trn_rt_tensor_info_t *in = trn_rt_model_input(model, 0), *out = trn_rt_model_output(model, 0);
  ck_assert_str_eq(in->name, "input");
  ck_assert_str_eq(out->name, "logits");
  ck_assert_uint_eq(in->rank, 2);
  ck_assert_int_eq(in->dims[1], 160);
  ck_assert_int_eq(out->dims[1], 3);
  ck_assert_uint_gt(trn_rt_model_stream_length(model, 0), 0); /* PE */
  ck_assert_uint_gt(trn_rt_model_stream_length(model, 1), 0); /* ACT */
  ck_assert_uint_gt(trn_rt_model_dma_count(model), 0);

  float x[4 * 160], y[4 * 3];
  for (int i = 0; i < 4 * 160; i++) x[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
  const void *ins[1] = {x};
  void *outs[1] = {y};
  trn_rt_run_options_t ro = {.strict = true};
  s = trn_rt_model_run(model, &ro, ins, outs, NULL);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  trn_rt_model_destroy(model);
  free(data);
  trn_rt_writer_destroy(w);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
}
END_TEST

START_TEST(test_emit_rejects_graph_level_ir) {
  trn_compiler_t *c = make_compiler();
  char *path = input_path("tests/lit/passes/Inputs/mlp_small.mlir");
  MlirModule m;
  ck_assert(trn_compiler_parse_mlir_file(c, path, &m) == NULL);
  free(path);
  trn_rt_writer_t *w = NULL;
  ck_assert(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w) == NULL);
  trn_status_t s = trn_compiler_emit_to_writer(c, m, w);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(trn_status_code(s), TRN_ERR_INTERNAL);
  ck_assert_msg(strstr(trn_status_message(s), "not an ISA-level operation") != NULL, "%s", trn_status_message(s));
  trn_status_free(s);
  trn_rt_writer_destroy(w);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
}
END_TEST

START_TEST(test_emit_reports_instructions_failing_the_isa_check) {
  trn_compiler_t *c = make_compiler();
  MlirModule m;
  /* A matmul whose moving operand is wider than the stationary one's partitions. */
  const char *text =
      "func.func @main() {\n"
      "  \"trn_isa.matmul\"() {stream = 0 : i64,\n"
      "    dst = {space = \"psum\", dtype = \"fp32\", part = array<i64: 0, 8>, offset = 0 : i64, num = array<i64: 4>, step = array<i64: 1>},\n"
      "    src0 = {space = \"sbuf\", dtype = \"fp32\", part = array<i64: 0, 16>, offset = 0 : i64, num = array<i64: 8>, step = array<i64: 1>},\n"
      "    src1 = {space = \"sbuf\", dtype = \"fp32\", part = array<i64: 0, 32>, offset = 64 : i64, num = array<i64: 4>, step = array<i64: 1>}} : () -> ()\n"
      "  return\n}\n";
  char path[] = "/tmp/trn_emit_test_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  ck_assert(trn_compiler_parse_mlir_file(c, path, &m) == NULL);
  remove(path);
  trn_rt_writer_t *w = NULL;
  ck_assert(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w) == NULL);
  trn_status_t s = trn_compiler_emit_to_writer(c, m, w);
  ck_assert_ptr_nonnull(s);
  ck_assert_msg(strstr(trn_status_message(s), "internal compiler error") != NULL, "%s", trn_status_message(s));
  ck_assert_msg(strstr(trn_status_message(s), "trn_isa.matmul") != NULL, "%s", trn_status_message(s));
  trn_status_free(s);
  trn_rt_writer_destroy(w);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
}
END_TEST

/* Parses `text`, lowers it to the ISA, emits, loads and runs it on `inputs`. */
static void compile_and_run(const char *text, const void *const *inputs, void *const *outputs) {
  trn_compiler_t *c = make_compiler();
  char path[] = "/tmp/trn_emit_test_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  FILE *f = fdopen(fd, "w");
  fputs(text, f);
  fclose(f);
  MlirModule m;
  trn_status_t s = trn_compiler_parse_mlir_file(c, path, &m);
  remove(path);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  s = trn_compiler_lower(c, m, TRN_STAGE_ISA);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  trn_rt_writer_t *w = NULL;
  ck_assert(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w) == NULL);
  s = trn_compiler_emit_to_writer(c, m, w);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  uint8_t hash[32] = {0};
  trn_rt_writer_set_metadata(w, "test", hash);
  void *data = NULL;
  size_t size = 0;
  ck_assert(trn_rt_writer_write_memory(w, &data, &size) == NULL);
  trn_rt_model_t *model = NULL;
  s = trn_rt_model_load_memory(data, size, &model);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  trn_rt_run_options_t ro = {.strict = true};
  s = trn_rt_model_run(model, &ro, inputs, outputs, NULL);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  trn_rt_model_destroy(model);
  free(data);
  trn_rt_writer_destroy(w);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
}

static void check_close(const float *got, const double *want, size_t n, double rtol, double atol) {
  for (size_t i = 0; i < n; i++)
    ck_assert_msg(fabs(got[i] - want[i]) <= atol + rtol * fabs(want[i]), "element %zu: got %g, want %g", i,
                  (double)got[i], want[i]);
}

/* Element-wise ops on their own (no matmul): unary functions on ACT, binary ALU ops
 * on DVE, a scalar constant operand, a general clamp, a broadcast row. */
START_TEST(test_emit_elementwise_ops_match_reference) {
  const char *text =
      "func.func @main(%x: tensor<3x200xf32> {trn.name = \"x\"}, %y: tensor<3x200xf32> {trn.name = \"y\"},\n"
      "                %r: tensor<1x200xf32> {trn.name = \"r\"}) -> (tensor<3x200xf32> {trn.name = \"z\"}) {\n"
      "  %half = \"tosa.const\"() <{value = dense<0.5> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>\n"
      "  %0 = tosa.sigmoid %x : (tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %1 = tosa.mul %0, %y {shift = 0 : i8} : (tensor<3x200xf32>, tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %2 = tosa.minimum %x, %y : (tensor<3x200xf32>, tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %3 = tosa.exp %2 : (tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %4 = tosa.add %1, %3 : (tensor<3x200xf32>, tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %5 = tosa.abs %y : (tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %6 = math.sqrt %5 : tensor<3x200xf32>\n"
      "  %7 = tosa.sub %4, %6 : (tensor<3x200xf32>, tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %8 = tosa.mul %7, %half {shift = 0 : i8} : (tensor<3x200xf32>, tensor<1x1xf32>) -> tensor<3x200xf32>\n"
      "  %9 = tosa.clamp %8 {min_fp = -1.0 : f32, max_fp = 1.5 : f32, min_int = -1 : i64, max_int = 1 : i64} : (tensor<3x200xf32>) -> tensor<3x200xf32>\n"
      "  %10 = tosa.add %9, %r : (tensor<3x200xf32>, tensor<1x200xf32>) -> tensor<3x200xf32>\n"
      "  return %10 : tensor<3x200xf32>\n}\n";
  enum { N = 3 * 200 };
  static float x[N], y[N], r[200], z[N];
  static double want[N];
  for (int i = 0; i < N; i++) {
    x[i] = (float)((i * 37) % 101) / 25.0f - 2.0f;
    y[i] = (float)((i * 53) % 97) / 30.0f - 1.5f;
  }
  for (int i = 0; i < 200; i++) r[i] = (float)(i % 7) * 0.25f - 0.75f;
  for (int i = 0; i < N; i++) {
    double sig = 1.0 / (1.0 + exp(-(double)x[i]));
    double v = sig * y[i] + exp(fmin(x[i], y[i])) - sqrt(fabs(y[i]));
    v = fmin(fmax(v * 0.5, -1.0), 1.5);
    want[i] = v + r[i % 200];
  }
  const void *ins[3] = {x, y, r};
  void *outs[1] = {z};
  compile_and_run(text, ins, outs);
  check_close(z, want, N, 1e-3, 1e-4);
}
END_TEST

/* Attention: scores = q k (M on partitions, so that the softmax reductions run along
 * the free axis), a softmax (reduce_max, broadcast sub, exp, reduce_sum, reciprocal,
 * broadcast mul), then p v (p needs the keys on partitions: a layout change). */
START_TEST(test_emit_attention_matches_reference) {
  const char *text =
      "func.func @main(%q: tensor<1x64x32xf32>, %k: tensor<1x32x200xf32>, %v: tensor<1x200x16xf32>) -> tensor<1x64x16xf32> {\n"
      "  %s = tosa.matmul %q, %k : (tensor<1x64x32xf32>, tensor<1x32x200xf32>) -> tensor<1x64x200xf32>\n"
      "  %m = tosa.reduce_max %s {axis = 2 : i32} : (tensor<1x64x200xf32>) -> tensor<1x64x1xf32>\n"
      "  %d = tosa.sub %s, %m : (tensor<1x64x200xf32>, tensor<1x64x1xf32>) -> tensor<1x64x200xf32>\n"
      "  %e = tosa.exp %d : (tensor<1x64x200xf32>) -> tensor<1x64x200xf32>\n"
      "  %z = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<1x64x200xf32>) -> tensor<1x64x1xf32>\n"
      "  %r = tosa.reciprocal %z : (tensor<1x64x1xf32>) -> tensor<1x64x1xf32>\n"
      "  %p = tosa.mul %e, %r {shift = 0 : i8} : (tensor<1x64x200xf32>, tensor<1x64x1xf32>) -> tensor<1x64x200xf32>\n"
      "  %o = tosa.matmul %p, %v : (tensor<1x64x200xf32>, tensor<1x200x16xf32>) -> tensor<1x64x16xf32>\n"
      "  return %o : tensor<1x64x16xf32>\n}\n";
  enum { M = 64, D = 32, N = 200, V = 16 };
  static float q[M * D], k[D * N], v[N * V], o[M * V];
  static double want[M * V], p[M * N];
  for (int i = 0; i < M * D; i++) q[i] = (float)((i * 29) % 41) / 20.0f - 1.0f;
  for (int i = 0; i < D * N; i++) k[i] = (float)((i * 17) % 37) / 30.0f - 0.6f;
  for (int i = 0; i < N * V; i++) v[i] = (float)((i * 13) % 23) / 11.0f - 1.0f;
  for (int m = 0; m < M; m++) {
    double mx = -1e300, sum = 0;
    for (int n = 0; n < N; n++) {
      double s = 0;
      for (int d = 0; d < D; d++) s += (double)q[m * D + d] * k[d * N + n];
      p[m * N + n] = s;
      if (s > mx) mx = s;
    }
    for (int n = 0; n < N; n++) sum += p[m * N + n] = exp(p[m * N + n] - mx);
    for (int n = 0; n < N; n++) p[m * N + n] /= sum;
    for (int j = 0; j < V; j++) {
      double acc = 0;
      for (int n = 0; n < N; n++) acc += p[m * N + n] * v[n * V + j];
      want[m * V + j] = acc;
    }
  }
  const void *ins[3] = {q, k, v};
  void *outs[1] = {o};
  compile_and_run(text, ins, outs);
  check_close(o, want, M * V, 1e-3, 1e-4);
}
END_TEST

/* Logic and data movement: a leaky relu by comparison and select (a scalar on the
 * left of the comparison), floor/ceil/round, pad then slice back, a vector reduced
 * across partitions, concat of a tensor and its reverse. */
START_TEST(test_emit_logic_and_data_movement_match_reference) {
  const char *text =
      "func.func @main(%x: tensor<6x20xf32>, %v: tensor<200xf32>) -> (tensor<6x20xf32>, tensor<1xf32>, tensor<12x20xf32>) {\n"
      "  %zero = \"tosa.const\"() <{value = dense<0.0> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>\n"
      "  %slope = \"tosa.const\"() <{value = dense<0.25> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>\n"
      "  %pads = \"tosa.const\"() <{value = dense<[[1, 0], [2, 3]]> : tensor<2x2xi32>}> : () -> tensor<2x2xi32>\n"
      "  %pv = \"tosa.const\"() <{value = dense<0.5> : tensor<f32>}> : () -> tensor<f32>\n"
      "  %c = tosa.greater %zero, %x : (tensor<1x1xf32>, tensor<6x20xf32>) -> tensor<6x20xi1>\n"
      "  %m = tosa.mul %x, %slope {shift = 0 : i8} : (tensor<6x20xf32>, tensor<1x1xf32>) -> tensor<6x20xf32>\n"
      "  %l = tosa.select %c, %m, %x : (tensor<6x20xi1>, tensor<6x20xf32>, tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %f = tosa.floor %l : (tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %g = tosa.ceil %l : (tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %h = math.roundeven %l : tensor<6x20xf32>\n"
      "  %p = tosa.pad %x, %pads, %pv : (tensor<6x20xf32>, tensor<2x2xi32>, tensor<f32>) -> tensor<7x25xf32>\n"
      "  %q = tosa.slice %p {size = array<i64: 6, 20>, start = array<i64: 1, 2>} : (tensor<7x25xf32>) -> tensor<6x20xf32>\n"
      "  %a1 = tosa.add %f, %g : (tensor<6x20xf32>, tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %a2 = tosa.add %a1, %h : (tensor<6x20xf32>, tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %o1 = tosa.add %a2, %q : (tensor<6x20xf32>, tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %o2 = tosa.reduce_max %v {axis = 0 : i32} : (tensor<200xf32>) -> tensor<1xf32>\n"
      "  %rv = tosa.reverse %x {axis = 1 : i32} : (tensor<6x20xf32>) -> tensor<6x20xf32>\n"
      "  %o3 = tosa.concat %x, %rv {axis = 0 : i32} : (tensor<6x20xf32>, tensor<6x20xf32>) -> tensor<12x20xf32>\n"
      "  return %o1, %o2, %o3 : tensor<6x20xf32>, tensor<1xf32>, tensor<12x20xf32>\n}\n";
  enum { N = 6 * 20 };
  static float x[N], v[200], o1[N], o2[1], o3[2 * N];
  static double w1[N], w2[1], w3[2 * N];
  for (int i = 0; i < N; i++) x[i] = (float)((i * 37) % 53) / 7.0f - 3.75f;
  for (int i = 0; i < 200; i++) v[i] = (float)((i * 61) % 199) / 10.0f - 9.0f;
  double mx = -1e300;
  for (int i = 0; i < 200; i++) mx = v[i] > mx ? v[i] : mx;
  w2[0] = mx;
  for (int i = 0; i < N; i++) {
    double l = x[i] < 0 ? (double)(x[i] * 0.25f) : x[i];
    w1[i] = floor(l) + ceil(l) + nearbyint(l) + x[i];
    w3[i] = x[i];
    w3[N + i] = x[(i / 20) * 20 + 19 - i % 20];
  }
  const void *ins[2] = {x, v};
  void *outs[3] = {o1, o2, o3};
  compile_and_run(text, ins, outs);
  check_close(o1, w1, N, 1e-6, 1e-6);
  check_close(o2, w2, 1, 0, 0);
  check_close(o3, w3, 2 * N, 0, 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("passes_emit");
  TCase *tc = tcase_create("emit");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_emit_mlp_loads_and_runs_race_free);
  tcase_add_test(tc, test_emit_rejects_graph_level_ir);
  tcase_add_test(tc, test_emit_reports_instructions_failing_the_isa_check);
  tcase_add_test(tc, test_emit_elementwise_ops_match_reference);
  tcase_add_test(tc, test_emit_attention_matches_reference);
  tcase_add_test(tc, test_emit_logic_and_data_movement_match_reference);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
