//===- DecomposeForTFLite.cpp - ops TFLite lacks, from ops it has ---------===//
//
// The Edge TPU runs TFLite's int8 ops only. GELU is not among those it
// maps; its tanh approximation is, op by op, and the quantiser (which runs
// after this pass) gives each step its own calibrated grid.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::paso {
#define GEN_PASS_DEF_DECOMPOSEFORTFLITEPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// gelu(x) = 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))).
struct DecomposeGelu : OpRewritePattern<GeluOp> {
  DecomposeGelu(MLIRContext *context, llvm::Statistic &count)
      : OpRewritePattern(context), count(count) {}

  LogicalResult matchAndRewrite(GeluOp gelu,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(gelu.getType());
    if (!type || !type.getElementType().isF32())
      return failure();
    Location loc = gelu.getLoc();
    auto scalar = [&](float value) -> Value {
      auto scalarType = RankedTensorType::get({}, rewriter.getF32Type());
      return ConstantOp::create(
          rewriter, loc,
          DenseElementsAttr::get(scalarType, llvm::ArrayRef<float>{value}));
    };
    Value x = gelu.getInput();
    Value cube =
        MulOp::create(rewriter, loc, MulOp::create(rewriter, loc, x, x), x);
    Value inner = AddOp::create(
        rewriter, loc, x,
        MulOp::create(rewriter, loc, cube, scalar(0.044715f)));
    Value t = TanhOp::create(
        rewriter, loc,
        MulOp::create(rewriter, loc, inner,
                      scalar(static_cast<float>(std::sqrt(2.0 / M_PI)))));
    Value onePlus = AddOp::create(rewriter, loc, t, scalar(1.0f));
    Value half = MulOp::create(rewriter, loc, x, scalar(0.5f));
    rewriter.replaceOpWithNewOp<MulOp>(gelu, half, onePlus);
    ++count;
    return success();
  }

  llvm::Statistic &count;
};

struct DecomposeForTFLitePass
    : paso::impl::DecomposeForTFLitePassBase<DecomposeForTFLitePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DecomposeGelu>(&getContext(), numGelus);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
