/*===- paso_qgemm.c - the integer (int8 x uint8 -> int32) product -------===*\
 *
 * Integer convolutions and matrix products of quantised models, with the
 * requantising epilogue fused: the descriptor and layouts are in
 * include/paso/Runtime/paso_gemm.h (paso_qgemm_u8s8).
 *
 * The micro-kernel holds a tile of MR = 12 output channels x NR = 16
 * columns (pixels, or rows of a product) in 32-bit accumulators and walks
 * K four values at a time: one 64-byte vector of B (16 columns x 4 k of
 * uint8) against one broadcast 32-bit word of A (4 k of int8) per row.
 * That is the operand shape of x86's VPDPBUSD (unsigned x signed bytes,
 * four products summed into each 32-bit lane, no saturation). The
 * micro-kernel variants, one entry point each, chosen by the compiler
 * from the target's features:
 *   _vnni  VPDPBUSD (AVX-512 VNNI);
 *   _avx2  VPMADDWD on bytes widened to 16 bits (AVX2);
 *   _dot   SDOT (Armv8.2 dot product), B packed as int8;
 *   s8s8_neon  SMULL/SMLAL + SADALP (Armv8.0), B packed as int8, weights
 *          in [-127, 127];
 *   plain  32-bit vector arithmetic every target compiles, exactly.
 * Activations stored as int8 are read as uint8 by flipping the sign bit
 * (x ^ 0x80, zero point + 128) so one packing serves both (and the Arm
 * variants flip back to int8, the compiler adjusting the bias).
 *
 * Work is split into tasks of up to four 16-column groups: each task
 * packs its columns of B (the implicit im2col) once, then runs every row
 * panel over them, each panel's weights reused from cache by the groups.
 * The depthwise kernel (paso_qdepthwise_u8s8, at the end) vectorises 16
 * output pixels of a row per channel. Requantisation follows ONNX
 * Runtime's: the int32 sum times a float multiplier, clamped, rounded half
 * to even, then the output zero point added.
 *
\*===----------------------------------------------------------------------===*/

#include "int8_vectors.h"
#include "kernel_common.h"

/* The float activations of the dynamic epilogue (vector_math.inc). */
#define KERNEL _q
#define LANES 16
#include "vector_math.inc"
#undef VEC
#undef NAME
#undef CAT
#undef CAT2
#undef LANES
#undef KERNEL

enum { MR = PASO_QGEMM_MR, NR = PASO_QGEMM_NR };
/* Packed B lives on the stack, up to 128 KiB (one group of K up to
 * 8192, or four of K up to 2048); longer products use the heap. */
enum { STACK_BYTES = 128 << 10, MAX_GROUPS_PER_TASK = 4 };


typedef struct {
  int64_t M, N, K, K4, batch, ldb, ldc;
  int64_t aBatchStride, bBatchStride, cBatchStride;
  int bLayout, bSigned, columns;
  /* C holds the int32 sums (PASO_QGEMM_C_INT32), not requantised bytes. */
  int int32Out;
  /* PASO_QGEMM_DYNAMIC: 0, 1 or 2 (with a float bias); then the float
   * activations, their run-time quantisation, the per-row constants and
   * the activation (only its activation, alpha and beta are read). */
  int dynamic;
  const float *realB;
  float xScale;
  int32_t xZero;
  const int32_t *weightSums;
  const float *weightScales, *realBias;
  GemmProblem act;
  /* B's bytes as packed: XOR with `flip` (0x80 turns int8 into uint8,
   * or uint8 into int8 for SDOT); zeroB is the packed zero point. */
  uint8_t zeroB, flip;
  float zeroC, minC, maxC;
  int64_t imageC, imageH, imageW, kernelH, kernelW, strideH, strideW, padTop,
      padLeft, dilationH, dilationW, outW;
  const int8_t *A;
  const uint8_t *B;
  /* The micro-kernel: 0 portable; 1 the dot product of the architecture
   * (VPDPBUSD on x86, SDOT on aarch64); 2 the widening one (VPMADDWD on
   * x86, SMULL/SMLAL on aarch64). */
  const int32_t *bias;
  const float *mult;
  uint8_t *C;
  int64_t columnGroups, groupsPerTask;
  /* Per k of the im2col (K4 x 4 entries, zero past K): the offset of the
   * tap from the window's top-left pixel, and its row and column. */
  int32_t *tapOffsets;
  /* The images with their padding materialised (zB), flipped to uint8. */
  uint8_t *padded;
  int64_t paddedH, paddedW;
  int pointwise;
  /* PASO_B_NHWC_IMAGE with channels a multiple of four: each group of
   * four taps is one word of the padded image. */
  int tapWords;
  int dot;
  /* The matrix-vector path: panels of A per task. */
  int64_t panelsPerTask;
} QProblem;

/* Packs columns [n0, n0 + 16) of B as K4 groups of 16 x 4 bytes (columns
 * past N and k past K are zB, whose centred value is zero). The im2col
 * walks k outermost so that the 16 columns' reads of one tap are close
 * together; a pointwise convolution interleaves four channel rows of 16
 * pixels with two shuffles. */
static void packColumns(const QProblem *q, const uint8_t *B, int64_t n0,
                        uint8_t *packed) {
  uint8_t flip = q->flip;
  int64_t K = q->K, K4 = q->K4, width = q->N - n0 < NR ? q->N - n0 : NR;
  if (q->bLayout == PASO_B_TRANSPOSED) {
    /* Each column is a row of B: its four k of a group are one word. */
    uint32_t flip4 = flip * 0x01010101u;
    uint32_t zero4 = q->zeroB * 0x01010101u;
    int64_t fullGroups = K / 4;
    for (int64_t j = 0; j < NR; ++j) {
      uint8_t *out = packed + j * 4;
      if (j >= width) {
        for (int64_t g = 0; g < K4; ++g)
          __builtin_memcpy(out + g * NR * 4, &zero4, 4);
        continue;
      }
      const uint8_t *row = B + (n0 + j) * q->ldb;
      for (int64_t g = 0; g < fullGroups; ++g) {
        uint32_t word;
        __builtin_memcpy(&word, row + 4 * g, 4);
        word ^= flip4;
        __builtin_memcpy(out + g * NR * 4, &word, 4);
      }
      for (int64_t k = fullGroups * 4; k < K4 * 4; ++k)
        out[(k >> 2) * NR * 4 + (k & 3)] =
            k < K ? (uint8_t)(row[k] ^ flip) : q->zeroB;
    }
    return;
  }
  if (q->pointwise) {
    int64_t plane = q->imageH * q->imageW;
    const u8x16 flips = (u8x16){} + flip;
    for (int64_t g = 0; g < K4; ++g) {
      u8x16 rows[4];
      for (int i = 0; i < 4; ++i) {
        int64_t c = g * 4 + i;
        if (c < K) {
          __builtin_memcpy(&rows[i], B + c * plane + n0, NR);
          rows[i] ^= flips;
        } else {
          rows[i] = (u8x16){} + q->zeroB;
        }
      }
      interleave4(rows, packed + g * NR * 4);
    }
    return;
  }
  /* The general im2col reads the padded copy of the image (B here; its
   * borders are zB and its bytes already flipped), so no tap needs a
   * bounds check. Sixteen columns in one output row at stride 1 are
   * sixteen consecutive bytes of each tap's row. */
  int64_t oh0 = n0 / q->outW, ow0 = n0 % q->outW;
  if (q->bLayout == PASO_B_IM2COL && width == NR && ow0 + NR <= q->outW &&
      q->strideW == 1) {
    const uint8_t *base = B + oh0 * q->strideH * q->paddedW + ow0;
    const int32_t *offsets = q->tapOffsets;
    for (int64_t g = 0; g < K4; ++g, offsets += 4) {
      u8x16 rows[4];
      for (int i = 0; i < 4; ++i)
        __builtin_memcpy(&rows[i], base + offsets[i], NR);
      interleave4(rows, packed + g * NR * 4);
    }
    return;
  }
  /* Pixels of the padded image: a byte (NCHW) or imageC bytes (NHWC). */
  int64_t pixel = q->bLayout == PASO_B_NHWC_IMAGE ? q->imageC : 1;
  for (int64_t j = 0; j < NR; ++j) {
    int64_t n = n0 + (j < width ? j : 0);
    const uint8_t *base =
        B + ((n / q->outW) * q->strideH * q->paddedW +
             (n % q->outW) * q->strideW) *
                pixel;
    const int32_t *offsets = q->tapOffsets;
    uint8_t *out = packed + j * 4;
    if (q->tapWords) {
      /* NHWC with channels in fours: a group's four k are four
       * consecutive channels of one pixel, one word. */
      for (int64_t g = 0; g < K4; ++g, offsets += 4)
        __builtin_memcpy(out + g * NR * 4, base + offsets[0], 4);
      continue;
    }
    for (int64_t g = 0; g < K4; ++g, offsets += 4) {
      uint32_t word = (uint32_t)base[offsets[0]] |
                      (uint32_t)base[offsets[1]] << 8 |
                      (uint32_t)base[offsets[2]] << 16 |
                      (uint32_t)base[offsets[3]] << 24;
      __builtin_memcpy(out + g * NR * 4, &word, 4);
    }
  }
}

/* Portable: acc[r] += sum_i a[r][i] * b[., i] in 32-bit lanes. The four
 * bytes of each column are split into four vectors of 16 lanes. */
static void microPortable(const int8_t *a, const uint8_t *b, int64_t k4,
                          i32x16 acc[MR]) {
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, b += NR * 4) {
    u8x64 bytes;
    __builtin_memcpy(&bytes, b, 64);
    i32x16 b0 = __builtin_convertvector(
        __builtin_shufflevector(bytes, bytes, 0, 4, 8, 12, 16, 20, 24, 28, 32,
                                36, 40, 44, 48, 52, 56, 60),
        i32x16);
    i32x16 b1 = __builtin_convertvector(
        __builtin_shufflevector(bytes, bytes, 1, 5, 9, 13, 17, 21, 25, 29, 33,
                                37, 41, 45, 49, 53, 57, 61),
        i32x16);
    i32x16 b2 = __builtin_convertvector(
        __builtin_shufflevector(bytes, bytes, 2, 6, 10, 14, 18, 22, 26, 30,
                                34, 38, 42, 46, 50, 54, 58, 62),
        i32x16);
    i32x16 b3 = __builtin_convertvector(
        __builtin_shufflevector(bytes, bytes, 3, 7, 11, 15, 19, 23, 27, 31,
                                35, 39, 43, 47, 51, 55, 59, 63),
        i32x16);
    for (int r = 0; r < MR; ++r) {
      const int8_t *w = a + r * 4;
      acc[r] += b0 * (int32_t)w[0] + b1 * (int32_t)w[1] +
                b2 * (int32_t)w[2] + b3 * (int32_t)w[3];
    }
  }
}

#if defined(__x86_64__)
typedef int16_t i16x16 __attribute__((vector_size(32)));
typedef int32_t i32x8 __attribute__((vector_size(32)));
typedef int32_t i32x4 __attribute__((vector_size(16)));

/* One 32-bit word of four weights. */
static inline int32_t loadWord(const int8_t *p) {
  int32_t w;
  __builtin_memcpy(&w, p, 4);
  return w;
}

/* AVX-512 VNNI: one VPDPBUSD per row and group of four k. Compiled for
 * those features whatever the model's target; called only where the
 * target has them (paso-call-cpu-kernels reads the feature list). */
/* With `swap` (the channels-last kernel, qgemm_pixels.inc) the rows are
 * the unsigned operand and the columns the signed one. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static inline
    __attribute__((always_inline)) void
    microVnniBody(const int8_t *a, const uint8_t *b, int64_t k4,
                  i32x16 acc[MR], int swap) {
  i32x16 c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4],
         c5 = acc[5], c6 = acc[6], c7 = acc[7], c8 = acc[8], c9 = acc[9],
         c10 = acc[10], c11 = acc[11];
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, b += NR * 4) {
    i32x16 v;
    __builtin_memcpy(&v, b, 64);
#define STEP(c, r)                                                             \
  {                                                                            \
    i32x16 word = (i32x16){} + loadWord(a + (r) * 4);                          \
    c = swap ? __builtin_ia32_vpdpbusd512(c, word, v)                          \
             : __builtin_ia32_vpdpbusd512(c, v, word);                         \
  }
    STEP(c0, 0); STEP(c1, 1); STEP(c2, 2); STEP(c3, 3);
    STEP(c4, 4); STEP(c5, 5); STEP(c6, 6); STEP(c7, 7);
    STEP(c8, 8); STEP(c9, 9); STEP(c10, 10); STEP(c11, 11);
#undef STEP
  }
  acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3; acc[4] = c4;
  acc[5] = c5; acc[6] = c6; acc[7] = c7; acc[8] = c8; acc[9] = c9;
  acc[10] = c10; acc[11] = c11;
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
microVnni(const int8_t *a, const uint8_t *b, int64_t k4, i32x16 acc[MR]) {
  microVnniBody(a, b, k4, acc, 0);
}

__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
microVnniRows(const int8_t *a, const uint8_t *b, int64_t k4, i32x16 acc[MR]) {
  microVnniBody(a, b, k4, acc, 1);
}

/* AVX-VNNI (the VEX form of VPDPBUSD on 256-bit vectors: Alder Lake and
 * later, the Intel N100's Gracemont cores, Zen 5 without AVX-512): the
 * product of microVnni, sixteen columns as two halves. Sixteen registers
 * hold 6 rows x 2 halves of accumulators, the group's two halves of B and
 * the broadcast weight word, so the panel's 12 rows run in two passes. */
__attribute__((target("avx2,avxvnni"))) static inline
    __attribute__((always_inline)) void
    microAvxVnniBody(const int8_t *a, const uint8_t *b, int64_t k4,
                     i32x16 acc[MR], int swap) {
  enum { ROWS = 6 };
  for (int rb = 0; rb < MR; rb += ROWS) {
    i32x8 c[ROWS][2];
    for (int r = 0; r < ROWS; ++r)
      c[r][0] = c[r][1] = (i32x8){};
    const int8_t *ap = a + rb * 4;
    const uint8_t *bp = b;
    for (int64_t g = 0; g < k4; ++g, ap += MR * 4, bp += NR * 4) {
      i32x8 lo, hi;
      __builtin_memcpy(&lo, bp, 32);
      __builtin_memcpy(&hi, bp + 32, 32);
      for (int r = 0; r < ROWS; ++r) {
        i32x8 w = (i32x8){} + loadWord(ap + r * 4);
        c[r][0] = swap ? __builtin_ia32_vpdpbusd256(c[r][0], w, lo)
                       : __builtin_ia32_vpdpbusd256(c[r][0], lo, w);
        c[r][1] = swap ? __builtin_ia32_vpdpbusd256(c[r][1], w, hi)
                       : __builtin_ia32_vpdpbusd256(c[r][1], hi, w);
      }
    }
    for (int r = 0; r < ROWS; ++r)
      acc[rb + r] = __builtin_shufflevector(c[r][0], c[r][1], 0, 1, 2, 3, 4,
                                            5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
                                            15);
  }
}

__attribute__((target("avx2,avxvnni"))) static void
microAvxVnni(const int8_t *a, const uint8_t *b, int64_t k4, i32x16 acc[MR]) {
  microAvxVnniBody(a, b, k4, acc, 0);
}

__attribute__((target("avx2,avxvnni"))) static void
microAvxVnniRows(const int8_t *a, const uint8_t *b, int64_t k4,
                 i32x16 acc[MR]) {
  microAvxVnniBody(a, b, k4, acc, 1);
}

/* AVX2 without VNNI: bytes widened to 16 bits (activations zero-, weights
 * sign-extended), VPMADDWD summing two products into each 32-bit lane,
 * which cannot overflow (2 x 255 x 128 < 2^31): no saturation, unlike
 * VPMADDUBSW's 16-bit sums. Two rows at a time: 4 column quads of 32-bit
 * partials (two k per lane), reduced pairwise at the end. */
__attribute__((target("avx2"))) static void
microAvx2(const int8_t *a, const uint8_t *b, int64_t k4, i32x16 acc[MR]) {
  for (int rb = 0; rb < MR; rb += 2) {
    i32x8 s00 = {0}, s01 = s00, s02 = s00, s03 = s00;
    i32x8 s10 = s00, s11 = s00, s12 = s00, s13 = s00;
    const int8_t *ap = a + rb * 4;
    const uint8_t *bp = b;
    for (int64_t g = 0; g < k4; ++g, ap += MR * 4, bp += NR * 4) {
      u8x16 q[4];
      __builtin_memcpy(q, bp, 64);
      i16x16 x0 = __builtin_convertvector(q[0], i16x16);
      i16x16 x1 = __builtin_convertvector(q[1], i16x16);
      i16x16 x2 = __builtin_convertvector(q[2], i16x16);
      i16x16 x3 = __builtin_convertvector(q[3], i16x16);
      i16x16 w0 = __builtin_convertvector(
          (i8x16)((i32x4){} + loadWord(ap)), i16x16);
      i16x16 w1 = __builtin_convertvector(
          (i8x16)((i32x4){} + loadWord(ap + 4)), i16x16);
      s00 += __builtin_ia32_pmaddwd256(x0, w0);
      s01 += __builtin_ia32_pmaddwd256(x1, w0);
      s02 += __builtin_ia32_pmaddwd256(x2, w0);
      s03 += __builtin_ia32_pmaddwd256(x3, w0);
      s10 += __builtin_ia32_pmaddwd256(x0, w1);
      s11 += __builtin_ia32_pmaddwd256(x1, w1);
      s12 += __builtin_ia32_pmaddwd256(x2, w1);
      s13 += __builtin_ia32_pmaddwd256(x3, w1);
    }
    i32x8 rows[2][4] = {{s00, s01, s02, s03}, {s10, s11, s12, s13}};
    for (int r = 0; r < 2; ++r) {
      i32x4 columns[4];
      for (int i = 0; i < 4; ++i)
        columns[i] =
            __builtin_shufflevector(rows[r][i], rows[r][i], 0, 2, 4, 6) +
            __builtin_shufflevector(rows[r][i], rows[r][i], 1, 3, 5, 7);
      __builtin_memcpy(&acc[rb + r], columns, 64);
    }
  }
}
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

/* Armv8.2 dot product (SDOT, Cortex-A76/rpi5): signed x signed bytes, so
 * B is packed as int8 (b ^ 0x80 = b - 128, see qgemm) and the compiler
 * adds 128 x the row sums of A to the bias for this variant. Six rows at
 * a time, in two passes over the panel: 6 x 4 quads of 32-bit lanes (24
 * registers) over the 16 columns, each weight word used by lane (SDOT by
 * element) from one q and one d load of the rows' 24 bytes. Four rows a
 * pass loaded the 64 bytes of B three times per panel row instead of
 * twice, and those loads left a Cortex-A76's three-wide dispatch short of
 * two SDOTs a cycle (80% of peak by llvm-mca's Neoverse N1 model, 96%
 * this way; benchmarks/mca_kernels.py). */
__attribute__((target("dotprod"))) static void
microDot(const int8_t *a, const uint8_t *b, int64_t k4, i32x16 acc[MR]) {
  _Static_assert(MR % 6 == 0, "passes of six rows");
  for (int rb = 0; rb < MR; rb += 6) {
    int32x4_t c[6][4];
    for (int r = 0; r < 6; ++r)
      for (int j = 0; j < 4; ++j)
        c[r][j] = vdupq_n_s32(0);
    const int8_t *ap = a + rb * 4;
    const uint8_t *bp = b;
#pragma clang loop unroll_count(2)
    for (int64_t g = 0; g < k4; ++g, ap += MR * 4, bp += NR * 4) {
      int8x16_t w = vld1q_s8(ap);
      int8x8_t w45 = vld1_s8(ap + 16);
      for (int j = 0; j < 4; ++j) {
        int8x16_t x = vld1q_s8((const int8_t *)(bp + 16 * j));
        c[0][j] = vdotq_laneq_s32(c[0][j], x, w, 0);
        c[1][j] = vdotq_laneq_s32(c[1][j], x, w, 1);
        c[2][j] = vdotq_laneq_s32(c[2][j], x, w, 2);
        c[3][j] = vdotq_laneq_s32(c[3][j], x, w, 3);
        c[4][j] = vdotq_lane_s32(c[4][j], x, w45, 0);
        c[5][j] = vdotq_lane_s32(c[5][j], x, w45, 1);
      }
    }
    for (int r = 0; r < 6; ++r)
      __builtin_memcpy(&acc[rb + r], c[r], 64);
  }
}
/* Armv8.0 without dot product (Cortex-A72/rpi4): SMULL then SMLAL of two
 * k groups into 16-bit lanes, SADALP into 32-bit ones. Two products of
 * int8 B (packed as for SDOT) and weights in [-127, 127] fit 16 bits
 * (2 x 128 x 127 < 2^15), which is why the compiler picks this variant
 * only for weights without -128. One row at a time: 4 column quads x 2
 * halves of 32-bit partial sums, two k values per lane, reduced pairwise
 * at the end (eight accumulators leave room for B without spills). */
static void microWiden(const int8_t *a, const uint8_t *b, int64_t k4,
                       i32x16 acc[MR]) {
  for (int r = 0; r < MR; ++r) {
    int32x4_t p0 = vdupq_n_s32(0), p1 = p0, p2 = p0, p3 = p0, p4 = p0,
              p5 = p0, p6 = p0, p7 = p0;
    const int8_t *ap = a + r * 4;
    const int8_t *bp = (const int8_t *)b;
    int64_t g = 0;
    for (; g + 2 <= k4; g += 2, ap += 2 * MR * 4, bp += 2 * NR * 4) {
      int8x8_t u = vreinterpret_s8_s32(vld1_dup_s32((const int32_t *)ap));
      int8x8_t v =
          vreinterpret_s8_s32(vld1_dup_s32((const int32_t *)(ap + MR * 4)));
      int8x16_t uu = vcombine_s8(u, u), vv = vcombine_s8(v, v);
#define QUAD(i, lo, hi)                                                        \
  {                                                                            \
    int8x16_t x = vld1q_s8(bp + 16 * (i));                                     \
    int8x16_t y = vld1q_s8(bp + NR * 4 + 16 * (i));                            \
    lo = vpadalq_s16(lo, vmlal_s8(vmull_s8(vget_low_s8(x), u),               \
                                  vget_low_s8(y), v));                         \
    hi = vpadalq_s16(hi, vmlal_high_s8(vmull_high_s8(x, uu), y, vv));          \
  }
      QUAD(0, p0, p1)
      QUAD(1, p2, p3)
      QUAD(2, p4, p5)
      QUAD(3, p6, p7)
#undef QUAD
    }
    for (; g < k4; ++g, ap += MR * 4, bp += NR * 4) {
      int8x8_t u = vreinterpret_s8_s32(vld1_dup_s32((const int32_t *)ap));
      int8x16_t uu = vcombine_s8(u, u);
#define QUAD(i, lo, hi)                                                        \
  {                                                                            \
    int8x16_t x = vld1q_s8(bp + 16 * (i));                                     \
    lo = vpadalq_s16(lo, vmull_s8(vget_low_s8(x), u));                         \
    hi = vpadalq_s16(hi, vmull_high_s8(x, uu));                                \
  }
      QUAD(0, p0, p1)
      QUAD(1, p2, p3)
      QUAD(2, p4, p5)
      QUAD(3, p6, p7)
#undef QUAD
    }
    /* Lanes hold (column, k pair) partials: pairwise sums give columns. */
    int32x4_t quads[4] = {vpaddq_s32(p0, p1), vpaddq_s32(p2, p3),
                          vpaddq_s32(p4, p5), vpaddq_s32(p6, p7)};
    __builtin_memcpy(&acc[r], quads, 64);
  }
}
#endif

/* Requantises rows [m0, m0 + rows) x columns [n0, n0 + 16) and stores the
 * columns that exist. Clamping before the rounding is exact: the bounds
 * are integers. */
/* The requantised bytes of one row of accumulators: scaled, clamped
 * to the output's range, rounded half to even before the zero point is
 * added in integers (a float sum with the zero point could itself round:
 * ONNX Runtime's order). rint in the default rounding mode (half to even)
 * folds with the conversion into one CVTPS2DQ / FCVTNS.
 * With a multiplier below 1 (as good as always: input x weight scale over
 * output scale) |x| < 2^31, the conversion cannot overflow, and the clamp
 * follows it in integers: the bounds are integers, so clamping before or
 * after rounding agrees, and integer min/max are one instruction each
 * where x86's float ones need two more to order NaNs (5% of MobileNetV2's
 * int8 time). Larger multipliers clamp first, in floats. */
#define REQUANTISE_BODY                                                        \
  f32x16 x = __builtin_convertvector(acc + bias, f32x16) * mult;               \
  i32x16 y;                                                                    \
  if (mult < 1.0f) {                                                           \
    y = __builtin_convertvector(__builtin_elementwise_rint(x), i32x16);        \
    y = __builtin_elementwise_min(                                             \
        __builtin_elementwise_max(y, __builtin_convertvector(lo, i32x16)),     \
        __builtin_convertvector(hi, i32x16));                                  \
  } else {                                                                     \
    x = __builtin_elementwise_min(__builtin_elementwise_max(x, lo), hi);       \
    y = __builtin_convertvector(__builtin_elementwise_rint(x), i32x16);        \
  }                                                                            \
  return __builtin_convertvector(y + zero, u8x16);
static inline __attribute__((always_inline)) u8x16
requantise(i32x16 acc, int32_t bias, float mult, f32x16 lo, f32x16 hi,
           int32_t zero) {
  REQUANTISE_BODY
}

/* Transposes 16 x 16 32-bit lanes in place: four stages, each swapping
 * the off-diagonal s x s blocks of every 2s x 2s block. */
#define UNWRAP(...) __VA_ARGS__
#define TRANSPOSE_STAGE(s, LO, HI)                                             \
  _Pragma("clang loop unroll(full)") for (int i = 0; i < 16; ++i)              \
    if (!(i & (s))) {                                                          \
      i32x16 a = m[i], b = m[i + (s)];                                         \
      m[i] = __builtin_shufflevector(a, b, UNWRAP LO);                         \
      m[i + (s)] = __builtin_shufflevector(a, b, UNWRAP HI);                   \
    }
/* Unrolled, so that the 16 vectors stay in registers (as a loop it
 * went through the stack and took a third of a channels-last MobileNetV2). */
static inline __attribute__((always_inline)) void transpose16(i32x16 m[16]) {
  TRANSPOSE_STAGE(8, (0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23),
                  (8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))
  TRANSPOSE_STAGE(4, (0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27),
                  (4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31))
  TRANSPOSE_STAGE(2, (0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29),
                  (2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31))
  TRANSPOSE_STAGE(1, (0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30),
                  (1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31))
}
#undef TRANSPOSE_STAGE
#undef UNWRAP

/* Writes a tile's rows of 32-bit results by columns (C_COLUMNS: element
 * (m, n) at n * LDC + m): transposed in registers, then `rows`
 * consecutive values per column. Bytes (the requantised results) are
 * narrowed after the transpose. */
static void storeColumns(const QProblem *q, void *C, int bytes, int64_t m0,
                         int rows, int64_t n0, int64_t width, i32x16 m[16]) {
  for (int r = rows; r < 16; ++r)
    m[r] = (i32x16){};
  transpose16(m);
  for (int64_t j = 0; j < width; ++j) {
    int64_t at = (n0 + j) * q->ldc + m0;
    if (bytes == 1) {
      u8x16 column = __builtin_convertvector(m[j], u8x16);
      if (rows == MR) {
        __builtin_memcpy((uint8_t *)C + at, &column, 8);
        __builtin_memcpy((uint8_t *)C + at + 8, (uint8_t *)&column + 8, 4);
      } else {
        for (int r = 0; r < rows; ++r)
          ((uint8_t *)C)[at + r] = column[r];
      }
    } else if (rows == MR) {
      __builtin_memcpy((int32_t *)C + at, &m[j], MR * 4);
    } else {
      for (int r = 0; r < rows; ++r)
        ((int32_t *)C)[at + r] = m[j][r];
    }
  }
}

/* The int32 sums with the zero-point correction (MatMulInteger). */
static void storeSums(const QProblem *q, int32_t *C, int64_t m0, int rows,
                      int64_t n0, int64_t width, const i32x16 acc[]) {
  if (q->columns) {
    i32x16 tile[16];
    for (int r = 0; r < rows; ++r)
      tile[r] = acc[r] + q->bias[m0 + r];
    storeColumns(q, C, 4, m0, rows, n0, width, tile);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    int64_t m = m0 + r;
    i32x16 sums = acc[r] + q->bias[m];
    if (width == NR) {
      __builtin_memcpy(C + m * q->ldc + n0, &sums, sizeof sums);
    } else {
      for (int64_t j = 0; j < width; ++j)
        C[m * q->ldc + n0 + j] = sums[j];
    }
  }
}

/* The dequantised, activated floats (PASO_QGEMM_DYNAMIC), in the order of
 * operations of the graph they replace. */
static void storeReal(const QProblem *q, float *C, int64_t m0, int rows,
                      int64_t n0, int64_t width, const i32x16 acc[]) {
  i32x16 tile[16];
  for (int r = 0; r < rows; ++r) {
    int64_t m = m0 + r;
    int32_t correction = q->bias[m] - q->xZero * q->weightSums[m];
    f32x16 v = __builtin_convertvector(acc[r] + correction, f32x16) *
               (q->xScale * q->weightScales[m]);
    if (q->dynamic == 2)
      v = v + q->realBias[m];
    v = activate_q(&q->act, v);
    if (!q->columns) {
      for (int64_t j = 0; j < width; ++j)
        C[m * q->ldc + n0 + j] = v[j];
      continue;
    }
    tile[r] = (i32x16)v;
  }
  if (q->columns)
    storeColumns(q, C, 4, m0, rows, n0, width, tile);
}

static void storeTile(const QProblem *q, uint8_t *C, int64_t m0, int rows,
                      int64_t n0, int64_t width, const i32x16 acc[]) {
  if (q->dynamic) {
    storeReal(q, (float *)C, m0, rows, n0, width, acc);
    return;
  }
  if (q->int32Out) {
    storeSums(q, (int32_t *)C, m0, rows, n0, width, acc);
    return;
  }
  const f32x16 lo = (f32x16){} + (q->minC - q->zeroC);
  const f32x16 hi = (f32x16){} + (q->maxC - q->zeroC);
  const int32_t zero = (int32_t)q->zeroC;
  if (q->columns) {
    i32x16 tile[16];
    for (int r = 0; r < rows; ++r) {
      int64_t m = m0 + r;
      tile[r] = __builtin_convertvector(
          requantise(acc[r], q->bias[m], q->mult[m], lo, hi, zero), i32x16);
    }
    storeColumns(q, C, 1, m0, rows, n0, width, tile);
    return;
  }
  for (int r = 0; r < rows; ++r) {
    int64_t m = m0 + r;
    u8x16 bytes = requantise(acc[r], q->bias[m], q->mult[m], lo, hi, zero);
    if (width == NR)
      __builtin_memcpy(C + m * q->ldc + n0, &bytes, NR);
    else
      for (int64_t j = 0; j < width; ++j)
        C[m * q->ldc + n0 + j] = bytes[j];
  }
}

/* acc[r][j] += sum_k a[r][k] * b[j][k] over the K4 groups of a panel
 * of rows `a` and a group of 16 columns `b`, by the call's variant. */
static void runMicroKernel(const QProblem *q, const int8_t *a,
                           const uint8_t *b, i32x16 acc[MR]) {
#if defined(__x86_64__)
  if (q->dot == 1)
    microVnni(a, b, q->K4, acc);
  else if (q->dot == 2)
    microAvx2(a, b, q->K4, acc);
  else if (q->dot == 3)
    microAvxVnni(a, b, q->K4, acc);
  else
#elif defined(__aarch64__)
  if (q->dot == 1)
    microDot(a, b, q->K4, acc);
  else if (q->dot == 2)
    microWiden(a, b, q->K4, acc);
  else
#endif
    microPortable(a, b, q->K4, acc);
}

/* One task: a run of column groups of one image, packed once, against
 * every row panel (a panel's weights stay in L1/L2 across the groups). */
static void runTask(int32_t task, void *context) {
  const QProblem *q = (const QProblem *)context;
  int64_t tasksPerImage =
      (q->columnGroups + q->groupsPerTask - 1) / q->groupsPerTask;
  int64_t image = task / tasksPerImage;
  int64_t firstGroup = (task % tasksPerImage) * q->groupsPerTask;
  int64_t groups = q->columnGroups - firstGroup < q->groupsPerTask
                       ? q->columnGroups - firstGroup
                       : q->groupsPerTask;
  const uint8_t *B = (q->padded ? q->padded : q->B) + image * q->bBatchStride;
  uint8_t *C = q->C + image * q->cBatchStride *
                          (q->int32Out || q->dynamic ? 4 : 1);
  size_t groupBytes = (size_t)q->K4 * NR * 4;
  _Alignas(64) uint8_t local[STACK_BYTES];
  uint8_t *packed = local;
  if (groupBytes * groups > STACK_BYTES) {
    packed = aligned_alloc(64, groupBytes * groups);
    if (!packed)
      abort();
  }
  for (int64_t g = 0; g < groups; ++g)
    packColumns(q, B, (firstGroup + g) * NR, packed + g * groupBytes);
  int64_t panels = (q->M + MR - 1) / MR;
  for (int64_t p = 0; p < panels; ++p) {
    const int8_t *a = q->A + p * q->K4 * MR * 4;
    int64_t m0 = p * MR;
    int rows = q->M - m0 < MR ? (int)(q->M - m0) : MR;
    for (int64_t g = 0; g < groups; ++g) {
      i32x16 acc[MR];
      for (int r = 0; r < MR; ++r)
        acc[r] = (i32x16){};
      runMicroKernel(q, a, packed + g * groupBytes, acc);
      int64_t n0 = (firstGroup + g) * NR;
      storeTile(q, C, m0, rows, n0, q->N - n0 < NR ? q->N - n0 : NR, acc);
    }
  }
  if (packed != local)
    free(packed);
}

/* The matrix-vector path, for products of at most GEMV_ROWS rows (batch
 * 1 through a fully connected layer): the 16-column tile would leave 15
 * of 16 lanes idle, so each row of B is instead broadcast four bytes at a
 * time against a panel's 12 rows x 4 k of weights, and the panel's sums
 * are handed to storeTile as its columns. */
/* The rows are copied flipped into a stack buffer, so K is bounded. */
enum { GEMV_ROWS = 3, GEMV_MAX_K = 4096 };

/* Row n of B as the micro-kernels read it: flipped like the packing, and
 * zero past K (where A is 0). */
static void gemvRow(const QProblem *q, int64_t n, uint8_t *bytes) {
  const uint8_t *row = q->B + n * q->ldb;
  for (int64_t k = 0; k < q->K4 * 4; ++k)
    bytes[k] = k < q->K ? (uint8_t)(row[k] ^ q->flip) : 0;
}

/* One panel's 12 sums for one row of B, in lanes 0-11: the weights of
 * each k of a group gathered into 16 lanes and widened (every target).
 * The Arm dot kernels' bias expects B's bytes read as int8. */
static i32x16 gemvPortable(const int8_t *a, const uint8_t *row, int64_t k4,
                           int signedB) {
  typedef int8_t i8x64 __attribute__((vector_size(64)));
  i32x16 acc = (i32x16){};
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, row += 4) {
    int32_t b[4];
    for (int i = 0; i < 4; ++i)
      b[i] = signedB ? (int32_t)(int8_t)row[i] : (int32_t)row[i];
    i8x64 w = (i8x64){};
    __builtin_memcpy(&w, a, MR * 4);
#define LANES_OF(i)                                                            \
  __builtin_convertvector(                                                     \
      __builtin_shufflevector(w, w, i, i + 4, i + 8, i + 12, i + 16, i + 20,   \
                              i + 24, i + 28, i + 32, i + 36, i + 40, i + 44,  \
                              i + 48, i + 52, i + 56, i + 60),                 \
      i32x16)
    acc += LANES_OF(0) * b[0] + LANES_OF(1) * b[1] + LANES_OF(2) * b[2] +
           LANES_OF(3) * b[3];
#undef LANES_OF
  }
  return acc;
}

#if defined(__x86_64__)
/* AVX-512 VNNI: one VPDPBUSD per group of four k, the row's four bytes
 * broadcast against the panel's 12 x 4 weights. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
gemvVnni(const int8_t *a, const uint8_t *row, int64_t k4, i32x16 *sums) {
  i32x16 acc = (i32x16){};
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, row += 4) {
    i32x16 w = (i32x16){};
    __builtin_memcpy(&w, a, MR * 4);
    int32_t word;
    __builtin_memcpy(&word, row, 4);
    acc = __builtin_ia32_vpdpbusd512(acc, (i32x16){} + word, w);
  }
  *sums = acc;
}

/* AVX-VNNI: the panel's 12 x 4 weights as two 256-bit halves. */
__attribute__((target("avx2,avxvnni"))) static void
gemvAvxVnni(const int8_t *a, const uint8_t *row, int64_t k4, i32x16 *sums) {
  i32x8 lo = (i32x8){}, hi = (i32x8){};
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, row += 4) {
    i32x8 w0, w1 = (i32x8){};
    __builtin_memcpy(&w0, a, 32);
    __builtin_memcpy(&w1, a + 32, MR * 4 - 32);
    int32_t word;
    __builtin_memcpy(&word, row, 4);
    lo = __builtin_ia32_vpdpbusd256(lo, (i32x8){} + word, w0);
    hi = __builtin_ia32_vpdpbusd256(hi, (i32x8){} + word, w1);
  }
  *sums = __builtin_shufflevector(lo, hi, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                  11, 12, 13, 14, 15);
}
#endif

#if defined(__aarch64__)
/* The row's four bytes at `row` (int8, packed as for the Arm products) in
 * every lane. */
static inline int8x16_t rowWord(const uint8_t *row) {
  int32_t word;
  __builtin_memcpy(&word, row, 4);
  return vreinterpretq_s8_s32(vdupq_n_s32(word));
}

/* SDOT (rpi5): the row's word against the panel's weights, four rows a
 * register: three SDOTs per group of four k, where the portable path
 * widens 48 weights. Two groups at a time into separate sums, so that the
 * SDOTs' latency overlaps. */
__attribute__((target("dotprod"))) static void
gemvDot(const int8_t *a, const uint8_t *row, int64_t k4, i32x16 *sums) {
  int32x4_t s0 = vdupq_n_s32(0), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0;
  int64_t g = 0;
  for (; g + 2 <= k4; g += 2, a += 2 * MR * 4, row += 8) {
    int8x16_t x = rowWord(row), y = rowWord(row + 4);
    s0 = vdotq_s32(s0, vld1q_s8(a), x);
    s1 = vdotq_s32(s1, vld1q_s8(a + 16), x);
    s2 = vdotq_s32(s2, vld1q_s8(a + 32), x);
    s3 = vdotq_s32(s3, vld1q_s8(a + 48), y);
    s4 = vdotq_s32(s4, vld1q_s8(a + 64), y);
    s5 = vdotq_s32(s5, vld1q_s8(a + 80), y);
  }
  if (g < k4) {
    int8x16_t x = rowWord(row);
    s0 = vdotq_s32(s0, vld1q_s8(a), x);
    s1 = vdotq_s32(s1, vld1q_s8(a + 16), x);
    s2 = vdotq_s32(s2, vld1q_s8(a + 32), x);
  }
  int32x4_t quads[4] = {vaddq_s32(s0, s3), vaddq_s32(s1, s4),
                        vaddq_s32(s2, s5), vdupq_n_s32(0)};
  __builtin_memcpy(sums, quads, 64);
}

/* Armv8.0 (rpi4): SMULL, one product per 16-bit lane (so any weight,
 * -128 included), SADALP into (row, k pair) partials, pairwise sums at
 * the end: twelve multiplies and adds per group of four k. */
static void gemvWiden(const int8_t *a, const uint8_t *row, int64_t k4,
                      i32x16 *sums) {
  int32x4_t p0 = vdupq_n_s32(0), p1 = p0, p2 = p0, p3 = p0, p4 = p0, p5 = p0;
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, row += 4) {
    int8x16_t x = rowWord(row);
    int8x8_t xl = vget_low_s8(x);
    int8x16_t w0 = vld1q_s8(a), w1 = vld1q_s8(a + 16), w2 = vld1q_s8(a + 32);
    p0 = vpadalq_s16(p0, vmull_s8(vget_low_s8(w0), xl));
    p1 = vpadalq_s16(p1, vmull_high_s8(w0, x));
    p2 = vpadalq_s16(p2, vmull_s8(vget_low_s8(w1), xl));
    p3 = vpadalq_s16(p3, vmull_high_s8(w1, x));
    p4 = vpadalq_s16(p4, vmull_s8(vget_low_s8(w2), xl));
    p5 = vpadalq_s16(p5, vmull_high_s8(w2, x));
  }
  int32x4_t quads[4] = {vpaddq_s32(p0, p1), vpaddq_s32(p2, p3),
                        vpaddq_s32(p4, p5), vdupq_n_s32(0)};
  __builtin_memcpy(sums, quads, 64);
}
#endif

static void gemvTask(int32_t task, void *context) {
  const QProblem *q = (const QProblem *)context;
  int64_t panels = (q->M + MR - 1) / MR;
  int64_t first = task * q->panelsPerTask;
  int64_t last = first + q->panelsPerTask < panels ? first + q->panelsPerTask
                                                    : panels;
  uint8_t bytes[GEMV_ROWS][q->K4 * 4];
  for (int64_t n = 0; n < q->N; ++n)
    gemvRow(q, n, bytes[n]);
  int signedB = 0;
#if defined(__aarch64__)
  signedB = q->dot != 0;
#endif
  for (int64_t p = first; p < last; ++p) {
    const int8_t *a = q->A + p * q->K4 * MR * 4;
    int64_t m0 = p * MR;
    int rows = q->M - m0 < MR ? (int)(q->M - m0) : MR;
    i32x16 acc[MR];
    for (int r = 0; r < MR; ++r)
      acc[r] = (i32x16){};
    for (int64_t n = 0; n < q->N; ++n) {
      i32x16 sums;
#if defined(__x86_64__)
      if (q->dot == 1)
        gemvVnni(a, bytes[n], q->K4, &sums);
      else if (q->dot == 3)
        gemvAvxVnni(a, bytes[n], q->K4, &sums);
      else
#elif defined(__aarch64__)
      if (q->dot == 1)
        gemvDot(a, bytes[n], q->K4, &sums);
      else if (q->dot == 2)
        gemvWiden(a, bytes[n], q->K4, &sums);
      else
#endif
        sums = gemvPortable(a, bytes[n], q->K4, signedB);
      for (int r = 0; r < MR; ++r)
        acc[r][n] = sums[r];
    }
    storeTile(q, q->C, m0, rows, 0, q->N, acc);
  }
}

/* Sizes the padded images to cover every window of the output. */
static void sizePadding(QProblem *q) {
  int64_t outH = q->N / q->outW;
  int64_t lastH = (outH - 1) * q->strideH + (q->kernelH - 1) * q->dilationH;
  int64_t lastW = (q->outW - 1) * q->strideW + (q->kernelW - 1) * q->dilationW;
  q->paddedH = lastH + 1 > q->padTop + q->imageH ? lastH + 1
                                                 : q->padTop + q->imageH;
  q->paddedW = lastW + 1 > q->padLeft + q->imageW ? lastW + 1
                                                  : q->padLeft + q->imageW;
}

/* dst[0, n) = src[0, n) ^ flip, by vectors; the row's tail is one more
 * vector overlapping the last full one (rows of 7 or 14 pixels are
 * common), so no byte loop runs. */
static inline void copyRow(uint8_t *dst, const uint8_t *src, int64_t n,
                           uint8_t flip) {
  typedef uint8_t u8x8 __attribute__((vector_size(8)));
  typedef uint8_t u8x4 __attribute__((vector_size(4)));
#define COPY(T, at)                                                            \
  {                                                                            \
    T v;                                                                       \
    __builtin_memcpy(&v, src + (at), sizeof(T));                               \
    v ^= (T){} + flip;                                                         \
    __builtin_memcpy(dst + (at), &v, sizeof(T));                               \
  }
  if (n >= 16) {
    for (int64_t x = 0; x + 16 <= n; x += 16)
      COPY(u8x16, x)
    COPY(u8x16, n - 16)
  } else if (n >= 8) {
    COPY(u8x8, 0)
    COPY(u8x8, n - 8)
  } else if (n >= 4) {
    COPY(u8x4, 0)
    COPY(u8x4, n - 4)
  } else {
    for (int64_t x = 0; x < n; ++x)
      dst[x] = src[x] ^ flip;
  }
#undef COPY
}

/* Copies every image of the batch into q->padded (sized by sizePadding),
 * bytes flipped to uint8, borders zB. */
/* The padded, flipped copy of channel c of image b (B's batch stride is
 * the input's). */
static void padChannel(const QProblem *q, int64_t b, int64_t c) {
  int64_t plane = q->paddedH * q->paddedW;
  const uint8_t *from =
      q->B + b * q->bBatchStride + c * q->imageH * q->imageW;
  uint8_t *to = q->padded + (b * q->imageC + c) * plane;
  for (int64_t y = 0; y < q->paddedH; ++y) {
    int64_t iy = y - q->padTop;
    uint8_t *row = to + y * q->paddedW;
    if (iy < 0 || iy >= q->imageH) {
      __builtin_memset(row, q->zeroB, (size_t)q->paddedW);
      continue;
    }
    /* Borders of a byte or two: stores, not memset calls. */
    for (int64_t x = 0; x < q->padLeft; ++x)
      row[x] = q->zeroB;
    copyRow(row + q->padLeft, from + iy * q->imageW, q->imageW, q->flip);
    for (int64_t x = q->padLeft + q->imageW; x < q->paddedW; ++x)
      row[x] = q->zeroB;
  }
}

static void padImages(QProblem *q) {
  for (int64_t b = 0; b < q->batch; ++b)
    for (int64_t c = 0; c < q->imageC; ++c)
      padChannel(q, b, c);
}

/* Builds the padded, flipped copy of every image of the batch and the
 * tap offsets into it, in `scratch` (PASO_QGEMM_SCRATCH_BYTES from the
 * model's arena); B's batch stride becomes the copy's. */
static void prepareIm2col(QProblem *q, uint8_t *scratch) {
  sizePadding(q);
  int64_t plane = q->paddedH * q->paddedW;
  int64_t perImage = q->imageC * plane;
  int64_t taps = q->K4 * 4;
  q->tapOffsets = (int32_t *)scratch;
  q->padded = scratch + taps * sizeof(int32_t);
  padImages(q);
  int64_t k = 0;
  for (int64_t c = 0; c < q->imageC; ++c)
    for (int64_t kh = 0; kh < q->kernelH; ++kh)
      for (int64_t kw = 0; kw < q->kernelW; ++kw, ++k)
        q->tapOffsets[k] = (int32_t)(c * plane +
                                     kh * q->dilationH * q->paddedW +
                                     kw * q->dilationW);
  for (; k < taps; ++k)
    q->tapOffsets[k] = 0;
  q->bBatchStride = perImage;
}

/* prepareIm2col for an H x W x C image (PASO_B_NHWC_IMAGE, k = (kh, kw,
 * c) as the channels-last filter is packed): the padded copy is
 * paddedH x paddedW pixels of C bytes, and a tap's offset is in bytes
 * from the window's top-left pixel. */
static void prepareIm2colNhwc(QProblem *q, uint8_t *scratch) {
  sizePadding(q);
  int64_t C = q->imageC, rowBytes = q->paddedW * C;
  int64_t perImage = q->paddedH * rowBytes;
  int64_t taps = q->K4 * 4;
  q->tapOffsets = (int32_t *)scratch;
  q->padded = scratch + taps * sizeof(int32_t);
  for (int64_t b = 0; b < q->batch; ++b)
    for (int64_t y = 0; y < q->paddedH; ++y) {
      uint8_t *row = q->padded + b * perImage + y * rowBytes;
      int64_t iy = y - q->padTop;
      if (iy < 0 || iy >= q->imageH) {
        __builtin_memset(row, q->zeroB, (size_t)rowBytes);
        continue;
      }
      int64_t left = q->padLeft * C, inner = q->imageW * C;
      __builtin_memset(row, q->zeroB, (size_t)left);
      copyRow(row + left, q->B + b * q->bBatchStride + iy * inner, inner,
              q->flip);
      __builtin_memset(row + left + inner, q->zeroB,
                       (size_t)(rowBytes - left - inner));
    }
  int64_t k = 0;
  for (int64_t kh = 0; kh < q->kernelH; ++kh)
    for (int64_t kw = 0; kw < q->kernelW; ++kw)
      for (int64_t c = 0; c < C; ++c, ++k)
        q->tapOffsets[k] = (int32_t)((kh * q->dilationH * q->paddedW +
                                      kw * q->dilationW) *
                                         C +
                                     c);
  for (; k < taps; ++k)
    q->tapOffsets[k] = 0;
  q->tapWords = C % 4 == 0;
  q->bBatchStride = perImage;
}

/* Runs body(t) for every task, on the pool when there is more than one
 * task and more than one thread to give them. */
static void runTasks(int64_t tasks, int64_t threads,
                     void (*body)(int32_t, void *), QProblem *q) {
  if (threads <= 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t)
      body((int32_t)t, q);
    return;
  }
  paso_parallel_for((int32_t)tasks, body, q);
}

#include "qgemm_pixels.inc"

/* Decodes the descriptor; false for an empty problem. */
static int decodeQ(QProblem *qp, const int64_t *d, intptr_t a, intptr_t b,
                   intptr_t c, intptr_t params) {
  QProblem q;
  q.M = d[PASO_GEMM_M];
  q.N = d[PASO_GEMM_N];
  q.K = d[PASO_GEMM_K];
  q.K4 = (q.K + 3) / 4;
  q.batch = d[PASO_GEMM_BATCH];
  q.ldb = d[PASO_GEMM_LDB];
  q.ldc = d[PASO_GEMM_LDC];
  q.bBatchStride = d[PASO_GEMM_B_BATCH_STRIDE];
  q.cBatchStride = d[PASO_GEMM_C_BATCH_STRIDE];
  q.bLayout = (int)d[PASO_GEMM_B_LAYOUT];
  q.bSigned = (int)d[PASO_QGEMM_B_SIGNED];
  q.columns = (int)d[PASO_QGEMM_C_COLUMNS];
  q.int32Out = (int)d[PASO_QGEMM_C_INT32];
  q.dynamic = (int)d[PASO_QGEMM_DYNAMIC];
  q.zeroB = (uint8_t)d[PASO_QGEMM_B_ZERO_POINT];
  q.flip = d[PASO_QGEMM_B_SIGNED] ? 0x80 : 0;
  q.zeroC = (float)d[PASO_QGEMM_C_ZERO_POINT];
  q.minC = (float)d[PASO_QGEMM_C_MIN];
  q.maxC = (float)d[PASO_QGEMM_C_MAX];
  q.imageC = d[PASO_GEMM_IMAGE_C];
  q.imageH = d[PASO_GEMM_IMAGE_H];
  q.imageW = d[PASO_GEMM_IMAGE_W];
  q.kernelH = d[PASO_GEMM_KERNEL_H];
  q.kernelW = d[PASO_GEMM_KERNEL_W];
  q.strideH = d[PASO_GEMM_STRIDE_H];
  q.strideW = d[PASO_GEMM_STRIDE_W];
  q.padTop = d[PASO_GEMM_PAD_TOP];
  q.padLeft = d[PASO_GEMM_PAD_LEFT];
  q.dilationH = d[PASO_GEMM_DILATION_H];
  q.dilationW = d[PASO_GEMM_DILATION_W];
  q.outW = d[PASO_GEMM_OUT_W] > 0 ? d[PASO_GEMM_OUT_W] : 1;
  q.A = (const int8_t *)a;
  q.B = (const uint8_t *)b;
  q.C = (uint8_t *)c;
  q.bias = (const int32_t *)params;
  q.mult = (const float *)(q.bias + q.M);
  q.realB = (const float *)b;
  q.weightSums = q.bias + q.M;
  q.weightScales = (const float *)(q.bias + 2 * q.M);
  q.realBias = (const float *)(q.bias + 3 * q.M);
  q.xScale = 0;
  q.xZero = 0;
  q.act.activation = (int)d[PASO_GEMM_ACTIVATION];
  {
    int32_t alpha = (int32_t)d[PASO_GEMM_ALPHA_BITS];
    int32_t beta = (int32_t)d[PASO_GEMM_BETA_BITS];
    __builtin_memcpy(&q.act.alpha, &alpha, 4);
    __builtin_memcpy(&q.act.beta, &beta, 4);
  }
  q.dot = 0;
  q.tapWords = 0;
  q.tapOffsets = 0;
  q.padded = 0;
  *qp = q;
  return q.M > 0 && q.N > 0 && q.batch > 0;
}

/* Selects the micro-kernel (QProblem.dot). On aarch64, SDOT and SMULL
 * multiply signed bytes, so the product's packed B and the depthwise
 * kernel's padded copy hold int8 (the compiler's bias carries the + 128
 * x weight sums). */
static void useMicroKernel(QProblem *q, int dot) {
  q->dot = dot;
#if defined(__aarch64__)
  if (dot) {
    q->flip ^= 0x80;
    q->zeroB ^= 0x80;
  }
#endif
}

/* DynamicQuantizeLinear of `count` floats into `out`, as the generated
 * code computes it (QuantToLinalg.cpp): the range from minNum/maxNum
 * reductions that start at 0, scale = range / 255, and divisions by it
 * (by 1 when it is 0), rounded half to even. */
static void dynamicQuantize(const float *x, int64_t count, uint8_t *out,
                            float *scaleOut, int32_t *zeroOut) {
  int64_t i = 0;
  f32x16 lo = (f32x16){}, hi = (f32x16){};
  for (; i + 16 <= count; i += 16) {
    f32x16 v;
    __builtin_memcpy(&v, x + i, sizeof v);
    lo = __builtin_elementwise_min(lo, v);
    hi = __builtin_elementwise_max(hi, v);
  }
  float low = 0, high = 0;
  for (int l = 0; l < 16; ++l) {
    low = __builtin_fminf(low, lo[l]);
    high = __builtin_fmaxf(high, hi[l]);
  }
  for (; i < count; ++i) {
    low = __builtin_fminf(low, x[i]);
    high = __builtin_fmaxf(high, x[i]);
  }
  const float magic = 12582912.0f; /* 1.5 * 2^23: rounds half to even */
  float scale = (high - low) / 255.0f;
  float divisor = scale == 0.0f ? 1.0f : scale;
  float zero = ((-low / divisor) + magic) - magic;
  zero = __builtin_fminf(__builtin_fmaxf(zero, 0.0f), 255.0f);
  *scaleOut = scale;
  *zeroOut = (int32_t)zero;
  const f32x16 magics = (f32x16){} + magic, zeros = (f32x16){} + zero;
  for (i = 0; i + 16 <= count; i += 16) {
    f32x16 v;
    __builtin_memcpy(&v, x + i, sizeof v);
    v = ((v / divisor + magics) - magics) + zeros;
    v = __builtin_elementwise_min(__builtin_elementwise_max(v, (f32x16){}),
                                  (f32x16){} + 255.0f);
    u8x16 bytes = __builtin_convertvector(__builtin_convertvector(v, i32x16),
                                          u8x16);
    __builtin_memcpy(out + i, &bytes, 16);
  }
  for (; i < count; ++i) {
    float v = ((x[i] / divisor + magic) - magic) + zero;
    out[i] = (uint8_t)__builtin_fminf(__builtin_fmaxf(v, 0.0f), 255.0f);
  }
}

/* paso.dynamic_quantize where no product took it in (the activations of a
 * ConvInteger): descriptor M = the element count; the uint8 tensor, then
 * the rank-0 scale (f32) and zero point (uint8). */
void paso_dynamic_quantize_u8(const int64_t *descriptor, intptr_t x,
                              intptr_t y, intptr_t scale, intptr_t zero,
                              intptr_t unused) {
  (void)unused;
  uint64_t started = profileStart(descriptor);
  int32_t zeroPoint;
  dynamicQuantize((const float *)x, descriptor[PASO_GEMM_M], (uint8_t *)y,
                  (float *)scale, &zeroPoint);
  *(uint8_t *)zero = (uint8_t)zeroPoint;
  profileStop(descriptor, started);
}

static void qgemm(const int64_t *d, intptr_t a, intptr_t b, intptr_t c,
                  intptr_t params, intptr_t scratch, int dot) {
  uint64_t started = profileStart(d);
  QProblem q;
  if (!decodeQ(&q, d, a, b, c, params)) {
    profileStop(d, started);
    return;
  }
  if (q.dynamic) {
    dynamicQuantize(q.realB, q.N * q.K, (uint8_t *)scratch, &q.xScale,
                    &q.xZero);
    q.B = (const uint8_t *)scratch;
  }
  if (d[PASO_QGEMM_PIXEL_ROWS] && !q.dynamic && !q.int32Out) {
    qgemmPixels(&q, (uint8_t *)scratch, dot, kernelThreads(d));
    profileStop(d, started);
    return;
  }
  useMicroKernel(&q, dot);
  if (q.bLayout == PASO_B_TRANSPOSED && q.N <= GEMV_ROWS && q.batch == 1 &&
      q.K4 * 4 <= GEMV_MAX_K) {
    int64_t panels = (q.M + MR - 1) / MR;
    int64_t threads = kernelThreads(d);
    int64_t tasks = threads < panels ? threads : panels;
    q.panelsPerTask = (panels + tasks - 1) / tasks;
    tasks = (panels + q.panelsPerTask - 1) / q.panelsPerTask;
    runTasks(tasks, threads, gemvTask, &q);
    profileStop(d, started);
    return;
  }
  q.pointwise = q.bLayout == PASO_B_IM2COL && q.kernelH == 1 && q.kernelW == 1 && q.strideH == 1 &&
                q.strideW == 1 && q.padTop == 0 && q.padLeft == 0 &&
                q.outW == q.imageW;
  if (q.bLayout == PASO_B_IM2COL && !q.pointwise)
    prepareIm2col(&q, (uint8_t *)scratch);
  else if (q.bLayout == PASO_B_NHWC_IMAGE)
    prepareIm2colNhwc(&q, (uint8_t *)scratch);
  q.columnGroups = (q.N + NR - 1) / NR;
  /* Up to four groups per task (weights reused from cache four times),
   * fewer when that would leave threads without a task. */
  int64_t threads = kernelThreads(d);
  q.groupsPerTask = q.columnGroups / (2 * threads);
  if (q.groupsPerTask > MAX_GROUPS_PER_TASK)
    q.groupsPerTask = MAX_GROUPS_PER_TASK;
  int64_t fitting = STACK_BYTES / (q.K4 * NR * 4);
  if (q.groupsPerTask > fitting)
    q.groupsPerTask = fitting;
  if (q.groupsPerTask < 1)
    q.groupsPerTask = 1;
  int64_t tasks =
      q.batch * ((q.columnGroups + q.groupsPerTask - 1) / q.groupsPerTask);
  runTasks(tasks, threads, runTask, &q);
  profileStop(d, started);
}

void paso_qgemm_u8s8(const int64_t *descriptor, intptr_t a, intptr_t b,
                     intptr_t c, intptr_t params, intptr_t scratch) {
  qgemm(descriptor, a, b, c, params, scratch, 0);
}

#if defined(__x86_64__)
void paso_qgemm_u8s8_vnni(const int64_t *descriptor, intptr_t a, intptr_t b,
                          intptr_t c, intptr_t params, intptr_t scratch) {
  qgemm(descriptor, a, b, c, params, scratch, 1);
}

/* AVX-VNNI: 256-bit VPDPBUSD (see microAvxVnni). */
void paso_qgemm_u8s8_avxvnni(const int64_t *descriptor, intptr_t a,
                             intptr_t b, intptr_t c, intptr_t params,
                             intptr_t scratch) {
  qgemm(descriptor, a, b, c, params, scratch, 3);
}

/* AVX2 without VNNI: VPMADDWD on widened bytes (see microAvx2). */
void paso_qgemm_u8s8_avx2(const int64_t *descriptor, intptr_t a, intptr_t b,
                          intptr_t c, intptr_t params, intptr_t scratch) {
  qgemm(descriptor, a, b, c, params, scratch, 2);
}
#endif

/* Depthwise convolution (paso_qdepthwise_u8s8): per channel c,
 *   acc[p] = sum_t A[c][t] * (B[c][p + t] - zB)
 * requantised like the product (the descriptor, bias and multipliers of
 * paso_gemm.h with M = channels, K = taps, A the raw C x KH*KW weights).
 * Vectorised over 16 output pixels of a row, read from the padded copy in
 * the scratch (PASO_QGEMM_SCRATCH: C x paddedH x paddedW + 64 bytes);
 * threaded over channels. */
enum { DEPTHWISE_CHANNELS_PER_TASK = 4 };

/* 16 pixels of one row of a padded image at the descriptor's stride. */
static inline __attribute__((always_inline)) u8x16
loadPixels(const QProblem *q, const uint8_t *at) {
  u8x16 pixels;
  if (q->strideW == 1) {
    __builtin_memcpy(&pixels, at, NR);
  } else if (q->strideW == 2) {
    u8x64 wide;
    __builtin_memcpy(&wide, at, 32);
    pixels = __builtin_shufflevector(wide, wide, 0, 2, 4, 6, 8, 10, 12, 14, 16,
                                     18, 20, 22, 24, 26, 28, 30);
  } else {
    for (int j = 0; j < NR; ++j)
      pixels[j] = at[j * q->strideW];
  }
  return pixels;
}

/* Stores the `width` valid bytes of 16 at `to`, an offset `at` into a
 * channel's output plane of `plane` bytes. A full vector store is safe
 * when it stays in the plane: the bytes past a row's end belong to later
 * rows of the same channel, which this task writes afterwards. */
static inline __attribute__((always_inline)) void
storeRow(uint8_t *to, u8x16 bytes, int64_t width, int64_t at, int64_t plane) {
  if (width == NR || at + NR <= plane) {
    __builtin_memcpy(to, &bytes, NR);
    return;
  }
  for (int64_t j = 0; j < width; ++j)
    to[j] = bytes[j];
}

/* One channel: every output row, 16 pixels per vector, the requantisation
 * constants hoisted. */
static void depthwiseChannel(const QProblem *q, const uint8_t *image,
                             const int8_t *w, int64_t c, uint8_t *out) {
  int64_t KH = q->kernelH, KW = q->kernelW;
  const f32x16 lo = (f32x16){} + (q->minC - q->zeroC);
  const f32x16 hi = (f32x16){} + (q->maxC - q->zeroC);
  const i32x16 bias = (i32x16){} + q->bias[c];
  const int32_t zero = (int32_t)q->zeroC;
  int64_t outH = q->N / q->outW;
  for (int64_t oh = 0; oh < outH; ++oh) {
    const uint8_t *row = image + oh * q->strideH * q->paddedW;
    for (int64_t ow = 0; ow < q->outW; ow += NR) {
      const uint8_t *at = row + ow * q->strideW;
      i32x16 acc = bias;
      for (int64_t kh = 0; kh < KH; ++kh)
        for (int64_t kw = 0; kw < KW; ++kw)
          acc += __builtin_convertvector(
                     loadPixels(q, at + kh * q->dilationH * q->paddedW +
                                       kw * q->dilationW),
                     i32x16) *
                 (int32_t)w[kh * KW + kw];
      u8x16 bytes = requantise(acc, 0, q->mult[c], lo, hi, zero);
      int64_t n = oh * q->outW + ow;
      storeRow(out + n, bytes, q->outW - ow < NR ? q->outW - ow : NR, n,
               q->N);
    }
  }
}

/* The 3 x 3 window, undilated, written out: nine weights in registers,
 * nine row loads per vector, no loop over taps. */
static void depthwiseChannel3x3(const QProblem *q, const uint8_t *image,
                                const int8_t *w, int64_t c, uint8_t *out) {
  const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4],
                w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
  const f32x16 lo = (f32x16){} + (q->minC - q->zeroC);
  const f32x16 hi = (f32x16){} + (q->maxC - q->zeroC);
  const i32x16 bias = (i32x16){} + q->bias[c];
  const int32_t zero = (int32_t)q->zeroC;
  const float mult = q->mult[c];
  int64_t outH = q->N / q->outW, P = q->paddedW;
#define TAP(dy, dx)                                                            \
  __builtin_convertvector(loadPixels(q, at + (dy) * P + (dx)), i32x16)
  for (int64_t oh = 0; oh < outH; ++oh) {
    const uint8_t *row = image + oh * q->strideH * P;
    for (int64_t ow = 0; ow < q->outW; ow += NR) {
      const uint8_t *at = row + ow * q->strideW;
      i32x16 acc = bias + TAP(0, 0) * w0 + TAP(0, 1) * w1 + TAP(0, 2) * w2 +
                   TAP(1, 0) * w3 + TAP(1, 1) * w4 + TAP(1, 2) * w5 +
                   TAP(2, 0) * w6 + TAP(2, 1) * w7 + TAP(2, 2) * w8;
      u8x16 bytes = requantise(acc, 0, mult, lo, hi, zero);
      int64_t n = oh * q->outW + ow;
      storeRow(out + n, bytes, q->outW - ow < NR ? q->outW - ow : NR, n,
               q->N);
    }
  }
#undef TAP
}

#if defined(__x86_64__)
/* requantise for code compiled with AVX-512 (vector arguments of 64 bytes
 * pass differently there). */
__attribute__((target("avx512f,avx512bw,avx512vnni"), always_inline)) static inline u8x16
requantiseAvx512(i32x16 acc, int32_t bias, float mult, f32x16 lo, f32x16 hi,
                 int32_t zero) {
  REQUANTISE_BODY
}

/* Kernel row r's three weights as one word (w0, w1, w2, 0), the fourth
 * byte zero against windowTaps' fourth tap. */
static inline int32_t windowWeightWord(const int8_t *w, int r) {
  return (int32_t)((uint32_t)(uint8_t)w[3 * r] |
                   (uint32_t)(uint8_t)w[3 * r + 1] << 8 |
                   (uint32_t)(uint8_t)w[3 * r + 2] << 16);
}

/* Kernel row r's three taps of 16 output pixels, pixel j's in bytes 4j to
 * 4j + 2 (the fourth byte's weight is 0): one 64-byte load of the padded
 * row and one byte permutation (reading at most 34 of the bytes). */
static inline __attribute__((always_inline)) void
windowTaps(const uint8_t *at, int stride2, u8x64 *taps) {
  u8x64 bytes;
  __builtin_memcpy(&bytes, at, 64);
  *taps = stride2
             ? __builtin_shufflevector(
                   bytes, bytes, 0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8,
                   9, 8, 9, 10, 11, 10, 11, 12, 13, 12, 13, 14, 15, 14, 15, 16,
                   17, 16, 17, 18, 19, 18, 19, 20, 21, 20, 21, 22, 23, 22, 23,
                   24, 25, 24, 25, 26, 27, 26, 27, 28, 29, 28, 29, 30, 31, 30,
                   31, 32, 33)
             : __builtin_shufflevector(
                   bytes, bytes, 0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5,
                   6, 4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10, 8, 9,
                   10, 11, 9, 10, 11, 12, 10, 11, 12, 13, 11, 12, 13, 14, 12,
                   13, 14, 15, 13, 14, 15, 16, 14, 15, 16, 17, 15, 16, 17, 18);
}

/* The 3 x 3 window with AVX-512 VNNI, stride 1 or 2: per kernel row, one
 * 64-byte load of the padded row, one byte permutation putting the row's
 * three taps of output pixel j in 32-bit lane j (the fourth byte's weight
 * is 0), and one VPDPBUSD (unsigned pixels x signed weights, four products
 * summed into each lane, exact): three of each per 16 outputs instead of
 * nine widen-multiply-adds. The permutation reads at most 34 bytes of the
 * 64 loaded; the load may run past the plane into the next one or the
 * scratch's 64 spare bytes (PASO_QGEMM_SCRATCH), never past the buffer. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
depthwiseChannel3x3Vnni(const QProblem *q, const uint8_t *image,
                        const int8_t *w, int64_t c, uint8_t *out) {
  /* Weight words (w0, w1, w2, 0) of the kernel's rows, in every lane. */
  i32x16 weights[3];
  for (int r = 0; r < 3; ++r)
    weights[r] = (i32x16){} + windowWeightWord(w, r);
  const f32x16 lo = (f32x16){} + (q->minC - q->zeroC);
  const f32x16 hi = (f32x16){} + (q->maxC - q->zeroC);
  const int32_t zero = (int32_t)q->zeroC;
  const float mult = q->mult[c];
  const i32x16 bias = (i32x16){} + q->bias[c];
  int64_t outH = q->N / q->outW, P = q->paddedW;
  int stride2 = q->strideW == 2;
  for (int64_t oh = 0; oh < outH; ++oh) {
    const uint8_t *row = image + oh * q->strideH * P;
    for (int64_t ow = 0; ow < q->outW; ow += NR) {
      const uint8_t *at = row + ow * q->strideW;
      i32x16 acc = bias;
      for (int r = 0; r < 3; ++r) {
        u8x64 taps;
        windowTaps(at + r * P, stride2, &taps);
        acc = __builtin_ia32_vpdpbusd512(acc, (i32x16)taps, weights[r]);
      }
      u8x16 result = requantiseAvx512(acc, 0, mult, lo, hi, zero);
      int64_t n = oh * q->outW + ow;
      storeRow(out + n, result, q->outW - ow < NR ? q->outW - ow : NR, n,
               q->N);
    }
  }
}

/* The same with AVX-VNNI: the 16 pixels' taps as two 256-bit halves. */
__attribute__((target("avx2,avxvnni"))) static void
depthwiseChannel3x3AvxVnni(const QProblem *q, const uint8_t *image,
                           const int8_t *w, int64_t c, uint8_t *out) {
  i32x8 weights[3];
  for (int r = 0; r < 3; ++r)
    weights[r] = (i32x8){} + windowWeightWord(w, r);
  const f32x16 lo = (f32x16){} + (q->minC - q->zeroC);
  const f32x16 hi = (f32x16){} + (q->maxC - q->zeroC);
  const int32_t zero = (int32_t)q->zeroC;
  const float mult = q->mult[c];
  int64_t outH = q->N / q->outW, P = q->paddedW;
  int stride2 = q->strideW == 2;
  for (int64_t oh = 0; oh < outH; ++oh) {
    const uint8_t *row = image + oh * q->strideH * P;
    for (int64_t ow = 0; ow < q->outW; ow += NR) {
      const uint8_t *at = row + ow * q->strideW;
      i32x8 low = (i32x8){} + q->bias[c], high = low;
      for (int r = 0; r < 3; ++r) {
        u8x64 taps;
        windowTaps(at + r * P, stride2, &taps);
        i32x16 words = (i32x16)taps;
        low = __builtin_ia32_vpdpbusd256(
            low, __builtin_shufflevector(words, words, 0, 1, 2, 3, 4, 5, 6, 7),
            weights[r]);
        high = __builtin_ia32_vpdpbusd256(
            high,
            __builtin_shufflevector(words, words, 8, 9, 10, 11, 12, 13, 14, 15),
            weights[r]);
      }
      i32x16 acc = __builtin_shufflevector(low, high, 0, 1, 2, 3, 4, 5, 6, 7,
                                           8, 9, 10, 11, 12, 13, 14, 15);
      u8x16 result = requantise(acc, 0, mult, lo, hi, zero);
      int64_t n = oh * q->outW + ow;
      storeRow(out + n, result, q->outW - ow < NR ? q->outW - ow : NR, n,
               q->N);
    }
  }
}
#endif

#if defined(__aarch64__)
/* The same with Armv8.2's SDOT (rpi5): the row's 64 bytes as a TBL table,
 * four lookups putting three taps of four output pixels in each vector's
 * 32-bit lanes, four SDOTs per kernel row. SDOT multiplies signed bytes,
 * so the padded copy holds int8 (x - 128, the flip of qgemm's SDOT
 * variant) and the bias carries + 128 x the taps' sum (the compiler's
 * Dot variant). */
__attribute__((target("dotprod"))) static void
depthwiseChannel3x3Dot(const QProblem *q, const uint8_t *image,
                       const int8_t *w, int64_t c, uint8_t *out) {
  static const uint8_t lookup[2][4][16] = {
      {{0, 1, 2, 3, 1, 2, 3, 4, 2, 3, 4, 5, 3, 4, 5, 6},
       {4, 5, 6, 7, 5, 6, 7, 8, 6, 7, 8, 9, 7, 8, 9, 10},
       {8, 9, 10, 11, 9, 10, 11, 12, 10, 11, 12, 13, 11, 12, 13, 14},
       {12, 13, 14, 15, 13, 14, 15, 16, 14, 15, 16, 17, 15, 16, 17, 18}},
      {{0, 1, 2, 3, 2, 3, 4, 5, 4, 5, 6, 7, 6, 7, 8, 9},
       {8, 9, 10, 11, 10, 11, 12, 13, 12, 13, 14, 15, 14, 15, 16, 17},
       {16, 17, 18, 19, 18, 19, 20, 21, 20, 21, 22, 23, 22, 23, 24, 25},
       {24, 25, 26, 27, 26, 27, 28, 29, 28, 29, 30, 31, 30, 31, 32, 33}}};
  const uint8_t(*index)[16] = lookup[q->strideW == 2];
  uint8x16_t select[4];
  for (int k = 0; k < 4; ++k)
    select[k] = vld1q_u8(index[k]);
  /* Weight words (w0, w1, w2, 0) of the kernel's rows, in every lane. */
  int8x16_t weights[3];
  for (int r = 0; r < 3; ++r) {
    int8_t word[16];
    for (int j = 0; j < 16; ++j)
      word[j] = j % 4 < 3 ? w[3 * r + j % 4] : 0;
    weights[r] = vld1q_s8(word);
  }
  const f32x16 lo = (f32x16){} + (q->minC - q->zeroC);
  const f32x16 hi = (f32x16){} + (q->maxC - q->zeroC);
  const int32_t zero = (int32_t)q->zeroC;
  const float mult = q->mult[c];
  int64_t outH = q->N / q->outW, P = q->paddedW;
  for (int64_t oh = 0; oh < outH; ++oh) {
    const uint8_t *row = image + oh * q->strideH * P;
    for (int64_t ow = 0; ow < q->outW; ow += NR) {
      const uint8_t *at = row + ow * q->strideW;
      int32x4_t acc[4];
      for (int k = 0; k < 4; ++k)
        acc[k] = vdupq_n_s32(q->bias[c]);
      for (int r = 0; r < 3; ++r) {
        uint8x16x4_t table = vld1q_u8_x4(at + r * P);
        for (int k = 0; k < 4; ++k)
          acc[k] = vdotq_s32(
              acc[k], vreinterpretq_s8_u8(vqtbl4q_u8(table, select[k])),
              weights[r]);
      }
      i32x16 sums;
      __builtin_memcpy(&sums, acc, 64);
      u8x16 result = requantise(sums, 0, mult, lo, hi, zero);
      int64_t n = oh * q->outW + ow;
      storeRow(out + n, result, q->outW - ow < NR ? q->outW - ow : NR, n,
               q->N);
    }
  }
}
#endif

static void depthwiseTask(int32_t task, void *context) {
  const QProblem *q = (const QProblem *)context;
  int64_t tasksPerImage = (q->M + DEPTHWISE_CHANNELS_PER_TASK - 1) /
                          DEPTHWISE_CHANNELS_PER_TASK;
  int64_t image = task / tasksPerImage;
  int64_t first = (task % tasksPerImage) * DEPTHWISE_CHANNELS_PER_TASK;
  int64_t last = first + DEPTHWISE_CHANNELS_PER_TASK;
  if (last > q->M)
    last = q->M;
  int64_t plane = q->paddedH * q->paddedW;
  int64_t taps = q->kernelH * q->kernelW;
  for (int64_t c = first; c < last; ++c) {
    /* Padded here, just before it is read: in L1, and on this task's
     * thread (a copy of the whole image up front took a tenth of
     * MobileNetV2's int8 run, on the caller alone). */
    padChannel(q, image, c);
    const uint8_t *channel = q->padded + (image * q->imageC + c) * plane;
    uint8_t *out = q->C + image * q->cBatchStride + c * q->N;
    int window3x3 = q->kernelH == 3 && q->kernelW == 3 &&
                    q->dilationH == 1 && q->dilationW == 1;
    if (window3x3 && q->dot && (q->strideW == 1 || q->strideW == 2)) {
#if defined(__x86_64__)
      if (q->dot == 3)
        depthwiseChannel3x3AvxVnni(q, channel, q->A + c * taps, c, out);
      else
        depthwiseChannel3x3Vnni(q, channel, q->A + c * taps, c, out);
#elif defined(__aarch64__)
      depthwiseChannel3x3Dot(q, channel, q->A + c * taps, c, out);
#endif
      continue;
    }
    if (window3x3)
      depthwiseChannel3x3(q, channel, q->A + c * taps, c, out);
    else
      depthwiseChannel(q, channel, q->A + c * taps, c, out);
  }
}

static void qdepthwise(const int64_t *d, intptr_t a, intptr_t b, intptr_t c,
                       intptr_t params, intptr_t scratch, int dot) {
  uint64_t started = profileStart(d);
  QProblem q;
  if (!decodeQ(&q, d, a, b, c, params)) {
    profileStop(d, started);
    return;
  }
  useMicroKernel(&q, dot);
  sizePadding(&q);
  q.padded = (uint8_t *)scratch;
  int64_t tasks = q.batch * ((q.M + DEPTHWISE_CHANNELS_PER_TASK - 1) /
                             DEPTHWISE_CHANNELS_PER_TASK);
  runTasks(tasks, kernelThreads(d), depthwiseTask, &q);
  profileStop(d, started);
}

void paso_qdepthwise_u8s8(const int64_t *d, intptr_t a, intptr_t b,
                          intptr_t c, intptr_t params, intptr_t scratch) {
  qdepthwise(d, a, b, c, params, scratch, 0);
}

#if defined(__aarch64__)
/* 3 x 3 windows of stride 1 or 2 by SDOT (depthwiseChannel3x3Dot); the
 * bias carries + 128 x the taps' sum. */
void paso_qdepthwise_u8s8_dot(const int64_t *d, intptr_t a, intptr_t b,
                              intptr_t c, intptr_t params, intptr_t scratch) {
  qdepthwise(d, a, b, c, params, scratch, 1);
}
#endif

#if defined(__x86_64__)
/* 3 x 3 windows of stride 1 or 2 by VPDPBUSD (depthwiseChannel3x3Vnni). */
void paso_qdepthwise_u8s8_vnni(const int64_t *d, intptr_t a, intptr_t b,
                               intptr_t c, intptr_t params, intptr_t scratch) {
  qdepthwise(d, a, b, c, params, scratch, 1);
}

/* The AVX-VNNI form (depthwiseChannel3x3AvxVnni). */
void paso_qdepthwise_u8s8_avxvnni(const int64_t *d, intptr_t a, intptr_t b,
                                  intptr_t c, intptr_t params,
                                  intptr_t scratch) {
  qdepthwise(d, a, b, c, params, scratch, 3);
}
#endif

#if defined(__aarch64__)
/* The SDOT variant: the bias must carry + 128 x the weights' row sums
 * (see microDot). */
void paso_qgemm_u8s8_dot(const int64_t *descriptor, intptr_t a, intptr_t b,
                         intptr_t c, intptr_t params, intptr_t scratch) {
  qgemm(descriptor, a, b, c, params, scratch, 1);
}

/* The SMULL/SMLAL variant: weights in [-127, 127], the same bias as the
 * SDOT one (see microWiden). */
void paso_qgemm_s8s8_neon(const int64_t *descriptor, intptr_t a, intptr_t b,
                          intptr_t c, intptr_t params, intptr_t scratch) {
  qgemm(descriptor, a, b, c, params, scratch, 2);
}
#endif
