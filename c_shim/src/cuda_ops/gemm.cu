// Batched GEMM fallback (ONNX MatMul with batch broadcasting, and Gemm): 16x16 shared-memory tiles, fp32
// accumulation, arbitrary element strides so transposes and broadcast batches need no copies. cuBLASLt is the
// fast path; this one is always there and exact to fp32 summation order.
#include <string.h>

#include "util.cuh"

namespace dtops {

constexpr int kTile = 16;

struct GemmArgs {
  int64_t m, n, k;
  int64_t sam, sak, sbk, sbn;  // element strides of A (m, k) and B (k, n)
  View abatch, bbatch, cview;  // batch offsets of A and B; C (Gemm) as a [m, n] broadcast view
  float alpha, beta;
  int32_t has_c;
};

template <typename T>
__global__ void gemm_kernel(const T* a, const T* b, const T* c, T* y, GemmArgs g) {
  __shared__ float as[kTile][kTile + 1], bs[kTile][kTile + 1];
  int64_t batch = blockIdx.z;
  const T* ab = a + view_offset(batch, g.abatch.rank, g.abatch.dims, g.abatch.strides);
  const T* bb = b + view_offset(batch, g.bbatch.rank, g.bbatch.dims, g.bbatch.strides);
  int64_t row = (int64_t)blockIdx.y * kTile + threadIdx.y, col = (int64_t)blockIdx.x * kTile + threadIdx.x;
  float acc = 0.f;
  for (int64_t k0 = 0; k0 < g.k; k0 += kTile) {
    int64_t ka = k0 + threadIdx.x, kb = k0 + threadIdx.y;
    as[threadIdx.y][threadIdx.x] = (row < g.m && ka < g.k) ? to_f(ab[row * g.sam + ka * g.sak]) : 0.f;
    bs[threadIdx.y][threadIdx.x] = (kb < g.k && col < g.n) ? to_f(bb[kb * g.sbk + col * g.sbn]) : 0.f;
    __syncthreads();
#pragma unroll
    for (int j = 0; j < kTile; ++j) acc += as[threadIdx.y][j] * bs[j][threadIdx.x];
    __syncthreads();
  }
  if (row < g.m && col < g.n) {
    float v = g.alpha * acc;
    if (g.has_c) v += g.beta * to_f(c[row * g.cview.strides[0] + col * g.cview.strides[1]]);
    y[(batch * g.m + row) * g.n + col] = from_f<T>(v);
  }
}

static int32_t launch_gemm(int32_t dtype, const void* a, const void* b, const void* c, void* y, const GemmArgs& g,
                           int64_t batches, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::gemm";
  if (g.m <= 0 || g.n <= 0 || batches <= 0) return DENOTRT_OK;
  if (batches > 65535 || (g.m + kTile - 1) / kTile > 65535)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "GEMM grid too large (batches %lld, m %lld)",
                        (long long)batches, (long long)g.m);
  dim3 grid((unsigned)((g.n + kTile - 1) / kTile), (unsigned)((g.m + kTile - 1) / kTile), (unsigned)batches);
  dim3 block(kTile, kTile);
  DT_DISPATCH_FLOAT(dtype, T, api, err,
                    gemm_kernel<T><<<grid, block, 0, s>>>((const T*)a, (const T*)b, (const T*)c, (T*)y, g));
  DT_LAUNCH_CHECK(err, "gemm_kernel");
  return DENOTRT_OK;
}

int32_t matmul(int32_t dtype, const void* a, const Dims& ad0, const void* b, const Dims& bd0, void* y,
               cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::matmul";
  Dims ad = ad0, bd = bd0;
  if (ad.rank < 1 || bd.rank < 1) return DENOTRT_BAD_ARG(err, api, "MatMul operands must have rank >= 1");
  // ONNX/numpy promotion: a 1-D A is [1, K], a 1-D B is [K, 1]; the output layout is the same either way.
  if (ad.rank == 1) { ad.rank = 2; ad.d[1] = ad.d[0]; ad.d[0] = 1; }
  if (bd.rank == 1) { bd.rank = 2; bd.d[1] = 1; }
  int64_t m = ad.d[ad.rank - 2], k = ad.d[ad.rank - 1], n = bd.d[bd.rank - 1];
  if (bd.d[bd.rank - 2] != k)
    return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "MatMul inner dimensions differ (%lld vs %lld)",
                        (long long)k, (long long)bd.d[bd.rank - 2]);
  // Batch shape: broadcast of the leading dims.
  Dims abat, bbat, ybat;
  abat.rank = ad.rank - 2; bbat.rank = bd.rank - 2;
  for (int32_t i = 0; i < abat.rank; ++i) abat.d[i] = ad.d[i];
  for (int32_t i = 0; i < bbat.rank; ++i) bbat.d[i] = bd.d[i];
  ybat.rank = abat.rank > bbat.rank ? abat.rank : bbat.rank;
  for (int32_t i = 0; i < ybat.rank; ++i) {
    int32_t ia = i - (ybat.rank - abat.rank), ib = i - (ybat.rank - bbat.rank);
    int64_t da = ia >= 0 ? abat.d[ia] : 1, db = ib >= 0 ? bbat.d[ib] : 1;
    if (da != db && da != 1 && db != 1)
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "MatMul batch dims do not broadcast");
    ybat.d[i] = da == 1 ? db : da;
  }
  GemmArgs g;
  memset(&g, 0, sizeof g);
  g.m = m; g.n = n; g.k = k;
  g.sam = k; g.sak = 1; g.sbk = n; g.sbn = 1;
  g.alpha = 1.f;
  broadcast_view(abat, ybat, &g.abatch);
  broadcast_view(bbat, ybat, &g.bbatch);
  for (int32_t i = 0; i < g.abatch.rank; ++i) g.abatch.strides[i] *= m * k;  // batch strides in elements
  for (int32_t i = 0; i < g.bbatch.rank; ++i) g.bbatch.strides[i] *= k * n;
  return launch_gemm(dtype, a, b, nullptr, y, g, numel(ybat), s, err);
}

int32_t gemm(int32_t dtype, const void* a, int32_t trans_a, const void* b, int32_t trans_b, const void* c,
             const Dims& cd, float alpha, float beta, void* y, int64_t m, int64_t n, int64_t k, cudaStream_t s,
             denotrt_error* err) {
  GemmArgs g;
  memset(&g, 0, sizeof g);
  g.m = m; g.n = n; g.k = k;
  // A is stored [m, k] (or [k, m] when transposed); B is [k, n] (or [n, k]).
  if (trans_a) { g.sam = 1; g.sak = m; } else { g.sam = k; g.sak = 1; }
  if (trans_b) { g.sbk = 1; g.sbn = k; } else { g.sbk = n; g.sbn = 1; }
  g.alpha = alpha;
  g.beta = beta;
  g.has_c = c != nullptr && beta != 0.f;
  if (g.has_c) {
    Dims mn;
    mn.rank = 2; mn.d[0] = m; mn.d[1] = n;
    if (!broadcast_view(cd, mn, &g.cview))
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, "dtops::gemm", "", "Gemm C does not broadcast to [M, N]");
  }
  return launch_gemm(dtype, a, b, c, y, g, 1, s, err);
}

}  // namespace dtops
