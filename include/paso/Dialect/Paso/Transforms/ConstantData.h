//===- ConstantData.h - read and make f32 weight constants ------*- C++ -*-===//
//
// Graph passes that rewrite weights (batch-norm folding) read the values of
// `dense` and `dense_resource` constants and create new ones of the same
// kind; the CPU back end reads weights to prepack them.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_TRANSFORMS_CONSTANTDATA_H
#define PASO_DIALECT_PASO_TRANSFORMS_CONSTANTDATA_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include <optional>

namespace mlir::paso {

/// The f32 values of the constant defining `value`, or nullopt when it is
/// not an f32 constant (or a resource whose bytes are unavailable).
std::optional<SmallVector<float>> readF32Constant(Value value);

/// An elements attribute of `type` holding `values`: inline `dense` for
/// small tensors, a `dense_resource` blob named after `name` otherwise.
ElementsAttr makeF32Elements(RankedTensorType type, ArrayRef<float> values,
                             StringRef name);

/// As makeF32Elements for an f16 `type`, each value rounded to the
/// nearest half (ties to even); the fp16 kernel's packed weights.
ElementsAttr makeF16Elements(RankedTensorType type, ArrayRef<float> values,
                             StringRef name);

/// As makeF32Elements for an 8- or 32-bit integer type (ui8 included).
ElementsAttr makeIntElements(RankedTensorType type, ArrayRef<int64_t> values,
                             StringRef name);

} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_TRANSFORMS_CONSTANTDATA_H
