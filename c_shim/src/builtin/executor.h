/* executor.h: the table through which builtin.c drives an executor for a parsed plan.
 *
 * builtin.c owns the plan, the I/O descriptors, the profiles and the run-time shapes (shapes.h); an executor
 * owns what it needs to run layers: converted or uploaded weights, its arena, its chosen kernels.
 *
 * Two executors implement it: the CPU reference executor (exec_cpu.c, always built) and the CUDA executor
 * (written separately; it defines denotrt_exec_cuda_ops()). The CUDA symbol is declared weak here, so a library
 * built without the CUDA executor links and reports DENOTRT_UNSUPPORTED "CUDA executor not built". */
#ifndef DENOTRT_BUILTIN_EXECUTOR_H
#define DENOTRT_BUILTIN_EXECUTOR_H

#include "plan.h"
#include "shapes.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct builtin_executor_ops {
  const char* name; /* "cpu" or "cuda" */
  /* Checks that every layer is supported (DENOTRT_UNSUPPORTED naming the op and node otherwise), prepares weights,
   * may write plan_layer.kernel (the plan is not yet shared with any context). */
  int32_t (*engine_create)(plan* p, void** exec_engine, denotrt_error* err);
  void (*engine_destroy)(void* exec_engine);
  /* One per execution context: its own arena / scratch. */
  int32_t (*context_create)(void* exec_engine, void** exec_context, denotrt_error* err);
  void (*context_destroy)(void* exec_context);
  /* Called after shapes_infer succeeded and the shapes changed (shapes->generation differs from last time);
   * the state stays alive and unchanged until the next call. */
  int32_t (*set_shapes)(void* exec_context, const shape_state* shapes, denotrt_error* err);
  /* tensor: index into plan.tensors of an input or output; address: host (CPU) or device (CUDA) pointer. */
  int32_t (*set_address)(void* exec_context, int32_t tensor, uint64_t address, denotrt_error* err);
  /* Runs (CPU, on the calling thread) or queues (CUDA, on cuda_stream: a cudaStream_t, 0 = legacy default). */
  int32_t (*enqueue)(void* exec_context, void* cuda_stream, denotrt_error* err);
  /* What ran layer `layer` the last time a context chose kernels for its shapes (inspect()), or NULL when the
   * executor chooses nothing at run time (the plan's kernel field then stands). May be NULL. */
  const char* (*layer_kernel)(void* exec_engine, int32_t layer);
  /* Median milliseconds per layer over `runs` layer-by-layer runs (no graphs), layer_ms[num_layers]; host layers
   * get 0. Shapes are applied. May be NULL (the executor cannot time layers). */
  int32_t (*profile)(void* exec_context, void* cuda_stream, int32_t runs, float* layer_ms, denotrt_error* err);
  /* Build-time kernel timing (denotrt_builtin_time_plan): choices come from `source` when it has them, and every
   * choice made is added to `source` and to `chosen` (either may be NULL). A source measured on another GPU is
   * refused unless ignore_mismatch. May be NULL (the executor chooses nothing: the CPU). */
  int32_t (*attach_timing)(void* exec_engine, denotrt_timing_cache* source, denotrt_timing_cache* chosen,
                           int32_t ignore_mismatch, denotrt_error* err);
} builtin_executor_ops;

const builtin_executor_ops* denotrt_exec_cpu_ops(void);

#if defined(__GNUC__)
__attribute__((weak))
#endif
const builtin_executor_ops* denotrt_exec_cuda_ops(void);

#ifdef __cplusplus
}
#endif
#endif
