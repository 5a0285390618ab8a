//===- Activations.h - the activations fusion can absorb --------*- C++ -*-===//
//
// Shared by the conv and matmul epilogue fusions. Private to the transforms
// library.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_DIALECT_PASO_TRANSFORMS_ACTIVATIONS_H
#define PASO_LIB_DIALECT_PASO_TRANSFORMS_ACTIVATIONS_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <utility>

namespace mlir::paso {

/// The fused-op activation name (see paso.fused_conv) and parameters of a
/// paso activation op, or nullopt when `op` is none a fused op can absorb.
std::optional<std::pair<StringRef, SmallVector<double>>>
fusableActivation(Operation *op);

} // namespace mlir::paso

#endif // PASO_LIB_DIALECT_PASO_TRANSFORMS_ACTIVATIONS_H
