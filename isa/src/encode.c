/* Binary forms of instructions and DMA descriptors. Layout: ISA.md, "Binary layout".
 * Every field has a word index, a bit position and a size; nothing uses C bitfields. */
#include <string.h>

#include "internal.h"

_Static_assert(TRN_INST_BYTES == 128, "an instruction is 32 words");
_Static_assert(TRN_DMA_DESC_BYTES == 112, "a DMA descriptor is 28 words");
_Static_assert(TRN_DTYPE_COUNT <= 16, "dtype fits in its 4-bit AP field");

#define TRN_MASK(size) ((uint32_t)(((uint64_t)1 << (size)) - 1))
#define TRN_GET(w, f) (((w) >> POS_##f) & TRN_MASK(SIZE_##f))
#define TRN_SET(w, f, v) ((w) |= ((uint32_t)(v) & TRN_MASK(SIZE_##f)) << POS_##f)

/* Instruction word indices. */
enum {
  TRN_W_HEAD = 0,  /* opcode, op0, op1, flags */
  TRN_W_WAIT = 1,  /* wait_sem, wait_value */
  TRN_W_SIG = 2,   /* signal_sem, aux */
  TRN_W_IMM = 3,   /* imm[0..3] in words 3..6 */
  TRN_W_RSVD = 7,  /* reserved, must be 0 */
  TRN_W_DST = 8,   /* access patterns: 8 words each */
  TRN_W_SRC0 = 16,
  TRN_W_SRC1 = 24,
  TRN_AP_WORDS = 8,
};
_Static_assert(TRN_W_SRC1 + TRN_AP_WORDS == TRN_INST_WORDS, "layout fills the instruction");

/* Word 0. */
#define POS_OPCODE 0
#define SIZE_OPCODE 8
#define POS_OP0 8
#define SIZE_OP0 8
#define POS_OP1 16
#define SIZE_OP1 8
#define POS_FLAGS 24
#define SIZE_FLAGS 8
/* Word 1. */
#define POS_WAIT_SEM 0
#define SIZE_WAIT_SEM 8
#define POS_WAIT_VALUE 8
#define SIZE_WAIT_VALUE 24
/* Word 2. */
#define POS_SIGNAL_SEM 0
#define SIZE_SIGNAL_SEM 8
#define POS_AUX 8
#define SIZE_AUX 24
/* AP word 0. */
#define POS_AP_SPACE 0
#define SIZE_AP_SPACE 2
#define POS_AP_DTYPE 2
#define SIZE_AP_DTYPE 4
#define POS_AP_START 6
#define SIZE_AP_START 7
#define POS_AP_NPART 13
#define SIZE_AP_NPART 8
#define POS_AP_RSVD0 21
#define SIZE_AP_RSVD0 11
/* AP word 2 and 3. */
#define POS_AP_NUM0 0
#define SIZE_AP_NUM0 16
#define POS_AP_NUM1 16
#define SIZE_AP_NUM1 16
#define POS_AP_NUM2 0
#define SIZE_AP_NUM2 16
#define POS_AP_RSVD3 16
#define SIZE_AP_RSVD3 16
_Static_assert(POS_AP_RSVD0 + SIZE_AP_RSVD0 == 32, "AP word 0 is full");
_Static_assert(POS_AP_NPART == POS_AP_START + SIZE_AP_START, "AP word 0 is packed");

static void trn_isa_put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static uint32_t trn_isa_get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void trn_isa_put64(uint8_t *p, uint64_t v) {
  trn_isa_put32(p, (uint32_t)v);
  trn_isa_put32(p + 4, (uint32_t)(v >> 32));
}

static uint64_t trn_isa_get64(const uint8_t *p) {
  return (uint64_t)trn_isa_get32(p) | (uint64_t)trn_isa_get32(p + 4) << 32;
}

static void trn_isa_ap_encode(const trn_ap_t *ap, uint32_t *w) {
  uint32_t w0 = 0;
  TRN_SET(w0, AP_SPACE, ap->space);
  TRN_SET(w0, AP_DTYPE, ap->dtype);
  TRN_SET(w0, AP_START, ap->start_partition);
  TRN_SET(w0, AP_NPART, ap->num_partitions);
  w[0] = w0;
  w[1] = ap->offset;
  w[2] = 0;
  TRN_SET(w[2], AP_NUM0, ap->num[0]);
  TRN_SET(w[2], AP_NUM1, ap->num[1]);
  w[3] = 0;
  TRN_SET(w[3], AP_NUM2, ap->num[2]);
  for (int d = 0; d < TRN_AP_DIMS; ++d) w[4 + d] = (uint32_t)ap->step[d];
  w[7] = 0;
}

static int trn_isa_ap_decode(const uint32_t *w, trn_ap_t *ap, const char *name, char *msg,
                             size_t msg_size) {
  memset(ap, 0, sizeof *ap);
  if (TRN_GET(w[0], AP_RSVD0) != 0)
    return trn_isa_fail(msg, msg_size, "%s: reserved bits 31:21 of AP word 0 are set (0x%08x)",
                        name, (unsigned)w[0]);
  if (TRN_GET(w[3], AP_RSVD3) != 0)
    return trn_isa_fail(msg, msg_size, "%s: reserved bits 31:16 of AP word 3 are set (0x%08x)",
                        name, (unsigned)w[3]);
  if (w[7] != 0)
    return trn_isa_fail(msg, msg_size, "%s: reserved AP word 7 is not zero (0x%08x)", name,
                        (unsigned)w[7]);
  ap->space = (uint8_t)TRN_GET(w[0], AP_SPACE);
  ap->dtype = (uint8_t)TRN_GET(w[0], AP_DTYPE);
  if (ap->dtype >= TRN_DTYPE_COUNT)
    return trn_isa_fail(msg, msg_size, "%s: bad dtype %u", name, (unsigned)ap->dtype);
  ap->start_partition = (uint8_t)TRN_GET(w[0], AP_START);
  ap->num_partitions = (uint8_t)TRN_GET(w[0], AP_NPART);
  ap->offset = w[1];
  ap->num[0] = (uint16_t)TRN_GET(w[2], AP_NUM0);
  ap->num[1] = (uint16_t)TRN_GET(w[2], AP_NUM1);
  ap->num[2] = (uint16_t)TRN_GET(w[3], AP_NUM2);
  for (int d = 0; d < TRN_AP_DIMS; ++d) ap->step[d] = (int32_t)w[4 + d];
  return 0;
}

void trn_isa_encode(const trn_inst_t *inst, uint8_t *out) {
  uint32_t w[TRN_INST_WORDS] = {0};
  TRN_SET(w[TRN_W_HEAD], OPCODE, inst->opcode);
  TRN_SET(w[TRN_W_HEAD], OP0, inst->op0);
  TRN_SET(w[TRN_W_HEAD], OP1, inst->op1);
  TRN_SET(w[TRN_W_HEAD], FLAGS, inst->flags);
  TRN_SET(w[TRN_W_WAIT], WAIT_SEM, inst->wait_sem);
  TRN_SET(w[TRN_W_WAIT], WAIT_VALUE, inst->wait_value);
  TRN_SET(w[TRN_W_SIG], SIGNAL_SEM, inst->signal_sem);
  TRN_SET(w[TRN_W_SIG], AUX, inst->aux);
  for (int i = 0; i < 4; ++i) w[TRN_W_IMM + i] = inst->imm[i];
  trn_isa_ap_encode(&inst->dst, &w[TRN_W_DST]);
  trn_isa_ap_encode(&inst->src0, &w[TRN_W_SRC0]);
  trn_isa_ap_encode(&inst->src1, &w[TRN_W_SRC1]);
  for (int i = 0; i < TRN_INST_WORDS; ++i) trn_isa_put32(out + 4 * i, w[i]);
}

int trn_isa_decode(const uint8_t *in, trn_inst_t *out_inst, char *msg, size_t msg_size) {
  uint32_t w[TRN_INST_WORDS];
  for (int i = 0; i < TRN_INST_WORDS; ++i) w[i] = trn_isa_get32(in + 4 * i);
  trn_inst_t inst;
  memset(&inst, 0, sizeof inst);
  inst.opcode = (uint8_t)TRN_GET(w[TRN_W_HEAD], OPCODE);
  if (!trn_isa_opinfo(inst.opcode))
    return trn_isa_fail(msg, msg_size, "unknown opcode 0x%02x", (unsigned)inst.opcode);
  inst.op0 = (uint8_t)TRN_GET(w[TRN_W_HEAD], OP0);
  inst.op1 = (uint8_t)TRN_GET(w[TRN_W_HEAD], OP1);
  inst.flags = (uint8_t)TRN_GET(w[TRN_W_HEAD], FLAGS);
  if (inst.flags & ~TRN_FLAG_MASK)
    return trn_isa_fail(msg, msg_size, "reserved flag bits set (flags 0x%02x)",
                        (unsigned)inst.flags);
  inst.wait_sem = (uint8_t)TRN_GET(w[TRN_W_WAIT], WAIT_SEM);
  inst.wait_value = TRN_GET(w[TRN_W_WAIT], WAIT_VALUE);
  inst.signal_sem = (uint8_t)TRN_GET(w[TRN_W_SIG], SIGNAL_SEM);
  inst.aux = TRN_GET(w[TRN_W_SIG], AUX);
  for (int i = 0; i < 4; ++i) inst.imm[i] = w[TRN_W_IMM + i];
  if (w[TRN_W_RSVD] != 0)
    return trn_isa_fail(msg, msg_size, "reserved word 7 is not zero (0x%08x)",
                        (unsigned)w[TRN_W_RSVD]);
  if (trn_isa_ap_decode(&w[TRN_W_DST], &inst.dst, "dst", msg, msg_size) ||
      trn_isa_ap_decode(&w[TRN_W_SRC0], &inst.src0, "src0", msg, msg_size) ||
      trn_isa_ap_decode(&w[TRN_W_SRC1], &inst.src1, "src1", msg, msg_size))
    return -1;
  *out_inst = inst;
  return 0;
}

uint64_t trn_isa_ap_free_elems(const trn_ap_t *ap) {
  if (!ap || ap->space == TRN_SPACE_NONE) return 0;
  uint64_t n = 1;
  for (int d = 0; d < TRN_AP_DIMS; ++d) n *= ap->num[d];
  return n;
}

/* ---- DMA descriptors --------------------------------------------------------- */

/* Byte offsets within a descriptor. */
enum {
  TRN_DMA_OFF_HEAD = 0,
  TRN_DMA_OFF_SRC_ADDR = 4,
  TRN_DMA_OFF_DST_ADDR = 12,
  TRN_DMA_OFF_NUM = 20,
  TRN_DMA_OFF_SRC_STEP = 36,
  TRN_DMA_OFF_DST_STEP = 68,
  TRN_DMA_OFF_PAD = 100,
};
_Static_assert(TRN_DMA_OFF_PAD == TRN_DMA_OFF_DST_STEP + 8 * TRN_DMA_DIMS, "packed descriptor");
_Static_assert(TRN_DMA_OFF_PAD + 12 == TRN_DMA_DESC_BYTES, "3 pad words");

#define POS_DMA_SRC_SPACE 0
#define SIZE_DMA_SRC_SPACE 8
#define POS_DMA_DST_SPACE 8
#define SIZE_DMA_DST_SPACE 8
#define POS_DMA_SRC_DTYPE 16
#define SIZE_DMA_SRC_DTYPE 8
#define POS_DMA_DST_DTYPE 24
#define SIZE_DMA_DST_DTYPE 8

void trn_isa_dma_encode(const trn_dma_desc_t *desc, uint8_t *out) {
  uint32_t head = 0;
  TRN_SET(head, DMA_SRC_SPACE, desc->src_space);
  TRN_SET(head, DMA_DST_SPACE, desc->dst_space);
  TRN_SET(head, DMA_SRC_DTYPE, desc->src_dtype);
  TRN_SET(head, DMA_DST_DTYPE, desc->dst_dtype);
  trn_isa_put32(out + TRN_DMA_OFF_HEAD, head);
  trn_isa_put64(out + TRN_DMA_OFF_SRC_ADDR, desc->src_addr);
  trn_isa_put64(out + TRN_DMA_OFF_DST_ADDR, desc->dst_addr);
  for (int d = 0; d < TRN_DMA_DIMS; ++d) {
    trn_isa_put32(out + TRN_DMA_OFF_NUM + 4 * d, desc->num[d]);
    trn_isa_put64(out + TRN_DMA_OFF_SRC_STEP + 8 * d, (uint64_t)desc->src_step[d]);
    trn_isa_put64(out + TRN_DMA_OFF_DST_STEP + 8 * d, (uint64_t)desc->dst_step[d]);
  }
  memset(out + TRN_DMA_OFF_PAD, 0, TRN_DMA_DESC_BYTES - TRN_DMA_OFF_PAD);
}

int trn_isa_dma_decode(const uint8_t *in, trn_dma_desc_t *out_desc, char *msg, size_t msg_size) {
  trn_dma_desc_t d;
  memset(&d, 0, sizeof d);
  uint32_t head = trn_isa_get32(in + TRN_DMA_OFF_HEAD);
  d.src_space = (uint8_t)TRN_GET(head, DMA_SRC_SPACE);
  d.dst_space = (uint8_t)TRN_GET(head, DMA_DST_SPACE);
  d.src_dtype = (uint8_t)TRN_GET(head, DMA_SRC_DTYPE);
  d.dst_dtype = (uint8_t)TRN_GET(head, DMA_DST_DTYPE);
  if (d.src_space > TRN_SPACE_HBM || d.src_space == TRN_SPACE_NONE)
    return trn_isa_fail(msg, msg_size, "descriptor: bad src_space %u", (unsigned)d.src_space);
  if (d.dst_space > TRN_SPACE_HBM || d.dst_space == TRN_SPACE_NONE)
    return trn_isa_fail(msg, msg_size, "descriptor: bad dst_space %u", (unsigned)d.dst_space);
  if (d.src_dtype >= TRN_DTYPE_COUNT)
    return trn_isa_fail(msg, msg_size, "descriptor: bad src_dtype %u", (unsigned)d.src_dtype);
  if (d.dst_dtype >= TRN_DTYPE_COUNT)
    return trn_isa_fail(msg, msg_size, "descriptor: bad dst_dtype %u", (unsigned)d.dst_dtype);
  d.src_addr = trn_isa_get64(in + TRN_DMA_OFF_SRC_ADDR);
  d.dst_addr = trn_isa_get64(in + TRN_DMA_OFF_DST_ADDR);
  for (int i = 0; i < TRN_DMA_DIMS; ++i) {
    d.num[i] = trn_isa_get32(in + TRN_DMA_OFF_NUM + 4 * i);
    d.src_step[i] = (int64_t)trn_isa_get64(in + TRN_DMA_OFF_SRC_STEP + 8 * i);
    d.dst_step[i] = (int64_t)trn_isa_get64(in + TRN_DMA_OFF_DST_STEP + 8 * i);
  }
  for (int off = TRN_DMA_OFF_PAD; off < TRN_DMA_DESC_BYTES; off += 4) {
    uint32_t pad = trn_isa_get32(in + off);
    if (pad != 0)
      return trn_isa_fail(msg, msg_size, "descriptor: reserved pad word at byte %d is 0x%08x",
                          off, (unsigned)pad);
  }
  *out_desc = d;
  return 0;
}

uint64_t trn_isa_dma_elems(const trn_dma_desc_t *desc) {
  if (!desc) return 0;
  uint64_t n = 1;
  for (int d = 0; d < TRN_DMA_DIMS; ++d) /* four 32-bit counts can pass 2^64: saturate */
    n = desc->num[d] && n > UINT64_MAX / desc->num[d] ? UINT64_MAX : n * desc->num[d];
  return n;
}
