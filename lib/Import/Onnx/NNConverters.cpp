//===- NNConverters.cpp - neural-network ONNX ops to paso -----------------===//
//
// Converters for Conv, pooling, normalisation, Softmax and MatMul/Gemm.
// `auto_pad` and missing per-dim attributes are resolved here so the paso
// ops always carry explicit strides, dilations and pads.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {

FailureOr<Window> readWindow(NodeImporter &node, RankedTensorType inputType,
                             ArrayRef<int64_t> kernel) {
  int64_t spatialRank = inputType.getRank() - 2;
  if (spatialRank < 1)
    return node.emitError() << "input must have rank >= 3, got rank "
                            << inputType.getRank();
  Window window;
  window.kernel.assign(kernel.begin(), kernel.end());
  auto orOnes = [&](StringRef name) {
    SmallVector<int64_t> values = node.getInts(name);
    if (values.empty())
      values.assign(spatialRank, 1);
    return values;
  };
  window.strides = orOnes("strides");
  window.dilations = orOnes("dilations");
  if (static_cast<int64_t>(window.kernel.size()) != spatialRank ||
      static_cast<int64_t>(window.strides.size()) != spatialRank ||
      static_cast<int64_t>(window.dilations.size()) != spatialRank)
    return node.emitError()
           << "kernel_shape, strides and dilations need " << spatialRank
           << " entries for an input of rank " << inputType.getRank();
  std::string autoPad = node.getString("auto_pad", "NOTSET");
  if (autoPad == "NOTSET") {
    window.pads = node.getInts("pads");
    if (window.pads.empty())
      window.pads.assign(2 * spatialRank, 0);
    if (static_cast<int64_t>(window.pads.size()) != 2 * spatialRank)
      return node.emitError() << "pads needs " << 2 * spatialRank
                              << " entries, got " << window.pads.size();
    return window;
  }
  window.pads.assign(2 * spatialRank, 0);
  if (autoPad == "VALID")
    return window;
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return node.emitError() << "unknown auto_pad '" << autoPad << "'";
  for (int64_t i = 0; i < spatialRank; ++i) {
    int64_t in = inputType.getDimSize(2 + i);
    if (ShapedType::isDynamic(in))
      return node.emitError() << "auto_pad needs static spatial dims";
    int64_t stride = window.strides[i];
    int64_t out = (in + stride - 1) / stride;
    int64_t total = std::max<int64_t>(
        0, (out - 1) * stride + (window.kernel[i] - 1) * window.dilations[i] +
               1 - in);
    int64_t small = total / 2, large = total - small;
    window.pads[i] = autoPad == "SAME_UPPER" ? small : large;
    window.pads[spatialRank + i] = autoPad == "SAME_UPPER" ? large : small;
  }
  return window;
}

namespace {

/// GlobalAveragePool / GlobalMaxPool: a reduction over the spatial dims.
template <typename OpTy>
LogicalResult convertGlobalPool(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  int64_t rank = node.inputType(0).getRank();
  if (rank < 3)
    return node.emitError() << "input must have rank >= 3, got rank " << rank;
  SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(2, rank));
  FailureOr<Value> result = node.create1<OpTy>(
      *input, {node.arrayAttr("axes", axes), node.boolAttr("keepdims", true)});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertBatchNorm(NodeImporter &node) {
  if (node.getInt("training_mode", 0) != 0)
    return node.emitError()
           << "training-mode BatchNormalization is not supported";
  if (node.getInt("spatial", 1) != 1)
    return node.emitError()
           << "BatchNormalization with spatial=0 is not supported";
  SmallVector<Value> operands;
  const char *names[] = {"X", "scale", "B", "input_mean", "input_var"};
  for (size_t i = 0; i < 5; ++i) {
    FailureOr<Value> operand = node.requiredInput(i, names[i]);
    if (failed(operand))
      return failure();
    operands.push_back(*operand);
  }
  FailureOr<Value> result = node.create1<BatchNormOp>(
      operands, {node.f32Attr("epsilon", node.getFloat("epsilon", 1e-5f))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// LayerNormalization; the Mean and InvStdDev outputs, when the node
/// names them, are computed beside the fused op by reductions.
LogicalResult convertLayerNorm(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "X"), scale = c.input(1, "Scale");
  if (!x || !scale)
    return failure();
  int64_t rank = Composer::typeOf(x).getRank();
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  float epsilon = node.getFloat("epsilon", 1e-5f);
  SmallVector<Value> operands{x, scale};
  if (Value bias = node.input(2))
    operands.push_back(bias);
  SmallVector<Value> results{c.op<LayerNormOp>(
      operands,
      {node.i64Attr("axis", *axis), node.f32Attr("epsilon", epsilon)})};
  auto wanted = [&](int i) {
    return node.node.output_size() > i && !node.node.output(i).empty();
  };
  if (wanted(1) || wanted(2)) {
    SmallVector<int64_t> axes = llvm::to_vector(llvm::seq<int64_t>(*axis, rank));
    Value mean = c.reduce<ReduceMeanOp>(x, axes, true);
    Value centred = c.op<SubOp>({x, mean});
    Value variance =
        c.reduce<ReduceMeanOp>(c.op<MulOp>({centred, centred}), axes, true);
    Value invStdDev = c.op<ReciprocalOp>(c.op<SqrtOp>(c.op<AddOp>(
        {variance, c.scalar(Composer::elementType(x), epsilon)})));
    results.append({mean, invStdDev});
  }
  return c.bind(results);
}

LogicalResult convertLRN(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "X");
  if (failed(input))
    return failure();
  if (!node.has("size"))
    return node.emitError() << "LRN needs the 'size' attribute";
  FailureOr<Value> result = node.create1<LRNOp>(
      *input, {node.i64Attr("size", node.getInt("size", 0)),
               node.f32Attr("alpha", node.getFloat("alpha", 1e-4f)),
               node.f32Attr("beta", node.getFloat("beta", 0.75f)),
               node.f32Attr("bias", node.getFloat("bias", 1.0f))});
  return failed(result) ? failure() : node.setOutputs(*result);
}

/// Softmax and LogSoftmax. Before opset 13 the op normalises over all dims
/// from `axis` on (default 1): coerce to 2-D, normalise, restore.
template <typename OpTy>
LogicalResult convertSoftmax(NodeImporter &node) {
  FailureOr<Value> input = node.requiredInput(0, "input");
  if (failed(input))
    return failure();
  RankedTensorType type = node.inputType(0);
  int64_t rank = type.getRank();
  bool flattens = node.opset < 13;
  FailureOr<int64_t> axis =
      node.normalizeAxis(node.getInt("axis", flattens ? 1 : -1), rank);
  if (failed(axis))
    return failure();
  if (!flattens || *axis == rank - 1) {
    FailureOr<Value> result =
        node.create1<OpTy>(*input, {node.i64Attr("axis", *axis)});
    return failed(result) ? failure() : node.setOutputs(*result);
  }
  if (!type.hasStaticShape())
    return node.emitError() << "opset < 13 Softmax needs a static shape";
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d)
    (d < *axis ? outer : inner) *= type.getDimSize(d);
  FailureOr<Value> flat = node.create1<ReshapeOp>(
      *input, {node.arrayAttr("shape", {outer, inner})});
  if (failed(flat))
    return failure();
  FailureOr<Value> normalised =
      node.create1<OpTy>(*flat, {node.i64Attr("axis", 1)});
  if (failed(normalised))
    return failure();
  FailureOr<Value> result = node.create1<ReshapeOp>(
      *normalised, {node.arrayAttr("shape", type.getShape())});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertMatMul(NodeImporter &node) {
  FailureOr<Value> lhs = node.requiredInput(0, "A");
  FailureOr<Value> rhs = node.requiredInput(1, "B");
  if (failed(lhs) || failed(rhs))
    return failure();
  FailureOr<Value> result = node.create1<MatMulOp>(ValueRange{*lhs, *rhs});
  return failed(result) ? failure() : node.setOutputs(*result);
}

LogicalResult convertGemm(NodeImporter &node) {
  FailureOr<Value> a = node.requiredInput(0, "A");
  FailureOr<Value> b = node.requiredInput(1, "B");
  if (failed(a) || failed(b))
    return failure();
  SmallVector<Value> operands{*a, *b};
  if (Value c = node.input(2))
    operands.push_back(c);
  FailureOr<Value> result = node.create1<GemmOp>(
      operands, {node.f32Attr("alpha", node.getFloat("alpha", 1.0f)),
                 node.f32Attr("beta", node.getFloat("beta", 1.0f)),
                 node.boolAttr("trans_a", node.getInt("transA", 0) != 0),
                 node.boolAttr("trans_b", node.getInt("transB", 0) != 0)});
  return failed(result) ? failure() : node.setOutputs(*result);
}

} // namespace

void appendNNConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"GlobalAveragePool", 1, convertGlobalPool<ReduceMeanOp>},
      {"GlobalMaxPool", 1, convertGlobalPool<ReduceMaxOp>},
      {"BatchNormalization", 7, convertBatchNorm},
      {"LayerNormalization", 17, convertLayerNorm},
      {"LRN", 1, convertLRN},
      {"Softmax", 1, convertSoftmax<SoftmaxOp>},
      {"LogSoftmax", 1, convertSoftmax<LogSoftmaxOp>},
      {"MatMul", 1, convertMatMul},
      {"Gemm", 7, convertGemm},
  });
}

} // namespace mlir::paso::onnx_import
