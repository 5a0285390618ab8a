//===- ActivationConverters.cpp - activations and elementwise tests -------===//
//
// The less common ONNX activations (Selu, Celu, Mish, Softsign,
// ThresholdedRelu, Shrink), elementwise tests (IsNaN, IsInf, Sign) and the
// integer arithmetic of Mod and BitShift. Most are formulas over existing
// paso ops; the elementwise fusion makes each one loop again.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

bool isFloatTensor(Value v) {
  return v && isa<FloatType>(Composer::elementType(v));
}

/// Selu: gamma * elu(x, alpha).
LogicalResult convertSelu(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  Type element = x ? Composer::elementType(x) : Type();
  Value elu = c.op<EluOp>(
      x, {node.f32Attr("alpha", node.getFloat("alpha", 1.67326319217681884765625f))});
  return c.bind(c.op<MulOp>(
      {elu, c.scalar(element, node.getFloat("gamma", 1.05070102214813232421875f))}));
}

/// Celu: max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), which is
/// alpha * elu(x / alpha, 1).
LogicalResult convertCelu(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  float alpha = node.getFloat("alpha", 1.0f);
  if (alpha == 0)
    return node.emitError() << "Celu alpha must not be 0";
  Value alphaValue = c.scalar(Composer::elementType(x), alpha);
  Value elu = c.op<EluOp>(c.op<DivOp>({x, alphaValue}),
                          {node.f32Attr("alpha", 1.0f)});
  return c.bind(c.op<MulOp>({elu, alphaValue}));
}

/// Mish: x * tanh(softplus(x)).
LogicalResult convertMish(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  return c.bind(c.op<MulOp>({x, c.op<TanhOp>(c.op<SoftplusOp>(x))}));
}

/// Swish (opset 24): x * sigmoid(alpha * x).
LogicalResult convertSwish(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  float alpha = node.getFloat("alpha", 1.0f);
  Value scaled =
      alpha == 1.0f
          ? x
          : c.op<MulOp>({x, c.scalar(Composer::elementType(x), alpha)});
  return c.bind(c.op<MulOp>({x, c.op<SigmoidOp>(scaled)}));
}

/// Softsign: x / (1 + |x|).
LogicalResult convertSoftsign(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  Value one = c.scalar(Composer::elementType(x), 1.0);
  return c.bind(c.op<DivOp>({x, c.op<AddOp>({one, c.op<AbsOp>(x)})}));
}

/// ThresholdedRelu: x > alpha ? x : 0.
LogicalResult convertThresholdedRelu(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  Type element = Composer::elementType(x);
  Value above = c.op<GreaterOp>(
      {x, c.scalar(element, node.getFloat("alpha", 1.0f))});
  return c.bind(c.op<WhereOp>({above, x, c.scalar(element, 0)}));
}

/// Shrink: x < -lambd ? x + bias : x > lambd ? x - bias : 0.
LogicalResult convertShrink(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  Type element = Composer::elementType(x);
  float lambd = node.getFloat("lambd", 0.5f), bias = node.getFloat("bias", 0);
  // Integer inputs compare and shift by the attributes cast to their type.
  Value biasValue = c.scalar(element, bias);
  Value low = c.op<LessOp>({x, c.scalar(element, -lambd)});
  Value high = c.op<GreaterOp>({x, c.scalar(element, lambd)});
  Value zero = c.scalar(element, 0);
  Value upper = c.op<WhereOp>({high, c.op<SubOp>({x, biasValue}), zero});
  return c.bind(
      c.op<WhereOp>({low, c.op<AddOp>({x, biasValue}), upper}));
}

/// Sign: (x > 0) - (x < 0), in x's type.
LogicalResult convertSign(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  Type element = Composer::elementType(x);
  Value zero = c.scalar(element, 0);
  Value positive = c.cast(c.op<GreaterOp>({x, zero}), element);
  if (element.isUnsignedInteger())
    return c.bind(positive);
  Value negative = c.cast(c.op<LessOp>({x, zero}), element);
  return c.bind(c.op<SubOp>({positive, negative}));
}

/// IsNaN: x != x (ordered equality is false only for NaN).
LogicalResult convertIsNaN(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  return c.bind(c.op<NotOp>(c.op<EqualOp>({x, x})));
}

LogicalResult convertIsInf(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!isFloatTensor(x))
    return x ? node.emitError() << "IsInf needs a float input" : failure();
  Type element = Composer::elementType(x);
  const double inf = std::numeric_limits<double>::infinity();
  Value positive = c.op<EqualOp>({x, c.scalar(element, inf)});
  Value negative = c.op<EqualOp>({x, c.scalar(element, -inf)});
  bool detectPositive = node.getInt("detect_positive", 1) != 0;
  bool detectNegative = node.getInt("detect_negative", 1) != 0;
  if (detectPositive && detectNegative)
    return c.bind(c.op<OrOp>({positive, negative}));
  if (detectPositive)
    return c.bind(positive);
  if (detectNegative)
    return c.bind(negative);
  return c.bind(c.op<AndOp>({positive, negative})); // all false
}

/// Mod: fmod = 0 is numpy's mod (the divisor's sign), fmod = 1 C's fmod.
LogicalResult convertMod(NodeImporter &node) {
  Composer c(node);
  Value a = c.input(0, "A"), b = c.input(1, "B");
  if (!a || !b)
    return failure();
  int64_t fmod = node.getInt("fmod", 0);
  if (fmod != 0 && fmod != 1)
    return node.emitError() << "Mod fmod must be 0 or 1, got " << fmod;
  if (fmod == 0 && isFloatTensor(a))
    return node.emitError() << "Mod of floats needs fmod = 1";
  return c.bind(fmod ? c.op<FModOp>({a, b}) : c.op<ModOp>({a, b}));
}

LogicalResult convertBitShift(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), y = c.input(1, "Y");
  if (!x || !y)
    return failure();
  if (!Composer::elementType(x).isUnsignedInteger())
    return node.emitError() << "BitShift needs unsigned integer inputs";
  std::string direction = node.getString("direction", "");
  if (direction == "LEFT")
    return c.bind(c.op<ShiftLeftOp>({x, y}));
  if (direction == "RIGHT")
    return c.bind(c.op<ShiftRightOp>({x, y}));
  return node.emitError() << "BitShift direction must be LEFT or RIGHT, got '"
                          << direction << "'";
}

LogicalResult convertRound(NodeImporter &node) {
  Composer c(node);
  return c.bind(c.op<RoundOp>(c.input(0, "X")));
}

} // namespace

void appendActivationConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"Selu", 6, convertSelu},
      {"Celu", 12, convertCelu},
      {"Mish", 18, convertMish},
      {"Swish", 24, convertSwish},
      {"Softsign", 1, convertSoftsign},
      {"ThresholdedRelu", 10, convertThresholdedRelu},
      {"Shrink", 9, convertShrink},
      {"Sign", 9, convertSign},
      {"IsNaN", 9, convertIsNaN},
      {"IsInf", 10, convertIsInf},
      {"Mod", 10, convertMod},
      {"BitShift", 11, convertBitShift},
      {"Round", 11, convertRound},
  });
}

} // namespace mlir::paso::onnx_import
