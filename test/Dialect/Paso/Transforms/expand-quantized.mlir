// paso-expand-quantized runs integer ops in float between dequantize and
// quantize, with the int32 bias dequantised at input x weight scale.
// RUN: paso-opt %s --split-input-file --paso-expand-quantized | FileCheck %s --enable-var-scope

!u8 = !quant.uniform<u8:f32, 0.5:128>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
!out = !quant.uniform<u8:f32, 0.0625>

// A per-channel convolution with bias and ReLU: the bias factors are
// 0.5 x 0.25 and 0.5 x 0.125.
// CHECK-LABEL: func.func @qconv
// CHECK-DAG: %[[X:.*]] = paso.dequantize %arg0
// CHECK-DAG: %[[W:.*]] = paso.dequantize %arg1
// CHECK-DAG: %[[BQ:.*]] = paso.storage_cast %arg2 : tensor<2xi32> -> tensor<2x!quant.uniform<i32:f32:0, {1.250000e-01,6.250000e-02}>>
// CHECK-DAG: %[[B:.*]] = paso.dequantize %[[BQ]]
// CHECK: %[[C:.*]] = paso.conv %[[X]], %[[W]], %[[B]]
// CHECK: %[[R:.*]] = paso.relu %[[C]]
// CHECK: paso.quantize %[[R]] {element_type = !quant.uniform<u8:f32, 6.250000e-02>}
func.func @qconv(%x: tensor<1x2x4x4x!u8>, %w: tensor<2x2x3x3x!w>, %b: tensor<2xi32>) -> tensor<1x2x4x4x!out> {
  %y = paso.qconv %x, %w, %b {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !out, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!u8>, tensor<2x2x3x3x!w>, tensor<2xi32>) -> tensor<1x2x4x4x!out>
  return %y : tensor<1x2x4x4x!out>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:2>
!b = !quant.uniform<i8:f32, 0.25>
!y = !quant.uniform<i8:f32, 0.1:-3>

// A product with a clip becomes matmul then clip then quantize.
// CHECK-LABEL: func.func @qmatmul
// CHECK: %[[M:.*]] = paso.matmul
// CHECK: %[[C:.*]] = paso.clip %[[M]] {max = 6.000000e+00 : f64, min = 0.000000e+00 : f64}
// CHECK: paso.quantize %[[C]]
func.func @qmatmul(%a: tensor<4x16x!a>, %b: tensor<16x3x!b>) -> tensor<4x3x!y> {
  %y = paso.qmatmul %a, %b {activation = "clip", activation_params = array<f64: 0.0, 6.0>, output_type = !y} : (tensor<4x16x!a>, tensor<16x3x!b>) -> tensor<4x3x!y>
  return %y : tensor<4x3x!y>
}
