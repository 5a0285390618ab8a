// Round-trip of the elementwise family, in custom and generic form.
// RUN: paso-opt %s --split-input-file | FileCheck %s
// RUN: paso-opt %s --split-input-file --mlir-print-op-generic | paso-opt --split-input-file | FileCheck %s

// Unary ops keep the operand type.
// CHECK-LABEL: func @unary
func.func @unary(%x: tensor<2x3xf32>, %i: tensor<4xi64>, %b: tensor<4xi1>) -> (tensor<2x3xf32>, tensor<4xi64>, tensor<4xi1>) {
  // CHECK: %[[R:.*]] = paso.relu %{{.*}} : tensor<2x3xf32>
  // CHECK: %[[S:.*]] = paso.sigmoid %[[R]] : tensor<2x3xf32>
  // CHECK: %[[E:.*]] = paso.erf %[[S]] : tensor<2x3xf32>
  // CHECK: %[[H:.*]] = paso.hard_swish %[[E]] : tensor<2x3xf32>
  // CHECK: paso.neg %{{.*}} : tensor<4xi64>
  // CHECK: paso.not %{{.*}} : tensor<4xi1>
  %0 = paso.relu %x : tensor<2x3xf32>
  %1 = paso.sigmoid %0 : tensor<2x3xf32>
  %2 = paso.erf %1 : tensor<2x3xf32>
  %3 = paso.hard_swish %2 : tensor<2x3xf32>
  %4 = paso.neg %i : tensor<4xi64>
  %5 = paso.not %b : tensor<4xi1>
  return %3, %4, %5 : tensor<2x3xf32>, tensor<4xi64>, tensor<4xi1>
}

// -----

// Parameterised activations carry their ONNX parameters.
// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<8xf32>) -> tensor<8xf32> {
  // CHECK: paso.leaky_relu %{{.*}} {alpha = 1.000000e-01 : f32} : tensor<8xf32>
  // CHECK: paso.hard_sigmoid %{{.*}} {alpha = 2.000000e-01 : f32, beta = 5.000000e-01 : f32}
  // CHECK: paso.clip %{{.*}} {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
  // CHECK: paso.clip %{{.*}} {min = 0.000000e+00 : f64} : tensor<8xf32>
  // CHECK: paso.gelu %{{.*}} {tanh_approximation = true}
  %0 = paso.leaky_relu %x {alpha = 0.1 : f32} : tensor<8xf32>
  %1 = paso.hard_sigmoid %0 {alpha = 0.2 : f32, beta = 0.5 : f32} : tensor<8xf32>
  %2 = paso.clip %1 {min = 0.0 : f64, max = 6.0 : f64} : tensor<8xf32>
  %3 = paso.clip %2 {min = 0.0 : f64} : tensor<8xf32>
  %4 = paso.gelu %3 {tanh_approximation = true} : tensor<8xf32>
  return %4 : tensor<8xf32>
}

// -----

// Binary ops broadcast numpy-style; comparisons return i1.
// CHECK-LABEL: func @binary
func.func @binary(%a: tensor<2x1x4xf32>, %b: tensor<3x1xf32>, %c: tensor<4xi1>) -> (tensor<2x3x4xf32>, tensor<2x3x4xi1>, tensor<4xi1>) {
  // CHECK: paso.add %{{.*}}, %{{.*}} : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  // CHECK: paso.less %{{.*}}, %{{.*}} : tensor<2x3x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xi1>
  // CHECK: paso.xor
  %0 = paso.add %a, %b : tensor<2x1x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xf32>
  %1 = paso.less %0, %b : tensor<2x3x4xf32>, tensor<3x1xf32> -> tensor<2x3x4xi1>
  %2 = paso.xor %c, %c : tensor<4xi1>, tensor<4xi1> -> tensor<4xi1>
  return %0, %1, %2 : tensor<2x3x4xf32>, tensor<2x3x4xi1>, tensor<4xi1>
}

// -----

// Pow accepts an exponent of another numeric type; where broadcasts three ways.
// CHECK-LABEL: func @pow_where
func.func @pow_where(%x: tensor<4xf32>, %e: tensor<i64>, %c: tensor<1xi1>) -> tensor<4xf32> {
  // CHECK: paso.pow %{{.*}}, %{{.*}} : tensor<4xf32>, tensor<i64> -> tensor<4xf32>
  // CHECK: paso.where %{{.*}}, %{{.*}}, %{{.*}} : tensor<1xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %0 = paso.pow %x, %e : tensor<4xf32>, tensor<i64> -> tensor<4xf32>
  %1 = paso.where %c, %0, %x : tensor<1xi1>, tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Cast changes only the element type.
// CHECK-LABEL: func @cast
func.func @cast(%x: tensor<2x3xf32>) -> tensor<2x3xi64> {
  // CHECK: paso.cast %{{.*}} {to = i64} : tensor<2x3xf32> -> tensor<2x3xi64>
  %0 = paso.cast %x {to = i64} : tensor<2x3xf32> -> tensor<2x3xi64>
  return %0 : tensor<2x3xi64>
}

// -----

// Rounding, remainders, shifts and the inverse/hyperbolic functions.
// CHECK-LABEL: func @arith_extras
func.func @arith_extras(%x: tensor<4xf32>, %a: tensor<4xi32>, %s: tensor<4xui8>) -> (tensor<4xf32>, tensor<4xi32>, tensor<4xi32>, tensor<4xui8>, tensor<4xf32>) {
  // CHECK: paso.round %{{.*}} : tensor<4xf32>
  // CHECK: paso.mod %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // CHECK: paso.fmod %{{.*}}, %{{.*}} : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  // CHECK: paso.shift_right %{{.*}}, %{{.*}} : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  // CHECK: paso.atanh %{{.*}} : tensor<4xf32>
  %0 = paso.round %x : tensor<4xf32>
  %1 = paso.mod %a, %a : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %2 = paso.fmod %a, %a : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %3 = paso.shift_right %s, %s : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  %4 = paso.atanh %x : tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xi32>, tensor<4xi32>, tensor<4xui8>, tensor<4xf32>
}
