// paso-insert-preprocess rejects a bad spec, or a model it cannot feed,
// naming the key or the input; the module is left as it was.
// RUN: not paso-opt %s --paso-insert-preprocess='spec={format=rgb}' 2>&1 | FileCheck %s --check-prefix=NOFRAME
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48,gamma=2}' 2>&1 | FileCheck %s --check-prefix=KEY
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48,resize=area}' 2>&1 | FileCheck %s --check-prefix=RESIZE
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48,mean=a:b:c}' 2>&1 | FileCheck %s --check-prefix=MEAN
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48,std=1:0:1}' 2>&1 | FileCheck %s --check-prefix=STD
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48}' 2>&1 | FileCheck %s --check-prefix=AMBIGUOUS
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48,input=tokens}' 2>&1 | FileCheck %s --check-prefix=NOTIMAGE
// RUN: not paso-opt %s --paso-insert-preprocess='spec={frame=64x48,input=b,resize=none}' 2>&1 | FileCheck %s --check-prefix=NORESIZE

// NOFRAME: error: --preprocess: 'frame=WxH' is required (the camera frame's size)
// KEY: error: --preprocess: unknown key 'gamma' (keys: frame, format, input, channels, resize, scale, mean, std, matrix, range, layout)
// RESIZE: error: --preprocess: 'resize' must be one of bilinear, none, got 'area'
// MEAN: error: --preprocess: 'mean' takes numbers separated by ':' (or 'imagenet'), got 'a:b:c'
// STD: error: --preprocess: 'std' values must be positive, got '1:0:1'
// AMBIGUOUS: error: --preprocess: the model has several image inputs ('a', 'b'); choose one with input=NAME
// NOTIMAGE: error: --preprocess: input 'tokens' (1x16 i64) is not a float image of shape 1x3xHxW or 1xHxWx3
// NORESIZE: error: --preprocess: resize=none needs the frame to be the model's 32x24, got 64x48
func.func @main(%a: tensor<1x3x24x32xf32> {paso.name = "a"},
                %b: tensor<1x3x24x32xf32> {paso.name = "b"},
                %t: tensor<1x16xi64> {paso.name = "tokens"})
    -> (tensor<1x3x24x32xf32>, tensor<1x16xi64>) {
  %s = paso.add %a, %b : tensor<1x3x24x32xf32>, tensor<1x3x24x32xf32> -> tensor<1x3x24x32xf32>
  return %s, %t : tensor<1x3x24x32xf32>, tensor<1x16xi64>
}
