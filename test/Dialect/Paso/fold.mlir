// Folders: constant evaluation of small tensors (the shape arithmetic of
// exported models) and removal of identity ops.
// RUN: paso-opt %s --split-input-file --canonicalize | FileCheck %s

// Shape -> Gather -> Concat -> Reshape, as exported by PyTorch, folds to one
// constant.
// CHECK-LABEL: func @shape_chain
func.func @shape_chain() -> tensor<2xi64> {
  // CHECK: %[[C:.*]] = paso.constant dense<[1, 2048]> : tensor<2xi64>
  // CHECK-NEXT: return %[[C]]
  %shape = paso.constant dense<[1, 2048, 1, 1]> : tensor<4xi64>
  %idx = paso.constant dense<0> : tensor<1xi64>
  %batch = paso.gather %shape, %idx {axis = 0 : i64} : (tensor<4xi64>, tensor<1xi64>) -> tensor<1xi64>
  %rest = paso.slice %shape {starts = array<i64: 1>, ends = array<i64: 2>, steps = array<i64: 1>} : (tensor<4xi64>) -> tensor<1xi64>
  %cat = paso.concat %batch, %rest {axis = 0 : i64} : (tensor<1xi64>, tensor<1xi64>) -> tensor<2xi64>
  return %cat : tensor<2xi64>
}

// -----

// Integer arithmetic with broadcasting, comparisons, where and cast.
// CHECK-LABEL: func @arith
func.func @arith() -> (tensor<3xi64>, tensor<3xi1>, tensor<3xf32>, tensor<3xi64>) {
  // CHECK-DAG: paso.constant dense<[5, 7, 9]> : tensor<3xi64>
  // CHECK-DAG: paso.constant dense<[false, true, true]> : tensor<3xi1>
  // CHECK-DAG: paso.constant dense<[5.000000e+00, 7.000000e+00, 9.000000e+00]> : tensor<3xf32>
  // CHECK-DAG: paso.constant dense<[1, 5, 6]> : tensor<3xi64>
  // CHECK-NOT: paso.add
  // CHECK-NOT: paso.where
  %a = paso.constant dense<[1, 2, 3]> : tensor<3xi64>
  %two = paso.constant dense<2> : tensor<i64>
  %three = paso.constant dense<3> : tensor<1xi64>
  %m = paso.mul %a, %two : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  %s = paso.add %m, %three : tensor<3xi64>, tensor<1xi64> -> tensor<3xi64>
  %six = paso.constant dense<6> : tensor<1xi64>
  %c = paso.greater %s, %six : tensor<3xi64>, tensor<1xi64> -> tensor<3xi1>
  %f = paso.cast %s {to = f32} : tensor<3xi64> -> tensor<3xf32>
  %neg = paso.neg %a : tensor<3xi64>
  %w = paso.where %c, %a, %neg : tensor<3xi1>, tensor<3xi64>, tensor<3xi64> -> tensor<3xi64>
  // Integer division truncates toward zero: -1 / 2 == 0.
  %d = paso.div %w, %two : tensor<3xi64>, tensor<i64> -> tensor<3xi64>
  %e = paso.mul %d, %three : tensor<3xi64>, tensor<1xi64> -> tensor<3xi64>
  %out = paso.sub %e, %neg : tensor<3xi64>, tensor<3xi64> -> tensor<3xi64>
  return %s, %c, %f, %out : tensor<3xi64>, tensor<3xi1>, tensor<3xf32>, tensor<3xi64>
}

// -----

// Integer division by zero is left for run time rather than folded.
// CHECK-LABEL: func @div_by_zero
func.func @div_by_zero() -> tensor<2xi64> {
  // CHECK: paso.div
  %a = paso.constant dense<[4, 8]> : tensor<2xi64>
  %z = paso.constant dense<[2, 0]> : tensor<2xi64>
  %d = paso.div %a, %z : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  return %d : tensor<2xi64>
}

// -----

// Transpose of a constant is evaluated; identity transpose disappears.
// CHECK-LABEL: func @transpose
func.func @transpose(%x: tensor<2x3xf32>) -> (tensor<3x2xi64>, tensor<2x3xf32>) {
  // CHECK: %[[T:.*]] = paso.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi64>
  // CHECK: return %[[T]], %{{.*}} :
  %c = paso.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %t = paso.transpose %c {perm = array<i64: 1, 0>} : (tensor<2x3xi64>) -> tensor<3x2xi64>
  %i = paso.transpose %x {perm = array<i64: 0, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %t, %i : tensor<3x2xi64>, tensor<2x3xf32>
}

// -----

// Identity reshapes, pads, slices, broadcasts and single-input concats fold
// away; reshape of reshape becomes one reshape.
// CHECK-LABEL: func @identities
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
func.func @identities(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<3x2xf32>) {
  // CHECK: %[[R:.*]] = paso.reshape %[[X]] {shape = array<i64: 3, 2>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  // CHECK: return %[[X]], %[[R]]
  %0 = paso.reshape %x {shape = array<i64: 2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = paso.pad %0 {pads = array<i64: 0, 0, 0, 0>, mode = "constant", value = 0.0 : f64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = paso.slice %1 {starts = array<i64: 0, 0>, ends = array<i64: 2, 3>, steps = array<i64: 1, 1>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %3 = paso.broadcast_to %2 {shape = array<i64: 2, 3>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %4 = paso.concat %3 {axis = 0 : i64} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %5 = paso.reshape %4 {shape = array<i64: 6>} : (tensor<2x3xf32>) -> tensor<6xf32>
  %6 = paso.reshape %5 {shape = array<i64: 3, 2>} : (tensor<6xf32>) -> tensor<3x2xf32>
  return %4, %6 : tensor<2x3xf32>, tensor<3x2xf32>
}

// -----

// Values computed at run time, and resource-backed weights, are not folded.
// CHECK-LABEL: func @no_fold
func.func @no_fold(%x: tensor<4xi64>) -> (tensor<4xi64>, tensor<2x2xf32>) {
  // CHECK: paso.add
  // CHECK: paso.transpose
  %one = paso.constant dense<1> : tensor<4xi64>
  %0 = paso.add %x, %one : tensor<4xi64>, tensor<4xi64> -> tensor<4xi64>
  %w = paso.constant dense_resource<weights> : tensor<2x2xf32>
  %1 = paso.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  return %0, %1 : tensor<4xi64>, tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// Transposes that cancel disappear; consecutive ones compose.
// CHECK-LABEL: func @transpose_pairs
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x3x4xf32>)
func.func @transpose_pairs(%x: tensor<1x2x3x4xf32>) -> (tensor<1x2x3x4xf32>, tensor<1x4x2x3xf32>) {
  // CHECK: %[[T:.*]] = paso.transpose %[[X]] {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x3x4xf32>) -> tensor<1x4x2x3xf32>
  // CHECK: return %[[X]], %[[T]]
  %nhwc = paso.transpose %x {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x4xf32>) -> tensor<1x3x4x2xf32>
  %back = paso.transpose %nhwc {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x4x2xf32>) -> tensor<1x2x3x4xf32>
  %a = paso.transpose %x {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x2x3x4xf32>) -> tensor<1x3x2x4xf32>
  %b = paso.transpose %a {perm = array<i64: 0, 3, 2, 1>} : (tensor<1x3x2x4xf32>) -> tensor<1x4x2x3xf32>
  return %back, %b : tensor<1x2x3x4xf32>, tensor<1x4x2x3xf32>
}

// -----

// Integer remainders fold (numpy's mod takes the divisor's sign).
// CHECK-LABEL: func @fold_mod
func.func @fold_mod() -> (tensor<2xi64>, tensor<2xi64>) {
  // CHECK-DAG: paso.constant dense<[1, -1]> : tensor<2xi64>
  // CHECK-DAG: paso.constant dense<[-3, 3]> : tensor<2xi64>
  %a = paso.constant dense<[-7, 7]> : tensor<2xi64>
  %b = paso.constant dense<[4, -4]> : tensor<2xi64>
  %0 = paso.mod %a, %b : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  %1 = paso.fmod %a, %b : tensor<2xi64>, tensor<2xi64> -> tensor<2xi64>
  return %0, %1 : tensor<2xi64>, tensor<2xi64>
}

// -----

// A whole float through i32 and back is itself (ConvInteger's int32 sums,
// imported as round(f32 conv), cast back to float by quantize_dynamic's
// graphs). Without the round the first cast truncates: kept.
// CHECK-LABEL: func @rounded_cast_pair
// CHECK-NEXT: %[[R:.*]] = paso.round %arg0
// CHECK-NEXT: %[[T:.*]] = paso.cast %arg1 {to = i32}
// CHECK-NEXT: %[[B:.*]] = paso.cast %[[T]] {to = f32}
// CHECK-NEXT: return %[[R]], %[[B]]
func.func @rounded_cast_pair(%x: tensor<4xf32>, %y: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %r = paso.round %x : tensor<4xf32>
  %i = paso.cast %r {to = i32} : tensor<4xf32> -> tensor<4xi32>
  %f = paso.cast %i {to = f32} : tensor<4xi32> -> tensor<4xf32>
  %j = paso.cast %y {to = i32} : tensor<4xf32> -> tensor<4xi32>
  %g = paso.cast %j {to = f32} : tensor<4xi32> -> tensor<4xf32>
  return %f, %g : tensor<4xf32>, tensor<4xf32>
}
