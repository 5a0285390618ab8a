/*===- paso_sgemm.c - the single-precision GEMM micro-kernels ------------===*\
 *
 * C[M x N] += A[M x K] * op(B), row-major with leading dimensions, where
 * op(B) is B (K x N) or, with transB, B^T for a stored N x K matrix. Called
 * by generated code for convolutions (after im2col) and matrix products.
 *
 * Classic three-level blocking: B is packed per KC x NC block into panels
 * of NR columns, A per MR rows; the micro-kernel keeps its accumulators in
 * vector registers. Vectors are clang's generic vector extension, so one
 * source gives FMA code for whatever target the model is compiled for. Two
 * widths exist: paso_sgemm (6 x 16 tiles of 256-bit vectors: 12 ymm on
 * AVX2, 24 q registers on NEON) and paso_sgemm_v16 (12 x 32 tiles of
 * 512-bit vectors: 24 of AVX-512's 32 zmm), chosen by the compiler from the
 * target's vector width.
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

enum { KC = 256, NC = 1024 };

/* Products smaller than this (in multiply-adds) run on one thread: starting
 * threads (tens of microseconds each) would cost more than it saves; at
 * 2^23 a thread gets milliseconds of work on a Cortex-A72. */
enum { PARALLEL_MIN_WORK = 1 << 23 };

typedef struct {
  int64_t M, N, K, lda, ldb, ldc, chunk;
  const float *A, *B;
  float *C;
  int transB;
} SgemmTask;

#define KERNEL
#define LANES 8
#define MR 6
#include "sgemm_kernel.inc"
#undef MR
#undef LANES
#undef KERNEL

#define KERNEL _v16
#define LANES 16
#define MR 12
#include "sgemm_kernel.inc"
#undef MR
#undef LANES
#undef KERNEL
