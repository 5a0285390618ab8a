// A model has at most one pre-processed input (the pipeline's symbol is
// one per model).
// RUN: not paso-opt %s --paso-call-preprocess 2>&1 | FileCheck %s

// CHECK: error: 'paso.preprocess' op a model takes at most one pre-processed input
func.func @main(%f: tensor<48x64x3xui8>, %g: tensor<48x64x3xui8>) -> (tensor<1x3x24x32xf32>, tensor<1x3x24x32xf32>) {
  %x = paso.preprocess %f {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  %y = paso.preprocess %g {channel_map = array<i64: 0, 1, 2>, format = "rgb", layout = "nchw", matrix = "bt601", mean = array<f64: 0.0, 0.0, 0.0>, range = "limited", resize = "bilinear", scale = 1.0 : f64, std = array<f64: 1.0, 1.0, 1.0>} : (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
  return %x, %y : tensor<1x3x24x32xf32>, tensor<1x3x24x32xf32>
}
