//===- GpuOffload.cpp - place linalg ops on the GPU or the CPU ------------===//
//
// The partition of a CUDA model: which ops become kernels, what crosses
// between host and device memory, and where the host waits. The kernels
// themselves come from upstream MLIR (parallel loops -> gpu.launch);
// this pass only shapes their loops into a grid of blocks of threads.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "paso/Target/CUDA/CudaBackend.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <numeric>

namespace mlir::paso {
#define GEN_PASS_DEF_PASOGPUOFFLOADPASS
#include "paso/Target/CUDA/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// A static shape with static strides and offset: the launch passes them
/// as constants, and the CPU's arena plan needs nothing else.
bool isStaticBuffer(Type type) {
  auto memref = dyn_cast<MemRefType>(type);
  if (!memref || !memref.hasStaticShape())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(memref.getStridesAndOffset(strides, offset)))
    return false;
  return !ShapedType::isDynamic(offset) &&
         llvm::none_of(strides, ShapedType::isDynamic);
}

bool isKernelElement(Type type) {
  return type.isF16() || type.isF32() || type.isF64() || type.isBF16() ||
         type.isSignlessInteger() || type.isUnsignedInteger() ||
         type.isIndex();
}

/// Whether `op` reads or writes memory (or may: calls, unknown ops, ops
/// with regions). Views, constants and allocations do not.
bool touchesMemory(Operation *op) {
  if (isa<func::ReturnOp, memref::AllocOp, memref::AllocaOp,
          memref::DeallocOp, memref::GetGlobalOp>(op) ||
      isa<ViewLikeOpInterface>(op))
    return false;
  if (op->getNumRegions() > 0)
    return true;
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return !op->hasTrait<OpTrait::ConstantLike>();
  return effects.hasEffect<MemoryEffects::Read>() ||
         effects.hasEffect<MemoryEffects::Write>();
}

/// Why `op` cannot run as a kernel; empty when it can.
std::string gpuRefusal(Operation *op) {
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!linalgOp)
    return "no GPU lowering for " + op->getName().getStringRef().str();
  if (!linalgOp.hasPureBufferSemantics())
    return "not on buffers";
  for (Value operand : op->getOperands()) {
    if (!isa<MemRefType>(operand.getType()))
      continue;
    if (!isStaticBuffer(operand.getType()))
      return "a buffer of dynamic shape or strides";
    Type element = cast<MemRefType>(operand.getType()).getElementType();
    if (!isKernelElement(element)) {
      std::string text;
      llvm::raw_string_ostream(text) << "elements of type " << element;
      return text;
    }
  }
  std::string refusal;
  op->walk([&](Operation *inner) {
    if (inner == op || isa<linalg::YieldOp, linalg::IndexOp>(inner) ||
        isa<arith::ArithDialect, math::MathDialect>(inner->getDialect()))
      return WalkResult::advance();
    // Signedness casts (ui8 <-> i8), which the LLVM lowering erases.
    if (auto cast = dyn_cast<UnrealizedConversionCastOp>(inner);
        cast && cast->getNumOperands() == 1 && cast->getNumResults() == 1) {
      auto from = dyn_cast<IntegerType>(cast->getOperand(0).getType());
      auto to = dyn_cast<IntegerType>(cast->getResult(0).getType());
      if (from && to && from.getWidth() == to.getWidth())
        return WalkResult::advance();
    }
    // A gather's table, read by index: it is mapped like any operand.
    if (auto load = dyn_cast<memref::LoadOp>(inner);
        load && isStaticBuffer(load.getMemRef().getType()) &&
        !op->isAncestor(load.getMemRef().getParentBlock()->getParentOp()))
      return WalkResult::advance();
    refusal = "its body has " + inner->getName().getStringRef().str();
    return WalkResult::interrupt();
  });
  if (!refusal.empty())
    return refusal;
  if (linalgOp.getNumParallelLoops() == 0)
    return "no parallel loop (a reduction to one value)";
  return "";
}

/// The loop order that puts `op`'s parallel loops first, or empty when
/// they already are.
SmallVector<unsigned> parallelFirst(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] == utils::IteratorType::parallel)
      order.push_back(i);
  for (unsigned i = 0; i < iterators.size(); ++i)
    if (iterators[i] != utils::IteratorType::parallel)
      order.push_back(i);
  bool identity = true;
  for (unsigned i = 0; i < order.size(); ++i)
    identity &= order[i] == i;
  return identity ? SmallVector<unsigned>() : order;
}

/// A reduction loop reads and writes its accumulator in memory each
/// iteration (linalg's loops); on the GPU that is a global load and store
/// per multiply-add. When the loop's body loads and stores one element of
/// a buffer at indices fixed outside the loop, and touches that buffer no
/// other way, the element becomes a loop-carried value: one load before,
/// one store after. Applied innermost first, so a convolution's three
/// reduction loops all carry it. Returns the new loop, or null.
scf::ForOp carryAccumulator(RewriterBase &rewriter, scf::ForOp loop) {
  Block *body = loop.getBody();
  for (auto load : body->getOps<memref::LoadOp>()) {
    Value buffer = load.getMemRef();
    auto definedOutside = [&](Value value) {
      return !loop->isAncestor(value.getParentBlock()->getParentOp());
    };
    if (!definedOutside(buffer) ||
        !llvm::all_of(load.getIndices(), definedOutside))
      continue;
    memref::StoreOp store;
    bool other = false;
    loop.getBody()->walk([&](Operation *op) {
      if (op == load.getOperation())
        return;
      auto candidate = dyn_cast<memref::StoreOp>(op);
      if (candidate && candidate.getMemRef() == buffer &&
          candidate->getBlock() == body && !store &&
          candidate.getIndices() == load.getIndices() &&
          load->isBeforeInBlock(candidate)) {
        store = candidate;
        return;
      }
      if (llvm::is_contained(op->getOperands(), buffer))
        other = true;
    });
    if (!store || other)
      continue;
    rewriter.setInsertionPoint(loop);
    Value initial = memref::LoadOp::create(rewriter, load.getLoc(), buffer,
                                           load.getIndices());
    auto carried = cast<scf::ForOp>(*loop.replaceWithAdditionalYields(
        rewriter, initial, /*replaceInitOperandUsesInLoop=*/false,
        [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
          return SmallVector<Value>{store.getValue()};
        }));
    Value accumulator = carried.getRegionIterArgs().back();
    rewriter.replaceAllUsesWith(load.getResult(), accumulator);
    rewriter.eraseOp(load);
    rewriter.eraseOp(store);
    rewriter.setInsertionPointAfter(carried);
    memref::StoreOp::create(rewriter, carried.getLoc(),
                            carried.getResults().back(), buffer,
                            store.getIndices());
    return carried;
  }
  return {};
}

struct Placement {
  Operation *op;
  std::string refusal; // empty: on the GPU
};

struct PasoGpuOffloadPass
    : paso::impl::PasoGpuOffloadPassBase<PasoGpuOffloadPass> {
  using Base::Base;

  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isExternal() || func.isPrivate())
        continue;
      if (failed(offload(func)))
        return signalPassFailure();
    }
  }

  LogicalResult offload(func::FuncOp func) {
    Block &body = func.getBody().front();
    IRRewriter rewriter(func.getContext());
    // A copy is a kernel like any other: concatenations and pads are
    // copies into views.
    for (auto copy : llvm::make_early_inc_range(body.getOps<memref::CopyOp>()))
      if (isStaticBuffer(copy.getSource().getType()) &&
          isStaticBuffer(copy.getTarget().getType())) {
        rewriter.setInsertionPoint(copy);
        rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                    copy.getTarget());
      }
    std::vector<Placement> placements;
    for (Operation &op : body)
      if (touchesMemory(&op))
        placements.push_back({&op, gpuRefusal(&op)});
    recordPlacement(func, placements);
    if (llvm::all_of(placements,
                     [](const Placement &p) { return !p.refusal.empty(); }))
      return success();

    insertWaits(func, placements);
    moveArgumentsToDevice(func);
    DenseMap<Operation *, Value> deviceCopies;
    for (const Placement &placement : placements)
      if (placement.refusal.empty())
        readConstantsFromDevice(func, placement.op, deviceCopies);
    uploadConstantsOnce(func, deviceCopies);
    for (const Placement &placement : placements)
      if (placement.refusal.empty() &&
          failed(mapOntoGrid(rewriter, placement.op)))
        return failure();
    return success();
  }

  /// paso.cuda.placement: what runs where and why, for the report.
  void recordPlacement(func::FuncOp func, ArrayRef<Placement> placements) {
    Builder b(func.getContext());
    SmallVector<Attribute> records;
    for (const Placement &placement : placements) {
      Operation *op = placement.op;
      std::string name = op->getName().getStringRef().str();
      std::string reason = placement.refusal;
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op);
          matmul && reason.empty() && isTileableMatmul(matmul))
        reason = "16x16 tiles through shared memory";
      records.push_back(b.getDictionaryAttr(
          {b.getNamedAttr("device", b.getStringAttr(placement.refusal.empty()
                                                        ? "gpu"
                                                        : "cpu")),
           b.getNamedAttr("op", b.getStringAttr(name)),
           b.getNamedAttr("reason", b.getStringAttr(reason)),
           b.getNamedAttr("loc", LocationAttr(op->getLoc()))}));
    }
    // On the module: the function's attributes do not survive the
    // lowering to the LLVM dialect, and the report reads it after that.
    auto module = func->getParentOfType<ModuleOp>();
    if (auto earlier = module->getAttrOfType<ArrayAttr>(kCudaPlacementAttr))
      records.insert(records.begin(), earlier.begin(), earlier.end());
    module->setAttr(kCudaPlacementAttr, b.getArrayAttr(records));
  }

  /// A CPU op that follows GPU work waits for it; the inputs' copies at
  /// entry count as GPU work.
  void insertWaits(func::FuncOp func, ArrayRef<Placement> placements) {
    OpBuilder builder(func.getContext());
    bool pending = true;
    for (const Placement &placement : placements) {
      if (placement.refusal.empty()) {
        pending = true;
        continue;
      }
      if (!pending)
        continue;
      builder.setInsertionPoint(placement.op);
      gpu::WaitOp::create(builder, placement.op->getLoc(), Type(),
                          ValueRange());
      pending = false;
    }
  }

  /// Every argument is the caller's (pageable) memory: each gets a twin
  /// in the managed arena. Inputs (the first `paso.num_inputs`) are copied
  /// in at entry, outputs copied out before the return, after which the
  /// host waits.
  void moveArgumentsToDevice(func::FuncOp func) {
    Block &body = func.getBody().front();
    // prepareEntryFunction's count; without it (a test's function) every
    // argument is an input.
    auto inputsAttr = func->getAttrOfType<IntegerAttr>("paso.num_inputs");
    unsigned numInputs =
        inputsAttr ? inputsAttr.getInt() : func.getNumArguments();
    OpBuilder builder = OpBuilder::atBlockBegin(&body);
    Operation *ret = body.getTerminator();
    for (BlockArgument arg : body.getArguments()) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        continue;
      auto twin = memref::AllocOp::create(builder, func.getLoc(), type);
      arg.replaceAllUsesWith(twin.getResult());
      if (arg.getArgNumber() < numInputs) {
        gpu::MemcpyOp::create(builder, func.getLoc(), Type(), ValueRange(),
                              twin, arg);
        continue;
      }
      OpBuilder atEnd(ret);
      gpu::MemcpyOp::create(atEnd, func.getLoc(), Type(), ValueRange(), arg,
                            twin);
    }
    OpBuilder atEnd(ret);
    gpu::WaitOp::create(atEnd, func.getLoc(), Type(), ValueRange());
  }

  /// The device copy of `value` when it is (a view of) a constant global;
  /// null otherwise. Device copies of globals are persistent arena
  /// buffers, filled by uploadConstantsOnce.
  Value deviceValue(func::FuncOp func, Value value,
                    DenseMap<Operation *, Value> &copies) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return {};
    if (auto it = copies.find(def); it != copies.end())
      return it->second;
    if (auto global = dyn_cast<memref::GetGlobalOp>(def)) {
      OpBuilder builder = OpBuilder::atBlockBegin(&func.getBody().front());
      auto alloc = memref::AllocOp::create(builder, global.getLoc(),
                                           global.getType());
      alloc->setAttr("paso.persistent", builder.getUnitAttr());
      copies[def] = alloc;
      return alloc;
    }
    auto view = dyn_cast<ViewLikeOpInterface>(def);
    if (!view || def->getNumResults() != 1)
      return {};
    Value source = deviceValue(func, view.getViewSource(), copies);
    if (!source)
      return {};
    OpBuilder builder(def);
    builder.setInsertionPointAfter(def);
    IRMapping mapping;
    mapping.map(view.getViewSource(), source);
    Value cloned = builder.clone(*def, mapping)->getResult(0);
    copies[def] = cloned;
    return cloned;
  }

  /// Points `op`'s operands, and the buffers its body reads, at the
  /// device copies of the constants they come from.
  void readConstantsFromDevice(func::FuncOp func, Operation *op,
                               DenseMap<Operation *, Value> &copies) {
    op->walk([&](Operation *inner) {
      for (OpOperand &operand : inner->getOpOperands()) {
        if (!isa<MemRefType>(operand.get().getType()))
          continue;
        if (inner != op && op->isAncestor(operand.get().getParentBlock()
                                              ->getParentOp()))
          continue;
        if (Value device = deviceValue(func, operand.get(), copies))
          operand.set(device);
      }
    });
  }

  /// Copies every constant's device buffer once per context: a flag in
  /// the arena (zeroed when the context is made) says it is done.
  void uploadConstantsOnce(func::FuncOp func,
                           DenseMap<Operation *, Value> &copies) {
    SmallVector<std::pair<Value, Value>> uploads;
    for (auto [def, device] : copies)
      if (auto global = dyn_cast<memref::GetGlobalOp>(def))
        uploads.push_back({device, global.getResult()});
    if (uploads.empty())
      return;
    // Deterministic order: the device buffers' order in the function.
    llvm::sort(uploads, [](auto &a, auto &b) {
      return a.first.getDefiningOp()->isBeforeInBlock(
          b.first.getDefiningOp());
    });
    Block &body = func.getBody().front();
    Location loc = func.getLoc();
    // After the allocations and the inputs' copies at the top.
    Operation *first = &body.front();
    while (isa<memref::AllocOp, gpu::MemcpyOp>(first))
      first = first->getNextNode();
    OpBuilder builder(first);
    auto flagType = MemRefType::get({1}, builder.getI32Type());
    auto flag = memref::AllocOp::create(builder, loc, flagType);
    flag->setAttr("paso.persistent", builder.getUnitAttr());
    Value zero = arith::ConstantIndexOp::create(builder, loc, 0);
    Value done = memref::LoadOp::create(builder, loc, flag, zero);
    Value todo = arith::CmpIOp::create(
        builder, loc, arith::CmpIPredicate::eq, done,
        arith::ConstantIntOp::create(builder, loc, 0, 32));
    auto ifOp = scf::IfOp::create(builder, loc, todo, /*withElse=*/false);
    builder.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    for (auto [device, global] : uploads) {
      // The global's get_global may come later in the function.
      Value host = builder.clone(*global.getDefiningOp())->getResult(0);
      gpu::MemcpyOp::create(builder, loc, Type(), ValueRange(), device, host);
    }
    memref::StoreOp::create(builder, loc,
                            arith::ConstantIntOp::create(builder, loc, 1, 32),
                            flag, zero);
  }

  /// `op` as a grid: its parallel loops collapsed into one and tiled by
  /// the block size; the outer loop becomes the blocks and the inner one
  /// the threads (gpu-map-parallel-loops, which maps nesting levels).
  LogicalResult mapOntoGrid(IRRewriter &rewriter, Operation *op) {
    if (auto matmul = dyn_cast<linalg::MatmulOp>(op);
        matmul && isTileableMatmul(matmul)) {
      buildTiledMatmul(rewriter, matmul, emulate);
      return success();
    }
    auto linalgOp = cast<linalg::LinalgOp>(op);
    SmallVector<unsigned> order = parallelFirst(linalgOp);
    if (!order.empty()) {
      rewriter.setInsertionPoint(op);
      if (!isa<linalg::GenericOp>(op)) {
        FailureOr<linalg::GenericOp> generic =
            linalg::generalizeNamedOp(rewriter, linalgOp);
        if (failed(generic))
          return op->emitError("cannot reorder this op's loops for the GPU");
        linalgOp = *generic;
      }
      FailureOr<linalg::GenericOp> interchanged = linalg::interchangeGenericOp(
          rewriter, cast<linalg::GenericOp>(linalgOp.getOperation()), order);
      if (failed(interchanged))
        return op->emitError("cannot put this op's parallel loops first");
      linalgOp = *interchanged;
    }
    rewriter.setInsertionPoint(linalgOp);
    FailureOr<linalg::LinalgLoops> loops =
        linalg::linalgOpToParallelLoops(rewriter, linalgOp);
    if (failed(loops) || loops->empty())
      return linalgOp->emitError("cannot make parallel loops for the GPU");
    rewriter.eraseOp(linalgOp);
    auto loop = dyn_cast<scf::ParallelOp>(loops->front());
    if (!loop)
      return emitError(loops->front()->getLoc(),
                       "expected a parallel loop outermost");
    if (loop.getNumLoops() > 1) {
      std::vector<unsigned> all(loop.getNumLoops());
      std::iota(all.begin(), all.end(), 0);
      Operation *next = loop->getNextNode();
      collapseParallelLoops(rewriter, loop, {all});
      loop = cast<scf::ParallelOp>(next->getPrevNode());
    }
    auto [blocks, threads] =
        scf::tileParallelLoop(loop, {blockSize}, /*noMinMaxBounds=*/true);
    blocks->setAttr(kGpuGridAttr, rewriter.getUnitAttr());
    // The tile (1 x block size) as a constant rather than 1 x 256: the
    // threads loop's bound, and the edge guard, fold in the kernel.
    Value tile = blocks.getStep()[0];
    if (tile.getDefiningOp<arith::MulIOp>()) {
      rewriter.setInsertionPoint(tile.getDefiningOp());
      rewriter.replaceAllUsesWith(
          tile, arith::ConstantIndexOp::create(rewriter, tile.getLoc(),
                                               blockSize));
    }
    // Index arithmetic folded first: linalg's loops compute the same
    // output index once for the load and again for the store.
    RewritePatternSet patterns(rewriter.getContext());
    affine::AffineApplyOp::getCanonicalizationPatterns(patterns,
                                                       rewriter.getContext());
    if (failed(applyPatternsGreedily(threads, std::move(patterns))))
      return threads.emitError("cannot simplify the grid's index arithmetic");
    // Post-order: inner reduction loops first.
    SmallVector<scf::ForOp> reductions;
    threads.walk([&](scf::ForOp loop) { reductions.push_back(loop); });
    for (scf::ForOp reduction : reductions)
      while (scf::ForOp carried = carryAccumulator(rewriter, reduction))
        reduction = carried;
    return success();
  }
};

} // namespace
