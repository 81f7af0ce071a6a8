// What the standalone native GPU tests share: a fatal check for CUDA runtime calls (a test cannot go on without
// its buffers) and fresh random inputs on every run (never zeros, never the same twice).
#ifndef DENOTRT_TESTS_NATIVE_TEST_H
#define DENOTRT_TESTS_NATIVE_TEST_H
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define CUDA_OK(call)                                                                                   \
  do {                                                                                                  \
    cudaError_t e_ = (call);                                                                            \
    if (e_ != cudaSuccess) {                                                                            \
      printf("FATAL %s:%d %s: %s\n", __FILE__, __LINE__, #call, cudaGetErrorString(e_));                \
      exit(2);                                                                                          \
    }                                                                                                   \
  } while (0)

// xorshift64, seeded from the clock: uniform in [-1, 1).
inline float urand() {
  static uint64_t rng = 0x9E3779B97F4A7C15ull ^ (uint64_t)time(nullptr);
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return (float)((rng >> 40) * (1.0 / (1ull << 24))) * 2.f - 1.f;
}

#endif
