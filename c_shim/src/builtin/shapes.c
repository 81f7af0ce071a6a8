/* shapes.c: run-time shape inference over a parsed plan (see shapes.h for the contract).
 * ONNX semantics per op; attribute and input forms of the same parameter (opset changes) are both accepted. */
#include "shapes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_ops/cpu_ops.h"
#include "layout.h"

#define API "denotrt_context_shapes"

int32_t cpu_dtype(int32_t d) {
  return (d == DENOTRT_FLOAT16 || d == DENOTRT_BFLOAT16 || d == DENOTRT_FLOAT64 || d == DENOTRT_FP8_E4M3)
             ? DENOTRT_FLOAT32 : d;
}

int32_t cpu_convert_constant(const void* src, int32_t dtype, int64_t n, void** out, denotrt_error* err) {
  *out = NULL;
  if (cpu_dtype(dtype) == dtype) return DENOTRT_OK;
  if (dtype == DENOTRT_FP8_E4M3)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, API, "", "fp8 constants are not supported by the CPU executor");
  float* f = (float*)malloc((size_t)(n ? n : 1) * sizeof(float));
  if (!f) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory converting a constant");
  cpu_to_f32(src, dtype, n, f);
  *out = f;
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ host placement */
static const char* const kHostOps[] = {"Gather", "Concat", "Unsqueeze", "Squeeze", "Cast", "Slice", "Add", "Sub",
                                       "Mul", "Div", "Reshape", "Identity", "Equal", "Where", "Min", "Max", "Neg",
                                       "Abs", "Floor", "Flatten", NULL};

static int is_int_dtype(int32_t d) { return d == DENOTRT_INT64 || d == DENOTRT_INT32 || d == DENOTRT_BOOL; }

void shapes_mark_host_tensors(plan* p) {
  for (int32_t i = 0; i < p->num_layers; i++) {
    plan_layer* l = &p->layers[i];
    int host = strcmp(l->op, "Shape") == 0;
    if (!host) {
      int listed = 0;
      for (int k = 0; kHostOps[k]; k++) listed |= strcmp(l->op, kHostOps[k]) == 0;
      int all = l->num_inputs > 0, any_host = 0, int_out = 1;
      for (int32_t k = 0; k < l->num_inputs; k++) {
        if (l->inputs[k] < 0) continue;
        uint32_t f = p->tensors[l->inputs[k]].flags;
        if (!(f & (PLAN_TENSOR_HOST | PLAN_TENSOR_CONSTANT))) all = 0;
        if (f & PLAN_TENSOR_HOST) any_host = 1;
      }
      for (int32_t k = 0; k < l->num_outputs; k++)
        if (l->outputs[k] >= 0 && !is_int_dtype(p->tensors[l->outputs[k]].dtype)) int_out = 0;
      /* Constant-only float arithmetic stays on the device: it may be a large weight transform. */
      host = listed && all && (any_host || int_out);
    }
    if (host)
      for (int32_t k = 0; k < l->num_outputs; k++)
        if (l->outputs[k] >= 0) p->tensors[l->outputs[k]].flags |= PLAN_TENSOR_HOST;
  }
}

int shapes_layer_is_host(const plan* p, const plan_layer* l) {
  int any = 0;
  for (int32_t k = 0; k < l->num_outputs; k++) {
    if (l->outputs[k] < 0) continue;
    if (!(p->tensors[l->outputs[k]].flags & PLAN_TENSOR_HOST)) return 0;
    any = 1;
  }
  return any;
}

/* ------------------------------------------------------------------ state */
void shapes_destroy(shape_state* s) {
  if (!s) return;
  if (s->host_values)
    for (int32_t i = 0; i < s->p->num_tensors; i++)
      if (s->owned[i]) free(s->host_values[i]);
  free(s->host_values);
  free(s->owned);
  free(s->host_caps);
  free(s->ranks);
  free(s->dims);
  free(s->counts);
  free(s->input_set);
  free(s->views);
  free(s);
}

int32_t shapes_create(const plan* p, shape_state** out, denotrt_error* err) {
  *out = NULL;
  shape_state* s = (shape_state*)calloc(1, sizeof *s);
  if (!s) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  size_t n = (size_t)p->num_tensors + 1;
  s->p = p;
  s->ranks = (int32_t*)calloc(n, sizeof *s->ranks);
  s->dims = (int64_t(*)[DENOTRT_MAX_RANK])calloc(n, sizeof *s->dims);
  s->counts = (int64_t*)calloc(n, sizeof *s->counts);
  s->input_set = (uint8_t*)calloc((size_t)p->num_inputs + 1, 1);
  s->host_values = (void**)calloc(n, sizeof(void*));
  s->host_caps = (uint64_t*)calloc(n, sizeof(uint64_t));
  s->owned = (uint8_t*)calloc(n, 1);
  s->views = calloc(n, sizeof(cpu_tensor));
  if (!s->ranks || !s->dims || !s->counts || !s->input_set || !s->host_values || !s->host_caps || !s->owned ||
      !s->views) {
    shapes_destroy(s);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  for (int32_t i = 0; i < p->num_tensors; i++) {
    const plan_tensor* t = &p->tensors[i];
    if (!(t->flags & PLAN_TENSOR_CONSTANT)) continue;
    s->ranks[i] = t->rank;
    int64_t c = 1;
    for (int d = 0; d < t->rank; d++) s->dims[i][d] = t->dims[d], c *= t->dims[d];
    s->counts[i] = c;
    void* conv = NULL;
    int32_t rc = cpu_convert_constant(t->data, t->dtype, c, &conv, err);
    if (rc != DENOTRT_OK) {
      /* fp8 constants only matter to the CPU when a host layer reads them, which no shape op does */
      if (rc == DENOTRT_UNSUPPORTED) continue;
      shapes_destroy(s);
      return rc;
    }
    s->host_values[i] = conv ? conv : (void*)t->data;
    s->owned[i] = conv != NULL;
  }
  *out = s;
  return DENOTRT_OK;
}

int32_t shapes_set_profile(shape_state* s, int32_t profile, denotrt_error* err) {
  if (profile < 0 || profile >= s->p->num_profiles)
    return DENOTRT_BAD_ARG(err, "denotrt_context_set_optimization_profile",
                           "profile %d does not exist (the engine has %d)", profile, s->p->num_profiles);
  if (profile != s->profile) {
    s->profile = profile;
    memset(s->input_set, 0, (size_t)s->p->num_inputs);
    s->valid = 0;
  }
  return DENOTRT_OK;
}

int32_t shapes_set_input(shape_state* s, const char* name, int32_t rank, const int64_t* dims, denotrt_error* err) {
  static const char* api = "denotrt_context_set_input_shape";
  const plan* p = s->p;
  int32_t pos = plan_input_position(p, name);
  if (pos < 0) {
    int32_t t = plan_find_tensor(p, name);
    return DENOTRT_BAD_ARG(err, api, "'%s' is %s", name, t < 0 ? "not a tensor of this engine" : "not an input");
  }
  int32_t ti = p->inputs[pos];
  const plan_range* r = plan_profile_range(p, s->profile, pos);
  if (rank != p->tensors[ti].rank)
    return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "input '%s' has rank %d, but a shape of rank %d was given",
                        name, p->tensors[ti].rank, rank);
  for (int d = 0; d < rank; d++) {
    if (r && (dims[d] < r->min[d] || dims[d] > r->max[d]))
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "",
                          "input '%s' dimension %d is %lld, outside the range [%lld, %lld] of optimization profile %d",
                          name, d, (long long)dims[d], (long long)r->min[d], (long long)r->max[d], s->profile);
    if (!r && p->tensors[ti].dims[d] >= 0 && dims[d] != p->tensors[ti].dims[d])
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "input '%s' dimension %d is %lld but must be %lld",
                          name, d, (long long)dims[d], (long long)p->tensors[ti].dims[d]);
  }
  int same = s->input_set[pos] && s->ranks[ti] == rank;
  for (int d = 0; same && d < rank; d++) same = s->dims[ti][d] == dims[d];
  if (same) return DENOTRT_OK;
  s->ranks[ti] = rank;
  int64_t c = 1;
  for (int d = 0; d < rank; d++) s->dims[ti][d] = dims[d], c *= dims[d];
  s->counts[ti] = c;
  s->input_set[pos] = 1;
  s->valid = 0;
  return DENOTRT_OK;
}

void shapes_set_input_values(shape_state* s, int32_t t, const void* host) {
  const plan_tensor* pt = &s->p->tensors[t];
  if (!(pt->flags & PLAN_TENSOR_INPUT) || cpu_dtype(pt->dtype) != pt->dtype) return;
  s->host_values[t] = (void*)host;
  if (s->reads_input_values) s->valid = 0;
}

void shapes_invalidate_values(shape_state* s) {
  if (s->reads_input_values) s->valid = 0;
}

/* ------------------------------------------------------------------ per-op inference helpers */
typedef struct ictx {
  shape_state* s;
  const plan_layer* l;
  denotrt_error* err;
} ictx;

static int32_t lfail(ictx* c, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int32_t lfail(ictx* c, const char* fmt, ...) {
  char msg[300];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return denotrt_fail(c->err, DENOTRT_SHAPE_ERROR, 0, API, "", "layer '%s' (%s): %s", c->l->name, c->l->op, msg);
}

static int has_in(ictx* c, int i) { return i < c->l->num_inputs && c->l->inputs[i] >= 0; }
static int32_t in_t(ictx* c, int i) { return c->l->inputs[i]; }
static int32_t in_rank(ictx* c, int i) { return c->s->ranks[c->l->inputs[i]]; }
static const int64_t* in_dims(ictx* c, int i) { return c->s->dims[c->l->inputs[i]]; }

static int32_t set_out(ictx* c, int i, int32_t rank, const int64_t* dims) {
  if (i >= c->l->num_outputs || c->l->outputs[i] < 0) return DENOTRT_OK;
  if (rank < 0 || rank > DENOTRT_MAX_RANK) return lfail(c, "output %d would have rank %d", i, rank);
  int32_t t = c->l->outputs[i];
  int64_t n = 1;
  for (int d = 0; d < rank; d++) {
    if (dims[d] < 0) return lfail(c, "output '%s' dimension %d would be negative (%lld)", c->s->p->tensors[t].name, d, (long long)dims[d]);
    c->s->dims[t][d] = dims[d];
    n *= dims[d];
  }
  c->s->ranks[t] = rank;
  c->s->counts[t] = n;
  return DENOTRT_OK;
}
static int32_t same_as_input(ictx* c, int out, int in) { return set_out(c, out, in_rank(c, in), in_dims(c, in)); }

/* Input i's values as a CPU view (it must be a constant or a host tensor with at most cap values). */
static int32_t in_host_view(ictx* c, int i, int64_t cap, cpu_tensor* v) {
  int32_t t = in_t(c, i);
  const plan_tensor* pt = &c->s->p->tensors[t];
  if (!c->s->host_values[t])
    return lfail(c, "needs the values of '%s', which is neither a constant nor a host shape tensor", pt->name);
  int64_t cnt = c->s->counts[t];
  if (cnt > cap) return lfail(c, "'%s' has %lld values, more than the %lld expected", pt->name, (long long)cnt, (long long)cap);
  if (pt->flags & PLAN_TENSOR_INPUT) c->s->reads_input_values = 1;
  cpu_tensor view = {c->s->host_values[t], cpu_dtype(pt->dtype), 0, {0}, cnt};
  *v = view;
  return DENOTRT_OK;
}
/* The values of input i as int64, and as double. */
static int32_t in_values(ictx* c, int i, int64_t* out, int64_t cap, int64_t* n) {
  cpu_tensor v;
  int32_t rc = in_host_view(c, i, cap, &v);
  if (rc != DENOTRT_OK) return rc;
  for (int64_t k = 0; k < v.count; k++) out[k] = cpu_get_i64(&v, k);
  *n = v.count;
  return DENOTRT_OK;
}
static int32_t in_fvalues(ictx* c, int i, double* out, int64_t cap, int64_t* n) {
  cpu_tensor v;
  int32_t rc = in_host_view(c, i, cap, &v);
  if (rc != DENOTRT_OK) return rc;
  for (int64_t k = 0; k < v.count; k++) out[k] = cpu_get_f64(&v, k);
  *n = v.count;
  return DENOTRT_OK;
}

/* Axes from input `input` when present, else from attribute "axes"; returns -1 count when neither. */
static int32_t get_axes(ictx* c, int input, int64_t* axes, int64_t* n) {
  if (has_in(c, input)) return in_values(c, input, axes, DENOTRT_MAX_RANK, n);
  int32_t cnt = 0;
  const int64_t* a = plan_attr_ints(c->l, "axes", &cnt);
  if (!a) {
    *n = -1;
    return DENOTRT_OK;
  }
  if (cnt > DENOTRT_MAX_RANK) return lfail(c, "too many axes (%d)", cnt);
  for (int k = 0; k < cnt; k++) axes[k] = a[k];
  *n = cnt;
  return DENOTRT_OK;
}
static int32_t norm_axis(ictx* c, int64_t* axis, int32_t rank) {
  if (*axis < -rank || *axis >= rank) return lfail(c, "axis %lld is out of range for rank %d", (long long)*axis, rank);
  if (*axis < 0) *axis += rank;
  return DENOTRT_OK;
}

static int32_t infer_broadcast(ictx* c) {
  int32_t rank = 0;
  int64_t out[DENOTRT_MAX_RANK];
  for (int i = 0; i < c->l->num_inputs; i++)
    if (has_in(c, i) && in_rank(c, i) > rank) rank = in_rank(c, i);
  for (int d = 0; d < rank; d++) out[d] = 1;
  for (int i = 0; i < c->l->num_inputs; i++) {
    if (!has_in(c, i)) continue;
    int32_t r = in_rank(c, i);
    const int64_t* dd = in_dims(c, i);
    for (int d = 0; d < r; d++) {
      int64_t v = dd[d], *o = &out[rank - r + d];
      if (v == *o || v == 1) continue;
      if (*o == 1) *o = v;
      else return lfail(c, "inputs cannot be broadcast together (dimension %lld against %lld)", (long long)v, (long long)*o);
    }
  }
  return set_out(c, 0, rank, out);
}

static int32_t infer_conv(ictx* c, int transpose) {
  int32_t r = in_rank(c, 0);
  if (r < 3 || in_rank(c, 1) != r) return lfail(c, "expects input and weight of the same rank >= 3");
  const int64_t* x = in_dims(c, 0);
  const int64_t* w = in_dims(c, 1);
  int64_t group = plan_attr_int(c->l, "group", 1);
  if (group < 1) return lfail(c, "group must be positive");
  cpu_window win;
  const char* msg = NULL;
  if (transpose) {
    int32_t ns = 0, nd = 0, np = 0;
    const int64_t* st = plan_attr_ints(c->l, "strides", &ns);
    const int64_t* dl = plan_attr_ints(c->l, "dilations", &nd);
    const int64_t* pd = plan_attr_ints(c->l, "pads", &np);
    for (int d = 0; d < r - 2; d++) {
      win.stride[d] = st && d < ns ? st[d] : 1;
      win.dil[d] = dl && d < nd ? dl[d] : 1;
      win.pad_begin[d] = pd && np == 2 * (r - 2) ? pd[d] : 0;
      win.pad_end[d] = pd && np == 2 * (r - 2) ? pd[r - 2 + d] : 0;
    }
  } else if (!cpu_window_setup(c->l, r - 2, x + 2, w + 2, 0, &win, &msg)) return lfail(c, "%s", msg);
  int64_t out[DENOTRT_MAX_RANK];
  out[0] = x[0];
  if (!transpose) {
    if (x[1] != w[1] * group)
      return lfail(c, "input has %lld channels but weights expect %lld x group %lld", (long long)x[1], (long long)w[1], (long long)group);
    out[1] = w[0];
    for (int d = 0; d < r - 2; d++) out[2 + d] = win.out[d];
  } else {
    if (x[1] != w[0]) return lfail(c, "input has %lld channels but weights expect %lld", (long long)x[1], (long long)w[0]);
    out[1] = w[1] * group;
    int32_t n_os = 0, n_op = 0;
    const int64_t* os = plan_attr_ints(c->l, "output_shape", &n_os);
    const int64_t* op = plan_attr_ints(c->l, "output_padding", &n_op);
    for (int d = 0; d < r - 2; d++) {
      if (os && n_os == r - 2) out[2 + d] = os[d];
      else
        out[2 + d] = win.stride[d] * (x[2 + d] - 1) + (op && d < n_op ? op[d] : 0) + (w[2 + d] - 1) * win.dil[d] + 1 -
                     win.pad_begin[d] - win.pad_end[d];
    }
  }
  return set_out(c, 0, r, out);
}

static int32_t infer_pool(ictx* c) {
  int32_t r = in_rank(c, 0);
  if (r < 3) return lfail(c, "expects an input of rank >= 3");
  const int64_t* x = in_dims(c, 0);
  cpu_window win;
  const char* msg = NULL;
  if (!cpu_window_setup(c->l, r - 2, x + 2, NULL, 1, &win, &msg)) return lfail(c, "%s", msg);
  int64_t out[DENOTRT_MAX_RANK] = {x[0], x[1]};
  for (int d = 0; d < r - 2; d++) out[2 + d] = win.out[d];
  int32_t rc = set_out(c, 0, r, out);
  if (rc == DENOTRT_OK && c->l->num_outputs > 1) rc = set_out(c, 1, r, out); /* MaxPool indices */
  return rc;
}

static int32_t infer_reduce(ictx* c) {
  int32_t r = in_rank(c, 0);
  const int64_t* x = in_dims(c, 0);
  int64_t axes[DENOTRT_MAX_RANK], n = 0;
  int32_t rc = get_axes(c, 1, axes, &n);
  if (rc) return rc;
  int keep = (int)plan_attr_int(c->l, "keepdims", 1);
  int reduce[DENOTRT_MAX_RANK] = {0};
  if (n <= 0) {
    if (n == 0 && plan_attr_int(c->l, "noop_with_empty_axes", 0)) return same_as_input(c, 0, 0);
    for (int d = 0; d < r; d++) reduce[d] = 1;
  } else
    for (int k = 0; k < n; k++) {
      if ((rc = norm_axis(c, &axes[k], r))) return rc;
      reduce[axes[k]] = 1;
    }
  int64_t out[DENOTRT_MAX_RANK];
  int32_t orank = 0;
  for (int d = 0; d < r; d++) {
    if (!reduce[d]) out[orank++] = x[d];
    else if (keep) out[orank++] = 1;
  }
  return set_out(c, 0, orank, out);
}

static int32_t infer_concat(ictx* c) {
  int64_t axis = plan_attr_int(c->l, "axis", 0);
  int32_t r = in_rank(c, 0);
  int32_t rc = norm_axis(c, &axis, r);
  if (rc) return rc;
  int64_t out[DENOTRT_MAX_RANK];
  memcpy(out, in_dims(c, 0), sizeof out);
  out[axis] = 0;
  for (int i = 0; i < c->l->num_inputs; i++) {
    if (!has_in(c, i)) continue;
    if (in_rank(c, i) != r) return lfail(c, "input %d has rank %d, expected %d", i, in_rank(c, i), r);
    for (int d = 0; d < r; d++)
      if (d != axis && in_dims(c, i)[d] != out[d])
        return lfail(c, "input %d has dimension %d = %lld, expected %lld", i, d, (long long)in_dims(c, i)[d], (long long)out[d]);
    out[axis] += in_dims(c, i)[axis];
  }
  return set_out(c, 0, r, out);
}

static int32_t infer_split(ictx* c) {
  int64_t axis = plan_attr_int(c->l, "axis", 0);
  int32_t r = in_rank(c, 0);
  int32_t rc = norm_axis(c, &axis, r);
  if (rc) return rc;
  int64_t sizes[256], n = 0;
  int32_t nout = c->l->num_outputs;
  if (nout > 256) return lfail(c, "more than 256 outputs");
  if (has_in(c, 1)) {
    if ((rc = in_values(c, 1, sizes, 256, &n))) return rc;
  } else {
    int32_t cnt = 0;
    const int64_t* a = plan_attr_ints(c->l, "split", &cnt);
    if (a) {
      if (cnt > 256) return lfail(c, "more than 256 splits");
      for (int k = 0; k < cnt; k++) sizes[k] = a[k];
      n = cnt;
    }
  }
  int64_t total = in_dims(c, 0)[axis];
  if (n == 0) { /* equal parts; the last one smaller when it does not divide (opset 18) */
    int64_t part = (total + nout - 1) / nout;
    for (int k = 0; k < nout; k++) sizes[k] = (k + 1) * part <= total ? part : (total - k * part > 0 ? total - k * part : 0);
    n = nout;
  }
  if (n != nout) return lfail(c, "%lld split sizes for %d outputs", (long long)n, nout);
  int64_t sum = 0;
  for (int k = 0; k < n; k++) sum += sizes[k];
  if (sum != total) return lfail(c, "split sizes add up to %lld, but the axis has %lld", (long long)sum, (long long)total);
  for (int k = 0; k < nout; k++) {
    int64_t out[DENOTRT_MAX_RANK];
    memcpy(out, in_dims(c, 0), sizeof out);
    out[axis] = sizes[k];
    if ((rc = set_out(c, k, r, out))) return rc;
  }
  return DENOTRT_OK;
}

/* Slice parameters, resolved to per-axis start/step/count; shared with the Slice kernel through the layer attrs
 * would be awkward, so the kernel recomputes them with the same function (cpu_slice_resolve in layout.c). */
int32_t cpu_slice_params(const int64_t* starts, const int64_t* ends, const int64_t* axes, const int64_t* steps,
                         int64_t n, int32_t rank, const int64_t* dims, int64_t* start_out, int64_t* step_out,
                         int64_t* count_out, const char** msg);

static int32_t slice_inputs(ictx* c, int64_t* st, int64_t* en, int64_t* ax, int64_t* sp, int64_t* n) {
  int32_t rc;
  int64_t n2 = 0, n3 = -1, n4 = -1;
  if (has_in(c, 1)) {
    if ((rc = in_values(c, 1, st, DENOTRT_MAX_RANK, n))) return rc;
    if ((rc = in_values(c, 2, en, DENOTRT_MAX_RANK, &n2))) return rc;
    if (has_in(c, 3) && (rc = in_values(c, 3, ax, DENOTRT_MAX_RANK, &n3))) return rc;
    if (has_in(c, 4) && (rc = in_values(c, 4, sp, DENOTRT_MAX_RANK, &n4))) return rc;
  } else {
    int32_t a = 0, b = 0, k = 0;
    const int64_t* s1 = plan_attr_ints(c->l, "starts", &a);
    const int64_t* e1 = plan_attr_ints(c->l, "ends", &b);
    const int64_t* x1 = plan_attr_ints(c->l, "axes", &k);
    if (!s1 || !e1 || a > DENOTRT_MAX_RANK || k > DENOTRT_MAX_RANK) return lfail(c, "missing or oversized starts/ends");
    memcpy(st, s1, a * 8);
    memcpy(en, e1, b * 8);
    if (x1) memcpy(ax, x1, k * 8), n3 = k;
    *n = a;
    n2 = b;
  }
  if (n2 != *n || (n3 >= 0 && n3 != *n) || (n4 >= 0 && n4 != *n)) return lfail(c, "starts, ends, axes and steps differ in length");
  if (n3 < 0) for (int k = 0; k < *n; k++) ax[k] = k;
  if (n4 < 0) for (int k = 0; k < *n; k++) sp[k] = 1;
  return DENOTRT_OK;
}

static int32_t infer_slice(ictx* c) {
  int64_t st[DENOTRT_MAX_RANK], en[DENOTRT_MAX_RANK], ax[DENOTRT_MAX_RANK], sp[DENOTRT_MAX_RANK], n = 0;
  int32_t rc = slice_inputs(c, st, en, ax, sp, &n);
  if (rc) return rc;
  int64_t s0[DENOTRT_MAX_RANK], s1[DENOTRT_MAX_RANK], cnt[DENOTRT_MAX_RANK];
  const char* msg = NULL;
  if (cpu_slice_params(st, en, ax, sp, n, in_rank(c, 0), in_dims(c, 0), s0, s1, cnt, &msg)) return lfail(c, "%s", msg);
  return set_out(c, 0, in_rank(c, 0), cnt);
}

static int32_t infer_resize(ictx* c) {
  int32_t r = in_rank(c, 0);
  const int64_t* x = in_dims(c, 0);
  int64_t out[DENOTRT_MAX_RANK], n = 0;
  double scales[DENOTRT_MAX_RANK];
  int32_t rc;
  /* opset 10: (X, scales); opset 11+: (X, roi, scales, sizes) */
  int scales_in = c->l->num_inputs == 2 ? 1 : 2;
  if (has_in(c, 3) && c->s->counts[in_t(c, 3)] > 0) {
    if ((rc = in_values(c, 3, out, DENOTRT_MAX_RANK, &n))) return rc;
    if (n != r) return lfail(c, "sizes has %lld values for an input of rank %d", (long long)n, r);
  } else if (has_in(c, scales_in) && c->s->counts[in_t(c, scales_in)] > 0) {
    if ((rc = in_fvalues(c, scales_in, scales, DENOTRT_MAX_RANK, &n))) return rc;
    if (n != r) return lfail(c, "scales has %lld values for an input of rank %d", (long long)n, r);
    for (int d = 0; d < r; d++) out[d] = (int64_t)floor((double)x[d] * (float)scales[d]);
  } else {
    int32_t cnt = 0;
    const float* f = plan_attr_floats(c->l, "scales", &cnt); /* Upsample-style attribute */
    if (!f || cnt != r) return lfail(c, "neither scales nor sizes is given");
    for (int d = 0; d < r; d++) out[d] = (int64_t)floor((double)x[d] * f[d]);
  }
  return set_out(c, 0, r, out);
}

static int32_t infer_pad(ictx* c) {
  int32_t r = in_rank(c, 0);
  int64_t pads[2 * DENOTRT_MAX_RANK], n = 0, axes[DENOTRT_MAX_RANK], na = -1;
  int32_t rc;
  if (has_in(c, 1)) {
    if ((rc = in_values(c, 1, pads, 2 * DENOTRT_MAX_RANK, &n))) return rc;
  } else {
    int32_t cnt = 0;
    const int64_t* a = plan_attr_ints(c->l, "pads", &cnt);
    if (!a || cnt > 2 * DENOTRT_MAX_RANK) return lfail(c, "missing pads");
    memcpy(pads, a, cnt * 8);
    n = cnt;
  }
  if (has_in(c, 3) && (rc = in_values(c, 3, axes, DENOTRT_MAX_RANK, &na))) return rc;
  int64_t full[2 * DENOTRT_MAX_RANK] = {0};
  if (na >= 0) {
    if (n != 2 * na) return lfail(c, "pads has %lld values for %lld axes", (long long)n, (long long)na);
    for (int k = 0; k < na; k++) {
      if ((rc = norm_axis(c, &axes[k], r))) return rc;
      full[axes[k]] = pads[k];
      full[r + axes[k]] = pads[na + k];
    }
  } else {
    if (n != 2 * r) return lfail(c, "pads has %lld values for rank %d", (long long)n, r);
    memcpy(full, pads, n * 8);
  }
  int64_t out[DENOTRT_MAX_RANK];
  for (int d = 0; d < r; d++) out[d] = in_dims(c, 0)[d] + full[d] + full[r + d];
  return set_out(c, 0, r, out);
}

static int32_t infer_reshape(ictx* c) {
  int64_t shape[DENOTRT_MAX_RANK], n = 0;
  int32_t rc = in_values(c, 1, shape, DENOTRT_MAX_RANK, &n);
  if (rc) return rc;
  int allowzero = (int)plan_attr_int(c->l, "allowzero", 0);
  int64_t total = c->s->counts[in_t(c, 0)], known = 1;
  int infer = -1;
  for (int d = 0; d < n; d++) {
    if (shape[d] == 0 && !allowzero) {
      if (d >= in_rank(c, 0)) return lfail(c, "shape has 0 at position %d beyond the input rank", d);
      shape[d] = in_dims(c, 0)[d];
    }
    if (shape[d] == -1) {
      if (infer >= 0) return lfail(c, "shape has more than one -1");
      infer = d;
    } else if (shape[d] < 0) return lfail(c, "shape has a negative value %lld", (long long)shape[d]);
    else known *= shape[d];
  }
  if (infer >= 0) {
    if (known == 0 || total % known) return lfail(c, "cannot infer the -1 dimension: %lld elements into blocks of %lld", (long long)total, (long long)known);
    shape[infer] = total / known;
    known *= shape[infer];
  }
  if (known != total) return lfail(c, "cannot reshape %lld elements into %lld", (long long)total, (long long)known);
  return set_out(c, 0, (int32_t)n, shape);
}

static int32_t infer_flatten(ictx* c) {
  int32_t r = in_rank(c, 0);
  int64_t axis = plan_attr_int(c->l, "axis", 1);
  if (axis < 0) axis += r;
  if (axis < 0 || axis > r) return lfail(c, "axis out of range");
  int64_t out[2] = {1, 1};
  for (int d = 0; d < r; d++) out[d < axis ? 0 : 1] *= in_dims(c, 0)[d];
  return set_out(c, 0, 2, out);
}

static int32_t infer_squeeze(ictx* c, int unsqueeze) {
  int32_t r = in_rank(c, 0);
  int64_t axes[DENOTRT_MAX_RANK], n = 0, out[DENOTRT_MAX_RANK];
  int32_t rc = get_axes(c, 1, axes, &n);
  if (rc) return rc;
  if (!unsqueeze) {
    int drop[DENOTRT_MAX_RANK] = {0};
    for (int k = 0; k < n; k++) {
      if ((rc = norm_axis(c, &axes[k], r))) return rc;
      if (in_dims(c, 0)[axes[k]] != 1) return lfail(c, "cannot squeeze axis %lld of size %lld", (long long)axes[k], (long long)in_dims(c, 0)[axes[k]]);
      drop[axes[k]] = 1;
    }
    int32_t o = 0;
    for (int d = 0; d < r; d++)
      if (!(n > 0 ? drop[d] : in_dims(c, 0)[d] == 1)) out[o++] = in_dims(c, 0)[d];
    return set_out(c, 0, o, out);
  }
  if (n < 0) return lfail(c, "missing axes");
  int32_t orank = r + (int32_t)n;
  if (orank > DENOTRT_MAX_RANK) return lfail(c, "output rank %d above 8", orank);
  int ins[DENOTRT_MAX_RANK] = {0};
  for (int k = 0; k < n; k++) {
    if ((rc = norm_axis(c, &axes[k], orank))) return rc;
    if (ins[axes[k]]) return lfail(c, "axis %lld repeated", (long long)axes[k]);
    ins[axes[k]] = 1;
  }
  for (int d = 0, j = 0; d < orank; d++) out[d] = ins[d] ? 1 : in_dims(c, 0)[j++];
  return set_out(c, 0, orank, out);
}

static int32_t infer_transpose(ictx* c) {
  int32_t r = in_rank(c, 0), cnt = 0;
  const int64_t* perm = plan_attr_ints(c->l, "perm", &cnt);
  if (perm && cnt != r) return lfail(c, "perm has %d entries for rank %d", cnt, r);
  int64_t out[DENOTRT_MAX_RANK];
  int seen[DENOTRT_MAX_RANK] = {0};
  for (int d = 0; d < r; d++) {
    int64_t p = perm ? perm[d] : r - 1 - d;
    if (p < 0 || p >= r || seen[p]) return lfail(c, "perm is not a permutation");
    seen[p] = 1;
    out[d] = in_dims(c, 0)[p];
  }
  return set_out(c, 0, r, out);
}

static int32_t infer_gemm(ictx* c) {
  if (in_rank(c, 0) != 2 || in_rank(c, 1) != 2) return lfail(c, "expects 2-D A and B");
  int ta = (int)plan_attr_int(c->l, "transA", 0), tb = (int)plan_attr_int(c->l, "transB", 0);
  const int64_t* a = in_dims(c, 0);
  const int64_t* b = in_dims(c, 1);
  int64_t m = ta ? a[1] : a[0], k = ta ? a[0] : a[1], k2 = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
  if (k != k2) return lfail(c, "inner dimensions differ (%lld vs %lld)", (long long)k, (long long)k2);
  int64_t out[2] = {m, n};
  return set_out(c, 0, 2, out);
}

static int32_t infer_matmul(ictx* c) {
  int32_t ra = in_rank(c, 0), rb = in_rank(c, 1);
  if (ra < 1 || rb < 1) return lfail(c, "expects inputs of rank >= 1");
  int64_t a[DENOTRT_MAX_RANK], b[DENOTRT_MAX_RANK];
  memcpy(a, in_dims(c, 0), sizeof a);
  memcpy(b, in_dims(c, 1), sizeof b);
  int va = ra == 1, vb = rb == 1;
  if (va) a[1] = a[0], a[0] = 1, ra = 2;
  if (vb) b[1] = 1, rb = 2;
  if (a[ra - 1] != b[rb - 2]) return lfail(c, "inner dimensions differ (%lld vs %lld)", (long long)a[ra - 1], (long long)b[rb - 2]);
  int32_t br = (ra > rb ? ra : rb) - 2;
  int64_t out[DENOTRT_MAX_RANK];
  for (int d = 0; d < br; d++) {
    int64_t x = d - (br - (ra - 2)) >= 0 ? a[d - (br - (ra - 2))] : 1;
    int64_t y = d - (br - (rb - 2)) >= 0 ? b[d - (br - (rb - 2))] : 1;
    if (x != y && x != 1 && y != 1) return lfail(c, "batch dimensions %lld and %lld do not broadcast", (long long)x, (long long)y);
    out[d] = x == 1 ? y : x;
  }
  int32_t o = br;
  if (!va) out[o++] = a[ra - 2];
  if (!vb) out[o++] = b[rb - 1];
  return set_out(c, 0, o, out);
}

static int32_t infer_gather(ictx* c) {
  int32_t r = in_rank(c, 0), ri = in_rank(c, 1);
  int64_t axis = plan_attr_int(c->l, "axis", 0);
  int32_t rc = norm_axis(c, &axis, r);
  if (rc) return rc;
  if (r - 1 + ri > DENOTRT_MAX_RANK) return lfail(c, "output rank above 8");
  int64_t out[DENOTRT_MAX_RANK];
  int32_t o = 0;
  for (int d = 0; d < axis; d++) out[o++] = in_dims(c, 0)[d];
  for (int d = 0; d < ri; d++) out[o++] = in_dims(c, 1)[d];
  for (int d = (int)axis + 1; d < r; d++) out[o++] = in_dims(c, 0)[d];
  return set_out(c, 0, o, out);
}

static int32_t infer_expand(ictx* c) {
  int64_t shape[DENOTRT_MAX_RANK], n = 0;
  int32_t rc = in_values(c, 1, shape, DENOTRT_MAX_RANK, &n);
  if (rc) return rc;
  int32_t r = in_rank(c, 0), orank = r > n ? r : (int32_t)n;
  int64_t out[DENOTRT_MAX_RANK];
  for (int d = 0; d < orank; d++) {
    int64_t x = d - (orank - r) >= 0 ? in_dims(c, 0)[d - (orank - r)] : 1;
    int64_t y = d - (orank - n) >= 0 ? shape[d - (orank - n)] : 1;
    if (x != y && x != 1 && y != 1) return lfail(c, "cannot expand dimension %lld to %lld", (long long)x, (long long)y);
    out[d] = x == 1 ? y : x;
  }
  return set_out(c, 0, orank, out);
}

static int32_t infer_shape(ictx* c) {
  int32_t r = in_rank(c, 0);
  int64_t start = plan_attr_int(c->l, "start", 0), end = plan_attr_int(c->l, "end", r);
  if (start < 0) start += r;
  if (end < 0) end += r;
  start = start < 0 ? 0 : start > r ? r : start;
  end = end < 0 ? 0 : end > r ? r : end;
  int64_t out[1] = {end > start ? end - start : 0};
  return set_out(c, 0, 1, out);
}

static int32_t infer_range(ictx* c) {
  double v[3];
  int64_t n;
  int32_t rc;
  for (int i = 0; i < 3; i++)
    if ((rc = in_fvalues(c, i, &v[i], 1, &n))) return rc;
  if (v[2] == 0) return lfail(c, "delta is zero");
  double cnt = ceil((v[1] - v[0]) / v[2]);
  int64_t out[1] = {cnt > 0 ? (int64_t)cnt : 0};
  return set_out(c, 0, 1, out);
}

static int32_t infer_constant_of_shape(ictx* c) {
  int64_t shape[DENOTRT_MAX_RANK], n = 0;
  int32_t rc = in_values(c, 0, shape, DENOTRT_MAX_RANK, &n);
  if (rc) return rc;
  return set_out(c, 0, (int32_t)n, shape);
}

static int32_t infer_layer_logical(ictx* c) {
  const char* op = c->l->op;
  for (int i = 0; i < c->l->num_inputs; i++)
    if (has_in(c, i) && c->s->ranks[in_t(c, i)] < 0) return lfail(c, "input %d has no shape", i);
  if (c->l->num_inputs < 1 && strcmp(op, "Constant") != 0) return lfail(c, "has no inputs");
#define OP(name) (strcmp(op, name) == 0)
  if (OP("Add") || OP("Sub") || OP("Mul") || OP("Div") || OP("Pow") || OP("Min") || OP("Max") || OP("Equal") ||
      OP("Where") || OP("Sum") || OP("Mean") || OP("Greater") || OP("Less") || OP("FusedElementwise"))
    return infer_broadcast(c);
  if (OP("Conv")) return infer_conv(c, 0);
  if (OP("ConvTranspose")) return infer_conv(c, 1);
  if (OP("MaxPool") || OP("AveragePool")) return infer_pool(c);
  if (OP("GlobalAveragePool") || OP("GlobalMaxPool")) {
    int64_t out[DENOTRT_MAX_RANK];
    int32_t r = in_rank(c, 0);
    for (int d = 0; d < r; d++) out[d] = d < 2 ? in_dims(c, 0)[d] : 1;
    return set_out(c, 0, r, out);
  }
  if (OP("ReduceMean") || OP("ReduceSum") || OP("ReduceMax") || OP("ReduceMin")) return infer_reduce(c);
  if (OP("Concat")) return infer_concat(c);
  if (OP("Split")) return infer_split(c);
  if (OP("Slice")) return infer_slice(c);
  if (OP("Resize") || OP("Upsample")) return infer_resize(c);
  if (OP("Pad")) return infer_pad(c);
  if (OP("Reshape")) return infer_reshape(c);
  if (OP("Flatten")) return infer_flatten(c);
  if (OP("Squeeze")) return infer_squeeze(c, 0);
  if (OP("Unsqueeze")) return infer_squeeze(c, 1);
  if (OP("Transpose")) return infer_transpose(c);
  if (OP("Gemm")) return infer_gemm(c);
  if (OP("MatMul")) return infer_matmul(c);
  if (OP("Gather")) return infer_gather(c);
  if (OP("Expand")) return infer_expand(c);
  if (OP("Shape")) return infer_shape(c);
  if (OP("Range")) return infer_range(c);
  if (OP("ConstantOfShape")) return infer_constant_of_shape(c);
  if (OP("BatchNormalization") || OP("Relu") || OP("LeakyRelu") || OP("Clip") || OP("Sigmoid") || OP("HardSigmoid") ||
      OP("HardSwish") || OP("SiLU") || OP("Silu") || OP("Tanh") || OP("Exp") || OP("Sqrt") || OP("Floor") ||
      OP("Neg") || OP("Abs") || OP("Identity") || OP("Dropout") || OP("Cast") || OP("Softmax") || OP("Erf") || OP("Log") ||
      OP("Reciprocal") || OP("Ceil") || OP("Not"))
  {
    int32_t rc = same_as_input(c, 0, 0);
    if (rc == DENOTRT_OK && OP("Dropout") && c->l->num_outputs > 1) rc = same_as_input(c, 1, 0);
    return rc;
  }
#undef OP
  return denotrt_fail(c->err, DENOTRT_UNSUPPORTED, 0, API, "", "no shape inference for op '%s' (layer '%s')", op, c->l->name);
}

/* An NHWC layer (layout.h) is inferred on the logical NCHW dims of its laid-out inputs; rank-4 outputs are stored
 * NHWC. The inputs' dims are permuted in place for the call and restored after it. */
static int32_t infer_layer(ictx* c) {
  const plan_layer* l = c->l;
  if (!layout_layer_is_nhwc(l)) return infer_layer_logical(c);
  shape_state* s = c->s;
  int32_t moved[16];
  int32_t n_moved = 0;
  for (int32_t i = 0; i < l->num_inputs && n_moved < 16; i++) {
    int32_t t = l->inputs[i];
    if (!layout_is_laid_out(s->p, t, s->ranks[t])) continue;
    int seen = 0;
    for (int32_t k = 0; k < n_moved; k++) seen |= moved[k] == t;
    if (seen) continue;
    layout_dims_to_nchw(s->dims[t]);
    moved[n_moved++] = t;
  }
  int32_t rc = infer_layer_logical(c);
  for (int32_t k = 0; k < n_moved; k++) layout_dims_to_nhwc(s->dims[moved[k]]);
  if (rc) return rc;
  for (int32_t i = 0; i < l->num_outputs; i++) {
    int32_t t = l->outputs[i];
    if (t >= 0 && s->ranks[t] == 4) layout_dims_to_nhwc(s->dims[t]);
  }
  return DENOTRT_OK;
}

/* Checks the inferred shape of an output against the static dims the builder recorded. */
static int32_t check_static(ictx* c, int32_t t) {
  const plan_tensor* pt = &c->s->p->tensors[t];
  if (pt->rank != c->s->ranks[t])
    return lfail(c, "output '%s' inferred with rank %d, but the plan says rank %d", pt->name, c->s->ranks[t], pt->rank);
  for (int d = 0; d < pt->rank; d++)
    if (pt->dims[d] >= 0 && pt->dims[d] != c->s->dims[t][d])
      return lfail(c, "output '%s' dimension %d inferred as %lld, but the plan fixes it at %lld", pt->name, d,
                   (long long)c->s->dims[t][d], (long long)pt->dims[d]);
  return DENOTRT_OK;
}

static int32_t run_host_layer(ictx* c) {
  shape_state* s = c->s;
  const plan* p = s->p;
  cpu_tensor* v = (cpu_tensor*)s->views;
  const plan_layer* l = c->l;
  cpu_kernel k = cpu_kernel_lookup(l->op);
  if (!k) return denotrt_fail(c->err, DENOTRT_UNSUPPORTED, 0, API, "", "op '%s' (layer '%s') cannot run on the host", l->op, l->name);
  for (int i = 0; i < l->num_inputs; i++) {
    int32_t t = l->inputs[i];
    if (t < 0) continue;
    if (strcmp(l->op, "Shape") == 0) continue;
    if (!s->host_values[t])
      return lfail(c, "host layer reads '%s', whose values are not on the host", p->tensors[t].name);
    if (p->tensors[t].flags & PLAN_TENSOR_INPUT) s->reads_input_values = 1;
  }
  for (int i = 0; i < l->num_outputs; i++) {
    int32_t t = l->outputs[i];
    if (t < 0) continue;
    uint64_t bytes = (uint64_t)s->counts[t] * plan_dtype_bytes(cpu_dtype(p->tensors[t].dtype));
    if (bytes > s->host_caps[t] || !s->host_values[t]) {
      void* m = realloc(s->owned[t] ? s->host_values[t] : NULL, bytes ? bytes : 8);
      if (!m) return denotrt_fail(c->err, DENOTRT_OUT_OF_MEMORY, 0, "realloc", "", "out of host memory for a shape tensor");
      s->host_values[t] = m;
      s->owned[t] = 1;
      s->host_caps[t] = bytes ? bytes : 8;
    }
  }
  /* Views: shapes for every tensor this layer touches; data only where the host has it. */
  for (int pass = 0; pass < 2; pass++) {
    int32_t n = pass ? l->num_outputs : l->num_inputs;
    const int32_t* idx = pass ? l->outputs : l->inputs;
    for (int i = 0; i < n; i++) {
      int32_t t = idx[i];
      if (t < 0) continue;
      v[t].data = s->host_values[t];
      v[t].dtype = cpu_dtype(p->tensors[t].dtype);
      v[t].rank = s->ranks[t];
      memcpy(v[t].dims, s->dims[t], sizeof v[t].dims);
      v[t].count = s->counts[t];
    }
  }
  /* Shape on an NHWC tensor reports the logical dims (the only NHWC layer that runs on the host). */
  if (layout_layer_is_nhwc(l))
    for (int i = 0; i < l->num_inputs; i++)
      if (layout_is_laid_out(p, l->inputs[i], v[l->inputs[i]].rank)) layout_dims_to_nchw(v[l->inputs[i]].dims);
  cpu_call call = {p, l, v};
  return k(&call, c->err);
}

int32_t shapes_infer(shape_state* s, denotrt_error* err) {
  if (s->valid) return DENOTRT_OK;
  const plan* p = s->p;
  for (int32_t i = 0; i < p->num_inputs; i++)
    if (!s->input_set[i]) {
      /* an input whose shape is fully fixed needs no set_input_shape call */
      const plan_tensor* t = &p->tensors[p->inputs[i]];
      int fixed = 1;
      for (int d = 0; d < t->rank; d++) fixed &= t->dims[d] >= 0;
      if (!fixed)
        return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, API, "",
                            "the shape of input '%s' has not been set (call set_input_shape first)", t->name);
      int32_t rc = shapes_set_input(s, t->name, t->rank, t->dims, err);
      if (rc) return rc;
    }
  /* Non-input, non-constant tensors start unknown. */
  for (int32_t t = 0; t < p->num_tensors; t++)
    if (!(p->tensors[t].flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_CONSTANT))) s->ranks[t] = -1;
  for (int32_t i = 0; i < p->num_layers; i++) {
    ictx c = {s, &p->layers[i], err};
    int32_t rc = infer_layer(&c);
    if (rc) return rc;
    for (int k = 0; k < c.l->num_outputs; k++) {
      int32_t t = c.l->outputs[k];
      if (t < 0) continue;
      if (s->ranks[t] < 0) return lfail(&c, "output %d got no shape", k);
      if ((rc = check_static(&c, t))) return rc;
    }
    if (shapes_layer_is_host(p, c.l) && (rc = run_host_layer(&c))) return rc;
  }
  s->valid = 1;
  s->generation++;
  return DENOTRT_OK;
}
