//===- PostTrainingQuantization.cpp - int8 and mixed precision ------------===//
//
// The steps: plan the layers; compile the simulation model (QuantizationPlan.h)
// for the host; run the calibration samples through it in float to choose
// each activation's range; then, on the held-back samples, measure the
// output error of each layer alone in int8 (its sensitivity) and, for
// --quantize=mixed, search the layers to keep in fp32 (or fp16, measured on
// real host builds, where the target and host compute in it); finally
// rewrite the module to QDQ form for the chosen layers and mark the fp16
// ones. --quantize=fp16 needs none of this (HalfPrecision.cpp).
//
//===----------------------------------------------------------------------===//

#include "paso/Quantization/PostTrainingQuantization.h"

#include "CalibrationData.h"
#include "HalfPrecision.h"
#include "LayerTiming.h"
#include "PrecisionSearch.h"
#include "QuantizationPlan.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"
#include "paso/Runtime/ModelLibrary.h"
#include "paso/Target/CPU/CpuBackend.h"
#include "paso/Target/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::paso;
using ::paso::ModelLibrary;

std::optional<QuantizeMode> mlir::paso::parseQuantizeMode(StringRef text) {
  return llvm::StringSwitch<std::optional<QuantizeMode>>(text)
      .Case("int8", QuantizeMode::Int8)
      .Case("fp16", QuantizeMode::Fp16)
      .Case("mixed", QuantizeMode::Mixed)
      .Case("none", QuantizeMode::None)
      .Default(std::nullopt);
}

std::optional<CalibrationMethod>
mlir::paso::parseCalibrationMethod(StringRef text) {
  return llvm::StringSwitch<std::optional<CalibrationMethod>>(text)
      .Case("minmax", CalibrationMethod::MinMax)
      .Case("percentile", CalibrationMethod::Percentile)
      .Case("entropy", CalibrationMethod::Entropy)
      .Case("mse", CalibrationMethod::Mse)
      .Default(std::nullopt);
}

StringRef mlir::paso::calibrationMethodName(CalibrationMethod method) {
  switch (method) {
  case CalibrationMethod::MinMax: return "minmax";
  case CalibrationMethod::Percentile: return "percentile";
  case CalibrationMethod::Entropy: return "entropy";
  case CalibrationMethod::Mse: return "mse";
  }
  llvm_unreachable("every method has a name");
}

std::optional<AccuracyBudget> mlir::paso::parseAccuracyBudget(StringRef text) {
  auto [metric, value] = text.split(':');
  AccuracyBudget budget;
  if (metric == "sqnr")
    budget.metric = AccuracyBudget::Metric::Sqnr;
  else if (metric == "top1")
    budget.metric = AccuracyBudget::Metric::Top1;
  else
    return std::nullopt;
  if (value.getAsDouble(budget.value) || !std::isfinite(budget.value) ||
      budget.value < 0)
    return std::nullopt;
  return budget;
}

namespace {

/// Layers with fewer multiply-adds stay fp32 under --quantize=int8.
constexpr int64_t kMinInt8MultiplyAdds = 4096;

/// NumPy's type string for a model input's element type.
std::string npyType(Type element) {
  if (element.isF32()) return "f4";
  if (element.isF64()) return "f8";
  if (element.isInteger(1)) return "b1";
  if (auto integer = dyn_cast<IntegerType>(element))
    return (integer.isUnsigned() ? "u" : "i") +
           std::to_string(integer.getWidth() / 8);
  return "";
}

/// Index of the largest of `n` floats.
size_t argmax(const float *values, int64_t n) {
  return std::max_element(values, values + n) - values;
}

/// Output error of one configuration on the held-back samples.
struct Accuracy {
  double signal = 0, noise = 0;
  int64_t decisions = 0, changed = 0;
  /// Adds `count` output values of one sample, `a` against the float
  /// model's `b`, and their top-1 decisions over `classes` (0: none).
  void add(const float *a, const float *b, size_t count, int64_t classes) {
    for (size_t i = 0; i < count; ++i) {
      signal += double(b[i]) * b[i];
      noise += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    }
    if (classes > 1)
      for (size_t row = 0; row + classes <= count; row += classes) {
        ++decisions;
        changed += argmax(a + row, classes) != argmax(b + row, classes);
      }
  }
  double sqnrDb() const {
    return noise > 0 ? 10 * std::log10(signal / noise) : 200.0;
  }
  double changedPercent() const {
    return decisions ? 100.0 * changed / decisions : 0;
  }
};

/// Runs the simulation model (QuantizationPlan.h) on samples.
class Simulator {
public:
  Simulator(ModelLibrary &library, const QuantPlan &plan, int modelOutputs)
      : library(library), plan(plan), modelOutputs(modelOutputs),
        params(simulationParamCount(plan), 0) {
    for (size_t v = 0; v < plan.values.size(); ++v)
      params[3 * v + 1] = 1; // a scale for the disabled fake-quantisation
  }

  /// Sets the flags for `int8Layers` with activation `grid` and the
  /// layers' bias `corrections` (empty: none).
  void configure(const std::vector<bool> &int8Layers,
                 const std::vector<ActivationParams> &grid,
                 const std::vector<std::vector<float>> &corrections) {
    std::vector<bool> values = quantizedValues(plan, int8Layers);
    for (size_t v = 0; v < plan.values.size(); ++v) {
      params[3 * v] = values[v] ? 1 : 0;
      params[3 * v + 1] = static_cast<float>(grid[v].scale);
      params[3 * v + 2] = static_cast<float>(grid[v].zeroPoint);
    }
    for (size_t l = 0; l < plan.layers.size(); ++l) {
      params[3 * plan.values.size() + l] = int8Layers[l] ? 1 : 0;
      int64_t offset = correctionOffset(plan, l);
      for (size_t c = 0; c < corrections[l].size(); ++c)
        params[offset + c] = corrections[l][c];
      if (corrections[l].empty())
        std::fill(params.begin() + offset,
                  params.begin() + offset + outputChannels(plan.layers[l]), 0);
    }
  }

  /// The shape of output `i`.
  std::vector<int64_t> shape(int i) const {
    const paso_tensor_info *info = library.api().outputInfo(i);
    return std::vector<int64_t>(info->shape, info->shape + info->rank);
  }

  bool run(const std::vector<std::vector<char>> &sample,
           std::vector<std::vector<char>> &outputs, std::string &error) {
    std::vector<const void *> inputs;
    for (const std::vector<char> &input : sample)
      inputs.push_back(input.data());
    inputs.push_back(params.data());
    return library.run(inputs, outputs, error);
  }

  /// Output `i` as floats (null for other element types).
  const float *floats(const std::vector<std::vector<char>> &outputs, int i,
                      size_t &count) const {
    const paso_tensor_info *info = library.api().outputInfo(i);
    count = outputs[i].size() / 4;
    return info->dtype == PASO_FLOAT32
               ? reinterpret_cast<const float *>(outputs[i].data())
               : nullptr;
  }

  /// The first model output's class axis (its last dim), when it has one.
  int64_t classes() const {
    const paso_tensor_info *info = library.api().outputInfo(0);
    return info->dtype == PASO_FLOAT32 && info->rank >= 1
               ? info->shape[info->rank - 1]
               : 0;
  }

  ModelLibrary &library;
  const QuantPlan &plan;
  int modelOutputs;
  std::vector<float> params;
};

} // namespace

LogicalResult mlir::paso::quantizeModule(ModuleOp module,
                                         const QuantizeOptions &options,
                                         const TargetDescription &target,
                                         const CompileForHost &compile,
                                         QuantizationSummary &summary) {
  if (options.mode == QuantizeMode::Fp16)
    return markHalfPrecisionLayers(module, target, summary);
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("--quantize: the module has no @main");
  Location loc = main.getLoc();
  // The full-integer scheme's matmuls and gemms have one weight scale:
  // equalisation evens out the channels it must cover. Per-channel weights
  // gain nothing (docs/quantization.md), so other pairs are left alone.
  if (options.fullInteger)
    summary.equalizedPairs = equalizeLayerPairs(main, /*perTensorOnly=*/true);
  QuantPlan plan = planQuantization(main, options.fullInteger);
  summary.method = calibrationMethodName(options.method).str();
  if (plan.layers.empty()) {
    emitWarning(loc) << "--quantize: no convolution or matrix product with "
                        "constant float weights; the model stays fp32";
    return success();
  }

  // The samples, checked against the model's inputs.
  std::vector<CalibrationInput> inputs;
  auto inputNames = module->getAttrOfType<ArrayAttr>("paso.onnx.input_names");
  for (BlockArgument arg : main.getArguments()) {
    auto type = cast<RankedTensorType>(arg.getType());
    CalibrationInput input;
    input.name = inputNames && arg.getArgNumber() < inputNames.size()
                     ? cast<StringAttr>(inputNames[arg.getArgNumber()]).str()
                     : "input" + std::to_string(arg.getArgNumber());
    input.shape.assign(type.getShape().begin(), type.getShape().end());
    input.npyType = npyType(type.getElementType());
    inputs.push_back(input);
  }
  llvm::Expected<CalibrationSamples> data =
      loadCalibrationData(options.calibrationData, inputs);
  if (!data)
    return emitError(loc) << llvm::toString(data.takeError());
  std::vector<std::vector<std::vector<char>>> &samples = data->samples;

  // The simulation model, compiled for the host.
  int modelOutputs = main.getNumResults();
  OwningOpRef<ModuleOp> sim = module.clone();
  auto simMain = sim->lookupSymbol<func::FuncOp>("main");
  QuantPlan simPlan = planQuantization(simMain, options.fullInteger);
  if (simPlan.values.size() != plan.values.size() ||
      failed(buildSimulationModel(*sim, simMain, simPlan)))
    return emitError(loc) << "--quantize: cannot build the calibration model";
  SmallString<128> soPath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "paso-calibration", "so", soPath))
    return emitError(loc) << "cannot create a temporary file: " << ec.message();
  llvm::FileRemover removeSo(soPath);
  llvm::errs() << "paso-opt: quantising: compiling the calibration model ("
               << plan.layers.size() << " layers, " << plan.values.size()
               << " activations) for the host\n";
  if (failed(compile(*sim, soPath, "")))
    return failure();
  std::string error;
  std::unique_ptr<ModelLibrary> library = ModelLibrary::open(soPath.str().str(),
                                                             error);
  if (!library)
    return emitError(loc) << "--quantize: " << error;
  Simulator simulator(*library, plan, modelOutputs);

  // A quarter of the samples (at least one, when there are two) are held
  // back to measure accuracy; one sample serves for both.
  size_t heldBack = samples.size() >= 2 ? std::max<size_t>(1, samples.size() / 4)
                                        : 0;
  size_t calibration = samples.size() - heldBack;
  summary.calibrationSamples = calibration;
  summary.heldBackSamples = heldBack ? heldBack : samples.size();
  std::vector<size_t> evaluation;
  for (size_t s = heldBack ? calibration : 0; s < samples.size(); ++s)
    evaluation.push_back(s);

  // Ranges: one pass, two for the histogram methods.
  std::vector<RangeObserver> observers(plan.values.size());
  // Per-channel means of each layer's input, for the bias correction.
  std::vector<std::vector<double>> inputMeans(plan.layers.size());
  std::vector<std::vector<char>> outputs;
  int passes = options.method == CalibrationMethod::MinMax ? 1 : 2;
  llvm::errs() << "paso-opt: quantising: " << summary.method << " ranges from "
               << calibration << " samples, accuracy on "
               << summary.heldBackSamples << (heldBack ? " held back" : "")
               << "\n";
  for (int pass = 0; pass < passes; ++pass)
    for (size_t s = 0; s < calibration; ++s) {
      if (!simulator.run(samples[s], outputs, error))
        return emitError(loc) << "--quantize: calibration sample " << s << ": "
                              << error;
      for (size_t v = 0; v < plan.values.size(); ++v) {
        size_t count;
        const float *values = simulator.floats(outputs, modelOutputs + v, count);
        if (pass == 0)
          observers[v].observeRange(values, count);
        else
          observers[v].observeHistogram(values, count);
      }
      if (pass != 0)
        continue;
      for (size_t l = 0; l < plan.layers.size(); ++l) {
        int output = modelOutputs + plan.layers[l].input;
        size_t count;
        const float *values = simulator.floats(outputs, output, count);
        std::vector<int64_t> shape = simulator.shape(output);
        // NCHW channels for convolutions, the last axis for products.
        bool conv = isa<ConvOp>(plan.layers[l].op);
        int64_t channels = conv ? shape[1] : shape.back();
        int64_t inner = conv ? count / shape[0] / channels : 1;
        std::vector<double> &means = inputMeans[l];
        means.resize(channels, 0);
        double weight = double(channels) / count / calibration;
        for (size_t i = 0; i < count; ++i)
          means[(i / inner) % channels] += values[i] * weight;
      }
    }
  std::vector<ActivationParams> grid;
  std::vector<std::pair<double, double>> ranges;
  for (RangeObserver &observer : observers) {
    ranges.push_back(observer.chooseRange(options.method));
    grid.push_back(activationParams(ranges.back().first, ranges.back().second));
  }
  // Concatenated values share one grid (over the union of their ranges)
  // and a max pooling's output its input's, so that both run on integer
  // storage (paso-fold-qdq) instead of in float between conversions.
  {
    llvm::DenseMap<Value, int> index;
    for (size_t v = 0; v < plan.values.size(); ++v)
      index[plan.values[v]] = v;
    llvm::DenseMap<Value, ActivationParams> shared;
    for (size_t v = 0; v < plan.values.size(); ++v)
      shared[plan.values[v]] = grid[v];
    main.walk([&](Operation *op) {
      if (auto concat = dyn_cast<ConcatOp>(op)) {
        double lo = 0, hi = 0;
        for (Value input : concat.getInputs()) {
          auto found = index.find(input);
          if (found == index.end())
            return;
          auto [l, h] = ranges[found->second];
          lo = std::min(lo, l);
          hi = std::max(hi, h);
        }
        ActivationParams joint = activationParams(lo, hi);
        for (Value input : concat.getInputs())
          grid[index[input]] = shared[input] = joint;
        shared[concat.getResult()] = joint;
        if (auto it = index.find(concat.getResult()); it != index.end())
          grid[it->second] = joint;
      } else if (auto pool = dyn_cast<MaxPoolOp>(op)) {
        auto input = shared.find(pool.getInput());
        if (input == shared.end())
          return;
        ActivationParams same = input->second;
        shared[pool.getResult()] = same;
        if (auto it = index.find(pool.getResult()); it != index.end())
          grid[it->second] = same;
      }
    });
  }
  // In the TFLite scheme, probabilities and gates keep the whole of
  // [0, 1] (softmax and sigmoid on TFLite's own 1/256 grid, tanh on
  // [-1, 1] in 1/128 steps), whatever the
  // calibration samples reached: a calibrated maximum below 1 would
  // saturate a more confident input.
  if (plan.fullInteger)
    for (size_t v = 0; v < plan.values.size(); ++v) {
      Operation *producer = plan.values[v].getDefiningOp();
      if (isa_and_nonnull<SoftmaxOp, SigmoidOp>(producer))
        grid[v] = ActivationParams{1.0 / 256, -128};
      else if (isa_and_nonnull<TanhOp>(producer))
        grid[v] = ActivationParams{1.0 / 128, 0};
      else if (isa_and_nonnull<HardSigmoidOp>(producer))
        grid[v] = activationParams(0.0, 1.0);
    }
  std::vector<std::vector<float>> corrections(plan.layers.size()),
      noCorrections(plan.layers.size());
  for (size_t l = 0; l < plan.layers.size(); ++l)
    if (std::optional<QuantizedWeights> weights =
            quantizeWeights(plan.layers[l]))
      corrections[l] = biasCorrection(plan.layers[l], *weights, inputMeans[l]);

  // The float model's outputs on the held-back samples.
  std::vector<std::vector<std::vector<char>>> reference;
  simulator.configure(std::vector<bool>(plan.layers.size(), false), grid,
                      noCorrections);
  for (size_t s : evaluation) {
    if (!simulator.run(samples[s], outputs, error))
      return emitError(loc) << "--quantize: sample " << s << ": " << error;
    outputs.resize(modelOutputs);
    reference.push_back(outputs);
  }
  int64_t classes = simulator.classes();
  // Adds one sample's model outputs `got` (as the model library returns
  // them: the simulation model's first outputs are the model's, so its
  // output table reads both) against the float model's `want`.
  auto compare = [&](Accuracy &accuracy,
                     const std::vector<std::vector<char>> &want,
                     const std::vector<std::vector<char>> &got) {
    for (int o = 0; o < modelOutputs; ++o) {
      size_t count;
      const float *a = simulator.floats(got, o, count);
      const float *b = simulator.floats(want, o, count);
      if (a && b)
        accuracy.add(a, b, count, o == 0 ? classes : 0);
    }
  };
  // The accuracy of an assignment on the held-back samples.
  auto measure =
      [&](const std::vector<bool> &int8Layers) -> FailureOr<Accuracy> {
    Accuracy accuracy;
    simulator.configure(int8Layers, grid, corrections);
    for (size_t e = 0; e < evaluation.size(); ++e) {
      if (!simulator.run(samples[evaluation[e]], outputs, error))
        return emitError(loc) << "--quantize: sample " << evaluation[e] << ": "
                              << error;
      compare(accuracy, reference[e], outputs);
    }
    return accuracy;
  };

  // Bias correction where it helps: all layers in int8 with and without.
  {
    std::vector<bool> all(plan.layers.size(), true);
    FailureOr<Accuracy> with = measure(all);
    std::swap(corrections, noCorrections);
    FailureOr<Accuracy> without = measure(all);
    if (failed(with) || failed(without))
      return failure();
    summary.biasCorrection = with->noise < without->noise;
    if (summary.biasCorrection)
      std::swap(corrections, noCorrections);
    llvm::errs() << llvm::formatv(
        "paso-opt: quantising: bias correction {0} (all-int8 output SQNR "
        "{1:F1} dB with, {2:F1} dB without)\n",
        summary.biasCorrection ? "on" : "off", with->sqnrDb(),
        without->sqnrDb());
  }

  // Each layer alone in int8, and its predicted times.
  std::vector<double> noise;
  llvm::errs() << "paso-opt: quantising: measuring the sensitivity of "
               << plan.layers.size() << " layers\n";
  auto elements = [](Value v) {
    return double(cast<RankedTensorType>(v.getType()).getNumElements());
  };
  // The cost model's one-thread seconds of layer `l` on `on`, fp32 and
  // int8: fp32 as the layout pass would cost the convolution (Winograd,
  // depthwise windows included), else as a product; int8 as the same
  // direct convolution (no Winograd in int8) or product at the target's
  // int8 throughput.
  auto predictLayer = [&](const TargetDescription &on, size_t l) {
    const QuantLayer &layer = plan.layers[l];
    double weights = elements(layer.op->getOperand(layer.weightOperand));
    double activations =
        elements(layer.op->getOperand(0)) + elements(layer.op->getResult(0));
    std::optional<ConvolutionShape> shape = convolutionCostShape(layer.op);
    double fp32 =
        (shape ? predictConvolutionSeconds(on, *shape, false)
               : predictSeconds(on, layer.flops, 4 * (weights + activations))) *
        kernelTimeScale(on, shape && shape->depthwise ? "window" : "gemm");
    std::optional<ConvolutionShape> direct = shape;
    if (direct)
      direct->winogradEligible = false;
    double int8 =
        (direct ? predictConvolutionSeconds(on, *direct, false)
                : predictSeconds(on, layer.flops, weights + activations)) /
        int8ThroughputRatio(on) * kernelTimeScale(on, "int8");
    return std::pair<double, double>{fp32, int8};
  };
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    std::vector<bool> alone(plan.layers.size(), false);
    alone[l] = true;
    FailureOr<Accuracy> accuracy = measure(alone);
    if (failed(accuracy))
      return failure();
    LayerPrecision record;
    record.name = plan.layers[l].name;
    record.kind = plan.layers[l].kind;
    record.sensitivityDb = accuracy->sqnrDb();
    auto [fp32, int8] = predictLayer(target, l);
    record.fp32Microseconds = 1e6 * fp32;
    record.int8Microseconds = 1e6 * int8;
    summary.layers.push_back(record);
    noise.push_back(accuracy->noise);
  }

  // The predicted time of an assignment: each layer at its precision,
  // plus an elementwise pass for each precision boundary. An int8 value
  // not produced by an integer op is quantised by a pass; one read in
  // float (by an fp32 layer, an add left in float or any other op) is
  // dequantised by a pass.
  // A pass over n elements: the cost model's streaming time plus, once
  // measured (mixed), a fixed cost per pass.
  double passFixedSeconds = 0;
  auto streamSeconds = [&](const TargetDescription &on, double n) {
    return predictSeconds(on, 2 * n, 5 * n) * kernelTimeScale(on, "generated");
  };
  auto passSeconds = [&](int v) {
    return passFixedSeconds + streamSeconds(target, elements(plan.values[v]));
  };
  // The passes an assignment needs, as (value, count).
  auto boundaryPasses = [&](const std::vector<bool> &int8) {
    std::vector<std::pair<int, int>> passes;
    std::vector<bool> quantized = quantizedValues(plan, int8);
    auto addInt8 = [&](int a) { return bool(quantized[plan.adds[a][0]]); };
    for (size_t v = 0; v < plan.values.size(); ++v) {
      if (!quantized[v])
        continue;
      const QuantPlan::Uses &uses = plan.uses[v];
      bool producedInt8 = (uses.producerLayer >= 0 && int8[uses.producerLayer]) ||
                          uses.producerAdd >= 0;
      bool readInFloat =
          uses.others ||
          llvm::any_of(uses.layers, [&](int l) { return !int8[l]; }) ||
          llvm::any_of(uses.adds, [&](int a) { return !addInt8(a); });
      int count = (producedInt8 ? 0 : 1) + (readInFloat ? 1 : 0);
      if (count)
        passes.push_back({int(v), count});
    }
    return passes;
  };
  // fp16 as the float layers' precision (mixed, where the target and the
  // host, which measures it, compute in fp16): a float layer then runs
  // fp16 where that is faster; `halfInMix` turns it off again when the
  // measured mix misses the budget.
  // Not for a CUDA target: its layers run on the GPU, whose kernels are
  // fp32 (the marks would only claim fp16 for them).
  bool halfAvailable = options.mode == QuantizeMode::Mixed &&
                       hasFp16Arithmetic(target) && !cudaDeviceOf(target) &&
                       hasFp16Arithmetic(*lookupTarget("host"));
  if (options.mode == QuantizeMode::Mixed && hasFp16Arithmetic(target) &&
      !cudaDeviceOf(target) && !halfAvailable)
    llvm::errs() << "paso-opt: quantising: fp16 is not considered: this "
                    "machine cannot run fp16 to measure it\n";
  bool halfInMix = halfAvailable;
  auto halfFaster = [&](size_t l) {
    const LayerPrecision &record = summary.layers[l];
    return halfInMix && takesHalfPrecision(plan.layers[l]) &&
           record.fp16Microseconds > 0 &&
           record.fp16Microseconds < record.fp32Microseconds;
  };
  auto floatMicroseconds = [&](size_t l) {
    return halfFaster(l) ? summary.layers[l].fp16Microseconds
                         : summary.layers[l].fp32Microseconds;
  };
  auto predictedSeconds = [&](const std::vector<bool> &int8) {
    double seconds = 0;
    for (size_t l = 0; l < plan.layers.size(); ++l)
      seconds += 1e-6 * (int8[l] ? summary.layers[l].int8Microseconds
                                 : floatMicroseconds(l));
    for (auto [v, count] : boundaryPasses(int8))
      seconds += count * passSeconds(v);
    return seconds;
  };
  // Mixed precision trades accuracy for time: measure the times on the
  // host (LayerTiming.h) and carry them to the target by the cost model.
  double int8RunSeconds = 0, floatRunSeconds = 0, halfRunSeconds = 0;
  if (options.mode == QuantizeMode::Mixed && !options.measureLayerTimes)
    llvm::errs() << "paso-opt: quantising: layer times predicted by the "
                    "cost model (--layer-times=predicted)\n";
  if (options.mode == QuantizeMode::Mixed && options.measureLayerTimes) {
    llvm::errs() << "paso-opt: quantising: timing every layer in fp32 and "
                    "int8 builds for the host\n";
    FailureOr<HostLayerTimes> host =
        measureHostLayerTimes(module, plan, grid, corrections, compile,
                              samples.front(), halfAvailable);
    if (failed(host))
      return failure();
    TargetDescription hostTarget = *lookupTarget("host");
    for (size_t l = 0; l < plan.layers.size(); ++l) {
      auto [hostFp32, hostInt8] = predictLayer(hostTarget, l);
      auto [fp32, int8] = predictLayer(target, l);
      LayerPrecision &record = summary.layers[l];
      if (host->fp32[l] >= 0 && hostFp32 > 0)
        record.fp32Microseconds = 1e6 * host->fp32[l] * fp32 / hostFp32;
      if (host->int8[l] >= 0 && hostInt8 > 0)
        record.int8Microseconds = 1e6 * host->int8[l] * int8 / hostInt8;
      if (halfAvailable && host->fp16[l] >= 0)
        record.fp16Microseconds =
            1e6 * host->fp16[l] * predictHalfSeconds(target, plan.layers[l]) /
            predictHalfSeconds(hostTarget, plan.layers[l]);
    }
    halfRunSeconds = host->halfRun;
    // The all-int8 build's passes took generatedGrowth: what the
    // streaming model does not explain is a fixed cost per pass (call,
    // loop set-up), carried to the target like the rest.
    double passes = 0, streaming = 0;
    for (auto [v, count] :
         boundaryPasses(std::vector<bool>(plan.layers.size(), true))) {
      passes += count;
      streaming += count * streamSeconds(hostTarget, elements(plan.values[v]));
    }
    if (passes > 0)
      passFixedSeconds = std::max(0.0, host->generatedGrowth - streaming) /
                         passes * streamSeconds(target, 1e6) /
                         streamSeconds(hostTarget, 1e6);
    summary.timesMeasured = true;
    int8RunSeconds = host->int8Run;
    floatRunSeconds = host->floatRun;
  }
  std::vector<LayerChoice> choices;
  for (size_t l = 0; l < plan.layers.size(); ++l)
    choices.push_back({1e-6 * (floatMicroseconds(l) -
                               summary.layers[l].int8Microseconds),
                       noise[l]});
  auto noiseOf = [&](const std::vector<bool> &int8) {
    double noise = 0;
    for (size_t l = 0; l < int8.size(); ++l)
      noise += int8[l] ? choices[l].noise : 0;
    return noise;
  };
  // Flips layers while that lowers the predicted time (boundaries
  // included) within the estimated noise `limit`: a lone int8 layer
  // between fp32 ones can cost more in conversions than it saves.
  auto refine = [&](std::vector<bool> int8, double limit) {
    for (size_t round = 0; round < 2 * int8.size(); ++round) {
      double now = predictedSeconds(int8), best = now * (1 - 1e-6);
      int flip = -1;
      for (size_t l = 0; l < int8.size(); ++l) {
        int8[l] = !int8[l];
        if (noiseOf(int8) <= limit) {
          double t = predictedSeconds(int8);
          if (t < best) {
            best = t;
            flip = l;
          }
        }
        int8[l] = !int8[l];
      }
      if (flip < 0)
        break;
      int8[flip] = !int8[flip];
    }
    return int8;
  };

  // The float layers that run fp16 with `int8` as the int8 ones: where
  // fp16 is faster in a mix; all the fp16 kernel takes when the all-fp16
  // model (as measured) was chosen.
  auto halfLayers = [&](const std::vector<bool> &int8) {
    std::vector<bool> half(plan.layers.size(), false);
    for (size_t l = 0; l < plan.layers.size(); ++l)
      half[l] = !int8[l] && (summary.halfModelFaster
                                 ? takesHalfPrecision(plan.layers[l])
                                 : halfFaster(l));
    return half;
  };
  // The accuracy of the real build (int8 and fp16 layers as given) on the
  // held-back samples, compiled for the host in its own layout.
  auto measureBuild =
      [&](const std::vector<bool> &int8,
          const std::vector<bool> &half) -> FailureOr<Accuracy> {
    OwningOpRef<ModuleOp> build = module.clone();
    QuantPlan buildPlan = planQuantization(
        build->lookupSymbol<func::FuncOp>("main"), options.fullInteger);
    applyQuantization(buildPlan, int8, grid, corrections);
    markHalfLayers(buildPlan, half);
    SmallString<128> path;
    if (std::error_code ec =
            llvm::sys::fs::createTemporaryFile("paso-mix", "so", path))
      return emitError(loc) << "cannot create a temporary file: "
                            << ec.message();
    llvm::FileRemover remove(path);
    if (failed(compile(*build, path, "")))
      return failure();
    std::unique_ptr<ModelLibrary> mix =
        ModelLibrary::open(path.str().str(), error);
    if (!mix)
      return emitError(loc) << "--quantize: " << error;
    Accuracy accuracy;
    std::vector<std::vector<char>> got;
    for (size_t e = 0; e < evaluation.size(); ++e) {
      std::vector<const void *> inputs;
      for (const std::vector<char> &input : samples[evaluation[e]])
        inputs.push_back(input.data());
      if (!mix->run(inputs, got, error))
        return emitError(loc) << "--quantize: sample " << evaluation[e]
                              << ": " << error;
      compare(accuracy, reference[e], got);
    }
    return accuracy;
  };

  // --quantize=int8 takes every layer to int8 but the tiny ones: below
  // kMinInt8MultiplyAdds a kernel call costs more than the arithmetic in
  // either precision, so int8 would add its rounding and save nothing
  // (PP-OCR's classifier: its squeeze-and-excitation products on 1x1
  // pixels, the noisiest layers, measured no faster in int8). The
  // full-integer scheme (TFLite, Edge TPU) keeps them int8.
  std::vector<bool> int8Layers(plan.layers.size(), true);
  auto tiny = [&](size_t l) {
    return options.mode == QuantizeMode::Int8 && !plan.fullInteger &&
           plan.layers[l].flops < 2 * kMinInt8MultiplyAdds;
  };
  for (size_t l = 0; l < plan.layers.size(); ++l)
    int8Layers[l] = !tiny(l);
  FailureOr<Accuracy> chosen = measure(int8Layers);
  if (failed(chosen))
    return failure();
  auto meets = [&](const Accuracy &accuracy) {
    return options.budget.metric == AccuracyBudget::Metric::Sqnr
               ? accuracy.sqnrDb() >= options.budget.value
               : accuracy.changedPercent() <= options.budget.value;
  };
  summary.budget =
      options.mode != QuantizeMode::Mixed ? "none (--quantize=int8)"
      : options.budget.metric == AccuracyBudget::Metric::Sqnr
          ? llvm::formatv("output SQNR >= {0} dB", options.budget.value).str()
          : llvm::formatv("<= {0}% of top-1 decisions changed",
                          options.budget.value)
                .str();
  if (options.mode == QuantizeMode::Mixed) {
    // The largest noise limit whose knapsack choice meets the budget when
    // measured: bisection in log space between the quietest layer and the
    // sum of all, starting from all-fp32 (which always meets it).
    double total = 0, quietest = std::numeric_limits<double>::infinity();
    for (const LayerChoice &c : choices) {
      total += c.noise;
      if (c.noise > 0)
        quietest = std::min(quietest, c.noise);
    }
    std::vector<bool> best(plan.layers.size(), false);
    FailureOr<Accuracy> bestAccuracy = measure(best);
    if (failed(bestAccuracy))
      return failure();
    // Every layer in int8, even one whose int8 saves nothing alone: taking
    // it out adds conversions and can turn integer concatenations and
    // pooling around it back to float.
    std::vector<bool> all(plan.layers.size(), true);
    FailureOr<Accuracy> allAccuracy = measure(all);
    if (failed(allAccuracy))
      return failure();
    if (meets(*allAccuracy)) {
      best = all;
      bestAccuracy = allAccuracy;
    } else if (std::isfinite(quietest)) {
      double lo = std::log(quietest * 0.5), hi = std::log(total);
      for (int step = 0; step < 10; ++step) {
        double mid = 0.5 * (lo + hi);
        std::vector<bool> candidate = chooseInt8Layers(choices, std::exp(mid));
        FailureOr<Accuracy> accuracy = measure(candidate);
        if (failed(accuracy))
          return failure();
        if (meets(*accuracy)) {
          lo = mid;
          best = candidate;
          bestAccuracy = accuracy;
        } else {
          hi = mid;
        }
      }
    }
    // Then the boundaries, within the same estimated noise; measured
    // again, and kept only if it still meets the budget. Not when every
    // layer is int8: taking a layer out there also turns integer
    // concatenations and poolings around it back to float, which the
    // boundary model does not see.
    std::vector<bool> refined =
        llvm::all_of(best, [](bool b) { return b; }) ? best
                                                     : refine(best, noiseOf(best));
    if (refined != best) {
      FailureOr<Accuracy> accuracy = measure(refined);
      if (failed(accuracy))
        return failure();
      if (meets(*accuracy)) {
        best = refined;
        bestAccuracy = accuracy;
      }
    }
    // fp16 for the float layers where it is faster. The simulation ran
    // them in f32, so the mix is built for the host (which computes in
    // fp16 like the target, and the fp16 kernel sums in the same order on
    // every target) and measured; if it misses the budget they stay fp32.
    bool anyInt8 = llvm::is_contained(best, true);
    if (halfInMix && anyInt8 && llvm::is_contained(halfLayers(best), true)) {
      FailureOr<Accuracy> real = measureBuild(best, halfLayers(best));
      if (failed(real))
        return failure();
      if (meets(*real)) {
        bestAccuracy = real;
      } else {
        llvm::errs() << llvm::formatv(
            "paso-opt: quantising: fp16 in the mix misses the budget "
            "(output SQNR {0:F1} dB): its float layers stay fp32\n",
            real->sqnrDb());
        halfInMix = false;
      }
    }
    // The float model in its own layout (NHWC, say) can beat every mix,
    // whose float layers run NCHW: fp32, and all-fp16 where it meets the
    // budget (measured). The whole run of a mix is estimated from the
    // all-int8 build's and the predicted difference.
    std::vector<bool> none(plan.layers.size(), false);
    std::optional<Accuracy> halfModel;
    if (halfAvailable && halfRunSeconds > 0) {
      FailureOr<Accuracy> accuracy =
          measureBuild(none, std::vector<bool>(plan.layers.size(), true));
      if (failed(accuracy))
        return failure();
      if (meets(*accuracy))
        halfModel = *accuracy;
    }
    double mixRun = anyInt8 ? int8RunSeconds + predictedSeconds(best) -
                                  predictedSeconds(std::vector<bool>(
                                      plan.layers.size(), true))
                            : floatRunSeconds;
    bool floatFaster = anyInt8 && floatRunSeconds > 0 &&
                       floatRunSeconds <= mixRun;
    double bestRun = floatFaster ? floatRunSeconds : mixRun;
    if (halfModel && halfRunSeconds < bestRun) {
      llvm::errs() << llvm::formatv(
          "paso-opt: quantising: the fp16 model ({0:F0} us on the host, "
          "output SQNR {1:F1} dB) is faster than the best mix ({2:F0} us) "
          "and the fp32 model ({3:F0} us): taking fp16\n",
          halfRunSeconds * 1e6, halfModel->sqnrDb(), mixRun * 1e6,
          floatRunSeconds * 1e6);
      best = none;
      bestAccuracy = *halfModel;
      halfInMix = true;
      summary.halfModelFaster = true;
    } else if (floatFaster || (!anyInt8 && halfAvailable)) {
      if (floatFaster)
        llvm::errs() << llvm::formatv(
            "paso-opt: quantising: the float model ({0:F0} us on the host) "
            "is faster than the best mix ({1:F0} us): keeping fp32\n",
            floatRunSeconds * 1e6, mixRun * 1e6);
      best = none;
      bestAccuracy = measure(best);
      if (failed(bestAccuracy))
        return failure();
      halfInMix = false;
      summary.floatModelFaster = floatFaster;
    }
    int8Layers = best;
    chosen = bestAccuracy;
    if (!meets(*chosen))
      return emitError(loc) << "--quantize=mixed: even fp32 misses the budget "
                            << summary.budget;
  }
  summary.predictedFp32Microseconds =
      1e6 * predictedSeconds(std::vector<bool>(plan.layers.size(), false));
  summary.predictedMicroseconds = 1e6 * predictedSeconds(int8Layers);
  summary.sqnrDb = chosen->sqnrDb();
  summary.top1ChangedPercent = chosen->changedPercent();
  double now = predictedSeconds(int8Layers);
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    LayerPrecision &record = summary.layers[l];
    std::vector<bool> half = halfLayers(int8Layers);
    record.precision = int8Layers[l] ? "int8" : half[l] ? "fp16" : "fp32";
    std::vector<bool> flipped = int8Layers;
    flipped[l] = !flipped[l];
    // What int8 for this layer saves, conversions included.
    double saving = 1e6 * (int8Layers[l] ? predictedSeconds(flipped) - now
                                         : now - predictedSeconds(flipped));
    if (options.mode != QuantizeMode::Mixed)
      record.reason =
          tiny(l) ? llvm::formatv("too small for int8 to pay ({0} "
                                  "multiply-adds; int8 from {1})",
                                  static_cast<int64_t>(plan.layers[l].flops / 2),
                                  kMinInt8MultiplyAdds)
                        .str()
                  : "--quantize=int8";
    else if (summary.halfModelFaster)
      record.reason = half[l] ? "the fp16 model in its own layout is "
                                "faster than any mix"
                              : "no fp16 kernel for this layer";
    else if (summary.floatModelFaster)
      record.reason = "the float model in its own layout is faster than "
                      "any mix";
    else if (half[l] && saving <= 0)
      record.reason = llvm::formatv("fp16 saves {0:F1} us; int8 would not "
                                    "pay here ({1:F1} us with its "
                                    "conversions)",
                                    record.fp32Microseconds -
                                        record.fp16Microseconds,
                                    saving);
    else if (half[l])
      record.reason = llvm::formatv("fp16 saves {0:F1} us; int8's noise "
                                    "would break the budget",
                                    record.fp32Microseconds -
                                        record.fp16Microseconds);
    else if (int8Layers[l])
      record.reason =
          llvm::formatv("int8 saves {0:F1} us within the budget", saving);
    else if (saving <= 0)
      record.reason = llvm::formatv("int8 would not pay here: {0:F1} us "
                                    "with the conversions it needs",
                                    saving);
    else
      record.reason = llvm::formatv("its noise would break the budget "
                                    "(int8 would save {0:F1} us)",
                                    saving);
  }
  llvm::errs() << llvm::formatv(
      "paso-opt: quantising: {0} of {1} layers int8; output SQNR {2:F1} dB, "
      "{3:F2}% of top-1 decisions changed on the held-back samples\n",
      llvm::count(int8Layers, true), plan.layers.size(), summary.sqnrDb,
      summary.top1ChangedPercent);
  if (!summary.biasCorrection)
    corrections.assign(plan.layers.size(), {});
  applyQuantization(plan, int8Layers, grid, corrections);
  markHalfLayers(plan, halfLayers(int8Layers));
  return success();
}
