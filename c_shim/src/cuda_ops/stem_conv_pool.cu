// The ResNet stem (Conv 7x7/2 pad 3 on 3 channels + bias + Relu, then MaxPool 3x3/2 pad 1) as one kernel.
// Why: at batch 128 on the H200 cuDNN's best stem conv took 0.29 ms, the pool 0.11 ms and the input's cast 0.05 ms,
// 13% of ResNet-50, almost all of it the conv's [N, 112, 112, 64] output going to HBM and back (205 MB each way at
// b128); at batch 1 the three are 61 kernels' slowest few (25 us). Here the conv's output never leaves the SM:
//  - a block owns a PHxPW tile of pool outputs (all 64 channels) and computes the (2PH+1)x(2PW+1) conv pixels under
//    it (the pool's halo recomputed: 13% more conv work at 8x8) into shared memory, then pools from there;
//  - the conv is an implicit GEMM on tensor cores (mma.sync m16n8k16, fp32 accumulators): M = conv pixels, N = 64
//    channels, K = one kernel row at a time as 8 columns x 4 channels (32 halves; column 7 and channel >= C carry
//    zero weights). With channels padded to 4 halves in shared memory, a pixel's K slice for one kernel row is 32
//    contiguous halves starting on a 16-byte boundary (stride 2 = 8 halves per output pixel), so ldmatrix loads the
//    A fragments straight from the input tile: no im2col. K = 224 of which 147 are real: the tensor cores have room;
//    what the stem lacks is memory traffic, and this layout keeps it at one read of the input and one write of the
//    pooled output;
//  - bias and Relu are applied before the pool (max commutes with both), and conv pixels outside the image are
//    stored as 0: after a Relu every window's max is >= 0 and every window holds at least one real pixel, so the
//    pool's padding needs no test;
//  - the input is read either as NHWC fp16 or as the graph's own NCHW fp32 (rounded to fp16 as the Cast it
//    replaces would), so the input's cast-and-transpose kernel does not run either;
//  - blocks are persistent (one wave of resident blocks, grid-stride over tiles): the 29 KB filter is staged once.
#include <atomic>

#include "launch_info.h"
#include "mma.cuh"
#include "util.cuh"

namespace dtops {
namespace {

constexpr int kTiles = 2;  // the tile configurations stem_conv_pool's `tile` selects
constexpr int kWarpsM = 4;                  // warps along M (conv pixels); WN warps along N (64 / WN channels each)
constexpr int kRowK = 32;                   // K per kernel row: 8 columns x 4 channels
constexpr int kKTotal = 7 * kRowK;          // 224
constexpr int kBRow = kKTotal + 8;          // filter row in shared memory, in halves: +16 bytes so the 8 rows an
                                            // ldmatrix reads fall in different banks

template <int PH, int PW, int WN>
struct Tile {
  static constexpr int THREADS = 32 * kWarpsM * WN;
  static constexpr int NTW = kStemChannels / 8 / WN;       // n-tiles of 8 channels per warp
  static constexpr int CH = 2 * PH + 1, CW = 2 * PW + 1;  // conv pixels under the pool tile, halo included
  static constexpr int M = CH * CW;
  static constexpr int MT = (M + 15) / 16;                // m-tiles of 16 conv pixels
  static constexpr int MT_WARP = (MT + kWarpsM - 1) / kWarpsM;  // per warp
  static constexpr int IH = 2 * (CH - 1) + 7;             // input rows the conv tile reads
  static constexpr int IW = 2 * (CW - 1) + 8;             // input columns, +1 for kx = 7 (zero weight, finite data)
  static constexpr int IROW = IW * 4 + 8;                 // input row in halves (4 channels per pixel), padded
  static constexpr int OROW = kStemChannels + 8;          // conv-output row in halves, padded
  static constexpr int IN_HALVES = IH * IROW;
  static constexpr int OUT_HALVES = M * OROW;
  static constexpr int UNION_HALVES = IN_HALVES > OUT_HALVES ? IN_HALVES : OUT_HALVES;
  static constexpr size_t SMEM = (size_t)(kStemChannels * kBRow + UNION_HALVES) * sizeof(__half);
};

struct StemArgs {
  int32_t n, h, w, c;  // input
  int32_t ch, cw;      // conv output
  int32_t ph, pw;      // pool output
  int32_t tiles_h, tiles_w;
  int64_t tiles;
};

// One input pixel's channels (up to 4; channels >= C and pixels outside the image are 0), loaded as they lie.
template <int INPUT>
__device__ __forceinline__ void load_pixel(float (&v)[4], const void* __restrict__ x, const StemArgs& a, int64_t img,
                                           int iy, int ix) {
  v[0] = v[1] = v[2] = v[3] = 0.f;
  if (iy < 0 || iy >= a.h || ix < 0 || ix >= a.w) return;
  if (INPUT == STEM_NHWC_F16) {
    const __half* p = static_cast<const __half*>(x) + ((img * a.h + iy) * a.w + ix) * a.c;
#pragma unroll
    for (int ch = 0; ch < 4; ++ch)
      if (ch < a.c) v[ch] = __half2float(__ldg(p + ch));
  } else {
    const int64_t plane = (int64_t)a.h * a.w;
    const float* p = static_cast<const float*>(x) + img * a.c * plane + (int64_t)iy * a.w + ix;
#pragma unroll
    for (int ch = 0; ch < 4; ++ch)
      if (ch < a.c) v[ch] = __ldg(p + ch * plane);
  }
}

__device__ __forceinline__ uint2 pack4(const float (&v)[4]) {
  __half2 lo = __floats2half2_rn(v[0], v[1]), hi = __floats2half2_rn(v[2], v[3]);
  return make_uint2(*reinterpret_cast<uint32_t*>(&lo), *reinterpret_cast<uint32_t*>(&hi));
}

template <int PH, int PW, int INPUT, int WN>
__global__ void __launch_bounds__(32 * kWarpsM * WN, 2)
    stem_conv_pool_kernel(StemArgs a, const void* __restrict__ x, const __half* __restrict__ w,
                          const __half* __restrict__ bias, __half* __restrict__ y) {
  using T = Tile<PH, PW, WN>;
  constexpr int kThreads = T::THREADS, NTW = T::NTW, CPW = 8 * NTW;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  __half* sB = reinterpret_cast<__half*>(smem_raw);  // [64][kBRow] filter, k = ky * 32 + kx * 4 + c
  __half* sU = sB + kStemChannels * kBRow;           // input tile [IH][IROW], then conv tile [M][OROW]
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp / WN, wn = warp % WN;

  // The filter, staged once per block as [n][ky * 32 + kx * 4 + c]. Each thread owns whole (n, ky) rows and issues
  // all their loads before its first store: one memory latency, not one per element (what a batch-1 launch waits on).
  {
    constexpr int kRows = kStemChannels * 7, kRowsPerThread = (kRows + kThreads - 1) / kThreads;
    __half v[kRowsPerThread][7][4];
#pragma unroll
    for (int q = 0; q < kRowsPerThread; ++q) {
      const int row = tid + q * kThreads;  // n * 7 + ky
#pragma unroll
      for (int kx = 0; kx < 7; ++kx)
#pragma unroll
        for (int ch = 0; ch < 4; ++ch)
          v[q][kx][ch] = row < kRows && ch < a.c ? __ldg(w + (row * 7 + kx) * a.c + ch) : __float2half(0.f);
    }
#pragma unroll
    for (int q = 0; q < kRowsPerThread; ++q) {
      const int row = tid + q * kThreads;
      if (row >= kRows) continue;
      __half* dst = sB + (row / 7) * kBRow + (row % 7) * kRowK;
#pragma unroll
      for (int kx = 0; kx < 8; kx += 2) {
        __align__(16) __half h[8];
#pragma unroll
        for (int k = 0; k < 8; ++k) h[k] = kx + k / 4 < 7 ? v[q][kx + k / 4][k % 4] : __float2half(0.f);
        *reinterpret_cast<uint4*>(dst + kx * 4) = *reinterpret_cast<const uint4*>(h);
      }
    }
  }
  // This thread's output channels (the accumulator columns): CPW * wn + 8 * j + 2 * (lane % 4) + {0, 1}.
  float bv[NTW][2];
#pragma unroll
  for (int j = 0; j < NTW; ++j)
#pragma unroll
    for (int q = 0; q < 2; ++q) bv[j][q] = __half2float(bias[CPW * wn + 8 * j + 2 * (lane & 3) + q]);
  // ldmatrix row addresses. B (x4 = two n-tiles): matrix lane / 8 is (n-tile (lane / 16), k half ((lane / 8) % 2)).
  const uint32_t b_base =
      smem_addr(sB + (CPW * wn + (lane & 7) + ((lane >> 4) << 3)) * kBRow + ((lane >> 3) & 1) * 8);
  // A (x4 = one m-tile): lanes 0-15 give rows 0-15 at k 0-7, lanes 16-31 the same rows at k 8-15.
  uint32_t a_base[T::MT_WARP];
#pragma unroll
  for (int i = 0; i < T::MT_WARP; ++i) {
    int m = (wm + 4 * i) * 16 + (lane & 15);
    if (m >= T::M) m = T::M - 1;  // padding rows of the last m-tile: computed, never stored
    const int cy = m / T::CW, cx = m % T::CW;
    a_base[i] = smem_addr(sU + 2 * cy * T::IROW + 8 * cx + (lane >> 4) * 8);
  }

  for (int64_t t = blockIdx.x; t < a.tiles; t += gridDim.x) {
    const int tx = (int)(t % a.tiles_w);
    const int64_t rest = t / a.tiles_w;
    const int ty = (int)(rest % a.tiles_h);
    const int64_t img = rest / a.tiles_h;
    const int py0 = ty * PH, px0 = tx * PW;
    const int cy0 = 2 * py0 - 1, cx0 = 2 * px0 - 1;  // conv origin: the pool's pad row/column at the top/left
    const int iy0 = 2 * cy0 - 3, ix0 = 2 * cx0 - 3;  // input origin
    __syncthreads();  // the previous tile's pool has read the conv tile (and the filter is staged)
    {
      // The tile's loads go out in batches of 4 pixels per thread, all in flight before the first store: a few
      // latencies per tile, not one per pixel (the tile loads dominated before). Bigger batches spill at 8x8.
      constexpr int kPix = T::IH * T::IW, kPerThread = (kPix + kThreads - 1) / kThreads, kBatch = 4;
#pragma unroll
      for (int q0 = 0; q0 < kPerThread; q0 += kBatch) {
        float v[kBatch][4];
#pragma unroll
        for (int q = 0; q < kBatch; ++q) {
          const int p = tid + (q0 + q) * kThreads, r = p / T::IW, col = p % T::IW;
          if (q0 + q < kPerThread && p < kPix) load_pixel<INPUT>(v[q], x, a, img, iy0 + r, ix0 + col);
        }
#pragma unroll
        for (int q = 0; q < kBatch; ++q) {
          const int p = tid + (q0 + q) * kThreads, r = p / T::IW, col = p % T::IW;
          if (q0 + q < kPerThread && p < kPix) *reinterpret_cast<uint2*>(sU + r * T::IROW + col * 4) = pack4(v[q]);
        }
      }
    }
    __syncthreads();

    float acc[T::MT_WARP][NTW][4];
#pragma unroll
    for (int i = 0; i < T::MT_WARP; ++i)
#pragma unroll
      for (int j = 0; j < NTW; ++j)
#pragma unroll
        for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;
#pragma unroll  // 4% faster at b128 than a rolled loop
    for (int ky = 0; ky < 7; ++ky) {
#pragma unroll
      for (int kh = 0; kh < 2; ++kh) {
        const uint32_t kb = (uint32_t)(ky * kRowK + kh * 16) * 2;
        uint32_t b[NTW / 2][4];  // two n-tiles per ldmatrix
#pragma unroll
        for (int j = 0; j < NTW / 2; ++j) ldsm_x4(b[j], b_base + j * 16 * kBRow * 2 + kb);
        const uint32_t ka = (uint32_t)(ky * T::IROW + kh * 16) * 2;
#pragma unroll
        for (int i = 0; i < T::MT_WARP; ++i) {
          if (wm + 4 * i >= T::MT) continue;  // warp-uniform
          uint32_t af[4];
          ldsm_x4(af, a_base[i] + ka);
#pragma unroll
          for (int j = 0; j < NTW / 2; ++j) {
            mma_16816(acc[i][2 * j], af, b[j][0], b[j][1]);
            mma_16816(acc[i][2 * j + 1], af, b[j][2], b[j][3]);
          }
        }
      }
    }
    __syncthreads();  // every warp is done with the input tile: the conv tile overwrites it
#pragma unroll
    for (int i = 0; i < T::MT_WARP; ++i) {
      if (wm + 4 * i >= T::MT) continue;
#pragma unroll
      for (int hr = 0; hr < 2; ++hr) {
        const int m = (wm + 4 * i) * 16 + (lane >> 2) + 8 * hr;
        if (m >= T::M) continue;
        const int gy = cy0 + m / T::CW, gx = cx0 + m % T::CW;
        const bool real = gy >= 0 && gy < a.ch && gx >= 0 && gx < a.cw;
#pragma unroll
        for (int j = 0; j < NTW; ++j) {
          const float v0 = real ? fmaxf(acc[i][j][2 * hr] + bv[j][0], 0.f) : 0.f;
          const float v1 = real ? fmaxf(acc[i][j][2 * hr + 1] + bv[j][1], 0.f) : 0.f;
          *reinterpret_cast<__half2*>(sU + m * T::OROW + CPW * wn + 8 * j + 2 * (lane & 3)) =
              __floats2half2_rn(v0, v1);
        }
      }
    }
    __syncthreads();
    // The pool: each item is one output pixel's 8 channels (16 bytes); 8 consecutive threads cover one pixel.
    for (int e = tid; e < PH * PW * 8; e += kThreads) {
      const int v = e & 7, p = e >> 3, ly = p / PW, lx = p % PW, py = py0 + ly, px = px0 + lx;
      if (py >= a.ph || px >= a.pw) continue;
      const __half* base = sU + (2 * ly * T::CW + 2 * lx) * T::OROW + 8 * v;
      uint4 best = *reinterpret_cast<const uint4*>(base);
      __half2* b2 = reinterpret_cast<__half2*>(&best);
#pragma unroll
      for (int dy = 0; dy < 3; ++dy)
#pragma unroll
        for (int dx = 0; dx < 3; ++dx) {
          if (dy == 0 && dx == 0) continue;
          uint4 o = *reinterpret_cast<const uint4*>(base + (dy * T::CW + dx) * T::OROW);
          const __half2* o2 = reinterpret_cast<const __half2*>(&o);
#pragma unroll
          for (int q = 0; q < 4; ++q) b2[q] = __hmax2(b2[q], o2[q]);
        }
      *reinterpret_cast<uint4*>(y + ((img * a.ph + py) * a.pw + px) * kStemChannels + 8 * v) = best;
    }
  }
}

template <int PH, int PW, int INPUT, int WN>
int32_t launch(StemArgs a, const void* x, const void* w, const void* bias, void* y, cudaStream_t s,
               denotrt_error* err) {
  using T = Tile<PH, PW, WN>;
  auto kernel = stem_conv_pool_kernel<PH, PW, INPUT, WN>;
  static std::atomic<uint64_t> opted{0};  // this instantiation's dynamic shared-memory opt-in, per device
  DENOTRT_CUDA_CHECK(err, opt_in_dynamic_smem(kernel, T::SMEM, opted));
  a.tiles_h = (a.ph + PH - 1) / PH;
  a.tiles_w = (a.pw + PW - 1) / PW;
  a.tiles = (int64_t)a.n * a.tiles_h * a.tiles_w;
  const int64_t wave = (int64_t)resident_blocks(kernel, T::THREADS, T::SMEM) * sm_count();
  const unsigned grid = (unsigned)(a.tiles < wave ? a.tiles : wave);
  kernel<<<grid, T::THREADS, T::SMEM, s>>>(a, x, static_cast<const __half*>(w), static_cast<const __half*>(bias),
                                         static_cast<__half*>(y));
  DT_LAUNCH_CHECK(err, "stem_conv_pool_kernel");
  return DENOTRT_OK;
}

template <int INPUT>
int32_t launch_tile(int32_t tile, const StemArgs& a, const void* x, const void* w, const void* bias, void* y,
                    cudaStream_t s, denotrt_error* err) {
  // On the H200 a 64-channel warp tile (4 warps, 240 registers) and 3 blocks per SM (4x8) were slower than these.
  return tile == 1 ? launch<8, 8, INPUT, 2>(a, x, w, bias, y, s, err) : launch<4, 8, INPUT, 2>(a, x, w, bias, y, s, err);
}

}  // namespace

bool stem_conv_fits(const ConvDesc& d, const int64_t* pe) {
  return d.spatial == 2 && d.group == 1 && d.c >= 1 && d.c <= 4 && d.k == kStemChannels && d.kernel[0] == 7 &&
         d.kernel[1] == 7 && d.stride[0] == 2 && d.stride[1] == 2 && d.dilation[0] == 1 && d.dilation[1] == 1 &&
         d.pad_begin[0] == 3 && d.pad_begin[1] == 3 && pe && pe[0] == 3 && pe[1] == 3 && d.in[0] >= 1 &&
         d.in[1] >= 1 && d.out[0] == (d.in[0] - 1) / 2 + 1 && d.out[1] == (d.in[1] - 1) / 2 + 1;
}

// The tile the launcher runs: 8x8 (13% of the conv recomputed for the pool's halo) when its blocks give every SM
// one, else 4x8 (more blocks: batch 1 at 224x224 has 49 tiles of 8x8 for 132 SMs). On the H200, 8x8 took 239 us at
// b128 against 250 for 4x8; 4x8 9.3 us at b1 against 11.9 for 8x8 and 10.4 for 4x4 tiles.
static int32_t pick_tile(const StemDesc& d, int32_t tile) {
  if (tile >= 1 && tile <= kTiles) return tile;
  const int64_t ph = stem_out_size(d.h), pw = stem_out_size(d.w);
  return d.n * ((ph + 7) / 8) * ((pw + 7) / 8) >= sm_count() ? 1 : 2;
}

const char* stem_conv_pool_kernel(const StemDesc& d, int32_t tile) {
  static const char* const names[kTiles] = {"dtops_stem_conv_pool_8x8", "dtops_stem_conv_pool_4x8"};
  return names[pick_tile(d, tile) - 1];
}

int32_t stem_conv_pool(const StemDesc& d, int32_t input, const void* x, const void* w, const void* bias, void* y,
                       cudaStream_t s, denotrt_error* err, int32_t tile) {
  static const char* api = "dtops::stem_conv_pool";
  if (d.c < 1 || d.c > 4) return DENOTRT_BAD_ARG(err, api, "the stem kernel takes 1 to 4 input channels");
  if (input != STEM_NHWC_F16 && input != STEM_NCHW_F32) return DENOTRT_BAD_ARG(err, api, "unknown input format");
  if (tile < 0 || tile > kTiles)
    return DENOTRT_BAD_ARG(err, api, "tile must be 0 (auto) or a configuration 1..%d", kTiles);
  if (d.n < 0 || d.h < 1 || d.w < 1) return DENOTRT_BAD_ARG(err, api, "batch must be >= 0 and H, W >= 1");
  // Every index the kernel forms in int32 (rows, columns, tiles per image) stays in range; images in int64.
  if (d.h > (1 << 24) || d.w > (1 << 24) || d.n > INT32_MAX)
    return DENOTRT_BAD_ARG(err, api, "geometry too large for the stem kernel");
  if (d.n == 0) return DENOTRT_OK;
  if (!x || !w || !bias || !y) return DENOTRT_BAD_ARG(err, api, "null buffer");
  if ((uintptr_t)y % 16) return DENOTRT_BAD_ARG(err, api, "the output must be 16-byte aligned (16-byte stores)");
  StemArgs a{};
  a.n = (int32_t)d.n, a.h = (int32_t)d.h, a.w = (int32_t)d.w, a.c = d.c;
  a.ch = (a.h - 1) / 2 + 1, a.cw = (a.w - 1) / 2 + 1;
  a.ph = (a.ch - 1) / 2 + 1, a.pw = (a.cw - 1) / 2 + 1;
  tile = pick_tile(d, tile);
  return input == STEM_NHWC_F16 ? launch_tile<STEM_NHWC_F16>(tile, a, x, w, bias, y, s, err)
                                 : launch_tile<STEM_NCHW_F32>(tile, a, x, w, bias, y, s, err);
}

}  // namespace dtops
