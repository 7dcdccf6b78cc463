/* Tests of the loader: every malformed input is refused with a status naming the
 * place at fault, never a crash. Bad fields are patched with a recomputed checksum so
 * that the field itself, not the checksum, is what the loader must catch. */
#include <stdio.h>
#include <unistd.h>

#include "neff_test_util.h"

static uint8_t *sample(size_t *size) { return trn_test_sample_bytes(size); }

START_TEST(test_loader_accepts_sample) {
  size_t size;
  uint8_t *f = sample(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_every_truncation) {
  size_t size;
  uint8_t *f = sample(&size);
  for (size_t len = 0; len < size; ++len) {
    trn_rt_model_t *m = (trn_rt_model_t *)1;
    trn_status_t st = trn_rt_model_load_memory(f, len, &m);
    ck_assert_msg(st != NULL, "prefix of %zu bytes accepted", len);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(trn_status_code(st), TRN_ERR_FORMAT);
    trn_status_free(st);
  }
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_every_bit_flip) {
  size_t size;
  uint8_t *f = sample(&size);
  for (size_t bit = 0; bit < size * 8; ++bit) {
    f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    trn_rt_model_t *m = (trn_rt_model_t *)1;
    trn_status_t st = trn_rt_model_load_memory(f, size, &m);
    ck_assert_msg(st != NULL, "flip of bit %zu (byte 0x%zx) accepted", bit, bit / 8);
    ck_assert_ptr_null(m);
    trn_status_code_t code = trn_status_code(st);
    ck_assert_msg(code == TRN_ERR_FORMAT || code == TRN_ERR_VERSION, "bit %zu: %s", bit,
                  trn_status_message(st));
    trn_status_free(st);
    f[bit / 8] ^= (uint8_t)(1u << (bit % 8));
  }
  free(f);
}
END_TEST

/* The sample with layers: PE's second instruction in "conv1", POOL's two in "fc"
 * then "conv1" again; the sample's own instructions have none. */
static uint8_t *layered_sample(size_t *size) {
  trn_rt_writer_t *w = trn_test_sample_writer();
  trn_inst_t nop = trn_test_inst("nop");
  TRN_CK_OK(trn_rt_writer_set_layer(w, "conv1"));
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_PE, &nop, 1));
  TRN_CK_OK(trn_rt_writer_set_layer(w, "fc"));
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_POOL, &nop, 1));
  TRN_CK_OK(trn_rt_writer_set_layer(w, "conv1"));
  TRN_CK_OK(trn_rt_writer_append(w, TRN_ENGINE_POOL, &nop, 1));
  TRN_CK_OK(trn_rt_writer_set_layer(w, NULL));
  void *data;
  TRN_CK_OK(trn_rt_writer_write_memory(w, &data, size));
  trn_rt_writer_destroy(w);
  return data;
}

START_TEST(test_loader_reads_layers) {
  size_t size;
  uint8_t *f = layered_sample(&size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  ck_assert_uint_eq(trn_rt_model_layer_count(m), 2);
  ck_assert_str_eq(trn_rt_model_layer_name(m, 0), "conv1");
  ck_assert_str_eq(trn_rt_model_layer_name(m, 1), "fc");
  ck_assert_ptr_null(trn_rt_model_layer_name(m, 2));
  ck_assert_uint_eq(trn_rt_model_inst_layer(m, TRN_ENGINE_PE, 0), TRN_RT_NO_LAYER);
  ck_assert_uint_eq(trn_rt_model_inst_layer(m, TRN_ENGINE_PE, 1), 0);
  ck_assert_uint_eq(trn_rt_model_inst_layer(m, TRN_ENGINE_POOL, 0), 1);
  ck_assert_uint_eq(trn_rt_model_inst_layer(m, TRN_ENGINE_POOL, 1), 0);
  ck_assert_uint_eq(trn_rt_model_inst_layer(m, TRN_ENGINE_POOL, 2), TRN_RT_NO_LAYER);
  ck_assert_uint_eq(trn_rt_model_inst_layer(m, TRN_STREAM_DMA0, 0), TRN_RT_NO_LAYER);
  trn_rt_model_destroy(m);
  /* the sample without layers has none */
  free(f);
  f = trn_test_sample_bytes(&size);
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  ck_assert_uint_eq(trn_rt_model_layer_count(m), 0);
  ck_assert_int_lt(trn_test_section_entry(f, TRN_NEFF_KIND_LAYERS, 0), 0);
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

/* Every field of the LAYERS section is checked. */
START_TEST(test_loader_refuses_bad_layers) {
  size_t size;
  uint8_t *f = layered_sample(&size);
  long e = trn_test_section_entry(f, TRN_NEFF_KIND_LAYERS, 0);
  ck_assert_int_ge(e, 0);
  ck_assert_uint_eq(trn_neff_rd32(f + e + TRN_NEFF_SEC_FLAGS), TRN_NEFF_SECTION_OPTIONAL);
  uint64_t sec = trn_neff_rd64(f + e + TRN_NEFF_SEC_OFFSET);
  uint32_t tables = trn_neff_rd32(f + sec + TRN_NEFF_LAYERS_TABLES);
  ck_assert_uint_eq(tables, 6); /* one per stream with instructions: pe, act, dve, pool, q0, q1 */
  uint64_t entry = 0, index_at = 0;
  for (uint32_t t = 0; t < tables; ++t) {
    uint64_t at = sec + TRN_NEFF_LAYERS_FIXED_SIZE + 2 * 4 + t * TRN_NEFF_LTAB_ENTRY_SIZE;
    if (trn_neff_rd32(f + at + TRN_NEFF_LTAB_STREAM) == TRN_ENGINE_POOL) {
      entry = at;
      index_at = sec + trn_neff_rd64(f + at + TRN_NEFF_LTAB_OFFSET);
    }
  }
  ck_assert_uint_ne(entry, 0);
  uint8_t *g = malloc(size);
  ck_assert_ptr_nonnull(g);
  struct {
    uint64_t off;
    uint32_t value;
    const char *needle;
  } cases[] = {
      {index_at + 4, 7, "instruction 1 of stream 3: layer 7 of 2"},
      {sec + TRN_NEFF_LAYERS_COUNT, 3, "3 layers (aux says 2)"},
      {sec + TRN_NEFF_LAYERS_TABLES, 1000, "stream tables do not fit"},
      {sec + TRN_NEFF_LAYERS_FIXED_SIZE + 4, 100000, "layer 1: name offset 100000"},
      {entry + TRN_NEFF_LTAB_COUNT, 3, "stream table"},
      {entry + TRN_NEFF_LTAB_STREAM, 19, "stream table"},
      {entry + TRN_NEFF_LTAB_OFFSET, 2, "stream table"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; ++i) {
    memcpy(g, f, size);
    trn_test_patch32(g, size, (size_t)cases[i].off, cases[i].value);
    trn_test_expect_refused(g, size, TRN_ERR_FORMAT, cases[i].needle);
  }
  free(g);
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_newer_major_version) {
  size_t size;
  uint8_t *f = sample(&size);
  trn_test_patch32(f, size, TRN_NEFF_HDR_MAJOR, 2);
  trn_test_patch32(f, size, TRN_NEFF_HDR_MINOR, 3);
  trn_test_expect_refused(f, size, TRN_ERR_VERSION, "version 2.3");
  trn_test_expect_refused(f, size, TRN_ERR_VERSION, "which reads version 1.1 (the file is newer");
  /* Checked before anything else: a 16-byte prefix is enough to tell. */
  trn_test_expect_refused(f, 16, TRN_ERR_VERSION, "version 2.3");
  trn_test_patch32(f, size, TRN_NEFF_HDR_MAJOR, 0);
  trn_test_expect_refused(f, size, TRN_ERR_VERSION, "version 0.3");
  trn_test_expect_refused(f, size, TRN_ERR_VERSION, "older");
  free(f);
}
END_TEST

START_TEST(test_loader_accepts_newer_minor_version) {
  size_t size;
  uint8_t *f = sample(&size);
  trn_test_patch32(f, size, TRN_NEFF_HDR_MINOR, 7);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  ck_assert_uint_eq(trn_rt_model_version_minor(m), 7);
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_bad_magic_and_header) {
  size_t size;
  uint8_t *f = sample(&size);
  trn_test_expect_refused((const uint8_t *)"hello", 5, TRN_ERR_FORMAT, "not a .neff");
  trn_test_expect_refused(f, 0, TRN_ERR_FORMAT, "not a .neff");
  uint8_t *g = malloc(size + 8);
  memcpy(g, f, size);
  memset(g + size, 0, 8);
  trn_test_expect_refused(g, size + 8, TRN_ERR_FORMAT, "trailing bytes");
  free(g);
  trn_test_patch32(f, size, TRN_NEFF_HDR_FLAGS, 1);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "flags");
  trn_test_patch32(f, size, TRN_NEFF_HDR_FLAGS, 0);
  trn_test_patch32(f, size, TRN_NEFF_HDR_HEADER_SIZE, 32);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "header size");
  trn_test_patch32(f, size, TRN_NEFF_HDR_HEADER_SIZE, 64);
  f[TRN_NEFF_HDR_RESERVED + 3] = 1;
  trn_test_rechecksum(f, size);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "offset 0x33");
  f[TRN_NEFF_HDR_RESERVED + 3] = 0;
  f[100] ^= 1;
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "checksum mismatch");
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_bad_section_table) {
  size_t size;
  uint8_t *f = sample(&size);
  uint8_t *orig = malloc(size);
  memcpy(orig, f, size);
#define RESET() memcpy(f, orig, size)
  trn_test_patch64(f, size, TRN_NEFF_HDR_TABLE_OFFSET, size - 8);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section table of 9 entries");
  RESET();
  trn_test_patch64(f, size, TRN_NEFF_HDR_TABLE_OFFSET, 60);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section table");
  RESET();
  trn_test_patch32(f, size, TRN_NEFF_HDR_SECTION_COUNT, 0x7FFFFFFF);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section table of 2147483647 entries");
  RESET();
  long e = trn_test_section_entry(f, TRN_NEFF_KIND_IO, 0);
  /* Section past the end of the file, with a size that overflows, misaligned, inside
   * the header, overlapping the table, overlapping another section. */
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_OFFSET, size);
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_SIZE, 8);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section table entry 1");
  RESET();
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_SIZE, UINT64_MAX - 4);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "not 8-aligned inside");
  RESET();
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_OFFSET, trn_neff_rd64(f + e + TRN_NEFF_SEC_OFFSET) + 4);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section table entry 1");
  RESET();
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_OFFSET, 8);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section table entry 1");
  RESET();
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_OFFSET, 64);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "overlaps the section table");
  RESET();
  uint64_t meta = trn_test_section_offset(f, TRN_NEFF_KIND_METADATA, 0);
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_OFFSET, meta + 8);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "overlaps section");
  RESET();
  trn_test_patch32(f, size, e + TRN_NEFF_SEC_FLAGS, 2);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "unknown flags");
  RESET();
  /* Missing and duplicate singletons. */
  trn_test_patch32(f, size, e + TRN_NEFF_SEC_KIND, TRN_NEFF_KIND_METADATA);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "second metadata section");
  RESET();
  trn_test_patch32(f, size, e + TRN_NEFF_SEC_KIND, 77);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "unknown section kind 77");
  trn_test_patch32(f, size, e + TRN_NEFF_SEC_FLAGS, TRN_NEFF_SECTION_OPTIONAL);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "no io section");
  RESET();
  long s = trn_test_section_entry(f, TRN_NEFF_KIND_STREAM, 1);
  trn_test_patch64(f, size, s + TRN_NEFF_SEC_AUX, TRN_MAX_STREAMS);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "stream id 20 is out of range");
  RESET();
  trn_test_patch64(f, size, s + TRN_NEFF_SEC_AUX,
                   trn_neff_rd64(f + trn_test_section_entry(f, TRN_NEFF_KIND_STREAM, 0) +
                                 TRN_NEFF_SEC_AUX));
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "second section for the same stream");
  RESET();
#undef RESET
  free(orig);
  free(f);
}
END_TEST

START_TEST(test_loader_skips_unknown_optional_section) {
  size_t size;
  uint8_t *f = sample(&size);
  /* Turn the constants section into an unknown optional kind: the file loads, without
   * constants. */
  long e = trn_test_section_entry(f, TRN_NEFF_KIND_CONSTANTS, 0);
  trn_test_patch32(f, size, e + TRN_NEFF_SEC_KIND, 1000);
  trn_test_patch32(f, size, e + TRN_NEFF_SEC_FLAGS, TRN_NEFF_SECTION_OPTIONAL);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  ck_assert_uint_eq(trn_rt_model_constant_count(m), 0);
  trn_rt_section_info_t info;
  ck_assert(trn_rt_model_section(m, (size_t)(e - 64) / 32, &info));
  ck_assert_str_eq(info.kind_name, "unknown");
  ck_assert_uint_eq(info.flags, TRN_NEFF_SECTION_OPTIONAL);
  trn_rt_model_destroy(m);
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_bad_metadata) {
  size_t size;
  uint8_t *f = sample(&size);
  uint64_t meta = trn_test_section_offset(f, TRN_NEFF_KIND_METADATA, 0);
  long e = trn_test_section_entry(f, TRN_NEFF_KIND_METADATA, 0);
  uint64_t msize = trn_neff_rd64(f + e + TRN_NEFF_SEC_SIZE);
  /* Strings: past the section, not terminated, unknown target. */
  trn_test_patch32(f, size, meta + TRN_NEFF_META_TARGET, (uint32_t)msize);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "target name");
  trn_test_patch32(f, size, meta + TRN_NEFF_META_TARGET, TRN_NEFF_META_FIXED_SIZE);
  f[meta + msize - 1] = 'x'; /* compiler string loses its NUL */
  trn_test_rechecksum(f, size);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "compiler version");
  f[meta + msize - 1] = 0;
  f[meta + TRN_NEFF_META_FIXED_SIZE + 3] = '9'; /* "trn9" */
  trn_test_rechecksum(f, size);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "unknown target 'trn9'");
  f[meta + TRN_NEFF_META_FIXED_SIZE + 3] = '1';
  trn_test_patch64(f, size, meta + TRN_NEFF_META_HBM_SIZE, 1ull << 40);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "exceeds");
  trn_test_patch64(f, size, meta + TRN_NEFF_META_HBM_SIZE, 100); /* I/O no longer fits */
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "outside the 100-byte HBM image");
  trn_test_patch64(f, size, meta + TRN_NEFF_META_HBM_SIZE, 4096);
  trn_test_patch64(f, size, e + TRN_NEFF_SEC_SIZE, 40);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "below the 48-byte minimum");
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_bad_io) {
  size_t size;
  uint8_t *f = sample(&size);
  uint8_t *orig = malloc(size);
  memcpy(orig, f, size);
  uint64_t io = trn_test_section_offset(f, TRN_NEFF_KIND_IO, 0);
  uint64_t e0 = io + TRN_NEFF_IO_FIXED_SIZE;                            /* input x */
  uint64_t e2 = io + TRN_NEFF_IO_FIXED_SIZE + 2 * TRN_NEFF_IO_ENTRY_SIZE; /* output y */
  trn_test_patch32(f, size, io + TRN_NEFF_IO_INPUT_COUNT, 1000);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "do not fit");
  memcpy(f, orig, size);
  trn_test_patch32(f, size, e0 + TRN_NEFF_IO_DTYPE, TRN_DTYPE_COUNT);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "input 0 'x': invalid dtype");
  memcpy(f, orig, size);
  trn_test_patch32(f, size, e0 + TRN_NEFF_IO_RANK, 9);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "rank 9");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e0 + TRN_NEFF_IO_DIMS + 8, (uint64_t)-4);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "negative");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e0 + TRN_NEFF_IO_DIMS + 8 * 5, 1);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "beyond rank");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e0 + TRN_NEFF_IO_DIMS, 1ull << 62);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "overflows");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e0 + TRN_NEFF_IO_BYTES, 31);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "bytes is 31 but dims and dtype give 32");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e2 + TRN_NEFF_IO_HBM_OFFSET, UINT64_MAX - 8);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "output 0 'y': HBM range");
  memcpy(f, orig, size);
  trn_test_patch32(f, size, e2 + TRN_NEFF_IO_NAME, 0xFFFFFFFFu);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "output 0: name");
  memcpy(f, orig, size);
  trn_test_patch32(f, size, e2 + TRN_NEFF_IO_RESERVED, 1);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "reserved");
  free(orig);
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_bad_instructions_and_descriptors) {
  size_t size;
  uint8_t *f = sample(&size);
  uint8_t *orig = malloc(size);
  memcpy(orig, f, size);
  /* Stream order in the sample: pe, act, dve, q0, q1. Unknown opcode in act. */
  uint64_t act = trn_test_section_offset(f, TRN_NEFF_KIND_STREAM, 1);
  f[act] = 0xFF;
  trn_test_rechecksum(f, size);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "stream act, instruction 0:");
  memcpy(f, orig, size);
  /* A valid instruction of the wrong engine: a DMA on the act stream. */
  trn_inst_t dma = trn_test_inst("dma imm0=1");
  trn_isa_encode(&dma, f + act);
  trn_test_rechecksum(f, size);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "section 3 (stream act)");
  memcpy(f, orig, size);
  /* q1's DMA names descriptors [2, 5) of a table of 3. */
  uint64_t q1 = trn_test_section_offset(f, TRN_NEFF_KIND_STREAM, 4);
  trn_inst_t bad = trn_test_inst("dma aux=2 imm0=3 wait=s2>=1");
  trn_isa_encode(&bad, f + q1);
  trn_test_rechecksum(f, size);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT,
                          "stream q1, instruction 0: descriptors [2, 5) are outside");
  memcpy(f, orig, size);
  /* Stream size not a multiple of the instruction. */
  long se = trn_test_section_entry(f, TRN_NEFF_KIND_STREAM, 1);
  trn_test_patch64(f, size, se + TRN_NEFF_SEC_SIZE, 100);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "not a multiple");
  memcpy(f, orig, size);
  /* Descriptors: HBM side beyond the image, SBUF side beyond on-chip memory,
   * negative steps below 0, overflowing steps, count mismatch. */
  uint64_t dt = trn_test_section_offset(f, TRN_NEFF_KIND_DMA, 0);
  const char *cases[][2] = {
      {".desc src=hbm+0xff0 fp32 [8:1] dst=sbuf+0x0 fp32 [8:1]", "descriptor 1: source range"},
      {".desc src=hbm+0x0 fp32 [2:1] dst=sbuf+0x17ffffc fp32 [2:1]",
       "descriptor 1: destination range"},
      {".desc src=hbm+0x8 fp32 [4:-1] dst=sbuf+0x0 fp32 [4:1]", "starts below 0"},
      {".desc src=hbm+0x0 fp32 [4:4611686018427387904] dst=sbuf+0x0 fp32 [4:1]", "overflows"},
      {".desc src=hbm+0x0 fp32 [2:4611686018427387904,2:4611686018427387904] dst=sbuf+0x0 "
       "fp32 [2:1,2:1]",
       "overflows"},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
    trn_dma_desc_t d = trn_test_desc(cases[i][0]);
    trn_isa_dma_encode(&d, f + dt + TRN_DMA_DESC_BYTES);
    trn_test_rechecksum(f, size);
    trn_test_expect_refused(f, size, TRN_ERR_FORMAT, cases[i][1]);
    memcpy(f, orig, size);
  }
  /* A descriptor that moves nothing may point anywhere. */
  trn_dma_desc_t empty = trn_test_desc(".desc src=hbm+0xffffff fp32 [0:1] dst=sbuf+0x0 fp32 [0:1]");
  trn_isa_dma_encode(&empty, f + dt + TRN_DMA_DESC_BYTES);
  trn_test_rechecksum(f, size);
  trn_rt_model_t *m;
  TRN_CK_OK(trn_rt_model_load_memory(f, size, &m));
  trn_rt_model_destroy(m);
  memcpy(f, orig, size);
  long de = trn_test_section_entry(f, TRN_NEFF_KIND_DMA, 0);
  trn_test_patch64(f, size, de + TRN_NEFF_SEC_AUX, 4);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "does not hold aux = 4 descriptors");
  free(orig);
  free(f);
}
END_TEST

START_TEST(test_loader_refuses_bad_constants) {
  size_t size;
  uint8_t *f = sample(&size);
  uint8_t *orig = malloc(size);
  memcpy(orig, f, size);
  uint64_t cs = trn_test_section_offset(f, TRN_NEFF_KIND_CONSTANTS, 0);
  long ce = trn_test_section_entry(f, TRN_NEFF_KIND_CONSTANTS, 0);
  uint64_t e1 = cs + TRN_NEFF_CONST_ENTRY_SIZE;
  trn_test_patch64(f, size, ce + TRN_NEFF_SEC_AUX, 1000);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "do not fit");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e1 + TRN_NEFF_CONST_HBM_OFFSET, 4094);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "constant 1: HBM range");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e1 + TRN_NEFF_CONST_HBM_OFFSET, 1030);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "overlaps constant 0");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e1 + TRN_NEFF_CONST_DATA, 8);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "after its 64-byte table");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, cs + TRN_NEFF_CONST_DATA, trn_neff_rd64(f + cs + TRN_NEFF_CONST_DATA) + 4);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "constant 0: data at file offset");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e1 + TRN_NEFF_CONST_SIZE, UINT64_MAX);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "constant 1: data");
  memcpy(f, orig, size);
  trn_test_patch64(f, size, e1 + TRN_NEFF_CONST_RESERVED, 5);
  trn_test_expect_refused(f, size, TRN_ERR_FORMAT, "reserved");
  free(orig);
  free(f);
}
END_TEST

START_TEST(test_loader_load_file_errors) {
  trn_rt_model_t *m = (trn_rt_model_t *)1;
  trn_status_t st = trn_rt_model_load_file("/nonexistent/x.neff", &m);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  ck_assert_ptr_null(m);
  ck_assert_msg(strstr(trn_status_message(st), "/nonexistent/x.neff"), "%s", trn_status_message(st));
  trn_status_free(st);
  st = trn_rt_model_load_file("/tmp", &m);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_IO);
  trn_status_free(st);
  /* A corrupt file names the path. */
  char path[] = "/tmp/trn_loader_test_XXXXXX";
  int fd = mkstemp(path);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, "TRNNEFF\0garbage", 15), 15);
  close(fd);
  st = trn_rt_model_load_file(path, &m);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_FORMAT);
  ck_assert_msg(strncmp(trn_status_message(st), path, strlen(path)) == 0, "%s",
                trn_status_message(st));
  trn_status_free(st);
  unlink(path);
  st = trn_rt_model_load_memory(NULL, 0, NULL);
  ck_assert_int_eq(trn_status_code(st), TRN_ERR_INVALID_ARGUMENT);
  trn_status_free(st);
}
END_TEST

int main(void) {
  Suite *s = suite_create("loader");
  TCase *tc = tcase_create("core");
  tcase_set_timeout(tc, 120);
  tcase_add_test(tc, test_loader_accepts_sample);
  tcase_add_test(tc, test_loader_reads_layers);
  tcase_add_test(tc, test_loader_refuses_bad_layers);
  tcase_add_test(tc, test_loader_refuses_every_truncation);
  tcase_add_test(tc, test_loader_refuses_every_bit_flip);
  tcase_add_test(tc, test_loader_refuses_newer_major_version);
  tcase_add_test(tc, test_loader_accepts_newer_minor_version);
  tcase_add_test(tc, test_loader_refuses_bad_magic_and_header);
  tcase_add_test(tc, test_loader_refuses_bad_section_table);
  tcase_add_test(tc, test_loader_skips_unknown_optional_section);
  tcase_add_test(tc, test_loader_refuses_bad_metadata);
  tcase_add_test(tc, test_loader_refuses_bad_io);
  tcase_add_test(tc, test_loader_refuses_bad_instructions_and_descriptors);
  tcase_add_test(tc, test_loader_refuses_bad_constants);
  tcase_add_test(tc, test_loader_load_file_errors);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed ? 1 : 0;
}
