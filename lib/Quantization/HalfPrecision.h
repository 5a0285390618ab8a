//===- HalfPrecision.h - --quantize=fp16 -------------------------*- C++ -*-===//
//
// Private to lib/Quantization: marks the layers of `@main` the fp16 kernel
// runs (HalfPrecision.cpp).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_HALFPRECISION_H
#define PASO_LIB_QUANTIZATION_HALFPRECISION_H

#include "paso/Quantization/PostTrainingQuantization.h"

namespace mlir::paso {

/// Gives every ungrouped convolution and constant-weight product of
/// `@main` half precision (`paso.precision = "f16"`) and records each
/// layer's choice in `summary`; an error when `target` has no fp16
/// arithmetic.
LogicalResult markHalfPrecisionLayers(ModuleOp module,
                                      const TargetDescription &target,
                                      QuantizationSummary &summary);

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_HALFPRECISION_H
