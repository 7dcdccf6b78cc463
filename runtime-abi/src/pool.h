/* The interpreter's host thread pool (pool.c): the calling thread plus worker threads
 * that run the parts of ONE data-parallel split at a time, inside one instruction, so
 * the interpreter's sequential semantics are untouched. Not included outside
 * runtime-abi/src.
 *
 * A split is a fixed list of parts chosen by its caller from the work's shape only
 * (never from the thread count), each part writing memory no other part of the split
 * reads or writes: results are then the same bytes for any number of threads and any
 * assignment of parts to threads. Parts cannot fail; the caller checks everything that
 * can trap before it splits, so errors are reported from the calling thread.
 *
 * Workers spin for a short while after a split (the next one usually follows within
 * microseconds), then sleep on a condition variable: an idle pool costs no CPU. */
#ifndef TRN_RT_POOL_H
#define TRN_RT_POOL_H

#include <stddef.h>

#include "trn/runtime.h"

/* Most threads a pool runs (the calling thread included). */
#define TRN_POOL_MAX_THREADS 16
/* Most parts of one split run on the pool (more run in order on the calling thread). */
#define TRN_POOL_MAX_PARTS 0xFFFFu

typedef struct trn_pool_t trn_pool_t;

/* Runs part `part` of a split on the pool thread `thread` (0 = the calling thread,
 * below trn_pool_threads): the thread number selects per-thread scratch buffers. */
typedef void (*trn_pool_fn_t)(void *ctx, size_t part, unsigned thread);

/* The default thread count: TRN_INTERP_THREADS when set to a number (1 = no worker
 * threads), else the online CPUs; at most TRN_POOL_MAX_THREADS. */
unsigned trn_pool_default_threads(void);

/* A pool of `threads` threads (the calling thread and threads - 1 workers, clamped to
 * 1..TRN_POOL_MAX_THREADS). *out_pool is NULL on failure. */
trn_status_t trn_pool_create(unsigned threads, trn_pool_t **out_pool);
/* Stops and joins the workers. NULL is a no-op. */
void trn_pool_destroy(trn_pool_t *pool);
/* Threads of `pool` (1 for NULL). */
unsigned trn_pool_threads(const trn_pool_t *pool);
/* Runs fn(ctx, part, thread) for every part in [0, parts) and returns when all are
 * done; the calling thread takes parts too. With a NULL pool, one thread, one part or
 * more than TRN_POOL_MAX_PARTS, the parts run in order on the calling thread. Not reentrant: a part must not call
 * trn_pool_run, and one pool serves one calling thread at a time. */
void trn_pool_run(trn_pool_t *pool, size_t parts, trn_pool_fn_t fn, void *ctx);
/* As trn_pool_run, with only the workers that are polling (not those asleep, which
 * would cost a wake-up each): for splits too short to repay one. */
void trn_pool_run_awake(trn_pool_t *pool, size_t parts, trn_pool_fn_t fn, void *ctx);

#endif /* TRN_RT_POOL_H */
