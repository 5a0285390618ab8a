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

Value scalarBody(ReluOp, OpBuilder &b, Location loc, ValueRange x) {
  return applyActivation(b, loc, "relu", {}, x[0]);
}
Value scalarBody(SigmoidOp, OpBuilder &b, Location loc, ValueRange x) {
  return applyActivation(b, loc, "sigmoid", {}, x[0]);
}
Value scalarBody(TanhOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::TanhOp::create(b, loc, x[0]);
}
Value scalarBody(ExpOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::ExpOp::create(b, loc, x[0]);
}
Value scalarBody(LogOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::LogOp::create(b, loc, x[0]);
}
Value scalarBody(SqrtOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::SqrtOp::create(b, loc, x[0]);
}
Value scalarBody(ErfOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::ErfOp::create(b, loc, x[0]);
}
Value scalarBody(ReciprocalOp, OpBuilder &b, Location loc, ValueRange x) {
  return arith::DivFOp::create(b, loc, constantLike(b, loc, x[0], 1), x[0]);
}
Value scalarBody(FloorOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::FloorOp::create(b, loc, x[0]);
}
Value scalarBody(CeilOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::CeilOp::create(b, loc, x[0]);
}
Value scalarBody(SinOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::SinOp::create(b, loc, x[0]);
}
Value scalarBody(CosOp, OpBuilder &b, Location loc, ValueRange x) {
  return math::CosOp::create(b, loc, x[0]);
}
Value scalarBody(SoftplusOp, OpBuilder &b, Location loc, ValueRange x) {
  // log(1 + exp(x)) computed as max(x, 0) + log1p(exp(-|x|)) to avoid
  // overflow for large x.
  Value zero = constantLike(b, loc, x[0], 0);
  Value absX = math::AbsFOp::create(b, loc, x[0]);
  Value tail = math::Log1pOp::create(
      b, loc, math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, absX)));
  return arith::AddFOp::create(
      b, loc, arith::MaximumFOp::create(b, loc, x[0], zero), tail);
}
Value scalarBody(HardSwishOp, OpBuilder &b, Location loc, ValueRange x) {
  return applyActivation(b, loc, "hard_swish", {}, x[0]);
}
Value scalarBody(NegOp, OpBuilder &b, Location loc, ValueRange x) {
  if (isFloat(x[0]))
    return arith::NegFOp::create(b, loc, x[0]);
  return arith::SubIOp::create(b, loc, constantLike(b, loc, x[0], 0), x[0]);
}
Value scalarBody(AbsOp, OpBuilder &b, Location loc, ValueRange x) {
  if (isFloat(x[0]))
    return math::AbsFOp::create(b, loc, x[0]);
  return math::AbsIOp::create(b, loc, x[0]);
}
Value scalarBody(NotOp, OpBuilder &b, Location loc, ValueRange x) {
  return arith::XOrIOp::create(b, loc, x[0], constantLike(b, loc, x[0], 1));
}
Value scalarBody(LeakyReluOp op, OpBuilder &b, Location loc, ValueRange x) {
  return applyActivation(b, loc, "leaky_relu",
                         {op.getAlpha().convertToDouble()}, x[0]);
}
Value scalarBody(EluOp op, OpBuilder &b, Location loc, ValueRange x) {
  Value zero = constantLike(b, loc, x[0], 0);
  Value alpha = constantLike(b, loc, x[0], op.getAlpha().convertToDouble());
  Value negative = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                         x[0], zero);
  Value expm1 = math::ExpM1Op::create(b, loc, x[0]);
  return arith::SelectOp::create(b, loc, negative,
                                 arith::MulFOp::create(b, loc, alpha, expm1),
                                 x[0]);
}
Value scalarBody(HardSigmoidOp op, OpBuilder &b, Location loc, ValueRange x) {
  return applyActivation(
      b, loc, "hard_sigmoid",
      {op.getAlpha().convertToDouble(), op.getBeta().convertToDouble()}, x[0]);
}
Value scalarBody(GeluOp op, OpBuilder &b, Location loc, ValueRange x) {
  return applyActivation(b, loc,
                         op.getTanhApproximation() ? "gelu_tanh" : "gelu", {},
                         x[0]);
}
Value scalarBody(ClipOp op, OpBuilder &b, Location loc, ValueRange x) {
  Value result = x[0];
  if (op.getMin())
    result = max(b, loc, result,
                 constantLike(b, loc, x[0], op.getMin()->convertToDouble()));
  if (op.getMax())
    result = min(b, loc, result,
                 constantLike(b, loc, x[0], op.getMax()->convertToDouble()));
  return result;
}

Value scalarBody(CastOp op, OpBuilder &b, Location loc, ValueRange x) {
  Type from = x[0].getType(), to = op.getTo();
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
    return arith::FPToSIOp::create(b, loc, to, x[0]);
  bool fromBool = from.isInteger(1);
  if (isa<FloatType>(to))
    return fromBool ? arith::UIToFPOp::create(b, loc, to, x[0]).getResult()
                    : arith::SIToFPOp::create(b, loc, to, x[0]).getResult();
  if (toBits > fromBits)
    return fromBool ? arith::ExtUIOp::create(b, loc, to, x[0]).getResult()
                    : arith::ExtSIOp::create(b, loc, to, x[0]).getResult();
  return arith::TruncIOp::create(b, loc, to, x[0]);
}

Value scalarBody(AddOp, OpBuilder &b, Location loc, ValueRange x) {
  return add(b, loc, x[0], x[1]);
}
Value scalarBody(SubOp, OpBuilder &b, Location loc, ValueRange x) {
  return sub(b, loc, x[0], x[1]);
}
Value scalarBody(MulOp, OpBuilder &b, Location loc, ValueRange x) {
  return mul(b, loc, x[0], x[1]);
}
Value scalarBody(DivOp, OpBuilder &b, Location loc, ValueRange x) {
  if (isFloat(x[0]))
    return arith::DivFOp::create(b, loc, x[0], x[1]);
  return arith::DivSIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(PowOp, OpBuilder &b, Location loc, ValueRange x) {
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
Value scalarBody(MaxOp, OpBuilder &b, Location loc, ValueRange x) {
  return max(b, loc, x[0], x[1]);
}
Value scalarBody(MinOp, OpBuilder &b, Location loc, ValueRange x) {
  return min(b, loc, x[0], x[1]);
}
Value scalarBody(PReluOp, OpBuilder &b, Location loc, ValueRange x) {
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

/// Comparisons: ordered float predicates (NaN compares false, as in ONNX)
/// and signed integer predicates.
Value compare(OpBuilder &b, Location loc, ValueRange x,
              arith::CmpFPredicate fp, arith::CmpIPredicate ip) {
  if (isFloat(x[0]))
    return arith::CmpFOp::create(b, loc, fp, x[0], x[1]);
  return arith::CmpIOp::create(b, loc, ip, x[0], x[1]);
}
Value scalarBody(EqualOp, OpBuilder &b, Location loc, ValueRange x) {
  return compare(b, loc, x, arith::CmpFPredicate::OEQ,
                 arith::CmpIPredicate::eq);
}
Value scalarBody(LessOp, OpBuilder &b, Location loc, ValueRange x) {
  return compare(b, loc, x, arith::CmpFPredicate::OLT,
                 arith::CmpIPredicate::slt);
}
Value scalarBody(LessEqualOp, OpBuilder &b, Location loc, ValueRange x) {
  return compare(b, loc, x, arith::CmpFPredicate::OLE,
                 arith::CmpIPredicate::sle);
}
Value scalarBody(GreaterOp, OpBuilder &b, Location loc, ValueRange x) {
  return compare(b, loc, x, arith::CmpFPredicate::OGT,
                 arith::CmpIPredicate::sgt);
}
Value scalarBody(GreaterEqualOp, OpBuilder &b, Location loc, ValueRange x) {
  return compare(b, loc, x, arith::CmpFPredicate::OGE,
                 arith::CmpIPredicate::sge);
}
Value scalarBody(AndOp, OpBuilder &b, Location loc, ValueRange x) {
  return arith::AndIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(OrOp, OpBuilder &b, Location loc, ValueRange x) {
  return arith::OrIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(XorOp, OpBuilder &b, Location loc, ValueRange x) {
  return arith::XOrIOp::create(b, loc, x[0], x[1]);
}
Value scalarBody(WhereOp, OpBuilder &b, Location loc, ValueRange x) {
  return arith::SelectOp::create(b, loc, x[0], x[1], x[2]);
}

/// Lowers any elementwise op through its scalarBody overload.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (failed(checkLowerableTypes(op)))
      return failure();
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    Value result = elementwise(
        rewriter, op.getLoc(), resultType, adaptor.getOperands(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          return scalarBody(op, b, loc, args);
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
