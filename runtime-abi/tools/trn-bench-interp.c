/* trn-bench-interp: the interpreter's functional speed on a matmul-heavy program,
 * beside OpenBLAS on the same shapes in the same process.
 *
 *   trn-bench-interp [--size N] [--repeat R] [--gemm-only]
 *   trn-bench-interp --neff FILE [--repeat R]
 *
 * Builds (with the runtime writer API, in memory) an N x N x N fp32 GEMM as the
 * compiler would tile it: A (K x M) and B (K x N) loaded into SBUF by two DMA queues,
 * 128 x 128 stationary x 512 moving matmuls accumulated over K in PSUM banks, ACT
 * copying each finished tile to SBUF, one DMA storing C. Reports the run's wall time
 * as GFLOP/s, cblas_sgemm's GFLOP/s on the whole GEMM and on the same tiles, and the
 * ratio. With --neff, runs a compiled model on random inputs instead and reports each
 * run's wall time and CPU time (the whole process, and the calling thread alone): on a
 * shared machine the CPU times vary far less than the wall time. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef TRN_HAVE_BLAS
#include <cblas.h>
#endif

#include "trn/runtime.h"

#define CHECK(expr)                                                         \
  do {                                                                      \
    trn_status_t st_ = (expr);                                              \
    if (st_) {                                                              \
      fprintf(stderr, "trn-bench-interp: error: %s\n", trn_status_message(st_)); \
      exit(1);                                                              \
    }                                                                       \
  } while (0)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double cpu_now(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* The median of v[0..n) (sorted in place). */
static double median(double *v, int n) {
  qsort(v, (size_t)n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static trn_ap_t row_ap(trn_space_t space, uint32_t np, uint32_t offset, uint32_t n) {
  trn_ap_t a;
  memset(&a, 0, sizeof a);
  a.space = (uint8_t)space;
  a.dtype = TRN_DTYPE_FP32;
  a.num_partitions = (uint8_t)np;
  a.offset = offset;
  a.num[0] = (uint16_t)n;
  a.num[1] = a.num[2] = 1;
  a.step[0] = 1;
  return a;
}

static trn_inst_t inst(trn_opcode_t op) {
  trn_inst_t in;
  memset(&in, 0, sizeof in);
  in.opcode = (uint8_t)op;
  in.wait_sem = TRN_SEM_NONE;
  in.signal_sem = TRN_SEM_NONE;
  return in;
}

/* SBUF per partition: A's k-tiles from 0, B's from b_off, C's m-tiles from c_off
 * (n fp32 each). */
static trn_rt_model_t *build(const trn_target_t *t, uint32_t n) {
  const uint32_t P = 128, NT = 512, kts = n / P, mts = n / P, nts = n / NT;
  const uint64_t pb = t->sbuf_partition_bytes;
  const uint32_t a_off = 0, b_off = kts * n * 4, c_off = 2 * kts * n * 4;
  const uint64_t hbm_a = 0, hbm_b = (uint64_t)n * n * 4, hbm_c = 2 * (uint64_t)n * n * 4;
  const uint32_t bank = t->psum_partition_bytes / t->psum_banks;
  trn_rt_writer_t *w;
  CHECK(trn_rt_writer_create(t, &w));
  trn_rt_writer_set_hbm_size(w, 3 * (uint64_t)n * n * 4);
  trn_rt_tensor_info_t info;
  memset(&info, 0, sizeof info);
  info.dtype = TRN_DTYPE_FP32;
  info.rank = 2;
  info.dims[0] = info.dims[1] = n;
  info.bytes = (uint64_t)n * n * 4;
  info.name = "a";
  info.hbm_offset = hbm_a;
  CHECK(trn_rt_writer_add_input(w, &info));
  info.name = "b";
  info.hbm_offset = hbm_b;
  CHECK(trn_rt_writer_add_input(w, &info));
  info.name = "c";
  info.hbm_offset = hbm_c;
  CHECK(trn_rt_writer_add_output(w, &info));

  /* descriptors: A and B in (k-tile kt of rows k -> partition k % 128), C out */
  trn_dma_desc_t d[3];
  memset(d, 0, sizeof d);
  for (int i = 0; i < 2; i++) {
    d[i].src_space = TRN_SPACE_HBM;
    d[i].dst_space = TRN_SPACE_SBUF;
    d[i].src_dtype = d[i].dst_dtype = TRN_DTYPE_FP32;
    d[i].src_addr = i ? hbm_b : hbm_a;
    d[i].dst_addr = i ? b_off : a_off;
    d[i].num[0] = n;
    d[i].num[1] = P;
    d[i].num[2] = kts;
    d[i].num[3] = 1;
    d[i].src_step[0] = 1;
    d[i].src_step[1] = n;
    d[i].src_step[2] = (int64_t)P * n;
    d[i].dst_step[0] = 1;
    d[i].dst_step[1] = (int64_t)(pb / 4);
    d[i].dst_step[2] = n;
  }
  d[2].src_space = TRN_SPACE_SBUF;
  d[2].dst_space = TRN_SPACE_HBM;
  d[2].src_dtype = d[2].dst_dtype = TRN_DTYPE_FP32;
  d[2].src_addr = c_off;
  d[2].dst_addr = hbm_c;
  d[2].num[0] = n;
  d[2].num[1] = P;
  d[2].num[2] = mts;
  d[2].num[3] = 1;
  d[2].src_step[0] = 1;
  d[2].src_step[1] = (int64_t)(pb / 4);
  d[2].src_step[2] = n;
  d[2].dst_step[0] = 1;
  d[2].dst_step[1] = n;
  d[2].dst_step[2] = (int64_t)P * n;
  uint32_t first;
  CHECK(trn_rt_writer_append_dma(w, d, 3, &first));
  for (uint32_t q = 0; q < 2; q++) {
    trn_inst_t in = inst(TRN_OP_DMA);
    in.aux = first + q;
    in.imm[0] = 1;
    in.signal_sem = 0;
    CHECK(trn_rt_writer_append(w, TRN_STREAM_DMA0 + q, &in, 1));
  }
  /* PE: tile (mt, nt) accumulates over kt into bank tile % banks; it waits until
   * ACT has drained that bank's previous tile. ACT copies each tile to C in SBUF. */
  uint32_t tile = 0;
  for (uint32_t mt = 0; mt < mts; mt++)
    for (uint32_t nt = 0; nt < nts; nt++, tile++) {
      uint32_t b = tile % t->psum_banks;
      for (uint32_t kt = 0; kt < kts; kt++) {
        trn_inst_t mm = inst(TRN_OP_MATMUL);
        mm.dst = row_ap(TRN_SPACE_PSUM, P, b * bank, NT);
        mm.src0 = row_ap(TRN_SPACE_SBUF, P, a_off + kt * n * 4 + mt * P * 4, P);
        mm.src1 = row_ap(TRN_SPACE_SBUF, P, b_off + kt * n * 4 + nt * NT * 4, NT);
        if (kt) mm.flags = TRN_FLAG_ACC;
        if (kt == 0 && tile == 0) {
          mm.wait_sem = 0;
          mm.wait_value = 2;
        } else if (kt == 0 && tile >= t->psum_banks) {
          mm.wait_sem = 2;
          mm.wait_value = tile - t->psum_banks + 1;
        }
        if (kt == kts - 1) mm.signal_sem = 1;
        CHECK(trn_rt_writer_append(w, TRN_ENGINE_PE, &mm, 1));
      }
      trn_inst_t cp = inst(TRN_OP_ACTIVATE);
      cp.op0 = TRN_ACT_COPY;
      cp.imm[0] = 0x3f800000u; /* scale 1.0 */
      cp.dst = row_ap(TRN_SPACE_SBUF, P, c_off + mt * n * 4 + nt * NT * 4, NT);
      cp.src0 = row_ap(TRN_SPACE_PSUM, P, b * bank, NT);
      cp.wait_sem = 1;
      cp.wait_value = tile + 1;
      cp.signal_sem = 2;
      CHECK(trn_rt_writer_append(w, TRN_ENGINE_ACT, &cp, 1));
    }
  trn_inst_t out = inst(TRN_OP_DMA);
  out.aux = first + 2;
  out.imm[0] = 1;
  out.wait_sem = 2;
  out.wait_value = tile;
  CHECK(trn_rt_writer_append(w, TRN_STREAM_DMA0 + 2, &out, 1));
  void *bytes;
  size_t size;
  CHECK(trn_rt_writer_write_memory(w, &bytes, &size));
  trn_rt_writer_destroy(w);
  trn_rt_model_t *m;
  CHECK(trn_rt_model_load_memory(bytes, size, &m));
  free(bytes);
  return m;
}

/* An elementwise program: `count` tensor_tensor adds on DVE and as many exp activations
 * on ACT, each 128 x 512 fp32, on disjoint tiles (no sync needed). */
static trn_rt_model_t *build_elementwise(const trn_target_t *t, uint32_t count) {
  trn_rt_writer_t *w;
  CHECK(trn_rt_writer_create(t, &w));
  trn_rt_writer_set_hbm_size(w, 64);
  for (uint32_t i = 0; i < count; i++) {
    trn_inst_t tt = inst(TRN_OP_TENSOR_TENSOR);
    tt.op0 = TRN_ALU_ADD;
    tt.dst = row_ap(TRN_SPACE_SBUF, 128, 0, 512);
    tt.src0 = row_ap(TRN_SPACE_SBUF, 128, 2048, 512);
    tt.src1 = row_ap(TRN_SPACE_SBUF, 128, 4096, 512);
    CHECK(trn_rt_writer_append(w, TRN_ENGINE_DVE, &tt, 1));
    trn_inst_t ac = inst(TRN_OP_ACTIVATE);
    ac.op0 = TRN_ACT_EXP;
    ac.imm[0] = 0x3f800000u;
    ac.dst = row_ap(TRN_SPACE_SBUF, 128, 8192, 512);
    ac.src0 = row_ap(TRN_SPACE_SBUF, 128, 10240, 512);
    CHECK(trn_rt_writer_append(w, TRN_ENGINE_ACT, &ac, 1));
  }
  void *bytes;
  size_t size;
  CHECK(trn_rt_writer_write_memory(w, &bytes, &size));
  trn_rt_writer_destroy(w);
  trn_rt_model_t *m;
  CHECK(trn_rt_model_load_memory(bytes, size, &m));
  free(bytes);
  return m;
}

/* Runs the model in `path` `repeat` times on random inputs (fp32 inputs uniform in
 * [-1, 1), others zero) and prints the medians of wall, process CPU and thread CPU. */
static int bench_neff(const char *path, int repeat) {
  trn_rt_model_t *m;
  CHECK(trn_rt_model_load_file(path, &m));
  size_t nin = trn_rt_model_input_count(m), nout = trn_rt_model_output_count(m);
  void **ins = calloc(nin ? nin : 1, sizeof *ins), **outs = calloc(nout ? nout : 1, sizeof *outs);
  double *wall = calloc((size_t)repeat, sizeof(double));
  double *proc = calloc((size_t)repeat, sizeof(double));
  double *thread = calloc((size_t)repeat, sizeof(double));
  if (!ins || !outs || !wall || !proc || !thread) return 1;
  uint32_t seed = 1;
  for (size_t i = 0; i < nin; i++) {
    const trn_rt_tensor_info_t *info = trn_rt_model_input(m, i);
    ins[i] = calloc(info->bytes ? info->bytes : 1, 1);
    if (!ins[i]) return 1;
    if (info->dtype != TRN_DTYPE_FP32) continue;
    float *f = ins[i];
    for (uint64_t k = 0; k < info->bytes / 4; k++) {
      seed = seed * 1664525u + 1013904223u;
      f[k] = (float)(seed >> 9) / 4194304.0f - 1.0f;
    }
  }
  for (size_t i = 0; i < nout; i++) {
    const trn_rt_tensor_info_t *info = trn_rt_model_output(m, i);
    outs[i] = malloc(info->bytes ? info->bytes : 1);
    if (!outs[i]) return 1;
  }
  trn_rt_profile_t prof;
  for (int r = 0; r < repeat; r++) {
    double w0 = now(), p0 = cpu_now(CLOCK_PROCESS_CPUTIME_ID);
    double t0 = cpu_now(CLOCK_THREAD_CPUTIME_ID);
    CHECK(trn_rt_model_run(m, NULL, (const void *const *)ins, outs, &prof));
    wall[r] = now() - w0;
    proc[r] = cpu_now(CLOCK_PROCESS_CPUTIME_ID) - p0;
    thread[r] = cpu_now(CLOCK_THREAD_CPUTIME_ID) - t0;
  }
  printf("trn-bench-interp: %s, %llu instructions, %llu MACs per run, %d runs (medians)\n", path,
         (unsigned long long)prof.instructions, (unsigned long long)prof.macs, repeat);
  printf("wall %.3f ms, process CPU %.3f ms, calling thread CPU %.3f ms\n",
         median(wall, repeat) * 1e3, median(proc, repeat) * 1e3, median(thread, repeat) * 1e3);
  for (size_t i = 0; i < nin; i++) free(ins[i]);
  for (size_t i = 0; i < nout; i++) free(outs[i]);
  free(ins);
  free(outs);
  free(wall);
  free(proc);
  free(thread);
  trn_rt_model_destroy(m);
  return 0;
}

int main(int argc, char **argv) {
  uint32_t n = 1024;
  int repeat = 3;
  bool gemm_only = false;
  const char *neff = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--size") == 0 && i + 1 < argc) n = (uint32_t)atoi(argv[++i]);
    else if (strcmp(argv[i], "--neff") == 0 && i + 1 < argc) neff = argv[++i];
    else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = atoi(argv[++i]);
    else if (strcmp(argv[i], "--gemm-only") == 0) gemm_only = true;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: trn-bench-interp [--size 512|1024] [--repeat R] [--gemm-only]\n"
             "       trn-bench-interp --neff FILE [--repeat R]\n"
             "Runs an N^3 fp32 GEMM tiled as the compiler does (128x128x512 MATMULs accumulating\n"
             "in PSUM) through the interpreter and OpenBLAS sgemm in the same process, each\n"
             "repetition timing all three, and prints GFLOP/s, the instruction count and the\n"
             "ratios interpreter / sgemm (whole GEMM, and the same 128x128x512 tiles).\n"
             "--gemm-only skips the elementwise benchmark. The issue's measurement:\n"
             "  trn-bench-interp --size 1024 --repeat 5 --gemm-only\n"
             "(run it 3 times on a loaded machine; OPENBLAS_NUM_THREADS=1 compares one core)\n"
             "--neff FILE runs a compiled model R times on random inputs and prints the median\n"
             "wall time and CPU time per run (process, and the interpreter's thread alone).\n");
      return 0;
    } else {
      fprintf(stderr, "usage: trn-bench-interp [--size 512|1024] [--repeat R] [--gemm-only]\n"
                      "       trn-bench-interp --neff FILE [--repeat R]\n");
      return 1;
    }
  }
  if (neff) {
    if (repeat < 1) {
      fprintf(stderr, "trn-bench-interp: error: --repeat must be at least 1\n");
      return 1;
    }
    return bench_neff(neff, repeat);
  }
  if ((n != 512 && n != 1024) || repeat < 1) {
    fprintf(stderr, "trn-bench-interp: error: --size must be 512 or 1024 (A, B, C fit in SBUF)\n");
    return 1;
  }
  const trn_target_t *t = trn_isa_target(TRN_TARGET_TRN1);
  trn_rt_model_t *m = build(t, n);
  float *a = malloc((size_t)n * n * 4), *b = malloc((size_t)n * n * 4);
  float *c = malloc((size_t)n * n * 4), *ref = malloc((size_t)n * n * 4);
  if (!a || !b || !c || !ref) return 1;
  uint32_t seed = 1;
  for (size_t i = 0; i < (size_t)n * n; i++) {
    seed = seed * 1664525u + 1013904223u;
    a[i] = (float)(seed >> 9) / 8388608.0f - 1.0f;
    seed = seed * 1664525u + 1013904223u;
    b[i] = (float)(seed >> 9) / 8388608.0f - 1.0f;
  }
  const void *ins[2] = {a, b};
  void *outs[1] = {c};
  double flops = 2.0 * n * n * n, best = INFINITY, full = INFINITY, tiles = INFINITY;
  trn_rt_profile_t prof;
  float *tile = malloc(128 * 512 * 4);
  if (!tile) return 1;
  /* The three measurements interleave within each repetition, so load changes on a
   * shared machine hit them alike; each keeps its best, and each repetition's own
   * ratios give the medians (the best times can come from different moments). */
  double *ratio_full = calloc((size_t)repeat, sizeof(double));
  double *ratio_tiles = calloc((size_t)repeat, sizeof(double));
  if (!ratio_full || !ratio_tiles) return 1;
  for (int r = 0; r < repeat; r++) {
    double interp_dt;
    double t0 = now();
    CHECK(trn_rt_model_run(m, NULL, ins, outs, &prof));
    double dt = now() - t0;
    if (dt < best) best = dt;
    interp_dt = dt;
#ifdef TRN_HAVE_BLAS
    /* A is stored K x M (row k), B is K x N: C = A^T B */
    t0 = now();
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)n, (int)n, (int)n, 1.0f, a, (int)n,
                b, (int)n, 0.0f, ref, (int)n);
    dt = now() - t0;
    if (dt < full) full = dt;
    ratio_full[r] = dt / interp_dt;
    t0 = now();
    for (uint32_t mt = 0; mt < n / 128; mt++)
      for (uint32_t nt = 0; nt < n / 512; nt++)
        for (uint32_t kt = 0; kt < n / 128; kt++)
          cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, 128, 512, 128, 1.0f,
                      a + (size_t)kt * 128 * n + mt * 128, (int)n,
                      b + (size_t)kt * 128 * n + nt * 512, (int)n, kt ? 1.0f : 0.0f, tile, 512);
    dt = now() - t0;
    if (dt < tiles) tiles = dt;
    ratio_tiles[r] = dt / interp_dt;
#else
    (void)interp_dt;
#endif
  }
  free(tile);
  uint64_t ninst = prof.instructions;
  double strict_t0 = now();
  trn_rt_run_options_t strict = {.strict = true};
  CHECK(trn_rt_model_run(m, &strict, ins, outs, &prof));
  double strict_dt = now() - strict_t0;

  printf("trn-bench-interp: %ux%ux%u fp32 GEMM as %u matmuls of 128x128x512, %llu instructions "
         "executed (best of %d)\n",
         n, n, n, (n / 128) * (n / 128) * (n / 512), (unsigned long long)ninst, repeat);
  printf("%-34s %12s %10s\n", "", "wall (ms)", "GFLOP/s");
  printf("%-34s %12.3f %10.2f\n", "interpreter (whole program)", best * 1e3, flops / best * 1e-9);
  printf("%-34s %12.3f %10.2f\n", "interpreter, strict mode (once)", strict_dt * 1e3,
         flops / strict_dt * 1e-9);
#ifdef TRN_HAVE_BLAS
  printf("%-34s %12.3f %10.2f\n", "OpenBLAS sgemm, whole GEMM", full * 1e3, flops / full * 1e-9);
  printf("%-34s %12.3f %10.2f\n", "OpenBLAS sgemm, same 128x128x512", tiles * 1e3,
         flops / tiles * 1e-9);
  printf("ratio interpreter / OpenBLAS whole GEMM: %.2fx; / same tiles: %.2fx (best times)\n",
         full / best, tiles / best);
  printf("ratio interpreter / OpenBLAS whole GEMM: %.2fx; / same tiles: %.2fx (median of the "
         "%d repetitions' ratios; target >= 0.5x)\n",
         median(ratio_full, repeat), median(ratio_tiles, repeat), repeat);
  double maxerr = 0;
  for (size_t i = 0; i < (size_t)n * n; i++) {
    double e = fabs((double)c[i] - ref[i]);
    if (e > maxerr) maxerr = e;
  }
  printf("max |interpreter - sgemm| = %.3g\n", maxerr);
#else
  (void)full;
  (void)tiles;
  printf("(built without OpenBLAS: no sgemm comparison)\n");
#endif
  printf("simulated: %llu PE cycles, %.3f us, PE utilization %.1f%%, %llu DMA bytes\n",
         (unsigned long long)prof.total_cycles, prof.total_seconds * 1e6,
         100.0 * prof.pe_utilization, (unsigned long long)prof.dma_bytes);

  if (gemm_only) goto out;
  const uint32_t count = 200;
  trn_rt_model_t *ew = build_elementwise(t, count);
  double ebest = INFINITY;
  for (int r = 0; r < repeat; r++) {
    double t0 = now();
    CHECK(trn_rt_model_run(ew, NULL, NULL, NULL, &prof));
    double dt = now() - t0;
    if (dt < ebest) ebest = dt;
  }
  double elems = 2.0 * count * 128 * 512;
  printf("elementwise: %u tensor_tensor add + %u activate exp, 128x512 fp32: %.3f ms, %.2f "
         "Gelem/s, %.0f instructions/ms\n",
         count, count, ebest * 1e3, elems / ebest * 1e-9, 2.0 * count / (ebest * 1e3));
  trn_rt_model_destroy(ew);
out:
  free(ratio_full);
  free(ratio_tiles);
  free(a);
  free(b);
  free(c);
  free(ref);
  trn_rt_model_destroy(m);
  return 0;
}
