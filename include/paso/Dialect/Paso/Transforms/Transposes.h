//===- Transposes.h - moving and cancelling paso.transpose ------*- C++ -*-===//
//
// A layout change wraps ops in transposes; these patterns push each
// transpose down through the layout-agnostic ops after it (elementwise ops,
// concatenation, reductions) until it meets its inverse and both fold away.
// Used by `paso-sink-transposes` and by the CPU layout pass.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_TRANSFORMS_TRANSPOSES_H
#define PASO_DIALECT_PASO_TRANSFORMS_TRANSPOSES_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::paso {

/// `value` with its dims permuted (result dim i is dim perm[i]): a new
/// constant when `value` is an f32 constant (weights of any size), else a
/// `paso.transpose`.
Value permuteValue(OpBuilder &b, Location loc, Value value,
                   ArrayRef<int64_t> perm);

/// The permutation undoing `perm`.
SmallVector<int64_t> inversePermutation(ArrayRef<int64_t> perm);

/// Sinking through unary and binary elementwise ops, concat and
/// reductions, and a transpose that only moves unit dims as a reshape.
void populateSinkTransposePatterns(RewritePatternSet &patterns);

} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_TRANSFORMS_TRANSPOSES_H
