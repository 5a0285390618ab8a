//===- TFLiteModel.h - a TFLite model before serialisation ------*- C++ -*-===//
//
// What the lowering builds and the writer serialises: tensors, their
// buffers and quantisation, and operators with the options PASO writes.
// Codes and enum values are the public schema's (tflite_subset.fbs).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_TARGET_EDGETPU_TFLITEMODEL_H
#define PASO_LIB_TARGET_EDGETPU_TFLITEMODEL_H

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::paso::edgetpu {

enum class ElementType : int8_t { Float32 = 0, Int32 = 2, UInt8 = 3, Int8 = 9 };
enum class Padding : int8_t { Same = 0, Valid = 1 };
enum class Activation : int8_t { None = 0, Relu = 1, ReluN1To1 = 2, Relu6 = 3 };

/// Builtin operator codes PASO writes (the public values).
enum class OpCode : int32_t {
  Add = 0,
  AveragePool2D = 1,
  Concatenation = 2,
  Conv2D = 3,
  DepthwiseConv2D = 4,
  FullyConnected = 9,
  Logistic = 14,
  MaxPool2D = 17,
  Mul = 18,
  Reshape = 22,
  ResizeBilinear = 23,
  Softmax = 25,
  Tanh = 28,
  Pad = 34,
  Mean = 40,
  PadV2 = 60,
  ResizeNearestNeighbor = 97,
  Quantize = 114,
  HardSwish = 117,
};

struct Tensor {
  std::string name;
  std::vector<int32_t> shape;
  ElementType type = ElementType::Int8;
  uint32_t buffer = 0; ///< 0: the empty sentinel (an activation)
  std::vector<float> scales;
  std::vector<int64_t> zeroPoints;
  int32_t quantizedDimension = 0;
};

struct Operator {
  explicit Operator(OpCode code) : code(code) {}
  OpCode code;
  int32_t version = 1;
  std::vector<int32_t> inputs, outputs;
  // Options; only those of `code` are written.
  Padding padding = Padding::Valid;
  Activation activation = Activation::None;
  int32_t strideW = 1, strideH = 1, dilationW = 1, dilationH = 1;
  int32_t filterW = 0, filterH = 0, depthMultiplier = 1, axis = 0;
  bool keepDims = false;
  bool alignCorners = false, halfPixelCenters = false;
  float beta = 1.0f;
  std::vector<int32_t> newShape;
};

struct Model {
  std::vector<Tensor> tensors;
  /// buffers[0] is the empty sentinel every activation points at.
  std::vector<std::vector<uint8_t>> buffers{{}};
  std::vector<Operator> operators;
  std::vector<int32_t> inputs, outputs;
  std::string description;

  int32_t addTensor(Tensor tensor) {
    tensors.push_back(std::move(tensor));
    return static_cast<int32_t>(tensors.size() - 1);
  }
  uint32_t addBuffer(std::vector<uint8_t> bytes) {
    buffers.push_back(std::move(bytes));
    return static_cast<uint32_t>(buffers.size() - 1);
  }
};

/// The oldest TFLite runtime that runs every op at its version, as the
/// converter records it in the `min_runtime_version` metadata.
std::string minRuntimeVersion(const Model &model);

/// The flatbuffer (file identifier TFL3) of `model`.
std::vector<uint8_t> serialize(const Model &model);

} // namespace mlir::paso::edgetpu

#endif // PASO_LIB_TARGET_EDGETPU_TFLITEMODEL_H
