/*===- paso_qsoftmax.c - ONNX Runtime's QLinearSoftmax, bit for bit ------===*\
 *
 * paso_qsoftmax_8: the com.microsoft QLinearSoftmax of an 8-bit tensor,
 * along rows of K values, computed the way ONNX Runtime computes it (so
 * that a QOperator model gives its bytes), not as quantize(softmax(
 * dequantize(x))):
 *   - a table t of 256 f32 exponentials, built by the compiler:
 *     t[i] = exp((i - 255 + s) x_scale) for the byte 255 - i below the
 *     row's largest, s keeping the row's sum below the f32 range;
 *   - per row, the f32 sum of t over the row's bytes, in order;
 *   - y = rint((t[x] * Ys) / sum) + zy, Ys = floor(1 / y_scale), clamped
 *     above at 255 (and, for int8, then truncated to 8 bits, as ONNX
 *     Runtime stores it).
 * params: {zy, bits of Ys, input signed, 0, the table's 256 f32 bits};
 * descriptor M = rows, K = row length. Threaded over chunks of rows.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

enum { QSOFTMAX_ROWS_PER_PIECE = 16 };

typedef struct {
  const uint8_t *in;
  uint8_t *out;
  const int32_t *params;
  int64_t rows, length;
} QsoftmaxJob;

static void qsoftmaxRow(const QsoftmaxJob *job, int64_t r) {
  const int32_t *p = job->params;
  int32_t zy = p[0];
  float ys = floatBits(p[1]);
  const float *table = (const float *)(p + 4);
  int64_t n = job->length;
  const uint8_t *x = job->in + r * n;
  uint8_t *y = job->out + r * n;
  /* Each byte's entry: the table starts at the row's largest value
   * (uint8), or is indexed by the byte shifted so that the largest reads
   * entry 127 (int8, whose table is stored at i - 128). */
  const float *shifted = table;
  uint8_t adjust = 0;
  if (p[2]) {
    int8_t largest = -128;
    for (int64_t i = 0; i < n; ++i)
      largest = (int8_t)x[i] > largest ? (int8_t)x[i] : largest;
    adjust = (uint8_t)(127 - largest);
  } else {
    uint8_t largest = 0;
    for (int64_t i = 0; i < n; ++i)
      largest = x[i] > largest ? x[i] : largest;
    shifted = table + 255 - largest;
  }
  /* In order: the f32 sum is ONNX Runtime's only if it adds alike. */
  float sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += shifted[(uint8_t)(x[i] + adjust)];
  for (int64_t i = 0; i < n; ++i) {
    float t = shifted[(uint8_t)(x[i] + adjust)];
    int32_t q = (int32_t)__builtin_rintf((t * ys) / sum) + zy;
    y[i] = q > 255 ? 255 : (uint8_t)q;
  }
}

static void qsoftmaxPiece(int32_t index, void *context) {
  const QsoftmaxJob *job = (const QsoftmaxJob *)context;
  int64_t first = (int64_t)index * QSOFTMAX_ROWS_PER_PIECE;
  int64_t last = first + QSOFTMAX_ROWS_PER_PIECE < job->rows
                     ? first + QSOFTMAX_ROWS_PER_PIECE
                     : job->rows;
  for (int64_t r = first; r < last; ++r)
    qsoftmaxRow(job, r);
}

void paso_qsoftmax_8(const int64_t *descriptor, intptr_t in, intptr_t out,
                     intptr_t params, intptr_t unused) {
  (void)unused;
  uint64_t start = profileStart(descriptor);
  QsoftmaxJob job = {(const uint8_t *)in, (uint8_t *)out,
                     (const int32_t *)params, descriptor[PASO_GEMM_M],
                     descriptor[PASO_GEMM_K]};
  int64_t pieces =
      (job.rows + QSOFTMAX_ROWS_PER_PIECE - 1) / QSOFTMAX_ROWS_PER_PIECE;
  if (kernelThreads(descriptor) > 1 && pieces > 1)
    paso_parallel_for((int32_t)pieces, qsoftmaxPiece, &job);
  else
    for (int64_t r = 0; r < job.rows; ++r)
      qsoftmaxRow(&job, r);
  profileStop(descriptor, start);
}
