//===- ShapeUtils.cpp - shared shape-inference helpers --------------------===//

#include "ShapeUtils.h"

#include "mlir/Dialect/Traits.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace mlir::paso::detail {

LogicalResult inferError(std::optional<Location> loc, const Twine &message) {
  return emitOptionalError(loc, message);
}

RankedTensorType rankedType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

bool broadcastShapePair(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                        SmallVectorImpl<int64_t> &result) {
  return OpTrait::util::getBroadcastedShape(lhs, rhs, result);
}

LogicalResult broadcastShapes(std::optional<Location> loc, ValueRange values,
                              SmallVectorImpl<int64_t> &result) {
  result.assign(rankedType(values.front()).getShape().begin(),
                rankedType(values.front()).getShape().end());
  for (Value value : values.drop_front()) {
    ArrayRef<int64_t> shape = rankedType(value).getShape();
    SmallVector<int64_t> next;
    if (!broadcastShapePair(result, shape, next))
      return inferError(loc, "operand shapes " + shapeString(result) +
                                 " and " + shapeString(shape) +
                                 " do not broadcast");
    result = std::move(next);
  }
  return success();
}

int64_t slidingWindowSize(int64_t in, int64_t kernel, int64_t stride,
                          int64_t padBegin, int64_t padEnd, int64_t dilation,
                          bool ceilMode) {
  if (ShapedType::isDynamic(in))
    return ShapedType::kDynamic;
  int64_t span = in + padBegin + padEnd - dilation * (kernel - 1) - 1;
  if (span < 0)
    return 0;
  int64_t out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1;
  // In ceil mode the last window must start inside the input or the begin
  // padding, as in ONNX and PyTorch.
  if (ceilMode && (out - 1) * stride >= in + padBegin)
    --out;
  return out;
}

bool dimsAgree(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

std::string shapeString(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "[] (scalar)";
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::interleave(
      shape,
      os,
      [&](int64_t dim) {
        if (ShapedType::isDynamic(dim))
          os << '?';
        else
          os << dim;
      },
      "x");
  return text;
}

LogicalResult checkAxis(std::optional<Location> loc, int64_t axis,
                        int64_t rank, StringRef what) {
  if (axis < 0 || axis >= rank)
    return inferError(loc, what + " " + Twine(axis) + " is out of range for rank " +
                               Twine(rank));
  return success();
}

} // namespace mlir::paso::detail
