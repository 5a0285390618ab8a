// Each reason a fusion is refused, reported with --paso-fuse-conv-epilogue
// {explain}; the IR keeps the unfused ops.
// RUN: paso-opt %s --split-input-file --paso-fuse-conv-epilogue="explain" --verify-diagnostics | FileCheck %s

// The conv's value is also returned: fusing would need it kept anyway.
// CHECK-LABEL: func @other_users
func.func @other_users(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) {
  // CHECK: paso.conv
  // CHECK: paso.relu
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @below {{not fused into the convolution: the convolution's result has other users}}
  %r = paso.relu %c : tensor<1x2x4x4xf32>
  return %r, %c : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>
}

// -----

// A second activation after a fused one.
// CHECK-LABEL: func @second_activation
func.func @second_activation(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: paso.fused_conv {{.*}}activation = "relu"
  // CHECK: paso.sigmoid
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = paso.relu %c : tensor<1x2x4x4xf32>
  // expected-remark @below {{not fused into the convolution: an activation is already fused}}
  %s = paso.sigmoid %r : tensor<1x2x4x4xf32>
  return %s : tensor<1x2x4x4xf32>
}

// -----

// An add after the activation would reorder relu(x) + y into relu(x + y).
// CHECK-LABEL: func @add_after_activation
func.func @add_after_activation(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %y: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: paso.fused_conv {{.*}}activation = "relu"
  // CHECK: paso.add
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = paso.relu %c : tensor<1x2x4x4xf32>
  // expected-remark @below {{not fused into the convolution: an add after the fused activation would change the order of operations}}
  %a = paso.add %r, %y : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}

// -----

// A residual that needs broadcasting is not the result's shape.
// CHECK-LABEL: func @broadcast_residual
func.func @broadcast_residual(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %row: tensor<4xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: paso.conv
  // CHECK: paso.add
  %c = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  // expected-remark @below {{not fused into the convolution: the other operand is neither a same-shaped tensor nor a per-channel constant}}
  %a = paso.add %c, %row : tensor<1x2x4x4xf32>, tensor<4xf32> -> tensor<1x2x4x4xf32>
  return %a : tensor<1x2x4x4xf32>
}
