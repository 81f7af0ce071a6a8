// The tensor-core primitives the own implicit-GEMM kernels share (stem_conv_pool.cu, pointwise_conv.cu): fp16
// mma.sync m16n8k16 with fp32 accumulators, its fragments loaded from shared memory with ldmatrix.
#ifndef DENOTRT_CUDA_OPS_MMA_CUH
#define DENOTRT_CUDA_OPS_MMA_CUH
#include <stdint.h>

namespace dtops {

__device__ __forceinline__ uint32_t smem_addr(const void* p) { return (uint32_t)__cvta_generic_to_shared(p); }

// Four 8x8 b16 matrices; lane l gives the row address of matrix l / 8, row l % 8 (16-byte aligned).
__device__ __forceinline__ void ldsm_x4(uint32_t (&r)[4], uint32_t addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(addr));
}

// c += a (16x16, row-major fragments) * b (16x8, column-major: b0 = k 0-7, b1 = k 8-15).
__device__ __forceinline__ void mma_16816(float (&c)[4], const uint32_t (&a)[4], uint32_t b0, uint32_t b1) {
  asm("mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

}  // namespace dtops
#endif
