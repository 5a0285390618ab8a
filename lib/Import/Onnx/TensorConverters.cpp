//===- TensorConverters.cpp - data-movement ONNX ops to paso --------------===//
//
// Converters for constants, shape queries, reshapes, permutations, joins,
// slices, gathers, padding, resizing and reductions. ONNX inputs that these
// ops need as numbers (shapes, axes, bounds) must be constant once the
// importer has folded the graph's shape arithmetic; they become attributes.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "llvm/ADT/STLExtras.h"

#include <cmath>

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

LogicalResult bindResult(NodeImporter &node, FailureOr<Value> result) {
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// Sorted, unique, non-negative axes.
FailureOr<SmallVector<int64_t>> normalizeAxes(NodeImporter &node,
                                              ArrayRef<int64_t> axes,
                                              int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    FailureOr<int64_t> normalized = node.normalizeAxis(axis, rank);
    if (failed(normalized))
      return failure();
    result.push_back(*normalized);
  }
  llvm::sort(result);
  if (std::adjacent_find(result.begin(), result.end()) != result.end())
    return node.emitError() << "axes contain duplicates";
  return result;
}

//===--- Constants --------------------------------------------------------===//

LogicalResult convertConstant(NodeImporter &node) {
  if (node.node.attribute_size() != 1)
    return node.emitError() << "Constant needs exactly one value attribute";
  const onnx::AttributeProto &attr = node.node.attribute(0);
  Builder &b = node.builder;
  auto make = [&](Type element, ArrayRef<int64_t> shape, auto values) {
    return cast<ElementsAttr>(
        DenseElementsAttr::get(RankedTensorType::get(shape, element), values));
  };
  FailureOr<ElementsAttr> value = failure();
  if (attr.name() == "value") {
    value = node.convertTensor(attr.t());
  } else if (attr.name() == "value_float") {
    value = make(b.getF32Type(), {}, ArrayRef<float>(attr.f()));
  } else if (attr.name() == "value_floats") {
    SmallVector<float> data(attr.floats().begin(), attr.floats().end());
    value = make(b.getF32Type(), {static_cast<int64_t>(data.size())},
                 ArrayRef<float>(data));
  } else if (attr.name() == "value_int") {
    value = make(b.getI64Type(), {}, ArrayRef<int64_t>(attr.i()));
  } else if (attr.name() == "value_ints") {
    SmallVector<int64_t> data(attr.ints().begin(), attr.ints().end());
    value = make(b.getI64Type(), {static_cast<int64_t>(data.size())},
                 ArrayRef<int64_t>(data));
  } else {
    return node.emitError() << "Constant attribute '" << attr.name()
                            << "' (sparse or string) is not supported";
  }
  if (failed(value))
    return failure();
  return node.setOutputs(node.constant(*value));
}

LogicalResult convertConstantOfShape(NodeImporter &node) {
  FailureOr<SmallVector<int64_t>> shape = node.constantInts(0, "input");
  if (failed(shape))
    return failure();
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return node.emitError() << "ConstantOfShape shape has a negative dim";
  Attribute scalar = node.builder.getF32FloatAttr(0.0f);
  Type element = node.builder.getF32Type();
  if (const onnx::AttributeProto *attr = node.attribute("value")) {
    FailureOr<ElementsAttr> value = node.convertTensor(attr->t());
    if (failed(value))
      return failure();
    if (value->getNumElements() != 1)
      return node.emitError() << "ConstantOfShape value must hold one element";
    element = value->getElementType();
    scalar = *value->getValues<Attribute>().begin();
  }
  auto type = RankedTensorType::get(*shape, element);
  return node.setOutputs(node.constant(
      cast<ElementsAttr>(SplatElementsAttr::get(type, scalar))));
}

/// Shape (with opset 15 start/end) of a statically shaped input.
LogicalResult convertShape(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  int64_t rank = type.getRank();
  auto clampIndex = [&](int64_t i) {
    return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank);
  };
  int64_t start = clampIndex(node.getInt("start", 0));
  int64_t end = clampIndex(node.getInt("end", rank));
  ArrayRef<int64_t> dims =
      type.getShape().slice(start, std::max<int64_t>(end - start, 0));
  if (llvm::any_of(dims, ShapedType::isDynamic))
    return node.emitError() << "Shape of a dynamic dim cannot be computed";
  return node.setOutputs(node.constantI64(dims));
}

LogicalResult convertSize(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  if (!type.hasStaticShape())
    return node.emitError() << "Size of a dynamic shape cannot be computed";
  auto scalarType = RankedTensorType::get({}, node.builder.getI64Type());
  return node.setOutputs(node.constant(cast<ElementsAttr>(
      DenseElementsAttr::get(scalarType, type.getNumElements()))));
}

/// Range with constant inputs becomes a constant.
LogicalResult convertRange(NodeImporter &node) {
  FailureOr<SmallVector<double>> start = node.constantFloats(0, "start");
  FailureOr<SmallVector<double>> limit = node.constantFloats(1, "limit");
  FailureOr<SmallVector<double>> delta = node.constantFloats(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (start->size() != 1 || limit->size() != 1 || delta->size() != 1 ||
      delta->front() == 0)
    return node.emitError() << "Range needs scalar inputs and a non-zero delta";
  int64_t count = std::max<int64_t>(
      0, static_cast<int64_t>(std::ceil((limit->front() - start->front()) /
                                        delta->front())));
  Type element = node.inputType(0).getElementType();
  auto type = RankedTensorType::get({count}, element);
  SmallVector<Attribute> values;
  for (int64_t i = 0; i < count; ++i) {
    double v = start->front() + i * delta->front();
    if (isa<FloatType>(element))
      values.push_back(FloatAttr::get(element, v));
    else
      values.push_back(IntegerAttr::get(element, static_cast<int64_t>(v)));
  }
  return node.setOutputs(
      node.constant(cast<ElementsAttr>(DenseElementsAttr::get(type, values))));
}

//===--- Reshapes ---------------------------------------------------------===//

FailureOr<Value> reshapeTo(NodeImporter &node, Value input,
                           ArrayRef<int64_t> shape) {
  return node.create1<ReshapeOp>(input, {node.arrayAttr("shape", shape)});
}

LogicalResult convertReshape(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  FailureOr<SmallVector<int64_t>> shape = node.constantInts(1, "shape");
  if (failed(input) || failed(shape))
    return failure();
  RankedTensorType type = node.inputType(0);
  if (!type.hasStaticShape())
    return node.emitError() << "Reshape needs a statically shaped input";
  bool allowZero = node.getInt("allowzero", 0) != 0;
  int64_t known = 1, inferred = -1;
  SmallVector<int64_t> resolved(*shape);
  for (auto [i, dim] : llvm::enumerate(resolved)) {
    if (dim == 0 && !allowZero) {
      if (i >= static_cast<size_t>(type.getRank()))
        return node.emitError() << "shape copies dim " << i
                                << " that the input does not have";
      dim = type.getDimSize(i);
    }
    if (dim == -1) {
      if (inferred >= 0)
        return node.emitError() << "shape has more than one -1";
      inferred = i;
      continue;
    }
    if (dim < 0)
      return node.emitError() << "shape has invalid dim " << dim;
    known *= dim;
  }
  if (inferred >= 0) {
    if (known == 0 || type.getNumElements() % known != 0)
      return node.emitError() << "cannot infer the -1 dim: "
                              << type.getNumElements()
                              << " elements do not divide by " << known;
    resolved[inferred] = type.getNumElements() / known;
  }
  return bindResult(node, reshapeTo(node, *input, resolved));
}

LogicalResult convertFlatten(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  int64_t rank = type.getRank();
  int64_t axis = node.getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis > rank)
    return node.emitError() << "axis " << node.getInt("axis", 1)
                            << " is out of range for rank " << rank;
  if (!type.hasStaticShape())
    return node.emitError() << "Flatten needs a statically shaped input";
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < axis ? outer : inner) *= type.getDimSize(d);
  return bindResult(node, reshapeTo(node, *input, {outer, inner}));
}

/// Squeeze: axes from the attribute (opset < 13) or the optional input.
LogicalResult convertSqueeze(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  FailureOr<SmallVector<int64_t>> given = node.intsFromAttrOrInput("axes", 13, 1);
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes = *given;
  if (axes.empty()) {
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.getDimSize(d) == 1)
        axes.push_back(d);
  }
  FailureOr<SmallVector<int64_t>> normalized =
      normalizeAxes(node, axes, type.getRank());
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!llvm::is_contained(*normalized, d)) {
      shape.push_back(type.getDimSize(d));
      continue;
    }
    if (type.getDimSize(d) != 1)
      return node.emitError() << "cannot squeeze dim " << d << " of size "
                              << type.getDimSize(d);
  }
  return bindResult(node, reshapeTo(node, *input, shape));
}

LogicalResult convertUnsqueeze(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  if (node.opset >= 13 && !node.input(1))
    return node.emitError() << "Unsqueeze needs the axes input";
  FailureOr<SmallVector<int64_t>> given = node.intsFromAttrOrInput("axes", 13, 1);
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes = *given;
  RankedTensorType type = node.inputType(0);
  int64_t outRank = type.getRank() + axes.size();
  FailureOr<SmallVector<int64_t>> normalized =
      normalizeAxes(node, axes, outRank);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> shape;
  auto dims = type.getShape();
  size_t next = 0;
  for (int64_t d = 0; d < outRank; ++d)
    shape.push_back(llvm::is_contained(*normalized, d) ? 1 : dims[next++]);
  return bindResult(node, reshapeTo(node, *input, shape));
}

//===--- Permutations and joins --------------------------------------------===//

LogicalResult convertTranspose(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  SmallVector<int64_t> perm = node.getInts("perm");
  if (perm.empty())
    perm = llvm::to_vector(llvm::reverse(
        llvm::seq<int64_t>(0, node.inputType(0).getRank())));
  return bindResult(node, node.create1<TransposeOp>(
                              *input, {node.arrayAttr("perm", perm)}));
}

LogicalResult convertConcat(NodeImporter &node) {
  SmallVector<Value> inputs;
  for (size_t i = 0; i < node.numInputs(); ++i) {
    FailureOr<Value> input = node.requiredInput(i, "inputs");
    if (failed(input))
      return failure();
    inputs.push_back(*input);
  }
  if (inputs.empty())
    return node.emitError() << "Concat needs at least one input";
  if (!node.has("axis"))
    return node.emitError() << "Concat needs the 'axis' attribute";
  FailureOr<int64_t> axis = node.normalizeAxis(
      node.getInt("axis", 0), node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return bindResult(node, node.create1<ConcatOp>(
                              inputs, {node.i64Attr("axis", *axis)}));
}

LogicalResult convertSplit(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", 0), type.getRank());
  if (failed(axis))
    return failure();
  int64_t dim = type.getDimSize(*axis);
  FailureOr<SmallVector<int64_t>> given =
      node.intsFromAttrOrInput("split", 13, 1);
  if (failed(given))
    return failure();
  SmallVector<int64_t> sizes = *given;
  if (sizes.empty()) {
    int64_t pieces = node.opset >= 18 && node.has("num_outputs")
                         ? node.getInt("num_outputs", 1)
                         : node.node.output_size();
    if (pieces < 1 || ShapedType::isDynamic(dim))
      return node.emitError() << "cannot split a dynamic or empty axis";
    // Opset 18 lets the last piece be smaller; earlier opsets need equal ones.
    int64_t chunk = (dim + pieces - 1) / pieces;
    if (node.opset < 18 && dim % pieces != 0)
      return node.emitError() << "dim " << dim << " does not split into "
                              << pieces << " equal pieces";
    for (int64_t i = 0; i < pieces; ++i)
      sizes.push_back(std::min(chunk, dim - i * chunk));
  }
  FailureOr<SmallVector<Value>> results = node.create<SplitOp>(
      *input, {node.i64Attr("axis", *axis), node.arrayAttr("sizes", sizes)});
  return failed(results) ? failure() : node.setOutputs(*results);
}

//===--- Slicing and gathering ---------------------------------------------===//

/// Normalises ONNX slice bounds for one dim as the ONNX reference does.
void normalizeSliceDim(int64_t dim, int64_t step, int64_t &start,
                       int64_t &end) {
  if (start < 0)
    start += dim;
  if (end < 0)
    end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
}

LogicalResult convertSlice(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  if (!type.hasStaticShape())
    return node.emitError() << "Slice needs a statically shaped input";
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  if (node.opset < 10) {
    starts = node.getInts("starts");
    ends = node.getInts("ends");
    axes = node.getInts("axes");
  } else {
    FailureOr<SmallVector<int64_t>> s = node.constantInts(1, "starts");
    FailureOr<SmallVector<int64_t>> e = node.constantInts(2, "ends");
    if (failed(s) || failed(e))
      return failure();
    starts = *s;
    ends = *e;
    if (node.input(3)) {
      FailureOr<SmallVector<int64_t>> a = node.constantInts(3, "axes");
      if (failed(a))
        return failure();
      axes = *a;
    }
    if (node.input(4)) {
      FailureOr<SmallVector<int64_t>> st = node.constantInts(4, "steps");
      if (failed(st))
        return failure();
      steps = *st;
    }
  }
  if (axes.empty())
    axes = llvm::to_vector(llvm::seq<int64_t>(0, starts.size()));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || starts.size() != axes.size() ||
      starts.size() != steps.size())
    return node.emitError()
           << "starts, ends, axes and steps must have the same length";
  SmallVector<int64_t> fullStarts(rank, 0), fullEnds(type.getShape()),
      fullSteps(rank, 1);
  for (size_t i = 0; i < axes.size(); ++i) {
    FailureOr<int64_t> axis = node.normalizeAxis(axes[i], rank);
    if (failed(axis))
      return failure();
    if (steps[i] == 0)
      return node.emitError() << "Slice step is 0";
    int64_t start = starts[i], end = ends[i];
    normalizeSliceDim(type.getDimSize(*axis), steps[i], start, end);
    fullStarts[*axis] = start;
    fullEnds[*axis] = end;
    fullSteps[*axis] = steps[i];
  }
  return bindResult(node, node.create1<SliceOp>(
                              *input, {node.arrayAttr("starts", fullStarts),
                                       node.arrayAttr("ends", fullEnds),
                                       node.arrayAttr("steps", fullSteps)}));
}

LogicalResult convertGather(NodeImporter &node) {
  FailureOr<Value> data = node.requiredInput(0, "data");
  FailureOr<Value> indices = node.requiredInput(1, "indices");
  if (failed(data) || failed(indices))
    return failure();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 0),
                                               node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return bindResult(node,
                    node.create1<GatherOp>(ValueRange{*data, *indices},
                                           {node.i64Attr("axis", *axis)}));
}

LogicalResult convertExpand(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  FailureOr<SmallVector<int64_t>> shape = node.constantInts(1, "shape");
  if (failed(input) || failed(shape))
    return failure();
  return bindResult(node, node.create1<BroadcastToOp>(
                              *input, {node.arrayAttr("shape", *shape)}));
}

//===--- Padding and resizing ----------------------------------------------===//

LogicalResult convertPad(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  SmallVector<int64_t> pads;
  double value = 0.0;
  if (node.opset < 11) {
    pads = node.getInts("pads");
    value = node.getFloat("value", 0.0f);
  } else {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "pads");
    if (failed(given))
      return failure();
    pads = *given;
    if (node.input(2)) {
      FailureOr<SmallVector<double>> constant =
          node.constantFloats(2, "constant_value");
      if (failed(constant))
        return failure();
      if (!constant->empty())
        value = constant->front();
    }
    if (node.input(3)) {
      // Opset 18: pads cover only `axes`; spread them over all dims.
      FailureOr<SmallVector<int64_t>> axes = node.constantInts(3, "axes");
      if (failed(axes))
        return failure();
      if (pads.size() != 2 * axes->size())
        return node.emitError() << "pads must have twice as many entries as "
                                   "axes";
      SmallVector<int64_t> full(2 * rank, 0);
      for (auto [i, axis] : llvm::enumerate(*axes)) {
        FailureOr<int64_t> normalized = node.normalizeAxis(axis, rank);
        if (failed(normalized))
          return failure();
        full[*normalized] = pads[i];
        full[rank + *normalized] = pads[axes->size() + i];
      }
      pads = full;
    }
  }
  std::string mode = node.getString("mode", "constant");
  if (mode == "wrap")
    return node.emitError() << "Pad mode 'wrap' is not supported";
  return bindResult(
      node, node.create1<PadOp>(
                *input, {node.arrayAttr("pads", pads), node.strAttr("mode", mode),
                         node.attr("value", node.builder.getF64FloatAttr(value))}));
}

/// Resize (opsets 10+) and Upsample (7, 9) share one op.
LogicalResult convertResize(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  if (!type.hasStaticShape())
    return node.emitError() << "Resize needs a statically shaped input";
  bool isUpsample = node.node.op_type() == "Upsample";
  int64_t rank = type.getRank();
  SmallVector<double> scales;
  SmallVector<int64_t> sizes;
  if (isUpsample && node.opset < 9) {
    for (float s : node.getFloats("scales"))
      scales.push_back(s);
  } else {
    // Upsample-9 and Resize-10 take scales as input 1; Resize-11+ as input 2
    // with sizes as input 3.
    size_t scalesIndex = (isUpsample || node.opset < 11) ? 1 : 2;
    if (node.input(scalesIndex)) {
      FailureOr<SmallVector<double>> given =
          node.constantFloats(scalesIndex, "scales");
      if (failed(given))
        return failure();
      scales = *given;
    }
    if (!isUpsample && node.opset >= 11 && node.input(3)) {
      FailureOr<SmallVector<int64_t>> given = node.constantInts(3, "sizes");
      if (failed(given))
        return failure();
      sizes = *given;
    }
  }
  if (node.has("axes"))
    return node.emitError() << "Resize with 'axes' is not supported";
  if (sizes.empty() && static_cast<int64_t>(scales.size()) != rank)
    return node.emitError() << "Resize needs " << rank
                            << " scales or sizes";
  if (!sizes.empty()) {
    if (static_cast<int64_t>(sizes.size()) != rank)
      return node.emitError() << "Resize needs " << rank << " sizes";
    scales.clear();
    for (int64_t d = 0; d < rank; ++d)
      scales.push_back(static_cast<double>(sizes[d]) / type.getDimSize(d));
  } else {
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(
          static_cast<int64_t>(std::floor(type.getDimSize(d) * scales[d])));
  }
  std::string mode = node.getString("mode", "nearest");
  if (mode == "bilinear")
    mode = "linear";
  if (mode != "nearest" && mode != "linear")
    return node.emitError() << "Resize mode '" << mode
                            << "' is not supported";
  bool legacy = isUpsample || node.opset < 11;
  std::string coordinates =
      legacy ? "asymmetric"
             : node.getString("coordinate_transformation_mode", "half_pixel");
  if (coordinates == "tf_crop_and_resize")
    return node.emitError() << "tf_crop_and_resize is not supported";
  std::string nearest =
      legacy ? "floor" : node.getString("nearest_mode", "round_prefer_floor");
  if (node.getInt("antialias", 0) != 0)
    return node.emitError() << "antialiased Resize is not supported";
  return bindResult(
      node,
      node.create1<ResizeOp>(
          *input,
          {node.arrayAttr("sizes", sizes),
           node.attr("scales", node.builder.getDenseF64ArrayAttr(scales)),
           node.strAttr("mode", mode),
           node.strAttr("coordinate_transformation_mode", coordinates),
           node.strAttr("nearest_mode", nearest)}));
}

//===--- Reductions ---------------------------------------------------------===//

/// Reductions take axes as an attribute until `axesInputSince`, then as an
/// optional input; no axes means all (unless noop_with_empty_axes).
template <typename OpTy, int64_t axesInputSince>
LogicalResult convertReduce(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  FailureOr<ReduceAxes> axes = readReduceAxes(node, axesInputSince);
  if (failed(input) || failed(axes))
    return failure();
  return bindResult(
      node, node.create1<OpTy>(
                *input, {node.arrayAttr("axes", axes->axes),
                         node.boolAttr("keepdims", axes->keepdims)}));
}

LogicalResult convertArgMax(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "data");
  if (failed(input))
    return failure();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", 0),
                                               node.inputType(0).getRank());
  if (failed(axis))
    return failure();
  return bindResult(
      node,
      node.create1<ArgMaxOp>(
          *input,
          {node.i64Attr("axis", *axis),
           node.boolAttr("keepdims", node.getInt("keepdims", 1) != 0),
           node.boolAttr("select_last_index",
                         node.getInt("select_last_index", 0) != 0)}));
}

} // namespace

FailureOr<ReduceAxes> readReduceAxes(NodeImporter &node,
                                     int64_t axesInputSince) {
  int64_t rank = node.inputType(0).getRank();
  FailureOr<SmallVector<int64_t>> given =
      node.intsFromAttrOrInput("axes", axesInputSince, 1);
  if (failed(given))
    return failure();
  SmallVector<int64_t> axes = *given;
  if (axes.empty() && node.getInt("noop_with_empty_axes", 0) == 0)
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  FailureOr<SmallVector<int64_t>> normalized = normalizeAxes(node, axes, rank);
  if (failed(normalized))
    return failure();
  return ReduceAxes{*normalized, node.getInt("keepdims", 1) != 0};
}

void appendTensorConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"Constant", 1, convertConstant},
      {"ConstantOfShape", 9, convertConstantOfShape},
      {"Shape", 1, convertShape},
      {"Size", 1, convertSize},
      {"Range", 11, convertRange},
      {"Reshape", 5, convertReshape},
      {"Flatten", 1, convertFlatten},
      {"Squeeze", 1, convertSqueeze},
      {"Unsqueeze", 1, convertUnsqueeze},
      {"Transpose", 1, convertTranspose},
      {"Concat", 4, convertConcat},
      {"Split", 2, convertSplit},
      {"Slice", 1, convertSlice},
      {"Gather", 1, convertGather},
      {"Expand", 8, convertExpand},
      {"Pad", 2, convertPad},
      {"Resize", 10, convertResize},
      {"Upsample", 7, convertResize},
      {"ReduceMean", 1, convertReduce<ReduceMeanOp, 18>},
      {"ReduceSum", 1, convertReduce<ReduceSumOp, 13>},
      {"ReduceMax", 1, convertReduce<ReduceMaxOp, 18>},
      {"ReduceMin", 1, convertReduce<ReduceMinOp, 18>},
      {"ReduceProd", 1, convertReduce<ReduceProdOp, 18>},
      {"ArgMax", 1, convertArgMax},
  });
}

} // namespace mlir::paso::onnx_import
