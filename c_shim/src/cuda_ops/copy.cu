// Data movement through one strided-copy kernel: transpose, slice, concat, split and expand are all "read a view,
// write a view" with different strides, so they share one kernel that is correct for any rank <= 8 and dtype.
#include <string.h>

#include "util.cuh"

namespace dtops {

template <typename T>
__global__ void copy_view_kernel(const T* x, View xv, T* y, View yv, int64_t n) {
  DT_GRID_LOOP(i, n) y[view_offset(i, yv.rank, yv.dims, yv.strides)] = x[view_offset(i, xv.rank, xv.dims, xv.strides)];
}

int32_t copy_view(size_t elem, const void* x, const View& xv, void* y, const View& yv, cudaStream_t s,
                  denotrt_error* err) {
  int64_t n = 1;
  for (int32_t i = 0; i < xv.rank; ++i) n *= xv.dims[i];
  if (n <= 0) return DENOTRT_OK;
  switch (elem) {
    case 1: copy_view_kernel<<<grid_for(n), 256, 0, s>>>((const uint8_t*)x, xv, (uint8_t*)y, yv, n); break;
    case 2: copy_view_kernel<<<grid_for(n), 256, 0, s>>>((const uint16_t*)x, xv, (uint16_t*)y, yv, n); break;
    case 4: copy_view_kernel<<<grid_for(n), 256, 0, s>>>((const uint32_t*)x, xv, (uint32_t*)y, yv, n); break;
    case 8: copy_view_kernel<<<grid_for(n), 256, 0, s>>>((const uint64_t*)x, xv, (uint64_t*)y, yv, n); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "dtops::copy_view", "", "element size %zu", elem);
  }
  DT_LAUNCH_CHECK(err, "copy_view_kernel");
  return DENOTRT_OK;
}

int32_t transpose(size_t elem, const void* x, const Dims& xd, const int32_t* perm, void* y, cudaStream_t s,
                  denotrt_error* err) {
  int32_t rc;
  if (transpose_layout(elem, x, xd, perm, y, s, &rc, err)) return rc;  // NCHW <-> NHWC: tiled
  View in = contiguous_view(xd), xv, yv;
  memset(&xv, 0, sizeof xv);
  xv.rank = xd.rank;
  Dims yd;
  yd.rank = xd.rank;
  for (int32_t i = 0; i < xd.rank; ++i) {
    if (perm[i] < 0 || perm[i] >= xd.rank)
      return DENOTRT_BAD_ARG(err, "dtops::transpose", "perm[%d] = %d is out of range", i, perm[i]);
    yd.d[i] = xd.d[perm[i]];
    xv.dims[i] = yd.d[i];
    xv.strides[i] = in.strides[perm[i]];  // iterate in output order, read through permuted strides
  }
  yv = contiguous_view(yd);
  return copy_view(elem, x, xv, y, yv, s, err);
}

int32_t slice(size_t elem, const void* x, const Dims& xd, const int64_t* starts, const int64_t* steps, void* y,
              const Dims& yd, cudaStream_t s, denotrt_error* err) {
  if (yd.rank != xd.rank) return DENOTRT_BAD_ARG(err, "dtops::slice", "rank mismatch");
  View in = contiguous_view(xd), xv = contiguous_view(yd);
  int64_t base = 0;
  for (int32_t i = 0; i < xd.rank; ++i) {
    base += starts[i] * in.strides[i];
    xv.strides[i] = steps[i] * in.strides[i];
  }
  return copy_view(elem, (const uint8_t*)x + base * (int64_t)elem, xv, y, contiguous_view(yd), s, err);
}

int32_t concat(size_t elem, int32_t count, const void* const* xs, const Dims* xds, int32_t axis, void* y,
               const Dims& yd, cudaStream_t s, denotrt_error* err) {
  View out = contiguous_view(yd);
  int64_t at = 0;
  for (int32_t k = 0; k < count; ++k) {
    View xv = contiguous_view(xds[k]);
    View yv = xv;
    for (int32_t i = 0; i < yd.rank; ++i) yv.strides[i] = out.strides[i];
    int32_t rc = copy_view(elem, xs[k], xv, (uint8_t*)y + at * out.strides[axis] * (int64_t)elem, yv, s, err);
    if (rc != DENOTRT_OK) return rc;
    at += xds[k].d[axis];
  }
  return DENOTRT_OK;
}

int32_t split(size_t elem, const void* x, const Dims& xd, int32_t axis, int32_t count, void* const* ys,
              const Dims* yds, cudaStream_t s, denotrt_error* err) {
  View in = contiguous_view(xd);
  int64_t at = 0;
  for (int32_t k = 0; k < count; ++k) {
    View yv = contiguous_view(yds[k]);
    View xv = yv;
    for (int32_t i = 0; i < xd.rank; ++i) xv.strides[i] = in.strides[i];
    if (ys[k]) {
      int32_t rc = copy_view(elem, (const uint8_t*)x + at * in.strides[axis] * (int64_t)elem, xv, ys[k], yv, s, err);
      if (rc != DENOTRT_OK) return rc;
    }
    at += yds[k].d[axis];
  }
  return DENOTRT_OK;
}

int32_t expand(size_t elem, const void* x, const Dims& xd, void* y, const Dims& yd, cudaStream_t s,
               denotrt_error* err) {
  View xv;
  if (!broadcast_view(xd, yd, &xv))
    return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, "dtops::expand", "", "input does not broadcast to the output");
  return copy_view(elem, x, xv, y, contiguous_view(yd), s, err);
}

}  // namespace dtops
