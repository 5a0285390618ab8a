//===- TensorToLinalg.cpp - data-movement paso ops to tensor/linalg -------===//
//
// Constants become arith.constant (resource blobs stay blobs, so weights
// reach read-only data untouched); reshapes, slices and concatenation are
// tensor-dialect views and copies; gathers, strided reversals, reflect/edge
// padding and resizing are linalg.generic ops that compute source indices.
//
//===----------------------------------------------------------------------===//

#include "LinalgBuilders.h"
#include "PatternsInternal.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::lowering;

namespace {

struct ConstantLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto typed = dyn_cast<TypedAttr>(op.getValue());
    if (!typed)
      return op.emitError("constant value is not a typed attribute");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, typed);
    return success();
  }
};

struct ReshapeLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, reshape(rewriter, op.getLoc(), adaptor.getInput(),
                                   op.getShape()));
    return success();
  }
};

struct TransposeLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value init = emptyTensor(rewriter, loc, op.getType());
    rewriter.replaceOp(op, linalg::TransposeOp::create(
                               rewriter, loc, adaptor.getInput(), init,
                               op.getPerm())
                               ->getResult(0));
    return success();
  }
};

struct ConcatLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    int64_t axis = op.getAxis();
    Value result = emptyTensor(rewriter, loc, type);
    int64_t offset = 0;
    for (Value input : adaptor.getInputs()) {
      auto inType = cast<RankedTensorType>(input.getType());
      if (inType.getNumElements() == 0)
        continue;
      SmallVector<OpFoldResult> offsets(type.getRank(),
                                        rewriter.getIndexAttr(0));
      offsets[axis] = rewriter.getIndexAttr(offset);
      SmallVector<OpFoldResult> sizes, strides(type.getRank(),
                                               rewriter.getIndexAttr(1));
      for (int64_t d : inType.getShape())
        sizes.push_back(rewriter.getIndexAttr(d));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result,
                                             offsets, sizes, strides);
      offset += inType.getDimSize(axis);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Static slice with positive steps as tensor.extract_slice.
Value extractSlice(OpBuilder &b, Location loc, Value input,
                   RankedTensorType resultType, ArrayRef<int64_t> starts,
                   ArrayRef<int64_t> steps) {
  // An empty slice may start at the end of the dim, which extract_slice
  // rejects; it has no elements to read anyway.
  if (resultType.getNumElements() == 0)
    return emptyTensor(b, loc, resultType);
  SmallVector<OpFoldResult> offsets, sizes, strides;
  for (auto [start, size, step] :
       llvm::zip(starts, resultType.getShape(), steps)) {
    offsets.push_back(b.getIndexAttr(start));
    sizes.push_back(b.getIndexAttr(size));
    strides.push_back(b.getIndexAttr(step));
  }
  return tensor::ExtractSliceOp::create(b, loc, resultType, input, offsets,
                                        sizes, strides);
}

struct SplitLowering : OpConversionPattern<SplitOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SplitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int64_t axis = op.getAxis(), offset = 0;
    SmallVector<Value> results;
    for (auto [result, size] : llvm::zip(op.getResults(), op.getSizes())) {
      auto type = cast<RankedTensorType>(result.getType());
      SmallVector<int64_t> starts(type.getRank(), 0);
      starts[axis] = offset;
      results.push_back(extractSlice(rewriter, loc, adaptor.getInput(), type,
                                     starts,
                                     SmallVector<int64_t>(type.getRank(), 1)));
      offset += size;
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct SliceLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    ArrayRef<int64_t> starts = op.getStarts(), steps = op.getSteps();
    if (llvm::all_of(steps, [](int64_t s) { return s > 0; })) {
      rewriter.replaceOp(op, extractSlice(rewriter, loc, adaptor.getInput(),
                                          type, starts, steps));
      return success();
    }
    // Negative steps walk backwards: index = start + i * step.
    Value input = adaptor.getInput();
    Value result = indexedGeneric(
        rewriter, loc, type,
        [&](OpBuilder &b, Location l, ArrayRef<Value> indices) {
          SmallVector<Value> source;
          for (auto [d, index] : llvm::enumerate(indices)) {
            Value scaled = arith::MulIOp::create(
                b, l, index, indexConstant(b, l, steps[d]));
            source.push_back(arith::AddIOp::create(
                b, l, scaled, indexConstant(b, l, starts[d])));
          }
          return tensor::ExtractOp::create(b, l, input, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherLowering : OpConversionPattern<GatherOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    int64_t axis = op.getAxis();
    int64_t indicesRank =
        cast<RankedTensorType>(indices.getType()).getRank();
    int64_t axisSize = dataType.getDimSize(axis);
    Value result = indexedGeneric(
        rewriter, loc, type,
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) {
          SmallVector<Value> indexPosition(out.begin() + axis,
                                           out.begin() + axis + indicesRank);
          Value raw = tensor::ExtractOp::create(b, l, indices, indexPosition);
          Value index =
              arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
          // Negative indices count from the end.
          Value negative = arith::CmpIOp::create(
              b, l, arith::CmpIPredicate::slt, index, indexConstant(b, l, 0));
          index = arith::SelectOp::create(
              b, l, negative,
              arith::AddIOp::create(b, l, index,
                                    indexConstant(b, l, axisSize)),
              index);
          SmallVector<Value> source(out.begin(), out.begin() + axis);
          source.push_back(index);
          source.append(out.begin() + axis + indicesRank, out.end());
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// `raw` (an integer index into a dim of `size`) as an index, negative
/// values counting from the end.
Value wrapIndex(OpBuilder &b, Location l, Value raw, int64_t size) {
  Value index = arith::IndexCastOp::create(b, l, b.getIndexType(), raw);
  Value negative = arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt,
                                         index, indexConstant(b, l, 0));
  return arith::SelectOp::create(
      b, l, negative,
      arith::AddIOp::create(b, l, index, indexConstant(b, l, size)), index);
}

struct GatherElementsLowering : OpConversionPattern<GatherElementsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherElementsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    int64_t axis = op.getAxis();
    int64_t axisSize = cast<RankedTensorType>(data.getType()).getDimSize(axis);
    Value result = indexedGeneric(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) {
          SmallVector<Value> source(out);
          source[axis] = wrapIndex(
              b, l, tensor::ExtractOp::create(b, l, indices, out), axisSize);
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct GatherNDLowering : OpConversionPattern<GatherNDOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GatherNDOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value data = adaptor.getData(), indices = adaptor.getIndices();
    auto dataType = cast<RankedTensorType>(data.getType());
    auto indicesType = cast<RankedTensorType>(indices.getType());
    int64_t batch = op.getBatchDims();
    int64_t tupleLength = indicesType.getShape().back();
    int64_t leading = indicesType.getRank() - 1;
    Value result = indexedGeneric(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) {
          // out = [batch dims, the other index dims, the slice dims].
          SmallVector<Value> source(out.begin(), out.begin() + batch);
          SmallVector<Value> tuple(out.begin(), out.begin() + leading);
          tuple.push_back(Value());
          for (int64_t m = 0; m < tupleLength; ++m) {
            tuple.back() = indexConstant(b, l, m);
            source.push_back(wrapIndex(
                b, l, tensor::ExtractOp::create(b, l, indices, tuple),
                dataType.getDimSize(batch + m)));
          }
          source.append(out.begin() + leading, out.end());
          return tensor::ExtractOp::create(b, l, data, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct BroadcastToLowering : OpConversionPattern<BroadcastToOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BroadcastToOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, elementwise(rewriter, op.getLoc(), op.getType(),
                                       adaptor.getInput(),
                                       [](OpBuilder &, Location, ValueRange x) {
                                         return x[0];
                                       }));
    return success();
  }
};

struct PadLowering : OpConversionPattern<PadOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(PadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    ArrayRef<int64_t> pads = op.getPads();
    // Negative pads crop first.
    if (llvm::any_of(pads, [](int64_t p) { return p < 0; })) {
      SmallVector<int64_t> starts, shape;
      for (int64_t d = 0; d < rank; ++d) {
        int64_t begin = std::max<int64_t>(0, -pads[d]);
        int64_t end = std::max<int64_t>(0, -pads[rank + d]);
        starts.push_back(begin);
        shape.push_back(inType.getDimSize(d) - begin - end);
      }
      inType = RankedTensorType::get(shape, inType.getElementType());
      input = extractSlice(rewriter, loc, input, inType, starts,
                           SmallVector<int64_t>(rank, 1));
    }
    SmallVector<int64_t> low, high;
    for (int64_t d = 0; d < rank; ++d) {
      low.push_back(std::max<int64_t>(0, pads[d]));
      high.push_back(std::max<int64_t>(0, pads[rank + d]));
    }
    if (op.getMode() == "constant") {
      Value value = scalarConstant(rewriter, loc, type.getElementType(),
                                   op.getValue().convertToDouble());
      SmallVector<OpFoldResult> lowAttrs, highAttrs;
      for (int64_t d = 0; d < rank; ++d) {
        lowAttrs.push_back(rewriter.getIndexAttr(low[d]));
        highAttrs.push_back(rewriter.getIndexAttr(high[d]));
      }
      rewriter.replaceOpWithNewOp<tensor::PadOp>(op, type, input, lowAttrs,
                                                 highAttrs, value);
      return success();
    }
    bool reflect = op.getMode() == "reflect";
    for (int64_t d = 0; d < rank; ++d)
      if (reflect && (low[d] >= inType.getDimSize(d) ||
                      high[d] >= inType.getDimSize(d)))
        return op.emitError("reflect padding must be smaller than the dim");
    Value result = indexedGeneric(
        rewriter, loc, type,
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) {
          SmallVector<Value> source;
          for (int64_t d = 0; d < rank; ++d) {
            int64_t size = inType.getDimSize(d);
            Value i = arith::SubIOp::create(b, l, out[d],
                                            indexConstant(b, l, low[d]));
            Value zero = indexConstant(b, l, 0);
            Value last = indexConstant(b, l, size - 1);
            if (reflect) {
              // Mirror around 0 and size-1 without repeating the edge.
              Value below = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::slt, i, zero);
              i = arith::SelectOp::create(
                  b, l, below, arith::SubIOp::create(b, l, zero, i), i);
              Value above = arith::CmpIOp::create(
                  b, l, arith::CmpIPredicate::sgt, i, last);
              Value mirrored = arith::SubIOp::create(
                  b, l, indexConstant(b, l, 2 * (size - 1)), i);
              i = arith::SelectOp::create(b, l, above, mirrored, i);
            } else {
              i = arith::MaxSIOp::create(b, l, i, zero);
              i = arith::MinSIOp::create(b, l, i, last);
            }
            source.push_back(i);
          }
          return tensor::ExtractOp::create(b, l, input, source);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Source coordinate of output index `i` under an ONNX coordinate
/// transformation, as a float.
Value sourceCoordinate(OpBuilder &b, Location loc, Value i, StringRef mode,
                       double scale, int64_t inSize, int64_t outSize) {
  Type f32 = b.getF32Type();
  Value x = indexToFloat(b, loc, i, f32);
  auto c = [&](double v) { return scalarConstant(b, loc, f32, v); };
  if (mode == "asymmetric")
    return arith::DivFOp::create(b, loc, x, c(scale));
  if (mode == "align_corners") {
    if (outSize == 1)
      return c(0);
    return arith::MulFOp::create(
        b, loc, x, c(static_cast<double>(inSize - 1) / (outSize - 1)));
  }
  // half_pixel (and pytorch_half_pixel for outputs longer than 1).
  if (mode == "pytorch_half_pixel" && outSize == 1)
    return c(0);
  Value centre = arith::AddFOp::create(b, loc, x, c(0.5));
  return arith::SubFOp::create(
      b, loc, arith::DivFOp::create(b, loc, centre, c(scale)), c(0.5));
}

struct ResizeLowering : OpConversionPattern<ResizeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ResizeOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = type.getRank();
    ArrayRef<double> scales = op.getScales();
    StringRef coordinates = op.getCoordinateTransformationMode();
    if (coordinates == "half_pixel_symmetric")
      return op.emitError("half_pixel_symmetric resize is not supported by "
                          "the CPU back end");
    bool linear = op.getMode() == "linear";
    StringRef nearestMode = op.getNearestMode();
    SmallVector<int64_t> resized;
    for (int64_t d = 0; d < rank; ++d)
      if (inType.getDimSize(d) != type.getDimSize(d) || scales[d] != 1.0)
        resized.push_back(d);
    Type f32 = rewriter.getF32Type();
    Value result = indexedGeneric(
        rewriter, loc, type,
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) -> Value {
          auto c = [&](double v) { return scalarConstant(b, l, f32, v); };
          auto clampIndex = [&](Value f, int64_t size) {
            Value i = arith::FPToSIOp::create(b, l, b.getI64Type(), f);
            i = arith::MaxSIOp::create(b, l, i,
                                       scalarConstant(b, l, b.getI64Type(), 0));
            i = arith::MinSIOp::create(
                b, l, i, scalarConstant(b, l, b.getI64Type(), size - 1));
            return arith::IndexCastOp::create(b, l, b.getIndexType(), i)
                .getResult();
          };
          SmallVector<Value> base(out.begin(), out.end());
          if (!linear) {
            for (int64_t d : resized) {
              Value x = sourceCoordinate(b, l, out[d], coordinates, scales[d],
                                         inType.getDimSize(d),
                                         type.getDimSize(d));
              Value rounded;
              if (nearestMode == "floor")
                rounded = math::FloorOp::create(b, l, x);
              else if (nearestMode == "ceil")
                rounded = math::CeilOp::create(b, l, x);
              else if (nearestMode == "round_prefer_ceil")
                rounded = math::FloorOp::create(
                    b, l, arith::AddFOp::create(b, l, x, c(0.5)));
              else // round_prefer_floor
                rounded = math::CeilOp::create(
                    b, l, arith::SubFOp::create(b, l, x, c(0.5)));
              base[d] = clampIndex(rounded, inType.getDimSize(d));
            }
            return tensor::ExtractOp::create(b, l, input, base);
          }
          // (Multi)linear: blend the 2^k neighbours of the resized dims.
          SmallVector<Value> lo, hi, frac;
          for (int64_t d : resized) {
            int64_t size = inType.getDimSize(d);
            Value x = sourceCoordinate(b, l, out[d], coordinates, scales[d],
                                       size, type.getDimSize(d));
            x = arith::MaximumFOp::create(b, l, x, c(0));
            x = arith::MinimumFOp::create(b, l, x, c(size - 1));
            Value floor = math::FloorOp::create(b, l, x);
            frac.push_back(arith::SubFOp::create(b, l, x, floor));
            lo.push_back(clampIndex(floor, size));
            hi.push_back(clampIndex(arith::AddFOp::create(b, l, floor, c(1)),
                                    size));
          }
          Type element = inType.getElementType();
          Value sum = scalarConstant(b, l, f32, 0);
          for (int64_t corner = 0; corner < (1 << resized.size()); ++corner) {
            SmallVector<Value> index = base;
            Value weight = c(1);
            for (auto [k, d] : llvm::enumerate(resized)) {
              bool upper = corner & (1 << k);
              index[d] = upper ? hi[k] : lo[k];
              Value w = upper ? frac[k]
                              : arith::SubFOp::create(b, l, c(1), frac[k]);
              weight = arith::MulFOp::create(b, l, weight, w);
            }
            Value v = tensor::ExtractOp::create(b, l, input, index);
            if (element != f32)
              v = arith::ExtFOp::create(b, l, f32, v);
            sum = arith::AddFOp::create(b, l, sum,
                                        arith::MulFOp::create(b, l, v, weight));
          }
          if (element != f32)
            sum = arith::TruncFOp::create(b, l, element, sum);
          return sum;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

enum class ReduceKind { Sum, Mean, Max, Min, Prod };

template <typename OpTy, ReduceKind kind>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkLowerableTypes(op)))
      return failure();
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    Type element = type.getElementType();
    ArrayRef<int64_t> axes = op.getAxes();
    Value init;
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      init = scalarConstant(rewriter, loc, element, 0);
      break;
    case ReduceKind::Prod:
      init = scalarConstant(rewriter, loc, element, 1);
      break;
    case ReduceKind::Max:
      init = lowestValue(rewriter, loc, element);
      break;
    case ReduceKind::Min:
      init = isa<FloatType>(element)
                 ? arith::ConstantOp::create(
                       rewriter, loc,
                       rewriter.getFloatAttr(
                           element, APFloat::getInf(cast<FloatType>(element)
                                                        .getFloatSemantics())))
                       .getResult()
                 : arith::ConstantOp::create(
                       rewriter, loc,
                       rewriter.getIntegerAttr(
                           element, APInt::getSignedMaxValue(
                                        element.getIntOrFloatBitWidth())))
                       .getResult();
      break;
    }
    Value reduced = reduce(
        rewriter, loc, input, axes, init,
        [](OpBuilder &b, Location l, Value acc, Value x) -> Value {
          switch (kind) {
          case ReduceKind::Sum:
          case ReduceKind::Mean:
            return add(b, l, acc, x);
          case ReduceKind::Prod:
            return mul(b, l, acc, x);
          case ReduceKind::Max:
            return max(b, l, acc, x);
          case ReduceKind::Min:
            return min(b, l, acc, x);
          }
          llvm_unreachable("covered switch");
        });
    if (kind == ReduceKind::Mean) {
      int64_t count = 1;
      for (int64_t d : axes)
        count *= inType.getDimSize(d);
      reduced = elementwise(
          rewriter, loc, cast<RankedTensorType>(reduced.getType()), reduced,
          [&](OpBuilder &b, Location l, ValueRange x) -> Value {
            Value n = scalarConstant(b, l, element, count);
            if (isa<FloatType>(element))
              return arith::DivFOp::create(b, l, x[0], n);
            return arith::DivSIOp::create(b, l, x[0], n);
          });
    }
    rewriter.replaceOp(op, reshape(rewriter, loc, reduced, type.getShape()));
    return success();
  }
};

struct ArgMaxLowering : OpConversionPattern<ArgMaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ArgMaxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *context = rewriter.getContext();
    Value input = adaptor.getInput();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t rank = inType.getRank(), axis = op.getAxis();
    Type element = inType.getElementType();
    SmallVector<int64_t> shape;
    for (int64_t d = 0; d < rank; ++d)
      if (d != axis)
        shape.push_back(inType.getDimSize(d));
    auto valueType = RankedTensorType::get(shape, element);
    auto indexType = RankedTensorType::get(shape, rewriter.getI64Type());
    SmallVector<AffineMap> maps{
        AffineMap::getMultiDimIdentityMap(rank, context),
        reducedMap(context, rank, {axis}), reducedMap(context, rank, {axis})};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators[axis] = utils::IteratorType::reduction;
    bool last = op.getSelectLastIndex();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{valueType, indexType}, ValueRange{input},
        ValueRange{filledTensor(rewriter, loc, valueType,
                                lowestValue(rewriter, loc, element)),
                   filledTensor(rewriter, loc, indexType,
                                scalarConstant(rewriter, loc,
                                               rewriter.getI64Type(), 0))},
        maps, iterators, [&](OpBuilder &b, Location l, ValueRange x) {
          Value position = arith::IndexCastOp::create(
              b, l, b.getI64Type(), linalg::IndexOp::create(b, l, axis));
          Value better;
          if (isa<FloatType>(element))
            better = arith::CmpFOp::create(
                b, l,
                last ? arith::CmpFPredicate::OGE : arith::CmpFPredicate::OGT,
                x[0], x[1]);
          else
            better = arith::CmpIOp::create(
                b, l, last ? arith::CmpIPredicate::sge
                           : arith::CmpIPredicate::sgt,
                x[0], x[1]);
          linalg::YieldOp::create(
              b, l,
              ValueRange{arith::SelectOp::create(b, l, better, x[0], x[1]),
                         arith::SelectOp::create(b, l, better, position,
                                                 x[2])});
        });
    rewriter.replaceOp(op, reshape(rewriter, loc, generic.getResult(1),
                                   op.getType().getShape()));
    return success();
  }
};

} // namespace

void mlir::paso::lowering::populateTensorLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConstantLowering, ReshapeLowering, TransposeLowering,
               ConcatLowering, SplitLowering, SliceLowering, GatherLowering,
               GatherElementsLowering, GatherNDLowering,
               BroadcastToLowering, PadLowering, ResizeLowering,
               ReduceLowering<ReduceSumOp, ReduceKind::Sum>,
               ReduceLowering<ReduceMeanOp, ReduceKind::Mean>,
               ReduceLowering<ReduceMaxOp, ReduceKind::Max>,
               ReduceLowering<ReduceMinOp, ReduceKind::Min>,
               ReduceLowering<ReduceProdOp, ReduceKind::Prod>, ArgMaxLowering>(
      patterns.getContext());
}
