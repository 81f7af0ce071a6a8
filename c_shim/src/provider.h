/* The one internal interface behind denotrt_engine / denotrt_context: the built-in engine and TensorRT each
 * implement it, and engine.cu dispatches the public API to whichever deserialized the plan. */
#ifndef DENOTRT_PROVIDER_H
#define DENOTRT_PROVIDER_H
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct denotrt_engine_ops {
  const char* name; /* "builtin" or "tensorrt" */
  int32_t provider; /* denotrt_provider */
  int32_t (*destroy)(void* engine, denotrt_error* err);
  int32_t (*num_io_tensors)(void* engine, int32_t* count, denotrt_error* err);
  int32_t (*io_tensor)(void* engine, int32_t index, denotrt_tensor_desc* desc, denotrt_error* err);
  int32_t (*num_profiles)(void* engine, int32_t* count, denotrt_error* err);
  int32_t (*profile_shape)(void* engine, int32_t profile, const char* name, int32_t which, int64_t* dims,
                           int32_t* rank, denotrt_error* err);
  int32_t (*inspect)(void* engine, char* json, uint64_t capacity, uint64_t* needed, denotrt_error* err);
  int32_t (*context_create)(void* engine, void** context, denotrt_error* err);
  int32_t (*context_destroy)(void* context, denotrt_error* err);
  int32_t (*set_optimization_profile)(void* context, int32_t profile, denotrt_error* err);
  int32_t (*set_input_shape)(void* context, const char* name, int32_t rank, const int64_t* dims, denotrt_error* err);
  int32_t (*tensor_shape)(void* context, const char* name, int64_t* dims, int32_t* rank, denotrt_error* err);
  int32_t (*set_tensor_address)(void* context, const char* name, uint64_t address, denotrt_error* err);
  /* cuda_stream is a cudaStream_t (0: the legacy default stream); CPU engines ignore it. */
  int32_t (*enqueue)(void* context, void* cuda_stream, denotrt_error* err);
  /* denotrt_context_profile; NULL: the provider cannot time layers. */
  int32_t (*profile)(void* context, void* cuda_stream, int32_t runs, float* layer_ms, int32_t capacity, int32_t* count,
                     denotrt_error* err);
} denotrt_engine_ops;

/* The provider's own engine behind a public handle, or NULL when the handle is not a live engine of `ops`'s provider.
 * For provider-specific entry points (TensorRT's refit, contexts on caller memory). */
void* denotrt_engine_impl(denotrt_engine* engine, const denotrt_engine_ops* ops);

/* Built-in plans ("DNRTPLAN" magic). device_kind: denotrt_device_kind. */
int32_t denotrt_builtin_deserialize(const void* plan, uint64_t bytes, int32_t device_kind,
                                    const denotrt_engine_ops** ops, void** engine, denotrt_error* err);

#ifdef DENOTRT_WITH_TENSORRT
/* TensorRT plans; compiled only where TensorRT's headers were found. */
int32_t denotrt_tensorrt_deserialize(const void* plan, uint64_t bytes, const denotrt_engine_ops** ops, void** engine,
                                     denotrt_error* err);
#endif

#ifdef __cplusplus
}
#endif
#endif
