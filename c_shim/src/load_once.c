#include "load_once.h"

int32_t denotrt_load_once_run(denotrt_load_once* once, int32_t (*load)(denotrt_error* err), denotrt_error* err) {
  pthread_mutex_lock(&once->lock);
  if (once->state == 0) once->state = load(&once->failure) == DENOTRT_OK ? 1 : -1;
  const int state = once->state;
  pthread_mutex_unlock(&once->lock);
  if (state > 0) return DENOTRT_OK;
  if (err) *err = once->failure;
  return once->failure.status;
}
