/* trn-objdump: prints what a .neff holds (header, sections, signature, metadata and the
 * disassembly). Exit codes: 0 ok, 1 usage, 2 cannot read, 3 invalid file or version,
 * 4 cannot write the output. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "trn/runtime.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: trn-objdump [options] model.neff\n"
          "  --headers      also print the section table\n"
          "  --const-data   print constant blobs as `.const OFF hex ...` lines (exact round trip)\n"
          "  --no-disasm    print the header and signature only\n"
          "  -h, --help     this help\n");
}

static void print_tensor(const char *kind, size_t i, const trn_rt_tensor_info_t *t) {
  printf("#   %s %zu: %s %s [", kind, i, t->name, trn_isa_dtype_name(t->dtype));
  for (uint32_t d = 0; d < t->rank; ++d) printf("%s%" PRId64, d ? "x" : "", t->dims[d]);
  printf("] at HBM 0x%" PRIx64 ", %" PRIu64 " bytes\n", t->hbm_offset, t->bytes);
}

int main(int argc, char **argv) {
  const char *path = NULL;
  bool headers = false, disasm = true;
  trn_rt_asm_options_t asm_options = {false};
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--headers") == 0) {
      headers = true;
    } else if (strcmp(argv[i], "--const-data") == 0) {
      asm_options.constant_data = true;
    } else if (strcmp(argv[i], "--no-disasm") == 0) {
      disasm = false;
    } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "trn-objdump: error: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return 1;
    } else if (path) {
      fprintf(stderr, "trn-objdump: error: more than one input file ('%s', '%s')\n", path,
              argv[i]);
      return 1;
    } else {
      path = argv[i];
    }
  }
  if (!path) {
    usage(stderr);
    return 1;
  }
  trn_rt_model_t *model;
  trn_status_t status = trn_rt_model_load_file(path, &model);
  if (status) {
    /* Loader messages start with the file name. */
    fprintf(stderr, "trn-objdump: error: %s\n", trn_status_message(status));
    int code = trn_status_code(status) == TRN_ERR_IO ? 2 : 3;
    trn_status_free(status);
    return code;
  }
  printf("# %s: .neff version %u.%u, %" PRIu64 " bytes, checksum 0x%08x (crc32)\n", path,
         trn_rt_model_version_major(model), trn_rt_model_version_minor(model),
         trn_rt_model_file_size(model), trn_rt_model_checksum(model));
  printf("# target %s, compiler \"%s\", HBM image %" PRIu64 " bytes\n",
         trn_rt_model_target(model)->name, trn_rt_model_compiler_version(model),
         trn_rt_model_hbm_size(model));
  printf("# source model hash ");
  const uint8_t *hash = trn_rt_model_source_hash(model);
  for (int i = 0; i < 32; ++i) printf("%02x", hash[i]);
  printf("\n");
  if (headers) {
    size_t n = trn_rt_model_section_count(model);
    printf("# sections: %zu\n#   idx kind       flags     offset       size        aux\n", n);
    for (size_t i = 0; i < n; ++i) {
      trn_rt_section_info_t s;
      trn_rt_model_section(model, i, &s);
      printf("#   %3zu %-10s %-8s 0x%08" PRIx64 " %10" PRIu64 " %10" PRIu64 "\n", i, s.kind_name,
             s.flags & 1u ? "optional" : "-", s.offset, s.size, s.aux);
    }
  }
  printf("# signature:\n");
  for (size_t i = 0; i < trn_rt_model_input_count(model); ++i)
    print_tensor("input", i, trn_rt_model_input(model, i));
  for (size_t i = 0; i < trn_rt_model_output_count(model); ++i)
    print_tensor("output", i, trn_rt_model_output(model, i));
  uint64_t const_bytes = 0;
  for (size_t i = 0; i < trn_rt_model_constant_count(model); ++i) {
    uint64_t size = 0;
    trn_rt_model_constant(model, i, NULL, &size, NULL);
    const_bytes += size;
  }
  printf("# constants: %zu blobs, %" PRIu64 " bytes\n", trn_rt_model_constant_count(model),
         const_bytes);
  int code = 0;
  if (disasm) {
    printf("\n");
    status = trn_rt_model_print_asm_ex(model, stdout, &asm_options);
    if (status) {
      fprintf(stderr, "trn-objdump: error: %s: %s\n", path, trn_status_message(status));
      trn_status_free(status);
      code = 4;
    }
  }
  trn_rt_model_destroy(model);
  if (fflush(stdout) != 0 && code == 0) {
    fprintf(stderr, "trn-objdump: error: <stdout>: write error\n");
    code = 4;
  }
  return code;
}
