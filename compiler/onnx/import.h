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
 * table row in its family's ops_<family>.c and a function of ~10-30 lines.
 *
 * Element types (the rule is written in compiler/README.md): each value has an ONNX
 * element type (trn_elem_type_t, whose numbers are ONNX's) and a graph-level compute
 * type: integers are signless (UINT8 -> i8, its unsignedness is tracked beside the
 * value: trn_onnx_input_unsigned), BOOL is i1, DOUBLE is computed in f32 (f64 exists
 * only at the function boundary), FLOAT16/BFLOAT16/INT* are themselves.
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

/* A static tensor shape. */
typedef struct trn_onnx_shape_t {
  int64_t rank;
  int64_t dims[TRN_MAX_RANK];
} trn_onnx_shape_t;

/* An operator import function. Returns NULL or a status (which may also come from a
 * helper's sticky error). */
typedef trn_status_t (*trn_onnx_import_fn_t)(trn_onnx_node_t *n);

/* A row of an operator table (ops.c, ops_<family>.c). */
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
/* Defines output i (ignored for an omitted optional output). Its ONNX element type is
 * that of the first input with the same compute type (so UINT8 stays UINT8 through
 * i8), else the one the MLIR type names; set it explicitly with
 * trn_onnx_set_output_elem when that guess is wrong (Cast). */
void trn_onnx_set_output(trn_onnx_node_t *n, size_t i, MlirValue value);
void trn_onnx_set_output_elem(trn_onnx_node_t *n, size_t i, MlirValue value, trn_elem_type_t elem);

/* The ONNX element type of input i (TRN_ELEM_UNDEFINED when absent). */
trn_elem_type_t trn_onnx_input_elem(trn_onnx_node_t *n, size_t i);
/* True when input i holds unsigned integers (its compute type is signless). */
bool trn_onnx_input_unsigned(trn_onnx_node_t *n, size_t i);

/* --- compile-time constants ------------------------------------------------------ */

/* A constant tensor: bytes in the compute type's layout (DOUBLE as f32, BOOL one byte
 * per element, row-major), owned by the importer. */
typedef struct trn_onnx_const_t {
  trn_elem_type_t elem; /* ONNX element type */
  trn_onnx_shape_t shape;
  const void *data;
  size_t size; /* bytes */
} trn_onnx_const_t;

/* Input i as a constant known at compile time (an initializer, or the output of a
 * Constant-like node set with trn_onnx_set_output_const). A missing input is FORMAT;
 * a non-constant one is an UNSUPPORTED error naming the node and input (`what` names
 * it, e.g. "shape"). */
bool trn_onnx_input_const(trn_onnx_node_t *n, size_t i, const char *what, trn_onnx_const_t *out);
/* The values of a constant integer input (any integer type), at most `max`; the same
 * errors, plus FORMAT for a float input and UNSUPPORTED for more than `max` values. */
bool trn_onnx_input_ints(trn_onnx_node_t *n, size_t i, const char *what, int64_t *out, size_t max,
                         size_t *out_count);
/* The values of a constant numeric input (any type) as doubles. */
bool trn_onnx_input_doubles(trn_onnx_node_t *n, size_t i, const char *what, double *out, size_t max,
                            size_t *out_count);
/* Element k of a constant, converted. */
int64_t trn_onnx_const_int_at(const trn_onnx_const_t *c, size_t k);
double trn_onnx_const_double_at(const trn_onnx_const_t *c, size_t k);
size_t trn_onnx_const_count(const trn_onnx_const_t *c);
/* Defines output i as a compile-time constant (the bytes are copied): later nodes
 * read it with trn_onnx_input_const, and it becomes a tosa.const where used as a
 * value. For Constant, ConstantOfShape, and shape computations folded at import. */
void trn_onnx_set_output_const(trn_onnx_node_t *n, size_t i, const trn_onnx_const_t *c);

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
/* A TENSOR attribute (Constant's value, ConstantOfShape's value); false when absent
 * (no error) or on error. */
bool trn_onnx_attr_tensor(trn_onnx_node_t *n, const char *name, trn_onnx_const_t *out);

/* --- types and shapes ------------------------------------------------------------ */

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

/* --- element types ---------------------------------------------------------------- */

/* Classes for trn_onnx_require (or'ed). */
#define TRN_ONNX_FLOAT 1u /* f32, f16, bf16 (and f64) */
#define TRN_ONNX_INT 2u   /* signless integers wider than 1 bit */
#define TRN_ONNX_BOOL 4u  /* i1 */
#define TRN_ONNX_NUMERIC (TRN_ONNX_FLOAT | TRN_ONNX_INT)
#define TRN_ONNX_ANY (TRN_ONNX_FLOAT | TRN_ONNX_INT | TRN_ONNX_BOOL)

/* The compute type of an ONNX element type (null if unsupported: STRING, complex). */
MlirType trn_onnx_elem_type(const trn_onnx_node_t *n, trn_elem_type_t elem);
/* The ONNX element type an MLIR type (or a shaped type's element) names. */
trn_elem_type_t trn_onnx_elem_of_type(MlirType t);
bool trn_onnx_elem_unsigned(trn_elem_type_t elem);
/* Element type tests on a type or a shaped type's element type. */
bool trn_onnx_is_float(MlirType t);
bool trn_onnx_is_int(MlirType t);
bool trn_onnx_is_bool(MlirType t);
/* "f32", "i64", "bool" of a type or a shaped type's element type, into buf. */
const char *trn_onnx_type_str(MlirType t, char *buf, size_t size);
/* Errors (UNSUPPORTED) unless v's element type is in `classes`. */
bool trn_onnx_require(trn_onnx_node_t *n, MlirValue v, const char *what, unsigned classes);
/* Errors (FORMAT) unless a and b have the same element type; `what` names them. */
bool trn_onnx_require_same_elem(trn_onnx_node_t *n, MlirValue a, MlirValue b, const char *what);

/* --- building ops ---------------------------------------------------------------- */

/* Creates `op_name` at the node's location with operands, one result of
 * `result_type` and attributes given as (name, attribute) pairs; appends it to the
 * function body and returns its result. A result type without elements (a dim of 0)
 * gives an empty tosa.const instead (its only possible value). */
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
/* A tosa.const of `shape` and element type `elem` filled with `value` (converted:
 * integers truncate, bool is value != 0). */
MlirValue trn_onnx_splat(trn_onnx_node_t *n, const trn_onnx_shape_t *shape, MlirType elem, double value);
/* A splat of v's element type and rank with every dim 1 (broadcasts against v). */
MlirValue trn_onnx_scalar_like(trn_onnx_node_t *n, MlirValue like, double value);
/* A 1-D tosa.const of i32 values. */
MlirValue trn_onnx_const_i32(trn_onnx_node_t *n, const int32_t *values, size_t count);
/* Element-wise binary TOSA op (tosa.add, tosa.sub, tosa.mul, ...) with numpy
 * broadcasting: ranks are equalized by reshapes; tosa.mul gets its shift = 0. */
MlirValue trn_onnx_binary(trn_onnx_node_t *n, const char *op_name, MlirValue a, MlirValue b);
/* Same with result element type `result_elem` (comparisons: i1) and no attributes. */
MlirValue trn_onnx_binary_to(trn_onnx_node_t *n, const char *op_name, MlirValue a, MlirValue b,
                             MlirType result_elem);
/* An op of one operand with v's type as its result (tosa.exp, math.sin, ...). */
MlirValue trn_onnx_unary(trn_onnx_node_t *n, const char *op_name, MlirValue v);
/* v broadcast (numpy, unidirectionally) to `shape`: reshape to its rank, tosa.tile. */
MlirValue trn_onnx_broadcast_to(trn_onnx_node_t *n, MlirValue v, const trn_onnx_shape_t *shape);
/* tosa.cast of v to element type `elem` (no op when equal). TOSA semantics: float to
 * int rounds to nearest; use trn_onnx_convert for ONNX's Cast semantics. */
MlirValue trn_onnx_cast(trn_onnx_node_t *n, MlirValue v, MlirType elem);
/* ONNX Cast from ONNX type `from` (v's) to `to`, result in to's compute type: float to
 * int truncates toward zero, unsigned sources zero-extend, to bool is != 0. */
MlirValue trn_onnx_convert(trn_onnx_node_t *n, MlirValue v, trn_elem_type_t from, trn_elem_type_t to);

#endif /* TRN_ONNX_IMPORT_H */
