//===- PrecisionSearch.h - per-layer precision under a budget ---*- C++ -*-===//
//
// Mixed precision as a 0/1 knapsack: each layer in int8 saves the cost
// model's predicted time (fp32 minus int8) and adds its measured output
// noise (the error power at the model's outputs with that layer alone in
// int8). Noise of independent sources adds, so the layers whose noise sum
// stays under a limit and whose saving is largest are found by dynamic
// programming over the noise, discretised. The caller measures the chosen
// set (simulation on held-back samples) and searches the limit: the
// additive model is an estimate, the budget is checked on the real one.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_PRECISIONSEARCH_H
#define PASO_LIB_QUANTIZATION_PRECISIONSEARCH_H

#include <vector>

namespace mlir::paso {

struct LayerChoice {
  double saving = 0; ///< predicted seconds saved by int8 (may be <= 0)
  double noise = 0;  ///< output error power with the layer alone in int8
};

/// The layers to run in int8: the largest total saving whose summed noise
/// is at most `noiseLimit`. Layers that save nothing stay fp32.
std::vector<bool> chooseInt8Layers(const std::vector<LayerChoice> &layers,
                                   double noiseLimit);

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_PRECISIONSEARCH_H
