// The layout conversions of NHWC plans, [N][A][B] -> [N][B][A] (NCHW -> NHWC is A = C, B = H*W; back is A = H*W,
// B = C): 32x32 tiles through shared memory, so that both the reads and the writes are coalesced. The generic
// strided copy (copy_view) writes one scattered element per thread; this runs at memory bandwidth.
//
// The same kernels may also convert the element type on the way (transpose_layout_cast): a plan's fp32 input cast
// to fp16 and laid out NHWC is then one pass over memory instead of two (TensorRT's input "reformat" layer).
#include <type_traits>

#include "util.cuh"

namespace dtops {

// Same type: the bits move untouched (byte-sized stand-ins for any dtype); else through float.
template <typename Tout, typename Tin>
__device__ __forceinline__ Tout convert(Tin v) {
  if constexpr (std::is_same<Tin, Tout>::value) return v;
  else return from_f<Tout>(to_f(v));
}

template <typename Tin, typename Tout>
__global__ void transpose_tiled_kernel(const Tin* __restrict__ x, Tout* __restrict__ y, int64_t a, int64_t b) {
  __shared__ Tout tile[32][33];  // +1 column: no bank conflicts on the transposed read
  const int64_t n = blockIdx.z;
  const int64_t a0 = (int64_t)blockIdx.y * 32, b0 = (int64_t)blockIdx.x * 32;
  const Tin* xn = x + n * a * b;
  Tout* yn = y + n * a * b;
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    int64_t ai = a0 + r, bi = b0 + threadIdx.x;
    if (ai < a && bi < b) tile[r][threadIdx.x] = convert<Tout>(xn[ai * b + bi]);
  }
  __syncthreads();
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    int64_t bi = b0 + r, ai = a0 + threadIdx.x;
    if (ai < a && bi < b) yn[bi * a + ai] = tile[threadIdx.x][r];
  }
}

// [N][A][B] -> [N][B][A] with a small A (an image's 3 channels into NHWC): one thread per (n, b) moves its A
// elements; reads are coalesced across threads, each thread writes A contiguous elements.
template <typename Tin, typename Tout>
__global__ void transpose_small_a_kernel(const Tin* __restrict__ x, Tout* __restrict__ y, int64_t n, int64_t a,
                                         int64_t b) {
  DT_GRID_LOOP(i, n * b) {
    int64_t nb = i / b, bi = i % b;
    const Tin* src = x + nb * a * b + bi;
    Tout* dst = y + i * a;
    for (int64_t k = 0; k < a; ++k) dst[k] = convert<Tout>(src[k * b]);
  }
}

// Splits a 4-D perm [0,2,3,1] or [0,3,1,2] into the [N][A][B] view; false for any other perm.
static bool layout_view(const Dims& xd, const int32_t* perm, int64_t* n, int64_t* a, int64_t* b) {
  if (xd.rank != 4 || perm[0] != 0) return false;
  if (perm[1] == 2 && perm[2] == 3 && perm[3] == 1) { *a = xd.d[1]; *b = xd.d[2] * xd.d[3]; }
  else if (perm[1] == 3 && perm[2] == 1 && perm[3] == 2) { *a = xd.d[1] * xd.d[2]; *b = xd.d[3]; }
  else return false;
  *n = xd.d[0];
  return true;
}

template <typename Tin, typename Tout>
static bool launch_layout(const void* x, void* y, int64_t n, int64_t a, int64_t b, cudaStream_t s, int32_t* rc,
                          denotrt_error* err) {
  const char* kernel;
  if (a <= 8) {
    transpose_small_a_kernel<Tin, Tout><<<grid_for(n * b), 256, 0, s>>>((const Tin*)x, (Tout*)y, n, a, b);
    kernel = "transpose_small_a_kernel";
  } else {
    if (n > 65535 || (a + 31) / 32 > 65535) return false;
    dim3 grid((unsigned)((b + 31) / 32), (unsigned)((a + 31) / 32), (unsigned)n), block(32, 8);
    transpose_tiled_kernel<Tin, Tout><<<grid, block, 0, s>>>((const Tin*)x, (Tout*)y, a, b);
    kernel = "transpose_tiled_kernel";
  }
  cudaError_t ce = cudaGetLastError();
  *rc = ce == cudaSuccess ? DENOTRT_OK : denotrt_cuda_fail(err, (int)ce, kernel);
  return true;
}

// True when it handled the transpose (4-D perm [0,2,3,1] or [0,3,1,2] of 1, 2, 4 or 8-byte elements).
bool transpose_layout(size_t elem, const void* x, const Dims& xd, const int32_t* perm, void* y, cudaStream_t s,
                      int32_t* rc, denotrt_error* err) {
  int64_t n, a, b;
  if (!layout_view(xd, perm, &n, &a, &b)) return false;
  if (n <= 0 || a <= 0 || b <= 0) { *rc = DENOTRT_OK; return true; }
  if (a == 1 || b == 1) {  // one channel, or a 1x1 map: every element stays at its offset
    cudaError_t ce = x == y ? cudaSuccess : cudaMemcpyAsync(y, x, (size_t)(n * a * b) * elem, cudaMemcpyDeviceToDevice, s);
    *rc = ce == cudaSuccess ? DENOTRT_OK : denotrt_cuda_fail(err, (int)ce, "cudaMemcpyAsync (a layout-trivial transpose)");
    return true;
  }
  switch (elem) {
    case 1: return a > 8 && launch_layout<uint8_t, uint8_t>(x, y, n, a, b, s, rc, err);
    case 2: return launch_layout<uint16_t, uint16_t>(x, y, n, a, b, s, rc, err);
    case 4: return launch_layout<uint32_t, uint32_t>(x, y, n, a, b, s, rc, err);
    case 8: return a > 8 && launch_layout<uint64_t, uint64_t>(x, y, n, a, b, s, rc, err);
    default: return false;
  }
}

bool transpose_layout_cast(int32_t src_dtype, const void* x, const Dims& xd, const int32_t* perm, int32_t dst_dtype,
                           void* y, cudaStream_t s, int32_t* rc, denotrt_error* err) {
  int64_t n, a, b;
  if (!layout_view(xd, perm, &n, &a, &b)) return false;
  if (n <= 0 || a <= 0 || b <= 0) { *rc = DENOTRT_OK; return true; }
  // One channel (a detector's probability map) or a 1x1 map: a plain vectorized cast (the tiled kernel would move
  // 32 elements per block: PP-OCR's [1,1,960,960] output took 60 us).
  if (a == 1 || b == 1) {
    *rc = cast(src_dtype, x, dst_dtype, y, n * a * b, s, err);
    return true;
  }
  if (src_dtype == DENOTRT_FLOAT32 && dst_dtype == DENOTRT_FLOAT16)
    return launch_layout<float, __half>(x, y, n, a, b, s, rc, err);
  if (src_dtype == DENOTRT_FLOAT16 && dst_dtype == DENOTRT_FLOAT32)
    return launch_layout<__half, float>(x, y, n, a, b, s, rc, err);
  if (src_dtype == DENOTRT_FLOAT32 && dst_dtype == DENOTRT_BFLOAT16)
    return launch_layout<float, __nv_bfloat16>(x, y, n, a, b, s, rc, err);
  return false;
}

}  // namespace dtops
