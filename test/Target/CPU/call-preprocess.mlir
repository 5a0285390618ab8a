// paso-call-preprocess: paso.preprocess becomes a call of the runtime's
// paso_preprocess_f32 with Halide-order extents, and the module records
// the generator's parameters (mean and std folded into one multiply-add).
// RUN: paso-opt %s --split-input-file --paso-call-preprocess | FileCheck %s

// CHECK: module attributes {paso.preprocess = {"channel-map" = "2,1,0", format = "bgr", frame = "64x48", layout = "nchw", matrix = "bt601", multiplier = "{{.*}}", offset = "-2.1179039{{[0-9]*}}e+00,{{.*}}", range = "limited", resize = "bilinear", size = "32x24"}}
// Frame extents (components, width, height), then the image's (W, H, C, N).
// CHECK: memref.global "private" constant @__paso_preprocess_descriptor_0 : memref<8xi64> = dense<[3, 3, 64, 48, 32, 24, 3, 1]>
// CHECK-LABEL: func.func @main(
// CHECK: %[[OUT:.*]] = memref.alloc() : memref<1x3x24x32xf32>
// CHECK: call @paso_preprocess_f32({{.*}}) : (i64, i64, i64) -> ()
// CHECK: %[[IMAGE:.*]] = bufferization.to_tensor %[[OUT]]
// CHECK: paso.relu %[[IMAGE]]
// CHECK-NOT: paso.preprocess
func.func @main(%f: tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32> {
  %x = paso.preprocess %f {channel_map = array<i64: 2, 1, 0>, format = "bgr", layout = "nchw", matrix = "bt601", mean = array<f64: 0.485, 0.456, 0.406>, range = "limited", resize = "bilinear", scale = 0.00392156862745098 : f64, std = array<f64: 0.229, 0.224, 0.225>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  %y = paso.relu %x : tensor<1x3x24x32xf32>
  return %y : tensor<1x3x24x32xf32>
}

// -----

// The transpose to channels-last a NHWC model starts with is absorbed:
// the pipeline writes NHWC (extents C, W, H, N) and no transpose is left.
// CHECK: paso.preprocess = {{{.*}}format = "nv12", frame = "64x48", layout = "nhwc"
// CHECK: dense<[2, 64, 72, 0, 3, 32, 24, 1]>
// CHECK-LABEL: func.func @main(
// CHECK-NOT: paso.transpose
// CHECK: call @paso_preprocess_f32
// CHECK: %[[IMAGE:.*]] = bufferization.to_tensor %{{.*}} : memref<1x24x32x3xf32> to tensor<1x24x32x3xf32>
// CHECK: paso.relu %[[IMAGE]]
func.func @main(%f: tensor<72x64xui8>) -> tensor<1x24x32x3xf32> {
  %x = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "nv12", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<72x64xui8>) -> tensor<1x3x24x32xf32>
  %t = paso.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x3x24x32xf32>) -> tensor<1x24x32x3xf32>
  %y = paso.relu %t : tensor<1x24x32x3xf32>
  return %y : tensor<1x24x32x3xf32>
}

// -----

// A transpose to another order stays.
// CHECK-LABEL: func.func @main(
// CHECK: call @paso_preprocess_f32
// CHECK: paso.transpose
func.func @main(%f: tensor<48x64x3xui8>) -> tensor<1x3x32x24xf32> {
  %x = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  %t = paso.transpose %x {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x3x24x32xf32>) -> tensor<1x3x32x24xf32>
  return %t : tensor<1x3x32x24xf32>
}
