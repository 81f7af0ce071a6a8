/* reduce.c: ReduceMean, ReduceSum, ReduceMax, ReduceMin over any set of axes (attribute or input form).
 * The input is viewed as (outer, reduced, inner) blocks after permuting nothing: each output element walks the
 * reduced coordinates with the input strides. */
#include <float.h>

#include "cpu_ops.h"

enum { R_MEAN, R_SUM, R_MAX, R_MIN };

typedef struct rargs {
  const cpu_tensor* x;
  float* y;
  int op;
  int32_t rank;
  int reduce[DENOTRT_MAX_RANK];
  int64_t strides[DENOTRT_MAX_RANK];
  int64_t kept_dims[DENOTRT_MAX_RANK], kept_strides[DENOTRT_MAX_RANK], red_dims[DENOTRT_MAX_RANK], red_strides[DENOTRT_MAX_RANK];
  int nk, nr;
  int64_t red_count;
} rargs;

static void reduce_range(void* arg, int64_t o0, int64_t o1) {
  const rargs* a = (const rargs*)arg;
  const float* x = (const float*)a->x->data;
  for (int64_t o = o0; o < o1; o++) {
    int64_t base = 0, r = o;
    for (int d = a->nk - 1; d >= 0; d--) {
      base += (r % a->kept_dims[d]) * a->kept_strides[d];
      r /= a->kept_dims[d];
    }
    double acc = a->op == R_MAX ? -FLT_MAX : a->op == R_MIN ? FLT_MAX : 0;
    for (int64_t k = 0; k < a->red_count; k++) {
      int64_t off = base, q = k;
      for (int d = a->nr - 1; d >= 0; d--) {
        off += (q % a->red_dims[d]) * a->red_strides[d];
        q /= a->red_dims[d];
      }
      float v = x[off];
      if (a->op == R_MAX) acc = v > acc ? v : acc;
      else if (a->op == R_MIN) acc = v < acc ? v : acc;
      else acc += v;
    }
    if (a->op == R_MEAN) acc /= (double)(a->red_count ? a->red_count : 1);
    a->y[o] = (float)acc;
  }
}

static int32_t run_reduce(const cpu_call* c, denotrt_error* err, int op) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  if (x->dtype != DENOTRT_FLOAT32) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "expects a float input");
  rargs a;
  memset(&a, 0, sizeof a);
  a.x = x;
  a.y = (float*)y->data;
  a.op = op;
  a.rank = x->rank;
  int64_t axes[DENOTRT_MAX_RANK];
  int64_t n = -1;
  const cpu_tensor* ax = cpu_in(c, 1);
  if (ax) {
    n = ax->count;
    if (n > DENOTRT_MAX_RANK) return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "too many axes");
    for (int k = 0; k < n; k++) axes[k] = cpu_get_i64(ax, k);
  } else {
    int32_t cnt = 0;
    const int64_t* at = plan_attr_ints(c->layer, "axes", &cnt);
    if (at) {
      n = cnt;
      for (int k = 0; k < cnt && k < DENOTRT_MAX_RANK; k++) axes[k] = at[k];
    }
  }
  if (n == 0 && plan_attr_int(c->layer, "noop_with_empty_axes", 0)) {
    memmove(y->data, x->data, (size_t)x->count * sizeof(float));
    return DENOTRT_OK;
  }
  for (int d = 0; d < x->rank; d++) a.reduce[d] = n <= 0;
  for (int k = 0; k < n; k++) a.reduce[axes[k] < 0 ? axes[k] + x->rank : axes[k]] = 1;
  cpu_strides(x->rank, x->dims, a.strides);
  a.red_count = 1;
  for (int d = 0; d < x->rank; d++) {
    if (a.reduce[d]) {
      a.red_dims[a.nr] = x->dims[d];
      a.red_strides[a.nr++] = a.strides[d];
      a.red_count *= x->dims[d];
    } else {
      a.kept_dims[a.nk] = x->dims[d];
      a.kept_strides[a.nk++] = a.strides[d];
    }
  }
  cpu_parallel_for(y->count, 16, reduce_range, &a);
  return DENOTRT_OK;
}

static int32_t k_mean(const cpu_call* c, denotrt_error* e) { return run_reduce(c, e, R_MEAN); }
static int32_t k_sum(const cpu_call* c, denotrt_error* e) { return run_reduce(c, e, R_SUM); }
static int32_t k_max(const cpu_call* c, denotrt_error* e) { return run_reduce(c, e, R_MAX); }
static int32_t k_min(const cpu_call* c, denotrt_error* e) { return run_reduce(c, e, R_MIN); }

cpu_kernel cpu_reduce_lookup(const char* op) {
  if (!strcmp(op, "ReduceMean")) return k_mean;
  if (!strcmp(op, "ReduceSum")) return k_sum;
  if (!strcmp(op, "ReduceMax")) return k_max;
  if (!strcmp(op, "ReduceMin")) return k_min;
  return NULL;
}
