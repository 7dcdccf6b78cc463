/* trn-lower-to-isa: trn_tile (allocated) -> trn_isa, one op per instruction.
 *
 * Algorithm:
 *  1. Read every buffer-defining op (input, output, const, alloc): space, dtype,
 *     shape and its offset from trn-allocate (an error if it has none).
 *  2. Replace input/output/const by trn_isa.input/output/const carrying the tensor
 *     type and HBM offset (constants keep their elements attribute).
 *  3. Engine ops become one instruction each on their engine's stream: matmul and
 *     transpose on PE, activate on ACT, tensor_tensor/tensor_scalar/tensor_reduce/
 *     select/copy/memset on DVE, partition_reduce and gather on POOL. A tile operand
 *     [P, F...] at byte offset o is the access
 *     pattern partitions [0, P), offset o, free elements F contiguous (split over two
 *     dims if F exceeds a dim's 16-bit count); a [P, 1] operand of tensor_tensor is
 *     broadcast (step 0); tensor_reduce walks its source [axis, inner, outer].
 *  4. A trn_tile.view is its buffer's placement shifted by its partition and free
 *     offsets (no instruction); a strided view (free_pattern) gives the free dims of
 *     its access pattern.
 *  5. A trn_tile.dma becomes descriptors: each side's element pattern is turned into
 *     byte addresses (HBM: hbm_offset + element * size; on chip: partition *
 *     partition_bytes + offset + free element * size, a stride that is a multiple of
 *     the tile's free size stepping partitions); dims are listed innermost first,
 *     contiguous dims merged, and patterns of more than four dims split into several
 *     descriptors over the outer dims. The transfer is cut into pieces of at least
 *     what a queue moves during a DMA's fixed cost (twice that for a load prefetched a
 *     layer ahead; at most one piece per queue), each a
 *     trn_isa.dma on the queue where it is estimated to finish first (-O0: all on
 *     queue 0). From -O1 a piece may instead join the last instruction of its queue
 *     as further descriptors (one fixed cost for both; see "joining" below). A
 *     transfer with a `round` attribute (trn-lower-to-tile gives one to the loads that
 *     should arrive together, e.g. a matmul's first two panels) is cut finer, into up
 *     to ISA_ROUND_PIECES_PER_QUEUE pieces per queue, and its pieces join the open
 *     instruction of the same round on their queue whatever their source and size:
 *     a round costs each queue one fixed cost and spreads evenly over the queues. The
 *     estimate is a schedule in program order: a compute instruction starts when its engine is
 *     free and its sources are ready (trn_isa_inst_cycles at the engine's clock), a
 *     DMA piece when its queue is free, its source is ready and, writing SBUF, the
 *     last instructions reading the bytes it overwrites have ended (fixed cost +
 *     bytes / queue bandwidth), so that neither a store waiting for its producer nor
 *     a load waiting for the readers of its memory holds up the loads queued behind
 *     it.
 *  6. Erase the trn_tile ops.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct buf_t {
  trn_tile_type_t type;
  uint64_t offset; /* bytes: in each partition (on chip) or in HBM */
  int64_t free;    /* elements per partition (on chip) */
  uint32_t start_partition;
  size_t parent;   /* index of the buffer a view is of, or SIZE_MAX */
  int npattern;    /* a strided view: its free dims (num, step), innermost first */
  int64_t pnum[TRN_AP_DIMS], pstep[TRN_AP_DIMS];
  double ready_ns; /* estimated time its last write completes (queue choice) */
} buf_t;

/* A memory range one instruction touches: partitions [p0, p1) and bytes [b0, b1) in
 * each (HBM: p0 = 0, p1 = 1, absolute bytes). */
typedef struct range_t {
  uint8_t space;
  bool write;
  uint32_t p0, p1;
  uint64_t b0, b1;
  size_t seq; /* program-order rank of the instruction (or DMA piece) it belongs to */
} range_t;

/* The DMA instruction still open on a queue: later pieces assigned to that queue may
 * join it as further descriptors (one fixed cost for all) instead of starting their
 * own instruction. It is emitted at the position of its first piece. */
typedef struct pending_t {
  trn_dma_desc_t *descs;
  size_t n, cap;
  MlirOperation op;     /* the instruction emitted so far (at its first piece's place) */
  size_t seq;           /* program-order rank of its first piece */
  double start, end;    /* estimated */
  uint64_t bytes;
  size_t src; /* what its pieces share: 2 * the HBM buffer they load from, or 2 * the buffer they write + 1 */
  size_t *dsts; /* bufs written by its pieces (their data is ready at `end`) */
  size_t ndst, capdst;
} pending_t;

typedef struct isa_t {
  MlirContext ctx;
  const trn_target_t *target;
  MlirBlock block;
  trn_ptr_map_t map; /* tile value -> bufs index */
  buf_t *bufs;
  size_t nbufs, cap;
  /* A program-order estimate of the schedule, to place DMAs on queues: when each
   * queue and engine is free, when each buffer's data is ready. */
  double queue_ns[TRN_MAX_DMA_QUEUES];
  double engine_ns[TRN_ENGINE_DMA];
  uint32_t queues; /* DMA queues used: the target's, one at -O0 */
  size_t dma_index, last_load; /* this trn_tile.dma's rank; that of the last from HBM */
  size_t ndma;                 /* trn_tile.dma ops in the function */
  uint64_t later_load_pieces;  /* pieces of the loads not yet placed (load_pieces) */
  bool merge;                  /* join DMA pieces into open instructions (-O1 and up) */
  pending_t pending[TRN_MAX_DMA_QUEUES];
  range_t *log; /* ranges of the instructions since the oldest open one, by seq */
  size_t nlog, caplog, seq;
  /* per ISA_READ_PARTITIONS partitions and ISA_READ_GRANULE bytes of SBUF in each
   * (sbuf_granules of them per partition group): the estimated end of the last
   * instruction reading them */
  double *sbuf_read_ns;
  size_t sbuf_granules, sbuf_groups;
  bool failed;
} isa_t;

#define ISA_READ_GRANULE 64u
#define ISA_READ_PARTITIONS 16u

/* Notes that an instruction ending at `end` reads the SBUF of range `r`. */
static void note_sbuf_read(isa_t *S, const range_t *r, double end) {
  for (size_t p = r->p0 / ISA_READ_PARTITIONS; p < S->sbuf_groups && p * ISA_READ_PARTITIONS < r->p1; p++)
    for (uint64_t g = r->b0 / ISA_READ_GRANULE; g < S->sbuf_granules && g * ISA_READ_GRANULE < r->b1; g++)
      if (S->sbuf_read_ns[p * S->sbuf_granules + g] < end) S->sbuf_read_ns[p * S->sbuf_granules + g] = end;
}

/* When the last reader so far of the SBUF of range `r` is estimated to end. */
static double sbuf_read_end(const isa_t *S, const range_t *r) {
  double t = 0;
  for (size_t p = r->p0 / ISA_READ_PARTITIONS; p < S->sbuf_groups && p * ISA_READ_PARTITIONS < r->p1; p++)
    for (uint64_t g = r->b0 / ISA_READ_GRANULE; g < S->sbuf_granules && g * ISA_READ_GRANULE < r->b1; g++)
      if (S->sbuf_read_ns[p * S->sbuf_granules + g] > t) t = S->sbuf_read_ns[p * S->sbuf_granules + g];
  return t;
}

static bool push_buf(isa_t *S, MlirValue v, const buf_t *b);

static const buf_t *buf_of(isa_t *S, MlirOperation op, MlirValue v) {
  size_t i;
  if (!trn_ptr_map_get(&S->map, v.ptr, &i)) {
    trn_ir_error(op, "operand is not a placed trn_tile buffer");
    S->failed = true;
    return NULL;
  }
  return &S->bufs[i];
}

/* When the data of `b` (or of the buffer it is a view of) is ready. */
static double ready_of(const isa_t *S, const buf_t *b) {
  double r = b->ready_ns;
  if (b->parent != SIZE_MAX && S->bufs[b->parent].ready_ns > r) r = S->bufs[b->parent].ready_ns;
  return r;
}

static void set_ready(isa_t *S, const buf_t *b, double t) {
  buf_t *w = &S->bufs[b - S->bufs];
  if (t > w->ready_ns) w->ready_ns = t;
  if (w->parent != SIZE_MAX && t > S->bufs[w->parent].ready_ns) S->bufs[w->parent].ready_ns = t;
}

static bool ap_of(isa_t *S, MlirOperation op, const buf_t *b, trn_ap_t *ap) {
  memset(ap, 0, sizeof *ap);
  if (b->type.space == TRN_SPACE_HBM) {
    trn_ir_error(op, "an engine operand must be in SBUF or PSUM, not HBM");
    S->failed = true;
    return false;
  }
  ap->space = (uint8_t)b->type.space;
  ap->dtype = (uint8_t)b->type.dtype;
  ap->start_partition = (uint8_t)b->start_partition;
  ap->num_partitions = (uint8_t)b->type.dims[0];
  ap->offset = (uint32_t)b->offset;
  for (int i = 0; i < TRN_AP_DIMS; i++) {
    ap->num[i] = 1;
    ap->step[i] = 0;
  }
  if (b->npattern) {
    for (int i = 0; i < b->npattern; i++) {
      ap->num[i] = (uint16_t)b->pnum[i];
      ap->step[i] = (int32_t)b->pstep[i];
    }
    return true;
  }
  int64_t f = b->free;
  if (f <= UINT16_MAX) {
    ap->num[0] = (uint16_t)f;
    ap->step[0] = 1;
    return true;
  }
  for (int64_t d = UINT16_MAX; d > 1; d--) {
    if (f % d == 0 && f / d <= UINT16_MAX) {
      ap->num[0] = (uint16_t)d;
      ap->step[0] = 1;
      ap->num[1] = (uint16_t)(f / d);
      ap->step[1] = (int32_t)d;
      return true;
    }
  }
  trn_ir_error(op, "a tile of %lld elements per partition has no two-dim access pattern", (long long)f);
  S->failed = true;
  return false;
}

static void init_inst(trn_inst_t *inst, trn_opcode_t opcode) {
  memset(inst, 0, sizeof *inst);
  inst->opcode = (uint8_t)opcode;
  inst->wait_sem = TRN_SEM_NONE;
  inst->signal_sem = TRN_SEM_NONE;
}

static uint32_t f32_bits(double v) {
  float f = (float)v;
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

static MlirOperation emit(isa_t *S, MlirOperation before, const trn_inst_t *inst, uint32_t stream,
                          const trn_dma_desc_t *descs, size_t ndesc) {
  MlirOperation op =
      trn_dialects_isa_build(S->ctx, mlirOperationGetLocation(before), inst, stream, descs, ndesc);
  mlirBlockInsertOwnedOperationBefore(S->block, before, op);
  return op;
}

static bool parse_name(isa_t *S, MlirOperation op, const char *attr, bool act, uint8_t *out) {
  MlirStringRef s;
  if (!trn_ir_get_str(op, attr, &s)) {
    trn_ir_error(op, "missing string attribute '%s'", attr);
    S->failed = true;
    return false;
  }
  bool ok;
  if (act) {
    trn_act_t a;
    ok = trn_isa_act_parse(s.data, s.length, &a);
    *out = (uint8_t)a;
  } else {
    trn_alu_t a;
    ok = trn_isa_alu_parse(s.data, s.length, &a);
    *out = (uint8_t)a;
  }
  if (!ok) {
    trn_ir_error(op, "unknown %s '%.*s'", act ? "activation function" : "ALU operation", (int)s.length, s.data);
    S->failed = true;
  }
  return ok;
}

/* ---- DMA ---------------------------------------------------------------------- */

static void emit_dma_split(isa_t *S, MlirOperation op, const buf_t *src, const buf_t *dst, trn_dma_desc_t *descs,
                           size_t count, int64_t round);

typedef struct side_t {
  uint64_t base;
  int64_t step[TRN_TILE_MAX_RANK + 1];
} side_t;

static bool side_of(isa_t *S, MlirOperation op, const buf_t *b, int64_t offset, const int64_t *strides, int n,
                    side_t *out) {
  uint64_t es = trn_isa_dtype_size(b->type.dtype);
  if (b->npattern) {
    trn_ir_error(op, "a strided view cannot be a DMA operand");
    S->failed = true;
    return false;
  }
  if (b->type.space == TRN_SPACE_HBM) {
    if (offset < 0) goto bad;
    out->base = b->offset + (uint64_t)offset * es;
    for (int i = 0; i < n; i++) out->step[i] = strides[i];
    return true;
  }
  int64_t F = b->free, pb = (int64_t)(b->type.space == TRN_SPACE_SBUF ? S->target->sbuf_partition_bytes
                                                                      : S->target->psum_partition_bytes);
  if (offset < 0 || F <= 0) goto bad;
  int64_t p0 = offset / F + (int64_t)b->start_partition, f0 = offset % F;
  out->base = (uint64_t)(p0 * pb) + b->offset + (uint64_t)f0 * es;
  for (int i = 0; i < n; i++) {
    int64_t s = strides[i];
    if (s % F == 0)
      out->step[i] = s / F * (pb / (int64_t)es);
    else if (s > -F && s < F)
      out->step[i] = s;
    else
      goto bad;
  }
  return true;
bad:
  trn_ir_error(op, "DMA pattern on a %s tile cannot be expressed as partition and free steps",
               trn_isa_space_name(b->type.space));
  S->failed = true;
  return false;
}

/* The round a trn_tile.dma belongs to (its `round` attribute), 0 if none. */
static int64_t dma_round(MlirOperation op) {
  int64_t r = 0;
  if (!trn_ir_get_int(op, "round", &r) || r < 0) return 0;
  return r;
}

/* Whether trn-lower-to-tile moved a trn_tile.dma a layer ahead (`prefetched`). */
static bool dma_prefetched(MlirOperation op) {
  int64_t pf = 0;
  return trn_ir_get_int(op, "prefetched", &pf) && pf > 0;
}

static void lower_dma(isa_t *S, MlirOperation op) {
  S->dma_index++;
  const buf_t *src = buf_of(S, op, mlirOperationGetOperand(op, 0));
  const buf_t *dst = buf_of(S, op, mlirOperationGetOperand(op, 1));
  if (!src || !dst) return;
  int64_t sizes[TRN_TILE_MAX_RANK + 1], ss[TRN_TILE_MAX_RANK + 1], ds[TRN_TILE_MAX_RANK + 1], so = 0, dof = 0;
  size_t n, n1, n2;
  if (!trn_ir_get_i64_array(op, "sizes", sizes, TRN_TILE_MAX_RANK + 1, &n) ||
      !trn_ir_get_i64_array(op, "src_strides", ss, TRN_TILE_MAX_RANK + 1, &n1) ||
      !trn_ir_get_i64_array(op, "dst_strides", ds, TRN_TILE_MAX_RANK + 1, &n2) || n != n1 || n != n2 || n == 0 ||
      !trn_ir_get_int(op, "src_offset", &so) || !trn_ir_get_int(op, "dst_offset", &dof)) {
    trn_ir_error(op, "malformed trn_tile.dma pattern (sizes, src/dst offset and strides of equal length)");
    S->failed = true;
    return;
  }
  for (size_t i = 0; i < n; i++) {
    if (sizes[i] < 1) {
      trn_ir_error(op, "DMA size %lld in dim %zu", (long long)sizes[i], i);
      S->failed = true;
      return;
    }
  }
  side_t a, b;
  if (!side_of(S, op, src, so, ss, (int)n, &a) || !side_of(S, op, dst, dof, ds, (int)n, &b)) return;
  /* innermost first, size-1 dims dropped, contiguous dims merged */
  int64_t num[TRN_TILE_MAX_RANK + 1], sst[TRN_TILE_MAX_RANK + 1], dst_[TRN_TILE_MAX_RANK + 1];
  int m = 0;
  for (int i = (int)n - 1; i >= 0; i--) {
    if (sizes[i] == 1) continue;
    if (m > 0 && a.step[i] == sst[m - 1] * num[m - 1] && b.step[i] == dst_[m - 1] * num[m - 1]) {
      num[m - 1] *= sizes[i];
      continue;
    }
    num[m] = sizes[i];
    sst[m] = a.step[i];
    dst_[m] = b.step[i];
    m++;
  }
  if (m == 0) {
    num[0] = 1;
    sst[0] = dst_[0] = 0;
    m = 1;
  }
  /* split the dims beyond TRN_DMA_DIMS into several descriptors */
  size_t count = 1;
  for (int i = TRN_DMA_DIMS; i < m; i++) count *= (size_t)num[i];
  trn_dma_desc_t *descs = calloc(count, sizeof *descs);
  if (!descs) {
    trn_ir_error(op, "out of memory");
    S->failed = true;
    return;
  }
  for (size_t c = 0; c < count; c++) {
    trn_dma_desc_t *d = &descs[c];
    d->src_space = (uint8_t)src->type.space;
    d->dst_space = (uint8_t)dst->type.space;
    d->src_dtype = (uint8_t)src->type.dtype;
    d->dst_dtype = (uint8_t)dst->type.dtype;
    int64_t sa = (int64_t)a.base, da = (int64_t)b.base;
    size_t rem = c;
    for (int i = TRN_DMA_DIMS; i < m; i++) {
      int64_t idx = (int64_t)(rem % (size_t)num[i]);
      rem /= (size_t)num[i];
      sa += idx * sst[i] * (int64_t)trn_isa_dtype_size(src->type.dtype);
      da += idx * dst_[i] * (int64_t)trn_isa_dtype_size(dst->type.dtype);
    }
    if (sa < 0 || da < 0) {
      trn_ir_error(op, "DMA address below zero");
      S->failed = true;
      free(descs);
      return;
    }
    d->src_addr = (uint64_t)sa;
    d->dst_addr = (uint64_t)da;
    for (int i = 0; i < TRN_DMA_DIMS; i++) {
      d->num[i] = i < m ? (uint32_t)num[i] : 1;
      d->src_step[i] = i < m ? sst[i] : 0;
      d->dst_step[i] = i < m ? dst_[i] : 0;
    }
  }
  emit_dma_split(S, op, src, dst, descs, count, dma_round(op));
  free(descs);
}

/* Splits a transfer into pieces that balance the DMA queues: a piece moves at least
 * what a queue moves during the fixed cost of a DMA (so the fixed cost does not
 * dominate), at most one piece per queue; each piece goes to the queue estimated to
 * be free first. A single descriptor is cut by split_desc. */
/* Cuts `d` into about `pieces` descriptors (into out[], or only counted in *n when
 * out is NULL) in index order: along dim `dim` when it has enough indices (or half
 * as many, if the pieces stay small), else one index of it at a time, each cut further along the next inner
 * dim (so that the first pieces hold whole outer slices, which their consumers can
 * start on). */
static void split_desc(const trn_dma_desc_t *d, int dim, uint64_t pieces, double min_piece, trn_dma_desc_t *out,
                       size_t *n) {
  uint64_t num = d->num[dim];
  if (pieces <= 1 || (num == 1 && dim == 0)) {
    if (out) out[*n] = *d;
    (*n)++;
    return;
  }
  if (num == 1) {
    split_desc(d, dim - 1, pieces, min_piece, out, n);
    return;
  }
  /* enough indices here, or within a factor of two of enough if that keeps pieces
   * small (at most 4x what a queue moves during a DMA's fixed cost): no finer cut */
  uint64_t bytes = trn_isa_dma_elems(d) * trn_isa_dtype_size((trn_dtype_t)d->src_dtype);
  bool here = num >= pieces || dim == 0 || (num * 2 >= pieces && (double)bytes / (double)num <= 4.0 * min_piece);
  uint64_t parts = here ? (pieces < num ? pieces : num) : num;
  uint64_t chunk = (num + parts - 1) / parts, done = 0;
  uint64_t sub = here ? 1 : (pieces + num - 1) / num;
  int64_t ses = (int64_t)trn_isa_dtype_size((trn_dtype_t)d->src_dtype);
  int64_t des = (int64_t)trn_isa_dtype_size((trn_dtype_t)d->dst_dtype);
  while (done < num) {
    trn_dma_desc_t p = *d;
    uint64_t c = num - done < chunk ? num - done : chunk;
    p.num[dim] = (uint32_t)c;
    p.src_addr = (uint64_t)((int64_t)d->src_addr + (int64_t)done * d->src_step[dim] * ses);
    p.dst_addr = (uint64_t)((int64_t)d->dst_addr + (int64_t)done * d->dst_step[dim] * des);
    if (sub > 1) {
      split_desc(&p, dim - 1, sub, min_piece, out, n);
    } else {
      if (out) out[*n] = p;
      (*n)++;
    }
    done += c;
  }
}

/* ---- joining DMA pieces into open instructions --------------------------------
 *
 * Each queue keeps its last DMA instruction open while the pieces after it could
 * run in its place: a piece assigned to that queue joins it as further descriptors
 * (paying the fixed cost once) when it loads from the same HBM buffer (the tiles of
 * one weight, streamed to its matmuls) or, not loading, writes the same buffer (the
 * tiles of one activation), its source is ready by the instruction's
 * estimated start, the instruction stays below a size (so its first consumers are
 * not held up long), and no instruction between the open one and the piece touches
 * what the piece touches (joining moves the piece up to the open instruction's place
 * in program order; trn-insert-sync then orders the joined instruction after all
 * producers of any of its descriptors). */

/* Memory ranges (of the instructions since an open DMA instruction) a joining piece
 * is checked against at most: beyond them the open instruction is closed (bounds the
 * compile time and the log). */
#define ISA_JOIN_WINDOW 512
/* A joined instruction moves at most this many times what a queue moves during the
 * fixed cost of a DMA; more for loads trn-lower-to-tile prefetched a layer ahead
 * (`prefetched`): their consumers are a layer away, so a longer instruction holds
 * nothing up and saves fixed costs. Measured on the example models: 6 for prefetched
 * loads takes ResNet-50 from 644 to 641 us (369 to 354 us with --auto-cast=matmul) and
 * slows nothing; 8 gained more on ResNet but slowed the auto-cast BERT-base layer by
 * 3 us, 16 slowed ResNet-18, and 8 for every load slowed the BERT-base layer and the
 * GEMV. */
#define ISA_JOIN_MAX_FIXED 4.0
#define ISA_JOIN_MAX_FIXED_PREFETCHED 6.0
/* ... and for prefetched loads while the open instruction starts after the tensor
 * engine's estimated time at this point of the program: the queues are behind the
 * compute there, so the consumers wait for them anyway and fewer fixed costs finish
 * the stream sooner. Measured: ResNet-50 with --auto-cast=matmul 313.6 -> 309.0 us,
 * the auto-cast BERT-base layer 84.1 -> 83.0 us, nothing slower; 10 and 12 the same. */
#define ISA_JOIN_MAX_FIXED_BEHIND 8.0

static void log_range(isa_t *S, range_t r) {
  if (S->nlog == S->caplog) {
    size_t cap = S->caplog ? S->caplog * 2 : 256;
    range_t *n = realloc(S->log, cap * sizeof *n);
    if (!n) {
      S->failed = true;
      return;
    }
    S->log = n;
    S->caplog = cap;
  }
  S->log[S->nlog++] = r;
}

static range_t ap_range(const trn_ap_t *ap, bool write, size_t seq) {
  int64_t es = (int64_t)trn_isa_dtype_size((trn_dtype_t)ap->dtype), lo = 0, hi = 0;
  for (int d = 0; d < TRN_AP_DIMS; d++) {
    int64_t ext = (int64_t)(ap->num[d] - 1) * ap->step[d];
    if (ext < 0) lo += ext;
    else hi += ext;
  }
  int64_t b0 = (int64_t)ap->offset + lo * es, b1 = (int64_t)ap->offset + (hi + 1) * es;
  range_t r = {ap->space, write, ap->start_partition, (uint32_t)ap->start_partition + ap->num_partitions,
               (uint64_t)(b0 < 0 ? 0 : b0), (uint64_t)(b1 < 0 ? 0 : b1), seq};
  return r;
}

/* One side of a descriptor, with the bounds trn-insert-sync takes too. */
static range_t desc_range(const isa_t *S, const trn_dma_desc_t *d, bool src, size_t seq) {
  trn_ir_footprint_t f = trn_ir_desc_footprint(S->target, d, src);
  range_t r = {src ? d->src_space : d->dst_space, !src, f.p0, f.p1, f.b0, f.b1, seq};
  return r;
}

static bool ranges_conflict(const range_t *x, const range_t *y) {
  if ((!x->write && !y->write) || x->space != y->space) return false;
  if (x->p1 <= y->p0 || y->p1 <= x->p0) return false;
  return !(x->b1 <= y->b0 || y->b1 <= x->b0);
}

static bool any_open(const isa_t *S) {
  for (uint32_t q = 0; q < S->queues; q++)
    if (S->pending[q].n) return true;
  return false;
}

/* The first log entry at or after `seq` (the log is in seq order). */
static size_t log_from(const isa_t *S, size_t seq) {
  size_t lo = 0, hi = S->nlog;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (S->log[mid].seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Closes queue q's open instruction and drops the log entries no open one needs. */
static void close_pending(isa_t *S, uint32_t q) {
  S->pending[q].n = 0;
  S->pending[q].ndst = 0;
  size_t oldest = SIZE_MAX;
  for (uint32_t k = 0; k < S->queues; k++)
    if (S->pending[k].n && S->pending[k].seq < oldest) oldest = S->pending[k].seq;
  size_t from = oldest == SIZE_MAX ? S->nlog : log_from(S, oldest);
  if (from == 0) return; /* nothing to drop (the log may not exist yet) */
  memmove(S->log, S->log + from, (S->nlog - from) * sizeof *S->log);
  S->nlog -= from;
}

/* Records the ranges of a compute instruction while some DMA instruction is open. */
static void log_compute(isa_t *S, const trn_inst_t *inst) {
  if (!S->merge || !any_open(S)) return;
  size_t seq = ++S->seq;
  const trn_ap_t *aps[3] = {&inst->dst, &inst->src0, &inst->src1};
  for (int i = 0; i < 3; i++)
    if (aps[i]->space != TRN_SPACE_NONE) log_range(S, ap_range(aps[i], i == 0, seq));
}

/* Whether descs[0..n) may join queue q's open instruction. */
static bool can_join(isa_t *S, uint32_t q, const trn_dma_desc_t *descs, size_t n) {
  const pending_t *p = &S->pending[q];
  size_t from = log_from(S, p->seq);
  for (size_t i = 0; i < n; i++) {
    range_t r[2] = {desc_range(S, &descs[i], true, 0), desc_range(S, &descs[i], false, 0)};
    for (size_t k = from; k < S->nlog; k++)
      if (ranges_conflict(&r[0], &S->log[k]) || ranges_conflict(&r[1], &S->log[k])) return false;
  }
  return true;
}

static bool push_desc(isa_t *S, pending_t *p, const trn_dma_desc_t *descs, size_t n, size_t dst) {
  if (p->n + n > p->cap) {
    size_t cap = p->cap ? p->cap * 2 : 16;
    while (cap < p->n + n) cap *= 2;
    trn_dma_desc_t *d = realloc(p->descs, cap * sizeof *d);
    if (!d) return false;
    p->descs = d;
    p->cap = cap;
  }
  memcpy(p->descs + p->n, descs, n * sizeof *descs);
  p->n += n;
  if (p->ndst == p->capdst) {
    size_t cap = p->capdst ? p->capdst * 2 : 16;
    size_t *d = realloc(p->dsts, cap * sizeof *d);
    if (!d) return false;
    p->dsts = d;
    p->capdst = cap;
  }
  p->dsts[p->ndst++] = dst;
  return true;
}

/* The smallest piece of a transfer of a round (bytes; see emit_dma_split). */
#define ISA_ROUND_MIN_PIECE 4096.0
/* Pieces per queue a transfer of a round is cut into at most (finer pieces balance
 * the queues' shares of the round). */
#define ISA_ROUND_PIECES_PER_QUEUE 4

/* The smallest piece of a load trn-lower-to-tile prefetched a layer ahead, in what a
 * queue moves during a DMA's fixed cost: its consumers are a layer away, so fewer,
 * longer pieces hold nothing up, and while the queues are all busy (the weight
 * streams of the late ResNet layers) every fixed cost saved is queue time. Measured:
 * 2 takes ResNet-50 with --auto-cast=matmul from 333 to 314 us, ResNet-18 from 326
 * to 323 us and the auto-cast BERT-base layer from 86.2 to 84.1 us (fp32 ResNet-50
 * 582.5 -> 583.9 us); 3 and more slowed the auto-cast BERT-base layer. */
#define ISA_PREFETCHED_PIECE_FIXED 2.0

/* The pieces a load of `bytes` is cut into: what a queue moves during a DMA's fixed
 * cost each (ISA_PREFETCHED_PIECE_FIXED times that if `prefetched`), at least one, at
 * most one per queue (of a round: ISA_ROUND_MIN_PIECE each, at most
 * ISA_ROUND_PIECES_PER_QUEUE per queue). */
static uint64_t load_pieces(const isa_t *S, uint64_t bytes, int64_t round, bool prefetched) {
  double min_piece = S->target->dma_queue_gbps * S->target->dma_fixed_ns; /* GB/s * ns = bytes */
  if (prefetched) min_piece *= ISA_PREFETCHED_PIECE_FIXED;
  if (round > 0) min_piece = ISA_ROUND_MIN_PIECE;
  uint64_t pieces = min_piece > 0 ? (uint64_t)((double)bytes / min_piece) : 1;
  if (pieces < 1) pieces = 1;
  uint64_t most = round > 0 ? (uint64_t)S->queues * ISA_ROUND_PIECES_PER_QUEUE : S->queues;
  if (pieces > most) pieces = most;
  return pieces;
}

static void emit_dma_split(isa_t *S, MlirOperation op, const buf_t *src, const buf_t *dst, trn_dma_desc_t *descs,
                           size_t count, int64_t round) {
  double src_ready = ready_of(S, src);
  const trn_target_t *t = S->target;
  const uint32_t queues = S->queues;
  uint64_t bytes = 0;
  for (size_t i = 0; i < count; i++)
    bytes += trn_isa_dma_elems(&descs[i]) * trn_isa_dtype_size((trn_dtype_t)descs[i].src_dtype);
  double min_piece = t->dma_queue_gbps * t->dma_fixed_ns; /* GB/s * ns = bytes */
  const bool prefetched = dma_prefetched(op);
  uint64_t pieces = load_pieces(S, bytes, round, prefetched);
  const double join_cap = prefetched ? ISA_JOIN_MAX_FIXED_PREFETCHED : ISA_JOIN_MAX_FIXED;
  if (src->type.space == TRN_SPACE_HBM)
    S->later_load_pieces = S->later_load_pieces > pieces ? S->later_load_pieces - pieces : 0;
  uint64_t later = S->dma_index > S->last_load ? 0 : S->later_load_pieces;
  if (dst->type.space == TRN_SPACE_HBM && src->type.space != TRN_SPACE_HBM && later < queues && min_piece > 0) {
    /* A store near the end (the loads after it, if any, take fewer pieces than
     * there are queues): its latency is the program's tail, so it is also spread
     * over the queues idle by the time its source is ready, less one per piece of
     * the later loads (which then need not wait behind it), in pieces of at least a
     * quarter of what a queue moves during the fixed cost (an eighth for the last
     * transfer of the program, which no later transfer can wait behind). */
    double per_fixed = S->dma_index == S->ndma ? 8.0 : 4.0;
    uint64_t idle = 0, most = (uint64_t)(per_fixed * (double)bytes / min_piece);
    for (uint32_t k = 0; k < queues; k++) idle += S->queue_ns[k] <= src_ready;
    idle = idle > later ? idle - later : 0;
    if (idle > most) idle = most;
    if (idle > pieces) pieces = idle;
  }
  trn_dma_desc_t *split = NULL;
  int top = TRN_DMA_DIMS - 1;
  while (top > 0 && descs[0].num[top] == 1) top--;
  if (count == 1 && pieces > 1) {
    size_t nsplit = 0;
    split_desc(&descs[0], top, pieces, min_piece, NULL, &nsplit); /* count first */
    split = calloc(nsplit, sizeof *split);
    if (split) {
      nsplit = 0;
      split_desc(&descs[0], top, pieces, min_piece, split, &nsplit);
      descs = split;
      count = nsplit;
    }
  }
  /* one instruction per piece (several descriptors of a >4-dim pattern: spread evenly) */
  size_t per = split ? 1 : (count + pieces - 1) / pieces;
  if (per == 0) per = 1;
  for (size_t i = 0; i < count; i += per) {
    size_t n = count - i < per ? count - i : per;
    uint64_t b = 0;
    for (size_t k = i; k < i + n; k++)
      b += trn_isa_dma_elems(&descs[k]) * trn_isa_dtype_size((trn_dtype_t)descs[k].src_dtype);
    /* the queue where it would finish first, given when its source is ready (joining
     * that queue's open instruction saves the fixed cost) */
    double data = t->dma_queue_gbps > 0 ? (double)b / t->dma_queue_gbps : 0;
    double cost = t->dma_fixed_ns + data;
    /* a piece writing SBUF also waits for the last readers of what it overwrites
     * (trn-insert-sync orders it after them): a queue it is put on waits with it, so
     * the pieces after it go where they need not */
    double ready = src_ready;
    if (dst->type.space == TRN_SPACE_SBUF)
      for (size_t k = i; k < i + n; k++) {
        range_t r = desc_range(S, &descs[k], false, 0);
        double w = sbuf_read_end(S, &r);
        if (w > ready) ready = w;
      }
    size_t sroot = src->parent != SIZE_MAX ? src->parent : (size_t)(src - S->bufs);
    size_t droot = dst->parent != SIZE_MAX ? dst->parent : (size_t)(dst - S->bufs);
    size_t srci = src->type.space == TRN_SPACE_HBM ? 2 * sroot : 2 * droot + 1; /* what may share an instruction */
    if (round > 0) srci = SIZE_MAX - (size_t)round; /* the transfers of one round share, whatever their source */
    if (S->merge) /* open instructions too far back stay as they are (bounds the log) */
      for (uint32_t k = 0; k < queues; k++)
        if (S->pending[k].n && S->nlog - log_from(S, S->pending[k].seq) > ISA_JOIN_WINDOW) close_pending(S, k);
    uint32_t q = 0;
    double best = 0, best_start = 0;
    bool join = false;
    for (uint32_t k = 0; k < queues; k++) {
      const pending_t *p = &S->pending[k];
      double cap = prefetched && p->start > S->engine_ns[TRN_ENGINE_PE] ? ISA_JOIN_MAX_FIXED_BEHIND : join_cap;
      bool j = S->merge && p->n && p->src == srci && ready <= p->start &&
               (round > 0 || (double)(p->bytes + b) <= cap * min_piece) && can_join(S, k, &descs[i], n);
      double start = S->queue_ns[k] > ready ? S->queue_ns[k] : ready;
      double end = j ? S->queue_ns[k] + data : start + cost;
      if (k == 0 || end < best) {
        best = end;
        best_start = start;
        q = k;
        join = j;
      }
    }
    S->queue_ns[q] = best;
    if (src->type.space == TRN_SPACE_SBUF)
      for (size_t k = i; k < i + n; k++) {
        range_t r = desc_range(S, &descs[k], true, 0);
        note_sbuf_read(S, &r, best);
      }
    size_t dsti = (size_t)(dst - S->bufs);
    pending_t *p = &S->pending[q];
    trn_inst_t inst;
    init_inst(&inst, TRN_OP_DMA);
    if (join) {
      if (!push_desc(S, p, &descs[i], n, dsti)) {
        trn_ir_error(op, "out of memory");
        S->failed = true;
        break;
      }
      /* the joined instruction replaces the open one, at its place */
      MlirOperation joined = emit(S, p->op, &inst, TRN_STREAM_DMA0 + q, p->descs, p->n);
      mlirOperationDestroy(p->op);
      p->op = joined;
      p->bytes += b;
      p->end = best;
      for (size_t k = 0; k < p->ndst; k++) set_ready(S, &S->bufs[p->dsts[k]], best);
    } else {
      MlirOperation one = emit(S, op, &inst, TRN_STREAM_DMA0 + q, &descs[i], n);
      set_ready(S, dst, best);
      if (S->merge) {
        close_pending(S, q);
        if (!push_desc(S, p, &descs[i], n, dsti)) {
          trn_ir_error(op, "out of memory");
          S->failed = true;
          break;
        }
        p->op = one;
        p->seq = S->seq + 1;
        p->start = best_start;
        p->end = best;
        p->bytes = b;
        p->src = srci;
      }
    }
    if (S->merge) {
      size_t seq = ++S->seq;
      for (size_t k = i; k < i + n; k++) {
        log_range(S, desc_range(S, &descs[k], true, seq));
        log_range(S, desc_range(S, &descs[k], false, seq));
      }
    }
  }
  free(split);
}

/* ---- engine ops --------------------------------------------------------------- */

static void lower_compute(isa_t *S, MlirOperation op) {
  trn_inst_t inst;
  const buf_t *b[3] = {NULL, NULL, NULL};
  intptr_t nops = mlirOperationGetNumOperands(op);
  for (intptr_t i = 0; i < nops && i < 3; i++)
    if (!(b[i] = buf_of(S, op, mlirOperationGetOperand(op, i)))) return;
  uint32_t stream;
  if (trn_ir_is(op, "trn_tile.matmul")) {
    init_inst(&inst, TRN_OP_MATMUL);
    stream = TRN_ENGINE_PE;
    if (!ap_of(S, op, b[2], &inst.dst) || !ap_of(S, op, b[0], &inst.src0) || !ap_of(S, op, b[1], &inst.src1)) return;
    int64_t acc = 0;
    trn_ir_get_int(op, "accumulate", &acc);
    if (acc) inst.flags |= TRN_FLAG_ACC;
  } else if (trn_ir_is(op, "trn_tile.transpose")) {
    init_inst(&inst, TRN_OP_TRANSPOSE);
    stream = TRN_ENGINE_PE;
    if (!ap_of(S, op, b[1], &inst.dst) || !ap_of(S, op, b[0], &inst.src0)) return;
  } else if (trn_ir_is(op, "trn_tile.activate")) {
    init_inst(&inst, TRN_OP_ACTIVATE);
    stream = TRN_ENGINE_ACT;
    if (!ap_of(S, op, b[1], &inst.dst) || !ap_of(S, op, b[0], &inst.src0)) return;
    if (b[2]) {
      if (!ap_of(S, op, b[2], &inst.src1)) return;
      inst.src1.num[0] = 1;
      inst.src1.num[1] = 1;
      inst.src1.step[1] = 0;
    }
    if (!parse_name(S, op, "func", true, &inst.op0)) return;
    double scale = 1.0, bias = 0.0;
    trn_ir_get_float(op, "scale", &scale);
    trn_ir_get_float(op, "bias", &bias);
    inst.imm[0] = f32_bits(scale);
    inst.imm[1] = f32_bits(bias);
  } else if (trn_ir_is(op, "trn_tile.tensor_tensor")) {
    init_inst(&inst, TRN_OP_TENSOR_TENSOR);
    stream = TRN_ENGINE_DVE;
    if (!ap_of(S, op, b[2], &inst.dst) || !ap_of(S, op, b[0], &inst.src0) || !ap_of(S, op, b[1], &inst.src1)) return;
    if (!parse_name(S, op, "op", false, &inst.op0)) return;
    /* a [P, 1] operand is a per-partition scalar: broadcast with step 0 */
    trn_ap_t *srcs[2] = {&inst.src0, &inst.src1};
    for (int i = 0; i < 2; i++) {
      if (b[i]->free == 1 && b[2]->free > 1) {
        *srcs[i] = inst.dst;
        srcs[i]->space = (uint8_t)b[i]->type.space;
        srcs[i]->dtype = (uint8_t)b[i]->type.dtype;
        srcs[i]->start_partition = (uint8_t)b[i]->start_partition;
        srcs[i]->offset = (uint32_t)b[i]->offset;
        for (int d = 0; d < TRN_AP_DIMS; d++) srcs[i]->step[d] = 0;
      }
    }
  } else if (trn_ir_is(op, "trn_tile.tensor_reduce")) {
    init_inst(&inst, TRN_OP_TENSOR_REDUCE);
    stream = TRN_ENGINE_DVE;
    int64_t sz[3];
    size_t nsz = 0;
    if (!trn_ir_get_i64_array(op, "sizes", sz, 3, &nsz) || nsz != 3 || sz[0] < 1 || sz[1] < 1 || sz[2] < 1 ||
        sz[0] * sz[1] * sz[2] != b[0]->free || sz[0] * sz[2] != b[1]->free || sz[0] > UINT16_MAX ||
        sz[1] > UINT16_MAX || sz[2] > UINT16_MAX) {
      trn_ir_error(op, "'sizes' must be [outer, axis, inner] matching the source and destination tiles");
      S->failed = true;
      return;
    }
    if (!ap_of(S, op, b[1], &inst.dst) || !ap_of(S, op, b[0], &inst.src0)) return;
    if (!parse_name(S, op, "op", false, &inst.op0)) return;
    /* source walked [axis (reduced, innermost), inner, outer]; dst [inner, outer] */
    int64_t nums[3] = {sz[1], sz[2], sz[0]}, steps[3] = {sz[2], 1, sz[1] * sz[2]};
    int k = 0;
    for (int d = 0; d < 3; d++) {
      if (nums[d] == 1 && d > 0) continue;
      inst.src0.num[k] = (uint16_t)nums[d];
      inst.src0.step[k] = (int32_t)steps[d];
      k++;
    }
    for (; k < TRN_AP_DIMS; k++) {
      inst.src0.num[k] = 1;
      inst.src0.step[k] = 0;
    }
    int64_t dn[2] = {sz[2], sz[0]}, ds[2] = {1, sz[2]};
    k = 0;
    for (int d = 0; d < 2; d++) {
      if (dn[d] == 1 && !(d == 1 && k == 0)) continue;
      inst.dst.num[k] = (uint16_t)dn[d];
      inst.dst.step[k] = (int32_t)ds[d];
      k++;
    }
    for (; k < TRN_AP_DIMS; k++) {
      inst.dst.num[k] = 1;
      inst.dst.step[k] = 0;
    }
    inst.imm[0] = 1; /* reduce the innermost dim */
  } else if (trn_ir_is(op, "trn_tile.tensor_scalar")) {
    init_inst(&inst, TRN_OP_TENSOR_SCALAR);
    stream = TRN_ENGINE_DVE;
    if (!ap_of(S, op, b[1], &inst.dst) || !ap_of(S, op, b[0], &inst.src0)) return;
    if (!parse_name(S, op, "op0", false, &inst.op0) || !parse_name(S, op, "op1", false, &inst.op1)) return;
    double s0 = 0, s1 = 0;
    trn_ir_get_float(op, "scalar0", &s0);
    trn_ir_get_float(op, "scalar1", &s1);
    inst.imm[0] = f32_bits(s0);
    inst.imm[1] = f32_bits(s1);
    if (b[2]) {
      if (!ap_of(S, op, b[2], &inst.src1)) return;
      inst.flags |= TRN_FLAG_S0_AP | TRN_FLAG_S1_AP;
    }
  } else if (trn_ir_is(op, "trn_tile.partition_reduce")) {
    init_inst(&inst, TRN_OP_PARTITION_REDUCE);
    stream = TRN_ENGINE_POOL;
    if (!ap_of(S, op, b[1], &inst.dst) || !ap_of(S, op, b[0], &inst.src0)) return;
    if (!parse_name(S, op, "op", false, &inst.op0)) return;
  } else if (trn_ir_is(op, "trn_tile.select")) {
    init_inst(&inst, TRN_OP_SELECT);
    stream = TRN_ENGINE_DVE;
    if (!ap_of(S, op, b[2], &inst.dst) || !ap_of(S, op, b[0], &inst.src0) || !ap_of(S, op, b[1], &inst.src1)) return;
    double other = 0;
    trn_ir_get_float(op, "otherwise", &other);
    inst.imm[0] = f32_bits(other);
  } else if (trn_ir_is(op, "trn_tile.gather")) {
    init_inst(&inst, TRN_OP_GATHER);
    stream = TRN_ENGINE_POOL;
    if (!ap_of(S, op, b[2], &inst.dst) || !ap_of(S, op, b[0], &inst.src0) || !ap_of(S, op, b[1], &inst.src1)) return;
  } else if (trn_ir_is(op, "trn_tile.copy")) {
    init_inst(&inst, TRN_OP_TENSOR_COPY);
    stream = TRN_ENGINE_DVE;
    if (!ap_of(S, op, b[1], &inst.dst) || !ap_of(S, op, b[0], &inst.src0)) return;
  } else if (trn_ir_is(op, "trn_tile.memset")) {
    init_inst(&inst, TRN_OP_MEMSET);
    stream = TRN_ENGINE_DVE;
    if (!ap_of(S, op, b[0], &inst.dst)) return;
    double v = 0;
    trn_ir_get_float(op, "value", &v);
    uint8_t tmp[4] = {0};
    trn_isa_store_f32(tmp, (trn_dtype_t)inst.dst.dtype, 0, (float)v);
    memcpy(&inst.imm[0], tmp, 4);
  } else {
    MlirStringRef n = mlirIdentifierStr(mlirOperationGetName(op));
    trn_ir_error(op, "no ISA lowering for '%.*s'", (int)n.length, n.data);
    S->failed = true;
    return;
  }
  /* the schedule estimate: start when the engine is free and the sources are ready */
  double start = S->engine_ns[stream];
  size_t dst_index = trn_ir_is(op, "trn_tile.matmul") || trn_ir_is(op, "trn_tile.tensor_tensor") ||
                             trn_ir_is(op, "trn_tile.select") || trn_ir_is(op, "trn_tile.gather")
                         ? 2
                     : trn_ir_is(op, "trn_tile.memset") ? 0
                                                        : 1;
  for (intptr_t i = 0; i < nops && i < 3; i++)
    if ((size_t)i != dst_index && ready_of(S, b[i]) > start) start = ready_of(S, b[i]);
  double ghz = stream == TRN_ENGINE_PE ? S->target->pe_ghz
               : stream == TRN_ENGINE_ACT ? S->target->act_ghz
               : stream == TRN_ENGINE_DVE ? S->target->dve_ghz
                                          : S->target->pool_ghz;
  double end = start + (double)trn_isa_inst_cycles(&inst, S->target) / (ghz > 0 ? ghz : 1.0);
  S->engine_ns[stream] = end;
  const trn_ap_t *srcs[2] = {&inst.src0, &inst.src1};
  for (int i = 0; i < 2; i++)
    if (srcs[i]->space == TRN_SPACE_SBUF) {
      range_t r = ap_range(srcs[i], false, 0);
      note_sbuf_read(S, &r, end);
    }
  if (b[dst_index]) set_ready(S, b[dst_index], end);
  log_compute(S, &inst);
  emit(S, op, &inst, stream, NULL, 0);
}

/* ---- buffers ------------------------------------------------------------------ */

static MlirAttribute tensor_type_attr(isa_t *S, const trn_tile_type_t *t) {
  MlirType ty = mlirRankedTensorTypeGet((intptr_t)t->rank, t->dims, trn_dialects_dtype_type(S->ctx, t->dtype),
                                        mlirAttributeGetNull());
  return mlirTypeAttrGet(ty);
}

static void lower_buffer(isa_t *S, MlirOperation op) {
  MlirValue v = mlirOperationGetResult(op, 0);
  buf_t b = {0};
  if (!trn_dialects_tile_type_read(mlirValueGetType(v), &b.type)) {
    trn_ir_error(op, "result is not a !trn_tile.tile");
    S->failed = true;
    return;
  }
  int64_t off = -1;
  const char *attr = b.type.space == TRN_SPACE_HBM ? "hbm_offset" : "offset";
  if (!trn_ir_get_int(op, attr, &off) || off < 0) {
    trn_ir_error(op, "buffer has no '%s': run trn-allocate first", attr);
    S->failed = true;
    return;
  }
  b.offset = (uint64_t)off;
  b.parent = SIZE_MAX;
  b.free = 1;
  for (uint32_t i = 1; i < b.type.rank; i++) b.free *= b.type.dims[i];
  if (b.type.space == TRN_SPACE_HBM) b.free = 0;
  if (!push_buf(S, v, &b)) {
    S->failed = true;
    return;
  }

  bool io = trn_ir_is(op, "trn_tile.input") || trn_ir_is(op, "trn_tile.output");
  if (io || trn_ir_is(op, "trn_tile.const")) {
    MlirNamedAttribute attrs[4];
    size_t n = 0;
    if (io) {
      MlirStringRef name;
      int64_t index = 0;
      trn_ir_get_str(op, "name", &name);
      trn_ir_get_int(op, "index", &index);
      attrs[n++] = trn_ir_named(S->ctx, "name", mlirStringAttrGet(S->ctx, name));
      attrs[n++] = trn_ir_named(S->ctx, "index", trn_ir_i64(S->ctx, index));
      MlirAttribute ta = mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("type"));
      attrs[n++] = trn_ir_named(S->ctx, "type",
                                !mlirAttributeIsNull(ta) && mlirAttributeIsAType(ta) ? ta : tensor_type_attr(S, &b.type));
    } else {
      attrs[n++] = trn_ir_named(S->ctx, "value",
                                mlirOperationGetAttributeByName(op, mlirStringRefCreateFromCString("value")));
    }
    attrs[n++] = trn_ir_named(S->ctx, "hbm_offset", trn_ir_i64(S->ctx, off));
    const char *name = trn_ir_is(op, "trn_tile.input") ? "trn_isa.input"
                       : trn_ir_is(op, "trn_tile.output") ? "trn_isa.output"
                                                          : "trn_isa.const";
    MlirOperation nop = trn_ir_op(mlirOperationGetLocation(op), name, 0, NULL, 0, NULL, n, attrs);
    mlirBlockInsertOwnedOperationBefore(S->block, op, nop);
  }
}

static bool push_buf(isa_t *S, MlirValue v, const buf_t *b) {
  if (S->nbufs == S->cap) {
    size_t ncap = S->cap ? S->cap * 2 : 64;
    buf_t *nb = realloc(S->bufs, ncap * sizeof *nb);
    if (!nb) return false;
    S->bufs = nb;
    S->cap = ncap;
  }
  S->bufs[S->nbufs] = *b;
  if (!trn_ptr_map_put(&S->map, v.ptr, S->nbufs)) return false;
  S->nbufs++;
  return true;
}

/* A view: the parent's placement shifted by the partition and free offsets. */
static void lower_view(isa_t *S, MlirOperation op) {
  const buf_t *parent = buf_of(S, op, mlirOperationGetOperand(op, 0));
  if (!parent) return;
  buf_t b = *parent;
  MlirValue v = mlirOperationGetResult(op, 0);
  int64_t po = -1, fo = -1;
  if (!trn_dialects_tile_type_read(mlirValueGetType(v), &b.type) || !trn_ir_get_int(op, "partition_offset", &po) ||
      !trn_ir_get_int(op, "free_offset", &fo) || po < 0 || fo < 0 || parent->type.space == TRN_SPACE_HBM) {
    trn_ir_error(op, "malformed view (an on-chip tile, non-negative partition_offset and free_offset)");
    S->failed = true;
    return;
  }
  b.free = 1;
  for (uint32_t i = 1; i < b.type.rank; i++) b.free *= b.type.dims[i];
  int64_t pat[2 * TRN_AP_DIMS];
  size_t npat = 0;
  int64_t lo = fo, hi = fo + b.free - 1;
  b.npattern = 0;
  if (trn_ir_get_i64_array(op, "free_pattern", pat, 2 * TRN_AP_DIMS, &npat)) {
    int64_t count = 1;
    if (npat == 0 || npat % 2) goto bad_pattern;
    b.npattern = (int)(npat / 2);
    hi = fo;
    for (int i = 0; i < b.npattern; i++) {
      b.pnum[i] = pat[2 * i];
      b.pstep[i] = pat[2 * i + 1];
      if (b.pnum[i] < 1 || b.pnum[i] > UINT16_MAX || b.pstep[i] < INT32_MIN || b.pstep[i] > INT32_MAX)
        goto bad_pattern;
      count *= b.pnum[i];
      int64_t ext = (b.pnum[i] - 1) * b.pstep[i];
      if (ext < 0) lo += ext;
      else hi += ext;
    }
    if (count != b.free) goto bad_pattern;
  }
  if (po + b.type.dims[0] > (int64_t)parent->type.dims[0] || lo < 0 || hi >= parent->free || parent->npattern) {
    trn_ir_error(op, "view out of the bounds of its buffer");
    S->failed = true;
    return;
  }
  b.start_partition = parent->start_partition + (uint32_t)po;
  b.parent = parent->parent != SIZE_MAX ? parent->parent : (size_t)(parent - S->bufs);
  b.ready_ns = 0;
  b.offset = parent->offset + (uint64_t)fo * trn_isa_dtype_size(b.type.dtype);
  if (!push_buf(S, v, &b)) S->failed = true;
  return;
bad_pattern:
  trn_ir_error(op, "'free_pattern' must be (num, step) pairs, at most %d, whose nums multiply to the view's free size",
               TRN_AP_DIMS);
  S->failed = true;
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  isa_t S = {0};
  S.ctx = mlirOperationGetContext(module);
  S.target = trn_ir_module_target(module, opts);
  S.queues = S.target->dma_queues ? S.target->dma_queues : 1;
  if (S.queues > TRN_MAX_DMA_QUEUES) S.queues = TRN_MAX_DMA_QUEUES;
  if (opts->opt_level <= 0) S.queues = 1;
  S.merge = opts->opt_level >= 1;
  S.block = trn_ir_func_body(fn);
  S.sbuf_granules = S.target->sbuf_partition_bytes / ISA_READ_GRANULE + 1;
  S.sbuf_groups = (S.target->partitions + ISA_READ_PARTITIONS - 1) / ISA_READ_PARTITIONS;
  S.sbuf_read_ns = calloc(S.sbuf_granules * (S.sbuf_groups ? S.sbuf_groups : 1), sizeof *S.sbuf_read_ns);
  if (!S.sbuf_read_ns) {
    trn_ir_error(fn, "out of memory");
    mlirExternalPassSignalFailure(pass);
    return;
  }
  trn_ptr_map_init(&S.map);
  size_t ntile = 0, cap = 0;
  MlirOperation *tile_ops = NULL;
  for (MlirOperation op = mlirBlockGetFirstOperation(S.block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!trn_ir_is(op, "trn_tile.dma")) continue;
    S.dma_index++;
    trn_tile_type_t t;
    if (mlirOperationGetNumOperands(op) > 0 &&
        trn_dialects_tile_type_read(mlirValueGetType(mlirOperationGetOperand(op, 0)), &t) &&
        t.space == TRN_SPACE_HBM) {
      S.last_load = S.dma_index;
      int64_t sizes[TRN_TILE_MAX_RANK + 1];
      size_t n = 0;
      uint64_t elems = 1;
      if (trn_ir_get_i64_array(op, "sizes", sizes, TRN_TILE_MAX_RANK + 1, &n))
        for (size_t i = 0; i < n; i++) elems *= sizes[i] > 0 ? (uint64_t)sizes[i] : 0;
      S.later_load_pieces +=
          load_pieces(&S, elems * trn_isa_dtype_size(t.dtype), dma_round(op), dma_prefetched(op));
    }
  }
  S.ndma = S.dma_index;
  S.dma_index = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(S.block); !mlirOperationIsNull(op) && !S.failed;
       op = mlirOperationGetNextInBlock(op)) {
    MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
    if (name.length < 9 || memcmp(name.data, "trn_tile.", 9) != 0) continue;
    if (ntile == cap) {
      cap = cap ? cap * 2 : 256;
      MlirOperation *n = realloc(tile_ops, cap * sizeof *n);
      if (!n) {
        S.failed = true;
        break;
      }
      tile_ops = n;
    }
    tile_ops[ntile++] = op;
    if (trn_ir_is(op, "trn_tile.input") || trn_ir_is(op, "trn_tile.output") || trn_ir_is(op, "trn_tile.const") ||
        trn_ir_is(op, "trn_tile.alloc"))
      lower_buffer(&S, op);
    else if (trn_ir_is(op, "trn_tile.view"))
      lower_view(&S, op);
    else if (trn_ir_is(op, "trn_tile.dma"))
      lower_dma(&S, op);
    else
      lower_compute(&S, op);
  }
  if (!S.failed) {
    for (size_t i = ntile; i-- > 0;) mlirOperationDestroy(tile_ops[i]);
    mlirOperationSetAttributeByName(module, mlirStringRefCreateFromCString("trn.target"),
                                    trn_ir_str(S.ctx, S.target->name));
  }
  free(tile_ops);
  for (uint32_t q = 0; q < TRN_MAX_DMA_QUEUES; q++) {
    free(S.pending[q].descs);
    free(S.pending[q].dsts);
  }
  free(S.log);
  free(S.sbuf_read_ns);
  free(S.bufs);
  trn_ptr_map_free(&S.map);
  if (S.failed) mlirExternalPassSignalFailure(pass);
}

TRN_PASS_DEF kDef = {"TrnLowerToIsa", "trn-lower-to-isa", "lower trn_tile to trn_isa", run};

MlirPass trn_pass_create_lower_to_isa(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
