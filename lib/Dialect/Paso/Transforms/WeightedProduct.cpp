//===- WeightedProduct.cpp - products with constant f32 weights -----------===//

#include "paso/Dialect/Paso/Transforms/WeightedProduct.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"

using namespace mlir;
using namespace mlir::paso;

static bool isStaticF32(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

static int64_t rankOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getRank();
}

std::optional<WeightedProduct>
mlir::paso::matchWeightedProduct(Operation *op) {
  WeightedProduct p;
  if (auto conv = dyn_cast<ConvOp>(op)) {
    p.input = conv.getInput();
    p.weights = conv.getFilter();
    p.group = conv.getGroup();
    if (conv.getChannelsLast() || !isStaticF32(p.input) ||
        rankOf(p.input) != 4 || !isStaticF32(p.weights) ||
        rankOf(p.weights) != 4 || !isStaticF32(conv.getOutput()) ||
        !readF32Constant(p.weights))
      return std::nullopt;
    return p;
  }
  if (auto matmul = dyn_cast<MatMulOp>(op)) {
    p.input = matmul.getLhs();
    p.weights = matmul.getRhs();
    p.outAxis = 1;
  } else if (auto gemm = dyn_cast<GemmOp>(op)) {
    if (gemm.getTransA() || gemm.getAlpha().convertToDouble() != 1.0)
      return std::nullopt;
    p.input = gemm.getA();
    p.weights = gemm.getB();
    p.outAxis = gemm.getTransB() ? 0 : 1;
  } else {
    return std::nullopt;
  }
  p.inAxis = 1 - p.outAxis;
  p.matrix = true;
  if (!isStaticF32(p.input) || !isStaticF32(p.weights) ||
      rankOf(p.weights) != 2 || rankOf(p.input) < 2 ||
      !isStaticF32(op->getResult(0)) || !readF32Constant(p.weights))
    return std::nullopt;
  return p;
}
