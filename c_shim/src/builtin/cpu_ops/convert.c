/* convert.c: float16 / bfloat16 / float64 <-> float32, for constants on load and for I/O tensors whose declared
 * type is not the CPU's float32. Round-to-nearest-even on the way down, like numpy and onnxruntime. */
#include "cpu_ops.h"

static float half_to_float(uint16_t h) {
  uint32_t s = (uint32_t)(h & 0x8000) << 16, e = (h >> 10) & 0x1f, m = h & 0x3ff, u;
  if (e == 0) {
    if (m == 0) u = s;
    else { /* subnormal half: normalize into a float */
      e = 127 - 15 + 1;
      while (!(m & 0x400)) { m <<= 1; e--; }
      u = s | (e << 23) | ((m & 0x3ff) << 13);
    }
  } else if (e == 31) u = s | 0x7f800000u | (m << 13);
  else u = s | ((e + 112) << 23) | (m << 13);
  float f;
  memcpy(&f, &u, 4);
  return f;
}

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint32_t sign = (x >> 16) & 0x8000, exp = (x >> 23) & 0xff, mant = x & 0x7fffff;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00 | (mant ? 0x200 : 0));
  int32_t e = (int32_t)exp - 127 + 15;
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    mant |= 0x800000;
    uint32_t shift = (uint32_t)(14 - e), hm = mant >> shift, rem = mant & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (hm & 1))) hm++;
    return (uint16_t)(sign | hm);
  }
  uint32_t hm = mant >> 13, rem = mant & 0x1fff;
  uint32_t out = sign | ((uint32_t)e << 10) | hm;
  if (rem > 0x1000 || (rem == 0x1000 && (hm & 1))) out++; /* carries into the exponent correctly */
  return (uint16_t)out;
}

void cpu_to_f32(const void* src, int32_t dtype, int64_t n, float* dst) {
  const uint8_t* b = (const uint8_t*)src;
  for (int64_t i = 0; i < n; i++) {
    if (dtype == DENOTRT_FLOAT16) {
      uint16_t h;
      memcpy(&h, b + 2 * i, 2);
      dst[i] = half_to_float(h);
    } else if (dtype == DENOTRT_BFLOAT16) {
      uint16_t h;
      memcpy(&h, b + 2 * i, 2);
      uint32_t u = (uint32_t)h << 16;
      memcpy(&dst[i], &u, 4);
    } else if (dtype == DENOTRT_FLOAT64) {
      double d;
      memcpy(&d, b + 8 * i, 8);
      dst[i] = (float)d;
    } else {
      memcpy(&dst[i], b + 4 * i, 4);
    }
  }
}

void cpu_from_f32(const float* src, int32_t dtype, int64_t n, void* dst) {
  uint8_t* b = (uint8_t*)dst;
  for (int64_t i = 0; i < n; i++) {
    if (dtype == DENOTRT_FLOAT16) {
      uint16_t h = float_to_half(src[i]);
      memcpy(b + 2 * i, &h, 2);
    } else if (dtype == DENOTRT_BFLOAT16) {
      uint32_t u;
      memcpy(&u, &src[i], 4);
      u += 0x7fff + ((u >> 16) & 1); /* round to nearest even */
      uint16_t h = (uint16_t)(u >> 16);
      memcpy(b + 2 * i, &h, 2);
    } else if (dtype == DENOTRT_FLOAT64) {
      double d = src[i];
      memcpy(b + 8 * i, &d, 8);
    } else {
      memcpy(b + 4 * i, &src[i], 4);
    }
  }
}
