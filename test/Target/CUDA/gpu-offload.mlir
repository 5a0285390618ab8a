// paso-gpu-offload places each op that touches memory on the GPU or the
// CPU, shapes the GPU's loops as a grid, and adds the copies and waits.
// RUN: paso-opt %s --split-input-file --paso-gpu-offload=block-size=64 | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-gpu-offload=emulate=1 | FileCheck %s --check-prefix=EMULATE

// An elementwise op on the GPU: the input and the weights are copied into
// the arena (the weights once, behind a flag), the loops collapse to one
// and tile by the block size, and the output is copied out before a wait.
// CHECK: module attributes {paso.cuda.placement = [{device = "gpu", {{.*}}op = "linalg.generic", reason = ""}]}
// CHECK-LABEL: func @add_weights
// CHECK-SAME: (%[[IN:.*]]: memref<2x4xf32>, %[[OUT:.*]]: memref<2x4xf32>)
// CHECK: %[[W:.*]] = memref.alloc() {paso.persistent} : memref<4xf32>
// CHECK: %[[IN_DEV:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: gpu.memcpy %[[IN_DEV]], %[[IN]]
// CHECK: %[[OUT_DEV:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: %[[FLAG:.*]] = memref.alloc() {paso.persistent} : memref<1xi32>
// CHECK: memref.load %[[FLAG]]
// CHECK: scf.if
// CHECK:   %[[HOST_W:.*]] = memref.get_global @weights
// CHECK:   gpu.memcpy %[[W]], %[[HOST_W]]
// CHECK:   memref.store %{{.*}}, %[[FLAG]]
// CHECK: %[[BLOCK:.*]] = arith.constant 64 : index
// CHECK: scf.parallel (%[[B:.*]]) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK:   scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step
// CHECK:     scf.if
// CHECK:       memref.load %[[IN_DEV]]
// CHECK:       memref.load %[[W]]
// CHECK:       memref.store %{{.*}}, %[[OUT_DEV]]
// CHECK: } {paso.gpu.grid}
// CHECK: gpu.memcpy %[[OUT]], %[[OUT_DEV]]
// CHECK-NEXT: gpu.wait
// CHECK-NEXT: return
// CHECK-NOT: linalg.generic
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @add_weights(%in: memref<2x4xf32>, %out: memref<2x4xf32>) attributes {paso.num_inputs = 1 : i64} {
  %w = memref.get_global @weights : memref<4xf32>
  linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%in, %w : memref<2x4xf32>, memref<4xf32>) outs(%out : memref<2x4xf32>) {
  ^bb0(%x: f32, %y: f32, %z: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A reduction to one value has no parallel loop: it stays on the CPU,
// after a wait for the GPU's work, and the report's record says why. The
// product after it runs on the GPU again, reading the CPU's result in
// the (managed) arena. A reduction before a parallel loop is interchanged.
// CHECK: paso.cuda.placement = [{device = "gpu", {{.*}}op = "linalg.generic", reason = ""}, {device = "cpu", {{.*}}op = "linalg.generic", reason = "no parallel loop (a reduction to one value)"}, {device = "gpu", {{.*}}op = "linalg.generic", reason = ""}]
// The reduction's accumulator is carried in a register, not reloaded and
// stored each iteration.
// CHECK-LABEL: func @cpu_between
// CHECK: scf.parallel
// CHECK:   %[[INIT:.*]] = memref.load %[[ROWS:.*]][%[[I:.*]]] : memref<8xf32>
// CHECK:   %[[SUM:.*]] = scf.for %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK-NOT: memref.store
// CHECK:     arith.addf %{{.*}}, %[[ACC]] : f32
// CHECK:     scf.yield
// CHECK:   memref.store %[[SUM]], %[[ROWS]][%[[I]]] : memref<8xf32>
// CHECK: } {paso.gpu.grid}
// CHECK: gpu.wait
// CHECK-NEXT: linalg.generic
// CHECK-SAME: iterator_types = ["reduction", "reduction"]
// CHECK: } {paso.gpu.grid}
// CHECK: gpu.memcpy
// CHECK-NEXT: gpu.wait
func.func @cpu_between(%in: memref<3x8xf32>, %out: memref<8xf32>) attributes {paso.num_inputs = 1 : i64} {
  %rows = memref.alloc() : memref<8xf32>
  linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> (c)>], iterator_types = ["reduction", "parallel"]} ins(%in : memref<3x8xf32>) outs(%rows : memref<8xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  %total = memref.alloc() : memref<f32>
  linalg.generic {indexing_maps = [affine_map<(r, c) -> (r, c)>, affine_map<(r, c) -> ()>], iterator_types = ["reduction", "reduction"]} ins(%in : memref<3x8xf32>) outs(%total : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %x, %acc : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [affine_map<(c) -> (c)>, affine_map<(c) -> ()>, affine_map<(c) -> (c)>], iterator_types = ["parallel"]} ins(%rows, %total : memref<8xf32>, memref<f32>) outs(%out : memref<8xf32>) {
  ^bb0(%x: f32, %t: f32, %o: f32):
    %d = arith.divf %x, %t : f32
    linalg.yield %d : f32
  }
  return
}

// -----

// Nothing the GPU can run (a runtime call): the function is left as it
// is, with the placement recorded.
// CHECK: paso.cuda.placement = [{device = "cpu", {{.*}}op = "func.call", reason = "no GPU lowering for func.call"}]
// CHECK-LABEL: func @only_cpu
// CHECK-NOT: gpu.
// CHECK: call @kernel
func.func private @kernel(memref<4xf32>)
func.func @only_cpu(%in: memref<4xf32>) {
  call @kernel(%in) : (memref<4xf32>) -> ()
  return
}

// -----

// A matmul is a launch of 16 x 16 threads per 16 x 16 tile of C (grid 2 x 3
// for 40 x 20): A's and B's tiles in workgroup memory, 16 along K per step
// between barriers, each thread's sum in private memory, every load of A,
// B and C guarded at the edges. Emulated, each phase is a loop over the
// block's threads and the tiles are host buffers.
// CHECK: paso.cuda.placement = [{device = "gpu", {{.*}}op = "linalg.matmul", reason = "16x16 tiles through shared memory"}]
// CHECK-LABEL: func @product
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK-DAG: %[[C3:.*]] = arith.constant 3 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: gpu.launch blocks({{[^)]*}}) in (%[[V:[a-z0-9_]+]] = %[[C2]], %[[V:[a-z0-9_]+]] = %[[C3]], %[[V:[a-z0-9_]+]] = %[[V:[a-z0-9_]+]]) threads({{[^)]*}}) in (%[[V:[a-z0-9_]+]] = %[[C16]], %[[V:[a-z0-9_]+]] = %[[C16]], %[[V:[a-z0-9_]+]] = %[[V:[a-z0-9_]+]])
// CHECK-SAME: workgroup(%[[TA:[a-z0-9_]+]] : memref<16x16xf32, #gpu.address_space<workgroup>>, %[[TB:[a-z0-9_]+]] : memref<16x16xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%{{[a-z0-9_]+}} : memref<1xf32, #gpu.address_space<private>>)
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:   memref.store %{{.*}}, %[[TA]]
// CHECK:   memref.store %{{.*}}, %[[TB]]
// CHECK:   gpu.barrier
// CHECK:   scf.for {{.*}} iter_args
// CHECK:     memref.load %[[TA]]
// CHECK:     memref.load %[[TB]]
// CHECK:   gpu.barrier
// CHECK: gpu.terminator
// CHECK-NOT: linalg.matmul
// EMULATE-LABEL: func @product
// EMULATE: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// EMULATE: scf.for
// EMULATE:   scf.parallel
// EMULATE:   scf.parallel
// EMULATE: } {paso.gpu.grid}
// EMULATE-NOT: gpu.launch
func.func @product(%a: memref<40x24xf32>, %b: memref<24x20xf32>, %c: memref<40x20xf32>) attributes {paso.num_inputs = 2 : i64} {
  linalg.matmul ins(%a, %b : memref<40x24xf32>, memref<24x20xf32>) outs(%c : memref<40x20xf32>)
  return
}
