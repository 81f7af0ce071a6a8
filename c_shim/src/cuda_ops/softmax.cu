// Softmax / LogSoftmax over one axis of a tensor seen as [outer, axis_len, inner]. inner == 1 (the common case:
// the last axis) runs one block per row with block reductions; otherwise one thread per (outer, inner) column.
#include <float.h>
#include <math.h>

#include "block_reduce.cuh"

namespace dtops {

template <typename T>
__global__ void softmax_rows_kernel(const T* x, T* y, int64_t len, int32_t log) {
  const T* xr = x + (int64_t)blockIdx.x * len;
  T* yr = y + (int64_t)blockIdx.x * len;
  float m = -FLT_MAX;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) m = fmaxf(m, to_f(xr[j]));
  m = block_reduce(m, MaxOp());
  float sum = 0.f;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) sum += expf(to_f(xr[j]) - m);
  sum = block_reduce(sum, SumOp());
  float lse = logf(sum);
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
    float v = to_f(xr[j]) - m;
    yr[j] = from_f<T>(log ? v - lse : expf(v) / sum);
  }
}

template <typename T>
__global__ void softmax_cols_kernel(const T* x, T* y, int64_t outer, int64_t len, int64_t inner, int32_t log) {
  DT_GRID_LOOP(i, outer * inner) {
    int64_t o = i / inner, in = i % inner;
    const T* xc = x + o * len * inner + in;
    T* yc = y + o * len * inner + in;
    float m = -FLT_MAX, sum = 0.f;
    for (int64_t j = 0; j < len; ++j) m = fmaxf(m, to_f(xc[j * inner]));
    for (int64_t j = 0; j < len; ++j) sum += expf(to_f(xc[j * inner]) - m);
    float lse = logf(sum);
    for (int64_t j = 0; j < len; ++j) {
      float v = to_f(xc[j * inner]) - m;
      yc[j * inner] = from_f<T>(log ? v - lse : expf(v) / sum);
    }
  }
}

int32_t softmax(int32_t dtype, const void* x, void* y, int64_t outer, int64_t axis_len, int64_t inner, int32_t log,
                cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::softmax";
  if (outer * axis_len * inner <= 0) return DENOTRT_OK;
  if (inner == 1) {
    if (outer > 0x7fffffff) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "too many rows");
    int block = axis_len >= 1024 ? 1024 : (int)((axis_len + 31) / 32 * 32);
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      softmax_rows_kernel<T><<<(unsigned)outer, block, 0, s>>>((const T*)x, (T*)y, axis_len, log));
    DT_LAUNCH_CHECK(err, "softmax_rows_kernel");
  } else {
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      softmax_cols_kernel<T><<<grid_for(outer * inner), 256, 0, s>>>((const T*)x, (T*)y, outer,
                                                                                     axis_len, inner, log));
    DT_LAUNCH_CHECK(err, "softmax_cols_kernel");
  }
  return DENOTRT_OK;
}

}  // namespace dtops
