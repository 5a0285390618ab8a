/*===- paso_rows.c - softmax and layer normalisation over rows -----------===*\
 *
 * out[r] = softmax(in[r]) or layer_norm(in[r]) * gamma + beta for each row
 * of the last axis (or, for layer normalisation, the trailing dims
 * flattened): the transformer's normalisations, called by the code
 * paso-call-cpu-kernels emits with the descriptor of
 * include/paso/Runtime/paso_gemm.h (M rows, N per row, the window-op field
 * naming the operation). One vector width per target class, threaded over
 * blocks of rows; exp is vector_math.inc's, never a libm call per element.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

#define KERNEL
#define LANES 8
#include "vector_math.inc"
#include "rows_kernel.inc"
#undef LANES
#undef KERNEL

#define KERNEL _v16
#define LANES 16
#include "vector_math.inc"
#include "rows_kernel.inc"
#undef LANES
#undef KERNEL
