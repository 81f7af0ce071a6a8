// A 1x1 conv on channels-last fp16 data as one GEMM with the fused bias + residual + activation epilogue, for the
// memory-bound shapes: ResNet's expanding 1x1 convs (64 -> 256, 128 -> 512 channels, plus the residual) at large
// batch do 128 or 256 FLOPs per byte moved and took cuDNN's best engine 0.18 ms at b128 for layer1's 461 MB
// (2.5 TB/s on a 4.8 TB/s part). The kernel is laid out for bandwidth:
//  - a block owns 128 pixels x 128 output channels; its x rows (all of K <= 128), its filter slice and its residual
//    tile are all requested at once with cp.async (about 100 KB in flight per block, two blocks per SM), so each
//    block waits for memory once;
//  - the K loop is short (cin / 16 steps of mma.sync m16n8k16, fp32 accumulators in registers: 64 per thread);
//  - the epilogue adds bias and the residual (read back from shared memory where cp.async put it), applies the
//    activation, and writes the result through the same shared tile, so every global load and store is a whole
//    16-byte vector of one row;
//  - blocks for the same pixels and different output slices are adjacent in the launch order, so the second read of
//    an x tile comes from L2;
//  - the input channels may come from two tensors (x: the first cin - c2, x2: the last c2): a Concat along channels
//    that feeds only this conv is never written. ResNet's downsample block, rewritten by the builder as one conv
//    over [conv2's output | the block's input] (merge_added_convs.ts), then reads 2 x 51 MB at b128 instead of the
//    downsample conv writing 205 MB that conv3 reads back as its residual.
// Tried and slower on the H200 at b128: persistent blocks (one per SM, the filter slice resident, the next tile's x
// rows and residual double-buffered): 183 against 158 us for the two-input 128 -> 256 conv, 158 against 148 for
// 64 -> 256 + residual; and this kernel's loads, MMA, epilogue and stores split into helper functions with the x and
// filter requests in separate loops: 178 against 161 us for the two-input conv in the network (layer profile).
#include "launch_info.h"
#include "mma.cuh"
#include "util.cuh"

namespace dtops {
namespace {

constexpr int kThreads = 256;  // 8 warps: 2 along M (64 pixels each) x 4 along N (32 channels each)
constexpr int kBM = 128, kBN = 128, kMaxK = 128;
constexpr int kRow = kMaxK + 8;  // shared row in halves: 272 bytes, so ldmatrix's 8 rows fall in different banks
constexpr int kCRow = kBN + 8;   // the epilogue tile's row
constexpr size_t kSmem = (size_t)(2 * kBM * kRow + kBM * kCRow) * sizeof(__half);

// 16 bytes global -> shared, zero-filled when !valid (rows past M).
__device__ __forceinline__ void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}

template <bool RELU>
__global__ void __launch_bounds__(kThreads, 2)
    pointwise_conv_kernel(int64_t m, int32_t cin, int32_t cout, const __half* __restrict__ x,
                          const __half* __restrict__ x2, int32_t c2, const __half* __restrict__ w, const __half* __restrict__ bias,
                          const __half* __restrict__ res, __half* __restrict__ y) {
  extern __shared__ __align__(16) unsigned char smem_raw[];
  __half* sA = reinterpret_cast<__half*>(smem_raw);  // [kBM][kRow]: x rows
  __half* sB = sA + kBM * kRow;                       // [kBN][kRow]: the filter slice, [n][k]
  __half* sC = sB + kBN * kRow;                       // [kBM][kCRow]: the residual, then the output
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5, wm = warp >> 2, wn = warp & 3;
  const int slices = cout / kBN;
  const int n0 = (int)(blockIdx.x % slices) * kBN;
  const int64_t m0 = (int64_t)(blockIdx.x / slices) * kBM;

  // Everything the block reads, requested at once. A row's first c1 channels come from x, the rest from x2.
  const int kchunks = cin / 8, c1 = cin - c2, c1chunks = c1 / 8;  // 16-byte chunks per row
  for (int e = tid; e < kBM * kchunks; e += kThreads) {
    const int r = e / kchunks, c = e % kchunks;
    const bool valid = m0 + r < m;
    const int64_t row = valid ? m0 + r : 0;
    const __half* src = c < c1chunks ? x + row * c1 + c * 8 : x2 + row * c2 + (c - c1chunks) * 8;
    cp_async16(sA + r * kRow + c * 8, src, valid);
    cp_async16(sB + r * kRow + c * 8, w + (int64_t)(n0 + r) * cin + c * 8, true);
  }
  if (res) {
    for (int e = tid; e < kBM * (kBN / 8); e += kThreads) {
      const int r = e / (kBN / 8), c = e % (kBN / 8);
      const bool valid = m0 + r < m;
      cp_async16(sC + r * kCRow + c * 8, res + (valid ? (m0 + r) * cout : 0) + n0 + c * 8, valid);
    }
  }
  asm volatile("cp.async.commit_group;\n" ::);
  float bv[4][2];
#pragma unroll
  for (int j = 0; j < 4; ++j)
#pragma unroll
    for (int q = 0; q < 2; ++q)
      bv[j][q] = bias ? __half2float(bias[n0 + 32 * wn + 8 * j + 2 * (lane & 3) + q]) : 0.f;
  asm volatile("cp.async.wait_all;\n" ::);
  __syncthreads();

  float acc[4][4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j)
#pragma unroll
      for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;
  // A (x4 = one m-tile): lanes 0-15 give rows 0-15 at k 0-7, lanes 16-31 the same rows at k 8-15.
  const uint32_t a_base = smem_addr(sA + (64 * wm + (lane & 15)) * kRow + (lane >> 4) * 8);
  // B (x4 = two n-tiles): matrix lane / 8 is (n-tile lane / 16, k half (lane / 8) % 2).
  const uint32_t b_base = smem_addr(sB + (32 * wn + (lane & 7) + ((lane >> 4) << 3)) * kRow + ((lane >> 3) & 1) * 8);
  for (int ks = 0; ks < cin / 16; ++ks) {
    uint32_t b[2][4];
#pragma unroll
    for (int j = 0; j < 2; ++j) ldsm_x4(b[j], b_base + (uint32_t)(j * 16 * kRow + ks * 16) * 2);
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      uint32_t af[4];
      ldsm_x4(af, a_base + (uint32_t)(i * 16 * kRow + ks * 16) * 2);
#pragma unroll
      for (int j = 0; j < 2; ++j) {
        mma_16816(acc[i][2 * j], af, b[j][0], b[j][1]);
        mma_16816(acc[i][2 * j + 1], af, b[j][2], b[j][3]);
      }
    }
  }

  // Epilogue in place in sC: each element is read (residual) and written by the thread that holds it.
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int hr = 0; hr < 2; ++hr) {
      const int r = 64 * wm + 16 * i + (lane >> 2) + 8 * hr;
#pragma unroll
      for (int j = 0; j < 4; ++j) {
        __half2* p = reinterpret_cast<__half2*>(sC + r * kCRow + 32 * wn + 8 * j + 2 * (lane & 3));
        float v0 = acc[i][j][2 * hr] + bv[j][0], v1 = acc[i][j][2 * hr + 1] + bv[j][1];
        if (res) {
          const float2 rv = __half22float2(*p);
          v0 += rv.x;
          v1 += rv.y;
        }
        if (RELU) v0 = fmaxf(v0, 0.f), v1 = fmaxf(v1, 0.f);
        *p = __floats2half2_rn(v0, v1);
      }
    }
  __syncthreads();
  for (int e = tid; e < kBM * (kBN / 8); e += kThreads) {
    const int r = e / (kBN / 8), c = e % (kBN / 8);
    if (m0 + r < m)
      *reinterpret_cast<uint4*>(y + (m0 + r) * cout + n0 + c * 8) =
          *reinterpret_cast<const uint4*>(sC + r * kCRow + c * 8);
  }
}

template <bool RELU>
int32_t launch(int64_t m, int32_t cin, int32_t cout, const void* x, const void* x2, int32_t c2, const void* w,
               const void* bias, const void* res, void* y, cudaStream_t s, denotrt_error* err) {
  auto kernel = pointwise_conv_kernel<RELU>;
  static std::atomic<uint64_t> opted{0};  // this instantiation's dynamic shared-memory opt-in, per device
  DENOTRT_CUDA_CHECK(err, opt_in_dynamic_smem(kernel, kSmem, opted));
  const int64_t blocks = (m + kBM - 1) / kBM * (cout / kBN);
  kernel<<<(unsigned)blocks, kThreads, kSmem, s>>>(m, cin, cout, static_cast<const __half*>(x),
                                                   static_cast<const __half*>(x2), c2, static_cast<const __half*>(w), static_cast<const __half*>(bias),
                                                   static_cast<const __half*>(res), static_cast<__half*>(y));
  DT_LAUNCH_CHECK(err, "pointwise_conv_kernel");
  return DENOTRT_OK;
}

}  // namespace

bool pointwise_conv_fits(int64_t cin, int64_t cout, Act act) {
  return cin >= 16 && cin <= kMaxK && cin % 16 == 0 && cout >= kBN && cout % kBN == 0 && cout <= (1 << 20) &&
         (act.op == U_IDENTITY || act.op == U_RELU);
}

int32_t pointwise_conv(int64_t m, int64_t cin, int64_t cout, const void* x, const void* x2, int64_t c2, const void* w,
                       const void* bias, const void* residual, Act act, void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::pointwise_conv";
  if (!pointwise_conv_fits(cin, cout, act))
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                        "%lld -> %lld channels (or the activation) is not a shape this kernel runs", (long long)cin,
                        (long long)cout);
  if (c2 < 0 || c2 >= cin || c2 % 8 || (c2 > 0) != (x2 != nullptr))
    return DENOTRT_BAD_ARG(err, api, "c2 must be 0 (no x2) or a multiple of 8 below cin (with x2)");
  if (m < 0) return DENOTRT_BAD_ARG(err, api, "negative pixel count");
  if (m == 0) return DENOTRT_OK;
  if (m > ((int64_t)1 << 40) / cout || (m + kBM - 1) / kBM * (cout / kBN) > INT32_MAX)
    return DENOTRT_BAD_ARG(err, api, "too many pixels for one launch");
  if (!x || !w || !y) return DENOTRT_BAD_ARG(err, api, "null buffer");
  const uintptr_t align = (uintptr_t)x | (uintptr_t)x2 | (uintptr_t)w | (uintptr_t)y | (uintptr_t)residual;
  if (align % 16) return DENOTRT_BAD_ARG(err, api, "x, x2, w, residual and y must be 16-byte aligned");
  auto run = act.op == U_RELU ? launch<true> : launch<false>;
  return run(m, (int32_t)cin, (int32_t)cout, x, x2, (int32_t)c2, w, bias, residual, y, s, err);
}

}  // namespace dtops
