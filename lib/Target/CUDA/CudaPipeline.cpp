//===- CudaPipeline.cpp - the GPU steps of a CUDA target's lowering -------===//

#include "paso/Target/CUDA/CudaBackend.h"

using namespace mlir;
using namespace mlir::paso;

std::string mlir::paso::cudaLoweringSteps(const CudaDevice &device,
                                          bool emulate) {
  // Emulation keeps the grid-shaped loops on the host: it checks the
  // placement, copies, waits and loop shapes where no GPU is present.
  if (emulate)
    return "paso-gpu-offload{emulate=1},paso-lower-gpu-launches{emulate=1},";
  return "paso-gpu-offload,"
         "func.func(gpu-map-parallel-loops,convert-parallel-loops-to-gpu),"
         "gpu-kernel-outlining,"
         "paso-prepare-gpu-kernels{chip=" +
         device.chip() + " ptx-version=" + std::to_string(device.ptxVersion) +
         "},"
         "gpu.module(lower-affine,canonicalize,convert-scf-to-cf,"
         "convert-gpu-to-nvvm,paso-define-gpu-math,"
         "reconcile-unrealized-casts),"
         // PTX text from LLVM's NVPTX back end: no CUDA toolkit here. A
         // toolkit found on this machine ($CUDA_HOME) has its libdevice
         // linked, but paso-define-gpu-math left nothing for it to define,
         // so the PTX is the same with and without one.
         "gpu-module-to-binary{format=isa},"
         "paso-lower-gpu-launches,";
}
