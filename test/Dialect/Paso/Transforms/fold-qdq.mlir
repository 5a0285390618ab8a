// paso-fold-qdq folds dequantize -> convolution/product -> quantize into
// integer ops; anything the integer epilogue cannot express stays float.
// RUN: paso-opt %s --split-input-file --paso-fold-qdq | FileCheck %s --enable-var-scope

!x = !quant.uniform<u8:f32, 0.5:128>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125}>
!y = !quant.uniform<u8:f32, 0.0625>
!b = !quant.uniform<i32:f32:0, {0.125, 0.0625}>

// A convolution with ReLU and an int32 bias at input x weight scale: the
// bias is taken as it is stored.
// CHECK-LABEL: func.func @conv
// CHECK: %[[B:.*]] = paso.storage_cast %arg2 : tensor<2x!quant.uniform<i32:f32:0, {1.250000e-01,6.250000e-02}>> -> tensor<2xi32>
// CHECK: %[[Y:.*]] = paso.qconv %arg0, %{{.*}}, %[[B]] {activation = "relu"
// CHECK-SAME: output_type = !quant.uniform<u8:f32, 6.250000e-02>
// CHECK-NOT: paso.fused_conv
// CHECK: return %[[Y]]
func.func @conv(%x: tensor<1x2x4x4x!x>, %wraw: tensor<2x2x1x1xi8>, %bq: tensor<2x!b>) -> tensor<1x2x4x4x!y> {
  %wc = paso.constant dense<[[[[1]], [[2]]], [[[3]], [[-4]]]]> : tensor<2x2x1x1xi8>
  %wq = paso.storage_cast %wc : tensor<2x2x1x1xi8> -> tensor<2x2x1x1x!w>
  %xd = paso.dequantize %x : tensor<1x2x4x4x!x> -> tensor<1x2x4x4xf32>
  %wd = paso.dequantize %wq : tensor<2x2x1x1x!w> -> tensor<2x2x1x1xf32>
  %bd = paso.dequantize %bq : tensor<2x!b> -> tensor<2xf32>
  %c = paso.fused_conv %xd, %wd bias(%bd : tensor<2xf32>) {activation = "relu", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %y = paso.quantize %c {element_type = !y} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!y>
  return %y : tensor<1x2x4x4x!y>
}

// -----

!x = !quant.uniform<i8:f32, 0.5:3>
!w = !quant.uniform<i8:f32:0, {0.25, 0.125, 0.5}>
!y = !quant.uniform<i8:f32, 0.25:-1>

// Gemm's transposed weights (transB) are transposed at compile time and
// quantised along columns; a float bias is requantised to int32 at
// 0.5 x (0.25, 0.125, 0.5): 1.0 / 0.125 = 8, -1.0 / 0.0625 = -16, 0.5 / 0.25 = 2.
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: %[[W:.*]] = paso.constant dense<{{\[\[}}1, 3, 5], [2, 4, 6]]> : tensor<2x3xi8>
// CHECK-DAG: %[[B:.*]] = paso.constant dense<[8, -16, 2]> : tensor<3xi32>
// CHECK-DAG: %[[WQ:.*]] = paso.storage_cast %[[W]] : tensor<2x3xi8> -> tensor<2x3x!quant.uniform<i8:f32:1, {2.500000e-01,1.250000e-01,5.000000e-01}>>
// CHECK: paso.qmatmul %arg0, %[[WQ]], %[[B]] {output_type = !quant.uniform<i8:f32, 2.500000e-01:-1>}
func.func @gemm(%x: tensor<4x2x!x>) -> tensor<4x3x!y> {
  %wc = paso.constant dense<[[1, 2], [3, 4], [5, 6]]> : tensor<3x2xi8>
  %wq = paso.storage_cast %wc : tensor<3x2xi8> -> tensor<3x2x!w>
  %b = paso.constant dense<[1.0, -1.0, 0.5]> : tensor<3xf32>
  %xd = paso.dequantize %x : tensor<4x2x!x> -> tensor<4x2xf32>
  %wd = paso.dequantize %wq : tensor<3x2x!w> -> tensor<3x2xf32>
  %m = paso.fused_matmul %xd, %wd bias(%b : tensor<3xf32>) {trans_rhs = true} : tensor<4x2xf32>, tensor<3x2xf32> -> tensor<4x3xf32>
  %y = paso.quantize %m {element_type = !y} : tensor<4x3xf32> -> tensor<4x3x!y>
  return %y : tensor<4x3x!y>
}

// -----

!x = !quant.uniform<u8:f32, 0.5:128>
!w = !quant.uniform<u8:f32, 0.25:128>
!y = !quant.uniform<u8:f32, 0.0625>

// Weights with a non-zero zero point (U8U8) and a sigmoid stay float.
// CHECK-LABEL: func.func @refused
// CHECK-NOT: paso.qconv
// CHECK: paso.fused_conv
// CHECK: paso.fused_conv
func.func @refused(%x: tensor<1x2x4x4x!x>, %xs: tensor<1x2x4x4x!x>) -> (tensor<1x2x4x4x!y>, tensor<1x2x4x4x!y>) {
  %wc = paso.constant dense<200> : tensor<2x2x1x1xui8>
  %wq = paso.storage_cast %wc : tensor<2x2x1x1xui8> -> tensor<2x2x1x1x!w>
  %xd = paso.dequantize %x : tensor<1x2x4x4x!x> -> tensor<1x2x4x4xf32>
  %wd = paso.dequantize %wq : tensor<2x2x1x1x!w> -> tensor<2x2x1x1xf32>
  %c = paso.fused_conv %xd, %wd {activation = "none", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %y = paso.quantize %c {element_type = !y} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!y>
  %wc2 = paso.constant dense<1> : tensor<2x2x1x1xi8>
  %wq2 = paso.storage_cast %wc2 : tensor<2x2x1x1xi8> -> tensor<2x2x1x1x!quant.uniform<i8:f32, 0.5>>
  %wd2 = paso.dequantize %wq2 : tensor<2x2x1x1x!quant.uniform<i8:f32, 0.5>> -> tensor<2x2x1x1xf32>
  %s = paso.fused_conv %xd, %wd2 {activation = "sigmoid", dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  %z = paso.quantize %s {element_type = !y} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!y>
  return %y, %z : tensor<1x2x4x4x!y>, tensor<1x2x4x4x!y>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:-3>
!c = !quant.uniform<i8:f32, 0.25:-128>

// A residual add then ReLU, quantised with the zero point at the storage
// minimum: the ReLU is exact in the quantisation (negatives saturate to
// the zero point), so it goes and the add folds into integer arithmetic.
// CHECK-LABEL: func.func @add_relu
// CHECK-NOT: paso.relu
// CHECK: paso.add
// CHECK: paso.quantize %{{.*}} {element_type = !quant.uniform<i8:f32, 1.000000e+00:-128>}
func.func @add_relu(%a: tensor<8x!a>, %b: tensor<8x!a>) -> tensor<8x!c> {
  %ad = paso.dequantize %a : tensor<8x!a> -> tensor<8xf32>
  %bd = paso.dequantize %b : tensor<8x!a> -> tensor<8xf32>
  %s = paso.add %ad, %bd : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %r = paso.relu %s : tensor<8xf32>
  %y = paso.quantize %r {element_type = !c} : tensor<8xf32> -> tensor<8x!c>
  return %y : tensor<8x!c>
}

// -----

!a = !quant.uniform<i8:f32, 0.5:-3>
!c = !quant.uniform<i8:f32, 0.25:-100>

// Refused: a zero point above the storage minimum keeps negatives
// representable, so the ReLU stays (and the add with it, in float).
// CHECK-LABEL: func.func @add_relu_kept
// CHECK: paso.relu
// CHECK: paso.quantize
func.func @add_relu_kept(%a: tensor<8x!a>, %b: tensor<8x!a>) -> tensor<8x!c> {
  %ad = paso.dequantize %a : tensor<8x!a> -> tensor<8xf32>
  %bd = paso.dequantize %b : tensor<8x!a> -> tensor<8xf32>
  %s = paso.add %ad, %bd : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  %r = paso.relu %s : tensor<8xf32>
  %y = paso.quantize %r {element_type = !c} : tensor<8xf32> -> tensor<8x!c>
  return %y : tensor<8x!c>
}

// -----

!q = !quant.uniform<i8:f32, 0.5:-3>
!r = !quant.uniform<i8:f32, 0.25:-3>

// A max pooling between a dequantize and a quantize of the same type runs
// on the int8 storage (the maximum commutes with the monotonic mapping).
// CHECK-LABEL: func.func @max_pool
// CHECK: %[[S:.*]] = paso.storage_cast %arg0 : tensor<1x2x4x4x!quant.uniform<i8:f32, 5.000000e-01:-3>> -> tensor<1x2x4x4xi8>
// CHECK: %[[P:.*]] = paso.max_pool %[[S]] {{.*}} : (tensor<1x2x4x4xi8>) -> tensor<1x2x2x2xi8>
// CHECK: paso.storage_cast %[[P]] : tensor<1x2x2x2xi8> -> tensor<1x2x2x2x!quant.uniform<i8:f32, 5.000000e-01:-3>>
// CHECK-NOT: paso.dequantize
func.func @max_pool(%x: tensor<1x2x4x4x!q>) -> tensor<1x2x2x2x!q> {
  %d = paso.dequantize %x : tensor<1x2x4x4x!q> -> tensor<1x2x4x4xf32>
  %p = paso.max_pool %d {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %y = paso.quantize %p {element_type = !q} : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!q>
  return %y : tensor<1x2x2x2x!q>
}

// Refused: another scale after the pooling keeps it in float.
// CHECK-LABEL: func.func @max_pool_rescaled
// CHECK: paso.dequantize
// CHECK: paso.max_pool %{{.*}} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
func.func @max_pool_rescaled(%x: tensor<1x2x4x4x!q>) -> tensor<1x2x2x2x!r> {
  %d = paso.dequantize %x : tensor<1x2x4x4x!q> -> tensor<1x2x4x4xf32>
  %p = paso.max_pool %d {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %y = paso.quantize %p {element_type = !r} : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!r>
  return %y : tensor<1x2x2x2x!r>
}

// -----

!u = !quant.uniform<u8:f32, 0.5:128>

// Refused: uint8 storage (the integer pooling compares signed).
// CHECK-LABEL: func.func @max_pool_unsigned
// CHECK: paso.max_pool %{{.*}} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
func.func @max_pool_unsigned(%x: tensor<1x2x4x4x!u>) -> tensor<1x2x2x2x!u> {
  %d = paso.dequantize %x : tensor<1x2x4x4x!u> -> tensor<1x2x4x4xf32>
  %p = paso.max_pool %d {ceil_mode = false, dilations = array<i64: 1, 1>, kernel_shape = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 2, 2>} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %y = paso.quantize %p {element_type = !u} : tensor<1x2x2x2xf32> -> tensor<1x2x2x2x!u>
  return %y : tensor<1x2x2x2x!u>
}

// -----

!q = !quant.uniform<i8:f32, 0.5:-3>
!r = !quant.uniform<i8:f32, 0.25:-3>

// A concatenation of values of one quantisation concatenates the storage
// and dequantises once after; mixed quantisations stay in float.
// CHECK-LABEL: func.func @concat
// CHECK: %[[J:.*]] = paso.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x2x4x4xi8>, tensor<1x3x4x4xi8>) -> tensor<1x5x4x4xi8>
// CHECK: %[[Q:.*]] = paso.storage_cast %[[J]] : tensor<1x5x4x4xi8> -> tensor<1x5x4x4x!quant.uniform<i8:f32, 5.000000e-01:-3>>
// CHECK: paso.dequantize %[[Q]]
// CHECK-LABEL: func.func @concat_mixed
// CHECK: paso.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32>
func.func @concat(%a: tensor<1x2x4x4x!q>, %b: tensor<1x3x4x4x!q>) -> tensor<1x5x4x4xf32> {
  %ad = paso.dequantize %a : tensor<1x2x4x4x!q> -> tensor<1x2x4x4xf32>
  %bd = paso.dequantize %b : tensor<1x3x4x4x!q> -> tensor<1x3x4x4xf32>
  %c = paso.concat %ad, %bd {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32>
  return %c : tensor<1x5x4x4xf32>
}
func.func @concat_mixed(%a: tensor<1x2x4x4x!q>, %b: tensor<1x3x4x4x!r>) -> tensor<1x5x4x4xf32> {
  %ad = paso.dequantize %a : tensor<1x2x4x4x!q> -> tensor<1x2x4x4xf32>
  %bd = paso.dequantize %b : tensor<1x3x4x4x!r> -> tensor<1x3x4x4xf32>
  %c = paso.concat %ad, %bd {axis = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<1x3x4x4xf32>) -> tensor<1x5x4x4xf32>
  return %c : tensor<1x5x4x4xf32>
}
