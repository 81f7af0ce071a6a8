/*
 * denotrt_tensorrt.h: the TensorRT-only part of libdenotrt.so's flat C API.
 *
 * Same conventions as denotrt.h: denotrt_ prefix, opaque handles, int status + caller-owned denotrt_error, no C++
 * types, no callbacks (build progress is queued and drained with denotrt_tensorrt_build_progress_pop).
 *
 * Availability:
 *   - denotrt_tensorrt_plan_version is compiled into every build (it needs no TensorRT headers), so the plan header
 *     check can be tested everywhere;
 *   - everything else exists only where the shim was compiled against TensorRT's headers, i.e. where
 *     (denotrt_build_features() & 2) != 0. The shim never links TensorRT: it dlopens libnvinfer.so.<major> on first
 *     use (DENOTRT_TENSORRT_LIB overrides the path), so a build with TensorRT support still loads on machines
 *     without TensorRT and reports DENOTRT_LIBRARY_ERROR from these calls.
 */
#ifndef DENOTRT_TENSORRT_H
#define DENOTRT_TENSORRT_H

#include "denotrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- plan header (always compiled) */
/* Reads the TensorRT version that built a serialized TensorRT plan, from the plan's header only (no TensorRT
 * needed). DENOTRT_PLAN_ERROR when the bytes are too short or are not a TensorRT plan. */
DENOTRT_API int32_t denotrt_tensorrt_plan_version(const void* plan, uint64_t bytes, int32_t* major, int32_t* minor,
                                                  int32_t* patch, denotrt_error* err);

/* ---------------------------------------------------------------- library */
/* The TensorRT major version this shim was compiled for (NV_TENSORRT_MAJOR), e.g. 10. */
DENOTRT_API int32_t denotrt_tensorrt_compiled_version(int32_t* major, int32_t* minor, int32_t* patch);
/* Loads libnvinfer (once; a failed attempt is retried on the next call) and reports its version as
 * major*10000 + minor*100 + patch (getInferLibVersion) and the path it was loaded from (truncated to capacity,
 * NUL-terminated; path may be NULL). DENOTRT_LIBRARY_ERROR lists every path tried. */
DENOTRT_API int32_t denotrt_tensorrt_load(int32_t* version, char* path, uint64_t capacity, denotrt_error* err);

/* ---------------------------------------------------------------- engines and contexts (TensorRT plans only) */
/* Device memory an execution context of `engine` needs for activations (getDeviceMemorySizeV2). */
DENOTRT_API int32_t denotrt_tensorrt_device_memory_size(denotrt_engine* engine, uint64_t* bytes, denotrt_error* err);
/* Like denotrt_context_create, but the context uses caller-owned device memory (at least
 * denotrt_tensorrt_device_memory_size bytes, 256-byte aligned) instead of allocating its own. The memory must stay
 * allocated until the context is destroyed, and two contexts that run concurrently must not share it. The returned
 * context is an ordinary denotrt_context (destroy it with denotrt_context_destroy). */
DENOTRT_API int32_t denotrt_tensorrt_context_create_with_memory(denotrt_engine* engine, uint64_t device_address,
                                                                uint64_t bytes, denotrt_context** out,
                                                                denotrt_error* err);
/* Replaces the weights named `name` (an ONNX initializer name) of a refittable engine (built with
 * DENOTRT_TRT_BUILD_REFIT) with `count` host values of `dtype` (denotrt_dtype), then refits the engine.
 * No execution context of the engine may be running during the call. */
DENOTRT_API int32_t denotrt_tensorrt_refit_weights(denotrt_engine* engine, const char* name, int32_t dtype,
                                                   const void* data, int64_t count, denotrt_error* err);

/* ---------------------------------------------------------------- builder: ONNX -> TensorRT plan */
typedef enum denotrt_tensorrt_build_flag {
  DENOTRT_TRT_BUILD_FP16 = 1u << 0,  /* TensorRT 10 only: allow fp16 kernels (TensorRT 11 is strongly typed) */
  DENOTRT_TRT_BUILD_BF16 = 1u << 1,  /* TensorRT 10 only */
  DENOTRT_TRT_BUILD_TF32 = 1u << 2,  /* allow tf32 for fp32 math; when absent, TF32 is explicitly disabled */
  DENOTRT_TRT_BUILD_INT8 = 1u << 3,  /* TensorRT 10 only: int8 through the model's Q/DQ nodes (no calibrator) */
  DENOTRT_TRT_BUILD_FP8 = 1u << 4,   /* TensorRT 10 only: fp8 through the model's Q/DQ nodes */
  DENOTRT_TRT_BUILD_REFIT = 1u << 5, /* build a refittable engine (denotrt_tensorrt_refit_weights) */
  DENOTRT_TRT_BUILD_STRONGLY_TYPED = 1u << 6, /* TensorRT 10: precisions from the model; always on in 11 */
  DENOTRT_TRT_BUILD_DETAILED_PROFILING = 1u << 7, /* keep layer details for denotrt_engine_inspect */
  DENOTRT_TRT_BUILD_VERSION_COMPATIBLE = 1u << 8  /* plan loadable by later TensorRT of the same major */
} denotrt_tensorrt_build_flag;

/* 128 bytes; every pointer may be NULL where its count is 0. Optimization profiles are flat arrays of "entries",
 * one per (profile, input): entry i gives input profile_names[i] of profile profile_index[i], rank profile_ranks[i]
 * and min/opt/max dims at profile_dims[(i*3 + k) * DENOTRT_MAX_RANK + d] for k = 0 (min), 1 (opt), 2 (max). */
typedef struct denotrt_tensorrt_build_config {
  uint32_t flags;                     /* denotrt_tensorrt_build_flag bits */
  int32_t optimization_level;         /* -1: TensorRT's default (3); else 0..5 */
  int32_t hardware_compatibility;     /* 0: this GPU only, 1: Ampere and later, 2: same compute capability */
  int32_t num_profile_entries;
  uint64_t workspace_bytes;           /* 0: TensorRT's default (the device's memory) */
  const char* const* profile_names;   /* [num_profile_entries] */
  const int32_t* profile_index;       /* [num_profile_entries], profiles numbered 0..n-1 without gaps */
  const int32_t* profile_ranks;       /* [num_profile_entries] */
  const int64_t* profile_dims;        /* [num_profile_entries * 3 * DENOTRT_MAX_RANK] */
  const void* timing_cache;           /* a timing cache saved by an earlier build, or NULL */
  uint64_t timing_cache_bytes;
  void** timing_cache_out;            /* if not NULL: receives the updated cache (free with denotrt_tensorrt_free) */
  uint64_t* timing_cache_out_bytes;
  const char* model_path;             /* the ONNX file's path, for external weights; may be NULL */
  uint64_t reserved[4];               /* zero */
} denotrt_tensorrt_build_config;

/* Parses an ONNX model with nvonnxparser and builds a serialized plan. On success *plan_out holds *plan_bytes bytes
 * that the caller frees with denotrt_tensorrt_free. Parser errors are reported per node (index, op, name,
 * description) in err->message and in the log queue. cfg may be NULL (all defaults). Blocks for the whole build:
 * TypeScript calls it as a nonblocking FFI symbol and polls denotrt_tensorrt_build_progress_pop meanwhile. */
DENOTRT_API int32_t denotrt_tensorrt_build(const void* onnx, uint64_t bytes, const denotrt_tensorrt_build_config* cfg,
                                           void** plan_out, uint64_t* plan_bytes, denotrt_error* err);
/* Frees a plan or timing cache returned by denotrt_tensorrt_build (NULL is ignored). */
DENOTRT_API void denotrt_tensorrt_free(void* p);
/* Asks the running build(s) to stop at the next step; they fail with DENOTRT_TENSORRT_ERROR "build cancelled". */
DENOTRT_API void denotrt_tensorrt_build_cancel(void);

typedef enum denotrt_tensorrt_progress_kind {
  DENOTRT_TRT_PHASE_START = 0,
  DENOTRT_TRT_STEP_COMPLETE = 1,
  DENOTRT_TRT_PHASE_FINISH = 2
} denotrt_tensorrt_progress_kind;

/* 280 bytes. */
typedef struct denotrt_tensorrt_progress {
  int32_t kind;     /* denotrt_tensorrt_progress_kind */
  int32_t step;     /* the completed step (STEP_COMPLETE), else -1 */
  int32_t steps;    /* the phase's number of steps */
  int32_t depth;    /* nesting depth: 0 for a top-level phase */
  uint64_t build;   /* serial number of the build that reported it (1, 2, ...) */
  char phase[128];  /* e.g. "Building engine" (names change between TensorRT versions) */
  char parent[128]; /* the enclosing phase, "" at top level */
} denotrt_tensorrt_progress;

/* Pops the oldest progress record: 1 and fills *record, or 0 when none is queued. The queue keeps the newest 1024
 * records; *dropped (may be NULL) receives how many were dropped so far. Thread-safe. */
DENOTRT_API int32_t denotrt_tensorrt_build_progress_pop(denotrt_tensorrt_progress* record, uint64_t* dropped);

#ifdef __cplusplus
}
#endif
#endif /* DENOTRT_TENSORRT_H */
