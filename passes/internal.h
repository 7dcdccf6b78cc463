/* Internal to passes/: the external-pass scaffolding and the small IR toolkit every
 * pass shares (building ops, reading attributes, diagnostics). Not included outside
 * this layer.
 */
#ifndef TRN_PASSES_INTERNAL_H
#define TRN_PASSES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "trn/dialects.h"
#include "trn/passes.h"

/* ---- pass scaffolding --------------------------------------------------------- */

/* One kind of pass. Instances are `static const` and 8-byte aligned: the address is
 * the pass's TypeID (mlirTypeIDCreate), so no mutable global is needed. */
typedef struct trn_pass_def_t {
  const char *name;     /* CamelCase, for pass timing and crash reports */
  const char *argument; /* trn-... */
  const char *summary;
  /* Runs on the builtin.module `module`; reports errors with trn_ir_error and then
   * calls mlirExternalPassSignalFailure(pass). */
  void (*run)(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts);
} trn_pass_def_t;

#define TRN_PASS_DEF static const _Alignas(8) trn_pass_def_t

/* Creates an external pass anchored on builtin.module running `def` with a copy of
 * `opts`. */
MlirPass trn_pass_create(const trn_pass_def_t *def, const trn_pass_options_t *opts);

/* The create functions of the passes (one file each). */
MlirPass trn_pass_create_narrow_types(const trn_pass_options_t *opts);
MlirPass trn_pass_create_decompose(const trn_pass_options_t *opts);
MlirPass trn_pass_create_layout(const trn_pass_options_t *opts);
MlirPass trn_pass_create_lower_to_tile(const trn_pass_options_t *opts);
MlirPass trn_pass_create_allocate(const trn_pass_options_t *opts);
MlirPass trn_pass_create_lower_to_isa(const trn_pass_options_t *opts);
MlirPass trn_pass_create_insert_sync(const trn_pass_options_t *opts);

/* ---- diagnostics -------------------------------------------------------------- */

/* Emits an error diagnostic "trn: <message>" on `op`'s location. */
void trn_ir_error(MlirOperation op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A multi-line error: the one-line message of trn_ir_error, then report lines
 * ("  note: ...") saying what needed how much memory where. The C API of MLIR 19
 * can emit an error but cannot attach notes to it, so the report travels in the
 * error's message, one note per line, indented like the notes trnc prints. */
typedef struct trn_ir_report_t {
  char head[1024];
  char *notes; /* "\n  note: ..." lines */
  size_t length, capacity;
  bool oom; /* a note did not fit in memory: the report is emitted without notes */
} trn_ir_report_t;

void trn_ir_report_init(trn_ir_report_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void trn_ir_report_note(trn_ir_report_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Emits "trn: <head>" plus the notes on `op`'s location and frees the notes. */
void trn_ir_report_emit(trn_ir_report_t *r, MlirOperation op);
/* Where `op` comes from, for a note: "node 'name'" when its location names an
 * ONNX node (loc("name"...) or fused["name", ...]), else the printed location
 * ("file:line:col" or "<unknown>"). */
void trn_ir_op_where(MlirOperation op, char *buf, size_t size);

/* One consumer of HBM for trn_ir_report_hbm. */
typedef enum trn_ir_hbm_kind_t {
  TRN_IR_HBM_INPUT,
  TRN_IR_HBM_OUTPUT,
  TRN_IR_HBM_CONST,
  TRN_IR_HBM_SCRATCH,
} trn_ir_hbm_kind_t;
typedef struct trn_ir_hbm_use_t {
  trn_ir_hbm_kind_t kind;
  double bytes; /* double: a shape's product may exceed 2^64 */
  char name[160]; /* "'x'" for an input or output, "node 'w'" for a constant or scratch */
} trn_ir_hbm_use_t;

/* Adds the HBM notes to `r`: the bytes of each kind, the total against the
 * target's HBM and the largest consumers (top 8, then how many more). Sorts `uses`. */
void trn_ir_report_hbm(trn_ir_report_t *r, trn_ir_hbm_use_t *uses, size_t n, double total,
                       const trn_target_t *target);

/* ---- building ----------------------------------------------------------------- */

MlirNamedAttribute trn_ir_named(MlirContext ctx, const char *name, MlirAttribute value);
MlirAttribute trn_ir_i64(MlirContext ctx, int64_t v);
MlirAttribute trn_ir_bool(MlirContext ctx, bool v);
MlirAttribute trn_ir_f32(MlirContext ctx, double v);
MlirAttribute trn_ir_str(MlirContext ctx, const char *s);
MlirAttribute trn_ir_i64_array(MlirContext ctx, size_t n, const int64_t *v);

/* Creates a detached operation `name` with the given results, operands and
 * attributes. */
MlirOperation trn_ir_op(MlirLocation loc, const char *name, size_t nresults, const MlirType *results,
                        size_t noperands, const MlirValue *operands, size_t nattrs,
                        const MlirNamedAttribute *attrs);

/* ---- reading ------------------------------------------------------------------ */

/* The bytes one side (src or dst) of DMA descriptor `d` touches: partitions [p0, p1)
 * x bytes [b0, b1) of each (HBM: one partition, absolute bytes). Steps of whole
 * partitions select partitions, the others bytes; a step that is neither, or a range
 * that leaves its partition, makes the footprint whole partitions (conservative). */
typedef struct trn_ir_footprint_t {
  uint32_t p0, p1;
  uint64_t b0, b1;
  /* masked: the partitions touched are exactly the set bits of pmask (partition p:
   * bit p % 64 of pmask[p / 64]), a subset of [p0, p1) (a descriptor stepping
   * partitions by more than one, e.g. packed convolution taps); else all of [p0, p1) */
  bool masked;
  uint64_t pmask[2];
} trn_ir_footprint_t;
trn_ir_footprint_t trn_ir_desc_footprint(const trn_target_t *t, const trn_dma_desc_t *d, bool src);

bool trn_ir_is(MlirOperation op, const char *name);
/* Attribute `name` of `op` as an integer / float / string; false if absent or of
 * another kind. The string is not NUL-terminated: a ref into the context. */
bool trn_ir_get_int(MlirOperation op, const char *name, int64_t *out);
bool trn_ir_get_float(MlirOperation op, const char *name, double *out);
bool trn_ir_get_str(MlirOperation op, const char *name, MlirStringRef *out);
/* Attribute `name` as an i64 dense array of at most `max` elements; false otherwise. */
bool trn_ir_get_i64_array(MlirOperation op, const char *name, int64_t *out, size_t max, size_t *out_n);
bool trn_ir_str_eq(MlirStringRef s, const char *c);
/* Element `i` of a dense integer elements attribute (any width, splat or not); false
 * if `attr` is not one or `i` is out of range. */
bool trn_ir_dense_int_at(MlirAttribute attr, intptr_t i, int64_t *out);
/* The value of a splat (or single-element) dense float/int elements attribute. */
bool trn_ir_dense_splat_f64(MlirAttribute attr, double *out);

/* The target named by the module attribute trn.target, else opts->target. */
const trn_target_t *trn_ir_module_target(MlirOperation module, const trn_pass_options_t *opts);

/* The one func.func with a body in `module`; emits an error on the module and returns
 * a null operation if there is none or more than one. */
MlirOperation trn_ir_single_func(MlirOperation module);
/* First operation of the entry block of func `fn`. */
MlirBlock trn_ir_func_body(MlirOperation fn);

/* A ranked tensor's shape and dtype; false if `type` is not a static ranked tensor of
 * a supported dtype. */
bool trn_ir_tensor_shape(MlirType type, uint32_t *rank, int64_t *dims, trn_dtype_t *dtype);

/* For a reshape from shape `sd` (rank sr) to `dd` (rank dr) that only inserts or
 * removes unit dims: the dim of the result that dim `pdim` of the source becomes;
 * -1 if the reshape is of another kind. */
int trn_ir_map_unit_reshape(uint32_t sr, const int64_t *sd, uint32_t dr, const int64_t *dd, int pdim);

/* ---- element-wise ops (one table for trn-layout and trn-lower-to-tile) --------- */

/* The activation function (ACT mnemonic) of a unary element-wise op, or NULL. */
const char *trn_ir_unary_func(MlirOperation op);
/* The ALU op (DVE mnemonic) of a binary element-wise op, or NULL. */
const char *trn_ir_binary_alu(MlirOperation op);
/* A unary op lowered to a vector-engine sequence (floor, ceil, roundeven, not). */
bool trn_ir_is_unary_dve(MlirOperation op);
/* Any element-wise op the lowering handles (the three above, clamp, identity, cast,
 * negate, select). */
bool trn_ir_is_elementwise(MlirOperation op);

/* ---- pointer map (MlirValue/MlirOperation -> index) ------------------------------- */

typedef struct trn_ptr_map_t {
  const void **keys;
  size_t *values;
  size_t cap, count;
} trn_ptr_map_t;

void trn_ptr_map_init(trn_ptr_map_t *m);
void trn_ptr_map_free(trn_ptr_map_t *m);
/* false on allocation failure */
bool trn_ptr_map_put(trn_ptr_map_t *m, const void *key, size_t value);
/* false if absent */
bool trn_ptr_map_get(const trn_ptr_map_t *m, const void *key, size_t *out);

#endif /* TRN_PASSES_INTERNAL_H */
