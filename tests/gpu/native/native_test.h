// What the standalone native GPU tests share: a fatal check for CUDA runtime calls (a test cannot go on without
// its buffers) and fresh random inputs on every run (never zeros, never the same twice); then, in namespace ntest,
// the harness of the kernel tests (depthwise, conv_transpose, resize_concat): failures and result lines, float
// tensors held both on the device and as exact doubles, the median timing queued behind a spin kernel, and the
// CUDA graph replay check, the conv tests' geometry. Each test is one translation unit, so the definitions below live
// in it once.
#ifndef DENOTRT_TESTS_NATIVE_TEST_H
#define DENOTRT_TESTS_NATIVE_TEST_H
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cuda_ops/ops.h"
#include "denotrt.h"

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

namespace ntest {

constexpr double kHbmBytesPerS = 3e12;  // the bound the brief measures against (the H200 copies at ~4 TB/s)

// ---------------------------------------------------------------- failures and result lines

inline int g_failures = 0;
inline std::vector<std::string> g_rows;  // every result line, printed again as the summary

inline void fail(const char* what) {
  printf("  FAIL: %s\n", what);
  g_failures++;
}

inline void add_row(const char* row) {
  printf("%s\n", row);
  g_rows.push_back(row);
}

// One row of a kernel's fits() table ("  fn(what) = true ok"); a failure when got != want.
inline void fits_row(const char* fn, const char* what, bool got, bool want) {
  char row[200];
  snprintf(row, sizeof row, "  %s(%-26s) = %-5s %s", fn, what, got ? "true" : "false", got == want ? "ok" : "FAIL");
  add_row(row);
  if (got != want) fail(row);
}

inline void print_device() {
  cudaDeviceProp prop;
  CUDA_OK(cudaGetDeviceProperties(&prop, 0));
  printf("device %s (sm_%d%d, %d SMs)\n", prop.name, prop.major, prop.minor, prop.multiProcessorCount);
}

// The summary: `heading`, every result line again, the failure count; returns the exit status.
inline int finish(const char* heading) {
  printf("\n%s\n", heading);
  for (const std::string& r : g_rows) printf("%s\n", r.c_str());
  printf("\n%d failure(s)\n", g_failures);
  return g_failures ? 1 : 0;
}

// A launcher's status: true when DENOTRT_OK; otherwise a failure, and " ERROR <status>" ends the row at `pos`.
inline bool launched(const char* name, int32_t rc, const denotrt_error& err, char* row, size_t cap, int pos) {
  if (rc == DENOTRT_OK) return true;
  char m[600];
  snprintf(m, sizeof m, "%s: rc %s: %s", name, denotrt_status_name(rc), err.message);
  fail(m);
  snprintf(row + pos, cap - pos, " ERROR %s", denotrt_status_name(rc));
  return false;
}

// Appends " err <e> ok|FAIL" to the row at `pos` (a failure past `tol`); returns the new end of the row.
inline int append_error(const char* name, double e, double tol, char* row, size_t cap, int pos) {
  const bool ok = e <= tol;
  if (!ok) {
    char m[300];
    snprintf(m, sizeof m, "%s: relative L2 error %.3e > %.0e", name, e, tol);
    fail(m);
  }
  return pos + snprintf(row + pos, cap - pos, " err %.1e %s", e, ok ? "ok  " : "FAIL");
}

// Appends a median time, the GB/s it makes over `bytes` and its ratio to moving them at 3 TB/s.
inline int append_bandwidth(float ms, double bytes, char* row, size_t cap, int pos) {
  const double bound_ms = bytes / kHbmBytesPerS * 1e3;
  return pos + snprintf(row + pos, cap - pos, " | %8.4f ms %6.0f GB/s (%5.1f MB, x%.2f of the 3 TB/s bound)", ms,
                        bytes / (ms * 1e-3) / 1e9, bytes / 1e6, ms / bound_ms);
}

// setvbuf(stdout) stays with each main (before anything it prints); then the device line, `body` on a non-blocking
// stream, and the summary under `heading`; returns the exit status.
template <typename F>
int run_tests(const char* heading, F&& body) {
  print_device();
  cudaStream_t s;
  CUDA_OK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  body(s);
  cudaStreamDestroy(s);
  return finish(heading);
}

// ---------------------------------------------------------------- tensors

inline size_t esize(int dtype) {
  switch (dtype) {
    case DENOTRT_INT64: return 8;
    case DENOTRT_FLOAT32: return 4;
    case DENOTRT_UINT8: return 1;
    default: return 2;  // fp16, bf16
  }
}

inline const char* dtype_name(int dtype) {
  switch (dtype) {
    case DENOTRT_FLOAT32: return "fp32";
    case DENOTRT_FLOAT16: return "fp16";
    case DENOTRT_BFLOAT16: return "bf16";
    case DENOTRT_INT64: return "i64";
    default: return "u8";
  }
}

// Rounds f to dtype (fp16, bf16 or fp32); returns the stored bits' exact value and writes the bits to dst.
inline double quantize(float f, int dtype, uint8_t* dst) {
  if (dtype == DENOTRT_FLOAT16) {
    __half h = __float2half(f);
    memcpy(dst, &h, 2);
    return __half2float(h);
  }
  if (dtype == DENOTRT_BFLOAT16) {
    __nv_bfloat16 b = __float2bfloat16(f);
    memcpy(dst, &b, 2);
    return __bfloat162float(b);
  }
  memcpy(dst, &f, 4);
  return f;
}

inline double dequantize(const uint8_t* src, int dtype) {
  if (dtype == DENOTRT_FLOAT16) {
    __half h;
    memcpy(&h, src, 2);
    return __half2float(h);
  }
  if (dtype == DENOTRT_BFLOAT16) {
    __nv_bfloat16 b;
    memcpy(&b, src, 2);
    return __bfloat162float(b);
  }
  float f;
  memcpy(&f, src, 4);
  return f;
}

inline std::vector<uint8_t> download_bytes(const void* dev, size_t bytes) {
  std::vector<uint8_t> host(bytes);
  CUDA_OK(cudaMemcpy(host.data(), dev, bytes, cudaMemcpyDeviceToHost));
  return host;
}

// One row of an argument-check table, once a launcher returned rc for bad (or no-work) arguments: the status must be
// what the case wants (status_ok), the output poisoned with 0xff bytes untouched, and nothing queued may have failed.
inline void refusal_row(const char* what, int32_t rc, bool status_ok, const denotrt_error& err, cudaStream_t s,
                        const void* y, size_t bytes) {
  const cudaError_t ce = cudaStreamSynchronize(s);
  bool untouched = true;
  for (uint8_t v : download_bytes(y, bytes)) untouched &= v == 0xff;
  const bool ok = status_ok && untouched && ce == cudaSuccess;
  char row[600];
  snprintf(row, sizeof row, "  %-28s -> %s%s%.300s%s%s %s", what, denotrt_status_name(rc), err.message[0] ? ": " : "",
           err.message, untouched ? "" : " (y written)", ce == cudaSuccess ? "" : " (CUDA error)", ok ? "ok" : "FAIL");
  add_row(row);
  if (!ok) fail(what);
}

// n elements of a float dtype, as exact doubles.
inline std::vector<double> download(const void* dev, size_t n, int dtype) {
  const std::vector<uint8_t> host = download_bytes(dev, n * esize(dtype));
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i) out[i] = dequantize(&host[i * esize(dtype)], dtype);
  return out;
}

// Host values (exact, as double) and a device copy, `offset` elements past a 256-byte boundary.
struct Buf {
  std::vector<double> v;
  uint8_t* base = nullptr;
  void* dev = nullptr;
};

// n fresh random values in [-scale, scale), never zeros.
inline void make_buf(Buf* b, size_t n, float scale, int dtype, int offset) {
  b->v.resize(n);
  std::vector<uint8_t> host(n * esize(dtype));
  for (size_t i = 0; i < n; ++i) {
    float f = urand() * scale;
    if (f == 0.f) f = scale * 0.25f;  // never zeros
    b->v[i] = quantize(f, dtype, &host[i * esize(dtype)]);
  }
  CUDA_OK(cudaMalloc(&b->base, (n + offset) * esize(dtype) + 16));
  b->dev = b->base + offset * esize(dtype);
  CUDA_OK(cudaMemcpy(b->dev, host.data(), host.size(), cudaMemcpyHostToDevice));
}

// An output of n elements, `misalign` elements past a 256-byte boundary (its allocation in *base), NaN until written.
inline void* make_output(uint8_t** base, size_t n, int dtype, int misalign) {
  CUDA_OK(cudaMalloc(base, (n + misalign) * esize(dtype)));
  CUDA_OK(cudaMemset(*base, 0xff, (n + misalign) * esize(dtype)));
  return *base + misalign * esize(dtype);
}

// ---------------------------------------------------------------- conv geometry

// A conv case's descriptor axes (Case has spatial, in, kernel, stride, pad_begin and dilation; out_size is the
// test's own formula); the caller fills in the batch, channels and groups.
template <typename Case>
dtops::ConvDesc conv_axes(const Case& cs, int64_t (*out_size)(const Case&, int)) {
  dtops::ConvDesc d{};
  d.spatial = cs.spatial;
  for (int i = 0; i < cs.spatial; ++i) {
    d.in[i] = cs.in[i], d.out[i] = out_size(cs, i), d.kernel[i] = cs.kernel[i], d.stride[i] = cs.stride[i];
    d.pad_begin[i] = cs.pad_begin[i], d.dilation[i] = cs.dilation[i];
  }
  return d;
}

// A descriptor's geometry as [H, W] (1-D: H = 1), for the CPU references.
struct Geo2 {
  int64_t ih, iw, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
};
inline Geo2 geo2(const dtops::ConvDesc& d) {
  if (d.spatial == 1)
    return Geo2{1, d.in[0], 1, d.out[0], 1, d.kernel[0], 1, d.stride[0], 0, d.pad_begin[0], 1, d.dilation[0]};
  return Geo2{d.in[0],     d.in[1],     d.out[0],       d.out[1],       d.kernel[0],   d.kernel[1],
              d.stride[0], d.stride[1], d.pad_begin[0], d.pad_begin[1], d.dilation[0], d.dilation[1]};
}

// ---------------------------------------------------------------- timing and graph replay

// Keeps the GPU busy for `cycles` so the timed launches queue up behind it.
static __global__ void spin_kernel(long long cycles) {
  long long t0 = clock64();
  while (clock64() - t0 < cycles) {
  }
}

// Median of 50 back-to-back runs after 5 warm-ups, one event between consecutive launches. The launches queue
// behind a ~10 ms spin kernel, so each interval is the kernel as the GPU runs it (what a CUDA graph replays), not the
// host's launch cost (several microseconds, more than the small kernels take). -1 when a launch fails.
template <typename F>
float median_ms(cudaStream_t s, F&& launch) {
  constexpr int kRuns = 50;
  for (int i = 0; i < 5; ++i)
    if (!launch()) return -1.f;
  cudaEvent_t ev[kRuns + 1];
  for (auto& e : ev) CUDA_OK(cudaEventCreate(&e));
  spin_kernel<<<1, 1, 0, s>>>(20000000);
  CUDA_OK(cudaEventRecord(ev[0], s));
  for (int i = 0; i < kRuns; ++i) {
    if (!launch()) return -1.f;
    CUDA_OK(cudaEventRecord(ev[i + 1], s));
  }
  CUDA_OK(cudaEventSynchronize(ev[kRuns]));
  std::vector<float> t(kRuns);
  for (int i = 0; i < kRuns; ++i) CUDA_OK(cudaEventElapsedTime(&t[i], ev[i], ev[i + 1]));
  for (auto& e : ev) cudaEventDestroy(e);
  std::sort(t.begin(), t.end());
  return t[kRuns / 2];
}

// Captures `enqueue` (which writes `replay` and returns false when a launcher fails) into a CUDA graph, replays it
// and compares `bytes` of `replay` with `eager`: the launchers must stay capturable and give the same bits. Returns
// "same", "DIFF" (a failure), or null when the capture failed (the failure `what`).
template <typename F>
const char* graph_replay(cudaStream_t s, F&& enqueue, const void* eager, const void* replay, size_t bytes,
                         const char* what) {
  cudaGraph_t graph;
  cudaGraphExec_t exec;
  CUDA_OK(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  const bool captured = enqueue();
  const cudaError_t ce = cudaStreamEndCapture(s, &graph);
  if (!captured || ce != cudaSuccess) {
    fail(what);
    cudaGetLastError();
    return nullptr;
  }
  CUDA_OK(cudaGraphInstantiate(&exec, graph, 0));
  CUDA_OK(cudaGraphLaunch(exec, s));
  CUDA_OK(cudaStreamSynchronize(s));
  const bool same = download_bytes(eager, bytes) == download_bytes(replay, bytes);
  if (!same) fail("the CUDA graph replay differs from the eager run");
  cudaGraphExecDestroy(exec);
  cudaGraphDestroy(graph);
  return same ? "same" : "DIFF";
}

}  // namespace ntest

#endif
