//===- PasoDialect.h - the paso graph dialect -------------------*- C++ -*-===//
//
// Declares the paso dialect and all of its ops (math, NN, tensor and
// quantised families). Include this header to use any paso op.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASODIALECT_H
#define PASO_DIALECT_PASO_IR_PASODIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Quant/IR/Quant.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h.inc"

#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoMathOps.h.inc"
#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoNNOps.h.inc"
#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoTensorOps.h.inc"
#define GET_OP_CLASSES
#include "paso/Dialect/Paso/IR/PasoQuantOps.h.inc"

namespace mlir::paso {
/// True for a convolution or pooling op in the channels-last layout
/// (`channels_last`, set by paso-select-cpu-layout).
bool isChannelsLast(Operation *op);

/// Checks that `elementType` is a `!quant.uniform` type the compiler can
/// run: f32 expressed, 8/16/32-bit storage, finite positive scales, zero
/// points inside the storage range, and (per axis) a quantised dimension
/// of `shape` with one scale per index.
/// The integer element type that stores `quantized` (a quant type) as the
/// importer types ONNX tensors: `ui8` for unsigned storage, `i8` for signed.
Type storageElementType(Type quantized);

LogicalResult
verifyQuantizedType(function_ref<InFlightDiagnostic()> emitError,
                    Type elementType, ArrayRef<int64_t> shape);
} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_IR_PASODIALECT_H
