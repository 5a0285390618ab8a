// Intermediate buffers become views of one arena argument at 64-byte
// aligned offsets; deallocations disappear.
// RUN: paso-opt %s --split-input-file --paso-plan-arena | FileCheck %s

// CHECK-LABEL: func @two_buffers
// CHECK-SAME: (%{{[a-z0-9]+}}: memref<4xf32>, %[[ARENA:[a-z0-9]+]]: memref<192xi8>)
// CHECK-SAME: attributes {paso.arena_size = 192 : i64}
func.func @two_buffers(%in: memref<4xf32>) {
  // CHECK: %[[C0:.*]] = arith.constant 0 : index
  // CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<192xi8> to memref<4xf32>
  // CHECK: %[[C64:.*]] = arith.constant 64 : index
  // CHECK: memref.view %[[ARENA]][%[[C64]]][] : memref<192xi8> to memref<10x10xi8>
  // CHECK-NOT: memref.alloc
  // CHECK-NOT: memref.dealloc
  %a = memref.alloc() : memref<4xf32>
  %b = memref.alloc() : memref<10x10xi8>
  memref.copy %in, %a : memref<4xf32> to memref<4xf32>
  memref.dealloc %a : memref<4xf32>
  memref.dealloc %b : memref<10x10xi8>
  return
}

// -----

// A function without buffers still gets the (1-byte) arena argument, so the
// entry point's signature does not depend on the plan.
// CHECK-LABEL: func @no_buffers
// CHECK-SAME: (%{{.*}}: memref<4xf32>, %{{.*}}: memref<1xi8>)
// CHECK-SAME: paso.arena_size = 0
func.func @no_buffers(%in: memref<4xf32>) {
  return
}

