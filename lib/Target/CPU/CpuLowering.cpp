//===- CpuLowering.cpp - linalg on tensors to the LLVM dialect ------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::paso;

/// ONNX TensorProto data type of an element type (0 when it has none).
static int onnxDtype(Type type) {
  if (type.isF32())
    return 1;
  if (type.isUnsignedInteger(8))
    return 2;
  if (type.isSignlessInteger(8))
    return 3;
  if (type.isUnsignedInteger(16))
    return 4;
  if (type.isSignlessInteger(16))
    return 5;
  if (type.isSignlessInteger(32))
    return 6;
  if (type.isSignlessInteger(64))
    return 7;
  if (type.isSignlessInteger(1))
    return 9;
  if (type.isF16())
    return 10;
  if (type.isF64())
    return 11;
  if (type.isUnsignedInteger(32))
    return 12;
  if (type.isUnsignedInteger(64))
    return 13;
  if (type.isBF16())
    return 16;
  return 0;
}

/// The per-tensor quantisation a model input is read with (the type of
/// the first paso.storage_cast reinterpreting it) or an output is written
/// with (the cast it is the storage of); null for plain tensors.
static quant::UniformQuantizedType abiQuantization(Value value,
                                                   bool isOutput) {
  if (isOutput) {
    // A channels-last graph transposes the output's bytes back to NCHW
    // after the cast.
    if (auto transpose = value.getDefiningOp<TransposeOp>())
      return abiQuantization(transpose.getInput(), true);
    auto cast = value.getDefiningOp<StorageCastOp>();
    return cast ? dyn_cast<quant::UniformQuantizedType>(
                      cast.getInput().getType().getElementType())
                : quant::UniformQuantizedType();
  }
  for (Operation *user : value.getUsers()) {
    if (auto cast = dyn_cast<StorageCastOp>(user))
      if (auto type = dyn_cast<quant::UniformQuantizedType>(
              cast.getType().getElementType()))
        return type;
    // An NHWC input (the CPU part after an Edge TPU cut) is transposed
    // before it is read as quantised values.
    if (auto transpose = dyn_cast<TransposeOp>(user))
      if (auto type = abiQuantization(transpose.getResult(), false))
        return type;
  }
  return {};
}

FailureOr<ModelInterface> mlir::paso::describeModelInterface(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("the module has no @main function");
  ModelInterface interface;
  if (auto name = module->getAttrOfType<StringAttr>("paso.onnx.graph_name"))
    interface.modelName = name.str();
  if (auto target = module->getAttrOfType<StringAttr>("paso.target"))
    interface.targetName = target.str();
  auto describe = [&](Type type, StringAttr name, StringRef fallback,
                      std::vector<ModelInterface::Tensor> &into,
                      quant::UniformQuantizedType quantized)
      -> LogicalResult {
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (!tensorType || !tensorType.hasStaticShape())
      return main.emitError("model inputs and outputs need static shapes");
    ModelInterface::Tensor tensor;
    tensor.name = name ? name.str() : fallback.str();
    tensor.dtype = onnxDtype(tensorType.getElementType());
    if (tensor.dtype == 0)
      return main.emitError("element type ")
             << tensorType.getElementType()
             << " cannot cross the C ABI";
    tensor.shape.assign(tensorType.getShape().begin(),
                        tensorType.getShape().end());
    int64_t bits = tensorType.getElementTypeBitWidth();
    tensor.byteSize =
        tensorType.getNumElements() * std::max<int64_t>(1, (bits + 7) / 8);
    if (quantized) {
      tensor.scale = quantized.getScale();
      tensor.zeroPoint = quantized.getZeroPoint();
    }
    into.push_back(std::move(tensor));
    return success();
  };
  for (unsigned i = 0; i < main.getNumArguments(); ++i)
    if (failed(describe(main.getArgument(i).getType(),
                        main.getArgAttrOfType<StringAttr>(i, "paso.name"),
                        "input" + std::to_string(i), interface.inputs,
                        abiQuantization(main.getArgument(i), false))))
      return failure();
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    if (failed(describe(main.getResultTypes()[i],
                        main.getResultAttrOfType<StringAttr>(i, "paso.name"),
                        "output" + std::to_string(i), interface.outputs,
                        abiQuantization(main.getBody().front()
                                            .getTerminator()
                                            ->getOperand(i),
                                        true))))
      return failure();
  return interface;
}

/// Each output gets a buffer of its own: one tensor returned twice (an
/// ONNX graph listing a tensor twice among its outputs, or an Identity of
/// one output as another) is copied for its second place.
/// buffer-results-to-out-params would otherwise give both places one
/// allocation and fail on the second.
static void copyRepeatedResults(func::FuncOp main) {
  main.walk([](func::ReturnOp ret) {
    llvm::SmallDenseSet<Value> returned;
    OpBuilder b(ret);
    for (OpOperand &operand : ret->getOpOperands()) {
      Value value = operand.get();
      auto type = dyn_cast<RankedTensorType>(value.getType());
      if (!type || returned.insert(value).second)
        continue;
      SmallVector<Value> sizes;
      for (int64_t i = 0; i < type.getRank(); ++i)
        if (type.isDynamicDim(i))
          sizes.push_back(tensor::DimOp::create(b, ret.getLoc(), value, i));
      // With `copy`, bufferisation always gives it a buffer of its own.
      operand.set(bufferization::AllocTensorOp::create(b, ret.getLoc(), type,
                                                       sizes, value));
    }
  });
}

LogicalResult mlir::paso::prepareEntryFunction(ModuleOp module) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("the module has no @main function");
  if (failed(SymbolTable::replaceAllSymbolUses(
          main, StringAttr::get(module.getContext(), kModelEntryName),
          module)))
    return failure();
  main.setSymName(kModelEntryName);
  Builder b(module.getContext());
  // Bufferisation appends the outputs as arguments: this tells them apart.
  main->setAttr("paso.num_inputs", b.getI64IntegerAttr(main.getNumArguments()));
  for (unsigned i = 0; i < main.getNumArguments(); ++i) {
    main.removeArgAttr(i, "paso.name");
    main.setArgAttr(i, "bufferization.writable", b.getBoolAttr(false));
  }
  for (unsigned i = 0; i < main.getNumResults(); ++i)
    main.removeResultAttr(i, b.getStringAttr("paso.name"));
  copyRepeatedResults(main);
  return success();
}

LogicalResult
mlir::paso::resolvePassTarget(Operation *op, llvm::StringRef nameOrPath,
                              std::optional<TargetDescription> &target) {
  if (target)
    return success();
  llvm::Expected<TargetDescription> resolved = resolveTarget(nameOrPath);
  if (!resolved)
    return op->emitError(llvm::toString(resolved.takeError()));
  target = *resolved;
  return success();
}

void mlir::paso::buildCpuLoweringPipeline(OpPassManager &pm,
                                          unsigned optLevel,
                                          unsigned vectorBits,
                                          llvm::StringRef acceleratorSteps) {
  // Inputs are the caller's buffers: never written in place. Elementwise
  // loops may write over their own dying inputs (arena reuse).
  std::string pipeline = optLevel > 0 ? "paso-elementwise-in-place," : "";
  pipeline +=
      "eliminate-empty-tensors,"
      "one-shot-bufferize{bufferize-function-boundaries=1 "
      "function-boundary-type-conversion=identity-layout-map},"
      "buffer-results-to-out-params{hoist-static-allocs=1 "
      "modify-public-functions=1},";
  if (optLevel > 0)
    pipeline += "canonicalize,cse,";
  // An accelerator takes its ops here, on buffers, before the CPU's.
  pipeline += acceleratorSteps.str();
  pipeline += "paso-lower-to-ukernels{vector-bits=" +
              std::to_string(vectorBits) + "},"
              "paso-plan-arena,"
              "paso-flatten-globals,"
              "convert-linalg-to-loops,"
              "lower-affine,"
              "convert-scf-to-cf,"
              "expand-strided-metadata,"
              "lower-affine,"
              "convert-math-to-funcs,"
              "finalize-memref-to-llvm,"
              "convert-math-to-llvm,"
              "convert-math-to-libm,"
              "convert-arith-to-llvm,"
              "convert-cf-to-llvm,"
              "convert-func-to-llvm{use-bare-ptr-memref-call-conv=1},"
              "reconcile-unrealized-casts";
  if (failed(parsePassPipeline(pipeline, pm)))
    llvm::report_fatal_error("the built-in CPU pipeline does not parse");
}
