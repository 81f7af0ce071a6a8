/* unary.c: elementwise one-input ops and the activations Conv fuses. float32 fast paths; Neg/Abs/Floor/Identity
 * also accept integer tensors. */
#include <float.h>

#include "cpu_ops.h"

static inline float act_one(cpu_act k, float x, float a, float b) {
  switch (k) {
    case ACT_RELU: return x > 0.f ? x : 0.f;
    case ACT_LEAKY: return x >= 0.f ? x : a * x;
    case ACT_SIGMOID: return 1.f / (1.f + expf(-x));
    case ACT_HSIGMOID: { float y = a * x + b; return y < 0.f ? 0.f : y > 1.f ? 1.f : y; }
    case ACT_HSWISH: { float y = x / 6.f + 0.5f; return x * (y < 0.f ? 0.f : y > 1.f ? 1.f : y); }
    case ACT_SILU: return x / (1.f + expf(-x));
    case ACT_CLIP: return x < a ? a : x > b ? b : x;
    case ACT_TANH: return tanhf(x);
    default: return x;
  }
}

void cpu_activation_apply(const cpu_activation* a, float* x, int64_t n) {
  if (a->kind == ACT_NONE) return;
  if (a->kind == ACT_RELU) {
    for (int64_t i = 0; i < n; i++) x[i] = x[i] > 0.f ? x[i] : 0.f;
    return;
  }
  for (int64_t i = 0; i < n; i++) x[i] = act_one(a->kind, x[i], a->alpha, a->beta);
}

/* Fused form: activation (string), activation_alpha, activation_beta. For Clip alpha/beta are min/max. */
int cpu_activation_parse(const plan_layer* l, cpu_activation* a) {
  const char* s = plan_attr_string(l, "activation", "");
  a->kind = ACT_NONE;
  a->alpha = plan_attr_float(l, "activation_alpha", 0.f);
  a->beta = plan_attr_float(l, "activation_beta", 0.f);
  if (!*s) return 1;
  if (!strcmp(s, "Relu")) a->kind = ACT_RELU;
  else if (!strcmp(s, "LeakyRelu")) { a->kind = ACT_LEAKY; a->alpha = plan_attr_float(l, "activation_alpha", 0.01f); }
  else if (!strcmp(s, "Sigmoid")) a->kind = ACT_SIGMOID;
  else if (!strcmp(s, "HardSigmoid")) {
    a->kind = ACT_HSIGMOID;
    a->alpha = plan_attr_float(l, "activation_alpha", 0.2f);
    a->beta = plan_attr_float(l, "activation_beta", 0.5f);
  } else if (!strcmp(s, "HardSwish")) a->kind = ACT_HSWISH;
  else if (!strcmp(s, "SiLU") || !strcmp(s, "Silu") || !strcmp(s, "Swish")) a->kind = ACT_SILU;
  else if (!strcmp(s, "Clip")) {
    a->kind = ACT_CLIP;
    a->alpha = plan_attr_float(l, "activation_alpha", -FLT_MAX);
    a->beta = plan_attr_float(l, "activation_beta", FLT_MAX);
  } else if (!strcmp(s, "Tanh")) a->kind = ACT_TANH;
  else return 0;
  return 1;
}

typedef enum { U_EXP = 100, U_SQRT, U_FLOOR, U_NEG, U_ABS, U_CEIL, U_RECIP, U_LOG, U_ERF } u_extra;

typedef struct uargs { int op; float a, b; const float* x; float* y; } uargs;

static void urange(void* arg, int64_t b, int64_t e) {
  const uargs* u = (const uargs*)arg;
  const float* x = u->x;
  float* y = u->y;
  switch (u->op) {
    case U_EXP: for (int64_t i = b; i < e; i++) y[i] = expf(x[i]); break;
    case U_SQRT: for (int64_t i = b; i < e; i++) y[i] = sqrtf(x[i]); break;
    case U_FLOOR: for (int64_t i = b; i < e; i++) y[i] = floorf(x[i]); break;
    case U_CEIL: for (int64_t i = b; i < e; i++) y[i] = ceilf(x[i]); break;
    case U_NEG: for (int64_t i = b; i < e; i++) y[i] = -x[i]; break;
    case U_ABS: for (int64_t i = b; i < e; i++) y[i] = fabsf(x[i]); break;
    case U_RECIP: for (int64_t i = b; i < e; i++) y[i] = 1.f / x[i]; break;
    case U_LOG: for (int64_t i = b; i < e; i++) y[i] = logf(x[i]); break;
    case U_ERF: for (int64_t i = b; i < e; i++) y[i] = erff(x[i]); break;
    default:
      for (int64_t i = b; i < e; i++) y[i] = act_one((cpu_act)u->op, x[i], u->a, u->b);
  }
}

static int32_t run_unary(const cpu_call* c, denotrt_error* err, int op, float a, float b) {
  const cpu_tensor* x = cpu_in(c, 0);
  cpu_tensor* y = cpu_out(c, 0);
  if (x->dtype != DENOTRT_FLOAT32) {
    if (op != U_NEG && op != U_ABS && op != U_FLOOR && op != U_CEIL && op != ACT_RELU)
      return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "input dtype %s is not supported", plan_dtype_name(x->dtype));
    for (int64_t i = 0; i < x->count; i++) {
      double v = cpu_get_f64(x, i);
      v = op == U_NEG ? -v : op == U_ABS ? fabs(v) : op == ACT_RELU ? (v > 0 ? v : 0) : v;
      cpu_set_f64(y, i, v);
    }
    return DENOTRT_OK;
  }
  uargs u = {op, a, b, (const float*)x->data, (float*)y->data};
  cpu_parallel_for(x->count, 16384, urange, &u);
  return DENOTRT_OK;
}

static int32_t k_relu(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, ACT_RELU, 0, 0); }
static int32_t k_leaky(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, ACT_LEAKY, plan_attr_float(c->layer, "alpha", 0.01f), 0); }
static int32_t k_sigmoid(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, ACT_SIGMOID, 0, 0); }
static int32_t k_hsigmoid(const cpu_call* c, denotrt_error* e) {
  return run_unary(c, e, ACT_HSIGMOID, plan_attr_float(c->layer, "alpha", 0.2f), plan_attr_float(c->layer, "beta", 0.5f));
}
static int32_t k_hswish(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, ACT_HSWISH, 0, 0); }
static int32_t k_silu(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, ACT_SILU, 0, 0); }
static int32_t k_tanh(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, ACT_TANH, 0, 0); }
static int32_t k_exp(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_EXP, 0, 0); }
static int32_t k_sqrt(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_SQRT, 0, 0); }
static int32_t k_floor(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_FLOOR, 0, 0); }
static int32_t k_ceil(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_CEIL, 0, 0); }
static int32_t k_neg(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_NEG, 0, 0); }
static int32_t k_abs(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_ABS, 0, 0); }
static int32_t k_recip(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_RECIP, 0, 0); }
static int32_t k_log(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_LOG, 0, 0); }
static int32_t k_erf(const cpu_call* c, denotrt_error* e) { return run_unary(c, e, U_ERF, 0, 0); }

/* Clip: min/max as inputs 1 and 2 (opset 11+) or attributes (older). */
static int32_t k_clip(const cpu_call* c, denotrt_error* e) {
  float lo = plan_attr_float(c->layer, "min", -FLT_MAX), hi = plan_attr_float(c->layer, "max", FLT_MAX);
  const cpu_tensor* mn = cpu_in(c, 1);
  const cpu_tensor* mx = cpu_in(c, 2);
  if (mn && mn->count) lo = (float)cpu_get_f64(mn, 0);
  if (mx && mx->count) hi = (float)cpu_get_f64(mx, 0);
  const cpu_tensor* x = cpu_in(c, 0);
  if (x->dtype != DENOTRT_FLOAT32) {
    cpu_tensor* y = cpu_out(c, 0);
    for (int64_t i = 0; i < x->count; i++) {
      double v = cpu_get_f64(x, i);
      cpu_set_f64(y, i, v < lo ? lo : v > hi ? hi : v);
    }
    return DENOTRT_OK;
  }
  return run_unary(c, e, ACT_CLIP, lo, hi);
}

/* ------------------------------------------------------------------ registration */
typedef struct { const char* op; cpu_kernel fn; } entry;
static const entry kUnary[] = {
    {"Relu", k_relu}, {"LeakyRelu", k_leaky}, {"Sigmoid", k_sigmoid}, {"HardSigmoid", k_hsigmoid},
    {"HardSwish", k_hswish}, {"SiLU", k_silu}, {"Silu", k_silu}, {"Tanh", k_tanh}, {"Exp", k_exp},
    {"Sqrt", k_sqrt}, {"Floor", k_floor}, {"Ceil", k_ceil}, {"Neg", k_neg}, {"Abs", k_abs},
    {"Reciprocal", k_recip}, {"Log", k_log}, {"Erf", k_erf}, {"Clip", k_clip}, {NULL, NULL}};

cpu_kernel cpu_unary_lookup(const char* op) {
  for (const entry* e = kUnary; e->op; e++)
    if (!strcmp(e->op, op)) return e->fn;
  return NULL;
}
