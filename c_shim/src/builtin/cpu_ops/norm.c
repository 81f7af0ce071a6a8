/* norm.c: BatchNormalization (inference form) and Softmax (opset 13: one axis). */
#include <float.h>

#include "cpu_ops.h"

typedef struct bnargs { const float *x, *scale, *bias, *mean, *var; float* y; int64_t C, plane; float eps; } bnargs;

static void bn_channels(void* arg, int64_t c0, int64_t c1) {
  const bnargs* a = (const bnargs*)arg;
  for (int64_t nc = c0; nc < c1; nc++) {
    int64_t ch = nc % a->C;
    float s = a->scale[ch] / sqrtf(a->var[ch] + a->eps), b = a->bias[ch] - a->mean[ch] * s;
    const float* x = a->x + nc * a->plane;
    float* y = a->y + nc * a->plane;
    for (int64_t i = 0; i < a->plane; i++) y[i] = x[i] * s + b;
  }
}

static int32_t k_batchnorm(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  if (x->dtype != DENOTRT_FLOAT32 || x->rank < 2) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "expects a float input of rank >= 2");
  for (int i = 1; i < 5; i++)
    if (!cpu_in(c, i) || cpu_in(c, i)->count != x->dims[1])
      return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "input %d must have %lld values", i, (long long)x->dims[1]);
  bnargs a = {(const float*)x->data, (const float*)cpu_in(c, 1)->data, (const float*)cpu_in(c, 2)->data,
              (const float*)cpu_in(c, 3)->data, (const float*)cpu_in(c, 4)->data, (float*)cpu_out(c, 0)->data,
              x->dims[1], 1, plan_attr_float(c->layer, "epsilon", 1e-5f)};
  for (int d = 2; d < x->rank; d++) a.plane *= x->dims[d];
  cpu_parallel_for(x->dims[0] * x->dims[1], 1, bn_channels, &a);
  return DENOTRT_OK;
}

typedef struct smargs { const float* x; float* y; int64_t n, inner; } smargs;

/* One task per (outer, inner) pair: a strided row of n elements. */
static void softmax_rows(void* arg, int64_t r0, int64_t r1) {
  const smargs* a = (const smargs*)arg;
  for (int64_t r = r0; r < r1; r++) {
    int64_t o = r / a->inner, i = r % a->inner, base = o * a->n * a->inner + i;
    const float* x = a->x + base;
    float* y = a->y + base;
    float mx = -FLT_MAX;
    for (int64_t k = 0; k < a->n; k++) mx = x[k * a->inner] > mx ? x[k * a->inner] : mx;
    double sum = 0;
    for (int64_t k = 0; k < a->n; k++) {
      float e = expf(x[k * a->inner] - mx);
      y[k * a->inner] = e;
      sum += e;
    }
    float inv = (float)(1.0 / sum);
    for (int64_t k = 0; k < a->n; k++) y[k * a->inner] *= inv;
  }
}

static int32_t k_softmax(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  if (x->dtype != DENOTRT_FLOAT32) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "expects a float input");
  int64_t axis = plan_attr_int(c->layer, "axis", -1);
  if (axis < 0) axis += x->rank;
  if (axis < 0 || axis >= x->rank) return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "axis out of range");
  smargs a = {(const float*)x->data, (float*)cpu_out(c, 0)->data, x->dims[axis], 1};
  for (int d = (int)axis + 1; d < x->rank; d++) a.inner *= x->dims[d];
  int64_t rows = a.n ? x->count / a.n : 0;
  cpu_parallel_for(rows, 64, softmax_rows, &a);
  return DENOTRT_OK;
}

cpu_kernel cpu_norm_lookup(const char* op) {
  if (!strcmp(op, "BatchNormalization")) return k_batchnorm;
  if (!strcmp(op, "Softmax")) return k_softmax;
  return NULL;
}
