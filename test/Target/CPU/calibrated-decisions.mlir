// A calibrated target (kernel_time_scale, written by paso-opt --calibrate)
// moves the Winograd-or-direct decision the way its measurements say: a
// board where Winograd ran 3x slower than predicted keeps the direct
// kernel; one where the GEMM ran 3x slower takes Winograd where the
// uncalibrated model did not.
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=x86-64-avx2" | FileCheck %s --check-prefix=DEFAULT
// RUN: echo '{"base": "x86-64-avx2", "kernel_time_scale": {"winograd": 3}}' > %t.slow-winograd.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=%t.slow-winograd.json" | FileCheck %s --check-prefix=SLOWWINO
// RUN: echo '{"base": "x86-64-avx2", "kernel_time_scale": {"gemm": 3}}' > %t.slow-gemm.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=%t.slow-gemm.json" | FileCheck %s --check-prefix=SLOWGEMM
// Measured candidates (kernel_times_us, as a calibration-suite profile
// gives) decide over the scales: the scales say Winograd, the
// measurements say direct; the recorded prediction is the measurement.
// RUN: echo '{"base": "x86-64-avx2", "kernel_time_scale": {"gemm": 3}, "kernel_times_us": {"gemm, channels-last, implicit im2col|1x28x28x64|M=784 N=64 K=576 batch=1": 100, "winograd F(2x2,3x3), channels-last|1x28x28x64|M=196 N=64 K=64 batch=16": 400, "winograd F(4x4,3x3), channels-last|1x28x28x64|M=49 N=64 K=64 batch=36": 300}}' > %t.measured.json
// RUN: paso-opt %s --split-input-file --paso-call-cpu-kernels="target=%t.measured.json" | FileCheck %s --check-prefix=MEASURED

// The predicted time carries the calibration too (3x the default's).
// DEFAULT-LABEL: func @large_layer
// DEFAULT: paso.algorithm = "winograd F(4x4,3x3), channels-last"
// DEFAULT-SAME: paso.kernel_class = "winograd"
// SLOWWINO-LABEL: func @large_layer
// SLOWWINO: paso.algorithm = "gemm, channels-last, implicit im2col"
// SLOWWINO-SAME: paso.kernel_class = "gemm"
// SLOWGEMM-LABEL: func @large_layer
// SLOWGEMM: paso.algorithm = "winograd F(4x4,3x3), channels-last"
// MEASURED-LABEL: func @large_layer
// MEASURED: paso.algorithm = "gemm, channels-last, implicit im2col"
// MEASURED-SAME: paso.predicted_1t_us = {{99.99999|100.0}}
func.func @large_layer(%x: tensor<1x28x28x64xf32>) -> tensor<1x28x28x64xf32> {
  %w = paso.constant dense<0.5> : tensor<64x3x3x64xf32>
  %y = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x28x28x64xf32>, tensor<64x3x3x64xf32>) -> tensor<1x28x28x64xf32>
  return %y : tensor<1x28x28x64xf32>
}

// -----

// DEFAULT-LABEL: func @borderline_layer
// DEFAULT: paso.algorithm = "gemm, channels-last, implicit im2col"
// SLOWWINO-LABEL: func @borderline_layer
// SLOWWINO: paso.algorithm = "gemm, channels-last, implicit im2col"
// SLOWGEMM-LABEL: func @borderline_layer
// SLOWGEMM: paso.algorithm = "winograd F(4x4,3x3), channels-last"
func.func @borderline_layer(%x: tensor<1x14x14x32xf32>) -> tensor<1x14x14x32xf32> {
  %w = paso.constant dense<0.5> : tensor<32x3x3x32xf32>
  %y = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 1, 1>} : (tensor<1x14x14x32xf32>, tensor<32x3x3x32xf32>) -> tensor<1x14x14x32xf32>
  return %y : tensor<1x14x14x32xf32>
}

// -----

// paso.winograd_tile overrides the decision per op (the calibration suite
// runs both forms of a layer): 0 keeps the direct kernel where the model
// takes Winograd, 2 forces F(2x2, 3x3) where it takes the direct one.
// DEFAULT-LABEL: func @overridden
// DEFAULT: paso.algorithm = "gemm, channels-last, implicit im2col"
// DEFAULT: paso.algorithm = "winograd F(2x2,3x3), channels-last"
func.func @overridden(%x: tensor<1x28x28x64xf32>, %y: tensor<1x14x14x32xf32>) -> (tensor<1x28x28x64xf32>, tensor<1x14x14x32xf32>) {
  %w = paso.constant dense<0.5> : tensor<64x3x3x64xf32>
  %a = paso.conv %x, %w {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, paso.winograd_tile = 0 : i64, strides = array<i64: 1, 1>} : (tensor<1x28x28x64xf32>, tensor<64x3x3x64xf32>) -> tensor<1x28x28x64xf32>
  %v = paso.constant dense<0.5> : tensor<32x3x3x32xf32>
  %b = paso.conv %y, %v {channels_last = true, dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 1, 1, 1, 1>, paso.winograd_tile = 2 : i64, strides = array<i64: 1, 1>} : (tensor<1x14x14x32xf32>, tensor<32x3x3x32xf32>) -> tensor<1x14x14x32xf32>
  return %a, %b : tensor<1x28x28x64xf32>, tensor<1x14x14x32xf32>
}
