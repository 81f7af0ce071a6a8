// Row-major GEMM through column-major cuBLASLt: Y = A B is computed as Y^T = B^T A^T, so the operands swap and no
// data moves. CUBLAS_COMPUTE_32F never uses TF32; CUBLAS_COMPUTE_32F_FAST_TF32 (fp32 GEMMs of layers built with
// precision "tf32") lets tensor cores round the inputs to TF32; fp16 runs tensor cores with fp32 accumulation.
#include <stdlib.h>

#include "../cuda_ops/gpu_timing.h"
#include "cublaslt_api.h"
#include "cublaslt_gemm.h"

struct denotrt_lt_gemm {
  const denotrt_cublaslt_api* api;
  cublasLtMatmulDesc_t op;
  cublasLtMatrixLayout_t a, b, y;  // a: cuBLAS's A (our B); b: cuBLAS's B (our A)
  cublasLtMatmulAlgo_t algo;
  size_t workspace;
  float alpha;
  int32_t bias;
};

int32_t denotrt_lt_handle_create(void** handle, denotrt_error* err) {
  const denotrt_cublaslt_api* api;
  int32_t rc = denotrt_cublaslt_load(&api, err);
  if (rc != DENOTRT_OK) return rc;
  cublasLtHandle_t h;
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtCreate, &h);
  *handle = h;
  return DENOTRT_OK;
}

void denotrt_lt_handle_destroy(void* handle) {
  const denotrt_cublaslt_api* api;
  if (handle && denotrt_cublaslt_load(&api, nullptr) == DENOTRT_OK) api->cublasLtDestroy((cublasLtHandle_t)handle);
}

void denotrt_lt_gemm_destroy(denotrt_lt_gemm* g) {
  if (!g) return;
  if (g->a) g->api->cublasLtMatrixLayoutDestroy(g->a);
  if (g->b) g->api->cublasLtMatrixLayoutDestroy(g->b);
  if (g->y) g->api->cublasLtMatrixLayoutDestroy(g->y);
  if (g->op) g->api->cublasLtMatmulDescDestroy(g->op);
  free(g);
}

static int32_t layout(const denotrt_cublaslt_api* api, cublasLtMatrixLayout_t* l, cudaDataType_t t, int64_t rows,
                      int64_t cols, int64_t ld, int64_t batch, int64_t stride, denotrt_error* err) {
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatrixLayoutCreate, l, t, (uint64_t)rows, (uint64_t)cols, ld);
  if (batch > 1) {
    int32_t count = (int32_t)batch;
    DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatrixLayoutSetAttribute, *l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count,
                           sizeof count);
    DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatrixLayoutSetAttribute, *l,
                           CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride);
  }
  return DENOTRT_OK;
}

// Heuristic candidates timed per GEMM: the first is often far from the best on skinny shapes (a batch-1 classifier,
// [1, 2048] x [2048, 1000], took 15.6 us on the H200 on cuBLASLt's first choice: 4 MB of weights at 270 GB/s).
constexpr int kCandidates = 8;
// Scratch operands above this are not allocated for timing: the heuristic's first choice runs.
constexpr size_t kTimingBytesLimit = 256u << 20;

// Index of the fastest of `n` candidates (timed on scratch operands, stream 0, at build time), 0 when
// they cannot be timed (no memory; a failing candidate is skipped). Scratch values are never read back: only timing.
static int fastest(denotrt_lt_gemm* g, cublasLtHandle_t h, const denotrt_lt_gemm_desc* d,
                   const cublasLtMatmulHeuristicResult_t* res, int n) {
  const size_t esz = d->dtype == DENOTRT_FLOAT16 ? 2 : 4;
  const int64_t batch = d->batch > 0 ? d->batch : 1;
  const size_t a_n = (size_t)(d->stride_a ? batch : 1) * d->m * d->k, b_n = (size_t)(d->stride_b ? batch : 1) * d->k * d->n;
  const size_t y_n = (size_t)batch * d->m * d->n;
  size_t ws = 0;
  for (int i = 0; i < n; ++i) ws = res[i].workspaceSize > ws ? res[i].workspaceSize : ws;
  if ((a_n + b_n + y_n + d->n) * esz + ws > kTimingBytesLimit) return 0;
  void *a = nullptr, *b = nullptr, *y = nullptr, *bias = nullptr, *work = nullptr;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  int best = 0;
  float best_ms = 1e30f;
  if (cudaMalloc(&a, a_n * esz) == cudaSuccess && cudaMalloc(&b, b_n * esz) == cudaSuccess &&
      cudaMalloc(&y, y_n * esz) == cudaSuccess && cudaMalloc(&bias, (size_t)d->n * esz) == cudaSuccess &&
      (ws == 0 || cudaMalloc(&work, ws) == cudaSuccess) && cudaMemset(a, 0, a_n * esz) == cudaSuccess &&
      cudaMemset(b, 0, b_n * esz) == cudaSuccess && cudaMemset(bias, 0, (size_t)d->n * esz) == cudaSuccess &&
      cudaEventCreate(&e0) == cudaSuccess && cudaEventCreate(&e1) == cudaSuccess) {
    const denotrt_cublaslt_api* api = g->api;
    if (g->bias) api->cublasLtMatmulDescSetAttribute(g->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
    const float beta = 0.f;
    // Each candidate as a CUDA graph would replay it (dtops::time_back_to_back); a failing one is skipped.
    for (int i = 0; i < n; ++i) {
      auto run = [&] {
        return api->cublasLtMatmul(h, g->op, &g->alpha, b, g->a, a, g->b, &beta, y, g->y, y, g->y, &res[i].algo,
                                   work, res[i].workspaceSize, 0) == CUBLAS_STATUS_SUCCESS;
      };
      bool ran = false;
      float ms = 0.f;
      if (dtops::time_back_to_back(run, e0, e1, &ran, &ms) != cudaSuccess || !ran) continue;
      if (ms < best_ms) best_ms = ms, best = i;
    }
  }
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  cudaFree(a), cudaFree(b), cudaFree(y), cudaFree(bias), cudaFree(work);
  cudaGetLastError();  // our own failed allocation or launch: not an error for later checks to report
  return best;
}

static int32_t build(denotrt_lt_gemm* g, cublasLtHandle_t h, const denotrt_lt_gemm_desc* d, size_t limit,
                     denotrt_error* err) {
  const denotrt_cublaslt_api* api = g->api;
  cudaDataType_t t = d->dtype == DENOTRT_FLOAT16 ? CUDA_R_16F : CUDA_R_32F;
  cublasComputeType_t compute =
      d->dtype == DENOTRT_FLOAT32 && d->allow_tf32 ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmulDescCreate, &g->op, compute, CUDA_R_32F);
  cublasOperation_t ta = d->trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;  // cuBLAS's A is our B
  cublasOperation_t tb = d->trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmulDescSetAttribute, g->op, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmulDescSetAttribute, g->op, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
  if (d->bias) {
    cublasLtEpilogue_t epi = CUBLASLT_EPILOGUE_BIAS;
    DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmulDescSetAttribute, g->op, CUBLASLT_MATMUL_DESC_EPILOGUE, &epi,
                           sizeof epi);
  }
  int32_t rc;
  // Our B, row-major [k, n] (or [n, k] transposed) = column-major n x k, ld n (or k x n, ld k).
  if ((rc = layout(api, &g->a, t, d->trans_b ? d->k : d->n, d->trans_b ? d->n : d->k, d->trans_b ? d->k : d->n,
                   d->batch, d->stride_b, err)))
    return rc;
  // Our A, row-major [m, k] (or [k, m]) = column-major k x m, ld k (or m x k, ld m).
  if ((rc = layout(api, &g->b, t, d->trans_a ? d->m : d->k, d->trans_a ? d->k : d->m, d->trans_a ? d->m : d->k,
                   d->batch, d->stride_a, err)))
    return rc;
  if ((rc = layout(api, &g->y, t, d->n, d->m, d->n, d->batch, d->m * d->n, err))) return rc;
  cublasLtMatmulPreference_t pref;
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmulPreferenceCreate, &pref);
  uint64_t ws = limit;
  cublasStatus_t st = api->cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws,
                                                                sizeof ws);
  cublasLtMatmulHeuristicResult_t res[kCandidates];
  int found = 0;
  if (st == CUBLAS_STATUS_SUCCESS)
    st = api->cublasLtMatmulAlgoGetHeuristic(h, g->op, g->a, g->b, g->y, g->y, pref, kCandidates, res, &found);
  api->cublasLtMatmulPreferenceDestroy(pref);
  if (st == CUBLAS_STATUS_NOT_SUPPORTED || (st == CUBLAS_STATUS_SUCCESS && found == 0)) return DENOTRT_UNSUPPORTED;
  if (st != CUBLAS_STATUS_SUCCESS) return denotrt_cublaslt_fail(err, st, "cublasLtMatmulAlgoGetHeuristic");
  const int best = found > 1 ? fastest(g, h, d, res, found) : 0;
  g->algo = res[best].algo;
  g->workspace = res[best].workspaceSize;
  return DENOTRT_OK;
}

int32_t denotrt_lt_gemm_create(void* handle, const denotrt_lt_gemm_desc* d, size_t workspace_limit,
                               denotrt_lt_gemm** out, denotrt_error* err) {
  if (d->dtype != DENOTRT_FLOAT32 && d->dtype != DENOTRT_FLOAT16) return DENOTRT_UNSUPPORTED;
  if (d->batch > 0x7fffffff) return DENOTRT_UNSUPPORTED;
  const denotrt_cublaslt_api* api;
  int32_t rc = denotrt_cublaslt_load(&api, err);
  if (rc != DENOTRT_OK) return rc;
  denotrt_lt_gemm* g = (denotrt_lt_gemm*)calloc(1, sizeof *g);
  if (!g) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  g->api = api;
  g->alpha = d->alpha;
  g->bias = d->bias;
  rc = build(g, (cublasLtHandle_t)handle, d, workspace_limit, err);
  if (rc != DENOTRT_OK) {
    denotrt_lt_gemm_destroy(g);
    return rc;
  }
  *out = g;
  return DENOTRT_OK;
}

size_t denotrt_lt_gemm_workspace(const denotrt_lt_gemm* g) { return g->workspace; }

int32_t denotrt_lt_gemm_run(denotrt_lt_gemm* g, void* handle, cudaStream_t s, const void* a, const void* b,
                            const void* bias, void* y, void* workspace, denotrt_error* err) {
  const denotrt_cublaslt_api* api = g->api;
  if (g->bias)  // a host-side attribute: setting it per call is cheap and legal during capture
    DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmulDescSetAttribute, g->op, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &bias,
                           sizeof bias);
  const float beta = 0.f;
  DENOTRT_CUBLASLT_CHECK(err, api, cublasLtMatmul, (cublasLtHandle_t)handle, g->op, &g->alpha, b, g->a, a, g->b, &beta,
                         y, g->y, y, g->y, &g->algo, workspace, g->workspace, s);
  return DENOTRT_OK;
}
