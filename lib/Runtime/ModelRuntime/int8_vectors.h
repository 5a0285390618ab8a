/*===- int8_vectors.h - vector types of the runtime's int8 kernels -*- C -*-===*\
 *
 * Shared by paso_qgemm.c, paso_qdepthwise_nhwc.c and paso_qmean.c: the
 * GCC vector types the int8 kernels compute in, and the byte interleave
 * that builds the four-byte lanes of a dot product (VPDPBUSD, SDOT).
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

#endif // PASO_RUNTIME_INT8_VECTORS_H
