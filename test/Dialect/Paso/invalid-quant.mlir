// The verifier rejects quantised types and ops that cannot mean anything.
// RUN: paso-opt %s --split-input-file --verify-diagnostics

// A zero point outside the storage range.
func.func @zero_point_range(%x: tensor<4xf32>) -> tensor<4x!quant.uniform<i8<-100:100>:f32, 0.5:120>> {
  // expected-error @below {{zero point 120 outside its storage range [-100, 100]}}
  // expected-error @below {{failed to infer returned types}}
  %q = paso.quantize %x {element_type = !quant.uniform<i8<-100:100>:f32, 0.5:120>} : tensor<4xf32> -> tensor<4x!quant.uniform<i8<-100:100>:f32, 0.5:120>>
  return %q : tensor<4x!quant.uniform<i8<-100:100>:f32, 0.5:120>>
}

// -----

// Per-axis quantisation of a dim the tensor does not have.
func.func @missing_axis(%x: tensor<4xi8>) -> tensor<4x!quant.uniform<i8:f32:2, {0.5, 0.5, 0.5, 0.5}>> {
  // expected-error @below {{quantises dim 2 of a rank-1 tensor}}
  %q = paso.storage_cast %x : tensor<4xi8> -> tensor<4x!quant.uniform<i8:f32:2, {0.5, 0.5, 0.5, 0.5}>>
  return %q : tensor<4x!quant.uniform<i8:f32:2, {0.5, 0.5, 0.5, 0.5}>>
}

// -----

// One scale per index of the quantised dim.
func.func @scale_count(%x: tensor<4x2xi8>) -> tensor<4x2x!quant.uniform<i8:f32:0, {0.5, 0.5}>> {
  // expected-error @below {{has 2 scales for dim 0 of size 4}}
  %q = paso.storage_cast %x : tensor<4x2xi8> -> tensor<4x2x!quant.uniform<i8:f32:0, {0.5, 0.5}>>
  return %q : tensor<4x2x!quant.uniform<i8:f32:0, {0.5, 0.5}>>
}

// -----

// Unsigned storage is ui8 on the integer side, as ONNX uint8 imports.
func.func @storage_sign(%x: tensor<4xi8>) -> tensor<4x!quant.uniform<u8:f32, 0.5:3>> {
  // expected-error @below {{integer side must be 'ui8'}}
  %q = paso.storage_cast %x : tensor<4xi8> -> tensor<4x!quant.uniform<u8:f32, 0.5:3>>
  return %q : tensor<4x!quant.uniform<u8:f32, 0.5:3>>
}

// -----

// An integer convolution needs a per-tensor quantised input.
func.func @per_axis_input(%x: tensor<1x2x4x4x!quant.uniform<u8:f32:1, {0.1, 0.2}>>, %w: tensor<2x2x1x1x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>> {
  // expected-error @below {{input must be quantised per tensor}}
  %y = paso.qconv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !quant.uniform<u8:f32, 0.1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!quant.uniform<u8:f32:1, {0.1, 0.2}>>, tensor<2x2x1x1x!quant.uniform<i8:f32, 0.1>>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>>
  return %y : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>>
}

// -----

// Filters are quantised per output channel (dim 0), not along another dim.
func.func @filter_axis(%x: tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>>, %w: tensor<2x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>> {
  // expected-error @below {{weights must be quantised per tensor or along dim 0, not dim 1}}
  %y = paso.qconv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !quant.uniform<u8:f32, 0.1>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>>, tensor<2x2x1x1x!quant.uniform<i8:f32:1, {0.1, 0.2}>>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>>
  return %y : tensor<1x2x4x4x!quant.uniform<u8:f32, 0.1>>
}

// -----

// Only clamp-like activations fold into the requantisation.
func.func @activation(%a: tensor<4x2x!quant.uniform<i8:f32, 0.1>>, %b: tensor<2x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x3x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @below {{activation 'sigmoid' is not none, relu or clip}}
  %y = paso.qmatmul %a, %b {activation = "sigmoid", output_type = !quant.uniform<i8:f32, 0.1>} : (tensor<4x2x!quant.uniform<i8:f32, 0.1>>, tensor<2x3x!quant.uniform<i8:f32, 0.1>>) -> tensor<4x3x!quant.uniform<i8:f32, 0.1>>
  return %y : tensor<4x3x!quant.uniform<i8:f32, 0.1>>
}

// -----

// requantize maps per-tensor types to per-tensor types.
func.func @requantize_per_axis(%x: tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>>) -> tensor<2x!quant.uniform<i8:f32, 0.1>> {
  // expected-error @below {{requantize takes and gives per-tensor !quant.uniform types}}
  // expected-error @below {{failed to infer returned types}}
  %y = paso.requantize %x {element_type = !quant.uniform<i8:f32, 0.1>} : tensor<2x!quant.uniform<i8:f32:0, {0.1, 0.2}>> -> tensor<2x!quant.uniform<i8:f32, 0.1>>
  return %y : tensor<2x!quant.uniform<i8:f32, 0.1>>
}
