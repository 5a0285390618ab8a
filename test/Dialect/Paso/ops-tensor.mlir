// Round-trip of the tensor family, in custom and generic form.
// RUN: paso-opt %s --split-input-file | FileCheck %s
// RUN: paso-opt %s --split-input-file --mlir-print-op-generic | paso-opt --split-input-file | FileCheck %s

// Constants: inline dense values and resource blobs.
// CHECK-LABEL: func @constants
func.func @constants() -> (tensor<2xi64>, tensor<2x2xf32>) {
  // CHECK: paso.constant dense<[1, 2048]> : tensor<2xi64>
  // CHECK: paso.constant dense_resource<weights> : tensor<2x2xf32>
  %0 = paso.constant dense<[1, 2048]> : tensor<2xi64>
  %1 = paso.constant dense_resource<weights> : tensor<2x2xf32>
  return %0, %1 : tensor<2xi64>, tensor<2x2xf32>
}
{-#
  dialect_resources: {
    builtin: {
      weights: "0x040000000000803F000000400000404000008040"
    }
  }
#-}

// -----

// Reshape, transpose, concat and split.
// CHECK-LABEL: func @shapes
func.func @shapes(%x: tensor<1x2048x1x1xf32>, %y: tensor<1x4x8x16xf32>) -> (tensor<1x2048xf32>, tensor<1x8x4x16xf32>, tensor<1x8x8x16xf32>, tensor<1x4x8x4xf32>) {
  // CHECK: paso.reshape %{{.*}} {shape = array<i64: 1, 2048>} : (tensor<1x2048x1x1xf32>) -> tensor<1x2048xf32>
  // CHECK: paso.transpose %{{.*}} {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x8x16xf32>) -> tensor<1x8x4x16xf32>
  // CHECK: paso.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x8x8x16xf32>
  // CHECK: %{{.*}}:2 = paso.split %{{.*}} {axis = 3 : i64, sizes = array<i64: 4, 12>} : (tensor<1x4x8x16xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x12xf32>)
  %0 = paso.reshape %x {shape = array<i64: 1, 2048>} : (tensor<1x2048x1x1xf32>) -> tensor<1x2048xf32>
  %1 = paso.transpose %y {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x4x8x16xf32>) -> tensor<1x8x4x16xf32>
  %2 = paso.concat %y, %y {axis = 1 : i64} : (tensor<1x4x8x16xf32>, tensor<1x4x8x16xf32>) -> tensor<1x8x8x16xf32>
  %3:2 = paso.split %y {axis = 3 : i64, sizes = array<i64: 4, 12>} : (tensor<1x4x8x16xf32>) -> (tensor<1x4x8x4xf32>, tensor<1x4x8x12xf32>)
  return %0, %1, %2, %3#0 : tensor<1x2048xf32>, tensor<1x8x4x16xf32>, tensor<1x8x8x16xf32>, tensor<1x4x8x4xf32>
}

// -----

// Slice with positive and negative steps, gather, broadcast, pad.
// CHECK-LABEL: func @movement
func.func @movement(%x: tensor<4x8xf32>, %ids: tensor<2x3xi64>) -> (tensor<2x3xf32>, tensor<2x3x8xf32>, tensor<3x4x8xf32>, tensor<6x10xf32>) {
  // CHECK: paso.slice {{.*}} -> tensor<2x3xf32>
  // CHECK: paso.gather {{.*}} -> tensor<2x3x8xf32>
  // CHECK: paso.broadcast_to {{.*}} -> tensor<3x4x8xf32>
  // CHECK: paso.pad {{.*}}mode = "reflect"{{.*}} -> tensor<6x10xf32>
  %0 = paso.slice %x {starts = array<i64: 3, 0>, ends = array<i64: -1, 8>, steps = array<i64: -2, 3>} : (tensor<4x8xf32>) -> tensor<2x3xf32>
  %1 = paso.gather %x, %ids {axis = 0 : i64} : (tensor<4x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %2 = paso.broadcast_to %x {shape = array<i64: 3, 1, 1>} : (tensor<4x8xf32>) -> tensor<3x4x8xf32>
  %3 = paso.pad %x {pads = array<i64: 1, 1, 1, 1>, mode = "reflect", value = 0.0 : f64} : (tensor<4x8xf32>) -> tensor<6x10xf32>
  return %0, %1, %2, %3 : tensor<2x3xf32>, tensor<2x3x8xf32>, tensor<3x4x8xf32>, tensor<6x10xf32>
}

// -----

// Resize to a static size; reductions with and without keepdims; argmax.
// CHECK-LABEL: func @resize_reduce
func.func @resize_reduce(%x: tensor<1x8x8x8xf32>) -> (tensor<1x8x16x16xf32>, tensor<1x8x1x1xf32>, tensor<1x8xf32>, tensor<1x8x8xi64>) {
  // CHECK: paso.resize {{.*}} -> tensor<1x8x16x16xf32>
  // CHECK: paso.reduce_mean {{.*}}keepdims = true{{.*}} -> tensor<1x8x1x1xf32>
  // CHECK: paso.reduce_max {{.*}}keepdims = false{{.*}} -> tensor<1x8xf32>
  // CHECK: paso.argmax {{.*}} -> tensor<1x8x8xi64>
  %0 = paso.resize %x {sizes = array<i64: 1, 8, 16, 16>, scales = array<f64: 1.0, 1.0, 2.0, 2.0>, mode = "nearest", coordinate_transformation_mode = "asymmetric", nearest_mode = "floor"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x16x16xf32>
  %1 = paso.reduce_mean %x {axes = array<i64: 2, 3>, keepdims = true} : (tensor<1x8x8x8xf32>) -> tensor<1x8x1x1xf32>
  %2 = paso.reduce_max %x {axes = array<i64: 2, 3>, keepdims = false} : (tensor<1x8x8x8xf32>) -> tensor<1x8xf32>
  %3 = paso.argmax %x {axis = 1 : i64, keepdims = false, select_last_index = false} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8xi64>
  return %0, %1, %2, %3 : tensor<1x8x16x16xf32>, tensor<1x8x1x1xf32>, tensor<1x8xf32>, tensor<1x8x8xi64>
}

// -----

// Per-element and tuple gathers.
// CHECK-LABEL: func @gathers
func.func @gathers(%x: tensor<2x8xf32>, %i: tensor<2x3xi64>, %d: tensor<4x5x6xf32>, %t: tensor<3x2xi64>) -> (tensor<2x3xf32>, tensor<3x6xf32>) {
  // CHECK: paso.gather_elements %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x8xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  // CHECK: paso.gather_nd %{{.*}}, %{{.*}} {batch_dims = 0 : i64} : (tensor<4x5x6xf32>, tensor<3x2xi64>) -> tensor<3x6xf32>
  %0 = paso.gather_elements %x, %i {axis = 1 : i64} : (tensor<2x8xf32>, tensor<2x3xi64>) -> tensor<2x3xf32>
  %1 = paso.gather_nd %d, %t {batch_dims = 0 : i64} : (tensor<4x5x6xf32>, tensor<3x2xi64>) -> tensor<3x6xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<3x6xf32>
}

// -----

// CHECK-LABEL: func @grid_sample
func.func @grid_sample(%x: tensor<1x2x4x4xf32>, %g: tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32> {
  // CHECK: paso.grid_sample %{{.*}}, %{{.*}} {align_corners = true, mode = "cubic", padding_mode = "reflection"} : (tensor<1x2x4x4xf32>, tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  %0 = paso.grid_sample %x, %g {align_corners = true, mode = "cubic", padding_mode = "reflection"} : (tensor<1x2x4x4xf32>, tensor<1x3x3x2xf32>) -> tensor<1x2x3x3xf32>
  return %0 : tensor<1x2x3x3xf32>
}
