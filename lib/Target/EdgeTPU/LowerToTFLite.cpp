//===- LowerToTFLite.cpp - quantised paso graph to an int8 TFLite model ---===//
//
// Reads the QDQ form the quantiser (or an imported QDQ model) leaves: every
// int8 activation is a `paso.quantize` result, consumed in float through
// `paso.dequantize`, and each float op between dequantizes and one
// quantize is one TFLite int8 op whose tensors carry those quantisations.
// Walking the quantize ops in order visits the TFLite ops in execution
// order. Images go from NCHW to TFLite's NHWC here: shapes, filters and
// axes are permuted as they are written.
//
//===----------------------------------------------------------------------===//

#include "Lowering.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Import/OnnxImporter.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Quant/IR/QuantTypes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::edgetpu;

int64_t EdgeTpuSummary::mappedOps() const {
  return llvm::count_if(ops, [](const EdgeTpuOp &op) { return op.mapped; });
}

ArrayRef<StringRef> mlir::paso::edgeTpuGraphSteps() {
  static const StringRef steps[] = {
      "paso-expand-quantized",   "canonicalize", "cse",
      "paso-recognize-kernels{hard-swish=1}", "paso-decompose-for-tflite",
      "paso-fold-batch-norm",
      "paso-fuse-conv-epilogue", "paso-fuse-matmul-epilogue",
      "canonicalize",            "cse"};
  return steps;
}

bool mlir::paso::hasQuantizedValues(ModuleOp module) {
  bool found = false;
  module.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(type);
          tensor && isa<quant::QuantizedType>(tensor.getElementType()))
        found = true;
    return found ? WalkResult::interrupt() : WalkResult::advance();
  });
  return found;
}

LogicalResult Lowering::lowerProducer(Operation *producer,
                                      Activation activation, int32_t output) {
  // An activation between the op and the quantize fuses into the op.
  auto fuse = [&](std::optional<Activation> inner) -> FailureOr<Activation> {
    if (!inner)
      return fail(producer, "an activation TFLite cannot fuse");
    if (*inner != Activation::None && activation != Activation::None &&
        *inner != activation)
      return fail(producer, "two different fused activations");
    return *inner == Activation::None ? activation : *inner;
  };
  if (isa<ReluOp>(producer) || isa<ClipOp>(producer)) {
    std::optional<Activation> inner = Activation::Relu;
    if (auto clip = dyn_cast<ClipOp>(producer))
      inner = activationOf(
          "clip", {clip.getMin() ? clip.getMin()->convertToDouble() : -INFINITY,
                   clip.getMax() ? clip.getMax()->convertToDouble() : INFINITY});
    FailureOr<Activation> fused = fuse(inner);
    if (failed(fused))
      return failure();
    Operation *inside = producer->getOperand(0).getDefiningOp();
    if (!inside || !producer->getOperand(0).hasOneUse() ||
        !isa<ConvOp, FusedConvOp, FusedMatMulOp, MatMulOp, AddOp>(inside))
      return fail(producer, "an activation that follows no op it fuses into");
    return lowerProducer(inside, *fused, output);
  }
  if (auto conv = dyn_cast<ConvOp>(producer))
    return lowerConv(producer, conv.getInput(), conv.getFilter(),
                     conv.getBias(), conv.getStrides(), conv.getPads(),
                     conv.getDilations(), conv.getGroup(), activation, output);
  if (auto conv = dyn_cast<FusedConvOp>(producer)) {
    if (conv.getResidual())
      return fail(producer, "a convolution with a residual add fused in");
    FailureOr<Activation> fused =
        fuse(activationOf(conv.getActivation(), conv.getActivationParams()));
    if (failed(fused))
      return failure();
    return lowerConv(producer, conv.getInput(), conv.getFilter(),
                     conv.getBias(), conv.getStrides(), conv.getPads(),
                     conv.getDilations(), conv.getGroup(), *fused, output);
  }
  if (auto matmul = dyn_cast<FusedMatMulOp>(producer)) {
    FailureOr<Activation> fused = fuse(
        activationOf(matmul.getActivation(), matmul.getActivationParams()));
    if (failed(fused))
      return failure();
    return lowerFullyConnected(producer, matmul.getLhs(), matmul.getRhs(),
                               matmul.getTransRhs(), matmul.getBias(), *fused,
                               output);
  }
  if (auto matmul = dyn_cast<MatMulOp>(producer))
    return lowerFullyConnected(producer, matmul.getLhs(), matmul.getRhs(),
                               false, Value(), activation, output);
  if (auto gemm = dyn_cast<GemmOp>(producer)) {
    if (gemm.getTransA() || gemm.getAlpha().convertToFloat() != 1.0f ||
        (gemm.getC() && gemm.getBeta().convertToFloat() != 1.0f))
      return fail(producer, "a Gemm with alpha, beta or transA");
    return lowerFullyConnected(producer, gemm.getA(), gemm.getB(),
                               gemm.getTransB(), gemm.getC(), activation,
                               output);
  }
  if (isa<AddOp, SubOp, MulOp, DivOp>(producer)) {
    // Elementwise with broadcasting: both operands at the result's rank
    // (constants are expanded to it), so NHWC permutes them alike. A
    // constant subtrahend or divisor becomes an addend or factor.
    bool isSub = isa<SubOp>(producer), isDiv = isa<DivOp>(producer);
    bool product = isa<MulOp, DivOp>(producer);
    int64_t rank = cast<RankedTensorType>(producer->getResult(0).getType())
                       .getRank();
    Operator op(product ? OpCode::Mul : OpCode::Add);
    for (unsigned i = 0; i < 2; ++i) {
      Value operand = producer->getOperand(i);
      bool inverted = i == 1 && (isSub || isDiv);
      FailureOr<int32_t> t =
          readF32Constant(operand)
              ? constantOperand(operand, rank, producer,
                                !inverted  ? 0
                                : isSub ? 1
                                        : 2)
          : inverted ? FailureOr<int32_t>(fail(
                           producer, "a subtraction or division of a value "
                                     "that is not constant"))
                     : operandTensor(operand, producer);
      if (failed(t))
        return failure();
      if (model.tensors[*t].shape.size() != static_cast<size_t>(rank))
        return fail(producer, "an elementwise op whose operands have "
                              "different ranks");
      op.inputs.push_back(*t);
    }
    if (product && activation != Activation::None)
      return fail(producer, "an activation after a multiplication");
    op.outputs = {output};
    op.activation = activation;
    emit(producer, op,
         isSub ? "subtraction of a constant written as an addition"
         : isDiv ? "division by a constant written as a multiplication"
                 : "");
    return success();
  }
  if (activation != Activation::None)
    return fail(producer, "an activation after an op that cannot fuse it");
  if (auto pool = dyn_cast<MaxPoolOp>(producer))
    return lowerPool(producer, true, pool.getInput(), pool.getKernelShape(),
                     pool.getStrides(), pool.getPads(), pool.getDilations(),
                     pool.getCeilMode(), false, output);
  if (auto pool = dyn_cast<AveragePoolOp>(producer))
    return lowerPool(producer, false, pool.getInput(), pool.getKernelShape(),
                     pool.getStrides(), pool.getPads(), pool.getDilations(),
                     pool.getCeilMode(), pool.getCountIncludePad(), output);
  if (auto mean = dyn_cast<ReduceMeanOp>(producer)) {
    FailureOr<int32_t> in = operandTensor(mean.getInput(), producer);
    if (failed(in))
      return failure();
    int64_t rank = cast<RankedTensorType>(mean.getInput().getType()).getRank();
    std::vector<int32_t> axes;
    for (int64_t axis : mean.getAxes())
      axes.push_back(nhwcAxis(axis < 0 ? axis + rank : axis, rank));
    if (llvm::is_contained(axes, 0))
      return fail(producer, "a mean over the batch dimension");
    Operator op(OpCode::Mean);
    op.inputs = {*in, constantTensor(bytesOf(axes),
                                     {static_cast<int32_t>(axes.size())},
                                     ElementType::Int32, "axes")};
    op.outputs = {output};
    op.keepDims = mean.getKeepdims();
    emit(producer, op);
    return success();
  }
  if (auto reshape = dyn_cast<ReshapeOp>(producer)) {
    FailureOr<int32_t> in = operandTensor(reshape.getInput(), producer);
    if (failed(in))
      return failure();
    // NHWC holds an image in NCHW's element order only when its channels
    // or its plane are a single element.
    auto sameOrder = [](ArrayRef<int64_t> shape) {
      return shape.size() != 4 || shape[1] == 1 || shape[2] * shape[3] == 1;
    };
    auto inType = cast<RankedTensorType>(reshape.getInput().getType());
    auto outType = cast<RankedTensorType>(reshape.getType());
    if (!sameOrder(inType.getShape()) || !sameOrder(outType.getShape()))
      return fail(producer, "a reshape that mixes channels and pixels (in "
                            "NHWC it needs a TRANSPOSE)");
    std::vector<int32_t> shape = model.tensors[output].shape;
    int32_t written = onInputGrid(*in, output);
    Operator op(OpCode::Reshape);
    op.inputs = {*in, constantTensor(bytesOf(shape),
                                     {static_cast<int32_t>(shape.size())},
                                     ElementType::Int32, "shape")};
    op.outputs = {written};
    op.newShape = shape;
    emit(producer, op);
    requantizeInto(written, output, producer);
    return success();
  }
  if (auto concat = dyn_cast<ConcatOp>(producer)) {
    Operator op(OpCode::Concatenation);
    for (Value operand : concat.getInputs()) {
      FailureOr<int32_t> in = operandTensor(operand, producer);
      if (failed(in))
        return failure();
      // TFLite's int8 spec: every input on the output's grid.
      int32_t input = *in;
      if (gridOf(input) != gridOf(output)) {
        Tensor twin = model.tensors[input];
        twin.name += "/concat_grid";
        twin.scales = model.tensors[output].scales;
        twin.zeroPoints = model.tensors[output].zeroPoints;
        int32_t requantized = model.addTensor(std::move(twin));
        requantizeInto(input, requantized, producer);
        input = requantized;
      }
      op.inputs.push_back(input);
    }
    int64_t rank = cast<RankedTensorType>(concat.getType()).getRank();
    int64_t axis = concat.getAxis() < 0 ? concat.getAxis() + rank
                                        : concat.getAxis();
    op.axis = nhwcAxis(axis, rank);
    op.outputs = {output};
    emit(producer, op);
    return success();
  }
  if (isa<HardSwishOp>(producer)) {
    FailureOr<int32_t> in = operandTensor(producer->getOperand(0), producer);
    if (failed(in))
      return failure();
    Operator op(OpCode::HardSwish);
    op.inputs = {*in};
    op.outputs = {output};
    emit(producer, op);
    return success();
  }
  if (auto hard = dyn_cast<HardSigmoidOp>(producer)) {
    // clamp(alpha x + beta, 0, 1) = alpha * clamp(x + beta / alpha, 0,
    // 1 / alpha): an ADD onto the grid of [0, 1 / alpha], whose saturation
    // is the clamp, then a MUL by alpha; both map (TFLite has no
    // HARD_SIGMOID).
    double alpha = hard.getAlpha().convertToDouble();
    double beta = hard.getBeta().convertToDouble();
    if (!(alpha > 0))
      return fail(producer, "a HardSigmoid with alpha <= 0");
    FailureOr<int32_t> in = operandTensor(hard.getInput(), producer);
    if (failed(in))
      return failure();
    auto scalar = [&](double value, StringRef name) {
      float scale = value != 0 ? static_cast<float>(std::fabs(value) / 127) : 1;
      int8_t q = value > 0 ? 127 : value < 0 ? -127 : 0;
      return constantTensor({static_cast<uint8_t>(q)}, {1}, ElementType::Int8,
                            name, {scale}, {0});
    };
    Tensor shifted = model.tensors[*in];
    shifted.name += "/shifted";
    shifted.scales = {static_cast<float>(1.0 / alpha / 255)};
    shifted.zeroPoints = {-128};
    int32_t shiftedTensor = model.addTensor(std::move(shifted));
    std::string note = "HardSigmoid rewritten as ADD " +
                       llvm::formatv("{0:g}", beta / alpha).str() +
                       " (saturating to [0, " +
                       llvm::formatv("{0:g}", 1 / alpha).str() + "]), MUL " +
                       llvm::formatv("{0:g}", alpha).str();
    Operator add(OpCode::Add);
    add.inputs = {*in, scalar(beta / alpha, "offset")};
    add.outputs = {shiftedTensor};
    emit(producer, add, note);
    Operator mul(OpCode::Mul);
    mul.inputs = {shiftedTensor, scalar(alpha, "slope")};
    mul.outputs = {output};
    emit(producer, mul, note);
    summary.rewrites.push_back(note + " at " + origins(producer));
    return success();
  }
  if (auto resize = dyn_cast<ResizeOp>(producer)) {
    // TFLite's flags against ONNX's coordinate transformations: the
    // default is ONNX's asymmetric (with nearest's floor), half-pixel
    // centres its half_pixel, align_corners its align_corners.
    StringRef transform = resize.getCoordinateTransformationMode();
    bool nearest = resize.getMode() == "nearest";
    Operator op(nearest ? OpCode::ResizeNearestNeighbor
                        : OpCode::ResizeBilinear);
    ArrayRef<int64_t> sizes = resize.getSizes();
    ArrayRef<int64_t> inShape =
        cast<RankedTensorType>(resize.getInput().getType()).getShape();
    if (sizes.size() != 4 || sizes[0] != inShape[0] || sizes[1] != inShape[1])
      return fail(producer, "a resize of other than the image's plane");
    if (nearest) {
      if (transform != "asymmetric" || resize.getNearestMode() != "floor")
        return fail(producer, "a nearest resize other than asymmetric with "
                              "floor rounding (TFLite's default)");
    } else if (transform == "half_pixel" || transform == "pytorch_half_pixel") {
      op.halfPixelCenters = true;
      op.version = 3;
    } else if (transform == "align_corners") {
      op.alignCorners = true;
    } else if (transform != "asymmetric") {
      return fail(producer, "a linear resize with coordinate mode '" +
                                transform.str() + "'");
    }
    // The scales TFLite derives (in / out) must be the model's.
    ArrayRef<double> scales = resize.getScales();
    for (int d = 2; d < 4; ++d)
      if (std::fabs(scales[d] - double(sizes[d]) / inShape[d]) > 1e-6)
        return fail(producer, "a resize whose scales are not output size / "
                              "input size");
    FailureOr<int32_t> in = operandTensor(resize.getInput(), producer);
    if (failed(in))
      return failure();
    std::vector<int32_t> size = {static_cast<int32_t>(sizes[2]),
                                 static_cast<int32_t>(sizes[3])};
    int32_t written = onInputGrid(*in, output);
    op.inputs = {*in, constantTensor(bytesOf(size), {2}, ElementType::Int32,
                                     "size")};
    op.outputs = {written};
    emit(producer, op);
    requantizeInto(written, output, producer);
    return success();
  }
  if (isa<SoftmaxOp, SigmoidOp, TanhOp>(producer)) {
    bool softmax = isa<SoftmaxOp>(producer), tanh = isa<TanhOp>(producer);
    Value input = producer->getOperand(0);
    int64_t rank = cast<RankedTensorType>(input.getType()).getRank();
    if (auto op = dyn_cast<SoftmaxOp>(producer);
        op && nhwcAxis(op.getAxis(), rank) != rank - 1)
      return fail(producer, "a softmax that is not along the innermost "
                            "dimension in NHWC");
    FailureOr<int32_t> in = operandTensor(input, producer);
    if (failed(in))
      return failure();
    // TFLite's int8 kernels write on the grid [0, 1) in 256 steps, tanh
    // on [-1, 1) in 256.
    Tensor fixed = model.tensors[output];
    fixed.name += "/unit_grid";
    fixed.scales = {tanh ? 1.0f / 128 : 1.0f / 256};
    fixed.zeroPoints = {tanh ? 0 : -128};
    int32_t written = model.tensors[output].scales == fixed.scales &&
                              model.tensors[output].zeroPoints ==
                                  fixed.zeroPoints
                          ? output
                          : model.addTensor(std::move(fixed));
    Operator op(softmax ? OpCode::Softmax
                : tanh  ? OpCode::Tanh
                        : OpCode::Logistic);
    op.inputs = {*in};
    op.outputs = {written};
    emit(producer, op);
    requantizeInto(written, output, producer);
    return success();
  }
  return fail(producer, "'" + producer->getName().getStringRef().str() +
                            "' has no Edge TPU mapping in PASO");
}

LogicalResult Lowering::lowerQuantize(QuantizeOp op) {
  Value input = op.getInput();
  auto name = [&](Value value) -> std::string {
    if (auto arg = dyn_cast<BlockArgument>(value))
      if (auto attr = func.getArgAttrOfType<StringAttr>(arg.getArgNumber(),
                                                        "paso.name"))
        return attr.str();
    return nodeName(value.getLoc(), "t" + std::to_string(model.tensors.size()));
  };
  if (auto arg = dyn_cast<BlockArgument>(input)) {
    FailureOr<int32_t> t = newActivation(op.getType(), name(arg), op);
    if (failed(t))
      return failure();
    tensorOf[op.getResult()] = *t;
    model.inputs.push_back(*t);
    return success();
  }
  if (Value source = dequantized(input)) {
    FailureOr<int32_t> from = tensorFor(source, op);
    if (failed(from))
      return failure();
    FailureOr<int32_t> to = newActivation(op.getType(), name(input), op);
    if (failed(to))
      return failure();
    if (gridOf(*from) == gridOf(*to)) {
      tensorOf[op.getResult()] = *from;
      return success();
    }
    tensorOf[op.getResult()] = *to;
    requantizeInto(*from, *to, op);
    return success();
  }
  Operation *producer = input.getDefiningOp();
  if (!producer)
    return fail(op, "a quantisation of nothing the lowering knows");
  if (!input.hasOneUse())
    return fail(producer, "a float result also used unquantised");
  FailureOr<int32_t> output = newActivation(op.getType(), name(input), op);
  if (failed(output))
    return failure();
  tensorOf[op.getResult()] = *output;
  return lowerProducer(producer, Activation::None, *output);
}

LogicalResult Lowering::run(Model &out) {
  bool cut = false;
  for (Operation &op : func.getBody().front()) {
    Snapshot before = snapshot();
    LogicalResult result = success();
    if (auto quantize = dyn_cast<QuantizeOp>(op)) {
      result = lowerQuantize(quantize);
    } else if (auto requantize = dyn_cast<RequantizeOp>(op)) {
      FailureOr<int32_t> from = tensorFor(requantize.getInput(), &op);
      FailureOr<int32_t> to =
          failed(from) ? FailureOr<int32_t>(failure())
                       : newActivation(requantize.getType(), nodeName(op.getLoc(), "requantized"), &op);
      if (failed(to))
        result = failure();
      else {
        tensorOf[requantize.getResult()] = *to;
        requantizeInto(*from, *to, &op);
      }
    } else if (auto conv = dyn_cast<QConvOp>(op)) {
      FailureOr<int32_t> output = newActivation(conv.getType(), nodeName(op.getLoc(), "conv"), &op);
      std::optional<Activation> activation =
          activationOf(conv.getActivation(), conv.getActivationParams());
      if (failed(output) || !activation) {
        result = fail(&op, "an activation TFLite cannot fuse");
      } else {
        tensorOf[conv.getResult()] = *output;
        result = lowerConv(&op, conv.getInput(), conv.getFilter(),
                           conv.getBias(), conv.getStrides(), conv.getPads(),
                           conv.getDilations(), conv.getGroup(), *activation,
                           *output);
      }
    } else if (isa<QMatMulOp, DynamicQuantizeOp>(op)) {
      result = fail(&op, "an integer op of an imported QOperator model "
                         "(quantise the float model with PASO, or import "
                         "it in QDQ form)");
    } else if (auto ret = dyn_cast<func::ReturnOp>(op)) {
      for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
        FailureOr<int32_t> t = operandTensor(value, &op);
        if (failed(t)) {
          if (firstFailure && firstFailure->op == &op)
            firstFailure->rule =
                "a float model output: the graph after the last quantised "
                "value runs in float, and the Edge TPU runs int8 only";
          result = failure();
          break;
        }
        if (auto attr = func.getResultAttrOfType<StringAttr>(i, "paso.name"))
          model.tensors[*t].name = attr.str();
        model.outputs.push_back(*t);
      }
    }
    if (failed(result)) {
      // The ops written so far stay on the Edge TPU; the CPU runs the rest.
      if (allowCut && before.operators > 0 && before.inputs > 0) {
        rollBack(before);
        cut = true;
      }
      break;
    }
  }
  if (cut) {
    EdgeTpuOp record;
    record.origins = origins(firstFailure->op);
    record.note = "the CPU runs this op and the rest: " + firstFailure->rule;
    summary.ops.push_back(record);
    if (summary.cut.empty())
      summary.cut = record.origins + ": " + firstFailure->rule;
    summary.cpuRemainder = true;
  } else if (firstFailure) {
    EdgeTpuOp record;
    record.origins = origins(firstFailure->op);
    record.note = firstFailure->rule;
    summary.ops.push_back(record);
    summary.cut = record.origins + ": " + record.note;
    return emitError(firstFailure->op->getLoc())
           << "cannot write this op for the Edge TPU: " << firstFailure->rule
           << " (docs/edgetpu.md lists what maps)";
  }
  // Tensor names must be unique for readers that look tensors up by name.
  llvm::StringMap<int> seen;
  for (Tensor &tensor : model.tensors) {
    int count = seen[tensor.name]++;
    if (count)
      tensor.name += "_" + std::to_string(count);
  }
  for (int32_t t : model.inputs)
    summary.inputs.push_back(describeIo(model.tensors[t]));
  for (int32_t t : model.outputs)
    summary.outputs.push_back(describeIo(model.tensors[t]));
  model.description = "PASO: int8 for the Coral Edge TPU";
  out = std::move(model);
  return success();
}
LogicalResult
mlir::paso::writeEdgeTpuTFLite(ModuleOp module, llvm::raw_ostream &os,
                               EdgeTpuSummary &summary,
                               OwningOpRef<ModuleOp> *remainder) {
  func::FuncOp entry;
  for (auto func : module.getOps<func::FuncOp>())
    if (!func.isExternal())
      entry = func;
  if (!entry)
    return emitError(module.getLoc()) << "no model function to write";
  Model model;
  Lowering lowering(entry, summary, remainder != nullptr);
  if (failed(lowering.run(model)))
    return failure();
  if (summary.cpuRemainder) {
    *remainder = lowering.buildRemainder(module, model);
    if (!*remainder)
      return emitError(module.getLoc()) << "cannot build the CPU part";
  }
  std::vector<uint8_t> bytes = serialize(model);
  summary.bytes = static_cast<int64_t>(bytes.size());
  os.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  return success();
}
