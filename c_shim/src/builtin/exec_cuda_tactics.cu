// Kernel choices of the CUDA executor: the plan's build-time tactics, the builder's timing cache while it times a
// plan, and what contexts measure at shapes nobody timed before. Keys and values are built by the code that times
// (prepare_conv in exec_cuda_layers.cu); here they are only looked up and stored.
#include <stdio.h>
#include <string.h>

#include "exec_cuda_internal.h"

namespace dtexec {

static int32_t current_gpu(char* name, size_t cap, int32_t* major, int32_t* minor, denotrt_error* err) {
  int dev = 0;
  DENOTRT_CUDA_CHECK(err, cudaGetDevice(&dev));
  cudaDeviceProp prop;
  DENOTRT_CUDA_CHECK(err, cudaGetDeviceProperties(&prop, dev));
  denotrt_copy_str(name, cap, prop.name);
  *major = prop.major;
  *minor = prop.minor;
  return DENOTRT_OK;
}

int32_t load_tactics(Engine* e, denotrt_error* err) {
  const plan* p = e->p;
  int32_t rc = tc_create(p->tactics, p->tactics_bytes, &e->tactics, err);
  if (rc != DENOTRT_OK) {
    // The plan's checksum passed, so these bytes are what its builder wrote: a builder bug, reported as a bad plan.
    char why[sizeof err->message];
    denotrt_copy_str(why, sizeof why, err ? err->message : "");
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, "denotrt_engine_deserialize", "", "invalid plan: its tactics section: %s", why);
  }
  char gpu[64];
  int32_t major, minor;
  if ((rc = current_gpu(gpu, sizeof gpu, &major, &minor, err)) != DENOTRT_OK) return rc;
  if (tc_count(e->tactics) > 0 && tc_bind_device(e->tactics, gpu, major, minor)) {
    char was[64], msg[256];
    int32_t wmaj, wmin;
    tc_device(e->tactics, was, sizeof was, &wmaj, &wmin);
    snprintf(msg, sizeof msg, "the plan's kernels were timed on '%s' (sm_%d%d), this GPU is '%s' (sm_%d%d): they are "
             "timed again here", was, wmaj, wmin, gpu, major, minor);
    denotrt_log_write(DENOTRT_SEVERITY_WARNING, msg);
    tc_clear(e->tactics);
  }
  tc_bind_device(e->tactics, gpu, major, minor);
  return DENOTRT_OK;
}

int32_t attach_timing(void* ee, denotrt_timing_cache* source, denotrt_timing_cache* chosen, int32_t ignore_mismatch,
                      denotrt_error* err) {
  Engine* e = (Engine*)ee;
  char gpu[64];
  int32_t major, minor;
  int32_t rc = current_gpu(gpu, sizeof gpu, &major, &minor, err);
  if (rc != DENOTRT_OK) return rc;
  if (source && tc_bind_device(source, gpu, major, minor) && !ignore_mismatch) {
    char was[64];
    int32_t wmaj, wmin;
    tc_device(source, was, sizeof was, &wmaj, &wmin);
    return DENOTRT_BAD_ARG(err, "denotrt_builtin_time_plan", "the timing cache was measured on '%s' (sm_%d%d), this "
                           "GPU is '%s' (sm_%d%d): use a new cache, or pass ignoreMismatch", was, wmaj, wmin, gpu,
                           major, minor);
  }
  if (chosen) tc_bind_device(chosen, gpu, major, minor);
  e->source = source;
  e->chosen = chosen;
  return DENOTRT_OK;
}

bool find_tactic(Engine* e, const tc_entry* key, tc_entry* out) {
  if (e->tactics && tc_lookup(e->tactics, key->key, key->key_len, out)) return true;
  return e->source && tc_lookup(e->source, key->key, key->key_len, out);
}

bool find_similar_tactic(Engine* e, const tc_entry* key, const uint8_t* ignore, tc_entry* out) {
  if (e->chosen) return false;  // a build times each profile's shapes exactly
  return e->tactics && tc_lookup_similar(e->tactics, key->key, key->key_len, ignore, out);
}

int32_t record_tactic(Engine* e, const tc_entry* entry, denotrt_error* err) {
  int32_t rc = e->tactics ? tc_store(e->tactics, entry, err) : DENOTRT_OK;
  if (rc == DENOTRT_OK && e->source) rc = tc_store(e->source, entry, err);
  if (rc == DENOTRT_OK && e->chosen) rc = tc_store(e->chosen, entry, err);
  return rc;
}

int32_t record_measurement(Engine* e, const tc_entry* entry, denotrt_error* err) {
  int32_t rc = e->tactics ? tc_store(e->tactics, entry, err) : DENOTRT_OK;
  if (rc == DENOTRT_OK && e->source) rc = tc_store(e->source, entry, err);
  return rc;
}

}  // namespace dtexec
