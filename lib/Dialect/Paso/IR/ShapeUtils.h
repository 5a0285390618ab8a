//===- ShapeUtils.h - shared shape-inference helpers ------------*- C++ -*-===//
//
// Helpers used by the inferReturnTypes implementations of several op
// families. Private to the dialect library.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_DIALECT_PASO_IR_SHAPEUTILS_H
#define PASO_LIB_DIALECT_PASO_IR_SHAPEUTILS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include <optional>

namespace mlir::paso::detail {

/// Reports `message` at `loc` when a location is available (inference run
/// from the verifier or the importer) and returns failure either way.
LogicalResult inferError(std::optional<Location> loc, const Twine &message);

/// The ranked tensor type of `value`; the ODS constraints guarantee it.
RankedTensorType rankedType(Value value);

/// Numpy broadcast of the shapes of `values`, or failure with a message
/// naming both shapes.
LogicalResult broadcastShapes(std::optional<Location> loc, ValueRange values,
                              SmallVectorImpl<int64_t> &result);

/// Numpy broadcast of two shapes; false when they do not broadcast.
bool broadcastShapePair(ArrayRef<int64_t> lhs, ArrayRef<int64_t> rhs,
                        SmallVectorImpl<int64_t> &result);

/// `in` + `padBegin` + `padEnd` against a dilated window, ONNX output-size
/// rule; dynamic in, dynamic out.
int64_t slidingWindowSize(int64_t in, int64_t kernel, int64_t stride,
                          int64_t padBegin, int64_t padEnd, int64_t dilation,
                          bool ceilMode);

/// True when two static-or-dynamic dims may be equal.
bool dimsAgree(int64_t a, int64_t b);

/// Prints a shape as `2x3x?` for diagnostics.
std::string shapeString(ArrayRef<int64_t> shape);

/// Checks `axis` lies in [0, rank).
LogicalResult checkAxis(std::optional<Location> loc, int64_t axis,
                        int64_t rank, StringRef what = "axis");

/// Result type of a convolution (paso.conv, fused_conv, qconv) with the
/// input's element type; `sameElementType` requires the filter's to match.
LogicalResult inferConvType(std::optional<Location> loc, Value input,
                            Value filter, Value bias,
                            ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
                            ArrayRef<int64_t> dilations, int64_t group,
                            bool channelsLast, SmallVectorImpl<Type> &types,
                            bool sameElementType = true);

/// Result shape of `lhs [..., M, K]` times a 2-D `rhs` (`[K, N]`, or
/// `[N, K]` with `transRhs`) with an optional `[N]` bias: fused_matmul and
/// qmatmul.
LogicalResult inferProductShape(std::optional<Location> loc, Value lhs,
                                Value rhs, bool transRhs, Value bias,
                                SmallVectorImpl<int64_t> &shape);

} // namespace mlir::paso::detail

#endif // PASO_LIB_DIALECT_PASO_IR_SHAPEUTILS_H
