/* Internal to compiler/onnx/: the API operator import functions are written against.
 *
 * An operator import function reads its node's inputs and attributes through a node
 * context, builds TOSA (or tensor/arith/math) ops with the helpers below, computes
 * each result type itself (shape rules live here, not in MLIR inference) and sets
 * the node's outputs. Errors are sticky: the first failing helper records a status
 * naming the node, later helpers return null values and do nothing, and the
 * importer reports the recorded status when the function returns. A function
 * therefore needs no error checks between helper calls; it checks
 * trn_onnx_failed() only before relying on a value's type. Adding an operator is a
 * table row in ops.c and a function of ~10-30 lines.
 */
#ifndef TRN_ONNX_IMPORT_H
#define TRN_ONNX_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlir-c/IR.h"
#include "trn/compiler.h"

/* One node being imported. */
typedef struct trn_onnx_node_t trn_onnx_node_t;

/* An operator import function. Returns NULL or a status (which may also come from a
 * helper's sticky error). */
typedef trn_status_t (*trn_onnx_import_fn_t)(trn_onnx_node_t *n);

/* A row of the operator table (ops.c). */
typedef struct trn_onnx_op_t {
  trn_onnx_op_info_t info;
  trn_onnx_import_fn_t import;
} trn_onnx_op_t;

/* One operator family's table (one ops_*.c file each). */
typedef struct trn_onnx_op_table_t {
  const trn_onnx_op_t *ops;
  size_t count;
} trn_onnx_op_table_t;
extern const trn_onnx_op_table_t trn_onnx_core_ops; /* ops.c */
#define TRN_ONNX_FAMILY(name) extern const trn_onnx_op_table_t trn_onnx_##name##_ops;
#include "families.def"

/* The row for (domain, op_type, opset), or NULL; *out_known_type is set when the
 * op_type exists for some other opset. */
const trn_onnx_op_t *trn_onnx_op_find(const char *domain, const char *op_type, int64_t opset,
                                      bool *out_known_type);

/* --- the node ------------------------------------------------------------------- */

const char *trn_onnx_node_name(const trn_onnx_node_t *n); /* never empty: "#<index>" if unnamed */
const char *trn_onnx_node_op_type(const trn_onnx_node_t *n);
int64_t trn_onnx_node_opset(const trn_onnx_node_t *n);
MlirContext trn_onnx_mlir(const trn_onnx_node_t *n);
MlirLocation trn_onnx_node_location(const trn_onnx_node_t *n);

/* Records (if none yet) and returns an error naming the node:
 * "node 'name' (OpType): <message>". The status is owned by the importer: the import
 * function returns it as is. */
trn_status_t trn_onnx_error(trn_onnx_node_t *n, trn_status_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool trn_onnx_failed(const trn_onnx_node_t *n);

/* --- inputs and outputs ----------------------------------------------------------- */

size_t trn_onnx_input_count(const trn_onnx_node_t *n);
/* True if input i is given (present and not the empty name of an omitted optional). */
bool trn_onnx_has_input(const trn_onnx_node_t *n, size_t i);
/* The value of input i (an initializer becomes a tosa.const here, on first use). A
 * missing required input is an error (null value). */
MlirValue trn_onnx_input(trn_onnx_node_t *n, size_t i);
/* The bytes of input i when it is a constant known at compile time (an initializer),
 * else false. *out_type is its tensor type. For shape-like inputs (Reshape, ...). */
bool trn_onnx_input_constant(trn_onnx_node_t *n, size_t i, const void **out_data, size_t *out_size,
                             MlirType *out_type);
size_t trn_onnx_output_count(const trn_onnx_node_t *n);
/* Defines output i (ignored for an omitted optional output). */
void trn_onnx_set_output(trn_onnx_node_t *n, size_t i, MlirValue value);

/* --- attributes (defaults when absent; a present attribute of the wrong type is an
 * error) ------------------------------------------------------------------------- */

bool trn_onnx_has_attr(const trn_onnx_node_t *n, const char *name);
int64_t trn_onnx_attr_int(trn_onnx_node_t *n, const char *name, int64_t default_value);
float trn_onnx_attr_float(trn_onnx_node_t *n, const char *name, float default_value);
/* Copies a string attribute (NUL-terminated, truncated to size) into buf. */
void trn_onnx_attr_string(trn_onnx_node_t *n, const char *name, const char *default_value,
                          char *buf, size_t size);
/* The ints of an INTS attribute; count 0 and NULL when absent. */
size_t trn_onnx_attr_ints(trn_onnx_node_t *n, const char *name, const int64_t **out_values);
size_t trn_onnx_attr_floats(trn_onnx_node_t *n, const char *name, const float **out_values);

/* --- types and shapes ------------------------------------------------------------ */

typedef struct trn_onnx_shape_t {
  int64_t rank;
  int64_t dims[TRN_MAX_RANK];
} trn_onnx_shape_t;

/* The shape of a ranked tensor value (rank -1 for a null or unranked value). */
trn_onnx_shape_t trn_onnx_shape(MlirValue v);
MlirType trn_onnx_element_type(MlirValue v);
MlirType trn_onnx_f32(const trn_onnx_node_t *n);
MlirType trn_onnx_tensor_type(const trn_onnx_node_t *n, const trn_onnx_shape_t *shape,
                              MlirType element);
/* "[8, 784]" into buf. */
const char *trn_onnx_shape_str(const trn_onnx_shape_t *shape, char *buf, size_t size);
/* Errors (UNSUPPORTED) unless v is a tensor of f32; `what` names the operand. */
bool trn_onnx_require_f32(trn_onnx_node_t *n, MlirValue v, const char *what);
/* Numpy broadcasting of two shapes; an incompatible pair is an error (FORMAT). */
bool trn_onnx_broadcast(trn_onnx_node_t *n, const trn_onnx_shape_t *a, const trn_onnx_shape_t *b,
                        trn_onnx_shape_t *out);
int64_t trn_onnx_shape_elements(const trn_onnx_shape_t *shape);

/* --- building ops ---------------------------------------------------------------- */

/* Creates `op_name` at the node's location with operands, one result of
 * `result_type` and attributes given as (name, attribute) pairs; appends it to the
 * function body and returns its result. */
MlirValue trn_onnx_build(trn_onnx_node_t *n, const char *op_name, const MlirValue *operands,
                         size_t operand_count, MlirType result_type,
                         const MlirNamedAttribute *attrs, size_t attr_count);
MlirNamedAttribute trn_onnx_named(const trn_onnx_node_t *n, const char *name, MlirAttribute attr);
MlirAttribute trn_onnx_i64_array_attr(const trn_onnx_node_t *n, const int64_t *values, size_t count);
MlirAttribute trn_onnx_f32_attr(const trn_onnx_node_t *n, float value);
MlirAttribute trn_onnx_int_attr(const trn_onnx_node_t *n, unsigned width, int64_t value);

/* tosa.reshape of v to `shape` (no op when the shape is already that). */
MlirValue trn_onnx_reshape(trn_onnx_node_t *n, MlirValue v, const trn_onnx_shape_t *shape);
/* Reshapes v to `rank` by prepending 1s (numpy broadcasting alignment). */
MlirValue trn_onnx_expand_rank(trn_onnx_node_t *n, MlirValue v, int64_t rank);
/* tosa.transpose of v by `perm`. */
MlirValue trn_onnx_transpose(trn_onnx_node_t *n, MlirValue v, const int64_t *perm);
/* A tosa.const of `shape` filled with `value` (f32). */
MlirValue trn_onnx_splat_f32(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, float value);
/* A 1-D tosa.const of i32 values. */
MlirValue trn_onnx_const_i32(trn_onnx_node_t *n, const int32_t *values, size_t count);
/* Element-wise binary TOSA op (tosa.add, tosa.sub, tosa.mul, ...) with numpy
 * broadcasting: ranks are equalized by reshapes; tosa.mul gets its shift = 0. */
MlirValue trn_onnx_binary(trn_onnx_node_t *n, const char *op_name, MlirValue a, MlirValue b);

#endif /* TRN_ONNX_IMPORT_H */
