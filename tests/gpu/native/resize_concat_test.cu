// Device test of denotrt's own Resize and Concat kernels (c_shim/src/cuda_ops/resize.cu, copy.cu), standalone (no
// Deno). Resize: every case runs through dtops::resize (the fast paths: contiguous runs of the axes that are not
// resized, 16-byte vectors, shared-memory tap tables, 32-bit indices) and through dtops::resize_generic (the generic
// kernel, int64 per element); the two must agree bit for bit, and both are checked against a float64 CPU reference
// (nearest: every element exact; linear: relative L2). Concat: dtops::concat (runs copied with up to 16-byte words,
// up to 16 inputs per launch) against the bytes a CPU concatenation gives, and dtops::concat_strided (the old path).
// Cases: PP-OCRv4 detection's six Resize layers and its Concat (fp16, NHWC, timed), NCHW versions, bilinear
// half_pixel, channel runs off the vector (C = 3), a scale-1 innermost axis, every coordinate transformation mode,
// 1-D and 3-D, misaligned pointers, tables too big for shared memory (the generic kernel), more than 16 concat
// inputs, empty inputs, unaligned runs (C = 3 + C = 5), element sizes 1 and 8; argument errors; a CUDA graph replay.
// Inputs are fresh random values (never zeros). Timed cases print the median of 50 back-to-back runs, GB/s and the
// ratio to the bytes moved at 3 TB/s. Exit status 1 on any failure. How to build and run: tests/gpu/native/README.md.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cuda_ops/ops.h"
#include "native_test.h"

namespace {

using namespace ntest;

int64_t count(const std::vector<int64_t>& d) {
  int64_t n = 1;
  for (int64_t v : d) n *= v;
  return n;
}

dtops::Dims dims_of(const std::vector<int64_t>& d) { return dtops::make_dims((int32_t)d.size(), d.data()); }

// A device buffer `misalign` elements past a 256-byte boundary, filled from host bytes.
struct DevBuf {
  uint8_t* base = nullptr;
  void* p = nullptr;
};
DevBuf upload(const std::vector<uint8_t>& bytes, size_t elem, int misalign) {
  DevBuf b;
  CUDA_OK(cudaMalloc(&b.base, bytes.size() + misalign * elem + 16));
  b.p = b.base + misalign * elem;
  if (!bytes.empty()) CUDA_OK(cudaMemcpy(b.p, bytes.data(), bytes.size(), cudaMemcpyHostToDevice));
  return b;
}
DevBuf output(size_t bytes, size_t elem, int misalign) {
  DevBuf b;
  CUDA_OK(cudaMalloc(&b.base, bytes + misalign * elem + 16));
  CUDA_OK(cudaMemset(b.base, 0xff, bytes + misalign * elem + 16));  // NaN / garbage until written
  b.p = b.base + misalign * elem;
  return b;
}

// Both launchers' statuses: true when both are DENOTRT_OK; otherwise a failure, and " ERROR" ends the row.
bool both_launched(const std::string& name, int32_t a, int32_t b, const denotrt_error& err, char* row, size_t cap,
                   int pos) {
  if (a == DENOTRT_OK && b == DENOTRT_OK) return true;
  char m[700];
  snprintf(m, sizeof m, "%s: rc %s / %s: %s", name.c_str(), denotrt_status_name(a), denotrt_status_name(b),
           err.message);
  fail(m);
  snprintf(row + pos, cap - pos, " ERROR");
  return false;
}

// The medians of the launcher under test and of the one it replaced (`other`, named `other_name`) on the same data:
// GB/s over `bytes`, the ratio to moving them at 3 TB/s, and how many times faster the new one is.
template <typename F, typename G>
int append_timings(cudaStream_t s, F&& launch, G&& other, const char* other_name, double bytes, char* row, size_t cap,
                   int pos) {
  const float ms = median_ms(s, launch), oms = median_ms(s, other);
  const double bound_ms = bytes / kHbmBytesPerS * 1e3;
  return pos + snprintf(row + pos, cap - pos,
                        " | %7.4f ms %5.0f GB/s (%5.2f MB, x%.1f of the 3 TB/s bound) | %s %7.4f ms (x%.1f)", ms,
                        bytes / (ms * 1e-3) / 1e9, bytes / 1e6, ms / bound_ms, other_name, oms, oms / ms);
}

// ---------------------------------------------------------------- resize

struct ResizeCase {
  std::string name;
  int dtype, mode, coord, nearest;
  std::vector<int64_t> in, out;
  std::vector<float> scales;  // empty: out / in
  int timed;                  // 1: timed (fast and generic)
  int misalign;               // x and y start this many elements past a 256-byte boundary
};

// ONNX's coordinate transformations as the spec writes them, in float (the precision the kernels and onnxruntime
// compute coordinates in, so ties such as 0.5 land the same way).
float ref_coord(int coord, float xo, float s, int64_t in, int64_t out) {
  switch (coord) {
    case dtops::COORD_ASYMMETRIC: return xo / s;
    case dtops::COORD_ALIGN_CORNERS: return out == 1 ? 0.f : xo * (float)(in - 1) / (float)(out - 1);
    case dtops::COORD_PYTORCH_HALF_PIXEL: return out > 1 ? (xo + 0.5f) / s - 0.5f : 0.f;
    case dtops::COORD_TF_HALF_PIXEL_FOR_NEAREST: return (xo + 0.5f) / s;
    case dtops::COORD_HALF_PIXEL_SYMMETRIC: {
      float adj = (float)out / (s * (float)in), center = (float)in / 2.f;
      return fmaf(center, 1.f - adj, (xo + 0.5f) / s) - 0.5f;
    }
    default: return (xo + 0.5f) / s - 0.5f;
  }
}

// The nearest modes as ONNX defines them (in float, as onnxruntime rounds them).
int64_t ref_nearest(int mode, float v, int64_t in) {
  float f;
  switch (mode) {
    case dtops::NEAREST_ROUND_PREFER_CEIL: f = floorf(v + 0.5f); break;
    case dtops::NEAREST_FLOOR: f = floorf(v); break;
    case dtops::NEAREST_CEIL: f = ceilf(v); break;
    default: f = (v - floorf(v) == 0.5f) ? floorf(v) : roundf(v); break;
  }
  return std::min<int64_t>(std::max<int64_t>((int64_t)f, 0), in - 1);
}

// float64 reference at every output: per axis the two taps and the weight, then all 2^rank corners in double.
std::vector<double> resize_ref(const ResizeCase& c, const std::vector<double>& x, const std::vector<float>& sc) {
  const int r = (int)c.in.size();
  std::vector<int64_t> ostride(r), istride(r);
  for (int64_t d = r - 1, so = 1, si = 1; d >= 0; --d) {
    ostride[d] = so, istride[d] = si;
    so *= c.out[d], si *= c.in[d];
  }
  // Per axis and output coordinate: i0, i1, w (shared by every element with that coordinate).
  std::vector<std::vector<int64_t>> i0(r), i1(r);
  std::vector<std::vector<double>> w(r);
  for (int d = 0; d < r; ++d)
    for (int64_t o = 0; o < c.out[d]; ++o) {
      float v = ref_coord(c.coord, (float)o, sc[d], c.in[d], c.out[d]);
      if (c.mode == dtops::RESIZE_NEAREST) {
        int64_t k = ref_nearest(c.nearest, v, c.in[d]);
        i0[d].push_back(k), i1[d].push_back(k), w[d].push_back(0);
      } else {
        double cl = std::min(std::max((double)v, 0.0), (double)(c.in[d] - 1));
        int64_t lo = (int64_t)floor(cl);
        i0[d].push_back(lo), i1[d].push_back(std::min(lo + 1, c.in[d] - 1)), w[d].push_back(cl - (double)lo);
      }
    }
  const int64_t ny = count(c.out);
  std::vector<double> y((size_t)ny);
  std::vector<int64_t> o(r);
  for (int64_t i = 0; i < ny; ++i) {
    for (int d = 0; d < r; ++d) o[d] = (i / ostride[d]) % c.out[d];
    double acc = 0;
    for (int combo = 0; combo < (1 << r); ++combo) {
      double wt = 1;
      int64_t off = 0;
      for (int d = 0; d < r; ++d) {
        bool hi = (combo >> d) & 1;
        double wd = w[d][o[d]];
        if (hi && wd == 0) {
          wt = 0;
          break;
        }
        wt *= hi ? wd : 1 - wd;
        off += (hi ? i1[d][o[d]] : i0[d][o[d]]) * istride[d];
      }
      if (wt != 0) acc += wt * x[(size_t)off];
    }
    y[(size_t)i] = acc;
  }
  return y;
}

void run_resize(const ResizeCase& c, cudaStream_t s) {
  const int dt = c.dtype;
  const size_t es = esize(dt);
  const int64_t nx = count(c.in), ny = count(c.out);
  std::vector<float> sc = c.scales;
  if (sc.empty())
    for (size_t d = 0; d < c.in.size(); ++d) sc.push_back((float)c.out[d] / (float)c.in[d]);
  std::vector<uint8_t> xb((size_t)nx * es);
  std::vector<double> xv((size_t)nx);
  for (int64_t i = 0; i < nx; ++i) {
    float f = urand();
    if (f == 0.f) f = 0.25f;  // never zeros
    xv[(size_t)i] = quantize(f, dt, &xb[(size_t)i * es]);
  }
  DevBuf x = upload(xb, es, c.misalign), yf = output((size_t)ny * es, es, c.misalign),
         yg = output((size_t)ny * es, es, c.misalign);
  dtops::Dims xd = dims_of(c.in), yd = dims_of(c.out);
  denotrt_error err{};
  char row[600];
  int pos = snprintf(row, sizeof row, "%-58s %-4s", c.name.c_str(), dtype_name(dt));
  int32_t rc = dtops::resize(dt, c.mode, c.coord, c.nearest, sc.data(), x.p, xd, yf.p, yd, s, &err);
  int32_t rg = dtops::resize_generic(dt, c.mode, c.coord, c.nearest, sc.data(), x.p, xd, yg.p, yd, s, &err);
  CUDA_OK(cudaStreamSynchronize(s));
  if (both_launched(c.name, rc, rg, err, row, sizeof row, pos)) {
    std::vector<uint8_t> fb = download_bytes(yf.p, (size_t)ny * es), gb = download_bytes(yg.p, (size_t)ny * es);
    bool same = fb == gb;
    if (!same) {
      int64_t first = 0, diffs = 0;
      for (int64_t i = ny - 1; i >= 0; --i)
        if (memcmp(&fb[(size_t)i * es], &gb[(size_t)i * es], es)) first = i, ++diffs;
      char m[400];
      snprintf(m, sizeof m, "%s: fast and generic differ at %lld elements (first %lld: %.9g vs %.9g)",
               c.name.c_str(), (long long)diffs, (long long)first, dequantize(&fb[(size_t)first * es], dt),
               dequantize(&gb[(size_t)first * es], dt));
      fail(m);
    }
    std::vector<double> ref = resize_ref(c, xv, sc);
    double num = 0, den = 0;
    int64_t wrong = 0;
    for (int64_t i = 0; i < ny; ++i) {
      double got = dequantize(&fb[(size_t)i * es], dt), want = ref[(size_t)i];
      num += (got - want) * (got - want), den += want * want;
      if (c.mode == dtops::RESIZE_NEAREST && got != want) ++wrong;
    }
    double rel = sqrt(num / (den > 0 ? den : 1));
    const double tol = c.mode == dtops::RESIZE_NEAREST ? 0 : dt == DENOTRT_FLOAT32 ? 1e-6 : 1e-2;
    bool ok = wrong == 0 && rel <= tol;
    if (!ok) {
      char m[300];
      snprintf(m, sizeof m, "%s: vs float64: relative L2 %.3e (tolerance %.0e), %lld nearest elements differ",
               c.name.c_str(), rel, tol, (long long)wrong);
      fail(m);
    }
    pos += snprintf(row + pos, sizeof row - pos, " err %.1e %s generic %s", rel, ok ? "ok  " : "FAIL",
                    same ? "same" : "DIFF");
    if (c.timed) {
      auto fast = [&] {
        return dtops::resize(dt, c.mode, c.coord, c.nearest, sc.data(), x.p, xd, yf.p, yd, s, &err) == DENOTRT_OK;
      };
      auto generic = [&] {
        return dtops::resize_generic(dt, c.mode, c.coord, c.nearest, sc.data(), x.p, xd, yg.p, yd, s, &err) ==
               DENOTRT_OK;
      };
      pos = append_timings(s, fast, generic, "generic", (double)(nx + ny) * es, row, sizeof row, pos);
    }
  }
  add_row(row);
  cudaFree(x.base), cudaFree(yf.base), cudaFree(yg.base);
}

ResizeCase rcase(std::string name, int dtype, int mode, int coord, int nearest, std::vector<int64_t> in,
                 std::vector<int64_t> out, int timed = 0, std::vector<float> scales = {}) {
  return ResizeCase{name, dtype, mode, coord, nearest, in, out, scales, timed, 0};
}

std::vector<ResizeCase> resize_cases() {
  using namespace dtops;
  const int H = DENOTRT_FLOAT16, F = DENOTRT_FLOAT32, B = DENOTRT_BFLOAT16;
  const int NN = RESIZE_NEAREST, LIN = RESIZE_LINEAR;
  const int ASYM = COORD_ASYMMETRIC, HP = COORD_HALF_PIXEL, FLOOR = NEAREST_FLOOR, PF = NEAREST_ROUND_PREFER_FLOOR;
  std::vector<ResizeCase> v;
  // PP-OCRv4 detection at 960x960 (nearest, asymmetric, floor; NHWC as the channels-last plan stores them).
  v.push_back(rcase("ppocr 8x 30->240 C24 NHWC", H, NN, ASYM, FLOOR, {1, 30, 30, 24}, {1, 240, 240, 24}, 1));
  v.push_back(rcase("ppocr 4x 60->240 C24 NHWC", H, NN, ASYM, FLOOR, {1, 60, 60, 24}, {1, 240, 240, 24}, 1));
  v.push_back(rcase("ppocr 2x 120->240 C24 NHWC", H, NN, ASYM, FLOOR, {1, 120, 120, 24}, {1, 240, 240, 24}, 1));
  v.push_back(rcase("ppocr fpn 2x 30->60 C96 NHWC", H, NN, ASYM, FLOOR, {1, 30, 30, 96}, {1, 60, 60, 96}, 1));
  v.push_back(rcase("ppocr fpn 2x 60->120 C96 NHWC", H, NN, ASYM, FLOOR, {1, 60, 60, 96}, {1, 120, 120, 96}, 1));
  v.push_back(rcase("ppocr fpn 2x 120->240 C96 NHWC", H, NN, ASYM, FLOOR, {1, 120, 120, 96}, {1, 240, 240, 96}, 1));
  // The same layers NCHW (the innermost axis resized: 16-byte stores along W).
  v.push_back(rcase("ppocr 8x 30->240 C24 NCHW", H, NN, ASYM, FLOOR, {1, 24, 30, 30}, {1, 24, 240, 240}, 1));
  v.push_back(rcase("ppocr fpn 2x 120->240 C96 NCHW", H, NN, ASYM, FLOOR, {1, 96, 120, 120}, {1, 96, 240, 240}, 1));
  v.push_back(rcase("nearest 2x 120->240 C24 NCHW fp32", F, NN, ASYM, FLOOR, {1, 24, 120, 120}, {1, 24, 240, 240}, 1));
  // Bilinear half_pixel 2x, both layouts, every float type.
  v.push_back(rcase("bilinear half_pixel 2x 120->240 C24 NHWC", H, LIN, HP, PF, {1, 120, 120, 24}, {1, 240, 240, 24}, 1));
  v.push_back(rcase("bilinear half_pixel 2x 120->240 C24 NCHW", H, LIN, HP, PF, {1, 24, 120, 120}, {1, 24, 240, 240}, 1));
  v.push_back(rcase("bilinear half_pixel 2x 60->120 C32 NHWC b2", F, LIN, HP, PF, {2, 60, 60, 32}, {2, 120, 120, 32}, 1));
  v.push_back(rcase("bilinear half_pixel 2x 33->66 C16 NCHW b2", F, LIN, HP, PF, {2, 16, 33, 33}, {2, 16, 66, 66}));
  v.push_back(rcase("bilinear half_pixel 2x 30->60 C16 NHWC", B, LIN, HP, PF, {1, 30, 30, 16}, {1, 60, 60, 16}));
  v.push_back(rcase("bilinear half_pixel 2x 30->60 C16 NCHW", B, LIN, HP, PF, {1, 16, 30, 30}, {1, 16, 60, 60}));
  // Channel runs off the 16-byte vector: C = 3 (scalar), 6 (fp16: 4 bytes), 12 fp32 (16 bytes).
  v.push_back(rcase("nearest 2x C3 NHWC (scalar run)", H, NN, ASYM, FLOOR, {1, 17, 19, 3}, {1, 34, 38, 3}));
  v.push_back(rcase("nearest 8x C3 NHWC fp32", F, NN, ASYM, FLOOR, {2, 5, 6, 3}, {2, 40, 48, 3}));
  v.push_back(rcase("nearest 8x C24 NHWC fp32", F, NN, ASYM, FLOOR, {1, 7, 9, 24}, {1, 56, 72, 24}));
  v.push_back(rcase("bilinear 2x C3 NHWC", H, LIN, HP, PF, {1, 9, 7, 3}, {1, 18, 14, 3}));
  v.push_back(rcase("bilinear 2x C6 NHWC (4-byte words)", H, LIN, HP, PF, {1, 9, 7, 6}, {1, 18, 14, 6}));
  v.push_back(rcase("nearest 2x C12 NHWC fp32", F, NN, HP, PF, {1, 9, 7, 12}, {1, 18, 14, 12}));
  // NCHW with the innermost axis at scale 1 (W is the run), and W odd (no vector).
  v.push_back(rcase("nearest H 2x, W scale 1 NCHW", H, NN, ASYM, FLOOR, {2, 4, 6, 10}, {2, 4, 12, 10}));
  v.push_back(rcase("linear H 2x, W scale 1 NCHW fp32", F, LIN, HP, PF, {2, 4, 6, 12}, {2, 4, 12, 12}));
  v.push_back(rcase("nearest 2x NCHW W odd (scalar stores)", H, NN, HP, PF, {1, 3, 5, 7}, {1, 3, 10, 21}, 0,
                    {1, 1, 2, 3}));
  // Every coordinate transformation, non-integer scales, down-sampling.
  v.push_back(rcase("linear align_corners 7x9->13x5 fp32", F, LIN, COORD_ALIGN_CORNERS, PF, {1, 2, 7, 9},
                    {1, 2, 13, 5}));
  v.push_back(rcase("linear pytorch_half_pixel x1.5 x0.6", F, LIN, COORD_PYTORCH_HALF_PIXEL, PF, {1, 2, 4, 5},
                    {1, 2, 6, 3}, 0, {1, 1, 1.5f, 0.6f}));
  v.push_back(rcase("linear half_pixel_symmetric x3 x0.5 fp32", F, LIN, COORD_HALF_PIXEL_SYMMETRIC, PF,
                    {1, 3, 10, 12}, {1, 3, 30, 6}, 0, {1, 1, 3.f, 0.5f}));
  v.push_back(rcase("linear half_pixel_symmetric x1.7 NHWC fp16", H, LIN, COORD_HALF_PIXEL_SYMMETRIC, PF,
                    {1, 10, 12, 8}, {1, 17, 20, 8}, 0, {1, 1.7f, 1.7f, 1}));
  v.push_back(rcase("nearest round_prefer_floor x1.5 half_pixel", F, NN, HP, PF, {1, 2, 6, 6}, {1, 2, 9, 9}));
  v.push_back(rcase("nearest round_prefer_ceil x1.5 half_pixel", F, NN, HP, NEAREST_ROUND_PREFER_CEIL,
                    {1, 2, 6, 6}, {1, 2, 9, 9}));
  v.push_back(rcase("nearest ceil x0.5 asymmetric", H, NN, ASYM, NEAREST_CEIL, {1, 4, 16, 16}, {1, 4, 8, 8}));
  // tf_half_pixel_for_nearest maps x to x + 0.5: at scale 1 ceil moves every index (not an identity axis).
  v.push_back(rcase("tf_half_pixel_for_nearest ceil, H scale 1", F, NN, COORD_TF_HALF_PIXEL_FOR_NEAREST,
                    NEAREST_CEIL, {1, 2, 5, 6}, {1, 2, 5, 12}));
  v.push_back(rcase("tf_half_pixel_for_nearest floor, H scale 1", F, NN, COORD_TF_HALF_PIXEL_FOR_NEAREST,
                    NEAREST_FLOOR, {1, 2, 5, 6}, {1, 2, 5, 12}));
  v.push_back(rcase("linear tf_half_pixel_for_nearest, C scale 1 NHWC", H, LIN, COORD_TF_HALF_PIXEL_FOR_NEAREST, PF,
                    {1, 5, 6, 8}, {1, 10, 12, 8}));
  // Same size but a scale that is not 1: the axis is resized, not copied.
  v.push_back(rcase("H 5->5 at scale 1.1 (not an identity axis)", F, LIN, HP, PF, {1, 2, 5, 6}, {1, 2, 5, 12}, 0,
                    {1, 1, 1.1f, 2}));
  v.push_back(rcase("align_corners, H scale 1 (an identity axis)", F, LIN, COORD_ALIGN_CORNERS, PF, {1, 2, 5, 6},
                    {1, 2, 5, 11}));
  // Every axis at scale 1 (one run), a size-1 axis up-sampled, one down to 1.
  v.push_back(rcase("all scales 1 linear (one run)", H, LIN, HP, PF, {2, 3, 4, 5}, {2, 3, 4, 5}));
  v.push_back(rcase("all scales 1 nearest fp32", F, NN, ASYM, FLOOR, {2, 3, 4, 5}, {2, 3, 4, 5}));
  v.push_back(rcase("H 1->4 linear NHWC", H, LIN, HP, PF, {1, 1, 8, 16}, {1, 4, 8, 16}));
  v.push_back(rcase("W 9->1 nearest NCHW", F, NN, HP, PF, {1, 3, 4, 9}, {1, 3, 8, 1}));
  // 1-D, 3-D (trilinear NCDHW and nearest NDHWC), rank 2 and batch/channel resized.
  v.push_back(rcase("1-D linear 10->25", F, LIN, HP, PF, {2, 3, 10}, {2, 3, 25}));
  v.push_back(rcase("trilinear 2x NCDHW", F, LIN, HP, PF, {1, 2, 4, 5, 6}, {1, 2, 8, 10, 12}));
  v.push_back(rcase("trilinear 2x NDHWC fp16", H, LIN, HP, PF, {1, 4, 5, 6, 8}, {1, 8, 10, 12, 8}));
  v.push_back(rcase("nearest 3-D NDHWC 2x", H, NN, ASYM, FLOOR, {2, 3, 4, 5, 8}, {2, 6, 8, 10, 8}));
  v.push_back(rcase("rank 2 linear", F, LIN, HP, PF, {7, 9}, {14, 4}));
  v.push_back(rcase("C resized too (2x on all four axes)", F, LIN, HP, PF, {2, 3, 4, 5}, {4, 6, 8, 10}));
  v.push_back(rcase("5 pixel axes (the generic kernel)", F, LIN, HP, PF, {2, 3, 2, 3, 2, 3}, {4, 3, 4, 3, 4, 3}));
  // Misaligned pointers: the vectors narrow (1 element: scalar; 2 fp16 elements: 4-byte words).
  ResizeCase m1 = rcase("nearest 2x C24 NHWC misaligned 1", H, NN, ASYM, FLOOR, {1, 12, 10, 24}, {1, 24, 20, 24});
  m1.misalign = 1;
  v.push_back(m1);
  ResizeCase m2 = rcase("bilinear 2x C24 NHWC misaligned 2", H, LIN, HP, PF, {1, 12, 10, 24}, {1, 24, 20, 24});
  m2.misalign = 2;
  v.push_back(m2);
  ResizeCase m3 = rcase("bilinear 2x NCHW fp32 misaligned 1", F, LIN, HP, PF, {1, 3, 12, 16}, {1, 3, 24, 32});
  m3.misalign = 1;
  v.push_back(m3);
  // Tap tables beyond shared memory's 48 KB (4096 linear taps): the generic kernel.
  v.push_back(rcase("linear W 2->5000 (tables too big: generic)", F, LIN, HP, PF, {1, 1, 2, 2}, {1, 1, 2, 5000}));
  return v;
}

// ---------------------------------------------------------------- concat

struct ConcatCase {
  std::string name;
  int dtype;
  std::vector<std::vector<int64_t>> in;
  int axis;
  int timed;
  int misalign_input;  // this input (-1: none) starts one element past a 256-byte boundary
};

void run_concat(const ConcatCase& c, cudaStream_t s) {
  const size_t es = esize(c.dtype);
  const int r = (int)c.in[0].size(), k = (int)c.in.size();
  std::vector<int64_t> yshape = c.in[0];
  yshape[c.axis] = 0;
  for (auto& d : c.in) yshape[c.axis] += d[c.axis];
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < c.axis; ++i) outer *= yshape[i];
  for (int i = c.axis + 1; i < r; ++i) inner *= yshape[i];
  const int64_t ny = count(yshape);
  std::vector<uint8_t> want((size_t)ny * es);
  std::vector<DevBuf> xs;
  std::vector<const void*> ptrs;
  std::vector<dtops::Dims> xds;
  int64_t at = 0;  // bytes into an output row
  const int64_t row = yshape[c.axis] * inner * (int64_t)es;
  for (int j = 0; j < k; ++j) {
    const int64_t n = count(c.in[j]), run = c.in[j][c.axis] * inner * (int64_t)es;
    std::vector<uint8_t> b((size_t)n * es);
    for (int64_t i = 0; i < n; ++i) {
      if (c.dtype == DENOTRT_INT64) {
        int64_t v = (int64_t)(urand() * 1e12) | 1;  // never zero
        memcpy(&b[(size_t)i * es], &v, 8);
      } else if (c.dtype == DENOTRT_UINT8) {
        b[(size_t)i] = (uint8_t)(1 + (int)((urand() + 1) * 127));
      } else {
        float f = urand();
        quantize(f == 0.f ? 0.25f : f, c.dtype, &b[(size_t)i * es]);
      }
    }
    for (int64_t o = 0; o < outer; ++o) memcpy(&want[(size_t)(o * row + at)], &b[(size_t)(o * run)], (size_t)run);
    at += run;
    xs.push_back(upload(b, es, j == c.misalign_input ? 1 : 0));
    ptrs.push_back(xs.back().p);
    xds.push_back(dims_of(c.in[j]));
  }
  DevBuf yf = output((size_t)ny * es, es, 0), ys = output((size_t)ny * es, es, 0);
  dtops::Dims yd = dims_of(yshape);
  denotrt_error err{};
  char row_s[600];
  int pos = snprintf(row_s, sizeof row_s, "%-58s %-4s", c.name.c_str(), dtype_name(c.dtype));
  int32_t rc = dtops::concat(es, k, ptrs.data(), xds.data(), c.axis, yf.p, yd, s, &err);
  int32_t rs = dtops::concat_strided(es, k, ptrs.data(), xds.data(), c.axis, ys.p, yd, s, &err);
  CUDA_OK(cudaStreamSynchronize(s));
  if (both_launched(c.name, rc, rs, err, row_s, sizeof row_s, pos)) {
    bool exact = download_bytes(yf.p, want.size()) == want, same = download_bytes(ys.p, want.size()) == want;
    if (!exact) fail((c.name + ": concat differs from the CPU concatenation").c_str());
    if (!same) fail((c.name + ": concat_strided differs from the CPU concatenation").c_str());
    pos += snprintf(row_s + pos, sizeof row_s - pos, " bytes %s strided %s", exact ? "exact" : "DIFF",
                    same ? "exact" : "DIFF");
    if (c.timed) {
      auto launch = [&] {
        return dtops::concat(es, k, ptrs.data(), xds.data(), c.axis, yf.p, yd, s, &err) == DENOTRT_OK;
      };
      auto strided = [&] {
        return dtops::concat_strided(es, k, ptrs.data(), xds.data(), c.axis, ys.p, yd, s, &err) == DENOTRT_OK;
      };
      pos = append_timings(s, launch, strided, "strided", 2.0 * ny * es, row_s, sizeof row_s, pos);
    }
  }
  add_row(row_s);
  for (auto& b : xs) cudaFree(b.base);
  cudaFree(yf.base), cudaFree(ys.base);
}

std::vector<ConcatCase> concat_cases() {
  const int H = DENOTRT_FLOAT16, F = DENOTRT_FLOAT32;
  std::vector<ConcatCase> v;
  v.push_back({"ppocr concat 4x [1,240,240,24] along C NHWC", H,
               {{1, 240, 240, 24}, {1, 240, 240, 24}, {1, 240, 240, 24}, {1, 240, 240, 24}}, 3, 1, -1});
  v.push_back({"ppocr concat 4x [1,24,240,240] along C NCHW", H,
               {{1, 24, 240, 240}, {1, 24, 240, 240}, {1, 24, 240, 240}, {1, 24, 240, 240}}, 1, 1, -1});
  v.push_back({"concat 2x [8,56,56,64] along C NHWC fp32", F, {{8, 56, 56, 64}, {8, 56, 56, 64}}, 3, 1, -1});
  v.push_back({"unaligned runs C3 + C5 NHWC (2-byte words)", H, {{2, 7, 9, 3}, {2, 7, 9, 5}}, 3, 0, -1});
  v.push_back({"unaligned runs C3 + C5 NHWC fp32 (4-byte words)", F, {{2, 7, 9, 3}, {2, 7, 9, 5}}, 3, 0, -1});
  v.push_back({"C3 + C5 + C8 + C24 NHWC (mixed words)", H, {{1, 6, 5, 3}, {1, 6, 5, 5}, {1, 6, 5, 8}, {1, 6, 5, 24}},
               3, 0, -1});
  v.push_back({"axis 1 NCHW fp32 (3 + 5 + 1 channels)", F, {{2, 3, 5, 7}, {2, 5, 5, 7}, {2, 1, 5, 7}}, 1, 0, -1});
  v.push_back({"axis 1 NCHW fp16", H, {{2, 8, 6, 6}, {2, 16, 6, 6}}, 1, 0, -1});
  v.push_back({"axis 0 (whole tensors)", F, {{3, 4, 5}, {2, 4, 5}}, 0, 0, -1});
  v.push_back({"middle axis, the fixture's shapes", F, {{2, 3, 4}, {2, 1, 4}, {2, 2, 4}}, 1, 0, -1});
  v.push_back({"an input misaligned by one element", H, {{1, 4, 4, 16}, {1, 4, 4, 16}, {1, 4, 4, 8}}, 3, 0, 1});
  v.push_back({"an empty input", F, {{2, 0, 3}, {2, 4, 3}, {2, 0, 3}}, 1, 0, -1});
  v.push_back({"int64 along the last axis", DENOTRT_INT64, {{2, 3}, {2, 5}}, 1, 0, -1});
  v.push_back({"bytes (bool) odd runs", DENOTRT_UINT8, {{3, 7}, {3, 5}, {3, 9}}, 1, 0, -1});
  ConcatCase many{"20 inputs along C NCHW (two launches)", H, {}, 1, 0, -1};
  for (int j = 0; j < 20; ++j) many.in.push_back({2, j % 3 + 1, 4, 4});
  v.push_back(many);
  ConcatCase many_hwc{"20 inputs along C NHWC fp32", F, {}, 3, 0, -1};
  for (int j = 0; j < 20; ++j) many_hwc.in.push_back({2, 4, 4, j % 5 + 1});
  v.push_back(many_hwc);
  return v;
}

// ---------------------------------------------------------------- argument errors, graph replay

void check_status(const char* what, int32_t rc, int32_t want, const denotrt_error& err) {
  bool ok = rc == want && err.message[0] != 0;
  char row[700];
  snprintf(row, sizeof row, "%-58s -> %s: %s %s", what, denotrt_status_name(rc), err.message, ok ? "ok" : "FAIL");
  add_row(row);
  if (!ok) fail(what);
}

void argument_checks(cudaStream_t s) {
  void* buf;
  CUDA_OK(cudaMalloc(&buf, 1 << 16));
  const int64_t a[4] = {1, 2, 3, 4}, b[4] = {1, 5, 3, 4}, c3[3] = {1, 2, 3}, y7[4] = {1, 7, 3, 4};
  const int64_t yb[4] = {1, 8, 3, 4}, off[4] = {1, 5, 2, 4};
  dtops::Dims d4 = dtops::make_dims(4, a), d5 = dtops::make_dims(4, b), d3 = dtops::make_dims(3, c3);
  dtops::Dims dy = dtops::make_dims(4, y7), dbad = dtops::make_dims(4, yb);
  const void* xs[2] = {buf, buf};
  struct {
    const char* what;
    dtops::Dims x1, y;
    int axis;
  } bad[4] = {{"concat: an input of another rank", d3, dy, 1},
              {"concat: inputs that differ off the axis", dtops::make_dims(4, off), dy, 1},
              {"concat: inputs that do not add up to the output", d5, dbad, 1},
              {"concat: axis out of range", d5, dy, 4}};
  for (auto& t : bad) {
    denotrt_error err{};
    dtops::Dims xd[2] = {d4, t.x1};
    check_status(t.what, dtops::concat(2, 2, xs, xd, t.axis, buf, t.y, s, &err), DENOTRT_INVALID_ARGUMENT, err);
  }
  const float zero[4] = {1, 1, 0, 2};
  denotrt_error err{};
  check_status("resize: a scale of 0",
               dtops::resize(DENOTRT_FLOAT16, dtops::RESIZE_NEAREST, 0, 0, zero, buf, d4, buf, d4, s, &err),
               DENOTRT_INVALID_ARGUMENT, err);
  err = denotrt_error{};
  check_status("resize: mode 2 (cubic)", dtops::resize(DENOTRT_FLOAT16, 2, 0, 0, nullptr, buf, d4, buf, d4, s, &err),
               DENOTRT_UNSUPPORTED, err);
  err = denotrt_error{};
  check_status("resize: rank mismatch",
               dtops::resize(DENOTRT_FLOAT16, dtops::RESIZE_NEAREST, 0, 0, nullptr, buf, d4, buf, d3, s, &err),
               DENOTRT_INVALID_ARGUMENT, err);
  CUDA_OK(cudaStreamSynchronize(s));
  cudaFree(buf);
}

// The PP-OCR 8x resize and the concat captured into one CUDA graph and replayed: the launchers stay capturable.
void resize_concat_graph(cudaStream_t s) {
  const int H = DENOTRT_FLOAT16;
  const int64_t xi[4] = {1, 30, 30, 24}, yo[4] = {1, 240, 240, 24}, yc[4] = {1, 240, 240, 48};
  dtops::Dims xd = dtops::make_dims(4, xi), yd = dtops::make_dims(4, yo), cd = dtops::make_dims(4, yc);
  std::vector<uint8_t> xb((size_t)dtops::numel(xd) * 2);
  for (size_t i = 0; i < xb.size() / 2; ++i) quantize(urand() + 1.5f, H, &xb[i * 2]);
  DevBuf x = upload(xb, 2, 0);
  const size_t ny = (size_t)dtops::numel(yd) * 2, nc = (size_t)dtops::numel(cd) * 2;
  DevBuf y = output(ny, 2, 0), c0 = output(nc, 2, 0), c1 = output(nc, 2, 0);
  const float sc[4] = {1, 8, 8, 1};
  auto enqueue = [&](void* cat) {
    denotrt_error err{};
    const void* xs[2] = {y.p, y.p};
    dtops::Dims xds[2] = {yd, yd};
    return dtops::resize(H, dtops::RESIZE_NEAREST, dtops::COORD_ASYMMETRIC, dtops::NEAREST_FLOOR, sc, x.p, xd, y.p, yd,
                         s, &err) == DENOTRT_OK &&
           dtops::concat(2, 2, xs, xds, 3, cat, cd, s, &err) == DENOTRT_OK;
  };
  const bool ok = enqueue(c0.p);
  CUDA_OK(cudaStreamSynchronize(s));
  const char* graph = graph_replay(s, [&] { return ok && enqueue(c1.p); }, c0.p, c1.p, nc,
                                   "resize + concat under stream capture");
  if (graph) {
    char row[200];
    snprintf(row, sizeof row, "%-58s graph %s", "ppocr resize 8x + concat captured and replayed", graph);
    add_row(row);
  }
  cudaFree(x.base), cudaFree(y.base), cudaFree(c0.base), cudaFree(c1.base);
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  return run_tests("summary (resize: 'generic' is the bit comparison with the generic kernel, err the relative L2 vs "
                   "float64; times: median of 50 back-to-back runs queued on the GPU; small tensors stay in the 50 "
                   "MB L2 between runs, so their GB/s can pass HBM's)",
                   [](cudaStream_t s) {
                     for (const ResizeCase& c : resize_cases()) run_resize(c, s);
                     for (const ConcatCase& c : concat_cases()) run_concat(c, s);
                     argument_checks(s);
                     resize_concat_graph(s);
                   });
}
