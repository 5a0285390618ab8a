// The layout choice depends on the vector width. A 1x1 convolution from
// 512 to 16 channels on a 7x7 map: NCHW vectorises along the 49 pixels
// (register tiles of 16 or 32 columns: 49 of 64 lanes used either way)
// and NHWC along the 16 output channels, a full 256-bit tile (16 columns)
// but half of a 512-bit one (32). So AVX2 gets NHWC and 512-bit targets
// keep NCHW.
// RUN: echo '{"base": "x86-64-avx2", "name": "wide", "vector_bits": 512}' > %t.json
// RUN: paso-opt %s --paso-select-cpu-layout="target=%t.json" | FileCheck %s --check-prefix=WIDE
// RUN: paso-opt %s --paso-select-cpu-layout="target=x86-64-avx2" | FileCheck %s --check-prefix=AVX2
// WIDE: module attributes {paso.layout = "NCHW (cost model: {{.*}} ms in NCHW, {{.*}} ms in NHWC over 1 convolutions and poolings)"}
// WIDE-NOT: channels_last
// AVX2: module attributes {paso.layout = "NHWC (cost model:
// AVX2: channels_last = true
func.func @few_filters(%x: tensor<1x512x7x7xf32>) -> tensor<1x16x7x7xf32> {
  %w = paso.constant dense<0.5> : tensor<16x512x1x1xf32>
  %0 = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>} : (tensor<1x512x7x7xf32>, tensor<16x512x1x1xf32>) -> tensor<1x16x7x7xf32>
  return %0 : tensor<1x16x7x7xf32>
}
