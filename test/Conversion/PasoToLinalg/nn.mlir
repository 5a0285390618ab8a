// Convolutions and pools use linalg's named ops; matmuls are generic
// contractions.
// RUN: paso-opt %s --split-input-file --paso-convert-to-linalg | FileCheck %s

// A single-image conv is one matrix product: zero pad, bias broadcast into
// the accumulator, im2col by a generic whose input map does the window
// arithmetic (stride 2), then W[4, 27] x col[27, 16].
// CHECK-DAG: #[[$IM2COL:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (0, d0, d3 * 2 + d1, d4 * 2 + d2)>
// CHECK-LABEL: func @conv
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0, 1, 1] high[0, 0, 1, 1]
  // CHECK: %[[BIAS:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<4x1x1xf32>) outs(%{{.*}} : tensor<1x4x4x4xf32>)
  // CHECK: %[[COL:.*]] = linalg.generic {indexing_maps = [#[[$IM2COL]], #{{.*}}]{{.*}} ins(%[[PAD]] : tensor<1x3x10x10xf32>) outs(%{{.*}} : tensor<3x3x3x4x4xf32>)
  // CHECK: %[[COL2:.*]] = tensor.expand_shape %{{.*}} output_shape [27, 16]
  // CHECK: %[[W2:.*]] = tensor.expand_shape %{{.*}} output_shape [4, 27]
  // CHECK: %[[ACC:.*]] = tensor.expand_shape %{{.*}} output_shape [4, 16]
  // CHECK: linalg.matmul ins(%[[W2]], %[[COL2]] : tensor<4x27xf32>, tensor<27x16xf32>) outs(%[[ACC]] : tensor<4x16xf32>)
  %0 = paso.conv %x, %w, %b {strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// A 1x1 stride-1 conv needs no im2col: the input is already the matrix.
// CHECK-LABEL: func @pointwise
func.func @pointwise(%x: tensor<1x8x4x4xf32>, %w: tensor<16x8x1x1xf32>) -> tensor<1x16x4x4xf32> {
  // CHECK-NOT: linalg.generic {{.*}}ins(%{{.*}} : tensor<1x8x4x4xf32>)
  // CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x8xf32>, tensor<8x16xf32>)
  %0 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x8x4x4xf32>, tensor<16x8x1x1xf32>) -> tensor<1x16x4x4xf32>
  return %0 : tensor<1x16x4x4xf32>
}

// -----

// Batches of images keep linalg's named convolution.
// CHECK-LABEL: func @batched_conv
func.func @batched_conv(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<2x4x6x6xf32> {
  // CHECK: linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>)
  %0 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x6x6xf32>
  return %0 : tensor<2x4x6x6xf32>
}

// -----

// Depthwise (group == channels): a generic with loops (n, c, oh, kh, kw, ow),
// the output row innermost.
// CHECK-DAG: #[[$DWIN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2 + d3, d4 + d5)>
// CHECK-DAG: #[[$DWF:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, 0, d3, d4)>
// CHECK-LABEL: func @depthwise
func.func @depthwise(%x: tensor<1x8x6x6xf32>, %w: tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[$DWIN]], #[[$DWF]], #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]}
  // CHECK: arith.mulf
  // CHECK: arith.addf
  %0 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 8 : i64} : (tensor<1x8x6x6xf32>, tensor<8x1x3x3xf32>) -> tensor<1x8x4x4xf32>
  return %0 : tensor<1x8x4x4xf32>
}

// -----

// Other grouped convolutions split channels into groups.
// CHECK-LABEL: func @grouped
func.func @grouped(%x: tensor<1x8x6x6xf32>, %w: tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32> {
  // CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 2, 4, 6, 6]
  // CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3], [4]] output_shape [2, 2, 4, 3, 3]
  // CHECK: linalg.conv_2d_ngchw_gfchw
  // CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3], [4]] : tensor<1x2x2x4x4xf32> into tensor<1x4x4x4xf32>
  %0 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 2 : i64} : (tensor<1x8x6x6xf32>, tensor<4x4x3x3xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

// Max pooling pads with -inf (including the ceil-mode overhang: 7 + 1 = 8).
// CHECK-LABEL: func @max_pool_ceil
func.func @max_pool_ceil(%x: tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: %[[NEGINF:.*]] = arith.constant 0xFF800000 : f32
  // CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 0, 1, 1]
  // CHECK: linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%{{.*}}, %{{.*}} : tensor<1x2x8x8xf32>, tensor<2x2xf32>)
  %0 = paso.max_pool %x {kernel_shape = array<i64: 2, 2>, strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, ceil_mode = true} : (tensor<1x2x7x7xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// Average pooling divides by a compile-time table of window counts
// (excluding padding here: corners see 4 elements, edges 6, the middle 9).
// CHECK-LABEL: func @average_pool
func.func @average_pool(%x: tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32> {
  // CHECK: linalg.pooling_nchw_sum
  // CHECK: arith.constant dense<{{\[\[}}4.000000e+00, 6.000000e+00, 4.000000e+00], [6.000000e+00, 9.000000e+00, 6.000000e+00], [4.000000e+00, 6.000000e+00, 4.000000e+00]]> : tensor<3x3xf32>
  // CHECK: arith.divf
  %0 = paso.average_pool %x {kernel_shape = array<i64: 3, 3>, strides = array<i64: 1, 1>, pads = array<i64: 1, 1, 1, 1>, dilations = array<i64: 1, 1>, ceil_mode = false, count_include_pad = false} : (tensor<1x1x3x3xf32>) -> tensor<1x1x3x3xf32>
  return %0 : tensor<1x1x3x3xf32>
}

// -----

// A 2-D matmul is linalg.matmul (the micro-kernel's op); a Gemm with a
// transposed weight keeps it through the indexing maps.
// CHECK-DAG: #[[$TA:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[$TB:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[$TC:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func @matmul_2d
func.func @matmul_2d(%a: tensor<16x64xf32>, %b: tensor<64x32xf32>, %w: tensor<32x64xf32>) -> (tensor<16x32xf32>, tensor<16x32xf32>) {
  // CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x64xf32>, tensor<64x32xf32>)
  // CHECK: linalg.matmul indexing_maps = [#[[$TA]], #[[$TB]], #[[$TC]]] ins(%{{.*}}, %{{.*}} : tensor<16x64xf32>, tensor<32x64xf32>)
  %0 = paso.matmul %a, %b : (tensor<16x64xf32>, tensor<64x32xf32>) -> tensor<16x32xf32>
  %1 = paso.gemm %a, %w {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<16x64xf32>, tensor<32x64xf32>) -> tensor<16x32xf32>
  return %0, %1 : tensor<16x32xf32>, tensor<16x32xf32>
}

// -----

// A batch of rows times one shared weight is one matrix product.
// CHECK-LABEL: func @matmul_shared_weight
func.func @matmul_shared_weight(%a: tensor<2x16x64xf32>, %b: tensor<64x32xf32>) -> tensor<2x16x32xf32> {
  // CHECK: tensor.expand_shape %{{.*}} output_shape [32, 64]
  // CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<32x64xf32>, tensor<64x32xf32>)
  // CHECK: tensor.expand_shape %{{.*}} output_shape [2, 16, 32]
  %0 = paso.matmul %a, %b : (tensor<2x16x64xf32>, tensor<64x32xf32>) -> tensor<2x16x32xf32>
  return %0 : tensor<2x16x32xf32>
}

// -----

// A batched matmul broadcasting the rhs: one contraction over k.
// CHECK-DAG: #[[$LHS:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[$RHS:.*]] = affine_map<(d0, d1, d2, d3) -> (0, d3, d2)>
// CHECK-DAG: #[[$OUT:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func @matmul
func.func @matmul(%a: tensor<2x16x64xf32>, %b: tensor<1x64x32xf32>) -> tensor<2x16x32xf32> {
  // CHECK: linalg.generic {indexing_maps = [#[[$LHS]], #[[$RHS]], #[[$OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
  // CHECK: arith.mulf
  // CHECK: arith.addf
  %0 = paso.matmul %a, %b : (tensor<2x16x64xf32>, tensor<1x64x32xf32>) -> tensor<2x16x32xf32>
  return %0 : tensor<2x16x32xf32>
}

// -----

// Softmax subtracts the max and normalises along its axis.
// CHECK-LABEL: func @softmax
func.func @softmax(%x: tensor<2x10xf32>) -> tensor<2x10xf32> {
  // CHECK: arith.maximumf
  // CHECK: math.exp
  // CHECK: arith.addf
  // CHECK: arith.divf
  %0 = paso.softmax %x {axis = 1 : i64} : (tensor<2x10xf32>) -> tensor<2x10xf32>
  return %0 : tensor<2x10xf32>
}

// -----

// A fused conv is the convolution plus one epilogue generic that adds the
// residual and applies the activation.
// CHECK-LABEL: func @fused_conv
func.func @fused_conv(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>, %r: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK: linalg.matmul
  // CHECK: %[[C:.*]] = tensor.expand_shape
  // CHECK: linalg.generic {{.*}} ins(%[[C]], %{{.*}} : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>)
  // CHECK: %[[SUM:.*]] = arith.addf
  // CHECK: arith.maximumf %[[SUM]]
  // CHECK: arith.minimumf
  %0 = paso.fused_conv %x, %w residual(%r : tensor<1x2x4x4xf32>) {activation = "clip", activation_params = array<f64: 0.0, 6.0>, strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32> -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

// A fused matmul: rows folded into M, bias broadcast into the accumulator,
// one linalg.matmul, then the activation.
// CHECK-LABEL: func @fused_matmul
func.func @fused_matmul(%x: tensor<2x8x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>) -> tensor<2x8x32xf32> {
  // CHECK: %[[ROWS:.*]] = tensor.expand_shape %{{.*}} output_shape [16, 16]
  // CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%{{.*}} : tensor<32xf32>) outs(%{{.*}} : tensor<16x32xf32>)
  // CHECK: %[[P:.*]] = linalg.matmul ins(%[[ROWS]], %{{.*}} : tensor<16x16xf32>, tensor<16x32xf32>) outs(%[[INIT]] : tensor<16x32xf32>)
  // CHECK: linalg.generic {{.*}} ins(%[[P]] : tensor<16x32xf32>)
  // CHECK: arith.maximumf
  %0 = paso.fused_matmul %x, %w bias(%b : tensor<32xf32>) {activation = "relu", trans_rhs = false} : tensor<2x8x16xf32>, tensor<16x32xf32> -> tensor<2x8x32xf32>
  return %0 : tensor<2x8x32xf32>
}
