//===- FlattenGlobals.cpp - 1-D storage for constant globals --------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOFLATTENGLOBALSPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// `value` retyped to the 1-D `type`, or null when it cannot be.
Attribute flattenValue(Attribute value, RankedTensorType type) {
  if (auto dense = dyn_cast<DenseElementsAttr>(value))
    return dense.reshape(type);
  if (auto resource = dyn_cast<DenseResourceElementsAttr>(value))
    return DenseResourceElementsAttr::get(type, resource.getRawHandle());
  return {};
}

struct PasoFlattenGlobalsPass
    : paso::impl::PasoFlattenGlobalsPassBase<PasoFlattenGlobalsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    llvm::StringMap<MemRefType> flattened;
    for (auto global : module.getOps<memref::GlobalOp>()) {
      MemRefType type = global.getType();
      auto initial = global.getInitialValue();
      if (type.getRank() <= 1 || !type.hasStaticShape() ||
          !type.getLayout().isIdentity() || !initial)
        continue;
      auto flatType = MemRefType::get({type.getNumElements()},
                                      type.getElementType(), AffineMap(),
                                      type.getMemorySpace());
      Attribute value = flattenValue(
          *initial, RankedTensorType::get(flatType.getShape(),
                                          flatType.getElementType()));
      if (!value)
        continue;
      global.setType(flatType);
      global.setInitialValueAttr(value);
      flattened[global.getSymName()] = type;
    }
    module.walk([&](memref::GetGlobalOp get) {
      auto it = flattened.find(get.getName());
      if (it == flattened.end())
        return;
      MemRefType shaped = it->second;
      OpBuilder builder(get);
      auto flatType = MemRefType::get({shaped.getNumElements()},
                                      shaped.getElementType(), AffineMap(),
                                      shaped.getMemorySpace());
      auto flat = memref::GetGlobalOp::create(builder, get.getLoc(), flatType,
                                              get.getName());
      SmallVector<ReassociationIndices> all{
          llvm::to_vector(llvm::seq<int64_t>(0, shaped.getRank()))};
      Value view = memref::ExpandShapeOp::create(builder, get.getLoc(), shaped,
                                                 flat, all);
      get.replaceAllUsesWith(view);
      get.erase();
    });
  }
};

} // namespace
