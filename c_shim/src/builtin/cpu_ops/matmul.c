/* matmul.c: Gemm and MatMul (batched, numpy broadcasting) on top of cpu_sgemm. */
#include "cpu_ops.h"

static int32_t k_gemm(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* a = cpu_in(c, 0);
  const cpu_tensor* b = cpu_in(c, 1);
  const cpu_tensor* bias = cpu_in(c, 2);
  cpu_tensor* y = cpu_out(c, 0);
  if (a->dtype != DENOTRT_FLOAT32 || b->dtype != DENOTRT_FLOAT32)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "only floating-point Gemm is supported");
  int ta = (int)plan_attr_int(c->layer, "transA", 0), tb = (int)plan_attr_int(c->layer, "transB", 0);
  float alpha = plan_attr_float(c->layer, "alpha", 1.f), beta = plan_attr_float(c->layer, "beta", 1.f);
  int64_t m = y->dims[0], n = y->dims[1], k = ta ? a->dims[0] : a->dims[1];
  float* Y = (float*)y->data;
  float use_beta = 0.f;
  if (bias && bias->count && beta != 0.f) {
    /* C broadcasts to (m, n): scalar, (n), (1, n), (m, 1) or (m, n) */
    int64_t br = bias->rank == 2 ? bias->dims[0] : 1, bc = bias->rank >= 1 ? bias->dims[bias->rank - 1] : 1;
    if ((br != 1 && br != m) || (bc != 1 && bc != n))
      return cpu_fail(c, err, DENOTRT_SHAPE_ERROR, "C does not broadcast to (%lld, %lld)", (long long)m, (long long)n);
    const float* C = (const float*)bias->data;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) Y[i * n + j] = C[(br == 1 ? 0 : i) * bc + (bc == 1 ? 0 : j)];
    use_beta = beta;
  }
  cpu_sgemm(ta, tb, m, n, k, alpha, (const float*)a->data, a->dims[1], (const float*)b->data, b->dims[1], use_beta, Y, n, 0);
  return DENOTRT_OK;
}

typedef struct bmm {
  const float* A;
  const float* B;
  float* Y;
  int64_t m, n, k, batch;
  int32_t brank;
  int64_t bdims[DENOTRT_MAX_RANK], sa[DENOTRT_MAX_RANK], sb[DENOTRT_MAX_RANK];
  int serial;
} bmm;

static void bmm_range(void* arg, int64_t b0, int64_t b1) {
  const bmm* a = (const bmm*)arg;
  for (int64_t bi = b0; bi < b1; bi++) {
    int64_t oa = 0, ob = 0, r = bi;
    for (int d = a->brank - 1; d >= 0; d--) {
      int64_t idx = r % a->bdims[d];
      r /= a->bdims[d];
      oa += idx * a->sa[d];
      ob += idx * a->sb[d];
    }
    cpu_sgemm(0, 0, a->m, a->n, a->k, 1.f, a->A + oa * a->m * a->k, a->k, a->B + ob * a->k * a->n, a->n, 0.f,
              a->Y + bi * a->m * a->n, a->n, a->serial);
  }
}

static int32_t k_matmul(const cpu_call* c, denotrt_error* err) {
  const cpu_tensor* a = cpu_in(c, 0);
  const cpu_tensor* b = cpu_in(c, 1);
  cpu_tensor* y = cpu_out(c, 0);
  if (a->dtype != DENOTRT_FLOAT32 || b->dtype != DENOTRT_FLOAT32)
    return cpu_fail(c, err, DENOTRT_UNSUPPORTED, "only floating-point MatMul is supported");
  int64_t ad[DENOTRT_MAX_RANK + 1], bd[DENOTRT_MAX_RANK + 1];
  int32_t ra = a->rank, rb = b->rank;
  memcpy(ad, a->dims, sizeof a->dims);
  memcpy(bd, b->dims, sizeof b->dims);
  if (ra == 1) ad[1] = ad[0], ad[0] = 1, ra = 2;
  if (rb == 1) bd[1] = 1, rb = 2;
  bmm m;
  m.A = (const float*)a->data;
  m.B = (const float*)b->data;
  m.Y = (float*)y->data;
  m.m = ad[ra - 2];
  m.k = ad[ra - 1];
  m.n = bd[rb - 1];
  m.brank = (ra > rb ? ra : rb) - 2;
  /* batch strides in units of whole matrices, 0 where an operand broadcasts */
  int64_t sa = 1, sb = 1;
  for (int d = m.brank - 1; d >= 0; d--) {
    int ia = d - (m.brank - (ra - 2)), ib = d - (m.brank - (rb - 2));
    int64_t xa = ia >= 0 ? ad[ia] : 1, xb = ib >= 0 ? bd[ib] : 1;
    m.bdims[d] = xa > xb ? xa : xb;
    m.sa[d] = xa == 1 ? 0 : sa;
    m.sb[d] = xb == 1 ? 0 : sb;
    sa *= xa;
    sb *= xb;
  }
  m.batch = 1;
  for (int d = 0; d < m.brank; d++) m.batch *= m.bdims[d];
  /* many small matrices: one serial GEMM per task; few large ones: parallel inside each GEMM */
  m.serial = m.batch >= cpu_num_threads() && m.m * m.n * m.k < (1 << 22);
  if (m.serial) cpu_parallel_for(m.batch, 1, bmm_range, &m);
  else bmm_range(&m, 0, m.batch);
  (void)err;
  return DENOTRT_OK;
}

cpu_kernel cpu_matmul_lookup(const char* op) {
  if (!strcmp(op, "Gemm")) return k_gemm;
  if (!strcmp(op, "MatMul")) return k_matmul;
  return NULL;
}
