// paso-lower-gpu-launches turns launches, copies and waits into calls of
// the model runtime's CUDA layer and keeps the PTX for code emission.
// RUN: paso-opt %s --split-input-file --paso-lower-gpu-launches --verify-diagnostics | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-lower-gpu-launches=emulate=1 | FileCheck %s --check-prefix=EMULATE

// A memref parameter is its expanded descriptor: two pointers, the offset,
// the sizes and the strides, each in a 64-bit slot; a strided view passes
// its static offset (in elements) and strides.
// CHECK: module attributes {paso.cuda.kernels = ["scale"], paso.cuda.ptx = "{{.*}}.entry scale(
// CHECK-LABEL: func @run
// CHECK-SAME: (%[[IN:.*]]: memref<8xf32>, %[[VIEW:.*]]: memref<2x2xf32, strided<[4, 1], offset: 5>>)
// CHECK: %[[SLOTS:.*]] = memref.alloca() {paso.cuda.slots} : memref<12xi64>
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[IN]]
// CHECK: %[[PTR:.*]] = arith.index_cast %[[P]] : index to i64
// CHECK: memref.store %[[PTR]], %[[SLOTS]][%{{.*}}]
// CHECK: memref.store %[[PTR]], %[[SLOTS]][%{{.*}}]
// CHECK: memref.extract_aligned_pointer_as_index %[[VIEW]]
// CHECK: arith.constant 5 : i64
// CHECK: arith.constant 2 : i64
// CHECK: arith.constant 4 : i64
// CHECK: %[[COUNT:.*]] = arith.constant 12 : i32
// CHECK: call @paso_cuda_launch(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[SLOTS]], %[[COUNT]])
// CHECK: %[[SHIFT:.*]] = arith.constant 16 : i64
// CHECK: %[[SRC:.*]] = arith.addi %{{.*}}, %[[SHIFT]] : i64
// CHECK: %[[BYTES:.*]] = arith.constant 16 : i64
// CHECK: call @paso_cuda_copy(%{{.*}}, %[[SRC]], %[[BYTES]])
// CHECK: call @paso_cuda_sync()
// CHECK-NOT: gpu.
// EMULATE-LABEL: func @run
// EMULATE: gpu.launch_func
// EMULATE: memref.copy %{{.*}}, %{{.*}} : memref<2x2xf32, strided<[2, 1], offset: 4>> to memref<2x2xf32>
// EMULATE-NOT: gpu.memcpy
// EMULATE-NOT: gpu.wait
module attributes {gpu.container_module} {
  func.func @run(%in: memref<8xf32>, %view: memref<2x2xf32, strided<[4, 1], offset: 5>>) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @paso_kernels::@scale blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%in : memref<8xf32>, %view : memref<2x2xf32, strided<[4, 1], offset: 5>>)
    %dense = memref.alloc() : memref<2x2xf32>
    %rows = memref.subview %in[4] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: 4>>
    %tail = memref.expand_shape %rows [[0, 1]] output_shape [2, 2] : memref<4xf32, strided<[1], offset: 4>> into memref<2x2xf32, strided<[2, 1], offset: 4>>
    gpu.memcpy %dense, %tail : memref<2x2xf32>, memref<2x2xf32, strided<[2, 1], offset: 4>>
    gpu.wait
    return
  }
  gpu.binary @paso_kernels [#gpu.object<#nvvm.target<chip = "sm_87">, assembly = ".version 7.4\0A.target sm_87\0A.visible .entry scale(\0A.param .u64 a,\0A.param .u64 b,\0A.param .u64 c,\0A.param .u64 d,\0A.param .u64 e,\0A.param .u64 f,\0A.param .u64 g,\0A.param .u64 h,\0A.param .u64 i,\0A.param .u64 j,\0A.param .u64 k,\0A.param .u64 l\0A)\0A{\0Aret;\0A}\0A">]
}

// -----

// A PTX that calls a function it does not define (libdevice) would be
// rejected by the driver on the board: an error at compile time.
// expected-error @+1 {{the GPU kernels call functions the PTX does not define (libdevice is not linked): __nv_expf}}
module attributes {gpu.container_module} {
  gpu.binary @paso_kernels [#gpu.object<#nvvm.target<chip = "sm_87">, assembly = ".version 7.4\0A.extern .func  (.param .b32 func_retval0) __nv_expf(\0A.param .b32 x\0A);\0A">]
}

// -----

// A copy is one byte range: a strided view cannot be copied.
module attributes {gpu.container_module} {
  func.func @run(%in: memref<4x4xf32>) {
    %column = memref.subview %in[0, 0] [4, 1] [1, 1] : memref<4x4xf32> to memref<4x1xf32, strided<[4, 1]>>
    %dense = memref.alloc() : memref<4x1xf32>
    // expected-error @+1 {{a GPU copy needs dense buffers}}
    gpu.memcpy %dense, %column : memref<4x1xf32>, memref<4x1xf32, strided<[4, 1]>>
    return
  }
}

// -----

// The host's parameter slots must match the PTX entry's parameters.
module attributes {gpu.container_module} {
  func.func @run(%in: memref<8xf32>) {
    %c1 = arith.constant 1 : index
    // expected-error @+1 {{the PTX entry of "k" does not take the 5 parameters the launch passes}}
    gpu.launch_func @paso_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%in : memref<8xf32>)
    return
  }
  gpu.binary @paso_kernels [#gpu.object<#nvvm.target<chip = "sm_87">, assembly = ".visible .entry k(\0A.param .u64 a\0A)\0A{\0Aret;\0A}\0A">]
}
