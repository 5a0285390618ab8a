//===- NNToLinalg.cpp - convolution, pooling, norms, matmul to linalg -----===//
//
// Convolutions and pools use linalg's named ops (so later tiling and
// vectorisation see them as what they are); normalisations, softmax and the
// matmul family are linalg.generic contractions and reductions.
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

/// Pads the spatial dims of an NCHW (or, with `channelsLast`, NHWC) tensor
/// with `value`; `extraEnd` adds to the end pads (room for ceil-mode
/// windows).
Value padSpatial(OpBuilder &b, Location loc, Value input,
                 ArrayRef<int64_t> pads, ArrayRef<int64_t> extraEnd,
                 Value value, bool channelsLast = false) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t spatial = type.getRank() - 2;
  int64_t first = channelsLast ? 1 : 2;
  bool any = llvm::any_of(pads, [](int64_t p) { return p != 0; }) ||
             llvm::any_of(extraEnd, [](int64_t p) { return p != 0; });
  if (!any)
    return input;
  SmallVector<OpFoldResult> low(type.getRank(), b.getIndexAttr(0)),
      high(type.getRank(), b.getIndexAttr(0));
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t end = pads[spatial + i] + (extraEnd.empty() ? 0 : extraEnd[i]);
    low[first + i] = b.getIndexAttr(pads[i]);
    high[first + i] = b.getIndexAttr(end);
    shape[first + i] = type.getDimSize(first + i) + pads[i] + end;
  }
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  return tensor::PadOp::create(b, loc, paddedType, input, low, high, value);
}

/// Extra end padding so that every ceil-mode window fits the padded input.
SmallVector<int64_t> ceilExtra(RankedTensorType inType,
                               RankedTensorType outType,
                               ArrayRef<int64_t> kernel,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations,
                               ArrayRef<int64_t> pads, bool channelsLast) {
  int64_t spatial = kernel.size();
  int64_t first = channelsLast ? 1 : 2;
  SmallVector<int64_t> extra;
  for (int64_t i = 0; i < spatial; ++i) {
    int64_t needed = (outType.getDimSize(first + i) - 1) * strides[i] +
                     (kernel[i] - 1) * dilations[i] + 1;
    int64_t have = inType.getDimSize(first + i) + pads[i] + pads[spatial + i];
    extra.push_back(std::max<int64_t>(0, needed - have));
  }
  return extra;
}

LogicalResult requireStatic2D(Operation *op, RankedTensorType type) {
  if (!type.hasStaticShape() || type.getRank() != 4)
    return op->emitError("the CPU back end supports only statically shaped "
                         "2-D (NCHW or NHWC) convolution and pooling, got ")
           << type;
  return success();
}

/// Runs the linalg pooling op (`NchwPoolOp`, or `NhwcPoolOp` for a
/// channels-last op) for a paso pooling op: pads the input with `padValue`
/// (explicit pads plus the ceil-mode overhang) and accumulates each window
/// into an output filled with `padValue`.
template <typename NchwPoolOp, typename NhwcPoolOp, typename PasoPoolOp>
Value pool(OpBuilder &b, Location loc, PasoPoolOp op, Value input,
           Value padValue) {
  auto inType = cast<RankedTensorType>(input.getType());
  RankedTensorType outType = op.getType();
  bool channelsLast = op.getChannelsLast();
  SmallVector<int64_t> extra =
      ceilExtra(inType, outType, op.getKernelShape(), op.getStrides(),
                op.getDilations(), op.getPads(), channelsLast);
  Value padded = padSpatial(b, loc, input, op.getPads(), extra, padValue,
                            channelsLast);
  Value window = emptyTensor(
      b, loc,
      RankedTensorType::get(op.getKernelShape(), outType.getElementType()));
  SmallVector<Value> inputs{padded, window};
  Value init = filledTensor(b, loc, outType, padValue);
  auto strides = b.getI64TensorAttr(op.getStrides());
  auto dilations = b.getI64TensorAttr(op.getDilations());
  if (channelsLast)
    return NhwcPoolOp::create(b, loc, TypeRange{outType}, inputs,
                              ValueRange{init}, strides, dilations)
        .getResult(0);
  return NchwPoolOp::create(b, loc, TypeRange{outType}, inputs,
                            ValueRange{init}, strides, dilations)
      .getResult(0);
}
/// A single-image, ungrouped convolution as one matrix product (the GEMM
/// micro-kernel's shape): out[M, OH*OW] += W[M, C*KH*KW] x col, where col
/// is the padded input itself for a 1x1, stride-1 convolution and its
/// im2col expansion otherwise (built by one generic whose input map does
/// the window arithmetic).
Value convolutionAsMatmul(OpBuilder &b, Location loc, Value padded,
                          Value filter, Value init, RankedTensorType outType,
                          ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> dilations) {
  MLIRContext *context = b.getContext();
  auto inType = cast<RankedTensorType>(padded.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  Type element = outType.getElementType();
  int64_t m = filterType.getDimSize(0), c = filterType.getDimSize(1);
  int64_t kh = filterType.getDimSize(2), kw = filterType.getDimSize(3);
  int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
  int64_t k = c * kh * kw, p = oh * ow;
  Value col;
  if (kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 &&
      inType.getDimSize(2) == oh && inType.getDimSize(3) == ow) {
    col = reshape(b, loc, padded, {c, p});
  } else {
    AffineExpr d0 = getAffineDimExpr(0, context), d1 = getAffineDimExpr(1, context),
               d2 = getAffineDimExpr(2, context), d3 = getAffineDimExpr(3, context),
               d4 = getAffineDimExpr(4, context);
    auto colType = RankedTensorType::get({c, kh, kw, oh, ow}, element);
    SmallVector<AffineMap> maps{
        AffineMap::get(5, 0,
                       {getAffineConstantExpr(0, context), d0,
                        d3 * strides[0] + d1 * dilations[0],
                        d4 * strides[1] + d2 * dilations[1]},
                       context),
        AffineMap::getMultiDimIdentityMap(5, context)};
    SmallVector<utils::IteratorType> iterators(5,
                                               utils::IteratorType::parallel);
    Value expanded =
        linalg::GenericOp::create(
            b, loc, TypeRange{colType}, ValueRange{padded},
            ValueRange{emptyTensor(b, loc, colType)}, maps, iterators,
            [](OpBuilder &nb, Location l, ValueRange x) {
              linalg::YieldOp::create(nb, l, x[0]);
            })
            .getResult(0);
    col = reshape(b, loc, expanded, {k, p});
  }
  Value weights = reshape(b, loc, filter, {m, k});
  Value acc = reshape(b, loc, init, {m, p});
  Value product = linalg::MatmulOp::create(
                      b, loc, TypeRange{acc.getType()},
                      ValueRange{weights, col}, ValueRange{acc})
                      .getResult(0);
  return reshape(b, loc, product, outType.getShape());
}

/// out += in0 * in1 over loops (n, _, _, kh, kw, _): the window dims 3 and 4
/// reduce, the others are parallel; `maps` index the inputs and the init.
Value windowMultiplyAccumulate(OpBuilder &b, Location loc, ValueRange inputs,
                               Value init, RankedTensorType outType,
                               ArrayRef<AffineMap> maps) {
  SmallVector<utils::IteratorType> iterators(6, utils::IteratorType::parallel);
  iterators[3] = iterators[4] = utils::IteratorType::reduction;
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, inputs, ValueRange{init}, maps,
             iterators,
             [](OpBuilder &nb, Location l, ValueRange x) {
               linalg::YieldOp::create(
                   nb, l,
                   arith::AddFOp::create(nb, l, x.back(),
                                         arith::MulFOp::create(nb, l, x[0],
                                                               x[1]))
                       .getResult());
             })
      .getResult(0);
}

/// Depthwise convolution (one filter per channel) as a generic whose loops
/// run (n, c, oh, kh, kw, ow): the innermost loop walks an output row and
/// an input row with unit stride (for stride 1), which LLVM vectorises, and
/// the row stays in cache across the window; the named depthwise op would
/// put the 3-wide window innermost.
Value depthwiseConvolution(OpBuilder &b, Location loc, Value padded,
                           Value filter, Value init, RankedTensorType outType,
                           ArrayRef<int64_t> strides,
                           ArrayRef<int64_t> dilations) {
  MLIRContext *context = b.getContext();
  AffineExpr n, c, oh, kh, kw, ow;
  bindDims(context, n, c, oh, kh, kw, ow);
  auto filterType = cast<RankedTensorType>(filter.getType());
  // A dummy [KH, KW] operand gives the window dims their extent.
  Value window = emptyTensor(
      b, loc,
      RankedTensorType::get({filterType.getDimSize(2), filterType.getDimSize(3)},
                            outType.getElementType()));
  AffineExpr zero = getAffineConstantExpr(0, context);
  SmallVector<AffineMap> maps{
      AffineMap::get(6, 0,
                     {n, c, oh * strides[0] + kh * dilations[0],
                      ow * strides[1] + kw * dilations[1]},
                     context),
      AffineMap::get(6, 0, {c, zero, kh, kw}, context),
      AffineMap::get(6, 0, {kh, kw}, context),
      AffineMap::get(6, 0, {n, c, oh, ow}, context)};
  return windowMultiplyAccumulate(b, loc, ValueRange{padded, filter, window},
                                  init, outType, maps);
}

/// A channels-last depthwise convolution: the filter is [C, KH, KW, 1] and
/// the loops run (n, oh, ow, kh, kw, c), channels innermost and contiguous
/// in the input, the filter and the output.
Value depthwiseConvolutionNhwc(OpBuilder &b, Location loc, Value padded,
                               Value filter, Value init,
                               RankedTensorType outType,
                               ArrayRef<int64_t> strides,
                               ArrayRef<int64_t> dilations) {
  MLIRContext *context = b.getContext();
  AffineExpr n, oh, ow, kh, kw, c;
  bindDims(context, n, oh, ow, kh, kw, c);
  AffineExpr zero = getAffineConstantExpr(0, context);
  SmallVector<AffineMap> maps{
      AffineMap::get(6, 0,
                     {n, oh * strides[0] + kh * dilations[0],
                      ow * strides[1] + kw * dilations[1], c},
                     context),
      AffineMap::get(6, 0, {c, kh, kw, zero}, context),
      AffineMap::get(6, 0, {n, oh, ow, c}, context)};
  return windowMultiplyAccumulate(b, loc, ValueRange{padded, filter}, init,
                                  outType, maps);
}

/// True when the channels-last lowering takes a convolution of `group`
/// groups with this filter: ungrouped or depthwise (what
/// paso-select-cpu-layout converts).
bool channelsLastSupported(Value filter, RankedTensorType outType,
                           int64_t group) {
  auto filterType = cast<RankedTensorType>(filter.getType());
  return group == 1 || (group == outType.getDimSize(3) &&
                        filterType.getDimSize(3) == 1);
}

/// conv(input, filter) + bias for channels-last operands (input NHWC,
/// filter [M, KH, KW, C / group]): linalg's FHWC convolution, or the
/// depthwise generic above.
Value lowerConvolutionNhwc(OpBuilder &b, Location loc, Value input,
                           Value filter, Value bias, RankedTensorType outType,
                           ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                           ArrayRef<int64_t> dilations, int64_t group) {
  Type element = outType.getElementType();
  Value zero = scalarConstant(b, loc, element, 0);
  input = padSpatial(b, loc, input, pads, {}, zero, /*channelsLast=*/true);
  // The [M] bias broadcasts along the trailing channel dim.
  Value init =
      bias ? elementwise(b, loc, outType, bias,
                         [](OpBuilder &, Location, ValueRange x) {
                           return x[0];
                         })
           : filledTensor(b, loc, outType, zero);
  if (group != 1)
    return depthwiseConvolutionNhwc(b, loc, input, filter, init, outType,
                                    strides, dilations);
  return linalg::Conv2DNhwcFhwcOp::create(
             b, loc, TypeRange{outType}, ValueRange{input, filter},
             ValueRange{init}, b.getI64TensorAttr(strides),
             b.getI64TensorAttr(dilations))
      .getResult(0);
}

/// conv(input, filter) + bias with linalg's named convolutions; grouped
/// and depthwise convolutions split the channels into groups.
Value lowerConvolution(OpBuilder &b, Location loc, Value input, Value filter,
                       Value bias, RankedTensorType outType,
                       ArrayRef<int64_t> stridesArray,
                       ArrayRef<int64_t> pads,
                       ArrayRef<int64_t> dilationsArray, int64_t group) {
  Type element = outType.getElementType();
  Value zero = scalarConstant(b, loc, element, 0);
  input = padSpatial(b, loc, input, pads, {}, zero);
  // Start from the bias (or zeros) so the convolution accumulates onto it.
  Value init;
  if (bias) {
    int64_t m = outType.getDimSize(1);
    Value column = reshape(b, loc, bias, {m, 1, 1});
    init = elementwise(b, loc, outType, column,
                       [](OpBuilder &, Location, ValueRange x) { return x[0]; });
  } else {
    init = filledTensor(b, loc, outType, zero);
  }
  auto strides = b.getI64TensorAttr(stridesArray);
  auto dilations = b.getI64TensorAttr(dilationsArray);
  if (group == 1 && outType.getDimSize(0) == 1)
    return convolutionAsMatmul(b, loc, input, filter, init, outType,
                               stridesArray, dilationsArray);
  auto filterShape = cast<RankedTensorType>(filter.getType()).getShape();
  if (group == outType.getDimSize(1) && filterShape[1] == 1)
    return depthwiseConvolution(b, loc, input, filter, init, outType,
                                stridesArray, dilationsArray);
  if (group == 1)
    return linalg::Conv2DNchwFchwOp::create(b, loc, TypeRange{outType},
                                            ValueRange{input, filter},
                                            ValueRange{init}, strides,
                                            dilations)
        .getResult(0);
  auto paddedType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  int64_t n = outType.getDimSize(0), m = outType.getDimSize(1);
  int64_t c = paddedType.getDimSize(1);
  auto groupedInputType = RankedTensorType::get(
      {n, group, c / group, paddedType.getDimSize(2), paddedType.getDimSize(3)},
      element);
  Value groupedInput = tensor::ExpandShapeOp::create(
      b, loc, groupedInputType, input,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  auto groupedFilterType = RankedTensorType::get(
      {group, m / group, filterType.getDimSize(1), filterType.getDimSize(2),
       filterType.getDimSize(3)},
      element);
  Value groupedFilter = tensor::ExpandShapeOp::create(
      b, loc, groupedFilterType, filter,
      SmallVector<ReassociationIndices>{{0, 1}, {2}, {3}, {4}});
  auto groupedOutType = RankedTensorType::get(
      {n, group, m / group, outType.getDimSize(2), outType.getDimSize(3)},
      element);
  Value groupedInit = tensor::ExpandShapeOp::create(
      b, loc, groupedOutType, init,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
  Value grouped = linalg::Conv2DNgchwGfchwOp::create(
                      b, loc, TypeRange{groupedOutType},
                      ValueRange{groupedInput, groupedFilter},
                      ValueRange{groupedInit}, strides, dilations)
                      .getResult(0);
  return tensor::CollapseShapeOp::create(
      b, loc, outType, grouped,
      SmallVector<ReassociationIndices>{{0}, {1, 2}, {3}, {4}});
}

/// Channels-last convolutions other than ungrouped and depthwise ones are
/// never built by paso's passes; a hand-written one gets an error.
template <typename ConvLike>
LogicalResult checkChannelsLast(ConvLike op) {
  if (!op.getChannelsLast() ||
      channelsLastSupported(op.getFilter(), op.getType(), op.getGroup()))
    return success();
  return op->emitError("channels-last grouped convolutions are not "
                       "supported; only ungrouped and depthwise ones");
}

/// The convolution and bias of a conv or fused_conv, in its layout.
template <typename ConvLike, typename Adaptor>
Value anyConvolution(OpBuilder &b, ConvLike op, Adaptor adaptor) {
  auto lower = op.getChannelsLast() ? lowerConvolutionNhwc : lowerConvolution;
  return lower(b, op.getLoc(), adaptor.getInput(), adaptor.getFilter(),
               adaptor.getBias(), op.getType(), op.getStrides(),
               op.getPads(), op.getDilations(), op.getGroup());
}

struct ConvLowering : OpConversionPattern<ConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic2D(
            op, cast<RankedTensorType>(op.getInput().getType()))) ||
        failed(checkChannelsLast(op)))
      return failure();
    rewriter.replaceOp(op, anyConvolution(rewriter, op, adaptor));
    return success();
  }
};

/// The convolution, then one elementwise epilogue adding the residual and
/// applying the activation.
struct FusedConvLowering : OpConversionPattern<FusedConvOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FusedConvOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(requireStatic2D(
            op, cast<RankedTensorType>(op.getInput().getType()))) ||
        failed(checkChannelsLast(op)))
      return failure();
    Location loc = op.getLoc();
    Value conv = anyConvolution(rewriter, op, adaptor);
    StringRef activation = op.getActivation();
    SmallVector<Value> operands{conv};
    if (Value residual = adaptor.getResidual())
      operands.push_back(residual);
    if (operands.size() == 1 && activation == "none") {
      rewriter.replaceOp(op, conv);
      return success();
    }
    SmallVector<double> params(op.getActivationParams());
    Value result = elementwise(
        rewriter, loc, op.getType(), operands,
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value sum = x.size() > 1 ? arith::AddFOp::create(b, l, x[0], x[1])
                                         .getResult()
                                   : x[0];
          return applyActivation(b, l, activation, params, sum);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct MaxPoolLowering : OpConversionPattern<MaxPoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MaxPoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto outType = op.getType();
    if (failed(requireStatic2D(op, inType)))
      return failure();
    Value lowest = lowestValue(rewriter, loc, outType.getElementType());
    rewriter.replaceOp(op, pool<linalg::PoolingNchwMaxOp, linalg::PoolingNhwcMaxOp>(
                               rewriter, loc, op, adaptor.getInput(), lowest));
    return success();
  }
};

struct AveragePoolLowering : OpConversionPattern<AveragePoolOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(AveragePoolOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto inType = cast<RankedTensorType>(op.getInput().getType());
    auto outType = op.getType();
    if (failed(requireStatic2D(op, inType)))
      return failure();
    Type element = outType.getElementType();
    ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                      dilations = op.getDilations(), pads = op.getPads();
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value sums = pool<linalg::PoolingNchwSumOp, linalg::PoolingNhwcSumOp>(rewriter, loc, op,
                                                adaptor.getInput(), zero);
    // The divisor of each output position is known at compile time: the
    // window positions inside the input (plus the explicit pads when
    // count_include_pad), never those in the ceil-mode overhang.
    bool channelsLast = op.getChannelsLast();
    int64_t first = channelsLast ? 1 : 2;
    int64_t oh = outType.getDimSize(first), ow = outType.getDimSize(first + 1);
    int64_t h = inType.getDimSize(first), w = inType.getDimSize(first + 1);
    bool includePad = op.getCountIncludePad();
    SmallVector<float> divisors;
    for (int64_t y = 0; y < oh; ++y) {
      for (int64_t x = 0; x < ow; ++x) {
        int64_t count = 0;
        for (int64_t ky = 0; ky < kernel[0]; ++ky) {
          for (int64_t kx = 0; kx < kernel[1]; ++kx) {
            int64_t iy = y * strides[0] + ky * dilations[0] - pads[0];
            int64_t ix = x * strides[1] + kx * dilations[1] - pads[1];
            bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            bool inPads = iy >= -pads[0] && iy < h + pads[2] &&
                          ix >= -pads[1] && ix < w + pads[3];
            count += includePad ? inPads : inside;
          }
        }
        divisors.push_back(static_cast<float>(std::max<int64_t>(count, 1)));
      }
    }
    // [OH, OW] broadcasts over NCHW's trailing dims; NHWC needs [OH, OW, 1].
    SmallVector<int64_t> divisorShape{oh, ow};
    if (channelsLast)
      divisorShape.push_back(1);
    auto divisorType =
        RankedTensorType::get(divisorShape, rewriter.getF32Type());
    Value divisor = arith::ConstantOp::create(
        rewriter, loc, DenseElementsAttr::get(divisorType, ArrayRef(divisors)));
    Value result = elementwise(
        rewriter, loc, outType, ValueRange{sums, divisor},
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value d = x[1];
          if (d.getType() != x[0].getType())
            d = arith::TruncFOp::create(b, l, x[0].getType(), d);
          return arith::DivFOp::create(b, l, x[0], d);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// The keepdims shape of `type` with `dims` reduced to 1.
SmallVector<int64_t> keptShape(RankedTensorType type, ArrayRef<int64_t> dims) {
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t d : dims)
    shape[d] = 1;
  return shape;
}

struct BatchNormLowering : OpConversionPattern<BatchNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(BatchNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    auto channelType = cast<RankedTensorType>(op.getScale().getType());
    double epsilon = op.getEpsilon().convertToDouble();
    // Per channel: a = scale / sqrt(var + eps), b = bias - mean * a.
    Value a = elementwise(
        rewriter, loc, channelType,
        ValueRange{adaptor.getScale(), adaptor.getVariance()},
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value eps = scalarConstant(b, l, x[1].getType(), epsilon);
          Value std = math::SqrtOp::create(
              b, l, arith::AddFOp::create(b, l, x[1], eps));
          return arith::DivFOp::create(b, l, x[0], std);
        });
    Value shift = elementwise(
        rewriter, loc, channelType,
        ValueRange{adaptor.getBias(), adaptor.getMean(), a},
        [](OpBuilder &b, Location l, ValueRange x) {
          return arith::SubFOp::create(b, l, x[0],
                                       arith::MulFOp::create(b, l, x[1], x[2]));
        });
    SmallVector<int64_t> column(type.getRank() - 1, 1);
    column[0] = type.getDimSize(1);
    Value result = elementwise(
        rewriter, loc, type,
        ValueRange{adaptor.getInput(), reshape(rewriter, loc, a, column),
                   reshape(rewriter, loc, shift, column)},
        [](OpBuilder &b, Location l, ValueRange x) {
          return arith::AddFOp::create(b, l,
                                       arith::MulFOp::create(b, l, x[0], x[1]),
                                       x[2]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Mean over `dims`, reshaped to keep them as size-1 dims.
Value keptMean(OpBuilder &b, Location loc, Value input,
               ArrayRef<int64_t> dims) {
  auto type = cast<RankedTensorType>(input.getType());
  Type element = type.getElementType();
  int64_t count = 1;
  for (int64_t d : dims)
    count *= type.getDimSize(d);
  Value sum = reduce(b, loc, input, dims, scalarConstant(b, loc, element, 0),
                     [](OpBuilder &nb, Location l, Value acc, Value x) {
                       return arith::AddFOp::create(nb, l, acc, x);
                     });
  Value mean = elementwise(
      b, loc, cast<RankedTensorType>(sum.getType()), sum,
      [&](OpBuilder &nb, Location l, ValueRange x) {
        return arith::DivFOp::create(
            nb, l, x[0], scalarConstant(nb, l, element, count));
      });
  return reshape(b, loc, mean, keptShape(type, dims));
}

struct LayerNormLowering : OpConversionPattern<LayerNormOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LayerNormOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    SmallVector<int64_t> dims =
        llvm::to_vector(llvm::seq<int64_t>(op.getAxis(), type.getRank()));
    double epsilon = op.getEpsilon().convertToDouble();
    Value input = adaptor.getInput();
    Value mean = keptMean(rewriter, loc, input, dims);
    Value centered = elementwise(rewriter, loc, type, ValueRange{input, mean},
                                 [](OpBuilder &b, Location l, ValueRange x) {
                                   return arith::SubFOp::create(b, l, x[0],
                                                                x[1]);
                                 });
    Value squares = elementwise(rewriter, loc, type, centered,
                                [](OpBuilder &b, Location l, ValueRange x) {
                                  return arith::MulFOp::create(b, l, x[0],
                                                               x[0]);
                                });
    Value variance = keptMean(rewriter, loc, squares, dims);
    SmallVector<Value> operands{centered, variance, adaptor.getScale()};
    if (Value bias = adaptor.getBias())
      operands.push_back(bias);
    Value result = elementwise(
        rewriter, loc, type, operands,
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value eps = scalarConstant(b, l, x[0].getType(), epsilon);
          // 1 / sqrt rather than math.rsqrt, which has no LLVM lowering.
          Value rstd = arith::DivFOp::create(
              b, l, scalarConstant(b, l, x[0].getType(), 1),
              math::SqrtOp::create(b, l,
                                   arith::AddFOp::create(b, l, x[1], eps)));
          Value y = arith::MulFOp::create(
              b, l, arith::MulFOp::create(b, l, x[0], rstd), x[2]);
          return x.size() > 3 ? arith::AddFOp::create(b, l, y, x[3]).getResult()
                              : y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LRNLowering : OpConversionPattern<LRNOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(LRNOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    if (!type.hasStaticShape())
      return op.emitError("LRN needs a static shape");
    MLIRContext *context = rewriter.getContext();
    Type element = type.getElementType();
    int64_t size = op.getSize(), rank = type.getRank();
    int64_t before = (size - 1) / 2, after = size - 1 - before;
    Value squares = elementwise(rewriter, loc, type, adaptor.getInput(),
                                [](OpBuilder &b, Location l, ValueRange x) {
                                  return arith::MulFOp::create(b, l, x[0],
                                                               x[0]);
                                });
    // Zero-pad the channel dim, then sum a window of `size` channels.
    SmallVector<OpFoldResult> low(rank, rewriter.getIndexAttr(0)),
        high(rank, rewriter.getIndexAttr(0));
    low[1] = rewriter.getIndexAttr(before);
    high[1] = rewriter.getIndexAttr(after);
    SmallVector<int64_t> paddedShape(type.getShape());
    paddedShape[1] += size - 1;
    Value zero = scalarConstant(rewriter, loc, element, 0);
    Value padded = tensor::PadOp::create(
        rewriter, loc, RankedTensorType::get(paddedShape, element), squares,
        low, high, zero);
    SmallVector<AffineExpr> inExprs;
    for (int64_t d = 0; d < rank; ++d)
      inExprs.push_back(d == 1 ? getAffineDimExpr(1, context) +
                                     getAffineDimExpr(rank, context)
                               : getAffineDimExpr(d, context));
    SmallVector<AffineMap> maps{
        AffineMap::get(rank + 1, 0, inExprs, context),
        AffineMap::getMultiDimIdentityMap(rank + 1, context).getMajorSubMap(
            rank)};
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    iterators.push_back(utils::IteratorType::reduction);
    // The window's extent comes from a dummy operand of shape [size].
    Value window = emptyTensor(rewriter, loc,
                               RankedTensorType::get({size}, element));
    maps.insert(maps.begin() + 1,
                AffineMap::get(rank + 1, 0, getAffineDimExpr(rank, context),
                               context));
    Value sums =
        linalg::GenericOp::create(
            rewriter, loc, TypeRange{type}, ValueRange{padded, window},
            ValueRange{filledTensor(rewriter, loc, type, zero)}, maps,
            iterators,
            [](OpBuilder &b, Location l, ValueRange x) {
              linalg::YieldOp::create(b, l,
                                      arith::AddFOp::create(b, l, x[2], x[0])
                                          .getResult());
            })
            .getResult(0);
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    double bias = op.getBias().convertToDouble();
    Value result = elementwise(
        rewriter, loc, type, ValueRange{adaptor.getInput(), sums},
        [&](OpBuilder &b, Location l, ValueRange x) {
          Value scaled = arith::MulFOp::create(
              b, l, x[1], scalarConstant(b, l, element, alpha / size));
          Value base = arith::AddFOp::create(
              b, l, scaled, scalarConstant(b, l, element, bias));
          Value denominator = math::PowFOp::create(
              b, l, base, scalarConstant(b, l, element, beta));
          return arith::DivFOp::create(b, l, x[0], denominator);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// Softmax and LogSoftmax: subtract the max, exponentiate, normalise.
template <typename OpTy, bool isLog>
struct SoftmaxLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type element = type.getElementType();
    int64_t axis = op.getAxis();
    Value input = adaptor.getInput();
    Value maxima = reduce(rewriter, loc, input, {axis},
                          lowestValue(rewriter, loc, element),
                          [](OpBuilder &b, Location l, Value acc, Value x) {
                            return arith::MaximumFOp::create(b, l, acc, x);
                          });
    maxima = reshape(rewriter, loc, maxima, keptShape(type, {axis}));
    Value shifted = elementwise(rewriter, loc, type, ValueRange{input, maxima},
                                [](OpBuilder &b, Location l, ValueRange x) {
                                  return arith::SubFOp::create(b, l, x[0],
                                                               x[1]);
                                });
    Value exps = elementwise(rewriter, loc, type, shifted,
                             [](OpBuilder &b, Location l, ValueRange x) {
                               return math::ExpOp::create(b, l, x[0]);
                             });
    Value sums = reduce(rewriter, loc, exps, {axis},
                        scalarConstant(rewriter, loc, element, 0),
                        [](OpBuilder &b, Location l, Value acc, Value x) {
                          return arith::AddFOp::create(b, l, acc, x);
                        });
    sums = reshape(rewriter, loc, sums, keptShape(type, {axis}));
    Value result = elementwise(
        rewriter, loc, type,
        ValueRange{isLog ? shifted : exps, sums},
        [](OpBuilder &b, Location l, ValueRange x) -> Value {
          if (isLog)
            return arith::SubFOp::create(b, l, x[0],
                                         math::LogOp::create(b, l, x[1]));
          return arith::DivFOp::create(b, l, x[0], x[1]);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// A contraction out[batch..., m, n] += lhs[..., m, k] * rhs[..., k, n] with
/// numpy broadcasting of the batch dims, as one linalg.generic.
Value contract(OpBuilder &b, Location loc, Value lhs, Value rhs,
               RankedTensorType outType, bool transLhs, bool transRhs) {
  MLIRContext *context = b.getContext();
  int64_t outRank = outType.getRank(), batchRank = outRank - 2;
  AffineExpr m = getAffineDimExpr(batchRank, context);
  AffineExpr n = getAffineDimExpr(batchRank + 1, context);
  AffineExpr k = getAffineDimExpr(outRank, context);
  auto operandMap = [&](Value operand, AffineExpr row, AffineExpr col) {
    auto type = cast<RankedTensorType>(operand.getType());
    int64_t rank = type.getRank();
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank - 2; ++d) {
      int64_t outDim = batchRank - (rank - 2) + d;
      exprs.push_back(type.getDimSize(d) == 1 &&
                              outType.getDimSize(outDim) != 1
                          ? getAffineConstantExpr(0, context)
                          : getAffineDimExpr(outDim, context));
    }
    exprs.push_back(row);
    exprs.push_back(col);
    return AffineMap::get(outRank + 1, 0, exprs, context);
  };
  SmallVector<AffineMap> maps{
      transLhs ? operandMap(lhs, k, m) : operandMap(lhs, m, k),
      transRhs ? operandMap(rhs, n, k) : operandMap(rhs, k, n),
      AffineMap::getMultiDimIdentityMap(outRank + 1, context)
          .getMajorSubMap(outRank)};
  SmallVector<utils::IteratorType> iterators(outRank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  Value zero = scalarConstant(b, loc, outType.getElementType(), 0);
  return linalg::GenericOp::create(
             b, loc, TypeRange{outType}, ValueRange{lhs, rhs},
             ValueRange{filledTensor(b, loc, outType, zero)}, maps, iterators,
             [](OpBuilder &nb, Location l, ValueRange x) {
               linalg::YieldOp::create(
                   nb, l, add(nb, l, x[2], mul(nb, l, x[0], x[1])));
             })
      .getResult(0);
}

struct MatMulLowering : OpConversionPattern<MatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(MatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto lhsType = cast<RankedTensorType>(lhs.getType());
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto type = op.getType();
    if (!lhsType.hasStaticShape() || !rhsType.hasStaticShape())
      return op.emitError("MatMul needs static shapes");
    // Promote vectors to matrices; the result drops the promoted dims.
    if (lhsType.getRank() == 1)
      lhs = reshape(rewriter, loc, lhs, {1, lhsType.getDimSize(0)});
    if (rhsType.getRank() == 1)
      rhs = reshape(rewriter, loc, rhs, {rhsType.getDimSize(0), 1});
    auto l = cast<RankedTensorType>(lhs.getType());
    auto r = cast<RankedTensorType>(rhs.getType());
    SmallVector<int64_t> shape;
    int64_t batchRank = std::max(l.getRank(), r.getRank()) - 2;
    for (int64_t d = 0; d < batchRank; ++d) {
      auto dimOf = [&](RankedTensorType t) -> int64_t {
        int64_t i = d - (batchRank - (t.getRank() - 2));
        return i < 0 ? 1 : t.getDimSize(i);
      };
      shape.push_back(std::max(dimOf(l), dimOf(r)));
    }
    shape.push_back(l.getDimSize(l.getRank() - 2));
    shape.push_back(r.getDimSize(r.getRank() - 1));
    auto fullType = RankedTensorType::get(shape, type.getElementType());
    Value result;
    if (l.getRank() > 2 && r.getRank() == 2) {
      // A weight shared by every batch: fold the batch dims into M, one
      // matrix product [B*M, K] x [K, N].
      int64_t rows = l.getNumElements() / l.getDimSize(l.getRank() - 1);
      Value flat = reshape(rewriter, loc, lhs, {rows, l.getShape().back()});
      auto flatType = RankedTensorType::get({rows, r.getDimSize(1)},
                                            type.getElementType());
      Value zero = scalarConstant(rewriter, loc, type.getElementType(), 0);
      Value product =
          linalg::MatmulOp::create(
              rewriter, loc, TypeRange{flatType}, ValueRange{flat, rhs},
              ValueRange{filledTensor(rewriter, loc, flatType, zero)})
              .getResult(0);
      result = reshape(rewriter, loc, product, fullType.getShape());
    } else if (l.getRank() == 2 && r.getRank() == 2) {
      Value zero = scalarConstant(rewriter, loc, type.getElementType(), 0);
      result = linalg::MatmulOp::create(
                   rewriter, loc, TypeRange{fullType}, ValueRange{lhs, rhs},
                   ValueRange{filledTensor(rewriter, loc, fullType, zero)})
                   .getResult(0);
    } else {
      result = contract(rewriter, loc, lhs, rhs, fullType, false, false);
    }
    rewriter.replaceOp(op, reshape(rewriter, loc, result, type.getShape()));
    return success();
  }
};

/// Rows [R, K] (leading dims folded) times a [K, N] or transposed [N, K]
/// weight into a bias-initialised accumulator, then the activation.
struct FusedMatMulLowering : OpConversionPattern<FusedMatMulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(FusedMatMulOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    auto lhsType = cast<RankedTensorType>(adaptor.getLhs().getType());
    if (!type.hasStaticShape() || !lhsType.hasStaticShape())
      return op.emitError("fused matmul needs static shapes");
    Type element = type.getElementType();
    int64_t n = type.getShape().back();
    int64_t rows = type.getNumElements() / std::max<int64_t>(n, 1);
    Value lhs = reshape(rewriter, loc, adaptor.getLhs(),
                        {rows, lhsType.getShape().back()});
    auto flatType = RankedTensorType::get({rows, n}, element);
    Value init;
    if (Value bias = adaptor.getBias())
      init = elementwise(rewriter, loc, flatType, bias,
                         [](OpBuilder &, Location, ValueRange x) {
                           return x[0];
                         });
    else
      init = filledTensor(rewriter, loc, flatType,
                          scalarConstant(rewriter, loc, element, 0));
    SmallVector<NamedAttribute> attrs;
    if (op.getTransRhs()) {
      MLIRContext *context = rewriter.getContext();
      AffineExpr m = getAffineDimExpr(0, context),
                 nn = getAffineDimExpr(1, context),
                 k = getAffineDimExpr(2, context);
      attrs.push_back(rewriter.getNamedAttr(
          "indexing_maps", rewriter.getAffineMapArrayAttr(
                               {AffineMap::get(3, 0, {m, k}, context),
                                AffineMap::get(3, 0, {nn, k}, context),
                                AffineMap::get(3, 0, {m, nn}, context)})));
    }
    Value product = linalg::MatmulOp::create(
                        rewriter, loc, TypeRange{flatType},
                        ValueRange{lhs, adaptor.getRhs()}, ValueRange{init},
                        attrs)
                        .getResult(0);
    StringRef activation = op.getActivation();
    if (activation != "none") {
      SmallVector<double> params(op.getActivationParams());
      product = elementwise(rewriter, loc, flatType, product,
                            [&](OpBuilder &b, Location l, ValueRange x) {
                              return applyActivation(b, l, activation, params,
                                                     x[0]);
                            });
    }
    rewriter.replaceOp(op, reshape(rewriter, loc, product, type.getShape()));
    return success();
  }
};

struct GemmLowering : OpConversionPattern<GemmOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GemmOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = op.getType();
    Value product;
    if (!op.getTransA()) {
      // A transposed B (fully connected layers store weights N x K) is a
      // matmul with a transposed indexing map; no copy is made.
      Value zero = scalarConstant(rewriter, loc, type.getElementType(), 0);
      MLIRContext *context = rewriter.getContext();
      AffineExpr m = getAffineDimExpr(0, context),
                 n = getAffineDimExpr(1, context),
                 k = getAffineDimExpr(2, context);
      SmallVector<NamedAttribute> attrs;
      if (op.getTransB())
        attrs.push_back(rewriter.getNamedAttr(
            "indexing_maps",
            rewriter.getAffineMapArrayAttr(
                {AffineMap::get(3, 0, {m, k}, context),
                 AffineMap::get(3, 0, {n, k}, context),
                 AffineMap::get(3, 0, {m, n}, context)})));
      product = linalg::MatmulOp::create(
                    rewriter, loc, TypeRange{type},
                    ValueRange{adaptor.getA(), adaptor.getB()},
                    ValueRange{filledTensor(rewriter, loc, type, zero)},
                    attrs)
                    .getResult(0);
    } else {
      product = contract(rewriter, loc, adaptor.getA(), adaptor.getB(), type,
                         op.getTransA(), op.getTransB());
    }
    double alpha = op.getAlpha().convertToDouble();
    double beta = op.getBeta().convertToDouble();
    Value c = adaptor.getC();
    if (alpha == 1.0 && (!c || beta == 0.0)) {
      rewriter.replaceOp(op, product);
      return success();
    }
    SmallVector<Value> operands{product};
    if (c && beta != 0.0)
      operands.push_back(c);
    Value result = elementwise(
        rewriter, loc, type, operands,
        [&](OpBuilder &b, Location l, ValueRange x) {
          Type element = x[0].getType();
          Value y = arith::MulFOp::create(b, l, x[0],
                                          scalarConstant(b, l, element, alpha));
          if (x.size() > 1)
            y = arith::AddFOp::create(
                b, l, y,
                arith::MulFOp::create(b, l, x[1],
                                      scalarConstant(b, l, element, beta)));
          return y;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::paso::lowering::populateNNLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ConvLowering, FusedConvLowering, MaxPoolLowering, AveragePoolLowering,
               BatchNormLowering, LayerNormLowering, LRNLowering,
               SoftmaxLowering<SoftmaxOp, false>,
               SoftmaxLowering<LogSoftmaxOp, true>, MatMulLowering,
               FusedMatMulLowering, GemmLowering>(patterns.getContext());
}
