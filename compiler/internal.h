/* Internal to compiler/: what the compiler's modules (compiler.c, diag.c, emit.c,
 * onnx/) share. Not included outside this layer.
 */
#ifndef TRN_COMPILER_INTERNAL_H
#define TRN_COMPILER_INTERNAL_H

#include <stdarg.h>

#include "trn/compiler.h"

/* ---------------------------------------------------------------------------------
 * Accessors for the compiler object (compiler.c)
 * ------------------------------------------------------------------------------- */

/* The options the compiler was created with (copied at creation; the target is
 * never NULL). emit.c takes the target and the version from here. */
const trn_compile_options_t *trn_compiler_options(const trn_compiler_t *compiler);

/* The SHA-256 of the last ONNX file imported by this compiler, or NULL if none. */
const uint8_t *trn_compiler_source_hash(const trn_compiler_t *compiler);

/* ---------------------------------------------------------------------------------
 * Diagnostics (diag.c)
 *
 * Every MLIR diagnostic of severity error raised on the compiler's context is
 * appended, with its location and notes, to a buffer the compiler owns; warnings
 * and remarks go to stderr. A failing call turns the buffer into its status.
 * ------------------------------------------------------------------------------- */

typedef struct trn_diag_buffer_t trn_diag_buffer_t;

trn_diag_buffer_t *trn_diag_buffer_create(void);
void trn_diag_buffer_destroy(trn_diag_buffer_t *buffer);
/* Attaches the collecting handler to `ctx` (the buffer must outlive the context). */
void trn_diag_buffer_attach(trn_diag_buffer_t *buffer, MlirContext ctx);
/* Forgets what was collected so far. */
void trn_diag_buffer_clear(trn_diag_buffer_t *buffer);
/* True when at least one error was collected since the last clear. */
bool trn_diag_buffer_has_errors(const trn_diag_buffer_t *buffer);
/* The collected text ("" when empty); valid until the next clear. */
const char *trn_diag_buffer_text(const trn_diag_buffer_t *buffer);

/* Makes a status "<prefix>" followed by the collected diagnostics (one per line),
 * then clears the buffer. `prefix` is printf-style; with no diagnostics collected the
 * status carries the prefix alone. */
trn_status_t trn_compiler_diag_status(trn_compiler_t *compiler, trn_status_code_t code,
                                      const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Clears the compiler's collected diagnostics (call before an MLIR call whose
 * failure you will report with trn_compiler_diag_status). */
void trn_compiler_diag_clear(trn_compiler_t *compiler);

/* Writes an MLIR location in a short human form: `file: node 'name'` for the
 * importer's name(file) locations, `file:line:col` for file locations, else MLIR's
 * text. Returns the number of bytes it would write (snprintf semantics). */
int trn_diag_format_location(MlirLocation loc, char *buf, size_t size);


/* ---------------------------------------------------------------------------------
 * SHA-256 (sha256.c)
 * ------------------------------------------------------------------------------- */

void trn_sha256(const void *data, size_t size, uint8_t out_digest[32]);
/* Incremental form, for data hashed in pieces. */
typedef struct trn_sha256_t {
  uint32_t h[8];
  uint8_t block[64];
  size_t buffered;
  uint64_t total;
} trn_sha256_t;
void trn_sha256_init(trn_sha256_t *ctx);
void trn_sha256_update(trn_sha256_t *ctx, const void *data, size_t size);
void trn_sha256_final(trn_sha256_t *ctx, uint8_t out_digest[32]);

/* ---------------------------------------------------------------------------------
 * ONNX import (onnx/importer.c)
 * ------------------------------------------------------------------------------- */

/* An imported ONNX model: the file mapping, the unpacked protobuf and the buffers
 * that hold converted or realigned weights. The MLIR context refers to these bytes
 * (dense resources), so a model lives as long as its compiler. */
typedef struct trn_onnx_model_t trn_onnx_model_t;

/* Reads `path` and builds the graph-level module in `ctx`. On success *out_model is
 * the model (the caller keeps it until the context is destroyed) and *out_module the
 * module. `opts` gives input shapes for symbolic dims. */
trn_status_t trn_onnx_import(MlirContext ctx, const trn_compile_options_t *opts,
                             trn_diag_buffer_t *diags, const char *path,
                             trn_onnx_model_t **out_model, MlirModule *out_module);
void trn_onnx_model_destroy(trn_onnx_model_t *model);
/* SHA-256 of the model file. */
const uint8_t *trn_onnx_model_hash(const trn_onnx_model_t *model);

#endif /* TRN_COMPILER_INTERNAL_H */
