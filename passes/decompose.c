/* trn-decompose: rewrites graph-level ops the ISA path has no lowering for into ops it
 * has, so that trn-layout and trn-lower-to-tile see only those. The CPU reference
 * backend keeps the original ops (this pass runs only in the tile stage).
 *
 * tosa.argmax along axis a of x (the first index of the maximum, as TOSA and ONNX
 * say) becomes, with K = dims[a]:
 *     m   = tosa.reduce_max(x) {axis = a}                     (keeps a as size 1)
 *     hit = tosa.equal(x, m)
 *     pos = tosa.select(hit, iota, K)    iota: fp32 constant 0..K-1 along a, size 1 elsewhere
 *     r   = tosa.reduce_min(pos) {axis = a}
 *     y   = tosa.reshape(tosa.cast(r) to the result's integer type) dropping a
 * Positions are exact in fp32 up to 2^24; larger axes are an error naming the op.
 * NaN inputs are not special-cased (a NaN row gives K, where TOSA leaves it open).
 *
 * arith.fptosi (truncation toward zero) becomes tosa.cast (which rounds to nearest
 * even) of x - fmod(x, 1), an integer already:
 *     y = tosa.cast(arith.subf(x, arith.remf(x, 1.0)))
 *
 * Algorithm: walk the function's top-level ops; for each op above, build its
 * replacement before it, replace its uses and erase it.
 */
#include <stdlib.h>

#include "internal.h"

#define DECOMPOSE_MAX_AXIS (INT64_C(1) << 24)

static MlirType tensor_of(uint32_t rank, const int64_t *dims, MlirType elem) {
  return mlirRankedTensorTypeGet((intptr_t)rank, dims, elem, mlirAttributeGetNull());
}

/* Appends `op` before `before` and returns its first result. */
static MlirValue insert(MlirBlock block, MlirOperation before, MlirOperation op) {
  mlirBlockInsertOwnedOperationBefore(block, before, op);
  return mlirOperationGetResult(op, 0);
}

static MlirValue build(MlirBlock block, MlirOperation before, const char *name, MlirType type, size_t n,
                       const MlirValue *operands, size_t nattrs, const MlirNamedAttribute *attrs) {
  MlirLocation loc = mlirOperationGetLocation(before);
  return insert(block, before, trn_ir_op(loc, name, 1, &type, n, operands, nattrs, attrs));
}

static MlirValue constant(MlirBlock block, MlirOperation before, MlirType type, MlirAttribute value) {
  MlirContext ctx = mlirOperationGetContext(before);
  MlirNamedAttribute a = trn_ir_named(ctx, "value", value);
  return build(block, before, "tosa.const", type, 0, NULL, 1, &a);
}

/* Rewrites one tosa.argmax; false (with an error on it) if it cannot. */
static bool decompose_argmax(MlirBlock block, MlirOperation op) {
  MlirContext ctx = mlirOperationGetContext(op);
  MlirValue x = mlirOperationGetOperand(op, 0);
  MlirValue res = mlirOperationGetResult(op, 0);
  MlirType xt = mlirValueGetType(x), rt = mlirValueGetType(res);
  int64_t axis;
  if (!mlirTypeIsARankedTensor(xt) || !mlirShapedTypeHasStaticShape(xt) || !mlirTypeIsARankedTensor(rt) ||
      !trn_ir_get_int(op, "axis", &axis)) {
    trn_ir_error(op, "argmax: needs a static ranked operand and an axis");
    return false;
  }
  uint32_t rank = (uint32_t)mlirShapedTypeGetRank(xt);
  if (rank == 0 || rank > TRN_TILE_MAX_RANK || axis < 0 || axis >= (int64_t)rank) {
    trn_ir_error(op, "argmax: axis %lld of a rank-%u operand", (long long)axis, rank);
    return false;
  }
  int64_t dims[TRN_TILE_MAX_RANK], kdims[TRN_TILE_MAX_RANK], ones[TRN_TILE_MAX_RANK], idims[TRN_TILE_MAX_RANK];
  for (uint32_t d = 0; d < rank; d++) {
    dims[d] = mlirShapedTypeGetDimSize(xt, d);
    kdims[d] = (int64_t)d == axis ? 1 : dims[d];
    ones[d] = 1;
    idims[d] = (int64_t)d == axis ? dims[d] : 1;
  }
  int64_t K = dims[axis];
  if (K > DECOMPOSE_MAX_AXIS) {
    trn_ir_error(op, "argmax: axis of %lld elements (at most 2^24: positions are computed in fp32)", (long long)K);
    return false;
  }
  MlirType elem = mlirShapedTypeGetElementType(xt), f32 = mlirF32TypeGet(ctx);
  MlirType i1 = mlirIntegerTypeGet(ctx, 1), out_elem = mlirShapedTypeGetElementType(rt);
  MlirNamedAttribute ax = trn_ir_named(ctx, "axis", mlirIntegerAttrGet(mlirIntegerTypeGet(ctx, 32), axis));

  float *pos = malloc((size_t)(K ? K : 1) * sizeof *pos);
  if (!pos) {
    trn_ir_error(op, "argmax: out of memory for an iota of %lld elements", (long long)K);
    return false;
  }
  for (int64_t i = 0; i < K; i++) pos[i] = (float)i;
  MlirType iota_t = tensor_of(rank, idims, f32);
  MlirValue iota = constant(block, op, iota_t, mlirDenseElementsAttrFloatGet(iota_t, (intptr_t)K, pos));
  free(pos);
  MlirType none_t = tensor_of(rank, ones, f32);
  MlirValue none = constant(block, op, none_t, mlirDenseElementsAttrFloatSplatGet(none_t, (float)K));

  MlirValue m = build(block, op, "tosa.reduce_max", tensor_of(rank, kdims, elem), 1, &x, 1, &ax);
  MlirValue eq_in[2] = {x, m};
  MlirValue hit = build(block, op, "tosa.equal", tensor_of(rank, dims, i1), 2, eq_in, 0, NULL);
  MlirValue sel_in[3] = {hit, iota, none};
  MlirValue p = build(block, op, "tosa.select", tensor_of(rank, dims, f32), 3, sel_in, 0, NULL);
  MlirValue r = build(block, op, "tosa.reduce_min", tensor_of(rank, kdims, f32), 1, &p, 1, &ax);
  MlirValue c = build(block, op, "tosa.cast", tensor_of(rank, kdims, out_elem), 1, &r, 0, NULL);
  intptr_t orank = mlirShapedTypeGetRank(rt);
  int64_t odims[TRN_TILE_MAX_RANK];
  for (intptr_t d = 0; d < orank && d < TRN_TILE_MAX_RANK; d++) odims[d] = mlirShapedTypeGetDimSize(rt, d);
  MlirNamedAttribute shape = trn_ir_named(ctx, "new_shape", trn_ir_i64_array(ctx, (size_t)orank, odims));
  MlirValue y = build(block, op, "tosa.reshape", rt, 1, &c, 1, &shape);
  mlirValueReplaceAllUsesOfWith(res, y);
  mlirOperationDestroy(op);
  return true;
}

/* Rewrites one arith.fptosi on a static float tensor; other forms are left alone (and
 * rejected by the lowering). */
static void decompose_fptosi(MlirBlock block, MlirOperation op) {
  MlirValue x = mlirOperationGetOperand(op, 0);
  MlirValue res = mlirOperationGetResult(op, 0);
  MlirType xt = mlirValueGetType(x);
  if (!mlirTypeIsARankedTensor(xt) || !mlirShapedTypeHasStaticShape(xt)) return;
  if (!mlirTypeIsAF32(mlirShapedTypeGetElementType(xt))) return;
  MlirValue c1 = constant(block, op, xt, mlirDenseElementsAttrFloatSplatGet(xt, 1.0f));
  MlirValue rem_in[2] = {x, c1};
  MlirValue r = build(block, op, "arith.remf", xt, 2, rem_in, 0, NULL);
  MlirValue sub_in[2] = {x, r};
  MlirValue t = build(block, op, "arith.subf", xt, 2, sub_in, 0, NULL);
  MlirValue y = build(block, op, "tosa.cast", mlirValueGetType(res), 1, &t, 0, NULL);
  mlirValueReplaceAllUsesOfWith(res, y);
  mlirOperationDestroy(op);
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  (void)opts;
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  MlirBlock body = trn_ir_func_body(fn);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);) {
    MlirOperation next = mlirOperationGetNextInBlock(op);
    if (trn_ir_is(op, "tosa.argmax") && !decompose_argmax(body, op)) {
      mlirExternalPassSignalFailure(pass);
      return;
    }
    if (trn_ir_is(op, "arith.fptosi")) decompose_fptosi(body, op);
    op = next;
  }
}

TRN_PASS_DEF kDef = {"TrnDecompose", "trn-decompose", "rewrite ops the ISA path lacks (argmax, fptosi) into ones it has",
                     run};

MlirPass trn_pass_create_decompose(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
