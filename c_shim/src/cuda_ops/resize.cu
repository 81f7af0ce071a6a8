// ONNX Resize, nearest and (multi-)linear, every coordinate transformation mode except tf_crop_and_resize.
// Each output coordinate is mapped back per axis (axis_tap); linear mode blends only the axes whose weight is
// non-zero, so a 2-D bilinear resize of NCHW costs 4 taps however high the rank.
//
// Two kernels share that per-axis math, so they produce the same bits:
//   - resize_fast_kernel (chosen at launch for nearly every real resize): the trailing axes that are not resized
//     (C in NHWC) are one contiguous run per output pixel, copied or blended with up to 16-byte vectors; when the
//     innermost axis is resized (NCHW), each thread writes up to 16 bytes of consecutive outputs along it. The taps
//     of every resized axis are computed once per block into shared memory, and all index math is 32-bit.
//   - resize_kernel, the generic one (int64 indices, taps recomputed per element): any rank, any size.
// Nearest copies the source element's bits (as ONNX defines it); linear accumulates in fp32 in the same order in
// both kernels, so switching between them never changes a result.
#include <math.h>
#include <string.h>

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
      // Fused explicitly: left to the compiler, a kernel that hoists center * (1 - adj) out of a loop rounds it
      // separately and the kernels would disagree in the last bit.
      return __fmaf_rn(center, 1.f - adj, (xo + 0.5f) / s) - 0.5f;
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

// Output coordinate o of axis d: its source index i0, the second tap i1 and i1's weight w (nearest: w = 0).
__device__ __forceinline__ void axis_tap(const ResizeArgs& a, int32_t d, int64_t o, int64_t* i0, int64_t* i1,
                                         float* w) {
  float src = source_coord(a, d, o);
  if (a.mode == RESIZE_NEAREST) {
    *i0 = *i1 = nearest_index(a.nearest, src, a.in[d]);
    *w = 0.f;
  } else {
    src = fminf(fmaxf(src, 0.f), (float)(a.in[d] - 1));
    int64_t lo = (int64_t)floorf(src);
    *i0 = lo;
    *i1 = lo + 1 < a.in[d] ? lo + 1 : lo;
    *w = src - (float)lo;
  }
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
      axis_tap(a, d, o, &i0[d], &i1[d], &w[d]);
    }
    if (a.mode == RESIZE_NEAREST) {
      int64_t off = 0;
      for (int32_t d = 0; d < a.rank; ++d) off = off * a.in[d] + i0[d];
      y[i] = x[off];
      continue;
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
      acc = __fmaf_rn(wt, to_f(x[off]), acc);  // fused explicitly, as in blend()
    }
    y[i] = from_f<T>(acc);
  }
}

// ---------------------------------------------------------------- fast path

// The output as pixels of `inner` contiguous elements; a pixel's coordinates run over up to kFastAxes axes
// (adjacent axes that are not resized merged into one, axes of size 1 dropped).
constexpr int kFastAxes = 4;
constexpr int kFastBlock = 256;
constexpr size_t kTapBytes = 48 << 10;  // the shared-memory tables' limit (no opt-in needed)

struct Tap {
  int32_t off0, off1;  // element offsets in x of the two source coordinates (their index times the axis stride)
  float w;             // off1's weight
};

struct FastResize {
  ResizeArgs a;                 // what axis_tap reads
  int32_t p;                    // pixel axes
  int32_t axis[kFastAxes];      // each one's axis in `a`, or -1 when it is not resized
  uint32_t out[kFastAxes];      // output sizes
  uint32_t stride[kFastAxes];   // element strides in x
  uint32_t table[kFastAxes];    // where a resized axis's taps start in the shared table
  uint32_t entries;             // taps in the table
  uint32_t units;               // work items: V elements each
  uint32_t per;                 // units per pixel (runs) or per row of the last axis (rows)
};

template <typename T, int V>
struct alignas(sizeof(T) * V) Pack {
  T v[V];
};

// Tap k of a pixel whose coordinate on axis k is o. Nearest tables hold off0 only.
template <bool LINEAR>
__device__ __forceinline__ Tap tap_of(const FastResize& f, const void* table, int k, uint32_t o) {
  if (f.axis[k] < 0) {
    int32_t off = (int32_t)(o * f.stride[k]);
    return Tap{off, off, 0.f};
  }
  if constexpr (LINEAR) {
    return ((const Tap*)table)[f.table[k] + o];
  } else {
    int32_t off = ((const int32_t*)table)[f.table[k] + o];
    return Tap{off, off, 0.f};
  }
}

template <bool LINEAR>
__device__ __forceinline__ void fill_taps(const FastResize& f, void* table) {
#pragma unroll
  for (int k = 0; k < kFastAxes; ++k) {
    if (k >= f.p || f.axis[k] < 0) continue;
    for (uint32_t o = threadIdx.x; o < f.out[k]; o += blockDim.x) {
      int64_t i0, i1;
      float w;
      axis_tap(f.a, f.axis[k], o, &i0, &i1, &w);
      int32_t o0 = (int32_t)(i0 * f.stride[k]), o1 = (int32_t)(i1 * f.stride[k]);
      if constexpr (LINEAR) ((Tap*)table)[f.table[k] + o] = Tap{o0, o1, w};
      else ((int32_t*)table)[f.table[k] + o] = o0;
    }
  }
  __syncthreads();
}

// One output element (or V of them along the run) from the taps of every pixel axis, blending in the generic
// kernel's order: combos counted up with the lowest blending axis as bit 0, each weight the product of the axes'
// factors from the outermost in.
template <typename T, int V>
__device__ __forceinline__ void blend(const T* x, const Tap (&t)[kFastAxes], int p, uint32_t c, float (&acc)[V]) {
  bool bl[kFastAxes];
  int nb = 0;
#pragma unroll
  for (int k = 0; k < kFastAxes; ++k) {
    bl[k] = k < p && t[k].w != 0.f && t[k].off1 != t[k].off0;
    nb += bl[k];
  }
#pragma unroll
  for (int e = 0; e < V; ++e) acc[e] = 0.f;
  for (int combo = 0; combo < (1 << nb); ++combo) {
    float wt = 1.f;
    uint32_t off = c;
    int bi = 0;
#pragma unroll
    for (int k = 0; k < kFastAxes; ++k) {
      if (k >= p) continue;
      if (bl[k]) {
        bool hi = (combo >> bi) & 1;
        off += hi ? t[k].off1 : t[k].off0;
        wt *= hi ? t[k].w : 1.f - t[k].w;
        ++bi;
      } else {
        off += t[k].off0;
      }
    }
    if constexpr (V == 1) {
      acc[0] = __fmaf_rn(wt, to_f(x[off]), acc[0]);
    } else {
      Pack<T, V> v = *(const Pack<T, V>*)(x + off);
#pragma unroll
      for (int e = 0; e < V; ++e) acc[e] = __fmaf_rn(wt, to_f(v.v[e]), acc[e]);
    }
  }
}

// ROWS = false: a unit is V elements of one pixel's run (inner > 1; x and y aligned to V elements).
// ROWS = true: a unit is V consecutive outputs along the last pixel axis (inner == 1; y aligned).
// For nearest, T is the element's bits (uint16_t / uint32_t): a copy.
template <typename T, int V, bool LINEAR, bool ROWS>
__global__ void __launch_bounds__(kFastBlock) resize_fast_kernel(const T* __restrict__ x, T* __restrict__ y,
                                                                 FastResize f) {
  extern __shared__ __align__(16) unsigned char taps[];
  fill_taps<LINEAR>(f, taps);
  const int last = f.p - 1;
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < f.units; u += gridDim.x * blockDim.x) {
    uint32_t q = u / f.per, r = u - q * f.per;  // pixel (runs) or row (rows); unit within it
    uint32_t o[kFastAxes];
#pragma unroll
    for (int k = kFastAxes - 1; k >= 0; --k) {
      if (k >= f.p || (ROWS && k == last)) continue;
      o[k] = q % f.out[k];
      q /= f.out[k];
    }
    Tap t[kFastAxes] = {};
#pragma unroll
    for (int k = 0; k < kFastAxes; ++k)
      if (k < f.p && !(ROWS && k == last)) t[k] = tap_of<LINEAR>(f, taps, k, o[k]);
    Pack<T, V> out;
    if constexpr (!ROWS) {
      const uint32_t c = r * V;
      if constexpr (LINEAR) {
        float acc[V];
        blend<T, V>(x, t, f.p, c, acc);
#pragma unroll
        for (int e = 0; e < V; ++e) out.v[e] = from_f<T>(acc[e]);
      } else {
        uint32_t off = c;
#pragma unroll
        for (int k = 0; k < kFastAxes; ++k)
          if (k < f.p) off += t[k].off0;
        out = *(const Pack<T, V>*)(x + off);
      }
    } else {
      // The last axis is resized here (plan_fast), so its taps are in the table.
      const uint32_t at = f.table[last] + r * V;
      if constexpr (LINEAR) {
#pragma unroll
        for (int e = 0; e < V; ++e) {
          const Tap l = ((const Tap*)taps)[at + e];
          Tap te[kFastAxes];
#pragma unroll
          for (int k = 0; k < kFastAxes; ++k) te[k] = k == last ? l : t[k];
          float acc[1];
          blend<T, 1>(x, te, f.p, 0, acc);
          out.v[e] = from_f<T>(acc[0]);
        }
      } else {
        uint32_t base = 0;
#pragma unroll
        for (int k = 0; k < kFastAxes; ++k)
          if (k < last) base += t[k].off0;
#pragma unroll
        for (int e = 0; e < V; ++e) out.v[e] = x[base + ((const int32_t*)taps)[at + e]];
      }
    }
    *(Pack<T, V>*)(y + (size_t)u * V) = out;
  }
}

// Whether axis d maps every output coordinate to the same input coordinate with weight 0 in the generic math
// (then its elements can be moved as they lie). Decided from the formulas in source_coord with scale exactly 1:
// x + 0.5 - 0.5, x / 1 and x * (n-1) / (n-1) are exact in float for the sizes allowed here, while
// tf_half_pixel_for_nearest maps x to x + 0.5, which round_prefer_ceil and ceil send to x + 1 and linear blends.
static bool identity_axis(const ResizeArgs& a, int32_t d) {
  if (a.in[d] != a.out[d]) return false;
  if (a.in[d] == 1) return true;  // every tap clamps to index 0
  if (a.scale[d] != 1.f || a.in[d] > (1 << 22)) return false;
  switch (a.coord) {
    case COORD_ALIGN_CORNERS: return a.in[d] <= 4096;  // x * (n-1) stays below 2^24
    case COORD_TF_HALF_PIXEL_FOR_NEAREST:
      return a.mode == RESIZE_NEAREST && (a.nearest == NEAREST_ROUND_PREFER_FLOOR || a.nearest == NEAREST_FLOOR);
    default: return true;
  }
}

// Fills f for the fast kernels; false when the case is not one they take (then the generic kernel runs).
static bool plan_fast(const ResizeArgs& a, const void* x, int64_t nx, const void* y, int64_t ny, size_t elem,
                      FastResize* f, int* vec, bool* rows) {
  if (nx >= INT32_MAX || ny >= INT32_MAX) return false;
  memset(f, 0, sizeof *f);
  f->a = a;
  // Trailing axes that are not resized: the run.
  int32_t d = a.rank - 1;
  int64_t inner = 1;
  for (; d >= 0 && identity_axis(a, d); --d) inner *= a.in[d];
  // The rest, innermost first: resized axes stay, neighbours that are not resized merge, size-1 axes drop.
  int32_t axis[kMaxRank];
  int64_t out[kMaxRank], stride[kMaxRank];
  int32_t p = 0;
  int64_t s = inner;
  for (; d >= 0; --d) {
    if (a.in[d] == 1 && a.out[d] == 1) continue;
    if (identity_axis(a, d)) {
      if (p > 0 && axis[p - 1] < 0) {
        out[p - 1] *= a.out[d];
      } else {
        axis[p] = -1, out[p] = a.out[d], stride[p] = s, ++p;
      }
    } else {
      axis[p] = d, out[p] = a.out[d], stride[p] = s, ++p;
    }
    s *= a.in[d];
    if (p > kFastAxes) return false;
  }
  f->p = p;
  uint32_t entries = 0;
  for (int32_t k = 0; k < p; ++k) {  // stored outermost first
    int32_t from = p - 1 - k;
    f->axis[k] = axis[from];
    f->out[k] = (uint32_t)out[from];
    f->stride[k] = (uint32_t)stride[from];
    if (axis[from] >= 0) {
      f->table[k] = entries;
      entries += (uint32_t)out[from];
    }
  }
  f->entries = entries;
  if (entries * (a.mode == RESIZE_LINEAR ? sizeof(Tap) : sizeof(int32_t)) > kTapBytes) return false;
  // Vector width: the widest (<= 16 bytes) that divides the run (or the last axis) and that the pointers allow.
  *rows = inner == 1 && p > 0;
  const int64_t along = *rows ? out[0] : inner;  // out[0]: the innermost pixel axis (before the reversal)
  int v = (int)(16 / elem);
  while (v > 1 && (along % v != 0 || (uintptr_t)y % (v * elem) != 0 || (!*rows && (uintptr_t)x % (v * elem) != 0)))
    v /= 2;
  *vec = v;
  f->units = (uint32_t)(ny / v);
  f->per = (uint32_t)(along / v);
  return true;
}

template <typename T, bool LINEAR, bool ROWS>
static void launch_fast_v(int v, const void* x, void* y, const FastResize& f, cudaStream_t s) {
  size_t smem = f.entries * (LINEAR ? sizeof(Tap) : sizeof(int32_t));
  int64_t blocks = ((int64_t)f.units + kFastBlock - 1) / kFastBlock;
  unsigned grid = (unsigned)(blocks < 1 ? 1 : blocks > 4096 ? 4096 : blocks);
#define DT_RESIZE_FAST(V) \
  resize_fast_kernel<T, V, LINEAR, ROWS><<<grid, kFastBlock, smem, s>>>((const T*)x, (T*)y, f)
  switch (v) {
    case 1: DT_RESIZE_FAST(1); break;
    case 2: DT_RESIZE_FAST(2); break;
    case 4: DT_RESIZE_FAST(4); break;
    default:
      if constexpr (sizeof(T) <= 2) DT_RESIZE_FAST(8);
      break;
  }
#undef DT_RESIZE_FAST
}

template <typename T, bool LINEAR>
static void launch_fast(int v, bool rows, const void* x, void* y, const FastResize& f, cudaStream_t s) {
  if (rows) launch_fast_v<T, LINEAR, true>(v, x, y, f, s);
  else launch_fast_v<T, LINEAR, false>(v, x, y, f, s);
}

static int32_t resize_impl(bool allow_fast, int32_t dtype, int32_t mode, int32_t coord, int32_t nearest,
                           const float* scales, const void* x, const Dims& xd, void* y, const Dims& yd,
                           cudaStream_t s, denotrt_error* err) {
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
  size_t elem = dtype_size(dtype);
  FastResize f;
  int v;
  bool rows;
  if (allow_fast && (dtype == DENOTRT_FLOAT32 || dtype == DENOTRT_FLOAT16 || dtype == DENOTRT_BFLOAT16) &&
      plan_fast(a, x, numel(xd), y, n, elem, &f, &v, &rows)) {
    if (mode == RESIZE_NEAREST) {
      if (elem == 2) launch_fast<uint16_t, false>(v, rows, x, y, f, s);
      else launch_fast<uint32_t, false>(v, rows, x, y, f, s);
    } else {
      DT_DISPATCH_FLOAT(dtype, T, api, err, launch_fast<T, true>(v, rows, x, y, f, s));
    }
    DT_LAUNCH_CHECK(err, "resize_fast_kernel");
    return DENOTRT_OK;
  }
  DT_DISPATCH_FLOAT(dtype, T, api, err, resize_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (T*)y, a, n));
  DT_LAUNCH_CHECK(err, "resize_kernel");
  return DENOTRT_OK;
}

int32_t resize(int32_t dtype, int32_t mode, int32_t coord, int32_t nearest, const float* scales, const void* x,
               const Dims& xd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err) {
  return resize_impl(true, dtype, mode, coord, nearest, scales, x, xd, y, yd, s, err);
}

int32_t resize_generic(int32_t dtype, int32_t mode, int32_t coord, int32_t nearest, const float* scales,
                       const void* x, const Dims& xd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err) {
  return resize_impl(false, dtype, mode, coord, nearest, scales, x, xd, y, yd, s, err);
}

}  // namespace dtops
