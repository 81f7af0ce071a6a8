// How the build times a library candidate (a cuDNN graph engine, a cuBLASLt algorithm) on stream 0: a warm-up call,
// then 3 rounds of 8 calls back to back, each round queued behind dtops::hold_gpu so its events and calls reach the
// GPU together; the time is the median round over 8. One run between two events measured the host's pace of the
// library call instead, longer than many batch-1 kernels, and the choices changed from one build to the next.
#ifndef DENOTRT_CUDA_OPS_GPU_TIMING_H
#define DENOTRT_CUDA_OPS_GPU_TIMING_H
#include <cuda_runtime.h>

#include <algorithm>

#include "ops.h"

namespace dtops {

// run() queues one call and says whether the library accepted it. *ran = false when a call was refused (nothing
// timed, *ms untouched); the result is the first failing CUDA call's error (cudaSuccess otherwise).
template <typename Run>
cudaError_t time_back_to_back(Run&& run, cudaEvent_t e0, cudaEvent_t e1, bool* ran, float* ms) {
  constexpr int kBackToBack = 8, kRounds = 3;
  float t[kRounds];
  *ran = run();  // warm-up (and the candidate's first-run setup)
  for (int r = 0; r < kRounds && *ran; ++r) {
    cudaError_t e = hold_gpu(0, 300.0);  // the host queues the round meanwhile
    if (e == cudaSuccess) e = cudaEventRecord(e0, 0);
    for (int k = 0; k < kBackToBack && *ran && e == cudaSuccess; ++k) *ran = run();
    if (e == cudaSuccess) e = cudaEventRecord(e1, 0);
    if (e == cudaSuccess) e = cudaEventSynchronize(e1);
    if (e == cudaSuccess && *ran) e = cudaEventElapsedTime(&t[r], e0, e1);
    if (e != cudaSuccess) return e;
    t[r] /= kBackToBack;
  }
  if (!*ran) return cudaSuccess;
  std::sort(t, t + kRounds);
  *ms = t[kRounds / 2];
  return cudaSuccess;
}

}  // namespace dtops
#endif
