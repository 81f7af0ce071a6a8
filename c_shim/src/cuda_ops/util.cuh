// Shared device helpers for the own kernels: dtype traits (fp16/bf16 load and store through float, so every
// kernel accumulates in fp32), index unravelling for rank <= 8 views, and the grid-stride launch shape.
#ifndef DENOTRT_CUDA_OPS_UTIL_CUH
#define DENOTRT_CUDA_OPS_UTIL_CUH
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>

#include "ops.h"

namespace dtops {

// Loads and stores through float (or the integer itself) so half types never do arithmetic in half.
template <typename T> __device__ __forceinline__ float to_f(T v) { return (float)v; }
template <> __device__ __forceinline__ float to_f<__half>(__half v) { return __half2float(v); }
template <> __device__ __forceinline__ float to_f<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }
template <typename T> __device__ __forceinline__ T from_f(float v) { return (T)v; }
template <> __device__ __forceinline__ __half from_f<__half>(float v) { return __float2half_rn(v); }
template <> __device__ __forceinline__ __nv_bfloat16 from_f<__nv_bfloat16>(float v) { return __float2bfloat16_rn(v); }

// Offset of the `linear`-th element (row-major over dims) in a view with the given element strides.
__device__ __forceinline__ int64_t view_offset(int64_t linear, int32_t rank, const int64_t* dims,
                                               const int64_t* strides) {
  int64_t off = 0;
  for (int32_t i = rank - 1; i >= 0; --i) {
    int64_t d = dims[i];
    int64_t c = linear % d;
    linear /= d;
    off += c * strides[i];
  }
  return off;
}

// Grid-stride loops everywhere: a capped grid keeps huge tensors launchable and costs nothing for small ones.
inline unsigned grid_for(int64_t n, int block = 256) {
  int64_t g = (n + block - 1) / block;
  if (g > (1 << 20)) g = 1 << 20;
  if (g < 1) g = 1;
  return (unsigned)g;
}

#define DT_GRID_LOOP(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// Every launch is followed by this: a bad configuration or an earlier sticky error becomes a typed error naming
// the kernel instead of surfacing later at some unrelated call.
#define DT_LAUNCH_CHECK(err, kernel_name)                                    \
  do {                                                                       \
    cudaError_t dt_e_ = cudaGetLastError();                                  \
    if (dt_e_ != cudaSuccess) return denotrt_cuda_fail((err), (int)dt_e_, kernel_name); \
  } while (0)

// Dtype dispatch for kernels that work on any numeric type through float (or int64 for integers).
#define DT_DISPATCH_FLOAT(dtype, T, api, err, ...)                                                    \
  switch (dtype) {                                                                                     \
    case DENOTRT_FLOAT32: { typedef float T; __VA_ARGS__; break; }                                     \
    case DENOTRT_FLOAT16: { typedef __half T; __VA_ARGS__; break; }                                    \
    case DENOTRT_BFLOAT16: { typedef __nv_bfloat16 T; __VA_ARGS__; break; }                            \
    default: return denotrt_fail((err), DENOTRT_UNSUPPORTED, 0, (api), "", "dtype %d is not supported here", (int)(dtype)); \
  }

}  // namespace dtops
#endif
