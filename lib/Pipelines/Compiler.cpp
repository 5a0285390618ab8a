//===- Compiler.cpp - ONNX file to the requested stage --------------------===//

#include "paso/Pipelines/Compiler.h"

#include "Progress.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"
#include "paso/Pipelines/Report.h"
#include "paso/Target/CPU/CpuBackend.h"
#include "paso/Target/CUDA/CudaBackend.h"
#include "paso/Target/EdgeTPU/EdgeTpuBackend.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Object/ArchiveWriter.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace mlir::paso;

std::unique_ptr<ScopedDiagnosticHandler>
mlir::paso::installOnnxDiagnosticHandler(MLIRContext &context,
                                         StringRef toolName,
                                         StringRef inputPath) {
  std::string tool = toolName.str(), input = inputPath.str();
  auto print = [tool, input](Location loc, StringRef severity,
                             StringRef message) {
    clearProgressLine();
    llvm::errs() << tool << ": " << severity << ": " << input << ": ";
    std::string where = describeOnnxLocation(loc);
    if (!where.empty())
      llvm::errs() << where << ": ";
    llvm::errs() << message << "\n";
  };
  return std::make_unique<ScopedDiagnosticHandler>(
      &context, [print](Diagnostic &diag) {
        StringRef severity = diag.getSeverity() == DiagnosticSeverity::Error
                                 ? "error"
                             : diag.getSeverity() == DiagnosticSeverity::Warning
                                 ? "warning"
                                 : "note";
        print(diag.getLocation(), severity, diag.str());
        for (Diagnostic &note : diag.getNotes())
          print(note.getLocation(), "note", note.str());
        return success();
      });
}

/// Runs `build`'s passes on `module`, honouring the MLIR pass-manager
/// command-line options (--mlir-print-ir-after-all, timing, ...).
static LogicalResult runPasses(ModuleOp module,
                               function_ref<void(OpPassManager &)> build) {
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  build(pm);
  return pm.run(module);
}

/// The graph optimisation pipeline, one pass at a time so the report can
/// record what each changed; `beforeFusion` runs just before the epilogue
/// fusions (the quantiser's place).
static LogicalResult
runPassesOneByOne(ModuleOp module, CompileReport &report,
                  function_ref<LogicalResult()> beforeFusion,
                  ArrayRef<StringRef> steps) {
  for (StringRef step : steps) {
    if (step == "paso-fuse-conv-epilogue" && failed(beforeFusion()))
      return failure();
    PassManager pm(module.getContext());
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    OpPassManager &funcPm = pm.nest<func::FuncOp>();
    if (failed(parsePassPipeline(step, funcPm)))
      return failure();
    std::map<std::string, int64_t> before = CompileReport::census(module);
    if (failed(pm.run(module)))
      return failure();
    report.recordPass(*funcPm.getPasses().begin(), before,
                      CompileReport::census(module));
  }
  return success();
}

/// Opens `path` ("-" is stdout), lets `write` fill it and keeps it only
/// when `write` succeeds.
static LogicalResult
writeFile(StringRef path, Location loc,
          function_ref<LogicalResult(llvm::raw_pwrite_stream &)> write) {
  std::string error;
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(path, &error);
  if (!file)
    return emitError(loc) << "cannot write '" << path << "': " << error;
  if (failed(write(file->os())))
    return failure();
  file->keep();
  return success();
}

/// model.h beside model.so.
static LogicalResult writeModelHeader(StringRef soPath,
                                      const ModelInterface &interface,
                                      Location loc) {
  SmallString<256> headerPath(soPath);
  llvm::sys::path::replace_extension(headerPath, "h");
  return writeFile(headerPath, loc, [&](llvm::raw_pwrite_stream &os) {
    os << generateModelHeader(interface);
    return success();
  });
}

/// `objectPath` as the one member of the static archive `archivePath`.
static LogicalResult writeArchive(StringRef objectPath, StringRef archivePath,
                                  Location loc) {
  llvm::Expected<llvm::NewArchiveMember> member =
      llvm::NewArchiveMember::getFile(objectPath, /*Deterministic=*/true);
  if (!member)
    return emitError(loc) << "cannot read the model's object: "
                          << llvm::toString(member.takeError());
  // The member keeps a reference to its name.
  std::string memberName = (llvm::sys::path::stem(archivePath) + ".o").str();
  member->MemberName = memberName;
  std::vector<llvm::NewArchiveMember> members;
  members.push_back(std::move(*member));
  if (llvm::Error error = llvm::writeArchive(
          archivePath, members, llvm::SymtabWritingMode::NormalSymtab,
          llvm::object::Archive::K_GNU, /*Deterministic=*/true,
          /*Thin=*/false))
    return emitError(loc) << "cannot write '" << archivePath
                          << "': " << llvm::toString(std::move(error));
  return success();
}

/// Object code for `stage` (asm, obj, so or archive) from LLVM IR.
static LogicalResult emitCode(llvm::Module &llvmModule,
                              const CompileOptions &options,
                              const ModelInterface &interface, Location loc) {
  if (options.stage != EmitStage::So && options.stage != EmitStage::Archive)
    return writeFile(options.outputPath, loc, [&](llvm::raw_pwrite_stream &os) {
      return emitMachineCode(llvmModule, options.target, options.optLevel,
                             options.stage == EmitStage::Asm, os, loc);
    });
  SmallString<128> objectPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "paso-model", "o", objectPath))
    return emitError(loc) << "cannot create a temporary object file: "
                          << ec.message();
  llvm::FileRemover removeObject(objectPath);
  {
    std::error_code ec;
    llvm::raw_fd_ostream object(objectPath, ec);
    if (ec)
      return emitError(loc) << "cannot write '" << objectPath
                            << "': " << ec.message();
    if (failed(emitMachineCode(llvmModule, options.target, options.optLevel,
                               /*assembly=*/false, object, loc)))
      return failure();
  }
  if (options.stage == EmitStage::Archive
          ? failed(writeArchive(objectPath, options.outputPath, loc))
          : failed(linkSharedObject(objectPath, options.outputPath,
                                    options.target, loc)))
    return failure();
  return writeModelHeader(options.outputPath, interface, loc);
}

std::string mlir::paso::resolveModelTag(const CompileOptions &options,
                                        StringRef modelName) {
  if (!options.modelTag.empty())
    return options.modelTag;
  StringRef base = options.outputPath == "-"
                       ? modelName
                       : llvm::sys::path::stem(options.outputPath);
  // libdet.so and libdet.a are the model "det".
  if (base.size() > 3 && base.starts_with("lib"))
    base = base.drop_front(3);
  std::string tag;
  for (char c : base)
    tag += llvm::isAlnum(c) ? c : '_';
  if (tag.empty() || llvm::isDigit(tag.front()))
    tag.insert(tag.begin(), '_');
  return tag;
}

/// Fails early when `path`'s directory cannot take the output.
static LogicalResult checkWritable(StringRef path, Location loc) {
  if (path == "-")
    return success();
  StringRef dir = llvm::sys::path::parent_path(path);
  if (dir.empty())
    dir = ".";
  if (!llvm::sys::fs::is_directory(dir))
    return emitError(loc) << "cannot write '" << path
                          << "': No such file or directory";
  if (llvm::sys::fs::access(dir, llvm::sys::fs::AccessMode::Write))
    return emitError(loc) << "cannot write '" << path
                          << "': Permission denied";
  return success();
}

static LogicalResult compileImported(MLIRContext &context, ModuleOp module,
                                     const CompileOptions &options,
                                     Progress &progress);

LogicalResult mlir::paso::compileOnnxModel(MLIRContext &context,
                                           const CompileOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, options.inputPath, 0, 0);
  if (options.stage == EmitStage::TFLite && options.optLevel == 0)
    return emitError(fileLoc) << "--emit=tflite needs the graph "
                                 "optimisations; drop -O0";
  if (failed(checkWritable(options.outputPath, fileLoc)))
    return failure();
  if (options.stage == EmitStage::Ptx && !cudaDeviceOf(options.target))
    return emitError(fileLoc)
           << "--emit=ptx needs a target with a CUDA GPU (jetson-nano, "
              "jetson-xavier, jetson-orin, cuda-sm_XX); '"
           << options.target.name << "' has none";
  if (options.cudaEmulate && !cudaDeviceOf(options.target))
    return emitError(fileLoc) << "--cuda-emulate needs a CUDA target";

  Progress progress("paso-opt", options.inputPath,
                    options.quantize.mode == QuantizeMode::None ? 6 : 7);
  progress.stage("importing");
  OwningOpRef<ModuleOp> module =
      options.calibrationSuite
          ? buildCalibrationSuite(context, options.target, options.profilePath)
          : importOnnxModel(options.inputPath, context, options.import);
  if (!module)
    return failure();
  // The Edge TPU runs int8 only: say what to pass before any work.
  if (options.quantize.mode == QuantizeMode::Fp16 &&
      cudaDeviceOf(options.target))
    return emitError(fileLoc)
           << "--quantize=fp16: the CUDA back end has no fp16 kernels yet "
              "(docs/cuda.md); its GPU kernels run fp32";
  if (options.stage == EmitStage::TFLite &&
      (options.quantize.mode == QuantizeMode::Mixed ||
       options.quantize.mode == QuantizeMode::Fp16))
    return emitError(fileLoc)
           << "--emit=tflite writes a fully int8 model (the Edge TPU runs "
              "no float): use --quantize=int8";
  if (options.stage == EmitStage::TFLite &&
      options.quantize.mode == QuantizeMode::None &&
      !hasQuantizedValues(*module))
    return emitError(fileLoc)
           << "the Edge TPU (" << options.target.name
           << ") runs int8 models only, and this model is float: pass "
              "--quantize=int8 --calibration-data=SAMPLES.npz (arrays named "
              "after the inputs, samples along a new first axis), or give a "
              "pre-quantised (QDQ) model";
  // lld, linking the quantiser's host builds in process, resets LLVM's
  // command-line options to their defaults: --paso-layout is read now.
  CompileOptions resolved = options;
  if (resolved.layout.empty())
    resolved.layout = commandLineLayout();
  return compileImported(context, *module, resolved, progress);
}

LogicalResult mlir::paso::compileModule(MLIRContext &context, ModuleOp module,
                                        const CompileOptions &options) {
  // Nested (the quantiser's host builds): no stages of its own.
  Progress quiet("paso-opt", options.inputPath, 0);
  return compileImported(context, module, options, quiet);
}

static LogicalResult compileImported(MLIRContext &context, ModuleOp module,
                                     const CompileOptions &options,
                                     Progress &progress) {
  Location fileLoc = FileLineColLoc::get(&context, options.inputPath, 0, 0);
  // A target with a CUDA GPU: its kernels go to the GPU (docs/cuda.md).
  std::optional<CudaDevice> gpu = cudaDeviceOf(options.target);
  module->setAttr("paso.target",
                  StringAttr::get(&context, options.target.name));

  auto print = [&](Operation *op) -> LogicalResult {
    return writeFile(options.outputPath, fileLoc,
                     [&](llvm::raw_pwrite_stream &os) {
                       op->print(os, options.printing);
                       return success();
                     });
  };
  if (options.stage == EmitStage::OnnxMlir)
    return print(module);
  if (!options.preprocess.empty() &&
      failed(runPasses(module, [&](OpPassManager &pm) {
        InsertPreprocessPassOptions insert;
        insert.spec = options.preprocess;
        pm.addPass(createInsertPreprocessPass(insert));
      })))
    return failure();
  progress.stage("optimising the graph");
  CompileReport report;
  {
    std::string modelName = llvm::sys::path::stem(options.inputPath).str();
    if (auto name = (module)->getAttrOfType<StringAttr>(
            "paso.onnx.graph_name");
        name && !name.getValue().empty())
      modelName = name.str();
    report.recordModel(modelName, options.target.name);
  }
  auto finishReport = [&]() -> LogicalResult {
    if (options.reportPath.empty())
      return success();
    if (options.reportPath == "-") {
      report.writeText(llvm::outs());
      return success();
    }
    // A .html report is the page people read; anything else is JSON.
    bool html = llvm::sys::path::extension(options.reportPath)
                    .equals_insensitive(".html");
    return writeFile(options.reportPath, fileLoc,
                     [&](llvm::raw_pwrite_stream &os) {
                       if (html)
                         report.writeHtml(os);
                       else
                         report.writeJson(os);
                       return success();
                     });
  };
  if (options.optLevel > 0) {
    // The quantiser sees the graph cleaned and batch norms folded, but its
    // activations not yet fused into the products (Compiler.h).
    auto quantize = [&]() -> LogicalResult {
      if (options.quantize.mode == QuantizeMode::None)
        return success();
      progress.stage("quantising");
      QuantizationSummary summary;
      auto compileForHost = [&](ModuleOp sim, StringRef path,
                                StringRef layout) {
        CompileOptions host;
        host.layout = layout.str();
        host.inputPath = options.inputPath;
        host.outputPath = path.str();
        host.target = *lookupTarget("host");
        host.stage = EmitStage::So;
        host.modelTag = "paso_calibration";
        return compileModule(context, sim, host);
      };
      QuantizeOptions quantizeOptions = options.quantize;
      // The TFLite scheme for the TFLite file and for the CPU code of a
      // board with an Edge TPU, so that the two agree (docs/edgetpu.md).
      quantizeOptions.fullInteger = options.stage == EmitStage::TFLite ||
                                    options.target.accelerator == "edgetpu";
      if (failed(quantizeModule(module, quantizeOptions, options.target,
                                compileForHost, summary)))
        return failure();
      report.recordQuantization(summary);
      return success();
    };
    if (options.stage == EmitStage::TFLite) {
      // TFLite's int8 ops carry their tensors' quantisation themselves:
      // the graph stays in QDQ form, without the CPU's layout choice.
      if (failed(runPassesOneByOne(module, report, quantize,
                                   edgeTpuGraphSteps())))
        return failure();
      EdgeTpuSummary summary;
      OwningOpRef<ModuleOp> remainder;
      // A cut leaves the rest for the CPU, in a .so beside the file.
      bool canCut = options.outputPath != "-";
      LogicalResult written = writeFile(
          options.outputPath, fileLoc, [&](llvm::raw_pwrite_stream &os) {
            return writeEdgeTpuTFLite(module, os, summary,
                                      canCut ? &remainder : nullptr);
          });
      if (succeeded(written) && remainder) {
        CompileOptions cpu = options;
        cpu.stage = EmitStage::So;
        cpu.quantize = QuantizeOptions();
        cpu.reportPath.clear();
        cpu.profilePath.clear();
        SmallString<256> soPath(options.outputPath);
        llvm::sys::path::replace_extension(soPath, "so");
        cpu.outputPath = soPath.str().str();
        summary.cpuLibrary = cpu.outputPath;
        emitRemark(fileLoc) << "the graph is cut at " << summary.cut
                            << "; the ops from there on run on the "
                            << options.target.name << " CPU: "
                            << cpu.outputPath
                            << " takes the .tflite's outputs as its inputs";
        written = compileModule(context, *remainder, cpu);
      }
      report.recordEdgeTpu(summary);
      if (failed(written)) {
        (void)finishReport();
        return failure();
      }
      if (summary.cutInFile)
        emitWarning(fileLoc) << "the Edge TPU compiler will map the ops up to "
                             << summary.cut
                             << "; TFLite runs the rest of the file on the CPU";
      return finishReport();
    }
    if (options.reportPath.empty() &&
        options.quantize.mode == QuantizeMode::None) {
      if (failed(runPasses(module, buildGraphOptimizationPipeline)))
        return failure();
    } else if (failed(runPassesOneByOne(module, report, quantize,
                                        graphOptimizationSteps()))) {
      return failure();
    }
    // The layout is a CPU decision (the cost model weighs the runtime's
    // kernels in each layout), taken on the optimised graph.
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    // The GPU's kernels take the graph's NCHW as it is; NHWC is a choice
    // for the CPU's kernels.
    pm.addPass(createSelectCpuLayoutPass(options.target,
                                         gpu ? "nchw" : options.layout));
    std::map<std::string, int64_t> before = CompileReport::census(module);
    if (failed(pm.run(module)))
      return failure();
    report.recordPass(*pm.getPasses().begin(), before,
                      CompileReport::census(module));
    report.recordLayout(module);
  }
  report.recordKernels(module);
  if (options.stage == EmitStage::Paso)
    return failed(print(module)) ? failure() : finishReport();

  FailureOr<ModelInterface> interface = describeModelInterface(module);
  if (failed(interface))
    return failure();
  interface->tag = resolveModelTag(options, interface->modelName);
  interface->exportShortNames = options.stage != EmitStage::Archive;
  progress.stage("choosing kernels, lowering to linalg");
  // Convolutions and fused matmuls the runtime's kernels run whole; the
  // rest goes through linalg. The report (and the kernel table model.so
  // carries for profiles) records both in between.
  if (failed(runPasses(module, [&](OpPassManager &pm) {
        // First, so that it can take over the transpose to the model's
        // layout before the transpose kernel does.
        pm.addPass(createPasoCallPreprocessPass());
        // A GPU target's convolutions and products stay linalg ops: the
        // GPU lowering takes them.
        if (options.optLevel > 0 && !gpu) {
          pm.addPass(createCallCpuIntegerKernelsPass(options.target));
          pm.addPass(createCallCpuKernelsPass(options.target));
        }
      })))
    return failure();
  report.recordRuntimeKernels(module, options.target);
  report.recordGeneratedWork(module, options.target);
  // (A suite's --profile chose its layers; it is not this build's.)
  if (!options.profilePath.empty() && !options.calibrationSuite) {
    std::string error;
    if (failed(report.attachProfile(options.profilePath, error)))
      return emitError(fileLoc) << error;
  }
  interface->kernelTable = report.kernelTableJson();
  if (failed(runPasses(module, [&](OpPassManager &pm) {
        buildLowerToLinalgPipeline(pm, options.optLevel);
      })))
    return failure();
  if (options.stage == EmitStage::Linalg)
    return failed(print(module)) ? failure() : finishReport();

  progress.stage("lowering to LLVM");
  std::string gpuSteps =
      gpu ? cudaLoweringSteps(*gpu, options.cudaEmulate) : std::string();
  if (failed(prepareEntryFunction(module)) ||
      failed(runPasses(module, [&](OpPassManager &pm) {
        buildCpuLoweringPipeline(pm, options.optLevel,
                                 options.target.vectorBits, gpuSteps);
      })))
    return failure();
  if (gpu) {
    CudaKernels kernels = readCudaKernels(module);
    report.recordCuda(module, *gpu, kernels.names.size(),
                      options.cudaEmulate);
    if (options.stage == EmitStage::Ptx) {
      if (kernels.ptx.empty())
        return emitError(fileLoc) << "no op of this model runs on the GPU "
                                     "(see --report), so there is no PTX";
      if (failed(writeFile(options.outputPath, fileLoc,
                           [&](llvm::raw_pwrite_stream &os) {
                             os << kernels.ptx;
                             return success();
                           })))
        return failure();
      return finishReport();
    }
    interface->gpuPtx = std::move(kernels.ptx);
    interface->gpuKernels = std::move(kernels.names);
  }
  if (auto entry = module.lookupSymbol(kModelEntryName)) {
    auto peak = entry->getAttrOfType<IntegerAttr>("paso.arena_size");
    auto naive = entry->getAttrOfType<IntegerAttr>("paso.arena_naive_size");
    if (peak && naive)
      report.recordArena(peak.getInt(), naive.getInt());
  }
  llvm::LLVMContext llvmContext;
  progress.stage("optimising LLVM IR");
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule = translateToLLVMIR(
      module, llvmContext, *interface, options.target, options.optLevel);
  if (failed(llvmModule))
    return failure();
  if (options.stage == EmitStage::Llvm) {
    if (failed(writeFile(options.outputPath, fileLoc,
                         [&](llvm::raw_pwrite_stream &os) {
                           (*llvmModule)->print(os, nullptr);
                           return success();
                         })))
      return failure();
    return finishReport();
  }
  progress.stage("generating code and linking");
  if (failed(emitCode(**llvmModule, options, *interface, fileLoc)))
    return failure();
  return finishReport();
}
