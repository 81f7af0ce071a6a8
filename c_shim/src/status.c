/* Status names, error filling and handle bookkeeping: the parts of the shim every other file relies on. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common.h"

static _Atomic int64_t live_handles[DENOTRT_HANDLE_KIND_COUNT];

uint32_t denotrt_abi_version(void) { return DENOTRT_ABI_VERSION; }
const char* denotrt_version(void) { return DENOTRT_VERSION_STRING; }
int32_t denotrt_noop(int32_t x) { return x; }

const char* denotrt_status_name(int32_t status) {
  switch (status) {
    case DENOTRT_OK: return "DENOTRT_OK";
    case DENOTRT_INVALID_ARGUMENT: return "DENOTRT_INVALID_ARGUMENT";
    case DENOTRT_CUDA_ERROR: return "DENOTRT_CUDA_ERROR";
    case DENOTRT_NO_DEVICE: return "DENOTRT_NO_DEVICE";
    case DENOTRT_LIBRARY_ERROR: return "DENOTRT_LIBRARY_ERROR";
    case DENOTRT_CUDNN_ERROR: return "DENOTRT_CUDNN_ERROR";
    case DENOTRT_CUBLAS_ERROR: return "DENOTRT_CUBLAS_ERROR";
    case DENOTRT_TENSORRT_ERROR: return "DENOTRT_TENSORRT_ERROR";
    case DENOTRT_PLAN_ERROR: return "DENOTRT_PLAN_ERROR";
    case DENOTRT_UNSUPPORTED: return "DENOTRT_UNSUPPORTED";
    case DENOTRT_SHAPE_ERROR: return "DENOTRT_SHAPE_ERROR";
    case DENOTRT_OUT_OF_MEMORY: return "DENOTRT_OUT_OF_MEMORY";
    case DENOTRT_INTERNAL_ERROR: return "DENOTRT_INTERNAL_ERROR";
    default: return "DENOTRT_UNKNOWN_STATUS";
  }
}

void denotrt_copy_str(char* dst, size_t cap, const char* src) {
  if (!dst || cap == 0) return;
  if (!src) src = "";
  size_t n = strlen(src);
  if (n >= cap) n = cap - 1;
  memcpy(dst, src, n);
  dst[n] = '\0';
}

int32_t denotrt_fail(denotrt_error* err, int32_t status, int32_t code, const char* api, const char* code_name,
                     const char* fmt, ...) {
  if (err) {
    err->status = status;
    err->code = code;
    denotrt_copy_str(err->api, sizeof err->api, api);
    denotrt_copy_str(err->code_name, sizeof err->code_name, code_name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
  }
  return status;
}

void denotrt_handle_created(denotrt_handle_kind kind) { live_handles[kind]++; }
void denotrt_handle_destroyed(denotrt_handle_kind kind) { live_handles[kind]--; }

int64_t denotrt_live_handles(int32_t kind) {
  if (kind < 0 || kind >= DENOTRT_HANDLE_KIND_COUNT) return -1;
  return live_handles[kind];
}

int denotrt_tag_ok(const void* handle, denotrt_handle_kind kind) {
  const denotrt_tag* t = (const denotrt_tag*)handle;
  return t && t->magic == DENOTRT_TAG_MAGIC && t->kind == (uint32_t)kind;
}
void denotrt_tag_set(void* handle, denotrt_handle_kind kind) {
  denotrt_tag* t = (denotrt_tag*)handle;
  t->magic = DENOTRT_TAG_MAGIC;
  t->kind = (uint32_t)kind;
}
void denotrt_tag_kill(void* handle) { ((denotrt_tag*)handle)->magic = DENOTRT_TAG_DEAD; }

/* The TypeScript side reads these structs at fixed offsets (lib/cuda/device.ts, ffi/error_record.ts). */
_Static_assert(sizeof(denotrt_error) == 512, "denotrt_error layout");
_Static_assert(sizeof(denotrt_device_info) == 320, "denotrt_device_info layout");
_Static_assert(sizeof(denotrt_tensor_desc) == 336, "denotrt_tensor_desc layout");
