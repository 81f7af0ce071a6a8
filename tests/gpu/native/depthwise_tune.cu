// Tuning harness for depthwise.cu's Config table: the unrolled kernel at channel vectors V = 8, 4 (fp16) and
// several strip widths, row batches and occupancy bounds on MobileNetV3 shapes at b32; each checked against the
// production launch's bits. Build and run: tests/gpu/native/README.md (depthwise_tune).
#include "cuda_ops/depthwise.cu"  // the production kernels and launchers, instantiated here with other configs
#include <stdio.h>
#include <string.h>
#include <vector>
#include <algorithm>
using namespace dtops;
#define CK(x) do { cudaError_t ck_ = (x); if (ck_) { printf("ERR %s line %d\n", cudaGetErrorString(ck_), __LINE__); exit(2);} } while (0)
typedef int32_t (*LaunchFn)(DwArgs, int64_t, const Tensors<__half>&, cudaStream_t, denotrt_error*, bool*);
struct Var { int v, tw, rb, minb; LaunchFn fn; const void* k; };
#define VX(V, KW, SW, TW, RB, MB) Var{V, TW, RB, MB, &launch_unrolled<__half, V, KW, SW, TW, RB, MB, 256>, (const void*)&dw_nhwc_kernel<__half, V, KW, SW, TW, RB, MB>}
#define SET(K, S, TW, RB) VX(8,K,S,TW,RB,1), VX(8,K,S,TW,RB,2), VX(4,K,S,TW,RB,2), VX(4,K,S,TW,RB,3), VX(4,K,S,TW,RB,4), VX(4,K,S,1,RB,4), VX(4,K,S,2,RB,4), VX(4,K,S,4,RB,4)
std::vector<Var> variants(int k, int s) {
  if (k == 3 && s == 1) return {SET(3, 1, 2, 3), VX(8,3,1,4,3,1), VX(8,3,1,4,1,1), VX(8,3,1,1,3,2)};
  if (k == 3 && s == 2) return {SET(3, 2, 2, 3), VX(8,3,2,1,3,2), VX(8,3,2,1,3,3)};
  if (k == 5 && s == 1) return {SET(5, 1, 2, 1), VX(4,5,1,2,3,3), VX(4,5,1,2,5,2), VX(8,5,1,1,1,2)};
  return {SET(5, 2, 1, 3), VX(4,5,2,1,5,3), VX(4,5,2,2,1,4), VX(8,5,2,1,1,2)};
}
__global__ void spin(long long cycles) { long long t0 = clock64(); while (clock64() - t0 < cycles) {} }
template <typename F> float median_ms(cudaStream_t s, F&& go) {
  for (int i = 0; i < 3; ++i) go();
  cudaEvent_t ev[51]; for (auto& e : ev) CK(cudaEventCreate(&e));
  spin<<<1, 1, 0, s>>>(20000000);
  CK(cudaEventRecord(ev[0], s));
  for (int i = 0; i < 50; ++i) { go(); CK(cudaEventRecord(ev[i + 1], s)); }
  CK(cudaEventSynchronize(ev[50]));
  std::vector<float> t(50); for (int i = 0; i < 50; ++i) CK(cudaEventElapsedTime(&t[i], ev[i], ev[i + 1]));
  for (auto& e : ev) cudaEventDestroy(e);
  std::sort(t.begin(), t.end());
  return t[25];
}
int main(int argc, char** argv) {
  struct Shape { int n, c, h, k, s; } shapes[] = {{32,16,112,3,1},{32,64,112,3,2},{32,72,56,3,1},{32,72,56,5,2},{32,120,28,5,1},{32,240,28,3,2},{32,200,14,3,1},{32,480,14,3,1},{32,672,14,3,1},{32,672,14,5,1},{32,672,14,5,2},{32,960,7,5,1},{1,64,112,3,2},{1,960,7,5,1}};
  cudaStream_t s; CK(cudaStreamCreate(&s));
  printf("fp16; variant V/TW/RB/MINB: median us of 50 (x bytes at 3 TB/s) [regs] * = differs from production\n");
  int only = argc > 1 ? atoi(argv[1]) : -1, idx = -1;
  for (auto sh : shapes) {
    if (++idx != only && only >= 0) continue;
    const int N = sh.n;
    int oh = (sh.h + 2 * ((sh.k - 1) / 2) - sh.k) / sh.s + 1;
    size_t nx = (size_t)N * sh.h * sh.h * sh.c, ny = (size_t)N * oh * oh * sh.c;
    __half *x, *w, *b, *y, *y0;
    CK(cudaMalloc(&x, nx * 2)); CK(cudaMalloc(&y, ny * 2)); CK(cudaMalloc(&y0, ny * 2));
    CK(cudaMalloc(&w, sh.c * 25 * 2)); CK(cudaMalloc(&b, sh.c * 2));
    std::vector<__half> hx(nx); for (size_t i = 0; i < nx; ++i) hx[i] = __float2half((float)((i * 2654435761u) % 1000) / 1000.f - 0.5f);
    CK(cudaMemcpy(x, hx.data(), nx * 2, cudaMemcpyHostToDevice));
    std::vector<__half> hw(sh.c * 25); for (size_t i = 0; i < hw.size(); ++i) hw[i] = __float2half(0.1f * (i % 7) - 0.3f);
    CK(cudaMemcpy(w, hw.data(), hw.size() * 2, cudaMemcpyHostToDevice)); CK(cudaMemcpy(b, hw.data(), sh.c * 2, cudaMemcpyHostToDevice));
    DwArgs a{}; a.c = sh.c; a.ih = a.iw = sh.h; a.oh = a.ow = oh; a.kh = a.kw = sh.k; a.sh = a.sw = sh.s; a.dh = a.dw = 1; a.ph = a.pw = (sh.k - 1) / 2;
    Act act{U_HARDSWISH, 0.f, 0.f};
    ConvDesc d{}; d.spatial=2; d.n=N; d.c=d.k=d.group=sh.c; d.in[0]=d.in[1]=sh.h; d.out[0]=d.out[1]=oh; d.kernel[0]=d.kernel[1]=sh.k; d.stride[0]=d.stride[1]=sh.s; d.pad_begin[0]=d.pad_begin[1]=(sh.k-1)/2; d.dilation[0]=d.dilation[1]=1;
    denotrt_error err{};
    auto prod = [&] { return depthwise_conv_nhwc(DENOTRT_FLOAT16, d, x, w, b, nullptr, act, y0, s, &err); };
    CK((cudaError_t)prod());
    CK(cudaStreamSynchronize(s));
    std::vector<__half> ref(ny), got(ny); CK(cudaMemcpy(ref.data(), y0, ny * 2, cudaMemcpyDeviceToHost));
    double bytes = (nx + ny) * 2.0, bound = bytes / 3e12 * 1e6;
    float tp = median_ms(s, prod) * 1000;
    if (only >= 0 && argc > 2) { printf("prod %.1f us\n", tp); return 0; }
    printf("b%-3d c%-4d %3d k%d s%d %5.1fMB bound %5.1f | prod %5.1f (x%.1f)\n  ", N, sh.c, sh.h, sh.k, sh.s, bytes / 1e6, bound, tp, tp / bound);
    Tensors<__half> t{x, w, b, nullptr, y, act};
    for (auto& v : variants(sh.k, sh.s)) {
      bool launched = false;
      CK(cudaMemset(y, 0, ny * 2));
      auto go = [&] { launched = false; v.fn(a, N, t, s, &err, &launched); };
      float us = median_ms(s, go) * 1000;
      CK(cudaGetLastError());
      CK(cudaMemcpy(got.data(), y, ny * 2, cudaMemcpyDeviceToHost));
      bool same = memcmp(got.data(), ref.data(), ny * 2) == 0;
      cudaFuncAttributes fa; CK(cudaFuncGetAttributes(&fa, v.k));
      printf(" %d/%d/%d/%d %5.1f[%d%s]%s%s |", v.v, v.tw, v.rb, v.minb, us, fa.numRegs, fa.localSizeBytes > 32 ? " LOCAL" : "", same ? "" : "*", launched ? "" : " NOLAUNCH");
    }
    printf("\n");
    cudaFree(x); cudaFree(y); cudaFree(y0); cudaFree(w); cudaFree(b);
  }
  return 0;
}
