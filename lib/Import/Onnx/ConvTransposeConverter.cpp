//===- ConvTransposeConverter.cpp - ONNX ConvTranspose, 1-D to 3-D --------===//
//
// ConvTranspose on the convolution kernels, in the cheapest form that
// applies:
//  - kernel equal to stride (the upsampling of DBNet and U-Net decoders):
//    a 1x1 convolution to M * prod(K) channels and a depth-to-space;
//  - 2-D with a constant filter and no dilation: one convolution computing
//    every output phase (sub-pixel), the same rearrangement and a crop;
//  - otherwise: a convolution of the input with stride - 1 zeros inserted
//    between neighbours, with the flipped, channel-swapped filter.
//
//===----------------------------------------------------------------------===//

#include "ConvWindows.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

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

void appendConvTransposeConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({{"ConvTranspose", 1, convertConvTranspose}});
}

} // namespace mlir::paso::onnx_import
