// Cross-layer equalisation: s_i = sqrt(r1_i / r2_i) moves weight range from
// one layer of a pair to the other until both have sqrt(r1_i * r2_i).
// RUN: paso-opt %s --split-input-file --paso-equalize-layers | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-equalize-layers=per-tensor-only | FileCheck %s --check-prefix=PER-TENSOR

// Columns of the matmul reach 4 and 1, those of the gemm 1 and 4: s = (2,
// 1/2) makes every weight 2; the bias add is divided by s too.
// CHECK-LABEL: func @matmul_bias_relu_gemm
// PER-TENSOR-LABEL: func @matmul_bias_relu_gemm
func.func @matmul_bias_relu_gemm(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // CHECK: %[[W1:.*]] = paso.constant dense<2.000000e+00> : tensor<2x2xf32>
  // CHECK: %[[M:.*]] = paso.matmul %{{.*}}, %[[W1]]
  // CHECK: %[[B:.*]] = paso.constant dense<1.000000e+00> : tensor<2xf32>
  // CHECK: %[[A:.*]] = paso.add %[[M]], %[[B]]
  // CHECK: %[[R:.*]] = paso.relu %[[A]]
  // CHECK: %[[W2:.*]] = paso.constant dense<2.000000e+00> : tensor<2x2xf32>
  // CHECK: paso.gemm %[[R]], %[[W2]]
  // PER-TENSOR: paso.constant dense<2.000000e+00> : tensor<2x2xf32>
  %w1 = paso.constant dense<[[4.0, 1.0], [4.0, 1.0]]> : tensor<2x2xf32>
  %b = paso.constant dense<[2.0, 0.5]> : tensor<2xf32>
  %w2 = paso.constant dense<[[1.0, 4.0], [1.0, 4.0]]> : tensor<2x2xf32>
  %m = paso.matmul %x, %w1 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %a = paso.add %m, %b : tensor<1x2xf32>, tensor<2xf32> -> tensor<1x2xf32>
  %r = paso.relu %a : tensor<1x2xf32>
  %y = paso.gemm %r, %w2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %y : tensor<1x2xf32>
}

// -----

// Through relu and max pooling into a depthwise convolution; per-tensor-only
// leaves a pair of convolutions (per-channel weights) alone.
// CHECK-LABEL: func @conv_pool_depthwise
// PER-TENSOR-LABEL: func @conv_pool_depthwise
func.func @conv_pool_depthwise(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32> {
  // CHECK: %[[W1:.*]] = paso.constant dense<{{\[\[\[\[2\.0+e\+00\]\], \[\[2\.0+e\+00\]\]\], \[\[\[2\.0+e\+00\]\], \[\[-2\.0+e\+00\]\]\]\]}}> : tensor<2x2x1x1xf32>
  // CHECK: paso.conv %{{.*}}, %[[W1]]
  // CHECK: %[[W2:.*]] = paso.constant dense<2.000000e+00> : tensor<2x1x1x1xf32>
  // CHECK: paso.conv %{{.*}}, %[[W2]]
  // PER-TENSOR-NOT: dense<2.000000e+00>
  %w1 = paso.constant dense<[[[[4.0]], [[4.0]]], [[[1.0]], [[-1.0]]]]> : tensor<2x2x1x1xf32>
  %w2 = paso.constant dense<[[[[1.0]]], [[[4.0]]]]> : tensor<2x1x1x1xf32>
  %c = paso.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = paso.relu %c : tensor<1x2x4x4xf32>
  %p = paso.max_pool %r {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = false} : (tensor<1x2x4x4xf32>) -> tensor<1x2x2x2xf32>
  %y = paso.conv %p, %w2 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x2x2x2xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// -----

// A global average pool and a flatten keep each channel in place: the
// classifier's gemm pairs with the last convolution. Filter rows reach 9
// and 1, the gemm's columns 1 and 9: s = (3, 1/3), every weight 3.
// CHECK-LABEL: func @conv_mean_flatten_gemm
func.func @conv_mean_flatten_gemm(%x: tensor<1x1x4x4xf32>) -> tensor<1x3xf32> {
  // CHECK: %[[W1:.*]] = paso.constant dense<3.000000e+00> : tensor<2x1x1x1xf32>
  // CHECK: paso.conv %{{.*}}, %[[W1]]
  // CHECK: %[[W2:.*]] = paso.constant dense<3.000000e+00> : tensor<3x2xf32>
  // CHECK: paso.gemm %{{.*}}, %[[W2]]
  %w1 = paso.constant dense<[[[[9.0]]], [[[1.0]]]]> : tensor<2x1x1x1xf32>
  %w2 = paso.constant dense<[[1.0, 9.0], [1.0, 9.0], [1.0, 9.0]]> : tensor<3x2xf32>
  %c = paso.conv %x, %w1 {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x1x4x4xf32>, tensor<2x1x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r = paso.relu %c : tensor<1x2x4x4xf32>
  %m = paso.reduce_mean %r {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x2x4x4xf32>) -> tensor<1x2x1x1xf32>
  %f = paso.reshape %m {shape = array<i64: 1, 2>} : (tensor<1x2x1x1xf32>) -> tensor<1x2xf32>
  %y = paso.gemm %f, %w2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<3x2xf32>) -> tensor<1x3xf32>
  return %y : tensor<1x3xf32>
}

// -----

// Three layers in a chain settle together: afterwards every channel of
// each pair has the same range on both sides.
// CHECK-LABEL: func @chain_of_three
func.func @chain_of_three(%x: tensor<1x2xf32>) -> tensor<1x2xf32> {
  // CHECK-COUNT-3: paso.constant dense<{{(2\.0000|1\.9999)[0-9]*}}> : tensor<2x2xf32>
  %w1 = paso.constant dense<[[8.0, 2.0], [8.0, 2.0]]> : tensor<2x2xf32>
  %w2 = paso.constant dense<[[1.0, 1.0], [4.0, 4.0]]> : tensor<2x2xf32>
  %w3 = paso.constant dense<[[1.0, 1.0], [1.0, 1.0]]> : tensor<2x2xf32>
  %a = paso.matmul %x, %w1 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %b = paso.matmul %a, %w2 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %c = paso.matmul %b, %w3 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  return %c : tensor<1x2xf32>
}

// -----

// Not a pair: a relu6 (clip) is not positively homogeneous; an
// intermediate used twice; a transposed (channels-in-rows) input; a
// channel that is zero on one side keeps its scale of 1.
// CHECK-LABEL: func @not_pairs
func.func @not_pairs(%x: tensor<1x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>) {
  // CHECK-DAG: paso.constant dense<{{\[}}[4.000000e+00, 1.000000e+00], [4.000000e+00, 1.000000e+00]]>
  // CHECK-DAG: paso.constant dense<{{\[}}[1.000000e+00, 4.000000e+00], [1.000000e+00, 4.000000e+00]]>
  // CHECK-NOT: dense<2.000000e+00>
  %w1 = paso.constant dense<[[4.0, 1.0], [4.0, 1.0]]> : tensor<2x2xf32>
  %w2 = paso.constant dense<[[1.0, 4.0], [1.0, 4.0]]> : tensor<2x2xf32>
  %a = paso.matmul %x, %w1 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %c = paso.clip %a {min = 0.0 : f64, max = 6.0 : f64} : tensor<1x2xf32>
  %y1 = paso.gemm %c, %w2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %b = paso.matmul %x, %w1 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %y2 = paso.gemm %b, %w2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %e = paso.add %y2, %b : tensor<1x2xf32>, tensor<1x2xf32> -> tensor<1x2xf32>
  %d = paso.matmul %x, %w1 : (tensor<1x2xf32>, tensor<2x2xf32>) -> tensor<1x2xf32>
  %y3 = paso.gemm %w2, %d {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<2x2xf32>, tensor<1x2xf32>) -> tensor<2x1xf32>
  %t = paso.reshape %y3 {shape = array<i64: 1, 2>} : (tensor<2x1xf32>) -> tensor<1x2xf32>
  return %y1, %e, %t : tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>
}

// -----

// A channel that is zero in the second layer keeps s = 1; the other
// channel's bias may not outgrow the layer's largest: r1 = 1, r2 = 100
// asks s = 0.1, but its bias 4 against the largest 8 holds s at 0.5.
// CHECK-LABEL: func @zero_channel_and_bias_bound
func.func @zero_channel_and_bias_bound(%x: tensor<1x2xf32>) -> tensor<1x1xf32> {
  // CHECK-DAG: paso.constant dense<{{\[}}[4.000000e+00, 2.000000e+00], [4.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>
  // CHECK-DAG: paso.constant dense<8.000000e+00> : tensor<2xf32>
  // CHECK-DAG: paso.constant dense<{{\[}}[0.000000e+00, 5.000000e+01]]> : tensor<1x2xf32>
  %w1 = paso.constant dense<[[4.0, 1.0], [4.0, 1.0]]> : tensor<2x2xf32>
  %b = paso.constant dense<[8.0, 4.0]> : tensor<2xf32>
  %w2 = paso.constant dense<[[0.0, 100.0]]> : tensor<1x2xf32>
  %c = paso.gemm %x, %w1, %b {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<1x2xf32>, tensor<2x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %r = paso.relu %c : tensor<1x2xf32>
  %y = paso.gemm %r, %w2 {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x2xf32>, tensor<1x2xf32>) -> tensor<1x1xf32>
  return %y : tensor<1x1xf32>
}
