//===- Lowering.h - the state of one paso -> TFLite lowering ----*- C++ -*-===//
//
// Shared by the files of the lowering: LowerToTFLite.cpp (the walk over
// the quantize ops and the op table), LoweringTensors.cpp (tensors,
// weights, constants, padding), LowerLayers.cpp (convolutions, products,
// pooling) and CpuRemainder.cpp (the CPU part after a cut).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_TARGET_EDGETPU_LOWERING_H
#define PASO_LIB_TARGET_EDGETPU_LOWERING_H

#include "paso/Target/EdgeTPU/EdgeTpuBackend.h"

#include "EdgeTpuRules.h"
#include "TFLiteModel.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Import/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <optional>

namespace mlir::paso::edgetpu {

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

inline std::string origins(Operation *op) {
  std::vector<std::string> names = describeOnnxNodes(op->getLoc());
  return names.empty() ? std::string("(no ONNX node)")
                       : llvm::join(names, ", ");
}

/// A model input or output as the report shows it.
inline EdgeTpuIo describeIo(const Tensor &tensor) {
  EdgeTpuIo io;
  io.name = tensor.name;
  io.shape.assign(tensor.shape.begin(), tensor.shape.end());
  io.type = "int8";
  io.scale = tensor.scales[0];
  io.zeroPoint = tensor.zeroPoints[0];
  return io;
}

/// A tensor name from the ONNX node that made it (the last of a fused
/// group: the activation after a convolution), else `fallback`.
inline std::string nodeName(Location loc, StringRef fallback) {
  std::string name = fallback.str();
  loc->walk([&](Location inner) {
    if (auto named = dyn_cast<NameLoc>(inner))
      if (!describeOnnxLocation(named).empty())
        name = named.getName().str();
    return WalkResult::advance();
  });
  return name;
}

inline std::vector<int32_t> toNhwc(ArrayRef<int64_t> shape) {
  std::vector<int32_t> out(shape.begin(), shape.end());
  if (shape.size() == 4)
    out = {static_cast<int32_t>(shape[0]), static_cast<int32_t>(shape[2]),
           static_cast<int32_t>(shape[3]), static_cast<int32_t>(shape[1])};
  return out;
}

/// An NCHW axis of a rank-4 tensor as an NHWC one.
inline int32_t nhwcAxis(int64_t axis, int64_t rank) {
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

inline std::optional<Activation> activationOf(StringRef name,
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

} // namespace mlir::paso::edgetpu

#endif // PASO_LIB_TARGET_EDGETPU_LOWERING_H
