/*===- paso_gemm_f16.c - the half-precision GEMM kernel ------------------===*\
 *
 * The products of layers compiled in fp16 (`paso-opt --quantize=fp16`,
 * docs/quantization.md): C = act(im2col(A) x B + bias + residual) with f32
 * activations in and out, computed in half precision. The layer's
 * interface stays f32, so an fp16 layer drops into any graph without
 * conversion passes around it; inside the call:
 *
 *   1. the input (an NHWC or NCHW image, or a row-major matrix) is
 *      converted to an f16 NHWC copy once per call (NCHW transposed on
 *      the way), so a pixel's channels are contiguous;
 *   2. B, the weights, was packed at compile time as f16 panels of NR
 *      columns with k = (kh, kw, c), the channels-last order;
 *   Both are scaled by powers of two (exact) so that their largest
 *   magnitudes lie in [1, 2): the input by the exponent of its maximum,
 *   found at run time, the weights by one the compiler chose. Products
 *   are then at most 4 and a block's sum at most 4 x F16_KC, far below
 *   f16's 65504, whatever the layer's real range (a random-weight
 *   ResNet-50 reaches 1.4e5 in f32, which unscaled f16 turns into inf),
 *   and small values keep f16's normal precision. The epilogue multiplies
 *   by the inverse power of two before the bias;
 *   3. the micro-kernel reads the copy in place (one pointer per tile row
 *      and window tap, zeros for the padding), multiplies and accumulates
 *      in f16 (FMLA .8h on Armv8.2, VFMADD231PH on AVX512-FP16: twice the
 *      lanes of f32), within K blocks of F16_KC;
 *   4. each finished tile is widened to f32, added to C across K blocks
 *      (so long sums accumulate in f32 between blocks), and the epilogue
 *      runs in f32. Output is rows = pixels: NHWC as it is, or NCHW
 *      written transposed (PASO_GEMM_F16_C_COLUMNS).
 *
 * Compiled with the fp16 arithmetic extension whatever the model's
 * target; paso-call-cpu-kernels calls it only where the target has it
 * (+fullfp16 on aarch64, +avx512fp16 on x86-64). Half precision needs
 * -ffloat16-excess-precision=none (CMakeLists.txt), or clang computes
 * _Float16 arithmetic in float.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

#if defined(__aarch64__)
#pragma clang attribute push(__attribute__((target("fp16"))),                 \
                             apply_to = function)
#elif defined(__x86_64__)
#pragma clang attribute push(                                                  \
    __attribute__((target("avx512fp16,avx512vl,avx512bw,avx512f"))),           \
    apply_to = function)
#endif

typedef _Float16 half;

/* K per block: within a block the sum is in f16, across blocks in f32,
 * which bounds f16's rounding to sums of at most this many products. */
enum { F16_KC = 256 };
/* Largest B (K x N halves) for which a product runs row tile by row tile
 * (gemm_f16_kernel.inc's block): half the Pi 5's 512 KiB L2. */
enum { F16_ROWS_OUTER_MAX_B_BYTES = 256 << 10 };

/* The input in f16, NHWC (or row-major rows), for all images of a call. */
typedef struct {
  GemmProblem g;
  const half *image; /* batch x (H x W x C) halves */
  const half *zeros; /* C halves of zero: what padding taps read */
  const half *B;     /* the prepacked weights, scaled by 2^-weightExponent */
  int columns;       /* 1: element (m, n) of C at n * LDC + m */
  int rowsInPlace;   /* 1x1, stride 1, unpadded: row m is pixel m */
  float inputScale;  /* 2^-e, e the exponent of the input's largest value */
  float outputScale; /* 2^(e + weightExponent): undoes both scalings */
} HalfProblem;

/* 2^e as a float, for |e| <= 126. */
static float powerOfTwo(int32_t e) {
  return bitsToFloat((int64_t)(uint32_t)(127 + e) << 23);
}

/* The exponent e of the largest magnitude among n floats (2^e <= max <
 * 2^(e+1)), 0 when all are zero or one is not finite (then nothing is
 * scaled and the inf or NaN propagates as in f32). */
static int32_t largestExponent(const float *values, int64_t n) {
  uint32_t largest = 0;
  for (int64_t i = 0; i < n; ++i) {
    union {
      float f;
      uint32_t u;
    } v = {values[i]};
    uint32_t magnitude = v.u & 0x7fffffffu;
    largest = magnitude > largest ? magnitude : largest;
  }
  int32_t biased = (int32_t)(largest >> 23);
  if (largest == 0 || biased == 255)
    return 0;
  /* Subnormal maxima count as the smallest normal exponent; 2^-127 is
   * not a normal float, so the largest exponents stop at 126. */
  return biased == 0 ? -126 : biased - 127 > 126 ? 126 : biased - 127;
}

/* Converts image `i` of the input to f16 channels-last, times `scale`:
 * from NHWC or a row-major matrix (a copy), or from NCHW (a transpose). */
static void convertInput(const HalfProblem *p, const float *from, half *to) {
  const GemmProblem *g = &p->g;
  int64_t pixels = g->imageH * g->imageW, channels = g->imageC;
  float scale = p->inputScale;
  if (g->aLayout != PASO_A_NCHW_IM2COL) {
    for (int64_t i = 0; i < pixels * channels; ++i)
      to[i] = (half)(from[i] * scale);
    return;
  }
  /* Blocks of 8 channels x 64 pixels keep both sides in L1. */
  for (int64_t c0 = 0; c0 < channels; c0 += 8)
    for (int64_t x0 = 0; x0 < pixels; x0 += 64) {
      int64_t c1 = c0 + 8 < channels ? c0 + 8 : channels;
      int64_t x1 = x0 + 64 < pixels ? x0 + 64 : pixels;
      for (int64_t x = x0; x < x1; ++x)
        for (int64_t c = c0; c < c1; ++c)
          to[x * channels + c] = (half)(from[c * pixels + x] * scale);
    }
}

#define KERNEL _f16
#define LANES 8
#define HALVES 16
#define MR PASO_GEMM_MR_256
#include "vector_math.inc"
#include "gemm_f16_kernel.inc"
#undef MR
#undef HALVES
#undef LANES
#undef KERNEL

#define KERNEL _f16_v16
#define LANES 16
#define HALVES 32
#define MR PASO_GEMM_MR_512
#include "vector_math.inc"
#include "gemm_f16_kernel.inc"
#undef MR
#undef HALVES
#undef LANES
#undef KERNEL

#if defined(__aarch64__) || defined(__x86_64__)
#pragma clang attribute pop
#endif
