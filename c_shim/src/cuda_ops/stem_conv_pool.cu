// The ResNet stem (Conv 7x7/2 pad 3 on C <= 4 channels + bias + Relu, then MaxPool 3x3/2 pad 1) as one kernel.
// Why: at batch 128 on the H200 cuDNN's best stem conv took 0.29 ms, the pool 0.11 ms and the input's cast 0.05 ms,
// 13% of ResNet-50, almost all of it the conv's [N, 112, 112, 64] output going to HBM and back (205 MB each way at
// b128); at batch 1 the three are 61 kernels' slowest few (25 us). Here the conv's output never leaves the SM:
//  - a block owns a PHxPW tile of pool outputs (all 64 channels) and computes the (2PH+1)x(2PW+1) conv pixels under
//    it (the pool's halo recomputed: 13% more conv work at 8x8) into shared memory, then pools from there;
//  - the conv is an implicit GEMM on tensor cores (mma.sync m16n8k16, fp32 accumulators): M = conv pixels, N = 64
//    channels, K = the 7 kernel rows, each as a slice of the input row that ldmatrix reads straight from the input
//    tile in shared memory (no im2col): a conv pixel's slice for one kernel row is 8 input columns (column 7 and
//    channels >= C carry zero weights) starting at column 2 cx, and every 8-half chunk of it must start on a 16-byte
//    boundary (an ldmatrix row). Two layouts of K (the Layout template parameter: Pad4, Dense3):
//     - Pad4 (C = 4): 4 halves per pixel, the slice 32 contiguous halves at half 8 cx, always aligned.
//       K = 7 x 32 = 224, 14 k-steps.
//     - Dense3 (C <= 3: ResNet's stem): 3 halves per pixel, the slice 24 halves (21 real for C = 3: 7 columns x 3
//       channels; the 8th pixel's 3 against zero weights) in 3 chunks of 8, so K = 7 x 24 + one zero chunk = 176
//       (147 real), 11 k-steps: 21% fewer mma and ldmatrix than Pad4's 224. The slice starts at half 6 cx, 16-byte
//       aligned only for cx % 4 = 0, so the input tile is stored 4 times, copy s shifted by 2 s halves: in copy
//       s = cx % 4 the slice starts at 2 s + 6 cx = 8 s + 24 (cx / 4) halves, a multiple of 8 (+ row offsets, also
//       multiples of 8). The copies cost 4 stores per word of input and 4x its space, which still about fits under
//       the conv tile that shares it (8x8: 40.0 KB input, 41.6 KB conv tile; 4x8: 23.6 against 22.0). A k-step's
//       two chunks may come from two kernel rows (see Dense3). Measured on the H200 (.scratch/stem_exp, this
//       kernel's schedule) at b128, 224x224, NCHW fp32 input, 8x8 tile: 238.0 us with Pad4, 217.9 us with Dense3
//       (b1: 11.7 against 11.8 us). Tried there and slower: separate input / conv regions with the next tile's
//       loads overlapping the pool (242 us; with Dense3 236), a blocked M order with fewer bank conflicts (259).
//    The tensor cores have room; what the stem lacks is memory traffic, and this keeps it at one read of the input
//    and one write of the pooled output;
//  - padding positions of K (kernel column 7, channels >= C, Dense3's zero chunk) multiply zero weights by data the
//    tile's own loads wrote (input values or zeros; never stale or unwritten shared memory, which could be NaN);
//  - bias and Relu are applied before the pool (max commutes with both), and conv pixels outside the image are
//    stored as 0: after a Relu every window's max is >= 0 and every window holds at least one real pixel, so the
//    pool's padding needs no test;
//  - the input is read either as NHWC fp16 or as the graph's own NCHW fp32 (rounded to fp16 as the Cast it
//    replaces would), so the input's cast-and-transpose kernel does not run either;
//  - blocks are persistent (one wave of resident blocks, grid-stride over tiles): the filter is staged once.
#include <atomic>

#include "launch_info.h"
#include "mma.cuh"
#include "util.cuh"

namespace dtops {
namespace {

constexpr int kTiles = 2;    // the tile configurations stem_conv_pool's `tile` selects
constexpr int kWarpsM = 4;   // warps along M (conv pixels); WN warps along N (64 / WN channels each)
constexpr int kSliceCols = 8;  // input columns per kernel-row slice: kx = 0..6 and one zero-weight column

// The pool tile's geometry, common to both layouts.
template <int PH_, int PW_, int WN_>
struct Tile {
  static constexpr int PH = PH_, PW = PW_, WN = WN_;
  static constexpr int THREADS = 32 * kWarpsM * WN;
  static constexpr int NTW = kStemChannels / 8 / WN;             // n-tiles of 8 channels per warp
  static constexpr int CH = 2 * PH + 1, CW = 2 * PW + 1;        // conv pixels under the pool tile, halo included
  static constexpr int M = CH * CW;
  static constexpr int MT = (M + 15) / 16;                      // m-tiles of 16 conv pixels
  static constexpr int MT_WARP = (MT + kWarpsM - 1) / kWarpsM;  // per warp
  static constexpr int IH = 2 * (CH - 1) + 7;                   // input rows the conv tile reads
  static constexpr int IW = 2 * (CW - 1) + kSliceCols;          // input columns, the last one only for kx = 7
  static constexpr int OROW = kStemChannels + 8;  // conv-output row in halves: 9 16-byte units, conflict-free rows
  static constexpr int OUT_HALVES = M * OROW;
  static_assert(NTW % 2 == 0, "B fragments are loaded two n-tiles per ldmatrix");
};

struct StemArgs {
  int32_t n, h, w, c;  // input
  int32_t ch, cw;      // conv output
  int32_t ph, pw;      // pool output
  int32_t tiles_h, tiles_w;
  int64_t tiles;
};

__device__ __forceinline__ uint32_t pack2(float lo, float hi) {
  __half2 h = __floats2half2_rn(lo, hi);
  return *reinterpret_cast<uint32_t*>(&h);
}

// ---------------------------------------------------------------------------------------------------------------
// The K layouts: what differs between them. Each gives NCH (channels per pixel in the input tile), KSTEPS, BROW
// (filter row in halves; an odd number of 16-byte units, so the 8 rows an ldmatrix reads fall in 8 bank groups),
// IN_HALVES (the input tile), PIX (adjacent pixels one thread loads and stores as one item), store_filter_row (one
// (n, ky) filter row into sB[n][k]), store (an item into the input tile), a_row (a lane's ldmatrix row address for
// conv pixel (cy, cx) and lane half h = lane / 16: lanes 0-15 read k 0-7 of a k-step, 16-31 k 8-15), a_off (k-step
// s's offset from it in halves: a compile-time constant after unrolling, but for Dense3's per-lane term) and
// k_order_ok (a compile-time check that a_off reads, for every k, the input half that the filter's k weights).

// Pad4 (C = 4): the input tile [IH][IROW] holds 4 halves per pixel (channels >= C zero). K = ky * 32 + kx * 4 + c:
// k-step s = 2 ky + kh reads row 2 cy + ky, halves 8 cx + 16 kh.. of it.
template <class TT>
struct Pad4 {
  using T = TT;
  static constexpr int NCH = 4;
  static constexpr int KSTEPS = 14;                 // K = 7 x 32 = 224
  static constexpr int BROW = 16 * KSTEPS + 8;      // 232 halves = 29 units
  static constexpr int IROW = T::IW * 4 + 8;        // 168 halves = 21 units
  static constexpr int IN_HALVES = T::IH * IROW;
  static constexpr int PIX = 1;
  static_assert(IROW % 8 == 0, "16-byte aligned rows");

  __device__ static __forceinline__ void store_filter_row(__half* sB, int n, int ky, const __half (&v)[7][NCH]) {
    __half* dst = sB + n * BROW + ky * 32;
#pragma unroll
    for (int kx = 0; kx < 8; kx += 2) {
      __align__(16) __half h[8];
#pragma unroll
      for (int k = 0; k < 8; ++k) h[k] = kx + k / 4 < 7 ? v[kx + k / 4][k % 4] : __float2half(0.f);
      *reinterpret_cast<uint4*>(dst + kx * 4) = *reinterpret_cast<const uint4*>(h);
    }
  }
  __device__ static __forceinline__ void store(const float (&v)[PIX][NCH], __half* sU, int row, int col) {
    *reinterpret_cast<uint2*>(sU + row * IROW + col * 4) =
        make_uint2(pack2(v[0][0], v[0][1]), pack2(v[0][2], v[0][3]));
  }
  __device__ static __forceinline__ uint32_t a_row(const __half* sU, int cy, int cx, int h) {
    return smem_addr(sU + 2 * cy * IROW + 8 * cx + 8 * h);
  }
  __host__ __device__ static constexpr int a_off(int s, int /*h*/) { return (s >> 1) * IROW + (s & 1) * 16; }
  // k = ky * 32 + kx * 4 + c weights the half at ky * IROW + 4 kx + c of the slice.
  static constexpr bool k_order_ok() {
    for (int k = 0; k < 16 * KSTEPS; ++k)
      if (a_off(k / 16, k / 8 % 2) + 8 * (k / 8 % 2) + k % 8 != k / 32 * IROW + k % 32) return false;
    return true;
  }
};

// Dense3 (C <= 3): kernel row ky's slice is 8 pixels x 3 channels = 24 halves, position pos = 3 kx + c, as chunks
// (ky, part) of 8 halves, part = pos / 8 (pos 21-23, the 8th pixel, and channels >= C get zero weights). The input
// tile is 4 copies of [IH][CROW]; in copy s, pixel (row, col) channel c is at half s (COPY + 2) + row CROW + 3 col
// + c. Conv pixel (cy, cx) reads copy s = cx % 4, where the slice of kernel row ky starts at
// s (COPY + 2) + (2 cy + ky) CROW + 6 cx = s COPY + (2 cy + ky) CROW + 8 s + 24 (cx / 4): a multiple of 8 halves.
// 21 chunks + one zero chunk Z = 11 k-steps; which two chunks k-step s pairs (lanes 0-15: the first, 16-31: the
// second; a lane's a_row includes 8 h, so a pair whose second chunk lies 8 halves past its first needs nothing per
// lane):
//   s = 0..6:  (ky = s, part 0), (s, 1)                       at s CROW (+ 8 h)
//   s = 7..9:  (ky = 2 (s - 7), part 2), (2 (s - 7) + 1, 2)    at 2 (s - 7) CROW + 16 (+ 8 h + h (CROW - 8))
//   s = 10:    Z, (ky = 6, part 2)                            at 6 CROW + 8 (+ 8 h): Z's lanes read chunk (6, 1)'s
//              data (finite) against zero weights.
// The filter's K follows: sB[n][16 s + 8 h + e] (kk_of). 8 of the 11 k-steps fold their offset into ldmatrix's
// immediate as all of Pad4's do; 3 add the lane's h (CROW - 8).
// Bank groups (16-byte units mod 8): CROW = 128 halves is 16 units here and copy s starts s units (mod 8) past
// copy 0 (COPY_UNITS = 1 mod 8), so conv pixel cx = 4 q + s's chunk sits in group 2 s + 3 q + (common terms): 8
// consecutive columns of one conv row hit 8 different groups; phases that straddle two conv rows may conflict (the
// blocked M order that avoids it measured slower).
template <class TT>
struct Dense3 {
  using T = TT;
  static constexpr int NCH = 3;
  static constexpr int KSTEPS = 11;              // K = 7 x 24 + 8 = 176
  static constexpr int BROW = 16 * KSTEPS + 8;   // 184 halves = 23 units
  static constexpr int ROW_USED = 2 * 3 + 3 * T::IW;              // copy 3's shift + a row of pixels
  static constexpr int CROW = (ROW_USED + 7) / 8 * 8;              // 128 (8x8 and 4x8)
  static constexpr int COPY_MIN = T::IH * CROW / 8;                // units: 624 (8x8), 368 (4x8)
  static constexpr int COPY_UNITS = COPY_MIN + (9 - COPY_MIN % 8) % 8;  // next = 1 mod 8: 625, 369
  static constexpr int COPY = COPY_UNITS * 8;
  static constexpr int IN_HALVES = 4 * COPY;
  static constexpr int PIX = 2;  // two pixels = 6 halves = 3 aligned words per copy
  static constexpr int KK_ZERO = 16 * 10;  // Z
  static_assert(CROW % 8 == 0 && COPY % 8 == 0, "slice starts (8 s + 24 (cx / 4) + rows) are 16-byte aligned");
  static_assert(T::IH * CROW <= COPY, "a copy's rows fit before the next copy");
  static_assert(COPY_UNITS % 8 == 1, "copy s starts s bank groups past copy 0");
  static_assert(6 * (T::CW - 1) + 3 * kSliceCols <= 3 * T::IW, "every half a slice reads is stored");
  static_assert(T::IW % PIX == 0, "a row is whole pixel pairs");

  __host__ __device__ static constexpr int kk_of(int ky, int part) {
    return part < 2 ? 16 * ky + 8 * part : ky < 6 ? 16 * (7 + ky / 2) + 8 * (ky % 2) : 16 * 10 + 8;
  }
  __host__ __device__ static constexpr int a_off(int s, int h) {
    return s < 7 ? s * CROW : s < 10 ? 2 * (s - 7) * CROW + 16 + h * (CROW - 8) : 6 * CROW + 8;
  }
  // Chunk (ky, part) sits at K kk_of(ky, part), which k-step kk / 16, lane half kk / 8 % 2 reads at
  // ky * CROW + 8 * part of the slice; the 21 chunks and Z fill distinct 8-half places of K.
  static constexpr bool k_order_ok() {
    bool used[2 * KSTEPS] = {};
    used[KK_ZERO / 8] = KK_ZERO % 8 == 0 && KK_ZERO < 16 * KSTEPS;
    for (int ky = 0; ky < 7; ++ky)
      for (int part = 0; part < 3; ++part) {
        const int kk = kk_of(ky, part), s = kk / 16, h = kk / 8 % 2;
        if (kk % 8 || kk >= 16 * KSTEPS || used[kk / 8]) return false;
        used[kk / 8] = true;
        if (a_off(s, h) + 8 * h != ky * CROW + 8 * part) return false;
      }
    return used[KK_ZERO / 8];
  }

  __device__ static __forceinline__ void store_filter_row(__half* sB, int n, int ky, const __half (&v)[7][NCH]) {
#pragma unroll
    for (int part = 0; part < 3; ++part) {
      __align__(16) __half h[8];
#pragma unroll
      for (int e = 0; e < 8; ++e) {
        const int pos = 8 * part + e;
        h[e] = pos < 21 ? v[pos / 3][pos % 3] : __float2half(0.f);
      }
      *reinterpret_cast<uint4*>(sB + n * BROW + kk_of(ky, part)) = *reinterpret_cast<const uint4*>(h);
    }
    if (ky == 6) *reinterpret_cast<uint4*>(sB + n * BROW + KK_ZERO) = make_uint4(0, 0, 0, 0);
  }
  // Pixels col, col + 1 (col even) as words: (p0 c0, p0 c1), (p0 c2, p1 c0), (p1 c1, p1 c2), into every copy.
  __device__ static __forceinline__ void store(const float (&v)[PIX][NCH], __half* sU, int row, int col) {
    const uint32_t w0 = pack2(v[0][0], v[0][1]), w1 = pack2(v[0][2], v[1][0]), w2 = pack2(v[1][1], v[1][2]);
    uint32_t* d = reinterpret_cast<uint32_t*>(sU + row * CROW + 3 * col);
#pragma unroll
    for (int s = 0; s < 4; ++s) {
      uint32_t* ds = d + s * (COPY + 2) / 2;
      ds[0] = w0, ds[1] = w1, ds[2] = w2;
    }
  }
  __device__ static __forceinline__ uint32_t a_row(const __half* sU, int cy, int cx, int h) {
    const int s = cx & 3;
    return smem_addr(sU + s * (COPY + 2) + 2 * cy * CROW + 6 * cx + 8 * h);
  }
};

template <class L>
struct Smem {
  using T = typename L::T;
  static constexpr int UNION_HALVES = L::IN_HALVES > T::OUT_HALVES ? L::IN_HALVES : T::OUT_HALVES;
  static constexpr size_t BYTES = (size_t)(kStemChannels * L::BROW + UNION_HALVES) * sizeof(__half);
  static_assert(L::BROW % 8 == 0 && (L::BROW / 8) % 2 == 1, "filter rows: 16-byte aligned, odd units");
  static_assert(L::k_order_ok(), "the A offsets read, for every k, the half the filter's k weights");
  static_assert(2 * (BYTES + 1024) <= 228 * 1024, "2 blocks per SM (launch_bounds' minimum) fit on an H100/H200");
};

// Channel ch of input pixel (iy, ix) of image img as it lies (NHWC fp16 or NCHW fp32); 0 outside the image, for
// ch >= C and when !live. One predicated load, no branch. At 8x8 the kernel sits at 123-128 of its 128 registers
// and ptxas is touchy here: a branch around each pixel's loads, or the same test spelled as an && chain or with
// bitwise &, spilled 30-150 bytes; this spelling spills nothing in any instantiation (check -Xptxas -v after edits).
template <int INPUT>
__device__ __forceinline__ float load_x(bool live, const void* __restrict__ x, const StemArgs& a, int64_t img, int iy,
                                        int ix, int ch) {
  const bool in = live && !(ch >= a.c || iy < 0 || iy >= a.h || ix < 0 || ix >= a.w);
  if (INPUT == STEM_NHWC_F16)
    return in ? __half2float(__ldg(static_cast<const __half*>(x) + ((img * a.h + iy) * a.w + ix) * a.c + ch)) : 0.f;
  return in ? __ldg(static_cast<const float*>(x) + ((img * a.c + ch) * a.h + iy) * (int64_t)a.w + ix) : 0.f;
}

template <class L, int INPUT>
__global__ void __launch_bounds__(L::T::THREADS, 2)
    stem_conv_pool_kernel(StemArgs a, const void* __restrict__ x, const __half* __restrict__ w,
                          const __half* __restrict__ bias, __half* __restrict__ y) {
  using T = typename L::T;
  constexpr int kThreads = T::THREADS, NTW = T::NTW, CPW = 8 * NTW, WN = T::WN, PH = T::PH, PW = T::PW;
  constexpr int NCH = L::NCH;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  __half* sB = reinterpret_cast<__half*>(smem_raw);  // [64][BROW] filter, K in the layout's order
  __half* sU = sB + kStemChannels * L::BROW;         // input tile (the layout's), then conv tile [M][OROW]
  const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
  const int wm = warp / WN, wn = warp % WN;

  // The filter, staged once per block. Each thread owns whole (n, ky) rows and issues all their loads before its
  // first store: one memory latency, not one per element (what a batch-1 launch waits on).
  {
    constexpr int kRows = kStemChannels * 7, kRowsPerThread = (kRows + kThreads - 1) / kThreads;
    __half v[kRowsPerThread][7][NCH];
#pragma unroll
    for (int q = 0; q < kRowsPerThread; ++q) {
      const int row = tid + q * kThreads;  // n * 7 + ky
#pragma unroll
      for (int kx = 0; kx < 7; ++kx)
#pragma unroll
        for (int ch = 0; ch < NCH; ++ch)
          v[q][kx][ch] = row < kRows && ch < a.c ? __ldg(w + (row * 7 + kx) * a.c + ch) : __float2half(0.f);
    }
#pragma unroll
    for (int q = 0; q < kRowsPerThread; ++q) {
      const int row = tid + q * kThreads;
      if (row < kRows) L::store_filter_row(sB, row / 7, row % 7, v[q]);
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
      smem_addr(sB + (CPW * wn + (lane & 7) + ((lane >> 4) << 3)) * L::BROW + ((lane >> 3) & 1) * 8);
  const int h = lane >> 4;

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
      // All of this thread's loads (items of PIX adjacent pixels: 7 at 8x8 for Pad4, 4 pairs for Dense3) go out
      // before its first store: one latency per tile, not one per pixel (the tile loads dominated before).
      constexpr int kPerRow = T::IW / L::PIX, kItems = T::IH * kPerRow;
      constexpr int kPerThread = (kItems + kThreads - 1) / kThreads;
      float v[kPerThread][L::PIX][NCH];
#pragma unroll
      for (int q = 0; q < kPerThread; ++q) {
        const int p = tid + q * kThreads, r = p / kPerRow, col = L::PIX * (p % kPerRow);
#pragma unroll
        for (int e = 0; e < L::PIX; ++e)
#pragma unroll
          for (int ch = 0; ch < NCH; ++ch)
            v[q][e][ch] = load_x<INPUT>(p < kItems, x, a, img, iy0 + r, ix0 + col + e, ch);
      }
#pragma unroll
      for (int q = 0; q < kPerThread; ++q) {
        const int p = tid + q * kThreads, r = p / kPerRow, col = L::PIX * (p % kPerRow);
        if (p < kItems) L::store(v[q], sU, r, col);
      }
    }
    __syncthreads();

    // A (x4 = one m-tile): lanes 0-15 give rows 0-15 at k 0-7, lanes 16-31 the same rows at k 8-15. Formed per
    // tile (a few integer ops; as in the measured experiment), so they need no registers during the tile's loads.
    uint32_t a_base[T::MT_WARP];
#pragma unroll
    for (int i = 0; i < T::MT_WARP; ++i) {
      int m = (wm + 4 * i) * 16 + (lane & 15);
      if (m >= T::M) m = T::M - 1;  // padding rows of the last m-tile: computed, never stored
      a_base[i] = L::a_row(sU, m / T::CW, m % T::CW, h);
    }
    float acc[T::MT_WARP][NTW][4];
#pragma unroll
    for (int i = 0; i < T::MT_WARP; ++i)
#pragma unroll
      for (int j = 0; j < NTW; ++j)
#pragma unroll
        for (int q = 0; q < 4; ++q) acc[i][j][q] = 0.f;
#pragma unroll  // 4% faster at b128 than a rolled loop (Pad4)
    for (int s = 0; s < L::KSTEPS; ++s) {
      uint32_t b[NTW / 2][4];  // two n-tiles per ldmatrix
#pragma unroll
      for (int j = 0; j < NTW / 2; ++j) ldsm_x4(b[j], b_base + (uint32_t)(j * 16 * L::BROW + 16 * s) * 2);
      const uint32_t koff = 2u * (uint32_t)L::a_off(s, h);
#pragma unroll
      for (int i = 0; i < T::MT_WARP; ++i) {
        if (wm + 4 * i >= T::MT) continue;  // warp-uniform
        uint32_t af[4];
        ldsm_x4(af, a_base[i] + koff);
#pragma unroll
        for (int j = 0; j < NTW / 2; ++j) {
          mma_16816(acc[i][2 * j], af, b[j][0], b[j][1]);
          mma_16816(acc[i][2 * j + 1], af, b[j][2], b[j][3]);
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

template <class L, int INPUT>
int32_t launch(StemArgs a, const void* x, const void* w, const void* bias, void* y, cudaStream_t s,
               denotrt_error* err) {
  using T = typename L::T;
  constexpr size_t kSmem = Smem<L>::BYTES;
  auto kernel = stem_conv_pool_kernel<L, INPUT>;
  static std::atomic<uint64_t> opted{0};  // this instantiation's dynamic shared-memory opt-in, per device
  DENOTRT_CUDA_CHECK(err, opt_in_dynamic_smem(kernel, kSmem, opted));
  a.tiles_h = (a.ph + T::PH - 1) / T::PH;
  a.tiles_w = (a.pw + T::PW - 1) / T::PW;
  a.tiles = (int64_t)a.n * a.tiles_h * a.tiles_w;
  const int64_t wave = (int64_t)resident_blocks(kernel, T::THREADS, kSmem) * sm_count();
  const unsigned grid = (unsigned)(a.tiles < wave ? a.tiles : wave);
  kernel<<<grid, T::THREADS, kSmem, s>>>(a, x, static_cast<const __half*>(w), static_cast<const __half*>(bias),
                                         static_cast<__half*>(y));
  DT_LAUNCH_CHECK(err, "stem_conv_pool_kernel");
  return DENOTRT_OK;
}

template <template <class> class Layout, int INPUT>
int32_t launch_tile(int32_t tile, const StemArgs& a, const void* x, const void* w, const void* bias, void* y,
                    cudaStream_t s, denotrt_error* err) {
  // On the H200 a 64-channel warp tile (4 warps, 240 registers) and 3 blocks per SM (4x8) were slower than these.
  return tile == 1 ? launch<Layout<Tile<8, 8, 2>>, INPUT>(a, x, w, bias, y, s, err)
                   : launch<Layout<Tile<4, 8, 2>>, INPUT>(a, x, w, bias, y, s, err);
}

// C <= 3 (ResNet's stem) takes the dense K; Dense3 has room for 3 channels per pixel, so C = 4 keeps Pad4.
template <int INPUT>
int32_t launch_input(int32_t tile, const StemArgs& a, const void* x, const void* w, const void* bias, void* y,
                     cudaStream_t s, denotrt_error* err) {
  return a.c <= 3 ? launch_tile<Dense3, INPUT>(tile, a, x, w, bias, y, s, err)
                  : launch_tile<Pad4, INPUT>(tile, a, x, w, bias, y, s, err);
}

}  // namespace

bool stem_conv_fits(const ConvDesc& d, const int64_t* pe) {
  return d.spatial == 2 && d.group == 1 && d.c >= 1 && d.c <= 4 && d.k == kStemChannels && d.kernel[0] == 7 &&
         d.kernel[1] == 7 && d.stride[0] == 2 && d.stride[1] == 2 && d.dilation[0] == 1 && d.dilation[1] == 1 &&
         d.pad_begin[0] == 3 && d.pad_begin[1] == 3 && pe && pe[0] == 3 && pe[1] == 3 && d.in[0] >= 1 &&
         d.in[1] >= 1 && d.out[0] == (d.in[0] - 1) / 2 + 1 && d.out[1] == (d.in[1] - 1) / 2 + 1;
}

// The tile the launcher runs: 8x8 (13% of the conv recomputed for the pool's halo) when its blocks give every SM
// one, else 4x8 (more blocks: batch 1 at 224x224 has 49 tiles of 8x8 for 132 SMs). On the H200, measured with the
// Pad4 layout before Dense3 took C = 3: 8x8 239 us at b128 against 250 for 4x8; 4x8 9.3 us at b1 against 11.9 for
// 8x8 and 10.4 for 4x4 tiles.
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
  return input == STEM_NHWC_F16 ? launch_input<STEM_NHWC_F16>(tile, a, x, w, bias, y, s, err)
                                 : launch_input<STEM_NCHW_F32>(tile, a, x, w, bias, y, s, err);
}

}  // namespace dtops
