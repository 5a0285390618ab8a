//===- IntegerPools.h - 8-bit poolings on paso_qpool_8 ----------*- C++ -*-===//
//
// Which max and average poolings of 8-bit values paso-call-cpu-integer-
// kernels runs on the storage (paso_qpool.c), and the constants of the
// call. Private to the CPU back end.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_TARGET_CPU_INTEGERPOOLS_H
#define PASO_LIB_TARGET_CPU_INTEGERPOOLS_H

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir::paso::cpu {

/// One pooling as a runtime call on 8-bit storage.
struct IntegerPool {
  /// The pooling, and the dequantize it reads through (null for a max
  /// pooling paso-fold-qdq already moved to the storage).
  Operation *pool = nullptr;
  DequantizeOp dequantize;
  /// A reshape between the pooling and its quantize, or null.
  ReshapeOp reshape;
  /// What the kernel reads: the quantised value or the integer tensor.
  Value input;
  /// paso_qpool_8, or paso_qmean_8 for a window as large as the image
  /// (ONNX Runtime computes that one as a global pool).
  std::string kernel, name, algorithm;
  /// The call's fields of include/paso/Runtime/paso_gemm.h, by index.
  SmallVector<std::pair<int, int64_t>> fields;
  SmallVector<int64_t> params;
  double flops = 0, bytes = 0;
};

/// quantize(max_pool or average_pool(dequantize(x))), x and the result 8
/// bits per tensor of one signedness, a 2-D window without dilation (a
/// maximum also needs both to share one quantisation).
std::optional<IntegerPool> planQuantizedPool(QuantizeOp quantize);

/// A max pooling of 8-bit integers (the storage form paso-fold-qdq gives
/// a signed one).
std::optional<IntegerPool> planStoragePool(MaxPoolOp pool);

/// Whether paso-call-cpu-integer-kernels will run pooling `op` on
/// paso_qpool_8 (one of the two plans above holds for it): what the
/// layout pass costs as an 8-bit pooling.
bool runsOnIntegerPool(Operation *op);

} // namespace mlir::paso::cpu

#endif // PASO_LIB_TARGET_CPU_INTEGERPOOLS_H
