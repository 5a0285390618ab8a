//===- HalfPrecision.cpp - fp16 layers ------------------------------------===//
//
// fp16 needs no calibration: a layer the fp16 kernel takes (an ungrouped
// convolution, a product with constant weights) is marked
// `paso.precision = "f16"`, which the graph's fusions and the layout pass
// carry along and paso-call-cpu-kernels turns into a call of the fp16 GEMM
// kernel (f32 in and out, f16 weights and arithmetic inside). Depthwise and
// grouped convolutions stay f32: the window kernel is memory-bound, so
// halving its arithmetic time would gain little (docs/quantization.md).
//
//===----------------------------------------------------------------------===//

#include "HalfPrecision.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Target/CPU/CpuBackend.h"
#include "paso/Target/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::paso;

bool mlir::paso::takesHalfPrecision(const QuantLayer &layer) {
  auto conv = dyn_cast<ConvOp>(layer.op);
  return !conv || conv.getGroup() == 1;
}

static double elements(Value v) {
  return double(cast<RankedTensorType>(v.getType()).getNumElements());
}

/// The bytes a layer moves in f32 (weights, input, output).
static double layerBytes(const QuantLayer &layer) {
  return 4 * (elements(layer.op->getOperand(layer.weightOperand)) +
              elements(layer.op->getOperand(0)) +
              elements(layer.op->getResult(0)));
}

double mlir::paso::predictFloatSeconds(const TargetDescription &on,
                                       const QuantLayer &layer) {
  std::optional<ConvolutionShape> shape = convolutionCostShape(layer.op);
  return shape ? predictConvolutionSeconds(on, *shape, false)
               : predictSeconds(on, layer.flops, layerBytes(layer));
}

/// Output columns rounded up to what a kernel's tile computes: one vector
/// of `lanes` when they fit, else whole tiles of two.
static int64_t paddedColumns(int64_t columns, int64_t lanes) {
  return columns <= lanes ? lanes : (columns + 2 * lanes - 1) / (2 * lanes) *
                                        2 * lanes;
}

double mlir::paso::predictHalfSeconds(const TargetDescription &on,
                                      const QuantLayer &layer) {
  // The direct product at the fp16 rate (the fp16 kernel has no Winograd
  // form)...
  std::optional<ConvolutionShape> direct = convolutionCostShape(layer.op);
  if (direct)
    direct->winogradEligible = false;
  double product = (direct ? predictConvolutionSeconds(on, *direct, false)
                           : predictSeconds(on, layer.flops,
                                            layerBytes(layer))) /
                   fp16ThroughputRatio(on);
  // ...over the columns its tile computes, which for few output channels
  // are more than the f32 kernel's (vectors of twice the lanes; 16 halves
  // in the 256-bit variant, 32 in the 512-bit one, used above 16
  // columns)...
  // (Output channels: dim 1 of an NCHW convolution, the last of a
  // product.)
  ArrayRef<int64_t> out =
      cast<RankedTensorType>(layer.op->getResult(0).getType()).getShape();
  int64_t columns = isa<ConvOp>(layer.op) ? out[1] : out.back();
  int64_t floatLanes = on.vectorBits >= 512 ? 16 : 8;
  int64_t halfLanes = on.vectorBits >= 512 && columns > 16 ? 32 : 16;
  product *= double(paddedColumns(columns, halfLanes)) /
             paddedColumns(columns, floatLanes);
  // ...plus converting the input to f16 (read 4 bytes, write 2), once per
  // call.
  return product + predictSeconds(on, 0, 6 * elements(layer.op->getOperand(0)));
}

void mlir::paso::markHalfLayers(const QuantPlan &plan,
                                const std::vector<bool> &half) {
  for (size_t l = 0; l < plan.layers.size(); ++l)
    if (half[l] && takesHalfPrecision(plan.layers[l]))
      markHalfPrecision(plan.layers[l].op);
}

LogicalResult mlir::paso::refuseHalfWithout(const TargetDescription &target,
                                            Location loc) {
  if (hasFp16Arithmetic(target))
    return success();
  return emitError(loc)
         << "--quantize=fp16: target '" << target.name << "' (" << target.cpu
         << ") has no fp16 arithmetic; it needs +fullfp16 (aarch64, e.g. "
            "rpi5, jetson-orin) or +avx512fp16 (x86-64): use --quantize=int8 "
            "or such a target";
}

LogicalResult mlir::paso::markHalfPrecisionLayers(
    ModuleOp module, const TargetDescription &target,
    QuantizationSummary &summary) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main)
    return module.emitError("--quantize: the module has no @main");
  if (failed(refuseHalfWithout(target, main.getLoc())))
    return failure();
  QuantPlan plan = planQuantization(main);
  summary.halfPrecision = true;
  summary.method = "none";
  summary.budget = "none (--quantize=fp16)";
  std::vector<bool> half(plan.layers.size(), false);
  for (size_t l = 0; l < plan.layers.size(); ++l) {
    const QuantLayer &layer = plan.layers[l];
    LayerPrecision record;
    record.name = layer.name;
    record.kind = layer.kind;
    record.fp32Microseconds = 1e6 * predictFloatSeconds(target, layer);
    half[l] = takesHalfPrecision(layer);
    if (half[l]) {
      // Every layer the kernel takes, as asked: predictions for layers
      // of a few channels are too rough to overrule the user (PP-OCR's
      // classifier ran slower when they did); --quantize=mixed measures.
      record.precision = "fp16";
      record.fp16Microseconds = 1e6 * predictHalfSeconds(target, layer);
      record.reason = "--quantize=fp16";
    } else {
      record.precision = "fp32";
      record.fp16Microseconds = record.fp32Microseconds;
      record.reason = layer.kind == "depthwise conv"
                          ? "no fp16 window kernel (memory-bound: f32 "
                            "loses little)"
                          : "no fp16 kernel for grouped convolutions";
    }
    summary.predictedFp32Microseconds += record.fp32Microseconds;
    summary.predictedMicroseconds += record.fp16Microseconds;
    summary.layers.push_back(record);
  }
  markHalfLayers(plan, half);
  llvm::errs() << llvm::formatv(
      "paso-opt: quantising: {0} of {1} layers fp16 (weights and products "
      "in half precision)\n",
      llvm::count(half, true), plan.layers.size());
  return success();
}
