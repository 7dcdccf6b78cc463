/* Internal to compiler/onnx/: the importer's state, shared by importer.c (file,
 * validation, function) and context.c (the node API of import.h). */
#ifndef TRN_ONNX_STATE_H
#define TRN_ONNX_STATE_H

#include "import.h"
#include "internal.h"
#include "onnx.pb-c.h"

/* The largest tensor dimension the importer accepts (element counts stay far from
 * int64 overflow). */
#define TRN_ONNX_MAX_DIM (INT64_C(1) << 32)

/* A read-only mapping of an external data file (initializers stored outside the
 * model, ONNX data_location EXTERNAL). */
typedef struct trn_onnx_extfile_t {
  char *location; /* as the model names it */
  void *map;
  size_t size;
} trn_onnx_extfile_t;

struct trn_onnx_model_t {
  void *map; /* read-only mapping of the file */
  size_t map_size;
  trn_onnx_extfile_t *ext; /* external data files mapped so far */
  size_t ext_count;
  Onnx__ModelProto *proto; /* unpacked; weights point into it */
  /* Initializers whose raw_data was left out of the unpacked copy and points into
   * the mapping instead (restored to empty before the proto is freed). */
  size_t *raw_initializers;
  size_t raw_count;
  uint8_t hash[32];
  void **buffers; /* converted or realigned weights */
  size_t buffer_count, buffer_capacity;
};

/* A named value of the graph: graph input, initializer or node output. A value is
 * `constant` when its bytes are known at compile time: an initializer (resolved on
 * demand) or the output of a node that set it with trn_onnx_set_output_const. */
typedef struct trn_onnx_value_t {
  const char *name;
  MlirValue value;                /* null until defined (or materialized) */
  const Onnx__TensorProto *init;  /* the initializer, if any */
  bool constant;                  /* data/type below are (or will be, for init) known */
  const void *data;               /* constant bytes in the compute type's layout */
  size_t size, elem_size;
  MlirType type;                  /* constant tensor type (compute type), once resolved */
  trn_elem_type_t elem;           /* ONNX element type, TRN_ELEM_UNDEFINED until known */
  int64_t producer;               /* node index, -1 for inputs and initializers */
} trn_onnx_value_t;

typedef struct trn_onnx_importer_t {
  MlirContext ctx;
  const trn_compile_options_t *opts;
  const char *path;
  trn_onnx_model_t *model;
  MlirBlock body;
  MlirLocation file_loc;
  trn_onnx_value_t *values;
  size_t value_count;
  uint32_t *table; /* open addressing: value index + 1, 0 = empty */
  size_t table_size;
  char **resource_names; /* names given to dense resources so far (unique) */
  size_t resource_count;
} trn_onnx_importer_t;

struct trn_onnx_node_t {
  trn_onnx_importer_t *imp;
  const Onnx__NodeProto *proto;
  size_t index;
  char name[256];
  int64_t opset;
  MlirLocation loc;
  trn_status_t error;
};

/* The value named `name`, or NULL. */
trn_onnx_value_t *trn_onnx_value_find(trn_onnx_importer_t *imp, const char *name);
/* Resolves an initializer's bytes and type (converting non-raw storage once). */
trn_status_t trn_onnx_value_resolve(trn_onnx_importer_t *imp, trn_onnx_value_t *v);
/* Materializes an initializer as a tosa.const at the end of the body. */
trn_status_t trn_onnx_value_materialize(trn_onnx_importer_t *imp, trn_onnx_value_t *v);
/* The graph-level (compute) element type of an ONNX data type and the byte size of
 * one element in that type; false if unsupported. The type rule (compiler/README.md):
 * integers are signless (UINT8 -> i8; signedness is tracked beside the value), BOOL is
 * i1 (one byte per element in memory), DOUBLE is computed in f32 (f64 only at the
 * function boundary), every other type is itself. */
bool trn_onnx_dtype(MlirContext ctx, int32_t onnx_type, MlirType *out_type, size_t *out_size);
/* The boundary (function argument/result) element type of an ONNX data type: the
 * compute type, except f64 for DOUBLE. Null if unsupported. */
MlirType trn_onnx_boundary_type(MlirContext ctx, int32_t onnx_type);
const char *trn_onnx_dtype_name(int32_t onnx_type);
/* Resolves a TensorProto (an initializer or a TENSOR attribute) into the bytes of its
 * compute type: `what` names it in messages ("initializer 'w'"). External data is
 * mapped from a file beside the model. */
trn_status_t trn_onnx_tensor_resolve(trn_onnx_importer_t *imp, const Onnx__TensorProto *t,
                                     const char *what, const void **out_data, size_t *out_size,
                                     size_t *out_elem_size, MlirType *out_type);
/* A buffer the model owns (freed with the model), 64-byte aligned; NULL when out of
 * memory. */
void *trn_onnx_model_alloc(trn_onnx_model_t *m, size_t size);

#endif /* TRN_ONNX_STATE_H */
