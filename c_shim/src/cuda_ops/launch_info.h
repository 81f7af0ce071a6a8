// What the own kernels' launchers ask of the device to size their grids, queried once and cached (host code; the
// library is built without relocatable device code, so each launcher's file compiles these inline).
#ifndef DENOTRT_CUDA_OPS_LAUNCH_INFO_H
#define DENOTRT_CUDA_OPS_LAUNCH_INFO_H
#include <cuda_runtime.h>

#include <atomic>

namespace dtops {

// Attribute A of the current device, queried once per device (the launchers run per layer, often per frame);
// `fallback` when the query fails.
template <cudaDeviceAttr A>
inline int device_attribute(int fallback) {
  static std::atomic<int> cache[64];
  int dev = 0;
  if (cudaGetDevice(&dev) != cudaSuccess || dev < 0 || dev >= 64) {
    cudaGetLastError();  // our own failed query: not an error for the launch check to report
    return fallback;
  }
  if (cache[dev].load(std::memory_order_relaxed) == 0) {
    int v = 0;
    if (cudaDeviceGetAttribute(&v, A, dev) != cudaSuccess || v <= 0) {
      cudaGetLastError();
      v = fallback;
    }
    cache[dev].store(v, std::memory_order_relaxed);  // racing threads store the same value
  }
  return cache[dev].load(std::memory_order_relaxed);
}

// Multiprocessors of the current device; 132 (an H100/H200) when the query fails.
inline int sm_count() { return device_attribute<cudaDevAttrMultiProcessorCount>(132); }

// Opts `kernel` in to `smem` bytes of dynamic shared memory (needed above 48 KB) once per device. `opted` is the
// launcher's own static, one per kernel: a bit per device that has taken the opt-in.
template <typename K>
inline cudaError_t opt_in_dynamic_smem(K kernel, size_t smem, std::atomic<uint64_t>& opted) {
  int dev = 0;
  cudaError_t e = cudaGetDevice(&dev);
  const uint64_t bit = 1ull << (dev & 63);
  if (e != cudaSuccess || (opted.load(std::memory_order_relaxed) & bit)) return e;
  e = cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem);
  if (e == cudaSuccess) opted.fetch_or(bit, std::memory_order_relaxed);
  return e;
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
