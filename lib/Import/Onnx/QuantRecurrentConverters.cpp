//===- QuantRecurrentConverters.cpp - com.microsoft DynamicQuantizeLSTM ---===//
//
// What ONNX Runtime's dynamic quantiser makes of an LSTM: int8/uint8 W and
// R (stored [directions, input, 4 * hidden], transposed from ONNX LSTM's
// layout) with per-direction or per-column scales and zero points. PASO
// dequantises the constant weights at import and runs the float LSTM
// (one packed GEMM per direction for the input projection, see
// RecurrentConverters.cpp). ONNX Runtime instead quantises X and H to
// uint8 at every step; PASO's result is the float layer with the
// quantised weights, so it differs from ONNX Runtime's by that activation
// rounding and is closer to the original float model (docs/quantization.md).
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

/// Input `i` ([D, K, N], quantised by `scale`/`zeroPoint` of shape [D] or
/// [D, N]) as the float constant [D, N, K] an ONNX LSTM takes.
FailureOr<Value> dequantizedWeights(NodeImporter &node, size_t i,
                                    size_t scaleInput, StringRef what) {
  if (!node.input(i) || !node.input(scaleInput) ||
      !node.input(scaleInput + 1))
    return node.emitError() << "DynamicQuantizeLSTM needs " << what
                            << " with its scale and zero point";
  RankedTensorType type = node.inputType(i);
  std::optional<SmallVector<int64_t>> weights = readIntConstant(node.input(i));
  std::optional<SmallVector<double>> scales =
      readFloatConstant(node.input(scaleInput));
  std::optional<SmallVector<int64_t>> zeroPoints =
      readIntConstant(node.input(scaleInput + 1));
  if (!weights || !scales || !zeroPoints || type.getRank() != 3)
    return node.emitError() << "DynamicQuantizeLSTM " << what
                            << ", its scale and zero point must be constants "
                               "([directions, rows, 4 * hidden] weights)";
  int64_t d = type.getDimSize(0), k = type.getDimSize(1),
          n = type.getDimSize(2);
  bool perColumn = static_cast<int64_t>(scales->size()) == d * n;
  if ((!perColumn && static_cast<int64_t>(scales->size()) != d) ||
      zeroPoints->size() != scales->size())
    return node.emitError() << "DynamicQuantizeLSTM " << what
                            << " scale and zero point need " << d << " or "
                            << d * n << " values";
  SmallVector<float> values(d * n * k);
  for (int64_t dir = 0; dir < d; ++dir)
    for (int64_t row = 0; row < k; ++row)
      for (int64_t col = 0; col < n; ++col) {
        int64_t q = perColumn ? dir * n + col : dir;
        int64_t w = (*weights)[(dir * k + row) * n + col];
        values[(dir * n + col) * k + row] = static_cast<float>(
            (w - (*zeroPoints)[q]) * (*scales)[q]);
      }
  auto floatType = RankedTensorType::get({d, n, k}, node.builder.getF32Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(float));
  return node.constant(elementsFromBytes(
      floatType, bytes, (node.node.name() + "_" + what + "_dequantized").str()));
}

LogicalResult convertDynamicQuantizeLSTM(NodeImporter &node) {
  FailureOr<Value> x = node.requiredInput(0, "X");
  if (failed(x))
    return failure();
  FailureOr<Value> w = dequantizedWeights(node, 1, 8, "W");
  FailureOr<Value> r = dequantizedWeights(node, 2, 10, "R");
  if (failed(w) || failed(r))
    return failure();
  // LSTM's inputs: X, W, R, B, sequence_lens, initial_h, initial_c, P.
  SmallVector<Value> inputs{*x, *w, *r};
  for (size_t i = 3; i < 8; ++i)
    inputs.push_back(node.input(i));
  while (!inputs.back())
    inputs.pop_back();
  FailureOr<SmallVector<Value>> results =
      node.convertAs("LSTM", inputs, node.node.output_size());
  return failed(results) ? failure() : node.setOutputs(*results);
}

} // namespace

void appendQuantRecurrentConverters(
    SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"com.microsoft.DynamicQuantizeLSTM", 1, convertDynamicQuantizeLSTM},
  });
}

} // namespace mlir::paso::onnx_import
