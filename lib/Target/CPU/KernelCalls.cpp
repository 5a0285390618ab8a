//===- KernelCalls.cpp - building calls into the model runtime ------------===//

#include "KernelCalls.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"

using namespace mlir;

memref::GlobalOp mlir::paso::cpu::createDescriptorGlobal(
    ModuleOp module, Location loc, StringRef prefix, ArrayRef<int64_t> fields,
    unsigned &counter) {
  OpBuilder atTop = OpBuilder::atBlockBegin(module.getBody());
  Type i64 = atTop.getI64Type();
  int64_t size = fields.size();
  std::string name;
  do
    name = prefix.str() + std::to_string(counter++);
  while (module.lookupSymbol(name));
  return memref::GlobalOp::create(
      atTop, loc, name, atTop.getStringAttr("private"),
      MemRefType::get({size}, i64),
      DenseElementsAttr::get(RankedTensorType::get({size}, i64), fields),
      /*constant=*/true, /*alignment=*/atTop.getI64IntegerAttr(8));
}

func::FuncOp mlir::paso::cpu::declareKernel(ModuleOp module, StringRef name,
                                            unsigned arguments) {
  if (auto callee = module.lookupSymbol<func::FuncOp>(name))
    return callee;
  OpBuilder atTop = OpBuilder::atBlockBegin(module.getBody());
  auto callee = func::FuncOp::create(
      atTop, module.getLoc(), name,
      atTop.getFunctionType(SmallVector<Type>(arguments, atTop.getI64Type()),
                            {}));
  callee.setPrivate();
  return callee;
}

Value mlir::paso::cpu::addressOf(OpBuilder &b, Location loc, Value memref) {
  Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  return arith::IndexCastOp::create(b, loc, b.getI64Type(), index);
}

Value mlir::paso::cpu::readAddress(OpBuilder &b, Location loc, Value tensor) {
  if (!tensor)
    return arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0));
  auto type = cast<RankedTensorType>(tensor.getType());
  Value buffer = bufferization::ToBufferOp::create(
      b, loc, MemRefType::get(type.getShape(), type.getElementType()), tensor,
      /*read_only=*/true);
  return addressOf(b, loc, buffer);
}
