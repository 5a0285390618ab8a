//===- TFLiteWriter.cpp - serialise a TFLite model with flatbuffers -------===//
//
// Uses the code flatc generates from tflite_subset.fbs, so field ids and
// enum values come from one place, checked by flatc.
//
//===----------------------------------------------------------------------===//

#include "TFLiteModel.h"
#include "EdgeTpuRules.h"

#include "tflite_subset_generated.h"

#include <algorithm>

namespace fb = flatbuffers;
namespace schema = paso::tflite;
using namespace mlir::paso::edgetpu;

static fb::Offset<schema::QuantizationParameters>
writeQuantization(fb::FlatBufferBuilder &builder, const Tensor &tensor) {
  if (tensor.scales.empty())
    return 0;
  return schema::CreateQuantizationParametersDirect(
      builder, nullptr, nullptr, &tensor.scales, &tensor.zeroPoints,
      schema::QuantizationDetails_NONE, 0, tensor.quantizedDimension);
}

static std::pair<schema::BuiltinOptions, fb::Offset<void>>
writeOptions(fb::FlatBufferBuilder &builder, const Operator &op) {
  auto padding = static_cast<schema::Padding>(op.padding);
  auto activation = static_cast<schema::ActivationFunctionType>(op.activation);
  switch (op.code) {
  case OpCode::Conv2D:
    return {schema::BuiltinOptions_Conv2DOptions,
            schema::CreateConv2DOptions(builder, padding, op.strideW,
                                        op.strideH, activation, op.dilationW,
                                        op.dilationH)
                .Union()};
  case OpCode::DepthwiseConv2D:
    return {schema::BuiltinOptions_DepthwiseConv2DOptions,
            schema::CreateDepthwiseConv2DOptions(
                builder, padding, op.strideW, op.strideH, op.depthMultiplier,
                activation, op.dilationW, op.dilationH)
                .Union()};
  case OpCode::AveragePool2D:
  case OpCode::MaxPool2D:
    return {schema::BuiltinOptions_Pool2DOptions,
            schema::CreatePool2DOptions(builder, padding, op.strideW,
                                        op.strideH, op.filterW, op.filterH,
                                        activation)
                .Union()};
  case OpCode::FullyConnected:
    return {schema::BuiltinOptions_FullyConnectedOptions,
            schema::CreateFullyConnectedOptions(builder, activation).Union()};
  case OpCode::Softmax:
    return {schema::BuiltinOptions_SoftmaxOptions,
            schema::CreateSoftmaxOptions(builder, op.beta).Union()};
  case OpCode::Concatenation:
    return {schema::BuiltinOptions_ConcatenationOptions,
            schema::CreateConcatenationOptions(builder, op.axis, activation)
                .Union()};
  case OpCode::Add:
    return {schema::BuiltinOptions_AddOptions,
            schema::CreateAddOptions(builder, activation).Union()};
  case OpCode::Mul:
    return {schema::BuiltinOptions_MulOptions,
            schema::CreateMulOptions(builder, activation).Union()};
  case OpCode::Reshape:
    return {schema::BuiltinOptions_ReshapeOptions,
            schema::CreateReshapeOptionsDirect(builder, &op.newShape).Union()};
  case OpCode::ResizeBilinear:
    return {schema::BuiltinOptions_ResizeBilinearOptions,
            schema::CreateResizeBilinearOptions(builder, op.alignCorners,
                                                op.halfPixelCenters)
                .Union()};
  case OpCode::ResizeNearestNeighbor:
    return {schema::BuiltinOptions_ResizeNearestNeighborOptions,
            schema::CreateResizeNearestNeighborOptions(
                builder, op.alignCorners, op.halfPixelCenters)
                .Union()};
  case OpCode::Pad:
    return {schema::BuiltinOptions_PadOptions,
            schema::CreatePadOptions(builder).Union()};
  case OpCode::PadV2:
    return {schema::BuiltinOptions_PadV2Options,
            schema::CreatePadV2Options(builder).Union()};
  case OpCode::Mean:
    return {schema::BuiltinOptions_ReducerOptions,
            schema::CreateReducerOptions(builder, op.keepDims).Union()};
  case OpCode::Quantize:
    return {schema::BuiltinOptions_QuantizeOptions,
            schema::CreateQuantizeOptions(builder).Union()};
  case OpCode::HardSwish:
    return {schema::BuiltinOptions_HardSwishOptions,
            schema::CreateHardSwishOptions(builder).Union()};
  case OpCode::Logistic:
  case OpCode::Tanh:
    return {schema::BuiltinOptions_NONE, 0};
  }
  return {schema::BuiltinOptions_NONE, 0};
}

std::string mlir::paso::edgetpu::minRuntimeVersion(const Model &model) {
  std::string newest = "1.5.0";
  auto older = [](const std::string &a, const std::string &b) {
    // Dotted numbers compared field by field.
    size_t i = 0, j = 0;
    while (i < a.size() || j < b.size()) {
      long x = 0, y = 0;
      while (i < a.size() && a[i] != '.')
        x = x * 10 + (a[i++] - '0');
      while (j < b.size() && b[j] != '.')
        y = y * 10 + (b[j++] - '0');
      if (x != y)
        return x < y;
      ++i, ++j;
    }
    return false;
  };
  for (const Operator &op : model.operators) {
    std::string version = runtimeVersionFor(op.code, op.version);
    if (older(newest, version))
      newest = version;
  }
  return newest;
}

std::vector<uint8_t> mlir::paso::edgetpu::serialize(const Model &model) {
  fb::FlatBufferBuilder builder(1 << 20);

  // Operator codes: one per (code, version), in first-use order.
  std::vector<std::pair<OpCode, int32_t>> codes;
  std::vector<uint32_t> opcodeIndex;
  for (const Operator &op : model.operators) {
    auto key = std::make_pair(op.code, op.version);
    auto it = std::find(codes.begin(), codes.end(), key);
    opcodeIndex.push_back(static_cast<uint32_t>(it - codes.begin()));
    if (it == codes.end())
      codes.push_back(key);
  }
  std::vector<fb::Offset<schema::OperatorCode>> operatorCodes;
  for (auto [code, version] : codes) {
    int32_t value = static_cast<int32_t>(code);
    operatorCodes.push_back(schema::CreateOperatorCode(
        builder, static_cast<int8_t>(std::min<int32_t>(value, 127)), 0,
        version, static_cast<schema::BuiltinOperator>(value)));
  }

  std::vector<fb::Offset<schema::Tensor>> tensors;
  for (const Tensor &tensor : model.tensors)
    tensors.push_back(schema::CreateTensorDirect(
        builder, &tensor.shape, static_cast<schema::TensorType>(tensor.type),
        tensor.buffer, tensor.name.c_str(), writeQuantization(builder, tensor)));

  std::vector<fb::Offset<schema::Operator>> operators;
  for (size_t i = 0; i < model.operators.size(); ++i) {
    const Operator &op = model.operators[i];
    auto [optionsType, options] = writeOptions(builder, op);
    operators.push_back(schema::CreateOperatorDirect(
        builder, opcodeIndex[i], &op.inputs, &op.outputs, optionsType,
        options));
  }
  std::vector<fb::Offset<schema::SubGraph>> subgraphs{
      schema::CreateSubGraphDirect(builder, &tensors, &model.inputs,
                                   &model.outputs, &operators, "main")};

  // The runtime-version string, zero-padded to 16 bytes as the converter
  // writes it, in a buffer of its own.
  std::vector<std::vector<uint8_t>> buffers = model.buffers;
  std::string runtime = minRuntimeVersion(model);
  std::vector<uint8_t> runtimeBytes(runtime.begin(), runtime.end());
  runtimeBytes.resize(16, 0);
  buffers.push_back(runtimeBytes);
  uint32_t runtimeBuffer = static_cast<uint32_t>(buffers.size() - 1);

  std::vector<fb::Offset<schema::Buffer>> bufferOffsets;
  for (const std::vector<uint8_t> &bytes : buffers) {
    if (bytes.empty()) {
      bufferOffsets.push_back(schema::CreateBuffer(builder));
      continue;
    }
    // Constant data aligned to 16 bytes, as the schema's force_align asks.
    builder.ForceVectorAlignment(bytes.size(), sizeof(uint8_t), 16);
    auto data = builder.CreateVector(bytes);
    bufferOffsets.push_back(schema::CreateBuffer(builder, data));
  }
  std::vector<fb::Offset<schema::Metadata>> metadata{
      schema::CreateMetadataDirect(builder, "min_runtime_version",
                                   runtimeBuffer)};
  auto root = schema::CreateModelDirect(builder, /*version=*/3, &operatorCodes,
                                        &subgraphs, model.description.c_str(),
                                        &bufferOffsets, &metadata);
  schema::FinishModelBuffer(builder, root);
  return std::vector<uint8_t>(builder.GetBufferPointer(),
                              builder.GetBufferPointer() + builder.GetSize());
}
