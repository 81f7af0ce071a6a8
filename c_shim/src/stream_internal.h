/* The stream handle's layout, shared by the CUDA sources that enqueue work on a denotrt_stream. */
#ifndef DENOTRT_STREAM_INTERNAL_H
#define DENOTRT_STREAM_INTERNAL_H
#include <cuda_runtime.h>
#include "common.h"

struct denotrt_stream { denotrt_tag tag; cudaStream_t stream; };

/* NULL (the legacy default stream) maps to stream 0. Callers check the tag first. */
extern "C" cudaStream_t denotrt_stream_raw(denotrt_stream* s);
#endif
