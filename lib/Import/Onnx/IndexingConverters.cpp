//===- IndexingConverters.cpp - gathers, scatters, TopK, NonZero ----------===//
//
// GatherElements and GatherND are paso ops. Scatters with constant indices
// (the form exporters write: anchors, masks, fixed slots) become a gather
// from the updates through a constant map plus a select, so they need no
// in-place update; their run-time-index form is rejected with a clear
// error. TopK is k rounds of "the first maximum among the elements not yet
// taken", exact for ties and infinities. NonZero's output shape depends on
// its data, so only a constant input (folded here) compiles. GridSample is
// a paso op.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"

#include <limits>

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

/// Most TopK rounds; a larger k needs a sort, which PASO does not have.
constexpr int64_t kMaxTopK = 1024;

LogicalResult convertGatherElements(NodeImporter &node) {
  Composer c(node);
  Value data = c.input(0, "data"), indices = c.input(1, "indices");
  if (!data || !indices)
    return failure();
  FailureOr<int64_t> axis = node.normalizeAxis(
      node.getInt("axis", 0), Composer::typeOf(data).getRank());
  if (failed(axis))
    return failure();
  return c.bind(c.op<GatherElementsOp>({data, indices},
                                       {node.i64Attr("axis", *axis)}));
}

LogicalResult convertGatherND(NodeImporter &node) {
  Composer c(node);
  Value data = c.input(0, "data"), indices = c.input(1, "indices");
  return c.bind(c.op<GatherNDOp>(
      {data, indices},
      {node.i64Attr("batch_dims", node.getInt("batch_dims", 0))}));
}

/// The scatter of `updates` into `data` at the flat positions `targets`
/// (one per update element, in order). Without a reduction the last write
/// to a position wins; with one, writes combine in order, applied in
/// layers that each write a position at most once (the j-th write of every
/// position is in layer j).
LogicalResult buildScatter(Composer &c, Value data, Value updates,
                           ArrayRef<int64_t> targets) {
  NodeImporter &node = c.node;
  RankedTensorType dataType = Composer::typeOf(data);
  int64_t count = dataType.getNumElements();
  std::string reduction = node.getString("reduction", "none");
  if (reduction != "none" && reduction != "add" && reduction != "mul" &&
      reduction != "max" && reduction != "min")
    return node.emitError() << "unknown scatter reduction '" << reduction
                            << "'";
  // layers[j][position] = the update element of that position's j-th write.
  std::vector<SmallVector<int64_t>> layers;
  SmallVector<int64_t> writes(count, 0);
  for (auto [u, target] : llvm::enumerate(targets)) {
    int64_t layer = reduction == "none" ? 0 : writes[target]++;
    if (layer == static_cast<int64_t>(layers.size()))
      layers.emplace_back(count, -1);
    layers[layer][target] = u;
  }
  auto shape = dataType.getShape();
  Value flat =
      c.reshape(updates, {Composer::typeOf(updates).getNumElements()});
  Value result = data;
  for (SmallVector<int64_t> &source : layers) {
    SmallVector<bool> written;
    for (int64_t &s : source) {
      written.push_back(s >= 0);
      s = std::max<int64_t>(s, 0);
    }
    Value map = c.reshape(c.i64s(source), shape);
    Value mask = node.constant(llvm::cast<ElementsAttr>(DenseElementsAttr::get(
        RankedTensorType::get(shape, node.builder.getI1Type()),
        ArrayRef<bool>(written))));
    Value gathered = c.op<GatherOp>({flat, map}, {node.i64Attr("axis", 0)});
    Value combined = gathered;
    if (reduction == "add")
      combined = c.op<AddOp>({result, gathered});
    else if (reduction == "mul")
      combined = c.op<MulOp>({result, gathered});
    else if (reduction == "max")
      combined = c.op<MaxOp>({result, gathered});
    else if (reduction == "min")
      combined = c.op<MinOp>({result, gathered});
    result = c.op<WhereOp>({mask, combined, result});
  }
  return c.bind(result);
}

/// Constant indices, or an error saying why they must be.
std::optional<SmallVector<int64_t>> constantIndices(NodeImporter &node) {
  std::optional<SmallVector<int64_t>> indices = readIntConstant(node.input(1));
  if (!indices)
    node.emitError() << "input 1 (indices) must be a constant: PASO compiles "
                        "scatters whose indices are known at import";
  return indices;
}

LogicalResult convertScatterElements(NodeImporter &node) {
  Composer c(node);
  Value data = c.input(0, "data"), updates = c.input(2, "updates");
  if (!data || !updates || !c.input(1, "indices"))
    return failure();
  std::optional<SmallVector<int64_t>> indices = constantIndices(node);
  if (!indices)
    return failure();
  ArrayRef<int64_t> dataShape = Composer::shapeOf(data);
  ArrayRef<int64_t> updateShape = Composer::shapeOf(updates);
  int64_t rank = dataShape.size();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 0), rank);
  if (failed(axis))
    return failure();
  if (updateShape != node.inputType(1).getShape() ||
      static_cast<int64_t>(updateShape.size()) != rank)
    return node.emitError() << "updates and indices must have one shape, of "
                               "data's rank";
  SmallVector<int64_t> dataStrides = computeSuffixProduct(dataShape);
  SmallVector<int64_t> updateStrides = computeSuffixProduct(updateShape);
  SmallVector<int64_t> targets;
  for (int64_t u = 0, e = indices->size(); u < e; ++u) {
    int64_t flat = 0;
    for (int64_t d = 0; d < rank; ++d) {
      int64_t position = (u / updateStrides[d]) % updateShape[d];
      if (d == *axis) {
        position = (*indices)[u];
        if (position < 0)
          position += dataShape[d];
        if (position < 0 || position >= dataShape[d])
          return node.emitError() << "index " << (*indices)[u]
                                  << " is out of range for axis size "
                                  << dataShape[d];
      }
      flat += position * dataStrides[d];
    }
    targets.push_back(flat);
  }
  return buildScatter(c, data, updates, targets);
}

LogicalResult convertScatterND(NodeImporter &node) {
  Composer c(node);
  Value data = c.input(0, "data"), updates = c.input(2, "updates");
  if (!data || !updates || !c.input(1, "indices"))
    return failure();
  std::optional<SmallVector<int64_t>> indices = constantIndices(node);
  if (!indices)
    return failure();
  ArrayRef<int64_t> dataShape = Composer::shapeOf(data);
  ArrayRef<int64_t> indexShape = node.inputType(1).getShape();
  int64_t k = indexShape.empty() ? 0 : indexShape.back();
  if (k < 1 || k > static_cast<int64_t>(dataShape.size()))
    return node.emitError() << "ScatterND index tuples must have 1 to "
                            << dataShape.size() << " entries";
  int64_t sliceSize = 1;
  for (int64_t size : dataShape.drop_front(k))
    sliceSize *= size;
  SmallVector<int64_t> dataStrides = computeSuffixProduct(dataShape);
  SmallVector<int64_t> targets;
  for (size_t t = 0; t + k <= indices->size(); t += k) {
    int64_t base = 0;
    for (int64_t m = 0; m < k; ++m) {
      int64_t position = (*indices)[t + m];
      if (position < 0)
        position += dataShape[m];
      if (position < 0 || position >= dataShape[m])
        return node.emitError() << "index " << (*indices)[t + m]
                                << " is out of range for dim " << m
                                << " of size " << dataShape[m];
      base += position * dataStrides[m];
    }
    for (int64_t s = 0; s < sliceSize; ++s)
      targets.push_back(base + s);
  }
  if (static_cast<int64_t>(targets.size()) !=
      Composer::typeOf(updates).getNumElements())
    return node.emitError() << "updates do not match the indexed slices";
  return buildScatter(c, data, updates, targets);
}

/// TopK: per round, the first maximum among the untaken elements (taken
/// ones are pushed to the lowest value; ties with it are broken by index
/// among the untaken only, so infinities and repeats are exact).
LogicalResult convertTopK(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  int64_t k;
  if (node.opset < 10) {
    k = node.getInt("k", 0);
  } else {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "K");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return node.emitError() << "TopK K must hold one value";
    k = given->front();
  }
  ArrayRef<int64_t> shape = Composer::shapeOf(x);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", -1), shape.size());
  if (failed(axis))
    return failure();
  if (k < 1 || k > shape[*axis])
    return node.emitError() << "TopK K = " << k << " must be in [1, "
                            << shape[*axis] << "]";
  if (k > kMaxTopK)
    return node.emitError() << "TopK K = " << k << " is above " << kMaxTopK
                            << ", the most PASO selects without a sort";
  Type element = Composer::elementType(x);
  bool isFloat = isa<FloatType>(element);
  // Smallest-first is largest-first of an order-reversing map.
  Value work = x;
  if (node.getInt("largest", 1) == 0)
    work = isFloat ? c.op<NegOp>(x)
                   : c.op<SubOp>({c.allOnes(RankedTensorType::get({}, element)),
                                  x});
  double lowest = isFloat ? -std::numeric_limits<double>::infinity()
                  : element.isUnsignedInteger()
                      ? 0
                      : -std::ldexp(1.0, element.getIntOrFloatBitWidth() - 1);
  Value lowestValue = c.scalar(element, lowest);
  SmallVector<int64_t> iotaShape(shape.size(), 1);
  iotaShape[*axis] = shape[*axis];
  Value iota = c.reshape(
      c.i64s(llvm::to_vector(llvm::seq<int64_t>(0, shape[*axis]))), iotaShape);
  Type i32 = node.builder.getI32Type();
  Value taken = c.constant(
      RankedTensorType::get(shape, node.builder.getI1Type()), 0);
  SmallVector<Value> values, indices;
  for (int64_t round = 0; round < k; ++round) {
    Value masked = c.op<WhereOp>({taken, lowestValue, work});
    Value best = c.reduce<ReduceMaxOp>(masked, {*axis}, true);
    Value eligible = c.op<AndOp>(
        {c.op<EqualOp>({masked, best}), c.op<NotOp>(taken)});
    Value index = c.op<ArgMaxOp>(
        c.cast(eligible, i32),
        {node.i64Attr("axis", *axis), node.boolAttr("keepdims", true),
         node.boolAttr("select_last_index", false)});
    indices.push_back(index);
    values.push_back(
        c.op<GatherElementsOp>({x, index}, {node.i64Attr("axis", *axis)}));
    taken = c.op<OrOp>({taken, c.op<EqualOp>({iota, index})});
    if (c.hasFailed())
      return failure();
  }
  auto join = [&](ArrayRef<Value> parts) {
    return parts.size() == 1
               ? parts.front()
               : c.op<ConcatOp>(parts, {node.i64Attr("axis", *axis)});
  };
  return c.bind({join(values), join(indices)});
}

/// NonZero of a constant: the [rank, count] coordinates, computed here.
LogicalResult convertNonZero(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  ArrayRef<int64_t> shape = Composer::shapeOf(x);
  SmallVector<bool> nonZero;
  if (auto ints = readIntConstant(x)) {
    for (int64_t v : *ints)
      nonZero.push_back(v != 0);
  } else if (auto floats = readFloatConstant(x)) {
    for (double v : *floats)
      nonZero.push_back(v != 0);
  } else {
    return node.emitError() << "NonZero of a run-time tensor has a "
                               "data-dependent shape; PASO compiles static "
                               "shapes, so its input must be a constant";
  }
  int64_t rank = shape.size();
  SmallVector<int64_t> strides = computeSuffixProduct(shape);
  SmallVector<SmallVector<int64_t>> coordinates(rank);
  for (auto [flat, set] : llvm::enumerate(nonZero))
    if (set)
      for (int64_t d = 0; d < rank; ++d)
        coordinates[d].push_back((static_cast<int64_t>(flat) / strides[d]) %
                                 shape[d]);
  int64_t count = rank ? coordinates[0].size() : (nonZero.front() ? 1 : 0);
  if (count == 0)
    return node.emitError() << "NonZero finds no non-zero element, and PASO "
                               "does not compile empty tensors";
  SmallVector<int64_t> flat;
  for (const SmallVector<int64_t> &row : coordinates)
    flat.append(row);
  return c.bind(c.reshape(c.i64s(flat), {rank, count}));
}

/// GridSample on 2-D images; opset 16 spells the modes bilinear/bicubic.
LogicalResult convertGridSample(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), grid = c.input(1, "grid");
  if (!x || !grid)
    return failure();
  if (Composer::typeOf(x).getRank() != 4)
    return node.emitError() << "GridSample is supported on 2-D images (rank "
                               "4 input), got rank "
                            << Composer::typeOf(x).getRank();
  std::string mode =
      node.getString("mode", node.opset < 20 ? "bilinear" : "linear");
  if (mode == "bilinear")
    mode = "linear";
  else if (mode == "bicubic")
    mode = "cubic";
  std::string padding = node.getString("padding_mode", "zeros");
  if (mode != "linear" && mode != "nearest" && mode != "cubic")
    return node.emitError() << "unknown GridSample mode '" << mode << "'";
  if (padding != "zeros" && padding != "border" && padding != "reflection")
    return node.emitError() << "unknown GridSample padding_mode '" << padding
                            << "'";
  return c.bind(c.op<GridSampleOp>(
      {x, c.cast(grid, Composer::elementType(x))},
      {node.strAttr("mode", mode), node.strAttr("padding_mode", padding),
       node.boolAttr("align_corners",
                     node.getInt("align_corners", 0) != 0)}));
}

} // namespace

void appendIndexingConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"GatherElements", 11, convertGatherElements},
      {"GatherND", 11, convertGatherND},
      {"ScatterElements", 11, convertScatterElements},
      {"Scatter", 9, convertScatterElements},
      {"ScatterND", 11, convertScatterND},
      {"TopK", 1, convertTopK},
      {"NonZero", 9, convertNonZero},
      {"GridSample", 16, convertGridSample},
  });
}

} // namespace mlir::paso::onnx_import
