/* trn-run's bridge to the CPU reference backend of libtrn_compiler.so.
 *
 * The runtime library stays free of MLIR and LLVM: trn-run loads the compiler library
 * with dlopen only when a mode needs it (--reference, --check, an ONNX .pb input) and
 * resolves the few functions it calls with dlsym. The library is looked up beside the
 * executable first (<dir of /proc/self/exe>/../lib/libtrn_compiler.so), then on the
 * default search path. Types come from trn/compiler.h (a header-only dependency). */
#ifndef TRN_RUN_REFERENCE_BRIDGE_H
#define TRN_RUN_REFERENCE_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trn/compiler.h"

typedef struct trn_ref_bridge_t trn_ref_bridge_t;

/* One argument of the imported model's @main. dims[k] < 0 is a dynamic dim. */
typedef struct trn_ref_arg_t {
  char *name;            /* trn.name of the argument, else "input_<i>" */
  trn_elem_type_t type;  /* TRN_ELEM_UNDEFINED when the type has no host form */
  uint32_t rank;
  int64_t dims[TRN_MAX_RANK];
} trn_ref_arg_t;

/* Loads libtrn_compiler.so and resolves its functions. TRN_ERR_UNSUPPORTED names every
 * place tried when the library or one of its functions is missing. */
trn_status_t trn_ref_bridge_open(trn_ref_bridge_t **out_bridge);
/* Destroys the compiler and module it holds (NULL is allowed). */
void trn_ref_bridge_close(trn_ref_bridge_t *bridge);

/* Imports an ONNX model (creating the compiler on first use) and reads the signature
 * of its @main. Errors are the importer's (TRN_ERR_IO, TRN_ERR_FORMAT,
 * TRN_ERR_UNSUPPORTED) or TRN_ERR_INVALID_ARGUMENT (no @main, rank above
 * TRN_MAX_RANK, an argument that is not a ranked tensor). */
trn_status_t trn_ref_bridge_import(trn_ref_bridge_t *bridge, const char *onnx_path);
size_t trn_ref_bridge_arg_count(const trn_ref_bridge_t *bridge);
const trn_ref_arg_t *trn_ref_bridge_arg(const trn_ref_bridge_t *bridge, size_t index);

/* Runs the imported model (trn_reference_run). */
trn_status_t trn_ref_bridge_run(trn_ref_bridge_t *bridge, const trn_host_tensor_t *inputs,
                                size_t n_inputs, trn_host_tensor_t **out_outputs,
                                size_t *out_count);

/* The library's host tensor helpers (see trn/compiler.h). */
trn_status_t trn_ref_bridge_tensor_pb_read(trn_ref_bridge_t *bridge, const char *path,
                                           trn_host_tensor_t *out);
trn_status_t trn_ref_bridge_tensor_init(trn_ref_bridge_t *bridge, trn_host_tensor_t *out,
                                        const char *name, trn_elem_type_t type, uint32_t rank,
                                        const int64_t *dims);
trn_status_t trn_ref_bridge_tensor_convert(trn_ref_bridge_t *bridge,
                                           const trn_host_tensor_t *src, trn_elem_type_t type,
                                           trn_host_tensor_t *out);
void trn_ref_bridge_tensor_release(trn_ref_bridge_t *bridge, trn_host_tensor_t *tensor);
void trn_ref_bridge_tensors_free(trn_ref_bridge_t *bridge, trn_host_tensor_t *tensors,
                                 size_t count);
const char *trn_ref_bridge_elem_name(trn_ref_bridge_t *bridge, trn_elem_type_t type);

#endif /* TRN_RUN_REFERENCE_BRIDGE_H */
