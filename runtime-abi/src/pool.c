/* The interpreter's host thread pool; see pool.h.
 *
 * One split at a time. The calling thread publishes it (function, context), stores a
 * fresh claim word (the split's generation in the high 32 bits, its part count in
 * bits 16..31, the next unclaimed part in the low 16), then the generation itself. A
 * worker that sees a new generation reads the split and checks that the generation
 * did not move on meanwhile (else it reads again); it claims parts with a
 * compare-and-swap on the claim word, which also checks the generation. The part count
 * travels in the claim word so that a claim never trusts a field read from another
 * split: a worker that read a mix of two splits (the caller publishing the next one)
 * finds the old split's claims exhausted or a newer generation, and claims nothing;
 * a successful claim of a split was read before that split's last part finished,
 * hence before the next split was written. The caller claims parts like the workers,
 * then waits (spinning: only parts already running remain) until every part is done.
 * Workers poll for up to TRN_POOL_SPIN_NS after their last part, then sleep on the
 * condition variable; the caller signals it only when a worker sleeps (the sleeper
 * count and the generation are sequentially consistent atomics, so a worker going to
 * sleep either sees the new generation or is counted). */
#define _GNU_SOURCE /* sched_yield */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* How long an idle worker polls for the next split before sleeping. Most splits of a
 * run follow the previous one within this; a sleeping worker needs tens of
 * microseconds to wake. The poll yields the core every 64 checks (a few microseconds),
 * so that on a loaded machine it takes little CPU time from other threads, the
 * calling thread among them (ResNet-50 on 2 shared cores: polling 200 us without
 * yielding was slower than 20 us; 200 us yielding was as fast as 20 us; 2 ms yielding
 * ran it 7-10% faster than 200 us in three runs of 8 alternating rounds, with the
 * GEMMs split in 2 blocks, which leave the caller waiting for a late worker). */
#define TRN_POOL_SPIN_NS 2000000

struct trn_pool_t {
  unsigned threads;
  pthread_t workers[TRN_POOL_MAX_THREADS];
  unsigned started;
  pthread_mutex_t mu; /* for the condition variable and `stop` */
  pthread_cond_t cv;
  bool stop;
  _Atomic unsigned sleeping;
  /* The published split, valid for generation `gen`. */
  _Atomic(trn_pool_fn_t) fn;
  _Atomic(void *) ctx;
  _Atomic uint32_t gen;
  /* gen << 32 | parts << 16 | next unclaimed part */
  _Atomic uint64_t claim;
  /* Parts of the current split done. */
  _Atomic size_t done;
};

typedef struct worker_arg_t {
  trn_pool_t *pool;
  unsigned thread;
} worker_arg_t;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Claims and runs parts of split `gen` until none is left. */
static void run_parts(trn_pool_t *pool, uint32_t gen, trn_pool_fn_t fn, void *ctx,
                      unsigned thread) {
  for (;;) {
    uint64_t c = atomic_load_explicit(&pool->claim, memory_order_acquire);
    if ((uint32_t)(c >> 32) != gen || (c & 0xFFFFu) >= ((c >> 16) & 0xFFFFu)) return;
    if (!atomic_compare_exchange_weak_explicit(&pool->claim, &c, c + 1, memory_order_acq_rel,
                                               memory_order_relaxed))
      continue;
    fn(ctx, (size_t)(c & 0xFFFFu), thread);
    atomic_fetch_add_explicit(&pool->done, 1, memory_order_release);
  }
}

static void *worker_main(void *p) {
  worker_arg_t *arg = p;
  trn_pool_t *pool = arg->pool;
  unsigned thread = arg->thread;
  free(arg);
  uint32_t seen = 0;
  for (;;) {
    /* Spin for a new generation, then sleep for it. */
    uint64_t start = 0;
    for (unsigned i = 0;; i++) {
      if (atomic_load_explicit(&pool->gen, memory_order_acquire) != seen) break;
      cpu_relax();
      if ((i & 63) == 63) {
        uint64_t t = now_ns();
        if (!start) start = t;
        else if (t - start > TRN_POOL_SPIN_NS) break;
        sched_yield(); /* a thread that wants this core gets it */
      }
    }
    if (atomic_load_explicit(&pool->gen, memory_order_acquire) == seen) {
      pthread_mutex_lock(&pool->mu);
      atomic_fetch_add(&pool->sleeping, 1);
      while (!pool->stop && atomic_load(&pool->gen) == seen) pthread_cond_wait(&pool->cv, &pool->mu);
      atomic_fetch_sub(&pool->sleeping, 1);
      bool stop = pool->stop;
      pthread_mutex_unlock(&pool->mu);
      if (stop) return NULL;
    }
    /* Read the split of one generation. */
    uint32_t gen;
    trn_pool_fn_t fn;
    void *ctx;
    do {
      gen = atomic_load_explicit(&pool->gen, memory_order_acquire);
      fn = atomic_load_explicit(&pool->fn, memory_order_relaxed);
      ctx = atomic_load_explicit(&pool->ctx, memory_order_relaxed);
      atomic_thread_fence(memory_order_acquire);
    } while (atomic_load_explicit(&pool->gen, memory_order_relaxed) != gen);
    seen = gen;
    run_parts(pool, gen, fn, ctx, thread);
  }
}

unsigned trn_pool_default_threads(void) {
  const char *env = getenv("TRN_INTERP_THREADS");
  long n = 0;
  if (env && *env) {
    char *end = NULL;
    n = strtol(env, &end, 10);
    if (*end != '\0') n = 0;
  }
  if (n <= 0) n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n <= 0) n = 1;
  return n > TRN_POOL_MAX_THREADS ? TRN_POOL_MAX_THREADS : (unsigned)n;
}

void trn_pool_destroy(trn_pool_t *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->mu);
  pool->stop = true;
  pthread_cond_broadcast(&pool->cv);
  pthread_mutex_unlock(&pool->mu);
  for (unsigned i = 0; i < pool->started; i++) pthread_join(pool->workers[i], NULL);
  pthread_cond_destroy(&pool->cv);
  pthread_mutex_destroy(&pool->mu);
  free(pool);
}

trn_status_t trn_pool_create(unsigned threads, trn_pool_t **out_pool) {
  *out_pool = NULL;
  if (threads < 1) threads = 1;
  if (threads > TRN_POOL_MAX_THREADS) threads = TRN_POOL_MAX_THREADS;
  trn_pool_t *pool = calloc(1, sizeof *pool);
  if (!pool) return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "interpreter thread pool");
  if (pthread_mutex_init(&pool->mu, NULL) != 0) {
    free(pool);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "interpreter thread pool: mutex");
  }
  if (pthread_cond_init(&pool->cv, NULL) != 0) {
    pthread_mutex_destroy(&pool->mu);
    free(pool);
    return trn_status_make(TRN_ERR_OUT_OF_MEMORY, "interpreter thread pool: condition variable");
  }
  atomic_init(&pool->sleeping, 0);
  atomic_init(&pool->fn, NULL);
  atomic_init(&pool->ctx, NULL);
  atomic_init(&pool->gen, 0);
  atomic_init(&pool->claim, 0);
  atomic_init(&pool->done, 0);
  pool->threads = 1;
  for (unsigned i = 1; i < threads; i++) {
    worker_arg_t *arg = malloc(sizeof *arg);
    int rc = arg ? 0 : ENOMEM;
    if (arg) {
      arg->pool = pool;
      arg->thread = i;
      rc = pthread_create(&pool->workers[pool->started], NULL, worker_main, arg);
      if (rc != 0) free(arg);
    }
    if (rc != 0) {
      /* Fewer threads are still a working pool; none at all is too. */
      break;
    }
    pool->started++;
    pool->threads++;
  }
  *out_pool = pool;
  return NULL;
}

unsigned trn_pool_threads(const trn_pool_t *pool) { return pool ? pool->threads : 1; }

static void pool_run(trn_pool_t *pool, size_t parts, trn_pool_fn_t fn, void *ctx, bool wake) {
  if (!pool || pool->threads < 2 || parts < 2 || parts > TRN_POOL_MAX_PARTS) {
    for (size_t i = 0; i < parts; i++) fn(ctx, i, 0);
    return;
  }
  uint32_t gen = atomic_load_explicit(&pool->gen, memory_order_relaxed) + 1;
  if (gen == 0) gen = 1; /* 0 is the workers' initial "seen" */
  /* Odd-even is not needed: a worker checks `gen` again after reading the split, and
   * the fields change only here, before the new generation is stored. A worker that
   * read a mix of two splits sees `gen` move and reads again. */
  atomic_store_explicit(&pool->fn, fn, memory_order_relaxed);
  atomic_store_explicit(&pool->ctx, ctx, memory_order_relaxed);
  atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
  atomic_store_explicit(&pool->claim, (uint64_t)gen << 32 | (uint64_t)parts << 16,
                        memory_order_release);
  atomic_store(&pool->gen, gen);
  if (wake && atomic_load(&pool->sleeping)) {
    pthread_mutex_lock(&pool->mu);
    pthread_cond_broadcast(&pool->cv);
    pthread_mutex_unlock(&pool->mu);
  }
  run_parts(pool, gen, fn, ctx, 0);
  for (unsigned i = 0; atomic_load_explicit(&pool->done, memory_order_acquire) < parts; i++) {
    cpu_relax();
    if ((i & 1023) == 1023) sched_yield(); /* the last part's thread may be preempted */
  }
}

void trn_pool_run(trn_pool_t *pool, size_t parts, trn_pool_fn_t fn, void *ctx) {
  pool_run(pool, parts, fn, ctx, true);
}

void trn_pool_run_awake(trn_pool_t *pool, size_t parts, trn_pool_fn_t fn, void *ctx) {
  pool_run(pool, parts, fn, ctx, false);
}
