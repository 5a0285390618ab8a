// Convolutions and fused matmuls become calls to the runtime GEMM kernel,
// with constant weights packed at compile time and a constant descriptor
// (fields in include/paso/Runtime/paso_gemm.h).
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" | FileCheck %s
// RUN: echo '{"base": "x86-64-avx2", "name": "wide", "vector_bits": 512}' > %t.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=%t.json" | FileCheck %s --check-prefix=WIDE
// RUN: not paso-opt %s --paso-call-cpu-kernels="target=nonexistent" 2>&1 | FileCheck %s --check-prefix=BADTARGET
// BADTARGET: error: unknown target 'nonexistent'

// A 3x3 padded convolution: implicit im2col (B layout 3) over the image,
// the filter packed in panels of 6 rows (27 x 6 = 162 floats), bias per
// row (1), relu (1). The cost model keeps the blocking within the target's
// L1/L2 (kc 32 = K rounded up, nc 64 = N) and this tiny product on one
// thread.
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[4, 64, 27, 1, 1, 0, 3, 0, 64, 0, 192, 256, 3, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 1, 0, 1, 0, 0, 0, 0, 32, 64, 1, 1]>
// CHECK-DAG: func.func private @paso_gemm_f32(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @conv_relu
// CHECK-DAG: %[[FILTER:.*]] = paso.constant dense_resource<packed_filter{{.*}}> : tensor<162xf32>
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x4x8x8xf32>
// CHECK: memref.get_global @__paso_gemm_descriptor_
// CHECK: bufferization.to_buffer %[[FILTER]] read_only
// CHECK: bufferization.to_buffer %arg0 read_only
// CHECK: call @paso_gemm_f32({{.*}}) {paso.algorithm = "gemm, implicit im2col", {{.*}}paso.kernel_id = 1 : i64, {{.*}}paso.predicted_us = {{.*}}, paso.threads = 1 : i64}
// CHECK: %[[RESULT:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK-NOT: paso.fused_conv
// CHECK: return %[[RESULT]]
// WIDE-LABEL: func @conv_relu
// WIDE: paso.constant dense_resource<packed_filter{{.*}}> : tensor<324xf32>
// WIDE: call @paso_gemm_f32_v16(
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %w = paso.constant dense<0.5> : tensor<4x3x3x3xf32>
  %y = paso.fused_conv %x, %w bias(%b : tensor<4xf32>) {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// A 1x1, stride-1 convolution reads its input directly (B layout 0, leading
// dimension H x W; the window geometry is recorded but unused); a filter
// that is not a constant is read row-major
// (A layout 0, lda = K); the residual is the sixth argument; clip passes
// its bounds as f32 bits (0 and 6.0 = 0x40C00000); two images.
// CHECK: memref.global "private" constant @{{.*}} = dense<[5, 12, 8, 2, 0, 8, 0, 12, 12, 0, 96, 60, 8, 3, 4, 1, 1, 1, 1, 0, 0, 1, 1, 4, 0, 1, 2, 0, 1086324736, 0, 0, 8, 16, 1, 1]>
// CHECK-LABEL: func @pointwise_residual
// CHECK-SAME: (%[[X:.*]]: tensor<2x8x3x4xf32>, %[[W:.*]]: tensor<5x8x1x1xf32>, %[[SKIP:.*]]: tensor<2x5x3x4xf32>)
// CHECK-DAG: bufferization.to_buffer %[[W]] read_only
// CHECK-DAG: bufferization.to_buffer %[[X]] read_only
// CHECK-DAG: %[[R:.*]] = bufferization.to_buffer %[[SKIP]] read_only
// CHECK: %[[RP:.*]] = memref.extract_aligned_pointer_as_index %[[R]]
// CHECK: %[[RI:.*]] = arith.index_cast %[[RP]]
// CHECK: call @paso_gemm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[RI]])
func.func @pointwise_residual(%x: tensor<2x8x3x4xf32>, %w: tensor<5x8x1x1xf32>, %skip: tensor<2x5x3x4xf32>) -> tensor<2x5x3x4xf32> {
  %y = paso.fused_conv %x, %w residual(%skip : tensor<2x5x3x4xf32>) {activation = "clip", activation_params = array<f64: 0.0, 6.0>, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<2x8x3x4xf32>, tensor<5x8x1x1xf32> -> tensor<2x5x3x4xf32>
  return %y : tensor<2x5x3x4xf32>
}

// -----

// A fused matmul with constant weights: the batch of rows is M (10), the
// weights are packed as B in panels of 16 columns (2 x 8 x 16 = 256
// floats, layout 2), the bias is per column (2), gelu is 8.
// CHECK: memref.global "private" constant @{{.*}} = dense<[10, 20, 8, 1, 0, 8, 2, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 8, 0, 0, 0, 0, 8, 32, 1, 1]>
// CHECK-LABEL: func @matmul_gelu
// CHECK: paso.constant dense_resource<packed_weights{{.*}}> : tensor<256xf32>
// CHECK: call @paso_gemm_f32(
// CHECK-NOT: paso.fused_matmul
func.func @matmul_gelu(%x: tensor<2x5x8xf32>, %b: tensor<20xf32>) -> tensor<2x5x20xf32> {
  %w = paso.constant dense<0.25> : tensor<8x20xf32>
  %y = paso.fused_matmul %x, %w bias(%b : tensor<20xf32>) {activation = "gelu", trans_rhs = false} : tensor<2x5x8xf32>, tensor<8x20xf32> -> tensor<2x5x20xf32>
  return %y : tensor<2x5x20xf32>
}

// -----

// A right-hand side that is not a constant is read in place, transposed
// (layout 1, ldb = K).
// CHECK: memref.global "private" constant @{{.*}} = dense<[4, 6, 8, 1, 0, 8, 1, 8, 6, 0,
// CHECK-LABEL: func @matmul_transposed_input
// CHECK: call @paso_gemm_f32(
func.func @matmul_transposed_input(%x: tensor<4x8xf32>, %w: tensor<6x8xf32>) -> tensor<4x6xf32> {
  %y = paso.fused_matmul %x, %w {trans_rhs = true} : tensor<4x8xf32>, tensor<6x8xf32> -> tensor<4x6xf32>
  return %y : tensor<4x6xf32>
}

// -----

// Products with the same constant right-hand side (an unrolled recurrent
// layer's R at every step) share one packed copy, made before the first.
// CHECK-LABEL: func @shared_weights
// CHECK: %[[PACKED:.*]] = paso.constant dense_resource<packed_weights{{.*}}> : tensor<128xf32>
// CHECK-NOT: packed_weights
// CHECK: bufferization.to_buffer %[[PACKED]]
// CHECK: call @paso_gemm_f32(
// CHECK-NOT: packed_weights
// CHECK: bufferization.to_buffer %[[PACKED]]
// CHECK: call @paso_gemm_f32(
func.func @shared_weights(%h: tensor<1x8xf32>) -> tensor<1x8xf32> {
  %r = paso.constant dense<0.5> : tensor<8x8xf32>
  %a = paso.fused_matmul %h, %r {activation = "tanh", trans_rhs = true} : tensor<1x8xf32>, tensor<8x8xf32> -> tensor<1x8xf32>
  %b = paso.fused_matmul %a, %r {activation = "tanh", trans_rhs = true} : tensor<1x8xf32>, tensor<8x8xf32> -> tensor<1x8xf32>
  return %b : tensor<1x8xf32>
}

// -----

// A product worth splitting: the cost model gives this 5x5 convolution all
// four of the target's cores (at four, its 42 MB of traffic from DRAM is
// as slow as the arithmetic), and blocks it for the 32 KiB L1 (kc 272) and
// 256 KiB L2 (nc 112).
// CHECK: memref.global "private" constant @{{.*}} = dense<[64, 3136, 1600, {{.*}}, 272, 112, 4, 1]>
// CHECK-LABEL: func @large
func.func @large(%x: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %w = paso.constant dense<0.5> : tensor<64x64x5x5xf32>
  %y = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 1, 1>} : (tensor<1x64x56x56xf32>, tensor<64x64x5x5xf32>) -> tensor<1x64x56x56xf32>
  return %y : tensor<1x64x56x56xf32>
}

// -----

// A depthwise convolution (one 3x3 filter per channel, stride 2) calls the
// depthwise kernel with the same descriptor: M = channels, N = output
// pixels, K = window, the filter read as it is (A layout 0, lda 9).
// CHECK: memref.global "private" constant @{{.*}} = dense<[6, 16, 9, 1, 0, 9, 3, 0, 16, 0, 384, 96, 6, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 1, 0, 6, 0, 0, 0, 0, 0, 0, 1, 1]>
// CHECK-DAG: func.func private @paso_depthwise_f32(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @depthwise
// CHECK: call @paso_depthwise_f32(
// Rows of 4 output pixels fill a 256-bit vector: a 512-bit target calls
// the 256-bit window kernel rather than half-empty 512-bit vectors.
// WIDE-LABEL: func @depthwise
// WIDE: call @paso_depthwise_f32(
func.func @depthwise(%x: tensor<1x6x8x8xf32>, %w: tensor<6x1x3x3xf32>, %b: tensor<6xf32>) -> tensor<1x6x4x4xf32> {
  %y = paso.fused_conv %x, %w bias(%b : tensor<6xf32>) {activation = "hard_swish", dilations = array<i64: 1, 1>, group = 6 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : tensor<1x6x8x8xf32>, tensor<6x1x3x3xf32> -> tensor<1x6x4x4xf32>
  return %y : tensor<1x6x4x4xf32>
}

// -----

// Max pooling runs on the window kernel too (window op 1 = maximum, no
// filter, no epilogue); ceil mode is already in the result type.
// CHECK: memref.global "private" constant @{{.*}} = dense<[3, 25, 9, 1, 0, 0, 3, 0, 25, 0, 363, 75, 3, 11, 11, 3, 3, 2, 2, 0, 0, 1, 1, 5, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 1]>
// CHECK-LABEL: func @max_pool
// CHECK: call @paso_depthwise_f32(%{{.*}}, %c0_i64,
// CHECK-NOT: paso.max_pool
func.func @max_pool(%x: tensor<1x3x11x11xf32>) -> tensor<1x3x5x5xf32> {
  %y = paso.max_pool %x {ceil_mode = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x3x11x11xf32>) -> tensor<1x3x5x5xf32>
  return %y : tensor<1x3x5x5xf32>
}

// -----

// Attention's batched products: batch 2 x 3 = 6 products with per-product
// strides; the right-hand side's transpose of its last two dims is read in
// place (B layout 1, ldb = K) and left dead.
// CHECK: memref.global "private" constant @{{.*}} = dense<[4, 4, 8, 6, 0, 8, 1, 8, 4, 32, 32, 16,
// CHECK-LABEL: func @attention_scores
// CHECK-SAME: (%[[Q:.*]]: tensor<2x3x4x8xf32>, %[[K:.*]]: tensor<2x3x4x8xf32>)
// CHECK-DAG: bufferization.to_buffer %[[Q]] read_only
// CHECK-DAG: bufferization.to_buffer %[[K]] read_only
// CHECK: call @paso_gemm_f32(
// CHECK-NOT: paso.matmul
func.func @attention_scores(%q: tensor<2x3x4x8xf32>, %k: tensor<2x3x4x8xf32>) -> tensor<2x3x4x4xf32> {
  %kt = paso.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x3x4x8xf32>) -> tensor<2x3x8x4xf32>
  %s = paso.matmul %q, %kt : (tensor<2x3x4x8xf32>, tensor<2x3x8x4xf32>) -> tensor<2x3x4x4xf32>
  return %s : tensor<2x3x4x4xf32>
}

// -----

// A 3x3 stride-1 convolution with enough channels and 2x2 tiles runs by
// Winograd F(2x2, 3x3) when the cost model predicts it faster: the filter
// transformed and packed as 16 products ([16][ceil(64 / 6)][64][6] =
// 67584 floats), K = input channels, and a scratch buffer for the 16
// transformed input and product planes (16 x (64 + 64) x 196 tiles) as a
// seventh argument. --paso-no-winograd keeps the direct kernel.
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" --paso-no-winograd | FileCheck %s --check-prefix=DIRECT
// CHECK-DAG: func.func private @paso_winograd_f32(i64, i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @winograd
// CHECK: paso.constant dense_resource<winograd_filter{{.*}}> : tensor<67584xf32>
// CHECK: memref.alloc() : memref<1x64x28x28xf32>
// CHECK: memref.alloc() : memref<401408xf32>
// CHECK: call @paso_winograd_f32(
// DIRECT-LABEL: func @winograd
// DIRECT-NOT: paso_winograd
// DIRECT: call @paso_gemm_f32(
func.func @winograd(%x: tensor<1x64x28x28xf32>) -> tensor<1x64x28x28xf32> {
  %w = paso.constant dense<0.5> : tensor<64x64x3x3xf32>
  %y = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x64x28x28xf32>, tensor<64x64x3x3xf32>) -> tensor<1x64x28x28xf32>
  return %y : tensor<1x64x28x28xf32>
}

// -----

// Not taken: grouped convolutions that are not depthwise, other element
// types, dynamic shapes.
// CHECK-LABEL: func @not_taken
// CHECK-NOT: call @paso_gemm
// CHECK: paso.conv
// CHECK: paso.conv
// CHECK: paso.fused_matmul
func.func @not_taken(%x: tensor<1x4x8x8xf32>, %w: tensor<4x2x3x3xf32>, %h: tensor<1x2x8x8xf16>, %hw: tensor<3x2x1x1xf16>, %d: tensor<?x8xf32>, %dw: tensor<8x4xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x3x8x8xf16>, tensor<?x4xf32>) {
  %a = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  %b = paso.conv %h, %hw {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x8x8xf16>, tensor<3x2x1x1xf16>) -> tensor<1x3x8x8xf16>
  %c = paso.fused_matmul %d, %dw {trans_rhs = false} : tensor<?x8xf32>, tensor<8x4xf32> -> tensor<?x4xf32>
  return %a, %b, %c : tensor<1x4x6x6xf32>, tensor<1x3x8x8xf16>, tensor<?x4xf32>
}

// -----

// Channels-last (paso-select-cpu-layout) convolution: the product is
// C[pixels x filters] with the image read through the NHWC implicit im2col
// as A (layout 2: M = 64 pixels, K = 27 = (kh, kw, c)) and the filter
// packed as B in panels of 16 columns (27 x 16 = 432 floats), the bias per
// column (2) and the output NHWC (LDC = 4 filters).
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[64, 4, 27, 1, 2, 0, 2, 0, 4, 192, 0, 256, 3, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 2, 0, 1, 0, 0, 0, 0, {{[0-9]+}}, {{[0-9]+}}, 1, 1]>
// CHECK-LABEL: func @conv_nhwc
// CHECK: paso.constant dense_resource<packed_filter_hwc{{.*}}> : tensor<432xf32>
// CHECK: call @paso_gemm_f32({{.*}}) {paso.algorithm = "gemm, channels-last, implicit im2col"
func.func @conv_nhwc(%x: tensor<1x8x8x3xf32>, %b: tensor<4xf32>) -> tensor<1x8x8x4xf32> {
  %w = paso.constant dense<0.5> : tensor<4x3x3x3xf32>
  %0 = paso.fused_conv %x, %w bias(%b : tensor<4xf32>) {activation = "relu", channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32> -> tensor<1x8x8x4xf32>
  return %0 : tensor<1x8x8x4xf32>
}

// -----

// A channels-last 1x1 convolution reads the image in place too (layout 2
// with a 1x1 window).
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[16, 8, 8, 1, 2, 0, 2, 0, 8, 128, 0, 128, 8, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, {{[0-9]+}}, {{[0-9]+}}, 1, 1]>
// CHECK-LABEL: func @pointwise_nhwc
// CHECK: call @paso_gemm_f32({{.*}}) {paso.algorithm = "gemm, channels-last, 1x1 read in place"
func.func @pointwise_nhwc(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %w = paso.constant dense<0.5> : tensor<8x1x1x8xf32>
  %0 = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32>) -> tensor<1x4x4x8xf32>
  return %0 : tensor<1x4x4x8xf32>
}

// -----

// Channels-last depthwise convolution and max pooling run the window
// kernel on an NHWC image (B layout 4); the depthwise filter becomes
// [KH x KW, C] (9 x 6).
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[6, 16, 9, 1, 0, 0, 4, 0, 0, 0, 384, 96, 6, 8, 8, 3, 3, 2, 2, 1, 1, 1, 1, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]>
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[6, 4, 4, 1, 0, 0, 4, 0, 4, 0, 96, 24, 6, 4, 4, 2, 2, 2, 2, 0, 0, 1, 1, 2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2]>
// CHECK-LABEL: func @windows_nhwc
// CHECK: paso.constant dense_resource<depthwise_filter_hwc{{.*}}> : tensor<9x6xf32>
// CHECK: call @paso_depthwise_f32({{.*}}) {paso.algorithm = "depthwise window, channels-last"
// CHECK: call @paso_depthwise_f32({{.*}}) {paso.algorithm = "max-pool window, channels-last"
func.func @windows_nhwc(%x: tensor<1x8x8x6xf32>, %b: tensor<6xf32>) -> tensor<1x2x2x6xf32> {
  %w = paso.constant dense<0.5> : tensor<6x3x3x1xf32>
  %0 = paso.conv %x, %w, %b {channels_last = true, dilations = array<i64: 1, 1>, group = 6 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x8x6xf32>, tensor<6x3x3x1xf32>, tensor<6xf32>) -> tensor<1x4x4x6xf32>
  %1 = paso.max_pool %0 {ceil_mode = false, channels_last = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x4x6xf32>) -> tensor<1x2x2x6xf32>
  return %1 : tensor<1x2x2x6xf32>
}

// -----

// Layout conversions (a batch of matrix transposes: per image [C, H*W] ->
// [H*W, C], and back) call the tiled transpose kernel; a transpose that is
// not a swap of two groups of trailing dims stays in linalg.
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[3, 20, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]>
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[20, 3, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2]>
// CHECK-DAG: func.func private @paso_transpose_f32(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @layout_transposes
// CHECK: call @paso_transpose_f32({{.*}}) {paso.algorithm = "transpose, tiled", {{.*}}paso.kernel_id = 1
// CHECK: call @paso_transpose_f32({{.*}}) {paso.algorithm = "transpose, tiled", {{.*}}paso.kernel_id = 2
// CHECK: paso.transpose %{{.*}} {perm = array<i64: 0, 2, 1, 3>}
// WIDE-LABEL: func @layout_transposes
// WIDE: call @paso_transpose_f32(
func.func @layout_transposes(%x: tensor<2x3x4x5xf32>) -> (tensor<2x3x4x5xf32>, tensor<2x4x3x5xf32>) {
  %0 = paso.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x5x3xf32>
  %1 = paso.relu %0 : tensor<2x4x5x3xf32>
  %2 = paso.transpose %1 {perm = array<i64: 0, 3, 1, 2>} : (tensor<2x4x5x3xf32>) -> tensor<2x3x4x5xf32>
  %3 = paso.transpose %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x5xf32>) -> tensor<2x4x3x5xf32>
  return %2, %3 : tensor<2x3x4x5xf32>, tensor<2x4x3x5xf32>
}

// -----

// Channels-last convolutions feeding only a concat along channels write
// into the concat's buffer at their channel offset (LDC = 12 channels of
// the concat, the second at 4 channels = 16 bytes in); the concat is gone.
// A convolution with another user keeps its own buffer.
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[16, 4, 8, 1, 2, 0, 2, 0, 12, 128, 0, 192, 8, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, {{[0-9]+}}, {{[0-9]+}}, 1, 1]>
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[16, 8, 72, 1, 2, 0, 2, 0, 12, 128, 0, 192, 8, 4, 4, 3, 3, 1, 1, 1, 1, 1, 1, 4, 0, 0, 1, 0, 0, 0, 0, {{[0-9]+}}, {{[0-9]+}}, 1, 2]>
// CHECK-LABEL: func @fire
// CHECK: %[[CAT:.*]] = memref.alloc() : memref<1x4x4x12xf32>
// CHECK: %[[P1:.*]] = memref.extract_aligned_pointer_as_index %[[CAT]]
// CHECK: call @paso_gemm_f32({{.*}}) {paso.algorithm = "gemm, channels-last, 1x1 read in place, into its concat"
// CHECK: %[[P2:.*]] = memref.extract_aligned_pointer_as_index %[[CAT]]
// CHECK: %[[I2:.*]] = arith.index_cast %[[P2]]
// CHECK: %[[O2:.*]] = arith.addi %[[I2]], %c16_i64
// CHECK: call @paso_gemm_f32(%{{.*}}, %{{.*}}, %{{.*}}, %[[O2]], {{.*}}) {paso.algorithm = "gemm, channels-last, implicit im2col, into its concat"
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[CAT]] restrict writable
// CHECK-NOT: paso.concat
// CHECK: return %[[T]]
func.func @fire(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x12xf32> {
  %w1 = paso.constant dense<0.5> : tensor<4x1x1x8xf32>
  %w3 = paso.constant dense<0.25> : tensor<8x3x3x8xf32>
  %0 = paso.conv %x, %w1 {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<4x1x1x8xf32>) -> tensor<1x4x4x4xf32>
  %1 = paso.fused_conv %x, %w3 {activation = "relu", channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<1x4x4x8xf32>, tensor<8x3x3x8xf32> -> tensor<1x4x4x8xf32>
  %2 = paso.concat %0, %1 {axis = 3 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x8xf32>) -> tensor<1x4x4x12xf32>
  return %2 : tensor<1x4x4x12xf32>
}

// -----

// CHECK-LABEL: func @concat_input_used_twice
// CHECK-NOT: into its concat
// CHECK: paso.concat
func.func @concat_input_used_twice(%x: tensor<1x4x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<1x4x4x4xf32>) {
  %w1 = paso.constant dense<0.5> : tensor<4x1x1x8xf32>
  %0 = paso.conv %x, %w1 {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x8xf32>, tensor<4x1x1x8xf32>) -> tensor<1x4x4x4xf32>
  %1 = paso.concat %0, %0 {axis = 3 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x8xf32>
  return %1, %0 : tensor<1x4x4x8xf32>, tensor<1x4x4x4xf32>
}

// -----

// Softmax over the last axis and layer normalisation over trailing dims
// run on the row kernel: M rows of N floats, the operation in the
// window-op field (0 softmax, 1 layer norm), epsilon's f32 bits in alpha,
// the scale as B and the shift as bias. A softmax over another axis stays
// in linalg.
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[8, 12, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]>
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[2, 48, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 925353388, 0, 0, 1, 0, 0, 1, 2]>
// CHECK-DAG: func.func private @paso_rows_f32(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @rows
// CHECK: call @paso_rows_f32({{.*}}) {paso.algorithm = "softmax rows", {{.*}}paso.kernel_id = 1
// CHECK: call @paso_rows_f32({{.*}}) {paso.algorithm = "layer-norm rows", {{.*}}paso.kernel_id = 2
// CHECK: paso.softmax %{{.*}} {axis = 1 : i64}
func.func @rows(%x: tensor<2x4x12xf32>, %y: tensor<2x4x12xf32>, %g: tensor<4x12xf32>, %b: tensor<4x12xf32>) -> (tensor<2x4x12xf32>, tensor<2x4x12xf32>, tensor<2x4x12xf32>) {
  %0 = paso.softmax %x {axis = 2 : i64} : (tensor<2x4x12xf32>) -> tensor<2x4x12xf32>
  %1 = paso.layer_norm %y, %g, %b {axis = 1 : i64, epsilon = 9.99999974E-6 : f32} : (tensor<2x4x12xf32>, tensor<4x12xf32>, tensor<4x12xf32>) -> tensor<2x4x12xf32>
  %2 = paso.softmax %x {axis = 1 : i64} : (tensor<2x4x12xf32>) -> tensor<2x4x12xf32>
  return %0, %1, %2 : tensor<2x4x12xf32>, tensor<2x4x12xf32>, tensor<2x4x12xf32>
}
