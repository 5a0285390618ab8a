//===- MathOps.cpp - elementwise paso ops ---------------------------------===//
//
// Shape inference, verifiers and folders of the elementwise family.
//
//===----------------------------------------------------------------------===//

#include "ConstantFolding.h"
#include "ShapeUtils.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::detail;

//===----------------------------------------------------------------------===//
// Unary ops
//===----------------------------------------------------------------------===//

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getInput(), adaptor.getInput(), getType(),
      [](const APInt &a, const APInt &, bool) -> std::optional<APInt> {
        return -a;
      },
      [](const APFloat &a, const APFloat &) -> std::optional<APFloat> {
        return -a;
      });
}

OpFoldResult NotOp::fold(FoldAdaptor adaptor) {
  return foldLogic(adaptor.getInput(), adaptor.getInput(), getType(),
                   [](bool a, bool) { return !a; });
}

LogicalResult ClipOp::verify() {
  if (getMin() && getMax() &&
      getMin()->compare(*getMax()) == APFloat::cmpGreaterThan)
    return emitOpError("min ") << getMin()->convertToDouble()
                               << " is greater than max "
                               << getMax()->convertToDouble();
  return success();
}

LogicalResult CastOp::inferReturnTypes(MLIRContext *, std::optional<Location>,
                                       Adaptor adaptor,
                                       SmallVectorImpl<Type> &types) {
  types.push_back(
      rankedType(adaptor.getInput()).clone(adaptor.getTo()));
  return success();
}

OpFoldResult CastOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // cast(cast(round(x)) to i32) back to x's float type is round(x): a
  // whole float converts to i32 and back exactly (beyond the i32 range
  // the first cast is undefined, in ONNX as in LLVM). The importer gives
  // ConvInteger's int32 sums as round(f32 conv), which quantize_dynamic's
  // graphs cast straight back to float: two passes over every output.
  if (auto inner = getInput().getDefiningOp<CastOp>())
    if (inner.getInput().getType() == getType() &&
        inner.getInput().getDefiningOp<RoundOp>() &&
        rankedType(getInput()).getElementType().isInteger(32) &&
        isa<FloatType>(getType().getElementType()))
      return inner.getInput();
  return foldCast(adaptor.getInput(), getType());
}

//===----------------------------------------------------------------------===//
// Binary ops
//===----------------------------------------------------------------------===//

/// Broadcast result type of a binary op; `boolResult` for comparisons.
static LogicalResult inferBinary(std::optional<Location> loc, Value lhs,
                                 Value rhs, bool boolResult, bool sameElements,
                                 SmallVectorImpl<Type> &types) {
  Type lhsElement = rankedType(lhs).getElementType();
  if (sameElements && lhsElement != rankedType(rhs).getElementType())
    return inferError(loc, "operand element types differ");
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(loc, ValueRange{lhs, rhs}, shape)))
    return failure();
  Type element = boolResult ? IntegerType::get(lhs.getContext(), 1) : lhsElement;
  types.push_back(RankedTensorType::get(shape, element));
  return success();
}

#define PASO_BINARY_INFERENCE(OP, BOOL_RESULT, SAME_ELEMENTS)                 \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,             \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    return inferBinary(loc, adaptor.getLhs(), adaptor.getRhs(), BOOL_RESULT,   \
                       SAME_ELEMENTS, types);                                  \
  }

PASO_BINARY_INFERENCE(AddOp, false, true)
PASO_BINARY_INFERENCE(SubOp, false, true)
PASO_BINARY_INFERENCE(MulOp, false, true)
PASO_BINARY_INFERENCE(DivOp, false, true)
// ONNX Pow allows an exponent of another numeric type.
PASO_BINARY_INFERENCE(PowOp, false, false)
PASO_BINARY_INFERENCE(MaxOp, false, true)
PASO_BINARY_INFERENCE(MinOp, false, true)
PASO_BINARY_INFERENCE(PReluOp, false, true)
PASO_BINARY_INFERENCE(ModOp, false, true)
PASO_BINARY_INFERENCE(FModOp, false, true)
PASO_BINARY_INFERENCE(ShiftLeftOp, false, true)
PASO_BINARY_INFERENCE(ShiftRightOp, false, true)
PASO_BINARY_INFERENCE(EqualOp, true, true)
PASO_BINARY_INFERENCE(LessOp, true, true)
PASO_BINARY_INFERENCE(LessEqualOp, true, true)
PASO_BINARY_INFERENCE(GreaterOp, true, true)
PASO_BINARY_INFERENCE(GreaterEqualOp, true, true)
PASO_BINARY_INFERENCE(AndOp, true, true)
PASO_BINARY_INFERENCE(OrOp, true, true)
PASO_BINARY_INFERENCE(XorOp, true, true)
#undef PASO_BINARY_INFERENCE

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a + b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a + b;
      });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a - b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a - b;
      });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b, bool) -> std::optional<APInt> {
        return a * b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a * b;
      });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        return isUnsigned ? a.udiv(b) : a.sdiv(b);
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return a / b;
      });
}

// Integer remainders fold so that shape arithmetic (an attention's heads
// modulo its key heads) is evaluated at import.
OpFoldResult FModOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        return isUnsigned ? a.urem(b) : a.srem(b);
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        APFloat r = a;
        r.mod(b);
        return r;
      });
}

OpFoldResult ModOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        if (b.isZero())
          return std::nullopt;
        if (isUnsigned)
          return a.urem(b);
        APInt r = a.srem(b);
        if (!r.isZero() && r.isNegative() != b.isNegative())
          r += b;
        return r;
      },
      [](const APFloat &, const APFloat &) -> std::optional<APFloat> {
        return std::nullopt;
      });
}

OpFoldResult MaxOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        return (isUnsigned ? a.ugt(b) : a.sgt(b)) ? a : b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return llvm::maximum(a, b);
      });
}

OpFoldResult MinOp::fold(FoldAdaptor adaptor) {
  return foldArithmetic(
      adaptor.getLhs(), adaptor.getRhs(), getType(),
      [](const APInt &a, const APInt &b,
         bool isUnsigned) -> std::optional<APInt> {
        return (isUnsigned ? a.ult(b) : a.slt(b)) ? a : b;
      },
      [](const APFloat &a, const APFloat &b) -> std::optional<APFloat> {
        return llvm::minimum(a, b);
      });
}

OpFoldResult EqualOp::fold(FoldAdaptor adaptor) {
  return foldComparison(adaptor.getLhs(), adaptor.getRhs(), getType(),
                        [](int cmp) { return cmp == 0; });
}
OpFoldResult LessOp::fold(FoldAdaptor adaptor) {
  return foldComparison(adaptor.getLhs(), adaptor.getRhs(), getType(),
                        [](int cmp) { return cmp < 0; });
}
OpFoldResult LessEqualOp::fold(FoldAdaptor adaptor) {
  return foldComparison(adaptor.getLhs(), adaptor.getRhs(), getType(),
                        [](int cmp) { return cmp <= 0; });
}
OpFoldResult GreaterOp::fold(FoldAdaptor adaptor) {
  return foldComparison(adaptor.getLhs(), adaptor.getRhs(), getType(),
                        [](int cmp) { return cmp > 0; });
}
OpFoldResult GreaterEqualOp::fold(FoldAdaptor adaptor) {
  return foldComparison(adaptor.getLhs(), adaptor.getRhs(), getType(),
                        [](int cmp) { return cmp >= 0; });
}
OpFoldResult AndOp::fold(FoldAdaptor adaptor) {
  return foldLogic(adaptor.getLhs(), adaptor.getRhs(), getType(),
                   [](bool a, bool b) { return a && b; });
}
OpFoldResult OrOp::fold(FoldAdaptor adaptor) {
  return foldLogic(adaptor.getLhs(), adaptor.getRhs(), getType(),
                   [](bool a, bool b) { return a || b; });
}
OpFoldResult XorOp::fold(FoldAdaptor adaptor) {
  return foldLogic(adaptor.getLhs(), adaptor.getRhs(), getType(),
                   [](bool a, bool b) { return a != b; });
}

//===----------------------------------------------------------------------===//
// WhereOp
//===----------------------------------------------------------------------===//

LogicalResult WhereOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  Type element = rankedType(adaptor.getX()).getElementType();
  if (element != rankedType(adaptor.getY()).getElementType())
    return inferError(loc, "x and y element types differ");
  SmallVector<int64_t> shape;
  if (failed(broadcastShapes(
          loc, ValueRange{adaptor.getCondition(), adaptor.getX(), adaptor.getY()},
          shape)))
    return failure();
  types.push_back(RankedTensorType::get(shape, element));
  return success();
}

OpFoldResult WhereOp::fold(FoldAdaptor adaptor) {
  return foldSelect(adaptor.getCondition(), adaptor.getX(), adaptor.getY(),
                    getType());
}

#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoMathOps.cpp.inc"
