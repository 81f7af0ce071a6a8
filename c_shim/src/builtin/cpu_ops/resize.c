/* resize.c: Resize (opset 10-19 inputs), nearest on any axes, linear on up to the last two axes.
 * Per axis, a table maps each output coordinate to its source (nearest) or to two sources and a weight (linear),
 * following ONNX coordinate_transformation_mode and nearest_mode. */
#include <stdlib.h>

#include "cpu_ops.h"

typedef enum { CT_HALF_PIXEL, CT_ASYMMETRIC, CT_ALIGN_CORNERS, CT_PYTORCH_HALF_PIXEL, CT_TF_HALF_PIXEL_NN } ctm;
typedef enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL } nmode;

static double to_original(ctm m, double x, double scale, int64_t in, int64_t out) {
  switch (m) {
    case CT_ASYMMETRIC: return x / scale;
    case CT_ALIGN_CORNERS: return out == 1 ? 0 : x * (double)(in - 1) / (double)(out - 1);
    case CT_PYTORCH_HALF_PIXEL: return out > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case CT_TF_HALF_PIXEL_NN: return (x + 0.5) / scale;
    default: return (x + 0.5) / scale - 0.5;
  }
}

static int64_t nearest(nmode m, double x) {
  switch (m) {
    case NM_FLOOR: return (int64_t)floor(x);
    case NM_CEIL: return (int64_t)ceil(x);
    case NM_ROUND_PREFER_CEIL: return (int64_t)floor(x + 0.5);
    default: return x == floor(x) + 0.5 ? (int64_t)floor(x) : (int64_t)floor(x + 0.5);
  }
}

typedef struct axis_map { int64_t* i0; int64_t* i1; float* w; } axis_map;

typedef struct rsargs {
  const cpu_tensor* x;
  cpu_tensor* y;
  int linear;
  int64_t xs[DENOTRT_MAX_RANK];
  axis_map map[DENOTRT_MAX_RANK];
} rsargs;

/* Each row = all output coords except the last axis. */
static void resize_rows(void* arg, int64_t r0, int64_t r1) {
  const rsargs* a = (const rsargs*)arg;
  const cpu_tensor* x = a->x;
  const cpu_tensor* y = a->y;
  int32_t r = y->rank;
  int64_t W = y->dims[r - 1];
  size_t es = plan_dtype_bytes(x->dtype);
  for (int64_t row = r0; row < r1; row++) {
    int64_t coord[DENOTRT_MAX_RANK], q = row;
    for (int d = r - 2; d >= 0; d--) coord[d] = q % y->dims[d], q /= y->dims[d];
    if (!a->linear) {
      int64_t base = 0;
      for (int d = 0; d < r - 1; d++) base += a->map[d].i0[coord[d]] * a->xs[d];
      const axis_map* m = &a->map[r - 1];
      uint8_t* dst = (uint8_t*)y->data + row * W * es;
      if (es == 4)
        for (int64_t j = 0; j < W; j++) ((float*)dst)[j] = ((const float*)x->data)[base + m->i0[j]];
      else
        for (int64_t j = 0; j < W; j++) memcpy(dst + j * es, (const uint8_t*)x->data + (base + m->i0[j]) * es, es);
      continue;
    }
    /* linear: every axis but the last two has scale 1 (checked), so they index directly */
    int64_t base = 0;
    for (int d = 0; d < r - 2; d++) base += coord[d] * a->xs[d];
    const float* X = (const float*)x->data + base;
    float* Y = (float*)y->data + row * W;
    int64_t y0 = 0, y1 = 0;
    float wy = 0.f;
    if (r >= 2) {
      const axis_map* my = &a->map[r - 2];
      y0 = my->i0[coord[r - 2]], y1 = my->i1[coord[r - 2]], wy = my->w[coord[r - 2]];
    }
    int64_t rs = r >= 2 ? a->xs[r - 2] : 0;
    const axis_map* mx = &a->map[r - 1];
    for (int64_t j = 0; j < W; j++) {
      float wx = mx->w[j];
      float top = X[y0 * rs + mx->i0[j]] * (1.f - wx) + X[y0 * rs + mx->i1[j]] * wx;
      float bot = X[y1 * rs + mx->i0[j]] * (1.f - wx) + X[y1 * rs + mx->i1[j]] * wx;
      Y[j] = top * (1.f - wy) + bot * wy;
    }
  }
}

static int32_t k_resize(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int32_t r = x->rank;
  const char* mode = plan_attr_string(c->layer, "mode", "nearest");
  int linear = !strcmp(mode, "linear") || !strcmp(mode, "bilinear");
  if (!linear && strcmp(mode, "nearest")) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "mode '%s' is not supported", mode);
  if (r < 1) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "rank-0 input");
  const char* cts = plan_attr_string(c->layer, "coordinate_transformation_mode", "half_pixel");
  ctm ct = !strcmp(cts, "asymmetric") ? CT_ASYMMETRIC : !strcmp(cts, "align_corners") ? CT_ALIGN_CORNERS
           : !strcmp(cts, "pytorch_half_pixel") ? CT_PYTORCH_HALF_PIXEL : !strcmp(cts, "tf_half_pixel_for_nn") ? CT_TF_HALF_PIXEL_NN
           : !strcmp(cts, "half_pixel") ? CT_HALF_PIXEL : (ctm)-1;
  if ((int)ct < 0) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "coordinate_transformation_mode '%s' is not supported", cts);
  const char* nms = plan_attr_string(c->layer, "nearest_mode", "round_prefer_floor");
  nmode nm = !strcmp(nms, "floor") ? NM_FLOOR : !strcmp(nms, "ceil") ? NM_CEIL : !strcmp(nms, "round_prefer_ceil") ? NM_ROUND_PREFER_CEIL : NM_ROUND_PREFER_FLOOR;
  if (linear && x->dtype != DENOTRT_FLOAT32) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "linear resize needs a float input");
  /* scales: from the scales input when given (opset 10: input 1; 11+: input 2), else out/in */
  const cpu_tensor* sc = c->layer->num_inputs == 2 ? cpu_in(c, 1) : cpu_in(c, 2);
  int32_t nsa = 0;
  const float* sattr = plan_attr_floats(c->layer, "scales", &nsa);
  int has_sizes = cpu_in(c, 3) && cpu_in(c, 3)->count > 0;
  rsargs a;
  memset(&a, 0, sizeof a);
  a.x = x;
  a.y = y;
  a.linear = linear;
  cpu_strides(r, x->dims, a.xs);
  int32_t rc = DENOTRT_OK;
  for (int d = 0; d < r && rc == DENOTRT_OK; d++) {
    int64_t in = x->dims[d], out = y->dims[d];
    double scale = (!has_sizes && sc && sc->count == r) ? cpu_get_f64(sc, d)
                   : (!has_sizes && sattr && nsa == r) ? sattr[d] : (in ? (double)out / (double)in : 1.0);
    if (linear && d < r - 2 && in != out) {
      rc = cpu_fail(c, err, DENOTRT_UNSUPPORTED, "linear resize of axis %d (only the last two axes may change)", d);
      break;
    }
    axis_map* m = &a.map[d];
    m->i0 = (int64_t*)malloc((size_t)(out ? out : 1) * sizeof(int64_t));
    m->i1 = (int64_t*)malloc((size_t)(out ? out : 1) * sizeof(int64_t));
    m->w = (float*)malloc((size_t)(out ? out : 1) * sizeof(float));
    if (!m->i0 || !m->i1 || !m->w) {
      rc = cpu_fail(c, err, DENOTRT_OUT_OF_MEMORY, "out of host memory");
      break;
    }
    for (int64_t o = 0; o < out; o++) {
      double xo = to_original(ct, (double)o, scale, in, out);
      if (!linear) {
        int64_t k = nearest(nm, xo);
        m->i0[o] = k < 0 ? 0 : k >= in ? in - 1 : k;
      } else {
        if (xo < 0) xo = 0;
        if (xo > in - 1) xo = (double)(in - 1);
        int64_t k0 = (int64_t)floor(xo);
        m->i0[o] = k0;
        m->i1[o] = k0 + 1 < in ? k0 + 1 : in - 1;
        m->w[o] = (float)(xo - (double)k0);
      }
    }
  }
  if (rc == DENOTRT_OK && y->count) {
    int64_t W = y->dims[r - 1];
    cpu_parallel_for(y->count / W, W >= 256 ? 1 : 256 / W, resize_rows, &a);
  }
  for (int d = 0; d < r; d++) free(a.map[d].i0), free(a.map[d].i1), free(a.map[d].w);
  return rc;
}

cpu_kernel cpu_resize_lookup(const char* op) {
  if (!strcmp(op, "Resize") || !strcmp(op, "Upsample")) return k_resize;
  return NULL;
}
