//===- QuantToLinalg.cpp - quantise and dequantise to linalg --------------===//
//
// paso.quantize and paso.dequantize become elementwise generics on the
// integer storage (`ui8` for unsigned storage, as the importer types ONNX
// tensors); quantised tensors meet their storage through
// `builtin.unrealized_conversion_cast`, which folds away in pairs since
// every quantised value is produced and consumed through its storage.
// Rounding is half to even and results saturate, as ONNX QuantizeLinear
// specifies; NaN becomes the lowest storage value.
//
//===----------------------------------------------------------------------===//

#include "LinalgBuilders.h"
#include "PatternsInternal.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::lowering;

namespace {

/// The storage tensor type of a quantised tensor type.
RankedTensorType storageTensorType(Type quantizedTensor) {
  auto type = cast<RankedTensorType>(quantizedTensor);
  return type.clone(storageElementType(type.getElementType()));
}

Value castTo(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return UnrealizedConversionCastOp::create(b, loc, type, value).getResult(0);
}

/// Per-axis parameters are operands of the elementwise op (constants
/// shaped to broadcast along the axis); per-tensor ones are constants in
/// its body, which keeps the loop free of loads the vectoriser would have
/// to prove invariant.
struct Params {
  SmallVector<Value> operands;
  double scale = 0, zeroPoint = 0;
  /// The scale and zero point for the body's scalars `x` (the element
  /// first, then the operands).
  std::pair<Value, Value> read(OpBuilder &b, Location loc,
                               ValueRange x) const {
    if (!operands.empty())
      return {x[1], x[2]};
    Type f32 = b.getF32Type();
    return {scalarConstant(b, loc, f32, scale),
            scalarConstant(b, loc, f32, zeroPoint)};
  }
};

Params paramsFor(OpBuilder &b, Location loc, RankedTensorType tensorType,
                 quant::QuantizedType quantized) {
  Params params;
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(quantized);
  if (!perAxis) {
    auto perTensor = cast<quant::UniformQuantizedType>(quantized);
    params.scale = static_cast<float>(perTensor.getScale());
    params.zeroPoint = perTensor.getZeroPoint();
    return params;
  }
  SmallVector<float> scales, zeroPoints;
  for (auto [s, z] : llvm::zip(perAxis.getScales(), perAxis.getZeroPoints())) {
    scales.push_back(static_cast<float>(s));
    zeroPoints.push_back(static_cast<float>(z));
  }
  int64_t axis = perAxis.getQuantizedDimension();
  SmallVector<int64_t> shape{static_cast<int64_t>(scales.size())};
  shape.append(tensorType.getRank() - axis - 1, 1);
  auto type = RankedTensorType::get(shape, b.getF32Type());
  for (ArrayRef<float> values : {ArrayRef<float>(scales),
                                 ArrayRef<float>(zeroPoints)})
    params.operands.push_back(arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(type, values)));
  return params;
}

struct QuantizeLowering : OpConversionPattern<QuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(QuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op.getType());
    auto quantized = cast<quant::QuantizedType>(resultType.getElementType());
    RankedTensorType storageType = storageTensorType(resultType);
    Params params = paramsFor(rewriter, loc, resultType, quantized);
    double lo = quantized.getStorageTypeMin();
    double hi = quantized.getStorageTypeMax();
    unsigned width = quantized.getStorageTypeIntegralWidth();
    Type storageElement = storageType.getElementType();
    SmallVector<Value> inputs{adaptor.getInput()};
    inputs.append(params.operands);
    Value storage = elementwise(
        rewriter, loc, storageType, inputs,
        [&](OpBuilder &b, Location l, ValueRange x) {
          auto [scale, zeroPoint] = params.read(b, l, x);
          Value scaled = arith::DivFOp::create(b, l, x[0], scale);
          Value rounded = math::RoundEvenOp::create(b, l, scaled);
          Value shifted = arith::AddFOp::create(b, l, rounded, zeroPoint);
          Type f32 = b.getF32Type();
          // maxnumf turns NaN into the lower bound.
          Value clamped = arith::MinNumFOp::create(
              b, l,
              arith::MaxNumFOp::create(b, l, shifted,
                                       scalarConstant(b, l, f32, lo)),
              scalarConstant(b, l, f32, hi));
          Type i32 = b.getI32Type();
          Value integer = arith::FPToSIOp::create(b, l, i32, clamped);
          if (width < 32)
            integer = arith::TruncIOp::create(
                b, l, IntegerType::get(b.getContext(), width), integer);
          return castTo(b, l, integer, storageElement);
        });
    rewriter.replaceOp(op, castTo(rewriter, loc, storage, resultType));
    return success();
  }
};

struct DequantizeLowering : OpConversionPattern<DequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inputType = cast<RankedTensorType>(op.getInput().getType());
    auto quantized = cast<quant::QuantizedType>(inputType.getElementType());
    Value storage = castTo(rewriter, loc, adaptor.getInput(),
                           storageTensorType(inputType));
    Params params = paramsFor(rewriter, loc, inputType, quantized);
    unsigned width = quantized.getStorageTypeIntegralWidth();
    bool isSigned = quantized.isSigned();
    SmallVector<Value> inputs{storage};
    inputs.append(params.operands);
    Value result = elementwise(
        rewriter, loc, cast<RankedTensorType>(op.getType()), inputs,
        [&](OpBuilder &b, Location l, ValueRange x) {
          auto [scale, zeroPoint] = params.read(b, l, x);
          Value integer =
              castTo(b, l, x[0], IntegerType::get(b.getContext(), width));
          Type f32 = b.getF32Type();
          Value real = isSigned
                           ? arith::SIToFPOp::create(b, l, f32, integer)
                                 .getResult()
                           : arith::UIToFPOp::create(b, l, f32, integer)
                                 .getResult();
          Value centred = arith::SubFOp::create(b, l, real, zeroPoint);
          return arith::MulFOp::create(b, l, centred, scale).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct StorageCastLowering : OpConversionPattern<StorageCastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(StorageCastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(
        op, castTo(rewriter, op.getLoc(), adaptor.getInput(), op.getType()));
    return success();
  }
};

/// requantize is the dequantize and quantize it stands for (which the
/// conversion then lowers), so its results are theirs exactly.
struct RequantizeLowering : OpConversionPattern<RequantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(RequantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value real = DequantizeOp::create(rewriter, op.getLoc(), op.getInput());
    rewriter.replaceOpWithNewOp<QuantizeOp>(op, op.getType(), real,
                                            op.getElementTypeAttr());
    return success();
  }
};

/// DynamicQuantizeLinear: two reductions for the range, the scale and
/// zero point as rank-0 tensors, then the elementwise quantisation.
struct DynamicQuantizeLowering : OpConversionPattern<DynamicQuantizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(DynamicQuantizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = cast<RankedTensorType>(input.getType());
    Type f32 = rewriter.getF32Type(), i8 = rewriter.getI8Type();
    Type u8 = IntegerType::get(getContext(), 8, IntegerType::Unsigned);
    SmallVector<int64_t> all =
        llvm::to_vector(llvm::seq<int64_t>(0, inputType.getRank()));
    // The range includes 0, so the reductions start from it.
    Value zero = scalarConstant(rewriter, loc, f32, 0.0);
    Value lo = reduce(rewriter, loc, input, all, zero,
                      [](OpBuilder &b, Location l, Value acc, Value x) {
                        return arith::MinNumFOp::create(b, l, acc, x)
                            .getResult();
                      });
    Value hi = reduce(rewriter, loc, input, all, zero,
                      [](OpBuilder &b, Location l, Value acc, Value x) {
                        return arith::MaxNumFOp::create(b, l, acc, x)
                            .getResult();
                      });
    auto scalarType = RankedTensorType::get({}, f32);
    Value scale = elementwise(
        rewriter, loc, scalarType, ValueRange{lo, hi},
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value range = arith::SubFOp::create(b, l, x[1], x[0]);
          return arith::DivFOp::create(b, l, range,
                                       scalarConstant(b, l, f32, 255.0))
              .getResult();
        });
    auto saturate = [&](OpBuilder &b, Location l, Value v) {
      Value clamped = arith::MinNumFOp::create(
          b, l, arith::MaxNumFOp::create(b, l, v, scalarConstant(b, l, f32, 0)),
          scalarConstant(b, l, f32, 255));
      return arith::FPToUIOp::create(b, l, i8, clamped).getResult();
    };
    // A zero range divides by one instead: y and the zero point are 0.
    auto divisor = [&](OpBuilder &b, Location l, Value s) {
      Value isZero = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ, s,
                                           scalarConstant(b, l, f32, 0));
      return arith::SelectOp::create(b, l, isZero,
                                     scalarConstant(b, l, f32, 1), s)
          .getResult();
    };
    Value zeroPoint = elementwise(
        rewriter, loc, RankedTensorType::get({}, u8), ValueRange{lo, scale},
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value negated = arith::NegFOp::create(b, l, x[0]);
          Value z = math::RoundEvenOp::create(
              b, l, arith::DivFOp::create(b, l, negated, divisor(b, l, x[1])));
          return castTo(b, l, saturate(b, l, z), u8);
        });
    Value output = elementwise(
        rewriter, loc, inputType.clone(u8),
        ValueRange{input, scale, zeroPoint},
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value q = math::RoundEvenOp::create(
              b, l, arith::DivFOp::create(b, l, x[0], divisor(b, l, x[1])));
          Value z = arith::UIToFPOp::create(b, l, f32,
                                            castTo(b, l, x[2], i8));
          return castTo(b, l, saturate(b, l, arith::AddFOp::create(b, l, q, z)),
                        u8);
        });
    rewriter.replaceOp(op, {output, scale, zeroPoint});
    return success();
  }
};

} // namespace

void mlir::paso::lowering::populateQuantLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<QuantizeLowering, DequantizeLowering, StorageCastLowering,
               DynamicQuantizeLowering, RequantizeLowering>(
      patterns.getContext());
}
