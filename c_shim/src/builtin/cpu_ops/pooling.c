/* pooling.c: MaxPool, AveragePool (count_include_pad, ceil_mode), GlobalAveragePool; NCHW, 1-D and 2-D. */
#include <float.h>

#include "cpu_ops.h"

typedef struct plargs {
  const float* x;
  float* y;
  int64_t H, W, OH, OW, kh, kw, sh, sw, dh, dw, ph, pw, peh, pew;
  int max, include_pad;
} plargs;

static void pool_planes(void* arg, int64_t p0, int64_t p1) {
  const plargs* a = (const plargs*)arg;
  for (int64_t p = p0; p < p1; p++) {
    const float* x = a->x + p * a->H * a->W;
    float* y = a->y + p * a->OH * a->OW;
    for (int64_t oy = 0; oy < a->OH; oy++)
      for (int64_t ox = 0; ox < a->OW; ox++) {
        float acc = a->max ? -FLT_MAX : 0.f;
        int64_t cnt = 0, pad_cnt = 0;
        for (int64_t ky = 0; ky < a->kh; ky++) {
          int64_t iy = oy * a->sh - a->ph + ky * a->dh;
          for (int64_t kx = 0; kx < a->kw; kx++) {
            int64_t ix = ox * a->sw - a->pw + kx * a->dw;
            /* count_include_pad counts the padded window but not the ceil_mode overhang past the pads */
            if (iy < a->H + a->peh && ix < a->W + a->pew) pad_cnt++;
            if (iy < 0 || iy >= a->H || ix < 0 || ix >= a->W) continue;
            float v = x[iy * a->W + ix];
            if (a->max) acc = v > acc ? v : acc;
            else acc += v;
            cnt++;
          }
        }
        if (!a->max) acc = acc / (float)(a->include_pad ? pad_cnt : (cnt ? cnt : 1));
        y[oy * a->OW + ox] = acc;
      }
  }
}

static int32_t run_pool(const cpu_call* c, denotrt_error* err, int max) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int32_t nsp = x->rank - 2;
  if (x->dtype != DENOTRT_FLOAT32 || nsp < 1 || nsp > 2)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "only float 1-D and 2-D pooling is supported");
  if (c->layer->num_outputs > 1 && c->layer->outputs[1] >= 0)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "MaxPool indices output is not supported");
  cpu_window w;
  const char* msg = NULL;
  if (!cpu_window_setup(c->layer, nsp, x->dims + 2, NULL, 1, &w, &msg)) return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "%s", msg);
  int two = nsp == 2;
  plargs a = {(const float*)x->data, (float*)y->data,
              two ? x->dims[2] : 1, x->dims[nsp + 1], two ? y->dims[2] : 1, y->dims[nsp + 1],
              two ? w.k[0] : 1, w.k[nsp - 1], two ? w.stride[0] : 1, w.stride[nsp - 1],
              two ? w.dil[0] : 1, w.dil[nsp - 1], two ? w.pad_begin[0] : 0, w.pad_begin[nsp - 1], two ? w.pad_end[0] : 0, w.pad_end[nsp - 1],
              max, (int)plan_attr_int(c->layer, "count_include_pad", 0)};
  cpu_parallel_for(x->dims[0] * x->dims[1], 1, pool_planes, &a);
  return DENOTRT_OK;
}

static int32_t k_maxpool(const cpu_call* c, denotrt_error* e) { return run_pool(c, e, 1); }
static int32_t k_avgpool(const cpu_call* c, denotrt_error* e) { return run_pool(c, e, 0); }

typedef struct gpargs { const float* x; float* y; int64_t plane; int max; } gpargs;
static void gpool(void* arg, int64_t p0, int64_t p1) {
  const gpargs* a = (const gpargs*)arg;
  for (int64_t p = p0; p < p1; p++) {
    const float* x = a->x + p * a->plane;
    double s = a->max ? -FLT_MAX : 0;
    for (int64_t i = 0; i < a->plane; i++) s = a->max ? (x[i] > s ? x[i] : s) : s + x[i];
    a->y[p] = (float)(a->max ? s : s / (double)a->plane);
  }
}
static int32_t run_global(const cpu_call* c, denotrt_error* err, int max) {
  const cpu_tensor* x = cpu_in(c, 0);
  if (x->dtype != DENOTRT_FLOAT32 || x->rank < 2) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "expects a float input of rank >= 2");
  gpargs a = {(const float*)x->data, (float*)cpu_out(c, 0)->data, 1, max};
  for (int d = 2; d < x->rank; d++) a.plane *= x->dims[d];
  cpu_parallel_for(x->dims[0] * x->dims[1], 16, gpool, &a);
  return DENOTRT_OK;
}
static int32_t k_gap(const cpu_call* c, denotrt_error* e) { return run_global(c, e, 0); }
static int32_t k_gmp(const cpu_call* c, denotrt_error* e) { return run_global(c, e, 1); }

cpu_kernel cpu_pooling_lookup(const char* op) {
  if (!strcmp(op, "MaxPool")) return k_maxpool;
  if (!strcmp(op, "AveragePool")) return k_avgpool;
  if (!strcmp(op, "GlobalAveragePool")) return k_gap;
  if (!strcmp(op, "GlobalMaxPool")) return k_gmp;
  return NULL;
}
