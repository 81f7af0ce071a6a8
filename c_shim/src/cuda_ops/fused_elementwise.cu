// FusedElementwise (docs/OPS.md): one thread per output element (grid-stride) runs the layer's postfix program
// (builtin/fused_program.h) on float32 registers, whatever the storage type, and writes the element once.
//
// The program, its constants, the input pointers and the broadcast strides travel by value in the launch parameters
// (FeParams, ~1.2 KB of the 4 KB allowed), marked __grid_constant__ so that the interpreter's data-dependent
// indexing reads the constant bank instead of copying the struct to local memory. Every thread runs the same
// instruction at the same time, so the dispatch never diverges.
//
// Paths, chosen on the host:
//   - every input has the output's shape: no index math; 16 bytes per thread (4 floats, 8 halves) with vector loads
//     and stores when every pointer is 16-byte aligned, else 4 elements when they are 4-element aligned, else 1;
//   - broadcasting: the output coordinate is unravelled once per element over dims with size-1 dims dropped and
//     mergeable neighbours merged (an [N,C,H,W] x [1,C,1,1] pair becomes rank 3 or less); each input's offset is the
//     dot product with its strides; 32-bit index math when the output has fewer than 2^31 elements; 16 bytes
//     (or 4 elements) of outputs per thread when every input is contiguous or constant along the innermost merged dim (bcast_vector_ok: a
//     squeeze-excite scale [N,1,1,C] over [N,H,W,C], a bias over channels-last data).
#include <math.h>
#include <string.h>

#include "../builtin/fused_program.h"
#include "util.cuh"

namespace dtops {

namespace {

struct FeParams {
  int32_t len;  // instructions
  int32_t rank; // of dims (broadcast path)
  int64_t n;    // output elements
  int32_t code[FUSED_MAX_PROGRAM];
  float consts[FUSED_MAX_CONSTANTS];
  const void* x[FUSED_MAX_INPUTS];
  int64_t dims[kMaxRank];
  int64_t str[FUSED_MAX_INPUTS][kMaxRank]; // element strides over dims, 0 on broadcast dims
};
static_assert(sizeof(FeParams) <= 4000, "FusedElementwise parameters must fit the 4 KB kernel parameter space");

template <typename T, int V>
struct alignas(sizeof(T) * V) Vec {
  T v[V];
};

// The formulas of act.cuh (so a fused chain computes what the separate layers did); fe_binary is also what the
// Add/Sub/Mul/Div/Pow/Max/Min layers on floats run (elementwise.cu's binary() sends them here).
__device__ __forceinline__ float fe_unary(int32_t op, float v, float a, float b) {
  switch (op) {
    case FE_RELU: return v > 0.f ? v : 0.f;
    case FE_SIGMOID: return 1.f / (1.f + expf(-v));
    case FE_TANH: return tanhf(v);
    case FE_SILU: return v / (1.f + expf(-v));
    case FE_HARDSWISH: return v * fminf(fmaxf(v * (1.f / 6.f) + 0.5f, 0.f), 1.f);
    case FE_HARDSIGMOID: return fminf(fmaxf(a * v + b, 0.f), 1.f);
    case FE_LEAKYRELU: return v >= 0.f ? v : a * v;
    case FE_CLIP: return fminf(fmaxf(v, a), b);
    case FE_EXP: return expf(v);
    case FE_LOG: return logf(v);
    case FE_SQRT: return sqrtf(v);
    case FE_ABS: return fabsf(v);
    case FE_NEG: return -v;
    case FE_RECIPROCAL: return 1.f / v;
    case FE_ERF: return erff(v);
    case FE_FLOOR: return floorf(v);
    case FE_CEIL: return ceilf(v);
    default: return v;  // fused_program_load admits no other unary opcode
  }
}

__device__ __forceinline__ float fe_binary(int32_t op, float x, float y) {
  switch (op) {
    case FE_ADD: return x + y;
    case FE_SUB: return x - y;
    case FE_MUL: return x * y;
    case FE_DIV: return x / y;
    case FE_POW: return powf(x, y);
    case FE_MAX: return fmaxf(x, y);
    case FE_MIN: return fminf(x, y);
    default: return x;
  }
}

// Runs the program for output elements [i0, i0 + V) (broadcast path: V == 1 and coord is the element's coordinate).
template <typename T, int V, bool kBcast, typename I>
__device__ __forceinline__ void fe_eval(const FeParams& p, I i0, const I (&coord)[kMaxRank], float (&top)[V]) {
  float below[FUSED_MAX_STACK - 1][V];  // the entries under the top; the top itself stays in registers
  int32_t sp = 0;
  for (int32_t pc = 0; pc < p.len; ++pc) {
    const int32_t w = p.code[pc];
    const int32_t op = w & 255, arg = w >> 8;
    if (op == FE_INPUT || op == FE_CONST) {
      if (pc > 0) {
#pragma unroll
        for (int v = 0; v < V; ++v) below[sp][v] = top[v];
        ++sp;
      }
      if (op == FE_CONST) {
#pragma unroll
        for (int v = 0; v < V; ++v) top[v] = p.consts[arg];
      } else {
        const T* x = static_cast<const T*>(p.x[arg]);
        if constexpr (kBcast) {
          I off = 0;
#pragma unroll
          for (int d = 0; d < kMaxRank; ++d)
            if (d < p.rank) off += coord[d] * (I)p.str[arg][d];
          if constexpr (V == 1) {
            top[0] = to_f(x[off]);
          } else if (p.str[arg][p.rank - 1] == 0) {  // constant along the innermost dim: one load for the vector
            const float v0 = to_f(x[off]);
#pragma unroll
            for (int v = 0; v < V; ++v) top[v] = v0;
          } else {  // contiguous along it, and the vector's start is V-aligned (bcast_vector_ok)
            const Vec<T, V> in = *reinterpret_cast<const Vec<T, V>*>(x + off);
#pragma unroll
            for (int v = 0; v < V; ++v) top[v] = to_f(in.v[v]);
          }
        } else if constexpr (V == 1) {
          top[0] = to_f(x[i0]);
        } else {
          const Vec<T, V> in = *reinterpret_cast<const Vec<T, V>*>(x + i0);
#pragma unroll
          for (int v = 0; v < V; ++v) top[v] = to_f(in.v[v]);
        }
      }
    } else if (op >= FE_ADD) {
      --sp;
#pragma unroll
      for (int v = 0; v < V; ++v) top[v] = fe_binary(op, below[sp][v], top[v]);
    } else {
      const int params = fused_unary_params(op);
      const float a = params > 0 ? p.consts[arg] : 0.f, b = params > 1 ? p.consts[arg + 1] : 0.f;
#pragma unroll
      for (int v = 0; v < V; ++v) top[v] = fe_unary(op, top[v], a, b);
    }
  }
}

template <typename T, int V, bool kBcast, typename I>
__global__ void fused_elementwise_kernel(const __grid_constant__ FeParams p, T* __restrict__ y) {
  const I n = (I)p.n, groups = n / V;
  I coord[kMaxRank] = {};
  for (I g = (I)blockIdx.x * blockDim.x + threadIdx.x; g < groups; g += (I)gridDim.x * blockDim.x) {
    const I i0 = g * V;
    if constexpr (kBcast) {
      I rem = i0;
#pragma unroll
      for (int d = kMaxRank - 1; d >= 0; --d) {
        if (d < p.rank) {
          const I dim = (I)p.dims[d];
          coord[d] = rem % dim;
          rem /= dim;
        }
      }
    }
    float top[V] = {};
    fe_eval<T, V, kBcast, I>(p, i0, coord, top);
    if constexpr (V == 1) {
      y[i0] = from_f<T>(top[0]);
    } else {
      Vec<T, V> out;
#pragma unroll
      for (int v = 0; v < V; ++v) out.v[v] = from_f<T>(top[v]);
      *reinterpret_cast<Vec<T, V>*>(y + i0) = out;
    }
  }
  if constexpr (V > 1 && !kBcast) {  // the last n % V elements, one per thread of the first block (the broadcast
                                     // vector path runs only when V divides n)
    const I i = groups * V + (I)blockIdx.x * blockDim.x + threadIdx.x;
    if (blockIdx.x == 0 && i < n) {
      float top[1] = {};
      fe_eval<T, 1, false, I>(p, i, coord, top);
      y[i] = from_f<T>(top[0]);
    }
  }
}

// Drops size-1 dims of the output and merges neighbours every input walks contiguously (or not at all).
void collapse(const View* views, int32_t nin, const Dims& yd, FeParams* p) {
  int32_t r = 0;
  for (int32_t d = 0; d < yd.rank; ++d) {
    if (yd.d[d] == 1) continue;
    bool merge = r > 0;
    for (int32_t k = 0; merge && k < nin; ++k) merge = p->str[k][r - 1] == views[k].strides[d] * yd.d[d];
    if (merge) {
      p->dims[r - 1] *= yd.d[d];
      for (int32_t k = 0; k < nin; ++k) p->str[k][r - 1] = views[k].strides[d];
    } else {
      p->dims[r] = yd.d[d];
      for (int32_t k = 0; k < nin; ++k) p->str[k][r] = views[k].strides[d];
      ++r;
    }
  }
  p->rank = r;
}

// Whether V consecutive outputs can be computed together on the broadcast path: V divides the innermost dim, and
// every input either walks it contiguously from V-aligned starts (every outer stride a multiple of V) or stays
// constant along it. Pointer alignment is checked by the caller.
bool bcast_vector_ok(const FeParams& p, int32_t nin, int64_t V) {
  if (p.rank < 1 || p.dims[p.rank - 1] % V != 0) return false;
  for (int32_t k = 0; k < nin; ++k) {
    if (p.str[k][p.rank - 1] != 0 && p.str[k][p.rank - 1] != 1) return false;
    for (int32_t d = 0; d < p.rank - 1; ++d)
      if (p.str[k][d] % V != 0) return false;
  }
  return true;
}

// Vector width by alignment: 16 bytes per thread (8 halves, 4 floats) where every pointer allows, else 4 elements.
template <typename T>
void launch(const FeParams& p, int32_t nin, bool bcast, bool aligned4, bool aligned16, void* y, cudaStream_t s) {
  constexpr int VW = 16 / sizeof(T);
  T* out = static_cast<T*>(y);
  if (!bcast && aligned16) fused_elementwise_kernel<T, VW, false, int64_t><<<grid_for(p.n / VW), 256, 0, s>>>(p, out);
  else if (!bcast && aligned4) fused_elementwise_kernel<T, 4, false, int64_t><<<grid_for(p.n / 4), 256, 0, s>>>(p, out);
  else if (!bcast) fused_elementwise_kernel<T, 1, false, int64_t><<<grid_for(p.n), 256, 0, s>>>(p, out);
  else if (p.n <= INT32_MAX && aligned16 && VW > 4 && bcast_vector_ok(p, nin, VW))
    fused_elementwise_kernel<T, VW, true, int32_t><<<grid_for(p.n / VW), 256, 0, s>>>(p, out);
  else if (p.n <= INT32_MAX && aligned4 && bcast_vector_ok(p, nin, 4))
    fused_elementwise_kernel<T, 4, true, int32_t><<<grid_for(p.n / 4), 256, 0, s>>>(p, out);
  else if (p.n <= INT32_MAX) fused_elementwise_kernel<T, 1, true, int32_t><<<grid_for(p.n), 256, 0, s>>>(p, out);
  else fused_elementwise_kernel<T, 1, true, int64_t><<<grid_for(p.n), 256, 0, s>>>(p, out);
}

}  // namespace

int32_t fused_elementwise(int32_t dtype, const fused_program& prog, const void* const* xs, const Dims* xds, void* y,
                          const Dims& yd, cudaStream_t s, denotrt_error* err) {
  static const char* api = "dtops::fused_elementwise";
  const int64_t n = numel(yd);
  if (n <= 0) return DENOTRT_OK;
  FeParams p;
  memset(&p, 0, sizeof p);
  p.len = prog.len;
  p.n = n;
  memcpy(p.code, prog.code, sizeof p.code);
  memcpy(p.consts, prog.constants, sizeof p.consts);
  View views[FUSED_MAX_INPUTS];
  bool bcast = false, aligned4 = true, aligned16 = true;
  const size_t align = 4 * dtype_size(dtype);
  for (int32_t k = 0; k < prog.num_inputs; ++k) {
    if (!broadcast_view(xds[k], yd, &views[k]))
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "input %d does not broadcast to the output", k);
    p.x[k] = xs[k];
    bcast |= numel(xds[k]) != n;
    aligned4 &= reinterpret_cast<uintptr_t>(xs[k]) % align == 0;
    aligned16 &= reinterpret_cast<uintptr_t>(xs[k]) % 16 == 0;
  }
  aligned4 &= reinterpret_cast<uintptr_t>(y) % align == 0;
  aligned16 &= reinterpret_cast<uintptr_t>(y) % 16 == 0;
  if (bcast) collapse(views, prog.num_inputs, yd, &p);
  DT_DISPATCH_FLOAT(dtype, T, api, err, launch<T>(p, prog.num_inputs, bcast, aligned4, aligned16, y, s));
  DT_LAUNCH_CHECK(err, "fused_elementwise_kernel");
  return DENOTRT_OK;
}

}  // namespace dtops
