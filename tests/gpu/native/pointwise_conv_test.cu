// Device test of the 1x1 conv as one GEMM with its epilogue fused (c_shim/src/cuda_ops/pointwise_conv.cu,
// dtops::pointwise_conv and dtops::pointwise_conv_fits), standalone (no Deno): y[m, n] = act(sum_k x[m, k] * w[n, k]
// + bias[n] + residual[m, n]) on channels-last fp16, act identity or Relu, bias and residual optional. ResNet-50's
// b128 1x1 convs (layer1 conv3 and downsample, layer2 conv3, layer1's conv3 + downsample as one conv over two inputs;
// checked on 3000 sampled rows at every channel, the whole output scanned for unwritten values, timed), 50077-row
// cases (many tiles, a partial last one, 2 or 3 output slices, one or two inputs), then 30 small shapes checked at
// every output: M = 1, 127, 129, 189, 1000 (never a whole number of 128-row tiles), every cin the contract allows
// from 16 to 128, cout 128 / 256 / 384, each of the 8 (bias, residual, act) combinations, and 8 two-input splits
// (every 8 channels from 8+8 to 120+8 and 8+120). Each case
// gets fresh random inputs (never zeros) and is compared with a float64 CPU reference on the same fp16 values; the
// rows past both ends of y must stay untouched; each launch is captured into a CUDA graph with a fresh output pointer
// and replayed (same bits as the eager run). Then pointwise_conv_fits against its contract and argument errors
// (typed statuses, y untouched). Exit status 1 on any failure. How to build and run: tests/gpu/native/README.md.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <vector>

#include "cuda_ops/ops.h"
#include "native_test.h"

namespace {

using namespace ntest;

// fp16 output: rounding is at most half an ulp (2^-11 relative); allowing a kernel that rounds the GEMM to fp16
// before its epilogue (one more half ulp of |conv| <= ~2, plus bias + residual), each output may be off by
// 2e-3 + 2e-3 * |want|. One dropped or doubled tap moves outputs by |x * w| ~ 0.03 (cin 128) .. 0.1 (cin 16).
constexpr double kTolAbs = 2e-3, kTolRel = 2e-3;
constexpr double kTolL2 = 5e-3;  // rounding alone gives ~2e-4
constexpr int64_t kGuardRows = 128;  // rows of 0xff bytes before and after y: writes past either end show there
constexpr int kSampledRows = 3000;

// default_act lives in elementwise.cu (not linked here); for these ops it is {op, 0, 0} as well.
dtops::Act act_of(int32_t op) { return dtops::Act{op, 0.f, 0.f}; }

struct Case {
  const char* name;
  int64_t m, cin, cout;
  bool bias, residual, relu;
  int big;  // 0: every output checked; 1: sampled rows + a NaN scan; 2: the same, and timed
  int64_t c2 = 0;  // > 0: the last c2 input channels come from a second tensor (a channel concat never written)
};

// fp16 values on the host (the reference reads these) and their device copy.
struct Tensor {
  std::vector<__half> h;
  void* dev = nullptr;
  double at(size_t i) const { return __half2float(h[i]); }
};

// n fresh values in [-scale, scale), never zeros (after the rounding to fp16 too).
void make_tensor(Tensor* t, size_t n, float scale) {
  t->h.resize(n);
  for (__half& v : t->h) {
    v = __float2half(urand() * scale);
    if (__half2float(v) == 0.f) v = __float2half(0.25f * scale);
  }
  CUDA_OK(cudaMalloc(&t->dev, n * 2 + 16));
  CUDA_OK(cudaMemcpy(t->dev, t->h.data(), n * 2, cudaMemcpyHostToDevice));
}

// y with kGuardRows rows of NaN (0xffff) before and after it; *base is the allocation.
void* make_y(const Case& cs, uint8_t** base) {
  uint8_t* all = (uint8_t*)make_output(base, (size_t)((cs.m + 2 * kGuardRows) * cs.cout), DENOTRT_FLOAT16, 0);
  return all + (size_t)(kGuardRows * cs.cout) * 2;
}

struct Result {
  double rel_l2 = 0, max_abs = 0, max_ref = 0;
  int64_t bad = 0, non_finite = 0, guard_written = 0, relu_zeroes = 0, checked = 0;
  int64_t bad_m = -1, bad_n = -1;
  double bad_got = 0, bad_want = 0;
};

// The whole allocation of y (guards included): guards must still be 0xffff, every output finite, and the rows
// `rows` equal to the float64 reference within kTolAbs + kTolRel * |want|.
Result check(const Case& cs, const Tensor& x, const Tensor& w, const Tensor& bias, const Tensor& res,
             const std::vector<uint8_t>& ybuf, const std::vector<int64_t>& rows) {
  Result r;
  const uint16_t* bits = reinterpret_cast<const uint16_t*>(ybuf.data());
  const size_t guard = (size_t)(kGuardRows * cs.cout), ny = (size_t)(cs.m * cs.cout);
  for (size_t i = 0; i < guard; ++i) r.guard_written += (bits[i] != 0xffff) + (bits[guard + ny + i] != 0xffff);
  for (size_t i = 0; i < ny; ++i) r.non_finite += (bits[guard + i] & 0x7c00) == 0x7c00;  // Inf or NaN
  std::vector<double> wd(w.h.size()), xr((size_t)cs.cin);
  for (size_t i = 0; i < wd.size(); ++i) wd[i] = w.at(i);
  double num = 0, den = 0;
  for (int64_t m : rows) {
    for (int64_t k = 0; k < cs.cin; ++k) xr[(size_t)k] = x.at((size_t)(m * cs.cin + k));
    for (int64_t n = 0; n < cs.cout; ++n) {
      double want = 0;
      const double* wr = &wd[(size_t)(n * cs.cin)];
      for (int64_t k = 0; k < cs.cin; ++k) want += xr[(size_t)k] * wr[k];
      if (cs.bias) want += bias.at((size_t)n);
      if (cs.residual) want += res.at((size_t)(m * cs.cout + n));
      if (cs.relu && want < 0) want = 0, r.relu_zeroes++;
      __half_raw raw;
      raw.x = bits[guard + (size_t)(m * cs.cout + n)];
      const double got = __half2float(__half(raw)), d = fabs(got - want);
      r.checked++;
      if (!isfinite(got)) continue;  // counted by the scan
      num += d * d, den += want * want;
      r.max_abs = fmax(r.max_abs, d), r.max_ref = fmax(r.max_ref, fabs(want));
      if (d > kTolAbs + kTolRel * fabs(want) && r.bad++ == 0)
        r.bad_m = m, r.bad_n = n, r.bad_got = got, r.bad_want = want;
    }
  }
  r.rel_l2 = sqrt(num / (den > 0 ? den : 1));
  return r;
}

void run_case(const Case& cs, cudaStream_t s) {
  const dtops::Act act = act_of(cs.relu ? dtops::U_RELU : dtops::U_IDENTITY);
  char what[200], row[1000];
  char cin[40];
  if (cs.c2) snprintf(cin, sizeof cin, "%lld+%lld", (long long)(cs.cin - cs.c2), (long long)cs.c2);
  else snprintf(cin, sizeof cin, "%lld", (long long)cs.cin);
  snprintf(what, sizeof what, "%s M %lld cin %s cout %lld%s%s %s", cs.name, (long long)cs.m, cin, (long long)cs.cout,
           cs.bias ? " +bias" : "", cs.residual ? " +res" : "", cs.relu ? "relu" : "id");
  int pos = snprintf(row, sizeof row, "  %-62s", what);
  if (!dtops::pointwise_conv_fits(cs.cin, cs.cout, act)) {
    snprintf(row + pos, sizeof row - pos, " pointwise_conv_fits false FAIL");
    fail(what);
    add_row(row);
    return;
  }
  Tensor x, w, bias, res;
  make_tensor(&x, (size_t)(cs.m * cs.cin), 1.f);
  make_tensor(&w, (size_t)(cs.cout * cs.cin), (float)(1.0 / sqrt((double)cs.cin)));  // conv output of order 0.3
  if (cs.bias) make_tensor(&bias, (size_t)cs.cout, 1.f);
  if (cs.residual) make_tensor(&res, (size_t)(cs.m * cs.cout), 1.f);
  // The concat case: x's rows split into x1 [M, cin - c2] and x2 [M, c2] on the device (x stays the reference).
  Tensor x1, x2;
  if (cs.c2) {
    const int64_t c1 = cs.cin - cs.c2;
    x1.h.resize((size_t)(cs.m * c1));
    x2.h.resize((size_t)(cs.m * cs.c2));
    for (int64_t m = 0; m < cs.m; ++m)
      for (int64_t k = 0; k < cs.cin; ++k)
        (k < c1 ? x1.h[(size_t)(m * c1 + k)] : x2.h[(size_t)(m * cs.c2 + k - c1)]) = x.h[(size_t)(m * cs.cin + k)];
    for (Tensor* t : {&x1, &x2}) {
      CUDA_OK(cudaMalloc(&t->dev, t->h.size() * 2 + 16));
      CUDA_OK(cudaMemcpy(t->dev, t->h.data(), t->h.size() * 2, cudaMemcpyHostToDevice));
    }
  }
  uint8_t* ybase[2];
  void* y[2] = {make_y(cs, &ybase[0]), make_y(cs, &ybase[1])};  // eager, graph replay
  const size_t ybytes = (size_t)(cs.m * cs.cout) * 2, allbytes = (size_t)((cs.m + 2 * kGuardRows) * cs.cout) * 2;
  denotrt_error err{};
  auto launch = [&](void* out) {
    return dtops::pointwise_conv(cs.m, cs.cin, cs.cout, cs.c2 ? x1.dev : x.dev, cs.c2 ? x2.dev : nullptr, cs.c2,
                                 w.dev, cs.bias ? bias.dev : nullptr, cs.residual ? res.dev : nullptr, act, out, s,
                                 &err);
  };
  const int32_t rc = launch(y[0]);
  CUDA_OK(cudaStreamSynchronize(s));
  if (launched(what, rc, err, row, sizeof row, pos)) {
    std::vector<int64_t> rows;
    if (cs.big) {
      rows = {0, cs.m - 1};  // the first and last rows, then random ones
      for (int i = 0; i < kSampledRows; ++i)
        rows.push_back(std::min(cs.m - 1, (int64_t)((urand() + 1.f) * 0.5 * (double)cs.m)));
    } else {
      for (int64_t m = 0; m < cs.m; ++m) rows.push_back(m);
    }
    const Result e = check(cs, x, w, bias, res, download_bytes(ybase[0], allbytes), rows);
    pos = append_error(what, e.rel_l2, kTolL2, row, sizeof row, pos);
    pos += snprintf(row + pos, sizeof row - pos, " max|d| %.1e (max %.2f)", e.max_abs, e.max_ref);
    if (cs.relu) pos += snprintf(row + pos, sizeof row - pos, " relu0 %2.0f%%", 100.0 * e.relu_zeroes / e.checked);
    if (e.bad || e.non_finite || e.guard_written) {
      pos += snprintf(row + pos, sizeof row - pos, " %lld BAD %lld NON-FINITE %lld GUARD", (long long)e.bad,
                      (long long)e.non_finite, (long long)e.guard_written);
      char m[400];
      snprintf(m, sizeof m, "%s: %lld outputs off (first y[%lld, %lld] = %.5f, want %.5f), %lld non-finite, %lld "
               "guard values written", what, (long long)e.bad, (long long)e.bad_m, (long long)e.bad_n, e.bad_got,
               e.bad_want, (long long)e.non_finite, (long long)e.guard_written);
      fail(m);
    }
    // A fresh output pointer under stream capture: the launcher must stay capturable and give the same bits.
    const char* graph = graph_replay(
        s, [&] { return launch(y[1]) == DENOTRT_OK; }, y[0], y[1], ybytes, "pointwise_conv under stream capture");
    if (graph) pos += snprintf(row + pos, sizeof row - pos, " graph %s", graph);
    if (cs.big == 2) {
      const float ms = median_ms(s, [&] { return launch(y[0]) == DENOTRT_OK; });
      const double bytes =
          (double)(cs.m * cs.cin + cs.cout * cs.cin + cs.m * cs.cout * (cs.residual ? 2 : 1)) * 2;
      const double flops = 2.0 * (double)cs.m * (double)cs.cin * (double)cs.cout;
      if (ms > 0)
        snprintf(row + pos, sizeof row - pos, " | %8.1f us %6.0f GB/s (%5.1f MB, x%.2f of the 3 TB/s bound) %5.1f "
                 "TFLOP/s", ms * 1e3, bytes / (ms * 1e-3) / 1e9, bytes / 1e6, ms / (bytes / kHbmBytesPerS * 1e3),
                 flops / (ms * 1e-3) / 1e12);
      else
        fail("pointwise_conv failed while timed");
    }
  }
  add_row(row);
  for (Tensor* t : {&x, &x1, &x2, &w, &bias, &res}) cudaFree(t->dev);
  for (uint8_t* b : ybase) cudaFree(b);
}

// pointwise_conv_fits against its contract: cin % 16 == 0, 16 <= cin <= 128, cout % 128 == 0, identity or Relu.
void fits_checks() {
  struct Fit {
    int64_t cin, cout;
    int32_t op;
    bool want;
  } v[] = {
      {64, 256, dtops::U_RELU, true},     {64, 256, dtops::U_IDENTITY, true}, {128, 512, dtops::U_RELU, true},
      {16, 128, dtops::U_IDENTITY, true}, {48, 384, dtops::U_RELU, true},     {112, 2048, dtops::U_RELU, true},
      {8, 256, dtops::U_RELU, false},     {144, 256, dtops::U_RELU, false},   {256, 256, dtops::U_RELU, false},
      {17, 256, dtops::U_RELU, false},    {0, 256, dtops::U_RELU, false},     {-16, 256, dtops::U_RELU, false},
      {64, 64, dtops::U_RELU, false},     {64, 200, dtops::U_RELU, false},    {64, -128, dtops::U_RELU, false},
      {64, 256, dtops::U_SIGMOID, false}, {64, 256, dtops::U_CLIP, false},    {64, 256, dtops::U_LEAKYRELU, false},
  };
  for (const Fit& f : v) {
    const bool got = dtops::pointwise_conv_fits(f.cin, f.cout, act_of(f.op));
    char row[200];
    snprintf(row, sizeof row, "  pointwise_conv_fits(cin %4lld, cout %5lld, act %2d) = %-5s %s", (long long)f.cin,
             (long long)f.cout, f.op, got ? "true" : "false", got == f.want ? "ok" : "FAIL");
    add_row(row);
    if (got != f.want) fail(row);
  }
}

// Bad arguments: a typed status and y untouched; m = 0: DENOTRT_OK and y untouched.
void argument_checks(cudaStream_t s) {
  constexpr size_t kBytes = 1 << 18;  // room for 256 x 256 fp16 plus a misaligned start
  void *x, *x2, *w, *bias, *res, *y;
  for (void** p : {&x, &x2, &w, &bias, &res, &y}) {
    CUDA_OK(cudaMalloc(p, kBytes));
    CUDA_OK(cudaMemset(*p, 0x3c, kBytes));  // 1.06 in every fp16
  }
  struct Bad {
    const char* what;
    int64_t m, cin, cout;
    int32_t op;
    // Pointer offsets in elements. bias is not among them: the kernel reads it one element at a time, so the
    // launcher need not refuse a misaligned one.
    int xo, wo, ro, yo;
    bool want_ok;
    int64_t c2 = 0;
    int x2o = -1;  // x2's offset, -1: NULL
  } bad[] = {
      {"cin 8", 128, 8, 128, dtops::U_RELU, 0, 0, 0, 0, false},
      {"cin 144", 128, 144, 128, dtops::U_RELU, 0, 0, 0, 0, false},
      {"cin 17", 128, 17, 128, dtops::U_RELU, 0, 0, 0, 0, false},
      {"cin 256", 128, 256, 256, dtops::U_IDENTITY, 0, 0, 0, 0, false},
      {"cout 64", 128, 64, 64, dtops::U_RELU, 0, 0, 0, 0, false},
      {"cout 200", 128, 64, 200, dtops::U_RELU, 0, 0, 0, 0, false},
      {"act Sigmoid", 128, 64, 256, dtops::U_SIGMOID, 0, 0, 0, 0, false},
      {"x + 1 element", 128, 64, 256, dtops::U_RELU, 1, 0, 0, 0, false},
      {"w + 1 element", 128, 64, 256, dtops::U_RELU, 0, 1, 0, 0, false},
      {"residual + 1 element", 128, 64, 256, dtops::U_RELU, 0, 0, 1, 0, false},
      {"y + 1 element", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 1, false},
      {"m -1", -1, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false},
      {"m 0 (no work)", 0, 64, 256, dtops::U_RELU, 0, 0, 0, 0, true},
      {"c2 4", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false, 4, 0},
      {"c2 = cin", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false, 64, 0},
      {"c2 -8", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false, -8, 0},
      {"c2 32 without x2", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false, 32, -1},
      {"x2 without c2", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false, 0, 0},
      {"x2 + 1 element", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, false, 32, 1},
      {"c2 32 (ok)", 128, 64, 256, dtops::U_RELU, 0, 0, 0, 0, true, 32, 0},
  };
  auto at = [](void* p, int off) { return (void*)((uint8_t*)p + off * 2); };
  for (const Bad& b : bad) {
    CUDA_OK(cudaMemset(y, 0xff, kBytes));
    denotrt_error err{};
    const int32_t rc = dtops::pointwise_conv(b.m, b.cin, b.cout, at(x, b.xo), b.x2o < 0 ? nullptr : at(x2, b.x2o),
                                             b.c2, at(w, b.wo), bias, at(res, b.ro), act_of(b.op), at(y, b.yo), s,
                                             &err);
    if (b.want_ok && b.m > 0) {  // a valid launch: it must have run (y written), not been refused
      CUDA_OK(cudaStreamSynchronize(s));
      const bool wrote = download_bytes(y, 16) != std::vector<uint8_t>(16, 0xff);
      char row[200];
      snprintf(row, sizeof row, "  %-44s rc %d, y %s %s", b.what, rc, wrote ? "written" : "untouched",
               rc == DENOTRT_OK && wrote ? "ok" : "FAIL");
      add_row(row);
      if (rc != DENOTRT_OK || !wrote) fail(row);
      continue;
    }
    refusal_row(b.what, rc,
                b.want_ok ? rc == DENOTRT_OK : (rc == DENOTRT_UNSUPPORTED || rc == DENOTRT_INVALID_ARGUMENT), err, s,
                y, kBytes);
  }
  for (void* p : {x, x2, w, bias, res, y}) cudaFree(p);
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  std::vector<Case> cases;
  if (getenv("POINTWISE_PROFILE")) {  // one launch of the two-input b128 case and nothing else, for ncu
    cases.push_back({"resnet50 b128 layer1 conv3+downsample", 128 * 56 * 56, 128, 256, true, false, true, 1, 64});
    return run_tests("summary", [&](cudaStream_t s) { run_case(cases[0], s); });
  }
  if (!getenv("POINTWISE_SMALL")) {  // POINTWISE_SMALL=1: the small cases only (compute-sanitizer runs)
    const int64_t l1 = 128 * 56 * 56, l2 = 128 * 28 * 28;
    cases.push_back({"resnet50 b128 layer1 conv3", l1, 64, 256, true, true, true, 2});
    cases.push_back({"resnet50 b128 layer1 downsample", l1, 64, 256, true, false, false, 2});
    cases.push_back({"resnet50 b128 layer2 conv3", l2, 128, 512, true, true, true, 2});
    // layer1's downsample block as one conv over [conv2's output | the block's input] (merge_added_convs.ts)
    cases.push_back({"resnet50 b128 layer1 conv3+downsample", l1, 128, 256, true, false, true, 2, 64});
    // Smaller batches, timed: where the kernel stops paying against cuDNN (the executor's rule).
    for (int64_t b : {1, 8, 32}) {
      char* n1 = strdup(("resnet50 b" + std::to_string(b) + " layer1 conv3").c_str());
      char* n2 = strdup(("resnet50 b" + std::to_string(b) + " layer2 conv3").c_str());
      cases.push_back({n1, b * 56 * 56, 64, 256, true, true, true, 2});
      cases.push_back({n2, b * 28 * 28, 128, 512, true, true, true, 2});
      char* n3 = strdup(("resnet50 b" + std::to_string(b) + " layer1 conv3+downsample").c_str());
      cases.push_back({n3, b * 56 * 56, 128, 256, true, false, true, 2, 64});
    }
  }
  cases.push_back({"many tiles, partial last", 50077, 64, 256, true, true, true, 1});
  cases.push_back({"many tiles, concat 24+40", 50077, 64, 256, true, true, true, 1, 40});
  // Three output slices, with and without a residual.
  cases.push_back({"many tiles, 3 slices", 50077, 96, 384, true, true, false, 1});
  cases.push_back({"many tiles, 3 slices, concat 64+32", 50077, 96, 384, false, false, true, 1, 32});
  // Concat splits at every 8 channels the contract allows: the second input's chunks start mid-row.
  const int64_t splits[][2] = {{16, 8}, {32, 8}, {32, 24}, {48, 16}, {128, 8}, {128, 120}, {96, 40}, {64, 32}};
  for (int i = 0; i < 8; ++i)
    cases.push_back({"small concat", i % 2 ? 129 : 189, splits[i][0], 128 * (1 + i % 3), (i & 1) != 0, (i & 2) != 0,
                     (i & 4) != 0, 0, splits[i][1]});
  // Every cin with every M; cout and the (bias, residual, act) combination rotate with the index (CRT: all 24
  // pairings of cout index and combination appear, each combination 3 or 4 times).
  const int64_t cins[] = {16, 32, 48, 64, 96, 128}, ms[] = {1, 127, 129, 3 * 7 * 9, 1000}, couts[] = {128, 256, 384};
  for (int ci = 0; ci < 6; ++ci)
    for (int mi = 0; mi < 5; ++mi) {
      const int i = ci * 5 + mi, f = i % 8;
      cases.push_back({"small", ms[mi], cins[ci], couts[i % 3], (f & 1) != 0, (f & 2) != 0, (f & 4) != 0, 0});
    }
  return run_tests("summary (err: relative L2 vs float64 (b128 and 50077 rows: 3002 sampled rows, all channels; "
                   "small: every output); max|d|: largest absolute error, max: largest output; relu0: outputs Relu "
                   "zeroed; times: median of 50 back-to-back runs queued on the GPU; bytes = x + w + y (+ residual))",
                   [&](cudaStream_t s) {
                     for (const Case& cs : cases) run_case(cs, s);
                     fits_checks();
                     argument_checks(s);
                   });
}
