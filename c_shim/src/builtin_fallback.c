/* Link-time default used only until the built-in provider's sources are present in the tree; a strong
 * denotrt_builtin_deserialize (c_shim/src/builtin/) replaces it. */
#include "provider.h"

__attribute__((weak)) int32_t denotrt_builtin_deserialize(const void* plan, uint64_t bytes, int32_t device_kind,
                                                          const denotrt_engine_ops** ops, void** engine,
                                                          denotrt_error* err) {
  return denotrt_fail(err, DENOTRT_UNSUPPORTED, 0, "denotrt_engine_deserialize", "",
                      "this build of the shim has no built-in engine");
}
