/*===- paso_qbinary.c - 8-bit add and multiply --------------------------===*\
 *
 * paso_qadd_8: out = clamp(rint(fixed + a * rA + b * rB)) for two 8-bit
 * tensors of one shape with per-tensor quantisation: the integer add
 * paso-fold-qdq makes of quantize(dequantize(a) + dequantize(b))
 * (QLinearAdd, a quantised residual add). rA = sa / sc, rB = sb / sc
 * and fixed = zc - (rA za + rB zb) are f32, so the zero points cost
 * nothing per element (the compiler computes them as ONNX Runtime 1.32
 * does: with FMA, rA za + rB zb is one fused multiply-add).
 *
 * This is ONNX Runtime's formula on x86 in its operation order, so the
 * bytes match it exactly: with FMA (its AVX2 kernel) t = fma(b, rB, fixed)
 * then fma(a, rA, t); without (its SSE2 kernel) (fixed + a rA) + b rB,
 * each product rounded. Rounding is to nearest even, as CVTPS2DQ. The
 * paso_qadd_8_fma variant is chosen where the target has FMA (every
 * aarch64 core has it); ONNX Runtime's Arm kernel rounds a fixed-point
 * sum instead, within one step of this.
 *
 * Called with the descriptor of include/paso/Runtime/paso_gemm.h (M = the
 * element count) and params = {lo, hi, bits of rA, rB and fixed, a
 * signed, b signed, out signed, b scalar}; threaded over chunks. A scalar
 * b (QLinearAdd of a constant) runs the same formula on its one value,
 * which is ONNX Runtime's scalar kernel once its b x rB + fixed is fused,
 * as its compiler fuses it (test_integer_add_and_mul_match_ort).
 *
 * paso_qmul_8: out = clamp(rint((float)((a - za)(b - zb)) r + zc)) with
 * r = sa sb / sc in f32, the integer form of quantize(dequantize(a) *
 * dequantize(b)) (QLinearMul, a quantised gating multiply). The product
 * is exact in 32 bits; the multiply and the add are rounded apart, as in
 * ONNX Runtime's kernels on x86 and Arm alike, so the bytes match it on
 * both. b may be broadcast over a's innermost `inner` elements (the
 * per-channel gate of a squeeze-and-excitation block, or a scalar: inner
 * = the element count). Called with M =
 * the element count, K = inner, and params = {lo, hi, za, zb, bits of r,
 * zc, a signed, b signed, out signed}.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

#pragma clang fp contract(off)

enum { BINARY_CHUNK = 16384 };

typedef struct {
  const void *a, *b;
  void *out;
  const int32_t *params;
  /* Elements, and how many of a's consecutive elements share one of b. */
  int64_t count, inner;
} BinaryJob;

/* One element of storage, by its signedness. */
static inline int32_t load8(const void *data, int64_t i, int isSigned) {
  return isSigned ? ((const int8_t *)data)[i] : ((const uint8_t *)data)[i];
}

static inline void store8(void *data, int64_t i, int isSigned, float q) {
  if (isSigned)
    ((int8_t *)data)[i] = (int8_t)(int32_t)q;
  else
    ((uint8_t *)data)[i] = (uint8_t)(int32_t)q;
}

/* The loop for one combination of signedness, so that it vectorises; the
 * flags are constants where it is inlined. */
#define QADD_LOOP(TA, TB, TO, SUM)                                             \
  {                                                                            \
    const TA *restrict pa = (const TA *)job->a;                                \
    const TB *restrict pb = (const TB *)job->b;                                \
    TO *restrict po = (TO *)job->out;                                          \
    for (int64_t i = i0; i < i1; ++i) {                                        \
      float a = (float)pa[i], b = (float)pb[scalarB ? 0 : i];                  \
      float q = __builtin_rintf(SUM);                                          \
      po[i] = (TO)(int32_t)__builtin_fminf(__builtin_fmaxf(q, lo), hi);        \
    }                                                                          \
  }

#define QADD_DISPATCH(SUM)                                                     \
  const int32_t *p = job->params;                                              \
  float lo = (float)p[0], hi = (float)p[1];                                    \
  float rA = floatBits(p[2]), rB = floatBits(p[3]), fixed = floatBits(p[4]);   \
  int kind = p[5] * 4 + p[6] * 2 + p[7], scalarB = p[8];                       \
  switch (kind) {                                                              \
  case 0: QADD_LOOP(uint8_t, uint8_t, uint8_t, SUM) break;                     \
  case 7: QADD_LOOP(int8_t, int8_t, int8_t, SUM) break;                        \
  default:                                                                     \
    for (int64_t i = i0; i < i1; ++i) {                                        \
      float a = (float)load8(job->a, i, p[5]);                                 \
      float b = (float)load8(job->b, scalarB ? 0 : i, p[6]);                   \
      float q = __builtin_rintf(SUM);                                          \
      store8(job->out, i, p[7], __builtin_fminf(__builtin_fmaxf(q, lo), hi));  \
    }                                                                          \
  }

static void qaddRange(const BinaryJob *job, int64_t i0, int64_t i1) {
  QADD_DISPATCH((fixed + a * rA) + b * rB)
}

#if defined(__x86_64__)
#define FMA_TARGET __attribute__((target("fma")))
#else
#define FMA_TARGET
#endif

FMA_TARGET static void qaddRangeFma(const BinaryJob *job, int64_t i0,
                                    int64_t i1) {
  QADD_DISPATCH(__builtin_fmaf(a, rA, __builtin_fmaf(b, rB, fixed)))
}

/* The multiply over [i0, i1), B_OF(i) giving b - zb for element i. The
 * common signedness pairs get their own loops, so that they vectorise. */
#define QMUL_LOOP(TA, TO, B_OF)                                                \
  {                                                                            \
    const TA *restrict pa = (const TA *)job->a;                                \
    TO *restrict po = (TO *)job->out;                                          \
    for (int64_t i = i0; i < i1; ++i) {                                        \
      float x = (float)((pa[i] - za) * (B_OF));                                \
      float q = __builtin_rintf(x * ratio + zc);                               \
      po[i] = (TO)(int32_t)__builtin_fminf(__builtin_fmaxf(q, lo), hi);        \
    }                                                                          \
  }
#define QMUL_DISPATCH(B_OF)                                                    \
  if (aSigned && outSigned)                                                    \
    QMUL_LOOP(int8_t, int8_t, B_OF)                                            \
  else if (!aSigned && !outSigned)                                             \
    QMUL_LOOP(uint8_t, uint8_t, B_OF)                                          \
  else                                                                         \
    for (int64_t i = i0; i < i1; ++i) {                                        \
      float x = (float)((load8(job->a, i, aSigned) - za) * (B_OF));            \
      float q = __builtin_rintf(x * ratio + zc);                               \
      store8(job->out, i, outSigned,                                           \
             __builtin_fminf(__builtin_fmaxf(q, lo), hi));                     \
    }

static void qmulRange(const BinaryJob *job, int64_t first, int64_t last) {
  const int32_t *p = job->params;
  float lo = (float)p[0], hi = (float)p[1];
  int32_t za = p[2], zb = p[3];
  float ratio = floatBits(p[4]), zc = (float)p[5];
  int aSigned = p[6], bSigned = p[7], outSigned = p[8];
  if (job->inner == 1) {
    int64_t i0 = first, i1 = last;
    if (bSigned) {
      const int8_t *restrict pb = (const int8_t *)job->b;
      QMUL_DISPATCH(pb[i] - zb)
    } else {
      const uint8_t *restrict pb = (const uint8_t *)job->b;
      QMUL_DISPATCH(pb[i] - zb)
    }
    return;
  }
  /* Row by row, each against its one value of b (pieces hold whole rows). */
  for (int64_t row = first / job->inner; row * job->inner < last; ++row) {
    int32_t b = load8(job->b, row, bSigned) - zb;
    int64_t i0 = row * job->inner, i1 = i0 + job->inner;
    QMUL_DISPATCH(b)
  }
}

typedef struct {
  const BinaryJob *job;
  void (*range)(const BinaryJob *, int64_t, int64_t);
  int64_t chunk;
} BinaryTask;

static void binaryPiece(int32_t index, void *context) {
  const BinaryTask *task = (const BinaryTask *)context;
  int64_t i0 = (int64_t)index * task->chunk;
  int64_t i1 = i0 + task->chunk < task->job->count ? i0 + task->chunk
                                                   : task->job->count;
  task->range(task->job, i0, i1);
}

/* Runs `range` over the elements, threaded over chunks of whole rows. */
static void qbinary(const int64_t *descriptor, intptr_t a, intptr_t b,
                    intptr_t out, intptr_t params, int64_t inner,
                    void (*range)(const BinaryJob *, int64_t, int64_t)) {
  uint64_t start = profileStart(descriptor);
  BinaryJob job = {(const void *)a, (const void *)b, (void *)out,
                 (const int32_t *)params, descriptor[PASO_GEMM_M], inner};
  int64_t rows = BINARY_CHUNK / inner > 0 ? BINARY_CHUNK / inner : 1;
  BinaryTask task = {&job, range, rows * inner};
  int64_t pieces = (job.count + task.chunk - 1) / task.chunk;
  if (kernelThreads(descriptor) > 1 && pieces > 1)
    paso_parallel_for((int32_t)pieces, binaryPiece, &task);
  else
    range(&job, 0, job.count);
  profileStop(descriptor, start);
}

void paso_qadd_8(const int64_t *descriptor, intptr_t a, intptr_t b,
                 intptr_t out, intptr_t params, intptr_t unused) {
  (void)unused;
  qbinary(descriptor, a, b, out, params, 1, qaddRange);
}

void paso_qadd_8_fma(const int64_t *descriptor, intptr_t a, intptr_t b,
                     intptr_t out, intptr_t params, intptr_t unused) {
  (void)unused;
  qbinary(descriptor, a, b, out, params, 1, qaddRangeFma);
}

void paso_qmul_8(const int64_t *descriptor, intptr_t a, intptr_t b,
                 intptr_t out, intptr_t params, intptr_t unused) {
  (void)unused;
  qbinary(descriptor, a, b, out, params, descriptor[PASO_GEMM_K], qmulRange);
}
