/* exec_cpu.c: the CPU reference executor behind builtin_executor_ops (executor.h).
 *
 * Memory: every context owns a 64-byte aligned activation arena laid out by the builder's memory plan
 * (tensor arena_offset/arena_bytes, sized at the max profile). The plan's sizes are in the declared dtypes; the
 * CPU computes float16/bfloat16 activations as float32, so when such activations exist every offset and the arena
 * are scaled by 2 (a uniform scale keeps the plan's non-overlap). A tensor the plan did not place, or whose
 * run-time size exceeds its slot, gets a per-context heap buffer instead. I/O tensors live in the caller's
 * memory; I/O tensors of a non-float32 floating type are staged through float32 buffers. */
#include <stdlib.h>
#include <string.h>

#include "cpu_ops/cpu_ops.h"
#include "executor.h"
#include "layout.h"

#define API "denotrt_context_enqueue"

typedef struct cpu_engine {
  plan* p;
  cpu_kernel* kernels; /* per layer */
  uint8_t* nhwc;       /* per layer: 1 for NHWC layers (layout.h) */
  void** const_data;   /* per tensor: constants in the CPU element type */
  uint8_t* const_owned;
  uint64_t scale; /* arena scale: 2 when float16/bfloat16 activations are computed as float32 */
} cpu_engine;

typedef struct cpu_context {
  cpu_engine* e;
  const shape_state* shapes;
  cpu_tensor* views;
  uint8_t* arena;
  void** heap; /* per tensor fallback buffers */
  uint64_t* heap_caps;
  void** user; /* per tensor caller addresses (I/O) */
  void* nchw[8]; /* NCHW copies of an NHWC layer's laid-out tensors (run_nhwc) */
  uint64_t nchw_caps[8];
} cpu_context;

static int needs_staging(int32_t dtype) { return cpu_dtype(dtype) != dtype; }

static void engine_destroy(void* impl) {
  cpu_engine* e = (cpu_engine*)impl;
  if (!e) return;
  if (e->const_data)
    for (int32_t i = 0; i < e->p->num_tensors; i++)
      if (e->const_owned[i]) free(e->const_data[i]);
  free(e->const_data);
  free(e->const_owned);
  free(e->kernels);
  free(e->nhwc);
  free(e);
}

static int32_t engine_create(plan* p, void** out, denotrt_error* err) {
  static const char* api = "denotrt_engine_deserialize";
  *out = NULL;
  cpu_engine* e = (cpu_engine*)calloc(1, sizeof *e);
  if (!e) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  e->p = p;
  e->scale = 1;
  e->kernels = (cpu_kernel*)calloc((size_t)p->num_layers + 1, sizeof *e->kernels);
  e->const_data = (void**)calloc((size_t)p->num_tensors + 1, sizeof(void*));
  e->const_owned = (uint8_t*)calloc((size_t)p->num_tensors + 1, 1);
  e->nhwc = (uint8_t*)calloc((size_t)p->num_layers + 1, 1);
  if (!e->kernels || !e->const_data || !e->const_owned || !e->nhwc) {
    engine_destroy(e);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  for (int32_t i = 0; i < p->num_layers; i++) {
    plan_layer* l = &p->layers[i];
    e->kernels[i] = cpu_kernel_lookup(l->op);
    e->nhwc[i] = (uint8_t)layout_layer_is_nhwc(l);
    if (!e->kernels[i]) {
      engine_destroy(e);
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                          "op '%s' (layer '%s') is not supported by the CPU executor", l->op, l->name);
    }
    if (!strcmp(l->op, "Conv") || !strcmp(l->op, "ConvTranspose")) {
      cpu_activation act;
      if (!cpu_activation_parse(l, &act)) {
        engine_destroy(e);
        return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "layer '%s' (%s) fuses unknown activation '%s'",
                            l->name, l->op, plan_attr_string(l, "activation", ""));
      }
    }
    if (!l->kernel[0]) {
      const char* k = "cpu_reference";
      if (!strcmp(l->op, "Conv")) {
        const plan_tensor* w = plan_layer_input(p, l, 1);
        int64_t group = plan_attr_int(l, "group", 1);
        k = (w && w->rank >= 2 && w->dims[1] == 1 && group == w->dims[0] && group > 1) ? "cpu_depthwise_direct"
                                                                                      : "cpu_im2col_sgemm";
      } else if (!strcmp(l->op, "ConvTranspose")) k = "cpu_sgemm_col2im";
      else if (!strcmp(l->op, "MatMul") || !strcmp(l->op, "Gemm")) k = "cpu_sgemm";
      denotrt_copy_str(l->kernel, sizeof l->kernel, k);
    }
  }
  for (int32_t i = 0; i < p->num_tensors; i++) {
    const plan_tensor* t = &p->tensors[i];
    if (t->flags & PLAN_TENSOR_CONSTANT) {
      int64_t n = 1;
      for (int d = 0; d < t->rank; d++) n *= t->dims[d];
      void* conv = NULL;
      int32_t rc = cpu_convert_constant(t->data, t->dtype, n, &conv, err);
      if (rc) {
        engine_destroy(e);
        return rc;
      }
      e->const_data[i] = conv ? conv : (void*)t->data;
      e->const_owned[i] = conv != NULL;
    } else if (t->arena_bytes && needs_staging(t->dtype) && plan_dtype_bytes(t->dtype) < 4) {
      e->scale = 2;
    }
  }
  *out = e;
  return DENOTRT_OK;
}

static void context_destroy(void* impl) {
  cpu_context* c = (cpu_context*)impl;
  if (!c) return;
  if (c->heap)
    for (int32_t i = 0; i < c->e->p->num_tensors; i++) free(c->heap[i]);
  free(c->heap);
  free(c->heap_caps);
  for (int i = 0; i < 8; i++) free(c->nchw[i]);
  free(c->user);
  free(c->views);
  free(c->arena);
  free(c);
}

static int32_t context_create(void* eimpl, void** out, denotrt_error* err) {
  cpu_engine* e = (cpu_engine*)eimpl;
  *out = NULL;
  cpu_context* c = (cpu_context*)calloc(1, sizeof *c);
  if (!c) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  c->e = e;
  size_t n = (size_t)e->p->num_tensors + 1;
  c->views = (cpu_tensor*)calloc(n, sizeof *c->views);
  c->heap = (void**)calloc(n, sizeof(void*));
  c->heap_caps = (uint64_t*)calloc(n, sizeof(uint64_t));
  c->user = (void**)calloc(n, sizeof(void*));
  uint64_t arena = e->p->arena_bytes * e->scale;
  if (arena) c->arena = (uint8_t*)aligned_alloc(64, (arena + 63) / 64 * 64);
  if (!c->views || !c->heap || !c->heap_caps || !c->user || (arena && !c->arena)) {
    context_destroy(c);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "aligned_alloc", "",
                        "out of host memory for a %llu-byte activation arena", (unsigned long long)arena);
  }
  *out = c;
  return DENOTRT_OK;
}

static int32_t set_shapes(void* impl, const shape_state* s, denotrt_error* err) {
  cpu_context* c = (cpu_context*)impl;
  c->shapes = s;
  const plan* p = c->e->p;
  /* Views and placement for everything but the caller's I/O memory, which enqueue resolves. */
  for (int32_t t = 0; t < p->num_tensors; t++) {
    const plan_tensor* pt = &p->tensors[t];
    cpu_tensor* v = &c->views[t];
    v->dtype = cpu_dtype(pt->dtype);
    v->rank = s->ranks[t] < 0 ? 0 : s->ranks[t];
    memcpy(v->dims, s->dims[t], sizeof v->dims);
    v->count = s->ranks[t] < 0 ? 0 : s->counts[t];
    v->data = NULL;
    uint64_t bytes = (uint64_t)v->count * plan_dtype_bytes(v->dtype);
    int io = (pt->flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_OUTPUT)) != 0;
    if (pt->flags & PLAN_TENSOR_CONSTANT) v->data = c->e->const_data[t];
    else if (pt->flags & PLAN_TENSOR_HOST) v->data = s->host_values[t];
    else if (!io && pt->arena_bytes && bytes <= pt->arena_bytes * c->e->scale)
      v->data = c->arena + pt->arena_offset * c->e->scale;
    /* I/O tensors use the caller's memory (resolved in enqueue) unless they need float32 staging */
    int want_heap = !v->data && !(pt->flags & (PLAN_TENSOR_CONSTANT | PLAN_TENSOR_HOST)) && (!io || needs_staging(pt->dtype));
    if (want_heap) {
      if (bytes > c->heap_caps[t] || !c->heap[t]) {
        free(c->heap[t]);
        c->heap[t] = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
        c->heap_caps[t] = c->heap[t] ? bytes : 0;
        if (!c->heap[t])
          return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "aligned_alloc", "",
                              "out of host memory for tensor '%s' (%llu bytes)", pt->name, (unsigned long long)bytes);
      }
      v->data = c->heap[t];
    }
  }
  return DENOTRT_OK;
}

static int32_t set_address(void* impl, int32_t tensor, uint64_t address, denotrt_error* err) {
  cpu_context* c = (cpu_context*)impl;
  (void)err;
  c->user[tensor] = (void*)(uintptr_t)address;
  return DENOTRT_OK;
}

/* dst[n][c][h][w] = src[n][h][w][c] (to_nchw) or the reverse, for elements of `size` bytes. */
static void transpose_layout(const uint8_t* src, uint8_t* dst, const int64_t* nchw, size_t size, int to_nchw) {
  int64_t N = nchw[0], C = nchw[1], HW = nchw[2] * nchw[3];
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t i = 0; i < HW; i++) {
        size_t a = (size_t)((n * C + c) * HW + i), b = (size_t)((n * HW + i) * C + c);
        memcpy(dst + (to_nchw ? a : b) * size, src + (to_nchw ? b : a) * size, size);
      }
}

/* Runs an NHWC layer (layout.h) through its NCHW kernel: laid-out inputs are copied to NCHW, the kernel writes NCHW
 * copies of its rank-4 outputs, which are then stored back NHWC. Views are restored before returning. */
static int32_t run_nhwc(cpu_context* c, cpu_kernel k, cpu_call* call, denotrt_error* err) {
  const plan_layer* l = call->layer;
  const plan* p = c->e->p;
  struct { int32_t t; void* data; int64_t dims[DENOTRT_MAX_RANK]; int out; } moved[8];
  int n = 0;
  int32_t rc = DENOTRT_OK;
  for (int pass = 0; pass < 2 && rc == DENOTRT_OK; pass++) {
    int32_t count = pass ? l->num_outputs : l->num_inputs;
    const int32_t* list = pass ? l->outputs : l->inputs;
    for (int32_t i = 0; i < count; i++) {
      int32_t t = list[i];
      if (t < 0 || !layout_is_laid_out(p, t, c->views[t].rank)) continue;
      int dup = 0;
      for (int k2 = 0; k2 < n; k2++) dup |= moved[k2].t == t;
      if (dup) continue;
      if (n == 8) { rc = cpu_fail(call, err, DENOTRT_UNSUPPORTED, "more than 8 NHWC tensors in one layer"); break; }
      cpu_tensor* v = &c->views[t];
      uint64_t bytes = (uint64_t)v->count * plan_dtype_bytes(v->dtype);
      if (bytes > c->nchw_caps[n] || !c->nchw[n]) {
        free(c->nchw[n]);
        c->nchw[n] = malloc(bytes ? bytes : 1);
        c->nchw_caps[n] = c->nchw[n] ? bytes : 0;
        if (!c->nchw[n]) { rc = denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory"); break; }
      }
      moved[n].t = t;
      moved[n].data = v->data;
      moved[n].out = pass;
      memcpy(moved[n].dims, v->dims, sizeof v->dims);
      layout_dims_to_nchw(v->dims);
      if (!pass) transpose_layout((const uint8_t*)v->data, (uint8_t*)c->nchw[n], v->dims, plan_dtype_bytes(v->dtype), 1);
      v->data = c->nchw[n];
      n++;
    }
  }
  if (rc == DENOTRT_OK) rc = k(call, err);
  for (int i = 0; i < n; i++) {
    cpu_tensor* v = &c->views[moved[i].t];
    if (rc == DENOTRT_OK && moved[i].out)
      transpose_layout((const uint8_t*)v->data, (uint8_t*)moved[i].data, v->dims, plan_dtype_bytes(v->dtype), 0);
    v->data = moved[i].data;
    memcpy(v->dims, moved[i].dims, sizeof v->dims);
  }
  return rc;
}

static int32_t enqueue(void* impl, void* stream, denotrt_error* err) {
  cpu_context* c = (cpu_context*)impl;
  const plan* p = c->e->p;
  (void)stream;
  if (!c->shapes) return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, API, "", "shapes were not applied before enqueue");
  /* Resolve the caller's memory; stage inputs that are not float32. */
  for (int pass = 0; pass < 2; pass++) {
    int32_t n = pass ? p->num_outputs : p->num_inputs;
    const int32_t* list = pass ? p->outputs : p->inputs;
    for (int32_t i = 0; i < n; i++) {
      int32_t t = list[i];
      const plan_tensor* pt = &p->tensors[t];
      cpu_tensor* v = &c->views[t];
      if (!c->user[t] && v->count > 0)
        return DENOTRT_BAD_ARG(err, API, "the address of %s '%s' has not been set", pass ? "output" : "input", pt->name);
      if (pt->flags & PLAN_TENSOR_HOST) continue;
      if (needs_staging(pt->dtype)) {
        v->data = c->heap[t];
        if (!pass) cpu_to_f32(c->user[t], pt->dtype, v->count, (float*)v->data);
      } else if (!pass || !(pt->flags & PLAN_TENSOR_INPUT)) {
        v->data = c->user[t];
      }
    }
  }
  cpu_call call = {p, NULL, c->views};
  for (int32_t i = 0; i < p->num_layers; i++) {
    const plan_layer* l = &p->layers[i];
    if (shapes_layer_is_host(p, l)) continue; /* already computed by shape inference */
    int empty = 0;
    for (int32_t k = 0; k < l->num_outputs; k++)
      if (l->outputs[k] >= 0 && c->views[l->outputs[k]].count == 0) empty = 1;
    if (empty) continue;
    call.layer = l;
    int32_t rc = c->e->nhwc[i] ? run_nhwc(c, c->e->kernels[i], &call, err) : c->e->kernels[i](&call, err);
    if (rc) return rc;
  }
  /* Outputs: unstage, copy host-computed values, copy outputs that are also inputs. */
  for (int32_t i = 0; i < p->num_outputs; i++) {
    int32_t t = p->outputs[i];
    const plan_tensor* pt = &p->tensors[t];
    cpu_tensor* v = &c->views[t];
    if (needs_staging(pt->dtype)) cpu_from_f32((const float*)v->data, pt->dtype, v->count, c->user[t]);
    else if (v->data != c->user[t] && v->count)
      memmove(c->user[t], v->data, (size_t)v->count * plan_dtype_bytes(v->dtype));
  }
  return DENOTRT_OK;
}

static const builtin_executor_ops kCpuOps = {
    "cpu", engine_create, engine_destroy, context_create, context_destroy, set_shapes, set_address, enqueue, NULL,
    NULL, NULL};

const builtin_executor_ops* denotrt_exec_cpu_ops(void) { return &kCpuOps; }
