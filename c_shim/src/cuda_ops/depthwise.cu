// Depthwise convolution (group == C == K) on channels-last tensors with the fused bias + residual + activation
// epilogue: MobileNet's and EfficientNet's 3x3/5x5 per-channel convs, ConvNeXt's 7x7. cuDNN runs these NHWC shapes
// on a generic engine many times slower than memory, yet a depthwise conv does only kh*kw FMAs per element it
// reads, so it is memory-bound and this kernel is laid out for bandwidth:
//  - threadIdx.x walks channel vectors (16 bytes: 8 halves or 4 floats, when C allows), so every load and store of
//    a warp covers whole 32-byte sectors of one pixel's channels, contiguous along C;
//  - each thread computes TW adjacent output pixels of one row for its channel vector, so the (TW-1)*stride+kw input
//    columns of a kernel row are loaded once into registers and reused by every tap that touches them;
//  - where registers allow (3x3), the loads of several kernel rows are issued together before any is used,
//    so a strip waits for one memory latency, not one per row (Config below says what was measured);
//  - the block's filter slice is staged once in shared memory as fp32 [tap][channel] (the filter is [C, kh, kw],
//    strided along C) with 16-byte loads all in flight at once, then each kernel row's taps are read as vectors;
//  - threadIdx.y and a grid-stride loop walk output strips in (n, oh, ow) order, so blocks running together share
//    input rows in L1/L2 and each input byte comes from HBM about once.
// The unrolled kernel covers dilation 1 along W, kw in {3, 5, 7}, kh <= kw and stride 1 or 2 along W (H's stride
// and dilation stay run-time values); anything else (dilations along W, other kernel widths, huge filters) takes
// the generic kernel: one output pixel per thread, same channel vectors and epilogue.
#include <type_traits>

#include "act.cuh"
#include "launch_info.h"
#include "vector_io.h"

namespace dtops {
namespace {

constexpr int kBlock = 256;               // threads per block (tx channel vectors x by strips)
constexpr int kSmemLimit = 48 * 1024;     // the static shared-memory window: no cudaFuncSetAttribute needed

struct DwArgs {
  int32_t c, ih, iw, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
  int32_t strips;   // output strips per row: ceil(ow / TW)
  int32_t tx;       // channel vectors per block (blockDim.x); the block stages tx * V channels of the filter
  int32_t smem_w;   // 1: the filter slice is staged in shared memory; 0: read from global (generic kernel only)
  int32_t total;    // strips in this launch: images * oh * strips
};

// The block's filter slice, channels [c0, c0 + cpb) clipped to C, as fp32 [tap][channel]. The slice is contiguous
// in the [C, kh, kw] filter, so it is read as 16-byte vectors (when aligned), four per thread in flight before the
// first transposed store: a block's start then costs one memory latency, not one per element it stages. Only the
// block's real channels are written (threads past C never read). Every thread must call it (it ends in a barrier).
template <typename T>
__device__ __forceinline__ void stage_weights(float* sw, const T* w, int32_t taps, int32_t c0, int32_t cpb,
                                              int32_t c) {
  constexpr int VW = 16 / sizeof(T);
  constexpr int kInFlight = 4;
  const int32_t nch = c - c0 < cpb ? c - c0 : cpb;
  const int32_t n = taps * nch, nt = blockDim.x * blockDim.y, tid = threadIdx.y * blockDim.x + threadIdx.x;
  const T* src = w + (int64_t)c0 * taps;
  int32_t done = 0;
  if (((uintptr_t)src & 15) == 0) {
    const int32_t nv = n / VW;
    const uint4* s16 = reinterpret_cast<const uint4*>(src);
    for (int32_t i0 = tid; i0 < nv; i0 += kInFlight * nt) {
      uint4 v[kInFlight];
#pragma unroll
      for (int k = 0; k < kInFlight; ++k)
        if (i0 + k * nt < nv) v[k] = __ldg(s16 + i0 + k * nt);
#pragma unroll
      for (int k = 0; k < kInFlight; ++k) {
        if (i0 + k * nt >= nv) break;
        const T* t = reinterpret_cast<const T*>(&v[k]);
        const int32_t e = (i0 + k * nt) * VW;
        int32_t ch = e / taps, tap = e - ch * taps;
#pragma unroll
        for (int u = 0; u < VW; ++u) {
          sw[tap * cpb + ch] = to_f(t[u]);
          if (++tap == taps) tap = 0, ++ch;
        }
      }
    }
    done = nv * VW;
  }
  for (int32_t i0 = done + tid; i0 < n; i0 += kInFlight * nt) {  // the unaligned slice or the tail
    float v[kInFlight];
#pragma unroll
    for (int k = 0; k < kInFlight; ++k)
      if (i0 + k * nt < n) v[k] = to_f(src[i0 + k * nt]);
#pragma unroll
    for (int k = 0; k < kInFlight; ++k) {
      const int32_t i = i0 + k * nt;
      if (i >= n) break;
      const int32_t ch = i / taps;
      sw[(i - ch * taps) * cpb + ch] = v[k];
    }
  }
  __syncthreads();
}

template <typename T, int V>
__device__ __forceinline__ void load_bias(const T* bias, int32_t c, float (&b)[V]) {
#pragma unroll
  for (int i = 0; i < V; ++i) b[i] = bias ? to_f(bias[c + i]) : 0.f;  // scalar: bias needs no alignment
}

// The activations the kernels compile in (each call site dispatches once per strip, so a warp's choice is uniform);
// any other goes through one out-of-line call per element. Inlining apply_act's whole switch per element made the
// unrolled kernel's code outgrow the instruction cache: on MobileNetV3's 72 ch 3x3 at b32 the warps' top stalls were
// "no instruction" and the kernel ran 84 instructions per output element for 9 FMAs (ncu on the H200).
template <int OP>
__device__ __forceinline__ float act_ct(float v, const Act& a) {
  if (OP < 0) return apply_act_call(v, a);
  return apply_act(v, Act{OP, a.alpha, a.beta});  // a constant op: the switch folds away
}

// Calls f(std::integral_constant<int, OP>) with OP = act.op when it is one of the compiled-in activations, else -1.
template <typename F>
__device__ __forceinline__ void with_act(const Act& act, F&& f) {
  switch (act.op) {
    case U_IDENTITY: f(std::integral_constant<int, U_IDENTITY>()); break;
    case U_RELU: f(std::integral_constant<int, U_RELU>()); break;
    case U_HARDSWISH: f(std::integral_constant<int, U_HARDSWISH>()); break;
    case U_SILU: f(std::integral_constant<int, U_SILU>()); break;
    case U_CLIP: f(std::integral_constant<int, U_CLIP>()); break;
    default: f(std::integral_constant<int, -1>()); break;
  }
}

// y = act(acc + bias + residual) for one output pixel's channel vector.
template <int OP, typename T, int V>
__device__ __forceinline__ void epilogue(float (&v)[V], const float (&b)[V], const T* res, int64_t off, const Act& act,
                                         T* y) {
#pragma unroll
  for (int i = 0; i < V; ++i) v[i] += b[i];
  if (res) {
    float r[V];
    load_vec<T, V>(res + off, r);
#pragma unroll
    for (int i = 0; i < V; ++i) v[i] += r[i];
  }
#pragma unroll
  for (int i = 0; i < V; ++i) v[i] = act_ct<OP>(v[i], act);
  store_vec<T, V>(y + off, v);
}

// The unrolled kernel: kw == KW taps along W (dilation 1), kh <= KW rows (any row dilation), stride SW along W, TW
// output pixels per thread. Rows are fetched RB at a time: all RB * NJ vector loads of a batch are issued before
// any is used, so a strip waits for ceil(kh / RB) memory latencies instead of kh. Loads stay packed (4 registers
// per 16 bytes) until used.
template <typename T, int V, int KW, int SW, int TW, int RB, int MINB>
__global__ void __launch_bounds__(kBlock, MINB)
    dw_nhwc_kernel(DwArgs a, const T* __restrict__ x, const T* __restrict__ w, const T* __restrict__ bias,
                   const T* __restrict__ res, Act act, T* __restrict__ y) {
  typedef typename Raw<V * sizeof(T)>::type R;
  extern __shared__ float4 smem4[];
  float* sw = reinterpret_cast<float*>(smem4);  // [kh * KW][tx * V]
  const int32_t cpb = a.tx * V, c0 = blockIdx.y * cpb;
  stage_weights(sw, w, a.kh * KW, c0, cpb, a.c);
  const int32_t cl = threadIdx.x * V, c = c0 + cl;
  if (c >= a.c) return;  // past C in the last channel block (after the barrier)
  float b[V];
  load_bias<T, V>(bias, c, b);
  constexpr int NJ = (TW - 1) * SW + KW;  // input columns one strip reads per kernel row
  const int64_t row_elems = (int64_t)a.iw * a.c;
  for (int32_t st = blockIdx.x * blockDim.y + threadIdx.y; st < a.total; st += gridDim.x * blockDim.y) {
    const int32_t ows = st % a.strips, rem = st / a.strips, oh = rem % a.oh, n = rem / a.oh;
    const int32_t ow0 = ows * TW, iw0 = ow0 * SW - a.pw, ih0 = oh * a.sh - a.ph;
    const T* xn = x + (int64_t)n * a.ih * row_elems + c;
    float acc[TW][V];
#pragma unroll
    for (int o = 0; o < TW; ++o)
#pragma unroll
      for (int i = 0; i < V; ++i) acc[o][i] = 0.f;
#pragma unroll
    for (int r0 = 0; r0 < KW; r0 += RB) {
      if (r0 >= a.kh) break;
      // Taps outside the image read zeros (the pads), so the FMAs below run unconditionally: per-column branches
      // cost more than the FMAs they skip. Rows past kh stay skipped (their filter rows are not staged).
      R raw[RB][NJ];
#pragma unroll
      for (int rr = 0; rr < RB; ++rr) {
        const int32_t r = r0 + rr, ih = ih0 + r * a.dh;
        const bool row_ok = r < KW && r < a.kh && (unsigned)ih < (unsigned)a.ih;
        const T* xr = xn + ih * row_elems;
#pragma unroll
        for (int j = 0; j < NJ; ++j)
          raw[rr][j] = row_ok && (unsigned)(iw0 + j) < (unsigned)a.iw
                           ? __ldg(reinterpret_cast<const R*>(xr + (int64_t)(iw0 + j) * a.c))
                           : R{};
      }
#pragma unroll
      for (int rr = 0; rr < RB; ++rr) {
        if (r0 + rr >= KW || r0 + rr >= a.kh) continue;  // uniform across the block
        float wr[KW][V];
        const float* wp = sw + (r0 + rr) * KW * cpb + cl;
#pragma unroll
        for (int q = 0; q < KW; ++q) lds_vec<V>(wp + q * cpb, wr[q]);
#pragma unroll
        for (int j = 0; j < NJ; ++j) {
          float xv[V];
          unpack<T, V>(raw[rr][j], xv);
          // Column j feeds output o through tap q when j == o * SW + q.
#pragma unroll
          for (int q = 0; q < KW; ++q) {
            const int d = j - q;
            if (d >= 0 && d % SW == 0 && d / SW < TW) {
#pragma unroll
              for (int i = 0; i < V; ++i) acc[d / SW][i] = fmaf(xv[i], wr[q][i], acc[d / SW][i]);
            }
          }
        }
      }
    }
    const int64_t ybase = (((int64_t)n * a.oh + oh) * a.ow + ow0) * a.c + c;
    with_act(act, [&](auto op) {
#pragma unroll
      for (int o = 0; o < TW; ++o)
        if (ow0 + o < a.ow) epilogue<decltype(op)::value, T, V>(acc[o], b, res, ybase + (int64_t)o * a.c, act, y);
    });
  }
}

// Any kernel size, stride and dilation: one output pixel per thread; the filter from shared memory when it fits,
// else straight from global memory (a kernel of more than ~1500 taps).
template <typename T, int V>
__global__ void __launch_bounds__(kBlock) dw_nhwc_generic_kernel(DwArgs a, const T* __restrict__ x,
                                                                 const T* __restrict__ w, const T* __restrict__ bias,
                                                                 const T* __restrict__ res, Act act,
                                                                 T* __restrict__ y) {
  extern __shared__ float4 smem4[];
  float* sw = reinterpret_cast<float*>(smem4);
  const int32_t cpb = a.tx * V, c0 = blockIdx.y * cpb, taps = a.kh * a.kw;
  if (a.smem_w) stage_weights(sw, w, taps, c0, cpb, a.c);  // a.smem_w is uniform: every thread reaches the barrier
  const int32_t cl = threadIdx.x * V, c = c0 + cl;
  if (c >= a.c) return;
  float b[V];
  load_bias<T, V>(bias, c, b);
  const int64_t row_elems = (int64_t)a.iw * a.c;
  for (int32_t st = blockIdx.x * blockDim.y + threadIdx.y; st < a.total; st += gridDim.x * blockDim.y) {
    const int32_t ow = st % a.ow, rem = st / a.ow, oh = rem % a.oh, n = rem / a.oh;
    float acc[V];
#pragma unroll
    for (int i = 0; i < V; ++i) acc[i] = 0.f;
    for (int32_t r = 0; r < a.kh; ++r) {
      const int32_t ih = oh * a.sh - a.ph + r * a.dh;
      if ((unsigned)ih >= (unsigned)a.ih) continue;
      const T* xr = x + ((int64_t)n * a.ih + ih) * row_elems + c;
      for (int32_t q = 0; q < a.kw; ++q) {
        const int32_t iw = ow * a.sw - a.pw + q * a.dw;
        if ((unsigned)iw >= (unsigned)a.iw) continue;
        float xv[V], wv[V];
        load_vec<T, V>(xr + (int64_t)iw * a.c, xv);
        const int32_t tap = r * a.kw + q;
        if (a.smem_w) {
          lds_vec<V>(sw + tap * cpb + cl, wv);
        } else {
#pragma unroll
          for (int i = 0; i < V; ++i) wv[i] = to_f(w[(int64_t)(c + i) * taps + tap]);
        }
#pragma unroll
        for (int i = 0; i < V; ++i) acc[i] = fmaf(xv[i], wv[i], acc[i]);
      }
    }
    const int64_t off = (((int64_t)n * a.oh + oh) * a.ow + ow) * a.c + c;
    with_act(act, [&](auto op) { epilogue<decltype(op)::value, T, V>(acc, b, res, off, act, y); });
  }
}

struct Launch {
  dim3 grid, block;
  size_t smem;
  int32_t batch;  // images per launch: strip indices stay within int32
};

// Block shape, grid and shared memory for V-wide channel vectors over `strips` strips per output row. Channel
// blocks are balanced (120 vectors run as 4 x 30, not 32+32+32+24); tx shrinks until the filter slice fits the
// 48 KB window. need_smem: the kernel cannot read the filter from global (the unrolled one); returns false when
// even one channel vector's slice does not fit, or the channel blocks overflow gridDim.y.
// The grid holds one wave of resident blocks (blocks_per_sm each, from the occupancy query) and walks the rest with
// its grid-stride loop: a block stages its filter slice once for many strips, and on the H200 this beat two waves
// or more by 10-25% on MobileNetV3's b32 shapes.
template <typename K>
bool plan_launch(K kernel, DwArgs* a, int V, int64_t n, int32_t strips, bool need_smem, int threads, Launch* l) {
  const int32_t cv = a->c / V, taps = a->kh * a->kw;
  const int64_t slice = (int64_t)taps * V * (int64_t)sizeof(float);  // bytes per channel vector
  int32_t groups = (cv + 31) / 32, tx = (cv + groups - 1) / groups;
  if ((int64_t)tx * slice > kSmemLimit) {
    tx = (int32_t)(kSmemLimit / slice);
    if (tx < 1) {
      if (need_smem) return false;
      tx = cv < 32 ? cv : 32;
    }
    groups = (cv + tx - 1) / tx;
    tx = (cv + groups - 1) / groups;
  }
  if (groups > 65535) return false;  // gridDim.y
  a->smem_w = (int64_t)tx * slice <= kSmemLimit;
  a->tx = tx;
  a->strips = strips;
  const int64_t per_image = (int64_t)a->oh * strips;
  const int64_t max_strips = INT32_MAX / 2;  // st + the grid's stride never overflows in the kernel's loop
  l->batch = (int32_t)(n < max_strips / per_image ? n : max_strips / per_image);
  a->total = (int32_t)(l->batch * per_image);
  const int32_t by = threads / tx > 0 ? threads / tx : 1;
  int64_t gx = (a->total + by - 1) / by;
  l->block = dim3((unsigned)tx, (unsigned)by, 1);
  l->smem = a->smem_w ? (size_t)(tx * slice) : 0;
  const int64_t resident = (int64_t)sm_count() * resident_blocks(kernel, tx * by, l->smem);
  const int64_t cap = (resident + groups - 1) / groups;
  if (gx > cap) gx = cap;
  if (gx < 1) gx = 1;
  l->grid = dim3((unsigned)gx, (unsigned)groups, 1);
  return true;
}

// The conv's tensors and epilogue, advanced image by image when a launch covers only part of the batch.
template <typename T>
struct Tensors {
  const T *x, *w, *bias, *res;
  T* y;
  Act act;
};

// Runs `kernel` over the batch, `l.batch` images per launch (one launch unless the strips overflow int32).
template <typename T, typename K>
int32_t launch_batches(K kernel, const char* name, DwArgs a, const Launch& l, int64_t n, const Tensors<T>& t,
                       cudaStream_t s, denotrt_error* err) {
  const int64_t x_image = (int64_t)a.ih * a.iw * a.c, y_image = (int64_t)a.oh * a.ow * a.c;
  for (int64_t n0 = 0; n0 < n; n0 += l.batch) {
    DwArgs ab = a;
    if (n - n0 < l.batch) ab.total = (int32_t)((n - n0) * a.oh * a.strips);
    kernel<<<l.grid, l.block, l.smem, s>>>(ab, t.x + n0 * x_image, t.w, t.bias, t.res ? t.res + n0 * y_image : nullptr,
                                           t.act, t.y + n0 * y_image);
    DT_LAUNCH_CHECK(err, name);
  }
  return DENOTRT_OK;
}

// The unrolled kernel's shape, by kernel width and stride: TW output pixels per thread, RB kernel rows per batch of
// loads, MINB blocks per SM the registers must allow (__launch_bounds__), THREADS per block, NARROW: 8-byte channel
// vectors instead of 16 (half the registers per thread, twice the threads). Chosen on the H200 from fp16
// MobileNetV3 shapes at batch 32 with the activation compiled in, pads read as zeros and one wave of resident blocks
// (medians, us; tests/gpu/native/depthwise_tune.cu, 2026-11-25):
//  3x3/1: 16-byte vectors, TW 2, all 3 rows at once (117 registers, 2 blocks per SM): 16 ch 112x112 18.8,
//         72 ch 56x56 23.8, 672 ch 14x14 15.0 (8-byte vectors at 4 blocks per SM: 21.7, 24.6, 16.3; TW 4: 19.5,
//         21.5, 16.1);
//  3x3/2: the same capped at 128 registers: 64 ch 112->56 24.2, 240 ch 28->14 10.8;
//  5x5/1: 16-byte vectors, TW 2, one row at a time (116 registers): 120 ch 28x28 23.0, 672 ch 14x14 25.1,
//         960 ch 7x7 15.4 (8-byte vectors at 4 blocks per SM: 24.7, 30.6, 18.0);
//  5x5/2: 8-byte vectors, TW 2, one row at a time, 4 blocks per SM: 72 ch 56->28 19.3, 672 ch 14->7 16.7
//         (16-byte vectors, TW 1, 3 rows: 29.9, 15.8);
//  7x7 (ConvNeXt; not tuned): 16-byte vectors, one row at a time.
template <int KW, int SW> struct Config {
  static constexpr int TW = SW == 1 ? 2 : 1, RB = 1, MINB = 1, THREADS = kBlock, NARROW = 0;
};
template <> struct Config<3, 1> {
  static constexpr int TW = 2, RB = 3, MINB = 1, THREADS = kBlock, NARROW = 0;
};
template <> struct Config<3, 2> {
  static constexpr int TW = 2, RB = 3, MINB = 2, THREADS = kBlock, NARROW = 0;
};
template <> struct Config<5, 2> {
  static constexpr int TW = 2, RB = 1, MINB = 4, THREADS = kBlock, NARROW = 1;
};

template <typename T, int V, int KW, int SW, int TW, int RB, int MINB, int THREADS>
int32_t launch_unrolled(DwArgs a, int64_t n, const Tensors<T>& t, cudaStream_t s, denotrt_error* err,
                        bool* launched) {
  Launch l;
  const auto kernel = dw_nhwc_kernel<T, V, KW, SW, TW, RB, MINB>;
  if (!plan_launch(kernel, &a, V, n, (a.ow + TW - 1) / TW, true, THREADS, &l)) return DENOTRT_OK;  // not launched
  *launched = true;
  return launch_batches(kernel, "dw_nhwc_kernel", a, l, n, t, s, err);
}

template <typename T, int V, int KW, int SW>
int32_t launch_config(DwArgs a, int64_t n, const Tensors<T>& t, cudaStream_t s, denotrt_error* err, bool* launched) {
  typedef Config<KW, SW> C;
  // A narrow config halves a 16-byte vector; V / 2 divides C and the pointers' alignment wherever V does.
  constexpr int VU = C::NARROW && V * sizeof(T) == 16 ? V / 2 : V;
  return launch_unrolled<T, VU, KW, SW, C::TW, C::RB, C::MINB, C::THREADS>(a, n, t, s, err, launched);
}

template <typename T, int V, int KW>
int32_t launch_kw(DwArgs a, int64_t n, const Tensors<T>& t, cudaStream_t s, denotrt_error* err, bool* launched) {
  return a.sw == 1 ? launch_config<T, V, KW, 1>(a, n, t, s, err, launched)
                   : launch_config<T, V, KW, 2>(a, n, t, s, err, launched);
}

template <typename T, int V>
int32_t launch_vec(DwArgs a, int64_t n, const Tensors<T>& t, cudaStream_t s, denotrt_error* err) {
  bool launched = false;
  int32_t rc = DENOTRT_OK;
  if (a.dw == 1 && (a.sw == 1 || a.sw == 2) && a.kh <= a.kw) {
    switch (a.kw) {
      case 3: rc = launch_kw<T, V, 3>(a, n, t, s, err, &launched); break;
      case 5: rc = launch_kw<T, V, 5>(a, n, t, s, err, &launched); break;
      case 7: rc = launch_kw<T, V, 7>(a, n, t, s, err, &launched); break;
      default: break;
    }
  }
  if (rc != DENOTRT_OK || launched) return rc;
  Launch l;
  if (!plan_launch(dw_nhwc_generic_kernel<T, V>, &a, V, n, a.ow, false, kBlock, &l))
    return DENOTRT_BAD_ARG(err, "dtops::depthwise_conv_nhwc", "%d channels need more than 65535 channel blocks", a.c);
  return launch_batches(dw_nhwc_generic_kernel<T, V>, "dw_nhwc_generic_kernel", a, l, n, t, s, err);
}

bool aligned(const void* p, size_t bytes) { return p == nullptr || ((uintptr_t)p % bytes) == 0; }

// The widest channel vector C and the pointers allow: 16 bytes (8 halves, 4 floats), else 2 elements, else 1.
template <typename T>
int32_t launch_typed(const DwArgs& a, int64_t n, const void* x, const void* w, const void* bias, const void* res,
                     Act act, void* y, cudaStream_t s, denotrt_error* err) {
  constexpr int VW = 16 / sizeof(T);
  const Tensors<T> t{(const T*)x, (const T*)w, (const T*)bias, (const T*)res, (T*)y, act};
  auto fits = [&](int v) {
    size_t bytes = (size_t)v * sizeof(T);
    return a.c % v == 0 && aligned(x, bytes) && aligned(y, bytes) && aligned(res, bytes);
  };
  if (fits(VW)) return launch_vec<T, VW>(a, n, t, s, err);
  if (fits(2)) return launch_vec<T, 2>(a, n, t, s, err);
  return launch_vec<T, 1>(a, n, t, s, err);
}

}  // namespace

int32_t depthwise_conv_nhwc(int32_t dtype, const ConvDesc& d0, const void* x, const void* w, const void* bias,
                            const void* residual, Act act, void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::depthwise_conv_nhwc";
  if (d0.group <= 0 || d0.group != d0.c || d0.k != d0.c || (d0.spatial != 1 && d0.spatial != 2))
    return DENOTRT_UNSUPPORTED;  // not depthwise: the caller takes another path
  const ConvDesc d = conv_as_2d(d0);  // 1-D as a 2-D conv over H = 1
  const int64_t big = INT32_MAX / 4;
  for (int i = 0; i < 2; ++i) {
    if (d.kernel[i] <= 0 || d.stride[i] <= 0 || d.dilation[i] <= 0 || d.in[i] <= 0 || d.out[i] < 0)
      return DENOTRT_BAD_ARG(err, api, "kernel, stride, dilation and input size must be positive");
    // Every index the kernels form in int32 (rows, columns, the window's reach, pads, taps) stays in range.
    if (d.in[i] > big || d.out[i] > big || d.kernel[i] > big || d.dilation[i] > big || d.stride[i] > big ||
        d.pad_begin[i] > big || d.pad_begin[i] < -big ||
        (d.out[i] > 0 && (d.out[i] - 1) * d.stride[i] + (d.kernel[i] - 1) * d.dilation[i] > big))
      return DENOTRT_BAD_ARG(err, api, "geometry too large for the depthwise kernel");
  }
  if (d.kernel[0] * d.kernel[1] > (1 << 22) || d.out[0] * d.out[1] > INT32_MAX / 2 || d.c > INT32_MAX ||
      d.n > INT32_MAX)
    return DENOTRT_BAD_ARG(err, api, "geometry too large for the depthwise kernel");
  if (d.n <= 0 || d.out[0] == 0 || d.out[1] == 0 || d.c == 0) return DENOTRT_OK;
  DwArgs a{};
  a.c = (int32_t)d.c;
  a.ih = (int32_t)d.in[0], a.iw = (int32_t)d.in[1], a.oh = (int32_t)d.out[0], a.ow = (int32_t)d.out[1];
  a.kh = (int32_t)d.kernel[0], a.kw = (int32_t)d.kernel[1], a.sh = (int32_t)d.stride[0], a.sw = (int32_t)d.stride[1];
  a.dh = (int32_t)d.dilation[0], a.dw = (int32_t)d.dilation[1];
  a.ph = (int32_t)d.pad_begin[0], a.pw = (int32_t)d.pad_begin[1];
  int32_t rc = DENOTRT_OK;
  DT_DISPATCH_FLOAT(dtype, T, api, err, rc = launch_typed<T>(a, d.n, x, w, bias, residual, act, y, s, err));
  return rc;
}

}  // namespace dtops
