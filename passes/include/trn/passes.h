/* trn passes: the compiler's own lowering passes, each an MLIR external pass
 * written in C with a kebab-case name (trn-...), runnable alone by trn-opt and
 * composed into the trnc pipeline by trn_passes_add_pipeline.
 *
 * This is the only public header of passes/.
 */
#ifndef TRN_PASSES_H
#define TRN_PASSES_H

#include <stdbool.h>
#include <stddef.h>

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "trn/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum trn_auto_cast_t {
  TRN_AUTO_CAST_NONE = 0,   /* compute in the model's types */
  TRN_AUTO_CAST_MATMUL = 1, /* matmul/conv operands cast to auto_cast_type */
  TRN_AUTO_CAST_ALL = 2,    /* every fp32 op cast where the engine allows */
} trn_auto_cast_t;

/* Options every pass sees (copied into the pass when it is created). */
typedef struct trn_pass_options_t {
  const trn_target_t *target; /* never NULL when passed to create */
  int opt_level;              /* 0..3; what each level does: docs/user-guide.md */
  trn_auto_cast_t auto_cast;
  trn_dtype_t auto_cast_type; /* TRN_DTYPE_BF16 or TRN_DTYPE_FP16 */
} trn_pass_options_t;

/* Fills `opts` with the defaults: trn1, -O2, no auto-cast, bf16. */
void trn_pass_options_init(trn_pass_options_t *opts);

typedef struct trn_pass_info_t {
  const char *argument; /* "trn-..." : the trn-opt flag without dashes */
  const char *summary;  /* one line */
  MlirPass (*create)(const trn_pass_options_t *opts);
} trn_pass_info_t;

/* The registered trn passes, in pipeline order. */
size_t trn_pass_count(void);
const trn_pass_info_t *trn_pass_at(size_t index);
/* The pass named `argument` (e.g. "trn-lower-to-tile"), or NULL. */
const trn_pass_info_t *trn_pass_find(const char *argument);

/* Pipeline stages, in order: what trnc --emit can stop after. */
typedef enum trn_stage_t {
  TRN_STAGE_GRAPH = 0, /* func + tosa after canonicalization and shape inference */
  TRN_STAGE_TILE = 1,  /* trn_tile: layout, tiling, scheduling, fusion, allocation */
  TRN_STAGE_ISA = 2,   /* trn_isa: one op per instruction, engines and semaphores set */
} trn_stage_t;

/* Appends to `pm` (anchored on builtin.module) the passes that take a module at
 * graph level (as the ONNX importer produces it) to `until`, upstream passes
 * included. Returns failure only for an internal pipeline-text error. */
MlirLogicalResult trn_passes_add_pipeline(MlirOpPassManager pm, const trn_pass_options_t *opts,
                                          trn_stage_t until);

/* The parts of an MLIR location as the importer and the parser make them:
 * loc("node"("file":L:C)), loc(fused["node"(...), ...]) and loc("file":L:C). Passes
 * name ops in reports with them, the compiler in diagnostics and in the .neff's
 * layers. */
typedef struct trn_location_parts_t {
  char text[1024]; /* MLIR's text of the whole location */
  bool fused;      /* a fused location: the parts are those of its first one */
  char name[512];  /* a name location's name (the importer's ONNX node name), else "" */
  bool child;      /* the name location has a child location */
  char file[512];  /* a file location's file, also as the name's child; else "" */
  unsigned line, col;
} trn_location_parts_t;
void trn_passes_location_parts(MlirLocation loc, trn_location_parts_t *out);

#ifdef __cplusplus
}
#endif
#endif /* TRN_PASSES_H */
