// Per-layer timing for denotrt_context_profile (TensorRT's IProfiler): the layers run one by one on the stream with
// an event after each, never inside a CUDA graph. A spin kernel (dtops::hold_gpu) holds the GPU first, long enough for the host to
// queue the whole run, so an interval is the layer's GPU time and not the host's launch cost (cuDNN's calls take
// tens of microseconds on the host: without the hold, small layers would be timed at the host's pace).
#include <stdlib.h>
#include <string.h>

#include "exec_cuda_internal.h"

namespace dtexec {

static int cmp_float(const void* a, const void* b) {
  float x = *(const float*)a, y = *(const float*)b;
  return x < y ? -1 : x > y;
}

int32_t profile(void* cc, void* stream, int32_t runs, float* layer_ms, denotrt_error* err) {
  Context* c = (Context*)cc;
  const plan* p = c->e->p;
  cudaStream_t s = (cudaStream_t)stream;
  int32_t n = p->num_layers;
  cudaEvent_t* ev = (cudaEvent_t*)calloc((size_t)n + 1, sizeof *ev);
  float* all = (float*)calloc((size_t)n * runs + 1, sizeof *all);
  int32_t rc = ev && all ? DENOTRT_OK : denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  int32_t made = 0;
  for (; rc == DENOTRT_OK && made <= n; ++made) {
    cudaError_t ce = cudaEventCreate(&ev[made]);
    if (ce != cudaSuccess) rc = denotrt_cuda_fail(err, (int)ce, "cudaEventCreate");
  }
  if (rc != DENOTRT_OK) --made;  // the failed one was not created
  const double hold_us = 2000.0 + 100.0 * n;  // 2 ms + 0.1 ms per layer
  for (int32_t r = 0; r <= runs && rc == DENOTRT_OK; ++r) {  // run 0 warms up
    cudaError_t ce = dtops::hold_gpu(s, hold_us);
    if (ce == cudaSuccess) ce = cudaEventRecord(ev[0], s);
    for (int32_t i = 0; i < n && ce == cudaSuccess && rc == DENOTRT_OK; ++i) {
      if (c->e->device_layer[i]) rc = run_layer(c, i, s, err);
      if (rc == DENOTRT_OK) ce = cudaEventRecord(ev[i + 1], s);
    }
    if (rc != DENOTRT_OK) break;
    if (ce == cudaSuccess) ce = cudaEventSynchronize(ev[n]);
    if (ce != cudaSuccess) { rc = denotrt_cuda_fail(err, (int)ce, "cudaEventRecord/Synchronize (profile)"); break; }
    for (int32_t i = 0; r > 0 && i < n && rc == DENOTRT_OK; ++i) {
      float ms = 0.f;
      ce = c->e->device_layer[i] ? cudaEventElapsedTime(&ms, ev[i], ev[i + 1]) : cudaSuccess;
      if (ce != cudaSuccess) rc = denotrt_cuda_fail(err, (int)ce, "cudaEventElapsedTime");
      all[(size_t)i * runs + (r - 1)] = ms;
    }
  }
  for (int32_t i = 0; rc == DENOTRT_OK && i < n; ++i) {
    qsort(all + (size_t)i * runs, (size_t)runs, sizeof(float), cmp_float);
    layer_ms[i] = all[(size_t)i * runs + runs / 2];
  }
  for (int32_t k = 0; k < made; ++k) cudaEventDestroy(ev[k]);
  free(ev);
  free(all);
  return rc;
}

}  // namespace dtexec
