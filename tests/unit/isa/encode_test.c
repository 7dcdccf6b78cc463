/* Unit tests of isa/src/encode.c: binary instructions and DMA descriptors. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "isa_test_util.h"

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

START_TEST(test_inst_roundtrip_every_opcode) {
  trn_test_rng_t rng = {0x9E3779B97F4A7C15ull};
  for (size_t i = 0; i < trn_isa_opcode_count(); ++i) {
    trn_opcode_t op = trn_isa_opinfo_at(i)->opcode;
    for (int rep = 0; rep < 200; ++rep) {
      trn_inst_t in, out;
      trn_test_rand_inst(&rng, op, &in);
      uint8_t bytes[TRN_INST_BYTES];
      trn_isa_encode(&in, bytes);
      char msg[256] = "";
      ck_assert_msg(trn_isa_decode(bytes, &out, msg, sizeof msg) == 0, "%s", msg);
      ck_assert_mem_eq(&in, &out, sizeof in);
    }
  }
}
END_TEST

START_TEST(test_inst_layout) {
  trn_inst_t in = trn_test_inst(TRN_OP_MATMUL);
  in.op0 = 0x12;
  in.op1 = 0x34;
  in.flags = TRN_FLAG_ACC;
  in.wait_sem = 3;
  in.wait_value = 0xABCDEF;
  in.signal_sem = 4;
  in.aux = 0x123456;
  in.imm[0] = 0xDEADBEEF;
  in.dst = trn_test_ap(TRN_SPACE_PSUM, TRN_DTYPE_BF16, 128, 512, 0x40);
  in.dst.start_partition = 5;
  in.dst.step[2] = -2;
  uint8_t b[TRN_INST_BYTES];
  trn_isa_encode(&in, b);
  ck_assert_uint_eq(get32(b + 0), 0x01341210u);
  ck_assert_uint_eq(get32(b + 4), 0xABCDEF03u);
  ck_assert_uint_eq(get32(b + 8), 0x12345604u);
  ck_assert_uint_eq(get32(b + 12), 0xDEADBEEFu);
  ck_assert_uint_eq(get32(b + 28), 0);
  /* dst AP word 0: space 2 | dtype 1 << 2 | start 5 << 6 | nparts 128 << 13 */
  ck_assert_uint_eq(get32(b + 32), 2u | 1u << 2 | 5u << 6 | 128u << 13);
  ck_assert_uint_eq(get32(b + 36), 0x40);
  ck_assert_uint_eq(get32(b + 40), 512u | 1u << 16);
  ck_assert_uint_eq(get32(b + 44), 1u);
  ck_assert_uint_eq(get32(b + 48), 1u);
  ck_assert_uint_eq(get32(b + 56), 0xFFFFFFFEu);
  for (int i = 16; i < 32; ++i) ck_assert_uint_eq(get32(b + 4 * i), 0);
}
END_TEST

START_TEST(test_inst_decode_rejects) {
  trn_inst_t in = trn_test_inst(TRN_OP_NOP), out;
  uint8_t good[TRN_INST_BYTES], b[TRN_INST_BYTES];
  char msg[256];
  trn_isa_encode(&in, good);
  ck_assert_int_eq(trn_isa_decode(good, &out, msg, sizeof msg), 0);

  memcpy(b, good, sizeof b);
  b[0] = 0x02; /* reserved opcode */
  ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "unknown opcode 0x02"));
  b[0] = 0xFF;
  ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);

  memcpy(b, good, sizeof b);
  b[3] = 0x20; /* reserved flag bit */
  ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "flag"));

  memcpy(b, good, sizeof b);
  put32(b + 28, 1); /* reserved word 7 */
  ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "word 7"));

  static const int ap_base[] = {32, 64, 96};
  static const char *const names[] = {"dst", "src0", "src1"};
  for (int a = 0; a < 3; ++a) {
    memcpy(b, good, sizeof b);
    put32(b + ap_base[a], 1u << 21); /* reserved bit of AP word 0 */
    ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, names[a]));
    memcpy(b, good, sizeof b);
    put32(b + ap_base[a], (uint32_t)TRN_DTYPE_COUNT << 2); /* bad dtype */
    ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
    ck_assert_ptr_nonnull(strstr(msg, "dtype"));
    memcpy(b, good, sizeof b);
    put32(b + ap_base[a] + 12, 1u << 16); /* reserved half of AP word 3 */
    ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
    memcpy(b, good, sizeof b);
    put32(b + ap_base[a] + 28, 7); /* reserved AP word 7 */
    ck_assert_int_eq(trn_isa_decode(b, &out, msg, sizeof msg), -1);
  }
  /* No message buffer is fine. */
  memcpy(b, good, sizeof b);
  b[0] = 0x03;
  ck_assert_int_eq(trn_isa_decode(b, &out, NULL, 0), -1);
}
END_TEST

START_TEST(test_encode_masks_out_of_range) {
  trn_inst_t in = trn_test_inst(TRN_OP_NOP), out;
  in.wait_sem = 0;
  in.wait_value = 0xFF000001u; /* only 24 bits encoded */
  in.dst.start_partition = 0xFF; /* 7 bits */
  in.dst.space = 7;              /* 2 bits */
  in.dst.num[0] = in.dst.num[1] = in.dst.num[2] = 1;
  uint8_t b[TRN_INST_BYTES];
  trn_isa_encode(&in, b);
  ck_assert_int_eq(trn_isa_decode(b, &out, NULL, 0), 0);
  ck_assert_uint_eq(out.wait_value, 1);
  ck_assert_uint_eq(out.dst.start_partition, 127);
  ck_assert_uint_eq(out.dst.space, 3);
}
END_TEST

START_TEST(test_dma_roundtrip) {
  trn_test_rng_t rng = {12345};
  for (int rep = 0; rep < 1000; ++rep) {
    trn_dma_desc_t d, out;
    trn_test_rand_desc(&rng, &d);
    uint8_t b[TRN_DMA_DESC_BYTES];
    memset(b, 0xAA, sizeof b);
    trn_isa_dma_encode(&d, b);
    char msg[256] = "";
    ck_assert_msg(trn_isa_dma_decode(b, &out, msg, sizeof msg) == 0, "%s", msg);
    ck_assert_mem_eq(&d, &out, sizeof d);
  }
}
END_TEST

START_TEST(test_dma_layout_and_rejects) {
  trn_dma_desc_t d;
  memset(&d, 0, sizeof d);
  d.src_space = TRN_SPACE_HBM;
  d.dst_space = TRN_SPACE_SBUF;
  d.src_dtype = TRN_DTYPE_FP32;
  d.dst_dtype = TRN_DTYPE_BF16;
  d.src_addr = 0x0102030405060708ull;
  d.num[0] = 512;
  d.num[1] = 128;
  d.num[2] = d.num[3] = 1;
  d.src_step[0] = 1;
  d.src_step[1] = -512;
  uint8_t b[TRN_DMA_DESC_BYTES], c[TRN_DMA_DESC_BYTES];
  trn_isa_dma_encode(&d, b);
  ck_assert_uint_eq(get32(b), 3u | 1u << 8 | 0u << 16 | 1u << 24);
  ck_assert_uint_eq(get32(b + 4), 0x05060708u);
  ck_assert_uint_eq(get32(b + 8), 0x01020304u);
  ck_assert_uint_eq(get32(b + 20), 512);
  ck_assert_uint_eq(get32(b + 44), 0xFFFFFE00u); /* src_step[1] low word */
  ck_assert_uint_eq(trn_isa_dma_elems(&d), 512u * 128u);
  char msg[256];
  trn_dma_desc_t out;
  memcpy(c, b, sizeof c);
  c[108] = 1; /* pad */
  ck_assert_int_eq(trn_isa_dma_decode(c, &out, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "pad"));
  memcpy(c, b, sizeof c);
  c[0] = 4; /* src_space */
  ck_assert_int_eq(trn_isa_dma_decode(c, &out, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "src_space"));
  memcpy(c, b, sizeof c);
  c[1] = 0; /* dst_space none */
  ck_assert_int_eq(trn_isa_dma_decode(c, &out, msg, sizeof msg), -1);
  memcpy(c, b, sizeof c);
  c[3] = TRN_DTYPE_COUNT;
  ck_assert_int_eq(trn_isa_dma_decode(c, &out, msg, sizeof msg), -1);
  ck_assert_ptr_nonnull(strstr(msg, "dst_dtype"));
}
END_TEST

START_TEST(test_ap_free_elems) {
  trn_ap_t ap = trn_test_ap(TRN_SPACE_SBUF, TRN_DTYPE_FP32, 128, 512, 0);
  ck_assert_uint_eq(trn_isa_ap_free_elems(&ap), 512);
  ap.num[1] = 3;
  ap.num[2] = 65535;
  ck_assert_uint_eq(trn_isa_ap_free_elems(&ap), 512ull * 3 * 65535);
  ap.space = TRN_SPACE_NONE;
  ck_assert_uint_eq(trn_isa_ap_free_elems(&ap), 0);
  ck_assert_uint_eq(trn_isa_ap_free_elems(NULL), 0);
}
END_TEST

int main(void) {
  Suite *s = suite_create("isa_encode");
  TCase *tc = tcase_create("encode");
  tcase_add_test(tc, test_inst_roundtrip_every_opcode);
  tcase_add_test(tc, test_inst_layout);
  tcase_add_test(tc, test_inst_decode_rejects);
  tcase_add_test(tc, test_encode_masks_out_of_range);
  tcase_add_test(tc, test_dma_roundtrip);
  tcase_add_test(tc, test_dma_layout_and_rejects);
  tcase_add_test(tc, test_ap_free_elems);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
