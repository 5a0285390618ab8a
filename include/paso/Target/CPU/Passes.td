//===- Passes.td - CPU code generation passes --------------*- tablegen -*-===//

#ifndef PASO_TARGET_CPU_PASSES_TD
#define PASO_TARGET_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def PasoPlanArenaPass : Pass<"paso-plan-arena", "ModuleOp"> {
  let summary = "Place every intermediate buffer in one static arena";
  let description = [{
    Runs on bufferised IR. Every `memref.alloc` of static shape in a public
    function becomes a `memref.view` at a fixed, 64-byte aligned offset of a
    single `memref<Nxi8>` arena appended as the function's last argument,
    and its `memref.dealloc` is removed, so the runtime allocates the arena
    once per context and a compiled model never calls `malloc` while
    running.

    Offsets come from liveness: a buffer is live from its allocation to the
    last use of it or of any view of it (uses inside a region count at the
    op holding the region; a buffer reaching a return or call lives to the
    end). Largest first, each buffer takes the lowest offset free of every
    buffer whose interval overlaps its own. The function records the result
    as `paso.arena_size` and, for comparison, the sum of all buffers as
    `paso.arena_naive_size`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect"];
}

def PasoFlattenGlobalsPass : Pass<"paso-flatten-globals", "ModuleOp"> {
  let summary = "Store multi-dimensional constant globals as 1-D arrays";
  let description = [{
    Runs on bufferised IR. LLVM represents an N-d global as nested arrays,
    one constant per innermost row: a ResNet's weights become millions of
    LLVM constants and dominate compile time. This pass gives every
    `memref.global` of rank > 1 a 1-D type with the same bytes and has each
    `memref.get_global` expand the 1-D buffer back to its shape, a view that
    costs nothing at run time.
  }];
  let dependentDialects = ["::mlir::memref::MemRefDialect"];
}

def PasoLowerToUkernelsPass : Pass<"paso-lower-to-ukernels", "ModuleOp"> {
  let summary = "Call the GEMM micro-kernel for f32 matrix products";
  let description = [{
    Runs on bufferised IR. Every `linalg.matmul` on f32 memrefs whose rows
    are contiguous (unit inner stride; B may be transposed through the
    op's indexing maps) becomes a call to `paso_sgemm`, the blocked and
    register-tiled micro-kernel of the model runtime
    (`lib/Runtime/ModelRuntime/paso_sgemm.c`), with the buffers' addresses,
    sizes and leading dimensions. Convolutions reach it as matmuls after
    im2col. Other matmuls stay loops. With `vector-bits=512` (AVX-512
    targets) the 512-bit variant `paso_sgemm_v16` is called instead.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"vectorBits", "vector-bits", "unsigned", /*default=*/"256",
           "The target's vector width; 512 selects the 512-bit kernel">
  ];
}

#endif // PASO_TARGET_CPU_PASSES_TD
