// cuBLASLt, loaded at run time (libcublasLt.so.13 from the system; never linked), resolved into a table like
// cuDNN's (see ../cudnn/cudnn_api.h). Compiled only where cublasLt.h was found (DENOTRT_WITH_CUBLASLT).
#ifndef DENOTRT_CUBLASLT_API_H
#define DENOTRT_CUBLASLT_API_H
#include <cublasLt.h>

#include "../common.h"

#define DENOTRT_CUBLASLT_FUNCS(X)                                                                               \
  X(cublasLtGetVersion) X(cublasLtGetStatusString) X(cublasLtCreate) X(cublasLtDestroy)                          \
  X(cublasLtMatmulDescCreate) X(cublasLtMatmulDescDestroy) X(cublasLtMatmulDescSetAttribute)                     \
  X(cublasLtMatrixLayoutCreate) X(cublasLtMatrixLayoutDestroy) X(cublasLtMatrixLayoutSetAttribute)               \
  X(cublasLtMatmulPreferenceCreate) X(cublasLtMatmulPreferenceDestroy) X(cublasLtMatmulPreferenceSetAttribute)   \
  X(cublasLtMatmulAlgoGetHeuristic) X(cublasLtMatmul)

struct denotrt_cublaslt_api {
#define DENOTRT_CUBLASLT_PTR(name) decltype(&::name) name;
  DENOTRT_CUBLASLT_FUNCS(DENOTRT_CUBLASLT_PTR)
#undef DENOTRT_CUBLASLT_PTR
  size_t version;
};

int32_t denotrt_cublaslt_load(const denotrt_cublaslt_api** out, denotrt_error* err);
int32_t denotrt_cublaslt_fail(denotrt_error* err, cublasStatus_t st, const char* call);

#define DENOTRT_CUBLASLT_CHECK(err, api, fn, ...)                              \
  do {                                                                        \
    cublasStatus_t dt_st_ = (api)->fn(__VA_ARGS__);                           \
    if (dt_st_ != CUBLAS_STATUS_SUCCESS) return denotrt_cublaslt_fail((err), dt_st_, #fn); \
  } while (0)

#endif
