/* Internal helpers shared by every shim source file: error filling, handle counting, CUDA status checks. */
#ifndef DENOTRT_COMMON_H
#define DENOTRT_COMMON_H

#include "../include/denotrt.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Fills err (if non-NULL) and returns status. printf-style message. */
int32_t denotrt_fail(denotrt_error* err, int32_t status, int32_t code, const char* api, const char* code_name,
                     const char* fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
/* Shorthand for argument errors, which have no underlying library code. */
#define DENOTRT_BAD_ARG(err, api, ...) denotrt_fail((err), DENOTRT_INVALID_ARGUMENT, 0, (api), "", __VA_ARGS__)

/* Converts a cudaError_t (passed as int so C files need no CUDA headers) into a filled error.
 * cudaErrorNoDevice / cudaErrorInsufficientDriver become DENOTRT_NO_DEVICE. */
int32_t denotrt_cuda_fail(denotrt_error* err, int code, const char* api);

void denotrt_handle_created(denotrt_handle_kind kind);
void denotrt_handle_destroyed(denotrt_handle_kind kind);

/* Every handle starts with a tag so that a handle of the wrong kind (or a freed one still tagged dead) is refused
 * with an error instead of being dereferenced as something else. */
typedef struct denotrt_tag { uint32_t magic; uint32_t kind; } denotrt_tag;
#define DENOTRT_TAG_MAGIC 0x44545254u /* "DTRT" */
#define DENOTRT_TAG_DEAD 0xDEADDEADu
int denotrt_tag_ok(const void* handle, denotrt_handle_kind kind);
void denotrt_tag_set(void* handle, denotrt_handle_kind kind);
void denotrt_tag_kill(void* handle);

/* Copies a C string into a fixed field, always NUL-terminating. */
void denotrt_copy_str(char* dst, size_t cap, const char* src);

#ifdef __cplusplus
}
#endif

/* In CUDA translation units: DENOTRT_CUDA_CHECK(err, cudaFoo(...)) returns a typed error naming the call. */
#define DENOTRT_CUDA_CHECK(err, call)                                 \
  do {                                                                \
    int denotrt_rc_ = (int)(call);                                    \
    if (denotrt_rc_ != 0) return denotrt_cuda_fail((err), denotrt_rc_, #call); \
  } while (0)

#endif
