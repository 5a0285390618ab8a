//===- paso-opt.cpp - the PASO compiler driver ----------------------------===//
//
// `paso-opt model.onnx -target=rpi4 -o model.so` compiles an ONNX model;
// `paso-opt file.mlir --some-pass` is the pass driver used by the lit tests
// (mlir-opt's behaviour, with paso's dialects and passes). The input's
// extension picks the mode; see docs/tools.md.
//
//===----------------------------------------------------------------------===//

#include "paso/Import/OnnxImporter.h"
#include "paso/Pipelines/Compiler.h"
#include "paso/Pipelines/Pipelines.h"
#include "paso/Target/TargetDescription.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::paso;
namespace cl = llvm::cl;

static cl::OptionCategory pasoCategory("PASO compiler options (ONNX input)");

static cl::opt<std::string>
    targetName("target", cl::desc("Target to compile for: a built-in name "
                                  "(see --print-targets) or a .json target "
                                  "file (docs/targets.md)"),
               cl::value_desc("name"), cl::init("host"),
               cl::cat(pasoCategory));

static cl::opt<std::string>
    emitName("emit",
             cl::desc("Stage to stop at and print: onnx-mlir (as imported), "
                      "paso (imported and canonicalised), linalg, llvm, asm, "
                      "obj, so, tflite, ptx. Default: implied by the -o "
                      "extension (.so, .o, .s, .ll, .tflite, .ptx), else paso"),
             cl::value_desc("stage"), cl::init("paso"), cl::cat(pasoCategory));

static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape for a model input, NAME:DIMS such as "
                         "data:1x3x224x224 (repeatable)"),
                cl::value_desc("name:dims"), cl::cat(pasoCategory));

static cl::opt<unsigned>
    optLevel("O", cl::Prefix, cl::ZeroOrMore,
             cl::desc("Optimisation level: -O0 is the straight lowering for "
                      "debugging, -O2/-O3 (default 3) optimise"),
             cl::init(3), cl::cat(pasoCategory));

static cl::opt<std::string> reportPath(
    "report",
    cl::desc("Write what each graph pass changed, the fused groups, the "
             "arena plan and every kernel's ONNX origin: JSON to FILE, or "
             "readable text to stdout with -"),
    cl::value_desc("file"), cl::cat(pasoCategory));

static cl::opt<bool> printTargetsFlag(
    "print-targets", cl::desc("List the built-in targets with their "
                              "parameters and exit"),
    cl::cat(pasoCategory));

static cl::opt<bool> printOnnxOpsFlag(
    "print-onnx-ops",
    cl::desc("List the ONNX ops the importer converts, with their opsets, "
             "and exit"),
    cl::cat(pasoCategory));

static cl::opt<bool> checkFlag(
    "check",
    cl::desc("List every node of the model that will not compile, with the "
             "reason, in one pass and without compiling; exit 1 if any"),
    cl::cat(pasoCategory));

static bool hasOnnxExtension(StringRef path) {
  return llvm::sys::path::extension(path).equals_insensitive(".onnx");
}

/// True when the user set `name` on the command line.
static bool optionGiven(StringRef name) {
  auto &options = cl::getRegisteredOptions();
  auto it = options.find(name);
  return it != options.end() && it->second->getNumOccurrences() > 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  DialectRegistry registry;
  registerPasoDialects(registry);
  registerPasoPasses();
  cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "PASO paso-opt 0.1.0 (ONNX IR <= " << kMaxOnnxIrVersion
       << ", opsets " << kMinOnnxOpset << "-" << kMaxOnnxOpset << ")\n";
  });

  auto [inputFilename, outputFilename] = registerAndParseCLIOptions(
      argc, argv,
      "PASO: ahead-of-time compiler for ONNX models on edge devices\n\n"
      "  paso-opt model.onnx -target=rpi4 -o model.so   compile a model\n"
      "  paso-opt file.mlir --pass-pipeline=...        run passes (lit)\n",
      registry);

  if (printTargetsFlag) {
    printTargets(llvm::outs());
    return 0;
  }
  if (printOnnxOpsFlag) {
    printSupportedOnnxOps(llvm::outs());
    return 0;
  }
  llvm::Expected<TargetDescription> target = resolveTarget(targetName);
  if (!target) {
    llvm::errs() << "paso-opt: error: " << llvm::toString(target.takeError())
                 << "\n";
    return 1;
  }
  if (!hasOnnxExtension(inputFilename))
    return failed(MlirOptMain(argc, argv, inputFilename, outputFilename,
                              registry));

  std::optional<EmitStage> stage = parseEmitStage(emitName);
  if (!optionGiven("emit"))
    if (std::optional<EmitStage> implied = emitStageForOutput(outputFilename))
      stage = implied;
  if (!stage) {
    llvm::errs() << "paso-opt: error: unknown --emit value '" << emitName
                 << "'; valid values: " << listEmitStages() << "\n";
    return 1;
  }
  CompileOptions options;
  options.inputPath = inputFilename;
  options.outputPath = outputFilename;
  options.target = *target;
  options.stage = *stage;
  if (optLevel > 3) {
    llvm::errs() << "paso-opt: error: -O" << optLevel
                 << " is not an optimisation level; use -O0 to -O3\n";
    return 1;
  }
  options.optLevel = optLevel;
  options.reportPath = reportPath;
  for (const std::string &text : inputShapes) {
    auto parsed = parseInputShape(text);
    if (!parsed) {
      llvm::errs() << "paso-opt: error: " << llvm::toString(parsed.takeError())
                   << "\n";
      return 1;
    }
    options.import.inputShapes[parsed->first] = parsed->second;
  }
  // Weights are elided from printed IR unless the user asks for them: the
  // text of ResNet-50's weights alone would be 200 MB.
  if (!optionGiven("mlir-elide-resource-strings-if-larger"))
    options.printing.elideLargeResourceString(1024);

  MLIRContext context(registry);
  auto handler = installOnnxDiagnosticHandler(context, "paso-opt",
                                              inputFilename);
  if (checkFlag) {
    OnnxCheckResult check =
        checkOnnxModel(inputFilename, context, options.import);
    if (check.modelError)
      return 1;
    if (check.failed == 0) {
      llvm::outs() << inputFilename << ": all " << check.nodes
                   << " nodes import\n";
      return 0;
    }
    llvm::errs() << inputFilename << ": " << check.failed << " of "
                 << check.nodes << " nodes will not compile (errors above)";
    if (check.skipped)
      llvm::errs() << "; " << check.skipped
                   << " nodes that depend on them were not checked";
    llvm::errs() << "\n";
    return 1;
  }
  return failed(compileOnnxModel(context, options)) ? 1 : 0;
}
