/* Loading the IRDL dialects embedded at build time (see CMakeLists.txt). */
#include "trn/dialects.h"

#include "mlir-c/Dialect/IRDL.h"

static const char kIrdlSource[] =
#include "trn_dialects_irdl.inc"
    ;

const char *trn_dialects_irdl_source(void) { return kIrdlSource; }

MlirLogicalResult trn_dialects_load(MlirContext ctx) {
  /* Idempotent: a context that already has the dialects keeps them. */
  MlirDialect tile = mlirContextGetOrLoadDialect(ctx, mlirStringRefCreateFromCString("trn_tile"));
  MlirDialect isa = mlirContextGetOrLoadDialect(ctx, mlirStringRefCreateFromCString("trn_isa"));
  if (!mlirDialectIsNull(tile) && !mlirDialectIsNull(isa)) return mlirLogicalResultSuccess();

  mlirContextGetOrLoadDialect(ctx, mlirStringRefCreateFromCString("irdl"));
  MlirModule module = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kIrdlSource));
  if (mlirModuleIsNull(module)) return mlirLogicalResultFailure();
  MlirLogicalResult result = mlirLoadIRDLDialects(module);
  mlirModuleDestroy(module);
  return result;
}
