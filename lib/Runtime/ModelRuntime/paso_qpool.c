/*===- paso_qpool.c - 8-bit max and average pooling ---------------------===*\
 *
 * 2-D windows over the storage of an 8-bit per-tensor quantised image,
 * NCHW or channels-last:
 *  - max: the largest byte of each window, when input and output share one
 *    quantisation (the maximum commutes with the monotonic dequantisation,
 *    so this is quantize(max_pool(dequantize(x))) exactly);
 *  - average: ONNX Runtime's QLinearAveragePool (which ORT also makes of a
 *    QDQ DequantizeLinear -> AveragePool -> QuantizeLinear) bit for bit:
 *    each byte dequantised in f32 (x_scale * (x - zx)), the window summed
 *    in f32 row by row, left to right, divided by the count as f32, then
 *    rint(y / y_scale + zy), clamped. The count is the window's size with
 *    `count_include_pad`, else the positions inside the image.
 * Both read the image in place; a vector holds 64 neighbouring outputs of
 * one row (NCHW, whose taps then read at the window's stride) or 64
 * channels of one pixel (channels-last, contiguous). Signed bytes are
 * flipped to unsigned (x ^ 0x80) on load and back on store, so one
 * unsigned maximum serves both; a sum reads them with zx + 128.
 *
 * Called with the descriptor of include/paso/Runtime/paso_gemm.h (BATCH =
 * images, the window fields, N = output pixels, B_LAYOUT =
 * PASO_B_NHWC_IMAGE for channels-last) and params = {average (1) or max
 * (0), signed, zx, zy, bits of x_scale, bits of y_scale,
 * count_include_pad}; threaded over output rows.
 *
\*===----------------------------------------------------------------------===*/

#include "int8_vectors.h"
#include "kernel_common.h"

/* ONNX Runtime rounds the product x_scale * (x - zx) before adding it:
 * the file's multiply-adds must not become FMAs (-ffp-contract=fast). */
#pragma clang fp contract(off)

enum { LANES = 64 };

typedef struct {
  const uint8_t *in;
  uint8_t *out;
  int64_t images, channels, height, width, outH, outW;
  int64_t kernelH, kernelW, strideH, strideW, padTop, padLeft;
  int nhwc, average, includePad;
  uint8_t flip;
  int32_t zx, zy, lo, hi;
  float xScale, yScale;
  int64_t size, rows, rowsPerPiece;
  u8x64 *masks; /* planLanes */
  float *widths;
} QpoolJob;

/* 0xff in lane j when 0 <= first + j * step < limit and j < lanes: the
 * lanes a load fills from the image, the others taking a neutral byte. */
static u8x64 laneMask(int64_t first, int64_t step, int64_t lanes,
                      int64_t limit) {
  u8x64 mask;
  for (int64_t j = 0; j < LANES; ++j) {
    int64_t at = first + j * step;
    mask[j] = j < lanes && at >= 0 && at < limit ? 0xff : 0;
  }
  return mask;
}

/* Lane j: in[offset + j * step] (flipped) where `mask` has it, else `neutral`
 * (the maximum's least byte, or a byte that dequantises to 0 for a sum). A
 * whole vector is loaded when it stays inside the input buffer (lanes
 * past a row's end read the next row and are masked); at the buffer's
 * edges only the masked lanes are read. */
static u8x64 loadLanes(const QpoolJob *job, int64_t offset, int64_t step,
                       u8x64 mask, uint8_t neutral) {
  u8x64 v;
  if (offset >= 0 && offset + LANES * step <= job->size) {
    const uint8_t *at = job->in + offset;
    if (step == 1) {
      __builtin_memcpy(&v, at, LANES);
    } else if (step == 2) {
      typedef uint8_t u8x128 __attribute__((vector_size(128)));
      u8x128 pair;
      __builtin_memcpy(&pair, at, LANES * 2);
      v = __builtin_shufflevector(
          pair, pair, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30,
          32, 34, 36, 38, 40, 42, 44, 46, 48, 50, 52, 54, 56, 58, 60, 62, 64,
          66, 68, 70, 72, 74, 76, 78, 80, 82, 84, 86, 88, 90, 92, 94, 96, 98,
          100, 102, 104, 106, 108, 110, 112, 114, 116, 118, 120, 122, 124, 126);
    } else {
      for (int j = 0; j < LANES; ++j)
        v[j] = at[j * step];
    }
  } else {
    for (int j = 0; j < LANES; ++j)
      v[j] = mask[j] ? job->in[offset + j * step] : 0;
  }
  v ^= job->flip;
  return (v & mask) | ((u8x64){} + neutral & ~mask);
}

/* The window's [start, end) along one dim of `size`, as ONNX Runtime
 * clips it (a window never lies wholly in the padding). */
static void windowRange(int64_t o, int64_t stride, int64_t pad, int64_t kernel,
                        int64_t size, int64_t *start, int64_t *end) {
  int64_t s = o * stride - pad, e = s + kernel;
  *start = s < 0 ? 0 : s;
  *end = e < size ? e : size;
}

/* Accumulators of 64 outputs: bytes for a maximum, four f32x16 sums. */
typedef struct {
  u8x64 max;
  f32x16 sum[4];
} Lanes;

static void addLanes(const QpoolJob *job, Lanes *acc, u8x64 v) {
  if (!job->average) {
    acc->max = __builtin_elementwise_max(acc->max, v);
    return;
  }
  /* x - zx in 32 bits, exactly; converted and scaled as ORT's table. */
  int32_t zero = job->zx + (job->flip ? 128 : 0);
  for (int q = 0; q < 4; ++q) {
    u8x16 part;
    __builtin_memcpy(&part, (const uint8_t *)&v + 16 * q, 16);
    i32x16 d = __builtin_convertvector(part, i32x16) - zero;
    acc->sum[q] =
        acc->sum[q] + job->xScale * __builtin_convertvector(d, f32x16);
  }
}

/* Stores `lanes` outputs; counts[j] is lane j's window count (sums). */
static void storeOutputs(const QpoolJob *job, const Lanes *acc,
                         const float *counts, int64_t lanes, uint8_t *to) {
  uint8_t bytes[LANES];
  if (!job->average) {
    u8x64 v = acc->max ^ job->flip;
    __builtin_memcpy(bytes, &v, LANES);
  } else {
    for (int q = 0; q < 4; ++q) {
      f32x16 count;
      __builtin_memcpy(&count, counts + 16 * q, sizeof count);
      f32x16 y = acc->sum[q] / count / job->yScale + (float)job->zy;
      i32x16 r = __builtin_convertvector(__builtin_elementwise_rint(y), i32x16);
      r = __builtin_elementwise_min(
          __builtin_elementwise_max(r, (i32x16){} + job->lo),
          (i32x16){} + job->hi);
      for (int j = 0; j < 16; ++j)
        bytes[16 * q + j] = (uint8_t)r[j];
    }
  }
  __builtin_memcpy(to, bytes, (size_t)lanes);
}

static void initLanes(const QpoolJob *job, Lanes *acc) {
  acc->max = (u8x64){};
  for (int q = 0; q < 4; ++q)
    acc->sum[q] = (f32x16){};
  (void)job;
}

/* The neutral byte of a lane outside the image. */
static uint8_t neutralByte(const QpoolJob *job) {
  return job->average ? (uint8_t)(job->zx + (job->flip ? 128 : 0)) : 0;
}

/* Output row `oh` of plane `plane` (NCHW): 64 output columns at a time,
 * each tap a strided load along the input row. */
static void poolPlaneRow(const QpoolJob *job, int64_t plane, int64_t oh) {
  int64_t image = plane * job->height * job->width;
  uint8_t *out = job->out + (plane * job->outH + oh) * job->outW;
  int64_t h0, h1;
  windowRange(oh, job->strideH, job->padTop, job->kernelH, job->height, &h0,
              &h1);
  uint8_t neutral = neutralByte(job);
  float counts[LANES];
  for (int64_t block = 0, ow0 = 0; ow0 < job->outW; ++block, ow0 += LANES) {
    int64_t lanes = job->outW - ow0 < LANES ? job->outW - ow0 : LANES;
    int64_t first = ow0 * job->strideW - job->padLeft;
    const u8x64 *masks = job->masks + block * job->kernelW;
    Lanes acc;
    initLanes(job, &acc);
    for (int64_t h = h0; h < h1; ++h)
      for (int64_t kx = 0; kx < job->kernelW; ++kx)
        addLanes(job, &acc,
                 loadLanes(job, image + h * job->width + first + kx,
                           job->strideW, masks[kx], neutral));
    if (job->average) {
      const float *widths = job->widths + block * LANES;
      float window = (float)(job->kernelH * job->kernelW),
            rows = (float)(h1 - h0);
      for (int64_t j = 0; j < LANES; ++j)
        counts[j] = job->includePad ? window : rows * widths[j];
    }
    storeOutputs(job, &acc, counts, lanes, out + ow0);
  }
}

/* Output row `oh` of image `n` (channels-last): each pixel's channels, 64
 * at a time, summed over the window's pixels in order. */
static void poolPixelRow(const QpoolJob *job, int64_t n, int64_t oh) {
  int64_t c = job->channels;
  int64_t image = n * job->height * job->width * c;
  uint8_t *out = job->out + (n * job->outH + oh) * job->outW * c;
  int64_t h0, h1;
  windowRange(oh, job->strideH, job->padTop, job->kernelH, job->height, &h0,
              &h1);
  uint8_t neutral = neutralByte(job);
  float counts[LANES];
  for (int64_t ow = 0; ow < job->outW; ++ow) {
    int64_t w0, w1;
    windowRange(ow, job->strideW, job->padLeft, job->kernelW, job->width, &w0,
                &w1);
    float count = job->includePad ? (float)(job->kernelH * job->kernelW)
                                  : (float)((h1 - h0) * (w1 - w0));
    for (int j = 0; j < LANES; ++j)
      counts[j] = count;
    for (int64_t block = 0, c0 = 0; c0 < c; ++block, c0 += LANES) {
      int64_t lanes = c - c0 < LANES ? c - c0 : LANES;
      Lanes acc;
      initLanes(job, &acc);
      for (int64_t h = h0; h < h1; ++h)
        for (int64_t w = w0; w < w1; ++w)
          addLanes(job, &acc,
                   loadLanes(job, image + (h * job->width + w) * c + c0, 1,
                             job->masks[block], neutral));
      storeOutputs(job, &acc, counts, lanes, out + ow * c + c0);
    }
  }
}

/* The lanes each load fills, the same for every row: per block of 64
 * output columns and column tap (NCHW), or per block of 64 channels
 * (channels-last); and each NCHW output column's window width. */
static int planLanes(QpoolJob *job) {
  int64_t extent = job->nhwc ? job->channels : job->outW;
  int64_t blocks = (extent + LANES - 1) / LANES;
  int64_t count = job->nhwc ? blocks : blocks * job->kernelW;
  job->masks = (u8x64 *)aligned_alloc(
      64, (size_t)(count * sizeof(u8x64) + blocks * LANES * sizeof(float)));
  if (!job->masks)
    return 0;
  job->widths = (float *)(job->masks + count);
  for (int64_t block = 0; block < blocks; ++block) {
    int64_t at = block * LANES;
    int64_t lanes = extent - at < LANES ? extent - at : LANES;
    if (job->nhwc) {
      job->masks[block] = laneMask(0, 1, lanes, lanes);
      continue;
    }
    int64_t first = at * job->strideW - job->padLeft;
    for (int64_t kx = 0; kx < job->kernelW; ++kx)
      job->masks[block * job->kernelW + kx] =
          laneMask(first + kx, job->strideW, lanes, job->width);
    for (int64_t j = 0; j < LANES; ++j) {
      int64_t w0, w1;
      windowRange(at + j, job->strideW, job->padLeft, job->kernelW, job->width,
                  &w0, &w1);
      job->widths[at + j] = (float)(w1 > w0 ? w1 - w0 : 1);
    }
  }
  return 1;
}

static void poolRows(const QpoolJob *job, int64_t r0, int64_t r1) {
  for (int64_t r = r0; r < r1; ++r) {
    if (job->nhwc)
      poolPixelRow(job, r / job->outH, r % job->outH);
    else
      poolPlaneRow(job, r / job->outH, r % job->outH);
  }
}

static void qpoolPiece(int32_t index, void *context) {
  const QpoolJob *job = (const QpoolJob *)context;
  int64_t r0 = (int64_t)index * job->rowsPerPiece;
  int64_t r1 =
      r0 + job->rowsPerPiece < job->rows ? r0 + job->rowsPerPiece : job->rows;
  poolRows(job, r0, r1);
}

void paso_qpool_8(const int64_t *descriptor, intptr_t in, intptr_t out,
                  intptr_t params, intptr_t unused) {
  (void)unused;
  uint64_t start = profileStart(descriptor);
  const int64_t *d = descriptor;
  const int32_t *p = (const int32_t *)params;
  QpoolJob job;
  job.in = (const uint8_t *)in;
  job.out = (uint8_t *)out;
  job.images = d[PASO_GEMM_BATCH];
  job.channels = d[PASO_GEMM_IMAGE_C];
  job.height = d[PASO_GEMM_IMAGE_H];
  job.width = d[PASO_GEMM_IMAGE_W];
  job.outW = d[PASO_GEMM_OUT_W];
  job.outH = d[PASO_GEMM_N] / job.outW;
  job.kernelH = d[PASO_GEMM_KERNEL_H];
  job.kernelW = d[PASO_GEMM_KERNEL_W];
  job.strideH = d[PASO_GEMM_STRIDE_H];
  job.strideW = d[PASO_GEMM_STRIDE_W];
  job.padTop = d[PASO_GEMM_PAD_TOP];
  job.padLeft = d[PASO_GEMM_PAD_LEFT];
  job.nhwc = d[PASO_GEMM_B_LAYOUT] == PASO_B_NHWC_IMAGE;
  job.average = p[0];
  job.flip = p[1] ? 0x80 : 0;
  job.zx = p[2];
  job.zy = p[3];
  job.lo = p[1] ? -128 : 0;
  job.hi = p[1] ? 127 : 255;
  job.xScale = floatBits(p[4]);
  job.yScale = floatBits(p[5]);
  job.includePad = p[6];
  job.size = job.images * job.channels * job.height * job.width;
  job.rows = job.outH * job.images * (job.nhwc ? 1 : job.channels);
  int64_t threads = kernelThreads(descriptor);
  int64_t pieces = threads > 1 ? 4 * threads : 1;
  if (pieces > job.rows)
    pieces = job.rows;
  job.rowsPerPiece = (job.rows + pieces - 1) / pieces;
  pieces = (job.rows + job.rowsPerPiece - 1) / job.rowsPerPiece;
  if (!planLanes(&job))
    abort();
  if (pieces > 1)
    paso_parallel_for((int32_t)pieces, qpoolPiece, &job);
  else
    poolRows(&job, 0, job.rows);
  free(job.masks);
  profileStop(descriptor, start);
}
