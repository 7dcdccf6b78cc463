/* trn dialects: trn_tile (tiles in SBUF/PSUM/HBM and engine ops on them) and
 * trn_isa (one op per machine instruction), defined in IRDL (dialects/trn_*.irdl.mlir),
 * embedded in the binary at build time and loaded into a context at run time.
 *
 * This is the only public header of dialects/.
 */
#ifndef TRN_DIALECTS_H
#define TRN_DIALECTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mlir-c/IR.h"
#include "trn/isa.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads trn_tile and trn_isa into `ctx` (which must have the irdl dialect
 * registered). Idempotent per context. Fails, with a diagnostic on the context,
 * only if the embedded IRDL does not parse, which a build test rules out. */
MlirLogicalResult trn_dialects_load(MlirContext ctx);

/* The embedded IRDL source of every trn dialect, for tools that print it. */
const char *trn_dialects_irdl_source(void);

/* ---------------------------------------------------------------------------------
 * ISA-level operations <-> instructions
 *
 * A trn_isa instruction op (trn_isa.<mnemonic>, one per row of isa.def) carries the
 * whole instruction in attributes; trn_isa.irdl.mlir documents them. These functions
 * are the one place that knows that attribute form: the passes build ops with
 * trn_dialects_isa_build, the emitter and the sync pass read them back with
 * trn_dialects_isa_read. Thread-safety: as the MLIR context they use.
 * ------------------------------------------------------------------------------- */

/* True if `op` is a trn_isa instruction (not input/output/const). If so and
 * `out_opcode` is not NULL, stores its opcode. */
bool trn_dialects_isa_is_inst(MlirOperation op, trn_opcode_t *out_opcode);

/* Reads the instruction of `op` into *out_inst and its stream into *out_stream. For a
 * DMA op, aux and imm[0] are left 0 (the emitter sets them when it appends the
 * descriptors). Returns 0, or -1 with a message naming the attribute at fault. */
int trn_dialects_isa_read(MlirOperation op, trn_inst_t *out_inst, uint32_t *out_stream,
                          char *msg, size_t msg_size);

/* Number of descriptors of a trn_isa.dma op (0 for other ops). */
size_t trn_dialects_isa_dma_count(MlirOperation op);
/* Reads descriptor `index` of a trn_isa.dma op. Returns 0, or -1 with a message. */
int trn_dialects_isa_read_dma(MlirOperation op, size_t index, trn_dma_desc_t *out_desc,
                              char *msg, size_t msg_size);

/* Builds a detached trn_isa op for `inst` on `stream` (the caller inserts it into a
 * block, which takes ownership). For DMA, `descs`/`desc_count` are its descriptors
 * (inst->aux and imm are ignored); otherwise pass NULL/0. Fields at their default
 * (no semaphore, zero flags/immediates, unused operands) are omitted. */
MlirOperation trn_dialects_isa_build(MlirContext ctx, MlirLocation loc, const trn_inst_t *inst,
                                     uint32_t stream, const trn_dma_desc_t *descs,
                                     size_t desc_count);

/* Sets (or, with TRN_SEM_NONE, removes) the wait/signal attributes of an instruction
 * op in place. */
void trn_dialects_isa_set_sync(MlirOperation op, uint8_t wait_sem, uint32_t wait_value,
                               uint8_t signal_sem);

/* ---------------------------------------------------------------------------------
 * trn_tile types: !trn_tile.tile<[d0, d1, ...], elem, "space">
 * ------------------------------------------------------------------------------- */

#define TRN_TILE_MAX_RANK 8

typedef struct trn_tile_type_t {
  uint32_t rank;                    /* 1..TRN_TILE_MAX_RANK */
  int64_t dims[TRN_TILE_MAX_RANK];  /* on-chip: dims[0] = partitions */
  trn_dtype_t dtype;
  trn_space_t space;                /* SBUF, PSUM or HBM */
} trn_tile_type_t;

/* The MLIR type of `tile` in `ctx` (null type if the dialects are not loaded or the
 * description is invalid). */
MlirType trn_dialects_tile_type_get(MlirContext ctx, const trn_tile_type_t *tile);
/* Reads a !trn_tile.tile type; false if `type` is not one. */
bool trn_dialects_tile_type_read(MlirType type, trn_tile_type_t *out_tile);
/* The MLIR element type of a dtype (f32, bf16, f16, i32, i8, ui8). */
MlirType trn_dialects_dtype_type(MlirContext ctx, trn_dtype_t dtype);
/* The dtype of an MLIR element type; false if it has none. Booleans (i1) are u8
 * holding 0 or 1. */
bool trn_dialects_dtype_of(MlirType type, trn_dtype_t *out_dtype);

#ifdef __cplusplus
}
#endif
#endif /* TRN_DIALECTS_H */
