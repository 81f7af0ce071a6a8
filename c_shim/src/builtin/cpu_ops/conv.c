/* conv.c: Conv (with the builder's fused bias + residual + activation) and ConvTranspose, NCHW, 1-D and 2-D.
 * Conv: im2col + SGEMM per group (1x1 stride-1 unpadded convs feed the input straight to the GEMM);
 * depthwise convs use a direct loop, which beats im2col when every group has one channel.
 * ConvTranspose: GEMM into columns, then col2im scatter-add. */
#include <stdlib.h>

#include "cpu_ops.h"

typedef struct geom {
  int64_t N, C, H, W, M, OH, OW, kh, kw, sh, sw, dh, dw, ph, pw, G, Cg, Mg;
} geom;

static int32_t get_geom(const cpu_call* c, denotrt_error* err, int transpose, geom* g) {
  const cpu_tensor* x = cpu_in(c, 0);
  const cpu_tensor* w = cpu_in(c, 1);
  const cpu_tensor* y = cpu_out(c, 0);
  int32_t nsp = x->rank - 2;
  if (nsp < 1 || nsp > 2) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "only 1-D and 2-D convolutions are supported");
  if (x->dtype != DENOTRT_FLOAT32 || w->dtype != DENOTRT_FLOAT32)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "only floating-point convolutions are supported");
  cpu_window win;
  const char* msg = NULL;
  if (transpose) {
    /* the window check below is about the input side of a forward conv; ConvTranspose only needs the attrs */
    int32_t ns = 0, nd = 0;
    const int64_t* st = plan_attr_ints(c->layer, "strides", &ns);
    const int64_t* dl = plan_attr_ints(c->layer, "dilations", &nd);
    for (int d = 0; d < nsp; d++) {
      win.k[d] = w->dims[2 + d];
      win.stride[d] = st && d < ns ? st[d] : 1;
      win.dil[d] = dl && d < nd ? dl[d] : 1;
      win.pad_begin[d] = 0;
    }
  } else if (!cpu_window_setup(c->layer, nsp, x->dims + 2, w->dims + 2, 0, &win, &msg))
    return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "%s", msg);
  g->N = x->dims[0];
  g->C = x->dims[1];
  g->H = nsp == 2 ? x->dims[2] : 1;
  g->W = x->dims[nsp + 1];
  g->M = y->dims[1];
  g->OH = nsp == 2 ? y->dims[2] : 1;
  g->OW = y->dims[nsp + 1];
  int s = nsp == 2 ? 0 : -1; /* index of the H entry in win, -1 for 1-D */
  g->kh = s ? 1 : win.k[0];
  g->sh = s ? 1 : win.stride[0];
  g->dh = s ? 1 : win.dil[0];
  g->ph = s ? 0 : win.pad_begin[0];
  g->kw = win.k[nsp - 1];
  g->sw = win.stride[nsp - 1];
  g->dw = win.dil[nsp - 1];
  g->pw = win.pad_begin[nsp - 1];
  g->G = plan_attr_int(c->layer, "group", 1);
  g->Cg = g->C / g->G;
  g->Mg = g->M / g->G;
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ im2col */
typedef struct colargs { const geom* g; const float* x; float* col; } colargs;

static void im2col_rows(void* arg, int64_t r0, int64_t r1) {
  const colargs* a = (const colargs*)arg;
  const geom* g = a->g;
  int64_t ohw = g->OH * g->OW;
  for (int64_t r = r0; r < r1; r++) {
    int64_t ci = r / (g->kh * g->kw), ky = (r / g->kw) % g->kh, kx = r % g->kw;
    const float* xc = a->x + ci * g->H * g->W;
    float* dst = a->col + r * ohw;
    for (int64_t oy = 0; oy < g->OH; oy++) {
      int64_t iy = oy * g->sh - g->ph + ky * g->dh;
      float* d = dst + oy * g->OW;
      if (iy < 0 || iy >= g->H) {
        memset(d, 0, g->OW * sizeof(float));
        continue;
      }
      const float* xr = xc + iy * g->W;
      if (g->sw == 1) {
        int64_t off = -g->pw + kx * g->dw; /* ix = ox + off */
        int64_t lo = off < 0 ? -off : 0, hi = g->W - off;
        if (hi > g->OW) hi = g->OW;
        if (hi < lo) hi = lo;
        for (int64_t ox = 0; ox < lo && ox < g->OW; ox++) d[ox] = 0.f;
        if (hi > lo) memcpy(d + lo, xr + lo + off, (hi - lo) * sizeof(float));
        for (int64_t ox = hi; ox < g->OW; ox++) d[ox] = 0.f;
      } else {
        for (int64_t ox = 0; ox < g->OW; ox++) {
          int64_t ix = ox * g->sw - g->pw + kx * g->dw;
          d[ox] = (ix >= 0 && ix < g->W) ? xr[ix] : 0.f;
        }
      }
    }
  }
}

/* ------------------------------------------------------------------ epilogue: bias, residual, activation */
typedef struct epiargs {
  float* y;
  const float* bias;
  const cpu_tensor* res;
  int64_t M, plane;
  cpu_activation act;
} epiargs;

static void epilogue(void* arg, int64_t c0, int64_t c1) {
  const epiargs* a = (const epiargs*)arg;
  for (int64_t ch = c0; ch < c1; ch++) {
    float* y = a->y + ch * a->plane;
    if (a->bias) {
      float b = a->bias[ch % a->M];
      for (int64_t i = 0; i < a->plane; i++) y[i] += b;
    }
    if (a->res) {
      const float* r = (const float*)a->res->data + ch * a->plane;
      for (int64_t i = 0; i < a->plane; i++) y[i] += r[i];
    }
    cpu_activation_apply(&a->act, y, a->plane);
  }
}

/* ------------------------------------------------------------------ depthwise */
typedef struct dwargs { const geom* g; const float* x; const float* w; float* y; } dwargs;

static void dw_channels(void* arg, int64_t c0, int64_t c1) {
  const dwargs* a = (const dwargs*)arg;
  const geom* g = a->g;
  for (int64_t nc = c0; nc < c1; nc++) {
    int64_t ch = nc % g->C;
    const float* x = a->x + nc * g->H * g->W;
    const float* w = a->w + ch * g->kh * g->kw;
    float* y = a->y + nc * g->OH * g->OW;
    for (int64_t oy = 0; oy < g->OH; oy++)
      for (int64_t ox = 0; ox < g->OW; ox++) {
        float s = 0.f;
        for (int64_t ky = 0; ky < g->kh; ky++) {
          int64_t iy = oy * g->sh - g->ph + ky * g->dh;
          if (iy < 0 || iy >= g->H) continue;
          const float* xr = x + iy * g->W;
          const float* wr = w + ky * g->kw;
          for (int64_t kx = 0; kx < g->kw; kx++) {
            int64_t ix = ox * g->sw - g->pw + kx * g->dw;
            if (ix >= 0 && ix < g->W) s += xr[ix] * wr[kx];
          }
        }
        y[oy * g->OW + ox] = s;
      }
  }
}

static int32_t k_conv(const cpu_call* c, denotrt_error* err) {
  geom g;
  int32_t rc = get_geom(c, err, 0, &g);
  if (rc) return rc;
  const cpu_tensor* x = cpu_in(c, 0);
  const cpu_tensor* w = cpu_in(c, 1);
  const cpu_tensor* b = cpu_in(c, 2);
  const cpu_tensor* res = cpu_in(c, 3);
  cpu_tensor* y = cpu_out(c, 0);
  epiargs ep = {(float*)y->data, b && b->count ? (const float*)b->data : NULL, res, g.M, g.OH * g.OW, {ACT_NONE, 0, 0}};
  if (!cpu_activation_parse(c->layer, &ep.act))
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "unknown fused activation '%s'", plan_attr_string(c->layer, "activation", ""));
  if (res && res->count != y->count)
    return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "the residual input has %lld elements, the output %lld",
                    (long long)res->count, (long long)y->count);
  const float* X = (const float*)x->data;
  const float* W = (const float*)w->data;
  float* Y = (float*)y->data;
  int64_t ohw = g.OH * g.OW, K = g.Cg * g.kh * g.kw;
  if (g.Cg == 1 && g.Mg == 1) {
    dwargs a = {&g, X, W, Y};
    cpu_parallel_for(g.N * g.C, 1, dw_channels, &a);
  } else {
    int direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.OH == g.H && g.OW == g.W;
    float* col = NULL;
    if (!direct) {
      col = (float*)malloc((size_t)K * ohw * sizeof(float));
      if (!col) return cpu_fail(c, err, DENOTRT_OUT_OF_MEMORY, "out of host memory for the im2col buffer");
    }
    for (int64_t n = 0; n < g.N; n++)
      for (int64_t gi = 0; gi < g.G; gi++) {
        const float* xg = X + (n * g.C + gi * g.Cg) * g.H * g.W;
        const float* B = xg;
        if (!direct) {
          colargs a = {&g, xg, col};
          cpu_parallel_for(K, 4, im2col_rows, &a);
          B = col;
        }
        cpu_sgemm(0, 0, g.Mg, ohw, K, 1.f, W + gi * g.Mg * K, K, B, ohw, 0.f, Y + (n * g.M + gi * g.Mg) * ohw, ohw, 0);
      }
    free(col);
  }
  if (ep.bias || ep.res || ep.act.kind != ACT_NONE) cpu_parallel_for(g.N * g.M, 1, epilogue, &ep);
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ ConvTranspose */
typedef struct c2iargs { const geom* g; const float* col; float* y; } c2iargs;

/* Each output channel's plane is written by its own rows of col only, so channels run in parallel. */
static void col2im_channels(void* arg, int64_t m0, int64_t m1) {
  const c2iargs* a = (const c2iargs*)arg;
  const geom* g = a->g;
  for (int64_t m = m0; m < m1; m++) {
    float* y = a->y + m * g->OH * g->OW;
    for (int64_t ky = 0; ky < g->kh; ky++)
      for (int64_t kx = 0; kx < g->kw; kx++) {
        const float* src = a->col + ((m * g->kh + ky) * g->kw + kx) * g->H * g->W;
        for (int64_t iy = 0; iy < g->H; iy++) {
          int64_t oy = iy * g->sh - g->ph + ky * g->dh;
          if (oy < 0 || oy >= g->OH) continue;
          for (int64_t ix = 0; ix < g->W; ix++) {
            int64_t ox = ix * g->sw - g->pw + kx * g->dw;
            if (ox >= 0 && ox < g->OW) y[oy * g->OW + ox] += src[iy * g->W + ix];
          }
        }
      }
  }
}

static int32_t k_conv_transpose(const cpu_call* c, denotrt_error* err) {
  geom g;
  int32_t rc = get_geom(c, err, 1, &g);
  if (rc) return rc;
  const cpu_tensor* w = cpu_in(c, 1);
  const cpu_tensor* b = cpu_in(c, 2);
  cpu_tensor* y = cpu_out(c, 0);
  g.Cg = g.C / g.G;
  g.Mg = w->dims[1];
  /* get_geom resolved pads for the input side; for ConvTranspose the window describes the output, so re-derive
   * the begin pads from the attribute (auto_pad SAME is resolved by the builder into explicit pads). */
  int32_t np = 0;
  const int64_t* pads = plan_attr_ints(c->layer, "pads", &np);
  int nsp = y->rank - 2;
  g.ph = nsp == 2 && pads ? pads[0] : 0;
  g.pw = pads ? pads[nsp - 1] : 0;
  int64_t hw = g.H * g.W, rows = g.Mg * g.kh * g.kw;
  float* col = (float*)malloc((size_t)rows * hw * sizeof(float));
  if (!col) return cpu_fail(c, err, DENOTRT_OUT_OF_MEMORY, "out of host memory for the col2im buffer");
  const float* X = (const float*)cpu_in(c, 0)->data;
  const float* W = (const float*)w->data;
  float* Y = (float*)y->data;
  memset(Y, 0, (size_t)y->count * sizeof(float));
  for (int64_t n = 0; n < g.N; n++)
    for (int64_t gi = 0; gi < g.G; gi++) {
      cpu_sgemm(1, 0, rows, hw, g.Cg, 1.f, W + gi * g.Cg * rows, rows, X + (n * g.C + gi * g.Cg) * hw, hw, 0.f, col, hw, 0);
      c2iargs a = {&g, col, Y + (n * g.M + gi * g.Mg) * g.OH * g.OW};
      cpu_parallel_for(g.Mg, 1, col2im_channels, &a);
    }
  free(col);
  epiargs ep = {Y, b && b->count ? (const float*)b->data : NULL, NULL, g.M, g.OH * g.OW, {ACT_NONE, 0, 0}};
  if (!cpu_activation_parse(c->layer, &ep.act))
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "unknown fused activation '%s'", plan_attr_string(c->layer, "activation", ""));
  if (ep.bias || ep.act.kind != ACT_NONE) cpu_parallel_for(g.N * g.M, 1, epilogue, &ep);
  return DENOTRT_OK;
}

cpu_kernel cpu_conv_lookup(const char* op) {
  if (!strcmp(op, "Conv")) return k_conv;
  if (!strcmp(op, "ConvTranspose")) return k_conv_transpose;
  return NULL;
}
