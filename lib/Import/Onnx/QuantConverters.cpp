//===- QuantConverters.cpp - quantised ONNX ops to paso -------------------===//
//
// Every way ONNX spells static quantisation meets in one form: tensors of
// `!quant.uniform` type. QuantizeLinear/DequantizeLinear become
// paso.quantize/dequantize (QDQ models; paso-fold-qdq later folds
// DQ -> Conv -> Q into paso.qconv), QLinearConv/QLinearMatMul become
// paso.qconv/qmatmul directly (QOperator models), and ONNX Runtime's
// com.microsoft QLinear* ops run their float twin between a dequantize and
// a quantize. Scales and zero points must be constants: dynamic
// quantisation is not supported yet and is rejected at the node.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/STLExtras.h"

#include <array>
#include <cmath>

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {

Value storageOf(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (!isa<quant::QuantizedType>(type.getElementType()))
    return value;
  return StorageCastOp::create(
      builder, loc, type.clone(storageElementType(type.getElementType())),
      value);
}

namespace {

/// The quantised element type of `value`, or null.
quant::QuantizedType quantizedElement(Value value) {
  return dyn_cast<quant::QuantizedType>(
      cast<RankedTensorType>(value.getType()).getElementType());
}

/// The quantised element type given by a node's scale (input `scaleIndex`)
/// and optional zero point (`zpIndex`) for a tensor of `shape` stored as
/// `storage` (i8, ui8 or i32). One scale means per tensor; a 1-D scale of
/// several values quantises along `axis`.
FailureOr<Type> quantTypeFromInputs(NodeImporter &node, size_t scaleIndex,
                                    size_t zpIndex, Type storage,
                                    ArrayRef<int64_t> shape, int64_t axis,
                                    StringRef what) {
  Value scaleValue = node.input(scaleIndex);
  if (!scaleValue)
    return node.emitError() << "missing " << what << " scale (input "
                            << scaleIndex << ")";
  std::optional<SmallVector<double>> scales = readFloatConstant(scaleValue);
  if (!scales)
    return node.emitError()
           << what << " scale (input " << scaleIndex
           << ") must be a float constant: dynamic quantisation is not "
              "supported yet";
  if (!cast<RankedTensorType>(scaleValue.getType()).getElementType().isF32())
    return node.emitError() << what << " scale must be float32";
  SmallVector<int64_t> zeroPoints(scales->size(), 0);
  if (Value zp = node.input(zpIndex)) {
    std::optional<SmallVector<int64_t>> read = readIntConstant(zp);
    if (!read)
      return node.emitError() << what << " zero point (input " << zpIndex
                              << ") must be an integer constant";
    Type zpElement = cast<RankedTensorType>(zp.getType()).getElementType();
    if (zpElement != storage)
      return node.emitError() << what << " zero point is " << zpElement
                              << " but the data is " << storage;
    if (read->size() != scales->size())
      return node.emitError() << what << " has " << scales->size()
                              << " scale(s) but " << read->size()
                              << " zero point(s)";
    zeroPoints = std::move(*read);
  }
  auto integer = dyn_cast<IntegerType>(storage);
  if (!integer || (integer.getWidth() != 8 && integer.getWidth() != 32))
    return node.emitError() << what << " is stored as " << storage
                            << "; only int8, uint8 and int32 are supported";
  bool isSigned = !integer.isUnsigned();
  unsigned width = integer.getWidth();
  MLIRContext *context = node.getContext();
  Type storageType = IntegerType::get(context, width);
  unsigned flags = isSigned ? quant::QuantizationFlags::Signed : 0;
  int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(isSigned,
                                                                 width);
  int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(isSigned,
                                                                 width);
  Type f32 = Float32Type::get(context);
  auto rankOfScale = cast<RankedTensorType>(scaleValue.getType()).getRank();
  Type result;
  // Check the parameters before building: the upstream types assert on
  // some values our diagnostics report (a zero or NaN scale).
  auto check = [&](Type type) -> LogicalResult {
    return verifyQuantizedType(
        [&] { return node.emitError() << what << ": "; }, type, shape);
  };
  for (auto [scale, zeroPoint] : llvm::zip(*scales, zeroPoints)) {
    if (!std::isfinite(scale) || scale <= 0)
      return node.emitError() << what << " scale " << scale
                              << " must be finite and positive";
    if (zeroPoint < lo || zeroPoint > hi)
      return node.emitError() << what << " zero point " << zeroPoint
                              << " is outside [" << lo << ", " << hi << "]";
  }
  if (scales->size() == 1 && rankOfScale <= 1) {
    result = quant::UniformQuantizedType::get(flags, storageType, f32,
                                              scales->front(),
                                              zeroPoints.front(), lo, hi);
  } else {
    if (rankOfScale != 1)
      return node.emitError()
             << what << " scale has rank " << rankOfScale
             << "; blocked quantisation is not supported";
    FailureOr<int64_t> normalized =
        node.normalizeAxis(axis, shape.size(), "quantisation axis");
    if (failed(normalized))
      return failure();
    if (shape[*normalized] != static_cast<int64_t>(scales->size()))
      return node.emitError()
             << what << " has " << scales->size() << " scales for axis "
             << *normalized << " of size " << shape[*normalized];
    result = quant::UniformQuantizedPerAxisType::get(
        flags, storageType, f32, *scales, zeroPoints, *normalized, lo, hi);
  }
  if (failed(check(result)))
    return failure();
  return result;
}

/// `value` (integer storage, or already quantised) as a tensor of
/// `element`: the same bits read with the node's scale and zero point.
FailureOr<Value> asQuantized(NodeImporter &node, Value value, Type element,
                             StringRef what) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getElementType() == element)
    return value;
  Value storage = storageOf(node.builder, node.loc, value);
  Type storageElement =
      cast<RankedTensorType>(storage.getType()).getElementType();
  if (storageElement != storageElementType(element))
    return node.emitError() << what << " is " << storageElement
                            << " but its quantisation needs "
                            << storageElementType(element);
  return StorageCastOp::create(node.builder, node.loc, type.clone(element),
                               storage)
      .getResult();
}

/// The storage element type of input `i` (its quantisation's, when the
/// producer already quantised it).
Type storageTypeOf(NodeImporter &node, size_t i) {
  Type element = node.inputType(i).getElementType();
  if (auto quantized = dyn_cast<quant::QuantizedType>(element))
    return storageElementType(quantized);
  return element;
}

/// Input `dataIndex` read as quantised by the scale and zero point at
/// `scaleIndex`/`zpIndex`, per tensor or along `axis`.
FailureOr<Value> quantizedInput(NodeImporter &node, size_t dataIndex,
                                size_t scaleIndex, size_t zpIndex,
                                int64_t axis, StringRef what) {
  FailureOr<Value> data = node.requiredInput(dataIndex, what);
  if (failed(data))
    return failure();
  FailureOr<Type> element =
      quantTypeFromInputs(node, scaleIndex, zpIndex,
                          storageTypeOf(node, dataIndex),
                          node.inputType(dataIndex).getShape(), axis, what);
  if (failed(element))
    return failure();
  return asQuantized(node, *data, *element, what);
}

/// The output element type given by scale/zero point inputs; the storage
/// comes from the zero point (uint8 when absent, as ONNX defaults).
FailureOr<Type> outputQuantType(NodeImporter &node, size_t scaleIndex,
                                size_t zpIndex, ArrayRef<int64_t> shape,
                                int64_t axis, Type defaultStorage) {
  Type storage = defaultStorage;
  if (Value zp = node.input(zpIndex))
    storage = cast<RankedTensorType>(zp.getType()).getElementType();
  return quantTypeFromInputs(node, scaleIndex, zpIndex, storage, shape, axis,
                             "output");
}

LogicalResult convertQuantizeLinear(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "x");
  if (failed(input))
    return failure();
  if (node.getInt("block_size", 0) != 0)
    return node.emitError() << "blocked quantisation is not supported";
  if (!node.inputType(0).getElementType().isF32())
    return node.emitError() << "QuantizeLinear of "
                            << node.inputType(0).getElementType()
                            << " is not supported (float32 only)";
  Type storage = IntegerType::get(node.getContext(), 8, IntegerType::Unsigned);
  if (node.has("output_dtype") && !node.input(2)) {
    storage = convertElementType(node.getContext(),
                                 node.getInt("output_dtype", 0));
    if (!storage)
      return node.emitError() << "unsupported output_dtype";
  }
  FailureOr<Type> element =
      outputQuantType(node, 1, 2, node.inputType(0).getShape(),
                      node.getInt("axis", 1), storage);
  if (failed(element))
    return failure();
  FailureOr<Value> result = node.create1<QuantizeOp>(
      *input, {node.attr("element_type", TypeAttr::get(*element))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertDequantizeLinear(NodeImporter &node) {
  if (node.getInt("block_size", 0) != 0)
    return node.emitError() << "blocked quantisation is not supported";
  if (node.has("output_dtype") &&
      node.getInt("output_dtype", 0) != onnx::TensorProto::FLOAT)
    return node.emitError() << "DequantizeLinear to other types than float32 "
                               "is not supported";
  FailureOr<Value> input =
      quantizedInput(node, 0, 1, 2, node.getInt("axis", 1), "x");
  if (failed(input))
    return failure();
  FailureOr<Value> result = node.create1<DequantizeOp>(*input);
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// The int32 bias of QLinearConv / a QLinear product, as a plain tensor.
FailureOr<Value> integerBias(NodeImporter &node, size_t i) {
  Value bias = node.input(i);
  if (!bias)
    return Value();
  auto type = cast<RankedTensorType>(bias.getType());
  if (!type.getElementType().isSignlessInteger(32))
    return node.emitError() << "bias must be int32, got "
                            << type.getElementType();
  return bias;
}

LogicalResult convertQLinearConv(NodeImporter &node) {
  FailureOr<Value> input = quantizedInput(node, 0, 1, 2, 1, "x");
  FailureOr<Value> filter =
      failed(input) ? FailureOr<Value>(failure()) : quantizedInput(node, 3, 4, 5, 0, "w");
  if (failed(filter))
    return failure();
  if (quantizedElement(*input).getStorageTypeIntegralWidth() != 8)
    return node.emitError() << "x must be int8 or uint8";
  RankedTensorType filterType = node.inputType(3);
  SmallVector<int64_t> kernel = node.getInts("kernel_shape");
  if (kernel.empty())
    kernel.assign(filterType.getShape().begin() +
                      std::min<int64_t>(2, filterType.getRank()),
                  filterType.getShape().end());
  FailureOr<Window> window = readWindow(node, node.inputType(0), kernel);
  if (failed(window))
    return failure();
  FailureOr<Type> output =
      outputQuantType(node, 6, 7, {}, 0, storageTypeOf(node, 0));
  FailureOr<Value> bias = failed(output) ? FailureOr<Value>(failure()) : integerBias(node, 8);
  if (failed(bias))
    return failure();
  SmallVector<Value> operands{*input, *filter};
  if (*bias)
    operands.push_back(*bias);
  FailureOr<Value> result = node.create1<QConvOp>(
      operands, {node.arrayAttr("strides", window->strides),
                 node.arrayAttr("pads", window->pads),
                 node.arrayAttr("dilations", window->dilations),
                 node.i64Attr("group", node.getInt("group", 1)),
                 node.attr("output_type", TypeAttr::get(*output))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// A com.microsoft QLinear* op: dequantize the (data, scale, zero point)
/// triples, run the float op `floatOp` on them, and quantize its output by
/// the (scale, zero point) at `outScale`/`outZp`.
LogicalResult convertThroughFloat(NodeImporter &node, StringRef floatOp,
                                  ArrayRef<std::array<size_t, 3>> triples,
                                  size_t outScale, size_t outZp,
                                  Value *floatResult = nullptr,
                                  bool keepScalars = false) {
  SmallVector<Value> floats;
  for (auto [data, scale, zp] : triples) {
    // Per-axis scales of these ops run along the last dim (QLinearMatMul's
    // b); the rest are per tensor.
    FailureOr<Value> quantized =
        quantizedInput(node, data, scale, zp, -1, "input");
    if (failed(quantized))
      return failure();
    FailureOr<Value> real = node.create1<DequantizeOp>(*quantized);
    if (failed(real))
      return failure();
    // A constant scalar operand of QLinearAdd / QLinearMul stays quantised,
    // so that the integer kernels compute with its byte as ONNX Runtime
    // does (its float value, folded, rounds apart).
    if (keepScalars &&
        cast<RankedTensorType>(quantized->getType()).getNumElements() == 1)
      real->getDefiningOp()->setAttr("paso.keep_quantized",
                                     UnitAttr::get(real->getContext()));
    floats.push_back(*real);
  }
  FailureOr<SmallVector<Value>> results = node.convertAs(floatOp, floats, 1);
  if (failed(results))
    return failure();
  if (floatResult)
    *floatResult = results->front();
  FailureOr<Type> output =
      outputQuantType(node, outScale, outZp, {}, 0,
                      storageTypeOf(node, triples.front()[0]));
  if (failed(output))
    return failure();
  FailureOr<Value> result = node.create1<QuantizeOp>(
      results->front(), {node.attr("element_type", TypeAttr::get(*output))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertQLinearMatMul(NodeImporter &node) {
  // Batched products (attention) run as MatMul between dequantize and
  // quantize: the integer product takes a 2-D b.
  if (node.numInputs() > 3 && node.input(3) &&
      node.inputType(3).getRank() != 2)
    return convertThroughFloat(node, "MatMul", {{0, 1, 2}, {3, 4, 5}}, 6, 7);
  FailureOr<Value> lhs = quantizedInput(node, 0, 1, 2, 1, "a");
  FailureOr<Value> rhs =
      failed(lhs) ? FailureOr<Value>(failure()) : quantizedInput(node, 3, 4, 5, 1, "b");
  if (failed(rhs))
    return failure();
  FailureOr<Type> output =
      outputQuantType(node, 6, 7, {}, 0, storageTypeOf(node, 0));
  if (failed(output))
    return failure();
  FailureOr<Value> result = node.create1<QMatMulOp>(
      ValueRange{*lhs, *rhs},
      {node.attr("output_type", TypeAttr::get(*output))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertQLinearBinary(NodeImporter &node, StringRef floatOp) {
  return convertThroughFloat(node, floatOp, {{0, 1, 2}, {3, 4, 5}}, 6, 7,
                             nullptr, /*keepScalars=*/true);
}
LogicalResult convertQLinearAdd(NodeImporter &node) {
  return convertQLinearBinary(node, "Add");
}
LogicalResult convertQLinearMul(NodeImporter &node) {
  return convertQLinearBinary(node, "Mul");
}
LogicalResult convertQLinearSigmoid(NodeImporter &node) {
  return convertThroughFloat(node, "Sigmoid", {{0, 1, 2}}, 3, 4);
}
LogicalResult convertQLinearLeakyRelu(NodeImporter &node) {
  return convertThroughFloat(node, "LeakyRelu", {{0, 1, 2}}, 3, 4);
}
LogicalResult convertQLinearAveragePool(NodeImporter &node) {
  if (node.getInt("channels_last", 0) != 0)
    return node.emitError() << "channels_last QLinearAveragePool is not "
                               "supported";
  return convertThroughFloat(node, "AveragePool", {{0, 1, 2}}, 3, 4);
}
LogicalResult convertQLinearGlobalAveragePool(NodeImporter &node) {
  if (node.getInt("channels_last", 0) != 0)
    return node.emitError() << "channels_last QLinearGlobalAveragePool is "
                               "not supported";
  return convertThroughFloat(node, "GlobalAveragePool", {{0, 1, 2}}, 3, 4);
}
/// QLinearSoftmax carries the Softmax semantics it follows (before or
/// from opset 13) as an attribute; the model's own opset must agree.
LogicalResult convertQLinearSoftmax(NodeImporter &node) {
  int64_t semantics = node.getInt("opset", node.opset);
  if ((semantics >= 13) != (node.opset >= 13))
    return node.emitError() << "QLinearSoftmax with opset-" << semantics
                            << " semantics in an opset-" << node.opset
                            << " model is not supported";
  Value value;
  if (failed(convertThroughFloat(node, "Softmax", {{0, 1, 2}}, 3, 4, &value)))
    return failure();
  // ONNX Runtime computes this op with its own algorithm (an exponential
  // table and a division, paso_qsoftmax_8), which the CPU back end follows
  // for the op, not for a QDQ model's float softmax. (Opset 1-12 import as
  // reshape, softmax, reshape.)
  while (Operation *op = value.getDefiningOp()) {
    if (isa<SoftmaxOp>(op)) {
      op->setAttr("paso.onnx_qlinear", UnitAttr::get(op->getContext()));
      break;
    }
    if (op->getNumOperands() != 1)
      break;
    value = op->getOperand(0);
  }
  return success();
}
/// QLinearConcat(Y_scale, Y_zero_point, (X, X_scale, X_zero_point)...).
LogicalResult convertQLinearConcat(NodeImporter &node) {
  if (node.numInputs() < 5 || (node.numInputs() - 2) % 3 != 0)
    return node.emitError() << "QLinearConcat needs Y_scale, Y_zero_point "
                               "and (X, X_scale, X_zero_point) triples";
  SmallVector<std::array<size_t, 3>> triples;
  for (size_t i = 2; i < node.numInputs(); i += 3)
    triples.push_back({i, i + 1, i + 2});
  return convertThroughFloat(node, "Concat", triples, 0, 1);
}

/// com.microsoft QGemm (A, a_scale, a_zp, B, b_scale, b_zp, C, y_scale,
/// y_zp): Gemm on dequantised A and B with the int32 C read in units of
/// a_scale x b_scale; the result is quantised when y_scale is given.
LogicalResult convertQGemm(NodeImporter &node) {
  int64_t bAxis = node.getInt("transB", 0) ? 0 : 1;
  FailureOr<Value> a = quantizedInput(node, 0, 1, 2, 1, "A");
  FailureOr<Value> b = failed(a) ? FailureOr<Value>(failure())
                                 : quantizedInput(node, 3, 4, 5, bAxis, "B");
  if (failed(b))
    return failure();
  SmallVector<Value> floats;
  for (Value quantized : {*a, *b}) {
    FailureOr<Value> real = node.create1<DequantizeOp>(quantized);
    if (failed(real))
      return failure();
    floats.push_back(*real);
  }
  if (Value c = node.input(6)) {
    auto cType = cast<RankedTensorType>(c.getType());
    if (!cType.getElementType().isSignlessInteger(32))
      return node.emitError() << "C must be int32, got "
                              << cType.getElementType();
    double aScale = cast<quant::UniformQuantizedType>(quantizedElement(*a))
                        .getScale();
    MLIRContext *context = node.getContext();
    Type i32 = IntegerType::get(context, 32), f32 = Float32Type::get(context);
    int64_t lo = quant::QuantizedType::getDefaultMinimumForInteger(true, 32);
    int64_t hi = quant::QuantizedType::getDefaultMaximumForInteger(true, 32);
    Type element;
    if (auto perAxis =
            dyn_cast<quant::UniformQuantizedPerAxisType>(quantizedElement(*b))) {
      SmallVector<double> scales;
      for (double s : perAxis.getScales())
        scales.push_back(s * aScale);
      if (cType.getRank() != 1 ||
          cType.getDimSize(0) != static_cast<int64_t>(scales.size()))
        return node.emitError() << "C must be [N] with per-column B scales";
      element = quant::UniformQuantizedPerAxisType::get(
          quant::QuantizationFlags::Signed, i32, f32, scales,
          SmallVector<int64_t>(scales.size(), 0), 0, lo, hi);
    } else {
      element = quant::UniformQuantizedType::get(
          quant::QuantizationFlags::Signed, i32, f32,
          aScale * cast<quant::UniformQuantizedType>(quantizedElement(*b))
                       .getScale(),
          0, lo, hi);
    }
    FailureOr<Value> quantized = asQuantized(node, c, element, "C");
    FailureOr<Value> real = failed(quantized)
                                ? FailureOr<Value>(failure())
                                : node.create1<DequantizeOp>(*quantized);
    if (failed(real))
      return failure();
    floats.push_back(*real);
  }
  FailureOr<SmallVector<Value>> results = node.convertAs("Gemm", floats, 1);
  if (failed(results))
    return failure();
  if (!node.input(7))
    return node.setOutputs(results->front());
  FailureOr<Type> output =
      outputQuantType(node, 7, 8, {}, 0, storageTypeOf(node, 0));
  if (failed(output))
    return failure();
  FailureOr<Value> result = node.create1<QuantizeOp>(
      results->front(), {node.attr("element_type", TypeAttr::get(*output))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// DynamicQuantizeLinear (opset 11): the uint8 tensor, its scale and its
/// zero point, all computed per inference.
LogicalResult convertDynamicQuantizeLinear(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "x");
  if (failed(input))
    return failure();
  FailureOr<SmallVector<Value>> results =
      node.create<DynamicQuantizeOp>(*input);
  return failed(results) ? failure() : node.setOutputs(*results);
}

/// `value` minus its zero point (input `zpIndex`, absent = 0) in `element`
/// (i32 or f32): the integer operands of MatMulInteger and ConvInteger.
/// A zero point per row/channel is laid along dim `axis` of `value`.
FailureOr<Value> centred(NodeImporter &node, size_t dataIndex,
                         size_t zpIndex, Type element, int64_t axis,
                         StringRef what) {
  FailureOr<Value> data = node.requiredInput(dataIndex, what);
  if (failed(data))
    return failure();
  RankedTensorType type = node.inputType(dataIndex);
  Type storage = type.getElementType();
  if (!storage.isInteger(8))
    return node.emitError() << what << " must be int8 or uint8, got "
                            << storage;
  FailureOr<Value> wide = node.create1<CastOp>(
      *data, {node.attr("to", TypeAttr::get(element))});
  Value zp = node.input(zpIndex);
  if (failed(wide) || !zp)
    return wide;
  RankedTensorType zpType = node.inputType(zpIndex);
  if (zpType.getElementType() != storage)
    return node.emitError() << what << " zero point is "
                            << zpType.getElementType() << " but the data is "
                            << storage;
  FailureOr<Value> zpWide =
      node.create1<CastOp>(zp, {node.attr("to", TypeAttr::get(element))});
  if (failed(zpWide))
    return failure();
  Value zero = *zpWide;
  if (zpType.getNumElements() > 1) {
    // One zero point per index of `axis`: shaped to broadcast along it.
    if (zpType.getRank() != 1 || axis < 0 ||
        zpType.getDimSize(0) != type.getDimSize(axis))
      return node.emitError() << what << " zero point of shape "
                              << zpType << " does not match dim " << axis;
    SmallVector<int64_t> shape{zpType.getDimSize(0)};
    shape.append(type.getRank() - axis - 1, 1);
    FailureOr<Value> reshaped = node.create1<ReshapeOp>(
        zero, {node.arrayAttr("shape", shape)});
    if (failed(reshaped))
      return failure();
    zero = *reshaped;
  }
  return node.create1<SubOp>(ValueRange{*wide, zero});
}

/// MatMulInteger (opset 10): an exact int32 product of the centred
/// operands (a's zero point per tensor, b's per tensor or per column).
LogicalResult convertMatMulInteger(NodeImporter &node) {
  Type i32 = IntegerType::get(node.getContext(), 32);
  if (node.numInputs() > 2 && node.input(2) &&
      node.inputType(2).getNumElements() > 1)
    return node.emitError() << "a per-row a_zero_point is not supported";
  int64_t bRank = node.numInputs() > 1 && node.input(1)
                      ? node.inputType(1).getRank()
                      : 2;
  FailureOr<Value> a = centred(node, 0, 2, i32, -1, "A");
  FailureOr<Value> b = failed(a) ? FailureOr<Value>(failure())
                                 : centred(node, 1, 3, i32, bRank - 1, "B");
  if (failed(b))
    return failure();
  FailureOr<Value> result = node.create1<MatMulOp>(ValueRange{*a, *b});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// The filter of a ConvInteger minus its zero point (one, or one per
/// output channel) as an f32 constant, when both are constants (always so
/// from quantize_dynamic). The CPU's convolution kernels take constant
/// filters only (they are packed at compile time); a filter computed at
/// run time left ResNet-18 to generic loops, 100x slower.
std::optional<Value> constantCentredFilter(NodeImporter &node) {
  std::optional<SmallVector<int64_t>> values = readIntConstant(node.input(1));
  SmallVector<int64_t> zero{0};
  if (Value zp = node.numInputs() > 3 ? node.input(3) : Value()) {
    std::optional<SmallVector<int64_t>> zeros = readIntConstant(zp);
    if (!zeros)
      return std::nullopt;
    zero = *zeros;
  }
  RankedTensorType type = node.inputType(1);
  if (!values || !type.hasStaticShape() || type.getRank() < 1)
    return std::nullopt;
  int64_t perChannel = type.getNumElements() / std::max<int64_t>(1, type.getDimSize(0));
  SmallVector<float> centred;
  for (auto [i, v] : llvm::enumerate(*values))
    centred.push_back(static_cast<float>(
        v - zero[zero.size() == 1 ? 0 : i / perChannel]));
  return node.constant(llvm::cast<ElementsAttr>(DenseElementsAttr::get(
      type.clone(Float32Type::get(node.getContext())),
      ArrayRef<float>(centred))));
}

/// ConvInteger (opset 10): the convolution of the centred operands in
/// f32, rounded to the nearest integer and cast to int32. Exact while the
/// partial sums stay below 2^24 (K = C x kh x kw up to 514 for uint8 x
/// int8); beyond, and through Winograd's transforms, within f32 rounding
/// of the exact sum (the rounding keeps errors under half a unit exact).
LogicalResult convertConvInteger(NodeImporter &node) {
  Type f32 = Float32Type::get(node.getContext());
  if (node.numInputs() > 2 && node.input(2) &&
      node.inputType(2).getNumElements() > 1)
    return node.emitError() << "a per-channel x_zero_point is not supported";
  FailureOr<Value> x = centred(node, 0, 2, f32, -1, "x");
  FailureOr<Value> w = failed(x) ? FailureOr<Value>(failure())
                                 : centred(node, 1, 3, f32, 0, "w");
  if (failed(w))
    return failure();
  // The checks above passed: the computed filter goes unused (and is
  // removed) when the constant one can be made.
  if (std::optional<Value> filter = constantCentredFilter(node))
    w = *filter;
  FailureOr<SmallVector<Value>> conv =
      node.convertAs("Conv", ValueRange{*x, *w}, 1);
  if (failed(conv))
    return failure();
  FailureOr<Value> rounded = node.create1<RoundOp>(conv->front());
  if (failed(rounded))
    return failure();
  FailureOr<Value> result = node.create1<CastOp>(
      *rounded,
      {node.attr("to", TypeAttr::get(IntegerType::get(node.getContext(), 32)))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// Converters that read quantised values themselves.
bool isQuantizationAware(const OpConverter &converter) {
  return converter.opType.starts_with("com.microsoft.Q") ||
         llvm::is_contained({StringRef("QuantizeLinear"),
                             StringRef("DequantizeLinear"),
                             StringRef("QLinearConv"),
                             StringRef("QLinearMatMul"),
                             StringRef("MatMulInteger"),
                             StringRef("ConvInteger"),
                             StringRef("Identity")},
                            converter.opType);
}

} // namespace

LogicalResult convertNode(NodeImporter &node, const OpConverter &converter) {
  auto quantized = [&](size_t i) {
    Value value = node.input(i);
    return value && quantizedElement(value);
  };
  if (isQuantizationAware(converter) ||
      llvm::none_of(llvm::seq<size_t>(0, node.numInputs()), quantized))
    return converter.convert(node);
  quant::UniformQuantizedType like;
  SmallVector<Value> inputs;
  for (size_t i = 0; i < node.numInputs(); ++i) {
    Value value = node.input(i);
    if (quantized(i)) {
      if (!like)
        like = dyn_cast<quant::UniformQuantizedType>(quantizedElement(value));
      FailureOr<Value> real = node.create1<DequantizeOp>(value);
      if (failed(real))
        return failure();
      value = *real;
    }
    inputs.push_back(value);
  }
  if (!like)
    return node.emitError() << "per-axis quantised data cannot flow into "
                            << node.node.op_type();
  FailureOr<SmallVector<Value>> results = node.convertAs(
      node.node.op_type(), inputs, node.node.output_size());
  if (failed(results))
    return failure();
  for (Value &result : *results) {
    auto type = cast<RankedTensorType>(result.getType());
    if (type.getElementType() != like.getExpressedType())
      continue;
    FailureOr<Value> quantized = node.create1<QuantizeOp>(
        result, {node.attr("element_type", TypeAttr::get(like))});
    if (failed(quantized))
      return failure();
    result = *quantized;
  }
  return node.setOutputs(*results);
}

void appendQuantConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"QuantizeLinear", 10, convertQuantizeLinear},
      {"DequantizeLinear", 10, convertDequantizeLinear},
      {"QLinearConv", 10, convertQLinearConv},
      {"QLinearMatMul", 10, convertQLinearMatMul},
      {"DynamicQuantizeLinear", 11, convertDynamicQuantizeLinear},
      {"MatMulInteger", 10, convertMatMulInteger},
      {"ConvInteger", 10, convertConvInteger},
      {"com.microsoft.QLinearAdd", 1, convertQLinearAdd},
      {"com.microsoft.QLinearMul", 1, convertQLinearMul},
      {"com.microsoft.QLinearSigmoid", 1, convertQLinearSigmoid},
      {"com.microsoft.QLinearLeakyRelu", 1, convertQLinearLeakyRelu},
      {"com.microsoft.QLinearAveragePool", 1, convertQLinearAveragePool},
      {"com.microsoft.QLinearGlobalAveragePool", 1,
       convertQLinearGlobalAveragePool},
      {"com.microsoft.QLinearConcat", 1, convertQLinearConcat},
      {"com.microsoft.QGemm", 1, convertQGemm},
      {"com.microsoft.QLinearSoftmax", 1, convertQLinearSoftmax},
  });
}

} // namespace mlir::paso::onnx_import
