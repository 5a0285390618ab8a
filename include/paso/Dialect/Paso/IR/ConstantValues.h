//===- ConstantValues.h - numbers held by paso constants --------*- C++ -*-===//
//
// Quantisation parameters and integer weights arrive as `dense` or
// `dense_resource` constants of any integer or float type; the importer,
// the QDQ folding and the CPU back end read them as plain numbers here.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_DIALECT_PASO_IR_CONSTANTVALUES_H
#define PASO_DIALECT_PASO_IR_CONSTANTVALUES_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Value.h"

#include <optional>

namespace mlir::paso {

/// The values of the integer constant (`paso.constant`, possibly behind
/// `paso.storage_cast`) defining `value`, sign- or zero-extended by the element
/// type's signedness (quantised types: their storage); nullopt when it is
/// not one or its bytes are unavailable.
std::optional<SmallVector<int64_t>> readIntConstant(Value value);

/// The values of the f32/f64/f16 constant defining `value`, or nullopt.
std::optional<SmallVector<double>> readFloatConstant(Value value);

} // namespace mlir::paso

#endif // PASO_DIALECT_PASO_IR_CONSTANTVALUES_H
