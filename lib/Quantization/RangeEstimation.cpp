//===- RangeEstimation.cpp - activation ranges from samples ---------------===//

#include "RangeEstimation.h"

#include <algorithm>
#include <cmath>

using namespace mlir::paso;

void RangeObserver::observeRange(const float *values, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    min = std::min<double>(min, values[i]);
    max = std::max<double>(max, values[i]);
  }
}

void RangeObserver::observeHistogram(const float *values, size_t count) {
  if (histogram.empty())
    histogram.assign(kBins, 0);
  double width = (max - min) / kBins;
  if (!(width > 0))
    return;
  for (size_t i = 0; i < count; ++i) {
    int bin = static_cast<int>((values[i] - min) / width);
    histogram[std::clamp(bin, 0, kBins - 1)] += 1;
  }
}

ActivationParams mlir::paso::activationParams(double lo, double hi) {
  lo = std::min(lo, 0.0);
  hi = std::max(hi, 0.0);
  ActivationParams params;
  if (!(hi > lo))
    return params; // an all-zero tensor: any grid is exact
  params.scale = (hi - lo) / 255.0;
  params.zeroPoint = static_cast<int64_t>(
      std::clamp(std::nearbyint(-128.0 - lo / params.scale), -128.0, 127.0));
  return params;
}

namespace {
/// The histogram's bins as (centre, count).
struct Bins {
  const std::vector<double> &counts;
  double min, width;
  double centre(int i) const { return min + (i + 0.5) * width; }
};

/// Expected squared error of quantising the histogram to the grid of
/// [lo, hi]: clipped values to the edge, others to the nearest level.
double squaredError(const Bins &bins, double lo, double hi) {
  ActivationParams p = activationParams(lo, hi);
  double error = 0;
  for (size_t i = 0; i < bins.counts.size(); ++i) {
    if (bins.counts[i] == 0)
      continue;
    double x = bins.centre(i);
    double q = std::clamp(std::nearbyint(x / p.scale) + p.zeroPoint, -128.0,
                          127.0);
    double r = (q - p.zeroPoint) * p.scale - x;
    error += bins.counts[i] * r * r;
  }
  return error;
}

/// KL divergence between the histogram clipped to [lo, hi] (outliers
/// added to the edge bins: the reference P) and its quantised version Q,
/// built from the in-range bins alone (each level's mass spread evenly
/// over the level's non-empty bins), so clipping mass away costs what it
/// loses (TensorRT's entropy calibration, on both ends).
double klDivergence(const Bins &bins, double lo, double hi) {
  int n = bins.counts.size();
  int first = std::clamp(int((lo - bins.min) / bins.width), 0, n - 1);
  int last = std::clamp(int((hi - bins.min) / bins.width), first, n - 1);
  std::vector<double> inRange(bins.counts.begin() + first,
                              bins.counts.begin() + last + 1);
  std::vector<double> p = inRange;
  for (int i = 0; i < first; ++i)
    p.front() += bins.counts[i];
  for (int i = last + 1; i < n; ++i)
    p.back() += bins.counts[i];
  int m = p.size();
  // As TensorRT's search starts at 128 bins: fewer keep too little of the
  // distribution for its shape to say anything (everything clipped into
  // one bin has a KL divergence of zero).
  if (m < 128)
    return std::numeric_limits<double>::infinity();
  int levels = std::min(255, m);
  std::vector<double> q(m, 0);
  for (int level = 0; level < levels; ++level) {
    int begin = level * m / levels, end = (level + 1) * m / levels;
    double mass = 0;
    int nonEmpty = 0;
    for (int i = begin; i < end; ++i) {
      mass += inRange[i];
      nonEmpty += inRange[i] > 0;
    }
    for (int i = begin; i < end; ++i)
      if (inRange[i] > 0)
        q[i] = mass / nonEmpty;
  }
  // A bin Q leaves empty while P has mass there (mass clipped away from
  // its level) counts as a tenth of one sample, so that KL stays finite
  // and clipping everything is the worst choice, not the best.
  for (int i = 0; i < m; ++i)
    if (p[i] > 0 && q[i] == 0)
      q[i] = 0.1;
  double totalP = 0, totalQ = 0;
  for (int i = 0; i < m; ++i) {
    totalP += p[i];
    totalQ += q[i];
  }
  double kl = 0;
  for (int i = 0; i < m; ++i)
    if (p[i] > 0)
      kl += p[i] / totalP * std::log((p[i] / totalP) / (q[i] / totalQ));
  return kl;
}
} // namespace

std::pair<double, double>
RangeObserver::chooseRange(CalibrationMethod method) const {
  if (!(max >= min))
    return {0, 0};
  if (method == CalibrationMethod::MinMax || histogram.empty() ||
      !(max > min))
    return {min, max};
  Bins bins{histogram, min, (max - min) / kBins};
  if (method == CalibrationMethod::Percentile) {
    double total = 0;
    for (double v : histogram)
      total += v;
    double tail = total * 0.0001;
    int lo = 0, hi = kBins - 1;
    for (double seen = 0; lo < kBins - 1 && seen + histogram[lo] <= tail; ++lo)
      seen += histogram[lo];
    for (double seen = 0; hi > lo && seen + histogram[hi] <= tail; --hi)
      seen += histogram[hi];
    // Keep the observed edge where that tail is empty (a ReLU's 0).
    return {lo == 0 ? min : bins.centre(lo) - bins.width / 2,
            hi == kBins - 1 ? max : bins.centre(hi) + bins.width / 2};
  }
  std::pair<double, double> best{min, max};
  double bestCost = std::numeric_limits<double>::infinity();
  for (int step = 0; step < 80; ++step) {
    // Shrink both ends of the grid's range (which includes 0) towards 0
    // by the same factor, 1 down to 0.2.
    double factor = 1.0 - step * 0.01;
    double lo = std::min(min, 0.0) * factor, hi = std::max(max, 0.0) * factor;
    double cost = method == CalibrationMethod::Mse
                      ? squaredError(bins, lo, hi)
                      : klDivergence(bins, lo, hi);
    if (cost < bestCost) {
      bestCost = cost;
      best = {lo, hi};
    }
  }
  return best;
}
