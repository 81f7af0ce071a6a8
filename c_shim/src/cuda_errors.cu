// Turns CUDA runtime statuses into denotrt errors. Lives in a .cu file because it needs the runtime's headers.
#include <cuda_runtime.h>

#include "common.h"

extern "C" int32_t denotrt_cuda_fail(denotrt_error* err, int code, const char* api) {
  cudaError_t e = (cudaError_t)code;
  cudaGetLastError();  // clear the sticky-free last error so the next call starts clean
  int32_t status = DENOTRT_CUDA_ERROR;
  if (e == cudaErrorNoDevice || e == cudaErrorInsufficientDriver) status = DENOTRT_NO_DEVICE;
  const char* hint = "";
  if (e == cudaErrorNoDevice) hint = " (no CUDA-capable GPU is visible to this process)";
  if (e == cudaErrorInsufficientDriver)
    hint = " (no NVIDIA driver is installed, or it is older than the CUDA runtime the shim was built with)";
  return denotrt_fail(err, status, code, api, cudaGetErrorName(e), "%s failed: %s%s", api, cudaGetErrorString(e), hint);
}
