// Elementwise paso ops become one linalg.generic each; broadcasting is in
// the indexing maps.
// RUN: paso-opt %s --split-input-file --paso-convert-to-linalg | FileCheck %s

// A bias broadcast along the last dim reads d1; the operand with a unit dim
// that is not broadcast keeps the identity map.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[$ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func @add_bias
func.func @add_bias(%x: tensor<4x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
  // CHECK: %[[E:.*]] = tensor.empty() : tensor<4x8xf32>
  // CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$ROW]], #[[$ID]]], iterator_types = ["parallel", "parallel"]}
  // CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<8xf32>) outs(%[[E]] : tensor<4x8xf32>)
  // CHECK: arith.addf
  // CHECK-NOT: paso.
  %0 = paso.add %x, %b : tensor<4x8xf32>, tensor<8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Size-1 dims that broadcast read index 0.
// CHECK-DAG: #[[$COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func @broadcast_column
func.func @broadcast_column(%x: tensor<4x8xf32>, %c: tensor<4x1xf32>) -> tensor<4x8xi1> {
  // CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[$COL]], #{{.*}}]
  // CHECK: arith.cmpf olt
  %0 = paso.less %x, %c : tensor<4x8xf32>, tensor<4x1xf32> -> tensor<4x8xi1>
  return %0 : tensor<4x8xi1>
}

// -----

// Activations: relu is max with 0, relu6 is a clamp, casts pick the arith op
// by types.
// CHECK-LABEL: func @activations
func.func @activations(%x: tensor<8xf32>) -> (tensor<8xf32>, tensor<8xi64>) {
  // CHECK: arith.maximumf %{{.*}}, %{{.*}} : f32
  // CHECK: arith.maximumf
  // CHECK: arith.minimumf
  // CHECK: arith.fptosi %{{.*}} : f32 to i64
  %0 = paso.relu %x : tensor<8xf32>
  %1 = paso.clip %0 {min = 0.0 : f64, max = 6.0 : f64} : tensor<8xf32>
  %2 = paso.cast %1 {to = i64} : tensor<8xf32> -> tensor<8xi64>
  return %1, %2 : tensor<8xf32>, tensor<8xi64>
}

// -----

// Integer base with a float exponent is computed in float and truncated.
// CHECK-LABEL: func @int_pow
func.func @int_pow(%x: tensor<4xi32>, %e: tensor<4xf32>) -> tensor<4xi32> {
  // CHECK: arith.sitofp
  // CHECK: math.powf
  // CHECK: arith.fptosi
  %0 = paso.pow %x, %e : tensor<4xi32>, tensor<4xf32> -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Unsigned elementwise ops compute on signless scalars (casts that vanish in
// LLVM) with unsigned semantics: unsigned max, compare and int-to-float.
// CHECK-LABEL: func @unsigned
func.func @unsigned(%a: tensor<4xui8>, %b: tensor<4xui8>) -> (tensor<4xui8>, tensor<4xi1>, tensor<4xf32>) {
  // CHECK: builtin.unrealized_conversion_cast %{{.*}} : ui8 to i8
  // CHECK: arith.maxui
  // CHECK: builtin.unrealized_conversion_cast %{{.*}} : i8 to ui8
  // CHECK: arith.cmpi ult
  // CHECK: arith.uitofp
  %0 = paso.max %a, %b : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  %1 = paso.less %a, %b : tensor<4xui8>, tensor<4xui8> -> tensor<4xi1>
  %2 = paso.cast %a {to = f32} : tensor<4xui8> -> tensor<4xf32>
  return %0, %1, %2 : tensor<4xui8>, tensor<4xi1>, tensor<4xf32>
}

// -----

// numpy's mod moves a remainder whose sign differs from the divisor's by
// one divisor; shifts past the bit width give 0; round is roundeven.
// CHECK-LABEL: func @remainders
func.func @remainders(%a: tensor<4xi32>, %b: tensor<4xi32>, %s: tensor<4xui8>, %x: tensor<4xf32>) -> (tensor<4xi32>, tensor<4xui8>, tensor<4xf32>) {
  // CHECK: %[[R:.*]] = arith.remsi
  // CHECK: arith.cmpi ne, %[[R]]
  // CHECK: arith.xori
  // CHECK: %[[SUM:.*]] = arith.addi %[[R]]
  // CHECK: arith.select %{{.*}}, %[[SUM]], %[[R]]
  // CHECK: arith.cmpi uge
  // CHECK: arith.shli
  // CHECK: math.roundeven
  %0 = paso.mod %a, %b : tensor<4xi32>, tensor<4xi32> -> tensor<4xi32>
  %1 = paso.shift_left %s, %s : tensor<4xui8>, tensor<4xui8> -> tensor<4xui8>
  %2 = paso.round %x : tensor<4xf32>
  return %0, %1, %2 : tensor<4xi32>, tensor<4xui8>, tensor<4xf32>
}
