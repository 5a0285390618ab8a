//===- ConstantValues.cpp - numbers held by paso constants ----------------===//

#include "paso/Dialect/Paso/IR/ConstantValues.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;

/// The constant's attribute behind any storage casts.
static ElementsAttr constantAttr(Value value) {
  while (value) {
    if (auto cast = value.getDefiningOp<paso::StorageCastOp>()) {
      value = cast.getInput();
      continue;
    }
    auto constant = value.getDefiningOp<paso::ConstantOp>();
    return constant ? constant.getValue() : ElementsAttr();
  }
  return {};
}

/// The raw little-endian bytes of a resource constant, or empty.
static ArrayRef<char> resourceBytes(ElementsAttr attr) {
  auto resource = dyn_cast<DenseResourceElementsAttr>(attr);
  if (!resource)
    return {};
  AsmResourceBlob *blob = resource.getRawHandle().getBlob();
  return blob ? blob->getData() : ArrayRef<char>();
}

std::optional<SmallVector<int64_t>> mlir::paso::readIntConstant(Value value) {
  ElementsAttr attr = constantAttr(value);
  if (!attr)
    return std::nullopt;
  auto type = dyn_cast<IntegerType>(attr.getElementType());
  if (!type || type.getWidth() > 64)
    return std::nullopt;
  bool isUnsigned = type.isUnsigned();
  SmallVector<int64_t> result;
  if (auto dense = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &v : dense.getValues<APInt>())
      result.push_back(isUnsigned ? static_cast<int64_t>(v.getZExtValue())
                                  : v.getSExtValue());
    return result;
  }
  ArrayRef<char> bytes = resourceBytes(attr);
  unsigned width = std::max(8u, type.getWidth()) / 8;
  int64_t count = attr.getNumElements();
  if (bytes.size() != static_cast<size_t>(count * width))
    return std::nullopt;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, bytes.data() + i * width, width);
    APInt v(type.getWidth(), raw);
    result.push_back(isUnsigned ? static_cast<int64_t>(v.getZExtValue())
                                : v.getSExtValue());
  }
  return result;
}

std::optional<SmallVector<double>> mlir::paso::readFloatConstant(Value value) {
  ElementsAttr attr = constantAttr(value);
  if (!attr || !isa<FloatType>(attr.getElementType()))
    return std::nullopt;
  SmallVector<double> result;
  if (auto dense = dyn_cast<DenseFPElementsAttr>(attr)) {
    for (const APFloat &v : dense.getValues<APFloat>())
      result.push_back(v.convertToDouble());
    return result;
  }
  auto type = cast<FloatType>(attr.getElementType());
  ArrayRef<char> bytes = resourceBytes(attr);
  unsigned width = type.getWidth() / 8;
  int64_t count = attr.getNumElements();
  if (bytes.size() != static_cast<size_t>(count * width))
    return std::nullopt;
  for (int64_t i = 0; i < count; ++i) {
    uint64_t raw = 0;
    std::memcpy(&raw, bytes.data() + i * width, width);
    APFloat v(type.getFloatSemantics(), APInt(type.getWidth(), raw));
    result.push_back(v.convertToDouble());
  }
  return result;
}
