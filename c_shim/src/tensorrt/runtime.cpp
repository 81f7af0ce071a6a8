// The TensorRT provider behind denotrt_engine / denotrt_context: deserializes TensorRT plans and implements the
// denotrt_engine_ops vtable (provider.h) with ICudaEngine / IExecutionContext, plus the TensorRT-only calls of
// denotrt_tensorrt.h that act on engines (device memory, user-memory contexts, refit).
#include <cuda_runtime_api.h>
#include <stdlib.h>
#include <string.h>

#include <new>
#include <string>
#include <vector>

#include "../provider.h"
#include "plan_header.h"
#include "trt_internal.h"

using namespace denotrt_trt;

namespace {

struct TrtEngine {
  // Declaration order is destruction order in reverse: the engine goes before the runtime that created it.
  Ptr<nvinfer1::IRuntime> runtime;
  Ptr<nvinfer1::ICudaEngine> engine;
  std::vector<std::string> names;  // I/O tensor names, in TensorRT's order
};

struct TrtContext {
  TrtEngine* owner = nullptr;
  Ptr<nvinfer1::IExecutionContext> ctx;
  cudaStream_t profile_stream = nullptr;  // created on the first profile switch
  ~TrtContext() {
    ctx.reset();
    if (profile_stream) cudaStreamDestroy(profile_stream);
  }
};

// denotrt_tensorrt_context_create_with_memory passes its memory to ops.context_create through the public
// denotrt_context_create call, on the same thread and within that one synchronous call (engine.cu owns the
// denotrt_context wrapper, its counters and its tag).
struct UserMemory {
  bool active = false;
  void* address = nullptr;
  int64_t bytes = 0;
};
thread_local UserMemory t_user_memory;

constexpr uint64_t kAlignment = 256;

extern const denotrt_engine_ops kTensorRTOps;

// Every op runs inside this guard: no C++ exception may cross the C boundary.
template <typename F>
int32_t guarded(denotrt_error* err, const char* api, F&& f) noexcept {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, api, "", "out of host memory");
  } catch (const std::exception& e) {
    return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, api, "", "unexpected C++ exception: %s", e.what());
  } catch (...) {
    return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, api, "", "unexpected C++ exception");
  }
}

bool env_flag(const char* name) {
  const char* v = getenv(name);
  return v && *v && strcmp(v, "0") != 0;
}

// Checks that `name` is an I/O tensor of the engine; fills err otherwise.
int32_t check_io_name(const TrtEngine* e, const char* name, const char* api, nvinfer1::TensorIOMode* mode,
                      denotrt_error* err) {
  nvinfer1::TensorIOMode m = e->engine->getTensorIOMode(name);
  if (m == nvinfer1::TensorIOMode::kNONE) {
    std::string known;
    for (const std::string& n : e->names) {
      if (!known.empty()) known += ", ";
      known += "'" + n + "'";
      if (known.size() > 200) {
        known += ", ...";
        break;
      }
    }
    return DENOTRT_BAD_ARG(err, api, "the engine has no I/O tensor named '%s' (it has %s)", name, known.c_str());
  }
  if (mode) *mode = m;
  return DENOTRT_OK;
}

int32_t copy_dims(const nvinfer1::Dims& d, int64_t* dims, int32_t* rank, const char* api, const char* name,
                  denotrt_error* err) {
  if (d.nbDims < 0) return trt_fail(err, api, "TensorRT returned no shape for '%s'", name);
  if (d.nbDims > DENOTRT_MAX_RANK)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "'%s' has rank %d; denotrt supports at most %d", name,
                        d.nbDims, DENOTRT_MAX_RANK);
  *rank = d.nbDims;
  for (int32_t i = 0; i < d.nbDims; i++) dims[i] = d.d[i];
  return DENOTRT_OK;
}

// ---------------------------------------------------------------- engine ops
int32_t engine_destroy(void* impl, denotrt_error* err) {
  return guarded(err, "denotrt_engine_destroy", [&] {
    delete static_cast<TrtEngine*>(impl);
    return (int32_t)DENOTRT_OK;
  });
}

int32_t engine_num_io(void* impl, int32_t* count, denotrt_error*) {
  *count = (int32_t)static_cast<TrtEngine*>(impl)->names.size();
  return DENOTRT_OK;
}

int32_t engine_io_tensor(void* impl, int32_t index, denotrt_tensor_desc* desc, denotrt_error* err) {
  static const char* api = "denotrt_engine_io_tensor";
  return guarded(err, api, [&]() -> int32_t {
    auto* e = static_cast<TrtEngine*>(impl);
    if (index < 0 || (size_t)index >= e->names.size())
      return DENOTRT_BAD_ARG(err, api, "index %d is outside 0..%zu", index, e->names.size());
    const char* name = e->names[index].c_str();
    CallScope scope;
    memset(desc, 0, sizeof *desc);
    if (strlen(name) >= sizeof desc->name)
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "tensor %d's name is longer than %zu bytes", index,
                          sizeof desc->name - 1);
    denotrt_copy_str(desc->name, sizeof desc->name, name);
    nvinfer1::DataType t = e->engine->getTensorDataType(name);
    if (!to_denotrt_dtype(t, &desc->dtype))
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "tensor '%s' has TensorRT type %s, which denotrt cannot hold",
                          name, trt_dtype_name(t));
    if (e->engine->getTensorFormat(name) != nvinfer1::TensorFormat::kLINEAR)
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                          "tensor '%s' uses the vectorized format %s; denotrt needs linear I/O (build without I/O "
                          "format constraints)",
                          name, e->engine->getTensorFormatDesc(name) ? e->engine->getTensorFormatDesc(name) : "?");
    desc->is_input = e->engine->getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT ? 1 : 0;
    return copy_dims(e->engine->getTensorShape(name), desc->dims, &desc->rank, api, name, err);
  });
}

int32_t engine_num_profiles(void* impl, int32_t* count, denotrt_error*) {
  *count = static_cast<TrtEngine*>(impl)->engine->getNbOptimizationProfiles();
  return DENOTRT_OK;
}

int32_t engine_profile_shape(void* impl, int32_t profile, const char* name, int32_t which, int64_t* dims,
                             int32_t* rank, denotrt_error* err) {
  static const char* api = "denotrt_engine_profile_shape";
  return guarded(err, api, [&]() -> int32_t {
    auto* e = static_cast<TrtEngine*>(impl);
    int32_t n = e->engine->getNbOptimizationProfiles();
    if (profile < 0 || profile >= n) return DENOTRT_BAD_ARG(err, api, "profile %d is outside 0..%d", profile, n - 1);
    nvinfer1::TensorIOMode mode;
    int32_t rc = check_io_name(e, name, api, &mode, err);
    if (rc != DENOTRT_OK) return rc;
    if (mode != nvinfer1::TensorIOMode::kINPUT)
      return DENOTRT_BAD_ARG(err, api, "'%s' is an output; profiles give shapes of inputs only", name);
    static const nvinfer1::OptProfileSelector sel[3] = {nvinfer1::OptProfileSelector::kMIN,
                                                        nvinfer1::OptProfileSelector::kOPT,
                                                        nvinfer1::OptProfileSelector::kMAX};
    CallScope scope;
    return copy_dims(e->engine->getProfileShape(name, profile, sel[which]), dims, rank, "getProfileShape", name, err);
  });
}

int32_t engine_inspect(void* impl, char* json, uint64_t capacity, uint64_t* needed, denotrt_error* err) {
  static const char* api = "denotrt_engine_inspect";
  return guarded(err, api, [&]() -> int32_t {
    auto* e = static_cast<TrtEngine*>(impl);
    CallScope scope;
    Ptr<nvinfer1::IEngineInspector> inspector(e->engine->createEngineInspector());
    if (!inspector) return trt_fail(err, "createEngineInspector", "TensorRT could not create an engine inspector");
    const char* info = inspector->getEngineInformation(nvinfer1::LayerInformationFormat::kJSON);
    if (!info) return trt_fail(err, "getEngineInformation", "TensorRT returned no engine information");
    size_t len = strlen(info);
    *needed = (uint64_t)len + 1;
    if (json && capacity) denotrt_copy_str(json, (size_t)capacity, info);
    return DENOTRT_OK;
  });
}

// ---------------------------------------------------------------- context ops
int32_t context_create(void* impl, void** out, denotrt_error* err) {
  static const char* api = "denotrt_context_create";
  return guarded(err, api, [&]() -> int32_t {
    auto* e = static_cast<TrtEngine*>(impl);
    CallScope scope;
    auto c = std::make_unique<TrtContext>();
    c->owner = e;
    if (t_user_memory.active) {
      c->ctx.reset(e->engine->createExecutionContext(nvinfer1::ExecutionContextAllocationStrategy::kUSER_MANAGED));
      if (!c->ctx)
        return trt_fail(err, "createExecutionContext", "TensorRT could not create an execution context (user-managed memory)");
      set_device_memory(*c->ctx, t_user_memory.address, t_user_memory.bytes);
    } else {
      c->ctx.reset(e->engine->createExecutionContext());
      if (!c->ctx)
        return trt_fail(err, "createExecutionContext",
                        "TensorRT could not create an execution context (out of device memory?)");
    }
    if (!scope.errors().empty())  // setDeviceMemoryV2 reports a refused buffer only through the logger
      return trt_fail(err, "setDeviceMemoryV2", "TensorRT refused the context's device memory");
    *out = c.release();
    return DENOTRT_OK;
  });
}

int32_t context_destroy(void* impl, denotrt_error* err) {
  return guarded(err, "denotrt_context_destroy", [&] {
    delete static_cast<TrtContext*>(impl);
    return (int32_t)DENOTRT_OK;
  });
}

int32_t context_set_profile(void* impl, int32_t profile, denotrt_error* err) {
  static const char* api = "denotrt_context_set_optimization_profile";
  return guarded(err, api, [&]() -> int32_t {
    auto* c = static_cast<TrtContext*>(impl);
    int32_t n = c->owner->engine->getNbOptimizationProfiles();
    if (profile < 0 || profile >= n) return DENOTRT_BAD_ARG(err, api, "profile %d is outside 0..%d", profile, n - 1);
    if (!c->profile_stream)
      DENOTRT_CUDA_CHECK(err, cudaStreamCreateWithFlags(&c->profile_stream, cudaStreamNonBlocking));
    CallScope scope;
    if (!c->ctx->setOptimizationProfileAsync(profile, c->profile_stream))
      return trt_fail(err, "setOptimizationProfileAsync", "TensorRT refused profile %d", profile);
    // The switch is complete before the caller enqueues on any stream of theirs.
    DENOTRT_CUDA_CHECK(err, cudaStreamSynchronize(c->profile_stream));
    return DENOTRT_OK;
  });
}

int32_t context_set_input_shape(void* impl, const char* name, int32_t rank, const int64_t* dims, denotrt_error* err) {
  static const char* api = "denotrt_context_set_input_shape";
  return guarded(err, api, [&]() -> int32_t {
    auto* c = static_cast<TrtContext*>(impl);
    const TrtEngine* e = c->owner;
    nvinfer1::TensorIOMode mode;
    int32_t rc = check_io_name(e, name, api, &mode, err);
    if (rc != DENOTRT_OK) return rc;
    if (mode != nvinfer1::TensorIOMode::kINPUT)
      return DENOTRT_BAD_ARG(err, api, "'%s' is an output; only inputs take a shape", name);
    nvinfer1::Dims want = e->engine->getTensorShape(name);
    if (want.nbDims != rank)
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "", "input '%s' has rank %d (%s), got rank %d", name,
                          want.nbDims, dims_string(want).c_str(), rank);
    nvinfer1::Dims d;
    d.nbDims = rank;
    for (int32_t i = 0; i < rank; i++) d.d[i] = dims[i];
    CallScope scope;
    if (!c->ctx->setInputShape(name, d)) {
      int32_t p = c->ctx->getOptimizationProfile();
      std::string range;
      if (p >= 0) {
        range = " (profile " + std::to_string(p) + " allows " +
                dims_string(e->engine->getProfileShape(name, p, nvinfer1::OptProfileSelector::kMIN)) + " to " +
                dims_string(e->engine->getProfileShape(name, p, nvinfer1::OptProfileSelector::kMAX)) + ")";
      }
      return trt_fail_status(err, DENOTRT_SHAPE_ERROR, "setInputShape", "shape %s of input '%s' was refused%s",
                             dims_string(d).c_str(), name, range.c_str());
    }
    return DENOTRT_OK;
  });
}

int32_t context_tensor_shape(void* impl, const char* name, int64_t* dims, int32_t* rank, denotrt_error* err) {
  static const char* api = "denotrt_context_tensor_shape";
  return guarded(err, api, [&]() -> int32_t {
    auto* c = static_cast<TrtContext*>(impl);
    int32_t rc = check_io_name(c->owner, name, api, nullptr, err);
    if (rc != DENOTRT_OK) return rc;
    CallScope scope;
    return copy_dims(c->ctx->getTensorShape(name), dims, rank, "getTensorShape", name, err);
  });
}

int32_t context_set_tensor_address(void* impl, const char* name, uint64_t address, denotrt_error* err) {
  static const char* api = "denotrt_context_set_tensor_address";
  return guarded(err, api, [&]() -> int32_t {
    auto* c = static_cast<TrtContext*>(impl);
    int32_t rc = check_io_name(c->owner, name, api, nullptr, err);
    if (rc != DENOTRT_OK) return rc;
    if (address % kAlignment != 0)
      return DENOTRT_BAD_ARG(err, api, "address 0x%llx of '%s' is not %llu-byte aligned (TensorRT needs it)",
                             (unsigned long long)address, name, (unsigned long long)kAlignment);
    CallScope scope;
    if (!c->ctx->setTensorAddress(name, reinterpret_cast<void*>((uintptr_t)address)))
      return trt_fail(err, "setTensorAddress", "TensorRT refused address 0x%llx for '%s'", (unsigned long long)address,
                      name);
    return DENOTRT_OK;
  });
}

int32_t context_enqueue(void* impl, void* cuda_stream, denotrt_error* err) {
  static const char* api = "denotrt_context_enqueue";
  return guarded(err, api, [&]() -> int32_t {
    auto* c = static_cast<TrtContext*>(impl);
    CallScope scope;
    if (!c->ctx->allInputDimensionsSpecified()) {
      std::string missing;
      for (const std::string& n : c->owner->names) {
        if (c->owner->engine->getTensorIOMode(n.c_str()) != nvinfer1::TensorIOMode::kINPUT) continue;
        nvinfer1::Dims d = c->ctx->getTensorShape(n.c_str());
        bool dynamic = d.nbDims < 0;
        for (int32_t i = 0; i < d.nbDims; i++) dynamic = dynamic || d.d[i] < 0;
        if (dynamic) missing += (missing.empty() ? "'" : ", '") + n + "'";
      }
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "",
                          "set the shape of dynamic input(s) %s with denotrt_context_set_input_shape first",
                          missing.c_str());
    }
    if (!c->ctx->enqueueV3(static_cast<cudaStream_t>(cuda_stream)))
      return trt_fail(err, "enqueueV3", "TensorRT could not enqueue the network");
    return DENOTRT_OK;
  });
}

const denotrt_engine_ops kTensorRTOps = {
    "tensorrt",
    DENOTRT_PROVIDER_TENSORRT,
    engine_destroy,
    engine_num_io,
    engine_io_tensor,
    engine_num_profiles,
    engine_profile_shape,
    engine_inspect,
    context_create,
    context_destroy,
    context_set_profile,
    context_set_input_shape,
    context_tensor_shape,
    context_set_tensor_address,
    context_enqueue,
    nullptr,  // profile: TensorRT's IProfiler is not wired yet
};

int32_t engine_of(denotrt_engine* handle, const char* api, TrtEngine** out, denotrt_error* err) {
  if (!denotrt_tag_ok(handle, DENOTRT_HANDLE_ENGINE)) return DENOTRT_BAD_ARG(err, api, "not a live engine handle");
  if (denotrt_engine_provider(handle) != DENOTRT_PROVIDER_TENSORRT)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "", "this engine is not a TensorRT engine");
  *out = static_cast<TrtEngine*>(denotrt_engine_impl(handle, &kTensorRTOps));
  if (!*out) return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, api, "", "the engine has no TensorRT implementation");
  return DENOTRT_OK;
}

}  // namespace

extern "C" {

int32_t denotrt_tensorrt_deserialize(const void* plan, uint64_t bytes, const denotrt_engine_ops** ops, void** engine,
                                     denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_deserialize";
  return guarded(err, api, [&]() -> int32_t {
    const Library* lib = nullptr;
    int32_t rc = load_library(&lib, err);
    if (rc != DENOTRT_OK) return rc;
    const int32_t lib_major = lib->version / 10000, lib_minor = (lib->version / 100) % 100;
    const int32_t lib_patch = lib->version % 100;
    // Refuse a plan from another TensorRT before deserializing: TensorRT's own message for that ("Version tag does
    // not match", "magic tag") does not say which versions are involved. DENOTRT_TENSORRT_SKIP_PLAN_CHECK=1 skips
    // the header check (plan_header.cpp says what is known about the layout).
    if (!env_flag("DENOTRT_TENSORRT_SKIP_PLAN_CHECK")) {
      int32_t major = 0, minor = 0, patch = 0;
      switch (read_plan_header(plan, bytes, &major, &minor, &patch)) {
        case PlanHeader::kOk:
          if (major != lib_major || minor != lib_minor) {
            if (major == lib_major && env_flag("DENOTRT_TENSORRT_ALLOW_VERSION_MISMATCH")) {
              char line[256];
              snprintf(line, sizeof line,
                       "TensorRT provider: plan built by TensorRT %d.%d, loaded library is %d.%d; trying anyway "
                       "(DENOTRT_TENSORRT_ALLOW_VERSION_MISMATCH)",
                       major, minor, lib_major, lib_minor);
              denotrt_log_write(DENOTRT_SEVERITY_WARNING, line);
              break;
            }
            return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "",
                                "plan built by TensorRT %d.%d, loaded library is %d.%d: rebuild the plan with "
                                "TensorRT %d.%d (or load TensorRT %d.%d)",
                                major, minor, lib_major, lib_minor, lib_major, lib_minor, major, minor);
          }
          if (patch != lib_patch) {
            char line[200];
            snprintf(line, sizeof line, "TensorRT provider: plan built by TensorRT %d.%d.%d, loaded library is %d.%d.%d",
                     major, minor, patch, lib_major, lib_minor, lib_patch);
            denotrt_log_write(DENOTRT_SEVERITY_INFO, line);
          }
          break;
        case PlanHeader::kNoVersion:
          denotrt_log_write(DENOTRT_SEVERITY_WARNING,
                            "TensorRT provider: the plan's header has no version the shim can read; letting TensorRT "
                            "decide whether it can load it");
          break;
        case PlanHeader::kBuiltin:
        case PlanHeader::kTooShort:
        case PlanHeader::kBadMagic: {
          int32_t a, b, c;
          return denotrt_tensorrt_plan_version(plan, bytes, &a, &b, &c, err);  // fills the precise message
        }
      }
    }
    CallScope scope;
    auto e = std::make_unique<TrtEngine>();
    e->runtime.reset(static_cast<nvinfer1::IRuntime*>(lib->create_runtime(&logger(), (int32_t)NV_TENSORRT_VERSION)));
    if (!e->runtime) return trt_fail(err, "createInferRuntime_INTERNAL", "TensorRT could not create a runtime");
    e->engine.reset(e->runtime->deserializeCudaEngine(plan, (size_t)bytes));
    if (!e->engine) return trt_fail(err, "deserializeCudaEngine", "TensorRT could not deserialize the plan");
    int32_t n = e->engine->getNbIOTensors();
    e->names.reserve(n > 0 ? (size_t)n : 0);
    for (int32_t i = 0; i < n; i++) {
      const char* name = e->engine->getIOTensorName(i);
      e->names.emplace_back(name ? name : "");
    }
    *ops = &kTensorRTOps;
    *engine = e.release();
    return DENOTRT_OK;
  });
}

int32_t denotrt_tensorrt_device_memory_size(denotrt_engine* handle, uint64_t* bytes, denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_device_memory_size";
  if (!bytes) return DENOTRT_BAD_ARG(err, api, "bytes must not be NULL");
  return guarded(err, api, [&]() -> int32_t {
    TrtEngine* e = nullptr;
    int32_t rc = engine_of(handle, api, &e, err);
    if (rc != DENOTRT_OK) return rc;
    int64_t size = device_memory_size(*e->engine);
    if (size < 0) return trt_fail(err, "getDeviceMemorySizeV2", "TensorRT reported no device memory size");
    *bytes = (uint64_t)size;
    return DENOTRT_OK;
  });
}

int32_t denotrt_tensorrt_context_create_with_memory(denotrt_engine* handle, uint64_t device_address, uint64_t bytes,
                                                    denotrt_context** out, denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_context_create_with_memory";
  if (!out) return DENOTRT_BAD_ARG(err, api, "out must not be NULL");
  return guarded(err, api, [&]() -> int32_t {
    TrtEngine* e = nullptr;
    int32_t rc = engine_of(handle, api, &e, err);
    if (rc != DENOTRT_OK) return rc;
    int64_t need = device_memory_size(*e->engine);
    if (need > 0 && device_address == 0) return DENOTRT_BAD_ARG(err, api, "device_address must not be 0");
    if (device_address % kAlignment != 0)
      return DENOTRT_BAD_ARG(err, api, "device address 0x%llx is not %llu-byte aligned",
                             (unsigned long long)device_address, (unsigned long long)kAlignment);
    if (need > 0 && bytes < (uint64_t)need)
      return DENOTRT_BAD_ARG(err, api, "the context needs %lld bytes of device memory, got %llu", (long long)need,
                             (unsigned long long)bytes);
    if (t_user_memory.active) return DENOTRT_BAD_ARG(err, api, "re-entered on the same thread");
    t_user_memory = UserMemory{true, reinterpret_cast<void*>((uintptr_t)device_address), (int64_t)bytes};
    rc = denotrt_context_create(handle, out, err);
    t_user_memory = UserMemory{};
    return rc;
  });
}

int32_t denotrt_tensorrt_refit_weights(denotrt_engine* handle, const char* name, int32_t dtype, const void* data,
                                       int64_t count, denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_refit_weights";
  if (!name || !*name) return DENOTRT_BAD_ARG(err, api, "name must be a non-empty string");
  if (count < 0 || (count > 0 && !data)) return DENOTRT_BAD_ARG(err, api, "data must hold count (%lld) values", (long long)count);
  return guarded(err, api, [&]() -> int32_t {
    TrtEngine* e = nullptr;
    int32_t rc = engine_of(handle, api, &e, err);
    if (rc != DENOTRT_OK) return rc;
    nvinfer1::DataType type;
    if (!to_trt_dtype(dtype, &type)) return DENOTRT_BAD_ARG(err, api, "dtype %d has no TensorRT equivalent", dtype);
    if (!e->engine->isRefittable())
      return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                          "the engine is not refittable: build it with DENOTRT_TRT_BUILD_REFIT");
    const Library* lib = nullptr;
    rc = load_library(&lib, err);
    if (rc != DENOTRT_OK) return rc;
    if (!lib->create_refitter)
      return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, api, "", "libnvinfer lacks createInferRefitter_INTERNAL");
    CallScope scope;
    Ptr<nvinfer1::IRefitter> refitter(static_cast<nvinfer1::IRefitter*>(
        lib->create_refitter(e->engine.get(), &logger(), (int32_t)NV_TENSORRT_VERSION)));
    if (!refitter) return trt_fail(err, "createInferRefitter_INTERNAL", "TensorRT could not create a refitter");
    nvinfer1::Weights proto = refitter->getWeightsPrototype(name);
    if (proto.count < 0) return DENOTRT_BAD_ARG(err, api, "the engine has no refittable weights named '%s'", name);
    if (proto.count != count || proto.type != type)
      return DENOTRT_BAD_ARG(err, api, "weights '%s' are %lld x %s, got %lld x %s", name, (long long)proto.count,
                             trt_dtype_name(proto.type), (long long)count, trt_dtype_name(type));
    nvinfer1::Weights w{type, data, count};
    if (!refitter->setNamedWeights(name, w))
      return trt_fail(err, "setNamedWeights", "TensorRT refused the weights '%s'", name);
    if (!refitter->refitCudaEngine()) {
      int32_t n = refitter->getMissingWeights(0, nullptr);
      std::string missing;
      if (n > 0) {
        std::vector<const char*> names((size_t)n);
        n = refitter->getMissingWeights(n, names.data());
        for (int32_t i = 0; i < n && missing.size() < 200; i++) missing += std::string(i ? ", " : "") + names[i];
        return trt_fail(err, "refitCudaEngine", "refitting '%s' also needs new values for: %s", name, missing.c_str());
      }
      return trt_fail(err, "refitCudaEngine", "TensorRT could not refit the engine with '%s'", name);
    }
    return DENOTRT_OK;
  });
}

}  // extern "C"
