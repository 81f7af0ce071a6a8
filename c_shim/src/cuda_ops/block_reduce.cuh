// Block-wide sum / max in fp32 via warp shuffles; every thread of the block gets the result. blockDim.x must be a
// multiple of 32 and at most 1024.
#ifndef DENOTRT_CUDA_OPS_BLOCK_REDUCE_CUH
#define DENOTRT_CUDA_OPS_BLOCK_REDUCE_CUH
#include <math.h>

#include "util.cuh"

namespace dtops {

template <typename Op>
__device__ __forceinline__ float block_reduce(float v, Op op) {
  const float identity = Op::identity();
  __shared__ float warp_vals[32];
  __shared__ float result;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
  __syncthreads();  // warp_vals may still be read by a previous call
  if (lane == 0) warp_vals[warp] = v;
  __syncthreads();
  if (warp == 0) {
    float w = lane < warps ? warp_vals[lane] : identity;  // lanes past the last warp must not count twice
    for (int o = 16; o > 0; o >>= 1) w = op(w, __shfl_xor_sync(0xffffffffu, w, o));
    if (lane == 0) result = w;
  }
  __syncthreads();
  return result;
}

struct SumOp { static __device__ float identity() { return 0.f; } __device__ float operator()(float a, float b) const { return a + b; } };
struct MaxOp { static __device__ float identity() { return -INFINITY; } __device__ float operator()(float a, float b) const { return fmaxf(a, b); } };
struct MinOp { static __device__ float identity() { return INFINITY; } __device__ float operator()(float a, float b) const { return fminf(a, b); } };
struct ProdOp { static __device__ float identity() { return 1.f; } __device__ float operator()(float a, float b) const { return a * b; } };

}  // namespace dtops
#endif
