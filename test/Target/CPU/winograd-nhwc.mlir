// Channels-last 3x3 stride-1 convolutions by Winograd
// (paso_winograd_nhwc_f32): F(4x4, 3x3) or F(2x2, 3x3) where the cost
// model predicts a win, forced with --paso-force-winograd, never with
// --paso-no-winograd; strided and dilated convolutions stay direct.
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" | FileCheck %s
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" --paso-force-winograd=2 | FileCheck %s --check-prefix=FORCE2
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" --paso-no-winograd | FileCheck %s --check-prefix=DIRECT
// RUN: not paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" --paso-force-winograd=3 2>&1 | FileCheck %s --check-prefix=BADTILE
// BADTILE: error: --paso-force-winograd=3: the output tile edge must be 2 or 4

// 64 -> 64 channels at 28x28: F(4x4, 3x3), 7 x 7 = 49 tiles in one block.
// Descriptor: M = 784 output pixels, N = 64 filters, K = 64 channels,
// A = the transformed filters packed as B panels (layout 1), LDA = 49
// tiles per block, B = the NHWC image (layout 4), LDB = 4 (the tile edge),
// LDC = 64. The filters: 36 planes x 4 panels x 64 channels x 16 columns.
// Forced to F(2x2, 3x3): blocks of 8 register tiles (48 tiles), 16 planes.
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[784, 64, 64, 1, 1, 49, 4, 4, 64,
// CHECK-DAG: func.func private @paso_winograd_nhwc_f32(i64, i64, i64, i64, i64, i64)
// CHECK-LABEL: func @winograd_nhwc
// CHECK: paso.constant dense_resource<winograd_filter_hwc{{.*}}> : tensor<147456xf32>
// CHECK: call @paso_winograd_nhwc_f32({{.*}}) {paso.algorithm = "winograd F(4x4,3x3), channels-last"
// FORCE2-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[784, 64, 64, 1, 1, 48, 4, 2, 64,
// FORCE2-LABEL: func @winograd_nhwc
// FORCE2: paso.constant dense_resource<winograd_filter_hwc{{.*}}> : tensor<65536xf32>
// FORCE2: call @paso_winograd_nhwc_f32({{.*}}) {paso.algorithm = "winograd F(2x2,3x3), channels-last"
// DIRECT-LABEL: func @winograd_nhwc
// DIRECT-NOT: winograd
// DIRECT: call @paso_gemm_f32({{.*}}) {paso.algorithm = "gemm, channels-last, implicit im2col"
func.func @winograd_nhwc(%x: tensor<1x28x28x64xf32>, %b: tensor<64xf32>) -> tensor<1x28x28x64xf32> {
  %w = paso.constant dense<0.5> : tensor<64x3x3x64xf32>
  %y = paso.fused_conv %x, %w bias(%b : tensor<64xf32>) {activation = "relu", channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : tensor<1x28x28x64xf32>, tensor<64x3x3x64xf32> -> tensor<1x28x28x64xf32>
  return %y : tensor<1x28x28x64xf32>
}

// -----

// A small layer: the transforms would cost more than they save, so the
// cost model keeps the direct kernel; forced, it runs by Winograd.
// CHECK-LABEL: func @small_layer
// CHECK-NOT: winograd
// CHECK: call @paso_gemm_f32
// FORCE2-LABEL: func @small_layer
// FORCE2: call @paso_winograd_nhwc_f32
func.func @small_layer(%x: tensor<1x6x6x4xf32>) -> tensor<1x6x6x4xf32> {
  %w = paso.constant dense<0.5> : tensor<4x3x3x4xf32>
  %y = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x6x6x4xf32>, tensor<4x3x3x4xf32>) -> tensor<1x6x6x4xf32>
  return %y : tensor<1x6x6x4xf32>
}

// -----

// Strided and dilated 3x3 convolutions have no Winograd form here, even
// forced.
// FORCE2-LABEL: func @strided_and_dilated
// FORCE2-NOT: winograd
// FORCE2: call @paso_gemm_f32
// FORCE2: call @paso_gemm_f32
func.func @strided_and_dilated(%x: tensor<1x28x28x64xf32>) -> (tensor<1x14x14x64xf32>, tensor<1x28x28x64xf32>) {
  %w = paso.constant dense<0.5> : tensor<64x3x3x64xf32>
  %s = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<1x28x28x64xf32>, tensor<64x3x3x64xf32>) -> tensor<1x14x14x64xf32>
  %d = paso.conv %x, %w {channels_last = true, dilations = array<i64: 2, 2>, group = 1 : i64, pads = array<i64: 2, 2, 2, 2>, strides = array<i64: 1, 1>} : (tensor<1x28x28x64xf32>, tensor<64x3x3x64xf32>) -> tensor<1x28x28x64xf32>
  return %s, %d : tensor<1x14x14x64xf32>, tensor<1x28x28x64xf32>
}

// -----

// 256 channels at 56x56: the transformed filters (36 x 256 x 256 floats,
// 9 MiB) would be streamed once per L2-sized block, so the blocks grow
// to the runtime's cap of 4 MiB of planes: 4 blocks of 54 tiles
// (36 x 54 x 512 floats each) instead of dozens of L2-sized ones.
// CHECK-DAG: memref.global "private" constant @__paso_gemm_descriptor_{{[0-9]+}} : memref<35xi64> = dense<[3136, 256, 256, 1, 1, 54, 4, 4, 256,
// CHECK-LABEL: func @large_layer
// CHECK: call @paso_winograd_nhwc_f32({{.*}}) {paso.algorithm = "winograd F(4x4,3x3), channels-last"
func.func @large_layer(%x: tensor<1x56x56x256xf32>) -> tensor<1x56x56x256xf32> {
  %w = paso.constant dense<0.5> : tensor<256x3x3x256xf32>
  %y = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x56x56x256xf32>, tensor<256x3x3x256xf32>) -> tensor<1x56x56x256xf32>
  return %y : tensor<1x56x56x256xf32>
}
