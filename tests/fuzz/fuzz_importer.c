/* libFuzzer target: the ONNX importer and everything after it must answer any bytes
 * with a status, never a crash, a hang, a leak or undefined behaviour.
 *
 * One input: the bytes are written to a private temporary file (the importer reads
 * files: it maps the model and resolves external data beside it), imported, lowered
 * to the ISA level and emitted into an in-memory writer; a .neff the writer produces
 * must load. Failures of any of these steps with a status are expected; an
 * empty message, a TRN_ERR_INTERNAL status (the compiler built invalid IR: a bug) or a
 * .neff that does not load abort, so that libFuzzer records the input.
 *
 * One trn_compiler_t serves the whole process; it is replaced every
 * TRN_FUZZ_COMPILER_INPUTS inputs, because a compiler keeps every model it imported
 * mapped (the context may refer to its weights) and its context keeps every type and
 * attribute it uniqued, so memory would grow without bound over millions of inputs.
 * Set TRN_FUZZ_ALLOW_INTERNAL=1 to let TRN_ERR_INTERNAL pass (to look past a known
 * bug). Built by tests/fuzz/run.sh (see tests/fuzz/README.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trn/compiler.h"

#define TRN_FUZZ_COMPILER_INPUTS 512

typedef struct fuzz_state_t {
  trn_compiler_t *compiler;
  trn_compile_options_t opts;
  unsigned inputs;   /* served by the current compiler */
  char dir[64];      /* private folder of the model file */
  char path[96];
  bool allow_internal;
} fuzz_state_t;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The one process-wide state libFuzzer's C interface leaves no other place for. */
static fuzz_state_t *fuzz_state(void) {
  static fuzz_state_t state;
  return &state;
}

static void fuzz_die(const char *what, trn_status_t status) {
  fprintf(stderr, "fuzz_importer: %s: %s: %s\n", what, trn_status_code_name(trn_status_code(status)),
          trn_status_message(status));
  abort();
}

static void fuzz_cleanup(void) {
  fuzz_state_t *f = fuzz_state();
  if (f->compiler) trn_compiler_destroy(f->compiler);
  f->compiler = NULL;
  unlink(f->path);
  rmdir(f->dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  fuzz_state_t *f = fuzz_state();
  const char *tmp = getenv("TMPDIR");
  snprintf(f->dir, sizeof f->dir, "%s/trn-fuzz-importer-XXXXXX", tmp && strlen(tmp) < 30 ? tmp : "/tmp");
  if (!mkdtemp(f->dir)) {
    perror("fuzz_importer: mkdtemp");
    abort();
  }
  snprintf(f->path, sizeof f->path, "%s/model.onnx", f->dir);
  const char *allow = getenv("TRN_FUZZ_ALLOW_INTERNAL");
  f->allow_internal = allow && allow[0] == '1';
  trn_compile_options_init(&f->opts);
  atexit(fuzz_cleanup);
  return 0;
}

/* Checks a failed step's status: any documented code with a message is fine. */
static void fuzz_expect(const fuzz_state_t *f, const char *step, trn_status_t status) {
  if (!trn_status_message(status)[0]) fuzz_die(step, status);
  trn_status_code_t code = trn_status_code(status);
  if (code < TRN_ERR_INVALID_ARGUMENT || code > TRN_ERR_INTERNAL) fuzz_die(step, status);
  if (code == TRN_ERR_INTERNAL && !f->allow_internal) fuzz_die(step, status);
  trn_status_free(status);
}

static void fuzz_one(fuzz_state_t *f) {
  MlirModule module;
  trn_status_t status = trn_compiler_import_onnx(f->compiler, f->path, &module);
  if (status) {
    if (!mlirModuleIsNull(module)) abort(); /* a failed import must not hand out a module */
    fuzz_expect(f, "import", status);
    return;
  }
  status = trn_compiler_lower(f->compiler, module, TRN_STAGE_ISA);
  if (status) {
    fuzz_expect(f, "lower", status);
    mlirModuleDestroy(module);
    return;
  }
  trn_rt_writer_t *writer = NULL;
  status = trn_rt_writer_create(f->opts.pass.target, &writer);
  if (status) fuzz_die("writer", status);
  status = trn_compiler_emit_to_writer(f->compiler, module, writer);
  mlirModuleDestroy(module);
  if (status) {
    fuzz_expect(f, "emit", status);
    trn_rt_writer_destroy(writer);
    return;
  }
  void *bytes = NULL;
  size_t len = 0;
  status = trn_rt_writer_write_memory(writer, &bytes, &len);
  trn_rt_writer_destroy(writer);
  if (status) {
    fuzz_expect(f, "write", status);
    return;
  }
  trn_rt_model_t *model = NULL;
  status = trn_rt_model_load_memory(bytes, len, &model);
  free(bytes);
  if (status) fuzz_die("the emitted .neff does not load", status); /* the writer's output always loads */
  trn_rt_model_destroy(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz_state_t *f = fuzz_state();
  /* A new file each time: the compiler keeps earlier models mapped, and truncating a
   * mapped file would turn their pages into SIGBUS. */
  unlink(f->path);
  FILE *file = fopen(f->path, "wb");
  if (!file) {
    perror("fuzz_importer: fopen");
    abort();
  }
  if (size && fwrite(data, 1, size, file) != size) abort();
  if (fclose(file) != 0) abort();
  if (f->compiler && f->inputs >= TRN_FUZZ_COMPILER_INPUTS) {
    trn_compiler_destroy(f->compiler);
    f->compiler = NULL;
  }
  if (!f->compiler) {
    trn_status_t status = trn_compiler_create(&f->opts, &f->compiler);
    if (status) fuzz_die("trn_compiler_create", status);
    f->inputs = 0;
  }
  f->inputs++;
  fuzz_one(f);
  return 0;
}
