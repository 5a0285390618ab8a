//===- CallPreprocess.cpp - paso.preprocess as the Halide pipeline's call -===//
//
// paso-call-preprocess (Passes.td). The op's semantics become the
// parameters of paso-preprocess-gen, kept on the module until translation
// to LLVM IR generates and links the pipeline (HalidePreprocess.cpp); the
// mean and std fold into one multiply-add per channel here.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "KernelCalls.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOCALLPREPROCESSPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

std::string joinNumbers(ArrayRef<double> values) {
  std::string text;
  for (double value : values)
    text += (text.empty() ? "" : ",") +
            llvm::formatv("{0:e17}", value).str();
  return text;
}

/// The generator's options for `op` (tools/paso-preprocess-gen).
DictionaryAttr generatorOptions(PreprocessOp op) {
  Builder b(op.getContext());
  auto [frameWidth, frameHeight] = op.getFrameSize();
  auto [width, height, channels] = op.getImageSize();
  double scale = op.getScale().convertToDouble();
  SmallVector<double> multiplier, offset;
  for (int64_t c = 0; c < channels; ++c) {
    multiplier.push_back(scale / op.getStd()[c]);
    offset.push_back(-op.getMean()[c] / op.getStd()[c]);
  }
  SmallVector<std::string> map;
  for (int64_t component : op.getChannelMap())
    map.push_back(std::to_string(component));
  auto size = [](int64_t w, int64_t h) {
    return std::to_string(w) + "x" + std::to_string(h);
  };
  SmallVector<NamedAttribute> options{
      b.getNamedAttr("format", op.getFormatAttr()),
      b.getNamedAttr("frame", b.getStringAttr(size(frameWidth, frameHeight))),
      b.getNamedAttr("size", b.getStringAttr(size(width, height))),
      b.getNamedAttr("layout", op.getLayoutAttr()),
      b.getNamedAttr("resize", op.getResizeAttr()),
      b.getNamedAttr("channel-map", b.getStringAttr(llvm::join(map, ","))),
      b.getNamedAttr("multiplier", b.getStringAttr(joinNumbers(multiplier))),
      b.getNamedAttr("offset", b.getStringAttr(joinNumbers(offset))),
      b.getNamedAttr("matrix", op.getMatrixAttr()),
      b.getNamedAttr("range", op.getRangeAttr())};
  return b.getDictionaryAttr(options);
}

/// The pipeline writes either layout at no cost, so when the model runs
/// channels-last (paso-select-cpu-layout) and the image's one user is the
/// transpose to NHWC (or back), the op writes that layout instead.
PreprocessOp absorbLayoutChange(PreprocessOp op) {
  if (!op->hasOneUse())
    return op;
  auto transpose = dyn_cast<TransposeOp>(*op->user_begin());
  bool nchw = op.getLayout() == "nchw";
  static constexpr int64_t toNhwc[] = {0, 2, 3, 1}, toNchw[] = {0, 3, 1, 2};
  ArrayRef<int64_t> toOther = nchw ? ArrayRef(toNhwc) : ArrayRef(toNchw);
  if (!transpose || transpose.getPerm() != toOther)
    return op;
  OpBuilder b(transpose);
  auto absorbed = cast<PreprocessOp>(b.clone(*op));
  absorbed.setLayout(nchw ? "nhwc" : "nchw");
  absorbed.getOutput().setType(transpose.getType());
  transpose.getOutput().replaceAllUsesWith(absorbed.getOutput());
  transpose.erase();
  op.erase();
  return absorbed;
}

struct PasoCallPreprocessPass
    : paso::impl::PasoCallPreprocessPassBase<PasoCallPreprocessPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<PreprocessOp> ops;
    module.walk([&](PreprocessOp op) { ops.push_back(op); });
    if (ops.empty())
      return;
    if (ops.size() > 1) {
      ops[1].emitOpError("a model takes at most one pre-processed input");
      return signalPassFailure();
    }
    PreprocessOp op = absorbLayoutChange(ops.front());
    module->setAttr(kPreprocessAttrName, generatorOptions(op));

    // Extents innermost first, Halide's order: the shapes reversed.
    auto frameShape = op.getFrame().getType().getShape();
    auto outputType = op.getOutput().getType();
    SmallVector<int64_t> fields{static_cast<int64_t>(frameShape.size())};
    fields.append(frameShape.rbegin(), frameShape.rend());
    fields.resize(4, 0);
    fields.append(outputType.getShape().rbegin(),
                  outputType.getShape().rend());

    OpBuilder b(op);
    Location loc = op.getLoc();
    unsigned counter = 0;
    memref::GlobalOp global = cpu::createDescriptorGlobal(
        module, loc, "__paso_preprocess_descriptor_", fields, counter);
    func::FuncOp callee =
        cpu::declareKernel(module, "paso_preprocess_f32", 3);
    Value output = memref::AllocOp::create(
        b, loc,
        MemRefType::get(outputType.getShape(), outputType.getElementType()));
    Value descriptor = memref::GetGlobalOp::create(b, loc, global.getType(),
                                                   global.getSymName());
    Value frame = cpu::readAddress(b, loc, op.getFrame());
    func::CallOp::create(b, loc, callee,
                         ValueRange{cpu::addressOf(b, loc, descriptor), frame,
                                    cpu::addressOf(b, loc, output)});
    Value result = bufferization::ToTensorOp::create(
        b, loc, outputType, output, /*restrict=*/true, /*writable=*/true);
    op.getOutput().replaceAllUsesWith(result);
    op.erase();
  }
};

} // namespace
