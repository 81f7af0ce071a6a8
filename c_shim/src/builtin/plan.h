/* plan.h: the parsed, validated form of a built-in plan ("DNRTPLAN", docs/PLAN_FORMAT.md).
 *
 * plan_parse() copies everything it keeps out of the caller's bytes (the caller's buffer is a JavaScript
 * ArrayBuffer that may be freed right after deserialize), checks every read against the buffer's end, and checks
 * every cross-reference (tensor indices, weight ranges, arena ranges) so that the executors can index without
 * re-checking. A parsed plan is immutable after plan_parse() except for plan_layer.kernel, which an executor may
 * fill while it creates its engine (before any context exists).
 *
 * Both executors (CPU: exec_cpu.c, CUDA: the exec_cuda files) read these structures directly. */
#ifndef DENOTRT_BUILTIN_PLAN_H
#define DENOTRT_BUILTIN_PLAN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define PLAN_MAGIC "DNRTPLAN"
#define PLAN_FORMAT_VERSION 2u /* 2 added the tactics section; version 1 plans still parse */
#define PLAN_HEADER_BYTES 128u
#define PLAN_WEIGHTS_ALIGN 64u
#define PLAN_KERNEL_CHARS 64

/* Target device kind recorded in the header (informational: a CPU engine may run any plan). */
#define PLAN_DEVICE_CUDA 0
#define PLAN_DEVICE_CPU 1
#define PLAN_DEVICE_ANY 2

/* plan_tensor.flags */
#define PLAN_TENSOR_INPUT 1u
#define PLAN_TENSOR_OUTPUT 2u
#define PLAN_TENSOR_CONSTANT 4u
#define PLAN_TENSOR_HOST 8u /* a small shape tensor computed on the CPU at run time (shapes.c) */

typedef struct plan_tensor {
  char* name;
  int32_t dtype; /* denotrt_dtype */
  int32_t rank;
  int64_t dims[DENOTRT_MAX_RANK]; /* -1 where symbolic */
  char* sym[DENOTRT_MAX_RANK];    /* symbolic dimension names; NULL where the dim is concrete or unnamed */
  uint32_t flags;                 /* PLAN_TENSOR_* */
  uint64_t arena_offset;          /* activation tensors: where in the arena (valid when arena_bytes > 0) */
  uint64_t arena_bytes;           /* bytes reserved at the max profile; 0 = not planned (executor allocates) */
  const uint8_t* data;            /* constants: into plan.weights (64-byte aligned copy); NULL otherwise */
  uint64_t data_bytes;
  int32_t producer;               /* index of the layer writing it, -1 for inputs and constants */
  int32_t reserved;
} plan_tensor;

typedef enum plan_attr_type {
  PLAN_ATTR_INT = 0,
  PLAN_ATTR_INTS = 1,
  PLAN_ATTR_FLOAT = 2,
  PLAN_ATTR_FLOATS = 3,
  PLAN_ATTR_STRING = 4,
  PLAN_ATTR_STRINGS = 5
} plan_attr_type;

typedef struct plan_attr {
  char* name;
  int32_t type;  /* plan_attr_type */
  int32_t count; /* element count for ints/floats/strings; 1 for scalars */
  int64_t i;
  float f;
  int64_t* ints;
  float* floats;
  char* s;
  char** strings;
} plan_attr;

typedef struct plan_layer {
  char* op;   /* ONNX op type, e.g. "Conv" */
  char* name; /* node name */
  char kernel[PLAN_KERNEL_CHARS]; /* from the plan; an executor may overwrite it with the kernel it chose */
  int32_t num_inputs;
  int32_t* inputs; /* tensor indices; -1 for an omitted optional input */
  int32_t num_outputs;
  int32_t* outputs; /* tensor indices; -1 for an omitted optional output */
  int32_t num_attrs;
  plan_attr* attrs;
} plan_layer;

/* One input's range in one optimization profile. */
typedef struct plan_range {
  int32_t rank;
  int64_t min[DENOTRT_MAX_RANK];
  int64_t opt[DENOTRT_MAX_RANK];
  int64_t max[DENOTRT_MAX_RANK];
} plan_range;

typedef struct plan {
  uint32_t format_version;
  char denotrt_version[32];
  char gpu_name[64]; /* empty for plans not timed on a GPU */
  int32_t cc_major, cc_minor;
  int32_t device_kind; /* PLAN_DEVICE_* */
  int32_t num_tensors;
  plan_tensor* tensors;
  int32_t num_inputs;
  int32_t* inputs; /* tensor indices, in I/O order */
  int32_t num_outputs;
  int32_t* outputs;
  int32_t num_profiles;
  plan_range* ranges; /* ranges[profile * num_inputs + input_position] */
  int32_t num_layers;
  plan_layer* layers; /* topologically sorted */
  uint64_t arena_bytes;
  uint8_t* tactics; /* format >= 2: a timing cache (timing_cache.h) of the kernels chosen at build time; owned */
  uint64_t tactics_bytes;
  uint8_t* weights; /* 64-byte aligned, owned */
  uint64_t weights_bytes;
} plan;

/* Parses and validates. On failure returns DENOTRT_PLAN_ERROR (or OUT_OF_MEMORY) with a message saying whether
 * the plan is truncated, corrupt (checksum), foreign (magic) or from a newer format version. */
int32_t plan_parse(const void* bytes, uint64_t size, plan** out, denotrt_error* err);
void plan_free(plan* p);

/* FNV-1a 64 over the body; exported for tests and for plan writers in C. */
uint64_t plan_fnv1a64(const uint8_t* data, uint64_t size);

/* Lookups. */
int32_t plan_find_tensor(const plan* p, const char* name); /* index or -1 */
int32_t plan_input_position(const plan* p, const char* name); /* position in p->inputs or -1 */
const plan_range* plan_profile_range(const plan* p, int32_t profile, int32_t input_position);
size_t plan_dtype_bytes(int32_t dtype); /* 0 for an unknown code */
const char* plan_dtype_name(int32_t dtype);

/* Attribute lookup on a layer; the default is returned when the attribute is absent.
 * A present attribute of another type is not converted except int <-> float. */
const plan_attr* plan_attr_find(const plan_layer* l, const char* name);
int64_t plan_attr_int(const plan_layer* l, const char* name, int64_t def);
float plan_attr_float(const plan_layer* l, const char* name, float def);
const char* plan_attr_string(const plan_layer* l, const char* name, const char* def);

/* Fills err with "layer 'NAME' (OP): <message>" under `api`: the one form every executor reports layer failures in. */
int32_t plan_layer_vfail(const plan_layer* l, denotrt_error* err, int32_t status, const char* api, const char* fmt,
                         va_list ap);
/* Returns the array (NULL when absent) and its length in *count (0 when absent). */
const int64_t* plan_attr_ints(const plan_layer* l, const char* name, int32_t* count);
const float* plan_attr_floats(const plan_layer* l, const char* name, int32_t* count);

/* Input i of a layer as a tensor, or NULL when omitted / out of range. */
const plan_tensor* plan_layer_input(const plan* p, const plan_layer* l, int32_t i);
const plan_tensor* plan_layer_output(const plan* p, const plan_layer* l, int32_t i);

#ifdef __cplusplus
}
#endif
#endif
