/* plan.c: parses and validates a built-in plan (docs/PLAN_FORMAT.md). Every read goes through the bounded
 * reader below, so a truncated or hostile plan fails with a message instead of reading past the buffer. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define API "denotrt_engine_deserialize"
#define MAX_STRING (1u << 20)
#define MAX_COUNT (1u << 24)

/* ------------------------------------------------------------------ bounded little-endian reader */
typedef struct reader {
  const uint8_t* base;
  uint64_t size, pos;
  const char* what; /* what is being read, for the truncation message */
  denotrt_error* err;
  int failed;
} reader;

static int rd_fail(reader* r, const char* why) {
  if (!r->failed)
    denotrt_fail(r->err, DENOTRT_PLAN_ERROR, 0, API, "",
                 "corrupt plan: %s while reading %s at body offset %llu (body is %llu bytes)", why, r->what,
                 (unsigned long long)r->pos, (unsigned long long)r->size);
  r->failed = 1;
  return 0;
}
static int rd_bytes(reader* r, void* dst, uint64_t n) {
  if (r->failed) return 0;
  if (n > r->size - r->pos) return rd_fail(r, "unexpected end of data");
  memcpy(dst, r->base + r->pos, n);
  r->pos += n;
  return 1;
}
static uint32_t rd_u32(reader* r) {
  uint8_t b[4] = {0};
  rd_bytes(r, b, 4);
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t rd_u64(reader* r) {
  uint64_t lo = rd_u32(r), hi = rd_u32(r);
  return lo | hi << 32;
}
static int64_t rd_i64(reader* r) { return (int64_t)rd_u64(r); }
static float rd_f32(reader* r) {
  uint32_t u = rd_u32(r);
  float f;
  memcpy(&f, &u, 4);
  return f;
}
/* A count of elements each at least elem_min bytes: refuses counts the remaining data cannot hold, so a corrupt
 * count never turns into a huge allocation. */
static uint32_t rd_count(reader* r, uint32_t elem_min) {
  uint32_t n = rd_u32(r);
  if (r->failed) return 0;
  if (n > MAX_COUNT || (elem_min && (uint64_t)n * elem_min > r->size - r->pos)) {
    rd_fail(r, "a count larger than the remaining data");
    return 0;
  }
  return n;
}
/* u32 length + bytes; returns a malloc'd NUL-terminated copy (NULL on failure). */
static char* rd_str(reader* r) {
  uint32_t n = rd_u32(r);
  if (r->failed) return NULL;
  if (n > MAX_STRING || n > r->size - r->pos) {
    rd_fail(r, "a string longer than the remaining data");
    return NULL;
  }
  if (memchr(r->base + r->pos, 0, n)) {
    rd_fail(r, "a string with an embedded NUL");
    return NULL;
  }
  char* s = (char*)malloc((size_t)n + 1);
  if (!s) {
    rd_fail(r, "out of host memory");
    return NULL;
  }
  memcpy(s, r->base + r->pos, n);
  s[n] = '\0';
  r->pos += n;
  return s;
}

static uint32_t le32(const uint8_t* b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static uint64_t le64(const uint8_t* b) { return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32; }

uint64_t plan_fnv1a64(const uint8_t* data, uint64_t size) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (uint64_t i = 0; i < size; i++) {
    h ^= data[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

/* ------------------------------------------------------------------ dtype helpers */
size_t plan_dtype_bytes(int32_t d) {
  switch (d) {
    case DENOTRT_FLOAT32: case DENOTRT_INT32: return 4;
    case DENOTRT_FLOAT16: case DENOTRT_BFLOAT16: return 2;
    case DENOTRT_INT8: case DENOTRT_UINT8: case DENOTRT_BOOL: case DENOTRT_FP8_E4M3: return 1;
    case DENOTRT_INT64: case DENOTRT_FLOAT64: return 8;
    default: return 0;
  }
}
const char* plan_dtype_name(int32_t d) {
  static const char* names[] = {"float32", "float16", "bfloat16", "int8", "uint8",
                                "int32", "int64", "bool", "fp8_e4m3", "float64"};
  return (d >= 0 && d <= 9) ? names[d] : "unknown";
}

/* ------------------------------------------------------------------ freeing */
static void free_attr(plan_attr* a) {
  free(a->name);
  free(a->ints);
  free(a->floats);
  free(a->s);
  if (a->strings)
    for (int32_t i = 0; i < a->count; i++) free(a->strings[i]);
  free(a->strings);
}

void plan_free(plan* p) {
  if (!p) return;
  if (p->tensors)
    for (int32_t i = 0; i < p->num_tensors; i++) {
      free(p->tensors[i].name);
      for (int d = 0; d < DENOTRT_MAX_RANK; d++) free(p->tensors[i].sym[d]);
    }
  free(p->tensors);
  free(p->inputs);
  free(p->outputs);
  free(p->ranges);
  if (p->layers)
    for (int32_t i = 0; i < p->num_layers; i++) {
      plan_layer* l = &p->layers[i];
      free(l->op);
      free(l->name);
      free(l->inputs);
      free(l->outputs);
      if (l->attrs)
        for (int32_t a = 0; a < l->num_attrs; a++) free_attr(&l->attrs[a]);
      free(l->attrs);
    }
  free(p->layers);
  free(p->tactics);
  free(p->weights);
  free(p);
}

/* ------------------------------------------------------------------ body sections */
static int bad(reader* r, const char* fmt, const char* a, const char* b) {
  if (!r->failed) {
    char msg[300];
    snprintf(msg, sizeof msg, fmt, a ? a : "", b ? b : "");
    denotrt_fail(r->err, DENOTRT_PLAN_ERROR, 0, API, "", "invalid plan: %s", msg);
  }
  r->failed = 1;
  return 0;
}

/* data_off receives (weights offset, length) per tensor; they are checked once the weights section is known. */
static int read_tensors(reader* r, plan* p, uint64_t** data_off_out) {
  r->what = "the tensor table";
  p->num_tensors = (int32_t)rd_count(r, 4 + 4 + 4 + 4 + 32);
  if (r->failed) return 0;
  p->tensors = (plan_tensor*)calloc(p->num_tensors ? p->num_tensors : 1, sizeof *p->tensors);
  uint64_t* data_off = *data_off_out = (uint64_t*)calloc(2 * (size_t)p->num_tensors + 2, sizeof(uint64_t));
  if (!p->tensors || !data_off) return rd_fail(r, "out of host memory");
  for (int32_t i = 0; i < p->num_tensors; i++) {
    plan_tensor* t = &p->tensors[i];
    t->producer = -1;
    t->name = rd_str(r);
    t->dtype = (int32_t)rd_u32(r);
    uint32_t rank = rd_u32(r);
    if (r->failed) return 0;
    if (plan_dtype_bytes(t->dtype) == 0) return bad(r, "tensor '%s' has unknown dtype code", t->name, NULL);
    if (rank > DENOTRT_MAX_RANK) return bad(r, "tensor '%s' has rank above 8", t->name, NULL);
    t->rank = (int32_t)rank;
    for (uint32_t d = 0; d < rank; d++) {
      t->dims[d] = rd_i64(r);
      if (t->dims[d] < -1) return bad(r, "tensor '%s' has a dimension below -1", t->name, NULL);
    }
    for (uint32_t d = 0; d < rank; d++) {
      char* s = rd_str(r);
      if (s && !*s) free(s), s = NULL;
      t->sym[d] = s;
    }
    t->flags = rd_u32(r);
    t->arena_offset = rd_u64(r);
    t->arena_bytes = rd_u64(r);
    data_off[2 * i] = rd_u64(r);
    data_off[2 * i + 1] = rd_u64(r);
    if (r->failed) return 0;
    if (t->flags & ~15u) return bad(r, "tensor '%s' has unknown flag bits", t->name, NULL);
    if (plan_find_tensor(p, t->name) != i) return bad(r, "tensor name '%s' appears twice", t->name, NULL);
  }
  return 1;
}

static int read_index_list(reader* r, plan* p, int32_t* count, int32_t** list, uint32_t flag, const char* what) {
  r->what = what;
  *count = (int32_t)rd_count(r, 4);
  if (r->failed) return 0;
  *list = (int32_t*)calloc(*count ? *count : 1, sizeof **list);
  if (!*list) return rd_fail(r, "out of host memory");
  for (int32_t i = 0; i < *count; i++) {
    uint32_t t = rd_u32(r);
    if (r->failed) return 0;
    if (t >= (uint32_t)p->num_tensors) return bad(r, "%s refers to a tensor index out of range", what, NULL);
    if (!(p->tensors[t].flags & flag))
      return bad(r, "tensor '%s' is listed in %s but not flagged so", p->tensors[t].name, what);
    (*list)[i] = (int32_t)t;
  }
  return 1;
}

static int read_profiles(reader* r, plan* p) {
  r->what = "the optimization profiles";
  p->num_profiles = (int32_t)rd_count(r, 0);
  if (r->failed) return 0;
  uint64_t n = (uint64_t)p->num_profiles * (uint64_t)p->num_inputs;
  if (n > r->size - r->pos) return rd_fail(r, "a profile count larger than the remaining data");
  p->ranges = (plan_range*)calloc(n ? n : 1, sizeof *p->ranges);
  if (!p->ranges) return rd_fail(r, "out of host memory");
  for (int32_t k = 0; k < p->num_profiles; k++)
    for (int32_t i = 0; i < p->num_inputs; i++) {
      plan_range* g = &p->ranges[(uint64_t)k * p->num_inputs + i];
      const plan_tensor* t = &p->tensors[p->inputs[i]];
      uint32_t rank = rd_u32(r);
      if (r->failed) return 0;
      if (rank != (uint32_t)t->rank) return bad(r, "a profile gives input '%s' a rank other than its own", t->name, NULL);
      g->rank = (int32_t)rank;
      for (uint32_t d = 0; d < rank; d++) g->min[d] = rd_i64(r);
      for (uint32_t d = 0; d < rank; d++) g->opt[d] = rd_i64(r);
      for (uint32_t d = 0; d < rank; d++) g->max[d] = rd_i64(r);
      if (r->failed) return 0;
      for (uint32_t d = 0; d < rank; d++) {
        if (g->min[d] < 0 || g->min[d] > g->opt[d] || g->opt[d] > g->max[d])
          return bad(r, "a profile range of input '%s' is not 0 <= min <= opt <= max", t->name, NULL);
        if (t->dims[d] >= 0 && (g->min[d] != t->dims[d] || g->max[d] != t->dims[d]))
          return bad(r, "a profile range of input '%s' contradicts one of its fixed dimensions", t->name, NULL);
      }
    }
  return 1;
}

static int read_attr(reader* r, plan_attr* a) {
  a->name = rd_str(r);
  a->type = (int32_t)rd_u32(r);
  if (r->failed) return 0;
  a->count = 1;
  switch (a->type) {
    case PLAN_ATTR_INT: a->i = rd_i64(r); a->f = (float)a->i; break;
    case PLAN_ATTR_FLOAT: a->f = rd_f32(r); a->i = (int64_t)a->f; break;
    case PLAN_ATTR_STRING: a->s = rd_str(r); break;
    case PLAN_ATTR_INTS:
      a->count = (int32_t)rd_count(r, 8);
      if (r->failed) return 0;
      a->ints = (int64_t*)malloc(((size_t)a->count + 1) * sizeof(int64_t));
      if (!a->ints) return rd_fail(r, "out of host memory");
      for (int32_t i = 0; i < a->count; i++) a->ints[i] = rd_i64(r);
      break;
    case PLAN_ATTR_FLOATS:
      a->count = (int32_t)rd_count(r, 4);
      if (r->failed) return 0;
      a->floats = (float*)malloc(((size_t)a->count + 1) * sizeof(float));
      if (!a->floats) return rd_fail(r, "out of host memory");
      for (int32_t i = 0; i < a->count; i++) a->floats[i] = rd_f32(r);
      break;
    case PLAN_ATTR_STRINGS:
      a->count = (int32_t)rd_count(r, 4);
      if (r->failed) return 0;
      a->strings = (char**)calloc((size_t)a->count + 1, sizeof(char*));
      if (!a->strings) return rd_fail(r, "out of host memory");
      for (int32_t i = 0; i < a->count; i++) a->strings[i] = rd_str(r);
      break;
    default: return bad(r, "attribute '%s' has an unknown type code", a->name, NULL);
  }
  return !r->failed;
}

static int read_index_array(reader* r, plan* p, const plan_layer* l, int32_t* count, int32_t** out) {
  *count = (int32_t)rd_count(r, 4);
  if (r->failed) return 0;
  *out = (int32_t*)malloc(((size_t)*count + 1) * sizeof(int32_t));
  if (!*out) return rd_fail(r, "out of host memory");
  for (int32_t i = 0; i < *count; i++) {
    int32_t t = (int32_t)rd_u32(r);
    if (r->failed) return 0;
    if (t < -1 || t >= p->num_tensors) return bad(r, "layer '%s' refers to a tensor index out of range", l->name, NULL);
    (*out)[i] = t;
  }
  return 1;
}

static int read_layers(reader* r, plan* p) {
  r->what = "the layer table";
  p->num_layers = (int32_t)rd_count(r, 4 * 6);
  if (r->failed) return 0;
  p->layers = (plan_layer*)calloc(p->num_layers ? p->num_layers : 1, sizeof *p->layers);
  if (!p->layers) return rd_fail(r, "out of host memory");
  for (int32_t i = 0; i < p->num_layers; i++) {
    plan_layer* l = &p->layers[i];
    l->op = rd_str(r);
    l->name = rd_str(r);
    char* kernel = rd_str(r);
    if (kernel) denotrt_copy_str(l->kernel, sizeof l->kernel, kernel);
    free(kernel);
    if (r->failed) return 0;
    if (!*l->op) return bad(r, "layer %s'%s' has an empty op type", "", l->name);
    if (!read_index_array(r, p, l, &l->num_inputs, &l->inputs)) return 0;
    if (!read_index_array(r, p, l, &l->num_outputs, &l->outputs)) return 0;
    l->num_attrs = (int32_t)rd_count(r, 8);
    if (r->failed) return 0;
    l->attrs = (plan_attr*)calloc(l->num_attrs ? l->num_attrs : 1, sizeof *l->attrs);
    if (!l->attrs) return rd_fail(r, "out of host memory");
    for (int32_t a = 0; a < l->num_attrs; a++)
      if (!read_attr(r, &l->attrs[a])) return 0;
    /* Topological order and single assignment: every input exists before this layer, every output is new. */
    for (int32_t k = 0; k < l->num_inputs; k++) {
      int32_t t = l->inputs[k];
      if (t < 0) continue;
      const plan_tensor* pt = &p->tensors[t];
      if (pt->producer < 0 && !(pt->flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_CONSTANT)))
        return bad(r, "layer '%s' reads tensor '%s' before any layer writes it", l->name, pt->name);
    }
    for (int32_t k = 0; k < l->num_outputs; k++) {
      int32_t t = l->outputs[k];
      if (t < 0) continue;
      plan_tensor* pt = &p->tensors[t];
      if (pt->producer >= 0 || (pt->flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_CONSTANT)))
        return bad(r, "layer '%s' writes tensor '%s', which is an input, a constant or already written", l->name,
                   pt->name);
      pt->producer = i;
    }
  }
  return 1;
}

/* ------------------------------------------------------------------ header and driver */
static int32_t parse_header(const uint8_t* b, uint64_t size, plan* p, uint64_t* header_size, uint64_t* body_size,
                            denotrt_error* err) {
  if (size < 8 || memcmp(b, PLAN_MAGIC, 8) != 0)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "", "foreign plan: it does not start with the DNRTPLAN magic");
  if (size < 16)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "", "truncated plan: %llu bytes, shorter than the header",
                        (unsigned long long)size);
  p->format_version = le32(b + 8);
  if (p->format_version > PLAN_FORMAT_VERSION)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "",
                        "plan format version %u is newer than this shim reads (version %u, denotrt %s); rebuild the "
                        "plan with this denotrt or upgrade the shim",
                        p->format_version, PLAN_FORMAT_VERSION, DENOTRT_VERSION_STRING);
  if (p->format_version == 0)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "", "corrupt plan: format version 0");
  *header_size = le32(b + 12);
  if (*header_size < PLAN_HEADER_BYTES || *header_size % PLAN_WEIGHTS_ALIGN)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "", "corrupt plan: header size %llu is invalid",
                        (unsigned long long)*header_size);
  if (size < *header_size)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "", "truncated plan: %llu bytes, shorter than its %llu-byte header",
                        (unsigned long long)size, (unsigned long long)*header_size);
  *body_size = le64(b + 16);
  uint64_t checksum = le64(b + 24);
  p->device_kind = (int32_t)le32(b + 32);
  p->cc_major = b[36] | b[37] << 8;
  p->cc_minor = b[38] | b[39] << 8;
  memcpy(p->denotrt_version, b + 40, 24);
  p->denotrt_version[24] = '\0';
  memcpy(p->gpu_name, b + 64, 63);
  p->gpu_name[63] = '\0';
  if (*body_size > size - *header_size)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "",
                        "truncated plan: the header announces a %llu-byte body but only %llu bytes follow it",
                        (unsigned long long)*body_size, (unsigned long long)(size - *header_size));
  if (*body_size < size - *header_size)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "",
                        "corrupt plan: %llu unexpected bytes after the %llu-byte body",
                        (unsigned long long)(size - *header_size - *body_size), (unsigned long long)*body_size);
  uint64_t actual = plan_fnv1a64(b + *header_size, *body_size);
  if (actual != checksum)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "",
                        "corrupt plan: body checksum mismatch (header says %016llx, body hashes to %016llx)",
                        (unsigned long long)checksum, (unsigned long long)actual);
  if (p->device_kind < 0 || p->device_kind > PLAN_DEVICE_ANY)
    return denotrt_fail(err, DENOTRT_PLAN_ERROR, 0, API, "", "corrupt plan: unknown target device kind %d", p->device_kind);
  return DENOTRT_OK;
}

/* Cross-checks that need the weights section: constant ranges and sizes, arena ranges. */
static int check_tensors(reader* r, plan* p, const uint64_t* data_off) {
  for (int32_t i = 0; i < p->num_tensors; i++) {
    plan_tensor* t = &p->tensors[i];
    uint64_t off = data_off[2 * i], len = data_off[2 * i + 1];
    if (t->flags & PLAN_TENSOR_CONSTANT) {
      if (t->flags & (PLAN_TENSOR_INPUT | PLAN_TENSOR_OUTPUT))
        return bad(r, "constant '%s' is also flagged as an input or output", t->name, NULL);
      if (off > p->weights_bytes || len > p->weights_bytes - off)
        return bad(r, "constant '%s' has data outside the weights section", t->name, NULL);
      uint64_t n = 1;
      for (int d = 0; d < t->rank; d++) {
        if (t->dims[d] < 0) return bad(r, "constant '%s' has a symbolic dimension", t->name, NULL);
        n *= (uint64_t)t->dims[d];
      }
      if (n * plan_dtype_bytes(t->dtype) != len)
        return bad(r, "constant '%s' has a data length that does not match its shape and dtype", t->name, NULL);
      t->data = p->weights + off;
      t->data_bytes = len;
    } else if (len != 0) {
      return bad(r, "tensor '%s' has weight data but is not flagged constant", t->name, NULL);
    }
    if (t->arena_bytes && (t->arena_offset > p->arena_bytes || t->arena_bytes > p->arena_bytes - t->arena_offset))
      return bad(r, "tensor '%s' lies outside the activation arena", t->name, NULL);
  }
  for (int32_t i = 0; i < p->num_outputs; i++) {
    const plan_tensor* t = &p->tensors[p->outputs[i]];
    if (t->producer < 0 && !(t->flags & PLAN_TENSOR_INPUT))
      return bad(r, "output '%s' is written by no layer", t->name, NULL);
  }
  return 1;
}

int32_t plan_parse(const void* bytes, uint64_t size, plan** out, denotrt_error* err) {
  *out = NULL;
  const uint8_t* b = (const uint8_t*)bytes;
  plan* p = (plan*)calloc(1, sizeof *p);
  if (!p) return denotrt_fail(err, DENOTRT_OUT_OF_MEMORY, 0, "calloc", "", "out of host memory");
  uint64_t header_size = 0, body_size = 0;
  int32_t rc = parse_header(b, size, p, &header_size, &body_size, err);
  if (rc != DENOTRT_OK) {
    plan_free(p);
    return rc;
  }
  reader r = {b + header_size, body_size, 0, "", err, 0};
  uint64_t* data_off = NULL;
  if (!read_tensors(&r, p, &data_off)) goto fail;
  if (!read_index_list(&r, p, &p->num_inputs, &p->inputs, PLAN_TENSOR_INPUT, "the input list")) goto fail;
  if (!read_index_list(&r, p, &p->num_outputs, &p->outputs, PLAN_TENSOR_OUTPUT, "the output list")) goto fail;
  if (!read_profiles(&r, p)) goto fail;
  if (!read_layers(&r, p)) goto fail;
  if (p->format_version >= 2) {
    /* The builder's kernel choices: timing-cache bytes, validated when the CUDA executor loads them. */
    r.what = "the tactics section";
    p->tactics_bytes = rd_u64(&r);
    if (r.failed) goto fail;
    if (p->tactics_bytes > body_size - r.pos) {
      rd_fail(&r, "the tactics section runs past the body");
      goto fail;
    }
    if (p->tactics_bytes) {
      p->tactics = (uint8_t*)malloc(p->tactics_bytes);
      if (!p->tactics) {
        rd_fail(&r, "out of host memory");
        goto fail;
      }
      rd_bytes(&r, p->tactics, p->tactics_bytes);
    }
  }
  r.what = "the arena and weights trailer";
  p->arena_bytes = rd_u64(&r);
  uint64_t w_off = rd_u64(&r);
  p->weights_bytes = rd_u64(&r);
  if (r.failed) goto fail;
  if (w_off < r.pos || w_off > body_size || p->weights_bytes != body_size - w_off ||
      (header_size + w_off) % PLAN_WEIGHTS_ALIGN) {
    bad(&r, "the weights section is misplaced or misaligned%s%s", NULL, NULL);
    goto fail;
  }
  /* aligned_alloc wants a multiple of the alignment; one spare block keeps a zero-byte section valid. */
  p->weights = (uint8_t*)aligned_alloc(PLAN_WEIGHTS_ALIGN, (p->weights_bytes / PLAN_WEIGHTS_ALIGN + 1) * PLAN_WEIGHTS_ALIGN);
  if (!p->weights) {
    rd_fail(&r, "out of host memory for the plan weights");
    goto fail;
  }
  if (p->weights_bytes) memcpy(p->weights, r.base + w_off, p->weights_bytes);
  if (!check_tensors(&r, p, data_off)) goto fail;
  for (int32_t i = 0; i < p->num_inputs; i++)
    for (int32_t j = 0; j < i; j++)
      if (p->inputs[i] == p->inputs[j]) {
        bad(&r, "input '%s' is listed twice", p->tensors[p->inputs[i]].name, NULL);
        goto fail;
      }
  free(data_off);
  *out = p;
  return DENOTRT_OK;
fail:
  free(data_off);
  plan_free(p);
  if (!r.failed) return denotrt_fail(err, DENOTRT_INTERNAL_ERROR, 0, API, "", "plan parse failed without a reason");
  return err ? err->status : DENOTRT_PLAN_ERROR;
}

/* ------------------------------------------------------------------ lookups */
int32_t plan_find_tensor(const plan* p, const char* name) {
  if (!name) return -1;
  for (int32_t i = 0; i < p->num_tensors; i++)
    if (p->tensors[i].name && strcmp(p->tensors[i].name, name) == 0) return i;
  return -1;
}

int32_t plan_input_position(const plan* p, const char* name) {
  for (int32_t i = 0; i < p->num_inputs; i++)
    if (strcmp(p->tensors[p->inputs[i]].name, name) == 0) return i;
  return -1;
}

const plan_range* plan_profile_range(const plan* p, int32_t profile, int32_t pos) {
  if (profile < 0 || profile >= p->num_profiles || pos < 0 || pos >= p->num_inputs) return NULL;
  return &p->ranges[(size_t)profile * p->num_inputs + pos];
}

const plan_attr* plan_attr_find(const plan_layer* l, const char* name) {
  for (int32_t i = 0; i < l->num_attrs; i++)
    if (strcmp(l->attrs[i].name, name) == 0) return &l->attrs[i];
  return NULL;
}
int64_t plan_attr_int(const plan_layer* l, const char* name, int64_t def) {
  const plan_attr* a = plan_attr_find(l, name);
  return (a && (a->type == PLAN_ATTR_INT || a->type == PLAN_ATTR_FLOAT)) ? a->i : def;
}
float plan_attr_float(const plan_layer* l, const char* name, float def) {
  const plan_attr* a = plan_attr_find(l, name);
  return (a && (a->type == PLAN_ATTR_INT || a->type == PLAN_ATTR_FLOAT)) ? a->f : def;
}
const char* plan_attr_string(const plan_layer* l, const char* name, const char* def) {
  const plan_attr* a = plan_attr_find(l, name);
  return (a && a->type == PLAN_ATTR_STRING) ? a->s : def;
}
const int64_t* plan_attr_ints(const plan_layer* l, const char* name, int32_t* count) {
  const plan_attr* a = plan_attr_find(l, name);
  if (a && a->type == PLAN_ATTR_INTS) {
    *count = a->count;
    return a->ints;
  }
  *count = 0;
  return NULL;
}
const float* plan_attr_floats(const plan_layer* l, const char* name, int32_t* count) {
  const plan_attr* a = plan_attr_find(l, name);
  if (a && a->type == PLAN_ATTR_FLOATS) {
    *count = a->count;
    return a->floats;
  }
  *count = 0;
  return NULL;
}

const plan_tensor* plan_layer_input(const plan* p, const plan_layer* l, int32_t i) {
  if (i < 0 || i >= l->num_inputs || l->inputs[i] < 0) return NULL;
  return &p->tensors[l->inputs[i]];
}
const plan_tensor* plan_layer_output(const plan* p, const plan_layer* l, int32_t i) {
  if (i < 0 || i >= l->num_outputs || l->outputs[i] < 0) return NULL;
  return &p->tensors[l->outputs[i]];
}

int32_t plan_layer_vfail(const plan_layer* l, denotrt_error* err, int32_t status, const char* api, const char* fmt,
                         va_list ap) {
  char msg[300];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return denotrt_fail(err, status, 0, api, "", "layer '%s' (%s): %s", l->name ? l->name : "?", l->op, msg);
}
