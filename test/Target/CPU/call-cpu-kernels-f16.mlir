// Layers the quantiser gave half precision (`paso.precision = "f16"`,
// `--quantize=fp16`) call the fp16 GEMM kernel where the target computes
// in fp16, with the weights packed as f16 B panels (k = kh, kw, c) and one
// descriptor field more (C written transposed for an NCHW output). Without
// fp16 arithmetic (rpi4), and for depthwise convolutions, they stay f32.
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=rpi5" | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=rpi4" | FileCheck %s --check-prefix=NOFP16
// RUN: echo '{"base": "x86-64-avx2", "name": "spr", "features": "+avx2,+fma,+avx512f,+avx512fp16", "vector_bits": 512}' > %t.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=%t.json" | FileCheck %s --check-prefix=WIDE

// An NCHW 3x3 convolution: M = 64 pixels, N = 4 filters, K = 27, A the
// NCHW image (layout 3), B packed (2) in one panel of 32 columns (27 x 32
// halves), bias per column (2); the two last fields: C transposed (1),
// and the weights (all 0.5) stored times 2^1, so that their largest is in
// [1, 2) (exponent -1).
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<37xi64> = dense<[64, 4, 27, 1, 3, 0, 2, 0, 64, 192, 0, 256, 3, 8, 8, 3, 3, 1, 1, 1, 1, 1, 1, 8, 2, 0, 1, {{.*}}, 1, -1]>
// CHECK-DAG: func.func private @paso_gemm_f16(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @conv_relu
// CHECK: paso.constant dense_resource<packed_filter_f16{{.*}}> : tensor<864xf16>
// CHECK: call @paso_gemm_f16({{.*}}) {paso.algorithm = "fp16 gemm, image transposed to channels-last"
// NOFP16-LABEL: func @conv_relu
// NOFP16: call @paso_gemm_f32(
// NOFP16-NOT: f16
// On a 512-bit target, 4 output channels would fill an eighth of the
// 512-bit variant's 32-half vectors: the 256-bit one runs them.
// WIDE-LABEL: func @conv_relu
// WIDE: tensor<864xf16>
// WIDE: call @paso_gemm_f16(
func.func @conv_relu(%x: tensor<1x3x8x8xf32>, %b: tensor<4xf32>) -> tensor<1x4x8x8xf32> {
  %w = paso.constant dense<0.5> : tensor<4x3x3x3xf32>
  %y = paso.fused_conv %x, %w bias(%b : tensor<4xf32>) {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, paso.precision = "f16"} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}

// -----

// Channels-last: A read in place (layout 2), C as it is (0); weights
// 3.0: exponent 1.
// CHECK: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<37xi64> = dense<[64, 4, 27, 1, 2, {{.*}}, 0, 1]>
// CHECK-LABEL: func @conv_nhwc
// CHECK: call @paso_gemm_f16({{.*}}) {paso.algorithm = "fp16 gemm, channels-last image read in place"
func.func @conv_nhwc(%x: tensor<1x8x8x3xf32>) -> tensor<1x8x8x4xf32> {
  %w = paso.constant dense<3.0> : tensor<4x3x3x3xf32>
  %y = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, paso.precision = "f16"} : (tensor<1x8x8x3xf32>, tensor<4x3x3x3xf32>) -> tensor<1x8x8x4xf32>
  return %y : tensor<1x8x8x4xf32>
}

// -----

// A product with constant weights: A row-major (0), B packed in f16; one
// with weights computed at run time stays f32.
// CHECK-LABEL: func @matmuls
// CHECK: paso.constant dense_resource<packed_weights_f16{{.*}}> : tensor<256xf16>
// CHECK: call @paso_gemm_f16({{.*}}) {paso.algorithm = "fp16 gemm, packed weights"
// CHECK: call @paso_gemm_f32({{.*}}) {paso.algorithm = "gemm"
// NOFP16-LABEL: func @matmuls
// NOFP16-NOT: paso_gemm_f16
// 20 columns: the 512-bit variant, in one panel of 64 (8 x 64 halves).
// WIDE-LABEL: func @matmuls
// WIDE: tensor<512xf16>
// WIDE: call @paso_gemm_f16_v16(
func.func @matmuls(%x: tensor<4x8xf32>, %v: tensor<8x20xf32>) -> (tensor<4x20xf32>, tensor<4x20xf32>) {
  %w = paso.constant dense<0.25> : tensor<8x20xf32>
  %a = paso.fused_matmul %x, %w {trans_rhs = false, paso.precision = "f16"} : tensor<4x8xf32>, tensor<8x20xf32> -> tensor<4x20xf32>
  %b = paso.fused_matmul %x, %v {trans_rhs = false, paso.precision = "f16"} : tensor<4x8xf32>, tensor<8x20xf32> -> tensor<4x20xf32>
  return %a, %b : tensor<4x20xf32>, tensor<4x20xf32>
}

// -----

// Depthwise convolutions have no fp16 kernel: the f32 window kernel.
// CHECK-LABEL: func @depthwise
// CHECK: call @paso_depthwise_f32(
// CHECK-NOT: paso_gemm_f16
func.func @depthwise(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w = paso.constant dense<0.5> : tensor<4x1x3x3xf32>
  %y = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 4 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>, paso.precision = "f16"} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %y : tensor<1x4x8x8xf32>
}
