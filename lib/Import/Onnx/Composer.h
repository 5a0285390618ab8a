//===- Composer.h - build an ONNX op out of several paso ops ----*- C++ -*-===//
//
// Many ONNX ops are short formulas over ops paso already has (Selu is a
// scaled Elu, DepthToSpace a reshape-transpose-reshape). Writing them as
// compositions at import keeps the dialect small, and the graph passes fuse
// the pieces back into one loop. A Composer chains the steps: the first
// failure (already reported at the node) turns every later step into a
// no-op, so converters read as the formula they implement.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_IMPORT_ONNX_COMPOSER_H
#define PASO_LIB_IMPORT_ONNX_COMPOSER_H

#include "NodeImporter.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "llvm/ADT/STLExtras.h"

namespace mlir::paso::onnx_import {

class Composer {
public:
  explicit Composer(NodeImporter &node) : node(node) {}

  NodeImporter &node;

  /// `OpTy` on `operands`; null once anything has failed.
  template <typename OpTy>
  Value op(ValueRange operands, ArrayRef<NamedAttribute> attrs = {}) {
    if (failedAlready || llvm::is_contained(operands, Value()))
      return fail();
    FailureOr<Value> result = node.create1<OpTy>(operands, attrs);
    return mlir::failed(result) ? fail() : *result;
  }

  /// Input `i`, required.
  Value input(size_t i, llvm::StringRef what) {
    FailureOr<Value> value = node.requiredInput(i, what);
    return mlir::failed(value) ? fail() : *value;
  }

  /// A rank-0 constant of `element` (float, integer or i1).
  Value scalar(Type element, double value) {
    return constant(RankedTensorType::get({}, element), value);
  }
  /// A constant of `type` filled with `value`.
  Value constant(RankedTensorType type, double value);
  /// A constant of `type` whose every bit is set (-1 signed, max unsigned).
  Value allOnes(RankedTensorType type);
  /// A rank-1 i64 constant.
  Value i64s(ArrayRef<int64_t> values) { return node.constantI64(values); }

  Value reshape(Value v, ArrayRef<int64_t> shape) {
    return op<ReshapeOp>(v, {node.arrayAttr("shape", shape)});
  }
  Value transpose(Value v, ArrayRef<int64_t> perm) {
    return op<TransposeOp>(v, {node.arrayAttr("perm", perm)});
  }
  Value broadcastTo(Value v, ArrayRef<int64_t> shape) {
    return op<BroadcastToOp>(v, {node.arrayAttr("shape", shape)});
  }
  Value cast(Value v, Type element) {
    if (!v || elementType(v) == element)
      return v;
    return op<CastOp>(v, {node.attr("to", TypeAttr::get(element))});
  }
  template <typename OpTy>
  Value reduce(Value v, ArrayRef<int64_t> axes, bool keepdims) {
    return op<OpTy>(v, {node.arrayAttr("axes", axes),
                        node.boolAttr("keepdims", keepdims)});
  }
  /// The constant of `type` (with `w`'s element type) whose element i is
  /// `w`'s element `source(i)`, both flat row-major indices (-1: zero),
  /// copied as raw bytes. How the importer rearranges weights (recurrent
  /// layers' per-direction cuts, convolution filter layouts): the generic
  /// folders leave resource blobs alone, and the kernels pack weights only
  /// when they are constants. Null when `w` is not a constant whose bytes
  /// are at hand.
  Value rearrangedConstant(Value w, RankedTensorType type,
                           llvm::function_ref<int64_t(int64_t)> source,
                           llvm::StringRef name);

  /// Slice `[start, end)` of dim `axis`, other dims whole.
  Value sliceAxis(Value v, int64_t axis, int64_t start, int64_t end);

  /// Reports `message` at the node and fails the chain.
  Value error(const llvm::Twine &message) {
    if (!failedAlready)
      node.emitError() << message;
    return fail();
  }

  bool hasFailed() const { return failedAlready; }
  /// Binds the node outputs unless a step failed.
  LogicalResult bind(ValueRange results) {
    if (failedAlready || llvm::is_contained(results, Value()))
      return failure();
    return node.setOutputs(results);
  }

  static RankedTensorType typeOf(Value v) {
    return llvm::cast<RankedTensorType>(v.getType());
  }
  static Type elementType(Value v) { return typeOf(v).getElementType(); }
  static ArrayRef<int64_t> shapeOf(Value v) { return typeOf(v).getShape(); }

protected:
  Value fail() {
    failedAlready = true;
    return {};
  }

private:
  bool failedAlready = false;
};

} // namespace mlir::paso::onnx_import

#endif // PASO_LIB_IMPORT_ONNX_COMPOSER_H
