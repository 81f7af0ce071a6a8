// ONNX Reduce* over any set of axes, and ArgMax/ArgMin over one. One block per output element; its threads stride
// over the reduced sub-tensor and combine with block reductions in fp32.
#include <float.h>
#include <math.h>

#include "block_reduce.cuh"

namespace dtops {

struct ReduceArgs {
  int32_t op;
  int32_t kept_rank, red_rank;
  int64_t kept_dims[kMaxRank], kept_strides[kMaxRank];
  int64_t red_dims[kMaxRank], red_strides[kMaxRank];
  int64_t red_count;
};

template <typename T>
__global__ void reduce_kernel(const T* x, T* y, ReduceArgs a) {
  int64_t base = view_offset(blockIdx.x, a.kept_rank, a.kept_dims, a.kept_strides);
  float m = -FLT_MAX;
  if (a.op == R_LOG_SUM_EXP) {  // subtract the max first so exp never overflows
    for (int64_t j = threadIdx.x; j < a.red_count; j += blockDim.x)
      m = fmaxf(m, to_f(x[base + view_offset(j, a.red_rank, a.red_dims, a.red_strides)]));
    m = block_reduce(m, MaxOp());
  }
  float acc;
  switch (a.op) {
    case R_MAX: acc = -INFINITY; break;
    case R_MIN: acc = INFINITY; break;
    case R_PROD: acc = 1.f; break;
    default: acc = 0.f; break;
  }
  for (int64_t j = threadIdx.x; j < a.red_count; j += blockDim.x) {
    float v = to_f(x[base + view_offset(j, a.red_rank, a.red_dims, a.red_strides)]);
    switch (a.op) {
      case R_MAX: acc = fmaxf(acc, v); break;
      case R_MIN: acc = fminf(acc, v); break;
      case R_PROD: acc *= v; break;
      case R_L1: acc += fabsf(v); break;
      case R_L2: case R_SUM_SQUARE: acc += v * v; break;
      case R_LOG_SUM_EXP: acc += expf(v - m); break;
      default: acc += v; break;
    }
  }
  switch (a.op) {
    case R_MAX: acc = block_reduce(acc, MaxOp()); break;
    case R_MIN: acc = block_reduce(acc, MinOp()); break;
    case R_PROD: acc = block_reduce(acc, ProdOp()); break;
    default: acc = block_reduce(acc, SumOp()); break;
  }
  if (threadIdx.x == 0) {
    switch (a.op) {
      case R_MEAN: acc = a.red_count > 0 ? acc / (float)a.red_count : NAN; break;
      case R_L2: acc = sqrtf(acc); break;
      case R_LOG_SUM: acc = logf(acc); break;
      case R_LOG_SUM_EXP: acc = a.red_count > 0 ? m + logf(acc) : -INFINITY; break;
      default: break;
    }
    y[blockIdx.x] = from_f<T>(acc);
  }
}

template <typename T>
__global__ void arg_kernel(const T* x, int64_t* y, ReduceArgs a, int64_t n, int32_t is_min, int32_t last) {
  DT_GRID_LOOP(i, n) {
    int64_t base = view_offset(i, a.kept_rank, a.kept_dims, a.kept_strides);
    float best = to_f(x[base]);
    int64_t at = 0;
    for (int64_t j = 1; j < a.red_count; ++j) {
      float v = to_f(x[base + j * a.red_strides[0]]);
      bool better = is_min ? (last ? v <= best : v < best) : (last ? v >= best : v > best);
      if (better) { best = v; at = j; }
    }
    y[i] = at;
  }
}

int32_t reduce(int32_t op, int32_t dtype, const void* x, const Dims& xd, uint32_t axes_mask, int32_t select_last,
               void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::reduce";
  ReduceArgs a;
  a.op = op;
  a.kept_rank = a.red_rank = 0;
  a.red_count = 1;
  View c = contiguous_view(xd);
  int64_t n_out = 1;
  for (int32_t d = 0; d < xd.rank; ++d) {
    if (axes_mask & (1u << d)) {
      a.red_dims[a.red_rank] = xd.d[d];
      a.red_strides[a.red_rank++] = c.strides[d];
      a.red_count *= xd.d[d];
    } else {
      a.kept_dims[a.kept_rank] = xd.d[d];
      a.kept_strides[a.kept_rank++] = c.strides[d];
      n_out *= xd.d[d];
    }
  }
  if (n_out <= 0) return DENOTRT_OK;
  if (op == R_ARGMAX || op == R_ARGMIN) {
    if (a.red_rank != 1) return DENOTRT_BAD_ARG(err, api, "ArgMax/ArgMin reduce exactly one axis");
    if (a.red_count <= 0) return DENOTRT_BAD_ARG(err, api, "ArgMax/ArgMin over an empty axis");
    DT_DISPATCH_FLOAT(dtype, T, api, err,
                      arg_kernel<T><<<grid_for(n_out), 256, 0, s>>>((const T*)x, (int64_t*)y, a, n_out,
                                                                    op == R_ARGMIN, select_last));
    DT_LAUNCH_CHECK(err, "arg_kernel");
    return DENOTRT_OK;
  }
  if (n_out > 0x7fffffff) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "too many outputs");
  int block = a.red_count >= 256 ? 256 : (int)((a.red_count + 31) / 32 * 32);
  if (block < 32) block = 32;
  DT_DISPATCH_FLOAT(dtype, T, api, err, reduce_kernel<T><<<(unsigned)n_out, block, 0, s>>>((const T*)x, (T*)y, a));
  DT_LAUNCH_CHECK(err, "reduce_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
