//===- ConstantData.cpp - read and make f32 weight constants --------------===//

#include "paso/Dialect/Paso/Transforms/ConstantData.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;

/// Tensors up to this many elements stay inline, as the importer does.
constexpr int64_t kMaxInlineElements = 16;

std::optional<SmallVector<float>> mlir::paso::readF32Constant(Value value) {
  auto constant = value ? value.getDefiningOp<ConstantOp>() : ConstantOp();
  if (!constant || !constant.getType().getElementType().isF32())
    return std::nullopt;
  Attribute attr = constant.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(attr))
    return llvm::to_vector(dense.getValues<float>());
  if (auto resource = dyn_cast<DenseF32ResourceElementsAttr>(attr)) {
    std::optional<ArrayRef<float>> data = resource.tryGetAsArrayRef();
    if (!data)
      return std::nullopt;
    return SmallVector<float>(data->begin(), data->end());
  }
  return std::nullopt;
}

ElementsAttr mlir::paso::makeF32Elements(RankedTensorType type,
                                         ArrayRef<float> values,
                                         StringRef name) {
  if (type.getNumElements() <= kMaxInlineElements)
    return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/16)));
}

ElementsAttr mlir::paso::makeF16Elements(RankedTensorType type,
                                         ArrayRef<float> values,
                                         StringRef name) {
  // Round to nearest, ties to even, as a hardware conversion does.
  SmallVector<APFloat> halves;
  for (float v : values) {
    APFloat half(v);
    bool lostInfo = false;
    half.convert(APFloat::IEEEhalf(), APFloat::rmNearestTiesToEven, &lostInfo);
    halves.push_back(half);
  }
  if (type.getNumElements() <= kMaxInlineElements)
    return cast<ElementsAttr>(DenseElementsAttr::get(type, halves));
  SmallVector<char> bytes;
  for (const APFloat &half : halves) {
    uint64_t bits = half.bitcastToAPInt().getZExtValue();
    bytes.push_back(static_cast<char>(bits & 0xff));
    bytes.push_back(static_cast<char>(bits >> 8));
  }
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/16)));
}

ElementsAttr mlir::paso::makeIntElements(RankedTensorType type,
                                         ArrayRef<int64_t> values,
                                         StringRef name) {
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  if (type.getNumElements() <= kMaxInlineElements) {
    SmallVector<APInt> ints;
    for (int64_t v : values)
      ints.push_back(APInt(width, static_cast<uint64_t>(v),
                           /*isSigned=*/true, /*implicitTrunc=*/true));
    return cast<ElementsAttr>(DenseElementsAttr::get(type, ints));
  }
  SmallVector<char> bytes;
  for (int64_t v : values)
    for (unsigned b = 0; b < width / 8; ++b)
      bytes.push_back(static_cast<char>((static_cast<uint64_t>(v) >> (8 * b)) &
                                        0xff));
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/16)));
}
