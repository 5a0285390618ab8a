//===- ConstantFolding.h - folding helpers for paso ops ---------*- C++ -*-===//
//
// Folds ops whose operands are small `dense` constants. The importer relies
// on this to evaluate the shape arithmetic that exported models compute at
// run time (Shape -> Gather -> Concat -> Reshape); larger tensors, including
// all `dense_resource` weights, are left alone so folding never multiplies
// model size. Private to the dialect library.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_DIALECT_PASO_IR_CONSTANTFOLDING_H
#define PASO_LIB_DIALECT_PASO_IR_CONSTANTFOLDING_H

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"
#include <optional>

namespace mlir::paso::detail {

/// Constants with more elements than this are never folded: the
/// `--paso-max-folded-elements` option (default 16384), which bounds how much
/// folding can grow a model.
int64_t maxFoldedElements();

/// The operand attribute as a foldable dense constant, or null.
DenseElementsAttr foldableConstant(Attribute attr);

/// For every element of `outShape` (row-major), the linear index of the
/// element of `inShape` it reads under numpy broadcasting.
SmallVector<int64_t> broadcastIndexMap(ArrayRef<int64_t> inShape,
                                       ArrayRef<int64_t> outShape);

using IntBinaryFn = function_ref<std::optional<APInt>(const APInt &,
                                                       const APInt &, bool)>;
using FloatBinaryFn =
    function_ref<std::optional<APFloat>(const APFloat &, const APFloat &)>;

/// Broadcasting arithmetic on integer or float constants. The bool passed to
/// `intFn` is true for unsigned element types. Returns null when an operand
/// is not foldable or a callback declines (division by zero).
Attribute foldArithmetic(Attribute lhs, Attribute rhs, Type resultType,
                         IntBinaryFn intFn, FloatBinaryFn floatFn);

/// Broadcasting comparison; `predicate` receives -1, 0 or 1 for less, equal
/// and greater (an unordered float pair yields false without calling it).
Attribute foldComparison(Attribute lhs, Attribute rhs, Type resultType,
                         function_ref<bool(int)> predicate);

/// Broadcasting logic on i1 constants.
Attribute foldLogic(Attribute lhs, Attribute rhs, Type resultType,
                    function_ref<bool(bool, bool)> fn);

/// Broadcasting select.
Attribute foldSelect(Attribute condition, Attribute x, Attribute y,
                     Type resultType);

/// Element type conversion with ONNX Cast semantics.
Attribute foldCast(Attribute input, Type resultType);

/// Gathers `input`'s elements at `sourceIndex(i)` for every result element i;
/// the common core of transpose, slice, concat-free reorderings and gather.
Attribute foldReorder(DenseElementsAttr input, Type resultType,
                      function_ref<int64_t(int64_t)> sourceIndex);

} // namespace mlir::paso::detail

#endif // PASO_LIB_DIALECT_PASO_IR_CONSTANTFOLDING_H
