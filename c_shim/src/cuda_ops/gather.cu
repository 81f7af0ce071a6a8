// ONNX Gather: y[outer, j, inner] = data[outer, indices[j], inner], negative indices counted from the end.
// Out-of-range indices are clamped (never read out of bounds; ONNX leaves them undefined).
#include "util.cuh"

namespace dtops {

template <typename T, typename I>
__global__ void gather_kernel(const T* data, const I* idx, T* y, int64_t n_idx, int64_t axis_len, int64_t inner,
                              int64_t n) {
  DT_GRID_LOOP(i, n) {
    int64_t in = i % inner;
    int64_t j = (i / inner) % n_idx;
    int64_t o = i / (inner * n_idx);
    int64_t k = (int64_t)idx[j];
    if (k < 0) k += axis_len;
    k = k < 0 ? 0 : (k >= axis_len ? axis_len - 1 : k);
    y[i] = data[(o * axis_len + k) * inner + in];
  }
}

template <typename T>
static void launch_gather(const void* d, const void* idx, int32_t idx_dtype, void* y, int64_t n_idx, int64_t axis_len,
                          int64_t inner, int64_t n, cudaStream_t s) {
  if (idx_dtype == DENOTRT_INT32)
    gather_kernel<<<grid_for(n), 256, 0, s>>>((const T*)d, (const int32_t*)idx, (T*)y, n_idx, axis_len, inner, n);
  else
    gather_kernel<<<grid_for(n), 256, 0, s>>>((const T*)d, (const int64_t*)idx, (T*)y, n_idx, axis_len, inner, n);
}

int32_t gather(size_t elem, const void* data, const Dims& dd, int32_t axis, const void* indices, int32_t idx_dtype,
               int64_t n_indices, void* y, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::gather";
  if (axis < 0 || axis >= dd.rank) return DENOTRT_BAD_ARG(err, api, "axis %d out of range", axis);
  if (idx_dtype != DENOTRT_INT32 && idx_dtype != DENOTRT_INT64)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "indices of dtype %d", idx_dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; ++i) outer *= dd.d[i];
  for (int32_t i = axis + 1; i < dd.rank; ++i) inner *= dd.d[i];
  int64_t n = outer * n_indices * inner;
  if (n <= 0) return DENOTRT_OK;
  if (dd.d[axis] <= 0) return DENOTRT_BAD_ARG(err, api, "gathering from an empty axis");
  switch (elem) {
    case 1: launch_gather<uint8_t>(data, indices, idx_dtype, y, n_indices, dd.d[axis], inner, n, s); break;
    case 2: launch_gather<uint16_t>(data, indices, idx_dtype, y, n_indices, dd.d[axis], inner, n, s); break;
    case 4: launch_gather<uint32_t>(data, indices, idx_dtype, y, n_indices, dd.d[axis], inner, n, s); break;
    case 8: launch_gather<uint64_t>(data, indices, idx_dtype, y, n_indices, dd.d[axis], inner, n, s); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "element size %zu", elem);
  }
  DT_LAUNCH_CHECK(err, "gather_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
