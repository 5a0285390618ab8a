/*===- paso_sgemm.c - the single-precision GEMM micro-kernel ------------===*\
 *
 * C[M x N] += A[M x K] * op(B), row-major with leading dimensions, where
 * op(B) is B (K x N) or, with transB, B^T for a stored N x K matrix. Called
 * by generated code for convolutions (after im2col) and matrix products.
 *
 * Classic three-level blocking: B is packed per KC x NC block into panels
 * of NR columns, A per MR rows; the 6 x 16 micro-kernel keeps its
 * accumulators in vector registers (12 x 256-bit on AVX2, 24 x 128-bit on
 * NEON). Vectors are clang's generic vector extension, so one source gives
 * FMA code for whatever target the model is compiled for.
 *
\*===----------------------------------------------------------------------===*/

#include <stddef.h>
#include <stdint.h>

void *aligned_alloc(size_t alignment, size_t size);
void free(void *pointer);

/* From paso_runtime.c: runs body(i, context) for i in [0, count) on up to
 * the configured number of threads. */
void paso_parallel_for(int32_t count, void (*body)(int32_t, void *),
                       void *context);
int32_t paso_get_num_threads(void);

typedef float v8f __attribute__((vector_size(32), aligned(4)));

enum { MR = 6, NR = 16, KC = 256, NC = 1024 };

static inline v8f load8(const float *p) { return *(const v8f *)p; }
static inline void store8(float *p, v8f v) { *(v8f *)p = v; }
static inline v8f splat8(float x) { return (v8f){x, x, x, x, x, x, x, x}; }

/* Packs op(B)[k0:k0+kc, n0:n0+nc] into panels of NR columns, each stored
 * k-major, zero-padded to a multiple of NR columns. */
static void packB(const float *B, int64_t ldb, int transB, int64_t k0,
                  int64_t kc, int64_t n0, int64_t nc, float *out) {
  for (int64_t p = 0; p < nc; p += NR) {
    int64_t cols = nc - p < NR ? nc - p : NR;
    for (int64_t k = 0; k < kc; ++k) {
      for (int64_t j = 0; j < cols; ++j) {
        int64_t n = n0 + p + j, kk = k0 + k;
        out[j] = transB ? B[n * ldb + kk] : B[kk * ldb + n];
      }
      for (int64_t j = cols; j < NR; ++j)
        out[j] = 0.0f;
      out += NR;
    }
  }
}

/* Packs A[m0:m0+mr, k0:k0+kc] k-major, MR values per k, zero-padded. */
static void packA(const float *A, int64_t lda, int64_t m0, int64_t mr,
                  int64_t k0, int64_t kc, float *out) {
  for (int64_t k = 0; k < kc; ++k) {
    for (int64_t i = 0; i < mr; ++i)
      out[i] = A[(m0 + i) * lda + k0 + k];
    for (int64_t i = mr; i < MR; ++i)
      out[i] = 0.0f;
    out += MR;
  }
}

/* C[0:mr, 0:nr] += Ap (MR x kc) * Bp (kc x NR). */
static void microKernel(int64_t kc, const float *Ap, const float *Bp, float *C,
                        int64_t ldc, int64_t mr, int64_t nr) {
  v8f c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
  v8f c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
  for (int64_t k = 0; k < kc; ++k) {
    v8f b0 = load8(Bp), b1 = load8(Bp + 8);
    v8f a;
    a = splat8(Ap[0]); c00 += a * b0; c01 += a * b1;
    a = splat8(Ap[1]); c10 += a * b0; c11 += a * b1;
    a = splat8(Ap[2]); c20 += a * b0; c21 += a * b1;
    a = splat8(Ap[3]); c30 += a * b0; c31 += a * b1;
    a = splat8(Ap[4]); c40 += a * b0; c41 += a * b1;
    a = splat8(Ap[5]); c50 += a * b0; c51 += a * b1;
    Ap += MR;
    Bp += NR;
  }
  v8f rows[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21},
                     {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    for (int64_t i = 0; i < MR; ++i) {
      float *row = C + i * ldc;
      store8(row, load8(row) + rows[i][0]);
      store8(row + 8, load8(row + 8) + rows[i][1]);
    }
    return;
  }
  for (int64_t i = 0; i < mr; ++i) {
    float tile[NR];
    store8(tile, rows[i][0]);
    store8(tile + 8, rows[i][1]);
    for (int64_t j = 0; j < nr; ++j)
      C[i * ldc + j] += tile[j];
  }
}

/* The blocked product restricted to columns [n0, n1). */
static void sgemmColumns(int64_t M, int64_t n0, int64_t n1, int64_t K,
                         const float *A, int64_t lda, const float *B,
                         int64_t ldb, float *C, int64_t ldc, int transB) {
  float *packedB = (float *)aligned_alloc(64, sizeof(float) * KC * NC);
  float *packedA = (float *)aligned_alloc(64, sizeof(float) * KC * MR);
  for (int64_t nb = n0; nb < n1; nb += NC) {
    int64_t nc = n1 - nb < NC ? n1 - nb : NC;
    for (int64_t k0 = 0; k0 < K; k0 += KC) {
      int64_t kc = K - k0 < KC ? K - k0 : KC;
      packB(B, ldb, transB, k0, kc, nb, nc, packedB);
      for (int64_t m0 = 0; m0 < M; m0 += MR) {
        int64_t mr = M - m0 < MR ? M - m0 : MR;
        packA(A, lda, m0, mr, k0, kc, packedA);
        for (int64_t p = 0; p < nc; p += NR) {
          int64_t nr = nc - p < NR ? nc - p : NR;
          microKernel(kc, packedA, packedB + p * kc, C + m0 * ldc + nb + p,
                      ldc, mr, nr);
        }
      }
    }
  }
  free(packedA);
  free(packedB);
}

typedef struct {
  int64_t M, N, K, lda, ldb, ldc, chunk;
  const float *A, *B;
  float *C;
  int transB;
} SgemmTask;

static void sgemmChunk(int32_t index, void *context) {
  SgemmTask *task = (SgemmTask *)context;
  int64_t n0 = index * task->chunk;
  int64_t n1 = n0 + task->chunk < task->N ? n0 + task->chunk : task->N;
  if (n0 < n1)
    sgemmColumns(task->M, n0, n1, task->K, task->A, task->lda, task->B,
                 task->ldb, task->C, task->ldc, task->transB);
}

/* Products smaller than this (in multiply-adds) run on one thread: starting
 * threads (tens of microseconds each) would cost more than it saves; at
 * 2^23 a thread gets milliseconds of work on a Cortex-A72. */
enum { PARALLEL_MIN_WORK = 1 << 23 };

void paso_sgemm(int64_t M, int64_t N, int64_t K, intptr_t a, int64_t lda,
                intptr_t b, int64_t ldb, intptr_t c, int64_t ldc,
                int32_t transB) {
  if (M <= 0 || N <= 0 || K <= 0)
    return;
  SgemmTask task = {M, N, K, lda, ldb, ldc, N, (const float *)a,
                    (const float *)b, (float *)c, transB};
  int64_t threads = paso_get_num_threads();
  /* A short K (pointwise convolutions of few channels) makes the product
   * memory-bound: a second thread adds start-up cost and no bandwidth. */
  if (threads > 1 && M * N * K >= PARALLEL_MIN_WORK && K >= 64 &&
      N >= 2 * NR) {
    /* Split the columns into NR-aligned chunks, one per thread. */
    int64_t chunk = (N + threads - 1) / threads;
    chunk = (chunk + NR - 1) / NR * NR;
    task.chunk = chunk;
    paso_parallel_for((int32_t)((N + chunk - 1) / chunk), sgemmChunk, &task);
    return;
  }
  sgemmChunk(0, &task);
}
