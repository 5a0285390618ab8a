// Batch norm folds into a preceding conv's weights, or becomes a
// per-channel scale and shift.
// RUN: paso-opt %s --split-input-file --paso-fold-batch-norm | FileCheck %s

// s = 4 / sqrt(3 + 1) = 2; W' = W * s = 4; b' = (b - mean) * s + beta
// = (1 - 0.5) * 2 + 0.25.
// CHECK-LABEL: func @into_conv
func.func @into_conv(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // CHECK-DAG: %[[W:.*]] = paso.constant dense<4.000000e+00> : tensor<1x1x1x1xf32>
  // CHECK-DAG: %[[B:.*]] = paso.constant dense<1.250000e+00> : tensor<1xf32>
  // CHECK: %[[C:.*]] = paso.conv %{{.*}}, %[[W]], %[[B]]
  // CHECK-NOT: paso.batch_norm
  // CHECK: return %[[C]]
  %w = paso.constant dense<2.0> : tensor<1x1x1x1xf32>
  %b = paso.constant dense<1.0> : tensor<1xf32>
  %scale = paso.constant dense<4.0> : tensor<1xf32>
  %beta = paso.constant dense<0.25> : tensor<1xf32>
  %mean = paso.constant dense<0.5> : tensor<1xf32>
  %var = paso.constant dense<3.0> : tensor<1xf32>
  %c = paso.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  %y = paso.batch_norm %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y : tensor<1x1x4x4xf32>
}

// -----

// A conv result used twice cannot change its weights: the norm becomes a
// scale (s = 1) and shift (0.25 - 0.5 = -0.25) instead.
// CHECK-LABEL: func @shared_conv
func.func @shared_conv(%x: tensor<1x1x4x4xf32>) -> (tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>) {
  // CHECK: %[[C:.*]] = paso.conv
  // CHECK-DAG: %[[S:.*]] = paso.constant dense<1.000000e+00> : tensor<1x1x1xf32>
  // CHECK-DAG: %[[T:.*]] = paso.constant dense<-2.500000e-01> : tensor<1x1x1xf32>
  // CHECK: %[[M:.*]] = paso.mul %[[C]], %[[S]]
  // CHECK: %[[A:.*]] = paso.add %[[M]], %[[T]]
  // CHECK: return %[[A]], %[[C]]
  %w = paso.constant dense<2.0> : tensor<1x1x1x1xf32>
  %scale = paso.constant dense<2.0> : tensor<1xf32>
  %beta = paso.constant dense<0.25> : tensor<1xf32>
  %mean = paso.constant dense<0.5> : tensor<1xf32>
  %var = paso.constant dense<3.0> : tensor<1xf32>
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<1x1x1x1xf32>) -> tensor<1x1x4x4xf32>
  %y = paso.batch_norm %c, %scale, %beta, %mean, %var {epsilon = 1.0 : f32} : (tensor<1x1x4x4xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x1x4x4xf32>
  return %y, %c : tensor<1x1x4x4xf32>, tensor<1x1x4x4xf32>
}

// -----

// Parameters known only at run time leave the norm alone.
// CHECK-LABEL: func @runtime_params
func.func @runtime_params(%x: tensor<1x2x4x4xf32>, %p: tensor<2xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: paso.batch_norm
  %y = paso.batch_norm %x, %p, %p, %p, %p {epsilon = 1.0e-5 : f32} : (tensor<1x2x4x4xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// A bias exported as an Add after a bias-less convolution folds into it
// (a per-channel constant, operands either way round).
// CHECK-LABEL: func @bias_add
// CHECK: %[[B:.*]] = paso.constant dense<[5.000000e-01, -1.000000e+00]> : tensor<2xf32>
// CHECK: %[[Y:.*]] = paso.conv %{{.*}}, %{{.*}}, %[[B]]
// CHECK-NOT: paso.add
// CHECK: return %[[Y]]
func.func @bias_add(%x: tensor<1x3x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = paso.constant dense<1.0> : tensor<2x3x1x1xf32>
  %b = paso.constant dense<[[[[0.5]], [[-1.0]]]]> : tensor<1x2x1x1xf32>
  %c = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = paso.add %b, %c : tensor<1x2x1x1xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

// Not a bias: the constant varies along the width, or the convolution's
// result is also read elsewhere.
// CHECK-LABEL: func @not_bias_add
// CHECK-COUNT-2: paso.add
func.func @not_bias_add(%x: tensor<1x3x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  %w = paso.constant dense<1.0> : tensor<2x3x1x1xf32>
  %row = paso.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %b = paso.constant dense<[[[[0.5]], [[-1.0]]]]> : tensor<1x2x1x1xf32>
  %c = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
  %y = paso.add %c, %row : tensor<1x2x4x4xf32>, tensor<4xf32> -> tensor<1x2x4x4xf32>
  %d = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x3x4x4xf32>, tensor<2x3x1x1xf32>) -> tensor<1x2x4x4xf32>
  %z = paso.add %d, %b : tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %y, %z, %d : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}
