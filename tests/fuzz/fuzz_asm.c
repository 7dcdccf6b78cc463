/* libFuzzer target: the listing assembler (trn-as) must answer any text with a status,
 * never a crash. `.const ... file` lines are skipped: they would read the disk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trn/runtime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  for (size_t i = 0; i + 4 <= size; ++i)
    if (memcmp(data + i, "file", 4) == 0) return 0;
  trn_rt_writer_t *writer = NULL;
  trn_status_t status =
      trn_rt_assemble((const char *)data, size, "fuzz.s", NULL, NULL, false, &writer);
  if (status) {
    if (writer) abort();
    trn_status_free(status);
    return 0;
  }
  void *bytes = NULL;
  size_t len = 0;
  status = trn_rt_writer_write_memory(writer, &bytes, &len);
  if (status) abort(); /* trn_rt_assemble validated the program already */
  trn_rt_model_t *model = NULL;
  status = trn_rt_model_load_memory(bytes, len, &model);
  if (status) abort(); /* the writer's output always loads */
  trn_rt_model_destroy(model);
  free(bytes);
  trn_rt_writer_destroy(writer);
  return 0;
}
