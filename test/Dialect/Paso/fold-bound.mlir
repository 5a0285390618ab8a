// --paso-max-folded-elements bounds the constants folders read or make, so
// folding cannot grow a model past it.
// RUN: paso-opt %s --canonicalize | FileCheck %s --check-prefix=DEFAULT
// RUN: paso-opt %s --canonicalize --paso-max-folded-elements=4 | FileCheck %s --check-prefix=BOUNDED

// DEFAULT-LABEL: func @broadcast
// DEFAULT: paso.constant dense<1.000000e+00> : tensor<8xf32>
// DEFAULT-NOT: paso.broadcast_to
// BOUNDED-LABEL: func @broadcast
// BOUNDED: paso.broadcast_to
func.func @broadcast() -> tensor<8xf32> {
  %one = paso.constant dense<1.0> : tensor<1xf32>
  %0 = paso.broadcast_to %one {shape = array<i64: 8>} : (tensor<1xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}
