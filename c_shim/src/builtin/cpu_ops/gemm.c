/* gemm.c: cache-blocked SGEMM. C is cut into MC x NC tiles run in parallel; each tile walks K in KC slices,
 * packs its A and B slices into MR- and NR-wide strips, and runs a 6x16 register-tile micro-kernel written with
 * GCC vector extensions (compiled twice: AVX2 and baseline, chosen at load time by target_clones). */
#include <stdlib.h>

#include "cpu_ops.h"

#define MR 6
#define NR 16
#define MC 72
#define NC 256
#define KC 256

typedef float v8 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
/* "avx2", not "arch=haswell": an arch= clone is dispatched on __builtin_cpu_is, i.e. only on Intel Haswell
 * itself, so every other AVX2 CPU (AMD EPYC, newer Xeons) fell back to the baseline clone at ~1/16 the speed. */
#define MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define MULTIVERSION
#endif

typedef struct gemm_args {
  int ta, tb;
  int64_t m, n, k, lda, ldb, ldc;
  float alpha, beta;
  const float* A;
  const float* B;
  float* C;
  int64_t tiles_n;
} gemm_args;

static inline float a_at(const gemm_args* g, int64_t i, int64_t p) { return g->ta ? g->A[p * g->lda + i] : g->A[i * g->lda + p]; }
static inline float b_at(const gemm_args* g, int64_t p, int64_t j) { return g->tb ? g->B[j * g->ldb + p] : g->B[p * g->ldb + j]; }

static void pack_a(const gemm_args* g, int64_t i0, int64_t mc, int64_t p0, int64_t kc, float* dst) {
  for (int64_t s = 0; s < mc; s += MR)
    for (int64_t p = 0; p < kc; p++)
      for (int r = 0; r < MR; r++) *dst++ = s + r < mc ? a_at(g, i0 + s + r, p0 + p) : 0.f;
}

static void pack_b(const gemm_args* g, int64_t p0, int64_t kc, int64_t j0, int64_t nc, float* dst) {
  for (int64_t s = 0; s < nc; s += NR)
    for (int64_t p = 0; p < kc; p++) {
      if (!g->tb && s + NR <= nc) {
        memcpy(dst, g->B + (p0 + p) * g->ldb + j0 + s, NR * sizeof(float));
        dst += NR;
      } else
        for (int c = 0; c < NR; c++) *dst++ = s + c < nc ? b_at(g, p0 + p, j0 + s + c) : 0.f;
    }
}

/* acc = Ap(MR x kc) * Bp(kc x NR); C[0:mr, 0:nr] += alpha * acc */
MULTIVERSION
static void micro(int64_t kc, const float* Ap, const float* Bp, float* C, int64_t ldc, int mr, int nr, float alpha) {
  v8 acc[MR][2];
  /* fully unrolled so the 12 accumulators stay in registers (GCC -O2 keeps them in memory otherwise) */
#pragma GCC unroll 6
  for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = (v8){0};
  for (int64_t p = 0; p < kc; p++) {
    v8 b0, b1;
    memcpy(&b0, Bp + p * NR, 32);
    memcpy(&b1, Bp + p * NR + 8, 32);
    const float* a = Ap + p * MR;
#pragma GCC unroll 6
    for (int r = 0; r < MR; r++) {
      acc[r][0] += a[r] * b0;
      acc[r][1] += a[r] * b1;
    }
  }
  for (int r = 0; r < mr; r++) {
    float tmp[NR];
    memcpy(tmp, &acc[r][0], 32);
    memcpy(tmp + 8, &acc[r][1], 32);
    float* c = C + r * ldc;
    for (int j = 0; j < nr; j++) c[j] += alpha * tmp[j];
  }
}

static void tile(void* arg, int64_t begin, int64_t end) {
  const gemm_args* g = (const gemm_args*)arg;
  float* Ap = (float*)aligned_alloc(64, sizeof(float) * MC * KC);
  float* Bp = (float*)aligned_alloc(64, sizeof(float) * NC * KC);
  if (!Ap || !Bp) { /* cannot fail a parallel task; fall back to the slow path for this range */
    free(Ap);
    free(Bp);
    Ap = Bp = NULL;
  }
  for (int64_t t = begin; t < end; t++) {
    int64_t i0 = (t / g->tiles_n) * MC, j0 = (t % g->tiles_n) * NC;
    int64_t mc = g->m - i0 < MC ? g->m - i0 : MC, nc = g->n - j0 < NC ? g->n - j0 : NC;
    for (int64_t i = 0; i < mc; i++) {
      float* c = g->C + (i0 + i) * g->ldc + j0;
      if (g->beta == 0.f) memset(c, 0, nc * sizeof(float));
      else if (g->beta != 1.f) for (int64_t j = 0; j < nc; j++) c[j] *= g->beta;
    }
    for (int64_t p0 = 0; p0 < g->k; p0 += KC) {
      int64_t kc = g->k - p0 < KC ? g->k - p0 : KC;
      if (!Ap) {
        for (int64_t i = 0; i < mc; i++)
          for (int64_t j = 0; j < nc; j++) {
            float s = 0;
            for (int64_t p = 0; p < kc; p++) s += a_at(g, i0 + i, p0 + p) * b_at(g, p0 + p, j0 + j);
            g->C[(i0 + i) * g->ldc + j0 + j] += g->alpha * s;
          }
        continue;
      }
      pack_a(g, i0, mc, p0, kc, Ap);
      pack_b(g, p0, kc, j0, nc, Bp);
      for (int64_t js = 0; js < nc; js += NR)
        for (int64_t is = 0; is < mc; is += MR)
          micro(kc, Ap + is * kc, Bp + js * kc, g->C + (i0 + is) * g->ldc + j0 + js, g->ldc,
                (int)(mc - is < MR ? mc - is : MR), (int)(nc - js < NR ? nc - js : NR), g->alpha);
    }
  }
  free(Ap);
  free(Bp);
}

void cpu_sgemm(int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc, int serial) {
  if (m <= 0 || n <= 0) return;
  gemm_args g = {transA, transB, m, n, k, lda, ldb, ldc, alpha, beta, A, B, C, (n + NC - 1) / NC};
  int64_t tiles = ((m + MC - 1) / MC) * g.tiles_n;
  if (serial) tile(&g, 0, tiles);
  else cpu_parallel_for(tiles, 1, tile, &g);
}
