//===- NormalizationConverters.cpp - norms and composite reductions -------===//
//
// Reductions ONNX defines as formulas over a sum or a maximum (ReduceL1,
// ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp), ArgMin and
// Hardmax on top of ArgMax, and the normalisations: LpNormalization,
// MeanVarianceNormalization, and InstanceNormalization/GroupNormalization on
// the LayerNorm kernel (each is a LayerNorm over the trailing dims of a
// suitably reshaped tensor, followed by a per-channel affine).
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

enum class Composite { L1, L2, SumSquare, LogSum, LogSumExp };

/// The shape `shape` has after reducing `axes` without keeping them.
SmallVector<int64_t> droppedShape(ArrayRef<int64_t> shape,
                                  ArrayRef<int64_t> axes) {
  SmallVector<int64_t> result;
  for (auto [i, size] : llvm::enumerate(shape))
    if (!llvm::is_contained(axes, static_cast<int64_t>(i)))
      result.push_back(size);
  return result;
}

template <Composite kind>
LogicalResult convertCompositeReduce(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "data");
  FailureOr<ReduceAxes> axes = readReduceAxes(node, 18);
  if (!x || failed(axes))
    return failure();
  bool needsFloat = kind == Composite::L2 || kind == Composite::LogSum ||
                    kind == Composite::LogSumExp;
  if (needsFloat && !isa<FloatType>(Composer::elementType(x)))
    return node.emitError() << node.node.op_type() << " needs a float input";
  auto sum = [&](Value v) {
    return c.reduce<ReduceSumOp>(v, axes->axes, axes->keepdims);
  };
  switch (kind) {
  case Composite::L1:
    return c.bind(sum(c.op<AbsOp>(x)));
  case Composite::L2:
    return c.bind(c.op<SqrtOp>(sum(c.op<MulOp>({x, x}))));
  case Composite::SumSquare:
    return c.bind(sum(c.op<MulOp>({x, x})));
  case Composite::LogSum:
    return c.bind(c.op<LogOp>(sum(x)));
  case Composite::LogSumExp: {
    // log(sum(exp(x - m))) + m with m the maximum: no overflow in exp.
    Value m = c.reduce<ReduceMaxOp>(x, axes->axes, /*keepdims=*/true);
    Value s = sum(c.op<ExpOp>(c.op<SubOp>({x, m})));
    if (!axes->keepdims && m)
      m = c.reshape(m, droppedShape(Composer::shapeOf(x), axes->axes));
    return c.bind(c.op<AddOp>({c.op<LogOp>(s), m}));
  }
  }
  llvm_unreachable("unknown composite reduction");
}

/// ArgMin is ArgMax of an order-reversing map: -x for floats, the bitwise
/// complement (all-ones - x, which cannot overflow) for integers.
LogicalResult convertArgMin(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "data");
  if (!x)
    return failure();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 0),
                                               Composer::typeOf(x).getRank());
  if (failed(axis))
    return failure();
  Value reversed =
      isa<FloatType>(Composer::elementType(x))
          ? c.op<NegOp>(x)
          : c.op<SubOp>({c.allOnes(RankedTensorType::get(
                             {}, Composer::elementType(x))),
                         x});
  return c.bind(c.op<ArgMaxOp>(
      reversed, {node.i64Attr("axis", *axis),
                 node.boolAttr("keepdims", node.getInt("keepdims", 1) != 0),
                 node.boolAttr("select_last_index",
                               node.getInt("select_last_index", 0) != 0)}));
}

/// A constant 0, 1, ..., size-1 along dim `axis` of a rank-`rank` tensor
/// whose other dims are 1.
Value iotaAlong(Composer &c, int64_t rank, int64_t axis, int64_t size) {
  SmallVector<int64_t> shape(rank, 1);
  shape[axis] = size;
  return c.reshape(c.i64s(llvm::to_vector(llvm::seq<int64_t>(0, size))),
                   shape);
}

/// Hardmax: 1 at the first maximum along the axis, 0 elsewhere. Before
/// opset 13 the input is coerced to 2-D at `axis` (default 1).
template <bool coerce2D>
LogicalResult convertHardmax(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  ArrayRef<int64_t> shape = Composer::shapeOf(x);
  int64_t rank = shape.size();
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", coerce2D ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  Value work = x;
  int64_t workAxis = *axis;
  if (coerce2D) {
    int64_t outer = 1, inner = 1;
    for (int64_t i = 0; i < rank; ++i)
      (i < *axis ? outer : inner) *= shape[i];
    work = c.reshape(x, {outer, inner});
    workAxis = 1;
  }
  if (!work)
    return failure();
  int64_t workRank = Composer::typeOf(work).getRank();
  Value argmax = c.op<ArgMaxOp>(
      work, {node.i64Attr("axis", workAxis), node.boolAttr("keepdims", true),
             node.boolAttr("select_last_index", false)});
  Value iota = iotaAlong(c, workRank, workAxis,
                         Composer::shapeOf(work)[workAxis]);
  Value result =
      c.cast(c.op<EqualOp>({iota, argmax}), Composer::elementType(x));
  if (coerce2D)
    result = c.reshape(result, shape);
  return c.bind(result);
}

LogicalResult convertLpNormalization(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", -1),
                                               Composer::typeOf(x).getRank());
  if (failed(axis))
    return failure();
  int64_t p = node.getInt("p", 2);
  Value norm;
  if (p == 1)
    norm = c.reduce<ReduceSumOp>(c.op<AbsOp>(x), {*axis}, true);
  else if (p == 2)
    norm = c.op<SqrtOp>(c.reduce<ReduceSumOp>(c.op<MulOp>({x, x}), {*axis},
                                              true));
  else
    return node.emitError() << "LpNormalization p must be 1 or 2, got " << p;
  return c.bind(c.op<DivOp>({x, norm}));
}

/// (x - E[x]) / (sqrt(E[x^2] - E[x]^2) + 1e-9), ONNX's function body.
LogicalResult convertMeanVarianceNormalization(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  int64_t rank = Composer::typeOf(x).getRank();
  SmallVector<int64_t> axes = node.getInts("axes");
  if (!node.has("axes"))
    axes = {0, 2, 3};
  for (int64_t &axis : axes) {
    FailureOr<int64_t> normalized = node.normalizeAxis(axis, rank, "axes");
    if (failed(normalized))
      return failure();
    axis = *normalized;
  }
  llvm::sort(axes);
  Type element = Composer::elementType(x);
  Value mean = c.reduce<ReduceMeanOp>(x, axes, true);
  Value meanOfSquares = c.reduce<ReduceMeanOp>(c.op<MulOp>({x, x}), axes, true);
  Value variance =
      c.op<SubOp>({meanOfSquares, c.op<MulOp>({mean, mean})});
  Value deviation =
      c.op<AddOp>({c.op<SqrtOp>(variance), c.scalar(element, 1e-9)});
  return c.bind(c.op<DivOp>({c.op<SubOp>({x, mean}), deviation}));
}

/// RMSNormalization (opset 23): x / sqrt(mean(x^2 over [axis, rank)) + eps)
/// * scale.
LogicalResult convertRMSNormalization(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), scale = c.input(1, "scale");
  if (!x || !scale)
    return failure();
  int64_t rank = Composer::typeOf(x).getRank();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
  Type element = Composer::elementType(x);
  Value meanSquare = c.reduce<ReduceMeanOp>(c.op<MulOp>({x, x}), axes, true);
  Value rms = c.op<SqrtOp>(c.op<AddOp>(
      {meanSquare, c.scalar(element, node.getFloat("epsilon", 1e-5f))}));
  return c.bind(c.op<MulOp>({c.op<DivOp>({x, rms}), scale}));
}

/// `v` (one value per channel) shaped to broadcast against an N x C x ...
/// tensor of rank `rank`.
Value perChannel(Composer &c, Value v, int64_t rank) {
  if (!v)
    return v;
  SmallVector<int64_t> shape(rank - 1, 1);
  shape[0] = Composer::shapeOf(v).empty() ? 1 : Composer::shapeOf(v)[0];
  return c.reshape(v, shape);
}

/// LayerNorm of `x` over dims [axis, rank) without an affine part.
Value plainLayerNorm(Composer &c, Value x, int64_t axis, float epsilon) {
  if (!x)
    return x;
  Value one = c.scalar(Composer::elementType(x), 1.0);
  return c.op<LayerNormOp>({x, one}, {c.node.i64Attr("axis", axis),
                                      c.node.f32Attr("epsilon", epsilon)});
}

LogicalResult convertInstanceNormalization(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input"), scale = c.input(1, "scale"),
        bias = c.input(2, "B");
  if (!x || !scale || !bias)
    return failure();
  int64_t rank = Composer::typeOf(x).getRank();
  if (rank < 3)
    return node.emitError() << "InstanceNormalization needs rank >= 3";
  Value normalized = plainLayerNorm(c, x, 2, node.getFloat("epsilon", 1e-5f));
  return c.bind(c.op<AddOp>({c.op<MulOp>({normalized, perChannel(c, scale, rank)}),
                             perChannel(c, bias, rank)}));
}

/// GroupNormalization: LayerNorm of x seen as N x G x (C/G * spatial). The
/// opset-18 form has one scale and bias per group, opset 21 one per
/// channel.
template <bool perGroupAffine>
LogicalResult convertGroupNormalization(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), scale = c.input(1, "scale"),
        bias = c.input(2, "bias");
  if (!x || !scale || !bias)
    return failure();
  ArrayRef<int64_t> shape = Composer::shapeOf(x);
  int64_t rank = shape.size();
  int64_t groups = node.getInt("num_groups", 0);
  if (rank < 3 || groups <= 0 || shape[1] % groups != 0)
    return node.emitError() << "GroupNormalization needs rank >= 3 and "
                               "num_groups > 0 dividing the channels";
  int64_t channels = shape[1];
  int64_t perGroup = 1;
  for (int64_t size : shape.drop_front(1))
    perGroup *= size;
  perGroup /= groups;
  Value grouped = c.reshape(x, {shape[0], groups, perGroup});
  Value normalized = c.reshape(
      plainLayerNorm(c, grouped, 2, node.getFloat("epsilon", 1e-5f)), shape);
  if (perGroupAffine) {
    // One value per group, repeated for the group's channels.
    auto expand = [&](Value v) {
      return c.reshape(c.broadcastTo(c.reshape(v, {groups, 1}),
                                     {groups, channels / groups}),
                       {channels});
    };
    scale = expand(scale);
    bias = expand(bias);
  }
  return c.bind(c.op<AddOp>({c.op<MulOp>({normalized, perChannel(c, scale, rank)}),
                             perChannel(c, bias, rank)}));
}

} // namespace

void appendNormalizationConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"ReduceL1", 1, convertCompositeReduce<Composite::L1>},
      {"ReduceL2", 1, convertCompositeReduce<Composite::L2>},
      {"ReduceSumSquare", 1, convertCompositeReduce<Composite::SumSquare>},
      {"ReduceLogSum", 1, convertCompositeReduce<Composite::LogSum>},
      {"ReduceLogSumExp", 1, convertCompositeReduce<Composite::LogSumExp>},
      {"ArgMin", 1, convertArgMin},
      {"Hardmax", 1, convertHardmax<true>},
      {"Hardmax", 13, convertHardmax<false>},
      {"LpNormalization", 1, convertLpNormalization},
      {"MeanVarianceNormalization", 9, convertMeanVarianceNormalization},
      {"RMSNormalization", 23, convertRMSNormalization},
      {"InstanceNormalization", 6, convertInstanceNormalization},
      {"GroupNormalization", 18, convertGroupNormalization<true>},
      {"GroupNormalization", 21, convertGroupNormalization<false>},
  });
}

} // namespace mlir::paso::onnx_import
