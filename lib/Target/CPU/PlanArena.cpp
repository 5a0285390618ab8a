//===- PlanArena.cpp - place intermediate buffers in one arena ------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOPLANARENAPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

constexpr int64_t kArenaAlignment = 64;

/// Bytes of a static memref; i1 elements take a byte each.
int64_t byteSize(MemRefType type) {
  int64_t bits = type.getElementTypeBitWidth();
  return type.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
}

struct PasoPlanArenaPass
    : paso::impl::PasoPlanArenaPassBase<PasoPlanArenaPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      if (failed(planFunction(func)))
        return signalPassFailure();
    }
  }

  LogicalResult planFunction(func::FuncOp func) {
    SmallVector<memref::AllocOp> allocs;
    WalkResult walk = func.walk([&](memref::AllocOp alloc) {
      if (!alloc.getType().hasStaticShape() ||
          !alloc.getType().getLayout().isIdentity()) {
        alloc.emitError("the arena plan needs static, identity-layout "
                        "buffers");
        return WalkResult::interrupt();
      }
      allocs.push_back(alloc);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();

    int64_t size = 0;
    SmallVector<int64_t> offsets;
    for (memref::AllocOp alloc : allocs) {
      offsets.push_back(size);
      size += llvm::alignTo(byteSize(alloc.getType()), kArenaAlignment);
    }
    OpBuilder builder(func.getContext());
    auto arenaType =
        MemRefType::get({std::max<int64_t>(size, 1)}, builder.getI8Type());
    unsigned index = func.getNumArguments();
    if (failed(func.insertArgument(index, arenaType,
                                   builder.getDictionaryAttr({}),
                                   func.getLoc())))
      return failure();
    Value arena = func.getArgument(index);
    for (auto [alloc, offset] : llvm::zip(allocs, offsets)) {
      builder.setInsertionPoint(alloc);
      Value shift =
          arith::ConstantIndexOp::create(builder, alloc.getLoc(), offset);
      Value view = memref::ViewOp::create(builder, alloc.getLoc(),
                                          alloc.getType(), arena, shift,
                                          ValueRange{});
      for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
        if (isa<memref::DeallocOp>(user))
          user->erase();
      alloc.replaceAllUsesWith(view);
      alloc.erase();
    }
    func->setAttr("paso.arena_size", builder.getI64IntegerAttr(size));
    return success();
  }
};

} // namespace
