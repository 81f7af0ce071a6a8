// A conv on channels-last fp16 data as an implicit GEMM whose K is split across a thread-block cluster, for the
// convs whose GEMM has few rows. ResNet-50 at batch 1 on the H200 spent most of its 0.297 ms in them: cuDNN ran the
// 3x3 512 -> 512 conv at 7x7 (M = 49 pixels, K = 4608) in 15 us and 3x3 256 at 14x14 (M = 196) in 11 us, although
// their 1-5 MB of weights take 1-2 us at HBM speed: with so few output tiles only a few SMs work, each walking all of
// K. Here the blocks of a cluster (up to 16, one per slice of K) share one output tile:
//  - GEMM view: M = N*OH*OW pixels, N = K output channels, K_gemm = R*S*C in (r, s, c) order, the filter's KRSC
//    layout, so a B row is one contiguous filter row. A rows are gathered per pixel: each 16-byte piece (8 channels,
//    never across a tap since C % 8 == 0) decodes its own (r, s, c), so any C works; taps in the padding, rows past M
//    and K_gemm past its end are zero-filled by cp.async (source size 0);
//  - a block owns a BM x BN tile and a contiguous run of 64-wide K chunks (uneven runs allowed), streamed through a
//    6-stage cp.async pipeline into padded shared rows (ldmatrix without bank conflicts), mma.sync m16n8k16 with fp32
//    accumulators; at batch 1 a block's whole run is in flight at once (one memory latency, not several);
//  - the cluster reduces the partial tiles in distributed shared memory: each block writes its fp32 tile to its own
//    shared memory, the cluster synchronizes, and each block sums a share of the tile's outputs over every rank in
//    rank order (deterministic: no atomics, no global workspace, one kernel), adds bias and residual, applies the
//    activation and stores 16-byte vectors; a second cluster barrier keeps every block's shared memory alive until
//    its peers have read it;
//  - splits are chosen so the tiles times the splits give every SM a block (at most 16, at most one per K chunk),
//    then evened out: as few splits as give the same longest run of chunks.
#include <cooperative_groups.h>

#include <algorithm>
#include <atomic>

#include "act.cuh"
#include "launch_info.h"
#include "mma.cuh"
#include "util.cuh"

namespace dtops {
namespace {

namespace cg = cooperative_groups;

constexpr int kThreads = 128;  // 4 warps, 2 x 2 over the block's tile
constexpr int kBK = 64;        // K_gemm per chunk (halves): 8 pieces of 16 bytes per row
constexpr int kStages = 6;     // 5 chunks requested up front: a batch-1 ResNet block's whole run (2-5 chunks)
constexpr int kRow = kBK + 8;  // shared row in halves: 144 bytes, so ldmatrix's 8 rows fall in different banks
constexpr int kMaxSplits = 16;  // the largest cluster Hopper runs (above 8 only with the non-portable opt-in)
constexpr int64_t kMaxCoord = 1 << 29;  // per-axis geometry bound: window coordinates stay in int32

struct Geometry {
  int32_t h, w, c, k;       // input height, width and channels; output channels
  int32_t oh, ow, s;        // output height and width; filter width
  int32_t sh, sw, ph, pw, dh, dw;
  int32_t m;                // pixels: N * OH * OW
  int32_t kg;               // K_gemm = R * S * C
  int32_t chunks;           // ceil(kg / kBK)
  int32_t n_tiles;          // tiles along the output channels
};

template <int BM, int BN>
struct Tile {
  static constexpr int MT = BM / 32;   // m-tiles of 16 per warp (a warp owns BM / 2 rows)
  static constexpr int NT = BN / 16;   // n-tiles of 8 per warp (a warp owns BN / 2 channels)
  static constexpr int AR = BM / 16;   // A rows each thread loads per chunk (16 rows per pass of 128 threads)
  static constexpr int BR = BN / 16;   // B rows likewise
  static constexpr int PROW = BN + 8;  // partial-tile row in floats: a half-warp's float2 stores hit distinct banks
  static constexpr size_t PIPE = (size_t)kStages * (BM + BN) * kRow * sizeof(__half);
  static constexpr size_t PART = (size_t)BM * PROW * sizeof(float);  // reuses the pipeline's memory
  static constexpr size_t SMEM = PIPE > PART ? PIPE : PART;
};

struct Config {
  int bm, bn, max_splits;
  const char* name;
};
// 64x64 reads the filter once when M <= 64; s8 keeps clusters portable, for when 16-block clusters place badly; the
// narrower tiles give more tiles and so fewer splits (32x64 measured fastest at batch 1: pick_config).
constexpr Config kConfigs[kSplitKConfigs] = {
    {64, 64, 16, "dtops_splitk_conv_64x64_s16"}, {64, 64, 8, "dtops_splitk_conv_64x64_s8"},
    {64, 32, 16, "dtops_splitk_conv_64x32_s16"}, {32, 64, 16, "dtops_splitk_conv_32x64_s16"},
    {32, 32, 16, "dtops_splitk_conv_32x32_s16"},
};

// 16 bytes global -> shared, zero-filled when !valid (padding taps, rows past M, K_gemm past its end).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// Relu and identity inline (ResNet's epilogues); any other activation through one out-of-line call, since apply_act's
// whole switch inlined per element bloats the epilogue (act.cuh).
__device__ __forceinline__ float activate(float v, const Act& a) {
  if (a.op == U_RELU) return v > 0.f ? v : 0.f;
  if (a.op == U_IDENTITY) return v;
  return apply_act_call(v, a);
}

template <int BM, int BN>
__global__ void __launch_bounds__(kThreads, 2)
    splitk_conv_kernel(Geometry g, const __half* __restrict__ x, const __half* __restrict__ w,
                       const __half* __restrict__ bias, const __half* __restrict__ res, Act act,
                       __half* __restrict__ y) {
  using T = Tile<BM, BN>;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  __half* sA = reinterpret_cast<__half*>(smem_raw);  // [kStages][BM][kRow]: gathered x rows
  __half* sB = sA + kStages * BM * kRow;              // [kStages][BN][kRow]: filter rows, [n][k]
  float* sP = reinterpret_cast<float*>(smem_raw);     // [BM][PROW]: the partial tile, once the pipeline is done
  const cg::cluster_group cluster = cg::this_cluster();
  const int splits = (int)cluster.num_blocks(), rank = (int)cluster.block_rank();
  const int tile = (int)(blockIdx.x / splits);  // a cluster is `splits` consecutive blocks along x
  const int n0 = (tile % g.n_tiles) * BN, m0 = (tile / g.n_tiles) * BM;
  const int c_lo = (int)((int64_t)rank * g.chunks / splits);
  const int nch = (int)((int64_t)(rank + 1) * g.chunks / splits) - c_lo;  // >= 1: splits <= chunks
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp >> 1, wn = warp & 1;

  // Loads: thread tid fills 16-byte piece tid % 8 of rows tid / 8 + 16 * i. Its A rows' pixels are decoded once:
  // the image's offset in x and the window's top-left corner (negative inside the padding).
  const int piece = tid & 7, row0 = tid >> 3;
  int64_t a_img[T::AR];
  int a_iy[T::AR], a_ix[T::AR];
  bool a_ok[T::AR];
#pragma unroll
  for (int i = 0; i < T::AR; ++i) {
    const int m = m0 + row0 + 16 * i;
    a_ok[i] = m < g.m;
    const int mm = a_ok[i] ? m : 0, ox = mm % g.ow, t = mm / g.ow, oy = t % g.oh, img = t / g.oh;
    a_img[i] = (int64_t)img * g.h * g.w * g.c;
    a_iy[i] = oy * g.sh - g.ph;
    a_ix[i] = ox * g.sw - g.pw;
  }
  auto load = [&](int chunk, int stage) {
    const int kk = chunk * kBK + piece * 8;  // this piece's first K_gemm index: (r, s, c) with c % 8 == 0
    const bool k_ok = kk < g.kg;
    const int tap = kk / g.c, c = kk - tap * g.c, r = tap / g.s, s = tap - r * g.s;
    __half* dA = sA + (stage * BM + row0) * kRow + piece * 8;
#pragma unroll
    for (int i = 0; i < T::AR; ++i) {
      const int iy = a_iy[i] + r * g.dh, ix = a_ix[i] + s * g.dw;
      const bool ok = k_ok && a_ok[i] && (unsigned)iy < (unsigned)g.h && (unsigned)ix < (unsigned)g.w;
      cp_async16(dA + i * 16 * kRow, ok ? x + a_img[i] + ((int64_t)iy * g.w + ix) * g.c + c : x, ok);
    }
    __half* dB = sB + (stage * BN + row0) * kRow + piece * 8;
#pragma unroll
    for (int i = 0; i < T::BR; ++i) {
      const int n = n0 + row0 + 16 * i;
      const bool ok = k_ok && n < g.k;
      cp_async16(dB + i * 16 * kRow, ok ? w + (int64_t)n * g.kg + kk : w, ok);
    }
  };

#pragma unroll
  for (int st = 0; st < kStages - 1; ++st) {
    if (st < nch) load(c_lo + st, st);
    cp_async_commit();  // empty groups too: the wait below counts groups
  }
  float acc[T::MT][T::NT][4];
#pragma unroll
  for (int i = 0; i < T::MT; ++i)
#pragma unroll
    for (int j = 0; j < T::NT; ++j)
#pragma unroll
      for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;
  // A (x4 = one m-tile): lanes 0-15 give rows 0-15 at k 0-7, lanes 16-31 the same rows at k 8-15.
  const uint32_t a_base = smem_addr(sA + (wm * (BM / 2) + (lane & 15)) * kRow + (lane >> 4) * 8);
  // B (x4 = two n-tiles): matrix lane / 8 is (n-tile lane / 16, k half (lane / 8) % 2).
  const uint32_t b_base =
      smem_addr(sB + (wn * (BN / 2) + (lane & 7) + ((lane >> 4) << 3)) * kRow + ((lane >> 3) & 1) * 8);
  for (int i = 0; i < nch; ++i) {
    cp_async_wait<kStages - 2>();  // this thread's pieces of chunk i have landed
    __syncthreads();               // everyone's have, and every warp is done with chunk i - 1's stage
    if (i + kStages - 1 < nch) load(c_lo + i + kStages - 1, (i + kStages - 1) % kStages);  // into that stage
    cp_async_commit();
    const int stage = i % kStages;
    const uint32_t a_st = a_base + (uint32_t)(stage * BM * kRow) * 2, b_st = b_base + (uint32_t)(stage * BN * kRow) * 2;
#pragma unroll
    for (int ks = 0; ks < kBK / 16; ++ks) {
      uint32_t b[T::NT / 2][4];
#pragma unroll
      for (int j = 0; j < T::NT / 2; ++j) ldsm_x4(b[j], b_st + (uint32_t)(j * 16 * kRow + ks * 16) * 2);
#pragma unroll
      for (int mi = 0; mi < T::MT; ++mi) {
        uint32_t af[4];
        ldsm_x4(af, a_st + (uint32_t)(mi * 16 * kRow + ks * 16) * 2);
#pragma unroll
        for (int j = 0; j < T::NT / 2; ++j) {
          mma_16816(acc[mi][2 * j], af, b[j][0], b[j][1]);
          mma_16816(acc[mi][2 * j + 1], af, b[j][2], b[j][3]);
        }
      }
    }
  }
  cp_async_wait<0>();  // only empty groups remain, but no copy may land on the partial tile
  __syncthreads();     // every warp is done with the stages: the partial tile overwrites them

  // The accumulators: c0, c1 at row lane / 4, columns 2 * (lane % 4) + {0, 1} of each 16x8 tile; c2, c3 8 rows down.
#pragma unroll
  for (int mi = 0; mi < T::MT; ++mi)
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      const int r = wm * (BM / 2) + 16 * mi + (lane >> 2) + 8 * hr;
#pragma unroll
      for (int j = 0; j < T::NT; ++j)
        *reinterpret_cast<float2*>(sP + r * T::PROW + wn * (BN / 2) + 8 * j + 2 * (lane & 3)) =
            make_float2(acc[mi][j][2 * hr], acc[mi][j][2 * hr + 1]);
    }
  cluster.sync();  // every rank's partial tile is written and visible across the cluster

  // This block's share of the tile's outputs: items of 8 channels of one pixel (one 16-byte store), the tile's real
  // rows and channels only, cut into `splits` contiguous runs (consecutive threads, consecutive channels).
  const int groups = min(BN, g.k - n0) / 8, items = min(BM, g.m - m0) * groups;
  const int e_hi = (int)((int64_t)(rank + 1) * items / splits);
  for (int e = (int)((int64_t)rank * items / splits) + tid; e < e_hi; e += kThreads) {
    const int r = e / groups, col = (e - r * groups) * 8;
    const int64_t out = (int64_t)(m0 + r) * g.k + n0 + col;
    // Bias and residual first: their loads are in flight while the peers' partials are read. +0 when absent.
    const uint4 bv = bias ? __ldg(reinterpret_cast<const uint4*>(bias + n0 + col)) : make_uint4(0, 0, 0, 0);
    const uint4 rv = res ? __ldg(reinterpret_cast<const uint4*>(res + out)) : make_uint4(0, 0, 0, 0);
    const float* mine = sP + r * T::PROW + col;
    float v[8] = {0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 0.f};
    for (int r0 = 0; r0 < splits; r0 += 8) {  // 8 ranks' loads in flight, then their sums in rank order
      float4 p[8][2];
#pragma unroll
      for (int q = 0; q < 8; ++q)
        if (r0 + q < splits) {
          const float4* src = reinterpret_cast<const float4*>(cluster.map_shared_rank(mine, r0 + q));
          p[q][0] = src[0];
          p[q][1] = src[1];
        }
#pragma unroll
      for (int q = 0; q < 8; ++q)
        if (r0 + q < splits) {
          v[0] += p[q][0].x, v[1] += p[q][0].y, v[2] += p[q][0].z, v[3] += p[q][0].w;
          v[4] += p[q][1].x, v[5] += p[q][1].y, v[6] += p[q][1].z, v[7] += p[q][1].w;
        }
    }
    const __half2* b2 = reinterpret_cast<const __half2*>(&bv);
    const __half2* r2 = reinterpret_cast<const __half2*>(&rv);
    uint4 o;
    __half2* o2 = reinterpret_cast<__half2*>(&o);
#pragma unroll
    for (int q = 0; q < 4; ++q) {
      const float2 bf = __half22float2(b2[q]), rf = __half22float2(r2[q]);
      o2[q] = __floats2half2_rn(activate(v[2 * q] + bf.x + rf.x, act), activate(v[2 * q + 1] + bf.y + rf.y, act));
    }
    *reinterpret_cast<uint4*>(y + out) = o;
  }
  cluster.sync();  // the peers have read this block's partial tile: its shared memory may go
}

// Sets a per-device attribute once (the launchers run per layer): `opted` is the caller's bit per device.
template <typename K>
cudaError_t allow_big_clusters(K kernel, std::atomic<uint64_t>& opted) {
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  const uint64_t bit = 1ull << (dev & 63);
  if (e != cudaSuccess || (opted.load(std::memory_order_relaxed) & bit)) return e;
  e = cudaFuncSetAttribute(kernel, cudaFuncAttributeNonPortableClusterSizeAllowed, 1);
  if (e == cudaSuccess) opted.fetch_or(bit, std::memory_order_relaxed);
  return e;
}

template <int BM, int BN>
int32_t launch(const Geometry& g, int splits, int64_t tiles, const void* x, const void* w, const void* bias,
               const void* res, Act act, void* y, cudaStream_t s, denotrt_error* err) {
  using T = Tile<BM, BN>;
  auto kernel = splitk_conv_kernel<BM, BN>;
  static std::atomic<uint64_t> opted_smem{0}, opted_cluster{0};  // this instantiation's opt-ins, per device
  DENOTRT_CUDA_CHECK(err, opt_in_dynamic_smem(kernel, T::SMEM, opted_smem));
  if (splits > 8) DENOTRT_CUDA_CHECK(err, allow_big_clusters(kernel, opted_cluster));
  cudaLaunchAttribute attr{};
  attr.id = cudaLaunchAttributeClusterDimension;
  attr.val.clusterDim.x = (unsigned)splits;
  attr.val.clusterDim.y = attr.val.clusterDim.z = 1;
  cudaLaunchConfig_t cfg{};
  cfg.gridDim = dim3((unsigned)(tiles * splits));
  cfg.blockDim = dim3(kThreads);
  cfg.dynamicSmemBytes = T::SMEM;
  cfg.stream = s;
  cfg.attrs = &attr;
  cfg.numAttrs = 1;
  const cudaError_t e = cudaLaunchKernelEx(&cfg, kernel, g, static_cast<const __half*>(x),
                                           static_cast<const __half*>(w), static_cast<const __half*>(bias),
                                           static_cast<const __half*>(res), act, static_cast<__half*>(y));
  if (e != cudaSuccess) {
    cudaGetLastError();  // reported here; not left for the next launch check
    return denotrt_cuda_fail(err, (int)e, "splitk_conv_kernel");
  }
  DT_LAUNCH_CHECK(err, "splitk_conv_kernel");
  return DENOTRT_OK;
}

// The configuration the launcher runs: a forced one as given, else 32 pixels per tile, and 64 channels when K is a
// multiple of 64 (else 32: less of the last tile wasted). On the H200 32x64 was the fastest of the five on each of
// ResNet-50's batch-1 shapes, 49 to 3136 pixels (more tiles, so fewer splits to reduce). The executor times every
// configuration itself (exec_cuda_splitk.cu); this choice serves direct callers.
int pick_config(const ConvDesc& d, int32_t config) {
  if (config >= 1 && config <= kSplitKConfigs) return config;
  return d.k % 64 == 0 ? 4 : 5;
}

// Splits for `tiles` output tiles over `chunks` K chunks: enough blocks for every SM, at most max_splits and one
// chunk per block, then as few as give the same longest run of chunks.
int pick_splits(int max_splits, int64_t tiles, int chunks) {
  const int64_t want = (sm_count() + tiles - 1) / tiles;
  const int s = (int)std::max<int64_t>(1, std::min<int64_t>({want, (int64_t)max_splits, (int64_t)chunks}));
  const int per = (chunks + s - 1) / s;
  return (chunks + per - 1) / per;
}

}  // namespace

bool splitk_conv_fits(int32_t dtype, const ConvDesc& d0) {
  if (dtype != DENOTRT_FLOAT16 || (d0.spatial != 1 && d0.spatial != 2) || d0.group != 1) return false;
  const ConvDesc d = conv_as_2d(d0);
  if (d.n < 0 || d.c < 8 || d.c % 8 || d.k < 8 || d.k % 8 || d.c > kMaxCoord || d.k > kMaxCoord) return false;
  for (int i = 0; i < 2; ++i) {
    if (d.in[i] < 1 || d.out[i] < 1 || d.kernel[i] < 1 || d.stride[i] < 1 || d.dilation[i] < 1 || d.pad_begin[i] < 0)
      return false;
    if (d.in[i] > kMaxCoord || d.out[i] > kMaxCoord || d.kernel[i] > kMaxCoord || d.stride[i] > kMaxCoord ||
        d.dilation[i] > kMaxCoord || d.pad_begin[i] > kMaxCoord)
      return false;
    // Window coordinates (oy * stride - pad + r * dilation) stay within int32.
    if ((d.out[i] - 1) * d.stride[i] > kMaxCoord || (d.kernel[i] - 1) * d.dilation[i] > kMaxCoord) return false;
  }
  // The kernel's int32 counts (pixels, K_gemm, blocks of the smallest tiles at the most splits) and int64 offsets
  // into x, as doubles: the products of the bounds above could overflow int64.
  const double m = (double)d.n * (double)d.out[0] * (double)d.out[1];
  const double kg = (double)d.kernel[0] * (double)d.kernel[1] * (double)d.c;
  const double xn = (double)d.n * (double)d.in[0] * (double)d.in[1] * (double)d.c;
  return m <= INT32_MAX - 64 && kg <= INT32_MAX - kBK && xn <= 0x1p62 &&
         (m / 32 + 1) * ((double)d.k / 32 + 1) * kMaxSplits <= INT32_MAX;
}

const char* splitk_conv_kernel(const ConvDesc& d, int32_t config) {
  return kConfigs[pick_config(conv_as_2d(d), config) - 1].name;
}

int32_t splitk_conv_nhwc(const ConvDesc& d0, int32_t config, const void* x, const void* w_krsc, const void* bias,
                         const void* residual, Act act, void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::splitk_conv_nhwc";
  if (config < 0 || config > kSplitKConfigs)
    return DENOTRT_BAD_ARG(err, api, "config must be 0 (auto) or a configuration 1..%d", kSplitKConfigs);
  if (!splitk_conv_fits(DENOTRT_FLOAT16, d0))
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                        "the split-K conv runs fp16 2-D (or 1-D) convs with group 1, C and K multiples of 8");
  const ConvDesc d = conv_as_2d(d0);
  if (d.n == 0) return DENOTRT_OK;
  if (!x || !w_krsc || !y) return DENOTRT_BAD_ARG(err, api, "null buffer");
  const uintptr_t align = (uintptr_t)x | (uintptr_t)w_krsc | (uintptr_t)y | (uintptr_t)bias | (uintptr_t)residual;
  if (align % 16) return DENOTRT_BAD_ARG(err, api, "x, w, bias, residual and y must be 16-byte aligned");
  const Config& cf = kConfigs[pick_config(d, config) - 1];
  Geometry g{};
  g.h = (int32_t)d.in[0], g.w = (int32_t)d.in[1], g.c = (int32_t)d.c, g.k = (int32_t)d.k;
  g.oh = (int32_t)d.out[0], g.ow = (int32_t)d.out[1], g.s = (int32_t)d.kernel[1];
  g.sh = (int32_t)d.stride[0], g.sw = (int32_t)d.stride[1], g.ph = (int32_t)d.pad_begin[0];
  g.pw = (int32_t)d.pad_begin[1], g.dh = (int32_t)d.dilation[0], g.dw = (int32_t)d.dilation[1];
  g.m = (int32_t)(d.n * d.out[0] * d.out[1]);
  g.kg = (int32_t)(d.kernel[0] * d.kernel[1] * d.c);
  g.chunks = (g.kg + kBK - 1) / kBK;
  g.n_tiles = (g.k + cf.bn - 1) / cf.bn;
  const int64_t tiles = (int64_t)((g.m + cf.bm - 1) / cf.bm) * g.n_tiles;
  const int splits = pick_splits(cf.max_splits, tiles, g.chunks);
  if (cf.bm == 64 && cf.bn == 64) return launch<64, 64>(g, splits, tiles, x, w_krsc, bias, residual, act, y, s, err);
  if (cf.bm == 64) return launch<64, 32>(g, splits, tiles, x, w_krsc, bias, residual, act, y, s, err);
  if (cf.bn == 64) return launch<32, 64>(g, splits, tiles, x, w_krsc, bias, residual, act, y, s, err);
  return launch<32, 32>(g, splits, tiles, x, w_krsc, bias, residual, act, y, s, err);
}

}  // namespace dtops
