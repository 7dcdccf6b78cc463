/* Unit tests of the ONNX importer (compiler/onnx/) and the compiler object
 * (compiler/compiler.c). Small models are built here with protobuf-c structs and
 * packed to temporary files. */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/IR.h"
#include "onnx.pb-c.h"
#include "trn/compiler.h"

/* Internal to compiler/ but exported by the library; tested here directly. */
void trn_sha256(const void *data, size_t size, uint8_t out_digest[32]);

/* ---- building models ------------------------------------------------------------ */

/* Everything a test model allocates, freed at once. */
typedef struct arena_t {
  void *ptrs[512];
  size_t count;
} arena_t;

static void *arena_alloc(arena_t *a, size_t size) {
  ck_assert_uint_lt(a->count, 512);
  void *p = calloc(1, size);
  ck_assert_ptr_nonnull(p);
  a->ptrs[a->count++] = p;
  return p;
}

static void arena_free(arena_t *a) {
  for (size_t i = 0; i < a->count; i++) free(a->ptrs[i]);
  a->count = 0;
}

static char *arena_str(arena_t *a, const char *s) {
  char *d = arena_alloc(a, strlen(s) + 1);
  strcpy(d, s);
  return d;
}

/* A FLOAT tensor value info; a negative dim is symbolic ("batch"). */
static Onnx__ValueInfoProto *make_vi(arena_t *a, const char *name, size_t rank, const int64_t *dims) {
  Onnx__ValueInfoProto *vi = arena_alloc(a, sizeof *vi);
  onnx__value_info_proto__init(vi);
  vi->name = arena_str(a, name);
  Onnx__TypeProto *tp = arena_alloc(a, sizeof *tp);
  onnx__type_proto__init(tp);
  Onnx__TypeProto__Tensor *tt = arena_alloc(a, sizeof *tt);
  onnx__type_proto__tensor__init(tt);
  tt->has_elem_type = 1;
  tt->elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  Onnx__TensorShapeProto *sh = arena_alloc(a, sizeof *sh);
  onnx__tensor_shape_proto__init(sh);
  sh->n_dim = rank;
  sh->dim = arena_alloc(a, (rank + 1) * sizeof *sh->dim);
  for (size_t i = 0; i < rank; i++) {
    Onnx__TensorShapeProto__Dimension *d = arena_alloc(a, sizeof *d);
    onnx__tensor_shape_proto__dimension__init(d);
    if (dims[i] >= 0) {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
      d->dim_value = dims[i];
    } else {
      d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
      d->dim_param = arena_str(a, "batch");
    }
    sh->dim[i] = d;
  }
  tt->shape = sh;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->type = tp;
  return vi;
}

/* A node; inputs and outputs are NULL-terminated lists. */
static Onnx__NodeProto *make_node(arena_t *a, const char *op, const char *name, const char **in,
                                  const char **out) {
  Onnx__NodeProto *n = arena_alloc(a, sizeof *n);
  onnx__node_proto__init(n);
  n->op_type = arena_str(a, op);
  n->name = name ? arena_str(a, name) : NULL;
  for (; in && in[n->n_input]; n->n_input++) {}
  for (; out && out[n->n_output]; n->n_output++) {}
  n->input = arena_alloc(a, (n->n_input + 1) * sizeof(char *));
  n->output = arena_alloc(a, (n->n_output + 1) * sizeof(char *));
  for (size_t i = 0; i < n->n_input; i++) n->input[i] = arena_str(a, in[i]);
  for (size_t i = 0; i < n->n_output; i++) n->output[i] = arena_str(a, out[i]);
  return n;
}

static void node_add_attr(arena_t *a, Onnx__NodeProto *n, Onnx__AttributeProto *attr) {
  Onnx__AttributeProto **attrs = arena_alloc(a, (n->n_attribute + 1) * sizeof *attrs);
  if (n->n_attribute) memcpy(attrs, n->attribute, n->n_attribute * sizeof *attrs);
  attrs[n->n_attribute++] = attr;
  n->attribute = attrs;
}

static void node_attr_float(arena_t *a, Onnx__NodeProto *n, const char *name, float f) {
  Onnx__AttributeProto *attr = arena_alloc(a, sizeof *attr);
  onnx__attribute_proto__init(attr);
  attr->name = arena_str(a, name);
  attr->has_type = 1;
  attr->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  attr->has_f = 1;
  attr->f = f;
  node_add_attr(a, n, attr);
}

static void node_attr_int(arena_t *a, Onnx__NodeProto *n, const char *name, int64_t i) {
  Onnx__AttributeProto *attr = arena_alloc(a, sizeof *attr);
  onnx__attribute_proto__init(attr);
  attr->name = arena_str(a, name);
  attr->has_type = 1;
  attr->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  attr->has_i = 1;
  attr->i = i;
  node_add_attr(a, n, attr);
}

/* A FLOAT initializer stored in float_data (typed storage) or raw_data. */
static Onnx__TensorProto *make_init(arena_t *a, const char *name, size_t rank, const int64_t *dims,
                                    const float *values, bool raw) {
  Onnx__TensorProto *t = arena_alloc(a, sizeof *t);
  onnx__tensor_proto__init(t);
  t->name = arena_str(a, name);
  t->has_data_type = 1;
  t->data_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
  t->n_dims = rank;
  t->dims = arena_alloc(a, (rank + 1) * sizeof(int64_t));
  size_t count = 1;
  for (size_t i = 0; i < rank; i++) count *= (size_t)(t->dims[i] = dims[i]);
  if (raw) {
    t->has_raw_data = 1;
    t->raw_data.len = count * sizeof(float);
    t->raw_data.data = arena_alloc(a, t->raw_data.len + 1);
    memcpy(t->raw_data.data, values, t->raw_data.len);
  } else {
    t->n_float_data = count;
    t->float_data = arena_alloc(a, count * sizeof(float) + 1);
    memcpy(t->float_data, values, count * sizeof(float));
  }
  return t;
}

typedef struct graph_spec_t {
  Onnx__NodeProto *nodes[16];
  size_t n_nodes;
  Onnx__ValueInfoProto *inputs[8], *outputs[8];
  size_t n_inputs, n_outputs;
  Onnx__TensorProto *inits[8];
  size_t n_inits;
} graph_spec_t;

/* Packs the model (opset 13) into `path`, or a new temporary file when path is NULL;
 * returns the path. */
static char *write_model_at(arena_t *a, const graph_spec_t *g, const char *path_or_null) {
  Onnx__GraphProto graph;
  onnx__graph_proto__init(&graph);
  graph.name = arena_str(a, "test");
  graph.n_node = g->n_nodes;
  graph.node = (Onnx__NodeProto **)g->nodes;
  graph.n_input = g->n_inputs;
  graph.input = (Onnx__ValueInfoProto **)g->inputs;
  graph.n_output = g->n_outputs;
  graph.output = (Onnx__ValueInfoProto **)g->outputs;
  graph.n_initializer = g->n_inits;
  graph.initializer = (Onnx__TensorProto **)g->inits;
  Onnx__OperatorSetIdProto opset;
  onnx__operator_set_id_proto__init(&opset);
  opset.domain = arena_str(a, "");
  opset.has_version = 1;
  opset.version = 13;
  Onnx__OperatorSetIdProto *opsets[1] = {&opset};
  Onnx__ModelProto model;
  onnx__model_proto__init(&model);
  model.has_ir_version = 1;
  model.ir_version = 8;
  model.n_opset_import = 1;
  model.opset_import = opsets;
  model.graph = &graph;
  size_t size = onnx__model_proto__get_packed_size(&model);
  uint8_t *buf = arena_alloc(a, size + 1);
  onnx__model_proto__pack(&model, buf);
  char *path = arena_str(a, path_or_null ? path_or_null : "/tmp/trn_importer_test_XXXXXX");
  int fd = path_or_null ? open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644) : mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, buf, size), (ssize_t)size);
  close(fd);
  return path;
}

static char *write_model(arena_t *a, const graph_spec_t *g) { return write_model_at(a, g, NULL); }

static char *write_bytes(arena_t *a, const void *data, size_t size) {
  char *path = arena_str(a, "/tmp/trn_importer_test_XXXXXX");
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
  close(fd);
  return path;
}

/* ---- helpers for checking ------------------------------------------------------- */

static trn_compiler_t *new_compiler(const trn_input_shape_t *shapes, size_t n_shapes) {
  trn_compile_options_t opts;
  trn_compile_options_init(&opts);
  opts.input_shapes = shapes;
  opts.input_shape_count = n_shapes;
  trn_compiler_t *c = NULL;
  trn_status_t s = trn_compiler_create(&opts, &c);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  return c;
}

static MlirOperation main_func(MlirModule m) {
  return mlirBlockGetFirstOperation(mlirModuleGetBody(m));
}

/* The module printed to a malloc'ed string. */
typedef struct text_t {
  char *data;
  size_t len;
} text_t;

static void text_append(MlirStringRef s, void *user) {
  text_t *t = user;
  t->data = realloc(t->data, t->len + s.length + 1);
  memcpy(t->data + t->len, s.data, s.length);
  t->len += s.length;
  t->data[t->len] = '\0';
}

static char *module_text(MlirModule m) {
  text_t t = {NULL, 0};
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  mlirOpPrintingFlagsElideLargeResourceString(flags, 16);
  mlirOperationPrintWithFlags(mlirModuleGetOperation(m), flags, text_append, &t);
  mlirOpPrintingFlagsDestroy(flags);
  return t.data;
}

static char *type_text(MlirType type) {
  text_t t = {NULL, 0};
  mlirTypePrint(type, text_append, &t);
  return t.data;
}

static trn_status_t import_path(trn_compiler_t *c, const char *path, MlirModule *m) {
  return trn_compiler_import_onnx(c, path, m);
}

static void expect_error(trn_status_t s, trn_status_code_t code, const char *needle) {
  ck_assert_msg(s != NULL, "expected an error containing '%s'", needle);
  ck_assert_msg(trn_status_code(s) == code, "code %s, expected %s: %s",
                trn_status_code_name(trn_status_code(s)), trn_status_code_name(code),
                trn_status_message(s));
  ck_assert_msg(strstr(trn_status_message(s), needle), "message lacks '%s': %s", needle,
                trn_status_message(s));
  trn_status_free(s);
}

/* ---- importer ------------------------------------------------------------------- */

START_TEST(test_importer_mlp_signature) {
  const char *src = getenv("TRN_SOURCE_DIR");
  ck_assert_msg(src != NULL, "TRN_SOURCE_DIR is not set (run through ctest)");
  char path[4096];
  snprintf(path, sizeof path, "%s/examples/mlp.onnx", src);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  MlirOperation f = main_func(m);
  ck_assert_str_eq(mlirIdentifierStr(mlirOperationGetName(f)).data, "func.func");
  MlirAttribute ft = mlirOperationGetAttributeByName(f, mlirStringRefCreateFromCString("function_type"));
  MlirType fn = mlirTypeAttrGetValue(ft);
  ck_assert_int_eq(mlirFunctionTypeGetNumInputs(fn), 1);
  ck_assert_int_eq(mlirFunctionTypeGetNumResults(fn), 1);
  char *in = type_text(mlirFunctionTypeGetInput(fn, 0)), *out = type_text(mlirFunctionTypeGetResult(fn, 0));
  ck_assert_str_eq(in, "tensor<8x784xf32>");
  ck_assert_str_eq(out, "tensor<8x10xf32>");
  free(in);
  free(out);
  char *text = module_text(m);
  ck_assert_ptr_nonnull(strstr(text, "{trn.name = \"input\"}"));
  ck_assert_ptr_nonnull(strstr(text, "{trn.name = \"logits\"}"));
  ck_assert_ptr_nonnull(strstr(text, "llvm.emit_c_interface"));
  ck_assert_ptr_nonnull(strstr(text, "dense_resource<fc1.weight> : tensor<784x256xf32>"));
  ck_assert_ptr_nonnull(strstr(text, "tosa.matmul"));
  ck_assert_ptr_nonnull(strstr(text, "tosa.clamp"));
  ck_assert_ptr_nonnull(strstr(text, "tosa.transpose"));
  free(text);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
}
END_TEST

/* Weights are referenced as dense resources holding the initializer's values, from
 * raw_data and from typed float_data alike. */
START_TEST(test_importer_weights_resource_values) {
  arena_t a = {0};
  const int64_t d2[2] = {2, 2}, d1[1] = {2};
  const float w[4] = {1.5f, -2.0f, 3.25f, 4.0f}, b[2] = {0.5f, -0.5f};
  graph_spec_t g = {0};
  g.nodes[g.n_nodes++] = make_node(&a, "MatMul", "mm", (const char *[]){"x", "w", NULL}, (const char *[]){"h", NULL});
  g.nodes[g.n_nodes++] = make_node(&a, "Add", "add", (const char *[]){"h", "b", NULL}, (const char *[]){"y", NULL});
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 2, d2);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 2, d2);
  g.inits[g.n_inits++] = make_init(&a, "w", 2, d2, w, true);
  g.inits[g.n_inits++] = make_init(&a, "b", 1, d1, b, false);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  int found = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(mlirRegionGetFirstBlock(mlirOperationGetRegion(main_func(m), 0)));
       !mlirOperationIsNull(op); op = mlirOperationGetNextInBlock(op)) {
    if (strcmp(mlirIdentifierStr(mlirOperationGetName(op)).data, "tosa.const") != 0) continue;
    MlirAttribute v = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
    if (!mlirAttributeIsADenseResourceElements(v)) continue;
    int64_t n = mlirShapedTypeGetDimSize(mlirAttributeGetType(v), 0);
    const float *expect = n == 2 && mlirShapedTypeGetRank(mlirAttributeGetType(v)) == 1 ? b : w;
    int64_t count = mlirShapedTypeGetRank(mlirAttributeGetType(v)) == 1 ? 2 : 4;
    for (int64_t i = 0; i < count; i++)
      ck_assert_float_eq(mlirDenseFloatResourceElementsAttrGetValue(v, i), expect[i]);
    found++;
  }
  ck_assert_int_eq(found, 2);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
  unlink(path);
  arena_free(&a);
}
END_TEST

/* Sets the element type of a value info made by make_vi. */
static Onnx__ValueInfoProto *with_elem(Onnx__ValueInfoProto *vi, int32_t elem) {
  vi->type->tensor_type->elem_type = elem;
  return vi;
}

START_TEST(test_importer_element_types_at_the_boundary) {
  /* INT64 stays i64; DOUBLE is f64 at the boundary and f32 inside; UINT8 is i8. */
  arena_t a = {0};
  const int64_t d[1] = {3};
  graph_spec_t g = {0};
  Onnx__NodeProto *cast = make_node(&a, "Cast", "to_double", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
  node_attr_int(&a, cast, "to", ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE);
  g.nodes[g.n_nodes++] = cast;
  g.nodes[g.n_nodes++] = make_node(&a, "Identity", "id", (const char *[]){"u", NULL}, (const char *[]){"v", NULL});
  g.inputs[g.n_inputs++] = with_elem(make_vi(&a, "x", 1, d), ONNX__TENSOR_PROTO__DATA_TYPE__INT64);
  g.inputs[g.n_inputs++] = with_elem(make_vi(&a, "u", 1, d), ONNX__TENSOR_PROTO__DATA_TYPE__UINT8);
  g.outputs[g.n_outputs++] = with_elem(make_vi(&a, "y", 1, d), ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE);
  g.outputs[g.n_outputs++] = with_elem(make_vi(&a, "v", 1, d), ONNX__TENSOR_PROTO__DATA_TYPE__UINT8);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  MlirAttribute fta = mlirOperationGetAttributeByName(main_func(m), mlirStringRefCreateFromCString("function_type"));
  char *t = type_text(mlirTypeAttrGetValue(fta));
  ck_assert_str_eq(t, "(tensor<3xi64>, tensor<3xi8>) -> (tensor<3xf64>, tensor<3xi8>)");
  free(t);
  char *text = module_text(m);
  ck_assert_ptr_nonnull(strstr(text, "tosa.cast %arg0 : (tensor<3xi64>) -> tensor<3xf32>"));
  ck_assert_ptr_nonnull(strstr(text, "(tensor<3xf32>) -> tensor<3xf64>"));
  free(text);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
  unlink(path);
  arena_free(&a);
}
END_TEST

/* An initializer `w` [2] stored in `location` at offset 8. */
static Onnx__TensorProto *make_external_init(arena_t *a, const char *location) {
  const int64_t d[1] = {2};
  Onnx__TensorProto *t = make_init(a, "w", 1, d, (const float[]){0, 0}, false);
  t->n_float_data = 0;
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  const char *kv[3][2] = {{"location", location}, {"offset", "8"}, {"length", "8"}};
  t->n_external_data = 3;
  t->external_data = arena_alloc(a, 3 * sizeof *t->external_data);
  for (int i = 0; i < 3; i++) {
    Onnx__StringStringEntryProto *e = arena_alloc(a, sizeof *e);
    onnx__string_string_entry_proto__init(e);
    e->key = arena_str(a, kv[i][0]);
    e->value = arena_str(a, kv[i][1]);
    t->external_data[i] = e;
  }
  return t;
}

START_TEST(test_importer_external_data_stays_in_folder) {
  arena_t a = {0};
  const int64_t d[1] = {2};
  char dir[] = "/tmp/trn_importer_ext_XXXXXX", outside[] = "/tmp/trn_importer_out_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  const float bytes[4] = {9.0f, 9.0f, 1.25f, -3.5f}; /* 8 bytes of padding, then w */
  char file[256], link[256], model[256];
  snprintf(file, sizeof file, "%s/w.bin", dir);
  snprintf(link, sizeof link, "%s/link.bin", dir);
  snprintf(model, sizeof model, "%s/model.onnx", dir);
  FILE *f = fopen(file, "wb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(bytes, 1, sizeof bytes, f), sizeof bytes);
  fclose(f);
  int fd = mkstemp(outside);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, bytes, sizeof bytes), (ssize_t)sizeof bytes);
  close(fd);
  ck_assert_int_eq(symlink(outside, link), 0);
  static const char *const k_locations[] = {"w.bin", "link.bin", "../w.bin", "/etc/passwd"};
  for (int k = 0; k < 4; k++) {
    graph_spec_t g = {0};
    g.nodes[g.n_nodes++] = make_node(&a, "Add", "add", (const char *[]){"x", "w", NULL}, (const char *[]){"y", NULL});
    g.inputs[g.n_inputs++] = make_vi(&a, "x", 1, d);
    g.outputs[g.n_outputs++] = make_vi(&a, "y", 1, d);
    g.inits[g.n_inits++] = make_external_init(&a, k_locations[k]);
    write_model_at(&a, &g, model);
    trn_compiler_t *c = new_compiler(NULL, 0);
    MlirModule m;
    trn_status_t s = import_path(c, model, &m);
    if (k == 0) {
      ck_assert_msg(s == NULL, "%s", trn_status_message(s));
      MlirOperation op = mlirBlockGetFirstOperation(mlirRegionGetFirstBlock(mlirOperationGetRegion(main_func(m), 0)));
      ck_assert_str_eq(mlirIdentifierStr(mlirOperationGetName(op)).data, "tosa.const");
      MlirAttribute v = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
      ck_assert(mlirAttributeIsADenseResourceElements(v));
      ck_assert_float_eq(mlirDenseFloatResourceElementsAttrGetValue(v, 0), 1.25f);
      ck_assert_float_eq(mlirDenseFloatResourceElementsAttrGetValue(v, 1), -3.5f);
      mlirModuleDestroy(m);
    } else {
      expect_error(s, TRN_ERR_FORMAT, k == 1 ? "is outside the model's folder" : "must be a relative path");
    }
    trn_compiler_destroy(c);
  }
  unlink(link);
  unlink(file);
  unlink(model);
  unlink(outside);
  rmdir(dir);
  arena_free(&a);
}
END_TEST

START_TEST(test_importer_constants_fold_into_shapes) {
  /* Constant -> Sub -> ConstantOfShape: the shape is read at compile time. */
  arena_t a = {0};
  const int64_t d[2] = {2, 3};
  graph_spec_t g = {0};
  Onnx__NodeProto *k = make_node(&a, "Constant", "dims", (const char *[]){NULL}, (const char *[]){"s", NULL});
  Onnx__AttributeProto *attr = arena_alloc(&a, sizeof *attr);
  onnx__attribute_proto__init(attr);
  attr->name = arena_str(&a, "value_ints");
  attr->has_type = 1;
  attr->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  attr->n_ints = 2;
  attr->ints = arena_alloc(&a, 2 * sizeof(int64_t));
  attr->ints[0] = 3, attr->ints[1] = 4;
  node_add_attr(&a, k, attr);
  g.nodes[g.n_nodes++] = k;
  Onnx__NodeProto *one = make_node(&a, "Constant", "one", (const char *[]){NULL}, (const char *[]){"o", NULL});
  node_attr_int(&a, one, "value_int", 1);
  g.nodes[g.n_nodes++] = one;
  g.nodes[g.n_nodes++] = make_node(&a, "Sub", "sub", (const char *[]){"s", "o", NULL}, (const char *[]){"t", NULL});
  g.nodes[g.n_nodes++] = make_node(&a, "ConstantOfShape", "fill", (const char *[]){"t", NULL}, (const char *[]){"z", NULL});
  g.nodes[g.n_nodes++] = make_node(&a, "Add", "add", (const char *[]){"x", "z", NULL}, (const char *[]){"y", NULL});
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 2, d);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 2, d);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  char *text = module_text(m);
  ck_assert_ptr_nonnull(strstr(text, "dense<0.000000e+00> : tensor<2x3xf32>"));
  ck_assert_ptr_null(strstr(text, "tosa.sub"));
  free(text);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);
  unlink(path);
  arena_free(&a);
}
END_TEST

START_TEST(test_importer_unsupported_lists_every_node) {
  arena_t a = {0};
  const int64_t d[2] = {2, 2};
  graph_spec_t g = {0};
  /* Operators no family plans to lower. */
  g.nodes[g.n_nodes++] = make_node(&a, "TfIdfVectorizer", "tfidf1", (const char *[]){"x", NULL}, (const char *[]){"c", NULL});
  g.nodes[g.n_nodes++] = make_node(&a, "Relu", "relu", (const char *[]){"c", NULL}, (const char *[]){"r", NULL});
  g.nodes[g.n_nodes++] = make_node(&a, "StringNormalizer", NULL, (const char *[]){"r", NULL}, (const char *[]){"y", NULL});
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 2, d);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 2, d);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  trn_status_t s = import_path(c, path, &m);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(trn_status_code(s), TRN_ERR_UNSUPPORTED);
  const char *msg = trn_status_message(s);
  ck_assert_ptr_nonnull(strstr(msg, "unsupported operators:\n"));
  ck_assert_ptr_nonnull(strstr(msg, "  node 'tfidf1' (TfIdfVectorizer, opset 13): no lowering for this operator"));
  ck_assert_ptr_nonnull(strstr(msg, "  node '#2' (StringNormalizer, opset 13): no lowering for this operator"));
  ck_assert_ptr_null(strstr(msg, "Relu"));
  trn_status_free(s);
  trn_compiler_destroy(c);
  unlink(path);
  arena_free(&a);
}
END_TEST

START_TEST(test_importer_malformed_bytes_format_error) {
  arena_t a = {0};
  static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 'n', 'o', 't', 0x00, 0x01};
  char *path = write_bytes(&a, junk, sizeof junk);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  expect_error(import_path(c, path, &m), TRN_ERR_FORMAT, "not a valid ONNX model (protobuf parse failed)");
  ck_assert(mlirModuleIsNull(m));
  /* An empty file and a valid protobuf that is no model are format errors too. */
  char *empty = write_bytes(&a, "", 0);
  expect_error(import_path(c, empty, &m), TRN_ERR_FORMAT, "not a valid ONNX model");
  static const uint8_t other[] = {0x12, 0x03, 'a', 'b', 'c'}; /* field 2: opset_import-ish junk */
  char *msg = write_bytes(&a, other, sizeof other);
  trn_status_t s = import_path(c, msg, &m);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(trn_status_code(s), TRN_ERR_FORMAT);
  trn_status_free(s);
  trn_compiler_destroy(c);
  unlink(path);
  unlink(empty);
  unlink(msg);
  arena_free(&a);
}
END_TEST

START_TEST(test_importer_missing_file_io_error) {
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  expect_error(import_path(c, "/nonexistent/model.onnx", &m), TRN_ERR_IO, "/nonexistent/model.onnx: cannot open");
  expect_error(import_path(c, "/tmp", &m), TRN_ERR_IO, "is a directory");
  trn_compiler_destroy(c);
}
END_TEST

START_TEST(test_importer_symbolic_dim_needs_shape) {
  arena_t a = {0};
  const int64_t d[2] = {-1, 4};
  graph_spec_t g = {0};
  g.nodes[g.n_nodes++] = make_node(&a, "Relu", "r", (const char *[]){"x", NULL}, (const char *[]){"y", NULL});
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 2, d);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 2, d);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  expect_error(import_path(c, path, &m), TRN_ERR_UNSUPPORTED, "input 'x': dim 0 ('batch') is symbolic");
  trn_compiler_destroy(c);

  trn_input_shape_t shape = {.name = "x", .rank = 2, .dims = {3, 4}};
  c = new_compiler(&shape, 1);
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  char *t = type_text(mlirFunctionTypeGetInput(
      mlirTypeAttrGetValue(mlirOperationGetAttributeByName(main_func(m), mlirStringRefCreateFromCString("function_type"))), 0));
  ck_assert_str_eq(t, "tensor<3x4xf32>");
  free(t);
  mlirModuleDestroy(m);
  trn_compiler_destroy(c);

  trn_input_shape_t wrong = {.name = "x", .rank = 2, .dims = {3, 5}};
  c = new_compiler(&wrong, 1);
  expect_error(import_path(c, path, &m), TRN_ERR_INVALID_ARGUMENT, "dim 1 is 4 in the model, not 5");
  trn_compiler_destroy(c);
  trn_input_shape_t unknown = {.name = "nope", .rank = 1, .dims = {3}};
  c = new_compiler(&unknown, 1);
  expect_error(import_path(c, path, &m), TRN_ERR_INVALID_ARGUMENT, "'nope', which is not a graph input");
  trn_compiler_destroy(c);
  unlink(path);
  arena_free(&a);
}
END_TEST

START_TEST(test_importer_undefined_input_and_cycle) {
  arena_t a = {0};
  const int64_t d[1] = {4};
  graph_spec_t g = {0};
  g.nodes[g.n_nodes++] = make_node(&a, "Relu", "lost", (const char *[]){"nowhere", NULL}, (const char *[]){"y", NULL});
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 1, d);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 1, d);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  expect_error(import_path(c, path, &m), TRN_ERR_FORMAT, "node 'lost' (Relu): input 'nowhere' is not defined");
  unlink(path);

  graph_spec_t cyc = {0};
  cyc.nodes[cyc.n_nodes++] = make_node(&a, "Relu", "ping", (const char *[]){"b", NULL}, (const char *[]){"a", NULL});
  cyc.nodes[cyc.n_nodes++] = make_node(&a, "Relu", "pong", (const char *[]){"a", NULL}, (const char *[]){"b", NULL});
  cyc.inputs[cyc.n_inputs++] = make_vi(&a, "x", 1, d);
  cyc.outputs[cyc.n_outputs++] = make_vi(&a, "b", 1, d);
  path = write_model(&a, &cyc);
  expect_error(import_path(c, path, &m), TRN_ERR_FORMAT, "cycle through node 'ping'");
  unlink(path);

  /* Nodes out of order are sorted, not refused. */
  graph_spec_t rev = {0};
  rev.nodes[rev.n_nodes++] = make_node(&a, "Relu", "second", (const char *[]){"h", NULL}, (const char *[]){"y", NULL});
  rev.nodes[rev.n_nodes++] = make_node(&a, "Relu", "first", (const char *[]){"x", NULL}, (const char *[]){"h", NULL});
  rev.inputs[rev.n_inputs++] = make_vi(&a, "x", 1, d);
  rev.outputs[rev.n_outputs++] = make_vi(&a, "y", 1, d);
  path = write_model(&a, &rev);
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  mlirModuleDestroy(m);
  unlink(path);
  trn_compiler_destroy(c);
  arena_free(&a);
}
END_TEST

/* Attribute getters: defaults, values, and a wrong attribute type. */
START_TEST(test_importer_attributes) {
  arena_t a = {0};
  const int64_t da[2] = {3, 2}, db[2] = {3, 4}, dy[2] = {2, 4};
  const float w[12] = {0};
  graph_spec_t g = {0};
  Onnx__NodeProto *gemm = make_node(&a, "Gemm", "gemm", (const char *[]){"x", "w", NULL}, (const char *[]){"y", NULL});
  node_attr_float(&a, gemm, "alpha", 0.25f);
  node_attr_int(&a, gemm, "transA", 1);
  g.nodes[g.n_nodes++] = gemm;
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 2, da);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 2, dy);
  g.inits[g.n_inits++] = make_init(&a, "w", 2, db, w, true);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  trn_status_t s = import_path(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  char *text = module_text(m);
  ck_assert_ptr_nonnull(strstr(text, "tosa.transpose %arg0"));
  ck_assert_ptr_nonnull(strstr(text, "dense<2.500000e-01> : tensor<1x1xf32>"));
  ck_assert_ptr_nonnull(strstr(text, "tosa.mul"));
  ck_assert_ptr_null(strstr(text, "tosa.add")); /* no C */
  free(text);
  mlirModuleDestroy(m);
  unlink(path);

  /* alpha given as an INT: the model is invalid. */
  gemm->n_attribute = 0;
  node_attr_int(&a, gemm, "alpha", 2);
  path = write_model(&a, &g);
  expect_error(import_path(c, path, &m), TRN_ERR_FORMAT,
               "node 'gemm' (Gemm): attribute 'alpha' must be a FLOAT, not INT");
  unlink(path);
  trn_compiler_destroy(c);
  arena_free(&a);
}
END_TEST

START_TEST(test_importer_broadcast_mismatch) {
  arena_t a = {0};
  const int64_t d1[2] = {2, 3}, d2[1] = {4};
  graph_spec_t g = {0};
  g.nodes[g.n_nodes++] = make_node(&a, "Add", "add", (const char *[]){"x", "z", NULL}, (const char *[]){"y", NULL});
  g.inputs[g.n_inputs++] = make_vi(&a, "x", 2, d1);
  g.inputs[g.n_inputs++] = make_vi(&a, "z", 1, d2);
  g.outputs[g.n_outputs++] = make_vi(&a, "y", 2, d1);
  char *path = write_model(&a, &g);
  trn_compiler_t *c = new_compiler(NULL, 0);
  MlirModule m;
  expect_error(import_path(c, path, &m), TRN_ERR_FORMAT,
               "node 'add' (Add): shapes [2, 3] and [4] cannot be broadcast together");
  trn_compiler_destroy(c);
  unlink(path);
  arena_free(&a);
}
END_TEST

/* ---- compiler ------------------------------------------------------------------- */

START_TEST(test_compiler_sha256_vectors) {
  uint8_t d[32];
  static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
                                  0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
                                  0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
  trn_sha256("abc", 3, d);
  ck_assert_mem_eq(d, abc, 32);
  static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4,
                                    0xc8, 0x99, 0x6f, 0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b,
                                    0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
  trn_sha256("", 0, d);
  ck_assert_mem_eq(d, empty, 32);
  /* 56 bytes: the padding spills into a second block. */
  static const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  static const uint8_t two_d[32] = {0x24, 0x8d, 0x6a, 0x61, 0xd2, 0x06, 0x38, 0xb8, 0xe5, 0xc0, 0x26,
                                    0x93, 0x0c, 0x3e, 0x60, 0x39, 0xa3, 0x3c, 0xe4, 0x59, 0x64, 0xff,
                                    0x21, 0x67, 0xf6, 0xec, 0xed, 0xd4, 0x19, 0xdb, 0x06, 0xc1};
  trn_sha256(two, strlen(two), d);
  ck_assert_mem_eq(d, two_d, 32);
}
END_TEST

/* A failed compilation leaves an existing output untouched and no temporary file. */
START_TEST(test_compiler_output_never_partial) {
  arena_t a = {0};
  char *out = arena_str(&a, "/tmp/trn_importer_out_XXXXXX");
  int fd = mkstemp(out);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "old", 3), 3);
  close(fd);
  static const uint8_t junk[] = {0xff, 0xff, 0xff};
  char *bad = write_bytes(&a, junk, sizeof junk);
  trn_compile_options_t opts;
  trn_compile_options_init(&opts);
  opts.emit = TRN_EMIT_IMPORT;
  trn_compiler_t *c = NULL;
  ck_assert_ptr_null(trn_compiler_create(&opts, &c));
  expect_error(trn_compiler_compile_file(c, bad, out), TRN_ERR_FORMAT, "not a valid ONNX model");
  ck_assert_int_eq(trn_compiler_failed_step(c), TRN_STEP_IMPORT);
  char buf[16] = {0};
  FILE *f = fopen(out, "rb");
  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 3);
  fclose(f);
  ck_assert_str_eq(buf, "old");

  /* A good model replaces it. */
  const char *src = getenv("TRN_SOURCE_DIR");
  ck_assert_ptr_nonnull(src);
  char mlp[4096];
  snprintf(mlp, sizeof mlp, "%s/examples/mlp.onnx", src);
  trn_status_t s = trn_compiler_compile_file(c, mlp, out);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  f = fopen(out, "rb");
  ck_assert_uint_eq(fread(buf, 1, 6, f), 6);
  fclose(f);
  ck_assert(memcmp(buf, "module", 6) == 0);
  trn_compiler_destroy(c);
  unlink(out);
  unlink(bad);
  arena_free(&a);
}
END_TEST

START_TEST(test_compiler_parse_mlir_and_run_passes) {
  trn_compiler_t *c = new_compiler(NULL, 0);
  arena_t a = {0};
  const char *text =
      "func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {\n"
      "  %0 = tosa.add %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>\n"
      "  %1 = tosa.add %a, %a : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>\n"
      "  %2 = tosa.mul %0, %1 {shift = 0 : i8} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>\n"
      "  return %2 : tensor<4xf32>\n"
      "}\n";
  char *path = write_bytes(&a, text, strlen(text));
  MlirModule m;
  trn_status_t s = trn_compiler_parse_mlir_file(c, path, &m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  MlirPassManager pm = mlirPassManagerCreate(trn_compiler_context(c));
  ck_assert_ptr_null(trn_compiler_add_passes(c, mlirPassManagerGetAsOpPassManager(pm), "builtin.module(cse)"));
  s = trn_compiler_run_passes(c, pm, m);
  ck_assert_msg(s == NULL, "%s", trn_status_message(s));
  char *out = module_text(m);
  ck_assert_ptr_nonnull(strstr(out, "tosa.add"));
  ck_assert_ptr_null(strstr(strstr(out, "tosa.add") + 1, "tosa.add")); /* CSE'd */
  free(out);
  expect_error(trn_compiler_add_passes(c, mlirPassManagerGetAsOpPassManager(pm), "no-such-pass"),
               TRN_ERR_INVALID_ARGUMENT, "no-such-pass");
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(m);
  unlink(path);

  const char *bad = "func.func @f() {\n  %0 = tosa.nope\n}\n";
  path = write_bytes(&a, bad, strlen(bad));
  s = trn_compiler_parse_mlir_file(c, path, &m);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(trn_status_code(s), TRN_ERR_FORMAT);
  ck_assert_msg(strstr(trn_status_message(s), ":2:"), "no line in: %s", trn_status_message(s));
  trn_status_free(s);
  unlink(path);
  trn_compiler_destroy(c);
  arena_free(&a);
}
END_TEST

START_TEST(test_compiler_op_table_listed) {
  size_t n = trn_compiler_onnx_op_count();
  ck_assert_uint_ge(n, 5);
  bool seen_gemm = false;
  for (size_t i = 0; i < n; i++) {
    const trn_onnx_op_info_t *op = trn_compiler_onnx_op_at(i);
    ck_assert_int_le(op->min_opset, op->max_opset);
    seen_gemm = seen_gemm || strcmp(op->op_type, "Gemm") == 0;
  }
  ck_assert(seen_gemm);
  ck_assert_ptr_null(trn_compiler_onnx_op_at(n));
}
END_TEST

static Suite *importer_suite(void) {
  Suite *s = suite_create("importer");
  TCase *tc = tcase_create("importer");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_importer_mlp_signature);
  tcase_add_test(tc, test_importer_weights_resource_values);
  tcase_add_test(tc, test_importer_unsupported_lists_every_node);
  tcase_add_test(tc, test_importer_malformed_bytes_format_error);
  tcase_add_test(tc, test_importer_missing_file_io_error);
  tcase_add_test(tc, test_importer_symbolic_dim_needs_shape);
  tcase_add_test(tc, test_importer_undefined_input_and_cycle);
  tcase_add_test(tc, test_importer_attributes);
  tcase_add_test(tc, test_importer_broadcast_mismatch);
  tcase_add_test(tc, test_importer_element_types_at_the_boundary);
  tcase_add_test(tc, test_importer_external_data_stays_in_folder);
  tcase_add_test(tc, test_importer_constants_fold_into_shapes);
  suite_add_tcase(s, tc);
  TCase *tc2 = tcase_create("compiler");
  tcase_set_timeout(tc2, 60);
  tcase_add_test(tc2, test_compiler_sha256_vectors);
  tcase_add_test(tc2, test_compiler_output_never_partial);
  tcase_add_test(tc2, test_compiler_parse_mlir_and_run_passes);
  tcase_add_test(tc2, test_compiler_op_table_listed);
  suite_add_tcase(s, tc2);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(importer_suite());
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
