// The CUDA executor's lifecycle: weights uploaded once per engine; per context one arena (the plan's memory
// planning), a private buffer (unplanned activations, host tensors staged for the GPU, per-layer scratch) and a
// workspace; shapes prepared once per change; enqueue captures the whole network into a CUDA graph per
// (input shapes, I/O addresses) and replays it.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "exec_cuda_internal.h"
#include "layout.h"

namespace dtexec {

int32_t layer_fail(const plan_layer* l, denotrt_error* err, int32_t status, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int32_t rc = plan_layer_vfail(l, err, status, "exec_cuda", fmt, ap);
  va_end(ap);
  return rc;
}

void* tensor_ptr(Context* c, int32_t t) {
  for (int32_t k = 0; k < c->n_ovr; ++k)
    if (c->ovr[k].t == t && c->ovr[k].ptr) return c->ovr[k].ptr;
  const plan_tensor* pt = &c->e->p->tensors[t];
  // A host-placed input (its values are shapes) is bound to host memory; GPU layers read the copy staged at
  // set_shapes.
  if ((pt->flags & PLAN_TENSOR_INPUT) && (pt->flags & PLAN_TENSOR_HOST) && c->priv_offset &&
      c->priv_offset[t] != kNoOffset)
    return c->priv + c->priv_offset[t];
  if (pt->flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_OUTPUT)) return (void*)(uintptr_t)c->io_address[t];
  if (c->e->const_offset[t] != kNoOffset) return c->e->weights + c->e->const_offset[t];
  if (c->priv_offset && c->priv_offset[t] != kNoOffset) return c->priv + c->priv_offset[t];
  if (pt->arena_bytes > 0) return c->arena + pt->arena_offset;
  return nullptr;
}

dtops::Dims tensor_dims(const Context* c, int32_t t) {
  for (int32_t k = 0; k < c->n_ovr; ++k)
    if (c->ovr[k].t == t) return c->ovr[k].dims;
  return dtops::make_dims(c->shapes->ranks[t], c->shapes->dims[t]);
}
int32_t tensor_dtype(const Context* c, int32_t t) { return c->e->p->tensors[t].dtype; }
int64_t tensor_count(const Context* c, int32_t t) { return c->shapes->counts[t]; }

bool host_f64(const Context* c, int32_t t, int64_t i, double* v) {
  const void* h = c->shapes->host_values ? c->shapes->host_values[t] : nullptr;
  if (!h || i >= c->shapes->counts[t]) return false;
  switch (cpu_dtype(c->e->p->tensors[t].dtype)) {
    case DENOTRT_FLOAT32: *v = ((const float*)h)[i]; return true;
    case DENOTRT_FLOAT64: *v = ((const double*)h)[i]; return true;
    case DENOTRT_INT32: *v = ((const int32_t*)h)[i]; return true;
    case DENOTRT_INT64: *v = (double)((const int64_t*)h)[i]; return true;
    case DENOTRT_INT8: *v = ((const int8_t*)h)[i]; return true;
    case DENOTRT_UINT8: case DENOTRT_BOOL: *v = ((const uint8_t*)h)[i]; return true;
    default: return false;
  }
}

bool host_i64(const Context* c, int32_t t, int64_t i, int64_t* v) {
  const void* h = c->shapes->host_values ? c->shapes->host_values[t] : nullptr;
  if (!h || i >= c->shapes->counts[t]) return false;
  switch (cpu_dtype(c->e->p->tensors[t].dtype)) {
    case DENOTRT_INT64: *v = ((const int64_t*)h)[i]; return true;
    case DENOTRT_INT32: *v = ((const int32_t*)h)[i]; return true;
    default: {
      double d;
      if (!host_f64(c, t, i, &d)) return false;
      *v = (int64_t)d;
      return true;
    }
  }
}

// ---------------------------------------------------------------- engine
static void engine_destroy(void* ee) {
  Engine* e = (Engine*)ee;
  if (!e) return;
  if (e->weights) cudaFree(e->weights);
  free(e->const_offset);
  free(e->krsc_offset);
  free(e->nhwc);
  free(e->device_layer);
  free((void*)e->chosen_kernel);
  tc_free(e->tactics);
  free(e);
}

static bool is_host_layer(const plan* p, const plan_layer* l) {
  int32_t outs = 0;
  for (int32_t k = 0; k < l->num_outputs; ++k) {
    if (l->outputs[k] < 0) continue;
    if (!(p->tensors[l->outputs[k]].flags & PLAN_TENSOR_HOST)) return false;
    ++outs;
  }
  return outs > 0;
}

static int32_t engine_create(plan* p, void** out, denotrt_error* err) {
  Engine* e = (Engine*)calloc(1, sizeof *e);
  if (!e) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  e->p = p;
  e->const_offset = (uint64_t*)malloc(sizeof(uint64_t) * (p->num_tensors ? p->num_tensors : 1));
  e->device_layer = (uint8_t*)calloc(p->num_layers ? p->num_layers : 1, 1);
  e->chosen_kernel = (const char**)calloc(p->num_layers ? p->num_layers : 1, sizeof(const char*));
  e->krsc_offset = (uint64_t*)malloc(sizeof(uint64_t) * (p->num_tensors ? p->num_tensors : 1));
  e->nhwc = (uint8_t*)calloc(p->num_layers ? p->num_layers : 1, 1);
  if (!e->const_offset || !e->device_layer || !e->chosen_kernel || !e->krsc_offset || !e->nhwc) {
    engine_destroy(e);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory");
  }
  for (int32_t k = 0; k < p->num_inputs; ++k)
    if (p->tensors[p->inputs[k]].flags & PLAN_TENSOR_HOST) e->host_inputs = 1;
  for (int32_t i = 0; i < p->num_layers; ++i) {
    const plan_layer* l = &p->layers[i];
    if (is_host_layer(p, l)) continue;
    if (!layer_supported(p, l)) {
      engine_destroy(e);
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "exec_cuda", "",
                          "the CUDA executor has no kernel for op %s (node %s)", l->op, l->name ? l->name : "?");
    }
    e->device_layer[i] = 1;
    e->nhwc[i] = (uint8_t)layout_layer_is_nhwc(l);
    if (!p->layers[i].kernel[0]) denotrt_copy_str(p->layers[i].kernel, PLAN_KERNEL_CHARS, "cuda");
  }
  // Constants: one allocation, one copy (weights never change after this).
  uint64_t total = 0;
  for (int32_t t = 0; t < p->num_tensors; ++t) {
    const plan_tensor* pt = &p->tensors[t];
    e->const_offset[t] = kNoOffset;
    if ((pt->flags & PLAN_TENSOR_CONSTANT) && pt->data && pt->data_bytes > 0) {
      e->const_offset[t] = total;
      total = align256(total + pt->data_bytes);
    }
  }
  int32_t trc = load_tactics(e, err);
  if (trc != DENOTRT_OK) {
    engine_destroy(e);
    return trc;
  }
  total = plan_krsc_weights(e, total);
  if (total > 0) {
    uint8_t* staging = (uint8_t*)calloc(total, 1);
    if (!staging) {
      engine_destroy(e);
      return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory staging %llu bytes of "
                          "weights", (unsigned long long)total);
    }
    for (int32_t t = 0; t < p->num_tensors; ++t)
      if (e->const_offset[t] != kNoOffset) memcpy(staging + e->const_offset[t], p->tensors[t].data, p->tensors[t].data_bytes);
    fill_krsc_weights(e, staging);
    cudaError_t ce = cudaMalloc((void**)&e->weights, total);
    if (ce == cudaSuccess) ce = cudaMemcpy(e->weights, staging, total, cudaMemcpyHostToDevice);
    free(staging);
    if (ce != cudaSuccess) {
      engine_destroy(e);
      return denotrt_cuda_fail(err, (int)ce, ce == cudaErrorMemoryAllocation ? "cudaMalloc(weights)" : "cudaMemcpy(weights)");
    }
  }
  *out = e;
  return DENOTRT_OK;
}

// ---------------------------------------------------------------- context
static void drop_graphs(Context* c) {
  for (int32_t i = 0; i < c->n_graphs; ++i) {
    cudaGraphExecDestroy(c->graphs[i].exec);
    free(c->graphs[i].key);
  }
  c->n_graphs = 0;
}

static void context_destroy(void* cc) {
  Context* c = (Context*)cc;
  if (!c) return;
  // Work queued earlier may still read these buffers; cudaFree waits for the device, as the API promises.
  drop_graphs(c);
  free_caches(c);
  if (c->arena) cudaFree(c->arena);
  if (c->priv) cudaFree(c->priv);
  if (c->workspace) cudaFree(c->workspace);
  free(c->priv_offset);
  free(c->io_address);
  free(c->prep);
  free(c);
}

static int32_t context_create(void* ee, void** out, denotrt_error* err) {
  Engine* e = (Engine*)ee;
  const plan* p = e->p;
  Context* c = (Context*)calloc(1, sizeof *c);
  if (!c) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  c->e = e;
  size_t nt = p->num_tensors ? p->num_tensors : 1, nl = p->num_layers ? p->num_layers : 1;
  c->priv_offset = (uint64_t*)malloc(sizeof(uint64_t) * nt);
  c->io_address = (uint64_t*)calloc(nt, sizeof(uint64_t));
  c->prep = (LayerPrep*)calloc(nl, sizeof(LayerPrep));
  if (!c->priv_offset || !c->io_address || !c->prep) {
    context_destroy(c);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory");
  }
  for (size_t t = 0; t < nt; ++t) c->priv_offset[t] = kNoOffset;
  if (p->arena_bytes > 0) {
    cudaError_t ce = cudaMalloc((void**)&c->arena, p->arena_bytes);
    if (ce != cudaSuccess) {
      context_destroy(c);
      return denotrt_cuda_fail(err, (int)ce, "cudaMalloc(arena)");
    }
  }
  const char* g = getenv("DENOTRT_CUDA_GRAPHS");
  c->use_graphs = !(g && strcmp(g, "0") == 0);
  *out = c;
  return DENOTRT_OK;
}

static int32_t set_address(void* cc, int32_t t, uint64_t address, denotrt_error* err) {
  Context* c = (Context*)cc;
  if (t < 0 || t >= c->e->p->num_tensors) return DENOTRT_BAD_ARG(err, "exec_cuda.set_address", "bad tensor %d", t);
  const plan_tensor* pt = &c->e->p->tensors[t];
  if ((pt->flags & PLAN_TENSOR_INPUT) && (pt->flags & PLAN_TENSOR_HOST) && address) {
    // Shape inference reads this input's values on the CPU: device memory here would be dereferenced on the host.
    cudaPointerAttributes a;
    if (cudaPointerGetAttributes(&a, (const void*)(uintptr_t)address) != cudaSuccess) {
      cudaGetLastError();  // not a pointer CUDA knows: ordinary host memory
    } else if (a.type == cudaMemoryTypeDevice) {
      return DENOTRT_BAD_ARG(err, "denotrt_context_set_tensor_address",
                             "input '%s' holds shape values that are read on the host: bind host memory (a pinned "
                             "HostBuffer) to it, not device memory", pt->name);
    }
  }
  c->io_address[t] = address;
  return DENOTRT_OK;
}

// Converts a host tensor (CPU element type) to its plan dtype for staging on the device.
static void to_plan_dtype(const void* src, int32_t cpu_t, int32_t plan_t, int64_t n, void* dst) {
  if (cpu_t == plan_t) { memcpy(dst, src, (size_t)n * dtops::dtype_size(plan_t)); return; }
  const float* f = (const float*)src;
  for (int64_t i = 0; i < n; ++i) {
    if (plan_t == DENOTRT_FLOAT16) ((__half*)dst)[i] = __float2half(f[i]);
    else if (plan_t == DENOTRT_BFLOAT16) ((__nv_bfloat16*)dst)[i] = __float2bfloat16(f[i]);
    else if (plan_t == DENOTRT_FLOAT64) ((double*)dst)[i] = f[i];
  }
}

// Called when the shapes changed: lays out the private buffer, stages host tensors that GPU layers read, and
// plans cuDNN / cuBLASLt for every layer. Waits for the device first: graphs replayed earlier may still read the
// staged values or the buffers being replaced.
static int32_t set_shapes(void* cc, const shape_state* s, denotrt_error* err) {
  Context* c = (Context*)cc;
  const plan* p = c->e->p;
  c->shapes = s;
  DENOTRT_CUDA_CHECK(err, cudaDeviceSynchronize());
  // 1. Layout: unplanned activations and host tensors read by GPU layers or returned as outputs.
  uint64_t off = 0;
  for (int32_t t = 0; t < p->num_tensors; ++t) {
    const plan_tensor* pt = &p->tensors[t];
    c->priv_offset[t] = kNoOffset;
    uint64_t bytes = (uint64_t)s->counts[t] * dtops::dtype_size(pt->dtype);
    if ((pt->flags & PLAN_TENSOR_HOST) && !(pt->flags & PLAN_TENSOR_CONSTANT)) {
      c->priv_offset[t] = off;  // staged: small by construction
      off = align256(off + (bytes ? bytes : 1));
    } else if (pt->flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_OUTPUT | PLAN_TENSOR_CONSTANT)) {
      continue;
    } else if (pt->arena_bytes == 0) {
      c->priv_offset[t] = off;
      off = align256(off + (bytes ? bytes : 1));
    } else if (bytes > pt->arena_bytes) {
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, "exec_cuda.set_shapes", "",
                          "tensor %s needs %llu bytes at these shapes but the plan reserved %llu (shapes beyond the "
                          "profile the plan was built for?)", pt->name, (unsigned long long)bytes,
                          (unsigned long long)pt->arena_bytes);
    }
  }
  // 2. Per-layer library plans and the workspace they need (before scratch: an NHWC layer without a native
  //    kernel needs scratch for its NCHW copies).
  size_t ws = 0;
  for (int32_t i = 0; i < p->num_layers; ++i) {
    if (!c->e->device_layer[i]) continue;
    int32_t rc = prepare_layer(c, i, &ws, err);
    if (rc != DENOTRT_OK) return rc;
  }
  // After every layer: a later layer may take an earlier one's work (the stem's input cast, exec_cuda_stem.cu).
  for (int32_t i = 0; i < p->num_layers; ++i)
    if (c->e->device_layer[i]) __atomic_store_n(&c->e->chosen_kernel[i], c->prep[i].kernel, __ATOMIC_RELAXED);
  c->scratch_offset = off;
  uint64_t scratch = 0;
  for (int32_t i = 0; i < p->num_layers; ++i)
    if (c->e->device_layer[i]) {
      uint64_t b = align256(layer_scratch_bytes(c, &p->layers[i])) + nhwc_scratch_bytes(c, i);
      if (b > scratch) scratch = b;
    }
  off = align256(off + scratch);
  if (off > c->priv_bytes) {
    drop_graphs(c);  // captured graphs hold the old address
    if (c->priv) cudaFree(c->priv);
    c->priv = nullptr;
    c->priv_bytes = 0;
    size_t want = off + off / 2;  // headroom so alternating shapes do not reallocate each time
    DENOTRT_CUDA_CHECK(err, cudaMalloc((void**)&c->priv, want));
    c->priv_bytes = want;
  }
  // 3. Stage host tensors (values depend only on the shapes, which key the graphs).
  for (int32_t t = 0; t < p->num_tensors; ++t) {
    const plan_tensor* pt = &p->tensors[t];
    if (c->priv_offset[t] == kNoOffset || !(pt->flags & PLAN_TENSOR_HOST) || !s->host_values[t] || !s->counts[t])
      continue;
    size_t bytes = (size_t)s->counts[t] * dtops::dtype_size(pt->dtype);
    void* tmp = malloc(bytes);
    if (!tmp) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory");
    to_plan_dtype(s->host_values[t], cpu_dtype(pt->dtype), pt->dtype, s->counts[t], tmp);
    cudaError_t ce = cudaMemcpy(c->priv + c->priv_offset[t], tmp, bytes, cudaMemcpyHostToDevice);
    free(tmp);
    if (ce != cudaSuccess) return denotrt_cuda_fail(err, (int)ce, "cudaMemcpy(host tensor)");
  }
  if (ws > c->workspace_bytes) {
    drop_graphs(c);
    if (c->workspace) cudaFree(c->workspace);
    c->workspace = nullptr;
    c->workspace_bytes = 0;
    DENOTRT_CUDA_CHECK(err, cudaMalloc(&c->workspace, ws));
    c->workspace_bytes = ws;
  }
  return DENOTRT_OK;
}

static int32_t run_all(Context* c, cudaStream_t s, denotrt_error* err) {
  const plan* p = c->e->p;
  for (int32_t i = 0; i < p->num_layers; ++i) {
    if (!c->e->device_layer[i]) continue;
    int32_t rc = run_layer(c, i, s, err);
    if (rc != DENOTRT_OK) return rc;
  }
  // Outputs that are host tensors (shape values) were staged; copy them out.
  for (int32_t k = 0; k < p->num_outputs; ++k) {
    int32_t t = p->outputs[k];
    if (!(p->tensors[t].flags & PLAN_TENSOR_HOST) || c->priv_offset[t] == kNoOffset) continue;
    size_t bytes = (size_t)c->shapes->counts[t] * dtops::dtype_size(p->tensors[t].dtype);
    if (bytes)
      DENOTRT_CUDA_CHECK(err, cudaMemcpyAsync((void*)(uintptr_t)c->io_address[t], c->priv + c->priv_offset[t], bytes,
                                              cudaMemcpyDeviceToDevice, s));
  }
  return DENOTRT_OK;
}

// Graph key: every input's dims and every I/O address (a graph bakes both into its kernel arguments).
static size_t make_key(Context* c, uint64_t* key) {
  const plan* p = c->e->p;
  size_t n = 0;
  for (int32_t k = 0; k < p->num_inputs; ++k) {
    int32_t t = p->inputs[k];
    key[n++] = (uint64_t)c->shapes->ranks[t];
    for (int32_t d = 0; d < c->shapes->ranks[t]; ++d) key[n++] = (uint64_t)c->shapes->dims[t][d];
  }
  for (int32_t k = 0; k < p->num_inputs; ++k) key[n++] = c->io_address[p->inputs[k]];
  for (int32_t k = 0; k < p->num_outputs; ++k) key[n++] = c->io_address[p->outputs[k]];
  return n;
}

static int32_t enqueue(void* cc, void* stream, denotrt_error* err) {
  Context* c = (Context*)cc;
  const plan* p = c->e->p;
  cudaStream_t s = (cudaStream_t)stream;
  if (!c->shapes) return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, "exec_cuda.enqueue", "", "shapes were never set");
  for (int32_t k = 0; k < p->num_inputs + p->num_outputs; ++k) {
    int32_t t = k < p->num_inputs ? p->inputs[k] : p->outputs[k - p->num_inputs];
    if (!c->io_address[t] && c->shapes->counts[t] > 0)
      return DENOTRT_BAD_ARG(err, "denotrt_context_enqueue", "no address set for tensor %s", p->tensors[t].name);
  }
  // The legacy default stream cannot be captured, and a stream the caller is already capturing records our
  // kernels into the caller's graph: both run the layers directly.
  // Plans with host-placed inputs also run directly: their values (Range's start, ...) are baked into kernel
  // arguments, and a graph keyed on shapes and addresses would replay stale ones.
  cudaStreamCaptureStatus cap = cudaStreamCaptureStatusNone;
  if (s) DENOTRT_CUDA_CHECK(err, cudaStreamIsCapturing(s, &cap));
  if (!c->use_graphs || !s || cap != cudaStreamCaptureStatusNone || c->e->host_inputs) return run_all(c, s, err);

  size_t max_key = 2 * (size_t)(p->num_inputs + p->num_outputs) + (size_t)p->num_inputs * DENOTRT_MAX_RANK + 1;
  uint64_t* key = (uint64_t*)malloc(max_key * sizeof(uint64_t));
  if (!key) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory");
  size_t n = make_key(c, key);
  for (int32_t i = 0; i < c->n_graphs; ++i) {
    GraphEntry* g = &c->graphs[i];
    if (g->key_len == n && memcmp(g->key, key, n * sizeof(uint64_t)) == 0) {
      free(key);
      g->last_use = ++c->use_clock;
      DENOTRT_CUDA_CHECK(err, cudaGraphLaunch(g->exec, s));
      return DENOTRT_OK;
    }
  }
  DENOTRT_CUDA_CHECK(err, cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal));
  int32_t rc = run_all(c, s, err);
  cudaGraph_t graph = nullptr;
  cudaError_t ce = cudaStreamEndCapture(s, &graph);
  if (rc != DENOTRT_OK || ce != cudaSuccess) {
    if (graph) cudaGraphDestroy(graph);
    free(key);
    cudaGetLastError();  // a failed capture leaves a sticky-free error behind; do not blame the next call
    return rc != DENOTRT_OK ? rc : denotrt_cuda_fail(err, (int)ce, "cudaStreamEndCapture");
  }
  cudaGraphExec_t exec = nullptr;
  ce = cudaGraphInstantiate(&exec, graph, 0);
  cudaGraphDestroy(graph);
  if (ce != cudaSuccess) {
    free(key);
    return denotrt_cuda_fail(err, (int)ce, "cudaGraphInstantiate");
  }
  GraphEntry* slot;
  if (c->n_graphs < (int32_t)(sizeof c->graphs / sizeof c->graphs[0])) {
    slot = &c->graphs[c->n_graphs++];
  } else {  // evict the least recently used
    slot = &c->graphs[0];
    for (int32_t i = 1; i < c->n_graphs; ++i)
      if (c->graphs[i].last_use < slot->last_use) slot = &c->graphs[i];
    cudaGraphExecDestroy(slot->exec);
    free(slot->key);
  }
  slot->key = key;
  slot->key_len = n;
  slot->exec = exec;
  slot->last_use = ++c->use_clock;
  DENOTRT_CUDA_CHECK(err, cudaGraphLaunch(exec, s));
  return DENOTRT_OK;
}

}  // namespace dtexec

namespace dtexec {
static const char* layer_kernel(void* ee, int32_t layer) {
  const Engine* e = (const Engine*)ee;
  return e && layer >= 0 && layer < e->p->num_layers ? __atomic_load_n(&e->chosen_kernel[layer], __ATOMIC_RELAXED) : nullptr;
}
}  // namespace dtexec

static const builtin_executor_ops kCudaOps = {
    "cuda",
    dtexec::engine_create,
    dtexec::engine_destroy,
    dtexec::context_create,
    dtexec::context_destroy,
    dtexec::set_shapes,
    dtexec::set_address,
    dtexec::enqueue,
    dtexec::layer_kernel,
    dtexec::profile,
    dtexec::attach_timing,
};

extern "C" const builtin_executor_ops* denotrt_exec_cuda_ops(void) { return &kCudaOps; }
