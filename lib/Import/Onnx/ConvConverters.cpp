//===- ConvConverters.cpp - Conv, ConvTranspose and pooling, 1-D to 3-D ---===//
//
// The CPU kernels are 2-D (NCHW or NHWC). Other spatial ranks are mapped
// onto them here rather than given kernels of their own:
//  - 1-D: the 2-D op on a height-1 image;
//  - 3-D convolution: each output depth sees kd input depths, so the depth
//    windows are gathered into channels (an im2col along depth only) and one
//    2-D convolution runs with batch N * D_out;
//  - 3-D pooling: max and average over a box are separable, so a 2-D pool
//    over (H, W) is followed by a 2-D pool over (D, 1);
//  - ConvTranspose: a convolution of the stride-dilated, padded input with
//    the flipped, channel-swapped kernel; the upsampling form whose kernel
//    equals its stride (DBNet, U-Net decoders) is a 1x1 convolution followed
//    by a depth-to-space rearrangement, with no wasted multiplications, and
//    any other 2-D one with a constant filter is one convolution computing
//    every output phase (sub-pixel) followed by the same rearrangement;
//  - grouped convolutions that are not depthwise: one ungrouped
//    convolution per group, concatenated.
// Constant filters are rearranged here (rearrangedConstant), so that the
// kernels still see constant weights to pack.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "mlir/Dialect/Utils/IndexingUtils.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

/// A window with one entry per spatial dim (pads: begins then ends).
struct Dims {
  SmallVector<int64_t> kernel, strides, dilations, pads;
  int64_t rank() const { return kernel.size(); }
  int64_t begin(int64_t i) const { return pads[i]; }
  int64_t end(int64_t i) const { return pads[rank() + i]; }
  /// The 2-D window made of spatial dims `a` and `b` (-1: a unit dim).
  Dims pick(int64_t a, int64_t b) const {
    Dims d;
    for (int64_t i : {a, b}) {
      d.kernel.push_back(i < 0 ? 1 : kernel[i]);
      d.strides.push_back(i < 0 ? 1 : strides[i]);
      d.dilations.push_back(i < 0 ? 1 : dilations[i]);
    }
    for (int64_t i : {a, b})
      d.pads.push_back(i < 0 ? 0 : begin(i));
    for (int64_t i : {a, b})
      d.pads.push_back(i < 0 ? 0 : end(i));
    return d;
  }
};

Dims fromWindow(const Window &w) {
  return {w.kernel, w.strides, w.dilations, w.pads};
}

/// For a constant f32 `w`, the constant of `shape` whose element at each
/// index is `w`'s at `source(index)` (both as coordinates; no coordinates
/// mean 0): weights are
/// rearranged at import, as blobs the folders cannot touch, so that the
/// convolution kernels still find constant filters to pack. Null when `w`
/// is not such a constant.
Value rearrangedConstant(
    Composer &c, Value w, ArrayRef<int64_t> shape,
    llvm::function_ref<void(ArrayRef<int64_t>, SmallVectorImpl<int64_t> &)>
        source) {
  if (!w || !Composer::elementType(w).isF32())
    return {};
  std::optional<SmallVector<double>> values = readFloatConstant(w);
  if (!values)
    return {};
  SmallVector<int64_t> inStrides = computeSuffixProduct(Composer::shapeOf(w));
  SmallVector<int64_t> outStrides = computeSuffixProduct(shape);
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  SmallVector<float> out(count);
  SmallVector<int64_t> index(shape.size()), from;
  for (int64_t flat = 0; flat < count; ++flat) {
    for (size_t d = 0; d < shape.size(); ++d)
      index[d] = (flat / outStrides[d]) % shape[d];
    from.clear();
    source(index, from);
    // No source coordinates: a zero (a tap the filter does not have).
    if (from.empty()) {
      out[flat] = 0;
      continue;
    }
    int64_t offset = 0;
    for (size_t d = 0; d < from.size(); ++d)
      offset += from[d] * inStrides[d];
    out[flat] = static_cast<float>((*values)[offset]);
  }
  auto type = RankedTensorType::get(shape, c.node.builder.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(out.data()),
                       out.size() * sizeof(float));
  return c.node.constant(elementsFromBytes(
      type, bytes, c.node.node.name() + "_filter"));
}

Value conv2D(Composer &c, Value x, Value w, Value bias, const Dims &d,
             int64_t group);

/// A grouped convolution that is not depthwise (ResNeXt blocks, the
/// grouped transposed convolutions of decoders) as one ungrouped
/// convolution per group and a concat: the GEMM kernel takes ungrouped
/// convolutions only, and the filter slices are constants it packs.
Value groupByGroup(Composer &c, Value x, Value w, Value bias, const Dims &d,
                   int64_t group) {
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

template <typename OpTy>
LogicalResult convertPool(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X");
  if (!x)
    return failure();
  if (!node.has("kernel_shape"))
    return node.emitError() << "pooling needs kernel_shape";
  if (node.getInt("storage_order", 0) != 0)
    return node.emitError() << "column-major storage_order is not supported";
  FailureOr<Window> window =
      readWindow(node, Composer::typeOf(x), node.getInts("kernel_shape"));
  if (failed(window))
    return failure();
  SmallVector<NamedAttribute> extra{
      node.boolAttr("ceil_mode", node.getInt("ceil_mode", 0) != 0)};
  if constexpr (std::is_same_v<OpTy, AveragePoolOp>)
    extra.push_back(node.boolAttr("count_include_pad",
                                  node.getInt("count_include_pad", 0) != 0));
  return c.bind(pooling<OpTy>(c, x, fromWindow(*window), extra));
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

//===--- ConvTranspose ------------------------------------------------------===//

/// `x` with `stride - 1` zeros between neighbours along dim `axis`.
Value insertZeros(Composer &c, Value x, int64_t axis, int64_t stride) {
  if (!x || stride == 1)
    return x;
  SmallVector<int64_t> shape(Composer::shapeOf(x));
  int64_t length = shape[axis];
  SmallVector<int64_t> unit(shape), gap(shape), merged(shape);
  unit.insert(unit.begin() + axis + 1, 1);
  gap.insert(gap.begin() + axis + 1, stride - 1);
  merged[axis] = length * stride;
  Value zeros = c.constant(
      RankedTensorType::get(gap, Composer::elementType(x)), 0);
  Value joined = c.op<ConcatOp>({c.reshape(x, unit), zeros},
                                {c.node.i64Attr("axis", axis + 1)});
  return c.sliceAxis(c.reshape(joined, merged), axis, 0,
                     (length - 1) * stride + 1);
}

/// The convolution filter equivalent to a ConvTranspose filter
/// [C, M/g, K...]: [M, C/g, K...] with every spatial dim reversed.
Value flippedFilter(Composer &c, Value w, int64_t group) {
  if (!w)
    return w;
  ArrayRef<int64_t> ws = Composer::shapeOf(w);
  {
    int64_t perGroupOut = ws[1], perGroupIn = ws[0] / group;
    SmallVector<int64_t> shape{perGroupOut * group, perGroupIn};
    shape.append(ws.begin() + 2, ws.end());
    if (Value constant = rearrangedConstant(
            c, w, shape,
            [&](ArrayRef<int64_t> at, SmallVectorImpl<int64_t> &from) {
              // Output channel m of group g reads input channel
              // g * C/g + c's filter column m % (M/g).
              int64_t g = at[0] / perGroupOut;
              from.push_back(g * perGroupIn + at[1]);
              from.push_back(at[0] % perGroupOut);
              for (size_t d = 2; d < at.size(); ++d)
                from.push_back(ws[d] - 1 - at[d]);
            }))
      return constant;
  }
  int64_t rank = ws.size();
  SmallVector<int64_t> grouped{group, ws[0] / group, ws[1]};
  grouped.append(ws.begin() + 2, ws.end());
  SmallVector<int64_t> perm{0, 2, 1};
  for (int64_t i = 3; i < rank + 1; ++i)
    perm.push_back(i);
  SmallVector<int64_t> swapped{ws[1] * group, ws[0] / group};
  swapped.append(ws.begin() + 2, ws.end());
  Value result = c.reshape(c.transpose(c.reshape(w, grouped), perm), swapped);
  for (int64_t axis = 2; axis < rank; ++axis) {
    SmallVector<int64_t> reversed;
    for (int64_t i = ws[axis] - 1; i >= 0; --i)
      reversed.push_back(i);
    result = c.op<GatherOp>({result, c.i64s(reversed)},
                            {c.node.i64Attr("axis", axis)});
  }
  return result;
}

/// Kernel == stride, no padding or dilation, one group: every input pixel
/// writes its own KxK output block, so the op is a 1x1 convolution to
/// M * prod(K) channels and a rearrangement of those channels into space.
Value upsamplingConvTranspose(Composer &c, Value x, Value w, Value bias,
                              const Dims &d) {
  ArrayRef<int64_t> xs = Composer::shapeOf(x), ws = Composer::shapeOf(w);
  int64_t rank = d.rank(), outChannels = ws[1], block = 1;
  for (int64_t k : d.kernel)
    block *= k;
  // [C, M, K...] -> [M, K..., C] -> [M * prod(K), C, 1...].
  SmallVector<int64_t> toRows{1};
  for (int64_t i = 0; i < rank; ++i)
    toRows.push_back(2 + i);
  toRows.push_back(0);
  SmallVector<int64_t> pointwise{outChannels * block, ws[0]};
  pointwise.append(rank, 1);
  Value filter = rearrangedConstant(
      c, w, pointwise,
      [&](ArrayRef<int64_t> at, SmallVectorImpl<int64_t> &from) {
        // Row m * prod(K) + k reads W[c, m, k as coordinates].
        int64_t m = at[0] / block, k = at[0] % block;
        from.append({at[1], m});
        SmallVector<int64_t> offsets(rank);
        for (int64_t dim = rank - 1; dim >= 0; --dim) {
          offsets[dim] = k % d.kernel[dim];
          k /= d.kernel[dim];
        }
        from.append(offsets.begin(), offsets.end());
      });
  if (!filter)
    filter = c.reshape(c.transpose(w, toRows), pointwise);
  if (bias)
    bias = c.reshape(c.broadcastTo(c.reshape(bias, {outChannels, 1}),
                                   {outChannels, block}),
                     {outChannels * block});
  Dims unit{SmallVector<int64_t>(rank, 1), SmallVector<int64_t>(rank, 1),
            SmallVector<int64_t>(rank, 1), SmallVector<int64_t>(2 * rank, 0)};
  Value y = convolution(c, x, filter, bias, unit, 1);
  // [N, M, K..., D...] -> [N, M, D1, K1, D2, K2, ...] -> [N, M, D*K...].
  SmallVector<int64_t> split{xs[0], outChannels};
  split.append(d.kernel.begin(), d.kernel.end());
  split.append(xs.begin() + 2, xs.end());
  SmallVector<int64_t> interleave{0, 1}, merged{xs[0], outChannels};
  for (int64_t i = 0; i < rank; ++i) {
    interleave.append({2 + rank + i, 2 + i});
    merged.push_back(xs[2 + i] * d.kernel[i]);
  }
  return c.reshape(c.transpose(c.reshape(y, split), interleave), merged);
}

/// A 2-D ConvTranspose with a constant filter, one group and no dilation,
/// by output phase (sub-pixel): output row t = q * s + r only sees filter
/// taps r, r + s, ..., so all s x s phases are one ordinary convolution of
/// the input with s*s*M filters of ceil(k/s)^2 taps, followed by a pixel
/// shuffle and a crop. No multiplication by inserted zeros. Null when the
/// form does not apply.
Value subPixelConvTranspose(Composer &c, Value x, Value w, Value bias,
                            const Dims &d, ArrayRef<int64_t> outputPadding) {
  ArrayRef<int64_t> xs = Composer::shapeOf(x), ws = Composer::shapeOf(w);
  if (d.rank() != 2 ||
      llvm::any_of(d.dilations, [](int64_t v) { return v != 1; }))
    return {};
  int64_t channels = ws[0], outChannels = ws[1];
  SmallVector<int64_t> taps(2), phases(2), quotients(2), lengths(2);
  for (int64_t i = 0; i < 2; ++i) {
    int64_t s = d.strides[i], k = d.kernel[i], in = xs[2 + i];
    int64_t full = (in - 1) * s + k + outputPadding[i];
    lengths[i] = full - d.begin(i) - d.end(i);
    taps[i] = (k + s - 1) / s;
    phases[i] = s;
    quotients[i] = (full + s - 1) / s;
    // Outputs that only the bias reaches (negative pads) are left to the
    // general form.
    if (d.begin(i) < 0 || d.begin(i) + lengths[i] > quotients[i] * s)
      return {};
  }
  int64_t phaseCount = phases[0] * phases[1];
  SmallVector<int64_t> filterShape{phaseCount * outChannels, channels,
                                   taps[0], taps[1]};
  Value filter = rearrangedConstant(
      c, w, filterShape,
      [&](ArrayRef<int64_t> at, SmallVectorImpl<int64_t> &from) {
        int64_t phase = at[0] / outChannels, m = at[0] % outChannels;
        int64_t rh = phase / phases[1], rw = phase % phases[1];
        // Correlation order: tap j of the phase's filter is kernel tap
        // r + s * (taps - 1 - j).
        int64_t kh = rh + d.strides[0] * (taps[0] - 1 - at[2]);
        int64_t kw = rw + d.strides[1] * (taps[1] - 1 - at[3]);
        if (kh < d.kernel[0] && kw < d.kernel[1])
          from.append({at[1], m, kh, kw});
      });
  if (!filter)
    return {};
  if (bias)
    bias = c.reshape(c.broadcastTo(c.reshape(bias, {1, outChannels}),
                                   {phaseCount, outChannels}),
                     {phaseCount * outChannels});
  // taps - 1 zeros before the input and enough after it for every quotient.
  Dims conv{SmallVector<int64_t>(taps), {1, 1}, {1, 1},
            {taps[0] - 1, taps[1] - 1, quotients[0] - xs[2],
             quotients[1] - xs[3]}};
  Value y = conv2D(c, x, filter, bias, conv, 1);
  int64_t n = xs[0];
  Value shuffled = c.reshape(
      c.transpose(c.reshape(y, {n, phases[0], phases[1], outChannels,
                                quotients[0], quotients[1]}),
                  {0, 3, 4, 1, 5, 2}),
      {n, outChannels, quotients[0] * phases[0], quotients[1] * phases[1]});
  Value rows = c.sliceAxis(shuffled, 2, d.begin(0), d.begin(0) + lengths[0]);
  return c.sliceAxis(rows, 3, d.begin(1), d.begin(1) + lengths[1]);
}

/// A grouped ConvTranspose as one sub-pixel ConvTranspose per group
/// (input channels and filter rows of the group), concatenated.
Value subPixelByGroup(Composer &c, Value x, Value w, Value bias,
                      const Dims &d, ArrayRef<int64_t> outputPadding,
                      int64_t group) {
  ArrayRef<int64_t> ws = Composer::shapeOf(w);
  int64_t inPerGroup = ws[0] / group, outPerGroup = ws[1];
  SmallVector<Value> parts;
  for (int64_t g = 0; g < group; ++g) {
    SmallVector<int64_t> sliceShape(ws);
    sliceShape[0] = inPerGroup;
    Value filter = rearrangedConstant(
        c, w, sliceShape,
        [&](ArrayRef<int64_t> at, SmallVectorImpl<int64_t> &from) {
          from.assign(at.begin(), at.end());
          from[0] += g * inPerGroup;
        });
    if (!filter)
      return {};
    Value part = subPixelConvTranspose(
        c, c.sliceAxis(x, 1, g * inPerGroup, (g + 1) * inPerGroup), filter,
        bias ? c.sliceAxis(bias, 0, g * outPerGroup, (g + 1) * outPerGroup)
             : Value(),
        d, outputPadding);
    if (!part)
      return {};
    parts.push_back(part);
  }
  return c.op<ConcatOp>(parts, {c.node.i64Attr("axis", 1)});
}

LogicalResult convertConvTranspose(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), w = c.input(1, "W");
  if (!x || !w)
    return failure();
  ArrayRef<int64_t> xs = Composer::shapeOf(x), ws = Composer::shapeOf(w);
  int64_t rank = static_cast<int64_t>(xs.size()) - 2;
  int64_t group = node.getInt("group", 1);
  if (rank < 1 || ws.size() != xs.size() || group < 1 ||
      xs[1] % group != 0 || ws[0] != xs[1])
    return node.emitError() << "ConvTranspose needs X [N, C, D...] and W [C, "
                               "M/group, K...] of the same rank, C divisible "
                               "by group";
  auto orDefault = [&](StringRef name, int64_t size, int64_t value) {
    SmallVector<int64_t> v = node.getInts(name);
    if (v.empty())
      v.assign(size, value);
    return v;
  };
  Dims d;
  d.kernel = orDefault("kernel_shape", rank, 0);
  if (!node.has("kernel_shape"))
    d.kernel.assign(ws.begin() + 2, ws.end());
  d.strides = orDefault("strides", rank, 1);
  d.dilations = orDefault("dilations", rank, 1);
  SmallVector<int64_t> outputPadding = orDefault("output_padding", rank, 0);
  SmallVector<int64_t> outputShape = node.getInts("output_shape");
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (static_cast<int64_t>(d.kernel.size()) != rank ||
      ArrayRef<int64_t>(d.kernel) != ws.drop_front(2) ||
      static_cast<int64_t>(d.strides.size()) != rank ||
      static_cast<int64_t>(d.dilations.size()) != rank ||
      static_cast<int64_t>(outputPadding.size()) != rank)
    return node.emitError() << "kernel_shape (matching W), strides, dilations "
                               "and output_padding need "
                            << rank << " entries";
  if (autoPad != "NOTSET" && autoPad != "VALID" && autoPad != "SAME_UPPER" &&
      autoPad != "SAME_LOWER")
    return node.emitError() << "unknown auto_pad '" << autoPad << "'";
  // output_shape (given, or input * stride under SAME_*) fixes the pads:
  // the total is split with the extra pad at the end for SAME_UPPER and at
  // the start otherwise, as ONNX specifies.
  bool same = autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER";
  if (outputShape.size() > static_cast<size_t>(rank))
    outputShape.erase(outputShape.begin(),
                      outputShape.end() - rank); // full N, C, D... form
  if (!outputShape.empty() || same) {
    if (outputShape.empty())
      for (int64_t i = 0; i < rank; ++i)
        outputShape.push_back(xs[2 + i] * d.strides[i]);
    if (static_cast<int64_t>(outputShape.size()) != rank)
      return node.emitError() << "output_shape needs " << rank << " entries";
    d.pads.assign(2 * rank, 0);
    for (int64_t i = 0; i < rank; ++i) {
      int64_t total = d.strides[i] * (xs[2 + i] - 1) + outputPadding[i] +
                      (d.kernel[i] - 1) * d.dilations[i] + 1 - outputShape[i];
      // A negative total (output_shape beyond the full result) pads the
      // end with outputs that only get the bias, as ONNX Runtime does.
      int64_t half = llvm::divideFloorSigned(total, int64_t(2));
      d.pads[i] = autoPad == "SAME_UPPER" ? half : total - half;
      d.pads[rank + i] = total - d.pads[i];
    }
  } else {
    d.pads = orDefault("pads", 2 * rank, 0);
    if (static_cast<int64_t>(d.pads.size()) != 2 * rank)
      return node.emitError() << "pads needs " << 2 * rank << " entries";
  }
  Value bias = node.input(2);
  bool upsampling = group == 1 && d.kernel == d.strides &&
                    llvm::all_of(d.dilations, [](int64_t v) { return v == 1; }) &&
                    llvm::all_of(d.pads, [](int64_t v) { return v == 0; }) &&
                    llvm::all_of(outputPadding, [](int64_t v) { return v == 0; });
  if (upsampling)
    return c.bind(upsamplingConvTranspose(c, x, w, bias, d));
  if (group == 1) {
    if (Value y = subPixelConvTranspose(c, x, w, bias, d, outputPadding))
      return c.bind(y);
  } else if (Value y = subPixelByGroup(c, x, w, bias, d, outputPadding,
                                       group)) {
    return c.bind(y);
  }
  // Dilate by the stride, pad by span - 1 - pad (negative crops; the end
  // also gets output_padding), then convolve with the flipped filter.
  Value dilated = x;
  SmallVector<int64_t> pads(2 * (rank + 2), 0);
  for (int64_t i = 0; i < rank; ++i) {
    dilated = insertZeros(c, dilated, 2 + i, d.strides[i]);
    int64_t span = (d.kernel[i] - 1) * d.dilations[i] + 1;
    pads[2 + i] = span - 1 - d.begin(i);
    pads[rank + 4 + i] = span - 1 - d.end(i) + outputPadding[i];
  }
  Value padded = c.op<PadOp>(
      dilated, {node.arrayAttr("pads", pads), node.strAttr("mode", "constant"),
                node.attr("value", node.builder.getF64FloatAttr(0))});
  Dims conv{d.kernel, SmallVector<int64_t>(rank, 1), d.dilations,
            SmallVector<int64_t>(2 * rank, 0)};
  return c.bind(
      convolution(c, padded, flippedFilter(c, w, group), bias, conv, group));
}

} // namespace

void appendConvConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"Conv", 1, convertConv},
      {"ConvTranspose", 1, convertConvTranspose},
      {"MaxPool", 1, convertPool<MaxPoolOp>},
      {"AveragePool", 1, convertPool<AveragePoolOp>},
      {"LpPool", 2, convertLpPool},
      {"GlobalLpPool", 2, convertGlobalLpPool},
  });
}

} // namespace mlir::paso::onnx_import
