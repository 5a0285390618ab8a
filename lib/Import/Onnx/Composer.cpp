//===- Composer.cpp - build an ONNX op out of several paso ops ------------===//

#include "Composer.h"

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
