//===- PlanArena.cpp - place intermediate buffers in one arena ------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

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

/// The span of top-level operations (by position in the function body)
/// during which a buffer holds live data.
struct Interval {
  int64_t begin, end;
  bool overlaps(const Interval &other) const {
    return begin <= other.end && other.begin <= end;
  }
};

/// Position of the top-level ancestor of `op` in `body`.
int64_t topLevelPosition(Operation *op, Block &body,
                         const DenseMap<Operation *, int64_t> &positions) {
  Operation *ancestor = body.findAncestorOpInBlock(*op);
  return ancestor ? positions.lookup(ancestor) : 0;
}

/// Live interval of each alloc: from its definition to the last use of it
/// or of any view aliasing it. Buffers used inside a loop or region count as
/// used by the op that holds the region. A buffer that escapes to a return
/// or call lives to the end.
SmallVector<Interval> liveIntervals(func::FuncOp func,
                                    ArrayRef<memref::AllocOp> allocs) {
  Block &body = func.getBody().front();
  DenseMap<Operation *, int64_t> positions;
  int64_t position = 0;
  for (Operation &op : body)
    positions[&op] = position++;
  int64_t last = position;
  SmallVector<Interval> intervals;
  for (memref::AllocOp alloc : allocs) {
    Interval interval{topLevelPosition(alloc, body, positions), 0};
    interval.end = interval.begin;
    // Kept from one run to the next (a GPU's copy of the weights).
    if (alloc->hasAttr("paso.persistent")) {
      intervals.push_back({0, last});
      continue;
    }
    SmallVector<Value> worklist{alloc.getResult()};
    while (!worklist.empty()) {
      Value value = worklist.pop_back_val();
      bool isBuffer = isa<BaseMemRefType>(value.getType());
      for (OpOperand &use : value.getUses()) {
        Operation *user = use.getOwner();
        // A buffer passed as a memref may be kept by the callee; a pointer
        // passed as an integer (the runtime kernels) is used during the
        // call only.
        if (isa<func::ReturnOp>(user) ||
            (isBuffer && isa<func::CallOp>(user))) {
          interval.end = last;
          continue;
        }
        interval.end = std::max(interval.end,
                                topLevelPosition(user, body, positions));
        // Views alias the buffer, and a pointer taken from it (with the
        // integer arithmetic on it) reaches it until its last use: CSE
        // may share one pointer between several kernel calls.
        if (isa<ViewLikeOpInterface>(user))
          for (Value result : user->getResults())
            if (isa<BaseMemRefType>(result.getType()))
              worklist.push_back(result);
        if (isa<memref::ExtractAlignedPointerAsIndexOp, arith::IndexCastOp,
                arith::AddIOp>(user))
          worklist.push_back(user->getResult(0));
        if (auto metadata = dyn_cast<memref::ExtractStridedMetadataOp>(user))
          worklist.push_back(metadata.getBaseBuffer());
      }
    }
    intervals.push_back(interval);
  }
  return intervals;
}

/// Greedy first-fit placement, largest buffers first: each buffer takes the
/// lowest 64-byte aligned offset that does not collide with a placed buffer
/// whose live interval overlaps its own.
SmallVector<int64_t> assignOffsets(ArrayRef<memref::AllocOp> allocs,
                                   ArrayRef<Interval> intervals) {
  SmallVector<int64_t> sizes;
  for (memref::AllocOp alloc : allocs)
    sizes.push_back(llvm::alignTo(byteSize(alloc.getType()), kArenaAlignment));
  SmallVector<size_t> order = llvm::to_vector(llvm::seq<size_t>(0, allocs.size()));
  llvm::stable_sort(order, [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  SmallVector<int64_t> offsets(allocs.size(), -1);
  SmallVector<size_t> placed;
  for (size_t i : order) {
    SmallVector<std::pair<int64_t, int64_t>> busy;
    for (size_t j : placed)
      if (intervals[i].overlaps(intervals[j]))
        busy.push_back({offsets[j], offsets[j] + sizes[j]});
    llvm::sort(busy);
    int64_t offset = 0;
    for (auto [begin, end] : busy) {
      if (offset + sizes[i] <= begin)
        break;
      offset = std::max(offset, end);
    }
    offsets[i] = offset;
    placed.push_back(i);
  }
  return offsets;
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

    SmallVector<Interval> intervals = liveIntervals(func, allocs);
    int64_t naive = 0;
    for (memref::AllocOp alloc : allocs)
      naive += llvm::alignTo(byteSize(alloc.getType()), kArenaAlignment);
    SmallVector<int64_t> offsets = assignOffsets(allocs, intervals);
    int64_t size = 0;
    for (auto [alloc, offset] : llvm::zip(allocs, offsets))
      size = std::max<int64_t>(
          size, offset + llvm::alignTo(byteSize(alloc.getType()),
                                       kArenaAlignment));

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
    func->setAttr("paso.arena_naive_size", builder.getI64IntegerAttr(naive));
    return success();
  }
};

} // namespace
