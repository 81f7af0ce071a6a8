// The fused epilogue after a conv or GEMM: y = act(x + bias[channel] + residual), one pass over memory instead of
// three (bias add, residual add and activation are each memory-bound on their own).
#include "act.cuh"

namespace dtops {

template <typename T>
__global__ void bias_residual_act_kernel(const T* x, const T* bias, const T* res, T* y, int64_t n, int64_t channels,
                                         int64_t inner, Act a) {
  DT_GRID_LOOP(i, n) {
    float v = to_f(x[i]);
    if (bias) v += to_f(bias[(i / inner) % channels]);
    if (res) v += to_f(res[i]);
    y[i] = from_f<T>(apply_act(v, a));
  }
}

int32_t bias_residual_act(int32_t dtype, const void* x, const void* bias, const void* residual, void* y, int64_t n,
                          int64_t channels, int64_t inner, Act act, cudaStream_t s, denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  if (bias && (channels <= 0 || inner <= 0))
    return DENOTRT_BAD_ARG(err, "dtops::bias_residual_act", "channels and inner must be positive with a bias");
  DT_DISPATCH_FLOAT(dtype, T, "dtops::bias_residual_act", err,
                    bias_residual_act_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (const T*)bias,
                                                                            (const T*)residual, (T*)y, n, channels,
                                                                            inner, act));
  DT_LAUNCH_CHECK(err, "bias_residual_act_kernel");
  return DENOTRT_OK;
}

template <typename T>
__global__ void channel_affine_kernel(const T* x, const float* scale, const float* shift, T* y, int64_t n,
                                      int64_t channels, int64_t inner) {
  DT_GRID_LOOP(i, n) {
    int64_t c = (i / inner) % channels;
    y[i] = from_f<T>(to_f(x[i]) * scale[c] + shift[c]);
  }
}

int32_t channel_affine(int32_t dtype, const void* x, const float* scale, const float* shift, void* y, int64_t n,
                       int64_t channels, int64_t inner, cudaStream_t s, denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  if (channels <= 0 || inner <= 0) return DENOTRT_BAD_ARG(err, "dtops::channel_affine", "empty channel geometry");
  DT_DISPATCH_FLOAT(dtype, T, "dtops::channel_affine", err,
                    channel_affine_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, scale, shift, (T*)y, n,
                                                                         channels, inner));
  DT_LAUNCH_CHECK(err, "channel_affine_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
