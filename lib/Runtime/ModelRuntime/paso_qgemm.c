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
 * four products summed into each 32-bit lane, no saturation), which the
 * _vnni variant issues directly; the portable variant computes the same
 * sums with 32-bit vector arithmetic that every target compiles (NEON
 * included), exactly, for the layers and targets without a dot-product
 * instruction. Activations stored as int8 are read as uint8 by flipping
 * the sign bit (x ^ 0x80, zero point + 128), so one kernel takes both.
 *
 * Work is split into tasks of one 16-column group x a block of rows whose
 * weights stay in the L2: each task packs its 16 columns of B (the
 * implicit im2col) once, then runs every row panel of its block over them.
 * Requantisation follows ONNX Runtime's: the int32 sum times a float
 * multiplier, clamped, rounded half to even, plus the output zero point.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

enum { MR = PASO_QGEMM_MR, NR = PASO_QGEMM_NR };
/* Largest packed B tile on the stack (64 KiB: K up to 4096, a 3x3
 * convolution of 455 channels). Longer products use the heap. */
enum { STACK_K4 = 1024 };
/* Bytes of packed weights a task keeps hot: well inside every target's
 * L2 (the Pi 4's 1 MiB is shared by four cores). */
enum { ROW_BLOCK_BYTES = 96 << 10 };

typedef int32_t i32x16 __attribute__((vector_size(64)));
typedef float f32x16 __attribute__((vector_size(64)));
typedef uint8_t u8x64 __attribute__((vector_size(64)));
typedef int8_t i8x16 __attribute__((vector_size(16)));
typedef uint8_t u8x16 __attribute__((vector_size(16)));

typedef struct {
  int64_t M, N, K, K4, batch, ldb, ldc;
  int64_t aBatchStride, bBatchStride, cBatchStride;
  int bLayout, bSigned, columns;
  uint8_t zeroB;
  float zeroC, minC, maxC;
  int64_t imageC, imageH, imageW, kernelH, kernelW, strideH, strideW, padTop,
      padLeft, dilationH, dilationW, outW;
  const int8_t *A;
  const uint8_t *B;
  const int32_t *bias;
  const float *mult;
  uint8_t *C;
  int64_t rowPanelsPerBlock, rowBlocks, columnGroups;
  int vnni;
} QProblem;

/* Packs columns [n0, n0 + 16) of B as K4 groups of 16 x 4 bytes (columns
 * past N and k past K are zB, whose centred value is zero). */
static void packColumns(const QProblem *q, const uint8_t *B, int64_t n0,
                        uint8_t *packed) {
  uint8_t flip = q->bSigned ? 0x80 : 0;
  int64_t K = q->K;
  for (int64_t j = 0; j < NR; ++j) {
    int64_t n = n0 + j;
    if (n >= q->N) {
      for (int64_t k = 0; k < q->K4 * 4; ++k)
        packed[(k >> 2) * NR * 4 + j * 4 + (k & 3)] = q->zeroB;
      continue;
    }
    if (q->bLayout == PASO_B_TRANSPOSED) {
      const uint8_t *row = B + n * q->ldb;
      for (int64_t k = 0; k < K; ++k)
        packed[(k >> 2) * NR * 4 + j * 4 + (k & 3)] = row[k] ^ flip;
    } else {
      int64_t oh = n / q->outW, ow = n % q->outW;
      int64_t k = 0;
      for (int64_t c = 0; c < q->imageC; ++c) {
        const uint8_t *plane = B + c * q->imageH * q->imageW;
        for (int64_t kh = 0; kh < q->kernelH; ++kh) {
          int64_t ih = oh * q->strideH - q->padTop + kh * q->dilationH;
          for (int64_t kw = 0; kw < q->kernelW; ++kw, ++k) {
            int64_t iw = ow * q->strideW - q->padLeft + kw * q->dilationW;
            uint8_t v = q->zeroB;
            if (ih >= 0 && ih < q->imageH && iw >= 0 && iw < q->imageW)
              v = plane[ih * q->imageW + iw] ^ flip;
            packed[(k >> 2) * NR * 4 + j * 4 + (k & 3)] = v;
          }
        }
      }
    }
    for (int64_t k = K; k < q->K4 * 4; ++k)
      packed[(k >> 2) * NR * 4 + j * 4 + (k & 3)] = q->zeroB;
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
/* One 32-bit word of four weights. */
static inline int32_t loadWord(const int8_t *p) {
  int32_t w;
  __builtin_memcpy(&w, p, 4);
  return w;
}

/* AVX-512 VNNI: one VPDPBUSD per row and group of four k. Compiled for
 * those features whatever the model's target; called only where the
 * target has them (paso-call-cpu-kernels reads the feature list). */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void
microVnni(const int8_t *a, const uint8_t *b, int64_t k4, i32x16 acc[MR]) {
  i32x16 c0 = acc[0], c1 = acc[1], c2 = acc[2], c3 = acc[3], c4 = acc[4],
         c5 = acc[5], c6 = acc[6], c7 = acc[7], c8 = acc[8], c9 = acc[9],
         c10 = acc[10], c11 = acc[11];
  for (int64_t g = 0; g < k4; ++g, a += MR * 4, b += NR * 4) {
    i32x16 v;
    __builtin_memcpy(&v, b, 64);
#define STEP(c, r) c = __builtin_ia32_vpdpbusd512(c, v, ((i32x16){} + loadWord(a + (r) * 4)))
    STEP(c0, 0); STEP(c1, 1); STEP(c2, 2); STEP(c3, 3);
    STEP(c4, 4); STEP(c5, 5); STEP(c6, 6); STEP(c7, 7);
    STEP(c8, 8); STEP(c9, 9); STEP(c10, 10); STEP(c11, 11);
#undef STEP
  }
  acc[0] = c0; acc[1] = c1; acc[2] = c2; acc[3] = c3; acc[4] = c4;
  acc[5] = c5; acc[6] = c6; acc[7] = c7; acc[8] = c8; acc[9] = c9;
  acc[10] = c10; acc[11] = c11;
}
#endif

/* Requantises rows [m0, m0 + rows) x columns [n0, n0 + 16) and stores the
 * columns that exist. Clamping before the rounding is exact: the bounds
 * are integers. */
static void storeTile(const QProblem *q, uint8_t *C, int64_t m0, int rows,
                      int64_t n0, const i32x16 acc[MR]) {
  const f32x16 magic = (f32x16){} + 12582912.0f; /* 1.5 * 2^23 */
  int64_t width = q->N - n0 < NR ? q->N - n0 : NR;
  for (int r = 0; r < rows; ++r) {
    int64_t m = m0 + r;
    f32x16 x = __builtin_convertvector(acc[r] + q->bias[m], f32x16) *
                   q->mult[m] +
               q->zeroC;
    x = __builtin_elementwise_max(x, (f32x16){} + q->minC);
    x = __builtin_elementwise_min(x, (f32x16){} + q->maxC);
    /* Adding and removing 1.5 * 2^23 rounds half to even. */
    i32x16 y = __builtin_convertvector((x + magic) - magic, i32x16);
    if (q->columns) {
      for (int64_t j = 0; j < width; ++j)
        C[(n0 + j) * q->ldc + m] = (uint8_t)y[j];
    } else {
      u8x16 bytes = __builtin_convertvector(y, u8x16);
      if (width == NR)
        __builtin_memcpy(C + m * q->ldc + n0, &bytes, NR);
      else
        for (int64_t j = 0; j < width; ++j)
          C[m * q->ldc + n0 + j] = bytes[j];
    }
  }
}

static void runTask(int32_t task, void *context) {
  const QProblem *q = (const QProblem *)context;
  int64_t perImage = q->columnGroups * q->rowBlocks;
  int64_t image = task / perImage, rest = task % perImage;
  int64_t group = rest / q->rowBlocks, block = rest % q->rowBlocks;
  const uint8_t *B = q->B + image * q->bBatchStride;
  uint8_t *C = q->C + image * q->cBatchStride;
  _Alignas(64) uint8_t local[STACK_K4 * NR * 4];
  uint8_t *packed = local;
  if (q->K4 > STACK_K4) {
    packed = aligned_alloc(64, (size_t)q->K4 * NR * 4);
    if (!packed)
      abort();
  }
  int64_t n0 = group * NR;
  packColumns(q, B, n0, packed);
  int64_t panels = (q->M + MR - 1) / MR;
  int64_t first = block * q->rowPanelsPerBlock;
  int64_t last = first + q->rowPanelsPerBlock;
  if (last > panels)
    last = panels;
  for (int64_t p = first; p < last; ++p) {
    i32x16 acc[MR];
    for (int r = 0; r < MR; ++r)
      acc[r] = (i32x16){};
    const int8_t *a = q->A + p * q->K4 * MR * 4;
#if defined(__x86_64__)
    if (q->vnni)
      microVnni(a, packed, q->K4, acc);
    else
#endif
      microPortable(a, packed, q->K4, acc);
    int64_t m0 = p * MR;
    int rows = q->M - m0 < MR ? (int)(q->M - m0) : MR;
    storeTile(q, C, m0, rows, n0, acc);
  }
  if (packed != local)
    free(packed);
}

static void qgemm(const int64_t *d, intptr_t a, intptr_t b, intptr_t c,
                  intptr_t params, int vnni) {
  uint64_t started = profileStart(d);
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
  q.zeroB = (uint8_t)d[PASO_QGEMM_B_ZERO_POINT];
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
  q.vnni = vnni;
  if (q.M <= 0 || q.N <= 0 || q.batch <= 0) {
    profileStop(d, started);
    return;
  }
  int64_t panels = (q.M + MR - 1) / MR;
  int64_t panelBytes = q.K4 * MR * 4;
  q.rowPanelsPerBlock = ROW_BLOCK_BYTES / panelBytes;
  if (q.rowPanelsPerBlock < 1)
    q.rowPanelsPerBlock = 1;
  if (q.rowPanelsPerBlock > panels)
    q.rowPanelsPerBlock = panels;
  q.rowBlocks = (panels + q.rowPanelsPerBlock - 1) / q.rowPanelsPerBlock;
  q.columnGroups = (q.N + NR - 1) / NR;
  int64_t tasks = q.batch * q.columnGroups * q.rowBlocks;
  if (kernelThreads(d) <= 1 || tasks == 1) {
    for (int64_t t = 0; t < tasks; ++t)
      runTask((int32_t)t, &q);
  } else {
    paso_parallel_for((int32_t)tasks, runTask, &q);
  }
  profileStop(d, started);
}

void paso_qgemm_u8s8(const int64_t *descriptor, intptr_t a, intptr_t b,
                     intptr_t c, intptr_t params, intptr_t unused) {
  (void)unused;
  qgemm(descriptor, a, b, c, params, 0);
}

#if defined(__x86_64__)
void paso_qgemm_u8s8_vnni(const int64_t *descriptor, intptr_t a, intptr_t b,
                          intptr_t c, intptr_t params, intptr_t unused) {
  (void)unused;
  qgemm(descriptor, a, b, c, params, 1);
}
#endif
