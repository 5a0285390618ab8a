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
} // namespace

std::optional<llvm::StringRef>
mlir::paso::getRuntimeBitcode(const llvm::Triple &triple) {
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    return asRef(x86_64Bitcode, sizeof(x86_64Bitcode));
  case llvm::Triple::aarch64:
    return asRef(aarch64Bitcode, sizeof(aarch64Bitcode));
  default:
    return std::nullopt;
  }
}

std::optional<llvm::StringRef>
mlir::paso::getCudaRuntimeBitcode(const llvm::Triple &triple) {
  switch (triple.getArch()) {
  case llvm::Triple::x86_64:
    return asRef(x86_64CudaBitcode, sizeof(x86_64CudaBitcode));
  case llvm::Triple::aarch64:
    return asRef(aarch64CudaBitcode, sizeof(aarch64CudaBitcode));
  default:
    return std::nullopt;
  }
}
