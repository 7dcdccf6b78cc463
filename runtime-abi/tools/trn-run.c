/* trn-run: runs a .neff on the reference interpreter.
 *
 *   trn-run model.neff [--input NAME=FILE.npy | --input FILE.npy]... [--random-inputs SEED]
 *           [--expect NAME=FILE.npy | --expect FILE.npy]... [--output DIR_OR_FILE.npy]
 *           [--rtol 1e-3] [--atol 1e-5] [--strict] [--profile trace.json]
 *           [--profile-html timeline.html] [--stats]
 *
 * Exit codes: 0 ok, 1 usage, 2 cannot read a file, 3 invalid .neff, 4 bad input
 * (shape/dtype/missing), 5 execution trap/deadlock/race, 6 mismatch against --expect,
 * 7 cannot write an output. Every error is one line: trn-run: error: <what>: <message>. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "../src/npy.h"
#include "trn/runtime.h"

enum {
  EXIT_USAGE = 1,
  EXIT_READ = 2,
  EXIT_NEFF = 3,
  EXIT_INPUT = 4,
  EXIT_EXEC = 5,
  EXIT_MISMATCH = 6,
  EXIT_WRITE = 7,
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
  const char *trace, *html;
} args_t;

static void usage(FILE *f) {
  fprintf(f,
          "usage: trn-run model.neff [--input NAME=FILE.npy | --input FILE.npy]...\n"
          "               [--random-inputs SEED] [--expect NAME=FILE.npy | --expect FILE.npy]...\n"
          "               [--output DIR_OR_FILE.npy] [--rtol 1e-3] [--atol 1e-5] [--strict]\n"
          "               [--profile trace.json] [--profile-html timeline.html] [--stats]\n");
}

static void help(void) {
  usage(stdout);
  fputs("\nRuns a .neff in the reference interpreter and checks or saves its outputs.\n\n"
        "  --input [NAME=]FILE.npy   an input; unnamed files fill the unnamed inputs in order\n"
        "  --random-inputs SEED      inputs not given are random from SEED: floats uniform\n"
        "                            in [-1, 1), integers in 0..9\n"
        "  --expect [NAME=]FILE.npy  an expected output; compared with --rtol/--atol\n"
        "  -o, --output PATH         write outputs: a .npy file (one output) or a folder\n"
        "                            (one NAME.npy per output)\n"
        "  --rtol X, --atol X        tolerances: |got - want| <= atol + rtol * |want|\n"
        "                            (defaults 1e-3 and 1e-5)\n"
        "  --strict                  report SBUF/PSUM races between engines (exit 5)\n"
        "  --profile FILE.json       write a Chrome-trace/Perfetto timeline; implies --stats\n"
        "  --profile-html FILE.html  write a self-contained HTML timeline; implies --stats\n"
        "  --stats                   print cycles, simulated time, per-engine busy time,\n"
        "                            PE utilization, DMA bytes and interpreter wall time\n"
        "Options taking a value accept both --opt VALUE and --opt=VALUE.\n\n"
        "exit codes: 0 ok, 1 usage, 2 cannot read a file, 3 invalid .neff, 4 bad input\n"
        "(shape, dtype or missing), 5 execution trap, deadlock or race, 6 mismatch against\n"
        "--expect, 7 cannot write an output\n",
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
  a->rtol = 1e-3;
  a->atol = 1e-5;
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
  if (!a->neff) {
    usage(stderr);
    return fail(EXIT_USAGE, "usage", "no model file given"), -1;
  }
  return 0;
}

/* Resolves NAME=FILE arguments against the model's tensor names; the rest fill the
 * tensors not named, in order. out_paths[i] = file of tensor i or NULL. */
static int assign_files(file_arg_t *files, int nfiles, const trn_rt_tensor_info_t *const *infos,
                        size_t count, const char *kind, const char **out_paths) {
  for (size_t i = 0; i < count; i++) out_paths[i] = NULL;
  for (int f = 0; f < nfiles; f++) {
    const char *eq = strchr(files[f].path, '=');
    if (!eq) continue;
    size_t n = (size_t)(eq - files[f].path);
    for (size_t i = 0; i < count; i++)
      if (strlen(infos[i]->name) == n && strncmp(infos[i]->name, files[f].path, n) == 0) {
        if (out_paths[i])
          return fail(EXIT_USAGE, infos[i]->name, "%s given twice", kind);
        files[f].name = infos[i]->name;
        out_paths[i] = eq + 1;
        break;
      }
    if (!files[f].name) {
      /* NAME= that matches nothing: an unknown name unless the whole thing is a file */
      struct stat sb;
      if (stat(files[f].path, &sb) != 0)
        return fail(EXIT_INPUT, files[f].path, "the model has no %s named '%.*s'", kind, (int)n,
                    files[f].path);
    }
  }
  size_t next = 0;
  for (int f = 0; f < nfiles; f++) {
    if (files[f].name) continue;
    while (next < count && out_paths[next]) next++;
    if (next >= count)
      return fail(EXIT_INPUT, files[f].path, "more %s files than the model's %zu %ss", kind, count,
                  kind);
    out_paths[next++] = files[f].path;
  }
  return 0;
}

static uint64_t rng_next(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
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
      trn_isa_store_f32(buf, info->dtype, i, (float)((double)(r >> 11) / 9007199254740992.0 * 2 - 1));
  }
}

static bool same_shape(uint32_t r1, const int64_t *d1, uint32_t r2, const int64_t *d2) {
  if (r1 != r2) return false;
  for (uint32_t i = 0; i < r1; i++)
    if (d1[i] != d2[i]) return false;
  return true;
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static bool ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int write_outputs(const args_t *a, const trn_rt_model_t *model, void *const *outputs) {
  size_t n = trn_rt_model_output_count(model);
  if (ends_with(a->output, ".npy")) {
    if (n != 1)
      return fail(EXIT_USAGE, a->output, "the model has %zu outputs: give a directory", n);
    const trn_rt_tensor_info_t *o = trn_rt_model_output(model, 0);
    trn_status_t st = trn_npy_write_file(a->output, o->dtype, o->rank, o->dims, outputs[0]);
    return st ? fail_status(EXIT_WRITE, a->output, st) : 0;
  }
  if (mkdir(a->output, 0777) != 0 && errno != EEXIST)
    return fail(EXIT_WRITE, a->output, "cannot create the directory: %s", strerror(errno));
  for (size_t i = 0; i < n; i++) {
    const trn_rt_tensor_info_t *o = trn_rt_model_output(model, i);
    char name[256], path[4096];
    size_t k = 0;
    for (const char *c = o->name; *c && k + 1 < sizeof name; c++)
      name[k++] = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
                   *c == '.' || *c == '-' || *c == '_')
                      ? *c
                      : '_';
    name[k] = '\0';
    if (k == 0 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
      snprintf(name, sizeof name, "output%zu", i);
    snprintf(path, sizeof path, "%s/%s.npy", a->output, name);
    trn_status_t st = trn_npy_write_file(path, o->dtype, o->rank, o->dims, outputs[i]);
    if (st) return fail_status(EXIT_WRITE, path, st);
  }
  return 0;
}

/* Compares outputs with expected files; prints one line per output and the verdict. */
static int compare_outputs(const args_t *a, const trn_rt_model_t *model, void *const *outputs,
                           const char **paths) {
  size_t n = trn_rt_model_output_count(model);
  bool all_ok = true;
  int compared = 0;
  for (size_t i = 0; i < n; i++) {
    if (!paths[i]) continue;
    const trn_rt_tensor_info_t *o = trn_rt_model_output(model, i);
    trn_npy_t e;
    trn_status_t st = trn_npy_read_file(paths[i], &e);
    if (st) return fail_status(trn_status_code(st) == TRN_ERR_IO ? EXIT_READ : EXIT_INPUT, paths[i], st);
    compared++;
    if (!same_shape(o->rank, o->dims, e.rank, e.dims)) {
      char s1[128], s2[128];
      printf("output %s: shape %s differs from the expected %s in %s FAIL\n", o->name,
             trn_npy_shape_str(o->rank, o->dims, s1, sizeof s1),
             trn_npy_shape_str(e.rank, e.dims, s2, sizeof s2), paths[i]);
      trn_npy_free(&e);
      all_ok = false;
      continue;
    }
    double max_abs = 0, max_rel = 0;
    bool ok = true;
    for (uint64_t k = 0; k < e.count; k++) {
      double got = trn_npy_tensor_get(o->dtype, outputs[i], k), want = trn_npy_get(&e, k);
      if (isnan(got) || isnan(want)) {
        if (!(isnan(got) && isnan(want))) {
          ok = false;
          max_abs = max_rel = INFINITY;
        }
        continue;
      }
      if (got == want) continue; /* also equal infinities */
      double d = fabs(got - want);
      double rel = want != 0 ? d / fabs(want) : INFINITY;
      if (d > max_abs) max_abs = d;
      if (rel > max_rel) max_rel = rel;
      if (!(d <= a->atol + a->rtol * fabs(want))) ok = false;
    }
    printf("output %s: max abs err %.6g, max rel err %.6g (%llu elements) %s\n", o->name, max_abs,
           max_rel, (unsigned long long)e.count, ok ? "PASS" : "FAIL");
    all_ok &= ok;
    trn_npy_free(&e);
  }
  if (compared) printf("%s\n", all_ok ? "PASS" : "FAIL");
  return all_ok ? 0 : EXIT_MISMATCH;
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

int main(int argc, char **argv) {
  args_t a;
  int rc = parse_args(argc, argv, &a);
  if (rc) return rc < 0 ? EXIT_USAGE : 0;
  trn_rt_model_t *model = NULL;
  trn_status_t st = trn_rt_model_load_file(a.neff, &model);
  if (st) {
    trn_status_code_t c = trn_status_code(st);
    return fail_status(c == TRN_ERR_IO ? EXIT_READ : c == TRN_ERR_OUT_OF_MEMORY ? EXIT_EXEC : EXIT_NEFF,
                       a.neff, st);
  }
  size_t nin = trn_rt_model_input_count(model), nout = trn_rt_model_output_count(model);
  const trn_rt_tensor_info_t **ininfo = calloc(nin + 1, sizeof *ininfo);
  const trn_rt_tensor_info_t **outinfo = calloc(nout + 1, sizeof *outinfo);
  const char **inpaths = calloc(nin + 1, sizeof *inpaths);
  const char **exppaths = calloc(nout + 1, sizeof *exppaths);
  void **inbufs = calloc(nin + 1, sizeof *inbufs);
  void **outbufs = calloc(nout + 1, sizeof *outbufs);
  rc = 0;
  if (!ininfo || !outinfo || !inpaths || !exppaths || !inbufs || !outbufs) {
    rc = fail(EXIT_EXEC, a.neff, "out of memory");
    goto done;
  }
  for (size_t i = 0; i < nin; i++) ininfo[i] = trn_rt_model_input(model, i);
  for (size_t i = 0; i < nout; i++) outinfo[i] = trn_rt_model_output(model, i);
  if ((rc = assign_files(a.inputs, a.ninputs, ininfo, nin, "input", inpaths))) goto done;
  if ((rc = assign_files(a.expects, a.nexpects, outinfo, nout, "output", exppaths))) goto done;

  uint64_t rng = a.seed;
  for (size_t i = 0; i < nin; i++) {
    const trn_rt_tensor_info_t *info = ininfo[i];
    inbufs[i] = calloc(1, info->bytes ? info->bytes : 1);
    if (!inbufs[i]) {
      rc = fail(EXIT_EXEC, info->name, "out of memory");
      goto done;
    }
    char what[300];
    snprintf(what, sizeof what, "input '%s'", info->name);
    if (!inpaths[i]) {
      if (!a.random) {
        rc = fail(EXIT_INPUT, what, "missing (give --input %s=FILE.npy or --random-inputs SEED)",
                  info->name);
        goto done;
      }
      fill_random(info, inbufs[i], &rng);
      continue;
    }
    trn_npy_t arr;
    st = trn_npy_read_file(inpaths[i], &arr);
    if (st) {
      rc = fail_status(trn_status_code(st) == TRN_ERR_IO ? EXIT_READ : EXIT_INPUT, inpaths[i], st);
      goto done;
    }
    if (!same_shape(info->rank, info->dims, arr.rank, arr.dims)) {
      char s1[128], s2[128];
      rc = fail(EXIT_INPUT, what, "shape %s in %s, the model expects %s",
                trn_npy_shape_str(arr.rank, arr.dims, s1, sizeof s1), inpaths[i],
                trn_npy_shape_str(info->rank, info->dims, s2, sizeof s2));
      trn_npy_free(&arr);
      goto done;
    }
    st = trn_npy_to_dtype(&arr, info->dtype, inbufs[i], inpaths[i]);
    trn_npy_free(&arr);
    if (st) {
      rc = fail_status(EXIT_INPUT, what, st);
      goto done;
    }
  }
  for (size_t i = 0; i < nout; i++) {
    outbufs[i] = calloc(1, outinfo[i]->bytes ? outinfo[i]->bytes : 1);
    if (!outbufs[i]) {
      rc = fail(EXIT_EXEC, outinfo[i]->name, "out of memory");
      goto done;
    }
  }

  trn_rt_run_options_t opts = {.strict = a.strict, .trace_path = a.trace, .html_path = a.html};
  trn_rt_profile_t prof;
  double t0 = now_seconds();
  st = trn_rt_model_run(model, &opts, (const void *const *)inbufs, outbufs, &prof);
  double wall = now_seconds() - t0;
  if (st) {
    trn_status_code_t c = trn_status_code(st);
    const char *msg = trn_status_message(st), *what = a.neff;
    if (c == TRN_ERR_IO && a.trace && strncmp(msg, a.trace, strlen(a.trace)) == 0) what = a.trace;
    if (c == TRN_ERR_IO && a.html && strncmp(msg, a.html, strlen(a.html)) == 0) what = a.html;
    rc = fail_status(c == TRN_ERR_INVALID_ARGUMENT ? EXIT_INPUT
                     : what != a.neff                ? EXIT_WRITE
                                                     : EXIT_EXEC,
                     what, st);
    goto done;
  }
  if (a.stats || a.trace || a.html) print_stats(model, &prof, wall);
  if (a.output && (rc = write_outputs(&a, model, outbufs))) goto done;
  rc = compare_outputs(&a, model, outbufs, exppaths);

done:
  if (inbufs)
    for (size_t i = 0; i < nin; i++) free(inbufs[i]);
  if (outbufs)
    for (size_t i = 0; i < nout; i++) free(outbufs[i]);
  free(inbufs);
  free(outbufs);
  free(ininfo);
  free(outinfo);
  free(inpaths);
  free(exppaths);
  trn_rt_model_destroy(model);
  return rc;
}
