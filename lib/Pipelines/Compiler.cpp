//===- Compiler.cpp - ONNX file to the requested stage --------------------===//

#include "paso/Pipelines/Compiler.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
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

LogicalResult mlir::paso::compileOnnxModel(MLIRContext &context,
                                           const CompileOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, options.inputPath, 0, 0);
  if (!isEmitStageAvailable(options.stage))
    return emitError(fileLoc)
           << "--emit=" << emitStageName(options.stage)
           << " is not available in this build yet; available: onnx-mlir, "
              "paso";
  // Open the output before the (long) compilation so a bad path fails fast.
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(options.outputPath, &errorMessage);
  if (!output)
    return emitError(fileLoc) << "cannot write '" << options.outputPath
                              << "': " << errorMessage;

  OwningOpRef<ModuleOp> module =
      importOnnxModel(options.inputPath, context, options.import);
  if (!module)
    return failure();
  module->getOperation()->setAttr(
      "paso.target", StringAttr::get(&context, options.target.name));

  if (options.stage != EmitStage::OnnxMlir) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return failure();
    buildGraphCleanupPipeline(pm);
    if (failed(pm.run(*module)))
      return failure();
  }
  module->print(output->os(), options.printing);
  output->keep();
  return success();
}
