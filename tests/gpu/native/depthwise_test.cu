// Device test of denotrt's own NHWC depthwise convolution (c_shim/src/cuda_ops/depthwise.cu), standalone (no Deno):
// MobileNetV3-Large's depthwise layers at batch 32 in fp16 with bias + ReLU / HardSwish, then fp32, bf16, odd and
// not-multiple-of-8 channel counts, asymmetric pads, dilations, 1-D, a residual, no bias, other kernel sizes
// (the generic kernel, a filter too big for shared memory), misaligned pointers (the scalar path), and descriptors
// that are not depthwise (DENOTRT_UNSUPPORTED, err untouched). Each conv gets fresh random inputs (never zeros) and
// is checked against a float64 CPU reference at every output; it is also captured into a CUDA graph and replayed
// (same bits as the eager run). The timed cases print the median of 50 back-to-back runs, the bandwidth that makes,
// and cuDNN's legacy API (cudnn_conv.cu, NHWC, cudnnFind's choice) on the same data; on MobileNetV3's batch-32
// shapes cuDNN being faster is a failure. Exit status 1 on any failure.
// How to build and run: tests/gpu/native/README.md.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cuda_ops/ops.h"
#include "cudnn/cudnn_conv.h"
#include "native_test.h"

namespace {

using namespace ntest;

constexpr size_t kWorkspaceLimit = 256u << 20;

double act_ref(double v, const dtops::Act& a) {
  switch (a.op) {
    case dtops::U_IDENTITY: return v;
    case dtops::U_RELU: return v > 0 ? v : 0;
    case dtops::U_HARDSWISH: return v * fmin(fmax(v / 6 + 0.5, 0.0), 1.0);
    case dtops::U_HARDSIGMOID: return fmin(fmax(a.alpha * v + a.beta, 0.0), 1.0);
    case dtops::U_CLIP: return fmin(fmax(v, (double)a.alpha), (double)a.beta);
    case dtops::U_SILU: return v / (1 + exp(-v));
    default: return NAN;
  }
}

// One depthwise conv as the test describes it: 2-D unless spatial == 1 (then index 0 holds the 1-D geometry).
struct Case {
  const char* name;
  int dtype;
  int64_t n, c;
  int spatial;
  int64_t in[2], kernel[2], stride[2], pad_begin[2], pad_end[2], dilation[2];
  int has_bias, has_res;
  dtops::Act act;
  int timed;        // 1: 50 timed runs and cuDNN legacy on the same data; 2: and cuDNN must not be faster
  int misalign;     // x, y and residual start this many elements past a 256-byte boundary
};

Case conv2d(const char* name, int dtype, int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t stride,
            int has_bias, int has_res, dtops::Act act, int timed) {
  Case cs{};
  cs.name = name, cs.dtype = dtype, cs.n = n, cs.c = c, cs.spatial = 2;
  cs.in[0] = h, cs.in[1] = w;
  for (int i = 0; i < 2; ++i) {
    cs.kernel[i] = k, cs.stride[i] = stride, cs.pad_begin[i] = cs.pad_end[i] = (k - 1) / 2, cs.dilation[i] = 1;
  }
  cs.has_bias = has_bias, cs.has_res = has_res, cs.act = act, cs.timed = timed;
  return cs;
}

int64_t out_size(const Case& cs, int i) {
  return (cs.in[i] + cs.pad_begin[i] + cs.pad_end[i] - cs.dilation[i] * (cs.kernel[i] - 1) - 1) / cs.stride[i] + 1;
}

dtops::ConvDesc conv_desc(const Case& cs) {
  dtops::ConvDesc d = conv_axes(cs, out_size);
  d.n = cs.n, d.c = d.k = d.group = cs.c;
  return d;
}

// float64 reference at every output, NHWC; returns the relative L2 error of y.
double check(const Case& cs, const Buf& x, const Buf& w, const Buf& bias, const Buf& res,
             const std::vector<double>& y) {
  const Geo2 g = geo2(conv_desc(cs));
  const int64_t C = cs.c;
  double num = 0, den = 0;
  std::vector<double> acc((size_t)C);
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t oh = 0; oh < g.oh; ++oh)
      for (int64_t ow = 0; ow < g.ow; ++ow) {
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t r = 0; r < g.kh; ++r) {
          int64_t ih = oh * g.sh - g.ph + r * g.dh;
          if (ih < 0 || ih >= g.ih) continue;
          for (int64_t q = 0; q < g.kw; ++q) {
            int64_t iw = ow * g.sw - g.pw + q * g.dw;
            if (iw < 0 || iw >= g.iw) continue;
            const double* xp = &x.v[(size_t)(((n * g.ih + ih) * g.iw + iw) * C)];
            const double* wp = &w.v[(size_t)(r * g.kw + q)];  // filter [C, kh, kw]
            for (int64_t c = 0; c < C; ++c) acc[(size_t)c] += xp[c] * wp[c * g.kh * g.kw];
          }
        }
        size_t base = (size_t)(((n * g.oh + oh) * g.ow + ow) * C);
        for (int64_t c = 0; c < C; ++c) {
          double v = acc[(size_t)c];
          if (cs.has_bias) v += bias.v[(size_t)c];
          if (cs.has_res) v += res.v[base + c];
          double ref = act_ref(v, cs.act);
          double got = y[base + c];
          num += (got - ref) * (got - ref);
          den += ref * ref;
        }
      }
  return sqrt(num / (den > 0 ? den : 1));
}

void run_case(const Case& cs, void* cudnn, cudaStream_t s) {
  const double tol = cs.dtype == DENOTRT_FLOAT32 ? 1e-5 : 2e-2;
  dtops::ConvDesc d = conv_desc(cs);
  const Geo2 g = geo2(d);
  const size_t nx = (size_t)(cs.n * g.ih * g.iw * cs.c), ny = (size_t)(cs.n * g.oh * g.ow * cs.c);
  const size_t nw = (size_t)(cs.c * g.kh * g.kw);
  Buf x, w, bias, res;
  make_buf(&x, nx, 1.f, cs.dtype, cs.misalign);
  make_buf(&w, nw, (float)(1.7 / sqrt((double)(g.kh * g.kw))), cs.dtype, 0);  // outputs of order 1
  make_buf(&bias, (size_t)cs.c, 0.5f, cs.dtype, 0);
  if (cs.has_res) make_buf(&res, ny, 1.f, cs.dtype, cs.misalign);
  uint8_t* ybase[2];
  void* y[2];
  for (int i = 0; i < 2; ++i) y[i] = make_output(&ybase[i], ny, cs.dtype, cs.misalign);  // eager, graph replay
  const void* bias_dev = cs.has_bias ? bias.dev : nullptr;
  const void* res_dev = cs.has_res ? res.dev : nullptr;
  denotrt_error err{};
  char row[600];
  int pos = snprintf(row, sizeof row, "%-44s %-4s", cs.name, dtype_name(cs.dtype));

  auto launch = [&](void* out) {
    return dtops::depthwise_conv_nhwc(cs.dtype, d, x.dev, w.dev, bias_dev, res_dev, cs.act, out, s, &err);
  };
  int32_t rc = launch(y[0]);
  CUDA_OK(cudaStreamSynchronize(s));
  if (launched(cs.name, rc, err, row, sizeof row, pos)) {
    pos = append_error(cs.name, check(cs, x, w, bias, res, download(y[0], ny, cs.dtype)), tol, row, sizeof row, pos);
    // Captured into a CUDA graph and replayed into the second output: the launcher must stay capturable.
    const char* graph = graph_replay(s, [&] { return launch(y[1]) == DENOTRT_OK; }, y[0], y[1],
                                     ny * esize(cs.dtype), "depthwise_conv_nhwc under stream capture");
    if (graph) pos += snprintf(row + pos, sizeof row - pos, " graph %s", graph);

    if (cs.timed) {
      float ms = median_ms(s, [&] { return launch(y[0]) == DENOTRT_OK; });
      double bytes = (double)(nx + ny * (cs.has_res ? 2 : 1) + nw + (cs.has_bias ? cs.c : 0)) * esize(cs.dtype);
      pos = append_bandwidth(ms, bytes, row, sizeof row, pos);
      if (cudnn) {
        denotrt_cudnn_conv* lc = nullptr;
        denotrt_conv_tactic lt{};
        int fuse = cs.act.op == dtops::U_RELU && cs.has_bias;
        int64_t pe[2] = {cs.pad_end[0], cs.pad_end[1]};
        rc = denotrt_cudnn_conv_create(cudnn, cs.dtype, 0, 1, d, pe, fuse, kWorkspaceLimit, nullptr, &lt, &lc, &err);
        if (rc != DENOTRT_OK) {
          pos += snprintf(row + pos, sizeof row - pos, " | cudnn: %s", denotrt_status_name(rc));
        } else {
          void* ws = nullptr;
          if (denotrt_cudnn_conv_workspace(lc)) CUDA_OK(cudaMalloc(&ws, denotrt_cudnn_conv_workspace(lc)));
          auto legacy = [&] {
            return denotrt_cudnn_conv_run(lc, cudnn, s, x.dev, w.dev, bias_dev, res_dev, cs.act, y[1], ws, &err) ==
                   DENOTRT_OK;
          };
          bool ran = legacy();
          CUDA_OK(cudaStreamSynchronize(s));
          double le = ran ? check(cs, x, w, bias, res, download(y[1], ny, cs.dtype)) : -1;
          float lms = ran ? median_ms(s, legacy) : -1.f;
          pos += snprintf(row + pos, sizeof row - pos, " | cudnn %-27s %8.4f ms err %.0e | cudnn/ours x%.1f",
                          denotrt_cudnn_conv_algo_name(lc), lms, le, lms / ms);
          if (ran && cs.timed == 2 && lms < ms) {
            char m[200];
            snprintf(m, sizeof m, "%s: cuDNN legacy (%.4f ms) is faster than ours (%.4f ms)", cs.name, lms, ms);
            fail(m);
          }
          cudaFree(ws);
          denotrt_cudnn_conv_destroy(lc);
        }
      }
    }
  }
  add_row(row);
  Buf* bufs[4] = {&x, &w, &bias, &res};
  for (Buf* b : bufs) cudaFree(b->base);
  for (auto p : ybase) cudaFree(p);
}

// Descriptors that are not depthwise: DENOTRT_UNSUPPORTED with err untouched; a zero stride: INVALID_ARGUMENT.
void argument_checks(cudaStream_t s) {
  Case cs = conv2d("args", DENOTRT_FLOAT16, 1, 16, 8, 8, 3, 1, 1, 0, dtops::default_act(dtops::U_RELU), 0);
  dtops::ConvDesc base = conv_desc(cs);
  struct Bad {
    const char* what;
    dtops::ConvDesc d;
    int32_t want;
  } bad[5];
  bad[0] = {"dense conv (group 1)", base, DENOTRT_UNSUPPORTED};
  bad[0].d.group = 1;
  bad[1] = {"channel multiplier 2 (K = 2C)", base, DENOTRT_UNSUPPORTED};
  bad[1].d.k = 32;
  bad[2] = {"grouped conv (group 8 of C 16)", base, DENOTRT_UNSUPPORTED};
  bad[2].d.group = 8;
  bad[3] = {"3-D conv", base, DENOTRT_UNSUPPORTED};
  bad[3].d.spatial = 3;
  bad[4] = {"stride 0", base, DENOTRT_INVALID_ARGUMENT};
  bad[4].d.stride[1] = 0;
  void* buf;
  CUDA_OK(cudaMalloc(&buf, 1 << 16));
  for (const Bad& b : bad) {
    denotrt_error err{};
    int32_t rc = dtops::depthwise_conv_nhwc(DENOTRT_FLOAT16, b.d, buf, buf, nullptr, nullptr,
                                            dtops::default_act(dtops::U_RELU), buf, s, &err);
    bool untouched = err.status == 0 && err.message[0] == 0;
    bool ok = rc == b.want && (b.want == DENOTRT_UNSUPPORTED ? untouched : err.message[0] != 0);
    char row[300];
    snprintf(row, sizeof row, "%-44s -> %s%s%s %s", b.what, denotrt_status_name(rc), err.message[0] ? ": " : "",
             err.message, ok ? "ok" : "FAIL");
    add_row(row);
    if (!ok) fail(b.what);
  }
  CUDA_OK(cudaStreamSynchronize(s));
  cudaFree(buf);
}

std::vector<Case> all_cases() {
  const int H = DENOTRT_FLOAT16;
  const dtops::Act relu = dtops::default_act(dtops::U_RELU), hs = dtops::default_act(dtops::U_HARDSWISH);
  const dtops::Act none = dtops::default_act(dtops::U_IDENTITY);
  std::vector<Case> v;
  // MobileNetV3-Large's depthwise layers (torchvision's bneck table) at batch 32, with the block's activation.
  v.push_back(conv2d("mbv3 dw3x3 16 112x112 b32", H, 32, 16, 112, 112, 3, 1, 1, 0, relu, 2));
  v.push_back(conv2d("mbv3 dw3x3/2 64 112->56 b32", H, 32, 64, 112, 112, 3, 2, 1, 0, relu, 2));
  v.push_back(conv2d("mbv3 dw3x3 72 56x56 b32", H, 32, 72, 56, 56, 3, 1, 1, 0, relu, 2));
  v.push_back(conv2d("mbv3 dw5x5/2 72 56->28 b32", H, 32, 72, 56, 56, 5, 2, 1, 0, relu, 2));
  v.push_back(conv2d("mbv3 dw5x5 120 28x28 b32", H, 32, 120, 28, 28, 5, 1, 1, 0, relu, 2));
  v.push_back(conv2d("mbv3 dw3x3/2 240 28->14 b32", H, 32, 240, 28, 28, 3, 2, 1, 0, hs, 2));
  v.push_back(conv2d("mbv3 dw3x3 200 14x14 b32", H, 32, 200, 14, 14, 3, 1, 1, 0, hs, 2));
  v.push_back(conv2d("mbv3 dw3x3 184 14x14 b32", H, 32, 184, 14, 14, 3, 1, 1, 0, hs, 2));
  v.push_back(conv2d("mbv3 dw3x3 480 14x14 b32", H, 32, 480, 14, 14, 3, 1, 1, 0, hs, 2));
  v.push_back(conv2d("mbv3 dw3x3 672 14x14 b32", H, 32, 672, 14, 14, 3, 1, 1, 0, hs, 2));
  v.push_back(conv2d("dw5x5 672 14x14 b32 (not in mbv3)", H, 32, 672, 14, 14, 5, 1, 1, 0, hs, 2));
  v.push_back(conv2d("mbv3 dw5x5/2 672 14->7 b32", H, 32, 672, 14, 14, 5, 2, 1, 0, hs, 2));
  v.push_back(conv2d("mbv3 dw5x5 960 7x7 b32", H, 32, 960, 7, 7, 5, 1, 1, 0, hs, 2));
  // Batch 1, as latency-bound inference runs it.
  v.push_back(conv2d("mbv3 dw3x3/2 64 112->56 b1", H, 1, 64, 112, 112, 3, 2, 1, 0, relu, 1));
  v.push_back(conv2d("mbv3 dw5x5 960 7x7 b1", H, 1, 960, 7, 7, 5, 1, 1, 0, hs, 1));
  // Other dtypes.
  v.push_back(conv2d("dw3x3 72 56x56 b8 fp32", DENOTRT_FLOAT32, 8, 72, 56, 56, 3, 1, 1, 0, relu, 1));
  v.push_back(conv2d("dw5x5/2 36 28->14 b4 fp32 (C % 4 == 0)", DENOTRT_FLOAT32, 4, 36, 28, 28, 5, 2, 1, 0, hs,
                     0));
  v.push_back(conv2d("dw5x5 120 28x28 b8 bf16", DENOTRT_BFLOAT16, 8, 120, 28, 28, 5, 1, 1, 0, hs, 1));
  // Channel counts off the 16-byte vector: odd (scalar path), even but not a multiple of 8 (2-wide).
  v.push_back(conv2d("odd C 3 dw3x3 17x19 b2", H, 2, 3, 17, 19, 3, 1, 1, 0, relu, 0));
  v.push_back(conv2d("odd C 13 dw5x5/2 23x21 b3", H, 3, 13, 23, 21, 5, 2, 1, 0, hs, 0));
  v.push_back(conv2d("odd C 13 dw3x3 fp32 9x11 b2", DENOTRT_FLOAT32, 2, 13, 9, 11, 3, 1, 1, 0, relu, 0));
  // 67 scalar channels run as 3 blocks of 23: the later blocks' filter slices start unaligned (scalar staging).
  v.push_back(conv2d("odd C 67 dw5x5 12x12 b2", H, 2, 67, 12, 12, 5, 1, 1, 0, hs, 0));
  v.push_back(conv2d("C 6 dw3x3/2 15x15 b2 fp32", DENOTRT_FLOAT32, 2, 6, 15, 15, 3, 2, 1, 0, none, 0));
  v.push_back(conv2d("C 20 dw7x7 20x20 b2 bf16", DENOTRT_BFLOAT16, 2, 20, 20, 20, 7, 1, 1, 0, hs, 0));
  // ConvNeXt's 7x7 (dilation 1, both strides).
  v.push_back(conv2d("dw7x7 96 56x56 b8", H, 8, 96, 56, 56, 7, 1, 1, 0, none, 1));
  v.push_back(conv2d("dw7x7/2 40 31x29 b2", H, 2, 40, 31, 29, 7, 2, 1, 0, relu, 0));
  // Asymmetric pads (TF "SAME" at stride 2: nothing before, one after), and only-before pads.
  Case asym = conv2d("asym pads (0,0)-(1,1) dw3x3/2 32 28x28 b4", H, 4, 32, 28, 28, 3, 2, 1, 0, relu, 1);
  asym.pad_begin[0] = asym.pad_begin[1] = 0;
  asym.pad_end[0] = asym.pad_end[1] = 1;
  v.push_back(asym);
  Case asym2 = conv2d("asym pads (2,1)-(0,2) dw5x5 24 13x15 b2", H, 2, 24, 13, 15, 5, 1, 1, 0, hs, 0);
  asym2.pad_begin[0] = 2, asym2.pad_begin[1] = 1, asym2.pad_end[0] = 0, asym2.pad_end[1] = 2;
  v.push_back(asym2);
  // Dilations: along W (generic kernel) and along H only (the unrolled kernel with a run-time row dilation).
  Case dil = conv2d("dilation 2 dw3x3 64 28x28 b4", H, 4, 64, 28, 28, 3, 1, 1, 0, relu, 0);
  dil.dilation[0] = dil.dilation[1] = 2, dil.pad_begin[0] = dil.pad_begin[1] = dil.pad_end[0] = dil.pad_end[1] = 2;
  v.push_back(dil);
  Case dilh = conv2d("dilation (3,1) dw3x3 16 20x20 b2", H, 2, 16, 20, 20, 3, 1, 1, 0, relu, 0);
  dilh.dilation[0] = 3, dilh.pad_begin[0] = dilh.pad_end[0] = 3;
  v.push_back(dilh);
  // Strides that differ per axis, and a stride the unrolled kernel does not cover (3).
  Case st = conv2d("stride (2,1) dw3x3 16 20x18 b2", H, 2, 16, 20, 18, 3, 1, 1, 0, relu, 0);
  st.stride[0] = 2;
  v.push_back(st);
  v.push_back(conv2d("stride 3 dw3x3 24 20x20 b2", H, 2, 24, 20, 20, 3, 3, 1, 0, relu, 0));
  // Kernel sizes off the square 3/5/7: 1x1, 4x4 (generic), 3x5 and 4x5 (kh < kw: unrolled), 5x3 (generic), 40x40
  // (the filter slice does not fit shared memory: read from global).
  v.push_back(conv2d("dw1x1 24 9x9 b2", H, 2, 24, 9, 9, 1, 1, 1, 0, relu, 0));
  v.push_back(conv2d("dw4x4 16 12x12 b2 (pad 1 both ends)", H, 2, 16, 12, 12, 4, 1, 1, 0, relu, 0));
  Case k35 = conv2d("dw3x5 32 14x14 b2", H, 2, 32, 14, 14, 3, 1, 1, 0, relu, 0);
  k35.kernel[1] = 5, k35.pad_begin[1] = k35.pad_end[1] = 2;
  v.push_back(k35);
  Case k45 = conv2d("dw4x5 (kh < kw, padded 2-1) 48 13x13 b2", H, 2, 48, 13, 13, 5, 1, 1, 0, relu, 0);
  k45.kernel[0] = 4, k45.pad_begin[0] = 2, k45.pad_end[0] = 1;
  v.push_back(k45);
  Case k53 = conv2d("dw5x3 (kh > kw: generic) 16 11x11 b2", H, 2, 16, 11, 11, 3, 1, 1, 0, relu, 0);
  k53.kernel[0] = 5, k53.pad_begin[0] = k53.pad_end[0] = 2;
  v.push_back(k53);
  v.push_back(conv2d("dw40x40 16 48x48 b1 (filter from global)", H, 1, 16, 48, 48, 40, 1, 1, 0, relu, 0));
  // 1-D (ONNX Conv over [N, C, L]), unrolled and generic.
  Case d1 = conv2d("1-D k5 64 L100 b4", H, 4, 64, 100, 1, 5, 1, 1, 0, relu, 0);
  d1.spatial = 1, d1.in[0] = 100;
  v.push_back(d1);
  Case d1b = conv2d("1-D k4/2 dilation 2 C 10 L37 b2 fp32", DENOTRT_FLOAT32, 2, 10, 37, 1, 4, 2, 1, 0, none, 0);
  d1b.spatial = 1, d1b.in[0] = 37, d1b.dilation[0] = 2, d1b.pad_begin[0] = 3, d1b.pad_end[0] = 0;
  v.push_back(d1b);
  // Epilogue variants: residual, no bias, other activations.
  v.push_back(conv2d("residual + bias + relu dw3x3 72 28x28 b8", H, 8, 72, 28, 28, 3, 1, 1, 1, relu, 1));
  v.push_back(conv2d("residual, no bias, dw5x5/2 24 15x15 b2", H, 2, 24, 15, 15, 5, 2, 0, 1, none, 0));
  v.push_back(conv2d("no bias dw3x3 64 28x28 b4", H, 4, 64, 28, 28, 3, 1, 0, 0, none, 0));
  dtops::Act clip = dtops::default_act(dtops::U_CLIP);
  clip.alpha = -0.5f, clip.beta = 0.75f;
  dtops::Act hsig = dtops::default_act(dtops::U_HARDSIGMOID);
  hsig.alpha = 0.25f, hsig.beta = 0.4f;
  v.push_back(conv2d("bias + clip(-0.5, 0.75) dw3x3 32 14x14 b2", H, 2, 32, 14, 14, 3, 1, 1, 0, clip, 0));
  v.push_back(conv2d("bias + hardsigmoid(0.25, 0.4) bf16", DENOTRT_BFLOAT16, 2, 32, 14, 14, 3, 1, 1, 0, hsig,
                     0));
  v.push_back(conv2d("bias + silu dw5x5 40 14x14 b2 fp32", DENOTRT_FLOAT32, 2, 40, 14, 14, 5, 1, 1, 0,
                     dtops::default_act(dtops::U_SILU), 0));
  // Pointers one element past the 256-byte alignment: the 16-byte path cannot run, the scalar one must.
  Case mis = conv2d("misaligned x/y/res dw3x3 64 28x28 b2", H, 2, 64, 28, 28, 3, 1, 1, 1, relu, 0);
  mis.misalign = 1;
  v.push_back(mis);
  Case mis2 = conv2d("misaligned (2 elems) fp32 dw5x5/2 16 17x17", DENOTRT_FLOAT32, 2, 16, 17, 17, 5, 2, 1, 1, hs,
                     0);
  mis2.misalign = 2;
  v.push_back(mis2);
  return v;
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  void* cudnn = nullptr;
  denotrt_error err{};
  if (denotrt_cudnn_handle_create(&cudnn, &err) != DENOTRT_OK) {
    printf("cuDNN not loaded (%s): no comparison\n", err.message);
    cudnn = nullptr;
  }
  const int status =
      run_tests("summary (err: relative L2 vs float64 at every output; times: median of 50 back-to-back runs queued "
                "on the GPU; small tensors stay in the 50 MB L2 between runs, so their GB/s can pass HBM's)",
                [&](cudaStream_t s) {
                  for (const Case& cs : all_cases()) run_case(cs, cudnn, s);
                  argument_checks(s);
                });
  if (cudnn) denotrt_cudnn_handle_destroy(cudnn);
  return status;
}
