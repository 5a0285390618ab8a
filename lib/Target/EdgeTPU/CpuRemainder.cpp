//===- CpuRemainder.cpp - the CPU part of a graph cut for the Edge TPU ----===//
//
// After a cut, the values the TFLite file wrote become NHWC int8 inputs of
// a copy of the model, and what only fed them dies: that copy is what the
// CPU back end compiles into the .so beside the .tflite.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"

#include "mlir/Dialect/Quant/IR/QuantTypes.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::edgetpu;

#include "mlir/IR/IRMapping.h"
#include "mlir/Transforms/RegionUtils.h"

OwningOpRef<ModuleOp> Lowering::buildRemainder(ModuleOp module, Model &out) {
  MLIRContext *context = module.getContext();
  OwningOpRef<ModuleOp> remainder = ModuleOp::create(module.getLoc());
  (*remainder)->setAttrs(module->getAttrs());
  IRMapping mapping;
  auto cpu = cast<func::FuncOp>(func->clone(mapping));
  remainder->push_back(cpu);
  Block &body = cpu.getBody().front();
  auto i8 = IntegerType::get(context, 8);
  // Every value the TFLite part wrote becomes an input, read from the
  // .tflite's NHWC int8 output; what only fed it then dies.
  SmallVector<std::pair<int32_t, Value>> written;
  for (auto &[value, tensor] : tensorOf)
    written.push_back({tensor, value});
  llvm::sort(written, [](auto &a, auto &b) { return a.first < b.first; });
  unsigned firstNew = cpu.getNumArguments();
  SmallVector<int32_t> argTensor;
  for (auto [t, value] : written) {
    Value local = mapping.lookupOrNull(value);
    if (!local || local.use_empty())
      continue;
    const Tensor &tensor = out.tensors[t];
    SmallVector<int64_t> nhwc(tensor.shape.begin(), tensor.shape.end());
    auto argType = RankedTensorType::get(nhwc, i8);
    unsigned index = cpu.getNumArguments();
    if (failed(cpu.insertArgument(index, argType,
                                  DictionaryAttr::get(context, {NamedAttribute(
                                      StringAttr::get(context, "paso.name"),
                                      StringAttr::get(context, tensor.name))}),
                                  local.getLoc())))
      return nullptr;
    OpBuilder b = OpBuilder::atBlockBegin(&body);
    Location loc = local.getLoc();
    Value storage = body.getArgument(index);
    auto localType = cast<RankedTensorType>(local.getType());
    if (nhwc.size() == 4)
      storage = TransposeOp::create(
          b, loc, RankedTensorType::get(localType.getShape(), i8), storage,
          b.getDenseI64ArrayAttr({0, 3, 1, 2}));
    auto grid = quant::UniformQuantizedType::get(
        quant::QuantizationFlags::Signed, i8, Float32Type::get(context),
        tensor.scales[0], tensor.zeroPoints[0], -128, 127);
    Value quantized = StorageCastOp::create(
        b, loc, RankedTensorType::get(localType.getShape(), grid), storage);
    Value replacement = quantized;
    if (isa<FloatType>(localType.getElementType()))
      replacement = DequantizeOp::create(b, loc, localType, quantized);
    else if (localType.getElementType() != grid)
      replacement = RequantizeOp::create(b, loc, localType, quantized,
                                         TypeAttr::get(localType.getElementType()));
    local.replaceAllUsesWith(replacement);
    argTensor.push_back(t);
  }
  // Dead code, then the inputs nothing reads any more.
  for (bool changed = true; changed;) {
    changed = false;
    for (Operation &op : llvm::make_early_inc_range(llvm::reverse(body)))
      if (!op.hasTrait<OpTrait::IsTerminator>() && isOpTriviallyDead(&op)) {
        op.erase();
        changed = true;
      }
  }
  out.outputs.clear();
  SmallVector<Attribute> names;
  for (unsigned i = cpu.getNumArguments(); i-- > 0;) {
    if (!body.getArgument(i).use_empty())
      continue;
    if (i >= firstNew)
      argTensor.erase(argTensor.begin() + (i - firstNew));
    else
      --firstNew;
    if (failed(cpu.eraseArgument(i)))
      return nullptr;
  }
  for (unsigned i = 0; i < cpu.getNumArguments(); ++i)
    names.push_back(cpu.getArgAttrOfType<StringAttr>(i, "paso.name")
                        ? Attribute(cpu.getArgAttrOfType<StringAttr>(
                              i, "paso.name"))
                        : StringAttr::get(context, "input" + std::to_string(i)));
  (*remainder)->setAttr("paso.onnx.input_names", ArrayAttr::get(context, names));
  for (int32_t t : argTensor)
    out.outputs.push_back(t);
  summary.outputs.clear();
  for (int32_t t : out.outputs)
    summary.outputs.push_back(describeIo(out.tensors[t]));
  return remainder;
}

