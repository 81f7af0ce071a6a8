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

// ---------------------------------------------------------------- concat
// Dense inputs concatenated along one axis are, per outer index (the axes before it), one contiguous run each:
// input k's run of run_k bytes lands at byte dst_k of an output row of sum(run_k) bytes. Those runs are copied with
// the widest word (up to 16 bytes) that the run, its offsets and the pointers allow, up to kConcatParts inputs per
// launch (blockIdx.y picks the input), instead of one strided-copy launch per input moving single elements.
constexpr int kConcatParts = 16;
constexpr int kConcatBlock = 256;

struct ConcatPart {
  const uint8_t* src;
  uint64_t run;   // bytes per outer index
  uint64_t dst;   // byte offset in each output row
  uint32_t word;  // bytes per load / store: 16, 8, 4, 2 or 1
  uint32_t per;   // words per run
};
struct ConcatArgs {
  uint64_t row;    // output bytes per outer index
  uint32_t outer;  // outer indices
  ConcatPart part[kConcatParts];
};

template <typename W>
__device__ __forceinline__ void concat_copy(const ConcatPart& p, uint8_t* __restrict__ y, uint64_t row,
                                            uint32_t outer) {
  const uint32_t n = outer * p.per;  // < 2^31 (concat_runs)
  for (uint32_t u = blockIdx.x * blockDim.x + threadIdx.x; u < n; u += gridDim.x * blockDim.x) {
    uint32_t o = u / p.per, j = u - o * p.per;
    const W* s = (const W*)(p.src + (uint64_t)o * p.run) + j;
    W* d = (W*)(y + (uint64_t)o * row + p.dst) + j;
    *d = *s;
  }
}

__global__ void __launch_bounds__(kConcatBlock) concat_runs_kernel(uint8_t* y, ConcatArgs a) {
  const ConcatPart& p = a.part[blockIdx.y];
  switch (p.word) {
    case 16: concat_copy<uint4>(p, y, a.row, a.outer); break;
    case 8: concat_copy<uint2>(p, y, a.row, a.outer); break;
    case 4: concat_copy<uint32_t>(p, y, a.row, a.outer); break;
    case 2: concat_copy<uint16_t>(p, y, a.row, a.outer); break;
    default: concat_copy<uint8_t>(p, y, a.row, a.outer); break;
  }
}

// The widest word (<= 16 bytes) that every load and store of a run can use.
static uint32_t concat_word(uint64_t run, uint64_t dst, uint64_t row, const void* src, const void* y) {
  uint32_t w = 16;
  while (w > 1 && (run % w || dst % w || row % w || (uintptr_t)src % w || (uintptr_t)y % w)) w /= 2;
  return w;
}

// The fast path; false (nothing queued) when a count does not fit its 32-bit indexing.
static bool concat_runs(size_t elem, int32_t count, const void* const* xs, const Dims* xds, int32_t axis, void* y,
                        const Dims& yd, cudaStream_t s, int32_t* rc, denotrt_error* err) {
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < axis; ++i) outer *= yd.d[i];
  for (int32_t i = axis + 1; i < yd.rank; ++i) inner *= yd.d[i];
  const uint64_t row = (uint64_t)(yd.d[axis] * inner) * elem;
  if (outer >= INT32_MAX) return false;
  uint64_t at = 0;
  for (int32_t k = 0; k < count; ++k) {
    uint64_t run = (uint64_t)(xds[k].d[axis] * inner) * elem;
    if (run && (uint64_t)outer * (run / concat_word(run, at, row, xs[k], y)) >= INT32_MAX) return false;
    at += run;
  }
  ConcatArgs a = {};
  a.row = row;
  a.outer = (uint32_t)outer;
  int32_t n = 0;
  uint64_t most = 0;  // the largest input's words
  at = 0;
  for (int32_t k = 0; k < count; ++k) {
    uint64_t run = (uint64_t)(xds[k].d[axis] * inner) * elem;
    if (run > 0) {  // (an empty input adds nothing)
      ConcatPart& p = a.part[n++];
      p.src = (const uint8_t*)xs[k];
      p.run = run;
      p.dst = at;
      p.word = concat_word(run, at, row, xs[k], y);
      p.per = (uint32_t)(run / p.word);
      if ((uint64_t)outer * p.per > most) most = (uint64_t)outer * p.per;
      at += run;
    }
    if (n == kConcatParts || (k == count - 1 && n > 0)) {
      int64_t blocks = ((int64_t)most + kConcatBlock - 1) / kConcatBlock;
      dim3 grid((unsigned)(blocks > 8192 ? 8192 : blocks), (unsigned)n);
      concat_runs_kernel<<<grid, kConcatBlock, 0, s>>>((uint8_t*)y, a);
      cudaError_t e = cudaGetLastError();
      if (e != cudaSuccess) {
        *rc = denotrt_cuda_fail(err, (int)e, "concat_runs_kernel");
        return true;
      }
      n = 0;
      most = 0;
    }
  }
  *rc = DENOTRT_OK;
  return true;
}

// One strided-copy launch per input: for what concat_runs does not take.
int32_t concat_strided(size_t elem, int32_t count, const void* const* xs, const Dims* xds, int32_t axis, void* y,
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

int32_t concat(size_t elem, int32_t count, const void* const* xs, const Dims* xds, int32_t axis, void* y,
               const Dims& yd, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::concat";
  if (axis < 0 || axis >= yd.rank) return DENOTRT_BAD_ARG(err, api, "axis %d for an output of rank %d", axis, yd.rank);
  int64_t total = 0;
  for (int32_t k = 0; k < count; ++k) {
    if (xds[k].rank != yd.rank)
      return DENOTRT_BAD_ARG(err, api, "input %d has rank %d, the output %d", k, xds[k].rank, yd.rank);
    for (int32_t i = 0; i < yd.rank; ++i)
      if (i != axis && xds[k].d[i] != yd.d[i])
        return DENOTRT_BAD_ARG(err, api, "input %d has %lld on axis %d, the output %lld", k, (long long)xds[k].d[i],
                               i, (long long)yd.d[i]);
    total += xds[k].d[axis];
  }
  if (total != yd.d[axis])
    return DENOTRT_BAD_ARG(err, api, "the inputs add up to %lld on axis %d, the output has %lld", (long long)total,
                           axis, (long long)yd.d[axis]);
  if (numel(yd) <= 0) return DENOTRT_OK;
  int32_t rc;
  if (concat_runs(elem, count, xs, xds, axis, y, yd, s, &rc, err)) return rc;
  return concat_strided(elem, count, xs, xds, axis, y, yd, s, err);
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
