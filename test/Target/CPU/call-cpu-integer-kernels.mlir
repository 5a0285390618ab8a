// Integer convolutions and products become calls to the runtime's int8
// kernel, the variant chosen by the target's features; weights packed in
// panels of 12 rows x 4 k, zero-point corrections folded into the bias.
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=x86-64-avx2" | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: echo '{"base": "x86-64-avx2", "name": "sse", "cpu": "x86-64", "features": "+sse4.2"}' > %t.sse.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=%t.sse.json" | FileCheck %s --check-prefixes=CHECK,PORTABLE
// RUN: echo '{"base": "x86-64-avx2", "name": "vnni", "features": "+avx2,+fma,+avx512f,+avx512bw,+avx512vnni"}' > %t.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=%t.json" | FileCheck %s --check-prefixes=CHECK,VNNI
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=rpi4" | FileCheck %s --check-prefixes=CHECK,NEON
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=rpi5" | FileCheck %s --check-prefixes=CHECK,SDOT

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
!y = !quant.uniform<u8:f32, 0.0625:4>

// A 1x1 convolution of 3 channels with ReLU. Descriptor: M = 2 filters,
// N = 16 pixels, K = 3, one image, B through the NCHW im2col (3), then the
// integer fields: zB = 10, unsigned B, zC = 4, clamp [4, 255] (ReLU keeps
// the zero point), rows of C. Constants: packed weights, 12 rows x 4 k
// (48 bytes); biases 5 - 10 x (1 + 2 + 3) = -55 and 0 - 10 x (4 + 5 - 6)
// = -30, then the multipliers 0.5 x 0.25 / 0.0625 = 2.0 (0x40000000) and
// 1.0 (0x3F800000).
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<41xi64> = dense<[2, 16, 3, 1, 0, 0, 3, 0, 16, 0, 48, 32, 3, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 10, 0, 4, 4, 255, 0]>
// CHECK-LABEL: func.func @conv
// Arm variants read B as int8: the bias gives back 128 x the row sums
// (-55 + 768 = 713, -30 + 384 = 354).
// NEON: paso.constant dense<[713, 354, 1073741824, 1065353216]> : tensor<4xi32>
// SDOT: paso.constant dense<[713, 354, 1073741824, 1065353216]> : tensor<4xi32>
// VNNI-DAG: paso.constant dense<[-55, -30, 1073741824, 1065353216]> : tensor<4xi32>
// PORTABLE-DAG: paso.constant dense<[-55, -30, 1073741824, 1065353216]> : tensor<4xi32>
// AVX2-DAG: paso.constant dense<[-55, -30, 1073741824, 1065353216]> : tensor<4xi32>
// CHECK-DAG: paso.constant dense_resource<qgemm_weights> : tensor<48xi8>
// VNNI: call @paso_qgemm_u8s8_vnni({{.*}}) {paso.algorithm = "int8 gemm, implicit im2col (NCHW), AVX-512 VNNI (VPDPBUSD)"
// AVX2: call @paso_qgemm_u8s8_avx2({{.*}}) {paso.algorithm = "int8 gemm, implicit im2col (NCHW), AVX2 (VPMADDWD on widened bytes)"
// PORTABLE: call @paso_qgemm_u8s8({{.*}}) {paso.algorithm = "int8 gemm, implicit im2col (NCHW), portable (no int8 dot product on the target, or weights at -128)"
// NEON: call @paso_qgemm_s8s8_neon({{.*}}) {paso.algorithm = "int8 gemm, implicit im2col (NCHW), SMULL/SMLAL + SADALP (no dot product on the target)"
// SDOT: call @paso_qgemm_u8s8_dot({{.*}}) {paso.algorithm = "int8 gemm, implicit im2col (NCHW), Armv8.2 dot product (SDOT)"
// CHECK-NOT: paso.qconv
func.func @conv(%x: tensor<1x3x4x4x!x>) -> tensor<1x2x4x4x!y> {
  %wc = paso.constant dense<[[[[1]], [[2]], [[3]]], [[[4]], [[5]], [[-6]]]]> : tensor<2x3x1x1xi8>
  %w = paso.storage_cast %wc : tensor<2x3x1x1xi8> -> tensor<2x3x1x1x!w>
  %b = paso.constant dense<[5, 0]> : tensor<2xi32>
  %y = paso.qconv %x, %w, %b {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !y, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4x!x>, tensor<2x3x1x1x!w>, tensor<2xi32>) -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:-3>
!w = !quant.uniform<i8:f32, 0.5>
!y = !quant.uniform<i8:f32, 0.25:1>

// A product with int8 activations: read as uint8 (signed flag 1, zB =
// -3 + 128 = 125); C stored by columns (N x M, LDC = M = 3); clip(-1, 1)
// clamps to [1 - 4, 1 + 4]; biases 0 - 125 x the column sums 5, 7, 9.
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<41xi64> = dense<[3, 5, 2, 1, 0, 0, 1, 2, 3, {{.*}}, 125, 1, 1, -3, 5, 1]>
// CHECK-LABEL: func.func @product
// VNNI: paso.constant dense<[-625, -875, -1125, 1065353216, 1065353216, 1065353216]> : tensor<6xi32>
// NEON: paso.constant dense<[15, 21, 27, 1065353216, 1065353216, 1065353216]> : tensor<6xi32>
// CHECK-NOT: paso.qmatmul
func.func @product(%x: tensor<5x2x!x>) -> tensor<5x3x!y> {
  %wc = paso.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi8>
  %w = paso.storage_cast %wc : tensor<2x3xi8> -> tensor<2x3x!w>
  %y = paso.qmatmul %x, %w {activation = "clip", activation_params = array<f64: -1.0, 1.0>, output_type = !y} : (tensor<5x2x!x>, tensor<2x3x!w>) -> tensor<5x3x!y>
  return %y : tensor<5x3x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<i8:f32, 0.25>
!y = !quant.uniform<u8:f32, 0.0625:4>

// A depthwise convolution calls the depthwise kernel: raw 2 x 1 weights,
// a padded copy of the image in the scratch (2 x 4 x 4 + 64 bytes).
// CHECK-LABEL: func.func @depthwise
// CHECK: memref.alloc() : memref<96xi8>
// CHECK: call @paso_qdepthwise_u8s8({{.*}}) {paso.algorithm = "int8 depthwise, 16 pixels per vector (NCHW)"
// CHECK-NOT: paso.qconv
func.func @depthwise(%x: tensor<1x2x4x4x!x>) -> tensor<1x2x4x4x!y> {
  %wc = paso.constant dense<1> : tensor<2x1x1x1xi8>
  %w = paso.storage_cast %wc : tensor<2x1x1x1xi8> -> tensor<2x1x1x1x!w>
  %y = paso.qconv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, output_type = !y, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!x>, tensor<2x1x1x1x!w>) -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<i8:f32, 0.25>
!y = !quant.uniform<u8:f32, 0.0625:4>

// A 3x3 depthwise window of stride 2 has dot-product kernels: VPDPBUSD
// with AVX-512 VNNI (the portable kernel's constants), SDOT on Armv8.2
// (int8 activations: the corrected bias -10 x 9 + 128 x 9 = 1062 instead
// of -10 x 9 = -90, for the input zero point 10 and the taps' sum 9; the
// multipliers' bits follow); the others run the portable kernel.
// CHECK-LABEL: func.func @depthwise_3x3
// VNNI: dense<[-90, -90, {{.*}}]> : tensor<4xi32>
// VNNI: call @paso_qdepthwise_u8s8_vnni({{.*}}) {paso.algorithm = "int8 depthwise 3x3, 16 pixels per vector (NCHW), AVX-512 VNNI (VPDPBUSD)"
// AVX2: call @paso_qdepthwise_u8s8({{.*}}) {paso.algorithm = "int8 depthwise, 16 pixels per vector (NCHW)"
// NEON: call @paso_qdepthwise_u8s8({{.*}}) {paso.algorithm = "int8 depthwise, 16 pixels per vector (NCHW)"
// SDOT: dense<[1062, 1062, {{.*}}]> : tensor<4xi32>
// SDOT: call @paso_qdepthwise_u8s8_dot({{.*}}) {paso.algorithm = "int8 depthwise 3x3, 16 pixels per vector (NCHW), Armv8.2 dot product (SDOT)"
func.func @depthwise_3x3(%x: tensor<1x2x8x8x!x>) -> tensor<1x2x4x4x!y> {
  %wc = paso.constant dense<1> : tensor<2x1x3x3xi8>
  %w = paso.storage_cast %wc : tensor<2x1x3x3xi8> -> tensor<2x1x3x3x!w>
  %y = paso.qconv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, output_type = !y, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x2x8x8x!x>, tensor<2x1x3x3x!w>) -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<u8:f32, 0.25:100>
!y = !quant.uniform<u8:f32, 0.0625:4>

// Weights with a zero point (U8U8) are not the kernel's: the convolution
// runs in float.
// CHECK-LABEL: func.func @asymmetric
// CHECK-NOT: call @paso_q
// CHECK: paso.dequantize
// CHECK: paso.conv
// CHECK: paso.quantize
func.func @asymmetric(%x: tensor<1x2x4x4x!x>) -> tensor<1x2x4x4x!y> {
  %wc = paso.constant dense<1> : tensor<2x2x1x1xui8>
  %w = paso.storage_cast %wc : tensor<2x2x1x1xui8> -> tensor<2x2x1x1x!w>
  %y = paso.qconv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !y, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!x>, tensor<2x2x1x1x!w>) -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

!a = !quant.uniform<i8:f32, 0.75:9>
!b = !quant.uniform<i8:f32, 0.5:-3>
!c = !quant.uniform<i8:f32, 1.0:8>

// The integer add (paso-fold-qdq's quantize(dequantize + dequantize), in
// the output's units) is one call on every target: params za = 9, zb = -3,
// zc = 8, clamp [-128, 127], then the f32 bits of 0.75, 0.5 and 1.0.
// CHECK-LABEL: func.func @residual_add
// CHECK: paso.constant dense<[9, -3, 8, -128, 127, 1061158912, 1056964608, 1065353216]> : tensor<8xi32>
// CHECK: call @paso_qadd_s8({{.*}}) {paso.algorithm = "int8 add (requantising, vectorised)"
// CHECK-SAME: paso.kernel_class = "int8"
// CHECK-NOT: paso.add
// CHECK-NOT: paso.quantize
func.func @residual_add(%a: tensor<1x4x8x8x!a>, %b: tensor<1x4x8x8x!b>) -> tensor<1x4x8x8x!c> {
  %fa = paso.dequantize %a : tensor<1x4x8x8x!a> -> tensor<1x4x8x8xf32>
  %fb = paso.dequantize %b : tensor<1x4x8x8x!b> -> tensor<1x4x8x8xf32>
  %s = paso.add %fa, %fb : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %q = paso.quantize %s {element_type = !c} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8x!c>
  return %q : tensor<1x4x8x8x!c>
}

// -----

!a = !quant.uniform<i8:f32, 0.75:9>
!c = !quant.uniform<i8:f32, 1.0:8>

// Broadcasting (or float) operands stay the generated code's.
// CHECK-LABEL: func.func @broadcast_add
// CHECK-NOT: call @paso_qadd_s8
// CHECK: paso.add
func.func @broadcast_add(%a: tensor<1x4x8x8x!a>, %b: tensor<1x4x1x1xf32>) -> tensor<1x4x8x8x!c> {
  %fa = paso.dequantize %a : tensor<1x4x8x8x!a> -> tensor<1x4x8x8xf32>
  %s = paso.add %fa, %b : tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x8x8xf32>
  %q = paso.quantize %s {element_type = !c} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8x!c>
  return %q : tensor<1x4x8x8x!c>
}
