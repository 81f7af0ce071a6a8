// Internal to the TensorRT provider: the dlopen'ed library, the ILogger that feeds denotrt's log queue, and error
// helpers. Compiled only with TensorRT's headers (DENOTRT_WITH_TENSORRT). Nothing here crosses the C boundary.
#ifndef DENOTRT_TRT_INTERNAL_H
#define DENOTRT_TRT_INTERNAL_H

#include <NvInfer.h>
#include <NvInferRuntime.h>

#include <memory>
#include <string>

#include "../common.h"
#include "../../include/denotrt_tensorrt.h"

#if !defined(NV_TENSORRT_MAJOR) || NV_TENSORRT_MAJOR < 10
#error "denotrt's TensorRT provider needs TensorRT 10 or later headers"
#endif

// TensorRT 10.1 added the 64-bit device memory calls (getDeviceMemorySizeV2, setDeviceMemoryV2).
#if NV_TENSORRT_MAJOR > 10 || NV_TENSORRT_MINOR >= 1
#define DENOTRT_TRT_MEMORY_V2 1
#else
#define DENOTRT_TRT_MEMORY_V2 0
#endif

namespace denotrt_trt {

// Factory entry points, resolved with dlsym. Their C signatures are the ones NvInfer*.h and NvOnnxParser.h declare.
using CreateRuntimeFn = void* (*)(void* logger, int32_t version);
using CreateBuilderFn = void* (*)(void* logger, int32_t version);
using CreateRefitterFn = void* (*)(void* engine, void* logger, int32_t version);
using GetVersionFn = int32_t (*)();
using InitPluginsFn = bool (*)(void* logger, const char* ns);
using CreateParserFn = void* (*)(void* network, void* logger, int version);

struct Library {
  void* nvinfer = nullptr;
  void* plugins = nullptr;  // optional
  void* parser = nullptr;   // loaded on first build
  std::string path;         // where libnvinfer came from
  std::string dir;          // its directory ("" when found through the loader's search)
  int32_t version = 0;      // getInferLibVersion(): major*10000 + minor*100 + patch
  CreateRuntimeFn create_runtime = nullptr;
  CreateBuilderFn create_builder = nullptr;
  CreateRefitterFn create_refitter = nullptr;
  CreateParserFn create_parser = nullptr;
};

// Loads libnvinfer (and libnvinfer_plugin when present) once; a failure is not cached, so a later call retries.
// Returns DENOTRT_OK and *out, or a status (DENOTRT_LIBRARY_ERROR) with err filled.
int32_t load_library(const Library** out, denotrt_error* err);
// Also loads libnvonnxparser (needed only to build).
int32_t load_parser(const Library** out, denotrt_error* err);

// The process-wide ILogger. Never destroyed: TensorRT may log from its threads until the process exits.
nvinfer1::ILogger& logger();

// TensorRT reports what went wrong through the logger, on the calling thread, just before returning false/nullptr.
// A CallScope collects the errors logged on this thread while it lives, so that a failure can quote them.
class CallScope {
 public:
  CallScope();
  ~CallScope();
  CallScope(const CallScope&) = delete;
  CallScope& operator=(const CallScope&) = delete;
  const std::string& errors() const;  // "" when TensorRT logged no error
};

// Fills err with DENOTRT_TENSORRT_ERROR (api = the TensorRT call), appending the errors TensorRT logged in the
// current CallScope. printf-style.
int32_t trt_fail(denotrt_error* err, const char* call, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
// Same with another status (e.g. DENOTRT_SHAPE_ERROR) when TensorRT refused a caller's value.
int32_t trt_fail_status(denotrt_error* err, int32_t status, const char* call, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

// Delete TensorRT objects with `delete` (TensorRT 10+: destroy() is gone).
template <typename T>
using Ptr = std::unique_ptr<T>;

// dtype mapping
bool to_denotrt_dtype(nvinfer1::DataType t, int32_t* out);
bool to_trt_dtype(int32_t d, nvinfer1::DataType* out);
const char* trt_dtype_name(nvinfer1::DataType t);

std::string dims_string(const nvinfer1::Dims& d);

inline int64_t device_memory_size(const nvinfer1::ICudaEngine& e) {
#if DENOTRT_TRT_MEMORY_V2
  return e.getDeviceMemorySizeV2();
#else
  return (int64_t)e.getDeviceMemorySize();
#endif
}
inline void set_device_memory(nvinfer1::IExecutionContext& c, void* memory, int64_t bytes) {
#if DENOTRT_TRT_MEMORY_V2
  c.setDeviceMemoryV2(memory, bytes);
#else
  (void)bytes;
  c.setDeviceMemory(memory);
#endif
}

}  // namespace denotrt_trt

#endif
