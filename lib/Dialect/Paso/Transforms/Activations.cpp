//===- Activations.cpp - the activations fusion can absorb ----------------===//

#include "Activations.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

using namespace mlir;

std::optional<std::pair<StringRef, SmallVector<double>>>
mlir::paso::fusableActivation(Operation *op) {
  using Result = std::pair<StringRef, SmallVector<double>>;
  if (isa<ReluOp>(op))
    return Result{"relu", {}};
  if (auto clip = dyn_cast<ClipOp>(op)) {
    if (!clip.getMin() || !clip.getMax())
      return std::nullopt;
    return Result{"clip", {clip.getMin()->convertToDouble(),
                           clip.getMax()->convertToDouble()}};
  }
  if (auto leaky = dyn_cast<LeakyReluOp>(op))
    return Result{"leaky_relu", {leaky.getAlpha().convertToDouble()}};
  if (isa<SigmoidOp>(op))
    return Result{"sigmoid", {}};
  if (auto hard = dyn_cast<HardSigmoidOp>(op))
    return Result{"hard_sigmoid", {hard.getAlpha().convertToDouble(),
                                   hard.getBeta().convertToDouble()}};
  if (isa<HardSwishOp>(op))
    return Result{"hard_swish", {}};
  if (isa<TanhOp>(op))
    return Result{"tanh", {}};
  if (auto gelu = dyn_cast<GeluOp>(op))
    return Result{gelu.getTanhApproximation() ? "gelu_tanh" : "gelu", {}};
  return std::nullopt;
}
