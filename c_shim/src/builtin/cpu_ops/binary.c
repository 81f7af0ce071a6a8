/* binary.c: broadcasting elementwise ops (Add, Sub, Mul, Div, Pow, Min, Max, Equal, Where, ...).
 * The output is walked row by row (its last dimension); each input's offset per row comes from broadcast strides,
 * and the inner loop sees each input with stride 1 or 0. */
#include "cpu_ops.h"

typedef enum { B_ADD, B_SUB, B_MUL, B_DIV, B_POW, B_MIN, B_MAX, B_EQ, B_GT, B_LT } bop;

#define MAXIN 3
typedef struct bargs {
  int op, nin;
  int32_t rank;
  int64_t dims[DENOTRT_MAX_RANK];
  int64_t str[MAXIN][DENOTRT_MAX_RANK]; /* broadcast strides per input, 0 on broadcast dims */
  const cpu_tensor* in[MAXIN];
  cpu_tensor* out;
  int64_t inner;
} bargs;

static void setup(bargs* b, const cpu_tensor* const* in, int nin, cpu_tensor* out) {
  b->nin = nin;
  b->out = out;
  b->rank = out->rank;
  memcpy(b->dims, out->dims, sizeof b->dims);
  for (int i = 0; i < nin; i++) {
    b->in[i] = in[i];
    int64_t s[DENOTRT_MAX_RANK];
    cpu_strides(in[i]->rank, in[i]->dims, s);
    int off = out->rank - in[i]->rank;
    for (int d = 0; d < out->rank; d++)
      b->str[i][d] = (d < off || in[i]->dims[d - off] == 1) ? 0 : s[d - off];
  }
  b->inner = out->rank ? out->dims[out->rank - 1] : 1;
}

static void row_offsets(const bargs* b, int64_t row, int64_t* off) {
  for (int i = 0; i < b->nin; i++) off[i] = 0;
  for (int d = b->rank - 2; d >= 0; d--) {
    int64_t idx = row % b->dims[d];
    row /= b->dims[d];
    for (int i = 0; i < b->nin; i++) off[i] += idx * b->str[i][d];
  }
}

static inline float fop(int op, float x, float y) {
  switch (op) {
    case B_ADD: return x + y;
    case B_SUB: return x - y;
    case B_MUL: return x * y;
    case B_DIV: return x / y;
    case B_POW: return powf(x, y);
    case B_MIN: return x < y ? x : y;
    case B_MAX: return x > y ? x : y;
    default: return 0;
  }
}

#define INNER_LOOP(OPEXPR)                                                          \
  if (sa && sb) for (int64_t j = 0; j < n; j++) { float x = a[j], y = bb[j]; o[j] = OPEXPR; } \
  else if (sa) for (int64_t j = 0; j < n; j++) { float x = a[j], y = bb[0]; o[j] = OPEXPR; } \
  else if (sb) for (int64_t j = 0; j < n; j++) { float x = a[0], y = bb[j]; o[j] = OPEXPR; } \
  else for (int64_t j = 0; j < n; j++) { float x = a[0], y = bb[0]; o[j] = OPEXPR; }

static void frows(void* arg, int64_t r0, int64_t r1) {
  const bargs* b = (const bargs*)arg;
  int64_t n = b->inner, off[MAXIN];
  int sa = b->rank && b->str[0][b->rank - 1] != 0, sb = b->rank && b->str[1][b->rank - 1] != 0;
  for (int64_t r = r0; r < r1; r++) {
    row_offsets(b, r, off);
    const float* a = (const float*)b->in[0]->data + off[0];
    const float* bb = (const float*)b->in[1]->data + off[1];
    float* o = (float*)b->out->data + r * n;
    switch (b->op) {
      case B_ADD: INNER_LOOP(x + y); break;
      case B_SUB: INNER_LOOP(x - y); break;
      case B_MUL: INNER_LOOP(x * y); break;
      case B_DIV: INNER_LOOP(x / y); break;
      default: INNER_LOOP(fop(b->op, x, y)); break;
    }
  }
}

/* Integer, mixed and comparison ops: through doubles / int64 (small tensors in practice). */
static void grows(void* arg, int64_t r0, int64_t r1) {
  const bargs* b = (const bargs*)arg;
  int64_t n = b->inner, off[MAXIN];
  int isint = b->in[0]->dtype != DENOTRT_FLOAT32;
  int last = b->rank - 1;
  for (int64_t r = r0; r < r1; r++) {
    row_offsets(b, r, off);
    for (int64_t j = 0; j < n; j++) {
      int64_t ia = off[0] + (last >= 0 ? j * b->str[0][last] : 0), ib = off[1] + (last >= 0 ? j * b->str[1][last] : 0);
      int64_t oi = r * n + j;
      if (b->op == B_EQ || b->op == B_GT || b->op == B_LT) {
        double x = cpu_get_f64(b->in[0], ia), y = cpu_get_f64(b->in[1], ib);
        if (isint && b->op == B_EQ) x = (double)(cpu_get_i64(b->in[0], ia) - cpu_get_i64(b->in[1], ib)), y = 0;
        ((uint8_t*)b->out->data)[oi] = b->op == B_EQ ? x == y : b->op == B_GT ? x > y : x < y;
      } else if (isint) {
        int64_t x = cpu_get_i64(b->in[0], ia), y = cpu_get_i64(b->in[1], ib), v = 0;
        switch (b->op) {
          case B_ADD: v = x + y; break;
          case B_SUB: v = x - y; break;
          case B_MUL: v = x * y; break;
          case B_DIV: v = y ? x / y : 0; break;
          case B_POW: v = (int64_t)pow((double)x, (double)y); break;
          case B_MIN: v = x < y ? x : y; break;
          case B_MAX: v = x > y ? x : y; break;
        }
        if (b->out->dtype == DENOTRT_INT64) ((int64_t*)b->out->data)[oi] = v;
        else cpu_set_f64(b->out, oi, (double)v);
      } else {
        cpu_set_f64(b->out, oi, fop(b->op, (float)cpu_get_f64(b->in[0], ia), (float)cpu_get_f64(b->in[1], ib)));
      }
    }
  }
}

static int32_t run_binary(const cpu_call* c, denotrt_error* err, int op, const cpu_tensor* x, const cpu_tensor* y,
                          cpu_tensor* out) {
  const cpu_tensor* in[2] = {x, y};
  bargs b;
  setup(&b, in, 2, out);
  b.op = op;
  int64_t rows = b.inner ? out->count / b.inner : 0;
  int fast = x->dtype == DENOTRT_FLOAT32 && y->dtype == DENOTRT_FLOAT32 && out->dtype == DENOTRT_FLOAT32 && op <= B_MAX;
  if (!fast && (x->dtype == DENOTRT_FLOAT32) != (y->dtype == DENOTRT_FLOAT32))
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "inputs of different types (%s, %s)", plan_dtype_name(x->dtype),
                    plan_dtype_name(y->dtype));
  int64_t grain = b.inner >= 4096 ? 1 : 4096 / (b.inner ? b.inner : 1);
  cpu_parallel_for(rows, grain, fast ? frows : grows, &b);
  return DENOTRT_OK;
}

static int32_t variadic(const cpu_call* c, denotrt_error* err, int op) {
  const cpu_tensor* a = cpu_in(c, 0);
  cpu_tensor* out = cpu_out(c, 0);
  int n = c->layer->num_inputs;
  if (n == 1) {
    memmove(out->data, a->data, (size_t)a->count * plan_dtype_bytes(a->dtype));
    return DENOTRT_OK;
  }
  int32_t rc = run_binary(c, err, op, a, cpu_in(c, 1), out);
  /* More than two inputs (Min/Max/Sum): fold into the output; shapes only grow by broadcasting, and the output
   * already has the final shape, so out op= in_i is well defined. */
  for (int i = 2; rc == DENOTRT_OK && i < n; i++) rc = run_binary(c, err, op, out, cpu_in(c, i), out);
  return rc;
}

static int32_t k_add(const cpu_call* c, denotrt_error* e) { return variadic(c, e, B_ADD); }
static int32_t k_sub(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_SUB, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }
static int32_t k_mul(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_MUL, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }
static int32_t k_div(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_DIV, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }
static int32_t k_pow(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_POW, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }
static int32_t k_min(const cpu_call* c, denotrt_error* e) { return variadic(c, e, B_MIN); }
static int32_t k_max(const cpu_call* c, denotrt_error* e) { return variadic(c, e, B_MAX); }
static int32_t k_equal(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_EQ, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }
static int32_t k_greater(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_GT, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }
static int32_t k_less(const cpu_call* c, denotrt_error* e) { return run_binary(c, e, B_LT, cpu_in(c, 0), cpu_in(c, 1), cpu_out(c, 0)); }

/* Where(cond, x, y): element bytes copied from x or y. */
typedef struct wargs { bargs b; size_t es; } wargs;
static void wrows(void* arg, int64_t r0, int64_t r1) {
  const wargs* w = (const wargs*)arg;
  const bargs* b = &w->b;
  int64_t n = b->inner, off[MAXIN];
  int last = b->rank - 1;
  for (int64_t r = r0; r < r1; r++) {
    row_offsets(b, r, off);
    for (int64_t j = 0; j < n; j++) {
      int64_t ic = off[0] + (last >= 0 ? j * b->str[0][last] : 0);
      int pick = ((const uint8_t*)b->in[0]->data)[ic] ? 1 : 2;
      int64_t is = off[pick] + (last >= 0 ? j * b->str[pick][last] : 0);
      memcpy((uint8_t*)b->out->data + (r * n + j) * w->es, (const uint8_t*)b->in[pick]->data + is * w->es, w->es);
    }
  }
}
static int32_t k_where(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* in[3] = {cpu_in(c, 0), cpu_in(c, 1), cpu_in(c, 2)};
  if (in[0]->dtype != DENOTRT_BOOL && in[0]->dtype != DENOTRT_UINT8)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "condition must be bool");
  wargs w;
  setup(&w.b, in, 3, cpu_out(c, 0));
  w.es = plan_dtype_bytes(in[1]->dtype);
  int64_t rows = w.b.inner ? w.b.out->count / w.b.inner : 0;
  cpu_parallel_for(rows, 64, wrows, &w);
  return DENOTRT_OK;
}

typedef struct { const char* op; cpu_kernel fn; } entry;
static const entry kBinary[] = {{"Add", k_add}, {"Sum", k_add}, {"Sub", k_sub}, {"Mul", k_mul}, {"Div", k_div},
                                {"Pow", k_pow}, {"Min", k_min}, {"Max", k_max}, {"Equal", k_equal},
                                {"Greater", k_greater}, {"Less", k_less}, {"Where", k_where}, {NULL, NULL}};

cpu_kernel cpu_binary_lookup(const char* op) {
  for (const entry* e = kBinary; e->op; e++)
    if (!strcmp(e->op, op)) return e->fn;
  return NULL;
}
