//===- PrepareGpuKernels.cpp - one GPU module per model, libdevice-free ---===//

#include "paso/Target/CUDA/CudaBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASODEFINEGPUMATHPASS
#define GEN_PASS_DEF_PASOPREPAREGPUKERNELSPASS
#include "paso/Target/CUDA/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

constexpr llvm::StringLiteral kKernelModule = "paso_kernels";

struct PasoPrepareGpuKernelsPass
    : paso::impl::PasoPrepareGpuKernelsPassBase<PasoPrepareGpuKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = module.getContext();
    SmallVector<gpu::GPUModuleOp> outlined(module.getOps<gpu::GPUModuleOp>());
    if (outlined.empty())
      return;
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    // The chip and PTX version as a target file would give them, checked
    // the same way (a known chip; a PTX ISA that can name it).
    llvm::Expected<std::optional<CudaDevice>> device = parseCudaAccelerator(
        "cuda:" + chip.getValue() + ":ptx" + std::to_string(ptxVersion));
    if (!device) {
      module.emitError(llvm::toString(device.takeError()));
      return signalPassFailure();
    }
    std::string features = (*device)->ptxFeature();
    auto target = NVVM::NVVMTargetAttr::get(
        context, /*optLevel=*/3, "nvptx64-nvidia-cuda", chip.getValue(),
        features);
    auto kernels = gpu::GPUModuleOp::create(builder, module.getLoc(),
                                            kKernelModule,
                                            builder.getArrayAttr({target}));
    SymbolTable kernelSymbols(kernels);
    // One module, so the driver loads and links it once per context.
    llvm::StringMap<SymbolRefAttr> renamed;
    for (gpu::GPUModuleOp old : outlined) {
      for (Operation &op : llvm::make_early_inc_range(old.getBody()->getOperations())) {
        auto symbol = dyn_cast<SymbolOpInterface>(op);
        std::string oldName =
            symbol ? (old.getName() + "::" + symbol.getName()).str() : "";
        op.remove();
        StringAttr name = kernelSymbols.insert(&op);
        if (symbol)
          renamed[oldName] = SymbolRefAttr::get(
              context, kKernelModule, {FlatSymbolRefAttr::get(name)});
      }
    }
    module.walk([&](gpu::LaunchFuncOp launch) {
      std::string key = (launch.getKernelModuleName().getValue() +
                         "::" + launch.getKernelName().getValue())
                            .str();
      if (SymbolRefAttr attr = renamed.lookup(key))
        launch.setKernelAttr(attr);
    });
    for (gpu::GPUModuleOp old : outlined)
      old.erase();
    // At least 4 blocks of 256 threads resident per SM (half of Volta's
    // and Maxwell's 2048 thread slots, two thirds of Orin's 1536): ptxas
    // then keeps a kernel within 64 registers. Unbounded, it gave a
    // fully unrolled product 136 (one block per SM).
    // (ptxas takes it only with the block size known.)
    for (auto func : kernels.getOps<gpu::GPUFuncOp>())
      if (func.isKernel() && func.getKnownBlockSizeAttr())
        func->setAttr("nvvm.minctasm", builder.getI32IntegerAttr(4));
    if (failed(rewriteMathForGpu(kernels)))
      return signalPassFailure();
  }
};

/// The body of libdevice function `name` (without `__nv_`, without the
/// `f` of the f32 variants) from `args`, or null when PASO has none.
Value libdeviceBody(OpBuilder &b, Location loc, StringRef name,
                    ValueRange args) {
  auto one = [&](auto tag) -> Value {
    using OpTy = decltype(tag);
    return args.size() == 1 ? OpTy::create(b, loc, args[0]).getResult()
                            : Value();
  };
  auto two = [&](auto tag) -> Value {
    using OpTy = decltype(tag);
    return args.size() == 2 ? OpTy::create(b, loc, args[0], args[1]).getResult()
                            : Value();
  };
  if (name == "floor")
    return one(LLVM::FFloorOp());
  if (name == "ceil")
    return one(LLVM::FCeilOp());
  if (name == "trunc")
    return one(LLVM::FTruncOp());
  if (name == "rint" || name == "nearbyint")
    return one(LLVM::RoundEvenOp());
  if (name == "round")
    return one(LLVM::RoundOp());
  if (name == "fabs")
    return one(LLVM::FAbsOp());
  if (name == "sqrt")
    return one(LLVM::SqrtOp());
  if (name == "fmin")
    return two(LLVM::MinNumOp());
  if (name == "fmax")
    return two(LLVM::MaxNumOp());
  if (name == "copysign")
    return two(LLVM::CopySignOp());
  if (name == "fma" && args.size() == 3)
    return LLVM::FMAOp::create(b, loc, args[0], args[1], args[2]);
  if (name == "rsqrt" && args.size() == 1) {
    Value root = LLVM::SqrtOp::create(b, loc, args[0]);
    Value unit = LLVM::ConstantOp::create(
        b, loc, args[0].getType(), b.getFloatAttr(args[0].getType(), 1.0));
    return LLVM::FDivOp::create(b, loc, unit, root);
  }
  return {};
}

struct PasoDefineGpuMathPass
    : paso::impl::PasoDefineGpuMathPassBase<PasoDefineGpuMathPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>()) {
      StringRef name = func.getName();
      if (!func.isExternal() || !name.consume_front("__nv_"))
        continue;
      LLVM::LLVMFunctionType type = func.getFunctionType();
      if (type.getNumParams() == 0 ||
          !isa<FloatType>(type.getReturnType()))
        continue;
      // __nv_floorf is the f32 variant of __nv_floor.
      if (type.getReturnType().isF32())
        name.consume_back("f");
      OpBuilder b(func.getContext());
      Block *entry = func.addEntryBlock(b);
      b.setInsertionPointToEnd(entry);
      Value result = libdeviceBody(b, func.getLoc(), name,
                                   entry->getArguments());
      if (!result) {
        // Not one of ours: stays a declaration, which the PTX check names.
        func.getBody().getBlocks().clear();
        continue;
      }
      LLVM::ReturnOp::create(b, func.getLoc(), result);
      func.setLinkage(LLVM::Linkage::Internal);
    }
  }
};

} // namespace

LogicalResult mlir::paso::rewriteMathForGpu(Operation *root) {
  // libdevice is neither on the board nor linked into the PTX: math the
  // NVVM lowering would call it for becomes arithmetic here. Polynomial
  // approximations (exp, log, tanh, erf, ...) come first; expansions
  // (powf into exp and log, cosh, ...) feed them.
  RewritePatternSet patterns(root->getContext());
  auto approximated = [](StringRef name) { return name != "rsqrt"; };
  populateMathF32ExpansionPatterns(patterns, approximated, 2);
  populateMathPolynomialApproximationPatterns(patterns, approximated, 2);
  math::populateExpansionPatterns(patterns);
  if (failed(applyPatternsGreedily(root, std::move(patterns))))
    return failure();
  // Multiply-adds may fuse into FMAs, as the CPU's kernels do
  // (-ffp-contract=fast): one rounding instead of two, half the issue.
  root->walk([](arith::ArithFastMathInterface op) {
    if (isa<arith::MulFOp, arith::AddFOp, arith::SubFOp>(op))
      op->setAttr(op.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(
                      op->getContext(), op.getFastMathFlagsAttr().getValue() |
                                            arith::FastMathFlags::contract));
  });
  return success();
}
