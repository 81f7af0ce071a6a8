// Internal: the TensorRT plan header reader behind denotrt_tensorrt_plan_version (plan_header.cpp).
#ifndef DENOTRT_TRT_PLAN_HEADER_H
#define DENOTRT_TRT_PLAN_HEADER_H
#include <stdint.h>

namespace denotrt_trt {
enum class PlanHeader { kOk, kBuiltin, kTooShort, kBadMagic, kNoVersion };
// Classifies the header and, on kOk, fills the version that built the plan.
PlanHeader read_plan_header(const void* plan, uint64_t bytes, int32_t* major, int32_t* minor, int32_t* patch);
}  // namespace denotrt_trt
#endif
