// Decomposed LayerNorm, erf-GELU, Softmax and HardSwish become single ops.
// RUN: paso-opt %s --split-input-file --paso-recognize-kernels="hard-swish=1" | FileCheck %s
// Without the option (the CPU pipeline) HardSwish stays decomposed.
// RUN: paso-opt %s --split-input-file --paso-recognize-kernels | FileCheck %s --check-prefix=CPU
// CPU-NOT: paso.hard_swish

// LayerNorm as exported before opset 17, commutative operands swapped.
// CHECK-LABEL: func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>, %[[G:.*]]: tensor<8xf32>, %[[B:.*]]: tensor<8xf32>)
func.func @layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  // CHECK: %[[LN:.*]] = paso.layer_norm %[[X]], %[[G]], %[[B]] {axis = 1 : i64, epsilon = 9.99999974E-6 : f32}
  // CHECK: return %[[LN]]
  %two = paso.constant dense<2.0> : tensor<f32>
  %eps = paso.constant dense<1.0e-5> : tensor<f32>
  %mean = paso.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %d = paso.sub %x, %mean : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  %sq = paso.pow %d, %two : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %var = paso.reduce_mean %sq {axes = array<i64: 1>, keepdims = true} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %ve = paso.add %eps, %var : tensor<f32>, tensor<2x1xf32> -> tensor<2x1xf32>
  %std = paso.sqrt %ve : tensor<2x1xf32>
  %n = paso.div %d, %std : tensor<2x8xf32>, tensor<2x1xf32> -> tensor<2x8xf32>
  %s = paso.mul %g, %n : tensor<8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = paso.add %b, %s : tensor<8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// A mean over a leading axis is not a layer norm.
// CHECK-LABEL: func @not_layer_norm
func.func @not_layer_norm(%x: tensor<2x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  // CHECK-NOT: paso.layer_norm
  %eps = paso.constant dense<1.0e-5> : tensor<f32>
  %mean = paso.reduce_mean %x {axes = array<i64: 0>, keepdims = true} : (tensor<2x8xf32>) -> tensor<1x8xf32>
  %d = paso.sub %x, %mean : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x8xf32>
  %sq = paso.mul %d, %d : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %var = paso.reduce_mean %sq {axes = array<i64: 0>, keepdims = true} : (tensor<2x8xf32>) -> tensor<1x8xf32>
  %ve = paso.add %var, %eps : tensor<1x8xf32>, tensor<f32> -> tensor<1x8xf32>
  %std = paso.sqrt %ve : tensor<1x8xf32>
  %n = paso.div %d, %std : tensor<2x8xf32>, tensor<1x8xf32> -> tensor<2x8xf32>
  %s = paso.mul %n, %g : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  %y = paso.add %s, %b : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// x * 0.5 * (1 + erf(x / sqrt(2))) in the order PyTorch exports it.
// CHECK-LABEL: func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
func.func @gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK: %[[G:.*]] = paso.gelu %[[X]] {tanh_approximation = false} : tensor<4xf32>
  // CHECK-NEXT: return %[[G]]
  %sqrt2 = paso.constant dense<1.41421354> : tensor<f32>
  %one = paso.constant dense<1.0> : tensor<f32>
  %half = paso.constant dense<0.5> : tensor<f32>
  %d = paso.div %x, %sqrt2 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %e = paso.erf %d : tensor<4xf32>
  %a = paso.add %e, %one : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %m = paso.mul %x, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %y = paso.mul %m, %half : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// The wrong constant is not GELU.
// CHECK-LABEL: func @not_gelu
func.func @not_gelu(%x: tensor<4xf32>) -> tensor<4xf32> {
  // CHECK-NOT: paso.gelu
  %sqrt2 = paso.constant dense<1.41421354> : tensor<f32>
  %one = paso.constant dense<1.0> : tensor<f32>
  %third = paso.constant dense<0.333> : tensor<f32>
  %d = paso.div %x, %sqrt2 : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %e = paso.erf %d : tensor<4xf32>
  %a = paso.add %e, %one : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  %m = paso.mul %x, %a : tensor<4xf32>, tensor<4xf32> -> tensor<4xf32>
  %y = paso.mul %m, %third : tensor<4xf32>, tensor<f32> -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

// Softmax as exported by frameworks that write it out: the max subtraction
// and the sum reduce the last axis with keepdims.
// CHECK-LABEL: func @softmax_decomposed
// CHECK-SAME: (%[[X:.*]]: tensor<2x5x7xf32>)
// CHECK: %[[S:.*]] = paso.softmax %[[X]] {axis = 2 : i64}
// CHECK-NOT: paso.exp
// CHECK: return %[[S]]
func.func @softmax_decomposed(%x: tensor<2x5x7xf32>) -> tensor<2x5x7xf32> {
  %m = paso.reduce_max %x {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x7xf32>) -> tensor<2x5x1xf32>
  %d = paso.sub %x, %m : tensor<2x5x7xf32>, tensor<2x5x1xf32> -> tensor<2x5x7xf32>
  %e = paso.exp %d : tensor<2x5x7xf32>
  %s = paso.reduce_sum %e {axes = array<i64: 2>, keepdims = true} : (tensor<2x5x7xf32>) -> tensor<2x5x1xf32>
  %y = paso.div %e, %s : tensor<2x5x7xf32>, tensor<2x5x1xf32> -> tensor<2x5x7xf32>
  return %y : tensor<2x5x7xf32>
}

// -----

// Without the max subtraction, on a middle axis.
// CHECK-LABEL: func @softmax_plain
// CHECK: paso.softmax %{{.*}} {axis = 1 : i64}
func.func @softmax_plain(%x: tensor<3x4x2xf32>) -> tensor<3x4x2xf32> {
  %e = paso.exp %x : tensor<3x4x2xf32>
  %s = paso.reduce_sum %e {axes = array<i64: 1>, keepdims = true} : (tensor<3x4x2xf32>) -> tensor<3x1x2xf32>
  %y = paso.div %e, %s : tensor<3x4x2xf32>, tensor<3x1x2xf32> -> tensor<3x4x2xf32>
  return %y : tensor<3x4x2xf32>
}

// -----

// Not a softmax: the sum is over another value, or over two axes; a max
// over another axis is left in place (the softmax then reads x - max).
// CHECK-LABEL: func @softmax_refused
// CHECK-COUNT-2: paso.div
// CHECK: %[[D:.*]] = paso.sub
// CHECK: paso.softmax %[[D]] {axis = 1 : i64}
func.func @softmax_refused(%x: tensor<3x4xf32>, %z: tensor<3x4xf32>) -> (tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>) {
  %e = paso.exp %x : tensor<3x4xf32>
  %sz = paso.reduce_sum %z {axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %a = paso.div %e, %sz : tensor<3x4xf32>, tensor<3x1xf32> -> tensor<3x4xf32>
  %s2 = paso.reduce_sum %e {axes = array<i64: 0, 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<1x1xf32>
  %b = paso.div %e, %s2 : tensor<3x4xf32>, tensor<1x1xf32> -> tensor<3x4xf32>
  %m = paso.reduce_max %x {axes = array<i64: 0>, keepdims = true} : (tensor<3x4xf32>) -> tensor<1x4xf32>
  %d = paso.sub %x, %m : tensor<3x4xf32>, tensor<1x4xf32> -> tensor<3x4xf32>
  %e2 = paso.exp %d : tensor<3x4xf32>
  %s3 = paso.reduce_sum %e2 {axes = array<i64: 1>, keepdims = true} : (tensor<3x4xf32>) -> tensor<3x1xf32>
  %c = paso.div %e2, %s3 : tensor<3x4xf32>, tensor<3x1xf32> -> tensor<3x4xf32>
  return %a, %b, %c : tensor<3x4xf32>, tensor<3x4xf32>, tensor<3x4xf32>
}

// -----

// HardSwish as PaddlePaddle exports it: x * relu6(x + 3) / 6.
// CHECK-LABEL: func @hard_swish_div
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x4x4xf32>)
func.func @hard_swish_div(%x: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  // CHECK: %[[H:.*]] = paso.hard_swish %[[X]]
  // CHECK-NOT: paso.div
  // CHECK: return %[[H]]
  %three = paso.constant dense<3.0> : tensor<f32>
  %six = paso.constant dense<6.0> : tensor<f32>
  %a = paso.add %x, %three : tensor<1x8x4x4xf32>, tensor<f32> -> tensor<1x8x4x4xf32>
  %c = paso.clip %a {max = 6.0 : f64, min = 0.0 : f64} : tensor<1x8x4x4xf32>
  %m = paso.mul %c, %x : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32> -> tensor<1x8x4x4xf32>
  %y = paso.div %m, %six : tensor<1x8x4x4xf32>, tensor<f32> -> tensor<1x8x4x4xf32>
  return %y : tensor<1x8x4x4xf32>
}

// -----

// The same with the sixth multiplied in, and as x * hard_sigmoid(x).
// CHECK-LABEL: func @hard_swish_products
// CHECK-COUNT-2: paso.hard_swish
// CHECK-NOT: paso.mul
func.func @hard_swish_products(%x: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>) {
  %three = paso.constant dense<3.0> : tensor<f32>
  %sixth = paso.constant dense<0.166666672> : tensor<f32>
  %a = paso.add %three, %x : tensor<f32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %c = paso.clip %a {max = 6.0 : f64, min = 0.0 : f64} : tensor<2x8xf32>
  %m = paso.mul %x, %c : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = paso.mul %m, %sixth : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %g = paso.hard_sigmoid %x {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32} : tensor<2x8xf32>
  %z = paso.mul %x, %g : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return %y, %z : tensor<2x8xf32>, tensor<2x8xf32>
}

// -----

// Not a hard swish: the clip reads another value, the divisor is not 6,
// and the hard sigmoid gates another tensor (a squeeze-excitation).
// CHECK-LABEL: func @not_hard_swish
// CHECK-NOT: paso.hard_swish
func.func @not_hard_swish(%x: tensor<2x8xf32>, %w: tensor<2x8xf32>) -> (tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>) {
  %three = paso.constant dense<3.0> : tensor<f32>
  %six = paso.constant dense<6.0> : tensor<f32>
  %five = paso.constant dense<5.0> : tensor<f32>
  %a = paso.add %w, %three : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %c = paso.clip %a {max = 6.0 : f64, min = 0.0 : f64} : tensor<2x8xf32>
  %m = paso.mul %x, %c : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = paso.div %m, %six : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %b = paso.add %x, %three : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %d = paso.clip %b {max = 6.0 : f64, min = 0.0 : f64} : tensor<2x8xf32>
  %n = paso.mul %x, %d : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %z = paso.div %n, %five : tensor<2x8xf32>, tensor<f32> -> tensor<2x8xf32>
  %g = paso.hard_sigmoid %w {alpha = 0.166666672 : f32, beta = 5.000000e-01 : f32} : tensor<2x8xf32>
  %e = paso.mul %x, %g : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  return %y, %z, %e : tensor<2x8xf32>, tensor<2x8xf32>, tensor<2x8xf32>
}
