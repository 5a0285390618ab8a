//===- ConvConverters.cpp - Conv and pooling, 1-D to 3-D ------------------===//
//
// The CPU kernels are 2-D (NCHW or NHWC). Other spatial ranks are mapped
// onto them here rather than given kernels of their own:
//  - 1-D: the 2-D op on a height-1 image;
//  - 3-D convolution: each output depth sees kd input depths, so the depth
//    windows are gathered into channels (an im2col along depth only) and one
//    2-D convolution runs with batch N * D_out;
//  - 3-D pooling: max and average over a box are separable, so a 2-D pool
//    over (H, W) is followed by a 2-D pool over (D, 1);
//  - grouped convolutions that are not depthwise: one ungrouped
//    convolution per group, concatenated.
// Constant filters are rearranged here (rearrangedConstant), so that the
// kernels still see constant weights to pack. ConvTranspose, built on the
// same convolution, is in ConvTransposeConverter.cpp.
//
//===----------------------------------------------------------------------===//

#include "ConvWindows.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"

#include <limits>

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

Dims fromWindow(const Window &w) {
  return {w.kernel, w.strides, w.dilations, w.pads};
}

} // namespace

Value rearrangedConstant(
    Composer &c, Value w, ArrayRef<int64_t> shape,
    llvm::function_ref<void(ArrayRef<int64_t>, SmallVectorImpl<int64_t> &)>
        source) {
  if (!w)
    return {};
  SmallVector<int64_t> inStrides = computeSuffixProduct(Composer::shapeOf(w));
  SmallVector<int64_t> outStrides = computeSuffixProduct(shape);
  SmallVector<int64_t> index(shape.size()), from;
  return c.rearrangedConstant(
      w, RankedTensorType::get(shape, Composer::elementType(w)),
      [&](int64_t flat) -> int64_t {
        for (size_t d = 0; d < shape.size(); ++d)
          index[d] = (flat / outStrides[d]) % shape[d];
        from.clear();
        source(index, from);
        if (from.empty())
          return -1;
        return linearize(from, inStrides);
      },
      c.node.node.name() + "_filter");
}
/// A grouped convolution that is not depthwise (ResNeXt blocks, the
/// grouped transposed convolutions of decoders) as one ungrouped
/// convolution per group and a concat: the GEMM kernel takes ungrouped
/// convolutions only, and the filter slices are constants it packs.
static Value groupByGroup(Composer &c, Value x, Value w, Value bias,
                          const Dims &d, int64_t group) {
  ArrayRef<int64_t> ws = Composer::shapeOf(w);
  int64_t inPerGroup = Composer::shapeOf(x)[1] / group,
          outPerGroup = ws[0] / group;
  SmallVector<Value> parts;
  for (int64_t g = 0; g < group; ++g) {
    SmallVector<int64_t> filterShape(ws);
    filterShape[0] = outPerGroup;
    Value filter = rearrangedConstant(
        c, w, filterShape,
        [&](ArrayRef<int64_t> at, SmallVectorImpl<int64_t> &from) {
          from.assign(at.begin(), at.end());
          from[0] += g * outPerGroup;
        });
    if (!filter)
      filter = c.sliceAxis(w, 0, g * outPerGroup, (g + 1) * outPerGroup);
    Value part = conv2D(
        c, c.sliceAxis(x, 1, g * inPerGroup, (g + 1) * inPerGroup), filter,
        bias ? c.sliceAxis(bias, 0, g * outPerGroup, (g + 1) * outPerGroup)
             : Value(),
        d, 1);
    parts.push_back(part);
  }
  return c.op<ConcatOp>(parts, {c.node.i64Attr("axis", 1)});
}

Value conv2D(Composer &c, Value x, Value w, Value bias, const Dims &d,
             int64_t group) {
  if (!x || !w)
    return {};
  int64_t channels = Composer::shapeOf(x)[1];
  bool depthwise = group == channels && Composer::shapeOf(w)[0] == channels;
  if (group > 1 && !depthwise && Composer::shapeOf(x).size() == 4 &&
      channels % group == 0 && Composer::shapeOf(w)[0] % group == 0)
    return groupByGroup(c, x, w, bias, d, group);
  SmallVector<Value> operands{x, w};
  if (bias)
    operands.push_back(bias);
  NodeImporter &n = c.node;
  return c.op<ConvOp>(operands, {n.arrayAttr("strides", d.strides),
                                 n.arrayAttr("pads", d.pads),
                                 n.arrayAttr("dilations", d.dilations),
                                 n.i64Attr("group", group)});
}

/// Convolution of any spatial rank from 1 to 3 on the 2-D op.
Value convolution(Composer &c, Value x, Value w, Value bias, const Dims &d,
                  int64_t group) {
  if (!x || !w)
    return {};
  ArrayRef<int64_t> xs = Composer::shapeOf(x), ws = Composer::shapeOf(w);
  switch (d.rank()) {
  case 2:
    return conv2D(c, x, w, bias, d, group);
  case 1: {
    Value y = conv2D(c, c.reshape(x, {xs[0], xs[1], 1, xs[2]}),
                     c.reshape(w, {ws[0], ws[1], 1, ws[2]}), bias,
                     d.pick(-1, 0), group);
    if (!y)
      return {};
    ArrayRef<int64_t> ys = Composer::shapeOf(y);
    return c.reshape(y, {ys[0], ys[1], ys[3]});
  }
  case 3: {
    // Pad depth, gather each output depth's kd input depths (D_out x kd
    // indices), and make them channels: [N*D_out, C*kd, H, W].
    int64_t n = xs[0], ch = xs[1];
    Value padded = x;
    if (d.begin(0) || d.end(0))
      padded = c.op<PadOp>(
          x, {c.node.arrayAttr("pads", {0, 0, d.begin(0), 0, 0, 0, 0, d.end(0),
                                        0, 0}),
              c.node.strAttr("mode", "constant"),
              c.node.attr("value", c.node.builder.getF64FloatAttr(0))});
    if (!padded)
      return {};
    int64_t depth = Composer::shapeOf(padded)[2];
    int64_t span = (d.kernel[0] - 1) * d.dilations[0] + 1;
    if (depth < span)
      return c.error("the depth window is larger than the padded input");
    int64_t outDepth = (depth - span) / d.strides[0] + 1;
    SmallVector<int64_t> indices;
    for (int64_t o = 0; o < outDepth; ++o)
      for (int64_t k = 0; k < d.kernel[0]; ++k)
        indices.push_back(o * d.strides[0] + k * d.dilations[0]);
    Value index = c.reshape(c.i64s(indices), {outDepth, d.kernel[0]});
    Value windows = c.op<GatherOp>({padded, index},
                                   {c.node.i64Attr("axis", 2)});
    Value batched = c.reshape(
        c.transpose(windows, {0, 2, 1, 3, 4, 5}),
        {n * outDepth, ch * d.kernel[0], xs[3], xs[4]});
    Value filter =
        c.reshape(w, {ws[0], ws[1] * ws[2], ws[3], ws[4]});
    Value y = conv2D(c, batched, filter, bias, d.pick(1, 2), group);
    if (!y)
      return {};
    ArrayRef<int64_t> ys = Composer::shapeOf(y);
    return c.transpose(c.reshape(y, {n, outDepth, ys[1], ys[2], ys[3]}),
                       {0, 2, 1, 3, 4});
  }
  default:
    return c.error("convolution needs 1, 2 or 3 spatial dims, got " +
                   llvm::Twine(d.rank()));
  }
}

namespace {

template <typename OpTy>
Value pool2D(Composer &c, Value x, const Dims &d, ArrayRef<NamedAttribute> extra) {
  NodeImporter &n = c.node;
  SmallVector<NamedAttribute> attrs{n.arrayAttr("kernel_shape", d.kernel),
                                    n.arrayAttr("strides", d.strides),
                                    n.arrayAttr("pads", d.pads),
                                    n.arrayAttr("dilations", d.dilations)};
  attrs.append(extra.begin(), extra.end());
  return c.op<OpTy>(x, attrs);
}

/// Pooling of any spatial rank from 1 to 3 on the 2-D op.
template <typename OpTy>
Value pooling(Composer &c, Value x, const Dims &d,
              ArrayRef<NamedAttribute> extra) {
  if (!x)
    return {};
  ArrayRef<int64_t> xs = Composer::shapeOf(x);
  switch (d.rank()) {
  case 2:
    return pool2D<OpTy>(c, x, d, extra);
  case 1: {
    Value y = pool2D<OpTy>(c, c.reshape(x, {xs[0], xs[1], 1, xs[2]}),
                           d.pick(-1, 0), extra);
    if (!y)
      return {};
    ArrayRef<int64_t> ys = Composer::shapeOf(y);
    return c.reshape(y, {ys[0], ys[1], ys[3]});
  }
  case 3: {
    int64_t n = xs[0], ch = xs[1], depth = xs[2];
    Value planes = pool2D<OpTy>(
        c, c.reshape(x, {n, ch * depth, xs[3], xs[4]}), d.pick(1, 2), extra);
    if (!planes)
      return {};
    ArrayRef<int64_t> ps = Composer::shapeOf(planes);
    int64_t h = ps[2], w = ps[3];
    Value y = pool2D<OpTy>(c, c.reshape(planes, {n, ch, depth, h * w}),
                           d.pick(0, -1), extra);
    if (!y)
      return {};
    return c.reshape(y, {n, ch, Composer::shapeOf(y)[2], h, w});
  }
  default:
    return c.error("pooling needs 1, 2 or 3 spatial dims, got " +
                   llvm::Twine(d.rank()));
  }
}

LogicalResult convertConv(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), w = c.input(1, "W");
  if (!x || !w)
    return failure();
  RankedTensorType filterType = Composer::typeOf(w);
  SmallVector<int64_t> kernel = node.getInts("kernel_shape");
  if (kernel.empty())
    kernel.assign(filterType.getShape().begin() +
                      std::min<int64_t>(2, filterType.getRank()),
                  filterType.getShape().end());
  FailureOr<Window> window = readWindow(node, Composer::typeOf(x), kernel);
  if (failed(window))
    return failure();
  if (ArrayRef<int64_t>(kernel) != filterType.getShape().drop_front(2))
    return node.emitError() << "kernel_shape does not match the filter shape";
  return c.bind(convolution(c, x, w, node.input(2), fromWindow(*window),
                            node.getInt("group", 1)));
}

/// MaxPool's Indices output for a 2-D window: for each window offset, the
/// strided slice of the -inf padded input and the flat index of its
/// elements (row-major over H, W, or column-major with storage_order 1,
/// plus (n * C + c) * H * W), keeping the first maximum, as ONNX does.
/// The values themselves still come from the max-pool kernel.
Value maxPoolIndices(Composer &c, Value x, const Dims &d,
                     ArrayRef<int64_t> outShape, bool columnMajor) {
  ArrayRef<int64_t> xs = Composer::shapeOf(x);
  int64_t n = xs[0], ch = xs[1], h = xs[2], w = xs[3];
  int64_t oh = outShape[2], ow = outShape[3];
  // Rows and columns the windows reach (ceil mode may reach past the pads).
  int64_t rows = (oh - 1) * d.strides[0] + (d.kernel[0] - 1) * d.dilations[0] + 1;
  int64_t cols = (ow - 1) * d.strides[1] + (d.kernel[1] - 1) * d.dilations[1] + 1;
  Value padded = c.op<PadOp>(
      x, {c.node.arrayAttr("pads", {0, 0, d.begin(0), d.begin(1), 0, 0,
                                    rows - h - d.begin(0),
                                    cols - w - d.begin(1)}),
          c.node.strAttr("mode", "constant"),
          c.node.attr("value", c.node.builder.getF64FloatAttr(
                                   -std::numeric_limits<double>::infinity()))});
  SmallVector<int64_t> planeBase;
  for (int64_t i = 0; i < n * ch; ++i)
    planeBase.push_back(i * h * w);
  Value base = c.reshape(c.i64s(planeBase), {n, ch, 1, 1});
  Value best, bestIndex;
  for (int64_t i = 0; i < d.kernel[0]; ++i)
    for (int64_t j = 0; j < d.kernel[1]; ++j) {
      int64_t top = i * d.dilations[0], left = j * d.dilations[1];
      Value v = c.op<SliceOp>(
          padded, {c.node.arrayAttr("starts", {0, 0, top, left}),
                   c.node.arrayAttr("ends", {n, ch, top + (oh - 1) * d.strides[0] + 1,
                                             left + (ow - 1) * d.strides[1] + 1}),
                   c.node.arrayAttr("steps", {1, 1, d.strides[0], d.strides[1]})});
      // The input row and column each output position reads here.
      SmallVector<int64_t> rowTerm, colTerm;
      for (int64_t r = 0; r < oh; ++r) {
        int64_t row = r * d.strides[0] + top - d.begin(0);
        rowTerm.push_back(columnMajor ? row : row * w);
      }
      for (int64_t q = 0; q < ow; ++q) {
        int64_t col = q * d.strides[1] + left - d.begin(1);
        colTerm.push_back(columnMajor ? col * h : col);
      }
      Value index = c.op<AddOp>(
          {base, c.op<AddOp>({c.reshape(c.i64s(rowTerm), {1, 1, oh, 1}),
                              c.reshape(c.i64s(colTerm), {1, 1, 1, ow})})});
      if (!best) {
        best = v;
        bestIndex = c.broadcastTo(index, outShape);
        continue;
      }
      Value greater = c.op<GreaterOp>({v, best});
      best = c.op<WhereOp>({greater, v, best});
      bestIndex = c.op<WhereOp>({greater, index, bestIndex});
    }
  return bestIndex;
}

template <typename OpTy>
LogicalResult convertPool(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  if (!node.has("kernel_shape"))
    return node.emitError() << "pooling needs kernel_shape";
  int64_t storageOrder = node.getInt("storage_order", 0);
  if (storageOrder != 0 && storageOrder != 1)
    return node.emitError() << "storage_order must be 0 or 1, got "
                            << storageOrder;
  FailureOr<Window> window =
      readWindow(node, Composer::typeOf(x), node.getInts("kernel_shape"));
  if (failed(window))
    return failure();
  SmallVector<NamedAttribute> extra{
      node.boolAttr("ceil_mode", node.getInt("ceil_mode", 0) != 0)};
  if constexpr (std::is_same_v<OpTy, AveragePoolOp>)
    extra.push_back(node.boolAttr("count_include_pad",
                                  node.getInt("count_include_pad", 0) != 0));
  Value values = pooling<OpTy>(c, x, fromWindow(*window), extra);
  bool wantsIndices = std::is_same_v<OpTy, MaxPoolOp> &&
                      node.node.output_size() > 1 &&
                      !node.node.output(1).empty();
  if (!wantsIndices || !values)
    return c.bind(values);
  if (Composer::typeOf(x).getRank() != 4)
    return node.emitError() << "MaxPool's Indices output is supported for "
                               "2-D pooling";
  return c.bind({values, maxPoolIndices(c, x, fromWindow(*window),
                                        Composer::shapeOf(values),
                                        storageOrder == 1)});
}

/// |x|^p, with the common p = 1 and p = 2 as one op.
Value absPower(Composer &c, Value x, int64_t p) {
  if (p == 1)
    return c.op<AbsOp>(x);
  if (p == 2)
    return c.op<MulOp>({x, x});
  return c.op<PowOp>({c.op<AbsOp>(x), c.scalar(Composer::elementType(x), p)});
}

Value root(Composer &c, Value x, int64_t p) {
  if (p == 1)
    return x;
  if (p == 2)
    return c.op<SqrtOp>(x);
  return c.op<PowOp>({x, c.scalar(Composer::elementType(x), 1.0 / p)});
}

/// LpPool: (sum over the window of |x|^p)^(1/p), the sum being an average
/// pool counting the zero padding, times the window size.
LogicalResult convertLpPool(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  int64_t p = node.getInt("p", 2);
  if (p < 1)
    return node.emitError() << "LpPool p must be >= 1, got " << p;
  if (!node.has("kernel_shape"))
    return node.emitError() << "pooling needs kernel_shape";
  if (node.getInt("ceil_mode", 0) != 0)
    return node.emitError() << "LpPool with ceil_mode is not supported";
  FailureOr<Window> window =
      readWindow(node, Composer::typeOf(x), node.getInts("kernel_shape"));
  if (failed(window))
    return failure();
  int64_t size = 1;
  for (int64_t k : window->kernel)
    size *= k;
  Value mean = pooling<AveragePoolOp>(
      c, absPower(c, x, p), fromWindow(*window),
      {node.boolAttr("ceil_mode", false),
       node.boolAttr("count_include_pad", true)});
  Value sum = c.op<MulOp>({mean, c.scalar(Composer::elementType(x), size)});
  return c.bind(root(c, sum, p));
}

LogicalResult convertGlobalLpPool(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  int64_t p = node.getInt("p", 2);
  int64_t rank = Composer::typeOf(x).getRank();
  if (p < 1 || rank < 3)
    return node.emitError() << "GlobalLpPool needs p >= 1 and rank >= 3";
  SmallVector<int64_t> spatial = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  return c.bind(
      root(c, c.reduce<ReduceSumOp>(absPower(c, x, p), spatial, true), p));
}

} // namespace

void appendConvConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"Conv", 1, convertConv},
      {"MaxPool", 1, convertPool<MaxPoolOp>},
      {"AveragePool", 1, convertPool<AveragePoolOp>},
      {"LpPool", 2, convertLpPool},
      {"GlobalLpPool", 2, convertGlobalLpPool},
  });
}

} // namespace mlir::paso::onnx_import
