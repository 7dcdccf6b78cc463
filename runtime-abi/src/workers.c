/* A helper thread for the interpreter: splits a large instruction's work in two
 * halves, one on the helper and one on the calling thread (the machine and the
 * PyTorch baseline both have two cores). The helper sleeps on a condition variable
 * between jobs, so it costs nothing while the interpreter runs small instructions. */
#include <pthread.h>
#include <stdlib.h>

#include "interp_internal.h"

struct trn_interp_workers_t {
  pthread_t thread;
  pthread_mutex_t lock;
  pthread_cond_t wake, done;
  /* The job under `lock`: posted by bumping `generation`, finished when `finished`
   * reaches it; `quit` ends the helper. */
  trn_interp_work_fn fn;
  void *ctx;
  uint64_t begin, end;
  uint64_t generation, finished;
  bool quit;
};

static void *helper_main(void *arg) {
  trn_interp_workers_t *w = arg;
  uint64_t seen = 0;
  pthread_mutex_lock(&w->lock);
  for (;;) {
    while (!w->quit && w->generation == seen) pthread_cond_wait(&w->wake, &w->lock);
    if (w->quit) break;
    seen = w->generation;
    trn_interp_work_fn fn = w->fn;
    void *ctx = w->ctx;
    uint64_t begin = w->begin, end = w->end;
    pthread_mutex_unlock(&w->lock);
    fn(ctx, begin, end);
    pthread_mutex_lock(&w->lock);
    w->finished = seen;
    pthread_cond_signal(&w->done);
  }
  pthread_mutex_unlock(&w->lock);
  return NULL;
}

trn_interp_workers_t *trn_interp_workers_create(void) {
  trn_interp_workers_t *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  if (pthread_mutex_init(&w->lock, NULL) != 0) {
    free(w);
    return NULL;
  }
  if (pthread_cond_init(&w->wake, NULL) != 0) {
    pthread_mutex_destroy(&w->lock);
    free(w);
    return NULL;
  }
  if (pthread_cond_init(&w->done, NULL) != 0) {
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return NULL;
  }
  if (pthread_create(&w->thread, NULL, helper_main, w) != 0) {
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
    return NULL;
  }
  return w;
}

void trn_interp_workers_destroy(trn_interp_workers_t *w) {
  if (!w) return;
  pthread_mutex_lock(&w->lock);
  w->quit = true;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  pthread_join(w->thread, NULL);
  pthread_cond_destroy(&w->done);
  pthread_cond_destroy(&w->wake);
  pthread_mutex_destroy(&w->lock);
  free(w);
}

void trn_interp_workers_run(trn_interp_workers_t *w, trn_interp_work_fn fn, void *ctx,
                            uint64_t n) {
  if (!w || n < 2) {
    fn(ctx, 0, n);
    return;
  }
  uint64_t half = n / 2;
  pthread_mutex_lock(&w->lock);
  w->fn = fn;
  w->ctx = ctx;
  w->begin = half;
  w->end = n;
  uint64_t gen = ++w->generation;
  pthread_cond_signal(&w->wake);
  pthread_mutex_unlock(&w->lock);
  fn(ctx, 0, half);
  pthread_mutex_lock(&w->lock);
  while (w->finished != gen) pthread_cond_wait(&w->done, &w->lock);
  pthread_mutex_unlock(&w->lock);
}
