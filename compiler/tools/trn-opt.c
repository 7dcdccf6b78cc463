/* trn-opt: runs trn and upstream MLIR passes on a .mlir file, in argument order, and
 * prints the result. A thin driver over trn/compiler.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trn/compiler.h"

enum { EXIT_OK = 0, EXIT_USAGE = 1, EXIT_PARSE = 2, EXIT_PASS = 3, EXIT_WRITE = 4 };

static const char k_usage[] =
    "usage: trn-opt [FILE.mlir|-] [passes...] [options]\n"
    "\n"
    "Parses FILE (default stdin), runs the passes in the order given and prints the IR.\n"
    "\n"
    "passes:\n"
    "  --trn-PASS                 a trn pass (see --list-passes)\n"
    "  --PASS[=OPTIONS]           any upstream MLIR pass, e.g. --canonicalize, --cse,\n"
    "                             --canonicalize='max-iterations=3'\n"
    "  --ANCHOR(PASSES)           a nested pipeline, e.g. '--func.func(canonicalize)'\n"
    "  --pass-pipeline=TEXT       a pipeline 'builtin.module(...)' (trn passes allowed)\n"
    "options:\n"
    "  -o FILE                    output file (default stdout)\n"
    "  --target=NAME              trn1 (default) or trn2, for trn passes\n"
    "  -O0 -O1 -O2 -O3            optimization level for trn passes (default -O2; see\n"
    "                             trnc --help)\n"
    "  --auto-cast=MODE           none, matmul or all, for trn passes\n"
    "  --auto-cast-type=TYPE      bf16 or fp16\n"
    "  --print-ir-after-all       print the IR after every pass to stderr\n"
    "  --print-ir-after=PASS      print the IR after PASS (its argument) to stderr\n"
    "  --timing                   print the time of each pass to stderr\n"
    "  --no-verify                do not verify the IR after each pass\n"
    "  --list-passes              list the trn passes\n"
    "  --version, --help\n"
    "\n"
    "exit codes: 0 ok, 1 usage error, 2 cannot read or parse the input, 3 a pass failed,\n"
    "4 cannot write the output\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "trn-opt: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see trn-opt --help)\n");
  return EXIT_USAGE;
}

static const char *option_value(const char *a, const char *flag) {
  size_t n = strlen(flag);
  if (strncmp(a, flag, n) == 0 && a[n] == '=') return a + n + 1;
  return NULL;
}

static void list_passes(void) {
  printf("trn passes (run with --ARGUMENT):\n");
  for (size_t i = 0; i < trn_pass_count(); i++) {
    const trn_pass_info_t *p = trn_pass_at(i);
    printf("  %-28s %s\n", p->argument, p->summary);
  }
  printf("upstream MLIR passes are available too (see mlir-opt-19 --help)\n");
}

/* "--name=opts" -> "name{opts}"; "--name", "--name{...}", "--a(b)" unchanged. */
static char *pass_element(const char *arg) {
  const char *s = arg + 2;
  size_t n = strlen(s);
  char *out = malloc(n + 3);
  if (!out) return NULL;
  const char *eq = strchr(s, '=');
  const char *br = strpbrk(s, "{(");
  if (eq && (!br || eq < br)) {
    size_t k = (size_t)(eq - s);
    const char *opts = eq + 1;
    size_t m = strlen(opts);
    if (m >= 2 && (opts[0] == '"' || opts[0] == '\'') && opts[m - 1] == opts[0]) opts++, m -= 2;
    snprintf(out, n + 3, "%.*s{%.*s}", (int)k, s, (int)m, opts);
  } else {
    memcpy(out, s, n + 1);
  }
  return out;
}

int main(int argc, char **argv) {
  trn_compile_options_t opts;
  trn_compile_options_init(&opts);
  const char *input = NULL, *output = "-";
  int rc = EXIT_OK;
  /* First pass over the arguments: options that every pass needs. */
  for (int i = 1; i < argc && rc == EXIT_OK; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(k_usage, stdout);
      return EXIT_OK;
    } else if (strcmp(a, "--version") == 0) {
      printf("trn-opt (%s)\n", trn_compiler_version());
      return EXIT_OK;
    } else if (strcmp(a, "--list-passes") == 0) {
      list_passes();
      return EXIT_OK;
    } else if (strcmp(a, "-o") == 0) {
      if (i + 1 >= argc) rc = usage_error("%s needs a file name", a);
      else output = argv[++i];
    } else if ((v = option_value(a, "--target"))) {
      if (!(opts.pass.target = trn_isa_target_find(v))) rc = usage_error("unknown target '%s'", v);
    } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
      opts.pass.opt_level = a[2] - '0';
    } else if ((v = option_value(a, "--auto-cast-type"))) {
      if (strcmp(v, "bf16") == 0) opts.pass.auto_cast_type = TRN_DTYPE_BF16;
      else if (strcmp(v, "fp16") == 0) opts.pass.auto_cast_type = TRN_DTYPE_FP16;
      else rc = usage_error("unknown --auto-cast-type '%s'", v);
    } else if ((v = option_value(a, "--auto-cast"))) {
      if (strcmp(v, "none") == 0) opts.pass.auto_cast = TRN_AUTO_CAST_NONE;
      else if (strcmp(v, "matmul") == 0) opts.pass.auto_cast = TRN_AUTO_CAST_MATMUL;
      else if (strcmp(v, "all") == 0) opts.pass.auto_cast = TRN_AUTO_CAST_ALL;
      else rc = usage_error("unknown --auto-cast mode '%s'", v);
    } else if (strcmp(a, "--print-ir-after-all") == 0) {
      opts.print_ir_after_all = true;
    } else if ((v = option_value(a, "--print-ir-after"))) {
      opts.print_ir_after = v;
    } else if (strcmp(a, "--timing") == 0) {
      opts.timing = true;
    } else if (strcmp(a, "--no-verify") == 0) {
      opts.verify_each = false;
    } else if (a[0] == '-' && a[1] == '-' && a[2] != '\0') {
      /* a pass: handled below, in order */
    } else if (a[0] == '-' && a[1] != '\0') {
      rc = usage_error("unknown option '%s'", a);
    } else if (!input) {
      input = a;
    } else {
      rc = usage_error("more than one input file ('%s')", a);
    }
  }
  if (rc != EXIT_OK) return rc;
  if (!input) input = "-";

  trn_compiler_t *compiler = NULL;
  trn_status_t s = trn_compiler_create(&opts, &compiler);
  if (s) {
    fprintf(stderr, "trn-opt: error: %s\n", trn_status_message(s));
    trn_status_free(s);
    return EXIT_PASS;
  }
  MlirModule module = {NULL};
  MlirPassManager pm = mlirPassManagerCreateOnOperation(trn_compiler_context(compiler),
                                                        mlirStringRefCreateFromCString("builtin.module"));
  mlirPassManagerEnableVerifier(pm, opts.verify_each);
  /* Second pass: the passes, in argument order. */
  for (int i = 1; i < argc && rc == EXIT_OK; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "-o") == 0) {
      i++;
      continue;
    }
    if (a[0] != '-' || a[1] != '-' || a[2] == '\0') continue;
    if (option_value(a, "--target") || option_value(a, "--auto-cast") ||
        option_value(a, "--auto-cast-type") || option_value(a, "--print-ir-after") ||
        strcmp(a, "--print-ir-after-all") == 0 || strcmp(a, "--timing") == 0 ||
        strcmp(a, "--no-verify") == 0)
      continue;
    char *element = (v = option_value(a, "--pass-pipeline")) ? NULL : pass_element(a);
    s = trn_compiler_add_passes(compiler, mlirPassManagerGetAsOpPassManager(pm), v ? v : element);
    free(element);
    if (s) {
      fprintf(stderr, "trn-opt: error: %s\n", trn_status_message(s));
      trn_status_free(s);
      s = NULL;
      rc = EXIT_USAGE;
    }
  }
  if (rc == EXIT_OK) {
    s = trn_compiler_parse_mlir_file(compiler, input, &module);
    if (s) rc = EXIT_PARSE;
  }
  if (rc == EXIT_OK) {
    s = trn_compiler_run_passes(compiler, pm, module);
    if (s) rc = EXIT_PASS;
  }
  if (rc == EXIT_OK) {
    s = trn_compiler_write_module(compiler, module, output);
    if (s) rc = EXIT_WRITE;
  }
  if (s) {
    fprintf(stderr, "trn-opt: error: %s\n", trn_status_message(s));
    trn_status_free(s);
  }
  if (!mlirModuleIsNull(module)) mlirModuleDestroy(module);
  mlirPassManagerDestroy(pm);
  trn_compiler_destroy(compiler);
  return rc;
}
