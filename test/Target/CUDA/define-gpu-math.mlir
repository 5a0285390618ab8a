// paso-define-gpu-math gives the libdevice functions the NVVM lowering
// calls for rounding, sqrt and friends bodies of LLVM intrinsics, so that
// the PTX defines every function it calls without the CUDA toolkit.
// RUN: paso-opt %s --pass-pipeline="builtin.module(gpu.module(paso-define-gpu-math))" | FileCheck %s

// CHECK-LABEL: gpu.module @kernels
// CHECK: llvm.func internal @__nv_floorf(%[[X:.*]]: f32) -> f32
// CHECK-NEXT: %[[R:.*]] = llvm.intr.floor(%[[X]]) : (f32) -> f32
// CHECK-NEXT: llvm.return %[[R]] : f32
// CHECK: llvm.func internal @__nv_sqrt(%[[Y:.*]]: f64) -> f64
// CHECK-NEXT: llvm.intr.sqrt(%[[Y]]) : (f64) -> f64
// CHECK: llvm.func internal @__nv_rsqrtf(%[[Z:.*]]: f32) -> f32
// CHECK-NEXT: %[[ROOT:.*]] = llvm.intr.sqrt(%[[Z]])
// CHECK-NEXT: %[[ONE:.*]] = llvm.mlir.constant(1.000000e+00 : f32) : f32
// CHECK-NEXT: llvm.fdiv %[[ONE]], %[[ROOT]] : f32
// CHECK: llvm.func internal @__nv_fmaf(%{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32) -> f32
// CHECK-NEXT: llvm.intr.fma
// A function PASO has no body for stays a declaration (the PTX check
// names it).
// CHECK: llvm.func @__nv_expf(f32) -> f32
// CHECK-NOT: llvm.intr
// Functions not from libdevice are not touched.
// CHECK: llvm.func @other(f32) -> f32
module attributes {gpu.container_module} {
  gpu.module @kernels {
    llvm.func @__nv_floorf(f32) -> f32
    llvm.func @__nv_sqrt(f64) -> f64
    llvm.func @__nv_rsqrtf(f32) -> f32
    llvm.func @__nv_fmaf(f32, f32, f32) -> f32
    llvm.func @__nv_expf(f32) -> f32
    llvm.func @other(f32) -> f32
  }
}
