// ONNX -> TensorRT plan: nvonnxparser + IBuilder behind the flat denotrt_tensorrt_build call, with build progress
// queued for TypeScript to drain (denotrt_tensorrt_build_progress_pop) instead of called back.
#include <NvOnnxParser.h>
#include <stdlib.h>
#include <string.h>

#include <atomic>
#include <deque>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "trt_internal.h"

using namespace denotrt_trt;

static_assert(sizeof(denotrt_tensorrt_build_config) == 128, "denotrt_tensorrt_build_config is 128 bytes");
static_assert(sizeof(denotrt_tensorrt_progress) == 280, "denotrt_tensorrt_progress is 280 bytes");

namespace {

// ---------------------------------------------------------------- progress queue
constexpr size_t kProgressCapacity = 1024;
std::mutex g_progress_mutex;
std::deque<denotrt_tensorrt_progress> g_progress;
uint64_t g_progress_dropped = 0;
std::atomic<uint64_t> g_build_serial{0};
std::atomic<bool> g_cancel{false};
std::atomic<int> g_builds_running{0};

void push_progress(const denotrt_tensorrt_progress& r) noexcept {
  try {
    std::lock_guard<std::mutex> lock(g_progress_mutex);
    if (g_progress.size() == kProgressCapacity) {
      g_progress.pop_front();
      g_progress_dropped++;
    }
    g_progress.push_back(r);
  } catch (...) {  // out of memory: drop the record
  }
}

// TensorRT calls the monitor from its own threads, possibly several at once.
class ProgressMonitor final : public nvinfer1::IProgressMonitor {
 public:
  explicit ProgressMonitor(uint64_t build) : build_(build) {}

  void phaseStart(char const* phase, char const* parent, int32_t steps) noexcept override {
    int32_t depth = 0;
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      if (parent) {
        auto it = phases_.find(parent);
        depth = it == phases_.end() ? 1 : it->second.depth + 1;
      }
      phases_[phase ? phase : ""] = Phase{steps, depth};
    } catch (...) {
    }
    push(DENOTRT_TRT_PHASE_START, phase, parent, -1, steps, depth);
  }

  bool stepComplete(char const* phase, int32_t step) noexcept override {
    Phase p = lookup(phase);
    push(DENOTRT_TRT_STEP_COMPLETE, phase, nullptr, step, p.steps, p.depth);
    return !g_cancel.load();
  }

  void phaseFinish(char const* phase) noexcept override {
    Phase p = lookup(phase);
    push(DENOTRT_TRT_PHASE_FINISH, phase, nullptr, -1, p.steps, p.depth);
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      phases_.erase(phase ? phase : "");
    } catch (...) {
    }
  }

 private:
  struct Phase {
    int32_t steps = 0;
    int32_t depth = 0;
  };
  Phase lookup(char const* phase) noexcept {
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = phases_.find(phase ? phase : "");
      if (it != phases_.end()) return it->second;
    } catch (...) {
    }
    return Phase{};
  }
  void push(int32_t kind, char const* phase, char const* parent, int32_t step, int32_t steps, int32_t depth) noexcept {
    denotrt_tensorrt_progress r;
    memset(&r, 0, sizeof r);
    r.kind = kind;
    r.step = step;
    r.steps = steps;
    r.depth = depth;
    r.build = build_;
    denotrt_copy_str(r.phase, sizeof r.phase, phase ? phase : "");
    denotrt_copy_str(r.parent, sizeof r.parent, parent ? parent : "");
    push_progress(r);
  }

  uint64_t build_;
  std::mutex mutex_;
  std::map<std::string, Phase> phases_;
};

// Counts the build as a live DENOTRT_HANDLE_BUILDER while it runs.
struct BuildScope {
  BuildScope() {
    denotrt_handle_created(DENOTRT_HANDLE_BUILDER);
    g_builds_running++;
  }
  ~BuildScope() {
    if (--g_builds_running == 0) g_cancel = false;  // a cancel applies to the builds running when it was asked
    denotrt_handle_destroyed(DENOTRT_HANDLE_BUILDER);
  }
};

// Parser errors, one per failing node, into the log and a compact message.
std::string parser_errors(nvonnxparser::IParser& parser) {
  std::string msg;
  int n = parser.getNbErrors();
  for (int i = 0; i < n; i++) {
    const nvonnxparser::IParserError* e = parser.getError(i);
    if (!e) continue;
    const char* op = e->nodeOperator() ? e->nodeOperator() : "";
    const char* node_name = e->nodeName() ? e->nodeName() : "";
    const char* desc = e->desc() ? e->desc() : "";
    std::string one;
    if (e->node() >= 0)
      one = "node " + std::to_string(e->node()) + " (" + (*op ? op : "?") + (*node_name ? " '" + std::string(node_name) + "'" : "") +
            "): " + desc;
    else
      one = desc;
    std::string line = "TensorRT ONNX parser: " + one + " [code " + std::to_string((int)e->code()) + "]";
    denotrt_log_write(DENOTRT_SEVERITY_ERROR, line.c_str());
    if (!msg.empty()) msg += "; ";
    msg += one;
  }
  return msg;
}

#if NV_TENSORRT_MAJOR < 11
// TensorRT 10 marks the precision flags deprecated (strong typing replaces them in 11) but they still work.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
void set_precision_flags(nvinfer1::IBuilderConfig& config, uint32_t flags) {
  using nvinfer1::BuilderFlag;
  if (flags & DENOTRT_TRT_BUILD_FP16) config.setFlag(BuilderFlag::kFP16);
  if (flags & DENOTRT_TRT_BUILD_BF16) config.setFlag(BuilderFlag::kBF16);
  if (flags & DENOTRT_TRT_BUILD_INT8) config.setFlag(BuilderFlag::kINT8);
  if (flags & DENOTRT_TRT_BUILD_FP8) config.setFlag(BuilderFlag::kFP8);
}
#pragma GCC diagnostic pop
#endif

int32_t build(const void* onnx, uint64_t bytes, const denotrt_tensorrt_build_config& cfg, void** plan_out,
              uint64_t* plan_bytes, denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_build";
  const uint32_t precision = DENOTRT_TRT_BUILD_FP16 | DENOTRT_TRT_BUILD_BF16 | DENOTRT_TRT_BUILD_INT8 |
                             DENOTRT_TRT_BUILD_FP8;
  const uint32_t known = precision | DENOTRT_TRT_BUILD_TF32 | DENOTRT_TRT_BUILD_REFIT |
                         DENOTRT_TRT_BUILD_STRONGLY_TYPED | DENOTRT_TRT_BUILD_DETAILED_PROFILING |
                         DENOTRT_TRT_BUILD_VERSION_COMPATIBLE;
  if (cfg.flags & ~known) return DENOTRT_BAD_ARG(err, api, "unknown build flags 0x%x", cfg.flags & ~known);
#if NV_TENSORRT_MAJOR >= 11
  if (cfg.flags & precision)
    return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, api, "",
                        "TensorRT %d has no fp16/bf16/int8/fp8 builder flags: networks are always strongly typed, so "
                        "the precision comes from the ONNX model (convert it to fp16/bf16, or add Q/DQ nodes)",
                        NV_TENSORRT_MAJOR);
#else
  if ((cfg.flags & DENOTRT_TRT_BUILD_STRONGLY_TYPED) && (cfg.flags & precision))
    return DENOTRT_BAD_ARG(err, api,
                           "a strongly typed network takes its precisions from the model: drop the fp16/bf16/int8/fp8 "
                           "flags or the strongly-typed flag");
#endif
  if (cfg.optimization_level < -1 || cfg.optimization_level > 5)
    return DENOTRT_BAD_ARG(err, api, "optimization level %d is outside 0..5 (or -1 for the default)",
                           cfg.optimization_level);
  if (cfg.hardware_compatibility < 0 || cfg.hardware_compatibility > 2)
    return DENOTRT_BAD_ARG(err, api, "hardware compatibility %d is not 0 (none), 1 (Ampere+) or 2 (same compute capability)",
                           cfg.hardware_compatibility);
  const int32_t entries = cfg.num_profile_entries;
  if (entries < 0) return DENOTRT_BAD_ARG(err, api, "num_profile_entries is negative");
  if (entries > 0 && (!cfg.profile_names || !cfg.profile_index || !cfg.profile_ranks || !cfg.profile_dims))
    return DENOTRT_BAD_ARG(err, api, "profile arrays must not be NULL when num_profile_entries > 0");
  int32_t num_profiles = 0;
  for (int32_t i = 0; i < entries; i++) {
    if (!cfg.profile_names[i] || !*cfg.profile_names[i]) return DENOTRT_BAD_ARG(err, api, "profile entry %d has no input name", i);
    if (cfg.profile_index[i] < 0 || cfg.profile_index[i] >= entries)
      return DENOTRT_BAD_ARG(err, api, "profile entry %d names profile %d", i, cfg.profile_index[i]);
    if (cfg.profile_ranks[i] < 0 || cfg.profile_ranks[i] > DENOTRT_MAX_RANK)
      return DENOTRT_BAD_ARG(err, api, "profile entry %d has rank %d", i, cfg.profile_ranks[i]);
    if (cfg.profile_index[i] + 1 > num_profiles) num_profiles = cfg.profile_index[i] + 1;
  }
  if (cfg.timing_cache_bytes > 0 && !cfg.timing_cache)
    return DENOTRT_BAD_ARG(err, api, "timing_cache is NULL but timing_cache_bytes is %llu",
                           (unsigned long long)cfg.timing_cache_bytes);

  const Library* lib = nullptr;
  int32_t rc = load_parser(&lib, err);
  if (rc != DENOTRT_OK) return rc;
  if (!lib->create_builder)
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, api, "", "libnvinfer lacks createInferBuilder_INTERNAL");

  BuildScope running;
  const uint64_t serial = ++g_build_serial;
  CallScope scope;
  Ptr<nvinfer1::IBuilder> builder(
      static_cast<nvinfer1::IBuilder*>(lib->create_builder(&logger(), (int32_t)NV_TENSORRT_VERSION)));
  if (!builder) return trt_fail(err, "createInferBuilder_INTERNAL", "TensorRT could not create a builder");

  nvinfer1::NetworkDefinitionCreationFlags network_flags = 0;
#if NV_TENSORRT_MAJOR < 11
  if (cfg.flags & DENOTRT_TRT_BUILD_STRONGLY_TYPED)
    network_flags |= 1U << static_cast<uint32_t>(nvinfer1::NetworkDefinitionCreationFlag::kSTRONGLY_TYPED);
#endif
  Ptr<nvinfer1::INetworkDefinition> network(builder->createNetworkV2(network_flags));
  if (!network) return trt_fail(err, "createNetworkV2", "TensorRT could not create a network definition");

  Ptr<nvonnxparser::IParser> parser(static_cast<nvonnxparser::IParser*>(
      lib->create_parser(network.get(), &logger(), NV_ONNX_PARSER_VERSION)));
  if (!parser) return trt_fail(err, "createNvOnnxParser_INTERNAL", "TensorRT could not create an ONNX parser");
  if (!parser->parse(onnx, (size_t)bytes, cfg.model_path)) {
    std::string errors = parser_errors(*parser);
    return denotrt_fail(err, DENOTRT_TENSORRT_ERROR, 0, "IParser::parse", "TensorRT",
                        "TensorRT's ONNX parser failed with %d error(s): %s", parser->getNbErrors(),
                        errors.empty() ? "(no detail)" : errors.c_str());
  }

  Ptr<nvinfer1::IBuilderConfig> config(builder->createBuilderConfig());
  if (!config) return trt_fail(err, "createBuilderConfig", "TensorRT could not create a builder config");
#if NV_TENSORRT_MAJOR < 11
  set_precision_flags(*config, cfg.flags);
#endif
  if (cfg.flags & DENOTRT_TRT_BUILD_TF32)
    config->setFlag(nvinfer1::BuilderFlag::kTF32);
  else
    config->clearFlag(nvinfer1::BuilderFlag::kTF32);
  if (cfg.flags & DENOTRT_TRT_BUILD_REFIT) config->setFlag(nvinfer1::BuilderFlag::kREFIT);
  if (cfg.flags & DENOTRT_TRT_BUILD_VERSION_COMPATIBLE) config->setFlag(nvinfer1::BuilderFlag::kVERSION_COMPATIBLE);
  if (cfg.flags & DENOTRT_TRT_BUILD_DETAILED_PROFILING)
    config->setProfilingVerbosity(nvinfer1::ProfilingVerbosity::kDETAILED);
  if (cfg.workspace_bytes > 0)
    config->setMemoryPoolLimit(nvinfer1::MemoryPoolType::kWORKSPACE, (size_t)cfg.workspace_bytes);
  if (cfg.optimization_level >= 0) config->setBuilderOptimizationLevel(cfg.optimization_level);
  config->setHardwareCompatibilityLevel(static_cast<nvinfer1::HardwareCompatibilityLevel>(cfg.hardware_compatibility));

  // Optimization profiles. An input left dynamic without a profile is caught here with a clearer message than the
  // builder's.
  for (int32_t p = 0; p < num_profiles; p++) {
    nvinfer1::IOptimizationProfile* profile = builder->createOptimizationProfile();  // owned by the builder
    if (!profile) return trt_fail(err, "createOptimizationProfile", "TensorRT could not create profile %d", p);
    bool any = false;
    for (int32_t i = 0; i < entries; i++) {
      if (cfg.profile_index[i] != p) continue;
      any = true;
      static const nvinfer1::OptProfileSelector sel[3] = {nvinfer1::OptProfileSelector::kMIN,
                                                          nvinfer1::OptProfileSelector::kOPT,
                                                          nvinfer1::OptProfileSelector::kMAX};
      for (int k = 0; k < 3; k++) {
        nvinfer1::Dims d;
        d.nbDims = cfg.profile_ranks[i];
        for (int32_t j = 0; j < d.nbDims; j++) d.d[j] = cfg.profile_dims[((size_t)i * 3 + k) * DENOTRT_MAX_RANK + j];
        if (!profile->setDimensions(cfg.profile_names[i], sel[k], d))
          return trt_fail_status(err, DENOTRT_SHAPE_ERROR, "IOptimizationProfile::setDimensions",
                                 "profile %d: %s shape %s of input '%s' was refused", p,
                                 k == 0 ? "min" : k == 1 ? "opt" : "max", dims_string(d).c_str(), cfg.profile_names[i]);
      }
    }
    if (!any) return DENOTRT_BAD_ARG(err, api, "profile %d has no entries (profiles must be numbered without gaps)", p);
    if (!profile->isValid())
      return trt_fail_status(err, DENOTRT_SHAPE_ERROR, "IOptimizationProfile::isValid",
                             "profile %d is not valid (every dynamic input needs min <= opt <= max)", p);
    if (config->addOptimizationProfile(profile) < 0)
      return trt_fail(err, "addOptimizationProfile", "TensorRT refused profile %d", p);
  }
  for (int32_t i = 0; i < network->getNbInputs(); i++) {
    nvinfer1::ITensor* in = network->getInput(i);
    nvinfer1::Dims d = in->getDimensions();
    bool dynamic = false;
    for (int32_t j = 0; j < d.nbDims; j++) dynamic = dynamic || d.d[j] < 0;
    if (!dynamic) continue;
    bool covered = false;
    for (int32_t e = 0; e < entries && !covered; e++) covered = strcmp(cfg.profile_names[e], in->getName()) == 0;
    if (!covered)
      return denotrt_fail(err, DENOTRT_SHAPE_ERROR, 0, api, "",
                          "input '%s' has dynamic shape %s: give it min/opt/max shapes in an optimization profile",
                          in->getName(), dims_string(d).c_str());
  }

  Ptr<nvinfer1::ITimingCache> cache(config->createTimingCache(cfg.timing_cache, (size_t)cfg.timing_cache_bytes));
  if (!cache) return trt_fail(err, "createTimingCache", "TensorRT could not create the timing cache");
  if (!config->setTimingCache(*cache, false))
    return trt_fail(err, "setTimingCache", "TensorRT refused the timing cache (from another TensorRT or GPU?)");

  ProgressMonitor monitor(serial);
  config->setProgressMonitor(&monitor);

  Ptr<nvinfer1::IHostMemory> plan(builder->buildSerializedNetwork(*network, *config));
  config->setProgressMonitor(nullptr);
  if (!plan || plan->size() == 0) {
    if (g_cancel.load()) return trt_fail(err, "buildSerializedNetwork", "build cancelled");
    return trt_fail(err, "buildSerializedNetwork", "TensorRT could not build the network");
  }

  // Results are copied to malloc'ed memory that denotrt_tensorrt_free releases: no TensorRT object outlives the call.
  void* out = malloc(plan->size());
  if (!out) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory for the plan");
  memcpy(out, plan->data(), plan->size());
  if (cfg.timing_cache_out) {
    *cfg.timing_cache_out = nullptr;
    if (cfg.timing_cache_out_bytes) *cfg.timing_cache_out_bytes = 0;
    const nvinfer1::ITimingCache* used = config->getTimingCache();
    Ptr<nvinfer1::IHostMemory> blob(used ? used->serialize() : nullptr);
    if (!blob) {
      free(out);
      return trt_fail(err, "ITimingCache::serialize", "TensorRT could not serialize the timing cache");
    }
    void* c = malloc(blob->size() ? blob->size() : 1);
    if (!c) {
      free(out);
      return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "malloc", "", "out of host memory for the timing cache");
    }
    memcpy(c, blob->data(), blob->size());
    *cfg.timing_cache_out = c;
    if (cfg.timing_cache_out_bytes) *cfg.timing_cache_out_bytes = blob->size();
  }
  *plan_out = out;
  *plan_bytes = plan->size();
  return DENOTRT_OK;
}

}  // namespace

extern "C" {

int32_t denotrt_tensorrt_build(const void* onnx, uint64_t bytes, const denotrt_tensorrt_build_config* cfg,
                               void** plan_out, uint64_t* plan_bytes, denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_build";
  if (!onnx || bytes == 0) return DENOTRT_BAD_ARG(err, api, "the ONNX model is empty");
  if (!plan_out || !plan_bytes) return DENOTRT_BAD_ARG(err, api, "plan_out and plan_bytes must not be NULL");
  *plan_out = nullptr;
  *plan_bytes = 0;
  denotrt_tensorrt_build_config defaults;
  memset(&defaults, 0, sizeof defaults);
  defaults.flags = DENOTRT_TRT_BUILD_TF32;  // TensorRT's own default
  defaults.optimization_level = -1;
  try {
    return build(onnx, bytes, cfg ? *cfg : defaults, plan_out, plan_bytes, err);
  } catch (const std::bad_alloc&) {
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, api, "", "out of host memory");
  } catch (...) {
    return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, api, "", "unexpected C++ exception");
  }
}

void denotrt_tensorrt_free(void* p) { free(p); }

void denotrt_tensorrt_build_cancel(void) {
  if (g_builds_running.load() > 0) g_cancel = true;
}

int32_t denotrt_tensorrt_build_progress_pop(denotrt_tensorrt_progress* record, uint64_t* dropped) {
  std::lock_guard<std::mutex> lock(g_progress_mutex);
  if (dropped) *dropped = g_progress_dropped;
  if (g_progress.empty()) return 0;
  if (record) *record = g_progress.front();
  g_progress.pop_front();
  return 1;
}

}  // extern "C"
