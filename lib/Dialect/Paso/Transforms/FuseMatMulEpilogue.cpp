//===- FuseMatMulEpilogue.cpp - bias and activation into matmul -----------===//

#include "Activations.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
#define GEN_PASS_DEF_FUSEMATMULEPILOGUEPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// `value` as a [N] bias: itself, or a reshape of a [1, ..., 1, N] tensor.
Value asBias(PatternRewriter &rewriter, Value value, int64_t n) {
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> shape = type.getShape();
  if (shape.empty() || shape.back() != n ||
      llvm::any_of(shape.drop_back(), [](int64_t d) { return d != 1; }))
    return {};
  if (shape.size() == 1)
    return value;
  return ReshapeOp::create(rewriter, value.getLoc(), value,
                           rewriter.getDenseI64ArrayAttr({n}))
      .getResult();
}


/// Rebuilds `product` with a new bias and activation, replacing `root`.
void rebuild(PatternRewriter &rewriter, Operation *root, FusedMatMulOp product,
             Value bias, StringRef activation, ArrayRef<double> params) {
  auto fused = FusedMatMulOp::create(
      rewriter, rewriter.getFusedLoc({product.getLoc(), root->getLoc()}),
      root->getResult(0).getType(), product.getLhs(), product.getRhs(), bias,
      product.getTransRhsAttr(), rewriter.getStringAttr(activation),
      rewriter.getDenseF64ArrayAttr(params));
  // Per-layer decisions (the quantiser's `paso.precision`) go along.
  fused->setDiscardableAttrs(product->getDiscardableAttrDictionary());
  rewriter.replaceOp(root, fused.getResult());
  if (product->use_empty())
    rewriter.eraseOp(product);
}

/// matmul(x, W) with a matrix W -> fused_matmul.
struct FromMatMul : OpRewritePattern<MatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatMulOp op,
                                PatternRewriter &rewriter) const override {
    auto lhs = cast<RankedTensorType>(op.getLhs().getType());
    auto rhs = cast<RankedTensorType>(op.getRhs().getType());
    if (lhs.getRank() < 2 || rhs.getRank() != 2 ||
        !isa<FloatType>(lhs.getElementType()))
      return failure();
    auto fused = rewriter.replaceOpWithNewOp<FusedMatMulOp>(
        op, op.getType(), op.getLhs(), op.getRhs(), Value(),
        rewriter.getBoolAttr(false), rewriter.getStringAttr("none"),
        rewriter.getDenseF64ArrayAttr({}));
    fused->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    return success();
  }
};

/// gemm(A, B, C) with alpha 1, beta 1 (or no C) and a row bias C.
struct FromGemm : OpRewritePattern<GemmOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(GemmOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getTransA() || !op.getAlpha().isExactlyValue(1.0))
      return failure();
    int64_t n = op.getType().getDimSize(1);
    Value bias;
    if (Value c = op.getC()) {
      if (!op.getBeta().isExactlyValue(1.0))
        return failure();
      bias = asBias(rewriter, c, n);
      if (!bias)
        return failure();
    }
    auto fused = rewriter.replaceOpWithNewOp<FusedMatMulOp>(
        op, op.getType(), op.getA(), op.getB(), bias, op.getTransBAttr(),
        rewriter.getStringAttr("none"), rewriter.getDenseF64ArrayAttr({}));
    fused->setDiscardableAttrs(op->getDiscardableAttrDictionary());
    return success();
  }
};

/// Why `consumer` cannot join `product`, or empty.
std::string refusal(FusedMatMulOp product, bool isAdd) {
  if (!product->hasOneUse())
    return "the product's result has other users";
  if (product.getActivation() != "none")
    return isAdd ? "an add after the fused activation would change the "
                   "order of operations"
                 : "an activation is already fused";
  if (isAdd && product.getBias())
    return "a bias is already fused";
  return "";
}

struct FuseBias : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [value, other] : {std::pair{add.getLhs(), add.getRhs()},
                                std::pair{add.getRhs(), add.getLhs()}}) {
      auto product = value.getDefiningOp<FusedMatMulOp>();
      if (!product || !refusal(product, true).empty() ||
          add.getType() != product.getType())
        continue;
      rewriter.setInsertionPoint(add);
      Value bias = asBias(rewriter, other, add.getType().getShape().back());
      if (!bias)
        continue;
      rebuild(rewriter, add, product, bias, "none", {});
      return success();
    }
    return failure();
  }
};

struct FuseActivation : RewritePattern {
  FuseActivation(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), 1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    auto activation = fusableActivation(op);
    if (!activation || op->getNumOperands() != 1)
      return failure();
    auto product = op->getOperand(0).getDefiningOp<FusedMatMulOp>();
    if (!product || !refusal(product, false).empty())
      return failure();
    rebuild(rewriter, op, product, product.getBias(), activation->first,
            activation->second);
    return success();
  }
};

struct FuseMatMulEpiloguePass
    : paso::impl::FuseMatMulEpiloguePassBase<FuseMatMulEpiloguePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FromMatMul, FromGemm, FuseBias, FuseActivation>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    if (!explain)
      return;
    getOperation().walk([&](Operation *op) {
      bool isAdd = isa<AddOp>(op);
      if (!isAdd && !fusableActivation(op))
        return;
      for (Value operand : op->getOperands())
        if (auto product = operand.getDefiningOp<FusedMatMulOp>()) {
          std::string reason = refusal(product, isAdd);
          if (reason.empty() && isAdd)
            reason = "the other operand is not a [N] bias";
          if (!reason.empty())
            op->emitRemark("not fused into the matrix product: ") << reason;
        }
    });
  }
};

} // namespace
