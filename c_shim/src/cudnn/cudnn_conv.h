// One convolution configuration prepared for cuDNN's legacy API: descriptors plus the algorithm that
// cudnnFindConvolutionForwardAlgorithm measured fastest (once per shape; the executor caches these per geometry).
#ifndef DENOTRT_CUDNN_CONV_H
#define DENOTRT_CUDNN_CONV_H
#include <cuda_runtime.h>

#include "../cuda_ops/ops.h"

struct denotrt_cudnn_conv;

// A legacy-API choice, as kept in timing caches and plans: the algorithm, its math type, whether the fused
// bias + ReLU call runs it, the workspace it needs and its measured median time (0 when not timed).
struct denotrt_conv_tactic {
  int32_t algo, math, fused_ok;
  uint64_t workspace;
  float ms;
};

// A handle of cuDNN (opaque here so the executor needs no cuDNN headers). NULL handles are never returned.
int32_t denotrt_cudnn_handle_create(void** handle, denotrt_error* err);
void denotrt_cudnn_handle_destroy(void* handle);

// Prepares the convolution; runs cuDNN's algorithm search on the legacy default stream, so it must not be
// called while any stream of this thread is capturing. Returns DENOTRT_UNSUPPORTED (without filling err) for a
// geometry the legacy API cannot express (asymmetric pads): the caller then uses its own kernel.
// fuse_relu: the layer's activation is Relu, so cudnnConvolutionBiasActivationForward can apply it (with bias).
// allow_tf32: float32 convolutions may run on TF32 tensor cores (plans built with precision "tf32"); 0 keeps strict
// fp32 (FMA kernels only). Ignored for float16.
// nhwc: x and y are stored NHWC and the filter KRSC (d keeps the logical NCHW geometry).
// forced (may be NULL): a choice measured earlier (a plan's or a timing cache's); it is taken without searching when
// cuDNN still accepts it, else the search runs (logged). *chosen (may be NULL) receives what the conv runs.
int32_t denotrt_cudnn_conv_create(void* handle, int32_t dtype, int32_t allow_tf32, int32_t nhwc, const dtops::ConvDesc& d,
                                  const int64_t* pad_end, int32_t fuse_relu, size_t workspace_limit,
                                  const denotrt_conv_tactic* forced, denotrt_conv_tactic* chosen,
                                  denotrt_cudnn_conv** out, denotrt_error* err);
size_t denotrt_cudnn_conv_workspace(const denotrt_cudnn_conv* c);
const char* denotrt_cudnn_conv_algo_name(const denotrt_cudnn_conv* c);
// y = act(conv(x, w) + bias + residual) on stream; the fused cuDNN call when the activation is Relu and a bias
// is given, else cudnnConvolutionForward followed by the own epilogue kernel. Capturable.
int32_t denotrt_cudnn_conv_run(denotrt_cudnn_conv* c, void* handle, cudaStream_t s, const void* x, const void* w,
                               const void* bias, const void* residual, dtops::Act act, void* y, void* workspace,
                               denotrt_error* err);
void denotrt_cudnn_conv_destroy(denotrt_cudnn_conv* c);

#endif
