// Convolution through cuDNN's legacy API (cudnnConvolutionForward / cudnnConvolutionBiasActivationForward).
// fp32 uses CUDNN_FMA_MATH so TF32 tensor cores are never chosen (results stay within fp32 tolerance of the CPU
// executor) unless the layer allows TF32 (a plan built with precision "tf32"): then CUDNN_DEFAULT_MATH, which on
// Ampere and later permits TF32 tensor cores (what PyTorch's allow_tf32 selects); fp16 uses tensor cores with fp32
// accumulation. Conversions to a lower type (CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION: fp32 data run as fp16) are
// never taken.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cudnn_api.h"
#include "cudnn_conv.h"

struct denotrt_cudnn_conv {
  const denotrt_cudnn_api* api;
  cudnnTensorDescriptor_t x, y, bias;
  cudnnFilterDescriptor_t w;
  cudnnConvolutionDescriptor_t conv;
  cudnnActivationDescriptor_t relu;
  cudnnConvolutionFwdAlgo_t algo;
  size_t workspace;
  int32_t fuse_relu;
  int64_t k, inner, n_total;
  int32_t dtype;
  int32_t allow_tf32;
  int32_t nhwc;
};

int32_t denotrt_cudnn_handle_create(void** handle, denotrt_error* err) {
  const denotrt_cudnn_api* api;
  int32_t rc = denotrt_cudnn_load(&api, err);
  if (rc != DENOTRT_OK) return rc;
  cudnnHandle_t h;
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreate, &h);
  *handle = h;
  return DENOTRT_OK;
}

void denotrt_cudnn_handle_destroy(void* handle) {
  const denotrt_cudnn_api* api;
  if (handle && denotrt_cudnn_load(&api, nullptr) == DENOTRT_OK) api->cudnnDestroy((cudnnHandle_t)handle);
}

void denotrt_cudnn_conv_destroy(denotrt_cudnn_conv* c) {
  if (!c) return;
  const denotrt_cudnn_api* a = c->api;
  if (c->x) a->cudnnDestroyTensorDescriptor(c->x);
  if (c->y) a->cudnnDestroyTensorDescriptor(c->y);
  if (c->bias) a->cudnnDestroyTensorDescriptor(c->bias);
  if (c->w) a->cudnnDestroyFilterDescriptor(c->w);
  if (c->conv) a->cudnnDestroyConvolutionDescriptor(c->conv);
  if (c->relu) a->cudnnDestroyActivationDescriptor(c->relu);
  free(c);
}

static int32_t set_tensor(const denotrt_cudnn_api* api, cudnnTensorDescriptor_t t, cudnnDataType_t dt, int64_t n,
                          int64_t c, int64_t h, int64_t w, int32_t nhwc, denotrt_error* err) {
  int dims[4] = {(int)n, (int)c, (int)h, (int)w};
  int strides[4] = {(int)(c * h * w), (int)(h * w), (int)w, 1};
  if (nhwc) {  // same logical dims, channel-last strides
    strides[1] = 1;
    strides[2] = (int)(w * c);
    strides[3] = (int)c;
  }
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetTensorNdDescriptor, t, dt, 4, dims, strides);
  return DENOTRT_OK;
}

struct Candidate {
  cudnnConvolutionFwdAlgo_t algo;
  cudnnMathType_t math;
  size_t memory;
  float find_ms;
  int fused_ok;
  float ms;  // median as it runs (re-timed), else Find's time
};

static size_t elems(const dtops::ConvDesc& d, int which) {  // 0 x, 1 w, 2 y
  if (which == 0) return (size_t)(d.n * d.c * d.in[0] * d.in[1]);
  if (which == 1) return (size_t)(d.k * (d.c / d.group) * d.kernel[0] * d.kernel[1]);
  return (size_t)(d.n * d.k * d.out[0] * d.out[1]);
}

// Times each candidate the way denotrt_cudnn_conv_run will run it: the fused bias + ReLU call, or, where the
// algorithm has no fused variant, the convolution followed by the own epilogue kernel. Median of 5 after a warm-up,
// on buffers filled with a non-zero pattern (zeros can run faster than real data).
static int32_t time_candidates(denotrt_cudnn_conv* c, void* handle, const dtops::ConvDesc& d, Candidate* cand, int n,
                               int* best, denotrt_error* err) {
  const denotrt_cudnn_api* api = c->api;
  cudnnHandle_t h = (cudnnHandle_t)handle;
  size_t esz = c->dtype == DENOTRT_FLOAT16 ? 2 : 4;
  size_t ws = 0;
  for (int i = 0; i < n; ++i) ws = cand[i].memory > ws ? cand[i].memory : ws;
  void *x = nullptr, *w = nullptr, *y = nullptr, *bias = nullptr, *work = nullptr;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  int32_t rc = DENOTRT_OK;
  cudaError_t ce = cudaMalloc(&x, elems(d, 0) * esz);
  if (ce == cudaSuccess) ce = cudaMalloc(&w, elems(d, 1) * esz);
  if (ce == cudaSuccess) ce = cudaMalloc(&y, elems(d, 2) * esz);
  if (ce == cudaSuccess) ce = cudaMalloc(&bias, (size_t)d.k * esz);
  if (ce == cudaSuccess && ws) ce = cudaMalloc(&work, ws);
  if (ce == cudaSuccess) ce = cudaMemset(x, 0x3C, elems(d, 0) * esz);
  if (ce == cudaSuccess) ce = cudaMemset(w, 0x1C, elems(d, 1) * esz);
  if (ce == cudaSuccess) ce = cudaMemset(bias, 0x3C, (size_t)d.k * esz);
  if (ce == cudaSuccess) ce = cudaEventCreate(&e0);
  if (ce == cudaSuccess) ce = cudaEventCreate(&e1);
  if (ce != cudaSuccess) rc = denotrt_cuda_fail(err, (int)ce, "cudaMalloc/cudaEventCreate (cuDNN candidate timing)");
  const float one = 1.f, zero = 0.f;
  float best_ms = 1e30f;
  for (int i = 0; i < n && rc == DENOTRT_OK; ++i) {
    cudnnStatus_t st = api->cudnnSetConvolutionMathType(c->conv, cand[i].math);
    cand[i].fused_ok = c->fuse_relu;
    float times[5];
    for (int r = -1; r < 5 && rc == DENOTRT_OK && st == CUDNN_STATUS_SUCCESS; ++r) {
      cudaEventRecord(e0, 0);
      if (cand[i].fused_ok) {
        st = api->cudnnConvolutionBiasActivationForward(h, &one, c->x, x, c->w, w, c->conv, cand[i].algo, work,
                                                        cand[i].memory, &zero, c->y, y, c->bias, bias, c->relu, c->y,
                                                        y);
        if (st == CUDNN_STATUS_NOT_SUPPORTED) {  // run() would fall back to the unfused pair: time that
          cand[i].fused_ok = 0;
          st = CUDNN_STATUS_SUCCESS;
          r = -2;  // warm up again
          continue;
        }
      } else {
        st = api->cudnnConvolutionForward(h, &one, c->x, x, c->w, w, c->conv, cand[i].algo, work, cand[i].memory, &zero,
                                          c->y, y);
        if (st == CUDNN_STATUS_SUCCESS)
          rc = dtops::bias_residual_act(c->dtype, y, bias, nullptr, y, c->n_total, c->k, c->inner,
                                        dtops::default_act(dtops::U_RELU), 0, err);
      }
      cudaEventRecord(e1, 0);
      ce = cudaEventSynchronize(e1);
      if (ce != cudaSuccess) { rc = denotrt_cuda_fail(err, (int)ce, "cudaEventSynchronize (cuDNN candidate timing)"); break; }
      if (r >= 0) cudaEventElapsedTime(&times[r], e0, e1);
    }
    if (rc != DENOTRT_OK) break;
    if (st != CUDNN_STATUS_SUCCESS) continue;  // this candidate cannot run after all: skip it
    for (int a = 1; a < 5; ++a)
      for (int b = a; b > 0 && times[b] < times[b - 1]; --b) { float t = times[b]; times[b] = times[b - 1]; times[b - 1] = t; }
    cand[i].ms = times[2];
    if (times[2] < best_ms) { best_ms = times[2]; *best = i; }
  }
  cudaFree(x); cudaFree(w); cudaFree(y); cudaFree(bias); cudaFree(work);
  if (e0) cudaEventDestroy(e0);
  if (e1) cudaEventDestroy(e1);
  cudaGetLastError();
  return rc;
}

// Takes a choice measured earlier when cuDNN still runs it here within the workspace limit; 0 when it does not, with
// the reason in `why` (static text; `ws` the workspace it would need).
static int take_forced(denotrt_cudnn_conv* c, void* handle, const denotrt_conv_tactic& t, size_t limit,
                       denotrt_conv_tactic* chosen, const char** why, size_t* ws_out) {
  const denotrt_cudnn_api* api = c->api;
  *why = "an unknown algorithm or math type";
  if (t.algo < 0 || t.algo >= CUDNN_CONVOLUTION_FWD_ALGO_COUNT) return 0;
  if (t.math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) return 0;
  *why = "it was measured with TF32 and this build is strict fp32";
  if (!c->allow_tf32 && c->dtype == DENOTRT_FLOAT32 && t.math != CUDNN_FMA_MATH) return 0;  // strict fp32 stays FMA
  *why = "cuDNN refuses its math type";
  if (api->cudnnSetConvolutionMathType(c->conv, (cudnnMathType_t)t.math) != CUDNN_STATUS_SUCCESS) return 0;
  size_t ws = 0;
  *why = "cuDNN does not run that algorithm at this shape";
  if (api->cudnnGetConvolutionForwardWorkspaceSize((cudnnHandle_t)handle, c->x, c->w, c->conv, c->y,
                                                   (cudnnConvolutionFwdAlgo_t)t.algo, &ws) != CUDNN_STATUS_SUCCESS)
    return 0;
  *ws_out = ws;
  *why = "its workspace at this shape is over the limit";
  if (ws > limit) return 0;
  c->algo = (cudnnConvolutionFwdAlgo_t)t.algo;
  // Find may have reported more workspace than the size query does: give the algorithm what it was timed with.
  c->workspace = ws > t.workspace ? ws : t.workspace;
  c->fuse_relu = c->fuse_relu && t.fused_ok;
  if (chosen) *chosen = denotrt_conv_tactic{t.algo, t.math, t.fused_ok, c->workspace, t.ms};
  return 1;
}

static int32_t build(denotrt_cudnn_conv* c, void* handle, const dtops::ConvDesc& d, size_t limit,
                     const denotrt_conv_tactic* forced, denotrt_conv_tactic* chosen, denotrt_error* err) {
  const denotrt_cudnn_api* api = c->api;
  cudnnDataType_t dt = c->dtype == DENOTRT_FLOAT16 ? CUDNN_DATA_HALF : CUDNN_DATA_FLOAT;
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreateTensorDescriptor, &c->x);
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreateTensorDescriptor, &c->y);
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreateTensorDescriptor, &c->bias);
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreateFilterDescriptor, &c->w);
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreateConvolutionDescriptor, &c->conv);
  DENOTRT_CUDNN_CHECK(err, api, cudnnCreateActivationDescriptor, &c->relu);
  int32_t rc;
  if ((rc = set_tensor(api, c->x, dt, d.n, d.c, d.in[0], d.in[1], c->nhwc, err))) return rc;
  if ((rc = set_tensor(api, c->y, dt, d.n, d.k, d.out[0], d.out[1], c->nhwc, err))) return rc;
  if ((rc = set_tensor(api, c->bias, dt, 1, d.k, 1, 1, c->nhwc, err))) return rc;
  // The filter descriptor's dims are always K, C/group, R, S; the format says how they are stored (KRSC for NHWC).
  int fdims[4] = {(int)d.k, (int)(d.c / d.group), (int)d.kernel[0], (int)d.kernel[1]};
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetFilterNdDescriptor, c->w, dt, c->nhwc ? CUDNN_TENSOR_NHWC : CUDNN_TENSOR_NCHW,
                      4, fdims);
  int pads[2] = {(int)d.pad_begin[0], (int)d.pad_begin[1]};
  int strides[2] = {(int)d.stride[0], (int)d.stride[1]};
  int dil[2] = {(int)d.dilation[0], (int)d.dilation[1]};
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetConvolutionNdDescriptor, c->conv, 2, pads, strides, dil,
                      CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT);
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetConvolutionGroupCount, c->conv, (int)d.group);
  cudnnMathType_t math = c->dtype == DENOTRT_FLOAT16 ? CUDNN_TENSOR_OP_MATH
                         : c->allow_tf32              ? CUDNN_DEFAULT_MATH
                                                      : CUDNN_FMA_MATH;
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetConvolutionMathType, c->conv, math);
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetActivationDescriptor, c->relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN,
                      0.0);
  if (forced) {
    const char* why = "";
    size_t ws = 0;
    if (take_forced(c, handle, *forced, limit, chosen, &why, &ws)) return DENOTRT_OK;
    // Expected, not a fault: the stored choice is often one measured at another size of a dynamic input (the
    // executor offers the nearest one it has), where an algorithm can need more workspace or not apply.
    char msg[256];
    snprintf(msg, sizeof msg, "the stored cuDNN convolution choice (algorithm %d) does not fit %lldx%lld -> %lldx%lld: "
             "%s (%zu bytes, limit %zu); searching again", (int)forced->algo, (long long)d.in[0],
             (long long)d.in[1], (long long)d.out[0], (long long)d.out[1], why, ws, limit);
    denotrt_log_write(DENOTRT_SEVERITY_INFO, msg);
    DENOTRT_CUDNN_CHECK(err, api, cudnnSetConvolutionMathType, c->conv, math);
  }
  // Every algorithm cuDNN can run here, measured by cudnnFind; then each candidate timed again as it will really run
  // (with the fused bias + ReLU call where the layer fuses one: Find times the plain convolution only, and an
  // algorithm without a fused variant then costs an extra pass over the output).
  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int found = 0;
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetStream, (cudnnHandle_t)handle, (cudaStream_t)0);
  DENOTRT_CUDNN_CHECK(err, api, cudnnFindConvolutionForwardAlgorithm, (cudnnHandle_t)handle, c->x, c->w, c->conv,
                      c->y, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf);
  Candidate cand[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int n = 0;
  for (int i = 0; i < found; ++i) {
    if (perf[i].status != CUDNN_STATUS_SUCCESS || perf[i].memory > limit) continue;
    // Never a down-conversion (Find may report one even under FMA math on some versions).
    if (perf[i].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION) continue;
    // Strict fp32 keeps FMA math whatever Find reports; otherwise the algorithm runs with the math type it was
    // measured with.
    cand[n++] = Candidate{perf[i].algo, math != CUDNN_FMA_MATH ? perf[i].mathType : math, perf[i].memory, perf[i].time, 1,
                          perf[i].time};
  }
  if (n == 0)
    return denotrt_fail(err, DENOTRT_CUDNN_ERROR, CUDNN_STATUS_NOT_SUPPORTED, "cudnnFindConvolutionForwardAlgorithm",
                        "CUDNN_STATUS_NOT_SUPPORTED", "no cuDNN algorithm runs this convolution within %zu bytes",
                        limit);
  int best = 0;
  // Find's own ranking is noisy between runs (seen: a 1x1 conv given an algorithm 4x slower than the next one):
  // every conv with a choice is re-timed, warm, median of 5.
  if (n > 1) {
    int32_t rc = time_candidates(c, handle, d, cand, n, &best, err);
    if (rc != DENOTRT_OK) return rc;
  }
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetConvolutionMathType, c->conv, cand[best].math);
  c->algo = cand[best].algo;
  c->workspace = cand[best].memory;
  c->fuse_relu = c->fuse_relu && (n == 1 || cand[best].fused_ok);
  if (chosen) *chosen = denotrt_conv_tactic{(int32_t)cand[best].algo, (int32_t)cand[best].math, c->fuse_relu ? 1 : 0,
                                cand[best].memory, cand[best].ms};
  return DENOTRT_OK;
}

int32_t denotrt_cudnn_conv_create(void* handle, int32_t dtype, int32_t allow_tf32, int32_t nhwc, const dtops::ConvDesc& d0,
                                  const int64_t* pad_end, int32_t fuse_relu, size_t workspace_limit,
                                  const denotrt_conv_tactic* forced, denotrt_conv_tactic* chosen,
                                  denotrt_cudnn_conv** out, denotrt_error* err) {
  if (d0.spatial != 1 && d0.spatial != 2) return DENOTRT_UNSUPPORTED;
  int64_t pe[2];
  const dtops::ConvDesc d = dtops::conv_as_2d(d0, pad_end, pe);  // 1-D as 2-D with H = 1
  if (dtype != DENOTRT_FLOAT32 && dtype != DENOTRT_FLOAT16) return DENOTRT_UNSUPPORTED;
  // The legacy descriptor pads both ends by the same amount. Padding is zeros either way, so an asymmetric pad
  // gives identical values whenever the symmetric geometry yields the same output size; otherwise the own kernel
  // runs it.
  for (int i = 0; i < 2; ++i) {
    int64_t sym_out = (d.in[i] + 2 * d.pad_begin[i] - ((d.kernel[i] - 1) * d.dilation[i] + 1)) / d.stride[i] + 1;
    if (sym_out != d.out[i]) return DENOTRT_UNSUPPORTED;
  }
  (void)pe;
  const denotrt_cudnn_api* api;
  int32_t rc = denotrt_cudnn_load(&api, err);
  if (rc != DENOTRT_OK) return rc;
  denotrt_cudnn_conv* c = (denotrt_cudnn_conv*)calloc(1, sizeof *c);
  if (!c) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  c->api = api;
  c->dtype = dtype;
  c->allow_tf32 = dtype == DENOTRT_FLOAT32 && allow_tf32;
  c->fuse_relu = fuse_relu;
  c->nhwc = nhwc;
  c->k = d.k;
  c->inner = nhwc ? 1 : d.out[0] * d.out[1];  // the epilogue's channel index is (i / inner) % k
  c->n_total = d.n * d.k * d.out[0] * d.out[1];
  rc = build(c, handle, d, workspace_limit, forced, chosen, err);
  if (rc != DENOTRT_OK) {
    denotrt_cudnn_conv_destroy(c);
    return rc == DENOTRT_UNSUPPORTED ? DENOTRT_CUDNN_ERROR : rc;  // UNSUPPORTED is reserved for "use own kernel"
  }
  *out = c;
  return DENOTRT_OK;
}

size_t denotrt_cudnn_conv_workspace(const denotrt_cudnn_conv* c) { return c->workspace; }

const char* denotrt_cudnn_conv_algo_name(const denotrt_cudnn_conv* c) {
  static const char* names[] = {"cudnn_implicit_gemm", "cudnn_implicit_precomp_gemm", "cudnn_gemm", "cudnn_direct",
                                "cudnn_fft", "cudnn_fft_tiling", "cudnn_winograd", "cudnn_winograd_nonfused"};
  return (int)c->algo >= 0 && (int)c->algo < 8 ? names[c->algo] : "cudnn";
}

int32_t denotrt_cudnn_conv_run(denotrt_cudnn_conv* c, void* handle, cudaStream_t s, const void* x, const void* w,
                               const void* bias, const void* residual, dtops::Act act, void* y, void* workspace,
                               denotrt_error* err) {
  const denotrt_cudnn_api* api = c->api;
  cudnnHandle_t h = (cudnnHandle_t)handle;
  DENOTRT_CUDNN_CHECK(err, api, cudnnSetStream, h, s);
  const float one = 1.f, zero = 0.f;
  if (c->fuse_relu && bias && act.op == dtops::U_RELU) {
    const float alpha2 = residual ? 1.f : 0.f;
    cudnnStatus_t st = api->cudnnConvolutionBiasActivationForward(
        h, &one, c->x, x, c->w, w, c->conv, c->algo, workspace, c->workspace, &alpha2, c->y,
        residual ? residual : y, c->bias, bias, c->relu, c->y, y);
    if (st == CUDNN_STATUS_SUCCESS) return DENOTRT_OK;
    if (st != CUDNN_STATUS_NOT_SUPPORTED) return denotrt_cudnn_fail(err, st, "cudnnConvolutionBiasActivationForward");
    c->fuse_relu = 0;  // this algorithm has no fused variant: run it unfused from now on
  }
  DENOTRT_CUDNN_CHECK(err, api, cudnnConvolutionForward, h, &one, c->x, x, c->w, w, c->conv, c->algo, workspace,
                      c->workspace, &zero, c->y, y);
  if (!bias && !residual && act.op == dtops::U_IDENTITY) return DENOTRT_OK;
  return dtops::bias_residual_act(c->dtype, y, bias, residual, y, c->n_total, c->k, c->inner,
                                  act, s, err);
}
