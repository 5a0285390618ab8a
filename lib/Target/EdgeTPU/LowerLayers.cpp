//===- LowerLayers.cpp - convolutions, products and pooling as TFLite -----===//

#include "Lowering.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::edgetpu;

LogicalResult Lowering::lowerConv(Operation *op, Value input, Value filter,
                                  Value bias, ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, int64_t group,
                                  Activation activation, int32_t output) {
  FailureOr<int32_t> in = operandTensor(input, op);
  if (failed(in))
    return failure();
  int32_t inputTensor = *in;
  if (model.tensors[inputTensor].shape.size() != 4 || strides.size() != 2)
    return fail(op, "a convolution that is not 2-D");
  FailureOr<Weights> weights = weightsOf(filter, 0, op);
  if (failed(weights))
    return failure();
  int64_t outChannels = weights->shape[0], perGroup = weights->shape[1];
  int64_t kh = weights->shape[2], kw = weights->shape[3];
  int64_t inChannels = model.tensors[inputTensor].shape[3];
  bool depthwise = group > 1 && group == inChannels && perGroup == 1;
  if (group != 1 && !depthwise)
    return fail(op, "a grouped convolution (" + std::to_string(group) +
                        " groups) that is not depthwise: no TFLite op the "
                        "Edge TPU maps runs it");
  std::vector<int8_t> data(weights->values.size());
  std::vector<int32_t> filterShape;
  if (depthwise) {
    // [1, kh, kw, O], quantised along the last dimension.
    for (int64_t o = 0; o < outChannels; ++o)
      for (int64_t t = 0; t < kh * kw; ++t)
        data[t * outChannels + o] =
            static_cast<int8_t>(weights->values[o * kh * kw + t]);
    filterShape = {1, static_cast<int32_t>(kh), static_cast<int32_t>(kw),
                   static_cast<int32_t>(outChannels)};
  } else {
    // OIHW -> OHWI, quantised along the first dimension.
    for (int64_t o = 0; o < outChannels; ++o)
      for (int64_t c = 0; c < perGroup; ++c)
        for (int64_t t = 0; t < kh * kw; ++t)
          data[(o * kh * kw + t) * perGroup + c] = static_cast<int8_t>(
              weights->values[(o * perGroup + c) * kh * kw + t]);
    filterShape = {static_cast<int32_t>(outChannels), static_cast<int32_t>(kh),
                   static_cast<int32_t>(kw), static_cast<int32_t>(perGroup)};
  }
  int32_t filterTensor = constantTensor(
      bytesOf(data), filterShape, ElementType::Int8, "filter", weights->scales,
      weights->zeroPoints, depthwise ? 3 : 0);
  FailureOr<int32_t> biasT =
      biasTensor(bias, gridOf(inputTensor).first, weights->scales, op);
  if (failed(biasT))
    return failure();
  std::optional<Padding> pad =
      padding(op, inputTensor, {kh, kw}, strides, pads, dilations,
              /*forMax=*/false, /*allowPad=*/true);
  Operator conv(depthwise ? OpCode::DepthwiseConv2D : OpCode::Conv2D);
  conv.inputs = {inputTensor, filterTensor, *biasT};
  conv.outputs = {output};
  conv.padding = *pad;
  conv.strideH = static_cast<int32_t>(strides[0]);
  conv.strideW = static_cast<int32_t>(strides[1]);
  conv.dilationH = static_cast<int32_t>(dilations[0]);
  conv.dilationW = static_cast<int32_t>(dilations[1]);
  conv.depthMultiplier = static_cast<int32_t>(outChannels / inChannels);
  conv.activation = activation;
  emit(op, conv);
  return success();
}

LogicalResult Lowering::lowerFullyConnected(Operation *op, Value lhs,
                                            Value rhs, bool transposed,
                                            Value bias, Activation activation,
                                            int32_t output) {
  FailureOr<int32_t> in = operandTensor(lhs, op);
  if (failed(in))
    return failure();
  if (model.tensors[*in].shape.size() != 2)
    return fail(op, "a product whose input is not a matrix");
  FailureOr<Weights> weights = weightsOf(rhs, transposed ? 0 : 1, op);
  if (failed(weights))
    return failure();
  int64_t n = transposed ? weights->shape[0] : weights->shape[1];
  int64_t k = transposed ? weights->shape[1] : weights->shape[0];
  // One scale: the Edge TPU's FULLY_CONNECTED takes per-tensor weights, so
  // per-column ones are re-rounded onto the largest scale (PASO's own
  // quantiser writes one scale for coral, and nothing is re-rounded).
  float scale = *llvm::max_element(weights->scales);
  bool rerounded = llvm::any_of(weights->scales,
                                [&](float s) { return s != scale; });
  std::vector<int8_t> data(n * k);
  for (int64_t j = 0; j < n; ++j)
    for (int64_t i = 0; i < k; ++i) {
      int64_t q = weights->values[transposed ? j * k + i : i * n + j];
      double value = std::nearbyint(q * (double)weights->scales[j] / scale);
      data[j * k + i] = static_cast<int8_t>(std::clamp(value, -127.0, 127.0));
    }
  int32_t filterTensor =
      constantTensor(bytesOf(data),
                     {static_cast<int32_t>(n), static_cast<int32_t>(k)},
                     ElementType::Int8, "weights", {scale}, {0});
  std::vector<float> scales(n, scale);
  FailureOr<int32_t> biasT = biasTensor(bias, gridOf(*in).first, scales, op);
  if (failed(biasT))
    return failure();
  model.tensors[*biasT].scales.resize(1);
  model.tensors[*biasT].zeroPoints.resize(1);
  Operator fc(OpCode::FullyConnected);
  fc.inputs = {*in, filterTensor, *biasT};
  fc.outputs = {output};
  fc.activation = activation;
  emit(op, fc,
       rerounded ? "per-column weights re-rounded onto one scale (the Edge "
                   "TPU's FULLY_CONNECTED takes one)"
                 : "");
  return success();
}

LogicalResult Lowering::lowerPool(Operation *op, bool isMax, Value input,
                                  ArrayRef<int64_t> kernel,
                                  ArrayRef<int64_t> strides,
                                  ArrayRef<int64_t> pads,
                                  ArrayRef<int64_t> dilations, bool ceilMode,
                                  bool countIncludePad, int32_t output) {
  FailureOr<int32_t> in = operandTensor(input, op);
  if (failed(in))
    return failure();
  int32_t inputTensor = *in;
  if (kernel.size() != 2 ||
      llvm::any_of(dilations, [](int64_t d) { return d != 1; }))
    return fail(op, "a pooling that is not 2-D or is dilated");
  const std::vector<int32_t> &inShape = model.tensors[inputTensor].shape;
  if (ceilMode) {
    // Ceil mode is floor mode when the windows fit exactly.
    for (int d = 0; d < 2; ++d)
      if ((inShape[1 + d] + pads[d] + pads[d + 2] - kernel[d]) % strides[d])
        return fail(op, "ceil_mode with a partial last window");
  }
  std::optional<Padding> pad;
  if (isMax) {
    pad = padding(op, inputTensor, kernel, strides, pads, dilations, true,
                  true);
  } else {
    // TFLite's SAME average excludes the padding from the count; explicit
    // zero padding includes it.
    pad = padding(op, inputTensor, kernel, strides, pads, dilations, false,
                  /*allowPad=*/countIncludePad,
                  /*sameAllowed=*/!countIncludePad);
    if (!pad)
      return fail(op, "an average pooling that leaves padding out of the "
                      "count with pads TFLite's SAME does not make");
  }
  int32_t written = onInputGrid(inputTensor, output);
  Operator pool(isMax ? OpCode::MaxPool2D : OpCode::AveragePool2D);
  pool.inputs = {inputTensor};
  pool.outputs = {written};
  pool.padding = *pad;
  pool.filterH = static_cast<int32_t>(kernel[0]);
  pool.filterW = static_cast<int32_t>(kernel[1]);
  pool.strideH = static_cast<int32_t>(strides[0]);
  pool.strideW = static_cast<int32_t>(strides[1]);
  emit(op, pool);
  requantizeInto(written, output, op);
  return success();
}
