// paso-insert-preprocess: @main takes the uint8 frame the spec describes
// and computes the model's image from it with paso.preprocess.
// RUN: paso-opt %s --paso-insert-preprocess='spec={frame=64x48,mean=imagenet,std=imagenet,layout=nchw}' | FileCheck %s --check-prefix=RGB
// RUN: paso-opt %s --paso-insert-preprocess='spec={frame=64x48,format=bgra,scale=1/127.5,mean=1,layout=nchw}' | FileCheck %s --check-prefix=BGRA
// RUN: paso-opt %s --paso-insert-preprocess='spec={frame=640x480,format=nv12,channels=bgr,matrix=bt709,range=full,layout=nchw}' | FileCheck %s --check-prefix=NV12
// RUN: paso-opt %s --paso-insert-preprocess='spec={frame=32x24,resize=none,input=mask}' | FileCheck %s --check-prefix=NAMED

// layout=nchw leaves one image input to feed. The frame replaces it and
// keeps its name; the other inputs are untouched.
// RGB-LABEL: func.func @main(
// RGB-SAME: %[[FRAME:.*]]: tensor<48x64x3xui8> {paso.name = "image"}, %{{.*}}: tensor<1x4xf32> {paso.name = "aux"}, %{{.*}}: tensor<1x24x32x3xf32> {paso.name = "mask"})
// RGB: %[[IMAGE:.*]] = paso.preprocess %[[FRAME]]
// RGB-SAME: channel_map = array<i64: 0, 1, 2>
// RGB-SAME: format = "rgb"
// RGB-SAME: layout = "nchw"
// RGB-SAME: mean = array<f64: 4.850000e-01, 4.560000e-01, 4.060000e-01>
// RGB-SAME: resize = "bilinear"
// RGB-SAME: scale = 0.0039215686274509803 : f64
// RGB-SAME: std = array<f64: 2.290000e-01, 2.240000e-01, 2.250000e-01>
// RGB-SAME: (tensor<48x64x3xui8>) -> tensor<1x3x24x32xf32>
// RGB: paso.relu %[[IMAGE]]

// A BGRA frame for an RGB model reads components 2, 1, 0; one mean value
// applies to every channel; 1/N is a scale.
// BGRA: tensor<48x64x4xui8>
// BGRA: paso.preprocess
// BGRA-SAME: channel_map = array<i64: 2, 1, 0>
// BGRA-SAME: mean = array<f64: 1.000000e+00, 1.000000e+00, 1.000000e+00>
// BGRA-SAME: scale = 0.0078431372549019607 : f64

// NV12 is (3H/2) x W; R, G, B are components 0, 1, 2, so a BGR model
// maps 2, 1, 0.
// NV12: tensor<720x640xui8>
// NV12: paso.preprocess
// NV12-SAME: channel_map = array<i64: 2, 1, 0>
// NV12-SAME: format = "nv12"
// NV12-SAME: matrix = "bt709"
// NV12-SAME: range = "full"

// input=NAME picks the input; a 1xHxWx3 input is fed channels-last.
// NAMED-LABEL: func.func @main(
// NAMED-SAME: tensor<1x3x24x32xf32> {paso.name = "image"}, %{{.*}}: tensor<1x4xf32> {paso.name = "aux"}, %[[MASK:.*]]: tensor<24x32x3xui8> {paso.name = "mask"})
// NAMED: paso.preprocess %[[MASK]]
// NAMED-SAME: layout = "nhwc"
// NAMED-SAME: resize = "none"
// NAMED-SAME: -> tensor<1x24x32x3xf32>
func.func @main(%image: tensor<1x3x24x32xf32> {paso.name = "image"},
                %aux: tensor<1x4xf32> {paso.name = "aux"},
                %mask: tensor<1x24x32x3xf32> {paso.name = "mask"})
    -> (tensor<1x3x24x32xf32>, tensor<1x4xf32>, tensor<1x24x32x3xf32>) {
  %y = paso.relu %image : tensor<1x3x24x32xf32>
  return %y, %aux, %mask : tensor<1x3x24x32xf32>, tensor<1x4xf32>, tensor<1x24x32x3xf32>
}
