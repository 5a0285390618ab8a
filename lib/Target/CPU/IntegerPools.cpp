//===- IntegerPools.cpp - 8-bit poolings on paso_qpool_8 ------------------===//
//
// A quantised model pools its 8-bit activations: max pooling (SqueezeNet's
// three, ResNet's stem) and QLinearAveragePool. Run as float they cost a
// dequantisation, a float window and a quantisation; paso_qpool_8 reads
// the bytes once, 64 outputs per vector, and writes bytes. Its average is
// ONNX Runtime's QLinearAveragePool to the bit (paso_qpool.c).
//
//===----------------------------------------------------------------------===//

#include "IntegerPools.h"

#include "paso/Runtime/paso_gemm.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::cpu;

namespace {

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

int64_t floatBits(float value) { return llvm::bit_cast<int32_t>(value); }

quant::UniformQuantizedType eightBitPerTensor(Value value) {
  auto element =
      dyn_cast<quant::UniformQuantizedType>(tensorType(value).getElementType());
  if (!element || element.getStorageTypeIntegralWidth() != 8)
    return nullptr;
  return element;
}

/// The attributes both poolings share, read through the op interface-less
/// accessors of either.
struct Window {
  ArrayRef<int64_t> kernel, strides, pads, dilations;
  bool channelsLast;
};

template <typename PoolOp> Window windowOf(PoolOp op) {
  return {op.getKernelShape(), op.getStrides(), op.getPads(), op.getDilations(),
          op.getChannelsLast()};
}

/// The fields and work of a 2-D pooling of `input` into `output`, or
/// nullopt when paso_qpool_8 does not take its window.
std::optional<IntegerPool> planWindow(Value input, Value output,
                                      const Window &window) {
  RankedTensorType in = tensorType(input), out = tensorType(output);
  if (!in.hasStaticShape() || !out.hasStaticShape() || in.getRank() != 4 ||
      window.kernel.size() != 2 ||
      !llvm::all_of(window.dilations, [](int64_t d) { return d == 1; }))
    return std::nullopt;
  bool nhwc = window.channelsLast;
  int64_t first = nhwc ? 1 : 2;
  int64_t images = in.getDimSize(0), channels = in.getDimSize(nhwc ? 3 : 1);
  int64_t height = in.getDimSize(first), width = in.getDimSize(first + 1);
  int64_t outH = out.getDimSize(first), outW = out.getDimSize(first + 1);
  IntegerPool plan;
  plan.input = input;
  plan.kernel = "paso_qpool_8";
  plan.name = "qpool";
  plan.fields = {{PASO_GEMM_M, channels},
                 {PASO_GEMM_N, outH * outW},
                 {PASO_GEMM_K, window.kernel[0] * window.kernel[1]},
                 {PASO_GEMM_BATCH, images},
                 {PASO_GEMM_B_LAYOUT, nhwc ? PASO_B_NHWC_IMAGE : PASO_B_IM2COL},
                 {PASO_GEMM_IMAGE_C, channels},
                 {PASO_GEMM_IMAGE_H, height},
                 {PASO_GEMM_IMAGE_W, width},
                 {PASO_GEMM_KERNEL_H, window.kernel[0]},
                 {PASO_GEMM_KERNEL_W, window.kernel[1]},
                 {PASO_GEMM_STRIDE_H, window.strides[0]},
                 {PASO_GEMM_STRIDE_W, window.strides[1]},
                 {PASO_GEMM_PAD_TOP, window.pads[0]},
                 {PASO_GEMM_PAD_LEFT, window.pads[1]},
                 {PASO_GEMM_DILATION_H, 1},
                 {PASO_GEMM_DILATION_W, 1},
                 {PASO_GEMM_OUT_W, outW}};
  double outputs = static_cast<double>(out.getNumElements());
  plan.flops = outputs * window.kernel[0] * window.kernel[1];
  plan.bytes = static_cast<double>(in.getNumElements()) + outputs;
  return plan;
}

/// The params of paso_qpool_8 (paso_qpool.c).
SmallVector<int64_t> poolParams(bool average, quant::UniformQuantizedType x,
                                quant::UniformQuantizedType y,
                                bool includePad) {
  return {average,
          x.isSigned(),
          x.getZeroPoint(),
          y.getZeroPoint(),
          floatBits(static_cast<float>(x.getScale())),
          floatBits(static_cast<float>(y.getScale())),
          includePad};
}

/// A window as large as the unpadded image: ONNX Runtime's
/// QLinearAveragePool computes it as its global pool, and so does
/// paso_qmean_8 (an int32 sum, one rounding).
bool coversImage(AveragePoolOp pool) {
  RankedTensorType in = tensorType(pool.getInput());
  int64_t first = pool.getChannelsLast() ? 1 : 2;
  return pool.getKernelShape()[0] == in.getDimSize(first) &&
         pool.getKernelShape()[1] == in.getDimSize(first + 1) &&
         llvm::all_of(pool.getPads(), [](int64_t p) { return p == 0; });
}

void useGlobalMean(IntegerPool &plan, AveragePoolOp pool,
                   quant::UniformQuantizedType x,
                   quant::UniformQuantizedType y) {
  RankedTensorType in = tensorType(pool.getInput());
  bool nhwc = pool.getChannelsLast();
  int64_t channels = in.getDimSize(nhwc ? 3 : 1);
  int64_t size = in.getNumElements() / (in.getDimSize(0) * channels);
  float scale = static_cast<float>(x.getScale()) /
                (static_cast<float>(y.getScale()) * static_cast<float>(size));
  plan.kernel = "paso_qmean_8";
  plan.name = "qmean";
  plan.fields = {{PASO_GEMM_M, in.getDimSize(0) * channels},
                 {PASO_GEMM_K, size},
                 {PASO_GEMM_N, nhwc ? channels : 1},
                 {PASO_GEMM_BATCH, 1}};
  plan.params = {x.getZeroPoint(),      y.getZeroPoint(), y.getStorageTypeMin(),
                 y.getStorageTypeMax(), floatBits(scale), x.isSigned(),
                 y.isSigned()};
  plan.algorithm = std::string("int8 average pool over the whole image, ") +
                   (nhwc ? "channels-last, " : "") +
                   "as a global pool (int32 sum, one rounding)";
}

} // namespace

std::optional<IntegerPool> cpu::planQuantizedPool(QuantizeOp quantize) {
  // Through a reshape, which keeps the bytes' order: a channels-last
  // pooling to one pixel read as NCHW.
  Value pooled = quantize.getInput();
  auto reshape = pooled.getDefiningOp<ReshapeOp>();
  if (reshape && reshape->hasOneUse())
    pooled = reshape.getInput();
  else
    reshape = nullptr;
  Operation *pool = pooled.getDefiningOp();
  if (!pool || !isa<MaxPoolOp, AveragePoolOp>(pool) || !pool->hasOneUse())
    return std::nullopt;
  auto dequantize = pool->getOperand(0).getDefiningOp<DequantizeOp>();
  if (!dequantize)
    return std::nullopt;
  quant::UniformQuantizedType x = eightBitPerTensor(dequantize.getInput()),
                              y = eightBitPerTensor(quantize.getResult());
  // One signedness: ONNX Runtime's QLinearAveragePool has one type T.
  if (!x || !y || x.isSigned() != y.isSigned())
    return std::nullopt;
  auto average = dyn_cast<AveragePoolOp>(pool);
  // The maximum of the bytes is the pooled value's byte only on one grid.
  if (!average && x != y)
    return std::nullopt;
  Window window = average ? windowOf(average) : windowOf(cast<MaxPoolOp>(pool));
  std::optional<IntegerPool> plan =
      planWindow(dequantize.getInput(), pool->getResult(0), window);
  if (!plan)
    return std::nullopt;
  plan->pool = pool;
  plan->reshape = reshape;
  plan->dequantize = dequantize;
  bool nhwc = window.channelsLast;
  if (average && coversImage(average)) {
    useGlobalMean(*plan, average, x, y);
    return plan;
  }
  plan->params = poolParams(average != nullptr, x, y,
                            average ? average.getCountIncludePad() : false);
  plan->algorithm =
      average
          ? std::string("int8 average pool") + (nhwc ? ", channels-last" : "") +
                " (ONNX Runtime's QLinearAveragePool: f32 window sums)"
          : std::string("int8 max pool") + (nhwc ? ", channels-last" : "") +
                " (on the bytes)";
  return plan;
}

std::optional<IntegerPool> cpu::planStoragePool(MaxPoolOp pool) {
  auto element = dyn_cast<IntegerType>(pool.getType().getElementType());
  if (!element || element.getWidth() != 8)
    return std::nullopt;
  std::optional<IntegerPool> plan =
      planWindow(pool.getInput(), pool.getResult(), windowOf(pool));
  if (!plan)
    return std::nullopt;
  plan->pool = pool;
  // Only the signedness matters to a maximum: no scales, no zero points.
  plan->params = {0, !element.isUnsigned(), 0, 0, 0, 0, 0};
  plan->algorithm = std::string("int8 max pool") +
                    (pool.getChannelsLast() ? ", channels-last" : "") +
                    " (on the bytes)";
  return plan;
}

bool cpu::runsOnIntegerPool(Operation *op) {
  if (auto max = dyn_cast<MaxPoolOp>(op))
    if (planStoragePool(max))
      return true;
  if (!isa<MaxPoolOp, AveragePoolOp>(op) || !op->hasOneUse())
    return false;
  // Its quantize, directly or through the reshape planQuantizedPool takes.
  Operation *user = *op->getUsers().begin();
  if (isa<ReshapeOp>(user) && user->hasOneUse())
    user = *user->getUsers().begin();
  auto quantize = dyn_cast<QuantizeOp>(user);
  return quantize && planQuantizedPool(quantize).has_value();
}
