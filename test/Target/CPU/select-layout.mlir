// The layout pass: convolutions and poolings become channels-last, filters
// are permuted at compile time, and only the model boundary keeps a
// transpose; grouped and non-2-D convolutions stay NCHW; `auto` follows the
// cost model.
// RUN: paso-opt %s --split-input-file --paso-select-cpu-layout="target=x86-64-avx2 layout=nhwc" | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-select-cpu-layout="target=x86-64-avx2 layout=nchw" | FileCheck %s --check-prefix=NCHW
// RUN: paso-opt %s --split-input-file --paso-select-cpu-layout="target=x86-64-avx2" | FileCheck %s --check-prefix=AUTO
// RUN: not paso-opt %s --split-input-file --paso-select-cpu-layout="layout=nhcw" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: unknown layout 'nhcw'; expected auto, nchw or nhwc

// conv -> relu -> max pool -> conv (+ residual) -> global pool -> flatten:
// one transpose at the input, none inside; the filters are [M, KH, KW, C].
// CHECK-LABEL: module attributes {paso.layout = "NHWC (forced by layout=nhwc)"
// CHECK-LABEL: func @cnn
// CHECK-DAG: paso.constant dense_resource<permuted{{.*}}> : tensor<8x3x3x4xf32>
// CHECK-DAG: paso.constant dense_resource<permuted{{.*}}> : tensor<8x1x1x8xf32>
// CHECK: %[[IN:.*]] = paso.transpose %arg0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x8x8x4xf32>
// CHECK: %[[C1:.*]] = paso.conv %[[IN]], {{.*}} {channels_last = true, {{.*}}} : (tensor<1x8x8x4xf32>, tensor<8x3x3x4xf32>) -> tensor<1x8x8x8xf32>
// CHECK: %[[R:.*]] = paso.relu %[[C1]] : tensor<1x8x8x8xf32>
// CHECK: %[[P:.*]] = paso.max_pool %[[R]] {ceil_mode = false, channels_last = true, {{.*}}} : (tensor<1x8x8x8xf32>) -> tensor<1x4x4x8xf32>
// CHECK: %[[C2:.*]] = paso.fused_conv %[[P]], {{.*}} residual(%[[P]] : tensor<1x4x4x8xf32>) {activation = "relu", channels_last = true, {{.*}}} : tensor<1x4x4x8xf32>, tensor<8x1x1x8xf32> -> tensor<1x4x4x8xf32>
// CHECK: %[[M:.*]] = paso.reduce_mean %[[C2]] {axes = array<i64: 1, 2>, keepdims = true}
// CHECK: %[[F:.*]] = paso.reshape %[[M]] {shape = array<i64: 1, 8>} : (tensor<1x1x1x8xf32>) -> tensor<1x8xf32>
// CHECK-NOT: paso.transpose
// CHECK: return %[[F]]
// NCHW-LABEL: module attributes {paso.layout = "NCHW (forced by layout=nchw)"
// NCHW-NOT: channels_last
// NCHW-NOT: paso.transpose
func.func @cnn(%x: tensor<1x4x8x8xf32>) -> tensor<1x8xf32> {
  %w1 = paso.constant dense<0.5> : tensor<8x4x3x3xf32>
  %w2 = paso.constant dense<0.25> : tensor<8x8x1x1xf32>
  %0 = paso.conv %x, %w1 {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) -> tensor<1x8x8x8xf32>
  %1 = paso.relu %0 : tensor<1x8x8x8xf32>
  %2 = paso.max_pool %1 {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>) -> tensor<1x8x4x4xf32>
  %3 = paso.fused_conv %2, %w2 residual(%2 : tensor<1x8x4x4xf32>) {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32> -> tensor<1x8x4x4xf32>
  %4 = paso.reduce_mean %3 {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x8x4x4xf32>) -> tensor<1x8x1x1xf32>
  %5 = paso.reshape %4 {shape = array<i64: 1, 8>} : (tensor<1x8x1x1xf32>) -> tensor<1x8xf32>
  return %5 : tensor<1x8xf32>
}

// -----

// A depthwise filter [C, 1, KH, KW] becomes [C, KH, KW, 1]: moving the
// unit dim keeps the values in order (0.0, 1.0, 2.0, ... as f32 bits).
// CHECK-LABEL: func @depthwise
// CHECK: paso.constant dense_resource<[[DW:permuted.*]]> : tensor<2x3x3x1xf32>
// CHECK: paso.conv {{.*}} {channels_last = true, {{.*}} group = 2 : i64{{.*}}} : (tensor<1x5x5x2xf32>, tensor<2x3x3x1xf32>) -> tensor<1x5x5x2xf32>
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 3, 1, 2>}
// CHECK: [[DW]]: "0x10000000000000000000803F0000004000004040
func.func @depthwise(%x: tensor<1x2x5x5xf32>) -> tensor<1x2x5x5xf32> {
  %w = paso.constant dense<[[[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]]], [[[9.0, 10.0, 11.0], [12.0, 13.0, 14.0], [15.0, 16.0, 17.0]]]]> : tensor<2x1x3x3xf32>
  %0 = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x5x5xf32>, tensor<2x1x3x3xf32>) -> tensor<1x2x5x5xf32>
  return %0 : tensor<1x2x5x5xf32>
}

// -----

// Refused: a grouped convolution that is not depthwise (the NHWC kernels
// and lowering take ungrouped and depthwise ones) and a 1-D convolution
// stay NCHW, untouched.
// CHECK-LABEL: module attributes {paso.layout = "NCHW (no convolution or pooling the NHWC kernels take)"
// CHECK-LABEL: func @stays_nchw
// CHECK-NOT: channels_last
// CHECK-NOT: paso.transpose
// CHECK: return
func.func @stays_nchw(%x: tensor<1x4x6x6xf32>, %y: tensor<1x4x8xf32>) -> (tensor<1x4x6x6xf32>, tensor<1x4x8xf32>) {
  %w = paso.constant dense<1.0> : tensor<4x2x3x3xf32>
  %w1 = paso.constant dense<1.0> : tensor<4x4x3xf32>
  %0 = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 2 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x4x6x6xf32>, tensor<4x2x3x3xf32>) -> tensor<1x4x6x6xf32>
  %1 = paso.conv %y, %w1 {dilations = array<i64: 1>, group = 1 : i64, pads = array<i64: 1, 1>, strides = array<i64: 1>} : (tensor<1x4x8xf32>, tensor<4x4x3xf32>) -> tensor<1x4x8xf32>
  return %0, %1 : tensor<1x4x6x6xf32>, tensor<1x4x8xf32>
}

// -----

// auto: on a 7x7 map with 64 channels the NCHW products leave most of
// their vector lanes empty (49 pixels), so the cost model takes NHWC.
// AUTO-LABEL: module attributes {paso.layout = "NHWC (cost model: {{.*}} ms in NCHW, {{.*}} ms in NHWC over 1 convolutions and poolings)"
// AUTO: channels_last = true
func.func @small_map(%x: tensor<1x64x7x7xf32>) -> tensor<1x64x7x7xf32> {
  %w = paso.constant dense<0.5> : tensor<64x64x1x1xf32>
  %0 = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x64x7x7xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x7x7xf32>
  return %0 : tensor<1x64x7x7xf32>
}

// -----

!u8 = !quant.uniform<u8:f32, 2.0e-02:128>
!i8w = !quant.uniform<i8:f32:0, {1.0e-02, 2.0e-02}>
!out = !quant.uniform<u8:f32, 5.0e-02>

// auto, with an integer convolution in the graph: the cost model weighs
// it with the int8 kernels' predictions (predictIntegerConvolutionSeconds)
// and the float one with the float kernels'; both go NHWC together. Its
// quantised input is transposed as storage bytes (the transpose lowering
// takes integers).
// AUTO-LABEL: module attributes {paso.layout = "NHWC (cost model: {{.*}} over 2 convolutions and poolings, 1 of them int8)"
// AUTO: func @with_integer_conv
// AUTO: %[[B:.*]] = paso.storage_cast %arg1 : tensor<1x2x4x4x!quant.uniform<u8:f32, 2.000000e-02:128>> -> tensor<1x2x4x4xui8>
// AUTO: %[[T:.*]] = paso.transpose %[[B]] {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xui8>) -> tensor<1x4x4x2xui8>
// AUTO: %[[Q:.*]] = paso.storage_cast %[[T]] : tensor<1x4x4x2xui8> -> tensor<1x4x4x2x!quant.uniform<u8:f32, 2.000000e-02:128>>
// AUTO: paso.qconv %[[Q]], {{.*}} {activation = "relu", channels_last = true
func.func @with_integer_conv(%x: tensor<1x64x7x7xf32>, %q: tensor<1x2x4x4x!u8>, %w8: tensor<2x2x3x3xi8>, %b: tensor<2xi32>) -> (tensor<1x64x7x7xf32>, tensor<1x2x4x4x!out>) {
  %w = paso.constant dense<0.5> : tensor<64x64x1x1xf32>
  %0 = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x64x7x7xf32>, tensor<64x64x1x1xf32>) -> tensor<1x64x7x7xf32>
  %wq = paso.storage_cast %w8 : tensor<2x2x3x3xi8> -> tensor<2x2x3x3x!i8w>
  %1 = paso.qconv %q, %wq, %b {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !out, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!u8>, tensor<2x2x3x3x!i8w>, tensor<2xi32>) -> tensor<1x2x4x4x!out>
  return %0, %1 : tensor<1x64x7x7xf32>, tensor<1x2x4x4x!out>
}

// -----

!u8 = !quant.uniform<u8:f32, 2.0e-02:128>
!i8w = !quant.uniform<i8:f32:0, {1.0e-02, 2.0e-02}>
!a = !quant.uniform<u8:f32, 5.0e-02:3>
!s = !quant.uniform<u8:f32, 1.0e-01:7>

// A quantised graph in NHWC: the constant int8 filter is permuted at
// compile time (a new constant, cast back with its per-axis scales on
// axis 0), and the layout transposes sink through dequantize, the add of
// two convolutions, quantize and the storage casts of a QOperator add
// until they cancel: one transpose at the input, one at the output.
// CHECK-LABEL: func @quantised_residual
// CHECK: %[[W:.*]] = paso.constant dense<{{\[}}{{\[}}{{\[}}[1, 4], [2, 5], [3, 6]]]{{.*}}> : tensor<2x1x3x2xi8>
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x4x4xui8>) -> tensor<1x4x4x2xui8>
// CHECK: paso.storage_cast %[[W]] : tensor<2x1x3x2xi8> -> tensor<2x1x3x2x!quant.uniform<i8:f32:0, {1.000000e-02,2.000000e-02}>>
// CHECK: paso.qconv {{.*}} {channels_last = true
// CHECK: paso.qconv {{.*}} {channels_last = true
// CHECK: paso.dequantize {{.*}} -> tensor<1x4x4x2xf32>
// CHECK: paso.add {{.*}} -> tensor<1x4x4x2xf32>
// CHECK: paso.quantize {{.*}} -> tensor<1x4x4x2x!quant.uniform<u8:f32, 5.000000e-02:3>>
// CHECK: paso.storage_cast {{.*}} -> tensor<1x4x4x2x!quant.uniform<u8:f32, 1.000000e-01:7>>
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xui8>) -> tensor<1x2x4x4xui8>
// CHECK-NOT: paso.transpose
// CHECK: return
func.func @quantised_residual(%q: tensor<1x2x4x4x!u8>, %b: tensor<2xi32>) -> tensor<1x2x4x4x!s> {
  %w8 = paso.constant dense<[[[[1, 2, 3]], [[4, 5, 6]]], [[[7, 8, 9]], [[10, 11, 12]]]]> : tensor<2x2x1x3xi8>
  %wq = paso.storage_cast %w8 : tensor<2x2x1x3xi8> -> tensor<2x2x1x3x!i8w>
  %c = paso.qconv %q, %wq, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !a, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!u8>, tensor<2x2x1x3x!i8w>, tensor<2xi32>) -> tensor<1x2x4x4x!a>
  %c2 = paso.qconv %q, %wq, %b {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !u8, pads = array<i64: 0, 1, 0, 1>, strides = array<i64: 1, 1>} : (tensor<1x2x4x4x!u8>, tensor<2x2x1x3x!i8w>, tensor<2xi32>) -> tensor<1x2x4x4x!u8>
  %d = paso.dequantize %c : tensor<1x2x4x4x!a> -> tensor<1x2x4x4xf32>
  %e = paso.dequantize %c2 : tensor<1x2x4x4x!u8> -> tensor<1x2x4x4xf32>
  %sum = paso.add %d, %e : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  %r = paso.quantize %sum {element_type = !a} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!a>
  %bytes = paso.storage_cast %r : tensor<1x2x4x4x!a> -> tensor<1x2x4x4xui8>
  %out = paso.storage_cast %bytes : tensor<1x2x4x4xui8> -> tensor<1x2x4x4x!s>
  return %out : tensor<1x2x4x4x!s>
}

// -----

!u8 = !quant.uniform<u8:f32, 2.0e-02:128>

// A quantised pooling (QLinearAveragePool's dequantize -> pool ->
// quantize): the input's layout transpose, left after a dequantize with
// nothing to cancel, moves above it onto the bytes, where the integer
// pooling reads them; the output's transpose is on bytes already.
// CHECK-LABEL: func @quantised_pool
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x4x8x8xui8>) -> tensor<1x8x8x4xui8>
// CHECK: paso.dequantize {{.*}} -> tensor<1x8x8x4xf32>
// CHECK-NEXT: paso.average_pool {{.*}}channels_last = true
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x4xui8>) -> tensor<1x4x4x4xui8>
// CHECK-NOT: paso.transpose
// A dequantize with another reader keeps its float transpose.
// CHECK-LABEL: func @shared_dequantize
// CHECK: paso.dequantize {{.*}} -> tensor<1x4x8x8xf32>
// CHECK: paso.transpose {{.*}} : (tensor<1x4x8x8xf32>) -> tensor<1x8x8x4xf32>
func.func @quantised_pool(%x: tensor<1x4x8x8x!u8>) -> tensor<1x4x4x4x!u8> {
  %f = paso.dequantize %x : tensor<1x4x8x8x!u8> -> tensor<1x4x8x8xf32>
  %p = paso.average_pool %f {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  %q = paso.quantize %p {element_type = !u8} : tensor<1x4x4x4xf32> -> tensor<1x4x4x4x!u8>
  return %q : tensor<1x4x4x4x!u8>
}
func.func @shared_dequantize(%x: tensor<1x4x8x8x!u8>) -> (tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32>) {
  %f = paso.dequantize %x : tensor<1x4x8x8x!u8> -> tensor<1x4x8x8xf32>
  %p = paso.average_pool %f {ceil_mode = false, count_include_pad = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %p, %f : tensor<1x4x4x4xf32>, tensor<1x4x8x8xf32>
}

// -----

!u8 = !quant.uniform<u8:f32, 2.0e-02:128>

// `auto` costs a pooling of 8-bit values as paso_qpool_8 runs it: 64-byte
// vectors per tap, along NCHW rows (55 outputs of 64 lanes here, each row
// paying its loads) or channels-last (64 channels per pixel): NHWC.
// AUTO: paso.layout = "NHWC (cost model: {{.*}} over 1 convolutions and poolings, 1 of them int8)"
// AUTO-LABEL: func @squeezenet_pool
// AUTO: paso.max_pool {{.*}}channels_last = true
func.func @squeezenet_pool(%x: tensor<1x64x111x111x!u8>) -> tensor<1x64x55x55x!u8> {
  %f = paso.dequantize %x : tensor<1x64x111x111x!u8> -> tensor<1x64x111x111xf32>
  %p = paso.max_pool %f {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 3, 3>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x64x111x111xf32>) -> tensor<1x64x55x55xf32>
  %q = paso.quantize %p {element_type = !u8} : tensor<1x64x55x55xf32> -> tensor<1x64x55x55x!u8>
  return %q : tensor<1x64x55x55x!u8>
}
