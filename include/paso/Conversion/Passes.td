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

#endif // PASO_CONVERSION_PASSES_TD
