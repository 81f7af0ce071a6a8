// run_layer: queues one layer of the plan on a stream (no host synchronization; legal inside stream capture).
#include <math.h>
#include <string.h>

#include "exec_cuda_internal.h"
#include "fused_program.h"

namespace dtexec {

using dtops::Act;
using dtops::Dims;


// A host-read parameter vector (Slice starts, Reshape shape, ...) as int64.
static bool host_ints(Context* c, int32_t t, int64_t* v, int64_t max, int64_t* n) {
  if (t < 0) { *n = 0; return true; }
  *n = tensor_count(c, t);
  if (*n > max) return false;
  for (int64_t i = 0; i < *n; ++i) if (!host_i64(c, t, i, &v[i])) return false;
  return true;
}

static int32_t copy_through(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  void* x = PTR(IN(0));
  void* y = PTR(OUT(0));
  size_t bytes = (size_t)tensor_count(c, OUT(0)) * dtops::dtype_size(tensor_dtype(c, OUT(0)));
  if (x != y && bytes) DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync(y, x, bytes, cudaMemcpyDeviceToDevice, s));
  return DENOTRT_OK;
}

static int32_t run_binary(Context* c, const plan_layer* l, int32_t op, cudaStream_t s, denotrt_error* err) {
  int32_t dt = tensor_dtype(c, IN(0));
  Dims yd = tensor_dims(c, OUT(0));
  const void* b = PTR(IN(1));
  if (l->num_inputs == 1) return copy_through(c, l, s, err);  // Sum/Max/Min/Mean of one tensor
  if (tensor_dtype(c, IN(1)) != dt) {  // Pow(float, int exponent): cast the exponent first
    void* tmp = c->priv + c->scratch_offset;
    RC(dtops::cast(tensor_dtype(c, IN(1)), b, dt, tmp, tensor_count(c, IN(1)), s, err));
    b = tmp;
  }
  RC(dtops::binary(op, dt, PTR(IN(0)), tensor_dims(c, IN(0)), b, tensor_dims(c, IN(1)), PTR(OUT(0)), yd, s, err));
  // Variadic Sum/Max/Min/Mean: fold the rest into the output.
  for (int32_t k = 2; k < l->num_inputs; ++k)
    RC(dtops::binary(op, dt, PTR(OUT(0)), yd, PTR(IN(k)), tensor_dims(c, IN(k)), PTR(OUT(0)), yd, s, err));
  if (is(l, "Mean")) {
    Act a{dtops::U_SCALE, 1.f / (float)l->num_inputs, 0.f};
    RC(dtops::unary(a, dt, PTR(OUT(0)), PTR(OUT(0)), dtops::numel(yd), s, err));
  }
  return DENOTRT_OK;
}

static int32_t run_conv(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  int32_t dt = tensor_dtype(c, OUT(0));
  Act a;
  RC(conv_act(l, &a, err));
  const void* bias = IN(2) >= 0 ? PTR(IN(2)) : nullptr;
  const void* res = IN(3) >= 0 ? PTR(IN(3)) : nullptr;
  if (c->prep[i].stem_pool) return run_stem(c, i, s, err);
  if (c->prep[i].conv || c->prep[i].gconv) return run_cudnn_conv(c, i, s, bias, res, a, err);
  dtops::ConvDesc d;
  int64_t pe[2];
  RC(conv_geometry(c, l, false, &d, pe, err));
  if (c->prep[i].splitk)  // chosen over cuDNN by timing (exec_cuda_splitk.cu); reads the filter's KRSC copy
    return dtops::splitk_conv_nhwc(d, c->prep[i].splitk, PTR(IN(0)), c->e->weights + c->e->krsc_offset[IN(1)], bias,
                                   res, a, PTR(OUT(0)), s, err);
  if (c->prep[i].own_pointwise) {  // the 1x1 filter's KRSC copy is [K, C]
    const int32_t* cat = c->prep[i].concat_in;  // the Concat's inputs, read in place of its output
    return dtops::pointwise_conv(d.n * d.in[0] * d.in[1], d.c, d.k, PTR(cat[0] >= 0 ? cat[0] : IN(0)),
                                 cat[0] >= 0 ? PTR(cat[1]) : nullptr, c->prep[i].concat_c2,
                                 c->e->weights + c->e->krsc_offset[IN(1)], bias, res, a, PTR(OUT(0)), s, err);
  }
  // A depthwise filter's [C, 1, kh, kw] bytes are its KRSC copy too: the plan's constant serves.
  if (c->prep[i].own_depthwise)
    return dtops::depthwise_conv_nhwc(dt, d, PTR(IN(0)), PTR(IN(1)), bias, res, a, PTR(OUT(0)), s, err);
  return dtops::conv(dt, d, PTR(IN(0)), PTR(IN(1)), bias, res, a, PTR(OUT(0)), s, err);
}

static int32_t run_matmul(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  int32_t dt = tensor_dtype(c, OUT(0));
#ifdef DENOTRT_WITH_CUBLASLT
  if (c->prep[i].gemm)
    return denotrt_lt_gemm_run(c->prep[i].gemm, c->lt, s, PTR(IN(0)), PTR(IN(1)), IN(2) >= 0 ? PTR(IN(2)) : nullptr,
                               PTR(OUT(0)), c->workspace, err);
#endif
  if (is(l, "MatMul"))
    return dtops::matmul(dt, PTR(IN(0)), tensor_dims(c, IN(0)), PTR(IN(1)), tensor_dims(c, IN(1)), PTR(OUT(0)), s, err);
  Dims a = tensor_dims(c, IN(0)), y = tensor_dims(c, OUT(0));
  int32_t ta = (int32_t)plan_attr_int(l, "transA", 0), tb = (int32_t)plan_attr_int(l, "transB", 0);
  Dims cd = IN(2) >= 0 ? tensor_dims(c, IN(2)) : dtops::make_dims(0, nullptr);
  return dtops::gemm(dt, PTR(IN(0)), ta, PTR(IN(1)), tb, IN(2) >= 0 ? PTR(IN(2)) : nullptr, cd,
                     plan_attr_float(l, "alpha", 1.f), plan_attr_float(l, "beta", 1.f), PTR(OUT(0)), y.d[0], y.d[1],
                     ta ? a.d[0] : a.d[1], s, err);
}

static int32_t run_pool(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  Dims x = tensor_dims(c, IN(0)), y = tensor_dims(c, OUT(0));
  if (l->num_outputs > 1 && OUT(1) >= 0) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "MaxPool Indices output");
  int32_t nsp = x.rank - 2;
  if (nsp < 1 || nsp > 3) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "%d spatial dims", nsp);
  dtops::PoolDesc p;
  memset(&p, 0, sizeof p);
  p.kind = (is(l, "MaxPool") || is(l, "GlobalMaxPool")) ? 0 : 1;
  p.channels_last = c->e->nhwc[l - c->e->p->layers];  // dims are logical (run_nhwc), the data NHWC
  p.spatial = nsp;
  bool global = strncmp(l->op, "Global", 6) == 0;
  int32_t nk = 0, ns = 0, nd = 0, np = 0;
  const int64_t* k = plan_attr_ints(l, "kernel_shape", &nk);
  const int64_t* st = plan_attr_ints(l, "strides", &ns);
  const int64_t* dl = plan_attr_ints(l, "dilations", &nd);
  const int64_t* pd = plan_attr_ints(l, "pads", &np);
  const char* autopad = plan_attr_string(l, "auto_pad", "NOTSET");
  p.count_include_pad = (int32_t)plan_attr_int(l, "count_include_pad", 0);
  for (int32_t d = 0; d < nsp; ++d) {
    p.kernel[d] = global ? x.d[2 + d] : (nk > d ? k[d] : 1);
    p.stride[d] = global ? 1 : (ns > d ? st[d] : 1);
    p.dilation[d] = global ? 1 : (nd > d ? dl[d] : 1);
    p.pad_begin[d] = (!global && np == 2 * nsp) ? pd[d] : 0;
    p.pad_end[d] = (!global && np == 2 * nsp) ? pd[nsp + d] : 0;
    if (!global && (strcmp(autopad, "SAME_UPPER") == 0 || strcmp(autopad, "SAME_LOWER") == 0)) {
      int64_t total = (y.d[2 + d] - 1) * p.stride[d] + (p.kernel[d] - 1) * p.dilation[d] + 1 - x.d[2 + d];
      if (total < 0) total = 0;
      p.pad_begin[d] = strcmp(autopad, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
      p.pad_end[d] = total - p.pad_begin[d];
    }
  }
  return dtops::pool(tensor_dtype(c, OUT(0)), p, PTR(IN(0)), x, PTR(OUT(0)), y, s, err, c->priv + c->scratch_offset,
                     layer_scratch_bytes(c, l));
}

static int32_t run_resize(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  Dims x = tensor_dims(c, IN(0)), y = tensor_dims(c, OUT(0));
  const char* mode = plan_attr_string(l, "mode", "nearest");
  int32_t m;
  if (strcmp(mode, "nearest") == 0) m = dtops::RESIZE_NEAREST;
  else if (strcmp(mode, "linear") == 0 || strcmp(mode, "bilinear") == 0) m = dtops::RESIZE_LINEAR;
  else return layer_fail(l, err, DENOTRT_UNSUPPORTED, "resize mode %s", mode);
  const char* ct = plan_attr_string(l, "coordinate_transformation_mode", is(l, "Upsample") ? "asymmetric" : "half_pixel");
  static const char* coords[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                 "tf_half_pixel_for_nearest", "half_pixel_symmetric"};
  int32_t coord = -1;
  for (int32_t k = 0; k < 6; ++k) if (strcmp(ct, coords[k]) == 0) coord = k;
  if (coord < 0) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "coordinate_transformation_mode %s", ct);
  const char* nm = plan_attr_string(l, "nearest_mode", "round_prefer_floor");
  static const char* nearest[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  int32_t nmode = 0;
  for (int32_t k = 0; k < 4; ++k) if (strcmp(nm, nearest[k]) == 0) nmode = k;
  if (plan_attr_int(l, "antialias", 0)) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "antialias");
  if (plan_attr_find(l, "axes")) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "Resize axes attribute");
  float scales[DENOTRT_MAX_RANK];
  int32_t st = is(l, "Upsample") ? IN(1) : IN(2);
  bool have = false;
  if (st >= 0 && tensor_count(c, st) == x.rank) {
    have = true;
    for (int32_t d = 0; d < x.rank; ++d) {
      double v;
      if (!host_f64(c, st, d, &v)) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "scales must be constant");
      scales[d] = (float)v;
    }
  }
  int32_t na = 0;
  const float* attr_scales = plan_attr_floats(l, "scales", &na);  // Upsample-7 keeps them as an attribute
  if (!have && attr_scales && na == x.rank) {
    have = true;
    for (int32_t d = 0; d < x.rank; ++d) scales[d] = attr_scales[d];
  }
  if (!have)
    for (int32_t d = 0; d < x.rank; ++d) scales[d] = x.d[d] > 0 ? (float)y.d[d] / (float)x.d[d] : 1.f;
  if (c->e->nhwc[l - c->e->p->layers] && x.rank == 4) {
    // dims and scales are logical (run_nhwc), the data NHWC: resize the physical [N,H,W,C] (C is then one
    // contiguous run per pixel, which dtops::resize copies with 16-byte vectors).
    static const int32_t kToNhwc[4] = {0, 2, 3, 1};
    Dims xp = x, yp = y;
    float sp[4];
    for (int32_t d = 0; d < 4; ++d) {
      xp.d[d] = x.d[kToNhwc[d]];
      yp.d[d] = y.d[kToNhwc[d]];
      sp[d] = scales[kToNhwc[d]];
    }
    return dtops::resize(tensor_dtype(c, OUT(0)), m, coord, nmode, sp, PTR(IN(0)), xp, PTR(OUT(0)), yp, s, err);
  }
  return dtops::resize(tensor_dtype(c, OUT(0)), m, coord, nmode, scales, PTR(IN(0)), x, PTR(OUT(0)), y, s, err);
}

static int32_t run_slice(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  Dims x = tensor_dims(c, IN(0)), y = tensor_dims(c, OUT(0));
  int64_t st[DENOTRT_MAX_RANK], en[DENOTRT_MAX_RANK], ax[DENOTRT_MAX_RANK], sp[DENOTRT_MAX_RANK];
  int64_t ns, ne, na, nsp;
  bool ok;
  if (l->num_inputs >= 3) {
    ok = host_ints(c, IN(1), st, 8, &ns) && host_ints(c, IN(2), en, 8, &ne) && host_ints(c, IN(3), ax, 8, &na) &&
         host_ints(c, IN(4), sp, 8, &nsp);
  } else {  // Slice-1: attributes
    int32_t a = 0, b = 0, d = 0;
    const int64_t* as = plan_attr_ints(l, "starts", &a);
    const int64_t* ae = plan_attr_ints(l, "ends", &b);
    const int64_t* aa = plan_attr_ints(l, "axes", &d);
    ok = a <= 8 && d <= 8;
    ns = a; ne = b; na = d; nsp = 0;
    for (int32_t k = 0; ok && k < a; ++k) { st[k] = as[k]; en[k] = ae[k]; }
    for (int32_t k = 0; ok && k < d; ++k) ax[k] = aa[k];
  }
  if (!ok) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "Slice parameters must be constants or shape values");
  int64_t starts[DENOTRT_MAX_RANK], steps[DENOTRT_MAX_RANK];
  for (int32_t d = 0; d < x.rank; ++d) { starts[d] = 0; steps[d] = 1; }
  for (int64_t k = 0; k < ns; ++k) {
    int32_t d = na ? norm_axis(ax[k], x.rank) : (int32_t)k;
    int64_t step = nsp ? sp[k] : 1, dim = x.d[d], b = st[k];
    if (b < 0) b += dim;
    if (step > 0) b = b < 0 ? 0 : (b > dim ? dim : b);
    else b = b < 0 ? 0 : (b > dim - 1 ? dim - 1 : b);
    starts[d] = b;
    steps[d] = step;
  }
  return dtops::slice(dtops::dtype_size(tensor_dtype(c, OUT(0))), PTR(IN(0)), x, starts, steps, PTR(OUT(0)), y, s, err);
}

static int32_t run_pad(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  Dims x = tensor_dims(c, IN(0)), y = tensor_dims(c, OUT(0));
  int64_t pads[2 * DENOTRT_MAX_RANK], axes[DENOTRT_MAX_RANK], np = 0, na = 0;
  if (IN(1) >= 0) {
    if (!host_ints(c, IN(1), pads, 2 * DENOTRT_MAX_RANK, &np) || !host_ints(c, IN(3), axes, 8, &na))
      return layer_fail(l, err, DENOTRT_UNSUPPORTED, "pads must be constants or shape values");
  } else {
    int32_t n = 0;
    const int64_t* p = plan_attr_ints(l, "pads", &n);
    for (int32_t k = 0; k < n && k < 2 * DENOTRT_MAX_RANK; ++k) pads[k] = p[k];
    np = n;
  }
  int64_t begin[DENOTRT_MAX_RANK] = {0};
  int64_t nax = na ? na : x.rank;
  for (int64_t k = 0; k < nax && k < np; ++k) begin[na ? norm_axis(axes[k], x.rank) : k] = pads[k];
  double value = plan_attr_float(l, "value", 0.f);
  if (IN(2) >= 0 && tensor_count(c, IN(2)) > 0 && !host_f64(c, IN(2), 0, &value))
    return layer_fail(l, err, DENOTRT_UNSUPPORTED, "constant_value must be a constant");
  const char* mode = plan_attr_string(l, "mode", "constant");
  int32_t m = strcmp(mode, "reflect") == 0 ? 1 : strcmp(mode, "edge") == 0 ? 2 : strcmp(mode, "wrap") == 0 ? 3 : 0;
  return dtops::pad(tensor_dtype(c, OUT(0)), PTR(IN(0)), x, begin, m, value, PTR(OUT(0)), y, s, err);
}

static int32_t run_reduce(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  Dims x = tensor_dims(c, IN(0));
  static const struct { const char* op; int32_t code; } ops[] = {
      {"ReduceSum", dtops::R_SUM}, {"ReduceMean", dtops::R_MEAN}, {"ReduceMax", dtops::R_MAX},
      {"ReduceMin", dtops::R_MIN}, {"ReduceProd", dtops::R_PROD}, {"ReduceL1", dtops::R_L1},
      {"ReduceL2", dtops::R_L2}, {"ReduceSumSquare", dtops::R_SUM_SQUARE}, {"ReduceLogSumExp", dtops::R_LOG_SUM_EXP},
      {"ArgMax", dtops::R_ARGMAX}, {"ArgMin", dtops::R_ARGMIN}};
  int32_t op = -1;
  for (auto& o : ops) if (is(l, o.op)) op = o.code;
  uint32_t mask = 0;
  if (op == dtops::R_ARGMAX || op == dtops::R_ARGMIN) {
    mask = 1u << norm_axis(plan_attr_int(l, "axis", 0), x.rank);
  } else {
    int64_t axes[DENOTRT_MAX_RANK], na = 0;
    if (IN(1) >= 0) {
      if (!host_ints(c, IN(1), axes, 8, &na)) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "axes must be constant");
    } else {
      int32_t n = 0;
      const int64_t* a = plan_attr_ints(l, "axes", &n);
      for (int32_t k = 0; k < n && k < 8; ++k) axes[k] = a[k];
      na = n;
    }
    if (na == 0 && plan_attr_int(l, "noop_with_empty_axes", 0)) return copy_through(c, l, s, err);
    if (na == 0) mask = (1u << x.rank) - 1;
    for (int64_t k = 0; k < na; ++k) mask |= 1u << norm_axis(axes[k], x.rank);
  }
  return dtops::reduce(op, tensor_dtype(c, IN(0)), PTR(IN(0)), x, mask, (int32_t)plan_attr_int(l, "select_last_index", 0),
                       PTR(OUT(0)), s, err);
}

// FusedElementwise (docs/OPS.md): the program goes to the kernel by value, read from the plan at each launch.
static int32_t run_fused(Context* c, const plan_layer* l, cudaStream_t s, denotrt_error* err) {
  fused_program fp;
  char msg[128];
  if (!fused_program_load(l, &fp, msg, sizeof msg)) return layer_fail(l, err, DENOTRT_PLAN_ERROR, "%s", msg);
  int32_t dt = tensor_dtype(c, OUT(0));
  const void* xs[FUSED_MAX_INPUTS];
  Dims xd[FUSED_MAX_INPUTS];
  for (int32_t k = 0; k < fp.num_inputs; ++k) {
    if (tensor_dtype(c, IN(k)) != dt) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "input %d is not of the output's dtype", k);
    xs[k] = PTR(IN(k));
    xd[k] = tensor_dims(c, IN(k));
  }
  return dtops::fused_elementwise(dt, fp, xs, xd, PTR(OUT(0)), tensor_dims(c, OUT(0)), s, err);
}

int32_t run_layer(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  if (c->prep[i].done_by_previous || c->prep[i].done_by_next) return DENOTRT_OK;
  if (c->prep[i].cast_transpose) return run_cast_transpose(c, i, s, err);
  return c->e->nhwc[i] ? run_nhwc(c, i, s, err) : run_layer_logical(c, i, s, err);
}

int32_t run_layer_logical(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  if (OUT(0) < 0) return DENOTRT_OK;
  int32_t dt = tensor_dtype(c, OUT(0));
  int64_t n = tensor_count(c, OUT(0));
  int32_t u = unary_code(l), b = binary_code(l);
  if (is(l, "Conv")) return run_conv(c, i, s, err);
  if (is(l, "MatMul") || is(l, "Gemm")) return run_matmul(c, i, s, err);
  if (u == dtops::U_IDENTITY || is(l, "Reshape") || is(l, "Flatten") || is(l, "Squeeze") || is(l, "Unsqueeze") ||
      is(l, "Dropout"))
    return copy_through(c, l, s, err);
  if (u >= 0) {
    Act a;
    RC(unary_act(c, l, &a, err));
    return dtops::unary(a, dt, PTR(IN(0)), PTR(OUT(0)), n, s, err);
  }
  if (b >= 0) return run_binary(c, l, b, s, err);
  if (is(l, "FusedElementwise")) return run_fused(c, l, s, err);
  if (is(l, "MaxPool") || is(l, "AveragePool") || is(l, "GlobalAveragePool") || is(l, "GlobalMaxPool"))
    return run_pool(c, l, s, err);
  if (is(l, "Resize") || is(l, "Upsample")) return run_resize(c, l, s, err);
  if (is(l, "Slice")) return run_slice(c, l, s, err);
  if (is(l, "Pad")) return run_pad(c, l, s, err);
  if (strncmp(l->op, "Reduce", 6) == 0 || is(l, "ArgMax") || is(l, "ArgMin")) return run_reduce(c, l, s, err);
  size_t elem = dtops::dtype_size(dt);
  if (is(l, "ConvTranspose")) {
    dtops::ConvDesc d;
    int64_t pe[2];
    RC(conv_geometry(c, l, true, &d, pe, err));
    Act a;
    RC(conv_act(l, &a, err));
    const void* bias = IN(2) >= 0 ? PTR(IN(2)) : nullptr;
    // Native NHWC (has_native_nhwc): logical dims, channels-last data; the filter keeps its ONNX layout.
    if (c->prep[i].native_nhwc)
      return dtops::conv_transpose_nhwc(dt, d, PTR(IN(0)), PTR(IN(1)), bias, a, PTR(OUT(0)), s, err);
    return dtops::conv_transpose(dt, d, PTR(IN(0)), PTR(IN(1)), bias, a, PTR(OUT(0)), s, err);
  }
  if (is(l, "Concat")) {
    Dims y = tensor_dims(c, OUT(0));
    const void* xs[64];
    Dims xd[64];
    int32_t k = 0;
    for (int32_t j = 0; j < l->num_inputs; ++j) {
      if (IN(j) < 0) continue;
      if (k == 64) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "more than 64 inputs");
      xs[k] = PTR(IN(j));
      xd[k++] = tensor_dims(c, IN(j));
    }
    return dtops::concat(elem, k, xs, xd, norm_axis(plan_attr_int(l, "axis", 0), y.rank), PTR(OUT(0)), y, s, err);
  }
  if (is(l, "Split")) {
    Dims x = tensor_dims(c, IN(0));
    void* ys[64];
    Dims yd[64];
    if (l->num_outputs > 64) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "more than 64 outputs");
    for (int32_t j = 0; j < l->num_outputs; ++j) {
      ys[j] = OUT(j) >= 0 ? PTR(OUT(j)) : nullptr;
      yd[j] = OUT(j) >= 0 ? tensor_dims(c, OUT(j)) : x;
      if (OUT(j) < 0) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "omitted Split outputs");
    }
    return dtops::split(elem, PTR(IN(0)), x, norm_axis(plan_attr_int(l, "axis", 0), x.rank), l->num_outputs, ys, yd,
                        s, err);
  }
  if (is(l, "Transpose")) {
    Dims x = tensor_dims(c, IN(0));
    int32_t perm[DENOTRT_MAX_RANK], np = 0;
    const int64_t* p = plan_attr_ints(l, "perm", &np);
    for (int32_t d = 0; d < x.rank; ++d) perm[d] = np == x.rank ? (int32_t)p[d] : x.rank - 1 - d;
    // One address: plan_memory aliased a transpose that moves only dims of size 1 (every element stays put).
    if (PTR(IN(0)) == PTR(OUT(0))) return DENOTRT_OK;
    return dtops::transpose(elem, PTR(IN(0)), x, perm, PTR(OUT(0)), s, err);
  }
  if (is(l, "Softmax") || is(l, "LogSoftmax")) {
    Dims x = tensor_dims(c, IN(0));
    int32_t axis = norm_axis(plan_attr_int(l, "axis", -1), x.rank);
    int64_t outer = 1, inner = 1;
    for (int32_t d = 0; d < axis; ++d) outer *= x.d[d];
    for (int32_t d = axis + 1; d < x.rank; ++d) inner *= x.d[d];
    return dtops::softmax(dt, PTR(IN(0)), PTR(OUT(0)), outer, x.d[axis], inner, is(l, "LogSoftmax"), s, err);
  }
  if (is(l, "Gather")) {
    Dims x = tensor_dims(c, IN(0));
    return dtops::gather(elem, PTR(IN(0)), x, norm_axis(plan_attr_int(l, "axis", 0), x.rank), PTR(IN(1)),
                         tensor_dtype(c, IN(1)), tensor_count(c, IN(1)), PTR(OUT(0)), s, err);
  }
  if (is(l, "Cast")) return dtops::cast(tensor_dtype(c, IN(0)), PTR(IN(0)), dt, PTR(OUT(0)), n, s, err);
  if (is(l, "Where"))
    return dtops::where(dt, PTR(IN(0)), tensor_dims(c, IN(0)), PTR(IN(1)), tensor_dims(c, IN(1)), PTR(IN(2)),
                        tensor_dims(c, IN(2)), PTR(OUT(0)), tensor_dims(c, OUT(0)), s, err);
  if (is(l, "Expand"))
    return dtops::expand(elem, PTR(IN(0)), tensor_dims(c, IN(0)), PTR(OUT(0)), tensor_dims(c, OUT(0)), s, err);
  if (is(l, "BatchNormalization")) {
    Dims x = tensor_dims(c, IN(0));
    int64_t inner = 1;
    for (int32_t d = 2; d < x.rank; ++d) inner *= x.d[d];
    return dtops::batch_norm(dt, PTR(IN(0)), PTR(IN(1)), PTR(IN(2)), PTR(IN(3)), PTR(IN(4)),
                             plan_attr_float(l, "epsilon", 1e-5f), PTR(OUT(0)), n, x.rank > 1 ? x.d[1] : 1, inner, s,
                             err);
  }
  if (is(l, "InstanceNormalization")) {
    Dims x = tensor_dims(c, IN(0));
    int64_t inner = 1;
    for (int32_t d = 2; d < x.rank; ++d) inner *= x.d[d];
    return dtops::instance_norm(dt, PTR(IN(0)), PTR(IN(1)), PTR(IN(2)), PTR(OUT(0)), x.d[0], x.d[1], inner,
                                plan_attr_float(l, "epsilon", 1e-5f), s, err);
  }
  if (is(l, "LayerNormalization")) {
    Dims x = tensor_dims(c, IN(0));
    int32_t axis = norm_axis(plan_attr_int(l, "axis", -1), x.rank);
    int64_t rows = 1, len = 1;
    for (int32_t d = 0; d < x.rank; ++d) (d < axis ? rows : len) *= x.d[d];
    if (l->num_outputs > 1 && (OUT(1) >= 0 || (l->num_outputs > 2 && OUT(2) >= 0)))
      return layer_fail(l, err, DENOTRT_UNSUPPORTED, "LayerNormalization Mean/InvStdDev outputs");
    return dtops::layer_norm(dt, PTR(IN(0)), IN(1) >= 0 ? PTR(IN(1)) : nullptr, IN(2) >= 0 ? PTR(IN(2)) : nullptr,
                             PTR(OUT(0)), rows, len, plan_attr_float(l, "epsilon", 1e-5f), s, err);
  }
  if (is(l, "ConstantOfShape")) {
    double v = 0;
    const plan_attr* a = plan_attr_find(l, "value");
    if (a && a->type == PLAN_ATTR_FLOAT) v = a->f;
    else if (a && a->type == PLAN_ATTR_INT) v = (double)a->i;
    else if (a && a->type == PLAN_ATTR_FLOATS && a->count > 0) v = a->floats[0];
    else if (a && a->type == PLAN_ATTR_INTS && a->count > 0) v = (double)a->ints[0];
    return dtops::fill(dt, v, PTR(OUT(0)), n, s, err);
  }
  if (is(l, "Range")) {
    double start, delta;
    if (!host_f64(c, IN(0), 0, &start) || !host_f64(c, IN(2), 0, &delta))
      return layer_fail(l, err, DENOTRT_UNSUPPORTED, "Range start/delta must be constants or shape values");
    return dtops::range(dt, start, delta, PTR(OUT(0)), n, s, err);
  }
  if (is(l, "Shape") || is(l, "Constant")) {
    // Values known on the host (staged at set_shapes) but placed on the device: copy the staged bytes.
    int32_t t = OUT(0);
    if (c->priv_offset[t] == kNoOffset || !c->shapes->host_values[t])
      return layer_fail(l, err, DENOTRT_UNSUPPORTED, "device-placed %s without host values", l->op);
    return DENOTRT_OK;
  }
  return layer_fail(l, err, DENOTRT_UNSUPPORTED, "no CUDA launcher for this op");
}

}  // namespace dtexec
