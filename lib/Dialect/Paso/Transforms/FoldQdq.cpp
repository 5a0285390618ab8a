//===- FoldQdq.cpp - dequantize -> op -> quantize into integer ops --------===//
//
// paso-fold-qdq: see Passes.td. Runs after the float fusions, so a
// convolution arrives with its bias and activation already attached and
// folds whole.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <cmath>

namespace mlir::paso {
#define GEN_PASS_DEF_FOLDQDQPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The 8-bit per-tensor quantised value `value` dequantises, or null.
Value perTensorSource(Value value) {
  auto dequantize = value.getDefiningOp<DequantizeOp>();
  if (!dequantize)
    return {};
  auto type = dyn_cast<quant::UniformQuantizedType>(
      tensorType(dequantize.getInput()).getElementType());
  if (!type || type.getStorageTypeIntegralWidth() != 8)
    return {};
  return dequantize.getInput();
}

/// Constant symmetric 8-bit weights behind `value`: the quantised tensor
/// and its per-`axis` scales (one per index of `axis`), or null.
struct Weights {
  Value quantized;
  SmallVector<double> scales;
};
std::optional<Weights> constantWeights(Value value, int64_t axis) {
  auto dequantize = value.getDefiningOp<DequantizeOp>();
  if (!dequantize || !readIntConstant(dequantize.getInput()))
    return std::nullopt;
  Value quantized = dequantize.getInput();
  RankedTensorType type = tensorType(quantized);
  auto element = cast<quant::QuantizedType>(type.getElementType());
  if (element.getStorageTypeIntegralWidth() != 8 || !element.isSigned())
    return std::nullopt;
  Weights weights{quantized, {}};
  int64_t count = type.getDimSize(axis);
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(element)) {
    if (perTensor.getZeroPoint() != 0)
      return std::nullopt;
    weights.scales.assign(count, perTensor.getScale());
    return weights;
  }
  auto perAxis = cast<quant::UniformQuantizedPerAxisType>(element);
  if (perAxis.getQuantizedDimension() != axis ||
      llvm::any_of(perAxis.getZeroPoints(), [](int64_t z) { return z != 0; }))
    return std::nullopt;
  weights.scales.assign(perAxis.getScales().begin(),
                        perAxis.getScales().end());
  return weights;
}

/// The bias as int32 in units of inputScale x weight scale: read from a
/// float constant, or from an int32 tensor dequantised at that scale.
FailureOr<Value> integerBias(PatternRewriter &rewriter, Location loc,
                             Value bias, double inputScale,
                             ArrayRef<double> weightScales) {
  if (!bias)
    return Value();
  int64_t count = weightScales.size();
  auto type = RankedTensorType::get({count}, rewriter.getI32Type());
  if (auto dequantize = bias.getDefiningOp<DequantizeOp>()) {
    Value quantized = dequantize.getInput();
    auto element = cast<quant::QuantizedType>(
        tensorType(quantized).getElementType());
    SmallVector<double> scales;
    if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(element))
      scales.assign(count, perTensor.getScale());
    else
      scales.assign(
          cast<quant::UniformQuantizedPerAxisType>(element).getScales().begin(),
          cast<quant::UniformQuantizedPerAxisType>(element).getScales().end());
    bool sameScale = element.getStorageTypeIntegralWidth() == 32 &&
                     static_cast<int64_t>(scales.size()) == count;
    for (int64_t i = 0; sameScale && i < count; ++i)
      sameScale = std::abs(scales[i] - inputScale * weightScales[i]) <=
                  1e-6 * scales[i];
    if (sameScale) {
      if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(element))
        if (perTensor.getZeroPoint() != 0)
          return failure();
      return StorageCastOp::create(rewriter, loc,
                                   tensorType(quantized).clone(
                                       storageElementType(element)),
                                   quantized)
          .getResult();
    }
  }
  std::optional<SmallVector<float>> values = readF32Constant(bias);
  if (!values && bias.getDefiningOp<DequantizeOp>()) {
    // A dequantised constant at another scale: its real values.
    auto dequantize = bias.getDefiningOp<DequantizeOp>();
    std::optional<SmallVector<int64_t>> ints =
        readIntConstant(dequantize.getInput());
    auto element = dyn_cast<quant::UniformQuantizedType>(
        tensorType(dequantize.getInput()).getElementType());
    if (ints && element) {
      values.emplace();
      for (int64_t v : *ints)
        values->push_back(static_cast<float>(
            (v - element.getZeroPoint()) * element.getScale()));
    }
  }
  if (!values || static_cast<int64_t>(values->size()) != count)
    return failure();
  SmallVector<int64_t> ints;
  for (int64_t i = 0; i < count; ++i) {
    double scaled = (*values)[i] / (inputScale * weightScales[i]);
    if (!(std::abs(scaled) < 2147483647.0))
      return failure();
    ints.push_back(static_cast<int64_t>(std::nearbyint(scaled)));
  }
  return ConstantOp::create(rewriter, loc,
                            makeIntElements(type, ints, "qdq_bias"))
      .getResult();
}

/// Activation of a fused op, when the integer epilogue can clamp it.
bool clampActivation(StringRef activation) {
  return activation == "none" || activation == "relu" || activation == "clip";
}

/// The 8-bit per-tensor output type of `op` and the single-use op it
/// quantises: what a fold into an integer op starts from (null if not).
std::pair<quant::UniformQuantizedType, Operation *>
foldableQuantize(QuantizeOp op) {
  auto output =
      dyn_cast<quant::UniformQuantizedType>(op.getType().getElementType());
  Operation *producer = op.getInput().getDefiningOp();
  if (!output || output.getStorageTypeIntegralWidth() != 8 || !producer ||
      !producer->hasOneUse())
    return {};
  return {output, producer};
}

struct FoldConv : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto [output, producer] = foldableQuantize(op);
    if (!producer)
      return failure();
    auto conv = dyn_cast<ConvOp>(producer);
    auto fused = dyn_cast<FusedConvOp>(producer);
    if (!conv && !fused)
      return failure();
    if (fused && (fused.getResidual() || !clampActivation(fused.getActivation())))
      return failure();
    Value input = perTensorSource(producer->getOperand(0));
    std::optional<Weights> weights =
        constantWeights(producer->getOperand(1), 0);
    if (!input || !weights || tensorType(input).getRank() != 4)
      return failure();
    Value bias = conv ? conv.getBias() : fused.getBias();
    double inputScale =
        cast<quant::UniformQuantizedType>(tensorType(input).getElementType())
            .getScale();
    FailureOr<Value> integer =
        integerBias(rewriter, op.getLoc(), bias, inputScale, weights->scales);
    if (failed(integer))
      return failure();
    StringRef activation = fused ? fused.getActivation() : "none";
    ArrayRef<double> params =
        fused ? fused.getActivationParams() : ArrayRef<double>();
    Operation *window = producer;
    auto attr = [&](StringRef name) { return window->getAttr(name); };
    auto folded = QConvOp::create(
        rewriter, rewriter.getFusedLoc({producer->getLoc(), op.getLoc()}),
        op.getType(), input, weights->quantized, *integer,
        cast<DenseI64ArrayAttr>(attr("strides")),
        cast<DenseI64ArrayAttr>(attr("pads")),
        cast<DenseI64ArrayAttr>(attr("dilations")),
        cast<IntegerAttr>(attr("group")), TypeAttr::get(output),
        rewriter.getStringAttr(activation),
        rewriter.getDenseF64ArrayAttr(params),
        rewriter.getBoolAttr(isChannelsLast(producer)));
    rewriter.replaceOp(op, folded.getResult());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// The weights of a product as [K, N] quantised along N: `rhs` itself, or
/// (Gemm's transB) its constant transposed.
std::optional<Weights> productWeights(PatternRewriter &rewriter, Value rhs,
                                      bool transposed) {
  if (!transposed)
    return constantWeights(rhs, 1);
  std::optional<Weights> weights = constantWeights(rhs, 0);
  if (!weights)
    return std::nullopt;
  RankedTensorType type = tensorType(weights->quantized);
  if (type.getRank() != 2)
    return std::nullopt;
  int64_t n = type.getDimSize(0), k = type.getDimSize(1);
  SmallVector<int64_t> data = *readIntConstant(weights->quantized);
  SmallVector<int64_t> transposedData(data.size());
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < k; ++j)
      transposedData[j * n + i] = data[i * k + j];
  auto element = cast<quant::QuantizedType>(type.getElementType());
  Type newElement = quant::UniformQuantizedPerAxisType::get(
      element.getFlags(), element.getStorageType(), element.getExpressedType(),
      weights->scales, SmallVector<int64_t>(n, 0), 1,
      element.getStorageTypeMin(), element.getStorageTypeMax());
  auto storageType =
      RankedTensorType::get({k, n}, storageElementType(element));
  Location loc = rhs.getLoc();
  Value constant = ConstantOp::create(
      rewriter, loc, makeIntElements(storageType, transposedData, "qdq_weights"));
  weights->quantized = StorageCastOp::create(
      rewriter, loc, RankedTensorType::get({k, n}, newElement), constant);
  return weights;
}

struct FoldMatMul : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto [output, producer] = foldableQuantize(op);
    if (!producer)
      return failure();
    auto matmul = dyn_cast<MatMulOp>(producer);
    auto fused = dyn_cast<FusedMatMulOp>(producer);
    if (!matmul && !fused)
      return failure();
    if (fused && !clampActivation(fused.getActivation()))
      return failure();
    Value rhs = producer->getOperand(1);
    if (tensorType(rhs).getRank() != 2 ||
        tensorType(producer->getOperand(0)).getRank() < 2)
      return failure();
    Value input = perTensorSource(producer->getOperand(0));
    if (!input)
      return failure();
    std::optional<Weights> weights =
        productWeights(rewriter, rhs, fused && fused.getTransRhs());
    if (!weights)
      return failure();
    double inputScale =
        cast<quant::UniformQuantizedType>(tensorType(input).getElementType())
            .getScale();
    FailureOr<Value> integer =
        integerBias(rewriter, op.getLoc(), fused ? fused.getBias() : Value(),
                    inputScale, weights->scales);
    if (failed(integer))
      return failure();
    auto folded = QMatMulOp::create(
        rewriter, rewriter.getFusedLoc({producer->getLoc(), op.getLoc()}),
        op.getType(), input, weights->quantized, *integer,
        TypeAttr::get(output),
        rewriter.getStringAttr(fused ? fused.getActivation() : "none"),
        rewriter.getDenseF64ArrayAttr(fused ? fused.getActivationParams()
                                            : ArrayRef<double>()));
    rewriter.replaceOp(op, folded.getResult());
    rewriter.eraseOp(producer);
    return success();
  }
};

/// The same 8-bit storage and zero point read at another scale.
quant::UniformQuantizedType withScale(quant::UniformQuantizedType type,
                                      double scale) {
  return quant::UniformQuantizedType::get(
      type.getFlags(), type.getStorageType(), type.getExpressedType(), scale,
      type.getZeroPoint(), type.getStorageTypeMin(), type.getStorageTypeMax());
}

/// quantize(dequantize(a) + dequantize(b)) computed in the output's units,
/// as ONNX Runtime's QLinearAdd does: round((a - za) * (sa / sc) +
/// (b - zb) * (sb / sc)) + zc, the ratios in f32. The same additions,
/// rounded at the same points, give the same int8 results.
struct FoldAdd : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto output = dyn_cast<quant::UniformQuantizedType>(
        op.getType().getElementType());
    auto add = op.getInput().getDefiningOp<AddOp>();
    if (!output || output.getScale() == 1.0 || !add || !add->hasOneUse())
      return failure();
    Value lhs = perTensorSource(add.getLhs());
    Value rhs = perTensorSource(add.getRhs());
    if (!lhs || !rhs || add.getLhs().getType() != add.getRhs().getType())
      return failure();
    Location loc = add.getLoc();
    auto reread = [&](Value quantized) -> Value {
      auto type = cast<quant::UniformQuantizedType>(
          tensorType(quantized).getElementType());
      float ratio = static_cast<float>(type.getScale()) /
                    static_cast<float>(output.getScale());
      RankedTensorType storage = tensorType(quantized).clone(
          storageElementType(type));
      Value bits = StorageCastOp::create(rewriter, loc, storage, quantized);
      Value scaled = StorageCastOp::create(
          rewriter, loc, tensorType(quantized).clone(withScale(type, ratio)),
          bits);
      return DequantizeOp::create(rewriter, loc, scaled);
    };
    Value sum = AddOp::create(rewriter, loc, reread(lhs), reread(rhs));
    Value units = QuantizeOp::create(
        rewriter, op.getLoc(), sum, TypeAttr::get(withScale(output, 1.0)));
    RankedTensorType storage =
        op.getType().clone(storageElementType(output));
    Value bits = StorageCastOp::create(rewriter, op.getLoc(), storage, units);
    rewriter.replaceOpWithNewOp<StorageCastOp>(op, op.getType(), bits);
    rewriter.eraseOp(add);
    return success();
  }
};

/// quantize(relu(x)) -> quantize(x) when the zero point is the storage
/// minimum: negative inputs then saturate to the zero point (real 0), as
/// the ReLU would have made them.
struct FoldReluIntoQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto output = dyn_cast<quant::UniformQuantizedType>(
        op.getType().getElementType());
    auto relu = op.getInput().getDefiningOp<ReluOp>();
    if (!output || !relu || !relu->hasOneUse() ||
        output.getZeroPoint() != output.getStorageTypeMin())
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op->setOperand(0, relu.getInput()); });
    rewriter.eraseOp(relu);
    return success();
  }
};

/// quantize(max_pool(dequantize(x))) at x's own (signed) quantisation is
/// the pooling of x's integer storage: the maximum commutes with the
/// monotonic (de)quantisation, and a window of padding only (which would
/// give -inf in float) does not occur.
struct FoldMaxPool : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &rewriter) const override {
    auto pool = op.getInput().getDefiningOp<MaxPoolOp>();
    if (!pool || !pool->hasOneUse())
      return failure();
    auto dequantize = pool.getInput().getDefiningOp<DequantizeOp>();
    if (!dequantize)
      return failure();
    Value quantized = dequantize.getInput();
    Type element = tensorType(quantized).getElementType();
    // Signed storage only: the integer pooling compares signed (uint8
    // storage would need an unsigned maximum).
    auto uniform = dyn_cast<quant::UniformQuantizedType>(element);
    if (element != op.getType().getElementType() || !uniform ||
        !uniform.isSigned())
      return failure();
    Location loc = pool.getLoc();
    Type storage = storageElementType(element);
    Value bits = StorageCastOp::create(
        rewriter, loc, tensorType(quantized).clone(storage), quantized);
    auto pooled = MaxPoolOp::create(
        rewriter, loc, op.getType().clone(storage), bits,
        pool.getKernelShapeAttr(), pool.getStridesAttr(), pool.getPadsAttr(),
        pool.getDilationsAttr(), pool.getCeilModeAttr(),
        pool.getChannelsLastAttr());
    rewriter.replaceOpWithNewOp<StorageCastOp>(op, op.getType(), pooled);
    rewriter.eraseOp(pool);
    return success();
  }
};

/// concat(dequantize(a), dequantize(b), ...) of one 8-bit per-tensor type
/// is dequantize(concat of the storage): the concatenation moves values,
/// and one scale and zero point read them all the same. The integer
/// consumers after it (a quantised convolution, a max pooling) then fold.
struct FoldConcat : OpRewritePattern<ConcatOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConcatOp op,
                                PatternRewriter &rewriter) const override {
    // Check every input before creating anything: a pattern that fails
    // must leave the IR as it was.
    Type element;
    SmallVector<Value> quantized;
    for (Value input : op.getInputs()) {
      auto dequantize = input.getDefiningOp<DequantizeOp>();
      if (!dequantize)
        return failure();
      Type type = tensorType(dequantize.getInput()).getElementType();
      auto uniform = dyn_cast<quant::UniformQuantizedType>(type);
      if (!uniform || uniform.getStorageTypeIntegralWidth() != 8 ||
          (element && element != type))
        return failure();
      element = type;
      quantized.push_back(dequantize.getInput());
    }
    if (!element)
      return failure();
    SmallVector<Value> bits;
    for (Value value : quantized)
      bits.push_back(StorageCastOp::create(
          rewriter, op.getLoc(),
          tensorType(value).clone(storageElementType(element)), value));
    Location loc = op.getLoc();
    RankedTensorType result = op.getType();
    Value joined = ConcatOp::create(rewriter, loc,
                                    result.clone(storageElementType(element)),
                                    bits, op.getAxisAttr());
    Value reread =
        StorageCastOp::create(rewriter, loc, result.clone(element), joined);
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, result, reread);
    return success();
  }
};

struct FoldQdqPass : paso::impl::FoldQdqPassBase<FoldQdqPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FoldConv, FoldMatMul, FoldAdd, FoldReluIntoQuantize,
                 FoldMaxPool, FoldConcat>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    getOperation().walk([&](Operation *op) {
      if (isa<QConvOp, QMatMulOp>(op))
        ++numFolded;
    });
  }
};

} // namespace
