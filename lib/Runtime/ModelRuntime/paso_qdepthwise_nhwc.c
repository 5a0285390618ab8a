/*===- paso_qdepthwise_nhwc.c - the channels-last int8 depthwise kernel --===*\
 *
 * paso_qdepthwise_nhwc_8: a depthwise convolution of an 8-bit H x W x C
 * (NHWC) image, requantised, for every target:
 *   acc[p][c] = bias'[c] + sum_t A[t][c] * B'[p + t][c]      (int32)
 *   C[p][c]   = clamp(round_half_even(acc * mult[c])) + zC
 * with B' the image read as uint8 (int8 flipped by 0x80), padding reading
 * zB, and bias' carrying - zB x the channel's weight sum, exactly as the
 * NCHW kernel (paso_qdepthwise_u8s8 in paso_qgemm.c) computes it, so both
 * layouts give the same bytes.
 *
 * Vectorised along channels, 16 per vector: in NHWC the 16 channels of a
 * pixel are 16 consecutive bytes, so every tap is one plain load whatever
 * the stride, and a 7 x 7 feature map fills its lanes (along pixels, the
 * NCHW kernel fills 7 of 16 per row). A block's window weights stay in
 * registers across its pixels.
 *
 * With a dot product (x86 VNNI and AVX-VNNI, Armv8.2 SDOT) and windows
 * of at most four taps per row, undilated, each window row is one
 * instruction: the padded rows a task reads are first expanded so that
 * channel c's lane of output column ow holds the row's taps under the
 * window, (p[ow*s][c], p[ow*s+1][c], ..., 0), four bytes against the
 * four weights of that window row. A 3 x 3 window then takes three dot
 * products per 16 outputs instead of nine widening multiply-adds; each
 * expanded row serves the KH output rows whose windows cover it. SDOT
 * multiplies signed bytes, so its variant reads the activations as int8
 * (the compiler's bias carries + 128 x the taps' sum, as for the NCHW
 * SDOT kernel).
 *
 * Descriptor: include/paso/Runtime/paso_gemm.h's fields with M = C, K =
 * KH x KW, N = OH x OW and the window geometry; the quantisation fields of
 * the integer products. A is packed at compile time as KH x KW rows of Cp
 * int8 (Cp = C rounded up to 16, zero past C). params: C int32 biases',
 * then C f32 multipliers. The scratch holds the padded copy, batch x
 * paddedH x paddedW x Cp bytes (borders zB), plus 64.
 *
\*===----------------------------------------------------------------------===*/

#include "int8_vectors.h"
#include "kernel_common.h"

/* Window rows of the dot-product form: up to MAX_DOT_ROWS, expanded rows
 * on the stack up to EXPANDED_STACK_BYTES (the heap beyond). */
enum { LANES = 16, MAX_DOT_ROWS = 7, EXPANDED_STACK_BYTES = 96 << 10 };

typedef struct {
  int64_t C, Cp, H, W, KH, KW, strideH, strideW, dilationH, dilationW;
  int64_t padTop, padLeft, OH, OW, batch, paddedH, paddedW;
  uint8_t flip, zeroB;
  int32_t zeroC, minC, maxC;
  const int8_t *A;
  const uint8_t *B;
  uint8_t *out;
  const int32_t *bias;
  const float *mult;
  uint8_t *padded;
  /* Work split: rows of output per task. */
  int64_t rowsPerTask, tasksPerImage;
  /* The dot-product variant: 0 none, 1 VPDPBUSD (512-bit), 3 its 256-bit
   * AVX-VNNI form, 2 SDOT. */
  int dot;
} NhwcProblem;

static int64_t roundUp16(int64_t v) { return (v + LANES - 1) / LANES * LANES; }

/* dst[0, n) = src[0, n) ^ flip. */
static void copyFlipped(uint8_t *dst, const uint8_t *src, int64_t n,
                        uint8_t flip) {
  int64_t i = 0;
  for (; i + LANES <= n; i += LANES) {
    u8x16 v;
    __builtin_memcpy(&v, src + i, LANES);
    v ^= (u8x16){} + flip;
    __builtin_memcpy(dst + i, &v, LANES);
  }
  for (; i < n; ++i)
    dst[i] = src[i] ^ flip;
}

/* Padded row y of image b: pixels of Cp bytes, the borders zB. */
static void padRow(const NhwcProblem *q, int64_t b, int64_t y) {
  int64_t rowBytes = q->paddedW * q->Cp;
  uint8_t *row = q->padded + (b * q->paddedH + y) * rowBytes;
  int64_t iy = y - q->padTop;
  if (iy < 0 || iy >= q->H) {
    __builtin_memset(row, q->zeroB, (size_t)rowBytes);
    return;
  }
  const uint8_t *from = q->B + (b * q->H + iy) * q->W * q->C;
  __builtin_memset(row, q->zeroB, (size_t)(q->padLeft * q->Cp));
  uint8_t *to = row + q->padLeft * q->Cp;
  if (q->C == q->Cp) {
    copyFlipped(to, from, q->W * q->C, q->flip);
  } else {
    for (int64_t x = 0; x < q->W; ++x) {
      copyFlipped(to + x * q->Cp, from + x * q->C, q->C, q->flip);
      __builtin_memset(to + x * q->Cp + q->C, q->zeroB,
                       (size_t)(q->Cp - q->C));
    }
  }
  int64_t right = q->paddedW - q->padLeft - q->W;
  __builtin_memset(to + q->W * q->Cp, q->zeroB, (size_t)(right * q->Cp));
}

static void padTask(int32_t task, void *context) {
  const NhwcProblem *q = (const NhwcProblem *)context;
  padRow(q, task / q->paddedH, task % q->paddedH);
}

/* The block's requantisation (int8_vectors.h), channels [c0, c0 + 16). */
static inline __attribute__((always_inline)) LaneRequantise
requantiseBlock(const NhwcProblem *q, int64_t c0, const f32x16 *mult) {
  return laneRequantise(mult, q->minC, q->maxC, q->zeroC,
                        q->C - c0 < LANES ? (int)(q->C - c0) : LANES);
}

/* One row of output pixels for the channel block at byte `c0`: the
 * window's weights `w` in registers, 16 channels per vector. Inlined with
 * the window's size as constants, so the 3 x 3 case unrolls its taps. */
static inline __attribute__((always_inline)) void
outputRow(const NhwcProblem *q, const uint8_t *image, int64_t oh, int64_t c0,
          int64_t KH, int64_t KW, const i32x16 *w, i32x16 bias,
          const LaneRequantise *r, uint8_t *out) {
  int64_t Cp = q->Cp;
  int64_t tapRow = q->dilationH * q->paddedW * Cp, tapColumn = q->dilationW * Cp;
  const uint8_t *row = image + oh * q->strideH * q->paddedW * Cp + c0;
  for (int64_t ow = 0; ow < q->OW; ++ow) {
    const uint8_t *at = row + ow * q->strideW * Cp;
    i32x16 acc = bias;
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) {
        u8x16 pixels;
        __builtin_memcpy(&pixels, at + kh * tapRow + kw * tapColumn, LANES);
        acc += __builtin_convertvector(pixels, i32x16) * w[kh * KW + kw];
      }
    storeLanes(r, &acc, out + (oh * q->OW + ow) * q->C + c0);
  }
}

/* The window weights, bias and multipliers of the block at c0, widened. */
static void loadBlock(const NhwcProblem *q, int64_t c0, int64_t taps,
                      i32x16 *w, i32x16 *bias, f32x16 *mult) {
  for (int64_t t = 0; t < taps; ++t) {
    i8x16 bytes;
    __builtin_memcpy(&bytes, q->A + t * q->Cp + c0, LANES);
    w[t] = __builtin_convertvector(bytes, i32x16);
  }
  *bias = (i32x16){};
  *mult = (f32x16){};
  for (int64_t j = 0; j < LANES && c0 + j < q->C; ++j) {
    (*bias)[j] = q->bias[c0 + j];
    (*mult)[j] = q->mult[c0 + j];
  }
}

static void computeTask(int32_t task, void *context) {
  const NhwcProblem *q = (const NhwcProblem *)context;
  int64_t b = task / q->tasksPerImage;
  int64_t first = (task % q->tasksPerImage) * q->rowsPerTask;
  int64_t last = first + q->rowsPerTask < q->OH ? first + q->rowsPerTask
                                                : q->OH;
  const uint8_t *image = q->padded + b * q->paddedH * q->paddedW * q->Cp;
  uint8_t *out = q->out + b * q->OH * q->OW * q->C;
  int64_t taps = q->KH * q->KW;
  i32x16 w[PASO_DEPTHWISE_MAX_WINDOW];
  for (int64_t c0 = 0; c0 < q->C; c0 += LANES) {
    i32x16 bias;
    f32x16 mult;
    loadBlock(q, c0, taps, w, &bias, &mult);
    LaneRequantise r = requantiseBlock(q, c0, &mult);
    for (int64_t oh = first; oh < last; ++oh) {
      if (q->KH == 3 && q->KW == 3)
        outputRow(q, image, oh, c0, 3, 3, w, bias, &r, out);
      else
        outputRow(q, image, oh, c0, q->KH, q->KW, w, bias, &r, out);
    }
  }
}

/* Four-byte lanes of up to four rows of 16 bytes `step` apart from `at`
 * (zero past `taps`): one window row of 16 channels. */
static void interleaveTaps(const uint8_t *at, int64_t step, int64_t taps,
                           uint8_t *out) {
  u8x16 rows[4];
  for (int kw = 0; kw < 4; ++kw) {
    rows[kw] = (u8x16){};
    if (kw < taps)
      __builtin_memcpy(&rows[kw], at + kw * step, LANES);
  }
  interleave4(rows, out);
}

/* Padded row y expanded for the block at c0: output column ow's 64 bytes
 * hold, in channel c's lane, the row's pixels under the window's taps,
 * zero past KW. */
static void expandRow(const NhwcProblem *q, const uint8_t *image, int64_t y,
                      int64_t c0, uint8_t *out) {
  const uint8_t *row = image + y * q->paddedW * q->Cp + c0;
  for (int64_t ow = 0; ow < q->OW; ++ow)
    interleaveTaps(row + ow * q->strideW * q->Cp, q->Cp, q->KW,
                   out + ow * 64);
}

/* The block's window rows of weights as dot-product words (lane c: the
 * row's KW weights of channel c, zero past KW). */
static void loadWindowRows(const NhwcProblem *q, int64_t c0, i32x16 *w) {
  for (int64_t kh = 0; kh < q->KH; ++kh)
    interleaveTaps((const uint8_t *)q->A + kh * q->KW * q->Cp + c0, q->Cp,
                   q->KW, (uint8_t *)&w[kh]);
}

/* The dot-product form of computeTask for one variant: STEP(acc, x, w)
 * adds the four-byte dot products of the lanes of x (activations) and w
 * (weights) to acc, in place. Expanded rows live in a ring of KH slots, slot
 * y % KH holding padded row y (undilated windows need KH consecutive
 * rows, so no two collide). */
#define DOT_ROW_OF_OUTPUTS(STEP, ROWS)                                         \
  for (int64_t ow = 0; ow < q->OW; ++ow) {                                     \
    i32x16 acc = bias;                                                         \
    for (int64_t kh = 0; kh < (ROWS); ++kh) {                                  \
      i32x16 x;                                                                \
      __builtin_memcpy(&x, rows[kh] + ow * 64, 64);                            \
      STEP(acc, x, w[kh]);                                                     \
    }                                                                          \
    storeLanes(&r, &acc, out + (oh * q->OW + ow) * q->C + c0);                 \
  }
#define DEFINE_DOT_TASK(NAME, TARGET, STEP)                                    \
  TARGET static void NAME(const NhwcProblem *q, int64_t b, int64_t first,     \
                          int64_t last) {                                      \
    const uint8_t *image = q->padded + b * q->paddedH * q->paddedW * q->Cp;   \
    uint8_t *out = q->out + b * q->OH * q->OW * q->C;                          \
    int64_t KH = q->KH, rowBytes = q->OW * 64;                                 \
    _Alignas(64) uint8_t local[EXPANDED_STACK_BYTES];                          \
    uint8_t *ring = local;                                                     \
    if (KH * rowBytes > EXPANDED_STACK_BYTES) {                                \
      ring = aligned_alloc(64, (size_t)(KH * rowBytes));                       \
      if (!ring)                                                               \
        abort();                                                               \
    }                                                                          \
    for (int64_t c0 = 0; c0 < q->C; c0 += LANES) {                             \
      i32x16 w[MAX_DOT_ROWS], bias;                                            \
      f32x16 mult;                                                             \
      loadBlock(q, c0, 0, 0, &bias, &mult);                                    \
      loadWindowRows(q, c0, w);                                                \
      LaneRequantise r = requantiseBlock(q, c0, &mult);                            \
      int64_t held[MAX_DOT_ROWS];                                              \
      for (int64_t kh = 0; kh < KH; ++kh)                                      \
        held[kh] = -1;                                                         \
      for (int64_t oh = first; oh < last; ++oh) {                              \
        const uint8_t *rows[MAX_DOT_ROWS];                                     \
        for (int64_t kh = 0; kh < KH; ++kh) {                                  \
          int64_t y = oh * q->strideH + kh, slot = y % KH;                     \
          if (held[slot] != y) {                                               \
            expandRow(q, image, y, c0, ring + slot * rowBytes);                \
            held[slot] = y;                                                    \
          }                                                                    \
          rows[kh] = ring + slot * rowBytes;                                   \
        }                                                                      \
        /* Three window rows (3x3, the common case) unrolled. */             \
        if (KH == 3)                                                           \
          DOT_ROW_OF_OUTPUTS(STEP, 3)                                          \
        else                                                                   \
          DOT_ROW_OF_OUTPUTS(STEP, KH)                                         \
      }                                                                        \
    }                                                                          \
    if (ring != local)                                                         \
      free(ring);                                                              \
  }

#if defined(__x86_64__)
typedef int32_t i32x8 __attribute__((vector_size(32)));
#define STEP_VNNI(acc, x, w) acc = __builtin_ia32_vpdpbusd512(acc, x, w)
DEFINE_DOT_TASK(dotTaskVnni,
                __attribute__((target("avx512f,avx512bw,avx512vnni"))),
                STEP_VNNI)
/* AVX-VNNI: the two 256-bit halves. */
__attribute__((target("avx2,avxvnni"))) static inline
    __attribute__((always_inline)) void
    stepAvxVnni(i32x16 *acc, const i32x16 *x, const i32x16 *w) {
  i32x8 a[2], xs[2], ws[2];
  __builtin_memcpy(a, acc, 64);
  __builtin_memcpy(xs, x, 64);
  __builtin_memcpy(ws, w, 64);
  for (int i = 0; i < 2; ++i)
    a[i] = __builtin_ia32_vpdpbusd256(a[i], xs[i], ws[i]);
  __builtin_memcpy(acc, a, 64);
}
#define STEP_AVXVNNI(acc, x, w) stepAvxVnni(&acc, &x, &w)
DEFINE_DOT_TASK(dotTaskAvxVnni, __attribute__((target("avx2,avxvnni"))),
                STEP_AVXVNNI)
#endif

#if defined(__aarch64__)
#include <arm_neon.h>
/* SDOT on the four quads. */
__attribute__((target("dotprod"))) static inline
    __attribute__((always_inline)) void
    stepDot(i32x16 *acc, const i32x16 *x, const i32x16 *w) {
  int32x4_t a[4];
  int8x16_t xs[4], ws[4];
  __builtin_memcpy(a, acc, 64);
  __builtin_memcpy(xs, x, 64);
  __builtin_memcpy(ws, w, 64);
  for (int i = 0; i < 4; ++i)
    a[i] = vdotq_s32(a[i], xs[i], ws[i]);
  __builtin_memcpy(acc, a, 64);
}
#define STEP_DOT(acc, x, w) stepDot(&acc, &x, &w)
DEFINE_DOT_TASK(dotTaskSdot, __attribute__((target("dotprod"))), STEP_DOT)
#endif

static void dotTask(int32_t task, void *context) {
  const NhwcProblem *q = (const NhwcProblem *)context;
  int64_t b = task / q->tasksPerImage;
  int64_t first = (task % q->tasksPerImage) * q->rowsPerTask;
  int64_t last = first + q->rowsPerTask < q->OH ? first + q->rowsPerTask
                                                : q->OH;
#if defined(__x86_64__)
  if (q->dot == 3)
    dotTaskAvxVnni(q, b, first, last);
  else
    dotTaskVnni(q, b, first, last);
#elif defined(__aarch64__)
  dotTaskSdot(q, b, first, last);
#else
  (void)q; (void)b; (void)first; (void)last;
#endif
}

static void qdepthwiseNhwc(const int64_t *d, intptr_t a, intptr_t b,
                           intptr_t c, intptr_t params, intptr_t scratch,
                           int dot) {
  uint64_t started = profileStart(d);
  NhwcProblem q;
  q.C = d[PASO_GEMM_M];
  q.Cp = roundUp16(q.C);
  q.batch = d[PASO_GEMM_BATCH];
  q.H = d[PASO_GEMM_IMAGE_H];
  q.W = d[PASO_GEMM_IMAGE_W];
  q.KH = d[PASO_GEMM_KERNEL_H];
  q.KW = d[PASO_GEMM_KERNEL_W];
  q.strideH = d[PASO_GEMM_STRIDE_H];
  q.strideW = d[PASO_GEMM_STRIDE_W];
  q.dilationH = d[PASO_GEMM_DILATION_H];
  q.dilationW = d[PASO_GEMM_DILATION_W];
  q.padTop = d[PASO_GEMM_PAD_TOP];
  q.padLeft = d[PASO_GEMM_PAD_LEFT];
  q.OW = d[PASO_GEMM_OUT_W] > 0 ? d[PASO_GEMM_OUT_W] : 1;
  q.OH = d[PASO_GEMM_N] / q.OW;
  q.zeroB = (uint8_t)d[PASO_QGEMM_B_ZERO_POINT];
  q.flip = d[PASO_QGEMM_B_SIGNED] ? 0x80 : 0;
  /* The dot form takes windows of up to four taps a row, undilated. */
  q.dot = d[PASO_GEMM_KERNEL_W] <= 4 && d[PASO_GEMM_KERNEL_H] <= MAX_DOT_ROWS &&
                  d[PASO_GEMM_DILATION_H] == 1 && d[PASO_GEMM_DILATION_W] == 1
              ? dot
              : 0;
#if defined(__aarch64__)
  /* SDOT multiplies int8: the padded copy holds x_u8 - 128 (the bias
   * carries the 128s, as planned for every SDOT depthwise call). */
  if (dot) {
    q.flip ^= 0x80;
    q.zeroB ^= 0x80;
  }
#endif
  q.zeroC = (int32_t)d[PASO_QGEMM_C_ZERO_POINT];
  q.minC = (int32_t)d[PASO_QGEMM_C_MIN];
  q.maxC = (int32_t)d[PASO_QGEMM_C_MAX];
  q.A = (const int8_t *)a;
  q.B = (const uint8_t *)b;
  q.out = (uint8_t *)c;
  q.bias = (const int32_t *)params;
  q.mult = (const float *)(q.bias + q.C);
  q.padded = (uint8_t *)scratch;
  if (q.C <= 0 || q.OH <= 0 || q.batch <= 0 ||
      q.KH * q.KW > PASO_DEPTHWISE_MAX_WINDOW) {
    profileStop(d, started);
    return;
  }
  /* Padded to cover every window (the NCHW kernel's sizePadding). */
  int64_t lastH = (q.OH - 1) * q.strideH + (q.KH - 1) * q.dilationH;
  int64_t lastW = (q.OW - 1) * q.strideW + (q.KW - 1) * q.dilationW;
  q.paddedH = lastH + 1 > q.padTop + q.H ? lastH + 1 : q.padTop + q.H;
  q.paddedW = lastW + 1 > q.padLeft + q.W ? lastW + 1 : q.padLeft + q.W;
  int64_t threads = kernelThreads(d);
  int64_t padRows = q.batch * q.paddedH;
  if (threads > 1 && padRows > 1)
    paso_parallel_for((int32_t)padRows, padTask, &q);
  else
    for (int64_t t = 0; t < padRows; ++t)
      padTask((int32_t)t, &q);
  /* Four tasks per thread when threaded, for balance; one otherwise. */
  int64_t pieces = threads > 1 ? 4 * threads : 1;
  q.rowsPerTask = (q.OH + pieces - 1) / pieces;
  q.tasksPerImage = (q.OH + q.rowsPerTask - 1) / q.rowsPerTask;
  int64_t tasks = q.batch * q.tasksPerImage;
  void (*task)(int32_t, void *) = q.dot ? dotTask : computeTask;
  if (threads > 1 && tasks > 1)
    paso_parallel_for((int32_t)tasks, task, &q);
  else
    for (int64_t t = 0; t < tasks; ++t)
      task((int32_t)t, &q);
  profileStop(d, started);
}

void paso_qdepthwise_nhwc_8(const int64_t *d, intptr_t a, intptr_t b,
                            intptr_t c, intptr_t params, intptr_t scratch) {
  qdepthwiseNhwc(d, a, b, c, params, scratch, 0);
}

#if defined(__x86_64__)
void paso_qdepthwise_nhwc_8_vnni(const int64_t *d, intptr_t a, intptr_t b,
                                 intptr_t c, intptr_t params,
                                 intptr_t scratch) {
  qdepthwiseNhwc(d, a, b, c, params, scratch, 1);
}

void paso_qdepthwise_nhwc_8_avxvnni(const int64_t *d, intptr_t a, intptr_t b,
                                    intptr_t c, intptr_t params,
                                    intptr_t scratch) {
  qdepthwiseNhwc(d, a, b, c, params, scratch, 3);
}
#endif

#if defined(__aarch64__)
void paso_qdepthwise_nhwc_8_dot(const int64_t *d, intptr_t a, intptr_t b,
                                intptr_t c, intptr_t params,
                                intptr_t scratch) {
  qdepthwiseNhwc(d, a, b, c, params, scratch, 2);
}
#endif
