// Convolutions on cuDNN: which implementation runs each conv, and running it.
//
// Candidates: cuDNN's graph API (one fused operation graph, the fastest of the heuristics' engine configs;
// cudnn_graph_conv.cu) for NHWC convs in fp16 or TF32, and the legacy API (the fastest of its algorithms;
// cudnn_conv.cu). When both can run a conv, both are timed as they run and the faster one is kept. The choice is
// recorded as timing-cache entries (timing_cache.h): a graph entry (kind 2) holding the engine and knobs, or engine
// -1 for "the legacy path won", and a legacy entry (kind 1) holding the algorithm. A plan's tactics section carries
// these, so an engine rebuilds exactly the measured choice without timing. Without cuDNN the own direct kernel runs.
#include <initializer_list>  // SizeMask
#include <mutex>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec_cuda_internal.h"
#ifdef DENOTRT_WITH_CUDNN
#include "../cudnn/cudnn_api.h"
#endif

namespace dtexec {

#ifdef DENOTRT_WITH_CUDNN
using dtops::Act;

int64_t float_bits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

// Both kinds of key end with the conv's geometry, written by one function; the positions of its batch and spatial
// sizes (which a run-time fallback lets differ, find_similar_tactic) follow from where it starts.
constexpr int32_t kGeometryLen = 19;
static void put_geometry(tc_entry* e, const dtops::ConvDesc& d, const int64_t* pe) {
  const int64_t g[kGeometryLen] = {d.spatial, d.n, d.c, d.k, d.group, d.in[0], d.in[1], d.out[0], d.out[1],
                                   d.kernel[0], d.kernel[1], d.stride[0], d.stride[1], d.pad_begin[0],
                                   d.pad_begin[1], pe[0], pe[1], d.dilation[0], d.dilation[1]};
  memcpy(e->key + e->key_len, g, sizeof g);
  e->key_len += kGeometryLen;
}

// ignore[] for a key whose geometry starts at `at`: N, and the input and output H and W.
struct SizeMask {
  uint8_t ignore[TC_MAX_KEY];
  explicit SizeMask(int32_t at) : ignore{} {
    for (int32_t g : {1, 5, 6, 7, 8}) ignore[at + g] = 1;
  }
};

tc_entry conv_tactic_key(const int64_t* prefix, int32_t n, const dtops::ConvDesc& d, const int64_t* pe) {
  tc_entry e;
  memset(&e, 0, sizeof e);
  memcpy(e.key, prefix, sizeof(int64_t) * (size_t)n);
  e.key_len = n;
  put_geometry(&e, d, pe);
  return e;
}

// What decides a legacy conv's choice: dtype, math, layout, fusion, then the geometry (docs/TIMING_CACHE.md, kind 1).
constexpr int32_t kLegacyPrefix = 5;
static_assert(kLegacyPrefix + kGeometryLen <= TC_MAX_KEY, "conv key too long");
static tc_entry legacy_key(const dtops::ConvDesc& d, const int64_t* pe, int32_t dtype, int32_t fuse, int32_t tf32,
                           int32_t nhwc) {
  const int64_t prefix[] = {TC_KIND_CUDNN_LEGACY_CONV, dtype, tf32, nhwc, fuse};
  static_assert(sizeof prefix / sizeof prefix[0] == kLegacyPrefix, "kLegacyPrefix must match the prefix");
  return conv_tactic_key(prefix, kLegacyPrefix, d, pe);
}

// A graph conv's: also the fused inputs and activation, and the cuDNN version (engine indices and knobs are only
// meaningful within one version). Kind 2.
constexpr int32_t kGraphPrefix = 9;
static_assert(kGraphPrefix + kGeometryLen <= TC_MAX_KEY, "graph conv key too long");
static tc_entry graph_key(const dtops::ConvDesc& d, const int64_t* pe, int32_t dtype, int32_t tf32, int32_t has_bias,
                          int32_t has_res, Act a, size_t cudnn_version) {
  const int64_t prefix[] = {TC_KIND_CUDNN_GRAPH_CONV, (int64_t)cudnn_version, dtype, tf32, has_bias, has_res, a.op,
                            float_bits(a.alpha), float_bits(a.beta)};
  static_assert(sizeof prefix / sizeof prefix[0] == kGraphPrefix, "kGraphPrefix must match the prefix");
  return conv_tactic_key(prefix, kGraphPrefix, d, pe);
}

// Activations cuDNN's pointwise op computes inside the graph; others run as an own kernel after it.
static bool graph_fuses(int32_t op) {
  switch (op) {
    case dtops::U_IDENTITY: case dtops::U_RELU: case dtops::U_LEAKYRELU: case dtops::U_CLIP: case dtops::U_SIGMOID:
    case dtops::U_TANH: case dtops::U_SILU: case dtops::U_ELU: case dtops::U_GELU: case dtops::U_GELU_TANH:
    case dtops::U_SOFTPLUS:
      return true;
    default:
      return false;
  }
}

// inspect() names outlive any context (the engine keeps a pointer to them), so they are interned statically.
static const char* graph_kernel_name(int64_t engine) {
  static char names[256][24];
  static std::once_flag once;
  std::call_once(once, [] {
    for (int k = 0; k < 256; ++k) snprintf(names[k], sizeof names[k], "cudnn_graph_eng%d", k);
  });
  return engine >= 0 && engine < 256 ? names[engine] : "cudnn_graph";
}

struct Made {
  denotrt_cudnn_conv* conv;
  denotrt_cudnn_graph_conv* gconv;
  bool gconv_act;
};

static int32_t make_graph(Context* c, const ConvCase& k, const denotrt_graph_tactic* forced, Made* m,
                          denotrt_graph_tactic* chosen, denotrt_error* err) {
  m->gconv_act = !graph_fuses(k.act.op);
  Act fused = m->gconv_act ? dtops::default_act(dtops::U_IDENTITY) : k.act;
  return denotrt_cudnn_graph_conv_create(c->cudnn, k.dtype, k.tf32, k.d, k.pe, k.has_bias, k.has_res, fused,
                                         kWorkspaceLimit, forced, chosen, &m->gconv, err);
}

static int32_t make_legacy(Context* c, const ConvCase& k, Made* m, denotrt_conv_tactic* chosen, denotrt_error* err) {
  tc_entry key = legacy_key(k.d, k.pe, k.dtype, k.fuse, k.tf32, k.nhwc), stored;
  static const SizeMask kLegacySizes(kLegacyPrefix);
  denotrt_conv_tactic forced;
  bool have = (find_tactic(c->e, &key, &stored) || find_similar_tactic(c->e, &key, kLegacySizes.ignore, &stored)) &&
              stored.value_len >= 3;
  if (have) forced = denotrt_conv_tactic{(int32_t)stored.value[0], (int32_t)stored.value[1], (int32_t)stored.value[2],
                                         stored.workspace, stored.ms};
  return denotrt_cudnn_conv_create(c->cudnn, k.dtype, k.tf32, k.nhwc, k.d, k.pe, k.fuse, kWorkspaceLimit,
                                   have ? &forced : nullptr, chosen, &m->conv, err);
}

static int32_t record_legacy(Context* c, const ConvCase& k, const denotrt_conv_tactic& t, bool used, denotrt_error* err) {
  tc_entry e = legacy_key(k.d, k.pe, k.dtype, k.fuse, k.tf32, k.nhwc);
  e.value_len = 3;
  e.value[0] = t.algo;
  e.value[1] = t.math;
  e.value[2] = t.fused_ok;
  e.workspace = t.workspace;
  e.ms = t.ms;
  return used ? record_tactic(c->e, &e, err) : record_measurement(c->e, &e, err);
}

static int32_t record_graph(Context* c, tc_entry key, const denotrt_graph_tactic* t, denotrt_error* err) {
  key.value_len = 2;
  key.value[0] = t ? t->engine : -1;  // -1: the legacy path runs this conv
  key.value[1] = t ? t->num_knobs : 0;
  for (int32_t k = 0; t && k < t->num_knobs && k < 8; ++k) {
    key.value[key.value_len++] = t->knob_type[k];
    key.value[key.value_len++] = t->knob_value[k];
  }
  key.workspace = t ? t->workspace : 0;
  key.ms = t ? t->ms : 0;
  return record_tactic(c->e, &key, err);
}

static bool graph_tactic_was_taken(const denotrt_cudnn_graph_conv* g) {
  denotrt_graph_conv_stats st;
  denotrt_cudnn_graph_conv_stats(g, &st);
  return st.forced == 1;
}

// Builds what runs one conv case: the stored choice when there is one, else both candidates timed.
static int32_t choose(Context* c, const ConvCase& k, bool graph_ok, Made* m, denotrt_error* err) {
  const denotrt_cudnn_api* api;
  RC(denotrt_cudnn_load(&api, err));
  tc_entry gk = graph_key(k.d, k.pe, k.dtype, k.tf32, k.has_bias, k.has_res, k.act, api->version), stored;
  denotrt_graph_tactic gt;
  memset(&gt, 0, sizeof gt);
  denotrt_conv_tactic lt;
  memset(&lt, 0, sizeof lt);
  bool legacy_only = !graph_ok, graph_stored = false, graph_searched = false;
  static const SizeMask kGraphSizes(kGraphPrefix);
  bool have = graph_ok && (find_tactic(c->e, &gk, &stored) || find_similar_tactic(c->e, &gk, kGraphSizes.ignore, &stored));
  if (have && stored.value_len >= 2) {
    if (stored.value[0] < 0) {
      legacy_only = true;
    } else {
      denotrt_graph_tactic forced;
      memset(&forced, 0, sizeof forced);
      forced.engine = stored.value[0];
      forced.num_knobs = (int32_t)stored.value[1];
      for (int32_t n = 0; n < forced.num_knobs && n < 8 && 2 + 2 * n + 1 < stored.value_len; ++n) {
        forced.knob_type[n] = stored.value[2 + 2 * n];
        forced.knob_value[n] = stored.value[3 + 2 * n];
      }
      forced.workspace = stored.workspace;
      forced.ms = stored.ms;
      int32_t rc = make_graph(c, k, &forced, m, &gt, err);
      if (rc != DENOTRT_OK && rc != DENOTRT_UNSUPPORTED) return rc;
      if (rc == DENOTRT_OK) {
        bool same_key = memcmp(stored.key, gk.key, sizeof(int64_t) * (size_t)gk.key_len) == 0;
        // The graph module searches by itself when the stored tactic no longer builds: then it is a new measurement.
        bool taken = graph_tactic_was_taken(m->gconv);
        if (taken && same_key) {
          graph_stored = true;
        } else if (taken) {  // taken from another size: recorded under this size's key
          RC(record_graph(c, gk, &gt, err));
          return DENOTRT_OK;
        } else {
          graph_searched = true;
        }
      }
    }
  }
  if (!legacy_only && !graph_stored && !graph_searched) {
    int32_t rc = make_graph(c, k, nullptr, m, &gt, err);
    if (rc != DENOTRT_OK && rc != DENOTRT_UNSUPPORTED) return rc;
  }
  if (!graph_stored) {
    int32_t rc = make_legacy(c, k, m, &lt, err);
    if (rc != DENOTRT_OK && rc != DENOTRT_UNSUPPORTED) {
      denotrt_cudnn_graph_conv_destroy(m->gconv);
      m->gconv = nullptr;
      return rc;
    }
  }
  // Both ran: keep the faster as measured (each median as it runs; the legacy time is Find's when it had one choice).
  if (m->gconv && m->conv) {
    // The legacy measurement stays in the caches either way (it replaces any stale stored choice), but only the
    // winner is among the entries the plan uses.
    RC(record_legacy(c, k, lt, false, err));
    if (lt.ms > 0 && lt.ms < gt.ms) {
      denotrt_cudnn_graph_conv_destroy(m->gconv);
      m->gconv = nullptr;
    } else {
      denotrt_cudnn_conv_destroy(m->conv);
      m->conv = nullptr;
    }
  }
  // A stored graph choice is recorded as it was stored (its measured time included), so rebuilding from a cache
  // reproduces the cache and the plan exactly.
  int32_t rc = DENOTRT_OK;
  if (graph_stored) rc = record_tactic(c->e, &stored, err);
  else if (graph_ok) rc = record_graph(c, gk, m->gconv ? &gt : nullptr, err);
  if (rc == DENOTRT_OK && m->conv) rc = record_legacy(c, k, lt, true, err);
  if (rc != DENOTRT_OK) {
    denotrt_cudnn_graph_conv_destroy(m->gconv);
    denotrt_cudnn_conv_destroy(m->conv);
    m->gconv = nullptr;
    m->conv = nullptr;
  }
  return rc;
}

int32_t prepare_conv(Context* c, int32_t i, size_t* ws_need, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  LayerPrep* pr = &c->prep[i];
  pr->conv = nullptr;
  pr->gconv = nullptr;
  pr->gconv_act = false;
  pr->kernel = "dtops_direct_conv";
  if (c->cudnn_failed || getenv("DENOTRT_NO_CUDNN")) return DENOTRT_OK;
  ConvCase k;
  memset(&k, 0, sizeof k);
  k.dtype = tensor_dtype(c, OUT(0));
  RC(conv_geometry(c, l, false, &k.d, k.pe, err));
  RC(conv_act(l, &k.act, err));
  k.has_bias = IN(2) >= 0;
  k.has_res = IN(3) >= 0;
  k.fuse = k.act.op == dtops::U_RELU && k.has_bias;
  k.tf32 = k.dtype == DENOTRT_FLOAT32 && layer_allows_tf32(l);
  // NHWC convs run natively when the filter has its KRSC copy; otherwise the generic NHWC path converts.
  k.nhwc = c->e->nhwc[i];
  if (k.nhwc && c->e->krsc_offset[IN(1)] == kNoOffset) return DENOTRT_OK;
  // The graph path is built for NHWC tensors on tensor cores (fp16, or fp32 plans that allow TF32).
  bool graph_ok = k.nhwc && (k.dtype == DENOTRT_FLOAT16 || k.tf32) && !getenv("DENOTRT_NO_CUDNN_GRAPH");
  ConvCacheEntry* hit = nullptr;
  for (int32_t n = 0; n < c->n_convs && !hit; ++n)
    if (c->convs[n].key_len == sizeof k && memcmp(c->convs[n].key, &k, sizeof k) == 0) hit = &c->convs[n];
  if (!hit) {
    if (!c->cudnn) {
      denotrt_error ignored;
      if (denotrt_cudnn_handle_create(&c->cudnn, &ignored) != DENOTRT_OK) {
        // No cuDNN on this machine: the own kernel runs every conv (logged once).
        c->cudnn_failed = 1;
        denotrt_log_write(DENOTRT_SEVERITY_WARNING, ignored.message);
        return DENOTRT_OK;
      }
    }
    Made m = {nullptr, nullptr, false};
    // The own split-K kernel when a stored choice names it (then cuDNN is not even asked), else cuDNN's choice,
    // timed against it when no choice is stored.
    int32_t splitk = 0;
    bool splitk_known = false;
    const bool splitk_ok = splitk_candidate(k);
    if (splitk_ok) RC(splitk_stored(c, k, &splitk_known, &splitk, err));
    if (!splitk) RC(choose(c, k, graph_ok, &m, err));
    if (splitk_ok && !splitk_known) {
      int32_t rc = splitk_time(c, k, m.conv, m.gconv, m.gconv_act, &splitk, err);
      if (rc != DENOTRT_OK || splitk) {  // cuDNN's choice lost, or the timing failed
        denotrt_cudnn_conv_destroy(m.conv);
        denotrt_cudnn_graph_conv_destroy(m.gconv);
        m = {nullptr, nullptr, false};
      }
      RC(rc);
    }
    if (!m.conv && !m.gconv && !splitk) return DENOTRT_OK;  // neither API runs it: the own kernel does
    if (c->n_convs == c->cap_convs) {
      int32_t cap = c->cap_convs ? 2 * c->cap_convs : 16;
      ConvCacheEntry* grown = (ConvCacheEntry*)realloc(c->convs, cap * sizeof *grown);
      if (!grown) {
        denotrt_cudnn_conv_destroy(m.conv);
        denotrt_cudnn_graph_conv_destroy(m.gconv);
        return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "realloc", "", "out of host memory");
      }
      c->convs = grown;
      c->cap_convs = cap;
    }
    static_assert(sizeof(ConvCase) <= sizeof(ConvCacheEntry::key), "conv cache key too long");
    hit = &c->convs[c->n_convs++];
    memcpy(hit->key, &k, sizeof k);
    hit->key_len = sizeof k;
    hit->conv = m.conv;
    hit->gconv = m.gconv;
    hit->gconv_act = m.gconv_act;
    hit->splitk = splitk;
  }
  pr->conv = hit->conv;
  pr->gconv = hit->gconv;
  pr->gconv_act = hit->gconv_act;
  pr->splitk = hit->splitk;
  size_t ws = 0;
  if (pr->splitk) {
    pr->kernel = dtops::splitk_conv_kernel(k.d, pr->splitk);
  } else if (pr->gconv) {
    pr->kernel = graph_kernel_name(denotrt_cudnn_graph_conv_tactic(pr->gconv)->engine);
    ws = denotrt_cudnn_graph_conv_workspace(pr->gconv);
  } else {
    pr->kernel = denotrt_cudnn_conv_algo_name(pr->conv);
    ws = denotrt_cudnn_conv_workspace(pr->conv);
  }
  if (ws > *ws_need) *ws_need = ws;
  return DENOTRT_OK;
}

int32_t run_cudnn_conv(Context* c, int32_t i, cudaStream_t s, const void* bias, const void* res, Act a,
                       denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  const LayerPrep* pr = &c->prep[i];
  // NHWC convs read the filter's KRSC copy (uploaded with the weights).
  uint64_t krsc = c->e->krsc_offset[IN(1)];
  const void* w = pr->native_nhwc && krsc != kNoOffset ? c->e->weights + krsc : PTR(IN(1));
  void* y = PTR(OUT(0));
  if (pr->gconv) {
    RC(denotrt_cudnn_graph_conv_run(pr->gconv, c->cudnn, s, PTR(IN(0)), w, bias, res, y, c->workspace, err));
    return pr->gconv_act ? dtops::unary(a, tensor_dtype(c, OUT(0)), y, y, tensor_count(c, OUT(0)), s, err) : DENOTRT_OK;
  }
  return denotrt_cudnn_conv_run(pr->conv, c->cudnn, s, PTR(IN(0)), w, bias, res, a, y, c->workspace, err);
}

#else  // no cuDNN headers at build time: the own direct kernel runs every conv (but depthwise NHWC ones)

int32_t prepare_conv(Context* c, int32_t i, size_t*, denotrt_error*) {
  c->prep[i].kernel = "dtops_direct_conv";
  return DENOTRT_OK;
}

int32_t run_cudnn_conv(Context*, int32_t, cudaStream_t, const void*, const void*, dtops::Act, denotrt_error* err) {
  return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, "run_cudnn_conv", "", "cuDNN is not built into this library");
}

#endif

// Whether layer i, a Conv, is an NHWC fp16 1x1 conv (stride 1, no padding, group 1, identity or Relu) that the own
// GEMM kernel (pointwise_conv.cu) can run; *d: its geometry. DENOTRT_NO_OWN_POINTWISE=1 hands every such conv back to
// cuDNN, for comparison.
bool pointwise_candidate(Context* c, int32_t i, dtops::ConvDesc* d) {
  const plan_layer* l = &c->e->p->layers[i];
  if (!c->e->nhwc[i] || getenv("DENOTRT_NO_OWN_POINTWISE") || IN(1) < 0 || c->e->krsc_offset[IN(1)] == kNoOffset)
    return false;
  if (tensor_dtype(c, OUT(0)) != DENOTRT_FLOAT16 || tensor_dtype(c, IN(0)) != DENOTRT_FLOAT16) return false;
  if ((IN(2) >= 0 && tensor_dtype(c, IN(2)) != DENOTRT_FLOAT16) || (IN(3) >= 0 && tensor_dtype(c, IN(3)) != DENOTRT_FLOAT16))
    return false;
  dtops::Act a;
  int64_t pe[2];
  denotrt_error ignored;  // run_conv reports a malformed conv
  if (conv_geometry(c, l, false, d, pe, &ignored) != DENOTRT_OK || conv_act(l, &a, &ignored) != DENOTRT_OK) return false;
  if (d->spatial != 2 || d->group != 1) return false;
  for (int k = 0; k < 2; ++k)
    if (d->kernel[k] != 1 || d->stride[k] != 1 || d->dilation[k] != 1 || d->pad_begin[k] != 0 || pe[k] != 0)
      return false;
  return dtops::pointwise_conv_fits(d->c, d->k, a);
}

// NHWC 1x1 convs of ResNet's expanding kind (64 input channels, a residual to add) run on the own GEMM kernel:
// memory-bound, where cuDNN's best engine moved 2.5 TB/s. The rule depends on the layer's channels only, never on
// the batch, so every batch of a profile runs the same kernels as the one timed at build (as TensorRT keeps one
// tactic per profile). (A 1x1 conv over a channel Concat made for it runs there too: exec_cuda_concat_conv.cu.)
bool runs_own_pointwise(Context* c, int32_t i) {
  const plan_layer* l = &c->e->p->layers[i];
  dtops::ConvDesc d;
  // Measured on the H200 (tests/gpu/native/pointwise_conv_test.cu against the layer profile's cuDNN times): with a
  // residual to read, 64 -> 256 channels took 145 us at b128 against cuDNN's 183 (43 at b32, 7.6 at b1 against
  // about 7); without one (the downsample) 116 against 83. 128 -> 512 + residual measured 93 alone against 98, but
  // in the network it lost: allowing it there took ResNet-50 b128 from 3.245 to 3.288 ms and b32 from 0.965 to
  // 0.983 (graph replay, same call). So: 64 input channels and a residual.
  return pointwise_candidate(c, i, &d) && IN(3) >= 0 && d.c <= 64;
}

// NHWC depthwise convs run on the own kernel: memory-bound, where cuDNN offers only its generic engines for them
// (eng0 on the H200: 0.43 ms for a 3x3 layer of MobileNetV3 at b32 that moves 13 MB). DENOTRT_NO_OWN_DEPTHWISE=1
// hands them back to cuDNN, for comparison.
bool runs_own_depthwise(Context* c, int32_t i) {
  const plan_layer* l = &c->e->p->layers[i];
  if (!c->e->nhwc[i] || getenv("DENOTRT_NO_OWN_DEPTHWISE")) return false;
  int32_t dt = tensor_dtype(c, OUT(0));
  if (dt != DENOTRT_FLOAT32 && dt != DENOTRT_FLOAT16 && dt != DENOTRT_BFLOAT16) return false;
  dtops::ConvDesc d;
  int64_t pe[2];
  denotrt_error ignored;
  if (conv_geometry(c, l, false, &d, pe, &ignored) != DENOTRT_OK) return false;  // run_conv reports it
  return d.group > 1 && d.group == d.c && d.k == d.c;
}

}  // namespace dtexec
