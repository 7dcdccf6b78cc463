/* trn-bench-import: how long importing an ONNX model takes and how much memory it
 * holds, against the size of the model's weights.
 *
 *   /usr/bin/time -v trn-bench-import model.onnx
 *
 * Prints the import time (the compiler context is created before the clock starts),
 * the model file size, the peak resident memory of the process (getrusage) before and
 * after the import, and the growth as a multiple of the file size. */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "trn/compiler.h"

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_mib(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: trn-bench-import model.onnx\n");
    return 1;
  }
  struct stat st;
  if (stat(argv[1], &st) != 0) {
    fprintf(stderr, "trn-bench-import: error: %s: cannot read\n", argv[1]);
    return 2;
  }
  trn_compile_options_t opts;
  trn_compile_options_init(&opts);
  trn_compiler_t *compiler = NULL;
  trn_status_t s = trn_compiler_create(&opts, &compiler);
  if (s) {
    fprintf(stderr, "trn-bench-import: error: %s\n", trn_status_message(s));
    return 3;
  }
  double before = peak_mib(), t0 = now();
  MlirModule module;
  s = trn_compiler_import_onnx(compiler, argv[1], &module);
  double t1 = now(), after = peak_mib();
  if (s) {
    fprintf(stderr, "trn-bench-import: error: %s\n", trn_status_message(s));
    trn_compiler_destroy(compiler);
    return 3;
  }
  double file_mib = (double)st.st_size / (1024.0 * 1024.0);
  printf("model              %s\n", argv[1]);
  printf("file size          %.1f MiB\n", file_mib);
  printf("import time        %.3f s\n", t1 - t0);
  printf("peak RSS before    %.1f MiB (compiler library and context)\n", before);
  printf("peak RSS after     %.1f MiB\n", after);
  printf("import growth      %.1f MiB = %.2fx the file size\n", after - before,
         (after - before) / file_mib);
  printf("peak RSS / file    %.2fx\n", after / file_mib);
  mlirModuleDestroy(module);
  trn_compiler_destroy(compiler);
  return 0;
}
