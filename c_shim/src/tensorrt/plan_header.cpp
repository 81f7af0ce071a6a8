// Reads the TensorRT version out of a serialized TensorRT plan's header, without TensorRT.
//
// Compiled into every build (no TensorRT headers needed) so that the check is tested everywhere.
//
// The layout is not documented by NVIDIA as an API (there is no TensorRT call that reads it before deserializing),
// so it is taken from these public sources:
//   - NVIDIA's answer in https://github.com/NVIDIA/TensorRT/issues/3073 (comment 1599934548): the TensorRT version
//     that built a plan is stored in the header as single bytes: byte 24 = major, byte 25 = minor, byte 26 = patch.
//     Autoware uses exactly these offsets to decide whether a cached TensorRT 10 engine must be rebuilt
//     (autowarefoundation/autoware_universe, perception/autoware_tensorrt_common, TRT_MAJOR_IDX = 24,
//     TRT_MINOR_IDX = 25, TRT_PATCH_IDX = 26; PR #10320).
//   - The first four bytes are the plan's magic tag, a little-endian uint32 checked by TensorRT's deserializer
//     ("Serialization assertion plan->header.magicTag == rt::kPLAN_MAGIC_TAG failed"). Standard plans start with the
//     ASCII bytes "ftrt" (0x74727466; Torch-TensorRT tests `engine.startswith(b"ftrt")`). TensorRT's error text
//     "incompatible serialization version (1953657968 != 1953657958)" (issue in galaxy-oss/FCM #8) shows a second
//     tag, "ptrt" (0x74727470), used by plans built for another runtime variant (version-compatible / safety /
//     other OS); both are accepted here as TensorRT plans.
//   - Byte 8 holds TensorRT's internal serialization version (e.g. 232 for 8.5.3, 213 for 8.4.3: issue #3073);
//     it is not a product version and is not used here.
// What is NOT known reliably: whether TensorRT 11 keeps bytes 24..26 (the 11.x sources are not public; the layout
// was confirmed for 8.6 .. 10.x). A header whose magic is unknown, or whose major byte is 0, is refused as
// unreadable rather than guessed at; the runtime then reports that and does not deserialize.
#include <string.h>

#include "../common.h"
#include "../../include/denotrt_tensorrt.h"
#include "plan_header.h"

namespace {
constexpr uint64_t kHeaderMin = 32;  // bytes 0..26 are read; TensorRT's header is longer than that
constexpr size_t kMajorAt = 24, kMinorAt = 25, kPatchAt = 26;
const unsigned char kMagicF[4] = {'f', 't', 'r', 't'};
const unsigned char kMagicP[4] = {'p', 't', 'r', 't'};
const unsigned char kBuiltinMagic[8] = {'D', 'N', 'R', 'T', 'P', 'L', 'A', 'N'};
}  // namespace

namespace denotrt_trt {
PlanHeader read_plan_header(const void* plan, uint64_t bytes, int32_t* major, int32_t* minor, int32_t* patch) {
  const unsigned char* p = static_cast<const unsigned char*>(plan);
  if (bytes >= sizeof kBuiltinMagic && memcmp(p, kBuiltinMagic, sizeof kBuiltinMagic) == 0) return PlanHeader::kBuiltin;
  if (bytes < kHeaderMin) return PlanHeader::kTooShort;
  if (memcmp(p, kMagicF, 4) != 0 && memcmp(p, kMagicP, 4) != 0) return PlanHeader::kBadMagic;
  if (p[kMajorAt] == 0) return PlanHeader::kNoVersion;
  *major = p[kMajorAt];
  *minor = p[kMinorAt];
  *patch = p[kPatchAt];
  return PlanHeader::kOk;
}
}  // namespace denotrt_trt

extern "C" int32_t denotrt_tensorrt_plan_version(const void* plan, uint64_t bytes, int32_t* major, int32_t* minor,
                                                 int32_t* patch, denotrt_error* err) {
  static const char* api = "denotrt_tensorrt_plan_version";
  if (!plan) return DENOTRT_BAD_ARG(err, api, "plan must not be NULL");
  if (!major || !minor || !patch) return DENOTRT_BAD_ARG(err, api, "major, minor and patch must not be NULL");
  const unsigned char* p = static_cast<const unsigned char*>(plan);
  switch (denotrt_trt::read_plan_header(plan, bytes, major, minor, patch)) {
    case denotrt_trt::PlanHeader::kOk:
      return DENOTRT_OK;
    case denotrt_trt::PlanHeader::kBuiltin:
      return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "", "this is a denotrt built-in plan (DNRTPLAN), not a TensorRT plan");
    case denotrt_trt::PlanHeader::kTooShort:
      return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "",
                          "%llu bytes are too short for a TensorRT plan header (at least %llu)",
                          (unsigned long long)bytes, (unsigned long long)kHeaderMin);
    case denotrt_trt::PlanHeader::kBadMagic: {
      char shown[5];
      for (int i = 0; i < 4; i++) shown[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
      shown[4] = '\0';
      return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "",
                          "not a TensorRT plan: it starts with %02x %02x %02x %02x (\"%s\"), TensorRT plans start "
                          "with \"ftrt\" (or \"ptrt\")",
                          p[0], p[1], p[2], p[3], shown);
    }
    case denotrt_trt::PlanHeader::kNoVersion:
      break;
  }
  return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, api, "",
                      "the TensorRT plan header carries no readable version (byte %zu is 0); this header layout is "
                      "not known to the shim",
                      kMajorAt);
}
