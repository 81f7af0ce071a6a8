// ONNX Resize, nearest and (multi-)linear, every coordinate transformation mode except tf_crop_and_resize.
// Each output coordinate is mapped back per axis; linear mode blends only the axes whose weight is non-zero, so a
// 2-D bilinear resize of NCHW costs 4 taps however high the rank.
#include <math.h>

#include "util.cuh"

namespace dtops {

struct ResizeArgs {
  int32_t rank, mode, coord, nearest;
  int64_t in[kMaxRank], out[kMaxRank];
  float scale[kMaxRank];
};

__device__ __forceinline__ float source_coord(const ResizeArgs& a, int32_t d, int64_t x) {
  float s = a.scale[d], xo = (float)x;
  int64_t in = a.in[d], out = a.out[d];
  switch (a.coord) {
    case COORD_ASYMMETRIC: return xo / s;
    case COORD_ALIGN_CORNERS: return out == 1 ? 0.f : xo * (float)(in - 1) / (float)(out - 1);
    case COORD_PYTORCH_HALF_PIXEL: return out > 1 ? (xo + 0.5f) / s - 0.5f : 0.f;
    case COORD_TF_HALF_PIXEL_FOR_NEAREST: return (xo + 0.5f) / s;
    case COORD_HALF_PIXEL_SYMMETRIC: {
      float adj = (float)out / (s * (float)in);
      float center = (float)in / 2.f;
      return center * (1.f - adj) + (xo + 0.5f) / s - 0.5f;
    }
    default: return (xo + 0.5f) / s - 0.5f;  // half_pixel
  }
}

__device__ __forceinline__ int64_t nearest_index(int32_t mode, float v, int64_t in) {
  float f;
  switch (mode) {
    case NEAREST_ROUND_PREFER_CEIL: f = floorf(v + 0.5f); break;
    case NEAREST_FLOOR: f = floorf(v); break;
    case NEAREST_CEIL: f = ceilf(v); break;
    default: f = (v - floorf(v) == 0.5f) ? floorf(v) : roundf(v); break;  // round_prefer_floor
  }
  int64_t i = (int64_t)f;
  return i < 0 ? 0 : (i >= in ? in - 1 : i);
}

template <typename T>
__global__ void resize_kernel(const T* x, T* y, ResizeArgs a, int64_t n) {
  DT_GRID_LOOP(i, n) {
    int64_t rem = i;
    int64_t i0[kMaxRank], i1[kMaxRank];
    float w[kMaxRank];
    for (int32_t d = a.rank - 1; d >= 0; --d) {
      int64_t o = rem % a.out[d];
      rem /= a.out[d];
      float src = source_coord(a, d, o);
      if (a.mode == RESIZE_NEAREST) {
        i0[d] = i1[d] = nearest_index(a.nearest, src, a.in[d]);
        w[d] = 0.f;
      } else {
        src = fminf(fmaxf(src, 0.f), (float)(a.in[d] - 1));
        int64_t lo = (int64_t)floorf(src);
        i0[d] = lo;
        i1[d] = lo + 1 < a.in[d] ? lo + 1 : lo;
        w[d] = src - (float)lo;
      }
    }
    // Axes that actually blend two taps.
    int32_t blend[kMaxRank], m = 0;
    for (int32_t d = 0; d < a.rank; ++d)
      if (w[d] != 0.f && i1[d] != i0[d]) blend[m++] = d;
    float acc = 0.f;
    for (int32_t combo = 0; combo < (1 << m); ++combo) {
      float wt = 1.f;
      int64_t off = 0;
      int32_t bi = 0;
      for (int32_t d = 0; d < a.rank; ++d) {
        int64_t c = i0[d];
        if (bi < m && blend[bi] == d) {
          bool hi = (combo >> bi) & 1;
          c = hi ? i1[d] : i0[d];
          wt *= hi ? w[d] : 1.f - w[d];
          ++bi;
        }
        off = off * a.in[d] + c;
      }
      acc += wt * to_f(x[off]);
    }
    y[i] = from_f<T>(acc);
  }
}

int32_t resize(int32_t dtype, int32_t mode, int32_t coord, int32_t nearest, const float* scales, const void* x,
               const Dims& xd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::resize";
  if (xd.rank != yd.rank) return DENOTRT_BAD_ARG(err, api, "rank mismatch");
  if (mode != RESIZE_NEAREST && mode != RESIZE_LINEAR)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "resize mode %d (only nearest and linear)", mode);
  ResizeArgs a;
  a.rank = xd.rank;
  a.mode = mode;
  a.coord = coord;
  a.nearest = nearest;
  for (int32_t d = 0; d < xd.rank; ++d) {
    a.in[d] = xd.d[d];
    a.out[d] = yd.d[d];
    a.scale[d] = scales ? scales[d] : (xd.d[d] > 0 ? (float)yd.d[d] / (float)xd.d[d] : 1.f);
    if (a.scale[d] <= 0.f) return DENOTRT_BAD_ARG(err, api, "scale %g on axis %d", (double)a.scale[d], d);
  }
  int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  if (numel(xd) <= 0) return DENOTRT_BAD_ARG(err, api, "resizing an empty tensor to a non-empty one");
  DT_DISPATCH_FLOAT(dtype, T, api, err, resize_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (T*)y, a, n));
  DT_LAUNCH_CHECK(err, "resize_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
