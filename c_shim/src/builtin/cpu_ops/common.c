/* common.c: helpers every CPU kernel uses: failure messages, generic element access, conv/pool geometry. */
#include <stdarg.h>
#include <stdio.h>

#include "cpu_ops.h"

int32_t cpu_fail(const cpu_call* c, denotrt_error* err, int32_t status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int32_t rc = plan_layer_vfail(c->layer, err, status, "denotrt_context_enqueue", fmt, ap);
  va_end(ap);
  return rc;
}

double cpu_get_f64(const cpu_tensor* t, int64_t i) {
  switch (t->dtype) {
    case DENOTRT_FLOAT32: return ((const float*)t->data)[i];
    case DENOTRT_INT64: return (double)((const int64_t*)t->data)[i];
    case DENOTRT_INT32: return ((const int32_t*)t->data)[i];
    case DENOTRT_INT8: return ((const int8_t*)t->data)[i];
    case DENOTRT_UINT8: case DENOTRT_BOOL: return ((const uint8_t*)t->data)[i];
    default: return 0;
  }
}

int64_t cpu_get_i64(const cpu_tensor* t, int64_t i) {
  switch (t->dtype) {
    case DENOTRT_FLOAT32: {
      float f = ((const float*)t->data)[i];
      /* saturate: ONNX graphs use huge float sentinels in shape arithmetic */
      if (f >= 9.2e18f) return INT64_MAX;
      if (f <= -9.2e18f) return INT64_MIN;
      return (int64_t)f;
    }
    case DENOTRT_INT64: return ((const int64_t*)t->data)[i];
    case DENOTRT_INT32: return ((const int32_t*)t->data)[i];
    case DENOTRT_INT8: return ((const int8_t*)t->data)[i];
    case DENOTRT_UINT8: case DENOTRT_BOOL: return ((const uint8_t*)t->data)[i];
    default: return 0;
  }
}

void cpu_set_f64(cpu_tensor* t, int64_t i, double v) {
  switch (t->dtype) {
    case DENOTRT_FLOAT32: ((float*)t->data)[i] = (float)v; break;
    case DENOTRT_INT64: ((int64_t*)t->data)[i] = (int64_t)v; break;
    case DENOTRT_INT32: ((int32_t*)t->data)[i] = (int32_t)v; break;
    case DENOTRT_INT8: ((int8_t*)t->data)[i] = (int8_t)v; break;
    case DENOTRT_UINT8: ((uint8_t*)t->data)[i] = (uint8_t)v; break;
    case DENOTRT_BOOL: ((uint8_t*)t->data)[i] = v != 0; break;
    default: break;
  }
}

void cpu_strides(int32_t rank, const int64_t* dims, int64_t* strides) {
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= dims[d];
  }
}

int cpu_window_setup(const plan_layer* l, int32_t nsp, const int64_t* in, const int64_t* kernel, int ceil_ok,
                     cpu_window* w, const char** msg) {
  if (nsp < 1 || nsp > 6) return *msg = "only 1 to 6 spatial dimensions are supported", 0;
  int32_t nk = 0, ns = 0, nd = 0, np = 0;
  const int64_t* ks = plan_attr_ints(l, "kernel_shape", &nk);
  const int64_t* st = plan_attr_ints(l, "strides", &ns);
  const int64_t* dl = plan_attr_ints(l, "dilations", &nd);
  const int64_t* pd = plan_attr_ints(l, "pads", &np);
  const char* auto_pad = plan_attr_string(l, "auto_pad", "NOTSET");
  int ceil_mode = ceil_ok && plan_attr_int(l, "ceil_mode", 0);
  if ((ks && nk != nsp) || (st && ns != nsp) || (dl && nd != nsp) || (pd && np != 2 * nsp))
    return *msg = "kernel_shape, strides, dilations or pads do not match the spatial rank", 0;
  if (!ks && !kernel) return *msg = "missing kernel_shape", 0;
  w->nsp = nsp;
  for (int d = 0; d < nsp; d++) {
    w->in[d] = in[d];
    w->k[d] = ks ? ks[d] : kernel[d];
    w->stride[d] = st ? st[d] : 1;
    w->dil[d] = dl ? dl[d] : 1;
    w->pad_begin[d] = pd ? pd[d] : 0;
    w->pad_end[d] = pd ? pd[nsp + d] : 0;
    if (w->k[d] < 1 || w->stride[d] < 1 || w->dil[d] < 1 || w->pad_begin[d] < 0 || w->pad_end[d] < 0)
      return *msg = "kernel, stride and dilation must be positive and pads non-negative", 0;
    int64_t ek = (w->k[d] - 1) * w->dil[d] + 1;
    if (strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0) {
      int64_t out = (in[d] + w->stride[d] - 1) / w->stride[d];
      int64_t total = (out - 1) * w->stride[d] + ek - in[d];
      if (total < 0) total = 0;
      int upper = strcmp(auto_pad, "SAME_UPPER") == 0;
      w->pad_begin[d] = upper ? total / 2 : total - total / 2;
      w->pad_end[d] = total - w->pad_begin[d];
    } else if (strcmp(auto_pad, "VALID") == 0) {
      w->pad_begin[d] = w->pad_end[d] = 0;
    }
    int64_t span = in[d] + w->pad_begin[d] + w->pad_end[d] - ek;
    if (span < 0) return *msg = "the kernel is larger than the padded input", 0;
    int64_t out = (ceil_mode ? (span + w->stride[d] - 1) / w->stride[d] : span / w->stride[d]) + 1;
    /* ONNX/PyTorch: the last window must start inside the input or the left padding */
    if (ceil_mode && (out - 1) * w->stride[d] >= in[d] + w->pad_begin[d]) out--;
    w->out[d] = out;
  }
  return 1;
}
