/* Internal to runtime-abi/: the loaded model as the loader builds it and the
 * interpreter executes it. Not installed, not included outside this layer. */
#ifndef TRN_RT_INTERNAL_H
#define TRN_RT_INTERNAL_H

#include "trn/runtime.h"

/* One constant blob of the initial HBM image. */
typedef struct trn_rt_constant_t {
  uint64_t hbm_offset;
  uint64_t size;
  const uint8_t *data; /* points into the model's file bytes (aligned for mmap) */
} trn_rt_constant_t;

/* A part of a run memory: partitions [p_lo, p_hi) x bytes [lo, hi) of each (SBUF,
 * PSUM; the HBM image is one partition); empty when lo >= hi. */
typedef struct trn_rt_extent_t {
  uint64_t p_lo, p_hi, lo, hi;
} trn_rt_extent_t;

struct trn_rt_model_t {
  uint8_t *file;              /* owned copy of the whole .neff (trn_rt_mem_alloc) */
  size_t file_size;
  uint32_t version_major, version_minor;
  const trn_target_t *target;
  char *compiler_version;     /* owned, NUL-terminated */
  uint8_t source_hash[32];
  uint64_t hbm_size;          /* bytes of HBM the program addresses */
  trn_inst_t *streams[TRN_MAX_STREAMS]; /* owned, decoded and checked */
  size_t stream_length[TRN_MAX_STREAMS];
  trn_dma_desc_t *dma;        /* owned, decoded and checked */
  size_t dma_count;
  trn_rt_constant_t *constants; /* owned array */
  size_t constant_count;
  trn_rt_tensor_info_t *inputs, *outputs; /* owned arrays; names owned */
  size_t input_count, output_count;
  char **layer_names;          /* owned; LAYERS section, else none */
  size_t layer_count;
  uint32_t *inst_layer[TRN_MAX_STREAMS]; /* owned; layer of each instruction, or NULL */
  /* What a run can write of the HBM image, SBUF and PSUM (extents.c), known from the
   * first run on: later runs clear only that of the last run's memories. */
  trn_rt_extent_t run_written[3];
  bool run_written_known;
  /* The memories of the last run (HBM image, SBUF, PSUM), kept so that the next run
   * clears them instead of faulting in fresh pages; owned, NULL before the first run. */
  uint8_t *run_hbm, *run_sbuf, *run_psum;
  /* Set up by the first run (model.c): the constants' HBM ranges as {offset, size}
   * pairs in address order (owned), and whether no DMA descriptor writes into one,
   * so that the constants of the last run's HBM image are still in place. */
  uint64_t *run_spans;
  size_t run_span_count;
  bool run_consts_kept;
  bool run_consts_in_place; /* run_hbm holds the constants (copied by a run) */
  /* The host threads of the interpreter (pool.h), made by the first run and kept
   * for the later ones; owned, NULL before the first run. */
  struct trn_pool_t *run_pool;
};

/* The bounding box of every byte a run of `model` can write in each run memory
 * (HBM image, SBUF, PSUM), over-approximated; and the clearing of one such box of a
 * memory whose partitions are row_bytes long. Defined in extents.c. */
void trn_rt_model_write_extents(const trn_rt_model_t *model, trn_rt_extent_t out[3]);
/* Widens out[] (HBM image, SBUF, PSUM) to what instruction `in` of `model` can write. */
void trn_rt_inst_write_extents(const trn_rt_model_t *model, const trn_inst_t *in,
                               trn_rt_extent_t out[3]);
/* Widens out[] to what descriptor `d` of `model` can write. */
void trn_rt_desc_write_extents(const trn_rt_model_t *model, const trn_dma_desc_t *d,
                               trn_rt_extent_t out[3]);
/* The bounding box of one side of descriptor `d` (its destination if `dst`) within
 * its run memory, the whole memory when the footprint leaves it; false (and an empty
 * box) when the side moves no elements or is in no run memory. */
bool trn_rt_desc_side_extent(const trn_rt_model_t *model, const trn_dma_desc_t *d, bool dst,
                             trn_rt_extent_t *out);
/* The bounding box of the elements of on-chip AP `ap` (in *out) and its memory in
 * *out_m (1 SBUF, 2 PSUM): the whole memory when the footprint is malformed or leaves
 * it. False (and an empty box) when the AP has no elements or is in neither memory. */
bool trn_rt_ap_extent(const trn_rt_model_t *model, const trn_ap_t *ap, int *out_m,
                      trn_rt_extent_t *out);
/* The boxes of the on-chip operands instruction `in` (not a DMA) reads: the sources
 * its format reads (as race.c counts them; a MATMUL with TRN_FLAG_ACC and an ACTIVATE
 * with TRN_FLAG_ACCUM read their dst too, which this leaves to the caller). Returns
 * how many, box[i] lying in memory m[i] (1 SBUF, 2 PSUM). */
size_t trn_rt_inst_read_extents(const trn_rt_model_t *model, const trn_inst_t *in, int m[2],
                                trn_rt_extent_t box[2]);
void trn_rt_extent_clear(const trn_rt_extent_t *e, uint8_t *mem, uint64_t row_bytes);
/* Widens `into` to the bounding box of itself and `e` (an empty one adds nothing). */
void trn_rt_extent_union(trn_rt_extent_t *into, const trn_rt_extent_t *e);
/* Whether boxes `a` and `b` (of one memory) share a byte; an empty box meets nothing. */
bool trn_rt_extent_meets(const trn_rt_extent_t *a, const trn_rt_extent_t *b);
/* Zero-filled memory for the interpreter's memories (anonymous pages, huge pages
 * asked for when large), and its release with the same size; model.c. */
uint8_t *trn_rt_mem_alloc(size_t size);
void trn_rt_mem_free(uint8_t *p, size_t size);
/* Releases the memories the last run kept (run_hbm, run_sbuf, run_psum) and its
 * thread pool (run_pool). */
void trn_rt_model_free_run_memories(trn_rt_model_t *model);

/* The interpreter: runs `model` with HBM image `hbm` (model->hbm_size bytes, already
 * holding constants and inputs) and zeroed on-chip memories `sbuf` and `psum` (sized
 * by the target; both NULL: allocated for this run). Only the HBM image is the
 * result: SBUF need not hold at the end what the program left there (deferred loads,
 * lazy.c; strict mode executes every copy). Defined in interp.c. */
trn_status_t trn_rt_interpret(const trn_rt_model_t *model, uint8_t *hbm, uint8_t *sbuf,
                              uint8_t *psum, const trn_rt_run_options_t *options,
                              trn_rt_profile_t *out_profile);
/* Output files (.neff, .npy, timelines) are written through a temporary file in the
 * same folder and a rename, so that a failure never leaves a partial file at the
 * path. An existing non-regular file (/dev/null, a FIFO, a terminal) is written in
 * place instead: renaming over it would replace a device node when run as root. A
 * directory is an error. Defined in outfile.c. */
typedef struct trn_rt_outfile_t {
  FILE *file;       /* write here */
  char *tmp;        /* temporary path; NULL when written in place */
  const char *path;
} trn_rt_outfile_t;
trn_status_t trn_rt_outfile_open(const char *path, trn_rt_outfile_t *out);
/* Finishes the file: renames it into place when `ok` and every write succeeded (else
 * removes the temporary file); an error of the file itself is reported only when
 * `ok` (the caller's own error comes first). */
trn_status_t trn_rt_outfile_close(trn_rt_outfile_t *out, bool ok);

#endif /* TRN_RT_INTERNAL_H */
