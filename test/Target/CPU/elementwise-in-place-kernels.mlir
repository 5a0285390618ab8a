// paso-elementwise-in-place on a runtime kernel's output: a loop may
// write over it only when no later kernel reads it. Kernels take pointers
// (integers), and CSE shares the pointer of the call that wrote a buffer
// with a later call that reads it, so the tensor's one use does not tell.
// RUN: paso-opt %s --paso-elementwise-in-place | FileCheck %s

#id = affine_map<(d0) -> (d0)>

func.func private @kernel(i64, i64)

// The buffer is read by no later call: the loop writes over it.
// CHECK-LABEL: func @read_once
// CHECK: %[[K:.*]] = bufferization.to_tensor
// CHECK: linalg.generic {{.*}} ins(%[[K]] : tensor<256xf32>) outs(%[[K]] : tensor<256xf32>)
func.func @read_once() -> tensor<256xf32> {
  %buf = memref.alloc() : memref<256xf32>
  %i = memref.extract_aligned_pointer_as_index %buf : memref<256xf32> -> index
  %p = arith.index_cast %i : index to i64
  call @kernel(%p, %p) : (i64, i64) -> ()
  %k = bufferization.to_tensor %buf restrict writable : memref<256xf32> to tensor<256xf32>
  %e0 = tensor.empty() : tensor<256xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%k : tensor<256xf32>) outs(%e0 : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  return %e : tensor<256xf32>
}

// A later call reads the buffer through the shared pointer %p: the loop
// keeps its own output (the SiLU of a full-integer model: the sigmoid's
// loop had overwritten the convolution output the multiply kernel read).
// CHECK-LABEL: func @read_again
// CHECK: %[[EMPTY:.*]] = tensor.empty()
// CHECK: linalg.generic {{.*}} outs(%[[EMPTY]] : tensor<256xf32>)
func.func @read_again() -> tensor<256xf32> {
  %buf = memref.alloc() : memref<256xf32>
  %i = memref.extract_aligned_pointer_as_index %buf : memref<256xf32> -> index
  %p = arith.index_cast %i : index to i64
  call @kernel(%p, %p) : (i64, i64) -> ()
  %k = bufferization.to_tensor %buf restrict writable : memref<256xf32> to tensor<256xf32>
  %e0 = tensor.empty() : tensor<256xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%k : tensor<256xf32>) outs(%e0 : tensor<256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<256xf32>
  %out = memref.alloc() : memref<256xf32>
  %j = memref.extract_aligned_pointer_as_index %out : memref<256xf32> -> index
  %q = arith.index_cast %j : index to i64
  call @kernel(%p, %q) : (i64, i64) -> ()
  %r = bufferization.to_tensor %out restrict writable : memref<256xf32> to tensor<256xf32>
  %s0 = tensor.empty() : tensor<256xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]} ins(%e, %r : tensor<256xf32>, tensor<256xf32>) outs(%s0 : tensor<256xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.addf %a, %b : f32
    linalg.yield %t : f32
  } -> tensor<256xf32>
  return %s : tensor<256xf32>
}
