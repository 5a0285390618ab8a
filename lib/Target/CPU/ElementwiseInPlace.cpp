//===- ElementwiseInPlace.cpp - elementwise loops write over an input -----===//
//
// An elementwise linalg.generic writing a fresh tensor.empty gets a new
// buffer from one-shot bufferisation even when an input of the same type
// dies right there; the arena then holds both. Making that input the
// generic's init lets bufferisation write the result over it: legal
// because every element is read (at the same index) before it is written.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOELEMENTWISEINPLACEPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// Whether the buffer behind `toTensor` is used after `consumer` other
/// than through the tensor: a runtime kernel reads it through a pointer
/// taken from the buffer (CSE shares one pointer between the call that
/// wrote it and a later one that reads it), which the tensor's uses do
/// not show.
bool bufferUsedAfter(bufferization::ToTensorOp toTensor, Operation *consumer) {
  Block *block = consumer->getBlock();
  SmallVector<Value> worklist{toTensor.getBuffer()};
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (user == toTensor.getOperation())
        continue;
      if (isa<memref::ExtractAlignedPointerAsIndexOp, arith::IndexCastOp,
              arith::AddIOp, ViewLikeOpInterface>(user)) {
        llvm::append_range(worklist, user->getResults());
        continue;
      }
      Operation *ancestor = block->findAncestorOpInBlock(*user);
      if (!ancestor || !ancestor->isBeforeInBlock(consumer))
        return true;
    }
  }
  return false;
}

/// True when `value` owns a buffer bufferisation may overwrite without a
/// copy, once `consumer` has read it: the result of a computation (a
/// linalg op, or a runtime kernel's output no later kernel reads), not an
/// argument (the caller's read-only input), a constant or a view sharing
/// another tensor's buffer.
bool ownsWritableBuffer(Value value, Operation *consumer) {
  Operation *producer = value.getDefiningOp();
  if (!producer)
    return false;
  if (auto toTensor = dyn_cast<bufferization::ToTensorOp>(producer))
    return toTensor.getWritable() && !bufferUsedAfter(toTensor, consumer);
  return isa<linalg::LinalgOp>(producer);
}

/// The input of `generic` its result can be written over, or null.
OpOperand *reusableInput(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1 || generic.getNumReductionLoops() != 0)
    return nullptr;
  OpOperand *init = generic.getDpsInitOperand(0);
  if (!init->get().getDefiningOp<tensor::EmptyOp>() ||
      generic.payloadUsesValueFromOperand(init))
    return nullptr;
  Type resultType = generic.getResult(0).getType();
  AffineMap outMap = generic.getMatchingIndexingMap(init);
  for (OpOperand *input : generic.getDpsInputOperands()) {
    Value value = input->get();
    // Read at the index it is written, read by nothing else (here or
    // later), and its buffer free to take.
    if (value.getType() == resultType &&
        generic.getMatchingIndexingMap(input) == outMap &&
        value.hasOneUse() && ownsWritableBuffer(value, generic))
      return input;
  }
  return nullptr;
}

struct PasoElementwiseInPlacePass
    : paso::impl::PasoElementwiseInPlacePassBase<PasoElementwiseInPlacePass> {
  void runOnOperation() override {
    getOperation().walk([&](linalg::GenericOp generic) {
      if (OpOperand *input = reusableInput(generic)) {
        generic.getDpsInitOperand(0)->set(input->get());
        ++numInPlace;
      }
    });
  }
};

} // namespace
