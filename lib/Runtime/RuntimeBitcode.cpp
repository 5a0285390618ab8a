//===- RuntimeBitcode.cpp - embedded model runtime ------------------------===//

#include "paso/Runtime/RuntimeBitcode.h"

namespace {
const unsigned char x86_64Bitcode[] = {
#include "paso_runtime.x86_64.inc"
};
const unsigned char aarch64Bitcode[] = {
#include "paso_runtime.aarch64.inc"
};

const unsigned char x86_64CudaBitcode[] = {
#include "paso_cuda.x86_64.inc"
};
const unsigned char aarch64CudaBitcode[] = {
#include "paso_cuda.aarch64.inc"
};

llvm::StringRef asRef(const unsigned char *data, size_t size) {
  return llvm::StringRef(reinterpret_cast<const char *>(data), size);
}

/// The x86-64 or aarch64 one of a pair of embedded files.
template <size_t X86, size_t Arm>
std::optional<llvm::StringRef> forArch(const llvm::Triple &triple,
                                       const unsigned char (&x86)[X86],
                                       const unsigned char (&arm)[Arm]) {
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    return asRef(x86, X86);
  case llvm::Triple::aarch64:
    return asRef(arm, Arm);
  default:
    return std::nullopt;
  }
}
} // namespace

std::optional<llvm::StringRef>
mlir::paso::getRuntimeBitcode(const llvm::Triple &triple) {
  return forArch(triple, x86_64Bitcode, aarch64Bitcode);
}

std::optional<llvm::StringRef>
mlir::paso::getCudaRuntimeBitcode(const llvm::Triple &triple) {
  return forArch(triple, x86_64CudaBitcode, aarch64CudaBitcode);
}
