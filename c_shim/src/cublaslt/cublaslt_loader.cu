// dlopen of cuBLASLt: libcublasLt.so.13 by soname, then the unversioned name, then CUDA's default install
// directory explicitly (it is often not on the loader path). Loaded once per process, never unloaded.
#include <dlfcn.h>
#include <string.h>

#include "cublaslt_api.h"
#include "../load_once.h"

static denotrt_cublaslt_api g_api;
static denotrt_load_once g_once = DENOTRT_LOAD_ONCE_INIT;

static int32_t load_locked(denotrt_error* err) {
  static const char* candidates[] = {"libcublasLt.so.13", "libcublasLt.so", "/usr/local/cuda/lib64/libcublasLt.so.13",
                                     "/usr/local/cuda/lib64/libcublasLt.so",
                                     "/usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13"};
  void* h = nullptr;
  char why[200] = "not found";
  for (const char* name : candidates) {
    h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (h) break;
    const char* e = dlerror();
    if (name == candidates[0] && e) denotrt_copy_str(why, sizeof why, e);
  }
  if (!h)
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, "dlopen(libcublasLt.so.13)", "",
                        "cuBLASLt could not be loaded (tried libcublasLt.so.13, libcublasLt.so and "
                        "/usr/local/cuda/lib64): %s", why);
#define DENOTRT_CUBLASLT_SYM(name)                                                                              \
  g_api.name = (decltype(g_api.name))dlsym(h, #name);                                                           \
  if (!g_api.name)                                                                                              \
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, "dlsym", "", "libcublasLt lacks the symbol %s", #name);
  DENOTRT_CUBLASLT_FUNCS(DENOTRT_CUBLASLT_SYM)
#undef DENOTRT_CUBLASLT_SYM
  g_api.version = g_api.cublasLtGetVersion();
  if (g_api.version < 130000)
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, "cublasLtGetVersion", "",
                        "cuBLASLt reports version %zu; this shim was built for CUDA 13's cuBLASLt (13.0+)",
                        g_api.version);
  return DENOTRT_OK;
}

int32_t denotrt_cublaslt_load(const denotrt_cublaslt_api** out, denotrt_error* err) {
  int32_t rc = denotrt_load_once_run(&g_once, load_locked, err);
  if (rc == DENOTRT_OK) *out = &g_api;
  return rc;
}

int32_t denotrt_cublaslt_fail(denotrt_error* err, cublasStatus_t st, const char* call) {
  const char* text = g_api.cublasLtGetStatusString ? g_api.cublasLtGetStatusString(st) : "unknown cuBLAS status";
  return denotrt_fail(err, DENOTRT_CUBLAS_ERROR, (int32_t)st, call, text, "%s failed: %s", call, text);
}
