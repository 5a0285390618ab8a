//===- GeneratorConverters.cpp - ops whose output depends on shapes only --===//
//
// EyeLike and the signal windows (Hann, Hamming, Blackman) produce tensors
// fixed by their attributes and static shapes, so they become constants;
// CastLike takes its target type from another tensor.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include <cmath>

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

/// A constant of `type` from doubles, converted to its element type.
Value constantFrom(Composer &c, RankedTensorType type,
                   ArrayRef<double> values) {
  Type element = type.getElementType();
  SmallVector<Attribute> attrs;
  for (double v : values) {
    if (isa<FloatType>(element))
      attrs.push_back(FloatAttr::get(element, v));
    else if (element.isInteger(1))
      attrs.push_back(BoolAttr::get(c.node.getContext(), v != 0));
    else
      attrs.push_back(IntegerAttr::get(element, static_cast<int64_t>(v)));
  }
  return c.node.constant(
      llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, attrs)));
}

LogicalResult convertCastLike(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input"), like = c.input(1, "target_type");
  if (!x || !like)
    return failure();
  return c.bind(c.cast(x, Composer::elementType(like)));
}

LogicalResult convertEyeLike(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  ArrayRef<int64_t> shape = Composer::shapeOf(x);
  if (shape.size() != 2)
    return node.emitError() << "EyeLike needs a 2-D input";
  Type element = Composer::elementType(x);
  if (node.has("dtype")) {
    element = convertElementType(node.getContext(), node.getInt("dtype", 0));
    if (!element)
      return node.emitError() << "EyeLike dtype "
                              << onnxTypeName(node.getInt("dtype", 0))
                              << " is not supported";
  }
  int64_t k = node.getInt("k", 0);
  SmallVector<double> values;
  for (int64_t i = 0; i < shape[0]; ++i)
    for (int64_t j = 0; j < shape[1]; ++j)
      values.push_back(j - i == k ? 1 : 0);
  return c.bind(
      constantFrom(c, RankedTensorType::get(shape, element), values));
}

enum class WindowKind { Hann, Hamming, Blackman };

/// The windows of ONNX's signal ops: w[n] as a cosine sum over
/// 2 * pi * n / N, with N the size (periodic) or size - 1 (symmetric).
template <WindowKind kind>
LogicalResult convertWindow(NodeImporter &node) {
  Composer c(node);
  FailureOr<SmallVector<int64_t>> size = node.constantInts(0, "size");
  if (failed(size))
    return failure();
  if (size->size() != 1 || size->front() < 1)
    return node.emitError() << "window size must be a positive scalar";
  int64_t n = size->front();
  Type element = convertElementType(node.getContext(),
                                    node.getInt("output_datatype", 1));
  if (!element)
    return node.emitError() << "output_datatype is not supported";
  bool periodic = node.getInt("periodic", 1) != 0;
  double period = periodic ? n : n - 1;
  SmallVector<double> values;
  for (int64_t i = 0; i < n; ++i) {
    double angle = period ? 2 * M_PI * i / period : 0;
    switch (kind) {
    case WindowKind::Hann:
      values.push_back(0.5 - 0.5 * std::cos(angle));
      break;
    case WindowKind::Hamming:
      values.push_back(25.0 / 46 - (1 - 25.0 / 46) * std::cos(angle));
      break;
    case WindowKind::Blackman:
      values.push_back(0.42 - 0.5 * std::cos(angle) +
                       0.08 * std::cos(2 * angle));
      break;
    }
  }
  return c.bind(constantFrom(c, RankedTensorType::get({n}, element), values));
}

} // namespace

void appendGeneratorConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"CastLike", 15, convertCastLike},
      {"EyeLike", 9, convertEyeLike},
      {"HannWindow", 17, convertWindow<WindowKind::Hann>},
      {"HammingWindow", 17, convertWindow<WindowKind::Hamming>},
      {"BlackmanWindow", 17, convertWindow<WindowKind::Blackman>},
  });
}

} // namespace mlir::paso::onnx_import
