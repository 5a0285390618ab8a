/*===- paso_depthwise.c - the depthwise convolution kernel ---------------===*\
 *
 * out[n, c] = act(filter[c] (*) image[n, c] + bias[c] + residual[n, c]):
 * the per-channel convolutions of MobileNet-style networks, called by the
 * code paso-call-cpu-kernels emits with the descriptor of
 * include/paso/Runtime/paso_gemm.h. Vectorised along the output row, one
 * vector width per target class like the GEMM kernel, threaded over
 * channels.
 *
\*===----------------------------------------------------------------------===*/

#include "kernel_common.h"

#define KERNEL
#define LANES 8
#include "vector_math.inc"
#include "depthwise_kernel.inc"
#undef LANES
#undef KERNEL

#define KERNEL _v16
#define LANES 16
#include "vector_math.inc"
#include "depthwise_kernel.inc"
#undef LANES
#undef KERNEL
