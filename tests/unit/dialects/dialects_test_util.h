/* Shared by the dialects unit tests: a context with every upstream dialect and the
 * trn dialects loaded. */
#ifndef TRN_DIALECTS_TEST_UTIL_H
#define TRN_DIALECTS_TEST_UTIL_H

#include <check.h>

#include "mlir-c/IR.h"
#include "mlir-c/RegisterEverything.h"
#include "trn/dialects.h"

static inline MlirContext test_context(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  MlirContext ctx = mlirContextCreate();
  mlirContextAppendDialectRegistry(ctx, registry);
  mlirDialectRegistryDestroy(registry);
  mlirContextLoadAllAvailableDialects(ctx);
  ck_assert(mlirLogicalResultIsSuccess(trn_dialects_load(ctx)));
  return ctx;
}

#endif
