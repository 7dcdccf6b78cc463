/* ONNX operators -> graph-level MLIR (TOSA): the core operators (MatMul, Gemm,
 * Identity) and the list of families. One function per operator and one row per
 * operator in k_core_ops; see import.h for the API the functions use. Add and Relu
 * live in ops_elementwise.c with the rest of their family. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "import.h"

/* The newest default-domain opset whose operators below are known to keep the
 * semantics implemented here. */
#define TRN_ONNX_MAX_OPSET 21

/* Identity: the output is the input value (a small compile-time constant stays one,
 * so that shape inputs read through Identity). */
static trn_status_t import_identity(trn_onnx_node_t *n) {
  const void *data;
  size_t size;
  MlirType type;
  trn_onnx_const_t c;
  if (trn_onnx_input_constant(n, 0, &data, &size, &type) && trn_onnx_input_const(n, 0, "input", &c) &&
      trn_onnx_const_count(&c) <= 4096) {
    trn_onnx_set_output_const(n, 0, &c);
    return NULL;
  }
  trn_onnx_set_output(n, 0, trn_onnx_input(n, 0));
  return NULL;
}

/* tosa.matmul of a [batch, M, K] and b [batch, K, N]. */
static MlirValue matmul3(trn_onnx_node_t *n, MlirValue a, MlirValue b) {
  trn_onnx_shape_t sa = trn_onnx_shape(a), sb = trn_onnx_shape(b);
  trn_onnx_shape_t out = {3, {sa.dims[0], sa.dims[1], sb.dims[2]}};
  MlirValue operands[2] = {a, b};
  return trn_onnx_build(n, "tosa.matmul", operands, 2,
                        trn_onnx_tensor_type(n, &out, trn_onnx_element_type(a)), NULL, 0);
}

/* Numpy matmul of a [..., M, K] and b [..., K, N] (1-D operands promoted and the
 * added axis removed; batch axes broadcast). TOSA's matmul is rank 3: operands are
 * reshaped to [batch, M, K] x [batch, K, N]. When b has no batch, a's batch is
 * folded into M (one matmul against the shared weight); otherwise a batch of 1 is
 * tiled up to the other side's batch. */
static MlirValue matmul_nd(trn_onnx_node_t *n, MlirValue a, MlirValue b) {
  if (trn_onnx_failed(n)) return (MlirValue){NULL};
  trn_onnx_shape_t sa = trn_onnx_shape(a), sb = trn_onnx_shape(b);
  if (sa.rank < 1 || sb.rank < 1) {
    trn_onnx_error(n, TRN_ERR_FORMAT, "MatMul operands must have rank >= 1");
    return (MlirValue){NULL};
  }
  bool a_vec = sa.rank == 1, b_vec = sb.rank == 1;
  if (a_vec) sa = (trn_onnx_shape_t){2, {1, sa.dims[0]}};
  if (b_vec) sb = (trn_onnx_shape_t){2, {sb.dims[0], 1}};
  int64_t m = sa.dims[sa.rank - 2], k = sa.dims[sa.rank - 1];
  int64_t k2 = sb.dims[sb.rank - 2], nn = sb.dims[sb.rank - 1];
  if (k != k2) {
    char s1[128], s2[128];
    trn_onnx_shape_t oa = trn_onnx_shape(a), ob = trn_onnx_shape(b);
    trn_onnx_error(n, TRN_ERR_FORMAT, "inner dimensions differ: %s x %s",
                   trn_onnx_shape_str(&oa, s1, sizeof s1), trn_onnx_shape_str(&ob, s2, sizeof s2));
    return (MlirValue){NULL};
  }
  trn_onnx_shape_t ba = {sa.rank - 2, {0}}, bb = {sb.rank - 2, {0}}, batch;
  memcpy(ba.dims, sa.dims, sizeof(int64_t) * (size_t)ba.rank);
  memcpy(bb.dims, sb.dims, sizeof(int64_t) * (size_t)bb.rank);
  if (!trn_onnx_broadcast(n, &ba, &bb, &batch)) return (MlirValue){NULL};
  if (k == 0) {
    /* An empty inner dimension: every sum is 0. */
    trn_onnx_shape_t out = batch;
    if (!a_vec) out.dims[out.rank++] = m;
    if (!b_vec) out.dims[out.rank++] = nn;
    return trn_onnx_splat(n, &out, trn_onnx_element_type(a), 0.0);
  }
  int64_t nb = trn_onnx_shape_elements(&batch);
  int64_t nba = trn_onnx_shape_elements(&ba), nbb = trn_onnx_shape_elements(&bb);
  MlirValue r;
  if (nbb == 1) {
    /* Shared right operand: fold a's batch into M. */
    trn_onnx_shape_t a3 = {3, {1, nba * m, k}}, b3 = {3, {1, k, nn}};
    r = matmul3(n, trn_onnx_reshape(n, a, &a3), trn_onnx_reshape(n, b, &b3));
  } else {
    /* Bring both operands to the full batch shape, then flatten it. */
    MlirValue ops[2] = {a, b};
    trn_onnx_shape_t shapes[2] = {sa, sb};
    for (int side = 0; side < 2; side++) {
      trn_onnx_shape_t s = shapes[side], full = batch;
      full.dims[full.rank++] = s.dims[s.rank - 2];
      full.dims[full.rank++] = s.dims[s.rank - 1];
      MlirValue v = trn_onnx_reshape(n, ops[side], &s);
      v = trn_onnx_expand_rank(n, v, full.rank);
      trn_onnx_shape_t vs = trn_onnx_shape(v);
      int64_t multiples[TRN_MAX_RANK];
      bool tile = false;
      for (int64_t i = 0; i < full.rank; i++) {
        multiples[i] = vs.rank == full.rank && vs.dims[i] != full.dims[i] ? full.dims[i] : 1;
        tile = tile || multiples[i] != 1;
      }
      if (tile && !trn_onnx_failed(n)) {
        MlirNamedAttribute attr =
            trn_onnx_named(n, "multiples", trn_onnx_i64_array_attr(n, multiples, (size_t)full.rank));
        v = trn_onnx_build(n, "tosa.tile", &v, 1,
                           trn_onnx_tensor_type(n, &full, trn_onnx_element_type(v)), &attr, 1);
      }
      trn_onnx_shape_t s3 = {3, {nb, full.dims[full.rank - 2], full.dims[full.rank - 1]}};
      ops[side] = trn_onnx_reshape(n, v, &s3);
    }
    r = matmul3(n, ops[0], ops[1]);
  }
  trn_onnx_shape_t out = batch;
  if (!a_vec) out.dims[out.rank++] = m;
  if (!b_vec) out.dims[out.rank++] = nn;
  return trn_onnx_reshape(n, r, &out);
}

static trn_status_t import_matmul(trn_onnx_node_t *n) {
  MlirValue a = trn_onnx_input(n, 0), b = trn_onnx_input(n, 1);
  if (!trn_onnx_require_f32(n, a, "input A") || !trn_onnx_require_f32(n, b, "input B")) return NULL;
  trn_onnx_set_output(n, 0, matmul_nd(n, a, b));
  return NULL;
}

/* Gemm: Y = alpha * op(A) op(B) + beta * C, op = transpose when transA/transB. */
static trn_status_t import_gemm(trn_onnx_node_t *n) {
  MlirValue a = trn_onnx_input(n, 0), b = trn_onnx_input(n, 1);
  float alpha = trn_onnx_attr_float(n, "alpha", 1.0f), beta = trn_onnx_attr_float(n, "beta", 1.0f);
  int64_t trans_a = trn_onnx_attr_int(n, "transA", 0), trans_b = trn_onnx_attr_int(n, "transB", 0);
  if (!trn_onnx_require_f32(n, a, "input A") || !trn_onnx_require_f32(n, b, "input B")) return NULL;
  if (trn_onnx_shape(a).rank != 2 || trn_onnx_shape(b).rank != 2)
    return trn_onnx_error(n, TRN_ERR_FORMAT, "A and B must be 2-D");
  static const int64_t k_swap[2] = {1, 0};
  if (trans_a) a = trn_onnx_transpose(n, a, k_swap);
  if (trans_b) b = trn_onnx_transpose(n, b, k_swap);
  MlirValue y = matmul_nd(n, a, b);
  trn_onnx_shape_t one = {2, {1, 1}};
  if (alpha != 1.0f) y = trn_onnx_binary(n, "tosa.mul", y, trn_onnx_splat_f32(n, &one, alpha));
  if (trn_onnx_has_input(n, 2) && beta != 0.0f) {
    MlirValue c = trn_onnx_input(n, 2);
    if (!trn_onnx_require_f32(n, c, "input C")) return NULL;
    if (beta != 1.0f) c = trn_onnx_binary(n, "tosa.mul", c, trn_onnx_splat_f32(n, &one, beta));
    trn_onnx_shape_t sy = trn_onnx_shape(y), out;
    trn_onnx_shape_t sc = trn_onnx_shape(c);
    /* C broadcasts to Y (unidirectionally). */
    if (trn_onnx_broadcast(n, &sy, &sc, &out) && (out.dims[0] != sy.dims[0] || out.dims[1] != sy.dims[1]))
      return trn_onnx_error(n, TRN_ERR_FORMAT, "C does not broadcast to the shape of A*B");
    y = trn_onnx_binary(n, "tosa.add", y, c);
  }
  trn_onnx_set_output(n, 0, y);
  return NULL;
}

static const trn_onnx_op_t k_core_ops[] = {
    {{"", "Gemm", 7, TRN_ONNX_MAX_OPSET, "tosa.transpose, tosa.matmul, tosa.mul, tosa.add"}, import_gemm},
    {{"", "Identity", 1, TRN_ONNX_MAX_OPSET, "forwards its input"}, import_identity},
    {{"", "MatMul", 1, TRN_ONNX_MAX_OPSET, "tosa.reshape to rank 3, tosa.matmul (batched, broadcast)"}, import_matmul},
};
const trn_onnx_op_table_t trn_onnx_core_ops = {k_core_ops, sizeof k_core_ops / sizeof k_core_ops[0]};

/* Every operator family, in --list-ops order. A family is one ops_*.c file with one
 * table; add a new family here and in import.h. */
static const trn_onnx_op_table_t *const k_families[] = {
    &trn_onnx_core_ops,
#define TRN_ONNX_FAMILY(name) &trn_onnx_##name##_ops,
#include "families.def"
};

static const trn_onnx_op_t *op_at(size_t index) {
  for (size_t f = 0; f < sizeof k_families / sizeof k_families[0]; f++) {
    if (index < k_families[f]->count) return &k_families[f]->ops[index];
    index -= k_families[f]->count;
  }
  return NULL;
}

size_t trn_compiler_onnx_op_count(void) {
  size_t count = 0;
  for (size_t f = 0; f < sizeof k_families / sizeof k_families[0]; f++) count += k_families[f]->count;
  return count;
}

const trn_onnx_op_info_t *trn_compiler_onnx_op_at(size_t index) {
  const trn_onnx_op_t *op = op_at(index);
  return op ? &op->info : NULL;
}

static bool same_domain(const char *a, const char *b) {
  if (!a || strcmp(a, "ai.onnx") == 0) a = "";
  if (!b || strcmp(b, "ai.onnx") == 0) b = "";
  return strcmp(a, b) == 0;
}

const trn_onnx_op_t *trn_onnx_op_find(const char *domain, const char *op_type, int64_t opset,
                                      bool *out_known_type) {
  *out_known_type = false;
  for (size_t i = 0, count = trn_compiler_onnx_op_count(); i < count; i++) {
    const trn_onnx_op_t *op = op_at(i);
    if (!same_domain(op->info.domain, domain) || strcmp(op->info.op_type, op_type) != 0) continue;
    *out_known_type = true;
    if (opset >= op->info.min_opset && opset <= op->info.max_opset) return op;
  }
  return NULL;
}
