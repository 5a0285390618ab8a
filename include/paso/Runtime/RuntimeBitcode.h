//===- RuntimeBitcode.h - embedded model runtime ----------------*- C++ -*-===//
//
// The bitcode of lib/Runtime/paso_runtime.c, compiled for each supported
// architecture when PASO is built; code generation links it into every
// model so model.so needs no separate runtime library.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_RUNTIME_RUNTIMEBITCODE_H
#define PASO_RUNTIME_RUNTIMEBITCODE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/TargetParser/Triple.h"

#include <optional>

namespace mlir::paso {

/// The runtime bitcode for `triple`'s architecture, or nullopt when PASO
/// was built without one.
std::optional<llvm::StringRef> getRuntimeBitcode(const llvm::Triple &triple);

/// The CUDA layer (lib/Runtime/ModelRuntime/paso_cuda.c) for `triple`,
/// linked into models that launch GPU kernels.
std::optional<llvm::StringRef>
getCudaRuntimeBitcode(const llvm::Triple &triple);

} // namespace mlir::paso

#endif // PASO_RUNTIME_RUNTIMEBITCODE_H
