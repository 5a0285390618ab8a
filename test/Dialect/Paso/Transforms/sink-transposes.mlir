// Transposes move down through layout-agnostic ops until they meet their
// inverse and fold away; they stay where moving them would need a new
// transpose.
// RUN: paso-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(paso-sink-transposes))" | FileCheck %s

// A unary op and a clip between an NHWC -> NCHW transpose and its inverse:
// both transposes go.
// CHECK-LABEL: func @through_unary
// CHECK-NEXT: %[[R:.*]] = paso.relu %arg0 : tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[C:.*]] = paso.clip %[[R]] {{.*}} : tensor<1x4x4x8xf32>
// CHECK-NEXT: return %[[C]]
func.func @through_unary(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %0 = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x8x4x4xf32>
  %1 = paso.relu %0 : tensor<1x8x4x4xf32>
  %2 = paso.clip %1 {max = 6.0 : f64, min = 0.0 : f64} : tensor<1x8x4x4xf32>
  %3 = paso.transpose %2 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x4x4xf32>) -> tensor<1x4x4x8xf32>
  return %3 : tensor<1x4x4x8xf32>
}

// -----

// A residual add of two transposed values, and a per-channel constant
// ([C, 1, 1] in NCHW) permuted to [1, 1, 1, C] at compile time.
// CHECK-LABEL: func @through_binary
// CHECK-DAG: %[[BIAS:.*]] = paso.constant dense<{{\[\[\[\[}}1.000000e+00, 2.000000e+00]]]]> : tensor<1x1x1x2xf32>
// CHECK: %[[SUM:.*]] = paso.add %arg0, %arg1 : tensor<1x3x3x2xf32>, tensor<1x3x3x2xf32> -> tensor<1x3x3x2xf32>
// CHECK: %[[B:.*]] = paso.add %[[SUM]], %[[BIAS]] : tensor<1x3x3x2xf32>, tensor<1x1x1x2xf32> -> tensor<1x3x3x2xf32>
// CHECK-NOT: paso.transpose
// CHECK: return %[[B]]
func.func @through_binary(%a: tensor<1x3x3x2xf32>, %b: tensor<1x3x3x2xf32>) -> tensor<1x3x3x2xf32> {
  %c = paso.constant dense<[[[1.0]], [[2.0]]]> : tensor<2x1x1xf32>
  %ta = paso.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %tb = paso.transpose %b {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %0 = paso.add %ta, %tb : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  %1 = paso.add %0, %c : tensor<1x2x3x3xf32>, tensor<2x1x1xf32> -> tensor<1x2x3x3xf32>
  %2 = paso.transpose %1 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x2x3x3xf32>) -> tensor<1x3x3x2xf32>
  return %2 : tensor<1x3x3x2xf32>
}

// -----

// Concat along NCHW's channel axis becomes a concat along NHWC's axis 3.
// CHECK-LABEL: func @through_concat
// CHECK-NEXT: %[[C:.*]] = paso.concat %arg0, %arg1 {axis = 3 : i64} : (tensor<1x2x2x3xf32>, tensor<1x2x2x5xf32>) -> tensor<1x2x2x8xf32>
// CHECK-NEXT: return %[[C]]
func.func @through_concat(%a: tensor<1x2x2x3xf32>, %b: tensor<1x2x2x5xf32>) -> tensor<1x2x2x8xf32> {
  %ta = paso.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x3xf32>) -> tensor<1x3x2x2xf32>
  %tb = paso.transpose %b {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x2x2x5xf32>) -> tensor<1x5x2x2xf32>
  %0 = paso.concat %ta, %tb {axis = 1 : i64} : (tensor<1x3x2x2xf32>, tensor<1x5x2x2xf32>) -> tensor<1x8x2x2xf32>
  %1 = paso.transpose %0 {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x2x2xf32>) -> tensor<1x2x2x8xf32>
  return %1 : tensor<1x2x2x8xf32>
}

// -----

// A global average pool of an NHWC value reduces axes 1, 2; its kept
// [1, 1, 1, C] result read as NCHW [1, C, 1, 1] is a reshape, which the
// following flatten absorbs.
// CHECK-LABEL: func @global_pool
// CHECK-NEXT: %[[M:.*]] = paso.reduce_mean %arg0 {axes = array<i64: 1, 2>, keepdims = true} : (tensor<1x7x7x16xf32>) -> tensor<1x1x1x16xf32>
// CHECK-NEXT: %[[F:.*]] = paso.reshape %[[M]] {shape = array<i64: 1, 16>} : (tensor<1x1x1x16xf32>) -> tensor<1x16xf32>
// CHECK-NEXT: return %[[F]]
func.func @global_pool(%x: tensor<1x7x7x16xf32>) -> tensor<1x16xf32> {
  %0 = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x7x7x16xf32>) -> tensor<1x16x7x7xf32>
  %1 = paso.reduce_mean %0 {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x16x7x7xf32>) -> tensor<1x16x1x1xf32>
  %2 = paso.reshape %1 {shape = array<i64: 1, 16>} : (tensor<1x16x1x1xf32>) -> tensor<1x16xf32>
  return %2 : tensor<1x16xf32>
}

// -----

// Without keepdims the remaining dims keep their order: no transpose.
// Reducing the channels leaves (n, h, w) in NHWC order, which is NCHW's
// (n, h, w) order too.
// CHECK-LABEL: func @reduce_channels
// CHECK-NEXT: %[[S:.*]] = paso.reduce_sum %arg0 {axes = array<i64: 3>, keepdims = false} : (tensor<1x4x5x6xf32>) -> tensor<1x4x5xf32>
// CHECK-NEXT: return %[[S]]
func.func @reduce_channels(%x: tensor<1x4x5x6xf32>) -> tensor<1x4x5xf32> {
  %0 = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x5x6xf32>) -> tensor<1x6x4x5xf32>
  %1 = paso.reduce_sum %0 {axes = array<i64: 1>, keepdims = false} : (tensor<1x6x4x5xf32>) -> tensor<1x4x5xf32>
  return %1 : tensor<1x4x5xf32>
}

// -----

// Refused: the other operand of the add is a computed tensor in the other
// layout; sinking would need a transpose of it, so the transpose stays.
// CHECK-LABEL: func @mixed_operands
// CHECK: %[[T:.*]] = paso.transpose %arg0
// CHECK: paso.add %[[T]], %arg1
func.func @mixed_operands(%a: tensor<1x3x3x2xf32>, %b: tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32> {
  %ta = paso.transpose %a {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %0 = paso.add %ta, %b : tensor<1x2x3x3xf32>, tensor<1x2x3x3xf32> -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}

// -----

// Refused: layout-bound ops (softmax over an axis, a reshape that mixes
// dims) stop a transpose; it stays right before them.
// CHECK-LABEL: func @stops_at_softmax
// CHECK: %[[T:.*]] = paso.transpose %arg0
// CHECK: paso.softmax %[[T]]
func.func @stops_at_softmax(%x: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  %0 = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %1 = paso.softmax %0 {axis = 1 : i64} : (tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  return %1 : tensor<1x2x3x3xf32>
}

// -----

// Reducing NCHW's H without keepdims leaves (n, c, w); the NHWC reduction
// leaves (n, w, c), so a transpose of the remaining dims follows.
// CHECK-LABEL: func @reduce_reorders
// CHECK-NEXT: %[[S:.*]] = paso.reduce_max %arg0 {axes = array<i64: 1>, keepdims = false} : (tensor<1x4x5x6xf32>) -> tensor<1x5x6xf32>
// CHECK-NEXT: %[[T:.*]] = paso.transpose %[[S]] {perm = array<i64: 0, 2, 1>} : (tensor<1x5x6xf32>) -> tensor<1x6x5xf32>
// CHECK-NEXT: return %[[T]]
func.func @reduce_reorders(%x: tensor<1x4x5x6xf32>) -> tensor<1x6x5xf32> {
  %0 = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x5x6xf32>) -> tensor<1x6x4x5xf32>
  %1 = paso.reduce_max %0 {axes = array<i64: 2>, keepdims = false} : (tensor<1x6x4x5xf32>) -> tensor<1x6x5xf32>
  return %1 : tensor<1x6x5xf32>
}

// -----

!a = !quant.uniform<u8:f32, 0.5:10>
!b = !quant.uniform<u8:f32, 0.25:3>

// Per-tensor quantisation does not depend on the layout: the transposes
// cross dequantize, requantize, quantize and storage casts and cancel.
// CHECK-LABEL: func @through_quantisation
// CHECK-NEXT: %[[D:.*]] = paso.dequantize %arg0 : tensor<1x4x4x8x!quant.uniform<u8:f32, 5.000000e-01:10>> -> tensor<1x4x4x8xf32>
// CHECK-NEXT: %[[Q:.*]] = paso.quantize %[[D]] {{.*}} -> tensor<1x4x4x8x!quant.uniform<u8:f32, 2.500000e-01:3>>
// CHECK-NEXT: %[[R:.*]] = paso.requantize %[[Q]] {{.*}} -> tensor<1x4x4x8x!quant.uniform<u8:f32, 5.000000e-01:10>>
// CHECK-NEXT: %[[S:.*]] = paso.storage_cast %[[R]] : tensor<1x4x4x8x!quant.uniform<u8:f32, 5.000000e-01:10>> -> tensor<1x4x4x8xui8>
// CHECK-NEXT: return %[[S]]
func.func @through_quantisation(%x: tensor<1x4x4x8x!a>) -> tensor<1x4x4x8xui8> {
  %t = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x8x!a>) -> tensor<1x8x4x4x!a>
  %d = paso.dequantize %t : tensor<1x8x4x4x!a> -> tensor<1x8x4x4xf32>
  %q = paso.quantize %d {element_type = !b} : tensor<1x8x4x4xf32> -> tensor<1x8x4x4x!b>
  %r = paso.requantize %q {element_type = !a} : tensor<1x8x4x4x!b> -> tensor<1x8x4x4x!a>
  %s = paso.storage_cast %r : tensor<1x8x4x4x!a> -> tensor<1x8x4x4xui8>
  %back = paso.transpose %s {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x4x4xui8>) -> tensor<1x4x4x8xui8>
  return %back : tensor<1x4x4x8xui8>
}

// -----

!c = !quant.uniform<i8:f32:1, {0.5, 0.25}>

// Refused: a per-axis type names a dim, which the transpose moves.
// CHECK-LABEL: func @per_axis_stays
// CHECK-NEXT: paso.transpose
// CHECK-NEXT: paso.quantize
func.func @per_axis_stays(%x: tensor<1x4x4x2xf32>) -> tensor<1x2x4x4x!c> {
  %t = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x4x4xf32>
  %q = paso.quantize %t {element_type = !c} : tensor<1x2x4x4xf32> -> tensor<1x2x4x4x!c>
  return %q : tensor<1x2x4x4x!c>
}

// -----

// DynamicQuantizeLinear (quantize_dynamic's CNNs, before every
// convolution): its scale and zero point come from the minimum and maximum
// of all elements, so the transpose moves to its output and on through
// the cast and the subtraction of the (rank-0) zero point, to cancel with
// the convolution's.
// CHECK-LABEL: func @through_dynamic_quantize
// CHECK-NEXT: %[[Y:.*]], %[[S:.*]], %[[Z:.*]] = paso.dynamic_quantize %arg0 : tensor<1x4x4x8xf32> -> (tensor<1x4x4x8xui8>, tensor<f32>, tensor<ui8>)
// CHECK-NOT: paso.transpose
// CHECK: return
func.func @through_dynamic_quantize(%x: tensor<1x4x4x8xf32>) -> (tensor<1x4x4x8xf32>, tensor<f32>) {
  %t = paso.transpose %x {perm = array<i64: 0, 3, 1, 2>} : (tensor<1x4x4x8xf32>) -> tensor<1x8x4x4xf32>
  %y, %s, %z = paso.dynamic_quantize %t : tensor<1x8x4x4xf32> -> (tensor<1x8x4x4xui8>, tensor<f32>, tensor<ui8>)
  %f = paso.cast %y {to = f32} : tensor<1x8x4x4xui8> -> tensor<1x8x4x4xf32>
  %zf = paso.cast %z {to = f32} : tensor<ui8> -> tensor<f32>
  %c = paso.sub %f, %zf : tensor<1x8x4x4xf32>, tensor<f32> -> tensor<1x8x4x4xf32>
  %back = paso.transpose %c {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x4x4xf32>) -> tensor<1x4x4x8xf32>
  return %back, %s : tensor<1x4x4x8xf32>, tensor<f32>
}
