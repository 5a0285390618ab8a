//===- EdgeTpuRules.cpp - what the Edge TPU compiler maps -----------------===//
//
// Versions: TFLite runs int8 at version 2 of most ops (CONV_2D and
// DEPTHWISE_CONV_2D 3, FULLY_CONNECTED 4); compiler 16 rejects newer ones
// (CONV_2D v5/v6, for instance). PADV2 is not in Coral's list of
// supported ops, so a pooling whose padding needs it ends the TPU part.
// Both resizes are in that list; version 3 (half-pixel centres) is taken
// as the newest the compiler accepts.
//
//===----------------------------------------------------------------------===//

#include "EdgeTpuRules.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/ErrorHandling.h"

using namespace mlir::paso::edgetpu;

static const OpRule kRules[] = {
    {OpCode::Add, "ADD", 2, 2, "1.14.0"},
    {OpCode::AveragePool2D, "AVERAGE_POOL_2D", 2, 2, "1.14.0"},
    {OpCode::Concatenation, "CONCATENATION", 2, 2, "1.14.0"},
    {OpCode::Conv2D, "CONV_2D", 3, 3, "1.14.0"},
    {OpCode::DepthwiseConv2D, "DEPTHWISE_CONV_2D", 3, 3, "1.14.0"},
    {OpCode::FullyConnected, "FULLY_CONNECTED", 4, 4, "1.14.0"},
    {OpCode::Logistic, "LOGISTIC", 2, 2, "1.14.0"},
    {OpCode::MaxPool2D, "MAX_POOL_2D", 2, 2, "1.14.0"},
    {OpCode::Mul, "MUL", 2, 2, "1.14.0"},
    {OpCode::Reshape, "RESHAPE", 1, 1, "1.5.0"},
    {OpCode::ResizeBilinear, "RESIZE_BILINEAR", 2, 3, "1.14.0"},
    {OpCode::ResizeNearestNeighbor, "RESIZE_NEAREST_NEIGHBOR", 2, 3,
     "1.14.0"},
    {OpCode::Softmax, "SOFTMAX", 2, 2, "1.14.0"},
    {OpCode::Tanh, "TANH", 2, 2, "1.14.0"},
    {OpCode::Pad, "PAD", 2, 2, "1.14.0"},
    {OpCode::Mean, "MEAN", 2, 2, "1.14.0"},
    {OpCode::PadV2, "PADV2", 2, 0, "1.14.0"},
    {OpCode::Quantize, "QUANTIZE", 2, 2, "1.15.0"},
    {OpCode::HardSwish, "HARD_SWISH", 1, 1, "1.15.0"},
};

const OpRule &mlir::paso::edgetpu::ruleFor(OpCode code) {
  for (const OpRule &rule : kRules)
    if (rule.code == code)
      return rule;
  llvm_unreachable("every op PASO writes has a rule");
}

std::string mlir::paso::edgetpu::runtimeVersionFor(OpCode code,
                                                   int32_t version) {
  const OpRule &rule = ruleFor(code);
  return version <= rule.version ? rule.runtime : "2.0.0";
}

std::string
mlir::paso::edgetpu::shapeRule(const std::vector<int32_t> &shape) {
  if (shape.size() > 4)
    return "rank " + std::to_string(shape.size()) +
           " (the Edge TPU takes at most 4 dimensions)";
  for (size_t d = 0; d + 3 < shape.size(); ++d)
    if (shape[d] > 1)
      return "dimension " + std::to_string(d) + " is " +
             std::to_string(shape[d]) +
             " (only the three innermost may be larger than 1)";
  return "";
}
