// Direct convolution (NCHW, groups, strides, dilations, asymmetric pads) with the fused bias + residual +
// activation epilogue. The always-available fallback when cuDNN is absent or refuses a configuration: one thread
// per output element, fp32 accumulation. Correct for every shape; cuDNN is the fast path. (ConvTranspose:
// conv_transpose.cu.)
#include "act.cuh"

namespace dtops {

template <typename T>
__global__ void conv2d_kernel(ConvDesc d, const T* x, const T* w, const T* bias, const T* res, Act act, T* y,
                              int64_t n_out) {
  int64_t cg = d.c / d.group, kg = d.k / d.group;
  int64_t oh_n = d.out[0], ow_n = d.out[1], ih_n = d.in[0], iw_n = d.in[1];
  DT_GRID_LOOP(i, n_out) {
    int64_t ow = i % ow_n, oh = (i / ow_n) % oh_n, k = (i / (ow_n * oh_n)) % d.k, n = i / (ow_n * oh_n * d.k);
    int64_t g = k / kg;
    float acc = 0.f;
    for (int64_t c = 0; c < cg; ++c) {
      const T* xp = x + ((n * d.c + g * cg + c) * ih_n) * iw_n;
      const T* wp = w + ((k * cg + c) * d.kernel[0]) * d.kernel[1];
      for (int64_t r = 0; r < d.kernel[0]; ++r) {
        int64_t ih = oh * d.stride[0] - d.pad_begin[0] + r * d.dilation[0];
        if (ih < 0 || ih >= ih_n) continue;
        for (int64_t q = 0; q < d.kernel[1]; ++q) {
          int64_t iw = ow * d.stride[1] - d.pad_begin[1] + q * d.dilation[1];
          if (iw < 0 || iw >= iw_n) continue;
          acc += to_f(xp[ih * iw_n + iw]) * to_f(wp[r * d.kernel[1] + q]);
        }
      }
    }
    if (bias) acc += to_f(bias[k]);
    if (res) acc += to_f(res[i]);
    y[i] = from_f<T>(apply_act(acc, act));
  }
}

int32_t conv(int32_t dtype, const ConvDesc& d0, const void* x, const void* w, const void* bias, const void* residual,
             Act act, void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::conv";
  ConvDesc d = conv_as_2d(d0);  // 1-D as a 2-D conv over H = 1
  if (d.spatial != 2) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "%d-D convolution", d0.spatial);
  if (d.group <= 0 || d.c % d.group || d.k % d.group)
    return DENOTRT_BAD_ARG(err, api, "group %lld does not divide C %lld and K %lld", (long long)d.group,
                           (long long)d.c, (long long)d.k);
  int64_t n = d.n * d.k * d.out[0] * d.out[1];
  if (n <= 0) return DENOTRT_OK;
  DT_DISPATCH_FLOAT(dtype, T, api, err,
                    conv2d_kernel<T><<<grid_for(n), 256, 0, s>>>(d, (const T*)x, (const T*)w, (const T*)bias,
                                                                 (const T*)residual, act, (T*)y, n));
  DT_LAUNCH_CHECK(err, "conv2d_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
