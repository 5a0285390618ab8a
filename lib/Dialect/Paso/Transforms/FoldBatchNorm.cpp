//===- FoldBatchNorm.cpp - batch norm into conv weights or scale/shift ----===//

#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

#include <cmath>

namespace mlir::paso {
#define GEN_PASS_DEF_FOLDBATCHNORMPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// Per-channel `s = scale / sqrt(var + eps)` and `t = beta - mean * s`.
struct ScaleShift {
  SmallVector<float> scale, shift;
};

std::optional<ScaleShift> scaleShift(BatchNormOp bn) {
  auto gamma = readF32Constant(bn.getScale());
  auto beta = readF32Constant(bn.getBias());
  auto mean = readF32Constant(bn.getMean());
  auto var = readF32Constant(bn.getVariance());
  if (!gamma || !beta || !mean || !var)
    return std::nullopt;
  float epsilon = bn.getEpsilon().convertToFloat();
  ScaleShift result;
  for (size_t c = 0; c < gamma->size(); ++c) {
    float s = (*gamma)[c] / std::sqrt((*var)[c] + epsilon);
    result.scale.push_back(s);
    result.shift.push_back((*beta)[c] - (*mean)[c] * s);
  }
  return result;
}

/// A constant named after the batch norm's location for readable IR.
Value makeConstant(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<float> values, StringRef name) {
  return ConstantOp::create(b, loc, makeF32Elements(type, values, name));
}

struct FoldBatchNormPass
    : paso::impl::FoldBatchNormPassBase<FoldBatchNormPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<BatchNormOp> norms;
    getOperation().walk([&](BatchNormOp bn) { norms.push_back(bn); });
    for (BatchNormOp bn : norms) {
      std::optional<ScaleShift> params = scaleShift(bn);
      if (!params)
        continue;
      if (succeeded(foldIntoConv(bn, *params))) {
        ++numFolded;
        continue;
      }
      decompose(bn, *params);
      ++numDecomposed;
    }
    // A bias exported as an Add after a bias-less convolution (as
    // PaddlePaddle does) is the same fold with a unit scale, and leaves
    // one value, not two, for the quantiser.
    SmallVector<AddOp> adds;
    getOperation().walk([&](AddOp add) { adds.push_back(add); });
    for (AddOp add : adds)
      for (auto [x, c] : {std::pair(add.getLhs(), add.getRhs()),
                          std::pair(add.getRhs(), add.getLhs())}) {
        std::optional<ScaleShift> params = channelShift(x, c);
        if (params && add.getType() == x.getType() &&
            succeeded(foldIntoConv(add, x, *params))) {
          ++numBiasAdds;
          break;
        }
      }
  }

  /// The per-channel shift of adding constant `c` to the NCHW result `x`:
  /// a scalar, or one value per channel broadcast along dim 1.
  static std::optional<ScaleShift> channelShift(Value x, Value c) {
    auto type = dyn_cast<RankedTensorType>(x.getType());
    auto shiftType = dyn_cast<RankedTensorType>(c.getType());
    std::optional<SmallVector<float>> values = readF32Constant(c);
    if (!type || !shiftType || type.getRank() != 4 || !values)
      return std::nullopt;
    int64_t channels = type.getDimSize(1), rank = shiftType.getRank();
    ScaleShift params;
    params.scale.assign(channels, 1.0f);
    if (values->size() == 1) {
      params.shift.assign(channels, (*values)[0]);
      return params;
    }
    if (rank < 3 || rank > 4 || shiftType.getDimSize(rank - 3) != channels ||
        shiftType.getNumElements() != channels)
      return std::nullopt;
    params.shift.assign(values->begin(), values->end());
    return params;
  }

  LogicalResult foldIntoConv(BatchNormOp bn, const ScaleShift &params) {
    return foldIntoConv(bn, bn.getInput(), params);
  }

  /// `consumer(input)` = input * s + t per channel, with `input` a
  /// convolution's result: W'[m] = W[m] * s[m]; b' = b * s + t.
  LogicalResult foldIntoConv(Operation *consumer, Value input,
                             const ScaleShift &params) {
    auto conv = input.getDefiningOp<ConvOp>();
    // Batch norm scales channel dim 1: only NCHW convolutions match.
    if (!conv || !conv->hasOneUse() || conv.getChannelsLast())
      return failure();
    std::optional<SmallVector<float>> filter =
        readF32Constant(conv.getFilter());
    if (!filter)
      return failure();
    auto filterType = cast<RankedTensorType>(conv.getFilter().getType());
    int64_t m = filterType.getDimSize(0);
    SmallVector<float> bias(m, 0.0f);
    if (Value oldBias = conv.getBias()) {
      std::optional<SmallVector<float>> values = readF32Constant(oldBias);
      if (!values)
        return failure();
      bias = *values;
    }
    int64_t perChannel = filterType.getNumElements() / m;
    for (int64_t c = 0; c < m; ++c) {
      for (int64_t i = 0; i < perChannel; ++i)
        (*filter)[c * perChannel + i] *= params.scale[c];
      bias[c] = bias[c] * params.scale[c] + params.shift[c];
    }
    OpBuilder b(conv);
    Location loc = b.getFusedLoc({conv.getLoc(), consumer->getLoc()});
    Value newFilter = makeConstant(b, conv.getFilter().getLoc(), filterType,
                                   *filter, "folded_filter");
    Value newBias = makeConstant(
        b, consumer->getLoc(), RankedTensorType::get({m}, b.getF32Type()),
        bias, "folded_bias");
    auto folded = ConvOp::create(b, loc, conv.getInput(), newFilter, newBias,
                                 conv.getStridesAttr(), conv.getPadsAttr(),
                                 conv.getDilationsAttr(), conv.getGroupAttr());
    folded->setDiscardableAttrs(conv->getDiscardableAttrDictionary());
    consumer->getResult(0).replaceAllUsesWith(folded.getResult());
    consumer->erase();
    conv.erase();
    return success();
  }

  /// y = x * s + t with s, t shaped [C, 1, ...] to broadcast along dim 1.
  void decompose(BatchNormOp bn, const ScaleShift &params) {
    OpBuilder b(bn);
    RankedTensorType type = bn.getType();
    SmallVector<int64_t> column(type.getRank() - 1, 1);
    column[0] = type.getDimSize(1);
    auto columnType = RankedTensorType::get(column, b.getF32Type());
    Value scale = makeConstant(b, bn.getLoc(), columnType, params.scale,
                               "bn_scale");
    Value shift = makeConstant(b, bn.getLoc(), columnType, params.shift,
                               "bn_shift");
    Value scaled = MulOp::create(b, bn.getLoc(), bn.getInput(), scale);
    Value shifted = AddOp::create(b, bn.getLoc(), scaled, shift);
    bn.replaceAllUsesWith(shifted);
    bn.erase();
  }
};

} // namespace
