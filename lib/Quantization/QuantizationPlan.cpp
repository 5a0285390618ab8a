//===- QuantizationPlan.cpp - which layers and tensors go to int8 ---------===//

#include "QuantizationPlan.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Dialect/Paso/Transforms/WeightedProduct.h"
#include "paso/Import/OnnxImporter.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::paso;

static RankedTensorType tensorType(Value value) {
  return dyn_cast<RankedTensorType>(value.getType());
}

static bool isF32(Value value) {
  RankedTensorType type = tensorType(value);
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// The ONNX nodes `loc` names (a batch norm folded into a convolution
/// fuses both), "; "-separated.
static std::string layerName(Operation *op) {
  std::string name = llvm::join(describeOnnxNodes(op->getLoc()), "; ");
  return name.empty() ? op->getName().getStringRef().str() : name;
}

/// A layer for `op` when it is a product with constant float weights.
static std::optional<QuantLayer> asLayer(Operation *op) {
  std::optional<WeightedProduct> product = matchWeightedProduct(op);
  if (!product)
    return std::nullopt;
  QuantLayer layer;
  layer.op = op;
  layer.weightAxis = product->outAxis;
  RankedTensorType w = tensorType(product->weights);
  int64_t outputs = tensorType(op->getResult(0)).getNumElements();
  if (!product->matrix) {
    layer.kind = product->group > 1 &&
                         product->group == tensorType(product->input).getDimSize(1)
                     ? "depthwise conv"
                     : "conv";
    layer.flops = 2.0 * outputs * w.getDimSize(1) * w.getDimSize(2) *
                  w.getDimSize(3);
    return layer;
  }
  layer.kind = isa<MatMulOp>(op) ? "matmul" : "gemm";
  layer.flops = 2.0 * outputs * w.getDimSize(product->inAxis);
  return layer;
}

QuantPlan mlir::paso::planQuantization(func::FuncOp main, bool fullInteger) {
  QuantPlan plan;
  plan.fullInteger = fullInteger;
  llvm::DenseMap<Value, int> index;
  auto valueIndex = [&](Value v) {
    auto [it, inserted] = index.try_emplace(v, plan.values.size());
    if (inserted)
      plan.values.push_back(v);
    return it->second;
  };
  // A result consumed by one ReLU or Clip alone is quantised after it.
  auto afterActivation = [](Value output) -> Value {
    if (output.hasOneUse()) {
      Operation *user = *output.getUsers().begin();
      if (isa<ReluOp, ClipOp>(user) && isF32(user->getResult(0)))
        return user->getResult(0);
    }
    return output;
  };
  main.walk([&](Operation *op) {
    std::optional<QuantLayer> layer = asLayer(op);
    if (!layer)
      return;
    layer->name = layerName(op);
    // The first node of a fused location is the layer's own (the folded
    // batch norm follows it).
    std::vector<std::string> nodes = describeOnnxNodes(op->getLoc());
    layer->node = nodes.empty() ? "" : nodes.front();
    layer->input = valueIndex(op->getOperand(0));
    layer->output = valueIndex(afterActivation(op->getResult(0)));
    layer->perTensorWeights = fullInteger && layer->kind != "conv" &&
                              layer->kind != "depthwise conv";
    plan.layers.push_back(*layer);
  });
  // Adds of two layer outputs (residual connections), in program order so
  // that an add of an add's output is seen after it.
  main.walk([&](AddOp add) {
    auto lhs = index.find(add.getLhs()), rhs = index.find(add.getRhs());
    if (lhs == index.end() || rhs == index.end() ||
        add.getLhs().getType() != add.getRhs().getType() ||
        !isF32(add.getResult()))
      return;
    int output = valueIndex(afterActivation(add.getResult()));
    plan.adds.push_back({output, lhs->second, rhs->second});
  });
  if (fullInteger) {
    // Activations are what the inputs reach; constants and weights stay.
    llvm::DenseSet<Value> live(main.getArguments().begin(),
                               main.getArguments().end());
    main.walk([&](Operation *op) {
      if (op->getNumResults() != 1 ||
          llvm::none_of(op->getOperands(),
                        [&](Value v) { return live.contains(v); }))
        return;
      Value result = op->getResult(0);
      live.insert(result);
      bool feedsActivation =
          result.hasOneUse() &&
          isa<ReluOp, ClipOp>(*result.getUsers().begin());
      if (isF32(result) && !feedsActivation &&
          !isa<ReshapeOp, MaxPoolOp>(op))
        valueIndex(result);
    });
  }
  plan.uses.resize(plan.values.size());
  llvm::DenseMap<Operation *, int> layerOf;
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    layerOf[plan.layers[l].op] = l;
    plan.uses[plan.layers[l].output].producerLayer = l;
    plan.uses[plan.layers[l].input].layers.push_back(l);
  }
  for (size_t a = 0; a < plan.adds.size(); ++a) {
    auto [output, lhs, rhs] = plan.adds[a];
    plan.uses[output].producerAdd = a;
    plan.uses[lhs].adds.push_back(a);
    plan.uses[rhs].adds.push_back(a);
  }
  // Users that are neither a layer's input nor one of the adds.
  llvm::SmallPtrSet<Operation *, 32> addOps;
  for (auto &[output, lhs, rhs] : plan.adds)
    for (Operation *user : plan.values[lhs].getUsers())
      if (auto add = dyn_cast<AddOp>(user);
          add && ((add.getLhs() == plan.values[lhs] &&
                   add.getRhs() == plan.values[rhs]) ||
                  (add.getRhs() == plan.values[lhs] &&
                   add.getLhs() == plan.values[rhs])))
        addOps.insert(user);
  for (size_t v = 0; v < plan.values.size(); ++v)
    for (OpOperand &use : plan.values[v].getUses()) {
      auto layer = layerOf.find(use.getOwner());
      bool layerInput = layer != layerOf.end() && use.getOperandNumber() == 0;
      if (!layerInput && !addOps.contains(use.getOwner()))
        plan.uses[v].others = true;
    }
  return plan;
}

std::vector<bool>
mlir::paso::quantizedValues(const QuantPlan &plan,
                            const std::vector<bool> &int8Layers) {
  std::vector<bool> quantized(plan.values.size(), plan.fullInteger);
  for (size_t l = 0; l < plan.layers.size(); ++l)
    if (int8Layers[l])
      quantized[plan.layers[l].input] = quantized[plan.layers[l].output] = true;
  for (const auto &[output, lhs, rhs] : plan.adds)
    if (quantized[lhs] && quantized[rhs])
      quantized[output] = true;
  return quantized;
}

std::optional<QuantizedWeights>
mlir::paso::quantizeWeights(const QuantLayer &layer,
                            ArrayRef<double> minScales) {
  Value weights = layer.op->getOperand(layer.weightOperand);
  std::optional<SmallVector<float>> values = readF32Constant(weights);
  if (!values)
    return std::nullopt;
  QuantizedWeights q;
  q.type = tensorType(weights);
  ArrayRef<int64_t> shape = q.type.getShape();
  int64_t channels = shape[layer.weightAxis];
  // Elements between consecutive indices of the axis, and the axis's
  // extent times that.
  int64_t inner = 1;
  for (int64_t d = layer.weightAxis + 1; d < q.type.getRank(); ++d)
    inner *= shape[d];
  auto channelOf = [&](size_t i) { return (i / inner) % channels; };
  std::vector<double> absMax(channels, 0);
  for (size_t i = 0; i < values->size(); ++i)
    absMax[channelOf(i)] =
        std::max<double>(absMax[channelOf(i)], std::fabs((*values)[i]));
  std::vector<double> floors(minScales.begin(), minScales.end());
  if (layer.perTensorWeights) {
    // One scale: the largest channel's (and the largest floor).
    double all = *std::max_element(absMax.begin(), absMax.end());
    std::fill(absMax.begin(), absMax.end(), all);
    if (!floors.empty())
      std::fill(floors.begin(), floors.end(),
                *std::max_element(floors.begin(), floors.end()));
  }
  for (int64_t c = 0; c < channels; ++c) {
    double scale = absMax[c] > 0 ? absMax[c] / 127.0 : 1.0;
    if (!floors.empty())
      scale = std::max(scale, floors[c]);
    q.scales.push_back(scale);
  }
  for (size_t i = 0; i < values->size(); ++i) {
    double scale = q.scales[channelOf(i)];
    int64_t v = static_cast<int64_t>(
        std::clamp(std::nearbyint((*values)[i] / scale), -127.0, 127.0));
    q.values.push_back(v);
    q.fakeQuantized.push_back(static_cast<float>(v * scale));
    q.error.push_back(q.fakeQuantized.back() - (*values)[i]);
  }
  return q;
}

int64_t mlir::paso::outputChannels(const QuantLayer &layer) {
  return tensorType(layer.op->getOperand(layer.weightOperand))
      .getDimSize(layer.weightAxis);
}

std::vector<float>
mlir::paso::biasCorrection(const QuantLayer &layer,
                           const QuantizedWeights &weights,
                           const std::vector<double> &inputMeans) {
  ArrayRef<int64_t> shape = weights.type.getShape();
  int64_t channels = shape[layer.weightAxis];
  std::vector<double> shift(channels, 0);
  if (auto conv = dyn_cast<ConvOp>(layer.op)) {
    // [M, C/g, kh, kw]: output m reads input channels of its group.
    int64_t perGroupIn = shape[1], taps = shape[2] * shape[3];
    int64_t perGroupOut = channels / conv.getGroup();
    for (int64_t m = 0; m < channels; ++m)
      for (int64_t c = 0; c < perGroupIn; ++c) {
        double mean = inputMeans[(m / perGroupOut) * perGroupIn + c];
        for (int64_t t = 0; t < taps; ++t)
          shift[m] += weights.error[(m * perGroupIn + c) * taps + t] * mean;
      }
  } else {
    // [K, N] along N, or (Gemm's transB) [N, K] along N.
    int64_t k = shape[1 - layer.weightAxis];
    for (int64_t n = 0; n < channels; ++n)
      for (int64_t i = 0; i < k; ++i)
        shift[n] += weights.error[layer.weightAxis == 1 ? i * channels + n
                                                        : n * k + i] *
                    inputMeans[i];
  }
  std::vector<float> correction;
  for (double s : shift)
    correction.push_back(static_cast<float>(-s));
  return correction;
}

int64_t mlir::paso::simulationParamCount(const QuantPlan &plan) {
  return correctionOffset(plan, plan.layers.size());
}

int64_t mlir::paso::correctionOffset(const QuantPlan &plan, size_t l) {
  int64_t offset = 3 * plan.values.size() + plan.layers.size();
  for (size_t i = 0; i < l; ++i)
    offset += outputChannels(plan.layers[i]);
  return offset;
}

/// The shape a per-output-channel vector of `layer` broadcasts against its
/// result with: [1, M, 1, 1] for NCHW convolutions, [M] for products.
static SmallVector<int64_t> correctionShape(const QuantLayer &layer) {
  int64_t channels = outputChannels(layer);
  if (isa<ConvOp>(layer.op))
    return {1, channels, 1, 1};
  return {channels};
}

static quant::UniformQuantizedType activationType(MLIRContext *context,
                                                  const ActivationParams &p) {
  return quant::UniformQuantizedType::get(
      quant::QuantizationFlags::Signed, IntegerType::get(context, 8),
      Float32Type::get(context), p.scale, p.zeroPoint, -128, 127);
}

void mlir::paso::applyQuantization(
    const QuantPlan &plan, const std::vector<bool> &int8Layers,
    const std::vector<ActivationParams> &params,
    const std::vector<std::vector<float>> &corrections) {
  std::vector<Value> values = plan.values;
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    if (!int8Layers[l])
      continue;
    const QuantLayer &layer = plan.layers[l];
    // The int32 bias is (bias + correction) / (input scale x weight
    // scale); keep it within 2^30.
    std::vector<double> minScales(outputChannels(layer), 0);
    SmallVector<float> bias(minScales.size(), 0);
    if (auto conv = dyn_cast<ConvOp>(layer.op); conv && conv.getBias())
      if (auto values = readF32Constant(conv.getBias()))
        bias = *values;
    for (size_t c = 0; c < minScales.size(); ++c) {
      double total = std::fabs(bias[c]) +
                     (corrections[l].empty() ? 0 : std::fabs(corrections[l][c]));
      minScales[c] = 2 * total / (params[layer.input].scale * 1073741824.0);
    }
    std::optional<QuantizedWeights> weights = quantizeWeights(layer, minScales);
    if (!weights)
      continue;
    MLIRContext *context = layer.op->getContext();
    OpBuilder b(layer.op);
    Location loc = layer.op->getOperand(layer.weightOperand).getLoc();
    auto i8 = IntegerType::get(context, 8);
    auto storage = RankedTensorType::get(weights->type.getShape(), i8);
    Value constant = ConstantOp::create(
        b, loc, makeIntElements(storage, weights->values, "ptq_weights"));
    auto element = quant::UniformQuantizedPerAxisType::get(
        quant::QuantizationFlags::Signed, i8, Float32Type::get(context),
        weights->scales, SmallVector<int64_t>(weights->scales.size(), 0),
        layer.weightAxis, -128, 127);
    Value quantized = StorageCastOp::create(
        b, loc, RankedTensorType::get(weights->type.getShape(), element),
        constant);
    layer.op->setOperand(layer.weightOperand,
                         DequantizeOp::create(b, loc, weights->type, quantized));
    if (corrections[l].empty())
      continue;
    // The bias correction goes into a constant bias of the layer, else
    // into an add of a constant, which the epilogue fusions fold into the
    // bias.
    std::optional<unsigned> biasOperand;
    if (auto conv = dyn_cast<ConvOp>(layer.op); conv && conv.getBias())
      biasOperand = 2;
    if (auto gemm = dyn_cast<GemmOp>(layer.op);
        gemm && gemm.getC() && gemm.getBeta().convertToDouble() == 1.0 &&
        tensorType(gemm.getC()).getNumElements() ==
            int64_t(corrections[l].size()))
      biasOperand = 2;
    if (biasOperand) {
      Value bias = layer.op->getOperand(*biasOperand);
      if (std::optional<SmallVector<float>> values = readF32Constant(bias)) {
        for (size_t c = 0; c < values->size(); ++c)
          (*values)[c] += corrections[l][c];
        layer.op->setOperand(
            *biasOperand,
            ConstantOp::create(b, bias.getLoc(),
                               makeF32Elements(tensorType(bias), *values,
                                               "ptq_bias")));
        continue;
      }
    }
    b.setInsertionPointAfter(layer.op);
    Value y = layer.op->getResult(0);
    auto shiftType = RankedTensorType::get(correctionShape(layer),
                                           Float32Type::get(context));
    Value shift = ConstantOp::create(
        b, loc, makeF32Elements(shiftType, corrections[l], "ptq_bias_shift"));
    Value corrected = AddOp::create(b, y.getLoc(), y, shift);
    y.replaceAllUsesExcept(corrected, corrected.getDefiningOp());
    llvm::replace(values, y, corrected);
  }
  std::vector<bool> quantized = quantizedValues(plan, int8Layers);
  for (size_t v = 0; v < values.size(); ++v) {
    if (!quantized[v])
      continue;
    Value value = values[v];
    OpBuilder b(value.getContext());
    b.setInsertionPointAfterValue(value);
    Location loc = value.getLoc();
    auto type = tensorType(value);
    auto q = QuantizeOp::create(
        b, loc, value,
        TypeAttr::get(activationType(value.getContext(), params[v])));
    Value dq = DequantizeOp::create(b, loc, type, q);
    value.replaceAllUsesExcept(dq, q);
  }
}

LogicalResult mlir::paso::buildSimulationModel(ModuleOp module,
                                               func::FuncOp main,
                                               const QuantPlan &plan) {
  MLIRContext *context = module.getContext();
  Block &body = main.getBody().front();
  auto f32 = Float32Type::get(context);
  int64_t paramCount = simulationParamCount(plan);
  auto paramsType = RankedTensorType::get({paramCount}, f32);
  Location loc = main.getLoc();
  if (failed(main.insertArgument(main.getNumArguments(), paramsType, {}, loc)))
    return failure();
  Value params = body.getArgument(body.getNumArguments() - 1);
  auto scalarType = RankedTensorType::get({1}, f32);
  auto param = [&](OpBuilder &b, int64_t i) -> Value {
    return SliceOp::create(b, loc, scalarType, params,
                           b.getDenseI64ArrayAttr({i}),
                           b.getDenseI64ArrayAttr({i + 1}),
                           b.getDenseI64ArrayAttr({1}));
  };
  auto constant = [&](OpBuilder &b, float v) -> Value {
    return ConstantOp::create(
        b, loc, DenseElementsAttr::get(scalarType, llvm::ArrayRef<float>{v}));
  };
  // Layers first (their results are replaced by the blend, which the
  // values then stand for), then values.
  std::vector<Value> values = plan.values;
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    const QuantLayer &layer = plan.layers[l];
    std::optional<QuantizedWeights> weights = quantizeWeights(layer);
    if (!weights)
      return failure();
    OpBuilder b(layer.op);
    b.setInsertionPointAfter(layer.op);
    Value fakeWeights = ConstantOp::create(
        b, loc,
        makeF32Elements(weights->type, weights->fakeQuantized, "ptq_sim"));
    Operation *quantized = b.clone(*layer.op);
    quantized->setOperand(layer.weightOperand, fakeWeights);
    Value y = layer.op->getResult(0), yq = quantized->getResult(0);
    Value enable = param(b, 3 * plan.values.size() + l);
    int64_t offset = correctionOffset(plan, l), channels = outputChannels(layer);
    Value correction = SliceOp::create(
        b, loc, RankedTensorType::get({channels}, f32), params,
        b.getDenseI64ArrayAttr({offset}),
        b.getDenseI64ArrayAttr({offset + channels}), b.getDenseI64ArrayAttr({1}));
    SmallVector<int64_t> shape = correctionShape(layer);
    if (shape.size() != 1)
      correction = ReshapeOp::create(b, loc, RankedTensorType::get(shape, f32),
                                     correction,
                                     b.getDenseI64ArrayAttr(shape));
    yq = AddOp::create(b, loc, yq, correction);
    Value delta = SubOp::create(b, loc, yq, y);
    Value blended =
        AddOp::create(b, loc, y, MulOp::create(b, loc, enable, delta));
    y.replaceAllUsesExcept(blended, delta.getDefiningOp());
    blended.getDefiningOp()->setOperand(0, y);
    llvm::replace(values, y, blended);
  }
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  for (size_t v = 0; v < values.size(); ++v) {
    Value value = values[v];
    OpBuilder b(context);
    b.setInsertionPointAfterValue(value);
    // q = clamp(round(v / s) + z, -128, 127); fq = (q - z) s;
    // v' = v + e (fq - v): exactly v when e = 0.
    Value enable = param(b, 3 * v), scale = param(b, 3 * v + 1),
          zero = param(b, 3 * v + 2);
    Operation *first = enable.getDefiningOp();
    Value q = AddOp::create(
        b, loc, RoundOp::create(b, loc, DivOp::create(b, loc, value, scale)),
        zero);
    q = MinOp::create(b, loc, MaxOp::create(b, loc, q, constant(b, -128)),
                      constant(b, 127));
    Value fq = MulOp::create(b, loc, SubOp::create(b, loc, q, zero), scale);
    Value delta = SubOp::create(b, loc, fq, value);
    Value simulated =
        AddOp::create(b, loc, value, MulOp::create(b, loc, enable, delta));
    // Every user but the new ops reads the simulated value.
    llvm::SmallPtrSet<Operation *, 16> created;
    for (Operation *op = first; op; op = op->getNextNode()) {
      created.insert(op);
      if (op == simulated.getDefiningOp())
        break;
    }
    value.replaceUsesWithIf(simulated, [&](OpOperand &use) {
      return !created.contains(use.getOwner());
    });
  }
  SmallVector<Value> results(returnOp.getOperands());
  results.append(values.begin(), values.end());
  returnOp->setOperands(results);
  main.setType(FunctionType::get(context, body.getArgumentTypes(),
                                 TypeRange(ValueRange(results))));
  // The importer's names for the interface: one more input, the values.
  auto names = [&](StringRef attr, StringRef prefix, int64_t extra) {
    SmallVector<Attribute> list;
    if (auto existing = module->getAttrOfType<ArrayAttr>(attr))
      list.append(existing.begin(), existing.end());
    for (int64_t i = 0; i < extra; ++i)
      list.push_back(StringAttr::get(
          context, extra == 1 ? prefix.str()
                              : (prefix + llvm::Twine(i)).str()));
    module->setAttr(attr, ArrayAttr::get(context, list));
  };
  names("paso.onnx.input_names", kParamsInput, 1);
  names("paso.onnx.output_names", "__paso_value_", plan.values.size());
  return success();
}
