// Integer convolutions and products become calls to the runtime's int8
// kernel, the variant chosen by the target's features; weights packed in
// panels of 12 rows x 4 k, zero-point corrections folded into the bias.
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=x86-64-avx2" | FileCheck %s --check-prefixes=CHECK,AVX2
// RUN: echo '{"base": "x86-64-avx2", "name": "sse", "cpu": "x86-64", "features": "+sse4.2"}' > %t.sse.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=%t.sse.json" | FileCheck %s --check-prefixes=CHECK,PORTABLE
// RUN: echo '{"base": "x86-64-avx2", "name": "vnni", "features": "+avx2,+fma,+avx512f,+avx512bw,+avx512vnni"}' > %t.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=%t.json" | FileCheck %s --check-prefixes=CHECK,VNNI
// RUN: echo '{"base": "x86-64-avx2", "name": "avxvnni", "cpu": "alderlake", "features": "+avx2,+fma,+avxvnni"}' > %t.avxvnni.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-integer-kernels="target=%t.avxvnni.json" | FileCheck %s --check-prefixes=CHECK,AVXVNNI
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
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[2, 16, 3, 1, 0, 0, 3, 0, 16, 0, 48, 32, 3, 4, 4, 1, 1, 1, 1, 0, 0, 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 10, 0, 4, 4, 255, 0, 0, 0, 0]>
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
// AVXVNNI: call @paso_qgemm_u8s8_avxvnni({{.*}}) {paso.algorithm = "int8 gemm, implicit im2col (NCHW), AVX-VNNI (256-bit VPDPBUSD)"
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
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[3, 5, 2, 1, 0, 0, 1, 2, 3, {{.*}}, 125, 1, 1, -3, 5, 1, 0, 0, 0]>
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
// AVXVNNI: call @paso_qdepthwise_u8s8_avxvnni({{.*}}) {paso.algorithm = "int8 depthwise 3x3, 16 pixels per vector (NCHW), AVX-VNNI (256-bit VPDPBUSD)"
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

// The integer add (paso-fold-qdq's quantize(dequantize + dequantize)) is
// one call on every target, in ONNX Runtime's form: clamp [-128, 127],
// the f32 bits of the ratios 0.75 and 0.5 and of the fixed part
// 8 - (0.75 x 9 - 0.5 x 3) = 2.75, all three operands signed, b not a
// single value (the last 0). The fused multiply-add variant where the
// target has FMA (every one here but sse).
// CHECK-LABEL: func.func @residual_add
// CHECK: paso.constant dense<[-128, 127, 1061158912, 1056964608, 1076887552, 1, 1, 1, 0]> : tensor<9xi32>
// AVX2: call @paso_qadd_8_fma({{.*}}) {paso.algorithm = "int8 add (requantising, fused multiply-adds)"
// PORTABLE: call @paso_qadd_8({{.*}}) {paso.algorithm = "int8 add (requantising, vectorised)"
// VNNI: call @paso_qadd_8_fma(
// AVXVNNI: call @paso_qadd_8_fma(
// NEON: call @paso_qadd_8_fma(
// SDOT: call @paso_qadd_8_fma(
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
// CHECK-NOT: call @paso_qadd_8
// CHECK: paso.add
func.func @broadcast_add(%a: tensor<1x4x8x8x!a>, %b: tensor<1x4x1x1xf32>) -> tensor<1x4x8x8x!c> {
  %fa = paso.dequantize %a : tensor<1x4x8x8x!a> -> tensor<1x4x8x8xf32>
  %s = paso.add %fa, %b : tensor<1x4x8x8xf32>, tensor<1x4x1x1xf32> -> tensor<1x4x8x8xf32>
  %q = paso.quantize %s {element_type = !c} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8x!c>
  return %q : tensor<1x4x8x8x!c>
}

// -----

!a = !quant.uniform<u8:f32, 0.5:10>
!g = !quant.uniform<u8:f32, 0.25:0>
!c = !quant.uniform<u8:f32, 0.1:4>

// A multiply by a per-channel gate (squeeze-and-excitation; QLinearMul
// broadcast) is one call: descriptor M = 256 elements, K = 64 per gate
// value; params clamp [0, 255], za = 10, zb = 0, the f32 bits of
// 0.5 x 0.25 / 0.1, zc = 4, all unsigned. Either operand order.
// CHECK: memref.global "private" constant @__paso_qmul_descriptor_{{[0-9]+}} : memref<{{[0-9]+}}xi64> = dense<[256, 1, 64,
// CHECK-LABEL: func.func @gated
// CHECK: paso.constant dense<[0, 255, 10, 0, 1067450368, 4, 0, 0, 0]> : tensor<9xi32>
// CHECK: call @paso_qmul_8({{.*}}) {paso.algorithm = "int8 multiply, broadcast over inner dims (requantising, vectorised)"
// CHECK-NOT: paso.mul
func.func @gated(%x: tensor<1x4x8x8x!a>, %gate: tensor<1x4x1x1x!g>) -> tensor<1x4x8x8x!c> {
  %fx = paso.dequantize %x : tensor<1x4x8x8x!a> -> tensor<1x4x8x8xf32>
  %fg = paso.dequantize %gate : tensor<1x4x1x1x!g> -> tensor<1x4x1x1xf32>
  %m = paso.mul %fg, %fx : tensor<1x4x1x1xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %q = paso.quantize %m {element_type = !c} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8x!c>
  return %q : tensor<1x4x8x8x!c>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:1>
!c = !quant.uniform<i8:f32, 0.1:4>

// Broadcast over an outer dim (rows of b repeat) stays generated code.
// CHECK-LABEL: func.func @outer_broadcast
// CHECK-NOT: call @paso_qmul_8
// CHECK: paso.mul
func.func @outer_broadcast(%x: tensor<1x4x8x8x!a>, %y: tensor<1x1x8x8x!a>) -> tensor<1x4x8x8x!c> {
  %fx = paso.dequantize %x : tensor<1x4x8x8x!a> -> tensor<1x4x8x8xf32>
  %fy = paso.dequantize %y : tensor<1x1x8x8x!a> -> tensor<1x1x8x8xf32>
  %m = paso.mul %fx, %fy : tensor<1x4x8x8xf32>, tensor<1x1x8x8xf32> -> tensor<1x4x8x8xf32>
  %q = paso.quantize %m {element_type = !c} : tensor<1x4x8x8xf32> -> tensor<1x4x8x8x!c>
  return %q : tensor<1x4x8x8x!c>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:100>
!y = !quant.uniform<u8:f32, 0.25:3>

// A global average pool on 8-bit storage (QLinearGlobalAveragePool) is one
// call that sums in 32 bits: params zx = 100, zy = 3, clamp [0, 255], the
// f32 bits of 0.5 / (0.25 * 49) (ONNX Runtime's order), unsigned in and out.
// CHECK-LABEL: func.func @global_pool
// CHECK: paso.constant dense<[100, 3, 0, 255, 1025978117, 0, 0]> : tensor<7xi32>
// CHECK: call @paso_qmean_8({{.*}}) {paso.algorithm = "int8 global average pool (int32 sum, one rounding)"
// CHECK-NOT: paso.reduce_mean
// CHECK-NOT: paso.quantize
func.func @global_pool(%x: tensor<1x4x7x7x!x>) -> tensor<1x4x1x1x!y> {
  %f = paso.dequantize %x : tensor<1x4x7x7x!x> -> tensor<1x4x7x7xf32>
  %m = paso.reduce_mean %f {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x4x7x7xf32>) -> tensor<1x4x1x1xf32>
  %q = paso.quantize %m {element_type = !y} : tensor<1x4x1x1xf32> -> tensor<1x4x1x1x!y>
  return %q : tensor<1x4x1x1x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:1>
!y = !quant.uniform<i8:f32, 0.25:3>

// A mean over the channels: planes of 4 values at the stride of the 49
// pixels (the channels-last global pool's shape, N = 49 in the
// descriptor) run on the kernel too; a mean over dims that are not
// consecutive (channels and width) stays the generated code's.
// CHECK: memref.global "private" constant @__paso_qmean_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[49, 49, 4, 1,
// CHECK-LABEL: func.func @channel_mean
// CHECK: call @paso_qmean_8({{.*}}) {paso.algorithm = "int8 global average pool, channels-last (int32 sum, one rounding)"
// CHECK-LABEL: func.func @scattered_mean
// CHECK-NOT: call @paso_qmean_8
// CHECK: paso.reduce_mean
func.func @channel_mean(%x: tensor<1x4x7x7x!x>) -> tensor<1x1x7x7x!y> {
  %f = paso.dequantize %x : tensor<1x4x7x7x!x> -> tensor<1x4x7x7xf32>
  %m = paso.reduce_mean %f {axes = array<i64: 1>, keepdims = true} : (tensor<1x4x7x7xf32>) -> tensor<1x1x7x7xf32>
  %q = paso.quantize %m {element_type = !y} : tensor<1x1x7x7xf32> -> tensor<1x1x7x7x!y>
  return %q : tensor<1x1x7x7x!y>
}

func.func @scattered_mean(%x: tensor<1x4x7x7x!x>) -> tensor<1x1x7x1x!y> {
  %f = paso.dequantize %x : tensor<1x4x7x7x!x> -> tensor<1x4x7x7xf32>
  %m = paso.reduce_mean %f {axes = array<i64: 1, 3>, keepdims = true} : (tensor<1x4x7x7xf32>) -> tensor<1x1x7x1xf32>
  %q = paso.quantize %m {element_type = !y} : tensor<1x1x7x1xf32> -> tensor<1x1x7x1x!y>
  return %q : tensor<1x1x7x1x!y>
}

// -----

// ONNX Runtime's quantize_dynamic, whole (DynamicQuantizeLinear,
// MatMulInteger, Cast, Mul by x_scale x w_scale, bias Add, GELU): one call
// that quantises the float activations into its scratch (4 x 3 + 64
// bytes) and writes floats. Descriptor: GELU (8) in the activation field,
// rows of C, dynamic with a bias (2). Constants: bias' (0 on x86, 128 x
// the weight sums -1 and 8 on Arm), the weight sums, w_scale 0.5
// (0x3F000000) twice, the biases 1.0 and 2.0.
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[2, 4, 3, 1, 0, 0, 1, 3, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 2, 0]>
// CHECK-LABEL: func.func @dynamic
// VNNI: paso.constant dense<[0, 0, -1, 8, 1056964608, 1056964608, 1065353216, 1073741824]> : tensor<8xi32>
// NEON: paso.constant dense<[-128, 1024, -1, 8, 1056964608, 1056964608, 1065353216, 1073741824]> : tensor<8xi32>
// SDOT: paso.constant dense<[-128, 1024, -1, 8, 1056964608, 1056964608, 1065353216, 1073741824]> : tensor<8xi32>
// CHECK: memref.alloc() : memref<76xi8>
// VNNI: call @paso_qgemm_u8s8_vnni({{.*}}) {paso.algorithm = "int8 gemm, DynamicQuantizeLinear and dequantising epilogue fused (quantize_dynamic), rows of A as columns, AVX-512 VNNI (VPDPBUSD)"
// CHECK-NOT: paso.matmul
// CHECK-NOT: paso.gelu
// CHECK-NOT: paso.dynamic_quantize
func.func @dynamic(%x: tensor<4x3xf32>) -> tensor<4x2xf32> {
  %w = paso.constant dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>
  %ws = paso.constant dense<0.5> : tensor<f32>
  %bias = paso.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %q, %s, %z = paso.dynamic_quantize %x : tensor<4x3xf32> -> (tensor<4x3xui8>, tensor<f32>, tensor<ui8>)
  %scale = paso.mul %s, %ws : tensor<f32>, tensor<f32> -> tensor<f32>
  %qi = paso.cast %q {to = i32} : tensor<4x3xui8> -> tensor<4x3xi32>
  %zi = paso.cast %z {to = i32} : tensor<ui8> -> tensor<i32>
  %a = paso.sub %qi, %zi : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %wi = paso.cast %w {to = i32} : tensor<3x2xi8> -> tensor<3x2xi32>
  %acc = paso.matmul %a, %wi : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  %f = paso.cast %acc {to = f32} : tensor<4x2xi32> -> tensor<4x2xf32>
  %m = paso.mul %f, %scale : tensor<4x2xf32>, tensor<f32> -> tensor<4x2xf32>
  %y = paso.add %m, %bias : tensor<4x2xf32>, tensor<2xf32> -> tensor<4x2xf32>
  %g = paso.gelu %y {tanh_approximation = false} : tensor<4x2xf32>
  return %g : tensor<4x2xf32>
}

// -----

// MatMulInteger alone: the int32 sums (C_INT32, the field before the
// last), and the run-time zero point's correction after the call, - z x
// the weight sums (-1, 8).
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[2, 4, 3, 1, 0, 0, 1, 3, 2, {{.*}}, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0]>
// CHECK-LABEL: func.func @runtime_zero_point
// CHECK: %[[SUMS:.*]] = paso.constant dense<[-1, 8]> : tensor<2xi32>
// CHECK: %[[Z:.*]] = paso.cast %arg1 {to = i32}
// CHECK: call @paso_qgemm
// CHECK: %[[C:.*]] = bufferization.to_tensor
// CHECK: %[[CORRECTION:.*]] = paso.mul %[[Z]], %[[SUMS]]
// CHECK: %[[R:.*]] = paso.sub %[[C]], %[[CORRECTION]]
// CHECK: return %[[R]]
func.func @runtime_zero_point(%q: tensor<4x3xui8>, %z: tensor<ui8>) -> tensor<4x2xi32> {
  %w = paso.constant dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>
  %qi = paso.cast %q {to = i32} : tensor<4x3xui8> -> tensor<4x3xi32>
  %zi = paso.cast %z {to = i32} : tensor<ui8> -> tensor<i32>
  %a = paso.sub %qi, %zi : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %wi = paso.cast %w {to = i32} : tensor<3x2xi8> -> tensor<3x2xi32>
  %acc = paso.matmul %a, %wi : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  return %acc : tensor<4x2xi32>
}

// -----

// A constant zero point (-3, int8 activations read as uint8: zB = 125)
// goes into the bias: -125 x the weight sums.
// CHECK-LABEL: func.func @constant_zero_point
// VNNI: paso.constant dense<[125, -1000, 0, 0]> : tensor<4xi32>
// CHECK: call @paso_qgemm
// CHECK-NOT: paso.sub
func.func @constant_zero_point(%q: tensor<4x3xi8>) -> tensor<4x2xi32> {
  %w = paso.constant dense<[[1, -2], [3, 4], [-5, 6]]> : tensor<3x2xi8>
  %z = paso.constant dense<-3> : tensor<i32>
  %qi = paso.cast %q {to = i32} : tensor<4x3xi8> -> tensor<4x3xi32>
  %a = paso.sub %qi, %z : tensor<4x3xi32>, tensor<i32> -> tensor<4x3xi32>
  %wi = paso.cast %w {to = i32} : tensor<3x2xi8> -> tensor<3x2xi32>
  %acc = paso.matmul %a, %wi : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  return %acc : tensor<4x2xi32>
}

// -----

// uint8 weights past 127 (and no zero point to centre them) do not fit the
// kernel's int8 panels: the int32 product stays for the generated code.
// CHECK-LABEL: func.func @weights_beyond_int8
// CHECK-NOT: call @paso_qgemm
// CHECK: paso.matmul
func.func @weights_beyond_int8(%q: tensor<4x3xui8>) -> tensor<4x2xi32> {
  %w = paso.constant dense<[[1, 200], [3, 4], [5, 6]]> : tensor<3x2xui8>
  %qi = paso.cast %q {to = i32} : tensor<4x3xui8> -> tensor<4x3xi32>
  %wi = paso.cast %w {to = i32} : tensor<3x2xui8> -> tensor<3x2xi32>
  %acc = paso.matmul %qi, %wi : (tensor<4x3xi32>, tensor<3x2xi32>) -> tensor<4x2xi32>
  return %acc : tensor<4x2xi32>
}

// -----

// A DynamicQuantizeLinear no product takes in (a ConvInteger's input, here
// the function's results) runs on its vectorised kernel: three outputs.
// CHECK-LABEL: func.func @dynamic_quantize
// CHECK-DAG: memref.alloc() : memref<2x8xui8>
// CHECK-DAG: memref.alloc() : memref<f32>
// CHECK-DAG: memref.alloc() : memref<ui8>
// CHECK: call @paso_dynamic_quantize_u8({{.*}}) {paso.algorithm = "DynamicQuantizeLinear (vectorised)"
// CHECK-NOT: paso.dynamic_quantize
func.func @dynamic_quantize(%x: tensor<2x8xf32>) -> (tensor<2x8xui8>, tensor<f32>, tensor<ui8>) {
  %q, %s, %z = paso.dynamic_quantize %x : tensor<2x8xf32> -> (tensor<2x8xui8>, tensor<f32>, tensor<ui8>)
  return %q, %s, %z : tensor<2x8xui8>, tensor<f32>, tensor<ui8>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
!y = !quant.uniform<u8:f32, 0.0625:4>

// The 1x1 convolution of @conv channels-last (paso-select-cpu-layout):
// pixels as rows (PIXEL_ROWS, the last field, 1), read in place as the
// rows of a product (B transposed, LDB = 3 channels), C NHWC (LDC = 2).
// The weights are one group of 16 filters x 4 k (64 bytes). VNNI takes
// the pixels as its unsigned operand: raw weights, the plain biases. The
// AVX2 and portable kernels read columns as uint8 (w + 128), and the Arm
// ones as int8: both with the int8-column biases (-55 + 128 x 6 = 713,
// -30 + 128 x 3 = 354).
// CHECK: memref.global "private" constant @__paso_qgemm_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[2, 16, 3, 1, 0, 0, 1, 3, 2, {{.*}}, 0, 0, 0, 1]>
// CHECK-LABEL: func.func @conv_nhwc
// VNNI-DAG: paso.constant dense<[-55, -30, 1073741824, 1065353216]> : tensor<4xi32>
// CHECK-DAG: paso.constant dense_resource<qgemm_weights> : tensor<64xi8>
// AVX2-DAG: paso.constant dense<[713, 354, 1073741824, 1065353216]> : tensor<4xi32>
// PORTABLE-DAG: paso.constant dense<[713, 354, 1073741824, 1065353216]> : tensor<4xi32>
// SDOT-DAG: paso.constant dense<[713, 354, 1073741824, 1065353216]> : tensor<4xi32>
// NEON-DAG: paso.constant dense<[713, 354, 1073741824, 1065353216]> : tensor<4xi32>
// VNNI: call @paso_qgemm_u8s8_vnni({{.*}}) {paso.algorithm = "int8 gemm, pixels as rows (NHWC 1x1), AVX-512 VNNI (VPDPBUSD)"
// SDOT: call @paso_qgemm_u8s8_dot({{.*}}) {paso.algorithm = "int8 gemm, pixels as rows (NHWC 1x1), Armv8.2 dot product (SDOT)"
// CHECK-NOT: paso.qconv
func.func @conv_nhwc(%x: tensor<1x4x4x3x!x>) -> tensor<1x4x4x2x!y> {
  %wc = paso.constant dense<[[[[1, 2, 3]]], [[[4, 5, -6]]]]> : tensor<2x1x1x3xi8>
  %w = paso.storage_cast %wc : tensor<2x1x1x3xi8> -> tensor<2x1x1x3x!w>
  %b = paso.constant dense<[5, 0]> : tensor<2xi32>
  %y = paso.qconv %x, %w, %b {activation = "relu", channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !y, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x4x3x!x>, tensor<2x1x1x3x!w>, tensor<2xi32>) -> tensor<1x4x4x2x!y>
  return %y : tensor<1x4x4x2x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<i8:f32, 0.25>
!y = !quant.uniform<u8:f32, 0.0625:4>

// A channels-last 3x3 convolution of 3 channels, stride 2, padded: B
// through the NHWC im2col (layout 4); the scratch holds the tap offsets
// (28 x 4 bytes) and the padded image (9 x 9 x 3), plus 64: 419 bytes;
// the weights one group of 16 filters x 7 groups of 4 k (448 bytes).
// CHECK-LABEL: func.func @conv3x3_nhwc
// CHECK-DAG: paso.constant dense_resource<qgemm_weights> : tensor<448xi8>
// CHECK: memref.alloc() : memref<419xi8>
// CHECK: call @paso_qgemm_{{.*}}) {paso.algorithm = "int8 gemm, pixels as rows, implicit im2col (NHWC),
func.func @conv3x3_nhwc(%x: tensor<1x8x8x3x!x>) -> tensor<1x4x4x5x!y> {
  %wc = paso.constant dense<1> : tensor<5x3x3x3xi8>
  %w = paso.storage_cast %wc : tensor<5x3x3x3xi8> -> tensor<5x3x3x3x!w>
  %y = paso.qconv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !y, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x8x3x!x>, tensor<5x3x3x3x!w>) -> tensor<1x4x4x5x!y>
  return %y : tensor<1x4x4x5x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:10>
!w = !quant.uniform<i8:f32, 0.25>
!y = !quant.uniform<u8:f32, 0.0625:4>

// The channels-last depthwise kernel: window rows by dot product where
// the target has one (SDOT with the + 128 x taps' sum bias, 1062, as in
// NCHW), else widening multiply-adds; the weights as 9 rows of the 2
// channels rounded up to 16 (144 bytes); the padded copy 9 x 9 x 16
// bytes, plus 64. A dilated window has no dot form.
// CHECK-LABEL: func.func @depthwise_nhwc
// SDOT-DAG: paso.constant dense<[1062, 1062, {{.*}}]> : tensor<4xi32>
// CHECK-DAG: paso.constant dense_resource<qgemm_weights> : tensor<144xi8>
// CHECK: memref.alloc() : memref<1360xi8>
// VNNI: call @paso_qdepthwise_nhwc_8_vnni({{.*}}) {paso.algorithm = "int8 depthwise, 16 channels per vector (NHWC), a window row per VPDPBUSD (AVX-512 VNNI)"
// AVXVNNI: call @paso_qdepthwise_nhwc_8_avxvnni({{.*}}) {paso.algorithm = "int8 depthwise, 16 channels per vector (NHWC), a window row per VPDPBUSD (AVX-VNNI)"
// SDOT: call @paso_qdepthwise_nhwc_8_dot({{.*}}) {paso.algorithm = "int8 depthwise, 16 channels per vector (NHWC), a window row per SDOT (Armv8.2)"
// AVX2: call @paso_qdepthwise_nhwc_8({{.*}}) {paso.algorithm = "int8 depthwise, 16 channels per vector (NHWC), widening multiply-adds"
// NEON: call @paso_qdepthwise_nhwc_8({{.*}}) {paso.algorithm = "int8 depthwise, 16 channels per vector (NHWC), widening multiply-adds"
// CHECK-LABEL: func.func @dilated_depthwise_nhwc
// CHECK: call @paso_qdepthwise_nhwc_8({{.*}}) {paso.algorithm = "int8 depthwise, 16 channels per vector (NHWC), widening multiply-adds"
func.func @depthwise_nhwc(%x: tensor<1x8x8x2x!x>) -> tensor<1x4x4x2x!y> {
  %wc = paso.constant dense<1> : tensor<2x3x3x1xi8>
  %w = paso.storage_cast %wc : tensor<2x3x3x1xi8> -> tensor<2x3x3x1x!w>
  %y = paso.qconv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 2 : i64, output_type = !y, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x8x2x!x>, tensor<2x3x3x1x!w>) -> tensor<1x4x4x2x!y>
  return %y : tensor<1x4x4x2x!y>
}

func.func @dilated_depthwise_nhwc(%x: tensor<1x8x8x2x!x>) -> tensor<1x4x4x2x!y> {
  %wc = paso.constant dense<1> : tensor<2x3x3x1xi8>
  %w = paso.storage_cast %wc : tensor<2x3x3x1xi8> -> tensor<2x3x3x1x!w>
  %y = paso.qconv %x, %w {channels_last = true, dilations = array<i64: 2, 2>, group = 2 : i64, output_type = !y, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x8x8x2x!x>, tensor<2x3x3x1x!w>) -> tensor<1x4x4x2x!y>
  return %y : tensor<1x4x4x2x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.0625:131>
!y = !quant.uniform<u8:f32, 0.00390625>

// A softmax the importer marks as ONNX Runtime's QLinearSoftmax runs its
// algorithm (rows of 37, 8 of them; the table of 256 exponentials after
// the four leading constants); an unmarked one (a QDQ model's) stays float.
// CHECK: memref.global "private" constant @__paso_qsoftmax_descriptor_{{[0-9]+}} : memref<44xi64> = dense<[8, 1, 37, 1,
// CHECK-LABEL: func.func @qlinear_softmax
// CHECK: paso.constant dense_resource<qsoftmax_params> : tensor<260xi32>
// CHECK: call @paso_qsoftmax_8({{.*}}) {paso.algorithm = "int8 softmax (ONNX Runtime's QLinearSoftmax: exponential table, f32 division)"
// CHECK-LABEL: func.func @qdq_softmax
// CHECK-NOT: call @paso_qsoftmax_8
// CHECK: paso.softmax
func.func @qlinear_softmax(%x: tensor<8x37x!x>) -> tensor<8x37x!y> {
  %f = paso.dequantize %x : tensor<8x37x!x> -> tensor<8x37xf32>
  %s = paso.softmax %f {axis = 1 : i64, paso.onnx_qlinear} : (tensor<8x37xf32>) -> tensor<8x37xf32>
  %q = paso.quantize %s {element_type = !y} : tensor<8x37xf32> -> tensor<8x37x!y>
  return %q : tensor<8x37x!y>
}

func.func @qdq_softmax(%x: tensor<8x37x!x>) -> tensor<8x37x!y> {
  %f = paso.dequantize %x : tensor<8x37x!x> -> tensor<8x37xf32>
  %s = paso.softmax %f {axis = 1 : i64} : (tensor<8x37xf32>) -> tensor<8x37xf32>
  %q = paso.quantize %s {element_type = !y} : tensor<8x37xf32> -> tensor<8x37x!y>
  return %q : tensor<8x37x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:100>
!y = !quant.uniform<u8:f32, 0.25:3>

// An average pooling of 8-bit values (QLinearAveragePool) is one call on
// the bytes: params average, unsigned, zx = 100, zy = 3, the f32 bits of
// 0.5 and 0.25, count_include_pad. A window as large as the image is the
// global pool ONNX Runtime makes of it.
// CHECK-LABEL: func.func @average_pool
// CHECK: paso.constant dense<[1, 0, 100, 3, 1056964608, 1048576000, 1]> : tensor<7xi32>
// CHECK: call @paso_qpool_8({{.*}}) {paso.algorithm = "int8 average pool (ONNX Runtime's QLinearAveragePool: f32 window sums)"
// CHECK-NOT: paso.average_pool
// CHECK-LABEL: func.func @whole_image_average
// CHECK: call @paso_qmean_8({{.*}}) {paso.algorithm = "int8 average pool over the whole image, as a global pool
func.func @average_pool(%x: tensor<1x4x8x8x!x>) -> tensor<1x4x4x4x!y> {
  %f = paso.dequantize %x : tensor<1x4x8x8x!x> -> tensor<1x4x8x8xf32>
  %p = paso.average_pool %f {ceil_mode = false, count_include_pad = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %q = paso.quantize %p {element_type = !y} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4x!y>
  return %q : tensor<1x4x4x4x!y>
}
func.func @whole_image_average(%x: tensor<1x4x8x8x!x>) -> tensor<1x4x1x1x!y> {
  %f = paso.dequantize %x : tensor<1x4x8x8x!x> -> tensor<1x4x8x8xf32>
  %p = paso.average_pool %f {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 8, 8>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  %q = paso.quantize %p {element_type = !y} : tensor<1x4x1x1xf32> -> tensor<1x4x1x1x!y>
  return %q : tensor<1x4x1x1x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:100>
!y = !quant.uniform<u8:f32, 0.25:3>

// Max pooling runs on the bytes when input and output share one
// quantisation (a QOperator model's uint8 MaxPool), channels-last too,
// and on integers (paso-fold-qdq's signed storage form): params max,
// signedness, nothing else.
// CHECK-LABEL: func.func @max_pool_one_grid
// CHECK: paso.constant dense<[0, 0, 100, 100, 1056964608, 1056964608, 0]> : tensor<7xi32>
// CHECK: call @paso_qpool_8({{.*}}) {paso.algorithm = "int8 max pool, channels-last (on the bytes)"
// CHECK-NOT: paso.max_pool
// CHECK-LABEL: func.func @max_pool_storage
// CHECK: paso.constant dense<[0, 1, 0, 0, 0, 0, 0]> : tensor<7xi32>
// CHECK: call @paso_qpool_8({{.*}}) {paso.algorithm = "int8 max pool (on the bytes)"
// CHECK-NOT: paso.max_pool
func.func @max_pool_one_grid(%x: tensor<1x8x8x4x!x>) -> tensor<1x4x4x4x!x> {
  %f = paso.dequantize %x : tensor<1x8x8x4x!x> -> tensor<1x8x8x4xf32>
  %p = paso.max_pool %f {ceil_mode = false, channels_last = true, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x8x4xf32>) -> tensor<1x4x4x4xf32>
  %q = paso.quantize %p {element_type = !x} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4x!x>
  return %q : tensor<1x4x4x4x!x>
}
func.func @max_pool_storage(%x: tensor<1x4x8x8xi8>) -> tensor<1x4x4x4xi8> {
  %p = paso.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xi8>) -> tensor<1x4x4x4xi8>
  return %p : tensor<1x4x4x4xi8>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:100>
!y = !quant.uniform<u8:f32, 0.25:3>

// Not on the bytes: a maximum between two quantisations (the largest byte
// is not the largest value's byte on the other grid), a dilated window,
// and a float pooling; they stay pooling ops for the float path.
// CHECK-LABEL: func.func @max_pool_two_grids
// CHECK-NOT: call @paso_qpool_8
// CHECK: paso.max_pool
// CHECK-LABEL: func.func @dilated_average
// CHECK-NOT: call @paso_qpool_8
// CHECK: paso.average_pool
// CHECK-LABEL: func.func @float_max_pool
// CHECK-NOT: call @paso_qpool_8
// CHECK: paso.max_pool
func.func @max_pool_two_grids(%x: tensor<1x4x8x8x!x>) -> tensor<1x4x4x4x!y> {
  %f = paso.dequantize %x : tensor<1x4x8x8x!x> -> tensor<1x4x8x8xf32>
  %p = paso.max_pool %f {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %q = paso.quantize %p {element_type = !y} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4x!y>
  return %q : tensor<1x4x4x4x!y>
}
func.func @dilated_average(%x: tensor<1x4x8x8x!x>) -> tensor<1x4x6x6x!y> {
  %f = paso.dequantize %x : tensor<1x4x8x8x!x> -> tensor<1x4x8x8xf32>
  %p = paso.average_pool %f {ceil_mode = false, count_include_pad = false, dilations = array<i64: 2, 2>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x6x6xf32>
  %q = paso.quantize %p {element_type = !y} : tensor<1x4x6x6xf32> -> tensor<1x4x6x6x!y>
  return %q : tensor<1x4x6x6x!y>
}
func.func @float_max_pool(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %p = paso.max_pool %x {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %p : tensor<1x4x4x4xf32>
}
