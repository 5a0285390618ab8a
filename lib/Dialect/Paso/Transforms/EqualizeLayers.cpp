//===- EqualizeLayers.cpp - cross-layer equalisation of weight ranges -----===//
//
// Nagel et al., "Data-Free Quantization Through Weight Equalization and
// Bias Correction" (ICCV 2019). Two products joined through ops that
// commute with a positive per-channel scale compute the same function when
// the first's output channel i is divided by s_i and the second's input
// channel i multiplied by it. With s_i = sqrt(r1_i / r2_i) (r1, r2: the
// channel's weight ranges in either layer) both ranges become
// sqrt(r1_i * r2_i), which evens out what a per-tensor weight scale sees.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"
#include "paso/Dialect/Paso/Transforms/WeightedProduct.h"

#include "llvm/ADT/MapVector.h"

#include <algorithm>
#include <cmath>
#include <memory>

namespace mlir::paso {
#define GEN_PASS_DEF_EQUALIZELAYERSPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// Sweeps over all pairs end when no scale moves more than this, or after
/// kMaxSweeps (chains such as conv -> depthwise -> conv need several: each
/// pair's scales change its neighbours' ranges).
constexpr double kConverged = 1e-6;
constexpr int kMaxSweeps = 64;

/// A product with constant f32 weights, as one side of a pair.
struct Product {
  Operation *op = nullptr;
  unsigned weightOperand = 1;
  /// Weight axes of the output and of the input channels.
  int64_t outAxis = 0, inAxis = 1;
  /// Bias operand (conv bias, gemm C) scaled with the output channels.
  std::optional<unsigned> biasOperand;
  /// A bias with other than one value per output channel: the product may
  /// be the second of a pair, not the first.
  bool oddBias = false;
  bool depthwise = false;
  /// Matmul and gemm: per-tensor weights in the full-integer scheme.
  bool matrix = false;
  /// The result's channel axis.
  int64_t resultAxis = 1;
};

RankedTensorType rankedType(Value value) {
  return dyn_cast<RankedTensorType>(value.getType());
}

/// A bias operand holding one value per channel (`[C]` or `[1, C]`).
bool perChannel(Value bias, int64_t channels) {
  RankedTensorType type = rankedType(bias);
  return type && type.getNumElements() == channels &&
         type.getDimSize(type.getRank() - 1) == channels &&
         readF32Constant(bias).has_value();
}

std::optional<Product> asProduct(Operation *op) {
  std::optional<WeightedProduct> product = matchWeightedProduct(op);
  if (!product)
    return std::nullopt;
  Product p;
  p.op = op;
  p.outAxis = product->outAxis;
  p.inAxis = product->inAxis;
  p.matrix = product->matrix;
  int64_t outputs = rankedType(product->weights).getDimSize(p.outAxis);
  if (!p.matrix) {
    p.depthwise = product->group > 1 &&
                  rankedType(product->weights).getDimSize(1) == 1 &&
                  product->group == outputs &&
                  rankedType(product->input).getDimSize(1) == product->group;
    if (product->group != 1 && !p.depthwise)
      return std::nullopt;
    if (p.depthwise)
      p.inAxis = 0;
  }
  p.resultAxis = p.matrix ? rankedType(op->getResult(0)).getRank() - 1 : 1;
  // The conv's bias or the gemm's C: one value per output channel.
  Value bias = isa<ConvOp, GemmOp>(op) && op->getNumOperands() > 2
                   ? op->getOperand(2)
                   : Value();
  if (bias) {
    p.biasOperand = 2;
    p.oddBias = !perChannel(bias, outputs);
  }
  return p;
}

/// The position of channel axis `axis` of `from` in `to` when a reshape
/// keeps every channel's elements where they were: the dims before and
/// after it multiply to the same counts.
std::optional<int64_t> reshapedAxis(RankedTensorType from,
                                    RankedTensorType to, int64_t axis) {
  auto product = [](ArrayRef<int64_t> dims) {
    int64_t n = 1;
    for (int64_t d : dims)
      n *= d;
    return n;
  };
  int64_t before = product(from.getShape().take_front(axis));
  int64_t channels = from.getDimSize(axis);
  for (int64_t k = 0; k < to.getRank(); ++k)
    if (product(to.getShape().take_front(k)) == before &&
        to.getDimSize(k) == channels)
      return k;
  return std::nullopt;
}

/// The operand index of `add`'s constant when it adds one value per
/// channel along `axis` of `x` (right-aligned broadcasting) and the result
/// keeps x's shape.
std::optional<unsigned> channelConstant(AddOp add, Value x, int64_t axis) {
  unsigned other = add.getLhs() == x ? 1 : 0;
  Value c = add->getOperand(other);
  RankedTensorType xType = rankedType(x), cType = rankedType(c);
  if (!cType || add.getType() != x.getType() || !readF32Constant(c) ||
      cType.getRank() > xType.getRank())
    return std::nullopt;
  int64_t channels = xType.getDimSize(axis);
  int64_t offset = xType.getRank() - cType.getRank();
  if (axis < offset || cType.getNumElements() != channels ||
      cType.getDimSize(axis - offset) != channels)
    return std::nullopt;
  return other;
}

/// Two products and the per-channel constants added between them.
struct Pair {
  Product first, second;
  SmallVector<std::pair<AddOp, unsigned>> adds;
};

/// The pair `first` starts, when its result reaches another product's
/// channel (contraction) axis through single-use ops that commute with a
/// positive per-channel scale.
std::optional<Pair> pairFrom(const Product &first) {
  if (first.oddBias)
    return std::nullopt;
  Pair pair;
  pair.first = first;
  Value value = first.op->getResult(0);
  int64_t axis = first.resultAxis;
  while (value.hasOneUse()) {
    Operation *user = *value.getUsers().begin();
    if (isa<ReluOp, LeakyReluOp>(user)) {
      value = user->getResult(0);
      continue;
    }
    if (auto pool = dyn_cast<MaxPoolOp>(user)) {
      if (pool.getChannelsLast() || axis != 1)
        return std::nullopt;
      value = pool.getOutput();
      continue;
    }
    if (auto pool = dyn_cast<AveragePoolOp>(user)) {
      if (pool.getChannelsLast() || axis != 1)
        return std::nullopt;
      value = pool.getOutput();
      continue;
    }
    if (auto mean = dyn_cast<ReduceMeanOp>(user)) {
      int64_t rank = rankedType(value).getRank(), removed = 0;
      for (int64_t a : mean.getAxes()) {
        a = a < 0 ? a + rank : a;
        if (a == axis)
          return std::nullopt;
        removed += a < axis;
      }
      if (!mean.getKeepdims())
        axis -= removed;
      value = mean.getOutput();
      continue;
    }
    if (auto reshape = dyn_cast<ReshapeOp>(user)) {
      std::optional<int64_t> moved = reshapedAxis(
          rankedType(value), rankedType(reshape.getOutput()), axis);
      if (!moved)
        return std::nullopt;
      axis = *moved;
      value = reshape.getOutput();
      continue;
    }
    if (auto add = dyn_cast<AddOp>(user)) {
      std::optional<unsigned> constant = channelConstant(add, value, axis);
      if (!constant)
        return std::nullopt;
      pair.adds.push_back({add, *constant});
      value = add.getOutput();
      continue;
    }
    std::optional<Product> second = asProduct(user);
    // The chain must enter the second product as its data operand, on the
    // axis it contracts.
    if (!second || user->getOperand(0) != value)
      return std::nullopt;
    int64_t rank = rankedType(value).getRank();
    if (second->matrix ? axis != rank - 1 : axis != 1)
      return std::nullopt;
    pair.second = *second;
    return pair;
  }
  return std::nullopt;
}

/// Weights of one op as they are rewritten across sweeps.
struct Weights {
  RankedTensorType type;
  SmallVector<float> values;
};

/// `outer x channels x inner` view of a tensor split at `axis`.
struct AxisView {
  int64_t outer = 1, channels = 1, inner = 1;
  AxisView(RankedTensorType type, int64_t axis) {
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (d < axis)
        outer *= type.getDimSize(d);
      else if (d == axis)
        channels = type.getDimSize(d);
      else
        inner *= type.getDimSize(d);
    }
  }
  template <typename F> void forEach(F &&f) const {
    for (int64_t o = 0; o < outer; ++o)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < inner; ++i)
          f((o * channels + c) * inner + i, c);
  }
};

SmallVector<double> channelRanges(const Weights &w, int64_t axis) {
  AxisView view(w.type, axis);
  SmallVector<double> ranges(view.channels, 0.0);
  view.forEach([&](int64_t index, int64_t c) {
    ranges[c] = std::max(ranges[c], (double)std::fabs(w.values[index]));
  });
  return ranges;
}

void scaleChannels(Weights &w, int64_t axis, ArrayRef<double> factors) {
  AxisView view(w.type, axis);
  view.forEach([&](int64_t index, int64_t c) {
    w.values[index] = (float)(w.values[index] * factors[c]);
  });
}

/// The constants of every op the pairs touch, keyed by (op, operand).
class ConstantTable {
public:
  Weights &at(Operation *op, unsigned operand) {
    std::unique_ptr<Weights> &entry = table[{op, operand}];
    if (!entry) {
      Value value = op->getOperand(operand);
      entry = std::make_unique<Weights>();
      entry->type = rankedType(value);
      entry->values = *readF32Constant(value);
    }
    return *entry;
  }

  /// Replaces each operand by a new constant of its final values; old
  /// constants left without users are erased.
  void write() {
    for (auto &[key, weights] : table) {
      auto [op, operand] = key;
      Value old = op->getOperand(operand);
      OpBuilder b(op);
      Value updated = ConstantOp::create(
          b, old.getLoc(),
          makeF32Elements(weights->type, weights->values, "equalized"));
      op->setOperand(operand, updated);
      if (Operation *def = old.getDefiningOp(); def && def->use_empty())
        def->erase();
    }
  }

private:
  // Entries are held by pointer: references to them outlive insertions.
  llvm::MapVector<std::pair<Operation *, unsigned>, std::unique_ptr<Weights>>
      table;
};

/// One pair's scales: s_i = sqrt(r1_i / r2_i), 1 for a channel that is zero
/// on either side, and never so small that the first layer's bias for the
/// channel outgrows the largest bias it has (a near-dead channel with a
/// bias would otherwise become the outlier a per-tensor activation scale
/// must cover; Nagel et al. absorb such biases instead).
SmallVector<double> pairScales(ArrayRef<double> r1, ArrayRef<double> r2,
                               const Weights *bias) {
  double largestBias = 0;
  if (bias)
    for (float b : bias->values)
      largestBias = std::max(largestBias, (double)std::fabs(b));
  SmallVector<double> scales(r1.size(), 1.0);
  for (size_t i = 0; i < r1.size(); ++i) {
    if (r1[i] <= 0 || r2[i] <= 0)
      continue;
    double s = std::sqrt(r1[i] / r2[i]);
    if (bias && largestBias > 0)
      s = std::max(s, std::fabs(bias->values[i]) / largestBias);
    scales[i] = s;
  }
  return scales;
}

/// One sweep over `pair`; returns the largest |s_i - 1|.
double equalize(const Pair &pair, ConstantTable &constants) {
  const Product &first = pair.first, &second = pair.second;
  Weights &w1 = constants.at(first.op, first.weightOperand);
  Weights &w2 = constants.at(second.op, second.weightOperand);
  Weights *bias = first.biasOperand
                      ? &constants.at(first.op, *first.biasOperand)
                      : nullptr;
  SmallVector<double> r1 = channelRanges(w1, first.outAxis);
  SmallVector<double> r2 = channelRanges(w2, second.inAxis);
  if (r1.size() != r2.size())
    return 0;
  SmallVector<double> scales = pairScales(r1, r2, bias);
  SmallVector<double> inverse;
  double moved = 0;
  for (double s : scales) {
    inverse.push_back(1.0 / s);
    moved = std::max(moved, std::fabs(s - 1.0));
  }
  if (moved == 0)
    return 0;
  scaleChannels(w1, first.outAxis, inverse);
  if (bias)
    scaleChannels(*bias, bias->type.getRank() - 1, inverse);
  for (auto [add, operand] : pair.adds) {
    Weights &shift = constants.at(add, operand);
    int64_t rank = shift.type.getRank();
    // The one dim of the constant that is not 1 is the channel's.
    int64_t axis = rank - 1;
    for (int64_t d = 0; d < rank; ++d)
      if (shift.type.getDimSize(d) != 1)
        axis = d;
    scaleChannels(shift, axis, inverse);
  }
  scaleChannels(w2, second.inAxis, scales);
  return moved;
}

struct EqualizeLayersPass
    : paso::impl::EqualizeLayersPassBase<EqualizeLayersPass> {
  using Base::Base;

  void runOnOperation() override {
    numPairs += equalizeLayerPairs(getOperation(), perTensorOnly);
  }
};

} // namespace

unsigned mlir::paso::equalizeLayerPairs(func::FuncOp func,
                                        bool perTensorOnly) {
  SmallVector<Pair> pairs;
  func.walk([&](Operation *op) {
    std::optional<Product> first = asProduct(op);
    if (!first)
      return;
    std::optional<Pair> pair = pairFrom(*first);
    if (pair && (!perTensorOnly || pair->first.matrix || pair->second.matrix))
      pairs.push_back(*pair);
  });
  if (pairs.empty())
    return 0;
  ConstantTable constants;
  for (int sweep = 0; sweep < kMaxSweeps; ++sweep) {
    double moved = 0;
    for (const Pair &pair : pairs)
      moved = std::max(moved, equalize(pair, constants));
    if (moved < kConverged)
      break;
  }
  constants.write();
  return pairs.size();
}
