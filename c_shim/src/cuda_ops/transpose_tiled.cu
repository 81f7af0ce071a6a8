// The layout conversions of NHWC plans, [N][A][B] -> [N][B][A] (NCHW -> NHWC is A = C, B = H*W; back is A = H*W,
// B = C): 32x32 tiles through shared memory, so that both the reads and the writes are coalesced. The generic
// strided copy (copy_view) writes one scattered element per thread; this runs at memory bandwidth.
#include "util.cuh"

namespace dtops {

template <typename T>
__global__ void transpose_tiled_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t a, int64_t b) {
  __shared__ T tile[32][33];  // +1 column: no bank conflicts on the transposed read
  const int64_t n = blockIdx.z;
  const int64_t a0 = (int64_t)blockIdx.y * 32, b0 = (int64_t)blockIdx.x * 32;
  const T* xn = x + n * a * b;
  T* yn = y + n * a * b;
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    int64_t ai = a0 + r, bi = b0 + threadIdx.x;
    if (ai < a && bi < b) tile[r][threadIdx.x] = xn[ai * b + bi];
  }
  __syncthreads();
  for (int r = threadIdx.y; r < 32; r += blockDim.y) {
    int64_t bi = b0 + r, ai = a0 + threadIdx.x;
    if (ai < a && bi < b) yn[bi * a + ai] = tile[threadIdx.x][r];
  }
}

// [N][A][B] -> [N][B][A] with a small A (an image's 3 channels into NHWC): one thread per (n, b) moves its A
// elements; reads are coalesced across threads, each thread writes A contiguous elements.
template <typename T>
__global__ void transpose_small_a_kernel(const T* __restrict__ x, T* __restrict__ y, int64_t n, int64_t a, int64_t b) {
  DT_GRID_LOOP(i, n * b) {
    int64_t nb = i / b, bi = i % b;
    const T* src = x + nb * a * b + bi;
    T* dst = y + i * a;
    for (int64_t k = 0; k < a; ++k) dst[k] = src[k * b];
  }
}

// True when it handled the transpose (4-D perm [0,2,3,1] or [0,3,1,2] of 1, 2, 4 or 8-byte elements).
bool transpose_layout(size_t elem, const void* x, const Dims& xd, const int32_t* perm, void* y, cudaStream_t s,
                      int32_t* rc, denotrt_error* err) {
  if (xd.rank != 4 || perm[0] != 0) return false;
  int64_t a, b;
  if (perm[1] == 2 && perm[2] == 3 && perm[3] == 1) { a = xd.d[1]; b = xd.d[2] * xd.d[3]; }
  else if (perm[1] == 3 && perm[2] == 1 && perm[3] == 2) { a = xd.d[1] * xd.d[2]; b = xd.d[3]; }
  else return false;
  int64_t n = xd.d[0];
  if (n <= 0 || a <= 0 || b <= 0) { *rc = DENOTRT_OK; return true; }
  if (a <= 8) {
    switch (elem) {
      case 2: transpose_small_a_kernel<uint16_t><<<grid_for(n * b), 256, 0, s>>>((const uint16_t*)x, (uint16_t*)y, n, a, b); break;
      case 4: transpose_small_a_kernel<uint32_t><<<grid_for(n * b), 256, 0, s>>>((const uint32_t*)x, (uint32_t*)y, n, a, b); break;
      default: return false;
    }
    cudaError_t ce = cudaGetLastError();
    *rc = ce == cudaSuccess ? DENOTRT_OK : denotrt_cuda_fail(err, (int)ce, "transpose_small_a_kernel");
    return true;
  }
  if (n > 65535 || (a + 31) / 32 > 65535) return false;
  dim3 grid((unsigned)((b + 31) / 32), (unsigned)((a + 31) / 32), (unsigned)n), block(32, 8);
  switch (elem) {
    case 1: transpose_tiled_kernel<uint8_t><<<grid, block, 0, s>>>((const uint8_t*)x, (uint8_t*)y, a, b); break;
    case 2: transpose_tiled_kernel<uint16_t><<<grid, block, 0, s>>>((const uint16_t*)x, (uint16_t*)y, a, b); break;
    case 4: transpose_tiled_kernel<uint32_t><<<grid, block, 0, s>>>((const uint32_t*)x, (uint32_t*)y, a, b); break;
    case 8: transpose_tiled_kernel<uint64_t><<<grid, block, 0, s>>>((const uint64_t*)x, (uint64_t*)y, a, b); break;
    default: return false;
  }
  cudaError_t ce = cudaGetLastError();
  *rc = ce == cudaSuccess ? DENOTRT_OK : denotrt_cuda_fail(err, (int)ce, "transpose_tiled_kernel");
  return true;
}

}  // namespace dtops
