/* trn dialects: trn_tile (tiles in SBUF/PSUM/HBM and engine ops on them) and
 * trn_isa (one op per machine instruction), defined in IRDL (dialects/*.irdl.mlir),
 * embedded in the binary at build time and loaded into a context at run time.
 *
 * This is the only public header of dialects/.
 */
#ifndef TRN_DIALECTS_H
#define TRN_DIALECTS_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Loads trn_tile and trn_isa into `ctx` (which must have the irdl dialect
 * registered). Idempotent per context. Fails, with a diagnostic on the context,
 * only if the embedded IRDL does not parse, which a build test rules out. */
MlirLogicalResult trn_dialects_load(MlirContext ctx);

/* The embedded IRDL source of every trn dialect, for tools that print it. */
const char *trn_dialects_irdl_source(void);

#ifdef __cplusplus
}
#endif
#endif /* TRN_DIALECTS_H */
