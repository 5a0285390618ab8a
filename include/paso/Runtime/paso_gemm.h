/*===- paso_gemm.h - descriptor of the runtime's GEMM kernel ----*- C -*-===*\
 *
 * Shared by the model runtime (lib/Runtime/ModelRuntime/paso_gemm.c) and
 * the compiler pass that calls it (lib/Target/CPU/CallCpuKernels.cpp): the
 * compiler emits one constant int64 array per call, indexed by
 * paso_gemm_field, and prepacks constant operands in the layouts below.
 *
 *   C[b][M x N] = act(op(A)[M x K] x op(B)[K x N] + bias + residual)
 *
 * Layouts of A: row-major with leading dimension LDA, or prepacked: panels
 * of MR rows, panel p holding rows [p*MR, p*MR+MR) k-major, zero-padded:
 * element (m, k) at (m / MR) * K * MR + k * MR + m % MR, or an H x W x C
 * (NHWC) image read through an implicit im2col: row m is the output pixel
 * (oh, ow) and k is (kh, kw, c) of a channels-last convolution.
 * Layouts of B: row-major K x N (LDB), transposed (stored N x K, LDB),
 * prepacked in panels of NR columns ((n / NR) * K * NR + k * NR + n % NR),
 * or an image read through an implicit im2col: B is a C x H x W image, k
 * is (c, kh, kw) and n is (oh, ow) of the convolution's output. The window
 * kernels read B as a C x H x W image (PASO_B_IM2COL) or an H x W x C one
 * (PASO_B_NHWC_IMAGE).
 * MR x NR is the micro-kernel's register tile: 6 x 16 for the 256-bit
 * kernel (paso_gemm_f32), 12 x 32 for the 512-bit one (paso_gemm_f32_v16).
 * The channels-last Winograd kernel (paso_winograd_nhwc_f32[_v16]) reads
 * the same descriptor as M = output pixels, N = filters, K = channels, B
 * the NHWC image (PASO_B_NHWC_IMAGE), A the transformed filters as a^2
 * planes of B panels (a = t + 2), with two fields of its own: LDA = 2x2
 * or 4x4 tiles per block, LDB = the output tile edge t (2 or 4).
 *
\*===----------------------------------------------------------------------===*/

#ifndef PASO_RUNTIME_PASO_GEMM_H
#define PASO_RUNTIME_PASO_GEMM_H

enum paso_gemm_field {
  PASO_GEMM_M,
  PASO_GEMM_N,
  PASO_GEMM_K,
  PASO_GEMM_BATCH, /* independent products, e.g. images of a convolution */
  PASO_GEMM_A_LAYOUT,
  PASO_GEMM_LDA,
  PASO_GEMM_B_LAYOUT,
  PASO_GEMM_LDB,
  PASO_GEMM_LDC,
  /* Element strides between the products of a batch (A, B, C; the
   * residual shares C's layout). */
  PASO_GEMM_A_BATCH_STRIDE,
  PASO_GEMM_B_BATCH_STRIDE,
  PASO_GEMM_C_BATCH_STRIDE,
  /* Implicit im2col: the image and the convolution's geometry. */
  PASO_GEMM_IMAGE_C,
  PASO_GEMM_IMAGE_H,
  PASO_GEMM_IMAGE_W,
  PASO_GEMM_KERNEL_H,
  PASO_GEMM_KERNEL_W,
  PASO_GEMM_STRIDE_H,
  PASO_GEMM_STRIDE_W,
  PASO_GEMM_PAD_TOP,
  PASO_GEMM_PAD_LEFT,
  PASO_GEMM_DILATION_H,
  PASO_GEMM_DILATION_W,
  PASO_GEMM_OUT_W,
  /* Epilogue, applied once per output element. */
  PASO_GEMM_BIAS, /* paso_gemm_bias */
  PASO_GEMM_RESIDUAL, /* 1: add a tensor laid out as C */
  PASO_GEMM_ACTIVATION, /* paso_activation */
  PASO_GEMM_ALPHA_BITS, /* activation parameters as f32 bit patterns */
  PASO_GEMM_BETA_BITS,
  PASO_GEMM_ACCUMULATE, /* 1: C += product (C holds a value), 0: C = */
  PASO_GEMM_WINDOW_OP, /* window kernels: paso_window_op */
  /* Blocking from the cost model: K and N extents of a packed B block,
   * and the most threads worth using (1 keeps the product on the caller,
   * 0 means no limit). */
  PASO_GEMM_KC,
  PASO_GEMM_NC,
  PASO_GEMM_MAX_THREADS,
  /* The call's 1-based number among the model's kernel calls (its id in
   * the kernel table and `paso-opt --report`: the int8 kernels first,
   * then the float ones), for profiles; 0 = not profiled. */
  PASO_GEMM_KERNEL_ID,
  PASO_GEMM_FIELDS
};

/* The integer products' descriptor (paso_qgemm_u8s8*, see below): the
 * fields above, then these. */
enum paso_qgemm_field {
  PASO_QGEMM_B_ZERO_POINT = PASO_GEMM_FIELDS, /* as unsigned storage */
  PASO_QGEMM_B_SIGNED,  /* 1: B is int8, read as uint8 (x ^ 0x80) */
  PASO_QGEMM_C_ZERO_POINT,
  PASO_QGEMM_C_MIN,     /* clamp of the stored result (saturation and */
  PASO_QGEMM_C_MAX,     /* a ReLU/clip), in storage units */
  PASO_QGEMM_C_COLUMNS, /* 1: element (m, n) of C at n * LDC + m */
  /* 1: C is int32, acc + bias'[m] unscaled (MatMulInteger; the scales are
   * applied by the code after the call); the multipliers are unused. */
  PASO_QGEMM_C_INT32,
  /* DynamicQuantizeLinear fused in front (1, or 2 with a bias): B is the
   * float activations, quantised to uint8 per call into the scratch (rows
   * x K bytes) as ONNX defines it, and C is float (see below). */
  PASO_QGEMM_DYNAMIC,
  /* 1: a channels-last convolution with the pixels as the micro-kernel's
   * rows (qgemm_pixels.inc): B is the NHWC image (PASO_B_NHWC_IMAGE, or
   * PASO_B_TRANSPOSED for 1x1), A the weights packed as groups of 16
   * output channels (see below), C the NHWC output (LDC = M). */
  PASO_QGEMM_PIXEL_ROWS,
  PASO_QGEMM_FIELDS
};

enum paso_gemm_a_layout {
  PASO_A_ROW_MAJOR = 0,
  PASO_A_PACKED = 1,
  PASO_A_NHWC_IM2COL = 2,
  /* A C x H x W image read through the channels-last im2col (the fp16
   * kernel, which transposes it to NHWC first). */
  PASO_A_NCHW_IM2COL = 3
};
enum paso_gemm_b_layout {
  PASO_B_ROW_MAJOR = 0,
  PASO_B_TRANSPOSED = 1,
  PASO_B_PACKED = 2,
  PASO_B_IM2COL = 3,
  PASO_B_NHWC_IMAGE = 4
};
enum paso_gemm_bias { PASO_BIAS_NONE = 0, PASO_BIAS_ROW = 1, PASO_BIAS_COLUMN = 2 };

/* The activations paso.fused_conv / paso.fused_matmul name. */
enum paso_activation {
  PASO_ACT_NONE = 0,
  PASO_ACT_RELU = 1,
  PASO_ACT_CLIP = 2,         /* alpha = min, beta = max */
  PASO_ACT_LEAKY_RELU = 3,   /* alpha */
  PASO_ACT_SIGMOID = 4,
  PASO_ACT_HARD_SIGMOID = 5, /* alpha, beta */
  PASO_ACT_HARD_SWISH = 6,
  PASO_ACT_TANH = 7,
  PASO_ACT_GELU = 8,         /* erf form */
  PASO_ACT_GELU_TANH = 9,
  PASO_ACT_SILU = 10
};

enum { PASO_GEMM_MR_256 = 6, PASO_GEMM_NR_256 = 16 };
enum { PASO_GEMM_MR_512 = 12, PASO_GEMM_NR_512 = 32 };

/* The window kernel paso_depthwise_f32 reads the same descriptor (M =
 * channels, N = output pixels, K = KH x KW, B = the image, A = the
 * [C, KH x KW] filter for a depthwise convolution, or the [KH x KW, C]
 * one for an NHWC image) for windows of at most
 * PASO_DEPTHWISE_MAX_WINDOW taps. Max pooling (no filter, no epilogue)
 * reads padding as -infinity, so windows reaching past the image in ceil
 * mode see only image pixels. */
enum { PASO_DEPTHWISE_MAX_WINDOW = 121 };
enum paso_window_op { PASO_WINDOW_DEPTHWISE = 0, PASO_WINDOW_MAX = 1 };

/* The row kernel paso_rows_f32 reads M rows of N floats from A into C and
 * takes the operation from the window-op field; layer normalisation reads
 * its scale from B, its optional shift from the bias and epsilon from
 * ALPHA_BITS. */
enum paso_rows_op { PASO_ROWS_SOFTMAX = 0, PASO_ROWS_LAYER_NORM = 1 };

/* The integer kernels paso_qgemm_u8s8 (portable) and paso_qgemm_u8s8_vnni
 * (AVX-512 VNNI) compute, for 8-bit A (weights, int8, symmetric) and B
 * (activations, uint8 or int8):
 *
 *   acc[m][n] = sum_k A[m][k] * (B[k][n] - zB)          (int32)
 *   C[m][n]   = clamp(round_half_even(acc * mult[m] + bias'[m] ...) + zC)
 *
 * with the zero-point correction folded into the bias at compile time:
 * bias'[m] = bias[m] - zB * sum_k A[m][k] (zB as unsigned storage). The
 * bias argument points at 2 x M words: M int32 biases', then M float
 * multipliers (scale_A[m] x scale_B / scale_C). A is prepacked at compile
 * time in panels of PASO_QGEMM_MR rows with K in groups of four:
 * (m / MR) * K4 * MR * 4 + (k / 4) * MR * 4 + (m % MR) * 4 + k % 4, zero
 * padded (K4 = K rounded up to 4, / 4). B is read through the NCHW im2col
 * (PASO_B_IM2COL, padding reads zB), through the NHWC one
 * (PASO_B_NHWC_IMAGE: an H x W x C image, k = (kh, kw, c) as a
 * channels-last filter is laid out) or stored N x K (PASO_B_TRANSPOSED,
 * LDB; also a channels-last 1x1 convolution), and packed at run time in
 * groups of 16 columns. C is M x N (LDC, NCHW for a convolution) or, with
 * PASO_QGEMM_C_COLUMNS, N x M (NHWC for a convolution).
 * The sixth argument is scratch from the model's arena for a convolution
 * other than 1x1/stride 1/unpadded: PASO_QGEMM_SCRATCH bytes, the tap
 * offsets (K4 x 4 int32) then the images padded to cover every window
 * (batch x C x paddedH x paddedW bytes, plus 64).
 * paso_qdepthwise_nhwc_8 (lib/Runtime/ModelRuntime/paso_qdepthwise_nhwc.c)
 * is the channels-last depthwise kernel, with its own packing.
 * With PASO_QGEMM_PIXEL_ROWS the roles swap: 12 pixels of activations are
 * the rows (packed at run time as int8, x_u8 - 128) and the weights the
 * 16 columns, packed at compile time as (m / 16) * K4 * 64 + (k / 4) * 64
 * + (m % 16) * 4 + k % 4, zero past M and K, each byte w + 128 (w ^ 0x80)
 * for the kernels that read their columns as uint8 (x86, portable) or w
 * for those that read int8 (SDOT, SMULL). The biases' are those of the
 * int8 column kernels (b - (zB - 128) x the weights' sum); the uint8
 * column kernels subtract 128 x each pixel's sum of its int8 bytes. */
enum { PASO_QGEMM_MR = 12, PASO_QGEMM_NR = 16 };

/* With PASO_QGEMM_DYNAMIC (ONNX Runtime's quantize_dynamic: a
 * DynamicQuantizeLinear, MatMulInteger, Cast, Mul by x_scale x w_scale,
 * Add, and an activation) the kernel computes, with x_scale and x_zero
 * from the call's own quantisation of B:
 *   C[n][m] = act(float(acc + bias'[m] - x_zero * wsum[m])
 *                 * (x_scale * w_scale[m]) + bias[m])
 * The per-row constants are 4 x M words: bias' (int32), wsum (int32, the
 * weights' row sums), w_scale (f32), bias (f32, read only for 2); the
 * activation is PASO_GEMM_ACTIVATION with its ALPHA/BETA bits. */

/* The fp16 kernels paso_gemm_f16 (256-bit vectors) and paso_gemm_f16_v16
 * (512-bit) compute C[pixels x M'] = act(im2col(A) x B + bias + residual)
 * for f32 A, C, bias and residual, in half precision inside
 * (lib/Runtime/ModelRuntime/paso_gemm_f16.c): A is an image
 * (PASO_A_NHWC_IM2COL or PASO_A_NCHW_IM2COL; k = (kh, kw, c)) or a
 * row-major M x K matrix (LDA = K); B is prepacked as f16 panels of
 * PASO_GEMM_F16_NR_* columns ((n / NR) * K * NR + k * NR + n % NR). Rows
 * of C are pixels; with PASO_GEMM_F16_C_COLUMNS element (m, n) is at
 * n * LDC + m (an NCHW output). The descriptor is the fields above, then
 * these. */
enum paso_gemm_f16_field {
  PASO_GEMM_F16_C_COLUMNS = PASO_GEMM_FIELDS,
  /* B holds the weights times 2^-e, e this field (so that their largest
   * magnitude is in [1, 2)); the kernel scales its input likewise at run
   * time and undoes both in the epilogue (f16 keeps its range). */
  PASO_GEMM_F16_WEIGHT_EXPONENT,
  PASO_GEMM_F16_FIELDS
};
enum { PASO_GEMM_F16_NR_256 = 32, PASO_GEMM_F16_NR_512 = 64 };

#endif /* PASO_RUNTIME_PASO_GEMM_H */
