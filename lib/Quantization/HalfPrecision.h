//===- HalfPrecision.h - fp16 layers -----------------------------*- C++ -*-===//
//
// Private to lib/Quantization: which layers the fp16 kernel takes, their
// predicted times, and `--quantize=fp16` (HalfPrecision.cpp); mixed
// precision offers fp16 as a third choice with the same pieces.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_HALFPRECISION_H
#define PASO_LIB_QUANTIZATION_HALFPRECISION_H

#include "QuantizationPlan.h"

#include "paso/Quantization/PostTrainingQuantization.h"

namespace mlir::paso {

/// Whether the fp16 kernel takes `layer`: any product with constant
/// weights but a grouped (depthwise included) convolution.
bool takesHalfPrecision(const QuantLayer &layer);

/// The cost model's one-thread seconds of `layer` on `on` in fp32 (as the
/// layout pass costs it, Winograd included) and on the fp16 kernel.
double predictFloatSeconds(const TargetDescription &on,
                           const QuantLayer &layer);
double predictHalfSeconds(const TargetDescription &on,
                          const QuantLayer &layer);

/// Gives the layers `half` selects (and the fp16 kernel takes) half
/// precision: `paso.precision = "f16"` on their ops.
void markHalfLayers(const QuantPlan &plan, const std::vector<bool> &half);

/// An error at `loc` when `target` has no fp16 arithmetic.
LogicalResult refuseHalfWithout(const TargetDescription &target,
                                Location loc);

/// `--quantize=fp16`: every layer the fp16 kernel takes in half precision,
/// each choice recorded in `summary`; an error when `target` has no fp16
/// arithmetic.
LogicalResult markHalfPrecisionLayers(ModuleOp module,
                                      const TargetDescription &target,
                                      QuantizationSummary &summary);

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_HALFPRECISION_H
