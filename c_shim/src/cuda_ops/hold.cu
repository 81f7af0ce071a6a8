// Holding the GPU while the host queues work that is to be timed. cuDNN's and cuBLASLt's calls take tens of
// microseconds on the host, longer than many kernels they launch: timed between two events without a hold, a
// small conv is measured at the host's pace, and at batch 1 the build-time choice among candidates was noise (the
// chosen engines changed from one build to the next). Queued behind this spin kernel, the events and the calls
// between them reach the GPU together, and the interval is GPU time only.
#include <atomic>

#include "ops.h"

namespace dtops {
namespace {

__global__ void hold_kernel(long long cycles) {
  const long long start = clock64();
  while (clock64() - start < cycles) {
  }
}

}  // namespace

cudaError_t hold_gpu(cudaStream_t s, double microseconds) {
  static std::atomic<int> khz_cache[64];
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  if (e != cudaSuccess) return e;
  int khz = dev >= 0 && dev < 64 ? khz_cache[dev].load(std::memory_order_relaxed) : 0;
  if (khz == 0) {
    e = cudaDeviceGetAttribute(&khz, cudaDevAttrClockRate, dev);
    if (e != cudaSuccess) return e;
    if (dev >= 0 && dev < 64) khz_cache[dev].store(khz, std::memory_order_relaxed);
  }
  hold_kernel<<<1, 1, 0, s>>>((long long)((double)khz * microseconds / 1000.0));
  return cudaGetLastError();
}

}  // namespace dtops
