// The CUDA executor's state, shared by its files: exec_cuda.cu (lifecycle, memory, CUDA graphs),
// exec_cuda_prepare.cu (per-shape cuDNN / cuBLASLt planning), exec_cuda_layers.cu (one launcher per ONNX op).
#ifndef DENOTRT_BUILTIN_EXEC_CUDA_INTERNAL_H
#define DENOTRT_BUILTIN_EXEC_CUDA_INTERNAL_H
#include <cuda_runtime.h>

#include "../cuda_ops/ops.h"
#include "exec_cuda.h"
#include "timing_cache.h"

#ifdef DENOTRT_WITH_CUDNN
#include "../cudnn/cudnn_conv.h"
#include "../cudnn/cudnn_graph_conv.h"
#else
struct denotrt_cudnn_conv;
struct denotrt_cudnn_graph_conv;
#endif
#ifdef DENOTRT_WITH_CUBLASLT
#include "../cublaslt/cublaslt_gemm.h"
#else
struct denotrt_lt_gemm;
#endif

namespace dtexec {

constexpr uint64_t kNoOffset = ~0ull;
constexpr size_t kWorkspaceLimit = 256u << 20;
// Every executor buffer region starts 256-byte aligned (cuDNN and vector loads want it).
inline uint64_t align256(uint64_t v) { return (v + 255) & ~255ull; }  // per cuDNN/cuBLASLt call; algorithms needing more are skipped

struct Engine {
  const plan* p;
  uint8_t* weights;        // device copy of every constant, each 256-byte aligned
  uint64_t* const_offset;  // [num_tensors] offset in weights, kNoOffset for non-constants
  uint8_t* device_layer;   // [num_layers] 1 when the layer runs on the GPU (0: host layer done by shapes_infer)
  int32_t host_inputs;     // 1 when some input is host-placed (shape values): no CUDA graphs then
  // [num_layers] the kernel each layer got when a context last chose them (set_shapes), for inspect(). Static
  // strings; written with atomic stores because contexts on other threads may choose at the same time.
  const char** chosen_kernel;
  uint8_t* nhwc;           // [num_layers] 1 for NHWC layers (layout.h)
  uint64_t* krsc_offset;   // [num_tensors] offset in weights of a KRSC copy of an NHWC conv's filter, or kNoOffset
  // Kernel choices (exec_cuda_tactics.cu). tactics: owned; the plan's build-time choices, plus what contexts time at
  // shapes the build did not see (so no context times the same layer twice). source / chosen: borrowed, set only
  // while a builder times the plan (denotrt_builtin_time_plan): the user's cache, consulted and extended, and the
  // cache that receives every entry a layer uses.
  denotrt_timing_cache* tactics;
  denotrt_timing_cache* source;
  denotrt_timing_cache* chosen;
};

// Planned per layer for the current shapes (set_shapes), reused by every enqueue and capture.
struct LayerPrep {
  denotrt_cudnn_conv* conv;  // borrowed from the context's cache (legacy cuDNN API)
  denotrt_cudnn_graph_conv* gconv;  // or: borrowed, cuDNN graph API (exec_cuda_conv.cu chooses between them)
  bool gconv_act;            // the graph conv could not fuse the activation: run it after (own kernel)
  bool own_depthwise;        // or: an NHWC depthwise conv on the own kernel (dtops::depthwise_conv_nhwc)
  bool own_pointwise;        // or: an NHWC 1x1 conv on the own GEMM kernel (dtops::pointwise_conv)
  // With own_pointwise: the conv's input is the channel Concat of these two tensors (the second holds the last
  // concat_c2 channels), made by the layer before for this conv alone, which then runs nothing. -1: its own input.
  int32_t concat_in[2];
  int64_t concat_c2;
  int32_t splitk;            // or: an NHWC fp16 conv on the own split-K kernel, this configuration (0: not)
  denotrt_lt_gemm* gemm;     // borrowed from the context's cache
  const char* kernel;        // what runs it (for errors and inspection)
  bool native_nhwc;          // an NHWC layer whose kernel reads NHWC directly (else run_nhwc_generic converts)
  // Fused by the executor: a Cast whose only reader is the next layer, an NCHW <-> NHWC Transpose, runs as one
  // converting transpose writing the Transpose's output (cast_transpose, on the Cast); the Transpose is then
  // done_by_previous and runs nothing.
  bool cast_transpose;
  bool done_by_previous;
  // Fused by the executor (exec_cuda_stem.cu): a Conv 7x7/2 + Relu whose only reader is the next layer, a MaxPool
  // 3x3/2, runs as one kernel writing the pool's output (the pool is then done_by_previous). stem_input: the
  // graph's fp32 NCHW tensor the kernel reads instead of its input, when the Cast + Transpose before it (then
  // done_by_next, running nothing) produced that input for it alone; -1 otherwise.
  bool stem_pool;
  int32_t stem_input;
  bool done_by_next;
};

// A tensor seen differently by the layer being prepared or run: NHWC layers see logical NCHW dims, and the generic
// path also NCHW copies in scratch (exec_cuda_layout.cu). tensor_ptr / tensor_dims consult these first.
struct TensorOverride { int32_t t; void* ptr; dtops::Dims dims; };

// splitk: the own split-K kernel's configuration that runs the conv instead of cuDNN (0: cuDNN runs it).
struct ConvCacheEntry {
  uint8_t key[256];
  size_t key_len;
  denotrt_cudnn_conv* conv;
  denotrt_cudnn_graph_conv* gconv;
  bool gconv_act;
  int32_t splitk;
};
struct GemmCacheEntry { uint8_t key[128]; size_t key_len; denotrt_lt_gemm* gemm; };
struct GraphEntry { uint64_t* key; size_t key_len; cudaGraphExec_t exec; uint64_t last_use; };

struct Context {
  Engine* e;
  const shape_state* shapes;
  uint8_t* arena;               // plan.arena_bytes (planned activations)
  uint8_t* priv;                // unplanned activations, staged host tensors, scratch
  size_t priv_bytes;
  uint64_t* priv_offset;        // [num_tensors], kNoOffset when not in priv
  uint64_t scratch_offset;      // start of per-layer scratch in priv
  uint64_t* io_address;         // [num_tensors] device addresses of inputs and outputs (0 = unset)
  void* workspace;
  size_t workspace_bytes;
  void* cudnn;                  // cudnnHandle_t, created on first conv
  void* lt;                     // cublasLtHandle_t, created on first GEMM
  int32_t cudnn_failed, lt_failed;  // library unusable: own kernels from then on
  LayerPrep* prep;              // [num_layers]
  ConvCacheEntry* convs; int32_t n_convs, cap_convs;
  GemmCacheEntry* gemms; int32_t n_gemms, cap_gemms;
  GraphEntry graphs[8];
  int32_t n_graphs;
  uint64_t use_clock;
  int32_t use_graphs;
  TensorOverride ovr[8];
  int32_t n_ovr;
};

// Layer operands inside launchers (l: the plan_layer, c: the Context).
#define IN(i) ((i) < l->num_inputs ? l->inputs[i] : -1)
#define OUT(i) ((i) < l->num_outputs ? l->outputs[i] : -1)
#define RC(call) do { int32_t rc_ = (call); if (rc_ != DENOTRT_OK) return rc_; } while (0)
#define PTR(t) tensor_ptr(c, (t))

// Addresses and shapes.
void* tensor_ptr(Context* c, int32_t t);
dtops::Dims tensor_dims(const Context* c, int32_t t);
int32_t tensor_dtype(const Context* c, int32_t t);
// Values of a constant or host tensor (shapes->host_values, CPU element type); false when unavailable.
bool host_i64(const Context* c, int32_t t, int64_t i, int64_t* v);
bool host_f64(const Context* c, int32_t t, int64_t i, double* v);
int64_t tensor_count(const Context* c, int32_t t);

// Bytes of scratch a layer needs beyond its outputs (e.g. Pow's exponent cast), under the current shapes.
uint64_t layer_scratch_bytes(const Context* c, const plan_layer* l);
// Checks at engine creation that the op is known to the CUDA executor.
bool layer_supported(const plan* p, const plan_layer* l);
// Plans cuDNN / cuBLASLt for layer i under the current shapes (no capture may be active). Updates ws_need.
int32_t prepare_layer(Context* c, int32_t i, size_t* ws_need, denotrt_error* err);
// Queues layer i on s (an NHWC layer through run_nhwc, which calls run_layer_logical).
int32_t run_layer(Context* c, int32_t i, cudaStream_t s, denotrt_error* err);
int32_t run_layer_logical(Context* c, int32_t i, cudaStream_t s, denotrt_error* err);

// NHWC layers (exec_cuda_layout.cu).
// Overrides every laid-out tensor of layer i with its logical NCHW dims (pointers unchanged); end_overrides undoes.
void begin_logical_dims(Context* c, int32_t i);
void end_overrides(Context* c);
// Whether the launcher for layer i reads NHWC itself once prepared (cuDNN convs, own NHWC pooling/resize).
bool has_native_nhwc(Context* c, int32_t i);
// Scratch bytes the generic path needs for layer i (NCHW copies of its laid-out tensors).
uint64_t nhwc_scratch_bytes(const Context* c, int32_t i);
int32_t run_nhwc(Context* c, int32_t i, cudaStream_t s, denotrt_error* err);
// The Transpose t's perm when it is one of the layout perms of a rank-4 tensor ({0,2,3,1} to NHWC, {0,3,1,2} back),
// else false.
bool layout_perm(const Context* c, const plan_layer* t, int32_t* perm);
// Whether tensor t is read by layer `reader` alone (and is not a graph output): what a fusion that skips t needs.
bool only_reader(const plan* p, int32_t t, int32_t reader);
// Whether layer i is a Cast the executor fuses with the Transpose after it (LayerPrep::cast_transpose), and the run.
bool fuses_cast_transpose(const Context* c, int32_t i);
int32_t run_cast_transpose(Context* c, int32_t i, cudaStream_t s, denotrt_error* err);
// KRSC copies of the filters of NHWC convs, laid out after the constants (engine creation).
uint64_t plan_krsc_weights(Engine* e, uint64_t total);
void fill_krsc_weights(const Engine* e, uint8_t* staging);
int32_t layer_fail(const plan_layer* l, denotrt_error* err, int32_t status, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void free_caches(Context* c);
// Convolutions on cuDNN (exec_cuda_conv.cu): the choice between graph engines and legacy algorithms, and the run.
int32_t prepare_conv(Context* c, int32_t i, size_t* ws_need, denotrt_error* err);
// Whether layer i, a Conv, is an NHWC depthwise conv the own kernel runs (LayerPrep::own_depthwise).
bool runs_own_depthwise(Context* c, int32_t i);
// Whether layer i, a Conv, is an NHWC fp16 1x1 conv the own GEMM kernel can run (*d: its geometry), and whether it
// runs it by the memory-bound rule (LayerPrep::own_pointwise).
bool pointwise_candidate(Context* c, int32_t i, dtops::ConvDesc* d);
bool runs_own_pointwise(Context* c, int32_t i);
// A 1x1 conv over a channel Concat made for it alone (exec_cuda_concat_conv.cu): whether layer i runs as one GEMM
// reading the Concat's two inputs (sets own_pointwise and concat_in; the Concat before it is then done_by_next).
bool prepare_concat_pointwise(Context* c, int32_t i);
// The fused stem (exec_cuda_stem.cu): whether layer i, a Conv, runs it (sets LayerPrep::stem_pool and, on the
// layers before it, done_by_next), and the run.
bool prepare_stem(Context* c, int32_t i);
int32_t run_stem(Context* c, int32_t i, cudaStream_t s, denotrt_error* err);
int32_t run_cudnn_conv(Context* c, int32_t i, cudaStream_t s, const void* bias, const void* res, dtops::Act a,
                       denotrt_error* err);
// A conv as the cuDNN paths and the own split-K kernel choose for it (exec_cuda_conv.cu, exec_cuda_splitk.cu).
struct ConvCase {
  dtops::ConvDesc d;
  int64_t pe[2];
  int32_t dtype, fuse, tf32, nhwc, has_bias, has_res;
  dtops::Act act;
};
// A timing-cache key: the prefix (kind first), then the conv's geometry.
tc_entry conv_tactic_key(const int64_t* prefix, int32_t n, const dtops::ConvDesc& d, const int64_t* pe);
int64_t float_bits(float f);
// The own split-K kernel (exec_cuda_splitk.cu): whether it is timed against cuDNN for k; the stored choice (*known
// with *config, 0 meaning cuDNN, when the plan or the builder's cache has one; recorded for the plan being built);
// and the timing of cuDNN's winner (conv or gconv) against each configuration, recorded, *config the faster.
bool splitk_candidate(const ConvCase& k);
int32_t splitk_stored(Context* c, const ConvCase& k, bool* known, int32_t* config, denotrt_error* err);
int32_t splitk_time(Context* c, const ConvCase& k, denotrt_cudnn_conv* conv, denotrt_cudnn_graph_conv* gconv,
                    bool gconv_act, int32_t* config, denotrt_error* err);

// Kernel choices (exec_cuda_tactics.cu).
// Loads the plan's tactics into e->tactics; a plan timed on another GPU keeps none (logged), and is re-timed.
int32_t load_tactics(Engine* e, denotrt_error* err);
// The stored choice for key, from the engine's table or (at build time) the builder's cache.
bool find_tactic(Engine* e, const tc_entry* key, tc_entry* out);
// At run time only (never while a builder times a plan): a choice stored for the same layer configuration at other
// sizes (key positions where ignore[i] != 0 differ), as TensorRT runs the tactics chosen at a profile's opt shapes
// for every shape in the profile instead of timing again.
bool find_similar_tactic(Engine* e, const tc_entry* key, const uint8_t* ignore, tc_entry* out);
// Records the choice a layer runs: in the engine's table, and at build time in the builder's caches.
int32_t record_tactic(Engine* e, const tc_entry* entry, denotrt_error* err);
// Keeps a measurement no layer uses (a losing candidate) in the engine's table and the builder's cache, not among
// the plan's chosen entries.
int32_t record_measurement(Engine* e, const tc_entry* entry, denotrt_error* err);
// builtin_executor_ops.attach_timing.
int32_t attach_timing(void* ee, denotrt_timing_cache* source, denotrt_timing_cache* chosen, int32_t ignore_mismatch,
                      denotrt_error* err);
// builtin_executor_ops.profile (exec_cuda_profile.cu).
int32_t profile(void* cc, void* stream, int32_t runs, float* layer_ms, denotrt_error* err);

// Op helpers shared by the preparation and the launchers (exec_cuda_layers.cu).
bool is(const plan_layer* l, const char* op);
int32_t unary_code(const plan_layer* l);   // dtops::Unary or -1
int32_t binary_code(const plan_layer* l);  // dtops::Binary or -1
int32_t norm_axis(int64_t a, int32_t rank);
bool layer_allows_tf32(const plan_layer* l);  // the plan marked it precision = "tf32"
int32_t conv_act(const plan_layer* l, dtops::Act* a, denotrt_error* err);
int32_t unary_act(Context* c, const plan_layer* l, dtops::Act* a, denotrt_error* err);
int32_t conv_geometry(Context* c, const plan_layer* l, bool transpose, dtops::ConvDesc* d, int64_t* pad_end,
                      denotrt_error* err);
#ifdef DENOTRT_WITH_CUBLASLT
bool matmul_desc(Context* c, const plan_layer* l, denotrt_lt_gemm_desc* gd);
#endif

}  // namespace dtexec
#endif
