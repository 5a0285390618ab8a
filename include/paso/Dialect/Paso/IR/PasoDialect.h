//===- PasoDialect.h - the paso graph dialect -------------------*- C++ -*-===//
//
// Declares the paso dialect and all of its ops (math, NN and tensor
// families). Include this header to use any paso op.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_PASODIALECT_H
#define PASO_DIALECT_PASO_IR_PASODIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
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

namespace mlir::paso {
/// True for a convolution or pooling op in the channels-last layout
/// (`channels_last`, set by paso-select-cpu-layout).
bool isChannelsLast(Operation *op);
} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_IR_PASODIALECT_H
