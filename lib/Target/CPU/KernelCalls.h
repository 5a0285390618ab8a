//===- KernelCalls.h - building calls into the model runtime ----*- C++ -*-===//
//
// What paso-call-cpu-kernels and paso-call-cpu-integer-kernels share when
// they replace an op by a call to a runtime kernel: the constant
// descriptor global, the kernel's declaration and the i64 addresses of
// buffers. Private to the CPU back end.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_TARGET_CPU_KERNELCALLS_H
#define PASO_LIB_TARGET_CPU_KERNELCALLS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::paso::cpu {

/// A private constant i64 global holding a call's descriptor `fields`,
/// named `<prefix><n>` with the first free n from `counter` on, inserted
/// at the top of the module (above a kernel declared just before it).
memref::GlobalOp createDescriptorGlobal(ModuleOp module, Location loc,
                                        StringRef prefix,
                                        ArrayRef<int64_t> fields,
                                        unsigned &counter);

/// The private declaration of runtime kernel `name`, taking `arguments`
/// i64s and returning nothing; created on first use.
func::FuncOp declareKernel(ModuleOp module, StringRef name,
                           unsigned arguments);

/// The address of a memref's first element, as an i64.
Value addressOf(OpBuilder &b, Location loc, Value memref);

/// The address of a tensor the kernel reads in place (an identity-layout
/// buffer, so the aligned pointer is the first element: bufferisation
/// copies a strided view), or 0 for a null tensor.
Value readAddress(OpBuilder &b, Location loc, Value tensor);

} // namespace mlir::paso::cpu

#endif // PASO_LIB_TARGET_CPU_KERNELCALLS_H
