// Host-side launchers of denotrt's own CUDA kernels (c_shim/src/cuda_ops/*.cu), one op family per file.
// Each launcher queues work on `stream` with no host synchronization, checks the launch, and returns a denotrt
// status (DENOTRT_OK, or a filled error naming the kernel). Tensors are dense row-major unless a View says
// otherwise; shapes follow ONNX semantics and numpy broadcasting. fp16/bf16 are computed in fp32.
// These are internal C++ symbols for CUDA translation units; nothing here crosses the C ABI.
#ifndef DENOTRT_CUDA_OPS_H
#define DENOTRT_CUDA_OPS_H
#include <cuda_runtime.h>
#include <stdint.h>

#include "../common.h"

struct fused_program;  // builtin/fused_program.h

namespace dtops {

constexpr int kMaxRank = DENOTRT_MAX_RANK;

struct Dims {
  int32_t rank;
  int64_t d[kMaxRank];
};
// A strided view: element strides (0 on broadcast axes) over an iteration shape.
struct View {
  int32_t rank;
  int64_t dims[kMaxRank];
  int64_t strides[kMaxRank];
};

Dims make_dims(int32_t rank, const int64_t* d);
int64_t numel(const Dims& d);
size_t dtype_size(int32_t dtype); /* 0 for unknown dtypes */
View contiguous_view(const Dims& d);
// The view of `in` read as if broadcast (numpy rules) to `out`; returns false when they do not broadcast.
bool broadcast_view(const Dims& in, const Dims& out, View* v);

// ---------------------------------------------------------------- activations (unary ops and epilogues)
enum Unary {
  U_IDENTITY = 0, U_RELU, U_SIGMOID, U_TANH, U_SILU, U_HARDSWISH, U_HARDSIGMOID, U_LEAKYRELU, U_CLIP, U_ELU,
  U_GELU, U_SQRT, U_EXP, U_LOG, U_ABS, U_NEG, U_RECIPROCAL, U_ERF, U_FLOOR, U_CEIL, U_SOFTPLUS, U_NOT, U_SIN,
  U_COS, U_ROUND, U_SIGN, U_GELU_TANH, U_MISH, U_SELU, U_SOFTSIGN, U_TAN, U_SCALE /* alpha * x */, U_COUNT
};
// alpha/beta: LeakyRelu alpha, Elu alpha, HardSigmoid alpha/beta, Clip min/max, Selu alpha/gamma.
struct Act { int32_t op; float alpha; float beta; };
// Defaults ONNX uses when the attribute is absent (HardSigmoid 0.2/0.5, LeakyRelu 0.01, Clip ±inf, ...).
Act default_act(int32_t op);

int32_t unary(Act act, int32_t dtype, const void* x, void* y, int64_t n, cudaStream_t s, denotrt_error* err);

// ---------------------------------------------------------------- binary and ternary with broadcasting
enum Binary {
  B_ADD = 0, B_SUB, B_MUL, B_DIV, B_POW, B_MAX, B_MIN, B_MOD, B_FMOD, B_PRELU,
  /* comparisons and logic: bool (uint8) output */
  B_EQUAL, B_LESS, B_LESS_EQUAL, B_GREATER, B_GREATER_EQUAL, B_AND, B_OR, B_XOR, B_COUNT
};
bool binary_is_compare(int32_t op);
// dtype: the inputs' dtype (float32, float16, bfloat16, int32, int64, bool for logic). y is bool for
// comparisons, else dtype.
int32_t binary(int32_t op, int32_t dtype, const void* a, const Dims& ad, const void* b, const Dims& bd, void* y,
               const Dims& yd, cudaStream_t s, denotrt_error* err);
// y = cond ? x : z (cond bool).
int32_t where(int32_t dtype, const void* cond, const Dims& cd, const void* x, const Dims& xd, const void* z,
              const Dims& zd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err);

// ---------------------------------------------------------------- FusedElementwise (docs/OPS.md)
// y = prog(xs[0..prog.num_inputs)) per element, each xs[k] (shape xds[k]) broadcast to yd, every tensor `dtype`
// (float32, float16, bfloat16), computed in fp32. prog must have passed fused_program_load.
int32_t fused_elementwise(int32_t dtype, const fused_program& prog, const void* const* xs, const Dims* xds, void* y,
                          const Dims& yd, cudaStream_t s, denotrt_error* err);

// ---------------------------------------------------------------- fused epilogue
// y[i] = act(x[i] + bias[c] + residual[i]), c = (i / inner) % channels. bias and residual may be NULL; y may
// alias x (in place).
int32_t bias_residual_act(int32_t dtype, const void* x, const void* bias, const void* residual, void* y, int64_t n,
                          int64_t channels, int64_t inner, Act act, cudaStream_t s, denotrt_error* err);

// y[i] = x[i] * scale[c] + shift[c], c = (i / inner) % channels (an unfolded BatchNormalization).
int32_t channel_affine(int32_t dtype, const void* x, const float* scale, const float* shift, void* y, int64_t n,
                       int64_t channels, int64_t inner, cudaStream_t s, denotrt_error* err);

// ---------------------------------------------------------------- data movement (byte-wise, any dtype)
int32_t copy_view(size_t elem, const void* x, const View& xv, void* y, const View& yv, cudaStream_t s,
                  denotrt_error* err);
int32_t transpose(size_t elem, const void* x, const Dims& xd, const int32_t* perm, void* y, cudaStream_t s,
                  denotrt_error* err);
// transpose()'s fast path for NCHW <-> NHWC (transpose_tiled.cu); false when the case is not one it handles.
bool transpose_layout(size_t elem, const void* x, const Dims& xd, const int32_t* perm, void* y, cudaStream_t s,
                      int32_t* rc, denotrt_error* err);
// The same, converting src_dtype to dst_dtype on the way (fp32 -> fp16 / bf16, fp16 -> fp32); false when the perm
// or the pair is not one it handles.
bool transpose_layout_cast(int32_t src_dtype, const void* x, const Dims& xd, const int32_t* perm, int32_t dst_dtype,
                           void* y, cudaStream_t s, int32_t* rc, denotrt_error* err);
// starts: clamped first index per axis; steps: per axis (negative allowed); yd: output shape.
int32_t slice(size_t elem, const void* x, const Dims& xd, const int64_t* starts, const int64_t* steps, void* y,
              const Dims& yd, cudaStream_t s, denotrt_error* err);
// Inputs of yd's rank, equal to it off `axis` (else DENOTRT_INVALID_ARGUMENT); runs per outer index are copied with
// up to 16-byte words, up to 16 inputs per launch.
int32_t concat(size_t elem, int32_t count, const void* const* xs, const Dims* xds, int32_t axis, void* y,
               const Dims& yd, cudaStream_t s, denotrt_error* err);
// concat() through one strided copy per input (its fallback; tests compare with it). Shapes are not checked.
int32_t concat_strided(size_t elem, int32_t count, const void* const* xs, const Dims* xds, int32_t axis, void* y,
                       const Dims& yd, cudaStream_t s, denotrt_error* err);
int32_t split(size_t elem, const void* x, const Dims& xd, int32_t axis, int32_t count, void* const* ys,
              const Dims* yds, cudaStream_t s, denotrt_error* err);
int32_t expand(size_t elem, const void* x, const Dims& xd, void* y, const Dims& yd, cudaStream_t s,
               denotrt_error* err);
// mode: 0 constant, 1 reflect, 2 edge, 3 wrap. pads_begin may be negative (crop). value: the constant as double.
int32_t pad(int32_t dtype, const void* x, const Dims& xd, const int64_t* pads_begin, int32_t mode, double value,
            void* y, const Dims& yd, cudaStream_t s, denotrt_error* err);
// Gather along axis; indices int32 or int64 (negative counts from the end).
int32_t gather(size_t elem, const void* data, const Dims& dd, int32_t axis, const void* indices, int32_t idx_dtype,
               int64_t n_indices, void* y, cudaStream_t s, denotrt_error* err);
// Fills n elements with value converted to dtype (ConstantOfShape).
int32_t fill(int32_t dtype, double value, void* y, int64_t n, cudaStream_t s, denotrt_error* err);
// y[i] = start + i * delta (ONNX Range).
int32_t range(int32_t dtype, double start, double delta, void* y, int64_t n, cudaStream_t s, denotrt_error* err);
int32_t cast(int32_t src_dtype, const void* x, int32_t dst_dtype, void* y, int64_t n, cudaStream_t s,
             denotrt_error* err);

// ---------------------------------------------------------------- pooling (NC + 1..3 spatial dims)
struct PoolDesc {
  int32_t kind; /* 0 max, 1 average */
  int32_t spatial;
  int64_t kernel[3], stride[3], pad_begin[3], pad_end[3], dilation[3];
  int32_t count_include_pad;
  int32_t channels_last; /* x and y stored N, spatial..., C (dims passed to pool() stay logical NCHW) */
};
// scratch: where a channels-last global pool over a big map with few channels splits the map
// (global_pool_scratch_bytes says how much it wants; without it, one block per 32 channels and image reduces all).
int32_t pool(int32_t dtype, const PoolDesc& p, const void* x, const Dims& xd, void* y, const Dims& yd,
             cudaStream_t s, denotrt_error* err, void* scratch = nullptr, size_t scratch_bytes = 0);
size_t global_pool_scratch_bytes(int64_t n, int64_t c, int64_t hw);

// ---------------------------------------------------------------- resize
enum ResizeMode { RESIZE_NEAREST = 0, RESIZE_LINEAR = 1 };
enum ResizeCoord { COORD_HALF_PIXEL = 0, COORD_ASYMMETRIC, COORD_ALIGN_CORNERS, COORD_PYTORCH_HALF_PIXEL,
                   COORD_TF_HALF_PIXEL_FOR_NEAREST, COORD_HALF_PIXEL_SYMMETRIC };
enum ResizeNearest { NEAREST_ROUND_PREFER_FLOOR = 0, NEAREST_ROUND_PREFER_CEIL, NEAREST_FLOOR, NEAREST_CEIL };
// scales: per axis (output/input as ONNX defines them; pass out/in when the model gave sizes).
int32_t resize(int32_t dtype, int32_t mode, int32_t coord, int32_t nearest, const float* scales, const void* x,
               const Dims& xd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err);
// resize() always on the generic kernel (int64 indices, no fast path): what tests compare the fast paths with.
int32_t resize_generic(int32_t dtype, int32_t mode, int32_t coord, int32_t nearest, const float* scales,
                       const void* x, const Dims& xd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err);

// ---------------------------------------------------------------- softmax and reductions
// The tensor as [outer, axis_len, inner]; log_softmax when log != 0.
int32_t softmax(int32_t dtype, const void* x, void* y, int64_t outer, int64_t axis_len, int64_t inner, int32_t log,
                cudaStream_t s, denotrt_error* err);
enum Reduce { R_SUM = 0, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_SUM_SQUARE, R_LOG_SUM, R_LOG_SUM_EXP,
              R_ARGMAX, R_ARGMIN };
// axes_mask: bit i set = axis i is reduced. y has the kept axes in order (keepdims does not change the layout).
// ArgMax/ArgMin write int64; select_last picks the last of equal extremes.
int32_t reduce(int32_t op, int32_t dtype, const void* x, const Dims& xd, uint32_t axes_mask, int32_t select_last,
               void* y, cudaStream_t s, denotrt_error* err);

// ---------------------------------------------------------------- normalization
// y = (x - mean) / sqrt(var + eps) * scale + bias over the trailing `norm_len` elements of each of `rows` rows;
// scale/bias have norm_len elements (either may be NULL).
int32_t layer_norm(int32_t dtype, const void* x, const void* scale, const void* bias, void* y, int64_t rows,
                   int64_t norm_len, float eps, cudaStream_t s, denotrt_error* err);
// Per (n, c) over `inner` elements, scale/bias per channel (InstanceNormalization / GroupNorm building block).
int32_t instance_norm(int32_t dtype, const void* x, const void* scale, const void* bias, void* y, int64_t n,
                      int64_t c, int64_t inner, float eps, cudaStream_t s, denotrt_error* err);

// Inference BatchNormalization: y = (x - mean[c]) / sqrt(var[c] + eps) * scale[c] + bias[c], all in x's dtype.
int32_t batch_norm(int32_t dtype, const void* x, const void* scale, const void* bias, const void* mean,
                   const void* var, float eps, void* y, int64_t n, int64_t channels, int64_t inner, cudaStream_t s,
                   denotrt_error* err);

// ---------------------------------------------------------------- conv and GEMM fallbacks (own kernels)
struct ConvDesc {
  int32_t spatial; /* 1 or 2 (1-D runs as H = 1) */
  int64_t n, c, k, group;
  int64_t in[2], out[2], kernel[2], stride[2], pad_begin[2], dilation[2];
};
// A 1-D conv as the 2-D one over H = 1 that every kernel runs (spatial 2 comes back unchanged); pad_end, when given,
// is converted the same way into pad_end_2d.
inline ConvDesc conv_as_2d(const ConvDesc& d0, const int64_t* pad_end = nullptr, int64_t* pad_end_2d = nullptr) {
  ConvDesc d = d0;
  if (pad_end_2d) {
    pad_end_2d[0] = pad_end[0];
    pad_end_2d[1] = d0.spatial > 1 ? pad_end[1] : 0;
  }
  if (d0.spatial != 1) return d;
  d.in[1] = d.in[0]; d.out[1] = d.out[0]; d.kernel[1] = d.kernel[0]; d.stride[1] = d.stride[0];
  d.pad_begin[1] = d.pad_begin[0]; d.dilation[1] = d.dilation[0];
  d.in[0] = d.out[0] = d.kernel[0] = d.stride[0] = d.dilation[0] = 1;
  d.pad_begin[0] = 0;
  d.spatial = 2;
  if (pad_end_2d) {
    pad_end_2d[1] = pad_end[0];
    pad_end_2d[0] = 0;
  }
  return d;
}
// y = act(conv(x, w) + bias + residual); bias (K) and residual (y's shape) may be NULL.
int32_t conv(int32_t dtype, const ConvDesc& d, const void* x, const void* w, const void* bias, const void* residual,
             Act act, void* y, cudaStream_t s, denotrt_error* err);
// Depthwise conv (d.group == d.c == d.k) on channels-last tensors, bandwidth-bound kernels (depthwise.cu):
// x [N, H, W, C], w [C, kh, kw], y and residual [N, OH, OW, C]; y = act(conv(x, w) + bias[c] + residual), bias and
// residual may be NULL; 1-D runs as H = 1. DENOTRT_UNSUPPORTED (err untouched) when d is not depthwise.
int32_t depthwise_conv_nhwc(int32_t dtype, const ConvDesc& d, const void* x, const void* w, const void* bias,
                            const void* residual, Act act, void* y, cudaStream_t s, denotrt_error* err);
// ConvTranspose (conv_transpose.cu): y = act(conv_transpose(x, w) + bias[k]), weights [C, K / group, kh, kw], bias
// (K) may be NULL; d.out already includes output_padding; 1-D runs as H = 1. NCHW tensors:
int32_t conv_transpose(int32_t dtype, const ConvDesc& d, const void* x, const void* w, const void* bias, Act act,
                       void* y, cudaStream_t s, denotrt_error* err);
// Channels-last: x [N, H, W, C], y [N, OH, OW, K] (the filter keeps its ONNX layout). tile_width: 0 lets the
// launcher size the tile kernel's per-thread tile; 2, 4, 8, 16, 24, 32, 48 or 64 forces it (tests and tuning).
int32_t conv_transpose_nhwc(int32_t dtype, const ConvDesc& d, const void* x, const void* w, const void* bias,
                            Act act, void* y, cudaStream_t s, denotrt_error* err, int32_t tile_width = 0);
// The kernel conv_transpose_nhwc runs for d on 16-byte aligned buffers, for inspection (a static string):
// "dtops_conv_transpose_nhwc_tile" when every output pixel reads at most one input pixel and the blocks tile the
// output (stride == kernel, no dilation, pads or output_padding) and each group's channels are whole 16-byte
// vectors, else "dtops_conv_transpose_nhwc_generic".
const char* conv_transpose_nhwc_kernel(int32_t dtype, const ConvDesc& d);
// A 1x1 conv (stride 1, no padding, group 1) on channels-last fp16 data as one GEMM with its epilogue fused
// (pointwise_conv.cu): y[m, n] = act(sum_k x[m, k] * w[n, k] + bias[n] + residual[m, n]) over the m = N*H*W pixels,
// for the memory-bound shapes (ResNet's expanding 1x1 convs at large batch, where cuDNN moved 2.5 TB/s): x [M, cin],
// w [cout, cin] (a 1x1 filter's KRSC bytes), bias [cout] or NULL, residual [M, cout] or NULL, y [M, cout], every
// pointer 16-byte aligned. act: identity or Relu. With c2 > 0 the input is the channel concat of two tensors, never
// written: x [M, cin - c2] and x2 [M, c2] (c2 a multiple of 8 below cin); c2 = 0 and x2 NULL otherwise.
bool pointwise_conv_fits(int64_t cin, int64_t cout, Act act);  // cin % 16 == 0, cin <= 128, cout % 128 == 0
int32_t pointwise_conv(int64_t m, int64_t cin, int64_t cout, const void* x, const void* x2, int64_t c2, const void* w,
                       const void* bias, const void* residual, Act act, void* y, cudaStream_t s, denotrt_error* err);
// A conv on channels-last fp16 data as an implicit GEMM with K_gemm = R*S*C split across a thread-block cluster of up
// to 16 blocks, reduced in distributed shared memory in a fixed order (splitk_conv.cu; deterministic, no workspace),
// for the convs whose GEMM has few rows (ResNet's 7x7 and 14x14 layers at batch 1, where cuDNN leaves most SMs idle):
// y[n, oy, ox, k] = act(sum_{r,s,c} x[n, oy*sh - ph + r*dh, ox*sw - pw + s*dw, c] * w[k, r, s, c] + bias[k] +
// residual[n, oy, ox, k]), fp32 accumulation; x [N, H, W, C], w KRSC [K, R, S, C], bias [K] or NULL, residual and y
// [N, OH, OW, K]; every pointer 16-byte aligned; 1-D runs as H = 1. Needs Hopper (clusters).
// Forced configurations (pixels x channels per tile, most splits): 64x64 s16, 64x64 s8, 64x32, 32x64, 32x32 s16.
constexpr int32_t kSplitKConfigs = 5;
// fp16, spatial 1 or 2, group 1, C and K multiples of 8, and a geometry whose indices fit the kernel's int32 math.
bool splitk_conv_fits(int32_t dtype, const ConvDesc& d);
// The kernel splitk_conv_nhwc runs for d and config (a static name, distinct per configuration; 0 or any number
// outside 1..kSplitKConfigs names the automatic choice).
const char* splitk_conv_kernel(const ConvDesc& d, int32_t config);
// config: 0 lets the launcher pick the tile from the geometry, 1..kSplitKConfigs forces one (tests and tuning); the
// split count always follows the geometry. DENOTRT_UNSUPPORTED when !splitk_conv_fits.
int32_t splitk_conv_nhwc(const ConvDesc& d, int32_t config, const void* x, const void* w_krsc, const void* bias,
                         const void* residual, Act act, void* y, cudaStream_t s, denotrt_error* err);
// A one-thread kernel that keeps stream s busy for about `microseconds` (hold.cu): work queued behind it reaches the
// GPU together, so events around it time the GPU and not the host's calls (build-time timing, layer profiles).
cudaError_t hold_gpu(cudaStream_t s, double microseconds);
// The ResNet stem as one kernel (stem_conv_pool.cu): y = MaxPool 3x3/2 pad 1 (Relu(Conv 7x7/2 pad 3 (x, w) +
// bias)), fp16 with fp32 accumulation on tensor cores, C <= 4 input channels, K = 64 output channels. The conv's
// output never reaches memory: each block computes the conv tile under its pool tile (with the pool's halo) in
// shared memory. x is NHWC fp16 [N, H, W, C] (STEM_NHWC_F16) or NCHW fp32 [N, C, H, W] (STEM_NCHW_F32: the graph's
// input before its Cast, which then never runs); w is the KRSC fp16 filter [64, 7, 7, C]; bias fp16 [64]; y NHWC
// fp16 [N, PH, PW, 64] with conv size CH = (H - 1) / 2 + 1 and PH = (CH - 1) / 2 + 1 (same along W).
enum StemInput : int32_t { STEM_NHWC_F16 = 0, STEM_NCHW_F32 = 1 };
struct StemDesc {
  int64_t n, h, w;  // input batch and spatial size
  int32_t c;        // input channels, 1..4
};
constexpr int32_t kStemChannels = 64;  // K: the only output width the kernel is built for
// Pool output size along an input axis of `in` pixels.
inline int64_t stem_out_size(int64_t in) { return ((in - 1) / 2) / 2 + 1; }
// Whether a conv (its geometry as conv_geometry gives it, pad_end included) is the stem this kernel runs.
bool stem_conv_fits(const ConvDesc& d, const int64_t* pad_end);
// tile: 0 lets the launcher pick the pool tile (8x8 when its blocks fill every SM, else 4x8); 1 forces 8x8, 2 forces
// 4x8 (tests and tuning).
int32_t stem_conv_pool(const StemDesc& d, int32_t input, const void* x, const void* w, const void* bias, void* y,
                       cudaStream_t s, denotrt_error* err, int32_t tile = 0);
// The kernel stem_conv_pool runs for d and tile (a static string, for inspection).
const char* stem_conv_pool_kernel(const StemDesc& d, int32_t tile = 0);
// Batched y[b] = A[b] x B[b] with numpy batch broadcasting (ONNX MatMul; 1-D operands are promoted).
int32_t matmul(int32_t dtype, const void* a, const Dims& ad, const void* b, const Dims& bd, void* y,
               cudaStream_t s, denotrt_error* err);
// ONNX Gemm: y = alpha * op(A) op(B) + beta * C, C broadcast to [M, N] (cd.rank 0..2) or NULL.
int32_t gemm(int32_t dtype, const void* a, int32_t trans_a, const void* b, int32_t trans_b, const void* c,
             const Dims& cd, float alpha, float beta, void* y, int64_t m, int64_t n, int64_t k, cudaStream_t s,
             denotrt_error* err);

}  // namespace dtops
#endif
