/* The compiler object: one MLIR context, the pass pipeline, and the whole-file path. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"
#include "trn/dialects.h"

#ifndef TRN_VERSION_STRING
#define TRN_VERSION_STRING "0.0.0"
#endif

typedef struct timing_entry_t {
  char name[96];
  double seconds;
} timing_entry_t;

struct trn_compiler_t {
  trn_compile_options_t opts; /* input_shapes and print_ir_after point into owned copies */
  trn_input_shape_t *shapes;
  char *print_ir_after;
  MlirContext ctx;
  trn_diag_buffer_t *diags;
  trn_onnx_model_t **models;
  size_t model_count, model_capacity;
  trn_compile_step_t failed_step;
  timing_entry_t *timings; /* collected while opts.timing is set */
  size_t timing_count, timing_capacity;
  bool in_compile_file;
  double progress_t0; /* start of the compile the progress line shows; 0: none shown */
};

const char *trn_compiler_version(void) { return "trn " TRN_VERSION_STRING; }

void trn_compile_options_init(trn_compile_options_t *opts) {
  memset(opts, 0, sizeof *opts);
  trn_pass_options_init(&opts->pass);
  opts->emit = TRN_EMIT_NEFF;
  opts->verify_each = true;
}

const trn_compile_options_t *trn_compiler_options(const trn_compiler_t *compiler) {
  return &compiler->opts;
}

MlirContext trn_compiler_context(trn_compiler_t *compiler) { return compiler->ctx; }

trn_compile_step_t trn_compiler_failed_step(const trn_compiler_t *compiler) {
  return compiler->failed_step;
}

const uint8_t *trn_compiler_source_hash(const trn_compiler_t *compiler) {
  return compiler->model_count ? trn_onnx_model_hash(compiler->models[compiler->model_count - 1])
                               : NULL;
}

void trn_compiler_diag_clear(trn_compiler_t *compiler) { trn_diag_buffer_clear(compiler->diags); }

trn_status_t trn_compiler_diag_status(trn_compiler_t *compiler, trn_status_code_t code,
                                      const char *fmt, ...) {
  char prefix[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  const char *text = trn_diag_buffer_text(compiler->diags);
  trn_status_t status = text[0] ? trn_status_make(code, "%s:\n%s", prefix, text)
                                : trn_status_make(code, "%s", prefix);
  trn_diag_buffer_clear(compiler->diags);
  return status;
}

static char *dup_string(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

trn_status_t trn_compiler_create(const trn_compile_options_t *opts, trn_compiler_t **out_compiler) {
  *out_compiler = NULL;
  trn_compiler_t *c = calloc(1, sizeof *c);
  if (!c) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "cannot allocate the compiler");
  if (opts) {
    c->opts = *opts;
  } else {
    trn_compile_options_init(&c->opts);
  }
  if (!c->opts.pass.target) {
    trn_pass_options_t defaults;
    trn_pass_options_init(&defaults);
    c->opts.pass.target = defaults.target;
  }
  trn_status_t status = NULL;
  if (c->opts.input_shape_count) {
    c->shapes = calloc(c->opts.input_shape_count, sizeof *c->shapes);
    if (!c->shapes) goto oom;
    for (size_t i = 0; i < c->opts.input_shape_count; i++) {
      c->shapes[i] = c->opts.input_shapes[i];
      c->shapes[i].name = NULL;
      if (c->opts.input_shapes[i].rank > TRN_MAX_RANK) {
        status = trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                                 "input shape for '%s': rank %u exceeds the maximum %d",
                                 c->opts.input_shapes[i].name, c->opts.input_shapes[i].rank,
                                 TRN_MAX_RANK);
        goto fail;
      }
      if (!c->opts.input_shapes[i].name) {
        status = trn_status_make(TRN_ERR_INVALID_ARGUMENT, "input shape %zu has no name", i);
        goto fail;
      }
      if (!(c->shapes[i].name = dup_string(c->opts.input_shapes[i].name))) goto oom;
    }
    c->opts.input_shapes = c->shapes;
  } else {
    c->opts.input_shapes = NULL;
  }
  if (c->opts.print_ir_after) {
    if (!(c->print_ir_after = dup_string(c->opts.print_ir_after))) goto oom;
    c->opts.print_ir_after = c->print_ir_after;
  }
  if (!(c->diags = trn_diag_buffer_create())) goto oom;

  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  c->ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(c->ctx);
  mlirRegisterAllPasses();
  trn_diag_buffer_attach(c->diags, c->ctx);
  if (mlirLogicalResultIsFailure(trn_dialects_load(c->ctx))) {
    status = trn_compiler_diag_status(c, TRN_ERR_INTERNAL, "cannot load the trn dialects");
    goto fail;
  }
  *out_compiler = c;
  return NULL;
oom:
  status = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "cannot allocate the compiler");
fail:
  trn_compiler_destroy(c);
  return status;
}

void trn_compiler_destroy(trn_compiler_t *c) {
  if (!c) return;
  /* The context refers to the models' weight bytes: destroy it first. */
  if (!mlirContextIsNull(c->ctx)) mlirContextDestroy(c->ctx);
  for (size_t i = 0; i < c->model_count; i++) trn_onnx_model_destroy(c->models[i]);
  free(c->models);
  trn_diag_buffer_destroy(c->diags);
  if (c->shapes) {
    for (size_t i = 0; i < c->opts.input_shape_count; i++) free((char *)c->shapes[i].name);
    free(c->shapes);
  }
  free(c->print_ir_after);
  free(c->timings);
  free(c);
}

/* ---------------------------------------------------------------------------------
 * Import
 * ------------------------------------------------------------------------------- */

trn_status_t trn_compiler_import_onnx(trn_compiler_t *c, const char *path, MlirModule *out_module) {
  *out_module = (MlirModule){NULL};
  if (c->model_count == c->model_capacity) {
    size_t cap = c->model_capacity ? 2 * c->model_capacity : 4;
    trn_onnx_model_t **models = realloc(c->models, cap * sizeof *models);
    if (!models) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    c->models = models;
    c->model_capacity = cap;
  }
  trn_diag_buffer_clear(c->diags);
  trn_onnx_model_t *model = NULL;
  trn_status_t s = trn_onnx_import(c->ctx, &c->opts, c->diags, path, &model, out_module);
  /* Kept even after a failure: the context may refer to its weights. */
  if (model) c->models[c->model_count++] = model;
  return s;
}

/* ---------------------------------------------------------------------------------
 * Printing and writing outputs
 * ------------------------------------------------------------------------------- */

static void print_to_file(MlirStringRef s, void *user) { fwrite(s.data, 1, s.length, user); }

/* An output file written through a temporary file and a rename. */
typedef struct output_t {
  FILE *file;
  char *tmp_path; /* NULL for stdout and for special files */
  const char *path;
  bool direct;    /* a special file (/dev/null, a pipe): written in place */
} output_t;

static trn_status_t output_open(const char *path, output_t *out) {
  memset(out, 0, sizeof *out);
  out->path = path;
  if (strcmp(path, "-") == 0) {
    out->file = stdout;
    return NULL;
  }
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
    /* Never rename over a device or a pipe. */
    if (S_ISDIR(st.st_mode))
      return trn_status_make(TRN_ERR_IO, "%s: cannot write: is a directory", path);
    out->file = fopen(path, "wb");
    if (!out->file) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    out->direct = true;
    return NULL;
  }
  size_t n = strlen(path);
  out->tmp_path = malloc(n + 16);
  if (!out->tmp_path) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  memcpy(out->tmp_path, path, n);
  memcpy(out->tmp_path + n, ".tmp.XXXXXX", 12);
  int fd = mkstemp(out->tmp_path);
  if (fd < 0) {
    trn_status_t s = trn_status_make(TRN_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    free(out->tmp_path);
    out->tmp_path = NULL;
    return s;
  }
  fchmod(fd, 0644);
  out->file = fdopen(fd, "wb");
  if (!out->file) {
    trn_status_t s = trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    close(fd);
    unlink(out->tmp_path);
    free(out->tmp_path);
    out->tmp_path = NULL;
    return s;
  }
  return NULL;
}

/* Finishes the output: renames it into place if `ok` and every write succeeded,
 * otherwise removes the temporary file. */
static trn_status_t output_close(output_t *out, bool ok) {
  trn_status_t status = NULL;
  if (!out->file) return NULL;
  bool write_failed = ferror(out->file) != 0;
  if (!out->tmp_path) {
    int failed = out->direct ? fclose(out->file) : fflush(out->file);
    if (failed != 0 || write_failed)
      status = trn_status_make(TRN_ERR_IO, "%s: write failed: %s",
                               out->direct ? out->path : "<stdout>", strerror(errno));
    out->file = NULL;
    return status;
  }
  if (fclose(out->file) != 0 || write_failed) {
    if (ok) status = trn_status_make(TRN_ERR_IO, "%s: write failed: %s", out->path, strerror(errno));
    ok = false;
  }
  out->file = NULL;
  if (ok && rename(out->tmp_path, out->path) != 0) {
    status = trn_status_make(TRN_ERR_IO, "%s: cannot rename the output into place: %s", out->path,
                             strerror(errno));
    ok = false;
  }
  if (!ok) unlink(out->tmp_path);
  free(out->tmp_path);
  out->tmp_path = NULL;
  return status;
}

trn_status_t trn_compiler_write_module(trn_compiler_t *c, MlirModule module, const char *path) {
  output_t out;
  TRN_RETURN_IF_ERROR(output_open(path, &out));
  MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
  if (c && c->opts.elide_weights) {
    mlirOpPrintingFlagsElideLargeElementsAttrs(flags, 16);
    mlirOpPrintingFlagsElideLargeResourceString(flags, 64);
  }
  mlirOperationPrintWithFlags(mlirModuleGetOperation(module), flags, print_to_file, out.file);
  mlirOpPrintingFlagsDestroy(flags);
  fputc('\n', out.file);
  return output_close(&out, true);
}

/* ---------------------------------------------------------------------------------
 * Parsing .mlir and running pass managers (trn-opt)
 * ------------------------------------------------------------------------------- */

static trn_status_t read_all(const char *path, char **out_text, size_t *out_size) {
  *out_text = NULL;
  *out_size = 0;
  bool is_stdin = strcmp(path, "-") == 0;
  FILE *f = is_stdin ? stdin : fopen(path, "rb");
  if (!f) return trn_status_make(TRN_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  size_t cap = 1 << 16, n = 0;
  char *text = malloc(cap);
  while (text) {
    if (n + 1 >= cap) {
      char *bigger = realloc(text, cap * 2);
      if (!bigger) {
        free(text);
        text = NULL;
        break;
      }
      text = bigger;
      cap *= 2;
    }
    size_t got = fread(text + n, 1, cap - n - 1, f);
    n += got;
    if (got == 0) break;
  }
  bool failed = ferror(f) != 0;
  if (!is_stdin) fclose(f);
  if (!text) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
  if (failed) {
    free(text);
    return trn_status_make(TRN_ERR_IO, "%s: read failed", path);
  }
  text[n] = '\0';
  *out_text = text;
  *out_size = n;
  return NULL;
}

trn_status_t trn_compiler_parse_mlir_file(trn_compiler_t *c, const char *path,
                                          MlirModule *out_module) {
  *out_module = (MlirModule){NULL};
  char *text;
  size_t size;
  TRN_RETURN_IF_ERROR(read_all(path, &text, &size));
  const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
  trn_diag_buffer_clear(c->diags);
  /* Parse through a block so that the buffer gets the file's name in locations. */
  MlirOperation op = mlirOperationCreateParse(c->ctx, (MlirStringRef){text, size},
                                              mlirStringRefCreateFromCString(name));
  free(text);
  if (mlirOperationIsNull(op))
    return trn_compiler_diag_status(c, TRN_ERR_FORMAT, "%s: cannot parse", name);
  MlirModule module = mlirModuleFromOperation(op);
  if (mlirModuleIsNull(module)) {
    /* A top-level op other than builtin.module: wrap it. */
    module = mlirModuleCreateEmpty(mlirOperationGetLocation(op));
    mlirBlockAppendOwnedOperation(mlirModuleGetBody(module), op);
  }
  if (!mlirOperationVerify(mlirModuleGetOperation(module))) {
    mlirModuleDestroy(module);
    return trn_compiler_diag_status(c, TRN_ERR_FORMAT, "%s: invalid IR", name);
  }
  *out_module = module;
  return NULL;
}

/* ---------------------------------------------------------------------------------
 * Lowering
 * ------------------------------------------------------------------------------- */

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The progress line: "trnc: [step/steps 1.2s] what", rewritten in place. */
static void progress_show(trn_compiler_t *c, size_t step, size_t steps, const char *what,
                          int what_len) {
  if (!c->opts.progress) return;
  if (c->progress_t0 == 0) c->progress_t0 = now_seconds();
  double elapsed = now_seconds() - c->progress_t0;
  if (steps)
    fprintf(stderr, "\r\033[Ktrnc: [%zu/%zu %.1fs] %.*s", step, steps, elapsed, what_len, what);
  else fprintf(stderr, "\r\033[Ktrnc: [%.1fs] %.*s", elapsed, what_len, what);
  fflush(stderr);
}

static void progress_clear(trn_compiler_t *c) {
  if (!c->opts.progress || c->progress_t0 == 0) return;
  fputs("\r\033[K", stderr);
  fflush(stderr);
  c->progress_t0 = 0;
}

static void timing_add(trn_compiler_t *c, const char *name, size_t name_len, double seconds) {
  if (c->timing_count == c->timing_capacity) {
    size_t cap = c->timing_capacity ? 2 * c->timing_capacity : 16;
    timing_entry_t *t = realloc(c->timings, cap * sizeof *t);
    if (!t) return; /* timing is best effort */
    c->timings = t;
    c->timing_capacity = cap;
  }
  timing_entry_t *e = &c->timings[c->timing_count++];
  if (name_len >= sizeof e->name) name_len = sizeof e->name - 1;
  memcpy(e->name, name, name_len);
  e->name[name_len] = '\0';
  e->seconds = seconds;
}

static void timing_report(trn_compiler_t *c, FILE *out) {
  double total = 0;
  for (size_t i = 0; i < c->timing_count; i++) total += c->timings[i].seconds;
  fprintf(out,
          "===-------------------------------------------------------------------------===\n"
          "                         ... Execution time report ...\n"
          "===-------------------------------------------------------------------------===\n"
          "  Total Execution Time: %.4f seconds\n\n"
          "  ----Wall Time----  ----Name----\n",
          total);
  for (size_t i = 0; i < c->timing_count; i++)
    fprintf(out, "    %.4f (%5.1f%%)  %s\n", c->timings[i].seconds,
            total > 0 ? 100.0 * c->timings[i].seconds / total : 0.0, c->timings[i].name);
  fprintf(out, "    %.4f (100.0%%)  Total\n", total);
  c->timing_count = 0;
}

/* A growable string for mlirPrintPassPipeline. */
typedef struct text_t {
  char *data;
  size_t length, capacity;
  bool oom;
} text_t;

static void text_append(MlirStringRef s, void *user) {
  text_t *t = user;
  if (t->oom) return;
  if (t->length + s.length + 1 > t->capacity) {
    size_t cap = t->capacity ? t->capacity : 256;
    while (cap < t->length + s.length + 1) cap *= 2;
    char *d = realloc(t->data, cap);
    if (!d) {
      t->oom = true;
      return;
    }
    t->data = d;
    t->capacity = cap;
  }
  memcpy(t->data + t->length, s.data, s.length);
  t->length += s.length;
  t->data[t->length] = '\0';
}

/* One step of a pipeline run pass by pass: `anchor` is empty for module-level
 * passes, else the op name the pass is nested under; `element` is the pass with its
 * options as pipeline text; `name` its argument. Pointers into the pipeline text. */
typedef struct stage_t {
  const char *anchor, *element, *name;
  size_t anchor_len, element_len, name_len;
} stage_t;

/* Splits `s[0..n)` at top-level commas into trimmed pieces; SIZE_MAX if there are
 * more than `max`. */
static size_t split_elements(const char *s, size_t n, const char **pieces, size_t *lens,
                             size_t max) {
  size_t count = 0, start = 0;
  int depth = 0;
  bool quoted = false;
  for (size_t i = 0; i <= n; i++) {
    char ch = i < n ? s[i] : ',';
    if (quoted) {
      if (ch == '"') quoted = false;
      continue;
    }
    if (ch == '"') quoted = true;
    else if (ch == '(' || ch == '{' || ch == '[') depth++;
    else if (ch == ')' || ch == '}' || ch == ']') depth--;
    else if (ch == ',' && depth == 0) {
      size_t a = start, b = i;
      while (a < b && (s[a] == ' ' || s[a] == '\n')) a++;
      while (b > a && (s[b - 1] == ' ' || s[b - 1] == '\n')) b--;
      if (b > a) {
        if (count == max) return SIZE_MAX;
        pieces[count] = s + a;
        lens[count] = b - a;
        count++;
      }
      start = i + 1;
    }
  }
  return count;
}

/* The argument of a pipeline element: the text before '{' or '('. */
static size_t element_name_length(const char *e, size_t n) {
  size_t i = 0;
  while (i < n && e[i] != '{' && e[i] != '(') i++;
  return i;
}

#define TRN_MAX_STAGES 256

/* Flattens "builtin.module(a, func.func(b, c), d)" into stages a, func.func(b),
 * func.func(c), d. Returns the count, 0 if the text is not of that form. */
static size_t pipeline_stages(const char *text, stage_t *stages, size_t max) {
  const char *open = strchr(text, '(');
  const char *close = strrchr(text, ')');
  if (!open || !close || close < open) return 0;
  const char *top[TRN_MAX_STAGES];
  size_t top_len[TRN_MAX_STAGES];
  size_t n_top = split_elements(open + 1, (size_t)(close - open - 1), top, top_len, TRN_MAX_STAGES);
  if (n_top == SIZE_MAX) return 0;
  size_t count = 0;
  for (size_t i = 0; i < n_top; i++) {
    size_t name_len = element_name_length(top[i], top_len[i]);
    if (name_len < top_len[i] && top[i][name_len] == '(' && top[i][top_len[i] - 1] == ')') {
      const char *inner[TRN_MAX_STAGES];
      size_t inner_len[TRN_MAX_STAGES];
      size_t n_inner = split_elements(top[i] + name_len + 1, top_len[i] - name_len - 2, inner,
                                      inner_len, TRN_MAX_STAGES);
      if (n_inner == SIZE_MAX || count + n_inner > max) return 0;
      for (size_t j = 0; j < n_inner; j++) {
        stages[count++] = (stage_t){top[i], inner[j], inner[j], name_len, inner_len[j],
                                    element_name_length(inner[j], inner_len[j])};
      }
    } else {
      if (count == max) return 0;
      stages[count++] = (stage_t){"", top[i], top[i], 0, top_len[i], name_len};
    }
  }
  return count;
}

static bool mentions_trn_pass(const char *s, size_t n) {
  for (size_t i = 0; i + 4 <= n; i++)
    if (memcmp(s + i, "trn-", 4) == 0) return true;
  return false;
}

/* Adds the elements of s[0..n) to `opm` (see trn_compiler_add_passes). */
static trn_status_t add_elements(trn_compiler_t *c, MlirOpPassManager opm, const char *s, size_t n,
                                 int depth) {
  const char *pieces[TRN_MAX_STAGES];
  size_t lens[TRN_MAX_STAGES];
  size_t count = split_elements(s, n, pieces, lens, TRN_MAX_STAGES);
  if (count == SIZE_MAX)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "pass pipeline with more than %d elements",
                           TRN_MAX_STAGES);
  for (size_t i = 0; i < count; i++) {
    const char *e = pieces[i];
    size_t len = lens[i], name_len = element_name_length(e, len);
    char name[128];
    size_t k = name_len < sizeof name - 1 ? name_len : sizeof name - 1;
    memcpy(name, e, k);
    name[k] = '\0';
    const trn_pass_info_t *info = trn_pass_find(name);
    if (info) {
      if (depth > 0)
        return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                               "pass '%s' runs on builtin.module: it cannot be nested in a pipeline "
                               "anchored on another op",
                               name);
      if (name_len != len)
        return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                               "pass '%s' takes no options in pipeline text ('%.*s'): it uses the "
                               "compiler's target and optimization options",
                               name, (int)len, e);
      mlirOpPassManagerAddOwnedPass(opm, info->create(&c->opts.pass));
      continue;
    }
    bool nested = name_len < len && e[name_len] == '(' && e[len - 1] == ')';
    if (nested && depth < 8 && mentions_trn_pass(e, len)) {
      MlirOpPassManager inner = mlirOpPassManagerGetNestedUnder(opm, (MlirStringRef){e, name_len});
      TRN_RETURN_IF_ERROR(add_elements(c, inner, e + name_len + 1, len - name_len - 2, depth + 1));
      continue;
    }
    text_t errors = {0};
    if (mlirLogicalResultIsFailure(
            mlirOpPassManagerAddPipeline(opm, (MlirStringRef){e, len}, text_append, &errors))) {
      while (errors.length &&
             (errors.data[errors.length - 1] == '\n' || errors.data[errors.length - 1] == ' '))
        errors.data[--errors.length] = '\0';
      trn_status_t st =
          trn_status_make(TRN_ERR_INVALID_ARGUMENT, "bad pass pipeline element '%.*s'%s%s",
                          (int)len, e, errors.data ? ": " : "", errors.data ? errors.data : "");
      free(errors.data);
      return st;
    }
    free(errors.data);
  }
  return NULL;
}

trn_status_t trn_compiler_add_passes(trn_compiler_t *c, MlirOpPassManager pm, const char *pipeline) {
  const char *s = pipeline;
  size_t n = strlen(s);
  while (n && (*s == ' ' || *s == '\'' || *s == '"')) s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\'' || s[n - 1] == '"')) n--;
  static const char k_module[] = "builtin.module(";
  if (n >= sizeof k_module && strncmp(s, k_module, sizeof k_module - 1) == 0 && s[n - 1] == ')') {
    s += sizeof k_module - 1;
    n -= sizeof k_module;
  }
  trn_diag_buffer_clear(c->diags);
  return add_elements(c, pm, s, n, 0);
}

/* Adds one stage to `pm`. */
static trn_status_t stage_add(trn_compiler_t *c, MlirPassManager pm, const stage_t *st) {
  char text[4096];
  int n = st->anchor_len
              ? snprintf(text, sizeof text, "%.*s(%.*s)", (int)st->anchor_len, st->anchor,
                         (int)st->element_len, st->element)
              : snprintf(text, sizeof text, "%.*s", (int)st->element_len, st->element);
  if (n < 0 || (size_t)n >= sizeof text)
    return trn_status_make(TRN_ERR_INTERNAL, "pipeline element too long: '%.*s'",
                           (int)st->element_len, st->element);
  return trn_compiler_add_passes(c, mlirPassManagerGetAsOpPassManager(pm), text);
}

static bool stage_matches(const stage_t *st, const char *name) {
  return name && strlen(name) == st->name_len && strncmp(st->name, name, st->name_len) == 0;
}

/* Runs the pipeline pass by pass, for IR printing after passes and timing. */
static trn_status_t lower_staged(trn_compiler_t *c, MlirModule module, const char *pipeline) {
  stage_t stages[TRN_MAX_STAGES];
  size_t count = pipeline_stages(pipeline, stages, TRN_MAX_STAGES);
  if (count == 0)
    return trn_status_make(TRN_ERR_INTERNAL, "cannot split the pass pipeline '%s'", pipeline);
  const char *after = c->opts.print_ir_after;
  if (after) {
    bool found = false;
    for (size_t i = 0; i < count; i++) found = found || stage_matches(&stages[i], after);
    if (!found) {
      char names[2048];
      size_t k = 0;
      names[0] = '\0';
      for (size_t i = 0; i < count && k + 2 < sizeof names; i++)
        k += (size_t)snprintf(names + k, sizeof names - k, "%s%.*s", i ? ", " : "",
                              (int)stages[i].name_len, stages[i].name);
      return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                             "--print-ir-after=%s: no pass named '%s' in the pipeline (passes: %s)",
                             after, after, names);
    }
  }
  MlirOperation op = mlirModuleGetOperation(module);
  for (size_t i = 0; i < count; i++) {
    const stage_t *st = &stages[i];
    MlirPassManager pm =
        mlirPassManagerCreateOnOperation(c->ctx, mlirStringRefCreateFromCString("builtin.module"));
    mlirPassManagerEnableVerifier(pm, c->opts.verify_each);
    trn_status_t added = stage_add(c, pm, st);
    if (added) {
      mlirPassManagerDestroy(pm);
      return added;
    }
    progress_show(c, i + 1, count, st->name, (int)st->name_len);
    double t0 = now_seconds();
    MlirLogicalResult r = mlirPassManagerRunOnOp(pm, op);
    double t1 = now_seconds();
    mlirPassManagerDestroy(pm);
    if (c->opts.timing) timing_add(c, st->name, st->name_len, t1 - t0);
    if (mlirLogicalResultIsFailure(r)) {
      progress_clear(c);
      return trn_compiler_diag_status(c, TRN_ERR_UNSUPPORTED, "pass '%.*s' failed",
                                      (int)st->name_len, st->name);
    }
    if (c->opts.print_ir_after_all || stage_matches(st, after)) {
      progress_clear(c);
      fprintf(stderr, "// -----// IR Dump After %.*s //----- //\n", (int)st->name_len, st->name);
      MlirOpPrintingFlags flags = mlirOpPrintingFlagsCreate();
      mlirOpPrintingFlagsElideLargeElementsAttrs(flags, 16);
      mlirOpPrintingFlagsElideLargeResourceString(flags, 64);
      mlirOperationPrintWithFlags(op, flags, print_to_file, stderr);
      mlirOpPrintingFlagsDestroy(flags);
      fputs("\n\n", stderr);
    }
  }
  return NULL;
}

/* Runs `pm` on `module`: in one go, or pass by pass (a fresh manager per pass, built
 * from the printed pipeline) when the options ask for IR printing or timing. */
static trn_status_t run_pm(trn_compiler_t *c, MlirPassManager pm, MlirModule module,
                           const char *what) {
  trn_diag_buffer_clear(c->diags);
  if (c->opts.timing || c->opts.print_ir_after_all || c->opts.print_ir_after ||
      c->opts.progress) {
    text_t text = {0};
    mlirPrintPassPipeline(mlirPassManagerGetAsOpPassManager(pm), text_append, &text);
    if (!text.data || text.oom) {
      free(text.data);
      return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "cannot print the pass pipeline");
    }
    trn_status_t status = lower_staged(c, module, text.data);
    free(text.data);
    if (c->opts.timing && !c->in_compile_file) timing_report(c, stderr);
    return status;
  }
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module))))
    return trn_compiler_diag_status(c, TRN_ERR_UNSUPPORTED, "%s", what);
  return NULL;
}

trn_status_t trn_compiler_run_passes(trn_compiler_t *c, MlirPassManager pm, MlirModule module) {
  return run_pm(c, pm, module, "pass pipeline failed");
}

trn_status_t trn_compiler_lower(trn_compiler_t *c, MlirModule module, trn_stage_t until) {
  trn_diag_buffer_clear(c->diags);
  MlirPassManager pm =
      mlirPassManagerCreateOnOperation(c->ctx, mlirStringRefCreateFromCString("builtin.module"));
  mlirPassManagerEnableVerifier(pm, c->opts.verify_each);
  if (mlirLogicalResultIsFailure(
          trn_passes_add_pipeline(mlirPassManagerGetAsOpPassManager(pm), &c->opts.pass, until))) {
    mlirPassManagerDestroy(pm);
    return trn_compiler_diag_status(c, TRN_ERR_INTERNAL, "cannot build the trn pass pipeline");
  }
  trn_status_t status = run_pm(c, pm, module, "lowering failed");
  mlirPassManagerDestroy(pm);
  return status;
}

/* ---------------------------------------------------------------------------------
 * The whole path
 * ------------------------------------------------------------------------------- */

/* Emits the binary into memory (malloc'ed, the caller frees it). */
static trn_status_t emit_memory(trn_compiler_t *c, MlirModule module, void **out_data,
                                size_t *out_size) {
  trn_rt_writer_t *writer = NULL;
  trn_status_t s = trn_rt_writer_create(c->opts.pass.target, &writer);
  if (!s) s = trn_compiler_emit_to_writer(c, module, writer);
  if (!s) {
    const uint8_t *hash = trn_compiler_source_hash(c);
    static const uint8_t k_zero[32] = {0};
    trn_rt_writer_set_metadata(writer, trn_compiler_version(), hash ? hash : k_zero);
    s = trn_rt_writer_write_memory(writer, out_data, out_size);
  }
  trn_rt_writer_destroy(writer);
  return s;
}

/* A .neff to a device or pipe (e.g. /dev/null): written in place, never renamed over. */
static trn_status_t write_neff_special(trn_compiler_t *c, MlirModule module, const char *path) {
  void *data = NULL;
  size_t size = 0;
  trn_status_t s = emit_memory(c, module, &data, &size);
  if (s) {
    c->failed_step = TRN_STEP_EMIT;
    return s;
  }
  output_t out;
  s = output_open(path, &out);
  if (!s) {
    fwrite(data, 1, size, out.file);
    s = output_close(&out, true);
  }
  free(data);
  if (s) c->failed_step = TRN_STEP_WRITE;
  return s;
}

static bool is_special_file(const char *path) {
  struct stat st;
  return stat(path, &st) == 0 && !S_ISREG(st.st_mode);
}

static trn_status_t write_asm(trn_compiler_t *c, MlirModule module, const char *path) {
  void *data = NULL;
  size_t size = 0;
  trn_rt_model_t *model = NULL;
  trn_status_t s = emit_memory(c, module, &data, &size);
  if (!s) s = trn_rt_model_load_memory(data, size, &model);
  free(data);
  if (s) {
    c->failed_step = TRN_STEP_EMIT;
    return s;
  }
  output_t out;
  s = output_open(path, &out);
  if (!s) {
    s = trn_rt_model_print_asm(model, out.file);
    trn_status_t closed = output_close(&out, s == NULL);
    if (!s) s = closed;
    else trn_status_free(closed);
    if (s && !c->failed_step) c->failed_step = TRN_STEP_WRITE;
  } else {
    c->failed_step = TRN_STEP_WRITE;
  }
  trn_rt_model_destroy(model);
  return s;
}

static trn_status_t compile_file(trn_compiler_t *c, const char *input_path, const char *output_path) {
  trn_emit_t emit = c->opts.emit;
  if (emit == TRN_EMIT_NEFF && strcmp(output_path, "-") == 0) {
    c->failed_step = TRN_STEP_WRITE;
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT,
                           "%s: a .neff is binary: give an output file, not stdout", input_path);
  }
  MlirModule module;
  double t0 = now_seconds();
  progress_show(c, 0, 0, "importing the ONNX model", 24);
  trn_status_t s = trn_compiler_import_onnx(c, input_path, &module);
  if (s) {
    c->failed_step = TRN_STEP_IMPORT;
    return s;
  }
  if (c->opts.timing) timing_add(c, "onnx-import", 11, now_seconds() - t0);
  trn_stage_t stage = emit == TRN_EMIT_MLIR ? TRN_STAGE_GRAPH
                      : emit == TRN_EMIT_TILE ? TRN_STAGE_TILE
                                               : TRN_STAGE_ISA;
  s = emit == TRN_EMIT_IMPORT ? NULL : trn_compiler_lower(c, module, stage);
  if (s) {
    c->failed_step = TRN_STEP_LOWER;
    mlirModuleDestroy(module);
    return s;
  }
  t0 = now_seconds();
  progress_show(c, 0, 0, "writing the output", 18);
  switch (emit) {
    case TRN_EMIT_IMPORT:
    case TRN_EMIT_MLIR:
    case TRN_EMIT_TILE:
    case TRN_EMIT_ISA:
      s = trn_compiler_write_module(c, module, output_path);
      if (s) c->failed_step = TRN_STEP_WRITE;
      break;
    case TRN_EMIT_ASM:
      s = write_asm(c, module, output_path);
      break;
    case TRN_EMIT_NEFF:
      if (is_special_file(output_path)) {
        s = write_neff_special(c, module, output_path);
        break;
      }
      s = trn_compiler_emit_neff(c, module, trn_compiler_source_hash(c), output_path);
      if (s) c->failed_step = trn_status_code(s) == TRN_ERR_IO ? TRN_STEP_WRITE : TRN_STEP_EMIT;
      break;
  }
  if (!s && c->opts.timing) timing_add(c, "emit", 4, now_seconds() - t0);
  mlirModuleDestroy(module);
  return s;
}

trn_status_t trn_compiler_compile_file(trn_compiler_t *c, const char *input_path,
                                       const char *output_path) {
  c->failed_step = TRN_STEP_NONE;
  c->timing_count = 0;
  c->in_compile_file = true;
  trn_status_t s = compile_file(c, input_path, output_path);
  progress_clear(c);
  c->in_compile_file = false;
  if (c->opts.timing && !s) timing_report(c, stderr);
  return s;
}
