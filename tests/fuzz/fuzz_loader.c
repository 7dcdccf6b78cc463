/* libFuzzer target: the .neff loader must answer any bytes with a status, never a
 * crash, a hang, a leak or undefined behaviour. Inputs that load are also printed as a
 * listing (to /dev/null), which walks every decoded field, and run through the listing
 * assembler again, which must accept what the printer wrote.
 *
 * Built by tests/fuzz/run.sh with FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION, which
 * makes the loader ignore a checksum mismatch so that mutations reach the deeper
 * checks. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "trn/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  trn_rt_model_t *model = NULL;
  trn_status_t status = trn_rt_model_load_memory(data, size, &model);
  if (status) {
    if (model) abort(); /* a failed load must not hand out a model */
    if (!trn_status_message(status)[0]) abort();
    trn_status_free(status);
    return 0;
  }
  char *text = NULL;
  size_t len = 0;
  FILE *out = open_memstream(&text, &len);
  if (!out) abort();
  trn_rt_asm_options_t options = {true};
  status = trn_rt_model_print_asm_ex(model, out, &options);
  fclose(out);
  if (status) abort();
  /* What the printer writes, the assembler reads back. */
  trn_rt_writer_t *writer = NULL;
  status = trn_rt_assemble(text, len, "fuzz.s", NULL, NULL, false, &writer);
  if (status) {
    fprintf(stderr, "listing of a loaded model does not assemble: %s\n%s\n",
            trn_status_message(status), text);
    abort();
  }
  trn_rt_writer_destroy(writer);
  free(text);
  trn_rt_model_destroy(model);
  return 0;
}
