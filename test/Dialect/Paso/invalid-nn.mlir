// The verifier rejects NN ops whose shapes or attributes disagree.
// RUN: paso-opt %s --split-input-file --verify-diagnostics

// Channels must equal filter channels times group.
func.func @conv_channels(%x: tensor<1x8x16x16xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x14x14xf32> {
  // expected-error @below {{input has 8 channels but filter expects 3 x group 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x16x16xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x14x14xf32>
  return %0 : tensor<1x4x14x14xf32>
}

// -----

// One stride and dilation per spatial dim, two pads.
func.func @conv_attrs(%x: tensor<1x3x16x16xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x4x14x14xf32> {
  // expected-error @below {{expected 2 strides and dilations and 4 pads, got 1, 2 and 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.conv %x, %w {strides = array<i64: 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x16x16xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x14x14xf32>
  return %0 : tensor<1x4x14x14xf32>
}

// -----

// A bias must have one entry per output channel.
func.func @conv_bias(%x: tensor<1x3x16x16xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<5xf32>) -> tensor<1x4x14x14xf32> {
  // expected-error @below {{bias shape 5 does not match 4 output channels}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.conv %x, %w, %b {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x16x16xf32>, tensor<4x3x3x3xf32>, tensor<5xf32>) -> tensor<1x4x14x14xf32>
  return %0 : tensor<1x4x14x14xf32>
}

// -----

// A window larger than the padded input.
func.func @pool_too_big(%x: tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32> {
  // expected-error @below {{window of size 3 does not fit spatial dim 0 of size 2 with pads 0+0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.max_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x3x2x2xf32>) -> tensor<1x3x1x1xf32>
  return %0 : tensor<1x3x1x1xf32>
}

// -----

// Batch-norm parameters are per channel.
func.func @bn_params(%x: tensor<1x4x8x8xf32>, %c: tensor<3xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @below {{per-channel operand of shape 3 does not match 4 channels}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.batch_norm %x, %c, %c, %c, %c {epsilon = 1.0e-5 : f32} : (tensor<1x4x8x8xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Layer-norm scale must broadcast onto the normalised dims.
func.func @ln_scale(%x: tensor<2x16x64xf32>, %g: tensor<32xf32>) -> tensor<2x16x64xf32> {
  // expected-error @below {{scale shape 32 does not broadcast to the normalised shape 64}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.layer_norm %x, %g {axis = 2 : i64, epsilon = 1.0e-5 : f32} : (tensor<2x16x64xf32>, tensor<32xf32>) -> tensor<2x16x64xf32>
  return %0 : tensor<2x16x64xf32>
}

// -----

// Softmax axis out of range.
func.func @softmax_axis(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  // expected-error @below {{axis 2 is out of range for rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.softmax %x {axis = 2 : i64} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

// MatMul contracting dims must agree.
func.func @matmul_k(%a: tensor<4x8xf32>, %b: tensor<7x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{contracting dims differ: 4x8 x 7x2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.matmul %a, %b : (tensor<4x8xf32>, tensor<7x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// Gemm needs matrices.
func.func @gemm_rank(%a: tensor<2x4x8xf32>, %b: tensor<8x2xf32>) -> tensor<4x2xf32> {
  // expected-error @below {{A and B must be matrices, got 2x4x8 and 8x2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.gemm %a, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<2x4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// Activation names and their parameter counts are checked.
func.func @fused_activation(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @below {{activation 'clip' takes 2 parameters, got 1}}
  %0 = paso.fused_conv %x, %w {activation = "clip", activation_params = array<f64: 6.0>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @fused_unknown(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @below {{unknown activation 'swish'}}
  %0 = paso.fused_conv %x, %w {activation = "swish", strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// The residual has the result's type.
func.func @fused_residual(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %r: tensor<1x2x4x1xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @below {{residual type does not match the result}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.fused_conv %x, %w residual(%r : tensor<1x2x4x1xf32>) {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// The fused matmul's bias is one value per output column.
func.func @fused_matmul_bias(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>, %b: tensor<8xf32>) -> tensor<4x16xf32> {
  // expected-error @below {{bias shape 8 is not [16]}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.fused_matmul %x, %w bias(%b : tensor<8xf32>) {trans_rhs = false} : tensor<4x8xf32>, tensor<8x16xf32> -> tensor<4x16xf32>
  return %0 : tensor<4x16xf32>
}
