// cuDNN, loaded at run time: the shim links nothing from cuDNN (it must load on a machine with only the driver), so
// every function it calls is resolved with dlsym into this table on first use. Compiled only where cuDNN's headers
// were found (DENOTRT_WITH_CUDNN); the types come from those headers, the code from libcudnn.so.9 at run time.
#ifndef DENOTRT_CUDNN_API_H
#define DENOTRT_CUDNN_API_H
#include <cudnn.h>

#include "../common.h"

// X(name) for every cuDNN function the shim uses; the table has one pointer per entry, typed by decltype.
#define DENOTRT_CUDNN_FUNCS(X)                                                                                   \
  X(cudnnGetVersion) X(cudnnGetErrorString) X(cudnnCreate) X(cudnnDestroy) X(cudnnSetStream)                     \
  X(cudnnCreateTensorDescriptor) X(cudnnSetTensorNdDescriptor) X(cudnnDestroyTensorDescriptor)                   \
  X(cudnnCreateFilterDescriptor) X(cudnnSetFilterNdDescriptor) X(cudnnDestroyFilterDescriptor)                   \
  X(cudnnCreateConvolutionDescriptor) X(cudnnSetConvolutionNdDescriptor) X(cudnnSetConvolutionGroupCount)        \
  X(cudnnSetConvolutionMathType) X(cudnnDestroyConvolutionDescriptor) X(cudnnCreateActivationDescriptor)         \
  X(cudnnSetActivationDescriptor) X(cudnnDestroyActivationDescriptor) X(cudnnFindConvolutionForwardAlgorithm)    \
  X(cudnnGetConvolutionForwardWorkspaceSize) X(cudnnConvolutionForward) X(cudnnConvolutionBiasActivationForward) \
  /* the graph (backend) API, cudnn_graph_conv.cu */                                                             \
  X(cudnnBackendCreateDescriptor) X(cudnnBackendDestroyDescriptor) X(cudnnBackendSetAttribute)                   \
  X(cudnnBackendGetAttribute) X(cudnnBackendFinalize) X(cudnnBackendExecute)

struct denotrt_cudnn_api {
#define DENOTRT_CUDNN_PTR(name) decltype(&::name) name;
  DENOTRT_CUDNN_FUNCS(DENOTRT_CUDNN_PTR)
#undef DENOTRT_CUDNN_PTR
  size_t version;
};

// Loads libcudnn.so.9 and every symbol once (thread-safe); later calls return the same table.
// DENOTRT_LIBRARY_ERROR naming the library or the missing symbol, or a cuDNN older than 9.0.
int32_t denotrt_cudnn_load(const denotrt_cudnn_api** out, denotrt_error* err);

// Turns a failed cudnnStatus_t into DENOTRT_CUDNN_ERROR naming the call.
int32_t denotrt_cudnn_fail(denotrt_error* err, cudnnStatus_t st, const char* call);

#define DENOTRT_CUDNN_CHECK(err, api, fn, ...)                                 \
  do {                                                                        \
    cudnnStatus_t dt_st_ = (api)->fn(__VA_ARGS__);                            \
    if (dt_st_ != CUDNN_STATUS_SUCCESS) return denotrt_cudnn_fail((err), dt_st_, #fn); \
  } while (0)

#endif
