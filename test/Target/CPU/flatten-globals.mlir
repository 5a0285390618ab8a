// N-d constant globals are stored 1-D and viewed back at their shape.
// RUN: paso-opt %s --paso-flatten-globals | FileCheck %s

// CHECK: memref.global "private" constant @w : memref<6xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]>
// CHECK: memref.global "private" constant @v : memref<2xf32> = dense<[7.000000e+00, 8.000000e+00]>
memref.global "private" constant @w : memref<2x3xf32> = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]>
memref.global "private" constant @v : memref<2xf32> = dense<[7.0, 8.0]>

// CHECK-LABEL: func @use
func.func @use() -> (memref<2x3xf32>, memref<2xf32>) {
  // CHECK: %[[FLAT:.*]] = memref.get_global @w : memref<6xf32>
  // CHECK: %[[W:.*]] = memref.expand_shape %[[FLAT]] {{\[\[}}0, 1]] output_shape [2, 3] : memref<6xf32> into memref<2x3xf32>
  // CHECK: %[[V:.*]] = memref.get_global @v : memref<2xf32>
  // CHECK: return %[[W]], %[[V]]
  %0 = memref.get_global @w : memref<2x3xf32>
  %1 = memref.get_global @v : memref<2xf32>
  return %0, %1 : memref<2x3xf32>, memref<2xf32>
}
