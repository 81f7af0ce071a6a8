// One fused convolution through cuDNN's graph (backend) API: y = act(conv(x, w) + bias + residual) as one operation
// graph, run by the engine configuration that measured fastest. The legacy API (cudnn_conv.h) picks among eight
// algorithms and fuses only bias + ReLU; the graph API reaches the newer engines (runtime-fused kernels, Hopper
// implicit GEMMs) and fuses the residual add and other activations into the convolution's epilogue.
#ifndef DENOTRT_CUDNN_GRAPH_CONV_H
#define DENOTRT_CUDNN_GRAPH_CONV_H
#include <cuda_runtime.h>
#include <stdint.h>

#include "../cuda_ops/ops.h"

struct denotrt_cudnn_graph_conv;

// What was chosen: the engine's global index plus its knob choices (CUDNN_ATTR_ENGINE_GLOBAL_INDEX,
// CUDNN_ATTR_KNOB_CHOICE_*). Stable across processes on the same GPU model and cuDNN version, so it can be stored in
// a plan or timing cache and handed back as `forced`.
struct denotrt_graph_tactic {
  int64_t engine;    // CUDNN_ATTR_ENGINE_GLOBAL_INDEX
  int32_t num_knobs; // <= 8
  int64_t knob_type[8], knob_value[8];
  uint64_t workspace;
  float ms;          // measured median (0 when forced without timing)
};

// How the build went, for inspect() and the build-time report.
struct denotrt_graph_conv_stats {
  int32_t heuristic_configs; // engine configs cuDNN's heuristics offered (mode A, plus fallback ones not in A)
  int32_t candidates;        // configs that passed the filters and the cap, i.e. were finalized
  int32_t filtered;          // rejected before finalizing: numerical notes, > 8 knobs, workspace over the limit
  int32_t finalize_failed;   // execution plans that did not finalize (engine cannot run this graph)
  int32_t timed;             // plans timed (median of 5)
  int32_t runtime_compiled;  // finalized candidates whose engine compiles its kernel at finalize (NVRTC)
  int32_t forced;            // 1: the forced tactic was built and no search ran
  double build_ms;           // wall time of the whole create, graph building and timing included
  double finalize_ms;        // of which finalizing execution plans
};

// y = act(conv(x, w) + bias + residual).
// x, y and residual are NHWC in memory (d keeps the logical N, C, H, W geometry), w is KRSC (dims K, C/group, R, S),
// bias has K elements. Every pointer passed to run() must be 16-byte aligned (the executor's arena and cudaMalloc
// give 256). dtype: DENOTRT_FLOAT16 (fp32 accumulation and epilogue) or DENOTRT_FLOAT32 (allow_tf32 admits TF32
// tensor-core engines; 0 keeps strict fp32).
// has_bias / has_residual: which inputs exist. act.op: U_IDENTITY, U_RELU, U_LEAKYRELU, U_CLIP, U_SIGMOID, U_TANH,
// U_SILU, U_ELU, U_GELU, U_GELU_TANH, U_SOFTPLUS (the modes cuDNN's pointwise op has directly).
// pad_end: the end pads (asymmetric pads are fine here).
// Returns DENOTRT_UNSUPPORTED, without filling err, for what this path cannot run: another dtype or activation
// (e.g. HardSwish), 3-D convs, or a graph no cuDNN engine accepts (the reason is logged at INFO); the caller then
// uses the legacy path. Other failures are typed errors naming the cuDNN/CUDA call.
// forced != NULL: build only that tactic, without timing; if it cannot be built (another cuDNN or GPU), a WARNING is
// logged and the search runs as if forced were NULL. Otherwise cuDNN's heuristics (mode A, then fallback) propose
// configs; the first ones that fit workspace_limit are finalized (capped in number and in time: env
// DENOTRT_CUDNN_GRAPH_MAX_CANDIDATES, default 10, and DENOTRT_CUDNN_GRAPH_BUDGET_MS, default 8000, checked before
// each finalize) and each is timed as it runs (warm-up, median of 5 on non-zero buffers); the fastest is kept.
// *chosen (optional) receives it.
// Synchronizes the device: never call it while a stream of this thread is capturing. Per-candidate results are
// logged at VERBOSE.
int32_t denotrt_cudnn_graph_conv_create(void* handle, int32_t dtype, int32_t allow_tf32, const dtops::ConvDesc& d,
                                        const int64_t* pad_end, int32_t has_bias, int32_t has_residual,
                                        dtops::Act act, size_t workspace_limit, const denotrt_graph_tactic* forced,
                                        denotrt_graph_tactic* chosen, denotrt_cudnn_graph_conv** out,
                                        denotrt_error* err);
size_t denotrt_cudnn_graph_conv_workspace(const denotrt_cudnn_graph_conv* c);
// e.g. "cudnn_graph:eng12"; lives as long as c.
const char* denotrt_cudnn_graph_conv_name(const denotrt_cudnn_graph_conv* c);
void denotrt_cudnn_graph_conv_stats(const denotrt_cudnn_graph_conv* c, denotrt_graph_conv_stats* out);
const denotrt_graph_tactic* denotrt_cudnn_graph_conv_tactic(const denotrt_cudnn_graph_conv* c);
// Queues the fused conv on s (handle: the one given to create). bias / residual must be non-NULL exactly when the
// conv was created with them; workspace must hold denotrt_cudnn_graph_conv_workspace(c) bytes. Capturable into a
// CUDA graph: no synchronization and no device allocation (a new set of pointers costs one small host-side variant
// pack, cached for the next call). Not thread-safe for one c.
int32_t denotrt_cudnn_graph_conv_run(denotrt_cudnn_graph_conv* c, void* handle, cudaStream_t s, const void* x,
                                     const void* w, const void* bias, const void* residual, void* y, void* workspace,
                                     denotrt_error* err);
void denotrt_cudnn_graph_conv_destroy(denotrt_cudnn_graph_conv* c);

#endif
