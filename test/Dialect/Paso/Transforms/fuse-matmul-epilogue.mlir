// Matrix products absorb a row bias and one activation.
// RUN: paso-opt %s --split-input-file --paso-fuse-matmul-epilogue="explain" --verify-diagnostics | FileCheck %s

// MatMul + Add(bias) + GELU: the transformer's FFN.
// CHECK-LABEL: func @ffn
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x16xf32>, %[[W:.*]]: tensor<16x32xf32>, %[[B:.*]]: tensor<32xf32>)
func.func @ffn(%x: tensor<1x8x16xf32>, %w: tensor<16x32xf32>, %b: tensor<32xf32>) -> tensor<1x8x32xf32> {
  // CHECK: %[[F:.*]] = paso.fused_matmul %[[X]], %[[W]] bias(%[[B]] : tensor<32xf32>) {activation = "gelu", trans_rhs = false}
  // CHECK-NEXT: return %[[F]]
  %m = paso.matmul %x, %w : (tensor<1x8x16xf32>, tensor<16x32xf32>) -> tensor<1x8x32xf32>
  %a = paso.add %m, %b : tensor<1x8x32xf32>, tensor<32xf32> -> tensor<1x8x32xf32>
  %g = paso.gelu %a {tanh_approximation = false} : tensor<1x8x32xf32>
  return %g : tensor<1x8x32xf32>
}

// -----

// Gemm with a transposed weight and a [1, N] bias, then Relu: a fully
// connected layer.
// CHECK-LABEL: func @fully_connected
func.func @fully_connected(%x: tensor<1x64xf32>, %w: tensor<10x64xf32>, %c: tensor<1x10xf32>) -> tensor<1x10xf32> {
  // CHECK: %[[C:.*]] = paso.reshape %{{.*}} {shape = array<i64: 10>}
  // CHECK: paso.fused_matmul %{{.*}}, %{{.*}} bias(%[[C]] : tensor<10xf32>) {activation = "relu", trans_rhs = true}
  %g = paso.gemm %x, %w, %c {alpha = 1.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = true} : (tensor<1x64xf32>, tensor<10x64xf32>, tensor<1x10xf32>) -> tensor<1x10xf32>
  %r = paso.relu %g : tensor<1x10xf32>
  return %r : tensor<1x10xf32>
}

// -----

// Gemm with alpha != 1 keeps its own op.
// CHECK-LABEL: func @scaled_gemm
func.func @scaled_gemm(%x: tensor<1x64xf32>, %w: tensor<64x10xf32>) -> tensor<1x10xf32> {
  // CHECK: paso.gemm
  %g = paso.gemm %x, %w {alpha = 2.0 : f32, beta = 1.0 : f32, trans_a = false, trans_b = false} : (tensor<1x64xf32>, tensor<64x10xf32>) -> tensor<1x10xf32>
  return %g : tensor<1x10xf32>
}

// -----

// A product also used elsewhere keeps its activation separate.
// CHECK-LABEL: func @shared_product
func.func @shared_product(%x: tensor<4x16xf32>, %w: tensor<16x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  // CHECK: paso.fused_matmul {{.*}} {trans_rhs = false}
  // CHECK: paso.relu
  %m = paso.matmul %x, %w : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{not fused into the matrix product: the product's result has other users}}
  %r = paso.relu %m : tensor<4x8xf32>
  return %r, %m : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A bias that is not one value per column stays an add.
// CHECK-LABEL: func @matrix_add
func.func @matrix_add(%x: tensor<4x16xf32>, %w: tensor<16x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK: paso.fused_matmul {{.*}} {trans_rhs = false}
  // CHECK: paso.add
  %m = paso.matmul %x, %w : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  // expected-remark @below {{not fused into the matrix product: the other operand is not a [N] bias}}
  %a = paso.add %m, %y : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %a : tensor<4x8xf32>
}
