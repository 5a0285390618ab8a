//===- MathToLinalg.cpp - elementwise paso ops to linalg.generic ----------===//
//
// Every elementwise paso op becomes one `linalg.generic` whose indexing maps
// express the broadcasting; only the scalar body differs per op, so each op
// contributes one `scalarBody` overload.
//
//===----------------------------------------------------------------------===//

#include "LinalgBuilders.h"
#include "PatternsInternal.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

#include <cmath>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::lowering;

namespace {

Value constantLike(OpBuilder &b, Location loc, Value like, double value) {
  return scalarConstant(b, loc, like.getType(), value);
}

bool isFloat(Value v) { return isa<FloatType>(v.getType()); }

//===--- Scalar bodies -----------------------------------------------------===//
// Each takes the op (for attributes), the builder and the input scalars.

Value scalarBody(ReluOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return applyActivation(b, loc, "relu", {}, x[0]);
}
Value scalarBody(SigmoidOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return applyActivation(b, loc, "sigmoid", {}, x[0]);
}
Value scalarBody(TanhOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::TanhOp::create(b, loc, x[0]);
}
Value scalarBody(ExpOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::ExpOp::create(b, loc, x[0]);
}
Value scalarBody(LogOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::LogOp::create(b, loc, x[0]);
}
Value scalarBody(SqrtOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::SqrtOp::create(b, loc, x[0]);
}
Value scalarBody(ErfOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (x[0].getType().isF32())
    return erfApproximation(b, loc, x[0]);
  return math::ErfOp::create(b, loc, x[0]);
}
Value scalarBody(ReciprocalOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return arith::DivFOp::create(b, loc, constantLike(b, loc, x[0], 1), x[0]);
}
Value scalarBody(FloorOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::FloorOp::create(b, loc, x[0]);
}
Value scalarBody(CeilOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::CeilOp::create(b, loc, x[0]);
}
Value scalarBody(RoundOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::RoundEvenOp::create(b, loc, x[0]);
}
Value scalarBody(SinOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::SinOp::create(b, loc, x[0]);
}
Value scalarBody(CosOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return math::CosOp::create(b, loc, x[0]);
}
// The trigonometric and hyperbolic functions outside LLVM's intrinsics
// become libm calls (convert-math-to-libm); the model needs only libm.
#define PASO_MATH_BODY(OP, MATH_OP)                                            \
  Value scalarBody(OP, OpBuilder &b, Location loc, ValueRange x,               \
                   bool isUnsigned) {                                          \
    return math::MATH_OP::create(b, loc, x[0]);                                \
  }
PASO_MATH_BODY(TanOp, TanOp)
PASO_MATH_BODY(AsinOp, AsinOp)
PASO_MATH_BODY(AcosOp, AcosOp)
PASO_MATH_BODY(AtanOp, AtanOp)
PASO_MATH_BODY(SinhOp, SinhOp)
PASO_MATH_BODY(CoshOp, CoshOp)
PASO_MATH_BODY(AsinhOp, AsinhOp)
PASO_MATH_BODY(AcoshOp, AcoshOp)
PASO_MATH_BODY(AtanhOp, AtanhOp)
#undef PASO_MATH_BODY
Value scalarBody(SoftplusOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  // log(1 + exp(x)) computed as max(x, 0) + log1p(exp(-|x|)) to avoid
  // overflow for large x.
  Value zero = constantLike(b, loc, x[0], 0);
  Value absX = math::AbsFOp::create(b, loc, x[0]);
  Value tail = math::Log1pOp::create(
      b, loc, math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absX)));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x[0], zero), tail);
}
Value scalarBody(HardSwishOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return applyActivation(b, loc, "hard_swish", {}, x[0]);
}
Value scalarBody(NegOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (isFloat(x[0]))
    return arith::NegFOp::create(b, loc, x[0]);
  return arith::SubIOp::create(b, loc, constantLike(b, loc, x[0], 0), x[0]);
}
Value scalarBody(AbsOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (isUnsigned)
    return x[0];
  if (isFloat(x[0]))
    return math::AbsFOp::create(b, loc, x[0]);
  return math::AbsIOp::create(b, loc, x[0]);
}
Value scalarBody(NotOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return arith::XOrIOp::create(b, loc, x[0], constantLike(b, loc, x[0], 1));
}
Value scalarBody(LeakyReluOp op, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return applyActivation(b, loc, "leaky_relu",
                         {op.getAlpha().convertToDouble()}, x[0]);
}
Value scalarBody(EluOp op, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  Value zero = constantLike(b, loc, x[0], 0);
  Value alpha = constantLike(b, loc, x[0], op.getAlpha().convertToDouble());
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                         x[0], zero);
  Value expm1 = math::ExpM1Op::create(b, loc, x[0]);
  return arith::SelectOp::create(b, loc, negative,
                                 arith::MulFOp::create(b, loc, alpha, expm1),
                                 x[0]);
}
Value scalarBody(HardSigmoidOp op, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return applyActivation(
      b, loc, "hard_sigmoid",
      {op.getAlpha().convertToDouble(), op.getBeta().convertToDouble()}, x[0]);
}
Value scalarBody(GeluOp op, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return applyActivation(b, loc,
                         op.getTanhApproximation() ? "gelu_tanh" : "gelu", {},
                         x[0]);
}
Value scalarBody(ClipOp op, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  Value result = x[0];
  auto clampBelow = [&](Value v, Value bound) -> Value {
    return isUnsigned ? arith::MaxUIOp::create(b, loc, v, bound).getResult()
                      : max(b, loc, v, bound);
  };
  auto clampAbove = [&](Value v, Value bound) -> Value {
    return isUnsigned ? arith::MinUIOp::create(b, loc, v, bound).getResult()
                      : min(b, loc, v, bound);
  };
  if (op.getMin())
    result = clampBelow(
        result, constantLike(b, loc, x[0], op.getMin()->convertToDouble()));
  if (op.getMax())
    result = clampAbove(
        result, constantLike(b, loc, x[0], op.getMax()->convertToDouble()));
  return result;
}

Value scalarBody(CastOp op, OpBuilder &b, Location loc, ValueRange x, bool) {
  // Signedness comes from the op's types; the body sees signless integers.
  bool fromUnsigned =
      getElementTypeOrSelf(op.getInput().getType()).isUnsignedInteger();
  bool toUnsigned = op.getTo().isUnsignedInteger();
  Type from = x[0].getType(), to = op.getTo();
  if (toUnsigned)
    to = IntegerType::get(b.getContext(), to.getIntOrFloatBitWidth());
  if (from == to)
    return x[0];
  unsigned fromBits = from.getIntOrFloatBitWidth();
  unsigned toBits = to.getIntOrFloatBitWidth();
  if (to.isInteger(1)) {
    Value zero = constantLike(b, loc, x[0], 0);
    if (isFloat(x[0]))
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, x[0],
                                   zero);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, x[0], zero);
  }
  if (isa<FloatType>(from) && isa<FloatType>(to))
    return toBits > fromBits
               ? arith::ExtFOp::create(b, loc, to, x[0]).getResult()
               : arith::TruncFOp::create(b, loc, to, x[0]).getResult();
  if (isa<FloatType>(from))
    return toUnsigned ? arith::FPToUIOp::create(b, loc, to, x[0]).getResult()
                      : arith::FPToSIOp::create(b, loc, to, x[0]).getResult();
  bool zeroExtends = from.isInteger(1) || fromUnsigned;
  if (isa<FloatType>(to))
    return zeroExtends
               ? arith::UIToFPOp::create(b, loc, to, x[0]).getResult()
               : arith::SIToFPOp::create(b, loc, to, x[0]).getResult();
  if (toBits > fromBits)
    return zeroExtends ? arith::ExtUIOp::create(b, loc, to, x[0]).getResult()
                       : arith::ExtSIOp::create(b, loc, to, x[0]).getResult();
  if (toBits == fromBits)
    return x[0];
  return arith::TruncIOp::create(b, loc, to, x[0]);
}

Value scalarBody(AddOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return add(b, loc, x[0], x[1]);
}
Value scalarBody(SubOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return sub(b, loc, x[0], x[1]);
}
Value scalarBody(MulOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return mul(b, loc, x[0], x[1]);
}
Value scalarBody(DivOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (isFloat(x[0]))
    return arith::DivFOp::create(b, loc, x[0], x[1]);
  if (isUnsigned)
    return arith::DivUIOp::create(b, loc, x[0], x[1]);
  return arith::DivSIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(PowOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (!isFloat(x[0]) && !isFloat(x[1]))
    return math::IPowIOp::create(b, loc, x[0], x[1]);
  if (!isFloat(x[0])) {
    // Integer base, float exponent: ONNX computes in floating point and
    // converts back (truncating).
    Type floatType = x[1].getType();
    Value base = arith::SIToFPOp::create(b, loc, floatType, x[0]);
    Value power = math::PowFOp::create(b, loc, base, x[1]);
    return arith::FPToSIOp::create(b, loc, x[0].getType(), power);
  }
  Value exponent = x[1];
  if (exponent.getType() != x[0].getType()) {
    exponent = isFloat(exponent)
                   ? (exponent.getType().getIntOrFloatBitWidth() <
                              x[0].getType().getIntOrFloatBitWidth()
                          ? arith::ExtFOp::create(b, loc, x[0].getType(),
                                                  exponent)
                                .getResult()
                          : arith::TruncFOp::create(b, loc, x[0].getType(),
                                                    exponent)
                                .getResult())
                   : arith::SIToFPOp::create(b, loc, x[0].getType(), exponent)
                         .getResult();
  }
  return math::PowFOp::create(b, loc, x[0], exponent);
}
Value scalarBody(MaxOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (isUnsigned)
    return arith::MaxUIOp::create(b, loc, x[0], x[1]);
  return max(b, loc, x[0], x[1]);
}
Value scalarBody(MinOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  if (isUnsigned)
    return arith::MinUIOp::create(b, loc, x[0], x[1]);
  return min(b, loc, x[0], x[1]);
}
Value scalarBody(PReluOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  Value zero = constantLike(b, loc, x[0], 0);
  Value negative =
      isFloat(x[0])
          ? arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x[0], zero)
                .getResult()
          : arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x[0],
                                  zero)
                .getResult();
  return arith::SelectOp::create(b, loc, negative, mul(b, loc, x[0], x[1]),
                                 x[0]);
}

/// The remainder of truncated division (C's fmod and `%`).
Value truncatedRemainder(OpBuilder &b, Location loc, ValueRange x,
                         bool isUnsigned) {
  if (isFloat(x[0]))
    return arith::RemFOp::create(b, loc, x[0], x[1]);
  if (isUnsigned)
    return arith::RemUIOp::create(b, loc, x[0], x[1]);
  return arith::RemSIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(FModOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return truncatedRemainder(b, loc, x, isUnsigned);
}
/// numpy's mod: the truncated remainder moved by one divisor when its sign
/// differs from the divisor's.
Value scalarBody(ModOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  Value r = truncatedRemainder(b, loc, x, isUnsigned);
  if (isUnsigned)
    return r;
  Value zero = constantLike(b, loc, x[0], 0);
  Value nonZero, rNegative, yNegative;
  if (isFloat(x[0])) {
    nonZero = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE, r, zero);
    rNegative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, r, zero);
    yNegative =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x[1], zero);
  } else {
    nonZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, r, zero);
    rNegative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, r, zero);
    yNegative =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, x[1], zero);
  }
  Value adjust = arith::AndIOp::create(
      b, loc, nonZero, arith::XOrIOp::create(b, loc, rNegative, yNegative));
  return arith::SelectOp::create(b, loc, adjust, add(b, loc, r, x[1]), r);
}
/// Shifts by the bit width or more give 0, as numpy's do, where LLVM's
/// would be poison.
Value shift(OpBuilder &b, Location loc, ValueRange x, bool left) {
  unsigned width = x[0].getType().getIntOrFloatBitWidth();
  Value tooFar = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                       x[1], constantLike(b, loc, x[1], width));
  Value shifted = left ? arith::ShLIOp::create(b, loc, x[0], x[1]).getResult()
                       : arith::ShRUIOp::create(b, loc, x[0], x[1]).getResult();
  return arith::SelectOp::create(b, loc, tooFar, constantLike(b, loc, x[0], 0),
                                 shifted);
}
Value scalarBody(ShiftLeftOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return shift(b, loc, x, /*left=*/true);
}
Value scalarBody(ShiftRightOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return shift(b, loc, x, /*left=*/false);
}

/// Comparisons: ordered float predicates (NaN compares false, as in ONNX)
/// and signed or unsigned integer predicates.
Value compare(OpBuilder &b, Location loc, ValueRange x,
              arith::CmpFPredicate fp, arith::CmpIPredicate ip) {
  if (isFloat(x[0]))
    return arith::CmpFOp::create(b, loc, fp, x[0], x[1]);
  return arith::CmpIOp::create(b, loc, ip, x[0], x[1]);
}
Value scalarBody(EqualOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return compare(b, loc, x, arith::CmpFPredicate::OEQ,
                 arith::CmpIPredicate::eq);
}
Value scalarBody(LessOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return compare(b, loc, x, arith::CmpFPredicate::OLT,
                 isUnsigned ? arith::CmpIPredicate::ult : arith::CmpIPredicate::slt);
}
Value scalarBody(LessEqualOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return compare(b, loc, x, arith::CmpFPredicate::OLE,
                 isUnsigned ? arith::CmpIPredicate::ule : arith::CmpIPredicate::sle);
}
Value scalarBody(GreaterOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return compare(b, loc, x, arith::CmpFPredicate::OGT,
                 isUnsigned ? arith::CmpIPredicate::ugt : arith::CmpIPredicate::sgt);
}
Value scalarBody(GreaterEqualOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return compare(b, loc, x, arith::CmpFPredicate::OGE,
                 isUnsigned ? arith::CmpIPredicate::uge : arith::CmpIPredicate::sge);
}
Value scalarBody(AndOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return arith::AndIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(OrOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return arith::OrIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(XorOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return arith::XOrIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(WhereOp, OpBuilder &b, Location loc, ValueRange x, bool isUnsigned) {
  return arith::SelectOp::create(b, loc, x[0], x[1], x[2]);
}

/// An unsigned integer type made signless; other types unchanged.
Type toSignless(Type type) {
  if (!type.isUnsignedInteger())
    return type;
  return IntegerType::get(type.getContext(), type.getIntOrFloatBitWidth());
}

/// `value` reinterpreted as `type` when only the integer signedness differs.
Value castScalar(OpBuilder &b, Location loc, Value value, Type type) {
  if (value.getType() == type)
    return value;
  return UnrealizedConversionCastOp::create(b, loc, type, value).getResult(0);
}

/// Lowers any elementwise op through its scalarBody overload.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    // arith works on signless integers: in the body, unsigned scalars are
    // cast to signless (a no-op once lowered to LLVM, which has no signs)
    // and the ops pick unsigned semantics.
    Location loc = op.getLoc();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    bool isUnsigned = llvm::any_of(
        op->getOperandTypes(),
        [](Type t) { return getElementTypeOrSelf(t).isUnsignedInteger(); });
    Type resultElement = resultType.getElementType();
    Value result = elementwise(
        rewriter, loc, resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location l, ValueRange args) {
          SmallVector<Value> scalars;
          for (Value arg : args)
            scalars.push_back(castScalar(b, l, arg, toSignless(arg.getType())));
          Value value = scalarBody(op, b, l, scalars, isUnsigned);
          return castScalar(b, l, value, resultElement);
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::paso::lowering::populateMathLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<
      ElementwiseLowering<ReluOp>, ElementwiseLowering<SigmoidOp>,
      ElementwiseLowering<TanhOp>, ElementwiseLowering<ExpOp>,
      ElementwiseLowering<LogOp>, ElementwiseLowering<SqrtOp>,
      ElementwiseLowering<ErfOp>, ElementwiseLowering<ReciprocalOp>,
      ElementwiseLowering<FloorOp>, ElementwiseLowering<CeilOp>,
      ElementwiseLowering<RoundOp>, ElementwiseLowering<ModOp>,
      ElementwiseLowering<TanOp>, ElementwiseLowering<AsinOp>,
      ElementwiseLowering<AcosOp>, ElementwiseLowering<AtanOp>,
      ElementwiseLowering<SinhOp>, ElementwiseLowering<CoshOp>,
      ElementwiseLowering<AsinhOp>, ElementwiseLowering<AcoshOp>,
      ElementwiseLowering<AtanhOp>,
      ElementwiseLowering<FModOp>, ElementwiseLowering<ShiftLeftOp>,
      ElementwiseLowering<ShiftRightOp>,
      ElementwiseLowering<SinOp>, ElementwiseLowering<CosOp>,
      ElementwiseLowering<SoftplusOp>, ElementwiseLowering<HardSwishOp>,
      ElementwiseLowering<NegOp>, ElementwiseLowering<AbsOp>,
      ElementwiseLowering<NotOp>, ElementwiseLowering<LeakyReluOp>,
      ElementwiseLowering<EluOp>, ElementwiseLowering<HardSigmoidOp>,
      ElementwiseLowering<GeluOp>, ElementwiseLowering<ClipOp>,
      ElementwiseLowering<CastOp>, ElementwiseLowering<AddOp>,
      ElementwiseLowering<SubOp>, ElementwiseLowering<MulOp>,
      ElementwiseLowering<DivOp>, ElementwiseLowering<PowOp>,
      ElementwiseLowering<MaxOp>, ElementwiseLowering<MinOp>,
      ElementwiseLowering<PReluOp>, ElementwiseLowering<EqualOp>,
      ElementwiseLowering<LessOp>, ElementwiseLowering<LessEqualOp>,
      ElementwiseLowering<GreaterOp>, ElementwiseLowering<GreaterEqualOp>,
      ElementwiseLowering<AndOp>, ElementwiseLowering<OrOp>,
      ElementwiseLowering<XorOp>, ElementwiseLowering<WhereOp>>(
      patterns.getContext());
}
