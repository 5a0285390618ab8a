/*===- paso_qmean.c - the 8-bit global average pool ----------------------===*\
 *
 * out[c] = clamp(rint((sum_i x[c][i] - N * zx) * scale) + zy) for each of
 * M planes of N 8-bit values, scale = sx / (sy * N) in f32: the integer
 * form of quantize(reduce_mean(dequantize(x))) over a tensor's inner dims
 * (QLinearGlobalAveragePool, and the global pool of a model PASO
 * quantises). The sum is exact in 32 bits (N < 2^23 planes of 8 bits),
 * so one rounding remains, where the float mean rounds every addition.
 * It is ONNX Runtime's formula on x86 (int32 sum, f32 scale, round to
 * nearest even), bit for bit; its Arm kernel rounds a fixed-point product
 * instead and may differ from it by one step.
 *
 * Called with the descriptor of include/paso/Runtime/paso_gemm.h (M =
 * the planes, K = N) and params = {zx, zy, lo, hi, bits of scale, input
 * signed, output signed}; threaded over chunks of planes.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

/* Planes per parallel piece: MobileNetV2's 1280 planes of 49 make 10. */
enum { QMEAN_CHUNK = 128 };

typedef struct {
  const uint8_t *in;
  uint8_t *out;
  const int32_t *params;
  int64_t planes, size;
} QmeanJob;

/* Sums of one plane; the two loops vectorise as byte widenings. */
static int32_t sumSigned(const int8_t *x, int64_t n) {
  int32_t sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += x[i];
  return sum;
}
static int32_t sumUnsigned(const uint8_t *x, int64_t n) {
  int32_t sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += x[i];
  return sum;
}

static void qmeanRange(const QmeanJob *job, int64_t p0, int64_t p1) {
  const int32_t *p = job->params;
  int32_t bias = -p[0] * (int32_t)job->size, zy = p[1], lo = p[2], hi = p[3];
  float scale = floatBits(p[4]);
  int inSigned = p[5], outSigned = p[6];
  for (int64_t plane = p0; plane < p1; ++plane) {
    const uint8_t *x = job->in + plane * job->size;
    int32_t sum = inSigned ? sumSigned((const int8_t *)x, job->size)
                           : sumUnsigned(x, job->size);
    int32_t q = (int32_t)__builtin_rintf((float)(sum + bias) * scale) + zy;
    q = q < lo ? lo : q > hi ? hi : q;
    if (outSigned)
      ((int8_t *)job->out)[plane] = (int8_t)q;
    else
      job->out[plane] = (uint8_t)q;
  }
}

static void qmeanPiece(int32_t index, void *context) {
  const QmeanJob *job = (const QmeanJob *)context;
  int64_t p0 = (int64_t)index * QMEAN_CHUNK;
  int64_t p1 = p0 + QMEAN_CHUNK < job->planes ? p0 + QMEAN_CHUNK : job->planes;
  qmeanRange(job, p0, p1);
}

void paso_qmean_8(const int64_t *descriptor, intptr_t in, intptr_t out,
                  intptr_t params, intptr_t unused) {
  (void)unused;
  uint64_t start = profileStart(descriptor);
  QmeanJob job = {(const uint8_t *)in, (uint8_t *)out, (const int32_t *)params,
                  descriptor[PASO_GEMM_M], descriptor[PASO_GEMM_K]};
  int64_t pieces = (job.planes + QMEAN_CHUNK - 1) / QMEAN_CHUNK;
  if (kernelThreads(descriptor) > 1 && pieces > 1)
    paso_parallel_for((int32_t)pieces, qmeanPiece, &job);
  else
    qmeanRange(&job, 0, job.planes);
  profileStop(descriptor, start);
}
