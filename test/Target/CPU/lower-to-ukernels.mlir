// f32 matmuls on row-major buffers become calls to the GEMM micro-kernel.
// RUN: paso-opt %s --split-input-file --paso-lower-to-ukernels | FileCheck %s

// CHECK: func.func private @paso_sgemm(i64, i64, i64, i64, i64, i64, i64, i64, i64, i32)
// CHECK-LABEL: func @plain
func.func @plain(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  // CHECK: memref.extract_aligned_pointer_as_index
  // CHECK-DAG: %[[M:.*]] = arith.constant 4 : i64
  // CHECK-DAG: %[[N:.*]] = arith.constant 16 : i64
  // CHECK-DAG: %[[K:.*]] = arith.constant 8 : i64
  // CHECK-DAG: %[[NOTRANS:.*]] = arith.constant 0 : i32
  // CHECK: call @paso_sgemm(%[[M]], %[[N]], %[[K]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[NOTRANS]])
  // CHECK-NOT: linalg.matmul
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// A transposed B (through the indexing maps) passes transB = 1; a strided
// row view keeps its leading dimension.
// CHECK-LABEL: func @transposed
func.func @transposed(%a: memref<4x8xf32, strided<[16, 1], offset: 2>>, %b: memref<16x8xf32>, %c: memref<4x16xf32>) {
  // CHECK: %[[TRANS:.*]] = arith.constant 1 : i32
  // CHECK: call @paso_sgemm({{.*}}, %[[TRANS]])
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>]
    ins(%a, %b : memref<4x8xf32, strided<[16, 1], offset: 2>>, memref<16x8xf32>) outs(%c : memref<4x16xf32>)
  return
}

// -----

// Columns that are not contiguous, or other element types, stay loops.
// CHECK-LABEL: func @unsupported
func.func @unsupported(%a: memref<4x8xf32, strided<[1, 4]>>, %b: memref<8x16xf32>, %c: memref<4x16xf32>,
                       %ai: memref<4x8xi32>, %bi: memref<8x16xi32>, %ci: memref<4x16xi32>) {
  // CHECK-NOT: call @paso_sgemm
  // CHECK-COUNT-2: linalg.matmul
  linalg.matmul ins(%a, %b : memref<4x8xf32, strided<[1, 4]>>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  linalg.matmul ins(%ai, %bi : memref<4x8xi32>, memref<8x16xi32>) outs(%ci : memref<4x16xi32>)
  return
}

// -----

// A 512-bit target calls the 512-bit kernel.
// RUN: paso-opt %s --split-input-file --paso-lower-to-ukernels="vector-bits=512" | FileCheck %s --check-prefix=WIDE
// WIDE: func.func private @paso_sgemm_v16(i64, i64, i64, i64, i64, i64, i64, i64, i64, i32)
// WIDE: call @paso_sgemm_v16(
func.func @wide(%a: memref<4x8xf32>, %b: memref<8x16xf32>, %c: memref<4x16xf32>) {
  linalg.matmul ins(%a, %b : memref<4x8xf32>, memref<8x16xf32>) outs(%c : memref<4x16xf32>)
  return
}
