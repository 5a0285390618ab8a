//===- CudaBackend.h - CUDA code generation for Jetson boards ---*- C++ -*-===//
//
// The GPU path of a model.so for targets with a CUDA accelerator
// (jetson-*, cuda-sm_XX): linalg ops on buffers are placed on the GPU or
// the CPU, the GPU's become kernels through upstream MLIR (parallel loops,
// gpu dialect, NVVM, PTX text with no CUDA toolkit), and the host code
// launches them through the model runtime's CUDA layer
// (lib/Runtime/ModelRuntime/paso_cuda.c), which opens the driver with
// dlopen. docs/cuda.md has the design.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TARGET_CUDA_CUDABACKEND_H
#define PASO_TARGET_CUDA_CUDABACKEND_H

#include "paso/Target/TargetDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace mlir {
namespace NVVM {
class NVVMDialect;
} // namespace NVVM
namespace gpu {
class GPUDialect;
} // namespace gpu
} // namespace mlir

namespace mlir::paso {

#define GEN_PASS_DECL
#include "paso/Target/CUDA/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "paso/Target/CUDA/Passes.h.inc"

/// Module attributes the CUDA lowering leaves for code emission: the PTX
/// text and the kernel names in launch-index order.
constexpr llvm::StringLiteral kCudaPtxAttr = "paso.cuda.ptx";
constexpr llvm::StringLiteral kCudaKernelsAttr = "paso.cuda.kernels";
/// On the module: the placement of each op (paso-gpu-offload).
constexpr llvm::StringLiteral kCudaPlacementAttr = "paso.cuda.placement";

/// The passes from bufferised IR to host code that launches PTX kernels
/// for `device` (with `emulate`, host loops instead: tests without a GPU),
/// ending where the CPU pipeline's kernel lowering begins.
std::string cudaLoweringSteps(const CudaDevice &device, bool emulate);

/// Rewrites the math under `root` into what NVPTX lowers without
/// libdevice: polynomial approximations and expansions (the kernels' math,
/// and the same math where the grid is emulated on the host).
LogicalResult rewriteMathForGpu(Operation *root);

/// Marks the outer (block) loop of each grid paso-gpu-offload makes.
constexpr llvm::StringLiteral kGpuGridAttr = "paso.gpu.grid";

/// The PTX and kernel names paso-lower-gpu-launches recorded on `module`
/// (empty when nothing runs on the GPU).
struct CudaKernels {
  std::string ptx;
  std::vector<std::string> names;
};
CudaKernels readCudaKernels(ModuleOp module);

} // namespace mlir::paso

#endif // PASO_TARGET_CUDA_CUDABACKEND_H
