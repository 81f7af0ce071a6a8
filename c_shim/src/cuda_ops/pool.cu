// MaxPool / AveragePool over 1..3 spatial dims (NC first). One thread per output element; padding never
// contributes to max, and to the average only with count_include_pad (then counted up to the padded edge, as
// onnxruntime does: the window is clipped to input + pads, not to the input).
#include <float.h>

#include "util.cuh"

namespace dtops {

struct PoolArgs {
  PoolDesc p;
  int64_t in[3], out[3];
};

template <typename T>
__global__ void pool_kernel(const T* x, T* y, PoolArgs a, int64_t n) {
  const PoolDesc& p = a.p;
  DT_GRID_LOOP(i, n) {
    int64_t rem = i, o[3] = {0, 0, 0};
    for (int32_t d = p.spatial - 1; d >= 0; --d) { o[d] = rem % a.out[d]; rem /= a.out[d]; }
    int64_t plane = rem;  // n * C + c
    int64_t in_plane = 1;
    for (int32_t d = 0; d < p.spatial; ++d) in_plane *= a.in[d];
    const T* xp = x + plane * in_plane;
    float acc = p.kind == 0 ? -FLT_MAX : 0.f;
    int64_t count = 0, padded_count = 1;
    int64_t k0 = p.kernel[0], k1 = p.spatial > 1 ? p.kernel[1] : 1, k2 = p.spatial > 2 ? p.kernel[2] : 1;
    if (p.kind == 1 && p.count_include_pad) {
      // Window clipped to the padded extent [-pad_begin, in + pad_end), as onnxruntime counts it.
      for (int32_t d = 0; d < p.spatial; ++d) {
        int64_t start = o[d] * p.stride[d] - p.pad_begin[d];
        int64_t end = start + (p.kernel[d] - 1) * p.dilation[d] + 1;
        if (end > a.in[d] + p.pad_end[d]) end = a.in[d] + p.pad_end[d];
        padded_count *= (end - start + p.dilation[d] - 1) / p.dilation[d];
      }
    }
    for (int64_t a0 = 0; a0 < k0; ++a0) {
      int64_t c0 = o[0] * p.stride[0] - p.pad_begin[0] + a0 * p.dilation[0];
      if (c0 < 0 || c0 >= a.in[0]) continue;
      for (int64_t a1 = 0; a1 < k1; ++a1) {
        int64_t c1 = p.spatial > 1 ? o[1] * p.stride[1] - p.pad_begin[1] + a1 * p.dilation[1] : 0;
        if (p.spatial > 1 && (c1 < 0 || c1 >= a.in[1])) continue;
        for (int64_t a2 = 0; a2 < k2; ++a2) {
          int64_t c2 = p.spatial > 2 ? o[2] * p.stride[2] - p.pad_begin[2] + a2 * p.dilation[2] : 0;
          if (p.spatial > 2 && (c2 < 0 || c2 >= a.in[2])) continue;
          int64_t off = c0;
          if (p.spatial > 1) off = off * a.in[1] + c1;
          if (p.spatial > 2) off = off * a.in[2] + c2;
          float v = to_f(xp[off]);
          if (p.kind == 0) acc = fmaxf(acc, v);
          else acc += v;
          ++count;
        }
      }
    }
    if (p.kind == 1) acc = acc / (float)(p.count_include_pad ? padded_count : (count > 0 ? count : 1));
    y[i] = from_f<T>(acc);
  }
}

int32_t pool(int32_t dtype, const PoolDesc& p, const void* x, const Dims& xd, void* y, const Dims& yd,
             cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::pool";
  if (p.spatial < 1 || p.spatial > 3 || xd.rank != p.spatial + 2 || yd.rank != xd.rank)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "pooling over %d spatial dims (rank %d)", p.spatial,
                        xd.rank);
  PoolArgs a;
  a.p = p;
  for (int32_t d = 0; d < 3; ++d) {
    a.in[d] = d < p.spatial ? xd.d[2 + d] : 1;
    a.out[d] = d < p.spatial ? yd.d[2 + d] : 1;
    if (d < p.spatial && (p.stride[d] <= 0 || p.kernel[d] <= 0 || p.dilation[d] <= 0))
      return DENOTRT_BAD_ARG(err, api, "kernel, stride and dilation must be positive");
  }
  int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  DT_DISPATCH_FLOAT(dtype, T, api, err, pool_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (T*)y, a, n));
  DT_LAUNCH_CHECK(err, "pool_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
