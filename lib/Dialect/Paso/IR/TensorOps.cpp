//===- TensorOps.cpp - data-movement paso ops -----------------------------===//
//
// Shape inference, verifiers and folders of constants, reshapes,
// permutations, concatenation, slicing, gathering, padding, resizing and
// reductions.
//
//===----------------------------------------------------------------------===//

#include "ConstantFolding.h"
#include "ShapeUtils.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/SmallBitVector.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::detail;

/// Row-major strides of a static shape.
static SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

/// Splits a row-major linear index into per-dim indices.
static void delinearize(int64_t linear, ArrayRef<int64_t> strides,
                        SmallVectorImpl<int64_t> &index) {
  index.resize(strides.size());
  for (size_t d = 0; d < strides.size(); ++d) {
    index[d] = linear / strides[d];
    linear %= strides[d];
  }
}

//===----------------------------------------------------------------------===//
// ConstantOp
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  auto type = dyn_cast<RankedTensorType>(adaptor.getValue().getType());
  if (!type)
    return inferError(loc, "value must be a ranked tensor");
  types.push_back(type);
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

//===----------------------------------------------------------------------===//
// ReshapeOp
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::inferReturnTypes(MLIRContext *,
                                          std::optional<Location> loc,
                                          Adaptor adaptor,
                                          SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  ArrayRef<int64_t> shape = adaptor.getShape();
  if (llvm::any_of(shape, [](int64_t d) { return d < 0; }))
    return inferError(loc, "shape " + shapeString(shape) +
                               " must be fully resolved (no -1)");
  if (inputType.hasStaticShape()) {
    int64_t count = 1;
    for (int64_t d : shape)
      count *= d;
    if (count != inputType.getNumElements())
      return inferError(loc, "cannot reshape " +
                                 shapeString(inputType.getShape()) + " (" +
                                 Twine(inputType.getNumElements()) +
                                 " elements) to " + shapeString(shape) + " (" +
                                 Twine(count) + " elements)");
  }
  types.push_back(inputType.clone(shape));
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  // reshape(reshape(x)) only depends on x's element order.
  if (auto producer = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(producer.getInput());
    return getResult();
  }
  if (DenseElementsAttr input = foldableConstant(adaptor.getInput()))
    return input.reshape(getType());
  // A weight blob keeps its bytes: only the type changes (a 1-D or 3-D
  // convolution's filter seen as 2-D), so the kernels still pack it.
  if (auto blob =
          dyn_cast_if_present<DenseResourceElementsAttr>(adaptor.getInput()))
    return DenseResourceElementsAttr::get(getType(), blob.getRawHandle());
  return {};
}

//===----------------------------------------------------------------------===//
// TransposeOp
//===----------------------------------------------------------------------===//

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  ArrayRef<int64_t> perm = adaptor.getPerm();
  int64_t rank = inputType.getRank();
  llvm::SmallBitVector seen(rank);
  bool valid = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t p : perm) {
    if (!valid || p < 0 || p >= rank || seen.test(p)) {
      valid = false;
      break;
    }
    seen.set(p);
  }
  if (!valid)
    return inferError(loc, "perm " + shapeString(perm) +
                               " is not a permutation of rank " + Twine(rank));
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(inputType.getDimSize(p));
  types.push_back(inputType.clone(shape));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor adaptor) {
  ArrayRef<int64_t> perm = getPerm();
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return getInput();
  // transpose(transpose(x, p), q) is transpose(x, p o q), or x itself when
  // the two cancel (layout round trips of exported models).
  if (auto inner = getInput().getDefiningOp<TransposeOp>()) {
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(inner.getPerm()[p]);
    if (llvm::equal(composed, llvm::seq<int64_t>(0, composed.size())))
      return inner.getInput();
    getInputMutable().assign(inner.getInput());
    setPerm(composed);
    return getResult();
  }
  DenseElementsAttr input = foldableConstant(adaptor.getInput());
  if (!input)
    return {};
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  SmallVector<int64_t> outStrides = stridesOf(getType().getShape());
  SmallVector<int64_t> index;
  return foldReorder(input, getType(), [&](int64_t linear) {
    delinearize(linear, outStrides, index);
    int64_t source = 0;
    for (size_t d = 0; d < perm.size(); ++d)
      source += index[d] * inStrides[perm[d]];
    return source;
  });
}

//===----------------------------------------------------------------------===//
// ConcatOp and SplitOp
//===----------------------------------------------------------------------===//

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  ValueRange inputs = adaptor.getInputs();
  if (inputs.empty())
    return inferError(loc, "needs at least one input");
  RankedTensorType first = rankedType(inputs.front());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(loc, axis, first.getRank())))
    return failure();
  SmallVector<int64_t> shape(first.getShape());
  for (Value input : inputs.drop_front()) {
    RankedTensorType type = rankedType(input);
    if (type.getElementType() != first.getElementType() ||
        type.getRank() != first.getRank())
      return inferError(loc, "inputs differ in element type or rank");
    for (int64_t d = 0; d < first.getRank(); ++d) {
      if (d == axis) {
        shape[d] = ShapedType::isDynamic(shape[d]) ||
                           type.isDynamicDim(d)
                       ? ShapedType::kDynamic
                       : shape[d] + type.getDimSize(d);
      } else if (!dimsAgree(shape[d], type.getDimSize(d))) {
        return inferError(loc, "input shapes " + shapeString(first.getShape()) +
                                   " and " + shapeString(type.getShape()) +
                                   " differ outside axis " + Twine(axis));
      }
    }
  }
  types.push_back(first.clone(shape));
  return success();
}

OpFoldResult ConcatOp::fold(FoldAdaptor adaptor) {
  if (getInputs().size() == 1 && getInputs().front().getType() == getType())
    return getInputs().front();
  SmallVector<DenseElementsAttr> inputs;
  for (Attribute attr : adaptor.getInputs()) {
    DenseElementsAttr input = foldableConstant(attr);
    if (!input)
      return {};
    inputs.push_back(input);
  }
  RankedTensorType type = getType();
  if (!type.hasStaticShape() || type.getNumElements() > maxFoldedElements())
    return {};
  int64_t axis = getAxis();
  // Elements are copied in blocks: for each outer index, each input
  // contributes its whole slab of dims from `axis` on.
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d)
    outer *= type.getDimSize(d);
  SmallVector<SmallVector<Attribute>> values;
  for (DenseElementsAttr input : inputs)
    values.push_back(llvm::to_vector(input.getValues<Attribute>()));
  SmallVector<Attribute> result;
  result.reserve(type.getNumElements());
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < inputs.size(); ++i) {
      int64_t slab = inputs[i].getNumElements() / std::max<int64_t>(outer, 1);
      llvm::append_range(result,
                         ArrayRef<Attribute>(values[i]).slice(o * slab, slab));
    }
  }
  return DenseElementsAttr::get(type, result);
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(loc, axis, inputType.getRank())))
    return failure();
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  int64_t total = 0;
  for (int64_t size : sizes) {
    if (size < 0)
      return inferError(loc, "split sizes must be non-negative");
    total += size;
  }
  if (!inputType.isDynamicDim(axis) && total != inputType.getDimSize(axis))
    return inferError(loc, "split sizes sum to " + Twine(total) +
                               " but dim " + Twine(axis) + " is " +
                               Twine(inputType.getDimSize(axis)));
  for (int64_t size : sizes) {
    SmallVector<int64_t> shape(inputType.getShape());
    shape[axis] = size;
    types.push_back(inputType.clone(shape));
  }
  return success();
}

//===----------------------------------------------------------------------===//
// SliceOp
//===----------------------------------------------------------------------===//

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        Adaptor adaptor,
                                        SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  ArrayRef<int64_t> starts = adaptor.getStarts(), ends = adaptor.getEnds(),
                    steps = adaptor.getSteps();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(starts.size()) != rank ||
      static_cast<int64_t>(ends.size()) != rank ||
      static_cast<int64_t>(steps.size()) != rank)
    return inferError(loc, "starts, ends and steps need one entry per dim (" +
                               Twine(rank) + ")");
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = inputType.getDimSize(d);
    int64_t start = starts[d], end = ends[d], step = steps[d];
    if (step == 0)
      return inferError(loc, "step of dim " + Twine(d) + " is 0");
    if (ShapedType::isDynamic(dim)) {
      shape.push_back(ShapedType::kDynamic);
      continue;
    }
    bool inRange = step > 0 ? (start >= 0 && start <= dim && end >= 0 &&
                               end <= dim)
                            : (start >= -1 && start < dim && end >= -1 &&
                               end < dim);
    if (!inRange)
      return inferError(loc, "bounds [" + Twine(start) + ", " + Twine(end) +
                                 ") with step " + Twine(step) +
                                 " are not normalised for dim " + Twine(d) +
                                 " of size " + Twine(dim));
    int64_t count = step > 0 ? (end - start + step - 1) / step
                             : (start - end + (-step) - 1) / (-step);
    shape.push_back(std::max<int64_t>(count, 0));
  }
  types.push_back(inputType.clone(shape));
  return success();
}

OpFoldResult SliceOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType() &&
      llvm::all_of(getSteps(), [](int64_t s) { return s == 1; }))
    return getInput();
  DenseElementsAttr input = foldableConstant(adaptor.getInput());
  if (!input)
    return {};
  SmallVector<int64_t> inStrides = stridesOf(input.getType().getShape());
  SmallVector<int64_t> outStrides = stridesOf(getType().getShape());
  ArrayRef<int64_t> starts = getStarts(), steps = getSteps();
  SmallVector<int64_t> index;
  return foldReorder(input, getType(), [&](int64_t linear) {
    delinearize(linear, outStrides, index);
    int64_t source = 0;
    for (size_t d = 0; d < index.size(); ++d)
      source += (starts[d] + index[d] * steps[d]) * inStrides[d];
    return source;
  });
}

//===----------------------------------------------------------------------===//
// GatherOp
//===----------------------------------------------------------------------===//

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType dataType = rankedType(adaptor.getData());
  RankedTensorType indicesType = rankedType(adaptor.getIndices());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  if (failed(checkAxis(loc, axis, dataType.getRank())))
    return failure();
  SmallVector<int64_t> shape(dataType.getShape().take_front(axis));
  llvm::append_range(shape, indicesType.getShape());
  llvm::append_range(shape, dataType.getShape().drop_front(axis + 1));
  types.push_back(dataType.clone(shape));
  return success();
}

LogicalResult GatherElementsOp::inferReturnTypes(
    MLIRContext *, std::optional<Location> loc, Adaptor adaptor,
    SmallVectorImpl<Type> &types) {
  RankedTensorType dataType = rankedType(adaptor.getData());
  RankedTensorType indicesType = rankedType(adaptor.getIndices());
  if (indicesType.getRank() != dataType.getRank())
    return inferError(loc, "indices must have the rank of data");
  if (failed(checkAxis(loc, adaptor.getAxis(), dataType.getRank())))
    return failure();
  types.push_back(dataType.clone(indicesType.getShape()));
  return success();
}

LogicalResult GatherNDOp::inferReturnTypes(MLIRContext *,
                                           std::optional<Location> loc,
                                           Adaptor adaptor,
                                           SmallVectorImpl<Type> &types) {
  RankedTensorType dataType = rankedType(adaptor.getData());
  RankedTensorType indicesType = rankedType(adaptor.getIndices());
  int64_t batch = adaptor.getBatchDims();
  int64_t indicesRank = indicesType.getRank();
  if (indicesRank < 1 || batch < 0 || batch >= indicesRank ||
      batch >= dataType.getRank())
    return inferError(loc, "batch_dims must be below the ranks of data and "
                           "indices");
  int64_t k = indicesType.getShape().back();
  if (ShapedType::isDynamic(k) || k < 1 || batch + k > dataType.getRank())
    return inferError(loc, "the index tuples are longer than data's rank "
                           "after the batch dims");
  if (dataType.getShape().take_front(batch) !=
      indicesType.getShape().take_front(batch))
    return inferError(loc, "data and indices differ in the batch dims");
  SmallVector<int64_t> shape(indicesType.getShape().drop_back());
  llvm::append_range(shape, dataType.getShape().drop_front(batch + k));
  types.push_back(dataType.clone(shape));
  return success();
}

LogicalResult GridSampleOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  RankedTensorType gridType = rankedType(adaptor.getGrid());
  if (inputType.getRank() != 4 || gridType.getRank() != 4 ||
      gridType.getDimSize(3) != 2)
    return inferError(loc, "grid_sample needs an N x C x H x W input and an "
                           "N x Ho x Wo x 2 grid");
  if (inputType.getDimSize(0) != gridType.getDimSize(0))
    return inferError(loc, "input and grid differ in batch size");
  types.push_back(inputType.clone({inputType.getDimSize(0),
                                   inputType.getDimSize(1),
                                   gridType.getDimSize(1),
                                   gridType.getDimSize(2)}));
  return success();
}

LogicalResult GridSampleOp::verify() {
  if (!llvm::is_contained({"linear", "nearest", "cubic"}, getMode()))
    return emitOpError("mode must be linear, nearest or cubic, got '")
           << getMode() << "'";
  if (!llvm::is_contained({"zeros", "border", "reflection"}, getPaddingMode()))
    return emitOpError("padding_mode must be zeros, border or reflection, "
                       "got '")
           << getPaddingMode() << "'";
  if (getInput().getType().getElementType() !=
      getGrid().getType().getElementType())
    return emitOpError("input and grid element types differ");
  return success();
}

OpFoldResult GatherOp::fold(FoldAdaptor adaptor) {
  DenseElementsAttr data = foldableConstant(adaptor.getData());
  DenseElementsAttr indices = foldableConstant(adaptor.getIndices());
  if (!data || !indices)
    return {};
  ArrayRef<int64_t> dataShape = data.getType().getShape();
  int64_t axis = getAxis();
  int64_t axisSize = dataShape[axis];
  SmallVector<int64_t> indexValues;
  for (const APInt &value : indices.getValues<APInt>()) {
    int64_t index = value.getSExtValue();
    if (index < 0)
      index += axisSize;
    if (index < 0 || index >= axisSize)
      return {};
    indexValues.push_back(index);
  }
  int64_t inner = 1;
  for (int64_t d : dataShape.drop_front(axis + 1))
    inner *= d;
  int64_t numIndices = indexValues.size();
  return foldReorder(data, getType(), [&](int64_t linear) {
    int64_t innerIndex = linear % inner;
    int64_t rest = linear / inner;
    int64_t which = rest % numIndices;
    int64_t outer = rest / numIndices;
    return (outer * axisSize + indexValues[which]) * inner + innerIndex;
  });
}

//===----------------------------------------------------------------------===//
// BroadcastToOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastToOp::inferReturnTypes(MLIRContext *,
                                              std::optional<Location> loc,
                                              Adaptor adaptor,
                                              SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  SmallVector<int64_t> shape;
  if (!broadcastShapePair(inputType.getShape(), adaptor.getShape(), shape))
    return inferError(loc, "cannot broadcast " +
                               shapeString(inputType.getShape()) + " to " +
                               shapeString(adaptor.getShape()));
  types.push_back(inputType.clone(shape));
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  DenseElementsAttr input = foldableConstant(adaptor.getInput());
  if (!input)
    return {};
  SmallVector<int64_t> map =
      broadcastIndexMap(input.getType().getShape(), getType().getShape());
  return foldReorder(input, getType(),
                     [&](int64_t linear) { return map[linear]; });
}

//===----------------------------------------------------------------------===//
// PadOp
//===----------------------------------------------------------------------===//

LogicalResult PadOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      Adaptor adaptor,
                                      SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  ArrayRef<int64_t> pads = adaptor.getPads();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return inferError(loc, "expected " + Twine(2 * rank) + " pads, got " +
                               Twine(pads.size()));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t dim = inputType.getDimSize(d);
    if (ShapedType::isDynamic(dim)) {
      shape.push_back(dim);
      continue;
    }
    int64_t size = dim + pads[d] + pads[rank + d];
    if (size < 0)
      return inferError(loc, "pads crop dim " + Twine(d) + " below zero");
    shape.push_back(size);
  }
  types.push_back(inputType.clone(shape));
  return success();
}

LogicalResult PadOp::verify() {
  StringRef mode = getMode();
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    return emitOpError("mode must be constant, reflect or edge, got '")
           << mode << "'";
  return success();
}

OpFoldResult PadOp::fold(FoldAdaptor) {
  if (llvm::all_of(getPads(), [](int64_t p) { return p == 0; }))
    return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// ResizeOp
//===----------------------------------------------------------------------===//

LogicalResult ResizeOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  ArrayRef<int64_t> sizes = adaptor.getSizes();
  int64_t rank = inputType.getRank();
  if (static_cast<int64_t>(sizes.size()) != rank ||
      static_cast<int64_t>(adaptor.getScales().size()) != rank)
    return inferError(loc, "sizes and scales need one entry per dim (" +
                               Twine(rank) + ")");
  if (llvm::any_of(sizes, [](int64_t s) { return s < 1; }) ||
      llvm::any_of(adaptor.getScales(), [](double s) { return s <= 0; }))
    return inferError(loc, "sizes and scales must be positive");
  types.push_back(inputType.clone(sizes));
  return success();
}

LogicalResult ResizeOp::verify() {
  StringRef mode = getMode();
  if (mode != "nearest" && mode != "linear")
    return emitOpError("mode must be nearest or linear, got '") << mode << "'";
  StringRef coordinates = getCoordinateTransformationMode();
  if (!llvm::is_contained({"half_pixel", "half_pixel_symmetric",
                           "pytorch_half_pixel", "align_corners",
                           "asymmetric"},
                          coordinates))
    return emitOpError("unsupported coordinate_transformation_mode '")
           << coordinates << "'";
  StringRef nearest = getNearestMode();
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          nearest))
    return emitOpError("unsupported nearest_mode '") << nearest << "'";
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

/// Shape after reducing `axes`; fails on unsorted, duplicate or bad axes.
static LogicalResult reducedShape(std::optional<Location> loc,
                                  RankedTensorType inputType,
                                  ArrayRef<int64_t> axes, bool keepDims,
                                  SmallVectorImpl<int64_t> &shape) {
  int64_t rank = inputType.getRank();
  for (size_t i = 0; i < axes.size(); ++i) {
    if (failed(checkAxis(loc, axes[i], rank)))
      return failure();
    if (i > 0 && axes[i] <= axes[i - 1])
      return inferError(loc, "axes must be sorted and unique");
  }
  for (int64_t d = 0; d < rank; ++d) {
    if (!llvm::is_contained(axes, d))
      shape.push_back(inputType.getDimSize(d));
    else if (keepDims)
      shape.push_back(1);
  }
  return success();
}

#define PASO_REDUCE_INFERENCE(OP)                                              \
  LogicalResult OP::inferReturnTypes(MLIRContext *,                            \
                                     std::optional<Location> loc,             \
                                     Adaptor adaptor,                          \
                                     SmallVectorImpl<Type> &types) {           \
    RankedTensorType inputType = rankedType(adaptor.getInput());               \
    SmallVector<int64_t> shape;                                                \
    if (failed(reducedShape(loc, inputType, adaptor.getAxes(),                 \
                            adaptor.getKeepdims(), shape)))                    \
      return failure();                                                        \
    types.push_back(inputType.clone(shape));                                   \
    return success();                                                          \
  }

PASO_REDUCE_INFERENCE(ReduceMeanOp)
PASO_REDUCE_INFERENCE(ReduceSumOp)
PASO_REDUCE_INFERENCE(ReduceMaxOp)
PASO_REDUCE_INFERENCE(ReduceMinOp)
PASO_REDUCE_INFERENCE(ReduceProdOp)
#undef PASO_REDUCE_INFERENCE

LogicalResult ArgMaxOp::inferReturnTypes(MLIRContext *context,
                                         std::optional<Location> loc,
                                         Adaptor adaptor,
                                         SmallVectorImpl<Type> &types) {
  RankedTensorType inputType = rankedType(adaptor.getInput());
  int64_t axis = static_cast<int64_t>(adaptor.getAxis());
  SmallVector<int64_t> shape;
  if (failed(reducedShape(loc, inputType, {axis}, adaptor.getKeepdims(),
                          shape)))
    return failure();
  types.push_back(RankedTensorType::get(shape, IntegerType::get(context, 64)));
  return success();
}

#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoTensorOps.cpp.inc"
