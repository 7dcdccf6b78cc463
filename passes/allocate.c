/* trn-allocate: places every trn_tile buffer.
 *
 * On chip, a tile [P, F...] takes prod(F...) * dtype-size bytes in each of its
 * partitions, at the same byte offset in all of them (partitions 0..P-1).
 *
 * Algorithm:
 *  1. Number the ops of the function in order; the live range of an alloc is
 *     [its definition, its last use or the last use of a view of it].
 *  2. SBUF: linear scan in order of definition. Allocations whose range ended are
 *     freed; the new one takes the first gap at or after a rotating cursor (then from
 *     0), aligned to 64 bytes, so that a freed buffer is reused as late as possible
 *     (fewer write-after-read waits between engines). A long-lived allocation (more
 *     than half the capacity is allocated during its range, so the cursor would lap
 *     it) takes the highest gap instead: long-lived tiles (e.g. a layer's outputs
 *     kept for the next layer) gather at the top rather than being strewn over SBUF,
 *     where they would leave no gap for a big panel. A buffer a weight load (a DMA
 *     from a constant) writes takes instead the gap whose previous tiles were last
 *     used earliest (ties as above): DMA queues run in order, so a load into memory
 *     whose last reader runs late would hold up every load queued behind it (weight
 *     loads are prefetched, see trn-lower-to-tile). Error if nothing fits.
 *  3. PSUM: whole banks (a matmul output must stay inside one 2 KiB bank), the next
 *     free bank after the last one handed out. Error if a tile exceeds a bank or all
 *     banks are live.
 *  4. HBM: inputs, outputs, constants, then HBM scratch allocs, each 64-byte
 *     aligned, in order; module attribute trn.hbm_size is the total.
 *  5. Set `offset` (bytes within each partition) on SBUF/PSUM allocs and
 *     `hbm_offset` on HBM buffers; module attribute trn.target.
 *
 * When something does not fit, the error's first line is followed by a report
 * (trn_ir_report_t): for SBUF/PSUM the tile, the totals per partition, capacity or
 * fragmentation, and the live tiles (64-byte aligned sizes, offset ranges, nodes),
 * largest first; for HBM the bytes of each kind and the largest buffers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define ALIGN 64u

typedef struct live_t {
  uint64_t offset, size;
  size_t end;
  MlirOperation op; /* its trn_tile.alloc, for the report when a tile does not fit */
} live_t;

typedef struct alloc_state_t {
  live_t *live;
  size_t nlive, cap;
  uint64_t cursor, capacity;
  /* per ALIGN-byte slot: 1 + the last use (op index) of the last tile placed over it,
   * 0 if none was */
  size_t *freed;
  size_t *window; /* scratch for find_oldest_gap: capacity / ALIGN + 1 slot indices */
} alloc_state_t;

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

static int cmp_live(const void *a, const void *b) {
  const live_t *x = a, *y = b;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

static void expire(alloc_state_t *s, size_t now) {
  size_t j = 0;
  for (size_t i = 0; i < s->nlive; i++)
    if (s->live[i].end >= now) s->live[j++] = s->live[i];
  s->nlive = j;
}

/* First gap of `size` at or after `from`; UINT64_MAX if none. Live is sorted. */
static uint64_t find_gap(const alloc_state_t *s, uint64_t from, uint64_t size) {
  uint64_t pos = from;
  for (size_t i = 0; i < s->nlive; i++) {
    const live_t *l = &s->live[i];
    if (l->offset + l->size <= pos) continue;
    if (l->offset >= pos + size) break;
    pos = align_up(l->offset + l->size, ALIGN);
  }
  return pos + size <= s->capacity ? pos : UINT64_MAX;
}

static uint64_t live_bytes(const alloc_state_t *s) {
  uint64_t t = 0;
  for (size_t i = 0; i < s->nlive; i++) t += s->live[i].size;
  return t;
}

/* The highest gap of `size`; UINT64_MAX if none. Live is sorted. */
static uint64_t find_top_gap(const alloc_state_t *s, uint64_t size) {
  uint64_t best = UINT64_MAX, lo = 0; /* lo: the end of the live bytes below the gap */
  for (size_t i = 0; i <= s->nlive; i++) {
    uint64_t hi = i < s->nlive ? s->live[i].offset : s->capacity;
    if (hi >= size && (hi - size) / ALIGN * ALIGN >= lo) best = (hi - size) / ALIGN * ALIGN; /* gaps ascend */
    if (i < s->nlive && align_up(s->live[i].offset + s->live[i].size, ALIGN) > lo)
      lo = align_up(s->live[i].offset + s->live[i].size, ALIGN);
  }
  return best;
}

/* The position of `size` bytes (ALIGN-aligned) whose previous tiles ended earliest
 * (least max of their last uses over its slots): the tile is written by a DMA that
 * would otherwise wait for the last readers of the memory it reuses, and DMA queues
 * run in order, so that wait holds up every load queued behind it. Ties go to the
 * highest position with `top`, else to the first at or after the cursor (then from
 * 0), as find_top_gap and find_gap would choose. UINT64_MAX if nothing fits. Live
 * is sorted. */
static uint64_t find_oldest_gap(const alloc_state_t *s, uint64_t size, bool top) {
  uint64_t best = UINT64_MAX, k = size / ALIGN;
  size_t best_score = SIZE_MAX;
  bool best_after = false;
  uint64_t lo = 0;
  for (size_t i = 0; i <= s->nlive; i++) {
    uint64_t hi = i < s->nlive ? s->live[i].offset / ALIGN * ALIGN : s->capacity / ALIGN * ALIGN;
    if (hi >= lo + size) {
      /* sliding maximum of freed[] over windows of k slots in [lo, hi) */
      size_t head = 0, tail = 0;
      for (uint64_t slot = lo / ALIGN; slot < hi / ALIGN; slot++) {
        while (tail > head && s->freed[s->window[tail - 1]] <= s->freed[slot]) tail--;
        s->window[tail++] = (size_t)slot;
        if (slot + 1 < lo / ALIGN + k) continue;
        uint64_t first = slot + 1 - k;
        while (s->window[head] < first) head++;
        size_t score = s->freed[s->window[head]];
        uint64_t pos = first * ALIGN;
        bool after = pos >= s->cursor;
        bool better = score < best_score || (score == best_score && (top || (after && !best_after)));
        if (better) {
          best = pos;
          best_score = score;
          best_after = after;
        }
      }
    }
    if (i < s->nlive && align_up(s->live[i].offset + s->live[i].size, ALIGN) > lo)
      lo = align_up(s->live[i].offset + s->live[i].size, ALIGN);
  }
  return best;
}

static bool place(alloc_state_t *s, MlirOperation op, uint64_t size, size_t end, bool top, bool oldest,
                  uint64_t *out) {
  if (s->nlive > 1) qsort(s->live, s->nlive, sizeof s->live[0], cmp_live);
  uint64_t pos = oldest ? find_oldest_gap(s, size, top) : top ? find_top_gap(s, size) : find_gap(s, s->cursor, size);
  if (pos == UINT64_MAX) pos = find_gap(s, 0, size);
  if (pos == UINT64_MAX) return false;
  if (s->nlive == s->cap) {
    size_t ncap = s->cap ? s->cap * 2 : 64;
    live_t *n = realloc(s->live, ncap * sizeof *n);
    if (!n) return false;
    s->live = n;
    s->cap = ncap;
  }
  s->live[s->nlive++] = (live_t){pos, size, end, op};
  for (uint64_t slot = pos / ALIGN; slot < (pos + size) / ALIGN; slot++) s->freed[slot] = end + 1;
  if (!top) s->cursor = align_up(pos + size, ALIGN);
  if (s->cursor >= s->capacity) s->cursor = 0;
  *out = pos;
  return true;
}

/* The largest free range between the live allocations (sorted by offset). */
static uint64_t largest_gap(const alloc_state_t *s) {
  uint64_t best = 0, lo = 0;
  for (size_t i = 0; i <= s->nlive; i++) {
    uint64_t hi = i < s->nlive ? s->live[i].offset : s->capacity;
    if (hi > lo && hi - lo > best) best = hi - lo;
    if (i < s->nlive && align_up(s->live[i].offset + s->live[i].size, ALIGN) > lo)
      lo = align_up(s->live[i].offset + s->live[i].size, ALIGN);
  }
  return best;
}

static int cmp_live_size(const void *a, const void *b) {
  const live_t *x = a, *y = b;
  if (x->size != y->size) return x->size > y->size ? -1 : 1;
  return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Notes on the live tiles, largest first: the top REPORT_TILES, then how many more. */
#define REPORT_TILES 8

static void report_live(trn_ir_report_t *r, live_t *live, size_t n, const char *what) {
  if (n > 1) qsort(live, n, sizeof *live, cmp_live_size);
  size_t shown = n < REPORT_TILES ? n : REPORT_TILES;
  if (shown) trn_ir_report_note(r, "%s (largest first):", what);
  for (size_t i = 0; i < shown; i++) {
    char where[300];
    trn_ir_op_where(live[i].op, where, sizeof where);
    trn_ir_report_note(r, "  %llu bytes per partition at [%llu, %llu): %s", (unsigned long long)live[i].size,
                       (unsigned long long)live[i].offset, (unsigned long long)(live[i].offset + live[i].size),
                       where);
  }
  if (n > shown) {
    uint64_t rest = 0;
    for (size_t i = shown; i < n; i++) rest += live[i].size;
    trn_ir_report_note(r, "  ... %zu more: %llu bytes per partition", n - shown, (unsigned long long)rest);
  }
}

/* "[128, 512] fp32" */
static void format_tile(const trn_tile_type_t *t, char *buf, size_t size) {
  size_t n = (size_t)snprintf(buf, size, "[");
  for (uint32_t d = 0; d < t->rank && n < size; d++)
    n += (size_t)snprintf(buf + n, size - n, "%s%lld", d ? ", " : "", (long long)t->dims[d]);
  if (n < size) snprintf(buf + n, size - n, "] %s", trn_isa_dtype_name(t->dtype));
}

/* The error for an SBUF tile of `bytes` per partition that fits no gap: the first
 * line as always, then the totals, whether it is capacity or fragmentation, and
 * the live tiles. Reorders s->live. */
static void report_sbuf(MlirOperation op, alloc_state_t *s, const trn_tile_type_t *t, uint64_t bytes) {
  uint64_t needed = align_up(bytes, ALIGN), live = live_bytes(s);
  uint64_t free_bytes = live < s->capacity ? s->capacity - live : 0;
  if (s->nlive > 1) qsort(s->live, s->nlive, sizeof s->live[0], cmp_live);
  uint64_t gap = largest_gap(s);
  trn_ir_report_t r;
  trn_ir_report_init(&r, "SBUF exhausted: a tile of %llu bytes per partition does not fit (%llu of %llu bytes live)",
                     (unsigned long long)bytes, (unsigned long long)live, (unsigned long long)s->capacity);
  char shape[200];
  format_tile(t, shape, sizeof shape);
  trn_ir_report_note(&r, "the tile: %s", shape);
  trn_ir_report_note(&r, "SBUF per partition: needed %llu, live %llu in %zu tiles, free %llu, largest free gap %llu",
                     (unsigned long long)needed, (unsigned long long)live, s->nlive, (unsigned long long)free_bytes,
                     (unsigned long long)gap);
  if (needed > s->capacity)
    trn_ir_report_note(&r, "capacity: the tile alone is larger than a partition's %llu bytes of SBUF",
                       (unsigned long long)s->capacity);
  else if (free_bytes >= needed)
    trn_ir_report_note(&r, "fragmentation: %llu bytes are free, but in gaps of at most %llu", (unsigned long long)free_bytes,
                       (unsigned long long)gap);
  else
    trn_ir_report_note(&r, "capacity: the live tiles leave %llu bytes free, %llu short", (unsigned long long)free_bytes,
                       (unsigned long long)(needed - free_bytes));
  report_live(&r, s->live, s->nlive, "live SBUF tiles");
  trn_ir_report_emit(&r, op);
}

/* The error when every PSUM bank holds a live accumulator. */
static void report_psum(MlirOperation op, const trn_target_t *target, const trn_tile_type_t *t, uint64_t bytes,
                        uint64_t bank_bytes,
                        const bool *bank_used, const MlirOperation *bank_op, const uint64_t *bank_size) {
  trn_ir_report_t r;
  trn_ir_report_init(&r, "PSUM exhausted: all %u banks hold live accumulators", target->psum_banks);
  char shape[200];
  format_tile(t, shape, sizeof shape);
  trn_ir_report_note(&r, "the tile: %s", shape);
  trn_ir_report_note(&r, "PSUM per partition: needed one %llu-byte bank for %llu bytes; %u banks of %llu are live, 0 free",
                     (unsigned long long)bank_bytes, (unsigned long long)bytes, target->psum_banks,
                     (unsigned long long)bank_bytes);
  trn_ir_report_note(&r, "capacity: a matmul accumulator takes a whole bank, and all are held until their last use");
  live_t *live = calloc(target->psum_banks, sizeof *live);
  size_t n = 0;
  for (uint32_t b = 0; live && b < target->psum_banks; b++)
    if (bank_used[b]) live[n++] = (live_t){(uint64_t)b * bank_bytes, bank_size[b], 0, bank_op[b]};
  if (live) report_live(&r, live, n, "live PSUM tiles");
  free(live);
  trn_ir_report_emit(&r, op);
}

/* The error when the HBM buffers need more than the target has: the totals per
 * kind and the largest buffers. */
static void report_hbm(MlirOperation fn, MlirBlock body, uint64_t hbm, const trn_target_t *target) {
  static const char *const kOps[] = {"trn_tile.input", "trn_tile.output", "trn_tile.const", "trn_tile.alloc"};
  trn_ir_report_t r;
  trn_ir_report_init(&r, "the model needs %llu bytes of HBM, the target has %llu", (unsigned long long)hbm,
                     (unsigned long long)target->hbm_bytes);
  size_t n = 0, cap = 0;
  trn_ir_hbm_use_t *uses = NULL;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    int k = 0;
    while (k < 4 && !trn_ir_is(op, kOps[k])) k++;
    trn_tile_type_t t;
    if (k == 4 || mlirOperationGetNumResults(op) != 1 ||
        !trn_dialects_tile_type_read(mlirValueGetType(mlirOperationGetResult(op, 0)), &t) ||
        t.space != TRN_SPACE_HBM)
      continue;
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      trn_ir_hbm_use_t *p = realloc(uses, ncap * sizeof *p);
      if (!p) break;
      uses = p;
      cap = ncap;
    }
    trn_ir_hbm_use_t *u = &uses[n++];
    u->kind = (trn_ir_hbm_kind_t)k;
    u->bytes = (double)trn_isa_dtype_size(t.dtype);
    for (uint32_t d = 0; d < t.rank; d++) u->bytes *= (double)t.dims[d];
    MlirStringRef name;
    if (k < 2 && trn_ir_get_str(op, "name", &name))
      snprintf(u->name, sizeof u->name, "'%.*s'", (int)name.length, name.data);
    else
      trn_ir_op_where(op, u->name, sizeof u->name);
  }
  trn_ir_report_hbm(&r, uses, n, (double)hbm, target);
  free(uses);
  trn_ir_report_emit(&r, fn);
}

/* Index of the last op using `v` or a view of it (at least `def`). */
static size_t last_use(const trn_ptr_map_t *index, MlirValue v, size_t def, int depth) {
  size_t end = def;
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation owner = mlirOpOperandGetOwner(u);
    size_t k;
    if (trn_ptr_map_get(index, owner.ptr, &k) && k > end) end = k;
    if (depth < 8 && trn_ir_is(owner, "trn_tile.view")) {
      k = last_use(index, mlirOperationGetResult(owner, 0), def, depth + 1);
      if (k > end) end = k;
    }
  }
  return end;
}

/* Whether a DMA from a constant (a weight load) writes the on-chip buffer `v`. */
static bool weight_loaded(MlirValue v) {
  for (MlirOpOperand u = mlirValueGetFirstUse(v); !mlirOpOperandIsNull(u); u = mlirOpOperandGetNextUse(u)) {
    MlirOperation owner = mlirOpOperandGetOwner(u);
    trn_tile_type_t t;
    MlirValue src = trn_ir_is(owner, "trn_tile.dma") && mlirOpOperandGetOperandNumber(u) == 1
                        ? mlirOperationGetOperand(owner, 0) : (MlirValue){NULL};
    if (!mlirValueIsNull(src) && mlirValueIsAOpResult(src) && trn_ir_is(mlirOpResultGetOwner(src), "trn_tile.const") &&
        trn_dialects_tile_type_read(mlirValueGetType(src), &t) && t.space == TRN_SPACE_HBM)
      return true;
  }
  return false;
}

static void set_int(MlirOperation op, const char *name, int64_t v) {
  mlirOperationSetAttributeByName(op, mlirStringRefCreateFromCString(name),
                                  trn_ir_i64(mlirOperationGetContext(op), v));
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  const trn_target_t *target = trn_ir_module_target(module, opts);
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  MlirBlock body = trn_ir_func_body(fn);
  trn_ptr_map_t index;
  trn_ptr_map_init(&index);
  size_t n = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op))
    trn_ptr_map_put(&index, op.ptr, n++);

  alloc_state_t sbuf = {.capacity = target->sbuf_partition_bytes};
  sbuf.freed = calloc(sbuf.capacity / ALIGN + 1, sizeof *sbuf.freed);
  sbuf.window = calloc(sbuf.capacity / ALIGN + 1, sizeof *sbuf.window);
  uint64_t bank_bytes = target->psum_partition_bytes / target->psum_banks;
  size_t *bank_end = calloc(target->psum_banks, sizeof *bank_end);
  bool *bank_used = calloc(target->psum_banks, sizeof *bank_used);
  MlirOperation *bank_op = calloc(target->psum_banks, sizeof *bank_op);
  uint64_t *bank_size = calloc(target->psum_banks, sizeof *bank_size);
  uint32_t next_bank = 0;
  uint64_t hbm = 0;
  bool failed = !bank_end || !bank_used || !bank_op || !bank_size || !sbuf.freed || !sbuf.window;
  static const char *const kHbmOrder[] = {"trn_tile.input", "trn_tile.output", "trn_tile.const", "trn_tile.alloc"};

  /* 4. HBM */
  for (size_t k = 0; k < 4 && !failed; k++) {
    for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op);
         op = mlirOperationGetNextInBlock(op)) {
      if (!trn_ir_is(op, kHbmOrder[k]) || mlirOperationGetNumResults(op) != 1) continue;
      trn_tile_type_t t;
      if (!trn_dialects_tile_type_read(mlirValueGetType(mlirOperationGetResult(op, 0)), &t)) {
        trn_ir_error(op, "result is not a !trn_tile.tile");
        failed = true;
        break;
      }
      if (t.space != TRN_SPACE_HBM) continue;
      uint64_t bytes = trn_isa_dtype_size(t.dtype);
      for (uint32_t i = 0; i < t.rank; i++) bytes *= (uint64_t)t.dims[i];
      hbm = align_up(hbm, ALIGN);
      set_int(op, "hbm_offset", (int64_t)hbm);
      hbm += bytes;
    }
  }
  if (!failed && hbm > target->hbm_bytes) {
    report_hbm(fn, body, hbm, target);
    failed = true;
  }

  /* 1-3, 5. on chip; sbuf_before[k]: SBUF bytes allocated by the ops before op k */
  uint64_t *sbuf_before = calloc(n + 1, sizeof *sbuf_before);
  failed = failed || !sbuf_before;
  size_t i = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op) && !failed;
       op = mlirOperationGetNextInBlock(op), i++) {
    sbuf_before[i + 1] = sbuf_before[i];
    trn_tile_type_t t;
    if (!trn_ir_is(op, "trn_tile.alloc") || mlirOperationGetNumResults(op) != 1 ||
        !trn_dialects_tile_type_read(mlirValueGetType(mlirOperationGetResult(op, 0)), &t) ||
        t.space != TRN_SPACE_SBUF)
      continue;
    uint64_t bytes = trn_isa_dtype_size(t.dtype);
    for (uint32_t d = 1; d < t.rank; d++) bytes *= (uint64_t)t.dims[d];
    sbuf_before[i + 1] += align_up(bytes, ALIGN);
  }
  i = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(body); !mlirOperationIsNull(op) && !failed;
       op = mlirOperationGetNextInBlock(op), i++) {
    if (!trn_ir_is(op, "trn_tile.alloc")) continue;
    MlirValue v = mlirOperationGetResult(op, 0);
    trn_tile_type_t t;
    if (!trn_dialects_tile_type_read(mlirValueGetType(v), &t)) {
      trn_ir_error(op, "result is not a !trn_tile.tile");
      failed = true;
      break;
    }
    if (t.space == TRN_SPACE_HBM) continue;
    if (t.dims[0] < 1 || t.dims[0] > (int64_t)target->partitions) {
      trn_ir_error(op, "tile has %lld partitions; the target has %u", (long long)t.dims[0], target->partitions);
      failed = true;
      break;
    }
    uint64_t bytes = trn_isa_dtype_size(t.dtype);
    for (uint32_t d = 1; d < t.rank; d++) bytes *= (uint64_t)t.dims[d];
    size_t end = last_use(&index, v, i, 0);
    uint64_t offset = 0;
    if (t.space == TRN_SPACE_SBUF) {
      expire(&sbuf, i);
      bool lapped = sbuf_before[end + 1] - sbuf_before[i + 1] > sbuf.capacity / 2;
      if (!place(&sbuf, op, align_up(bytes, ALIGN), end, lapped, weight_loaded(v), &offset)) {
        report_sbuf(op, &sbuf, &t, bytes);
        failed = true;
        break;
      }
    } else {
      if (bytes > bank_bytes) {
        trn_ir_error(op, "PSUM tile of %llu bytes per partition exceeds a %llu-byte bank",
                     (unsigned long long)bytes, (unsigned long long)bank_bytes);
        failed = true;
        break;
      }
      for (uint32_t b = 0; b < target->psum_banks; b++)
        if (bank_used[b] && bank_end[b] < i) bank_used[b] = false;
      uint32_t found = UINT32_MAX;
      for (uint32_t k = 0; k < target->psum_banks && found == UINT32_MAX; k++) {
        uint32_t b = (next_bank + k) % target->psum_banks;
        if (!bank_used[b]) found = b;
      }
      if (found == UINT32_MAX) {
        report_psum(op, target, &t, bytes, bank_bytes, bank_used, bank_op, bank_size);
        failed = true;
        break;
      }
      bank_used[found] = true;
      bank_end[found] = end;
      bank_op[found] = op;
      bank_size[found] = bytes;
      next_bank = (found + 1) % target->psum_banks;
      offset = (uint64_t)found * bank_bytes;
    }
    set_int(op, "offset", (int64_t)offset);
  }

  if (!failed) {
    MlirContext ctx = mlirOperationGetContext(module);
    mlirOperationSetAttributeByName(module, mlirStringRefCreateFromCString("trn.hbm_size"),
                                    trn_ir_i64(ctx, (int64_t)align_up(hbm, ALIGN)));
    mlirOperationSetAttributeByName(module, mlirStringRefCreateFromCString("trn.target"),
                                    trn_ir_str(ctx, target->name));
  }
  free(sbuf.live);
  free(sbuf.freed);
  free(sbuf.window);
  free(sbuf_before);
  free(bank_end);
  free(bank_used);
  free(bank_op);
  free(bank_size);
  trn_ptr_map_free(&index);
  if (failed) mlirExternalPassSignalFailure(pass);
}

TRN_PASS_DEF kDef = {"TrnAllocate", "trn-allocate", "assign SBUF/PSUM/HBM offsets", run};

MlirPass trn_pass_create_allocate(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
