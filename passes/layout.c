/* trn-layout: decides, for every tensor of the graph-level function, where it lives
 * and how it maps onto the 128 partitions.
 *
 * A tensor either stays in HBM (graph inputs, constants and views of them: reshape,
 * transpose; they are loaded with whatever access pattern a consumer asks for, so a
 * transposed weight costs nothing but a strided DMA), or lives on chip with one
 * logical dim on the partitions (`trn.pdim = d` on the op that defines it) and the
 * other dims row-major along the free axis.
 *
 * Algorithm:
 *  1. Check every op of the function has static ranked tensor types of a supported
 *     dtype; an error on the first that has not.
 *  2. Walk the ops in order. tosa.matmul [B,M,K] x [B,K,N] -> [B,M,N] is laid out
 *     feature-major: pdim = 2 (N), so a layer's output is directly the next layer's
 *     moving operand with its contraction axis on partitions, and a bias along N is a
 *     per-partition scalar that folds into the activation that evicts PSUM. If the
 *     result (through element-wise ops and unit reshapes) is the second operand of a
 *     matmul, whose contraction axis is the result's M, or is reduced along its last
 *     dim, pdim = 1 (M) instead, so that it needs no layout change.
 *  3. Element-wise ops take the pdim of their first on-chip operand. If no operand is
 *     on chip, pdim is the outermost dim of size >= partitions, else the largest dim.
 *     Reductions (tosa.reduce_*) keep their operand's pdim (a reduction across
 *     partitions if it is the axis); an HBM operand gets the largest dim off the axis
 *     (a free-axis reduction on the vector engine), a vector its only dim.
 *  4. Reshapes that only insert or remove unit dims carry the pdim over to the dim it
 *     moves to; transposes carry it through the permutation. Other reshapes of on-chip
 *     tensors go through HBM (no pdim).
 *     Convolutions (NHWC) put the channels (dim 3) on partitions; pools too, or the
 *     images (dim 0) when there are more of them (and the operand is not on chip); a pad
 *     follows its operand (or picks a dim like an element-wise op).
 *  5. Constants, graph inputs and their views get no pdim (HBM); so do slices,
 *     reverses and concatenations, which the lowering makes views of HBM.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* pdim of the tensor `v` if an op of this function gave it one, else -1. */
static int value_pdim(MlirValue v) {
  if (!mlirValueIsAOpResult(v)) return -1;
  int64_t p;
  if (!trn_ir_get_int(mlirOpResultGetOwner(v), "trn.pdim", &p)) return -1;
  return (int)p;
}

static bool is_reduce(MlirOperation op) {
  return trn_ir_is(op, "tosa.reduce_sum") || trn_ir_is(op, "tosa.reduce_max") || trn_ir_is(op, "tosa.reduce_min") ||
         trn_ir_is(op, "tosa.reduce_prod");
}

/* True if `v`, through element-wise ops and reshapes (every use followed), is the
 * second operand (B, contracted along its dim 1) of a tosa.matmul or is reduced along
 * its last dim (softmax over the keys of attention scores, say): both want the
 * matmul's M on partitions. */
static bool feeds_stationary_k(MlirValue v, int depth) {
  if (depth > 12) return false;
  for (MlirOpOperand use = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(use); use = mlirOpOperandGetNextUse(use)) {
    MlirOperation u = mlirOpOperandGetOwner(use);
    if (trn_ir_is(u, "tosa.matmul")) {
      if (mlirOpOperandGetOperandNumber(use) == 1) return true;
      continue;
    }
    if (is_reduce(u)) {
      int64_t axis = -1;
      trn_ir_get_int(u, "axis", &axis);
      if (axis >= 0 && axis == mlirShapedTypeGetRank(mlirValueGetType(v)) - 1) return true;
      continue;
    }
    if ((trn_ir_is(u, "tosa.reshape") || trn_ir_is_elementwise(u)) && mlirOperationGetNumResults(u) == 1 &&
        feeds_stationary_k(mlirOperationGetResult(u, 0), depth + 1))
      return true;
  }
  return false;
}

static void set_pdim(MlirOperation op, int pdim) {
  MlirContext ctx = mlirOperationGetContext(op);
  mlirOperationSetAttributeByName(op, mlirStringRefCreateFromCString("trn.pdim"), trn_ir_i64(ctx, pdim));
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  const trn_target_t *target = trn_ir_module_target(module, opts);
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) goto failed;
  MlirBlock body = trn_ir_func_body(fn);

  /* 1. types */
  for (intptr_t i = 0; i < mlirBlockGetNumArguments(body); i++) {
    uint32_t r;
    int64_t d[TRN_TILE_MAX_RANK];
    trn_dtype_t dt;
    if (!trn_ir_tensor_shape(mlirValueGetType(mlirBlockGetArgument(body, i)), &r, d, &dt)) {
      trn_ir_error(fn, "argument %ld: only static ranked tensors of fp32/bf16/fp16/i32/i8/u8 are supported",
                   (long)i);
      goto failed;
    }
  }
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    for (intptr_t i = 0; i < mlirOperationGetNumResults(op); i++) {
      uint32_t r;
      int64_t d[TRN_TILE_MAX_RANK];
      trn_dtype_t dt;
      if (!trn_ir_tensor_shape(mlirValueGetType(mlirOperationGetResult(op, i)), &r, d, &dt)) {
        trn_ir_error(op, "result %ld: only static ranked tensors of fp32/bf16/fp16/i32/i8/u8 are supported",
                     (long)i);
        goto failed;
      }
    }
  }

  /* 2-5. */
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (mlirOperationGetNumResults(op) != 1) continue;
    MlirValue res = mlirOperationGetResult(op, 0);
    uint32_t rank;
    int64_t dims[TRN_TILE_MAX_RANK];
    trn_dtype_t dt;
    trn_ir_tensor_shape(mlirValueGetType(res), &rank, dims, &dt);
    mlirOperationRemoveAttributeByName(op, mlirStringRefCreateFromCString("trn.pdim"));
    if (trn_ir_is(op, "tosa.matmul")) {
      set_pdim(op, feeds_stationary_k(res, 0) ? 1 : 2);
    } else if (trn_ir_is_elementwise(op)) {
      int pdim = -1;
      for (intptr_t i = 0; i < mlirOperationGetNumOperands(op) && pdim < 0; i++)
        pdim = value_pdim(mlirOperationGetOperand(op, i));
      if (pdim < 0) {
        for (uint32_t d = 0; d < rank && pdim < 0; d++)
          if (dims[d] >= (int64_t)target->partitions) pdim = (int)d;
      }
      if (pdim < 0) {
        pdim = 0;
        for (uint32_t d = 1; d < rank; d++)
          if (dims[d] > dims[pdim]) pdim = (int)d;
      }
      set_pdim(op, rank == 0 ? 0 : pdim); /* a scalar: one partition, one element */
    } else if (trn_ir_is(op, "tosa.conv2d") || trn_ir_is(op, "tosa.depthwise_conv2d")) {
      if (rank == 4) set_pdim(op, 3); /* NHWC: channels on partitions (the contraction) */
    } else if (trn_ir_is(op, "tosa.max_pool2d") || trn_ir_is(op, "tosa.avg_pool2d")) {
      /* channels on partitions, or the images when there are more of them */
      int p = value_pdim(mlirOperationGetOperand(op, 0));
      if (p != 0 && p != 3) {
        int64_t pc = dims[3] < (int64_t)target->partitions ? dims[3] : (int64_t)target->partitions;
        int64_t pn = dims[0] < (int64_t)target->partitions ? dims[0] : (int64_t)target->partitions;
        p = pc >= pn ? 3 : 0;
      }
      if (rank == 4) set_pdim(op, p);
    } else if (trn_ir_is(op, "tosa.pad")) {
      int pdim = value_pdim(mlirOperationGetOperand(op, 0));
      if (pdim < 0) {
        for (uint32_t d = 0; d < rank && pdim < 0; d++)
          if (dims[d] >= (int64_t)target->partitions) pdim = (int)d;
      }
      if (pdim < 0) {
        pdim = 0;
        for (uint32_t d = 1; d < rank; d++)
          if (dims[d] > dims[pdim]) pdim = (int)d;
      }
      if (rank) set_pdim(op, pdim);
    } else if (is_reduce(op)) {
      int64_t axis = -1;
      trn_ir_get_int(op, "axis", &axis);
      if (axis < 0 || axis >= (int64_t)rank) continue; /* the lowering reports it */
      int pdim = value_pdim(mlirOperationGetOperand(op, 0));
      /* on partitions already, or a vector: reduced across partitions */
      if (pdim == axis || rank == 1) {
        set_pdim(op, (int)axis);
        continue;
      }
      if (pdim < 0) {
        pdim = -1;
        for (uint32_t d = 0; d < rank; d++)
          if ((int64_t)d != axis && (pdim < 0 || dims[d] > dims[pdim])) pdim = (int)d;
      }
      set_pdim(op, pdim);
    } else if (trn_ir_is(op, "tosa.reshape")) {
      MlirValue in = mlirOperationGetOperand(op, 0);
      int p = value_pdim(in);
      if (p < 0) continue;
      uint32_t sr;
      int64_t sd[TRN_TILE_MAX_RANK];
      trn_ir_tensor_shape(mlirValueGetType(in), &sr, sd, &dt);
      int q = trn_ir_map_unit_reshape(sr, sd, rank, dims, p);
      if (q >= 0) set_pdim(op, q);
    } else if (trn_ir_is(op, "tosa.transpose")) {
      MlirValue in = mlirOperationGetOperand(op, 0);
      int p = value_pdim(in);
      if (p < 0) continue;
      /* perms come from a tosa.const; the lowering checks it, here only map pdim. */
      MlirValue perms = mlirOperationGetOperand(op, 1);
      if (!mlirValueIsAOpResult(perms)) continue;
      MlirAttribute v = mlirOperationGetAttributeByName(mlirOpResultGetOwner(perms),
                                                        mlirStringRefCreateFromCString("value"));
      for (uint32_t d = 0; d < rank; d++) {
        int64_t src;
        if (trn_ir_dense_int_at(v, d, &src) && src == p) set_pdim(op, (int)d);
      }
    }
  }
  return;
failed:
  mlirExternalPassSignalFailure(pass);
}

TRN_PASS_DEF kDef = {"TrnLayout", "trn-layout", "assign each tensor an on-chip layout", run};

MlirPass trn_pass_create_layout(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
