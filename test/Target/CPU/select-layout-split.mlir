// auto may split a graph between layouts: the convolutions before a point
// NCHW, those from it on channels-last, when that is predicted at least 5%
// faster than either layout alone and one use of one value crosses the
// point (one transpose). A shrinking int8 CNN on rpi5 (SDOT): the
// 112x112 depthwise layer is cheaper along rows, the 7x7x960 ones along
// channels.
// RUN: paso-opt %s --split-input-file --paso-select-cpu-layout="target=rpi5" | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-select-cpu-layout="target=rpi5 layout=nhwc" | FileCheck %s --check-prefix=FORCED

// CHECK: paso.layout = "NCHW, then NHWC from 3 of 4 (cost model: {{.*}} ms split over 4 convolutions and poolings, 4 of them int8)"
// CHECK-LABEL: func @shrinking
// CHECK: paso.qconv {{.*}} {dilations
// CHECK: paso.qconv {{.*}} {dilations
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x960x7x7xui8>) -> tensor<1x7x7x960xui8>
// CHECK: paso.qconv {{.*}} {channels_last = true
// CHECK: paso.qconv {{.*}} {channels_last = true
// CHECK: paso.transpose {{.*}} {perm = array<i64: 0, 3, 1, 2>}
// CHECK-NOT: paso.transpose
// A forced layout is never split.
// FORCED: paso.layout = "NHWC (forced by layout=nhwc)"
!u8 = !quant.uniform<u8:f32, 2.0e-02:128>
!w = !quant.uniform<i8:f32, 1.0e-02>
func.func @shrinking(%x: tensor<1x32x112x112x!u8>) -> tensor<1x960x7x7x!u8> {
  %w1 = paso.constant dense<1> : tensor<32x1x3x3xi8>
  %q1 = paso.storage_cast %w1 : tensor<32x1x3x3xi8> -> tensor<32x1x3x3x!w>
  %b1 = paso.constant dense<0> : tensor<32xi32>
  %c1 = paso.qconv %x, %q1, %b1 {dilations = array<i64: 1, 1>, group = 32 : i64, output_type = !u8, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x32x112x112x!u8>, tensor<32x1x3x3x!w>, tensor<32xi32>) -> tensor<1x32x112x112x!u8>
  %w2 = paso.constant dense<1> : tensor<960x32x1x1xi8>
  %q2 = paso.storage_cast %w2 : tensor<960x32x1x1xi8> -> tensor<960x32x1x1x!w>
  %b2 = paso.constant dense<0> : tensor<960xi32>
  %c2 = paso.qconv %c1, %q2, %b2 {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !u8, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 16, 16>} : (tensor<1x32x112x112x!u8>, tensor<960x32x1x1x!w>, tensor<960xi32>) -> tensor<1x960x7x7x!u8>
  %w3 = paso.constant dense<1> : tensor<960x1x3x3xi8>
  %q3 = paso.storage_cast %w3 : tensor<960x1x3x3xi8> -> tensor<960x1x3x3x!w>
  %c3 = paso.qconv %c2, %q3, %b2 {dilations = array<i64: 1, 1>, group = 960 : i64, output_type = !u8, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x960x7x7x!u8>, tensor<960x1x3x3x!w>, tensor<960xi32>) -> tensor<1x960x7x7x!u8>
  %c4 = paso.qconv %c3, %q3, %b2 {dilations = array<i64: 1, 1>, group = 960 : i64, output_type = !u8, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x960x7x7x!u8>, tensor<960x1x3x3x!w>, tensor<960xi32>) -> tensor<1x960x7x7x!u8>
  return %c4 : tensor<1x960x7x7x!u8>
}

// -----

!u8 = !quant.uniform<u8:f32, 2.0e-02:128>
!w = !quant.uniform<i8:f32, 1.0e-02>

// The same graph with the first layer's output also returned: every point
// after it is crossed by two uses (a transpose each way would be needed),
// so no split; one layout for the whole graph (NHWC is not 5% faster).
// CHECK: paso.layout = "NCHW (cost model:
// CHECK-NOT: split
// CHECK-LABEL: func @spanned
func.func @spanned(%x: tensor<1x32x112x112x!u8>) -> (tensor<1x960x7x7x!u8>, tensor<1x32x112x112x!u8>) {
  %w1 = paso.constant dense<1> : tensor<32x1x3x3xi8>
  %q1 = paso.storage_cast %w1 : tensor<32x1x3x3xi8> -> tensor<32x1x3x3x!w>
  %b1 = paso.constant dense<0> : tensor<32xi32>
  %c1 = paso.qconv %x, %q1, %b1 {dilations = array<i64: 1, 1>, group = 32 : i64, output_type = !u8, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x32x112x112x!u8>, tensor<32x1x3x3x!w>, tensor<32xi32>) -> tensor<1x32x112x112x!u8>
  %w2 = paso.constant dense<1> : tensor<960x32x1x1xi8>
  %q2 = paso.storage_cast %w2 : tensor<960x32x1x1xi8> -> tensor<960x32x1x1x!w>
  %b2 = paso.constant dense<0> : tensor<960xi32>
  %c2 = paso.qconv %c1, %q2, %b2 {dilations = array<i64: 1, 1>, group = 1 : i64, output_type = !u8, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 16, 16>} : (tensor<1x32x112x112x!u8>, tensor<960x32x1x1x!w>, tensor<960xi32>) -> tensor<1x960x7x7x!u8>
  %w3 = paso.constant dense<1> : tensor<960x1x3x3xi8>
  %q3 = paso.storage_cast %w3 : tensor<960x1x3x3xi8> -> tensor<960x1x3x3x!w>
  %c3 = paso.qconv %c2, %q3, %b2 {dilations = array<i64: 1, 1>, group = 960 : i64, output_type = !u8, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x960x7x7x!u8>, tensor<960x1x3x3x!w>, tensor<960xi32>) -> tensor<1x960x7x7x!u8>
  %c4 = paso.qconv %c3, %q3, %b2 {dilations = array<i64: 1, 1>, group = 960 : i64, output_type = !u8, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x960x7x7x!u8>, tensor<960x1x3x3x!w>, tensor<960xi32>) -> tensor<1x960x7x7x!u8>
  return %c4, %c1 : tensor<1x960x7x7x!u8>, tensor<1x32x112x112x!u8>
}
