// Intermediate buffers become views of one arena argument at 64-byte
// aligned offsets chosen by liveness; deallocations disappear.
// RUN: paso-opt %s --split-input-file --paso-plan-arena | FileCheck %s

// Two buffers live at the same time get disjoint slots, largest first.
// CHECK-LABEL: func @overlapping
// CHECK-SAME: (%{{[a-z0-9]+}}: memref<4xf32>, %[[ARENA:[a-z0-9]+]]: memref<192xi8>)
// CHECK-SAME: attributes {paso.arena_naive_size = 192 : i64, paso.arena_size = 192 : i64}
func.func @overlapping(%in: memref<4xf32>) {
  // CHECK: %[[C128:.*]] = arith.constant 128 : index
  // CHECK: memref.view %[[ARENA]][%[[C128]]][] : memref<192xi8> to memref<4xf32>
  // CHECK: %[[C0:.*]] = arith.constant 0 : index
  // CHECK: memref.view %[[ARENA]][%[[C0]]][] : memref<192xi8> to memref<10x10xi8>
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

// A buffer dead before the next is allocated shares its slot, also when the
// last use is through a view or inside a region.
// CHECK-LABEL: func @reuse
// CHECK-SAME: attributes {paso.arena_naive_size = 2304 : i64, paso.arena_size = 1024 : i64}
func.func @reuse(%in: memref<256xf32>, %mid: memref<16x16xf32>, %out: memref<64xf32>) {
  // CHECK: %[[C0:.*]] = arith.constant 0 : index
  // CHECK: memref.view %{{.*}}[%[[C0]]][] : memref<1024xi8> to memref<256xf32>
  // CHECK: %[[C0B:.*]] = arith.constant 0 : index
  // CHECK: memref.view %{{.*}}[%[[C0B]]][] : memref<1024xi8> to memref<16x16xf32>
  // CHECK: %[[C0C:.*]] = arith.constant 0 : index
  // CHECK: memref.view %{{.*}}[%[[C0C]]][] : memref<1024xi8> to memref<64xf32>
  %a = memref.alloc() : memref<256xf32>
  memref.copy %in, %a : memref<256xf32> to memref<256xf32>
  %a2 = memref.expand_shape %a [[0, 1]] output_shape [16, 16] : memref<256xf32> into memref<16x16xf32>
  memref.copy %a2, %mid : memref<16x16xf32> to memref<16x16xf32>
  %b = memref.alloc() : memref<16x16xf32>
  scf.execute_region {
    memref.copy %mid, %b : memref<16x16xf32> to memref<16x16xf32>
    scf.yield
  }
  %c = memref.alloc() : memref<64xf32>
  memref.copy %c, %out : memref<64xf32> to memref<64xf32>
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
