// ONNX Cast between the numeric dtypes. Floats go through fp32 (fp64 through double); float -> int truncates
// toward zero as C and onnxruntime do; anything -> bool is (v != 0).
#include "util.cuh"

namespace dtops {

template <typename S> __device__ __forceinline__ double load_d(S v) { return (double)v; }
template <> __device__ __forceinline__ double load_d<__half>(__half v) { return (double)__half2float(v); }
template <> __device__ __forceinline__ double load_d<__nv_bfloat16>(__nv_bfloat16 v) { return (double)__bfloat162float(v); }
template <typename D> __device__ __forceinline__ D store_d(double v) { return (D)v; }
template <> __device__ __forceinline__ __half store_d<__half>(double v) { return __float2half_rn((float)v); }
template <> __device__ __forceinline__ __nv_bfloat16 store_d<__nv_bfloat16>(double v) { return __float2bfloat16_rn((float)v); }

template <typename S, typename D, bool kToBool>
__global__ void cast_kernel(const S* x, D* y, int64_t n) {
  DT_GRID_LOOP(i, n) {
    if constexpr (kToBool) y[i] = (D)(load_d(x[i]) != 0.0);
    else y[i] = store_d<D>(load_d(x[i]));
  }
}

// Integer -> integer stays in int64 so large values survive (double has 53 bits).
template <typename S, typename D>
__global__ void cast_int_kernel(const S* x, D* y, int64_t n) {
  DT_GRID_LOOP(i, n) y[i] = (D)(int64_t)x[i];
}

static bool is_int(int32_t t) {
  return t == DENOTRT_INT32 || t == DENOTRT_INT64 || t == DENOTRT_INT8 || t == DENOTRT_UINT8;
}

template <typename S, typename D>
static void launch_cast(int32_t st, int32_t dt, const void* x, void* y, int64_t n, cudaStream_t s) {
  if (dt == DENOTRT_BOOL) cast_kernel<S, D, true><<<grid_for(n), 256, 0, s>>>((const S*)x, (D*)y, n);
  else if (is_int(st) && is_int(dt)) cast_int_kernel<S, D><<<grid_for(n), 256, 0, s>>>((const S*)x, (D*)y, n);
  else cast_kernel<S, D, false><<<grid_for(n), 256, 0, s>>>((const S*)x, (D*)y, n);
}

#define DT_CAST_DST(S)                                                                       \
  switch (dst) {                                                                             \
    case DENOTRT_FLOAT32: launch_cast<S, float>(src, dst, x, y, n, s); break;                \
    case DENOTRT_FLOAT16: launch_cast<S, __half>(src, dst, x, y, n, s); break;               \
    case DENOTRT_BFLOAT16: launch_cast<S, __nv_bfloat16>(src, dst, x, y, n, s); break;       \
    case DENOTRT_FLOAT64: launch_cast<S, double>(src, dst, x, y, n, s); break;               \
    case DENOTRT_INT32: launch_cast<S, int32_t>(src, dst, x, y, n, s); break;                \
    case DENOTRT_INT64: launch_cast<S, int64_t>(src, dst, x, y, n, s); break;                \
    case DENOTRT_INT8: launch_cast<S, int8_t>(src, dst, x, y, n, s); break;                  \
    case DENOTRT_UINT8: case DENOTRT_BOOL: launch_cast<S, uint8_t>(src, dst, x, y, n, s); break; \
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "dtops::cast", "", "cast to dtype %d", dst); \
  }

int32_t cast(int32_t src, const void* x, int32_t dst, void* y, int64_t n, cudaStream_t s, denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  switch (src) {
    case DENOTRT_FLOAT32: DT_CAST_DST(float); break;
    case DENOTRT_FLOAT16: DT_CAST_DST(__half); break;
    case DENOTRT_BFLOAT16: DT_CAST_DST(__nv_bfloat16); break;
    case DENOTRT_FLOAT64: DT_CAST_DST(double); break;
    case DENOTRT_INT32: DT_CAST_DST(int32_t); break;
    case DENOTRT_INT64: DT_CAST_DST(int64_t); break;
    case DENOTRT_INT8: DT_CAST_DST(int8_t); break;
    case DENOTRT_UINT8: case DENOTRT_BOOL: DT_CAST_DST(uint8_t); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "dtops::cast", "", "cast from dtype %d", src);
  }
  DT_LAUNCH_CHECK(err, "cast_kernel");
  return DENOTRT_OK;
}

template <typename D>
__global__ void fill_kernel(D* y, D v, int64_t n) {
  DT_GRID_LOOP(i, n) y[i] = v;
}

int32_t fill(int32_t dtype, double value, void* y, int64_t n, cudaStream_t s, denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  switch (dtype) {
    case DENOTRT_FLOAT32: fill_kernel<<<grid_for(n), 256, 0, s>>>((float*)y, (float)value, n); break;
    case DENOTRT_FLOAT16: fill_kernel<<<grid_for(n), 256, 0, s>>>((__half*)y, __float2half_rn((float)value), n); break;
    case DENOTRT_BFLOAT16: fill_kernel<<<grid_for(n), 256, 0, s>>>((__nv_bfloat16*)y, __float2bfloat16_rn((float)value), n); break;
    case DENOTRT_FLOAT64: fill_kernel<<<grid_for(n), 256, 0, s>>>((double*)y, value, n); break;
    case DENOTRT_INT32: fill_kernel<<<grid_for(n), 256, 0, s>>>((int32_t*)y, (int32_t)value, n); break;
    case DENOTRT_INT64: fill_kernel<<<grid_for(n), 256, 0, s>>>((int64_t*)y, (int64_t)value, n); break;
    case DENOTRT_INT8: fill_kernel<<<grid_for(n), 256, 0, s>>>((int8_t*)y, (int8_t)value, n); break;
    case DENOTRT_UINT8: case DENOTRT_BOOL: fill_kernel<<<grid_for(n), 256, 0, s>>>((uint8_t*)y, (uint8_t)value, n); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "dtops::fill", "", "fill of dtype %d", dtype);
  }
  DT_LAUNCH_CHECK(err, "fill_kernel");
  return DENOTRT_OK;
}

template <typename D>
__global__ void range_kernel(D* y, double start, double delta, int64_t n) {
  DT_GRID_LOOP(i, n) y[i] = store_d<D>(start + (double)i * delta);
}

int32_t range(int32_t dtype, double start, double delta, void* y, int64_t n, cudaStream_t s, denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  switch (dtype) {
    case DENOTRT_FLOAT32: range_kernel<<<grid_for(n), 256, 0, s>>>((float*)y, start, delta, n); break;
    case DENOTRT_FLOAT16: range_kernel<<<grid_for(n), 256, 0, s>>>((__half*)y, start, delta, n); break;
    case DENOTRT_FLOAT64: range_kernel<<<grid_for(n), 256, 0, s>>>((double*)y, start, delta, n); break;
    case DENOTRT_INT32: range_kernel<<<grid_for(n), 256, 0, s>>>((int32_t*)y, start, delta, n); break;
    case DENOTRT_INT64: range_kernel<<<grid_for(n), 256, 0, s>>>((int64_t*)y, start, delta, n); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "dtops::range", "", "Range of dtype %d", dtype);
  }
  DT_LAUNCH_CHECK(err, "range_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
