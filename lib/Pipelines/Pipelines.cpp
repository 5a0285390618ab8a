//===- Pipelines.cpp - paso-opt's stages and pass pipelines ---------------===//

#include "paso/Pipelines/Pipelines.h"

#include "paso/Conversion/Passes.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"
#include "paso/Target/CPU/CpuBackend.h"
#include "paso/Target/CUDA/CudaBackend.h"
#include "paso/Import/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::paso;

namespace {
struct StageName {
  EmitStage stage;
  llvm::StringLiteral name;
};
} // namespace

static constexpr StageName kStages[] = {
    {EmitStage::OnnxMlir, "onnx-mlir"}, {EmitStage::Paso, "paso"},
    {EmitStage::Linalg, "linalg"},      {EmitStage::Llvm, "llvm"},
    {EmitStage::Asm, "asm"},            {EmitStage::Obj, "obj"},
    {EmitStage::So, "so"},              {EmitStage::Archive, "archive"},
    {EmitStage::TFLite, "tflite"},      {EmitStage::Ptx, "ptx"},
};

std::optional<EmitStage> mlir::paso::parseEmitStage(llvm::StringRef name) {
  for (const StageName &entry : kStages)
    if (entry.name == name)
      return entry.stage;
  return std::nullopt;
}

llvm::StringRef mlir::paso::emitStageName(EmitStage stage) {
  for (const StageName &entry : kStages)
    if (entry.stage == stage)
      return entry.name;
  llvm_unreachable("every stage has a name");
}

std::string mlir::paso::listEmitStages() {
  return llvm::join(llvm::map_range(kStages,
                                    [](const StageName &entry) {
                                      return entry.name.str();
                                    }),
                    ", ");
}

std::optional<EmitStage> mlir::paso::emitStageForOutput(llvm::StringRef path) {
  llvm::StringRef extension = llvm::sys::path::extension(path);
  return llvm::StringSwitch<std::optional<EmitStage>>(extension)
      .Case(".so", EmitStage::So)
      .Case(".a", EmitStage::Archive)
      .Case(".o", EmitStage::Obj)
      .Case(".s", EmitStage::Asm)
      .Case(".ll", EmitStage::Llvm)
      .Case(".tflite", EmitStage::TFLite)
      .Case(".ptx", EmitStage::Ptx)
      .Default(std::nullopt);
}

void mlir::paso::registerPasoDialects(DialectRegistry &registry) {
  registerOnnxImportDialects(registry);
  // Lowering crosses linalg, tensor, bufferization, memref, scf and LLVM;
  // their interface models (bufferization, inlining, translation) come with
  // the upstream registration functions.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

void mlir::paso::registerPasoPasses() {
  // Every upstream pass, so any of them runs alone on .mlir input and the
  // CPU pipeline (a textual pipeline) can name them.
  registerAllPasses();
  registerPasoConversionPasses();
  registerPasoTransformsPasses();
  registerPasoCPUPasses();
  registerPasoCUDAPasses();
}

void mlir::paso::buildLowerToLinalgPipeline(OpPassManager &pm,
                                            unsigned optLevel) {
  // Integer ops the kernels did not take run in float (at -O1 and above
  // the graph pipeline already expanded them, before fusion).
  pm.nest<func::FuncOp>().addPass(createExpandQuantizedPass());
  pm.addPass(createConvertPasoToLinalgPass());
  if (optLevel > 0) {
    pm.addPass(createPasoFuseElementwisePass());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
  } else {
    // Quantised values meet their storage through cast pairs that only
    // folding removes; bufferisation cannot take the quantised types.
    pm.addPass(createCanonicalizerPass());
  }
}

void mlir::paso::buildGraphCleanupPipeline(OpPassManager &pm) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(createCanonicalizerPass());
  funcPm.addPass(createCSEPass());
}

ArrayRef<StringRef> mlir::paso::graphOptimizationSteps() {
  static const StringRef steps[] = {
      "paso-expand-quantized", "canonicalize",          "cse",
      "paso-recognize-kernels", "paso-fold-batch-norm",
      "paso-fuse-conv-epilogue", "paso-fuse-matmul-epilogue",
      "paso-fold-qdq",           "canonicalize",
      "cse"};
  return steps;
}

void mlir::paso::buildGraphOptimizationPipeline(OpPassManager &pm) {
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  for (StringRef step : graphOptimizationSteps())
    if (failed(parsePassPipeline(step, funcPm)))
      llvm::report_fatal_error("the built-in graph pipeline does not parse");
}
