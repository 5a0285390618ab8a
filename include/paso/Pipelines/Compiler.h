//===- Compiler.h - ONNX file to the requested stage ------------*- C++ -*-===//
//
// The user-facing compilation behind `paso-opt model.onnx -target=T -o F`:
// import, run the pipeline up to the requested `--emit` stage, write the
// result. Tools and bindings call this rather than chaining stages.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_PIPELINES_COMPILER_H
#define PASO_PIPELINES_COMPILER_H

#include "paso/Import/OnnxImporter.h"
#include "paso/Pipelines/Pipelines.h"
#include "paso/Quantization/PostTrainingQuantization.h"
#include "paso/Target/TargetDescription.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"

namespace mlir::paso {

struct CompileOptions {
  std::string inputPath;
  /// "-" writes to stdout.
  std::string outputPath = "-";
  TargetDescription target;
  EmitStage stage = EmitStage::Paso;
  OnnxImportOptions import;
  /// How textual IR is printed (resource blobs elided unless asked).
  OpPrintingFlags printing;
  /// 0: straight lowering, no graph or LLVM optimisation; 1-3 as in clang.
  unsigned optLevel = 3;
  /// Where to write the optimisation report: empty for none, "-" for text
  /// on stdout, else a JSON file.
  std::string reportPath;
  /// The C identifier the model's own ABI names start with
  /// (`<tag>_paso_run`); empty: the output file's name, made an identifier.
  std::string modelTag;
  /// The --preprocess spec (paso-insert-preprocess); empty for none.
  std::string preprocess;
  /// A profile of this model (paso-run --profile) whose measurements the
  /// report shows beside the predictions; empty for none.
  std::string profilePath;
  /// Compile the calibration suite (buildCalibrationSuite) instead of the
  /// ONNX file at inputPath.
  bool calibrationSuite = false;
  /// --quantize and its calibration (docs/quantization.md).
  QuantizeOptions quantize;
  /// The convolution layout (auto, nchw, nhwc); empty: --paso-layout.
  std::string layout;
  /// For a CUDA target: run the GPU's share as host loops shaped like its
  /// grid instead of launching PTX (tests on machines without a GPU).
  bool cudaEmulate = false;
};

/// The tag `compileOnnxModel` uses for `options`: the given one, or the
/// output file's stem without a `lib` prefix, other characters than
/// [A-Za-z0-9_] made `_` (the model's name when writing to stdout).
std::string resolveModelTag(const CompileOptions &options,
                            llvm::StringRef modelName);

/// Compiles `options.inputPath`; for `--emit=so` also writes model.h next
/// to the shared object. Diagnostics go to `context`'s handler;
/// returns failure after any error.
LogicalResult compileOnnxModel(MLIRContext &context,
                               const CompileOptions &options);

/// Compiles an imported `module` as compileOnnxModel does after import.
LogicalResult compileModule(MLIRContext &context, ModuleOp module,
                            const CompileOptions &options);

/// The calibration suite: one model of representative layers, in the
/// paso dialect, whose profile calibrates a board (CalibrationSuite.cpp):
/// a fixed grid, or, given `profilePath` (a profile of an earlier suite
/// on `target`), the neighbours of the layers the cost model predicts
/// worst. Null after an error (emitted to `context`).
OwningOpRef<ModuleOp> buildCalibrationSuite(MLIRContext &context,
                                            const TargetDescription &target,
                                            llvm::StringRef profilePath = "");

/// Installs a handler printing `TOOL: error: FILE: node 'n' (Op): message`
/// for the lifetime of the returned object.
std::unique_ptr<ScopedDiagnosticHandler>
installOnnxDiagnosticHandler(MLIRContext &context, llvm::StringRef toolName,
                             llvm::StringRef inputPath);

} // namespace mlir::paso

#endif // PASO_PIPELINES_COMPILER_H
