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

struct trn_onnx_model_t {
  void *map; /* read-only mapping of the file */
  size_t map_size;
  Onnx__ModelProto *proto; /* unpacked; weights point into it */
  uint8_t hash[32];
  void **buffers; /* converted or realigned weights */
  size_t buffer_count, buffer_capacity;
};

/* A named value of the graph: graph input, initializer or node output. */
typedef struct trn_onnx_value_t {
  const char *name;
  MlirValue value;                /* null until defined (or materialized) */
  const Onnx__TensorProto *init;  /* the initializer, if any */
  const void *data;               /* initializer bytes, once resolved */
  size_t size, elem_size;
  MlirType type;                  /* initializer tensor type, once resolved */
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
/* MLIR element type and byte size of an ONNX data type; false if unsupported. */
bool trn_onnx_dtype(MlirContext ctx, int32_t onnx_type, MlirType *out_type, size_t *out_size);
const char *trn_onnx_dtype_name(int32_t onnx_type);

#endif /* TRN_ONNX_STATE_H */
