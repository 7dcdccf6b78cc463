/* trn-lower-to-tile: func + tosa (with trn.pdim layouts from trn-layout) -> trn_tile.
 *
 * Every tosa value becomes, in C, either an HBM view (a buffer plus an offset and a
 * stride per dim: graph inputs, constants, and reshapes/transposes of them, which
 * cost nothing) or an on-chip tensor: a list of tiles, each covering a box of the
 * logical tensor with the value's pdim on partitions and the other dims row-major in
 * the free axis. The new function has no arguments: trn_tile.input/output/const define
 * the HBM buffers.
 *
 * Algorithm:
 *  0. Refuse a graph whose inputs, outputs and constants alone exceed the target's
 *     HBM, before tiling anything.
 *  1. Create the new function; graph arguments become trn_tile.input (named from
 *     trn.name), constants become trn_tile.const on first use (a transpose's perms
 *     never do).
 *  2. Walk the ops in order:
 *     - reshape/transpose of an HBM view: a new view (a reshape that is not one of a
 *       strided view first copies it to a contiguous buffer through SBUF). A reshape
 *       of an on-chip value that only inserts/removes unit dims maps the tile boxes.
 *     - tosa.matmul Y[B,M,N] = A[B,M,K] B[B,K,N] with Y's pdim = 2 (feature-major):
 *       for each batch, N chunk (<= 128, the stationary free size) and M chunk (<= the
 *       moving free maximum, 512): a PSUM tile [N, M] accumulating over K tiles
 *       (<= 128 partitions; the first overwrites, the rest accumulate), stationary =
 *       B tile [K, N], moving = A tile [K, M] (A^T, K on partitions). With pdim = 1 the
 *       roles swap (stationary A^T [K, M<=128], moving B [K, N<=512], PSUM [M, N]).
 *       An operand in HBM is loaded as one panel per chunk: a buffer holding all its K
 *       tiles side by side (trn_tile.view per tile), filled by one DMA per run of
 *       equal tiles (from -O2 a run of at most a few DMA fixed costs' worth of bytes,
 *       so that the first K tiles arrive first). A K tile of an HBM view of a spilled
 *       on-chip value (slices, reshapes, transposes of it: per-head Q, K, V) is read
 *       from the value's tile holding it: a view, or a tensor-engine transpose when
 *       the value has the other dim on partitions. From -O2: the moving operand
 *       stays resident when it is small, else the stationary chunks are taken in
 *       blocks whose panels stay resident
 *       (as many as the -O level's SBUF budget allows) while the moving panels stream
 *       past, once per block; panels are prefetched one step ahead. An on-chip
 *       operand must have tiles with exactly these boxes.
 *       With auto-cast, operands are loaded (DMA converts) or copied as bf16/fp16;
 *       from -O2 an fp32 weight feeding only matmuls is stored as bf16.
 *     - Fusion (from -O1): the single-use chain after the matmul (unit reshapes; an add of a
 *       tensor that varies only along pdim = a per-partition bias; mul by a scalar
 *       constant = scale; relu-clamp, sigmoid, tanh, exp, ... = the function) is folded
 *       into the one ACTIVATE that evicts each PSUM tile to SBUF right after its last
 *       matmul; it writes the auto-cast type directly when the result only feeds
 *       matmuls.
 *     - Other element-wise ops: tile by tile (the tiling of an on-chip operand, else
 *       a default tiling), ACTIVATE for unary functions, TENSOR_TENSOR for binary ops
 *       (an on-chip operand that varies only along pdim within the tile, e.g. a row
 *       maximum per head, is a per-partition [P, 1] tile the engine broadcasts;
 *       another broadcast operand is loaded from HBM with zero strides),
 *       TENSOR_SCALAR for a scalar constant operand or a general
 *       clamp.
 *     - tosa.reduce_* along a free dim: on an on-chip input, per group of its tiles
 *       that differ only along the axis, a TENSOR_REDUCE per tile, the partials
 *       combined on DVE; else per output tile, the input tile holding the whole
 *       axis and one TENSOR_REDUCE; along the partition dim: a PARTITION_REDUCE
 *       per chunk of the axis, the chunks combined on DVE.
 *     - Layout changes: an on-chip operand needed with its other dim on partitions,
 *       in a box that is 2-D (one batch or head), is transposed block by block on
 *       the tensor engine (into PSUM, evicted by ACT); a transpose whose tiles keep
 *       their free order relabels the tiles, and so does a reshape that merges runs
 *       of free dims each tile covers row-major contiguously ([1, C, H, W] ->
 *       [1, C, H*W] before a global average pool); any other change (another tiling, a
 *       broadcast, a transpose or general reshape of an on-chip value) spills the
 *       value once to an HBM scratch buffer and reloads it as needed.
 *     - tosa.conv2d (NHWC): implicit GEMMs, output channels on partitions; per input
 *       channel chunk the padded image in SBUF, per (kh, kw) a matmul of the weight
 *       tile [IC, OC] with a strided window view of the image, accumulated in PSUM and
 *       evicted with the bias and the fusable chain after it. Depthwise convolutions
 *       multiply window views by per-partition weights on DVE. Pools: the padded image
 *       and a copy/max/add per window view on DVE (averages scaled by reciprocal
 *       window sizes). An image that does not fit half of SBUF is processed in bands
 *       of output rows, each loading only the input rows it reads; a banded conv with
 *       few input channels packs its taps on partitions (one matmul per group of
 *       kernel rows; from -O2 a stride-2 one over an HBM image as the stride-1 conv
 *       over its 2x2 space-to-depth image); from -O2 other convs with at most half
 *       the partitions of input channels pair their taps (a second image copy shifted
 *       by one tap); such a stride-1 conv with at most half the PE columns of output
 *       channels whose result feeds only 1x1 convs and tap-pair convs computes two
 *       output rows per matmul on the two column halves (conv2d_split: a row-split
 *       result, even and odd rows on the two partition halves, read by those
 *       consumers only). The image is filled from on-chip tiles by engine copies (a DMA
 *       only where partitions move), only its padding border memset; an unpadded
 *       conv whose windows lie in its input tiles reads them in place. A packed
 *       conv's bands grow from one PSUM block by doubling (the first matmuls wait for
 *       one block's rows; from -O2 its weights and first band load in one DMA round).
 *       A pool that is the only use of an evicted value gets its padded images from
 *       the producer (pool_images): the evictions write into them, no copies. From -O2
 *       weight loads are moved to the previous tensor-engine layer (prefetch_weights).
 *       tosa.pad: tiles set to the pad value, the interior copied in.
 *       Slices and reverses are HBM views, except that a slice of an on-chip value
 *       along its free dims stays on chip (tiles inside it reused, the ones across its
 *       edge copied in part by an engine); concat stores each part into a new HBM
 *       buffer. tosa.gather: per image and channel chunk, the values transposed into
 *       SBUF, the index row broadcast to the partitions, a GpSimd GATHER, the result
 *       stored into a new HBM buffer.
 *     - Results: each gets a trn_tile.output; a tile of a returned value is stored to
 *       it by DMA as soon as it is made (so stores overlap the rest of the program),
 *       other returned values (views, reshapes) at func.return. A value whose tiles
 *       exceed 64 KiB per partition is streamed to an HBM buffer as it is made.
 *  3. Anything else is an error on that op: "no lowering to the ISA for 'op' yet".
 *  3b. Erase the HBM scratch buffers nothing reads (only ever DMA destinations: a
 *     value spilled for views that were all served from its on-chip tiles) and the
 *     stores to them.
 *  4. Replace the old function by the new one.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define R TRN_TILE_MAX_RANK

typedef struct box_t {
  int64_t start[R], size[R];
} box_t;

typedef struct tref_t {
  MlirValue tile;
  box_t box;
  int pdim;
  trn_dtype_t dtype;
} tref_t;

typedef enum vkind_t { V_UNSET = 0, V_HBM, V_CHIP, V_FUSED } vkind_t;

typedef struct val_t {
  vkind_t kind;
  uint32_t rank;
  int64_t dims[R];
  trn_dtype_t dtype;
  /* V_HBM */
  size_t buf;
  int64_t offset, strides[R];
  bool splat; /* a constant with a single value: splat_value */
  double splat_value;
  /* V_CHIP */
  int pdim;
  tref_t *tiles;
  size_t ntiles, cap_tiles;
  bool spilled; /* V_CHIP also stored to an HBM scratch buffer (buf, offset, strides) */
  /* > 0: the tiles are row-split (an NHWC value with channels on partitions, made by
   * conv2d_split): a tile of box rows [r0, r0 + nr) x all columns holds row r0 + 2i + h
   * on partitions [(1 - h) * split, (1 - h) * split + channels) (even rows on the upper
   * half), free elements [i * W, (i + 1) * W) (rows along split_dim, the free dims
   * row-major). Only conv2d_from_split, image_fill (for a tap-pair conv) and
   * transposes relabeling the tiles read such tiles; any other consumer is refused. */
  int64_t split;
  int split_dim; /* the row dim of a row-split value */
  int64_t tile_bytes; /* per partition, of the tiles produced so far */
  /* padded pool images made by the producer (pool_images): 0 not decided yet, 1 none,
   * 2 the value has no tiles, its blocks are in images[n * ceil(C / P) + c / P]
   * [channels of the chunk, (H + pad top + bottom) x (W + pad left + right)] with
   * their padding set (img_pad: top, bottom, left, right); only lower_pool reads them */
  int img_state;
  MlirValue *images;
  int64_t img_pad[4];
  int64_t img_perm[4]; /* dim d of the pooling's operand is dim img_perm[d] of this value */
  /* tiles loaded from this HBM view, reused by later consumers */
  tref_t *cache;
  size_t ncache, cap_cache;
} val_t;

typedef struct hbm_buf_t {
  MlirValue value;       /* null until materialized (constants) */
  MlirAttribute initial; /* constant value */
  MlirLocation loc;
  trn_tile_type_t type;
  bool to_bf16; /* an fp32 constant stored as bf16 (type.dtype): rounded when made */
} hbm_buf_t;

typedef struct lower_t {
  MlirContext ctx;
  const trn_target_t *target;
  const trn_pass_options_t *opts;
  MlirBlock block;
  MlirOperation last_header; /* input/output/const ops go after it */
  MlirOperation cur;         /* the tosa op being lowered (diagnostics) */
  MlirLocation loc;
  val_t *vals;
  size_t nvals, cap_vals;
  trn_ptr_map_t map;
  hbm_buf_t *bufs;
  size_t nbufs, cap_bufs;
  MlirOperation fn, ret;  /* the graph function and its func.return */
  size_t *out_buf;        /* per result: its output buffer + 1, 0 until made */
  bool *out_stored;       /* per result: its tiles were stored as they were made */
  int64_t dma_round;      /* > 0: the `round` of the DMAs emitted now (trn-lower-to-isa) */
  int64_t rounds;         /* rounds handed out so far */
  size_t dmas;            /* trn_tile.dma ops emitted so far */
  bool failed;
} lower_t;

static void store_if_result(lower_t *L, MlirValue v, MlirValue tile, const box_t *box, int pdim);
static bool feeds_only_matmuls(MlirValue v, bool views, int depth);
static trn_dtype_t matmul_dtype(const lower_t *L, trn_dtype_t model);

/* ---- small utilities ---------------------------------------------------------- */

static bool grow(void **p, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap) return true;
  size_t ncap = *cap ? *cap * 2 : 16;
  while (ncap < need) ncap *= 2;
  void *np = realloc(*p, ncap * elem);
  if (!np) return false;
  memset((char *)np + *cap * elem, 0, (ncap - *cap) * elem);
  *p = np;
  *cap = ncap;
  return true;
}

static void fail(lower_t *L, const char *fmt, const char *detail) {
  if (!L->failed) {
    if (detail)
      trn_ir_error(L->cur, fmt, detail);
    else
      trn_ir_error(L->cur, "%s", fmt);
  }
  L->failed = true;
}

static void fail_oom(lower_t *L) { fail(L, "out of memory while lowering", NULL); }

static val_t *new_val(lower_t *L, MlirValue v, size_t *out_index) {
  if (!grow((void **)&L->vals, &L->cap_vals, L->nvals + 1, sizeof(val_t))) {
    fail_oom(L);
    return NULL;
  }
  size_t idx = L->nvals++;
  if (!trn_ptr_map_put(&L->map, v.ptr, idx)) {
    fail_oom(L);
    return NULL;
  }
  if (out_index) *out_index = idx;
  val_t *val = &L->vals[idx];
  memset(val, 0, sizeof *val);
  trn_ir_tensor_shape(mlirValueGetType(v), &val->rank, val->dims, &val->dtype);
  return val;
}

static val_t *get_val(lower_t *L, MlirValue v) {
  size_t idx;
  if (!trn_ptr_map_get(&L->map, v.ptr, &idx)) return NULL;
  return &L->vals[idx];
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

static void row_major(uint32_t rank, const int64_t *dims, int64_t *strides) {
  int64_t s = 1;
  for (int i = (int)rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= dims[i];
  }
}

static int64_t box_free(const box_t *b, uint32_t rank, int pdim) {
  int64_t f = 1;
  for (uint32_t d = 0; d < rank; d++)
    if ((int)d != pdim) f *= b->size[d];
  return f;
}

static bool box_eq(const box_t *a, const box_t *b, uint32_t rank) {
  for (uint32_t d = 0; d < rank; d++)
    if (a->start[d] != b->start[d] || a->size[d] != b->size[d]) return false;
  return true;
}

static bool add_tile(lower_t *L, tref_t **list, size_t *n, size_t *cap, MlirValue tile, const box_t *box, int pdim) {
  if (!grow((void **)list, cap, *n + 1, sizeof(tref_t))) {
    fail_oom(L);
    return false;
  }
  trn_tile_type_t t;
  (*list)[*n].tile = tile;
  (*list)[*n].box = *box;
  (*list)[*n].pdim = pdim;
  (*list)[*n].dtype = trn_dialects_tile_type_read(mlirValueGetType(tile), &t) ? t.dtype : TRN_DTYPE_FP32;
  (*n)++;
  return true;
}

static void free_vals(lower_t *L) {
  for (size_t i = 0; i < L->nvals; i++) {
    free(L->vals[i].tiles);
    free(L->vals[i].cache);
    free(L->vals[i].images);
  }
  free(L->vals);
  free(L->bufs);
  free(L->out_buf);
  free(L->out_stored);
  trn_ptr_map_free(&L->map);
}

/* ---- building trn_tile ops ------------------------------------------------------ */

static void append(lower_t *L, MlirOperation op) { mlirBlockAppendOwnedOperation(L->block, op); }

static void append_header(lower_t *L, MlirOperation op) {
  if (mlirOperationIsNull(L->last_header))
    mlirBlockInsertOwnedOperation(L->block, 0, op);
  else
    mlirBlockInsertOwnedOperationAfter(L->block, L->last_header, op);
  L->last_header = op;
}

static MlirType tile_type(lower_t *L, trn_space_t space, trn_dtype_t dt, uint32_t rank, const int64_t *dims) {
  trn_tile_type_t t = {.rank = rank, .dtype = dt, .space = space};
  memcpy(t.dims, dims, rank * sizeof dims[0]);
  MlirType ty = trn_dialects_tile_type_get(L->ctx, &t);
  if (mlirTypeIsNull(ty)) fail(L, "cannot make a trn_tile type (are the trn dialects loaded?)", NULL);
  return ty;
}

static MlirValue alloc_tile(lower_t *L, trn_space_t space, trn_dtype_t dt, int64_t p, int64_t f) {
  int64_t dims[2] = {p, f};
  MlirType ty = tile_type(L, space, dt, 2, dims);
  if (mlirTypeIsNull(ty)) return (MlirValue){NULL};
  MlirOperation op = trn_ir_op(L->loc, "trn_tile.alloc", 1, &ty, 0, NULL, 0, NULL);
  append(L, op);
  return mlirOperationGetResult(op, 0);
}

/* dst[dst pattern] = src[src pattern]; dims of size 1 are dropped. */
static void emit_dma(lower_t *L, MlirValue src, MlirValue dst, int n, const int64_t *sizes, int64_t soff,
                     const int64_t *ss, int64_t doff, const int64_t *ds) {
  int64_t sz[R + 1], s1[R + 1], d1[R + 1];
  int m = 0;
  for (int i = 0; i < n; i++) {
    if (sizes[i] == 1) continue;
    sz[m] = sizes[i];
    s1[m] = ss[i];
    d1[m] = ds[i];
    m++;
  }
  if (m == 0) {
    sz[0] = 1;
    s1[0] = d1[0] = 1;
    m = 1;
  }
  MlirValue operands[2] = {src, dst};
  MlirNamedAttribute attrs[6] = {
      trn_ir_named(L->ctx, "sizes", trn_ir_i64_array(L->ctx, (size_t)m, sz)),
      trn_ir_named(L->ctx, "src_offset", trn_ir_i64(L->ctx, soff)),
      trn_ir_named(L->ctx, "src_strides", trn_ir_i64_array(L->ctx, (size_t)m, s1)),
      trn_ir_named(L->ctx, "dst_offset", trn_ir_i64(L->ctx, doff)),
      trn_ir_named(L->ctx, "dst_strides", trn_ir_i64_array(L->ctx, (size_t)m, d1)),
      trn_ir_named(L->ctx, "round", trn_ir_i64(L->ctx, L->dma_round)),
  };
  append(L, trn_ir_op(L->loc, "trn_tile.dma", 0, NULL, 2, operands, L->dma_round > 0 ? 6 : 5, attrs));
  L->dmas++;
}

static void emit_matmul(lower_t *L, MlirValue stat, MlirValue mov, MlirValue psum, bool acc) {
  MlirValue operands[3] = {stat, mov, psum};
  MlirNamedAttribute attrs[1] = {trn_ir_named(L->ctx, "accumulate", trn_ir_bool(L->ctx, acc))};
  append(L, trn_ir_op(L->loc, "trn_tile.matmul", 0, NULL, 3, operands, 1, attrs));
}

static void emit_activate(lower_t *L, MlirValue src, MlirValue dst, MlirValue bias, const char *func,
                          double scale, double bias_imm) {
  MlirValue operands[3] = {src, dst, bias};
  MlirNamedAttribute attrs[3] = {
      trn_ir_named(L->ctx, "func", trn_ir_str(L->ctx, func)),
      trn_ir_named(L->ctx, "scale", trn_ir_f32(L->ctx, scale)),
      trn_ir_named(L->ctx, "bias", trn_ir_f32(L->ctx, bias_imm)),
  };
  append(L, trn_ir_op(L->loc, "trn_tile.activate", 0, NULL, mlirValueIsNull(bias) ? 2 : 3, operands, 3, attrs));
}

static void emit_tensor_tensor(lower_t *L, MlirValue a, MlirValue b, MlirValue dst, const char *op) {
  MlirValue operands[3] = {a, b, dst};
  MlirNamedAttribute attrs[1] = {trn_ir_named(L->ctx, "op", trn_ir_str(L->ctx, op))};
  append(L, trn_ir_op(L->loc, "trn_tile.tensor_tensor", 0, NULL, 3, operands, 1, attrs));
}

static void emit_tensor_scalar(lower_t *L, MlirValue src, MlirValue dst, const char *op0, double s0,
                               const char *op1, double s1) {
  MlirValue operands[2] = {src, dst};
  MlirNamedAttribute attrs[4] = {
      trn_ir_named(L->ctx, "op0", trn_ir_str(L->ctx, op0)),
      trn_ir_named(L->ctx, "scalar0", trn_ir_f32(L->ctx, s0)),
      trn_ir_named(L->ctx, "op1", trn_ir_str(L->ctx, op1)),
      trn_ir_named(L->ctx, "scalar1", trn_ir_f32(L->ctx, s1)),
  };
  append(L, trn_ir_op(L->loc, "trn_tile.tensor_scalar", 0, NULL, 2, operands, 4, attrs));
}

/* ---- HBM buffers and views ------------------------------------------------------ */

static size_t new_buf(lower_t *L, MlirValue value, MlirAttribute initial, const val_t *shape) {
  if (!grow((void **)&L->bufs, &L->cap_bufs, L->nbufs + 1, sizeof(hbm_buf_t))) {
    fail_oom(L);
    return 0;
  }
  hbm_buf_t *b = &L->bufs[L->nbufs];
  b->value = value;
  b->initial = initial;
  b->loc = L->loc;
  b->to_bf16 = false;
  b->type.rank = shape->rank ? shape->rank : 1;
  b->type.dtype = shape->dtype;
  b->type.space = TRN_SPACE_HBM;
  for (uint32_t i = 0; i < b->type.rank; i++) b->type.dims[i] = shape->rank ? shape->dims[i] : 1;
  return L->nbufs++;
}

/* The fp32 elements attribute `v` (dense or dense resource, not a splat) of shape
 * `type` rounded to bf16 (nearest even), as a dense elements attribute; null on
 * allocation failure. */
static MlirAttribute bf16_elements(lower_t *L, MlirAttribute v, const trn_tile_type_t *type) {
  int64_t n = 1;
  for (uint32_t i = 0; i < type->rank; i++) n *= type->dims[i];
  uint16_t *raw = malloc((size_t)(n > 0 ? n : 1) * sizeof *raw);
  if (!raw) return (MlirAttribute){NULL};
  bool resource = mlirAttributeIsADenseResourceElements(v);
  for (int64_t i = 0; i < n; i++) {
    float f = resource ? mlirDenseFloatResourceElementsAttrGetValue(v, i) : mlirDenseElementsAttrGetFloatValue(v, i);
    raw[i] = trn_isa_f32_to_bf16(f);
  }
  MlirType ty = mlirRankedTensorTypeGet((intptr_t)type->rank, type->dims, mlirBF16TypeGet(L->ctx),
                                        mlirAttributeGetNull());
  MlirAttribute out = mlirDenseElementsAttrRawBufferGet(ty, (size_t)n * sizeof *raw, raw);
  free(raw);
  return out;
}

/* Stores the constant OHWI weight `w` of a convolution (any view of a constant:
 * the importer transposes OIHW weights) as a new HWIO constant: the output channels,
 * the free axis of the stationary tiles, become contiguous in HBM, so each weight tile
 * row is one run instead of one element per IC * KH * KW stride. The value keeps its
 * logical OHWI dims; its buffer and strides change. */
static void conv_weight_hwio(lower_t *L, size_t wi) {
  val_t *w = &L->vals[wi];
  if (w->kind != V_HBM || w->splat || w->rank != 4 || w->dtype != TRN_DTYPE_FP32 || w->strides[0] == 1)
    return;
  hbm_buf_t *b = &L->bufs[w->buf];
  MlirAttribute v = b->initial;
  bool resource = !mlirAttributeIsNull(v) && mlirAttributeIsADenseResourceElements(v);
  if (mlirAttributeIsNull(v) || (!resource && (!mlirAttributeIsADenseElements(v) ||
                                                mlirDenseElementsAttrIsSplat(v))))
    return;
  bool to_bf16 = b->to_bf16;
  int64_t O = w->dims[0], H = w->dims[1], W = w->dims[2], I = w->dims[3], n = O * H * W * I;
  float *raw = malloc((size_t)(n > 0 ? n : 1) * sizeof *raw);
  if (!raw) {
    fail_oom(L);
    return;
  }
  for (int64_t o = 0; o < O; o++)
    for (int64_t h = 0; h < H; h++)
      for (int64_t x = 0; x < W; x++)
        for (int64_t i = 0; i < I; i++) {
          intptr_t src = (intptr_t)(w->offset + o * w->strides[0] + h * w->strides[1] +
                                    x * w->strides[2] + i * w->strides[3]);
          raw[((h * W + x) * I + i) * O + o] = resource ? mlirDenseFloatResourceElementsAttrGetValue(v, src)
                                                        : mlirDenseElementsAttrGetFloatValue(v, src);
        }
  int64_t dims[4] = {H, W, I, O};
  MlirType ty = mlirRankedTensorTypeGet(4, dims, mlirF32TypeGet(L->ctx), mlirAttributeGetNull());
  MlirAttribute hwio = mlirDenseElementsAttrRawBufferGet(ty, (size_t)n * sizeof *raw, raw);
  free(raw);
  val_t shape = {.rank = 4, .dtype = TRN_DTYPE_FP32};
  memcpy(shape.dims, dims, sizeof dims);
  size_t nb = new_buf(L, (MlirValue){NULL}, hwio, &shape);
  if (L->failed) return;
  if (to_bf16) {
    L->bufs[nb].type.dtype = TRN_DTYPE_BF16;
    L->bufs[nb].to_bf16 = true;
  }
  w = &L->vals[wi];
  w->buf = nb;
  w->offset = 0;
  w->strides[0] = 1;
  w->strides[1] = W * I * O;
  w->strides[2] = I * O;
  w->strides[3] = O;
}

static MlirValue buf_value(lower_t *L, size_t index) {
  hbm_buf_t *b = &L->bufs[index];
  if (!mlirValueIsNull(b->value)) return b->value;
  MlirType ty = tile_type(L, TRN_SPACE_HBM, b->type.dtype, b->type.rank, b->type.dims);
  if (mlirTypeIsNull(ty)) return (MlirValue){NULL};
  if (b->to_bf16) {
    MlirAttribute cast = bf16_elements(L, b->initial, &b->type);
    if (mlirAttributeIsNull(cast)) {
      fail_oom(L);
      return (MlirValue){NULL};
    }
    b = &L->bufs[index];
    b->initial = cast;
    b->to_bf16 = false;
  }
  MlirNamedAttribute attr = trn_ir_named(L->ctx, "value", b->initial);
  MlirOperation op = trn_ir_op(b->loc, "trn_tile.const", 1, &ty, 0, NULL, 1, &attr);
  append_header(L, op);
  b->value = mlirOperationGetResult(op, 0);
  return b->value;
}

/* A DMA between boxes of the HBM view `v` and an on-chip buffer [P, ftotal]:
 * `count` boxes, each `box` shifted by `delta` along dim `gdim` (count 1: one box),
 * box i at free offset `foff + i * box_free` of the buffer (partitions from 0).
 * Dims where the view has size 1 but the box more are broadcast (stride 0). */
static void dma_boxes(lower_t *L, const val_t *v, const box_t *box, int pdim, int64_t count, int gdim,
                      int64_t delta, MlirValue tile, int64_t ftotal, int64_t foff, bool to_hbm) {
  MlirValue hbm = buf_value(L, v->buf);
  if (mlirValueIsNull(hbm)) return;
  int64_t sizes[R + 1], hs[R + 1], ts[R + 1], hoff = v->offset;
  int n = 0;
  int64_t f = box_free(box, v->rank, pdim);
  int64_t fstride[R], s = 1;
  for (int d = (int)v->rank - 1; d >= 0; d--) {
    if (d == pdim) continue;
    fstride[d] = s;
    s *= box->size[d];
  }
  for (uint32_t d = 0; d < v->rank; d++)
    if (v->dims[d] != 1) hoff += box->start[d] * v->strides[d];
  if (count > 1) {
    sizes[n] = count;
    hs[n] = v->dims[gdim] == 1 ? 0 : delta * v->strides[gdim];
    ts[n] = f;
    n++;
  }
  if (v->rank) {
    sizes[n] = box->size[pdim];
    hs[n] = v->dims[pdim] == 1 ? 0 : v->strides[pdim];
    ts[n] = ftotal;
    n++;
  }
  for (uint32_t d = 0; d < v->rank; d++) {
    if ((int)d == pdim) continue;
    sizes[n] = box->size[d];
    hs[n] = v->dims[d] == 1 ? 0 : v->strides[d];
    ts[n] = fstride[d];
    n++;
  }
  if (n == 0) {
    sizes[0] = 1;
    hs[0] = ts[0] = 1;
    n = 1;
  }
  if (to_hbm)
    emit_dma(L, tile, hbm, n, sizes, foff, ts, hoff, hs);
  else
    emit_dma(L, hbm, tile, n, sizes, hoff, hs, foff, ts);
}

static void dma_view_tile(lower_t *L, const val_t *v, const box_t *box, int pdim, MlirValue tile, bool to_hbm) {
  dma_boxes(L, v, box, pdim, 1, 0, 0, tile, box_free(box, v->rank, pdim), 0, to_hbm);
}

static MlirValue emit_view_in(lower_t *L, trn_space_t space, MlirValue buf, trn_dtype_t dt, int64_t po, int64_t fo,
                              int64_t p, int64_t f) {
  int64_t dims[2] = {p, f};
  MlirType ty = tile_type(L, space, dt, 2, dims);
  if (mlirTypeIsNull(ty)) return (MlirValue){NULL};
  MlirNamedAttribute attrs[2] = {
      trn_ir_named(L->ctx, "partition_offset", trn_ir_i64(L->ctx, po)),
      trn_ir_named(L->ctx, "free_offset", trn_ir_i64(L->ctx, fo)),
  };
  MlirOperation op = trn_ir_op(L->loc, "trn_tile.view", 1, &ty, 1, &buf, 2, attrs);
  append(L, op);
  return mlirOperationGetResult(op, 0);
}

static MlirValue emit_view(lower_t *L, MlirValue buf, trn_dtype_t dt, int64_t po, int64_t fo, int64_t p, int64_t f) {
  return emit_view_in(L, TRN_SPACE_SBUF, buf, dt, po, fo, p, f);
}

/* A strided view of an on-chip buffer: partitions [po, po + p), free elements
 * fo + sum_d i_d * steps[d] (i_d < nums[d], innermost first). */
static MlirValue emit_view_strided(lower_t *L, MlirValue buf, trn_dtype_t dt, int64_t po, int64_t fo, int64_t p,
                                   int n, const int64_t *nums, const int64_t *steps) {
  int64_t f = 1, pat[2 * TRN_AP_DIMS];
  int k = 0;
  for (int d = 0; d < n; d++) {
    if (nums[d] == 1) continue;
    f *= nums[d];
    pat[2 * k] = nums[d];
    pat[2 * k + 1] = steps[d];
    k++;
  }
  if (k == 0) {
    pat[0] = 1;
    pat[1] = 1;
    k = 1;
  }
  if (k > TRN_AP_DIMS) {
    fail(L, "a strided view with more than three free dims (internal error)", NULL);
    return (MlirValue){NULL};
  }
  int64_t dims[2] = {p, f};
  trn_tile_type_t bt; /* a view lives in its buffer's space (SBUF or PSUM) */
  trn_space_t space = trn_dialects_tile_type_read(mlirValueGetType(buf), &bt) ? bt.space : TRN_SPACE_SBUF;
  MlirType ty = tile_type(L, space, dt, 2, dims);
  if (mlirTypeIsNull(ty)) return (MlirValue){NULL};
  MlirNamedAttribute attrs[3] = {
      trn_ir_named(L->ctx, "partition_offset", trn_ir_i64(L->ctx, po)),
      trn_ir_named(L->ctx, "free_offset", trn_ir_i64(L->ctx, fo)),
      trn_ir_named(L->ctx, "free_pattern", trn_ir_i64_array(L->ctx, (size_t)(2 * k), pat)),
  };
  MlirOperation op = trn_ir_op(L->loc, "trn_tile.view", 1, &ty, 1, &buf, 3, attrs);
  append(L, op);
  return mlirOperationGetResult(op, 0);
}

static void emit_select(lower_t *L, MlirValue cond, MlirValue src, MlirValue dst, double otherwise) {
  MlirValue operands[3] = {cond, src, dst};
  MlirNamedAttribute attr = trn_ir_named(L->ctx, "otherwise", trn_ir_f32(L->ctx, otherwise));
  append(L, trn_ir_op(L->loc, "trn_tile.select", 0, NULL, 3, operands, 1, &attr));
}

static void emit_memset(lower_t *L, MlirValue dst, double value) {
  MlirNamedAttribute attr = trn_ir_named(L->ctx, "value", trn_ir_f32(L->ctx, value));
  append(L, trn_ir_op(L->loc, "trn_tile.memset", 0, NULL, 1, &dst, 1, &attr));
}

static void emit_copy(lower_t *L, MlirValue src, MlirValue dst) {
  MlirValue operands[2] = {src, dst};
  append(L, trn_ir_op(L->loc, "trn_tile.copy", 0, NULL, 2, operands, 0, NULL));
}

static MlirValue find_tile(const tref_t *list, size_t n, const box_t *box, int pdim, trn_dtype_t dt, uint32_t rank) {
  for (size_t i = 0; i < n; i++)
    if (list[i].pdim == pdim && list[i].dtype == dt && box_eq(&list[i].box, box, rank)) return list[i].tile;
  return (MlirValue){NULL};
}

/* The size limit of one DMA of a panel, in DMA fixed costs of all queues (load_panel). */
#define PANEL_RUN_FIXED_COSTS 5.0

/* Loads boxes[0..n) (pdim on partitions) of the HBM value vals[vi] as `dt` into one
 * SBUF buffer [max partitions, sum of free sizes], with few DMAs (runs of equal
 * boxes evenly spaced along one dim share a DMA, up to a size from -O2), and returns
 * a view per box in out[] (NULL: only cache). With `cache`, the views are remembered
 * for later consumers of the value. */
static void load_panel(lower_t *L, size_t vi, const box_t *boxes, size_t n, int pdim, trn_dtype_t dt, bool cache,
                       MlirValue *out) {
  if (L->failed || n == 0) return;
  val_t *v = &L->vals[vi];
  int64_t maxp = 1, ftot = 0;
  for (size_t i = 0; i < n; i++) {
    int64_t p = v->rank ? boxes[i].size[pdim] : 1;
    if (p > maxp) maxp = p;
    ftot += box_free(&boxes[i], v->rank, pdim);
  }
  if (maxp > (int64_t)L->target->partitions) {
    fail(L, "tile wider than the partitions (internal error)", NULL);
    return;
  }
  MlirValue buf = alloc_tile(L, TRN_SPACE_SBUF, dt, maxp, ftot);
  if (mlirValueIsNull(buf)) return;
  int64_t foff = 0;
  /* From -O2 a run moves at most PANEL_RUN_FIXED_COSTS times what all queues move
   * during a DMA's fixed cost: a larger panel is loaded by several DMAs in tile order,
   * so that its consumers (matmuls over K tiles, in order) start on its first tiles
   * while the rest stream in (a 6 MB weight panel would otherwise arrive whole). */
  const trn_target_t *t = L->target;
  const double max_run =
      L->opts->opt_level >= 2 ? PANEL_RUN_FIXED_COSTS * t->dma_queues * t->dma_queue_gbps * t->dma_fixed_ns : 0;
  for (size_t i = 0; i < n && !L->failed;) {
    /* the run of boxes sharing this DMA */
    size_t j = i + 1;
    int gdim = -1;
    int64_t delta = 0;
    const int64_t tile_bytes =
        box_free(&boxes[i], v->rank, pdim) * (v->rank ? boxes[i].size[pdim] : 1) * (int64_t)trn_isa_dtype_size(dt);
    while (j < n) {
      if (max_run > 0 && (double)(j - i + 1) * (double)tile_bytes > max_run) break;
      int diff = -1, ndiff = 0;
      for (uint32_t d = 0; d < v->rank; d++) {
        if (boxes[j].size[d] != boxes[i].size[d]) ndiff = 99;
        if (boxes[j].start[d] != boxes[j - 1].start[d]) {
          diff = (int)d;
          ndiff++;
        }
      }
      if (ndiff != 1 || (gdim >= 0 && diff != gdim)) break;
      int64_t dd = boxes[j].start[diff] - boxes[j - 1].start[diff];
      if (gdim >= 0 && dd != delta) break;
      gdim = diff;
      delta = dd;
      j++;
    }
    int64_t f = box_free(&boxes[i], v->rank, pdim);
    dma_boxes(L, &L->vals[vi], &boxes[i], pdim, (int64_t)(j - i), gdim < 0 ? 0 : gdim, delta, buf, ftot, foff,
              false);
    for (size_t k = i; k < j; k++) {
      int64_t p = v->rank ? boxes[k].size[pdim] : 1;
      MlirValue view = (n == 1 && p == maxp) ? buf : emit_view(L, buf, dt, 0, foff, p, f);
      if (out) out[k] = view;
      if (cache) {
        v = &L->vals[vi];
        if (!add_tile(L, &v->cache, &v->ncache, &v->cap_cache, view, &boxes[k], pdim)) return;
      }
      foff += f;
    }
    i = j;
  }
}

/* Stores every tile of the on-chip value vals[vi] to an HBM scratch buffer, which
 * then serves any other layout or view of it (the fallback for layout changes). */
static bool spill(lower_t *L, size_t vi) {
  val_t *v = &L->vals[vi];
  if (v->spilled) return true;
  uint32_t rank = v->rank ? v->rank : 1;
  int64_t dims[R] = {1};
  for (uint32_t i = 0; i < v->rank; i++) dims[i] = v->dims[i];
  MlirType ty = tile_type(L, TRN_SPACE_HBM, v->dtype, rank, dims);
  if (mlirTypeIsNull(ty)) return false;
  MlirOperation op = trn_ir_op(L->loc, "trn_tile.alloc", 1, &ty, 0, NULL, 0, NULL);
  append(L, op);
  val_t shape = *v;
  size_t b = new_buf(L, mlirOperationGetResult(op, 0), (MlirAttribute){NULL}, &shape);
  if (L->failed) return false;
  v = &L->vals[vi];
  v->buf = b;
  v->offset = 0;
  row_major(v->rank, v->dims, v->strides);
  v->spilled = true;
  for (size_t t = 0; t < v->ntiles && !L->failed; t++)
    dma_view_tile(L, v, &v->tiles[t].box, v->tiles[t].pdim, v->tiles[t].tile, true);
  return !L->failed;
}

/* True if the only uses of `v` are func.return, directly or through reshapes (its
 * tiles were stored as made). */
static bool only_returned(MlirValue v) {
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation o = mlirOpOperandGetOwner(u);
    if (trn_ir_is(o, "func.return")) continue;
    if (trn_ir_is(o, "tosa.reshape") && only_returned(mlirOperationGetResult(o, 0))) continue;
    return false;
  }
  return true;
}

/* SBUF bytes per partition the tiles of one value may hold before it is streamed to
 * HBM instead (its later tiles are stored as they are made and freed). */
#define STREAM_BYTES (64 * 1024)

/* Adds a tile a lowering produced (box `box`, `pdim` on partitions) to vals[vi], the
 * value `value`: stores it if the function returns the value; once the value's tiles
 * hold more than STREAM_BYTES per partition, the value becomes an HBM buffer and every
 * tile is stored to it as it is made (so that big activations need not fit SBUF),
 * unless the value is only returned. */
static bool produce(lower_t *L, size_t vi, MlirValue value, MlirValue tile, const box_t *box, int pdim) {
  store_if_result(L, value, tile, box, pdim);
  if (L->failed) return false;
  val_t *v = &L->vals[vi];
  if (v->kind == V_HBM) { /* streaming */
    dma_view_tile(L, v, box, pdim, tile, true);
    return !L->failed;
  }
  if (!add_tile(L, &v->tiles, &v->ntiles, &v->cap_tiles, tile, box, pdim)) return false;
  v = &L->vals[vi];
  v->tile_bytes += box_free(box, v->rank, pdim) * (int64_t)trn_isa_dtype_size(v->dtype);
  if (v->tile_bytes > STREAM_BYTES && !only_returned(value)) {
    if (!spill(L, vi)) return false;
    v = &L->vals[vi];
    v->kind = V_HBM;
    v->ntiles = 0;
  }
  return true;
}

/* Whether tile box `b` holds index box->start[d] of every dim d other than p and q,
 * with size 1 there (so that its [p, q] block is 2-D). */
static bool tile_in_plane(const box_t *b, const box_t *box, uint32_t rank, int p, int q) {
  for (uint32_t d = 0; d < rank; d++)
    if ((int)d != p && (int)d != q && (b->start[d] != box->start[d] || b->size[d] != 1)) return false;
  return true;
}

/* Box `box` of the on-chip value vals[vi] with `q` on partitions, made from its tiles
 * (pdim p != q) by tensor-engine transposes of their intersections with the box into
 * one PSUM tile, evicted to SBUF as `dt`. The box is 2-D (size 1 in the dims other
 * than p and q: one head of batched attention probabilities, say), and so are the
 * tiles it takes. A null value (and no error) when this does not apply: the box is
 * not 2-D or is wider than a PSUM bank or the partitions, or the tiles do not cover
 * it. */
static MlirValue transpose_tile(lower_t *L, size_t vi, const box_t *box, int q, trn_dtype_t dt) {
  val_t *v = &L->vals[vi];
  int p = v->pdim;
  if (v->kind != V_CHIP || p == q || v->ntiles == 0) return (MlirValue){NULL};
  for (uint32_t d = 0; d < v->rank; d++) {
    if ((int)d != p && (int)d != q && box->size[d] != 1) return (MlirValue){NULL};
    if (box->start[d] < 0 || box->start[d] + box->size[d] > v->dims[d]) return (MlirValue){NULL}; /* a broadcast */
  }
  int64_t bank = (int64_t)(L->target->psum_partition_bytes / L->target->psum_banks) / 4;
  int64_t rows = box->size[q], cols = box->size[p];
  if (rows > (int64_t)L->target->partitions || rows > (int64_t)L->target->pe_cols || cols > bank)
    return (MlirValue){NULL};
  /* the tiles must cover the box: count covered elements */
  int64_t covered = 0;
  for (size_t t = 0; t < v->ntiles; t++) {
    const box_t *b = &v->tiles[t].box;
    if (v->tiles[t].pdim != p) return (MlirValue){NULL};
    if (!tile_in_plane(b, box, v->rank, p, q)) continue;
    int64_t p0 = b->start[p] > box->start[p] ? b->start[p] : box->start[p];
    int64_t p1 = min64(b->start[p] + b->size[p], box->start[p] + box->size[p]);
    int64_t q0 = b->start[q] > box->start[q] ? b->start[q] : box->start[q];
    int64_t q1 = min64(b->start[q] + b->size[q], box->start[q] + box->size[q]);
    if (p1 > p0 && q1 > q0) covered += (p1 - p0) * (q1 - q0);
  }
  if (covered != rows * cols) return (MlirValue){NULL};
  MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, rows, cols);
  if (mlirValueIsNull(psum)) return psum;
  for (size_t t = 0; t < L->vals[vi].ntiles && !L->failed; t++) {
    tref_t tr = L->vals[vi].tiles[t];
    const box_t *b = &tr.box;
    if (!tile_in_plane(b, box, L->vals[vi].rank, p, q)) continue;
    int64_t p0 = b->start[p] > box->start[p] ? b->start[p] : box->start[p];
    int64_t p1 = min64(b->start[p] + b->size[p], box->start[p] + box->size[p]);
    int64_t q0 = b->start[q] > box->start[q] ? b->start[q] : box->start[q];
    int64_t q1 = min64(b->start[q] + b->size[q], box->start[q] + box->size[q]);
    if (p1 <= p0 || q1 <= q0) continue;
    /* source rows p0..p1 (partitions of the tile), columns q0..q1 (its free axis) */
    MlirValue src = tr.tile;
    if (p0 != b->start[p] || p1 != b->start[p] + b->size[p] || q0 != b->start[q] || q1 != b->start[q] + b->size[q])
      src = emit_view(L, tr.tile, tr.dtype, p0 - b->start[p], q0 - b->start[q], p1 - p0, q1 - q0);
    MlirValue dst = psum;
    if (p1 - p0 != cols || q1 - q0 != rows)
      dst = emit_view_in(L, TRN_SPACE_PSUM, psum, TRN_DTYPE_FP32, q0 - box->start[q], p0 - box->start[p], q1 - q0,
                         p1 - p0);
    MlirValue operands[2] = {src, dst};
    append(L, trn_ir_op(L->loc, "trn_tile.transpose", 0, NULL, 2, operands, 0, NULL));
  }
  MlirValue out = alloc_tile(L, TRN_SPACE_SBUF, dt, rows, cols);
  if (mlirValueIsNull(out)) return out;
  emit_activate(L, psum, out, (MlirValue){NULL}, "copy", 1.0, 0.0);
  v = &L->vals[vi];
  add_tile(L, &v->cache, &v->ncache, &v->cap_cache, out, box, q);
  return out;
}

/* Box `box` (pdim on partitions) of the HBM view vals[vi] read from the on-chip
 * tiles of the value it views, when the view is of the scratch copy of a spilled
 * on-chip value (slices, reshapes and transposes of it, e.g. the per-head Q, K and
 * V of a fused QKV projection) and the box has at most one dim of size > 1 besides
 * pdim: a trn_tile.view of the tile holding it when its pdim is the value's, a
 * transpose on the tensor engine when it is the value's other dim. Null when it is
 * not such a box; the result is cached in the view's tiles. */
static MlirValue chip_alias(lower_t *L, size_t vi, const box_t *box, int pdim, trn_dtype_t dt) {
  const val_t *v = &L->vals[vi];
  MlirValue none = {NULL};
  if (v->kind != V_HBM || v->splat || L->opts->opt_level < 1) return none;
  size_t oi = L->nvals;
  for (size_t i = 0; i < L->nvals; i++)
    if (L->vals[i].kind == V_CHIP && L->vals[i].spilled && L->vals[i].buf == v->buf && i != vi) {
      oi = i;
      break;
    }
  if (oi == L->nvals) return none;
  const val_t *o = &L->vals[oi];
  if (o->dtype != dt || v->dtype != dt || o->offset != 0 || o->ntiles == 0) return none;
  int fd = -1; /* the box's one free dim of size > 1 */
  int64_t e0 = v->offset;
  for (uint32_t d = 0; d < v->rank; d++) {
    if (box->start[d] < 0 || box->start[d] + box->size[d] > v->dims[d]) return none;
    if (v->dims[d] != 1) e0 += box->start[d] * v->strides[d];
    if ((int)d != pdim && box->size[d] > 1) {
      if (fd >= 0) return none;
      fd = (int)d;
    }
  }
  /* the value's coordinates of the box's first element, and the dims the box's
   * pdim and free dim step along (equal strides, within the value's extent) */
  int64_t ostr[R], c[R];
  row_major(o->rank, o->dims, ostr);
  for (uint32_t d = 0; d < o->rank; d++) c[d] = ostr[d] ? (e0 / ostr[d]) % o->dims[d] : 0;
  int op = -1, of = -1;
  for (uint32_t d = 0; d < o->rank; d++) {
    if (o->dims[d] == 1) continue;
    if (box->size[pdim] > 1 && ostr[d] == v->strides[pdim] && c[d] + box->size[pdim] <= o->dims[d]) op = (int)d;
    if (fd >= 0 && ostr[d] == v->strides[fd] && c[d] + box->size[fd] <= o->dims[d]) of = (int)d;
  }
  if (box->size[pdim] > 1 && op < 0) return none;
  if (fd >= 0 && (of < 0 || of == op)) return none;
  box_t ob;
  for (uint32_t d = 0; d < o->rank; d++) ob.start[d] = c[d], ob.size[d] = 1;
  if (op >= 0) ob.size[op] = box->size[pdim];
  if (of >= 0) ob.size[of] = box->size[fd];
  int q = op >= 0 ? op : o->pdim; /* the value's dim to put on partitions */
  bool transposed = q != o->pdim;
  if (transposed && of != o->pdim) return none;
  /* the tile holding the box; the box must be contiguous in its free layout */
  const tref_t *t = NULL;
  for (size_t i = 0; i < o->ntiles && !t; i++) {
    const tref_t *ti = &o->tiles[i];
    if (ti->pdim != o->pdim || ti->dtype != dt) continue;
    bool in = true;
    for (uint32_t d = 0; d < o->rank && in; d++)
      in = ti->box.start[d] <= ob.start[d] && ob.start[d] + ob.size[d] <= ti->box.start[d] + ti->box.size[d];
    if (in) t = ti;
  }
  if (!t) return none;
  int freedim = transposed ? op : of; /* the value's free dim the box spans */
  int64_t fo = 0, fs = 1, tfs[R];
  for (int d = (int)o->rank - 1; d >= 0; d--) {
    if (d == o->pdim) continue;
    tfs[d] = fs;
    fs *= t->box.size[d];
    fo += (ob.start[d] - t->box.start[d]) * tfs[d];
    if (freedim >= 0 && d > freedim && t->box.size[d] != 1) return none;
  }
  int64_t rows = ob.size[o->pdim], cols = freedim >= 0 ? ob.size[freedim] : 1;
  MlirValue src = emit_view(L, t->tile, dt, ob.start[o->pdim] - t->box.start[o->pdim], fo, rows, cols);
  if (mlirValueIsNull(src)) return none;
  MlirValue out = src;
  if (transposed) {
    int64_t bank = (int64_t)(L->target->psum_partition_bytes / L->target->psum_banks) / 4;
    if (cols > (int64_t)L->target->partitions || cols > (int64_t)L->target->pe_cols || rows > bank) return none;
    MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, cols, rows);
    if (mlirValueIsNull(psum)) return none;
    MlirValue operands[2] = {src, psum};
    append(L, trn_ir_op(L->loc, "trn_tile.transpose", 0, NULL, 2, operands, 0, NULL));
    out = alloc_tile(L, TRN_SPACE_SBUF, dt, cols, rows);
    if (mlirValueIsNull(out)) return none;
    emit_activate(L, psum, out, (MlirValue){NULL}, "copy", 1.0, 0.0);
  }
  val_t *vv = &L->vals[vi];
  add_tile(L, &vv->cache, &vv->ncache, &vv->cap_cache, out, box, pdim);
  return out;
}

/* The SBUF tile holding box `box` of `v` with `pdim` on partitions, as `dt`: an
 * existing on-chip tile with exactly that box (converted by a copy if its dtype
 * differs), or a load from HBM. Both are cached. */
static MlirValue get_tile(lower_t *L, val_t *v, const box_t *box, int pdim, trn_dtype_t dt) {
  if (L->failed) return (MlirValue){NULL};
  size_t vi = (size_t)(v - L->vals);
  MlirValue t = find_tile(v->cache, v->ncache, box, pdim, dt, v->rank);
  if (!mlirValueIsNull(t)) return t;
  if (v->kind == V_CHIP) {
    t = find_tile(v->tiles, v->ntiles, box, pdim, dt, v->rank);
    if (!mlirValueIsNull(t)) return t;
    for (size_t i = 0; i < v->ntiles; i++) {
      if (v->tiles[i].pdim != pdim || !box_eq(&v->tiles[i].box, box, v->rank)) continue;
      MlirValue src = v->tiles[i].tile;
      MlirValue dst = alloc_tile(L, TRN_SPACE_SBUF, dt, box->size[pdim], box_free(box, v->rank, pdim));
      if (mlirValueIsNull(dst)) return dst;
      MlirValue operands[2] = {src, dst};
      append(L, trn_ir_op(L->loc, "trn_tile.copy", 0, NULL, 2, operands, 0, NULL));
      v = &L->vals[vi];
      add_tile(L, &v->cache, &v->ncache, &v->cap_cache, dst, box, pdim);
      return dst;
    }
    /* Another layout: transposed on the tensor engine if the tensor is 2-D, else
     * through HBM. */
    MlirValue tt = transpose_tile(L, vi, box, pdim, dt);
    if (!mlirValueIsNull(tt) || L->failed) return tt;
    if (!spill(L, vi)) return (MlirValue){NULL};
    v = &L->vals[vi];
  } else if (v->kind != V_HBM) {
    fail(L, "operand has no value (internal error)", NULL);
    return (MlirValue){NULL};
  } else {
    t = chip_alias(L, vi, box, pdim, dt);
    if (!mlirValueIsNull(t) || L->failed) return t;
  }
  MlirValue out = {NULL};
  load_panel(L, vi, box, 1, pdim, dt, true, &out);
  return out;
}

/* Default tiling of a shape with `pdim` on partitions: pdim in chunks of the
 * partition count; the free dims, from the innermost out, whole while the free size
 * stays <= fmax, the next one chunked, the outer ones one index at a time. */
static size_t default_boxes(const lower_t *L, uint32_t rank, const int64_t *dims, int pdim, int64_t fmax,
                            box_t **out) {
  for (uint32_t d = 0; d < rank; d++) {
    if (dims[d] <= 0) { /* an empty tensor: no tiles */
      *out = calloc(1, sizeof **out);
      return 0;
    }
  }
  int64_t chunk[R] = {0};
  int64_t prod = 1;
  bool split = false;
  for (int d = (int)rank - 1; d >= 0; d--) {
    if (d == pdim) {
      chunk[d] = L->target->partitions;
      continue;
    }
    if (split) {
      chunk[d] = 1;
    } else if (prod * dims[d] <= fmax) {
      chunk[d] = dims[d];
      prod *= dims[d];
    } else {
      chunk[d] = fmax / prod > 0 ? fmax / prod : 1;
      split = true;
    }
  }
  size_t count = 1;
  int64_t nchunks[R];
  for (uint32_t d = 0; d < rank; d++) {
    nchunks[d] = (dims[d] + chunk[d] - 1) / chunk[d];
    count *= (size_t)nchunks[d];
  }
  box_t *boxes = calloc(count ? count : 1, sizeof *boxes);
  if (!boxes) return 0;
  for (size_t i = 0; i < count; i++) {
    for (int d = 0; d < R; d++) boxes[i].size[d] = 1; /* dims beyond the rank */
    size_t rem = i;
    for (int d = (int)rank - 1; d >= 0; d--) {
      int64_t c = (int64_t)(rem % (size_t)nchunks[d]);
      rem /= (size_t)nchunks[d];
      boxes[i].start[d] = c * chunk[d];
      boxes[i].size[d] = min64(chunk[d], dims[d] - c * chunk[d]);
    }
  }
  *out = boxes;
  return count;
}

/* ---- op lowering ----------------------------------------------------------------- */

static bool is_unit_reshape(const val_t *in, const val_t *out, int *out_pdim) {
  int q = trn_ir_map_unit_reshape(in->rank, in->dims, out->rank, out->dims, in->pdim);
  if (q < 0) return false;
  if (out_pdim) *out_pdim = q;
  return true;
}

/* Maps a box through a unit-dim reshape (in -> out shapes). */
static box_t map_box(const val_t *in, const val_t *out, const box_t *b) {
  box_t r;
  uint32_t j = 0;
  for (uint32_t d = 0; d < out->rank; d++) {
    r.start[d] = 0;
    r.size[d] = 1;
  }
  for (uint32_t d = 0; d < in->rank; d++) {
    if (in->dims[d] == 1) continue;
    while (j < out->rank && out->dims[j] == 1) j++;
    if (j < out->rank) {
      r.start[j] = b->start[d];
      r.size[j] = b->size[d];
      j++;
    }
  }
  return r;
}

static bool same_nonunit_dims(const val_t *a, const val_t *b) {
  uint32_t i = 0, j = 0;
  for (;;) {
    while (i < a->rank && a->dims[i] == 1) i++;
    while (j < b->rank && b->dims[j] == 1) j++;
    if (i == a->rank || j == b->rank) return i == a->rank && j == b->rank;
    if (a->dims[i++] != b->dims[j++]) return false;
  }
}

/* Copies the HBM view vals[vi] into a new contiguous HBM buffer through SBUF (a
 * default tiling loaded and spilled); *out_copy is the index of the on-chip copy,
 * whose buf/strides describe the new buffer. */
static bool materialize(lower_t *L, size_t vi, size_t *out_copy) {
  val_t shape = L->vals[vi];
  int pd = 0;
  for (uint32_t d = 0; d < shape.rank; d++)
    if (shape.dims[d] > shape.dims[pd]) pd = (int)d;
  box_t *boxes = NULL;
  size_t nb = default_boxes(L, shape.rank, shape.dims, pd, 8192 / (int64_t)trn_isa_dtype_size(shape.dtype), &boxes);
  if (!boxes) {
    fail_oom(L);
    return false;
  }
  if (!grow((void **)&L->vals, &L->cap_vals, L->nvals + 1, sizeof(val_t))) {
    free(boxes);
    fail_oom(L);
    return false;
  }
  size_t ci = L->nvals++; /* not in the value map: an internal temporary */
  val_t *c = &L->vals[ci];
  memset(c, 0, sizeof *c);
  c->kind = V_CHIP;
  c->rank = shape.rank;
  memcpy(c->dims, shape.dims, sizeof c->dims);
  c->dtype = shape.dtype;
  c->pdim = pd;
  for (size_t t = 0; t < nb && !L->failed; t++) {
    MlirValue tile = get_tile(L, &L->vals[vi], &boxes[t], pd, shape.dtype);
    c = &L->vals[ci];
    if (!L->failed) add_tile(L, &c->tiles, &c->ntiles, &c->cap_tiles, tile, &boxes[t], pd);
  }
  free(boxes);
  if (L->failed || !spill(L, ci)) return false;
  *out_copy = ci;
  return true;
}

/* Box `b` of a transpose's operand seen in its result (result dim d is operand dim
 * perm[d]). */
static box_t permute_box(const box_t *b, const int64_t *perm, uint32_t rank) {
  box_t r = {{0}, {0}};
  for (uint32_t d = 0; d < rank; d++) {
    r.start[d] = b->start[perm[d]];
    r.size[d] = b->size[perm[d]];
  }
  return r;
}

/* A reshape of an on-chip value that only merges runs of consecutive dims (unit dims
 * anywhere), e.g. [1, C, H, W] -> [1, C, H*W], kept on chip: the partition dim must
 * stay a dim of its own, and every tile must cover, within each merged run, a
 * row-major contiguous range (the run's inner dims whole, its outer dims single); a
 * tile's free layout (row-major over its non-partition dims) is then already the
 * layout of the merged box, so the result reuses the operand's tiles. False, with
 * nothing emitted, otherwise (the caller spills). */
static bool merge_reshape_on_chip(lower_t *L, size_t ii, size_t oi) {
  const val_t *in = &L->vals[ii], *out = &L->vals[oi];
  const int P = in->pdim;
  int gs[R], ge[R], q = -1;
  uint32_t i = 0;
  for (uint32_t j = 0; j < out->rank; j++) {
    gs[j] = ge[j] = (int)i;
    if (out->dims[j] == 1) continue;
    int64_t p = 1;
    while (i < in->rank && p < out->dims[j]) p *= in->dims[i++];
    if (p != out->dims[j]) return false; /* a split, not a merge */
    ge[j] = (int)i;
    if (P >= gs[j] && P < ge[j]) {
      if (in->dims[P] != out->dims[j]) return false; /* partitions merged with free dims */
      q = (int)j;
    }
  }
  for (; i < in->rank; i++)
    if (in->dims[i] != 1) return false;
  if (q < 0 || in->ntiles == 0) return false;
  box_t *boxes = malloc(in->ntiles * sizeof *boxes);
  if (!boxes) {
    fail_oom(L);
    return true;
  }
  for (size_t t = 0; t < in->ntiles; t++) {
    const box_t *b = &in->tiles[t].box;
    if (in->tiles[t].pdim != P) goto fail;
    for (uint32_t j = 0; j < out->rank; j++) {
      int k = gs[j]; /* the innermost dim of the run the tile does not cover whole */
      for (int d = ge[j] - 1; d >= gs[j]; d--)
        if (b->size[d] != in->dims[d]) {
          k = d;
          break;
        }
      int64_t start = 0, inner = 1;
      for (int d = ge[j] - 1; d >= gs[j]; d--) {
        if (d < k && b->size[d] != 1) goto fail;
        start += b->start[d] * inner;
        if (d > k) inner *= in->dims[d];
      }
      boxes[t].start[j] = start;
      boxes[t].size[j] = ge[j] > gs[j] ? b->size[k] * inner : 1;
    }
  }
  for (size_t t = 0; t < L->vals[ii].ntiles; t++) {
    val_t *o = &L->vals[oi];
    if (!add_tile(L, &o->tiles, &o->ntiles, &o->cap_tiles, L->vals[ii].tiles[t].tile, &boxes[t], q)) break;
  }
  L->vals[oi].kind = V_CHIP;
  L->vals[oi].pdim = q;
  free(boxes);
  return true;
fail:
  free(boxes);
  return false;
}

static void lower_reshape(lower_t *L, MlirOperation op) {
  size_t oi;
  val_t *out = new_val(L, mlirOperationGetResult(op, 0), &oi);
  if (!out) return;
  val_t *in = get_val(L, mlirOperationGetOperand(op, 0)); /* after new_val, which may move the array */
  if (!in) {
    fail(L, "operand of reshape has no value (internal error)", NULL);
    return;
  }
  if (in->kind == V_HBM) {
    int64_t rm[R] = {0};
    row_major(in->rank, in->dims, rm);
    bool contiguous = true;
    for (uint32_t d = 0; d < in->rank; d++)
      if (in->dims[d] != 1 && in->strides[d] != rm[d]) contiguous = false;
    out->kind = V_HBM;
    out->buf = in->buf;
    out->offset = in->offset;
    out->splat = in->splat;
    out->splat_value = in->splat_value;
    if (contiguous) {
      row_major(out->rank, out->dims, out->strides);
      return;
    }
    /* a non-contiguous view: only unit-dim changes keep it a view; otherwise copy
     * it to a contiguous HBM buffer through SBUF first */
    if (!same_nonunit_dims(in, out)) {
      size_t ii = (size_t)(in - L->vals), copy;
      if (!materialize(L, ii, &copy)) return;
      out = &L->vals[oi];
      out->buf = L->vals[copy].buf;
      out->offset = 0;
      row_major(out->rank, out->dims, out->strides);
      return;
    }
    uint32_t j = 0;
    for (uint32_t d = 0; d < out->rank; d++) out->strides[d] = 0;
    for (uint32_t d = 0; d < in->rank; d++) {
      if (in->dims[d] == 1) continue;
      while (j < out->rank && out->dims[j] == 1) j++;
      if (j < out->rank) out->strides[j++] = in->strides[d];
    }
    return;
  }
  if (in->kind != V_CHIP) {
    fail(L, "operand of reshape has no value (internal error)", NULL);
    return;
  }
  int q;
  if (!is_unit_reshape(in, out, &q)) {
    size_t ii = (size_t)(in - L->vals);
    if (merge_reshape_on_chip(L, ii, oi)) return;
    /* through HBM: a contiguous view of the spilled tensor */
    if (!spill(L, ii)) return;
    out = &L->vals[oi];
    out->kind = V_HBM;
    out->buf = L->vals[ii].buf;
    out->offset = 0;
    row_major(out->rank, out->dims, out->strides);
    return;
  }
  out->kind = V_CHIP;
  out->pdim = q;
  for (size_t i = 0; i < in->ntiles; i++) {
    box_t b = map_box(in, out, &in->tiles[i].box);
    if (!add_tile(L, &out->tiles, &out->ntiles, &out->cap_tiles, in->tiles[i].tile, &b, q)) return;
  }
}

static bool perms_of(MlirOperation op, uint32_t rank, int64_t *perm) {
  MlirValue p = mlirOperationGetOperand(op, 1);
  if (!mlirValueIsAOpResult(p)) return false;
  MlirAttribute v = mlirOperationGetAttributeByName(mlirOpResultGetOwner(p), mlirStringRefCreateFromCString("value"));
  for (uint32_t d = 0; d < rank; d++)
    if (!trn_ir_dense_int_at(v, d, &perm[d]) || perm[d] < 0 || perm[d] >= (int64_t)rank) return false;
  return true;
}

static void lower_transpose(lower_t *L, MlirOperation op) {
  size_t oi;
  val_t *out = new_val(L, mlirOperationGetResult(op, 0), &oi);
  if (!out) return;
  val_t *in = get_val(L, mlirOperationGetOperand(op, 0));
  int64_t perm[R];
  if (!in) {
    fail(L, "operand of transpose has no value (internal error)", NULL);
    return;
  }
  if (!perms_of(op, out->rank, perm)) {
    fail(L, "tosa.transpose needs constant perms", NULL);
    return;
  }
  if (in->kind == V_CHIP) {
    /* Free when in every tile the dims off the partitions that it spans (size > 1)
     * keep their order: the tiles are the same, their boxes permuted (NHWC <-> NCHW
     * around convolutions; heads and tokens of per-head attention tiles). */
    size_t ii = (size_t)(in - L->vals);
    int q = -1;
    bool keeps = true;
    for (uint32_t d = 0; d < out->rank; d++)
      if (perm[d] == in->pdim) q = (int)d;
    for (size_t t = 0; t < in->ntiles && keeps; t++) {
      int64_t last = -1;
      for (uint32_t d = 0; d < out->rank; d++) {
        if (perm[d] == in->pdim || in->tiles[t].box.size[perm[d]] == 1) continue;
        if (perm[d] < last) keeps = false;
        last = perm[d];
      }
    }
    if (keeps && q >= 0) {
      out->kind = V_CHIP;
      out->pdim = q;
      if (L->vals[ii].img_state == 2) { /* the images move on (see pool_images) */
        out->img_state = 2;
        out->images = L->vals[ii].images;
        L->vals[ii].images = NULL;
        L->vals[ii].img_state = 1;
        memcpy(out->img_pad, L->vals[ii].img_pad, sizeof out->img_pad);
        for (uint32_t d = 0; d < 4; d++)
          for (uint32_t f = 0; f < 4; f++)
            if (perm[f] == L->vals[ii].img_perm[d]) out->img_perm[d] = f;
      }
      out->split = L->vals[ii].split;
      for (uint32_t d = 0; d < out->rank; d++)
        if (perm[d] == L->vals[ii].split_dim) out->split_dim = (int)d;
      for (size_t t = 0; t < L->vals[ii].ntiles && !L->failed; t++) {
        tref_t tr = L->vals[ii].tiles[t];
        box_t b = permute_box(&tr.box, perm, out->rank);
        out = &L->vals[oi];
        add_tile(L, &out->tiles, &out->ntiles, &out->cap_tiles, tr.tile, &b, q);
      }
      return;
    }
    if (L->vals[ii].split) {
      fail(L, "a row-split convolution result feeds a transpose that cannot relabel it (internal error)", NULL);
      return;
    }
    if (!spill(L, ii)) return;
    in = &L->vals[ii];
    out = &L->vals[oi];
  } else if (in->kind != V_HBM) {
    fail(L, "operand of transpose has no value (internal error)", NULL);
    return;
  }
  out->kind = V_HBM;
  out->buf = in->buf;
  out->offset = in->offset;
  for (uint32_t d = 0; d < out->rank; d++) out->strides[d] = in->strides[perm[d]];
}

static void lower_const(lower_t *L, MlirOperation op) {
  size_t oi;
  val_t *out = new_val(L, mlirOperationGetResult(op, 0), &oi);
  if (!out) return;
  MlirAttribute value = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value"));
  if (mlirAttributeIsNull(value)) {
    fail(L, "constant without a value", NULL);
    return;
  }
  out->kind = V_HBM;
  row_major(out->rank, out->dims, out->strides);
  out->splat = trn_ir_dense_splat_f64(value, &out->splat_value);
  size_t b = new_buf(L, (MlirValue){NULL}, value, out);
  if (L->failed) return;
  L->vals[oi].buf = b;
  /* From -O2, an fp32 weight that only feeds matmuls computed in bf16 (auto-cast) is
   * stored as bf16: half the HBM traffic and .neff bytes, the same values the DMA
   * would round to. */
  out = &L->vals[oi];
  bool elements = mlirAttributeIsADenseResourceElements(value) ||
                  (mlirAttributeIsADenseElements(value) && !mlirDenseElementsAttrIsSplat(value));
  if (L->opts->opt_level >= 2 && elements && !out->splat && out->dtype == TRN_DTYPE_FP32 &&
      matmul_dtype(L, TRN_DTYPE_FP32) == TRN_DTYPE_BF16 &&
      feeds_only_matmuls(mlirOperationGetResult(op, 0), true, 0)) {
    L->bufs[b].type.dtype = TRN_DTYPE_BF16;
    L->bufs[b].to_bf16 = true;
  }
}

/* The value of `v` if it is (or can be made now) an HBM value: constants and
 * reshapes/transposes of HBM values are side-effect-free views, so lowering them
 * ahead of program order is safe. NULL otherwise. */
static val_t *ensure_hbm_val(lower_t *L, MlirValue v, int depth) {
  val_t *x = get_val(L, v);
  if (x) return x->kind == V_HBM ? x : NULL;
  if (!mlirValueIsAOpResult(v) || depth > 32) return NULL;
  MlirOperation def = mlirOpResultGetOwner(v);
  bool is_const = trn_ir_is(def, "tosa.const") || trn_ir_is(def, "arith.constant");
  bool is_view = trn_ir_is(def, "tosa.reshape") || trn_ir_is(def, "tosa.transpose");
  if (!is_const && !is_view) return NULL;
  if (is_view && !ensure_hbm_val(L, mlirOperationGetOperand(def, 0), depth + 1)) return NULL;
  MlirOperation cur = L->cur;
  MlirLocation loc = L->loc;
  L->cur = def;
  L->loc = mlirOperationGetLocation(def);
  if (is_const)
    lower_const(L, def);
  else if (trn_ir_is(def, "tosa.reshape"))
    lower_reshape(L, def);
  else
    lower_transpose(L, def);
  L->cur = cur;
  L->loc = loc;
  x = get_val(L, v);
  return x && x->kind == V_HBM ? x : NULL;
}

/* Single user of `v`, or a null op if none or several. */
static MlirOperation single_user(MlirValue v) {
  MlirOpOperand use = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(use)) return (MlirOperation){NULL};
  if (!mlirOpOperandIsNull(mlirOpOperandGetNextUse(use))) return (MlirOperation){NULL};
  return mlirOpOperandGetOwner(use);
}

typedef enum step_kind_t { STEP_RESHAPE, STEP_TRANSPOSE, STEP_BIAS, STEP_FUNC, STEP_SCALE } step_kind_t;

typedef struct step_t {
  step_kind_t kind;
  MlirOperation op;
  val_t shape; /* shape and pdim after the step (only rank/dims/pdim used) */
  MlirValue bias_operand;
  int64_t perm[R]; /* STEP_TRANSPOSE: result dim d is dim perm[d] of the step's operand */
} step_t;

#define MAX_STEPS 16

typedef struct epilogue_t {
  step_t steps[MAX_STEPS];
  int nsteps;
  const char *func;
  double scale;
  bool has_bias;
} epilogue_t;

static bool is_relu_clamp(MlirOperation op) {
  double lo, hi;
  if (!trn_ir_is(op, "tosa.clamp")) return false;
  if (!trn_ir_get_float(op, "min_fp", &lo) || !trn_ir_get_float(op, "max_fp", &hi)) return false;
  return lo == 0.0 && hi >= 3.0e38;
}

static MlirValue other_operand(MlirOperation op, MlirValue v) {
  MlirValue a = mlirOperationGetOperand(op, 0), b = mlirOperationGetOperand(op, 1);
  return mlirValueEqual(a, v) ? b : a;
}

/* Collects the fusable single-use chain after `v` (shape `shape`, pdim). */
static void collect_epilogue(lower_t *L, MlirValue v, const val_t *shape, epilogue_t *ep, bool preset_bias) {
  ep->nsteps = 0;
  ep->func = "copy";
  ep->scale = 1.0;
  ep->has_bias = preset_bias;
  val_t cur = *shape;
  cur.tiles = NULL;
  cur.cache = NULL;
  if (L->opts->opt_level < 1) return; /* -O0: no fusion */
  while (ep->nsteps < MAX_STEPS) {
    MlirOperation u = single_user(v);
    if (mlirOperationIsNull(u) || mlirOperationGetNumResults(u) != 1) break;
    MlirValue res = mlirOperationGetResult(u, 0);
    step_t st = {.op = u};
    st.shape.kind = V_UNSET;
    if (!trn_ir_tensor_shape(mlirValueGetType(res), &st.shape.rank, st.shape.dims, &st.shape.dtype)) break;
    if (st.shape.dtype != cur.dtype) break;
    st.shape.pdim = cur.pdim;
    bool same_shape = st.shape.rank == cur.rank && memcmp(st.shape.dims, cur.dims, cur.rank * sizeof cur.dims[0]) == 0;
    if (trn_ir_is(u, "tosa.reshape")) {
      int q;
      if (!is_unit_reshape(&cur, &st.shape, &q)) break;
      st.kind = STEP_RESHAPE;
      st.shape.pdim = q;
    } else if (trn_ir_is(u, "tosa.transpose")) {
      /* free when the dims off the partitions keep their order (see lower_transpose) */
      if (st.shape.rank != cur.rank || !perms_of(u, cur.rank, st.perm)) break;
      int q = -1;
      int64_t last = -1;
      bool keeps = true;
      for (uint32_t d = 0; d < cur.rank; d++) {
        if (st.perm[d] == cur.pdim) {
          q = (int)d;
          continue;
        }
        if (cur.dims[st.perm[d]] == 1) continue;
        if (st.perm[d] < last) keeps = false;
        last = st.perm[d];
      }
      if (!keeps || q < 0) break;
      st.kind = STEP_TRANSPOSE;
      st.shape.pdim = q;
    } else if (trn_ir_is(u, "tosa.add") && same_shape && !ep->has_bias && strcmp(ep->func, "copy") == 0) {
      MlirValue o = other_operand(u, v);
      val_t *ov = ensure_hbm_val(L, o, 0);
      if (!ov || ov->kind != V_HBM || ov->rank != cur.rank) break;
      bool per_partition = ov->dims[cur.pdim] == cur.dims[cur.pdim];
      for (uint32_t d = 0; d < cur.rank; d++)
        if ((int)d != cur.pdim && ov->dims[d] != 1) per_partition = false;
      if (!per_partition) break;
      st.kind = STEP_BIAS;
      st.bias_operand = o;
      ep->has_bias = true;
    } else if (same_shape && strcmp(ep->func, "copy") == 0 && (is_relu_clamp(u) || trn_ir_unary_func(u))) {
      st.kind = STEP_FUNC;
      ep->func = is_relu_clamp(u) ? "relu" : trn_ir_unary_func(u);
    } else if (trn_ir_is(u, "tosa.mul") && same_shape && !ep->has_bias && strcmp(ep->func, "copy") == 0) {
      val_t *ov = ensure_hbm_val(L, other_operand(u, v), 0);
      int64_t shift = 0;
      trn_ir_get_int(u, "shift", &shift);
      if (!ov || !ov->splat || shift != 0) break;
      st.kind = STEP_SCALE;
      ep->scale *= ov->splat_value;
    } else {
      break;
    }
    ep->steps[ep->nsteps++] = st;
    cur = st.shape;
    v = res;
  }
  /* Trailing reshapes and transposes are not worth fusing: they are free views anyway. */
  while (ep->nsteps > 0 &&
         (ep->steps[ep->nsteps - 1].kind == STEP_RESHAPE || ep->steps[ep->nsteps - 1].kind == STEP_TRANSPOSE))
    ep->nsteps--;
  ep->has_bias = preset_bias;
  ep->func = "copy";
  for (int i = 0; i < ep->nsteps; i++) {
    step_t *st = &ep->steps[i];
    if (st->kind == STEP_BIAS) ep->has_bias = true;
    if (st->kind == STEP_FUNC) ep->func = is_relu_clamp(st->op) ? "relu" : trn_ir_unary_func(st->op);
  }
}

/* True if every use of `v` is an operand of a tosa.matmul, possibly through reshapes
 * and, when `views` (a constant's HBM views), transposes. */
static bool feeds_only_matmuls(MlirValue v, bool views, int depth) {
  if (depth > 16) return false;
  MlirOpOperand use = mlirValueGetFirstUse(v);
  if (mlirOpOperandIsNull(use)) return false;
  for (; !mlirOpOperandIsNull(use); use = mlirOpOperandGetNextUse(use)) {
    MlirOperation u = mlirOpOperandGetOwner(use);
    if (trn_ir_is(u, "tosa.matmul")) continue;
    if ((trn_ir_is(u, "tosa.reshape") || (views && trn_ir_is(u, "tosa.transpose"))) &&
        feeds_only_matmuls(mlirOperationGetResult(u, 0), views, depth + 1))
      continue;
    return false;
  }
  return true;
}

static bool is_float(trn_dtype_t dt) {
  return dt == TRN_DTYPE_FP32 || dt == TRN_DTYPE_BF16 || dt == TRN_DTYPE_FP16;
}

/* The dtype matmul operands are computed in: the model's, or the auto-cast type. */
static trn_dtype_t matmul_dtype(const lower_t *L, trn_dtype_t model) {
  if (L->opts->auto_cast != TRN_AUTO_CAST_NONE && model == TRN_DTYPE_FP32 &&
      (L->opts->auto_cast_type == TRN_DTYPE_BF16 || L->opts->auto_cast_type == TRN_DTYPE_FP16))
    return L->opts->auto_cast_type;
  return model;
}

/* The size of the last moving chunk of a matmul of several (from -O2; lower_matmul). */
#define MATMUL_TAIL_CHUNK 64
/* SBUF bytes per partition an operand may keep resident across a whole matmul. */
#define PANEL_CACHE_BYTES (64 * 1024)
/* Sixths of an SBUF partition a matmul's resident panels may take at -O2 and -O3
 * (the rest holds results, biases and other live values). */
#define RESIDENT_O2 4
#define RESIDENT_O3 5

/* The operand tiles along K for one (batch, chunk) of a matmul: views of a panel
 * loaded in one go when the operand is in HBM, else the producer's tiles. */
static bool operand_tiles(lower_t *L, size_t vi, int pdim, const box_t *first, int kdim, int64_t K, int64_t P,
                          trn_dtype_t dt, bool cache, MlirValue *out) {
  size_t nk = (size_t)((K + P - 1) / P);
  if (nk == 0) return true; /* K = 0: nothing to load */
  box_t *boxes = calloc(nk, sizeof *boxes);
  if (!boxes) {
    fail_oom(L);
    return false;
  }
  for (size_t k = 0; k < nk; k++) {
    boxes[k] = *first;
    boxes[k].start[kdim] = (int64_t)k * P;
    boxes[k].size[kdim] = min64(P, K - (int64_t)k * P);
  }
  val_t *v = &L->vals[vi];
  bool all_cached = true;
  for (size_t k = 0; k < nk; k++) {
    out[k] = find_tile(v->cache, v->ncache, &boxes[k], pdim, dt, v->rank);
    if (mlirValueIsNull(out[k])) all_cached = false;
  }
  if (!all_cached && v->kind == V_HBM) {
    /* tiles of an on-chip value seen through a view of its scratch copy */
    all_cached = true;
    for (size_t k = 0; k < nk && all_cached && !L->failed; k++) {
      if (mlirValueIsNull(out[k])) out[k] = chip_alias(L, vi, &boxes[k], pdim, dt);
      if (mlirValueIsNull(out[k])) all_cached = false;
    }
  }
  if (!all_cached) {
    if (v->kind == V_HBM) {
      load_panel(L, vi, boxes, nk, pdim, dt, cache, out);
    } else {
      for (size_t k = 0; k < nk && !L->failed; k++) out[k] = get_tile(L, &L->vals[vi], &boxes[k], pdim, dt);
    }
  }
  free(boxes);
  return !L->failed;
}

/* Evicts the PSUM tile `psum` holding box `ybox` of `y` (its pdim on partitions) to a
 * new SBUF tile of `out_dt` with one ACTIVATE applying the epilogue `ep` (its bias
 * tile, or `bias` if given, loaded for all chunks of `chunk` partitions at once),
 * adds it to the tiles of vals[fi] (the value the epilogue ends in, `final_value`) in
 * its coordinates and stores it if the function returns that value. */
static void image_border(lower_t *L, MlirValue buf, trn_dtype_t dt, int64_t pb, int64_t psz, int64_t H, int64_t W,
                         const int64_t *pad, int64_t r0, int64_t nrows, int64_t cs, double value);

/* Whether the blocks of vals[vi] (the value v, made by evict as `dt`) go straight into
 * the padded images of the pooling that is v's only use, directly or through
 * transposes that only relabel on-chip tiles (lower_transpose; NCHW <-> NHWC around a
 * fused activation), which are then allocated and their padding set
 * (val_t.img_state): when the pooling keeps the channels on partitions, reads a whole
 * padded image per image and channel chunk (lower_pool's one band), all of them fit
 * half of SBUF at once, and it pools in `dt`. The pool then copies nothing into its
 * images, and its vector-engine ops start on the first rows the producer evicts
 * instead of after its last (the producer's PSUM evictions precede those copies on
 * the activation engine). Decided at the first eviction. */
static bool pool_images(lower_t *L, size_t vi, MlirValue v, trn_dtype_t dt) {
  val_t *x = &L->vals[vi];
  if (x->img_state) return x->img_state == 2;
  x->img_state = 1;
  if (x->kind != V_CHIP || x->rank != 4 || x->ntiles || x->split) return false;
  int64_t perm[R] = {0, 1, 2, 3}; /* pooling operand dim d = dim perm[d] of x */
  MlirOperation op = {NULL};
  for (int hops = 0; hops < 4; hops++) {
    MlirOpOperand u = mlirValueGetFirstUse(v);
    if (mlirOpOperandIsNull(u) || !mlirOpOperandIsNull(mlirOpOperandGetNextUse(u)) ||
        mlirOpOperandGetOperandNumber(u) != 0)
      return false;
    op = mlirOpOperandGetOwner(u);
    if (!trn_ir_is(op, "tosa.transpose")) break;
    int64_t p[R], c[R];
    if (!perms_of(op, 4, p)) return false;
    for (int d = 0; d < 4; d++) c[d] = perm[p[d]];
    memcpy(perm, c, sizeof c);
    v = mlirOperationGetResult(op, 0);
    op = (MlirOperation){NULL};
  }
  if (mlirOperationIsNull(op)) return false;
  bool is_max = trn_ir_is(op, "tosa.max_pool2d");
  if (!is_max && !trn_ir_is(op, "tosa.avg_pool2d")) return false;
  int64_t pd = 3, pad[4];
  size_t got = 0;
  trn_ir_get_int(op, "trn.pdim", &pd);
  if (pd != 3 || perm[3] != x->pdim || !trn_ir_get_i64_array(op, "pad", pad, 4, &got) || got != 4) return false;
  uint32_t yrank = 0;
  int64_t ydims[R];
  trn_dtype_t ydt;
  if (!trn_ir_tensor_shape(mlirValueGetType(mlirOperationGetResult(op, 0)), &yrank, ydims, &ydt) || ydt != dt)
    return false;
  int64_t N = x->dims[perm[0]], H = x->dims[perm[1]], W = x->dims[perm[2]], C = x->dims[perm[3]];
  int64_t P = L->target->partitions, Hp = H + pad[0] + pad[1], Wp = W + pad[2] + pad[3], nch = (C + P - 1) / P;
  for (int i = 0; i < 4; i++)
    if (pad[i] < 0) return false;
  if (N * nch * Hp * Wp * (int64_t)trn_isa_dtype_size(dt) > (int64_t)L->target->sbuf_partition_bytes / 2) return false;
  MlirValue *imgs = calloc((size_t)(N * nch), sizeof *imgs);
  if (!imgs) {
    fail_oom(L);
    return false;
  }
  for (int64_t n = 0; n < N && !L->failed; n++)
    for (int64_t k = 0; k < nch && !L->failed; k++) {
      int64_t psz = min64(P, C - k * P);
      MlirValue buf = alloc_tile(L, TRN_SPACE_SBUF, dt, psz, Hp * Wp);
      if (mlirValueIsNull(buf)) break;
      image_border(L, buf, dt, 0, psz, H, W, pad, 0, Hp, 0, is_max ? -INFINITY : 0.0);
      imgs[n * nch + k] = buf;
    }
  x = &L->vals[vi];
  x->images = imgs;
  if (L->failed) return false;
  memcpy(x->img_pad, pad, sizeof pad);
  memcpy(x->img_perm, perm, sizeof x->img_perm);
  x->img_state = 2;
  return true;
}

/* Evicts PSUM block `psum` (box b of vals[fi], see pool_images) into its padded
 * images: straight into the interior when the box is within one image's channel
 * chunk, else through a tile copied into each image it meets. */
static void evict_to_images(lower_t *L, size_t fi, const box_t *box, MlirValue psum, MlirValue bias, const char *func,
                            double scale, trn_dtype_t dt) {
  const val_t *x = &L->vals[fi];
  box_t b = permute_box(box, x->img_perm, 4); /* NHWC, as the pooling reads it */
  int64_t P = L->target->partitions, nch = (x->dims[x->img_perm[3]] + P - 1) / P, W = x->dims[x->img_perm[2]];
  int64_t Wp = W + x->img_pad[2] + x->img_pad[3];
  int64_t c0 = b.start[3], csz = b.size[3], hsz = b.size[1], wsz = b.size[2];
  int64_t nums[2] = {wsz, hsz}, steps[2] = {1, Wp};
  int64_t at = (x->img_pad[0] + b.start[1]) * Wp + x->img_pad[2] + b.start[2];
  if (b.size[0] == 1 && c0 / P == (c0 + csz - 1) / P) {
    MlirValue img = x->images[b.start[0] * nch + c0 / P];
    MlirValue dst = emit_view_strided(L, img, dt, c0 % P, at, csz, 2, nums, steps);
    if (!mlirValueIsNull(dst)) emit_activate(L, psum, dst, bias, func, scale, 0.0);
    return;
  }
  MlirValue out = alloc_tile(L, TRN_SPACE_SBUF, dt, csz, b.size[0] * hsz * wsz);
  if (mlirValueIsNull(out)) return;
  emit_activate(L, psum, out, bias, func, scale, 0.0);
  int64_t src_steps[2] = {1, wsz};
  for (int64_t n = 0; n < b.size[0] && !L->failed; n++)
    for (int64_t c = c0; c < c0 + csz && !L->failed; c = (c / P + 1) * P) {
      int64_t cn = min64((c / P + 1) * P, c0 + csz) - c;
      x = &L->vals[fi];
      MlirValue img = x->images[(b.start[0] + n) * nch + c / P];
      MlirValue src = emit_view_strided(L, out, dt, c - c0, n * hsz * wsz, cn, 2, nums, src_steps);
      MlirValue dst = emit_view_strided(L, img, dt, c % P, at, cn, 2, nums, steps);
      if (!mlirValueIsNull(src) && !mlirValueIsNull(dst)) emit_copy(L, src, dst);
    }
}

static bool evict(lower_t *L, const epilogue_t *ep, const val_t *y, const box_t *ybox, MlirValue psum,
                  trn_dtype_t out_dt, MlirValue bias, int64_t chunk, size_t fi, MlirValue final_value) {
  box_t cur = *ybox;
  val_t curshape = *y;
  MlirValue bias_tile = bias;
  for (int i = 0; i < ep->nsteps && !L->failed; i++) {
    const step_t *st = &ep->steps[i];
    if (st->kind == STEP_RESHAPE) {
      cur = map_box(&curshape, &st->shape, &cur);
    } else if (st->kind == STEP_TRANSPOSE) {
      cur = permute_box(&cur, st->perm, st->shape.rank);
    } else if (st->kind == STEP_BIAS) {
      val_t *bv = get_val(L, st->bias_operand);
      size_t bvi = (size_t)(bv - L->vals);
      int bp = st->shape.pdim;
      box_t bb = cur;
      for (uint32_t d = 0; d < bv->rank; d++)
        if ((int)d != bp) bb.start[d] = 0, bb.size[d] = 1;
      bias_tile = find_tile(bv->cache, bv->ncache, &bb, bp, TRN_DTYPE_FP32, bv->rank);
      if (mlirValueIsNull(bias_tile) && bv->dtype == TRN_DTYPE_FP32 && chunk > 0) {
        /* every chunk of the bias in one panel */
        int64_t extent = st->shape.dims[bp];
        size_t nb = (size_t)((extent + chunk - 1) / chunk);
        box_t *bboxes = calloc(nb, sizeof *bboxes);
        if (!bboxes) {
          fail_oom(L);
          return false;
        }
        bool aligned = bb.start[bp] % chunk == 0;
        for (size_t q = 0; q < nb; q++) {
          bboxes[q] = bb;
          bboxes[q].start[bp] = (int64_t)q * chunk;
          bboxes[q].size[bp] = min64(chunk, extent - (int64_t)q * chunk);
        }
        if (aligned) load_panel(L, bvi, bboxes, nb, bp, TRN_DTYPE_FP32, true, NULL);
        free(bboxes);
        bv = &L->vals[bvi];
        bias_tile = find_tile(bv->cache, bv->ncache, &bb, bp, TRN_DTYPE_FP32, bv->rank);
      }
      if (mlirValueIsNull(bias_tile)) bias_tile = get_tile(L, &L->vals[bvi], &bb, bp, TRN_DTYPE_FP32);
    }
    curshape = st->shape;
  }
  if (L->failed) return false;
  if (pool_images(L, fi, final_value, out_dt)) {
    evict_to_images(L, fi, &cur, psum, bias_tile, ep->func, ep->scale, out_dt);
    return !L->failed;
  }
  MlirValue out = alloc_tile(L, TRN_SPACE_SBUF, out_dt, ybox->size[y->pdim], box_free(ybox, y->rank, y->pdim));
  emit_activate(L, psum, out, bias_tile, ep->func, ep->scale, 0.0);
  return produce(L, fi, final_value, out, &cur, L->vals[fi].pdim);
}

/* The operand geometry of one matmul, for loading its panels. */
typedef struct mm_t {
  size_t si, mi;            /* value indices of the stationary and moving operands */
  int s_pdim, m_pdim;       /* their K dims (on partitions) */
  int s_free, m_free;       /* their free (chunked) dims */
  trn_dtype_t s_dt, m_dt;
  int64_t s_batch, m_batch; /* their batch sizes (1: broadcast) */
  int64_t K, P, SD, MD, stat_max, mov_max, nsc, nmc;
  bool cache_mov;
  int64_t mov_tail; /* > 0: the last moving chunk holds only this many (see mov_chunk) */
} mm_t;

/* Moving chunk `im`: its start and size. Chunks of mov_max, except that with a
 * mov_tail the last mov_tail indices form a chunk of their own. */
static void mov_chunk(const mm_t *m, int64_t im, int64_t *m0, int64_t *msz) {
  *m0 = im * m->mov_max;
  *msz = min64(m->mov_max, m->MD - *m0);
  if (m->mov_tail > 0 && im == m->nmc - 1) {
    *m0 = m->MD - m->mov_tail;
    *msz = m->mov_tail;
  } else if (m->mov_tail > 0 && *m0 + *msz > m->MD - m->mov_tail) {
    *msz = m->MD - m->mov_tail - *m0;
  }
}

/* The stationary panel of step `is` (batch * stationary chunks + chunk). */
static void load_stat(lower_t *L, const mm_t *m, int64_t is, MlirValue *out) {
  int64_t bb = is / m->nsc, s0 = (is % m->nsc) * m->stat_max;
  box_t sbox = {{0}, {0}};
  sbox.start[0] = m->s_batch == 1 ? 0 : bb;
  sbox.size[0] = 1;
  sbox.start[m->s_free] = s0;
  sbox.size[m->s_free] = min64(m->stat_max, m->SD - s0);
  operand_tiles(L, m->si, m->s_pdim, &sbox, m->s_pdim, m->K, m->P, m->s_dt, false, out);
}

/* The moving panel of moving chunk `im` in step `is`. */
static void load_mov(lower_t *L, const mm_t *m, int64_t is, int64_t im, MlirValue *out) {
  int64_t bb = is / m->nsc, m0, msz;
  mov_chunk(m, im, &m0, &msz);
  box_t mbox = {{0}, {0}};
  mbox.start[0] = m->m_batch == 1 ? 0 : bb;
  mbox.size[0] = 1;
  mbox.start[m->m_free] = m0;
  mbox.size[m->m_free] = msz;
  operand_tiles(L, m->mi, m->m_pdim, &mbox, m->m_pdim, m->K, m->P, m->m_dt, m->cache_mov, out);
}

static void lower_matmul(lower_t *L, MlirOperation op) {
  MlirValue res = mlirOperationGetResult(op, 0);
  size_t oi;
  if (!new_val(L, res, &oi)) return;
  MlirValue av = mlirOperationGetOperand(op, 0), bv = mlirOperationGetOperand(op, 1);
  val_t *a = get_val(L, av), *b = get_val(L, bv);
  if (!a || !b) {
    fail(L, "matmul operand has no value (internal error)", NULL);
    return;
  }
  size_t ai = (size_t)(a - L->vals), bi = (size_t)(b - L->vals);
  if (L->vals[oi].rank != 3 || a->rank != 3 || b->rank != 3) {
    fail(L, "tosa.matmul must be rank 3", NULL);
    return;
  }
  int64_t pd = 2;
  trn_ir_get_int(op, "trn.pdim", &pd);
  if (pd != 1 && pd != 2) {
    fail(L, "tosa.matmul result layout must have M or N on partitions (trn.pdim = 1 or 2)", NULL);
    return;
  }
  if (!is_float(a->dtype) || !is_float(b->dtype)) {
    fail(L, "tosa.matmul operands must be fp32, bf16 or fp16", NULL);
    return;
  }
  val_t yshape = L->vals[oi];
  val_t *y = &yshape;
  const int64_t a_batch = a->dims[0], b_batch = b->dims[0];
  const trn_dtype_t a_dt = matmul_dtype(L, a->dtype), b_dt = matmul_dtype(L, b->dtype);
  int64_t B = y->dims[0], M = y->dims[1], N = y->dims[2], K = a->dims[2];
  int64_t P = L->target->partitions;
  int64_t stat_max = L->target->pe_cols < P ? L->target->pe_cols : P;
  int64_t mov_max = L->target->moving_free_max;
  /* A PSUM tile [stationary chunk, moving chunk] of fp32 must fit one bank. */
  int64_t bank_elems = (int64_t)(L->target->psum_partition_bytes / L->target->psum_banks) / 4;
  if (mov_max > bank_elems) mov_max = bank_elems;
  /* pdim 2: stationary = B [K, N chunk], moving = A^T [K, M chunk], PSUM [N, M].
   * pdim 1: stationary = A^T [K, M chunk], moving = B [K, N chunk], PSUM [M, N]. */
  int64_t SD = pd == 2 ? N : M, MD = pd == 2 ? M : N;
  size_t si = pd == 2 ? bi : ai, mi = pd == 2 ? ai : bi;
  int s_pdim = pd == 2 ? 1 : 2, m_pdim = pd == 2 ? 2 : 1;

  trn_dtype_t s_dt = pd == 2 ? b_dt : a_dt, m_dt = pd == 2 ? a_dt : b_dt;
  int64_t s_batch = pd == 2 ? b_batch : a_batch, m_batch = pd == 2 ? a_batch : b_batch;

  epilogue_t ep;
  y->pdim = (int)pd;
  y->kind = V_CHIP;
  L->vals[oi].pdim = (int)pd;
  L->vals[oi].kind = V_CHIP;
  collect_epilogue(L, res, y, &ep, false);
  val_t final = *y;
  MlirValue final_value = res;
  if (ep.nsteps) {
    final = ep.steps[ep.nsteps - 1].shape;
    final_value = mlirOperationGetResult(ep.steps[ep.nsteps - 1].op, 0);
  }
  trn_dtype_t out_dt = y->dtype;
  if (feeds_only_matmuls(final_value, false, 0) && matmul_dtype(L, y->dtype) != y->dtype) out_dt = matmul_dtype(L, y->dtype);
  size_t fi = oi;
  if (ep.nsteps) {
    L->vals[oi].kind = V_FUSED;
    for (int i = 0; i < ep.nsteps; i++) {
      size_t sidx;
      val_t *sv = new_val(L, mlirOperationGetResult(ep.steps[i].op, 0), &sidx);
      if (!sv) return;
      sv->kind = V_FUSED;
      fi = sidx;
    }
    L->vals[fi].kind = V_CHIP;
    L->vals[fi].pdim = final.pdim;
  }


  /* What stays resident in SBUF (from -O2): the whole moving operand if it is small;
   * else a block of G stationary panels, so that each moving panel is loaded once per
   * block instead of once per stationary chunk (the moving operand is read nsc / G
   * times, the stationary one once). G is as large as the resident budget allows
   * next to two moving panels (the current one and the one being prefetched). */
  const int olevel = L->opts->opt_level;
  const bool prefetch = olevel >= 2;
  size_t nk = (size_t)((K + P - 1) / P);
  int64_t mov_bytes = (int64_t)nk * MD * (int64_t)trn_isa_dtype_size(m_dt) * (m_batch > 1 ? m_batch : 1);
  bool cache_mov = olevel >= 2 && mov_bytes <= PANEL_CACHE_BYTES;
  int s_free = pd == 2 ? 2 : 1, m_free = pd == 2 ? 1 : 2;
  int64_t nsc = (SD + stat_max - 1) / stat_max, nmc = (MD + mov_max - 1) / mov_max;
  int64_t group = 1;
  if (olevel >= 2 && !cache_mov) {
    int64_t budget = (int64_t)L->target->sbuf_partition_bytes * (olevel >= 3 ? RESIDENT_O3 : RESIDENT_O2) / 6;
    int64_t stat_panel = (int64_t)nk * min64(stat_max, SD) * (int64_t)trn_isa_dtype_size(s_dt);
    int64_t mov_panel = (int64_t)nk * min64(mov_max, MD) * (int64_t)trn_isa_dtype_size(m_dt);
    if (stat_panel > 0 && budget > 2 * mov_panel) group = (budget - 2 * mov_panel) / stat_panel;
    if (group > nsc) group = nsc;
    if (group < 1) group = 1;
  }
  const int64_t nblk = (nsc + group - 1) / group; /* stationary blocks per batch */
  const int64_t nblocks = B * nblk;
  MlirValue *stat = calloc((size_t)group * nk + 1, sizeof *stat), *mov = calloc(nk + 1, sizeof *mov);
  MlirValue *stat_next = calloc((size_t)group * nk + 1, sizeof *stat_next),
            *mov_next = calloc(nk + 1, sizeof *mov_next);
  if (!stat || !mov || !stat_next || !mov_next) {
    free(stat);
    free(mov);
    free(stat_next);
    free(mov_next);
    fail_oom(L);
    return;
  }
  mm_t mm = {si, mi, s_pdim, m_pdim, s_free, m_free, s_dt, m_dt, s_batch, m_batch,
             K, P, SD, MD, stat_max, mov_max, nsc, nmc, cache_mov, 0};
  /* DMA rounds (from -O2; see trn-lower-to-isa): when both operands are loaded from
   * HBM at the start (the moving one not a constant, which prefetch_weights would move
   * to the previous layer), the first stationary panel and the first moving panel form
   * one round, every later moving panel one round each. A round is spread over all
   * queues with one instruction (one fixed cost) per queue, whatever the sources, so
   * that the first matmuls start when the first two panels have arrived at the full
   * bandwidth of the queues, and each prefetched panel arrives whole while the matmuls
   * of the previous one run. Only for one stationary block of several moving chunks,
   * moving panels of at least what all queues move during a DMA's fixed cost, and
   * first panels of at most PANEL_RUN_FIXED_COSTS times that (else load_panel's
   * K-ordered runs start the first matmuls sooner). */
  const double all_fixed = (double)L->target->dma_queues * L->target->dma_queue_gbps * L->target->dma_fixed_ns;
  const int64_t mov_panel_bytes = K * min64(mov_max, MD) * (int64_t)trn_isa_dtype_size(m_dt);
  const int64_t stat_panel_bytes = K * min64(stat_max, SD) * (int64_t)trn_isa_dtype_size(s_dt);
  bool use_rounds = prefetch && nblocks == 1 && nmc > 1 && (double)mov_panel_bytes >= all_fixed &&
                    (double)(mov_panel_bytes + stat_panel_bytes) <= PANEL_RUN_FIXED_COSTS * all_fixed &&
                    L->vals[si].kind == V_HBM && L->vals[mi].kind == V_HBM &&
                    mlirAttributeIsNull(L->bufs[L->vals[mi].buf].initial);
  /* With rounds, the last MATMUL_TAIL_CHUNK moving indices form a chunk of their own
   * (if the rest of the last chunk keeps as many): the eviction and store of the last
   * chunk, which nothing overlaps, are then short, at no PE cost (a matmul costs
   * max(min(64, stationary free), moving free) cycles, so chunks of >= 64 run at the
   * full rate) and for one more panel load. */
  if (use_rounds && MD - (nmc - 1) * mov_max >= 2 * MATMUL_TAIL_CHUNK) {
    mm.mov_tail = MATMUL_TAIL_CHUNK;
    mm.nmc = ++nmc;
  }
  if (use_rounds) L->dma_round = ++L->rounds;

  /* Loop order: per batch and stationary block, per moving chunk, per stationary chunk
   * of the block: a PSUM tile accumulating over K, evicted at once. With prefetch
   * (-O2), operands are loaded one step ahead of their use, so that in each DMA
   * queue's program order loads come before the stores of results produced meanwhile
   * (double buffering): the next moving panel before this one's matmuls; the panels
   * of the next stationary block during the last moving chunk of this block, each
   * right after the matmuls that last read the panel it replaces. Without prefetch,
   * every panel is loaded just before its first use. */
  for (int64_t j = 0; j < nblocks && !L->failed; j++) {
    const int64_t bb = j / nblk, c0 = (j % nblk) * group, gn = min64(group, nsc - c0);
    const int64_t jn = j + 1, cn = (jn % nblk) * group, gnext = jn < nblocks ? min64(group, nsc - cn) : 0;
    /* the block's first stationary panel, its first moving panel, then the others:
     * the first matmuls wait only for the first two */
    const bool load_block = j == 0 || !prefetch;
    const size_t dmas_before = L->dmas;
    if (load_block) load_stat(L, &mm, bb * nsc + c0, stat);
    if (use_rounds && L->dmas == dmas_before) { /* the stationary panel was on chip: nothing to join */
      use_rounds = false;
      L->dma_round = 0;
    }
    for (int64_t im = 0; im < nmc && !L->failed; im++) {
      int64_t m0, msz;
      mov_chunk(&mm, im, &m0, &msz);
      if ((j == 0 && im == 0) || !prefetch) load_mov(L, &mm, bb * nsc, im, mov);
      L->dma_round = 0;
      if (load_block && im == 0)
        for (int64_t g = 1; g < gn && !L->failed; g++) load_stat(L, &mm, bb * nsc + c0 + g, stat + g * (int64_t)nk);
      if (use_rounds) L->dma_round = ++L->rounds;
      if (prefetch) {
        if (im + 1 < nmc)
          load_mov(L, &mm, bb * nsc, im + 1, mov_next);
        else if (jn < nblocks)
          load_mov(L, &mm, (jn / nblk) * nsc, 0, mov_next);
      }
      L->dma_round = 0;
      const bool last = prefetch && im + 1 == nmc && jn < nblocks;
      for (int64_t g = 0; g < gn && !L->failed; g++) {
        const int64_t s0 = (c0 + g) * stat_max, ssz = min64(stat_max, SD - s0);
        const MlirValue *st = stat + g * (int64_t)nk;
        MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, ssz, msz);
        if (nk == 0) emit_memset(L, psum, 0.0); /* a sum over nothing */
        for (size_t k = 0; k < nk && !L->failed; k++) emit_matmul(L, st[k], mov[k], psum, k > 0);
        if (L->failed) break;
        if (last && g < gnext) load_stat(L, &mm, (jn / nblk) * nsc + cn + g, stat_next + g * (int64_t)nk);

        /* The epilogue: one ACTIVATE evicts PSUM to SBUF. */
        box_t ybox = {{bb, 0, 0}, {1, 0, 0}};
        if (pd == 2) {
          ybox.start[1] = m0, ybox.size[1] = msz;
          ybox.start[2] = s0, ybox.size[2] = ssz;
        } else {
          ybox.start[1] = s0, ybox.size[1] = ssz;
          ybox.start[2] = m0, ybox.size[2] = msz;
        }
        if (!evict(L, &ep, y, &ybox, psum, out_dt, (MlirValue){NULL}, stat_max, fi, final_value)) break;
      }
      if (last)
        for (int64_t g = gn; g < gnext && !L->failed; g++)
          load_stat(L, &mm, (jn / nblk) * nsc + cn + g, stat_next + g * (int64_t)nk);
      if (prefetch) {
        MlirValue *tmp = mov;
        mov = mov_next;
        mov_next = tmp;
      }
    }
    if (prefetch) {
      MlirValue *tmp = stat;
      stat = stat_next;
      stat_next = tmp;
    }
  }
  free(stat);
  free(mov);
  free(stat_next);
  free(mov_next);
}

/* The ALU op computing `s op x` for a scalar s on the left, or NULL if none does. */
static const char *mirror_alu(const char *alu) {
  static const struct {
    const char *op, *mirror;
  } kMirror[] = {
      {"add", "add"}, {"mul", "mul"}, {"max", "max"}, {"min", "min"}, {"sub", "rsub"}, {"div", "rdiv"},
      {"gt", "lt"},   {"ge", "le"},   {"eq", "eq"},   {"and", "and"}, {"or", "or"},    {"xor", "xor"},
  };
  for (size_t i = 0; i < sizeof kMirror / sizeof kMirror[0]; i++)
    if (strcmp(kMirror[i].op, alu) == 0) return kMirror[i].mirror;
  return NULL;
}

/* The tile of box `box` (pdim pd) of operand vals[vi] for an element-wise op with
 * result shape `y`: operands that are per-partition within the box (each dim other
 * than pdim broadcast, or of size 1 in the box: e.g. a softmax's row maxima per
 * head) as their [P, 1] tile the engine broadcasts; other broadcast on-chip operands
 * through HBM. */
static MlirValue operand_tile(lower_t *L, size_t vi, const val_t *y, const box_t *box, int pd, trn_dtype_t dt,
                              bool allow_scalar_tile) {
  val_t *v = &L->vals[vi];
  bool same = v->rank == y->rank && memcmp(v->dims, y->dims, y->rank * sizeof y->dims[0]) == 0;
  if (!same && allow_scalar_tile && v->rank == y->rank && v->dims[pd] == y->dims[pd] &&
      (v->kind == V_HBM || (v->kind == V_CHIP && v->pdim == pd))) {
    bool per_partition = true;
    box_t vb = *box;
    for (uint32_t d = 0; d < y->rank; d++) {
      if ((int)d == pd) continue;
      if (v->dims[d] == y->dims[d] && box->size[d] == 1) continue; /* one index of a dim not broadcast */
      if (v->dims[d] != 1) per_partition = false;
      vb.start[d] = 0;
      vb.size[d] = 1;
    }
    if (per_partition) {
      if (v->kind == V_HBM) return get_tile(L, v, &vb, pd, dt);
      MlirValue t = find_tile(v->tiles, v->ntiles, &vb, pd, dt, v->rank);
      if (mlirValueIsNull(t)) t = find_tile(v->cache, v->ncache, &vb, pd, dt, v->rank);
      if (!mlirValueIsNull(t)) return t;
    }
  }
  if (!same && v->kind == V_CHIP) {
    if (!spill(L, vi)) return (MlirValue){NULL}; /* broadcast: reload with zero strides */
    v = &L->vals[vi];
  }
  return get_tile(L, v, box, pd, dt);
}

/* Element-wise ops not fused into a matmul epilogue. */
static void lower_elementwise(lower_t *L, MlirOperation op) {
  size_t oi;
  if (!new_val(L, mlirOperationGetResult(op, 0), &oi)) return;
  int64_t pd = -1;
  if (!trn_ir_get_int(op, "trn.pdim", &pd) || pd < 0 || (pd >= (int64_t)L->vals[oi].rank && !(pd == 0 && L->vals[oi].rank == 0))) {
    fail(L, "element-wise op without a layout: run trn-layout first", NULL);
    return;
  }
  size_t nin = (size_t)mlirOperationGetNumOperands(op);
  size_t ins[3];
  if (nin > 3) nin = 3;
  for (size_t i = 0; i < nin; i++) {
    val_t *v = get_val(L, mlirOperationGetOperand(op, (intptr_t)i));
    if (!v) {
      fail(L, "operand has no value (internal error)", NULL);
      return;
    }
    ins[i] = (size_t)(v - L->vals);
  }
  val_t *y = &L->vals[oi];
  y->kind = V_CHIP;
  y->pdim = (int)pd;
  const char *alu = trn_ir_binary_alu(op);
  const char *func = is_relu_clamp(op) ? "relu" : trn_ir_unary_func(op);
  bool clamp = trn_ir_is(op, "tosa.clamp") && !func;
  bool copy = trn_ir_is(op, "tosa.identity") || trn_ir_is(op, "tosa.cast");
  bool neg = trn_ir_is(op, "tosa.negate");
  bool select = trn_ir_is(op, "tosa.select");
  bool dve1 = trn_ir_is_unary_dve(op);
  if (!alu && !func && !clamp && !copy && !neg && !select && !dve1) {
    fail(L, "no lowering to the ISA for this element-wise op yet", NULL);
    return;
  }
  if (alu && trn_ir_is(op, "tosa.mul")) {
    int64_t shift = 0;
    if (trn_ir_get_int(op, "shift", &shift) && shift != 0) {
      fail(L, "tosa.mul with a non-zero shift is not supported", NULL);
      return;
    }
  }
  size_t nuse = alu ? 2 : select ? 3 : 1;
  if (nin < nuse) {
    fail(L, "element-wise op with too few operands", NULL);
    return;
  }
  /* The tiling: that of an on-chip operand with the result's shape, else default. */
  box_t *boxes = NULL;
  size_t nboxes = 0;
  for (size_t i = 0; i < nuse; i++) {
    val_t *v = &L->vals[ins[i]];
    if (v->kind == V_CHIP && v->ntiles && v->pdim == pd && v->rank == y->rank &&
        memcmp(v->dims, y->dims, y->rank * sizeof y->dims[0]) == 0) {
      boxes = calloc(v->ntiles ? v->ntiles : 1, sizeof *boxes);
      if (!boxes) {
        fail_oom(L);
        return;
      }
      for (size_t t = 0; t < v->ntiles; t++) boxes[t] = v->tiles[t].box;
      nboxes = v->ntiles;
      break;
    }
  }
  if (!boxes) {
    int64_t fmax = 8192 / (int64_t)trn_isa_dtype_size(y->dtype);
    nboxes = default_boxes(L, y->rank, y->dims, (int)pd, fmax, &boxes);
    if (!boxes) {
      fail_oom(L);
      return;
    }
  }
  /* A binary op with a scalar constant operand: TENSOR_SCALAR (mirrored if the
   * scalar is on the left). */
  int scalar_at = -1;
  double scalar = 0;
  const char *scalar_alu = alu;
  if (alu) {
    if (L->vals[ins[1]].splat && L->vals[ins[1]].rank == y->rank) {
      scalar_at = 1;
    } else if (L->vals[ins[0]].splat && L->vals[ins[0]].rank == y->rank && mirror_alu(alu)) {
      scalar_at = 0;
      scalar_alu = mirror_alu(alu);
    }
    if (scalar_at >= 0) {
      const val_t *o = &L->vals[ins[1 - scalar_at]];
      scalar = L->vals[ins[scalar_at]].splat_value;
      /* only when the other operand has the result's shape (no broadcast of it) */
      if (o->rank != y->rank || memcmp(o->dims, y->dims, y->rank * sizeof y->dims[0]) != 0) scalar_at = -1;
    }
  }
  for (size_t t = 0; t < nboxes && !L->failed; t++) {
    box_t box = boxes[t];
    int64_t p = box.size[pd], f = box_free(&box, y->rank, (int)pd);
    MlirValue srcs[3] = {{NULL}, {NULL}, {NULL}};
    for (size_t i = 0; i < nuse && !L->failed; i++) {
      if ((int)i == scalar_at) continue;
      const val_t *v = &L->vals[ins[i]];
      /* compute in the operand's dtype; a select's condition stays u8 */
      trn_dtype_t dt = v->dtype;
      srcs[i] = operand_tile(L, ins[i], y, &box, (int)pd, dt, alu != NULL && f > 1);
    }
    if (L->failed) break;
    MlirValue dst = alloc_tile(L, TRN_SPACE_SBUF, y->dtype, p, f);
    if (alu && scalar_at >= 0) {
      emit_tensor_scalar(L, srcs[1 - scalar_at], dst, scalar_alu, scalar, "bypass", 0.0);
    } else if (alu) {
      emit_tensor_tensor(L, srcs[0], srcs[1], dst, alu);
    } else if (func) {
      emit_activate(L, srcs[0], dst, (MlirValue){NULL}, func, 1.0, 0.0);
    } else if (neg) {
      emit_activate(L, srcs[0], dst, (MlirValue){NULL}, "copy", -1.0, 0.0);
    } else if (clamp) {
      double lo = -INFINITY, hi = INFINITY;
      trn_ir_get_float(op, "min_fp", &lo);
      trn_ir_get_float(op, "max_fp", &hi);
      if (!is_float(y->dtype)) {
        int64_t ilo = 0, ihi = 0;
        if (trn_ir_get_int(op, "min_int", &ilo)) lo = (double)ilo;
        if (trn_ir_get_int(op, "max_int", &ihi)) hi = (double)ihi;
      }
      emit_tensor_scalar(L, srcs[0], dst, "max", lo, "min", hi);
    } else if (trn_ir_is(op, "tosa.logical_not")) {
      emit_tensor_scalar(L, srcs[0], dst, "eq", 0.0, "bypass", 0.0);
    } else if (trn_ir_is(op, "tosa.floor") || trn_ir_is(op, "math.floor")) {
      /* floor(x) = x - mod(x, 1) (mod takes the sign of the divisor) */
      MlirValue r = alloc_tile(L, TRN_SPACE_SBUF, y->dtype, p, f);
      emit_tensor_scalar(L, srcs[0], r, "mod", 1.0, "bypass", 0.0);
      emit_tensor_tensor(L, srcs[0], r, dst, "sub");
    } else if (trn_ir_is(op, "tosa.ceil") || trn_ir_is(op, "math.ceil")) {
      /* ceil(x) = x + mod(-x, 1) */
      MlirValue r = alloc_tile(L, TRN_SPACE_SBUF, y->dtype, p, f);
      emit_tensor_scalar(L, srcs[0], r, "mul", -1.0, "mod", 1.0);
      emit_tensor_tensor(L, srcs[0], r, dst, "add");
    } else if (trn_ir_is(op, "math.roundeven")) {
      /* through int32: stores round to nearest even */
      MlirValue r = alloc_tile(L, TRN_SPACE_SBUF, TRN_DTYPE_INT32, p, f);
      emit_copy(L, srcs[0], r);
      emit_copy(L, r, dst);
    } else if (select) {
      /* cond ? a : b = select(cond, a, 0) + select(cond == 0, b, 0): exact, no a - b */
      MlirValue s1 = alloc_tile(L, TRN_SPACE_SBUF, y->dtype, p, f);
      MlirValue nc = alloc_tile(L, TRN_SPACE_SBUF, TRN_DTYPE_UINT8, p, f);
      MlirValue s2 = alloc_tile(L, TRN_SPACE_SBUF, y->dtype, p, f);
      emit_select(L, srcs[0], srcs[1], s1, 0.0);
      emit_tensor_scalar(L, srcs[0], nc, "eq", 0.0, "bypass", 0.0);
      emit_select(L, nc, srcs[2], s2, 0.0);
      emit_tensor_tensor(L, s1, s2, dst, "add");
    } else {
      emit_activate(L, srcs[0], dst, (MlirValue){NULL}, "copy", 1.0, 0.0);
    }
    if (!produce(L, oi, mlirOperationGetResult(op, 0), dst, &box, (int)pd)) break;
  }
  free(boxes);
}

static MlirStringRef name_attr(MlirOperation fn, const char *which, intptr_t index) {
  MlirAttribute arr = mlirOperationGetAttributeByName(fn, mlirStringRefCreateFromCString(which));
  if (mlirAttributeIsNull(arr) || !mlirAttributeIsAArray(arr) || index >= mlirArrayAttrGetNumElements(arr))
    return (MlirStringRef){NULL, 0};
  MlirAttribute d = mlirArrayAttrGetElement(arr, index);
  if (!mlirAttributeIsADictionary(d)) return (MlirStringRef){NULL, 0};
  MlirAttribute n = mlirDictionaryAttrGetElementByName(d, mlirStringRefCreateFromCString("trn.name"));
  if (mlirAttributeIsNull(n) || !mlirAttributeIsAString(n)) return (MlirStringRef){NULL, 0};
  return mlirStringAttrGetValue(n);
}

/* Appends a consumer of HBM of value `v`'s bytes; false if `v` has no static shape
 * or memory ran out. */
static bool add_hbm_use(trn_ir_hbm_use_t **uses, size_t *n, size_t *cap, MlirValue v, trn_ir_hbm_kind_t kind) {
  uint32_t rank;
  int64_t dims[R];
  trn_dtype_t dt;
  if (!trn_ir_tensor_shape(mlirValueGetType(v), &rank, dims, &dt)) return false;
  if (*n == *cap) {
    size_t ncap = *cap ? *cap * 2 : 64;
    trn_ir_hbm_use_t *p = realloc(*uses, ncap * sizeof *p);
    if (!p) return false;
    *uses = p;
    *cap = ncap;
  }
  trn_ir_hbm_use_t *u = &(*uses)[(*n)++];
  u->kind = kind;
  u->bytes = (double)trn_isa_dtype_size(dt);
  for (uint32_t d = 0; d < rank; d++) u->bytes *= (double)dims[d];
  u->name[0] = '\0';
  return true;
}

static void hbm_use_name(trn_ir_hbm_use_t *u, MlirStringRef name, intptr_t index) {
  if (name.data)
    snprintf(u->name, sizeof u->name, "'%.*s'", (int)name.length, name.data);
  else
    snprintf(u->name, sizeof u->name, "%ld", (long)index);
}

/* The error for a graph whose inputs, outputs and constants alone exceed HBM:
 * the totals per kind and the largest tensors, by name. */
static void report_hbm(MlirOperation fn, MlirBlock body, double bytes, const trn_target_t *target) {
  trn_ir_report_t r;
  trn_ir_report_init(&r, "the model needs %.0f bytes of HBM, the target has %llu (inputs, outputs and constants alone)",
                     bytes, (unsigned long long)target->hbm_bytes);
  size_t n = 0, cap = 0;
  trn_ir_hbm_use_t *uses = NULL;
  for (intptr_t a = 0; a < mlirBlockGetNumArguments(body); a++)
    if (add_hbm_use(&uses, &n, &cap, mlirBlockGetArgument(body, a), TRN_IR_HBM_INPUT))
      hbm_use_name(&uses[n - 1], name_attr(fn, "arg_attrs", a), a);
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (trn_ir_is(op, "tosa.const") && mlirOperationGetNumResults(op) == 1) {
      if (add_hbm_use(&uses, &n, &cap, mlirOperationGetResult(op, 0), TRN_IR_HBM_CONST))
        trn_ir_op_where(op, uses[n - 1].name, sizeof uses[n - 1].name);
    } else if (trn_ir_is(op, "func.return")) {
      for (intptr_t i = 0; i < mlirOperationGetNumOperands(op); i++)
        if (add_hbm_use(&uses, &n, &cap, mlirOperationGetOperand(op, i), TRN_IR_HBM_OUTPUT))
          hbm_use_name(&uses[n - 1], name_attr(fn, "res_attrs", i), i);
    }
  }
  trn_ir_report_hbm(&r, uses, n, bytes, target);
  free(uses);
  trn_ir_report_emit(&r, fn);
}

static MlirValue make_io(lower_t *L, const char *kind, MlirStringRef name, intptr_t index, const val_t *shape) {
  uint32_t rank = shape->rank ? shape->rank : 1;
  int64_t dims[R] = {1};
  for (uint32_t i = 0; i < shape->rank; i++) dims[i] = shape->dims[i];
  MlirType ty = tile_type(L, TRN_SPACE_HBM, shape->dtype, rank, dims);
  if (mlirTypeIsNull(ty)) return (MlirValue){NULL};
  char buf[32];
  if (!name.data) {
    snprintf(buf, sizeof buf, "%s%ld", kind, (long)index);
    name = mlirStringRefCreateFromCString(buf);
  }
  /* the graph's tensor type: a rank-0 tensor is a [1] tile but keeps rank 0 */
  MlirType tt = mlirRankedTensorTypeGet((intptr_t)shape->rank, shape->dims,
                                        trn_dialects_dtype_type(L->ctx, shape->dtype), mlirAttributeGetNull());
  MlirNamedAttribute attrs[3] = {
      trn_ir_named(L->ctx, "name", mlirStringAttrGet(L->ctx, name)),
      trn_ir_named(L->ctx, "index", trn_ir_i64(L->ctx, index)),
      trn_ir_named(L->ctx, "type", mlirTypeAttrGet(tt)),
  };
  char opname[32];
  snprintf(opname, sizeof opname, "trn_tile.%s", kind);
  MlirOperation op = trn_ir_op(L->loc, opname, 1, &ty, 0, NULL, 3, attrs);
  append_header(L, op);
  return mlirOperationGetResult(op, 0);
}

/* ---- spatial ops (NHWC): convolution, pooling ----------------------------------- */

/* Copies padded rows [r0, r0 + nrows) (rows of the image padded by pad[0] on top) of
 * the NHWC tensor vals[xi], shifted left by `cs` columns, into partitions
 * [pb, pb + psz) of the SBUF buffer `buf` [.., nrows * Wp] (rows of Wp elements):
 * column j of a buffer row holds padded column j + cs. Only input elements are
 * written; the caller fills the buffer with the padding value first. Partitions are
 * channels [p0, p0 + psz) of image `fixed` (axis 3) or images [p0, p0 + psz) of
 * channel `fixed` (axis 0). On-chip tiles with that axis on partitions are copied by
 * SBUF-to-SBUF DMAs, other on-chip layouts go through HBM, HBM views are loaded by one
 * strided DMA. */
static bool image_fill(lower_t *L, size_t xi, int axis, int64_t fixed, int64_t p0, int64_t psz, const int64_t *pad,
                       int64_t r0, int64_t nrows, int64_t cs, MlirValue buf, int64_t pb, bool on_act) {
  val_t *x = &L->vals[xi];
  int other = axis == 3 ? 0 : 3;
  int64_t H = x->dims[1], W = x->dims[2];
  int64_t Wp = W + pad[2] + pad[3], F = nrows * Wp;
  /* the input rows [h0, h1) and columns [w0, W) in the buffer, (h0, w0) at buffer
   * row h0 - (r0 - pad[0]), column w0 - (cs - pad[2]) */
  int64_t h0 = r0 - pad[0] > 0 ? r0 - pad[0] : 0, h1 = min64(r0 + nrows - pad[0], H);
  int64_t w0 = cs - pad[2] > 0 ? cs - pad[2] : 0;
  if (h1 <= h0 || w0 >= W) return true; /* only padding */
  int64_t base = pb * F + (h0 - (r0 - pad[0])) * Wp + w0 - (cs - pad[2]);
  if (x->kind == V_CHIP && x->split) {
    /* row-split tiles (val_t.split): per tile and row parity, the parity's rows (every
     * other buffer row) by an engine copy when they are on the buffer block's
     * partitions, else by a DMA; the DMAs first (pass 0: the copies interleave rows
     * with them, so each waits for the DMA into its rows) */
    if (axis != 3 || x->pdim != 3 || x->split_dim != 1 || p0 != 0 || psz != x->dims[3]) {
      fail(L, "a row-split convolution result feeds an op that cannot read it (internal error)", NULL);
      return false;
    }
    trn_tile_type_t bt;
    trn_dtype_t buf_dtype = trn_dialects_tile_type_read(mlirValueGetType(buf), &bt) ? bt.dtype : TRN_DTYPE_FP32;
    for (size_t k = 0; k < 2 * L->vals[xi].ntiles && !L->failed; k++) {
      size_t t = k % L->vals[xi].ntiles;
      bool dma_pass = k < L->vals[xi].ntiles;
      tref_t tr = L->vals[xi].tiles[t];
      const box_t *b = &tr.box;
      if (b->start[0] != fixed || b->start[2] != 0 || b->size[2] != W) continue;
      int64_t tf = (b->size[1] + 1) / 2 * W; /* the tile's free size */
      for (int64_t h = 0; h < 2 && !L->failed; h++) {
        int64_t rlo = b->start[1] + h, rend = min64(b->start[1] + b->size[1], h1);
        if (rlo < h0) rlo += (h0 - rlo + 1) / 2 * 2;
        if (rlo >= rend) continue;
        int64_t cnt = (rend - rlo + 1) / 2, sp = (1 - h) * L->vals[xi].split;
        int64_t soff = (rlo - b->start[1]) / 2 * W + w0, fo = base - pb * F + (rlo - h0) * Wp;
        if ((sp != pb) != dma_pass) continue;
        if (sp == pb) {
          int64_t nums[2] = {W - w0, cnt}, ssteps[2] = {1, W}, dsteps[2] = {1, 2 * Wp};
          MlirValue src = emit_view_strided(L, tr.tile, tr.dtype, sp, soff, psz, 2, nums, ssteps);
          MlirValue dst = emit_view_strided(L, buf, buf_dtype, pb, fo, psz, 2, nums, dsteps);
          if (mlirValueIsNull(src) || mlirValueIsNull(dst)) return false;
          if (on_act)
            emit_activate(L, src, dst, (MlirValue){NULL}, "copy", 1.0, 0.0);
          else
            emit_copy(L, src, dst);
        } else {
          int64_t sizes[3] = {psz, cnt, W - w0}, ss[3] = {tf, W, 1}, ds[3] = {F, 2 * Wp, 1};
          emit_dma(L, tr.tile, buf, 3, sizes, sp * tf + soff, ss, pb * F + fo, ds);
        }
      }
    }
    return !L->failed;
  }
  if (x->kind == V_CHIP && x->pdim == axis && x->ntiles) {
    trn_tile_type_t bt;
    trn_dtype_t buf_dtype = trn_dialects_tile_type_read(mlirValueGetType(buf), &bt) ? bt.dtype : TRN_DTYPE_FP32;
    for (size_t t = 0; t < L->vals[xi].ntiles && !L->failed; t++) {
      tref_t tr = L->vals[xi].tiles[t];
      const box_t *b = &tr.box;
      if (b->start[other] > fixed || b->start[other] + b->size[other] <= fixed) continue;
      int64_t lo = b->start[axis] > p0 ? b->start[axis] : p0;
      int64_t hi = min64(b->start[axis] + b->size[axis], p0 + psz);
      if (hi <= lo) continue;
      int64_t rlo = b->start[1] > h0 ? b->start[1] : h0;
      int64_t rhi = min64(b->start[1] + b->size[1], h1);
      if (rhi <= rlo) continue;
      int64_t clo = b->start[2] > w0 ? b->start[2] : w0, chi = b->start[2] + b->size[2];
      if (chi <= clo) continue;
      /* the tile's free layout: row-major over its non-partition dims */
      int64_t fs[4] = {0}, f = 1;
      for (int d = 3; d >= 0; d--) {
        if (d == axis) continue;
        fs[d] = f;
        f *= b->size[d];
      }
      int64_t sizes[3] = {hi - lo, rhi - rlo, chi - clo};
      int64_t ss[3] = {f, fs[1], fs[2]}, ds[3] = {F, Wp, 1};
      int64_t soff = (lo - b->start[axis]) * f + (fixed - b->start[other]) * fs[other] +
                     (rlo - b->start[1]) * fs[1] + (clo - b->start[2]) * fs[2];
      int64_t doff = (lo - p0) * F + base + (rlo - h0) * Wp + clo - w0;
      if (b->start[axis] == p0 - pb) {
        /* same partitions: an engine copy of the rows (no DMA fixed cost) */
        int64_t fo = doff - (lo - p0 + pb) * F;
        int64_t snums[2] = {chi - clo, rhi - rlo}, ssteps[2] = {fs[2], fs[1]}, dsteps[2] = {1, Wp};
        MlirValue src = emit_view_strided(L, tr.tile, tr.dtype, lo - b->start[axis], soff - (lo - b->start[axis]) * f,
                                          hi - lo, 2, snums, ssteps);
        MlirValue dst = emit_view_strided(L, buf, buf_dtype, lo - p0 + pb, fo, hi - lo, 2, snums, dsteps);
        if (mlirValueIsNull(src) || mlirValueIsNull(dst)) return false;
        if (on_act)
          emit_activate(L, src, dst, (MlirValue){NULL}, "copy", 1.0, 0.0);
        else
          emit_copy(L, src, dst);
        continue;
      }
      emit_dma(L, tr.tile, buf, 3, sizes, soff, ss, doff, ds);
    }
    return !L->failed;
  }
  if (x->kind == V_CHIP && !spill(L, xi)) return false;
  x = &L->vals[xi];
  MlirValue hbm = buf_value(L, x->buf);
  if (mlirValueIsNull(hbm)) return false;
  int64_t sizes[3] = {psz, h1 - h0, W - w0};
  int64_t ss[3] = {x->strides[axis], x->strides[1], x->strides[2]}, ds[3] = {F, Wp, 1};
  emit_dma(L, hbm, buf, 3, sizes,
           x->offset + fixed * x->strides[other] + p0 * x->strides[axis] + h0 * x->strides[1] + w0 * x->strides[2],
           ss, base, ds);
  return !L->failed;
}

/* Padded rows [r0, r0 + nrows) of the NHWC tensor vals[xi] (see image_fill) in a new
 * SBUF buffer [psz, nrows * Wp], the padding that falls in those rows filled with
 * `value`: the operand of windows. r0 = 0, nrows = Hp is the whole padded image; a
 * row band of it is what a convolution or pool whose image does not fit SBUF loads
 * per band of output rows. */
/* Sets the padding of partition block [pb, pb + psz) of an image buffer [.., nrows *
 * Wp] holding padded rows [r0, r0 + nrows) of an H x W image (pad: top, bottom, left,
 * right) shifted left by `cs` columns (see image_fill) to `value`: the rows above and
 * below the input rows, the columns left and right of the input columns between them
 * (DVE time is per element written, so not the whole buffer). */
static void image_border(lower_t *L, MlirValue buf, trn_dtype_t dt, int64_t pb, int64_t psz, int64_t H, int64_t W,
                         const int64_t *pad, int64_t r0, int64_t nrows, int64_t cs, double value) {
  int64_t Wp = W + pad[2] + pad[3];
  int64_t top = pad[0] - r0, bottom = pad[0] + H - r0; /* buffer rows holding input rows: [top, bottom) */
  int64_t left = pad[2] - cs, right = pad[2] + W - cs;  /* buffer columns holding input columns */
  if (top < 0) top = 0;
  if (bottom > nrows) bottom = nrows;
  if (left < 0) left = 0;
  if (right > Wp) right = Wp;
  if (top >= bottom || left >= right) {
    int64_t n = nrows * Wp, one = 1;
    emit_memset(L, emit_view_strided(L, buf, dt, pb, 0, psz, 1, &n, &one), value);
    return;
  }
  int64_t one = 1, steps[2] = {1, Wp};
  if (top > 0) {
    int64_t n = top * Wp;
    emit_memset(L, emit_view_strided(L, buf, dt, pb, 0, psz, 1, &n, &one), value);
  }
  if (bottom < nrows) {
    int64_t n = (nrows - bottom) * Wp;
    emit_memset(L, emit_view_strided(L, buf, dt, pb, bottom * Wp, psz, 1, &n, &one), value);
  }
  if (left > 0) {
    int64_t nums[2] = {left, bottom - top};
    emit_memset(L, emit_view_strided(L, buf, dt, pb, top * Wp, psz, 2, nums, steps), value);
  }
  if (right < Wp) {
    int64_t nums[2] = {Wp - right, bottom - top};
    emit_memset(L, emit_view_strided(L, buf, dt, pb, top * Wp + right, psz, 2, nums, steps), value);
  }
}

static MlirValue image_buffer(lower_t *L, size_t xi, int axis, int64_t fixed, int64_t p0, int64_t psz,
                              const int64_t *pad, int64_t r0, int64_t nrows, double value, trn_dtype_t dt,
                              bool on_act) {
  int64_t H = L->vals[xi].dims[1], W = L->vals[xi].dims[2], Wp = W + pad[2] + pad[3];
  MlirValue buf = alloc_tile(L, TRN_SPACE_SBUF, dt, psz, nrows * Wp);
  if (mlirValueIsNull(buf)) return buf;
  image_border(L, buf, dt, 0, psz, H, W, pad, r0, nrows, 0, value);
  if (!image_fill(L, xi, axis, fixed, p0, psz, pad, r0, nrows, 0, buf, 0, on_act)) return (MlirValue){NULL};
  return buf;
}

/* Output rows per band of a convolution or pool whose padded image rows of
 * `row_bytes` each (per partition, all channel chunks it keeps at once) would
 * exceed half of SBUF: the most rows whose input rows ((rows - 1) * stride + the
 * kernel extent `span`) fit a quarter of SBUF (so that the next band can load while
 * this one computes), rounded down to whole blocks of `rb` output rows. OH (one
 * band: the whole padded image, *whole set) when it fits; 0 when not even one output
 * row does. `what` names the op in the error. */
static int64_t band_rows(lower_t *L, const char *what, int64_t Hp, int64_t row_bytes, int64_t OH, int64_t stride,
                         int64_t span, int64_t rb, bool *whole) {
  int64_t sbuf = (int64_t)L->target->sbuf_partition_bytes;
  *whole = Hp * row_bytes <= sbuf / 2;
  if (*whole) return OH;
  int64_t fit = sbuf / 4 / row_bytes;
  int64_t band = fit < span ? 0 : (fit - span) / stride + 1;
  if (band < 1) {
    char msg[320];
    snprintf(msg, sizeof msg,
             "%s: the input rows of one output row do not fit a quarter of SBUF (%lld rows of %lld bytes per "
             "partition need %lld, a quarter is %lld)",
             what, (long long)span, (long long)row_bytes, (long long)(span * row_bytes), (long long)(sbuf / 4));
    fail(L, msg, NULL);
    return 0;
  }
  if (band > rb) band = band / rb * rb;
  return band < OH ? band : OH;
}

static bool get_i64s(lower_t *L, MlirOperation op, const char *name, int64_t *out, size_t n) {
  size_t got = 0;
  if (!trn_ir_get_i64_array(op, name, out, n, &got) || got != n) {
    char msg[96];
    snprintf(msg, sizeof msg, "attribute '%s' must be array<i64> of %zu elements", name, n);
    fail(L, msg, NULL);
    return false;
  }
  return true;
}

/* A convolution whose taps are packed on partitions (see lower_conv2d). */
typedef struct conv_packed_t {
  size_t xi, wi, bi, fi;
  bool has_bias;
  const epilogue_t *ep;
  const val_t *y;
  MlirValue final_value;
  trn_dtype_t dt, out_dt;
  int64_t pad[4], stride[2], dil[2];
  int64_t Wp, rb, owb, stat_max;
  int64_t band; /* output rows per band of the padded image (lower_conv2d) */
  bool s2d;     /* stride 2, read as a stride-1 conv over a 2x2 space-to-depth image (see conv2d_packed) */
} conv_packed_t;

/* Memsets (to 0) the padding of an image buffer [np, nrows * Wp] whose rows [top,
 * bottom) and columns [left, right) are the only ones holding input elements: full
 * rows at the top and bottom, column strips between them (DVE time is per element
 * written, so not the whole buffer). */
static void packed_border(lower_t *L, MlirValue buf, trn_dtype_t dt, int64_t np, int64_t nrows, int64_t Wp,
                          int64_t top, int64_t bottom, int64_t left, int64_t right) {
  if (top >= bottom || left >= right) {
    emit_memset(L, buf, 0.0);
    return;
  }
  int64_t one = 1;
  if (top > 0) {
    int64_t n = top * Wp;
    emit_memset(L, emit_view_strided(L, buf, dt, 0, 0, np, 1, &n, &one), 0.0);
  }
  if (bottom < nrows) {
    int64_t n = (nrows - bottom) * Wp;
    emit_memset(L, emit_view_strided(L, buf, dt, 0, bottom * Wp, np, 1, &n, &one), 0.0);
  }
  int64_t steps[2] = {1, Wp};
  if (left > 0) {
    int64_t nums[2] = {left, bottom - top};
    emit_memset(L, emit_view_strided(L, buf, dt, 0, top * Wp, np, 2, nums, steps), 0.0);
  }
  if (right < Wp) {
    int64_t nums[2] = {Wp - right, bottom - top};
    emit_memset(L, emit_view_strided(L, buf, dt, 0, top * Wp + right, np, 2, nums, steps), 0.0);
  }
}

/* Zeroes what the blocks (dkh, kw) of a packed band buffer [np, nrows * Wp] (see
 * conv2d_packed; block (dkh, kw) holds the band from padded row r0 + dkh * dil,
 * shifted left by kw * dil columns) hold of the padding: the union over the blocks of
 * the rows above and below the input rows and of the columns left and right of the
 * input columns, as up to four memsets of views (full rows at the top and bottom,
 * column strips between them) instead of one of the whole buffer (DVE time per
 * element). */
static void packed_padding(lower_t *L, const conv_packed_t *cp, const val_t *x, MlirValue buf, int64_t np,
                           int64_t m, int64_t KW, int64_t r0, int64_t nrows) {
  int64_t H = x->dims[1], W = x->dims[2], Wp = cp->Wp;
  int64_t top = 0, bottom = nrows, left = 0, right = Wp;
  for (int64_t dkh = 0; dkh < m; dkh++) {
    int64_t rs = r0 + dkh * cp->dil[0] - cp->pad[0]; /* input row at buffer row 0 */
    int64_t h0 = rs > 0 ? rs : 0, h1 = min64(rs + nrows, H);
    if (h1 <= h0) { /* a block of padding only */
      top = nrows;
      break;
    }
    if (h0 - rs > top) top = h0 - rs;
    if (h1 - rs < bottom) bottom = h1 - rs;
  }
  for (int64_t kw = 0; kw < KW; kw++) {
    int64_t cs = kw * cp->dil[1] - cp->pad[2]; /* input column at buffer column 0 */
    int64_t w0 = cs > 0 ? cs : 0;
    if (w0 - cs > left) left = w0 - cs;
    if (W - cs < right) right = W - cs;
  }
  packed_border(L, buf, cp->dt, np, nrows, Wp, top, bottom, left, right);
}

/* ceil(a / 2) for any sign of a. */
static int64_t ceil_half(int64_t a) { return a >= 0 ? (a + 1) / 2 : -((-a) / 2); }

/* Space-to-depth blocks of a packed band buffer [np, nrows * Wz] (see conv2d_packed):
 * partition IC * (4 (dkh * KW + b) + 2 p + q) + c, buffer row r, column j holds padded
 * element (2 (r0 + dkh + r) + p, 2 (b + j) + q, c) of image n, i.e. the rows and
 * columns of one phase (p, q) of the padded image, read by one DMA with element steps
 * of 2 from HBM. Fills the padding (elements outside the input, on any block) with 0
 * first, then loads the input elements. */
static void s2d_fill(lower_t *L, const conv_packed_t *cp, int64_t n, MlirValue buf, int64_t m, int64_t KW,
                     int64_t r0, int64_t nrows, int64_t Wz, bool border, bool loads) {
  const val_t *x = &L->vals[cp->xi];
  int64_t H = x->dims[1], W = x->dims[2], IC = x->dims[3], F = nrows * Wz, np = m * KW * 4 * IC;
  /* rows [rlo, rhi) and columns [jlo, jhi) of block (dkh, b), phase (p, q) hold input
   * elements: 0 <= 2 (r0 + dkh + r) + p - pad[0] < H, 0 <= 2 (b + j) + q - pad[2] < W */
  int64_t top = 0, bottom = nrows, left = 0, right = Wz;
  for (int64_t dkh = 0; dkh < m; dkh++)
    for (int64_t p = 0; p < 2; p++) {
      int64_t rlo = ceil_half(cp->pad[0] - p) - r0 - dkh, rhi = ceil_half(cp->pad[0] + H - p) - r0 - dkh;
      if (rlo > top) top = rlo;
      if (rhi < bottom) bottom = rhi;
    }
  for (int64_t b = 0; b < KW; b++)
    for (int64_t q = 0; q < 2; q++) {
      int64_t jlo = ceil_half(cp->pad[2] - q) - b, jhi = ceil_half(cp->pad[2] + W - q) - b;
      if (jlo > left) left = jlo;
      if (jhi < right) right = jhi;
    }
  if (border) packed_border(L, buf, cp->dt, np, nrows, Wz, top, bottom, left, right);
  if (L->failed || !loads) return;
  MlirValue hbm = buf_value(L, x->buf);
  if (mlirValueIsNull(hbm)) return;
  for (int64_t dkh = 0; dkh < m && !L->failed; dkh++)
    for (int64_t b = 0; b < KW && !L->failed; b++)
      for (int64_t p = 0; p < 2; p++)
        for (int64_t q = 0; q < 2; q++) {
          int64_t rlo = ceil_half(cp->pad[0] - p) - r0 - dkh, rhi = ceil_half(cp->pad[0] + H - p) - r0 - dkh;
          int64_t jlo = ceil_half(cp->pad[2] - q) - b, jhi = ceil_half(cp->pad[2] + W - q) - b;
          if (rlo < 0) rlo = 0;
          if (rhi > nrows) rhi = nrows;
          if (jlo < 0) jlo = 0;
          if (jhi > Wz) jhi = Wz;
          if (rhi <= rlo || jhi <= jlo) continue;
          int64_t h = 2 * (r0 + dkh + rlo) + p - cp->pad[0], w = 2 * (b + jlo) + q - cp->pad[2];
          int64_t pb = ((dkh * KW + b) * 4 + 2 * p + q) * IC;
          int64_t sizes[3] = {IC, rhi - rlo, jhi - jlo};
          int64_t ss[3] = {x->strides[3], 2 * x->strides[1], 2 * x->strides[2]}, ds[3] = {F, Wz, 1};
          emit_dma(L, hbm, buf, 3, sizes, x->offset + n * x->strides[0] + h * x->strides[1] + w * x->strides[2], ss,
                   pb * F + rlo * Wz + jlo, ds);
        }
}

/* Kernel rows in groups of m (as few groups as fit the partitions: m * KW * IC <= P,
 * then m as small as that number of groups allows, to copy the band fewer times):
 * per band of output rows one image buffer whose partition block (dkh, kw) (IC
 * partitions each) holds the band from padded row r0 + dkh * dil, shifted left by
 * kw * dil columns (one DMA each). Per group j of kernel rows a weight tile
 * [rows * KW * IC, OC chunk] loaded once (one DMA per kernel row), and per PSUM block
 * one matmul per group: the window view of the blocks (dkh < rows of group j), j * m
 * * dil rows down.
 * With cp->s2d (stride 2, no dilation, input in HBM) the same scheme runs on the
 * equivalent stride-1 convolution over the 2x2 space-to-depth image z[i, j, (p, q, c)]
 * = padded x[2i + p, 2j + q, c] (4 IC channels, OH + KH' - 1 rows of OW + KW' - 1
 * columns) with the ceil(KH / 2) x ceil(KW / 2) kernel w'[a, b, (p, q, c)] = w[2a + p,
 * 2b + q, c] (0 past the kernel): each block holds one phase of the padded image, so
 * the band is read from HBM m * KW' times instead of m * KW times per image (ResNet's
 * 7x7 stem: 8 copies instead of 28), gathered by DMAs with element steps of 2. */
static void conv2d_packed(lower_t *L, const conv_packed_t *cp) {
  const val_t *y = cp->y, *x = &L->vals[cp->xi];
  int64_t N = y->dims[0], OH = y->dims[1], OW = y->dims[2], OC = y->dims[3];
  int64_t KH0 = L->vals[cp->wi].dims[1], KW0 = L->vals[cp->wi].dims[2], IC0 = x->dims[3];
  bool s2d = cp->s2d;
  /* the convolution the blocks compute: the original one or its space-to-depth form */
  int64_t KH = s2d ? (KH0 + 1) / 2 : KH0, KW = s2d ? (KW0 + 1) / 2 : KW0, IC = s2d ? 4 * IC0 : IC0;
  int64_t sh = s2d ? 1 : cp->stride[0], sw = s2d ? 1 : cp->stride[1], dh = s2d ? 1 : cp->dil[0];
  int64_t Hp = s2d ? OH + KH - 1 : x->dims[1] + cp->pad[0] + cp->pad[1], Wp = s2d ? OW + KW - 1 : cp->Wp;
  int64_t P = L->target->partitions;
  int64_t mmax = P / (KW * IC);
  if (mmax > KH) mmax = KH;
  int64_t nj = (KH + mmax - 1) / mmax, m = (KH + nj - 1) / nj; /* groups of m kernel rows */
  int64_t noc = (OC + cp->stat_max - 1) / cp->stat_max, halo = (nj - 1) * m * dh;
  bool whole;
  int64_t band = band_rows(L, "tosa.conv2d", Hp, Wp * (int64_t)trn_isa_dtype_size(cp->dt), OH, sh,
                           1 + halo, cp->rb, &whole);
  if (!band) return;
  /* the space-to-depth image often fits SBUF whole; its bands stay those of the
   * stride-2 image (cp->band) so that loading overlaps the matmuls of earlier bands */
  if (s2d && cp->band > 0 && cp->band < band) band = cp->band;
  MlirValue *wt = calloc((size_t)(nj * noc), sizeof *wt);
  if (!wt) {
    fail_oom(L);
    return;
  }
  const val_t *w = &L->vals[cp->wi];
  MlirValue whbm = buf_value(L, w->buf);
  /* the weight tiles (and memsets) now, their loads with the first band's (below) */
  for (int64_t oci = 0; oci < noc && !L->failed && !mlirValueIsNull(whbm); oci++) {
    int64_t ocsz = min64(cp->stat_max, OC - oci * cp->stat_max);
    for (int64_t j = 0; j < nj && !L->failed; j++) {
      int64_t nk = min64(m, KH - j * m);
      MlirValue tile = alloc_tile(L, TRN_SPACE_SBUF, cp->dt, nk * KW * IC, ocsz);
      wt[oci * nj + j] = tile;
      /* 0 past the kernel: memset first when an odd kernel leaves such taps */
      if (s2d && !mlirValueIsNull(tile) && (KH0 % 2 || KW0 % 2)) emit_memset(L, tile, 0.0);
    }
  }
  /* Bands grow from one block of rb output rows, doubling up to `band`: the first
   * matmuls wait only for the first band's rows. From -O2 the first band's loads and
   * the weights' are one DMA round (trn-lower-to-isa: one fixed cost per queue, spread
   * over all of them), so that the first matmul starts about one fixed cost in. (A
   * round per later band measured slower: ResNet-50 566.7 us against 565.5.) */
  bool rounds = L->opts->opt_level >= 2;
  for (int64_t n = 0; n < N && !L->failed && !mlirValueIsNull(whbm); n++) {
    int64_t grow_to = cp->rb < band ? cp->rb : band;
    for (int64_t ob0 = 0; ob0 < OH && !L->failed; ob0 += grow_to, grow_to = min64(2 * grow_to, band)) {
      int64_t bsz = min64(grow_to, OH - ob0);
      int64_t r0 = ob0 * sh, nrows = (bsz - 1) * sh + 1 + halo;
      MlirValue img = alloc_tile(L, TRN_SPACE_SBUF, cp->dt, m * KW * IC, nrows * Wp);
      if (mlirValueIsNull(img)) break;
      if (s2d)
        s2d_fill(L, cp, n, img, m, KW, r0, nrows, Wp, true, false);
      else
        packed_padding(L, cp, x, img, m * KW * IC, m, KW, r0, nrows);
      if (rounds && ob0 == 0) L->dma_round = ++L->rounds;
      for (int64_t oci = 0; oci < noc && n == 0 && ob0 == 0 && !L->failed; oci++) {
        int64_t oc0 = oci * cp->stat_max, ocsz = min64(cp->stat_max, OC - oc0);
        for (int64_t j = 0; j < nj && !L->failed; j++) {
          int64_t nk = min64(m, KH - j * m);
          MlirValue tile = wt[oci * nj + j];
          if (mlirValueIsNull(tile)) break;
          if (s2d) {
            /* rows (b, p, q, c) of block row dkh: w[oc0 + o, 2 (j m + dkh) + p, 2b + q, c] */
            for (int64_t dkh = 0; dkh < nk; dkh++)
              for (int64_t p = 0; p < 2; p++)
                for (int64_t q = 0; q < 2; q++) {
                  int64_t kh = 2 * (j * m + dkh) + p, nb = (KW0 - q + 1) / 2;
                  if (kh >= KH0 || nb < 1) continue;
                  int64_t sizes[3] = {nb, IC0, ocsz}, ss[3] = {2 * w->strides[2], w->strides[3], w->strides[0]};
                  int64_t ds[3] = {IC * ocsz, ocsz, 1};
                  int64_t soff = w->offset + oc0 * w->strides[0] + kh * w->strides[1] + q * w->strides[2];
                  emit_dma(L, whbm, tile, 3, sizes, soff, ss, (dkh * KW * IC + (2 * p + q) * IC0) * ocsz, ds);
                }
            continue;
          }
          for (int64_t dkh = 0; dkh < nk; dkh++) {
            /* rows (kw, c) of kernel row j * m + dkh: w[oc0 + o, kh, kw, c] */
            int64_t sizes[3] = {KW, IC, ocsz}, ss[3] = {w->strides[2], w->strides[3], w->strides[0]};
            int64_t ds[3] = {IC * ocsz, ocsz, 1};
            int64_t soff = w->offset + oc0 * w->strides[0] + (j * m + dkh) * w->strides[1];
            emit_dma(L, whbm, tile, 3, sizes, soff, ss, dkh * KW * IC * ocsz, ds);
          }
        }
      }
      if (s2d) s2d_fill(L, cp, n, img, m, KW, r0, nrows, Wp, false, true);
      for (int64_t dkh = 0; dkh < m && !L->failed && !s2d; dkh++)
        for (int64_t kw = 0; kw < KW && !L->failed; kw++)
          image_fill(L, cp->xi, 3, n, 0, IC, cp->pad, r0 + dkh * cp->dil[0], nrows, kw * cp->dil[1], img,
                     (dkh * KW + kw) * IC, false);
      L->dma_round = 0;
      for (int64_t oci = 0; oci < noc && !L->failed; oci++) {
        int64_t oc0 = oci * cp->stat_max, ocsz = min64(cp->stat_max, OC - oc0);
        MlirValue btile = {NULL};
        if (cp->has_bias) {
          box_t bb = {{oc0}, {ocsz}};
          btile = get_tile(L, &L->vals[cp->bi], &bb, 0, TRN_DTYPE_FP32);
        }
        for (int64_t oh0 = ob0; oh0 < ob0 + bsz && !L->failed; oh0 += cp->rb) {
          int64_t rbsz = min64(cp->rb, ob0 + bsz - oh0);
          for (int64_t ow0 = 0; ow0 < OW && !L->failed; ow0 += cp->owb) {
            int64_t owsz = min64(cp->owb, OW - ow0);
            MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, ocsz, rbsz * owsz);
            for (int64_t j = 0; j < nj && !L->failed; j++) {
              int64_t nk = min64(m, KH - j * m);
              int64_t start = (oh0 * sh - r0 + j * m * dh) * Wp + ow0 * sw;
              int64_t nums[2] = {owsz, rbsz}, steps[2] = {sw, sh * Wp};
              MlirValue win = emit_view_strided(L, img, cp->dt, 0, start, nk * KW * IC, 2, nums, steps);
              emit_matmul(L, wt[oci * nj + j], win, psum, j > 0);
            }
            box_t ybox = {{n, oh0, ow0, oc0}, {1, rbsz, owsz, ocsz}};
            if (!L->failed) evict(L, cp->ep, y, &ybox, psum, cp->out_dt, btile, cp->stat_max, cp->fi, cp->final_value);
          }
        }
      }
    }
  }
  free(wt);
}

/* The tile of the on-chip NHWC value x (channels on partitions) that holds channels
 * [c0, c0 + csz) exactly (on its partitions from 0) and input rows [h0, h1], columns
 * [w0, w1] of image n, as `dt`: a convolution window inside it is a strided view of
 * the tile itself, with no padded image copy. NULL when no tile does. */
static const tref_t *window_tile(const val_t *x, int64_t n, int64_t c0, int64_t csz, int64_t h0, int64_t h1,
                                 int64_t w0, int64_t w1, trn_dtype_t dt) {
  for (size_t t = 0; t < x->ntiles; t++) {
    const tref_t *tr = &x->tiles[t];
    const box_t *b = &tr->box;
    if (tr->pdim != 3 || tr->dtype != dt || b->start[3] != c0 || b->size[3] != csz) continue;
    if (n < b->start[0] || n >= b->start[0] + b->size[0]) continue;
    if (h0 < b->start[1] || h1 >= b->start[1] + b->size[1]) continue;
    if (w0 < b->start[2] || w1 >= b->start[2] + b->size[2]) continue;
    return tr;
  }
  return NULL;
}

/* Whether every window of an unpadded convolution (output pixel blocks of rb rows x
 * owb columns, every tap and input channel chunk) lies inside one tile of its on-chip
 * input (see window_tile). */
static bool conv_windows_direct(const lower_t *L, const val_t *x, const val_t *y, int64_t KH, int64_t KW,
                                const int64_t *stride, const int64_t *dil, int64_t rb, int64_t owb, trn_dtype_t dt) {
  int64_t P = L->target->partitions, IC = x->dims[3];
  if (x->kind != V_CHIP || x->pdim != 3 || x->ntiles == 0) return false;
  for (int64_t n = 0; n < y->dims[0]; n++)
    for (int64_t oh0 = 0; oh0 < y->dims[1]; oh0 += rb)
      for (int64_t ow0 = 0; ow0 < y->dims[2]; ow0 += owb) {
        int64_t rbsz = min64(rb, y->dims[1] - oh0), owsz = min64(owb, y->dims[2] - ow0);
        for (int64_t kh = 0; kh < KH; kh++)
          for (int64_t kw = 0; kw < KW; kw++)
            for (int64_t c0 = 0; c0 < IC; c0 += P) {
              int64_t h0 = oh0 * stride[0] + kh * dil[0], w0 = ow0 * stride[1] + kw * dil[1];
              if (!window_tile(x, n, c0, min64(P, IC - c0), h0, h0 + (rbsz - 1) * stride[0], w0,
                               w0 + (owsz - 1) * stride[1], dt))
                return false;
            }
      }
  return true;
}

/* ---- row-split convolutions -------------------------------------------------- */

/* PE cycles (per fp32 factor) of a matmul with N moving columns and at least 64
 * stationary ones (the cost model, trn_isa_matmul_cycles). */
static int64_t split_mm(const trn_target_t *t, int64_t n) {
  return (int64_t)trn_isa_matmul_cycles(t, 64, (uint64_t)n, false);
}

static int64_t split_1x1_cost(const trn_target_t *t, int64_t OH, int64_t OW, int64_t rh, int64_t rb, bool split) {
  int64_t c = 0;
  if (!split) {
    for (int64_t y = 0; y < OH; y += rb) c += split_mm(t, min64(rb, OH - y) * OW);
    return c;
  }
  for (int64_t t0 = 0; t0 < OH; t0 += 2 * rh)
    for (int64_t y = t0, end = min64(t0 + 2 * rh, OH); y < end; y += rb) {
      int64_t n = min64(rb, end - y);
      c += split_mm(t, (n + 1) / 2 * OW) + (n >= 2 ? split_mm(t, n / 2 * OW) : 0);
    }
  return c;
}

/* Adds to *before / *after the PE cycles of the consumers of `v` (a value with
 * `pdim` on partitions, the convolution result of split_pays seen through relabeling
 * transposes) without and with the row-split form; false if one of them is not a
 * convolution with constant weights and the channels on partitions that is either 1x1
 * with stride 1 and no padding (conv2d_from_split) or a tap-pair conv over the whole
 * image (image_fill fills its image from the parities), or a transpose to one that
 * keeps the tiles (lower_transpose relabels them). */
static bool split_users(lower_t *L, MlirValue v, int pdim, int64_t OH, int64_t OW, int64_t rh, int64_t rb,
                        int64_t stat_max, bool weights, int depth, int64_t *before, int64_t *after) {
  uint32_t rank;
  int64_t dims[R];
  trn_dtype_t vdt;
  if (depth > 4 || !trn_ir_tensor_shape(mlirValueGetType(v), &rank, dims, &vdt) || rank != 4) return false;
  bool any = false;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation c = mlirOpOperandGetOwner(u);
    if (mlirOpOperandGetOperandNumber(u) != 0) return false;
    if (trn_ir_is(c, "tosa.transpose")) {
      int64_t perm[R], last = -1;
      int q = -1;
      if (!perms_of(c, 4, perm)) return false;
      for (int d = 0; d < 4; d++) {
        if (perm[d] == pdim) {
          q = d;
          continue;
        }
        if (dims[perm[d]] == 1) continue;
        if (perm[d] < last) return false;
        last = perm[d];
      }
      if (q < 0 || !split_users(L, mlirOperationGetResult(c, 0), q, OH, OW, rh, rb, stat_max, weights, depth + 1, before,
                                after))
        return false;
      any = true;
      continue;
    }
    if (!trn_ir_is(c, "tosa.conv2d") || pdim != 3) return false;
    int64_t pad[4], stride[2], pd = 3;
    size_t n = 0;
    if (!trn_ir_get_i64_array(c, "pad", pad, 4, &n) || n != 4 || !trn_ir_get_i64_array(c, "stride", stride, 2, &n) ||
        n != 2)
      return false;
    trn_ir_get_int(c, "trn.pdim", &pd);
    if (pd != 3) return false;
    MlirValue w = mlirOperationGetOperand(c, 1);
    int64_t wd[R];
    if (!trn_ir_tensor_shape(mlirValueGetType(w), &rank, wd, &vdt) || rank != 4 || dims[1] != OH || dims[2] != OW)
      return false;
    if (wd[1] == 1 && wd[2] == 1) {
      if (pad[0] || pad[1] || pad[2] || pad[3] || stride[0] != 1 || stride[1] != 1) return false;
      int64_t chunks = (wd[0] + stat_max - 1) / stat_max;
      *before += chunks * split_1x1_cost(L->target, OH, OW, rh, rb, false);
      *after += chunks * split_1x1_cost(L->target, OH, OW, rh, rb, true);
    } else {
      /* a tap-pair convolution over the whole image (lower_conv2d): its image buffer
       * is filled from the parities' rows (image_fill), its matmuls unchanged. Only
       * with fp32 matmuls: half the rows then move partitions by DMAs that the copies
       * of the other rows wait for, which costs about what a 16-bit conv's PE saving
       * is worth (ResNet-18 layer1 measured slower with --auto-cast) */
      int64_t Hp = OH + pad[0] + pad[1], Wp = OW + pad[2] + pad[3];
      int64_t size = (int64_t)trn_isa_dtype_size(matmul_dtype(L, vdt));
      if (wd[2] < 2 || 2 * dims[3] > (int64_t)L->target->partitions || L->opts->opt_level < 2 || size < 4 ||
          Hp * Wp * size > (int64_t)L->target->sbuf_partition_bytes / 2)
        return false;
    }
    /* the weights: an HBM view of a constant (lowered now if not yet), as the 1x1
     * form and tap pairs need */
    if (weights && !ensure_hbm_val(L, w, 0)) return false;
    any = true;
  }
  return any;
}

/* Whether the row-split form (conv2d_split) of a conv with an OH x OW result, KH
 * kernel rows and npair tap pairs pays off: every consumer of its result `v` (`pdim`
 * on partitions) is one conv2d_from_split serves (split_users), and the PE cycles of
 * the conv and those consumers (estimated from the cost formula) drop. */
static bool split_pays(lower_t *L, MlirValue v, int pdim, int64_t OH, int64_t OW, int64_t KH, int64_t npair,
                       int64_t mov_max, int64_t stat_max) {
  int64_t rb = min64(OH, mov_max / OW), rh = min64(mov_max / OW, (OH + 1) / 2);
  int64_t before = 0, after = 0;
  for (int64_t y = 0; y < OH; y += rb) before += KH * npair * split_mm(L->target, min64(rb, OH - y) * OW);
  for (int64_t y = 0; y < OH; y += 2 * rh)
    after += (KH + 1) * npair * split_mm(L->target, (min64(2 * rh, OH - y) + 1) / 2 * OW);
  if (!split_users(L, v, pdim, OH, OW, rh, rb, stat_max, false, 0, &before, &after) || after >= before) return false;
  return split_users(L, v, pdim, OH, OW, rh, rb, stat_max, true, 0, &before, &after);
}

/* The operands of a row-split convolution (see lower_conv2d). */
typedef struct conv_split_t {
  size_t xi, wi, bi, fi;
  bool has_bias;
  const epilogue_t *ep;
  const val_t *y;
  const int64_t *pad;
  MlirValue final_value; /* the value the epilogue ends in (vals[fi]) */
  trn_dtype_t dt, out_dt;
  int64_t mov_max;
} conv_split_t;

/* A stride-1 convolution with tap pairs (KH >= 2, 2 OC <= the PE columns) whose
 * result only feeds 1x1 and tap-pair convolutions (split_users), computing two output rows per matmul: the
 * stationary tile [2 IC, 2 OC] of kernel-row offset d and tap pair j holds in its
 * columns [OC, 2 OC) the pair's weights of kernel row d (for output row y) and in [0,
 * OC) those of kernel row d - 1 (for row y + 1, which reads the same input rows one
 * kernel row later); the moving window takes every other output row (row step 2 Wp),
 * so PSUM partitions [OC, 2 OC) accumulate rows y, y + 2, ... and [0, OC) rows y + 1,
 * y + 3, ... Offsets d = 1 .. KH - 1 use both column halves; d = 0 only the upper one
 * (into PSUM partitions [OC, 2 OC)), d = KH only the lower one: (KH + 1) * npair
 * matmuls of N / 2 columns per block of 2 rh rows instead of KH * npair of N for rh
 * rows. One ACTIVATE evicts both halves (the bias loaded on both); the result keeps
 * its channels on two partition halves by row parity (val_t.split), as the engines
 * cannot move data across partitions: its consumers read it. The image buffer has
 * one extra zero row when OH is odd (the last block's odd half reads it). */
static void conv2d_split(lower_t *L, const conv_split_t *cs) {
  const val_t *y = cs->y;
  int64_t N = y->dims[0], OH = y->dims[1], OW = y->dims[2], OC = y->dims[3];
  int64_t KH = L->vals[cs->wi].dims[1], KW = L->vals[cs->wi].dims[2], IC = L->vals[cs->wi].dims[3];
  int64_t H = L->vals[cs->xi].dims[1], W = L->vals[cs->xi].dims[2];
  const int64_t *pad = cs->pad;
  int64_t Hp = H + pad[0] + pad[1], Wp = W + pad[2] + pad[3], nrows = Hp + OH % 2;
  int64_t npair = (KW + 1) / 2, F = npair * KH * OC;
  int64_t rh = cs->mov_max / OW; /* output rows per half of a block */
  if (rh > (OH + 1) / 2) rh = (OH + 1) / 2;
  trn_dtype_t dt = cs->dt;
  /* the weight panel [2 IC, F]: per pair j the tiles [2 IC, OC] of its KH kernel
   * rows side by side, so that those of kernel rows d - 1 and d are one [2 IC, 2 OC]
   * view; one DMA per pair and half (taps 2j and 2j + 1), each filling its own range
   * of the panel */
  const val_t *w = &L->vals[cs->wi];
  MlirValue whbm = buf_value(L, w->buf);
  MlirValue panel = alloc_tile(L, TRN_SPACE_SBUF, dt, 2 * IC, F);
  if (mlirValueIsNull(whbm) || mlirValueIsNull(panel)) return;
  w = &L->vals[cs->wi];
  for (int64_t j = 0; j < npair; j++)
    for (int64_t half = 0; half < 2 && 2 * j + half < KW; half++) {
      int64_t sizes[3] = {KH, IC, OC}, ss[3] = {w->strides[1], w->strides[3], w->strides[0]};
      int64_t ds[3] = {OC, F, 1};
      emit_dma(L, whbm, panel, 3, sizes, w->offset + (2 * j + half) * w->strides[2], ss,
               half * IC * F + j * KH * OC, ds);
    }
  MlirValue btile = {NULL};
  if (cs->has_bias) {
    const val_t *b = &L->vals[cs->bi];
    MlirValue bhbm = buf_value(L, b->buf);
    btile = alloc_tile(L, TRN_SPACE_SBUF, TRN_DTYPE_FP32, 2 * OC, 1);
    if (mlirValueIsNull(bhbm) || mlirValueIsNull(btile)) return;
    b = &L->vals[cs->bi];
    int64_t sizes[2] = {2, OC}, ss[2] = {0, b->strides[0]}, ds[2] = {OC, 1};
    emit_dma(L, bhbm, btile, 2, sizes, b->offset, ss, 0, ds);
  }
  for (int64_t n = 0; n < N && !L->failed; n++) {
    MlirValue img = alloc_tile(L, TRN_SPACE_SBUF, dt, 2 * IC, nrows * Wp);
    if (mlirValueIsNull(img)) return;
    image_border(L, img, dt, 0, IC, H, W, pad, 0, nrows, 0, 0.0);
    image_border(L, img, dt, IC, IC, H, W, pad, 0, nrows, 1, 0.0);
    image_fill(L, cs->xi, 3, n, 0, IC, pad, 0, nrows, 0, img, 0, false);
    image_fill(L, cs->xi, 3, n, 0, IC, pad, 0, nrows, 1, img, IC, false);
    for (int64_t y0 = 0; y0 < OH && !L->failed; y0 += 2 * rh) {
      int64_t nr = min64(2 * rh, OH - y0), ne = (nr + 1) / 2;
      MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, 2 * OC, ne * OW);
      if (mlirValueIsNull(psum)) return;
      MlirValue lo = emit_view_in(L, TRN_SPACE_PSUM, psum, TRN_DTYPE_FP32, 0, 0, OC, ne * OW);
      MlirValue hi = emit_view_in(L, TRN_SPACE_PSUM, psum, TRN_DTYPE_FP32, OC, 0, OC, ne * OW);
      bool first = true;
      for (int64_t s = 0; s <= KH && !L->failed; s++) {
        int64_t d = s < KH - 1 ? s + 1 : s == KH - 1 ? 0 : KH; /* 1 .. KH - 1, then 0, then KH */
        for (int64_t j = 0; j < npair && !L->failed; j++) {
          int64_t K = 2 * j + 1 < KW ? 2 * IC : IC;
          int64_t nums[2] = {OW, ne}, steps[2] = {1, 2 * Wp};
          MlirValue win = emit_view_strided(L, img, dt, 0, (y0 + d) * Wp + 2 * j, K, 2, nums, steps);
          MlirValue stat, dst;
          if (d == 0) {
            stat = emit_view(L, panel, dt, 0, j * KH * OC, K, OC);
            dst = hi;
          } else if (d == KH) {
            stat = emit_view(L, panel, dt, 0, (j * KH + KH - 1) * OC, K, OC);
            dst = lo;
          } else {
            stat = emit_view(L, panel, dt, 0, (j * KH + d - 1) * OC, K, 2 * OC);
            dst = psum;
          }
          emit_matmul(L, stat, win, dst, !first);
          first = false;
        }
      }
      if (L->failed) return;
      MlirValue out = alloc_tile(L, TRN_SPACE_SBUF, cs->out_dt, 2 * OC, ne * OW);
      if (mlirValueIsNull(out)) return;
      emit_activate(L, psum, out, btile, cs->ep->func, cs->ep->scale, 0.0);
      /* the box and row dim in the coordinates of the value the epilogue ends in */
      box_t box = {{n, y0, 0, 0}, {1, nr, OW, OC}};
      int row = 1, pd = 3;
      for (int i = 0; i < cs->ep->nsteps; i++) {
        const step_t *st = &cs->ep->steps[i];
        if (st->kind != STEP_TRANSPOSE) continue;
        box = permute_box(&box, st->perm, 4);
        for (int d = 0; d < 4; d++)
          if (st->perm[d] == row) {
            row = d;
            break;
          }
        pd = st->shape.pdim;
      }
      val_t *f = &L->vals[cs->fi];
      if (!add_tile(L, &f->tiles, &f->ntiles, &f->cap_tiles, out, &box, pd)) return;
      f = &L->vals[cs->fi];
      f->split = OC;
      f->split_dim = row;
      f->tile_bytes += ne * OW * (int64_t)trn_isa_dtype_size(cs->out_dt);
    }
  }
}

/* A 1x1 convolution (stride 1, no padding) of a row-split value (see conv2d_split):
 * per output channel chunk a weight panel [2 C, OC chunk] holding the weights on both
 * partition halves, and per block of whole output rows inside one input tile two
 * matmuls, one per row parity: K = C on that parity's partitions, moving the parity's
 * rows (contiguous in the tile), writing every other row of the PSUM tile. Each
 * block's PSUM tile is evicted as usual. */
static void conv2d_from_split(lower_t *L, const conv_split_t *cs, int64_t stat_max) {
  const val_t *y = cs->y, *x = &L->vals[cs->xi];
  int64_t OC = y->dims[3], OW = y->dims[2], C = x->dims[3], half = x->split;
  trn_dtype_t dt = cs->dt;
  const val_t *w = &L->vals[cs->wi];
  if (w->kind != V_HBM || w->dims[1] != 1 || w->dims[2] != 1 || w->dims[3] != C || half < C || x->pdim != 3 ||
      x->split_dim != 1 ||
      OW != x->dims[2] || cs->pad[0] || cs->pad[1] || cs->pad[2] || cs->pad[3]) {
    fail(L, "a row-split convolution result feeds an op that cannot read it (internal error)", NULL);
    return;
  }
  int64_t rb = cs->mov_max / OW;
  if (rb < 1) rb = 1;
  MlirValue whbm = buf_value(L, w->buf);
  if (mlirValueIsNull(whbm)) return;
  for (int64_t oc0 = 0; oc0 < OC && !L->failed; oc0 += stat_max) {
    int64_t ocsz = min64(stat_max, OC - oc0);
    MlirValue panel = alloc_tile(L, TRN_SPACE_SBUF, dt, half + C, ocsz);
    if (mlirValueIsNull(panel)) return;
    w = &L->vals[cs->wi];
    int64_t sizes[3] = {2, C, ocsz}, ss[3] = {0, w->strides[3], w->strides[0]}, ds[3] = {half * ocsz, ocsz, 1};
    emit_dma(L, whbm, panel, 3, sizes, w->offset + oc0 * w->strides[0], ss, 0, ds);
    /* per row parity h the weights on that parity's partitions (see val_t.split) */
    MlirValue wt[2] = {emit_view(L, panel, dt, half, 0, C, ocsz), emit_view(L, panel, dt, 0, 0, C, ocsz)};
    MlirValue btile = {NULL};
    if (cs->has_bias) {
      box_t bb = {{oc0}, {ocsz}};
      btile = get_tile(L, &L->vals[cs->bi], &bb, 0, TRN_DTYPE_FP32);
    }
    for (size_t t = 0; t < L->vals[cs->xi].ntiles && !L->failed; t++) {
      tref_t tr = L->vals[cs->xi].tiles[t];
      if (tr.dtype != dt || tr.pdim != 3 || tr.box.start[3] != 0 || tr.box.size[3] != C || tr.box.size[0] != 1 ||
          tr.box.size[2] != OW) {
        fail(L, "a row-split convolution input tile of an unexpected form (internal error)", NULL);
        return;
      }
      int64_t n = tr.box.start[0], r0 = tr.box.start[1], nr = tr.box.size[1];
      for (int64_t oh0 = r0; oh0 < r0 + nr && !L->failed; oh0 += rb) {
        int64_t rbsz = min64(rb, r0 + nr - oh0);
        MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, ocsz, rbsz * OW);
        if (mlirValueIsNull(psum)) return;
        for (int64_t h = 0; h < 2; h++) {
          /* the block's rows of parity h (relative to the tile): r, r + 2, ... */
          int64_t r = oh0 + ((oh0 - r0) % 2 != h);
          if (r >= oh0 + rbsz) continue;
          int64_t cnt = (oh0 + rbsz - r + 1) / 2;
          MlirValue mov = emit_view(L, tr.tile, dt, (1 - h) * half, (r - r0) / 2 * OW, C, cnt * OW);
          int64_t nums[2] = {OW, cnt}, steps[2] = {1, 2 * OW};
          MlirValue dst = emit_view_strided(L, psum, TRN_DTYPE_FP32, 0, (r - oh0) * OW, ocsz, 2, nums, steps);
          /* the two parities write disjoint PSUM columns: both overwrite */
          emit_matmul(L, wt[h], mov, dst, false);
        }
        box_t ybox = {{n, oh0, 0, oc0}, {1, rbsz, OW, ocsz}};
        if (!L->failed) evict(L, cs->ep, y, &ybox, psum, cs->out_dt, btile, stat_max, cs->fi,
                    cs->final_value);
      }
    }
  }
}

/* tosa.conv2d as implicit GEMMs on the tensor engine: output channels on partitions
 * (PSUM [OC chunk, pixels]), accumulating over (kh, kw, input-channel chunk): the
 * stationary operand is the weight tile [IC chunk, OC chunk] of (kh, kw), the moving
 * one a strided window view of the padded input image (input channels on
 * partitions). The bias and the fusable chain after the convolution are applied by
 * the ACTIVATE that evicts PSUM.
 * A banded image with few input channels (KW * IC <= P / 2: ResNet's and MobileNet's
 * first conv, 3 channels) packs the taps instead (conv2d_packed): partitions (kernel
 * row dkh of a group of rows, kw, channel), each block holding the band shifted by its
 * (dkh, kw) offset, so that one window view and one weight tile cover a group of
 * kernel rows: one matmul per group instead of one per tap.
 * From -O2, tap pairs (a shifted second image copy) and, when the result feeds only
 * convolutions that can read it, the row-split form (conv2d_split, conv2d_from_split,
 * and image_fill for a tap-pair consumer). */
static void lower_conv2d(lower_t *L, MlirOperation op) {
  MlirValue res = mlirOperationGetResult(op, 0);
  size_t oi;
  if (!new_val(L, res, &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0)), *w = get_val(L, mlirOperationGetOperand(op, 1));
  val_t *bias = get_val(L, mlirOperationGetOperand(op, 2));
  if (!x || !w || !bias) {
    fail(L, "convolution operand has no value (internal error)", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals), wi = (size_t)(w - L->vals), bi = (size_t)(bias - L->vals);
  val_t yshape = L->vals[oi];
  val_t *y = &yshape;
  int64_t pad[4], stride[2], dil[2];
  if (!get_i64s(L, op, "pad", pad, 4) || !get_i64s(L, op, "stride", stride, 2) ||
      !get_i64s(L, op, "dilation", dil, 2))
    return;
  if (x->rank != 4 || w->rank != 4 || y->rank != 4 || !is_float(x->dtype) || !is_float(w->dtype)) {
    fail(L, "tosa.conv2d needs float NHWC input and OHWI weights", NULL);
    return;
  }
  int64_t N = y->dims[0], OH = y->dims[1], OW = y->dims[2], OC = y->dims[3];
  int64_t KH = w->dims[1], KW = w->dims[2], IC = w->dims[3];
  int64_t Hp = x->dims[1] + pad[0] + pad[1], Wp = x->dims[2] + pad[2] + pad[3];
  int64_t P = L->target->partitions, stat_max = L->target->pe_cols < P ? L->target->pe_cols : P;
  int64_t mov_max = L->target->moving_free_max;
  int64_t bank_elems = (int64_t)(L->target->psum_partition_bytes / L->target->psum_banks) / 4;
  if (mov_max > bank_elems) mov_max = bank_elems;
  trn_dtype_t dt = matmul_dtype(L, x->dtype);
  int64_t nic = (IC + P - 1) / P;
  int64_t pd = 3;
  trn_ir_get_int(op, "trn.pdim", &pd);
  if (pd != 3) {
    fail(L, "tosa.conv2d result layout must have the channels on partitions (trn.pdim = 3)", NULL);
    return;
  }
  /* the conv's own bias: ACT bias tiles unless it is a zero constant */
  bool has_bias = !(bias->splat && bias->splat_value == 0.0);
  if (has_bias && (bias->kind != V_HBM || bias->rank != 1 || bias->dims[0] != OC)) {
    fail(L, "tosa.conv2d bias must be a [OC] tensor in HBM (a constant or input)", NULL);
    return;
  }
  epilogue_t ep;
  y->pdim = 3;
  y->kind = V_CHIP;
  L->vals[oi].pdim = 3;
  L->vals[oi].kind = V_CHIP;
  collect_epilogue(L, res, y, &ep, has_bias);
  MlirValue final_value = ep.nsteps ? mlirOperationGetResult(ep.steps[ep.nsteps - 1].op, 0) : res;
  size_t fi = oi;
  if (ep.nsteps) {
    L->vals[oi].kind = V_FUSED;
    for (int i = 0; i < ep.nsteps; i++) {
      size_t sidx;
      val_t *sv = new_val(L, mlirOperationGetResult(ep.steps[i].op, 0), &sidx);
      if (!sv) return;
      sv->kind = V_FUSED;
      fi = sidx;
    }
    L->vals[fi].kind = V_CHIP;
    L->vals[fi].pdim = ep.steps[ep.nsteps - 1].shape.pdim;
  }
  trn_dtype_t out_dt = y->dtype;
  if (feeds_only_matmuls(final_value, false, 0) && matmul_dtype(L, y->dtype) != y->dtype) out_dt = matmul_dtype(L, y->dtype);
  conv_split_t cs = {.xi = xi, .wi = wi, .bi = bi, .fi = fi, .has_bias = has_bias, .ep = &ep, .y = y, .pad = pad,
                     .final_value = final_value, .dt = dt, .out_dt = out_dt, .mov_max = mov_max};
  if (L->vals[xi].split && KH == 1 && KW == 1) { /* a row-split input (conv2d_split) */
    conv_weight_hwio(L, wi);
    conv2d_from_split(L, &cs, stat_max);
    return;
  }

  /* pixel blocks: whole rows when a row fits the moving size */
  int64_t owb = OW < mov_max ? OW : mov_max;
  int64_t rb = owb == OW ? mov_max / OW : 1;
  if (rb > OH) rb = OH;
  if (rb < 1) rb = 1;
  /* bands of output rows whose input rows fit SBUF (one band: the whole image) */
  bool whole;
  int64_t band = band_rows(L, "tosa.conv2d", Hp, Wp * nic * (int64_t)trn_isa_dtype_size(dt), OH, stride[0],
                           (KH - 1) * dil[0] + 1, rb, &whole);
  if (!band) return;
  if (L->vals[xi].split && !whole) {
    fail(L, "a row-split convolution result feeds a banded convolution (internal error)", NULL);
    return;
  }
  if (!whole && KH * KW > 1 && KW * IC * 2 <= P && L->vals[wi].kind == V_HBM) {
    conv_packed_t cp = {.xi = xi, .wi = wi, .bi = bi, .fi = fi, .has_bias = has_bias, .ep = &ep, .y = y,
                        .final_value = final_value, .dt = dt, .out_dt = out_dt, .Wp = Wp, .rb = rb, .owb = owb,
                        .stat_max = stat_max, .band = band};
    /* from -O2, a stride-2 conv over an image in HBM as its space-to-depth form */
    cp.s2d = L->opts->opt_level >= 2 && stride[0] == 2 && stride[1] == 2 && dil[0] == 1 && dil[1] == 1 &&
             L->vals[xi].kind == V_HBM && (KW + 1) / 2 * 4 * IC <= P;
    memcpy(cp.pad, pad, sizeof pad);
    memcpy(cp.stride, stride, sizeof stride);
    memcpy(cp.dil, dil, sizeof dil);
    conv2d_packed(L, &cp);
    return;
  }
  /* without padding, windows may read the input tiles in place */
  bool direct = pad[0] == 0 && pad[1] == 0 && pad[2] == 0 && pad[3] == 0 && !L->vals[xi].split &&
                conv_windows_direct(L, &L->vals[xi], y, KH, KW, stride, dil, rb, owb, dt);
  if (direct) {
    whole = true;
    band = OH;
  }
  conv_weight_hwio(L, wi);
  /* Tap pairs: with at most half the partitions of input channels, the image buffer
   * holds a second copy on partitions [IC, 2 IC) shifted left by one tap (dil[1]
   * columns), so that one window view and one weight tile [2 IC, OC chunk] (taps kw,
   * kw + 1) cover two taps: ceil(KW / 2) matmuls per kernel row instead of KW. */
  bool pairs = !direct && nic == 1 && 2 * IC <= P && KW >= 2 && L->vals[wi].kind == V_HBM && L->opts->opt_level >= 2;
  int64_t npair = (KW + 1) / 2;
  if (L->vals[xi].split && !pairs) { /* split_users admits only tap-pair consumers */
    fail(L, "a row-split convolution result feeds a convolution without tap pairs (internal error)", NULL);
    return;
  }
  /* Row-split form (conv2d_split): two output rows per matmul, on the two column
   * halves of the PE, when the result only feeds 1x1 convolutions and that is cheaper */
  bool split_ok = pairs && whole && stride[0] == 1 && stride[1] == 1 && dil[0] == 1 && dil[1] == 1 && KH >= 2 &&
                  2 * OC <= stat_max && OW <= mov_max &&
                  (OH + 1) / 2 * OW * (int64_t)trn_isa_dtype_size(matmul_dtype(L, y->dtype)) <= STREAM_BYTES;
  for (int i = 0; i < ep.nsteps && split_ok; i++)
    if (ep.steps[i].kind != STEP_FUNC && ep.steps[i].kind != STEP_SCALE && ep.steps[i].kind != STEP_TRANSPOSE)
      split_ok = false;
  if (split_ok && split_pays(L, final_value, L->vals[fi].pdim, OH, OW, KH, npair, mov_max, stat_max)) {
    cs.out_dt = matmul_dtype(L, y->dtype); /* read only by matmuls */
    conv2d_split(L, &cs);
    return;
  }
  size_t nw = (size_t)(KH * KW * nic);
  MlirValue *img = calloc((size_t)nic, sizeof *img), *wt = calloc(2 * nw, sizeof *wt), *cwt = wt ? wt + nw : NULL;
  box_t *wboxes = calloc(2 * nw, sizeof *wboxes), *cboxes = wboxes ? wboxes + nw : NULL;
  if (!img || !wt || !wboxes) {
    free(img);
    free(wt);
    free(wboxes);
    fail_oom(L);
    return;
  }
  for (int64_t n = 0; n < N && !L->failed; n++) {
    for (int64_t ob0 = 0; ob0 < OH && !L->failed; ob0 += band) {
      int64_t bsz = min64(band, OH - ob0);
      int64_t r0 = whole ? 0 : ob0 * stride[0], nrows = whole ? Hp : (bsz - 1) * stride[0] + (KH - 1) * dil[0] + 1;
      if (pairs) {
        int64_t H = L->vals[xi].dims[1], W = L->vals[xi].dims[2];
        img[0] = alloc_tile(L, TRN_SPACE_SBUF, dt, 2 * IC, nrows * Wp);
        if (mlirValueIsNull(img[0])) break;
        image_border(L, img[0], dt, 0, IC, H, W, pad, r0, nrows, 0, 0.0);
        image_border(L, img[0], dt, IC, IC, H, W, pad, r0, nrows, dil[1], 0.0);
        image_fill(L, xi, 3, n, 0, IC, pad, r0, nrows, 0, img[0], 0, false);
        image_fill(L, xi, 3, n, 0, IC, pad, r0, nrows, dil[1], img[0], IC, false);
      }
      for (int64_t c = 0; c < nic && !L->failed && !direct && !pairs; c++)
        img[c] = image_buffer(L, xi, 3, n, c * P, min64(P, IC - c * P), pad, r0, nrows, 0.0, dt, false);
      for (int64_t oc0 = 0; oc0 < OC && !L->failed; oc0 += stat_max) {
        int64_t ocsz = min64(stat_max, OC - oc0);
        /* the weight tiles of this OC chunk, one panel: (kh, kw, ic chunk) */
        for (int64_t kh = 0, k = 0; kh < KH; kh++)
          for (int64_t kw = 0; kw < KW; kw++)
            for (int64_t c = 0; c < nic; c++, k++) {
              box_t b = {{oc0, kh, kw, c * P}, {ocsz, 1, 1, min64(P, IC - c * P)}};
              wboxes[k] = b;
            }
        if (pairs) {
          /* one panel [2 IC, KH * npair * ocsz]: per (kh, pair j) the tile [2 IC, ocsz]
           * of taps (kh, 2j) on partitions [0, IC) and (kh, 2j + 1) on [IC, 2 IC) (only
           * the first half for a last single tap), one DMA per kernel row and half */
          const val_t *w = &L->vals[wi];
          MlirValue whbm = buf_value(L, w->buf);
          int64_t F = KH * npair * ocsz;
          MlirValue panel = alloc_tile(L, TRN_SPACE_SBUF, dt, 2 * IC, F);
          if (mlirValueIsNull(whbm) || mlirValueIsNull(panel)) break;
          for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t half = 0; half < 2 && half < KW; half++) {
              /* taps kw = 2j + half, j < npair (and kw < KW) */
              int64_t nj = (KW - half + 1) / 2;
              int64_t sizes[3] = {nj, IC, ocsz}, ss[3] = {2 * w->strides[2], w->strides[3], w->strides[0]};
              int64_t ds[3] = {ocsz, F, 1};
              int64_t soff = w->offset + oc0 * w->strides[0] + kh * w->strides[1] + half * w->strides[2];
              emit_dma(L, whbm, panel, 3, sizes, soff, ss, half * IC * F + kh * npair * ocsz, ds);
            }
          for (int64_t kh = 0; kh < KH; kh++)
            for (int64_t j = 0; j < npair; j++)
              wt[kh * npair + j] =
                  emit_view(L, panel, dt, 0, (kh * npair + j) * ocsz, 2 * j + 1 < KW ? 2 * IC : IC, ocsz);
        } else if (L->vals[wi].kind == V_HBM && nic > 1 && KH * KW > 1 && L->opts->opt_level >= 2) {
          /* one panel per input channel chunk (its KH * KW tiles), each its own
           * buffer: smaller buffers fit the scattered free memory of a full SBUF,
           * where one buffer of all the chunks waits for the last readers of a window
           * that large (ResNet-50's layer4 3x3 panels, 18 KiB per partition in fp32).
           * Not for 1x1 kernels, whose chunk panels would be single tiles: measured
           * slower (more, smaller loads) on ResNet's stride-2 1x1 convolutions. */
          for (int64_t c = 0; c < nic && !L->failed; c++) {
            size_t nt = 0;
            for (size_t k = (size_t)c; k < nw; k += (size_t)nic) cboxes[nt++] = wboxes[k];
            load_panel(L, wi, cboxes, nt, 3, dt, false, cwt);
            for (size_t t = 0; t < nt && !L->failed; t++) wt[t * (size_t)nic + (size_t)c] = cwt[t];
          }
        } else if (L->vals[wi].kind == V_HBM) {
          load_panel(L, wi, wboxes, nw, 3, dt, false, wt);
        } else {
          for (size_t k = 0; k < nw && !L->failed; k++) wt[k] = get_tile(L, &L->vals[wi], &wboxes[k], 3, dt);
        }
        MlirValue btile = {NULL};
        if (has_bias) {
          box_t bb = {{oc0}, {ocsz}};
          btile = get_tile(L, &L->vals[bi], &bb, 0, TRN_DTYPE_FP32);
        }
        for (int64_t oh0 = ob0; oh0 < ob0 + bsz && !L->failed; oh0 += rb) {
          int64_t rbsz = min64(rb, ob0 + bsz - oh0);
          for (int64_t ow0 = 0; ow0 < OW && !L->failed; ow0 += owb) {
            int64_t owsz = min64(owb, OW - ow0);
            MlirValue psum = alloc_tile(L, TRN_SPACE_PSUM, TRN_DTYPE_FP32, ocsz, rbsz * owsz);
            size_t k = 0;
            for (int64_t kh = 0; kh < KH && !L->failed && pairs; kh++) {
              for (int64_t j = 0; j < npair && !L->failed; j++, k++) {
                int64_t start = (oh0 * stride[0] - r0 + kh * dil[0]) * Wp + ow0 * stride[1] + 2 * j * dil[1];
                int64_t nums[2] = {owsz, rbsz}, steps[2] = {stride[1], stride[0] * Wp};
                MlirValue win = emit_view_strided(L, img[0], dt, 0, start, 2 * j + 1 < KW ? 2 * IC : IC, 2, nums, steps);
                emit_matmul(L, wt[k], win, psum, k > 0);
              }
            }
            for (int64_t kh = 0; kh < KH && !L->failed && !pairs; kh++) {
              for (int64_t kw = 0; kw < KW && !L->failed; kw++) {
                for (int64_t c = 0; c < nic && !L->failed; c++, k++) {
                  int64_t icsz = min64(P, IC - c * P);
                  int64_t start = (oh0 * stride[0] - r0 + kh * dil[0]) * Wp + ow0 * stride[1] + kw * dil[1];
                  int64_t nums[2] = {owsz, rbsz}, steps[2] = {stride[1], stride[0] * Wp};
                  MlirValue src = img[c];
                  if (direct) {
                    int64_t h0 = oh0 * stride[0] + kh * dil[0], w0 = ow0 * stride[1] + kw * dil[1];
                    const tref_t *tr = window_tile(&L->vals[xi], n, c * P, icsz, h0, h0 + (rbsz - 1) * stride[0], w0,
                                                   w0 + (owsz - 1) * stride[1], dt);
                    if (!tr) {
                      fail(L, "convolution window outside its input tiles (internal error)", NULL);
                      break;
                    }
                    const box_t *b = &tr->box;
                    int64_t tw = b->size[2];
                    src = tr->tile;
                    start = ((n - b->start[0]) * b->size[1] + h0 - b->start[1]) * tw + w0 - b->start[2];
                    steps[1] = stride[0] * tw;
                  }
                  MlirValue win = emit_view_strided(L, src, dt, 0, start, icsz, 2, nums, steps);
                  emit_matmul(L, wt[k], win, psum, k > 0);
                }
              }
            }
            box_t ybox = {{n, oh0, ow0, oc0}, {1, rbsz, owsz, ocsz}};
            if (!L->failed) evict(L, &ep, y, &ybox, psum, out_dt, btile, stat_max, fi, final_value);
          }
        }
      }
    }
  }
  free(img);
  free(wt);
  free(wboxes);
}

/* tosa.depthwise_conv2d on the vector engine, channels on partitions: per channel
 * chunk the padded image, per (kh, kw) a window view times the per-partition weight
 * w[kh, kw, c, m] ([P, 1] broadcast), summed; the bias (and, for one output channel
 * per input channel, the fusable chain after the op) applied by an ACTIVATE. With a
 * channel multiplier M > 1 the output channels c * M + m interleave, so each (m) tile
 * is stored to an HBM buffer with channel stride M. */
static void lower_depthwise(lower_t *L, MlirOperation op) {
  MlirValue res = mlirOperationGetResult(op, 0);
  size_t oi;
  if (!new_val(L, res, &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0)), *w = get_val(L, mlirOperationGetOperand(op, 1));
  val_t *bias = get_val(L, mlirOperationGetOperand(op, 2));
  if (!x || !w || !bias) {
    fail(L, "depthwise convolution operand has no value (internal error)", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals), wi = (size_t)(w - L->vals), bi = (size_t)(bias - L->vals);
  val_t y = L->vals[oi];
  int64_t pad[4], stride[2], dil[2];
  if (!get_i64s(L, op, "pad", pad, 4) || !get_i64s(L, op, "stride", stride, 2) ||
      !get_i64s(L, op, "dilation", dil, 2))
    return;
  if (x->rank != 4 || w->rank != 4 || y.rank != 4 || !is_float(x->dtype)) {
    fail(L, "tosa.depthwise_conv2d needs a float NHWC input and [KH, KW, C, M] weights", NULL);
    return;
  }
  int64_t N = y.dims[0], OH = y.dims[1], OW = y.dims[2];
  int64_t KH = w->dims[0], KW = w->dims[1], C = w->dims[2], M = w->dims[3];
  int64_t Hp = x->dims[1] + pad[0] + pad[1], Wp = x->dims[2] + pad[2] + pad[3];
  int64_t P = L->target->partitions;
  bool has_bias = !(bias->splat && bias->splat_value == 0.0);
  if (has_bias && (bias->kind != V_HBM || bias->rank != 1 || bias->dims[0] != C * M)) {
    fail(L, "tosa.depthwise_conv2d bias must be a [C * M] tensor in HBM", NULL);
    return;
  }
  epilogue_t ep;
  memset(&ep, 0, sizeof ep);
  ep.func = "copy";
  ep.scale = 1.0;
  y.pdim = 3;
  y.kind = V_CHIP;
  MlirValue final_value = res;
  size_t fi = oi;
  val_t scratch; /* M > 1: the HBM buffer the output goes to */
  if (M == 1) {
    L->vals[oi].kind = V_CHIP;
    L->vals[oi].pdim = 3;
    collect_epilogue(L, res, &y, &ep, has_bias);
    if (ep.nsteps) {
      final_value = mlirOperationGetResult(ep.steps[ep.nsteps - 1].op, 0);
      L->vals[oi].kind = V_FUSED;
      for (int i = 0; i < ep.nsteps; i++) {
        size_t sidx;
        val_t *sv = new_val(L, mlirOperationGetResult(ep.steps[i].op, 0), &sidx);
        if (!sv) return;
        sv->kind = V_FUSED;
        fi = sidx;
      }
      L->vals[fi].kind = V_CHIP;
      L->vals[fi].pdim = ep.steps[ep.nsteps - 1].shape.pdim;
    }
  } else {
    MlirType ty = tile_type(L, TRN_SPACE_HBM, y.dtype, 4, y.dims);
    if (mlirTypeIsNull(ty)) return;
    MlirOperation alloc = trn_ir_op(L->loc, "trn_tile.alloc", 1, &ty, 0, NULL, 0, NULL);
    append(L, alloc);
    scratch = y;
    scratch.kind = V_HBM;
    scratch.buf = new_buf(L, mlirOperationGetResult(alloc, 0), (MlirAttribute){NULL}, &y);
    scratch.offset = 0;
    row_major(4, y.dims, scratch.strides);
  }
  int64_t fmax = L->target->moving_free_max; /* blocks the pointwise conv after it reads in place */
  int64_t owb = OW < fmax ? OW : fmax;
  int64_t rb = owb == OW ? fmax / OW : 1;
  if (rb > OH) rb = OH;
  if (rb < 1) rb = 1;
  /* bands of output rows whose input rows fit SBUF (one band: the whole image) */
  bool whole;
  int64_t band = band_rows(L, "tosa.depthwise_conv2d", Hp, Wp * (int64_t)trn_isa_dtype_size(y.dtype), OH, stride[0],
                           (KH - 1) * dil[0] + 1, rb, &whole);
  if (!band) return;
  for (int64_t n = 0; n < N && !L->failed; n++) {
    for (int64_t c0 = 0; c0 < C && !L->failed; c0 += P) {
      for (int64_t ob0 = 0; ob0 < OH && !L->failed; ob0 += band) {
        int64_t bsz = min64(band, OH - ob0);
        int64_t r0 = whole ? 0 : ob0 * stride[0], nrows = whole ? Hp : (bsz - 1) * stride[0] + (KH - 1) * dil[0] + 1;
        int64_t csz = min64(P, C - c0);
        MlirValue img = image_buffer(L, xi, 3, n, c0, csz, pad, r0, nrows, 0.0, y.dtype, false);
        for (int64_t m = 0; m < M && !L->failed; m++) {
          /* the weights w[kh, kw, c0 + p, m] as [csz, KH * KW]: column k is tap k */
          MlirValue wt = {NULL};
          {
            val_t *wv = &L->vals[wi];
            if (wv->kind == V_CHIP && !spill(L, wi)) return;
            wv = &L->vals[wi];
            MlirValue hbm = buf_value(L, wv->buf);
            if (mlirValueIsNull(hbm)) return;
            wt = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, csz, KH * KW);
            int64_t sizes[3] = {csz, KH, KW}, ss[3] = {wv->strides[2], wv->strides[0], wv->strides[1]};
            int64_t ds[3] = {KH * KW, KW, 1};
            emit_dma(L, hbm, wt, 3, sizes, wv->offset + (c0)*wv->strides[2] + m * wv->strides[3], ss, 0, ds);
          }
          MlirValue btile = {NULL};
          if (has_bias) {
            /* bias[(c0 + p) * M + m] */
            val_t *bv = &L->vals[bi];
            MlirValue hbm = buf_value(L, bv->buf);
            btile = alloc_tile(L, TRN_SPACE_SBUF, TRN_DTYPE_FP32, csz, 1);
            int64_t sizes[1] = {csz}, ss[1] = {M * bv->strides[0]}, ds[1] = {1};
            emit_dma(L, hbm, btile, 1, sizes, bv->offset + (c0 * M + m) * bv->strides[0], ss, 0, ds);
          }
          for (int64_t oh0 = ob0; oh0 < ob0 + bsz && !L->failed; oh0 += rb) {
            int64_t rbsz = min64(rb, ob0 + bsz - oh0);
            for (int64_t ow0 = 0; ow0 < OW && !L->failed; ow0 += owb) {
              int64_t owsz = min64(owb, OW - ow0), f = rbsz * owsz;
              MlirValue acc = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, csz, f);
              MlirValue prod = (KH * KW > 1) ? alloc_tile(L, TRN_SPACE_SBUF, y.dtype, csz, f) : acc;
              for (int64_t kh = 0; kh < KH && !L->failed; kh++) {
                for (int64_t kw = 0; kw < KW && !L->failed; kw++) {
                  int64_t start = (oh0 * stride[0] - r0 + kh * dil[0]) * Wp + ow0 * stride[1] + kw * dil[1];
                  int64_t nums[2] = {owsz, rbsz}, steps[2] = {stride[1], stride[0] * Wp};
                  MlirValue win = emit_view_strided(L, img, y.dtype, 0, start, csz, 2, nums, steps);
                  MlirValue tap = emit_view(L, wt, y.dtype, 0, kh * KW + kw, csz, 1);
                  bool first = kh == 0 && kw == 0;
                  emit_tensor_tensor(L, win, tap, first ? acc : prod, "mul");
                  if (!first) emit_tensor_tensor(L, acc, prod, acc, "add");
                }
              }
              box_t ybox = {{n, oh0, ow0, c0}, {1, rbsz, owsz, csz}};
              if (M == 1) {
                if (!evict(L, &ep, &y, &ybox, acc, y.dtype, btile, P, fi, final_value)) break;
              } else {
                MlirValue out = acc;
                if (has_bias) {
                  out = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, csz, f);
                  emit_activate(L, acc, out, btile, "copy", 1.0, 0.0);
                }
                /* channels c * M + m: the view of the scratch with channel stride M */
                val_t part = scratch;
                part.offset = m * scratch.strides[3];
                part.strides[3] = M * scratch.strides[3];
                part.dims[3] = C;
                dma_view_tile(L, &part, &ybox, 3, out, true);
              }
            }
          }
        }
      }
    }
  }
  if (M > 1 && !L->failed) {
    val_t *yv = &L->vals[oi];
    yv->kind = V_HBM;
    yv->buf = scratch.buf;
    yv->offset = 0;
    row_major(4, yv->dims, yv->strides);
  }
}

/* Whether a pool block of rbsz x owsz outputs, reading nin input rows, costs the
 * vector engine fewer cycles separably (kern[1] - 1 ops over nin x owsz along the
 * width, then kern[0] - 1 over rbsz x owsz along the height) than with one op per
 * window tap (kern[0] * kern[1] - 1 over rbsz x owsz). */
static bool pool_separable(const trn_target_t *t, const int64_t *kern, int64_t rbsz, int64_t nin, int64_t owsz) {
  if (kern[0] < 2 || kern[1] < 2) return false;
  int64_t out = (int64_t)trn_isa_elem_engine_cycles(t, TRN_ENGINE_DVE, (uint64_t)(rbsz * owsz));
  int64_t in = (int64_t)trn_isa_elem_engine_cycles(t, TRN_ENGINE_DVE, (uint64_t)(nin * owsz));
  int64_t taps = (kern[0] * kern[1] - 1) * out, sep = (kern[1] - 1) * in + (kern[0] - 1) * out;
  return sep < taps;
}

/* tosa.max_pool2d / avg_pool2d on the vector engine: per image and channel chunk,
 * the padded image (pad value -inf or 0) and, per block of output rows, a copy of the
 * first window view then a max/add with every other one, or, when it costs the vector
 * engine less (pool_separable), a max/add along the width over the block's input rows
 * into a row buffer then along the height from it; an average multiplies by
 * the reciprocal of the number of non-padding elements of each window (a constant
 * broadcast over the channels). */
static void lower_pool(lower_t *L, MlirOperation op, bool is_max) {
  MlirValue res = mlirOperationGetResult(op, 0);
  size_t oi;
  if (!new_val(L, res, &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0));
  if (!x) {
    fail(L, "pooling operand has no value (internal error)", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals);
  val_t y = L->vals[oi];
  int64_t pad[4], stride[2], kern[2];
  if (!get_i64s(L, op, "pad", pad, 4) || !get_i64s(L, op, "stride", stride, 2) || !get_i64s(L, op, "kernel", kern, 2))
    return;
  if (x->rank != 4 || y.rank != 4 || !is_float(x->dtype)) {
    fail(L, "pooling needs a float NHWC tensor", NULL);
    return;
  }
  int64_t pd = 3;
  trn_ir_get_int(op, "trn.pdim", &pd);
  if (pd != 3 && pd != 0) {
    fail(L, "pooling result layout must have the channels or the images on partitions (trn.pdim = 3 or 0)", NULL);
    return;
  }
  int64_t N = y.dims[0], OH = y.dims[1], OW = y.dims[2], C = y.dims[3];
  int64_t H = x->dims[1], W = x->dims[2], Wp = W + pad[2] + pad[3];
  int64_t Hp = H + pad[0] + pad[1];
  int64_t P = L->target->partitions;
  L->vals[oi].kind = V_CHIP;
  L->vals[oi].pdim = (int)pd;
  /* the divisor of an average: a constant [1, OH, OW, 1] of reciprocal counts, unless
   * every window is whole */
  size_t rc = SIZE_MAX;
  bool whole = true;
  if (!is_max) {
    float *r = malloc((size_t)(OH * OW) * sizeof *r);
    if (!r) {
      fail_oom(L);
      return;
    }
    for (int64_t oh = 0; oh < OH; oh++) {
      for (int64_t ow = 0; ow < OW; ow++) {
        int64_t h0 = oh * stride[0] - pad[0], w0 = ow * stride[1] - pad[2];
        int64_t hn = min64(h0 + kern[0], H) - (h0 > 0 ? h0 : 0), wn = min64(w0 + kern[1], W) - (w0 > 0 ? w0 : 0);
        int64_t cnt = (hn > 0 ? hn : 0) * (wn > 0 ? wn : 0);
        if (cnt != kern[0] * kern[1]) whole = false;
        r[oh * OW + ow] = cnt > 0 ? 1.0f / (float)cnt : 0.0f;
      }
    }
    if (!whole) {
      int64_t dims[4] = {1, OH, OW, 1};
      MlirType ty = mlirRankedTensorTypeGet(4, dims, mlirF32TypeGet(L->ctx), mlirAttributeGetNull());
      MlirAttribute attr = mlirDenseElementsAttrFloatGet(ty, (intptr_t)(OH * OW), r);
      if (!grow((void **)&L->vals, &L->cap_vals, L->nvals + 1, sizeof(val_t))) {
        free(r);
        fail_oom(L);
        return;
      }
      rc = L->nvals++; /* an internal constant, not in the value map */
      val_t *cv = &L->vals[rc];
      memset(cv, 0, sizeof *cv);
      cv->kind = V_HBM;
      cv->rank = 4;
      memcpy(cv->dims, dims, sizeof dims);
      cv->dtype = TRN_DTYPE_FP32;
      row_major(4, dims, cv->strides);
      size_t b = new_buf(L, (MlirValue){NULL}, attr, cv);
      L->vals[rc].buf = b;
    }
    free(r);
  }
  /* blocks of the moving size: a convolution after the pool can start on the first */
  int64_t fmax = L->target->moving_free_max;
  int64_t owb = OW < fmax ? OW : fmax;
  int64_t rb = owb == OW ? fmax / OW : 1;
  if (rb > OH) rb = OH;
  if (rb < 1) rb = 1;
  /* bands of output rows whose input rows fit SBUF (one band: the whole image) */
  bool one_band;
  int64_t band = band_rows(L, "pooling", Hp, Wp * (int64_t)trn_isa_dtype_size(y.dtype), OH, stride[0], kern[0], rb,
                           &one_band);
  if (!band) return;
  /* partitions: channels of one image (pdim 3) or images of one channel (pdim 0) */
  int64_t nfixed = pd == 3 ? N : C, extent = pd == 3 ? C : N;
  for (int64_t fx = 0; fx < nfixed && !L->failed; fx++) {
    for (int64_t p0 = 0; p0 < extent && !L->failed; p0 += P) {
      int64_t psz = min64(P, extent - p0);
      for (int64_t ob0 = 0; ob0 < OH && !L->failed; ob0 += band) {
        int64_t bsz = min64(band, OH - ob0);
        int64_t r0 = one_band ? 0 : ob0 * stride[0], nrows = one_band ? Hp : (bsz - 1) * stride[0] + kern[0];
        MlirValue img;
        if (L->vals[xi].img_state == 2) { /* made by the producer (pool_images) */
          if (!one_band || pd != 3 || memcmp(L->vals[xi].img_pad, pad, sizeof pad) != 0) {
            fail(L, "pooling: the producer's padded images do not match the pooling (internal error)", NULL);
            return;
          }
          img = L->vals[xi].images[fx * ((extent + P - 1) / P) + p0 / P];
        } else {
          img = image_buffer(L, xi, (int)pd, fx, p0, psz, pad, r0, nrows, is_max ? -INFINITY : 0.0, y.dtype, true);
        }
        for (int64_t oh0 = ob0; oh0 < ob0 + bsz && !L->failed; oh0 += rb) {
          int64_t rbsz = min64(rb, ob0 + bsz - oh0);
          for (int64_t ow0 = 0; ow0 < OW && !L->failed; ow0 += owb) {
            int64_t owsz = min64(owb, OW - ow0);
            MlirValue out = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, psz, rbsz * owsz), first = {NULL};
            int64_t nin = (rbsz - 1) * stride[0] + kern[0];
            bool sep = pool_separable(L->target, kern, rbsz, nin, owsz);
            if (sep) {
              /* along the width into a buffer of the block's input rows x owsz, then
               * along the height from it */
              MlirValue rows = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, psz, nin * owsz);
              for (int64_t kw = 1; kw < kern[1] && !L->failed; kw++) {
                int64_t base = (oh0 * stride[0] - r0) * Wp + ow0 * stride[1];
                int64_t nums[2] = {owsz, nin}, steps[2] = {stride[1], Wp};
                MlirValue a = kw == 1 ? emit_view_strided(L, img, y.dtype, 0, base, psz, 2, nums, steps) : rows;
                MlirValue b = emit_view_strided(L, img, y.dtype, 0, base + kw, psz, 2, nums, steps);
                emit_tensor_tensor(L, a, b, rows, is_max ? "max" : "add");
              }
              for (int64_t kh = 1; kh < kern[0] && !L->failed; kh++) {
                int64_t nums[2] = {owsz, rbsz}, steps[2] = {1, stride[0] * owsz};
                MlirValue a = kh == 1 ? emit_view_strided(L, rows, y.dtype, 0, 0, psz, 2, nums, steps) : out;
                MlirValue b = emit_view_strided(L, rows, y.dtype, 0, kh * owsz, psz, 2, nums, steps);
                emit_tensor_tensor(L, a, b, out, is_max ? "max" : "add");
              }
            }
            for (int64_t kh = 0; kh < kern[0] && !sep && !L->failed; kh++) {
              for (int64_t kw = 0; kw < kern[1] && !L->failed; kw++) {
                int64_t start = (oh0 * stride[0] - r0 + kh) * Wp + ow0 * stride[1] + kw;
                int64_t nums[2] = {owsz, rbsz}, steps[2] = {stride[1], stride[0] * Wp};
                MlirValue win = emit_view_strided(L, img, y.dtype, 0, start, psz, 2, nums, steps);
                if (kh == 0 && kw == 0 && kern[0] * kern[1] == 1) {
                  emit_copy(L, win, out);
                } else if (kh == 0 && kw == 0) {
                  first = win; /* combined with the second window */
                } else {
                  emit_tensor_tensor(L, mlirValueIsNull(first) ? out : first, win, out, is_max ? "max" : "add");
                  first = (MlirValue){NULL};
                }
              }
            }
            box_t ybox = {{fx, oh0, ow0, fx}, {1, rbsz, owsz, 1}};
            ybox.start[pd] = p0;
            ybox.size[pd] = psz;
            if (!is_max && whole) {
              emit_activate(L, out, out, (MlirValue){NULL}, "copy", 1.0 / (double)(kern[0] * kern[1]), 0.0);
            } else if (!is_max) {
              MlirValue r = get_tile(L, &L->vals[rc], &ybox, (int)pd, y.dtype);
              if (!L->failed) emit_tensor_tensor(L, out, r, out, "mul");
            }
            if (L->failed || !produce(L, oi, res, out, &ybox, (int)pd)) break;
          }
        }
      }
    }
  }
}

/* ---- data movement: pad, slice, reverse, concat ----------------------------------- */

/* tosa.pad: the result on chip, in a default tiling; a tile is set to the pad value
 * where it is not all interior, then the interior part is copied in from the operand
 * (an HBM view; on-chip operands go through HBM). */
static void lower_pad(lower_t *L, MlirOperation op) {
  size_t oi;
  if (!new_val(L, mlirOperationGetResult(op, 0), &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0));
  if (!x) {
    fail(L, "operand of pad has no value (internal error)", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals);
  val_t y = L->vals[oi];
  MlirValue pv = mlirOperationGetOperand(op, 1);
  MlirAttribute padding = mlirValueIsAOpResult(pv)
                              ? mlirOperationGetAttributeByName(mlirOpResultGetOwner(pv),
                                                                mlirStringRefCreateFromCString("value"))
                              : mlirAttributeGetNull();
  int64_t lo[R];
  for (uint32_t d = 0; d < y.rank; d++) {
    if (!trn_ir_dense_int_at(padding, 2 * d, &lo[d])) {
      fail(L, "tosa.pad needs constant padding", NULL);
      return;
    }
  }
  double value = 0;
  if (mlirOperationGetNumOperands(op) > 2) {
    val_t *cv = get_val(L, mlirOperationGetOperand(op, 2));
    if (!cv || !cv->splat) {
      fail(L, "tosa.pad needs a constant pad value", NULL);
      return;
    }
    value = cv->splat_value;
  }
  int64_t pd = -1;
  if (!trn_ir_get_int(op, "trn.pdim", &pd) || pd < 0 || pd >= (int64_t)y.rank) {
    fail(L, "pad without a layout: run trn-layout first", NULL);
    return;
  }
  if (L->vals[xi].kind == V_CHIP && !spill(L, xi)) return;
  L->vals[oi].kind = V_CHIP;
  L->vals[oi].pdim = (int)pd;
  box_t *boxes = NULL;
  size_t nb = default_boxes(L, y.rank, y.dims, (int)pd, 8192 / (int64_t)trn_isa_dtype_size(y.dtype), &boxes);
  if (!boxes) {
    fail_oom(L);
    return;
  }
  MlirValue hbm = buf_value(L, L->vals[xi].buf);
  for (size_t t = 0; t < nb && !L->failed && !mlirValueIsNull(hbm); t++) {
    const box_t *b = &boxes[t];
    MlirValue tile = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, b->size[pd], box_free(b, y.rank, (int)pd));
    /* the interior part of the box, in the result's coordinates */
    box_t in;
    bool inside = true, empty = false;
    for (uint32_t d = 0; d < y.rank; d++) {
      int64_t s0 = b->start[d] > lo[d] ? b->start[d] : lo[d];
      int64_t s1 = min64(b->start[d] + b->size[d], lo[d] + L->vals[xi].dims[d]);
      in.start[d] = s0;
      in.size[d] = s1 - s0;
      if (s1 <= s0) empty = true;
      if (s0 != b->start[d] || s1 != b->start[d] + b->size[d]) inside = false;
    }
    if (!inside) emit_memset(L, tile, value);
    if (!empty) {
      const val_t *xv = &L->vals[xi];
      int64_t fstride[R], f = 1;
      for (int d = (int)y.rank - 1; d >= 0; d--) {
        if (d == pd) continue;
        fstride[d] = f;
        f *= b->size[d];
      }
      int64_t sizes[R], ss[R], ds[R], soff = xv->offset, doff = 0;
      int k = 0;
      sizes[k] = in.size[pd];
      ss[k] = xv->strides[pd];
      ds[k] = f;
      k++;
      for (uint32_t d = 0; d < y.rank; d++) {
        soff += (in.start[d] - lo[d]) * xv->strides[d];
        doff += (in.start[d] - b->start[d]) * ((int)d == pd ? f : fstride[d]);
        if ((int)d == pd) continue;
        sizes[k] = in.size[d];
        ss[k] = xv->strides[d];
        ds[k] = fstride[d];
        k++;
      }
      emit_dma(L, hbm, tile, k, sizes, soff, ss, doff, ds);
    }
    if (!produce(L, oi, mlirOperationGetResult(op, 0), tile, b, (int)pd)) break;
  }
  free(boxes);
}

/* The HBM view of vals[vi] (on-chip values are spilled first) into *out. */
static bool hbm_view(lower_t *L, size_t vi, val_t *out) {
  if (L->vals[vi].kind == V_CHIP && !spill(L, vi)) return false;
  if (L->vals[vi].kind != V_CHIP && L->vals[vi].kind != V_HBM) {
    fail(L, "operand has no value (internal error)", NULL);
    return false;
  }
  *out = L->vals[vi];
  return true;
}

/* tosa.slice of an on-chip value along its free dims, kept on chip instead of
 * spilled for an HBM view: a tile of the operand inside the slice is a tile of the
 * result as it is, one that straddles the slice's edge is copied in part (an engine
 * copy of a strided view, same partitions), one outside is dropped. False, with
 * nothing emitted, when a tile is cut along its partitions (HBM views of the spilled
 * value are then served from the tiles as partition-offset views, see chip_alias) or
 * the part would need more than TRN_AP_DIMS free dims: the caller spills instead. (ResNet's stride-2 1x1 convolutions import
 * as a slice dropping the last row and column, then the convolution.) */
static bool slice_on_chip(lower_t *L, size_t xi, size_t oi, MlirValue res, const int64_t *start) {
  const val_t *x = &L->vals[xi];
  uint32_t rank = x->rank;
  if (x->kind != V_CHIP || x->ntiles == 0 || rank == 0 || L->vals[oi].rank != rank) return false;
  int pd = x->pdim;
  for (size_t t = 0; t < x->ntiles; t++) {
    const box_t *b = &x->tiles[t].box;
    if (x->tiles[t].pdim != pd) return false;
    bool empty = false;
    int free_dims = 0;
    for (uint32_t d = 0; d < rank; d++) {
      int64_t lo = b->start[d] > start[d] ? b->start[d] : start[d];
      int64_t hi = min64(b->start[d] + b->size[d], start[d] + L->vals[oi].dims[d]);
      if (hi <= lo) empty = true;
      else if ((int)d == pd && (lo != b->start[d] || hi != b->start[d] + b->size[d])) return false;
      else if ((int)d != pd && hi - lo > 1) free_dims++;
    }
    if (!empty && free_dims > TRN_AP_DIMS) return false;
  }
  L->vals[oi].kind = V_CHIP;
  L->vals[oi].pdim = pd;
  for (size_t t = 0; t < L->vals[xi].ntiles && !L->failed; t++) {
    tref_t tr = L->vals[xi].tiles[t];
    const box_t *b = &tr.box;
    box_t yb;
    bool empty = false, inside = true;
    int64_t lo[R] = {0};
    for (uint32_t d = 0; d < rank; d++) {
      lo[d] = b->start[d] > start[d] ? b->start[d] : start[d];
      int64_t hi = min64(b->start[d] + b->size[d], start[d] + L->vals[oi].dims[d]);
      if (hi <= lo[d]) empty = true;
      if (lo[d] != b->start[d] || hi != b->start[d] + b->size[d]) inside = false;
      yb.start[d] = lo[d] - start[d];
      yb.size[d] = hi - lo[d];
    }
    if (empty) continue;
    MlirValue tile = tr.tile;
    if (!inside) {
      /* the tile's free layout: row-major over its non-partition dims */
      int64_t fs[R] = {0}, f = 1, fo = 0, nums[R], steps[R];
      int n = 0;
      for (int d = (int)rank - 1; d >= 0; d--) {
        if (d == pd) continue;
        fs[d] = f;
        f *= b->size[d];
        fo += (lo[d] - b->start[d]) * fs[d];
        nums[n] = yb.size[d];
        steps[n] = fs[d];
        n++;
      }
      MlirValue src = emit_view_strided(L, tr.tile, tr.dtype, 0, fo, yb.size[pd], n, nums, steps);
      tile = alloc_tile(L, TRN_SPACE_SBUF, tr.dtype, yb.size[pd], box_free(&yb, rank, pd));
      if (mlirValueIsNull(src) || mlirValueIsNull(tile)) return !L->failed;
      emit_copy(L, src, tile);
    }
    if (!produce(L, oi, res, tile, &yb, pd)) break;
  }
  return true;
}

/* tosa.slice and tosa.reverse: views (offset and strides) of the operand in HBM. */
static void lower_view_op(lower_t *L, MlirOperation op) {
  size_t oi;
  if (!new_val(L, mlirOperationGetResult(op, 0), &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0));
  val_t in;
  if (!x) {
    fail(L, "operand has no value (internal error)", NULL);
    return;
  }
  if (trn_ir_is(op, "tosa.slice") && x->kind == V_CHIP) {
    int64_t start[R];
    size_t n = 0;
    if (trn_ir_get_i64_array(op, "start", start, R, &n) && n == L->vals[oi].rank &&
        slice_on_chip(L, (size_t)(x - L->vals), oi, mlirOperationGetResult(op, 0), start))
      return;
  }
  if (!hbm_view(L, (size_t)(x - L->vals), &in)) return;
  val_t *y = &L->vals[oi];
  y->kind = V_HBM;
  y->buf = in.buf;
  y->offset = in.offset;
  memcpy(y->strides, in.strides, sizeof y->strides);
  if (trn_ir_is(op, "tosa.slice")) {
    int64_t start[R];
    size_t n = 0;
    if (!trn_ir_get_i64_array(op, "start", start, R, &n) || n != y->rank) {
      fail(L, "tosa.slice needs a constant 'start'", NULL);
      return;
    }
    for (uint32_t d = 0; d < y->rank; d++) y->offset += start[d] * in.strides[d];
  } else {
    int64_t axis = -1;
    trn_ir_get_int(op, "axis", &axis);
    if (axis < 0 || axis >= (int64_t)y->rank) {
      fail(L, "tosa.reverse axis out of range", NULL);
      return;
    }
    y->offset += (y->dims[axis] - 1) * in.strides[axis];
    y->strides[axis] = -in.strides[axis];
  }
}

/* tosa.tile: repeating dims of size 1 is a view with stride 0; otherwise every
 * repetition is copied (through SBUF) into a new HBM buffer. */
static void lower_tile_op(lower_t *L, MlirOperation op) {
  size_t oi;
  if (!new_val(L, mlirOperationGetResult(op, 0), &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0));
  int64_t mult[R];
  size_t nm = 0;
  if (!x || !trn_ir_get_i64_array(op, "multiples", mult, R, &nm) || nm != x->rank) {
    fail(L, "tosa.tile needs constant 'multiples' and an operand", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals);
  val_t in;
  if (!hbm_view(L, xi, &in)) return;
  val_t *y = &L->vals[oi];
  bool view = true;
  for (uint32_t d = 0; d < y->rank; d++)
    if (mult[d] > 1 && in.dims[d] != 1) view = false;
  if (view) {
    y->kind = V_HBM;
    y->buf = in.buf;
    y->offset = in.offset;
    for (uint32_t d = 0; d < y->rank; d++) y->strides[d] = mult[d] > 1 ? 0 : in.strides[d];
    return;
  }
  val_t ys = *y;
  MlirType ty = tile_type(L, TRN_SPACE_HBM, ys.dtype, ys.rank, ys.dims);
  if (mlirTypeIsNull(ty)) return;
  MlirOperation alloc = trn_ir_op(L->loc, "trn_tile.alloc", 1, &ty, 0, NULL, 0, NULL);
  append(L, alloc);
  size_t b = new_buf(L, mlirOperationGetResult(alloc, 0), (MlirAttribute){NULL}, &ys);
  int pd = 0;
  for (uint32_t d = 0; d < in.rank; d++)
    if (in.dims[d] > in.dims[pd]) pd = (int)d;
  box_t *boxes = NULL;
  size_t nb = default_boxes(L, in.rank, in.dims, pd, 8192 / (int64_t)trn_isa_dtype_size(in.dtype), &boxes);
  if (!boxes) {
    fail_oom(L);
    return;
  }
  size_t reps = 1;
  for (uint32_t d = 0; d < ys.rank; d++) reps *= (size_t)mult[d];
  for (size_t t = 0; t < nb && !L->failed; t++) {
    MlirValue tile = get_tile(L, &L->vals[xi], &boxes[t], pd, ys.dtype);
    for (size_t r = 0; r < reps && !L->failed; r++) {
      val_t part = ys; /* the view of repetition r */
      part.kind = V_HBM;
      part.buf = b;
      row_major(ys.rank, ys.dims, part.strides);
      part.offset = 0;
      size_t rem = r;
      for (int d = (int)ys.rank - 1; d >= 0; d--) {
        part.offset += (int64_t)(rem % (size_t)mult[d]) * in.dims[d] * part.strides[d];
        rem /= (size_t)mult[d];
      }
      memcpy(part.dims, in.dims, sizeof part.dims);
      dma_view_tile(L, &part, &boxes[t], pd, tile, true);
    }
  }
  free(boxes);
  y = &L->vals[oi];
  y->kind = V_HBM;
  y->buf = b;
  y->offset = 0;
  row_major(y->rank, y->dims, y->strides);
}

/* tosa.concat: a new HBM buffer, each operand stored into its part of it (on-chip
 * tiles directly, HBM views through SBUF). */
static void lower_concat(lower_t *L, MlirOperation op) {
  MlirValue res = mlirOperationGetResult(op, 0);
  size_t oi;
  if (!new_val(L, res, &oi)) return;
  val_t y = L->vals[oi];
  int64_t axis = -1;
  trn_ir_get_int(op, "axis", &axis);
  if (axis < 0 || axis >= (int64_t)y.rank) {
    fail(L, "tosa.concat axis out of range", NULL);
    return;
  }
  MlirType ty = tile_type(L, TRN_SPACE_HBM, y.dtype, y.rank ? y.rank : 1, y.dims);
  if (mlirTypeIsNull(ty)) return;
  MlirOperation alloc = trn_ir_op(L->loc, "trn_tile.alloc", 1, &ty, 0, NULL, 0, NULL);
  append(L, alloc);
  size_t b = new_buf(L, mlirOperationGetResult(alloc, 0), (MlirAttribute){NULL}, &y);
  int64_t at = 0;
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op) && !L->failed; i++) {
    val_t *x = get_val(L, mlirOperationGetOperand(op, i));
    if (!x) {
      fail(L, "operand of concat has no value (internal error)", NULL);
      return;
    }
    size_t xi = (size_t)(x - L->vals);
    val_t part = *x; /* the view of this operand's part of the result */
    part.kind = V_HBM;
    part.buf = b;
    row_major(y.rank, y.dims, part.strides);
    part.offset = at * part.strides[axis];
    if (x->kind == V_CHIP) {
      for (size_t t = 0; t < L->vals[xi].ntiles && !L->failed; t++) {
        tref_t tr = L->vals[xi].tiles[t];
        dma_view_tile(L, &part, &tr.box, tr.pdim, tr.tile, true);
      }
    } else {
      int pd = 0;
      for (uint32_t d = 0; d < x->rank; d++)
        if (x->dims[d] > x->dims[pd]) pd = (int)d;
      box_t *boxes = NULL;
      size_t nb = default_boxes(L, x->rank, x->dims, pd, 8192 / (int64_t)trn_isa_dtype_size(x->dtype), &boxes);
      if (!boxes) {
        fail_oom(L);
        return;
      }
      for (size_t t = 0; t < nb && !L->failed; t++) {
        MlirValue tile = get_tile(L, &L->vals[xi], &boxes[t], pd, y.dtype);
        if (!L->failed) dma_view_tile(L, &part, &boxes[t], pd, tile, true);
      }
      free(boxes);
    }
    at += L->vals[xi].dims[axis];
  }
  val_t *yv = &L->vals[oi];
  yv->kind = V_HBM;
  yv->buf = b;
  yv->offset = 0;
  row_major(yv->rank, yv->dims, yv->strides);
}

/* The most bytes per partition the source rows of one tosa.gather may take in SBUF. */
#define GATHER_ROW_BYTES (96 * 1024)

/* tosa.gather out[n, w, c] = values[n, idx[n, w], c]: the GpSimd GATHER picks along the
 * free axis of each partition, so per image n and chunk of <= 128 channels c the
 * values are loaded transposed ([c, K], K free), the index row broadcast to every
 * partition ([c, W]) and the picked [c, W] stored transposed into a new HBM buffer. */
static void lower_gather(lower_t *L, MlirOperation op) {
  size_t oi;
  if (!new_val(L, mlirOperationGetResult(op, 0), &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0));
  val_t *ix = get_val(L, mlirOperationGetOperand(op, 1));
  if (!x || !ix) {
    fail(L, "operand of gather has no value (internal error)", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals), ii = (size_t)(ix - L->vals);
  val_t in, idx;
  if (!hbm_view(L, xi, &in) || !hbm_view(L, ii, &idx)) return;
  val_t y = L->vals[oi];
  if (in.rank != 3 || idx.rank != 2 || y.rank != 3 || idx.dtype != TRN_DTYPE_INT32) {
    fail(L, "tosa.gather needs values [N, K, C], i32 indices [N, W] and a result [N, W, C]", NULL);
    return;
  }
  int64_t N = in.dims[0], K = in.dims[1], C = in.dims[2], W = idx.dims[1];
  if (K * 4 > GATHER_ROW_BYTES) {
    char detail[160];
    snprintf(detail, sizeof detail, "%lld values of 4 bytes (%lld bytes), a gather holds at most %d bytes per partition",
             (long long)K, (long long)K * 4, GATHER_ROW_BYTES);
    fail(L, "tosa.gather: more values along the gathered axis than one SBUF partition holds: %s", detail);
    return;
  }
  MlirType ty = tile_type(L, TRN_SPACE_HBM, y.dtype, y.rank, y.dims);
  if (mlirTypeIsNull(ty)) return;
  MlirOperation alloc = trn_ir_op(L->loc, "trn_tile.alloc", 1, &ty, 0, NULL, 0, NULL);
  append(L, alloc);
  size_t b = new_buf(L, mlirOperationGetResult(alloc, 0), (MlirAttribute){NULL}, &y);
  val_t out = y;
  out.kind = V_HBM;
  out.buf = b;
  out.offset = 0;
  row_major(out.rank, out.dims, out.strides);
  /* the indices as a [N, W, 1] view: dim 2 of size 1 is broadcast to the partitions */
  val_t ib = idx;
  ib.rank = 3;
  ib.dims[2] = 1;
  ib.strides[2] = 0;
  int64_t P = (int64_t)L->target->partitions, WF = 2048;
  for (int64_t n = 0; n < N && !L->failed; n++) {
    for (int64_t c0 = 0; c0 < C && !L->failed; c0 += P) {
      int64_t cp = min64(P, C - c0);
      box_t vb = {.start = {n, 0, c0}, .size = {1, K, cp}};
      MlirValue src = alloc_tile(L, TRN_SPACE_SBUF, in.dtype, cp, K);
      if (mlirValueIsNull(src)) return;
      dma_view_tile(L, &in, &vb, 2, src, false);
      for (int64_t w0 = 0; w0 < W && !L->failed; w0 += WF) {
        int64_t wp = min64(WF, W - w0);
        box_t wb = {.start = {n, w0, c0}, .size = {1, wp, cp}};
        MlirValue it = alloc_tile(L, TRN_SPACE_SBUF, TRN_DTYPE_INT32, cp, wp);
        MlirValue dst = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, cp, wp);
        if (mlirValueIsNull(it) || mlirValueIsNull(dst)) return;
        dma_view_tile(L, &ib, &wb, 2, it, false);
        MlirValue operands[3] = {src, it, dst};
        append(L, trn_ir_op(L->loc, "trn_tile.gather", 0, NULL, 3, operands, 0, NULL));
        dma_view_tile(L, &out, &wb, 2, dst, true);
      }
    }
  }
  val_t *yv = &L->vals[oi];
  yv->kind = V_HBM;
  yv->buf = b;
  yv->offset = 0;
  row_major(yv->rank, yv->dims, yv->strides);
}

static const char *reduce_alu(MlirOperation op) {
  if (trn_ir_is(op, "tosa.reduce_sum")) return "add";
  if (trn_ir_is(op, "tosa.reduce_max")) return "max";
  if (trn_ir_is(op, "tosa.reduce_min")) return "min";
  if (trn_ir_is(op, "tosa.reduce_prod")) return "mul";
  return NULL;
}

/* tosa.reduce_*: per output tile (pdim is not the axis), the input tile with the whole
 * axis, reduced along its free axis by TENSOR_REDUCE. */
/* A reduction along a free axis of an on-chip input, on the input's own tiles (no
 * re-tiling through HBM): each group of tiles that differ only along the axis and
 * together cover it gives one output tile, a TENSOR_REDUCE per tile, the partial
 * results combined on DVE. Returns false, having emitted nothing, when the tiles do
 * not form such groups (or are of another dtype). */
static bool reduce_by_tiles(lower_t *L, MlirOperation op, size_t xi, size_t oi, int axis, int pd) {
  const val_t *x = &L->vals[xi];
  const uint32_t rank = x->rank;
  const int64_t n = x->dims[axis];
  const trn_dtype_t dt = L->vals[oi].dtype;
  size_t nt = x->ntiles;
  int *group = malloc(nt * sizeof *group); /* the first tile of each tile's group */
  if (!group) {
    fail_oom(L);
    return true;
  }
  bool ok = true;
  for (size_t i = 0; i < nt && ok; i++) {
    const tref_t *ti = &x->tiles[i];
    if (ti->pdim != pd || ti->dtype != dt) ok = false;
    group[i] = (int)i;
    for (size_t j = 0; j < i && ok; j++) {
      box_t a = ti->box, b = x->tiles[j].box;
      a.start[axis] = b.start[axis] = 0;
      a.size[axis] = b.size[axis] = 1;
      if (box_eq(&a, &b, rank)) {
        group[i] = group[j];
        break;
      }
    }
  }
  for (size_t i = 0; i < nt && ok; i++) {
    if (group[i] != (int)i) continue;
    int64_t covered = 0;
    for (size_t j = i; j < nt; j++)
      if (group[j] == (int)i) covered += x->tiles[j].box.size[axis];
    if (covered != n) ok = false;
  }
  if (!ok) {
    free(group);
    return false;
  }
  const char *alu = reduce_alu(op);
  for (size_t i = 0; i < nt && !L->failed; i++) {
    if (group[i] != (int)i) continue;
    box_t ob = L->vals[xi].tiles[i].box;
    ob.start[axis] = 0;
    ob.size[axis] = 1;
    int64_t outer = 1, inner = 1;
    for (uint32_t d = 0; d < rank; d++) {
      if ((int)d == pd || (int)d == axis) continue;
      if ((int)d < axis)
        outer *= ob.size[d];
      else
        inner *= ob.size[d];
    }
    MlirValue acc = {NULL};
    for (size_t j = i; j < nt && !L->failed; j++) {
      if (group[j] != (int)i) continue;
      const tref_t *tj = &L->vals[xi].tiles[j];
      MlirValue part = alloc_tile(L, TRN_SPACE_SBUF, dt, ob.size[pd], outer * inner);
      int64_t sizes[3] = {outer, tj->box.size[axis], inner};
      MlirValue operands[2] = {tj->tile, part};
      MlirNamedAttribute attrs[2] = {
          trn_ir_named(L->ctx, "op", trn_ir_str(L->ctx, alu)),
          trn_ir_named(L->ctx, "sizes", trn_ir_i64_array(L->ctx, 3, sizes)),
      };
      append(L, trn_ir_op(L->loc, "trn_tile.tensor_reduce", 0, NULL, 2, operands, 2, attrs));
      if (mlirValueIsNull(acc))
        acc = part;
      else
        emit_tensor_tensor(L, acc, part, acc, alu);
    }
    if (!L->failed && !produce(L, oi, mlirOperationGetResult(op, 0), acc, &ob, pd)) break;
  }
  free(group);
  return true;
}

static void lower_reduce(lower_t *L, MlirOperation op) {
  size_t oi;
  if (!new_val(L, mlirOperationGetResult(op, 0), &oi)) return;
  val_t *x = get_val(L, mlirOperationGetOperand(op, 0));
  if (!x) {
    fail(L, "operand of the reduction has no value (internal error)", NULL);
    return;
  }
  size_t xi = (size_t)(x - L->vals);
  val_t y = L->vals[oi];
  int64_t axis = -1, pd = -1;
  trn_ir_get_int(op, "axis", &axis);
  if (axis < 0 || axis >= (int64_t)y.rank || y.dims[axis] != 1) {
    fail(L, "reductions without keepdims are not supported", NULL);
    return;
  }
  if (!trn_ir_get_int(op, "trn.pdim", &pd) || pd < 0 || pd >= (int64_t)y.rank) {
    fail(L, "reduction without a layout: run trn-layout first", NULL);
    return;
  }
  int64_t n = x->dims[axis];
  if (n <= 0) {
    fail(L, "a reduction over an empty axis (size 0) is not supported on the ISA path", NULL);
    return;
  }
  L->vals[oi].kind = V_CHIP;
  L->vals[oi].pdim = (int)pd;
  if (pd == axis) {
    /* across partitions: per chunk of the axis a PARTITION_REDUCE into one
     * partition, the chunks combined on DVE */
    int64_t P = L->target->partitions;
    box_t *boxes = NULL;
    size_t nb = default_boxes(L, y.rank, y.dims, (int)pd, 8192 / (int64_t)trn_isa_dtype_size(y.dtype), &boxes);
    if (!boxes) {
      fail_oom(L);
      return;
    }
    for (size_t t = 0; t < nb && !L->failed; t++) {
      int64_t f = box_free(&boxes[t], y.rank, (int)pd);
      MlirValue acc = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, 1, f);
      for (int64_t k0 = 0; k0 < n && !L->failed; k0 += P) {
        box_t in = boxes[t];
        in.start[axis] = k0;
        in.size[axis] = min64(P, n - k0);
        MlirValue src = get_tile(L, &L->vals[xi], &in, (int)pd, y.dtype);
        if (L->failed) break;
        MlirValue part = k0 == 0 ? acc : alloc_tile(L, TRN_SPACE_SBUF, y.dtype, 1, f);
        MlirValue operands[2] = {src, part};
        MlirNamedAttribute attr = trn_ir_named(L->ctx, "op", trn_ir_str(L->ctx, reduce_alu(op)));
        append(L, trn_ir_op(L->loc, "trn_tile.partition_reduce", 0, NULL, 2, operands, 1, &attr));
        if (k0 > 0) emit_tensor_tensor(L, acc, part, acc, reduce_alu(op));
      }
      if (!L->failed) produce(L, oi, mlirOperationGetResult(op, 0), acc, &boxes[t], (int)pd);
    }
    free(boxes);
    return;
  }
  if (L->vals[xi].kind == V_CHIP && L->vals[xi].pdim == pd && L->vals[xi].rank == y.rank && L->vals[xi].ntiles &&
      reduce_by_tiles(L, op, xi, oi, (int)axis, (int)pd))
    return;
  int64_t budget = 16384 / (int64_t)trn_isa_dtype_size(y.dtype);
  box_t *boxes = NULL;
  size_t nb = default_boxes(L, y.rank, y.dims, (int)pd, budget / n > 0 ? budget / n : 1, &boxes);
  if (!boxes) {
    fail_oom(L);
    return;
  }
  for (size_t t = 0; t < nb && !L->failed; t++) {
    box_t in = boxes[t];
    in.start[axis] = 0;
    in.size[axis] = n;
    MlirValue src = get_tile(L, &L->vals[xi], &in, (int)pd, y.dtype);
    if (L->failed) break;
    /* free layout of the input tile: [outer, axis, inner] */
    int64_t outer = 1, inner = 1;
    for (uint32_t d = 0; d < y.rank; d++) {
      if ((int)d == pd || (int64_t)d == axis) continue;
      if ((int64_t)d < axis)
        outer *= in.size[d];
      else
        inner *= in.size[d];
    }
    MlirValue dst = alloc_tile(L, TRN_SPACE_SBUF, y.dtype, boxes[t].size[pd], outer * inner);
    int64_t sizes[3] = {outer, n, inner};
    MlirValue operands[2] = {src, dst};
    MlirNamedAttribute attrs[2] = {
        trn_ir_named(L->ctx, "op", trn_ir_str(L->ctx, reduce_alu(op))),
        trn_ir_named(L->ctx, "sizes", trn_ir_i64_array(L->ctx, 3, sizes)),
    };
    append(L, trn_ir_op(L->loc, "trn_tile.tensor_reduce", 0, NULL, 2, operands, 2, attrs));
    if (!produce(L, oi, mlirOperationGetResult(op, 0), dst, &boxes[t], (int)pd)) break;
  }
  free(boxes);
}

/* The first result index at which the function returns `v`, or -1. */
static int result_index(const lower_t *L, MlirValue v) {
  if (mlirOperationIsNull(L->ret)) return -1;
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(L->ret); i++)
    if (mlirValueEqual(mlirOperationGetOperand(L->ret, i), v)) return (int)i;
  return -1;
}

/* The HBM view of output `i` (its trn_tile.output made on first use). */
static bool output_view(lower_t *L, int i, val_t *ov) {
  val_t shape;
  memset(&shape, 0, sizeof shape);
  MlirValue rv = mlirOperationGetOperand(L->ret, i);
  if (!trn_ir_tensor_shape(mlirValueGetType(rv), &shape.rank, shape.dims, &shape.dtype)) {
    fail(L, "function results must be static ranked tensors of a supported dtype", NULL);
    return false;
  }
  if (!L->out_buf[i]) {
    MlirValue out = make_io(L, "output", name_attr(L->fn, "res_attrs", i), i, &shape);
    if (mlirValueIsNull(out)) return false;
    L->out_buf[i] = new_buf(L, out, (MlirAttribute){NULL}, &shape) + 1;
    if (L->failed) return false;
  }
  *ov = shape;
  ov->kind = V_HBM;
  ov->buf = L->out_buf[i] - 1;
  ov->offset = 0;
  row_major(ov->rank, ov->dims, ov->strides);
  return true;
}

/* Stores a tile of `v` to its output right away if the function returns `v`, so that
 * stores overlap the rest of the program instead of queueing up at its end. */
/* The result index at which the function returns `v`, directly or through a chain of
 * single-use reshapes that only insert or remove unit dims; *box and *pdim are mapped
 * to the returned value's coordinates. -1 if it is not returned that way. */
static int returned_via(lower_t *L, MlirValue v, box_t *box, int *pdim) {
  for (int depth = 0; depth < 8; depth++) {
    int i = result_index(L, v);
    if (i >= 0) return i;
    MlirOperation u = single_user(v);
    if (mlirOperationIsNull(u) || !trn_ir_is(u, "tosa.reshape")) return -1;
    val_t in, out;
    memset(&in, 0, sizeof in);
    memset(&out, 0, sizeof out);
    MlirValue r = mlirOperationGetResult(u, 0);
    if (!trn_ir_tensor_shape(mlirValueGetType(v), &in.rank, in.dims, &in.dtype) ||
        !trn_ir_tensor_shape(mlirValueGetType(r), &out.rank, out.dims, &out.dtype))
      return -1;
    in.pdim = *pdim;
    int q;
    if (!is_unit_reshape(&in, &out, &q)) return -1;
    *box = map_box(&in, &out, box);
    *pdim = q;
    v = r;
  }
  return -1;
}

static void store_if_result(lower_t *L, MlirValue v, MlirValue tile, const box_t *box, int pdim) {
  box_t b = *box;
  int pd = pdim;
  int i = returned_via(L, v, &b, &pd);
  val_t ov;
  if (i < 0 || L->failed || !output_view(L, i, &ov)) return;
  dma_view_tile(L, &ov, &b, pd, tile, true);
  L->out_stored[i] = true;
}

static void lower_return(lower_t *L, MlirOperation op) {
  for (intptr_t i = 0; i < mlirOperationGetNumOperands(op) && !L->failed; i++) {
    val_t *v = get_val(L, mlirOperationGetOperand(op, i));
    if (!v || v->kind == V_UNSET || v->kind == V_FUSED) {
      fail(L, "returned value has no lowering (internal error)", NULL);
      return;
    }
    size_t vi = (size_t)(v - L->vals);
    val_t ov;
    if (!output_view(L, (int)i, &ov)) return;
    if (L->out_stored[i]) continue;
    v = &L->vals[vi];
    if (v->kind == V_CHIP) {
      for (size_t t = 0; t < v->ntiles && !L->failed; t++)
        dma_view_tile(L, &ov, &v->tiles[t].box, v->tiles[t].pdim, v->tiles[t].tile, true);
      continue;
    }
    /* An HBM value returned as is: through SBUF (DMA does not copy HBM to HBM). */
    int pd = 0;
    for (uint32_t d = 0; d < v->rank; d++)
      if (v->dims[d] > v->dims[pd]) pd = (int)d;
    box_t *boxes = NULL;
    size_t nb = default_boxes(L, v->rank, v->dims, pd, 8192 / (int64_t)trn_isa_dtype_size(v->dtype), &boxes);
    if (!boxes) {
      fail_oom(L);
      return;
    }
    for (size_t t = 0; t < nb && !L->failed; t++) {
      MlirValue tile = get_tile(L, &L->vals[vi], &boxes[t], pd, L->vals[vi].dtype);
      if (!L->failed) dma_view_tile(L, &ov, &boxes[t], pd, tile, true);
    }
    free(boxes);
  }
}

/* Erases every HBM scratch buffer (trn_tile.alloc in HBM) that is only ever the
 * destination of DMAs, with those DMAs: a store nobody reads back is dead (a value
 * spilled for views that were all served from its on-chip tiles, say). */
static void drop_dead_scratch(lower_t *L) {
  MlirOperation op = mlirBlockGetFirstOperation(L->block);
  while (!mlirOperationIsNull(op)) {
    MlirOperation next = mlirOperationGetNextInBlock(op);
    trn_tile_type_t ty;
    if (trn_ir_is(op, "trn_tile.alloc") && mlirOperationGetNumResults(op) == 1 &&
        trn_dialects_tile_type_read(mlirValueGetType(mlirOperationGetResult(op, 0)), &ty) &&
        ty.space == TRN_SPACE_HBM) {
      MlirValue buf = mlirOperationGetResult(op, 0);
      bool read = false;
      for (MlirOpOperand u = mlirValueGetFirstUse(buf); !mlirOpOperandIsNull(u) && !read;
           u = mlirOpOperandGetNextUse(u))
        read = !trn_ir_is(mlirOpOperandGetOwner(u), "trn_tile.dma") || mlirOpOperandGetOperandNumber(u) != 1;
      if (!read) {
        for (MlirOpOperand u = mlirValueGetFirstUse(buf); !mlirOpOperandIsNull(u); u = mlirValueGetFirstUse(buf)) {
          MlirOperation dma = mlirOpOperandGetOwner(u);
          if (mlirOperationEqual(dma, next)) next = mlirOperationGetNextInBlock(next);
          mlirOperationDestroy(dma);
        }
        mlirOperationDestroy(op);
      }
    }
    op = next;
  }
}

/* Bytes per partition of an SBUF alloc's tile; 0 if `v` is not one. */
static int64_t sbuf_tile_bytes(MlirValue v) {
  trn_tile_type_t t;
  if (!trn_dialects_tile_type_read(mlirValueGetType(v), &t) || t.space != TRN_SPACE_SBUF) return 0;
  int64_t b = (int64_t)trn_isa_dtype_size(t.dtype);
  for (uint32_t d = 1; d < t.rank; d++) b *= t.dims[d];
  return b;
}

/* The DMAs that fill the SBUF buffer `alloc` from constants (weights), in program
 * order after it, if that is all that writes it (its other uses are views, which are
 * read): up to `cap` in out[]; -1 if another op uses the buffer or there are more. */
static int weight_load_dmas(MlirOperation alloc, MlirOperation *out, int cap) {
  MlirValue buf = mlirOperationGetResult(alloc, 0);
  int ndma = 0;
  for (MlirOpOperand u = mlirValueGetFirstUse(buf); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation o = mlirOpOperandGetOwner(u);
    if (trn_ir_is(o, "trn_tile.view")) continue;
    if (!trn_ir_is(o, "trn_tile.dma") || mlirOpOperandGetOperandNumber(u) != 1) return -1;
    MlirValue src = mlirOperationGetOperand(o, 0);
    if (!mlirValueIsAOpResult(src) || !trn_ir_is(mlirOpResultGetOwner(src), "trn_tile.const")) return -1;
    if (++ndma > cap) return -1;
  }
  int n = 0;
  for (MlirOperation o = mlirOperationGetNextInBlock(alloc); !mlirOperationIsNull(o) && n < ndma;
       o = mlirOperationGetNextInBlock(o))
    if (trn_ir_is(o, "trn_tile.dma") && mlirValueEqual(mlirOperationGetOperand(o, 1), buf)) out[n++] = o;
  return n == ndma && n > 0 ? n : -1;
}

/* Weight prefetch (from -O2): weights do not depend on activations, so the buffer of
 * each weight load (an SBUF alloc written only by DMAs from constants) and its DMAs
 * move to the first matmul of the previous layer that uses the tensor engine (a
 * layer: the ops of one graph node, a run of one location), where they load while
 * that layer computes instead of after it. The buffers then live from there: at most
 * PREFETCH_SHARE of an SBUF partition is moved into any one layer, the other loads
 * stay where they are. Moved loads are marked `prefetched` (trn-lower-to-isa joins
 * them into longer DMA instructions). */
#define PREFETCH_SHARE 8 /* an eighth of a partition */
static void prefetch_weights(lower_t *L) {
  size_t n = 0, cap = 0;
  MlirOperation *ops = NULL;
  for (MlirOperation o = mlirBlockGetFirstOperation(L->block); !mlirOperationIsNull(o);
       o = mlirOperationGetNextInBlock(o)) {
    if (!grow((void **)&ops, &cap, n + 1, sizeof *ops)) {
      free(ops);
      return; /* an optimization only: the program stays as it is */
    }
    ops[n++] = o;
  }
  int64_t budget = (int64_t)L->target->sbuf_partition_bytes / PREFETCH_SHARE;
  /* per op: the first matmul of the last earlier layer with matmuls (after that layer's
   * own loads of its inputs) */
  size_t prev_mm_start = SIZE_MAX, cur_mm = 0;
  size_t *target = malloc((n ? n : 1) * sizeof *target);
  int64_t *used = calloc(n ? n : 1, sizeof *used);
  if (!target || !used) {
    free(ops);
    free(target);
    free(used);
    return;
  }
  bool run_has_mm = false;
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && !mlirLocationEqual(mlirOperationGetLocation(ops[i]), mlirOperationGetLocation(ops[i - 1]))) {
      if (run_has_mm) prev_mm_start = cur_mm;
      run_has_mm = false;
    }
    if (!run_has_mm && trn_ir_is(ops[i], "trn_tile.matmul")) {
      run_has_mm = true;
      cur_mm = i;
    }
    target[i] = prev_mm_start;
  }
  enum { MAX_DMAS = 64 };
  MlirOperation dmas[MAX_DMAS];
  /* Loads keep their order: one that stays (over budget) or lands at `anchor` holds the
   * later ones behind it, so that a layer's own loads never queue behind the next
   * layer's (DMA queues run in order). */
  MlirOperation anchor = {NULL};
  size_t anchor_at = 0; /* the position (index in ops) `anchor` stands for */
  for (size_t i = 0; i < n; i++) {
    if (!trn_ir_is(ops[i], "trn_tile.alloc")) continue;
    int64_t bytes = sbuf_tile_bytes(mlirOperationGetResult(ops[i], 0));
    if (bytes <= 0) continue;
    int nd = weight_load_dmas(ops[i], dmas, MAX_DMAS);
    if (nd <= 0) continue;
    bool after_anchor = !mlirOperationIsNull(anchor) && target[i] != SIZE_MAX && anchor_at >= target[i];
    size_t at = after_anchor ? anchor_at : target[i];
    if (target[i] == SIZE_MAX || at >= i || used[at] + bytes > budget) { /* stays */
      anchor = dmas[nd - 1];
      anchor_at = i;
      continue;
    }
    used[at] += bytes;
    if (after_anchor) {
      mlirOperationMoveAfter(ops[i], anchor);
    } else {
      mlirOperationMoveBefore(ops[i], ops[at]);
    }
    MlirOperation prev = ops[i];
    for (int k = 0; k < nd; k++) {
      mlirOperationMoveAfter(dmas[k], prev);
      mlirOperationSetAttributeByName(dmas[k], mlirStringRefCreateFromCString("prefetched"),
                                      trn_ir_i64(L->ctx, 1));
      prev = dmas[k];
    }
    anchor = prev;
    anchor_at = at;
  }
  free(ops);
  free(target);
  free(used);
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  lower_t L = {0};
  L.ctx = mlirOperationGetContext(module);
  L.target = trn_ir_module_target(module, opts);
  L.opts = opts;
  L.cur = fn;
  L.loc = mlirOperationGetLocation(fn);
  trn_ptr_map_init(&L.map);
  MlirBlock old = trn_ir_func_body(fn);
  L.fn = fn;
  for (MlirOperation op = mlirBlockGetFirstOperation(old); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    if (trn_ir_is(op, "func.return")) L.ret = op;
  size_t nres = mlirOperationIsNull(L.ret) ? 0 : (size_t)mlirOperationGetNumOperands(L.ret);
  L.out_buf = calloc(nres ? nres : 1, sizeof *L.out_buf);
  L.out_stored = calloc(nres ? nres : 1, sizeof *L.out_stored);
  if (!L.out_buf || !L.out_stored) {
    free_vals(&L);
    trn_ir_error(fn, "out of memory");
    mlirExternalPassSignalFailure(pass);
    return;
  }

  /* 0. the graph's HBM footprint (inputs, outputs, constants) against the target,
   * before tiling anything */
  {
    double bytes = 0;
    for (intptr_t i = 0; i < mlirBlockGetNumArguments(old); i++) {
      val_t sh;
      memset(&sh, 0, sizeof sh);
      if (trn_ir_tensor_shape(mlirValueGetType(mlirBlockGetArgument(old, i)), &sh.rank, sh.dims, &sh.dtype)) {
        double b = (double)trn_isa_dtype_size(sh.dtype);
        for (uint32_t d = 0; d < sh.rank; d++) b *= (double)sh.dims[d];
        bytes += b;
      }
    }
    for (MlirOperation op = mlirBlockGetFirstOperation(old); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      bool ret = trn_ir_is(op, "func.return");
      if (!ret && !trn_ir_is(op, "tosa.const")) continue;
      intptr_t n = ret ? mlirOperationGetNumOperands(op) : 1;
      for (intptr_t i = 0; i < n; i++) {
        MlirValue v = ret ? mlirOperationGetOperand(op, i) : mlirOperationGetResult(op, 0);
        val_t sh;
        memset(&sh, 0, sizeof sh);
        if (!trn_ir_tensor_shape(mlirValueGetType(v), &sh.rank, sh.dims, &sh.dtype)) continue;
        double b = (double)trn_isa_dtype_size(sh.dtype);
        for (uint32_t d = 0; d < sh.rank; d++) b *= (double)sh.dims[d];
        bytes += b;
      }
    }
    if (bytes > (double)L.target->hbm_bytes) {
      report_hbm(fn, old, bytes, L.target);
      free_vals(&L);
      mlirExternalPassSignalFailure(pass);
      return;
    }
  }

  /* 1. the new function */
  MlirRegion region = mlirRegionCreate();
  L.block = mlirBlockCreate(0, NULL, NULL);
  mlirRegionAppendOwnedBlock(region, L.block);
  MlirType fty = mlirFunctionTypeGet(L.ctx, 0, NULL, 0, NULL);
  MlirAttribute sym = mlirOperationGetAttributeByName(fn, mlirStringRefCreateFromCString("sym_name"));
  MlirNamedAttribute fattrs[2] = {
      trn_ir_named(L.ctx, "sym_name", sym),
      trn_ir_named(L.ctx, "function_type", mlirTypeAttrGet(fty)),
  };
  MlirOperationState st = mlirOperationStateGet(mlirStringRefCreateFromCString("func.func"), L.loc);
  mlirOperationStateAddAttributes(&st, 2, fattrs);
  mlirOperationStateAddOwnedRegions(&st, 1, &region);
  MlirOperation nfn = mlirOperationCreate(&st);

  for (intptr_t i = 0; i < mlirBlockGetNumArguments(old) && !L.failed; i++) {
    MlirValue arg = mlirBlockGetArgument(old, i);
    size_t vi;
    val_t *v = new_val(&L, arg, &vi);
    if (!v) break;
    if (!trn_ir_tensor_shape(mlirValueGetType(arg), &v->rank, v->dims, &v->dtype)) {
      fail(&L, "function arguments must be static ranked tensors of a supported dtype", NULL);
      break;
    }
    val_t shape = *v;
    MlirValue in = make_io(&L, "input", name_attr(fn, "arg_attrs", i), i, &shape);
    if (mlirValueIsNull(in)) break;
    size_t b = new_buf(&L, in, (MlirAttribute){NULL}, &shape);
    v = &L.vals[vi];
    v->kind = V_HBM;
    v->buf = b;
    row_major(v->rank, v->dims, v->strides);
  }

  /* 2-3. the ops */
  for (MlirOperation op = mlirBlockGetFirstOperation(old); !mlirOperationIsNull(op) && !L.failed;
       op = mlirOperationGetNextInBlock(op)) {
    L.cur = op;
    L.loc = mlirOperationGetLocation(op);
    if (mlirOperationGetNumResults(op) == 1) {
      val_t *done = get_val(&L, mlirOperationGetResult(op, 0));
      if (done) continue; /* fused into an earlier op */
    }
    /* a row-split value (val_t.split) is read only by the convolutions it was made for */
    for (intptr_t i = 0; i < mlirOperationGetNumOperands(op) && !L.failed; i++) {
      val_t *ov = get_val(&L, mlirOperationGetOperand(op, i));
      if (ov && ov->split && !(i == 0 && (trn_ir_is(op, "tosa.conv2d") || trn_ir_is(op, "tosa.transpose"))))
        fail(&L, "a row-split convolution result feeds an op that cannot read it (internal error)", NULL);
    }
    if (L.failed) break;
    if (trn_ir_is(op, "func.return")) {
      lower_return(&L, op);
    } else if (trn_ir_is(op, "tosa.const") || trn_ir_is(op, "arith.constant")) {
      lower_const(&L, op);
    } else if (trn_ir_is(op, "tosa.reshape")) {
      lower_reshape(&L, op);
    } else if (trn_ir_is(op, "tosa.transpose")) {
      lower_transpose(&L, op);
    } else if (trn_ir_is(op, "tosa.matmul")) {
      lower_matmul(&L, op);
    } else if (trn_ir_is_elementwise(op)) {
      lower_elementwise(&L, op);
    } else if (reduce_alu(op)) {
      lower_reduce(&L, op);
    } else if (trn_ir_is(op, "tosa.conv2d")) {
      lower_conv2d(&L, op);
    } else if (trn_ir_is(op, "tosa.depthwise_conv2d")) {
      lower_depthwise(&L, op);
    } else if (trn_ir_is(op, "tosa.max_pool2d") || trn_ir_is(op, "tosa.avg_pool2d")) {
      lower_pool(&L, op, trn_ir_is(op, "tosa.max_pool2d"));
    } else if (trn_ir_is(op, "tosa.pad")) {
      lower_pad(&L, op);
    } else if (trn_ir_is(op, "tosa.slice") || trn_ir_is(op, "tosa.reverse")) {
      lower_view_op(&L, op);
    } else if (trn_ir_is(op, "tosa.concat")) {
      lower_concat(&L, op);
    } else if (trn_ir_is(op, "tosa.tile")) {
      lower_tile_op(&L, op);
    } else if (trn_ir_is(op, "tosa.gather")) {
      lower_gather(&L, op);
    } else {
      MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
      char name[128];
      snprintf(name, sizeof name, "%.*s", (int)n.length, n.data);
      fail(&L, "no lowering to the ISA for '%s' yet", name);
    }
  }
  if (L.failed) {
    mlirOperationDestroy(nfn);
    free_vals(&L);
    mlirExternalPassSignalFailure(pass);
    return;
  }
  drop_dead_scratch(&L);
  append(&L, trn_ir_op(mlirOperationGetLocation(fn), "func.return", 0, NULL, 0, NULL, 0, NULL));

  if (L.opts->opt_level >= 2) prefetch_weights(&L);
  /* 4. swap the functions */
  MlirBlock mbody = mlirRegionGetFirstBlock(mlirOperationGetRegion(module, 0));
  mlirBlockInsertOwnedOperationBefore(mbody, fn, nfn);
  mlirOperationDestroy(fn);
  mlirOperationSetAttributeByName(module, mlirStringRefCreateFromCString("trn.target"),
                                  trn_ir_str(L.ctx, L.target->name));
  free_vals(&L);
}

TRN_PASS_DEF kDef = {"TrnLowerToTile", "trn-lower-to-tile", "lower func + tosa to trn_tile", run};

MlirPass trn_pass_create_lower_to_tile(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
