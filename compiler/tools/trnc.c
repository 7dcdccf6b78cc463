/* trnc: compiles an ONNX model to a .neff (or to IR / assembly text). A thin driver:
 * parses arguments, creates a compiler, calls trn_compiler_compile_file and maps the
 * failing step to an exit code. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trn/compiler.h"

enum {
  EXIT_OK = 0,
  EXIT_USAGE = 1,
  EXIT_READ = 2,
  EXIT_INVALID_MODEL = 3,
  EXIT_UNSUPPORTED = 4,
  EXIT_LOWERING = 5,
  EXIT_WRITE = 6,
};

static const char k_usage[] =
    "usage: trnc model.onnx [-o OUTPUT] [options]\n"
    "\n"
    "Compiles an ONNX model for the trn accelerator.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE          output file (required for --emit=neff; text goes to stdout\n"
    "                             by default; '-' is stdout)\n"
    "  --emit=KIND                mlir (graph-level func+tosa), tile (trn_tile), isa (trn_isa),\n"
    "                             asm (assembly of the binary) or neff (default); import is\n"
    "                             the importer's output before any pass\n"
    "  --target=NAME              trn1 (default) or trn2\n"
    "  -O0 -O1 -O2 -O3            optimization level (default -O2): -O0 no fusion, no\n"
    "                             prefetch, one DMA queue; -O1 adds epilogue fusion and\n"
    "                             all DMA queues; -O2 adds prefetch, resident GEMM panels\n"
    "                             and (with --auto-cast) bf16 weights; -O3 larger panels\n"
    "  --auto-cast=MODE           none (default), matmul or all: compute in a 16-bit type\n"
    "  --auto-cast-type=TYPE      bf16 (default) or fp16\n"
    "  --input-shape NAME=DIMS    shape of an input with symbolic dims, e.g. x=1x3x224x224\n"
    "                             (repeatable)\n"
    "  --print-ir-after-all       print the IR after every pass to stderr\n"
    "  --print-ir-after=PASS      print the IR after PASS (its argument, e.g. canonicalize)\n"
    "  --timing                   print the time of import, each pass and emission to stderr\n"
    "  --progress, --no-progress  show (or not) a status line with the current step on stderr\n"
    "                             (default: shown when stderr is a terminal)\n"
    "  --no-verify                do not verify the IR after each pass\n"
    "  --elide-weights            text forms: print weights and large constants as\n"
    "                             placeholders (readable, not parseable back)\n"
    "  --list-ops                 list the ONNX operators the importer supports\n"
    "  --version                  print the version\n"
    "  --help                     print this help\n"
    "\n"
    "exit codes:\n"
    "  0 ok, 1 usage error, 2 cannot read the input, 3 invalid model,\n"
    "  4 unsupported operator/dtype/shape, 5 lowering failed, 6 cannot write the output\n";

static int usage_error(const char *fmt, const char *arg) {
  fprintf(stderr, "trnc: error: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\n(see trnc --help)\n");
  return EXIT_USAGE;
}

/* "name=1x3x224x224" (also ',' between dims; "name=" is a scalar). */
static bool parse_input_shape(char *text, trn_input_shape_t *out) {
  char *eq = strrchr(text, '=');
  if (!eq || eq == text) return false;
  *eq = '\0';
  out->name = text;
  out->rank = 0;
  char *p = eq + 1;
  while (*p) {
    if (out->rank == TRN_MAX_RANK) return false;
    char *end;
    long long d = strtoll(p, &end, 10);
    if (end == p || d < 0) return false;
    out->dims[out->rank++] = d;
    p = end;
    if (*p == 'x' || *p == 'X' || *p == ',') {
      p++;
      if (!*p) return false;
    } else if (*p) {
      return false;
    }
  }
  return true;
}

static void list_ops(void) {
  printf("ONNX operators trnc imports (default domain unless shown):\n");
  for (size_t i = 0; i < trn_compiler_onnx_op_count(); i++) {
    const trn_onnx_op_info_t *op = trn_compiler_onnx_op_at(i);
    char name[96], opsets[32];
    snprintf(name, sizeof name, "%s%s%s", op->domain, op->domain[0] ? "." : "", op->op_type);
    snprintf(opsets, sizeof opsets, "opset %d-%d", op->min_opset, op->max_opset);
    printf("  %-24s %-12s %s\n", name, opsets, op->summary);
  }
}

/* The value of "--flag=VALUE" or of "--flag VALUE" (advancing *i); NULL if absent. */
static const char *option_value(int argc, char **argv, int *i, const char *flag) {
  size_t n = strlen(flag);
  if (strncmp(argv[*i], flag, n) != 0) return NULL;
  if (argv[*i][n] == '=') return argv[*i] + n + 1;
  if (argv[*i][n] == '\0' && *i + 1 < argc) return argv[++*i];
  return NULL;
}

static int exit_code(trn_compile_step_t step, trn_status_code_t code) {
  if (code == TRN_ERR_INVALID_ARGUMENT) return EXIT_USAGE;
  switch (step) {
    case TRN_STEP_IMPORT:
      return code == TRN_ERR_IO ? EXIT_READ
             : code == TRN_ERR_FORMAT ? EXIT_INVALID_MODEL
             : code == TRN_ERR_UNSUPPORTED ? EXIT_UNSUPPORTED
                                           : EXIT_LOWERING;
    case TRN_STEP_WRITE: return EXIT_WRITE;
    default: return EXIT_LOWERING;
  }
}

int main(int argc, char **argv) {
  trn_compile_options_t opts;
  trn_compile_options_init(&opts);
  const char *input = NULL, *output = NULL;
  trn_input_shape_t *shapes = calloc((size_t)argc, sizeof *shapes);
  size_t shape_count = 0;
  if (!shapes) return EXIT_USAGE;
  int rc = EXIT_OK;
  int progress = -1; /* --progress 1, --no-progress 0, default -1: when stderr is a terminal */
  for (int i = 1; i < argc && rc == EXIT_OK; i++) {
    const char *a = argv[i], *v;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      fputs(k_usage, stdout);
      free(shapes);
      return EXIT_OK;
    } else if (strcmp(a, "--version") == 0) {
      printf("trnc (%s)\n", trn_compiler_version());
      free(shapes);
      return EXIT_OK;
    } else if (strcmp(a, "--list-ops") == 0) {
      list_ops();
      free(shapes);
      return EXIT_OK;
    } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
      if (i + 1 >= argc) rc = usage_error("%s needs a file name", a);
      else output = argv[++i];
    } else if ((v = option_value(argc, argv, &i, "--output"))) {
      output = v;
    } else if ((v = option_value(argc, argv, &i, "--emit"))) {
      if (strcmp(v, "mlir") == 0) opts.emit = TRN_EMIT_MLIR;
      else if (strcmp(v, "import") == 0) opts.emit = TRN_EMIT_IMPORT;
      else if (strcmp(v, "tile") == 0) opts.emit = TRN_EMIT_TILE;
      else if (strcmp(v, "isa") == 0) opts.emit = TRN_EMIT_ISA;
      else if (strcmp(v, "asm") == 0) opts.emit = TRN_EMIT_ASM;
      else if (strcmp(v, "neff") == 0) opts.emit = TRN_EMIT_NEFF;
      else rc = usage_error("unknown --emit kind '%s' (import, mlir, tile, isa, asm, neff)", v);
    } else if ((v = option_value(argc, argv, &i, "--target"))) {
      opts.pass.target = trn_isa_target_find(v);
      if (!opts.pass.target) rc = usage_error("unknown target '%s' (trn1, trn2)", v);
    } else if (a[0] == '-' && a[1] == 'O' && a[2] >= '0' && a[2] <= '3' && a[3] == '\0') {
      opts.pass.opt_level = a[2] - '0';
    } else if ((v = option_value(argc, argv, &i, "--auto-cast-type"))) {
      if (strcmp(v, "bf16") == 0) opts.pass.auto_cast_type = TRN_DTYPE_BF16;
      else if (strcmp(v, "fp16") == 0) opts.pass.auto_cast_type = TRN_DTYPE_FP16;
      else rc = usage_error("unknown --auto-cast-type '%s' (bf16, fp16)", v);
    } else if ((v = option_value(argc, argv, &i, "--auto-cast"))) {
      if (strcmp(v, "none") == 0) opts.pass.auto_cast = TRN_AUTO_CAST_NONE;
      else if (strcmp(v, "matmul") == 0) opts.pass.auto_cast = TRN_AUTO_CAST_MATMUL;
      else if (strcmp(v, "all") == 0) opts.pass.auto_cast = TRN_AUTO_CAST_ALL;
      else rc = usage_error("unknown --auto-cast mode '%s' (none, matmul, all)", v);
    } else if ((v = option_value(argc, argv, &i, "--input-shape"))) {
      if (!parse_input_shape(argv[i] + (v - argv[i]), &shapes[shape_count]))
        rc = usage_error("bad --input-shape '%s' (expected NAME=D0xD1x...)", v);
      else shape_count++;
    } else if (strcmp(a, "--print-ir-after-all") == 0) {
      opts.print_ir_after_all = true;
    } else if ((v = option_value(argc, argv, &i, "--print-ir-after"))) {
      opts.print_ir_after = v;
    } else if (strcmp(a, "--timing") == 0) {
      opts.timing = true;
    } else if (strcmp(a, "--progress") == 0) {
      progress = 1;
    } else if (strcmp(a, "--no-progress") == 0) {
      progress = 0;
    } else if (strcmp(a, "--elide-weights") == 0) {
      opts.elide_weights = true;
    } else if (strcmp(a, "--no-verify") == 0) {
      opts.verify_each = false;
    } else if (a[0] == '-' && a[1] != '\0') {
      rc = usage_error("unknown option '%s'", a);
    } else if (!input) {
      input = a;
    } else {
      rc = usage_error("more than one input file ('%s')", a);
    }
  }
  if (rc == EXIT_OK && !input) rc = usage_error("%s", "no input model");
  if (rc == EXIT_OK && !output) {
    if (opts.emit == TRN_EMIT_NEFF) rc = usage_error("%s", "-o FILE is required for --emit=neff");
    else output = "-";
  }
  if (rc != EXIT_OK) {
    free(shapes);
    return rc;
  }
  opts.input_shapes = shapes;
  opts.input_shape_count = shape_count;
  /* On a terminal, a long compile shows what it is doing. */
  opts.progress = progress >= 0 ? progress == 1 : isatty(STDERR_FILENO) == 1;

  trn_compiler_t *compiler = NULL;
  trn_status_t s = trn_compiler_create(&opts, &compiler);
  if (s) {
    fprintf(stderr, "trnc: error: %s\n", trn_status_message(s));
    trn_status_free(s);
    free(shapes);
    return EXIT_LOWERING;
  }
  s = trn_compiler_compile_file(compiler, input, output);
  if (s) {
    const char *msg = trn_status_message(s);
    size_t n = strlen(input);
    if (strncmp(msg, input, n) == 0 && msg[n] == ':') fprintf(stderr, "trnc: error: %s\n", msg);
    else fprintf(stderr, "trnc: error: %s: %s\n", input, msg);
    rc = exit_code(trn_compiler_failed_step(compiler), trn_status_code(s));
    trn_status_free(s);
  }
  trn_compiler_destroy(compiler);
  free(shapes);
  return rc;
}
