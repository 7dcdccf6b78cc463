/* trn_status_t: a heap object {code, message}; NULL is success. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trn/runtime.h"

struct trn_status_s {
  trn_status_code_t code;
  char *message;
};

/* Returned when a status itself cannot be allocated; never freed. */
static const struct trn_status_s trn_status_oom = {
    TRN_ERR_OUT_OF_MEMORY, "out of memory (while reporting an error)"};

trn_status_t trn_status_make(trn_status_code_t code, const char *fmt, ...) {
  if (code == TRN_OK) return NULL;
  struct trn_status_s *status = malloc(sizeof(*status));
  if (!status) return (trn_status_t)&trn_status_oom;
  status->code = code;
  va_list args;
  va_start(args, fmt);
  va_list copy;
  va_copy(copy, args);
  int len = vsnprintf(NULL, 0, fmt, copy);
  va_end(copy);
  if (len < 0) len = 0;
  status->message = malloc((size_t)len + 1);
  if (!status->message) {
    va_end(args);
    free(status);
    return (trn_status_t)&trn_status_oom;
  }
  vsnprintf(status->message, (size_t)len + 1, fmt, args);
  va_end(args);
  return status;
}

trn_status_code_t trn_status_code(trn_status_t status) {
  return status ? status->code : TRN_OK;
}

const char *trn_status_message(trn_status_t status) {
  return status ? status->message : "ok";
}

const char *trn_status_code_name(trn_status_code_t code) {
  switch (code) {
  case TRN_OK: return "ok";
  case TRN_ERR_INVALID_ARGUMENT: return "invalid argument";
  case TRN_ERR_IO: return "i/o error";
  case TRN_ERR_FORMAT: return "format error";
  case TRN_ERR_VERSION: return "unsupported version";
  case TRN_ERR_OUT_OF_MEMORY: return "out of memory";
  case TRN_ERR_EXEC: return "execution trap";
  case TRN_ERR_DEADLOCK: return "deadlock";
  case TRN_ERR_RACE: return "data race";
  case TRN_ERR_UNSUPPORTED: return "unsupported";
  case TRN_ERR_INTERNAL: return "internal error";
  }
  return "unknown status code";
}

void trn_status_free(trn_status_t status) {
  if (!status || status == &trn_status_oom) return;
  free(status->message);
  free(status);
}
