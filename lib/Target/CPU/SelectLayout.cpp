//===- SelectLayout.cpp - NCHW or NHWC for the whole graph ----------------===//
//
// ONNX models arrive in NCHW. The runtime's kernels run either layout;
// which is faster depends on the shapes (see predictConvolutionSeconds), so
// the cost model picks one layout for the graph, this pass converts every
// convolution and pooling to it, and transpose sinking leaves the
// conversions at the model's boundary.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "IntegerPools.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/Transposes.h"
#include "paso/Target/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::paso {
#define GEN_PASS_DEF_PASOSELECTCPULAYOUTPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

static llvm::cl::opt<std::string> layoutOption(
    "paso-layout",
    llvm::cl::desc("Layout of convolutions: auto (cost model), nchw or nhwc"),
    llvm::cl::init("auto"));

std::string mlir::paso::commandLineLayout() { return layoutOption; }

/// The convolution or pooling `op` as the cost model sees it, or nullopt
/// when the NHWC kernels and lowering do not take it (it stays NCHW).
std::optional<ConvolutionShape>
mlir::paso::convolutionCostShape(Operation *op) {
  if (!isa<ConvOp, FusedConvOp, QConvOp, MaxPoolOp, AveragePoolOp>(op) ||
      isChannelsLast(op))
    return std::nullopt;
  auto inType = dyn_cast<RankedTensorType>(op->getOperand(0).getType());
  auto outType = dyn_cast<RankedTensorType>(op->getResult(0).getType());
  if (!inType || !outType || !inType.hasStaticShape() ||
      !outType.hasStaticShape() || inType.getRank() != 4)
    return std::nullopt;
  ConvolutionShape shape;
  shape.images = inType.getDimSize(0);
  shape.channels = inType.getDimSize(1);
  shape.filters = outType.getDimSize(1);
  shape.outH = outType.getDimSize(2);
  shape.outW = outType.getDimSize(3);
  ArrayRef<int64_t> strides, pads, dilations;
  if (isa<MaxPoolOp, AveragePoolOp>(op)) {
    // A window without weights: costed as a depthwise convolution.
    auto kernel = op->getAttrOfType<DenseI64ArrayAttr>("kernel_shape");
    shape.kernelH = kernel[0];
    shape.kernelW = kernel[1];
    shape.depthwise = true;
    strides = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
    shape.strideH = strides[0];
    shape.strideW = strides[1];
    return shape;
  }
  auto filterType = dyn_cast<RankedTensorType>(op->getOperand(1).getType());
  int64_t group = op->getAttrOfType<IntegerAttr>("group").getInt();
  if (!filterType || !filterType.hasStaticShape())
    return std::nullopt;
  shape.depthwise = group > 1 && group == shape.channels &&
                    group == shape.filters && filterType.getDimSize(1) == 1;
  if (group != 1 && !shape.depthwise)
    return std::nullopt;
  strides = op->getAttrOfType<DenseI64ArrayAttr>("strides").asArrayRef();
  pads = op->getAttrOfType<DenseI64ArrayAttr>("pads").asArrayRef();
  dilations = op->getAttrOfType<DenseI64ArrayAttr>("dilations").asArrayRef();
  shape.kernelH = filterType.getDimSize(2);
  shape.kernelW = filterType.getDimSize(3);
  shape.strideH = strides[0];
  shape.strideW = strides[1];
  bool unitSteps = strides[0] == 1 && strides[1] == 1 && dilations[0] == 1 &&
                   dilations[1] == 1;
  shape.pointwise = shape.kernelH == 1 && shape.kernelW == 1 && unitSteps &&
                    llvm::all_of(pads, [](int64_t p) { return p == 0; });
  shape.winogradEligible = !shape.depthwise && shape.kernelH == 3 &&
                           shape.kernelW == 3 && unitSteps;
  return shape;
}

namespace {

constexpr int64_t kToNhwc[] = {0, 2, 3, 1};
constexpr int64_t kToNchw[] = {0, 3, 1, 2};

/// Rebuilds `op` with channels_last: operands transposed to NHWC (the
/// filter permuted at compile time), the result transposed back.
void convertToNhwc(Operation *op) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  SmallVector<Value> operands(op->getOperands());
  operands[0] = permuteValue(b, loc, operands[0], kToNhwc);
  if (isa<ConvOp, FusedConvOp, QConvOp>(op))
    operands[1] = permuteValue(b, loc, operands[1], kToNhwc);
  // A fused residual, when present, is the last operand.
  if (auto fused = dyn_cast<FusedConvOp>(op); fused && fused.getResidual())
    operands.back() = permuteValue(b, loc, operands.back(), kToNhwc);
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  SmallVector<int64_t> shape;
  for (int64_t d : kToNhwc)
    shape.push_back(outType.getDimSize(d));
  OperationState state(loc, op->getName(), operands, outType.clone(shape),
                       op->getAttrs());
  state.addAttribute("channels_last", b.getBoolAttr(true));
  Operation *converted = b.create(state);
  op->getResult(0).replaceAllUsesWith(
      permuteValue(b, loc, converted->getResult(0), kToNchw));
  op->erase();
}

/// transpose(dequantize(x)) -> dequantize(transpose(x)), x per tensor and
/// the dequantize read by the transpose alone: the same move on a quarter
/// of the bytes. Sinking pushed transposes below every dequantize (where
/// they meet and cancel); one left there has nothing to cancel with, and
/// above the dequantize an integer pooling reads the bytes in place.
struct HoistAboveDequantize : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op,
                                PatternRewriter &rewriter) const override {
    auto dequantize = op.getInput().getDefiningOp<DequantizeOp>();
    if (!dequantize || !dequantize->hasOneUse())
      return failure();
    auto input = cast<RankedTensorType>(dequantize.getInput().getType());
    if (!isa<quant::UniformQuantizedType>(input.getElementType()))
      return failure();
    auto moved = TransposeOp::create(rewriter, op.getLoc(),
                                     op.getType().clone(input.getElementType()),
                                     dequantize.getInput(), op.getPermAttr());
    rewriter.replaceOpWithNewOp<DequantizeOp>(op, op.getType(), moved);
    rewriter.eraseOp(dequantize);
    return success();
  }
};

/// A transpose or reshape the layout change leaves on quantised values
/// (a quantised model's input on its way to the first convolution, the
/// NHWC result of a global pool read as NCHW) moves their storage bytes:
/// the lowerings of paso.transpose and paso.reshape take integers, not
/// quantised types.
void moveToStorage(Operation *op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!isa<quant::QuantizedType>(type.getElementType()))
    return;
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value input = op->getOperand(0);
  auto inType = cast<RankedTensorType>(input.getType());
  Type storage = storageElementType(type.getElementType());
  Value bytes = StorageCastOp::create(b, loc, inType.clone(storage), input);
  OperationState state(loc, op->getName(), ValueRange{bytes},
                       TypeRange{type.clone(storage)}, op->getAttrs());
  Operation *moved = b.create(state);
  op->getResult(0).replaceAllUsesWith(
      StorageCastOp::create(b, loc, type, moved->getResult(0)).getResult());
  op->erase();
}

/// Where a graph is best split between layouts: candidates from `first`
/// on channels-last, those before in NCHW, and the predicted total.
struct LayoutSplit {
  size_t first;
  double seconds;
};

/// The split of `candidates` (in program order, with their NCHW and NHWC
/// costs) predicted fastest, counting the transpose of the one computed
/// value read across it, if it beats `bound`. CNNs shrink their maps as
/// they go: their early layers, on long rows, are faster in NCHW and the
/// late ones, on many channels, channels-last (MobileNetV2's int8
/// depthwise layers: 85 against 154 us at 112x112x32, 61 against 25 us
/// at 7x7x960). Only a point that one use of a computed value crosses (no
/// residual connection spans it) is a candidate, so the split costs one
/// transpose; the other order (NHWC first) is not searched.
std::optional<LayoutSplit> bestSplit(const TargetDescription &target,
                                     ModuleOp module,
                                     ArrayRef<Operation *> candidates,
                                     ArrayRef<std::pair<double, double>> costs,
                                     double bound) {
  if (candidates.size() < 2)
    return std::nullopt;
  // Program positions, and which values are computed from the inputs (a
  // constant's chain is not transposed at run time).
  DenseMap<Operation *, int64_t> position;
  DenseSet<Value> computed;
  SmallVector<Value> values;
  module.walk([&](Operation *op) {
    position[op] = static_cast<int64_t>(position.size());
    bool fromInputs = llvm::any_of(op->getOperands(), [&](Value operand) {
      return isa<BlockArgument>(operand) || computed.contains(operand);
    });
    if (fromInputs)
      for (Value result : op->getResults()) {
        computed.insert(result);
        values.push_back(result);
      }
  });
  // The value read across the point `at`, when exactly one use crosses
  // it (a value also read by an op the sinking leaves NCHW, a residual
  // add, would need transposes both ways).
  auto crossing = [&](Operation *at) -> Value {
    int64_t here = position.lookup(at);
    Value found;
    for (Value value : values) {
      if (position.lookup(value.getDefiningOp()) >= here)
        continue;
      for (Operation *user : value.getUsers()) {
        if (position.lookup(user) < here)
          continue;
        if (found)
          return nullptr;
        found = value;
      }
    }
    return found;
  };
  // Prefix sums of the NCHW costs, suffix sums of the NHWC ones.
  SmallVector<double> nchwBefore{0}, nhwcFrom(candidates.size() + 1, 0);
  for (auto [nchw, nhwc] : costs)
    nchwBefore.push_back(nchwBefore.back() + nchw);
  for (size_t i = candidates.size(); i-- > 0;)
    nhwcFrom[i] = nhwcFrom[i + 1] + costs[i].second;
  std::optional<LayoutSplit> best;
  for (size_t first = 1; first < candidates.size(); ++first) {
    double seconds = nchwBefore[first] + nhwcFrom[first];
    if (seconds >= bound || (best && seconds >= best->seconds))
      continue;
    Value value = crossing(candidates[first]);
    if (!value)
      continue;
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape())
      continue;
    Type element = type.getElementType();
    auto quantized = dyn_cast<quant::QuantizedType>(element);
    if (!quantized && !element.isIntOrFloat())
      continue;
    int64_t bits = quantized ? quantized.getStorageTypeIntegralWidth()
                             : element.getIntOrFloatBitWidth();
    double bytes = static_cast<double>(type.getNumElements()) * bits / 8;
    seconds += predictSeconds(target, 0, 2 * bytes, 1);
    if (seconds < bound && (!best || seconds < best->seconds))
      best = LayoutSplit{first, seconds};
  }
  return best;
}

struct SelectCpuLayoutPass
    : paso::impl::PasoSelectCpuLayoutPassBase<SelectCpuLayoutPass> {
  using Base::Base;
  SelectCpuLayoutPass() = default;
  SelectCpuLayoutPass(const TargetDescription &description,
                      StringRef chosen)
      : target(description) {
    layout = chosen.str();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(resolvePassTarget(module, targetName, target)))
      return signalPassFailure();
    if (layout != "auto" && layout != "nchw" && layout != "nhwc") {
      module.emitError("unknown layout '")
          << layout << "'; expected auto, nchw or nhwc";
      return signalPassFailure();
    }
    SmallVector<Operation *> candidates;
    // Each candidate's predicted time in NCHW and in NHWC.
    SmallVector<std::pair<double, double>> costs;
    double nchwSeconds = 0, nhwcSeconds = 0;
    int64_t halfConvolutions = 0, integerConvolutions = 0;
    module.walk([&](Operation *op) {
      std::optional<ConvolutionShape> shape = convolutionCostShape(op);
      if (!shape)
        return;
      candidates.push_back(op);
      double nchw, nhwc;
      if (runsInHalfPrecision(op, *target) && !shape->depthwise) {
        // The fp16 kernel: a direct product at the fp16 rate, channels-last.
        // In NCHW it transposes its input and writes its output transposed,
        // which made its layers about twice as slow on this host (ResNet-18
        // 1.7x, MobileNetV2 2.1x; docs/quantization.md).
        ++halfConvolutions;
        shape->winogradEligible = false;
        nhwc = predictConvolutionSeconds(*target, *shape, true) /
               fp16ThroughputRatio(*target);
        nchw = 2 * nhwc;
      } else if (cpu::runsOnIntegerPool(op)) {
        // paso_qpool_8 on the bytes (paso-call-cpu-integer-kernels).
        ++integerConvolutions;
        nchw = predictIntegerPoolSeconds(*target, *shape, false);
        nhwc = predictIntegerPoolSeconds(*target, *shape, true);
      } else if (isa<QConvOp>(op)) {
        // The int8 kernels, whose tiles and packing differ by layout.
        ++integerConvolutions;
        nchw = predictIntegerConvolutionSeconds(*target, *shape, false);
        nhwc = predictIntegerConvolutionSeconds(*target, *shape, true);
      } else {
        nchw = predictConvolutionSeconds(*target, *shape, false);
        nhwc = predictConvolutionSeconds(*target, *shape, true);
      }
      costs.push_back({nchw, nhwc});
      nchwSeconds += nchw;
      nhwcSeconds += nhwc;
    });
    // Quantised graphs take the same decision: the layout transposes sink
    // through quantize and dequantize too, so precision boundaries cost
    // none.
    bool nhwc = layout == "nhwc" ||
                (layout == "auto" && nhwcSeconds < 0.95 * nchwSeconds);
    std::optional<LayoutSplit> split;
    if (layout == "auto")
      split = bestSplit(*target, module, candidates, costs,
                        0.95 * std::min(nchwSeconds, nhwcSeconds));
    auto of = [](int64_t count, StringRef what) {
      return count ? llvm::formatv(", {0} of them {1}", count, what).str()
                   : std::string();
    };
    std::string why =
        layout != "auto"
            ? "forced by layout=" + layout.getValue()
            : llvm::formatv("cost model: {0:F3} ms in NCHW, {1:F3} ms in "
                            "NHWC{5} over {2} convolutions and poolings{3}{4}",
                            nchwSeconds * 1e3, nhwcSeconds * 1e3,
                            candidates.size(),
                            of(halfConvolutions, "fp16 (channels-last kernel)"),
                            of(integerConvolutions, "int8"),
                            split ? llvm::formatv(", {0:F3} ms split",
                                                  split->seconds * 1e3)
                                        .str()
                                  : std::string())
                  .str();
    if (candidates.empty())
      why = "no convolution or pooling the NHWC kernels take";
    std::string decision = nhwc && !candidates.empty() ? "NHWC (" : "NCHW (";
    if (split) {
      // The high-resolution layers first, along rows; the rest along
      // channels, from the first op of the NHWC part on.
      decision = llvm::formatv("NCHW, then NHWC from {0} of {1} (",
                               split->first + 1, candidates.size());
      candidates.erase(candidates.begin(), candidates.begin() + split->first);
      nhwc = true;
    }
    module->setAttr("paso.layout",
                    StringAttr::get(&getContext(), decision + why + ")"));
    if (!nhwc || candidates.empty())
      return;
    for (Operation *op : candidates)
      convertToNhwc(op);
    numConverted += candidates.size();
    RewritePatternSet patterns(&getContext());
    populateSinkTransposePatterns(patterns);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
    // Apart from the sinking, which would move them straight back.
    RewritePatternSet hoisting(&getContext());
    hoisting.add<HoistAboveDequantize>(&getContext());
    if (failed(applyPatternsGreedily(module, std::move(hoisting))))
      return signalPassFailure();
    module.walk([&](Operation *op) {
      if (isa<TransposeOp>(op))
        ++numTransposes;
      if (isa<TransposeOp, ReshapeOp>(op))
        moveToStorage(op);
    });
  }

  std::optional<TargetDescription> target;
};

} // namespace

std::unique_ptr<Pass>
mlir::paso::createSelectCpuLayoutPass(const TargetDescription &target,
                                      StringRef layout) {
  return std::make_unique<SelectCpuLayoutPass>(
      target, layout.empty() ? StringRef(layoutOption) : layout);
}
