/* cpu_ops.h: what every CPU kernel sees. A kernel gets the layer and the context's tensor views (one per plan
 * tensor, shapes already inferred, outputs already allocated) and writes its outputs.
 *
 * Element types on the CPU (cpu_dtype() in shapes.h): every floating type is computed and stored as float32;
 * integer and bool tensors keep their declared type. */
#ifndef DENOTRT_CPU_OPS_H
#define DENOTRT_CPU_OPS_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "../plan.h"

typedef struct cpu_tensor {
  void* data;
  int32_t dtype; /* cpu element type */
  int32_t rank;
  int64_t dims[DENOTRT_MAX_RANK];
  int64_t count;
} cpu_tensor;

typedef struct cpu_call {
  const plan* p;
  const plan_layer* layer;
  cpu_tensor* tensors; /* indexed like plan.tensors */
} cpu_call;

typedef int32_t (*cpu_kernel)(const cpu_call* c, denotrt_error* err);

/* NULL when the op is unknown to the CPU executor. */
cpu_kernel cpu_kernel_lookup(const char* op);

/* Input / output i of the layer, NULL when omitted. */
static inline const cpu_tensor* cpu_in(const cpu_call* c, int i) {
  return (i < c->layer->num_inputs && c->layer->inputs[i] >= 0) ? &c->tensors[c->layer->inputs[i]] : NULL;
}
static inline cpu_tensor* cpu_out(const cpu_call* c, int i) {
  return (i < c->layer->num_outputs && c->layer->outputs[i] >= 0) ? &c->tensors[c->layer->outputs[i]] : NULL;
}

/* Kernel failure naming the layer. */
int32_t cpu_fail(const cpu_call* c, denotrt_error* err, int32_t status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

/* Reads element i of any cpu tensor as double / int64 (the slow generic paths for integer and mixed types). */
double cpu_get_f64(const cpu_tensor* t, int64_t i);
int64_t cpu_get_i64(const cpu_tensor* t, int64_t i);
void cpu_set_f64(cpu_tensor* t, int64_t i, double v);

/* float16 / bfloat16 / float64 / float32 <-> float32 (convert.c). */
void cpu_to_f32(const void* src, int32_t dtype, int64_t n, float* dst);
void cpu_from_f32(const float* src, int32_t dtype, int64_t n, void* dst);

/* Row-major strides of dims. */
void cpu_strides(int32_t rank, const int64_t* dims, int64_t* strides);

/* ---------------------------------------------------------------- thread pool (pool.c) */
/* Calls fn(arg, begin, end) over [0, n) split into chunks of at least `grain` items on the shared pool of
 * min(nproc, 16) threads. Runs inline when n is small or when another call is already using the pool. */
typedef void (*cpu_range_fn)(void* arg, int64_t begin, int64_t end);
void cpu_parallel_for(int64_t n, int64_t grain, cpu_range_fn fn, void* arg);
int cpu_num_threads(void);

/* ---------------------------------------------------------------- SGEMM (gemm.c) */
/* C[m x n] = alpha * op(A) op(B) + beta * C, row-major with leading dimensions; transA/transB as in BLAS.
 * Parallel over the pool unless `serial`. */
void cpu_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int serial);

/* ---------------------------------------------------------------- fused activations (unary.c) */
typedef enum cpu_act { ACT_NONE, ACT_RELU, ACT_LEAKY, ACT_SIGMOID, ACT_HSIGMOID, ACT_HSWISH, ACT_SILU, ACT_CLIP, ACT_TANH } cpu_act;
typedef struct cpu_activation { cpu_act kind; float alpha, beta; } cpu_activation;
/* Parses the fused `activation` attribute; returns 0 for an unknown name. */
int cpu_activation_parse(const plan_layer* l, cpu_activation* a);
void cpu_activation_apply(const cpu_activation* a, float* x, int64_t n);

/* ---------------------------------------------------------------- conv / pool geometry (shared with shapes.c) */
typedef struct cpu_window {
  int32_t nsp;                 /* spatial dims */
  int64_t in[6], out[6], k[6], stride[6], dil[6], pad_begin[6], pad_end[6];
} cpu_window;
/* Fills the geometry from attrs (kernel_shape, strides, dilations, pads, auto_pad, ceil_mode); k may be given by
 * the weight shape (kernel != NULL). Returns 0 and sets msg on an invalid window. */
int cpu_window_setup(const plan_layer* l, int32_t nsp, const int64_t* in_spatial, const int64_t* kernel, int ceil_ok,
                     cpu_window* w, const char** msg);

#endif
