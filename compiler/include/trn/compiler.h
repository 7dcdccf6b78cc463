/* trn compiler: imports an ONNX model, lowers it through the trn passes and emits a
 * .neff. The drivers (trnc, trn-opt) are thin layers over this header, which is the
 * only public header of compiler/. The library libtrn_compiler links the MLIR C API
 * once; every tool links this library.
 *
 * Errors are trn_status_t values (trn/runtime.h) whose message names the file, node
 * (op_type and name) or operation at fault. MLIR diagnostics raised while a compiler
 * object runs are collected into the status of the failing call.
 */
#ifndef TRN_COMPILER_H
#define TRN_COMPILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlir-c/IR.h"
#include "trn/isa.h"
#include "trn/passes.h"
#include "trn/runtime.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a compilation produces. */
typedef enum trn_emit_t {
  TRN_EMIT_MLIR = 0, /* graph level: func + tosa */
  TRN_EMIT_TILE = 1, /* trn_tile level */
  TRN_EMIT_ISA = 2,  /* trn_isa level */
  TRN_EMIT_ASM = 3,  /* text assembly of the binary */
  TRN_EMIT_NEFF = 4, /* the .neff container */
  TRN_EMIT_IMPORT = 5, /* the module exactly as the ONNX importer built it (no passes) */
} trn_emit_t;

/* A user-given shape for a graph input with symbolic dims (--input-shape). */
typedef struct trn_input_shape_t {
  const char *name;
  uint32_t rank;
  int64_t dims[TRN_MAX_RANK];
} trn_input_shape_t;

typedef struct trn_compile_options_t {
  trn_pass_options_t pass;             /* target, -O level, auto-cast */
  trn_emit_t emit;
  const trn_input_shape_t *input_shapes;
  size_t input_shape_count;
  bool print_ir_after_all;             /* dump the IR after every pass to stderr */
  const char *print_ir_after;          /* dump after this pass only (its argument) */
  bool timing;                         /* per-pass timing report to stderr */
  bool progress;                       /* a status line on stderr, rewritten as each step
                                          (import, every pass, emission) starts; for
                                          terminals (trnc sets it when stderr is one) */
  bool verify_each;                    /* verify after every pass (default true) */
  bool elide_weights;                  /* text output: print weights and large constants
                                          as placeholders (not parseable back) */
} trn_compile_options_t;

/* Defaults: trn1, -O2, emit neff, verification on. */
void trn_compile_options_init(trn_compile_options_t *opts);

/* A compiler owns one MLIR context with every upstream dialect, the IRDL dialects of
 * trn and the upstream passes registered. */
typedef struct trn_compiler_t trn_compiler_t;

trn_status_t trn_compiler_create(const trn_compile_options_t *opts, trn_compiler_t **out_compiler);
void trn_compiler_destroy(trn_compiler_t *compiler);
MlirContext trn_compiler_context(trn_compiler_t *compiler);

/* Reads an ONNX model and builds the graph-level module (func + tosa). Weights are
 * referenced, not copied, through dense resource attributes; the model file stays
 * mapped for the compiler's lifetime. Errors: TRN_ERR_IO (cannot read),
 * TRN_ERR_FORMAT (not a valid ONNX model), TRN_ERR_UNSUPPORTED (lists every
 * unsupported node: name, op_type, opset, reason). */
trn_status_t trn_compiler_import_onnx(trn_compiler_t *compiler, const char *path,
                                      MlirModule *out_module);

/* Runs the trn pipeline on `module` up to `until`, in place. */
trn_status_t trn_compiler_lower(trn_compiler_t *compiler, MlirModule module, trn_stage_t until);

/* Turns an ISA-level module into a .neff at `path` (written through a temporary
 * file and a rename). `source_hash` (32 bytes) may be NULL. */
trn_status_t trn_compiler_emit_neff(trn_compiler_t *compiler, MlirModule module,
                                    const uint8_t *source_hash, const char *path);
/* Same into a writer the caller owns (for --emit=asm and tests). */
trn_status_t trn_compiler_emit_to_writer(trn_compiler_t *compiler, MlirModule module,
                                         trn_rt_writer_t *writer);

/* The whole path: import `input_path`, lower, and write what opts->emit asks for to
 * `output_path` ("-" = stdout for text forms). */
trn_status_t trn_compiler_compile_file(trn_compiler_t *compiler, const char *input_path,
                                       const char *output_path);

/* The compiler's version string ("trn X.Y.Z"). */
const char *trn_compiler_version(void);

/* ---------------------------------------------------------------------------------
 * Added for the drivers (trnc, trn-opt) and tests
 * ------------------------------------------------------------------------------- */

/* The step of trn_compiler_compile_file that produced its last failure, so that a
 * driver can map failures to exit codes. */
typedef enum trn_compile_step_t {
  TRN_STEP_NONE = 0,   /* no failure */
  TRN_STEP_IMPORT = 1, /* reading or importing the model (IO, FORMAT, UNSUPPORTED) */
  TRN_STEP_LOWER = 2,  /* the pass pipeline failed */
  TRN_STEP_EMIT = 3,   /* turning ISA-level IR into the binary failed */
  TRN_STEP_WRITE = 4,  /* the output could not be written */
} trn_compile_step_t;
trn_compile_step_t trn_compiler_failed_step(const trn_compiler_t *compiler);

/* One row of the importer's operator table (trnc --list-ops). */
typedef struct trn_onnx_op_info_t {
  const char *domain;       /* "" for the default ONNX domain */
  const char *op_type;
  int min_opset, max_opset; /* inclusive range of the domain's opset version */
  const char *summary;      /* what it lowers to, one line */
} trn_onnx_op_info_t;
size_t trn_compiler_onnx_op_count(void);
const trn_onnx_op_info_t *trn_compiler_onnx_op_at(size_t index);

/* Parses a textual .mlir file ("-" = stdin) in the compiler's context and verifies
 * it. Errors: TRN_ERR_IO (cannot read), TRN_ERR_FORMAT (parse or verification
 * errors, with the diagnostics). The caller destroys the module. */
trn_status_t trn_compiler_parse_mlir_file(trn_compiler_t *compiler, const char *path,
                                          MlirModule *out_module);

/* Appends pass pipeline text to `pm`: either "builtin.module(...)" or its element
 * list ("canonicalize,func.func(cse),trn-layout"). An element naming a trn pass (by
 * its argument, also inside a nested "func.func(...)") is created with the
 * compiler's pass options; every other element is an upstream pass added with
 * mlirOpPassManagerAddPipeline. Errors: TRN_ERR_INVALID_ARGUMENT naming the element. */
trn_status_t trn_compiler_add_passes(trn_compiler_t *compiler, MlirOpPassManager pm,
                                     const char *pipeline);

/* Runs a pass manager the caller built on `module`. A failure is TRN_ERR_UNSUPPORTED
 * (a pass could not lower something) carrying the diagnostics the passes emitted. */
trn_status_t trn_compiler_run_passes(trn_compiler_t *compiler, MlirPassManager pm,
                                     MlirModule module);

/* Prints `module` as text IR to `path` ("-" = stdout); a file is written through a
 * temporary file and a rename. Large weights are printed in full (dense resource
 * blobs) so the output parses back. */
trn_status_t trn_compiler_write_module(trn_compiler_t *compiler, MlirModule module,
                                       const char *path);

/* ---------------------------------------------------------------------------------
 * CPU reference backend
 *
 * Runs a graph-level module (func + tosa, as the importer produces it) on the host:
 * a clone is lowered by upstream passes to LLVM and JIT-compiled with the MLIR
 * ExecutionEngine. Its outputs are the golden reference for the ISA path.
 * ------------------------------------------------------------------------------- */

/* Element types of host tensors. The values are ONNX's TensorProto.DataType, so that
 * .pb files map one to one (stable: append only). */
typedef enum trn_elem_type_t {
  TRN_ELEM_UNDEFINED = 0,
  TRN_ELEM_F32 = 1,
  TRN_ELEM_U8 = 2,
  TRN_ELEM_I8 = 3,
  TRN_ELEM_U16 = 4,
  TRN_ELEM_I16 = 5,
  TRN_ELEM_I32 = 6,
  TRN_ELEM_I64 = 7,
  TRN_ELEM_STRING = 8, /* not supported by the backends; named for messages */
  TRN_ELEM_BOOL = 9,   /* one byte per element, 0 or 1 */
  TRN_ELEM_F16 = 10,
  TRN_ELEM_F64 = 11,
  TRN_ELEM_U32 = 12,
  TRN_ELEM_U64 = 13,
  TRN_ELEM_BF16 = 16,
} trn_elem_type_t;

/* Bytes per element (0 for UNDEFINED, STRING and unknown values). */
size_t trn_elem_type_size(trn_elem_type_t type);
/* "f32", "u8", "i8", ..., "bool", "bf16"; "?" for unknown values. */
const char *trn_elem_type_name(trn_elem_type_t type);
/* The host element type matching a dtype of the ISA signature. */
trn_elem_type_t trn_elem_type_from_dtype(trn_dtype_t dtype);

/* A dense, row-major tensor in host memory. The tensor owns `name` (may be NULL) and
 * `data` (malloc'ed, `bytes` = elements * element size); release them with
 * trn_host_tensor_release or trn_host_tensors_free. Rank 0 is a scalar (one element). */
typedef struct trn_host_tensor_t {
  char *name;
  trn_elem_type_t type;
  uint32_t rank;
  int64_t dims[TRN_MAX_RANK];
  void *data;
  size_t bytes;
} trn_host_tensor_t;

/* Makes `out` a zero-filled tensor; `name` (may be NULL) and `dims` are copied.
 * Errors: TRN_ERR_INVALID_ARGUMENT (rank > TRN_MAX_RANK, negative dim, unsized type,
 * size overflow), TRN_ERR_OUT_OF_MEMORY. On failure `out` is left empty. */
trn_status_t trn_host_tensor_init(trn_host_tensor_t *out, const char *name, trn_elem_type_t type,
                                  uint32_t rank, const int64_t *dims);
/* Number of elements (1 for rank 0). */
int64_t trn_host_tensor_elements(const trn_host_tensor_t *tensor);
/* Frees the name and data and zeroes the struct (NULL is allowed). */
void trn_host_tensor_release(trn_host_tensor_t *tensor);
/* Releases `count` tensors, then frees the array itself (NULL is allowed). */
void trn_host_tensors_free(trn_host_tensor_t *tensors, size_t count);
/* Converts `src` to element type `type` into `out` (a new tensor with the same name
 * and shape): between any of the numeric types, with C conversion rules (float to
 * integer truncates; to bool is `!= 0`). Errors: TRN_ERR_UNSUPPORTED for STRING. */
trn_status_t trn_host_tensor_convert(const trn_host_tensor_t *src, trn_elem_type_t type,
                                     trn_host_tensor_t *out);

/* Compares `actual` with `expected`: shapes must be equal; floating-point elements
 * pass when |a - e| <= atol + rtol * |e| (NaN matches NaN, infinities match by sign);
 * integer and bool elements must be equal. An integer `actual` whose type differs from
 * `expected` only in signedness (the JIT sees signless integers) is read with the
 * expected type. Returns true when they match; otherwise writes a one-line reason
 * (first mismatching index, both values, mismatch count) to `why` (may be NULL). */
bool trn_host_tensor_allclose(const trn_host_tensor_t *actual, const trn_host_tensor_t *expected,
                              double rtol, double atol, char *why, size_t why_size);

/* Runs `@main` of `graph_module` on the CPU. The module is cloned (the caller's module
 * is untouched), lowered with upstream passes (tosa -> linalg -> loops -> LLVM) and
 * JIT-compiled; `inputs` follow main's arguments in order and must have their ranks,
 * static dims and element types (integers: same width; signedness is not checked).
 * Dynamic dims take the inputs' sizes. On success *out_outputs is a new array of
 * *out_count tensors, one per result of main, that the caller frees with
 * trn_host_tensors_free; an output is named after the result's `trn.name` attribute
 * when main carries one, else "output_<i>".
 * `compiler` may be NULL: the module's own context is used (it must have every
 * upstream dialect registered). MLIR diagnostics raised meanwhile are returned in the
 * status message and do not reach other handlers.
 * Errors: TRN_ERR_INVALID_ARGUMENT (no @main, input count, shape or type mismatch),
 * TRN_ERR_UNSUPPORTED (an op or type the upstream lowering cannot handle; the message
 * holds the diagnostics), TRN_ERR_EXEC (JIT creation or invocation failed),
 * TRN_ERR_OUT_OF_MEMORY.
 * Thread-safety: not safe to call concurrently on one context. */
trn_status_t trn_reference_run(trn_compiler_t *compiler, MlirModule graph_module,
                               const trn_host_tensor_t *inputs, size_t n_inputs,
                               trn_host_tensor_t **out_outputs, size_t *out_count);

/* Reads an ONNX TensorProto file (a test suite's input_K.pb / output_K.pb) into `out`
 * (named after the proto's name, or NULL). raw_data and the typed fields (float_data,
 * int32_data, int64_data, double_data, uint64_data) are handled for every numeric type
 * and bool. Errors: TRN_ERR_IO (cannot read), TRN_ERR_FORMAT (not a TensorProto, or
 * data size disagrees with dims), TRN_ERR_UNSUPPORTED (string, complex, external
 * data, segments). The message names the path. On failure `out` is left empty. */
trn_status_t trn_tensor_pb_read(const char *path, trn_host_tensor_t *out);
/* Same from memory; `what` names the source in messages (may be NULL). */
trn_status_t trn_tensor_pb_parse(const void *data, size_t size, const char *what,
                                 trn_host_tensor_t *out);

#ifdef __cplusplus
}
#endif
#endif /* TRN_COMPILER_H */
