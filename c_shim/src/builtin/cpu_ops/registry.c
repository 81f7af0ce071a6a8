/* registry.c: op type -> CPU kernel, asking each op family's file in turn. */
#include "cpu_ops.h"

cpu_kernel cpu_unary_lookup(const char* op);
cpu_kernel cpu_binary_lookup(const char* op);
cpu_kernel cpu_conv_lookup(const char* op);
cpu_kernel cpu_matmul_lookup(const char* op);
cpu_kernel cpu_norm_lookup(const char* op);
cpu_kernel cpu_pooling_lookup(const char* op);
cpu_kernel cpu_reduce_lookup(const char* op);
cpu_kernel cpu_layout_lookup(const char* op);
cpu_kernel cpu_resize_lookup(const char* op);
cpu_kernel cpu_fused_elementwise_lookup(const char* op);

cpu_kernel cpu_kernel_lookup(const char* op) {
  static cpu_kernel (*const families[])(const char*) = {
      cpu_conv_lookup, cpu_unary_lookup, cpu_binary_lookup, cpu_matmul_lookup, cpu_norm_lookup,
      cpu_pooling_lookup, cpu_reduce_lookup, cpu_layout_lookup, cpu_resize_lookup, cpu_fused_elementwise_lookup};
  for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
    cpu_kernel k = families[i](op);
    if (k) return k;
  }
  return NULL;
}
