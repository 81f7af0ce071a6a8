/* Run-time libraries (cuDNN, cuBLASLt) are loaded once per process and never unloaded; a failure is remembered and
 * reported again to every later caller, so a missing library costs one dlopen, not one per layer. */
#ifndef DENOTRT_LOAD_ONCE_H
#define DENOTRT_LOAD_ONCE_H
#include <pthread.h>

#include "common.h"

typedef struct denotrt_load_once {
  pthread_mutex_t lock;
  int state; /* 0 not tried, 1 loaded, -1 failed */
  denotrt_error failure;
} denotrt_load_once;

#define DENOTRT_LOAD_ONCE_INIT {PTHREAD_MUTEX_INITIALIZER, 0, {0, 0, {0}, {0}, {0}}}

#ifdef __cplusplus
extern "C" {
#endif
/* Calls load(&failure) the first time only; returns DENOTRT_OK or the remembered failure (copied into err). */
int32_t denotrt_load_once_run(denotrt_load_once* once, int32_t (*load)(denotrt_error* err), denotrt_error* err);
#ifdef __cplusplus
}
#endif
#endif
