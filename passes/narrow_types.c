/* trn-narrow-types: the ISA has int32 and fp32 but no int64 or float64 (isa/ISA.md),
 * while ONNX models carry indices, shapes, axes and counts as int64, and the importer
 * keeps DOUBLE graph inputs and outputs as f64 around an f32 body (compiler/README.md).
 * This pass makes the graph-level function compute both in 32 bits, the rule of the
 * ISA path:
 *
 *  - graph inputs and outputs of i64 (ONNX INT64 and UINT64: signless) become i32,
 *    those of f64 become f32, in the .neff signature; a caller converts its data
 *    (trn-run and the ONNX backend runner refuse an integer input outside int32, and
 *    widen the outputs back);
 *  - i64 constants (tosa.const, arith.constant) become i32 when every value fits int32,
 *    otherwise the pass fails with an error naming the constant and the value; f64
 *    constants are rounded to f32;
 *  - every other i64 / f64 value (op results, block arguments of regions) becomes
 *    i32 / f32. Integer arithmetic whose int64 result would leave the int32 range wraps
 *    in 32 bits: the one way the ISA path differs from the model (ONNX models use int64
 *    for indices and shapes, far inside that range).
 *
 * Unsigned-typed ui64 (not produced by the importer) is left alone; the trn-layout
 * check rejects it as before.
 *
 * Algorithm:
 *  1. Walk the function: convert the value attribute of each i64 / f64 constant
 *     (checking the range), then set the type of every result and region block argument
 *     that is i64 / f64 or a tensor of them to the 32-bit form.
 *  2. Rewrite the function's function_type (the arguments were set in step 1).
 */
#include <stdlib.h>

#include "internal.h"

typedef struct narrow_t {
  bool failed;
} narrow_t;

static bool is_i64(MlirType t) {
  return mlirTypeIsAInteger(t) && mlirIntegerTypeGetWidth(t) == 64 && !mlirIntegerTypeIsUnsigned(t);
}

/* The 32-bit form of an i64 or f64 element type; a null type for any other. */
static MlirType narrow_element(MlirType t) {
  MlirContext ctx = mlirTypeGetContext(t);
  if (mlirTypeIsAF64(t)) return mlirF32TypeGet(ctx);
  if (!is_i64(t)) return (MlirType){NULL};
  return mlirIntegerTypeIsSigned(t) ? mlirIntegerTypeSignedGet(ctx, 32) : mlirIntegerTypeGet(ctx, 32);
}

/* The 32-bit form of an i64 / f64 scalar or ranked tensor type; a null type if `t`
 * has neither. */
static MlirType narrow_type(MlirType t) {
  if (!mlirTypeIsARankedTensor(t)) return narrow_element(t);
  MlirType e = narrow_element(mlirShapedTypeGetElementType(t));
  if (mlirTypeIsNull(e)) return e;
  intptr_t rank = mlirShapedTypeGetRank(t);
  int64_t dims[16];
  if (rank > (intptr_t)(sizeof dims / sizeof dims[0])) return (MlirType){NULL};
  for (intptr_t i = 0; i < rank; i++) dims[i] = mlirShapedTypeGetDimSize(t, i);
  return mlirRankedTensorTypeGet(rank, dims, e, mlirRankedTensorTypeGetEncoding(t));
}

static void narrow_value(MlirValue v) {
  MlirType t = narrow_type(mlirValueGetType(v));
  if (!mlirTypeIsNull(t)) mlirValueSetType(v, t);
}

/* Element `i` of an i64 elements attribute (dense, splat or dense_resource). */
static int64_t element_at(MlirAttribute a, intptr_t i) {
  if (mlirAttributeIsADenseResourceElements(a)) return mlirDenseInt64ResourceElementsAttrGetValue(a, i);
  if (mlirDenseElementsAttrIsSplat(a)) return mlirDenseElementsAttrGetInt64SplatValue(a);
  return mlirDenseElementsAttrGetInt64Value(a, i);
}

/* Replaces the i64 `value` attribute of a constant by its i32 form; false (with an
 * error on `op`) if a value does not fit. */
static bool narrow_constant(MlirOperation op) {
  MlirStringRef name = mlirStringRefCreateFromCString("value");
  MlirAttribute a = mlirOperationGetAttributeByName(op, name);
  if (mlirAttributeIsNull(a)) return true;
  MlirType t = mlirAttributeGetType(a);
  MlirType nt = narrow_type(t);
  if (mlirTypeIsNull(nt)) return true;
  bool is_float = mlirTypeIsAF32(narrow_element(mlirTypeIsARankedTensor(t) ? mlirShapedTypeGetElementType(t) : t));
  if (is_float && mlirAttributeIsAFloat(a)) {
    mlirOperationSetAttributeByName(op, name, mlirFloatAttrDoubleGet(mlirOperationGetContext(op), nt,
                                                                     (double)(float)mlirFloatAttrGetValueDouble(a)));
    return true;
  }
  if (mlirAttributeIsAInteger(a)) {
    int64_t v = mlirIntegerAttrGetValueInt(a);
    if (v < INT32_MIN || v > INT32_MAX) {
      trn_ir_error(op, "i64 constant %lld does not fit int32 (the ISA path computes i64 in int32)", (long long)v);
      return false;
    }
    mlirOperationSetAttributeByName(op, name, mlirIntegerAttrGet(nt, v));
    return true;
  }
  if (!mlirTypeIsARankedTensor(t) || !mlirShapedTypeHasStaticShape(t) ||
      !(mlirAttributeIsADenseElements(a) || (!is_float && mlirAttributeIsADenseResourceElements(a)))) {
    trn_ir_error(op, "%s constant of an unsupported attribute kind (the ISA path computes it in 32 bits)",
                 is_float ? "f64" : "i64");
    return false;
  }
  bool splat = mlirAttributeIsADenseElements(a) && mlirDenseElementsAttrIsSplat(a);
  int64_t n = 1;
  for (intptr_t i = 0; i < mlirShapedTypeGetRank(t) && !splat; i++) n *= mlirShapedTypeGetDimSize(t, i);
  if (is_float) {
    float *fb = malloc((size_t)(n ? n : 1) * sizeof *fb);
    if (!fb) {
      trn_ir_error(op, "out of memory narrowing an f64 constant of %lld elements", (long long)n);
      return false;
    }
    for (int64_t i = 0; i < n; i++)
      fb[i] = (float)(splat ? mlirDenseElementsAttrGetDoubleSplatValue(a) : mlirDenseElementsAttrGetDoubleValue(a, i));
    MlirAttribute fa = splat ? mlirDenseElementsAttrFloatSplatGet(nt, fb[0]) : mlirDenseElementsAttrFloatGet(nt, n, fb);
    free(fb);
    mlirOperationSetAttributeByName(op, name, fa);
    return true;
  }
  int32_t *buf = malloc((size_t)(n ? n : 1) * sizeof *buf);
  if (!buf) {
    trn_ir_error(op, "out of memory narrowing an i64 constant of %lld elements", (long long)n);
    return false;
  }
  for (int64_t i = 0; i < n; i++) {
    int64_t v = element_at(a, (intptr_t)i);
    if (v < INT32_MIN || v > INT32_MAX) {
      trn_ir_error(op, "i64 constant: element %lld = %lld does not fit int32 (the ISA path computes i64 in int32)",
                   (long long)i, (long long)v);
      free(buf);
      return false;
    }
    buf[i] = (int32_t)v;
  }
  MlirAttribute na = splat ? mlirDenseElementsAttrInt32SplatGet(nt, buf[0])
                           : mlirDenseElementsAttrInt32Get(nt, (intptr_t)n, buf);
  free(buf);
  mlirOperationSetAttributeByName(op, name, na);
  return true;
}

static MlirWalkResult narrow_op(MlirOperation op, void *user) {
  narrow_t *N = user;
  if ((trn_ir_is(op, "tosa.const") || trn_ir_is(op, "arith.constant")) && !narrow_constant(op)) {
    N->failed = true;
    return MlirWalkResultInterrupt;
  }
  for (intptr_t i = 0; i < mlirOperationGetNumResults(op); i++) narrow_value(mlirOperationGetResult(op, i));
  for (intptr_t r = 0; r < mlirOperationGetNumRegions(op); r++) {
    MlirRegion region = mlirOperationGetRegion(op, r);
    for (MlirBlock b = mlirRegionGetFirstBlock(region); !mlirBlockIsNull(b); b = mlirBlockGetNextInRegion(b))
      for (intptr_t i = 0; i < mlirBlockGetNumArguments(b); i++) narrow_value(mlirBlockGetArgument(b, i));
  }
  return MlirWalkResultAdvance;
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  (void)opts;
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  /* 1. (the walk also visits fn itself, whose region holds the arguments) */
  narrow_t N = {.failed = false};
  mlirOperationWalk(fn, narrow_op, &N, MlirWalkPreOrder);
  if (N.failed) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  /* 2. */
  MlirStringRef ft_name = mlirStringRefCreateFromCString("function_type");
  MlirAttribute ft = mlirOperationGetAttributeByName(fn, ft_name);
  if (mlirAttributeIsNull(ft) || !mlirAttributeIsAType(ft)) return;
  MlirType t = mlirTypeAttrGetValue(ft);
  intptr_t nin = mlirFunctionTypeGetNumInputs(t), nout = mlirFunctionTypeGetNumResults(t);
  MlirType *types = malloc((size_t)(nin + nout + 1) * sizeof *types);
  if (!types) {
    trn_ir_error(fn, "out of memory narrowing the function type");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  for (intptr_t i = 0; i < nin + nout; i++) {
    MlirType x = i < nin ? mlirFunctionTypeGetInput(t, i) : mlirFunctionTypeGetResult(t, i - nin);
    MlirType y = narrow_type(x);
    types[i] = mlirTypeIsNull(y) ? x : y;
  }
  MlirType nt = mlirFunctionTypeGet(mlirOperationGetContext(fn), nin, types, nout, types + nin);
  mlirOperationSetAttributeByName(fn, ft_name, mlirTypeAttrGet(nt));
  free(types);
}

TRN_PASS_DEF kDef = {"TrnNarrowTypes", "trn-narrow-types", "compute i64 / f64 in int32 / fp32 (checked constants)", run};

MlirPass trn_pass_create_narrow_types(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
