/* Tables expanded from targets.def and isa.def, and the names of the enumerations. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const trn_target_t trn_isa_targets[] = {
#define TRN_TARGET(id_, name_, parts, sbuf, psum, banks, rows, cols, movmax, peg, actg, dveg, \
                   poolg, dvee, acte, poole, dmaq, dmagbps, dmans, hbm, hbmgbps, issue, lat,    \
                   sems)                                                                        \
  {.id = TRN_TARGET_##id_, .name = name_, .partitions = parts, .sbuf_partition_bytes = sbuf,    \
   .psum_partition_bytes = psum, .psum_banks = banks, .pe_rows = rows, .pe_cols = cols,         \
   .moving_free_max = movmax, .pe_ghz = peg, .act_ghz = actg, .dve_ghz = dveg,                  \
   .pool_ghz = poolg, .dve_elems_per_cycle = dvee, .act_elems_per_cycle = acte,                 \
   .pool_elems_per_cycle = poole, .dma_queues = dmaq, .dma_queue_gbps = dmagbps,                \
   .dma_fixed_ns = dmans, .hbm_bytes = hbm, .hbm_gbps = hbmgbps, .min_issue_cycles = issue,     \
   .access_latency_cycles = lat, .semaphores = sems},
#include "trn/targets.def"
};
_Static_assert(sizeof(trn_isa_targets) / sizeof(trn_isa_targets[0]) == TRN_TARGET_COUNT,
               "one row per target");

const trn_target_t *trn_isa_target(trn_target_id_t id) {
  if ((unsigned)id >= TRN_TARGET_COUNT) return NULL;
  return &trn_isa_targets[id];
}

const trn_target_t *trn_isa_target_find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < TRN_TARGET_COUNT; ++i)
    if (strcmp(trn_isa_targets[i].name, name) == 0) return &trn_isa_targets[i];
  return NULL;
}

/* ---- engines, streams, dtypes, spaces ------------------------------------------ */

trn_engine_t trn_isa_stream_engine(uint32_t stream) {
  return stream < TRN_STREAM_DMA0 ? (trn_engine_t)stream : TRN_ENGINE_DMA;
}

const char *trn_isa_engine_name(trn_engine_t engine) {
  static const char *const names[] = {"pe", "act", "dve", "pool", "dma", "any"};
  if ((unsigned)engine >= sizeof(names) / sizeof(names[0])) return "?";
  return names[engine];
}

const char *trn_isa_stream_name(uint32_t stream, char *buf, size_t size) {
  if (!buf || size == 0) return buf;
  if (stream < TRN_STREAM_DMA0)
    snprintf(buf, size, "%s", trn_isa_engine_name((trn_engine_t)stream));
  else if (stream < TRN_MAX_STREAMS)
    snprintf(buf, size, "q%u", (unsigned)(stream - TRN_STREAM_DMA0));
  else
    snprintf(buf, size, "?");
  return buf;
}

static const struct {
  const char *name;
  size_t size;
} trn_isa_dtypes[] = {
    [TRN_DTYPE_FP32] = {"fp32", 4}, [TRN_DTYPE_BF16] = {"bf16", 2},
    [TRN_DTYPE_FP16] = {"fp16", 2}, [TRN_DTYPE_INT32] = {"i32", 4},
    [TRN_DTYPE_INT8] = {"i8", 1},   [TRN_DTYPE_UINT8] = {"u8", 1},
};
_Static_assert(sizeof(trn_isa_dtypes) / sizeof(trn_isa_dtypes[0]) == TRN_DTYPE_COUNT,
               "one row per dtype");

size_t trn_isa_dtype_size(trn_dtype_t dtype) {
  return (unsigned)dtype < TRN_DTYPE_COUNT ? trn_isa_dtypes[dtype].size : 0;
}

const char *trn_isa_dtype_name(trn_dtype_t dtype) {
  return (unsigned)dtype < TRN_DTYPE_COUNT ? trn_isa_dtypes[dtype].name : "?";
}

static bool trn_isa_token_eq(const char *name, size_t len, const char *word) {
  return strlen(word) == len && memcmp(name, word, len) == 0;
}

bool trn_isa_dtype_parse(const char *name, size_t len, trn_dtype_t *out_dtype) {
  if (!name) return false;
  for (unsigned i = 0; i < TRN_DTYPE_COUNT; ++i)
    if (trn_isa_token_eq(name, len, trn_isa_dtypes[i].name)) {
      if (out_dtype) *out_dtype = (trn_dtype_t)i;
      return true;
    }
  return false;
}

const char *trn_isa_space_name(trn_space_t space) {
  static const char *const names[] = {"none", "sbuf", "psum", "hbm"};
  if ((unsigned)space >= sizeof(names) / sizeof(names[0])) return "?";
  return names[space];
}

/* ---- opcodes ----------------------------------------------------------------- */

static const trn_opinfo_t trn_isa_ops[] = {
#define TRN_OP(name, num, engine, fmt, cost, mnem, sem) \
  {TRN_OP_##name, TRN_ENGINE_##engine, TRN_FMT_##fmt, TRN_COST_##cost, mnem, sem},
#include "trn/isa.def"
};

enum {
#define TRN_OP(name, num, engine, fmt, cost, mnem, sem) TRN_ISA_OPROW_##name,
#include "trn/isa.def"
  TRN_ISA_OP_ROWS
};
_Static_assert(sizeof(trn_isa_ops) / sizeof(trn_isa_ops[0]) == TRN_ISA_OP_ROWS,
               "opinfo table matches isa.def");
#define TRN_OP(name, num, engine, fmt, cost, mnem, sem) \
  _Static_assert((num) >= 0 && (num) <= 0xFF, "opcode " #name " fits in 8 bits");
#include "trn/isa.def"

/* Opcode number -> row index + 1 (0 = reserved). */
static const uint8_t trn_isa_op_index[256] = {
#define TRN_OP(name, num, engine, fmt, cost, mnem, sem) [num] = TRN_ISA_OPROW_##name + 1,
#include "trn/isa.def"
};

const trn_opinfo_t *trn_isa_opinfo(uint32_t opcode) {
  if (opcode > 0xFF || trn_isa_op_index[opcode] == 0) return NULL;
  return &trn_isa_ops[trn_isa_op_index[opcode] - 1];
}

size_t trn_isa_opcode_count(void) { return TRN_ISA_OP_ROWS; }

const trn_opinfo_t *trn_isa_opinfo_at(size_t index) {
  return index < TRN_ISA_OP_ROWS ? &trn_isa_ops[index] : NULL;
}

/* ---- ALU ops and activation functions ------------------------------------------ */

static const char *const trn_isa_alu_names[256] = {
#define TRN_ALU(name, num, mnem, sem) [num] = mnem,
#include "trn/isa.def"
};
static const char *const trn_isa_act_names[256] = {
#define TRN_ACT(name, num, mnem, sem) [num] = mnem,
#include "trn/isa.def"
};

const char *trn_isa_alu_name(uint32_t alu) { return alu <= 0xFF ? trn_isa_alu_names[alu] : NULL; }
const char *trn_isa_act_name(uint32_t act) { return act <= 0xFF ? trn_isa_act_names[act] : NULL; }

static bool trn_isa_names_parse(const char *const *names, const char *name, size_t len,
                                unsigned *out) {
  if (!name) return false;
  for (unsigned i = 0; i < 256; ++i)
    if (names[i] && trn_isa_token_eq(name, len, names[i])) {
      *out = i;
      return true;
    }
  return false;
}

bool trn_isa_alu_parse(const char *name, size_t len, trn_alu_t *out) {
  unsigned v;
  if (!trn_isa_names_parse(trn_isa_alu_names, name, len, &v)) return false;
  if (out) *out = (trn_alu_t)v;
  return true;
}

bool trn_isa_act_parse(const char *name, size_t len, trn_act_t *out) {
  unsigned v;
  if (!trn_isa_names_parse(trn_isa_act_names, name, len, &v)) return false;
  if (out) *out = (trn_act_t)v;
  return true;
}
