//===- Passes.td - CUDA code generation passes -------------*- tablegen -*-===//

#ifndef PASO_TARGET_CUDA_PASSES_TD
#define PASO_TARGET_CUDA_PASSES_TD

include "mlir/Pass/PassBase.td"

def PasoGpuOffloadPass : Pass<"paso-gpu-offload", "ModuleOp"> {
  let summary = "Place each linalg op of the entry function on the GPU or "
                "the CPU and map the GPU's onto blocks and threads";
  let description = [{
    Runs on bufferised IR, before the CPU lowering. Each top-level op of a
    public function that touches memory is placed:

    - on the **GPU** when it is a structured linalg op (or a `memref.copy`,
      which becomes `linalg.copy`) on static buffers with static strides,
      whose body is arith and math only, with at least one parallel loop and
      its parallel loops before its reductions (a `linalg.generic` is
      interchanged to put them first). Its parallel loops become one
      `scf.parallel`, collapsed to one dimension and tiled by `block-size`:
      the outer loop is the grid's blocks, the inner one a block's threads,
      guarded at the edge. Reductions stay sequential in each thread.
      `gpu-map-parallel-loops` and `convert-parallel-loops-to-gpu` then
      make the launches. A float `linalg.matmul` (convolutions arrive as
      im2col + matmul) is instead a kernel of 16 x 16 threads per 16 x 16
      tile of C that stages A and B through shared memory, 16 along K at a
      time, between barriers (with `emulate`: the same tiling as host
      loops, one parallel loop over the block's threads per phase);
    - on the **CPU** otherwise (a runtime call, an op with a reduction
      before a parallel loop or no parallel loop): the op stays, preceded
      by a `gpu.wait` when GPU work is in flight.

    Memory: the model's arena is CUDA managed memory (the runtime makes it),
    so CPU ops read the GPU's results in place after the wait. Every
    argument gets a twin buffer in the arena: inputs are copied in
    (`gpu.memcpy`) at entry, outputs copied out at the end, followed by a
    `gpu.wait`. A constant (weights) a GPU op reads is copied once per
    context into a persistent arena buffer (`paso.persistent`), guarded by
    a flag in the arena that the runtime zeroes when it makes the context.

    The module records the placement in `paso.cuda.placement` (one
    dictionary per op: `device`, `op`, `reason`) for the report. Nothing
    changes when no op can run on the GPU.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"blockSize", "block-size", "int64_t", "256",
           "threads per block">,
    Option<"emulate", "emulate", "bool", "false",
           "host emulation: kernels written as the host loops they mean">,
  ];
}

def PasoPrepareGpuKernelsPass
    : Pass<"paso-prepare-gpu-kernels", "ModuleOp"> {
  let summary = "Gather the outlined kernels into one GPU module for the "
                "target's chip, with math the NVPTX back end can lower alone";
  let description = [{
    After `gpu-kernel-outlining`: moves every kernel into one `gpu.module
    @paso_kernels` (one PTX module, loaded once per context), attaches
    `#nvvm.target` with the chip and the PTX ISA version (`+ptxNN`), and
    rewrites the kernels' math so that no libdevice call remains: math ops
    are expanded (`tanh`, `powf` and friends) and then replaced by
    polynomial approximations (`exp`, `log`, `erf`, ...). A model's `.so`
    carries PTX only, and libdevice is not part of a Jetson's driver.
  }];
  let dependentDialects = ["::mlir::NVVM::NVVMDialect",
                           "::mlir::gpu::GPUDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"chip", "chip", "std::string", "\"sm_87\"", "the GPU, sm_XX">,
    Option<"ptxVersion", "ptx-version", "unsigned", "74",
           "PTX ISA version to write, 74 for 7.4">,
  ];
}

def PasoDefineGpuMathPass
    : Pass<"paso-define-gpu-math", "::mlir::gpu::GPUModuleOp"> {
  let summary = "Define the libdevice functions the NVVM lowering calls "
                "for rounding, sqrt and friends with LLVM intrinsics";
  let description = [{
    After `convert-gpu-to-nvvm`. The NVVM lowering turns `math.floor`,
    `math.sqrt`, `math.absf`, `math.fma` and their kin into calls of
    libdevice (`__nv_floorf`, ...), which PASO does not link: the CUDA
    toolkit is not needed to compile, and a PTX module that calls a
    function it lacks fails when the driver loads it. Each such
    declaration (f32 and f64: floor, ceil, trunc, rint, nearbyint, round,
    fabs, sqrt, rsqrt, fma, fmin, fmax, copysign) gets an internal body of
    the LLVM intrinsic NVPTX selects one instruction for (`cvt.rmi`,
    `sqrt.rn`, ...; rsqrt is 1/sqrt, correctly rounded). Any other external
    function is left for `paso-lower-gpu-launches` to report.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def PasoLowerGpuLaunchesPass : Pass<"paso-lower-gpu-launches", "ModuleOp"> {
  let summary = "Turn GPU launches, copies and waits into calls of the "
                "model runtime's CUDA layer";
  let description = [{
    After `gpu-module-to-binary{format=isa}`: records the PTX text as the
    module's `paso.cuda.ptx` and its kernels, in order, as
    `paso.cuda.kernels`, and fails if the PTX calls a function it does not
    define (a libdevice call would fail when the driver loads it).
    Then, in host code:

    - `gpu.launch_func` becomes `paso_cuda_launch(kernel, grid, block,
      slots, count)`: each kernel parameter in a 64-bit slot, a memref
      as its expanded descriptor (pointer, pointer, offset, sizes,
      strides) with the layout's static offset and strides;
    - `gpu.memcpy` becomes `paso_cuda_copy(dst, src, bytes)`, ordered on
      the context's stream;
    - `gpu.wait` becomes `paso_cuda_sync()`.

    With `emulate`, for tests on machines without a GPU, there is no PTX:
    copies become `memref.copy`, waits disappear, and the grid-shaped
    parallel loops (left unconverted) run on the host with the kernels'
    math (the same approximations).
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::vector::VectorDialect"];
  let options = [
    Option<"emulate", "emulate", "bool", "false",
           "host emulation: no launches, copies as memref.copy">,
  ];
}

#endif // PASO_TARGET_CUDA_PASSES_TD
