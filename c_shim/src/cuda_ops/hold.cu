// Holding the GPU while the host queues work that is to be timed. cuDNN's and cuBLASLt's calls take tens of
// microseconds on the host, longer than many kernels they launch: timed between two events without a hold, a
// small conv is measured at the host's pace, and at batch 1 the build-time choice among candidates was noise (the
// chosen engines changed from one build to the next). Queued behind this spin kernel, the events and the calls
// between them reach the GPU together, and the interval is GPU time only.
#include "launch_info.h"
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
  // The hold only needs to outlast the host's queueing: an unknown clock is taken as 2 GHz.
  const int khz = device_attribute<cudaDevAttrClockRate>(2000000);
  hold_kernel<<<1, 1, 0, s>>>((long long)((double)khz * microseconds / 1000.0));
  return cudaGetLastError();
}

}  // namespace dtops
