// The verifier rejects elementwise ops that cannot mean anything.
// RUN: paso-opt %s --split-input-file --verify-diagnostics

// A declared result that disagrees with broadcasting.
func.func @wrong_result(%x: tensor<2x3xf32>) -> tensor<2x4xf32> {
  // expected-error @below {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.add %x, %x : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

// Shapes that do not broadcast.
func.func @no_broadcast(%x: tensor<2x3xf32>, %y: tensor<4x5xf32>) -> tensor<2x3xf32> {
  // expected-error @below {{operand shapes 2x3 and 4x5 do not broadcast}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.mul %x, %y : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// Arithmetic needs equal element types.
func.func @mixed_types(%x: tensor<4xf32>, %y: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @below {{operand element types differ}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.sub %x, %y : tensor<4xf32>, tensor<4xi64> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Float activations reject integer tensors.
func.func @int_relu(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @below {{operand #0 must be ranked tensor of floating-point values}}
  %0 = paso.relu %x : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Clip bounds must be ordered.
func.func @clip_bounds(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @below {{min 6.000000e+00 is greater than max 0.000000e+00}}
  %0 = paso.clip %x {min = 6.0 : f64, max = 0.0 : f64} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Where needs matching value types.
func.func @where_types(%c: tensor<4xi1>, %x: tensor<4xf32>, %y: tensor<4xf16>) -> tensor<4xf32> {
  // expected-error @below {{x and y element types differ}}
  // expected-error @below {{failed to infer returned types}}
  %0 = paso.where %c, %x, %y : tensor<4xi1>, tensor<4xf32>, tensor<4xf16> -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
