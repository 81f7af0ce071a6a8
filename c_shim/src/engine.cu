// The public engine/context API: checks handles and arguments, then dispatches to the provider that owns the plan.
#include <stdlib.h>
#include <string.h>

#include "provider.h"
#include "stream_internal.h"

struct denotrt_engine { denotrt_tag tag; const denotrt_engine_ops* ops; void* impl; int64_t contexts; };
struct denotrt_context { denotrt_tag tag; denotrt_engine* engine; void* impl; };

static const char kBuiltinMagic[8] = {'D', 'N', 'R', 'T', 'P', 'L', 'A', 'N'};

#define ENGINE_OK(api, e) \
  if (!denotrt_tag_ok((e), DENOTRT_HANDLE_ENGINE)) return DENOTRT_BAD_ARG(err, api, "not a live engine handle")
#define CONTEXT_OK(api, c) \
  if (!denotrt_tag_ok((c), DENOTRT_HANDLE_CONTEXT)) return DENOTRT_BAD_ARG(err, api, "not a live execution context")
#define NAME_OK(api, n) \
  if (!(n) || !*(n)) return DENOTRT_BAD_ARG(err, api, "tensor name must be a non-empty string")

extern "C" {

uint32_t denotrt_build_features(void) {
  uint32_t f = 1;  // the CUDA executor is always built into this library
#ifdef DENOTRT_WITH_TENSORRT
  f |= 2;
#endif
  return f;
}

int32_t denotrt_engine_deserialize(const void* plan, uint64_t bytes, int32_t device_kind, denotrt_engine** out,
                                   denotrt_error* err) {
  static const char* api = "denotrt_engine_deserialize";
  if (!out) return DENOTRT_BAD_ARG(err, api, "out must not be NULL");
  if (!plan || bytes == 0) return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "", "the plan is empty");
  if (device_kind != DENOTRT_DEVICE_CUDA && device_kind != DENOTRT_DEVICE_CPU)
    return DENOTRT_BAD_ARG(err, api, "device kind %d is neither CUDA (0) nor CPU (1)", device_kind);
  const denotrt_engine_ops* ops = nullptr;
  void* impl = nullptr;
  int32_t rc;
  if (bytes >= sizeof kBuiltinMagic && memcmp(plan, kBuiltinMagic, sizeof kBuiltinMagic) == 0) {
    rc = denotrt_builtin_deserialize(plan, bytes, device_kind, &ops, &impl, err);
  } else {
#ifdef DENOTRT_WITH_TENSORRT
    if (device_kind == DENOTRT_DEVICE_CPU)
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                          "this is not a denotrt plan, and TensorRT plans run only on CUDA devices");
    rc = denotrt_tensorrt_deserialize(plan, bytes, &ops, &impl, err);
#else
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "",
                        "not a denotrt plan (no DNRTPLAN magic), and this build of the shim has no TensorRT support to "
                        "try it as a TensorRT plan");
#endif
  }
  if (rc != DENOTRT_OK) return rc;
  denotrt_engine* e = (denotrt_engine*)calloc(1, sizeof *e);
  if (!e) {
    ops->destroy(impl, nullptr);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(e, DENOTRT_HANDLE_ENGINE);
  e->ops = ops;
  e->impl = impl;
  denotrt_handle_created(DENOTRT_HANDLE_ENGINE);
  *out = e;
  return DENOTRT_OK;
}

int32_t denotrt_engine_destroy(denotrt_engine* e, denotrt_error* err) {
  ENGINE_OK("denotrt_engine_destroy", e);
  if (e->contexts > 0)
    return DENOTRT_BAD_ARG(err, "denotrt_engine_destroy", "%lld execution context(s) of this engine are still alive",
                           (long long)e->contexts);
  int32_t rc = e->ops->destroy(e->impl, err);
  denotrt_tag_kill(e);
  free(e);
  denotrt_handle_destroyed(DENOTRT_HANDLE_ENGINE);
  return rc;
}

void* denotrt_engine_impl(denotrt_engine* e, const denotrt_engine_ops* ops) {
  return denotrt_tag_ok(e, DENOTRT_HANDLE_ENGINE) && e->ops == ops ? e->impl : nullptr;
}

int32_t denotrt_engine_provider(denotrt_engine* e) {
  return denotrt_tag_ok(e, DENOTRT_HANDLE_ENGINE) ? e->ops->provider : 0;
}

int32_t denotrt_engine_num_io_tensors(denotrt_engine* e, int32_t* count, denotrt_error* err) {
  ENGINE_OK("denotrt_engine_num_io_tensors", e);
  if (!count) return DENOTRT_BAD_ARG(err, "denotrt_engine_num_io_tensors", "count must not be NULL");
  return e->ops->num_io_tensors(e->impl, count, err);
}

int32_t denotrt_engine_io_tensor(denotrt_engine* e, int32_t index, denotrt_tensor_desc* desc, denotrt_error* err) {
  ENGINE_OK("denotrt_engine_io_tensor", e);
  if (!desc) return DENOTRT_BAD_ARG(err, "denotrt_engine_io_tensor", "desc must not be NULL");
  return e->ops->io_tensor(e->impl, index, desc, err);
}

int32_t denotrt_engine_num_profiles(denotrt_engine* e, int32_t* count, denotrt_error* err) {
  ENGINE_OK("denotrt_engine_num_profiles", e);
  if (!count) return DENOTRT_BAD_ARG(err, "denotrt_engine_num_profiles", "count must not be NULL");
  return e->ops->num_profiles(e->impl, count, err);
}

int32_t denotrt_engine_profile_shape(denotrt_engine* e, int32_t profile, const char* name, int32_t which, int64_t* dims,
                                     int32_t* rank, denotrt_error* err) {
  ENGINE_OK("denotrt_engine_profile_shape", e);
  NAME_OK("denotrt_engine_profile_shape", name);
  if (which < 0 || which > 2) return DENOTRT_BAD_ARG(err, "denotrt_engine_profile_shape", "which must be 0 (min), 1 (opt) or 2 (max)");
  if (!dims || !rank) return DENOTRT_BAD_ARG(err, "denotrt_engine_profile_shape", "dims and rank must not be NULL");
  return e->ops->profile_shape(e->impl, profile, name, which, dims, rank, err);
}

int32_t denotrt_engine_inspect(denotrt_engine* e, char* json, uint64_t capacity, uint64_t* needed, denotrt_error* err) {
  ENGINE_OK("denotrt_engine_inspect", e);
  if (!needed) return DENOTRT_BAD_ARG(err, "denotrt_engine_inspect", "needed must not be NULL");
  return e->ops->inspect(e->impl, json, capacity, needed, err);
}

int32_t denotrt_context_create(denotrt_engine* e, denotrt_context** out, denotrt_error* err) {
  ENGINE_OK("denotrt_context_create", e);
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_context_create", "out must not be NULL");
  void* impl = nullptr;
  int32_t rc = e->ops->context_create(e->impl, &impl, err);
  if (rc != DENOTRT_OK) return rc;
  denotrt_context* c = (denotrt_context*)calloc(1, sizeof *c);
  if (!c) {
    e->ops->context_destroy(impl, nullptr);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(c, DENOTRT_HANDLE_CONTEXT);
  c->engine = e;
  c->impl = impl;
  e->contexts++;
  denotrt_handle_created(DENOTRT_HANDLE_CONTEXT);
  *out = c;
  return DENOTRT_OK;
}

int32_t denotrt_context_destroy(denotrt_context* c, denotrt_error* err) {
  CONTEXT_OK("denotrt_context_destroy", c);
  int32_t rc = c->engine->ops->context_destroy(c->impl, err);
  c->engine->contexts--;
  denotrt_tag_kill(c);
  free(c);
  denotrt_handle_destroyed(DENOTRT_HANDLE_CONTEXT);
  return rc;
}

int32_t denotrt_context_set_optimization_profile(denotrt_context* c, int32_t profile, denotrt_error* err) {
  CONTEXT_OK("denotrt_context_set_optimization_profile", c);
  return c->engine->ops->set_optimization_profile(c->impl, profile, err);
}

int32_t denotrt_context_set_input_shape(denotrt_context* c, const char* name, int32_t rank, const int64_t* dims,
                                        denotrt_error* err) {
  CONTEXT_OK("denotrt_context_set_input_shape", c);
  NAME_OK("denotrt_context_set_input_shape", name);
  if (rank < 0 || rank > DENOTRT_MAX_RANK || (rank > 0 && !dims))
    return DENOTRT_BAD_ARG(err, "denotrt_context_set_input_shape", "rank %d is outside 0..%d", rank, DENOTRT_MAX_RANK);
  for (int i = 0; i < rank; i++)
    if (dims[i] < 0)
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, "denotrt_context_set_input_shape", "",
                          "dimension %d of input '%s' is negative (%lld)", i, name, (long long)dims[i]);
  return c->engine->ops->set_input_shape(c->impl, name, rank, dims, err);
}

int32_t denotrt_context_tensor_shape(denotrt_context* c, const char* name, int64_t* dims, int32_t* rank,
                                     denotrt_error* err) {
  CONTEXT_OK("denotrt_context_tensor_shape", c);
  NAME_OK("denotrt_context_tensor_shape", name);
  if (!dims || !rank) return DENOTRT_BAD_ARG(err, "denotrt_context_tensor_shape", "dims and rank must not be NULL");
  return c->engine->ops->tensor_shape(c->impl, name, dims, rank, err);
}

int32_t denotrt_context_set_tensor_address(denotrt_context* c, const char* name, uint64_t address, denotrt_error* err) {
  CONTEXT_OK("denotrt_context_set_tensor_address", c);
  NAME_OK("denotrt_context_set_tensor_address", name);
  return c->engine->ops->set_tensor_address(c->impl, name, address, err);
}

int32_t denotrt_context_enqueue(denotrt_context* c, denotrt_stream* s, denotrt_error* err) {
  CONTEXT_OK("denotrt_context_enqueue", c);
  if (s && !denotrt_tag_ok(s, DENOTRT_HANDLE_STREAM)) return DENOTRT_BAD_ARG(err, "denotrt_context_enqueue", "not a live stream handle");
  return c->engine->ops->enqueue(c->impl, (void*)denotrt_stream_raw(s), err);
}

int32_t denotrt_context_profile(denotrt_context* c, denotrt_stream* s, int32_t runs, float* layer_ms, int32_t capacity,
                                int32_t* count, denotrt_error* err) {
  static const char* api = "denotrt_context_profile";
  CONTEXT_OK(api, c);
  if (s && !denotrt_tag_ok(s, DENOTRT_HANDLE_STREAM)) return DENOTRT_BAD_ARG(err, api, "not a live stream handle");
  if (!count || runs < 1 || capacity < 0 || (capacity > 0 && !layer_ms))
    return DENOTRT_BAD_ARG(err, api, "runs must be >= 1 and count and (with a capacity) layer_ms non-NULL");
  if (!c->engine->ops->profile)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "the %s engine cannot time its layers here",
                        c->engine->ops->name);
  return c->engine->ops->profile(c->impl, (void*)denotrt_stream_raw(s), runs, layer_ms, capacity, count, err);
}

}  // extern "C"
