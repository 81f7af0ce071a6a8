// Host helpers shared by the launchers: shapes, dtype sizes, contiguous and broadcast views.
#include <string.h>

#include "ops.h"

namespace dtops {

Dims make_dims(int32_t rank, const int64_t* d) {
  Dims r;
  memset(&r, 0, sizeof r);
  r.rank = rank;
  for (int32_t i = 0; i < rank && i < kMaxRank; ++i) r.d[i] = d[i];
  return r;
}

int64_t numel(const Dims& d) {
  int64_t n = 1;
  for (int32_t i = 0; i < d.rank; ++i) n *= d.d[i];
  return n;
}

size_t dtype_size(int32_t dtype) {
  switch (dtype) {
    case DENOTRT_FLOAT32: case DENOTRT_INT32: return 4;
    case DENOTRT_FLOAT16: case DENOTRT_BFLOAT16: return 2;
    case DENOTRT_INT8: case DENOTRT_UINT8: case DENOTRT_BOOL: case DENOTRT_FP8_E4M3: return 1;
    case DENOTRT_INT64: case DENOTRT_FLOAT64: return 8;
    default: return 0;
  }
}

View contiguous_view(const Dims& d) {
  View v;
  memset(&v, 0, sizeof v);
  v.rank = d.rank;
  int64_t s = 1;
  for (int32_t i = d.rank - 1; i >= 0; --i) {
    v.dims[i] = d.d[i];
    v.strides[i] = s;
    s *= d.d[i];
  }
  return v;
}

bool broadcast_view(const Dims& in, const Dims& out, View* v) {
  if (in.rank > out.rank) return false;
  memset(v, 0, sizeof *v);
  v->rank = out.rank;
  View c = contiguous_view(in);
  int32_t shift = out.rank - in.rank;
  for (int32_t i = 0; i < out.rank; ++i) {
    v->dims[i] = out.d[i];
    int32_t j = i - shift;
    if (j < 0) { v->strides[i] = 0; continue; }
    if (in.d[j] == out.d[i]) v->strides[i] = c.strides[j];
    else if (in.d[j] == 1) v->strides[i] = 0;  // numpy broadcast: a size-1 axis repeats
    else return false;
  }
  return true;
}

}  // namespace dtops
