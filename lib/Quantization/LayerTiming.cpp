//===- LayerTiming.cpp - per-layer times measured on the host -------------===//

#include "LayerTiming.h"

#include "HalfPrecision.h"

#include "paso/Runtime/ModelLibrary.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::paso;

namespace {

/// A host build's measurement: per layer seconds, and the generated code's
/// (whole run minus kernels).
struct BuildTimes {
  std::vector<double> layers;
  double run = 0, generated = 0;
};

constexpr int kRuns = 10;

FailureOr<BuildTimes> profileBuild(ModuleOp module, const QuantPlan &plan,
                                   const CompileForHost &compile,
                                   StringRef layout,
                                   const std::vector<std::vector<char>> &sample,
                                   Location loc) {
  SmallString<128> soPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("paso-timing", "so", soPath))
    return emitError(loc) << "cannot create a temporary file: "
                          << ec.message();
  llvm::FileRemover remove(soPath);
  if (failed(compile(module, soPath, layout)))
    return failure();
  std::string error;
  std::unique_ptr<::paso::ModelLibrary> library =
      ::paso::ModelLibrary::open(soPath.str().str(), error);
  if (!library)
    return emitError(loc) << "--quantize: " << error;
  auto enable = library->api().profileEnable;
  auto read = library->api().profileRead;
  llvm::Expected<llvm::json::Value> parsed =
      llvm::json::parse(library->api().kernelTable());
  if (!parsed)
    return emitError(loc) << "--quantize: the timing build's kernel table "
                          << "does not parse: "
                          << llvm::toString(parsed.takeError());
  library->api().setNumThreads(1);
  std::vector<const void *> inputs;
  for (const std::vector<char> &input : sample)
    inputs.push_back(input.data());
  std::vector<std::vector<char>> outputs;
  for (int warm = 0; warm < 2; ++warm)
    if (!library->run(inputs, outputs, error))
      return emitError(loc) << "--quantize: " << error;
  enable(PASO_PROFILE_TIME);
  for (int run = 0; run < kRuns; ++run)
    if (!library->run(inputs, outputs, error))
      return emitError(loc) << "--quantize: " << error;
  auto seconds = [&](int64_t kernel) {
    uint64_t values[2] = {0, 0};
    read(kernel, values, 2);
    return values[1] * 1e-9 / kRuns;
  };
  BuildTimes times;
  times.layers.assign(plan.layers.size(), 0);
  std::vector<bool> found(plan.layers.size(), false);
  double kernels = 0;
  const llvm::json::Array *list =
      parsed->getAsObject() ? parsed->getAsObject()->getArray("kernels")
                            : nullptr;
  for (const llvm::json::Value &entry : list ? *list : llvm::json::Array()) {
    const llvm::json::Object *kernel = entry.getAsObject();
    std::optional<int64_t> id = kernel ? kernel->getInteger("id") : std::nullopt;
    const llvm::json::Array *nodes = kernel ? kernel->getArray("onnx_nodes")
                                            : nullptr;
    if (!id || !nodes)
      continue;
    double spent = seconds(*id);
    kernels += spent;
    // The kernel belongs to the layer whose own node it covers (several
    // kernels, such as Winograd's transforms, may share one layer).
    for (size_t l = 0; l < plan.layers.size(); ++l)
      if (llvm::any_of(*nodes, [&](const llvm::json::Value &node) {
            return node.getAsString() &&
                   *node.getAsString() == plan.layers[l].node;
          })) {
        times.layers[l] += spent;
        found[l] = true;
        break;
      }
  }
  for (size_t l = 0; l < plan.layers.size(); ++l)
    if (!found[l])
      times.layers[l] = -1;
  times.run = seconds(0);
  times.generated = std::max(0.0, times.run - kernels);
  enable(0);
  return times;
}

} // namespace

FailureOr<HostLayerTimes> mlir::paso::measureHostLayerTimes(
    ModuleOp module, const QuantPlan &plan,
    const std::vector<ActivationParams> &grid,
    const std::vector<std::vector<float>> &corrections,
    const CompileForHost &compile,
    const std::vector<std::vector<char>> &sample, bool half) {
  Location loc = module.getLoc();
  OwningOpRef<ModuleOp> fp32 = module.clone(), int8 = module.clone();
  auto int8Main = int8->lookupSymbol<func::FuncOp>("main");
  QuantPlan int8Plan = planQuantization(int8Main);
  if (int8Plan.layers.size() != plan.layers.size())
    return emitError(loc) << "--quantize: the timing build differs";
  applyQuantization(int8Plan,
                    std::vector<bool>(plan.layers.size(), true), grid,
                    corrections);
  // fp32 layers are timed in NCHW, where mixes ran while the integer
  // kernels were NCHW-only (a mix may now go NHWC, which these times do
  // not see: docs/quantization.md); the float model in its own layout is
  // timed whole, as the alternative to any mix.
  OwningOpRef<ModuleOp> fp32Own = module.clone();
  FailureOr<BuildTimes> fp32Times =
      profileBuild(*fp32, plan, compile, "nchw", sample, loc);
  if (failed(fp32Times))
    return failure();
  FailureOr<BuildTimes> int8Times =
      profileBuild(*int8, plan, compile, "", sample, loc);
  if (failed(int8Times))
    return failure();
  FailureOr<BuildTimes> floatModel =
      profileBuild(*fp32Own, plan, compile, "", sample, loc);
  if (failed(floatModel))
    return failure();
  HostLayerTimes times;
  times.fp32 = fp32Times->layers;
  times.int8 = int8Times->layers;
  times.generatedGrowth = int8Times->generated - fp32Times->generated;
  times.int8Run = int8Times->run;
  times.floatRun = floatModel->run;
  if (!half)
    return times;
  // fp16 layers of a mix run NCHW too (where the fp16 kernel transposes);
  // the all-fp16 model in its own layout is the other whole alternative.
  OwningOpRef<ModuleOp> halfNchw = module.clone(), halfOwn = module.clone();
  for (ModuleOp build : {*halfNchw, *halfOwn}) {
    QuantPlan buildPlan =
        planQuantization(build.lookupSymbol<func::FuncOp>("main"));
    markHalfLayers(buildPlan, std::vector<bool>(plan.layers.size(), true));
  }
  FailureOr<BuildTimes> halfTimes =
      profileBuild(*halfNchw, plan, compile, "nchw", sample, loc);
  if (failed(halfTimes))
    return failure();
  FailureOr<BuildTimes> halfModel =
      profileBuild(*halfOwn, plan, compile, "", sample, loc);
  if (failed(halfModel))
    return failure();
  times.fp16 = halfTimes->layers;
  for (size_t l = 0; l < plan.layers.size(); ++l)
    if (!takesHalfPrecision(plan.layers[l]))
      times.fp16[l] = -1;
  times.halfRun = halfModel->run;
  return times;
}
