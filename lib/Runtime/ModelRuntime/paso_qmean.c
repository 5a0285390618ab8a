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
 * the planes, K = N, and N = the planes' stride, `inner`: 1 when each
 * plane is contiguous, the channel count of a channels-last tensor, whose
 * plane o * inner + c is x[o][i][c] for i < K) and params = {zx, zy, lo,
 * hi, bits of scale, input signed, output signed}; threaded over chunks
 * of planes. Channels-last planes are summed 16 channels per vector.
 *
\*===----------------------------------------------------------------------===*/

#include "int8_vectors.h"
#include "kernel_common.h"

/* Planes per parallel piece: MobileNetV2's 1280 planes of 49 make 10. */
enum { QMEAN_CHUNK = 128 };

typedef struct {
  const uint8_t *in;
  uint8_t *out;
  const int32_t *params;
  int64_t planes, size, inner;
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

/* One channels-last plane, element by element (a block's last lanes). */
static int32_t sumSignedStrided(const int8_t *x, const QmeanJob *job) {
  int32_t sum = 0;
  for (int64_t i = 0; i < job->size; ++i)
    sum += x[i * job->inner];
  return sum;
}
static int32_t sumUnsignedStrided(const uint8_t *x, const QmeanJob *job) {
  int32_t sum = 0;
  for (int64_t i = 0; i < job->size; ++i)
    sum += x[i * job->inner];
  return sum;
}

/* Sums of 16 channels-last planes from channel c of outer index o (the
 * lanes past the last channel read nothing and stay 0). */
static i32x16 sumChannels(const QmeanJob *job, int64_t o, int64_t c,
                          int inSigned) {
  const uint8_t *x = job->in + o * job->size * job->inner + c;
  i32x16 sums = (i32x16){};
  if (c + 16 > job->inner) {
    for (int64_t j = 0; c + j < job->inner; ++j)
      sums[j] = inSigned ? sumSignedStrided((const int8_t *)x + j, job)
                         : sumUnsignedStrided(x + j, job);
    return sums;
  }
  for (int64_t i = 0; i < job->size; ++i, x += job->inner) {
    if (inSigned) {
      i8x16 v;
      __builtin_memcpy(&v, x, 16);
      sums += __builtin_convertvector(v, i32x16);
    } else {
      u8x16 v;
      __builtin_memcpy(&v, x, 16);
      sums += __builtin_convertvector(v, i32x16);
    }
  }
  return sums;
}

static void qmeanRange(const QmeanJob *job, int64_t p0, int64_t p1) {
  const int32_t *p = job->params;
  int32_t bias = -p[0] * (int32_t)job->size, zy = p[1], lo = p[2], hi = p[3];
  float scale = floatBits(p[4]);
  int inSigned = p[5], outSigned = p[6];
  i32x16 block = (i32x16){};
  int64_t blockStart = -1;
  for (int64_t plane = p0; plane < p1; ++plane) {
    int32_t sum;
    if (job->inner > 1) {
      /* Channels-last: 16 neighbouring planes summed at once. */
      int64_t c = plane % job->inner, start = plane - c % 16;
      if (start != blockStart) {
        block = sumChannels(job, plane / job->inner, c - c % 16, inSigned);
        blockStart = start;
      }
      sum = block[c % 16];
    } else {
      const uint8_t *x = job->in + plane * job->size;
      sum = inSigned ? sumSigned((const int8_t *)x, job->size)
                     : sumUnsigned(x, job->size);
    }
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
                  descriptor[PASO_GEMM_M], descriptor[PASO_GEMM_K],
                  descriptor[PASO_GEMM_N] > 1 ? descriptor[PASO_GEMM_N] : 1};
  int64_t pieces = (job.planes + QMEAN_CHUNK - 1) / QMEAN_CHUNK;
  if (kernelThreads(descriptor) > 1 && pieces > 1)
    paso_parallel_for((int32_t)pieces, qmeanPiece, &job);
  else
    qmeanRange(&job, 0, job.planes);
  profileStop(descriptor, start);
}
