//===- SinkTransposes.cpp - push transposes down until they cancel --------===//
//
// op(transpose(x, p)) becomes transpose(op'(x), p) for every op whose
// meaning does not depend on the layout once its attributes are permuted:
// elementwise ops (the other operand permuted back when it is a constant
// or the same transpose), concat (axis remapped) and reductions (axes
// remapped). A transpose thus travels down the graph until it reaches its
// inverse, where the folder of paso.transpose removes both, or the end of
// what it can cross (a reshape, a matmul, the function's return).
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/Transforms/Transposes.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
#define GEN_PASS_DEF_SINKTRANSPOSESPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

SmallVector<int64_t> mlir::paso::inversePermutation(ArrayRef<int64_t> perm) {
  SmallVector<int64_t> inverse(perm.size());
  for (auto [i, p] : llvm::enumerate(perm))
    inverse[p] = i;
  return inverse;
}

static SmallVector<int64_t> permuteShape(ArrayRef<int64_t> shape,
                                         ArrayRef<int64_t> perm) {
  SmallVector<int64_t> result;
  for (int64_t p : perm)
    result.push_back(shape[p]);
  return result;
}

/// True when permuting `shape` by `perm` keeps the non-unit dims in order,
/// so the transpose is a reshape.
static bool movesOnlyUnitDims(ArrayRef<int64_t> shape, ArrayRef<int64_t> perm) {
  int64_t last = -1;
  for (int64_t p : perm) {
    if (shape[p] == 1)
      continue;
    if (p < last)
      return false;
    last = p;
  }
  return true;
}

static Value reshapeTo(OpBuilder &b, Location loc, Value value,
                       ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  return ReshapeOp::create(b, loc, type.clone(shape), value,
                           b.getDenseI64ArrayAttr(shape));
}

/// `values` of a row-major `shape` reordered as its permutation by `perm`.
template <typename T>
static SmallVector<T> permuteElements(ArrayRef<T> values,
                                      ArrayRef<int64_t> shape,
                                      ArrayRef<int64_t> perm) {
  SmallVector<int64_t> outShape = permuteShape(shape, perm);
  SmallVector<int64_t> inStrides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    inStrides[d] = inStrides[d + 1] * shape[d + 1];
  SmallVector<T> permuted(values.size());
  SmallVector<int64_t> index(perm.size(), 0);
  for (size_t linear = 0; linear < permuted.size(); ++linear) {
    int64_t source = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      source += index[d] * inStrides[perm[d]];
    permuted[linear] = values[source];
    for (int64_t d = static_cast<int64_t>(perm.size()) - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return permuted;
}

/// `type` with `shape`, a per-axis quantised element type's axis moved
/// where `perm` puts it.
static RankedTensorType permutedType(RankedTensorType type,
                                     ArrayRef<int64_t> shape,
                                     ArrayRef<int64_t> perm) {
  auto perAxis =
      dyn_cast<quant::UniformQuantizedPerAxisType>(type.getElementType());
  if (!perAxis)
    return type.clone(shape);
  int32_t axis = static_cast<int32_t>(
      llvm::find(perm, perAxis.getQuantizedDimension()) - perm.begin());
  return RankedTensorType::get(
      shape, quant::UniformQuantizedPerAxisType::get(
                 perAxis.getFlags(), perAxis.getStorageType(),
                 perAxis.getExpressedType(), perAxis.getScales(),
                 perAxis.getZeroPoints(), axis,
                 perAxis.getStorageTypeMin(), perAxis.getStorageTypeMax()));
}

Value mlir::paso::permuteValue(OpBuilder &b, Location loc, Value value,
                               ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<int64_t> outShape = permuteShape(shape, perm);
  // Constants first, even where a reshape would do: later passes read
  // weights from constants. Weights of any size: the folder of
  // paso.transpose stops at its growth bound, but a permutation does not
  // grow the model.
  if (std::optional<SmallVector<float>> values = readF32Constant(value))
    return ConstantOp::create(
        b, loc,
        makeF32Elements(type.clone(outShape),
                        permuteElements<float>(*values, shape, perm),
                        "permuted"));
  // Quantised weights: the integer constant behind the storage casts,
  // permuted and cast back.
  if (std::optional<SmallVector<int64_t>> ints = readIntConstant(value)) {
    Value root = value;
    while (auto cast = root.getDefiningOp<StorageCastOp>())
      root = cast.getInput();
    auto rootType = cast<RankedTensorType>(root.getType());
    Value result = ConstantOp::create(
        b, loc,
        makeIntElements(rootType.clone(outShape),
                        permuteElements<int64_t>(*ints, shape, perm),
                        "permuted"));
    if (rootType.getElementType() == type.getElementType())
      return result;
    return StorageCastOp::create(b, loc, permutedType(type, outShape, perm),
                                 result);
  }
  if (movesOnlyUnitDims(shape, perm))
    return reshapeTo(b, loc, value, outShape);
  return TransposeOp::create(b, loc, type.clone(outShape), value,
                             b.getDenseI64ArrayAttr(perm));
}

namespace {

/// The result type of `op` rebuilt on operands permuted back by `perm`.
RankedTensorType unpermutedType(Value result, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(result.getType());
  return type.clone(permuteShape(type.getShape(), inversePermutation(perm)));
}

/// Rebuilds `op` (same name and attributes) on `operands` with a result of
/// `type`, and replaces it with that result transposed by `perm`.
void replaceWithTransposed(PatternRewriter &rewriter, Operation *op,
                           ValueRange operands, Type type,
                           ArrayRef<int64_t> perm, ArrayRef<NamedAttribute>
                                                       attributes) {
  OperationState state(op->getLoc(), op->getName(), operands, type,
                       attributes);
  Operation *moved = rewriter.create(state);
  rewriter.replaceOpWithNewOp<TransposeOp>(
      op, op->getResult(0).getType(), moved->getResult(0),
      rewriter.getDenseI64ArrayAttr(perm));
}

/// True for a quantised element type with one scale per tensor (or a
/// non-quantised one): moving it across a transpose changes nothing.
static bool perTensorElements(Value value) {
  return !isa<quant::UniformQuantizedPerAxisType>(
      cast<ShapedType>(value.getType()).getElementType());
}

/// unary(transpose(x, p)) -> transpose(unary(x), p) for the elementwise
/// ops (those with SameOperandsAndResultType), casts, and the
/// conversions between floats, integers and per-tensor quantised values (a
/// quantised graph's layout transposes cross them to cancel).
struct SinkThroughUnary : RewritePattern {
  explicit SinkThroughUnary(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), 1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<PasoDialect>(op->getDialect()) || op->getNumOperands() != 1 ||
        op->getNumResults() != 1 ||
        !(op->hasTrait<OpTrait::SameOperandsAndResultType>() ||
          isa<CastOp>(op) ||
          (isa<QuantizeOp, DequantizeOp, RequantizeOp, StorageCastOp>(op) &&
           perTensorElements(op->getOperand(0)) &&
           perTensorElements(op->getResult(0)))))
      return failure();
    auto transpose = op->getOperand(0).getDefiningOp<TransposeOp>();
    if (!transpose)
      return failure();
    replaceWithTransposed(rewriter, op, transpose.getInput(),
                          unpermutedType(op->getResult(0), transpose.getPerm()),
                          transpose.getPerm(), op->getAttrs());
    return success();
  }
};

/// dynamic_quantize(transpose(x, p)) -> transpose of its output, the
/// scale and zero point unchanged: they come from the minimum and maximum
/// of all elements, whatever their order, and the quantisation is
/// elementwise (quantize_dynamic's CNNs quantise before every
/// convolution, so without this each one kept a transpose either side).
struct SinkThroughDynamicQuantize : OpRewritePattern<DynamicQuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DynamicQuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto transpose = op.getInput().getDefiningOp<TransposeOp>();
    if (!transpose)
      return failure();
    auto moved =
        DynamicQuantizeOp::create(rewriter, op.getLoc(), transpose.getInput());
    Value output =
        TransposeOp::create(rewriter, op.getLoc(), op.getOutput().getType(),
                            moved.getOutput(), transpose.getPermAttr());
    rewriter.replaceOp(op, {output, moved.getScale(), moved.getZeroPoint()});
    return success();
  }
};

/// binary(transpose(x, p), y) -> transpose(binary(x, y'), p) where y' is y
/// permuted back: the input of the same transpose, or a constant (or a
/// tensor of unit dims) broadcast to full rank and permuted at compile
/// time. Any other y would need a transpose of its own, so stays.
struct SinkThroughBinary : RewritePattern {
  explicit SinkThroughBinary(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), 1, context) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<AddOp, SubOp, MulOp, DivOp, PowOp, MaxOp, MinOp, PReluOp,
             EqualOp, LessOp, LessEqualOp, GreaterOp, GreaterEqualOp, AndOp,
             OrOp, XorOp>(op))
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    int64_t rank = resultType.getRank();
    std::optional<SmallVector<int64_t>> perm;
    for (Value operand : op->getOperands())
      if (auto transpose = operand.getDefiningOp<TransposeOp>())
        if (transpose.getType().getRank() == rank) {
          perm = SmallVector<int64_t>(transpose.getPerm());
          break;
        }
    if (!perm)
      return failure();
    SmallVector<int64_t> inverse = inversePermutation(*perm);
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      auto transpose = operand.getDefiningOp<TransposeOp>();
      if (transpose && transpose.getPerm() == ArrayRef<int64_t>(*perm)) {
        operands.push_back(transpose.getInput());
        continue;
      }
      auto type = dyn_cast<RankedTensorType>(operand.getType());
      if (!type || !type.hasStaticShape() || type.getRank() > rank)
        return failure();
      bool constant = operand.getDefiningOp<ConstantOp>() != nullptr;
      bool unitDims = llvm::all_of(type.getShape(),
                                   [](int64_t d) { return d == 1; });
      if (!constant && !unitDims)
        return failure();
      operands.push_back(operand);
    }
    // Permute the constants only once the whole match is known.
    for (auto [i, operand] : llvm::enumerate(op->getOperands())) {
      if (operands[i] != operand)
        continue;
      auto type = cast<RankedTensorType>(operand.getType());
      SmallVector<int64_t> full(rank - type.getRank(), 1);
      llvm::append_range(full, type.getShape());
      operands[i] = permuteValue(
          rewriter, op->getLoc(),
          reshapeTo(rewriter, op->getLoc(), operand, full), inverse);
    }
    replaceWithTransposed(rewriter, op, operands,
                          unpermutedType(op->getResult(0), *perm), *perm,
                          op->getAttrs());
    return success();
  }
};

/// concat(transpose(x_i, p), axis) -> transpose(concat(x_i, p[axis]), p).
struct SinkThroughConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<ArrayRef<int64_t>> perm;
    SmallVector<Value> inputs;
    for (Value operand : op.getInputs()) {
      auto transpose = operand.getDefiningOp<TransposeOp>();
      if (!transpose || (perm && transpose.getPerm() != *perm))
        return failure();
      perm = transpose.getPerm();
      inputs.push_back(transpose.getInput());
    }
    if (!perm)
      return failure();
    int64_t axis = (*perm)[op.getAxis()];
    SmallVector<NamedAttribute> attributes{rewriter.getNamedAttr(
        "axis", rewriter.getI64IntegerAttr(axis))};
    replaceWithTransposed(rewriter, op, inputs,
                          unpermutedType(op.getResult(), *perm), *perm,
                          attributes);
    return success();
  }
};

/// reduce(transpose(x, p), axes) -> reduce(x, p[axes]), followed by the
/// transpose of the dims that remain (none when they keep their order,
/// as for a global pooling).
template <typename ReduceOpT>
struct SinkThroughReduce : OpRewritePattern<ReduceOpT> {
  using OpRewritePattern<ReduceOpT>::OpRewritePattern;
  LogicalResult matchAndRewrite(ReduceOpT op,
                                PatternRewriter &rewriter) const override {
    auto transpose = op.getInput().template getDefiningOp<TransposeOp>();
    if (!transpose)
      return failure();
    ArrayRef<int64_t> perm = transpose.getPerm();
    SmallVector<int64_t> axes;
    for (int64_t axis : op.getAxes())
      axes.push_back(perm[axis]);
    llvm::sort(axes);
    auto inType = cast<RankedTensorType>(transpose.getInput().getType());
    SmallVector<int64_t> shape(inType.getShape());
    SmallVector<int64_t> kept; // source dims of the result, in its order
    for (auto [i, p] : llvm::enumerate(perm))
      if (op.getKeepdims() || !llvm::is_contained(op.getAxes(), int64_t(i)))
        kept.push_back(p);
    SmallVector<int64_t> remaining; // source dims of the new reduction
    for (int64_t d = 0; d < inType.getRank(); ++d) {
      bool reduced = llvm::is_contained(axes, d);
      if (reduced)
        shape[d] = 1;
      if (op.getKeepdims() || !reduced)
        remaining.push_back(d);
    }
    SmallVector<int64_t> reducedShape;
    for (int64_t d : remaining)
      reducedShape.push_back(shape[d]);
    auto reduced = ReduceOpT::create(
        rewriter, op.getLoc(), op.getType().clone(reducedShape),
        transpose.getInput(), rewriter.getDenseI64ArrayAttr(axes),
        op.getKeepdimsAttr());
    SmallVector<int64_t> after;
    for (int64_t source : kept)
      after.push_back(llvm::find(remaining, source) - remaining.begin());
    rewriter.replaceOp(op, permuteValue(rewriter, op.getLoc(),
                                        reduced.getResult(), after));
    return success();
  }
};

/// A transpose that keeps the order of the non-unit dims is a reshape
/// (the NHWC result of a global pooling read as NCHW).
struct TransposeAsReshape : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getInput().getType());
    if (!type.hasStaticShape() || !movesOnlyUnitDims(type.getShape(),
                                                      op.getPerm()))
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(
        op, op.getType(), op.getInput(),
        rewriter.getDenseI64ArrayAttr(op.getType().getShape()));
    return success();
  }
};

struct SinkTransposesPass
    : paso::impl::SinkTransposesPassBase<SinkTransposesPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto count = [&] {
      int64_t n = 0;
      func.walk([&](TransposeOp) { ++n; });
      return n;
    };
    int64_t before = count();
    RewritePatternSet patterns(&getContext());
    populateSinkTransposePatterns(patterns);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
    numRemoved += std::max<int64_t>(0, before - count());
  }
};

} // namespace

void mlir::paso::populateSinkTransposePatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<SinkThroughUnary, SinkThroughBinary, SinkThroughConcat,
               SinkThroughDynamicQuantize, SinkThroughReduce<ReduceMeanOp>,
               SinkThroughReduce<ReduceSumOp>, SinkThroughReduce<ReduceMaxOp>,
               SinkThroughReduce<ReduceMinOp>, SinkThroughReduce<ReduceProdOp>,
               TransposeAsReshape>(context);
}
