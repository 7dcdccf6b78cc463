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
  bool verify_each;                    /* verify after every pass (default true) */
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

#ifdef __cplusplus
}
#endif
#endif /* TRN_COMPILER_H */
