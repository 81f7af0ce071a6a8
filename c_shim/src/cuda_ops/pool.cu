// MaxPool / AveragePool over 1..3 spatial dims (NC first). One thread per output element; padding never
// contributes to max, and to the average only with count_include_pad (then counted up to the padded edge, as
// onnxruntime does: the window is clipped to input + pads, not to the input).
#include <float.h>

#include "util.cuh"

namespace dtops {

struct PoolArgs {
  PoolDesc p;
  int64_t in[3], out[3];
  int64_t channels;
};

template <typename T>
__global__ void pool_kernel(const T* x, T* y, PoolArgs a, int64_t n) {
  const PoolDesc& p = a.p;
  DT_GRID_LOOP(i, n) {
    // Channels last: consecutive threads take consecutive channels, so every window read is coalesced.
    int64_t rem = i, o[3] = {0, 0, 0}, ch = 0, step = 1;
    if (p.channels_last) { ch = rem % a.channels; rem /= a.channels; step = a.channels; }
    for (int32_t d = p.spatial - 1; d >= 0; --d) { o[d] = rem % a.out[d]; rem /= a.out[d]; }
    int64_t plane = rem;  // n * C + c (channels first) or n (channels last)
    int64_t in_plane = 1;
    for (int32_t d = 0; d < p.spatial; ++d) in_plane *= a.in[d];
    const T* xp = p.channels_last ? x + plane * in_plane * a.channels + ch : x + plane * in_plane;
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
          float v = to_f(xp[off * step]);
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

// Channels-last float16 with C % 8 == 0 over 2 spatial dims: 8 channels per thread in one 16-byte load per window
// tap (the generic kernel's per-element index math and 2-byte loads make it several times slower than memory).
// I: 32-bit index math when every offset fits (the 64-bit divisions alone cost as much as the memory traffic).
template <typename I>
__global__ void pool_nhwc_half8_kernel(const uint4* __restrict__ x, uint4* __restrict__ y, PoolArgs a, I n) {
  const PoolDesc& p = a.p;
  const I c8 = (I)(a.channels / 8), in_h = (I)a.in[0], in_w = (I)a.in[1], out_h = (I)a.out[0], out_w = (I)a.out[1];
  const I kh = (I)p.kernel[0], kw = (I)p.kernel[1], sh = (I)p.stride[0], sw = (I)p.stride[1];
  const I ph = (I)p.pad_begin[0], pw = (I)p.pad_begin[1], dh = (I)p.dilation[0], dw = (I)p.dilation[1];
  for (I i = (I)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (I)gridDim.x * blockDim.x) {
    I cv = i % c8, rem = i / c8;
    I ow = rem % out_w;
    rem /= out_w;
    I oh = rem % out_h, b = rem / out_h;
    float acc[8];
#pragma unroll
    for (int k = 0; k < 8; ++k) acc[k] = p.kind == 0 ? -FLT_MAX : 0.f;
    I count = 0, padded = 1;
    if (p.kind == 1 && p.count_include_pad) {
      for (int32_t d = 0; d < 2; ++d) {
        int64_t o = d ? ow : oh;
        int64_t start = o * p.stride[d] - p.pad_begin[d];
        int64_t end = start + (p.kernel[d] - 1) * p.dilation[d] + 1;
        if (end > a.in[d] + p.pad_end[d]) end = a.in[d] + p.pad_end[d];
        padded *= (I)((end - start + p.dilation[d] - 1) / p.dilation[d]);
      }
    }
    const uint4* xb = x + b * in_h * in_w * c8 + cv;
    for (I r = 0; r < kh; ++r) {
      I ih = oh * sh - ph + r * dh;
      if (ih < 0 || ih >= in_h) continue;
      for (I q = 0; q < kw; ++q) {
        I iw = ow * sw - pw + q * dw;
        if (iw < 0 || iw >= in_w) continue;
        uint4 v = __ldg(xb + (ih * in_w + iw) * c8);
        const __half2* h = reinterpret_cast<const __half2*>(&v);
#pragma unroll
        for (int k = 0; k < 4; ++k) {
          float2 f = __half22float2(h[k]);
          if (p.kind == 0) { acc[2 * k] = fmaxf(acc[2 * k], f.x); acc[2 * k + 1] = fmaxf(acc[2 * k + 1], f.y); }
          else { acc[2 * k] += f.x; acc[2 * k + 1] += f.y; }
        }
        ++count;
      }
    }
    float div = p.kind == 1 ? (float)(p.count_include_pad ? padded : (count > 0 ? count : 1)) : 1.f;
    uint4 out;
    __half2* o2 = reinterpret_cast<__half2*>(&out);
#pragma unroll
    for (int k = 0; k < 4; ++k) o2[k] = __floats2half2_rn(acc[2 * k] / div, acc[2 * k + 1] / div);
    y[i] = out;
  }
}

// Global pooling, channels last: one block per (32 channels, image, slice of the map); 8 rows of threads split the
// slice and reduce through shared memory. One slice (gridDim.z == 1): the block writes the result to y. Several
// (a big map with few channels, e.g. PP-OCR's SE blocks at b1 with 24 channels of 240x240, which would otherwise
// run on a few SMs): each block writes a float partial to part[image][slice][channel], and
// global_pool_finish_kernel reduces them.
template <typename T>
__global__ void global_pool_nhwc_kernel(const T* __restrict__ x, T* __restrict__ y, float* __restrict__ part,
                                        int64_t hw, int64_t channels, int32_t kind) {
  __shared__ float rows[8][33];
  const int64_t b = blockIdx.y, c = (int64_t)blockIdx.x * 32 + threadIdx.x, slices = gridDim.z;
  const int64_t begin = hw * blockIdx.z / slices, end = hw * (blockIdx.z + 1) / slices;
  float acc = kind == 0 ? -FLT_MAX : 0.f;
  if (c < channels)
    for (int64_t i = begin + threadIdx.y; i < end; i += 8) {
      float v = to_f(x[(b * hw + i) * channels + c]);
      acc = kind == 0 ? fmaxf(acc, v) : acc + v;
    }
  rows[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && c < channels) {
    for (int r = 1; r < 8; ++r) acc = kind == 0 ? fmaxf(acc, rows[r][threadIdx.x]) : acc + rows[r][threadIdx.x];
    if (slices > 1) part[(b * slices + blockIdx.z) * channels + c] = acc;
    else y[b * channels + c] = from_f<T>(kind == 0 ? acc : acc / (float)hw);
  }
}

// The same in float16 with C % 8 == 0 and 16-byte aligned x and y: each thread reduces 8 channels from one 16-byte
// load per pixel, so a warp reads 512 contiguous bytes instead of 64. ResNet-50's head at b128 (7x7x2048) took 24 us
// on the scalar kernel, 3x its bytes at memory speed. One block per (256 channels, image, slice).
__global__ void global_pool_nhwc_half8_kernel(const uint4* __restrict__ x, uint4* __restrict__ y,
                                              float* __restrict__ part, int64_t hw, int64_t channels, int32_t kind) {
  __shared__ float rows[8][32][9];  // 9: threads of one row write 8 floats each without bank conflicts
  const int64_t b = blockIdx.y, c8 = (int64_t)blockIdx.x * 32 + threadIdx.x, n8 = channels / 8, slices = gridDim.z;
  const int64_t begin = hw * blockIdx.z / slices, end = hw * (blockIdx.z + 1) / slices;
  float acc[8];
#pragma unroll
  for (int k = 0; k < 8; ++k) acc[k] = kind == 0 ? -FLT_MAX : 0.f;
  if (c8 < n8)
#pragma unroll 4  // several loads in flight per thread: a map of 49 pixels is 6 or 7 per thread
    for (int64_t i = begin + threadIdx.y; i < end; i += 8) {
      uint4 v = x[(b * hw + i) * n8 + c8];
      const __half2* h2 = reinterpret_cast<const __half2*>(&v);
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        float2 f = __half22float2(h2[k]);
        acc[2 * k] = kind == 0 ? fmaxf(acc[2 * k], f.x) : acc[2 * k] + f.x;
        acc[2 * k + 1] = kind == 0 ? fmaxf(acc[2 * k + 1], f.y) : acc[2 * k + 1] + f.y;
      }
    }
#pragma unroll
  for (int k = 0; k < 8; ++k) rows[threadIdx.y][threadIdx.x][k] = acc[k];
  __syncthreads();
  if (threadIdx.y != 0 || c8 >= n8) return;
  for (int r = 1; r < 8; ++r)
#pragma unroll
    for (int k = 0; k < 8; ++k) acc[k] = kind == 0 ? fmaxf(acc[k], rows[r][threadIdx.x][k]) : acc[k] + rows[r][threadIdx.x][k];
  if (slices > 1) {
#pragma unroll
    for (int k = 0; k < 8; ++k) part[(b * slices + blockIdx.z) * channels + c8 * 8 + k] = acc[k];
    return;
  }
  uint4 out;
  __half2* o2 = reinterpret_cast<__half2*>(&out);
  const float scale = kind == 0 ? 1.f : 1.f / (float)hw;
#pragma unroll
  for (int k = 0; k < 4; ++k) o2[k] = __floats2half2_rn(acc[2 * k] * scale, acc[2 * k + 1] * scale);
  y[b * n8 + c8] = out;
}

constexpr int64_t kSplitMinPixels = 4096, kSplitMaxSlices = 64, kSplitFewBlocks = 264;

static int64_t global_pool_slices(int64_t n, int64_t c, int64_t hw) {
  // Blocks as the launch will make them: 256 channels each when C % 8 == 0 (the float16 kernel), else 32. Counting
  // the wider blocks for every dtype splits a little more often in float32, which only adds the finishing kernel.
  const int64_t blocks = (c % 8 == 0 ? (c / 8 + 31) / 32 : (c + 31) / 32) * n;
  if (hw < kSplitMinPixels || blocks >= kSplitFewBlocks) return 1;
  int64_t slices = hw / 1024;
  return slices < kSplitMaxSlices ? (slices > 1 ? slices : 1) : kSplitMaxSlices;
}

size_t global_pool_scratch_bytes(int64_t n, int64_t c, int64_t hw) {
  int64_t slices = global_pool_slices(n, c, hw);
  return slices > 1 ? (size_t)(slices * n * c) * sizeof(float) : 0;
}

template <typename T>
__global__ void global_pool_finish_kernel(const float* __restrict__ part, T* __restrict__ y, int64_t n,
                                          int64_t channels, int64_t slices, int64_t hw, int32_t kind) {
  DT_GRID_LOOP(i, n * channels) {
    const int64_t b = i / channels, c = i % channels;
    float acc = kind == 0 ? -FLT_MAX : 0.f;
    for (int64_t z = 0; z < slices; ++z) {
      float v = part[(b * slices + z) * channels + c];
      acc = kind == 0 ? fmaxf(acc, v) : acc + v;
    }
    y[i] = from_f<T>(kind == 0 ? acc : acc / (float)hw);
  }
}

int32_t pool(int32_t dtype, const PoolDesc& p, const void* x, const Dims& xd, void* y, const Dims& yd,
             cudaStream_t s, denotrt_error* err, void* scratch, size_t scratch_bytes) {
  static const char* api = "dtops::pool";
  if (p.spatial < 1 || p.spatial > 3 || xd.rank != p.spatial + 2 || yd.rank != xd.rank)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "pooling over %d spatial dims (rank %d)", p.spatial,
                        xd.rank);
  PoolArgs a;
  a.p = p;
  a.channels = xd.d[1];
  for (int32_t d = 0; d < 3; ++d) {
    a.in[d] = d < p.spatial ? xd.d[2 + d] : 1;
    a.out[d] = d < p.spatial ? yd.d[2 + d] : 1;
    if (d < p.spatial && (p.stride[d] <= 0 || p.kernel[d] <= 0 || p.dilation[d] <= 0))
      return DENOTRT_BAD_ARG(err, api, "kernel, stride and dilation must be positive");
  }
  int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  bool global = p.spatial == 2 && yd.d[2] == 1 && yd.d[3] == 1 && p.kernel[0] == xd.d[2] && p.kernel[1] == xd.d[3] &&
                p.pad_begin[0] == 0 && p.pad_begin[1] == 0 && p.pad_end[0] == 0 && p.pad_end[1] == 0 &&
                p.dilation[0] == 1 && p.dilation[1] == 1;
  const int64_t hw = xd.d[2] * xd.d[3];
  if (p.channels_last && global && xd.d[0] <= 65535) {
    // Split the map only where the scratch for the partials was given.
    int64_t slices = global_pool_slices(xd.d[0], a.channels, hw);
    if (!scratch || scratch_bytes < global_pool_scratch_bytes(xd.d[0], a.channels, hw)) slices = 1;
    float* part = static_cast<float*>(scratch);
    dim3 block(32, 8);
    if (dtype == DENOTRT_FLOAT16 && a.channels % 8 == 0 && (uintptr_t)x % 16 == 0 && (uintptr_t)y % 16 == 0) {
      dim3 grid((unsigned)((a.channels / 8 + 31) / 32), (unsigned)xd.d[0], (unsigned)slices);
      global_pool_nhwc_half8_kernel<<<grid, block, 0, s>>>((const uint4*)x, (uint4*)y, part, hw, a.channels, p.kind);
      DT_LAUNCH_CHECK(err, "global_pool_nhwc_half8_kernel");
    } else {
      dim3 grid((unsigned)((a.channels + 31) / 32), (unsigned)xd.d[0], (unsigned)slices);
      DT_DISPATCH_FLOAT(dtype, T, api, err, global_pool_nhwc_kernel<T><<<grid, block, 0, s>>>(
          (const T*)x, (T*)y, part, hw, a.channels, p.kind));
      DT_LAUNCH_CHECK(err, "global_pool_nhwc_kernel");
    }
    if (slices > 1) {
      const int64_t outs = xd.d[0] * a.channels;
      DT_DISPATCH_FLOAT(dtype, T, api, err, global_pool_finish_kernel<T><<<grid_for(outs), 256, 0, s>>>(
          part, (T*)y, xd.d[0], a.channels, slices, hw, p.kind));
      DT_LAUNCH_CHECK(err, "global_pool_finish_kernel");
    }
    return DENOTRT_OK;
  }
  if (p.channels_last && dtype == DENOTRT_FLOAT16 && p.spatial == 2 && a.channels % 8 == 0 &&
      ((uintptr_t)x % 16) == 0 && ((uintptr_t)y % 16) == 0) {
    int64_t nv = n / 8;
    if (nv < INT32_MAX && numel(xd) / 8 < INT32_MAX)
      pool_nhwc_half8_kernel<int32_t><<<grid_for(nv), 256, 0, s>>>((const uint4*)x, (uint4*)y, a, (int32_t)nv);
    else
      pool_nhwc_half8_kernel<int64_t><<<grid_for(nv), 256, 0, s>>>((const uint4*)x, (uint4*)y, a, nv);
    DT_LAUNCH_CHECK(err, "pool_nhwc_half8_kernel");
    return DENOTRT_OK;
  }
  DT_DISPATCH_FLOAT(dtype, T, api, err, pool_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (T*)y, a, n));
  DT_LAUNCH_CHECK(err, "pool_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
