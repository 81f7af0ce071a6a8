/* timing_cache.c: timing caches (timing_cache.h) and their public entry points (denotrt_timing_cache_*).
 * The byte format is in docs/TIMING_CACHE.md; every read is bounds-checked, and the body carries a checksum. */
#include "timing_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

#define TC_HEADER_BYTES 104u

struct denotrt_timing_cache {
  denotrt_tag tag;
  pthread_mutex_t mu;
  char gpu[64];
  int32_t cc_major, cc_minor;
  tc_entry* entries;
  int32_t n, cap;
};

static void put_u32(uint8_t* p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t* p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get_u32(const uint8_t* p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const uint8_t* p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t entry_bytes(const tc_entry* e) { return 8 + 8 * (uint64_t)(e->key_len + e->value_len) + 8 + 4; }

/* The first entry whose key equals `key` at every position where ignore (NULL: none) is 0. */
static int find_locked(const denotrt_timing_cache* c, const int64_t* key, int32_t key_len, const uint8_t* ignore) {
  for (int32_t i = 0; i < c->n; i++) {
    const tc_entry* e = &c->entries[i];
    if (e->key_len != key_len) continue;
    if (!ignore) {
      if (memcmp(e->key, key, (size_t)key_len * 8) == 0) return i;
      continue;
    }
    int32_t k = 0;
    while (k < key_len && (ignore[k] || e->key[k] == key[k])) k++;
    if (k == key_len) return i;
  }
  return -1;
}

static int32_t store_locked(denotrt_timing_cache* c, const tc_entry* e, denotrt_error* err) {
  int i = find_locked(c, e->key, e->key_len, NULL);
  if (i >= 0) {
    c->entries[i] = *e;
    return DENOTRT_OK;
  }
  if (c->n == c->cap) {
    int32_t cap = c->cap ? 2 * c->cap : 32;
    tc_entry* m = (tc_entry*)realloc(c->entries, (size_t)cap * sizeof *m);
    if (!m) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "realloc", "", "out of host memory");
    c->entries = m;
    c->cap = cap;
  }
  c->entries[c->n++] = *e;
  return DENOTRT_OK;
}

static int32_t parse(denotrt_timing_cache* c, const uint8_t* b, uint64_t size, denotrt_error* err) {
  static const char* api = "denotrt_timing_cache_create";
  if (size < 8 || memcmp(b, TC_MAGIC, 8) != 0)
    return DENOTRT_BAD_ARG(err, api, "not a denotrt timing cache (no DNRTTCCH magic)");
  if (size < TC_HEADER_BYTES) return DENOTRT_BAD_ARG(err, api, "truncated timing cache (%llu bytes)", (unsigned long long)size);
  uint32_t version = get_u32(b + 8);
  if (version > TC_FORMAT_VERSION)
    return DENOTRT_BAD_ARG(err, api, "timing cache format version %u is newer than this library's (%u)", version,
                           TC_FORMAT_VERSION);
  uint32_t count = get_u32(b + 12);
  uint64_t body = get_u64(b + 16);
  if (body != size - TC_HEADER_BYTES)
    return DENOTRT_BAD_ARG(err, api, "truncated or padded timing cache: the header says %llu body bytes, there are %llu",
                           (unsigned long long)body, (unsigned long long)(size - TC_HEADER_BYTES));
  if (plan_fnv1a64(b + TC_HEADER_BYTES, body) != get_u64(b + 24))
    return DENOTRT_BAD_ARG(err, api, "corrupt timing cache (checksum mismatch)");
  uint16_t cc[2];
  memcpy(cc, b + 32, 4);
  c->cc_major = cc[0];
  c->cc_minor = cc[1];
  memcpy(c->gpu, b + 40, 63);
  c->gpu[63] = '\0';
  const uint8_t* p = b + TC_HEADER_BYTES;
  const uint8_t* end = b + size;
  for (uint32_t i = 0; i < count; i++) {
    tc_entry e;
    memset(&e, 0, sizeof e);
    if (end - p < 8) return DENOTRT_BAD_ARG(err, api, "corrupt timing cache (entry %u is cut off)", i);
    uint32_t kl = get_u32(p), vl = get_u32(p + 4);
    if (kl < 1 || kl > TC_MAX_KEY || vl > TC_MAX_VALUE)
      return DENOTRT_BAD_ARG(err, api, "corrupt timing cache (entry %u has %u key and %u value elements)", i, kl, vl);
    e.key_len = (int32_t)kl;
    e.value_len = (int32_t)vl;
    if ((uint64_t)(end - p) < entry_bytes(&e)) return DENOTRT_BAD_ARG(err, api, "corrupt timing cache (entry %u is cut off)", i);
    p += 8;
    memcpy(e.key, p, 8 * (size_t)kl);
    p += 8 * (size_t)kl;
    memcpy(e.value, p, 8 * (size_t)vl);
    p += 8 * (size_t)vl;
    e.workspace = get_u64(p);
    memcpy(&e.ms, p + 8, 4);
    p += 12;
    int32_t rc = store_locked(c, &e, err);
    if (rc) return rc;
  }
  if (p != end) return DENOTRT_BAD_ARG(err, api, "corrupt timing cache (%lld bytes after the last entry)", (long long)(end - p));
  return DENOTRT_OK;
}

int32_t tc_create(const void* bytes, uint64_t size, denotrt_timing_cache** out, denotrt_error* err) {
  denotrt_timing_cache* c = (denotrt_timing_cache*)calloc(1, sizeof *c);
  if (!c) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  pthread_mutex_init(&c->mu, NULL);
  if (bytes && size) {
    int32_t rc = parse(c, (const uint8_t*)bytes, size, err);
    if (rc) {
      tc_free(c);
      return rc;
    }
  }
  *out = c;
  return DENOTRT_OK;
}

void tc_free(denotrt_timing_cache* c) {
  if (!c) return;
  pthread_mutex_destroy(&c->mu);
  free(c->entries);
  free(c);
}

int32_t tc_serialize(denotrt_timing_cache* c, uint8_t** out, uint64_t* size, denotrt_error* err) {
  pthread_mutex_lock(&c->mu);
  uint64_t body = 0;
  for (int32_t i = 0; i < c->n; i++) body += entry_bytes(&c->entries[i]);
  uint8_t* b = (uint8_t*)calloc(1, TC_HEADER_BYTES + body);
  if (!b) {
    pthread_mutex_unlock(&c->mu);
    return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  }
  memcpy(b, TC_MAGIC, 8);
  put_u32(b + 8, TC_FORMAT_VERSION);
  put_u32(b + 12, (uint32_t)c->n);
  put_u64(b + 16, body);
  uint16_t cc[2] = {(uint16_t)c->cc_major, (uint16_t)c->cc_minor};
  memcpy(b + 32, cc, 4);
  memcpy(b + 40, c->gpu, strlen(c->gpu));
  uint8_t* p = b + TC_HEADER_BYTES;
  for (int32_t i = 0; i < c->n; i++) {
    const tc_entry* e = &c->entries[i];
    put_u32(p, (uint32_t)e->key_len);
    put_u32(p + 4, (uint32_t)e->value_len);
    p += 8;
    memcpy(p, e->key, 8 * (size_t)e->key_len);
    p += 8 * (size_t)e->key_len;
    memcpy(p, e->value, 8 * (size_t)e->value_len);
    p += 8 * (size_t)e->value_len;
    put_u64(p, e->workspace);
    memcpy(p + 8, &e->ms, 4);
    p += 12;
  }
  pthread_mutex_unlock(&c->mu);
  put_u64(b + 24, plan_fnv1a64(b + TC_HEADER_BYTES, body));
  *out = b;
  *size = TC_HEADER_BYTES + body;
  return DENOTRT_OK;
}

int tc_lookup_similar(denotrt_timing_cache* c, const int64_t* key, int32_t key_len, const uint8_t* ignore, tc_entry* out) {
  pthread_mutex_lock(&c->mu);
  int i = find_locked(c, key, key_len, ignore);
  if (i >= 0) *out = c->entries[i];
  pthread_mutex_unlock(&c->mu);
  return i >= 0;
}

int tc_lookup(denotrt_timing_cache* c, const int64_t* key, int32_t key_len, tc_entry* out) {
  return tc_lookup_similar(c, key, key_len, NULL, out);
}

int32_t tc_store(denotrt_timing_cache* c, const tc_entry* e, denotrt_error* err) {
  pthread_mutex_lock(&c->mu);
  int32_t rc = store_locked(c, e, err);
  pthread_mutex_unlock(&c->mu);
  return rc;
}

int64_t tc_count(denotrt_timing_cache* c) {
  pthread_mutex_lock(&c->mu);
  int64_t n = c->n;
  pthread_mutex_unlock(&c->mu);
  return n;
}

void tc_device(denotrt_timing_cache* c, char* name, size_t cap, int32_t* cc_major, int32_t* cc_minor) {
  pthread_mutex_lock(&c->mu);
  denotrt_copy_str(name, cap, c->gpu);
  *cc_major = c->cc_major;
  *cc_minor = c->cc_minor;
  pthread_mutex_unlock(&c->mu);
}

int tc_bind_device(denotrt_timing_cache* c, const char* name, int32_t cc_major, int32_t cc_minor) {
  pthread_mutex_lock(&c->mu);
  int mismatch = 0;
  if (c->gpu[0] == '\0') {
    denotrt_copy_str(c->gpu, sizeof c->gpu, name);
    c->cc_major = cc_major;
    c->cc_minor = cc_minor;
  } else {
    mismatch = strncmp(c->gpu, name, sizeof c->gpu - 1) != 0 || c->cc_major != cc_major || c->cc_minor != cc_minor;
  }
  pthread_mutex_unlock(&c->mu);
  return mismatch;
}

void tc_clear(denotrt_timing_cache* c) {
  pthread_mutex_lock(&c->mu);
  c->n = 0;
  c->gpu[0] = '\0';
  c->cc_major = c->cc_minor = 0;
  pthread_mutex_unlock(&c->mu);
}

int32_t tc_merge(denotrt_timing_cache* dst, denotrt_timing_cache* src, denotrt_error* err) {
  if (dst == src) return DENOTRT_OK;
  /* A snapshot of src first: locking both at once could deadlock against a merge the other way round. */
  uint8_t* bytes;
  uint64_t size;
  int32_t rc = tc_serialize(src, &bytes, &size, err);
  if (rc) return rc;
  denotrt_timing_cache* copy;
  rc = tc_create(bytes, size, &copy, err);
  free(bytes);
  if (rc) return rc;
  pthread_mutex_lock(&dst->mu);
  if (dst->gpu[0] == '\0') {
    memcpy(dst->gpu, copy->gpu, sizeof dst->gpu);
    dst->cc_major = copy->cc_major;
    dst->cc_minor = copy->cc_minor;
  }
  for (int32_t i = 0; i < copy->n && rc == DENOTRT_OK; i++) rc = store_locked(dst, &copy->entries[i], err);
  pthread_mutex_unlock(&dst->mu);
  tc_free(copy);
  return rc;
}

/* ------------------------------------------------------------------ public API */
#define TC_CHECK(c, api) \
  if (!denotrt_tag_ok((c), DENOTRT_HANDLE_TIMING_CACHE)) return DENOTRT_BAD_ARG(err, api, "not a live timing cache")

int32_t denotrt_timing_cache_create(const void* bytes, uint64_t size, denotrt_timing_cache** out, denotrt_error* err) {
  if (!out) return DENOTRT_BAD_ARG(err, "denotrt_timing_cache_create", "out is NULL");
  if (size && !bytes) return DENOTRT_BAD_ARG(err, "denotrt_timing_cache_create", "bytes is NULL but size is %llu",
                                             (unsigned long long)size);
  denotrt_timing_cache* c;
  int32_t rc = tc_create(bytes, size, &c, err);
  if (rc) return rc;
  denotrt_tag_set(c, DENOTRT_HANDLE_TIMING_CACHE);
  denotrt_handle_created(DENOTRT_HANDLE_TIMING_CACHE);
  *out = c;
  return DENOTRT_OK;
}

int32_t denotrt_timing_cache_destroy(denotrt_timing_cache* c, denotrt_error* err) {
  TC_CHECK(c, "denotrt_timing_cache_destroy");
  denotrt_tag_kill(c);
  tc_free(c);
  denotrt_handle_destroyed(DENOTRT_HANDLE_TIMING_CACHE);
  return DENOTRT_OK;
}

int32_t denotrt_timing_cache_serialize(denotrt_timing_cache* c, void* out, uint64_t capacity, uint64_t* needed,
                                       denotrt_error* err) {
  TC_CHECK(c, "denotrt_timing_cache_serialize");
  uint8_t* bytes;
  uint64_t size;
  int32_t rc = tc_serialize(c, &bytes, &size, err);
  if (rc) return rc;
  if (needed) *needed = size;
  if (out && capacity >= size) memcpy(out, bytes, size);
  free(bytes);
  return DENOTRT_OK;
}

int32_t denotrt_timing_cache_combine(denotrt_timing_cache* c, denotrt_timing_cache* other, int32_t ignore_mismatch,
                                     denotrt_error* err) {
  static const char* api = "denotrt_timing_cache_combine";
  TC_CHECK(c, api);
  TC_CHECK(other, api);
  char a[64], b[64];
  int32_t amaj, amin, bmaj, bmin;
  tc_device(c, a, sizeof a, &amaj, &amin);
  tc_device(other, b, sizeof b, &bmaj, &bmin);
  if (!ignore_mismatch && a[0] && b[0] && (strcmp(a, b) != 0 || amaj != bmaj || amin != bmin))
    return DENOTRT_BAD_ARG(err, api, "the caches were measured on different GPUs ('%s' sm_%d%d and '%s' sm_%d%d); "
                           "pass ignoreMismatch to combine them anyway", a, amaj, amin, b, bmaj, bmin);
  return tc_merge(c, other, err);
}

int64_t denotrt_timing_cache_entries(denotrt_timing_cache* c) {
  return denotrt_tag_ok(c, DENOTRT_HANDLE_TIMING_CACHE) ? tc_count(c) : -1;
}

int32_t denotrt_timing_cache_device(denotrt_timing_cache* c, char* name, uint64_t capacity, int32_t* cc_major,
                                    int32_t* cc_minor, denotrt_error* err) {
  TC_CHECK(c, "denotrt_timing_cache_device");
  tc_device(c, name, capacity, cc_major, cc_minor);
  return DENOTRT_OK;
}
