/* trn ISA: the machine model, the instruction set and its binary and text forms.
 *
 * This is the only public header of the isa/ layer. It depends on nothing but libc.
 * The opcode table lives in isa.def and the machine model in targets.def; everything
 * here expands from those two files. ISA.md beside this layer documents each
 * instruction; NEFF.md in runtime-abi/ documents the container that carries them.
 *
 * Thread-safety: every function here is pure or writes only to its out_ arguments.
 */
#ifndef TRN_ISA_H
#define TRN_ISA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------
 * Machine model
 * ------------------------------------------------------------------------------- */

typedef enum trn_target_id_t {
#define TRN_TARGET(id, name, ...) TRN_TARGET_##id,
#include "trn/targets.def"
  TRN_TARGET_COUNT
} trn_target_id_t;

typedef struct trn_target_t {
  trn_target_id_t id;
  const char *name;
  uint32_t partitions;            /* SBUF/PSUM partitions and PE rows */
  uint32_t sbuf_partition_bytes;  /* bytes of SBUF per partition */
  uint32_t psum_partition_bytes;  /* bytes of PSUM per partition */
  uint32_t psum_banks;            /* PSUM banks per partition; bank = bytes / banks */
  uint32_t pe_rows, pe_cols;      /* systolic array */
  uint32_t moving_free_max;       /* max free size of the moving operand of MATMUL */
  double pe_ghz, act_ghz, dve_ghz, pool_ghz;
  double dve_elems_per_cycle, act_elems_per_cycle, pool_elems_per_cycle; /* per lane */
  uint32_t dma_queues;
  double dma_queue_gbps;          /* GB/s per queue */
  double dma_fixed_ns;            /* fixed cost per descriptor chain (one DMA instruction) */
  uint64_t hbm_bytes;
  double hbm_gbps;                /* aggregate HBM bandwidth of the core */
  uint32_t min_issue_cycles;      /* an instruction occupies its engine >= this */
  uint32_t access_latency_cycles; /* SBUF/PSUM latency seen across a semaphore */
  uint32_t semaphores;            /* counting semaphores available */
} trn_target_t;

/* The target with this id, or NULL if out of range. */
const trn_target_t *trn_isa_target(trn_target_id_t id);
/* The target named `name` ("trn1", "trn2"), or NULL. */
const trn_target_t *trn_isa_target_find(const char *name);

/* ---------------------------------------------------------------------------------
 * Enumerations (values are stable: append only)
 * ------------------------------------------------------------------------------- */

/* Engines. A .neff has one instruction stream per compute engine and one per DMA
 * queue: stream s < TRN_ENGINE_DMA is engine s; stream TRN_STREAM_DMA0 + q is queue q. */
typedef enum trn_engine_t {
  TRN_ENGINE_PE = 0,   /* tensor engine: systolic array */
  TRN_ENGINE_ACT = 1,  /* scalar engine: activation functions */
  TRN_ENGINE_DVE = 2,  /* vector engine */
  TRN_ENGINE_POOL = 3, /* general-purpose SIMD engine, cross-partition */
  TRN_ENGINE_DMA = 4,  /* DMA queues */
  TRN_ENGINE_ANY = 5,  /* table marker: executable on any stream */
} trn_engine_t;
#define TRN_STREAM_DMA0 4
#define TRN_MAX_DMA_QUEUES 16
#define TRN_MAX_STREAMS (TRN_STREAM_DMA0 + TRN_MAX_DMA_QUEUES)

/* The engine that executes stream `stream` (TRN_ENGINE_DMA for queues). */
trn_engine_t trn_isa_stream_engine(uint32_t stream);
/* "pe", "act", "dve", "pool", "dma"; "?" when out of range. */
const char *trn_isa_engine_name(trn_engine_t engine);
/* Writes "pe", ..., "q0".."q15" into buf; returns buf. */
const char *trn_isa_stream_name(uint32_t stream, char *buf, size_t size);

typedef enum trn_dtype_t {
  TRN_DTYPE_FP32 = 0,
  TRN_DTYPE_BF16 = 1,
  TRN_DTYPE_FP16 = 2,
  TRN_DTYPE_INT32 = 3,
  TRN_DTYPE_INT8 = 4,
  TRN_DTYPE_UINT8 = 5,
  TRN_DTYPE_COUNT
} trn_dtype_t;

/* Size in bytes (0 if invalid); name ("fp32", "bf16", "fp16", "i32", "i8", "u8"). */
size_t trn_isa_dtype_size(trn_dtype_t dtype);
const char *trn_isa_dtype_name(trn_dtype_t dtype);
/* Parses a dtype name; false if unknown. */
bool trn_isa_dtype_parse(const char *name, size_t len, trn_dtype_t *out_dtype);

typedef enum trn_space_t {
  TRN_SPACE_NONE = 0, /* operand unused */
  TRN_SPACE_SBUF = 1,
  TRN_SPACE_PSUM = 2,
  TRN_SPACE_HBM = 3,  /* only in DMA descriptors */
} trn_space_t;
const char *trn_isa_space_name(trn_space_t space); /* "none", "sbuf", "psum", "hbm" */

/* Operand formats: which fields an opcode uses. */
typedef enum trn_format_t {
  TRN_FMT_NONE,   /* no operands */
  TRN_FMT_T1,     /* dst */
  TRN_FMT_T2,     /* dst, src0 */
  TRN_FMT_T3,     /* dst, src0, src1 */
  TRN_FMT_TS,     /* dst, src0, optional src1 (per-partition scalars) */
  TRN_FMT_ACT,    /* dst, src0, optional src1 (per-partition bias) */
  TRN_FMT_MATMUL, /* dst (PSUM), src0 stationary, src1 moving */
  TRN_FMT_DMA,    /* aux = first descriptor, imm0 = descriptor count */
} trn_format_t;

/* Cost classes of the timing model (formulas in ISA.md, implemented by
 * trn_isa_inst_cycles). */
typedef enum trn_cost_t {
  TRN_COST_FIXED,  /* min_issue_cycles */
  TRN_COST_MATMUL, /* max(min(64, N_stat), N_moving) cycles for 2-byte types, 4x for fp32 */
  TRN_COST_ELEM,   /* free elements per partition / engine elems_per_cycle */
  TRN_COST_DMA,    /* fixed cost + bytes / queue bandwidth (timed by the interpreter) */
} trn_cost_t;

typedef enum trn_opcode_t {
#define TRN_OP(name, num, engine, fmt, cost, mnem, sem) TRN_OP_##name = num,
#include "trn/isa.def"
} trn_opcode_t;

typedef enum trn_alu_t {
#define TRN_ALU(name, num, mnem, sem) TRN_ALU_##name = num,
#include "trn/isa.def"
} trn_alu_t;

typedef enum trn_act_t {
#define TRN_ACT(name, num, mnem, sem) TRN_ACT_##name = num,
#include "trn/isa.def"
} trn_act_t;

/* Table row of an opcode. */
typedef struct trn_opinfo_t {
  trn_opcode_t opcode;
  trn_engine_t engine;
  trn_format_t format;
  trn_cost_t cost;
  const char *mnemonic;
  const char *semantics;
} trn_opinfo_t;

/* The row of `opcode`, or NULL if the number is reserved/unknown. */
const trn_opinfo_t *trn_isa_opinfo(uint32_t opcode);
/* Number of defined opcodes and the i-th row (in table order), for iteration. */
size_t trn_isa_opcode_count(void);
const trn_opinfo_t *trn_isa_opinfo_at(size_t index);
/* Mnemonic of an ALU op / activation function, or NULL if unknown. */
const char *trn_isa_alu_name(uint32_t alu);
const char *trn_isa_act_name(uint32_t act);
bool trn_isa_alu_parse(const char *name, size_t len, trn_alu_t *out);
bool trn_isa_act_parse(const char *name, size_t len, trn_act_t *out);

/* ---------------------------------------------------------------------------------
 * Instructions
 * ------------------------------------------------------------------------------- */

/* Instruction flags (trn_inst_t.flags). */
#define TRN_FLAG_ACC 0x01u    /* MATMUL: accumulate into dst instead of overwriting */
#define TRN_FLAG_ACCUM 0x02u  /* ACTIVATE: also write the free-axis sum (see ISA.md) */
#define TRN_FLAG_S0_AP 0x04u  /* TENSOR_SCALAR: s0 from src1[p,0] instead of imm0 */
#define TRN_FLAG_S1_AP 0x08u  /* TENSOR_SCALAR: s1 from src1[p,1] instead of imm1 */
#define TRN_FLAG_REVERSE 0x10u /* TENSOR_SCALAR/TENSOR_TENSOR: operands swapped (b op a) */

#define TRN_SEM_NONE 0xFFu    /* wait_sem / signal_sem: no semaphore */
#define TRN_AP_DIMS 3         /* free dimensions of an on-chip access pattern */

/* On-chip access pattern: partitions [start_partition, start_partition +
 * num_partitions) and, within each partition, the elements
 *   offset/size(dtype) + i0*step[0] + i1*step[1] + i2*step[2]
 * for i_d < num[d] (num[d] >= 1; unused dims have num 1, step 0). Steps are in
 * elements and may be 0 (broadcast) or negative. */
typedef struct trn_ap_t {
  uint8_t space;           /* trn_space_t; NONE = operand unused */
  uint8_t dtype;           /* trn_dtype_t */
  uint8_t start_partition; /* 0..127 */
  uint8_t num_partitions;  /* 1..128 */
  uint32_t offset;         /* byte offset within each partition */
  uint16_t num[TRN_AP_DIMS];
  int32_t step[TRN_AP_DIMS];
} trn_ap_t;

/* A decoded instruction. */
typedef struct trn_inst_t {
  uint8_t opcode;      /* trn_opcode_t */
  uint8_t op0, op1;    /* trn_alu_t / trn_act_t, per opcode */
  uint8_t flags;       /* TRN_FLAG_* */
  uint8_t wait_sem;    /* TRN_SEM_NONE or semaphore index: wait until sem >= wait_value */
  uint8_t signal_sem;  /* TRN_SEM_NONE or semaphore index: sem += 1 when done */
  uint32_t wait_value; /* 24 bits */
  uint32_t aux;        /* 24 bits: DMA first descriptor */
  uint32_t imm[4];     /* raw 32-bit immediates (fp32 or int32 bits per opcode) */
  trn_ap_t dst, src0, src1;
} trn_inst_t;

/* Binary form: TRN_INST_WORDS little-endian 32-bit words (layout in ISA.md, masks in
 * isa.c; never C bitfields). */
#define TRN_INST_WORDS 32
#define TRN_INST_BYTES (TRN_INST_WORDS * 4)

/* Encodes `inst` into `out` (TRN_INST_BYTES). Fields out of their bit range are
 * masked; trn_isa_inst_check reports them first. */
void trn_isa_encode(const trn_inst_t *inst, uint8_t *out);

/* Decodes TRN_INST_BYTES from `in`. Returns 0 and fills *out_inst, or returns -1 and
 * writes a message (unknown opcode, reserved bits set, bad enum value) to `msg`. */
int trn_isa_decode(const uint8_t *in, trn_inst_t *out_inst, char *msg, size_t msg_size);

/* Checks an instruction against the target's rules (engine may execute it on
 * `stream`, partitions <= 128, addresses inside SBUF/PSUM, MATMUL shapes, dtypes,
 * semaphore indices). Returns 0, or -1 with a message naming the rule and field. */
int trn_isa_inst_check(const trn_inst_t *inst, uint32_t stream, const trn_target_t *target,
                       char *msg, size_t msg_size);

/* Engine cycles the instruction occupies its engine for, per the cost model
 * (already max(min_issue_cycles, cost)); DMA returns min_issue_cycles (the queue's
 * transfer time is computed from its descriptors by the interpreter). */
uint64_t trn_isa_inst_cycles(const trn_inst_t *inst, const trn_target_t *target);
/* The same cost model for sizes rather than an instruction (max(min_issue_cycles,
 * cost) included): a MATMUL with m stationary and n moving free elements (fp32: either
 * operand fp32), and an ELEM-cost instruction of `elems` free elements on `engine`. */
uint64_t trn_isa_matmul_cycles(const trn_target_t *target, uint64_t m, uint64_t n, bool fp32);
uint64_t trn_isa_elem_engine_cycles(const trn_target_t *target, trn_engine_t engine, uint64_t elems);

/* Number of elements an access pattern addresses in one partition. */
uint64_t trn_isa_ap_free_elems(const trn_ap_t *ap);

/* ---------------------------------------------------------------------------------
 * DMA descriptors
 * ------------------------------------------------------------------------------- */

#define TRN_DMA_DIMS 4

/* One strided copy. Both sides walk the same index space num[3] x .. x num[0]
 * (innermost first); element i of the source, converted from src_dtype to
 * dst_dtype, is stored to element i of the destination. Addresses are bytes:
 * HBM: offset into the model's HBM image; SBUF/PSUM: partition * partition_bytes
 * (of the target) + byte offset in the partition. Steps are in elements of each
 * side's dtype and may be 0 or negative. */
typedef struct trn_dma_desc_t {
  uint8_t src_space, dst_space; /* trn_space_t */
  uint8_t src_dtype, dst_dtype; /* trn_dtype_t */
  uint64_t src_addr, dst_addr;
  uint32_t num[TRN_DMA_DIMS];
  int64_t src_step[TRN_DMA_DIMS];
  int64_t dst_step[TRN_DMA_DIMS];
} trn_dma_desc_t;

#define TRN_DMA_DESC_BYTES 112
void trn_isa_dma_encode(const trn_dma_desc_t *desc, uint8_t *out);
int trn_isa_dma_decode(const uint8_t *in, trn_dma_desc_t *out_desc, char *msg, size_t msg_size);
/* Total elements a descriptor moves (UINT64_MAX when the product passes 2^64). */
uint64_t trn_isa_dma_elems(const trn_dma_desc_t *desc);
/* Byte range [*out_first, *out_end) one side of a descriptor (address, element steps,
 * counts, element size) can touch; false when it overflows int64. Every num[d] must
 * be at least 1. */
bool trn_isa_dma_side_range(uint64_t addr, const int64_t *step, const uint32_t *num, size_t esize,
                            int64_t *out_first, int64_t *out_end);
/* Checks a descriptor against the target: direction HBM->SBUF, SBUF->HBM or
 * SBUF->SBUF; valid dtypes; every num[d] >= 1; every byte either side can touch lies
 * inside its space (SBUF: partitions * sbuf_partition_bytes; HBM: hbm_size bytes, or
 * the target's hbm_bytes when hbm_size is 0). Returns 0, or -1 with a message naming
 * the rule and field. */
int trn_isa_dma_check(const trn_dma_desc_t *desc, const trn_target_t *target, uint64_t hbm_size,
                      char *msg, size_t msg_size);

/* ---------------------------------------------------------------------------------
 * Text assembly
 * ------------------------------------------------------------------------------- */

/* Writes one line of assembly (no newline) for `inst`. Returns the length it needed
 * (snprintf rules). The format is documented in ISA.md and parsed back exactly by
 * trn_isa_assemble_line. */
int trn_isa_disassemble(const trn_inst_t *inst, char *buf, size_t size);

/* Parses one line of assembly. Returns 0 and fills *out_inst, or -1 with a message
 * naming the column and token at fault. */
int trn_isa_assemble_line(const char *line, trn_inst_t *out_inst, char *msg, size_t msg_size);

/* Same for a DMA descriptor (".desc" lines in a listing). */
int trn_isa_dma_disassemble(const trn_dma_desc_t *desc, char *buf, size_t size);
int trn_isa_dma_assemble_line(const char *line, trn_dma_desc_t *out_desc, char *msg,
                              size_t msg_size);

/* ---------------------------------------------------------------------------------
 * Numeric conversions (exact; shared by the interpreter and the compiler)
 * ------------------------------------------------------------------------------- */

/* fp32 -> bf16/fp16 with round-to-nearest-even (NaN stays NaN, overflow to inf). */
uint16_t trn_isa_f32_to_bf16(float x);
float trn_isa_bf16_to_f32(uint16_t x);
uint16_t trn_isa_f32_to_f16(float x);
float trn_isa_f16_to_f32(uint16_t x);
/* Reads element `index` of a buffer of `dtype` as fp32 / writes fp32 converted to
 * `dtype` (integers: round to nearest even, saturate; NaN -> 0). */
float trn_isa_load_f32(const void *base, trn_dtype_t dtype, size_t index);
void trn_isa_store_f32(void *base, trn_dtype_t dtype, size_t index, float value);

#ifdef __cplusplus
}
#endif
#endif /* TRN_ISA_H */
