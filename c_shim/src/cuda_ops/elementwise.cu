// Elementwise ops: unary activations/math, binary ops with numpy broadcasting, and Where.
// Float types compute in fp32; int32/int64 compute in their own type (ONNX integer semantics for Div and Mod).
#include <math.h>
#include <string.h>

#include <type_traits>

#include "../builtin/fused_program.h"
#include "act.cuh"

namespace dtops {

Act default_act(int32_t op) {
  Act a{op, 0.f, 0.f};
  switch (op) {
    case U_LEAKYRELU: a.alpha = 0.01f; break;
    case U_ELU: a.alpha = 1.f; break;
    case U_HARDSIGMOID: a.alpha = 0.2f; a.beta = 0.5f; break;
    case U_CLIP: a.alpha = -INFINITY; a.beta = INFINITY; break;
    case U_SELU: a.alpha = 1.67326319217681884765625f; a.beta = 1.05070102214813232421875f; break;
    default: break;
  }
  return a;
}

template <typename T>
__global__ void unary_kernel(Act a, const T* x, T* y, int64_t n) {
  DT_GRID_LOOP(i, n) y[i] = from_f<T>(apply_act(to_f(x[i]), a));
}

// Integers: only the ops that keep integer meaning.
// Sign tests that compile cleanly for unsigned types too.
template <typename T> __device__ __forceinline__ bool neg(T v) {
  if constexpr (std::is_signed<T>::value) return v < 0;
  else return false;
}

template <typename T>
__global__ void unary_int_kernel(int32_t op, const T* x, T* y, int64_t n) {
  DT_GRID_LOOP(i, n) {
    T v = x[i];
    switch (op) {
      case U_ABS: v = neg(v) ? (T)-v : v; break;
      case U_NEG: v = (T)-v; break;
      case U_RELU: v = v > 0 ? v : (T)0; break;
      case U_SIGN: v = (T)((v > 0) - (neg(v) ? 1 : 0)); break;
      case U_NOT: v = (T)(v == 0); break;
      default: break;
    }
    y[i] = v;
  }
}

int32_t unary(Act act, int32_t dtype, const void* x, void* y, int64_t n, cudaStream_t s, denotrt_error* err) {
  if (n <= 0) return DENOTRT_OK;
  if (dtype == DENOTRT_INT32 || dtype == DENOTRT_INT64 || dtype == DENOTRT_BOOL) {
    bool ok = act.op == U_ABS || act.op == U_NEG || act.op == U_RELU || act.op == U_SIGN || act.op == U_NOT ||
              act.op == U_IDENTITY;
    if (!ok || (dtype == DENOTRT_BOOL && act.op != U_NOT && act.op != U_IDENTITY))
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "dtops::unary", "", "unary op %d on integer dtype %d",
                          act.op, dtype);
    if (dtype == DENOTRT_INT32) unary_int_kernel<<<grid_for(n), 256, 0, s>>>(act.op, (const int32_t*)x, (int32_t*)y, n);
    else if (dtype == DENOTRT_INT64) unary_int_kernel<<<grid_for(n), 256, 0, s>>>(act.op, (const int64_t*)x, (int64_t*)y, n);
    else unary_int_kernel<<<grid_for(n), 256, 0, s>>>(act.op, (const uint8_t*)x, (uint8_t*)y, n);
    DT_LAUNCH_CHECK(err, "unary_int_kernel");
    return DENOTRT_OK;
  }
  DT_DISPATCH_FLOAT(dtype, T, "dtops::unary", err,
                    unary_kernel<T><<<grid_for(n), 256, 0, s>>>(act, (const T*)x, (T*)y, n));
  DT_LAUNCH_CHECK(err, "unary_kernel");
  return DENOTRT_OK;
}

// ---------------------------------------------------------------- binary
bool binary_is_compare(int32_t op) { return op >= B_EQUAL; }

// The FusedElementwise opcode computing float binary op `op` (fe_binary's formula), or -1: binary() runs these there.
static int32_t fused_binary_opcode(int32_t op) {
  switch (op) {
    case B_ADD: return FE_ADD;
    case B_SUB: return FE_SUB;
    case B_MUL: return FE_MUL;
    case B_DIV: return FE_DIV;
    case B_POW: return FE_POW;
    case B_MAX: return FE_MAX;
    case B_MIN: return FE_MIN;
    default: return -1;
  }
}

// The float ops FusedElementwise has no opcode for (fused_binary_opcode routes the arithmetic ones there).
__device__ __forceinline__ float bin_f(int32_t op, float a, float b) {
  switch (op) {
    case B_MOD: {  // fmod = 0 on floats means Python-style sign of the divisor
      float r = fmodf(a, b);
      if (r != 0.f && ((r < 0.f) != (b < 0.f))) r += b;
      return r;
    }
    case B_FMOD: return fmodf(a, b);
    case B_PRELU: return a >= 0.f ? a : a * b;
    case B_EQUAL: return a == b;
    case B_LESS: return a < b;
    case B_LESS_EQUAL: return a <= b;
    case B_GREATER: return a > b;
    case B_GREATER_EQUAL: return a >= b;
    case B_AND: return (a != 0.f) && (b != 0.f);
    case B_OR: return (a != 0.f) || (b != 0.f);
    case B_XOR: return (a != 0.f) != (b != 0.f);
    default: return 0.f;
  }
}

template <typename T>
__device__ __forceinline__ T bin_i(int32_t op, T a, T b) {
  switch (op) {
    case B_ADD: return a + b;
    case B_SUB: return a - b;
    case B_MUL: return a * b;
    case B_DIV: return b == 0 ? (T)0 : a / b;  // C truncation, as onnxruntime does for integers
    case B_POW: { T r = 1; for (T e = b; e > 0; --e) r *= a; return neg(b) ? (T)0 : r; }
    case B_MAX: return a > b ? a : b;
    case B_MIN: return a < b ? a : b;
    case B_MOD: { if (b == 0) return 0; T r = a % b; if (r != 0 && (neg(r) != neg(b))) r += b; return r; }
    case B_FMOD: return b == 0 ? (T)0 : a % b;
    case B_PRELU: return neg(a) ? a * b : a;
    case B_EQUAL: return a == b;
    case B_LESS: return a < b;
    case B_LESS_EQUAL: return a <= b;
    case B_GREATER: return a > b;
    case B_GREATER_EQUAL: return a >= b;
    case B_AND: return (a != 0) && (b != 0);
    case B_OR: return (a != 0) || (b != 0);
    case B_XOR: return (a != 0) != (b != 0);
    default: return 0;
  }
}

template <typename T, typename Y, bool kFloat>
__global__ void binary_kernel(int32_t op, const T* a, View av, const T* b, View bv, Y* y, int64_t n) {
  DT_GRID_LOOP(i, n) {
    T va = a[view_offset(i, av.rank, av.dims, av.strides)];
    T vb = b[view_offset(i, bv.rank, bv.dims, bv.strides)];
    if constexpr (kFloat) y[i] = from_f<Y>(bin_f(op, to_f(va), to_f(vb)));
    else y[i] = (Y)bin_i<T>(op, va, vb);
  }
}

template <typename T, bool kFloat>
static void launch_binary(int32_t op, const void* a, const View& av, const void* b, const View& bv, void* y,
                          int64_t n, cudaStream_t s) {
  if (binary_is_compare(op))
    binary_kernel<T, uint8_t, kFloat><<<grid_for(n), 256, 0, s>>>(op, (const T*)a, av, (const T*)b, bv, (uint8_t*)y, n);
  else
    binary_kernel<T, T, kFloat><<<grid_for(n), 256, 0, s>>>(op, (const T*)a, av, (const T*)b, bv, (T*)y, n);
}

int32_t binary(int32_t op, int32_t dtype, const void* a, const Dims& ad, const void* b, const Dims& bd, void* y,
               const Dims& yd, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::binary";
  View av, bv;
  if (!broadcast_view(ad, yd, &av) || !broadcast_view(bd, yd, &bv))
    return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "operands of binary op %d do not broadcast to the output", op);
  int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  // Float arithmetic runs as a two-input FusedElementwise program: its launcher merges broadcast dims, indexes in
  // 32 bits and moves vectors (a squeeze-excite [N,1,1,C] x [N,H,W,C] multiply is memory-bound there, and ~10x
  // slower through binary_kernel's per-element 64-bit unravel).
  const int32_t fe_op = fused_binary_opcode(op);
  if (fe_op >= 0 && (dtype == DENOTRT_FLOAT32 || dtype == DENOTRT_FLOAT16 || dtype == DENOTRT_BFLOAT16)) {
    fused_program prog;
    memset(&prog, 0, sizeof prog);
    prog.len = 3;
    prog.num_inputs = 2;
    prog.code[0] = FE_INPUT;
    prog.code[1] = FE_INPUT | (1 << 8);
    prog.code[2] = fe_op;
    const void* xs[2] = {a, b};
    const Dims xds[2] = {ad, bd};
    return fused_elementwise(dtype, prog, xs, xds, y, yd, s, err);
  }
  switch (dtype) {
    case DENOTRT_FLOAT32: launch_binary<float, true>(op, a, av, b, bv, y, n, s); break;
    case DENOTRT_FLOAT16: launch_binary<__half, true>(op, a, av, b, bv, y, n, s); break;
    case DENOTRT_BFLOAT16: launch_binary<__nv_bfloat16, true>(op, a, av, b, bv, y, n, s); break;
    case DENOTRT_INT32: launch_binary<int32_t, false>(op, a, av, b, bv, y, n, s); break;
    case DENOTRT_INT64: launch_binary<int64_t, false>(op, a, av, b, bv, y, n, s); break;
    case DENOTRT_BOOL: case DENOTRT_UINT8: launch_binary<uint8_t, false>(op, a, av, b, bv, y, n, s); break;
    case DENOTRT_INT8: launch_binary<int8_t, false>(op, a, av, b, bv, y, n, s); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "binary op on dtype %d", dtype);
  }
  DT_LAUNCH_CHECK(err, "binary_kernel");
  return DENOTRT_OK;
}

// ---------------------------------------------------------------- where (byte-wise: the dtype only sets the size)
template <typename T>
__global__ void where_kernel(const uint8_t* c, View cv, const T* x, View xv, const T* z, View zv, T* y, int64_t n) {
  DT_GRID_LOOP(i, n) {
    bool take = c[view_offset(i, cv.rank, cv.dims, cv.strides)] != 0;
    y[i] = take ? x[view_offset(i, xv.rank, xv.dims, xv.strides)] : z[view_offset(i, zv.rank, zv.dims, zv.strides)];
  }
}

int32_t where(int32_t dtype, const void* cond, const Dims& cd, const void* x, const Dims& xd, const void* z,
              const Dims& zd, void* y, const Dims& yd, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::where";
  View cv, xv, zv;
  if (!broadcast_view(cd, yd, &cv) || !broadcast_view(xd, yd, &xv) || !broadcast_view(zd, yd, &zv))
    return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "Where operands do not broadcast to the output");
  int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  const uint8_t* c = (const uint8_t*)cond;
  switch (dtype_size(dtype)) {
    case 1: where_kernel<<<grid_for(n), 256, 0, s>>>(c, cv, (const uint8_t*)x, xv, (const uint8_t*)z, zv, (uint8_t*)y, n); break;
    case 2: where_kernel<<<grid_for(n), 256, 0, s>>>(c, cv, (const uint16_t*)x, xv, (const uint16_t*)z, zv, (uint16_t*)y, n); break;
    case 4: where_kernel<<<grid_for(n), 256, 0, s>>>(c, cv, (const uint32_t*)x, xv, (const uint32_t*)z, zv, (uint32_t*)y, n); break;
    case 8: where_kernel<<<grid_for(n), 256, 0, s>>>(c, cv, (const uint64_t*)x, xv, (const uint64_t*)z, zv, (uint64_t*)y, n); break;
    default: return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "Where on dtype %d", dtype);
  }
  DT_LAUNCH_CHECK(err, "where_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
