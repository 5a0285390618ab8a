// Convolutions absorb pads, bias adds, residual adds and activations.
// RUN: paso-opt %s --split-input-file --paso-fuse-conv-epilogue | FileCheck %s

// conv -> add(shortcut) -> relu: the ResNet block tail.
// CHECK-LABEL: func @residual_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8x8xf32>, %[[W:.*]]: tensor<4x4x3x3xf32>, %[[S:.*]]: tensor<1x4x8x8xf32>)
func.func @residual_relu(%x: tensor<1x4x8x8xf32>, %w: tensor<4x4x3x3xf32>, %skip: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // CHECK: %[[F:.*]] = paso.fused_conv %[[X]], %[[W]] residual(%[[S]] : tensor<1x4x8x8xf32>) {activation = "relu", {{.*}}pads = array<i64: 1, 1, 1, 1>
  // CHECK-NOT: paso.relu
  // CHECK-NOT: paso.add
  // CHECK: return %[[F]]
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x8x8xf32>
  %a = paso.add %c, %skip : tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32> -> tensor<1x4x8x8xf32>
  %r = paso.relu %a : tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}

// -----

// Relu6 keeps its bounds; a per-channel constant add becomes the bias; a
// zero pad of the spatial dims becomes conv padding.
// CHECK-LABEL: func @bias_pad_relu6
func.func @bias_pad_relu6(%x: tensor<1x2x6x6xf32>, %w: tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32> {
  // CHECK: %[[B:.*]] = paso.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  // CHECK: paso.fused_conv %{{.*}}, %{{.*}} bias(%[[B]] : tensor<2xf32>) {activation = "clip", activation_params = array<f64: 0.000000e+00, 6.000000e+00>, {{.*}}pads = array<i64: 1, 1, 1, 1>
  // CHECK-NOT: paso.pad
  %bias = paso.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %p = paso.pad %x {pads = array<i64: 0, 0, 1, 1, 0, 0, 1, 1>, mode = "constant", value = 0.0 : f64} : (tensor<1x2x6x6xf32>) -> tensor<1x2x8x8xf32>
  %c = paso.conv %p, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x8x8xf32>, tensor<2x2x3x3xf32>) -> tensor<1x2x6x6xf32>
  %a = paso.add %c, %bias : tensor<1x2x6x6xf32>, tensor<2x1x1xf32> -> tensor<1x2x6x6xf32>
  %r = paso.clip %a {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x2x6x6xf32>
  return %r : tensor<1x2x6x6xf32>
}

// -----

// x * sigmoid(x) after a conv is SiLU.
// CHECK-LABEL: func @silu
func.func @silu(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: %[[F:.*]] = paso.fused_conv {{.*}}activation = "silu"
  // CHECK-NEXT: return %[[F]]
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %s = paso.sigmoid %c : tensor<1x2x4x4xf32>
  %y = paso.mul %c, %s : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
