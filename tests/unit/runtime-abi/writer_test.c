/* Tests of the writer: round trip through the loader, argument checks, atomic files. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "neff_test_util.h"

static bool inst_eq(const trn_inst_t *a, const trn_inst_t *b) {
  uint8_t x[TRN_INST_BYTES], y[TRN_INST_BYTES];
  trn_isa_encode(a, x);
  trn_isa_encode(b, y);
  return memcmp(x, y, sizeof(x)) == 0;
}

START_TEST(test_writer_round_trip_every_field) {
  size_t size;
  uint8_t *f = trn_test_sample_bytes(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  ck_assert_uint_eq(trn_rt_model_version_major(m), 1);
  ck_assert_uint_eq(trn_rt_model_version_minor(m), 1);
  ck_assert_str_eq(trn_rt_model_target(m)->name, "trn1");
  ck_assert_str_eq(trn_rt_model_compiler_version(m), "trn-test 1.2.3");
  for (int i = 0; i < 32; ++i) ck_assert_uint_eq(trn_rt_model_source_hash(m)[i], (uint8_t)(i * 7 + 1));
  ck_assert_uint_eq(trn_rt_model_hbm_size(m), 4096);
  ck_assert_uint_eq(trn_rt_model_file_size(m), size);

  ck_assert_uint_eq(trn_rt_model_input_count(m), 2);
  ck_assert_uint_eq(trn_rt_model_output_count(m), 1);
  const trn_rt_tensor_info_t *x = trn_rt_model_input(m, 0), *b = trn_rt_model_input(m, 1);
  const trn_rt_tensor_info_t *y = trn_rt_model_output(m, 0);
  ck_assert_str_eq(x->name, "x");
  ck_assert_int_eq(x->dtype, TRN_DTYPE_FP32);
  ck_assert_uint_eq(x->rank, 2);
  ck_assert_int_eq(x->dims[0], 2);
  ck_assert_int_eq(x->dims[1], 4);
  ck_assert_uint_eq(x->hbm_offset, 0);
  ck_assert_uint_eq(x->bytes, 32);
  ck_assert_str_eq(b->name, "bias:0");
  ck_assert_int_eq(b->dtype, TRN_DTYPE_BF16);
  ck_assert_uint_eq(b->bytes, 8);
  ck_assert_uint_eq(b->hbm_offset, 64);
  ck_assert_str_eq(y->name, "y");
  ck_assert_uint_eq(y->rank, 3);
  ck_assert_uint_eq(y->bytes, 32);
  ck_assert_uint_eq(y->hbm_offset, 128);
  ck_assert_ptr_null(trn_rt_model_input(m, 2));
  ck_assert_ptr_null(trn_rt_model_output(m, 1));

  ck_assert_uint_eq(trn_rt_model_constant_count(m), 2);
  uint64_t off, csize;
  const uint8_t *data;
  ck_assert(trn_rt_model_constant(m, 0, &off, &csize, &data));
  ck_assert_uint_eq(off, 1024);
  ck_assert_uint_eq(csize, 16);
  ck_assert_mem_eq(data, trn_test_const_a, 16);
  ck_assert_uint_eq((uintptr_t)data % 64, 0);
  ck_assert(trn_rt_model_constant(m, 1, &off, &csize, &data));
  ck_assert_uint_eq(off, 2048);
  ck_assert_mem_eq(data, trn_test_const_b, 3);
  ck_assert(!trn_rt_model_constant(m, 2, &off, &csize, &data));

  ck_assert_uint_eq(trn_rt_model_dma_count(m), 3);
  trn_dma_desc_t d2 =
      trn_test_desc(".desc src=sbuf+0x100 fp32 [2:49152,4:1] dst=hbm+0x80 fp32 [2:4,4:1]");
  uint8_t e1[TRN_DMA_DESC_BYTES], e2[TRN_DMA_DESC_BYTES];
  trn_isa_dma_encode(&trn_rt_model_dma(m)[2], e1);
  trn_isa_dma_encode(&d2, e2);
  ck_assert_mem_eq(e1, e2, TRN_DMA_DESC_BYTES);

  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_STREAM_DMA0), 2);
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_STREAM_DMA0 + 1), 1);
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_ENGINE_ACT), 1);
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_ENGINE_DVE), 1);
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_ENGINE_PE), 1);
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_ENGINE_POOL), 0);
  ck_assert_ptr_null(trn_rt_model_stream(m, TRN_ENGINE_POOL));
  ck_assert_uint_eq(trn_rt_model_stream_length(m, TRN_MAX_STREAMS), 0);
  trn_inst_t q0 = trn_test_inst("dma imm0=2 signal=s0");
  ck_assert(inst_eq(&trn_rt_model_stream(m, TRN_STREAM_DMA0)[0], &q0));
  trn_inst_t act = trn_test_inst(
      "activate op0=relu dst=sbuf[0:2]+0x100 fp32 [4:1] src0=sbuf[0:2]+0x0 fp32 [4:1] imm0=1 "
      "wait=s0>=1 signal=s1");
  ck_assert(inst_eq(&trn_rt_model_stream(m, TRN_ENGINE_ACT)[0], &act));
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_writer_is_deterministic) {
  size_t s1, s2;
  uint8_t *a = trn_test_sample_bytes(&s1);
  uint8_t *b = trn_test_sample_bytes(&s2);
  ck_assert_uint_eq(s1, s2);
  ck_assert_mem_eq(a, b, s1);
  free(a);
  free(b);
}
END_TEST

START_TEST(test_writer_empty_program_loads) {
  trn_rt_writer_t *w;
  TRN_CK_OK(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN2), &w));
  void *data;
  size_t size;
  TRN_CK_OK(trn_rt_writer_write_memory(w, &data, &size));
  trn_rt_writer_destroy(w);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(data, size, &m));
  ck_assert_str_eq(trn_rt_model_target(m)->name, "trn2");
  ck_assert_str_eq(trn_rt_model_compiler_version(m), "");
  ck_assert_uint_eq(trn_rt_model_input_count(m), 0);
  ck_assert_uint_eq(trn_rt_model_dma_count(m), 0);
  trn_rt_model_destroy(m);
  free(data);
}
END_TEST

START_TEST(test_writer_rejects_bad_arguments) {
  trn_rt_writer_t *w = (trn_rt_writer_t *)1;
  trn_status_t st = trn_rt_writer_create(NULL, &w);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_ptr_null(w);
  trn_status_free(st);
  TRN_CK_OK(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w));
  trn_inst_t nop = trn_test_inst("nop");
  st = trn_rt_writer_append(w, TRN_MAX_STREAMS, &nop, 1);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  /* DMA on a compute stream: names the stream and the instruction index. */
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_PE, &nop, 1));
  trn_inst_t dma = trn_test_inst("dma imm0=1");
  st = trn_rt_writer_append(w, TRN_ENGINE_PE, &dma, 1);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "stream pe, instruction 1"), "%s",
                trn_status_message(st));
  trn_status_free(st);
  trn_rt_tensor_info_t bad = {"t", TRN_DTYPE_FP32, 1, {4}, 0, 15};
  st = trn_rt_writer_add_input(w, &bad);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  bad.bytes = 16;
  bad.rank = 9;
  st = trn_rt_writer_add_output(w, &bad);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  st = trn_rt_writer_add_constant(w, UINT64_MAX - 1, "abcd", 4);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
  trn_rt_writer_destroy(w);
}
END_TEST

START_TEST(test_writer_refuses_program_the_loader_would_refuse) {
  trn_rt_writer_t *w;
  TRN_CK_OK(trn_rt_writer_create(trn_isa_target(TRN_TARGET_TRN1), &w));
  trn_rt_writer_set_hbm_size(w, 16);
  trn_rt_tensor_info_t x = {"x", TRN_DTYPE_FP32, 1, {8}, 0, 0}; /* 32 bytes > 16 */
  TRN_CK_OK(trn_rt_writer_add_input(w, &x));
  void *data = (void *)1;
  size_t size = 1;
  trn_status_t st = trn_rt_writer_write_memory(w, &data, &size);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "input 0 'x'"), "%s", trn_status_message(st));
  ck_assert_ptr_null(data);
  ck_assert_uint_eq(size, 0);
  trn_status_free(st);
  /* A DMA instruction naming a descriptor that does not exist. */
  trn_rt_writer_set_hbm_size(w, 64);
  trn_inst_t dma = trn_test_inst("dma aux=3 imm0=1");
  TRN_CK_OK(trn_rt_writer_append(w, TRN_STREAM_DMA0, &dma, 1));
  st = trn_rt_writer_write_memory(w, &data, &size);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  ck_assert_msg(strstr(trn_status_message(st), "stream q0, instruction 0"), "%s",
                trn_status_message(st));
  trn_status_free(st);
  trn_rt_writer_destroy(w);
}
END_TEST

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  ck_assert_ptr_nonnull(d);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') ++n;
  closedir(d);
  return n;
}

START_TEST(test_writer_write_file_atomic) {
  char dir[] = "/tmp/trn_writer_test_XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof(path), "%s/m.neff", dir);
  trn_rt_writer_t *w = trn_test_sample_writer();
  TRN_CK_OK(trn_rt_writer_write_file(w, path));
  ck_assert_int_eq(count_entries(dir), 1); /* no temporary left behind */
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_file(path, &m));
  ck_assert_uint_eq(trn_rt_model_input_count(m), 2);
  trn_rt_model_destroy(m);
  /* Overwrite in place works too. */
  TRN_CK_OK(trn_rt_writer_write_file(w, path));
  ck_assert_int_eq(count_entries(dir), 1);
  /* A path in a missing folder fails with TRN_ERR_IO and leaves nothing. */
  char bad[300];
  snprintf(bad, sizeof(bad), "%s/missing/m.neff", dir);
  trn_status_t st = trn_rt_writer_write_file(w, bad);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  ck_assert_msg(strstr(trn_status_message(st), bad), "%s", trn_status_message(st));
  trn_status_free(st);
  /* Renaming onto a folder fails after the temporary was written: it is removed. */
  char sub[300];
  snprintf(sub, sizeof(sub), "%s/sub", dir);
  ck_assert_int_eq(mkdir(sub, 0755), 0);
  char inner[320];
  snprintf(inner, sizeof(inner), "%s/x", sub);
  FILE *keep = fopen(inner, "w");
  ck_assert_ptr_nonnull(keep);
  fclose(keep);
  st = trn_rt_writer_write_file(w, sub);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  trn_status_free(st);
  ck_assert_int_eq(count_entries(dir), 2); /* m.neff and sub */
  trn_rt_writer_destroy(w);
  unlink(inner);
  rmdir(sub);
  unlink(path);
  rmdir(dir);
}
END_TEST

int main(void) {
  Suite *s = suite_create("writer");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, test_writer_round_trip_every_field);
  tcase_add_test(tc, test_writer_is_deterministic);
  tcase_add_test(tc, test_writer_empty_program_loads);
  tcase_add_test(tc, test_writer_rejects_bad_arguments);
  tcase_add_test(tc, test_writer_refuses_program_the_loader_would_refuse);
  tcase_add_test(tc, test_writer_write_file_atomic);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
