//===- NNOps.cpp - neural-network paso ops --------------------------------===//
//
// Shape inference of convolution, pooling, normalisation, softmax and the
// matmul family. Every rule here is also what the verifier enforces.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::detail;

/// Checks the per-spatial-dim attribute lengths shared by conv and pools.
static LogicalResult checkWindowAttrs(std::optional<Location> loc,
                                      int64_t spatialRank,
                                      ArrayRef<int64_t> strides,
                                      ArrayRef<int64_t> pads,
                                      ArrayRef<int64_t> dilations) {
  if (static_cast<int64_t>(strides.size()) != spatialRank ||
      static_cast<int64_t>(dilations.size()) != spatialRank ||
      static_cast<int64_t>(pads.size()) != 2 * spatialRank)
    return inferError(loc, "expected " + Twine(spatialRank) +
                               " strides and dilations and " +
                               Twine(2 * spatialRank) + " pads, got " +
                               Twine(strides.size()) + ", " +
                               Twine(dilations.size()) + " and " +
                               Twine(pads.size()));
  if (llvm::any_of(strides, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(dilations, [](int64_t d) { return d < 1; }))
    return inferError(loc, "strides and dilations must be positive");
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return inferError(loc, "pads must be non-negative");
  return success();
}

/// Output spatial dims of a sliding window; fails when a dim would be empty.
/// The spatial dims of `inShape` start at dim 1 when `channelsLast`, else
/// at dim 2.
static LogicalResult
windowOutputShape(std::optional<Location> loc, ArrayRef<int64_t> inShape,
                  ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                  ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                  bool ceilMode, bool channelsLast,
                  SmallVectorImpl<int64_t> &outShape) {
  int64_t spatialRank = kernel.size();
  int64_t first = channelsLast ? 1 : 2;
  for (int64_t i = 0; i < spatialRank; ++i) {
    int64_t in = inShape[first + i];
    int64_t out =
        slidingWindowSize(in, kernel[i], strides[i], pads[i],
                          pads[spatialRank + i], dilations[i], ceilMode);
    if (!ShapedType::isDynamic(out) && out < 1)
      return inferError(loc, "window of size " + Twine(kernel[i]) +
                                 " does not fit spatial dim " + Twine(i) +
                                 " of size " + Twine(in) + " with pads " +
                                 Twine(pads[i]) + "+" +
                                 Twine(pads[spatialRank + i]));
    outShape.push_back(out);
  }
  return success();
}

/// The `channels_last` flag of an adaptor; absent (ops built from an
/// attribute list, as the importer does) means NCHW.
template <typename AdaptorT> static bool adaptorChannelsLast(AdaptorT adaptor) {
  BoolAttr attr = adaptor.getChannelsLastAttr();
  return attr && attr.getValue();
}

bool mlir::paso::isChannelsLast(Operation *op) {
  if (auto conv = dyn_cast<ConvOp>(op))
    return conv.getChannelsLast();
  if (auto fused = dyn_cast<FusedConvOp>(op))
    return fused.getChannelsLast();
  if (auto conv = dyn_cast<QConvOp>(op))
    return conv.getChannelsLast();
  if (auto pool = dyn_cast<MaxPoolOp>(op))
    return pool.getChannelsLast();
  if (auto pool = dyn_cast<AveragePoolOp>(op))
    return pool.getChannelsLast();
  return false;
}

//===----------------------------------------------------------------------===//
// ConvOp
//===----------------------------------------------------------------------===//

/// Result type of a (possibly fused or quantised) convolution.
LogicalResult mlir::paso::detail::inferConvType(std::optional<Location> loc,
                                   Value input,
                                   Value filter, Value bias,
                                   ArrayRef<int64_t> strides,
                                   ArrayRef<int64_t> pads,
                                   ArrayRef<int64_t> dilations, int64_t group,
                                   bool channelsLast,
                                   SmallVectorImpl<Type> &types,
                                   bool sameElementType) {
  RankedTensorType inputType = rankedType(input);
  RankedTensorType filterType = rankedType(filter);
  int64_t rank = inputType.getRank();
  if (rank < 3)
    return inferError(loc, "input must have rank >= 3 (N, C, spatial...), "
                           "got " + shapeString(inputType.getShape()));
  if (filterType.getRank() != rank)
    return inferError(loc, "filter rank " + Twine(filterType.getRank()) +
                               " differs from input rank " + Twine(rank));
  if (sameElementType &&
      filterType.getElementType() != inputType.getElementType())
    return inferError(loc, "filter element type differs from input");
  int64_t spatialRank = rank - 2;
  if (failed(checkWindowAttrs(loc, spatialRank, strides, pads, dilations)))
    return failure();
  if (group < 1)
    return inferError(loc, "group must be positive");
  // Channels-last: input N x D.. x C, filter M x K.. x C/group.
  int64_t channelDim = channelsLast ? rank - 1 : 1;
  int64_t channels = inputType.getDimSize(channelDim);
  int64_t filterChannels = filterType.getDimSize(channelDim);
  int64_t outChannels = filterType.getDimSize(0);
  if (!ShapedType::isDynamic(channels) &&
      !ShapedType::isDynamic(filterChannels) &&
      channels != filterChannels * group)
    return inferError(loc, "input has " + Twine(channels) +
                               " channels but filter expects " +
                               Twine(filterChannels) + " x group " +
                               Twine(group));
  if (!ShapedType::isDynamic(outChannels) && outChannels % group != 0)
    return inferError(loc, "output channels " + Twine(outChannels) +
                               " are not divisible by group " + Twine(group));
  if (bias) {
    RankedTensorType biasType = rankedType(bias);
    if (biasType.getRank() != 1 || biasType.getDimSize(0) != outChannels)
      return inferError(loc, "bias shape " +
                                 shapeString(biasType.getShape()) +
                                 " does not match " + Twine(outChannels) +
                                 " output channels");
  }
  SmallVector<int64_t> shape{inputType.getDimSize(0)};
  if (!channelsLast)
    shape.push_back(outChannels);
  ArrayRef<int64_t> window = filterType.getShape().drop_front(
      channelsLast ? 1 : 2).take_front(spatialRank);
  if (failed(windowOutputShape(loc, inputType.getShape(), window, strides,
                               pads, dilations, /*ceilMode=*/false,
                               channelsLast, shape)))
    return failure();
  if (channelsLast)
    shape.push_back(outChannels);
  types.push_back(inputType.clone(shape));
  return success();
}

LogicalResult ConvOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  return inferConvType(loc, adaptor.getInput(), adaptor.getFilter(),
                       adaptor.getBias(), adaptor.getStrides(),
                       adaptor.getPads(), adaptor.getDilations(),
                       static_cast<int64_t>(adaptor.getGroup()),
                       adaptorChannelsLast(adaptor), types);
}

LogicalResult FusedConvOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  if (failed(inferConvType(loc, adaptor.getInput(), adaptor.getFilter(),
                           adaptor.getBias(), adaptor.getStrides(),
                           adaptor.getPads(), adaptor.getDilations(),
                           static_cast<int64_t>(adaptor.getGroup()),
                           adaptorChannelsLast(adaptor), types)))
    return failure();
  if (Value residual = adaptor.getResidual())
    if (residual.getType() != types.front())
      return inferError(loc, "residual type does not match the result");
  return success();
}

/// Checks a fused op's activation name and parameter count.
static LogicalResult verifyActivation(Operation *op, StringRef activation,
                                      ArrayRef<double> params) {
  static const std::pair<StringRef, size_t> activations[] = {
      {"none", 0},         {"relu", 0},       {"clip", 2},
      {"leaky_relu", 1},   {"sigmoid", 0},    {"hard_sigmoid", 2},
      {"hard_swish", 0},   {"tanh", 0},       {"gelu", 0},
      {"gelu_tanh", 0},    {"silu", 0}};
  for (auto [name, count] : activations)
    if (activation == name) {
      if (params.size() != count)
        return op->emitOpError("activation '")
               << name << "' takes " << count << " parameters, got "
               << params.size();
      return success();
    }
  return op->emitOpError("unknown activation '") << activation << "'";
}

LogicalResult FusedConvOp::verify() {
  return verifyActivation(*this, getActivation(), getActivationParams());
}

LogicalResult FusedMatMulOp::verify() {
  return verifyActivation(*this, getActivation(), getActivationParams());
}

LogicalResult FusedMatMulOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  RankedTensorType lhsType = rankedType(adaptor.getLhs());
  if (lhsType.getElementType() !=
      rankedType(adaptor.getRhs()).getElementType())
    return inferError(loc, "operand element types differ");
  SmallVector<int64_t> shape;
  if (failed(inferProductShape(loc, adaptor.getLhs(), adaptor.getRhs(),
                               adaptor.getTransRhs(), adaptor.getBias(),
                               shape)))
    return failure();
  types.push_back(lhsType.clone(shape));
  return success();
}

LogicalResult mlir::paso::detail::inferProductShape(
    std::optional<Location> loc, Value lhs, Value rhs, bool transRhs,
    Value bias, SmallVectorImpl<int64_t> &shape) {
  RankedTensorType lhsType = rankedType(lhs), rhsType = rankedType(rhs);
  if (lhsType.getRank() < 2 || rhsType.getRank() != 2)
    return inferError(loc, "lhs must have rank >= 2 and rhs rank 2, got " +
                               shapeString(lhsType.getShape()) + " and " +
                               shapeString(rhsType.getShape()));
  int64_t k = lhsType.getShape().back();
  int64_t k2 = rhsType.getDimSize(transRhs ? 1 : 0);
  int64_t n = rhsType.getDimSize(transRhs ? 0 : 1);
  if (!dimsAgree(k, k2))
    return inferError(loc, "contracting dims differ: " + Twine(k) + " vs " +
                               Twine(k2));
  if (bias) {
    ArrayRef<int64_t> biasShape = rankedType(bias).getShape();
    if (biasShape.size() != 1 || !dimsAgree(biasShape[0], n))
      return inferError(loc, "bias shape " + shapeString(biasShape) +
                                 " is not [" + Twine(n) + "]");
  }
  shape.assign(lhsType.getShape().begin(), lhsType.getShape().end());
  shape.back() = n;
  return success();
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

template <typename AdaptorT>
static LogicalResult inferPool(std::optional<Location> loc, AdaptorT adaptor,
                               SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  int64_t rank = inputType.getRank();
  if (rank < 3)
    return inferError(loc, "input must have rank >= 3 (N, C, spatial...), "
                           "got " + shapeString(inputType.getShape()));
  ArrayRef<int64_t> kernel = adaptor.getKernelShape();
  if (static_cast<int64_t>(kernel.size()) != rank - 2 ||
      llvm::any_of(kernel, [](int64_t k) { return k < 1; }))
    return inferError(loc, "kernel_shape needs " + Twine(rank - 2) +
                               " positive sizes");
  if (failed(checkWindowAttrs(loc, rank - 2, adaptor.getStrides(),
                              adaptor.getPads(), adaptor.getDilations())))
    return failure();
  bool channelsLast = adaptorChannelsLast(adaptor);
  SmallVector<int64_t> shape{inputType.getDimSize(0)};
  if (!channelsLast)
    shape.push_back(inputType.getDimSize(1));
  if (failed(windowOutputShape(loc, inputType.getShape(), kernel,
                               adaptor.getStrides(), adaptor.getPads(),
                               adaptor.getDilations(), adaptor.getCeilMode(),
                               channelsLast, shape)))
    return failure();
  if (channelsLast)
    shape.push_back(inputType.getDimSize(rank - 1));
  types.push_back(inputType.clone(shape));
  return success();
}

LogicalResult MaxPoolOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types);
}

LogicalResult AveragePoolOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  return inferPool(loc, adaptor, types);
}

//===----------------------------------------------------------------------===//
// Normalisation
//===----------------------------------------------------------------------===//

LogicalResult BatchNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  if (inputType.getRank() < 2)
    return inferError(loc, "input must have rank >= 2 (N, C, ...)");
  int64_t channels = inputType.getDimSize(1);
  for (Value param : {adaptor.getScale(), adaptor.getBias(), adaptor.getMean(),
                      adaptor.getVariance()}) {
    RankedTensorType type = rankedType(param);
    if (type.getRank() != 1 || type.getDimSize(0) != channels)
      return inferError(loc, "per-channel operand of shape " +
                                 shapeString(type.getShape()) +
                                 " does not match " + Twine(channels) +
                                 " channels");
  }
  types.push_back(inputType);
  return success();
}

/// Checks that `param` broadcasts onto the trailing dims from `axis`.
static LogicalResult checkNormParam(std::optional<Location> loc, Value param,
                                    ArrayRef<int64_t> normalized,
                                    StringRef name) {
  ArrayRef<int64_t> shape = rankedType(param).getShape();
  SmallVector<int64_t> broadcast;
  if (shape.size() > normalized.size() ||
      !broadcastShapePair(shape, normalized, broadcast) ||
      ArrayRef<int64_t>(broadcast) != normalized)
    return inferError(loc, name + " shape " + shapeString(shape) +
                               " does not broadcast to the normalised shape " +
                               shapeString(normalized));
  return success();
}

LogicalResult LayerNormOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(loc, axis, inputType.getRank())))
    return failure();
  ArrayRef<int64_t> normalized = inputType.getShape().drop_front(axis);
  if (failed(checkNormParam(loc, adaptor.getScale(), normalized, "scale")))
    return failure();
  if (adaptor.getBias() &&
      failed(checkNormParam(loc, adaptor.getBias(), normalized, "bias")))
    return failure();
  types.push_back(inputType);
  return success();
}

LogicalResult LRNOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  if (inputType.getRank() < 3)
    return inferError(loc, "input must have rank >= 3 (N, C, spatial...)");
  if (static_cast<int64_t>(adaptor.getSize()) < 1)
    return inferError(loc, "size must be positive");
  types.push_back(inputType);
  return success();
}

/// Softmax-like ops keep the input type and need an axis in range.
static LogicalResult inferAlongAxis(std::optional<Location> loc, Value input,
                                    int64_t axis,
                                    SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(input);
  if (failed(checkAxis(loc, axis, inputType.getRank())))
    return failure();
  types.push_back(inputType);
  return success();
}

LogicalResult SoftmaxOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  return inferAlongAxis(loc, adaptor.getInput(),
                        static_cast<int64_t>(adaptor.getAxis()), types);
}

LogicalResult LogSoftmaxOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  return inferAlongAxis(loc, adaptor.getInput(),
                        static_cast<int64_t>(adaptor.getAxis()), types);
}

//===----------------------------------------------------------------------===//
// MatMul and Gemm
//===----------------------------------------------------------------------===//

LogicalResult MatMulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType lhsType = rankedType(adaptor.getLhs());
  RankedTensorType rhsType = rankedType(adaptor.getRhs());
  if (lhsType.getElementType() != rhsType.getElementType())
    return inferError(loc, "operand element types differ");
  if (lhsType.getRank() == 0 || rhsType.getRank() == 0)
    return inferError(loc, "operands must have rank >= 1");
  SmallVector<int64_t> lhs(lhsType.getShape()), rhs(rhsType.getShape());
  bool lhsVector = lhs.size() == 1, rhsVector = rhs.size() == 1;
  if (lhsVector)
    lhs.insert(lhs.begin(), 1);
  if (rhsVector)
    rhs.push_back(1);
  int64_t m = lhs[lhs.size() - 2], k = lhs.back();
  int64_t k2 = rhs[rhs.size() - 2], n = rhs.back();
  if (!dimsAgree(k, k2))
    return inferError(loc, "contracting dims differ: " +
                               shapeString(lhsType.getShape()) + " x " +
                               shapeString(rhsType.getShape()));
  SmallVector<int64_t> batch;
  if (!broadcastShapePair(ArrayRef<int64_t>(lhs).drop_back(2),
                          ArrayRef<int64_t>(rhs).drop_back(2), batch))
    return inferError(loc, "batch dims do not broadcast: " +
                               shapeString(lhsType.getShape()) + " x " +
                               shapeString(rhsType.getShape()));
  if (!lhsVector)
    batch.push_back(m);
  if (!rhsVector)
    batch.push_back(n);
  types.push_back(RankedTensorType::get(batch, lhsType.getElementType()));
  return success();
}

LogicalResult GemmOp::inferReturnTypes(MLIRContext *,
                                       std::optional<Location> loc,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  RankedTensorType aType = rankedType(adaptor.getA());
  RankedTensorType bType = rankedType(adaptor.getB());
  if (aType.getRank() != 2 || bType.getRank() != 2)
    return inferError(loc, "A and B must be matrices, got " +
                               shapeString(aType.getShape()) + " and " +
                               shapeString(bType.getShape()));
  if (aType.getElementType() != bType.getElementType())
    return inferError(loc, "operand element types differ");
  int64_t m = aType.getDimSize(adaptor.getTransA() ? 1 : 0);
  int64_t k = aType.getDimSize(adaptor.getTransA() ? 0 : 1);
  int64_t k2 = bType.getDimSize(adaptor.getTransB() ? 1 : 0);
  int64_t n = bType.getDimSize(adaptor.getTransB() ? 0 : 1);
  if (!dimsAgree(k, k2))
    return inferError(loc, "contracting dims differ: " + Twine(k) + " vs " +
                               Twine(k2));
  SmallVector<int64_t> shape{m, n};
  if (Value c = adaptor.getC()) {
    ArrayRef<int64_t> cShape = rankedType(c).getShape();
    SmallVector<int64_t> broadcast;
    if (cShape.size() > 2 || !broadcastShapePair(cShape, shape, broadcast) ||
        ArrayRef<int64_t>(broadcast) != ArrayRef<int64_t>(shape))
      return inferError(loc, "C shape " + shapeString(cShape) +
                                 " does not broadcast to " +
                                 shapeString(shape));
  }
  types.push_back(RankedTensorType::get(shape, aType.getElementType()));
  return success();
}

#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoNNOps.cpp.inc"
