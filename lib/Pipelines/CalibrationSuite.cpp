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
// The shapes are a fixed grid over channels and image sizes (log-spaced,
// MobileNet/ResNet-like), not sampled by the model's uncertainty.
//
//===----------------------------------------------------------------------===//

#include "paso/Pipelines/Compiler.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

#include <cmath>
#include <functional>

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
  /// output; `make` builds it from the input value.
  void layer(ArrayRef<int64_t> inputShape,
             std::function<Value(OpBuilder &, Value)> make) {
    layers.push_back({SmallVector<int64_t>(inputShape), std::move(make)});
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
    std::function<Value(OpBuilder &, Value)> make;
  };
  OwningOpRef<ModuleOp> module;
  std::vector<Layer> layers;
  uint64_t state = 0x9e3779b97f4a7c15ull;
};

} // namespace

OwningOpRef<ModuleOp> mlir::paso::buildCalibrationSuite(MLIRContext &context) {
  context.loadDialect<PasoDialect, func::FuncDialect>();
  SuiteBuilder s(context);
  int n = 0;
  auto name = [&](StringRef kind) { return (kind + Twine(n++)).str(); };
  // 3x3 stride 1, each form: (channels, image size).
  for (auto [c, size] : {std::pair<int64_t, int64_t>{16, 56}, {32, 28},
                         {32, 56}, {64, 14}, {64, 28}, {128, 14},
                         {128, 7}, {256, 7}, {256, 14}})
    for (int64_t tile : {0, 2, 4}) {
      std::string w = name("conv3x3_");
      s.layer({1, c, size, size}, [&s, c, tile, w](OpBuilder &ob, Value x) {
        return s.conv(ob, x, c, 3, 1, 1, tile, w);
      });
    }
  // Pointwise (in, out, size) and strided 3x3 (in, out, size).
  for (auto [in, out, size] :
       {std::tuple<int64_t, int64_t, int64_t>{32, 64, 56}, {64, 128, 28},
        {128, 256, 14}, {256, 512, 7}, {96, 24, 56}, {576, 96, 14},
        {16, 96, 112}}) {
    std::string w = name("conv1x1_");
    s.layer({1, in, size, size}, [&s, out, w](OpBuilder &ob, Value x) {
      return s.conv(ob, x, out, 1, 1, 1, std::nullopt, w);
    });
  }
  for (auto [in, out, size] :
       {std::tuple<int64_t, int64_t, int64_t>{3, 32, 224}, {32, 64, 56},
        {64, 128, 28}, {128, 256, 14}}) {
    std::string w = name("conv3x3s2_");
    s.layer({1, in, size, size}, [&s, out, w](OpBuilder &ob, Value x) {
      return s.conv(ob, x, out, 3, 2, 1, std::nullopt, w);
    });
  }
  // Depthwise 3x3, stride 1 and 2: (channels, size, stride).
  for (auto [c, size, stride] :
       {std::tuple<int64_t, int64_t, int64_t>{32, 112, 1}, {96, 56, 1},
        {144, 28, 1}, {384, 14, 1}, {960, 7, 1}, {96, 112, 2},
        {144, 56, 2}}) {
    std::string w = name("depthwise_");
    s.layer({1, c, size, size}, [&s, c, stride, w](OpBuilder &ob, Value x) {
      return s.conv(ob, x, c, 3, stride, c, std::nullopt, w);
    });
  }
  // Max pooling 2x2 / 3x3 stride 2.
  for (auto [c, size] : {std::pair<int64_t, int64_t>{64, 112}, {128, 56}}) {
    s.layer({1, c, size, size}, [&s, c, size](OpBuilder &ob, Value x) {
      int64_t out = size / 2;
      auto type = RankedTensorType::get({1, c, out, out}, ob.getF32Type());
      return MaxPoolOp::create(ob, s.loc, type, x,
                               ob.getDenseI64ArrayAttr({2, 2}),
                               ob.getDenseI64ArrayAttr({2, 2}),
                               ob.getDenseI64ArrayAttr({0, 0, 0, 0}),
                               ob.getDenseI64ArrayAttr({1, 1}),
                               ob.getBoolAttr(false), ob.getBoolAttr(false))
          .getResult();
    });
  }
  // Fully connected (K, N) and softmax rows (rows, length).
  for (auto [k, nOut] : {std::pair<int64_t, int64_t>{1280, 1000},
                         {512, 1000}, {2048, 1000}, {256, 256}}) {
    std::string w = name("fc_");
    s.layer({1, k}, [&s, k, nOut, w](OpBuilder &ob, Value x) {
      Value weights = s.weights(ob, {k, nOut}, k, w);
      auto type = RankedTensorType::get({1, nOut}, ob.getF32Type());
      return MatMulOp::create(ob, s.loc, type, x, weights).getResult();
    });
  }
  for (auto [rows, length] : {std::pair<int64_t, int64_t>{1, 1000},
                              {128, 128}}) {
    s.layer({rows, length}, [&s](OpBuilder &ob, Value x) {
      return SoftmaxOp::create(ob, s.loc, x, ob.getI64IntegerAttr(1))
          .getResult();
    });
  }
  return s.finish();
}
