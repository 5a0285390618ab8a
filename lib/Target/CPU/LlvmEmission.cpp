//===- LlvmEmission.cpp - LLVM IR, ABI tables, runtime, machine code ------===//

#include "paso/Runtime/RuntimeBitcode.h"
#include "paso/Target/CPU/CpuBackend.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/IR/GlobalAlias.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"

using namespace mlir;
using namespace mlir::paso;

/// The TargetMachine for `target`, or null after reporting at `loc` why
/// there is none.
static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(const TargetDescription &target, unsigned optLevel,
                    Location loc) {
  static const bool initialized = [] {
    llvm::InitializeAllTargetInfos();
    llvm::InitializeAllTargets();
    llvm::InitializeAllTargetMCs();
    llvm::InitializeAllAsmPrinters();
    // Inline assembly in linked code needs the target's parser.
    llvm::InitializeAllAsmParsers();
    return true;
  }();
  (void)initialized;
  llvm::Triple triple(target.triple);
  std::string error;
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget) {
    emitError(loc) << "no LLVM target for '" << target.triple
                   << "': " << error;
    return nullptr;
  }
  llvm::TargetOptions options;
  // The runtime's destructor (stopping the worker pool before dlclose
  // unmaps its code) must land in .fini_array: glibc's loader ignores
  // .dtors in a shared object linked without crtbegin/crtend.
  options.UseInitArray = true;
  auto level = optLevel == 0   ? llvm::CodeGenOptLevel::None
               : optLevel == 1 ? llvm::CodeGenOptLevel::Less
               : optLevel == 2 ? llvm::CodeGenOptLevel::Default
                               : llvm::CodeGenOptLevel::Aggressive;
  std::unique_ptr<llvm::TargetMachine> machine(
      llvmTarget->createTargetMachine(triple, target.cpu, target.features,
                                      options, llvm::Reloc::PIC_,
                                      std::nullopt, level));
  if (!machine)
    emitError(loc) << "LLVM cannot generate code for '" << target.triple
                   << "' with cpu '" << target.cpu << "'";
  return machine;
}

/// Emits the tensor tables, names, arena size and the invoke wrapper that
/// lib/Runtime/ModelRuntime/paso_runtime.c declares extern.
static void emitAbiTables(llvm::Module &module,
                          const ModelInterface &interface,
                          uint64_t arenaSize) {
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> builder(context);
  auto *ptrType = llvm::PointerType::getUnqual(context);
  auto *i32 = builder.getInt32Ty();
  auto *i64 = builder.getInt64Ty();
  // Layout of paso_tensor_info on LP64 targets.
  auto *f32 = builder.getFloatTy();
  auto *infoType = llvm::StructType::get(
      context, {ptrType, i32, i32, ptrType, i64, f32, i32});
  auto constantGlobal = [&](llvm::Constant *value, llvm::StringRef name,
                            bool exported) {
    return new llvm::GlobalVariable(
        module, value->getType(), /*isConstant=*/true,
        exported ? llvm::GlobalValue::ExternalLinkage
                 : llvm::GlobalValue::PrivateLinkage,
        value, name);
  };
  auto table = [&](const std::vector<ModelInterface::Tensor> &tensors,
                   llvm::StringRef name) {
    std::vector<llvm::Constant *> entries;
    for (const ModelInterface::Tensor &tensor : tensors) {
      llvm::Constant *tensorName = constantGlobal(
          llvm::ConstantDataArray::getString(context, tensor.name),
          name.str() + ".name", false);
      llvm::Constant *shape = constantGlobal(
          llvm::ConstantDataArray::get(
              context, llvm::ArrayRef<uint64_t>(
                           reinterpret_cast<const uint64_t *>(
                               tensor.shape.data()),
                           tensor.shape.size())),
          name.str() + ".shape", false);
      entries.push_back(llvm::ConstantStruct::get(
          infoType,
          {tensorName, llvm::ConstantInt::get(i32, tensor.dtype),
           llvm::ConstantInt::get(i32, tensor.shape.size()), shape,
           llvm::ConstantInt::get(i64, tensor.byteSize),
           llvm::ConstantFP::get(f32, tensor.scale),
           llvm::ConstantInt::get(i32, tensor.zeroPoint)}));
    }
    auto *arrayType = llvm::ArrayType::get(infoType, entries.size());
    constantGlobal(llvm::ConstantArray::get(arrayType, entries), name, true);
  };
  table(interface.inputs, "paso_model_inputs_");
  table(interface.outputs, "paso_model_outputs_");
  constantGlobal(llvm::ConstantInt::get(i32, interface.inputs.size()),
                 "paso_model_num_inputs_", true);
  constantGlobal(llvm::ConstantInt::get(i32, interface.outputs.size()),
                 "paso_model_num_outputs_", true);
  constantGlobal(llvm::ConstantInt::get(i64, arenaSize),
                 "paso_model_arena_size_", true);
  constantGlobal(llvm::ConstantDataArray::getString(context,
                                                    interface.modelName),
                 "paso_model_name_", true);
  constantGlobal(llvm::ConstantDataArray::getString(context,
                                                    interface.targetName),
                 "paso_model_target_", true);
  constantGlobal(llvm::ConstantDataArray::getString(context,
                                                    interface.kernelTable),
                 "paso_model_kernel_table_", true);
  // What paso_cuda.c loads: the PTX and the kernels by launch index.
  if (!interface.gpuKernels.empty()) {
    constantGlobal(llvm::ConstantDataArray::getString(context,
                                                      interface.gpuPtx),
                   "paso_model_ptx_", true);
    std::vector<llvm::Constant *> names;
    for (const std::string &name : interface.gpuKernels)
      names.push_back(constantGlobal(
          llvm::ConstantDataArray::getString(context, name),
          "paso_model_kernel_name", false));
    constantGlobal(
        llvm::ConstantArray::get(llvm::ArrayType::get(ptrType, names.size()),
                                 names),
        "paso_model_kernel_names_", true);
    constantGlobal(llvm::ConstantInt::get(i32, interface.gpuKernels.size()),
                   "paso_model_num_kernels_", true);
  }

  // void paso_model_invoke_(void *const *buffers, void *arena): unpacks the
  // buffer table into the bare-pointer arguments of the entry function.
  llvm::Function *entry = module.getFunction(kModelEntryName);
  auto *invokeType =
      llvm::FunctionType::get(builder.getVoidTy(), {ptrType, ptrType}, false);
  auto *invoke = llvm::Function::Create(
      invokeType, llvm::GlobalValue::ExternalLinkage, "paso_model_invoke_",
      module);
  builder.SetInsertPoint(llvm::BasicBlock::Create(context, "entry", invoke));
  std::vector<llvm::Value *> args;
  size_t count = interface.inputs.size() + interface.outputs.size();
  for (size_t i = 0; i < count; ++i) {
    llvm::Value *slot = builder.CreateConstGEP1_64(ptrType, invoke->getArg(0), i);
    args.push_back(builder.CreateLoad(ptrType, slot));
  }
  args.push_back(invoke->getArg(1));
  builder.CreateCall(entry, args);
  builder.CreateRetVoid();
}

/// Adds `<tag>_paso_*` aliases of the ABI functions: the model's own names,
/// which model.h maps the short ones to.
static void addTaggedNames(llvm::Module &module, llvm::StringRef tag) {
  for (llvm::StringRef name : kAbiFunctions) {
    llvm::Function *function = module.getFunction(name);
    if (!function || function->isDeclaration())
      continue;
    llvm::GlobalAlias::create(llvm::GlobalValue::ExternalLinkage,
                              (tag + "_" + name).str(), function);
  }
}

/// Gives internal linkage to every definition that is not part of the ABI,
/// so the .so exports only paso_* functions (and their tagged aliases) and
/// LLVM may inline freely. Without `exportShortNames` only the tagged
/// aliases stay visible.
static void hideInternals(llvm::Module &module, bool exportShortNames) {
  auto exported = [&](llvm::StringRef name) {
    return exportShortNames && llvm::is_contained(kAbiFunctions, name);
  };
  for (llvm::Function &function : module)
    if (!function.isDeclaration() && !exported(function.getName()))
      function.setLinkage(llvm::GlobalValue::InternalLinkage);
  // llvm.global_ctors/dtors keep their appending linkage.
  for (llvm::GlobalVariable &global : module.globals())
    if (!global.isDeclaration() && !exported(global.getName()) &&
        !global.getName().starts_with("llvm."))
      global.setLinkage(llvm::GlobalValue::InternalLinkage);
}

/// Code generation for the target's CPU and features in every defined
/// function. A runtime function's own features come last, so that a
/// kernel variant written for an extension (the VNNI or SDOT int8
/// micro-kernels, `__attribute__((target(...)))`) still compiles on
/// targets without it; the compiler calls it only where the target has it.
static void setTargetAttributes(llvm::Module &module,
                                const TargetDescription &target) {
  for (llvm::Function &function : module) {
    if (function.isDeclaration())
      continue;
    function.addFnAttr("target-cpu", target.cpu);
    std::string features = target.features;
    llvm::Attribute own = function.getFnAttribute("target-features");
    // Outlined atomics would call libgcc helpers the freestanding .so
    // does not link.
    llvm::SmallVector<llvm::StringRef> ownFeatures;
    if (own.isValid())
      own.getValueAsString().split(ownFeatures, ',', -1, false);
    for (llvm::StringRef feature : ownFeatures)
      if (!feature.ends_with("outline-atomics"))
        features += (features.empty() ? "" : ",") + feature.str();
    if (!features.empty())
      function.addFnAttr("target-features", features);
  }
}

static void optimize(llvm::Module &module, llvm::TargetMachine &machine,
                     unsigned optLevel) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = optLevel >= 2;
  tuning.SLPVectorization = optLevel >= 2;
  llvm::PassBuilder passBuilder(&machine, tuning);
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::OptimizationLevel level = optLevel == 0   ? llvm::OptimizationLevel::O0
                                  : optLevel == 1 ? llvm::OptimizationLevel::O1
                                  : optLevel == 2 ? llvm::OptimizationLevel::O2
                                                  : llvm::OptimizationLevel::O3;
  llvm::ModulePassManager passes =
      optLevel == 0 ? passBuilder.buildO0DefaultPipeline(level)
                    : passBuilder.buildPerModuleDefaultPipeline(level);
  passes.run(module, mam);
}

FailureOr<std::unique_ptr<llvm::Module>>
mlir::paso::translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                              const ModelInterface &interface,
                              const TargetDescription &target,
                              unsigned optLevel) {
  Location loc = module.getLoc();
  auto entry = module.lookupSymbol<LLVM::LLVMFuncOp>(kModelEntryName);
  if (!entry)
    return emitError(loc) << "lowered module has no " << kModelEntryName;
  uint64_t arenaSize = 0;
  if (auto size = entry->getAttrOfType<IntegerAttr>("paso.arena_size"))
    arenaSize = size.getInt();
  // Read before translation: the attribute is PASO's, not LLVM's.
  auto preprocess = module->getAttrOfType<DictionaryAttr>(kPreprocessAttrName);
  module->removeAttr(kPreprocessAttrName);
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "paso_model");
  if (!llvmModule)
    return emitError(loc) << "translation to LLVM IR failed";

  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, optLevel, loc);
  if (!machine)
    return failure();
  llvmModule->setTargetTriple(llvm::Triple(target.triple));
  llvmModule->setDataLayout(machine->createDataLayout());

  emitAbiTables(*llvmModule, interface, arenaSize);
  // The model's own code is optimised before the runtime joins it: the
  // runtime's bitcode was optimised when PASO was built, and running the
  // O3 pipeline over it again with every model cost most of a compile
  // (the MLP: about 5 s, of which its own code is a fraction).
  setTargetAttributes(*llvmModule, target);
  optimize(*llvmModule, *machine, optLevel);
  // The runtime, and the CUDA layer for a model with GPU kernels.
  auto link = [&](std::optional<llvm::StringRef> bitcode,
                  llvm::StringRef what) -> LogicalResult {
    if (!bitcode)
      return emitError(loc) << "this build has no " << what << " for '"
                            << target.triple << "'";
    auto part = llvm::parseBitcodeFile(
        llvm::MemoryBufferRef(*bitcode, what), context);
    if (!part)
      return emitError(loc) << "the embedded " << what
                            << " bitcode is unreadable: "
                            << llvm::toString(part.takeError());
    (*part)->setDataLayout(llvmModule->getDataLayout());
    (*part)->setTargetTriple(llvmModule->getTargetTriple());
    if (llvm::Linker::linkModules(*llvmModule, std::move(*part)))
      return emitError(loc) << "linking the " << what << " failed";
    return success();
  };
  llvm::Triple triple(target.triple);
  if (failed(link(getRuntimeBitcode(triple), "model runtime")) ||
      (!interface.gpuKernels.empty() &&
       failed(link(getCudaRuntimeBitcode(triple), "CUDA layer"))))
    return failure();
  // The --preprocess pipeline, after the runtime: the runtime's
  // halide_do_par_for replaces the Halide runtime's weak one.
  if (preprocess) {
    FailureOr<std::unique_ptr<llvm::Module>> pipeline =
        generatePreprocessPipeline(preprocess, target, context, loc);
    if (failed(pipeline))
      return failure();
    (*pipeline)->setDataLayout(llvmModule->getDataLayout());
    (*pipeline)->setTargetTriple(llvmModule->getTargetTriple());
    if (llvm::Linker::linkModules(*llvmModule, std::move(*pipeline)))
      return emitError(loc) << "linking the pre-processing pipeline failed";
  }
  addTaggedNames(*llvmModule, interface.tag);
  hideInternals(*llvmModule, interface.exportShortNames);
  // The runtime was compiled for a generic CPU; code generation uses the
  // target's CPU and features for every function.
  setTargetAttributes(*llvmModule, target);
  std::string verifyErrors;
  llvm::raw_string_ostream verifyStream(verifyErrors);
  if (llvm::verifyModule(*llvmModule, &verifyStream))
    return emitError(loc) << "generated LLVM IR is invalid: " << verifyErrors;
  // Only drop what the model does not call (runtime kernels it has no
  // op for); the runtime's code is already optimised.
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder passBuilder(machine.get());
  passBuilder.registerModuleAnalyses(mam);
  llvm::ModulePassManager dce;
  dce.addPass(llvm::GlobalDCEPass());
  dce.run(*llvmModule, mam);
  return llvmModule;
}

LogicalResult mlir::paso::emitMachineCode(llvm::Module &module,
                                          const TargetDescription &target,
                                          unsigned optLevel, bool assembly,
                                          llvm::raw_pwrite_stream &os,
                                          Location loc) {
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(target, optLevel, loc);
  if (!machine)
    return failure();
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, os, nullptr,
                                   assembly
                                       ? llvm::CodeGenFileType::AssemblyFile
                                       : llvm::CodeGenFileType::ObjectFile))
    return emitError(loc) << "LLVM cannot emit code for '" << target.triple
                          << "'";
  passes.run(module);
  return success();
}
