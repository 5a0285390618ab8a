//===- MathConverters.cpp - elementwise ONNX ops to paso ------------------===//
//
// Converters for activations, unary math, broadcasting binary ops (and their
// variadic ONNX forms), Where, Cast, Identity and Dropout.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include <limits>

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

template <typename OpTy>
LogicalResult convertUnary(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  FailureOr<Value> result = node.create1<OpTy>(*input);
  return failed(result) ? failure() : node.setOutputs(*result);
}

template <typename OpTy>
LogicalResult convertBinary(NodeImporter &node) {
  FailureOr<Value> lhs = node.requiredInput(0, "A");
  FailureOr<Value> rhs = node.requiredInput(1, "B");
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<Value> result = node.create1<OpTy>(ValueRange{*lhs, *rhs});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// Sum, Max, Min: a left fold of the binary op over all inputs.
template <typename OpTy>
FailureOr<Value> foldVariadic(NodeImporter &node) {
  if (node.numInputs() == 0)
    return node.emitError() << "needs at least one input";
  FailureOr<Value> acc = node.requiredInput(0, "data_0");
  for (size_t i = 1; i < node.numInputs() && succeeded(acc); ++i) {
    FailureOr<Value> next = node.requiredInput(i, "data_i");
    if (failed(next))
      return failure();
    acc = node.create1<OpTy>(ValueRange{*acc, *next});
  }
  return acc;
}

template <typename OpTy>
LogicalResult convertVariadic(NodeImporter &node) {
  FailureOr<Value> result = foldVariadic<OpTy>(node);
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertMean(NodeImporter &node) {
  FailureOr<Value> sum = foldVariadic<AddOp>(node);
  if (failed(sum))
    return failure();
  Type element = cast<RankedTensorType>(sum->getType()).getElementType();
  if (!isa<FloatType>(element))
    return node.emitError() << "Mean needs float inputs";
  auto scalarType = RankedTensorType::get({}, element);
  Value count = node.constant(cast<ElementsAttr>(DenseElementsAttr::get(
      scalarType, FloatAttr::get(element, node.numInputs()).getValue())));
  FailureOr<Value> mean = node.create1<DivOp>(ValueRange{*sum, count});
  return failed(mean) ? failure() : node.setOutputs(*mean);
}

LogicalResult convertIdentity(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  return failed(input) ? failure() : node.setOutputs(*input);
}

/// Inference-mode Dropout is the identity and its mask all true.
LogicalResult convertDropout(NodeImporter &node) {
  bool training = node.getInt("training_mode", 0) != 0;
  if (node.numInputs() > 2 && node.input(2)) {
    FailureOr<SmallVector<int64_t>> mode =
        node.constantInts(2, "training_mode");
    if (failed(mode))
      return failure();
    training = llvm::any_of(*mode, [](int64_t v) { return v != 0; });
  }
  if (training)
    return node.emitError() << "training-mode Dropout is not supported";
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  auto maskType = cast<RankedTensorType>(input->getType())
                      .clone(node.builder.getI1Type());
  Value mask = node.constant(llvm::cast<ElementsAttr>(
      DenseElementsAttr::get(maskType, true)));
  return node.setOutputs({*input, mask});
}

template <typename OpTy>
LogicalResult convertAlphaActivation(NodeImporter &node, float alpha) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  FailureOr<Value> result = node.create1<OpTy>(
      *input, {node.f32Attr("alpha", node.getFloat("alpha", alpha))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertLeakyRelu(NodeImporter &node) {
  return convertAlphaActivation<LeakyReluOp>(node, 0.01f);
}

LogicalResult convertElu(NodeImporter &node) {
  return convertAlphaActivation<EluOp>(node, 1.0f);
}

LogicalResult convertHardSigmoid(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  FailureOr<Value> result = node.create1<HardSigmoidOp>(
      *input, {node.f32Attr("alpha", node.getFloat("alpha", 0.2f)),
               node.f32Attr("beta", node.getFloat("beta", 0.5f))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertGelu(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  std::string approximate = node.getString("approximate", "none");
  if (approximate != "none" && approximate != "tanh")
    return node.emitError() << "unknown Gelu approximation '" << approximate
                            << "'";
  FailureOr<Value> result = node.create1<GeluOp>(
      *input, {node.boolAttr("tanh_approximation", approximate == "tanh")});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// Clip with the bounds in `low`/`high`; infinities mean unbounded.
LogicalResult buildClip(NodeImporter &node, double low, double high) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  if (failed(input))
    return failure();
  SmallVector<NamedAttribute> attrs;
  if (low != -std::numeric_limits<double>::infinity())
    attrs.push_back(node.attr("min", node.builder.getF64FloatAttr(low)));
  if (high != std::numeric_limits<double>::infinity())
    attrs.push_back(node.attr("max", node.builder.getF64FloatAttr(high)));
  FailureOr<Value> result = node.create1<ClipOp>(*input, attrs);
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// Opsets 6-10: bounds are attributes.
LogicalResult convertClipV6(NodeImporter &node) {
  const float inf = std::numeric_limits<float>::infinity();
  auto widen = [](float v) {
    return std::isinf(v) ? std::copysign(
                               std::numeric_limits<double>::infinity(), v)
                         : static_cast<double>(v);
  };
  // ONNX's defaults are the float range limits, which mean "unbounded".
  float low = node.getFloat("min", -inf), high = node.getFloat("max", inf);
  if (low <= std::numeric_limits<float>::lowest())
    low = -inf;
  if (high >= std::numeric_limits<float>::max())
    high = inf;
  return buildClip(node, widen(low), widen(high));
}

/// Opsets 11+: bounds are optional constant inputs.
LogicalResult convertClipV11(NodeImporter &node) {
  double bounds[2] = {-std::numeric_limits<double>::infinity(),
                      std::numeric_limits<double>::infinity()};
  for (size_t i = 1; i <= 2; ++i) {
    if (!node.input(i))
      continue;
    FailureOr<SmallVector<double>> value =
        node.constantFloats(i, i == 1 ? "min" : "max");
    if (failed(value))
      return failure();
    if (value->size() != 1)
      return node.emitError() << "Clip bound must be a scalar";
    bounds[i - 1] = value->front();
  }
  return buildClip(node, bounds[0], bounds[1]);
}

LogicalResult convertCast(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  if (failed(input))
    return failure();
  if (!node.has("to"))
    return node.emitError() << "Cast needs the 'to' attribute";
  int64_t to = node.getInt("to", 0);
  Type element = convertElementType(node.getContext(), to);
  if (!element)
    return node.emitError() << "Cast to " << onnxTypeName(to)
                            << " is not supported";
  FailureOr<Value> result =
      node.create1<CastOp>(*input, {node.attr("to", TypeAttr::get(element))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertWhere(NodeImporter &node) {
  FailureOr<Value> condition = node.requiredInput(0, "condition");
  FailureOr<Value> x = node.requiredInput(1, "X");
  FailureOr<Value> y = node.requiredInput(2, "Y");
  if (failed(condition) || failed(x) || failed(y))
    return failure();
  FailureOr<Value> result =
      node.create1<WhereOp>(ValueRange{*condition, *x, *y});
  return failed(result) ? failure() : node.setOutputs(*result);
}

} // namespace

void appendMathConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"Relu", 6, convertUnary<ReluOp>},
      {"Sigmoid", 6, convertUnary<SigmoidOp>},
      {"Tanh", 6, convertUnary<TanhOp>},
      {"Exp", 6, convertUnary<ExpOp>},
      {"Log", 6, convertUnary<LogOp>},
      {"Sqrt", 6, convertUnary<SqrtOp>},
      {"Erf", 9, convertUnary<ErfOp>},
      {"Reciprocal", 6, convertUnary<ReciprocalOp>},
      {"Floor", 6, convertUnary<FloorOp>},
      {"Ceil", 6, convertUnary<CeilOp>},
      {"Sin", 7, convertUnary<SinOp>},
      {"Cos", 7, convertUnary<CosOp>},
      {"Softplus", 1, convertUnary<SoftplusOp>},
      {"Tan", 7, convertUnary<TanOp>},
      {"Asin", 7, convertUnary<AsinOp>},
      {"Acos", 7, convertUnary<AcosOp>},
      {"Atan", 7, convertUnary<AtanOp>},
      {"Sinh", 9, convertUnary<SinhOp>},
      {"Cosh", 9, convertUnary<CoshOp>},
      {"Asinh", 9, convertUnary<AsinhOp>},
      {"Acosh", 9, convertUnary<AcoshOp>},
      {"Atanh", 9, convertUnary<AtanhOp>},
      {"HardSwish", 14, convertUnary<HardSwishOp>},
      {"Neg", 6, convertUnary<NegOp>},
      {"Abs", 6, convertUnary<AbsOp>},
      {"Not", 1, convertUnary<NotOp>},
      {"LeakyRelu", 6, convertLeakyRelu},
      {"Elu", 6, convertElu},
      {"HardSigmoid", 6, convertHardSigmoid},
      {"Gelu", 20, convertGelu},
      {"Clip", 6, convertClipV6},
      {"Clip", 11, convertClipV11},
      {"Cast", 6, convertCast},
      {"Add", 7, convertBinary<AddOp>},
      {"Sub", 7, convertBinary<SubOp>},
      {"Mul", 7, convertBinary<MulOp>},
      {"Div", 7, convertBinary<DivOp>},
      {"Pow", 7, convertBinary<PowOp>},
      {"PRelu", 7, convertBinary<PReluOp>},
      {"Equal", 7, convertBinary<EqualOp>},
      {"Less", 7, convertBinary<LessOp>},
      {"LessOrEqual", 12, convertBinary<LessEqualOp>},
      {"Greater", 7, convertBinary<GreaterOp>},
      {"GreaterOrEqual", 12, convertBinary<GreaterEqualOp>},
      {"And", 7, convertBinary<AndOp>},
      {"Or", 7, convertBinary<OrOp>},
      {"Xor", 7, convertBinary<XorOp>},
      {"Sum", 6, convertVariadic<AddOp>},
      {"Max", 6, convertVariadic<MaxOp>},
      {"Min", 6, convertVariadic<MinOp>},
      {"Mean", 6, convertMean},
      {"Where", 9, convertWhere},
      {"Identity", 1, convertIdentity},
      {"Dropout", 7, convertDropout},
  });
}

} // namespace mlir::paso::onnx_import
