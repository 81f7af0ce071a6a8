// ConvTranspose (ONNX's transposed convolution; filter [C, K / group, kh, kw], groups, strides, dilations, pads,
// output_padding already in the output size) with the fused bias + activation epilogue, on NCHW and on channels-last
// (NHWC) tensors. fp32 / fp16 / bf16 storage, fp32 accumulation.
//
// Channels-last has two kernels:
//  - the tile kernel, for the common upsampling case where every output pixel reads at most one input pixel
//    (stride == kernel, no dilation, no pads: U-Net decoders, PP-OCR's DB head with its two 2x2/2 layers). Each
//    input pixel then feeds a kh x kw block of output pixels, and one kernel row r of that block is a contiguous
//    run of kw * K outputs (group 1): out[q, k] = sum_c x[c] * w[c, k, r, q]. A thread takes one input pixel and NB
//    outputs of such a run (a tile) and accumulates them over C from x loaded as 16-byte channel vectors; the
//    block's threads all work on the same (group, kernel row, tile), so the tile's weights are staged once in
//    shared memory as fp32 [c][NB] and every read of them is a warp-wide broadcast (one 16-byte LDS per four FMAs).
//    The run is written back as 16-byte vectors, and the runs of consecutive threads are adjacent in y, so a warp
//    writes one contiguous stretch. The bytes bound it: PP-OCR's 24->24 240->480 layer at fp16 moves 14 MB.
//  - the generic kernel, for every other geometry: one thread per output element (channels fastest, so the threads
//    of a pixel share its input loads), the taps that reach the output found once per output, the filter staged in
//    shared memory as fp32 [tap][c][k] when it fits (else read through the read-only cache).
// NCHW keeps the one-thread-per-output kernel it always had (now with the epilogue); the CUDA executor runs it for
// ConvTranspose layers left NCHW.

#include "act.cuh"
#include "launch_info.h"
#include "vector_io.h"

namespace dtops {
namespace {

constexpr int kBlock = 256;            // threads per block
constexpr int kSmemLimit = 48 * 1024;  // the static shared-memory window: no cudaFuncSetAttribute needed
constexpr int kBlocksPerSm = 8;        // grid cap (then grid-stride loops): keeps the per-block staging amortized

// ---------------------------------------------------------------- NCHW

// One thread per output: gathers the input pixels whose stride-spread window covers it. The taps that reach the
// output (the stride and bounds tests) are found once per output, outside the channel loop, and I is int32 where
// every offset fits: the divisions of the naive loop nest cost ~100x the FMAs (PP-OCR's 2x2/2 head upsampling took
// 2 ms for 0.3 GFLOP).
template <typename T, typename I>
__global__ void conv_transpose2d_kernel(ConvDesc d, const T* x, const T* w, const T* bias, Act act, T* y, I n_out) {
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
    y[i] = from_f<T>(apply_act(acc, act));
  }
}

// ---------------------------------------------------------------- channels-last helpers

// act over a whole tile: identity and ReLU inline, the rest through apply_act_call (inlining apply_act's whole
// table into every element of every unrolled tile made this file take minutes to compile).
template <int NB>
__device__ __forceinline__ void act_all(float (&v)[NB], Act a) {
  if (a.op == U_IDENTITY) return;
  if (a.op == U_RELU) {
#pragma unroll
    for (int u = 0; u < NB; ++u) v[u] = v[u] > 0.f ? v[u] : 0.f;
    return;
  }
#pragma unroll
  for (int u = 0; u < NB; ++u) v[u] = apply_act_call(v[u], a);
}

// The first n of v to the contiguous run at p: 16-byte stores when p and the tile allow, else pairs, else scalars.
template <typename T, int NB>
__device__ __forceinline__ void store_run(T* p, const float (&v)[NB], int32_t n) {
  constexpr int VW = 16 / sizeof(T);
  if (n == NB) {
    if constexpr (NB % VW == 0) {
      if (((uintptr_t)p & 15) == 0) {
#pragma unroll
        for (int u = 0; u < NB; u += VW) store_vec<T, VW>(p + u, v + u);
        return;
      }
    }
    if constexpr (NB % 2 == 0) {
      if (((uintptr_t)p & (2 * sizeof(T) - 1)) == 0) {
#pragma unroll
        for (int u = 0; u < NB; u += 2) store_vec<T, 2>(p + u, v + u);
        return;
      }
    }
  }
#pragma unroll
  for (int u = 0; u < NB; ++u)
    if (u < n) p[u] = from_f<T>(v[u]);
}

struct CtArgs {
  int32_t c, k, cg, kg, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
  int32_t total;   // tile kernel: input pixels in this launch; generic: output elements in this launch
  int32_t seg;     // tile kernel: outputs of one (pixel, group, kernel row): kw * kg
  int32_t tiles;   // tile kernel: tiles of NB per run
  int32_t chunk;   // tile kernel: input channels staged per pass (all cg when they fit)
  int32_t smem_w;  // generic: 1 when the filter is staged in shared memory
};

// ---------------------------------------------------------------- the tile kernel (at most one tap per output)

// The tile's weights for input channels [c0, c0 + nc) of group g as fp32 [c][NB] (zeros past the run), then a
// barrier. Every thread must call it.
template <typename T, int NB>
__device__ __forceinline__ void stage_tile(float* sw, const T* w, const CtArgs& a, int32_t g, int32_t r, int32_t t0,
                                           int32_t c0, int32_t nc) {
  const int32_t taps = a.kh * a.kw;
  for (int32_t i = threadIdx.x; i < nc * NB; i += blockDim.x) {
    const int32_t c = i / NB, s = t0 + (i - c * NB);
    float v = 0.f;
    if (s < a.seg) {
      const int32_t q = s / a.kg, kk = s - q * a.kg;
      v = to_f(w[((int64_t)(g * a.cg + c0 + c) * a.kg + kk) * taps + r * a.kw + q]);
    }
    sw[i] = v;
  }
  __syncthreads();
}

// blockIdx.y: (group, kernel row, tile); threads: input pixels (grid-stride, block-uniform trip count so the
// chunked staging's barriers are reached by every thread). V: input channels per load.
template <typename T, int V, int NB>
__global__ void __launch_bounds__(kBlock) ct_nhwc_tile_kernel(CtArgs a, const T* __restrict__ x,
                                                              const T* __restrict__ w, const T* __restrict__ bias,
                                                              Act act, T* __restrict__ y) {
  constexpr int WV = NB % 4 == 0 ? 4 : NB % 2 == 0 ? 2 : 1;
  extern __shared__ float4 smem4[];
  float* sb = reinterpret_cast<float*>(smem4);  // [NB] the tile's biases
  float* sw = sb + NB;                          // [chunk][NB] (NB is a multiple of 2: 8-byte aligned rows)
  const int32_t tile = blockIdx.y % a.tiles, r = (blockIdx.y / a.tiles) % a.kh, g = blockIdx.y / (a.tiles * a.kh);
  const int32_t t0 = tile * NB, n_out = a.seg - t0 < NB ? a.seg - t0 : NB;
  for (int32_t u = threadIdx.x; u < NB; u += blockDim.x) {
    const int32_t s = t0 + u;
    sb[u] = bias && s < a.seg ? to_f(bias[g * a.kg + s % a.kg]) : 0.f;
  }
  const bool one_pass = a.chunk >= a.cg;
  if (one_pass) stage_tile<T, NB>(sw, w, a, g, r, t0, 0, a.cg);  // ends in a barrier (sb too)
  else __syncthreads();
  const int64_t step = (int64_t)gridDim.x * blockDim.x;
  for (int64_t base = (int64_t)blockIdx.x * blockDim.x; base < a.total; base += step) {
    const int32_t p = (int32_t)base + (int32_t)threadIdx.x;
    const bool live = p < a.total;
    float acc[NB];
#pragma unroll
    for (int u = 0; u < NB; ++u) acc[u] = sb[u];
    const T* xp = x + (int64_t)p * a.c + g * a.cg;
    for (int32_t c0 = 0; c0 < a.cg; c0 += a.chunk) {
      const int32_t nc = a.cg - c0 < a.chunk ? a.cg - c0 : a.chunk;
      if (!one_pass) {
        __syncthreads();  // the previous pass's reads are done
        stage_tile<T, NB>(sw, w, a, g, r, t0, c0, nc);
      }
      if (!live) continue;
      for (int32_t c = 0; c < nc; c += V) {
        float xv[V];
        load_vec<T, V>(xp + c0 + c, xv);
#pragma unroll
        for (int i = 0; i < V; ++i) {
          const float* wr = sw + (c + i) * NB;
#pragma unroll
          for (int u = 0; u < NB; u += WV) {
            float wv[WV];
            lds_vec<WV>(wr + u, wv);
#pragma unroll
            for (int j = 0; j < WV; ++j) acc[u + j] = fmaf(xv[i], wv[j], acc[u + j]);
          }
        }
      }
    }
    if (!live) continue;
    act_all<NB>(acc, act);
    const int32_t iw = p % a.iw, t = p / a.iw, ih = t % a.ih, n = t / a.ih;
    // Output pixel (ih * kh + r, iw * kw): the first of the run's kw pixels.
    const int64_t pix = ((int64_t)n * a.oh + (int64_t)ih * a.kh + r) * a.ow + (int64_t)iw * a.kw;
    if (a.kg == a.k) {
      store_run<T, NB>(y + pix * a.k + t0, acc, n_out);
    } else {  // grouped: the run is kw pieces of kg channels, K apart
      int32_t q = t0 / a.kg, kk = t0 - q * a.kg;
#pragma unroll
      for (int u = 0; u < NB; ++u) {
        if (u < n_out) y[(pix + q) * a.k + g * a.kg + kk] = from_f<T>(acc[u]);
        if (++kk == a.kg) kk = 0, ++q;
      }
    }
  }
}

// ---------------------------------------------------------------- the generic kernel

template <typename T, int V>
__global__ void __launch_bounds__(kBlock) ct_nhwc_generic_kernel(CtArgs a, const T* __restrict__ x,
                                                                 const T* __restrict__ w, const T* __restrict__ bias,
                                                                 Act act, T* __restrict__ y) {
  extern __shared__ float4 smem4[];
  float* sw = reinterpret_cast<float*>(smem4);  // [tap][c][kg] when a.smem_w
  const int32_t taps = a.kh * a.kw;
  if (a.smem_w) {  // uniform: every thread reaches the barrier
    const int32_t n = a.c * a.kg * taps;
    for (int32_t i = threadIdx.x; i < n; i += blockDim.x) {
      const int32_t ck = i / taps;  // the filter is [c][kk][tap]: ck = c * kg + kk
      sw[(i - ck * taps) * a.c * a.kg + ck] = to_f(w[i]);
    }
    __syncthreads();
  }
  for (int32_t i = blockIdx.x * blockDim.x + threadIdx.x; i < a.total; i += gridDim.x * blockDim.x) {
    const int32_t k = i % a.k, pix = i / a.k, ow = pix % a.ow, t = pix / a.ow, oh = t % a.oh, n = t / a.oh;
    const int32_t g = k / a.kg, kk = k - g * a.kg, cb = g * a.cg;
    float acc = bias ? to_f(bias[k]) : 0.f;
    for (int32_t r = 0; r < a.kh; ++r) {
      const int32_t th = oh + a.ph - r * a.dh;
      if (th < 0 || th % a.sh) continue;
      const int32_t ih = th / a.sh;
      if (ih >= a.ih) continue;
      for (int32_t q = 0; q < a.kw; ++q) {
        const int32_t tw = ow + a.pw - q * a.dw;
        if (tw < 0 || tw % a.sw) continue;
        const int32_t iw = tw / a.sw;
        if (iw >= a.iw) continue;
        const T* xp = x + (((int64_t)n * a.ih + ih) * a.iw + iw) * a.c + cb;
        const int32_t tap = r * a.kw + q;
        for (int32_t c = 0; c < a.cg; c += V) {
          float xv[V];
          load_vec<T, V>(xp + c, xv);
#pragma unroll
          for (int j = 0; j < V; ++j) {
            const float wv = a.smem_w ? sw[((int64_t)tap * a.c + cb + c + j) * a.kg + kk]
                                      : to_f(__ldg(w + ((int64_t)(cb + c + j) * a.kg + kk) * taps + tap));
            acc = fmaf(xv[j], wv, acc);
          }
        }
      }
    }
    y[i] = from_f<T>(apply_act(acc, act));
  }
}

// ---------------------------------------------------------------- launchers

unsigned capped_grid(int64_t work, int64_t cap) {
  int64_t g = (work + kBlock - 1) / kBlock;
  if (g > cap) g = cap;
  return (unsigned)(g < 1 ? 1 : g);
}

bool aligned(const void* p, size_t bytes) { return p == nullptr || ((uintptr_t)p % bytes) == 0; }

// The tile kernel's case: every output pixel reads at most one input pixel, and each input pixel's kh x kw block of
// outputs tiles the output exactly (no pads, no output_padding or end crop).
bool is_tiling(const ConvDesc& d) {
  for (int i = 0; i < 2; ++i)
    if (d.stride[i] != d.kernel[i] || (d.dilation[i] != 1 && d.kernel[i] != 1) || d.pad_begin[i] != 0 ||
        d.out[i] != d.in[i] * d.stride[i])
      return false;
  return true;
}

// Outputs per thread for a run of `seg`: the smallest instantiated tile that holds it, else the one that wastes
// the fewest padded outputs over the run's tiles.
int tile_width(int32_t seg) {
  static const int widths[] = {2, 4, 8, 16, 24, 32, 48, 64};
  for (int nb : widths)
    if (seg <= nb) return nb;
  int best = 64;
  for (int nb : {64, 48, 32})
    if ((seg + nb - 1) / nb * nb < (seg + best - 1) / best * best) best = nb;
  return best;
}

template <typename T>
struct Tensors {
  const T *x, *w, *bias;
  T* y;
  Act act;
};

// Runs the batch `images` at a time (one launch unless the flattened indices would overflow int32).
template <typename T, typename K>
int32_t launch_batches(K kernel, const char* name, CtArgs a, int64_t n, int64_t images, int64_t per_image,
                       dim3 grid, size_t smem, const Tensors<T>& t, cudaStream_t s, denotrt_error* err) {
  const int64_t x_image = (int64_t)a.ih * a.iw * a.c, y_image = (int64_t)a.oh * a.ow * a.k;
  for (int64_t n0 = 0; n0 < n; n0 += images) {
    CtArgs ab = a;
    ab.total = (int32_t)((n - n0 < images ? n - n0 : images) * per_image);
    kernel<<<grid, kBlock, smem, s>>>(ab, t.x + n0 * x_image, t.w, t.bias, t.act, t.y + n0 * y_image);
    DT_LAUNCH_CHECK(err, name);
  }
  return DENOTRT_OK;
}

template <typename T, int V, int NB>
int32_t launch_tile(CtArgs a, int64_t n, int32_t group, const Tensors<T>& t, cudaStream_t s, denotrt_error* err) {
  a.tiles = (a.seg + NB - 1) / NB;
  // As many input channels as the 48 KB window holds next to the biases, a multiple of the load width.
  int32_t chunk = (int32_t)((kSmemLimit / (int)sizeof(float) - NB) / NB);
  chunk -= chunk % 8;
  a.chunk = a.cg < chunk ? a.cg : chunk;
  const int64_t combos = (int64_t)group * a.kh * a.tiles;
  if (combos > 65535) return DENOTRT_BAD_ARG(err, "dtops::conv_transpose_nhwc", "too many output tiles");
  const int64_t per_image = (int64_t)a.ih * a.iw, images = (INT32_MAX / 2) / per_image;
  const int64_t cap = ((int64_t)sm_count() * kBlocksPerSm + combos - 1) / combos;
  dim3 grid(capped_grid((images < n ? images : n) * per_image, cap), (unsigned)combos, 1);
  const size_t smem = (size_t)(NB + a.chunk * NB) * sizeof(float);
  return launch_batches(ct_nhwc_tile_kernel<T, V, NB>, "ct_nhwc_tile_kernel", a, n, images, per_image, grid, smem,
                        t, s, err);
}

template <typename T, int V>
int32_t launch_tile_width(const CtArgs& a, int64_t n, int32_t group, int32_t nb, const Tensors<T>& t,
                          cudaStream_t s, denotrt_error* err) {
  switch (nb) {
    case 2: return launch_tile<T, V, 2>(a, n, group, t, s, err);
    case 4: return launch_tile<T, V, 4>(a, n, group, t, s, err);
    case 8: return launch_tile<T, V, 8>(a, n, group, t, s, err);
    case 16: return launch_tile<T, V, 16>(a, n, group, t, s, err);
    case 24: return launch_tile<T, V, 24>(a, n, group, t, s, err);
    case 32: return launch_tile<T, V, 32>(a, n, group, t, s, err);
    case 48: return launch_tile<T, V, 48>(a, n, group, t, s, err);
    default: return launch_tile<T, V, 64>(a, n, group, t, s, err);
  }
}

template <typename T, int V>
int32_t launch_generic(CtArgs a, int64_t n, const Tensors<T>& t, cudaStream_t s, denotrt_error* err) {
  const int64_t filter = (int64_t)a.c * a.kg * a.kh * a.kw * (int64_t)sizeof(float);
  a.smem_w = filter <= kSmemLimit;
  const int64_t per_image = (int64_t)a.oh * a.ow * a.k, images = (INT32_MAX / 2) / per_image;
  dim3 grid(capped_grid((images < n ? images : n) * per_image, (int64_t)sm_count() * kBlocksPerSm), 1, 1);
  return launch_batches(ct_nhwc_generic_kernel<T, V>, "ct_nhwc_generic_kernel", a, n, images, per_image, grid,
                        a.smem_w ? (size_t)filter : 0, t, s, err);
}

// Whether each group's input channels are whole 16-byte vectors (then so are x's rows).
bool vector_channels(const ConvDesc& d, int32_t dtype) {
  return (d.c / d.group) % (16 / (dtype == DENOTRT_FLOAT32 ? 4 : 2)) == 0;
}

// The tile kernel for vector channels (the others, rare, take the generic kernel), else the generic kernel; each
// with the widest channel vector the group's channels and the pointers allow (16 bytes, else one element).
template <typename T>
int32_t launch_typed(const CtArgs& a, int64_t n, int32_t group, int32_t nb, const void* x, const void* w,
                     const void* bias, Act act, void* y, cudaStream_t s, denotrt_error* err) {
  constexpr int VW = 16 / sizeof(T);
  const Tensors<T> t{(const T*)x, (const T*)w, (const T*)bias, (T*)y, act};
  if (nb > 0) return launch_tile_width<T, VW>(a, n, group, nb, t, s, err);
  return a.cg % VW == 0 && aligned(x, 16) ? launch_generic<T, VW>(a, n, t, s, err)
                                          : launch_generic<T, 1>(a, n, t, s, err);
}

// Geometry checks shared by the launcher and the kernel-name query; fills d2 (the 2-D form) on success.
int32_t check_nhwc(const ConvDesc& d0, ConvDesc* d2, denotrt_error* err) {
  static const char* api = "dtops::conv_transpose_nhwc";
  if (d0.spatial != 1 && d0.spatial != 2)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "%d-D ConvTranspose", d0.spatial);
  if (d0.group <= 0 || d0.c % d0.group || d0.k % d0.group)
    return DENOTRT_BAD_ARG(err, api, "group %lld does not divide C %lld and K %lld", (long long)d0.group,
                           (long long)d0.c, (long long)d0.k);
  const ConvDesc d = conv_as_2d(d0);  // 1-D as a 2-D ConvTranspose over H = 1
  const int64_t big = INT32_MAX / 4;
  for (int i = 0; i < 2; ++i) {
    if (d.kernel[i] <= 0 || d.stride[i] <= 0 || d.dilation[i] <= 0 || d.in[i] < 0 || d.out[i] < 0)
      return DENOTRT_BAD_ARG(err, api, "kernel, stride and dilation must be positive");
    // Every index the kernels form in int32 (rows, columns, the window's reach, pads) stays in range.
    if (d.in[i] > big || d.out[i] > big || d.kernel[i] > big || d.stride[i] > big || d.dilation[i] > big ||
        d.pad_begin[i] > big || d.pad_begin[i] < -big || (d.kernel[i] - 1) * d.dilation[i] > big)
      return DENOTRT_BAD_ARG(err, api, "geometry too large for the ConvTranspose kernels");
  }
  if (d.c > big || d.k > big || d.n > INT32_MAX || d.kernel[0] * d.kernel[1] > big ||
      d.out[0] * d.out[1] * d.k > INT32_MAX / 2 || d.in[0] * d.in[1] > INT32_MAX / 2 ||
      d.in[0] * d.in[1] * d.c > big * 4 || d.c * (d.k / d.group) * d.kernel[0] * d.kernel[1] > big * 4)
    return DENOTRT_BAD_ARG(err, api, "geometry too large for the ConvTranspose kernels");
  *d2 = d;
  return DENOTRT_OK;
}

}  // namespace

int32_t conv_transpose(int32_t dtype, const ConvDesc& d0, const void* x, const void* w, const void* bias, Act act,
                       void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::conv_transpose";
  ConvDesc d = conv_as_2d(d0);  // 1-D as a 2-D conv over H = 1
  if (d.spatial != 2) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "%d-D ConvTranspose", d0.spatial);
  if (d.group <= 0 || d.c % d.group || d.k % d.group) return DENOTRT_BAD_ARG(err, api, "bad group count");
  for (int i = 0; i < 2; ++i)
    if (d.kernel[i] <= 0 || d.stride[i] <= 0 || d.dilation[i] <= 0)
      return DENOTRT_BAD_ARG(err, api, "kernel, stride and dilation must be positive");
  int64_t n = d.n * d.k * d.out[0] * d.out[1];
  if (n <= 0) return DENOTRT_OK;
  const bool small = n < INT32_MAX && d.n * d.c * d.in[0] * d.in[1] < INT32_MAX;
  if (small) {
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      conv_transpose2d_kernel<T, int32_t><<<grid_for(n), 256, 0, s>>>(
                          d, (const T*)x, (const T*)w, (const T*)bias, act, (T*)y, (int32_t)n));
  } else {
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      conv_transpose2d_kernel<T, int64_t><<<grid_for(n), 256, 0, s>>>(
                          d, (const T*)x, (const T*)w, (const T*)bias, act, (T*)y, n));
  }
  DT_LAUNCH_CHECK(err, "conv_transpose2d_kernel");
  return DENOTRT_OK;
}

int32_t conv_transpose_nhwc(int32_t dtype, const ConvDesc& d0, const void* x, const void* w, const void* bias,
                            Act act, void* y, cudaStream_t s, denotrt_error* err, int32_t tile_width_override) {
  static const char* api = "dtops::conv_transpose_nhwc";
  ConvDesc d;
  const int32_t checked = check_nhwc(d0, &d, err);
  if (checked != DENOTRT_OK) return checked;
  if (d.n <= 0 || d.out[0] == 0 || d.out[1] == 0 || d.k == 0) return DENOTRT_OK;
  CtArgs a{};
  a.c = (int32_t)d.c, a.k = (int32_t)d.k, a.cg = (int32_t)(d.c / d.group), a.kg = (int32_t)(d.k / d.group);
  a.ih = (int32_t)d.in[0], a.iw = (int32_t)d.in[1], a.oh = (int32_t)d.out[0], a.ow = (int32_t)d.out[1];
  a.kh = (int32_t)d.kernel[0], a.kw = (int32_t)d.kernel[1], a.sh = (int32_t)d.stride[0], a.sw = (int32_t)d.stride[1];
  a.dh = (int32_t)d.dilation[0], a.dw = (int32_t)d.dilation[1];
  a.ph = (int32_t)d.pad_begin[0], a.pw = (int32_t)d.pad_begin[1];
  a.seg = a.kw * a.kg;
  // No input (C = 0 or an empty map) leaves act(bias) everywhere: the generic kernel writes it.
  const bool tiling = is_tiling(d) && a.cg > 0 && a.ih > 0 && a.iw > 0 && vector_channels(d, dtype) && aligned(x, 16);
  int32_t nb = tiling ? tile_width(a.seg) : 0;
  if (tiling && tile_width_override > 0) {
    static const int widths[] = {2, 4, 8, 16, 24, 32, 48, 64};
    bool known = false;
    for (int v : widths) known |= v == tile_width_override;
    if (!known) return DENOTRT_BAD_ARG(err, api, "tile width %d is not one of 2, 4, 8, 16, 24, 32, 48, 64",
                                       (int)tile_width_override);
    nb = tile_width_override;
  }
  int32_t rc = DENOTRT_OK;
  DT_DISPATCH_FLOAT(dtype, T, api, err, rc = launch_typed<T>(a, d.n, (int32_t)d.group, nb, x, w, bias, act, y, s, err));
  return rc;
}

const char* conv_transpose_nhwc_kernel(int32_t dtype, const ConvDesc& d0) {
  ConvDesc d;
  denotrt_error ignored;
  if (check_nhwc(d0, &d, &ignored) != DENOTRT_OK) return "dtops_conv_transpose_nhwc";
  // The executor's buffers are 256-byte aligned: the channel count alone decides the vector path.
  return is_tiling(d) && d.c > 0 && d.in[0] > 0 && d.in[1] > 0 && vector_channels(d, dtype)
             ? "dtops_conv_transpose_nhwc_tile"
             : "dtops_conv_transpose_nhwc_generic";
}

}  // namespace dtops
