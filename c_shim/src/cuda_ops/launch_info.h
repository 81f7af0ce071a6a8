// What the own kernels' launchers ask of the device to size their grids, queried once and cached (host code; the
// library is built without relocatable device code, so each launcher's file compiles these inline).
#ifndef DENOTRT_CUDA_OPS_LAUNCH_INFO_H
#define DENOTRT_CUDA_OPS_LAUNCH_INFO_H
#include <cuda_runtime.h>

#include <atomic>

namespace dtops {

// Multiprocessors of the current device, queried once per device (the launchers run per layer, often per frame);
// 132 (an H100/H200) when the query fails.
inline int sm_count() {
  static std::atomic<int> cache[64];
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) {
    cudaGetLastError();  // our own failed query: not an error for the launch check to report
    return 132;
  }
  if (cache[dev].load(std::memory_order_relaxed) == 0) {
    int sms = 0;
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev) != cudaSuccess || sms <= 0) {
      cudaGetLastError();
      sms = 132;
    }
    cache[dev].store(sms, std::memory_order_relaxed);  // racing threads store the same value
  }
  return cache[dev].load(std::memory_order_relaxed);
}

// Blocks of `kernel` one SM holds at once with this block size and shared memory (1 when the query fails).
template <typename K>
int resident_blocks(K kernel, int threads, size_t smem) {
  int blocks = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks, kernel, threads, smem) != cudaSuccess || blocks < 1) {
    cudaGetLastError();  // our own failed query: not an error for the launch check to report
    return 1;
  }
  return blocks;
}

}  // namespace dtops

#endif
