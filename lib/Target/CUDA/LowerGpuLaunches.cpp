//===- LowerGpuLaunches.cpp - launches and copies as runtime calls --------===//
//
// The host side of the GPU path. Upstream's gpu-to-llvm would call the
// mgpu* wrappers, which load modules in global constructors and cannot
// report a failure; a model must instead fail cleanly without a GPU and
// keep its module, stream and arena per context. So launches, copies and
// waits call the model runtime's CUDA layer (paso_cuda.c), which owns
// those and records the first driver error for paso_run to return.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CUDA/CudaBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOLOWERGPULAUNCHESPASS
#include "paso/Target/CUDA/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// A value as a 64-bit kernel parameter slot (floats by their bits; the
/// driver reads a parameter's own size from the slot's start).
Value asSlot(OpBuilder &b, Location loc, Value value) {
  Type i64 = b.getI64Type();
  Type type = value.getType();
  if (type.isIndex())
    return arith::IndexCastOp::create(b, loc, i64, value);
  if (auto integer = dyn_cast<IntegerType>(type)) {
    if (integer.getWidth() == 64)
      return value;
    if (integer.getWidth() == 1)
      return arith::ExtUIOp::create(b, loc, i64, value);
    return arith::ExtSIOp::create(b, loc, i64, value);
  }
  if (type.isF32())
    return arith::ExtUIOp::create(
        b, loc, i64, arith::BitcastOp::create(b, loc, b.getI32Type(), value));
  if (type.isF64())
    return arith::BitcastOp::create(b, loc, i64, value);
  return {};
}

/// The address of a static buffer's first element, as i64.
Value firstElementAddress(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto [strides, offset] = type.getStridesAndOffset();
  Value base = arith::IndexCastOp::create(
      b, loc, b.getI64Type(),
      memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer));
  int64_t bytes = offset * type.getElementTypeBitWidth() / 8;
  if (bytes == 0)
    return base;
  return arith::AddIOp::create(
      b, loc, base, arith::ConstantIntOp::create(b, loc, bytes, 64));
}

/// The parameter count of each `.entry` in `ptx`.
llvm::StringMap<int64_t> entryParameters(StringRef ptx) {
  llvm::StringMap<int64_t> counts;
  size_t at = 0;
  while ((at = ptx.find(".entry ", at)) != StringRef::npos) {
    at += 7;
    size_t open = ptx.find('(', at), close = ptx.find(')', at);
    if (open == StringRef::npos || close == StringRef::npos)
      break;
    StringRef name = ptx.slice(at, open).trim();
    counts[name] = ptx.slice(open, close).count(".param");
    at = close;
  }
  return counts;
}

int64_t slotCount(gpu::LaunchFuncOp launch) {
  int64_t count = 0;
  for (Value operand : launch.getKernelOperands())
    if (auto type = dyn_cast<MemRefType>(operand.getType()))
      count += 3 + 2 * type.getRank();
    else
      ++count;
  return count;
}

func::FuncOp declare(ModuleOp module, StringRef name, FunctionType type) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
  auto func = func::FuncOp::create(builder, module.getLoc(), name, type);
  func.setPrivate();
  return func;
}

struct PasoLowerGpuLaunchesPass
    : paso::impl::PasoLowerGpuLaunchesPassBase<PasoLowerGpuLaunchesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (emulate) {
      // The kernels' own math, so that emulation computes what the GPU
      // would.
      SmallVector<Operation *> grids;
      module.walk([&](scf::ParallelOp loop) {
        if (loop->hasAttr(kGpuGridAttr))
          grids.push_back(loop);
      });
      for (Operation *grid : grids)
        if (failed(rewriteMathForGpu(grid)))
          return signalPassFailure();
      module.walk([](Operation *op) {
        OpBuilder b(op);
        if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
          memref::CopyOp::create(b, op->getLoc(), copy.getSrc(),
                                 copy.getDst());
          op->erase();
        } else if (isa<gpu::WaitOp>(op)) {
          op->erase();
        }
      });
      return;
    }
    std::string ptx;
    for (auto binary : llvm::make_early_inc_range(module.getOps<gpu::BinaryOp>())) {
      for (Attribute attr : binary.getObjects())
        ptx += cast<gpu::ObjectAttr>(attr).getObject().getValue().str();
    }
    if (!ptx.empty() && failed(checkSelfContained(module, ptx)))
      return signalPassFailure();

    SmallVector<std::string> kernels;
    int64_t slots = 1;
    // The host fills one slot per kernel parameter, in the order NVVM's
    // lowering expands them; a mismatch would pass garbage on the board.
    llvm::StringMap<int64_t> parameters = entryParameters(ptx);
    WalkResult checked = module.walk([&](gpu::LaunchFuncOp launch) {
      slots = std::max(slots, slotCount(launch));
      auto it = parameters.find(launch.getKernelName().getValue());
      if (it == parameters.end() || it->second != slotCount(launch)) {
        launch.emitError("the PTX entry of ")
            << launch.getKernelName() << " does not take the "
            << slotCount(launch) << " parameters the launch passes";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (checked.wasInterrupted())
      return signalPassFailure();
    Builder b(module.getContext());
    Type i64 = b.getI64Type();
    auto slotType = MemRefType::get({slots}, i64);
    WalkResult walk = module.walk([&](Operation *op) {
      if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op))
        return succeeded(lowerLaunch(launch, slotType, kernels))
                   ? WalkResult::advance()
                   : WalkResult::interrupt();
      OpBuilder builder(op);
      Location loc = op->getLoc();
      if (auto copy = dyn_cast<gpu::MemcpyOp>(op)) {
        auto type = cast<MemRefType>(copy.getDst().getType());
        // One byte range each side: what the offload pass copies (the
        // arguments, the weights and their arena twins) is dense.
        for (Value side : {copy.getDst(), copy.getSrc()})
          if (!memref::isStaticShapeAndContiguousRowMajor(
                  cast<MemRefType>(side.getType()))) {
            op->emitError("a GPU copy needs dense buffers");
            return WalkResult::interrupt();
          }
        int64_t bytes =
            type.getNumElements() * type.getElementTypeBitWidth() / 8;
        func::FuncOp callee = declare(
            module, "paso_cuda_copy", b.getFunctionType({i64, i64, i64}, {}));
        func::CallOp::create(
            builder, loc, callee,
            ValueRange{firstElementAddress(builder, loc, copy.getDst()),
                       firstElementAddress(builder, loc, copy.getSrc()),
                       arith::ConstantIntOp::create(builder, loc, bytes, 64)});
        op->erase();
      } else if (isa<gpu::WaitOp>(op)) {
        func::FuncOp callee =
            declare(module, "paso_cuda_sync", b.getFunctionType({}, {}));
        func::CallOp::create(builder, loc, callee, ValueRange());
        op->erase();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (auto binary : llvm::make_early_inc_range(module.getOps<gpu::BinaryOp>()))
      binary.erase();
    module->removeAttr(gpu::GPUDialect::getContainerModuleAttrName());
    module->setAttr(kCudaPtxAttr, b.getStringAttr(ptx));
    module->setAttr(kCudaKernelsAttr, b.getStrArrayAttr(llvm::to_vector_of<StringRef>(kernels)));
  }

  /// A function the PTX calls but does not define would make the driver
  /// reject the module on the board: say which, at compile time.
  LogicalResult checkSelfContained(ModuleOp module, StringRef ptx) {
    // `.extern .func (.param .b32 func_retval0) __nv_expf(`, the
    // parameters perhaps on the next lines: the name is the line's last
    // identifier once a trailing parenthesis is dropped.
    SmallVector<std::string> missing;
    SmallVector<StringRef> lines;
    ptx.split(lines, '\n');
    for (StringRef line : lines) {
      line = line.trim();
      if (!line.starts_with(".extern"))
        continue;
      StringRef head = line;
      head.consume_back("(");
      head = head.rtrim();
      size_t start = head.find_last_not_of(
          "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");
      missing.push_back(
          (start == StringRef::npos ? head : head.drop_front(start + 1)).str());
    }
    if (missing.empty())
      return success();
    return module.emitError("the GPU kernels call functions the PTX does "
                            "not define (libdevice is not linked): ")
           << llvm::join(missing, ", ");
  }

  LogicalResult lowerLaunch(gpu::LaunchFuncOp launch, MemRefType slotType,
                            SmallVector<std::string> &kernels) {
    OpBuilder b(launch);
    Location loc = launch.getLoc();
    auto func = launch->getParentOfType<func::FuncOp>();
    std::string name = launch.getKernelName().str();
    auto *it = llvm::find(kernels, name);
    int64_t index = it - kernels.begin();
    if (it == kernels.end())
      kernels.push_back(name);
    if (launch.getDynamicSharedMemorySize() || launch.getClusterSizeX())
      return launch.emitError("launches with dynamic shared memory or "
                              "clusters are not supported");

    // One slot array per function, at its entry, reused by every launch:
    // the driver copies the parameters when the launch is queued.
    Value slots;
    Block &entry = func.getBody().front();
    for (auto alloca : entry.getOps<memref::AllocaOp>())
      if (alloca->hasAttr("paso.cuda.slots"))
        slots = alloca;
    if (!slots) {
      OpBuilder atEntry = OpBuilder::atBlockBegin(&entry);
      auto alloca = memref::AllocaOp::create(atEntry, loc, slotType);
      alloca->setAttr("paso.cuda.slots", atEntry.getUnitAttr());
      slots = alloca;
    }
    int64_t count = 0;
    auto store = [&](Value value) {
      memref::StoreOp::create(
          b, loc, value, slots,
          ValueRange{arith::ConstantIndexOp::create(b, loc, count++)});
    };
    auto constant = [&](int64_t value) -> Value {
      return arith::ConstantIntOp::create(b, loc, value, 64);
    };
    for (Value operand : launch.getKernelOperands()) {
      auto type = dyn_cast<MemRefType>(operand.getType());
      if (!type) {
        Value slot = asSlot(b, loc, operand);
        if (!slot)
          return launch.emitError("kernel parameter of type ")
                 << operand.getType() << " cannot be passed";
        store(slot);
        continue;
      }
      // The expanded descriptor NVVM's kernel signature takes: allocated
      // and aligned pointers, offset, sizes, strides.
      auto [strides, offset] = type.getStridesAndOffset();
      Value pointer = arith::IndexCastOp::create(
          b, loc, b.getI64Type(),
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, operand));
      store(pointer);
      store(pointer);
      store(constant(offset));
      for (int64_t size : type.getShape())
        store(constant(size));
      for (int64_t stride : strides)
        store(constant(stride));
    }
    Type i32 = b.getI32Type(), i64 = b.getI64Type();
    func::FuncOp callee = declare(
        launch->getParentOfType<ModuleOp>(), "paso_cuda_launch",
        b.getFunctionType({i32, i64, i64, i64, i64, i64, i64, slotType, i32},
                          {}));
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    func::CallOp::create(
        b, loc, callee,
        ValueRange{arith::ConstantIntOp::create(b, loc, index, 32),
                   asSlot(b, loc, grid.x), asSlot(b, loc, grid.y),
                   asSlot(b, loc, grid.z), asSlot(b, loc, block.x),
                   asSlot(b, loc, block.y), asSlot(b, loc, block.z), slots,
                   arith::ConstantIntOp::create(b, loc, count, 32)});
    launch.erase();
    return success();
  }
};

} // namespace

CudaKernels mlir::paso::readCudaKernels(ModuleOp module) {
  CudaKernels kernels;
  if (auto ptx = module->getAttrOfType<StringAttr>(kCudaPtxAttr))
    kernels.ptx = ptx.str();
  if (auto names = module->getAttrOfType<ArrayAttr>(kCudaKernelsAttr))
    for (Attribute name : names)
      kernels.names.push_back(cast<StringAttr>(name).str());
  return kernels;
}
