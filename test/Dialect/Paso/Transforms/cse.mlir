// paso ops are Pure: upstream CSE merges duplicated subgraphs and the
// canonicaliser removes dead ones.
// RUN: paso-opt %s --split-input-file --cse --canonicalize | FileCheck %s

// An exporter's duplicated conv + relu branch collapses to one.
// CHECK-LABEL: func @duplicated_branch
func.func @duplicated_branch(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // CHECK-COUNT-1: paso.conv
  // CHECK-COUNT-1: paso.relu
  // CHECK: %[[S:.*]] = paso.add %[[R:.*]], %[[R]]
  // CHECK-NOT: paso.sigmoid
  %c1 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r1 = paso.relu %c1 : tensor<1x2x4x4xf32>
  %c2 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %r2 = paso.relu %c2 : tensor<1x2x4x4xf32>
  %dead = paso.sigmoid %r2 : tensor<1x2x4x4xf32>
  %s = paso.add %r1, %r2 : tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32> -> tensor<1x2x4x4xf32>
  return %s : tensor<1x2x4x4xf32>
}

// -----

// Different attributes are different computations.
// CHECK-LABEL: func @different_strides
func.func @different_strides(%x: tensor<1x2x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>) {
  // CHECK-COUNT-2: paso.conv
  %c1 = paso.conv %x, %w {strides = array<i64: 1, 1>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  %c2 = paso.conv %x, %w {strides = array<i64: 2, 2>, pads = array<i64: 0, 0, 0, 0>, dilations = array<i64: 1, 1>, group = 1 : i64} : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x2x2xf32>
  return %c1, %c2 : tensor<1x2x4x4xf32>, tensor<1x2x2x2xf32>
}
