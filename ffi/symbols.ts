/**
 * The one FFI symbol table of libdenotrt.so (c_shim/include/denotrt.h). Every call that can fail takes a trailing
 * `denotrt_error*` ("buffer": a 512-byte record owned by the caller, see ffi/error_record.ts).
 * Calls that may block on the GPU exist twice: a nonblocking variant (runs on Deno's worker pool, returns a
 * promise) and a `_sync` variant under another JS name.
 */
const ERR = "buffer" as const;

export const symbols = {
  denotrt_abi_version: { parameters: [], result: "u32" },
  denotrt_version: { parameters: [], result: "pointer" },
  denotrt_build_features: { parameters: [], result: "u32" },
  denotrt_noop: { parameters: ["i32"], result: "i32" },
  denotrt_noop_nonblocking: { name: "denotrt_noop", parameters: ["i32"], result: "i32", nonblocking: true },
  denotrt_status_name: { parameters: ["i32"], result: "pointer" },

  denotrt_log_set_severity: { parameters: ["i32"], result: "void" },
  denotrt_log_get_severity: { parameters: [], result: "i32" },
  denotrt_log_write: { parameters: ["i32", "buffer"], result: "void" },
  denotrt_log_pop: { parameters: ["buffer", "buffer", "u64", "buffer"], result: "i32" },
  denotrt_log_dropped: { parameters: [], result: "u64" },
  denotrt_live_handles: { parameters: ["i32"], result: "i64" },

  denotrt_device_count: { parameters: ["buffer", ERR], result: "i32" },
  denotrt_device_get_info: { parameters: ["i32", "buffer", ERR], result: "i32" },
  denotrt_device_set: { parameters: ["i32", ERR], result: "i32" },
  denotrt_device_synchronize: { parameters: [ERR], result: "i32", nonblocking: true },
  denotrt_cuda_versions: { parameters: ["buffer", "buffer", ERR], result: "i32" },

  denotrt_stream_create: { parameters: ["i32", "buffer", ERR], result: "i32" },
  denotrt_stream_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_stream_synchronize: { parameters: ["pointer", ERR], result: "i32", nonblocking: true },
  denotrt_stream_synchronize_sync: { name: "denotrt_stream_synchronize", parameters: ["pointer", ERR], result: "i32" },
  denotrt_stream_query: { parameters: ["pointer", "buffer", ERR], result: "i32" },
  denotrt_stream_wait_event: { parameters: ["pointer", "pointer", ERR], result: "i32" },
  denotrt_stream_begin_capture: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_stream_end_capture: { parameters: ["pointer", "buffer", ERR], result: "i32" },
  denotrt_graph_launch: { parameters: ["pointer", "pointer", ERR], result: "i32" },
  denotrt_graph_destroy: { parameters: ["pointer", ERR], result: "i32" },

  denotrt_event_create: { parameters: ["i32", "buffer", ERR], result: "i32" },
  denotrt_event_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_event_record: { parameters: ["pointer", "pointer", ERR], result: "i32" },
  denotrt_event_synchronize: { parameters: ["pointer", ERR], result: "i32", nonblocking: true },
  denotrt_event_synchronize_sync: { name: "denotrt_event_synchronize", parameters: ["pointer", ERR], result: "i32" },
  denotrt_event_query: { parameters: ["pointer", "buffer", ERR], result: "i32" },
  denotrt_event_elapsed_ms: { parameters: ["pointer", "pointer", "buffer", ERR], result: "i32" },

  denotrt_host_buffer_create: { parameters: ["u64", "i32", "buffer", ERR], result: "i32" },
  denotrt_host_buffer_is_pinned: { parameters: ["pointer"], result: "i32" },
  denotrt_host_buffer_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_host_buffer_pointer: { parameters: ["pointer"], result: "pointer" },
  denotrt_host_buffer_size: { parameters: ["pointer"], result: "u64" },
  denotrt_device_buffer_create: { parameters: ["u64", "buffer", ERR], result: "i32" },
  denotrt_device_buffer_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_device_buffer_address: { parameters: ["pointer"], result: "u64" },
  denotrt_device_buffer_size: { parameters: ["pointer"], result: "u64" },
  denotrt_memcpy_async: { parameters: ["pointer", "u64", "pointer", "u64", "u64", "pointer", ERR], result: "i32" },
  denotrt_memcpy_from_pageable: { parameters: ["pointer", "u64", "buffer", "u64", "pointer", ERR], result: "i32" },
  denotrt_memcpy_to_pageable: { parameters: ["buffer", "pointer", "u64", "u64", "pointer", ERR], result: "i32" },
  denotrt_memset_async: { parameters: ["pointer", "u64", "i32", "u64", "pointer", ERR], result: "i32" },
  denotrt_bench_memcpy: { parameters: ["u64", "i32", "i32", "i32", "buffer", ERR], result: "i32", nonblocking: true },

  denotrt_engine_deserialize: { parameters: ["buffer", "u64", "i32", "buffer", ERR], result: "i32" },
  denotrt_engine_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_engine_provider: { parameters: ["pointer"], result: "i32" },
  denotrt_engine_num_io_tensors: { parameters: ["pointer", "buffer", ERR], result: "i32" },
  denotrt_engine_io_tensor: { parameters: ["pointer", "i32", "buffer", ERR], result: "i32" },
  denotrt_engine_num_profiles: { parameters: ["pointer", "buffer", ERR], result: "i32" },
  denotrt_engine_profile_shape: { parameters: ["pointer", "i32", "buffer", "i32", "buffer", "buffer", ERR], result: "i32" },
  denotrt_engine_inspect: { parameters: ["pointer", "buffer", "u64", "buffer", ERR], result: "i32" },
  denotrt_context_create: { parameters: ["pointer", "buffer", ERR], result: "i32" },
  denotrt_context_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_context_set_optimization_profile: { parameters: ["pointer", "i32", ERR], result: "i32" },
  denotrt_context_set_input_shape: { parameters: ["pointer", "buffer", "i32", "buffer", ERR], result: "i32" },
  denotrt_context_tensor_shape: { parameters: ["pointer", "buffer", "buffer", "buffer", ERR], result: "i32" },
  denotrt_context_set_tensor_address: { parameters: ["pointer", "buffer", "u64", ERR], result: "i32" },
  denotrt_context_enqueue: { parameters: ["pointer", "pointer", ERR], result: "i32" },
  denotrt_context_profile: { parameters: ["pointer", "pointer", "i32", "buffer", "i32", "buffer", ERR], result: "i32" },
  // CPU engines run the whole network inside enqueue: nonblocking keeps the event loop free meanwhile.
  denotrt_context_enqueue_nonblocking: {
    name: "denotrt_context_enqueue",
    parameters: ["pointer", "pointer", ERR],
    result: "i32",
    nonblocking: true,
  },

  // Timing caches of the built-in engine (TensorRT's ITimingCache).
  denotrt_timing_cache_create: { parameters: ["buffer", "u64", "buffer", ERR], result: "i32" },
  denotrt_timing_cache_destroy: { parameters: ["pointer", ERR], result: "i32" },
  denotrt_timing_cache_serialize: { parameters: ["pointer", "buffer", "u64", "buffer", ERR], result: "i32" },
  denotrt_timing_cache_combine: { parameters: ["pointer", "pointer", "i32", ERR], result: "i32" },
  denotrt_timing_cache_entries: { parameters: ["pointer"], result: "i64" },
  denotrt_timing_cache_device: { parameters: ["pointer", "buffer", "u64", "buffer", "buffer", ERR], result: "i32" },
  // Kernel timing takes seconds on the GPU: nonblocking.
  denotrt_builtin_time_plan: {
    parameters: ["buffer", "u64", "pointer", "i32", "pointer", "buffer", "u64", "buffer", ERR],
    result: "i32",
    nonblocking: true,
  },

  // TensorRT (c_shim/include/denotrt_tensorrt.h). The plan-header reader is in every build; the rest exists only
  // where the shim was compiled against TensorRT's headers (denotrt_build_features() & 2), hence `optional`.
  denotrt_tensorrt_plan_version: { parameters: ["buffer", "u64", "buffer", "buffer", "buffer", ERR], result: "i32" },
  denotrt_tensorrt_compiled_version: { parameters: ["buffer", "buffer", "buffer"], result: "i32", optional: true },
  denotrt_tensorrt_load: { parameters: ["buffer", "buffer", "u64", ERR], result: "i32", optional: true },
  denotrt_tensorrt_device_memory_size: { parameters: ["pointer", "buffer", ERR], result: "i32", optional: true },
  denotrt_tensorrt_context_create_with_memory: {
    parameters: ["pointer", "u64", "u64", "buffer", ERR],
    result: "i32",
    optional: true,
  },
  denotrt_tensorrt_refit_weights: { parameters: ["pointer", "buffer", "i32", "buffer", "i64", ERR], result: "i32", optional: true },
  // A build takes minutes: nonblocking, while JavaScript drains the progress queue.
  denotrt_tensorrt_build: {
    parameters: ["buffer", "u64", "buffer", "buffer", "buffer", ERR],
    result: "i32",
    nonblocking: true,
    optional: true,
  },
  denotrt_tensorrt_free: { parameters: ["pointer"], result: "void", optional: true },
  denotrt_tensorrt_build_cancel: { parameters: [], result: "void", optional: true },
  denotrt_tensorrt_build_progress_pop: { parameters: ["buffer", "buffer"], result: "i32", optional: true },
} as const satisfies Deno.ForeignLibraryInterface;

export type Symbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

/** The ABI version (DENOTRT_ABI_VERSION in denotrt.h) this table was written for. */
export const ABI_VERSION = 2;
