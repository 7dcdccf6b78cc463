/* Internal to runtime-abi/: byte layout of the .neff container (NEFF.md is the
 * reference; every offset below appears there). All integers are little-endian.
 * Shared by writer.c, loader.c and model.c. */
#ifndef TRN_RT_NEFF_FORMAT_H
#define TRN_RT_NEFF_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "internal.h"

/* ---- version ------------------------------------------------------------------
 * Compatibility rule (NEFF.md): a reader accepts every file of its own major version,
 * whatever the minor. Minor versions only add section kinds flagged OPTIONAL (older
 * readers skip them) or grow the header (header_size; older readers ignore the tail).
 * Anything an older reader must not ignore bumps the major, and readers refuse other
 * majors with TRN_ERR_VERSION. */
#define TRN_NEFF_VERSION_MAJOR 1u
#define TRN_NEFF_VERSION_MINOR 1u

/* ---- header (64 bytes at offset 0) --------------------------------------------- */
#define TRN_NEFF_MAGIC "TRNNEFF\0"
#define TRN_NEFF_MAGIC_SIZE 8
#define TRN_NEFF_HDR_MAGIC 0          /* u8[8] "TRNNEFF\0" */
#define TRN_NEFF_HDR_MAJOR 8          /* u32 */
#define TRN_NEFF_HDR_MINOR 12         /* u32 */
#define TRN_NEFF_HDR_FILE_SIZE 16     /* u64: total bytes of the file */
#define TRN_NEFF_HDR_HEADER_SIZE 24   /* u32: >= 64; bytes past 64 are ignored */
#define TRN_NEFF_HDR_SECTION_COUNT 28 /* u32 */
#define TRN_NEFF_HDR_TABLE_OFFSET 32  /* u64: section table, 8-aligned */
#define TRN_NEFF_HDR_CHECKSUM 40      /* u32: CRC-32 of the file without these 4 bytes */
#define TRN_NEFF_HDR_FLAGS 44         /* u32: 0 in version 1 */
#define TRN_NEFF_HDR_RESERVED 48      /* u8[16]: 0 */
#define TRN_NEFF_HEADER_SIZE 64

/* ---- section table entry (32 bytes) ---------------------------------------------- */
#define TRN_NEFF_SEC_KIND 0    /* u32: trn_neff_section_kind_t */
#define TRN_NEFF_SEC_FLAGS 4   /* u32: TRN_NEFF_SECTION_* */
#define TRN_NEFF_SEC_OFFSET 8  /* u64: from the start of the file, 8-aligned */
#define TRN_NEFF_SEC_SIZE 16   /* u64 */
#define TRN_NEFF_SEC_AUX 24    /* u64: per kind (stream id, element count) or 0 */
#define TRN_NEFF_SECTION_ENTRY_SIZE 32

#define TRN_NEFF_SECTION_OPTIONAL 0x1u /* a reader that does not know the kind skips it */
#define TRN_NEFF_SECTION_FLAGS_KNOWN 0x1u

/* Section kinds: stable, append only. */
typedef enum trn_neff_section_kind_t {
  TRN_NEFF_KIND_METADATA = 1,  /* exactly one */
  TRN_NEFF_KIND_IO = 2,        /* exactly one */
  TRN_NEFF_KIND_STREAM = 3,    /* one per non-empty stream; aux = stream id */
  TRN_NEFF_KIND_DMA = 4,       /* at most one; aux = descriptor count */
  TRN_NEFF_KIND_CONSTANTS = 5, /* at most one; aux = blob count */
  TRN_NEFF_KIND_LAYERS = 6,    /* at most one, OPTIONAL (1.1); aux = layer count */
} trn_neff_section_kind_t;

/* Alignment of every section in the file, and of every constant blob. */
#define TRN_NEFF_SECTION_ALIGN 64u
#define TRN_NEFF_CONST_ALIGN 64u

/* ---- METADATA section ---------------------------------------------------------- */
#define TRN_NEFF_META_HBM_SIZE 0        /* u64 */
#define TRN_NEFF_META_HASH 8            /* u8[32] */
#define TRN_NEFF_META_TARGET 40         /* u32: offset of the target name (NUL-terminated) */
#define TRN_NEFF_META_COMPILER 44       /* u32: offset of the compiler version string */
#define TRN_NEFF_META_FIXED_SIZE 48     /* strings follow */

/* ---- IO section ------------------------------------------------------------------ */
#define TRN_NEFF_IO_INPUT_COUNT 0       /* u32 */
#define TRN_NEFF_IO_OUTPUT_COUNT 4      /* u32 */
#define TRN_NEFF_IO_FIXED_SIZE 8        /* entries follow (inputs, then outputs), then strings */
#define TRN_NEFF_IO_NAME 0              /* u32: offset of the name within the section */
#define TRN_NEFF_IO_DTYPE 4             /* u32 */
#define TRN_NEFF_IO_RANK 8              /* u32 */
#define TRN_NEFF_IO_RESERVED 12         /* u32: 0 */
#define TRN_NEFF_IO_HBM_OFFSET 16       /* u64 */
#define TRN_NEFF_IO_BYTES 24            /* u64 */
#define TRN_NEFF_IO_DIMS 32             /* i64[8] */
#define TRN_NEFF_IO_ENTRY_SIZE 96

/* ---- CONSTANTS section ----------------------------------------------------------- */
#define TRN_NEFF_CONST_HBM_OFFSET 0     /* u64 */
#define TRN_NEFF_CONST_SIZE 8           /* u64 */
#define TRN_NEFF_CONST_DATA 16          /* u64: offset of the bytes within the section */
#define TRN_NEFF_CONST_RESERVED 24      /* u64: 0 */
#define TRN_NEFF_CONST_ENTRY_SIZE 32

/* ---- LAYERS section (1.1) --------------------------------------------------------- */
#define TRN_NEFF_LAYERS_COUNT 0         /* u32: layers */
#define TRN_NEFF_LAYERS_TABLES 4        /* u32: per-stream tables */
#define TRN_NEFF_LAYERS_FIXED_SIZE 8    /* then u32 name offsets, one per layer, then tables */
#define TRN_NEFF_LTAB_STREAM 0          /* u32: stream id */
#define TRN_NEFF_LTAB_COUNT 4           /* u32: = the stream's instruction count */
#define TRN_NEFF_LTAB_OFFSET 8          /* u64: u32 layer per instruction, 4-aligned */
#define TRN_NEFF_LTAB_ENTRY_SIZE 16

_Static_assert(TRN_NEFF_HDR_RESERVED + 16 == TRN_NEFF_HEADER_SIZE, "header layout");
_Static_assert(TRN_NEFF_SEC_AUX + 8 == TRN_NEFF_SECTION_ENTRY_SIZE, "section entry layout");
_Static_assert(TRN_NEFF_IO_DIMS + 8 * TRN_MAX_RANK == TRN_NEFF_IO_ENTRY_SIZE, "io entry layout");
_Static_assert(TRN_NEFF_CONST_RESERVED + 8 == TRN_NEFF_CONST_ENTRY_SIZE, "constant entry layout");
_Static_assert(TRN_MAX_RANK == 8, "the IO entry stores 8 dims");

/* ---- little-endian access (no alignment assumed) ---------------------------------- */
static inline uint32_t trn_neff_rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t trn_neff_rd64(const uint8_t *p) {
  return (uint64_t)trn_neff_rd32(p) | (uint64_t)trn_neff_rd32(p + 4) << 32;
}
static inline void trn_neff_wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void trn_neff_wr64(uint8_t *p, uint64_t v) {
  trn_neff_wr32(p, (uint32_t)v);
  trn_neff_wr32(p + 4, (uint32_t)(v >> 32));
}

/* CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final xor
 * 0xFFFFFFFF: the zlib/PNG crc32). `crc` is a previous result (0 to start). */
uint32_t trn_rt_crc32(uint32_t crc, const void *data, size_t size);

/* The .neff checksum: CRC-32 over bytes [0, 40) then [44, size) of the file. */
uint32_t trn_rt_neff_checksum(const uint8_t *file, size_t size);

/* Name of a section kind ("metadata", "io", "stream", "dma", "constants") or NULL. */
const char *trn_rt_neff_kind_name(uint32_t kind);

/* Validates `size` bytes of a .neff and fills `model` (zeroed by the caller) with
 * pointers into `data` (model->file is left to the caller). `name` prefixes every
 * message. On failure the partly filled model must be released with
 * trn_rt_model_release_parts. */
trn_status_t trn_rt_neff_parse(const uint8_t *data, size_t size, const char *name,
                               trn_rt_model_t *model);
/* Frees what trn_rt_neff_parse allocated inside `model` (not model->file, not model). */
void trn_rt_model_release_parts(trn_rt_model_t *model);

#endif /* TRN_RT_NEFF_FORMAT_H */
