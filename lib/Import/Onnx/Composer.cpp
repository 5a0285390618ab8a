//===- Composer.cpp - build an ONNX op out of several paso ops ------------===//

#include "Composer.h"

#include "mlir/IR/DialectResourceBlobManager.h"

#include <cstring>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::onnx_import;

Value Composer::constant(RankedTensorType type, double value) {
  Type element = type.getElementType();
  Attribute fill;
  if (isa<FloatType>(element))
    fill = FloatAttr::get(element, value);
  else if (element.isInteger(1))
    fill = BoolAttr::get(node.getContext(), value != 0);
  else if (isa<IntegerType>(element))
    fill = IntegerAttr::get(element, static_cast<int64_t>(value));
  else
    return error("cannot make a constant of this element type");
  return node.constant(
      llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, fill)));
}

Value Composer::allOnes(RankedTensorType type) {
  Type element = type.getElementType();
  auto fill = IntegerAttr::get(
      element, APInt::getAllOnes(element.getIntOrFloatBitWidth()));
  return node.constant(
      llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, Attribute(fill))));
}

Value Composer::sliceAxis(Value v, int64_t axis, int64_t start, int64_t end) {
  if (!v)
    return v;
  ArrayRef<int64_t> shape = shapeOf(v);
  SmallVector<int64_t> starts(shape.size(), 0), ends(shape), steps(
                                                          shape.size(), 1);
  starts[axis] = start;
  ends[axis] = end;
  return op<SliceOp>(v, {node.arrayAttr("starts", starts),
                         node.arrayAttr("ends", ends),
                         node.arrayAttr("steps", steps)});
}

Value Composer::rearrangedConstant(Value w, RankedTensorType type,
                                   llvm::function_ref<int64_t(int64_t)> source,
                                   StringRef name) {
  auto constant = w ? w.getDefiningOp<ConstantOp>() : ConstantOp();
  unsigned bits = type.getElementTypeBitWidth();
  if (!constant || bits % 8 != 0)
    return {};
  Attribute attr = constant.getValue();
  auto dense = dyn_cast<DenseElementsAttr>(attr);
  ArrayRef<char> bytes;
  if (dense) {
    bytes = dense.getRawData();
  } else if (auto resource = dyn_cast<DenseResourceElementsAttr>(attr)) {
    AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return {};
    bytes = blob->getData();
  } else {
    return {};
  }
  size_t width = bits / 8;
  int64_t available = dense && dense.isSplat()
                          ? 1
                          : static_cast<int64_t>(bytes.size() / width);
  SmallVector<char> out(type.getNumElements() * width, 0);
  for (int64_t i = 0, e = type.getNumElements(); i < e; ++i) {
    int64_t from = source(i);
    if (from < 0)
      continue; // a zero: a tap the filter does not have
    if (dense && dense.isSplat())
      from = 0;
    if (from >= available)
      return {};
    std::memcpy(out.data() + i * width, bytes.data() + from * width, width);
  }
  return node.constant(elementsFromBytes(type, out, name));
}
