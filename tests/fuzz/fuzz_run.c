/* libFuzzer target: the .neff loader and the reference interpreter. Any bytes that
 * load must run to a status (success, a trap, a deadlock, a race in strict mode),
 * never a crash, a hang or undefined behaviour.
 *
 * A loaded model runs in strict mode with zero-filled inputs, then in the default mode
 * (the interpreter's shortcuts: fused matmul chains, deferred loads, host threads),
 * which must give the same output bytes when both runs succeed (strict mode found no
 * race, so the result is the program's). Each run stops after TRN_FUZZ_MAX_INSTRUCTIONS
 * instructions and TRN_FUZZ_MAX_ELEMENTS processed elements (trn_rt_run_options_t's
 * max_instructions and max_elements: a valid DMA descriptor with zero steps may move
 * 2^128 elements). A model runs only when its HBM image is at most TRN_FUZZ_MAX_HBM
 * bytes: a .neff may legally address all 16 GiB of HBM, which the run would allocate.
 * Built by tests/fuzz/run.sh with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which
 * makes the loader ignore a checksum mismatch so that mutations reach the deeper
 * checks and the interpreter. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trn/runtime.h"

#define TRN_FUZZ_MAX_INSTRUCTIONS 4096
#define TRN_FUZZ_MAX_ELEMENTS (UINT64_C(1) << 24)
#define TRN_FUZZ_MAX_HBM (UINT64_C(64) << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One run; aborts on a status no input may produce. True when the run succeeded. */
static bool fuzz_run_once(trn_rt_model_t *model, bool strict, void **in, void **out) {
  trn_rt_run_options_t options = {.strict = strict,
                                  .max_instructions = TRN_FUZZ_MAX_INSTRUCTIONS,
                                  .max_elements = TRN_FUZZ_MAX_ELEMENTS};
  trn_rt_profile_t profile;
  trn_status_t status =
      trn_rt_model_run(model, &options, (const void *const *)in, (void *const *)out, &profile);
  if (status) {
    trn_status_code_t code = trn_status_code(status);
    if (!trn_status_message(status)[0] || code == TRN_ERR_INTERNAL || code > TRN_ERR_INTERNAL) {
      fprintf(stderr, "fuzz_run: %s: %s\n", trn_status_code_name(code), trn_status_message(status));
      abort();
    }
    trn_status_free(status);
    return false;
  }
  if (profile.instructions > TRN_FUZZ_MAX_INSTRUCTIONS) abort(); /* the limit was not honoured */
  return true;
}

static void fuzz_run(trn_rt_model_t *model) {
  if (trn_rt_model_hbm_size(model) > TRN_FUZZ_MAX_HBM) return;
  size_t n_in = trn_rt_model_input_count(model), n_out = trn_rt_model_output_count(model);
  uint64_t total = 0;
  for (size_t i = 0; i < n_in; i++) total += trn_rt_model_input(model, i)->bytes;
  for (size_t i = 0; i < n_out; i++) total += trn_rt_model_output(model, i)->bytes;
  if (total > TRN_FUZZ_MAX_HBM) return;
  void **in = calloc(n_in ? n_in : 1, sizeof *in);
  void **out = calloc(n_out ? n_out : 1, sizeof *out);
  if (!in || !out) abort();
  for (size_t i = 0; i < n_in; i++) {
    in[i] = calloc(1, trn_rt_model_input(model, i)->bytes + 1);
    if (!in[i]) abort();
  }
  for (size_t i = 0; i < n_out; i++) {
    out[i] = calloc(1, trn_rt_model_output(model, i)->bytes + 1);
    if (!out[i]) abort();
  }
  bool strict_ok = fuzz_run_once(model, true, in, out);
  void **fast = calloc(n_out ? n_out : 1, sizeof *fast);
  if (!fast) abort();
  for (size_t i = 0; i < n_out; i++) {
    fast[i] = calloc(1, trn_rt_model_output(model, i)->bytes + 1);
    if (!fast[i]) abort();
  }
  bool fast_ok = fuzz_run_once(model, false, in, fast);
  for (size_t i = 0; i < n_out; i++)
    if (strict_ok && fast_ok && memcmp(out[i], fast[i], trn_rt_model_output(model, i)->bytes)) {
      fprintf(stderr, "fuzz_run: output %zu differs between the strict and the default run\n", i);
      abort();
    }
  for (size_t i = 0; i < n_in; i++) free(in[i]);
  for (size_t i = 0; i < n_out; i++) {
    free(out[i]);
    free(fast[i]);
  }
  free(in);
  free(out);
  free(fast);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  trn_rt_model_t *model = NULL;
  trn_status_t status = trn_rt_model_load_memory(data, size, &model);
  if (status) {
    if (model) abort(); /* a failed load must not hand out a model */
    if (!trn_status_message(status)[0]) abort();
    trn_status_free(status);
    return 0;
  }
  fuzz_run(model);
  trn_rt_model_destroy(model);
  return 0;
}
