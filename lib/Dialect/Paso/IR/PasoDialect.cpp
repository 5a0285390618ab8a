//===- PasoDialect.cpp - paso dialect registration ------------------------===//
//
// Registers the op families and materialises folded constants.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/IR/PasoDialect.h"

using namespace mlir;
using namespace mlir::paso;

#include "paso/Dialect/Paso/IR/PasoDialect.cpp.inc"

void PasoDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "paso/Dialect/Paso/IR/PasoMathOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "paso/Dialect/Paso/IR/PasoNNOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "paso/Dialect/Paso/IR/PasoTensorOps.cpp.inc"
      >();
  addOperations<
#define GET_OP_LIST
#include "paso/Dialect/Paso/IR/PasoQuantOps.cpp.inc"
      >();
}

Operation *PasoDialect::materializeConstant(OpBuilder &builder,
                                            Attribute value, Type type,
                                            Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, elements);
}
