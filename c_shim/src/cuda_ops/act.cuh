// The activation table shared by unary ops, the fused epilogue and the conv/GEMM fallbacks. A header of inline
// device code because the library is built without relocatable device code (no cross-file device calls).
#ifndef DENOTRT_CUDA_OPS_ACT_CUH
#define DENOTRT_CUDA_OPS_ACT_CUH
#include <math.h>

#include "util.cuh"

namespace dtops {

__device__ __forceinline__ float apply_act(float v, Act a) {
  switch (a.op) {
    case U_IDENTITY: return v;
    case U_RELU: return v > 0.f ? v : 0.f;
    case U_SIGMOID: return 1.f / (1.f + expf(-v));
    case U_TANH: return tanhf(v);
    case U_SILU: return v / (1.f + expf(-v));
    case U_HARDSWISH: return v * fminf(fmaxf(v * (1.f / 6.f) + 0.5f, 0.f), 1.f);  // no division: ~10 instructions
    case U_HARDSIGMOID: return fminf(fmaxf(a.alpha * v + a.beta, 0.f), 1.f);
    case U_LEAKYRELU: return v >= 0.f ? v : a.alpha * v;
    case U_CLIP: return fminf(fmaxf(v, a.alpha), a.beta);
    case U_ELU: return v >= 0.f ? v : a.alpha * (expf(v) - 1.f);
    case U_GELU: return 0.5f * v * (1.f + erff(v * 0.70710678118654752f));
    case U_GELU_TANH: return 0.5f * v * (1.f + tanhf(0.7978845608028654f * (v + 0.044715f * v * v * v)));
    case U_SQRT: return sqrtf(v);
    case U_EXP: return expf(v);
    case U_LOG: return logf(v);
    case U_ABS: return fabsf(v);
    case U_NEG: return -v;
    case U_RECIPROCAL: return 1.f / v;
    case U_ERF: return erff(v);
    case U_FLOOR: return floorf(v);
    case U_CEIL: return ceilf(v);
    case U_SOFTPLUS: return v > 20.f ? v : log1pf(expf(v));
    case U_NOT: return v == 0.f ? 1.f : 0.f;
    case U_SIN: return sinf(v);
    case U_COS: return cosf(v);
    case U_TAN: return tanf(v);
    case U_ROUND: return rintf(v);  // ONNX Round: half to even
    case U_SIGN: return (float)((v > 0.f) - (v < 0.f));
    case U_MISH: return v * tanhf(v > 20.f ? v : log1pf(expf(v)));
    case U_SELU: return v > 0.f ? a.beta * v : a.beta * a.alpha * (expf(v) - 1.f);
    case U_SOFTSIGN: return v / (1.f + fabsf(v));
    case U_SCALE: return a.alpha * v;
    default: return v;
  }
}

// apply_act as one call, never inlined: for kernels that unroll an epilogue over many elements, where inlining the
// whole table per element costs compile time and instruction cache (depthwise.cu, conv_transpose.cu).
__device__ __noinline__ inline float apply_act_call(float v, Act a) { return apply_act(v, a); }

}  // namespace dtops
#endif
