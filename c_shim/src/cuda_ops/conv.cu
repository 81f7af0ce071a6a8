// Direct convolution (NCHW, groups, strides, dilations, asymmetric pads) with the fused bias + residual +
// activation epilogue. The always-available fallback when cuDNN is absent or refuses a configuration: one thread
// per output element, fp32 accumulation. Correct for every shape; cuDNN is the fast path.
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

// One thread per output: gathers the input pixels whose stride-spread window covers it. The taps that reach the
// output (the stride and bounds tests) are found once per output, outside the channel loop, and I is int32 where
// every offset fits: the divisions of the naive loop nest cost ~100x the FMAs (PP-OCR's 2x2/2 head upsampling took
// 2 ms for 0.3 GFLOP).
template <typename T, typename I>
__global__ void conv_transpose2d_kernel(ConvDesc d, const T* x, const T* w, const T* bias, T* y, I n_out) {
  const I cg = (I)(d.c / d.group), kg = (I)(d.k / d.group), K = (I)d.k, C = (I)d.c;
  const I in0 = (I)d.in[0], in1 = (I)d.in[1], out0 = (I)d.out[0], out1 = (I)d.out[1];
  const I kh = (I)d.kernel[0], kw = (I)d.kernel[1], s0 = (I)d.stride[0], s1 = (I)d.stride[1];
  const I p0 = (I)d.pad_begin[0], p1 = (I)d.pad_begin[1], d0 = (I)d.dilation[0], d1 = (I)d.dilation[1];
  for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n_out; i += (I)gridDim.x * blockDim.x) {
    I ow = i % out1, oh = (i / out1) % out0, k = (i / (out1 * out0)) % K;
    I n = i / (out1 * out0 * K);
    I g = k / kg, kk = k % kg;
    float acc = bias ? to_f(bias[k]) : 0.f;
    const T* xg = x + ((size_t)n * C + (size_t)g * cg) * in0 * in1;
    const T* wg = w + ((size_t)g * cg * kg + kk) * kh * kw;
    for (I r = 0; r < kh; ++r) {
      I th = oh + p0 - r * d0;
      if (th < 0 || th % s0) continue;
      I ih = th / s0;
      if (ih >= in0) continue;
      for (I q = 0; q < kw; ++q) {
        I tw = ow + p1 - q * d1;
        if (tw < 0 || tw % s1) continue;
        I iw = tw / s1;
        if (iw >= in1) continue;
        const T* xp = xg + ih * in1 + iw;
        const T* wp = wg + r * kw + q;
        for (I c = 0; c < cg; ++c) acc += to_f(xp[(size_t)c * in0 * in1]) * to_f(wp[(size_t)c * kg * kh * kw]);
      }
    }
    y[i] = from_f<T>(acc);
  }
}

int32_t conv_transpose(int32_t dtype, const ConvDesc& d0, const void* x, const void* w, const void* bias, void* y,
                       cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::conv_transpose";
  ConvDesc d = conv_as_2d(d0);  // 1-D as a 2-D conv over H = 1
  if (d.spatial != 2) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "%d-D ConvTranspose", d0.spatial);
  if (d.group <= 0 || d.c % d.group || d.k % d.group) return DENOTRT_BAD_ARG(err, api, "bad group count");
  int64_t n = d.n * d.k * d.out[0] * d.out[1];
  if (n <= 0) return DENOTRT_OK;
  const bool small = n < INT32_MAX && d.n * d.c * d.in[0] * d.in[1] < INT32_MAX;
  if (small) {
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      conv_transpose2d_kernel<T, int32_t><<<grid_for(n), 256, 0, s>>>(
                          d, (const T*)x, (const T*)w, (const T*)bias, (T*)y, (int32_t)n));
  } else {
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      conv_transpose2d_kernel<T, int64_t><<<grid_for(n), 256, 0, s>>>(
                          d, (const T*)x, (const T*)w, (const T*)bias, (T*)y, n));
  }
  DT_LAUNCH_CHECK(err, "conv_transpose2d_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
