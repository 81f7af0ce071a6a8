/* timing_cache.h: the built-in engine's timing cache (TensorRT's ITimingCache).
 *
 * Kernel choices measured on one GPU, keyed by what decides them (a layer's geometry, dtype, layout and fusion), so
 * that a later build, or a context of the same engine, takes the measured choice instead of timing again. One
 * format ("DNRTTCCH", docs/TIMING_CACHE.md) serves both the user's cache file and the tactics section a builder embeds
 * in a plan (the entries its layers chose), so a plan carries its kernel choices and runs them without timing.
 *
 * Entries are opaque integer vectors here; what a key and a value mean belongs to the code that times (e.g.
 * cudnn_conv.cu). Every operation locks: contexts on different threads may look up and store at the same time. */
#ifndef DENOTRT_BUILTIN_TIMING_CACHE_H
#define DENOTRT_BUILTIN_TIMING_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TC_MAGIC "DNRTTCCH"
#define TC_FORMAT_VERSION 1u
#define TC_MAX_KEY 32
#define TC_MAX_VALUE 24

/* What decides a choice (key) and the choice (value). The first key element names the kind of tactic. */
typedef struct tc_entry {
  int32_t key_len;
  int32_t value_len;
  int64_t key[TC_MAX_KEY];
  int64_t value[TC_MAX_VALUE];
  uint64_t workspace; /* bytes the choice needs */
  float ms;           /* its measured median time; 0 when unknown */
} tc_entry;

/* Kinds of tactic (key[0]). */
#define TC_KIND_CUDNN_LEGACY_CONV 1
#define TC_KIND_CUDNN_GRAPH_CONV 2
#define TC_KIND_OWN_SPLITK_CONV 3

/* Parses cache bytes (NULL/0 = empty). DENOTRT_INVALID_ARGUMENT naming what is wrong for foreign, truncated,
 * corrupt or newer-version bytes. */
int32_t tc_create(const void* bytes, uint64_t size, denotrt_timing_cache** out, denotrt_error* err);
void tc_free(denotrt_timing_cache* c);
/* Serialized bytes, malloc'd (the caller frees). */
int32_t tc_serialize(denotrt_timing_cache* c, uint8_t** out, uint64_t* size, denotrt_error* err);
/* 1 and *out filled when the key is present. */
int tc_lookup(denotrt_timing_cache* c, const int64_t* key, int32_t key_len, tc_entry* out);
/* Like tc_lookup, but key positions where ignore[i] != 0 may differ (e.g. batch and spatial sizes): the first
 * matching entry; ignore may be NULL (an exact match). */
int tc_lookup_similar(denotrt_timing_cache* c, const int64_t* key, int32_t key_len, const uint8_t* ignore, tc_entry* out);
/* Inserts or replaces the entry with the same key. */
int32_t tc_store(denotrt_timing_cache* c, const tc_entry* e, denotrt_error* err);
int64_t tc_count(denotrt_timing_cache* c);
/* The GPU the entries were measured on ("" when none yet). */
void tc_device(denotrt_timing_cache* c, char* name, size_t cap, int32_t* cc_major, int32_t* cc_minor);
/* Binds an unbound cache to a GPU; returns 1 when the cache is bound to another GPU (a mismatch), 0 otherwise. */
int tc_bind_device(denotrt_timing_cache* c, const char* name, int32_t cc_major, int32_t cc_minor);
/* Drops every entry (and the binding). */
void tc_clear(denotrt_timing_cache* c);
/* Copies every entry of src into dst (src's replace dst's on equal keys). */
int32_t tc_merge(denotrt_timing_cache* dst, denotrt_timing_cache* src, denotrt_error* err);

#ifdef __cplusplus
}
#endif
#endif
