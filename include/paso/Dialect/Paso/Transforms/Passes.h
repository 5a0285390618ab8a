//===- Passes.h - graph-level paso passes -----------------------*- C++ -*-===//

#ifndef PASO_DIALECT_PASO_TRANSFORMS_PASSES_H
#define PASO_DIALECT_PASO_TRANSFORMS_PASSES_H

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::paso {

#define GEN_PASS_DECL
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"

/// The rewrites of paso-expand-quantized (qconv/qmatmul in float), for
/// back ends that expand what their integer kernels do not take.
void populateExpandQuantizedPatterns(RewritePatternSet &patterns);

} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_TRANSFORMS_PASSES_H
