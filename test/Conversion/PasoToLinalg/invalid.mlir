// Ops the CPU back end cannot lower are reported at the op, not crashed on.
// RUN: paso-opt %s --split-input-file --paso-convert-to-linalg --verify-diagnostics

// 1-D convolution.
func.func @conv1d(%x: tensor<1x3x8xf32>, %w: tensor<4x3x3xf32>) -> tensor<1x4x6xf32> {
  // expected-error @below {{the CPU back end supports only statically shaped 2-D (NCHW or NHWC) convolution and pooling, got 'tensor<1x3x8xf32>'}}
  // expected-error @below {{failed to legalize operation 'paso.conv'}}
  %0 = paso.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0>, dilations = array<i64: 1>, group = 1 : i64} : (tensor<1x3x8xf32>, tensor<4x3x3xf32>) -> tensor<1x4x6xf32>
  return %0 : tensor<1x4x6xf32>
}

// -----

// Unsigned reductions (elementwise ops on unsigned types do lower).
func.func @unsigned(%x: tensor<4xui8>) -> tensor<1xui8> {
  // expected-error @below {{unsigned element type 'ui8' is not supported by the CPU back end yet}}
  // expected-error @below {{failed to legalize operation 'paso.reduce_sum'}}
  %0 = paso.reduce_sum %x {axes = array<i64: 0>, keepdims = true} : (tensor<4xui8>) -> tensor<1xui8>
  return %0 : tensor<1xui8>
}
