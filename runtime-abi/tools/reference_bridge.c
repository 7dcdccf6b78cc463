/* trn-run's dlopen bridge to libtrn_compiler.so. See reference_bridge.h. */
#define _GNU_SOURCE
#include "reference_bridge.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"

#define TRN_REF_LIBRARY "libtrn_compiler.so"

/* Every function trn-run takes from the library: X(field, symbol, return type, (params)). */
#define TRN_REF_FUNCTIONS(X) \
  X(options_init, trn_compile_options_init, void, (trn_compile_options_t *)) \
  X(compiler_create, trn_compiler_create, trn_status_t, (const trn_compile_options_t *, trn_compiler_t **)) \
  X(compiler_destroy, trn_compiler_destroy, void, (trn_compiler_t *)) \
  X(import_onnx, trn_compiler_import_onnx, trn_status_t, (trn_compiler_t *, const char *, MlirModule *)) \
  X(reference_run, trn_reference_run, trn_status_t, (trn_compiler_t *, MlirModule, const trn_host_tensor_t *, size_t, trn_host_tensor_t **, size_t *)) \
  X(pb_read, trn_tensor_pb_read, trn_status_t, (const char *, trn_host_tensor_t *)) \
  X(tensor_init, trn_host_tensor_init, trn_status_t, (trn_host_tensor_t *, const char *, trn_elem_type_t, uint32_t, const int64_t *)) \
  X(tensor_convert, trn_host_tensor_convert, trn_status_t, (const trn_host_tensor_t *, trn_elem_type_t, trn_host_tensor_t *)) \
  X(tensor_release, trn_host_tensor_release, void, (trn_host_tensor_t *)) \
  X(tensors_free, trn_host_tensors_free, void, (trn_host_tensor_t *, size_t)) \
  X(elem_name, trn_elem_type_name, const char *, (trn_elem_type_t)) \
  X(module_destroy, mlirModuleDestroy, void, (MlirModule)) \
  X(module_body, mlirModuleGetBody, MlirBlock, (MlirModule)) \
  X(block_first_op, mlirBlockGetFirstOperation, MlirOperation, (MlirBlock)) \
  X(op_next, mlirOperationGetNextInBlock, MlirOperation, (MlirOperation)) \
  X(op_name, mlirOperationGetName, MlirIdentifier, (MlirOperation)) \
  X(ident_str, mlirIdentifierStr, MlirStringRef, (MlirIdentifier)) \
  X(op_attr, mlirOperationGetAttributeByName, MlirAttribute, (MlirOperation, MlirStringRef)) \
  X(attr_is_string, mlirAttributeIsAString, bool, (MlirAttribute)) \
  X(string_attr_value, mlirStringAttrGetValue, MlirStringRef, (MlirAttribute)) \
  X(attr_is_type, mlirAttributeIsAType, bool, (MlirAttribute)) \
  X(type_attr_value, mlirTypeAttrGetValue, MlirType, (MlirAttribute)) \
  X(attr_is_array, mlirAttributeIsAArray, bool, (MlirAttribute)) \
  X(array_count, mlirArrayAttrGetNumElements, intptr_t, (MlirAttribute)) \
  X(array_at, mlirArrayAttrGetElement, MlirAttribute, (MlirAttribute, intptr_t)) \
  X(attr_is_dict, mlirAttributeIsADictionary, bool, (MlirAttribute)) \
  X(dict_get, mlirDictionaryAttrGetElementByName, MlirAttribute, (MlirAttribute, MlirStringRef)) \
  X(type_is_function, mlirTypeIsAFunction, bool, (MlirType)) \
  X(function_inputs, mlirFunctionTypeGetNumInputs, intptr_t, (MlirType)) \
  X(function_input, mlirFunctionTypeGetInput, MlirType, (MlirType, intptr_t)) \
  X(type_is_ranked_tensor, mlirTypeIsARankedTensor, bool, (MlirType)) \
  X(shaped_rank, mlirShapedTypeGetRank, int64_t, (MlirType)) \
  X(shaped_dim, mlirShapedTypeGetDimSize, int64_t, (MlirType, intptr_t)) \
  X(shaped_is_dynamic, mlirShapedTypeIsDynamicDim, bool, (MlirType, intptr_t)) \
  X(shaped_elem, mlirShapedTypeGetElementType, MlirType, (MlirType)) \
  X(is_f32, mlirTypeIsAF32, bool, (MlirType)) \
  X(is_f16, mlirTypeIsAF16, bool, (MlirType)) \
  X(is_bf16, mlirTypeIsABF16, bool, (MlirType)) \
  X(is_f64, mlirTypeIsAF64, bool, (MlirType)) \
  X(is_integer, mlirTypeIsAInteger, bool, (MlirType)) \
  X(int_width, mlirIntegerTypeGetWidth, unsigned, (MlirType)) \
  X(int_unsigned, mlirIntegerTypeIsUnsigned, bool, (MlirType))

struct trn_ref_bridge_t {
  void *handle;
#define TRN_REF_FIELD(field, symbol, ret, params) ret(*field) params;
  TRN_REF_FUNCTIONS(TRN_REF_FIELD)
#undef TRN_REF_FIELD
  trn_compiler_t *compiler;
  MlirModule module;
  trn_ref_arg_t *args;
  size_t nargs;
};

static MlirStringRef str_ref(const char *s) { return (MlirStringRef){s, strlen(s)}; }

/* Opens the library: beside the executable, then the default search path. */
static trn_status_t open_library(void **out_handle) {
  char exe[PATH_MAX], path[PATH_MAX + 64], tried[2 * PATH_MAX + 512];
  tried[0] = '\0';
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n > 0) {
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash) *slash = '\0';
    snprintf(path, sizeof path, "%s/../lib/" TRN_REF_LIBRARY, exe);
    *out_handle = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (*out_handle) return NULL;
    snprintf(tried, sizeof tried, "%s (%s); ", path, dlerror());
  }
  *out_handle = dlopen(TRN_REF_LIBRARY, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (*out_handle) return NULL;
  const char *err = dlerror();
  return trn_status_make(TRN_ERR_UNSUPPORTED,
                         "the CPU reference backend needs " TRN_REF_LIBRARY
                         ", which could not be loaded: tried %sthe default search path (%s); "
                         "install the trn compiler or set LD_LIBRARY_PATH",
                         tried, err ? err : "not found");
}

trn_status_t trn_ref_bridge_open(trn_ref_bridge_t **out_bridge) {
  *out_bridge = NULL;
  trn_ref_bridge_t *b = calloc(1, sizeof *b);
  if (!b) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "reference bridge");
  trn_status_t st = open_library(&b->handle);
  if (st) {
    free(b);
    return st;
  }
#define TRN_REF_RESOLVE(field, symbol, ret, params)                                                   \
  b->field = (ret(*) params)dlsym(b->handle, #symbol);                                                  \
  if (!b->field) {                                                                             \
    dlclose(b->handle);                                                                        \
    free(b);                                                                                   \
    return trn_status_make(TRN_ERR_UNSUPPORTED,                                                \
                           TRN_REF_LIBRARY " has no function %s: it is older than this trn-run", \
                           #symbol);                                                           \
  }
  TRN_REF_FUNCTIONS(TRN_REF_RESOLVE)
#undef TRN_REF_RESOLVE
  *out_bridge = b;
  return NULL;
}

static void free_args(trn_ref_bridge_t *b) {
  for (size_t i = 0; i < b->nargs; i++) free(b->args[i].name);
  free(b->args);
  b->args = NULL;
  b->nargs = 0;
}

void trn_ref_bridge_close(trn_ref_bridge_t *b) {
  if (!b) return;
  free_args(b);
  if (b->module.ptr) b->module_destroy(b->module);
  if (b->compiler) b->compiler_destroy(b->compiler);
  dlclose(b->handle);
  free(b);
}

static trn_elem_type_t elem_of(const trn_ref_bridge_t *b, MlirType t) {
  if (b->is_f32(t)) return TRN_ELEM_F32;
  if (b->is_f16(t)) return TRN_ELEM_F16;
  if (b->is_bf16(t)) return TRN_ELEM_BF16;
  if (b->is_f64(t)) return TRN_ELEM_F64;
  if (b->is_integer(t)) {
    bool u = b->int_unsigned(t);
    switch (b->int_width(t)) {
    case 1: return TRN_ELEM_BOOL;
    case 8: return u ? TRN_ELEM_U8 : TRN_ELEM_I8;
    case 16: return u ? TRN_ELEM_U16 : TRN_ELEM_I16;
    case 32: return u ? TRN_ELEM_U32 : TRN_ELEM_I32;
    case 64: return u ? TRN_ELEM_U64 : TRN_ELEM_I64;
    default: return TRN_ELEM_UNDEFINED;
    }
  }
  return TRN_ELEM_UNDEFINED;
}

/* Reads main's arguments: types from function_type, names from arg_attrs. */
static trn_status_t read_signature(trn_ref_bridge_t *b, const char *path) {
  MlirOperation main_op = {NULL};
  for (MlirOperation op = b->block_first_op(b->module_body(b->module)); op.ptr;
       op = b->op_next(op)) {
    MlirStringRef n = b->ident_str(b->op_name(op));
    if (n.length != 9 || memcmp(n.data, "func.func", 9) != 0) continue;
    MlirAttribute sym = b->op_attr(op, str_ref("sym_name"));
    if (!sym.ptr || !b->attr_is_string(sym)) continue;
    MlirStringRef s = b->string_attr_value(sym);
    if (s.length == 4 && memcmp(s.data, "main", 4) == 0) {
      main_op = op;
      break;
    }
  }
  if (!main_op.ptr)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: the imported module has no @main", path);
  MlirAttribute ft = b->op_attr(main_op, str_ref("function_type"));
  if (!ft.ptr || !b->attr_is_type(ft) || !b->type_is_function(b->type_attr_value(ft)))
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: @main has no function type", path);
  MlirType fn = b->type_attr_value(ft);
  MlirAttribute arg_attrs = b->op_attr(main_op, str_ref("arg_attrs"));
  bool have_attrs = arg_attrs.ptr && b->attr_is_array(arg_attrs);
  size_t n = (size_t)b->function_inputs(fn);
  b->args = calloc(n + 1, sizeof *b->args);
  if (!b->args) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: signature", path);
  for (size_t i = 0; i < n; i++) {
    trn_ref_arg_t *a = &b->args[i];
    b->nargs = i + 1;
    char fallback[32];
    snprintf(fallback, sizeof fallback, "input_%zu", i);
    MlirStringRef name = str_ref(fallback);
    if (have_attrs && (intptr_t)i < b->array_count(arg_attrs)) {
      MlirAttribute d = b->array_at(arg_attrs, (intptr_t)i);
      MlirAttribute s = d.ptr && b->attr_is_dict(d) ? b->dict_get(d, str_ref("trn.name"))
                                                    : (MlirAttribute){NULL};
      if (s.ptr && b->attr_is_string(s)) name = b->string_attr_value(s);
    }
    a->name = malloc(name.length + 1);
    if (!a->name) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: signature", path);
    memcpy(a->name, name.data, name.length);
    a->name[name.length] = '\0';
    MlirType t = b->function_input(fn, (intptr_t)i);
    if (!b->type_is_ranked_tensor(t))
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                             "%s: input '%s' of @main is not a ranked tensor", path, a->name);
    int64_t rank = b->shaped_rank(t);
    if (rank < 0 || rank > TRN_MAX_RANK)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                             "%s: input '%s' has rank %lld (at most %d)", path, a->name,
                             (long long)rank, TRN_MAX_RANK);
    a->rank = (uint32_t)rank;
    for (int64_t k = 0; k < rank; k++)
      a->dims[k] = b->shaped_is_dynamic(t, (intptr_t)k) ? -1 : b->shaped_dim(t, (intptr_t)k);
    a->type = elem_of(b, b->shaped_elem(t));
  }
  return NULL;
}

trn_status_t trn_ref_bridge_import(trn_ref_bridge_t *b, const char *onnx_path) {
  if (!b->compiler) {
    trn_compile_options_t opts;
    b->options_init(&opts);
    opts.emit = TRN_EMIT_IMPORT;
    TRN_RETURN_IF_ERROR(b->compiler_create(&opts, &b->compiler));
  }
  free_args(b);
  if (b->module.ptr) b->module_destroy(b->module);
  b->module.ptr = NULL;
  TRN_RETURN_IF_ERROR(b->import_onnx(b->compiler, onnx_path, &b->module));
  trn_status_t st = read_signature(b, onnx_path);
  if (st) free_args(b);
  return st;
}

size_t trn_ref_bridge_arg_count(const trn_ref_bridge_t *b) { return b->nargs; }

const trn_ref_arg_t *trn_ref_bridge_arg(const trn_ref_bridge_t *b, size_t index) {
  return index < b->nargs ? &b->args[index] : NULL;
}

trn_status_t trn_ref_bridge_run(trn_ref_bridge_t *b, const trn_host_tensor_t *inputs,
                                size_t n_inputs, trn_host_tensor_t **out_outputs,
                                size_t *out_count) {
  *out_outputs = NULL;
  *out_count = 0;
  if (!b->module.ptr)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "reference: no model imported");
  return b->reference_run(b->compiler, b->module, inputs, n_inputs, out_outputs, out_count);
}

trn_status_t trn_ref_bridge_tensor_pb_read(trn_ref_bridge_t *b, const char *path,
                                           trn_host_tensor_t *out) {
  return b->pb_read(path, out);
}

trn_status_t trn_ref_bridge_tensor_init(trn_ref_bridge_t *b, trn_host_tensor_t *out,
                                        const char *name, trn_elem_type_t type, uint32_t rank,
                                        const int64_t *dims) {
  return b->tensor_init(out, name, type, rank, dims);
}

trn_status_t trn_ref_bridge_tensor_convert(trn_ref_bridge_t *b, const trn_host_tensor_t *src,
                                           trn_elem_type_t type, trn_host_tensor_t *out) {
  return b->tensor_convert(src, type, out);
}

void trn_ref_bridge_tensor_release(trn_ref_bridge_t *b, trn_host_tensor_t *tensor) {
  b->tensor_release(tensor);
}

void trn_ref_bridge_tensors_free(trn_ref_bridge_t *b, trn_host_tensor_t *tensors, size_t count) {
  b->tensors_free(tensors, count);
}

const char *trn_ref_bridge_elem_name(trn_ref_bridge_t *b, trn_elem_type_t type) {
  return b->elem_name(type);
}
