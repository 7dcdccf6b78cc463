/* CPU reference backend: a graph-level module lowered by upstream passes to LLVM and
 * run with the MLIR ExecutionEngine (see trn_reference_run in trn/compiler.h).
 *
 * Calling convention of the JIT'ed @main (llvm.emit_c_interface): _mlir_ciface_main
 * takes a pointer to its results first (one memref descriptor, or a struct of them
 * when there are several), then one pointer per argument descriptor. A descriptor is
 * {allocated, aligned, offset, sizes[rank], strides[rank]}, all 8-byte words. Returned
 * buffers are malloc'ed by the generated code and owned by the caller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/Diagnostics.h"
#include "mlir-c/ExecutionEngine.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"
#include "trn/compiler.h"

/* tosa (and tensor/arith/math/linalg on tensors) -> linalg -> buffers -> loops -> LLVM. */
static const char kRefPipeline[] =
    "func.func(tosa-optional-decompositions,tosa-to-scf,tosa-to-linalg-named,tosa-to-linalg,"
    "tosa-to-arith,tosa-to-tensor),"
    "convert-elementwise-to-linalg,"
    "func.func(linalg-fuse-elementwise-ops),canonicalize,"
    "one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,convert-bufferization-to-memref,"
    "convert-linalg-to-loops,math-legalize-to-f32,convert-scf-to-cf,expand-strided-metadata,"
    "lower-affine,arith-expand,finalize-memref-to-llvm,convert-math-to-llvm,convert-math-to-libm,"
    "convert-arith-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,reconcile-unrealized-casts";

#define REF_DIAG_MAX 4096

/* Diagnostics collected while the backend runs (first REF_DIAG_MAX bytes). */
typedef struct ref_diag_t {
  char text[REF_DIAG_MAX];
  size_t len;
} ref_diag_t;

static void ref_diag_append(void *user, const char *data, size_t n) {
  ref_diag_t *d = (ref_diag_t *)user;
  size_t room = sizeof d->text - 1 - d->len;
  if (n > room) n = room;
  memcpy(d->text + d->len, data, n);
  d->len += n;
  d->text[d->len] = '\0';
}

static void ref_diag_print(MlirStringRef s, void *user) { ref_diag_append(user, s.data, s.length); }

static MlirLogicalResult ref_diag_handler(MlirDiagnostic diag, void *user) {
  ref_diag_t *d = (ref_diag_t *)user;
  if (d->len) ref_diag_append(d, "; ", 2);
  mlirLocationPrint(mlirDiagnosticGetLocation(diag), ref_diag_print, d);
  ref_diag_append(d, ": ", 2);
  mlirDiagnosticPrint(diag, ref_diag_print, d);
  intptr_t notes = mlirDiagnosticGetNumNotes(diag);
  for (intptr_t i = 0; i < notes; i++) {
    ref_diag_append(d, " (note: ", 8);
    mlirDiagnosticPrint(mlirDiagnosticGetNote(diag, i), ref_diag_print, d);
    ref_diag_append(d, ")", 1);
  }
  return mlirLogicalResultSuccess();
}

/* ---- memref descriptors --------------------------------------------------------- */

/* Words of a rank-r descriptor: allocated, aligned, offset, sizes[r], strides[r]. */
static size_t ref_desc_words(uint32_t rank) { return 3 + 2 * (size_t)rank; }

typedef struct ref_desc_view_t {
  char *allocated, *aligned;
  int64_t offset;
  const int64_t *sizes, *strides;
} ref_desc_view_t;

static ref_desc_view_t ref_desc_view(const int64_t *words, uint32_t rank) {
  ref_desc_view_t v;
  memcpy(&v.allocated, &words[0], sizeof v.allocated);
  memcpy(&v.aligned, &words[1], sizeof v.aligned);
  v.offset = words[2];
  v.sizes = words + 3;
  v.strides = words + 3 + rank;
  return v;
}

/* Copies a strided n-d block (element offsets) to or from another strided block. */
static void ref_strided_copy(char *dst, const int64_t *dst_strides, const char *src,
                             const int64_t *src_strides, const int64_t *sizes, uint32_t rank,
                             size_t esize) {
  for (uint32_t i = 0; i < rank; i++)
    if (sizes[i] == 0) return;
  if (rank == 0) {
    memcpy(dst, src, esize);
    return;
  }
  int64_t idx[TRN_MAX_RANK] = {0};
  for (;;) {
    int64_t so = 0, d_o = 0;
    for (uint32_t i = 0; i + 1 < rank; i++) {
      so += idx[i] * src_strides[i];
      d_o += idx[i] * dst_strides[i];
    }
    int64_t n = sizes[rank - 1], ss = src_strides[rank - 1], ds = dst_strides[rank - 1];
    if (ss == 1 && ds == 1) {
      memcpy(dst + d_o * (int64_t)esize, src + so * (int64_t)esize, (size_t)n * esize);
    } else {
      for (int64_t k = 0; k < n; k++)
        memcpy(dst + (d_o + k * ds) * (int64_t)esize, src + (so + k * ss) * (int64_t)esize, esize);
    }
    int32_t d = (int32_t)rank - 2;
    for (; d >= 0; d--) {
      if (++idx[d] < sizes[d]) break;
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/* The runtime function finalize-memref-to-llvm calls for non-contiguous memref.copy
 * (libmlir_c_runner_utils' memrefCopy), provided here so that the JIT needs no
 * shared library. Arguments are unranked descriptors {rank, descriptor*}. */
typedef struct ref_unranked_t {
  int64_t rank;
  int64_t *descriptor;
} ref_unranked_t;

static void ref_memref_copy(int64_t esize, ref_unranked_t *src, ref_unranked_t *dst) {
  uint32_t rank = (uint32_t)src->rank;
  if (rank > 64) return;
  ref_desc_view_t s = ref_desc_view(src->descriptor, rank), d = ref_desc_view(dst->descriptor, rank);
  if (rank > TRN_MAX_RANK) { /* beyond our loop's index array: element by element */
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= s.sizes[i];
    for (int64_t flat = 0; flat < n; flat++) {
      int64_t rem = flat, so = s.offset, dof = d.offset;
      for (uint32_t i = rank; i-- > 0;) {
        int64_t k = rem % s.sizes[i];
        rem /= s.sizes[i];
        so += k * s.strides[i];
        dof += k * d.strides[i];
      }
      memcpy(d.aligned + dof * esize, s.aligned + so * esize, (size_t)esize);
    }
    return;
  }
  ref_strided_copy(d.aligned + d.offset * esize, d.strides, s.aligned + s.offset * esize, s.strides,
                   s.sizes, rank, (size_t)esize);
}

/* ---- types ---------------------------------------------------------------------- */

static trn_elem_type_t ref_elem_from_mlir(MlirType t) {
  if (mlirTypeIsAF32(t)) return TRN_ELEM_F32;
  if (mlirTypeIsAF64(t)) return TRN_ELEM_F64;
  if (mlirTypeIsAF16(t)) return TRN_ELEM_F16;
  if (mlirTypeIsABF16(t)) return TRN_ELEM_BF16;
  if (mlirTypeIsAInteger(t)) {
    bool u = mlirIntegerTypeIsUnsigned(t);
    switch (mlirIntegerTypeGetWidth(t)) {
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

static bool ref_elem_is_float(trn_elem_type_t t) {
  return t == TRN_ELEM_F32 || t == TRN_ELEM_F64 || t == TRN_ELEM_F16 || t == TRN_ELEM_BF16;
}

/* Whether host data of type `have` can be passed where `want` is expected. */
static bool ref_elem_compatible(trn_elem_type_t have, trn_elem_type_t want) {
  if (ref_elem_is_float(have) || ref_elem_is_float(want)) return have == want;
  return trn_elem_type_size(have) == trn_elem_type_size(want) && trn_elem_type_size(want) != 0;
}

static void ref_type_text(MlirType t, char *buf, size_t size) {
  ref_diag_t d = {.len = 0};
  d.text[0] = '\0';
  mlirTypePrint(t, ref_diag_print, &d);
  size_t n = d.len < size - 1 ? d.len : size - 1;
  memcpy(buf, d.text, n);
  buf[n] = '\0';
}

/* A ranked tensor type of main's signature: rank and element type, or an error. */
static trn_status_t ref_check_tensor_type(MlirType t, const char *what, size_t index,
                                          uint32_t *out_rank, trn_elem_type_t *out_elem) {
  char text[256];
  if (!mlirTypeIsARankedTensor(t)) {
    ref_type_text(t, text, sizeof text);
    return trn_status_make(TRN_ERR_UNSUPPORTED,
                           "reference backend: @main %s %zu has type %s (only ranked tensors)", what,
                           index, text);
  }
  int64_t rank = mlirShapedTypeGetRank(t);
  trn_elem_type_t elem = ref_elem_from_mlir(mlirShapedTypeGetElementType(t));
  if (rank > TRN_MAX_RANK || elem == TRN_ELEM_UNDEFINED) {
    ref_type_text(t, text, sizeof text);
    return trn_status_make(TRN_ERR_UNSUPPORTED,
                           "reference backend: @main %s %zu has type %s (rank <= %d and numeric "
                           "element types only)",
                           what, index, text, TRN_MAX_RANK);
  }
  *out_rank = (uint32_t)rank;
  *out_elem = elem;
  return NULL;
}

static MlirOperation ref_find_main(MlirModule module) {
  MlirBlock body = mlirModuleGetBody(module);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
    if (!(name.length == 9 && memcmp(name.data, "func.func", 9) == 0)) continue;
    MlirAttribute sym = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    if (mlirAttributeIsNull(sym) || !mlirAttributeIsAString(sym)) continue;
    MlirStringRef s = mlirStringAttrGetValue(sym);
    if (s.length == 4 && memcmp(s.data, "main", 4) == 0) return op;
  }
  MlirOperation none = {NULL};
  return none;
}

/* The result's name from res_attrs {trn.name = "..."}, or "output_<i>". */
static void ref_result_name(MlirOperation fn, size_t i, char *buf, size_t size) {
  snprintf(buf, size, "output_%zu", i);
  MlirAttribute res = mlirOperationGetAttributeByName(fn, mlirStringRefCreateFromCString("res_attrs"));
  if (mlirAttributeIsNull(res) || !mlirAttributeIsAArray(res) ||
      (intptr_t)i >= mlirArrayAttrGetNumElements(res))
    return;
  MlirAttribute dict = mlirArrayAttrGetElement(res, (intptr_t)i);
  if (!mlirAttributeIsADictionary(dict)) return;
  MlirAttribute name = mlirDictionaryAttrGetElementByName(dict, mlirStringRefCreateFromCString("trn.name"));
  if (mlirAttributeIsNull(name) || !mlirAttributeIsAString(name)) return;
  MlirStringRef s = mlirStringAttrGetValue(name);
  snprintf(buf, size, "%.*s", (int)s.length, s.data);
}

/* tensor.concat has no bufferization in LLVM 19: it is decomposed into insert_slice
 * ops by the transform interpreter, with this sequence put into the clone for the
 * time of one pass. */
static const char kRefDecomposeConcat[] =
    "module attributes {transform.with_named_sequence} {\n"
    "  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {\n"
    "    %f = transform.structured.match ops{[\"func.func\"]} in %root"
    " : (!transform.any_op) -> !transform.any_op\n"
    "    transform.apply_patterns to %f { transform.apply_patterns.tensor.decompose_concat }"
    " : !transform.any_op\n"
    "    transform.yield\n"
    "  }\n"
    "}\n";

typedef struct ref_find_op_t {
  const char *name;
  bool found;
} ref_find_op_t;

static MlirWalkResult ref_find_op_cb(MlirOperation op, void *user) {
  ref_find_op_t *f = (ref_find_op_t *)user;
  MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
  if (n.length == strlen(f->name) && memcmp(n.data, f->name, n.length) == 0) {
    f->found = true;
    return MlirWalkResultInterrupt;
  }
  return MlirWalkResultAdvance;
}

static bool ref_has_op(MlirOperation root, const char *name) {
  ref_find_op_t f = {name, false};
  mlirOperationWalk(root, ref_find_op_cb, &f, MlirWalkPreOrder);
  return f.found;
}

static trn_status_t ref_decompose_concat(MlirContext ctx, MlirModule module, const ref_diag_t *diag) {
  MlirOperation mod_op = mlirModuleGetOperation(module);
  if (!ref_has_op(mod_op, "tensor.concat")) return NULL;
  MlirModule lib = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kRefDecomposeConcat));
  if (mlirModuleIsNull(lib))
    return trn_status_make(TRN_ERR_INTERNAL, "reference backend: bad transform script: %s", diag->text);
  MlirOperation seq = mlirBlockGetFirstOperation(mlirModuleGetBody(lib));
  mlirOperationRemoveFromParent(seq);
  mlirModuleDestroy(lib);
  mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), seq);
  MlirStringRef with_seq = mlirStringRefCreateFromCString("transform.with_named_sequence");
  mlirOperationSetAttributeByName(mod_op, with_seq, mlirUnitAttrGet(ctx));
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  ref_diag_t perr = {.len = 0};
  perr.text[0] = '\0';
  trn_status_t st = NULL;
  if (mlirLogicalResultIsFailure(mlirOpPassManagerAddPipeline(mlirPassManagerGetAsOpPassManager(pm),
                                                              mlirStringRefCreateFromCString("transform-interpreter"),
                                                              ref_diag_print, &perr)))
    st = trn_status_make(TRN_ERR_INTERNAL, "reference backend: bad pipeline: %s", perr.text);
  else if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mod_op)))
    st = trn_status_make(TRN_ERR_UNSUPPORTED, "reference backend: decomposing tensor.concat failed: %s",
                         diag->len ? diag->text : "(no diagnostic)");
  mlirPassManagerDestroy(pm);
  mlirOperationDestroy(seq);
  mlirOperationRemoveAttributeByName(mod_op, with_seq);
  return st;
}

/* ---- the run -------------------------------------------------------------------- */

typedef struct ref_run_t {
  MlirContext ctx;
  MlirModule clone;
  MlirPassManager pm;
  MlirExecutionEngine engine;
  size_t n_in, n_out;
  int64_t **in_desc;          /* n_in descriptors */
  void **in_data;             /* our copies of the inputs (the JIT may write into them) */
  int64_t *out_words;         /* the results' descriptors, back to back */
  size_t *out_word_offset;    /* where result i starts in out_words */
  uint32_t *out_rank;
  trn_elem_type_t *out_elem;
  bool invoked;
} ref_run_t;

/* Frees the result buffers the generated code returned (each distinct one once, never
 * one of our input copies). */
static void ref_free_results(ref_run_t *r) {
  if (!r->invoked || !r->out_words) return;
  for (size_t i = 0; i < r->n_out; i++) {
    ref_desc_view_t v = ref_desc_view(r->out_words + r->out_word_offset[i], r->out_rank[i]);
    if (!v.allocated) continue;
    bool seen = false;
    for (size_t j = 0; j < r->n_in && !seen; j++) seen = r->in_data[j] == (void *)v.allocated;
    for (size_t j = 0; j < i && !seen; j++) {
      ref_desc_view_t w = ref_desc_view(r->out_words + r->out_word_offset[j], r->out_rank[j]);
      seen = w.allocated == v.allocated;
    }
    if (!seen) free(v.allocated);
  }
}

static void ref_run_cleanup(ref_run_t *r) {
  ref_free_results(r);
  if (r->in_desc)
    for (size_t i = 0; i < r->n_in; i++) free(r->in_desc[i]);
  if (r->in_data)
    for (size_t i = 0; i < r->n_in; i++) free(r->in_data[i]);
  free(r->in_desc);
  free(r->in_data);
  free(r->out_words);
  free(r->out_word_offset);
  free(r->out_rank);
  free(r->out_elem);
  if (!mlirExecutionEngineIsNull(r->engine)) mlirExecutionEngineDestroy(r->engine);
  if (r->pm.ptr) mlirPassManagerDestroy(r->pm);
  if (!mlirModuleIsNull(r->clone)) mlirModuleDestroy(r->clone);
}

static trn_status_t ref_oom(const char *what) {
  return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "reference backend: out of memory (%s)", what);
}

/* Checks the inputs against main's signature and builds their descriptors. */
static trn_status_t ref_prepare_inputs(ref_run_t *r, MlirType fn_type, const trn_host_tensor_t *inputs) {
  r->in_desc = calloc(r->n_in ? r->n_in : 1, sizeof *r->in_desc);
  r->in_data = calloc(r->n_in ? r->n_in : 1, sizeof *r->in_data);
  if (!r->in_desc || !r->in_data) return ref_oom("input descriptors");
  for (size_t i = 0; i < r->n_in; i++) {
    MlirType t = mlirFunctionTypeGetInput(fn_type, (intptr_t)i);
    uint32_t rank;
    trn_elem_type_t elem;
    TRN_RETURN_IF_ERROR(ref_check_tensor_type(t, "argument", i, &rank, &elem));
    const trn_host_tensor_t *in = &inputs[i];
    const char *name = in->name ? in->name : "";
    if (!ref_elem_compatible(in->type, elem))
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                             "reference backend: input %zu '%s' has element type %s, @main expects %s",
                             i, name, trn_elem_type_name(in->type), trn_elem_type_name(elem));
    if (in->rank != rank)
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                             "reference backend: input %zu '%s' has rank %u, @main expects %u", i, name,
                             in->rank, rank);
    for (uint32_t d = 0; d < rank; d++) {
      int64_t want = mlirShapedTypeGetDimSize(t, d);
      if (!mlirShapedTypeIsDynamicDim(t, d) && want != in->dims[d])
        return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                               "reference backend: input %zu '%s' dim %u is %lld, @main expects %lld", i,
                               name, d, (long long)in->dims[d], (long long)want);
    }
    size_t bytes = (size_t)trn_host_tensor_elements(in) * trn_elem_type_size(elem);
    if (in->bytes < bytes || (bytes && !in->data))
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                             "reference backend: input %zu '%s' holds %zu bytes, its shape needs %zu", i,
                             name, in->bytes, bytes);
    r->in_data[i] = malloc(bytes ? bytes : 1);
    r->in_desc[i] = calloc(ref_desc_words(rank), sizeof(int64_t));
    if (!r->in_data[i] || !r->in_desc[i]) return ref_oom("inputs");
    if (bytes) memcpy(r->in_data[i], in->data, bytes);
    int64_t *w = r->in_desc[i];
    memcpy(&w[0], &r->in_data[i], sizeof(void *));
    memcpy(&w[1], &r->in_data[i], sizeof(void *));
    w[2] = 0;
    int64_t stride = 1;
    for (uint32_t d = rank; d-- > 0;) {
      w[3 + d] = in->dims[d];
      w[3 + rank + d] = stride;
      stride *= in->dims[d] ? in->dims[d] : 1;
    }
  }
  return NULL;
}

static trn_status_t ref_prepare_outputs(ref_run_t *r, MlirType fn_type) {
  size_t n = r->n_out ? r->n_out : 1;
  r->out_word_offset = calloc(n, sizeof *r->out_word_offset);
  r->out_rank = calloc(n, sizeof *r->out_rank);
  r->out_elem = calloc(n, sizeof *r->out_elem);
  if (!r->out_word_offset || !r->out_rank || !r->out_elem) return ref_oom("result descriptors");
  size_t words = 0;
  for (size_t i = 0; i < r->n_out; i++) {
    TRN_RETURN_IF_ERROR(ref_check_tensor_type(mlirFunctionTypeGetResult(fn_type, (intptr_t)i), "result",
                                              i, &r->out_rank[i], &r->out_elem[i]));
    r->out_word_offset[i] = words;
    words += ref_desc_words(r->out_rank[i]);
  }
  r->out_words = calloc(words ? words : 1, sizeof(int64_t));
  if (!r->out_words) return ref_oom("result descriptors");
  return NULL;
}

static trn_status_t ref_collect_outputs(ref_run_t *r, MlirOperation fn, trn_host_tensor_t *outs) {
  for (size_t i = 0; i < r->n_out; i++) {
    uint32_t rank = r->out_rank[i];
    ref_desc_view_t v = ref_desc_view(r->out_words + r->out_word_offset[i], rank);
    for (uint32_t d = 0; d < rank; d++)
      if (v.sizes[d] < 0)
        return trn_status_make(TRN_ERR_EXEC, "reference backend: result %zu has negative dim %u", i, d);
    char name[256];
    ref_result_name(fn, i, name, sizeof name);
    TRN_RETURN_IF_ERROR(trn_host_tensor_init(&outs[i], name, r->out_elem[i], rank, v.sizes));
    if (outs[i].bytes == 0) continue;
    if (!v.aligned)
      return trn_status_make(TRN_ERR_EXEC, "reference backend: result %zu has no data", i);
    size_t esize = trn_elem_type_size(r->out_elem[i]);
    int64_t dense[TRN_MAX_RANK], stride = 1;
    for (uint32_t d = rank; d-- > 0;) {
      dense[d] = stride;
      stride *= v.sizes[d];
    }
    ref_strided_copy((char *)outs[i].data, dense, v.aligned + v.offset * (int64_t)esize, v.strides,
                     v.sizes, rank, esize);
  }
  return NULL;
}

static trn_status_t ref_run(ref_run_t *r, ref_diag_t *diag, MlirModule graph_module,
                            const trn_host_tensor_t *inputs, trn_host_tensor_t **out_outputs,
                            size_t *out_count) {
  MlirOperation main_fn = ref_find_main(graph_module);
  if (mlirOperationIsNull(main_fn))
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "reference backend: the module has no func.func @main");
  MlirAttribute fta = mlirOperationGetAttributeByName(main_fn, mlirStringRefCreateFromCString("function_type"));
  if (mlirAttributeIsNull(fta) || !mlirAttributeIsAType(fta))
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "reference backend: @main has no function_type");
  MlirType fn_type = mlirTypeAttrGetValue(fta);
  if ((size_t)mlirFunctionTypeGetNumInputs(fn_type) != r->n_in)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "reference backend: @main takes %zu inputs, %zu given",
                           (size_t)mlirFunctionTypeGetNumInputs(fn_type), r->n_in);
  r->n_out = (size_t)mlirFunctionTypeGetNumResults(fn_type);
  TRN_RETURN_IF_ERROR(ref_prepare_inputs(r, fn_type, inputs));
  TRN_RETURN_IF_ERROR(ref_prepare_outputs(r, fn_type));

  /* Lower a clone. */
  r->clone = mlirModuleFromOperation(mlirOperationClone(mlirModuleGetOperation(graph_module)));
  if (mlirModuleIsNull(r->clone)) return trn_status_make(TRN_ERR_INTERNAL, "reference backend: cannot clone the module");
  MlirOperation clone_main = ref_find_main(r->clone);
  mlirOperationSetAttributeByName(clone_main, mlirStringRefCreateFromCString("llvm.emit_c_interface"),
                                  mlirUnitAttrGet(r->ctx));
  mlirRegisterAllPasses();
  mlirRegisterAllLLVMTranslations(r->ctx);
  TRN_RETURN_IF_ERROR(ref_decompose_concat(r->ctx, r->clone, diag));
  r->pm = mlirPassManagerCreate(r->ctx);
  ref_diag_t perr = {.len = 0};
  perr.text[0] = '\0';
  if (mlirLogicalResultIsFailure(mlirOpPassManagerAddPipeline(mlirPassManagerGetAsOpPassManager(r->pm),
                                                              mlirStringRefCreateFromCString(kRefPipeline),
                                                              ref_diag_print, &perr)))
    return trn_status_make(TRN_ERR_INTERNAL, "reference backend: bad pipeline: %s", perr.text);
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(r->pm, mlirModuleGetOperation(r->clone))))
    return trn_status_make(TRN_ERR_UNSUPPORTED, "reference backend: lowering to LLVM failed: %s",
                           diag->len ? diag->text : "(no diagnostic)");

  /* JIT and run. */
  r->engine = mlirExecutionEngineCreate(r->clone, 2, 0, NULL, false);
  if (mlirExecutionEngineIsNull(r->engine))
    return trn_status_make(TRN_ERR_EXEC, "reference backend: cannot create the execution engine%s%s",
                           diag->len ? ": " : "", diag->text);
  union {
    void (*fn)(int64_t, ref_unranked_t *, ref_unranked_t *);
    void *ptr;
  } copy_sym = {.fn = ref_memref_copy};
  mlirExecutionEngineRegisterSymbol(r->engine, mlirStringRefCreateFromCString("memrefCopy"), copy_sym.ptr);

  size_t n_args = (r->n_out ? 1 : 0) + r->n_in;
  void **args = calloc(n_args ? n_args : 1, sizeof *args);
  void **slots = calloc(n_args ? n_args : 1, sizeof *slots);
  if (!args || !slots) {
    free(args);
    free(slots);
    return ref_oom("arguments");
  }
  size_t a = 0;
  if (r->n_out) slots[a++] = r->out_words;
  for (size_t i = 0; i < r->n_in; i++) slots[a++] = r->in_desc[i];
  for (size_t i = 0; i < n_args; i++) args[i] = &slots[i];
  MlirLogicalResult ok = mlirExecutionEngineInvokePacked(r->engine, mlirStringRefCreateFromCString("main"), args);
  free(args);
  free(slots);
  if (mlirLogicalResultIsFailure(ok))
    return trn_status_make(TRN_ERR_EXEC, "reference backend: cannot invoke @main in the JIT%s%s",
                           diag->len ? ": " : "", diag->text);
  r->invoked = true;

  trn_host_tensor_t *outs = calloc(r->n_out ? r->n_out : 1, sizeof *outs);
  if (!outs) return ref_oom("outputs");
  trn_status_t st = ref_collect_outputs(r, main_fn, outs);
  if (st) {
    trn_host_tensors_free(outs, r->n_out);
    return st;
  }
  *out_outputs = outs;
  *out_count = r->n_out;
  return NULL;
}

trn_status_t trn_reference_run(trn_compiler_t *compiler, MlirModule graph_module,
                               const trn_host_tensor_t *inputs, size_t n_inputs,
                               trn_host_tensor_t **out_outputs, size_t *out_count) {
  (void)compiler; /* the module's context is the compiler's; nothing else is needed */
  if (out_outputs) *out_outputs = NULL;
  if (out_count) *out_count = 0;
  if (!out_outputs || !out_count || mlirModuleIsNull(graph_module) || (n_inputs && !inputs))
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "reference backend: NULL argument");
  ref_run_t r;
  memset(&r, 0, sizeof r);
  r.ctx = mlirModuleGetContext(graph_module);
  r.n_in = n_inputs;
  ref_diag_t *diag = malloc(sizeof *diag);
  if (!diag) return ref_oom("diagnostics");
  diag->len = 0;
  diag->text[0] = '\0';
  MlirDiagnosticHandlerID handler = mlirContextAttachDiagnosticHandler(r.ctx, ref_diag_handler, diag, NULL);
  trn_status_t st = ref_run(&r, diag, graph_module, inputs, out_outputs, out_count);
  ref_run_cleanup(&r);
  mlirContextDetachDiagnosticHandler(r.ctx, handler);
  free(diag);
  return st;
}
