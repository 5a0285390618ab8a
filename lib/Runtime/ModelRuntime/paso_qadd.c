/*===- paso_qadd.c - the int8 residual add -------------------------------===*\
 *
 * out = clamp(roundeven(((a - za) * ra + (b - zb) * rb) / sc) + zc) for two
 * int8 tensors of the same shape with per-tensor scales: the integer add
 * paso-fold-qdq makes of quantize(dequantize(a) + dequantize(b)) (ra, rb
 * are the operands' scales over the output's, sc then 1). It computes
 * exactly what the generated code would (the same f32 operations in the
 * same order, no fused multiply-add), vectorised: the generated loop
 * took 2-3 cycles an element, a tenth of MobileNetV2's int8 run.
 *
 * Called with the descriptor of include/paso/Runtime/paso_gemm.h (M = the
 * element count) and params = {za, zb, zc, lo, hi, bits of ra, rb, sc};
 * threaded over chunks.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

#pragma clang fp contract(off)

enum { QADD_CHUNK = 16384 };

typedef struct {
  const int8_t *a, *b;
  int8_t *out;
  const int32_t *params;
  int64_t count;
} QaddJob;

static float floatBits(int32_t bits) {
  float value;
  __builtin_memcpy(&value, &bits, sizeof value);
  return value;
}

static void qaddRange(const QaddJob *job, int64_t i0, int64_t i1) {
  const int32_t *p = job->params;
  float za = (float)p[0], zb = (float)p[1], zc = (float)p[2];
  float lo = (float)p[3], hi = (float)p[4];
  float ra = floatBits(p[5]), rb = floatBits(p[6]), sc = floatBits(p[7]);
  for (int64_t i = i0; i < i1; ++i) {
    float x = ((float)job->a[i] - za) * ra + ((float)job->b[i] - zb) * rb;
    float q = __builtin_roundevenf(x / sc) + zc;
    /* maxnum first, as the generated code: NaN becomes the lower bound. */
    q = __builtin_fminf(__builtin_fmaxf(q, lo), hi);
    job->out[i] = (int8_t)(int32_t)q;
  }
}

static void qaddPiece(int32_t index, void *context) {
  const QaddJob *job = (const QaddJob *)context;
  int64_t i0 = (int64_t)index * QADD_CHUNK;
  int64_t i1 = i0 + QADD_CHUNK < job->count ? i0 + QADD_CHUNK : job->count;
  qaddRange(job, i0, i1);
}

void paso_qadd_s8(const int64_t *descriptor, intptr_t a, intptr_t b,
                  intptr_t out, intptr_t params, intptr_t unused) {
  (void)unused;
  uint64_t start = profileStart(descriptor);
  QaddJob job = {(const int8_t *)a, (const int8_t *)b, (int8_t *)out,
                 (const int32_t *)params, descriptor[PASO_GEMM_M]};
  int64_t pieces = (job.count + QADD_CHUNK - 1) / QADD_CHUNK;
  if (kernelThreads(descriptor) > 1 && pieces > 1)
    paso_parallel_for((int32_t)pieces, qaddPiece, &job);
  else
    qaddRange(&job, 0, job.count);
  profileStop(descriptor, start);
}
