//===- RangeEstimation.h - activation ranges from samples -------*- C++ -*-===//
//
// One observer per calibrated tensor: the first pass over the samples
// records the range; for the methods that need one, a second pass fills a
// 2048-bin histogram over it. The range the int8 grid then covers:
//   minmax      the observed range;
//   percentile  the range without the 0.01% most extreme values (each
//               tail), robust to a few outliers;
//   entropy     the clipped range whose 255-level quantised histogram is
//               closest in KL divergence to the observed one (TensorRT's);
//   mse         the clipped range that minimises the expected squared
//               error, rounding and clipping together.
// Entropy and mse search ranges that shrink both ends of the grid's range
// (which includes 0) towards 0 by one factor, from 1 down to 0.2.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_RANGEESTIMATION_H
#define PASO_LIB_QUANTIZATION_RANGEESTIMATION_H

#include "paso/Quantization/PostTrainingQuantization.h"

#include <cstdint>
#include <limits>
#include <vector>

namespace mlir::paso {

/// Asymmetric per-tensor int8: real = scale x (q - zeroPoint), q in
/// [-128, 127].
struct ActivationParams {
  double scale = 1;
  int64_t zeroPoint = 0;
};

class RangeObserver {
public:
  static constexpr int kBins = 2048;
  /// First pass.
  void observeRange(const float *values, size_t count);
  /// Second pass (after every observeRange).
  void observeHistogram(const float *values, size_t count);
  bool needsHistogram(CalibrationMethod method) const {
    return method != CalibrationMethod::MinMax;
  }
  /// The range `method` chooses, [lo, hi] with lo <= 0 <= hi.
  std::pair<double, double> chooseRange(CalibrationMethod method) const;

  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

private:
  std::vector<double> histogram;
};

/// The int8 grid that covers [lo, hi] (widened to include 0, so that zero
/// padding is exact).
ActivationParams activationParams(double lo, double hi);

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_RANGEESTIMATION_H
