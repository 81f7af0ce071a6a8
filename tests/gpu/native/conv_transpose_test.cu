// Device test of denotrt's own ConvTranspose kernels (c_shim/src/cuda_ops/conv_transpose.cu), standalone (no Deno):
// PP-OCRv4 detection's two head layers (24->24 ch 2x2/2 240->480 + bias + ReLU, 24->1 ch 2x2/2 480->960 + bias +
// Sigmoid) channels-last in fp16, fp32 and bf16, then odd cases: groups (on the tile kernel and the generic one),
// channel counts off the 16-byte vector, stride != kernel, pads, output_padding, dilation, 1-D, a filter staged in
// several passes, no bias, the other activations, a misaligned input, batch > 1, and the NCHW kernel on some of
// them. Each case gets fresh random inputs (never zeros) and is checked at every output against a float64 CPU
// reference; the channels-last launches are also captured into a CUDA graph and replayed (same bits as the eager
// run). PP-OCR's shapes print the median of 50 back-to-back runs of the launcher's choice, of every tile width,
// and of the NCHW kernel (what ran before) on the same sizes. Then argument errors. Exit status 1 on any failure.
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

dtops::Act act_of(int op, float alpha = 0.f, float beta = 0.f) { return dtops::Act{op, alpha, beta}; }

double act_ref(double v, const dtops::Act& a) {
  switch (a.op) {
    case dtops::U_IDENTITY: return v;
    case dtops::U_RELU: return v > 0 ? v : 0;
    case dtops::U_SIGMOID: return 1 / (1 + exp(-v));
    case dtops::U_TANH: return tanh(v);
    case dtops::U_LEAKYRELU: return v >= 0 ? v : a.alpha * v;
    case dtops::U_HARDSWISH: return v * fmin(fmax(v / 6 + 0.5, 0.0), 1.0);
    case dtops::U_CLIP: return fmin(fmax(v, (double)a.alpha), (double)a.beta);
    default: return NAN;
  }
}

// One ConvTranspose: 2-D unless spatial == 1 (then index 0 holds the 1-D geometry).
struct Case {
  const char* name;
  int dtype;
  int64_t n, c, k, group;
  int spatial;
  int64_t in[2], kernel[2], stride[2], pad_begin[2], pad_end[2], dilation[2], out_pad[2];
  int has_bias;
  dtops::Act act;
  int nchw;      // 1: the NCHW kernel (x, y [N, C, H, W]); 0: channels-last
  int timed;     // 1: medians of the launcher's choice, of every tile width, and of the NCHW kernel
  int misalign;  // x and y start this many elements past a 256-byte boundary
  const char* want_kernel;  // conv_transpose_nhwc_kernel's answer for a channels-last case, or null

  // Variations on ct2d's square geometry, chained onto it: ct2d(...).grouped(2).nchw_kernel().
  Case& grouped(int64_t g) { return group = g, *this; }
  Case& one_d() { return spatial = 1, *this; }  // the geometry ct2d put at index 0 (h) is the length
  Case& no_bias() { return has_bias = 0, *this; }
  Case& nchw_kernel() { return nchw = 1, *this; }
  Case& misaligned(int elems) { return misalign = elems, *this; }
  Case& dilated(int64_t dh, int64_t dw) { return dilation[0] = dh, dilation[1] = dw, *this; }
  // Axis i's own kernel, stride, pads and output_padding (where H and W differ).
  Case& axis(int i, int64_t kern, int64_t str, int64_t pb, int64_t pe, int64_t op) {
    return kernel[i] = kern, stride[i] = str, pad_begin[i] = pb, pad_end[i] = pe, out_pad[i] = op, *this;
  }
};

Case ct2d(const char* name, int dtype, int64_t n, int64_t c, int64_t k, int64_t h, int64_t w, int64_t kernel,
          int64_t stride, int64_t pad, int64_t out_pad, dtops::Act act) {
  Case cs{};
  cs.name = name, cs.dtype = dtype, cs.n = n, cs.c = c, cs.k = k, cs.group = 1, cs.spatial = 2;
  cs.in[0] = h, cs.in[1] = w;
  for (int i = 0; i < 2; ++i) {
    cs.kernel[i] = kernel, cs.stride[i] = stride, cs.pad_begin[i] = cs.pad_end[i] = pad, cs.dilation[i] = 1;
    cs.out_pad[i] = out_pad;
  }
  cs.has_bias = 1, cs.act = act;
  return cs;
}

int64_t out_size(const Case& cs, int i) {
  return cs.stride[i] * (cs.in[i] - 1) + cs.out_pad[i] + (cs.kernel[i] - 1) * cs.dilation[i] + 1 - cs.pad_begin[i] -
         cs.pad_end[i];
}

dtops::ConvDesc conv_desc(const Case& cs) {
  dtops::ConvDesc d = conv_axes(cs, out_size);
  d.n = cs.n, d.c = cs.c, d.k = cs.k, d.group = cs.group;
  return d;
}

// float64 reference by scattering every input pixel through every tap (the definition, not the kernels' gather);
// x and y channels-last unless cs.nchw. Returns the relative L2 error of y.
double check(const Case& cs, const Buf& x, const Buf& w, const Buf& bias, const std::vector<double>& y) {
  const Geo2 g = geo2(conv_desc(cs));
  const int64_t C = cs.c, K = cs.k, cg = C / cs.group, kg = K / cs.group, taps = g.kh * g.kw;
  auto xi = [&](int64_t n, int64_t c, int64_t h, int64_t wd) {
    return cs.nchw ? ((n * C + c) * g.ih + h) * g.iw + wd : ((n * g.ih + h) * g.iw + wd) * C + c;
  };
  auto yi = [&](int64_t n, int64_t k, int64_t h, int64_t wd) {
    return cs.nchw ? ((n * K + k) * g.oh + h) * g.ow + wd : ((n * g.oh + h) * g.ow + wd) * K + k;
  };
  std::vector<double> ref((size_t)(cs.n * K * g.oh * g.ow), 0.0);
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t ih = 0; ih < g.ih; ++ih)
      for (int64_t iw = 0; iw < g.iw; ++iw)
        for (int64_t r = 0; r < g.kh; ++r) {
          const int64_t oh = ih * g.sh - g.ph + r * g.dh;
          if (oh < 0 || oh >= g.oh) continue;
          for (int64_t q = 0; q < g.kw; ++q) {
            const int64_t ow = iw * g.sw - g.pw + q * g.dw;
            if (ow < 0 || ow >= g.ow) continue;
            for (int64_t k = 0; k < K; ++k) {
              const int64_t grp = k / kg, kk = k % kg;
              double acc = 0;
              for (int64_t c = grp * cg; c < (grp + 1) * cg; ++c)
                acc += x.v[(size_t)xi(n, c, ih, iw)] * w.v[(size_t)((c * kg + kk) * taps + r * g.kw + q)];
              ref[(size_t)yi(n, k, oh, ow)] += acc;
            }
          }
        }
  double num = 0, den = 0;
  for (int64_t n = 0; n < cs.n; ++n)
    for (int64_t k = 0; k < K; ++k)
      for (int64_t oh = 0; oh < g.oh; ++oh)
        for (int64_t ow = 0; ow < g.ow; ++ow) {
          const size_t i = (size_t)yi(n, k, oh, ow);
          const double want = act_ref(ref[i] + (cs.has_bias ? bias.v[(size_t)k] : 0.0), cs.act);
          num += (y[i] - want) * (y[i] - want);  // a NaN (an unwritten output) fails the comparison below
          den += want * want;
        }
  return sqrt(num / (den > 0 ? den : 1));
}

int32_t launch(const Case& cs, const dtops::ConvDesc& d, const Buf& x, const Buf& w, const void* bias, void* y,
               cudaStream_t s, denotrt_error* err, int32_t tile = 0) {
  return cs.nchw ? dtops::conv_transpose(cs.dtype, d, x.dev, w.dev, bias, cs.act, y, s, err)
                 : dtops::conv_transpose_nhwc(cs.dtype, d, x.dev, w.dev, bias, cs.act, y, s, err, tile);
}

void run_case(const Case& cs, cudaStream_t s) {
  const double tol = cs.dtype == DENOTRT_FLOAT32 ? 1e-5 : 2e-2;
  const dtops::ConvDesc d = conv_desc(cs);
  const Geo2 g = geo2(d);
  const size_t nx = (size_t)(cs.n * g.ih * g.iw * cs.c), ny = (size_t)(cs.n * g.oh * g.ow * cs.k);
  const size_t nw = (size_t)(cs.c * (cs.k / cs.group) * g.kh * g.kw);
  // Outputs of order 1: each output sums about cg * taps / (stride area) products.
  const double reach = (double)(cs.c / cs.group) * (double)(g.kh * g.kw) / (double)(g.sh * g.sw);
  Buf x, w, bias;
  make_buf(&x, nx, 1.f, cs.dtype, cs.misalign);
  make_buf(&w, nw, (float)(1.7 / sqrt(reach > 1 ? reach : 1)), cs.dtype, 0);
  make_buf(&bias, (size_t)cs.k, 0.5f, cs.dtype, 0);
  uint8_t* ybase[2];
  void* y[2];
  for (int i = 0; i < 2; ++i) y[i] = make_output(&ybase[i], ny, cs.dtype, cs.misalign);  // eager, graph replay
  const void* bias_dev = cs.has_bias ? bias.dev : nullptr;
  denotrt_error err{};
  char row[900];
  static const size_t kPrefix = strlen("dtops_conv_transpose_");
  const char* kernel = cs.nchw ? "nchw" : dtops::conv_transpose_nhwc_kernel(cs.dtype, d) + kPrefix;
  int pos = snprintf(row, sizeof row, "%-50s %-4s %-12s", cs.name, dtype_name(cs.dtype), kernel);
  if (cs.want_kernel && strcmp(dtops::conv_transpose_nhwc_kernel(cs.dtype, d), cs.want_kernel) != 0) {
    char m[300];
    snprintf(m, sizeof m, "%s: kernel %s, expected %s", cs.name, dtops::conv_transpose_nhwc_kernel(cs.dtype, d),
             cs.want_kernel);
    fail(m);
  }

  int32_t rc = launch(cs, d, x, w, bias_dev, y[0], s, &err);
  CUDA_OK(cudaStreamSynchronize(s));
  if (launched(cs.name, rc, err, row, sizeof row, pos)) {
    pos = append_error(cs.name, check(cs, x, w, bias, download(y[0], ny, cs.dtype)), tol, row, sizeof row, pos);
    // Captured into a CUDA graph and replayed into the second output: the launcher must stay capturable.
    const char* graph = graph_replay(
        s, [&] { return launch(cs, d, x, w, bias_dev, y[1], s, &err) == DENOTRT_OK; }, y[0], y[1],
        ny * esize(cs.dtype), "conv_transpose under stream capture");
    if (graph) pos += snprintf(row + pos, sizeof row - pos, " graph %s", graph);

    if (cs.timed) {
      const double bytes = (double)(nx + ny + nw + (cs.has_bias ? cs.k : 0)) * esize(cs.dtype);
      const double bound_ms = bytes / kHbmBytesPerS * 1e3;
      const float ms = median_ms(s, [&] { return launch(cs, d, x, w, bias_dev, y[0], s, &err) == DENOTRT_OK; });
      append_bandwidth(ms, bytes, row, sizeof row, pos);
      add_row(row);
      // Every tile width on the same data: correctness, then the median (the launcher's pick is one of them).
      if (!cs.nchw && strcmp(kernel, "nhwc_tile") == 0) {
        for (int nb : {2, 4, 8, 16, 24, 32, 48, 64}) {
          if (nb < cs.k * g.kw / 4) continue;  // tiny tiles over wide runs: slow by design
          rc = launch(cs, d, x, w, bias_dev, y[1], s, &err, nb);
          CUDA_OK(cudaStreamSynchronize(s));
          const double te = rc == DENOTRT_OK ? check(cs, x, w, bias, download(y[1], ny, cs.dtype)) : 1e9;
          if (!(te <= tol)) {
            char m[300];
            snprintf(m, sizeof m, "%s: tile width %d: relative L2 error %.3e", cs.name, nb, te);
            fail(m);
          }
          const float tms =
              median_ms(s, [&] { return launch(cs, d, x, w, bias_dev, y[1], s, &err, nb) == DENOTRT_OK; });
          snprintf(row, sizeof row, "    tile width %-2d: err %.1e %8.4f ms (x%.2f of the bound)", nb, te, tms,
                   tms / bound_ms);
          add_row(row);
        }
      }
      // What ran before: the NCHW kernel on NCHW data of the same sizes (times only; NCHW correctness is checked
      // on its own cases).
      if (!cs.nchw) {
        Case nc = cs;
        nc.nchw = 1;
        const float nms = median_ms(s, [&] { return launch(nc, d, x, w, bias_dev, y[1], s, &err) == DENOTRT_OK; });
        snprintf(row, sizeof row, "    NCHW kernel (before): %8.4f ms, channels-last is x%.1f faster", nms, nms / ms);
        add_row(row);
      }
      row[0] = 0;
    }
  }
  if (row[0]) add_row(row);
  Buf* bufs[3] = {&x, &w, &bias};
  for (Buf* b : bufs) cudaFree(b->base);
  for (auto p : ybase) cudaFree(p);
}

// Bad descriptors: typed errors with a message, nothing launched.
void argument_checks(cudaStream_t s) {
  Case cs = ct2d("args", DENOTRT_FLOAT16, 1, 16, 16, 8, 8, 2, 2, 0, 0, act_of(dtops::U_RELU));
  const dtops::ConvDesc base = conv_desc(cs);
  struct Bad {
    const char* what;
    dtops::ConvDesc d;
    int32_t tile;
    int32_t want;
  } bad[5];
  bad[0] = {"group 3 does not divide C 16", base, 0, DENOTRT_INVALID_ARGUMENT};
  bad[0].d.group = 3;
  bad[1] = {"3-D ConvTranspose", base, 0, DENOTRT_UNSUPPORTED};
  bad[1].d.spatial = 3;
  bad[2] = {"stride 0", base, 0, DENOTRT_INVALID_ARGUMENT};
  bad[2].d.stride[1] = 0;
  bad[3] = {"tile width 5", base, 5, DENOTRT_INVALID_ARGUMENT};
  bad[4] = {"output too large for int32 indexing", base, 0, DENOTRT_INVALID_ARGUMENT};
  bad[4].d.out[0] = bad[4].d.out[1] = 1 << 15;
  bad[4].d.k = 1 << 12;
  void* buf;
  CUDA_OK(cudaMalloc(&buf, 1 << 16));
  for (const Bad& b : bad) {
    denotrt_error err{};
    const int32_t rc = dtops::conv_transpose_nhwc(DENOTRT_FLOAT16, b.d, buf, buf, nullptr, act_of(dtops::U_RELU),
                                                  buf, s, &err, b.tile);
    const bool ok = rc == b.want && err.message[0] != 0;
    char row[400];
    snprintf(row, sizeof row, "%-50s -> %s: %s %s", b.what, denotrt_status_name(rc), err.message, ok ? "ok" : "FAIL");
    add_row(row);
    if (!ok) fail(b.what);
  }
  CUDA_OK(cudaStreamSynchronize(s));
  cudaFree(buf);
}

std::vector<Case> all_cases() {
  const int H = DENOTRT_FLOAT16, F = DENOTRT_FLOAT32, B = DENOTRT_BFLOAT16;
  const dtops::Act relu = act_of(dtops::U_RELU), sig = act_of(dtops::U_SIGMOID), none = act_of(dtops::U_IDENTITY);
  const char* tile = "dtops_conv_transpose_nhwc_tile";
  const char* generic = "dtops_conv_transpose_nhwc_generic";
  std::vector<Case> v;
  auto add = [&](Case c, const char* want, int timed = 0) {
    c.want_kernel = want;
    c.timed = timed;
    v.push_back(c);
  };
  // PP-OCRv4 detection's head at 960x960, as the folded and fused plan runs it.
  add(ct2d("ppocr ConvTranspose.0 24->24 2x2/2 240->480 +relu", H, 1, 24, 24, 240, 240, 2, 2, 0, 0, relu), tile, 1);
  add(ct2d("ppocr ConvTranspose.2 24->1 2x2/2 480->960 +sigmoid", H, 1, 24, 1, 480, 480, 2, 2, 0, 0, sig), tile, 1);
  add(ct2d("ppocr ConvTranspose.0 fp32", F, 1, 24, 24, 240, 240, 2, 2, 0, 0, relu), tile, 1);
  add(ct2d("ppocr ConvTranspose.2 fp32", F, 1, 24, 1, 480, 480, 2, 2, 0, 0, sig), tile);
  add(ct2d("ppocr ConvTranspose.0 bf16", B, 1, 24, 24, 240, 240, 2, 2, 0, 0, relu), tile);
  add(ct2d("ppocr ConvTranspose.2 bf16", B, 1, 24, 1, 480, 480, 2, 2, 0, 0, sig), tile);
  // The tile kernel elsewhere: batch 3, a run of 24 (K 12), U-Net's 2x2/2 with a filter staged in two passes
  // (C 256 > the 184 channels one pass holds at tile width 64), 3x3/3, 1x1/1, 1-D 2/2, no bias.
  add(ct2d("b3 32->12 2x2/2 17x19 (run 24)", H, 3, 32, 12, 17, 19, 2, 2, 0, 0, relu), tile);
  add(ct2d("unet 256->128 2x2/2 16x16 b2 (two staging passes)", H, 2, 256, 128, 16, 16, 2, 2, 0, 0, relu), tile, 1);
  add(ct2d("unet 256->128 2x2/2 fp32 9x7 (two passes)", F, 1, 256, 128, 9, 7, 2, 2, 0, 0, none), tile);
  add(ct2d("3x3/3 16->40 11x9 (tiles of 64 over a run of 120)", H, 2, 16, 40, 11, 9, 3, 3, 0, 0, relu), tile);
  add(ct2d("1x1/1 8->5 6x7 bf16 (a plain 1x1)", B, 2, 8, 5, 6, 7, 1, 1, 0, 0, none), tile);
  add(ct2d("1-D k2/2 16->6 L37 fp32", F, 2, 16, 6, 37, 1, 2, 2, 0, 0, relu).one_d(), tile);
  add(ct2d("no bias 24->24 2x2/2 30x30", H, 1, 24, 24, 30, 30, 2, 2, 0, 0, relu).no_bias(), tile);
  // Groups: whole 8-channel groups on the tile kernel, 4-channel ones (fp16) on the generic kernel.
  add(ct2d("group 2 16->16 2x2/2 13x11", H, 2, 16, 16, 13, 11, 2, 2, 0, 0, relu).grouped(2), tile);
  add(ct2d("group 4 32->12 2x2/2 10x10 fp32", F, 1, 32, 12, 10, 10, 2, 2, 0, 0, none).grouped(4), tile);
  add(ct2d("group 3 12->6 3x3/2 pad 1 op 1 9x8", H, 2, 12, 6, 9, 8, 3, 2, 1, 1, relu).grouped(3), generic);
  add(ct2d("depthwise 8->8 group 8 4x4/2 pad 1 bf16", B, 1, 8, 8, 12, 12, 4, 2, 1, 0, relu).grouped(8), generic);
  // Channel counts off the 16-byte vector: the generic kernel, one channel per load.
  add(ct2d("C 12 2x2/2 fp16 (not a multiple of 8)", H, 1, 12, 12, 20, 20, 2, 2, 0, 0, relu), generic);
  add(ct2d("C 3 -> K 5 2x2/2 fp32", F, 2, 3, 5, 9, 11, 2, 2, 0, 0, none), generic);
  add(ct2d("C 20 -> K 7 2x2/2 bf16", B, 1, 20, 7, 14, 10, 2, 2, 0, 0, relu), generic);
  // Stride != kernel, pads, output_padding, dilation: the generic kernel.
  add(ct2d("3x3/2 pad 1 op 1 24->16 (the 'same' upsample)", H, 2, 24, 16, 20, 18, 3, 2, 1, 1, relu), generic, 1);
  add(ct2d("4x4/2 pad 1 64->32 (DCGAN) fp32", F, 2, 64, 32, 8, 8, 4, 2, 1, 0, relu), generic);
  add(ct2d("3x3/1 pad 1 16->8", H, 1, 16, 8, 12, 13, 3, 1, 1, 0, none), generic);
  add(ct2d("2x2/3 (gaps: outputs no tap reaches) 8->8", H, 1, 8, 8, 7, 6, 2, 3, 0, 0, relu), generic);
  add(ct2d("2x2/2 pad 1 (stride == kernel, padded) 16->8", H, 1, 16, 8, 10, 10, 2, 2, 1, 0, relu), generic);
  add(ct2d("2x2/2 output_padding 1 16->8", H, 1, 16, 8, 10, 10, 2, 2, 0, 1, relu), generic);
  add(ct2d("3x3/2 pads (1,0)-(0,2) op (1,0) 16->8", H, 2, 16, 8, 9, 11, 3, 2, 0, 0, relu)
          .axis(0, 3, 2, 1, 0, 1)
          .axis(1, 3, 2, 0, 2, 0),
      generic);
  add(ct2d("3x3/2 dilation 2 pad 2 16->8", H, 2, 16, 8, 9, 9, 3, 2, 2, 1, relu).dilated(2, 2), generic);
  add(ct2d("stride (2,1) kernel (2,3) pad (0,1) 8->16", F, 1, 8, 16, 7, 9, 2, 2, 0, 0, none).axis(1, 3, 1, 1, 1, 0),
      generic);
  add(ct2d("1-D k4/2 pad 1 dilation 2 16->8", H, 2, 16, 8, 23, 1, 4, 2, 1, 0, relu).one_d().dilated(2, 1), generic);
  // A big filter (64 * 64 * 16 fp32 = 256 KB): read through the read-only cache, not shared memory.
  add(ct2d("4x4/2 pad 1 64->64 big filter (from global)", H, 1, 64, 64, 10, 10, 4, 2, 1, 0, relu), generic);
  // Other activations through the call path, and a misaligned input (no 16-byte loads: the generic kernel).
  add(ct2d("2x2/2 +leakyrelu(0.2) 16->16", H, 1, 16, 16, 9, 9, 2, 2, 0, 0, act_of(dtops::U_LEAKYRELU, 0.2f)), tile);
  add(ct2d("2x2/2 +hardswish 16->16 fp32", F, 1, 16, 16, 9, 9, 2, 2, 0, 0, act_of(dtops::U_HARDSWISH)), tile);
  add(ct2d("2x2/2 +clip(-0.3,0.6) 16->8", H, 1, 16, 8, 9, 9, 2, 2, 0, 0, act_of(dtops::U_CLIP, -0.3f, 0.6f)), tile);
  add(ct2d("3x3/2 +tanh 16->8 bf16", B, 1, 16, 8, 9, 9, 3, 2, 1, 1, act_of(dtops::U_TANH)), generic);
  add(ct2d("misaligned x/y 24->24 2x2/2", H, 1, 24, 24, 15, 15, 2, 2, 0, 0, relu).misaligned(1), nullptr);
  // The NCHW kernel (layers left NCHW), with the epilogue.
  add(ct2d("NCHW 24->24 2x2/2 40x40 +relu", H, 1, 24, 24, 40, 40, 2, 2, 0, 0, relu).nchw_kernel(), nullptr);
  add(ct2d("NCHW group 3 12->6 3x3/2 pad 1 op 1 +sigmoid fp32", F, 2, 12, 6, 9, 8, 3, 2, 1, 1, sig)
          .nchw_kernel()
          .grouped(3),
      nullptr);
  add(ct2d("NCHW 1-D k4/2 pad 1 dilation 2 bf16", B, 2, 16, 8, 23, 1, 4, 2, 1, 0, act_of(dtops::U_TANH))
          .nchw_kernel()
          .one_d()
          .dilated(2, 1),
      nullptr);
  return v;
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  return run_tests("summary (err: relative L2 vs float64 at every output; times: median of 50 back-to-back runs "
                   "queued on the GPU; small tensors stay in the 50 MB L2 between runs, so their GB/s can pass HBM's)",
                   [](cudaStream_t s) {
                     for (const Case& cs : all_cases()) run_case(cs, s);
                     argument_checks(s);
                   });
}
