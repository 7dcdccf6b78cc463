/* Internal to runtime-abi: a reader of NumPy .npz archives (numpy.savez and
 * numpy.savez_compressed), used by trn-run.
 *
 * An .npz is a ZIP file whose members are .npy images; a member "x.npy" is the array
 * named "x". Members may be STORED or, when the runtime was built with zlib,
 * DEFLATE-compressed; ZIP64 records (numpy always writes them) are understood.
 * Encrypted, multi-disk and other compression methods are refused. */
#ifndef TRN_RT_NPZ_H
#define TRN_RT_NPZ_H

#include <stdbool.h>

#include "npy.h"

typedef struct trn_npz_member_t {
  char *name;       /* owned; the member's file name without ".npy" */
  trn_npy_t array;
} trn_npz_member_t;

typedef struct trn_npz_t {
  size_t count;
  trn_npz_member_t *members; /* owned, archive order */
} trn_npz_t;

/* Parses a whole .npz image; `name` (a file name) prefixes every error message.
 * Errors: TRN_ERR_FORMAT (not a ZIP, corrupt, a member not a valid .npy, a duplicate
 * name), TRN_ERR_UNSUPPORTED (encryption, a compression method other than stored or
 * deflate, deflate without zlib), TRN_ERR_OUT_OF_MEMORY. On failure *out is zeroed. */
trn_status_t trn_npz_parse(const void *buf, size_t size, const char *name, trn_npz_t *out);
/* Reads and parses a file (TRN_ERR_IO if it cannot be read). */
trn_status_t trn_npz_read_file(const char *path, trn_npz_t *out);
void trn_npz_free(trn_npz_t *npz);

/* The member called `name`, or NULL. */
const trn_npz_member_t *trn_npz_find(const trn_npz_t *npz, const char *name);

/* True when the runtime can read DEFLATE-compressed members (built with zlib). */
bool trn_npz_has_deflate(void);

#endif /* TRN_RT_NPZ_H */
