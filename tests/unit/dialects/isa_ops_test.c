/* Unit tests of dialects/isa_ops.c: trn_isa ops <-> trn_inst_t / trn_dma_desc_t. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dialects_test_util.h"

/* A deterministic generator (no global state). */
static uint32_t next(uint64_t *s) {
  *s = *s * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(*s >> 33);
}

static void random_ap(uint64_t *s, trn_ap_t *ap) {
  memset(ap, 0, sizeof *ap);
  ap->space = (uint8_t)(TRN_SPACE_SBUF + next(s) % 2);
  ap->dtype = (uint8_t)(next(s) % TRN_DTYPE_COUNT);
  ap->start_partition = (uint8_t)(next(s) % 64);
  ap->num_partitions = (uint8_t)(1 + next(s) % 64);
  ap->offset = next(s) % 4096;
  for (int d = 0; d < TRN_AP_DIMS; d++) {
    ap->num[d] = (uint16_t)(1 + next(s) % 300);
    ap->step[d] = (int32_t)(next(s) % 1000) - 500;
  }
}

static uint8_t random_alu(uint64_t *s) {
  for (;;) {
    uint8_t v = (uint8_t)(next(s) % 0x28);
    if (trn_isa_alu_name(v)) return v;
  }
}

static uint8_t random_act(uint64_t *s) {
  for (;;) {
    uint8_t v = (uint8_t)(next(s) % 0x20);
    if (trn_isa_act_name(v)) return v;
  }
}

static void random_inst(uint64_t *s, const trn_opinfo_t *info, trn_inst_t *in) {
  memset(in, 0, sizeof *in);
  in->opcode = (uint8_t)info->opcode;
  in->wait_sem = next(s) % 3 ? (uint8_t)(next(s) % 64) : TRN_SEM_NONE;
  in->wait_value = in->wait_sem == TRN_SEM_NONE ? 0 : next(s) % 0xFFFFFF;
  in->signal_sem = next(s) % 3 ? (uint8_t)(next(s) % 64) : TRN_SEM_NONE;
  in->flags = (uint8_t)(next(s) & 0x1F);
  if (info->opcode == TRN_OP_DMA) return;
  switch (info->format) {
  case TRN_FMT_ACT:
    in->op0 = random_act(s);
    break;
  case TRN_FMT_T3:
  case TRN_FMT_TS:
  case TRN_FMT_T2:
    in->op0 = random_alu(s);
    in->op1 = random_alu(s);
    break;
  default:
    break;
  }
  for (int i = 0; i < 4; i++) {
    if (next(s) % 2) continue;
    if (i < 2 && info->opcode == TRN_OP_ACTIVATE) {
      float f = (float)((int)(next(s) % 2001) - 1000) / 64.0f;
      memcpy(&in->imm[i], &f, 4);
    } else {
      in->imm[i] = next(s);
    }
  }
  if (info->format != TRN_FMT_NONE) random_ap(s, &in->dst);
  if (info->format != TRN_FMT_NONE && info->format != TRN_FMT_T1) random_ap(s, &in->src0);
  if (info->format == TRN_FMT_T3 || info->format == TRN_FMT_MATMUL || next(s) % 2)
    if (info->format == TRN_FMT_T3 || info->format == TRN_FMT_TS || info->format == TRN_FMT_ACT ||
        info->format == TRN_FMT_MATMUL)
      random_ap(s, &in->src1);
}

START_TEST(test_isa_op_roundtrip_every_opcode) {
  MlirContext ctx = test_context();
  MlirLocation loc = mlirLocationUnknownGet(ctx);
  uint64_t seed = 42;
  for (size_t i = 0; i < trn_isa_opcode_count(); i++) {
    const trn_opinfo_t *info = trn_isa_opinfo_at(i);
    for (int rep = 0; rep < 20; rep++) {
      trn_inst_t in, out;
      random_inst(&seed, info, &in);
      uint32_t stream = next(&seed) % TRN_MAX_STREAMS;
      trn_dma_desc_t descs[2];
      size_t nd = 0;
      if (info->opcode == TRN_OP_DMA) {
        nd = 1 + next(&seed) % 2;
        for (size_t k = 0; k < nd; k++) {
          memset(&descs[k], 0, sizeof descs[k]);
          descs[k].src_space = TRN_SPACE_HBM;
          descs[k].dst_space = TRN_SPACE_SBUF;
          descs[k].src_dtype = TRN_DTYPE_FP32;
          descs[k].dst_dtype = (uint8_t)(next(&seed) % TRN_DTYPE_COUNT);
          descs[k].src_addr = next(&seed);
          descs[k].dst_addr = next(&seed) % 100000;
          for (int d = 0; d < TRN_DMA_DIMS; d++) {
            descs[k].num[d] = 1 + next(&seed) % 9;
            descs[k].src_step[d] = (int64_t)(next(&seed) % 100) - 50;
            descs[k].dst_step[d] = (int64_t)next(&seed) * 3;
          }
        }
      }
      MlirOperation op = trn_dialects_isa_build(ctx, loc, &in, stream, descs, nd);
      ck_assert(!mlirOperationIsNull(op));
      ck_assert(mlirOperationVerify(op));
      trn_opcode_t opcode;
      ck_assert(trn_dialects_isa_is_inst(op, &opcode));
      ck_assert_int_eq(opcode, info->opcode);
      char msg[256] = "";
      uint32_t s2 = 99;
      ck_assert_msg(trn_dialects_isa_read(op, &out, &s2, msg, sizeof msg) == 0, "%s: %s", info->mnemonic, msg);
      ck_assert_uint_eq(s2, stream);
      ck_assert_msg(memcmp(&in, &out, sizeof in) == 0, "%s: instruction differs after the round trip",
                    info->mnemonic);
      ck_assert_uint_eq(trn_dialects_isa_dma_count(op), nd);
      for (size_t k = 0; k < nd; k++) {
        trn_dma_desc_t d;
        ck_assert_msg(trn_dialects_isa_read_dma(op, k, &d, msg, sizeof msg) == 0, "%s", msg);
        ck_assert(memcmp(&d, &descs[k], sizeof d) == 0);
      }
      mlirOperationDestroy(op);
    }
  }
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_isa_op_set_sync_replaces_semaphores) {
  MlirContext ctx = test_context();
  trn_inst_t in;
  memset(&in, 0, sizeof in);
  in.opcode = TRN_OP_NOP;
  in.wait_sem = TRN_SEM_NONE;
  in.signal_sem = TRN_SEM_NONE;
  MlirOperation op = trn_dialects_isa_build(ctx, mlirLocationUnknownGet(ctx), &in, 3, NULL, 0);
  trn_dialects_isa_set_sync(op, 5, 7, 3);
  trn_inst_t out;
  uint32_t stream;
  char msg[128];
  ck_assert_int_eq(trn_dialects_isa_read(op, &out, &stream, msg, sizeof msg), 0);
  ck_assert_uint_eq(out.wait_sem, 5);
  ck_assert_uint_eq(out.wait_value, 7);
  ck_assert_uint_eq(out.signal_sem, 3);
  trn_dialects_isa_set_sync(op, TRN_SEM_NONE, 0, TRN_SEM_NONE);
  ck_assert_int_eq(trn_dialects_isa_read(op, &out, &stream, msg, sizeof msg), 0);
  ck_assert_uint_eq(out.wait_sem, TRN_SEM_NONE);
  ck_assert_uint_eq(out.signal_sem, TRN_SEM_NONE);
  mlirOperationDestroy(op);
  mlirContextDestroy(ctx);
}
END_TEST

static MlirOperation parse_op(MlirContext ctx, const char *text) {
  MlirModule m = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(text));
  ck_assert(!mlirModuleIsNull(m));
  MlirOperation op = mlirOperationClone(mlirBlockGetFirstOperation(mlirModuleGetBody(m)));
  mlirModuleDestroy(m);
  return op;
}

START_TEST(test_isa_op_read_reports_the_bad_attribute) {
  MlirContext ctx = test_context();
  static const struct {
    const char *text, *expect;
  } cases[] = {
      {"\"trn_isa.activate\"() {stream = 1 : i64, op0 = \"frobnicate\"} : () -> ()", "unknown operation 'frobnicate'"},
      {"\"trn_isa.nop\"() {stream = 99 : i64} : () -> ()", "stream 99 out of range"},
      {"\"trn_isa.nop\"() {stream = 0 : i64, wait = array<i64: 3>} : () -> ()", "'wait'"},
      {"\"trn_isa.matmul\"() {stream = 0 : i64, dst = {space = \"dram\"}} : () -> ()", "unknown memory space 'dram'"},
      {"\"trn_isa.matmul\"() {stream = 0 : i64, flags = [\"fast\"]} : () -> ()", "not a known flag"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    MlirOperation op = parse_op(ctx, cases[i].text);
    trn_inst_t out;
    uint32_t stream;
    char msg[256] = "";
    ck_assert_int_eq(trn_dialects_isa_read(op, &out, &stream, msg, sizeof msg), -1);
    ck_assert_msg(strstr(msg, cases[i].expect) != NULL, "'%s' lacks '%s'", msg, cases[i].expect);
    mlirOperationDestroy(op);
  }
  mlirContextDestroy(ctx);
}
END_TEST

START_TEST(test_isa_op_every_opcode_has_an_irdl_op) {
  const char *src = trn_dialects_irdl_source();
  for (size_t i = 0; i < trn_isa_opcode_count(); i++) {
    char needle[64];
    snprintf(needle, sizeof needle, "irdl.operation @%s ", trn_isa_opinfo_at(i)->mnemonic);
    ck_assert_msg(strstr(src, needle) != NULL, "no trn_isa op for %s", trn_isa_opinfo_at(i)->mnemonic);
  }
}
END_TEST

START_TEST(test_dialects_load_is_idempotent) {
  MlirContext ctx = test_context();
  ck_assert(mlirLogicalResultIsSuccess(trn_dialects_load(ctx)));
  mlirContextDestroy(ctx);
}
END_TEST

int main(void) {
  Suite *s = suite_create("dialects_isa_ops");
  TCase *tc = tcase_create("isa_ops");
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_isa_op_roundtrip_every_opcode);
  tcase_add_test(tc, test_isa_op_set_sync_replaces_semaphores);
  tcase_add_test(tc, test_isa_op_read_reports_the_bad_attribute);
  tcase_add_test(tc, test_isa_op_every_opcode_has_an_irdl_op);
  tcase_add_test(tc, test_dialects_load_is_idempotent);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
