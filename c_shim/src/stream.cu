// Streams, events and CUDA graphs as tagged, counted handles.
#include <cuda_runtime.h>
#include <stdlib.h>

#include "common.h"
#include "stream_internal.h"

struct denotrt_event { denotrt_tag tag; cudaEvent_t event; };
struct denotrt_graph { denotrt_tag tag; cudaGraph_t graph; cudaGraphExec_t exec; };

#define CHECK_STREAM(err, api, s)                                                            \
  if ((s) && !denotrt_tag_ok((s), DENOTRT_HANDLE_STREAM))                                    \
  return DENOTRT_BAD_ARG(err, api, "not a live stream handle")
#define CHECK_EVENT(err, api, e)                                                             \
  if (!denotrt_tag_ok((e), DENOTRT_HANDLE_EVENT)) return DENOTRT_BAD_ARG(err, api, "not a live event handle")

extern "C" {

cudaStream_t denotrt_stream_raw(denotrt_stream* s) { return s ? s->stream : 0; }

int32_t denotrt_stream_create(int32_t non_blocking, denotrt_stream** out, denotrt_error* err) {
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_stream_create", "out must not be NULL");
  cudaStream_t st;
  DENOTRT_CUDA_CHECK(err, cudaStreamCreateWithFlags(&st, non_blocking ? cudaStreamNonBlocking : cudaStreamDefault));
  denotrt_stream* s = (denotrt_stream*)calloc(1, sizeof *s);
  if (!s) {
    cudaStreamDestroy(st);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(s, DENOTRT_HANDLE_STREAM);
  s->stream = st;
  denotrt_handle_created(DENOTRT_HANDLE_STREAM);
  *out = s;
  return DENOTRT_OK;
}

int32_t denotrt_stream_destroy(denotrt_stream* s, denotrt_error* err) {
  if (!denotrt_tag_ok(s, DENOTRT_HANDLE_STREAM)) return DENOTRT_BAD_ARG(err, "denotrt_stream_destroy", "not a live stream handle");
  cudaError_t e = cudaStreamDestroy(s->stream);
  denotrt_tag_kill(s);
  free(s);
  denotrt_handle_destroyed(DENOTRT_HANDLE_STREAM);
  if (e != cudaSuccess) return denotrt_cuda_fail(err, e, "cudaStreamDestroy");
  return DENOTRT_OK;
}

int32_t denotrt_stream_synchronize(denotrt_stream* s, denotrt_error* err) {
  CHECK_STREAM(err, "denotrt_stream_synchronize", s);
  DENOTRT_CUDA_CHECK(err, cudaStreamSynchronize(denotrt_stream_raw(s)));
  return DENOTRT_OK;
}

int32_t denotrt_stream_query(denotrt_stream* s, int32_t* done, denotrt_error* err) {
  CHECK_STREAM(err, "denotrt_stream_query", s);
  cudaError_t e = cudaStreamQuery(denotrt_stream_raw(s));
  if (e == cudaErrorNotReady) { cudaGetLastError(); *done = 0; return DENOTRT_OK; }
  if (e != cudaSuccess) return denotrt_cuda_fail(err, e, "cudaStreamQuery");
  *done = 1;
  return DENOTRT_OK;
}

int32_t denotrt_stream_wait_event(denotrt_stream* s, denotrt_event* ev, denotrt_error* err) {
  CHECK_STREAM(err, "denotrt_stream_wait_event", s);
  CHECK_EVENT(err, "denotrt_stream_wait_event", ev);
  DENOTRT_CUDA_CHECK(err, cudaStreamWaitEvent(denotrt_stream_raw(s), ev->event, 0));
  return DENOTRT_OK;
}

int32_t denotrt_event_create(int32_t timing, denotrt_event** out, denotrt_error* err) {
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_event_create", "out must not be NULL");
  cudaEvent_t ev;
  DENOTRT_CUDA_CHECK(err, cudaEventCreateWithFlags(&ev, timing ? cudaEventDefault : cudaEventDisableTiming));
  denotrt_event* e = (denotrt_event*)calloc(1, sizeof *e);
  if (!e) {
    cudaEventDestroy(ev);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(e, DENOTRT_HANDLE_EVENT);
  e->event = ev;
  denotrt_handle_created(DENOTRT_HANDLE_EVENT);
  *out = e;
  return DENOTRT_OK;
}

int32_t denotrt_event_destroy(denotrt_event* e, denotrt_error* err) {
  CHECK_EVENT(err, "denotrt_event_destroy", e);
  cudaError_t rc = cudaEventDestroy(e->event);
  denotrt_tag_kill(e);
  free(e);
  denotrt_handle_destroyed(DENOTRT_HANDLE_EVENT);
  if (rc != cudaSuccess) return denotrt_cuda_fail(err, rc, "cudaEventDestroy");
  return DENOTRT_OK;
}

int32_t denotrt_event_record(denotrt_event* e, denotrt_stream* s, denotrt_error* err) {
  CHECK_EVENT(err, "denotrt_event_record", e);
  CHECK_STREAM(err, "denotrt_event_record", s);
  DENOTRT_CUDA_CHECK(err, cudaEventRecord(e->event, denotrt_stream_raw(s)));
  return DENOTRT_OK;
}

int32_t denotrt_event_synchronize(denotrt_event* e, denotrt_error* err) {
  CHECK_EVENT(err, "denotrt_event_synchronize", e);
  DENOTRT_CUDA_CHECK(err, cudaEventSynchronize(e->event));
  return DENOTRT_OK;
}

int32_t denotrt_event_query(denotrt_event* e, int32_t* done, denotrt_error* err) {
  CHECK_EVENT(err, "denotrt_event_query", e);
  cudaError_t rc = cudaEventQuery(e->event);
  if (rc == cudaErrorNotReady) { cudaGetLastError(); *done = 0; return DENOTRT_OK; }
  if (rc != cudaSuccess) return denotrt_cuda_fail(err, rc, "cudaEventQuery");
  *done = 1;
  return DENOTRT_OK;
}

int32_t denotrt_event_elapsed_ms(denotrt_event* a, denotrt_event* b, float* ms, denotrt_error* err) {
  CHECK_EVENT(err, "denotrt_event_elapsed_ms", a);
  CHECK_EVENT(err, "denotrt_event_elapsed_ms", b);
  if (!ms) return DENOTRT_BAD_ARG(err, "denotrt_event_elapsed_ms", "ms must not be NULL");
  DENOTRT_CUDA_CHECK(err, cudaEventElapsedTime(ms, a->event, b->event));
  return DENOTRT_OK;
}

int32_t denotrt_stream_begin_capture(denotrt_stream* s, denotrt_error* err) {
  if (!denotrt_tag_ok(s, DENOTRT_HANDLE_STREAM))
    return DENOTRT_BAD_ARG(err, "denotrt_stream_begin_capture", "capture needs a created stream, not the default stream");
  // Thread-local mode: other threads' unrelated CUDA calls (Deno's worker pool) must not invalidate the capture.
  DENOTRT_CUDA_CHECK(err, cudaStreamBeginCapture(s->stream, cudaStreamCaptureModeThreadLocal));
  return DENOTRT_OK;
}

int32_t denotrt_stream_end_capture(denotrt_stream* s, denotrt_graph** out, denotrt_error* err) {
  if (!denotrt_tag_ok(s, DENOTRT_HANDLE_STREAM))
    return DENOTRT_BAD_ARG(err, "denotrt_stream_end_capture", "not a live stream handle");
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_stream_end_capture", "out must not be NULL");
  cudaGraph_t g;
  DENOTRT_CUDA_CHECK(err, cudaStreamEndCapture(s->stream, &g));
  cudaGraphExec_t exec;
  cudaError_t rc = cudaGraphInstantiate(&exec, g, 0);
  if (rc != cudaSuccess) {
    cudaGraphDestroy(g);
    return denotrt_cuda_fail(err, rc, "cudaGraphInstantiate");
  }
  denotrt_graph* h = (denotrt_graph*)calloc(1, sizeof *h);
  if (!h) {
    cudaGraphExecDestroy(exec);
    cudaGraphDestroy(g);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  denotrt_tag_set(h, DENOTRT_HANDLE_GRAPH);
  h->graph = g;
  h->exec = exec;
  denotrt_handle_created(DENOTRT_HANDLE_GRAPH);
  *out = h;
  return DENOTRT_OK;
}

int32_t denotrt_graph_launch(denotrt_graph* g, denotrt_stream* s, denotrt_error* err) {
  if (!denotrt_tag_ok(g, DENOTRT_HANDLE_GRAPH)) return DENOTRT_BAD_ARG(err, "denotrt_graph_launch", "not a live graph handle");
  CHECK_STREAM(err, "denotrt_graph_launch", s);
  DENOTRT_CUDA_CHECK(err, cudaGraphLaunch(g->exec, denotrt_stream_raw(s)));
  return DENOTRT_OK;
}

int32_t denotrt_graph_destroy(denotrt_graph* g, denotrt_error* err) {
  if (!denotrt_tag_ok(g, DENOTRT_HANDLE_GRAPH)) return DENOTRT_BAD_ARG(err, "denotrt_graph_destroy", "not a live graph handle");
  cudaError_t a = cudaGraphExecDestroy(g->exec);
  cudaError_t b = cudaGraphDestroy(g->graph);
  denotrt_tag_kill(g);
  free(g);
  denotrt_handle_destroyed(DENOTRT_HANDLE_GRAPH);
  if (a != cudaSuccess) return denotrt_cuda_fail(err, a, "cudaGraphExecDestroy");
  if (b != cudaSuccess) return denotrt_cuda_fail(err, b, "cudaGraphDestroy");
  return DENOTRT_OK;
}

}  // extern "C"
