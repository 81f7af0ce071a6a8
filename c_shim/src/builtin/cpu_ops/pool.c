/* pool.c: the one piece of global state in the CPU executor: a fixed pool of min(nproc, 16) threads (the caller
 * is one of them) serving parallel-for loops. One loop runs at a time; a second concurrent caller (another
 * context on another thread) runs its loop inline rather than waiting. */
#define _GNU_SOURCE /* dladdr, RTLD_NODELETE */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "cpu_ops.h"

#define MAX_THREADS 16

static struct {
  pthread_once_t once;
  int nthreads;
  pthread_mutex_t mu, busy;
  pthread_cond_t wake, done;
  uint64_t epoch;
  cpu_range_fn fn;
  void* arg;
  int64_t n, chunk, nchunks;
  atomic_llong next;
  int active;
} g_pool = {PTHREAD_ONCE_INIT, 1, PTHREAD_MUTEX_INITIALIZER, PTHREAD_MUTEX_INITIALIZER,
            PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, 0, 0, 0, 0, 0, 0};

static void run_chunks(void) {
  for (;;) {
    int64_t c = atomic_fetch_add(&g_pool.next, 1);
    if (c >= g_pool.nchunks) break;
    int64_t b = c * g_pool.chunk, e = b + g_pool.chunk;
    g_pool.fn(g_pool.arg, b, e < g_pool.n ? e : g_pool.n);
  }
}

static void* worker(void* unused) {
  (void)unused;
  uint64_t seen = 0;
  for (;;) {
    pthread_mutex_lock(&g_pool.mu);
    while (g_pool.epoch == seen) pthread_cond_wait(&g_pool.wake, &g_pool.mu);
    seen = g_pool.epoch;
    pthread_mutex_unlock(&g_pool.mu);
    run_chunks();
    pthread_mutex_lock(&g_pool.mu);
    if (--g_pool.active == 0) pthread_cond_signal(&g_pool.done);
    pthread_mutex_unlock(&g_pool.mu);
  }
  return NULL;
}

/* The workers live as long as the process and run code of this library, so the library must never be unmapped:
 * Deno closes a DynamicLibrary when the isolate that opened it ends (every test file, every worker), and a dlclose
 * that unloads us would leave the workers blocked on freed memory. Re-opening ourselves with RTLD_NODELETE pins
 * the library for the process lifetime. */
static void pin_library(void) {
  Dl_info info;
  if (dladdr((void*)pin_library, &info) && info.dli_fname) dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
}

static void pool_init(void) {
  pin_library();
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  int started = 1;
  for (long i = 1; i < n; i++) {
    pthread_t t;
    if (pthread_create(&t, NULL, worker, NULL) != 0) break;
    pthread_detach(t);
    started++;
  }
  g_pool.nthreads = started;
}

int cpu_num_threads(void) {
  pthread_once(&g_pool.once, pool_init);
  return g_pool.nthreads;
}

void cpu_parallel_for(int64_t n, int64_t grain, cpu_range_fn fn, void* arg) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  int nt = cpu_num_threads();
  if (nt == 1 || n <= grain || pthread_mutex_trylock(&g_pool.busy) != 0) {
    fn(arg, 0, n);
    return;
  }
  /* about 4 chunks per thread balances uneven chunks without much scheduling overhead */
  int64_t chunk = (n + 4 * nt - 1) / (4 * nt);
  if (chunk < grain) chunk = grain;
  pthread_mutex_lock(&g_pool.mu);
  g_pool.fn = fn;
  g_pool.arg = arg;
  g_pool.n = n;
  g_pool.chunk = chunk;
  g_pool.nchunks = (n + chunk - 1) / chunk;
  atomic_store(&g_pool.next, 0);
  g_pool.active = nt - 1;
  g_pool.epoch++;
  pthread_cond_broadcast(&g_pool.wake);
  pthread_mutex_unlock(&g_pool.mu);
  run_chunks();
  pthread_mutex_lock(&g_pool.mu);
  while (g_pool.active > 0) pthread_cond_wait(&g_pool.done, &g_pool.mu);
  pthread_mutex_unlock(&g_pool.mu);
  pthread_mutex_unlock(&g_pool.busy);
}
