/* fused_elementwise.c: the FusedElementwise layer (docs/OPS.md) on the CPU. The program (../fused_program.h) runs
 * over blocks of FE_BLOCK output elements at a time: each instruction is one tight loop over the block, so the
 * interpreter's dispatch costs once per block rather than once per element, and the loops vectorize. Stack entries
 * are block buffers; INPUT gathers its block through broadcast strides over the output dims with size-1 dims
 * dropped and mergeable neighbours merged (contiguous inputs are a plain copy). Everything is float32. */
#include "../fused_program.h"
#include "cpu_ops.h"

#define FE_BLOCK 256

/* Inlined into each caller so that full blocks see a constant trip count: at -O2 GCC vectorizes only such loops. */
#if defined(__GNUC__)
#define FE_INLINE static inline __attribute__((always_inline))
#else
#define FE_INLINE static inline
#endif

typedef struct fe_input {
  const float* data;
  int contiguous;                /* the output's shape: element i is data[i] */
  int64_t str[DENOTRT_MAX_RANK]; /* strides over fe_args.dims, 0 on broadcast dims */
} fe_input;

typedef struct fe_args {
  fused_program prog;
  int32_t rank; /* of the collapsed output dims */
  int64_t dims[DENOTRT_MAX_RANK];
  fe_input in[FUSED_MAX_INPUTS];
  float* out;
  int64_t n;
} fe_args;

/* Output dims and per-input strides with size-1 dims dropped and adjacent dims merged where every input allows. */
static void fe_collapse(fe_args* a, const cpu_tensor* const* in, int nin, const cpu_tensor* out) {
  int64_t full[FUSED_MAX_INPUTS][DENOTRT_MAX_RANK];
  for (int k = 0; k < nin; k++) {
    int64_t s[DENOTRT_MAX_RANK];
    cpu_strides(in[k]->rank, in[k]->dims, s);
    int off = out->rank - in[k]->rank;
    for (int d = 0; d < out->rank; d++) full[k][d] = (d < off || in[k]->dims[d - off] == 1) ? 0 : s[d - off];
  }
  int32_t r = 0;
  for (int d = 0; d < out->rank; d++) {
    if (out->dims[d] == 1) continue;
    int merge = r > 0;
    for (int k = 0; merge && k < nin; k++) merge = a->in[k].str[r - 1] == full[k][d] * out->dims[d];
    if (merge) {
      a->dims[r - 1] *= out->dims[d];
      for (int k = 0; k < nin; k++) a->in[k].str[r - 1] = full[k][d];
    } else {
      a->dims[r] = out->dims[d];
      for (int k = 0; k < nin; k++) a->in[k].str[r] = full[k][d];
      r++;
    }
  }
  a->rank = r;
}

/* dst[0..m) = input k at output elements [i0, i0 + m). */
static void fe_load(const fe_args* a, int k, int64_t i0, int64_t m, float* dst) {
  const fe_input* in = &a->in[k];
  if (in->contiguous) {
    memcpy(dst, in->data + i0, (size_t)m * sizeof(float));
    return;
  }
  if (a->rank == 0) { /* every dim is 1: one element */
    for (int64_t j = 0; j < m; j++) dst[j] = in->data[0];
    return;
  }
  int64_t coord[DENOTRT_MAX_RANK], off = 0, rem = i0;
  for (int d = a->rank - 1; d >= 0; d--) {
    coord[d] = rem % a->dims[d];
    rem /= a->dims[d];
    off += coord[d] * in->str[d];
  }
  const int last = a->rank - 1;
  const int64_t sl = in->str[last];
  for (int64_t j = 0; j < m;) {
    int64_t run = a->dims[last] - coord[last];
    if (run > m - j) run = m - j;
    const float* src = in->data + off;
    if (sl == 0) {
      for (int64_t t = 0; t < run; t++) dst[j + t] = src[0];
    } else if (sl == 1) {
      memcpy(dst + j, src, (size_t)run * sizeof(float));
    } else {
      for (int64_t t = 0; t < run; t++) dst[j + t] = src[t * sl];
    }
    j += run;
    coord[last] += run;
    off += run * sl;
    for (int d = last; d > 0 && coord[d] == a->dims[d]; d--) { /* carry into the outer dims */
      off += in->str[d - 1] - coord[d] * in->str[d];
      coord[d] = 0;
      coord[d - 1]++;
    }
  }
}

/* The formulas of unary.c / binary.c, so a fused chain computes what the separate layers did. */
FE_INLINE void fe_unary(int32_t op, float p, float q, float* restrict x, int64_t m) {
  switch (op) {
    case FE_RELU: for (int64_t i = 0; i < m; i++) x[i] = x[i] > 0.f ? x[i] : 0.f; break;
    case FE_SIGMOID: for (int64_t i = 0; i < m; i++) x[i] = 1.f / (1.f + expf(-x[i])); break;
    case FE_TANH: for (int64_t i = 0; i < m; i++) x[i] = tanhf(x[i]); break;
    case FE_SILU: for (int64_t i = 0; i < m; i++) x[i] = x[i] / (1.f + expf(-x[i])); break;
    case FE_HARDSWISH:
      for (int64_t i = 0; i < m; i++) {
        float y = x[i] / 6.f + 0.5f;
        x[i] *= y < 0.f ? 0.f : y > 1.f ? 1.f : y;
      }
      break;
    case FE_HARDSIGMOID:
      for (int64_t i = 0; i < m; i++) {
        float y = p * x[i] + q;
        x[i] = y < 0.f ? 0.f : y > 1.f ? 1.f : y;
      }
      break;
    case FE_LEAKYRELU: for (int64_t i = 0; i < m; i++) x[i] = x[i] >= 0.f ? x[i] : p * x[i]; break;
    case FE_CLIP: /* min(max(x, lo), hi) */
      for (int64_t i = 0; i < m; i++) {
        float y = x[i] < p ? p : x[i];
        x[i] = y > q ? q : y;
      }
      break;
    case FE_EXP: for (int64_t i = 0; i < m; i++) x[i] = expf(x[i]); break;
    case FE_LOG: for (int64_t i = 0; i < m; i++) x[i] = logf(x[i]); break;
    case FE_SQRT: for (int64_t i = 0; i < m; i++) x[i] = sqrtf(x[i]); break;
    case FE_ABS: for (int64_t i = 0; i < m; i++) x[i] = fabsf(x[i]); break;
    case FE_NEG: for (int64_t i = 0; i < m; i++) x[i] = -x[i]; break;
    case FE_RECIPROCAL: for (int64_t i = 0; i < m; i++) x[i] = 1.f / x[i]; break;
    case FE_ERF: for (int64_t i = 0; i < m; i++) x[i] = erff(x[i]); break;
    case FE_FLOOR: for (int64_t i = 0; i < m; i++) x[i] = floorf(x[i]); break;
    case FE_CEIL: for (int64_t i = 0; i < m; i++) x[i] = ceilf(x[i]); break;
    default: break; /* fused_program_load admits no other unary opcode */
  }
}

/* x[i] = x[i] op y[i] */
FE_INLINE void fe_binary(int32_t op, float* restrict x, const float* restrict y, int64_t m) {
  switch (op) {
    case FE_ADD: for (int64_t i = 0; i < m; i++) x[i] += y[i]; break;
    case FE_SUB: for (int64_t i = 0; i < m; i++) x[i] -= y[i]; break;
    case FE_MUL: for (int64_t i = 0; i < m; i++) x[i] *= y[i]; break;
    case FE_DIV: for (int64_t i = 0; i < m; i++) x[i] /= y[i]; break;
    case FE_POW: for (int64_t i = 0; i < m; i++) x[i] = powf(x[i], y[i]); break;
    case FE_MAX: for (int64_t i = 0; i < m; i++) x[i] = x[i] > y[i] ? x[i] : y[i]; break;
    case FE_MIN: for (int64_t i = 0; i < m; i++) x[i] = x[i] < y[i] ? x[i] : y[i]; break;
    default: break;
  }
}

/* Output elements [i0, i0 + m), m <= FE_BLOCK, into out; stack entries are distinct rows of `stack`. */
FE_INLINE void fe_block(const fe_args* a, int64_t i0, int64_t m, float (*restrict stack)[FE_BLOCK]) {
  const fused_program* fp = &a->prog;
  int sp = 0; /* entries in use; the top is stack[sp - 1] */
  for (int32_t pc = 0; pc < fp->len; pc++) {
    int32_t op = fp->code[pc] & 255, arg = fp->code[pc] >> 8;
    if (op == FE_INPUT) {
      fe_load(a, arg, i0, m, stack[sp++]);
    } else if (op == FE_CONST) {
      float v = fp->constants[arg];
      for (int64_t i = 0; i < m; i++) stack[sp][i] = v;
      sp++;
    } else if (op >= FE_ADD) {
      sp--;
      fe_binary(op, stack[sp - 1], stack[sp], m);
    } else {
      int params = fused_unary_params(op);
      fe_unary(op, params > 0 ? fp->constants[arg] : 0.f, params > 1 ? fp->constants[arg + 1] : 0.f, stack[sp - 1], m);
    }
  }
  memcpy(a->out + i0, stack[0], (size_t)m * sizeof(float));
}

/* Blocks [b0, b1) of FE_BLOCK elements; only the last block of the tensor can be shorter. */
static void fe_blocks(void* arg, int64_t b0, int64_t b1) {
  const fe_args* a = (const fe_args*)arg;
  float stack[FUSED_MAX_STACK][FE_BLOCK];
  for (int64_t b = b0; b < b1; b++) {
    int64_t i0 = b * FE_BLOCK;
    if (a->n - i0 >= FE_BLOCK) fe_block(a, i0, FE_BLOCK, stack);
    else fe_block(a, i0, a->n - i0, stack);
  }
}

static int32_t k_fused(const cpu_call* c, denotrt_error* err) {
  fe_args a;
  char msg[128];
  if (!fused_program_load(c->layer, &a.prog, msg, sizeof msg)) return cpu_fail(c, err, DENOTRT_PLAN_ERROR, "%s", msg);
  cpu_tensor* out = cpu_out(c, 0);
  if (out->dtype != DENOTRT_FLOAT32)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "output dtype %s is not a float type", plan_dtype_name(out->dtype));
  const cpu_tensor* in[FUSED_MAX_INPUTS];
  int nin = a.prog.num_inputs;
  for (int k = 0; k < nin; k++) {
    in[k] = cpu_in(c, k);
    if (in[k]->dtype != DENOTRT_FLOAT32)
      return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "input %d has dtype %s, not the output's float type", k,
                      plan_dtype_name(in[k]->dtype));
    int off = out->rank - in[k]->rank, ok = off >= 0;
    for (int d = 0; ok && d < in[k]->rank; d++) ok = in[k]->dims[d] == 1 || in[k]->dims[d] == out->dims[off + d];
    if (!ok) return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "input %d does not broadcast to the output shape", k);
    a.in[k].data = (const float*)in[k]->data;
    a.in[k].contiguous = in[k]->count == out->count;
  }
  fe_collapse(&a, in, nin, out);
  a.out = (float*)out->data;
  a.n = out->count;
  int64_t blocks = (a.n + FE_BLOCK - 1) / FE_BLOCK;
  cpu_parallel_for(blocks, 16, fe_blocks, &a);
  return DENOTRT_OK;
}

cpu_kernel cpu_fused_elementwise_lookup(const char* op) {
  return strcmp(op, "FusedElementwise") == 0 ? k_fused : NULL;
}
