//===- QuantOps.cpp - quantised paso ops ----------------------------------===//
//
// Type inference and verifiers of quantize, dequantize, qconv and qmatmul.
// The upstream quant types check their own parameters loosely (a zero
// scale parses); these verifiers reject every quantised type that cannot
// mean anything, since the kernels divide by scales and store zero points
// in the storage type.
//
//===----------------------------------------------------------------------===//

#include "ShapeUtils.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::detail;

LogicalResult mlir::paso::verifyQuantizedType(
    function_ref<InFlightDiagnostic()> emitError, Type elementType,
    ArrayRef<int64_t> shape) {
  auto quantized = dyn_cast<quant::QuantizedType>(elementType);
  if (!quantized)
    return emitError() << "expected a !quant.uniform element type, got "
                       << elementType;
  if (!quantized.getExpressedType().isF32())
    return emitError() << "quantised type " << elementType
                       << " must express f32";
  unsigned width = quantized.getStorageTypeIntegralWidth();
  if (width != 8 && width != 16 && width != 32)
    return emitError() << "quantised type " << elementType
                       << " must store 8, 16 or 32-bit integers";
  int64_t lo = quantized.getStorageTypeMin(), hi = quantized.getStorageTypeMax();
  auto check = [&](double scale, int64_t zeroPoint) -> LogicalResult {
    if (!std::isfinite(scale) || scale <= 0)
      return emitError() << "quantised type " << elementType
                         << " has scale " << scale
                         << "; scales must be finite and positive";
    if (zeroPoint < lo || zeroPoint > hi)
      return emitError() << "quantised type " << elementType
                         << " has zero point " << zeroPoint
                         << " outside its storage range [" << lo << ", " << hi
                         << "]";
    return success();
  };
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(quantized))
    return check(perTensor.getScale(), perTensor.getZeroPoint());
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(quantized);
  if (!perAxis)
    return emitError() << "unsupported quantised type " << elementType
                       << " (expected per-tensor or per-axis uniform)";
  int64_t axis = perAxis.getQuantizedDimension();
  if (axis < 0 || axis >= static_cast<int64_t>(shape.size()))
    return emitError() << "per-axis type " << elementType
                       << " quantises dim " << axis << " of a rank-"
                       << shape.size() << " tensor";
  int64_t count = perAxis.getScales().size();
  if (!ShapedType::isDynamic(shape[axis]) && shape[axis] != count)
    return emitError() << "per-axis type " << elementType << " has " << count
                       << " scales for dim " << axis << " of size "
                       << shape[axis];
  for (auto [scale, zeroPoint] :
       llvm::zip(perAxis.getScales(), perAxis.getZeroPoints()))
    if (failed(check(scale, zeroPoint)))
      return failure();
  return success();
}

/// Verifies the quantised element type of a tensor value.
static LogicalResult verifyTensor(Operation *op, Value value, StringRef what) {
  auto type = cast<RankedTensorType>(value.getType());
  return verifyQuantizedType(
      [&] { return op->emitOpError() << what << ": "; },
      type.getElementType(), type.getShape());
}

/// The per-tensor quantised element type of `value`, or null.
static quant::UniformQuantizedType perTensorType(Value value) {
  return dyn_cast<quant::UniformQuantizedType>(
      cast<RankedTensorType>(value.getType()).getElementType());
}

//===----------------------------------------------------------------------===//
// StorageCastOp
//===----------------------------------------------------------------------===//

Type mlir::paso::storageElementType(Type quantized) {
  auto type = cast<quant::QuantizedType>(quantized);
  unsigned width = type.getStorageTypeIntegralWidth();
  return IntegerType::get(type.getContext(), width,
                          type.isSigned() ? IntegerType::Signless
                                          : IntegerType::Unsigned);
}

LogicalResult StorageCastOp::verify() {
  auto inputType = cast<RankedTensorType>(getInput().getType());
  auto outputType = cast<RankedTensorType>(getType());
  if (inputType.getShape() != outputType.getShape())
    return emitOpError("input and result shapes differ");
  Type in = inputType.getElementType(), out = outputType.getElementType();
  bool inQuantized = isa<quant::QuantizedType>(in);
  if (inQuantized == isa<quant::QuantizedType>(out))
    return emitOpError("exactly one of input and result must be quantised");
  Type quantized = inQuantized ? in : out, storage = inQuantized ? out : in;
  RankedTensorType quantizedTensor = inQuantized ? inputType : outputType;
  if (failed(verifyQuantizedType([&] { return emitOpError(); }, quantized,
                                 quantizedTensor.getShape())))
    return failure();
  if (storage != storageElementType(quantized))
    return emitOpError("integer side must be ")
           << storageElementType(quantized) << " to store " << quantized
           << ", got " << storage;
  return success();
}

OpFoldResult StorageCastOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<StorageCastOp>())
    if (inner.getInput().getType() == getType())
      return inner.getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// QuantizeOp / DequantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  Type element = adaptor.getElementType();
  auto quantized = dyn_cast_or_null<quant::QuantizedType>(element);
  if (!quantized)
    return inferError(loc, "element_type must be a !quant.uniform type");
  if (quantized.getExpressedType() != inputType.getElementType())
    return inferError(loc, "element_type expresses a different type than "
                           "the input's element type");
  if (loc && failed(verifyQuantizedType([&] { return mlir::emitError(*loc); },
                                        element, inputType.getShape())))
    return failure();
  types.push_back(inputType.clone(element));
  return success();
}

OpFoldResult QuantizeOp::fold(FoldAdaptor) {
  // quantize(dequantize(q)) with the same type is q: the round trip is
  // exact for every stored value.
  if (auto dequantize = getInput().getDefiningOp<DequantizeOp>())
    if (dequantize.getInput().getType() == getType())
      return dequantize.getInput();
  return {};
}

OpFoldResult DequantizeOp::fold(FoldAdaptor) {
  // Only inline `dense` constants (at most 16 elements, as the importer
  // keeps them): weights in resource blobs stay integer for the kernels.
  // `paso.keep_quantized` (a QLinearAdd/QLinearMul's constant scalar)
  // stays too: the integer add and multiply read its byte.
  if ((*this)->hasAttr("paso.keep_quantized"))
    return {};
  auto cast = getInput().getDefiningOp<StorageCastOp>();
  auto constant = cast ? cast.getInput().getDefiningOp<ConstantOp>()
                       : ConstantOp();
  auto dense = constant ? dyn_cast<DenseIntElementsAttr>(constant.getValue())
                        : DenseIntElementsAttr();
  if (!dense)
    return {};
  RankedTensorType type = getType();
  auto quantized = cast_or_null<quant::QuantizedType>(
      getInput().getType().getElementType());
  auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(quantized);
  auto perTensor = dyn_cast<quant::UniformQuantizedType>(quantized);
  if (!type.getElementType().isF32() || (!perAxis && !perTensor))
    return {};
  bool isUnsigned = dense.getElementType().isUnsignedInteger();
  ArrayRef<int64_t> shape = type.getShape();
  int64_t axis = perAxis ? perAxis.getQuantizedDimension() : 0;
  int64_t inner = 1;
  for (int64_t d = axis + 1; d < static_cast<int64_t>(shape.size()); ++d)
    inner *= shape[d];
  SmallVector<float> values;
  int64_t i = 0;
  for (const APInt &raw : dense.getValues<APInt>()) {
    int64_t q = isUnsigned ? static_cast<int64_t>(raw.getZExtValue())
                           : raw.getSExtValue();
    int64_t channel = perAxis ? (i / inner) % shape[axis] : 0;
    double scale = perAxis ? perAxis.getScales()[channel]
                           : perTensor.getScale();
    int64_t zeroPoint = perAxis ? perAxis.getZeroPoints()[channel]
                                : perTensor.getZeroPoint();
    // As the lowering computes it: (q - zero point) in f32, times scale.
    values.push_back(static_cast<float>(q - zeroPoint) *
                     static_cast<float>(scale));
    ++i;
  }
  return DenseElementsAttr::get(type, ArrayRef<float>(values));
}

void QuantizeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                             MLIRContext *context) {
  // quantize(dequantize(x)) into another per-tensor type: one requantize.
  results.add(+[](QuantizeOp op, PatternRewriter &rewriter) {
    auto dequantize = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dequantize ||
        !isa<quant::UniformQuantizedType>(
            dequantize.getInput().getType().getElementType()) ||
        !isa<quant::UniformQuantizedType>(op.getElementType()))
      return failure();
    rewriter.replaceOpWithNewOp<RequantizeOp>(op, op.getType(),
                                              dequantize.getInput(),
                                              op.getElementTypeAttr());
    return success();
  });
}

LogicalResult RequantizeOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  auto in = dyn_cast<quant::UniformQuantizedType>(inputType.getElementType());
  auto out = dyn_cast_or_null<quant::UniformQuantizedType>(
      adaptor.getElementType());
  if (!in || !out)
    return inferError(loc, "requantize takes and gives per-tensor "
                           "!quant.uniform types");
  if (in.getExpressedType() != out.getExpressedType())
    return inferError(loc, "requantize keeps the expressed type");
  if (loc && failed(verifyQuantizedType([&] { return mlir::emitError(*loc); },
                                        out, inputType.getShape())))
    return failure();
  types.push_back(inputType.clone(out));
  return success();
}

OpFoldResult RequantizeOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

LogicalResult DequantizeOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  auto quantized = cast<quant::QuantizedType>(inputType.getElementType());
  if (loc && failed(verifyQuantizedType([&] { return mlir::emitError(*loc); },
                                        quantized, inputType.getShape())))
    return failure();
  types.push_back(inputType.clone(quantized.getExpressedType()));
  return success();
}

LogicalResult DynamicQuantizeOp::inferReturnTypes(
    MLIRContext *context, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  if (!inputType.getElementType().isF32())
    return inferError(loc, "DynamicQuantizeLinear takes float32");
  Type u8 = IntegerType::get(context, 8, IntegerType::Unsigned);
  types.push_back(inputType.clone(u8));
  types.push_back(RankedTensorType::get({}, Float32Type::get(context)));
  types.push_back(RankedTensorType::get({}, u8));
  return success();
}

//===----------------------------------------------------------------------===//
// QConvOp / QMatMulOp
//===----------------------------------------------------------------------===//

/// Checks what qconv and qmatmul share: 8-bit operands, a per-tensor
/// input, a weight quantised per tensor or along `weightAxis`, an 8-bit
/// per-tensor output and a clamp-like activation.
static LogicalResult verifyIntegerProduct(Operation *op, Value input,
                                          Value weight, int64_t weightAxis,
                                          Type outputType,
                                          StringRef activation,
                                          ArrayRef<double> params) {
  if (failed(verifyTensor(op, input, "input")) ||
      failed(verifyTensor(op, weight, "weights")))
    return failure();
  if (!perTensorType(input))
    return op->emitOpError("input must be quantised per tensor");
  auto weightType = cast<RankedTensorType>(weight.getType());
  if (auto perAxis = dyn_cast<quant::UniformQuantizedPerAxisType>(
          weightType.getElementType()))
    if (perAxis.getQuantizedDimension() != weightAxis)
      return op->emitOpError("weights must be quantised per tensor or along "
                             "dim ")
             << weightAxis << ", not dim " << perAxis.getQuantizedDimension();
  auto output = dyn_cast<quant::UniformQuantizedType>(outputType);
  if (!output)
    return op->emitOpError("output_type must be a per-tensor !quant.uniform "
                           "type, got ")
           << outputType;
  for (auto [value, what] :
       {std::pair<Type, StringRef>{perTensorType(input), "input"},
        {cast<quant::QuantizedType>(weightType.getElementType()), "weights"},
        {output, "output"}})
    if (cast<quant::QuantizedType>(value).getStorageTypeIntegralWidth() != 8)
      return op->emitOpError() << what << " must be stored in 8 bits";
  if (failed(verifyQuantizedType([&] { return op->emitOpError("output: "); },
                                 output, {})))
    return failure();
  size_t wanted = activation == "none" || activation == "relu" ? 0
                  : activation == "clip"                       ? 2
                                                               : 3;
  if (wanted == 3)
    return op->emitOpError("activation '")
           << activation << "' is not none, relu or clip";
  if (params.size() != wanted)
    return op->emitOpError("activation '")
           << activation << "' takes " << wanted << " parameters, got "
           << params.size();
  return success();
}

LogicalResult QConvOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  BoolAttr channelsLast = adaptor.getChannelsLastAttr();
  if (failed(inferConvType(loc, adaptor.getInput(), adaptor.getFilter(),
                           adaptor.getBias(), adaptor.getStrides(),
                           adaptor.getPads(), adaptor.getDilations(),
                           static_cast<int64_t>(adaptor.getGroup()),
                           channelsLast && channelsLast.getValue(), types,
                           /*sameElementType=*/false)))
    return failure();
  types.front() =
      cast<RankedTensorType>(types.front()).clone(adaptor.getOutputType());
  return success();
}

LogicalResult QConvOp::verify() {
  return verifyIntegerProduct(*this, getInput(), getFilter(), 0,
                              getOutputType(), getActivation(),
                              getActivationParams());
}

LogicalResult QMatMulOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  SmallVector<int64_t> shape;
  if (failed(inferProductShape(loc, adaptor.getLhs(), adaptor.getRhs(),
                               /*transRhs=*/false, adaptor.getBias(), shape)))
    return failure();
  types.push_back(RankedTensorType::get(shape, adaptor.getOutputType()));
  return success();
}

LogicalResult QMatMulOp::verify() {
  return verifyIntegerProduct(*this, getLhs(), getRhs(), 1, getOutputType(),
                              getActivation(), getActivationParams());
}

#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoQuantOps.cpp.inc"
