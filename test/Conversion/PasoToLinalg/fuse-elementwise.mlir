// Elementwise chains become one loop nest; shared producers, named ops and
// non-generic users are left alone.
// RUN: paso-opt %s --split-input-file --paso-convert-to-linalg --paso-fuse-elementwise --canonicalize | FileCheck %s

// SiLU written out (x * sigmoid(x)) plus a broadcast bias add: one generic
// reading x and the bias, computing every step in its body.
// CHECK-LABEL: func @chain
// CHECK: linalg.generic
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @chain(%x: tensor<2x8xf32>, %b: tensor<8xf32>) -> tensor<2x8xf32> {
  %s = paso.sigmoid %x : tensor<2x8xf32>
  %m = paso.mul %x, %s : tensor<2x8xf32>, tensor<2x8xf32> -> tensor<2x8xf32>
  %y = paso.add %m, %b : tensor<2x8xf32>, tensor<8xf32> -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// An elementwise producer feeding a reduction is merged into it: exp(x - 1)
// summed in one pass.
// CHECK-LABEL: func @into_reduction
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @into_reduction(%x: tensor<4x16xf32>) -> tensor<4x1xf32> {
  %one = paso.constant dense<1.0> : tensor<f32>
  %d = paso.sub %x, %one : tensor<4x16xf32>, tensor<f32> -> tensor<4x16xf32>
  %e = paso.exp %d : tensor<4x16xf32>
  %s = paso.reduce_sum %e {axes = array<i64: 1>, keepdims = true} : (tensor<4x16xf32>) -> tensor<4x1xf32>
  return %s : tensor<4x1xf32>
}

// -----

// A producer with two users is computed once, not recomputed per user.
// CHECK-LABEL: func @shared
// CHECK-COUNT-3: linalg.generic
func.func @shared(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e = paso.exp %x : tensor<16xf32>
  %a = paso.neg %e : tensor<16xf32>
  %b = paso.sqrt %e : tensor<16xf32>
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}

// -----

// A matrix product keeps its operands: the elementwise op before it stays
// a separate generic.
// CHECK-LABEL: func @before_matmul
// CHECK: linalg.generic
// CHECK: linalg.matmul
func.func @before_matmul(%x: tensor<4x8xf32>, %w: tensor<8x16xf32>) -> tensor<4x16xf32> {
  %r = paso.relu %x : tensor<4x8xf32>
  %y = paso.matmul %r, %w : (tensor<4x8xf32>, tensor<8x16xf32>) -> tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}
