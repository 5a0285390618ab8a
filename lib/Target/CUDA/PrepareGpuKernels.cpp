//===- PrepareGpuKernels.cpp - one GPU module per model, libdevice-free ---===//

#include "paso/Target/CUDA/CudaBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::paso {
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
    for (auto func : kernels.getOps<gpu::GPUFuncOp>())
      if (func.isKernel())
        func->setAttr("nvvm.minctasm", builder.getI32IntegerAttr(4));
    if (failed(rewriteMathForGpu(kernels)))
      return signalPassFailure();
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
