// Dynamic buffers cannot be placed in a static arena.
// RUN: paso-opt %s --paso-plan-arena --verify-diagnostics

func.func @dynamic(%n: index) {
  // expected-error @below {{the arena plan needs static, identity-layout buffers}}
  %a = memref.alloc(%n) : memref<?xf32>
  return
}
