// dlopen of libcudnn.so.9 and the symbol table (see cudnn_api.h). Loaded once per process and never unloaded:
// cuDNN keeps per-process state, and handles created from it may outlive any single engine.
#include <dlfcn.h>
#include <stdio.h>

#include "cudnn_api.h"
#include "../load_once.h"

static denotrt_cudnn_api g_api;
static denotrt_load_once g_once = DENOTRT_LOAD_ONCE_INIT;

static int32_t load_locked(denotrt_error* err) {
  static const char* api = "dlopen(libcudnn.so.9)";
  // libcudnn.so.9 is the dispatcher; it dlopens its sub-libraries (cnn, ops, engines) from its own directory.
  void* h = dlopen("libcudnn.so.9", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* why = dlerror();
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, api, "",
                        "cuDNN 9 (libcudnn.so.9) could not be loaded: %s. Install cuDNN 9 for CUDA 13 or put it on "
                        "LD_LIBRARY_PATH", why ? why : "not found");
  }
#define DENOTRT_CUDNN_SYM(name)                                                                                \
  g_api.name = (decltype(g_api.name))dlsym(h, #name);                                                          \
  if (!g_api.name)                                                                                             \
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, "dlsym", "", "libcudnn.so.9 lacks the symbol %s", #name);
  DENOTRT_CUDNN_FUNCS(DENOTRT_CUDNN_SYM)
#undef DENOTRT_CUDNN_SYM
  g_api.version = g_api.cudnnGetVersion();
  if (g_api.version < 90000)
    return denotrt_fail(err, DENOTRT_LIBRARY_ERROR, 0, "cudnnGetVersion", "",
                        "libcudnn.so.9 reports version %zu; denotrt needs cuDNN 9.0 or newer", g_api.version);
  return DENOTRT_OK;
}

int32_t denotrt_cudnn_load(const denotrt_cudnn_api** out, denotrt_error* err) {
  int32_t rc = denotrt_load_once_run(&g_once, load_locked, err);
  if (rc == DENOTRT_OK) *out = &g_api;
  return rc;
}

int32_t denotrt_cudnn_fail(denotrt_error* err, cudnnStatus_t st, const char* call) {
  const char* text = g_api.cudnnGetErrorString ? g_api.cudnnGetErrorString(st) : "unknown cuDNN status";
  return denotrt_fail(err, DENOTRT_CUDNN_ERROR, (int32_t)st, call, text, "%s failed: %s (cuDNN %zu)", call, text,
                      g_api.version);
}
