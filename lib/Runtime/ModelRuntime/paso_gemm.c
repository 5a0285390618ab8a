/*===- paso_gemm.c - the single-precision GEMM kernel --------------------===*\
 *
 * C = act(op(A) x op(B) + bias + residual), driven by a descriptor the
 * compiler emits (include/paso/Runtime/paso_gemm.h). Called for NCHW
 * convolutions (B read through an implicit im2col, A = the weights packed
 * at compile time), NHWC ones (A = the image read in place by the
 * indirect micro-kernel, B = the packed weights), fully connected layers
 * (B = the packed weights) and, through paso_sgemm, for any other f32
 * linalg.matmul.
 *
 * Classic three-level blocking: B is packed per KC x NC block into panels
 * of NR columns (unless prepacked), A per MR rows (unless prepacked); the
 * micro-kernel keeps its accumulators in vector registers and applies the
 * epilogue while the tile is still in registers. Vectors are clang's
 * generic vector extension, so one source gives FMA code for whatever
 * target the model is compiled for. Two widths exist: 6 x 16 tiles of
 * 256-bit vectors (12 ymm on AVX2, 24 q registers on NEON) and 12 x 32
 * tiles of 512-bit vectors (24 of AVX-512's 32 zmm), chosen by the
 * compiler from the target's vector width.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

#define KERNEL
#define LANES 8
#define MR PASO_GEMM_MR_256
#include "vector_math.inc"
#include "gemm_kernel.inc"
#include "winograd_nhwc_kernel.inc"
#include "winograd_kernel.inc"
#undef MR
#undef LANES
#undef KERNEL

#define KERNEL _v16
#define LANES 16
#define MR PASO_GEMM_MR_512
#include "vector_math.inc"
#include "gemm_kernel.inc"
#include "winograd_nhwc_kernel.inc"
#include "winograd_kernel.inc"
#undef MR
#undef LANES
#undef KERNEL
