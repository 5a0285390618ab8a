//===- Kernels.h - hand-shaped GPU kernels of the offload pass --*- C++ -*-===//
//
// Internal to lib/Target/CUDA: kernels that take more than one thread per
// output element and a loop nest, written as gpu.launch (or, emulated, as
// the host loops the launch means).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_TARGET_CUDA_KERNELS_H
#define PASO_LIB_TARGET_CUDA_KERNELS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::paso {

/// A float `linalg.matmul` on static 2-D buffers with the default maps.
bool isTileableMatmul(linalg::MatmulOp matmul);

/// Replaces `matmul` by a kernel of 16 x 16 threads per 16 x 16 tile of C
/// that stages A and B through shared memory; with `emulate`, by the host
/// loops of the same tiling.
void buildTiledMatmul(RewriterBase &rewriter, linalg::MatmulOp matmul,
                      bool emulate);

} // namespace mlir::paso

#endif // PASO_LIB_TARGET_CUDA_KERNELS_H
