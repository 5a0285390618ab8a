// GELU (erf or tanh form) becomes the tanh approximation in ops TFLite's
// int8 set has; other ops stay.
// RUN: paso-opt %s --split-input-file --paso-decompose-for-tflite | FileCheck %s

// CHECK-LABEL: func @gelu
// CHECK-SAME: (%[[X:.*]]: tensor<2x8xf32>)
// CHECK-NOT: paso.gelu
// CHECK: %[[XX:.*]] = paso.mul %[[X]], %[[X]]
// CHECK: %[[X3:.*]] = paso.mul %[[XX]], %[[X]]
// CHECK: %[[C:.*]] = paso.mul %[[X3]], %{{.*}}
// CHECK: %[[IN:.*]] = paso.add %[[X]], %[[C]]
// CHECK: %[[S:.*]] = paso.mul %[[IN]], %{{.*}}
// CHECK: %[[T:.*]] = paso.tanh %[[S]]
// CHECK: %[[ONE:.*]] = paso.add %[[T]], %{{.*}}
// CHECK: %[[HALF:.*]] = paso.mul %[[X]], %{{.*}}
// CHECK: %[[Y:.*]] = paso.mul %[[HALF]], %[[ONE]]
// CHECK: return %[[Y]]
func.func @gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = paso.gelu %x {tanh_approximation = false} : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// CHECK-LABEL: func @no_gelu
// CHECK-NEXT: paso.relu
// CHECK-NEXT: return
func.func @no_gelu(%x: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = paso.relu %x : tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}
