//===- CalibrationSuite.cpp - a model of representative layers ------------===//
//
// `paso-opt --calibration-suite -target=T -o suite.so` builds, directly in
// the paso dialect, one model whose layers span the shapes CNNs and
// classifiers are made of, so that one profile of it on a board
// (`paso-run suite.so --threads 1 --profile`) calibrates the cost model for
// every kernel class (docs/profiling.md):
//
//   - 3x3 stride-1 convolutions, each in all three forms: direct and
//     Winograd F(2x2) and F(4x4), forced per layer (`paso.winograd_tile`).
//     Models only ever run the form the cost model picks, so their
//     profiles cannot say whether the other would have been faster; the
//     suite measures both on the same shapes, which is what a Winograd
//     scale fitted to real models lacks (it only sees the layers already
//     given Winograd);
//   - pointwise and strided convolutions, depthwise windows, max pooling,
//     fully connected products and softmax rows.
//
// The first suite is a fixed grid over channels and image sizes
// (log-spaced, MobileNet/ResNet-like). Given a profile of a suite
// (`--profile=s1.json`), the next one samples where the cost model is
// least certain, as nn-Meter's adaptive sampling does: the layers whose
// measurement the calibrated class scales predict worst get neighbours
// (each size halved and doubled), which a second profile then measures.
// Every layer is named after its spec ("suite conv c=64 m=64 k=3 s=1 g=1
// hw=28 tile=2"), which the kernel table carries as its ONNX node, so a
// profile says which layer each kernel came from.
//
//===----------------------------------------------------------------------===//

#include "paso/Pipelines/Compiler.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Import/OnnxImporter.h"
#include "paso/Target/CostModel.h"
#include "paso/Target/Profile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <set>

using namespace mlir;
using namespace mlir::paso;

namespace {

class SuiteBuilder {
public:
  SuiteBuilder(MLIRContext &context)
      : b(&context), loc(NameLoc::get(b.getStringAttr("calibration-suite"))),
        module(ModuleOp::create(loc)) {
    b.setInsertionPointToEnd(module->getBody());
  }

  /// A layer reading a fresh input of `inputShape` and producing one
  /// output; `make` builds it from the input value. Its ops are located
  /// at `name` as an ONNX node of type `opType`, which the kernel table
  /// and so profiles carry.
  void layer(ArrayRef<int64_t> inputShape, StringRef name, StringRef opType,
             std::function<Value(OpBuilder &, Value)> make) {
    Location at = onnxNodeLocation(*b.getContext(), name, opType);
    layers.push_back(
        {SmallVector<int64_t>(inputShape), at, std::move(make)});
  }

  /// Deterministic weights in [-0.5, 0.5) / sqrt(fanIn): values do not
  /// change kernel times, but denormals or overflow would.
  Value weights(OpBuilder &ob, ArrayRef<int64_t> shape, int64_t fanIn,
                StringRef name) {
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    SmallVector<float> values(count);
    for (float &v : values) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      v = (float((state >> 40) & 0xffffff) / 16777216.0f - 0.5f) /
          std::sqrt(float(fanIn));
    }
    auto type = RankedTensorType::get(shape, ob.getF32Type());
    return ConstantOp::create(ob, loc, makeF32Elements(type, values, name));
  }

  Value conv(OpBuilder &ob, Value x, int64_t filters, int64_t kernel,
             int64_t stride, int64_t group, std::optional<int64_t> winograd,
             StringRef name) {
    auto type = cast<RankedTensorType>(x.getType());
    int64_t channels = type.getDimSize(1), size = type.getDimSize(2);
    int64_t pad = kernel / 2, out = (size + 2 * pad - kernel) / stride + 1;
    Value w = weights(ob, {filters, channels / group, kernel, kernel},
                      channels / group * kernel * kernel, name);
    auto result = RankedTensorType::get({1, filters, out, out},
                                        ob.getF32Type());
    auto op = ConvOp::create(ob, loc, result, x, w, Value(),
                             ob.getDenseI64ArrayAttr({stride, stride}),
                             ob.getDenseI64ArrayAttr({pad, pad, pad, pad}),
                             ob.getDenseI64ArrayAttr({1, 1}),
                             ob.getI64IntegerAttr(group),
                             ob.getBoolAttr(false));
    if (winograd)
      op->setAttr("paso.winograd_tile", ob.getI64IntegerAttr(*winograd));
    return op;
  }

  OwningOpRef<ModuleOp> finish() {
    SmallVector<Type> inputs, outputs;
    for (Layer &layer : layers)
      inputs.push_back(
          RankedTensorType::get(layer.inputShape, b.getF32Type()));
    auto main = func::FuncOp::create(b, loc, "main",
                                     b.getFunctionType(inputs, {}));
    Block *body = main.addEntryBlock();
    OpBuilder ob = OpBuilder::atBlockEnd(body);
    SmallVector<Value> results;
    for (auto [i, layer] : llvm::enumerate(layers)) {
      loc = layer.loc;
      results.push_back(layer.make(ob, body->getArgument(i)));
      outputs.push_back(results.back().getType());
      main.setArgAttr(i, "paso.name",
                      b.getStringAttr("x" + std::to_string(i)));
    }
    func::ReturnOp::create(ob, loc, results);
    main.setFunctionType(b.getFunctionType(inputs, outputs));
    for (unsigned i = 0; i < outputs.size(); ++i)
      main.setResultAttr(i, "paso.name",
                         b.getStringAttr("y" + std::to_string(i)));
    (*module)->setAttr("paso.onnx.graph_name",
                       b.getStringAttr("paso_calibration_suite"));
    return std::move(module);
  }

  OpBuilder b;
  Location loc;

private:
  struct Layer {
    SmallVector<int64_t> inputShape;
    Location loc;
    std::function<Value(OpBuilder &, Value)> make;
  };
  OwningOpRef<ModuleOp> module;
  std::vector<Layer> layers;
  uint64_t state = 0x9e3779b97f4a7c15ull;
};

} // namespace

namespace {

/// One layer of the suite: its kind (conv, maxpool, fc, softmax) and
/// sizes, named "suite KIND key=value ..." (keys in order).
struct SuiteLayer {
  std::string kind;
  std::map<std::string, int64_t> sizes;

  int64_t operator[](const char *key) const { return sizes.at(key); }
  std::string name() const {
    std::string text = "suite " + kind;
    for (const auto &[key, value] : sizes)
      text += " " + key + "=" + std::to_string(value);
    return text;
  }
  /// The layer an ONNX node description ("node 'suite conv ...' (Conv)")
  /// names, if it is a suite layer.
  static std::optional<SuiteLayer> parse(StringRef node) {
    size_t open = node.find('\'');
    size_t close = node.rfind('\'');
    if (open == StringRef::npos || close <= open)
      return std::nullopt;
    SmallVector<StringRef> words;
    node.slice(open + 1, close).split(words, ' ');
    if (words.size() < 3 || words[0] != "suite")
      return std::nullopt;
    SuiteLayer layer{words[1].str(), {}};
    for (StringRef word : ArrayRef(words).drop_front(2)) {
      auto [key, value] = word.split('=');
      int64_t number;
      if (value.getAsInteger(10, number))
        return std::nullopt;
      layer.sizes[key.str()] = number;
    }
    return layer.valid() ? std::optional(layer) : std::nullopt;
  }
  bool valid() const {
    auto has = [&](std::initializer_list<const char *> keys) {
      return llvm::all_of(keys, [&](const char *k) {
        auto it = sizes.find(k);
        return it != sizes.end() && it->second > 0;
      });
    };
    if (kind == "conv")
      return has({"c", "m", "k", "s", "g", "hw"}) && sizes.count("tile") &&
             (*this)["c"] % (*this)["g"] == 0 &&
             (*this)["m"] % (*this)["g"] == 0 && (*this)["hw"] >= (*this)["k"];
    if (kind == "maxpool")
      return has({"c", "hw"}) && (*this)["hw"] >= 2;
    if (kind == "fc")
      return has({"k", "n"});
    if (kind == "softmax")
      return has({"rows", "len"});
    return false;
  }
  /// Multiply-adds (or elements), for the suite's size budget.
  double work() const {
    if (kind == "conv") {
      double out = (*this)["hw"] / (*this)["s"];
      return out * out * (*this)["m"] * (*this)["c"] / (*this)["g"] *
             (*this)["k"] * (*this)["k"];
    }
    if (kind == "maxpool")
      return double((*this)["c"]) * (*this)["hw"] * (*this)["hw"];
    if (kind == "fc")
      return double((*this)["k"]) * (*this)["n"];
    return double((*this)["rows"]) * (*this)["len"];
  }
  /// The layers one size away: each size halved and doubled (channels
  /// together for depthwise layers, which must keep c = m = g).
  std::vector<SuiteLayer> neighbours() const {
    std::vector<SuiteLayer> result;
    auto vary = [&](std::vector<const char *> keys) {
      for (double factor : {0.5, 2.0}) {
        SuiteLayer next = *this;
        for (const char *key : keys)
          next.sizes[key] = std::max<int64_t>(
              1, std::llround((*this)[key] * factor));
        if (next.valid() && next.name() != name())
          result.push_back(next);
      }
    };
    if (kind == "conv" && (*this)["g"] > 1) {
      vary({"c", "m", "g"});
      vary({"hw"});
    } else if (kind == "conv") {
      vary({"c"});
      vary({"m"});
      vary({"hw"});
    } else if (kind == "maxpool") {
      vary({"c"});
      vary({"hw"});
    } else if (kind == "fc") {
      vary({"k"});
      vary({"n"});
    } else {
      vary({"rows"});
      vary({"len"});
    }
    return result;
  }
};

SuiteLayer conv(int64_t c, int64_t m, int64_t k, int64_t stride, int64_t group,
                int64_t size, int64_t tile = -1) {
  return {"conv",
          {{"c", c}, {"m", m}, {"k", k}, {"s", stride}, {"g", group},
           {"hw", size}, {"tile", tile}}};
}

/// The first suite: a fixed grid.
std::vector<SuiteLayer> gridLayers() {
  std::vector<SuiteLayer> layers;
  // 3x3 stride 1, each form: (channels, image size).
  for (auto [c, size] : {std::pair<int64_t, int64_t>{16, 56}, {32, 28},
                         {32, 56}, {64, 14}, {64, 28}, {128, 14},
                         {128, 7}, {256, 7}, {256, 14}})
    for (int64_t tile : {0, 2, 4})
      layers.push_back(conv(c, c, 3, 1, 1, size, tile));
  // Pointwise (in, out, size) and strided 3x3 (in, out, size).
  for (auto [in, out, size] :
       {std::tuple<int64_t, int64_t, int64_t>{32, 64, 56}, {64, 128, 28},
        {128, 256, 14}, {256, 512, 7}, {96, 24, 56}, {576, 96, 14},
        {16, 96, 112}})
    layers.push_back(conv(in, out, 1, 1, 1, size));
  for (auto [in, out, size] :
       {std::tuple<int64_t, int64_t, int64_t>{3, 32, 224}, {32, 64, 56},
        {64, 128, 28}, {128, 256, 14}})
    layers.push_back(conv(in, out, 3, 2, 1, size));
  // Depthwise 3x3, stride 1 and 2: (channels, size, stride).
  for (auto [c, size, stride] :
       {std::tuple<int64_t, int64_t, int64_t>{32, 112, 1}, {96, 56, 1},
        {144, 28, 1}, {384, 14, 1}, {960, 7, 1}, {96, 112, 2},
        {144, 56, 2}})
    layers.push_back(conv(c, c, 3, stride, c, size));
  // Max pooling 2x2 stride 2, fully connected (K, N), softmax rows.
  for (auto [c, size] : {std::pair<int64_t, int64_t>{64, 112}, {128, 56}})
    layers.push_back({"maxpool", {{"c", c}, {"hw", size}}});
  for (auto [k, n] : {std::pair<int64_t, int64_t>{1280, 1000},
                      {512, 1000}, {2048, 1000}, {256, 256}})
    layers.push_back({"fc", {{"k", k}, {"n", n}}});
  for (auto [rows, length] : {std::pair<int64_t, int64_t>{1, 1000},
                              {128, 128}})
    layers.push_back({"softmax", {{"rows", rows}, {"len", length}}});
  return layers;
}

/// The next suite from `profiles` of earlier ones: each suite layer's
/// measured time against the prediction of the class scales fitted to
/// the same profiles (what a layer no profile measured would be predicted
/// as); the `kRefinedLayers` worst predicted, by |log(measured /
/// predicted)|, get their unmeasured neighbours, within the grid's
/// total work.
FailureOr<std::vector<SuiteLayer>>
refinedLayers(const TargetDescription &target, ArrayRef<Profile> profiles,
              Location loc) {
  constexpr size_t kRefinedLayers = 12;
  std::vector<ClassFit> fits;
  llvm::Expected<TargetDescription> fitted =
      calibrateTarget(target, std::vector<Profile>(profiles), fits);
  if (!fitted)
    return emitError(loc) << llvm::toString(fitted.takeError());
  std::map<std::string, std::pair<double, double>> layerTimes;
  std::map<std::string, SuiteLayer> byName;
  for (const Profile &profile : profiles)
    for (const ProfiledKernel &kernel : profile.kernels)
      for (const std::string &node : kernel.onnxNodes)
        if (std::optional<SuiteLayer> layer = SuiteLayer::parse(node)) {
          auto &[measured, predicted] = layerTimes[layer->name()];
          measured += kernel.medianMicroseconds;
          predicted += kernel.rawSingleThreadMicroseconds *
                       kernelTimeScale(*fitted, kernel.kernelClass);
          byName.emplace(layer->name(), *layer);
        }
  if (layerTimes.empty())
    return emitError(loc)
           << "--calibration-suite --profile: the profile '"
           << profiles.front().path
           << "' has no suite layers; give it a profile of a calibration "
              "suite (paso-run suite.so --profile=FILE)";
  std::vector<std::pair<double, std::string>> worst;
  for (const auto &[name, times] : layerTimes)
    if (times.first > 0 && times.second > 0)
      worst.push_back({std::abs(std::log(times.first / times.second)), name});
  std::sort(worst.rbegin(), worst.rend());
  double budget = 0;
  for (const SuiteLayer &layer : gridLayers())
    budget += layer.work();
  std::vector<SuiteLayer> next;
  std::set<std::string> taken;
  for (const auto &[name, layer] : byName)
    taken.insert(name);
  for (size_t i = 0; i < worst.size() && i < kRefinedLayers; ++i)
    for (const SuiteLayer &neighbour : byName.at(worst[i].second).neighbours())
      if (taken.insert(neighbour.name()).second &&
          neighbour.work() <= budget) {
        budget -= neighbour.work();
        next.push_back(neighbour);
      }
  if (next.empty())
    return emitError(loc) << "--calibration-suite --profile: every "
                             "neighbour of the worst-predicted layers of '"
                          << profiles.front().path << "' is measured already";
  return next;
}

OwningOpRef<ModuleOp> buildSuite(MLIRContext &context,
                                 ArrayRef<SuiteLayer> layers) {
  SuiteBuilder s(context);
  for (const SuiteLayer &spec : layers) {
    std::string name = spec.name();
    if (spec.kind == "conv") {
      int64_t c = spec["c"], m = spec["m"], k = spec["k"], stride = spec["s"],
              group = spec["g"], size = spec["hw"], tile = spec["tile"];
      std::optional<int64_t> winograd =
          tile >= 0 ? std::optional(tile) : std::nullopt;
      s.layer({1, c, size, size}, name, "Conv",
              [&s, m, k, stride, group, winograd, name](OpBuilder &ob,
                                                        Value x) {
                return s.conv(ob, x, m, k, stride, group, winograd, name);
              });
    } else if (spec.kind == "maxpool") {
      int64_t c = spec["c"], size = spec["hw"];
      s.layer({1, c, size, size}, name, "MaxPool",
              [&s, c, size](OpBuilder &ob, Value x) {
                int64_t out = size / 2;
                auto type =
                    RankedTensorType::get({1, c, out, out}, ob.getF32Type());
                return MaxPoolOp::create(
                           ob, s.loc, type, x, ob.getDenseI64ArrayAttr({2, 2}),
                           ob.getDenseI64ArrayAttr({2, 2}),
                           ob.getDenseI64ArrayAttr({0, 0, 0, 0}),
                           ob.getDenseI64ArrayAttr({1, 1}),
                           ob.getBoolAttr(false), ob.getBoolAttr(false))
                    .getResult();
              });
    } else if (spec.kind == "fc") {
      int64_t k = spec["k"], n = spec["n"];
      s.layer({1, k}, name, "MatMul", [&s, k, n, name](OpBuilder &ob, Value x) {
        Value weights = s.weights(ob, {k, n}, k, name);
        auto type = RankedTensorType::get({1, n}, ob.getF32Type());
        return MatMulOp::create(ob, s.loc, type, x, weights).getResult();
      });
    } else {
      s.layer({spec["rows"], spec["len"]}, name, "Softmax",
              [&s](OpBuilder &ob, Value x) {
                return SoftmaxOp::create(ob, s.loc, x, ob.getI64IntegerAttr(1))
                    .getResult();
              });
    }
  }
  return s.finish();
}

} // namespace

OwningOpRef<ModuleOp>
mlir::paso::buildCalibrationSuite(MLIRContext &context,
                                  const TargetDescription &target,
                                  llvm::StringRef profilePath) {
  context.loadDialect<PasoDialect, func::FuncDialect>();
  if (profilePath.empty())
    return buildSuite(context, gridLayers());
  Location loc = FileLineColLoc::get(&context, profilePath, 0, 0);
  llvm::Expected<Profile> profile = readProfile(profilePath);
  if (!profile) {
    emitError(loc) << llvm::toString(profile.takeError());
    return nullptr;
  }
  FailureOr<std::vector<SuiteLayer>> layers =
      refinedLayers(target, *profile, loc);
  if (failed(layers))
    return nullptr;
  return buildSuite(context, *layers);
}
