// Device test of the split-K conv (c_shim/src/cuda_ops/splitk_conv.cu: dtops::splitk_conv_nhwc, splitk_conv_fits,
// splitk_conv_kernel), standalone (no Deno): y = act(conv(x, w) + bias + residual) on channels-last fp16, the K
// reduction spread over a thread-block cluster. ResNet-50's batch-1 convs at 56x56 down to 7x7 (and 3x3 512 at 7x7 at
// b2 and b8), then odd geometry: C = 40 -> K = 96 5x5/2 pad 2 dilation 2 on 13x17 b3, per-axis kernels, strides,
// pads and dilations, a 1-D conv, C = K = 8, every epilogue (bias / residual / neither; Relu, identity, SiLU,
// LeakyRelu). Every configuration (auto and each forced one) runs each case and is checked against a float64 CPU
// reference on the same fp16 values at up to 256 sampled pixels (all channels), with the whole output scanned for
// unwritten (NaN) values; a second run must give the same bits (the cluster reduction is deterministic), and so must a
// CUDA graph replay. The timed cases print each configuration's median of 50 back-to-back runs and TFLOP/s, and which
// was fastest. Then splitk_conv_fits, the kernel names and argument errors. Exit status 1 on any failure.
// How to build and run: tests/gpu/native/README.md.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <string>
#include <vector>

#include "cuda_ops/ops.h"
#include "native_test.h"

namespace {

using namespace ntest;

constexpr int kConfigs = dtops::kSplitKConfigs;
constexpr double kTolL2 = 1e-2;
// fp16 output: rounding is at most half an ulp (5e-4 at |y| < 2, 1e-3 below 4) and fp32 accumulation adds ~1e-6;
// 2e-3 + 2e-3 * |want| still catches a dropped or doubled K chunk (64 taps move an output by ~0.03).
constexpr double kTolAbs = 2e-3, kTolRel = 2e-3;
constexpr int kSampledPixels = 256;

double act_ref(double v, const dtops::Act& a) {
  switch (a.op) {
    case dtops::U_IDENTITY: return v;
    case dtops::U_RELU: return v > 0 ? v : 0;
    case dtops::U_SILU: return v / (1 + exp(-v));
    case dtops::U_LEAKYRELU: return v >= 0 ? v : a.alpha * v;
    default: return NAN;
  }
}

// One conv: 2-D unless spatial == 1 (then index 0 holds the 1-D geometry).
struct Case {
  const char* name;
  int spatial;
  int64_t n, c, k;
  int64_t in[2], kernel[2], stride[2], pad_begin[2], pad_end[2], dilation[2];
  bool bias, residual;
  int32_t act;  // dtops::Unary, with ONNX's default attributes
  bool timed;
};

// A square conv as ResNet has them: kernel kk, stride st, pad (kk - 1) / 2, H = W = hw.
Case square(const char* name, int64_t n, int64_t c, int64_t k, int64_t hw, int64_t kk, int64_t st, bool bias,
            bool residual, int32_t act, bool timed) {
  const int64_t p = (kk - 1) / 2;
  return Case{name, 2, n, c, k, {hw, hw}, {kk, kk}, {st, st}, {p, p}, {p, p}, {1, 1}, bias, residual, act, timed};
}

int64_t out_size(const Case& cs, int i) {
  return (cs.in[i] + cs.pad_begin[i] + cs.pad_end[i] - cs.dilation[i] * (cs.kernel[i] - 1) - 1) / cs.stride[i] + 1;
}

dtops::ConvDesc conv_desc(const Case& cs) {
  dtops::ConvDesc d = conv_axes(cs, out_size);
  d.n = cs.n, d.c = cs.c, d.k = cs.k, d.group = 1;
  return d;
}

struct Data {
  Buf x, w, bias, res;     // NHWC x, KRSC w, bias [K], residual [M, K] (fp16 on the device, exact doubles here)
  std::vector<int64_t> pixels;  // the sampled output pixels (all of them up to kSampledPixels)
  std::vector<double> ref;      // the reference at those pixels, [pixel][K]
};

// float64 reference at the sampled pixels: the conv with zero padding, + bias + residual, the activation.
void reference(const Case& cs, const dtops::ConvDesc& d, const dtops::Act& act, Data* dt) {
  const Geo2 g = geo2(d);
  const int64_t C = cs.c, K = cs.k, taps = g.kh * g.kw;
  std::vector<double> wt((size_t)(taps * C * K));  // [tap][c][k]: k innermost, the inner loop's
  for (int64_t k = 0; k < K; ++k)
    for (int64_t t = 0; t < taps * C; ++t) wt[(size_t)(t * K + k)] = dt->w.v[(size_t)(k * taps * C + t)];
  dt->ref.assign(dt->pixels.size() * (size_t)K, 0.0);
  std::vector<double> acc((size_t)K);
  for (size_t p = 0; p < dt->pixels.size(); ++p) {
    const int64_t m = dt->pixels[p], ox = m % g.ow, oy = (m / g.ow) % g.oh, img = m / (g.ow * g.oh);
    for (int64_t k = 0; k < K; ++k) acc[(size_t)k] = cs.bias ? dt->bias.v[(size_t)k] : 0.0;
    for (int64_t r = 0; r < g.kh; ++r) {
      const int64_t iy = oy * g.sh - g.ph + r * g.dh;
      if (iy < 0 || iy >= g.ih) continue;
      for (int64_t s = 0; s < g.kw; ++s) {
        const int64_t ix = ox * g.sw - g.pw + s * g.dw;
        if (ix < 0 || ix >= g.iw) continue;
        const double* xp = &dt->x.v[(size_t)(((img * g.ih + iy) * g.iw + ix) * C)];
        const double* wp = &wt[(size_t)((r * g.kw + s) * C * K)];
        for (int64_t c = 0; c < C; ++c)
          for (int64_t k = 0; k < K; ++k) acc[(size_t)k] += xp[c] * wp[c * K + k];
      }
    }
    for (int64_t k = 0; k < K; ++k) {
      const double v = acc[(size_t)k] + (cs.residual ? dt->res.v[(size_t)(m * K + k)] : 0.0);
      dt->ref[p * (size_t)K + (size_t)k] = act_ref(v, act);
    }
  }
}

struct Errors {
  double rel_l2 = 0, max_abs = 0, max_ref = 0;
  int64_t bad = 0, non_finite = 0;
  int64_t bad_m = -1, bad_k = -1;
  double bad_got = 0, bad_want = 0;
};

Errors compare(const std::vector<uint8_t>& ybytes, const Data& dt, int64_t K) {
  Errors e;
  const uint16_t* bits = reinterpret_cast<const uint16_t*>(ybytes.data());
  for (size_t i = 0; i < ybytes.size() / 2; ++i) e.non_finite += (bits[i] & 0x7c00) == 0x7c00;  // Inf or NaN
  double num = 0, den = 0;
  for (size_t p = 0; p < dt.pixels.size(); ++p)
    for (int64_t k = 0; k < K; ++k) {
      __half_raw raw;
      raw.x = bits[(size_t)(dt.pixels[p] * K + k)];
      const double got = __half2float(__half(raw)), want = dt.ref[p * (size_t)K + (size_t)k], d = fabs(got - want);
      if (!isfinite(got)) continue;  // counted by the scan
      num += d * d, den += want * want;
      e.max_abs = fmax(e.max_abs, d), e.max_ref = fmax(e.max_ref, fabs(want));
      if (d > kTolAbs + kTolRel * fabs(want) && e.bad++ == 0)
        e.bad_m = dt.pixels[p], e.bad_k = k, e.bad_got = got, e.bad_want = want;
    }
  e.rel_l2 = sqrt(num / (den > 0 ? den : 1));
  return e;
}

// Every forced configuration names its own kernel and auto names one of them.
void check_names(const Case& cs, const dtops::ConvDesc& d) {
  bool distinct = true, auto_known = false;
  for (int t = 1; t <= kConfigs; ++t) {
    const char* a = dtops::splitk_conv_kernel(d, t);
    auto_known = auto_known || !strcmp(dtops::splitk_conv_kernel(d, 0), a);
    for (int u = t + 1; u <= kConfigs; ++u) distinct = distinct && strcmp(a, dtops::splitk_conv_kernel(d, u));
  }
  if (!distinct || !auto_known) {
    char m[300];
    snprintf(m, sizeof m, "%s: splitk_conv_kernel: auto %s, forced configurations distinct: %d", cs.name,
             dtops::splitk_conv_kernel(d, 0), (int)distinct);
    fail(m);
  }
}

void run_case(const Case& cs, cudaStream_t s) {
  const dtops::ConvDesc d = conv_desc(cs);
  const Geo2 g = geo2(d);
  const int64_t M = cs.n * g.oh * g.ow, K = cs.k, kg = g.kh * g.kw * cs.c;
  const dtops::Act act = dtops::default_act(cs.act);
  char head[300];
  snprintf(head, sizeof head, "%s: N %lld, %lldx%lld C %lld -> %lldx%lld K %lld, kernel %lldx%lld stride %lldx%lld "
           "dilation %lldx%lld (M %lld, K_gemm %lld)%s%s act %d", cs.name, (long long)cs.n, (long long)g.ih,
           (long long)g.iw, (long long)cs.c, (long long)g.oh, (long long)g.ow, (long long)K, (long long)g.kh,
           (long long)g.kw, (long long)g.sh, (long long)g.sw, (long long)g.dh, (long long)g.dw, (long long)M,
           (long long)kg, cs.bias ? " +bias" : "", cs.residual ? " +res" : "", cs.act);
  printf("%s\n", head);
  if (!dtops::splitk_conv_fits(DENOTRT_FLOAT16, d)) {
    char m[400];
    snprintf(m, sizeof m, "%s: splitk_conv_fits false", cs.name);
    fail(m);
    add_row(m);
    return;
  }
  check_names(cs, d);
  Data dt;
  make_buf(&dt.x, (size_t)(cs.n * g.ih * g.iw * cs.c), 1.f, DENOTRT_FLOAT16, 0);
  make_buf(&dt.w, (size_t)(K * kg), (float)(1.0 / sqrt((double)kg)), DENOTRT_FLOAT16, 0);  // conv of order 0.3
  if (cs.bias) make_buf(&dt.bias, (size_t)K, 1.f, DENOTRT_FLOAT16, 0);
  if (cs.residual) make_buf(&dt.res, (size_t)(M * K), 1.f, DENOTRT_FLOAT16, 0);
  if (M <= kSampledPixels) {
    for (int64_t m = 0; m < M; ++m) dt.pixels.push_back(m);
  } else {
    dt.pixels = {0, M - 1};  // the first and last pixels, then random ones
    while ((int)dt.pixels.size() < kSampledPixels)
      dt.pixels.push_back(std::min(M - 1, (int64_t)((urand() + 1.f) * 0.5 * (double)M)));
  }
  reference(cs, d, act, &dt);
  uint8_t* ybase[2];
  const size_t ny = (size_t)(M * K), ybytes = ny * 2;
  void* y[2] = {make_output(&ybase[0], ny, DENOTRT_FLOAT16, 0), make_output(&ybase[1], ny, DENOTRT_FLOAT16, 0)};
  float times[kConfigs + 1];
  for (int cfg = 0; cfg <= kConfigs; ++cfg) {
    times[cfg] = -1.f;
    denotrt_error err{};
    auto launch = [&](void* out) {
      return dtops::splitk_conv_nhwc(d, cfg, dt.x.dev, dt.w.dev, cs.bias ? dt.bias.dev : nullptr,
                                     cs.residual ? dt.res.dev : nullptr, act, out, s, &err);
    };
    char what[200], row[1000];
    snprintf(what, sizeof what, "%s cfg %d", cs.name, cfg);
    int pos = snprintf(row, sizeof row, "  %-36s %-28s", what, dtops::splitk_conv_kernel(d, cfg));
    CUDA_OK(cudaMemsetAsync(y[0], 0xff, ybytes, s));  // NaN until written, for every configuration
    const int32_t rc = launch(y[0]);
    CUDA_OK(cudaStreamSynchronize(s));
    if (!launched(what, rc, err, row, sizeof row, pos)) {
      add_row(row);
      continue;
    }
    const std::vector<uint8_t> got = download_bytes(y[0], ybytes);
    const Errors e = compare(got, dt, K);
    pos = append_error(what, e.rel_l2, kTolL2, row, sizeof row, pos);
    pos += snprintf(row + pos, sizeof row - pos, " max|d| %.1e (max %.2f)", e.max_abs, e.max_ref);
    if (e.bad || e.non_finite) {
      pos += snprintf(row + pos, sizeof row - pos, " %lld BAD %lld NON-FINITE", (long long)e.bad,
                      (long long)e.non_finite);
      char m[400];
      snprintf(m, sizeof m, "%s: %lld outputs off (first y[pixel %lld, k %lld] = %.5f, want %.5f), %lld non-finite",
               what, (long long)e.bad, (long long)e.bad_m, (long long)e.bad_k, e.bad_got, e.bad_want,
               (long long)e.non_finite);
      fail(m);
    }
    // The same launch again into a fresh NaN-filled output: the cluster reduction sums in a fixed order.
    CUDA_OK(cudaMemsetAsync(y[1], 0xff, ybytes, s));
    const int32_t rc2 = launch(y[1]);
    CUDA_OK(cudaStreamSynchronize(s));
    const bool same = rc2 == DENOTRT_OK && download_bytes(y[1], ybytes) == got;
    if (!same) {
      char m[300];
      snprintf(m, sizeof m, "%s: a second run gives other bits (rc %s)", what, denotrt_status_name(rc2));
      fail(m);
    }
    pos += snprintf(row + pos, sizeof row - pos, " rerun %s", same ? "same" : "DIFF");
    // A fresh output pointer under stream capture: the launcher must stay capturable and give the same bits.
    CUDA_OK(cudaMemsetAsync(y[1], 0xff, ybytes, s));
    const char* graph = graph_replay(
        s, [&] { return launch(y[1]) == DENOTRT_OK; }, y[0], y[1], ybytes, "splitk_conv_nhwc under stream capture");
    if (graph) pos += snprintf(row + pos, sizeof row - pos, " graph %s", graph);
    if (cs.timed) {
      times[cfg] = median_ms(s, [&] { return launch(y[0]) == DENOTRT_OK; });
      if (times[cfg] > 0)
        snprintf(row + pos, sizeof row - pos, " | %7.2f us %6.1f TFLOP/s", times[cfg] * 1e3,
                 2.0 * (double)M * (double)K * (double)kg / (times[cfg] * 1e-3) / 1e12);
      else
        fail("splitk_conv_nhwc failed while timed");
    }
    add_row(row);
  }
  if (cs.timed) {
    int best = -1;
    for (int cfg = 1; cfg <= kConfigs; ++cfg)
      if (times[cfg] > 0 && (best < 0 || times[cfg] < times[best])) best = cfg;
    char row[300];
    if (best > 0)
      snprintf(row, sizeof row, "  %-36s fastest: cfg %d %s %.2f us (auto %s %.2f us)", cs.name, best,
               dtops::splitk_conv_kernel(d, best), times[best] * 1e3, dtops::splitk_conv_kernel(d, 0),
               times[0] * 1e3);
    else
      snprintf(row, sizeof row, "  %-36s no configuration timed", cs.name);
    add_row(row);
  }
  for (Buf* b : {&dt.x, &dt.w, &dt.bias, &dt.res}) cudaFree(b->base);
  for (uint8_t* b : ybase) cudaFree(b);
}

// splitk_conv_fits: ResNet's 3x3 512 at 7x7, then one field changed at a time.
void fits_checks() {
  const dtops::ConvDesc base = conv_desc(square("", 1, 512, 512, 7, 3, 1, true, false, dtops::U_RELU, false));
  struct Fit {
    const char* what;
    int32_t dtype;
    dtops::ConvDesc d;
    bool want;
  };
  std::vector<Fit> v;
  auto add = [&](const char* what, bool want, auto&& change) {
    Fit f{what, DENOTRT_FLOAT16, base, want};
    change(f);
    v.push_back(f);
  };
  add("3x3 512 7x7 fp16", true, [](Fit&) {});
  add("n 0", true, [](Fit& f) { f.d.n = 0; });
  add("c 40, k 96", true, [](Fit& f) { f.d.c = 40, f.d.k = 96; });
  add("1-D", true, [](Fit& f) {
    f.d.spatial = 1, f.d.in[0] = 37, f.d.out[0] = 37, f.d.kernel[0] = 3, f.d.stride[0] = 1, f.d.pad_begin[0] = 1;
    f.d.dilation[0] = 1;
  });
  add("group 2", false, [](Fit& f) { f.d.group = 2; });
  add("fp32", false, [](Fit& f) { f.dtype = DENOTRT_FLOAT32; });
  add("bf16", false, [](Fit& f) { f.dtype = DENOTRT_BFLOAT16; });
  add("c 12", false, [](Fit& f) { f.d.c = 12; });
  add("c 4", false, [](Fit& f) { f.d.c = 4; });
  add("k 12", false, [](Fit& f) { f.d.k = 12; });
  add("spatial 3", false, [](Fit& f) { f.d.spatial = 3; });
  add("stride 0", false, [](Fit& f) { f.d.stride[1] = 0; });
  add("dilation 0", false, [](Fit& f) { f.d.dilation[0] = 0; });
  add("pad -1", false, [](Fit& f) { f.d.pad_begin[0] = -1; });
  add("n -1", false, [](Fit& f) { f.d.n = -1; });
  add("n 2^40 (too many pixels)", false, [](Fit& f) { f.d.n = (int64_t)1 << 40; });
  for (const Fit& f : v) fits_row("splitk_conv_fits", f.what, dtops::splitk_conv_fits(f.dtype, f.d), f.want);
}

// Bad arguments: a typed status, y untouched and no CUDA error; n = 0: DENOTRT_OK and y untouched.
void argument_checks(cudaStream_t s) {
  constexpr size_t kBytes = 1 << 16;  // 3x3 16 -> 16 at 8x8: x and y 2 KB, w 4.5 KB
  void *x, *w, *bias, *res, *y;
  for (void** p : {&x, &w, &bias, &res, &y}) {
    CUDA_OK(cudaMalloc(p, kBytes));
    CUDA_OK(cudaMemset(*p, 0x3c, kBytes));  // 1.06 in every fp16
  }
  const dtops::ConvDesc ok = conv_desc(square("", 1, 16, 16, 8, 3, 1, true, true, dtops::U_RELU, false));
  struct Bad {
    const char* what;
    dtops::ConvDesc d;
    int32_t config;
    int xo, wo, bo, ro, yo;  // pointer offsets in elements
    bool null_x;
    int32_t want;
  };
  dtops::ConvDesc grouped = ok, empty = ok;
  grouped.group = 2;
  empty.n = 0;
  const Bad bad[] = {
      {"x + 1 element", ok, 0, 1, 0, 0, 0, 0, false, DENOTRT_INVALID_ARGUMENT},
      {"w + 1 element", ok, 0, 0, 1, 0, 0, 0, false, DENOTRT_INVALID_ARGUMENT},
      {"bias + 1 element", ok, 0, 0, 0, 1, 0, 0, false, DENOTRT_INVALID_ARGUMENT},
      {"residual + 1 element", ok, 0, 0, 0, 0, 1, 0, false, DENOTRT_INVALID_ARGUMENT},
      {"y + 1 element", ok, 0, 0, 0, 0, 0, 1, false, DENOTRT_INVALID_ARGUMENT},
      {"x null", ok, 0, 0, 0, 0, 0, 0, true, DENOTRT_INVALID_ARGUMENT},
      {"config 6", ok, kConfigs + 1, 0, 0, 0, 0, 0, false, DENOTRT_INVALID_ARGUMENT},
      {"config -1", ok, -1, 0, 0, 0, 0, 0, false, DENOTRT_INVALID_ARGUMENT},
      {"group 2", grouped, 0, 0, 0, 0, 0, 0, false, DENOTRT_UNSUPPORTED},
      {"n 0 (no work)", empty, 0, 0, 0, 0, 0, 0, false, DENOTRT_OK},
  };
  auto at = [](void* p, int off) { return (void*)((uint8_t*)p + off * 2); };
  for (const Bad& b : bad) {
    CUDA_OK(cudaMemset(y, 0xff, kBytes));
    denotrt_error err{};
    const int32_t rc = dtops::splitk_conv_nhwc(b.d, b.config, b.null_x ? nullptr : at(x, b.xo), at(w, b.wo),
                                               at(bias, b.bo), at(res, b.ro), dtops::default_act(dtops::U_RELU),
                                               at(y, b.yo), s, &err);
    refusal_row(b.what, rc, rc == b.want, err, s, y, kBytes);
  }
  for (void* p : {x, w, bias, res, y}) cudaFree(p);
}

}  // namespace

// SPLITK_PROFILE=1: ResNet-50's batch-1 split-K shapes once each on config 4 (32x64) and nothing else, for ncu on
// the device (the full test launches each configuration ~100 times).
static int profile_only() {
  const Case cases[] = {
      square("r50 b1 1x1 512->2048 7x7 +res", 1, 512, 2048, 7, 1, 1, true, true, dtops::U_RELU, true),
      square("r50 b1 3x3 512 7x7", 1, 512, 512, 7, 3, 1, true, false, dtops::U_RELU, true),
      square("r50 b1 3x3 256 14x14", 1, 256, 256, 14, 3, 1, true, false, dtops::U_RELU, true),
  };
  for (const Case& cs : cases) {
    const dtops::ConvDesc d = conv_desc(cs);
    const Geo2 g = geo2(d);
    const int64_t M = cs.n * g.oh * g.ow, kg = g.kh * g.kw * cs.c;
    Data dt;
    make_buf(&dt.x, (size_t)(cs.n * g.ih * g.iw * cs.c), 1.f, DENOTRT_FLOAT16, 0);
    make_buf(&dt.w, (size_t)(cs.k * kg), (float)(1.0 / sqrt((double)kg)), DENOTRT_FLOAT16, 0);
    make_buf(&dt.bias, (size_t)cs.k, 1.f, DENOTRT_FLOAT16, 0);
    if (cs.residual) make_buf(&dt.res, (size_t)(M * cs.k), 1.f, DENOTRT_FLOAT16, 0);
    uint8_t* ybase;
    void* y = make_output(&ybase, (size_t)(M * cs.k), DENOTRT_FLOAT16, 0);
    denotrt_error err{};
    const int32_t rc = dtops::splitk_conv_nhwc(d, 4, dt.x.dev, dt.w.dev, dt.bias.dev,
                                               cs.residual ? dt.res.dev : nullptr, dtops::default_act(cs.act), y,
                                               nullptr, &err);
    CUDA_OK(cudaDeviceSynchronize());
    printf("%s %s: %s\n", cs.name, dtops::splitk_conv_kernel(d, 4), rc == DENOTRT_OK ? "ok" : err.message);
  }
  return 0;
}

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (getenv("SPLITK_PROFILE")) return profile_only();
  using namespace dtops;
  std::vector<Case> cases = {
      // ResNet-50 at batch 1 (timed): bias + Relu, conv3's bias + residual + Relu, the downsample's bias only.
      square("r50 b1 3x3 64 56x56", 1, 64, 64, 56, 3, 1, true, false, U_RELU, true),
      square("r50 b1 3x3/2 128 56->28", 1, 128, 128, 56, 3, 2, true, false, U_RELU, true),
      square("r50 b1 3x3 128 28x28", 1, 128, 128, 28, 3, 1, true, false, U_RELU, true),
      square("r50 b1 3x3/2 256 28->14", 1, 256, 256, 28, 3, 2, true, false, U_RELU, true),
      square("r50 b1 3x3 256 14x14", 1, 256, 256, 14, 3, 1, true, false, U_RELU, true),
      square("r50 b1 3x3/2 512 14->7", 1, 512, 512, 14, 3, 2, true, false, U_RELU, true),
      square("r50 b1 3x3 512 7x7", 1, 512, 512, 7, 3, 1, true, false, U_RELU, true),
      square("r50 b1 1x1 512->2048 7x7 +res", 1, 512, 2048, 7, 1, 1, true, true, U_RELU, true),
      square("r50 b1 1x1 2048->512 7x7", 1, 2048, 512, 7, 1, 1, true, false, U_RELU, true),
      square("r50 b1 1x1/2 1024->2048 14->7", 1, 1024, 2048, 14, 1, 2, true, false, U_IDENTITY, true),
      square("r50 b2 3x3 512 7x7", 2, 512, 512, 7, 3, 1, true, false, U_RELU, true),
      square("r50 b8 3x3 512 7x7", 8, 512, 512, 7, 3, 1, true, false, U_RELU, true),
      square("3x3 256->128 14x14 +res silu", 1, 256, 128, 14, 3, 1, true, true, U_SILU, false),
      // Odd geometry: C and K off the tiles, K_gemm = 1000 (the last chunk partial), outputs the window skips.
      Case{"c40 k96 5x5/2 p2 d2 13x17 b3", 2, 3, 40, 96, {13, 17}, {5, 5}, {2, 2}, {2, 2}, {2, 2}, {2, 2}, true,
           true, U_LEAKYRELU, false},
      Case{"c24 k40 3x5 s1x2 p(2,0)-(0,3) d2x1", 2, 2, 24, 40, {11, 9}, {3, 5}, {1, 2}, {2, 0}, {0, 3}, {2, 1}, true,
           false, U_IDENTITY, false},
      Case{"1-D c16 k24 k3 p1 len 37 b2", 1, 2, 16, 24, {37, 0}, {3, 0}, {1, 0}, {1, 0}, {1, 0}, {1, 0}, false, true,
           U_RELU, false},
      square("c8 k8 3x3 9x9 b2 (no epilogue)", 2, 8, 8, 9, 3, 1, false, false, U_IDENTITY, false),
  };
  return run_tests("summary (err: relative L2 vs float64 at up to 256 sampled pixels, all channels; max|d|: largest "
                   "absolute error, max: largest output; rerun: a second run's bits; graph: a CUDA graph replay's "
                   "bits; times: median of 50 back-to-back runs queued on the GPU, TFLOP/s = 2 M K K_gemm / time)",
                   [&](cudaStream_t s) {
                     for (const Case& cs : cases) run_case(cs, s);
                     fits_checks();
                     argument_checks(s);
                   });
}
