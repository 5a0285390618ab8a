//===- LowerToUkernels.cpp - linalg.matmul to the GEMM micro-kernel -------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOLOWERTOUKERNELSPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

constexpr llvm::StringLiteral kSgemm = "paso_sgemm";
constexpr llvm::StringLiteral kSgemm512 = "paso_sgemm_v16";

/// Address (as i64) of a row-major f32 matrix view and its leading
/// dimension, or failure when its rows are not contiguous.
struct Matrix {
  Value address, leading;
};

FailureOr<Matrix> describe(OpBuilder &b, Location loc, Value memref) {
  auto type = dyn_cast<MemRefType>(memref.getType());
  if (!type || type.getRank() != 2 || !type.getElementType().isF32())
    return failure();
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)) || strides[1] != 1)
    return failure();
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(
      b, loc, metadata.getBaseBuffer());
  Value bytes = arith::MulIOp::create(
      b, loc, metadata.getOffset(), arith::ConstantIndexOp::create(b, loc, 4));
  Value address = arith::AddIOp::create(b, loc, base, bytes);
  auto toI64 = [&](Value v) {
    return arith::IndexCastOp::create(b, loc, b.getI64Type(), v).getResult();
  };
  return Matrix{toI64(address), toI64(metadata.getStrides()[0])};
}

struct PasoLowerToUkernelsPass
    : paso::impl::PasoLowerToUkernelsPassBase<PasoLowerToUkernelsPass> {
  using Base::Base;
  void runOnOperation() override {
    StringRef kernel = vectorBits >= 512 ? kSgemm512 : kSgemm;
    ModuleOp module = getOperation();
    SmallVector<linalg::MatmulOp> matmuls;
    module.walk([&](linalg::MatmulOp op) {
      if (op.hasPureBufferSemantics())
        matmuls.push_back(op);
    });
    if (matmuls.empty())
      return;
    OpBuilder b(module.getContext());
    Type i64 = b.getI64Type(), i32 = b.getI32Type();
    auto callee = module.lookupSymbol<func::FuncOp>(kernel);
    if (!callee) {
      b.setInsertionPointToStart(module.getBody());
      callee = func::FuncOp::create(
          b, module.getLoc(), kernel,
          b.getFunctionType({i64, i64, i64, i64, i64, i64, i64, i64, i64, i32},
                            {}));
      callee.setPrivate();
    }
    MLIRContext *context = module.getContext();
    AffineExpr m = getAffineDimExpr(0, context), n = getAffineDimExpr(1, context),
               k = getAffineDimExpr(2, context);
    AffineMap plainB = AffineMap::get(3, 0, {k, n}, context);
    AffineMap transposedB = AffineMap::get(3, 0, {n, k}, context);
    AffineMap plainA = AffineMap::get(3, 0, {m, k}, context);
    AffineMap plainC = AffineMap::get(3, 0, {m, n}, context);
    for (linalg::MatmulOp op : matmuls) {
      SmallVector<AffineMap> maps = op.getIndexingMapsArray();
      if (maps[0] != plainA || maps[2] != plainC ||
          (maps[1] != plainB && maps[1] != transposedB))
        continue;
      bool transB = maps[1] == transposedB;
      b.setInsertionPoint(op);
      Location loc = op.getLoc();
      Value aValue = op.getDpsInputs()[0], bValue = op.getDpsInputs()[1];
      Value cValue = op.getDpsInits()[0];
      FailureOr<Matrix> a = describe(b, loc, aValue);
      FailureOr<Matrix> bm = describe(b, loc, bValue);
      FailureOr<Matrix> c = describe(b, loc, cValue);
      if (failed(a) || failed(bm) || failed(c))
        continue;
      auto cType = cast<MemRefType>(cValue.getType());
      auto aType = cast<MemRefType>(aValue.getType());
      auto constant = [&](int64_t v, Type type) {
        return arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, v))
            .getResult();
      };
      func::CallOp::create(
          b, loc, callee,
          ValueRange{constant(cType.getDimSize(0), i64),
                     constant(cType.getDimSize(1), i64),
                     constant(aType.getDimSize(1), i64), a->address,
                     a->leading, bm->address, bm->leading, c->address,
                     c->leading, constant(transB, i32)});
      op.erase();
    }
  }
};

} // namespace
