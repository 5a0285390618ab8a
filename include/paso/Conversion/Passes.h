//===- Passes.h - paso conversion passes ------------------------*- C++ -*-===//

#ifndef PASO_CONVERSION_PASSES_H
#define PASO_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::paso {

#define GEN_PASS_DECL
#include "paso/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "paso/Conversion/Passes.h.inc"

/// Adds the paso-to-linalg rewrite patterns to `patterns`.
void populatePasoToLinalgPatterns(RewritePatternSet &patterns);

} // namespace mlir::paso

#endif // PASO_CONVERSION_PASSES_H
