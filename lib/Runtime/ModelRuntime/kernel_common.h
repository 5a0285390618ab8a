/*===- kernel_common.h - shared by the runtime's compute kernels -*- C -*-===*\
 *
 * The decoded kernel descriptor (include/paso/Runtime/paso_gemm.h) and the
 * libc and thread-pool functions the kernels use. Included by paso_gemm.c
 * and paso_depthwise.c; everything here is static.
 *
\*===----------------------------------------------------------------------===*/

#ifndef PASO_RUNTIME_KERNEL_COMMON_H
#define PASO_RUNTIME_KERNEL_COMMON_H

#include "paso/Runtime/paso_gemm.h"

#include <stddef.h>
#include <stdint.h>

void *aligned_alloc(size_t alignment, size_t size);
void free(void *pointer);
void abort(void);

/* From paso_threads.c: runs body(i, context) for i in [0, count) on up to
 * the configured number of threads. */
void paso_parallel_for(int32_t count, void (*body)(int32_t, void *),
                       void *context);
int32_t paso_get_num_threads(void);
/* paso_threads.c: the threads to plan a kernel's pieces for now: 1 while
 * the pool backs off from a busy machine (its jobs then run on the caller
 * alone, and pieces planned for more threads would each pay their own
 * packing and blocking: 2-4% slower than one thread, measured), else
 * paso_get_num_threads(). */
int32_t paso_available_threads(void);

/* From paso_profile.c: with PASO_PROFILE set, the time of each kernel call
 * is added to its kernel's total (keyed by the descriptor's kernel id). */
uint64_t paso_profile_start(int64_t kernel);
void paso_profile_stop(int64_t kernel, uint64_t start);

static inline uint64_t profileStart(const int64_t *descriptor) {
  return paso_profile_start(descriptor[PASO_GEMM_KERNEL_ID]);
}
static inline void profileStop(const int64_t *descriptor, uint64_t start) {
  paso_profile_stop(descriptor[PASO_GEMM_KERNEL_ID], start);
}

/* The f32 whose bits are `bits` (the compiler passes f32 constants in
 * int32 parameter arrays). */
static inline float floatBits(int32_t bits) {
  float value;
  __builtin_memcpy(&value, &bits, sizeof value);
  return value;
}

/* Threads a call may use: the configured count, capped by the cost
 * model's choice in the descriptor (0 = no cap). */
static inline int64_t kernelThreads(const int64_t *descriptor) {
  int64_t threads = paso_available_threads();
  if (descriptor[PASO_GEMM_MAX_THREADS] > 0 &&
      threads > descriptor[PASO_GEMM_MAX_THREADS])
    threads = descriptor[PASO_GEMM_MAX_THREADS];
  return threads;
}

/* Blocking for products whose caller has no cost-model numbers (paso_sgemm):
 * a 256 x 1024 block of B is 1 MiB, within every target's L2. */
enum { DEFAULT_KC = 256, DEFAULT_NC = 1024 };
/* Largest A block (rows x KC floats) for which a product runs panel by
 * panel of B (gemm_kernel.inc's panelsOuter): it is re-read from L2 once
 * per panel, so it must stay well inside the smallest L2 of the targets
 * (the Pi 4's 1 MiB, shared by four cores). */
enum { PANELS_OUTER_MAX_A_BYTES = 192 << 10 };

/* paso_sgemm products smaller than this (in multiply-adds) run on one
 * thread: waking a sleeping pool worker can take tens of microseconds,
 * and at 2^21 it gets about a millisecond of work on a Cortex-A72. (The
 * calls paso-call-cpu-kernels emits carry the cost model's choice.) */
enum { PARALLEL_MIN_WORK = 1 << 21 };

/* The descriptor decoded, with the operand pointers and the work split. */
typedef struct {
  int64_t M, N, K, batch, lda, ldb, ldc;
  int64_t aBatchStride, bBatchStride, cBatchStride;
  int aLayout, bLayout, biasKind, activation, accumulate, hasEpilogue;
  int windowOp;
  /* An NHWC product whose im2col is the image itself (1x1, stride 1, no
   * padding): row m of A is pixel m's channels. */
  int rowsInPlace;
  int64_t imageC, imageH, imageW, kernelH, kernelW, strideH, strideW, padTop,
      padLeft, dilationH, dilationW, outW;
  float alpha, beta;
  int64_t kc, nc;
  const float *A, *B, *bias, *residual;
  float *C;
  int64_t rowChunk, columnChunk, rowPieces, columnPieces;
} GemmProblem;

/* Activations computed with a few vector min/max/multiply-adds. */
static inline int cheapActivation(int code) {
  return code == PASO_ACT_NONE || code == PASO_ACT_RELU ||
         code == PASO_ACT_CLIP || code == PASO_ACT_LEAKY_RELU ||
         code == PASO_ACT_HARD_SIGMOID || code == PASO_ACT_HARD_SWISH;
}

static float bitsToFloat(int64_t bits) {
  union {
    uint32_t u;
    float f;
  } v = {(uint32_t)bits};
  return v.f;
}

static inline int decodeProblem(GemmProblem *g, const int64_t *d, intptr_t a,
                         intptr_t b, intptr_t c, intptr_t bias,
                         intptr_t residual) {
  g->M = d[PASO_GEMM_M];
  g->N = d[PASO_GEMM_N];
  g->K = d[PASO_GEMM_K];
  g->batch = d[PASO_GEMM_BATCH];
  if (g->M <= 0 || g->N <= 0 || g->batch <= 0)
    return 0;
  g->lda = d[PASO_GEMM_LDA];
  g->ldb = d[PASO_GEMM_LDB];
  g->ldc = d[PASO_GEMM_LDC];
  g->aBatchStride = d[PASO_GEMM_A_BATCH_STRIDE];
  g->bBatchStride = d[PASO_GEMM_B_BATCH_STRIDE];
  g->cBatchStride = d[PASO_GEMM_C_BATCH_STRIDE];
  g->aLayout = (int)d[PASO_GEMM_A_LAYOUT];
  g->bLayout = (int)d[PASO_GEMM_B_LAYOUT];
  g->biasKind = bias ? (int)d[PASO_GEMM_BIAS] : PASO_BIAS_NONE;
  g->activation = (int)d[PASO_GEMM_ACTIVATION];
  g->accumulate = (int)d[PASO_GEMM_ACCUMULATE];
  g->windowOp = (int)d[PASO_GEMM_WINDOW_OP];
  g->hasEpilogue = g->biasKind != PASO_BIAS_NONE || residual ||
                   g->activation != PASO_ACT_NONE;
  g->imageC = d[PASO_GEMM_IMAGE_C];
  g->imageH = d[PASO_GEMM_IMAGE_H];
  g->imageW = d[PASO_GEMM_IMAGE_W];
  g->kernelH = d[PASO_GEMM_KERNEL_H];
  g->kernelW = d[PASO_GEMM_KERNEL_W];
  g->strideH = d[PASO_GEMM_STRIDE_H];
  g->strideW = d[PASO_GEMM_STRIDE_W];
  g->padTop = d[PASO_GEMM_PAD_TOP];
  g->padLeft = d[PASO_GEMM_PAD_LEFT];
  g->dilationH = d[PASO_GEMM_DILATION_H];
  g->dilationW = d[PASO_GEMM_DILATION_W];
  g->outW = d[PASO_GEMM_OUT_W];
  g->rowsInPlace = g->aLayout == PASO_A_NHWC_IM2COL && g->kernelH == 1 &&
                   g->kernelW == 1 && g->strideH == 1 && g->strideW == 1 &&
                   g->padTop == 0 && g->padLeft == 0 &&
                   g->outW == g->imageW;
  g->alpha = bitsToFloat(d[PASO_GEMM_ALPHA_BITS]);
  g->beta = bitsToFloat(d[PASO_GEMM_BETA_BITS]);
  g->kc = d[PASO_GEMM_KC] > 0 ? d[PASO_GEMM_KC] : DEFAULT_KC;
  g->nc = d[PASO_GEMM_NC] > 0 ? d[PASO_GEMM_NC] : DEFAULT_NC;
  g->A = (const float *)a;
  g->B = (const float *)b;
  g->C = (float *)c;
  g->bias = (const float *)bias;
  g->residual = (const float *)residual;
  if (g->K <= 0) {
    /* An empty sum: C keeps its value or becomes zero; the epilogue is
     * not applied to it (a degenerate product no ONNX model produces). */
    if (!g->accumulate)
      for (int64_t i = 0; i < g->batch; ++i)
        for (int64_t m = 0; m < g->M; ++m)
          for (int64_t n = 0; n < g->N; ++n)
            g->C[i * g->cBatchStride + m * g->ldc + n] = 0.0f;
    return 0;
  }
  return 1;
}

#endif /* PASO_RUNTIME_KERNEL_COMMON_H */
