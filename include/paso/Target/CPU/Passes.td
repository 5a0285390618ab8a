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
    last use of it, of any view of it or of a pointer taken from it
    (`memref.extract_aligned_pointer_as_index` and integer arithmetic on
    it, as the runtime-kernel calls use); uses inside a region count at the
    op holding the region; a buffer reaching a return, or a call as a
    memref, lives to the end. A buffer marked `paso.persistent` lives
    through the whole function and keeps its contents from one run to the
    next (the CUDA path's device copies of the weights). Largest first, each buffer takes the lowest offset free of every
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

def PasoElementwiseInPlacePass : Pass<"paso-elementwise-in-place", "ModuleOp"> {
  let summary = "Let elementwise loops write their result over a dying input";
  let description = [{
    Runs on linalg-on-tensors, before bufferisation. An all-parallel
    `linalg.generic` whose single init is a `tensor.empty` (not read by the
    body) gets as init an input of the result's type that it reads at the
    same index, when that input has no other use and owns its buffer (the
    result of a linalg op, or a runtime kernel's output through a writable
    `bufferization.to_tensor`). One-shot bufferisation then writes the
    result over the input instead of allocating a new buffer, which lowers
    the arena's naive sum and often its peak. Function arguments (the
    caller's read-only inputs), constants and views of other tensors are
    never taken, and neither is a value read later, so no copy is ever
    introduced. A kernel output counts as read later when a later call
    gets a pointer taken from its buffer: kernels take integers, and CSE
    shares the writing call's pointer with a later reader.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numInPlace", "in-place", "Elementwise loops written in place">
  ];
}

def PasoCallCpuIntegerKernelsPass : Pass<"paso-call-cpu-integer-kernels",
                                          "ModuleOp"> {
  let summary = "Run integer convolutions and products on the runtime's "
                "int8 kernel";
  let description = [{
    Runs on paso ops, before `paso-call-cpu-kernels`. Each `paso.qconv`
    (2-D, ungrouped or depthwise, batch of images) and `paso.qmatmul` (constant
    right operand) whose weights are constant symmetric int8 (per tensor
    or per output channel) and whose input is 8-bit per tensor becomes one
    call to the runtime's integer product (`paso_qgemm.c`):
    `paso_qgemm_u8s8_vnni` where the target's features include AVX-512
    VNNI, else the portable `paso_qgemm_u8s8`. The weights are packed at
    compile time into the kernel's panels of 12 rows x groups of four k;
    the zero-point correction (input zero point x the weights' row sums)
    is folded into the int32 bias, and the requantisation multipliers
    (input scale x weight scale / output scale) and the clamp of the
    activation go with them into the call's constants.

    Channels-last convolutions (`channels_last`, from
    `paso-select-cpu-layout`) swap the product's roles
    (`PASO_QGEMM_PIXEL_ROWS`, qgemm_pixels.inc): 12 output pixels are the
    micro-kernel's rows, packed at run time from the NHWC image (1x1
    layers in place, others through an NHWC implicit im2col), and the
    weights are packed as groups of 16 output channels, so results are
    stored as NHWC bytes without a transpose. Depthwise ones call
    `paso_qdepthwise_nhwc_8` (16 channels per vector; a window row per
    VPDPBUSD or SDOT where the target has a dot product). Both layouts sum
    the same int32 values and requantise them alike: the same bytes.

    Element-wise and pooling ops between 8-bit per-tensor dequantizes and
    a quantize run on the storage, in ONNX Runtime's x86 arithmetic
    (docs/quantization.md): `quantize(dequantize + dequantize)` of one
    shape on `paso_qadd_8` (`paso_qadd_8_fma` where the target has FMA),
    `quantize(dequantize * dequantize)` of one shape or broadcast over
    inner dims on `paso_qmul_8`, and `quantize(reduce_mean(dequantize))`
    over consecutive dims (a global average pool, NCHW or channels-last,
    also through the reshape the layout change leaves) on `paso_qmean_8`.
    A softmax the importer marks `paso.onnx_qlinear` (com.microsoft
    QLinearSoftmax) between them runs on `paso_qsoftmax_8`, ONNX Runtime's
    own algorithm: a table of exponentials built here and an f32 division.
    2-D max and average poolings of 8-bit values (`quantize(max_pool or
    average_pool(dequantize))`, and max pools on integers, the storage
    form of `paso-fold-qdq`) run on `paso_qpool_8`, NCHW or channels-last:
    a maximum on the bytes where input and output share one quantisation,
    an average in ONNX Runtime's QLinearAveragePool arithmetic (f32 window
    sums in its order), or on `paso_qmean_8` when the window covers the
    unpadded image, as ONNX Runtime computes that one.

    Integer ops the kernels do not take (weights with non-zero zero
    points, grouped convolutions) are expanded to float between dequantize and
    quantize here, as `paso-expand-quantized` does, so they still run on
    the float kernels.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"host\"",
           "Built-in target name or target description JSON file">
  ];
}

def PasoCallPreprocessPass : Pass<"paso-call-preprocess", "ModuleOp"> {
  let summary = "Run paso.preprocess as the model's Halide pipeline";
  let description = [{
    Replaces the `paso.preprocess` of a model compiled with `--preprocess`
    by a call to the runtime's `paso_preprocess_f32`, which calls the Halide
    pipeline `paso_preprocess_pipeline_` generated for this op, and records
    the pipeline's parameters as the module attribute `paso.preprocess`:
    translation to LLVM IR runs paso-preprocess-gen with them and links
    the bitcode it writes (docs/preprocess.md). A model takes at most one
    pre-processed input.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
}

def PasoCallCpuKernelsPass : Pass<"paso-call-cpu-kernels", "ModuleOp"> {
  let summary = "Run f32 convolutions and fused matmuls on the runtime's kernels";
  let description = [{
    Runs on paso ops, before `convert-paso-to-linalg`. Each f32, statically
    shaped, ungrouped 2-D `paso.conv` / `paso.fused_conv`, each f32
    `paso.fused_matmul` and each batched `paso.matmul` with equal batch
    dims (attention; a transpose of the last two dims of its right-hand
    side is read in place as a transposed B) becomes one call to
    `paso_gemm_f32` (or
    `paso_gemm_f32_v16` for 512-bit targets) of the model runtime
    (`lib/Runtime/ModelRuntime/paso_gemm.c`), which computes the whole op:
    the product, bias, residual and activation, the epilogue applied while
    the output tile is still in registers or L1. Depthwise convolutions
    (one filter per channel) and 2-D max pooling call the window kernel
    `paso_depthwise_f32[_v16]` (`paso_depthwise.c`): vectorised along
    output rows, threaded over channels, with the same fused epilogue for
    convolutions.

    Channels-last ops (`paso-select-cpu-layout`) run the same kernels the
    other way round: an ungrouped convolution is C[pixels x filters] with
    the NHWC image read through an implicit im2col as A and the filter
    packed as B at compile time; depthwise convolutions and max pooling
    run the window kernel along channels. The layout conversions that
    pass leaves (transposes swapping two groups of trailing dims, a batch
    of matrix transposes) call the tiled `paso_transpose_f32`. Ungrouped
    channels-last convolutions whose only user is a concat along channels
    (SqueezeNet's fire modules) write straight into the concat's buffer at
    their channel offset, so the concat costs nothing. F32 softmax over the
    last axis and layer normalisation (one scale and shift value per
    element of the normalised trailing dims) call the row kernel
    `paso_rows_f32[_v16]` (`paso_rows.c`): a vectorised pass for the
    row's statistic and one for the result.

    A convolution or fused matmul with constant weights that
    `--quantize=fp16` or mixed precision marked `paso.precision = "f16"`
    calls `paso_gemm_f16[_v16]` (`paso_gemm_f16.c`) instead, where the
    target has `+fullfp16` or `+avx512fp16`: rows are output pixels (the
    image read channels-last, an NCHW one transposed by the kernel),
    the weights packed as f16 B panels scaled by a power of two recorded
    in the descriptor, the output written transposed for NCHW. Depthwise
    ones keep the f32 window kernel; elsewhere the mark is ignored.

    - Constant weights are packed at compile time into the micro-kernel's
      panel layout (convolution filters as A in panels of MR rows, matmul
      right-hand sides as B in panels of NR columns), so the run-time
      kernel never repacks them. Products sharing a right-hand side (an
      unrolled recurrent layer's R at every step) share one packed copy.
    - Convolutions read their input through an implicit im2col (padding
      included): no padded copy and no im2col buffer is materialised.
      1x1, stride-1, unpadded convolutions read the input directly.
    - 3x3, stride-1, undilated convolutions with constant filters run by
      Winograd F(2x2, 3x3) (`paso_winograd_f32`, filters transformed at
      compile time, a scratch buffer from the arena as a seventh
      argument) where the cost model predicts it at least 10% faster than
      the direct kernel. Channels-last ones run by F(2x2, 3x3) or
      F(4x4, 3x3), whichever the cost model predicts faster
      (`paso_winograd_nhwc_f32`: transforms along channels, blocks of
      tiles sized to L2, the products on the indirect micro-kernel).
      `--paso-no-winograd` turns Winograd off for A/B measurements;
      `--paso-force-winograd=2|4` forces it (channels-last) with that
      output tile edge.
    - The cost model (`include/paso/Target/CostModel.h`) chooses the cache
      blocking from the target's L1/L2 sizes and how many threads each
      product is worth; both go into the call's constant descriptor
      (`include/paso/Runtime/paso_gemm.h`), and the predicted time is
      attached to the call as `paso.predicted_us`. Depthwise calls get
      their thread count from the model's roofline of their arithmetic
      and memory traffic.

    Operands enter and the result leaves through `bufferization.to_buffer`
    / `bufferization.to_tensor restrict`, so one-shot bufferisation and the
    arena plan treat the call like any other op. Ops this pass does not
    take (other element types, other groupings, dynamic shapes) keep
    their linalg lowering.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::bufferization::BufferizationDialect",
                           "::mlir::func::FuncDialect",
                           "::mlir::memref::MemRefDialect"];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"host\"",
           "Built-in target name or target description JSON file">
  ];
}

def PasoSelectCpuLayoutPass : Pass<"paso-select-cpu-layout", "ModuleOp"> {
  let summary = "Choose NCHW or NHWC for the convolutions of the whole graph";
  let description = [{
    Runs on paso ops after the graph optimisations, before
    `paso-call-cpu-kernels`. With `layout=nhwc` (or `auto` when the cost
    model prefers it) every static 2-D convolution that is ungrouped or
    depthwise, and every 2-D max and average pooling, gets
    `channels_last`: its input and residual are transposed NCHW -> NHWC,
    its filter is permuted to [M, KH, KW, C/group] at compile time and its
    result is transposed back. The `paso-sink-transposes` patterns then
    move the transposes down through elementwise ops, concatenations and
    reductions until each meets its inverse and both fold away, so the
    remaining transposes sit at the model's boundary (inputs, and before
    reshapes and matmuls that need NCHW order). Grouped convolutions that
    are not depthwise stay NCHW, between transposes.

    `auto` sums the cost model's prediction
    (`predictConvolutionSeconds`, include/paso/Target/CostModel.h) of
    every convertible op's kernel in each layout: NCHW vectorises along
    output pixels and keeps Winograd for 3x3 convolutions; NHWC vectorises
    along channels, so it wins where feature maps are small (their rows
    fill few lanes) and on depthwise convolutions. NHWC is chosen when it
    is predicted at least 5% faster. `auto` also weighs splitting the
    graph at a point of the candidates' program order that one use of one
    computed value crosses: the candidates before it NCHW, those from it
    on NHWC, plus that value's transpose; a split predicted 5% faster
    than the better single layout is taken (`NCHW, then NHWC from k of
    n` in `paso.layout`). Integer convolutions (`paso.qconv`)
    are costed by `predictIntegerConvolutionSeconds`: the int8 kernels'
    multiply-add lanes, rounded up to their tiles (12 filters x 16 pixels
    in NCHW, 12 pixels x 16 filters in NHWC), plus each layout's epilogue
    and packing, fitted to per-layer profiles. Their filters are permuted
    as integer constants, and the transposes sink through quantize,
    dequantize, requantize and storage casts (per tensor), so a
    precision boundary costs none; one left after a dequantize that only
    it reads moves above it, onto the bytes (where an integer pooling
    reads them), and a transpose or reshape left on quantised values
    moves their storage bytes. Poolings of 8-bit values are costed by
    `predictIntegerPoolSeconds` (64-byte vectors per tap: along NCHW
    rows, whose short rows leave lanes empty, or along channels). Convolutions marked `paso.precision = "f16"` (on a target with fp16
    arithmetic) are costed as the fp16 kernel runs them: a direct product
    at the fp16 rate, channels-last, twice as slow in NCHW, where it
    transposes its input and output. The decision and both predictions
    are recorded on the module as `paso.layout` for the compile report.
  }];
  let dependentDialects = ["::mlir::paso::PasoDialect"];
  let options = [
    Option<"targetName", "target", "std::string", /*default=*/"\"host\"",
           "Built-in target name or target description JSON file">,
    Option<"layout", "layout", "std::string", /*default=*/"\"auto\"",
           "auto (cost model), nchw or nhwc">
  ];
  let statistics = [
    Statistic<"numConverted", "converted", "Ops converted to NHWC">,
    Statistic<"numTransposes", "transposes-left",
              "Layout transposes left after sinking">
  ];
}

#endif // PASO_TARGET_CPU_PASSES_TD
