/* The registry of trn passes and the pipeline builder. */
#include <string.h>

#include "internal.h"

void trn_pass_options_init(trn_pass_options_t *opts) {
  memset(opts, 0, sizeof *opts);
  opts->target = trn_isa_target(TRN_TARGET_TRN1);
  opts->opt_level = 2;
  opts->auto_cast = TRN_AUTO_CAST_NONE;
  opts->auto_cast_type = TRN_DTYPE_BF16;
}

/* In pipeline order. */
static const trn_pass_info_t kPasses[] = {
    {"trn-narrow-types", "compute i64 / f64 in int32 / fp32 (the ISA has neither): I/O, values, checked constants",
     trn_pass_create_narrow_types},
    {"trn-decompose", "rewrite graph-level ops the ISA path has no lowering for (argmax, fptosi) into ones it has",
     trn_pass_create_decompose},
    {"trn-layout", "assign each tensor an on-chip layout (partition dim) for the ISA lowering",
     trn_pass_create_layout},
    {"trn-lower-to-tile", "lower func + tosa to trn_tile: tiling, matmul scheduling, fused epilogues",
     trn_pass_create_lower_to_tile},
    {"trn-allocate", "assign SBUF/PSUM offsets by liveness and HBM offsets to inputs, outputs, constants",
     trn_pass_create_allocate},
    {"trn-lower-to-isa", "lower trn_tile to trn_isa: engines, DMA queues, access patterns, descriptors",
     trn_pass_create_lower_to_isa},
    {"trn-insert-sync", "order cross-engine accesses with semaphore waits and signals",
     trn_pass_create_insert_sync},
};

size_t trn_pass_count(void) { return sizeof kPasses / sizeof kPasses[0]; }

const trn_pass_info_t *trn_pass_at(size_t index) {
  return index < trn_pass_count() ? &kPasses[index] : NULL;
}

const trn_pass_info_t *trn_pass_find(const char *argument) {
  if (!argument) return NULL;
  for (size_t i = 0; i < trn_pass_count(); i++)
    if (strcmp(kPasses[i].argument, argument) == 0) return &kPasses[i];
  return NULL;
}

static void ignore_text(MlirStringRef s, void *user) {
  (void)s;
  (void)user;
}

static MlirLogicalResult add(MlirOpPassManager pm, const trn_pass_options_t *opts, const char *argument) {
  const trn_pass_info_t *info = trn_pass_find(argument);
  if (!info) return mlirLogicalResultFailure();
  MlirPass pass = info->create(opts);
  if (!pass.ptr) return mlirLogicalResultFailure();
  mlirOpPassManagerAddOwnedPass(pm, pass);
  return mlirLogicalResultSuccess();
}

MlirLogicalResult trn_passes_add_pipeline(MlirOpPassManager pm, const trn_pass_options_t *opts,
                                          trn_stage_t until) {
  trn_pass_options_t defaults;
  if (!opts || !opts->target) {
    trn_pass_options_init(&defaults);
    if (opts) {
      const trn_target_t *t = defaults.target;
      defaults = *opts;
      defaults.target = t;
    }
    opts = &defaults;
  }
  /* Graph level: upstream clean-up (folds reshape chains, drops identities). LLVM
   * 19's ClampClampOptimization merges clamp(clamp(x)) into one clamp of the
   * intersected range, which is wrong when the ranges are disjoint (ONNX Clip then
   * Relu), so it is left out. */
  if (mlirLogicalResultIsFailure(mlirOpPassManagerAddPipeline(
          pm, mlirStringRefCreateFromCString("func.func(canonicalize{disable-patterns=ClampClampOptimization}),cse"),
          ignore_text, NULL)))
    return mlirLogicalResultFailure();
  if (until == TRN_STAGE_GRAPH) return mlirLogicalResultSuccess();
  /* The ISA has no int64 or float64: narrow; decompose what it has no lowering for;
   * then fold the casts that became identities. */
  if (mlirLogicalResultIsFailure(add(pm, opts, "trn-narrow-types")) ||
      mlirLogicalResultIsFailure(add(pm, opts, "trn-decompose")) ||
      mlirLogicalResultIsFailure(mlirOpPassManagerAddPipeline(
          pm, mlirStringRefCreateFromCString("func.func(canonicalize{disable-patterns=ClampClampOptimization})"),
          ignore_text, NULL)))
    return mlirLogicalResultFailure();
  static const char *const kTile[] = {"trn-layout", "trn-lower-to-tile", "trn-allocate"};
  for (size_t i = 0; i < sizeof kTile / sizeof kTile[0]; i++)
    if (mlirLogicalResultIsFailure(add(pm, opts, kTile[i]))) return mlirLogicalResultFailure();
  if (until == TRN_STAGE_TILE) return mlirLogicalResultSuccess();
  static const char *const kIsa[] = {"trn-lower-to-isa", "trn-insert-sync"};
  for (size_t i = 0; i < sizeof kIsa / sizeof kIsa[0]; i++)
    if (mlirLogicalResultIsFailure(add(pm, opts, kIsa[i]))) return mlirLogicalResultFailure();
  return mlirLogicalResultSuccess();
}
