// Quantised ops parse, verify and print back unchanged.
// RUN: paso-opt %s --split-input-file | paso-opt --split-input-file | FileCheck %s --enable-var-scope
// RUN: paso-opt %s --split-input-file --canonicalize | FileCheck %s --check-prefix=FOLD

!u8 = !quant.uniform<u8:f32, 0.02:128>
!i8w = !quant.uniform<i8:f32:0, {0.01, 0.02}>
!out = !quant.uniform<u8:f32, 0.05>

// A QDQ round trip: quantize and dequantize per tensor.
// CHECK-LABEL: func.func @round_trip
// CHECK: %[[Q:.*]] = paso.quantize %{{.*}} {element_type = !quant.uniform<u8:f32, 2.000000e-02:128>} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!quant.uniform<u8:f32, 2.000000e-02:128>>
// CHECK: paso.dequantize %[[Q]] : tensor<1x2x4x4x!quant.uniform<u8:f32, 2.000000e-02:128>> -> tensor<1x2x4x4xf32>
func.func @round_trip(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %q = paso.quantize %x {element_type = !u8} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!u8>
  %y = paso.dequantize %q : tensor<1x2x4x4x!u8> -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

!u8 = !quant.uniform<u8:f32, 0.02:128>
!i8w = !quant.uniform<i8:f32:0, {0.01, 0.02}>
!out = !quant.uniform<u8:f32, 0.05>

// A per-channel integer convolution with an int32 bias and ReLU, its
// weights reinterpreted from raw int8 storage.
// CHECK-LABEL: func.func @qconv
// CHECK: %[[W:.*]] = paso.storage_cast %{{.*}} : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!quant.uniform<i8:f32:0, {1.000000e-02,2.000000e-02}>>
// CHECK: paso.qconv %{{.*}}, %[[W]], %{{.*}} {activation = "relu", {{.*}}output_type = !quant.uniform<u8:f32, 5.000000e-02>{{.*}}} : (tensor<1x2x4x4x!quant.uniform<u8:f32, 2.000000e-02:128>>, tensor<2x2x3x3x!quant.uniform<i8:f32:0, {1.000000e-02,2.000000e-02}>>, tensor<2xi32>) -> tensor<1x2x4x4x!quant.uniform<u8:f32, 5.000000e-02>>
func.func @qconv(%x: tensor<1x2x4x4x!u8>, %w: tensor<2x2x3x3xi8>, %b: tensor<2xi32>) -> tensor<1x2x4x4x!out> {
  %wq = paso.storage_cast %w : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!i8w>
  %y = paso.qconv %x, %wq, %b {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !out, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!u8>, tensor<2x2x3x3x!i8w>, tensor<2xi32>) -> tensor<1x2x4x4x!out>
  return %y : tensor<1x2x4x4x!out>
}

// -----

!a = !quant.uniform<i8:f32, 0.05:2>
!b = !quant.uniform<i8:f32:1, {0.01, 0.02, 0.03}>
!y = !quant.uniform<i8:f32, 0.1:-3>

// An integer product with per-column weights and a clip.
// CHECK-LABEL: func.func @qmatmul
// CHECK: paso.qmatmul %{{.*}}, %{{.*}} {activation = "clip", activation_params = array<f64: 0.000000e+00, 6.000000e+00>, output_type = !quant.uniform<i8:f32, 1.000000e-01:-3>} : (tensor<4x16x!quant.uniform<i8:f32, 5.000000e-02:2>>, tensor<16x3x!quant.uniform<i8:f32:1, {1.000000e-02,2.000000e-02,3.000000e-02}>>) -> tensor<4x3x!quant.uniform<i8:f32, 1.000000e-01:-3>>
func.func @qmatmul(%a: tensor<4x16x!a>, %b: tensor<16x3x!b>) -> tensor<4x3x!y> {
  %y = paso.qmatmul %a, %b {activation = "clip", activation_params = array<f64: 0.0, 6.0>, output_type = !y} : (tensor<4x16x!a>, tensor<16x3x!b>) -> tensor<4x3x!y>
  return %y : tensor<4x3x!y>
}

// -----

// A storage cast of a storage cast back to the original type folds away.
// FOLD-LABEL: func.func @fold_casts
// FOLD-NEXT: return %arg0
func.func @fold_casts(%x: tensor<4xui8>) -> tensor<4xui8> {
  %q = paso.storage_cast %x : tensor<4xui8> -> tensor<4x!quant.uniform<u8:f32, 0.5:3>>
  %y = paso.storage_cast %q : tensor<4x!quant.uniform<u8:f32, 0.5:3>> -> tensor<4xui8>
  return %y : tensor<4xui8>
}

// -----

// quantize(dequantize(x)) into another type is one requantize; into the
// same type it is x.
// FOLD-LABEL: func.func @requantize
// FOLD-NEXT: %[[R:.*]] = paso.requantize %arg0 {element_type = !quant.uniform<i8:f32, 2.000000e-01:-3>} : tensor<4x!quant.uniform<u8:f32, 1.000000e-01:128>> -> tensor<4x!quant.uniform<i8:f32, 2.000000e-01:-3>>
// FOLD-NEXT: return %[[R]], %arg0
func.func @requantize(%x: tensor<4x!quant.uniform<u8:f32, 0.1:128>>) -> (tensor<4x!quant.uniform<i8:f32, 0.2:-3>>, tensor<4x!quant.uniform<u8:f32, 0.1:128>>) {
  %d = paso.dequantize %x : tensor<4x!quant.uniform<u8:f32, 0.1:128>> -> tensor<4xf32>
  %y = paso.quantize %d {element_type = !quant.uniform<i8:f32, 0.2:-3>} : tensor<4xf32> -> tensor<4x!quant.uniform<i8:f32, 0.2:-3>>
  %z = paso.quantize %d {element_type = !quant.uniform<u8:f32, 0.1:128>} : tensor<4xf32> -> tensor<4x!quant.uniform<u8:f32, 0.1:128>>
  return %y, %z : tensor<4x!quant.uniform<i8:f32, 0.2:-3>>, tensor<4x!quant.uniform<u8:f32, 0.1:128>>
}
