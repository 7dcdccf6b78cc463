/* trn-onnx-backend-test: runs ONNX's backend test suite (Debian's libonnx-testdata)
 * through trn, on two paths:
 *   ref  import -> CPU reference backend (MLIR JIT), compared with output_K.pb
 *   isa  import -> lower to ISA -> .neff in memory -> interpreter (strict mode), and
 *        again in its default mode, which must give the same output bytes
 * Tests run in forked worker processes, -j at a time, each worker with one compiler
 * for up to --tests-per-worker tests (creating a compiler costs ~25 ms, about as much
 * as a small test): a crash or a hang (per-test timeout, SIGKILL) fails that test
 * only, and the worker is replaced. Results are checked against an expectations file
 * listing the `<suite>/<test> <path> pass` entries that must pass.
 *
 * Usage: trn-onnx-backend-test [options]
 *   --data DIR             suite root (default /usr/share/libonnx-testdata/data)
 *   --suite NAME           run this suite (repeatable; default node, simple,
 *                          pytorch-converted, pytorch-operator)
 *   --filter REGEX         only tests whose "suite/test" matches (POSIX extended)
 *   -j N                   parallel processes (default 2)
 *   --timeout SEC          per-test timeout (default 60)
 *   --tests-per-worker N   tests a worker runs before it is replaced (default 32;
 *                          1 = a fresh process and compiler per test)
 *   --rtol X --atol X      float tolerances (default 1e-3, 1e-5)
 *   --no-isa               skip the ISA path
 *   --expectations FILE    expectations file (default: tests/onnx/expected.txt of the
 *                          source tree)
 *   --update-expectations  rewrite the file from this run's passes
 *   --no-expectations      report only; exit 0 unless the runner itself fails
 *   -v                     one line per test; children's stderr is shown
 * Exit: 0 every expected pass passed; 1 an expected test did not pass; 2 usage or
 * runner error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mlir-c/BuiltinAttributes.h"
#include "mlir-c/BuiltinTypes.h"
#include "trn/compiler.h"

#ifndef TRN_ONNX_EXPECTED_DEFAULT
#define TRN_ONNX_EXPECTED_DEFAULT "tests/onnx/expected.txt"
#endif

#define OB_PATHS 2
#define OB_REASON 320
#define OB_MAX_SUITES 16

static const char *const kPathNames[OB_PATHS] = {"ref", "isa"};
static const char *const kDefaultSuites[] = {"node", "simple", "pytorch-converted", "pytorch-operator"};

typedef enum ob_result_t { OB_NONE = 0, OB_PASS, OB_FAIL, OB_SKIP } ob_result_t;

typedef struct ob_test_t {
  char *suite, *name, *dir;
  ob_result_t res[OB_PATHS];
  char reason[OB_PATHS][OB_REASON];
  double seconds;
} ob_test_t;

typedef struct ob_options_t {
  const char *data;
  const char *suites[OB_MAX_SUITES];
  size_t suite_count;
  const char *filter;
  regex_t filter_re;
  int jobs;
  int per_worker; /* tests per worker process before it is replaced */
  double timeout;
  double rtol, atol;
  bool no_isa, update, no_expect, verbose;
  const char *expectations;
} ob_options_t;

static double ob_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static char *ob_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (!d) {
    fprintf(stderr, "trn-onnx-backend-test: out of memory\n");
    exit(2);
  }
  memcpy(d, s, n);
  return d;
}

static char *ob_join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *d = malloc(n);
  if (!d) {
    fprintf(stderr, "trn-onnx-backend-test: out of memory\n");
    exit(2);
  }
  snprintf(d, n, "%s/%s", a, b);
  return d;
}

static bool ob_exists(const char *path) {
  struct stat st;
  return stat(path, &st) == 0;
}

static int ob_cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- child: one test ------------------------------------------------------------ */

/* One line: newlines folded, truncated. */
static void ob_reason(char *out, const char *prefix, const char *msg) {
  snprintf(out, OB_REASON, "%s%s", prefix, msg);
  for (char *p = out; *p; p++)
    if (*p == '\n' || *p == '\r' || *p == '\t') *p = ' ';
}

/* Drops every "<test dir>/" from a reason: the test is named on the line already. */
static void ob_strip_dir(char *reason, const char *dir) {
  size_t dl = strlen(dir);
  char *p;
  while (dl && (p = strstr(reason, dir)) != NULL) {
    size_t cut = dl + (p[dl] == '/' ? 1 : 0);
    memmove(p, p + cut, strlen(p + cut) + 1);
  }
}

static void ob_report(int fd, const char *dir, int path, ob_result_t r, const char *reason) {
  char text[OB_REASON], line[OB_REASON + 16];
  snprintf(text, sizeof text, "%s", reason ? reason : "");
  ob_strip_dir(text, dir);
  int n = snprintf(line, sizeof line, "%s %c %s\n", kPathNames[path],
                   r == OB_PASS ? 'P' : r == OB_SKIP ? 'S' : 'F', text);
  if (n > (int)sizeof line - 1) n = (int)sizeof line - 1;
  line[n - 1] = '\n';
  ssize_t off = 0;
  while (off < n) {
    ssize_t w = write(fd, line + off, (size_t)(n - off));
    if (w <= 0) return;
    off += w;
  }
}

typedef struct ob_dataset_t {
  trn_host_tensor_t *in, *out;
  size_t n_in, n_out;
} ob_dataset_t;

static trn_status_t ob_read_tensors(const char *dir, const char *prefix, trn_host_tensor_t **out,
                                    size_t *count) {
  *out = NULL;
  *count = 0;
  size_t n = 0;
  char path[PATH_MAX];
  for (;; n++) {
    snprintf(path, sizeof path, "%s/%s_%zu.pb", dir, prefix, n);
    if (!ob_exists(path)) break;
  }
  trn_host_tensor_t *t = calloc(n ? n : 1, sizeof *t);
  if (!t) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "%s: out of memory", dir);
  for (size_t i = 0; i < n; i++) {
    snprintf(path, sizeof path, "%s/%s_%zu.pb", dir, prefix, i);
    trn_status_t st = trn_tensor_pb_read(path, &t[i]);
    if (st) {
      trn_host_tensors_free(t, i);
      return st;
    }
  }
  *out = t;
  *count = n;
  return NULL;
}

static trn_status_t ob_read_datasets(const char *test_dir, ob_dataset_t **out, size_t *count) {
  *out = NULL;
  *count = 0;
  size_t n = 0;
  char dir[PATH_MAX];
  for (;; n++) {
    snprintf(dir, sizeof dir, "%s/test_data_set_%zu", test_dir, n);
    if (!ob_exists(dir)) break;
  }
  ob_dataset_t *ds = calloc(n ? n : 1, sizeof *ds);
  if (!ds) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "out of memory");
  for (size_t i = 0; i < n; i++) {
    snprintf(dir, sizeof dir, "%s/test_data_set_%zu", test_dir, i);
    trn_status_t st = ob_read_tensors(dir, "input", &ds[i].in, &ds[i].n_in);
    if (!st) st = ob_read_tensors(dir, "output", &ds[i].out, &ds[i].n_out);
    if (st) {
      *out = ds;
      *count = i + 1;
      return st;
    }
  }
  if (n == 0) {
    free(ds);
    return trn_status_make(TRN_ERR_IO, "%s: no test_data_set_0", test_dir);
  }
  *out = ds;
  *count = n;
  return NULL;
}

static void ob_free_datasets(ob_dataset_t *ds, size_t n) {
  if (!ds) return;
  for (size_t i = 0; i < n; i++) {
    trn_host_tensors_free(ds[i].in, ds[i].n_in);
    trn_host_tensors_free(ds[i].out, ds[i].n_out);
  }
  free(ds);
}

/* Type `i` of @main's inputs (results when `results`); false when there is none. */
static bool ob_main_io_type(MlirModule m, bool results, size_t i, MlirType *out) {
  MlirBlock body = mlirModuleGetBody(m);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    MlirAttribute name =
        mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("sym_name"));
    if (mlirAttributeIsNull(name) || !mlirAttributeIsAString(name)) continue;
    MlirStringRef sr = mlirStringAttrGetValue(name);
    if (sr.length != 4 || strncmp(sr.data, "main", 4) != 0) continue;
    MlirAttribute fa =
        mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("function_type"));
    if (mlirAttributeIsNull(fa) || !mlirAttributeIsAType(fa)) return false;
    MlirType ft = mlirTypeAttrGetValue(fa);
    if (!mlirTypeIsAFunction(ft)) return false;
    intptr_t n = results ? mlirFunctionTypeGetNumResults(ft) : mlirFunctionTypeGetNumInputs(ft);
    if ((intptr_t)i >= n) return false;
    *out = results ? mlirFunctionTypeGetResult(ft, (intptr_t)i)
                   : mlirFunctionTypeGetInput(ft, (intptr_t)i);
    return true;
  }
  return false;
}

static bool ob_main_io_is_bf16(MlirModule m, bool results, size_t i) {
  MlirType t;
  if (!ob_main_io_type(m, results, i, &t)) return false;
  if (mlirTypeIsAShaped(t)) t = mlirShapedTypeGetElementType(t);
  return mlirTypeIsABF16(t);
}

/* Replaces a one-element input tensor by its value broadcast to @main's static shape
 * for that input (ONNX 1.12's CastLike data gives `like` one element where the model
 * declares 3x4; CastLike reads only its type). Leaves `t` alone otherwise. */
static trn_status_t ob_broadcast_scalar_input(MlirModule m, size_t i, trn_host_tensor_t *t) {
  MlirType ty;
  size_t esize = trn_elem_type_size(t->type);
  if (esize == 0 || t->bytes != esize || !ob_main_io_type(m, false, i, &ty) ||
      !mlirTypeIsAShaped(ty) || !mlirShapedTypeHasRank(ty) || !mlirShapedTypeHasStaticShape(ty))
    return NULL;
  int64_t rank = mlirShapedTypeGetRank(ty);
  if (rank < 1 || rank > TRN_MAX_RANK) return NULL;
  int64_t dims[TRN_MAX_RANK], count = 1;
  for (int64_t d = 0; d < rank; d++) {
    dims[d] = mlirShapedTypeGetDimSize(ty, (intptr_t)d);
    if (dims[d] < 0 || dims[d] > ((int64_t)1 << 24)) return NULL;
    count *= dims[d];
    if (count > ((int64_t)1 << 24)) return NULL;
  }
  if (count <= 1) return NULL;
  trn_host_tensor_t b;
  TRN_RETURN_IF_ERROR(trn_host_tensor_init(&b, t->name, t->type, (uint32_t)rank, dims));
  for (size_t off = 0; off + esize <= b.bytes; off += esize)
    memcpy((uint8_t *)b.data + off, t->data, esize);
  trn_host_tensor_release(t);
  *t = b;
  return NULL;
}

/* ONNX's test data stores BFLOAT16 tensors as UINT16 (the raw bf16 bits): a u16 tensor
 * given for a bf16 input or output of @main is reinterpreted as bf16, bit for bit. */
static trn_status_t ob_fix_datasets(MlirModule m, ob_dataset_t *ds, size_t n_ds) {
  for (size_t s = 0; s < n_ds; s++) {
    for (size_t i = 0; i < ds[s].n_in; i++) {
      if (ds[s].in[i].type == TRN_ELEM_U16 && ob_main_io_is_bf16(m, false, i))
        ds[s].in[i].type = TRN_ELEM_BF16;
      TRN_RETURN_IF_ERROR(ob_broadcast_scalar_input(m, i, &ds[s].in[i]));
    }
    for (size_t i = 0; i < ds[s].n_out; i++)
      if (ds[s].out[i].type == TRN_ELEM_U16 && ob_main_io_is_bf16(m, true, i))
        ds[s].out[i].type = TRN_ELEM_BF16;
  }
  return NULL;
}

/* Compares a run's outputs with a data set's. */
static bool ob_compare(const ob_options_t *o, size_t set, const trn_host_tensor_t *got, size_t n_got,
                       const ob_dataset_t *ds, char *reason) {
  if (n_got != ds->n_out) {
    char msg[128];
    snprintf(msg, sizeof msg, "data set %zu: %zu outputs, expected %zu", set, n_got, ds->n_out);
    ob_reason(reason, "", msg);
    return false;
  }
  for (size_t k = 0; k < n_got; k++) {
    char why[256], msg[OB_REASON];
    /* bf16 outputs match within one bf16 ulp (2^-7 relative): ONNX 1.12's data rounds
     * fp32 -> bf16 by truncation, the spec (and trn) to nearest even. */
    double rtol = o->rtol;
    if (ds->out[k].type == TRN_ELEM_BF16 && rtol < 0x1p-7) rtol = 0x1p-7;
    if (!trn_host_tensor_allclose(&got[k], &ds->out[k], rtol, o->atol, why, sizeof why)) {
      snprintf(msg, sizeof msg, "data set %zu output %zu '%s': %s", set, k,
               ds->out[k].name ? ds->out[k].name : "", why);
      ob_reason(reason, "", msg);
      return false;
    }
  }
  return true;
}

static ob_result_t ob_run_ref(const ob_options_t *o, trn_compiler_t *c, MlirModule m,
                              const ob_dataset_t *ds, size_t n_ds, char *reason) {
  for (size_t s = 0; s < n_ds; s++) {
    trn_host_tensor_t *out = NULL;
    size_t n_out = 0;
    trn_status_t st = trn_reference_run(c, m, ds[s].in, ds[s].n_in, &out, &n_out);
    if (st) {
      /* A module the importer produced must lower: any error here is a failure. */
      char msg[OB_REASON];
      snprintf(msg, sizeof msg, "data set %zu: %s", s, trn_status_message(st));
      ob_reason(reason, "", msg);
      trn_status_free(st);
      return OB_FAIL;
    }
    bool ok = ob_compare(o, s, out, n_out, &ds[s], reason);
    trn_host_tensors_free(out, n_out);
    if (!ok) return OB_FAIL;
  }
  return OB_PASS;
}

/* The ISA path computes int64 / uint64 in int32 (trn-narrow-types): such an input must
 * fit int32. */
static trn_status_t ob_check_narrowing(const trn_host_tensor_t *in, trn_elem_type_t to) {
  if ((in->type != TRN_ELEM_I64 && in->type != TRN_ELEM_U64) || to != TRN_ELEM_I32) return NULL;
  int64_t n = trn_host_tensor_elements(in);
  for (int64_t k = 0; k < n; k++) {
    int64_t v;
    memcpy(&v, (const char *)in->data + 8 * k, 8);
    if ((in->type == TRN_ELEM_U64 && v < 0) || v < INT32_MIN || v > INT32_MAX)
      return trn_status_make(TRN_ERR_UNSUPPORTED,
                             "input '%s': element %lld does not fit int32 (the ISA path computes 64-bit integers in it)",
                             in->name ? in->name : "", (long long)k);
  }
  return NULL;
}

/* Runs the model again without strict mode, the way trn-run runs it by default (its
 * shortcuts: fused matmul chains, deferred loads, host threads), and requires the
 * same output bytes as the strict run in `strict_outs`. */
static trn_status_t ob_check_fast_run(trn_rt_model_t *model, const void **in_ptrs,
                                      const trn_host_tensor_t *strict_outs, size_t n_out) {
  void **fast = calloc(n_out ? n_out : 1, sizeof *fast);
  if (!fast) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "fast-run outputs");
  trn_status_t st = NULL;
  for (size_t i = 0; i < n_out && !st; i++)
    if (!(fast[i] = malloc(strict_outs[i].bytes ? strict_outs[i].bytes : 1)))
      st = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "fast-run output %zu", i);
  trn_rt_run_options_t ro = {.strict = false};
  if (!st) st = trn_rt_model_run(model, &ro, in_ptrs, fast, NULL);
  for (size_t i = 0; i < n_out && !st; i++)
    if (memcmp(fast[i], strict_outs[i].data, strict_outs[i].bytes) != 0)
      st = trn_status_make(TRN_ERR_EXEC, "output %zu differs between the strict and the default run", i);
  for (size_t i = 0; i < n_out; i++) free(fast[i]);
  free(fast);
  return st;
}

/* Runs the data sets on a loaded .neff. */
static ob_result_t ob_run_neff(const ob_options_t *o, trn_rt_model_t *model, const ob_dataset_t *ds,
                               size_t n_ds, char *reason) {
  size_t n_in = trn_rt_model_input_count(model), n_out = trn_rt_model_output_count(model);
  char msg[OB_REASON];
  ob_result_t result = OB_PASS;
  for (size_t s = 0; s < n_ds && result == OB_PASS; s++) {
    if (ds[s].n_in != n_in) {
      snprintf(msg, sizeof msg, "data set %zu has %zu inputs, the .neff takes %zu", s, ds[s].n_in, n_in);
      ob_reason(reason, "", msg);
      return OB_FAIL;
    }
    trn_host_tensor_t *ins = calloc(n_in ? n_in : 1, sizeof *ins);
    trn_host_tensor_t *outs = calloc(n_out ? n_out : 1, sizeof *outs);
    const void **in_ptrs = calloc(n_in ? n_in : 1, sizeof *in_ptrs);
    void **out_ptrs = calloc(n_out ? n_out : 1, sizeof *out_ptrs);
    if (!ins || !outs || !in_ptrs || !out_ptrs) {
      ob_reason(reason, "", "out of memory");
      result = OB_FAIL;
      goto next;
    }
    for (size_t i = 0; i < n_in; i++) {
      const trn_rt_tensor_info_t *info = trn_rt_model_input(model, i);
      trn_status_t st = ob_check_narrowing(&ds[s].in[i], trn_elem_type_from_dtype(info->dtype));
      if (!st) st = trn_host_tensor_convert(&ds[s].in[i], trn_elem_type_from_dtype(info->dtype), &ins[i]);
      if (!st && ins[i].bytes != info->bytes)
        st = trn_status_make(TRN_ERR_INVALID_ARGUMENT, "input %zu '%s' has %zu bytes as %s, the .neff expects %llu",
                             i, info->name ? info->name : "", ins[i].bytes, trn_isa_dtype_name(info->dtype),
                             (unsigned long long)info->bytes);
      if (st) {
        snprintf(msg, sizeof msg, "data set %zu: %s", s, trn_status_message(st));
        ob_reason(reason, "", msg);
        result = trn_status_code(st) == TRN_ERR_UNSUPPORTED ? OB_SKIP : OB_FAIL;
        trn_status_free(st);
        goto next;
      }
      in_ptrs[i] = ins[i].data;
    }
    for (size_t i = 0; i < n_out; i++) {
      const trn_rt_tensor_info_t *info = trn_rt_model_output(model, i);
      trn_status_t st = trn_host_tensor_init(&outs[i], info->name, trn_elem_type_from_dtype(info->dtype),
                                             info->rank, info->dims);
      if (!st && outs[i].bytes != info->bytes)
        st = trn_status_make(TRN_ERR_FORMAT, "output %zu: signature bytes %llu disagree with its shape", i,
                             (unsigned long long)info->bytes);
      if (st) {
        ob_reason(reason, "", trn_status_message(st));
        trn_status_free(st);
        result = OB_FAIL;
        goto next;
      }
      out_ptrs[i] = outs[i].data;
    }
    trn_rt_run_options_t ro = {.strict = true};
    trn_status_t st = trn_rt_model_run(model, &ro, in_ptrs, out_ptrs, NULL);
    if (!st) st = ob_check_fast_run(model, in_ptrs, outs, n_out);
    if (st) {
      snprintf(msg, sizeof msg, "run: %s", trn_status_message(st));
      ob_reason(reason, "", msg);
      trn_status_free(st);
      result = OB_FAIL;
      goto next;
    }
    /* The ISA computes in its own dtypes: read outputs as the expected type. */
    for (size_t i = 0; i < n_out && i < ds[s].n_out; i++) {
      if (outs[i].type == ds[s].out[i].type) continue;
      trn_host_tensor_t conv;
      st = trn_host_tensor_convert(&outs[i], ds[s].out[i].type, &conv);
      if (st) {
        ob_reason(reason, "", trn_status_message(st));
        trn_status_free(st);
        result = OB_FAIL;
        goto next;
      }
      trn_host_tensor_release(&outs[i]);
      outs[i] = conv;
    }
    if (!ob_compare(o, s, outs, n_out, &ds[s], reason)) result = OB_FAIL;
  next:
    if (ins)
      for (size_t i = 0; i < n_in; i++) trn_host_tensor_release(&ins[i]);
    if (outs)
      for (size_t i = 0; i < n_out; i++) trn_host_tensor_release(&outs[i]);
    free(ins);
    free(outs);
    free(in_ptrs);
    free(out_ptrs);
  }
  return result;
}

static ob_result_t ob_run_isa(const ob_options_t *o, trn_compiler_t *c, const trn_compile_options_t *copts,
                              MlirModule m, const ob_dataset_t *ds, size_t n_ds, char *reason) {
  trn_status_t st = trn_compiler_lower(c, m, TRN_STAGE_ISA);
  if (st) {
    ob_result_t r = trn_status_code(st) == TRN_ERR_UNSUPPORTED ? OB_SKIP : OB_FAIL;
    ob_reason(reason, "lower: ", trn_status_message(st));
    trn_status_free(st);
    return r;
  }
  trn_rt_writer_t *w = NULL;
  void *bytes = NULL;
  size_t size = 0;
  trn_rt_model_t *model = NULL;
  const char *stage = "writer: ";
  st = trn_rt_writer_create(copts->pass.target, &w);
  if (!st) {
    stage = "emit: ";
    st = trn_compiler_emit_to_writer(c, m, w);
  }
  if (!st) {
    stage = "write: ";
    st = trn_rt_writer_write_memory(w, &bytes, &size);
  }
  if (!st) {
    stage = "load: ";
    st = trn_rt_model_load_memory(bytes, size, &model);
  }
  trn_rt_writer_destroy(w);
  free(bytes);
  if (st) {
    ob_result_t r = trn_status_code(st) == TRN_ERR_UNSUPPORTED ? OB_SKIP : OB_FAIL;
    ob_reason(reason, stage, trn_status_message(st));
    trn_status_free(st);
    return r;
  }
  ob_result_t r = ob_run_neff(o, model, ds, n_ds, reason);
  trn_rt_model_destroy(model);
  return r;
}

/* One test in a worker: results go to `fd` as "<path> <P|F|S> <reason>" lines, the
 * ref line before the ISA path starts (a crash there keeps the ref result). `c` is the
 * worker's compiler, or NULL when its creation failed with `create_error`. */
static void ob_run_test(const ob_options_t *o, trn_compiler_t *c, const trn_compile_options_t *copts,
                        const char *create_error, const ob_test_t *t, int fd) {
  char reason[OB_REASON] = "";
  if (!c) {
    ob_reason(reason, "compiler: ", create_error);
    ob_report(fd, t->dir, 0, OB_FAIL, reason);
    ob_report(fd, t->dir, 1, OB_FAIL, reason);
    return;
  }
  char model_path[PATH_MAX];
  snprintf(model_path, sizeof model_path, "%s/model.onnx", t->dir);
  MlirModule m;
  trn_status_t st = trn_compiler_import_onnx(c, model_path, &m);
  if (st) {
    ob_result_t r = trn_status_code(st) == TRN_ERR_UNSUPPORTED ? OB_SKIP : OB_FAIL;
    ob_reason(reason, "import: ", trn_status_message(st));
    trn_status_free(st);
    ob_report(fd, t->dir, 0, r, reason);
    ob_report(fd, t->dir, 1, r, reason);
    return;
  }
  ob_dataset_t *ds = NULL;
  size_t n_ds = 0;
  st = ob_read_datasets(t->dir, &ds, &n_ds);
  if (!st) st = ob_fix_datasets(m, ds, n_ds);
  if (st) {
    ob_reason(reason, "data: ", trn_status_message(st));
    trn_status_free(st);
    ob_report(fd, t->dir, 0, OB_FAIL, reason);
    ob_report(fd, t->dir, 1, OB_FAIL, reason);
  } else {
    ob_result_t r = ob_run_ref(o, c, m, ds, n_ds, reason);
    ob_report(fd, t->dir, 0, r, reason);
    if (!o->no_isa) {
      reason[0] = '\0';
      r = ob_run_isa(o, c, copts, m, ds, n_ds, reason);
      ob_report(fd, t->dir, 1, r, reason);
    }
  }
  ob_free_datasets(ds, n_ds);
  mlirModuleDestroy(m);
}

/* A worker process: one compiler for up to o->per_worker tests, whose indices it reads
 * from `cmd_fd` one per line; after each test it writes "end". */
static void ob_worker(const ob_options_t *o, const ob_test_t *tests, size_t n, int cmd_fd, int res_fd) {
  trn_compile_options_t copts;
  trn_compile_options_init(&copts);
  trn_compiler_t *c = NULL;
  char create_error[OB_REASON] = "";
  trn_status_t st = trn_compiler_create(&copts, &c);
  if (st) {
    snprintf(create_error, sizeof create_error, "%s", trn_status_message(st));
    trn_status_free(st);
    c = NULL;
  }
  for (int done = 0; done < o->per_worker; done++) {
    char line[32];
    size_t len = 0;
    while (len + 1 < sizeof line) {
      ssize_t r = read(cmd_fd, line + len, 1);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) break;
      if (line[len] == '\n') break;
      len++;
    }
    if (len == 0) break; /* EOF: the runner is done with us */
    line[len] = '\0';
    size_t idx = (size_t)strtoull(line, NULL, 10);
    if (idx >= n) break;
    ob_run_test(o, c, &copts, create_error, &tests[idx], res_fd);
    if (write(res_fd, "end\n", 4) != 4) break;
  }
  if (c) trn_compiler_destroy(c);
}

/* ---- parent: scheduling --------------------------------------------------------- */

typedef struct ob_slot_t {
  pid_t pid;      /* 0: no worker */
  int cmd_fd, res_fd;
  int served;     /* tests sent to this worker */
  bool busy;
  size_t test;
  double start;
  char buf[2 * (OB_REASON + 16) + 64];
  size_t len;
} ob_slot_t;

static void ob_parse_child(ob_test_t *t, const char *buf) {
  const char *p = buf;
  while (*p) {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    for (int k = 0; k < OB_PATHS; k++) {
      size_t kl = strlen(kPathNames[k]);
      if (len >= kl + 2 && strncmp(p, kPathNames[k], kl) == 0 && p[kl] == ' ') {
        char c = p[kl + 1];
        t->res[k] = c == 'P' ? OB_PASS : c == 'S' ? OB_SKIP : OB_FAIL;
        size_t rs = len > kl + 3 ? len - (kl + 3) : 0;
        if (rs >= OB_REASON) rs = OB_REASON - 1;
        memcpy(t->reason[k], p + kl + 3 > p + len ? p + len : p + kl + 3, rs);
        t->reason[k][rs] = '\0';
      }
    }
    if (!eol) break;
    p = eol + 1;
  }
}

/* Records the result of the slot's current test; `why` explains missing lines. */
static void ob_finish(const ob_options_t *o, ob_test_t *t, ob_slot_t *s, const char *why) {
  s->buf[s->len] = '\0';
  ob_parse_child(t, s->buf);
  t->seconds = ob_now() - s->start;
  for (int k = 0; k < OB_PATHS; k++) {
    if (k == 1 && o->no_isa) {
      if (t->res[k] == OB_NONE) {
        t->res[k] = OB_SKIP;
        snprintf(t->reason[k], OB_REASON, "--no-isa");
      }
      continue;
    }
    if (t->res[k] == OB_NONE) {
      t->res[k] = OB_FAIL;
      snprintf(t->reason[k], OB_REASON, "%s", why);
    }
  }
  if (o->verbose) {
    printf("%s/%s (%.2fs)\n", t->suite, t->name, t->seconds);
    for (int k = 0; k < OB_PATHS; k++)
      printf("    %s: %s%s%s\n", kPathNames[k],
             t->res[k] == OB_PASS ? "pass" : t->res[k] == OB_SKIP ? "skip" : "FAIL",
             t->reason[k][0] ? " - " : "", t->reason[k]);
    fflush(stdout);
  }
  s->busy = false;
  s->len = 0;
}

/* Starts a worker in slot s; `slots` are all of them (the child closes the others'
 * pipe ends so that a worker sees EOF when the runner closes its own). */
static void ob_spawn(const ob_options_t *o, const ob_test_t *tests, size_t n, ob_slot_t *slots,
                     ob_slot_t *s) {
  int cmd[2], res[2];
  if (pipe(cmd) != 0 || pipe(res) != 0) {
    fprintf(stderr, "trn-onnx-backend-test: pipe: %s\n", strerror(errno));
    exit(2);
  }
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "trn-onnx-backend-test: fork: %s\n", strerror(errno));
    exit(2);
  }
  if (pid == 0) {
    close(cmd[1]);
    close(res[0]);
    for (int j = 0; j < o->jobs; j++)
      if (&slots[j] != s && slots[j].pid) {
        close(slots[j].cmd_fd);
        close(slots[j].res_fd);
      }
    if (!o->verbose) {
      int null = open("/dev/null", O_WRONLY);
      if (null >= 0) {
        dup2(null, 1);
        dup2(null, 2);
        close(null);
      }
    }
    ob_worker(o, tests, n, cmd[0], res[1]);
    _exit(0);
  }
  close(cmd[0]);
  close(res[1]);
  memset(s, 0, sizeof *s);
  s->pid = pid;
  s->cmd_fd = cmd[1];
  s->res_fd = res[0];
}

/* Ends the slot's worker: killed when `kill_it`, else it exits by itself. */
static int ob_reap(ob_slot_t *s, bool kill_it) {
  if (kill_it) kill(s->pid, SIGKILL);
  close(s->cmd_fd);
  close(s->res_fd);
  int wstatus = 0;
  while (waitpid(s->pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  s->pid = 0;
  return wstatus;
}

static void ob_run_all(const ob_options_t *o, ob_test_t *tests, size_t n) {
  ob_slot_t *slots = calloc((size_t)o->jobs, sizeof *slots);
  if (!slots) {
    fprintf(stderr, "trn-onnx-backend-test: out of memory\n");
    exit(2);
  }
  size_t next = 0, done = 0;
  while (done < n) {
    /* Give every idle slot work (a new worker where needed). */
    for (int j = 0; j < o->jobs && next < n; j++) {
      ob_slot_t *s = &slots[j];
      if (s->busy) continue;
      if (s->pid && s->served >= o->per_worker) ob_reap(s, false);
      char line[32];
      int len = snprintf(line, sizeof line, "%zu\n", next);
      bool sent = false;
      for (int attempt = 0; attempt < 2 && !sent; attempt++) { /* an idle worker may have died */
        if (!s->pid) ob_spawn(o, tests, n, slots, s);
        sent = write(s->cmd_fd, line, (size_t)len) == len;
        if (!sent) ob_reap(s, true);
      }
      s->test = next++;
      s->busy = true;
      s->served++;
      s->start = ob_now();
      s->len = 0;
      if (!sent) {
        ob_finish(o, &tests[s->test], s, "cannot start a worker");
        done++;
      }
    }
    struct pollfd pfds[64];
    int np = 0;
    for (int j = 0; j < o->jobs; j++)
      if (slots[j].busy) pfds[np++] = (struct pollfd){.fd = slots[j].res_fd, .events = POLLIN};
    poll(pfds, (nfds_t)np, 100);
    double now = ob_now();
    for (int j = 0; j < o->jobs; j++) {
      ob_slot_t *s = &slots[j];
      if (!s->busy) continue;
      struct pollfd one = {.fd = s->res_fd, .events = POLLIN};
      bool eof = false;
      while (poll(&one, 1, 0) > 0) {
        size_t room = sizeof s->buf - 1 - s->len;
        char sink[256];
        ssize_t r = room ? read(s->res_fd, s->buf + s->len, room) : read(s->res_fd, sink, sizeof sink);
        if (r > 0 && room) s->len += (size_t)r;
        if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN)) {
          eof = true;
          break;
        }
        s->buf[s->len] = '\0';
        if (s->len >= 4 && strcmp(s->buf + s->len - 4, "end\n") == 0) break;
      }
      s->buf[s->len] = '\0';
      if (s->len >= 4 && strcmp(s->buf + s->len - 4, "end\n") == 0) {
        s->len -= 4;
        ob_finish(o, &tests[s->test], s, "no result reported");
        done++;
        continue;
      }
      char why[OB_REASON];
      if (eof) {
        int ws = ob_reap(s, false);
        if (WIFSIGNALED(ws))
          snprintf(why, sizeof why, "crashed: signal %d (%s)", WTERMSIG(ws), strsignal(WTERMSIG(ws)));
        else
          snprintf(why, sizeof why, "worker exited with status %d", WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
      } else if (now - s->start > o->timeout) {
        ob_reap(s, true);
        snprintf(why, sizeof why, "timeout after %g s", o->timeout);
      } else {
        continue;
      }
      ob_finish(o, &tests[s->test], s, why);
      done++;
    }
  }
  for (int j = 0; j < o->jobs; j++) /* idle workers waiting for a test */
    if (slots[j].pid) ob_reap(&slots[j], true);
  free(slots);
}

/* ---- test discovery --------------------------------------------------------------- */

static void ob_discover(ob_options_t *o, ob_test_t **out, size_t *count) {
  size_t n = 0, cap = 256;
  ob_test_t *tests = calloc(cap, sizeof *tests);
  if (!tests) exit(2);
  for (size_t si = 0; si < o->suite_count; si++) {
    char *sdir = ob_join(o->data, o->suites[si]);
    DIR *d = opendir(sdir);
    if (!d) {
      fprintf(stderr, "trn-onnx-backend-test: cannot open suite %s: %s\n", sdir, strerror(errno));
      exit(2);
    }
    char **names = NULL;
    size_t nn = 0, ncap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
      if (e->d_name[0] == '.') continue;
      if (nn == ncap) {
        ncap = ncap ? 2 * ncap : 64;
        names = realloc(names, ncap * sizeof *names);
        if (!names) exit(2);
      }
      names[nn++] = ob_strdup(e->d_name);
    }
    closedir(d);
    if (nn) qsort(names, nn, sizeof *names, ob_cmp_str);
    for (size_t k = 0; k < nn; k++) {
      char *tdir = ob_join(sdir, names[k]);
      char *model = ob_join(tdir, "model.onnx");
      char id[512];
      snprintf(id, sizeof id, "%s/%s", o->suites[si], names[k]);
      bool keep = ob_exists(model) && (!o->filter || regexec(&o->filter_re, id, 0, NULL, 0) == 0);
      free(model);
      if (!keep) {
        free(tdir);
        free(names[k]);
        continue;
      }
      if (n == cap) {
        cap *= 2;
        tests = realloc(tests, cap * sizeof *tests);
        if (!tests) exit(2);
      }
      memset(&tests[n], 0, sizeof tests[n]);
      tests[n].suite = ob_strdup(o->suites[si]);
      tests[n].name = names[k];
      tests[n].dir = tdir;
      n++;
    }
    free(names);
    free(sdir);
  }
  *out = tests;
  *count = n;
}

/* ---- expectations ----------------------------------------------------------------- */

typedef struct ob_expect_t {
  char **lines; /* "<suite>/<test> <path> pass" */
  size_t n, cap;
} ob_expect_t;

static void ob_expect_add(ob_expect_t *e, const char *line) {
  if (e->n == e->cap) {
    e->cap = e->cap ? 2 * e->cap : 256;
    e->lines = realloc(e->lines, e->cap * sizeof *e->lines);
    if (!e->lines) exit(2);
  }
  e->lines[e->n++] = ob_strdup(line);
}

static bool ob_expect_read(const char *path, ob_expect_t *e) {
  FILE *f = fopen(path, "r");
  if (!f) return false;
  char line[1024];
  unsigned lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t len = strlen(line);
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' ')) line[--len] = '\0';
    if (len == 0 || line[0] == '#') continue;
    char id[512], path_name[16], what[16];
    if (sscanf(line, "%511s %15s %15s", id, path_name, what) != 3 || strcmp(what, "pass") != 0 ||
        (strcmp(path_name, "ref") != 0 && strcmp(path_name, "isa") != 0) || !strchr(id, '/')) {
      fprintf(stderr, "%s:%u: malformed line (want '<suite>/<test> ref|isa pass'): %s\n", path, lineno, line);
      continue;
    }
    ob_expect_add(e, line);
  }
  fclose(f);
  return true;
}

static bool ob_expect_has(const ob_expect_t *e, const char *line) {
  for (size_t i = 0; i < e->n; i++)
    if (strcmp(e->lines[i], line) == 0) return true;
  return false;
}

/* Whether an expectation line belongs to this run (its suite ran, its id passes the
 * filter). */
static bool ob_in_scope(const ob_options_t *o, const char *line) {
  char id[512];
  if (sscanf(line, "%511s", id) != 1) return false;
  const char *slash = strchr(id, '/');
  if (!slash) return false;
  bool suite_ran = false;
  for (size_t i = 0; i < o->suite_count; i++)
    if (strlen(o->suites[i]) == (size_t)(slash - id) && strncmp(o->suites[i], id, (size_t)(slash - id)) == 0)
      suite_ran = true;
  return suite_ran && (!o->filter || regexec(&o->filter_re, id, 0, NULL, 0) == 0);
}

static int ob_write_expectations(const ob_options_t *o, const ob_expect_t *old, const ob_test_t *tests,
                                 size_t n) {
  ob_expect_t e = {0};
  for (size_t i = 0; i < old->n; i++)
    if (!ob_in_scope(o, old->lines[i])) ob_expect_add(&e, old->lines[i]);
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < OB_PATHS; k++)
      if (tests[i].res[k] == OB_PASS) {
        char line[640];
        snprintf(line, sizeof line, "%s/%s %s pass", tests[i].suite, tests[i].name, kPathNames[k]);
        ob_expect_add(&e, line);
      }
  if (e.n) qsort(e.lines, e.n, sizeof *e.lines, ob_cmp_str);
  char tmp[PATH_MAX];
  snprintf(tmp, sizeof tmp, "%s.tmp", o->expectations);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    fprintf(stderr, "trn-onnx-backend-test: cannot write %s: %s\n", tmp, strerror(errno));
    return 2;
  }
  fprintf(f, "# ONNX backend tests that must pass, one '<suite>/<test> <path> pass' per line\n"
             "# (path: ref = CPU reference backend, isa = compiled .neff in the interpreter).\n"
             "# Regenerate with: trn-onnx-backend-test --update-expectations\n");
  for (size_t i = 0; i < e.n; i++) fprintf(f, "%s\n", e.lines[i]);
  size_t written = e.n;
  for (size_t i = 0; i < e.n; i++) free(e.lines[i]);
  free(e.lines);
  if (fclose(f) != 0 || rename(tmp, o->expectations) != 0) {
    fprintf(stderr, "trn-onnx-backend-test: cannot write %s: %s\n", o->expectations, strerror(errno));
    return 2;
  }
  printf("wrote %zu expectations to %s\n", written, o->expectations);
  return 0;
}

/* ---- main ------------------------------------------------------------------------- */

static void ob_usage(FILE *f) {
  fprintf(f,
          "usage: trn-onnx-backend-test [--data DIR] [--suite NAME]... [--filter REGEX] [-j N]\n"
          "         [--timeout SEC] [--tests-per-worker N] [--rtol X] [--atol X] [--no-isa]\n"
          "         [--expectations FILE]\n"
          "         [--update-expectations | --no-expectations] [-v]\n");
}

static bool ob_parse_args(int argc, char **argv, ob_options_t *o) {
  memset(o, 0, sizeof *o);
  o->data = "/usr/share/libonnx-testdata/data";
  o->jobs = 2;
  o->per_worker = 32;
  o->timeout = 60;
  o->rtol = 1e-3;
  o->atol = 1e-5;
  o->expectations = TRN_ONNX_EXPECTED_DEFAULT;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define OB_NEED_VALUE()                                                 \
  do {                                                                  \
    if (!v) {                                                           \
      fprintf(stderr, "trn-onnx-backend-test: %s needs a value\n", a); \
      return false;                                                     \
    }                                                                   \
    i++;                                                                \
  } while (0)
    if (strcmp(a, "--data") == 0) {
      OB_NEED_VALUE();
      o->data = v;
    } else if (strcmp(a, "--suite") == 0) {
      OB_NEED_VALUE();
      if (o->suite_count == OB_MAX_SUITES) return false;
      o->suites[o->suite_count++] = v;
    } else if (strcmp(a, "--filter") == 0) {
      OB_NEED_VALUE();
      o->filter = v;
    } else if (strcmp(a, "-j") == 0) {
      OB_NEED_VALUE();
      o->jobs = atoi(v);
    } else if (strncmp(a, "-j", 2) == 0 && a[2]) {
      o->jobs = atoi(a + 2);
    } else if (strcmp(a, "--tests-per-worker") == 0) {
      OB_NEED_VALUE();
      o->per_worker = atoi(v);
    } else if (strcmp(a, "--timeout") == 0) {
      OB_NEED_VALUE();
      o->timeout = atof(v);
    } else if (strcmp(a, "--rtol") == 0) {
      OB_NEED_VALUE();
      o->rtol = atof(v);
    } else if (strcmp(a, "--atol") == 0) {
      OB_NEED_VALUE();
      o->atol = atof(v);
    } else if (strcmp(a, "--no-isa") == 0) {
      o->no_isa = true;
    } else if (strcmp(a, "--expectations") == 0) {
      OB_NEED_VALUE();
      o->expectations = v;
    } else if (strcmp(a, "--update-expectations") == 0) {
      o->update = true;
    } else if (strcmp(a, "--no-expectations") == 0) {
      o->no_expect = true;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      o->verbose = true;
    } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
      ob_usage(stdout);
      exit(0);
    } else {
      fprintf(stderr, "trn-onnx-backend-test: unknown argument '%s'\n", a);
      return false;
    }
#undef OB_NEED_VALUE
  }
  if (o->jobs < 1 || o->jobs > 64 || !(o->timeout > 0) || o->per_worker < 1) {
    fprintf(stderr, "trn-onnx-backend-test: -j must be 1..64, --timeout > 0, --tests-per-worker >= 1\n");
    return false;
  }
  if (o->suite_count == 0)
    for (size_t i = 0; i < sizeof kDefaultSuites / sizeof *kDefaultSuites; i++)
      o->suites[o->suite_count++] = kDefaultSuites[i];
  if (o->filter && regcomp(&o->filter_re, o->filter, REG_EXTENDED | REG_NOSUB) != 0) {
    fprintf(stderr, "trn-onnx-backend-test: bad --filter regex '%s'\n", o->filter);
    return false;
  }
  return true;
}

int main(int argc, char **argv) {
  ob_options_t o;
  if (!ob_parse_args(argc, argv, &o)) {
    ob_usage(stderr);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  ob_test_t *tests = NULL;
  size_t n = 0;
  ob_discover(&o, &tests, &n);
  printf("trn-onnx-backend-test: %zu tests from %s, -j%d, timeout %g s\n", n, o.data, o.jobs, o.timeout);
  double t0 = ob_now();
  ob_run_all(&o, tests, n);
  double wall = ob_now() - t0;

  /* Per-suite table. */
  printf("\n%-20s %6s  %19s  %19s\n", "suite", "tests", "ref pass/fail/skip", "isa pass/fail/skip");
  unsigned total[OB_PATHS][4] = {{0}};
  for (size_t si = 0; si < o.suite_count; si++) {
    unsigned cnt[OB_PATHS][4] = {{0}}, nt = 0;
    for (size_t i = 0; i < n; i++) {
      if (strcmp(tests[i].suite, o.suites[si]) != 0) continue;
      nt++;
      for (int k = 0; k < OB_PATHS; k++) {
        cnt[k][tests[i].res[k]]++;
        total[k][tests[i].res[k]]++;
      }
    }
    char r[32], s[32];
    snprintf(r, sizeof r, "%u/%u/%u", cnt[0][OB_PASS], cnt[0][OB_FAIL], cnt[0][OB_SKIP]);
    snprintf(s, sizeof s, "%u/%u/%u", cnt[1][OB_PASS], cnt[1][OB_FAIL], cnt[1][OB_SKIP]);
    printf("%-20s %6u  %19s  %19s\n", o.suites[si], nt, r, s);
  }

  /* Every failure, one line each (skips are counted only). */
  unsigned nfail = 0;
  for (size_t i = 0; i < n; i++)
    for (int k = 0; k < OB_PATHS; k++) {
      if (tests[i].res[k] != OB_FAIL) continue;
      if (!nfail++) printf("\nfailures:\n");
      printf("  %s/%s %s: %s\n", tests[i].suite, tests[i].name, kPathNames[k], tests[i].reason[k]);
    }
  /* The slowest tests. */
  size_t slow[5] = {0};
  size_t nslow = 0;
  for (size_t i = 0; i < n; i++) {
    size_t pos = nslow < 5 ? nslow++ : 5;
    while (pos > 0 && tests[slow[pos - 1]].seconds < tests[i].seconds) {
      if (pos < 5) slow[pos] = slow[pos - 1];
      pos--;
    }
    if (pos < 5) slow[pos] = i;
  }
  if (nslow) {
    printf("\nslowest:");
    for (size_t i = 0; i < nslow; i++)
      printf(" %s/%s %.2fs%s", tests[slow[i]].suite, tests[slow[i]].name, tests[slow[i]].seconds,
             i + 1 < nslow ? "," : "\n");
  }

  /* Expectations. */
  int rc = 0;
  ob_expect_t exp = {0};
  bool have_exp = ob_expect_read(o.expectations, &exp);
  if (o.update) {
    rc = ob_write_expectations(&o, &exp, tests, n);
  } else if (!o.no_expect) {
    if (!have_exp) fprintf(stderr, "trn-onnx-backend-test: no expectations file %s (all tests optional)\n", o.expectations);
    unsigned broken = 0, unexpected = 0;
    for (size_t i = 0; i < exp.n; i++) {
      if (!ob_in_scope(&o, exp.lines[i])) continue;
      char id[512], path_name[16];
      sscanf(exp.lines[i], "%511s %15s", id, path_name);
      int k = strcmp(path_name, "isa") == 0 ? 1 : 0;
      const ob_test_t *t = NULL;
      for (size_t j = 0; j < n && !t; j++) {
        char tid[640];
        snprintf(tid, sizeof tid, "%s/%s", tests[j].suite, tests[j].name);
        if (strcmp(tid, id) == 0) t = &tests[j];
      }
      if (t && t->res[k] == OB_PASS) continue;
      if (!broken++) printf("\nexpected to pass but did not:\n");
      printf("  %s %s: %s - %s\n", id, path_name, !t ? "not found" : t->res[k] == OB_SKIP ? "skip" : "FAIL",
             t ? t->reason[k] : "no such test");
    }
    for (size_t i = 0; i < n; i++)
      for (int k = 0; k < OB_PATHS; k++) {
        if (tests[i].res[k] != OB_PASS) continue;
        char line[640];
        snprintf(line, sizeof line, "%s/%s %s pass", tests[i].suite, tests[i].name, kPathNames[k]);
        if (ob_expect_has(&exp, line)) continue;
        if (!unexpected++) printf("\nunexpected passes (add these lines to %s):\n", o.expectations);
        printf("  %s\n", line);
      }
    if (broken) {
      printf("\n%u expected passes did not pass\n", broken);
      rc = 1;
    }
  }

  printf("\nwall time %.1f s\n", wall);
  for (int k = 0; k < OB_PATHS; k++)
    printf("%s: %u passed, %u failed, %u skipped\n", kPathNames[k], total[k][OB_PASS], total[k][OB_FAIL],
           total[k][OB_SKIP]);
  /* Freed so that a sanitizer build (LeakSanitizer at exit) passes. */
  for (size_t i = 0; i < exp.n; i++) free(exp.lines[i]);
  free(exp.lines);
  for (size_t i = 0; i < n; i++) {
    free(tests[i].suite);
    free(tests[i].name);
    free(tests[i].dir);
  }
  free(tests);
  if (o.filter) regfree(&o.filter_re);
  return rc;
}
