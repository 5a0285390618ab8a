//===- LinalgBuilders.cpp - shared builders for paso lowering -------------===//

#include "LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

#include <cmath>
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;

namespace mlir::paso::lowering {

Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(),
                                 type.getElementType());
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value scalar) {
  Value empty = emptyTensor(b, loc, type);
  return linalg::FillOp::create(b, loc, ValueRange{scalar}, ValueRange{empty})
      .getResult(0);
}

Value scalarConstant(OpBuilder &b, Location loc, Type elementType,
                     double value) {
  if (auto floatType = dyn_cast<FloatType>(elementType))
    return arith::ConstantOp::create(b, loc,
                                     b.getFloatAttr(floatType, value));
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(elementType, static_cast<int64_t>(value)));
}

Value lowestValue(OpBuilder &b, Location loc, Type elementType) {
  if (auto floatType = dyn_cast<FloatType>(elementType))
    return arith::ConstantOp::create(
        b, loc,
        b.getFloatAttr(floatType, APFloat::getInf(floatType.getFloatSemantics(),
                                                  /*Negative=*/true)));
  unsigned width = elementType.getIntOrFloatBitWidth();
  return arith::ConstantOp::create(
      b, loc, b.getIntegerAttr(elementType, APInt::getSignedMinValue(width)));
}

AffineMap broadcastMap(MLIRContext *context, RankedTensorType operandType,
                       ArrayRef<int64_t> outShape) {
  SmallVector<AffineExpr> exprs;
  int64_t rank = operandType.getRank();
  int64_t outRank = outShape.size();
  for (int64_t d = 0; d < rank; ++d) {
    int64_t outDim = outRank - rank + d;
    // Only a real broadcast reads index 0; matching unit dims keep the
    // identity so elementwise ops stay fusable.
    bool broadcasts = operandType.getDimSize(d) == 1 && outShape[outDim] != 1;
    exprs.push_back(broadcasts ? getAffineConstantExpr(0, context)
                               : getAffineDimExpr(outDim, context));
  }
  return AffineMap::get(outRank, 0, exprs, context);
}

Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body) {
  MLIRContext *context = b.getContext();
  int64_t rank = resultType.getRank();
  SmallVector<AffineMap> maps;
  for (Value input : inputs)
    maps.push_back(
        broadcastMap(context, cast<RankedTensorType>(input.getType()),
                     resultType.getShape()));
  maps.push_back(AffineMap::getMultiDimIdentityMap(rank, context));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, inputs,
             ValueRange{emptyTensor(b, loc, resultType)}, maps, iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               Value result =
                   body(nested, nestedLoc, args.drop_back());
               linalg::YieldOp::create(nested, nestedLoc, result);
             })
      .getResult(0);
}

AffineMap reducedMap(MLIRContext *context, int64_t fullRank,
                     ArrayRef<int64_t> dims) {
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < fullRank; ++d)
    if (!llvm::is_contained(dims, d))
      exprs.push_back(getAffineDimExpr(d, context));
  return AffineMap::get(fullRank, 0, exprs, context);
}

Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims,
             Value init,
             function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  MLIRContext *context = b.getContext();
  auto inputType = cast<RankedTensorType>(input.getType());
  int64_t rank = inputType.getRank();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d)
    if (!llvm::is_contained(dims, d))
      shape.push_back(inputType.getDimSize(d));
  auto resultType = RankedTensorType::get(shape, inputType.getElementType());
  SmallVector<utils::IteratorType> iterators;
  for (int64_t d = 0; d < rank; ++d)
    iterators.push_back(llvm::is_contained(dims, d)
                            ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
  SmallVector<AffineMap> maps{AffineMap::getMultiDimIdentityMap(rank, context),
                              reducedMap(context, rank, dims)};
  return linalg::GenericOp::create(
             b, loc, TypeRange{resultType}, ValueRange{input},
             ValueRange{filledTensor(b, loc, resultType, init)}, maps,
             iterators,
             [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
               linalg::YieldOp::create(
                   nested, nestedLoc,
                   combine(nested, nestedLoc, args[1], args[0]));
             })
      .getResult(0);
}

Value reshape(OpBuilder &b, Location loc, Value input,
              ArrayRef<int64_t> shape) {
  auto inputType = cast<RankedTensorType>(input.getType());
  if (inputType.getShape() == shape)
    return input;
  Type element = inputType.getElementType();
  // Collapse everything to 1-D (or rank 0 for a single element), then expand.
  Value flat = input;
  int64_t count = inputType.getNumElements();
  if (inputType.getRank() != 1) {
    SmallVector<ReassociationIndices> all;
    if (inputType.getRank() > 0)
      all.push_back(llvm::to_vector(llvm::seq<int64_t>(0, inputType.getRank())));
    auto flatType = RankedTensorType::get(
        inputType.getRank() > 0 ? SmallVector<int64_t>{count}
                                : SmallVector<int64_t>{},
        element);
    if (inputType.getRank() == 0)
      flatType = RankedTensorType::get({1}, element);
    flat = inputType.getRank() == 0
               ? tensor::ExpandShapeOp::create(
                     b, loc, flatType, input,
                     SmallVector<ReassociationIndices>{})
                     .getResult()
               : tensor::CollapseShapeOp::create(b, loc, flatType, input, all)
                     .getResult();
  }
  auto resultType = RankedTensorType::get(shape, element);
  if (shape.size() == 1)
    return flat;
  if (shape.empty())
    return tensor::CollapseShapeOp::create(b, loc, resultType, flat,
                                           SmallVector<ReassociationIndices>{})
        .getResult();
  SmallVector<ReassociationIndices> all{
      llvm::to_vector(llvm::seq<int64_t>(0, shape.size()))};
  return tensor::ExpandShapeOp::create(b, loc, resultType, flat, all)
      .getResult();
}

Value add(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::AddFOp::create(b, loc, x, y);
  return arith::AddIOp::create(b, loc, x, y);
}

Value sub(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::SubFOp::create(b, loc, x, y);
  return arith::SubIOp::create(b, loc, x, y);
}

Value mul(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MulFOp::create(b, loc, x, y);
  return arith::MulIOp::create(b, loc, x, y);
}

Value max(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MaximumFOp::create(b, loc, x, y);
  return arith::MaxSIOp::create(b, loc, x, y);
}

Value min(OpBuilder &b, Location loc, Value x, Value y) {
  if (isa<FloatType>(x.getType()))
    return arith::MinimumFOp::create(b, loc, x, y);
  return arith::MinSIOp::create(b, loc, x, y);
}

/// f32 erf as the runtime kernels compute it (vector_math.inc):
/// Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7) with e^x
/// by range reduction and a degree-6 polynomial. A libm erff call would
/// keep the loop scalar; this one vectorises, as GELU does in its kernel.
Value erfApproximation(OpBuilder &b, Location loc, Value x) {
  auto c = [&](double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v)).getResult();
  };
  auto mul = [&](Value p, Value q) {
    return arith::MulFOp::create(b, loc, p, q).getResult();
  };
  auto add = [&](Value p, Value q) {
    return arith::AddFOp::create(b, loc, p, q).getResult();
  };
  Value a = math::AbsFOp::create(b, loc, x);
  Value t = arith::DivFOp::create(b, loc, c(1.0),
                                  add(c(1.0), mul(c(0.3275911), a)));
  Value p = c(1.061405429);
  for (double coefficient :
       {-1.453152027, 1.421413741, -0.284496736, 0.254829592})
    p = add(mul(p, t), c(coefficient));
  // e^(-a^2), a^2 clamped where e^x is still a normal float.
  Value e = arith::MaxNumFOp::create(
      b, loc, arith::NegFOp::create(b, loc, mul(a, a)), c(-87.33));
  Value n = math::FloorOp::create(b, loc,
                                  add(mul(e, c(1.44269504088896341)), c(0.5)));
  Value r = arith::SubFOp::create(
      b, loc, arith::SubFOp::create(b, loc, e, mul(n, c(0.693145751953125))),
      mul(n, c(1.42860682030941723e-6)));
  Value q = c(1.0 / 720);
  for (double coefficient : {1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1.0, 1.0})
    q = add(mul(q, r), c(coefficient));
  Type i32 = b.getI32Type();
  Value exponent = arith::ShLIOp::create(
      b, loc,
      arith::AddIOp::create(b, loc, arith::FPToSIOp::create(b, loc, i32, n),
                            arith::ConstantOp::create(
                                b, loc, b.getI32IntegerAttr(127))),
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(23)));
  Value power = mul(q, arith::BitcastOp::create(b, loc, b.getF32Type(),
                                                exponent));
  Value y = arith::SubFOp::create(b, loc, c(1.0), mul(mul(p, t), power));
  return math::CopySignOp::create(b, loc, y, x);
}

Value applyActivation(OpBuilder &b, Location loc, StringRef name,
                      ArrayRef<double> params, Value x) {
  auto c = [&](double v) { return scalarConstant(b, loc, x.getType(), v); };
  auto sigmoid = [&](Value v) -> Value {
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, v));
    return arith::DivFOp::create(b, loc, c(1), arith::AddFOp::create(b, loc, c(1), e));
  };
  auto clamp = [&](Value v, double lo, double hi) -> Value {
    return arith::MinimumFOp::create(
        b, loc, arith::MaximumFOp::create(b, loc, v, c(lo)), c(hi));
  };
  if (name == "relu")
    return arith::MaximumFOp::create(b, loc, x, c(0));
  if (name == "clip")
    return clamp(x, params[0], params[1]);
  if (name == "leaky_relu") {
    Value negative =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, x, c(0));
    return arith::SelectOp::create(
        b, loc, negative, arith::MulFOp::create(b, loc, x, c(params[0])), x);
  }
  if (name == "sigmoid")
    return sigmoid(x);
  if (name == "silu")
    return arith::MulFOp::create(b, loc, x, sigmoid(x));
  if (name == "hard_sigmoid")
    return clamp(arith::AddFOp::create(
                     b, loc, arith::MulFOp::create(b, loc, x, c(params[0])),
                     c(params[1])),
                 0, 1);
  if (name == "hard_swish")
    return arith::MulFOp::create(
        b, loc, x,
        clamp(arith::AddFOp::create(
                  b, loc, arith::MulFOp::create(b, loc, x, c(1.0 / 6)), c(0.5)),
              0, 1));
  if (name == "tanh")
    return math::TanhOp::create(b, loc, x);
  if (name == "gelu" || name == "gelu_tanh") {
    Value inner;
    if (name == "gelu_tanh") {
      // tanh(sqrt(2/pi) * (x + 0.044715 x^3))
      Value cube = arith::MulFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, x, x));
      Value poly = arith::AddFOp::create(
          b, loc, x, arith::MulFOp::create(b, loc, cube, c(0.044715)));
      inner = math::TanhOp::create(
          b, loc, arith::MulFOp::create(b, loc, poly, c(std::sqrt(2.0 / M_PI))));
    } else {
      Value scaled = arith::MulFOp::create(b, loc, x, c(M_SQRT1_2));
      inner = x.getType().isF32() ? erfApproximation(b, loc, scaled)
                                  : math::ErfOp::create(b, loc, scaled);
    }
    return arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, c(0.5)),
                                 arith::AddFOp::create(b, loc, c(1), inner));
  }
  return x; // "none"
}

Value indexToFloat(OpBuilder &b, Location loc, Value index, Type type) {
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
  return arith::SIToFPOp::create(b, loc, type, asInt);
}

Value indexConstant(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// A generic over `type` whose body computes each element from the output
/// indices (`linalg.index`), typically with tensor.extract.
Value indexedGeneric(
    OpBuilder &b, Location loc, RankedTensorType type,
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> body) {
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps{
      AffineMap::getMultiDimIdentityMap(rank, b.getContext())};
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{},
             ValueRange{emptyTensor(b, loc, type)}, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange) {
               SmallVector<Value> indices;
               for (int64_t d = 0; d < rank; ++d)
                 indices.push_back(linalg::IndexOp::create(nb, l, d));
               linalg::YieldOp::create(nb, l, body(nb, l, indices));
             })
      .getResult(0);
}

} // namespace mlir::paso::lowering
