// NHWC layers on the CUDA executor (layout.h): the native path (cuDNN convolutions on NHWC data with KRSC filters,
// own NHWC kernels) sees logical NCHW dims with physical pointers; every other NHWC layer runs its NCHW launcher on
// NCHW copies in scratch (correct for any op, at the cost of two transposes).
#include <string.h>

#include "exec_cuda_internal.h"
#include "layout.h"

namespace dtexec {

// The laid-out tensors of layer i, inputs first, each once; returns how many (at most 8) and how many are inputs.
static int32_t laid_out(const Context* c, int32_t i, int32_t* ts, int32_t* n_inputs) {
  const plan* p = c->e->p;
  const plan_layer* l = &p->layers[i];
  int32_t n = 0;
  for (int32_t pass = 0; pass < 2; ++pass) {
    int32_t count = pass ? l->num_outputs : l->num_inputs;
    const int32_t* list = pass ? l->outputs : l->inputs;
    for (int32_t k = 0; k < count && n < 8; ++k) {
      int32_t t = list[k];
      if (t < 0 || !layout_is_laid_out(p, t, c->shapes->ranks[t])) continue;
      bool dup = false;
      for (int32_t j = 0; j < n; ++j) dup |= ts[j] == t;
      if (!dup) ts[n++] = t;
    }
    if (!pass) *n_inputs = n;
  }
  return n;
}

static dtops::Dims logical_dims(const Context* c, int32_t t) {
  int64_t d[DENOTRT_MAX_RANK];
  memcpy(d, c->shapes->dims[t], sizeof d);
  layout_dims_to_nchw(d);
  return dtops::make_dims(4, d);
}

void begin_logical_dims(Context* c, int32_t i) {
  int32_t ts[8], n_in;
  int32_t n = laid_out(c, i, ts, &n_in);
  c->n_ovr = 0;
  for (int32_t k = 0; k < n; ++k) c->ovr[c->n_ovr++] = TensorOverride{ts[k], nullptr, logical_dims(c, ts[k])};
}

void end_overrides(Context* c) { c->n_ovr = 0; }

bool has_native_nhwc(Context* c, int32_t i) {
  const plan_layer* l = &c->e->p->layers[i];
  if (is(l, "Conv"))
    return c->prep[i].conv != nullptr || c->prep[i].gconv != nullptr || c->prep[i].own_depthwise ||
           c->prep[i].stem_pool || c->prep[i].own_pointwise || c->prep[i].splitk;
  // dtops::conv_transpose_nhwc reads channels-last 2-D data (a rank-3 tensor is never laid out: layout.h).
  if (is(l, "ConvTranspose")) return l->num_inputs > 0 && l->inputs[0] >= 0 && tensor_dims(c, l->inputs[0]).rank == 4;
  // run_pool reads NHWC itself (PoolDesc.channels_last); run_resize resizes the NHWC data as it lies.
  return is(l, "MaxPool") || is(l, "AveragePool") || is(l, "GlobalAveragePool") || is(l, "GlobalMaxPool") ||
         is(l, "Resize");
}

uint64_t nhwc_scratch_bytes(const Context* c, int32_t i) {
  if (!c->e->nhwc[i] || c->prep[i].native_nhwc) return 0;
  int32_t ts[8], n_in;
  int32_t n = laid_out(c, i, ts, &n_in);
  uint64_t total = 0;
  for (int32_t k = 0; k < n; ++k)
    total += align256((uint64_t)c->shapes->counts[ts[k]] * dtops::dtype_size(c->e->p->tensors[ts[k]].dtype));
  return total;
}

int32_t run_nhwc(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  if (c->prep[i].native_nhwc) {
    begin_logical_dims(c, i);
    int32_t rc = run_layer_logical(c, i, s, err);
    end_overrides(c);
    return rc;
  }
  // Generic: NCHW copies after the layer's own scratch (layer_scratch_bytes), as sized by set_shapes.
  int32_t ts[8], n_in;
  int32_t n = laid_out(c, i, ts, &n_in);
  uint8_t* scratch = c->priv + c->scratch_offset + align256(layer_scratch_bytes(c, l));
  void* physical[8];
  static const int32_t kToNchw[4] = {0, 3, 1, 2}, kToNhwc[4] = {0, 2, 3, 1};
  uint64_t off = 0;
  int32_t rc = DENOTRT_OK;
  for (int32_t k = 0; k < n; ++k) {
    int32_t t = ts[k];
    size_t elem = dtops::dtype_size(c->e->p->tensors[t].dtype);
    physical[k] = tensor_ptr(c, t);
    void* copy = scratch + off;
    off += align256((uint64_t)c->shapes->counts[t] * elem);
    if (k < n_in && rc == DENOTRT_OK)
      rc = dtops::transpose(elem, physical[k], tensor_dims(c, t), kToNchw, copy, s, err);
    c->ovr[k] = TensorOverride{t, copy, logical_dims(c, t)};
  }
  c->n_ovr = n;
  if (rc == DENOTRT_OK) rc = run_layer_logical(c, i, s, err);
  for (int32_t k = n_in; k < n && rc == DENOTRT_OK; ++k) {
    TensorOverride o = c->ovr[k];
    rc = dtops::transpose(dtops::dtype_size(c->e->p->tensors[o.t].dtype), o.ptr, o.dims, kToNhwc, physical[k], s, err);
  }
  end_overrides(c);
  return rc;
}

// ---------------------------------------------------------------- Cast + layout Transpose, fused

bool layout_perm(const Context* c, const plan_layer* t, int32_t* perm) {
  int32_t np = 0;
  const int64_t* p = plan_attr_ints(t, "perm", &np);
  if (!p || np != 4 || tensor_dims(c, t->inputs[0]).rank != 4) return false;
  for (int32_t d = 0; d < 4; ++d) perm[d] = (int32_t)p[d];
  bool to_nhwc = perm[0] == 0 && perm[1] == 2 && perm[2] == 3 && perm[3] == 1;
  bool to_nchw = perm[0] == 0 && perm[1] == 3 && perm[2] == 1 && perm[3] == 2;
  return to_nhwc || to_nchw;
}

bool only_reader(const plan* p, int32_t t, int32_t reader) {
  for (int32_t k = 0; k < p->num_outputs; ++k)
    if (p->outputs[k] == t) return false;
  for (int32_t j = 0; j < p->num_layers; ++j)
    for (int32_t k = 0; j != reader && k < p->layers[j].num_inputs; ++k)
      if (p->layers[j].inputs[k] == t) return false;
  return true;
}

bool fuses_cast_transpose(const Context* c, int32_t i) {
  const plan* p = c->e->p;
  const plan_layer* l = &p->layers[i];
  if (!is(l, "Cast") || c->e->nhwc[i] || i + 1 >= p->num_layers || !c->e->device_layer[i + 1]) return false;
  const plan_layer* t = &p->layers[i + 1];
  if (!is(t, "Transpose") || c->e->nhwc[i + 1] || l->num_inputs < 1 || l->num_outputs != 1 || t->num_inputs < 1 ||
      t->num_outputs != 1 || l->inputs[0] < 0 || t->outputs[0] < 0 || t->inputs[0] != l->outputs[0])
    return false;
  // The Cast's output is skipped: nothing else may read it.
  const int32_t mid = l->outputs[0];
  if (!only_reader(p, mid, i + 1)) return false;
  int32_t perm[4];
  if (!layout_perm(c, t, perm)) return false;
  int32_t from = tensor_dtype(c, l->inputs[0]), to = tensor_dtype(c, mid);
  return (from == DENOTRT_FLOAT32 && (to == DENOTRT_FLOAT16 || to == DENOTRT_BFLOAT16)) ||
         (from == DENOTRT_FLOAT16 && to == DENOTRT_FLOAT32);
}

int32_t run_cast_transpose(Context* c, int32_t i, cudaStream_t s, denotrt_error* err) {
  const plan_layer* l = &c->e->p->layers[i];
  const plan_layer* t = &c->e->p->layers[i + 1];
  int32_t perm[4], rc = DENOTRT_OK;
  if (!layout_perm(c, t, perm) ||
      !dtops::transpose_layout_cast(tensor_dtype(c, IN(0)), PTR(IN(0)), tensor_dims(c, IN(0)), perm,
                                    tensor_dtype(c, OUT(0)), tensor_ptr(c, t->outputs[0]), s, &rc, err))
    return layer_fail(l, err, DENOTRT_INTERNAL_ERROR, "the fused Cast + Transpose no longer applies");
  return rc;
}

// ---------------------------------------------------------------- KRSC filters for NHWC convs

static int32_t nhwc_conv_filter(const Engine* e, int32_t i) {
  const plan* p = e->p;
  const plan_layer* l = &p->layers[i];
  if (!e->nhwc[i] || !is(l, "Conv") || l->num_inputs < 2) return -1;
  int32_t w = l->inputs[1];
  if (w < 0 || !(p->tensors[w].flags & PLAN_TENSOR_CONSTANT) || p->tensors[w].rank != 4 || !p->tensors[w].data)
    return -1;
  return w;
}

uint64_t plan_krsc_weights(Engine* e, uint64_t total) {
  const plan* p = e->p;
  for (int32_t t = 0; t < p->num_tensors; ++t) e->krsc_offset[t] = kNoOffset;
  for (int32_t i = 0; i < p->num_layers; ++i) {
    int32_t w = nhwc_conv_filter(e, i);
    if (w < 0 || e->krsc_offset[w] != kNoOffset) continue;
    e->krsc_offset[w] = total;
    total = align256(total + p->tensors[w].data_bytes);
  }
  return total;
}

void fill_krsc_weights(const Engine* e, uint8_t* staging) {
  const plan* p = e->p;
  for (int32_t t = 0; t < p->num_tensors; ++t) {
    if (e->krsc_offset[t] == kNoOffset) continue;
    const plan_tensor* pt = &p->tensors[t];
    size_t elem = dtops::dtype_size(pt->dtype);
    int64_t K = pt->dims[0], C = pt->dims[1], RS = pt->dims[2] * pt->dims[3];
    uint8_t* dst = staging + e->krsc_offset[t];
    for (int64_t k = 0; k < K; ++k)
      for (int64_t ch = 0; ch < C; ++ch)
        for (int64_t rs = 0; rs < RS; ++rs)
          memcpy(dst + ((k * RS + rs) * C + ch) * elem, pt->data + ((k * C + ch) * RS + rs) * elem, elem);
  }
}

}  // namespace dtexec
