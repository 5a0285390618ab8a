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

/// Cross-layer equalisation (paso-equalize-layers) of `func`'s layer pairs,
/// only those with a matmul or gemm when `perTensorOnly`; returns how many
/// pairs it equalised.
unsigned equalizeLayerPairs(func::FuncOp func, bool perTensorOnly);

} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_TRANSFORMS_PASSES_H
