// One launcher per ONNX op for the CUDA executor. Parameters that ONNX passes as tensors (Reshape's shape, Slice's
// starts, Resize's scales, ...) are read on the host from constants or host tensors; data goes to dtops kernels,
// cuDNN or cuBLASLt. Fused Conv (attributes activation/_alpha/_beta, optional 4th input residual) per docs/OPS.md.
#include <math.h>
#include <string.h>

#include "exec_cuda_internal.h"
#include "fused_program.h"

namespace dtexec {

using dtops::Act;
using dtops::Dims;


bool is(const plan_layer* l, const char* op) { return strcmp(l->op, op) == 0; }

struct UnaryName { const char* op; int32_t code; };
static const UnaryName kUnary[] = {
    {"Relu", dtops::U_RELU}, {"Sigmoid", dtops::U_SIGMOID}, {"Tanh", dtops::U_TANH}, {"SiLU", dtops::U_SILU},
    {"Silu", dtops::U_SILU}, {"HardSwish", dtops::U_HARDSWISH}, {"HardSigmoid", dtops::U_HARDSIGMOID},
    {"LeakyRelu", dtops::U_LEAKYRELU}, {"Clip", dtops::U_CLIP}, {"Elu", dtops::U_ELU}, {"Sqrt", dtops::U_SQRT},
    {"Exp", dtops::U_EXP}, {"Log", dtops::U_LOG}, {"Abs", dtops::U_ABS}, {"Neg", dtops::U_NEG},
    {"Reciprocal", dtops::U_RECIPROCAL}, {"Erf", dtops::U_ERF}, {"Floor", dtops::U_FLOOR}, {"Ceil", dtops::U_CEIL},
    {"Softplus", dtops::U_SOFTPLUS}, {"Not", dtops::U_NOT}, {"Sin", dtops::U_SIN}, {"Cos", dtops::U_COS},
    {"Round", dtops::U_ROUND}, {"Sign", dtops::U_SIGN}, {"Gelu", dtops::U_GELU}, {"Mish", dtops::U_MISH},
    {"Selu", dtops::U_SELU}, {"Softsign", dtops::U_SOFTSIGN}, {"Tan", dtops::U_TAN}, {"Identity", dtops::U_IDENTITY},
};
struct BinaryName { const char* op; int32_t code; };
static const BinaryName kBinary[] = {
    {"Add", dtops::B_ADD}, {"Sub", dtops::B_SUB}, {"Mul", dtops::B_MUL}, {"Div", dtops::B_DIV}, {"Pow", dtops::B_POW},
    {"Max", dtops::B_MAX}, {"Min", dtops::B_MIN}, {"Sum", dtops::B_ADD}, {"Mean", dtops::B_ADD},
    {"Equal", dtops::B_EQUAL}, {"Less", dtops::B_LESS}, {"LessOrEqual", dtops::B_LESS_EQUAL},
    {"Greater", dtops::B_GREATER}, {"GreaterOrEqual", dtops::B_GREATER_EQUAL}, {"And", dtops::B_AND},
    {"Or", dtops::B_OR}, {"Xor", dtops::B_XOR}, {"PRelu", dtops::B_PRELU},
};
static const char* kOther[] = {"Conv", "ConvTranspose", "MatMul", "Gemm", "MaxPool", "AveragePool",
                               "GlobalAveragePool", "GlobalMaxPool", "Resize", "Upsample", "Concat", "Split",
                               "Slice", "Transpose", "Pad", "Softmax", "LogSoftmax", "ReduceMean", "ReduceSum",
                               "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare",
                               "ReduceLogSumExp", "ArgMax", "ArgMin", "Gather", "Cast", "Where", "Expand", "Reshape",
                               "Flatten", "Squeeze", "Unsqueeze", "Dropout", "BatchNormalization",
                               "InstanceNormalization", "LayerNormalization", "ConstantOfShape", "Shape", "Constant", "Range"};

int32_t unary_code(const plan_layer* l) {
  for (const UnaryName& u : kUnary) if (is(l, u.op)) return u.code;
  return -1;
}
int32_t binary_code(const plan_layer* l) {
  for (const BinaryName& b : kBinary) if (is(l, b.op)) return b.code;
  return -1;
}

bool layer_supported(const plan* p, const plan_layer* l) {
  (void)p;
  if (unary_code(l) >= 0 || binary_code(l) >= 0 || is(l, "FusedElementwise")) return true;
  for (const char* o : kOther) if (is(l, o)) return true;
  return false;
}

int32_t norm_axis(int64_t a, int32_t rank) { return (int32_t)(a < 0 ? a + rank : a); }

// Plans built with precision "tf32" mark Conv/MatMul/Gemm layers with precision = "tf32" (docs/OPS.md): their
// float32 math may then run on TF32 tensor cores. Everything else stays strict fp32.
bool layer_allows_tf32(const plan_layer* l) { return strcmp(plan_attr_string(l, "precision", ""), "tf32") == 0; }

// The activation a standalone op or a fused Conv applies.
static bool act_from_name(const char* name, float alpha, float beta, Act* a) {
  static const UnaryName fused[] = {{"Relu", dtops::U_RELU}, {"Sigmoid", dtops::U_SIGMOID}, {"Tanh", dtops::U_TANH},
                                    {"HardSwish", dtops::U_HARDSWISH}, {"SiLU", dtops::U_SILU},
                                    {"Silu", dtops::U_SILU}, {"LeakyRelu", dtops::U_LEAKYRELU},
                                    {"HardSigmoid", dtops::U_HARDSIGMOID}, {"Clip", dtops::U_CLIP}};
  if (!name || !*name) { *a = dtops::default_act(dtops::U_IDENTITY); return true; }
  for (const UnaryName& u : fused)
    if (strcmp(name, u.op) == 0) { *a = Act{u.code, alpha, beta}; return true; }
  return false;
}

int32_t conv_act(const plan_layer* l, Act* a, denotrt_error* err) {
  const char* name = plan_attr_string(l, "activation", "");
  if (!act_from_name(name, plan_attr_float(l, "activation_alpha", 0.f), plan_attr_float(l, "activation_beta", 0.f), a))
    return layer_fail(l, err, DENOTRT_UNSUPPORTED, "fused activation %s", name);
  return DENOTRT_OK;
}

int32_t unary_act(Context* c, const plan_layer* l, Act* a, denotrt_error* err) {
  *a = dtops::default_act(unary_code(l));
  if (is(l, "LeakyRelu") || is(l, "Elu")) a->alpha = plan_attr_float(l, "alpha", a->alpha);
  if (is(l, "HardSigmoid")) { a->alpha = plan_attr_float(l, "alpha", 0.2f); a->beta = plan_attr_float(l, "beta", 0.5f); }
  if (is(l, "Selu")) { a->alpha = plan_attr_float(l, "alpha", a->alpha); a->beta = plan_attr_float(l, "gamma", a->beta); }
  if (is(l, "Clip")) {
    a->alpha = plan_attr_float(l, "min", -INFINITY);
    a->beta = plan_attr_float(l, "max", INFINITY);
    double v;
    if (IN(1) >= 0) { if (!host_f64(c, IN(1), 0, &v)) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "Clip min must be a constant"); a->alpha = (float)v; }
    if (IN(2) >= 0) { if (!host_f64(c, IN(2), 0, &v)) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "Clip max must be a constant"); a->beta = (float)v; }
  }
  return DENOTRT_OK;
}

// Conv geometry from the plan's attributes and the current shapes (explicit pads or auto_pad).
int32_t conv_geometry(Context* c, const plan_layer* l, bool transpose, dtops::ConvDesc* d, int64_t* pad_end,
                             denotrt_error* err) {
  Dims x = tensor_dims(c, IN(0)), w = tensor_dims(c, IN(1)), y = tensor_dims(c, OUT(0));
  int32_t nsp = x.rank - 2;
  if (nsp < 1 || nsp > 2) return layer_fail(l, err, DENOTRT_UNSUPPORTED, "%d spatial dims (1 or 2 supported)", nsp);
  memset(d, 0, sizeof *d);
  d->spatial = nsp;
  d->n = x.d[0];
  d->c = x.d[1];
  d->k = y.d[1];
  d->group = plan_attr_int(l, "group", 1);
  int32_t ns = 0, nd = 0, np = 0;
  const int64_t* st = plan_attr_ints(l, "strides", &ns);
  const int64_t* dl = plan_attr_ints(l, "dilations", &nd);
  const int64_t* pd = plan_attr_ints(l, "pads", &np);
  const char* autopad = plan_attr_string(l, "auto_pad", "NOTSET");
  for (int32_t i = 0; i < nsp; ++i) {
    d->in[i] = x.d[2 + i];
    d->out[i] = y.d[2 + i];
    d->kernel[i] = w.d[2 + i];
    d->stride[i] = ns > i ? st[i] : 1;
    d->dilation[i] = nd > i ? dl[i] : 1;
    d->pad_begin[i] = np == 2 * nsp ? pd[i] : 0;
    pad_end[i] = np == 2 * nsp ? pd[nsp + i] : 0;
    int64_t eff = (d->kernel[i] - 1) * d->dilation[i] + 1;
    if (!transpose && (strcmp(autopad, "SAME_UPPER") == 0 || strcmp(autopad, "SAME_LOWER") == 0)) {
      int64_t total = (d->out[i] - 1) * d->stride[i] + eff - d->in[i];
      if (total < 0) total = 0;
      d->pad_begin[i] = strcmp(autopad, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
      pad_end[i] = total - d->pad_begin[i];
    } else if (transpose && (strcmp(autopad, "SAME_UPPER") == 0 || strcmp(autopad, "SAME_LOWER") == 0)) {
      int64_t total = (d->in[i] - 1) * d->stride[i] + eff - d->out[i];
      if (total < 0) total = 0;
      d->pad_begin[i] = strcmp(autopad, "SAME_UPPER") == 0 ? total / 2 : total - total / 2;
      pad_end[i] = total - d->pad_begin[i];
    }
  }
  return DENOTRT_OK;
}

// ---------------------------------------------------------------- preparation (set_shapes time)
static int32_t prepare_layer_logical(Context* c, int32_t i, size_t* ws_need, denotrt_error* err);

#ifdef DENOTRT_WITH_CUBLASLT
static int32_t prepare_gemm_desc(Context* c, int32_t i, const denotrt_lt_gemm_desc& gd, size_t* ws_need,
                                 denotrt_error* err) {
  LayerPrep* pr = &c->prep[i];
  if (c->lt_failed || getenv("DENOTRT_NO_CUBLASLT")) return DENOTRT_OK;
  uint8_t key[128];
  size_t kl = sizeof gd;
  memcpy(key, &gd, kl);
  for (int32_t k = 0; k < c->n_gemms; ++k)
    if (c->gemms[k].key_len == kl && memcmp(c->gemms[k].key, key, kl) == 0) { pr->gemm = c->gemms[k].gemm; break; }
  if (!pr->gemm) {
    if (!c->lt) {
      denotrt_error ignored;
      if (denotrt_lt_handle_create(&c->lt, &ignored) != DENOTRT_OK) {
        c->lt_failed = 1;
        denotrt_log_write(DENOTRT_SEVERITY_WARNING, ignored.message);
        return DENOTRT_OK;
      }
    }
    denotrt_lt_gemm* g = nullptr;
    int32_t rc = denotrt_lt_gemm_create(c->lt, &gd, kWorkspaceLimit, &g, err);
    if (rc == DENOTRT_UNSUPPORTED) return DENOTRT_OK;
    if (rc != DENOTRT_OK) return rc;
    if (c->n_gemms == c->cap_gemms) {
      int32_t cap = c->cap_gemms ? 2 * c->cap_gemms : 16;
      GemmCacheEntry* n = (GemmCacheEntry*)realloc(c->gemms, cap * sizeof *n);
      if (!n) { denotrt_lt_gemm_destroy(g); return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "realloc", "", "out of host memory"); }
      c->gemms = n;
      c->cap_gemms = cap;
    }
    GemmCacheEntry* e = &c->gemms[c->n_gemms++];
    memcpy(e->key, key, kl);
    e->key_len = kl;
    e->gemm = g;
    pr->gemm = g;
  }
  pr->kernel = "cublaslt";
  if (denotrt_lt_gemm_workspace(pr->gemm) > *ws_need) *ws_need = denotrt_lt_gemm_workspace(pr->gemm);
  return DENOTRT_OK;
}
#endif

#ifdef DENOTRT_WITH_CUBLASLT
// MatMul / Gemm as one cuBLASLt call when the batch layout allows (A batched over a 2-D B folds into one GEMM;
// equal batches are strided-batched; a 2-D A over a batched B broadcasts A with stride 0).
bool matmul_desc(Context* c, const plan_layer* l, denotrt_lt_gemm_desc* gd) {
  memset(gd, 0, sizeof *gd);
  gd->dtype = tensor_dtype(c, OUT(0));
  gd->allow_tf32 = gd->dtype == DENOTRT_FLOAT32 && layer_allows_tf32(l);
  gd->alpha = 1.f;
  if (is(l, "Gemm")) {
    Dims a = tensor_dims(c, IN(0)), y = tensor_dims(c, OUT(0));
    gd->trans_a = (int32_t)plan_attr_int(l, "transA", 0);
    gd->trans_b = (int32_t)plan_attr_int(l, "transB", 0);
    gd->m = y.d[0]; gd->n = y.d[1]; gd->k = gd->trans_a ? a.d[0] : a.d[1];
    gd->batch = 1;
    gd->alpha = plan_attr_float(l, "alpha", 1.f);
    if (IN(2) >= 0) {
      Dims cd = tensor_dims(c, IN(2));
      bool row = (cd.rank == 1 && cd.d[0] == gd->n) || (cd.rank == 2 && cd.d[0] == 1 && cd.d[1] == gd->n);
      if (!row || plan_attr_float(l, "beta", 1.f) != 1.f) return false;
      gd->bias = 1;
    }
    return true;
  }
  Dims a = tensor_dims(c, IN(0)), b = tensor_dims(c, IN(1));
  if (a.rank < 2 || b.rank < 2) return false;
  int64_t m = a.d[a.rank - 2], k = a.d[a.rank - 1], n = b.d[b.rank - 1];
  int64_t abatch = 1, bbatch = 1;
  for (int32_t i = 0; i < a.rank - 2; ++i) abatch *= a.d[i];
  for (int32_t i = 0; i < b.rank - 2; ++i) bbatch *= b.d[i];
  gd->n = n; gd->k = k;
  if (bbatch == 1 && b.rank == 2) { gd->m = abatch * m; gd->batch = 1; return true; }
  if (a.rank == b.rank) {
    for (int32_t i = 0; i < a.rank - 2; ++i) if (a.d[i] != b.d[i]) return false;
    gd->m = m; gd->batch = abatch; gd->stride_a = m * k; gd->stride_b = k * n;
    return true;
  }
  if (abatch == 1 && a.rank == 2) { gd->m = m; gd->batch = bbatch; gd->stride_a = 0; gd->stride_b = k * n; return true; }
  return false;
}

#endif

int32_t prepare_layer(Context* c, int32_t i, size_t* ws_need, denotrt_error* err) {
  LayerPrep* pr = &c->prep[i];
  pr->native_nhwc = false;
  // Layers are prepared in order: the previous one has decided whether it runs this one too.
  pr->done_by_previous =
      i > 0 && c->e->device_layer[i - 1] && (c->prep[i - 1].cast_transpose || c->prep[i - 1].stem_pool);
  pr->cast_transpose = fuses_cast_transpose(c, i);
  pr->stem_pool = false;
  pr->stem_input = -1;
  pr->done_by_next = false;
  if (pr->done_by_previous) {
    pr->kernel = "fused_into_previous_layer";
    return DENOTRT_OK;
  }
  if (pr->cast_transpose) {
    pr->kernel = "dtops_cast_transpose";
    return DENOTRT_OK;
  }
  if (!c->e->nhwc[i]) return prepare_layer_logical(c, i, ws_need, err);
  begin_logical_dims(c, i);
  int32_t rc = prepare_layer_logical(c, i, ws_need, err);
  end_overrides(c);
  pr->native_nhwc = rc == DENOTRT_OK && has_native_nhwc(c, i);
  return rc;
}

static int32_t prepare_layer_logical(Context* c, int32_t i, size_t* ws_need, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  LayerPrep* pr = &c->prep[i];
  pr->conv = nullptr;
  pr->gconv = nullptr;
  pr->gconv_act = false;
  pr->gemm = nullptr;
  pr->own_depthwise = false;
  pr->own_pointwise = false;
  pr->concat_in[0] = pr->concat_in[1] = -1;
  pr->concat_c2 = 0;
  pr->splitk = 0;
  pr->kernel = "dtops";
  if (is(l, "FusedElementwise")) {  // a malformed program fails here, when shapes are set, with the reason
    fused_program fp;
    char msg[128];
    pr->kernel = "dtops_fused_elementwise";
    return fused_program_load(l, &fp, msg, sizeof msg) ? DENOTRT_OK : layer_fail(l, err, DENOTRT_PLAN_ERROR, "%s", msg);
  }
  if (is(l, "Conv")) {
    if (prepare_stem(c, i) || prepare_concat_pointwise(c, i)) return DENOTRT_OK;
    if (runs_own_pointwise(c, i)) {
      pr->own_pointwise = true;
      pr->kernel = "dtops_pointwise_conv";
      return DENOTRT_OK;
    }
    if (runs_own_depthwise(c, i)) {
      pr->own_depthwise = true;
      pr->kernel = "dtops_depthwise_nhwc";
      return DENOTRT_OK;
    }
#ifdef DENOTRT_WITH_CUDNN
    int32_t dt = tensor_dtype(c, OUT(0));
    if (dt == DENOTRT_FLOAT32 || dt == DENOTRT_FLOAT16) return prepare_conv(c, i, ws_need, err);
#endif
    return DENOTRT_OK;
  }
  if (is(l, "ConvTranspose")) {  // NHWC 2-D ones run on the channels-last kernels (has_native_nhwc)
    dtops::ConvDesc d;
    int64_t pe[2];
    denotrt_error ignored;
    pr->kernel = "dtops_conv_transpose";
    if (c->e->nhwc[i] && tensor_dims(c, IN(0)).rank == 4)
      pr->kernel = conv_geometry(c, l, true, &d, pe, &ignored) == DENOTRT_OK
                       ? dtops::conv_transpose_nhwc_kernel(tensor_dtype(c, OUT(0)), d)
                       : "dtops_conv_transpose_nhwc";  // run_layer_logical reports the error
    return DENOTRT_OK;
  }
  if (is(l, "MatMul") || is(l, "Gemm")) {
#ifdef DENOTRT_WITH_CUBLASLT
    denotrt_lt_gemm_desc gd;
    if (matmul_desc(c, l, &gd)) return prepare_gemm_desc(c, i, gd, ws_need, err);
#endif
    return DENOTRT_OK;
  }
  return DENOTRT_OK;
}

void free_caches(Context* c) {
#ifdef DENOTRT_WITH_CUDNN
  for (int32_t k = 0; k < c->n_convs; ++k) {
    denotrt_cudnn_conv_destroy(c->convs[k].conv);
    denotrt_cudnn_graph_conv_destroy(c->convs[k].gconv);
  }
  if (c->cudnn) denotrt_cudnn_handle_destroy(c->cudnn);
#endif
#ifdef DENOTRT_WITH_CUBLASLT
  for (int32_t k = 0; k < c->n_gemms; ++k) denotrt_lt_gemm_destroy(c->gemms[k].gemm);
  if (c->lt) denotrt_lt_handle_destroy(c->lt);
#endif
  free(c->convs);
  free(c->gemms);
  c->convs = nullptr;
  c->gemms = nullptr;
  c->n_convs = c->n_gemms = 0;
  c->cudnn = c->lt = nullptr;
}

uint64_t layer_scratch_bytes(const Context* c, const plan_layer* l) {
  // A channels-last global pool over a big map with few channels reduces slices into float partials first.
  if ((is(l, "GlobalAveragePool") || is(l, "GlobalMaxPool")) && c->e->nhwc[l - c->e->p->layers] && IN(0) >= 0) {
    dtops::Dims x = tensor_dims(c, IN(0));  // physical [N, H, W, C] (or logical [N, C, H, W] while it runs)
    int64_t n = x.d[0], ch = tensor_count(c, OUT(0)) / (n > 0 ? n : 1);
    int64_t hw = x.rank == 4 ? tensor_count(c, IN(0)) / ((n > 0 ? n : 1) * (ch > 0 ? ch : 1)) : 0;
    return x.rank == 4 ? dtops::global_pool_scratch_bytes(n, ch, hw) : 0;
  }
  // Pow with an exponent of another dtype: the exponent is cast to the base's dtype first.
  if (is(l, "Pow") && IN(1) >= 0 && tensor_dtype(c, IN(1)) != tensor_dtype(c, IN(0)))
    return (uint64_t)tensor_count(c, IN(1)) * dtops::dtype_size(tensor_dtype(c, IN(0)));
  return 0;
}

}  // namespace dtexec
