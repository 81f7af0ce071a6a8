// ONNX Pad (constant / reflect / edge / wrap), with negative pads cropping. One thread per output element maps
// its coordinate back to the input; the constant is written where the mapping falls outside (constant mode only).
#include "util.cuh"

namespace dtops {

struct PadArgs {
  int32_t rank, mode;
  int64_t in[kMaxRank], out[kMaxRank], begin[kMaxRank];
};

template <typename T>
__global__ void pad_kernel(const T* x, T* y, PadArgs a, T value, int64_t n) {
  DT_GRID_LOOP(i, n) {
    int64_t rem = i, off = 0, stride = 1;
    bool outside = false;
    for (int32_t d = a.rank - 1; d >= 0; --d) {
      int64_t c = rem % a.out[d] - a.begin[d];
      rem /= a.out[d];
      int64_t len = a.in[d];
      if (c < 0 || c >= len) {
        if (a.mode == 0) { outside = true; }
        else if (a.mode == 1) {  // reflect without repeating the edge; period 2(len-1)
          if (len == 1) c = 0;
          else {
            int64_t p = 2 * (len - 1);
            c = ((c % p) + p) % p;
            if (c >= len) c = p - c;
          }
        } else if (a.mode == 2) c = c < 0 ? 0 : len - 1;
        else c = ((c % len) + len) % len;
      }
      off += c * stride;
      stride *= len;
    }
    y[i] = outside ? value : x[off];
  }
}

template <typename T>
static void launch_pad(const void* x, void* y, const PadArgs& a, T v, int64_t n, cudaStream_t s) {
  pad_kernel<T><<<grid_for(n), 256, 0, s>>>((const T*)x, (T*)y, a, v, n);
}

int32_t pad(int32_t dtype, const void* x, const Dims& xd, const int64_t* pads_begin, int32_t mode, double value,
            void* y, const Dims& yd, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::pad";
  if (xd.rank != yd.rank) return DENOTRT_BAD_ARG(err, api, "rank mismatch");
  if (mode < 0 || mode > 3) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "pad mode %d", mode);
  PadArgs a;
  a.rank = xd.rank;
  a.mode = mode;
  for (int32_t i = 0; i < xd.rank; ++i) {
    a.in[i] = xd.d[i];
    a.out[i] = yd.d[i];
    a.begin[i] = pads_begin[i];
    if (xd.d[i] == 0 && yd.d[i] > 0 && mode != 0)
      return DENOTRT_BAD_ARG(err, api, "cannot %s-pad an empty axis", mode == 1 ? "reflect" : "edge");
  }
  int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  switch (dtype) {
    case DENOTRT_FLOAT32: launch_pad<float>(x, y, a, (float)value, n, s); break;
    case DENOTRT_FLOAT16: launch_pad<__half>(x, y, a, __double2half(value), n, s); break;
    case DENOTRT_BFLOAT16: launch_pad<__nv_bfloat16>(x, y, a, __float2bfloat16((float)value), n, s); break;
    case DENOTRT_INT32: launch_pad<int32_t>(x, y, a, (int32_t)value, n, s); break;
    case DENOTRT_INT64: launch_pad<int64_t>(x, y, a, (int64_t)value, n, s); break;
    case DENOTRT_INT8: launch_pad<int8_t>(x, y, a, (int8_t)value, n, s); break;
    case DENOTRT_UINT8: case DENOTRT_BOOL: launch_pad<uint8_t>(x, y, a, (uint8_t)value, n, s); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "Pad on dtype %d", dtype);
  }
  DT_LAUNCH_CHECK(err, "pad_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
