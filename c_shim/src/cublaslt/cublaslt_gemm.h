// One row-major GEMM configuration for cuBLASLt: Y[b] = op(A[b]) op(B[b]) (+ bias[n]) with strided batches and the
// fastest of the heuristic's first algorithms, timed once per shape (the executor caches these per layer and shape).
#ifndef DENOTRT_CUBLASLT_GEMM_H
#define DENOTRT_CUBLASLT_GEMM_H
#include <cuda_runtime.h>

#include "../common.h"

struct denotrt_lt_gemm;

struct denotrt_lt_gemm_desc {
  int32_t dtype; /* float32 (TF32 only with allow_tf32) or float16 (fp32 accumulate) */
  int64_t m, n, k, batch;
  int32_t trans_a, trans_b;
  int64_t stride_a, stride_b; /* batch strides in elements; 0 broadcasts one matrix over the batch */
  float alpha;
  int32_t bias; /* 1: add bias[n] (the epilogue) */
  int32_t allow_tf32; /* float32 only: 1 lets tensor cores round inputs to TF32 (CUBLAS_COMPUTE_32F_FAST_TF32) */
};

int32_t denotrt_lt_handle_create(void** handle, denotrt_error* err);
void denotrt_lt_handle_destroy(void* handle);
// DENOTRT_UNSUPPORTED (err untouched) when cuBLASLt has no algorithm for it: the caller uses its own kernel.
int32_t denotrt_lt_gemm_create(void* handle, const denotrt_lt_gemm_desc* d, size_t workspace_limit,
                               denotrt_lt_gemm** out, denotrt_error* err);
size_t denotrt_lt_gemm_workspace(const denotrt_lt_gemm* g);
int32_t denotrt_lt_gemm_run(denotrt_lt_gemm* g, void* handle, cudaStream_t s, const void* a, const void* b,
                            const void* bias, void* y, void* workspace, denotrt_error* err);
void denotrt_lt_gemm_destroy(denotrt_lt_gemm* g);

#endif
