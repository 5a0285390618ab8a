// paso-prepare-gpu-kernels gathers the outlined kernels into one module
// for the chip and leaves no math that would need libdevice.
// RUN: paso-opt %s --split-input-file --paso-prepare-gpu-kernels="chip=sm_53 ptx-version=65" | FileCheck %s
// RUN: not paso-opt %s --paso-prepare-gpu-kernels="chip=gfx90a ptx-version=74" 2>&1 | FileCheck %s --check-prefix=BADCHIP
// RUN: not paso-opt %s --paso-prepare-gpu-kernels="chip=sm_87 ptx-version=70" 2>&1 | FileCheck %s --check-prefix=OLDPTX

// CHECK-LABEL: func @launches
// CHECK: gpu.launch_func @paso_kernels::@first
// CHECK: gpu.launch_func @paso_kernels::@second
// CHECK: gpu.module @paso_kernels [#nvvm.target<O = 3, chip = "sm_53", features = "+ptx65">]
// At least 4 blocks per SM, where the block size is known (ptxas takes
// it only then): ptxas keeps the kernel within 64 registers.
// CHECK: gpu.func @first(%{{.*}}: memref<64xf32>) kernel attributes {known_block_size = array<i32: 64, 1, 1>, nvvm.minctasm = 4 : i32}
// CHECK-NOT: math.exp
// CHECK-NOT: math.tanh
// CHECK: gpu.func @second(%{{.*}}: memref<64xf32>) kernel {
// CHECK-NOT: math.erf
// CHECK-NOT: math.powf
// CHECK-NOT: gpu.module
module attributes {gpu.container_module} {
  func.func @launches(%buffer: memref<64xf32>) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    gpu.launch_func @first_module::@first blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%buffer : memref<64xf32>)
    gpu.launch_func @second_module::@second blocks in (%c1, %c1, %c1) threads in (%c64, %c1, %c1) args(%buffer : memref<64xf32>)
    return
  }
  gpu.module @first_module {
    gpu.func @first(%buffer: memref<64xf32>) kernel attributes {known_block_size = array<i32: 64, 1, 1>} {
      %i = gpu.thread_id x
      %x = memref.load %buffer[%i] : memref<64xf32>
      %e = math.exp %x : f32
      %t = math.tanh %e : f32
      memref.store %t, %buffer[%i] : memref<64xf32>
      gpu.return
    }
  }
  gpu.module @second_module {
    gpu.func @second(%buffer: memref<64xf32>) kernel {
      %i = gpu.thread_id x
      %x = memref.load %buffer[%i] : memref<64xf32>
      %e = math.erf %x : f32
      %p = math.powf %e, %x : f32
      memref.store %p, %buffer[%i] : memref<64xf32>
      gpu.return
    }
  }
}

// The chip and the PTX version are checked as a target file's are.
// BADCHIP: error: accelerator 'cuda:gfx90a:ptx74': unknown CUDA chip (known: sm_50,
// OLDPTX: error: accelerator 'cuda:sm_87:ptx70': sm_87 needs PTX ISA 7.4 or newer
