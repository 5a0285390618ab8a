//===- WeightedProduct.h - products with constant f32 weights ---*- C++ -*-===//
//
// The layers the post-training quantiser and cross-layer equalisation work
// on: NCHW convolutions, matmuls and gemms (A not transposed, alpha 1)
// whose operands are static f32 tensors and whose weights are a constant.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_TRANSFORMS_WEIGHTEDPRODUCT_H
#define PASO_DIALECT_PASO_TRANSFORMS_WEIGHTEDPRODUCT_H

#include "mlir/IR/Operation.h"

#include <optional>

namespace mlir::paso {

struct WeightedProduct {
  /// The data operand and the weight operand.
  Value input, weights;
  /// The weights' axes of the output channels and of the contraction.
  int64_t outAxis = 0, inAxis = 1;
  /// Convolutions: their group; 1 for matrix products.
  int64_t group = 1;
  /// Matmul or gemm (channels last in the result), not a convolution.
  bool matrix = false;
};

/// `op` as a product with constant f32 weights, or nullopt.
std::optional<WeightedProduct> matchWeightedProduct(Operation *op);

} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_TRANSFORMS_WEIGHTEDPRODUCT_H
