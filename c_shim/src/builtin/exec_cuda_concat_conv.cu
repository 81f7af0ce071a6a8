// A 1x1 conv over a channel Concat made for it alone runs as one GEMM that reads the Concat's two inputs itself
// (dtops::pointwise_conv with x2), and the Concat, the layer just before it, runs nothing (done_by_next). The builder
// makes this shape out of ResNet's downsample block (merge_added_convs.ts: conv3 + the shortcut's 1x1 conv + Add as
// one conv over [conv2's output | the block's input]); at b128 layer1 then reads 2 x 51 MB and writes 205 MB once,
// where the shortcut conv wrote 205 MB that conv3 read back as its residual. The plan keeps both layers (the CPU
// executor and other paths run them as they are).
#include "exec_cuda_internal.h"

namespace dtexec {

// Whether tensors a and b may share bytes: both in the planned arena with overlapping ranges, or either in the
// context's private memory (unplanned; not worth reasoning about). Bound inputs and outputs are the caller's.
static bool may_overlap(const Context* c, int32_t a, int32_t b) {
  const plan_tensor* ta = &c->e->p->tensors[a];
  const plan_tensor* tb = &c->e->p->tensors[b];
  const uint32_t io = PLAN_TENSOR_INPUT | PLAN_TENSOR_OUTPUT;
  if ((ta->flags & io) || (tb->flags & io)) return false;
  if (c->priv_offset && (c->priv_offset[a] != kNoOffset || c->priv_offset[b] != kNoOffset)) return true;
  if (ta->arena_bytes == 0 || tb->arena_bytes == 0) return true;
  return ta->arena_offset < tb->arena_offset + tb->arena_bytes && tb->arena_offset < ta->arena_offset + ta->arena_bytes;
}

bool prepare_concat_pointwise(Context* c, int32_t i) {
  const plan* p = c->e->p;
  const plan_layer* l = &p->layers[i];
  if (i < 1 || !c->e->device_layer[i - 1] || IN(0) < 0 || OUT(0) < 0) return false;
  const plan_layer* cat = &p->layers[i - 1];
  if (!is(cat, "Concat") || cat->num_inputs != 2 || cat->num_outputs != 1 || cat->outputs[0] != IN(0) ||
      !only_reader(p, IN(0), i))
    return false;
  const int32_t a = cat->inputs[0], b = cat->inputs[1];
  if (a < 0 || b < 0 || a == b || tensor_dtype(c, a) != DENOTRT_FLOAT16 || tensor_dtype(c, b) != DENOTRT_FLOAT16)
    return false;
  // The Concat's tensors are stored as they are (an NHWC region's are physical [N, H, W, C]; no override applies
  // to them): joined along the last axis, the conv's channels.
  const dtops::Dims da = tensor_dims(c, a), db = tensor_dims(c, b);
  int64_t axis = plan_attr_int(cat, "axis", 0);
  if (axis < 0) axis += da.rank;
  if (da.rank != 4 || db.rank != 4 || axis != 3 || da.d[3] % 8 || db.d[3] % 8) return false;
  for (int k = 0; k < 3; ++k)
    if (da.d[k] != db.d[k]) return false;
  dtops::ConvDesc d;
  if (!pointwise_candidate(c, i, &d) || d.c != da.d[3] + db.d[3]) return false;
  // The kernel reads a and b while it writes the output: plans keep them alive through the conv (plan_memory.ts),
  // so their bytes differ from the output's; a plan that did not is run as it is.
  if (may_overlap(c, OUT(0), a) || may_overlap(c, OUT(0), b)) return false;
  LayerPrep* pr = &c->prep[i];
  pr->own_pointwise = true;
  pr->concat_in[0] = a;
  pr->concat_in[1] = b;
  pr->concat_c2 = db.d[3];
  pr->kernel = "dtops_pointwise_conv_concat";
  c->prep[i - 1].done_by_next = true;
  c->prep[i - 1].kernel = "fused_into_next_layer";
  return true;
}

}  // namespace dtexec
