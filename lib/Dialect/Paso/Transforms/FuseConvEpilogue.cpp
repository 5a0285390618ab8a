//===- FuseConvEpilogue.cpp - pad, bias, residual, activation into conv ---===//

#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "Activations.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
#define GEN_PASS_DEF_FUSECONVEPILOGUEPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// The parts of a (fused) convolution the patterns rebuild.
struct ConvParts {
  Operation *op = nullptr;
  Value input, filter, bias, residual;
  ArrayRef<int64_t> strides, pads, dilations;
  int64_t group = 1;
  StringRef activation = "none";
  ArrayRef<double> params;
};

/// The parts of an NCHW convolution (the epilogue patterns assume the
/// channel dim is dim 1; channels-last ops come later in the pipeline).
std::optional<ConvParts> convParts(Value value) {
  ConvParts parts;
  if (Operation *producer = value.getDefiningOp();
      producer && isChannelsLast(producer))
    return std::nullopt;
  if (auto conv = value.getDefiningOp<ConvOp>()) {
    parts.op = conv;
    parts.input = conv.getInput();
    parts.filter = conv.getFilter();
    parts.bias = conv.getBias();
    parts.strides = conv.getStrides();
    parts.pads = conv.getPads();
    parts.dilations = conv.getDilations();
    parts.group = static_cast<int64_t>(conv.getGroup());
    return parts;
  }
  if (auto fused = value.getDefiningOp<FusedConvOp>()) {
    parts.op = fused;
    parts.input = fused.getInput();
    parts.filter = fused.getFilter();
    parts.bias = fused.getBias();
    parts.residual = fused.getResidual();
    parts.strides = fused.getStrides();
    parts.pads = fused.getPads();
    parts.dilations = fused.getDilations();
    parts.group = static_cast<int64_t>(fused.getGroup());
    parts.activation = fused.getActivation();
    parts.params = fused.getActivationParams();
    return parts;
  }
  return std::nullopt;
}

/// Replaces `root` with a fused conv built from `parts`, located at both.
Value buildFused(PatternRewriter &rewriter, Operation *root,
                 const ConvParts &parts, SmallVector<double> params = {}) {
  Location loc = rewriter.getFusedLoc({parts.op->getLoc(), root->getLoc()});
  Builder &b = rewriter;
  auto fused = FusedConvOp::create(
      rewriter, loc, root->getResult(0).getType(), parts.input, parts.filter,
      parts.bias, parts.residual, b.getDenseI64ArrayAttr(parts.strides),
      b.getDenseI64ArrayAttr(parts.pads),
      b.getDenseI64ArrayAttr(parts.dilations),
      b.getI64IntegerAttr(parts.group), b.getStringAttr(parts.activation),
      b.getDenseF64ArrayAttr(params.empty() ? SmallVector<double>(parts.params)
                                            : params));
  // Per-layer decisions (the quantiser's `paso.precision`) go along.
  fused->setDiscardableAttrs(parts.op->getDiscardableAttrDictionary());
  rewriter.replaceOp(root, fused.getResult());
  if (parts.op->use_empty())
    rewriter.eraseOp(parts.op);
  return fused.getResult();
}

/// Why `producer` cannot absorb `consumer`, or empty when it can.
std::string refusal(const ConvParts &parts, Operation *consumer,
                    bool addsAfter) {
  if (!parts.op->hasOneUse())
    return "the convolution's result has other users";
  if (parts.activation != "none")
    return addsAfter ? "an add after the fused activation would change the "
                       "order of operations"
                     : "an activation is already fused";
  if (getElementTypeOrSelf(consumer->getResult(0).getType()) !=
      getElementTypeOrSelf(parts.op->getResult(0).getType()))
    return "element types differ";
  return "";
}


struct Counters {
  llvm::Statistic &activations, &residuals, &biases, &pads;
};

/// activation(conv) -> fused_conv {activation}.
struct FuseActivation : RewritePattern {
  FuseActivation(MLIRContext *context, Counters &counters)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context),
        counters(counters) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    auto activation = fusableActivation(op);
    if (!activation || op->getNumOperands() != 1)
      return failure();
    std::optional<ConvParts> parts = convParts(op->getOperand(0));
    if (!parts || !refusal(*parts, op, false).empty())
      return failure();
    parts->activation = activation->first;
    buildFused(rewriter, op, *parts, activation->second);
    ++counters.activations;
    return success();
  }
  Counters &counters;
};

/// conv * sigmoid(conv) -> fused_conv {activation = "silu"}.
struct FuseSilu : OpRewritePattern<MulOp> {
  FuseSilu(MLIRContext *context, Counters &counters)
      : OpRewritePattern(context), counters(counters) {}
  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    for (auto [x, gate] : {std::pair{mul.getLhs(), mul.getRhs()},
                           std::pair{mul.getRhs(), mul.getLhs()}}) {
      auto sigmoid = gate.getDefiningOp<SigmoidOp>();
      std::optional<ConvParts> parts = convParts(x);
      if (!sigmoid || sigmoid.getInput() != x || !parts ||
          parts->activation != "none" || !sigmoid->hasOneUse() ||
          !llvm::all_of(x.getUsers(), [&](Operation *user) {
            return user == mul || user == sigmoid;
          }))
        continue;
      parts->activation = "silu";
      rewriter.setInsertionPoint(mul);
      buildFused(rewriter, mul, *parts);
      rewriter.eraseOp(sigmoid);
      if (parts->op->use_empty())
        rewriter.eraseOp(parts->op);
      ++counters.activations;
      return success();
    }
    return failure();
  }
  Counters &counters;
};

/// conv + same-shaped tensor -> residual; conv + per-channel constant ->
/// bias.
struct FuseAdd : OpRewritePattern<AddOp> {
  FuseAdd(MLIRContext *context, Counters &counters)
      : OpRewritePattern(context), counters(counters) {}
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (auto [convValue, other] : {std::pair{add.getLhs(), add.getRhs()},
                                    std::pair{add.getRhs(), add.getLhs()}}) {
      std::optional<ConvParts> parts = convParts(convValue);
      if (!parts || !refusal(*parts, add, true).empty())
        continue;
      if (other.getType() == add.getType() && !parts->residual &&
          convValue != other) {
        parts->residual = other;
        buildFused(rewriter, add, *parts);
        ++counters.residuals;
        return success();
      }
      if (succeeded(foldBias(add, *parts, other, rewriter))) {
        ++counters.biases;
        return success();
      }
    }
    return failure();
  }

  /// Adds a constant of shape [M,1,1] or [1,M,1,1] into the bias.
  LogicalResult foldBias(AddOp add, ConvParts &parts, Value other,
                         PatternRewriter &rewriter) const {
    auto type = cast<RankedTensorType>(other.getType());
    auto outType = add.getType();
    int64_t m = outType.getDimSize(1);
    SmallVector<int64_t> column(outType.getRank() - 1, 1);
    column[0] = m;
    ArrayRef<int64_t> shape = type.getShape();
    if (shape != ArrayRef<int64_t>(column) &&
        !(shape.size() == column.size() + 1 && shape[0] == 1 &&
          shape.drop_front() == ArrayRef<int64_t>(column)))
      return failure();
    std::optional<SmallVector<float>> values = readF32Constant(other);
    if (!values)
      return failure();
    SmallVector<float> bias(m, 0.0f);
    if (parts.bias) {
      std::optional<SmallVector<float>> old = readF32Constant(parts.bias);
      if (!old)
        return failure();
      bias = *old;
    }
    for (int64_t c = 0; c < m; ++c)
      bias[c] += (*values)[c];
    rewriter.setInsertionPoint(parts.op);
    parts.bias = ConstantOp::create(
        rewriter, other.getLoc(),
        makeF32Elements(RankedTensorType::get({m}, rewriter.getF32Type()),
                        bias, "fused_bias"));
    buildFused(rewriter, add, parts);
    return success();
  }
  Counters &counters;
};

/// conv(pad(x)) with zero constant padding of spatial dims -> conv(x) with
/// larger pads.
struct FusePad : RewritePattern {
  FusePad(MLIRContext *context, Counters &counters)
      : RewritePattern(MatchAnyOpTypeTag(), 1, context), counters(counters) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    // The pads checked below are those of NCHW's spatial dims.
    if (!isa<ConvOp, FusedConvOp>(op) || isChannelsLast(op))
      return failure();
    auto pad = op->getOperand(0).getDefiningOp<PadOp>();
    if (!pad || pad.getMode() != "constant" ||
        !pad.getValue().isZero())
      return failure();
    ArrayRef<int64_t> padding = pad.getPads();
    int64_t rank = pad.getType().getRank();
    if (padding[0] || padding[1] || padding[rank] || padding[rank + 1] ||
        llvm::any_of(padding, [](int64_t p) { return p < 0; }))
      return failure();
    std::optional<ConvParts> parts = convParts(op->getResult(0));
    SmallVector<int64_t> pads(parts->pads);
    int64_t spatial = rank - 2;
    for (int64_t i = 0; i < spatial; ++i) {
      pads[i] += padding[2 + i];
      pads[spatial + i] += padding[rank + 2 + i];
    }
    rewriter.modifyOpInPlace(op, [&] {
      op->setOperand(0, pad.getInput());
      op->setAttr("pads", rewriter.getDenseI64ArrayAttr(pads));
      op->setLoc(rewriter.getFusedLoc({pad.getLoc(), op->getLoc()}));
    });
    if (pad->use_empty())
      rewriter.eraseOp(pad);
    ++counters.pads;
    return success();
  }
  Counters &counters;
};

struct FuseConvEpiloguePass
    : paso::impl::FuseConvEpiloguePassBase<FuseConvEpiloguePass> {
  using Base::Base;

  void runOnOperation() override {
    Counters counters{numActivations, numResiduals, numBiases, numPads};
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseActivation, FuseSilu, FuseAdd, FusePad>(&getContext(),
                                                             counters);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    reportRefusals();
  }

  /// Counts (and with `explain` reports) every activation or add that reads
  /// a convolution but was not fused into it.
  void reportRefusals() {
    getOperation().walk([&](Operation *op) {
      bool isAdd = isa<AddOp>(op);
      if (!isAdd && !fusableActivation(op))
        return;
      for (Value operand : op->getOperands()) {
        std::optional<ConvParts> parts = convParts(operand);
        if (!parts)
          continue;
        std::string reason = refusal(*parts, op, isAdd);
        if (reason.empty() && isAdd)
          reason = "the other operand is neither a same-shaped tensor nor a "
                   "per-channel constant";
        if (reason.empty())
          continue;
        ++numRefused;
        if (explain)
          op->emitRemark("not fused into the convolution: ") << reason;
      }
    });
  }
};

} // namespace
