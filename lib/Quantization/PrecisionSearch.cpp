//===- PrecisionSearch.cpp - per-layer precision under a budget -----------===//

#include "PrecisionSearch.h"

#include <algorithm>
#include <cmath>

using namespace mlir::paso;

std::vector<bool>
mlir::paso::chooseInt8Layers(const std::vector<LayerChoice> &layers,
                             double noiseLimit) {
  size_t n = layers.size();
  std::vector<bool> chosen(n, false);
  if (!(noiseLimit > 0))
    return chosen;
  // Noise in units of limit / kUnits, rounded up so that the chosen set
  // never exceeds the limit by the discretisation.
  constexpr int kUnits = 2000;
  std::vector<int> cost(n);
  for (size_t i = 0; i < n; ++i)
    cost[i] = static_cast<int>(
        std::min<double>(std::ceil(layers[i].noise / noiseLimit * kUnits),
                         kUnits + 1));
  // best[i][c]: the largest saving from the first i layers within c units.
  std::vector<std::vector<double>> best(n + 1,
                                        std::vector<double>(kUnits + 1, 0));
  for (size_t i = 1; i <= n; ++i) {
    const LayerChoice &layer = layers[i - 1];
    for (int c = 0; c <= kUnits; ++c) {
      best[i][c] = best[i - 1][c];
      if (layer.saving > 0 && cost[i - 1] <= c)
        best[i][c] = std::max(best[i][c],
                              best[i - 1][c - cost[i - 1]] + layer.saving);
    }
  }
  for (size_t i = n, c = kUnits; i > 0; --i)
    if (best[i][c] != best[i - 1][c]) {
      chosen[i - 1] = true;
      c -= cost[i - 1];
    }
  return chosen;
}
