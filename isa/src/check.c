/* Target rules of every instruction (trn_isa_inst_check) and the cost model
 * (trn_isa_inst_cycles). Both are documented opcode by opcode in ISA.md. */
#include <string.h>

#include "internal.h"

/* Which operands a format uses: bit 0 dst, bit 1 src0, bit 2 src1 (required),
 * bit 3 src1 optional. */
enum { TRN_USE_DST = 1, TRN_USE_SRC0 = 2, TRN_USE_SRC1 = 4, TRN_USE_SRC1_OPT = 8 };

static unsigned trn_isa_format_uses(trn_format_t fmt) {
  switch (fmt) {
  case TRN_FMT_T1: return TRN_USE_DST;
  case TRN_FMT_T2: return TRN_USE_DST | TRN_USE_SRC0;
  case TRN_FMT_T3:
  case TRN_FMT_MATMUL: return TRN_USE_DST | TRN_USE_SRC0 | TRN_USE_SRC1;
  case TRN_FMT_TS:
  case TRN_FMT_ACT: return TRN_USE_DST | TRN_USE_SRC0 | TRN_USE_SRC1_OPT;
  default: return 0;
  }
}

static bool trn_isa_ap_is_zero(const trn_ap_t *ap) {
  if (ap->space || ap->dtype || ap->start_partition || ap->num_partitions || ap->offset)
    return false;
  for (int d = 0; d < TRN_AP_DIMS; ++d)
    if (ap->num[d] || ap->step[d]) return false;
  return true;
}

/* Lowest and highest element index (relative to offset) the AP touches. */
static void trn_isa_ap_extent(const trn_ap_t *ap, int64_t *out_lo, int64_t *out_hi) {
  int64_t lo = 0, hi = 0;
  for (int d = 0; d < TRN_AP_DIMS; ++d) {
    int64_t span = (int64_t)(ap->num[d] - 1) * ap->step[d];
    if (span < 0) lo += span;
    else hi += span;
  }
  *out_lo = lo;
  *out_hi = hi;
}

/* Shape and bounds rules every used on-chip operand obeys. */
static int trn_isa_ap_check(const trn_ap_t *ap, const char *name, const char *mnem,
                            const trn_target_t *t, char *msg, size_t msg_size) {
  if (ap->space != TRN_SPACE_SBUF && ap->space != TRN_SPACE_PSUM)
    return trn_isa_fail(msg, msg_size, "%s: %s.space must be sbuf or psum, not %s", mnem, name,
                        trn_isa_space_name((trn_space_t)ap->space));
  if (ap->dtype >= TRN_DTYPE_COUNT)
    return trn_isa_fail(msg, msg_size, "%s: %s.dtype %u is not a dtype", mnem, name,
                        (unsigned)ap->dtype);
  if (ap->num_partitions < 1 || ap->num_partitions > t->partitions)
    return trn_isa_fail(msg, msg_size, "%s: %s.num_partitions %u is not in 1..%u", mnem, name,
                        (unsigned)ap->num_partitions, (unsigned)t->partitions);
  if ((uint32_t)ap->start_partition + ap->num_partitions > t->partitions)
    return trn_isa_fail(msg, msg_size,
                        "%s: %s partitions [%u, %u) exceed the %u partitions of %s", mnem, name,
                        (unsigned)ap->start_partition,
                        (unsigned)ap->start_partition + ap->num_partitions,
                        (unsigned)t->partitions, t->name);
  for (int d = 0; d < TRN_AP_DIMS; ++d)
    if (ap->num[d] < 1)
      return trn_isa_fail(msg, msg_size, "%s: %s.num[%d] is 0 (unused dims have num 1)", mnem,
                          name, d);
  size_t esize = trn_isa_dtype_size((trn_dtype_t)ap->dtype);
  if (ap->offset % esize != 0)
    return trn_isa_fail(msg, msg_size, "%s: %s.offset 0x%x is not aligned to its %s elements",
                        mnem, name, (unsigned)ap->offset,
                        trn_isa_dtype_name((trn_dtype_t)ap->dtype));
  uint64_t limit = ap->space == TRN_SPACE_SBUF ? t->sbuf_partition_bytes : t->psum_partition_bytes;
  int64_t lo, hi;
  trn_isa_ap_extent(ap, &lo, &hi);
  int64_t first = (int64_t)ap->offset + lo * (int64_t)esize;
  int64_t end = (int64_t)ap->offset + (hi + 1) * (int64_t)esize;
  if (first < 0 || end > (int64_t)limit)
    return trn_isa_fail(msg, msg_size,
                        "%s: %s touches bytes [%lld, %lld) outside the %llu bytes of a %s "
                        "partition",
                        mnem, name, (long long)first, (long long)end, (unsigned long long)limit,
                        trn_isa_space_name((trn_space_t)ap->space));
  return 0;
}

static bool trn_isa_alu_is_reduce(unsigned op) {
  switch (op) {
  case TRN_ALU_ADD: case TRN_ALU_MUL: case TRN_ALU_MAX: case TRN_ALU_MIN: case TRN_ALU_AND:
  case TRN_ALU_OR: case TRN_ALU_XOR: case TRN_ALU_BITAND: case TRN_ALU_BITOR:
  case TRN_ALU_BITXOR: return true;
  default: return false;
  }
}

static bool trn_isa_alu_is_compare(unsigned op) {
  return op >= TRN_ALU_EQ && op <= TRN_ALU_GE;
}

/* Flags each opcode accepts. */
static unsigned trn_isa_op_flags(trn_opcode_t op) {
  switch (op) {
  case TRN_OP_MATMUL: return TRN_FLAG_ACC;
  case TRN_OP_ACTIVATE: return TRN_FLAG_ACCUM;
  case TRN_OP_TENSOR_SCALAR: return TRN_FLAG_S0_AP | TRN_FLAG_S1_AP | TRN_FLAG_REVERSE;
  case TRN_OP_TENSOR_TENSOR: return TRN_FLAG_REVERSE;
  default: return 0;
  }
}

static int trn_isa_check_ops(const trn_inst_t *in, const trn_opinfo_t *info, char *msg,
                             size_t msg_size) {
  const char *m = info->mnemonic;
  bool op0_used = true, op1_used = false;
  switch ((trn_opcode_t)in->opcode) {
  case TRN_OP_ACTIVATE:
    if (!trn_isa_act_name(in->op0))
      return trn_isa_fail(msg, msg_size, "%s: op0 %u is not an activation function", m,
                          (unsigned)in->op0);
    break;
  case TRN_OP_TENSOR_SCALAR:
    op1_used = true;
    if (!trn_isa_alu_name(in->op1))
      return trn_isa_fail(msg, msg_size, "%s: op1 %u is not an ALU op", m, (unsigned)in->op1);
    /* fallthrough */
  case TRN_OP_TENSOR_TENSOR:
    if (!trn_isa_alu_name(in->op0))
      return trn_isa_fail(msg, msg_size, "%s: op0 %u is not an ALU op", m, (unsigned)in->op0);
    break;
  case TRN_OP_TENSOR_REDUCE:
  case TRN_OP_PARTITION_REDUCE:
    if (!trn_isa_alu_is_reduce(in->op0))
      return trn_isa_fail(msg, msg_size,
                          "%s: op0 %u is not a reduction (add mul max min and or xor bitand "
                          "bitor bitxor)",
                          m, (unsigned)in->op0);
    break;
  case TRN_OP_AFFINE_SELECT:
    if (!trn_isa_alu_is_compare(in->op0))
      return trn_isa_fail(msg, msg_size, "%s: op0 %u is not a comparison (eq ne lt le gt ge)", m,
                          (unsigned)in->op0);
    break;
  default: op0_used = false; break;
  }
  if (!op0_used && in->op0 != 0)
    return trn_isa_fail(msg, msg_size, "%s: op0 must be 0, is %u", m, (unsigned)in->op0);
  if (!op1_used && in->op1 != 0)
    return trn_isa_fail(msg, msg_size, "%s: op1 must be 0, is %u", m, (unsigned)in->op1);
  return 0;
}

static bool trn_isa_is_float(unsigned dtype) {
  return dtype == TRN_DTYPE_FP32 || dtype == TRN_DTYPE_BF16 || dtype == TRN_DTYPE_FP16;
}

/* The PSUM bank of the first and last byte of ap must agree. */
static int trn_isa_check_bank(const trn_ap_t *ap, const char *m, const trn_target_t *t, char *msg,
                              size_t msg_size) {
  uint32_t bank = t->psum_partition_bytes / (t->psum_banks ? t->psum_banks : 1);
  int64_t lo, hi;
  trn_isa_ap_extent(ap, &lo, &hi);
  size_t esize = trn_isa_dtype_size((trn_dtype_t)ap->dtype);
  int64_t first = (int64_t)ap->offset + lo * (int64_t)esize;
  int64_t last = (int64_t)ap->offset + (hi + 1) * (int64_t)esize - 1;
  if (first / bank != last / bank)
    return trn_isa_fail(msg, msg_size,
                        "%s: dst bytes [%lld, %lld] cross a PSUM bank boundary (banks of %u "
                        "bytes)",
                        m, (long long)first, (long long)last, (unsigned)bank);
  return 0;
}

#define TRN_SAME(cond, ...)                                             \
  do {                                                                  \
    if (!(cond)) return trn_isa_fail(msg, msg_size, __VA_ARGS__);       \
  } while (0)

static int trn_isa_check_shapes(const trn_inst_t *in, const trn_opinfo_t *info,
                                const trn_target_t *t, char *msg, size_t msg_size) {
  const char *m = info->mnemonic;
  const trn_ap_t *d = &in->dst, *a = &in->src0, *b = &in->src1;
  uint64_t fd = trn_isa_ap_free_elems(d), fa = trn_isa_ap_free_elems(a);
  uint64_t fb = trn_isa_ap_free_elems(b);
  unsigned pd = d->num_partitions, pa = a->num_partitions, pb = b->num_partitions;
  bool has_b = b->space != TRN_SPACE_NONE;
  switch ((trn_opcode_t)in->opcode) {
  case TRN_OP_MATMUL:
    TRN_SAME(d->space == TRN_SPACE_PSUM && d->dtype == TRN_DTYPE_FP32,
             "%s: dst must be psum fp32, is %s %s", m, trn_isa_space_name((trn_space_t)d->space),
             trn_isa_dtype_name((trn_dtype_t)d->dtype));
    TRN_SAME(a->space == TRN_SPACE_SBUF, "%s: src0 (stationary) must be in sbuf", m);
    TRN_SAME(b->space == TRN_SPACE_SBUF, "%s: src1 (moving) must be in sbuf", m);
    TRN_SAME(trn_isa_is_float(a->dtype) && trn_isa_is_float(b->dtype),
             "%s: src0 and src1 must be fp32, bf16 or fp16", m);
    TRN_SAME(pa == pb, "%s: src0 partitions (K) %u != src1 partitions (K) %u", m, pa, pb);
    TRN_SAME(pa <= t->pe_rows, "%s: K %u exceeds pe_rows %u", m, pa, (unsigned)t->pe_rows);
    TRN_SAME(fa <= t->pe_cols, "%s: src0 free size (M) %llu exceeds pe_cols %u", m,
             (unsigned long long)fa, (unsigned)t->pe_cols);
    TRN_SAME(fa == pd, "%s: src0 free size (M) %llu != dst partitions %u", m,
             (unsigned long long)fa, pd);
    TRN_SAME(fb <= t->moving_free_max, "%s: src1 free size (N) %llu exceeds moving_free_max %u",
             m, (unsigned long long)fb, (unsigned)t->moving_free_max);
    TRN_SAME(fb == fd, "%s: src1 free size (N) %llu != dst free size %llu", m,
             (unsigned long long)fb, (unsigned long long)fd);
    return trn_isa_check_bank(d, m, t, msg, msg_size);
  case TRN_OP_TRANSPOSE:
    TRN_SAME(d->space == TRN_SPACE_PSUM, "%s: dst must be in psum", m);
    TRN_SAME(a->space == TRN_SPACE_SBUF, "%s: src0 must be in sbuf", m);
    TRN_SAME(d->dtype == TRN_DTYPE_FP32 || d->dtype == a->dtype,
             "%s: dst dtype must be fp32 or src0's dtype", m);
    TRN_SAME(pa <= t->pe_rows, "%s: src0 partitions %u exceed pe_rows %u", m, pa,
             (unsigned)t->pe_rows);
    TRN_SAME(fa <= t->pe_cols, "%s: src0 free size %llu exceeds pe_cols %u", m,
             (unsigned long long)fa, (unsigned)t->pe_cols);
    TRN_SAME(pd == fa, "%s: dst partitions %u != src0 free size %llu", m, pd,
             (unsigned long long)fa);
    TRN_SAME(fd == pa, "%s: dst free size %llu != src0 partitions %u", m,
             (unsigned long long)fd, pa);
    return trn_isa_check_bank(d, m, t, msg, msg_size);
  case TRN_OP_ACTIVATE:
    TRN_SAME(pd == pa, "%s: dst partitions %u != src0 partitions %u", m, pd, pa);
    if (in->flags & TRN_FLAG_ACCUM) {
      TRN_SAME(fd == fa || fd == fa + 1, "%s: with accum, dst free size %llu must be %llu or %llu",
               m, (unsigned long long)fd, (unsigned long long)fa, (unsigned long long)fa + 1);
      TRN_SAME(in->imm[2] < fd, "%s: accum column imm2 %u is not below dst free size %llu", m,
               (unsigned)in->imm[2], (unsigned long long)fd);
    } else {
      TRN_SAME(fd == fa, "%s: dst free size %llu != src0 free size %llu", m,
               (unsigned long long)fd, (unsigned long long)fa);
    }
    if (has_b) TRN_SAME(pb == pd, "%s: src1 (bias) partitions %u != dst partitions %u", m, pb, pd);
    return 0;
  case TRN_OP_TENSOR_SCALAR:
    TRN_SAME(pd == pa && fd == fa, "%s: dst shape %ux%llu != src0 shape %ux%llu", m, pd,
             (unsigned long long)fd, pa, (unsigned long long)fa);
    if (in->flags & (TRN_FLAG_S0_AP | TRN_FLAG_S1_AP))
      TRN_SAME(has_b, "%s: flag s0_ap/s1_ap needs src1", m);
    if (has_b) {
      TRN_SAME(pb == pd, "%s: src1 (scalars) partitions %u != dst partitions %u", m, pb, pd);
      TRN_SAME(fb >= ((in->flags & TRN_FLAG_S1_AP) ? 2u : 1u),
               "%s: src1 (scalars) free size %llu too small for flags", m,
               (unsigned long long)fb);
    }
    return 0;
  case TRN_OP_TENSOR_TENSOR:
  case TRN_OP_SELECT:
  case TRN_OP_GATHER:
    TRN_SAME(pd == pa && pd == pb, "%s: partitions of dst %u, src0 %u, src1 %u differ", m, pd, pa,
             pb);
    if (in->opcode == TRN_OP_GATHER) {
      TRN_SAME(b->dtype == TRN_DTYPE_INT32, "%s: src1 (indices) must be i32", m);
      TRN_SAME(fd == fb, "%s: dst free size %llu != src1 (indices) free size %llu", m,
               (unsigned long long)fd, (unsigned long long)fb);
    } else {
      TRN_SAME(fd == fa && fd == fb, "%s: free sizes of dst %llu, src0 %llu, src1 %llu differ", m,
               (unsigned long long)fd, (unsigned long long)fa, (unsigned long long)fb);
    }
    return 0;
  case TRN_OP_TENSOR_REDUCE: {
    TRN_SAME(in->imm[0] >= 1 && in->imm[0] <= TRN_AP_DIMS,
             "%s: imm0 (reduced innermost dims) %u is not in 1..3", m, (unsigned)in->imm[0]);
    uint64_t r = 1;
    for (uint32_t i = 0; i < in->imm[0]; ++i) r *= a->num[i];
    TRN_SAME(pd == pa, "%s: dst partitions %u != src0 partitions %u", m, pd, pa);
    TRN_SAME(fd == fa / r, "%s: dst free size %llu != src0 free size %llu / reduced %llu", m,
             (unsigned long long)fd, (unsigned long long)fa, (unsigned long long)r);
    return 0;
  }
  case TRN_OP_TENSOR_COPY:
  case TRN_OP_AFFINE_SELECT:
    TRN_SAME(pd == pa && fd == fa, "%s: dst shape %ux%llu != src0 shape %ux%llu", m, pd,
             (unsigned long long)fd, pa, (unsigned long long)fa);
    return 0;
  case TRN_OP_TRANSPOSE32:
    TRN_SAME(pd == pa && fd == fa, "%s: dst shape %ux%llu != src0 shape %ux%llu", m, pd,
             (unsigned long long)fd, pa, (unsigned long long)fa);
    TRN_SAME(pa % 32 == 0 && a->num[0] % 32 == 0 && d->num[0] % 32 == 0,
             "%s: partitions and innermost num of dst and src0 must be multiples of 32", m);
    return 0;
  case TRN_OP_PARTITION_REDUCE:
    TRN_SAME(pd == 1, "%s: dst partitions must be 1, is %u", m, pd);
    TRN_SAME(fd == fa, "%s: dst free size %llu != src0 free size %llu", m,
             (unsigned long long)fd, (unsigned long long)fa);
    return 0;
  case TRN_OP_PARTITION_BROADCAST:
    TRN_SAME(pa == 1, "%s: src0 partitions must be 1, is %u", m, pa);
    TRN_SAME(fd == fa, "%s: dst free size %llu != src0 free size %llu", m,
             (unsigned long long)fd, (unsigned long long)fa);
    return 0;
  default: return 0;
  }
}

int trn_isa_inst_check(const trn_inst_t *in, uint32_t stream, const trn_target_t *t, char *msg,
                       size_t msg_size) {
  if (!in || !t) return trn_isa_fail(msg, msg_size, "no instruction or target");
  const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
  if (!info) return trn_isa_fail(msg, msg_size, "unknown opcode 0x%02x", (unsigned)in->opcode);
  const char *m = info->mnemonic;
  char sname[8];
  if (stream >= TRN_MAX_STREAMS ||
      (stream >= TRN_STREAM_DMA0 && stream - TRN_STREAM_DMA0 >= t->dma_queues))
    return trn_isa_fail(msg, msg_size, "%s: stream %u does not exist on %s", m, (unsigned)stream,
                        t->name);
  trn_engine_t eng = trn_isa_stream_engine(stream);
  if (info->engine != TRN_ENGINE_ANY && info->engine != eng)
    return trn_isa_fail(msg, msg_size, "%s: engine: runs on %s, not on stream %s", m,
                        trn_isa_engine_name(info->engine),
                        trn_isa_stream_name(stream, sname, sizeof sname));
  unsigned bad_flags = in->flags & ~trn_isa_op_flags((trn_opcode_t)in->opcode);
  if (bad_flags)
    return trn_isa_fail(msg, msg_size, "%s: flags 0x%02x not allowed on this opcode", m,
                        bad_flags);
  if (in->wait_sem != TRN_SEM_NONE && in->wait_sem >= t->semaphores)
    return trn_isa_fail(msg, msg_size, "%s: wait_sem %u is not below the %u semaphores", m,
                        (unsigned)in->wait_sem, (unsigned)t->semaphores);
  if (in->signal_sem != TRN_SEM_NONE && in->signal_sem >= t->semaphores)
    return trn_isa_fail(msg, msg_size, "%s: signal_sem %u is not below the %u semaphores", m,
                        (unsigned)in->signal_sem, (unsigned)t->semaphores);
  if (in->wait_value > 0xFFFFFFu)
    return trn_isa_fail(msg, msg_size, "%s: wait_value %u exceeds 24 bits", m,
                        (unsigned)in->wait_value);
  if (in->wait_sem == TRN_SEM_NONE && in->wait_value != 0)
    return trn_isa_fail(msg, msg_size, "%s: wait_value %u without wait_sem", m,
                        (unsigned)in->wait_value);
  if (in->aux > 0xFFFFFFu)
    return trn_isa_fail(msg, msg_size, "%s: aux %u exceeds 24 bits", m, (unsigned)in->aux);
  if (info->format != TRN_FMT_DMA && in->aux != 0)
    return trn_isa_fail(msg, msg_size, "%s: aux must be 0, is %u", m, (unsigned)in->aux);
  if (trn_isa_check_ops(in, info, msg, msg_size)) return -1;

  if (info->format == TRN_FMT_DMA && in->imm[0] == 0)
    return trn_isa_fail(msg, msg_size, "%s: imm0 (descriptor count) is 0", m);

  unsigned uses = trn_isa_format_uses(info->format);
  const trn_ap_t *aps[3] = {&in->dst, &in->src0, &in->src1};
  static const char *const names[3] = {"dst", "src0", "src1"};
  for (int i = 0; i < 3; ++i) {
    bool used = (uses >> i) & 1u;
    if (i == 2 && (uses & TRN_USE_SRC1_OPT)) used = aps[2]->space != TRN_SPACE_NONE;
    if (!used) {
      if (!trn_isa_ap_is_zero(aps[i]))
        return trn_isa_fail(msg, msg_size, "%s: unused operand %s must be all zero", m, names[i]);
      continue;
    }
    if (trn_isa_ap_check(aps[i], names[i], m, t, msg, msg_size)) return -1;
  }
  if (eng == TRN_ENGINE_PE && info->engine == TRN_ENGINE_PE && in->dst.space != TRN_SPACE_PSUM)
    return trn_isa_fail(msg, msg_size, "%s: dst: pe writes psum only", m);
  return trn_isa_check_shapes(in, info, t, msg, msg_size);
}

/* ---- cost model -------------------------------------------------------------- */

static uint64_t trn_isa_max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

static uint64_t trn_isa_elem_cycles(uint64_t elems, double per_cycle) {
  if (per_cycle <= 0) per_cycle = 1;
  double c = (double)elems / per_cycle;
  uint64_t n = (uint64_t)c;
  return (double)n < c ? n + 1 : n;
}

uint64_t trn_isa_matmul_cycles(const trn_target_t *t, uint64_t m, uint64_t n, bool fp32) {
  uint64_t cost = trn_isa_max_u64(m < 64 ? m : 64, n);
  if (fp32) cost *= 4;
  return trn_isa_max_u64(t ? t->min_issue_cycles : 0, cost);
}

uint64_t trn_isa_elem_engine_cycles(const trn_target_t *t, trn_engine_t engine, uint64_t elems) {
  if (!t) return 0;
  double rate = engine == TRN_ENGINE_ACT    ? t->act_elems_per_cycle
                : engine == TRN_ENGINE_POOL ? t->pool_elems_per_cycle
                                            : t->dve_elems_per_cycle;
  return trn_isa_max_u64(t->min_issue_cycles, trn_isa_elem_cycles(elems, rate));
}

uint64_t trn_isa_inst_cycles(const trn_inst_t *in, const trn_target_t *t) {
  if (!in || !t) return 0;
  const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
  if (!info) return t->min_issue_cycles;
  switch (info->cost) {
  case TRN_COST_MATMUL:
    if (info->format == TRN_FMT_MATMUL)
      return trn_isa_matmul_cycles(t, trn_isa_ap_free_elems(&in->src0), trn_isa_ap_free_elems(&in->src1),
                                   in->src0.dtype == TRN_DTYPE_FP32 || in->src1.dtype == TRN_DTYPE_FP32);
    /* TRANSPOSE: M = rows (partitions), N = cols (free elements) */
    return trn_isa_matmul_cycles(t, in->src0.num_partitions, trn_isa_ap_free_elems(&in->src0),
                                 in->src0.dtype == TRN_DTYPE_FP32);
  case TRN_COST_ELEM: {
    uint64_t elems = trn_isa_max_u64(trn_isa_ap_free_elems(&in->dst),
                                     trn_isa_ap_free_elems(&in->src0));
    if (in->opcode != TRN_OP_ACTIVATE && in->opcode != TRN_OP_TENSOR_SCALAR)
      elems = trn_isa_max_u64(elems, trn_isa_ap_free_elems(&in->src1));
    return trn_isa_elem_engine_cycles(t, (trn_engine_t)info->engine, elems);
  }
  default: return t->min_issue_cycles;
  }
}

/* ---- DMA descriptors --------------------------------------------------------- */

bool trn_isa_dma_side_range(uint64_t addr, const int64_t *step, const uint32_t *num, size_t esize,
                            int64_t *out_first, int64_t *out_end) {
  int64_t lo = 0, hi = 0;
  for (int d = 0; d < TRN_DMA_DIMS; ++d) {
    int64_t span;
    if (__builtin_mul_overflow((int64_t)num[d] - 1, step[d], &span)) return false;
    if (span < 0 ? __builtin_add_overflow(lo, span, &lo) : __builtin_add_overflow(hi, span, &hi))
      return false;
  }
  int64_t blo, bhi, count;
  if (addr > (uint64_t)INT64_MAX || __builtin_mul_overflow(lo, (int64_t)esize, &blo) ||
      __builtin_add_overflow(hi, 1, &count) ||
      __builtin_mul_overflow(count, (int64_t)esize, &bhi) ||
      __builtin_add_overflow((int64_t)addr, blo, out_first) ||
      __builtin_add_overflow((int64_t)addr, bhi, out_end))
    return false;
  return true;
}

int trn_isa_dma_check(const trn_dma_desc_t *d, const trn_target_t *t, uint64_t hbm_size,
                      char *msg, size_t msg_size) {
  if (!d || !t) return trn_isa_fail(msg, msg_size, "no descriptor or target");
  bool ok_dir = (d->src_space == TRN_SPACE_HBM && d->dst_space == TRN_SPACE_SBUF) ||
                (d->src_space == TRN_SPACE_SBUF &&
                 (d->dst_space == TRN_SPACE_HBM || d->dst_space == TRN_SPACE_SBUF));
  if (!ok_dir)
    return trn_isa_fail(msg, msg_size,
                        "dma: direction %s -> %s is not hbm->sbuf, sbuf->hbm or sbuf->sbuf",
                        trn_isa_space_name((trn_space_t)d->src_space),
                        trn_isa_space_name((trn_space_t)d->dst_space));
  if (d->src_dtype >= TRN_DTYPE_COUNT || d->dst_dtype >= TRN_DTYPE_COUNT)
    return trn_isa_fail(msg, msg_size, "dma: bad %s %u",
                        d->src_dtype >= TRN_DTYPE_COUNT ? "src_dtype" : "dst_dtype",
                        (unsigned)(d->src_dtype >= TRN_DTYPE_COUNT ? d->src_dtype : d->dst_dtype));
  for (int i = 0; i < TRN_DMA_DIMS; ++i)
    if (d->num[i] < 1) return trn_isa_fail(msg, msg_size, "dma: num[%d] is 0", i);
  if (hbm_size == 0) hbm_size = t->hbm_bytes;
  for (int side = 0; side < 2; ++side) {
    const char *name = side ? "dst" : "src";
    unsigned space = side ? d->dst_space : d->src_space;
    uint64_t addr = side ? d->dst_addr : d->src_addr;
    size_t esize = trn_isa_dtype_size((trn_dtype_t)(side ? d->dst_dtype : d->src_dtype));
    uint64_t limit = space == TRN_SPACE_HBM ? hbm_size
                                            : (uint64_t)t->partitions * t->sbuf_partition_bytes;
    int64_t first, end;
    if (!trn_isa_dma_side_range(addr, side ? d->dst_step : d->src_step, d->num, esize, &first,
                                &end))
      return trn_isa_fail(msg, msg_size, "dma: %s address range overflows", name);
    if (first < 0 || (uint64_t)end > limit)
      return trn_isa_fail(msg, msg_size,
                          "dma: %s touches bytes [%lld, %lld) outside %s of %llu bytes", name,
                          (long long)first, (long long)end, trn_isa_space_name((trn_space_t)space),
                          (unsigned long long)limit);
  }
  return 0;
}
