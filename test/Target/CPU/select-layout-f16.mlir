// fp16 convolutions are costed as the fp16 kernel runs them: a direct
// product at the fp16 rate, channels-last, twice as slow in NCHW (where it
// transposes its input and writes its output transposed); so a layer the
// f32 costs leave in NCHW goes channels-last in fp16. Without fp16
// arithmetic (rpi4) the attribute is ignored.
// RUN: paso-opt %s --paso-select-cpu-layout="target=rpi5" | FileCheck %s
// RUN: paso-opt %s --paso-select-cpu-layout="target=rpi4" | FileCheck %s --check-prefix=NOFP16

// CHECK: module attributes {paso.layout = "NHWC (cost model: {{.*}} over 1 convolutions and poolings, 1 of them fp16 (channels-last kernel))"
// CHECK: paso.conv {{.*}}channels_last = true
// NOFP16: module attributes {paso.layout = "NCHW (cost model: {{.*}} over 1 convolutions and poolings)"
// NOFP16-NOT: channels_last
func.func @pointwise(%x: tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32> {
  %w = paso.constant dense<0.5> : tensor<16x16x1x1xf32>
  %y = paso.conv %x, %w {dilations = array<i64: 1, 1>, group = 1 : i64, pads = array<i64: 0, 0, 0, 0>, strides = array<i64: 1, 1>, paso.precision = "f16"} : (tensor<1x16x4x4xf32>, tensor<16x16x1x1xf32>) -> tensor<1x16x4x4xf32>
  return %y : tensor<1x16x4x4xf32>
}
