/* shapes.h: run-time shape inference for built-in plans, shared by the CPU and CUDA executors.
 *
 * One shape_state per execution context. The caller sets the profile and every input's concrete shape
 * (validated against the profile's [min, max]); shapes_infer() then walks the layers in order and computes
 * every tensor's concrete shape. Layers whose outputs are "host" tensors (PLAN_TENSOR_HOST: small int shape
 * tensors) are executed right here on the CPU by the CPU kernels, because their values feed the shapes of later
 * layers (Reshape, Resize, Slice, Expand, ConstantOfShape, Range, ...).
 *
 * Value convention: host_values[t] holds tensor t in the CPU executor's element type (cpu_dtype(): float16,
 * bfloat16 and float64 are held as float32; integer and bool types as declared). */
#ifndef DENOTRT_BUILTIN_SHAPES_H
#define DENOTRT_BUILTIN_SHAPES_H

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct shape_state {
  const plan* p;
  int32_t profile;
  int32_t* ranks;                    /* [num_tensors] */
  int64_t (*dims)[DENOTRT_MAX_RANK]; /* [num_tensors] */
  int64_t* counts;                   /* [num_tensors] element counts */
  uint8_t* input_set;                /* [num_inputs] 1 once set_input_shape was called for that input */
  void** host_values;                /* [num_tensors] host tensors (computed) and constants (CPU element type) */
  uint64_t* host_caps;               /* [num_tensors] bytes allocated in host_values for host tensors */
  uint8_t* owned;                    /* [num_tensors] 1 when host_values[t] is malloc'd by this state */
  int32_t valid;                     /* 1 after a successful shapes_infer and no input change since */
  uint64_t generation;               /* bumped on every successful shapes_infer */
  void* views;                       /* private: the cpu_tensor views used to run host layers */
  int32_t reads_input_values;        /* 1 when inference read the values of a graph input (a shape input) */
} shape_state;

/* Marks as host (PLAN_TENSOR_HOST) the outputs of layers that compute small shape values: Shape, and shape
 * arithmetic whose inputs are all host or constant (see shapes.c). Called once on a fresh plan, before any
 * executor sees it, so both executors agree on placement even when the builder did not mark it. */
void shapes_mark_host_tensors(plan* p);
/* 1 when every output of the layer is a host tensor (the layer runs inside shapes_infer). */
int shapes_layer_is_host(const plan* p, const plan_layer* l);

int32_t shapes_create(const plan* p, shape_state** out, denotrt_error* err);
void shapes_destroy(shape_state* s);
int32_t shapes_set_profile(shape_state* s, int32_t profile, denotrt_error* err);
/* DENOTRT_SHAPE_ERROR naming the input, dimension and allowed range when outside the active profile. */
int32_t shapes_set_input(shape_state* s, const char* name, int32_t rank, const int64_t* dims, denotrt_error* err);
/* Host address of a graph input's values (CPU engines: every input; CUDA: inputs flagged host). Inference reads
 * them when an input is used as a shape (e.g. ConstantOfShape of an input); such plans re-infer on every enqueue
 * because the values may change between runs (shapes_invalidate_values). */
void shapes_set_input_values(shape_state* s, int32_t tensor, const void* host);
void shapes_invalidate_values(shape_state* s);
/* Infers every tensor's shape (no-op when already valid). Fails when an input shape is unset. */
int32_t shapes_infer(shape_state* s, denotrt_error* err);

/* The CPU element type for a plan dtype (see the value convention above). */
int32_t cpu_dtype(int32_t dtype);
/* Converts n elements of constant data of plan dtype `dtype` into a malloc'd buffer of cpu_dtype(dtype),
 * or returns NULL in *out (and OK) when no conversion is needed. */
int32_t cpu_convert_constant(const void* src, int32_t dtype, int64_t n, void** out, denotrt_error* err);

#ifdef __cplusplus
}
#endif
#endif
