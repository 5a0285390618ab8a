// Round-trip of the NN family, in custom and generic form.
// RUN: paso-opt %s --split-input-file | FileCheck %s
// RUN: paso-opt %s --split-input-file --mlir-print-op-generic | paso-opt --split-input-file | FileCheck %s

// A padded, strided convolution with bias, and a depthwise one.
// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<1x8x16x16xf32>, %w: tensor<4x8x3x3xf32>, %b: tensor<4xf32>, %dw: tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32> {
  // CHECK: %[[C:.*]] = paso.conv %{{.*}}, %{{.*}}, %{{.*}} {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x8x16x16xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  // CHECK: paso.conv %[[C]], %{{.*}} {{{.*}}group = 4 : i64{{.*}}} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  %0 = paso.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x16x16xf32>, tensor<4x8x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = paso.conv %0, %dw {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 4 : i64} : (tensor<1x4x8x8xf32>, tensor<4x1x3x3xf32>) -> tensor<1x4x8x8xf32>
  return %1 : tensor<1x4x8x8xf32>
}

// -----

// Pools: ceil_mode rounds up, but no window may start in the end padding.
// CHECK-LABEL: func @pools
func.func @pools(%x: tensor<1x4x7x7xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x3x3xf32>) {
  // CHECK: paso.max_pool {{.*}} -> tensor<1x4x4x4xf32>
  // CHECK: paso.average_pool {{.*}}count_include_pad = true{{.*}} -> tensor<1x4x3x3xf32>
  %0 = paso.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x4x7x7xf32>) -> tensor<1x4x4x4xf32>
  %1 = paso.average_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = true} : (tensor<1x4x7x7xf32>) -> tensor<1x4x3x3xf32>
  return %0, %1 : tensor<1x4x4x4xf32>, tensor<1x4x3x3xf32>
}

// -----

// Normalisations keep the input type.
// CHECK-LABEL: func @norms
func.func @norms(%x: tensor<1x4x8x8xf32>, %c: tensor<4xf32>, %t: tensor<2x16x64xf32>, %g: tensor<64xf32>) -> (tensor<1x4x8x8xf32>, tensor<2x16x64xf32>) {
  // CHECK: paso.batch_norm {{.*}} -> tensor<1x4x8x8xf32>
  // CHECK: paso.lrn {{.*}} -> tensor<1x4x8x8xf32>
  // CHECK: paso.layer_norm {{.*}}axis = 2 : i64{{.*}} -> tensor<2x16x64xf32>
  // CHECK: paso.softmax {{.*}}axis = 2 : i64{{.*}} -> tensor<2x16x64xf32>
  %0 = paso.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x4x8x8xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %1 = paso.lrn %0 {size = 3 : i64, alpha = 1.0e-4 : f32, beta = 0.75 : f32, bias = 1.0 : f32} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %2 = paso.layer_norm %t, %g, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x16x64xf32>, tensor<64xf32>, tensor<64xf32>) -> tensor<2x16x64xf32>
  %3 = paso.softmax %2 {axis = 2 : i64} : (tensor<2x16x64xf32>) -> tensor<2x16x64xf32>
  return %1, %3 : tensor<1x4x8x8xf32>, tensor<2x16x64xf32>
}

// -----

// MatMul promotes 1-D operands and broadcasts batch dims; Gemm transposes.
// CHECK-LABEL: func @matmuls
func.func @matmuls(%a: tensor<2x1x16x64xf32>, %b: tensor<3x64x32xf32>, %v: tensor<64xf32>, %x: tensor<1x512xf32>, %w: tensor<10x512xf32>, %c: tensor<10xf32>) -> (tensor<2x3x16x32xf32>, tensor<2x1x16xf32>, tensor<1x10xf32>) {
  // CHECK: paso.matmul {{.*}} -> tensor<2x3x16x32xf32>
  // CHECK: paso.matmul {{.*}} -> tensor<2x1x16xf32>
  // CHECK: paso.gemm {{.*}}trans_b = true{{.*}} -> tensor<1x10xf32>
  %0 = paso.matmul %a, %b : (tensor<2x1x16x64xf32>, tensor<3x64x32xf32>) -> tensor<2x3x16x32xf32>
  %1 = paso.matmul %a, %v : (tensor<2x1x16x64xf32>, tensor<64xf32>) -> tensor<2x1x16xf32>
  %2 = paso.gemm %x, %w, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x512xf32>, tensor<10x512xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  return %0, %1, %2 : tensor<2x3x16x32xf32>, tensor<2x1x16xf32>, tensor<1x10xf32>
}

// -----

// The fused convolution carries optional bias and residual and an
// activation with its parameters.
// CHECK-LABEL: func @fused_conv
func.func @fused_conv(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %b: tensor<4xf32>, %r: tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) {
  // CHECK: paso.fused_conv %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<4xf32>) residual(%{{.*}} : tensor<1x4x8x8xf32>) {activation = "clip", activation_params = array<f64: 0.000000e+00, 6.000000e+00>, {{.*}}} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x8x8xf32>
  // CHECK: paso.fused_conv %{{.*}}, %{{.*}} residual(%{{.*}} : tensor<1x4x8x8xf32>) {dilations
  %0 = paso.fused_conv %x, %w bias(%b : tensor<4xf32>) residual(%r : tensor<1x4x8x8xf32>) {activation = "clip", activation_params = array<f64: 0.0, 6.0>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x8x8xf32>
  %1 = paso.fused_conv %x, %w residual(%r : tensor<1x4x8x8xf32>) {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32> -> tensor<1x4x8x8xf32>
  return %0, %1 : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>
}

// -----

// The fused matrix product: rows times a (possibly transposed) weight, a
// [N] bias and an activation.
// CHECK-LABEL: func @fused_matmul
func.func @fused_matmul(%x: tensor<2x16x64xf32>, %w: tensor<64x32xf32>, %wt: tensor<32x64xf32>, %b: tensor<32xf32>) -> (tensor<2x16x32xf32>, tensor<2x16x32xf32>) {
  // CHECK: paso.fused_matmul %{{.*}}, %{{.*}} bias(%{{.*}} : tensor<32xf32>) {activation = "relu", trans_rhs = false} : tensor<2x16x64xf32>, tensor<64x32xf32> -> tensor<2x16x32xf32>
  // CHECK: paso.fused_matmul %{{.*}}, %{{.*}} {trans_rhs = true} : tensor<2x16x64xf32>, tensor<32x64xf32> -> tensor<2x16x32xf32>
  %0 = paso.fused_matmul %x, %w bias(%b : tensor<32xf32>) {activation = "relu", trans_rhs = false} : tensor<2x16x64xf32>, tensor<64x32xf32> -> tensor<2x16x32xf32>
  %1 = paso.fused_matmul %x, %wt {trans_rhs = true} : tensor<2x16x64xf32>, tensor<32x64xf32> -> tensor<2x16x32xf32>
  return %0, %1 : tensor<2x16x32xf32>, tensor<2x16x32xf32>
}
