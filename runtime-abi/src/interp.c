/* The reference interpreter: a discrete-event simulation of the engines and DMA
 * queues that executes each instruction functionally at its simulated start.
 *
 * Algorithm:
 *  1. Every stream (4 engines, the target's DMA queues) runs its instructions in
 *     order. A semaphore keeps the completion times of its signals in time order.
 *  2. An instruction is runnable when its wait is satisfied by the signals executed
 *     so far (count >= wait_value). Its start time is max(engine free time, time of
 *     the wait_value-th signal + the access latency when that signal came from
 *     another stream).
 *  3. The runnable instruction with the earliest start (ties: lowest stream) runs
 *     next: functional execution, then its end time = start + its duration, then
 *     its signal. Durations are positive, so no instruction executed later can
 *     signal earlier than a start already chosen: start times are non-decreasing
 *     and the wait_value-th signal in time order is final when it is read.
 *  4. When no unfinished stream is runnable, the run is deadlocked.
 *
 * Durations: compute engines take trn_isa_inst_cycles / engine GHz. A DMA takes
 * dma_fixed_ns + bytes / rate, rate = dma_queue_gbps, or for descriptors touching
 * HBM min(dma_queue_gbps, hbm_gbps / active queues), active queues being this one and
 * the queues whose previous DMA is still in flight at its start. DMA queues see no
 * added access latency after a wait (the fixed cost covers it); NOP/HALT on a DMA
 * queue take min_issue_cycles at the pool engine clock.
 *
 * Functional results are exactly those of executing in start order, with one
 * shortcut: a chain of accumulating MATMULs is computed by its first instruction
 * (exec_matmul.c says when that is unobservable), and another: large loads from
 * constant HBM into SBUF are deferred until something reads their destination, and
 * MATMUL reads them from HBM in place (lazy.c says why that is exact). Strict mode
 * (race.c) checks every instruction's SBUF/PSUM accesses after it executes, and runs
 * without deferred loads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interp_internal.h"

typedef struct sig_t {
  double t;
  uint32_t stream;
} sig_t;

typedef struct sem_t {
  sig_t *v;
  size_t n, cap;
} sem_t;

typedef struct stream_t {
  const trn_inst_t *insts;
  size_t len, pc;
  bool done;
  double ghz;
  double free_ns, busy_ns;
  double last_start, last_end;
} stream_t;

typedef struct run_t {
  trn_interp_t it;
  stream_t streams[TRN_MAX_STREAMS];
  uint32_t nstreams;
  sem_t *sems;
  uint32_t nsems;
  trn_trace_event_t *events;
  size_t nevents, events_cap;
  bool record;
  bool own_memories; /* sbuf and psum were allocated here */
} run_t;

static double stream_ghz(const trn_target_t *t, uint32_t s) {
  switch (trn_isa_stream_engine(s)) {
  case TRN_ENGINE_PE: return t->pe_ghz;
  case TRN_ENGINE_ACT: return t->act_ghz;
  case TRN_ENGINE_DVE: return t->dve_ghz;
  default: return t->pool_ghz;
  }
}

static void run_free(run_t *r) {
  if (r->own_memories) {
    trn_rt_mem_free(r->it.sbuf, r->it.sbuf_size);
    trn_rt_mem_free(r->it.psum, r->it.psum_size);
  }
  for (int t = 0; t < TRN_POOL_MAX_THREADS; t++)
    for (int i = 0; i < 4; i++) free(r->it.scratch[t][i]);
  for (int i = 0; i < 3; i++) free(r->it.mm[i]);
  free(r->it.dma_plan);
  trn_interp_matmul_release(&r->it);
  trn_race_destroy(r->it.race);
  trn_lazy_destroy(r->it.lazy);
  if (r->sems)
    for (uint32_t i = 0; i < r->nsems; i++) free(r->sems[i].v);
  free(r->sems);
  free(r->events);
}

/* Inserts a signal in time order; returns its position. */
static trn_status_t sem_signal(sem_t *sem, double t, uint32_t stream, size_t *out_pos) {
  if (sem->n == sem->cap) {
    size_t cap = sem->cap ? sem->cap * 2 : 16;
    sig_t *v = realloc(sem->v, cap * sizeof *v);
    if (!v) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "semaphore signal list");
    sem->v = v;
    sem->cap = cap;
  }
  size_t i = sem->n;
  while (i > 0 && sem->v[i - 1].t > t) {
    sem->v[i] = sem->v[i - 1];
    i--;
  }
  sem->v[i].t = t;
  sem->v[i].stream = stream;
  sem->n++;
  *out_pos = i;
  return NULL;
}

static trn_status_t deadlock_status(const run_t *r) {
  char buf[2048];
  size_t len = 0;
  len += (size_t)snprintf(buf + len, sizeof buf - len,
                          "deadlock: every unfinished stream waits on a semaphore no stream "
                          "can signal any more:");
  for (uint32_t s = 0; s < r->nstreams && len < sizeof buf; s++) {
    const stream_t *st = &r->streams[s];
    if (st->done) continue;
    const trn_inst_t *in = &st->insts[st->pc];
    char sname[16];
    const trn_opinfo_t *info = trn_isa_opinfo(in->opcode);
    len += (size_t)snprintf(buf + len, sizeof buf - len,
                            " stream %s, instruction %zu (%s) waits for s%u >= %u (s%u is %zu);",
                            trn_isa_stream_name(s, sname, sizeof sname), st->pc,
                            info ? info->mnemonic : "?", in->wait_sem, in->wait_value,
                            in->wait_sem, in->wait_sem < r->nsems ? r->sems[in->wait_sem].n : 0);
  }
  if (len >= sizeof buf) len = sizeof buf - 1;
  if (len > 0 && buf[len - 1] == ';') buf[len - 1] = '\0';
  return trn_status_make(TRN_ERR_DEADLOCK, "%s", buf);
}

static trn_status_t record_event(run_t *r, uint32_t s, size_t index, double start, double dur) {
  if (r->nevents == r->events_cap) {
    size_t cap = r->events_cap ? r->events_cap * 2 : 1024;
    trn_trace_event_t *e = realloc(r->events, cap * sizeof *e);
    if (!e) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "trace of %zu events", cap);
    r->events = e;
    r->events_cap = cap;
  }
  r->events[r->nevents++] = (trn_trace_event_t){s, (uint32_t)index, start, dur};
  return NULL;
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

static uint64_t sat_mul(uint64_t a, uint64_t b) {
  return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* Adds one executed instruction to its layer's profile. */
static void layer_account(trn_rt_layer_profile_t *layers, const trn_rt_model_t *model,
                          uint32_t s, size_t index, const trn_interp_t *it, bool dma,
                          double start_ns, double dur_ns) {
  const uint32_t *il = model->inst_layer[s];
  if (!il || il[index] == TRN_RT_NO_LAYER || il[index] >= model->layer_count) return;
  trn_rt_layer_profile_t *l = &layers[il[index]];
  double start = start_ns * 1e-9, end = (start_ns + dur_ns) * 1e-9;
  double *first = dma ? &l->dma_first_start : &l->first_start;
  double *last = dma ? &l->dma_last_end : &l->last_end;
  if (*last == 0 || start < *first) *first = start;
  if (end > *last) *last = end;
  l->instructions++;
  l->busy_seconds[s] += dur_ns * 1e-9;
  l->macs += it->last_macs;
  if (dma) {
    l->dma_bytes += it->last_dma_bytes;
    l->dma_hbm_bytes += it->last_dma_hbm_bytes;
  }
}

/* Elements an instruction processes, saturating (for max_elements): its descriptors'
 * for a DMA (0 for a descriptor range the DMA itself will reject), else its largest
 * operand's over all partitions. */
static uint64_t inst_elements(const trn_rt_model_t *model, const trn_inst_t *in) {
  uint64_t n = 0;
  if (in->opcode == TRN_OP_DMA) {
    uint64_t first = in->aux, count = in->imm[0];
    if (first > model->dma_count || count > model->dma_count - first) return 0;
    for (uint64_t d = first; d < first + count; d++) {
      uint64_t e = 1;
      for (int k = 0; k < TRN_DMA_DIMS; k++) e = sat_mul(e, model->dma[d].num[k]);
      n = sat_add(n, e);
    }
    return n;
  }
  const trn_ap_t *aps[3] = {&in->dst, &in->src0, &in->src1};
  for (int i = 0; i < 3; i++) {
    if (aps[i]->space == TRN_SPACE_NONE) continue;
    uint64_t e = aps[i]->num_partitions;
    for (int k = 0; k < TRN_AP_DIMS; k++) e = sat_mul(e, aps[i]->num[k]);
    if (e > n) n = e;
  }
  return n;
}

static trn_status_t run_loop(run_t *r, const trn_rt_run_options_t *options,
                             uint64_t *out_instructions, uint64_t *out_macs,
                             uint64_t *out_dma_bytes) {
  trn_interp_t *it = &r->it;
  const trn_target_t *t = it->target;
  uint64_t instructions = 0, macs = 0, dma_bytes = 0, elements = 0;
  const uint64_t max_instructions = options ? options->max_instructions : 0;
  const uint64_t max_elements = options ? options->max_elements : 0;
  for (;;) {
    int best = -1;
    double best_start = 0;
    for (uint32_t s = 0; s < r->nstreams; s++) {
      stream_t *st = &r->streams[s];
      if (st->done) continue;
      const trn_inst_t *in = &st->insts[st->pc];
      double start = st->free_ns;
      if (in->wait_sem != TRN_SEM_NONE) {
        if (in->wait_sem >= r->nsems)
          return trn_interp_trap(s, st->pc, in, "wait_sem %u is not below the %u semaphores",
                                 in->wait_sem, r->nsems);
        const sem_t *sem = &r->sems[in->wait_sem];
        if (in->wait_value > sem->n) continue; /* blocked */
        if (in->wait_value > 0) {
          const sig_t *sg = &sem->v[in->wait_value - 1];
          double ready = sg->t;
          if (sg->stream != s && s < TRN_STREAM_DMA0)
            ready += (double)t->access_latency_cycles / st->ghz;
          if (ready > start) start = ready;
        }
      }
      if (best < 0 || start < best_start) {
        best = (int)s;
        best_start = start;
      }
    }
    if (best < 0) {
      bool any = false;
      for (uint32_t s = 0; s < r->nstreams; s++) any |= !r->streams[s].done;
      if (any) return deadlock_status(r);
      break;
    }
    uint32_t s = (uint32_t)best;
    stream_t *st = &r->streams[s];
    size_t index = st->pc;
    const trn_inst_t *in = &st->insts[index];
    if (max_instructions && instructions >= max_instructions) {
      char sname[16];
      *out_instructions = instructions;
      return trn_status_make(TRN_ERR_EXEC,
                             "stream %s instruction %zu: the run reached its limit of %llu "
                             "executed instructions (max_instructions)",
                             trn_isa_stream_name(s, sname, sizeof sname), index,
                             (unsigned long long)max_instructions);
    }
    if (max_elements) {
      elements = sat_add(elements, inst_elements(it->model, in));
      if (elements > max_elements) {
        char sname[16];
        *out_instructions = instructions;
        return trn_status_make(TRN_ERR_EXEC,
                               "stream %s instruction %zu: the run would pass its limit of %llu "
                               "processed elements (max_elements)",
                               trn_isa_stream_name(s, sname, sizeof sname), index,
                               (unsigned long long)max_elements);
      }
    }
    if (in->signal_sem != TRN_SEM_NONE && in->signal_sem >= r->nsems)
      return trn_interp_trap(s, index, in, "signal_sem %u is not below the %u semaphores",
                             in->signal_sem, r->nsems);
    if (it->lazy) trn_lazy_before(it, in);
    TRN_RETURN_IF_ERROR(trn_interp_exec(it, s, index, in));
    if (it->race) {
      if (in->wait_sem != TRN_SEM_NONE && in->wait_value > 0)
        trn_race_wait(it->race, s, in->wait_sem, in->wait_value);
      trn_race_begin(it->race, s);
      TRN_RETURN_IF_ERROR(trn_race_access(it->race, it->model, s, index, in));
    }
    double dur;
    if (in->opcode == TRN_OP_DMA) {
      uint32_t active = 1;
      for (uint32_t q = TRN_STREAM_DMA0; q < r->nstreams; q++)
        if (q != s && r->streams[q].last_start <= best_start && best_start < r->streams[q].last_end)
          active++;
      double qbw = t->dma_queue_gbps > 0 ? t->dma_queue_gbps : 1.0;
      double hbw = t->hbm_gbps > 0 ? t->hbm_gbps / active : qbw;
      if (hbw > qbw) hbw = qbw;
      uint64_t other = it->last_dma_bytes - it->last_dma_hbm_bytes;
      dur = t->dma_fixed_ns + (double)it->last_dma_hbm_bytes / hbw + (double)other / qbw;
      dma_bytes += it->last_dma_bytes;
    } else {
      dur = (double)trn_isa_inst_cycles(in, t) / st->ghz;
    }
    if (!(dur > 0)) dur = 1e-3;
    double end = best_start + dur;
    st->last_start = best_start;
    st->last_end = end;
    st->free_ns = end;
    st->busy_ns += dur;
    macs += it->last_macs;
    instructions++;
    if (options && options->layers)
      layer_account(options->layers, it->model, s, index, it, in->opcode == TRN_OP_DMA,
                    best_start, dur);
    if (r->record) TRN_RETURN_IF_ERROR(record_event(r, s, index, best_start, dur));
    if (in->signal_sem != TRN_SEM_NONE) {
      size_t pos = 0;
      TRN_RETURN_IF_ERROR(sem_signal(&r->sems[in->signal_sem], end, s, &pos));
      if (it->race) TRN_RETURN_IF_ERROR(trn_race_signal(it->race, s, in->signal_sem, pos));
    }
    st->pc++;
    it->executed[s] = st->pc;
    if (in->opcode == TRN_OP_HALT || st->pc >= st->len) {
      st->done = true;
      if (it->race) trn_race_stream_done(it->race, s);
    }
  }
  *out_instructions = instructions;
  *out_macs = macs;
  *out_dma_bytes = dma_bytes;
  return NULL;
}

trn_status_t trn_rt_interpret(const trn_rt_model_t *model, uint8_t *hbm, uint8_t *sbuf,
                              uint8_t *psum, const trn_rt_run_options_t *options,
                              trn_rt_profile_t *out_profile) {
  if (out_profile) memset(out_profile, 0, sizeof *out_profile);
  if (!model || !model->target)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "interpret: no model or target");
  if (!hbm && model->hbm_size)
    return trn_status_make(TRN_ERR_INVALID_ARGUMENT, "interpret: no HBM image");
  const trn_target_t *t = model->target;
  run_t *r = calloc(1, sizeof *r);
  if (!r) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "interpreter state");
  trn_interp_t *it = &r->it;
  it->model = model;
  it->target = t;
  it->pool = model->run_pool;
  it->hbm = hbm;
  it->hbm_size = model->hbm_size;
  it->sbuf_size = (uint64_t)t->partitions * t->sbuf_partition_bytes;
  it->psum_size = (uint64_t)t->partitions * t->psum_partition_bytes;
  r->own_memories = !sbuf || !psum;
  it->sbuf = r->own_memories ? trn_rt_mem_alloc(it->sbuf_size) : sbuf;
  it->psum = r->own_memories ? trn_rt_mem_alloc(it->psum_size) : psum;
  r->nsems = t->semaphores < 256 ? t->semaphores : 255;
  r->sems = calloc(r->nsems ? r->nsems : 1, sizeof *r->sems);
  trn_status_t st = NULL;
  if (!it->sbuf || !it->psum || !r->sems) {
    st = trn_status_make(TRN_ERR_OUT_OF_MEMORY, "interpreter memories (%llu bytes of SBUF)",
                         (unsigned long long)it->sbuf_size);
    goto done;
  }
  if (options && options->layers && model->layer_count)
    memset(options->layers, 0, model->layer_count * sizeof *options->layers);
  if (options && options->strict) {
    st = trn_race_create(t, &it->race);
    if (st) goto done;
  } else {
    /* Deferred loads (lazy.c) leave SBUF stale under pending loads until something
     * reads them: off in strict mode, which checks every access as written. */
    st = trn_lazy_create(model, &it->lazy);
    if (st) goto done;
  }
  r->record = options && (options->trace_path || options->html_path);
  r->nstreams = TRN_STREAM_DMA0 + (t->dma_queues < TRN_MAX_DMA_QUEUES ? t->dma_queues
                                                                       : TRN_MAX_DMA_QUEUES);
  for (uint32_t s = 0; s < TRN_MAX_STREAMS; s++) {
    if (s >= r->nstreams && model->stream_length[s]) {
      char sname[16];
      st = trn_status_make(TRN_ERR_EXEC, "stream %s: %zu instructions on a DMA queue %s lacks",
                           trn_isa_stream_name(s, sname, sizeof sname), model->stream_length[s],
                           t->name);
      goto done;
    }
  }
  for (uint32_t s = 0; s < r->nstreams; s++) {
    stream_t *ss = &r->streams[s];
    ss->insts = model->streams[s];
    ss->len = ss->insts ? model->stream_length[s] : 0;
    ss->done = ss->len == 0;
    ss->ghz = stream_ghz(t, s);
    if (ss->done && it->race) trn_race_stream_done(it->race, s);
  }
  uint64_t instructions = 0, macs = 0, dma_bytes = 0;
  int blas_threads = it->pool ? trn_interp_blas_serial() : 1;
  st = run_loop(r, options, &instructions, &macs, &dma_bytes);
  if (it->pool) trn_interp_blas_restore(blas_threads);

  double total_ns = 0;
  for (uint32_t s = 0; s < r->nstreams; s++)
    if (r->streams[s].free_ns > total_ns) total_ns = r->streams[s].free_ns;
  trn_rt_profile_t prof;
  memset(&prof, 0, sizeof prof);
  prof.total_seconds = total_ns * 1e-9;
  prof.total_cycles = (uint64_t)(total_ns * t->pe_ghz + 0.5);
  prof.instructions = instructions;
  for (uint32_t s = 0; s < r->nstreams; s++)
    prof.engine_busy[s] = total_ns > 0 ? r->streams[s].busy_ns / total_ns : 0.0;
  prof.macs = macs;
  prof.dma_bytes = dma_bytes;
  double peak = (double)t->pe_rows * t->pe_cols * (double)prof.total_cycles;
  prof.pe_utilization = peak > 0 ? (double)macs / peak : 0.0;
  if (!st && out_profile) *out_profile = prof;

  /* The timeline is written even when the run failed: it shows what ran. */
  if (options && options->trace_path) {
    trn_status_t ts = trn_trace_write_json(options->trace_path, model, r->events, r->nevents);
    if (ts && !st) st = ts;
    else trn_status_free(ts);
  }
  if (options && options->html_path) {
    trn_status_t ts = trn_trace_write_html(options->html_path, model, r->events, r->nevents, &prof);
    if (ts && !st) st = ts;
    else trn_status_free(ts);
  }
done:
  run_free(r);
  free(r);
  return st;
}
