//===- TiledMatmul.cpp - matrix products tiled through shared memory ------===//
//
// A matmul (and a convolution, which reaches the GPU as im2col + matmul)
// reads each element of A and B once per output element when each thread
// computes one output from global memory. Here a block of 16 x 16 threads
// computes a 16 x 16 tile of C: per step of 16 along K, the block loads a
// tile of A and one of B into shared memory (each thread one element of
// each), waits, and every thread accumulates its 16 products from shared
// memory; global reads drop 16-fold.
//
// The same builder writes the host emulation: each phase between barriers
// becomes a parallel loop over the block's threads, shared memory and the
// threads' accumulators host buffers. Emulated runs thus check the tiling
// (indices, edge guards, the K steps) that the GPU runs.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "paso/Target/CUDA/CudaBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::paso;

namespace {

constexpr int64_t kTile = 16;

/// Emits a kernel's phases: on the GPU, once per thread with a barrier
/// after; emulated, as a loop over the block's threads.
struct PhaseEmitter {
  bool emulate;
  Value threadY, threadX; // GPU: the thread's ids

  void phase(OpBuilder &b, Location loc, bool barrier,
             function_ref<void(OpBuilder &, Value, Value)> body) {
    if (!emulate) {
      body(b, threadY, threadX);
      if (barrier)
        gpu::BarrierOp::create(b, loc);
      return;
    }
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    Value tile = arith::ConstantIndexOp::create(b, loc, kTile);
    scf::ParallelOp::create(
        b, loc, ValueRange{zero, zero}, ValueRange{tile, tile},
        ValueRange{one, one},
        [&](OpBuilder &nested, Location, ValueRange ivs) {
          body(nested, ivs[0], ivs[1]);
        });
  }
};

/// `buffer[row, col]` when both are in bounds, else 0.
Value loadOrZero(OpBuilder &b, Location loc, Value buffer, Value row,
                 Value col, Value rows, Value cols) {
  Value inside = arith::AndIOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row, rows),
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, col, cols));
  Type element = cast<MemRefType>(buffer.getType()).getElementType();
  auto ifOp = scf::IfOp::create(
      b, loc, inside,
      [&](OpBuilder &then, Location l) {
        scf::YieldOp::create(
            then, l,
            ValueRange{memref::LoadOp::create(then, l, buffer,
                                              ValueRange{row, col})});
      },
      [&](OpBuilder &otherwise, Location l) {
        scf::YieldOp::create(otherwise, l,
                             ValueRange{arith::ConstantOp::create(
                                 otherwise, l, element,
                                 otherwise.getZeroAttr(element))});
      });
  return ifOp.getResult(0);
}

} // namespace

bool mlir::paso::isTileableMatmul(linalg::MatmulOp matmul) {
  if (!matmul.hasPureBufferSemantics() ||
      matmul.getIndexingMapsArray() !=
          linalg::MatmulOp::getDefaultIndexingMaps(matmul.getContext()))
    return false;
  Type element;
  for (Value operand : matmul->getOperands()) {
    auto type = dyn_cast<MemRefType>(operand.getType());
    if (!type || !type.hasStaticShape() || type.getRank() != 2)
      return false;
    if (element && type.getElementType() != element)
      return false;
    element = type.getElementType();
  }
  return isa<FloatType>(element);
}

void mlir::paso::buildTiledMatmul(RewriterBase &rewriter,
                                  linalg::MatmulOp matmul, bool emulate) {
  Location loc = matmul.getLoc();
  Value a = matmul.getDpsInputs()[0], bMatrix = matmul.getDpsInputs()[1];
  Value c = matmul.getDpsInits()[0];
  auto cType = cast<MemRefType>(c.getType());
  Type element = cType.getElementType();
  int64_t m = cType.getDimSize(0), n = cType.getDimSize(1);
  int64_t k = cast<MemRefType>(a.getType()).getDimSize(1);
  OpBuilder &b = rewriter;
  b.setInsertionPoint(matmul);
  auto index = [&](OpBuilder &builder, int64_t value) -> Value {
    return arith::ConstantIndexOp::create(builder, loc, value);
  };
  Value gridX = index(b, (n + kTile - 1) / kTile);
  Value gridY = index(b, (m + kTile - 1) / kTile);
  auto tileType = MemRefType::get({kTile, kTile}, element);

  // The kernel's body, given the block's ids, its shared tiles and a
  // thread's accumulator (an element of `accumulators` at [ty, tx] when
  // emulated, the thread's private scalar on the GPU).
  auto kernel = [&](OpBuilder &body, Value blockY, Value blockX, Value depth,
                    Value tileA, Value tileB, PhaseEmitter phases,
                    function_ref<Value(OpBuilder &, Value, Value)> accBuffer,
                    function_ref<SmallVector<Value>(OpBuilder &, Value,
                                                    Value)>
                        accIndices) {
    Value tile = index(body, kTile);
    Value rows = index(body, m), cols = index(body, n);
    Value rowBase = arith::MulIOp::create(body, loc, blockY, tile);
    Value colBase = arith::MulIOp::create(body, loc, blockX, tile);
    auto rowOf = [&](OpBuilder &o, Value ty) -> Value {
      return arith::AddIOp::create(o, loc, rowBase, ty);
    };
    auto colOf = [&](OpBuilder &o, Value tx) -> Value {
      return arith::AddIOp::create(o, loc, colBase, tx);
    };
    // C's value so far (linalg.matmul accumulates into it).
    phases.phase(body, loc, false, [&](OpBuilder &o, Value ty, Value tx) {
      Value initial =
          loadOrZero(o, loc, c, rowOf(o, ty), colOf(o, tx), rows, cols);
      memref::StoreOp::create(o, loc, initial, accBuffer(o, ty, tx),
                              accIndices(o, ty, tx));
    });
    Value zero = index(body, 0);
    scf::ForOp::create(
        body, loc, zero, depth, tile, ValueRange{},
        [&](OpBuilder &step, Location, Value kBase, ValueRange) {
          phases.phase(step, loc, true, [&](OpBuilder &o, Value ty, Value tx) {
            Value aCol = arith::AddIOp::create(o, loc, kBase, tx);
            memref::StoreOp::create(
                o, loc,
                loadOrZero(o, loc, a, rowOf(o, ty), aCol, rows, depth), tileA,
                ValueRange{ty, tx});
            Value bRow = arith::AddIOp::create(o, loc, kBase, ty);
            memref::StoreOp::create(
                o, loc,
                loadOrZero(o, loc, bMatrix, bRow, colOf(o, tx), depth, cols),
                tileB, ValueRange{ty, tx});
          });
          phases.phase(step, loc, true, [&](OpBuilder &o, Value ty, Value tx) {
            Value acc = accBuffer(o, ty, tx);
            SmallVector<Value> at = accIndices(o, ty, tx);
            Value start = memref::LoadOp::create(o, loc, acc, at);
            auto inner = scf::ForOp::create(
                o, loc, index(o, 0), index(o, kTile), index(o, 1),
                ValueRange{start},
                [&](OpBuilder &in, Location, Value kk, ValueRange sums) {
                  Value x = memref::LoadOp::create(in, loc, tileA,
                                                   ValueRange{ty, kk});
                  Value y = memref::LoadOp::create(in, loc, tileB,
                                                   ValueRange{kk, tx});
                  Value product = arith::MulFOp::create(in, loc, x, y);
                  scf::YieldOp::create(
                      in, loc,
                      ValueRange{arith::AddFOp::create(in, loc, sums[0],
                                                       product)});
                });
            memref::StoreOp::create(o, loc, inner.getResult(0), acc, at);
          });
          scf::YieldOp::create(step, loc);
        });
    phases.phase(body, loc, false, [&](OpBuilder &o, Value ty, Value tx) {
      Value row = rowOf(o, ty), col = colOf(o, tx);
      Value inside = arith::AndIOp::create(
          o, loc,
          arith::CmpIOp::create(o, loc, arith::CmpIPredicate::ult, row, rows),
          arith::CmpIOp::create(o, loc, arith::CmpIPredicate::ult, col, cols));
      auto ifOp = scf::IfOp::create(o, loc, inside, /*withElse=*/false);
      OpBuilder then = ifOp.getThenBodyBuilder();
      Value sum = memref::LoadOp::create(then, loc, accBuffer(then, ty, tx),
                                         accIndices(then, ty, tx));
      memref::StoreOp::create(then, loc, sum, c, ValueRange{row, col});
    });
  };

  if (emulate) {
    // Blocks one after the other on the host: one set of host buffers (in
    // the arena) serves as every block's shared tiles and its threads'
    // accumulators.
    Value tileA = memref::AllocOp::create(b, loc, tileType);
    Value tileB = memref::AllocOp::create(b, loc, tileType);
    Value accumulators = memref::AllocOp::create(b, loc, tileType);
    Value zero = index(b, 0), one = index(b, 1);
    auto blocks = scf::ParallelOp::create(
        b, loc, ValueRange{zero, zero}, ValueRange{gridY, gridX},
        ValueRange{one, one},
        [&](OpBuilder &body, Location, ValueRange ids) {
          kernel(
              body, ids[0], ids[1], index(body, k), tileA, tileB,
              PhaseEmitter{true, {}, {}},
              [&](OpBuilder &, Value, Value) { return accumulators; },
              [&](OpBuilder &, Value ty, Value tx) {
                return SmallVector<Value>{ty, tx};
              });
        });
    blocks->setAttr(kGpuGridAttr, b.getUnitAttr());
    rewriter.eraseOp(matmul);
    return;
  }

  auto workgroup = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getWorkgroupAddressSpace());
  auto privateSpace = gpu::AddressSpaceAttr::get(
      b.getContext(), gpu::GPUDialect::getPrivateAddressSpace());
  auto sharedType = MemRefType::get({kTile, kTile}, element,
                                    MemRefLayoutAttrInterface(), workgroup);
  auto accType = MemRefType::get({1}, element, MemRefLayoutAttrInterface(),
                                 privateSpace);
  Value one = index(b, 1), threads = index(b, kTile);
  // K reaches the kernel as a parameter, not a constant outlining would
  // sink into it: with a known trip count LLVM unrolled every step along
  // K, hoisted the loads, and a product took 136 registers (one block per
  // SM). The 16 products of a step stay unrolled.
  Value depth = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      arith::ConstantIntOp::create(b, loc, k, 64));
  auto launch = gpu::LaunchOp::create(
      b, loc, gridX, gridY, one, threads, threads, one, nullptr, nullptr,
      ValueRange{}, TypeRange{sharedType, sharedType}, TypeRange{accType});
  OpBuilder body = OpBuilder::atBlockBegin(&launch.getBody().front());
  ArrayRef<BlockArgument> shared = launch.getWorkgroupAttributions();
  Value accumulator = launch.getPrivateAttributions()[0];
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  gpu::KernelDim3 threadIds = launch.getThreadIds();
  kernel(
      body, blockIds.y, blockIds.x, depth, shared[0], shared[1],
      PhaseEmitter{false, threadIds.y, threadIds.x},
      [&](OpBuilder &, Value, Value) { return accumulator; },
      [&](OpBuilder &o, Value, Value) {
        return SmallVector<Value>{index(o, 0)};
      });
  gpu::TerminatorOp::create(body, loc);
  rewriter.eraseOp(matmul);
}
