//===- CallIntegerKernels.cpp - paso.qconv/qmatmul on the int8 kernel -----===//
//
// paso-call-cpu-integer-kernels (Passes.td): replaces each integer
// convolution and product the runtime's int8 kernel takes by one call,
// with its weights packed and its requantisation constants computed here,
// and expands the rest to float so they reach the float kernels. The
// kernel variant is chosen from the target's feature list (data, not a
// target name): AVX-512 VNNI, or the portable kernel.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "IntegerPools.h"
#include "KernelCalls.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Dialect/Paso/Transforms/Passes.h"
#include "paso/Runtime/paso_gemm.h"
#include "paso/Target/CostModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/bit.h"

#include <array>
#include <cmath>
#include <limits>

namespace mlir::paso {
#define GEN_PASS_DEF_PASOCALLCPUINTEGERKERNELSPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

using Descriptor = std::array<int64_t, PASO_QGEMM_FIELDS>;

RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// The product kernel a target runs, from its triple and feature list:
/// VPDPBUSD (x86 with AVX-512 VNNI; its 256-bit VEX form with AVX-VNNI),
/// VPMADDWD (x86 with AVX2), SDOT (aarch64 with dotprod),
/// SMULL/SMLAL (other aarch64; weights must avoid -128, checked per layer
/// by planRequantisation), else the portable kernel.
enum class Variant { Portable, Vnni, AvxVnni, Avx2, Dot, Widen };
Variant productVariant(const TargetDescription &target) {
  StringRef features(target.features), triple(target.triple);
  if (triple.starts_with("x86_64") && features.contains("+avx512vnni"))
    return Variant::Vnni;
  if (triple.starts_with("x86_64") && features.contains("+avxvnni"))
    return Variant::AvxVnni;
  if (triple.starts_with("x86_64") && features.contains("+avx2"))
    return Variant::Avx2;
  if (triple.starts_with("aarch64"))
    return features.contains("+dotprod") ? Variant::Dot : Variant::Widen;
  return Variant::Portable;
}

/// One call: descriptor, packed weights (A), the per-row constants and
/// the activations (B).
struct IntegerCall {
  Descriptor d{};
  SmallVector<int64_t> packed;
  SmallVector<int64_t> params;
  Value activations;
  std::string algorithm;
  double flops = 0, bytes = 0;
  /// Arena bytes the kernel's im2col needs (paso_gemm.h), 0 for none.
  int64_t scratchBytes = 0;
  /// The depthwise kernel rather than the product.
  bool depthwise = false;
  /// A kernel of its own (the channels-last depthwise), else chosen from
  /// `variant` and `depthwise`.
  std::string kernel;
  /// The product kernel, as planned for this layer's weights.
  Variant variant = Variant::Portable;
  /// MatMulInteger with the activations' zero point known only at run
  /// time (DynamicQuantizeLinear): the sums are corrected after the call
  /// by - zero point x each output's weight sum.
  Value runtimeZeroPoint;
  SmallVector<int64_t> weightSums;
  /// The value the call's result replaces (the op's result when null),
  /// and the ops from the op to it, which then go.
  Value replaced;
  SmallVector<Operation *> chain;
};

/// Weights as rows: `at(m, k)` for an M x K product with per-row scales;
/// nullopt unless constant, int8 and symmetric.
struct RowWeights {
  int64_t rows = 0, depth = 0;
  SmallVector<int64_t> values; // row-major M x K
  SmallVector<double> scales;
};

std::optional<RowWeights> readRowWeights(Value weights, bool transposed) {
  RankedTensorType type = tensorType(weights);
  auto element = dyn_cast<quant::QuantizedType>(type.getElementType());
  std::optional<SmallVector<int64_t>> data = readIntConstant(weights);
  if (!element || !element.isSigned() ||
      element.getStorageTypeIntegralWidth() != 8 || !data ||
      !type.hasStaticShape())
    return std::nullopt;
  RowWeights rows;
  // Convolution filters are M x (C kh kw); product weights are K x M.
  int64_t total = type.getNumElements();
  rows.rows = transposed ? type.getDimSize(1) : type.getDimSize(0);
  rows.depth = total / std::max<int64_t>(1, rows.rows);
  rows.values.resize(total);
  for (int64_t m = 0; m < rows.rows; ++m)
    for (int64_t k = 0; k < rows.depth; ++k)
      rows.values[m * rows.depth + k] =
          transposed ? (*data)[k * rows.rows + m] : (*data)[m * rows.depth + k];
  if (auto perTensor = dyn_cast<quant::UniformQuantizedType>(element)) {
    if (perTensor.getZeroPoint() != 0)
      return std::nullopt;
    rows.scales.assign(rows.rows, perTensor.getScale());
    return rows;
  }
  auto perAxis = cast<quant::UniformQuantizedPerAxisType>(element);
  if (llvm::any_of(perAxis.getZeroPoints(), [](int64_t z) { return z != 0; }))
    return std::nullopt;
  rows.scales.assign(perAxis.getScales().begin(), perAxis.getScales().end());
  return rows;
}

/// The product kernel's weight panels: 12 rows x groups of four k,
/// zero-padded (paso_gemm.h).
SmallVector<int64_t> packPanels(const RowWeights &w) {
  int64_t M = w.rows, K = w.depth, K4 = (K + 3) / 4;
  int64_t panels = (M + PASO_QGEMM_MR - 1) / PASO_QGEMM_MR;
  SmallVector<int64_t> packed(panels * K4 * PASO_QGEMM_MR * 4, 0);
  for (int64_t m = 0; m < M; ++m)
    for (int64_t k = 0; k < K; ++k)
      packed[(m / PASO_QGEMM_MR) * K4 * PASO_QGEMM_MR * 4 +
             (k / 4) * PASO_QGEMM_MR * 4 + (m % PASO_QGEMM_MR) * 4 + k % 4] =
          w.values[m * K + k];
  return packed;
}

/// The kernel variant for `w` and, per row, the weights' sum and the int32
/// bias the kernel adds: `biases[m]` (0 when empty) minus the activations'
/// zero point (`zeroB`, in the uint8 units the kernel reads) times the
/// row's sum. False when a bias overflows int32.
bool planZeroPointBiases(IntegerCall &call, const RowWeights &w,
                         int64_t zeroB, ArrayRef<int64_t> biases,
                         Variant variant) {
  // Two int8 x int8 products must fit 16 bits for SMULL/SMLAL.
  if (variant == Variant::Widen &&
      llvm::is_contained(w.values, int64_t(-128)))
    variant = Variant::Portable;
  call.variant = variant;
  // SDOT and SMULL read B as int8 (b - 128): the bias gives the 128s back.
  int64_t signedShift =
      variant == Variant::Dot || variant == Variant::Widen ? 128 : 0;
  int64_t M = w.rows, K = w.depth;
  call.params.assign(2 * M, 0);
  call.weightSums.clear();
  for (int64_t m = 0; m < M; ++m) {
    int64_t rowSum = 0;
    for (int64_t k = 0; k < K; ++k)
      rowSum += w.values[m * K + k];
    call.weightSums.push_back(rowSum);
    int64_t b = (biases.empty() ? 0 : biases[m]) -
                (zeroB - signedShift) * rowSum;
    if (b < INT32_MIN || b > INT32_MAX)
      return false;
    call.params[m] = b;
  }
  return true;
}

/// Fills the per-row constants and the quantisation fields shared by
/// convolutions and products.
bool planRequantisation(IntegerCall &call, const RowWeights &w, Value input,
                        Value bias, Type outputType, StringRef activation,
                        ArrayRef<double> params, Variant variant) {
  auto in = dyn_cast<quant::UniformQuantizedType>(
      tensorType(input).getElementType());
  auto out = dyn_cast<quant::UniformQuantizedType>(outputType);
  if (!in || !out || in.getStorageTypeIntegralWidth() != 8)
    return false;
  std::optional<SmallVector<int64_t>> biasValues;
  if (bias) {
    biasValues = readIntConstant(bias);
    if (!biasValues)
      return false;
  }
  int64_t M = w.rows, K = w.depth;
  // Activations are read as uint8: int8 ones flipped by 0x80.
  int64_t zeroB = in.getZeroPoint() + (in.isSigned() ? 128 : 0);
  if (!planZeroPointBiases(call, w,
                           zeroB, biasValues ? ArrayRef<int64_t>(*biasValues)
                                             : ArrayRef<int64_t>(),
                           variant))
    return false;
  for (int64_t m = 0; m < M; ++m) {
    // In f32, as ONNX Runtime computes it: (input scale x weight scale) /
    // output scale.
    float mult = (static_cast<float>(in.getScale()) *
                  static_cast<float>(w.scales[m])) /
                 static_cast<float>(out.getScale());
    call.params[M + m] = llvm::bit_cast<int32_t>(mult);
  }
  Descriptor &d = call.d;
  int64_t zeroC = out.getZeroPoint();
  int64_t lo = out.getStorageTypeMin(), hi = out.getStorageTypeMax();
  auto toStorage = [&](double real) {
    return zeroC + static_cast<int64_t>(std::nearbyint(real / out.getScale()));
  };
  if (activation == "relu") {
    lo = std::max(lo, zeroC);
  } else if (activation == "clip") {
    lo = std::max(lo, toStorage(params[0]));
    hi = std::min(hi, toStorage(params[1]));
  }
  d[PASO_QGEMM_B_ZERO_POINT] = zeroB;
  d[PASO_QGEMM_B_SIGNED] = in.isSigned();
  d[PASO_QGEMM_C_ZERO_POINT] = zeroC;
  d[PASO_QGEMM_C_MIN] = lo;
  d[PASO_QGEMM_C_MAX] = std::max(lo, hi);
  d[PASO_GEMM_M] = M;
  d[PASO_GEMM_K] = K;
  return true;
}

/// A convolution's sizes in either layout: NCHW input [N, C, H, W] and
/// filter [M, C/g, KH, KW]; channels-last input [N, H, W, C] and filter
/// [M, KH, KW, C/g] (paso-select-cpu-layout).
struct ConvDims {
  int64_t images, C, H, W, M, OH, OW, KH, KW;
  bool nhwc;
};

ConvDims convDims(QConvOp op) {
  RankedTensorType in = tensorType(op.getInput());
  RankedTensorType out = tensorType(op.getResult());
  RankedTensorType filter = tensorType(op.getFilter());
  bool nhwc = op.getChannelsLast();
  int c = nhwc ? 3 : 1, h = nhwc ? 1 : 2, w = nhwc ? 2 : 3;
  return {in.getDimSize(0),      in.getDimSize(c),      in.getDimSize(h),
          in.getDimSize(w),      out.getDimSize(c),     out.getDimSize(h),
          out.getDimSize(w),     filter.getDimSize(nhwc ? 1 : 2),
          filter.getDimSize(nhwc ? 2 : 3), nhwc};
}

/// Pixels of the images padded to cover every window of a convolution's
/// output (the runtime's sizePadding), per image.
int64_t paddedPixels(QConvOp op) {
  ConvDims s = convDims(op);
  int64_t lastH = (s.OH - 1) * op.getStrides()[0] + (s.KH - 1) * op.getDilations()[0];
  int64_t lastW = (s.OW - 1) * op.getStrides()[1] + (s.KW - 1) * op.getDilations()[1];
  return std::max(lastH + 1, op.getPads()[0] + s.H) *
         std::max(lastW + 1, op.getPads()[1] + s.W);
}

/// Bytes of the padded images of the im2col (both layouts).
int64_t paddedImageBytes(QConvOp op) {
  ConvDims s = convDims(op);
  return s.images * s.C * paddedPixels(op);
}

/// Fills the window geometry of a convolution's descriptor: B the image
/// through the im2col of its layout, C written NCHW (rows of pixels) or,
/// channels-last, by columns (pixels of M channels).
void setGeometry(Descriptor &d, QConvOp op) {
  ConvDims s = convDims(op);
  d[PASO_GEMM_N] = s.OH * s.OW;
  d[PASO_GEMM_BATCH] = s.images;
  d[PASO_GEMM_B_LAYOUT] = s.nhwc ? PASO_B_NHWC_IMAGE : PASO_B_IM2COL;
  d[PASO_GEMM_LDC] = s.nhwc ? s.M : s.OH * s.OW;
  d[PASO_QGEMM_C_COLUMNS] = s.nhwc;
  d[PASO_GEMM_B_BATCH_STRIDE] = s.C * s.H * s.W;
  d[PASO_GEMM_C_BATCH_STRIDE] = s.M * s.OH * s.OW;
  d[PASO_GEMM_IMAGE_C] = s.C;
  d[PASO_GEMM_IMAGE_H] = s.H;
  d[PASO_GEMM_IMAGE_W] = s.W;
  d[PASO_GEMM_KERNEL_H] = s.KH;
  d[PASO_GEMM_KERNEL_W] = s.KW;
  d[PASO_GEMM_STRIDE_H] = op.getStrides()[0];
  d[PASO_GEMM_STRIDE_W] = op.getStrides()[1];
  d[PASO_GEMM_PAD_TOP] = op.getPads()[0];
  d[PASO_GEMM_PAD_LEFT] = op.getPads()[1];
  d[PASO_GEMM_DILATION_H] = op.getDilations()[0];
  d[PASO_GEMM_DILATION_W] = op.getDilations()[1];
  d[PASO_GEMM_OUT_W] = s.OW;
}

/// The channels-last depthwise kernel's weights: KH x KW rows of the
/// channels rounded up to 16, zero past C (paso_qdepthwise_nhwc.c).
SmallVector<int64_t> packTapRows(const RowWeights &w) {
  int64_t padded = (w.rows + 15) / 16 * 16;
  SmallVector<int64_t> packed(w.depth * padded, 0);
  for (int64_t c = 0; c < w.rows; ++c)
    for (int64_t t = 0; t < w.depth; ++t)
      packed[t * padded + c] = w.values[c * w.depth + t];
  return packed;
}

/// A depthwise convolution (one filter per channel) on
/// paso_qdepthwise_u8s8 (NCHW: raw C x taps weights, no panels) or
/// paso_qdepthwise_nhwc_8 (channels-last, every target).
std::optional<IntegerCall> planDepthwise(QConvOp op, Variant variant) {
  ConvDims s = convDims(op);
  RankedTensorType filterType = tensorType(op.getFilter());
  if (static_cast<int64_t>(op.getGroup()) != s.C || s.M != s.C ||
      filterType.getDimSize(s.nhwc ? 3 : 1) != 1 ||
      s.KH * s.KW > PASO_DEPTHWISE_MAX_WINDOW)
    return std::nullopt;
  std::optional<RowWeights> w = readRowWeights(op.getFilter(), false);
  // 3x3 windows of stride 1 or 2, undilated, have dot-product kernels
  // in NCHW: VPDPBUSD (reading activations as uint8, like the portable
  // kernel, so with its constants) and SDOT (int8 activations, the bias
  // carrying + 128 x the taps' sum, as for the SDOT product).
  ArrayRef<int64_t> strides = op.getStrides(), dilations = op.getDilations();
  bool window3x3 = s.KH == 3 && s.KW == 3 && strides[0] == strides[1] &&
                   (strides[1] == 1 || strides[1] == 2) && dilations[0] == 1 &&
                   dilations[1] == 1;
  // Channels-last, the dot products take windows of up to four taps a
  // row (up to 7 rows), undilated, at any stride (paso_qdepthwise_nhwc.c).
  bool dotWindow = s.nhwc ? s.KW <= 4 && s.KH <= 7 && dilations[0] == 1 &&
                                dilations[1] == 1
                          : window3x3;
  Variant dot = dotWindow && (variant == Variant::Vnni ||
                              variant == Variant::AvxVnni ||
                              variant == Variant::Dot)
                    ? variant
                    : Variant::Portable;
  IntegerCall call;
  if (!w || !planRequantisation(call, *w, op.getInput(), op.getBias(),
                                op.getOutputType(), op.getActivation(),
                                op.getActivationParams(),
                                dot == Variant::Dot ? Variant::Dot
                                                    : Variant::Portable))
    return std::nullopt;
  call.variant = dot;
  setGeometry(call.d, op);
  call.depthwise = true;
  call.activations = op.getInput();
  RankedTensorType inType = tensorType(op.getInput());
  RankedTensorType outType = tensorType(op.getResult());
  call.flops = 2.0 * outType.getNumElements() * w->depth;
  call.bytes = inType.getNumElements() + outType.getNumElements();
  if (s.nhwc) {
    // The padded copy holds pixels of the channels rounded up to 16.
    call.packed = packTapRows(*w);
    call.kernel = dot == Variant::Vnni      ? "paso_qdepthwise_nhwc_8_vnni"
                  : dot == Variant::AvxVnni ? "paso_qdepthwise_nhwc_8_avxvnni"
                  : dot == Variant::Dot     ? "paso_qdepthwise_nhwc_8_dot"
                                            : "paso_qdepthwise_nhwc_8";
    call.scratchBytes =
        s.images * ((s.C + 15) / 16 * 16) * paddedPixels(op) + 64;
    call.algorithm =
        std::string("int8 depthwise, 16 channels per vector (NHWC)") +
        (dot == Variant::Vnni ? ", a window row per VPDPBUSD (AVX-512 VNNI)"
         : dot == Variant::AvxVnni
             ? ", a window row per VPDPBUSD (AVX-VNNI)"
         : dot == Variant::Dot ? ", a window row per SDOT (Armv8.2)"
                               : ", widening multiply-adds");
    return call;
  }
  call.packed = w->values;
  call.scratchBytes = paddedImageBytes(op) + 64;
  call.algorithm = "int8 depthwise, 16 pixels per vector (NCHW)";
  return call;
}

/// Swaps a planned channels-last convolution's roles
/// (PASO_QGEMM_PIXEL_ROWS, paso_gemm.h): the weights packed as groups of
/// 16 output channels. VNNI takes them as they are (the pixels are its
/// unsigned operand), as do Arm's SDOT and SMULL (int8 columns, whose
/// bias is already b - (zB - 128) x sum(w)); the AVX2 and portable
/// kernels read columns as uint8: w + 128, and that bias. False when a
/// bias overflows int32.
bool planPixelRows(IntegerCall &call, const RowWeights &w) {
  bool shift = call.variant == Variant::Avx2 ||
               call.variant == Variant::Portable;
  int64_t M = w.rows, K = w.depth, K4 = (K + 3) / 4;
  int64_t groups = (M + 15) / 16;
  call.packed.assign(groups * K4 * 64, 0);
  for (int64_t m = 0; m < M; ++m) {
    for (int64_t k = 0; k < K; ++k) {
      int64_t v = w.values[m * K + k];
      call.packed[(m / 16) * K4 * 64 + (k / 4) * 64 + (m % 16) * 4 + k % 4] =
          shift ? static_cast<int8_t>(static_cast<uint8_t>(v + 128)) : v;
    }
    if (shift) {
      int64_t b = call.params[m] + 128 * call.weightSums[m];
      if (b < INT32_MIN || b > INT32_MAX)
        return false;
      call.params[m] = b;
    }
  }
  call.d[PASO_QGEMM_PIXEL_ROWS] = 1;
  call.d[PASO_QGEMM_C_COLUMNS] = 0;
  return true;
}

std::optional<IntegerCall> planConv(QConvOp op, Variant variant) {
  RankedTensorType inType = tensorType(op.getInput());
  RankedTensorType outType = tensorType(op.getResult());
  if (inType.getRank() != 4 || !inType.hasStaticShape() ||
      !outType.hasStaticShape())
    return std::nullopt;
  if (op.getGroup() != 1)
    return planDepthwise(op, variant);
  std::optional<RowWeights> w = readRowWeights(op.getFilter(), false);
  if (!w)
    return std::nullopt;
  IntegerCall call;
  if (!planRequantisation(call, *w, op.getInput(), op.getBias(),
                          op.getOutputType(), op.getActivation(),
                          op.getActivationParams(), variant))
    return std::nullopt;
  call.packed = packPanels(*w);
  ConvDims s = convDims(op);
  setGeometry(call.d, op);
  call.activations = op.getInput();
  bool pointwise =
      s.KH == 1 && s.KW == 1 &&
      llvm::all_of(op.getStrides(), [](int64_t v) { return v == 1; }) &&
      llvm::all_of(op.getPads(), [](int64_t v) { return v == 0; }) &&
      s.OW == s.W;
  call.flops = 2.0 * s.images * w->rows * s.OH * s.OW * w->depth;
  call.bytes = inType.getNumElements() + outType.getNumElements() +
               static_cast<double>(call.packed.size());
  if (s.nhwc) {
    if (!planPixelRows(call, *w))
      return std::nullopt;
    call.algorithm = "int8 gemm, pixels as rows, implicit im2col (NHWC)";
    if (pointwise) {
      // The image's pixels are the rows of a product (N x C, row-major),
      // each image of the batch one product, read in place.
      call.d[PASO_GEMM_B_LAYOUT] = PASO_B_TRANSPOSED;
      call.d[PASO_GEMM_LDB] = s.C;
      call.algorithm = "int8 gemm, pixels as rows (NHWC 1x1)";
      return call;
    }
  }
  // The tap offsets and padded images of the kernel's im2col.
  if (!pointwise)
    call.scratchBytes =
        (w->depth + 3) / 4 * 4 * 4 + paddedImageBytes(op) + 64;
  if (!s.nhwc)
    call.algorithm = "int8 gemm, implicit im2col (NCHW)";
  return call;
}

/// A matrix product's layout on the kernel: the `rows` of the activations
/// (N x K, row-major) are B's columns, and C is written by columns (rows x
/// M, row-major).
void setRowsAsColumns(IntegerCall &call, const RowWeights &w, int64_t rows,
                      Value activations) {
  Descriptor &d = call.d;
  d[PASO_GEMM_M] = w.rows;
  d[PASO_GEMM_K] = w.depth;
  d[PASO_GEMM_N] = rows;
  d[PASO_GEMM_BATCH] = 1;
  d[PASO_GEMM_B_LAYOUT] = PASO_B_TRANSPOSED;
  d[PASO_GEMM_LDB] = w.depth;
  d[PASO_GEMM_LDC] = w.rows;
  d[PASO_QGEMM_C_COLUMNS] = 1;
  call.packed = packPanels(w);
  call.activations = activations;
  call.flops = 2.0 * rows * w.rows * w.depth;
}

std::optional<IntegerCall> planMatMul(QMatMulOp op, Variant variant) {
  RankedTensorType lhsType = tensorType(op.getLhs());
  if (!lhsType.hasStaticShape())
    return std::nullopt;
  std::optional<RowWeights> w = readRowWeights(op.getRhs(), true);
  if (!w)
    return std::nullopt;
  IntegerCall call;
  if (!planRequantisation(call, *w, op.getLhs(), op.getBias(),
                          op.getOutputType(), op.getActivation(),
                          op.getActivationParams(), variant))
    return std::nullopt;
  int64_t rows = lhsType.getNumElements() / std::max<int64_t>(1, w->depth);
  setRowsAsColumns(call, *w, rows, op.getLhs());
  call.bytes = rows * (w->depth + w->rows) +
               static_cast<double>(call.packed.size());
  call.algorithm = "int8 gemm, rows of A as columns";
  return call;
}

/// An operand of an int32 product as the importer centres MatMulInteger's
/// (QuantConverters.cpp): cast(x) or cast(x) - z, x of 8 bits, z one
/// value (or, for weights, one per column).
struct CentredBytes {
  Value bytes;
  Value zeroPoint;
};

std::optional<CentredBytes> centredBytes(Value value,
                                         bool perColumn = false) {
  CentredBytes result;
  if (auto sub = value.getDefiningOp<SubOp>()) {
    RankedTensorType zeroType = tensorType(sub.getRhs());
    int64_t columns = tensorType(value).getShape().back();
    bool columnVector = zeroType.getRank() == 1 &&
                        zeroType.getDimSize(0) == columns;
    if (zeroType.getNumElements() != 1 && !(perColumn && columnVector))
      return std::nullopt;
    result.zeroPoint = sub.getRhs();
    value = sub.getLhs();
  }
  auto cast = value.getDefiningOp<CastOp>();
  if (!cast || !tensorType(cast.getInput()).getElementType().isInteger(8))
    return std::nullopt;
  result.bytes = cast.getInput();
  return result;
}

/// The values of integer constant `value`, read through a widening cast.
std::optional<SmallVector<int64_t>> readWidenedConstant(Value value) {
  if (std::optional<SmallVector<int64_t>> values = readIntConstant(value))
    return values;
  auto cast = value.getDefiningOp<CastOp>();
  if (!cast || !isa<IntegerType>(tensorType(cast.getInput()).getElementType()))
    return std::nullopt;
  return readIntConstant(cast.getInput());
}

/// The values of a constant int32 product operand (cast(w) - zw with both
/// constant, or a folded constant) as M x K rows, when all fit int8.
std::optional<RowWeights> integerRowWeights(Value rhs) {
  RankedTensorType type = tensorType(rhs);
  std::optional<SmallVector<int64_t>> values = readIntConstant(rhs);
  if (!values && type.getRank() == 2)
    if (std::optional<CentredBytes> centred =
            centredBytes(rhs, /*perColumn=*/true)) {
      values = readIntConstant(centred->bytes);
      std::optional<SmallVector<int64_t>> zero =
          centred->zeroPoint ? readWidenedConstant(centred->zeroPoint)
                             : SmallVector<int64_t>{0};
      if (!zero)
        return std::nullopt;
      int64_t columns = type.getDimSize(1);
      if (values)
        for (auto [i, v] : llvm::enumerate(*values))
          v -= (*zero)[zero->size() == 1 ? 0 : i % columns];
    }
  if (!values || type.getRank() != 2 || !type.hasStaticShape() ||
      llvm::any_of(*values, [](int64_t v) { return v < -128 || v > 127; }))
    return std::nullopt;
  RowWeights rows;
  rows.depth = type.getDimSize(0);
  rows.rows = type.getDimSize(1);
  rows.values.resize(values->size());
  for (int64_t m = 0; m < rows.rows; ++m)
    for (int64_t k = 0; k < rows.depth; ++k)
      rows.values[m * rows.depth + k] = (*values)[k * rows.rows + m];
  return rows;
}

/// MatMulInteger as the importer leaves it: an int32 paso.matmul of
/// centred 8-bit activations and constant 8-bit weights. The kernel sums
/// in int32 exactly as the generated loops would; a constant zero point
/// goes into its bias, a run-time one (DynamicQuantizeLinear's) into a
/// correction after the call.
std::optional<IntegerCall> planIntegerMatMul(MatMulOp op, Variant variant) {
  RankedTensorType lhsType = tensorType(op.getLhs());
  std::optional<CentredBytes> lhs = centredBytes(op.getLhs());
  if (!tensorType(op.getOutput()).getElementType().isInteger(32) || !lhs ||
      !lhsType.hasStaticShape() || lhsType.getRank() < 2)
    return std::nullopt;
  std::optional<RowWeights> w = integerRowWeights(op.getRhs());
  if (!w || lhsType.getDimSize(lhsType.getRank() - 1) != w->depth)
    return std::nullopt;
  IntegerCall call;
  bool isSigned = !tensorType(lhs->bytes).getElementType().isUnsignedInteger();
  int64_t zero = 0;
  if (lhs->zeroPoint) {
    if (std::optional<SmallVector<int64_t>> constant =
            readWidenedConstant(lhs->zeroPoint))
      zero = constant->front();
    else
      call.runtimeZeroPoint = lhs->zeroPoint;
  }
  // Read as uint8 (int8 flipped by 0x80): the zero point in those units.
  int64_t zeroB = zero + (isSigned ? 128 : 0);
  if (zeroB < 0 || zeroB > 255)
    return std::nullopt;
  if (!planZeroPointBiases(call, *w, zeroB, {}, variant))
    return std::nullopt;
  int64_t M = w->rows, K = w->depth;
  int64_t rows = lhsType.getNumElements() / K;
  setRowsAsColumns(call, *w, rows, lhs->bytes);
  Descriptor &d = call.d;
  d[PASO_QGEMM_B_ZERO_POINT] = zeroB;
  d[PASO_QGEMM_B_SIGNED] = isSigned;
  d[PASO_QGEMM_C_INT32] = 1;
  call.bytes = rows * (K + 4.0 * M) + static_cast<double>(call.packed.size());
  call.algorithm = "int8 gemm, int32 sums (MatMulInteger), rows of A as "
                   "columns";
  return call;
}

/// The single user of `value` when it is an `OpTy`.
template <typename OpTy> OpTy soleUser(Value value) {
  return value.hasOneUse() ? dyn_cast<OpTy>(*value.getUsers().begin())
                           : OpTy();
}

/// The one operand of binary `op` that is not `value`.
Value otherOperand(Operation *op, Value value) {
  return op->getOperand(0) == value ? op->getOperand(1) : op->getOperand(0);
}

/// ONNX Runtime's quantize_dynamic, whole: DynamicQuantizeLinear feeding a
/// MatMulInteger (the int32 product planned by planIntegerMatMul), its
/// Cast to float, the Mul by x_scale x w_scale, an optional Add of one
/// bias per output and an optional ReLU or GELU. The kernel quantises the
/// activations itself and writes the floats (paso_gemm.h).
std::optional<IntegerCall> planDynamicMatMul(MatMulOp op, IntegerCall call) {
  std::optional<CentredBytes> lhs = centredBytes(op.getLhs());
  auto dq = lhs->bytes.getDefiningOp<DynamicQuantizeOp>();
  if (!dq || !call.runtimeZeroPoint ||
      tensorType(dq.getInput()).getShape() !=
          tensorType(lhs->bytes).getShape())
    return std::nullopt;
  auto zeroCast = call.runtimeZeroPoint.getDefiningOp<CastOp>();
  if (!zeroCast || zeroCast.getInput() != dq.getZeroPoint())
    return std::nullopt;
  auto toFloat = soleUser<CastOp>(op.getOutput());
  if (!toFloat || !tensorType(toFloat.getOutput()).getElementType().isF32())
    return std::nullopt;
  auto scaled = soleUser<MulOp>(toFloat.getOutput());
  if (!scaled)
    return std::nullopt;
  // x_scale x w_scale: one weight scale, or one per output.
  auto scales = otherOperand(scaled, toFloat.getOutput()).getDefiningOp<MulOp>();
  if (!scales || (scales.getLhs() != dq.getScale() &&
                  scales.getRhs() != dq.getScale()))
    return std::nullopt;
  std::optional<SmallVector<double>> weightScales =
      readFloatConstant(otherOperand(scales, dq.getScale()));
  int64_t M = static_cast<int64_t>(call.weightSums.size());
  if (!weightScales || (weightScales->size() != 1 &&
                        static_cast<int64_t>(weightScales->size()) != M) ||
      tensorType(scaled.getOutput()) != tensorType(toFloat.getOutput()))
    return std::nullopt;
  call.chain = {op, toFloat, scaled};
  Value result = scaled.getOutput();
  std::optional<SmallVector<double>> bias;
  if (auto add = soleUser<AddOp>(result)) {
    Value other = otherOperand(add, result);
    RankedTensorType otherType = tensorType(other);
    bias = readFloatConstant(other);
    if (bias && static_cast<int64_t>(bias->size()) == M &&
        otherType.getDimSize(otherType.getRank() - 1) == M &&
        add.getType() == tensorType(result)) {
      call.chain.push_back(add);
      result = add.getOutput();
    } else {
      bias.reset();
    }
  }
  int64_t activation = PASO_ACT_NONE;
  if (auto relu = soleUser<ReluOp>(result)) {
    activation = PASO_ACT_RELU;
    call.chain.push_back(relu);
    result = relu.getOutput();
  } else if (auto gelu = soleUser<GeluOp>(result)) {
    activation =
        gelu.getTanhApproximation() ? PASO_ACT_GELU_TANH : PASO_ACT_GELU;
    call.chain.push_back(gelu);
    result = gelu.getOutput();
  }
  // bias', weight sums, weight scales and biases as f32 bit patterns.
  auto bits = [](double value) {
    return static_cast<int64_t>(
        llvm::bit_cast<int32_t>(static_cast<float>(value)));
  };
  SmallVector<int64_t> params(call.params.begin(), call.params.begin() + M);
  params.append(call.weightSums.begin(), call.weightSums.end());
  for (int64_t m = 0; m < M; ++m)
    params.push_back(bits((*weightScales)[weightScales->size() == 1 ? 0 : m]));
  for (int64_t m = 0; m < M; ++m)
    params.push_back(bias ? bits((*bias)[m]) : 0);
  call.params = std::move(params);
  call.runtimeZeroPoint = nullptr;
  call.replaced = result;
  call.activations = dq.getInput();
  Descriptor &d = call.d;
  d[PASO_QGEMM_C_INT32] = 0;
  d[PASO_QGEMM_DYNAMIC] = bias ? 2 : 1;
  d[PASO_QGEMM_B_ZERO_POINT] = 0;
  d[PASO_QGEMM_B_SIGNED] = 0;
  d[PASO_GEMM_ACTIVATION] = activation;
  int64_t rows = d[PASO_GEMM_N], K = d[PASO_GEMM_K];
  // The quantised copy of the activations, and a vector's slack.
  call.scratchBytes = rows * K + 64;
  call.bytes += 4.0 * rows * K;
  call.algorithm = "int8 gemm, DynamicQuantizeLinear and dequantising "
                   "epilogue fused (quantize_dynamic), rows of A as columns";
  return call;
}

struct PasoCallCpuIntegerKernelsPass
    : paso::impl::PasoCallCpuIntegerKernelsPassBase<
          PasoCallCpuIntegerKernelsPass> {
  using Base::Base;
  PasoCallCpuIntegerKernelsPass() = default;
  explicit PasoCallCpuIntegerKernelsPass(const TargetDescription &description)
      : target(description) {}

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(resolvePassTarget(module, targetName, target)))
      return signalPassFailure();
    SmallVector<Operation *> candidates;
    // Adds, multiplies and global pools on the storage.
    SmallVector<QuantizeOp> storageOps;
    // Max and average poolings of 8-bit values (IntegerPools.h): their
    // quantize, or the storage pooling. Planned again when emitted, as
    // the calls before replace what they read.
    SmallVector<Operation *> pools;
    module.walk([&](Operation *op) {
      if (isa<QConvOp, QMatMulOp>(op) ||
          (isa<MatMulOp>(op) && tensorType(op->getResult(0))
                                    .getElementType()
                                    .isInteger(32)))
        candidates.push_back(op);
      else if (auto quantize = dyn_cast<QuantizeOp>(op);
               quantize && (integerAdd(quantize) || integerMul(quantize) ||
                            integerMean(quantize) || qlinearSoftmax(quantize)))
        storageOps.push_back(quantize);
      else if ((quantize && cpu::planQuantizedPool(quantize)) ||
               (isa<MaxPoolOp>(op) &&
                cpu::planStoragePool(cast<MaxPoolOp>(op))))
        pools.push_back(op);
    });
    Variant variant = productVariant(*target);
    for (Operation *op : candidates) {
      std::optional<IntegerCall> call;
      if (auto conv = dyn_cast<QConvOp>(op))
        call = planConv(conv, variant);
      else if (auto matmul = dyn_cast<QMatMulOp>(op))
        call = planMatMul(matmul, variant);
      else if ((call = planIntegerMatMul(cast<MatMulOp>(op), variant)))
        if (std::optional<IntegerCall> fused =
                planDynamicMatMul(cast<MatMulOp>(op), *call))
          call = fused;
      if (call)
        emitCall(op, *call);
    }
    for (QuantizeOp quantize : storageOps)
      if (quantize.getInput().getDefiningOp<AddOp>())
        emitAddCall(quantize);
      else if (std::optional<int64_t> inner = integerMul(quantize))
        emitMulCall(quantize, *inner);
      else if (qlinearSoftmax(quantize))
        emitSoftmaxCall(quantize);
      else
        emitMeanCall(quantize);
    for (Operation *op : pools) {
      std::optional<cpu::IntegerPool> pool =
          isa<QuantizeOp>(op) ? cpu::planQuantizedPool(cast<QuantizeOp>(op))
                              : cpu::planStoragePool(cast<MaxPoolOp>(op));
      if (pool)
        emitPoolCall(*pool);
    }
    // DynamicQuantizeLinear that no product took in (a ConvInteger's).
    SmallVector<DynamicQuantizeOp> dynamics;
    module.walk([&](DynamicQuantizeOp op) {
      if (!op->use_empty() && tensorType(op.getInput()).hasStaticShape() &&
          tensorType(op.getInput()).getElementType().isF32())
        dynamics.push_back(op);
    });
    for (DynamicQuantizeOp op : dynamics)
      emitDynamicQuantizeCall(op);
    // What the kernel did not take runs in float.
    RewritePatternSet patterns(&getContext());
    populateExpandQuantizedPatterns(patterns);
    if (failed(applyPatternsGreedily(module, std::move(patterns))))
      return signalPassFailure();
  }

  void emitCall(Operation *op, IntegerCall &call) {
    ModuleOp module = getOperation();
    OpBuilder b(op);
    Location loc = op->getLoc();
    Descriptor &d = call.d;
    Variant variant = call.variant;
    std::string kernel = variant == Variant::Vnni    ? "paso_qgemm_u8s8_vnni"
                         : variant == Variant::AvxVnni
                             ? "paso_qgemm_u8s8_avxvnni"
                         : variant == Variant::Avx2  ? "paso_qgemm_u8s8_avx2"
                         : variant == Variant::Dot   ? "paso_qgemm_u8s8_dot"
                         : variant == Variant::Widen ? "paso_qgemm_s8s8_neon"
                                                     : "paso_qgemm_u8s8";
    if (!call.kernel.empty()) {
      kernel = call.kernel;
    } else if (call.depthwise &&
               (variant == Variant::Vnni || variant == Variant::AvxVnni ||
                variant == Variant::Dot)) {
      kernel = variant == Variant::Vnni      ? "paso_qdepthwise_u8s8_vnni"
               : variant == Variant::AvxVnni ? "paso_qdepthwise_u8s8_avxvnni"
                                             : "paso_qdepthwise_u8s8_dot";
      call.algorithm = std::string("int8 depthwise 3x3, 16 pixels per vector "
                                   "(NCHW), ") +
                       (variant == Variant::Vnni ? "AVX-512 VNNI (VPDPBUSD)"
                        : variant == Variant::AvxVnni
                            ? "AVX-VNNI (256-bit VPDPBUSD)"
                            : "Armv8.2 dot product (SDOT)");
    } else if (call.depthwise)
      kernel = "paso_qdepthwise_u8s8";
    else
      call.algorithm +=
          variant == Variant::Vnni    ? ", AVX-512 VNNI (VPDPBUSD)"
          : variant == Variant::AvxVnni
              ? ", AVX-VNNI (256-bit VPDPBUSD)"
          : variant == Variant::Avx2  ? ", AVX2 (VPMADDWD on widened bytes)"
          : variant == Variant::Dot   ? ", Armv8.2 dot product (SDOT)"
          : variant == Variant::Widen ? ", SMULL/SMLAL + SADALP (no dot "
                                        "product on the target)"
                                      : ", portable (no int8 dot product on "
                                        "the target, or weights at -128)";
    // The int8 throughput ratio scales the float prediction.
    double flops = call.flops / int8ThroughputRatio(*target);
    ThreadPlan threads = planThreads(*target, flops, call.bytes,
                                     kernelTimeScale(*target, "int8"));
    d[PASO_GEMM_MAX_THREADS] = threads.threads;
    // Numbered for profiles (the float kernels continue the count).
    d[PASO_GEMM_KERNEL_ID] = ++kernelCount;
    double rawSeconds = threads.seconds,
           rawSingleThreadSeconds = predictSeconds(*target, flops,
                                                   call.bytes, 1);
    Value replaced = call.replaced ? call.replaced : op->getResult(0);
    auto resultShape = tensorType(replaced).getShape();

    func::FuncOp callee = cpu::declareKernel(module, kernel, 6);
    memref::GlobalOp global = cpu::createDescriptorGlobal(
        module, loc, "__paso_qgemm_descriptor_", d, counter);
    auto addressOf = [&](Value memref) {
      return cpu::addressOf(b, loc, memref);
    };
    auto bufferOf = [&](Value tensor) {
      return cpu::readAddress(b, loc, tensor);
    };
    auto storageType = [](Value value) {
      RankedTensorType type = tensorType(value);
      if (!isa<quant::QuantizedType>(type.getElementType()))
        return type;
      return type.clone(storageElementType(type.getElementType()));
    };
    auto constant = [&](ArrayRef<int64_t> values, Type element,
                        StringRef base) -> Value {
      auto type = RankedTensorType::get({static_cast<int64_t>(values.size())},
                                        element);
      return ConstantOp::create(b, loc, makeIntElements(type, values, base));
    };
    // The output first: the arena must not place it over an operand the
    // call still reads (as paso-call-cpu-kernels does).
    RankedTensorType resultStorage = storageType(replaced);
    Value output = memref::AllocOp::create(
        b, loc,
        MemRefType::get(resultStorage.getShape(),
                        resultStorage.getElementType()));
    Value scratch;
    if (call.scratchBytes)
      scratch = memref::AllocOp::create(
          b, loc, MemRefType::get({call.scratchBytes}, b.getI8Type()));
    Value descriptor = memref::GetGlobalOp::create(b, loc, global.getType(),
                                                   global.getSymName());
    Value activations = call.activations;
    if (storageType(activations) != activations.getType())
      activations = UnrealizedConversionCastOp::create(
                        b, loc, storageType(activations), activations)
                        .getResult(0);
    Value weights = constant(call.packed, b.getI8Type(), "qgemm_weights");
    Value params = constant(call.params, b.getI32Type(), "qgemm_params");
    SmallVector<Value> operands{addressOf(descriptor), bufferOf(weights),
                                bufferOf(activations), addressOf(output),
                                bufferOf(params),
                                scratch ? addressOf(scratch)
                                        : arith::ConstantOp::create(
                                              b, loc, b.getI64IntegerAttr(0))
                                              .getResult()};
    auto callOp = func::CallOp::create(b, loc, callee, operands);
    annotate(callOp, call.algorithm, threads.threads, d[PASO_GEMM_KERNEL_ID],
             rawSeconds, rawSingleThreadSeconds, resultShape, call.flops,
             call.bytes);
    Value result = bufferization::ToTensorOp::create(
        b, loc, resultStorage, output, /*restrict=*/true, /*writable=*/true);
    if (call.runtimeZeroPoint) {
      // sum_k w (x - z) = sum_k w x - z sum_k w: one broadcast
      // multiply-subtract, which fuses into the code that scales the sums.
      Value sums = constant(call.weightSums, b.getI32Type(), "weight_sums");
      Value zero = call.runtimeZeroPoint;
      if (tensorType(zero).getRank() != 0)
        zero = ReshapeOp::create(
            b, loc, RankedTensorType::get({}, tensorType(zero).getElementType()),
            zero, b.getDenseI64ArrayAttr({}));
      Value correction = MulOp::create(b, loc, zero, sums);
      result = SubOp::create(b, loc, result, correction);
    }
    if (result.getType() != replaced.getType())
      result = UnrealizedConversionCastOp::create(b, loc, replaced.getType(),
                                                  result)
                   .getResult(0);
    replaced.replaceAllUsesWith(result);
    if (call.chain.empty())
      call.chain.push_back(op);
    for (Operation *dead : llvm::reverse(call.chain))
      dead->erase();
  }

  /// The f32 bits of `value`, as the generated code would hold it.
  static int64_t floatBits(double value) {
    return static_cast<int64_t>(
        llvm::bit_cast<int32_t>(static_cast<float>(value)));
  }

  static quant::UniformQuantizedType perTensorParams(Value value) {
    return cast<quant::UniformQuantizedType>(tensorType(value).getElementType());
  }

  /// Whether `value` holds 8-bit values with one scale and zero point.
  static bool eightBitPerTensor(Value value) {
    auto element = dyn_cast<quant::UniformQuantizedType>(
        tensorType(value).getElementType());
    return element && element.getStorageTypeIntegralWidth() == 8;
  }

  /// quantize(dequantize(a) + dequantize(b)) with a, b and the result
  /// 8-bit, per tensor and of one shape: the integer add (paso-fold-qdq's
  /// form of QLinearAdd and of a quantised residual add) on paso_qadd_8.
  static bool integerAdd(QuantizeOp quantize) {
    auto add = quantize.getInput().getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse())
      return false;
    auto lhs = add.getLhs().getDefiningOp<DequantizeOp>();
    auto rhs = add.getRhs().getDefiningOp<DequantizeOp>();
    if (!lhs || !rhs || !eightBitPerTensor(quantize.getResult()) ||
        !eightBitPerTensor(lhs.getInput()) ||
        !eightBitPerTensor(rhs.getInput()))
      return false;
    // Operands of the output's shape, or one of them a single value.
    RankedTensorType out = tensorType(quantize.getResult());
    auto fits = [&](DequantizeOp operand) {
      RankedTensorType type = tensorType(operand.getResult());
      return type.hasStaticShape() &&
             (type.getShape() == out.getShape() || type.getNumElements() == 1);
    };
    return out.hasStaticShape() && fits(lhs) && fits(rhs) &&
           (tensorType(lhs.getResult()).getShape() == out.getShape() ||
            tensorType(rhs.getResult()).getShape() == out.getShape());
  }

  void emitAddCall(QuantizeOp quantize) {
    auto add = quantize.getInput().getDefiningOp<AddOp>();
    auto lhs = add.getLhs().getDefiningOp<DequantizeOp>();
    auto rhs = add.getRhs().getDefiningOp<DequantizeOp>();
    // A single value is b (ONNX Runtime swaps a scalar a likewise).
    RankedTensorType out = tensorType(quantize.getResult());
    if (tensorType(lhs.getResult()).getShape() != out.getShape())
      std::swap(lhs, rhs);
    bool scalarB = tensorType(rhs.getResult()).getShape() != out.getShape();
    quant::UniformQuantizedType a = perTensorParams(lhs.getInput()),
                                bType = perTensorParams(rhs.getInput()),
                                c = perTensorParams(quantize.getResult());
    StringRef triple(target->triple), features(target->features);
    bool fma = triple.starts_with("aarch64") || features.contains("+fma");
    // ONNX Runtime's constants, in f32 and its order (paso_qbinary.c); one
    // operation per statement, so that none is contracted but the one its
    // AVX2 kernel's build contracts: zc - (rA za + rB zb) with rA za + rB
    // zb as one fused multiply-add (ONNX Runtime 1.32; a .5 tie in 10^5
    // rounds the other way without it).
    float ratioA = static_cast<float>(a.getScale()) /
                   static_cast<float>(c.getScale());
    float ratioB = static_cast<float>(bType.getScale()) /
                   static_cast<float>(c.getScale());
    float zeroA = static_cast<float>(a.getZeroPoint());
    float shiftB = ratioB * static_cast<float>(bType.getZeroPoint());
    float shiftA = ratioA * zeroA;
    float shift = fma ? std::fma(ratioA, zeroA, shiftB) : shiftA + shiftB;
    float fixed = static_cast<float>(c.getZeroPoint()) - shift;
    SmallVector<int64_t> values{c.getStorageTypeMin(), c.getStorageTypeMax(),
                                floatBits(ratioA),     floatBits(ratioB),
                                floatBits(fixed),      a.isSigned(),
                                bType.isSigned(),      c.isSigned(),
                                scalarB};
    int64_t count = tensorType(quantize.getResult()).getNumElements();
    Descriptor d{};
    d[PASO_GEMM_M] = count;
    d[PASO_GEMM_N] = d[PASO_GEMM_K] = d[PASO_GEMM_BATCH] = 1;
    // The fused multiply-adds of ONNX Runtime's AVX2 kernel where the
    // target has them. Two 8-bit reads and a write per element.
    emitStorageCall(quantize, fma ? "paso_qadd_8_fma" : "paso_qadd_8",
                    "qadd", d, {lhs.getInput(), rhs.getInput()}, values,
                    fma ? "int8 add (requantising, fused multiply-adds)"
                        : "int8 add (requantising, vectorised)",
                    4.0 * count, 3.0 * count);
    add.erase();
    for (DequantizeOp dequantize : {lhs, rhs})
      if (dequantize->use_empty())
        dequantize.erase();
  }

  /// quantize(dequantize(a) * dequantize(b)), all 8-bit per tensor: the
  /// integer multiply (QLinearMul, a quantised gate), with b of a's shape
  /// or broadcast over a's innermost dims (b's shape is a's with trailing
  /// 1s; either operand may be the broadcast one). Returns the inner
  /// count each value of the broadcast operand covers (1: one shape).
  static std::optional<int64_t> integerMul(QuantizeOp quantize) {
    auto mul = quantize.getInput().getDefiningOp<MulOp>();
    if (!mul || !mul->hasOneUse())
      return std::nullopt;
    auto lhs = mul.getLhs().getDefiningOp<DequantizeOp>();
    auto rhs = mul.getRhs().getDefiningOp<DequantizeOp>();
    if (!lhs || !rhs || !eightBitPerTensor(lhs.getInput()) ||
        !eightBitPerTensor(rhs.getInput()) ||
        !eightBitPerTensor(quantize.getResult()))
      return std::nullopt;
    RankedTensorType out = tensorType(quantize.getResult());
    RankedTensorType full = tensorType(lhs.getResult()),
                     other = tensorType(rhs.getResult());
    if (other.getShape() == out.getShape())
      std::swap(full, other);
    if (!out.hasStaticShape() || full.getShape() != out.getShape() ||
        !other.hasStaticShape())
      return std::nullopt;
    // A single value (a quantised constant factor): b for every element.
    if (other.getNumElements() == 1)
      return out.getNumElements();
    if (other.getRank() != out.getRank())
      return std::nullopt;
    // other = out's shape up to some dim, then 1s.
    int64_t inner = 1, rank = out.getRank(), dim = rank;
    while (dim > 0 && other.getDimSize(dim - 1) == 1 &&
           other.getDimSize(dim - 1) != out.getDimSize(dim - 1))
      inner *= out.getDimSize(--dim);
    for (int64_t d = 0; d < dim; ++d)
      if (other.getDimSize(d) != out.getDimSize(d))
        return std::nullopt;
    return inner;
  }

  void emitMulCall(QuantizeOp quantize, int64_t inner) {
    auto mul = quantize.getInput().getDefiningOp<MulOp>();
    auto lhs = mul.getLhs().getDefiningOp<DequantizeOp>();
    auto rhs = mul.getRhs().getDefiningOp<DequantizeOp>();
    // The operand of the output's shape first.
    if (tensorType(lhs.getResult()).getShape() !=
        tensorType(quantize.getResult()).getShape())
      std::swap(lhs, rhs);
    quant::UniformQuantizedType a = perTensorParams(lhs.getInput()),
                                bType = perTensorParams(rhs.getInput()),
                                c = perTensorParams(quantize.getResult());
    // ONNX Runtime's ratio, in f32 and its order (paso_qbinary.c).
    float scales = static_cast<float>(a.getScale()) *
                   static_cast<float>(bType.getScale());
    float ratio = scales / static_cast<float>(c.getScale());
    SmallVector<int64_t> values{c.getStorageTypeMin(), c.getStorageTypeMax(),
                                a.getZeroPoint(),      bType.getZeroPoint(),
                                floatBits(ratio),      c.getZeroPoint(),
                                a.isSigned(),          bType.isSigned(),
                                c.isSigned()};
    int64_t count = tensorType(quantize.getResult()).getNumElements();
    Descriptor d{};
    d[PASO_GEMM_M] = count;
    d[PASO_GEMM_K] = inner;
    d[PASO_GEMM_N] = d[PASO_GEMM_BATCH] = 1;
    double bytes = (inner == 1 ? 3.0 : 2.0) * count;
    emitStorageCall(quantize, "paso_qmul_8", "qmul", d,
                    {lhs.getInput(), rhs.getInput()}, values,
                    inner == 1 ? "int8 multiply (requantising, vectorised)"
                               : "int8 multiply, broadcast over inner dims "
                                 "(requantising, vectorised)",
                    4.0 * count, bytes);
    mul.erase();
    for (DequantizeOp dequantize : {lhs, rhs})
      if (dequantize->use_empty())
        dequantize.erase();
  }

  /// The reduce_mean a quantize takes in, directly or through a reshape
  /// (which keeps the bytes' order: the NHWC global pool's result read
  /// as NCHW).
  static std::pair<ReduceMeanOp, ReshapeOp> meanOf(QuantizeOp quantize) {
    Value input = quantize.getInput();
    auto reshape = input.getDefiningOp<ReshapeOp>();
    if (reshape && reshape->hasOneUse())
      input = reshape.getInput();
    else
      reshape = nullptr;
    return {input.getDefiningOp<ReduceMeanOp>(), reshape};
  }

  /// quantize(reduce_mean(dequantize(x))) over consecutive dims of x, x
  /// and the result 8-bit per tensor (QLinearGlobalAveragePool, a
  /// quantised model's global pool, in NCHW or NHWC): paso_qmean_8 sums
  /// the bytes in 32 bits and rounds once, as ONNX Runtime does.
  static bool integerMean(QuantizeOp quantize) {
    auto [mean, reshape] = meanOf(quantize);
    if (!mean || !mean->hasOneUse())
      return false;
    auto dequantize = mean.getInput().getDefiningOp<DequantizeOp>();
    if (!dequantize)
      return false;
    RankedTensorType input = tensorType(dequantize.getInput());
    ArrayRef<int64_t> axes = mean.getAxes();
    int64_t size = 1;
    for (auto [i, axis] : llvm::enumerate(axes)) {
      // Consecutive dims: every plane is one run of `size` elements, or
      // (channels-last) `size` elements at the stride of the inner dims.
      if (axis != axes.front() + static_cast<int64_t>(i))
        return false;
      size *= input.getDimSize(axis);
    }
    // An f32 multiple of the plane size must stay exact (ONNX Runtime's
    // bound), and the 32-bit sum must not overflow.
    return !axes.empty() && input.hasStaticShape() && size < (1 << 23) &&
           eightBitPerTensor(dequantize.getInput()) &&
           eightBitPerTensor(quantize.getResult());
  }

  void emitMeanCall(QuantizeOp quantize) {
    auto [mean, reshape] = meanOf(quantize);
    auto dequantize = mean.getInput().getDefiningOp<DequantizeOp>();
    quant::UniformQuantizedType x = perTensorParams(dequantize.getInput()),
                                y = perTensorParams(quantize.getResult());
    RankedTensorType input = tensorType(dequantize.getInput());
    int64_t planes = tensorType(quantize.getResult()).getNumElements();
    int64_t size = input.getNumElements() / planes;
    int64_t inner = 1;
    for (int64_t dim = mean.getAxes().back() + 1; dim < input.getRank(); ++dim)
      inner *= input.getDimSize(dim);
    // ONNX Runtime's scale, computed in f32 in its order.
    float scale = static_cast<float>(x.getScale()) /
                  (static_cast<float>(y.getScale()) * static_cast<float>(size));
    SmallVector<int64_t> values{x.getZeroPoint(),     y.getZeroPoint(),
                                y.getStorageTypeMin(), y.getStorageTypeMax(),
                                floatBits(scale),      x.isSigned(),
                                y.isSigned()};
    Descriptor d{};
    d[PASO_GEMM_M] = planes;
    d[PASO_GEMM_K] = size;
    // The planes' stride: 1 when each is contiguous (NCHW), the channels
    // of a channels-last tensor.
    d[PASO_GEMM_N] = inner;
    d[PASO_GEMM_BATCH] = 1;
    double count = static_cast<double>(planes) * size;
    emitStorageCall(quantize, "paso_qmean_8", "qmean", d,
                    {dequantize.getInput()}, values,
                    inner == 1 ? "int8 global average pool (int32 sum, one "
                                 "rounding)"
                               : "int8 global average pool, channels-last "
                                 "(int32 sum, one rounding)",
                    count, count + planes);
    if (reshape)
      reshape.erase();
    mean.erase();
    if (dequantize->use_empty())
      dequantize.erase();
  }

  /// The pieces of ONNX Runtime's QLinearSoftmax as the importer leaves
  /// it: quantize(reshape?(softmax(reshape?(dequantize(x))))), the
  /// softmax marked `paso.onnx_qlinear` and along its input's last dim (a
  /// reshape around it is the opset 1-12 form, which flattens the dims
  /// from the axis on: rows either way).
  struct QLinearSoftmaxParts {
    SoftmaxOp softmax;
    DequantizeOp dequantize;
    /// From the quantize's input up to the dequantize, which then go.
    SmallVector<Operation *> chain;
  };
  static std::optional<QLinearSoftmaxParts> qlinearSoftmax(QuantizeOp quantize) {
    QLinearSoftmaxParts parts;
    Value value = quantize.getInput();
    if (auto reshape = value.getDefiningOp<ReshapeOp>();
        reshape && reshape->hasOneUse()) {
      parts.chain.push_back(reshape);
      value = reshape.getInput();
    }
    parts.softmax = value.getDefiningOp<SoftmaxOp>();
    if (!parts.softmax || !parts.softmax->hasOneUse() ||
        !parts.softmax->hasAttr("paso.onnx_qlinear"))
      return std::nullopt;
    RankedTensorType type = tensorType(parts.softmax.getInput());
    if (!type.hasStaticShape() ||
        static_cast<int64_t>(parts.softmax.getAxis()) != type.getRank() - 1)
      return std::nullopt;
    parts.chain.push_back(parts.softmax);
    value = parts.softmax.getInput();
    if (auto reshape = value.getDefiningOp<ReshapeOp>();
        reshape && reshape->hasOneUse()) {
      parts.chain.push_back(reshape);
      value = reshape.getInput();
    }
    parts.dequantize = value.getDefiningOp<DequantizeOp>();
    if (!parts.dequantize || !eightBitPerTensor(parts.dequantize.getInput()) ||
        !eightBitPerTensor(quantize.getResult()) ||
        perTensorParams(parts.dequantize.getInput()).isSigned() !=
            perTensorParams(quantize.getResult()).isSigned())
      return std::nullopt;
    return parts;
  }

  /// paso_qsoftmax_8: ONNX Runtime's algorithm, with its table of
  /// exponentials built here as it builds it (in double, stored as f32)
  /// and its f32 constants.
  void emitSoftmaxCall(QuantizeOp quantize) {
    QLinearSoftmaxParts parts = *qlinearSoftmax(quantize);
    quant::UniformQuantizedType x = perTensorParams(parts.dequantize.getInput()),
                                y = perTensorParams(quantize.getResult());
    RankedTensorType type = tensorType(parts.softmax.getInput());
    int64_t length = type.getDimSize(type.getRank() - 1);
    int64_t rows = type.getNumElements() / std::max<int64_t>(1, length);
    float xScale = static_cast<float>(x.getScale());
    // sum(exp) must stay below the type's largest value: the table's
    // exponents are shifted by log(max / length), less five bits' margin
    // (natural log, as ONNX Runtime writes it), in units of x_scale.
    double shift =
        std::log(std::numeric_limits<float>::max() / static_cast<float>(length));
    shift = std::max(0.0, shift - 5) / xScale;
    SmallVector<int64_t> values{
        y.getZeroPoint(),
        floatBits(std::floor(1.0f / static_cast<float>(y.getScale()))),
        x.isSigned(), 0};
    // Entry i serves the byte that sits 255 - i below the row's largest
    // (for int8, at index i - 128 as a byte).
    SmallVector<int64_t> table(256);
    for (int32_t i = 0; i < 256; ++i) {
      double e = std::exp((static_cast<double>(i) - 255 + shift) *
                          static_cast<double>(xScale));
      uint8_t index = static_cast<uint8_t>(x.isSigned() ? i - 128 : i);
      table[index] = floatBits(static_cast<float>(e));
    }
    values.append(table.begin(), table.end());
    Descriptor d{};
    d[PASO_GEMM_M] = rows;
    d[PASO_GEMM_K] = length;
    d[PASO_GEMM_N] = d[PASO_GEMM_BATCH] = 1;
    double count = static_cast<double>(rows) * length;
    emitStorageCall(quantize, "paso_qsoftmax_8", "qsoftmax", d,
                    {parts.dequantize.getInput()}, values,
                    "int8 softmax (ONNX Runtime's QLinearSoftmax: exponential "
                    "table, f32 division)",
                    4.0 * count, 2.0 * count);
    for (Operation *op : parts.chain)
      op->erase();
    if (parts.dequantize->use_empty())
      parts.dequantize.erase();
  }

  /// Replaces `quantize` by a call of `kernel` (descriptor `d`, then the
  /// storage of `inputs`, the output and the i32 `params`) that writes
  /// its storage; the caller erases what fed it.
  void emitStorageCall(QuantizeOp quantize, StringRef kernel, StringRef name,
                       Descriptor &d, ArrayRef<Value> inputs,
                       ArrayRef<int64_t> params, StringRef algorithm,
                       double flops, double bytes) {
    emitStorageCall(quantize, quantize.getResult(), kernel, name, d, inputs,
                    params, algorithm, flops, bytes);
  }

  /// A pooling of 8-bit values on paso_qpool_8 (or paso_qmean_8).
  void emitPoolCall(cpu::IntegerPool &pool) {
    Descriptor d{};
    for (auto [field, value] : pool.fields)
      d[field] = value;
    // The quantize after the pooling (and its reshape), or the storage
    // pooling itself.
    Operation *last = pool.reshape ? pool.reshape.getOperation() : pool.pool;
    Operation *replaced =
        pool.dequantize ? *last->getResult(0).getUsers().begin() : pool.pool;
    emitStorageCall(replaced, replaced->getResult(0), pool.kernel, pool.name, d,
                    {pool.input}, pool.params, pool.algorithm, pool.flops,
                    pool.bytes);
    if (pool.dequantize) {
      if (pool.reshape)
        pool.reshape.erase();
      pool.pool->erase();
      if (pool.dequantize->use_empty())
        pool.dequantize.erase();
    }
  }

  /// Replaces `replaced`, whose `result` is quantised 8-bit values or
  /// integers, by the call; quantised inputs are read as their storage.
  void emitStorageCall(Operation *replaced, Value resultValue, StringRef kernel,
                       StringRef name, Descriptor &d, ArrayRef<Value> inputs,
                       ArrayRef<int64_t> params, StringRef algorithm,
                       double flops, double bytes) {
    ModuleOp module = getOperation();
    ThreadPlan threads = planThreads(*target, flops, bytes,
                                     kernelTimeScale(*target, "int8"));
    d[PASO_GEMM_MAX_THREADS] = threads.threads;
    d[PASO_GEMM_KERNEL_ID] = ++kernelCount;

    OpBuilder b(replaced);
    Location loc = replaced->getLoc();
    // Integer elements are the storage; quantised ones are cast to it.
    auto storageOf = [](RankedTensorType type) {
      return isa<quant::QuantizedType>(type.getElementType())
                 ? type.clone(storageElementType(type.getElementType()))
                 : type;
    };
    auto storage = [&](Value quantized) {
      RankedTensorType type = tensorType(quantized);
      if (storageOf(type) == type)
        return quantized;
      return UnrealizedConversionCastOp::create(
                 b, loc, type.clone(storageElementType(type.getElementType())),
                 quantized)
          .getResult(0);
    };
    RankedTensorType resultType = tensorType(resultValue);
    RankedTensorType resultStorage = storageOf(resultType);
    Value output = memref::AllocOp::create(
        b, loc,
        MemRefType::get(resultStorage.getShape(),
                        resultStorage.getElementType()));
    memref::GlobalOp global = cpu::createDescriptorGlobal(
        module, loc, ("__paso_" + name + "_descriptor_").str(), d, counter);
    Value descriptor = memref::GetGlobalOp::create(b, loc, global.getType(),
                                                   global.getSymName());
    auto constantType = RankedTensorType::get(
        {static_cast<int64_t>(params.size())}, b.getI32Type());
    Value constants = ConstantOp::create(
        b, loc, makeIntElements(constantType, params, (name + "_params").str()));
    SmallVector<Value> operands{cpu::addressOf(b, loc, descriptor)};
    for (Value input : inputs)
      operands.push_back(cpu::readAddress(b, loc, storage(input)));
    operands.push_back(cpu::addressOf(b, loc, output));
    operands.push_back(cpu::readAddress(b, loc, constants));
    operands.push_back(
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0)));
    func::FuncOp callee =
        cpu::declareKernel(module, kernel, static_cast<unsigned>(operands.size()));
    auto callOp = func::CallOp::create(b, loc, callee, operands);
    annotate(callOp, algorithm, threads.threads, d[PASO_GEMM_KERNEL_ID],
             threads.seconds, predictSeconds(*target, flops, bytes, 1),
             resultType.getShape(), flops, bytes);
    Value result = bufferization::ToTensorOp::create(
        b, loc, resultStorage, output, /*restrict=*/true, /*writable=*/true);
    if (resultStorage != resultType)
      result = UnrealizedConversionCastOp::create(b, loc, resultType, result)
                   .getResult(0);
    resultValue.replaceAllUsesWith(result);
    replaced->erase();
  }

  /// paso.dynamic_quantize on paso_dynamic_quantize_u8: the operations of
  /// its generated lowering, vectorised (the min/max reductions were
  /// scalar loops).
  void emitDynamicQuantizeCall(DynamicQuantizeOp op) {
    ModuleOp module = getOperation();
    OpBuilder b(op);
    Location loc = op.getLoc();
    int64_t count = tensorType(op.getInput()).getNumElements();
    Descriptor d{};
    d[PASO_GEMM_M] = count;
    d[PASO_GEMM_N] = d[PASO_GEMM_K] = d[PASO_GEMM_BATCH] = 1;
    d[PASO_GEMM_MAX_THREADS] = 1;
    d[PASO_GEMM_KERNEL_ID] = ++kernelCount;
    // Two reads of the floats, one write of the bytes.
    double bytes = 9.0 * count, flops = 6.0 * count;
    memref::GlobalOp global = cpu::createDescriptorGlobal(
        module, loc, "__paso_dynamic_quantize_descriptor_", d, counter);
    Value descriptor = memref::GetGlobalOp::create(b, loc, global.getType(),
                                                   global.getSymName());
    SmallVector<Value> outputs;
    for (Value result : op->getResults()) {
      RankedTensorType type = tensorType(result);
      outputs.push_back(memref::AllocOp::create(
          b, loc, MemRefType::get(type.getShape(), type.getElementType())));
    }
    func::FuncOp callee =
        cpu::declareKernel(module, "paso_dynamic_quantize_u8", 6);
    SmallVector<Value> operands{
        cpu::addressOf(b, loc, descriptor),
        cpu::readAddress(b, loc, op.getInput()),
        cpu::addressOf(b, loc, outputs[0]), cpu::addressOf(b, loc, outputs[1]),
        cpu::addressOf(b, loc, outputs[2]),
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0))};
    auto callOp = func::CallOp::create(b, loc, callee, operands);
    annotate(callOp, "DynamicQuantizeLinear (vectorised)", 1,
             d[PASO_GEMM_KERNEL_ID],
             predictSeconds(*target, flops, bytes, 1),
             predictSeconds(*target, flops, bytes, 1),
             tensorType(op.getInput()).getShape(), flops, bytes);
    for (auto [result, output] : llvm::zip(op->getResults(), outputs))
      result.replaceAllUsesWith(bufferization::ToTensorOp::create(
          b, loc, tensorType(result), output, /*restrict=*/true,
          /*writable=*/true));
    op.erase();
  }

  /// The attributes the report and the kernel table read off a call.
  void annotate(func::CallOp callOp, StringRef algorithm, int64_t threads,
                int64_t id, double rawSeconds, double rawSingleThreadSeconds,
                ArrayRef<int64_t> shape, double flops, double bytes) {
    Builder b(callOp.getContext());
    double scale = kernelTimeScale(*target, "int8");
    std::string outputShape;
    for (int64_t dim : shape)
      outputShape += (outputShape.empty() ? "" : "x") + std::to_string(dim);
    callOp->setAttr("paso.algorithm", b.getStringAttr(algorithm));
    callOp->setAttr("paso.threads", b.getI64IntegerAttr(threads));
    callOp->setAttr("paso.kernel_id", b.getI64IntegerAttr(id));
    callOp->setAttr("paso.kernel_class", b.getStringAttr("int8"));
    callOp->setAttr("paso.predicted_us",
                    b.getF64FloatAttr(rawSeconds * scale * 1e6));
    callOp->setAttr("paso.predicted_1t_us",
                    b.getF64FloatAttr(rawSingleThreadSeconds * scale * 1e6));
    callOp->setAttr("paso.raw_predicted_us",
                    b.getF64FloatAttr(rawSeconds * 1e6));
    callOp->setAttr("paso.raw_predicted_1t_us",
                    b.getF64FloatAttr(rawSingleThreadSeconds * 1e6));
    callOp->setAttr("paso.output_shape", b.getStringAttr(outputShape));
    // The integer work and its traffic, for the profile's roofline.
    callOp->setAttr("paso.flops", b.getF64FloatAttr(flops));
    callOp->setAttr("paso.bytes", b.getF64FloatAttr(bytes));
  }

  std::optional<TargetDescription> target;
  unsigned counter = 0;
  int64_t kernelCount = 0;
};

} // namespace

std::unique_ptr<Pass>
mlir::paso::createCallCpuIntegerKernelsPass(const TargetDescription &target) {
  return std::make_unique<PasoCallCpuIntegerKernelsPass>(target);
}
