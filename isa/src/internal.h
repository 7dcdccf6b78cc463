/* Internal helpers of the isa/ layer; not part of the public API. */
#ifndef TRN_ISA_INTERNAL_H
#define TRN_ISA_INTERNAL_H

#include <stdarg.h>
#include <stdio.h>

#include "trn/isa.h"

/* Writes a formatted message to msg (if any) and returns -1. */
#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static inline int trn_isa_fail(char *msg, size_t msg_size, const char *fmt, ...) {
  if (msg && msg_size) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, msg_size, fmt, ap);
    va_end(ap);
  }
  return -1;
}

/* Number of defined flag bits; higher bits of trn_inst_t.flags are reserved. */
#define TRN_FLAG_MASK 0x1Fu

#endif /* TRN_ISA_INTERNAL_H */
