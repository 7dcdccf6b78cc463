/* Helpers shared by the isa unit tests: a seeded PRNG (state on the caller's stack)
 * and generators of random, decodable instructions and descriptors. */
#ifndef TRN_ISA_TEST_UTIL_H
#define TRN_ISA_TEST_UTIL_H

#include <string.h>

#include "trn/isa.h"

typedef struct trn_test_rng_t {
  uint64_t s;
} trn_test_rng_t;

static inline uint32_t trn_test_rand(trn_test_rng_t *r) {
  r->s ^= r->s << 13;
  r->s ^= r->s >> 7;
  r->s ^= r->s << 17;
  return (uint32_t)(r->s >> 11);
}

static inline void trn_test_rand_ap(trn_test_rng_t *r, trn_ap_t *ap) {
  memset(ap, 0, sizeof *ap);
  if (trn_test_rand(r) % 4 == 0) return; /* unused operand */
  ap->space = (uint8_t)(trn_test_rand(r) % 4);
  ap->dtype = (uint8_t)(trn_test_rand(r) % TRN_DTYPE_COUNT);
  ap->start_partition = (uint8_t)(trn_test_rand(r) % 128);
  ap->num_partitions = (uint8_t)trn_test_rand(r);
  ap->offset = trn_test_rand(r);
  for (int d = 0; d < TRN_AP_DIMS; ++d) {
    ap->num[d] = (uint16_t)trn_test_rand(r);
    ap->step[d] = (int32_t)trn_test_rand(r);
  }
  if (trn_test_rand(r) % 2) { /* typical: trailing dims unused */
    ap->num[2] = 1;
    ap->step[2] = 0;
  }
}

/* A random instruction of opcode `op` that trn_isa_decode accepts. */
static inline void trn_test_rand_inst(trn_test_rng_t *r, trn_opcode_t op, trn_inst_t *in) {
  memset(in, 0, sizeof *in);
  in->opcode = (uint8_t)op;
  in->op0 = (uint8_t)trn_test_rand(r);
  in->op1 = (uint8_t)trn_test_rand(r);
  in->flags = (uint8_t)(trn_test_rand(r) & 0x1F);
  in->wait_sem = (uint8_t)trn_test_rand(r);
  in->wait_value = trn_test_rand(r) & 0xFFFFFF;
  in->signal_sem = (uint8_t)trn_test_rand(r);
  in->aux = trn_test_rand(r) & 0xFFFFFF;
  for (int i = 0; i < 4; ++i) in->imm[i] = trn_test_rand(r) % 3 ? trn_test_rand(r) : 0;
  if (trn_test_rand(r) % 3 == 0) {
    in->wait_sem = TRN_SEM_NONE;
    in->wait_value = 0;
  }
  trn_test_rand_ap(r, &in->dst);
  trn_test_rand_ap(r, &in->src0);
  trn_test_rand_ap(r, &in->src1);
}

static inline void trn_test_rand_desc(trn_test_rng_t *r, trn_dma_desc_t *d) {
  memset(d, 0, sizeof *d);
  d->src_space = (uint8_t)(1 + trn_test_rand(r) % 3);
  d->dst_space = (uint8_t)(1 + trn_test_rand(r) % 3);
  d->src_dtype = (uint8_t)(trn_test_rand(r) % TRN_DTYPE_COUNT);
  d->dst_dtype = (uint8_t)(trn_test_rand(r) % TRN_DTYPE_COUNT);
  d->src_addr = (uint64_t)trn_test_rand(r) << 32 | trn_test_rand(r);
  d->dst_addr = (uint64_t)trn_test_rand(r) << 32 | trn_test_rand(r);
  for (int i = 0; i < TRN_DMA_DIMS; ++i) {
    d->num[i] = trn_test_rand(r);
    d->src_step[i] = (int64_t)((uint64_t)trn_test_rand(r) << 32 | trn_test_rand(r));
    d->dst_step[i] = (int64_t)((uint64_t)trn_test_rand(r) << 32 | trn_test_rand(r));
  }
  d->src_step[3] = INT64_MIN;
  d->dst_step[3] = INT64_MAX;
}

/* Valid on-chip AP of p partitions x n contiguous elements. */
static inline trn_ap_t trn_test_ap(trn_space_t space, trn_dtype_t dtype, unsigned p, unsigned n,
                                   uint32_t offset) {
  trn_ap_t ap;
  memset(&ap, 0, sizeof ap);
  ap.space = (uint8_t)space;
  ap.dtype = (uint8_t)dtype;
  ap.num_partitions = (uint8_t)p;
  ap.offset = offset;
  ap.num[0] = (uint16_t)n;
  ap.num[1] = ap.num[2] = 1;
  ap.step[0] = 1;
  return ap;
}

static inline trn_inst_t trn_test_inst(trn_opcode_t op) {
  trn_inst_t in;
  memset(&in, 0, sizeof in);
  in.opcode = (uint8_t)op;
  in.wait_sem = TRN_SEM_NONE;
  in.signal_sem = TRN_SEM_NONE;
  return in;
}

#endif /* TRN_ISA_TEST_UTIL_H */
