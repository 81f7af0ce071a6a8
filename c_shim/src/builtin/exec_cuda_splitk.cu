// Convs with few output pixels on the own split-K kernel (dtops::splitk_conv_nhwc, splitk_conv.cu) where it beats
// cuDNN's choice. At batch 1 ResNet-50's late convs have 49 to 196 output pixels, and cuDNN's fastest engines took
// 10-15 us over 1-5 MB of weights: with so few pixels their tiles leave most SMs idle. The split-K kernel spreads
// each tile's reduction over a cluster of blocks. Chosen by timing, as cuDNN's engines are: cuDNN's winner and each
// configuration of the own kernel run on the same buffers through the same harness (gpu_timing.h), and the fastest
// is kept. The choice is a timing-cache entry of kind 3 (docs/TIMING_CACHE.md), so a plan rebuilds it untimed.
#ifdef DENOTRT_WITH_CUDNN
#include <stdlib.h>
#include <string.h>

#include "../cuda_ops/gpu_timing.h"
#include "exec_cuda_internal.h"

namespace dtexec {

// Convs with more output pixels keep cuDNN without timing the own kernel against it: their tiles fill the GPU
// already, and timing every conv of a large batch would lengthen the build for nothing.
constexpr int64_t kMaxSplitKPixels = 4096;

bool splitk_candidate(const ConvCase& k) {
  const dtops::ConvDesc d = dtops::conv_as_2d(k.d);  // a 1-D conv's sizes along its one axis
  return k.nhwc && k.dtype == DENOTRT_FLOAT16 && !getenv("DENOTRT_NO_SPLITK") &&
         d.n * d.out[0] * d.out[1] <= kMaxSplitKPixels && dtops::splitk_conv_fits(k.dtype, d);
}

// What decides the choice: dtype, the fused bias, residual and activation, then the geometry. Kind 3.
constexpr int32_t kSplitKPrefix = 7;
static tc_entry splitk_key(const ConvCase& k) {
  const int64_t prefix[] = {TC_KIND_OWN_SPLITK_CONV, k.dtype, k.has_bias, k.has_res, k.act.op,
                            float_bits(k.act.alpha), float_bits(k.act.beta)};
  static_assert(sizeof prefix / sizeof prefix[0] == kSplitKPrefix, "kSplitKPrefix must match the prefix");
  return conv_tactic_key(prefix, kSplitKPrefix, k.d, k.pe);
}

int32_t splitk_stored(Context* c, const ConvCase& k, bool* known, int32_t* config, denotrt_error* err) {
  tc_entry key = splitk_key(k), stored;
  *known = find_tactic(c->e, &key, &stored) && stored.value_len >= 1 && stored.value[0] >= 0 &&
           stored.value[0] <= dtops::kSplitKConfigs;
  if (!*known) return DENOTRT_OK;
  *config = (int32_t)stored.value[0];
  return record_tactic(c->e, &stored, err);  // the plan being built carries it on
}

namespace {

// One device block for every operand of a timing run, filled with a small finite value (0x2e2e = 0.095 in fp16):
// tensor-core timing does not depend on the data, only on it staying finite.
struct TimingBuffers {
  void* base = nullptr;
  void *x, *w, *bias, *res, *y, *ws;
  int64_t y_count;  // elements of y (and of the residual)
  ~TimingBuffers() { cudaFree(base); }
  cudaError_t alloc(const ConvCase& k, size_t ws_bytes) {
    const dtops::ConvDesc d = dtops::conv_as_2d(k.d);
    y_count = d.n * d.out[0] * d.out[1] * d.k;
    const size_t sizes[6] = {(size_t)(d.n * d.in[0] * d.in[1] * d.c) * 2,
                             (size_t)(d.k * d.kernel[0] * d.kernel[1] * d.c) * 2,
                             (size_t)d.k * 2,
                             (size_t)y_count * 2,
                             (size_t)y_count * 2,
                             ws_bytes};
    size_t offsets[6], total = 0;
    for (int i = 0; i < 6; ++i) {
      offsets[i] = total;
      total += (sizes[i] + 255) / 256 * 256;
    }
    cudaError_t e = cudaMalloc(&base, total);
    if (e == cudaSuccess) e = cudaMemset(base, 0x2e, total);
    void** ptrs[6] = {&x, &w, &bias, &res, &y, &ws};
    for (int i = 0; i < 6; ++i) *ptrs[i] = e == cudaSuccess && sizes[i] ? (uint8_t*)base + offsets[i] : nullptr;
    return e;
  }
};

}  // namespace

int32_t splitk_time(Context* c, const ConvCase& k, denotrt_cudnn_conv* conv, denotrt_cudnn_graph_conv* gconv,
                    bool gconv_act, int32_t* config, denotrt_error* err) {
  *config = 0;
  size_t ws = gconv ? denotrt_cudnn_graph_conv_workspace(gconv) : conv ? denotrt_cudnn_conv_workspace(conv) : 0;
  TimingBuffers b;
  DENOTRT_CUDA_CHECK(err, b.alloc(k, ws));
  const void* bias = k.has_bias ? b.bias : nullptr;
  const void* res = k.has_res ? b.res : nullptr;
  cudaEvent_t e0 = nullptr, e1 = nullptr;
  DENOTRT_CUDA_CHECK(err, cudaEventCreate(&e0));
  cudaError_t ce = cudaEventCreate(&e1);
  int32_t rc = DENOTRT_OK;
  float best = 0.f;
  bool have = false;
  // cuDNN's winner as the executor runs it (its activation after it when the graph could not fuse it); not timed
  // under DENOTRT_FORCE_SPLITK=1, which gives the own kernel every conv it takes (tests/gpu/splitk.test.ts).
  if (ce == cudaSuccess && (gconv || conv) && !getenv("DENOTRT_FORCE_SPLITK")) {
    bool ran = false;
    float ms = 0.f;
    ce = dtops::time_back_to_back(
        [&] {
          if (gconv) {
            rc = denotrt_cudnn_graph_conv_run(gconv, c->cudnn, 0, b.x, b.w, bias, res, b.y, b.ws, err);
            if (rc == DENOTRT_OK && gconv_act)
              rc = dtops::unary(k.act, k.dtype, b.y, b.y, b.y_count, 0, err);
          } else {
            rc = denotrt_cudnn_conv_run(conv, c->cudnn, 0, b.x, b.w, bias, res, k.act, b.y, b.ws, err);
          }
          return rc == DENOTRT_OK;
        },
        e0, e1, &ran, &ms);
    if (ran) best = ms, have = true;
  }
  for (int32_t cfg = 1; cfg <= dtops::kSplitKConfigs && ce == cudaSuccess && rc == DENOTRT_OK; ++cfg) {
    bool ran = false;
    float ms = 0.f;
    denotrt_error refused;  // a configuration the geometry does not allow is skipped, not an error
    ce = dtops::time_back_to_back(
        [&] {
          return dtops::splitk_conv_nhwc(k.d, cfg, b.x, b.w, bias, res, k.act, b.y, 0, &refused) == DENOTRT_OK;
        },
        e0, e1, &ran, &ms);
    if (ran && (!have || ms < best)) best = ms, have = true, *config = cfg;
  }
  cudaEventDestroy(e0);
  cudaEventDestroy(e1);
  if (rc != DENOTRT_OK) return rc;
  if (ce != cudaSuccess) return denotrt_cuda_fail(err, (int)ce, "dtops::time_back_to_back (split-K conv timing)");
  if (!have) return DENOTRT_OK;  // nothing ran: cuDNN's choice stands, untimed against
  tc_entry entry = splitk_key(k);
  entry.value[0] = *config;
  entry.value_len = 1;
  entry.ms = best;
  return record_tactic(c->e, &entry, err);
}

}  // namespace dtexec
#endif
