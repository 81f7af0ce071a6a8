#define _POSIX_C_SOURCE 200809L /* strdup */
/* The log queue. Libraries log from their own threads (TensorRT's ILogger, our worker threads), and Deno must not
 * be called back from a foreign thread, so records are queued here and TypeScript drains them. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

#define LOG_CAPACITY 4096

typedef struct record { int32_t severity; char* text; } record;

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static record ring[LOG_CAPACITY];
static size_t head, count; /* oldest record at ring[head] */
static uint64_t dropped;
static _Atomic int32_t max_severity = DENOTRT_SEVERITY_WARNING;

void denotrt_log_set_severity(int32_t s) { max_severity = s; }
int32_t denotrt_log_get_severity(void) { return max_severity; }
uint64_t denotrt_log_dropped(void) { return dropped; }

void denotrt_log_write(int32_t severity, const char* text) {
  if (severity > max_severity || !text) return;
  char* copy = strdup(text);
  if (!copy) return;
  pthread_mutex_lock(&log_lock);
  if (count == LOG_CAPACITY) { /* keep the newest: drop the oldest */
    free(ring[head].text);
    head = (head + 1) % LOG_CAPACITY;
    count--;
    dropped++;
  }
  ring[(head + count) % LOG_CAPACITY] = (record){severity, copy};
  count++;
  pthread_mutex_unlock(&log_lock);
}

int32_t denotrt_log_pop(int32_t* severity, char* text, uint64_t capacity, uint64_t* length) {
  pthread_mutex_lock(&log_lock);
  if (count == 0) {
    pthread_mutex_unlock(&log_lock);
    return 0;
  }
  record r = ring[head];
  head = (head + 1) % LOG_CAPACITY;
  count--;
  pthread_mutex_unlock(&log_lock);
  if (severity) *severity = r.severity;
  if (length) *length = strlen(r.text);
  if (text && capacity) denotrt_copy_str(text, (size_t)capacity, r.text);
  free(r.text);
  return 1;
}
