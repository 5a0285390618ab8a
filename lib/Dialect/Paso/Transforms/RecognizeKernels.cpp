//===- RecognizeKernels.cpp - decomposed LayerNorm, GELU and Softmax ------===//

#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::paso {
#define GEN_PASS_DEF_RECOGNIZEKERNELSPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// The value of a scalar (any shape, one distinct value) float constant.
std::optional<double> splatValue(Value value) {
  DenseElementsAttr attr;
  if (!value || !matchPattern(value, m_Constant(&attr)) ||
      !isa<FloatType>(attr.getElementType()) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

bool near(std::optional<double> value, double expected) {
  return value && std::abs(*value - expected) <= 1e-5 * std::abs(expected);
}

/// Matches `op(a, b)` of a commutative op in either order, with `first`
/// deciding which operand plays the first role.
template <typename OpTy>
bool matchEither(Value value, function_ref<bool(Value, Value)> roles,
                 OpTy *matched = nullptr) {
  auto op = value.getDefiningOp<OpTy>();
  if (!op)
    return false;
  if (matched)
    *matched = op;
  return roles(op.getLhs(), op.getRhs()) || roles(op.getRhs(), op.getLhs());
}

/// Trailing axes [k, rank) of a keepdims reduce_mean of `input`; -1 if not.
int64_t trailingMeanAxis(ReduceMeanOp mean, int64_t rank) {
  ArrayRef<int64_t> axes = mean.getAxes();
  if (!mean.getKeepdims() || axes.empty() || axes.back() != rank - 1)
    return -1;
  for (size_t i = 1; i < axes.size(); ++i)
    if (axes[i] != axes[i - 1] + 1)
      return -1;
  return axes.front();
}

/// True when `param` broadcasts onto the dims of `x` from `axis` on, as
/// paso.layer_norm requires of its scale and bias.
bool broadcastsOnto(Value param, Value x, int64_t axis) {
  auto paramType = cast<RankedTensorType>(param.getType());
  auto xType = cast<RankedTensorType>(x.getType());
  ArrayRef<int64_t> normalized = xType.getShape().drop_front(axis);
  ArrayRef<int64_t> shape = paramType.getShape();
  if (paramType.getElementType() != xType.getElementType() ||
      shape.size() > normalized.size())
    return false;
  for (size_t i = 0; i < shape.size(); ++i) {
    int64_t dim = shape[shape.size() - 1 - i];
    if (dim != 1 && dim != normalized[normalized.size() - 1 - i])
      return false;
  }
  return true;
}

/// add(mul(div(x - mean(x), sqrt(mean((x - mean)^2) + eps)), gamma), beta)
struct LayerNormPattern : OpRewritePattern<AddOp> {
  LayerNormPattern(MLIRContext *context, llvm::Statistic &count)
      : OpRewritePattern(context), count(count) {}

  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    Value gamma, beta, normalized;
    auto findScaled = [&](Value scaled, Value shift) {
      return matchEither<MulOp>(scaled, [&](Value n, Value g) {
        if (!n.getDefiningOp<DivOp>())
          return false;
        normalized = n;
        gamma = g;
        beta = shift;
        return true;
      });
    };
    if (!findScaled(add.getLhs(), add.getRhs()) &&
        !findScaled(add.getRhs(), add.getLhs()))
      return failure();
    auto div = normalized.getDefiningOp<DivOp>();
    auto sub = div.getLhs().getDefiningOp<SubOp>();
    auto sqrt = div.getRhs().getDefiningOp<SqrtOp>();
    if (!sub || !sqrt)
      return failure();
    Value x = sub.getLhs();
    auto mean = sub.getRhs().getDefiningOp<ReduceMeanOp>();
    if (!mean || mean.getInput() != x)
      return failure();
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    int64_t axis = trailingMeanAxis(mean, rank);
    if (axis < 0)
      return failure();
    std::optional<double> epsilon;
    Value variance;
    if (!matchEither<AddOp>(sqrt.getInput(), [&](Value v, Value e) {
          epsilon = splatValue(e);
          variance = v;
          return epsilon.has_value();
        }))
      return failure();
    auto varMean = variance.getDefiningOp<ReduceMeanOp>();
    if (!varMean || varMean.getAxes() != mean.getAxes() ||
        !varMean.getKeepdims())
      return failure();
    Value squared = varMean.getInput();
    bool isSquare = false;
    if (auto pow = squared.getDefiningOp<PowOp>())
      isSquare = pow.getLhs() == sub.getResult() &&
                 near(splatValue(pow.getRhs()), 2.0);
    if (auto mul = squared.getDefiningOp<MulOp>())
      isSquare = mul.getLhs() == sub.getResult() &&
                 mul.getRhs() == sub.getResult();
    if (!isSquare)
      return failure();
    if (!broadcastsOnto(gamma, x, axis) || !broadcastsOnto(beta, x, axis))
      return failure();
    SmallVector<Location> locs{mean.getLoc(), sub.getLoc(), varMean.getLoc(),
                               sqrt.getLoc(), div.getLoc(), add.getLoc()};
    auto ln = LayerNormOp::create(
        rewriter, rewriter.getFusedLoc(locs), x, gamma, beta,
        rewriter.getI64IntegerAttr(axis),
        rewriter.getF32FloatAttr(static_cast<float>(*epsilon)));
    rewriter.replaceOp(add, ln.getResult());
    ++count;
    return success();
  }

  llvm::Statistic &count;
};

/// Flattens a tree of single-use multiplies into its factors.
void collectFactors(Value value, SmallVectorImpl<Value> &factors,
                    SmallVectorImpl<Operation *> &muls, bool root) {
  auto mul = value.getDefiningOp<MulOp>();
  if (mul && (root || mul->hasOneUse())) {
    muls.push_back(mul);
    collectFactors(mul.getLhs(), factors, muls, false);
    collectFactors(mul.getRhs(), factors, muls, false);
    return;
  }
  factors.push_back(value);
}

/// x * 0.5 * (1 + erf(x / sqrt(2))), multiplied in any order.
struct GeluPattern : OpRewritePattern<MulOp> {
  GeluPattern(MLIRContext *context, llvm::Statistic &count)
      : OpRewritePattern(context), count(count) {}

  LogicalResult matchAndRewrite(MulOp mul,
                                PatternRewriter &rewriter) const override {
    SmallVector<Value> factors;
    SmallVector<Operation *> muls;
    collectFactors(mul.getResult(), factors, muls, /*root=*/true);
    if (factors.size() != 3)
      return failure();
    Value half, onePlusErf, x;
    ErfOp erf;
    auto isOnePlusErf = [&](Value factor) {
      return matchEither<AddOp>(factor, [&](Value e, Value one) {
        erf = e.getDefiningOp<ErfOp>();
        return erf && near(splatValue(one), 1.0);
      });
    };
    for (Value factor : factors) {
      if (!half && near(splatValue(factor), 0.5))
        half = factor;
      else if (!onePlusErf && isOnePlusErf(factor))
        onePlusErf = factor;
      else
        x = factor;
    }
    if (!half || !onePlusErf || !x)
      return failure();
    isOnePlusErf(onePlusErf);
    Value scaled = erf.getInput();
    bool ok = false;
    if (auto div = scaled.getDefiningOp<DivOp>())
      ok = div.getLhs() == x && near(splatValue(div.getRhs()), M_SQRT2);
    if (scaled.getDefiningOp<MulOp>())
      ok = matchEither<MulOp>(scaled, [&](Value v, Value c) {
        return v == x && near(splatValue(c), M_SQRT1_2);
      });
    if (!ok || x.getType() != mul.getType())
      return failure();
    SmallVector<Location> locs{erf.getLoc(), onePlusErf.getLoc()};
    for (Operation *op : muls)
      locs.push_back(op->getLoc());
    auto gelu = GeluOp::create(rewriter, rewriter.getFusedLoc(locs), x,
                               rewriter.getBoolAttr(false));
    rewriter.replaceOp(mul, gelu.getResult());
    ++count;
    return success();
  }

  llvm::Statistic &count;
};

/// The single axis a keepdims reduction reduces, or -1.
template <typename ReduceOpTy>
int64_t singleKeptAxis(ReduceOpTy reduce) {
  if (!reduce || !reduce.getKeepdims() || reduce.getAxes().size() != 1)
    return -1;
  return reduce.getAxes().front();
}

/// exp(x - max(x)) / sum(exp(x - max(x))) along one axis, the max
/// subtraction (numerical safety only) optional.
struct SoftmaxPattern : OpRewritePattern<DivOp> {
  SoftmaxPattern(MLIRContext *context, llvm::Statistic &count)
      : OpRewritePattern(context), count(count) {}

  LogicalResult matchAndRewrite(DivOp div,
                                PatternRewriter &rewriter) const override {
    auto exp = div.getLhs().getDefiningOp<ExpOp>();
    auto sum = div.getRhs().getDefiningOp<ReduceSumOp>();
    if (!exp || !sum || sum.getInput() != exp.getResult())
      return failure();
    int64_t axis = singleKeptAxis(sum);
    if (axis < 0)
      return failure();
    Value x = exp.getInput();
    SmallVector<Location> locs{exp.getLoc(), sum.getLoc(), div.getLoc()};
    if (auto sub = x.getDefiningOp<SubOp>()) {
      auto max = sub.getRhs().getDefiningOp<ReduceMaxOp>();
      if (max && max.getInput() == sub.getLhs() &&
          singleKeptAxis(max) == axis) {
        locs.append({max.getLoc(), sub.getLoc()});
        x = sub.getLhs();
      }
    }
    if (x.getType() != div.getType())
      return failure();
    auto softmax =
        SoftmaxOp::create(rewriter, rewriter.getFusedLoc(locs), x,
                          rewriter.getI64IntegerAttr(axis));
    rewriter.replaceOp(div, softmax.getResult());
    ++count;
    return success();
  }

  llvm::Statistic &count;
};

/// relu6(x + 3), Clip(Add(x, 3), 0, 6): sets `x`.
bool isRelu6OfPlus3(Value value, Value &x) {
  auto clip = value.getDefiningOp<ClipOp>();
  if (!clip || !clip.getMin() || !clip.getMax() ||
      clip.getMin()->convertToDouble() != 0.0 ||
      clip.getMax()->convertToDouble() != 6.0)
    return false;
  return matchEither<AddOp>(clip.getInput(), [&](Value input, Value three) {
    if (!near(splatValue(three), 3.0))
      return false;
    x = input;
    return true;
  });
}

/// MobileNetV3's hard sigmoid of `x`: max(0, min(1, x / 6 + 1 / 2)).
bool isHardSigmoidOf(Value value, Value x) {
  auto sigmoid = value.getDefiningOp<HardSigmoidOp>();
  return sigmoid && sigmoid.getInput() == x &&
         near(sigmoid.getAlpha().convertToDouble(), 1.0 / 6) &&
         near(sigmoid.getBeta().convertToDouble(), 0.5);
}

/// x * relu6(x + 3) / 6 as one op: the quotient (div by 6) or the product
/// of x, relu6(x + 3) and 1/6 in any order, or x * hard_sigmoid(x).
struct HardSwishPattern : RewritePattern {
  HardSwishPattern(MLIRContext *context, llvm::Statistic &count)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context),
        count(count) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<MulOp, DivOp>(op) || !isa<FloatType>(getElementTypeOrSelf(
                                      op->getResult(0).getType())))
      return failure();
    SmallVector<Value> factors;
    SmallVector<Operation *> muls;
    bool sixthFound = false;
    if (auto div = dyn_cast<DivOp>(op)) {
      if (!near(splatValue(div.getRhs()), 6.0) ||
          !div.getLhs().getDefiningOp<MulOp>() || !div.getLhs().hasOneUse())
        return failure();
      collectFactors(div.getLhs(), factors, muls, /*root=*/true);
      sixthFound = true;
    } else {
      collectFactors(op->getResult(0), factors, muls, /*root=*/true);
    }
    Value x, gate;
    SmallVector<Value> rest;
    for (Value factor : factors) {
      if (!sixthFound && near(splatValue(factor), 1.0 / 6))
        sixthFound = true;
      else
        rest.push_back(factor);
    }
    if (rest.size() != 2)
      return failure();
    for (int first = 0; first < 2 && !x; ++first) {
      Value candidate = rest[first], other = rest[1 - first];
      Value inner;
      if ((sixthFound && isRelu6OfPlus3(other, inner) && inner == candidate) ||
          (!sixthFound && isHardSigmoidOf(other, candidate))) {
        x = candidate;
        gate = other;
      }
    }
    if (!x || x.getType() != op->getResult(0).getType())
      return failure();
    SmallVector<Location> locs{gate.getLoc()};
    for (Operation *mul : muls)
      locs.push_back(mul->getLoc());
    locs.push_back(op->getLoc());
    auto hardSwish =
        HardSwishOp::create(rewriter, rewriter.getFusedLoc(locs), x);
    rewriter.replaceOp(op, hardSwish.getResult());
    ++count;
    return success();
  }

  llvm::Statistic &count;
};

struct RecognizeKernelsPass
    : paso::impl::RecognizeKernelsPassBase<RecognizeKernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<LayerNormPattern>(&getContext(), numLayerNorms);
    patterns.add<GeluPattern>(&getContext(), numGelus);
    patterns.add<SoftmaxPattern>(&getContext(), numSoftmaxes);
    if (hardSwish)
      patterns.add<HardSwishPattern>(&getContext(), numHardSwishes);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
