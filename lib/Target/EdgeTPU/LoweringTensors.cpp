//===- LoweringTensors.cpp - TFLite tensors of the lowering ---------------===//
//
// Activations on their int8 grids, weights and biases as TFLite wants them,
// constant operands, operators with their mapping record, and padding.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::edgetpu;

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
           SoftmaxOp, SigmoidOp, TanhOp>(producer))
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
  if (isa<SoftmaxOp, SigmoidOp, TanhOp>(producer)) {
    // Their int8 kernels' own output grid.
    bool tanh = isa<TanhOp>(producer);
    tensor.scales = {tanh ? 1.0f / 128 : 1.0f / 256};
    tensor.zeroPoints = {tanh ? 0 : -128};
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
  int64_t c = shape.size() == 4 ? shape[1] : 1;
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
