//===- FuseElementwise.cpp - elementwise chains into one loop nest --------===//
//
// Upstream's elementwise fusion patterns with a control function that only
// merges single-use, all-parallel linalg.generic producers into a
// linalg.generic user: the combination that never duplicates work and
// never touches the operands of named ops or runtime-kernel calls.
//
//===----------------------------------------------------------------------===//

#include "paso/Conversion/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOFUSEELEMENTWISEPASS
#include "paso/Conversion/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;

namespace {

bool isElementwise(linalg::GenericOp op) {
  return op.getNumLoops() == op.getNumParallelLoops();
}

struct PasoFuseElementwisePass
    : paso::impl::PasoFuseElementwisePassBase<PasoFuseElementwisePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    linalg::ControlFusionFn control = [this](OpOperand *operand) {
      auto producer = operand->get().getDefiningOp<linalg::GenericOp>();
      auto consumer = dyn_cast<linalg::GenericOp>(operand->getOwner());
      if (!producer || !consumer || !isElementwise(producer) ||
          !operand->get().hasOneUse())
        return false;
      ++numFused;
      return true;
    };
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
