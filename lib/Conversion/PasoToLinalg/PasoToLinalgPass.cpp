//===- PasoToLinalgPass.cpp - the paso-convert-to-linalg pass -------------===//

#include "PatternsInternal.h"
#include "paso/Conversion/Passes.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::paso {
#define GEN_PASS_DEF_CONVERTPASOTOLINALGPASS
#include "paso/Conversion/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

LogicalResult lowering::checkLowerableTypes(Operation *op) {
  for (Type type : llvm::concat<const Type>(op->getOperandTypes(),
                                            op->getResultTypes())) {
    Type element = getElementTypeOrSelf(type);
    if (element.isUnsignedInteger())
      return op->emitError("unsigned element type ")
             << element << " is not supported by the CPU back end yet";
  }
  return success();
}

void mlir::paso::populatePasoToLinalgPatterns(RewritePatternSet &patterns) {
  lowering::populateMathLoweringPatterns(patterns);
  lowering::populateSamplingLoweringPatterns(patterns);
  lowering::populateNNLoweringPatterns(patterns);
  lowering::populateTensorLoweringPatterns(patterns);
  lowering::populateQuantLoweringPatterns(patterns);
}

namespace {
struct ConvertPasoToLinalgPass
    : paso::impl::ConvertPasoToLinalgPassBase<ConvertPasoToLinalgPass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    target.addIllegalDialect<PasoDialect>();
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, tensor::TensorDialect,
                           func::FuncDialect>();
    // Casts between unsigned and signless scalars inside generic bodies;
    // the LLVM lowering reconciles them away.
    target.addLegalOp<UnrealizedConversionCastOp>();
    RewritePatternSet patterns(&getContext());
    populatePasoToLinalgPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
