//===- ExpandQuantized.cpp - integer ops run in float ---------------------===//
//
// paso-expand-quantized: qconv and qmatmul as dequantize -> float op ->
// quantize, for back ends (and layers) without integer kernels. See
// Passes.td for the numerical argument.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
#define GEN_PASS_DEF_EXPANDQUANTIZEDPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// The scale of each of `count` output channels of a weight quantised per
/// tensor or per channel.
SmallVector<double> weightScales(Value weight, int64_t count) {
  Type element = cast<RankedTensorType>(weight.getType()).getElementType();
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(element))
    return SmallVector<double>(perAxis.getScales());
  return SmallVector<double>(
      count, cast<quant::UniformQuantizedType>(element).getScale());
}

double inputScale(Value input) {
  return cast<quant::UniformQuantizedType>(
             cast<RankedTensorType>(input.getType()).getElementType())
      .getScale();
}

/// The real value of an int32 bias of `count` channels in units of input
/// scale x weight scale, as an f32 tensor: cast, then one multiply.
Value realBias(PatternRewriter &rewriter, Location loc, Value bias,
               Value input, Value weight) {
  auto type = cast<RankedTensorType>(bias.getType());
  int64_t count = type.getDimSize(0);
  SmallVector<float> scales;
  for (double s : weightScales(weight, count))
    scales.push_back(static_cast<float>(s * inputScale(input)));
  auto f32Type = type.clone(rewriter.getF32Type());
  Value asFloat = CastOp::create(rewriter, loc, bias,
                                 TypeAttr::get(rewriter.getF32Type()));
  Value factors = ConstantOp::create(
      rewriter, loc,
      cast<ElementsAttr>(DenseElementsAttr::get(f32Type,
                                                ArrayRef<float>(scales))));
  return MulOp::create(rewriter, loc, asFloat, factors);
}

/// The activation then the quantisation to `outputType`.
Value finish(PatternRewriter &rewriter, Location loc, Value value,
             StringRef activation, ArrayRef<double> params, Type outputType) {
  if (activation == "relu")
    value = ReluOp::create(rewriter, loc, value);
  else if (activation == "clip")
    value = ClipOp::create(rewriter, loc, value.getType(), value,
                           rewriter.getF64FloatAttr(params[0]),
                           rewriter.getF64FloatAttr(params[1]));
  return QuantizeOp::create(rewriter, loc, value, TypeAttr::get(outputType));
}

struct ExpandQConv : OpRewritePattern<QConvOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QConvOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = DequantizeOp::create(rewriter, loc, op.getInput());
    Value filter = DequantizeOp::create(rewriter, loc, op.getFilter());
    Value bias;
    if (op.getBias())
      bias = realBias(rewriter, loc, op.getBias(), op.getInput(),
                      op.getFilter());
    Value conv = ConvOp::create(
        rewriter, loc, input, filter, bias, op.getStridesAttr(),
        op.getPadsAttr(), op.getDilationsAttr(), op.getGroupAttr(),
        op.getChannelsLastAttr());
    rewriter.replaceOp(op, finish(rewriter, loc, conv, op.getActivation(),
                                  op.getActivationParams(),
                                  op.getOutputType()));
    return success();
  }
};

struct ExpandQMatMul : OpRewritePattern<QMatMulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QMatMulOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = DequantizeOp::create(rewriter, loc, op.getLhs());
    Value rhs = DequantizeOp::create(rewriter, loc, op.getRhs());
    Value product = MatMulOp::create(rewriter, loc, lhs, rhs);
    if (op.getBias())
      product = AddOp::create(rewriter, loc, product,
                              realBias(rewriter, loc, op.getBias(),
                                       op.getLhs(), op.getRhs()));
    rewriter.replaceOp(op, finish(rewriter, loc, product, op.getActivation(),
                                  op.getActivationParams(),
                                  op.getOutputType()));
    return success();
  }
};

struct ExpandQuantizedPass
    : paso::impl::ExpandQuantizedPassBase<ExpandQuantizedPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandQConv, ExpandQMatMul>(&getContext());
    getOperation().walk([&](Operation *op) {
      if (isa<QConvOp, QMatMulOp>(op))
        ++numExpanded;
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
