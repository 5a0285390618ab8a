//===- ConstantFolding.cpp - folding helpers for paso ops -----------------===//

#include "ConstantFolding.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/ADT/APSInt.h"

using namespace mlir;

static llvm::cl::opt<int64_t> maxFoldedElementsOption(
    "paso-max-folded-elements",
    llvm::cl::desc("Largest constant (in elements) that paso folders read "
                   "or produce; bounds how much folding may grow a model"),
    llvm::cl::init(1 << 14));

namespace mlir::paso::detail {

int64_t maxFoldedElements() { return maxFoldedElementsOption; }

DenseElementsAttr foldableConstant(Attribute attr) {
  auto dense = dyn_cast_if_present<DenseElementsAttr>(attr);
  if (!dense || dense.getNumElements() > maxFoldedElements())
    return {};
  return dense;
}

SmallVector<int64_t> broadcastIndexMap(ArrayRef<int64_t> inShape,
                                       ArrayRef<int64_t> outShape) {
  int64_t outRank = outShape.size(), inRank = inShape.size();
  // Stride of each output dim in the input; 0 where the input broadcasts.
  SmallVector<int64_t> strides(outRank, 0);
  int64_t stride = 1;
  for (int64_t i = inRank - 1; i >= 0; --i) {
    int64_t outDim = outRank - inRank + i;
    strides[outDim] = inShape[i] == 1 ? 0 : stride;
    stride *= inShape[i];
  }
  int64_t count = 1;
  for (int64_t dim : outShape)
    count *= dim;
  SmallVector<int64_t> map(count, 0);
  SmallVector<int64_t> index(outRank, 0);
  for (int64_t linear = 0; linear < count; ++linear) {
    int64_t source = 0;
    for (int64_t d = 0; d < outRank; ++d)
      source += index[d] * strides[d];
    map[linear] = source;
    for (int64_t d = outRank - 1; d >= 0; --d) {
      if (++index[d] < outShape[d])
        break;
      index[d] = 0;
    }
  }
  return map;
}

/// The static result type, or null when folding cannot produce one.
static RankedTensorType staticResult(Type type) {
  auto ranked = dyn_cast<RankedTensorType>(type);
  if (!ranked || !ranked.hasStaticShape() ||
      ranked.getNumElements() > maxFoldedElements())
    return {};
  return ranked;
}

Attribute foldArithmetic(Attribute lhsAttr, Attribute rhsAttr, Type type,
                         IntBinaryFn intFn, FloatBinaryFn floatFn) {
  DenseElementsAttr lhs = foldableConstant(lhsAttr);
  DenseElementsAttr rhs = foldableConstant(rhsAttr);
  RankedTensorType resultType = staticResult(type);
  if (!lhs || !rhs || !resultType ||
      lhs.getElementType() != rhs.getElementType() ||
      lhs.getElementType() != resultType.getElementType())
    return {};
  SmallVector<int64_t> lhsMap =
      broadcastIndexMap(lhs.getType().getShape(), resultType.getShape());
  SmallVector<int64_t> rhsMap =
      broadcastIndexMap(rhs.getType().getShape(), resultType.getShape());
  if (isa<FloatType>(resultType.getElementType())) {
    auto lhsValues = llvm::to_vector(lhs.getValues<APFloat>());
    auto rhsValues = llvm::to_vector(rhs.getValues<APFloat>());
    SmallVector<APFloat> result;
    for (auto [l, r] : llvm::zip(lhsMap, rhsMap)) {
      std::optional<APFloat> value = floatFn(lhsValues[l], rhsValues[r]);
      if (!value)
        return {};
      result.push_back(*value);
    }
    return DenseElementsAttr::get(resultType, result);
  }
  auto intType = dyn_cast<IntegerType>(resultType.getElementType());
  if (!intType || intType.getWidth() == 1)
    return {};
  auto lhsValues = llvm::to_vector(lhs.getValues<APInt>());
  auto rhsValues = llvm::to_vector(rhs.getValues<APInt>());
  SmallVector<APInt> result;
  for (auto [l, r] : llvm::zip(lhsMap, rhsMap)) {
    std::optional<APInt> value =
        intFn(lhsValues[l], rhsValues[r], intType.isUnsigned());
    if (!value)
      return {};
    result.push_back(*value);
  }
  return DenseElementsAttr::get(resultType, result);
}

Attribute foldComparison(Attribute lhsAttr, Attribute rhsAttr, Type type,
                         function_ref<bool(int)> predicate) {
  DenseElementsAttr lhs = foldableConstant(lhsAttr);
  DenseElementsAttr rhs = foldableConstant(rhsAttr);
  RankedTensorType resultType = staticResult(type);
  if (!lhs || !rhs || !resultType ||
      lhs.getElementType() != rhs.getElementType())
    return {};
  SmallVector<int64_t> lhsMap =
      broadcastIndexMap(lhs.getType().getShape(), resultType.getShape());
  SmallVector<int64_t> rhsMap =
      broadcastIndexMap(rhs.getType().getShape(), resultType.getShape());
  SmallVector<bool> result;
  Type elementType = lhs.getElementType();
  if (isa<FloatType>(elementType)) {
    auto lhsValues = llvm::to_vector(lhs.getValues<APFloat>());
    auto rhsValues = llvm::to_vector(rhs.getValues<APFloat>());
    for (auto [l, r] : llvm::zip(lhsMap, rhsMap)) {
      APFloat::cmpResult cmp = lhsValues[l].compare(rhsValues[r]);
      if (cmp == APFloat::cmpUnordered) {
        result.push_back(false);
        continue;
      }
      result.push_back(predicate(cmp == APFloat::cmpLessThan  ? -1
                                 : cmp == APFloat::cmpEqual ? 0
                                                            : 1));
    }
  } else {
    bool isUnsigned = elementType.isUnsignedInteger();
    auto lhsValues = llvm::to_vector(lhs.getValues<APInt>());
    auto rhsValues = llvm::to_vector(rhs.getValues<APInt>());
    for (auto [l, r] : llvm::zip(lhsMap, rhsMap)) {
      const APInt &a = lhsValues[l], &b = rhsValues[r];
      int cmp = a == b ? 0 : (isUnsigned ? a.ult(b) : a.slt(b)) ? -1 : 1;
      result.push_back(predicate(cmp));
    }
  }
  return DenseElementsAttr::get(resultType, result);
}

Attribute foldLogic(Attribute lhsAttr, Attribute rhsAttr, Type type,
                    function_ref<bool(bool, bool)> fn) {
  DenseElementsAttr lhs = foldableConstant(lhsAttr);
  DenseElementsAttr rhs = foldableConstant(rhsAttr);
  RankedTensorType resultType = staticResult(type);
  if (!lhs || !rhs || !resultType)
    return {};
  SmallVector<int64_t> lhsMap =
      broadcastIndexMap(lhs.getType().getShape(), resultType.getShape());
  SmallVector<int64_t> rhsMap =
      broadcastIndexMap(rhs.getType().getShape(), resultType.getShape());
  auto lhsValues = llvm::to_vector(lhs.getValues<bool>());
  auto rhsValues = llvm::to_vector(rhs.getValues<bool>());
  SmallVector<bool> result;
  for (auto [l, r] : llvm::zip(lhsMap, rhsMap))
    result.push_back(fn(lhsValues[l], rhsValues[r]));
  return DenseElementsAttr::get(resultType, result);
}

Attribute foldSelect(Attribute conditionAttr, Attribute xAttr, Attribute yAttr,
                     Type type) {
  DenseElementsAttr condition = foldableConstant(conditionAttr);
  DenseElementsAttr x = foldableConstant(xAttr);
  DenseElementsAttr y = foldableConstant(yAttr);
  RankedTensorType resultType = staticResult(type);
  if (!condition || !x || !y || !resultType)
    return {};
  ArrayRef<int64_t> shape = resultType.getShape();
  SmallVector<int64_t> cMap =
      broadcastIndexMap(condition.getType().getShape(), shape);
  SmallVector<int64_t> xMap = broadcastIndexMap(x.getType().getShape(), shape);
  SmallVector<int64_t> yMap = broadcastIndexMap(y.getType().getShape(), shape);
  auto cValues = llvm::to_vector(condition.getValues<bool>());
  auto xValues = llvm::to_vector(x.getValues<Attribute>());
  auto yValues = llvm::to_vector(y.getValues<Attribute>());
  SmallVector<Attribute> result;
  for (size_t i = 0; i < cMap.size(); ++i)
    result.push_back(cValues[cMap[i]] ? xValues[xMap[i]] : yValues[yMap[i]]);
  return DenseElementsAttr::get(resultType, result);
}

/// Converts one element to `to` with ONNX Cast semantics.
static std::optional<APInt> castToInt(Attribute element, IntegerType to) {
  unsigned width = to.getWidth();
  if (auto intAttr = dyn_cast<IntegerAttr>(element)) {
    const APInt &value = intAttr.getValue();
    if (width == 1)
      return APInt(1, !value.isZero());
    // A bool is 0 or 1, never -1: it widens like an unsigned value.
    bool zeroExtend = intAttr.getType().isUnsignedInteger() ||
                      intAttr.getType().getIntOrFloatBitWidth() == 1;
    return zeroExtend ? value.zextOrTrunc(width) : value.sextOrTrunc(width);
  }
  auto floatAttr = cast<FloatAttr>(element);
  APFloat value = floatAttr.getValue();
  if (width == 1)
    return APInt(1, !value.isZero());
  if (value.isNaN() || value.isInfinity())
    return std::nullopt;
  APSInt result(width, to.isUnsigned());
  bool exact = false;
  value.convertToInteger(result, APFloat::rmTowardZero, &exact);
  return APInt(result);
}

static APFloat castToFloat(Attribute element, FloatType to) {
  bool losesInfo = false;
  if (auto intAttr = dyn_cast<IntegerAttr>(element)) {
    APFloat result(to.getFloatSemantics());
    bool isSigned = !intAttr.getType().isUnsignedInteger() &&
                    intAttr.getType().getIntOrFloatBitWidth() != 1;
    result.convertFromAPInt(intAttr.getValue(), isSigned,
                            APFloat::rmNearestTiesToEven);
    return result;
  }
  APFloat value = cast<FloatAttr>(element).getValue();
  value.convert(to.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value;
}

Attribute foldCast(Attribute inputAttr, Type type) {
  DenseElementsAttr input = foldableConstant(inputAttr);
  RankedTensorType resultType = staticResult(type);
  if (!input || !resultType)
    return {};
  Type to = resultType.getElementType();
  if (auto floatType = dyn_cast<FloatType>(to)) {
    SmallVector<APFloat> result;
    for (Attribute element : input.getValues<Attribute>())
      result.push_back(castToFloat(element, floatType));
    return DenseElementsAttr::get(resultType, result);
  }
  auto intType = dyn_cast<IntegerType>(to);
  if (!intType)
    return {};
  if (intType.getWidth() == 1) {
    SmallVector<bool> result;
    for (Attribute element : input.getValues<Attribute>())
      result.push_back(!castToInt(element, intType)->isZero());
    return DenseElementsAttr::get(resultType, result);
  }
  SmallVector<APInt> result;
  for (Attribute element : input.getValues<Attribute>()) {
    std::optional<APInt> value = castToInt(element, intType);
    if (!value)
      return {};
    result.push_back(*value);
  }
  return DenseElementsAttr::get(resultType, result);
}

Attribute foldReorder(DenseElementsAttr input, Type type,
                      function_ref<int64_t(int64_t)> sourceIndex) {
  RankedTensorType resultType = staticResult(type);
  if (!input || !resultType ||
      input.getNumElements() > maxFoldedElements())
    return {};
  if (input.isSplat())
    return SplatElementsAttr::get(resultType,
                                  input.getSplatValue<Attribute>());
  auto values = llvm::to_vector(input.getValues<Attribute>());
  SmallVector<Attribute> result;
  result.reserve(resultType.getNumElements());
  for (int64_t i = 0, e = resultType.getNumElements(); i < e; ++i)
    result.push_back(values[sourceIndex(i)]);
  return DenseElementsAttr::get(resultType, result);
}

} // namespace mlir::paso::detail
