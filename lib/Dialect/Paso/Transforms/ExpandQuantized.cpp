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
/// scale x weight scale: a dequantize at that scale, which paso-fold-qdq
/// reads back as the int32 bias.
Value realBias(PatternRewriter &rewriter, Location loc, Value bias,
               Value input, Value weight) {
  auto type = cast<RankedTensorType>(bias.getType());
  int64_t count = type.getDimSize(0);
  SmallVector<double> scales;
  for (double s : weightScales(weight, count))
    scales.push_back(s * inputScale(input));
  Type i32 = rewriter.getI32Type(), f32 = rewriter.getF32Type();
  int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(true, 32);
  int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(true, 32);
  unsigned flags = quant::QuantizationFlags::Signed;
  Type element =
      llvm::all_equal(scales)
          ? Type(quant::UniformQuantizedType::get(flags, i32, f32,
                                                  scales.front(), 0, lo, hi))
          : Type(quant::UniformQuantizedPerAxisType::get(
                flags, i32, f32, scales, SmallVector<int64_t>(count, 0), 0,
                lo, hi));
  Value quantized =
      StorageCastOp::create(rewriter, loc, type.clone(element), bias);
  return DequantizeOp::create(rewriter, loc, quantized);
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
    populateExpandQuantizedPatterns(patterns);
    getOperation().walk([&](Operation *op) {
      if (isa<QConvOp, QMatMulOp>(op))
        ++numExpanded;
    });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::paso::populateExpandQuantizedPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandQConv, ExpandQMatMul>(patterns.getContext());
}
