// The verifier rejects data-movement ops that cannot mean anything.
// RUN: paso-opt %s --split-input-file --verify-diagnostics

// Reshape must keep the element count.
func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @below {{cannot reshape 2x3 (6 elements) to 7 (7 elements)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.reshape %x {shape = array<i64: 7>} : (tensor<2x3xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

// Reshape shapes are fully resolved.
func.func @reshape_unresolved(%x: tensor<2x3xf32>) -> tensor<6xf32> {
  // expected-error @below {{shape -1 must be fully resolved (no -1)}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.reshape %x {shape = array<i64: -1>} : (tensor<2x3xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// Transpose needs a permutation.
func.func @transpose_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @below {{perm 1x1 is not a permutation of rank 2}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.transpose %x {perm = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// Concat inputs agree outside the axis.
func.func @concat_dims(%x: tensor<1x4x8xf32>, %y: tensor<1x4x9xf32>) -> tensor<1x8x8xf32> {
  // expected-error @below {{input shapes 1x4x8 and 1x4x9 differ outside axis 1}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.concat %x, %y {axis = 1 : i64} : (tensor<1x4x8xf32>, tensor<1x4x9xf32>) -> tensor<1x8x8xf32>
  return %0 : tensor<1x8x8xf32>
}

// -----

// Split sizes cover the dim exactly.
func.func @split_sizes(%x: tensor<8xf32>) -> tensor<4xf32> {
  // expected-error @below {{split sizes sum to 7 but dim 0 is 8}}
  // expected-error @below {{failed to infer returned types}}
  %0:2 = paso.split %x {axis = 0 : i64, sizes = array<i64: 4, 3>} : (tensor<8xf32>) -> (tensor<4xf32>, tensor<3xf32>)
  return %0#0 : tensor<4xf32>
}

// -----

// Slice bounds must be normalised and steps non-zero.
func.func @slice_bounds(%x: tensor<8xf32>) -> tensor<2xf32> {
  // expected-error @below {{bounds [0, 9) with step 1 are not normalised for dim 0 of size 8}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.slice %x {starts = array<i64: 0>, ends = array<i64: 9>, steps = array<i64: 1>} : (tensor<8xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @slice_step(%x: tensor<8xf32>) -> tensor<2xf32> {
  // expected-error @below {{step of dim 0 is 0}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.slice %x {starts = array<i64: 0>, ends = array<i64: 2>, steps = array<i64: 0>} : (tensor<8xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Gather indices are integers.
func.func @gather_indices(%x: tensor<8xf32>, %i: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error @below {{operand #1 must be ranked tensor of 32-bit signless integer or 64-bit signless integer values}}
  %0 = paso.gather %x, %i {axis = 0 : i64} : (tensor<8xf32>, tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Pad modes are constant, reflect or edge.
func.func @pad_mode(%x: tensor<4xf32>) -> tensor<6xf32> {
  // expected-error @below {{mode must be constant, reflect or edge, got 'wrap'}}
  %0 = paso.pad %x {pads = array<i64: 1, 1>, mode = "wrap", value = 0.0 : f64} : (tensor<4xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

// Resize modes are nearest or linear.
func.func @resize_mode(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32> {
  // expected-error @below {{mode must be nearest or linear, got 'cubic'}}
  %0 = paso.resize %x {sizes = array<i64: 1, 1, 8, 8>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "cubic", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : (tensor<1x1x4x4xf32>) -> tensor<1x1x8x8xf32>
  return %0 : tensor<1x1x8x8xf32>
}

// -----

// Reduction axes are sorted and unique.
func.func @reduce_axes(%x: tensor<2x3x4xf32>) -> tensor<2xf32> {
  // expected-error @below {{axes must be sorted and unique}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.reduce_sum %x {axes = array<i64: 2, 1>, keepdims = false} : (tensor<2x3x4xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

// Expand needs broadcast-compatible shapes.
func.func @broadcast_shape(%x: tensor<3xf32>) -> tensor<4xf32> {
  // expected-error @below {{cannot broadcast 3 to 4}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.broadcast_to %x {shape = array<i64: 4>} : (tensor<3xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// GatherElements indices have data's rank.
func.func @gather_elements_rank(%x: tensor<2x8xf32>, %i: tensor<3xi64>) -> tensor<3xf32> {
  // expected-error @below {{indices must have the rank of data}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.gather_elements %x, %i {axis = 0 : i64} : (tensor<2x8xf32>, tensor<3xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// GatherND tuples cannot index past data's rank.
func.func @gather_nd_tuple(%x: tensor<4x5xf32>, %i: tensor<3x3xi64>) -> tensor<3xf32> {
  // expected-error @below {{the index tuples are longer than data's rank after the batch dims}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.gather_nd %x, %i {batch_dims = 0 : i64} : (tensor<4x5xf32>, tensor<3x3xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// GatherND batch dims must agree.
func.func @gather_nd_batch(%x: tensor<2x5xf32>, %i: tensor<3x1xi64>) -> tensor<3xf32> {
  // expected-error @below {{data and indices differ in the batch dims}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.gather_nd %x, %i {batch_dims = 1 : i64} : (tensor<2x5xf32>, tensor<3x1xi64>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// GridSample modes are ONNX's.
func.func @grid_sample_mode(%x: tensor<1x2x4x4xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  // expected-error @below {{mode must be linear, nearest or cubic, got 'bilinear'}}
  %0 = paso.grid_sample %x, %g {align_corners = false, mode = "bilinear", padding_mode = "zeros"} : (tensor<1x2x4x4xf32>, tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// The grid holds (x, y) pairs.
func.func @grid_sample_grid(%x: tensor<1x2x4x4xf32>, %g: tensor<1x3x3x3xf32>) -> tensor<1x2x3x3xf32> {
  // expected-error @below {{grid_sample needs an N x C x H x W input and an N x Ho x Wo x 2 grid}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.grid_sample %x, %g {align_corners = false, mode = "linear", padding_mode = "zeros"} : (tensor<1x2x4x4xf32>, tensor<1x3x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

func.func @preprocess_frame_shape(%f: tensor<48x64x4xui8>) -> tensor<1x3x24x32xf32> {
  // expected-error @+1 {{an rgb frame is H x W x 3, got 'tensor<48x64x4xui8>'}}
  %y = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x4xui8>) -> tensor<1x3x24x32xf32>
  return %y : tensor<1x3x24x32xf32>
}

// -----

func.func @preprocess_nv12_shape(%f: tensor<50x64xui8>) -> tensor<1x3x24x32xf32> {
  // expected-error @+1 {{an nv12 frame is (3H/2) x W with H and W even}}
  %y = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "nv12", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<50x64xui8>) -> tensor<1x3x24x32xf32>
  return %y : tensor<1x3x24x32xf32>
}

// -----

func.func @preprocess_channel_map(%f: tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32> {
  // expected-error @+1 {{channel_map entry 3 is not a component of a rgb pixel}}
  %y = paso.preprocess %f {channel_map = array<i64: 0, 1, 3>, format = "rgb", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  return %y : tensor<1x3x24x32xf32>
}

// -----

func.func @preprocess_std(%f: tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32> {
  // expected-error @+1 {{std values must be positive}}
  %y = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, -1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  return %y : tensor<1x3x24x32xf32>
}

// -----

func.func @preprocess_no_resize(%f: tensor<48x64x3xui8>) -> tensor<1x24x32x3xf32> {
  // expected-error @+1 {{resize = "none" needs a 32x24 frame, got 64x48}}
  %y = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "nhwc", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "none", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x24x32x3xf32>
  return %y : tensor<1x24x32x3xf32>
}

// -----

func.func @preprocess_layout(%f: tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32> {
  // expected-error @+1 {{layout must be nchw or nhwc, got 'chw'}}
  %y = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "chw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  return %y : tensor<1x3x24x32xf32>
}
