/* trn runtime ABI: the stable C API to load, inspect, run and profile a .neff.
 *
 * This is the only public header of runtime-abi/. It depends on libc and trn/isa.h
 * only (no MLIR, no LLVM), so that an application can embed the runtime. The .neff
 * container format is documented in runtime-abi/NEFF.md.
 *
 * Conventions:
 * - Every fallible function returns a trn_status_t: NULL means success; otherwise
 *   the caller owns the status and frees it with trn_status_free. Its message names
 *   the file, section, byte offset, instruction index or engine at fault.
 * - Outputs go through out_ parameters, set to NULL/0 first; half-built objects are
 *   released on failure.
 * - Objects are opaque; each _create/_load has a _destroy.
 * - Thread-safety: distinct objects may be used from distinct threads; one object
 *   is not safe to use from two threads at once.
 */
#ifndef TRN_RUNTIME_H
#define TRN_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trn/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------
 * Status
 * ------------------------------------------------------------------------------- */

/* Status codes (stable: append only). */
typedef enum trn_status_code_t {
  TRN_OK = 0,
  TRN_ERR_INVALID_ARGUMENT = 1, /* a caller's argument is wrong (shape, size, NULL) */
  TRN_ERR_IO = 2,               /* a file cannot be read or written */
  TRN_ERR_FORMAT = 3,           /* a .neff (or .npy) is malformed or corrupt */
  TRN_ERR_VERSION = 4,          /* a .neff of an unsupported major version */
  TRN_ERR_OUT_OF_MEMORY = 5,
  TRN_ERR_EXEC = 6,             /* an instruction trapped (address out of range, ...) */
  TRN_ERR_DEADLOCK = 7,         /* every stream waits on a semaphore no one signals */
  TRN_ERR_RACE = 8,             /* strict mode found an unordered SBUF/PSUM access */
  TRN_ERR_UNSUPPORTED = 9,      /* a feature this runtime does not implement */
  TRN_ERR_INTERNAL = 10,
} trn_status_code_t;

typedef struct trn_status_s *trn_status_t;

/* Makes a status with a printf-style message. Never returns NULL for code != TRN_OK
 * (an allocation failure yields a static out-of-memory status). */
trn_status_t trn_status_make(trn_status_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
trn_status_code_t trn_status_code(trn_status_t status); /* TRN_OK for NULL */
const char *trn_status_message(trn_status_t status);    /* "ok" for NULL */
const char *trn_status_code_name(trn_status_code_t code);
void trn_status_free(trn_status_t status);

/* Propagates a failed status to the caller. */
#define TRN_RETURN_IF_ERROR(expr)          \
  do {                                     \
    trn_status_t trn_status_tmp_ = (expr); \
    if (trn_status_tmp_) return trn_status_tmp_; \
  } while (0)

/* ---------------------------------------------------------------------------------
 * Tensor signatures
 * ------------------------------------------------------------------------------- */

#define TRN_MAX_RANK 8

typedef struct trn_rt_tensor_info_t {
  const char *name;           /* graph input/output name */
  trn_dtype_t dtype;
  uint32_t rank;
  int64_t dims[TRN_MAX_RANK];
  uint64_t hbm_offset;        /* where the tensor lives in the HBM image */
  uint64_t bytes;             /* product(dims) * dtype size */
} trn_rt_tensor_info_t;

/* ---------------------------------------------------------------------------------
 * Writing a .neff (used by the compiler)
 * ------------------------------------------------------------------------------- */

typedef struct trn_rt_writer_t trn_rt_writer_t;

/* Creates an empty writer for `target`. */
trn_status_t trn_rt_writer_create(const trn_target_t *target, trn_rt_writer_t **out_writer);
void trn_rt_writer_destroy(trn_rt_writer_t *writer);

/* Metadata: compiler version string and the SHA-256 (or any 32-byte hash) of the
 * source model. */
void trn_rt_writer_set_metadata(trn_rt_writer_t *writer, const char *compiler_version,
                                  const uint8_t model_hash[32]);
/* Total HBM the program addresses (inputs, outputs, constants, scratch). */
void trn_rt_writer_set_hbm_size(trn_rt_writer_t *writer, uint64_t bytes);
/* Appends instructions to a stream (0..TRN_MAX_STREAMS-1; see trn_engine_t). */
trn_status_t trn_rt_writer_append(trn_rt_writer_t *writer, uint32_t stream,
                                    const trn_inst_t *insts, size_t count);
/* Appends DMA descriptors; *out_first is the index of the first one. */
trn_status_t trn_rt_writer_append_dma(trn_rt_writer_t *writer, const trn_dma_desc_t *descs,
                                        size_t count, uint32_t *out_first);
/* Places `size` bytes of constant data at `hbm_offset` in the initial HBM image.
 * The bytes are copied. */
trn_status_t trn_rt_writer_add_constant(trn_rt_writer_t *writer, uint64_t hbm_offset,
                                          const void *data, size_t size);
/* Attributes the instructions appended from now on (to any stream) to the layer
 * `name`, e.g. the source-model operation they were compiled from; NULL: to none.
 * Layers give per-layer profiles (trn_rt_run_options_t.layers). The names are copied;
 * a file with layers has an optional LAYERS section (format 1.1, NEFF.md). */
trn_status_t trn_rt_writer_set_layer(trn_rt_writer_t *writer, const char *name);
/* Declares a graph input or output (order of calls = signature order). The name
 * and dims are copied. */
trn_status_t trn_rt_writer_add_input(trn_rt_writer_t *writer, const trn_rt_tensor_info_t *info);
trn_status_t trn_rt_writer_add_output(trn_rt_writer_t *writer, const trn_rt_tensor_info_t *info);
/* Serializes to `path` through a temporary file in the same folder and a rename, so
 * that a failure never leaves a partial file at `path`. */
trn_status_t trn_rt_writer_write_file(trn_rt_writer_t *writer, const char *path);
/* Serializes to a malloc'ed buffer the caller frees. */
trn_status_t trn_rt_writer_write_memory(trn_rt_writer_t *writer, void **out_data,
                                          size_t *out_size);

/* ---------------------------------------------------------------------------------
 * Loading and inspecting a .neff
 * ------------------------------------------------------------------------------- */

typedef struct trn_rt_model_t trn_rt_model_t;

/* Loads and fully validates a .neff (checksum, version, every offset, size, count,
 * instruction and descriptor) before anything can run. */
trn_status_t trn_rt_model_load_file(const char *path, trn_rt_model_t **out_model);
/* Same from memory; the bytes are copied. */
trn_status_t trn_rt_model_load_memory(const void *data, size_t size, trn_rt_model_t **out_model);
void trn_rt_model_destroy(trn_rt_model_t *model);

size_t trn_rt_model_input_count(const trn_rt_model_t *model);
size_t trn_rt_model_output_count(const trn_rt_model_t *model);
const trn_rt_tensor_info_t *trn_rt_model_input(const trn_rt_model_t *model, size_t index);
const trn_rt_tensor_info_t *trn_rt_model_output(const trn_rt_model_t *model, size_t index);
const trn_target_t *trn_rt_model_target(const trn_rt_model_t *model);
const char *trn_rt_model_compiler_version(const trn_rt_model_t *model);
const uint8_t *trn_rt_model_source_hash(const trn_rt_model_t *model); /* 32 bytes */
uint32_t trn_rt_model_version_major(const trn_rt_model_t *model);
uint32_t trn_rt_model_version_minor(const trn_rt_model_t *model);
/* Instructions of one stream, decoded; count 0 for an unused stream. */
size_t trn_rt_model_stream_length(const trn_rt_model_t *model, uint32_t stream);
const trn_inst_t *trn_rt_model_stream(const trn_rt_model_t *model, uint32_t stream);
size_t trn_rt_model_dma_count(const trn_rt_model_t *model);
const trn_dma_desc_t *trn_rt_model_dma(const trn_rt_model_t *model);
/* Writes the whole program as text assembly (header comments with the signature and
 * metadata, then each stream and the descriptor table) in the form trn-as reads. */
trn_status_t trn_rt_model_print_asm(const trn_rt_model_t *model, FILE *out);

/* Layers: the source-model operations (ONNX nodes) the compiler attributed the
 * instructions to (none in a file without a LAYERS section). */
#define TRN_RT_NO_LAYER UINT32_MAX
size_t trn_rt_model_layer_count(const trn_rt_model_t *model);
const char *trn_rt_model_layer_name(const trn_rt_model_t *model, size_t layer);
/* The layer of instruction `index` of `stream`, or TRN_RT_NO_LAYER. */
uint32_t trn_rt_model_inst_layer(const trn_rt_model_t *model, uint32_t stream, size_t index);

/* Bytes of HBM the program addresses (the size of the image trn_rt_model_run builds). */
uint64_t trn_rt_model_hbm_size(const trn_rt_model_t *model);
/* Constant blobs of the initial HBM image: count, then blob `index` (false if out of
 * range). *out_data points into the model (valid until it is destroyed). */
size_t trn_rt_model_constant_count(const trn_rt_model_t *model);
bool trn_rt_model_constant(const trn_rt_model_t *model, size_t index, uint64_t *out_hbm_offset,
                           uint64_t *out_size, const uint8_t **out_data);

/* The container itself, for inspection tools (trn-objdump --headers). */
typedef struct trn_rt_section_info_t {
  uint32_t kind;         /* NEFF.md section kind number */
  const char *kind_name; /* "metadata", "io", "stream", "dma", "constants", "unknown" */
  uint32_t flags;        /* bit 0: optional */
  uint64_t offset, size; /* in the file */
  uint64_t aux;          /* stream id, element count or 0, per kind */
} trn_rt_section_info_t;
uint64_t trn_rt_model_file_size(const trn_rt_model_t *model);
uint32_t trn_rt_model_checksum(const trn_rt_model_t *model); /* CRC-32, see NEFF.md */
size_t trn_rt_model_section_count(const trn_rt_model_t *model);
bool trn_rt_model_section(const trn_rt_model_t *model, size_t index,
                          trn_rt_section_info_t *out_info);

/* Options of trn_rt_model_print_asm_ex. */
typedef struct trn_rt_asm_options_t {
  bool constant_data; /* print constant blobs as `.const OFF hex ...` lines (exact round
                         trip) instead of one comment per blob */
} trn_rt_asm_options_t;
/* trn_rt_model_print_asm with options (NULL = defaults). */
trn_status_t trn_rt_model_print_asm_ex(const trn_rt_model_t *model, FILE *out,
                                       const trn_rt_asm_options_t *options);

/* ---------------------------------------------------------------------------------
 * Assembling a text listing (trn-as)
 * ------------------------------------------------------------------------------- */

/* Assembles the text listing `text` (`size` bytes; syntax in NEFF.md, the form
 * trn_rt_model_print_asm writes) into a new writer the caller destroys. `source_name`
 * prefixes messages ("prog.s:12:5: ..."); `base_dir` resolves `.const ... file "x"`
 * paths (NULL = current directory); `target` is used unless the listing has a
 * `.target` directive (NULL = trn1; a different `.target` is an error when
 * `target_forced`). */
trn_status_t trn_rt_assemble(const char *text, size_t size, const char *source_name,
                             const char *base_dir, const trn_target_t *target,
                             bool target_forced, trn_rt_writer_t **out_writer);

/* ---------------------------------------------------------------------------------
 * Running
 * ------------------------------------------------------------------------------- */

/* What one layer's instructions did in a run (times in seconds of simulated time). */
typedef struct trn_rt_layer_profile_t {
  uint64_t instructions;
  double busy_seconds[TRN_MAX_STREAMS]; /* per stream (engine or DMA queue) */
  double first_start, last_end;         /* span of its compute-engine (PE, ACT, DVE, POOL)
                                           instructions; 0, 0 if none ran */
  double dma_first_start, dma_last_end; /* span of its DMAs (often prefetched early) */
  uint64_t macs;                        /* useful multiply-accumulates (MATMUL) */
  uint64_t dma_bytes;                   /* bytes its DMAs moved */
  uint64_t dma_hbm_bytes;               /* of which read from or written to HBM */
} trn_rt_layer_profile_t;

typedef struct trn_rt_run_options_t {
  bool strict;             /* report SBUF/PSUM races between engines as TRN_ERR_RACE */
  const char *trace_path;  /* if set, write a Chrome-trace/Perfetto JSON timeline */
  const char *html_path;   /* if set, write a self-contained HTML timeline */
  /* Limits that bound the work one run of an untrusted .neff may take (a fuzzer, a
   * service). A valid program may legally ask for a lot: a DMA descriptor with zero
   * steps and large counts moves up to 2^128 elements. 0 = no limit. Reaching a limit
   * stops the run before the instruction that would pass it, with TRN_ERR_EXEC naming
   * that instruction. */
  uint64_t max_instructions; /* instructions executed */
  uint64_t max_elements;     /* elements processed, summed over instructions: a DMA
                                counts the elements of its descriptors, any other
                                instruction those of its largest operand (all
                                partitions) */
  /* If set: trn_rt_model_layer_count() entries, filled with each layer's profile. */
  trn_rt_layer_profile_t *layers;
} trn_rt_run_options_t;

typedef struct trn_rt_profile_t {
  uint64_t total_cycles;            /* at the PE clock */
  double total_seconds;
  uint64_t instructions;
  double engine_busy[TRN_MAX_STREAMS]; /* fraction 0..1 of total time, per stream */
  double pe_utilization;            /* useful MACs / (peak MACs over the run) */
  uint64_t dma_bytes;
  uint64_t macs;
} trn_rt_profile_t;

/* Runs the model once. inputs[i] holds trn_rt_model_input(i)->bytes bytes; outputs[i]
 * receives trn_rt_model_output(i)->bytes bytes. `options` and `out_profile` may be
 * NULL. Sizes are checked; a trap names the stream, instruction index and reason.
 *
 * Threads: the first run makes the model's pool of host threads (the environment
 * variable TRN_INTERP_THREADS, else the online CPUs, at most 16; 1 = the calling
 * thread only), kept until trn_rt_model_destroy. Large instructions are split over it;
 * the outputs are the same bytes for any thread count. During a run OpenBLAS is set to
 * one thread (a process-wide setting; the previous count is restored at the end). One
 * model runs on one thread at a time. */
trn_status_t trn_rt_model_run(trn_rt_model_t *model, const trn_rt_run_options_t *options,
                           const void *const *inputs, void *const *outputs,
                           trn_rt_profile_t *out_profile);

#ifdef __cplusplus
}
#endif
#endif /* TRN_RUNTIME_H */
