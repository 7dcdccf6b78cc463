/* Unit tests of isa/src/asm.c: the text assembly of instructions and descriptors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "isa_test_util.h"

/* assemble -> encode -> decode -> disassemble must reproduce `line` and `inst`. */
static void roundtrip_text(const char *line, const trn_inst_t *want) {
  trn_inst_t a, d;
  char msg[256] = "", back[1024];
  ck_assert_msg(trn_isa_assemble_line(line, &a, msg, sizeof msg) == 0, "'%s': %s", line, msg);
  if (want) ck_assert_mem_eq(&a, want, sizeof a);
  uint8_t bytes[TRN_INST_BYTES];
  trn_isa_encode(&a, bytes);
  ck_assert_msg(trn_isa_decode(bytes, &d, msg, sizeof msg) == 0, "%s", msg);
  ck_assert_mem_eq(&a, &d, sizeof a);
  int n = trn_isa_disassemble(&d, back, sizeof back);
  ck_assert_int_lt(n, (int)sizeof back);
  ck_assert_str_eq(back, line);
}

START_TEST(test_asm_roundtrip_every_opcode) {
  trn_test_rng_t rng = {0xC0FFEEull};
  for (size_t i = 0; i < trn_isa_opcode_count(); ++i) {
    trn_opcode_t op = trn_isa_opinfo_at(i)->opcode;
    for (int rep = 0; rep < 300; ++rep) {
      trn_inst_t in;
      trn_test_rand_inst(&rng, op, &in);
      char line[1024];
      int n = trn_isa_disassemble(&in, line, sizeof line);
      ck_assert_int_eq(n, (int)strlen(line));
      roundtrip_text(line, &in);
    }
  }
}
END_TEST

START_TEST(test_asm_example_lines) {
  trn_inst_t in = trn_test_inst(TRN_OP_MATMUL);
  in.flags = TRN_FLAG_ACC;
  in.dst = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 128, 512, 0);
  in.src0 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 128, 128, 0x400);
  in.src1 = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 128, 512, 0x800);
  in.wait_sem = 3;
  in.wait_value = 2;
  in.signal_sem = 4;
  roundtrip_text("matmul.acc dst=psum[0:128]+0x0 fp32 [512:1] src0=sbuf[0:128]+0x400 bf16 "
                 "[128:1] src1=sbuf[0:128]+0x800 bf16 [512:1] wait=s3>=2 signal=s4",
                 &in);

  trn_inst_t act = trn_test_inst(TRN_OP_ACTIVATE);
  act.op0 = TRN_ACT_EXP;
  act.flags = TRN_FLAG_ACCUM;
  act.dst = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_BF16, 64, 16, 0x20);
  act.dst.start_partition = 64;
  act.dst.num[1] = 4;
  act.dst.step[1] = -16;
  act.src0 = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_FP32, 64, 64, 0);
  act.src0.start_partition = 64;
  float scale = 0.125f, bias = -1.5f;
  memcpy(&act.imm[0], &scale, 4);
  memcpy(&act.imm[1], &bias, 4);
  act.imm[2] = 63;
  roundtrip_text("activate.accum op0=exp dst=sbuf[64:128]+0x20 bf16 [4:-16,16:1] "
                 "src0=psum[64:128]+0x0 fp32 [64:1] imm0=0.125 imm1=-1.5 imm2=63",
                 &act);

  roundtrip_text("halt", NULL);
  roundtrip_text("nop wait=s0>=0", NULL);
  roundtrip_text("dma imm0=3 aux=12 signal=s1", NULL);
  roundtrip_text("tensor_scalar.s0ap.rev op0=mul op1=add dst=sbuf[0:1]+0x0 fp32 [2:5,3:1] "
                 "src0=sbuf[0:1]+0x0 fp32 [2:5,3:1] src1=sbuf[0:1]+0x10 fp32 [1:1] "
                 "imm1=inf",
                 NULL);
  roundtrip_text("select dst=sbuf[0:2]+0x0 fp32 [1:1] src0=sbuf[0:2]+0x0 u8 [1:1] "
                 "src1=sbuf[0:2]+0x0 fp32 [1:1] imm0=0x7fc00001",
                 NULL);
  roundtrip_text("memset dst=sbuf[0:2]+0x0 bf16 [8:1] imm0=0x3f80", NULL);
  roundtrip_text("iota dst=sbuf[0:128]+0x0 i32 [8:1] imm0=-5 imm1=8", NULL);
  roundtrip_text("tensor_tensor op0=bypass dst=sbuf[0:1]+0x0 fp32 [1:1]", NULL);
}
END_TEST

START_TEST(test_asm_accepts_spacing_and_comments) {
  trn_inst_t a, b;
  char msg[256];
  ck_assert_int_eq(trn_isa_assemble_line("  nop   signal=s2   wait=s1>=0x10  # comment", &a, msg,
                                         sizeof msg),
                   0);
  ck_assert_int_eq(trn_isa_assemble_line("nop wait=s1>=16 signal=s2", &b, msg, sizeof msg), 0);
  ck_assert_mem_eq(&a, &b, sizeof a);
  ck_assert_uint_eq(a.wait_value, 16);
  ck_assert_int_eq(trn_isa_assemble_line("tensor_scalar op0=0 op1=1 imm0=0x3f800000", &a, msg,
                                         sizeof msg),
                   0);
  ck_assert_uint_eq(a.op1, TRN_ALU_ADD);
  ck_assert_uint_eq(a.imm[0], 0x3F800000u);
  ck_assert_int_eq(trn_isa_assemble_line("tensor_scalar imm0=1.0 imm1=0x1p-2", &a, msg,
                                         sizeof msg),
                   0);
  ck_assert_uint_eq(a.imm[0], 0x3F800000u);
  ck_assert_uint_eq(a.imm[1], 0x3E800000u);
}
END_TEST

static void expect_error(const char *line, const char *needle) {
  trn_inst_t in;
  char msg[256] = "";
  ck_assert_int_eq(trn_isa_assemble_line(line, &in, msg, sizeof msg), -1);
  ck_assert_msg(strstr(msg, needle) != NULL, "'%s': message '%s' lacks '%s'", line, msg, needle);
}

START_TEST(test_asm_rejects_with_column) {
  expect_error("matmull", "column 1: unknown mnemonic at 'matmull'");
  expect_error("", "unknown mnemonic");
  expect_error("matmul.accc", "column 8: unknown flag");
  expect_error("nop foo=1", "column 5: unknown key at 'foo=1'");
  expect_error("nop signal=s1 signal=s2", "column 15: repeated key");
  expect_error("nop signal=s256", "out of range");
  expect_error("nop wait=s1>3", "expected '>='");
  expect_error("activate op0=add", "column 14: unknown activation function");
  expect_error("tensor_tensor op0=exp", "unknown ALU op");
  expect_error("nop dst=sbuf[4:2]+0x0 fp32 [1:1]", "partition end");
  expect_error("nop dst=dram[0:1]+0x0 fp32 [1:1]", "memory space");
  expect_error("nop dst=sbuf[0:1]+0x0 f32 [1:1]", "dtype");
  expect_error("nop dst=sbuf[0:1]+0x0 fp32 [1:1,1:1,1:1,1:1]", "too many dims");
  expect_error("nop dst=sbuf[0:1]+0x0 fp32 [65536:1]", "out of range");
  expect_error("nop dst=sbuf[0:1]+0x0 fp32 [1:1]x", "whitespace");
  expect_error("select imm0=nan", "fp32 value");
  expect_error("iota imm0=4294967296", "out of range");
  expect_error("dma aux=16777216", "out of range");
  expect_error("nop signal=s1signal=s2", "whitespace");
}
END_TEST

START_TEST(test_dma_text_roundtrip) {
  trn_test_rng_t rng = {99};
  for (int rep = 0; rep < 1000; ++rep) {
    trn_dma_desc_t d, a, b;
    trn_test_rand_desc(&rng, &d);
    if (rep % 2) { /* typical: outer dims unused */
      for (int i = 1 + rep % 3; i < TRN_DMA_DIMS; ++i) {
        d.num[i] = 1;
        d.src_step[i] = d.dst_step[i] = 0;
      }
    }
    char line[512], back[512], msg[256] = "";
    int n = trn_isa_dma_disassemble(&d, line, sizeof line);
    ck_assert_int_eq(n, (int)strlen(line));
    ck_assert_msg(trn_isa_dma_assemble_line(line, &a, msg, sizeof msg) == 0, "'%s': %s", line,
                  msg);
    ck_assert_mem_eq(&a, &d, sizeof d);
    uint8_t bytes[TRN_DMA_DESC_BYTES];
    trn_isa_dma_encode(&a, bytes);
    ck_assert_int_eq(trn_isa_dma_decode(bytes, &b, msg, sizeof msg), 0);
    trn_isa_dma_disassemble(&b, back, sizeof back);
    ck_assert_str_eq(back, line);
  }
  trn_dma_desc_t d;
  char msg[256] = "";
  const char *line = ".desc src=hbm+0x1000 fp32 [128:512,512:1] dst=sbuf+0x0 bf16 "
                     "[128:98304,512:1]";
  ck_assert_int_eq(trn_isa_dma_assemble_line(line, &d, msg, sizeof msg), 0);
  ck_assert_uint_eq(d.num[1], 128);
  ck_assert_int_eq(d.dst_step[1], 98304);
  ck_assert_uint_eq(d.num[3], 1);
  ck_assert_uint_eq(trn_isa_dma_elems(&d), 65536);
  ck_assert_int_eq(trn_isa_dma_assemble_line(".desc src=hbm+0x0 fp32 [2:1] dst=sbuf+0x0 fp32 "
                                             "[3:1]",
                                             &d, msg, sizeof msg),
                   -1);
  ck_assert_ptr_nonnull(strstr(msg, "dims differ"));
  ck_assert_int_eq(trn_isa_dma_assemble_line(".desc src=hbm+0x0 fp32 [2:1] dst=sbuf+0x0 fp32 "
                                             "[1:0,2:1]",
                                             &d, msg, sizeof msg),
                   -1);
  ck_assert_int_eq(trn_isa_dma_assemble_line(".desc dst=hbm+0x0 fp32 [2:1]", &d, msg,
                                             sizeof msg),
                   -1);
  ck_assert_ptr_nonnull(strstr(msg, "column 7: expected 'src='"));
}
END_TEST

START_TEST(test_disassemble_truncates_like_snprintf) {
  trn_inst_t in = trn_test_inst(TRN_OP_NOP);
  in.signal_sem = 7;
  char small[6];
  int n = trn_isa_disassemble(&in, small, sizeof small);
  ck_assert_int_eq(n, (int)strlen("nop signal=s7"));
  ck_assert_str_eq(small, "nop s");
  ck_assert_int_eq(trn_isa_disassemble(&in, NULL, 0), n);
}
END_TEST

int main(void) {
  Suite *s = suite_create("isa_asm");
  TCase *tc = tcase_create("asm");
  tcase_add_test(tc, test_asm_roundtrip_every_opcode);
  tcase_add_test(tc, test_asm_example_lines);
  tcase_add_test(tc, test_asm_accepts_spacing_and_comments);
  tcase_add_test(tc, test_asm_rejects_with_column);
  tcase_add_test(tc, test_dma_text_roundtrip);
  tcase_add_test(tc, test_disassemble_truncates_like_snprintf);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
