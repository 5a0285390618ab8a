//===- HalfPrecision.cpp - --quantize=fp16 --------------------------------===//
//
// fp16 needs no calibration: every layer the fp16 kernel takes (an
// ungrouped convolution, a product with constant weights) is marked
// `paso.precision = "f16"`, which the graph's fusions and the layout pass
// carry along and paso-call-cpu-kernels turns into a call of the fp16 GEMM
// kernel (f32 in and out, f16 weights and arithmetic inside). Depthwise and
// grouped convolutions stay f32: the window kernel is memory-bound, so
// halving its arithmetic time would gain little (docs/quantization.md).
//
//===----------------------------------------------------------------------===//

#include "HalfPrecision.h"

#include "QuantizationPlan.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Target/CPU/CpuBackend.h"
#include "paso/Target/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::paso;

LogicalResult mlir::paso::markHalfPrecisionLayers(
    ModuleOp module, const TargetDescription &target,
    QuantizationSummary &summary) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("--quantize: the module has no @main");
  if (!hasFp16Arithmetic(target))
    return emitError(main.getLoc())
           << "--quantize=fp16: target '" << target.name << "' ("
           << target.cpu
           << ") has no fp16 arithmetic; it needs +fullfp16 (aarch64, "
              "e.g. rpi5, jetson-orin) or +avx512fp16 (x86-64): use "
              "--quantize=int8 or such a target";
  QuantPlan plan = planQuantization(main);
  summary.halfPrecision = true;
  summary.method = "none";
  summary.budget = "none (--quantize=fp16)";
  double ratio = fp16ThroughputRatio(target);
  auto elements = [](Value v) {
    return double(cast<RankedTensorType>(v.getType()).getNumElements());
  };
  int64_t marked = 0;
  for (const QuantLayer &layer : plan.layers) {
    LayerPrecision record;
    record.name = layer.name;
    record.kind = layer.kind;
    std::optional<ConvolutionShape> shape = convolutionCostShape(layer.op);
    double bytes = 4 * (elements(layer.op->getOperand(layer.weightOperand)) +
                        elements(layer.op->getOperand(0)) +
                        elements(layer.op->getResult(0)));
    double fp32 = shape ? predictConvolutionSeconds(target, *shape, false)
                        : predictSeconds(target, layer.flops, bytes);
    record.fp32Microseconds = 1e6 * fp32;
    auto conv = dyn_cast<ConvOp>(layer.op);
    if (conv && conv.getGroup() != 1) {
      record.precision = "fp32";
      record.fp16Microseconds = record.fp32Microseconds;
      record.reason = layer.kind == "depthwise conv"
                          ? "no fp16 window kernel (memory-bound: f32 "
                            "loses little)"
                          : "no fp16 kernel for grouped convolutions";
    } else {
      // The direct product at the fp16 rate (the fp16 kernel has no
      // Winograd form).
      std::optional<ConvolutionShape> direct = shape;
      if (direct)
        direct->winogradEligible = false;
      double f16 = (direct ? predictConvolutionSeconds(target, *direct, false)
                           : predictSeconds(target, layer.flops, bytes)) /
                   ratio;
      record.precision = "fp16";
      record.fp16Microseconds = 1e6 * f16;
      record.reason = "--quantize=fp16";
      layer.op->setAttr("paso.precision",
                        StringAttr::get(module.getContext(), "f16"));
      ++marked;
    }
    summary.predictedFp32Microseconds += record.fp32Microseconds;
    summary.predictedMicroseconds += record.fp16Microseconds;
    summary.layers.push_back(record);
  }
  llvm::errs() << llvm::formatv(
      "paso-opt: quantising: {0} of {1} layers fp16 (weights and products "
      "in half precision)\n",
      marked, plan.layers.size());
  return success();
}
