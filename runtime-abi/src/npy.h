/* Internal to runtime-abi: a small reader and writer of NumPy .npy files (format
 * versions 1.0, 2.0 and 3.0), used by trn-run and the tests.
 *
 * Read: descr '<f2' '<f4' '<f8' '|i1' '<i2' '<i4' '<i8' '|u1' '<u2' '<u4' '<u8' '|b1'
 * (and '>' big-endian or '=' native variants), C or Fortran order (Fortran arrays are
 * reordered to C order on load), rank <= TRN_MAX_RANK.
 * Write: C order, version 1.0 (2.0 when the header needs it); fp32 '<f4', fp16 '<f2',
 * i32 '<i4', i8 '|i1', u8 '|u1', and bf16 as '<f4' (NumPy has no bfloat16). */
#ifndef TRN_RT_NPY_H
#define TRN_RT_NPY_H

#include "trn/runtime.h"

typedef struct trn_npy_t {
  char descr[8];      /* normalized: '<' or '|' + kind + size, e.g. "<f4" */
  char kind;          /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
  uint32_t itemsize;
  uint32_t rank;
  int64_t dims[TRN_MAX_RANK];
  uint64_t count;     /* product of dims */
  uint8_t *data;      /* owned, C order, little-endian */
} trn_npy_t;

/* Parses a whole .npy image; `name` (a file name) prefixes every error message.
 * On failure *out is zeroed. */
trn_status_t trn_npy_parse(const void *buf, size_t size, const char *name, trn_npy_t *out);
/* Reads and parses a file (TRN_ERR_IO if it cannot be read, TRN_ERR_FORMAT if it is
 * not a valid .npy). */
trn_status_t trn_npy_read_file(const char *path, trn_npy_t *out);
/* Reads a whole file into a malloc'ed buffer the caller frees (shared with npz.c). */
trn_status_t trn_npy_read_all(const char *path, uint8_t **out_data, size_t *out_size);
void trn_npy_free(trn_npy_t *array);

/* Element i (C order) as a double. */
double trn_npy_get(const trn_npy_t *array, uint64_t i);

/* Writes "(2, 3)" style text of a shape into buf. */
const char *trn_npy_shape_str(uint32_t rank, const int64_t *dims, char *buf, size_t size);

/* Converts the array to `count` elements of `dtype` at out. Floats convert to float
 * dtypes with round-to-nearest-even; integers and booleans convert to any dtype
 * (saturating into int8/uint8); float data into an integer dtype, and an integer
 * outside int32 into int32 (an int64 model input runs as int32), are refused
 * (TRN_ERR_INVALID_ARGUMENT naming `what` and the element). */
trn_status_t trn_npy_to_dtype(const trn_npy_t *array, trn_dtype_t dtype, void *out,
                              const char *what);

/* Element i of a tensor of `dtype` as a double. */
double trn_npy_tensor_get(trn_dtype_t dtype, const void *data, uint64_t i);

/* Serializes a tensor of dtype (C order) as .npy into a malloc'ed buffer. */
trn_status_t trn_npy_write_memory(trn_dtype_t dtype, uint32_t rank, const int64_t *dims,
                                  const void *data, void **out_data, size_t *out_size);
/* Same to a file, through a temporary file in the same folder and a rename. */
trn_status_t trn_npy_write_file(const char *path, trn_dtype_t dtype, uint32_t rank,
                                const int64_t *dims, const void *data);

#endif /* TRN_RT_NPY_H */
