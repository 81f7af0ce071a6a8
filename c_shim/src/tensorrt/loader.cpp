// Finds and loads TensorRT at run time (the shim never links it), the ILogger that feeds denotrt's log queue, and the
// error helpers shared by the TensorRT provider.
#include <dlfcn.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "trt_internal.h"

#define DENOTRT_STR2(x) #x
#define DENOTRT_STR(x) DENOTRT_STR2(x)
#define TRT_MAJOR_STR DENOTRT_STR(NV_TENSORRT_MAJOR)

namespace denotrt_trt {
namespace {

// ---------------------------------------------------------------- logger
thread_local int t_scope_depth = 0;
thread_local std::string t_scope_errors;

class Logger final : public nvinfer1::ILogger {
 public:
  void log(Severity severity, nvinfer1::AsciiChar const* msg) noexcept override {
    if (!msg) return;
    int32_t s;
    switch (severity) {
      case Severity::kINTERNAL_ERROR: s = DENOTRT_SEVERITY_INTERNAL_ERROR; break;
      case Severity::kERROR: s = DENOTRT_SEVERITY_ERROR; break;
      case Severity::kWARNING: s = DENOTRT_SEVERITY_WARNING; break;
      case Severity::kINFO: s = DENOTRT_SEVERITY_INFO; break;
      default: s = DENOTRT_SEVERITY_VERBOSE; break;
    }
    if (s <= DENOTRT_SEVERITY_ERROR && t_scope_depth > 0) {
      try {
        if (!t_scope_errors.empty()) t_scope_errors += " | ";
        if (t_scope_errors.size() < 2048) t_scope_errors += msg;
      } catch (...) {  // never let an exception cross into TensorRT
      }
    }
    if (s > denotrt_log_get_severity()) return;
    // "TensorRT: " prefix so that the TypeScript side can tell TensorRT's records from the shim's own.
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "TensorRT: %s", msg);
    if (n >= 0 && (size_t)n < sizeof buf) {
      denotrt_log_write(s, buf);
      return;
    }
    try {
      std::string long_text = std::string("TensorRT: ") + msg;
      denotrt_log_write(s, long_text.c_str());
    } catch (...) {
      denotrt_log_write(s, buf);  // truncated
    }
  }
};

// Placement-constructed and never destroyed: TensorRT objects may log from their threads during process exit.
alignas(Logger) unsigned char g_logger_storage[sizeof(Logger)];
Logger* g_logger = nullptr;
std::once_flag g_logger_once;

// ---------------------------------------------------------------- library
std::mutex g_lib_mutex;
Library g_lib;
bool g_lib_loaded = false;

const char kInstallHint[] =
    "Install TensorRT " TRT_MAJOR_STR ".x (pip install tensorrt-cu13, tarball or deb; see docs/TENSORRT.md) and add "
    "its lib dir to LD_LIBRARY_PATH, or set DENOTRT_TENSORRT_LIB";

std::string dir_of(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? std::string() : path.substr(0, slash);
}

void add_glob(std::vector<std::string>& out, const std::string& pattern) {
  glob_t g;
  memset(&g, 0, sizeof g);
  if (glob(pattern.c_str(), 0, nullptr, &g) == 0)
    for (size_t i = 0; i < g.gl_pathc; i++) out.emplace_back(g.gl_pathv[i]);
  globfree(&g);
}

std::vector<std::string> nvinfer_candidates(bool* explicit_path) {
  const std::string soname = "libnvinfer.so." TRT_MAJOR_STR;
  std::vector<std::string> c;
  const char* env = getenv("DENOTRT_TENSORRT_LIB");
  *explicit_path = env && *env;
  if (*explicit_path) {
    c.emplace_back(env);
    return c;
  }
  c.push_back(soname);  // the dynamic loader's own search: LD_LIBRARY_PATH, ld.so.cache, /usr/lib...
  if (const char* root = getenv("TENSORRT_ROOT"); root && *root) {
    c.push_back(std::string(root) + "/lib/" + soname);
    c.push_back(std::string(root) + "/lib64/" + soname);
    c.push_back(std::string(root) + "/targets/x86_64-linux-gnu/lib/" + soname);
  }
  if (const char* venv = getenv("VIRTUAL_ENV"); venv && *venv)  // pip wheels: site-packages/tensorrt_libs
    add_glob(c, std::string(venv) + "/lib/python3*/site-packages/tensorrt_libs/" + soname);
#if defined(__aarch64__)
  c.push_back("/usr/lib/aarch64-linux-gnu/" + soname);
#else
  c.push_back("/usr/lib/x86_64-linux-gnu/" + soname);
#endif
  c.push_back("/usr/local/tensorrt/lib/" + soname);
  c.push_back("/opt/tensorrt/lib/" + soname);
  if (const char* home = getenv("HOME"); home && *home)
    add_glob(c, std::string(home) + "/.local/lib/python3*/site-packages/tensorrt_libs/" + soname);
  add_glob(c, "/usr/local/lib/python3*/dist-packages/tensorrt_libs/" + soname);
  add_glob(c, "/usr/lib/python3/dist-packages/tensorrt_libs/" + soname);
  return c;
}

// Opens a companion library (plugins, ONNX parser) from libnvinfer's directory first, then by soname.
void* open_companion(const char* stem, std::string* tried) {
  const std::string soname = std::string(stem) + ".so." TRT_MAJOR_STR;
  std::vector<std::string> c;
  if (!g_lib.dir.empty()) c.push_back(g_lib.dir + "/" + soname);
  c.push_back(soname);
  for (const std::string& p : c) {
    void* h = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (h) return h;
    const char* e = dlerror();
    if (!tried->empty()) *tried += "; ";
    *tried += p + ": " + (e ? e : "dlopen failed");
  }
  return nullptr;
}

int32_t library_fail(denotrt_error* err, const std::string& detail_for_log, const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int32_t library_fail(denotrt_error* err, const std::string& detail_for_log, const char* fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  std::string full = std::string("TensorRT provider: ") + msg;
  if (!detail_for_log.empty()) full += " [" + detail_for_log + "]";
  // INFO, not ERROR: the failure itself is returned to the caller, and provider "auto" probes for TensorRT on every
  // machine; the log only carries the per-path dlerror detail that does not fit in the error record.
  denotrt_log_write(DENOTRT_SEVERITY_INFO, full.c_str());
  return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, "dlopen", "", "%s", msg);
}

}  // namespace

nvinfer1::ILogger& logger() {
  std::call_once(g_logger_once, [] { g_logger = new (g_logger_storage) Logger(); });
  return *g_logger;
}

CallScope::CallScope() {
  if (t_scope_depth++ == 0) t_scope_errors.clear();
}
CallScope::~CallScope() { t_scope_depth--; }
const std::string& CallScope::errors() const { return t_scope_errors; }

static int32_t vfail(denotrt_error* err, int32_t status, const char* call, const char* fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  if (t_scope_depth > 0 && !t_scope_errors.empty())
    return denotrt_fail(err, status, 0, call, "TensorRT", "%s: %s", msg, t_scope_errors.c_str());
  return denotrt_fail(err, status, 0, call, "TensorRT", "%s", msg);
}

int32_t trt_fail(denotrt_error* err, const char* call, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int32_t rc = vfail(err, DENOTRT_TENSORRT_ERROR, call, fmt, ap);
  va_end(ap);
  return rc;
}

int32_t trt_fail_status(denotrt_error* err, int32_t status, const char* call, const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int32_t rc = vfail(err, status, call, fmt, ap);
  va_end(ap);
  return rc;
}

int32_t load_library(const Library** out, denotrt_error* err) {
  std::lock_guard<std::mutex> lock(g_lib_mutex);
  if (g_lib_loaded) {
    *out = &g_lib;
    return DENOTRT_OK;
  }
  bool explicit_path = false;
  std::vector<std::string> candidates;
  try {
    candidates = nvinfer_candidates(&explicit_path);
  } catch (...) {
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "load_library", "", "out of host memory");
  }
  std::string tried, log_detail, refused;
  for (const std::string& path : candidates) {
    void* h = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      const char* e = dlerror();
      if (!tried.empty()) tried += ", ";
      tried += path;
      if (!log_detail.empty()) log_detail += "; ";
      std::string why = e ? e : "dlopen failed";
      log_detail += why.compare(0, path.size(), path) == 0 ? why : path + ": " + why;
      continue;
    }
    auto create_runtime = reinterpret_cast<CreateRuntimeFn>(dlsym(h, "createInferRuntime_INTERNAL"));
    auto create_builder = reinterpret_cast<CreateBuilderFn>(dlsym(h, "createInferBuilder_INTERNAL"));
    auto create_refitter = reinterpret_cast<CreateRefitterFn>(dlsym(h, "createInferRefitter_INTERNAL"));
    auto get_version = reinterpret_cast<GetVersionFn>(dlsym(h, "getInferLibVersion"));
    if (!create_runtime || !get_version) {
      dlclose(h);
      if (explicit_path) {
        return library_fail(err, "",
                            "DENOTRT_TENSORRT_LIB=%s was loaded, but it is not TensorRT's libnvinfer: it lacks %s. %s",
                            path.c_str(), create_runtime ? "getInferLibVersion" : "createInferRuntime_INTERNAL",
                            kInstallHint);
      }
      if (!tried.empty()) tried += ", ";
      tried += path + " (not libnvinfer)";
      continue;
    }
    int32_t v = get_version();
    int32_t major = v / 10000, minor = (v / 100) % 100, patch = v % 100;
    // TensorRT keeps its C++ ABI within a major for libraries at least as new as the headers an application was
    // compiled with; an older library lacks methods those headers call, so it is refused too.
    if (major == NV_TENSORRT_MAJOR && minor < NV_TENSORRT_MINOR) {
      dlclose(h);
      char buf[512];
      snprintf(buf, sizeof buf,
               "%s is TensorRT %d.%d.%d, older than the TensorRT %d.%d headers this shim was compiled against; "
               "install TensorRT %d.%d or later, or rebuild the shim against the headers of %d.%d",
               path.c_str(), major, minor, patch, NV_TENSORRT_MAJOR, NV_TENSORRT_MINOR, NV_TENSORRT_MAJOR,
               NV_TENSORRT_MINOR, major, minor);
      if (explicit_path) return library_fail(err, "", "%s", buf);
      refused = buf;
      if (!tried.empty()) tried += ", ";
      tried += path + " (too old)";
      continue;
    }
    if (major != NV_TENSORRT_MAJOR) {
      dlclose(h);
      char buf[512];
      snprintf(buf, sizeof buf,
               "%s is TensorRT %d.%d.%d, but this shim was compiled against TensorRT %d headers (%d.%d.%d); "
               "install TensorRT %d.x or rebuild the shim with TENSORRT_INCLUDE pointing at TensorRT %d's headers",
               path.c_str(), major, minor, patch, NV_TENSORRT_MAJOR, NV_TENSORRT_MAJOR, NV_TENSORRT_MINOR,
               NV_TENSORRT_PATCH, NV_TENSORRT_MAJOR, major);
      if (explicit_path) return library_fail(err, "", "%s", buf);
      refused = buf;
      if (!tried.empty()) tried += ", ";
      tried += path + " (wrong major)";
      continue;
    }
    g_lib.nvinfer = h;
    g_lib.version = v;
    g_lib.create_runtime = create_runtime;
    g_lib.create_builder = create_builder;
    g_lib.create_refitter = create_refitter;
    Dl_info info;
    memset(&info, 0, sizeof info);
    g_lib.path = (dladdr(reinterpret_cast<void*>(create_runtime), &info) && info.dli_fname) ? info.dli_fname : path;
    g_lib.dir = dir_of(g_lib.path);
    // Plugins are optional: plans that use TensorRT's standard plugins need them, the others do not.
    std::string plugin_tried;
    g_lib.plugins = open_companion("libnvinfer_plugin", &plugin_tried);
    if (g_lib.plugins) {
      auto init = reinterpret_cast<InitPluginsFn>(dlsym(g_lib.plugins, "initLibNvInferPlugins"));
      if (!init || !init(&logger(), ""))
        denotrt_log_write(DENOTRT_SEVERITY_WARNING,
                          "TensorRT provider: libnvinfer_plugin was found but initLibNvInferPlugins failed; plans "
                          "that use TensorRT's plugins will not deserialize");
    } else {
      std::string w = "TensorRT provider: libnvinfer_plugin." TRT_MAJOR_STR
                      " not found (plans that use TensorRT's plugins will not deserialize): " + plugin_tried;
      denotrt_log_write(DENOTRT_SEVERITY_INFO, w.c_str());
    }
    char line[600];
    snprintf(line, sizeof line, "TensorRT provider: loaded TensorRT %d.%d.%d from %s", major, minor, patch,
             g_lib.path.c_str());
    denotrt_log_write(DENOTRT_SEVERITY_INFO, line);
    g_lib_loaded = true;
    *out = &g_lib;
    return DENOTRT_OK;
  }
  if (explicit_path)
    return library_fail(err, "", "could not load DENOTRT_TENSORRT_LIB (%s). %s",
                        log_detail.empty() ? candidates[0].c_str() : log_detail.c_str(), kInstallHint);
  if (!refused.empty()) return library_fail(err, log_detail, "%s", refused.c_str());
  return library_fail(err, log_detail, "TensorRT's libnvinfer.so." TRT_MAJOR_STR " was not found. %s. Tried: %s",
                      kInstallHint, tried.c_str());
}

int32_t load_parser(const Library** out, denotrt_error* err) {
  const Library* lib = nullptr;
  int32_t rc = load_library(&lib, err);
  if (rc != DENOTRT_OK) return rc;
  std::lock_guard<std::mutex> lock(g_lib_mutex);
  if (g_lib.create_parser) {
    *out = &g_lib;
    return DENOTRT_OK;
  }
  std::string tried;
  void* h = open_companion("libnvonnxparser", &tried);
  if (!h) {
    return library_fail(err, "",
                 "TensorRT's ONNX parser libnvonnxparser.so." TRT_MAJOR_STR
                 " was not found (tried %s); it ships with TensorRT (pip tensorrt-cu13, tarball, or the deb package "
                 "libnvonnxparsers" TRT_MAJOR_STR ")",
                 tried.c_str());
  }
  auto create = reinterpret_cast<CreateParserFn>(dlsym(h, "createNvOnnxParser_INTERNAL"));
  if (!create) {
    dlclose(h);
    return library_fail(err, "", "libnvonnxparser.so." TRT_MAJOR_STR " lacks createNvOnnxParser_INTERNAL");
  }
  g_lib.parser = h;
  g_lib.create_parser = create;
  *out = &g_lib;
  return DENOTRT_OK;
}

// ---------------------------------------------------------------- dtypes
bool to_denotrt_dtype(nvinfer1::DataType t, int32_t* out) {
  using nvinfer1::DataType;
  switch (t) {
    case DataType::kFLOAT: *out = DENOTRT_FLOAT32; return true;
    case DataType::kHALF: *out = DENOTRT_FLOAT16; return true;
    case DataType::kBF16: *out = DENOTRT_BFLOAT16; return true;
    case DataType::kINT8: *out = DENOTRT_INT8; return true;
    case DataType::kUINT8: *out = DENOTRT_UINT8; return true;
    case DataType::kINT32: *out = DENOTRT_INT32; return true;
    case DataType::kINT64: *out = DENOTRT_INT64; return true;
    case DataType::kBOOL: *out = DENOTRT_BOOL; return true;
    case DataType::kFP8: *out = DENOTRT_FP8_E4M3; return true;
    default: return false;  // kINT4, kFP4, kE8M0: sub-byte or scale types denotrt has no code for
  }
}

bool to_trt_dtype(int32_t d, nvinfer1::DataType* out) {
  using nvinfer1::DataType;
  switch (d) {
    case DENOTRT_FLOAT32: *out = DataType::kFLOAT; return true;
    case DENOTRT_FLOAT16: *out = DataType::kHALF; return true;
    case DENOTRT_BFLOAT16: *out = DataType::kBF16; return true;
    case DENOTRT_INT8: *out = DataType::kINT8; return true;
    case DENOTRT_UINT8: *out = DataType::kUINT8; return true;
    case DENOTRT_INT32: *out = DataType::kINT32; return true;
    case DENOTRT_INT64: *out = DataType::kINT64; return true;
    case DENOTRT_BOOL: *out = DataType::kBOOL; return true;
    case DENOTRT_FP8_E4M3: *out = DataType::kFP8; return true;
    default: return false;  // DENOTRT_FLOAT64: TensorRT has no fp64
  }
}

const char* trt_dtype_name(nvinfer1::DataType t) {
  using nvinfer1::DataType;
  switch (t) {
    case DataType::kFLOAT: return "float32";
    case DataType::kHALF: return "float16";
    case DataType::kBF16: return "bfloat16";
    case DataType::kINT8: return "int8";
    case DataType::kUINT8: return "uint8";
    case DataType::kINT32: return "int32";
    case DataType::kINT64: return "int64";
    case DataType::kBOOL: return "bool";
    case DataType::kFP8: return "fp8";
    case DataType::kINT4: return "int4";
    default: break;
  }
  switch (static_cast<int32_t>(t)) {  // added after 10.0: named by value so that older 10.x headers compile
    case 10: return "fp4";
    case 11: return "e8m0";
  }
  return "unknown";
}

std::string dims_string(const nvinfer1::Dims& d) {
  std::string s = "[";
  for (int32_t i = 0; i < d.nbDims && i < nvinfer1::Dims::MAX_DIMS; i++) {
    if (i) s += ",";
    s += std::to_string((long long)d.d[i]);
  }
  return s + "]";
}

}  // namespace denotrt_trt

using namespace denotrt_trt;

extern "C" {

int32_t denotrt_tensorrt_compiled_version(int32_t* major, int32_t* minor, int32_t* patch) {
  if (major) *major = NV_TENSORRT_MAJOR;
  if (minor) *minor = NV_TENSORRT_MINOR;
  if (patch) *patch = NV_TENSORRT_PATCH;
  return NV_TENSORRT_MAJOR;
}

int32_t denotrt_tensorrt_load(int32_t* version, char* path, uint64_t capacity, denotrt_error* err) {
  const Library* lib = nullptr;
  int32_t rc = load_library(&lib, err);
  if (rc != DENOTRT_OK) return rc;
  if (version) *version = lib->version;
  if (path && capacity) denotrt_copy_str(path, (size_t)capacity, lib->path.c_str());
  return DENOTRT_OK;
}

}  // extern "C"
