//===- LowerToTFLite.cpp - quantised paso graph to an int8 TFLite model ---===//
//
// Reads the QDQ form the quantiser (or an imported QDQ model) leaves: every
// int8 activation is a `paso.quantize` result, consumed in float through
// `paso.dequantize`, and each float op between dequantizes and one
// quantize is one TFLite int8 op whose tensors carry those quantisations.
// Walking the quantize ops in order visits the TFLite ops in execution
// order. Images go from NCHW to TFLite's NHWC here: shapes, filters and
// axes are permuted as they are written.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/EdgeTPU/EdgeTpuBackend.h"

#include "EdgeTpuRules.h"
#include "TFLiteModel.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Import/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::edgetpu;

int64_t EdgeTpuSummary::mappedOps() const {
  return llvm::count_if(ops, [](const EdgeTpuOp &op) { return op.mapped; });
}

ArrayRef<StringRef> mlir::paso::edgeTpuGraphSteps() {
  static const StringRef steps[] = {
      "paso-expand-quantized",   "canonicalize", "cse",
      "paso-recognize-kernels{hard-swish=1}", "paso-fold-batch-norm",
      "paso-fuse-conv-epilogue", "paso-fuse-matmul-epilogue",
      "canonicalize",            "cse"};
  return steps;
}

bool mlir::paso::hasQuantizedValues(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(type);
          tensor && isa<quant::QuantizedType>(tensor.getElementType()))
        found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

namespace {

/// Why an op was not written: its location and the rule.
struct NotMapped {
  Operation *op;
  std::string rule;
};

/// Constant int8 weights behind a dequantize: values, per-channel scales
/// along `axis` (expanded when per tensor), zero points.
struct Weights {
  SmallVector<int64_t> values;
  SmallVector<int64_t> shape;
  std::vector<float> scales;
  std::vector<int64_t> zeroPoints;
  int64_t axis = 0;
};

std::string origins(Operation *op) {
  std::vector<std::string> names;
  std::function<void(Location)> collect = [&](Location loc) {
    if (auto fused = dyn_cast<FusedLoc>(loc)) {
      for (Location inner : fused.getLocations())
        collect(inner);
      return;
    }
    std::string node = describeOnnxLocation(loc);
    if (!node.empty() && !llvm::is_contained(names, node))
      names.push_back(node);
  };
  collect(op->getLoc());
  return names.empty() ? std::string("(no ONNX node)")
                       : llvm::join(names, ", ");
}

/// A tensor name from the ONNX node that made it (the last of a fused
/// group: the activation after a convolution), else `fallback`.
std::string nodeName(Location loc, StringRef fallback) {
  std::string name = fallback.str();
  loc->walk([&](Location inner) {
    if (auto named = dyn_cast<NameLoc>(inner))
      if (!describeOnnxLocation(named).empty())
        name = named.getName().str();
    return WalkResult::advance();
  });
  return name;
}

std::vector<int32_t> toNhwc(ArrayRef<int64_t> shape) {
  std::vector<int32_t> out(shape.begin(), shape.end());
  if (shape.size() == 4)
    out = {static_cast<int32_t>(shape[0]), static_cast<int32_t>(shape[2]),
           static_cast<int32_t>(shape[3]), static_cast<int32_t>(shape[1])};
  return out;
}

/// An NCHW axis of a rank-4 tensor as an NHWC one.
int32_t nhwcAxis(int64_t axis, int64_t rank) {
  if (rank != 4)
    return static_cast<int32_t>(axis);
  static const int32_t map[] = {0, 3, 1, 2};
  return map[axis];
}

template <typename T>
std::vector<uint8_t> bytesOf(const std::vector<T> &values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!values.empty())
    std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

class Lowering {
public:
  Lowering(func::FuncOp func, EdgeTpuSummary &summary, bool allowCut)
      : func(func), summary(summary), allowCut(allowCut) {}

  LogicalResult run(Model &out);
  /// After a cut: the model with the written values as int8 NHWC inputs
  /// and what only fed them gone, for the CPU; the TFLite outputs are those
  /// inputs, in order.
  OwningOpRef<ModuleOp> buildRemainder(ModuleOp module, Model &model);

private:
  func::FuncOp func;
  EdgeTpuSummary &summary;
  bool allowCut;
  Model model;
  llvm::DenseMap<Value, int32_t> tensorOf;
  std::optional<NotMapped> firstFailure;

  /// What one step of the walk may add, to take it back at a cut.
  struct Snapshot {
    size_t tensors, buffers, operators, ops, inputs, outputs;
    std::string cut;
    bool cutInFile;
  };
  Snapshot snapshot() const {
    return {model.tensors.size(), model.buffers.size(),
            model.operators.size(), summary.ops.size(),
            model.inputs.size(),  model.outputs.size(),
            summary.cut,          summary.cutInFile};
  }
  void rollBack(const Snapshot &s) {
    model.tensors.resize(s.tensors);
    model.buffers.resize(s.buffers);
    model.operators.erase(model.operators.begin() + s.operators,
                          model.operators.end());
    summary.ops.resize(s.ops);
    model.inputs.resize(s.inputs);
    model.outputs.resize(s.outputs);
    summary.cut = s.cut;
    summary.cutInFile = s.cutInFile;
    SmallVector<Value> stale;
    for (auto &[value, tensor] : tensorOf)
      if (static_cast<size_t>(tensor) >= s.tensors)
        stale.push_back(value);
    for (Value value : stale)
      tensorOf.erase(value);
  }

  LogicalResult fail(Operation *op, const Twine &rule) {
    if (!firstFailure)
      firstFailure = NotMapped{op, rule.str()};
    return mlir::failure();
  }

  /// The int8 tensor of quantised value `value`, made on first use.
  FailureOr<int32_t> tensorFor(Value value, Operation *user);
  /// A new activation tensor with `type`'s grid (uint8 grids move to int8).
  FailureOr<int32_t> newActivation(RankedTensorType type, StringRef name,
                                   Operation *user);
  /// The quantised value a float operand dequantises, or null.
  static Value dequantized(Value value) {
    auto dq = value.getDefiningOp<DequantizeOp>();
    if (!dq)
      return {};
    auto type = cast<RankedTensorType>(dq.getInput().getType());
    return isa<quant::UniformQuantizedType>(type.getElementType())
               ? dq.getInput()
               : Value();
  }
  /// The int8 tensor an op reads `value` from: a quantised value, the
  /// dequantize of one, or the float result of an op TFLite runs on int8
  /// without choosing a grid (pooling, mean, reshape, concatenation),
  /// written here on its input's grid.
  FailureOr<int32_t> operandTensor(Value value, Operation *user);
  FailureOr<Weights> weightsOf(Value value, int64_t axis, Operation *user);
  /// A float constant operand of an elementwise op as int8 (symmetric, one
  /// scale), expanded to `rank` and permuted like the activations; `invert`
  /// 1 negates it (a subtrahend), 2 takes reciprocals (a divisor).
  FailureOr<int32_t> constantOperand(Value value, int64_t rank,
                                     Operation *user, int invert);
  int32_t constantTensor(std::vector<uint8_t> bytes, std::vector<int32_t> shape,
                         ElementType type, StringRef name,
                         std::vector<float> scales = {},
                         std::vector<int64_t> zeroPoints = {},
                         int32_t axis = 0);
  FailureOr<int32_t> biasTensor(Value bias, double inputScale,
                                const std::vector<float> &weightScales,
                                Operation *user);
  void emit(Operation *origin, Operator op, StringRef note = "");
  /// The grid of quantised tensor `t`: (scale, zero point).
  std::pair<float, int64_t> gridOf(int32_t t) const {
    return {model.tensors[t].scales[0], model.tensors[t].zeroPoints[0]};
  }
  /// For ops whose TFLite kernels keep the input's grid (pooling,
  /// reshape, padding): `target` itself when `source` shares its grid, else
  /// a twin of `target` on `source`'s grid that requantizeInto then copies
  /// into `target` with a QUANTIZE.
  int32_t onInputGrid(int32_t source, int32_t target);
  void requantizeInto(int32_t written, int32_t target, Operation *origin);

  LogicalResult lowerQuantize(QuantizeOp op);
  LogicalResult lowerProducer(Operation *producer, Activation activation,
                              int32_t output);
  LogicalResult lowerConv(Operation *op, Value input, Value filter, Value bias,
                          ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                          ArrayRef<int64_t> dilations, int64_t group,
                          Activation activation, int32_t output);
  LogicalResult lowerFullyConnected(Operation *op, Value lhs, Value rhs,
                                    bool transposed, Value bias,
                                    Activation activation, int32_t output);
  LogicalResult lowerPool(Operation *op, bool isMax, Value input,
                          ArrayRef<int64_t> kernel, ArrayRef<int64_t> strides,
                          ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                          bool ceilMode, bool countIncludePad, int32_t output);
  /// The padding of a window op: SAME or VALID when ONNX's explicit pads
  /// are those, else VALID after a PAD written here (nullopt if the pads
  /// cannot be written as either).
  std::optional<Padding> padding(Operation *op, int32_t &input,
                                 ArrayRef<int64_t> kernel,
                                 ArrayRef<int64_t> strides,
                                 ArrayRef<int64_t> pads,
                                 ArrayRef<int64_t> dilations, bool forMax,
                                 bool allowPad, bool sameAllowed = true);
};

} // namespace

FailureOr<int32_t> Lowering::newActivation(RankedTensorType type,
                                           StringRef name, Operation *user) {
  auto grid = dyn_cast<quant::UniformQuantizedType>(type.getElementType());
  if (!grid)
    return fail(user, "a value quantised per axis between ops (the Edge TPU "
                      "takes one scale per activation)");
  if (!type.hasStaticShape())
    return fail(user, "a dynamic shape (the Edge TPU needs static shapes)");
  if (grid.getStorageTypeIntegralWidth() != 8)
    return fail(user, "a " +
                          std::to_string(grid.getStorageTypeIntegralWidth()) +
                          "-bit activation (the Edge TPU runs int8)");
  Tensor tensor;
  tensor.name = name.str();
  tensor.shape = toNhwc(type.getShape());
  tensor.type = ElementType::Int8;
  tensor.scales = {static_cast<float>(grid.getScale())};
  // A uint8 grid is the int8 grid 128 lower: the same real values.
  tensor.zeroPoints = {grid.isSigned() ? grid.getZeroPoint()
                                       : grid.getZeroPoint() - 128};
  return model.addTensor(std::move(tensor));
}

FailureOr<int32_t> Lowering::tensorFor(Value value, Operation *user) {
  auto it = tensorOf.find(value);
  if (it != tensorOf.end())
    return it->second;
  return fail(user, "an input that is not an int8 activation written "
                    "before it (a float value reaches this op)");
}

FailureOr<int32_t> Lowering::operandTensor(Value value, Operation *user) {
  if (auto it = tensorOf.find(value); it != tensorOf.end())
    return it->second;
  auto type = cast<RankedTensorType>(value.getType());
  if (isa<quant::QuantizedType>(type.getElementType()))
    return tensorFor(value, user);
  if (Value source = dequantized(value))
    return tensorFor(source, user);
  Operation *producer = value.getDefiningOp();
  if (!producer || !value.hasOneUse() ||
      !isa<ReshapeOp, MaxPoolOp, AveragePoolOp, ReduceMeanOp, ConcatOp,
           SoftmaxOp, SigmoidOp>(producer))
    return fail(user, "a float input (the value is not quantised)");
  // The grid of the op's first input, which pooling and reshape keep.
  FailureOr<int32_t> first = operandTensor(producer->getOperand(0), producer);
  if (failed(first))
    return failure();
  Tensor tensor = model.tensors[*first];
  tensor.name = nodeName(producer->getLoc(),
                         "t" + std::to_string(model.tensors.size()));
  tensor.shape = toNhwc(type.getShape());
  tensor.buffer = 0;
  if (isa<SoftmaxOp, SigmoidOp>(producer)) {
    // Their int8 kernels' own output grid.
    tensor.scales = {1.0f / 256};
    tensor.zeroPoints = {-128};
  }
  int32_t output = model.addTensor(std::move(tensor));
  if (failed(lowerProducer(producer, Activation::None, output)))
    return failure();
  tensorOf[value] = output;
  return output;
}

FailureOr<int32_t> Lowering::constantOperand(Value value, int64_t rank,
                                            Operation *user, int invert) {
  std::optional<SmallVector<float>> values = readF32Constant(value);
  auto type = cast<RankedTensorType>(value.getType());
  if (!values || type.getRank() > rank)
    return fail(user, "a constant operand of higher rank than the result");
  SmallVector<int64_t> shape(rank - type.getRank(), 1);
  shape.append(type.getShape().begin(), type.getShape().end());
  float largest = 0;
  for (float &v : *values) {
    if (invert == 1)
      v = -v;
    if (invert == 2) {
      if (v == 0)
        return fail(user, "a division by a constant zero");
      v = 1.0f / v;
    }
    largest = std::max(largest, std::fabs(v));
  }
  float scale = largest > 0 ? largest / 127 : 1;
  std::vector<int8_t> data(values->size());
  // NCHW -> NHWC for images, element by element.
  int64_t n = shape.size() == 4 ? shape[0] : 1, c = shape.size() == 4 ? shape[1] : 1;
  int64_t plane = shape.size() == 4 ? shape[2] * shape[3] : 1;
  for (size_t i = 0; i < values->size(); ++i) {
    size_t at = i;
    if (shape.size() == 4) {
      int64_t b = i / (c * plane), ch = (i / plane) % c, p = i % plane;
      at = (b * plane + p) * c + ch;
    }
    data[at] = static_cast<int8_t>(
        std::clamp(std::nearbyint((*values)[i] / scale), -127.0f, 127.0f));
  }
  (void)n;
  return constantTensor(bytesOf(data), toNhwc(shape), ElementType::Int8,
                        "constant", {scale}, {0});
}

FailureOr<Weights> Lowering::weightsOf(Value value, int64_t axis,
                                       Operation *user) {
  Value quantized = value;
  if (auto dq = value.getDefiningOp<DequantizeOp>())
    quantized = dq.getInput();
  auto type = cast<RankedTensorType>(quantized.getType());
  if (!isa<quant::QuantizedType>(type.getElementType())) {
    // Small quantised weights reach here folded to their float values
    // (q x scale, DequantizeOp's folder): the symmetric per-channel grid
    // of their largest magnitudes gives the integers back.
    std::optional<SmallVector<float>> real = readF32Constant(value);
    if (!real)
      return fail(user, "float weights that are not a constant");
    Weights weights;
    weights.shape.assign(type.getShape().begin(), type.getShape().end());
    weights.axis = axis;
    int64_t channels = type.getDimSize(axis), inner = 1;
    for (int64_t d = axis + 1; d < type.getRank(); ++d)
      inner *= type.getDimSize(d);
    std::vector<float> absMax(channels, 0.0f);
    for (size_t i = 0; i < real->size(); ++i) {
      float &m = absMax[(i / inner) % channels];
      m = std::max(m, std::fabs((*real)[i]));
    }
    for (float m : absMax)
      weights.scales.push_back(m > 0 ? m / 127.0f : 1.0f);
    weights.zeroPoints.assign(channels, 0);
    for (size_t i = 0; i < real->size(); ++i)
      weights.values.push_back(static_cast<int64_t>(std::clamp(
          std::nearbyint((*real)[i] / weights.scales[(i / inner) % channels]),
          -127.0f, 127.0f)));
    return weights;
  }
  std::optional<SmallVector<int64_t>> values = readIntConstant(quantized);
  if (!values)
    return fail(user, "weights that are not a constant");
  Weights weights;
  weights.values = std::move(*values);
  weights.shape.assign(type.getShape().begin(), type.getShape().end());
  weights.axis = axis;
  int64_t channels = type.getDimSize(axis);
  if (auto perAxis =
          dyn_cast<quant::UniformQuantizedPerAxisType>(type.getElementType())) {
    if (perAxis.getQuantizedDimension() != axis)
      return fail(user, "weights quantised along dimension " +
                            std::to_string(perAxis.getQuantizedDimension()) +
                            " instead of the output channels");
    for (double scale : perAxis.getScales())
      weights.scales.push_back(static_cast<float>(scale));
    for (int64_t zp : perAxis.getZeroPoints())
      weights.zeroPoints.push_back(zp);
  } else {
    auto grid = cast<quant::UniformQuantizedType>(type.getElementType());
    weights.scales.assign(channels, static_cast<float>(grid.getScale()));
    weights.zeroPoints.assign(channels, grid.getZeroPoint());
  }
  auto storage = cast<quant::QuantizedType>(type.getElementType());
  if (!storage.isSigned() || storage.getStorageTypeIntegralWidth() != 8)
    return fail(user, "weights that are not int8 (the Edge TPU takes "
                      "symmetric int8 weights)");
  if (llvm::any_of(weights.zeroPoints, [](int64_t zp) { return zp != 0; }))
    return fail(user, "asymmetric weights (a non-zero weight zero point; "
                      "the Edge TPU takes symmetric weights)");
  if (llvm::is_contained(weights.values, -128))
    return fail(user, "a weight of -128 (the Edge TPU takes weights in "
                      "[-127, 127])");
  return weights;
}

int32_t Lowering::constantTensor(std::vector<uint8_t> bytes,
                                 std::vector<int32_t> shape, ElementType type,
                                 StringRef name, std::vector<float> scales,
                                 std::vector<int64_t> zeroPoints,
                                 int32_t axis) {
  Tensor tensor;
  tensor.name = name.str();
  tensor.shape = std::move(shape);
  tensor.type = type;
  tensor.buffer = model.addBuffer(std::move(bytes));
  tensor.scales = std::move(scales);
  tensor.zeroPoints = std::move(zeroPoints);
  tensor.quantizedDimension = axis;
  return model.addTensor(std::move(tensor));
}

FailureOr<int32_t> Lowering::biasTensor(Value bias, double inputScale,
                                        const std::vector<float> &weightScales,
                                        Operation *user) {
  size_t channels = weightScales.size();
  std::vector<int32_t> values(channels, 0);
  if (bias) {
    std::optional<SmallVector<double>> real = readFloatConstant(bias);
    if (!real || real->size() != channels)
      return fail(user, "a bias that is not a constant of one value per "
                        "output channel");
    for (size_t c = 0; c < channels; ++c) {
      double step = inputScale * weightScales[c];
      double q = std::nearbyint((*real)[c] / step);
      values[c] = static_cast<int32_t>(
          std::clamp(q, -2147483648.0, 2147483647.0));
    }
  }
  // int32 at input scale x weight scale, zero point 0, along the channels.
  std::vector<float> scales;
  for (float s : weightScales)
    scales.push_back(static_cast<float>(inputScale * s));
  return constantTensor(bytesOf(values), {static_cast<int32_t>(channels)},
                        ElementType::Int32, "bias", scales,
                        std::vector<int64_t>(channels, 0), 0);
}

void Lowering::emit(Operation *origin, Operator op, StringRef note) {
  const OpRule &rule = ruleFor(op.code);
  op.version = std::max(op.version, rule.version);
  EdgeTpuOp record;
  record.origins = origins(origin);
  record.tflite = rule.name;
  record.version = op.version;
  record.note = note.str();
  record.mapped = rule.newestMapped >= op.version;
  if (!record.mapped)
    record.note = std::string(rule.name) +
                  " is not among the ops the Edge TPU compiler maps";
  for (int32_t t : op.outputs) {
    std::string shapeNote = shapeRule(model.tensors[t].shape);
    if (record.mapped && !shapeNote.empty()) {
      record.mapped = false;
      record.note = "output " + shapeNote;
    }
  }
  if (!record.mapped && summary.cut.empty()) {
    summary.cut = record.tflite + " at " + record.origins + ": " + record.note;
    summary.cutInFile = true;
  }
  summary.ops.push_back(std::move(record));
  model.operators.push_back(std::move(op));
}

int32_t Lowering::onInputGrid(int32_t source, int32_t target) {
  if (gridOf(source) == gridOf(target))
    return target;
  Tensor same = model.tensors[target];
  same.name += "/input_grid";
  same.scales = model.tensors[source].scales;
  same.zeroPoints = model.tensors[source].zeroPoints;
  return model.addTensor(std::move(same));
}

void Lowering::requantizeInto(int32_t written, int32_t target,
                              Operation *origin) {
  if (written == target)
    return;
  Operator requantize(OpCode::Quantize);
  requantize.inputs = {written};
  requantize.outputs = {target};
  emit(origin, requantize, "requantises to the output's grid");
}

std::optional<Padding>
Lowering::padding(Operation *op, int32_t &input, ArrayRef<int64_t> kernel,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                  ArrayRef<int64_t> dilations, bool forMax, bool allowPad,
                  bool sameAllowed) {
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return Padding::Valid;
  const std::vector<int32_t> &shape = model.tensors[input].shape; // NHWC
  // TFLite's SAME: out = ceil(in / stride), the smaller half before.
  auto isSame = [](int64_t size, int64_t k, int64_t s, int64_t d,
                   int64_t before, int64_t after) {
    int64_t out = (size + s - 1) / s;
    int64_t total = std::max<int64_t>((out - 1) * s + (k - 1) * d + 1 - size, 0);
    return before == total / 2 && after == total - total / 2;
  };
  if (sameAllowed &&
      isSame(shape[1], kernel[0], strides[0], dilations[0], pads[0], pads[2]) &&
      isSame(shape[2], kernel[1], strides[1], dilations[1], pads[1], pads[3]))
    return Padding::Same;
  if (!allowPad)
    return std::nullopt;
  // Explicit pads: PAD fills with the zero point (real 0), which is right
  // for a convolution and, when the zero point is the storage minimum,
  // for max pooling too; otherwise PADV2 with the minimum.
  auto [scale, zeroPoint] = gridOf(input);
  bool needsMinimum = forMax && zeroPoint != -128;
  Tensor padded = model.tensors[input];
  padded.name += "/padded";
  padded.buffer = 0;
  padded.shape[1] += static_cast<int32_t>(pads[0] + pads[2]);
  padded.shape[2] += static_cast<int32_t>(pads[1] + pads[3]);
  int32_t paddedTensor = model.addTensor(std::move(padded));
  // [[0, 0], [top, bottom], [left, right], [0, 0]].
  std::vector<int32_t> amounts = {0,
                                  0,
                                  static_cast<int32_t>(pads[0]),
                                  static_cast<int32_t>(pads[2]),
                                  static_cast<int32_t>(pads[1]),
                                  static_cast<int32_t>(pads[3]),
                                  0,
                                  0};
  Operator pad(needsMinimum ? OpCode::PadV2 : OpCode::Pad);
  pad.inputs = {input, constantTensor(bytesOf(amounts), {4, 2},
                                      ElementType::Int32, "paddings")};
  if (needsMinimum)
    pad.inputs.push_back(constantTensor({0x80}, {}, ElementType::Int8,
                                        "pad_value", {scale}, {zeroPoint}));
  pad.outputs = {paddedTensor};
  emit(op, pad,
       needsMinimum ? "explicit pads of a max pooling whose zero point is "
                      "not -128 (padded with -128)"
                    : "ONNX's explicit pads are not TFLite's SAME");
  input = paddedTensor;
  return Padding::Valid;
}

static std::optional<Activation> activationOf(StringRef name,
                                              ArrayRef<double> params) {
  if (name == "none")
    return Activation::None;
  if (name == "relu")
    return Activation::Relu;
  if (name == "clip" && params.size() == 2) {
    if (params[0] == 0 && params[1] == 6)
      return Activation::Relu6;
    if (params[0] == -1 && params[1] == 1)
      return Activation::ReluN1To1;
    if (params[0] == 0 && std::isinf(params[1]))
      return Activation::Relu;
  }
  return std::nullopt;
}

LogicalResult Lowering::lowerConv(Operation *op, Value input, Value filter,
                                  Value bias, ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, int64_t group,
                                  Activation activation, int32_t output) {
  FailureOr<int32_t> in = operandTensor(input, op);
  if (failed(in))
    return failure();
  int32_t inputTensor = *in;
  if (model.tensors[inputTensor].shape.size() != 4 || strides.size() != 2)
    return fail(op, "a convolution that is not 2-D");
  FailureOr<Weights> weights = weightsOf(filter, 0, op);
  if (failed(weights))
    return failure();
  int64_t outChannels = weights->shape[0], perGroup = weights->shape[1];
  int64_t kh = weights->shape[2], kw = weights->shape[3];
  int64_t inChannels = model.tensors[inputTensor].shape[3];
  bool depthwise = group > 1 && group == inChannels && perGroup == 1;
  if (group != 1 && !depthwise)
    return fail(op, "a grouped convolution (" + std::to_string(group) +
                        " groups) that is not depthwise: no TFLite op the "
                        "Edge TPU maps runs it");
  std::vector<int8_t> data(weights->values.size());
  std::vector<int32_t> filterShape;
  if (depthwise) {
    // [1, kh, kw, O], quantised along the last dimension.
    for (int64_t o = 0; o < outChannels; ++o)
      for (int64_t t = 0; t < kh * kw; ++t)
        data[t * outChannels + o] =
            static_cast<int8_t>(weights->values[o * kh * kw + t]);
    filterShape = {1, static_cast<int32_t>(kh), static_cast<int32_t>(kw),
                   static_cast<int32_t>(outChannels)};
  } else {
    // OIHW -> OHWI, quantised along the first dimension.
    for (int64_t o = 0; o < outChannels; ++o)
      for (int64_t c = 0; c < perGroup; ++c)
        for (int64_t t = 0; t < kh * kw; ++t)
          data[(o * kh * kw + t) * perGroup + c] = static_cast<int8_t>(
              weights->values[(o * perGroup + c) * kh * kw + t]);
    filterShape = {static_cast<int32_t>(outChannels), static_cast<int32_t>(kh),
                   static_cast<int32_t>(kw), static_cast<int32_t>(perGroup)};
  }
  int32_t filterTensor = constantTensor(
      bytesOf(data), filterShape, ElementType::Int8, "filter", weights->scales,
      weights->zeroPoints, depthwise ? 3 : 0);
  FailureOr<int32_t> biasT =
      biasTensor(bias, gridOf(inputTensor).first, weights->scales, op);
  if (failed(biasT))
    return failure();
  std::optional<Padding> pad =
      padding(op, inputTensor, {kh, kw}, strides, pads, dilations,
              /*forMax=*/false, /*allowPad=*/true);
  Operator conv(depthwise ? OpCode::DepthwiseConv2D : OpCode::Conv2D);
  conv.inputs = {inputTensor, filterTensor, *biasT};
  conv.outputs = {output};
  conv.padding = *pad;
  conv.strideH = static_cast<int32_t>(strides[0]);
  conv.strideW = static_cast<int32_t>(strides[1]);
  conv.dilationH = static_cast<int32_t>(dilations[0]);
  conv.dilationW = static_cast<int32_t>(dilations[1]);
  conv.depthMultiplier = static_cast<int32_t>(outChannels / inChannels);
  conv.activation = activation;
  emit(op, conv);
  return success();
}

LogicalResult Lowering::lowerFullyConnected(Operation *op, Value lhs,
                                            Value rhs, bool transposed,
                                            Value bias, Activation activation,
                                            int32_t output) {
  FailureOr<int32_t> in = operandTensor(lhs, op);
  if (failed(in))
    return failure();
  if (model.tensors[*in].shape.size() != 2)
    return fail(op, "a product whose input is not a matrix");
  FailureOr<Weights> weights = weightsOf(rhs, transposed ? 0 : 1, op);
  if (failed(weights))
    return failure();
  int64_t n = transposed ? weights->shape[0] : weights->shape[1];
  int64_t k = transposed ? weights->shape[1] : weights->shape[0];
  // One scale: the Edge TPU's FULLY_CONNECTED takes per-tensor weights, so
  // per-column ones are re-rounded onto the largest scale (PASO's own
  // quantiser writes one scale for coral, and nothing is re-rounded).
  float scale = *llvm::max_element(weights->scales);
  bool rerounded = llvm::any_of(weights->scales,
                                [&](float s) { return s != scale; });
  std::vector<int8_t> data(n * k);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i) {
      int64_t q = weights->values[transposed ? j * k + i : i * n + j];
      double value = std::nearbyint(q * (double)weights->scales[j] / scale);
      data[j * k + i] = static_cast<int8_t>(std::clamp(value, -127.0, 127.0));
    }
  int32_t filterTensor =
      constantTensor(bytesOf(data),
                     {static_cast<int32_t>(n), static_cast<int32_t>(k)},
                     ElementType::Int8, "weights", {scale}, {0});
  std::vector<float> scales(n, scale);
  FailureOr<int32_t> biasT = biasTensor(bias, gridOf(*in).first, scales, op);
  if (failed(biasT))
    return failure();
  model.tensors[*biasT].scales.resize(1);
  model.tensors[*biasT].zeroPoints.resize(1);
  Operator fc(OpCode::FullyConnected);
  fc.inputs = {*in, filterTensor, *biasT};
  fc.outputs = {output};
  fc.activation = activation;
  emit(op, fc,
       rerounded ? "per-column weights re-rounded onto one scale (the Edge "
                   "TPU's FULLY_CONNECTED takes one)"
                 : "");
  return success();
}

LogicalResult Lowering::lowerPool(Operation *op, bool isMax, Value input,
                                  ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, bool ceilMode,
                                  bool countIncludePad, int32_t output) {
  FailureOr<int32_t> in = operandTensor(input, op);
  if (failed(in))
    return failure();
  int32_t inputTensor = *in;
  if (kernel.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return fail(op, "a pooling that is not 2-D or is dilated");
  const std::vector<int32_t> &inShape = model.tensors[inputTensor].shape;
  if (ceilMode) {
    // Ceil mode is floor mode when the windows fit exactly.
    for (int d = 0; d < 2; ++d)
      if ((inShape[1 + d] + pads[d] + pads[d + 2] - kernel[d]) % strides[d])
        return fail(op, "ceil_mode with a partial last window");
  }
  std::optional<Padding> pad;
  if (isMax) {
    pad = padding(op, inputTensor, kernel, strides, pads, dilations, true,
                  true);
  } else {
    // TFLite's SAME average excludes the padding from the count; explicit
    // zero padding includes it.
    pad = padding(op, inputTensor, kernel, strides, pads, dilations, false,
                  /*allowPad=*/countIncludePad,
                  /*sameAllowed=*/!countIncludePad);
    if (!pad)
      return fail(op, "an average pooling that leaves padding out of the "
                      "count with pads TFLite's SAME does not make");
  }
  int32_t written = onInputGrid(inputTensor, output);
  Operator pool(isMax ? OpCode::MaxPool2D : OpCode::AveragePool2D);
  pool.inputs = {inputTensor};
  pool.outputs = {written};
  pool.padding = *pad;
  pool.filterH = static_cast<int32_t>(kernel[0]);
  pool.filterW = static_cast<int32_t>(kernel[1]);
  pool.strideH = static_cast<int32_t>(strides[0]);
  pool.strideW = static_cast<int32_t>(strides[1]);
  emit(op, pool);
  requantizeInto(written, output, op);
  return success();
}

LogicalResult Lowering::lowerProducer(Operation *producer,
                                      Activation activation, int32_t output) {
  // An activation between the op and the quantize fuses into the op.
  auto fuse = [&](std::optional<Activation> inner) -> FailureOr<Activation> {
    if (!inner)
      return fail(producer, "an activation TFLite cannot fuse");
    if (*inner != Activation::None && activation != Activation::None &&
        *inner != activation)
      return fail(producer, "two different fused activations");
    return *inner == Activation::None ? activation : *inner;
  };
  if (isa<ReluOp>(producer) || isa<ClipOp>(producer)) {
    std::optional<Activation> inner = Activation::Relu;
    if (auto clip = dyn_cast<ClipOp>(producer))
      inner = activationOf(
          "clip", {clip.getMin() ? clip.getMin()->convertToDouble() : -INFINITY,
                   clip.getMax() ? clip.getMax()->convertToDouble() : INFINITY});
    FailureOr<Activation> fused = fuse(inner);
    if (failed(fused))
      return failure();
    Operation *inside = producer->getOperand(0).getDefiningOp();
    if (!inside || !producer->getOperand(0).hasOneUse() ||
        !isa<ConvOp, FusedConvOp, FusedMatMulOp, MatMulOp, AddOp>(inside))
      return fail(producer, "an activation that follows no op it fuses into");
    return lowerProducer(inside, *fused, output);
  }
  if (auto conv = dyn_cast<ConvOp>(producer))
    return lowerConv(producer, conv.getInput(), conv.getFilter(),
                     conv.getBias(), conv.getStrides(), conv.getPads(),
                     conv.getDilations(), conv.getGroup(), activation, output);
  if (auto conv = dyn_cast<FusedConvOp>(producer)) {
    if (conv.getResidual())
      return fail(producer, "a convolution with a residual add fused in");
    FailureOr<Activation> fused =
        fuse(activationOf(conv.getActivation(), conv.getActivationParams()));
    if (failed(fused))
      return failure();
    return lowerConv(producer, conv.getInput(), conv.getFilter(),
                     conv.getBias(), conv.getStrides(), conv.getPads(),
                     conv.getDilations(), conv.getGroup(), *fused, output);
  }
  if (auto matmul = dyn_cast<FusedMatMulOp>(producer)) {
    FailureOr<Activation> fused = fuse(
        activationOf(matmul.getActivation(), matmul.getActivationParams()));
    if (failed(fused))
      return failure();
    return lowerFullyConnected(producer, matmul.getLhs(), matmul.getRhs(),
                               matmul.getTransRhs(), matmul.getBias(), *fused,
                               output);
  }
  if (auto matmul = dyn_cast<MatMulOp>(producer))
    return lowerFullyConnected(producer, matmul.getLhs(), matmul.getRhs(),
                               false, Value(), activation, output);
  if (auto gemm = dyn_cast<GemmOp>(producer)) {
    if (gemm.getTransA() || gemm.getAlpha().convertToFloat() != 1.0f ||
        (gemm.getC() && gemm.getBeta().convertToFloat() != 1.0f))
      return fail(producer, "a Gemm with alpha, beta or transA");
    return lowerFullyConnected(producer, gemm.getA(), gemm.getB(),
                               gemm.getTransB(), gemm.getC(), activation,
                               output);
  }
  if (isa<AddOp, SubOp, MulOp, DivOp>(producer)) {
    // Elementwise with broadcasting: both operands at the result's rank
    // (constants are expanded to it), so NHWC permutes them alike. A
    // constant subtrahend or divisor becomes an addend or factor.
    bool isSub = isa<SubOp>(producer), isDiv = isa<DivOp>(producer);
    bool product = isa<MulOp, DivOp>(producer);
    int64_t rank = cast<RankedTensorType>(producer->getResult(0).getType())
                       .getRank();
    Operator op(product ? OpCode::Mul : OpCode::Add);
    for (unsigned i = 0; i < 2; ++i) {
      Value operand = producer->getOperand(i);
      bool inverted = i == 1 && (isSub || isDiv);
      FailureOr<int32_t> t =
          readF32Constant(operand)
              ? constantOperand(operand, rank, producer,
                                !inverted  ? 0
                                : isSub ? 1
                                        : 2)
          : inverted ? FailureOr<int32_t>(fail(
                           producer, "a subtraction or division of a value "
                                     "that is not constant"))
                     : operandTensor(operand, producer);
      if (failed(t))
        return failure();
      if (model.tensors[*t].shape.size() != static_cast<size_t>(rank))
        return fail(producer, "an elementwise op whose operands have "
                              "different ranks");
      op.inputs.push_back(*t);
    }
    if (product && activation != Activation::None)
      return fail(producer, "an activation after a multiplication");
    op.outputs = {output};
    op.activation = activation;
    emit(producer, op,
         isSub ? "subtraction of a constant written as an addition"
         : isDiv ? "division by a constant written as a multiplication"
                 : "");
    return success();
  }
  if (activation != Activation::None)
    return fail(producer, "an activation after an op that cannot fuse it");
  if (auto pool = dyn_cast<MaxPoolOp>(producer))
    return lowerPool(producer, true, pool.getInput(), pool.getKernelShape(),
                     pool.getStrides(), pool.getPads(), pool.getDilations(),
                     pool.getCeilMode(), false, output);
  if (auto pool = dyn_cast<AveragePoolOp>(producer))
    return lowerPool(producer, false, pool.getInput(), pool.getKernelShape(),
                     pool.getStrides(), pool.getPads(), pool.getDilations(),
                     pool.getCeilMode(), pool.getCountIncludePad(), output);
  if (auto mean = dyn_cast<ReduceMeanOp>(producer)) {
    FailureOr<int32_t> in = operandTensor(mean.getInput(), producer);
    if (failed(in))
      return failure();
    int64_t rank = cast<RankedTensorType>(mean.getInput().getType()).getRank();
    std::vector<int32_t> axes;
    for (int64_t axis : mean.getAxes())
      axes.push_back(nhwcAxis(axis < 0 ? axis + rank : axis, rank));
    if (llvm::is_contained(axes, 0))
      return fail(producer, "a mean over the batch dimension");
    Operator op(OpCode::Mean);
    op.inputs = {*in, constantTensor(bytesOf(axes),
                                     {static_cast<int32_t>(axes.size())},
                                     ElementType::Int32, "axes")};
    op.outputs = {output};
    op.keepDims = mean.getKeepdims();
    emit(producer, op);
    return success();
  }
  if (auto reshape = dyn_cast<ReshapeOp>(producer)) {
    FailureOr<int32_t> in = operandTensor(reshape.getInput(), producer);
    if (failed(in))
      return failure();
    // NHWC holds an image in NCHW's element order only when its channels
    // or its plane are a single element.
    auto sameOrder = [](ArrayRef<int64_t> shape) {
      return shape.size() != 4 || shape[1] == 1 || shape[2] * shape[3] == 1;
    };
    auto inType = cast<RankedTensorType>(reshape.getInput().getType());
    auto outType = cast<RankedTensorType>(reshape.getType());
    if (!sameOrder(inType.getShape()) || !sameOrder(outType.getShape()))
      return fail(producer, "a reshape that mixes channels and pixels (in "
                            "NHWC it needs a TRANSPOSE)");
    std::vector<int32_t> shape = model.tensors[output].shape;
    int32_t written = onInputGrid(*in, output);
    Operator op(OpCode::Reshape);
    op.inputs = {*in, constantTensor(bytesOf(shape),
                                     {static_cast<int32_t>(shape.size())},
                                     ElementType::Int32, "shape")};
    op.outputs = {written};
    op.newShape = shape;
    emit(producer, op);
    requantizeInto(written, output, producer);
    return success();
  }
  if (auto concat = dyn_cast<ConcatOp>(producer)) {
    Operator op(OpCode::Concatenation);
    for (Value operand : concat.getInputs()) {
      FailureOr<int32_t> in = operandTensor(operand, producer);
      if (failed(in))
        return failure();
      // TFLite's int8 spec: every input on the output's grid.
      int32_t input = *in;
      if (gridOf(input) != gridOf(output)) {
        Tensor twin = model.tensors[input];
        twin.name += "/concat_grid";
        twin.scales = model.tensors[output].scales;
        twin.zeroPoints = model.tensors[output].zeroPoints;
        int32_t requantized = model.addTensor(std::move(twin));
        requantizeInto(input, requantized, producer);
        input = requantized;
      }
      op.inputs.push_back(input);
    }
    int64_t rank = cast<RankedTensorType>(concat.getType()).getRank();
    int64_t axis = concat.getAxis() < 0 ? concat.getAxis() + rank
                                        : concat.getAxis();
    op.axis = nhwcAxis(axis, rank);
    op.outputs = {output};
    emit(producer, op);
    return success();
  }
  if (isa<HardSwishOp>(producer)) {
    FailureOr<int32_t> in = operandTensor(producer->getOperand(0), producer);
    if (failed(in))
      return failure();
    Operator op(OpCode::HardSwish);
    op.inputs = {*in};
    op.outputs = {output};
    emit(producer, op);
    return success();
  }
  if (auto hard = dyn_cast<HardSigmoidOp>(producer)) {
    // clamp(alpha x + beta, 0, 1) = alpha * clamp(x + beta / alpha, 0,
    // 1 / alpha): an ADD onto the grid of [0, 1 / alpha], whose saturation
    // is the clamp, then a MUL by alpha; both map (TFLite has no
    // HARD_SIGMOID).
    double alpha = hard.getAlpha().convertToDouble();
    double beta = hard.getBeta().convertToDouble();
    if (!(alpha > 0))
      return fail(producer, "a HardSigmoid with alpha <= 0");
    FailureOr<int32_t> in = operandTensor(hard.getInput(), producer);
    if (failed(in))
      return failure();
    auto scalar = [&](double value, StringRef name) {
      float scale = value != 0 ? static_cast<float>(std::fabs(value) / 127) : 1;
      int8_t q = value > 0 ? 127 : value < 0 ? -127 : 0;
      return constantTensor({static_cast<uint8_t>(q)}, {1}, ElementType::Int8,
                            name, {scale}, {0});
    };
    Tensor shifted = model.tensors[*in];
    shifted.name += "/shifted";
    shifted.scales = {static_cast<float>(1.0 / alpha / 255)};
    shifted.zeroPoints = {-128};
    int32_t shiftedTensor = model.addTensor(std::move(shifted));
    std::string note = "HardSigmoid rewritten as ADD " +
                       llvm::formatv("{0:g}", beta / alpha).str() +
                       " (saturating to [0, " +
                       llvm::formatv("{0:g}", 1 / alpha).str() + "]), MUL " +
                       llvm::formatv("{0:g}", alpha).str();
    Operator add(OpCode::Add);
    add.inputs = {*in, scalar(beta / alpha, "offset")};
    add.outputs = {shiftedTensor};
    emit(producer, add, note);
    Operator mul(OpCode::Mul);
    mul.inputs = {shiftedTensor, scalar(alpha, "slope")};
    mul.outputs = {output};
    emit(producer, mul, note);
    summary.rewrites.push_back(note + " at " + origins(producer));
    return success();
  }
  if (auto resize = dyn_cast<ResizeOp>(producer)) {
    // TFLite's flags against ONNX's coordinate transformations: the
    // default is ONNX's asymmetric (with nearest's floor), half-pixel
    // centres its half_pixel, align_corners its align_corners.
    StringRef transform = resize.getCoordinateTransformationMode();
    bool nearest = resize.getMode() == "nearest";
    Operator op(nearest ? OpCode::ResizeNearestNeighbor
                        : OpCode::ResizeBilinear);
    ArrayRef<int64_t> sizes = resize.getSizes();
    ArrayRef<int64_t> inShape =
        cast<RankedTensorType>(resize.getInput().getType()).getShape();
    if (sizes.size() != 4 || sizes[0] != inShape[0] || sizes[1] != inShape[1])
      return fail(producer, "a resize of other than the image's plane");
    if (nearest) {
      if (transform != "asymmetric" || resize.getNearestMode() != "floor")
        return fail(producer, "a nearest resize other than asymmetric with "
                              "floor rounding (TFLite's default)");
    } else if (transform == "half_pixel" || transform == "pytorch_half_pixel") {
      op.halfPixelCenters = true;
      op.version = 3;
    } else if (transform == "align_corners") {
      op.alignCorners = true;
    } else if (transform != "asymmetric") {
      return fail(producer, "a linear resize with coordinate mode '" +
                                transform.str() + "'");
    }
    // The scales TFLite derives (in / out) must be the model's.
    ArrayRef<double> scales = resize.getScales();
    for (int d = 2; d < 4; ++d)
      if (std::fabs(scales[d] - double(sizes[d]) / inShape[d]) > 1e-6)
        return fail(producer, "a resize whose scales are not output size / "
                              "input size");
    FailureOr<int32_t> in = operandTensor(resize.getInput(), producer);
    if (failed(in))
      return failure();
    std::vector<int32_t> size = {static_cast<int32_t>(sizes[2]),
                                 static_cast<int32_t>(sizes[3])};
    int32_t written = onInputGrid(*in, output);
    op.inputs = {*in, constantTensor(bytesOf(size), {2}, ElementType::Int32,
                                     "size")};
    op.outputs = {written};
    emit(producer, op);
    requantizeInto(written, output, producer);
    return success();
  }
  if (isa<SoftmaxOp, SigmoidOp>(producer)) {
    bool softmax = isa<SoftmaxOp>(producer);
    Value input = producer->getOperand(0);
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    if (auto op = dyn_cast<SoftmaxOp>(producer);
        op && nhwcAxis(op.getAxis(), rank) != rank - 1)
      return fail(producer, "a softmax that is not along the innermost "
                            "dimension in NHWC");
    FailureOr<int32_t> in = operandTensor(input, producer);
    if (failed(in))
      return failure();
    // TFLite's int8 kernels write on the grid [0, 1) in 256 steps.
    Tensor fixed = model.tensors[output];
    fixed.name += "/unit_grid";
    fixed.scales = {1.0f / 256};
    fixed.zeroPoints = {-128};
    int32_t written = model.tensors[output].scales == fixed.scales &&
                              model.tensors[output].zeroPoints ==
                                  fixed.zeroPoints
                          ? output
                          : model.addTensor(std::move(fixed));
    Operator op(softmax ? OpCode::Softmax : OpCode::Logistic);
    op.inputs = {*in};
    op.outputs = {written};
    emit(producer, op);
    requantizeInto(written, output, producer);
    return success();
  }
  return fail(producer, "'" + producer->getName().getStringRef().str() +
                            "' has no Edge TPU mapping in PASO");
}

LogicalResult Lowering::lowerQuantize(QuantizeOp op) {
  Value input = op.getInput();
  auto name = [&](Value value) -> std::string {
    if (auto arg = dyn_cast<BlockArgument>(value))
      if (auto attr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "paso.name"))
        return attr.str();
    return nodeName(value.getLoc(), "t" + std::to_string(model.tensors.size()));
  };
  if (auto arg = dyn_cast<BlockArgument>(input)) {
    FailureOr<int32_t> t = newActivation(op.getType(), name(arg), op);
    if (failed(t))
      return failure();
    tensorOf[op.getResult()] = *t;
    model.inputs.push_back(*t);
    return success();
  }
  if (Value source = dequantized(input)) {
    FailureOr<int32_t> from = tensorFor(source, op);
    if (failed(from))
      return failure();
    FailureOr<int32_t> to = newActivation(op.getType(), name(input), op);
    if (failed(to))
      return failure();
    if (gridOf(*from) == gridOf(*to)) {
      tensorOf[op.getResult()] = *from;
      return success();
    }
    tensorOf[op.getResult()] = *to;
    requantizeInto(*from, *to, op);
    return success();
  }
  Operation *producer = input.getDefiningOp();
  if (!producer)
    return fail(op, "a quantisation of nothing the lowering knows");
  if (!input.hasOneUse())
    return fail(producer, "a float result also used unquantised");
  FailureOr<int32_t> output = newActivation(op.getType(), name(input), op);
  if (failed(output))
    return failure();
  tensorOf[op.getResult()] = *output;
  return lowerProducer(producer, Activation::None, *output);
}

LogicalResult Lowering::run(Model &out) {
  bool cut = false;
  for (Operation &op : func.getBody().front()) {
    Snapshot before = snapshot();
    LogicalResult result = success();
    if (auto quantize = dyn_cast<QuantizeOp>(op)) {
      result = lowerQuantize(quantize);
    } else if (auto requantize = dyn_cast<RequantizeOp>(op)) {
      FailureOr<int32_t> from = tensorFor(requantize.getInput(), &op);
      FailureOr<int32_t> to =
          failed(from) ? FailureOr<int32_t>(failure())
                       : newActivation(requantize.getType(), nodeName(op.getLoc(), "requantized"), &op);
      if (failed(to))
        result = failure();
      else {
        tensorOf[requantize.getResult()] = *to;
        requantizeInto(*from, *to, &op);
      }
    } else if (auto conv = dyn_cast<QConvOp>(op)) {
      FailureOr<int32_t> output = newActivation(conv.getType(), nodeName(op.getLoc(), "conv"), &op);
      std::optional<Activation> activation =
          activationOf(conv.getActivation(), conv.getActivationParams());
      if (failed(output) || !activation) {
        result = fail(&op, "an activation TFLite cannot fuse");
      } else {
        tensorOf[conv.getResult()] = *output;
        result = lowerConv(&op, conv.getInput(), conv.getFilter(),
                           conv.getBias(), conv.getStrides(), conv.getPads(),
                           conv.getDilations(), conv.getGroup(), *activation,
                           *output);
      }
    } else if (isa<QMatMulOp, DynamicQuantizeOp>(op)) {
      result = fail(&op, "an integer op of an imported QOperator model "
                         "(quantise the float model with PASO, or import "
                         "it in QDQ form)");
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        FailureOr<int32_t> t = operandTensor(value, &op);
        if (failed(t)) {
          if (firstFailure && firstFailure->op == &op)
            firstFailure->rule =
                "a float model output: the graph after the last quantised "
                "value runs in float, and the Edge TPU runs int8 only";
          result = failure();
          break;
        }
        if (auto attr = func.getResultAttrOfType<StringAttr>(i, "paso.name"))
          model.tensors[*t].name = attr.str();
        model.outputs.push_back(*t);
      }
    }
    if (failed(result)) {
      // The ops written so far stay on the Edge TPU; the CPU runs the rest.
      if (allowCut && before.operators > 0 && before.inputs > 0) {
        rollBack(before);
        cut = true;
      }
      break;
    }
  }
  if (cut) {
    EdgeTpuOp record;
    record.origins = origins(firstFailure->op);
    record.note = "the CPU runs this op and the rest: " + firstFailure->rule;
    summary.ops.push_back(record);
    if (summary.cut.empty())
      summary.cut = record.origins + ": " + firstFailure->rule;
    summary.cpuRemainder = true;
  } else if (firstFailure) {
    EdgeTpuOp record;
    record.origins = origins(firstFailure->op);
    record.note = firstFailure->rule;
    summary.ops.push_back(record);
    summary.cut = record.origins + ": " + record.note;
    return emitError(firstFailure->op->getLoc())
           << "cannot write this op for the Edge TPU: " << firstFailure->rule
           << " (docs/edgetpu.md lists what maps)";
  }
  // Tensor names must be unique for readers that look tensors up by name.
  llvm::StringMap<int> seen;
  for (Tensor &tensor : model.tensors) {
    int count = seen[tensor.name]++;
    if (count)
      tensor.name += "_" + std::to_string(count);
  }
  auto describe = [&](int32_t t) {
    const Tensor &tensor = model.tensors[t];
    EdgeTpuIo io;
    io.name = tensor.name;
    io.shape.assign(tensor.shape.begin(), tensor.shape.end());
    io.type = "int8";
    io.scale = tensor.scales[0];
    io.zeroPoint = tensor.zeroPoints[0];
    return io;
  };
  for (int32_t t : model.inputs)
    summary.inputs.push_back(describe(t));
  for (int32_t t : model.outputs)
    summary.outputs.push_back(describe(t));
  model.description = "PASO: int8 for the Coral Edge TPU";
  out = std::move(model);
  return success();
}

OwningOpRef<ModuleOp> Lowering::buildRemainder(ModuleOp module, Model &out) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> remainder = ModuleOp::create(module.getLoc());
  (*remainder)->setAttrs(module->getAttrs());
  IRMapping mapping;
  auto cpu = cast<func::FuncOp>(func->clone(mapping));
  remainder->push_back(cpu);
  Block &body = cpu.getBody().front();
  auto i8 = IntegerType::get(context, 8);
  // Every value the TFLite part wrote becomes an input, read from the
  // .tflite's NHWC int8 output; what only fed it then dies.
  SmallVector<std::pair<int32_t, Value>> written;
  for (auto &[value, tensor] : tensorOf)
    written.push_back({tensor, value});
  llvm::sort(written, [](auto &a, auto &b) { return a.first < b.first; });
  unsigned firstNew = cpu.getNumArguments();
  SmallVector<int32_t> argTensor;
  for (auto [t, value] : written) {
    Value local = mapping.lookupOrNull(value);
    if (!local || local.use_empty())
      continue;
    const Tensor &tensor = out.tensors[t];
    SmallVector<int64_t> nhwc(tensor.shape.begin(), tensor.shape.end());
    auto argType = RankedTensorType::get(nhwc, i8);
    unsigned index = cpu.getNumArguments();
    if (failed(cpu.insertArgument(index, argType,
                                  DictionaryAttr::get(context, {NamedAttribute(
                                      StringAttr::get(context, "paso.name"),
                                      StringAttr::get(context, tensor.name))}),
                                  local.getLoc())))
      return nullptr;
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Location loc = local.getLoc();
    Value storage = body.getArgument(index);
    auto localType = cast<RankedTensorType>(local.getType());
    if (nhwc.size() == 4)
      storage = TransposeOp::create(
          b, loc, RankedTensorType::get(localType.getShape(), i8), storage,
          b.getDenseI64ArrayAttr({0, 3, 1, 2}));
    auto grid = quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, i8, Float32Type::get(context),
        tensor.scales[0], tensor.zeroPoints[0], -128, 127);
    Value quantized = StorageCastOp::create(
        b, loc, RankedTensorType::get(localType.getShape(), grid), storage);
    Value replacement = quantized;
    if (isa<FloatType>(localType.getElementType()))
      replacement = DequantizeOp::create(b, loc, localType, quantized);
    else if (localType.getElementType() != grid)
      replacement = RequantizeOp::create(b, loc, localType, quantized,
                                         TypeAttr::get(localType.getElementType()));
    local.replaceAllUsesWith(replacement);
    argTensor.push_back(t);
  }
  // Dead code, then the inputs nothing reads any more.
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (!op.hasTrait<OpTrait::IsTerminator>() && isOpTriviallyDead(&op)) {
        op.erase();
        changed = true;
      }
  }
  out.outputs.clear();
  SmallVector<Attribute> names;
  for (unsigned i = cpu.getNumArguments(); i-- > 0;) {
    if (!body.getArgument(i).use_empty())
      continue;
    if (i >= firstNew)
      argTensor.erase(argTensor.begin() + (i - firstNew));
    else
      --firstNew;
    if (failed(cpu.eraseArgument(i)))
      return nullptr;
  }
  for (unsigned i = 0; i < cpu.getNumArguments(); ++i)
    names.push_back(cpu.getArgAttrOfType<StringAttr>(i, "paso.name")
                        ? Attribute(cpu.getArgAttrOfType<StringAttr>(
                              i, "paso.name"))
                        : StringAttr::get(context, "input" + std::to_string(i)));
  (*remainder)->setAttr("paso.onnx.input_names", ArrayAttr::get(context, names));
  for (int32_t t : argTensor)
    out.outputs.push_back(t);
  summary.outputs.clear();
  for (int32_t t : out.outputs) {
    const Tensor &tensor = out.tensors[t];
    EdgeTpuIo io;
    io.name = tensor.name;
    io.shape.assign(tensor.shape.begin(), tensor.shape.end());
    io.type = "int8";
    io.scale = tensor.scales[0];
    io.zeroPoint = tensor.zeroPoints[0];
    summary.outputs.push_back(io);
  }
  return remainder;
}

LogicalResult
mlir::paso::writeEdgeTpuTFLite(ModuleOp module, llvm::raw_ostream &os,
                               EdgeTpuSummary &summary,
                               OwningOpRef<ModuleOp> *remainder) {
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      entry = func;
  if (!entry)
    return emitError(module.getLoc()) << "no model function to write";
  Model model;
  Lowering lowering(entry, summary, remainder != nullptr);
  if (failed(lowering.run(model)))
    return failure();
  if (summary.cpuRemainder) {
    *remainder = lowering.buildRemainder(module, model);
    if (!*remainder)
      return emitError(module.getLoc()) << "cannot build the CPU part";
  }
  std::vector<uint8_t> bytes = serialize(model);
  summary.bytes = static_cast<int64_t>(bytes.size());
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return success();
}
