/* layout.h: the one NHWC rule every part of the runtime applies (docs/IR.md, "Layouts").
 *
 * A layer with the attribute layout = "NHWC" computes ONNX's NCHW semantics on activations stored NHWC: each of its
 * non-constant rank-4 inputs and each rank-4 output is physically [N, H, W, C]; attributes and the other inputs keep
 * their ONNX meaning. Shape inference and the CPU executor run such a layer on NCHW views of those tensors; the CUDA
 * executor runs native NHWC kernels where it has them and the same conversion elsewhere. */
#ifndef DENOTRT_BUILTIN_LAYOUT_H
#define DENOTRT_BUILTIN_LAYOUT_H

#include <string.h>

#include "plan.h"

#ifdef __cplusplus
extern "C" {
#endif

static inline int layout_layer_is_nhwc(const plan_layer* l) {
  return strcmp(plan_attr_string(l, "layout", "NCHW"), "NHWC") == 0;
}

/* Whether tensor t (of run-time rank `rank`) is stored NHWC when an NHWC layer reads or writes it. */
static inline int layout_is_laid_out(const plan* p, int32_t t, int32_t rank) {
  return t >= 0 && rank == 4 && !(p->tensors[t].flags & PLAN_TENSOR_CONSTANT);
}

/* Physical NHWC dims -> logical NCHW dims, and back. */
static inline void layout_dims_to_nchw(int64_t* d) {
  int64_t n = d[0], h = d[1], w = d[2], c = d[3];
  d[0] = n; d[1] = c; d[2] = h; d[3] = w;
}
static inline void layout_dims_to_nhwc(int64_t* d) {
  int64_t n = d[0], c = d[1], h = d[2], w = d[3];
  d[0] = n; d[1] = h; d[2] = w; d[3] = c;
}

#ifdef __cplusplus
}
#endif
#endif
