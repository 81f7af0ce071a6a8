// Device test of the fused ResNet stem (c_shim/src/cuda_ops/stem_conv_pool.cu, dtops::stem_conv_pool), standalone (no
// Deno): y = MaxPool 3x3/2 pad 1 (Relu(Conv 7x7/2 pad 3 (x, w) + bias)), K = 64, fp16 NHWC output, x either NHWC fp16
// or NCHW fp32. ResNet-50's stem (b2, b1 and b128 at 224x224, C = 3), then sizes the pool tiles do not divide and where
// the conv's and the pool's padding edges matter (100x100, 97x131, 45x62, 7x9, 1x1) and C = 1, 2, 4; every case in both
// input formats and every tile option (auto, 8x8, 4x8). C <= 3 runs the kernel's dense K layout (Dense3: 3 halves per
// pixel in 4 shifted copies, loaded as pixel pairs), C = 4 its Pad4 layout. Each case gets fresh random inputs (never
// zeros), a bias of both signs (so Relu zeroes some windows and the pool picks among the rest), and is checked against
// a float64 CPU reference on the same fp16-rounded values (the NCHW fp32 input rounded to fp16 as the kernel does), at
// every output (b128: images 0, 63 and 127, plus a scan of the whole output for unwritten values); each launch is
// captured into a CUDA graph and replayed (same bits as the eager run). The b1 and b128 cases print the median of 50
// back-to-back runs, TFLOP/s (the conv's useful flops) and GB/s (input + output). Then argument errors (typed statuses,
// nothing written) and stem_conv_fits. Exit status 1 on any failure.
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

constexpr int K = dtops::kStemChannels;
constexpr int kTiles = 2;  // stem_conv_pool's forced tile configurations (1..2)
constexpr double kTolL2 = 1e-2;
// fp16 output: each value is off by at most half an ulp (2^-12 relative) plus fp32 accumulation noise; 4e-3 of the
// largest output (at least 1) allows a few ulps and still catches one wrong tap or a wrong window.
constexpr double kTolAbs = 4e-3;

// ONNX's output sizes, written out here so that dtops::stem_out_size is checked against them.
int64_t conv_out(int64_t in) { return (in + 3 + 3 - 7) / 2 + 1; }
int64_t pool_out(int64_t conv) { return (conv + 1 + 1 - 3) / 2 + 1; }

struct Case {
  const char* name;
  int64_t n, h, w;
  int32_t c;
  int timed;  // 1: the median of every (format, tile) run, TFLOP/s and GB/s
};

// One input tensor in both formats, its fp16-rounded values, the filter and the bias.
struct Data {
  std::vector<double> x;   // NHWC, the fp16-rounded values both formats carry into the conv
  std::vector<double> wt;  // the filter as [r][q][c][k] (k innermost: the reference's inner loop)
  Buf w, bias;             // KRSC fp16 [64, 7, 7, C], fp16 [64]
  void* x16 = nullptr;     // NHWC fp16
  void* x32 = nullptr;     // NCHW fp32: the same values before the rounding
};

void make_data(const Case& cs, Data* d) {
  const size_t nx = (size_t)(cs.n * cs.h * cs.w * cs.c);
  std::vector<__half> h16(nx);
  std::vector<float> f32(nx);
  d->x.resize(nx);
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t y = 0; y < cs.h; ++y)
      for (int64_t x = 0; x < cs.w; ++x)
        for (int64_t c = 0; c < cs.c; ++c) {
          float f = urand();  // 24 random bits: most values are not fp16, so the NCHW path's rounding matters
          if (f == 0.f) f = 0.25f;  // never zeros
          const size_t i = (size_t)(((n * cs.h + y) * cs.w + x) * cs.c + c);
          h16[i] = __float2half(f);
          d->x[i] = __half2float(h16[i]);
          f32[(size_t)(((n * cs.c + c) * cs.h + y) * cs.w + x)] = f;
        }
  CUDA_OK(cudaMalloc(&d->x16, nx * 2));
  CUDA_OK(cudaMalloc(&d->x32, nx * 4));
  CUDA_OK(cudaMemcpy(d->x16, h16.data(), nx * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(d->x32, f32.data(), nx * 4, cudaMemcpyHostToDevice));
  const int64_t taps = 49 * cs.c;
  make_buf(&d->w, (size_t)(K * taps), 0.1f, DENOTRT_FLOAT16, 0);  // trained stems' scale: outputs of order 1
  make_buf(&d->bias, K, 0.8f, DENOTRT_FLOAT16, 0);  // both signs, about the conv's spread: Relu matters
  d->wt.resize((size_t)(K * taps));
  for (int64_t k = 0; k < K; ++k)
    for (int64_t t = 0; t < taps; ++t) d->wt[(size_t)(t * K + k)] = d->w.v[(size_t)(k * taps + t)];
}

void free_data(Data* d) {
  cudaFree(d->x16), cudaFree(d->x32), cudaFree(d->w.base), cudaFree(d->bias.base);
}

// float64 reference for image n, [PH, PW, 64]: the conv with zero padding, + bias, Relu, then the max over each
// window's in-range conv outputs (the pool's padding never wins: -inf in ONNX).
std::vector<double> reference(const Case& cs, const Data& d, int64_t n) {
  const int64_t ch = conv_out(cs.h), cw = conv_out(cs.w), ph = pool_out(ch), pw = pool_out(cw), C = cs.c;
  std::vector<double> conv((size_t)(ch * cw * K));
  for (int64_t oy = 0; oy < ch; ++oy)
    for (int64_t ox = 0; ox < cw; ++ox) {
      double acc[K];
      for (int k = 0; k < K; ++k) acc[k] = d.bias.v[(size_t)k];
      for (int64_t r = 0; r < 7; ++r) {
        const int64_t iy = oy * 2 - 3 + r;
        if (iy < 0 || iy >= cs.h) continue;
        for (int64_t q = 0; q < 7; ++q) {
          const int64_t ix = ox * 2 - 3 + q;
          if (ix < 0 || ix >= cs.w) continue;
          const double* xp = &d.x[(size_t)(((n * cs.h + iy) * cs.w + ix) * C)];
          const double* wp = &d.wt[(size_t)((r * 7 + q) * C * K)];
          for (int64_t c = 0; c < C; ++c)
            for (int k = 0; k < K; ++k) acc[k] += xp[c] * wp[c * K + k];
        }
      }
      for (int k = 0; k < K; ++k) conv[(size_t)((oy * cw + ox) * K + k)] = acc[k] > 0 ? acc[k] : 0;
    }
  std::vector<double> out((size_t)(ph * pw * K), -INFINITY);
  for (int64_t py = 0; py < ph; ++py)
    for (int64_t px = 0; px < pw; ++px)
      for (int64_t dy = -1; dy <= 1; ++dy)
        for (int64_t dx = -1; dx <= 1; ++dx) {
          const int64_t oy = py * 2 + dy, ox = px * 2 + dx;
          if (oy < 0 || oy >= ch || ox < 0 || ox >= cw) continue;
          for (int k = 0; k < K; ++k) {
            double& o = out[(size_t)((py * pw + px) * K + k)];
            o = fmax(o, conv[(size_t)((oy * cw + ox) * K + k)]);
          }
        }
  return out;
}

// The images the reference covers: all of them, or three of a big batch (the reference is ~0.1 s per image).
std::vector<int64_t> checked_images(int64_t n) {
  if (n <= 8) {
    std::vector<int64_t> v;
    for (int64_t i = 0; i < n; ++i) v.push_back(i);
    return v;
  }
  return {0, n / 2 - 1, n - 1};
}

struct Errors {
  double rel_l2, max_abs, max_ref;
  int64_t non_finite;  // over the whole output (0xffff, the NaN it was filled with, where nothing was written)
};

Errors compare(const std::vector<uint8_t>& ybytes, const std::vector<int64_t>& imgs,
               const std::vector<std::vector<double>>& refs, size_t per_image) {
  Errors e{0, 0, 0, 0};
  const __half* y = reinterpret_cast<const __half*>(ybytes.data());
  for (size_t i = 0; i < ybytes.size() / 2; ++i) e.non_finite += !isfinite(__half2float(y[i]));
  double num = 0, den = 0;
  for (size_t j = 0; j < imgs.size(); ++j)
    for (size_t i = 0; i < per_image; ++i) {
      const double got = __half2float(y[(size_t)imgs[j] * per_image + i]), want = refs[j][i];
      if (!isfinite(got)) continue;  // counted above
      num += (got - want) * (got - want);
      den += want * want;
      e.max_abs = fmax(e.max_abs, fabs(got - want));
      e.max_ref = fmax(e.max_ref, fabs(want));
    }
  e.rel_l2 = sqrt(num / (den > 0 ? den : 1));
  return e;
}

void run_case(const Case& cs, cudaStream_t s) {
  const int64_t ch = conv_out(cs.h), cw = conv_out(cs.w), ph = pool_out(ch), pw = pool_out(cw);
  if (dtops::stem_out_size(cs.h) != ph || dtops::stem_out_size(cs.w) != pw) {
    char m[200];
    snprintf(m, sizeof m, "%s: stem_out_size gives %lldx%lld, ONNX %lldx%lld", cs.name,
             (long long)dtops::stem_out_size(cs.h), (long long)dtops::stem_out_size(cs.w), (long long)ph,
             (long long)pw);
    fail(m);
  }
  Data d;
  make_data(cs, &d);
  const size_t per_image = (size_t)(ph * pw * K), ny = (size_t)cs.n * per_image;
  const std::vector<int64_t> imgs = checked_images(cs.n);
  std::vector<std::vector<double>> refs;
  int64_t zeros = 0;
  for (int64_t n : imgs) {
    refs.push_back(reference(cs, d, n));
    for (double v : refs.back()) zeros += v == 0;
  }
  printf("%s: N %lld, %lldx%lld, C %d -> conv %lldx%lld -> pool %lldx%lld; Relu zeroes %.1f%% of the checked "
         "outputs\n", cs.name, (long long)cs.n, (long long)cs.h, (long long)cs.w, cs.c, (long long)ch, (long long)cw,
         (long long)ph, (long long)pw, 100.0 * zeros / (double)(imgs.size() * per_image));
  uint8_t* ybase[2];
  void* y[2];
  for (int i = 0; i < 2; ++i) y[i] = make_output(&ybase[i], ny, DENOTRT_FLOAT16, 0);  // eager, graph replay
  const dtops::StemDesc desc{cs.n, cs.h, cs.w, cs.c};
  // The kernels by name: every forced tile a kernel of its own, and auto runs one of them.
  const char* names[kTiles + 1];
  bool named = true, distinct = true, auto_known = false;
  for (int t = 0; t <= kTiles; ++t) {
    names[t] = dtops::stem_conv_pool_kernel(desc, t);
    named = named && names[t];
  }
  for (int t = 1; named && t <= kTiles; ++t) {
    auto_known = auto_known || !strcmp(names[0], names[t]);
    for (int u = t + 1; u <= kTiles; ++u) distinct = distinct && strcmp(names[t], names[u]);
  }
  if (!named || !distinct || !auto_known) {
    char m[300];
    snprintf(m, sizeof m, "%s: stem_conv_pool_kernel gives auto %s; forced tiles distinct: %d", cs.name,
             named ? names[0] : "?", (int)distinct);
    fail(m);
  }
  std::vector<uint8_t> first;  // the first run's bits: the others are compared with it (printed, not a failure)
  for (int fmt : {dtops::STEM_NHWC_F16, dtops::STEM_NCHW_F32}) {
    const void* x = fmt == dtops::STEM_NHWC_F16 ? d.x16 : d.x32;
    for (int tile = 0; tile <= kTiles; ++tile) {
      denotrt_error err{};
      auto launch = [&](void* out) {
        return dtops::stem_conv_pool(desc, fmt, x, d.w.dev, d.bias.dev, out, s, &err, tile);
      };
      char what[200], row[900];
      snprintf(what, sizeof what, "%s %s tile %d", cs.name, fmt ? "nchw-f32" : "nhwc-f16", tile);
      int pos = snprintf(row, sizeof row, "  %-36s", what);
      CUDA_OK(cudaMemsetAsync(y[0], 0xff, ny * 2, s));  // NaN until written, for every run
      const int32_t rc = launch(y[0]);
      CUDA_OK(cudaStreamSynchronize(s));
      if (!launched(what, rc, err, row, sizeof row, pos)) {
        add_row(row);
        continue;
      }
      pos += snprintf(row + pos, sizeof row - pos, " %-30s", names[tile] ? names[tile] : "(no name)");
      const std::vector<uint8_t> got = download_bytes(y[0], ny * 2);
      const Errors e = compare(got, imgs, refs, per_image);
      pos = append_error(what, e.rel_l2, kTolL2, row, sizeof row, pos);
      const double abs_tol = kTolAbs * fmax(1.0, e.max_ref);
      pos += snprintf(row + pos, sizeof row - pos, " max|d| %.1e (max %.2f)", e.max_abs, e.max_ref);
      if (e.non_finite) pos += snprintf(row + pos, sizeof row - pos, " %lld UNWRITTEN", (long long)e.non_finite);
      if (!(e.max_abs <= abs_tol) || e.non_finite) {
        char m[300];
        snprintf(m, sizeof m, "%s: max abs error %.3e > %.1e, %lld unwritten or non-finite outputs", what, e.max_abs,
                 abs_tol, (long long)e.non_finite);
        fail(m);
      }
      if (first.empty()) first = got;
      pos += snprintf(row + pos, sizeof row - pos, " bits %s", got == first ? "==first" : "!=first");
      // A fresh output pointer under stream capture: the launcher must stay capturable and give the same bits.
      CUDA_OK(cudaMemsetAsync(y[1], 0xff, ny * 2, s));
      const char* graph = graph_replay(
          s, [&] { return launch(y[1]) == DENOTRT_OK; }, y[0], y[1], ny * 2,
          "stem_conv_pool under stream capture");
      if (graph) pos += snprintf(row + pos, sizeof row - pos, " graph %s", graph);
      if (cs.timed) {
        const float ms = median_ms(s, [&] { return launch(y[0]) == DENOTRT_OK; });
        const double flops = 2.0 * (double)(cs.n * ch * cw) * K * 49 * cs.c;
        const double bytes = (double)(cs.n * cs.h * cs.w * cs.c) * (fmt ? 4 : 2) + (double)ny * 2;
        snprintf(row + pos, sizeof row - pos, " | %9.1f us %6.1f TFLOP/s %6.0f GB/s (x%.2f of the 3 TB/s bound)",
                 ms * 1e3, flops / (ms * 1e-3) / 1e12, bytes / (ms * 1e-3) / 1e9,
                 ms / (bytes / kHbmBytesPerS * 1e3));
      }
      add_row(row);
    }
  }
  free_data(&d);
  for (auto p : ybase) cudaFree(p);
}

// Bad arguments: a typed status and nothing written; n = 0: DENOTRT_OK and nothing written.
void argument_checks(cudaStream_t s) {
  void *x, *w, *bias, *y;
  CUDA_OK(cudaMalloc(&x, 1 << 16));
  CUDA_OK(cudaMalloc(&w, 1 << 16));
  CUDA_OK(cudaMalloc(&bias, 1 << 10));
  CUDA_OK(cudaMalloc(&y, 1 << 16));
  CUDA_OK(cudaMemset(x, 0x3c, 1 << 16));  // 1.0 in fp16 pairs, a finite 0.0117 in fp32
  CUDA_OK(cudaMemset(w, 0x3c, 1 << 16));
  CUDA_OK(cudaMemset(bias, 0x3c, 1 << 10));
  struct Bad {
    const char* what;
    dtops::StemDesc d;
    int32_t input, tile;
    int want_ok;  // 1: DENOTRT_OK expected; 0: UNSUPPORTED or INVALID_ARGUMENT
  } bad[] = {
      {"c 0", {1, 16, 16, 0}, dtops::STEM_NHWC_F16, 0, 0},
      {"c 5", {1, 16, 16, 5}, dtops::STEM_NHWC_F16, 0, 0},
      {"c 5 nchw-f32", {1, 16, 16, 5}, dtops::STEM_NCHW_F32, 0, 0},
      {"input format 7", {1, 16, 16, 3}, 7, 0, 0},
      {"tile 3 (no such configuration)", {1, 16, 16, 3}, dtops::STEM_NHWC_F16, 3, 0},
      {"tile -1", {1, 16, 16, 3}, dtops::STEM_NHWC_F16, -1, 0},
      {"n 0 (no work)", {0, 16, 16, 3}, dtops::STEM_NHWC_F16, 0, 1},
  };
  for (const Bad& b : bad) {
    CUDA_OK(cudaMemset(y, 0xff, 1 << 16));
    denotrt_error err{};
    const int32_t rc = dtops::stem_conv_pool(b.d, b.input, x, w, bias, y, s, &err, b.tile);
    CUDA_OK(cudaStreamSynchronize(s));
    const std::vector<uint8_t> after = download_bytes(y, 1 << 16);
    bool untouched = true;
    for (uint8_t v : after) untouched &= v == 0xff;
    const bool status_ok =
        b.want_ok ? rc == DENOTRT_OK : (rc == DENOTRT_UNSUPPORTED || rc == DENOTRT_INVALID_ARGUMENT);
    const bool ok = status_ok && untouched;
    char row[500];
    snprintf(row, sizeof row, "  %-36s -> %s%s%s%s %s", b.what, denotrt_status_name(rc), err.message[0] ? ": " : "",
             err.message, untouched ? "" : " (y written)", ok ? "ok" : "FAIL");
    add_row(row);
    if (!ok) fail(b.what);
  }
  cudaFree(x), cudaFree(w), cudaFree(bias), cudaFree(y);
}

// stem_conv_fits: ResNet's stem conv, then each field changed on its own.
void fits_checks() {
  dtops::ConvDesc base{};
  base.spatial = 2, base.n = 1, base.c = 3, base.k = 64, base.group = 1;
  for (int i = 0; i < 2; ++i) {
    base.in[i] = 224, base.out[i] = 112, base.kernel[i] = 7, base.stride[i] = 2, base.pad_begin[i] = 3;
    base.dilation[i] = 1;
  }
  struct Fit {
    const char* what;
    dtops::ConvDesc d;
    int64_t pad_end[2];
    bool want;
  };
  std::vector<Fit> v;
  auto add = [&](const char* what, bool want, auto&& change) {
    Fit f{what, base, {3, 3}, want};
    change(f);
    v.push_back(f);
  };
  add("resnet stem 224 c3 k64", true, [](Fit&) {});
  add("c 1", true, [](Fit& f) { f.d.c = 1; });
  add("c 4, n 128", true, [](Fit& f) { f.d.c = 4, f.d.n = 128; });
  add("97x131 -> 49x66", true, [](Fit& f) { f.d.in[0] = 97, f.d.in[1] = 131, f.d.out[0] = 49, f.d.out[1] = 66; });
  add("k 32", false, [](Fit& f) { f.d.k = 32; });
  add("stride 1", false, [](Fit& f) { f.d.stride[0] = f.d.stride[1] = 1; });
  add("stride (2, 1)", false, [](Fit& f) { f.d.stride[1] = 1; });
  add("pad_begin 2", false, [](Fit& f) { f.d.pad_begin[0] = f.d.pad_begin[1] = 2; });
  add("pad_end {2, 3}", false, [](Fit& f) { f.pad_end[0] = 2; });
  add("group 3", false, [](Fit& f) { f.d.group = 3; });
  add("dilation 2", false, [](Fit& f) { f.d.dilation[0] = f.d.dilation[1] = 2; });
  add("c 8", false, [](Fit& f) { f.d.c = 8; });
  add("kernel 5x5", false, [](Fit& f) { f.d.kernel[0] = f.d.kernel[1] = 5; });
  add("spatial 1", false, [](Fit& f) { f.d.spatial = 1; });
  for (const Fit& f : v) fits_row("stem_conv_fits", f.what, dtops::stem_conv_fits(f.d, f.pad_end), f.want);
}

}  // namespace

// STEM_PROFILE=1: one batch-128 224x224 launch per forced tile and nothing else (for ncu on the device).
static int profile_only() {
  const dtops::StemDesc desc{128, 224, 224, 3};
  const size_t nx = 128 * 3 * 224 * 224, ny = 128 * 56 * 56 * K;
  std::vector<float> hx(nx);
  for (float& v : hx) v = urand();
  std::vector<__half> hw(K * 49 * 3), hb(K);
  for (__half& v : hw) v = __float2half(urand() * 0.1f);
  for (__half& v : hb) v = __float2half(urand());
  void *x, *w, *b, *y;
  CUDA_OK(cudaMalloc(&x, nx * 4));
  CUDA_OK(cudaMalloc(&w, hw.size() * 2));
  CUDA_OK(cudaMalloc(&b, hb.size() * 2));
  CUDA_OK(cudaMalloc(&y, ny * 2));
  CUDA_OK(cudaMemcpy(x, hx.data(), nx * 4, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(w, hw.data(), hw.size() * 2, cudaMemcpyHostToDevice));
  CUDA_OK(cudaMemcpy(b, hb.data(), hb.size() * 2, cudaMemcpyHostToDevice));
  for (int tile = 1; tile <= kTiles; ++tile) {
    denotrt_error err{};
    const int32_t rc = dtops::stem_conv_pool(desc, dtops::STEM_NCHW_F32, x, w, b, y, nullptr, &err, tile);
    CUDA_OK(cudaDeviceSynchronize());
    printf("tile %d %s: %s\n", tile, dtops::stem_conv_pool_kernel(desc, tile), rc == DENOTRT_OK ? "ok" : err.message);
  }
  return 0;
}

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  if (getenv("STEM_PROFILE")) return profile_only();
  const Case cases[] = {
      {"resnet50 stem b2 224x224 c3", 2, 224, 224, 3, 0},
      {"b3 100x100 c3", 3, 100, 100, 3, 0},
      {"b2 97x131 c3", 2, 97, 131, 3, 0},
      // Dense3 loads pixel pairs from odd input columns (4 px0 - 5 + 2j): with an even width the last pair holds the
      // image's last column and one past it; odd height: partial 4x8 and 8x8 tiles at the bottom and the right.
      {"b2 45x62 c3", 2, 45, 62, 3, 0},
      {"b2 tiny 7x9 c3", 2, 7, 9, 3, 0},
      {"b2 1x1 c3 (one tap row)", 2, 1, 1, 3, 0},
      {"b2 61x47 c1", 2, 61, 47, 1, 0},
      {"b3 50x64 c2", 3, 50, 64, 2, 0},
      {"b1 97x131 c4", 1, 97, 131, 4, 0},
      {"resnet50 stem b1 224x224 c3 (timed)", 1, 224, 224, 3, 1},
      {"resnet50 stem b128 224x224 c3 (timed)", 128, 224, 224, 3, 1},
  };
  return run_tests("summary (err: relative L2 vs float64 at every output of the checked images (b128: 0, 63, 127); "
                   "max|d|: the largest absolute error, max: the largest output; times: median of 50 back-to-back "
                   "runs queued on the GPU; TFLOP/s counts the conv's 2 * CH * CW * 64 * 49 * C per image)",
                   [&](cudaStream_t s) {
                     for (const Case& cs : cases) run_case(cs, s);
                     argument_checks(s);
                     fits_checks();
                   });
}
