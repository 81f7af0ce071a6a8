// Pinned host buffers, device buffers, copies between them and to pageable memory, memset, and the C-side
// bandwidth yardstick the benchmark compares the TypeScript path against.
#include <cuda_runtime.h>
#include <stdlib.h>
#include <algorithm>
#include <vector>

#include "common.h"
#include "stream_internal.h"

struct denotrt_host_buffer { denotrt_tag tag; void* ptr; uint64_t size; int pinned; };
struct denotrt_device_buffer { denotrt_tag tag; void* ptr; uint64_t size; };

// A size no allocation of ours can reach; rejects negative numbers that wrapped around in the caller.
static const uint64_t kMaxBytes = 1ull << 46;

#define CHECK_STREAM(err, api, s) \
  if ((s) && !denotrt_tag_ok((s), DENOTRT_HANDLE_STREAM)) return DENOTRT_BAD_ARG(err, api, "not a live stream handle")

extern "C" {

static void free_host(void* p, int pinned) {
  if (p && pinned) cudaFreeHost(p);
  else free(p);
}

int32_t denotrt_host_buffer_create(uint64_t bytes, int32_t flags, denotrt_host_buffer** out, denotrt_error* err) {
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_host_buffer_create", "out must not be NULL");
  if (bytes > kMaxBytes) return DENOTRT_BAD_ARG(err, "denotrt_host_buffer_create", "size %llu is too large", (unsigned long long)bytes);
  if (flags & ~DENOTRT_HOST_PINNED) return DENOTRT_BAD_ARG(err, "denotrt_host_buffer_create", "unknown flags 0x%x", flags);
  const int pinned = (flags & DENOTRT_HOST_PINNED) != 0;
  void* p = nullptr;
  // A 0-byte buffer is a valid, empty handle with no memory behind it.
  if (bytes && pinned) DENOTRT_CUDA_CHECK(err, cudaHostAlloc(&p, bytes, cudaHostAllocPortable));
  if (bytes && !pinned && posix_memalign(&p, 64, bytes) != 0)
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "posix_memalign", "", "could not allocate %llu bytes of host memory",
                        (unsigned long long)bytes);
  denotrt_host_buffer* h = (denotrt_host_buffer*)calloc(1, sizeof *h);
  if (!h) {
    free_host(p, pinned);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(h, DENOTRT_HANDLE_HOST_BUFFER);
  h->ptr = p;
  h->size = bytes;
  h->pinned = pinned;
  denotrt_handle_created(DENOTRT_HANDLE_HOST_BUFFER);
  *out = h;
  return DENOTRT_OK;
}

int32_t denotrt_host_buffer_destroy(denotrt_host_buffer* h, denotrt_error* err) {
  if (!denotrt_tag_ok(h, DENOTRT_HANDLE_HOST_BUFFER)) return DENOTRT_BAD_ARG(err, "denotrt_host_buffer_destroy", "not a live host buffer");
  cudaError_t e = cudaSuccess;
  if (h->ptr && h->pinned) e = cudaFreeHost(h->ptr);
  else free(h->ptr);
  denotrt_tag_kill(h);
  free(h);
  denotrt_handle_destroyed(DENOTRT_HANDLE_HOST_BUFFER);
  if (e != cudaSuccess) return denotrt_cuda_fail(err, e, "cudaFreeHost");
  return DENOTRT_OK;
}

void* denotrt_host_buffer_pointer(denotrt_host_buffer* h) {
  return denotrt_tag_ok(h, DENOTRT_HANDLE_HOST_BUFFER) ? h->ptr : nullptr;
}
int32_t denotrt_host_buffer_is_pinned(denotrt_host_buffer* h) {
  return denotrt_tag_ok(h, DENOTRT_HANDLE_HOST_BUFFER) ? h->pinned : 0;
}
uint64_t denotrt_host_buffer_size(denotrt_host_buffer* h) {
  return denotrt_tag_ok(h, DENOTRT_HANDLE_HOST_BUFFER) ? h->size : 0;
}

int32_t denotrt_device_buffer_create(uint64_t bytes, denotrt_device_buffer** out, denotrt_error* err) {
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_device_buffer_create", "out must not be NULL");
  if (bytes > kMaxBytes) return DENOTRT_BAD_ARG(err, "denotrt_device_buffer_create", "size %llu is too large", (unsigned long long)bytes);
  void* p = nullptr;
  if (bytes) DENOTRT_CUDA_CHECK(err, cudaMalloc(&p, bytes));
  denotrt_device_buffer* d = (denotrt_device_buffer*)calloc(1, sizeof *d);
  if (!d) {
    if (p) cudaFree(p);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(d, DENOTRT_HANDLE_DEVICE_BUFFER);
  d->ptr = p;
  d->size = bytes;
  denotrt_handle_created(DENOTRT_HANDLE_DEVICE_BUFFER);
  *out = d;
  return DENOTRT_OK;
}

int32_t denotrt_device_buffer_destroy(denotrt_device_buffer* d, denotrt_error* err) {
  if (!denotrt_tag_ok(d, DENOTRT_HANDLE_DEVICE_BUFFER)) return DENOTRT_BAD_ARG(err, "denotrt_device_buffer_destroy", "not a live device buffer");
  cudaError_t e = d->ptr ? cudaFree(d->ptr) : cudaSuccess;
  denotrt_tag_kill(d);
  free(d);
  denotrt_handle_destroyed(DENOTRT_HANDLE_DEVICE_BUFFER);
  if (e != cudaSuccess) return denotrt_cuda_fail(err, e, "cudaFree");
  return DENOTRT_OK;
}

uint64_t denotrt_device_buffer_address(denotrt_device_buffer* d) {
  return denotrt_tag_ok(d, DENOTRT_HANDLE_DEVICE_BUFFER) ? (uint64_t)(uintptr_t)d->ptr : 0;
}
uint64_t denotrt_device_buffer_size(denotrt_device_buffer* d) {
  return denotrt_tag_ok(d, DENOTRT_HANDLE_DEVICE_BUFFER) ? d->size : 0;
}

// Resolves a host or device buffer handle to (pointer, size); 0 if it is neither.
static int resolve(void* handle, char** ptr, uint64_t* size) {
  if (denotrt_tag_ok(handle, DENOTRT_HANDLE_HOST_BUFFER)) {
    *ptr = (char*)((denotrt_host_buffer*)handle)->ptr;
    *size = ((denotrt_host_buffer*)handle)->size;
    return 1;
  }
  if (denotrt_tag_ok(handle, DENOTRT_HANDLE_DEVICE_BUFFER)) {
    *ptr = (char*)((denotrt_device_buffer*)handle)->ptr;
    *size = ((denotrt_device_buffer*)handle)->size;
    return 1;
  }
  return 0;
}

static int in_bounds(uint64_t offset, uint64_t bytes, uint64_t size) {
  return offset <= size && bytes <= size - offset;
}

int32_t denotrt_memcpy_async(void* dst, uint64_t dst_offset, void* src, uint64_t src_offset, uint64_t bytes,
                             denotrt_stream* s, denotrt_error* err) {
  static const char* api = "denotrt_memcpy_async";
  char *dp, *sp;
  uint64_t dsize, ssize;
  if (!resolve(dst, &dp, &dsize)) return DENOTRT_BAD_ARG(err, api, "destination is not a live buffer");
  if (!resolve(src, &sp, &ssize)) return DENOTRT_BAD_ARG(err, api, "source is not a live buffer");
  CHECK_STREAM(err, api, s);
  if (!in_bounds(dst_offset, bytes, dsize))
    return DENOTRT_BAD_ARG(err, api, "copy of %llu bytes at offset %llu overruns the %llu-byte destination",
                           (unsigned long long)bytes, (unsigned long long)dst_offset, (unsigned long long)dsize);
  if (!in_bounds(src_offset, bytes, ssize))
    return DENOTRT_BAD_ARG(err, api, "copy of %llu bytes at offset %llu overruns the %llu-byte source",
                           (unsigned long long)bytes, (unsigned long long)src_offset, (unsigned long long)ssize);
  if (bytes == 0) return DENOTRT_OK;
  DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync(dp + dst_offset, sp + src_offset, bytes, cudaMemcpyDefault, denotrt_stream_raw(s)));
  return DENOTRT_OK;
}

int32_t denotrt_memcpy_from_pageable(denotrt_device_buffer* dst, uint64_t dst_offset, const void* src, uint64_t bytes,
                                     denotrt_stream* s, denotrt_error* err) {
  static const char* api = "denotrt_memcpy_from_pageable";
  if (!denotrt_tag_ok(dst, DENOTRT_HANDLE_DEVICE_BUFFER)) return DENOTRT_BAD_ARG(err, api, "destination is not a live device buffer");
  CHECK_STREAM(err, api, s);
  if (!in_bounds(dst_offset, bytes, dst->size)) return DENOTRT_BAD_ARG(err, api, "copy overruns the destination");
  if (bytes == 0) return DENOTRT_OK;
  if (!src) return DENOTRT_BAD_ARG(err, api, "source must not be NULL");
  cudaStream_t st = denotrt_stream_raw(s);
  DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync((char*)dst->ptr + dst_offset, src, bytes, cudaMemcpyHostToDevice, st));
  // The caller's memory is a JavaScript buffer: it must be consumed before we return.
  DENOTRT_CUDA_CHECK(err, cudaStreamSynchronize(st));
  return DENOTRT_OK;
}

int32_t denotrt_memcpy_to_pageable(void* dst, denotrt_device_buffer* src, uint64_t src_offset, uint64_t bytes,
                                   denotrt_stream* s, denotrt_error* err) {
  static const char* api = "denotrt_memcpy_to_pageable";
  if (!denotrt_tag_ok(src, DENOTRT_HANDLE_DEVICE_BUFFER)) return DENOTRT_BAD_ARG(err, api, "source is not a live device buffer");
  CHECK_STREAM(err, api, s);
  if (!in_bounds(src_offset, bytes, src->size)) return DENOTRT_BAD_ARG(err, api, "copy overruns the source");
  if (bytes == 0) return DENOTRT_OK;
  if (!dst) return DENOTRT_BAD_ARG(err, api, "destination must not be NULL");
  cudaStream_t st = denotrt_stream_raw(s);
  DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync(dst, (char*)src->ptr + src_offset, bytes, cudaMemcpyDeviceToHost, st));
  DENOTRT_CUDA_CHECK(err, cudaStreamSynchronize(st));
  return DENOTRT_OK;
}

int32_t denotrt_memset_async(denotrt_device_buffer* dst, uint64_t offset, int32_t value, uint64_t bytes,
                             denotrt_stream* s, denotrt_error* err) {
  static const char* api = "denotrt_memset_async";
  if (!denotrt_tag_ok(dst, DENOTRT_HANDLE_DEVICE_BUFFER)) return DENOTRT_BAD_ARG(err, api, "not a live device buffer");
  CHECK_STREAM(err, api, s);
  if (!in_bounds(offset, bytes, dst->size)) return DENOTRT_BAD_ARG(err, api, "memset overruns the buffer");
  if (bytes == 0) return DENOTRT_OK;
  DENOTRT_CUDA_CHECK(err, cudaMemsetAsync((char*)dst->ptr + offset, value & 0xff, bytes, denotrt_stream_raw(s)));
  return DENOTRT_OK;
}

// Frees whatever the benchmark allocated, on every exit path.
struct BenchMemory {
  void* host = nullptr;
  bool pinned = false;
  void* dev = nullptr;
  cudaStream_t stream = nullptr;
  cudaEvent_t a = nullptr, b = nullptr;
  ~BenchMemory() {
    if (a) cudaEventDestroy(a);
    if (b) cudaEventDestroy(b);
    if (stream) cudaStreamDestroy(stream);
    if (dev) cudaFree(dev);
    if (host) { if (pinned) cudaFreeHost(host); else free(host); }
  }
};

int32_t denotrt_bench_memcpy(uint64_t bytes, int32_t direction, int32_t pinned, int32_t iterations, double* gib_per_s,
                             denotrt_error* err) {
  static const char* api = "denotrt_bench_memcpy";
  if (!gib_per_s || bytes == 0 || bytes > kMaxBytes || iterations < 1 || iterations > 100000)
    return DENOTRT_BAD_ARG(err, api, "need bytes in (0, 2^46], 1..100000 iterations and a result pointer");
  BenchMemory m;
  m.pinned = pinned != 0;
  if (m.pinned) DENOTRT_CUDA_CHECK(err, cudaHostAlloc(&m.host, bytes, cudaHostAllocPortable));
  else if (!(m.host = malloc(bytes))) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory");
  for (uint64_t i = 0; i < bytes; i += 4096) ((volatile char*)m.host)[i] = (char)i;  // fault the pages in
  DENOTRT_CUDA_CHECK(err, cudaMalloc(&m.dev, bytes));
  DENOTRT_CUDA_CHECK(err, cudaStreamCreateWithFlags(&m.stream, cudaStreamNonBlocking));
  DENOTRT_CUDA_CHECK(err, cudaEventCreate(&m.a));
  DENOTRT_CUDA_CHECK(err, cudaEventCreate(&m.b));
  std::vector<float> ms;
  for (int i = -2; i < iterations; i++) {  // two untimed warm-ups
    DENOTRT_CUDA_CHECK(err, cudaEventRecord(m.a, m.stream));
    if (direction == 0) DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync(m.dev, m.host, bytes, cudaMemcpyHostToDevice, m.stream));
    else DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync(m.host, m.dev, bytes, cudaMemcpyDeviceToHost, m.stream));
    DENOTRT_CUDA_CHECK(err, cudaEventRecord(m.b, m.stream));
    DENOTRT_CUDA_CHECK(err, cudaEventSynchronize(m.b));
    float t = 0;
    DENOTRT_CUDA_CHECK(err, cudaEventElapsedTime(&t, m.a, m.b));
    if (i >= 0) ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  double median = ms[ms.size() / 2];
  *gib_per_s = (double)bytes / (1024.0 * 1024.0 * 1024.0) / (median / 1000.0);
  return DENOTRT_OK;
}

}  // extern "C"
