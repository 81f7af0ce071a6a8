// The ResNet stem, fused by the executor into one kernel (dtops::stem_conv_pool): a channels-last fp16 Conv 7x7/2
// pad 3 + bias + Relu on 1..4 channels into 64, whose only reader is the next layer, a MaxPool 3x3/2 pad 1. The
// plan keeps both layers (the CPU executor and other GPUs run them as they are); here the conv writes the pool's
// output and the pool runs nothing (done_by_previous). When the conv's input is the graph input's Cast + Transpose
// to NHWC just before it, made for it alone, the kernel reads the fp32 NCHW input itself and those two layers run
// nothing either (done_by_next): ResNet-50 then starts with one kernel instead of three. DENOTRT_NO_OWN_STEM=1
// leaves the stem to cuDNN and the pool kernel, for comparison.
#include <stdlib.h>
#include <string.h>

#include "exec_cuda_internal.h"

namespace dtexec {

static bool ints_are(const int64_t* v, int32_t n, int32_t want_n, int64_t want) {
  if (!v || n != want_n) return false;
  for (int32_t k = 0; k < n; ++k)
    if (v[k] != want) return false;
  return true;
}

// Layer j is a channels-last MaxPool 3x3/2 pad 1 (no dilation, floor rounding, no Indices) of tensor `x` alone.
static bool is_stem_pool(const Context* c, int32_t j, int32_t x) {
  const plan* p = c->e->p;
  if (j >= p->num_layers || !c->e->device_layer[j] || !c->e->nhwc[j]) return false;
  const plan_layer* l = &p->layers[j];
  if (!is(l, "MaxPool") || l->num_inputs != 1 || IN(0) != x || OUT(0) < 0 || (l->num_outputs > 1 && OUT(1) >= 0))
    return false;
  int32_t nk = 0, ns = 0, np = 0, nd = 0;
  const int64_t* k = plan_attr_ints(l, "kernel_shape", &nk);
  const int64_t* st = plan_attr_ints(l, "strides", &ns);
  const int64_t* pd = plan_attr_ints(l, "pads", &np);
  const int64_t* dl = plan_attr_ints(l, "dilations", &nd);
  return strcmp(plan_attr_string(l, "auto_pad", "NOTSET"), "NOTSET") == 0 && plan_attr_int(l, "ceil_mode", 0) == 0 &&
         ints_are(k, nk, 2, 3) && ints_are(st, ns, 2, 2) && ints_are(pd, np, 4, 1) && (!dl || ints_are(dl, nd, 2, 1));
}

// Layers i - 2 and i - 1 are the Cast (fp32 -> fp16) + Transpose to NHWC the executor fuses (cast_transpose), and
// their output is the conv's input alone: the graph's fp32 NCHW tensor they read, else -1.
static int32_t fusable_input_cast(const Context* c, int32_t i) {
  const plan* p = c->e->p;
  if (i < 2 || !c->e->device_layer[i - 2] || !c->prep[i - 2].cast_transpose || !c->prep[i - 1].done_by_previous)
    return -1;
  const plan_layer* cast = &p->layers[i - 2];
  const plan_layer* tr = &p->layers[i - 1];
  const int32_t x = p->layers[i].inputs[0];
  int32_t perm[4];
  const bool to_nhwc = layout_perm(c, tr, perm) && perm[1] == 2;
  if (!to_nhwc || tr->outputs[0] != x || !only_reader(p, x, i) || tensor_dtype(c, cast->inputs[0]) != DENOTRT_FLOAT32)
    return -1;
  return cast->inputs[0];
}

bool prepare_stem(Context* c, int32_t i) {
  const plan_layer* l = &c->e->p->layers[i];
  LayerPrep* pr = &c->prep[i];
  if (!c->e->nhwc[i] || getenv("DENOTRT_NO_OWN_STEM")) return false;
  if (IN(0) < 0 || OUT(0) < 0 || IN(1) < 0 || IN(2) < 0 || IN(3) >= 0 || c->e->krsc_offset[IN(1)] == kNoOffset)
    return false;
  if (tensor_dtype(c, IN(0)) != DENOTRT_FLOAT16 || tensor_dtype(c, OUT(0)) != DENOTRT_FLOAT16 ||
      tensor_dtype(c, IN(2)) != DENOTRT_FLOAT16 || tensor_count(c, IN(2)) != dtops::kStemChannels)
    return false;
  dtops::Act a;
  dtops::ConvDesc d;
  int64_t pe[2];
  denotrt_error ignored;  // a malformed conv is reported by the path that runs it otherwise
  if (conv_act(l, &a, &ignored) != DENOTRT_OK || a.op != dtops::U_RELU) return false;
  if (conv_geometry(c, l, false, &d, pe, &ignored) != DENOTRT_OK || !dtops::stem_conv_fits(d, pe)) return false;
  if (!only_reader(c->e->p, OUT(0), i + 1) || !is_stem_pool(c, i + 1, OUT(0))) return false;
  const int32_t y = c->e->p->layers[i + 1].outputs[0];
  const int64_t oh = dtops::stem_out_size(d.in[0]), ow = dtops::stem_out_size(d.in[1]);
  if (tensor_count(c, y) != d.n * dtops::kStemChannels * oh * ow) return false;
  pr->stem_pool = true;
  pr->kernel = dtops::stem_conv_pool_kernel(dtops::StemDesc{d.n, d.in[0], d.in[1], (int32_t)d.c});
  pr->stem_input = fusable_input_cast(c, i);
  if (pr->stem_input >= 0) {
    LayerPrep* cast = &c->prep[i - 2];
    cast->cast_transpose = false;
    cast->done_by_next = true;
    cast->kernel = "fused_into_next_layer";
    c->prep[i - 1].kernel = "fused_into_next_layer";
  }
  return true;
}

int32_t run_stem(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  const LayerPrep* pr = &c->prep[i];
  dtops::ConvDesc d;
  int64_t pe[2];
  RC(conv_geometry(c, l, false, &d, pe, err));
  const dtops::StemDesc sd{d.n, d.in[0], d.in[1], (int32_t)d.c};
  const bool raw = pr->stem_input >= 0;
  // The pool's output is the fused layer's result; the KRSC filter copy has the kernel's [64, 7, 7, C] layout.
  return dtops::stem_conv_pool(sd, raw ? dtops::STEM_NCHW_F32 : dtops::STEM_NHWC_F16,
                               PTR(raw ? pr->stem_input : IN(0)), c->e->weights + c->e->krsc_offset[IN(1)],
                               PTR(IN(2)), PTR(c->e->p->layers[i + 1].outputs[0]), s, err);
}

}  // namespace dtexec
