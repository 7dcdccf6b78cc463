/* trn-insert-sync: orders every cross-engine memory dependency with semaphores.
 *
 * Each stream runs its instructions in program order, so only dependencies between
 * different streams need a semaphore. Stream s owns semaphore s and is its only
 * signaller: an instruction some other stream depends on signals it (+1 when done), so
 * "the k-th signalling instruction of s has completed" is "sem[s] >= k". The
 * semaphores above the per-stream ones count group signals (below).
 *
 * Algorithm:
 *  1. Read every instruction op in order (stream, access patterns, DMA descriptors)
 *     and compute its accesses: per memory space, a partition range and a byte range
 *     within each partition (for HBM a byte range), read or write.
 *  2. For each instruction j on stream s, scanning earlier instructions backwards, find
 *     for every other stream t the latest instruction i with a conflicting access
 *     (RAW, WAR or WAW on overlapping SBUF/PSUM ranges; only RAW in HBM, which a
 *     program writes at most once per byte), stopping at what s already knows t has
 *     finished (known[s][t], a vector clock carried through earlier waits: waiting on
 *     i also orders everything i itself was ordered after).
 *  3. Mark each such i as signalling; record the wait (j waits for t's i).
 *  4. Group signals (see below), then number the signals of each stream in program
 *     order; a wait on i becomes wait sem[t] >= (ordinal of i's signal).
 *  5. The first group wait, else the first wait, goes on j itself; each further one on
 *     a NOP inserted just before j on j's stream.
 *
 * Group signals. An instruction has one wait, so a consumer of producers on k streams
 * (a matmul whose operands a DMA round spread over all queues) would run k-1 NOPs,
 * each an issue slot of its engine after the data has arrived. Instead, producers of
 * j whose every waiter (j, or another consumer) waits for all of them form a group:
 * each signals one shared semaphore X (from the ones above the per-stream semaphores)
 * instead of its stream's, and each waiter waits once, X >= (number of signals X has
 * received from this group and the earlier groups on X): no later than it waited for
 * the last of them one by one. That count proves the group done only if no later
 * group's producer can signal X before every producer of this group has: a group N
 * may take X, last used by group L, only if every producer of N is known (vector
 * clock) to start after every producer of L finished. By induction over the groups on
 * X, while any producer of a group is unfinished no later group has signalled, so X
 * stays below the count. A group that finds no such semaphore keeps per-stream
 * signals and NOPs. A consumer's first group wait goes on itself, further ones on NOPs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct access_t {
  uint8_t space;
  bool write;
  uint32_t p0, p1;   /* partitions [p0, p1) */
  uint64_t b0, b1;   /* bytes [b0, b1) in each partition (HBM: absolute) */
  bool masked;       /* only the partitions of pmask (trn_ir_footprint_t) */
  uint64_t pmask[2];
} access_t;

typedef struct inst_rec_t {
  MlirOperation op;
  trn_inst_t inst;
  uint32_t stream;
  access_t *acc;
  size_t nacc;
  bool signals;
  uint8_t signal_sem; /* the semaphore it signals: its stream's, or its group's */
  uint32_t ordinal; /* signal ordinal within its stream (1-based) */
  size_t waits[TRN_MAX_STREAMS]; /* index of the producer instruction + 1, per stream; 0 = none */
  uint32_t ngroups; /* group waits: semaphore group_sem[k] >= group_value[k] */
  uint8_t group_sem[TRN_MAX_STREAMS / 2];
  uint32_t group_value[TRN_MAX_STREAMS / 2];
} inst_rec_t;

/* The latest group of producers that signals one group semaphore, and its count. */
typedef struct group_sem_t {
  size_t members[TRN_MAX_STREAMS]; /* instruction indices */
  size_t n;
  uint32_t count; /* signals of all groups on this semaphore so far */
  size_t seq; /* 1 + how many groups were placed before that group; 0 = unused */
} group_sem_t;

typedef struct sync_t {
  const trn_target_t *target;
  inst_rec_t *recs;
  size_t n;
  bool failed;
} sync_t;

static bool add_access(inst_rec_t *r, access_t a) {
  access_t *n = realloc(r->acc, (r->nacc + 1) * sizeof *n);
  if (!n) return false;
  r->acc = n;
  r->acc[r->nacc++] = a;
  return true;
}

static bool ap_access(inst_rec_t *r, const trn_ap_t *ap, bool write) {
  if (ap->space == TRN_SPACE_NONE) return true;
  int64_t es = (int64_t)trn_isa_dtype_size((trn_dtype_t)ap->dtype);
  int64_t lo = 0, hi = 0;
  for (int d = 0; d < TRN_AP_DIMS; d++) {
    int64_t ext = (int64_t)(ap->num[d] - 1) * ap->step[d];
    if (ext < 0) lo += ext;
    else hi += ext;
  }
  int64_t b0 = (int64_t)ap->offset + lo * es, b1 = (int64_t)ap->offset + (hi + 1) * es;
  if (b0 < 0) b0 = 0;
  access_t a = {ap->space, write, ap->start_partition, (uint32_t)ap->start_partition + ap->num_partitions,
                (uint64_t)b0, (uint64_t)b1, false, {0, 0}};
  return add_access(r, a);
}

/* One side (src or dst) of a DMA descriptor (trn_ir_desc_footprint). */
static bool dma_side_access(const sync_t *S, inst_rec_t *r, const trn_dma_desc_t *d, bool src) {
  trn_ir_footprint_t f = trn_ir_desc_footprint(S->target, d, src);
  access_t a = {src ? d->src_space : d->dst_space, !src, f.p0, f.p1, f.b0, f.b1, f.masked,
                {f.pmask[0], f.pmask[1]}};
  return add_access(r, a);
}

/* The partitions of `a` as a mask (bits of partitions 128 and up: none; only called
 * when one side is masked, so all within the first 128). */
static void range_mask(const access_t *a, uint64_t *m) {
  if (a->masked) {
    m[0] = a->pmask[0];
    m[1] = a->pmask[1];
    return;
  }
  m[0] = m[1] = 0;
  for (int w = 0; w < 2; w++) {
    uint32_t lo = a->p0 > 64u * w ? a->p0 - 64u * w : 0;
    uint32_t hi = a->p1 < 64u * (w + 1) ? a->p1 - 64u * w : 64;
    if (a->p1 <= 64u * w || lo >= hi) continue;
    m[w] = (hi - lo == 64 ? ~0ull : ((1ull << (hi - lo)) - 1)) << lo;
  }
}

static bool conflict(const inst_rec_t *a, const inst_rec_t *b) {
  for (size_t i = 0; i < a->nacc; i++) {
    const access_t *x = &a->acc[i];
    for (size_t k = 0; k < b->nacc; k++) {
      const access_t *y = &b->acc[k];
      if (!x->write && !y->write) continue;
      if (x->space != y->space) continue;
      /* HBM is written at most once per byte by a program (outputs, spill buffers):
       * only read-after-write orders there; ranges are bounding boxes, and strided
       * stores of disjoint tiles would look like write-after-write. */
      if (x->space == TRN_SPACE_HBM && !(x->write && !y->write)) continue;
      if (x->p1 <= y->p0 || y->p1 <= x->p0) continue;
      if (x->b1 <= y->b0 || y->b1 <= x->b0) continue;
      if (x->masked || y->masked) {
        /* disjoint partition sets (a partition range is all of its bits) */
        uint64_t xm[2], ym[2];
        range_mask(x, xm);
        range_mask(y, ym);
        if (!(xm[0] & ym[0]) && !(xm[1] & ym[1])) continue;
      }
      return true;
    }
  }
  return false;
}

static bool read_all(sync_t *S, MlirBlock block) {
  size_t cap = 0;
  for (MlirOperation op = mlirBlockGetFirstOperation(block); !mlirOperationIsNull(op);
       op = mlirOperationGetNextInBlock(op)) {
    if (!trn_dialects_isa_is_inst(op, NULL)) continue;
    if (S->n == cap) {
      cap = cap ? cap * 2 : 256;
      inst_rec_t *n = realloc(S->recs, cap * sizeof *n);
      if (!n) return false;
      S->recs = n;
    }
    inst_rec_t *r = &S->recs[S->n];
    memset(r, 0, sizeof *r);
    r->op = op;
    r->signal_sem = TRN_SEM_NONE;
    char msg[256];
    if (trn_dialects_isa_read(op, &r->inst, &r->stream, msg, sizeof msg)) {
      trn_ir_error(op, "malformed instruction: %s", msg);
      return false;
    }
    S->n++;
    bool ok = true;
    if (r->inst.opcode == TRN_OP_DMA) {
      size_t nd = trn_dialects_isa_dma_count(op);
      for (size_t i = 0; i < nd && ok; i++) {
        trn_dma_desc_t d;
        if (trn_dialects_isa_read_dma(op, i, &d, msg, sizeof msg)) {
          trn_ir_error(op, "malformed DMA descriptor: %s", msg);
          return false;
        }
        ok = dma_side_access(S, r, &d, true) && dma_side_access(S, r, &d, false);
      }
    } else {
      ok = ap_access(r, &r->inst.dst, true) && ap_access(r, &r->inst.src0, false) &&
           ap_access(r, &r->inst.src1, false);
      if (r->inst.opcode == TRN_OP_MATMUL && (r->inst.flags & TRN_FLAG_ACC))
        ok = ok && ap_access(r, &r->inst.dst, false);
    }
    if (!ok) return false;
  }
  return true;
}

/* Whether consumer c waits for every producer in mem[0..n). */
static bool waits_all(const sync_t *S, const inst_rec_t *c, const size_t *mem, size_t n) {
  for (size_t a = 0; a < n; a++)
    if (c->waits[S->recs[mem[a]].stream] != mem[a] + 1) return false;
  return true;
}

/* Step 4's grouping (see the header). For each consumer j in program order, the group
 * is the set E of its (not yet grouped) producers left by shrinking until every
 * instruction waiting for a member of E waits for all of E: those waiters (j and maybe
 * others, all after E in program order) then wait for the group's count, no later
 * than for E's members one by one. The group takes a semaphore the reuse rule allows
 * (best fit, below). clock as in run(). False when out of memory. */
static bool group_signals(sync_t *S, const size_t *clock) {
  enum { NS = TRN_MAX_STREAMS };
  uint32_t nsem = S->target->semaphores;
  if (nsem > TRN_SEM_NONE) nsem = TRN_SEM_NONE; /* 0xFF means "no semaphore" */
  if (nsem <= NS + 1 || S->n == 0) return true;
  /* the waiters of each producer: wlist[wstart[p] .. wstart[p + 1]), in program order */
  size_t *wstart = calloc(S->n + 1, sizeof *wstart);
  group_sem_t *gs = calloc(nsem - NS, sizeof *gs);
  size_t *wlist = NULL;
  bool ok = wstart && gs;
  size_t placed = 0;
  for (size_t j = 0; j < S->n && ok; j++)
    for (uint32_t t = 0; t < NS; t++)
      if (S->recs[j].waits[t]) wstart[S->recs[j].waits[t]]++;
  if (ok) {
    for (size_t p = 0; p < S->n; p++) wstart[p + 1] += wstart[p];
    wlist = malloc((wstart[S->n] ? wstart[S->n] : 1) * sizeof *wlist);
    ok = wlist != NULL;
  }
  if (ok) {
    size_t *fill = calloc(S->n, sizeof *fill);
    ok = fill != NULL;
    for (size_t j = 0; j < S->n && ok; j++)
      for (uint32_t t = 0; t < NS; t++) {
        size_t p = S->recs[j].waits[t];
        if (p) wlist[wstart[p - 1] + fill[p - 1]++] = j;
      }
    free(fill);
  }
  for (size_t j = 0; j < S->n && ok; j++) {
    inst_rec_t *rj = &S->recs[j];
    size_t mem[NS];
    size_t n = 0;
    for (uint32_t t = 0; t < NS; t++)
      if (rj->waits[t]) mem[n++] = rj->waits[t] - 1;
    /* Shrink to a fixed point: drop a member that has a waiter not waiting for every
     * member (so the producers j alone waits for always stay). Every waiter of a
     * member is then a waiter of all members. */
    for (bool changed = true; changed && n >= 2;) {
      changed = false;
      for (size_t a = 0; a < n && !changed; a++) {
        const size_t p = mem[a];
        for (size_t w = wstart[p]; w < wstart[p + 1] && !changed; w++) {
          if (waits_all(S, &S->recs[wlist[w]], mem, n)) continue;
          mem[a] = mem[--n];
          changed = true;
        }
      }
    }
    if (n < 2) continue;
    /* the waiters of mem[0] are those of every member (j among them) */
    bool fits = true;
    for (size_t w = wstart[mem[0]]; w < wstart[mem[0] + 1] && fits; w++) {
      const inst_rec_t *c = &S->recs[wlist[w]];
      fits = c->ngroups < NS / 2 && waits_all(S, c, mem, n);
    }
    if (!fits) continue;
    /* Best fit: of the semaphores the rule allows, the one whose last group is the
     * most recent, so that those with older groups (which more groups may follow)
     * and the unused ones stay available. */
    group_sem_t *g = NULL;
    for (uint32_t x = 0; x < nsem - NS; x++) {
      group_sem_t *c = &gs[x];
      if (c->count + n > 0xFFFFFF || (g && c->seq <= g->seq)) continue;
      bool safe = true;
      for (size_t a = 0; a < n && safe; a++)
        for (size_t b = 0; b < c->n && safe; b++)
          safe = clock[mem[a] * NS + S->recs[c->members[b]].stream] >= c->members[b] + 1;
      if (safe) g = c;
    }
    if (!g) continue;
    g->seq = ++placed;
    g->count += (uint32_t)n;
    g->n = n;
    memcpy(g->members, mem, n * sizeof *mem);
    uint8_t sem = (uint8_t)(NS + (g - gs));
    for (size_t w = wstart[mem[0]]; w < wstart[mem[0] + 1]; w++) {
      inst_rec_t *c = &S->recs[wlist[w]];
      for (size_t a = 0; a < n; a++) c->waits[S->recs[mem[a]].stream] = 0;
      c->group_sem[c->ngroups] = sem;
      c->group_value[c->ngroups++] = g->count;
    }
    for (size_t a = 0; a < n; a++) S->recs[mem[a]].signal_sem = sem;
  }
  free(wstart);
  free(wlist);
  free(gs);
  return ok;
}

/* Inserts, just before r on its stream, a NOP that waits until sem >= value. */
static void insert_wait_nop(MlirContext ctx, MlirBlock block, const inst_rec_t *r, uint8_t sem,
                            uint32_t value) {
  trn_inst_t nop;
  memset(&nop, 0, sizeof nop);
  nop.opcode = TRN_OP_NOP;
  nop.wait_sem = sem;
  nop.wait_value = value;
  nop.signal_sem = TRN_SEM_NONE;
  MlirOperation op = trn_dialects_isa_build(ctx, mlirOperationGetLocation(r->op), &nop, r->stream, NULL, 0);
  mlirBlockInsertOwnedOperationBefore(block, r->op, op);
}

static void run(MlirOperation module, MlirExternalPass pass, const trn_pass_options_t *opts) {
  MlirOperation fn = trn_ir_single_func(module);
  if (mlirOperationIsNull(fn)) {
    mlirExternalPassSignalFailure(pass);
    return;
  }
  sync_t S = {0};
  S.target = trn_ir_module_target(module, opts);
  MlirBlock block = trn_ir_func_body(fn);
  MlirContext ctx = mlirOperationGetContext(module);
  /* vector clocks: clock[i * NS + t] = index+1 of the latest instruction of stream t
   * known finished when instruction i starts (its own stream: i itself). */
  enum { NS = TRN_MAX_STREAMS };
  size_t *clock = NULL;
  size_t known[NS][NS];
  size_t last_of_stream[NS];
  memset(known, 0, sizeof known);
  memset(last_of_stream, 0, sizeof last_of_stream);
  bool failed = !read_all(&S, block);
  if (!failed && S.target->semaphores < NS) {
    trn_ir_error(fn, "the target has %u semaphores; trn-insert-sync needs one per stream (%d)",
                 S.target->semaphores, NS);
    failed = true;
  }
  for (size_t i = 0; i < S.n && !failed; i++) {
    if (S.recs[i].inst.wait_sem != TRN_SEM_NONE || S.recs[i].inst.signal_sem != TRN_SEM_NONE) {
      trn_ir_error(S.recs[i].op, "instruction already has semaphores: trn-insert-sync runs once");
      failed = true;
    }
  }
  if (!failed) {
    clock = calloc(S.n ? S.n * NS : 1, sizeof *clock);
    if (!clock) failed = true;
  }

  /* 2-3 */
  for (size_t j = 0; j < S.n && !failed; j++) {
    inst_rec_t *rj = &S.recs[j];
    uint32_t s = rj->stream;
    bool done[NS] = {false};
    size_t covered[NS];
    size_t remaining = 0;
    memcpy(covered, known[s], sizeof covered);
    for (uint32_t t = 0; t < NS; t++) {
      done[t] = t == s || last_of_stream[t] <= covered[t];
      if (!done[t]) remaining++;
    }
    /* Backwards: a chosen producer's clock covers what it was ordered after; only an
     * instruction later in program order can cover an earlier one. */
    for (size_t i = j; i-- > 0 && remaining;) {
      inst_rec_t *ri = &S.recs[i];
      uint32_t t = ri->stream;
      if (done[t]) continue;
      if (i + 1 <= covered[t] || conflict(ri, rj)) {
        done[t] = true;
        remaining--;
        if (i + 1 <= covered[t]) continue;
        ri->signals = true;
        ri->signal_sem = (uint8_t)t;
        rj->waits[t] = i + 1;
        const size_t *c = &clock[i * NS];
        for (uint32_t u = 0; u < NS; u++)
          if (c[u] > covered[u]) covered[u] = c[u];
      }
    }
    /* the clock after the waits */
    for (uint32_t t = 0; t < NS; t++) {
      if (!rj->waits[t]) continue;
      const size_t *c = &clock[(rj->waits[t] - 1) * NS];
      for (uint32_t u = 0; u < NS; u++)
        if (c[u] > known[s][u]) known[s][u] = c[u];
    }
    known[s][s] = j + 1;
    memcpy(&clock[j * NS], known[s], sizeof known[s]);
    last_of_stream[s] = j + 1;
  }

  /* 4 */
  if (!failed && !group_signals(&S, clock)) failed = true;
  uint32_t count[NS] = {0};
  for (size_t i = 0; i < S.n && !failed; i++)
    if (S.recs[i].signals && S.recs[i].signal_sem == S.recs[i].stream)
      S.recs[i].ordinal = ++count[S.recs[i].stream];
  for (uint32_t t = 0; t < NS && !failed; t++) {
    if (count[t] > 0xFFFFFF) {
      trn_ir_error(fn, "stream %u signals %u times; the wait value has 24 bits", t, count[t]);
      failed = true;
    }
  }

  /* 5 */
  for (size_t j = 0; j < S.n && !failed; j++) {
    inst_rec_t *rj = &S.recs[j];
    bool first = rj->ngroups == 0;
    uint8_t wsem = first ? TRN_SEM_NONE : rj->group_sem[0];
    uint32_t wval = first ? 0 : rj->group_value[0];
    for (uint32_t k = 1; k < rj->ngroups; k++)
      insert_wait_nop(ctx, block, rj, rj->group_sem[k], rj->group_value[k]);
    for (uint32_t t = 0; t < NS; t++) {
      if (!rj->waits[t]) continue;
      uint32_t value = S.recs[rj->waits[t] - 1].ordinal;
      if (first) {
        wsem = (uint8_t)t;
        wval = value;
        first = false;
        continue;
      }
      insert_wait_nop(ctx, block, rj, (uint8_t)t, value);
    }
    trn_dialects_isa_set_sync(rj->op, wsem, wval, rj->signal_sem);
  }

  for (size_t i = 0; i < S.n; i++) free(S.recs[i].acc);
  free(S.recs);
  free(clock);
  if (failed) mlirExternalPassSignalFailure(pass);
}

TRN_PASS_DEF kDef = {"TrnInsertSync", "trn-insert-sync", "order cross-engine accesses with semaphores", run};

MlirPass trn_pass_create_insert_sync(const trn_pass_options_t *opts) { return trn_pass_create(&kDef, opts); }
