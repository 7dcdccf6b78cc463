/* trn-run: runs a .neff on the reference interpreter, an ONNX model on the CPU
 * reference backend, or both and compares them.
 *
 *   trn-run model.neff [--input [NAME=]FILE]... [--random-inputs SEED]
 *           [--expect [NAME=]FILE]... [--output DIR_OR_FILE.npy] [--check model.onnx]
 *           [--rtol 1e-3] [--atol 1e-4] [--strict] [--profile trace.json]
 *           [--profile-html timeline.html] [--stats] [--layers[=N]] [--repeat N]
 *   trn-run --reference model.onnx [--input ...] [--random-inputs SEED] [--expect ...]
 *           [--output ...] [--rtol X] [--atol X]
 *
 * Inputs and expected outputs are .npy, .npz (numpy.savez; member name = tensor name)
 * or ONNX TensorProto .pb files. The CPU reference backend lives in libtrn_compiler.so,
 * loaded with dlopen only when --reference, --check or a .pb file asks for it
 * (reference_bridge.c): the runtime library itself never links MLIR or LLVM.
 *
 * Exit codes: 0 ok, 1 usage, 2 cannot read a file, 3 invalid .neff, 4 bad input
 * (shape/dtype/missing), 5 execution trap/deadlock/race, 6 mismatch against --expect or
 * the reference, 7 cannot write an output, 8 the reference backend is unavailable or
 * cannot import/run the model. Every error is one line: trn-run: error: <what>: <message>. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/npy.h"
#include "../src/npz.h"
#include "reference_bridge.h"
#include "trn/runtime.h"

enum {
  EXIT_USAGE = 1,
  EXIT_READ = 2,
  EXIT_NEFF = 3,
  EXIT_INPUT = 4,
  EXIT_EXEC = 5,
  EXIT_MISMATCH = 6,
  EXIT_WRITE = 7,
  EXIT_REFERENCE = 8,
};

#define MAX_FILES 256

typedef struct file_arg_t {
  const char *name; /* NULL: positional */
  const char *path;
} file_arg_t;

typedef struct args_t {
  const char *neff;
  file_arg_t inputs[MAX_FILES], expects[MAX_FILES];
  int ninputs, nexpects;
  bool random;
  uint64_t seed;
  const char *output;
  double rtol, atol;
  bool strict, stats;
  long repeat; /* --repeat: runs of the loaded model (the median is reported) */
  long layers; /* --layers: rows of the per-layer table (0 = all), -1 = none */
  const char *trace, *html;
  const char *onnx; /* --reference / --check model */
  bool check;       /* compare the .neff with `onnx` */
} args_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: trn-run model.neff [--input [NAME=]FILE]... [--random-inputs SEED]\n"
          "               [--expect [NAME=]FILE]... [--output DIR_OR_FILE.npy]\n"
          "               [--check model.onnx] [--rtol 1e-3] [--atol 1e-4] [--strict]\n"
          "               [--profile trace.json] [--profile-html timeline.html] [--stats]\n"
          "               [--layers[=N]] [--repeat N]\n"
          "       trn-run --reference model.onnx [--input [NAME=]FILE]... [--random-inputs SEED]\n"
          "               [--expect [NAME=]FILE]... [--output DIR_OR_FILE.npy] [--rtol X] [--atol X]\n");
}

static void help(void) {
  usage(stdout);
  fputs("\nRuns a .neff in the reference interpreter, or an ONNX model on the CPU reference\n"
        "backend (--reference), or both (--check), and checks or saves the outputs.\n\n"
        "  --input [NAME=]FILE       an input: FILE.npy, FILE.npz (numpy.savez; each member\n"
        "                            is the input of its name, or fills the next unnamed one)\n"
        "                            or an ONNX TensorProto FILE.pb; unnamed files fill the\n"
        "                            unnamed inputs in order; numeric dtypes are converted\n"
        "  --random-inputs SEED      inputs not given are random from SEED: floats uniform\n"
        "                            in [-1, 1), integers in 0..9, booleans 0 or 1\n"
        "  --expect [NAME=]FILE      an expected output (.npy, .npz or .pb); compared with\n"
        "                            --rtol/--atol\n"
        "  -o, --output PATH         write outputs: a .npy file (one output) or a folder\n"
        "                            (one NAME.npy per output)\n"
        "  --reference MODEL.onnx    without a .neff: run MODEL.onnx on the CPU reference\n"
        "                            backend (inputs named and shaped by the model); with a\n"
        "                            .neff: same as --check\n"
        "  --check MODEL.onnx        run the .neff and MODEL.onnx on the same inputs and print\n"
        "                            per output 'output NAME: max abs err X, max rel err Y\n"
        "                            (N elements) PASS|FAIL' against --rtol/--atol\n"
        "  --rtol X, --atol X        tolerances: |got - want| <= atol + rtol * |want|\n"
        "                            (defaults 1e-3 and 1e-4)\n"
        "  --strict                  report SBUF/PSUM races between engines (exit 5)\n"
        "  --profile FILE.json       write a Chrome-trace/Perfetto timeline; implies --stats\n"
        "  --profile-html FILE.html  write a self-contained HTML timeline; implies --stats\n"
        "  --stats                   print cycles, simulated time, per-engine busy time,\n"
        "                            PE utilization, DMA bytes and interpreter wall time\n"
        "  --layers[=N]              also print the N layers (ONNX nodes) that take the most\n"
        "                            simulated time (default 20, 0 = all) as a markdown table:\n"
        "                            span, busy time per engine, MACs, HBM bytes and each\n"
        "                            layer's roofline bound; implies --stats\n"
        "  --repeat N                run the loaded model N times (default 1) and report\n"
        "                            the median run time as the interpreter wall time;\n"
        "                            outputs are those of the last run; implies --stats\n"
        "Options taking a value accept both --opt VALUE and --opt=VALUE.\n"
        "The reference backend and .pb files need libtrn_compiler.so, loaded on demand from\n"
        "<dir of trn-run>/../lib or the default library search path.\n\n"
        "exit codes: 0 ok, 1 usage, 2 cannot read a file, 3 invalid .neff, 4 bad input\n"
        "(shape, dtype or missing), 5 execution trap, deadlock or race, 6 mismatch against\n"
        "--expect or the reference, 7 cannot write an output, 8 the reference backend is\n"
        "unavailable or cannot import or run the model\n",
        stdout);
}

static int fail(int code, const char *what, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "trn-run: error: %s: ", what);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  return code;
}

/* Status messages already start with the file they name when they come from a
 * reader; otherwise prefix `what`. */
static int fail_status(int code, const char *what, trn_status_t st) {
  const char *msg = trn_status_message(st);
  size_t n = strlen(what);
  if (strncmp(msg, what, n) == 0 && msg[n] == ':')
    fprintf(stderr, "trn-run: error: %s\n", msg);
  else
    fprintf(stderr, "trn-run: error: %s: %s\n", what, msg);
  trn_status_free(st);
  return code;
}

static bool parse_double(const char *s, double *out) {
  char *end;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end) return false;
  *out = v;
  return true;
}

static int parse_args(int argc, char **argv, args_t *a) {
  memset(a, 0, sizeof *a);
  a->layers = -1;
  a->repeat = 1;
  a->rtol = 1e-3;
  a->atol = 1e-4;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    /* --opt=VALUE is --opt VALUE. */
    char name[32];
    const char *eq = strncmp(s, "--", 2) == 0 ? strchr(s, '=') : NULL;
    bool inline_value = eq && (size_t)(eq - s) < sizeof name;
    if (inline_value) {
      memcpy(name, s, (size_t)(eq - s));
      name[eq - s] = '\0';
      s = name;
      v = eq + 1;
    }
#define NEED_VALUE()                                                          \
  do {                                                                        \
    if (!v) return fail(EXIT_USAGE, s, "needs a value"), -1;                  \
    if (!inline_value) i++;                                                   \
  } while (0)
    if (strcmp(s, "-h") == 0 || strcmp(s, "--help") == 0) {
      help();
      return 1;
    } else if (strcmp(s, "--input") == 0 || strcmp(s, "--expect") == 0) {
      NEED_VALUE();
      bool in = s[2] == 'i';
      int *n = in ? &a->ninputs : &a->nexpects;
      if (*n >= MAX_FILES) return fail(EXIT_USAGE, s, "too many files"), -1;
      (in ? a->inputs : a->expects)[(*n)++] = (file_arg_t){NULL, v};
    } else if (strcmp(s, "--random-inputs") == 0) {
      NEED_VALUE();
      char *end;
      errno = 0;
      unsigned long long seed = strtoull(v, &end, 0);
      if (errno || end == v || *end) return fail(EXIT_USAGE, s, "'%s' is not a seed", v), -1;
      a->random = true;
      a->seed = seed;
    } else if (strcmp(s, "--output") == 0 || strcmp(s, "-o") == 0) {
      NEED_VALUE();
      a->output = v;
    } else if (strcmp(s, "--rtol") == 0 || strcmp(s, "--atol") == 0) {
      NEED_VALUE();
      if (!parse_double(v, s[2] == 'r' ? &a->rtol : &a->atol))
        return fail(EXIT_USAGE, s, "'%s' is not a number", v), -1;
    } else if (inline_value && (strcmp(s, "--strict") == 0 || strcmp(s, "--stats") == 0)) {
      return fail(EXIT_USAGE, s, "takes no value"), -1;
    } else if (strcmp(s, "--strict") == 0) {
      a->strict = true;
    } else if (strcmp(s, "--stats") == 0) {
      a->stats = true;
    } else if (strcmp(s, "--layers") == 0) {
      char *end = NULL;
      a->layers = inline_value ? strtol(v, &end, 10) : 20;
      if (inline_value && (end == v || *end || a->layers < 0))
        return fail(EXIT_USAGE, s, "'%s' is not a row count", v), -1;
      a->stats = true;
    } else if (strcmp(s, "--repeat") == 0) {
      NEED_VALUE();
      char *end = NULL;
      errno = 0;
      a->repeat = strtol(v, &end, 10);
      if (errno || end == v || *end || a->repeat < 1 || a->repeat > 100000)
        return fail(EXIT_USAGE, s, "'%s' is not a run count in 1..100000", v), -1;
      a->stats = true;
    } else if (strcmp(s, "--reference") == 0 || strcmp(s, "--check") == 0) {
      NEED_VALUE();
      if (a->onnx) return fail(EXIT_USAGE, s, "a second ONNX model ('%s' was given)", a->onnx), -1;
      a->onnx = v;
      a->check = s[2] == 'c';
    } else if (strcmp(s, "--profile") == 0) {
      NEED_VALUE();
      a->trace = v;
    } else if (strcmp(s, "--profile-html") == 0) {
      NEED_VALUE();
      a->html = v;
    } else if (s[0] == '-' && s[1]) {
      usage(stderr);
      return fail(EXIT_USAGE, s, "unknown option"), -1;
    } else if (!a->neff) {
      a->neff = s;
    } else {
      usage(stderr);
      return fail(EXIT_USAGE, s, "a second model file"), -1;
    }
#undef NEED_VALUE
  }
  if (!a->neff && !a->onnx) {
    usage(stderr);
    return fail(EXIT_USAGE, "usage", "no model file given"), -1;
  }
  if (a->check && !a->neff)
    return fail(EXIT_USAGE, "--check", "needs a .neff to compare with %s (or use --reference)",
                a->onnx), -1;
  if (a->neff && a->onnx) a->check = true; /* model.neff --reference model.onnx */
  if (!a->neff &&
      (a->strict || a->stats || a->trace || a->html || a->layers >= 0 || a->repeat > 1))
    return fail(EXIT_USAGE, "--reference",
                "--strict, --stats and --profile need a .neff (the reference backend has no "
                "timing model)"), -1;
  return 0;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---------------------------------------------------------------------------------
 * Reference backend and host tensors
 * ------------------------------------------------------------------------------- */

/* What every mode shares: the lazily opened bridge to libtrn_compiler.so. */
typedef struct ctx_t {
  trn_ref_bridge_t *bridge;
} ctx_t;

/* Opens the bridge on first use; 0 or an exit code (the error is printed). */
static int need_bridge(ctx_t *c, const char *why) {
  if (c->bridge) return 0;
  trn_status_t st = trn_ref_bridge_open(&c->bridge);
  return st ? fail_status(EXIT_REFERENCE, why, st) : 0;
}

static trn_elem_type_t elem_from_dtype(trn_dtype_t d) {
  switch (d) {
  case TRN_DTYPE_FP32: return TRN_ELEM_F32;
  case TRN_DTYPE_BF16: return TRN_ELEM_BF16;
  case TRN_DTYPE_FP16: return TRN_ELEM_F16;
  case TRN_DTYPE_INT32: return TRN_ELEM_I32;
  case TRN_DTYPE_INT8: return TRN_ELEM_I8;
  case TRN_DTYPE_UINT8: return TRN_ELEM_U8;
  default: return TRN_ELEM_UNDEFINED;
  }
}

/* The host type of a .npy array (descr kind and size). */
static trn_elem_type_t elem_from_npy(const trn_npy_t *a) {
  switch (a->kind) {
  case 'f': return a->itemsize == 2 ? TRN_ELEM_F16 : a->itemsize == 4 ? TRN_ELEM_F32
                 : a->itemsize == 8 ? TRN_ELEM_F64 : TRN_ELEM_UNDEFINED;
  case 'i': return a->itemsize == 1 ? TRN_ELEM_I8 : a->itemsize == 2 ? TRN_ELEM_I16
                 : a->itemsize == 4 ? TRN_ELEM_I32 : a->itemsize == 8 ? TRN_ELEM_I64
                                    : TRN_ELEM_UNDEFINED;
  case 'u': return a->itemsize == 1 ? TRN_ELEM_U8 : a->itemsize == 2 ? TRN_ELEM_U16
                 : a->itemsize == 4 ? TRN_ELEM_U32 : a->itemsize == 8 ? TRN_ELEM_U64
                                    : TRN_ELEM_UNDEFINED;
  case 'b': return TRN_ELEM_BOOL;
  default: return TRN_ELEM_UNDEFINED;
  }
}

/* The .npy descr of a host type ("" when NumPy has none). */
static const char *npy_descr(trn_elem_type_t t) {
  switch (t) {
  case TRN_ELEM_F32: return "<f4";
  case TRN_ELEM_F64: return "<f8";
  case TRN_ELEM_F16: return "<f2";
  case TRN_ELEM_I8: return "|i1";
  case TRN_ELEM_I16: return "<i2";
  case TRN_ELEM_I32: return "<i4";
  case TRN_ELEM_I64: return "<i8";
  case TRN_ELEM_U8: return "|u1";
  case TRN_ELEM_U16: return "<u2";
  case TRN_ELEM_U32: return "<u4";
  case TRN_ELEM_U64: return "<u8";
  case TRN_ELEM_BOOL: return "|b1";
  default: return "";
  }
}

static uint64_t shape_count(uint32_t rank, const int64_t *dims) {
  uint64_t n = 1;
  for (uint32_t i = 0; i < rank; i++) n *= (uint64_t)dims[i];
  return n;
}

/* A host tensor as a .npy array (bf16 becomes f32: NumPy has no bfloat16). */
static trn_status_t host_to_npy(ctx_t *c, const trn_host_tensor_t *t, const char *what,
                                trn_npy_t *out) {
  memset(out, 0, sizeof *out);
  trn_host_tensor_t f32 = {0};
  if (t->type == TRN_ELEM_BF16) {
    TRN_RETURN_IF_ERROR(trn_ref_bridge_tensor_convert(c->bridge, t, TRN_ELEM_F32, &f32));
    t = &f32;
  }
  const char *d = npy_descr(t->type);
  if (!*d) {
    trn_ref_bridge_tensor_release(c->bridge, &f32);
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "%s: element type %s has no .npy form", what,
                           trn_ref_bridge_elem_name(c->bridge, t->type));
  }
  memcpy(out->descr, d, 4);
  out->kind = d[1];
  out->itemsize = (uint32_t)(d[2] - '0');
  out->rank = t->rank;
  memcpy(out->dims, t->dims, sizeof out->dims);
  out->count = shape_count(t->rank, t->dims);
  out->data = malloc(t->bytes ? t->bytes : 1);
  if (!out->data) {
    trn_ref_bridge_tensor_release(c->bridge, &f32);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: %zu bytes", what, t->bytes);
  }
  memcpy(out->data, t->data, t->bytes);
  trn_ref_bridge_tensor_release(c->bridge, &f32);
  return NULL;
}

/* Makes `out` a host tensor of `type` from raw data of `from` with shape rank/dims. */
static trn_status_t host_from_raw(ctx_t *c, const char *name, trn_elem_type_t from,
                                  const void *data, uint32_t rank, const int64_t *dims,
                                  trn_elem_type_t type, trn_host_tensor_t *out) {
  trn_host_tensor_t raw = {0};
  TRN_RETURN_IF_ERROR(trn_ref_bridge_tensor_init(c->bridge, &raw, name, from, rank, dims));
  if (raw.bytes) memcpy(raw.data, data, raw.bytes);
  if (from == type) {
    *out = raw;
    return NULL;
  }
  trn_status_t st = trn_ref_bridge_tensor_convert(c->bridge, &raw, type, out);
  trn_ref_bridge_tensor_release(c->bridge, &raw);
  return st;
}

/* The elements of a host tensor as doubles (malloc'ed). */
static trn_status_t host_doubles(ctx_t *c, const trn_host_tensor_t *t, double **out) {
  *out = NULL;
  trn_host_tensor_t f64 = {0};
  TRN_RETURN_IF_ERROR(trn_ref_bridge_tensor_convert(c->bridge, t, TRN_ELEM_F64, &f64));
  *out = f64.data; /* take the buffer; release the rest */
  f64.data = NULL;
  f64.bytes = 0;
  trn_ref_bridge_tensor_release(c->bridge, &f64);
  return NULL;
}

/* Writes a host tensor as .npy (format 1.0) through a temporary file and a rename. */
static trn_status_t write_host_npy(ctx_t *c, const char *path, const trn_host_tensor_t *t) {
  trn_npy_t a;
  TRN_RETURN_IF_ERROR(host_to_npy(c, t, path, &a));
  char header[512], shape[256];
  size_t k = 0;
  shape[k++] = '(';
  for (uint32_t i = 0; i < a.rank && k < sizeof shape - 32; i++)
    k += (size_t)snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)a.dims[i],
                          i + 1 < a.rank ? " " : "");
  if (a.rank > 1) k--; /* "(2, 3)" but "(4,)" */
  snprintf(shape + k, sizeof shape - k, ")");
  int hl = snprintf(header, sizeof header, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                    a.descr, shape);
  size_t total = 10 + (size_t)hl + 1, pad = (64 - total % 64) % 64;
  memset(header + hl, ' ', pad);
  header[hl + (int)pad] = '\n';
  size_t header_len = (size_t)hl + pad + 1;
  char tmp[4200];
  snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "wb");
  if (!f) {
    trn_npy_free(&a);
    return trn_status_make(TRN_ERR_IO, "%s: cannot create a temporary file: %s", path,
                           strerror(errno));
  }
  uint8_t pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (uint8_t)(header_len & 0xFF),
                     (uint8_t)(header_len >> 8)};
  bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, header_len, f) == header_len &&
            fwrite(a.data, 1, a.count * a.itemsize, f) == a.count * a.itemsize;
  ok = (fclose(f) == 0) && ok;
  trn_npy_free(&a);
  if (!ok || rename(tmp, path) != 0) {
    int e = errno;
    remove(tmp);
    return trn_status_make(TRN_ERR_IO, "%s: cannot write: %s", path, strerror(e));
  }
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Input and expected-output files
 * ------------------------------------------------------------------------------- */

/* One array read from a file argument (a .npz gives one per member). */
typedef struct source_t {
  char *name;         /* the tensor it names, or NULL: fills the next unnamed tensor */
  bool explicit_name; /* NAME= on the command line (must exist) */
  char *label;        /* file (and member) for messages */
  trn_npy_t arr;
} source_t;

typedef struct sources_t {
  source_t *v;
  size_t n, cap;
} sources_t;

static void sources_free(sources_t *s) {
  for (size_t i = 0; i < s->n; i++) {
    free(s->v[i].name);
    free(s->v[i].label);
    trn_npy_free(&s->v[i].arr);
  }
  free(s->v);
  memset(s, 0, sizeof *s);
}

static char *dup_str(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, s, n);
    d[n] = '\0';
  }
  return d;
}

/* Appends a source taking `arr`; 0 or an exit code. */
static int sources_add(sources_t *s, const char *name, size_t name_len, bool explicit_name,
                       const char *label, trn_npy_t *arr) {
  if (s->n == s->cap) {
    size_t cap = s->cap ? s->cap * 2 : 8;
    source_t *v = realloc(s->v, cap * sizeof *v);
    if (!v) {
      trn_npy_free(arr);
      return fail(EXIT_EXEC, label, "out of memory");
    }
    s->v = v;
    s->cap = cap;
  }
  source_t *e = &s->v[s->n];
  memset(e, 0, sizeof *e);
  e->name = name ? dup_str(name, name_len) : NULL;
  e->explicit_name = explicit_name;
  e->label = dup_str(label, strlen(label));
  e->arr = *arr;
  memset(arr, 0, sizeof *arr);
  s->n++;
  if ((name && !e->name) || !e->label) return fail(EXIT_EXEC, label, "out of memory");
  return 0;
}

static int read_code(trn_status_t st) {
  return trn_status_code(st) == TRN_ERR_IO ? EXIT_READ : EXIT_INPUT;
}

/* Reads one --input/--expect argument. NAME=FILE names a tensor when NAME is one of
 * `names`; otherwise the whole argument is a file if it exists. */
static int load_file(ctx_t *c, const file_arg_t *f, const char *const *names, size_t count,
                     const char *kind, sources_t *out) {
  const char *path = f->path, *name = NULL;
  size_t name_len = 0;
  const char *eq = strchr(f->path, '=');
  if (eq) {
    size_t n = (size_t)(eq - f->path);
    bool known = false;
    for (size_t i = 0; i < count && !known; i++)
      known = strlen(names[i]) == n && strncmp(names[i], f->path, n) == 0;
    struct stat sb;
    if (known) {
      name = f->path;
      name_len = n;
      path = eq + 1;
    } else if (stat(f->path, &sb) != 0) {
      return fail(EXIT_INPUT, f->path, "the model has no %s named '%.*s'", kind, (int)n, f->path);
    }
  }
  trn_npy_t arr;
  if (ends_with(path, ".npz")) {
    trn_npz_t z;
    trn_status_t st = trn_npz_read_file(path, &z);
    if (st) return fail_status(trn_status_code(st) == TRN_ERR_IO ? EXIT_READ : EXIT_INPUT, path, st);
    int rc = 0;
    if (name) {
      char want[256];
      snprintf(want, sizeof want, "%.*s", (int)name_len, name);
      const trn_npz_member_t *m = trn_npz_find(&z, want);
      if (!m && z.count == 1) m = &z.members[0];
      if (!m) {
        rc = fail(EXIT_INPUT, path, "has no member named '%s' (and %zu members)", want, z.count);
      } else {
        char label[4400];
        snprintf(label, sizeof label, "%s:%s", path, m->name);
        rc = sources_add(out, name, name_len, true, label, &z.members[m - z.members].array);
      }
    } else {
      for (size_t i = 0; i < z.count && !rc; i++) {
        char label[4400];
        snprintf(label, sizeof label, "%s:%s", path, z.members[i].name);
        rc = sources_add(out, z.members[i].name, strlen(z.members[i].name), false, label,
                         &z.members[i].array);
      }
    }
    trn_npz_free(&z);
    return rc;
  }
  if (ends_with(path, ".pb")) {
    int rc = need_bridge(c, path);
    if (rc) return rc;
    trn_host_tensor_t t = {0};
    trn_status_t st = trn_ref_bridge_tensor_pb_read(c->bridge, path, &t);
    if (st) return fail_status(read_code(st), path, st);
    st = host_to_npy(c, &t, path, &arr);
    bool has_name = !name && t.name && *t.name;
    rc = st ? fail_status(EXIT_INPUT, path, st)
            : sources_add(out, name ? name : has_name ? t.name : NULL,
                          name ? name_len : has_name ? strlen(t.name) : 0, name != NULL, path,
                          &arr);
    trn_ref_bridge_tensor_release(c->bridge, &t);
    return rc;
  }
  trn_status_t st = trn_npy_read_file(path, &arr);
  if (st) return fail_status(read_code(st), path, st);
  return sources_add(out, name, name_len, name != NULL, path, &arr);
}

static int load_files(ctx_t *c, const file_arg_t *files, int nfiles, const char *const *names,
                      size_t count, const char *kind, sources_t *out) {
  for (int f = 0; f < nfiles; f++) {
    int rc = load_file(c, &files[f], names, count, kind, out);
    if (rc) return rc;
  }
  return 0;
}

/* Gives each tensor its source: explicit names, then member/proto names that match a
 * tensor, then the rest in order. out_src[i] = source index or -1. */
static int assign_sources(const sources_t *s, const char *const *names, size_t count,
                          const char *kind, int *out_src) {
  for (size_t i = 0; i < count; i++) out_src[i] = -1;
  bool *used = calloc(s->n + 1, sizeof *used);
  if (!used) return fail(EXIT_EXEC, kind, "out of memory");
  int rc = 0;
  for (int pass = 0; pass < 2 && !rc; pass++)
    for (size_t k = 0; k < s->n && !rc; k++) {
      const source_t *e = &s->v[k];
      if (!e->name || e->explicit_name != (pass == 0)) continue;
      for (size_t i = 0; i < count; i++) {
        if (strcmp(names[i], e->name) != 0) continue;
        if (out_src[i] >= 0) {
          char what[300];
          snprintf(what, sizeof what, "%s '%s'", kind, names[i]);
          rc = fail(EXIT_USAGE, what, "given twice (%s and %s)", s->v[out_src[i]].label,
                    e->label);
          break;
        }
        out_src[i] = (int)k;
        used[k] = true;
        break;
      }
    }
  size_t next = 0;
  for (size_t k = 0; k < s->n && !rc; k++) {
    if (used[k]) continue;
    while (next < count && out_src[next] >= 0) next++;
    if (next >= count) {
      rc = fail(EXIT_INPUT, s->v[k].label, "more %s files than the model's %zu %ss", kind, count,
                kind);
      break;
    }
    out_src[next++] = (int)k;
  }
  free(used);
  return rc;
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double random_float(uint64_t r) {
  return (double)(r >> 11) / 9007199254740992.0 * 2 - 1;
}

/* Uniform floats in [-1, 1); integers in [0, 10). */
static void fill_random(const trn_rt_tensor_info_t *info, void *buf, uint64_t *state) {
  uint64_t count = info->bytes / trn_isa_dtype_size(info->dtype);
  for (uint64_t i = 0; i < count; i++) {
    uint64_t r = rng_next(state);
    if (info->dtype == TRN_DTYPE_INT32 || info->dtype == TRN_DTYPE_INT8 ||
        info->dtype == TRN_DTYPE_UINT8)
      trn_isa_store_f32(buf, info->dtype, i, (float)(r % 10));
    else
      trn_isa_store_f32(buf, info->dtype, i, (float)random_float(r));
  }
}

static bool same_shape(uint32_t r1, const int64_t *d1, uint32_t r2, const int64_t *d2) {
  if (r1 != r2) return false;
  for (uint32_t i = 0; i < r1; i++)
    if (d1[i] != d2[i]) return false;
  return true;
}

static int compare_doubles(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---------------------------------------------------------------------------------
 * Comparing
 * ------------------------------------------------------------------------------- */

/* Prints one comparison line; true when every element is within tolerance. */
static bool compare_values(const char *name, const double *got, const double *want, uint64_t n,
                           double rtol, double atol) {
  double max_abs = 0, max_rel = 0;
  bool ok = true;
  for (uint64_t k = 0; k < n; k++) {
    double g = got[k], w = want[k];
    if (isnan(g) || isnan(w)) {
      if (!(isnan(g) && isnan(w))) {
        ok = false;
        max_abs = max_rel = INFINITY;
      }
      continue;
    }
    if (g == w) continue; /* also equal infinities */
    double d = fabs(g - w);
    double rel = w != 0 ? d / fabs(w) : INFINITY;
    if (d > max_abs) max_abs = d;
    if (rel > max_rel) max_rel = rel;
    if (!(d <= atol + rtol * fabs(w))) ok = false;
  }
  printf("output %s: max abs err %.6g, max rel err %.6g (%llu elements) %s\n", name, max_abs,
         max_rel, (unsigned long long)n, ok ? "PASS" : "FAIL");
  return ok;
}

/* An output to compare: its name, shape and elements as doubles (owned). */
typedef struct values_t {
  const char *name;
  uint32_t rank;
  int64_t dims[TRN_MAX_RANK];
  double *v;
  uint64_t n;
} values_t;

static int values_of_npy(const trn_npy_t *a, values_t *out) {
  out->rank = a->rank;
  memcpy(out->dims, a->dims, sizeof out->dims);
  out->n = a->count;
  out->v = malloc((a->count ? a->count : 1) * sizeof(double));
  if (!out->v) return fail(EXIT_EXEC, "compare", "out of memory");
  for (uint64_t k = 0; k < a->count; k++) out->v[k] = trn_npy_get(a, k);
  return 0;
}

/* Compares `got` with `want` (shapes first); `where` names the expected side in the
 * shape message. Sets *ok false on a mismatch. */
static void compare_one(const values_t *got, const values_t *want, const char *where, double rtol,
                        double atol, bool *ok) {
  if (!same_shape(got->rank, got->dims, want->rank, want->dims)) {
    char s1[128], s2[128];
    printf("output %s: shape %s differs from the expected %s in %s FAIL\n", got->name,
           trn_npy_shape_str(got->rank, got->dims, s1, sizeof s1),
           trn_npy_shape_str(want->rank, want->dims, s2, sizeof s2), where);
    *ok = false;
    return;
  }
  if (!compare_values(got->name, got->v, want->v, got->n, rtol, atol)) *ok = false;
}

/* Compares outputs with the --expect files. `outs` are the produced outputs. */
static int compare_expected(ctx_t *c, const args_t *a, const values_t *outs, size_t n,
                            bool *ok, int *compared) {
  const char **names = calloc(n + 1, sizeof *names);
  int *src = calloc(n + 1, sizeof *src);
  sources_t s = {0};
  int rc = !names || !src ? fail(EXIT_EXEC, "--expect", "out of memory") : 0;
  for (size_t i = 0; i < n && !rc; i++) names[i] = outs[i].name;
  if (!rc) rc = load_files(c, a->expects, a->nexpects, names, n, "output", &s);
  if (!rc) rc = assign_sources(&s, names, n, "output", src);
  for (size_t i = 0; i < n && !rc; i++) {
    if (src[i] < 0) continue;
    values_t want = {0};
    if ((rc = values_of_npy(&s.v[src[i]].arr, &want))) break;
    compare_one(&outs[i], &want, s.v[src[i]].label, a->rtol, a->atol, ok);
    (*compared)++;
    free(want.v);
  }
  sources_free(&s);
  free(names);
  free(src);
  return rc;
}

static void print_stats(const trn_rt_model_t *model, const trn_rt_profile_t *p, double wall) {
  const trn_target_t *t = trn_rt_model_target(model);
  printf("target: %s\n", t->name);
  printf("cycles: %llu (PE clock %.2f GHz)\n", (unsigned long long)p->total_cycles, t->pe_ghz);
  printf("simulated time: %.3f us\n", p->total_seconds * 1e6);
  printf("instructions: %llu\n", (unsigned long long)p->instructions);
  printf("engine busy:");
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    if (!trn_rt_model_stream_length(model, s)) continue;
    char name[16];
    printf(" %s %.1f%%", trn_isa_stream_name(s, name, sizeof name), 100.0 * p->engine_busy[s]);
  }
  printf("\n");
  printf("PE utilization: %.2f%% (%llu MACs)\n", 100.0 * p->pe_utilization,
         (unsigned long long)p->macs);
  printf("DMA bytes: %llu\n", (unsigned long long)p->dma_bytes);
  printf("interpreter wall time: %.3f ms\n", wall * 1e3);
}

/* A layer's time: the span of its compute instructions, or of its DMAs if it has
 * none (DMAs are prefetched early, so their span says little when there is compute). */
static double layer_span(const trn_rt_layer_profile_t *l) {
  return l->last_end > 0 ? l->last_end - l->first_start : l->dma_last_end - l->dma_first_start;
}

/* A layer and its span, sorted by decreasing span (ties: by index). */
typedef struct layer_rank_t {
  size_t index;
  double span;
} layer_rank_t;

static int by_span(const void *x, const void *y) {
  const layer_rank_t *a = x, *b = y;
  if (a->span != b->span) return a->span < b->span ? 1 : -1;
  return a->index < b->index ? -1 : 1;
}

/* The per-layer table: where the simulated time goes, against each layer's own
 * roofline bound max(MACs at the PE's peak, HBM bytes at HBM bandwidth). Layers run
 * concurrently (prefetches, pipelining), so spans overlap and sum to more than the
 * total. */
static void print_layers(const trn_rt_model_t *model, const trn_rt_layer_profile_t *l,
                         const trn_rt_profile_t *p, long rows) {
  size_t n = trn_rt_model_layer_count(model);
  const trn_target_t *t = trn_rt_model_target(model);
  if (n == 0) {
    printf("per-layer profile: the .neff has no layers (compiled before format 1.1)\n");
    return;
  }
  layer_rank_t *order = malloc(n * sizeof *order);
  if (!order) return;
  for (size_t i = 0; i < n; i++) order[i] = (layer_rank_t){i, layer_span(&l[i])};
  qsort(order, n, sizeof *order, by_span);
  size_t shown = rows == 0 || (size_t)rows > n ? n : (size_t)rows;
  double peak_macs = (double)t->pe_rows * t->pe_cols * t->pe_ghz * 1e9;
  double hbm = t->hbm_gbps * 1e9;
  printf("\nper-layer profile: %zu of %zu layers by simulated span (us: first start to last "
         "end of the layer's compute instructions, or of its DMAs if it has none; layers "
         "overlap); busy = time each engine spent on the layer; DMA = summed over queues / %u "
         "queues; bound = max(MACs at peak, HBM bytes at bandwidth)\n\n",
         shown, n, t->dma_queues);
  printf("| layer | instr | span us | %% of total | PE us | ACT us | DVE us | POOL us | DMA us "
         "| MACs | HBM MB | PE util | bound us | span / bound |\n");
  printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (size_t r = 0; r < shown; r++) {
    const trn_rt_layer_profile_t *x = &l[order[r].index];
    double span = order[r].span, dma = 0;
    for (uint32_t q = 0; q < t->dma_queues && TRN_STREAM_DMA0 + q < TRN_MAX_STREAMS; q++)
      dma += x->busy_seconds[TRN_STREAM_DMA0 + q];
    dma /= t->dma_queues ? t->dma_queues : 1;
    double compute = (double)x->macs / peak_macs, memory = (double)x->dma_hbm_bytes / hbm;
    double bound = compute > memory ? compute : memory;
    char ratio[32] = "n/a", util[32] = "-";
    if (bound > 0) snprintf(ratio, sizeof ratio, "%.2fx", span / bound);
    if (x->macs && span > 0) snprintf(util, sizeof util, "%.1f%%", 100.0 * compute / span);
    printf("| %s | %llu | %.2f | %.1f%% | %.2f | %.2f | %.2f | %.2f | %.2f | %llu | %.2f | %s | "
           "%.2f | %s |\n",
           trn_rt_model_layer_name(model, order[r].index), (unsigned long long)x->instructions,
           span * 1e6, p->total_seconds > 0 ? 100.0 * span / p->total_seconds : 0.0,
           x->busy_seconds[TRN_ENGINE_PE] * 1e6, x->busy_seconds[TRN_ENGINE_ACT] * 1e6,
           x->busy_seconds[TRN_ENGINE_DVE] * 1e6, x->busy_seconds[TRN_ENGINE_POOL] * 1e6,
           dma * 1e6, (unsigned long long)x->macs, (double)x->dma_hbm_bytes / 1e6, util,
           bound * 1e6, ratio);
  }
  free(order);
}

/* ---------------------------------------------------------------------------------
 * Writing outputs
 * ------------------------------------------------------------------------------- */

/* The file of output `index` of `n` named `name`: --output itself when it ends in .npy
 * (one output only), else DIR/NAME.npy with NAME made safe for a file name. */
static int output_path(const args_t *a, const char *name, size_t index, size_t n, char *path,
                       size_t size) {
  if (ends_with(a->output, ".npy")) {
    if (n != 1)
      return fail(EXIT_USAGE, a->output, "the model has %zu outputs: give a directory", n);
    snprintf(path, size, "%s", a->output);
    return 0;
  }
  if (index == 0 && mkdir(a->output, 0777) != 0 && errno != EEXIST)
    return fail(EXIT_WRITE, a->output, "cannot create the directory: %s", strerror(errno));
  char safe[256];
  size_t k = 0;
  for (const char *c = name; *c && k + 1 < sizeof safe; c++)
    safe[k++] = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                 *c == '.' || *c == '-' || *c == '_')
                    ? *c
                    : '_';
  safe[k] = '\0';
  if (k == 0 || strcmp(safe, ".") == 0 || strcmp(safe, "..") == 0)
    snprintf(safe, sizeof safe, "output%zu", index);
  snprintf(path, size, "%s/%s.npy", a->output, safe);
  return 0;
}

static int write_neff_outputs(const args_t *a, const trn_rt_model_t *model, void *const *outputs) {
  size_t n = trn_rt_model_output_count(model);
  for (size_t i = 0; i < n; i++) {
    const trn_rt_tensor_info_t *o = trn_rt_model_output(model, i);
    char path[4096];
    int rc = output_path(a, o->name, i, n, path, sizeof path);
    if (rc) return rc;
    trn_status_t st = trn_npy_write_file(path, o->dtype, o->rank, o->dims, outputs[i]);
    if (st) return fail_status(EXIT_WRITE, path, st);
  }
  return 0;
}

static int write_host_outputs(ctx_t *c, const args_t *a, const trn_host_tensor_t *outs,
                              size_t n) {
  for (size_t i = 0; i < n; i++) {
    char path[4096];
    int rc = output_path(a, outs[i].name ? outs[i].name : "", i, n, path, sizeof path);
    if (rc) return rc;
    trn_status_t st = write_host_npy(c, path, &outs[i]);
    if (st) return fail_status(trn_status_code(st) == TRN_ERR_IO ? EXIT_WRITE : EXIT_EXEC, path, st);
  }
  return 0;
}

/* ---------------------------------------------------------------------------------
 * The reference backend
 * ------------------------------------------------------------------------------- */

static int import_model(ctx_t *c, const char *onnx) {
  int rc = need_bridge(c, onnx);
  if (rc) return rc;
  trn_status_t st = trn_ref_bridge_import(c->bridge, onnx);
  return st ? fail_status(trn_status_code(st) == TRN_ERR_IO ? EXIT_READ : EXIT_REFERENCE, onnx, st)
            : 0;
}

static int run_reference(ctx_t *c, const char *onnx, const trn_host_tensor_t *in, size_t nin,
                         trn_host_tensor_t **out, size_t *nout) {
  trn_status_t st = trn_ref_bridge_run(c->bridge, in, nin, out, nout);
  if (!st) return 0;
  return fail_status(trn_status_code(st) == TRN_ERR_INVALID_ARGUMENT ? EXIT_INPUT : EXIT_REFERENCE,
                     onnx, st);
}

/* Values of reference outputs for comparing (names point into `outs`). */
static int host_values(ctx_t *c, const trn_host_tensor_t *outs, size_t n, values_t *vals) {
  for (size_t i = 0; i < n; i++) {
    vals[i].name = outs[i].name ? outs[i].name : "?";
    vals[i].rank = outs[i].rank;
    memcpy(vals[i].dims, outs[i].dims, sizeof vals[i].dims);
    vals[i].n = shape_count(outs[i].rank, outs[i].dims);
    trn_status_t st = host_doubles(c, &outs[i], &vals[i].v);
    if (st) return fail_status(EXIT_EXEC, vals[i].name, st);
  }
  return 0;
}

static void values_free(values_t *vals, size_t n) {
  if (!vals) return;
  for (size_t i = 0; i < n; i++) free(vals[i].v);
  free(vals);
}

/* One random input of the reference backend, with the values trn-run gives a .neff
 * input of the same element type. */
static trn_status_t random_host(ctx_t *c, const trn_ref_arg_t *arg, uint64_t *rng,
                                trn_host_tensor_t *out) {
  uint64_t n = shape_count(arg->rank, arg->dims);
  double *v = malloc((n ? n : 1) * sizeof *v);
  if (!v) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "input '%s'", arg->name);
  bool integer = arg->type != TRN_ELEM_F32 && arg->type != TRN_ELEM_F16 &&
                 arg->type != TRN_ELEM_BF16 && arg->type != TRN_ELEM_F64;
  for (uint64_t k = 0; k < n; k++) {
    uint64_t r = rng_next(rng);
    v[k] = arg->type == TRN_ELEM_BOOL ? (double)(r % 2)
           : integer                  ? (double)(r % 10)
                                      : (double)(float)random_float(r);
  }
  trn_status_t st = host_from_raw(c, arg->name, TRN_ELEM_F64, v, arg->rank, arg->dims, arg->type, out);
  free(v);
  return st;
}

/* trn-run --reference model.onnx: the CPU reference backend alone. */
static int reference_mode(ctx_t *c, const args_t *a) {
  int rc = import_model(c, a->onnx);
  if (rc) return rc;
  size_t nin = trn_ref_bridge_arg_count(c->bridge);
  const char **names = calloc(nin + 1, sizeof *names);
  int *src = calloc(nin + 1, sizeof *src);
  trn_host_tensor_t *in = calloc(nin + 1, sizeof *in), *outs = NULL;
  size_t nout = 0;
  values_t *vals = NULL;
  sources_t s = {0};
  if (!names || !src || !in) {
    rc = fail(EXIT_EXEC, a->onnx, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nin; i++) names[i] = trn_ref_bridge_arg(c->bridge, i)->name;
  if ((rc = load_files(c, a->inputs, a->ninputs, names, nin, "input", &s))) goto done;
  if ((rc = assign_sources(&s, names, nin, "input", src))) goto done;
  uint64_t rng = a->seed;
  for (size_t i = 0; i < nin; i++) {
    const trn_ref_arg_t *arg = trn_ref_bridge_arg(c->bridge, i);
    char what[300];
    snprintf(what, sizeof what, "input '%s'", arg->name);
    if (arg->type == TRN_ELEM_UNDEFINED) {
      rc = fail(EXIT_REFERENCE, what, "its element type has no host form");
      goto done;
    }
    trn_status_t st;
    if (src[i] < 0) {
      if (!a->random) {
        rc = fail(EXIT_INPUT, what, "missing (give --input %s=FILE.npy or --random-inputs SEED)",
                  arg->name);
        goto done;
      }
      for (uint32_t k = 0; k < arg->rank; k++)
        if (arg->dims[k] < 0) {
          rc = fail(EXIT_INPUT, what,
                    "dimension %u is dynamic: give a file (--input %s=FILE.npy) to fix its size",
                    k, arg->name);
          goto done;
        }
      st = random_host(c, arg, &rng, &in[i]);
    } else {
      const source_t *e = &s.v[src[i]];
      bool fits = e->arr.rank == arg->rank;
      for (uint32_t k = 0; fits && k < arg->rank; k++)
        fits = arg->dims[k] < 0 || arg->dims[k] == e->arr.dims[k];
      if (!fits) {
        char s1[128], s2[128];
        rc = fail(EXIT_INPUT, what, "shape %s in %s, the model expects %s",
                  trn_npy_shape_str(e->arr.rank, e->arr.dims, s1, sizeof s1), e->label,
                  trn_npy_shape_str(arg->rank, arg->dims, s2, sizeof s2));
        goto done;
      }
      st = host_from_raw(c, arg->name, elem_from_npy(&e->arr), e->arr.data, e->arr.rank,
                         e->arr.dims, arg->type, &in[i]);
    }
    if (st) {
      rc = fail_status(EXIT_INPUT, what, st);
      goto done;
    }
  }
  if ((rc = run_reference(c, a->onnx, in, nin, &outs, &nout))) goto done;
  if (a->output && (rc = write_host_outputs(c, a, outs, nout))) goto done;
  vals = calloc(nout + 1, sizeof *vals);
  if (!vals) {
    rc = fail(EXIT_EXEC, a->onnx, "out of memory");
    goto done;
  }
  if (a->nexpects) {
    if ((rc = host_values(c, outs, nout, vals))) goto done;
    bool ok = true;
    int compared = 0;
    if ((rc = compare_expected(c, a, vals, nout, &ok, &compared))) goto done;
    if (compared) printf("%s\n", ok ? "PASS" : "FAIL");
    rc = ok ? 0 : EXIT_MISMATCH;
  }
done:
  values_free(vals, nout);
  if (in)
    for (size_t i = 0; i < nin; i++) trn_ref_bridge_tensor_release(c->bridge, &in[i]);
  free(in);
  if (outs) trn_ref_bridge_tensors_free(c->bridge, outs, nout);
  sources_free(&s);
  free(names);
  free(src);
  return rc;
}

/* --check: runs the reference on the .neff's inputs and compares the outputs. */
static int check_against_reference(ctx_t *c, const args_t *a, const trn_rt_model_t *model,
                                   void *const *inbufs, const values_t *neff_vals, bool *ok) {
  int rc = import_model(c, a->onnx);
  if (rc) return rc;
  size_t nin = trn_rt_model_input_count(model), nargs = trn_ref_bridge_arg_count(c->bridge);
  size_t nout = trn_rt_model_output_count(model), nref = 0;
  if (nargs != nin)
    return fail(EXIT_INPUT, a->onnx, "has %zu inputs, %s has %zu", nargs, a->neff, nin);
  trn_host_tensor_t *in = calloc(nargs + 1, sizeof *in), *outs = NULL;
  values_t *ref = NULL;
  if (!in) return fail(EXIT_EXEC, a->onnx, "out of memory");
  for (size_t j = 0; j < nargs && !rc; j++) {
    const trn_ref_arg_t *arg = trn_ref_bridge_arg(c->bridge, j);
    size_t i = j;
    for (size_t k = 0; k < nin; k++)
      if (strcmp(trn_rt_model_input(model, k)->name, arg->name) == 0) i = k;
    const trn_rt_tensor_info_t *info = trn_rt_model_input(model, i);
    char what[300];
    snprintf(what, sizeof what, "input '%s'", arg->name);
    bool fits = info->rank == arg->rank;
    for (uint32_t k = 0; fits && k < arg->rank; k++)
      fits = arg->dims[k] < 0 || arg->dims[k] == info->dims[k];
    if (!fits) {
      char s1[128], s2[128];
      rc = fail(EXIT_INPUT, what, "shape %s in %s, %s expects %s",
                trn_npy_shape_str(info->rank, info->dims, s1, sizeof s1), a->neff, a->onnx,
                trn_npy_shape_str(arg->rank, arg->dims, s2, sizeof s2));
      break;
    }
    if (arg->type == TRN_ELEM_UNDEFINED) {
      rc = fail(EXIT_REFERENCE, what, "its element type has no host form");
      break;
    }
    trn_status_t st = host_from_raw(c, arg->name, elem_from_dtype(info->dtype), inbufs[i],
                                    info->rank, info->dims, arg->type, &in[j]);
    if (st) rc = fail_status(EXIT_INPUT, what, st);
  }
  if (!rc) rc = run_reference(c, a->onnx, in, nargs, &outs, &nref);
  if (!rc) printf("reference: %s\n", a->onnx);
  if (!rc && nref != nout) {
    printf("outputs: %s has %zu, %s has %zu FAIL\n", a->neff, nout, a->onnx, nref);
    *ok = false;
  }
  if (!rc) {
    ref = calloc(nref + 1, sizeof *ref);
    rc = ref ? host_values(c, outs, nref, ref) : fail(EXIT_EXEC, a->onnx, "out of memory");
  }
  for (size_t i = 0; i < nout && !rc && nref == nout; i++) {
    size_t j = i;
    for (size_t k = 0; k < nref; k++)
      if (strcmp(ref[k].name, neff_vals[i].name) == 0) j = k;
    compare_one(&neff_vals[i], &ref[j], a->onnx, a->rtol, a->atol, ok);
  }
  values_free(ref, nref);
  for (size_t j = 0; j < nargs; j++) trn_ref_bridge_tensor_release(c->bridge, &in[j]);
  free(in);
  if (outs) trn_ref_bridge_tensors_free(c->bridge, outs, nref);
  return rc;
}

/* ---------------------------------------------------------------------------------
 * A .neff on the interpreter
 * ------------------------------------------------------------------------------- */

static int neff_mode(ctx_t *c, const args_t *a) {
  trn_rt_model_t *model = NULL;
  trn_status_t st = trn_rt_model_load_file(a->neff, &model);
  if (st) {
    trn_status_code_t code = trn_status_code(st);
    return fail_status(code == TRN_ERR_IO ? EXIT_READ : code == TRN_ERR_OUT_OF_MEMORY ? EXIT_EXEC
                                                                                      : EXIT_NEFF,
                       a->neff, st);
  }
  size_t nin = trn_rt_model_input_count(model), nout = trn_rt_model_output_count(model);
  trn_rt_layer_profile_t *layers = NULL;
  const char **innames = calloc(nin + 1, sizeof *innames);
  int *src = calloc(nin + 1, sizeof *src);
  void **inbufs = calloc(nin + 1, sizeof *inbufs);
  void **outbufs = calloc(nout + 1, sizeof *outbufs);
  values_t *vals = calloc(nout + 1, sizeof *vals);
  sources_t s = {0};
  int rc = 0;
  if (!innames || !src || !inbufs || !outbufs || !vals) {
    rc = fail(EXIT_EXEC, a->neff, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nin; i++) innames[i] = trn_rt_model_input(model, i)->name;
  if ((rc = load_files(c, a->inputs, a->ninputs, innames, nin, "input", &s))) goto done;
  if ((rc = assign_sources(&s, innames, nin, "input", src))) goto done;

  uint64_t rng = a->seed;
  for (size_t i = 0; i < nin; i++) {
    const trn_rt_tensor_info_t *info = trn_rt_model_input(model, i);
    inbufs[i] = calloc(1, info->bytes ? info->bytes : 1);
    if (!inbufs[i]) {
      rc = fail(EXIT_EXEC, info->name, "out of memory");
      goto done;
    }
    char what[300];
    snprintf(what, sizeof what, "input '%s'", info->name);
    if (src[i] < 0) {
      if (!a->random) {
        rc = fail(EXIT_INPUT, what, "missing (give --input %s=FILE.npy or --random-inputs SEED)",
                  info->name);
        goto done;
      }
      fill_random(info, inbufs[i], &rng);
      continue;
    }
    const source_t *e = &s.v[src[i]];
    if (!same_shape(info->rank, info->dims, e->arr.rank, e->arr.dims)) {
      char s1[128], s2[128];
      rc = fail(EXIT_INPUT, what, "shape %s in %s, the model expects %s",
                trn_npy_shape_str(e->arr.rank, e->arr.dims, s1, sizeof s1), e->label,
                trn_npy_shape_str(info->rank, info->dims, s2, sizeof s2));
      goto done;
    }
    st = trn_npy_to_dtype(&e->arr, info->dtype, inbufs[i], e->label);
    if (st) {
      rc = fail_status(EXIT_INPUT, what, st);
      goto done;
    }
  }
  for (size_t i = 0; i < nout; i++) {
    const trn_rt_tensor_info_t *o = trn_rt_model_output(model, i);
    outbufs[i] = calloc(1, o->bytes ? o->bytes : 1);
    if (!outbufs[i]) {
      rc = fail(EXIT_EXEC, o->name, "out of memory");
      goto done;
    }
  }

  trn_rt_run_options_t opts = {.strict = a->strict, .trace_path = a->trace, .html_path = a->html};
  if (a->layers >= 0 && trn_rt_model_layer_count(model)) {
    layers = calloc(trn_rt_model_layer_count(model), sizeof *layers);
    if (!layers) {
      rc = fail(EXIT_EXEC, a->neff, "out of memory");
      goto done;
    }
    opts.layers = layers;
  }
  trn_rt_profile_t prof;
  /* Every run starts from the same state (the model clears its memories), so repeated
   * runs give the same outputs and profile; the first also faults in fresh memory. */
  double *walls = calloc((size_t)a->repeat, sizeof *walls);
  if (!walls) {
    rc = fail(EXIT_EXEC, a->neff, "out of memory");
    goto done;
  }
  st = NULL;
  for (long r = 0; r < a->repeat && !st; r++) {
    double t0 = now_seconds();
    st = trn_rt_model_run(model, &opts, (const void *const *)inbufs, outbufs, &prof);
    walls[r] = now_seconds() - t0;
  }
  double first_wall = walls[0];
  qsort(walls, (size_t)a->repeat, sizeof *walls, compare_doubles);
  double wall = walls[(a->repeat - 1) / 2];
  free(walls);
  if (st) {
    trn_status_code_t code = trn_status_code(st);
    const char *msg = trn_status_message(st), *what = a->neff;
    if (code == TRN_ERR_IO && a->trace && strncmp(msg, a->trace, strlen(a->trace)) == 0)
      what = a->trace;
    if (code == TRN_ERR_IO && a->html && strncmp(msg, a->html, strlen(a->html)) == 0)
      what = a->html;
    rc = fail_status(code == TRN_ERR_INVALID_ARGUMENT ? EXIT_INPUT
                     : what != a->neff                ? EXIT_WRITE
                                                      : EXIT_EXEC,
                     what, st);
    goto done;
  }
  if (a->stats || a->trace || a->html) {
    print_stats(model, &prof, wall);
    if (a->repeat > 1)
      printf("interpreter runs: %ld (median above; first run %.3f ms)\n", a->repeat,
             first_wall * 1e3);
  }
  if (a->layers >= 0) print_layers(model, layers, &prof, a->layers);
  if (a->output && (rc = write_neff_outputs(a, model, outbufs))) goto done;

  for (size_t i = 0; i < nout; i++) {
    const trn_rt_tensor_info_t *o = trn_rt_model_output(model, i);
    vals[i].name = o->name;
    vals[i].rank = o->rank;
    memcpy(vals[i].dims, o->dims, sizeof vals[i].dims);
    vals[i].n = shape_count(o->rank, o->dims);
    vals[i].v = malloc((vals[i].n ? vals[i].n : 1) * sizeof(double));
    if (!vals[i].v) {
      rc = fail(EXIT_EXEC, o->name, "out of memory");
      goto done;
    }
    for (uint64_t k = 0; k < vals[i].n; k++)
      vals[i].v[k] = trn_npy_tensor_get(o->dtype, outbufs[i], k);
  }
  bool ok = true;
  int compared = 0;
  if ((rc = compare_expected(c, a, vals, nout, &ok, &compared))) goto done;
  if (a->check) {
    if ((rc = check_against_reference(c, a, model, inbufs, vals, &ok))) goto done;
    compared++;
  }
  if (compared) printf("%s\n", ok ? "PASS" : "FAIL");
  rc = ok ? 0 : EXIT_MISMATCH;

done:
  values_free(vals, nout);
  if (inbufs)
    for (size_t i = 0; i < nin; i++) free(inbufs[i]);
  if (outbufs)
    for (size_t i = 0; i < nout; i++) free(outbufs[i]);
  free(inbufs);
  free(outbufs);
  free(innames);
  free(src);
  free(layers);
  sources_free(&s);
  trn_rt_model_destroy(model);
  return rc;
}

int main(int argc, char **argv) {
  args_t a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? EXIT_USAGE : 0;
  ctx_t c = {0};
  rc = a.neff ? neff_mode(&c, &a) : reference_mode(&c, &a);
  trn_ref_bridge_close(c.bridge);
  return rc;
}
