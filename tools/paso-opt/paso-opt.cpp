//===- paso-opt.cpp - the PASO compiler driver ----------------------------===//
//
// `paso-opt model.onnx -target=rpi4 -o model.so` compiles an ONNX model;
// `paso-opt file.mlir --some-pass` is the pass driver used by the lit tests
// (mlir-opt's behaviour, with paso's dialects and passes). The input's
// extension picks the mode; see docs/tools.md.
//
//===----------------------------------------------------------------------===//

#include "paso/Import/OnnxImporter.h"
#include "Calibrate.h"

#include "paso/Pipelines/Compiler.h"
#include "paso/Pipelines/Pipelines.h"
#include "paso/Target/TargetDescription.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::paso;
namespace cl = llvm::cl;

// PASO's options, in the groups `paso-opt --help` shows them in.
static cl::OptionCategory inputCategory("Input");
static cl::OptionCategory targetCategory("Target");
static cl::OptionCategory optimisationCategory("Optimisation");
static cl::OptionCategory outputCategory("Output");
static cl::OptionCategory quantizationCategory("Quantisation");
static cl::OptionCategory reportCategory("Report");

static cl::opt<std::string>
    targetName("target", cl::desc("Target to compile for: a built-in name "
                                  "(see --print-targets) or a .json target "
                                  "file (docs/targets.md)"),
               cl::value_desc("name"), cl::init("host"),
               cl::cat(targetCategory));

static cl::opt<std::string>
    emitName("emit",
             cl::desc("Stage to stop at: onnx-mlir, paso, linalg, llvm, "
                      "asm, obj, so, archive, tflite, ptx (default: by -o)"),
             cl::value_desc("stage"), cl::init("paso"), cl::cat(outputCategory));

static cl::list<std::string>
    inputShapes("input-shape",
                cl::desc("Static shape for a model input, NAME:DIMS such as "
                         "data:1x3x224x224 (repeatable)"),
                cl::value_desc("name:dims"), cl::cat(inputCategory));

static cl::opt<std::string> preprocessSpec(
    "preprocess",
    cl::desc("Feed the image input uint8 camera frames through Halide "
             "(docs/preprocess.md)"),
    cl::value_desc("spec"), cl::cat(inputCategory));

static cl::opt<bool> cudaEmulateFlag(
    "cuda-emulate", cl::Hidden,
    cl::desc("Run a CUDA target's GPU part on the host"),
    cl::cat(targetCategory));

static cl::opt<unsigned>
    optLevel("O", cl::Prefix, cl::ZeroOrMore,
             cl::desc("Optimisation level: -O0 is the straight lowering for "
                      "debugging, -O2/-O3 (default 3) optimise"),
             cl::value_desc("N"), cl::init(3),
             cl::cat(optimisationCategory));

static cl::opt<std::string> quantizeMode(
    "quantize", cl::desc("int8, fp16, or mixed (per layer, by budget)"),
    cl::value_desc("mode"), cl::init("none"), cl::cat(quantizationCategory));

static cl::opt<std::string> calibrationData(
    "calibration-data",
    cl::desc("Samples: .npz of arrays named by input"),
    cl::value_desc("path"), cl::cat(quantizationCategory));

static cl::opt<std::string> calibrationMethod(
    "calibration-method",
    cl::desc("minmax (default), percentile, entropy, mse"),
    cl::value_desc("name"), cl::init("minmax"),
    cl::cat(quantizationCategory));

static cl::opt<std::string> accuracyBudget(
    "accuracy-budget", cl::desc("Mixed: sqnr:DB (default 30) or top1:PCT"),
    cl::value_desc("metric:x"), cl::init("sqnr:30"),
    cl::cat(quantizationCategory));

static cl::opt<std::string> layerTimes(
    "layer-times",
    cl::desc("Mixed: measured or predicted (reproducible)"),
    cl::value_desc("how"), cl::init("measured"),
    cl::cat(quantizationCategory));

static cl::opt<std::string> modelTag(
    "model-tag",
    cl::desc("C identifier the model's own ABI names start with "
             "(<tag>_paso_run), so that several models link into one "
             "program; default: the output file's name"),
    cl::value_desc("name"), cl::cat(outputCategory));

static cl::opt<std::string> reportPath(
    "report",
    cl::desc("Write what each graph pass changed, the fused groups, the "
             "arena plan and every kernel's ONNX origin: a page to read if "
             "FILE ends in .html, else JSON; readable text to stdout with -"),
    cl::value_desc("file"), cl::cat(reportCategory));

static cl::opt<std::string> profilePath(
    "profile",
    cl::desc("A paso-run profile: --report shows it beside the "
             "predictions; --calibration-suite samples where it errs most"),
    cl::value_desc("file"), cl::cat(reportCategory));

// Handled before option parsing (Calibrate.cpp); registered for --help.
static cl::opt<bool> calibrateFlag(
    "calibrate",
    cl::desc("--calibrate P.json... -target=T -o T2.json: fit T's cost "
             "model to profiles"),
    cl::cat(targetCategory));

static cl::opt<bool> calibrationSuiteFlag(
    "calibration-suite",
    cl::desc("Compile the suite of layers a board's profile calibrates "
             "from (docs/profiling.md)"),
    cl::cat(targetCategory));

static cl::opt<bool> printTargetsFlag(
    "print-targets", cl::desc("List the built-in targets with their "
                              "parameters and exit"),
    cl::cat(targetCategory));

static cl::opt<bool> printOnnxOpsFlag(
    "print-onnx-ops",
    cl::desc("List the ONNX ops the importer converts, with their opsets, "
             "and exit"),
    cl::cat(inputCategory));

static cl::opt<bool> checkFlag(
    "check",
    cl::desc("List every node of the model that will not compile, with the "
             "reason, in one pass and without compiling; exit 1 if any"),
    cl::cat(inputCategory));

static bool hasOnnxExtension(StringRef path) {
  return llvm::sys::path::extension(path).equals_insensitive(".onnx");
}

/// True when the user set `name` on the command line.
static bool optionGiven(StringRef name) {
  auto &options = cl::getRegisteredOptions();
  auto it = options.find(name);
  return it != options.end() && it->second->getNumOccurrences() > 0;
}

/// `paso-opt --help` for models: PASO's own options only, by group. The
/// thousand LLVM and MLIR options stay behind --help-mlir.
static void printPasoHelp(llvm::raw_ostream &os) {
  os << "PASO: ahead-of-time compiler for ONNX models on edge devices\n\n"
        "USAGE: paso-opt MODEL.onnx [options] -o OUTPUT\n"
        "       paso-opt FILE.mlir [mlir-opt options]   (pass driver, lit)\n\n"
        "  -o FILE                           output; its extension (.so, .a, "
        ".o, .s, .ll,\n"
        "                                    .tflite, .ptx) picks --emit\n";
  auto &registered = cl::getRegisteredOptions();
  auto print = [&](cl::Option *option) {
    std::string flag =
        option->ArgStr.size() == 1 ? "-" : "--";
    flag += option->ArgStr.str();
    StringRef value = option->ValueStr;
    if (value.empty() && option->getValueExpectedFlag() == cl::ValueRequired)
      value = "value";
    if (!value.empty())
      flag += (option->getFormattingFlag() == cl::Prefix ? "<" : "=<") +
              value.str() + ">";
    os << "  " << flag;
    // The description, wrapped at 80 columns beside the flag.
    size_t column = 2 + flag.size();
    if (column >= 36) {
      os << "\n";
      column = 0;
    }
    StringRef rest = option->HelpStr.trim();
    if (rest.empty())
      os << "\n";
    while (!rest.empty()) {
      size_t cut = rest.size() <= 44 ? rest.size() : rest.rfind(' ', 44);
      if (cut == StringRef::npos || cut == 0)
        cut = std::min<size_t>(44, rest.size());
      os.indent(36 - column) << rest.take_front(cut).rtrim() << "\n";
      rest = rest.drop_front(cut).ltrim();
      column = 0;
    }
  };
  auto byName = [&](auto keep) {
    SmallVector<cl::Option *> options;
    for (auto &entry : registered)
      if (keep(entry.first, entry.second) &&
          !llvm::is_contained(options, entry.second))
        options.push_back(entry.second);
    llvm::sort(options, [](cl::Option *a, cl::Option *b) {
      return a->ArgStr < b->ArgStr;
    });
    return options;
  };
  for (cl::OptionCategory *category :
       {&inputCategory, &targetCategory, &optimisationCategory,
        &quantizationCategory, &outputCategory, &reportCategory}) {
    os << "\n" << category->getName() << ":\n";
    for (cl::Option *option : byName([&](StringRef, cl::Option *o) {
           return llvm::is_contained(o->Categories, category);
         }))
      print(option);
  }
  os << "\nTuning and tests (defined by the passes):\n";
  for (cl::Option *option : byName([](StringRef name, cl::Option *) {
         return name.starts_with("paso-");
       }))
    print(option);
  os << "\nGeneral:\n"
        "  --help                            this list\n"
        "  --help-mlir                       every option, MLIR's and LLVM's "
        "included\n"
        "  --version                         LLVM and PASO versions, ONNX "
        "range\n";
}

/// What --help should print: PASO's list unless the pass driver (a .mlir
/// input) or --help-mlir asks for the full one.
enum class HelpRequest { None, Paso, Full };

static HelpRequest helpRequested(int argc, char **argv) {
  HelpRequest request = HelpRequest::None;
  bool passDriver = false;
  for (int i = 1; i < argc; ++i) {
    StringRef arg(argv[i]);
    if (arg == "--help-mlir" || arg == "-help-mlir" ||
        arg == "--help-list-all")
      return HelpRequest::Full;
    if (arg == "--help" || arg == "-help" || arg == "-h")
      request = HelpRequest::Paso;
    if (!arg.starts_with("-") && arg.ends_with(".mlir"))
      passDriver = true;
  }
  return request == HelpRequest::Paso && passDriver ? HelpRequest::Full
                                                    : request;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  if (::paso::opt::calibrationRequested(argc, argv))
    return ::paso::opt::runCalibration(argc, argv);
  HelpRequest help = helpRequested(argc, argv);
  if (help == HelpRequest::Paso) {
    printPasoHelp(llvm::outs());
    return 0;
  }
  // --help-mlir is LLVM's --help with every option listed.
  SmallVector<char *> args(argv, argv + argc);
  std::string fullHelp = "--help";
  if (help == HelpRequest::Full)
    for (char *&arg : args)
      if (StringRef(arg).starts_with("--help-") || StringRef(arg) == "-help-mlir")
        arg = fullHelp.data();
  argc = args.size();
  argv = args.data();
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
  if (!hasOnnxExtension(inputFilename) && !calibrationSuiteFlag)
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
  options.calibrationSuite = calibrationSuiteFlag;
  if (calibrationSuiteFlag)
    options.inputPath = "paso-calibration-suite";
  options.outputPath = outputFilename;
  options.target = *target;
  options.stage = *stage;
  if (optLevel > 3) {
    llvm::errs() << "paso-opt: error: -O" << optLevel
                 << " is not an optimisation level; use -O0 to -O3\n";
    return 1;
  }
  options.optLevel = optLevel;
  options.cudaEmulate = cudaEmulateFlag;
  options.reportPath = reportPath;
  options.preprocess = preprocessSpec;
  options.profilePath = profilePath;
  if (!profilePath.empty() && reportPath.empty() && !calibrationSuiteFlag) {
    llvm::errs() << "paso-opt: error: --profile is read by --report (add "
                    "--report=FILE) or --calibration-suite\n";
    return 1;
  }
  if (!modelTag.empty()) {
    StringRef tag = modelTag;
    if ((!llvm::isAlpha(tag.front()) && tag.front() != '_') ||
        !llvm::all_of(tag, [](char c) { return llvm::isAlnum(c) || c == '_'; })) {
      llvm::errs() << "paso-opt: error: --model-tag '" << tag
                   << "' is not a C identifier\n";
      return 1;
    }
    options.modelTag = modelTag;
  }
  {
    std::optional<QuantizeMode> mode = parseQuantizeMode(quantizeMode);
    std::optional<CalibrationMethod> method =
        parseCalibrationMethod(calibrationMethod);
    std::optional<AccuracyBudget> budget = parseAccuracyBudget(accuracyBudget);
    auto reject = [](const llvm::Twine &message) {
      llvm::errs() << "paso-opt: error: " << message << "\n";
      return 1;
    };
    if (!mode)
      return reject("--quantize='" + quantizeMode +
                    "' is not a mode; use int8, fp16 or mixed");
    if (!method)
      return reject("--calibration-method='" + calibrationMethod +
                    "' is not a method; use minmax, percentile, entropy "
                    "or mse");
    if (!budget)
      return reject("--accuracy-budget='" + accuracyBudget +
                    "' is not a budget; use sqnr:DB (least output SQNR "
                    "against fp32) or top1:PERCENT (most top-1 decisions "
                    "changed)");
    bool calibrated = *mode == QuantizeMode::Int8 || *mode == QuantizeMode::Mixed;
    if (*mode == QuantizeMode::Fp16 &&
        (!calibrationData.empty() || optionGiven("calibration-method")))
      return reject("--quantize=fp16 needs no calibration: drop "
                    "--calibration-data and --calibration-method");
    if (calibrated && calibrationData.empty())
      return reject("--quantize=" + quantizeMode +
                    " needs --calibration-data=PATH: an .npz of arrays "
                    "named after the model's inputs, samples along a new "
                    "first axis (docs/quantization.md)");
    if (*mode == QuantizeMode::None &&
        (!calibrationData.empty() || optionGiven("accuracy-budget") ||
         optionGiven("calibration-method")))
      return reject("--calibration-data, --calibration-method and "
                    "--accuracy-budget apply to --quantize=int8|mixed");
    if (*mode != QuantizeMode::None && optLevel == 0)
      return reject("--quantize needs the graph optimisations; drop -O0");
    if (optionGiven("accuracy-budget") && *mode != QuantizeMode::Mixed)
      return reject("--accuracy-budget applies to --quantize=mixed");
    if (layerTimes != "measured" && layerTimes != "predicted")
      return reject("--layer-times='" + layerTimes +
                    "' is not a source; use measured or predicted");
    if (optionGiven("layer-times") && *mode != QuantizeMode::Mixed)
      return reject("--layer-times applies to --quantize=mixed");
    options.quantize.measureLayerTimes = layerTimes == "measured";
    options.quantize.mode = *mode;
    options.quantize.calibrationData = calibrationData;
    options.quantize.method = *method;
    options.quantize.budget = *budget;
  }
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
  auto handler = installOnnxDiagnosticHandler(
      context, "paso-opt",
      calibrationSuiteFlag ? StringRef(options.inputPath) : inputFilename);
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
