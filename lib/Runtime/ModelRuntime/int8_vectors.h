/*===- int8_vectors.h - vector types of the runtime's int8 kernels -*- C -*-===*\
 *
 * Shared by paso_qgemm.c, paso_qdepthwise_nhwc.c and paso_qmean.c: the
 * GCC vector types the int8 kernels compute in, the byte interleave that
 * builds the four-byte lanes of a dot product (VPDPBUSD, SDOT), and the
 * requantisation of 16 channels in the lanes of one vector (the
 * channels-last kernels).
 *
\*===----------------------------------------------------------------------===*/

#ifndef PASO_RUNTIME_INT8_VECTORS_H
#define PASO_RUNTIME_INT8_VECTORS_H

#include <stdint.h>

typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef float f32x16 __attribute__((vector_size(64)));
typedef uint8_t u8x64 __attribute__((vector_size(64)));
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

/* Stores four rows of 16 bytes as 16 columns of four bytes each. */
static inline void interleave4(const u8x16 rows[4], uint8_t *out) {
  typedef uint8_t u8x32 __attribute__((vector_size(32)));
  typedef uint16_t u16x16 __attribute__((vector_size(32)));
  u8x32 lo = __builtin_shufflevector(rows[0], rows[1], 0, 16, 1, 17, 2, 18, 3,
                                     19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9,
                                     25, 10, 26, 11, 27, 12, 28, 13, 29, 14,
                                     30, 15, 31);
  u8x32 hi = __builtin_shufflevector(rows[2], rows[3], 0, 16, 1, 17, 2, 18, 3,
                                     19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9,
                                     25, 10, 26, 11, 27, 12, 28, 13, 29, 14,
                                     30, 15, 31);
  u16x16 a = (u16x16)lo, b = (u16x16)hi;
  u16x16 first = __builtin_shufflevector(a, b, 0, 16, 1, 17, 2, 18, 3, 19, 4,
                                         20, 5, 21, 6, 22, 7, 23);
  u16x16 second = __builtin_shufflevector(a, b, 8, 24, 9, 25, 10, 26, 11, 27,
                                          12, 28, 13, 29, 14, 30, 15, 31);
  __builtin_memcpy(out, &first, 32);
  __builtin_memcpy(out + 32, &second, 32);
}

/* The requantisation of the NCHW kernels (paso_qgemm.c's
 * REQUANTISE_BODY), per lane: scale, clamp to the output's range (integer
 * bounds, so before or after rounding agree), round half to even, add the
 * zero point; then `width` lanes stored. With every multiplier below 1
 * (`small`) |x| < 2^31, so the clamp follows the conversion in integers
 * (x86's float min/max cost two more instructions each to order NaNs);
 * larger ones clamp in floats. Vectors go by pointer: the 256-bit
 * AVX-VNNI kernels call these. */
typedef struct {
  f32x16 mult;
  i32x16 lo, hi, zero;
  int small, width;
} LaneRequantise;

static inline __attribute__((always_inline)) LaneRequantise
laneRequantise(const f32x16 *mult, int32_t minC, int32_t maxC, int32_t zeroC,
               int width) {
  LaneRequantise r;
  r.mult = *mult;
  r.lo = (i32x16){} + (minC - zeroC);
  r.hi = (i32x16){} + (maxC - zeroC);
  r.zero = (i32x16){} + zeroC;
  r.small = 1;
  for (int j = 0; j < 16; ++j)
    r.small &= (*mult)[j] < 1.0f;
  r.width = width;
  return r;
}

static inline __attribute__((always_inline)) void
storeLanes(const LaneRequantise *r, const i32x16 *acc, uint8_t *to) {
  f32x16 x = __builtin_convertvector(*acc, f32x16) * r->mult;
  if (!r->small)
    x = __builtin_elementwise_min(
        __builtin_elementwise_max(x, __builtin_convertvector(r->lo, f32x16)),
        __builtin_convertvector(r->hi, f32x16));
  i32x16 y = __builtin_convertvector(__builtin_elementwise_rint(x), i32x16);
  y = __builtin_elementwise_min(__builtin_elementwise_max(y, r->lo), r->hi);
  u8x16 bytes = __builtin_convertvector(y + r->zero, u8x16);
  if (r->width == 16)
    __builtin_memcpy(to, &bytes, 16);
  else
    for (int j = 0; j < r->width; ++j)
      to[j] = bytes[j];
}

#endif // PASO_RUNTIME_INT8_VECTORS_H
