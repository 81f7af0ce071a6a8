// LayerNormalization and InstanceNormalization: one block per normalized row; mean and variance in fp32 with the
// two-pass formula (mean first, then squared deviations) so large offsets do not cancel.
#include <math.h>

#include "block_reduce.cuh"

namespace dtops {

// Row r covers x[r * len .. r * len + len); channel-indexed affine (instance norm) when per_row_affine.
template <typename T>
__global__ void norm_rows_kernel(const T* x, const T* scale, const T* bias, T* y, int64_t len, float eps,
                                 int64_t channels, int32_t per_row_affine) {
  const T* xr = x + (int64_t)blockIdx.x * len;
  T* yr = y + (int64_t)blockIdx.x * len;
  float sum = 0.f;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) sum += to_f(xr[j]);
  float mean = block_reduce(sum, SumOp()) / (float)len;
  float sq = 0.f;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
    float d = to_f(xr[j]) - mean;
    sq += d * d;
  }
  float inv = rsqrtf(block_reduce(sq, SumOp()) / (float)len + eps);
  int64_t c = per_row_affine ? (int64_t)blockIdx.x % channels : 0;
  for (int64_t j = threadIdx.x; j < len; j += blockDim.x) {
    float g = scale ? to_f(scale[per_row_affine ? c : j]) : 1.f;
    float b = bias ? to_f(bias[per_row_affine ? c : j]) : 0.f;
    yr[j] = from_f<T>((to_f(xr[j]) - mean) * inv * g + b);
  }
}

static int32_t launch_norm(const char* api, int32_t dtype, const void* x, const void* scale, const void* bias,
                           void* y, int64_t rows, int64_t len, float eps, int64_t channels, int32_t per_row,
                           cudaStream_t s, denotrt_error* err) {
  if (rows <= 0 || len <= 0) return DENOTRT_OK;
  if (rows > 0x7fffffff) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "too many rows");
  int block = len >= 512 ? 512 : (int)((len + 31) / 32 * 32);
  DT_DISPATCH_FLOAT(dtype, T, api, err,
                    norm_rows_kernel<T><<<(unsigned)rows, block, 0, s>>>((const T*)x, (const T*)scale,
                                                                         (const T*)bias, (T*)y, len, eps, channels,
                                                                         per_row));
  DT_LAUNCH_CHECK(err, "norm_rows_kernel");
  return DENOTRT_OK;
}

int32_t layer_norm(int32_t dtype, const void* x, const void* scale, const void* bias, void* y, int64_t rows,
                   int64_t norm_len, float eps, cudaStream_t s, denotrt_error* err) {
  return launch_norm("dtops::layer_norm", dtype, x, scale, bias, y, rows, norm_len, eps, 1, 0, s, err);
}

int32_t instance_norm(int32_t dtype, const void* x, const void* scale, const void* bias, void* y, int64_t n,
                      int64_t c, int64_t inner, float eps, cudaStream_t s, denotrt_error* err) {
  return launch_norm("dtops::instance_norm", dtype, x, scale, bias, y, n * c, inner, eps, c, 1, s, err);
}

template <typename T>
__global__ void batch_norm_kernel(const T* x, const T* g, const T* b, const T* m, const T* v, float eps, T* y,
                                  int64_t n, int64_t channels, int64_t inner) {
  DT_GRID_LOOP(i, n) {
    int64_t c = (i / inner) % channels;
    float sc = to_f(g[c]) * rsqrtf(to_f(v[c]) + eps);
    y[i] = from_f<T>((to_f(x[i]) - to_f(m[c])) * sc + to_f(b[c]));
  }
}

int32_t batch_norm(int32_t dtype, const void* x, const void* scale, const void* bias, const void* mean,
                   const void* var, float eps, void* y, int64_t n, int64_t channels, int64_t inner, cudaStream_t s,
                   denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  if (channels <= 0 || inner <= 0) return DENOTRT_BAD_ARG(err, "dtops::batch_norm", "empty channel geometry");
  DT_DISPATCH_FLOAT(dtype, T, "dtops::batch_norm", err,
                    batch_norm_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (const T*)scale, (const T*)bias,
                                                                     (const T*)mean, (const T*)var, eps, (T*)y, n,
                                                                     channels, inner));
  DT_LAUNCH_CHECK(err, "batch_norm_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
