/*
 * denotrt.h: the flat C API of libdenotrt.so, the shim that denotrt's TypeScript calls through Deno.dlopen.
 *
 * Conventions (as in sqlite3.h and llama.h):
 *   - every symbol starts with denotrt_; handles are opaque pointers; no C++ types cross this boundary;
 *   - every fallible call returns an int status (denotrt_status) and fills the caller's denotrt_error.
 *     The error record is owned by the caller and passed per call, never kept in thread-local state,
 *     because Deno runs nonblocking FFI calls on worker threads;
 *   - `err` may be NULL when the caller does not want the text;
 *   - nothing here calls back into the caller: log records are queued and drained (denotrt_log_pop).
 *
 * Bump DENOTRT_ABI_VERSION whenever a signature or a struct layout below changes; the TypeScript loader
 * refuses a library whose ABI version differs from the one it was written for.
 */
#ifndef DENOTRT_H
#define DENOTRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DENOTRT_ABI_VERSION 2u
#define DENOTRT_VERSION_STRING "0.1.0"

#if defined(__GNUC__)
#define DENOTRT_API __attribute__((visibility("default")))
#else
#define DENOTRT_API
#endif

/* ---------------------------------------------------------------- status and errors */
typedef enum denotrt_status {
  DENOTRT_OK = 0,
  DENOTRT_INVALID_ARGUMENT = 1, /* a bad size, offset, name, shape or handle */
  DENOTRT_CUDA_ERROR = 2,       /* a CUDA runtime call failed: api/code/code_name say which */
  DENOTRT_NO_DEVICE = 3,        /* no GPU, or no (or too old a) driver */
  DENOTRT_LIBRARY_ERROR = 4,    /* a library loaded at run time (cuDNN, cuBLASLt, libnvinfer) is missing or unusable */
  DENOTRT_CUDNN_ERROR = 5,
  DENOTRT_CUBLAS_ERROR = 6,
  DENOTRT_TENSORRT_ERROR = 7,
  DENOTRT_PLAN_ERROR = 8,       /* corrupt, truncated, foreign or mismatched plan */
  DENOTRT_UNSUPPORTED = 9,      /* an op, dtype or feature this build cannot run */
  DENOTRT_SHAPE_ERROR = 10,     /* a shape outside the profile, or inconsistent shapes */
  DENOTRT_OUT_OF_MEMORY = 11,   /* host allocation failed (device OOM is a CUDA error) */
  DENOTRT_INTERNAL_ERROR = 12
} denotrt_status;

/* Filled by a failing call; 512 bytes, laid out for the TypeScript side (ffi/error_record.ts). */
typedef struct denotrt_error {
  int32_t status;     /* denotrt_status */
  int32_t code;       /* the underlying library's code (cudaError_t, cudnnStatus_t, ...), 0 if none */
  char api[64];       /* the call that failed, e.g. "cudaHostAlloc" */
  char code_name[64]; /* e.g. "cudaErrorMemoryAllocation" */
  char message[376];  /* human-readable detail, NUL-terminated */
} denotrt_error;

/* ---------------------------------------------------------------- library */
DENOTRT_API uint32_t denotrt_abi_version(void);
DENOTRT_API const char* denotrt_version(void);
/* Bit set of what this build contains: 1 = CUDA executor, 2 = TensorRT provider. */
DENOTRT_API uint32_t denotrt_build_features(void);
/* Does nothing; lets the benchmark measure the cost of one FFI call. */
DENOTRT_API int32_t denotrt_noop(int32_t x);
/* A readable name for a status, e.g. "DENOTRT_CUDA_ERROR". */
DENOTRT_API const char* denotrt_status_name(int32_t status);

/* ---------------------------------------------------------------- log queue (like TensorRT's ILogger) */
typedef enum denotrt_severity {
  DENOTRT_SEVERITY_INTERNAL_ERROR = 0,
  DENOTRT_SEVERITY_ERROR = 1,
  DENOTRT_SEVERITY_WARNING = 2,
  DENOTRT_SEVERITY_INFO = 3,
  DENOTRT_SEVERITY_VERBOSE = 4
} denotrt_severity;

/* Records above this severity number are dropped at the source (default: WARNING). */
DENOTRT_API void denotrt_log_set_severity(int32_t max_severity);
DENOTRT_API int32_t denotrt_log_get_severity(void);
/* Queues a record (used by the shim itself; exported so the TypeScript side and tests can log through it). */
DENOTRT_API void denotrt_log_write(int32_t severity, const char* text);
/* Pops the oldest record. Returns 1 and fills *severity, text (truncated to capacity, NUL-terminated) and
 * *length (the full length), or 0 when the queue is empty. Thread-safe. */
DENOTRT_API int32_t denotrt_log_pop(int32_t* severity, char* text, uint64_t capacity, uint64_t* length);
/* Records dropped because the queue was full (it keeps the newest 4096). */
DENOTRT_API uint64_t denotrt_log_dropped(void);

/* ---------------------------------------------------------------- live handle counters */
typedef enum denotrt_handle_kind {
  DENOTRT_HANDLE_STREAM = 0,
  DENOTRT_HANDLE_EVENT = 1,
  DENOTRT_HANDLE_HOST_BUFFER = 2,
  DENOTRT_HANDLE_DEVICE_BUFFER = 3,
  DENOTRT_HANDLE_GRAPH = 4,
  DENOTRT_HANDLE_ENGINE = 5,
  DENOTRT_HANDLE_CONTEXT = 6,
  DENOTRT_HANDLE_BUILDER = 7,
  DENOTRT_HANDLE_TIMING_CACHE = 8,
  DENOTRT_HANDLE_KIND_COUNT = 9
} denotrt_handle_kind;

DENOTRT_API int64_t denotrt_live_handles(int32_t kind);

/* ---------------------------------------------------------------- devices */
typedef struct denotrt_device_info { /* 320 bytes */
  char name[256];
  int32_t compute_major;
  int32_t compute_minor;
  int32_t multiprocessors;
  int32_t driver_version;  /* e.g. 13000 */
  int32_t runtime_version; /* the CUDA runtime linked into the shim */
  int32_t l2_bytes;
  uint64_t total_memory;
  uint64_t free_memory;
  int32_t pci_bus_id;
  int32_t reserved[5];
} denotrt_device_info;

DENOTRT_API int32_t denotrt_device_count(int32_t* count, denotrt_error* err);
DENOTRT_API int32_t denotrt_device_get_info(int32_t device, denotrt_device_info* info, denotrt_error* err);
DENOTRT_API int32_t denotrt_device_set(int32_t device, denotrt_error* err);
DENOTRT_API int32_t denotrt_device_synchronize(denotrt_error* err);
/* The driver's and the runtime's versions; works without a GPU (driver 0 when none is installed). */
DENOTRT_API int32_t denotrt_cuda_versions(int32_t* driver, int32_t* runtime, denotrt_error* err);

/* ---------------------------------------------------------------- streams and events */
typedef struct denotrt_stream denotrt_stream;
typedef struct denotrt_event denotrt_event;
typedef struct denotrt_graph denotrt_graph;

DENOTRT_API int32_t denotrt_stream_create(int32_t non_blocking, denotrt_stream** out, denotrt_error* err);
DENOTRT_API int32_t denotrt_stream_destroy(denotrt_stream* stream, denotrt_error* err);
/* Blocks the calling thread; TypeScript calls it as a nonblocking FFI symbol for `await stream.synchronize()`. */
DENOTRT_API int32_t denotrt_stream_synchronize(denotrt_stream* stream, denotrt_error* err);
/* *done = 1 when all work queued so far has finished. */
DENOTRT_API int32_t denotrt_stream_query(denotrt_stream* stream, int32_t* done, denotrt_error* err);
DENOTRT_API int32_t denotrt_stream_wait_event(denotrt_stream* stream, denotrt_event* event, denotrt_error* err);

/* timing = 0 creates an event with timing disabled (cheaper for pure ordering). */
DENOTRT_API int32_t denotrt_event_create(int32_t timing, denotrt_event** out, denotrt_error* err);
DENOTRT_API int32_t denotrt_event_destroy(denotrt_event* event, denotrt_error* err);
DENOTRT_API int32_t denotrt_event_record(denotrt_event* event, denotrt_stream* stream, denotrt_error* err);
DENOTRT_API int32_t denotrt_event_synchronize(denotrt_event* event, denotrt_error* err);
DENOTRT_API int32_t denotrt_event_query(denotrt_event* event, int32_t* done, denotrt_error* err);
DENOTRT_API int32_t denotrt_event_elapsed_ms(denotrt_event* start, denotrt_event* end, float* ms, denotrt_error* err);

/* CUDA graphs: capture everything queued on a stream between begin and end, then replay it. */
DENOTRT_API int32_t denotrt_stream_begin_capture(denotrt_stream* stream, denotrt_error* err);
DENOTRT_API int32_t denotrt_stream_end_capture(denotrt_stream* stream, denotrt_graph** out, denotrt_error* err);
DENOTRT_API int32_t denotrt_graph_launch(denotrt_graph* graph, denotrt_stream* stream, denotrt_error* err);
DENOTRT_API int32_t denotrt_graph_destroy(denotrt_graph* graph, denotrt_error* err);

/* ---------------------------------------------------------------- memory */
typedef struct denotrt_host_buffer denotrt_host_buffer;     /* host memory: pinned, or plain for CPU engines */
typedef struct denotrt_device_buffer denotrt_device_buffer; /* device memory, 256-byte aligned */

/* Host memory flags: PINNED = page-locked through cudaHostAlloc (fast async copies; needs a driver);
 * without it, 64-byte-aligned ordinary memory (for CPU engines, and usable without any GPU). */
#define DENOTRT_HOST_PINNED 1
DENOTRT_API int32_t denotrt_host_buffer_create(uint64_t bytes, int32_t flags, denotrt_host_buffer** out,
                                               denotrt_error* err);
DENOTRT_API int32_t denotrt_host_buffer_is_pinned(denotrt_host_buffer* buffer);
DENOTRT_API int32_t denotrt_host_buffer_destroy(denotrt_host_buffer* buffer, denotrt_error* err);
DENOTRT_API void* denotrt_host_buffer_pointer(denotrt_host_buffer* buffer);
DENOTRT_API uint64_t denotrt_host_buffer_size(denotrt_host_buffer* buffer);

DENOTRT_API int32_t denotrt_device_buffer_create(uint64_t bytes, denotrt_device_buffer** out, denotrt_error* err);
DENOTRT_API int32_t denotrt_device_buffer_destroy(denotrt_device_buffer* buffer, denotrt_error* err);
DENOTRT_API uint64_t denotrt_device_buffer_address(denotrt_device_buffer* buffer);
DENOTRT_API uint64_t denotrt_device_buffer_size(denotrt_device_buffer* buffer);

/* Asynchronous copy between any two buffers (host or device handles; the shim checks kinds and bounds)
 * on `stream` (NULL: the legacy default stream). */
DENOTRT_API int32_t denotrt_memcpy_async(void* dst, uint64_t dst_offset, void* src, uint64_t src_offset,
                                         uint64_t bytes, denotrt_stream* stream, denotrt_error* err);
/* Copies to or from pageable caller memory (a JavaScript ArrayBuffer); returns when the copy is complete. */
DENOTRT_API int32_t denotrt_memcpy_from_pageable(denotrt_device_buffer* dst, uint64_t dst_offset, const void* src,
                                                 uint64_t bytes, denotrt_stream* stream, denotrt_error* err);
DENOTRT_API int32_t denotrt_memcpy_to_pageable(void* dst, denotrt_device_buffer* src, uint64_t src_offset,
                                               uint64_t bytes, denotrt_stream* stream, denotrt_error* err);
DENOTRT_API int32_t denotrt_memset_async(denotrt_device_buffer* dst, uint64_t offset, int32_t value, uint64_t bytes,
                                         denotrt_stream* stream, denotrt_error* err);

/* Bandwidth as cudaMemcpyAsync reaches it from C (the benchmark's yardstick): direction 0 = host to device,
 * 1 = device to host; pinned = 1 for page-locked host memory. Reports the median of `iterations` copies. */
DENOTRT_API int32_t denotrt_bench_memcpy(uint64_t bytes, int32_t direction, int32_t pinned, int32_t iterations,
                                         double* gib_per_s, denotrt_error* err);

/* ---------------------------------------------------------------- engines (built-in plans and TensorRT plans) */
typedef struct denotrt_engine denotrt_engine;
typedef struct denotrt_context denotrt_context;

typedef enum denotrt_provider { DENOTRT_PROVIDER_BUILTIN = 1, DENOTRT_PROVIDER_TENSORRT = 2 } denotrt_provider;
typedef enum denotrt_device_kind { DENOTRT_DEVICE_CUDA = 0, DENOTRT_DEVICE_CPU = 1 } denotrt_device_kind;

/* dtype codes, shared by plans and the TypeScript side (lib/core/dtype.ts) */
typedef enum denotrt_dtype {
  DENOTRT_FLOAT32 = 0, DENOTRT_FLOAT16 = 1, DENOTRT_BFLOAT16 = 2, DENOTRT_INT8 = 3, DENOTRT_UINT8 = 4,
  DENOTRT_INT32 = 5, DENOTRT_INT64 = 6, DENOTRT_BOOL = 7, DENOTRT_FP8_E4M3 = 8, DENOTRT_FLOAT64 = 9
} denotrt_dtype;

#define DENOTRT_MAX_RANK 8

typedef struct denotrt_tensor_desc { /* 336 bytes */
  char name[256];
  int32_t dtype;     /* denotrt_dtype */
  int32_t is_input;  /* 1 input, 0 output */
  int32_t rank;
  int32_t reserved;
  int64_t dims[DENOTRT_MAX_RANK]; /* -1 where the dimension is dynamic */
} denotrt_tensor_desc;

/* Deserializes a plan: a built-in plan (magic "DNRTPLAN") or, where this build has TensorRT, a TensorRT plan. */
DENOTRT_API int32_t denotrt_engine_deserialize(const void* plan, uint64_t bytes, int32_t device_kind,
                                               denotrt_engine** out, denotrt_error* err);
DENOTRT_API int32_t denotrt_engine_destroy(denotrt_engine* engine, denotrt_error* err);
DENOTRT_API int32_t denotrt_engine_provider(denotrt_engine* engine);
DENOTRT_API int32_t denotrt_engine_num_io_tensors(denotrt_engine* engine, int32_t* count, denotrt_error* err);
DENOTRT_API int32_t denotrt_engine_io_tensor(denotrt_engine* engine, int32_t index, denotrt_tensor_desc* desc,
                                             denotrt_error* err);
DENOTRT_API int32_t denotrt_engine_num_profiles(denotrt_engine* engine, int32_t* count, denotrt_error* err);
/* which: 0 = min, 1 = opt, 2 = max. */
DENOTRT_API int32_t denotrt_engine_profile_shape(denotrt_engine* engine, int32_t profile, const char* name,
                                                 int32_t which, int64_t* dims, int32_t* rank, denotrt_error* err);
/* JSON describing the layers and their chosen kernels (like TensorRT's IEngineInspector). Writes at most
 * capacity bytes; *needed receives the full length plus one. */
DENOTRT_API int32_t denotrt_engine_inspect(denotrt_engine* engine, char* json, uint64_t capacity, uint64_t* needed,
                                           denotrt_error* err);

DENOTRT_API int32_t denotrt_context_create(denotrt_engine* engine, denotrt_context** out, denotrt_error* err);
DENOTRT_API int32_t denotrt_context_destroy(denotrt_context* context, denotrt_error* err);
DENOTRT_API int32_t denotrt_context_set_optimization_profile(denotrt_context* context, int32_t profile,
                                                             denotrt_error* err);
DENOTRT_API int32_t denotrt_context_set_input_shape(denotrt_context* context, const char* name, int32_t rank,
                                                    const int64_t* dims, denotrt_error* err);
/* The shape of any I/O tensor under the current input shapes (outputs are inferred). */
DENOTRT_API int32_t denotrt_context_tensor_shape(denotrt_context* context, const char* name, int64_t* dims,
                                                 int32_t* rank, denotrt_error* err);
/* Address of an I/O tensor's memory: a device address on CUDA engines, a host address on CPU engines. */
DENOTRT_API int32_t denotrt_context_set_tensor_address(denotrt_context* context, const char* name, uint64_t address,
                                                       denotrt_error* err);
/* Queues the network on `stream` (CUDA) or runs it on the calling thread (CPU engines, where stream may be NULL). */
DENOTRT_API int32_t denotrt_context_enqueue(denotrt_context* context, denotrt_stream* stream, denotrt_error* err);
/* Per-layer timing (TensorRT's IProfiler): runs the network `runs` times layer by layer on `stream`, with a CUDA
 * event after every layer and no CUDA graph, waits for it, and writes the median milliseconds of each layer into
 * layer_ms[layer index of inspect()] (0 for layers that run on the host). *count receives the number of layers;
 * capacity may be smaller to ask for it. DENOTRT_UNSUPPORTED for engines that cannot time layers (CPU, TensorRT). */
DENOTRT_API int32_t denotrt_context_profile(denotrt_context* context, denotrt_stream* stream, int32_t runs,
                                            float* layer_ms, int32_t capacity, int32_t* count, denotrt_error* err);

/* ---------------------------------------------------------------- timing caches (built-in engine)
 * TensorRT's ITimingCache: kernel choices measured on one GPU, keyed by layer geometry, dtype, layout and fusion
 * (docs/TIMING_CACHE.md). A build consults and extends a cache; a plan carries the entries its layers chose. */
typedef struct denotrt_timing_cache denotrt_timing_cache;
/* bytes/size: a serialized cache, or NULL/0 for an empty one. Foreign, truncated, corrupt or newer-version bytes
 * are refused with DENOTRT_INVALID_ARGUMENT. */
DENOTRT_API int32_t denotrt_timing_cache_create(const void* bytes, uint64_t size, denotrt_timing_cache** out,
                                                denotrt_error* err);
DENOTRT_API int32_t denotrt_timing_cache_destroy(denotrt_timing_cache* cache, denotrt_error* err);
/* Writes the bytes when capacity suffices; *needed receives their length either way. */
DENOTRT_API int32_t denotrt_timing_cache_serialize(denotrt_timing_cache* cache, void* out, uint64_t capacity,
                                                   uint64_t* needed, denotrt_error* err);
/* Adds other's entries to cache; caches measured on different GPUs are refused unless ignore_mismatch. */
DENOTRT_API int32_t denotrt_timing_cache_combine(denotrt_timing_cache* cache, denotrt_timing_cache* other,
                                                 int32_t ignore_mismatch, denotrt_error* err);
/* Number of entries, or -1 for a handle that is not a live timing cache. */
DENOTRT_API int64_t denotrt_timing_cache_entries(denotrt_timing_cache* cache);
/* The GPU the entries were measured on (name "" while the cache is empty and unbound). */
DENOTRT_API int32_t denotrt_timing_cache_device(denotrt_timing_cache* cache, char* name, uint64_t capacity,
                                                int32_t* cc_major, int32_t* cc_minor, denotrt_error* err);
/* The builder's kernel timing for a built-in plan on the current GPU: for each optimization profile, at its opt
 * shapes, every layer with a choice of kernels takes it from `cache` (may be NULL) or times its candidates and adds
 * the result to `cache`. `chosen` (may be NULL) receives exactly the entries the plan's layers use; a builder embeds
 * them in the plan (plan format 2, tactics section) so engines run the measured kernels without timing again.
 * kernels receives "layer name\tkernel\n" per layer that chose one (profile 0); *needed its length plus one.
 * A cache measured on another GPU is refused (DENOTRT_INVALID_ARGUMENT) unless ignore_mismatch.
 * Blocks for as long as timing takes (seconds); call it off the JavaScript thread. */
DENOTRT_API int32_t denotrt_builtin_time_plan(const void* plan, uint64_t bytes, denotrt_timing_cache* cache,
                                              int32_t ignore_mismatch, denotrt_timing_cache* chosen, char* kernels,
                                              uint64_t capacity, uint64_t* needed, denotrt_error* err);

#ifdef __cplusplus
}
#endif
#endif /* DENOTRT_H */
