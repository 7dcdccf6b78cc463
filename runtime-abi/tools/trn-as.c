/* trn-as: assembles a text listing (NEFF.md, "Listing syntax") into a .neff.
 * Exit codes: 0 ok, 1 usage, 2 cannot read the listing, 3 invalid listing,
 * 4 cannot write the output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trn/runtime.h"

static void usage(FILE *out) {
  fprintf(out,
          "usage: trn-as prog.s -o prog.neff [--target trn1|trn2]\n"
          "  -o FILE          output .neff (required)\n"
          "  --target NAME    target when the listing has no .target (an error if it differs)\n"
          "  -h, --help       this help\n");
}

static char *read_all(const char *path, size_t *out_size) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, size = 0;
  char *buf = malloc(cap);
  while (buf) {
    size += fread(buf + size, 1, cap - size, f);
    if (size < cap) break;
    char *grown = realloc(buf, cap * 2);
    if (!grown) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = grown;
    cap *= 2;
  }
  if (buf && ferror(f)) {
    free(buf);
    buf = NULL;
  }
  if (f != stdin) fclose(f);
  *out_size = size;
  return buf;
}

int main(int argc, char **argv) {
  const char *input = NULL, *output = NULL, *target_name = NULL;
  for (int i = 1; i < argc; ++i) {
    const char *a = argv[i];
    if (strcmp(a, "-o") == 0 && i + 1 < argc) {
      output = argv[++i];
    } else if (strncmp(a, "-o", 2) == 0 && a[2]) {
      output = a + 2;
    } else if (strcmp(a, "--target") == 0 && i + 1 < argc) {
      target_name = argv[++i];
    } else if (strncmp(a, "--target=", 9) == 0) {
      target_name = a + 9;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      usage(stdout);
      return 0;
    } else if (a[0] == '-' && a[1] != '\0') {
      fprintf(stderr, "trn-as: error: unknown or incomplete option '%s'\n", a);
      usage(stderr);
      return 1;
    } else if (input) {
      fprintf(stderr, "trn-as: error: more than one input listing ('%s', '%s')\n", input, a);
      return 1;
    } else {
      input = a;
    }
  }
  if (!input || !output) {
    usage(stderr);
    return 1;
  }
  const trn_target_t *target = NULL;
  if (target_name) {
    target = trn_isa_target_find(target_name);
    if (!target) {
      fprintf(stderr, "trn-as: error: unknown target '%s' (trn1, trn2)\n", target_name);
      return 1;
    }
  }
  size_t size;
  char *text = read_all(input, &size);
  if (!text) {
    fprintf(stderr, "trn-as: error: %s: cannot read the listing\n", input);
    return 2;
  }
  /* `.const ... file "x"` paths are relative to the listing's folder. */
  char *base = strdup(input);
  if (!base) {
    free(text);
    fprintf(stderr, "trn-as: error: out of memory\n");
    return 3;
  }
  char *slash = strrchr(base, '/');
  if (slash) *slash = '\0';
  else strcpy(base, ".");
  trn_rt_writer_t *writer;
  trn_status_t status = trn_rt_assemble(text, size, input, base, target, target != NULL, &writer);
  free(text);
  free(base);
  if (status) {
    fprintf(stderr, "trn-as: error: %s\n", trn_status_message(status));
    int code = trn_status_code(status) == TRN_ERR_IO ? 2 : 3;
    trn_status_free(status);
    return code;
  }
  status = trn_rt_writer_write_file(writer, output);
  trn_rt_writer_destroy(writer);
  if (status) {
    int code = trn_status_code(status) == TRN_ERR_IO ? 4 : 3;
    fprintf(stderr, "trn-as: error: %s%s%s\n", code == 3 ? input : "", code == 3 ? ": " : "",
            trn_status_message(status));
    trn_status_free(status);
    return code;
  }
  return 0;
}
