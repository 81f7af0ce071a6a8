/* layout.c: ops that move or generate data without arithmetic: Concat, Split, Slice, Transpose, Pad, Expand,
 * Gather, Reshape/Flatten/Squeeze/Unsqueeze/Identity (copies), Cast, Shape, Range, ConstantOfShape.
 * All work on raw element bytes, so every dtype is handled. */
#include <stdlib.h>

#include "cpu_ops.h"

static size_t esize(const cpu_tensor* t) { return plan_dtype_bytes(t->dtype); }

/* ------------------------------------------------------------------ copies */
static int32_t k_copy(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  if (x->count != y->count) return cpu_fail(c, err, DENOTRT_INTERNAL_ERROR, "element counts differ");
  if (x->data != y->data) memmove(y->data, x->data, (size_t)x->count * esize(x));
  return DENOTRT_OK;
}

/* Dropout at inference: identity; the optional mask output is all true. */
static int32_t k_dropout(const cpu_call* c, denotrt_error* err) {
  cpu_tensor* mask = cpu_out(c, 1);
  if (mask) memset(mask->data, 1, (size_t)mask->count * esize(mask));
  return k_copy(c, err);
}

static int32_t k_cast(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  (void)err;
  if (x->dtype == y->dtype) return k_copy(c, err);
  int int_path = x->dtype != DENOTRT_FLOAT32 && y->dtype != DENOTRT_FLOAT32;
  for (int64_t i = 0; i < x->count; i++) {
    if (int_path && y->dtype == DENOTRT_INT64) ((int64_t*)y->data)[i] = cpu_get_i64(x, i);
    else if (y->dtype == DENOTRT_INT64) ((int64_t*)y->data)[i] = cpu_get_i64(x, i);
    else cpu_set_f64(y, i, cpu_get_f64(x, i));
  }
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ Concat / Split: (outer, axis*inner) blocks */
static int32_t k_concat(const cpu_call* c, denotrt_error* err) {
  cpu_tensor* y = cpu_out(c, 0);
  int64_t axis = plan_attr_int(c->layer, "axis", 0);
  if (axis < 0) axis += y->rank;
  size_t es = esize(y);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= y->dims[d];
  for (int d = (int)axis + 1; d < y->rank; d++) inner *= y->dims[d];
  int64_t yrow = y->dims[axis] * inner, off = 0;
  for (int i = 0; i < c->layer->num_inputs; i++) {
    const cpu_tensor* x = cpu_in(c, i);
    if (!x) continue;
    if (x->dtype != y->dtype) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "inputs of different types");
    int64_t xrow = x->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy((uint8_t*)y->data + (o * yrow + off) * es, (const uint8_t*)x->data + o * xrow * es, (size_t)xrow * es);
    off += xrow;
  }
  return DENOTRT_OK;
}

static int32_t k_split(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  int64_t axis = plan_attr_int(c->layer, "axis", 0);
  if (axis < 0) axis += x->rank;
  size_t es = esize(x);
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; d++) outer *= x->dims[d];
  for (int d = (int)axis + 1; d < x->rank; d++) inner *= x->dims[d];
  int64_t xrow = x->dims[axis] * inner, off = 0;
  (void)err;
  for (int i = 0; i < c->layer->num_outputs; i++) {
    cpu_tensor* y = cpu_out(c, i);
    if (!y) continue;
    int64_t yrow = y->dims[axis] * inner;
    for (int64_t o = 0; o < outer; o++)
      memcpy((uint8_t*)y->data + o * yrow * es, (const uint8_t*)x->data + (o * xrow + off) * es, (size_t)yrow * es);
    off += yrow;
  }
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ strided gather used by Slice, Transpose,
 * Expand: out[i] = in[sum(coord_d * src_stride_d) + base], coords walked over the output shape. */
typedef struct gargs {
  const uint8_t* src;
  uint8_t* dst;
  size_t es;
  int32_t rank;
  int64_t dims[DENOTRT_MAX_RANK], sstr[DENOTRT_MAX_RANK];
  int64_t base, inner;
} gargs;

static void gather_rows(void* arg, int64_t r0, int64_t r1) {
  const gargs* a = (const gargs*)arg;
  int64_t n = a->inner, last = a->rank ? a->sstr[a->rank - 1] : 0;
  for (int64_t r = r0; r < r1; r++) {
    int64_t off = a->base, q = r;
    for (int d = a->rank - 2; d >= 0; d--) {
      off += (q % a->dims[d]) * a->sstr[d];
      q /= a->dims[d];
    }
    uint8_t* dst = a->dst + r * n * a->es;
    if (last == 1) memcpy(dst, a->src + off * a->es, (size_t)n * a->es);
    else if (a->es == 4) {
      const float* s = (const float*)a->src + off;
      for (int64_t j = 0; j < n; j++) ((float*)dst)[j] = s[j * last];
    } else
      for (int64_t j = 0; j < n; j++) memcpy(dst + j * a->es, a->src + (off + j * last) * a->es, a->es);
  }
}

static void strided_copy(gargs* a, int64_t count) {
  a->inner = a->rank ? a->dims[a->rank - 1] : 1;
  if (a->inner == 0) return;
  int64_t rows = count / a->inner;
  cpu_parallel_for(rows, a->inner >= 1024 ? 1 : 1024 / a->inner, gather_rows, a);
}

int32_t cpu_slice_params(const int64_t* starts, const int64_t* ends, const int64_t* axes, const int64_t* steps,
                         int64_t n, int32_t rank, const int64_t* dims, int64_t* start_out, int64_t* step_out,
                         int64_t* count_out, const char** msg) {
  for (int d = 0; d < rank; d++) start_out[d] = 0, step_out[d] = 1, count_out[d] = dims[d];
  int seen[DENOTRT_MAX_RANK] = {0};
  for (int k = 0; k < n; k++) {
    int64_t ax = axes[k] < 0 ? axes[k] + rank : axes[k];
    if (ax < 0 || ax >= rank) return *msg = "slice axis out of range", 1;
    if (seen[ax]) return *msg = "slice axis repeated", 1;
    seen[ax] = 1;
    int64_t dim = dims[ax], step = steps[k];
    if (step == 0) return *msg = "slice step is zero", 1;
    int64_t s = starts[k], e = ends[k];
    if (s < 0) s += dim;
    if (e < 0 && e > INT64_MIN / 2) e += dim;
    if (step > 0) {
      s = s < 0 ? 0 : s > dim ? dim : s;
      e = e < 0 ? 0 : e > dim ? dim : e;
      count_out[ax] = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = s < 0 ? -1 : s > dim - 1 ? dim - 1 : s;
      e = e < -1 ? -1 : e > dim - 1 ? dim - 1 : e;
      count_out[ax] = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    start_out[ax] = s;
    step_out[ax] = step;
  }
  return 0;
}

static int32_t k_slice(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int64_t st[DENOTRT_MAX_RANK], en[DENOTRT_MAX_RANK], ax[DENOTRT_MAX_RANK], sp[DENOTRT_MAX_RANK], n;
  if (cpu_in(c, 1)) {
    n = cpu_in(c, 1)->count;
    if (n > DENOTRT_MAX_RANK) return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "too many slice axes");
    for (int k = 0; k < n; k++) {
      st[k] = cpu_get_i64(cpu_in(c, 1), k);
      en[k] = cpu_get_i64(cpu_in(c, 2), k);
      ax[k] = cpu_in(c, 3) ? cpu_get_i64(cpu_in(c, 3), k) : k;
      sp[k] = cpu_in(c, 4) ? cpu_get_i64(cpu_in(c, 4), k) : 1;
    }
  } else {
    int32_t a = 0, b = 0, k2 = 0;
    const int64_t* s1 = plan_attr_ints(c->layer, "starts", &a);
    const int64_t* e1 = plan_attr_ints(c->layer, "ends", &b);
    const int64_t* x1 = plan_attr_ints(c->layer, "axes", &k2);
    n = a;
    if (n > DENOTRT_MAX_RANK || !s1 || !e1) return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "bad starts/ends");
    for (int k = 0; k < n; k++) st[k] = s1[k], en[k] = e1[k], ax[k] = x1 ? x1[k] : k, sp[k] = 1;
  }
  int64_t s0[DENOTRT_MAX_RANK], step[DENOTRT_MAX_RANK], cnt[DENOTRT_MAX_RANK];
  const char* msg = NULL;
  if (cpu_slice_params(st, en, ax, sp, n, x->rank, x->dims, s0, step, cnt, &msg))
    return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "%s", msg);
  gargs g = {(const uint8_t*)x->data, (uint8_t*)y->data, esize(x), x->rank, {0}, {0}, 0, 0};
  int64_t xs[DENOTRT_MAX_RANK];
  cpu_strides(x->rank, x->dims, xs);
  for (int d = 0; d < x->rank; d++) {
    g.dims[d] = cnt[d];
    g.sstr[d] = xs[d] * step[d];
    g.base += s0[d] * xs[d];
  }
  strided_copy(&g, y->count);
  return DENOTRT_OK;
}

static int32_t k_transpose(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int32_t cnt = 0;
  const int64_t* perm = plan_attr_ints(c->layer, "perm", &cnt);
  int64_t xs[DENOTRT_MAX_RANK];
  cpu_strides(x->rank, x->dims, xs);
  gargs g = {(const uint8_t*)x->data, (uint8_t*)y->data, esize(x), x->rank, {0}, {0}, 0, 0};
  (void)err;
  for (int d = 0; d < x->rank; d++) {
    int64_t p = perm ? perm[d] : x->rank - 1 - d;
    g.dims[d] = x->dims[p];
    g.sstr[d] = xs[p];
  }
  strided_copy(&g, y->count);
  return DENOTRT_OK;
}

static int32_t k_expand(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int64_t xs[DENOTRT_MAX_RANK];
  cpu_strides(x->rank, x->dims, xs);
  gargs g = {(const uint8_t*)x->data, (uint8_t*)y->data, esize(x), y->rank, {0}, {0}, 0, 0};
  int off = y->rank - x->rank;
  (void)err;
  for (int d = 0; d < y->rank; d++) {
    g.dims[d] = y->dims[d];
    g.sstr[d] = (d < off || x->dims[d - off] == 1) ? 0 : xs[d - off];
  }
  strided_copy(&g, y->count);
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ Gather */
static int32_t k_gather(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  const cpu_tensor* idx = cpu_in(c, 1);
  cpu_tensor* y = cpu_out(c, 0);
  int64_t axis = plan_attr_int(c->layer, "axis", 0);
  if (axis < 0) axis += x->rank;
  int64_t outer = 1, inner = 1, dim = x->dims[axis];
  for (int d = 0; d < axis; d++) outer *= x->dims[d];
  for (int d = (int)axis + 1; d < x->rank; d++) inner *= x->dims[d];
  size_t es = esize(x), blk = (size_t)inner * es;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < idx->count; i++) {
      int64_t k = cpu_get_i64(idx, i);
      if (k < 0) k += dim;
      if (k < 0 || k >= dim)
        return cpu_fail(c, err, DENOTRT_INVALID_ARGUMENT, "index %lld is out of range [-%lld, %lld)",
                        (long long)cpu_get_i64(idx, i), (long long)dim, (long long)dim);
      memcpy((uint8_t*)y->data + (o * idx->count + i) * blk, (const uint8_t*)x->data + (o * dim + k) * blk, blk);
    }
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ Pad */
static int32_t k_pad(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int32_t r = x->rank;
  int64_t pb[DENOTRT_MAX_RANK];
  for (int d = 0; d < r; d++) pb[d] = 0;
  const cpu_tensor* pads = cpu_in(c, 1);
  const cpu_tensor* axes = cpu_in(c, 3);
  if (pads) {
    int64_t na = axes ? axes->count : r;
    for (int k = 0; k < na; k++) {
      int64_t ax = axes ? cpu_get_i64(axes, k) : k;
      if (ax < 0) ax += r;
      pb[ax] = cpu_get_i64(pads, k);
    }
  } else {
    int32_t cnt = 0;
    const int64_t* a = plan_attr_ints(c->layer, "pads", &cnt);
    for (int d = 0; d < r && a; d++) pb[d] = a[d];
  }
  const char* mode = plan_attr_string(c->layer, "mode", "constant");
  int m = !strcmp(mode, "constant") ? 0 : !strcmp(mode, "reflect") ? 1 : !strcmp(mode, "edge") ? 2 : -1;
  if (m < 0) return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "pad mode '%s' is not supported", mode);
  double cv = plan_attr_float(c->layer, "value", 0.f);
  const cpu_tensor* cvt = cpu_in(c, 2);
  if (cvt && cvt->count) cv = cpu_get_f64(cvt, 0);
  int64_t xs[DENOTRT_MAX_RANK];
  cpu_strides(r, x->dims, xs);
  size_t es = esize(x);
  /* Per output element: map each coordinate back to the input, or mark it as padding. Pad is rare and small in
   * the target networks, so clarity wins over a row-wise fast path. */
  for (int64_t i = 0; i < y->count; i++) {
    int64_t q = i, off = 0;
    int pad = 0;
    for (int d = r - 1; d >= 0; d--) {
      int64_t o = q % y->dims[d];
      q /= y->dims[d];
      int64_t s = o - pb[d], n = x->dims[d];
      if (s < 0 || s >= n) {
        if (m == 0 || n == 0) pad = 1;
        else if (m == 2) s = s < 0 ? 0 : n - 1;
        else {
          if (n == 1) s = 0;
          else {
            int64_t period = 2 * (n - 1);
            s = ((s % period) + period) % period;
            if (s >= n) s = period - s;
          }
        }
      }
      off += s * xs[d];
    }
    if (pad) cpu_set_f64(y, i, cv);
    else memcpy((uint8_t*)y->data + i * es, (const uint8_t*)x->data + off * es, es);
  }
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ generators */
static int32_t k_shape(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  int64_t start = plan_attr_int(c->layer, "start", 0);
  if (start < 0) start += x->rank;
  if (start < 0) start = 0;
  (void)err;
  for (int64_t i = 0; i < y->count; i++) {
    int64_t v = x->dims[start + i];
    if (y->dtype == DENOTRT_INT64) ((int64_t*)y->data)[i] = v;
    else cpu_set_f64(y, i, (double)v);
  }
  return DENOTRT_OK;
}

static int32_t k_range(const cpu_call* c, denotrt_error* err) {
  cpu_tensor* y = cpu_out(c, 0);
  (void)err;
  if (y->dtype == DENOTRT_INT64 || y->dtype == DENOTRT_INT32) {
    int64_t s = cpu_get_i64(cpu_in(c, 0), 0), d = cpu_get_i64(cpu_in(c, 2), 0);
    for (int64_t i = 0; i < y->count; i++) {
      if (y->dtype == DENOTRT_INT64) ((int64_t*)y->data)[i] = s + i * d;
      else ((int32_t*)y->data)[i] = (int32_t)(s + i * d);
    }
  } else {
    double s = cpu_get_f64(cpu_in(c, 0), 0), d = cpu_get_f64(cpu_in(c, 2), 0);
    for (int64_t i = 0; i < y->count; i++) cpu_set_f64(y, i, s + (double)i * d);
  }
  return DENOTRT_OK;
}

/* value: a one-element tensor attribute; the builder passes it as "value" (float or int). Default 0. */
static int32_t k_constant_of_shape(const cpu_call* c, denotrt_error* err) {
  cpu_tensor* y = cpu_out(c, 0);
  const plan_attr* a = plan_attr_find(c->layer, "value");
  (void)err;
  double v = 0;
  int64_t iv = 0;
  if (a && a->type == PLAN_ATTR_INT) v = (double)(iv = a->i);
  else if (a && a->type == PLAN_ATTR_FLOAT) v = a->f, iv = (int64_t)a->f;
  else if (a && a->type == PLAN_ATTR_INTS && a->count) v = (double)(iv = a->ints[0]);
  else if (a && a->type == PLAN_ATTR_FLOATS && a->count) v = a->floats[0], iv = (int64_t)v;
  for (int64_t i = 0; i < y->count; i++) {
    if (y->dtype == DENOTRT_INT64) ((int64_t*)y->data)[i] = iv;
    else cpu_set_f64(y, i, v);
  }
  return DENOTRT_OK;
}

typedef struct { const char* op; cpu_kernel fn; } entry;
static const entry kLayout[] = {
    {"Reshape", k_copy}, {"Flatten", k_copy}, {"Squeeze", k_copy}, {"Unsqueeze", k_copy}, {"Identity", k_copy}, {"Dropout", k_dropout},
    {"Cast", k_cast}, {"Concat", k_concat}, {"Split", k_split}, {"Slice", k_slice}, {"Transpose", k_transpose},
    {"Expand", k_expand}, {"Gather", k_gather}, {"Pad", k_pad}, {"Shape", k_shape}, {"Range", k_range},
    {"ConstantOfShape", k_constant_of_shape}, {NULL, NULL}};

cpu_kernel cpu_layout_lookup(const char* op) {
  for (const entry* e = kLayout; e->op; e++)
    if (!strcmp(e->op, op)) return e->fn;
  return NULL;
}
