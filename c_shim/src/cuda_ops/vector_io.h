// Vector loads and stores of a few elements of any float storage type as fp32 registers, shared by the own conv
// kernels (depthwise.cu, conv_transpose.cu): one 2- to 16-byte memory instruction per vector.
#ifndef DENOTRT_CUDA_OPS_VECTOR_IO_H
#define DENOTRT_CUDA_OPS_VECTOR_IO_H
#include "util.cuh"

namespace dtops {

// Raw storage of V elements of T, for one vector load or store of V * sizeof(T) bytes.
template <int B> struct Raw;
template <> struct Raw<16> { typedef uint4 type; };
template <> struct Raw<8> { typedef uint2 type; };
template <> struct Raw<4> { typedef unsigned int type; };
template <> struct Raw<2> { typedef unsigned short type; };

// The V elements of T held in r, as floats.
template <typename T, int V, typename R>
__device__ __forceinline__ void unpack(const R& r, float* f) {
  const T* t = reinterpret_cast<const T*>(&r);
#pragma unroll
  for (int i = 0; i < V; ++i) f[i] = to_f(t[i]);
}

// V elements of T at p (aligned to V * sizeof(T)) through the read-only path: for tensors the kernel never writes.
template <typename T, int V>
__device__ __forceinline__ void load_vec(const T* p, float* f) {
  typedef typename Raw<V * sizeof(T)>::type R;
  R r = __ldg(reinterpret_cast<const R*>(p));
  unpack<T, V>(r, f);
}

template <typename T, int V>
__device__ __forceinline__ void store_vec(T* p, const float* f) {
  typedef typename Raw<V * sizeof(T)>::type R;
  R r;
  T* t = reinterpret_cast<T*>(&r);
#pragma unroll
  for (int i = 0; i < V; ++i) t[i] = from_f<T>(f[i]);
  *reinterpret_cast<R*>(p) = r;
}

// V consecutive fp32 from shared memory in as few instructions as the alignment (V * 4 bytes) allows.
template <int V>
__device__ __forceinline__ void lds_vec(const float* p, float* f) {
  if (V % 4 == 0) {
#pragma unroll
    for (int i = 0; i < V; i += 4) {
      float4 t = *reinterpret_cast<const float4*>(p + i);
      f[i] = t.x, f[i + 1] = t.y, f[i + 2] = t.z, f[i + 3] = t.w;
    }
  } else if (V == 2) {
    float2 t = *reinterpret_cast<const float2*>(p);
    f[0] = t.x, f[1] = t.y;
  } else {
#pragma unroll
    for (int i = 0; i < V; ++i) f[i] = p[i];
  }
}

}  // namespace dtops
#endif
