//===- LinalgBuilders.h - shared builders for paso lowering -----*- C++ -*-===//
//
// Builders the paso-to-linalg patterns share: empty and filled tensors,
// scalar constants, elementwise generics with numpy broadcasting, reductions
// and static reshapes. Private to the conversion library.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_CONVERSION_PASOTOLINALG_LINALGBUILDERS_H
#define PASO_LIB_CONVERSION_PASOTOLINALG_LINALGBUILDERS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::paso::lowering {

using BodyFn = function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// `tensor.empty` of a static type.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type);

/// An index constant.
Value indexConstant(OpBuilder &b, Location loc, int64_t value);

/// A generic over `type` whose body computes each element from the output
/// indices (`linalg.index`), typically with tensor.extract.
Value indexedGeneric(
    OpBuilder &b, Location loc, RankedTensorType type,
    function_ref<Value(OpBuilder &, Location, ArrayRef<Value>)> body);

/// A tensor of `type` filled with `scalar`.
Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   Value scalar);

/// A scalar constant of an int or float element type.
Value scalarConstant(OpBuilder &b, Location loc, Type elementType,
                     double value);

/// The most negative value of a float type (-inf) or signed int type.
Value lowestValue(OpBuilder &b, Location loc, Type elementType);

/// The map reading an operand of `operandType` at each point of an
/// iteration space of shape `outShape` under numpy broadcasting.
AffineMap broadcastMap(MLIRContext *context, RankedTensorType operandType,
                       ArrayRef<int64_t> outShape);

/// A `linalg.generic` over `resultType` whose inputs broadcast onto it; the
/// body receives one scalar per input and returns the result scalar.
Value elementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                  ValueRange inputs, BodyFn body);

/// Reduces `input` over `dims` (sorted, unique) into a tensor without those
/// dims. `init` is the identity; `combine(acc, x)` is applied per element.
Value reduce(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> dims,
             Value init,
             function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

/// Broadcasts a reduced tensor (the dims in `dims` removed) back onto the
/// iteration space of `fullType`: the map for it inside an elementwise op.
AffineMap reducedMap(MLIRContext *context, int64_t fullRank,
                     ArrayRef<int64_t> dims);

/// Reshapes a statically shaped tensor with collapse/expand (views after
/// bufferisation).
Value reshape(OpBuilder &b, Location loc, Value input,
              ArrayRef<int64_t> shape);

/// Arithmetic that picks the float or integer arith op by element type.
Value add(OpBuilder &b, Location loc, Value x, Value y);
Value sub(OpBuilder &b, Location loc, Value x, Value y);
Value mul(OpBuilder &b, Location loc, Value x, Value y);
Value max(OpBuilder &b, Location loc, Value x, Value y);
Value min(OpBuilder &b, Location loc, Value x, Value y);

/// f32 erf as the runtime kernels compute it (vector_math.inc), in
/// arithmetic that vectorises; libm's erff would keep the loop scalar.
Value erfApproximation(OpBuilder &b, Location loc, Value x);

/// Applies a named activation (the `activation` names of paso.fused_conv)
/// to the float scalar `x`.
Value applyActivation(OpBuilder &b, Location loc, StringRef name,
                      ArrayRef<double> params, Value x);

/// Converts an index value to a scalar of `type` (for division by counts).
Value indexToFloat(OpBuilder &b, Location loc, Value index, Type type);

} // namespace mlir::paso::lowering

#endif // PASO_LIB_CONVERSION_PASOTOLINALG_LINALGBUILDERS_H
