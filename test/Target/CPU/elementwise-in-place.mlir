// paso-elementwise-in-place: elementwise loops write over an input that
// dies there, so the arena holds fewer buffers. A value still read later,
// or the caller's input, is never overwritten. Without the pass one-shot
// bufferisation gives every loop a new buffer (the NOPASS run).
// RUN: paso-opt %s --pass-pipeline="builtin.module(paso-elementwise-in-place,eliminate-empty-tensors,one-shot-bufferize{bufferize-function-boundaries=1 function-boundary-type-conversion=identity-layout-map},buffer-results-to-out-params{hoist-static-allocs=1 modify-public-functions=1},canonicalize,cse,paso-plan-arena)" | FileCheck %s
// RUN: paso-opt %s --pass-pipeline="builtin.module(eliminate-empty-tensors,one-shot-bufferize{bufferize-function-boundaries=1 function-boundary-type-conversion=identity-layout-map},buffer-results-to-out-params{hoist-static-allocs=1 modify-public-functions=1},canonicalize,cse,paso-plan-arena)" | FileCheck %s --check-prefix=NOPASS
// NOPASS: paso.arena_naive_size = 3072 : i64, paso.arena_size = 3072 : i64

#id = affine_map<(d0) -> (d0)>
#red = affine_map<(d0) -> ()>

// e = exp(x) needs a buffer (x is the caller's); m = e * 2 cannot take
// e's, since s = m + e reads e again; s is written over m and t = s * s
// over s, so m's buffer is the result's, which becomes the caller's output
// buffer: one arena buffer (1 KiB) instead of three.
// CHECK-LABEL: func @chain
// CHECK-SAME: paso.arena_naive_size = 1024 : i64, paso.arena_size = 1024 : i64
// CHECK: %[[E:.*]] = memref.view %arg2[%{{.*}}][] : memref<1024xi8> to memref<256xf32>
// CHECK: linalg.generic {{.*}} ins(%arg0 : memref<256xf32>) outs(%[[E]] : memref<256xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[E]] : memref<256xf32>) outs(%arg1 : memref<256xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg1, %[[E]] : memref<256xf32>, memref<256xf32>) outs(%arg1 : memref<256xf32>)
// CHECK: linalg.generic {{.*}} ins(%arg1 : memref<256xf32>) outs(%arg1 : memref<256xf32>)
func.func @chain(%x: tensor<256xf32>) -> tensor<256xf32> {
  %two = arith.constant 2.0 : f32
  %e0 = tensor.empty() : tensor<256xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%x : tensor<256xf32>) outs(%e0 : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %m0 = tensor.empty() : tensor<256xf32>
  %m = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%e : tensor<256xf32>) outs(%m0 : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %two : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %s0 = tensor.empty() : tensor<256xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%m, %e : tensor<256xf32>, tensor<256xf32>) outs(%s0 : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %t0 = tensor.empty() : tensor<256xf32>
  %t = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%s : tensor<256xf32>) outs(%t0 : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  return %t : tensor<256xf32>
}
