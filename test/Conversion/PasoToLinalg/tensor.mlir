// Data-movement ops become tensor views, copies and index-computing generics.
// RUN: paso-opt %s --split-input-file --paso-convert-to-linalg | FileCheck %s

// Weights stay resource blobs; small constants stay inline.
// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xi64>, tensor<2x2xf32>) {
  // CHECK: arith.constant dense<[1, 2]> : tensor<2xi64>
  // CHECK: arith.constant dense_resource<w> : tensor<2x2xf32>
  %0 = paso.constant dense<[1, 2]> : tensor<2xi64>
  %1 = paso.constant dense_resource<w> : tensor<2x2xf32>
  return %0, %1 : tensor<2xi64>, tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      w: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// A reshape collapses to 1-D and expands: two views, no copy.
// CHECK-LABEL: func @reshape
func.func @reshape(%x: tensor<2x3x4xf32>) -> tensor<6x4xf32> {
  // CHECK: %[[FLAT:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2]] : tensor<2x3x4xf32> into tensor<24xf32>
  // CHECK: tensor.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [6, 4] : tensor<24xf32> into tensor<6x4xf32>
  %0 = paso.reshape %x {shape = array<i64: 6, 4>} : (tensor<2x3x4xf32>) -> tensor<6x4xf32>
  return %0 : tensor<6x4xf32>
}

// -----

// Concat inserts each input at its offset; empty inputs are skipped.
// CHECK-LABEL: func @concat
func.func @concat(%a: tensor<1x2xf32>, %b: tensor<1x3xf32>, %e: tensor<1x0xf32>) -> tensor<1x5xf32> {
  // CHECK: %[[D:.*]] = tensor.empty() : tensor<1x5xf32>
  // CHECK: %[[A:.*]] = tensor.insert_slice %{{.*}} into %[[D]][0, 0] [1, 2] [1, 1]
  // CHECK: tensor.insert_slice %{{.*}} into %[[A]][0, 2] [1, 3] [1, 1]
  // CHECK-NOT: tensor.insert_slice
  %0 = paso.concat %a, %e, %b {axis = 1 : i64} : (tensor<1x2xf32>, tensor<1x0xf32>, tensor<1x3xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// -----

// Positive steps are a strided extract_slice; a negative step reads through
// computed indices.
// CHECK-LABEL: func @slices
func.func @slices(%x: tensor<8xf32>) -> (tensor<3xf32>, tensor<4xf32>) {
  // CHECK: tensor.extract_slice %{{.*}}[1] [3] [2] : tensor<8xf32> to tensor<3xf32>
  // CHECK: linalg.generic
  // CHECK: linalg.index 0
  // CHECK: tensor.extract
  %0 = paso.slice %x {starts = array<i64: 1>, ends = array<i64: 7>, steps = array<i64: 2>} : (tensor<8xf32>) -> tensor<3xf32>
  %1 = paso.slice %x {starts = array<i64: 7>, ends = array<i64: -1>, steps = array<i64: -2>} : (tensor<8xf32>) -> tensor<4xf32>
  return %0, %1 : tensor<3xf32>, tensor<4xf32>
}

// -----

// Gather wraps negative indices.
// CHECK-LABEL: func @gather
func.func @gather(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  // CHECK: arith.index_cast
  // CHECK: arith.cmpi slt
  // CHECK: arith.select
  // CHECK: tensor.extract
  %0 = paso.gather %t, %i {axis = 0 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

// Reductions over axes, mean divides by the count.
// CHECK-LABEL: func @reduce_mean
func.func @reduce_mean(%x: tensor<2x3x4xf32>) -> tensor<2x1x1xf32> {
  // CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "reduction", "reduction"]
  // CHECK: arith.constant 1.200000e+01 : f32
  // CHECK: arith.divf
  %0 = paso.reduce_mean %x {axes = array<i64: 1, 2>, keepdims = true} : (tensor<2x3x4xf32>) -> tensor<2x1x1xf32>
  return %0 : tensor<2x1x1xf32>
}

// -----

// GatherElements reads data at the output position with the axis index
// replaced; GatherND reads each tuple entry from indices first.
// CHECK-LABEL: func @gather_elements
func.func @gather_elements(%t: tensor<2x8xf32>, %i: tensor<2x3xi64>) -> tensor<2x3xf32> {
  // CHECK: linalg.generic
  // CHECK: %[[RAW:.*]] = tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<2x3xi64>
  // CHECK: arith.index_cast %[[RAW]]
  // CHECK: arith.select
  // CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<2x8xf32>
  %0 = paso.gather_elements %t, %i {axis = 1 : i64} : (tensor<2x8xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func @gather_nd
func.func @gather_nd(%t: tensor<4x5x6xf32>, %i: tensor<3x2xi64>) -> tensor<3x6xf32> {
  // CHECK: linalg.generic
  // CHECK-COUNT-2: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}] : tensor<3x2xi64>
  // CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %{{.*}}] : tensor<4x5x6xf32>
  %0 = paso.gather_nd %t, %i {batch_dims = 0 : i64} : (tensor<4x5x6xf32>, tensor<3x2xi64>) -> tensor<3x6xf32>
  return %0 : tensor<3x6xf32>
}

// -----

// Bilinear sampling with zero padding: two grid reads, four masked taps.
// CHECK-LABEL: func @grid_sample
func.func @grid_sample(%x: tensor<1x2x4x4xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  // CHECK: linalg.generic
  // CHECK-COUNT-2: tensor.extract %{{.*}} : tensor<1x3x3x2xf32>
  // CHECK: math.floor
  // CHECK-COUNT-4: tensor.extract %{{.*}} : tensor<1x2x4x4xf32>
  // CHECK-NOT: tensor.extract
  %0 = paso.grid_sample %x, %g {align_corners = false, mode = "linear", padding_mode = "zeros"} : (tensor<1x2x4x4xf32>, tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}
