/* Helpers shared by the runtime-abi unit tests: a sample program built with the
 * writer, and patching of .neff bytes with a recomputed checksum. */
#ifndef TRN_RT_NEFF_TEST_UTIL_H
#define TRN_RT_NEFF_TEST_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "neff_format.h"
#include "trn/runtime.h"

/* Fails the test with the status message if `expr` returns an error. */
#define TRN_CK_OK(expr)                                                       \
  do {                                                                        \
    trn_status_t st_ = (expr);                                                \
    ck_assert_msg(st_ == NULL, "%s: %s", #expr, trn_status_message(st_));     \
  } while (0)

static inline trn_inst_t trn_test_inst(const char *text) {
  trn_inst_t inst;
  char msg[256] = "";
  int rc = trn_isa_assemble_line(text, &inst, msg, sizeof(msg));
  ck_assert_msg(rc == 0, "assemble '%s': %s", text, msg);
  return inst;
}

static inline trn_dma_desc_t trn_test_desc(const char *text) {
  trn_dma_desc_t d;
  char msg[256] = "";
  int rc = trn_isa_dma_assemble_line(text, &d, msg, sizeof(msg));
  ck_assert_msg(rc == 0, "assemble '%s': %s", text, msg);
  return d;
}

static const uint8_t trn_test_const_a[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t trn_test_const_b[3] = {0xAA, 0xBB, 0xCC};

/* A writer holding a small but complete program: 2 inputs, 1 output, 2 constants,
 * 3 descriptors, instructions on pe, act, dve, q0 and q1. */
static inline trn_rt_writer_t *trn_test_sample_writer(void) {
  trn_rt_writer_t *w;
  TRN_CK_OK(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w));
  uint8_t hash[32];
  for (int i = 0; i < 32; ++i) hash[i] = (uint8_t)(i * 7 + 1);
  trn_rt_writer_set_metadata(w, "trn-test 1.2.3", hash);
  trn_rt_writer_set_hbm_size(w, 4096);
  trn_rt_tensor_info_t x = {"x", TRN_DTYPE_FP32, 2, {2, 4}, 0, 32};
  trn_rt_tensor_info_t b = {"bias:0", TRN_DTYPE_BF16, 1, {4}, 64, 8};
  trn_rt_tensor_info_t y = {"y", TRN_DTYPE_FP32, 3, {1, 2, 4}, 128, 0}; /* bytes computed */
  TRN_CK_OK(trn_rt_writer_add_input(w, &x));
  TRN_CK_OK(trn_rt_writer_add_input(w, &b));
  TRN_CK_OK(trn_rt_writer_add_output(w, &y));
  TRN_CK_OK(trn_rt_writer_add_constant(w, 1024, trn_test_const_a, sizeof(trn_test_const_a)));
  TRN_CK_OK(trn_rt_writer_add_constant(w, 2048, trn_test_const_b, sizeof(trn_test_const_b)));
  trn_dma_desc_t descs[3] = {
      trn_test_desc(".desc src=hbm+0x0 fp32 [2:4,4:1] dst=sbuf+0x0 fp32 [2:49152,4:1]"),
      trn_test_desc(".desc src=hbm+0x400 fp32 [4:1] dst=sbuf+0x200 fp32 [4:1]"),
      trn_test_desc(".desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x80 fp32 [2:4,4:1]"),
  };
  uint32_t first = 99;
  TRN_CK_OK(trn_rt_writer_append_dma(w, descs, 2, &first));
  ck_assert_uint_eq(first, 0);
  TRN_CK_OK(trn_rt_writer_append_dma(w, descs + 2, 1, &first));
  ck_assert_uint_eq(first, 2);
  trn_inst_t q0[2] = {trn_test_inst("dma imm0=2 signal=s0"), trn_test_inst("halt")};
  TRN_CK_OK(trn_rt_writer_append(w, TRN_STREAM_DMA0, q0, 2));
  trn_inst_t act = trn_test_inst(
      "activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 "
      "wait=s0>=1 signal=s1");
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_ACT, &act, 1));
  trn_inst_t dve = trn_test_inst("nop wait=s1>=1 signal=s2");
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_DVE, &dve, 1));
  trn_inst_t pe = trn_test_inst("nop");
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_PE, &pe, 1));
  trn_inst_t q1 = trn_test_inst("dma aux=2 imm0=1 wait=s2>=1");
  TRN_CK_OK(trn_rt_writer_append(w, TRN_STREAM_DMA0 + 1, &q1, 1));
  return w;
}

/* The sample as bytes (malloc'ed). */
static inline uint8_t *trn_test_sample_bytes(size_t *out_size) {
  trn_rt_writer_t *w = trn_test_sample_writer();
  void *data;
  TRN_CK_OK(trn_rt_writer_write_memory(w, &data, out_size));
  trn_rt_writer_destroy(w);
  return data;
}

static inline void trn_test_rechecksum(uint8_t *f, size_t size) {
  trn_neff_wr32(f + TRN_NEFF_HDR_CHECKSUM, trn_rt_neff_checksum(f, size));
}

/* Patches a little-endian field and recomputes the checksum, so that only the patched
 * field can be at fault. */
static inline void trn_test_patch32(uint8_t *f, size_t size, size_t off, uint32_t v) {
  trn_neff_wr32(f + off, v);
  trn_test_rechecksum(f, size);
}
static inline void trn_test_patch64(uint8_t *f, size_t size, size_t off, uint64_t v) {
  trn_neff_wr64(f + off, v);
  trn_test_rechecksum(f, size);
}

/* Offset of the section table entry of the `nth` section of `kind` (-1 if none). */
static inline long trn_test_section_entry(const uint8_t *f, uint32_t kind, int nth) {
  uint32_t n = trn_neff_rd32(f + TRN_NEFF_HDR_SECTION_COUNT);
  uint64_t table = trn_neff_rd64(f + TRN_NEFF_HDR_TABLE_OFFSET);
  for (uint32_t i = 0; i < n; ++i) {
    long e = (long)(table + i * TRN_NEFF_SECTION_ENTRY_SIZE);
    if (trn_neff_rd32(f + e + TRN_NEFF_SEC_KIND) == kind && nth-- == 0) return e;
  }
  return -1;
}

static inline uint64_t trn_test_section_offset(const uint8_t *f, uint32_t kind, int nth) {
  long e = trn_test_section_entry(f, kind, nth);
  ck_assert_int_ge(e, 0);
  return trn_neff_rd64(f + e + TRN_NEFF_SEC_OFFSET);
}

/* Loads `f` expecting failure with `code` and a message containing `needle`. */
static inline void trn_test_expect_refused(const uint8_t *f, size_t size, trn_status_code_t code,
                                           const char *needle) {
  trn_rt_model_t *m = (trn_rt_model_t *)1;
  trn_status_t st = trn_rt_model_load_memory(f, size, &m);
  ck_assert_msg(st != NULL, "expected refusal containing '%s'", needle);
  ck_assert_ptr_null(m);
  ck_assert_msg(trn_status_code(st) == code, "code %d, expected %d: %s", trn_status_code(st), code,
                trn_status_message(st));
  ck_assert_msg(strstr(trn_status_message(st), needle), "message '%s' lacks '%s'",
                trn_status_message(st), needle);
  trn_status_free(st);
}

#endif /* TRN_RT_NEFF_TEST_UTIL_H */
