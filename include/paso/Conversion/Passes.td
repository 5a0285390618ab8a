//===- Passes.td - paso conversion passes ------------------*- tablegen -*-===//

#ifndef PASO_CONVERSION_PASSES_TD
#define PASO_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertPasoToLinalgPass : Pass<"paso-convert-to-linalg", "ModuleOp"> {
  let summary = "Lower paso ops to linalg, tensor, arith and math on tensors";
  let description = [{
    Rewrites every paso op into upstream ops on tensors: named linalg ops
    for convolution (`linalg.conv_2d_nchw_fchw`, grouped and depthwise as
    `linalg.conv_2d_ngchw_gfchw`) and pooling (`linalg.pooling_nchw_*`),
    `linalg.generic` for elementwise ops (with numpy broadcasting as
    indexing maps), contractions, normalisations and reductions, and the
    `tensor` dialect for reshapes, slices, concatenation and padding.

    An op the CPU back end cannot lower (an unsupported element type, a
    3-D convolution, cubic resize, ...) is reported at its ONNX node and the
    pass fails; no paso op survives a successful run.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect", "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect", "::mlir::tensor::TensorDialect"
  ];
}

def PasoFuseElementwisePass : Pass<"paso-fuse-elementwise", "ModuleOp"> {
  let summary = "Fuse chains of elementwise linalg.generic ops into one loop nest";
  let description = [{
    Runs after `paso-convert-to-linalg`. An all-parallel `linalg.generic`
    (an elementwise op, broadcasts included) whose result has a single
    user that is another `linalg.generic` is merged into that user with
    upstream's elementwise fusion patterns, so a chain such as
    `Mul -> Add -> Sigmoid -> Mul` (SiLU written out) or the
    `Sub -> Exp` feeding a reduction becomes one loop nest that reads each
    input once and writes only the final result.

    Not fused, by design: a producer with several users (fusing would
    recompute it per user), and anything around named linalg ops
    (matmuls, pooling) and the runtime-kernel calls, which keep their
    operands as they are. Reshapes are not propagated through ops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numFused", "num-fused", "Producers merged into their user">
  ];
}

#endif // PASO_CONVERSION_PASSES_TD
