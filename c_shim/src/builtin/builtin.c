/* builtin.c: the built-in provider: denotrt_builtin_deserialize and the denotrt_engine_ops vtable.
 * It owns the parsed plan, the I/O descriptors, profiles, inspect() JSON and the per-context run-time shapes,
 * and drives an executor (CPU or CUDA) through executor.h. Handle counting is the dispatcher's job. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../provider.h"
#include "executor.h"

typedef struct builtin_engine {
  plan* p;
  int32_t device_kind;
  const builtin_executor_ops* ex;
  void* ex_engine;
} builtin_engine;

typedef struct builtin_context {
  builtin_engine* e;
  shape_state* shapes;
  void* ex_context;
  uint64_t applied_generation; /* shapes->generation last handed to the executor */
} builtin_context;

/* ------------------------------------------------------------------ engine */
static int32_t b_destroy(void* impl, denotrt_error* err) {
  builtin_engine* e = (builtin_engine*)impl;
  (void)err;
  if (!e) return DENOTRT_OK;
  if (e->ex && e->ex_engine) e->ex->engine_destroy(e->ex_engine);
  plan_free(e->p);
  free(e);
  return DENOTRT_OK;
}

static int32_t b_num_io(void* impl, int32_t* count, denotrt_error* err) {
  builtin_engine* e = (builtin_engine*)impl;
  (void)err;
  *count = e->p->num_inputs + e->p->num_outputs;
  return DENOTRT_OK;
}

static int32_t b_io_tensor(void* impl, int32_t index, denotrt_tensor_desc* d, denotrt_error* err) {
  builtin_engine* e = (builtin_engine*)impl;
  const plan* p = e->p;
  if (index < 0 || index >= p->num_inputs + p->num_outputs)
    return DENOTRT_BAD_ARG(err, "denotrt_engine_io_tensor", "index %d is outside 0..%d", index,
                           p->num_inputs + p->num_outputs - 1);
  int is_input = index < p->num_inputs;
  const plan_tensor* t = &p->tensors[is_input ? p->inputs[index] : p->outputs[index - p->num_inputs]];
  memset(d, 0, sizeof *d);
  denotrt_copy_str(d->name, sizeof d->name, t->name);
  d->dtype = t->dtype;
  d->is_input = is_input;
  d->rank = t->rank;
  for (int i = 0; i < t->rank; i++) d->dims[i] = t->dims[i];
  return DENOTRT_OK;
}

static int32_t b_num_profiles(void* impl, int32_t* count, denotrt_error* err) {
  (void)err;
  *count = ((builtin_engine*)impl)->p->num_profiles;
  return DENOTRT_OK;
}

static int32_t b_profile_shape(void* impl, int32_t profile, const char* name, int32_t which, int64_t* dims,
                               int32_t* rank, denotrt_error* err) {
  static const char* api = "denotrt_engine_profile_shape";
  const plan* p = ((builtin_engine*)impl)->p;
  if (profile < 0 || profile >= p->num_profiles)
    return DENOTRT_BAD_ARG(err, api, "profile %d does not exist (the engine has %d)", profile, p->num_profiles);
  int32_t pos = plan_input_position(p, name);
  if (pos < 0) return DENOTRT_BAD_ARG(err, api, "'%s' is not an input of this engine", name);
  const plan_range* r = plan_profile_range(p, profile, pos);
  const int64_t* src = which == 0 ? r->min : which == 1 ? r->opt : r->max;
  *rank = r->rank;
  for (int i = 0; i < r->rank; i++) dims[i] = src[i];
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ inspect: JSON into a growable buffer */
typedef struct sbuf { char* s; size_t len, cap; int oom; } sbuf;

static void sb_put(sbuf* b, const char* s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap * 2 : 4096;
    while (cap < b->len + n + 1) cap *= 2;
    char* m = (char*)realloc(b->s, cap);
    if (!m) {
      b->oom = 1;
      return;
    }
    b->s = m;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}
static void sb_printf(sbuf* b, const char* fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) sb_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}
static void sb_json_str(sbuf* b, const char* s) {
  sb_put(b, "\"", 1);
  for (; s && *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') {
      char esc[2] = {'\\', (char)ch};
      sb_put(b, esc, 2);
    } else if (ch < 0x20) sb_printf(b, "\\u%04x", ch);
    else sb_put(b, (const char*)&ch, 1);
  }
  sb_put(b, "\"", 1);
}
static void sb_tensor_list(sbuf* b, const plan* p, int32_t n, const int32_t* idx) {
  sb_put(b, "[", 1);
  for (int32_t i = 0; i < n; i++) {
    if (i) sb_put(b, ",", 1);
    sb_json_str(b, idx[i] >= 0 ? p->tensors[idx[i]].name : "");
  }
  sb_put(b, "]", 1);
}

static int32_t b_inspect(void* impl, char* json, uint64_t capacity, uint64_t* needed, denotrt_error* err) {
  builtin_engine* e = (builtin_engine*)impl;
  const plan* p = e->p;
  sbuf b = {0};
  sb_printf(&b, "{\"provider\":\"builtin\",\"executor\":\"%s\",\"format_version\":%u,\"plan_version\":", e->ex->name,
            p->format_version);
  sb_json_str(&b, p->denotrt_version);
  sb_put(&b, ",\"gpu\":", 7);
  sb_json_str(&b, p->gpu_name);
  sb_printf(&b, ",\"compute_capability\":[%d,%d],\"arena_bytes\":%llu,\"weights_bytes\":%llu,\"layers\":[", p->cc_major,
            p->cc_minor, (unsigned long long)p->arena_bytes, (unsigned long long)p->weights_bytes);
  for (int32_t i = 0; i < p->num_layers; i++) {
    const plan_layer* l = &p->layers[i];
    const plan_tensor* out = plan_layer_output(p, l, 0);
    int32_t prec = out ? out->dtype : DENOTRT_FLOAT32;
    /* the CPU computes every floating type in float32 */
    if (!strcmp(e->ex->name, "cpu")) prec = cpu_dtype(prec);
    /* float32 layers of a "tf32" plan may run on TF32 tensor cores on the GPU (docs/OPS.md) */
    const char* prec_name = plan_dtype_name(prec);
    if (prec == DENOTRT_FLOAT32 && strcmp(e->ex->name, "cuda") == 0 && !strcmp(plan_attr_string(l, "precision", ""), "tf32"))
      prec_name = "tf32";
    sb_put(&b, i ? ",{\"name\":" : "{\"name\":", i ? 9 : 8);
    sb_json_str(&b, l->name);
    sb_put(&b, ",\"op\":", 6);
    sb_json_str(&b, l->op);
    sb_put(&b, ",\"inputs\":", 10);
    sb_tensor_list(&b, p, l->num_inputs, l->inputs);
    sb_put(&b, ",\"outputs\":", 11);
    sb_tensor_list(&b, p, l->num_outputs, l->outputs);
    sb_put(&b, ",\"kernel\":", 10);
    const char* chosen = e->ex->layer_kernel ? e->ex->layer_kernel(e->ex_engine, i) : NULL;
    sb_json_str(&b, chosen ? chosen : l->kernel);
    sb_printf(&b, ",\"precision\":\"%s\",\"host\":%s}", prec_name, shapes_layer_is_host(p, l) ? "true" : "false");
  }
  /* I/O tensors with where their memory lives: "host" inputs hold shape values read on the CPU (bind host memory,
   * as TensorRT's shape-tensor inputs), everything else is device memory on CUDA engines. */
  sb_put(&b, "],\"io\":[", 8);
  for (int32_t k = 0; k < p->num_inputs + p->num_outputs; k++) {
    int is_input = k < p->num_inputs;
    const plan_tensor* t = &p->tensors[is_input ? p->inputs[k] : p->outputs[k - p->num_inputs]];
    sb_put(&b, k ? ",{\"name\":" : "{\"name\":", k ? 9 : 8);
    sb_json_str(&b, t->name);
    sb_printf(&b, ",\"mode\":\"%s\",\"dtype\":\"%s\",\"location\":\"%s\"}", is_input ? "input" : "output",
              plan_dtype_name(t->dtype), (is_input && (t->flags & PLAN_TENSOR_HOST)) ? "host" : "device");
  }
  sb_put(&b, "]}", 2);
  if (b.oom) {
    free(b.s);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "realloc", "", "out of host memory building the inspect JSON");
  }
  *needed = b.len + 1;
  if (json && capacity > 0) {
    size_t n = b.len < capacity - 1 ? b.len : (size_t)capacity - 1;
    memcpy(json, b.s, n);
    json[n] = '\0';
  }
  free(b.s);
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ contexts */
static int32_t b_context_destroy(void* impl, denotrt_error* err) {
  builtin_context* c = (builtin_context*)impl;
  (void)err;
  if (!c) return DENOTRT_OK;
  if (c->ex_context) c->e->ex->context_destroy(c->ex_context);
  shapes_destroy(c->shapes);
  free(c);
  return DENOTRT_OK;
}

static int32_t b_context_create(void* impl, void** out, denotrt_error* err) {
  builtin_engine* e = (builtin_engine*)impl;
  builtin_context* c = (builtin_context*)calloc(1, sizeof *c);
  if (!c) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  c->e = e;
  int32_t rc = shapes_create(e->p, &c->shapes, err);
  if (rc == DENOTRT_OK) rc = e->ex->context_create(e->ex_engine, &c->ex_context, err);
  if (rc != DENOTRT_OK) {
    b_context_destroy(c, NULL);
    return rc;
  }
  *out = c;
  return DENOTRT_OK;
}

static int32_t b_set_profile(void* impl, int32_t profile, denotrt_error* err) {
  return shapes_set_profile(((builtin_context*)impl)->shapes, profile, err);
}

static int32_t b_set_input_shape(void* impl, const char* name, int32_t rank, const int64_t* dims, denotrt_error* err) {
  return shapes_set_input(((builtin_context*)impl)->shapes, name, rank, dims, err);
}

static int32_t b_tensor_shape(void* impl, const char* name, int64_t* dims, int32_t* rank, denotrt_error* err) {
  builtin_context* c = (builtin_context*)impl;
  const plan* p = c->e->p;
  int32_t t = plan_find_tensor(p, name);
  if (t < 0) return DENOTRT_BAD_ARG(err, "denotrt_context_tensor_shape", "'%s' is not a tensor of this engine", name);
  int32_t pos = plan_input_position(p, name);
  if (pos >= 0 && !c->shapes->input_set[pos]) { /* not set yet: the declared shape, -1 where dynamic */
    *rank = p->tensors[t].rank;
    for (int i = 0; i < *rank; i++) dims[i] = p->tensors[t].dims[i];
    return DENOTRT_OK;
  }
  if (pos < 0) {
    shapes_invalidate_values(c->shapes);
    int32_t rc = shapes_infer(c->shapes, err);
    if (rc) return rc;
  }
  *rank = c->shapes->ranks[t];
  for (int i = 0; i < *rank; i++) dims[i] = c->shapes->dims[t][i];
  return DENOTRT_OK;
}

static int32_t b_set_address(void* impl, const char* name, uint64_t address, denotrt_error* err) {
  builtin_context* c = (builtin_context*)impl;
  const plan* p = c->e->p;
  int32_t t = plan_find_tensor(p, name);
  if (t < 0 || !(p->tensors[t].flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_OUTPUT)))
    return DENOTRT_BAD_ARG(err, "denotrt_context_set_tensor_address", "'%s' is not an input or output of this engine", name);
  /* The executor checks the address first (on CUDA a host-placed input must not be device memory). */
  int32_t rc = c->e->ex->set_address(c->ex_context, t, address, err);
  if (rc) return rc;
  /* CPU addresses are host memory, so inference may read input values there (shape inputs); on CUDA only inputs
   * the plan places on the host are host memory. */
  if ((p->tensors[t].flags & PLAN_TENSOR_INPUT) &&
      (c->e->device_kind == DENOTRT_DEVICE_CPU || (p->tensors[t].flags & PLAN_TENSOR_HOST)))
    shapes_set_input_values(c->shapes, t, (const void*)(uintptr_t)address);
  return DENOTRT_OK;
}

/* Shapes inferred and applied to the executor: what every run needs first. */
static int32_t apply_shapes(builtin_context* c, denotrt_error* err) {
  shapes_invalidate_values(c->shapes); /* shape-input values may have changed since the last run */
  int32_t rc = shapes_infer(c->shapes, err);
  if (rc) return rc;
  if (c->applied_generation != c->shapes->generation) {
    rc = c->e->ex->set_shapes(c->ex_context, c->shapes, err);
    if (rc) return rc;
    c->applied_generation = c->shapes->generation;
  }
  return DENOTRT_OK;
}

static int32_t b_enqueue(void* impl, void* stream, denotrt_error* err) {
  builtin_context* c = (builtin_context*)impl;
  int32_t rc = apply_shapes(c, err);
  return rc ? rc : c->e->ex->enqueue(c->ex_context, stream, err);
}

static int32_t b_profile(void* impl, void* stream, int32_t runs, float* layer_ms, int32_t capacity, int32_t* count,
                         denotrt_error* err) {
  builtin_context* c = (builtin_context*)impl;
  int32_t n = c->e->p->num_layers;
  *count = n;
  if (capacity < n) return DENOTRT_OK; /* the caller asked for the count */
  if (!c->e->ex->profile)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "denotrt_context_profile", "",
                        "the %s executor cannot time its layers (profile a CUDA engine)", c->e->ex->name);
  int32_t rc = apply_shapes(c, err);
  return rc ? rc : c->e->ex->profile(c->ex_context, stream, runs, layer_ms, err);
}

static const denotrt_engine_ops kBuiltinOps = {
    "builtin",        DENOTRT_PROVIDER_BUILTIN, b_destroy,         b_num_io,           b_io_tensor,   b_num_profiles,
    b_profile_shape,  b_inspect,                b_context_create,  b_context_destroy,  b_set_profile, b_set_input_shape,
    b_tensor_shape,   b_set_address,            b_enqueue,         b_profile};

int32_t denotrt_builtin_deserialize(const void* bytes, uint64_t size, int32_t device_kind, const denotrt_engine_ops** ops,
                                    void** engine, denotrt_error* err) {
  static const char* api = "denotrt_engine_deserialize";
  const builtin_executor_ops* ex = NULL;
  if (device_kind == DENOTRT_DEVICE_CPU) ex = denotrt_exec_cpu_ops();
  else if (denotrt_exec_cuda_ops) ex = denotrt_exec_cuda_ops();
  if (!ex) return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "CUDA executor not built into this library");
  builtin_engine* e = (builtin_engine*)calloc(1, sizeof *e);
  if (!e) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  e->device_kind = device_kind;
  e->ex = ex;
  int32_t rc = plan_parse(bytes, size, &e->p, err);
  if (rc == DENOTRT_OK && e->p->num_profiles < 1 && e->p->num_inputs > 0)
    rc = denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "", "invalid plan: it has inputs but no optimization profile");
  if (rc == DENOTRT_OK) {
    shapes_mark_host_tensors(e->p);
    rc = ex->engine_create(e->p, &e->ex_engine, err);
  }
  if (rc != DENOTRT_OK) {
    b_destroy(e, NULL);
    return rc;
  }
  *ops = &kBuiltinOps;
  *engine = e;
  return DENOTRT_OK;
}

/* ------------------------------------------------------------------ build-time kernel timing */
/* One context per optimization profile, its inputs set to the profile's opt shapes: applying those shapes makes the
 * CUDA executor choose every layer's kernel (from the caches attached, or by timing), and record the choices. */
static int32_t time_profile(builtin_engine* e, int32_t profile, denotrt_error* err) {
  const plan* p = e->p;
  builtin_context* c = NULL;
  int32_t rc = b_context_create(e, (void**)&c, err);
  if (rc) return rc;
  if (p->num_profiles > 0) rc = shapes_set_profile(c->shapes, profile, err);
  for (int32_t k = 0; k < p->num_inputs && rc == DENOTRT_OK; k++) {
    const plan_range* r = plan_profile_range(p, profile, k);
    if (r) rc = shapes_set_input(c->shapes, p->tensors[p->inputs[k]].name, r->rank, r->opt, err);
  }
  if (rc == DENOTRT_OK) rc = apply_shapes(c, err);
  b_context_destroy(c, NULL);
  return rc;
}

int32_t denotrt_builtin_time_plan(const void* bytes, uint64_t size, denotrt_timing_cache* cache, int32_t ignore_mismatch,
                                  denotrt_timing_cache* chosen, char* kernels, uint64_t capacity, uint64_t* needed,
                                  denotrt_error* err) {
  static const char* api = "denotrt_builtin_time_plan";
  if (!bytes || !size) return DENOTRT_BAD_ARG(err, api, "the plan is empty");
  if (cache && !denotrt_tag_ok(cache, DENOTRT_HANDLE_TIMING_CACHE)) return DENOTRT_BAD_ARG(err, api, "cache is not a live timing cache");
  if (chosen && !denotrt_tag_ok(chosen, DENOTRT_HANDLE_TIMING_CACHE)) return DENOTRT_BAD_ARG(err, api, "chosen is not a live timing cache");
  const denotrt_engine_ops* ops;
  builtin_engine* e = NULL;
  int32_t rc = denotrt_builtin_deserialize(bytes, size, DENOTRT_DEVICE_CUDA, &ops, (void**)&e, err);
  if (rc) return rc;
  const plan* p = e->p;
  if (!e->ex->attach_timing) rc = denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "the %s executor times nothing", e->ex->name);
  if (rc == DENOTRT_OK) rc = e->ex->attach_timing(e->ex_engine, cache, chosen, ignore_mismatch, err);
  int32_t host_inputs = 0;
  for (int32_t k = 0; k < p->num_inputs; k++) host_inputs |= (p->tensors[p->inputs[k]].flags & PLAN_TENSOR_HOST) != 0;
  if (rc == DENOTRT_OK && host_inputs)
    /* Shapes there depend on input values the builder does not have: contexts choose at run time instead. */
    denotrt_log_write(DENOTRT_SEVERITY_INFO, "the plan reads shape values from an input: its kernels are timed when a "
                                             "context first runs, not at build time");
  /* Profile 0 last, so the kernels reported are profile 0's. */
  for (int32_t prof = (p->num_profiles > 0 ? p->num_profiles : 1) - 1; prof >= 0 && rc == DENOTRT_OK && !host_inputs; prof--)
    rc = time_profile(e, prof, err);
  if (rc == DENOTRT_OK) {
    sbuf b = {0};
    for (int32_t i = 0; i < p->num_layers; i++) {
      const char* k = e->ex->layer_kernel ? e->ex->layer_kernel(e->ex_engine, i) : NULL;
      if (!k || !*k) continue;
      sb_put(&b, p->layers[i].name, strlen(p->layers[i].name));
      sb_put(&b, "\t", 1);
      sb_put(&b, k, strlen(k));
      sb_put(&b, "\n", 1);
    }
    if (b.oom) rc = denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "realloc", "", "out of host memory");
    else {
      if (needed) *needed = b.len + 1;
      if (kernels && capacity > 0) denotrt_copy_str(kernels, capacity, b.s ? b.s : "");
    }
    free(b.s);
  }
  b_destroy(e, NULL);
  return rc;
}
