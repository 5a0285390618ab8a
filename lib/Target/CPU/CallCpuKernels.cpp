//===- CallCpuKernels.cpp - paso convs and matmuls on the GEMM kernel -----===//
//
// Replaces whole paso ops by one call each to the runtime's GEMM kernel
// (lib/Runtime/ModelRuntime/paso_gemm.c): the kernel fuses what linalg
// would spread over several loop nests (padding, im2col, the product, the
// epilogue) and reads constant weights that this pass packs at compile
// time. The descriptor format is include/paso/Runtime/paso_gemm.h.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "KernelCalls.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Dialect/Paso/Transforms/ConstantData.h"
#include "paso/Runtime/paso_gemm.h"
#include "paso/Target/CostModel.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/CommandLine.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace mlir::paso {
#define GEN_PASS_DEF_PASOCALLCPUKERNELSPASS
#include "paso/Target/CPU/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

/// For A/B measurements of the cost model's choice.
static llvm::cl::opt<bool>
    noWinograd("paso-no-winograd",
               llvm::cl::desc("Never run 3x3 convolutions by Winograd"),
               llvm::cl::init(false));
static llvm::cl::opt<unsigned> forceWinogradTile(
    "paso-force-winograd",
    llvm::cl::desc("Run every channels-last 3x3, stride-1 convolution by "
                   "Winograd with this output tile edge (2 or 4), whatever "
                   "the cost model predicts (tests, measurements)"),
    llvm::cl::init(0));

namespace {

using Descriptor = std::array<int64_t, PASO_GEMM_FIELDS>;

/// The runtime's code for a fused-op activation name (see paso.fused_conv).
std::optional<int64_t> activationCode(StringRef name) {
  return llvm::StringSwitch<std::optional<int64_t>>(name)
      .Case("none", PASO_ACT_NONE)
      .Case("relu", PASO_ACT_RELU)
      .Case("clip", PASO_ACT_CLIP)
      .Case("leaky_relu", PASO_ACT_LEAKY_RELU)
      .Case("sigmoid", PASO_ACT_SIGMOID)
      .Case("hard_sigmoid", PASO_ACT_HARD_SIGMOID)
      .Case("hard_swish", PASO_ACT_HARD_SWISH)
      .Case("tanh", PASO_ACT_TANH)
      .Case("gelu", PASO_ACT_GELU)
      .Case("gelu_tanh", PASO_ACT_GELU_TANH)
      .Case("silu", PASO_ACT_SILU)
      .Default(std::nullopt);
}

int64_t floatBits(double value) {
  return llvm::bit_cast<uint32_t>(static_cast<float>(value));
}

/// Sets the activation fields; false when the runtime lacks it.
bool setActivation(Descriptor &d, StringRef name, ArrayRef<double> params) {
  std::optional<int64_t> code = activationCode(name);
  if (!code)
    return false;
  d[PASO_GEMM_ACTIVATION] = *code;
  if (!params.empty())
    d[PASO_GEMM_ALPHA_BITS] = floatBits(params[0]);
  if (params.size() > 1)
    d[PASO_GEMM_BETA_BITS] = floatBits(params[1]);
  return true;
}

/// The image and window geometry the im2col, window and Winograd kernels
/// read (plain products ignore it).
void setWindow(Descriptor &d, int64_t channels, int64_t height,
               int64_t width, int64_t kernelH, int64_t kernelW,
               ArrayRef<int64_t> strides, ArrayRef<int64_t> pads,
               ArrayRef<int64_t> dilations, int64_t outW) {
  d[PASO_GEMM_IMAGE_C] = channels;
  d[PASO_GEMM_IMAGE_H] = height;
  d[PASO_GEMM_IMAGE_W] = width;
  d[PASO_GEMM_KERNEL_H] = kernelH;
  d[PASO_GEMM_KERNEL_W] = kernelW;
  d[PASO_GEMM_STRIDE_H] = strides[0];
  d[PASO_GEMM_STRIDE_W] = strides[1];
  d[PASO_GEMM_PAD_TOP] = pads[0];
  d[PASO_GEMM_PAD_LEFT] = pads[1];
  d[PASO_GEMM_DILATION_H] = dilations[0];
  d[PASO_GEMM_DILATION_W] = dilations[1];
  d[PASO_GEMM_OUT_W] = outW;
}

bool isStaticF32(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// A 1x1, stride-1, unpadded convolution: a plain product over the image.
bool isPointwise(int64_t kh, int64_t kw, ArrayRef<int64_t> strides,
                 ArrayRef<int64_t> pads, bool sameSize) {
  return kh == 1 && kw == 1 && strides[0] == 1 && strides[1] == 1 &&
         llvm::all_of(pads, [](int64_t p) { return p == 0; }) && sameSize;
}

/// True when a convolution's operands suit the kernels: static f32 input,
/// filter, result and bias, and a residual of the result's type.
bool kernelOperands(Value input, Value filter, Value bias, Value residual,
                    Value output) {
  return isStaticF32(input) && isStaticF32(filter) && isStaticF32(output) &&
         (!bias || isStaticF32(bias)) &&
         (!residual || residual.getType() == output.getType());
}

/// Everything one call needs: the descriptor, the tensor operands (A, B,
/// optional bias and residual) and the problem for the cost model.
struct KernelCall {
  Descriptor descriptor{};
  Value a, b, bias, residual;
  /// A product for the GEMM kernel, or a depthwise convolution or max
  /// pooling for the window kernel (whose cost is its arithmetic and
  /// traffic).
  bool window = false;
  /// A layout conversion for the transpose kernel (costed by its traffic).
  bool transpose = false;
  /// A softmax or layer normalisation for the row kernel.
  bool rows = false;
  /// A 3x3 convolution by Winograd F(2x2, 3x3), with this many floats of
  /// scratch for its transformed planes.
  bool winograd = false;
  int64_t scratchFloats = 0;
  /// The channels-last Winograd kernel, which blocks its own scratch.
  bool winogradNhwc = false;
  /// The fp16 GEMM kernel (paso_gemm_f16), writing C transposed (an NCHW
  /// output) when `halfColumns`.
  bool half = false, halfColumns = false;
  /// The fp16 kernel's weights are scaled by 2^-halfWeightExponent.
  int64_t halfWeightExponent = 0;
  GemmShape shape;
  double flops = 0, bytes = 0;
  /// How the kernel runs the op, for the compile report.
  std::string algorithm;
  /// Work outside the products (Winograd's transforms), single-thread.
  double extraSeconds = 0;
};

/// A constant holding `values` packed as the kernel's panels: `rows` x
/// `depth` values where element (r, k) is read by `at(r, k)`, grouped in
/// panels of `tile` rows, each k-major and zero-padded; in f16 (rounded
/// to nearest) for the fp16 kernel when `half`.
template <typename At>
Value packPanels(OpBuilder &b, Location loc, int64_t rows, int64_t depth,
                 int64_t tile, At at, StringRef name, bool half = false) {
  int64_t panels = (rows + tile - 1) / tile;
  SmallVector<float> packed(panels * depth * tile, 0.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < depth; ++k)
      packed[(r / tile) * depth * tile + k * tile + r % tile] = at(r, k);
  auto type = RankedTensorType::get({static_cast<int64_t>(packed.size())},
                                    half ? b.getF16Type() : b.getF32Type());
  return ConstantOp::create(b, loc,
                            half ? makeF16Elements(type, packed, name)
                                 : makeF32Elements(type, packed, name));
}

/// Winograd's filter transform U = G g G^T of one 3x3 filter g (read as
/// w(y, x)) for t x t output tiles (t = 2 or 4): `store(i, j, value)` gets
/// each of the (t + 2)^2 values. F(4x4, 3x3) uses the points 0, 1, -1, 2,
/// -1/2 (the runtime's winograd_nhwc_kernel.inc has B^T and A^T).
template <typename Weight, typename Store>
void transformWinogradFilter(int64_t tile, Weight w, Store store) {
  static const double g2[4][3] = {
      {1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
  static const double g4[6][3] = {{1, 0, 0},
                                  {-1.0 / 3, -1.0 / 3, -1.0 / 3},
                                  {1.0 / 3, -1.0 / 3, 1.0 / 3},
                                  {1.0 / 15, 2.0 / 15, 4.0 / 15},
                                  {-16.0 / 15, 8.0 / 15, -4.0 / 15},
                                  {0, 0, 1}};
  auto g = [&](int64_t i, int64_t j) {
    return tile == 4 ? g4[i][j] : g2[i][j];
  };
  int64_t alpha = tile + 2;
  double t[6][3];
  for (int64_t i = 0; i < alpha; ++i)
    for (int64_t j = 0; j < 3; ++j)
      t[i][j] = g(i, 0) * w(0, j) + g(i, 1) * w(1, j) + g(i, 2) * w(2, j);
  for (int64_t i = 0; i < alpha; ++i)
    for (int64_t j = 0; j < alpha; ++j)
      store(i, j,
            static_cast<float>(t[i][0] * g(j, 0) + t[i][1] * g(j, 1) +
                               t[i][2] * g(j, 2)));
}

/// A per-op override of the Winograd decision, `paso.winograd_tile` (0:
/// direct; 2 or 4: Winograd with that output tile): the calibration suite
/// measures both forms of a layer, which the cost model alone would never
/// run side by side.
std::optional<int64_t> winogradOverride(Operation *op) {
  if (auto tile = op->getAttrOfType<IntegerAttr>("paso.winograd_tile"))
    return tile.getInt();
  return std::nullopt;
}

/// The call for an ungrouped 2-D convolution, or nullopt when the kernel
/// does not take it.
std::optional<KernelCall>
planConvolution(OpBuilder &b, Operation *op, Value input, Value filter,
                Value bias, Value residual, ArrayRef<int64_t> strides,
                ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                int64_t group, StringRef activation,
                ArrayRef<double> params, const GemmPlan &shapeOnly,
                const TargetDescription &target) {
  Value output = op->getResult(0);
  if (!kernelOperands(input, filter, bias, residual, output))
    return std::nullopt;
  auto inType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outType = cast<RankedTensorType>(output.getType());
  if (inType.getRank() != 4 || strides.size() != 2 || pads.size() != 4 ||
      dilations.size() != 2)
    return std::nullopt;
  int64_t images = inType.getDimSize(0), channels = inType.getDimSize(1);
  int64_t height = inType.getDimSize(2), width = inType.getDimSize(3);
  int64_t m = filterType.getDimSize(0), kh = filterType.getDimSize(2),
          kw = filterType.getDimSize(3);
  int64_t oh = outType.getDimSize(2), ow = outType.getDimSize(3);
  // Ungrouped convolutions are products; depthwise ones (one filter per
  // channel) have their own kernel; other groupings stay in linalg.
  bool depthwise = group > 1 && group == channels && m == channels &&
                   filterType.getDimSize(1) == 1 &&
                   kh * kw <= PASO_DEPTHWISE_MAX_WINDOW;
  if ((group != 1 && !depthwise) || outType.getDimSize(1) != m ||
      (!depthwise && filterType.getDimSize(1) != channels))
    return std::nullopt;
  KernelCall call;
  Descriptor &d = call.descriptor;
  if (!setActivation(d, activation, params))
    return std::nullopt;
  int64_t k = (depthwise ? 1 : channels) * kh * kw, n = oh * ow;
  d[PASO_GEMM_M] = m;
  d[PASO_GEMM_N] = n;
  d[PASO_GEMM_K] = k;
  d[PASO_GEMM_BATCH] = images;
  d[PASO_GEMM_LDC] = n;
  d[PASO_GEMM_B_BATCH_STRIDE] = channels * height * width;
  d[PASO_GEMM_C_BATCH_STRIDE] = m * n;
  bool pointwise = isPointwise(kh, kw, strides, pads, oh == height &&
                                                        ow == width);
  setWindow(d, channels, height, width, kh, kw, strides, pads, dilations, ow);
  d[PASO_GEMM_B_LAYOUT] = pointwise ? PASO_B_ROW_MAJOR : PASO_B_IM2COL;
  if (pointwise)
    d[PASO_GEMM_LDB] = n;
  call.b = input;
  call.a = filter;
  d[PASO_GEMM_LDA] = k;
  if (depthwise) {
    // The filter is read as it is: [C, KH x KW]; the image always goes
    // through the padded copy, whatever the geometry.
    d[PASO_GEMM_B_LAYOUT] = PASO_B_IM2COL;
    call.window = true;
    call.flops = 2.0 * images * m * n * k;
    call.bytes = 4.0 * images * m *
                 (height * width + n * (residual ? 2 : 1));
  } else if (std::optional<SmallVector<float>> weights =
                 readF32Constant(filter);
             weights && kh == 3 && kw == 3 && strides[0] == 1 &&
             strides[1] == 1 && dilations[0] == 1 && dilations[1] == 1 &&
             !noWinograd &&
             (winogradOverride(op)
                  ? *winogradOverride(op) != 0
                  : chooseConvolution3x3(target, images, channels, m, oh, ow,
                                         /*channelsLast=*/false)
                        .winograd)) {
    // U per (filter, channel), packed as 16 products of panels of MR
    // rows: [16][ceil(M / MR)][C][MR].
    int64_t mr = shapeOnly.mr, panels = (m + mr - 1) / mr;
    SmallVector<float> packed(16 * panels * channels * mr, 0.0f);
    for (int64_t f = 0; f < m; ++f)
      for (int64_t c = 0; c < channels; ++c) {
        // The filter is [M, C, 3, 3].
        const float *w = weights->data() + (f * channels + c) * 9;
        transformWinogradFilter(
            2, [&](int64_t y, int64_t x) { return double(w[y * 3 + x]); },
            [&](int64_t i, int64_t j, float value) {
              packed[(i * 4 + j) * panels * channels * mr +
                     (f / mr) * channels * mr + c * mr + f % mr] = value;
            });
      }
    auto type = RankedTensorType::get({static_cast<int64_t>(packed.size())},
                                      b.getF32Type());
    call.a = ConstantOp::create(b, filter.getLoc(),
                                makeF32Elements(type, packed, "winograd_filter"));
    d[PASO_GEMM_K] = channels;
    d[PASO_GEMM_A_LAYOUT] = PASO_A_PACKED;
    d[PASO_GEMM_LDA] = 0;
    int64_t tiles = ((oh + 1) / 2) * ((ow + 1) / 2);
    call.winograd = true;
    call.scratchFloats = 16 * (channels + m) * tiles;
    call.extraSeconds =
        winogradTransformSeconds(target, images, channels, m, oh, ow);
    call.shape = GemmShape{m, tiles, channels, 16 * images, true, false};
  } else if (weights) {
    call.a = packPanels(
        b, filter.getLoc(), m, k, shapeOnly.mr,
        [&](int64_t r, int64_t c) { return (*weights)[r * k + c]; },
        "packed_filter");
    d[PASO_GEMM_A_LAYOUT] = PASO_A_PACKED;
    d[PASO_GEMM_LDA] = 0;
    call.shape.aPrepacked = true;
  }
  if (bias) {
    call.bias = bias;
    d[PASO_GEMM_BIAS] = PASO_BIAS_ROW;
  }
  if (residual) {
    call.residual = residual;
    d[PASO_GEMM_RESIDUAL] = 1;
  }
  call.algorithm = call.window    ? "depthwise window"
                   : call.winograd ? "winograd F(2x2,3x3)"
                   : pointwise     ? "gemm, 1x1 read in place"
                                   : "gemm, implicit im2col";
  if (!call.winograd) {
    call.shape.m = m;
    call.shape.n = n;
    call.shape.k = k;
    call.shape.batch = images;
  }
  return call;
}

/// The call for a channels-last 2-D convolution (input NHWC, filter
/// [M, KH, KW, C / group]), or nullopt. Ungrouped ones are products
/// C[pixels x M] = im2col(image)[pixels x K] x filter^T with the filter
/// packed as B at compile time (K = (kh, kw, c), the filter's own order);
/// depthwise ones run the window kernel along channels.
std::optional<KernelCall>
planConvolutionNhwc(OpBuilder &b, Operation *op, Value input, Value filter,
                    Value bias, Value residual, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                    int64_t group, StringRef activation,
                    ArrayRef<double> params, const GemmPlan &shapeOnly,
                    const TargetDescription &target) {
  Value output = op->getResult(0);
  if (!kernelOperands(input, filter, bias, residual, output))
    return std::nullopt;
  auto inType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outType = cast<RankedTensorType>(output.getType());
  if (inType.getRank() != 4 || strides.size() != 2 || pads.size() != 4)
    return std::nullopt;
  int64_t images = inType.getDimSize(0), height = inType.getDimSize(1),
          width = inType.getDimSize(2), channels = inType.getDimSize(3);
  int64_t m = filterType.getDimSize(0), kh = filterType.getDimSize(1),
          kw = filterType.getDimSize(2);
  int64_t oh = outType.getDimSize(1), ow = outType.getDimSize(2);
  bool depthwise = group > 1 && group == channels && m == channels &&
                   filterType.getDimSize(3) == 1 &&
                   kh * kw <= PASO_DEPTHWISE_MAX_WINDOW;
  std::optional<SmallVector<float>> weights = readF32Constant(filter);
  if ((group != 1 && !depthwise) || !weights)
    return std::nullopt;
  KernelCall call;
  Descriptor &d = call.descriptor;
  if (!setActivation(d, activation, params))
    return std::nullopt;
  int64_t window = kh * kw, pixels = oh * ow;
  setWindow(d, channels, height, width, kh, kw, strides, pads, dilations, ow);
  d[PASO_GEMM_BATCH] = images;
  d[PASO_GEMM_C_BATCH_STRIDE] = pixels * m;
  if (residual) {
    call.residual = residual;
    d[PASO_GEMM_RESIDUAL] = 1;
  }
  if (depthwise) {
    // The window kernel: M = channels, N = pixels, the filter as
    // [KH x KW, C] so each tap's weights are contiguous like the pixels.
    d[PASO_GEMM_M] = m;
    d[PASO_GEMM_N] = pixels;
    d[PASO_GEMM_K] = window;
    d[PASO_GEMM_B_LAYOUT] = PASO_B_NHWC_IMAGE;
    d[PASO_GEMM_B_BATCH_STRIDE] = height * width * channels;
    SmallVector<float> taps(window * m);
    for (int64_t c = 0; c < m; ++c)
      for (int64_t t = 0; t < window; ++t)
        taps[t * m + c] = (*weights)[c * window + t];
    call.a = ConstantOp::create(
        b, filter.getLoc(),
        makeF32Elements(RankedTensorType::get({window, m}, b.getF32Type()),
                        taps, "depthwise_filter_hwc"));
    call.b = input;
    if (bias) {
      call.bias = bias;
      d[PASO_GEMM_BIAS] = PASO_BIAS_ROW;
    }
    call.window = true;
    call.algorithm = "depthwise window, channels-last";
    call.flops = 2.0 * images * m * pixels * window;
    call.bytes = 4.0 * images * m *
                 (height * width + pixels * (residual ? 2 : 1));
    return call;
  }
  int64_t k = window * channels;
  bool pointwise = isPointwise(kh, kw, strides, pads, oh == height &&
                                                        ow == width);
  d[PASO_GEMM_M] = pixels;
  d[PASO_GEMM_N] = m;
  d[PASO_GEMM_K] = k;
  d[PASO_GEMM_LDC] = m;
  if (bias) {
    call.bias = bias;
    d[PASO_GEMM_BIAS] = PASO_BIAS_COLUMN;
  }
  if (kh == 3 && kw == 3 && strides[0] == 1 && strides[1] == 1 &&
      dilations[0] == 1 && dilations[1] == 1 && !noWinograd &&
      winogradOverride(op).value_or(-1) != 0) {
    ConvolutionChoice choice = chooseConvolution3x3(
        target, images, channels, m, oh, ow, /*channelsLast=*/true);
    int64_t forced = winogradOverride(op).value_or(forceWinogradTile);
    if (choice.winograd || forced == 2 || forced == 4) {
      // U per (filter, channel), each of the a^2 planes packed as the B
      // panels of its product: [a^2][ceil(M / NR)][C][NR].
      int64_t tile = forced ? forced : choice.tile;
      int64_t alpha = tile + 2;
      int64_t nr = shapeOnly.nr, panels = (m + nr - 1) / nr;
      int64_t plane = panels * channels * nr;
      SmallVector<float> packed(alpha * alpha * plane, 0.0f);
      for (int64_t f = 0; f < m; ++f)
        for (int64_t c = 0; c < channels; ++c)
          // The filter is [M, 3, 3, C].
          transformWinogradFilter(
              tile,
              [&](int64_t y, int64_t x) {
                return double(
                    (*weights)[((f * 3 + y) * 3 + x) * channels + c]);
              },
              [&](int64_t i, int64_t j, float value) {
                packed[(i * alpha + j) * plane + (f / nr) * channels * nr +
                       c * nr + f % nr] = value;
              });
      auto type = RankedTensorType::get(
          {static_cast<int64_t>(packed.size())}, b.getF32Type());
      call.a = ConstantOp::create(
          b, filter.getLoc(),
          makeF32Elements(type, packed, "winograd_filter_hwc"));
      call.b = input;
      d[PASO_GEMM_K] = channels;
      d[PASO_GEMM_A_LAYOUT] = PASO_A_PACKED;
      d[PASO_GEMM_B_LAYOUT] = PASO_B_NHWC_IMAGE;
      d[PASO_GEMM_B_BATCH_STRIDE] = height * width * channels;
      // The kernel's tile edge and blocks of tiles (forced: blocks of 8
      // register tiles).
      int64_t tiles = ((oh + tile - 1) / tile) * ((ow + tile - 1) / tile);
      // Forced per op (the calibration suite): the blocking the decision
      // would use for that tile, so the measurement names the kernel the
      // decision looks up. Forced for the whole model (tests): blocks of 8
      // register tiles.
      int64_t perBlock =
          winogradOverride(op)
              ? winogradNhwcTilesPerBlock(target, images, channels, m, oh, ow,
                                          tile)
          : forced ? 8 * shapeOnly.mr
                   : choice.tilesPerBlock;
      d[PASO_GEMM_LDA] = perBlock;
      d[PASO_GEMM_LDB] = tile;
      int64_t blocks = (tiles + perBlock - 1) / perBlock;
      call.winogradNhwc = true;
      call.shape = GemmShape{std::min(perBlock, tiles), m, channels,
                             alpha * alpha * images * blocks, false, true};
      call.extraSeconds =
          std::max(0.0, choice.winogradSeconds -
                            planGemm(target, call.shape).singleThreadSeconds);
      call.algorithm = (tile == 4 ? kNhwcWinograd4Algorithm
                                  : kNhwcWinograd2Algorithm)
                           .str();
      return call;
    }
  }
  // Every channels-last product reads the image in place (the GEMM
  // kernel's indirect micro-kernel), 1x1 ones included.
  d[PASO_GEMM_A_LAYOUT] = PASO_A_NHWC_IM2COL;
  d[PASO_GEMM_A_BATCH_STRIDE] = height * width * channels;
  d[PASO_GEMM_B_LAYOUT] = PASO_B_PACKED;
  call.a = input;
  call.b = packPanels(
      b, filter.getLoc(), m, k, shapeOnly.nr,
      [&](int64_t col, int64_t row) { return (*weights)[col * k + row]; },
      "packed_filter_hwc");
  call.shape = GemmShape{pixels, m, k, images, false, true};
  call.algorithm = pointwise ? "gemm, channels-last, 1x1 read in place"
                             : kNhwcDirectConvAlgorithm.str();
  return call;
}

/// The power of two the fp16 kernel's weights are divided by: the
/// exponent of their largest magnitude, which then lies in [1, 2), so f16
/// neither overflows nor loses small weights to its subnormals (the
/// kernel scales its input likewise and undoes both, paso_gemm_f16.c).
int64_t halfWeightExponent(ArrayRef<float> weights) {
  float largest = 0;
  for (float w : weights)
    largest = std::max(largest, std::fabs(w));
  if (largest == 0 || !std::isfinite(largest))
    return 0;
  int exponent = 0;
  std::frexp(largest, &exponent); // largest = m x 2^exponent, m in [0.5, 1)
  return std::clamp(exponent - 1, -100, 100);
}

/// Whether an fp16 product of `columns` output columns runs the 512-bit
/// variant on a target with the 512-bit tile `shapeOnly`: not for 16
/// columns or fewer, which would fill at most half of its 32-half vectors
/// (a MobileNetV3 layer of 8 channels ran 4x slower than f32 that way);
/// the 256-bit variant fills its 16.
bool wideHalfKernel(const GemmPlan &shapeOnly, int64_t columns) {
  return shapeOnly.mr == PASO_GEMM_MR_512 && columns > 16;
}

/// The fp16 kernel's panel width for `columns` output columns.
int64_t halfPanelColumns(const GemmPlan &shapeOnly, int64_t columns) {
  return wideHalfKernel(shapeOnly, columns) ? PASO_GEMM_F16_NR_512
                                            : PASO_GEMM_F16_NR_256;
}

/// The fp16 kernel's call for an ungrouped 2-D convolution in either
/// layout, or nullopt (then it runs in f32): rows are output pixels,
/// columns output channels, k = (kh, kw, c) of the channels-last im2col,
/// the filter packed as f16 B panels at compile time. An NCHW input is
/// transposed by the kernel as it converts it, and the output written
/// transposed.
std::optional<KernelCall>
planHalfConvolution(OpBuilder &b, Operation *op, Value input, Value filter,
                    Value bias, Value residual, ArrayRef<int64_t> strides,
                    ArrayRef<int64_t> pads, ArrayRef<int64_t> dilations,
                    int64_t group, bool channelsLast, StringRef activation,
                    ArrayRef<double> params, const GemmPlan &shapeOnly) {
  Value output = op->getResult(0);
  if (group != 1 || !kernelOperands(input, filter, bias, residual, output))
    return std::nullopt;
  std::optional<SmallVector<float>> weights = readF32Constant(filter);
  auto inType = cast<RankedTensorType>(input.getType());
  auto filterType = cast<RankedTensorType>(filter.getType());
  auto outType = cast<RankedTensorType>(output.getType());
  if (!weights || inType.getRank() != 4 || strides.size() != 2 ||
      pads.size() != 4 || dilations.size() != 2)
    return std::nullopt;
  // Dims (images, channels, height, width) in NCHW; NHWC rotates them, and
  // its filter is [M, KH, KW, C] instead of [M, C, KH, KW].
  int64_t first = channelsLast ? 1 : 2;
  int64_t images = inType.getDimSize(0),
          channels = inType.getDimSize(channelsLast ? 3 : 1);
  int64_t height = inType.getDimSize(first),
          width = inType.getDimSize(first + 1);
  int64_t m = filterType.getDimSize(0);
  int64_t kh = filterType.getDimSize(channelsLast ? 1 : 2),
          kw = filterType.getDimSize(channelsLast ? 2 : 3);
  int64_t oh = outType.getDimSize(first), ow = outType.getDimSize(first + 1);
  if (filterType.getDimSize(channelsLast ? 3 : 1) != channels)
    return std::nullopt;
  KernelCall call;
  Descriptor &d = call.descriptor;
  if (!setActivation(d, activation, params))
    return std::nullopt;
  int64_t pixels = oh * ow, k = kh * kw * channels;
  setWindow(d, channels, height, width, kh, kw, strides, pads, dilations, ow);
  d[PASO_GEMM_M] = pixels;
  d[PASO_GEMM_N] = m;
  d[PASO_GEMM_K] = k;
  d[PASO_GEMM_BATCH] = images;
  d[PASO_GEMM_A_LAYOUT] = channelsLast ? PASO_A_NHWC_IM2COL
                                       : PASO_A_NCHW_IM2COL;
  d[PASO_GEMM_A_BATCH_STRIDE] = height * width * channels;
  d[PASO_GEMM_B_LAYOUT] = PASO_B_PACKED;
  d[PASO_GEMM_LDC] = channelsLast ? m : pixels;
  d[PASO_GEMM_C_BATCH_STRIDE] = pixels * m;
  call.a = input;
  call.halfWeightExponent = halfWeightExponent(*weights);
  float scale = std::ldexp(1.0f, -call.halfWeightExponent);
  call.b = packPanels(
      b, filter.getLoc(), m, k, halfPanelColumns(shapeOnly, m),
      [&](int64_t f, int64_t kk) {
        int64_t tap = kk / channels, c = kk % channels;
        int64_t y = tap / kw, x = tap % kw;
        return scale *
               (channelsLast
                    ? (*weights)[((f * kh + y) * kw + x) * channels + c]
                    : (*weights)[((f * channels + c) * kh + y) * kw + x]);
      },
      "packed_filter_f16", /*half=*/true);
  if (bias) {
    call.bias = bias;
    d[PASO_GEMM_BIAS] = PASO_BIAS_COLUMN;
  }
  if (residual) {
    call.residual = residual;
    d[PASO_GEMM_RESIDUAL] = 1;
  }
  call.half = true;
  call.halfColumns = !channelsLast;
  call.shape = GemmShape{pixels, m, k, images, false, true};
  call.algorithm = channelsLast ? "fp16 gemm, channels-last image read in place"
                                : "fp16 gemm, image transposed to channels-last";
  return call;
}

/// The call for a 2-D f32 max pooling (the window kernel with a maximum
/// instead of a weighted sum), or nullopt.
std::optional<KernelCall> planMaxPool(MaxPoolOp op) {
  Value input = op.getInput();
  if (!isStaticF32(input) || !isStaticF32(op))
    return std::nullopt;
  auto inType = cast<RankedTensorType>(input.getType());
  RankedTensorType outType = op.getType();
  ArrayRef<int64_t> kernel = op.getKernelShape(), strides = op.getStrides(),
                    pads = op.getPads(), dilations = op.getDilations();
  if (inType.getRank() != 4 || kernel.size() != 2 ||
      kernel[0] * kernel[1] > PASO_DEPTHWISE_MAX_WINDOW)
    return std::nullopt;
  // NCHW dims are (images, channels, height, width); NHWC ones rotate.
  bool nhwc = op.getChannelsLast();
  int64_t first = nhwc ? 1 : 2;
  int64_t images = inType.getDimSize(0),
          channels = inType.getDimSize(nhwc ? 3 : 1);
  int64_t height = inType.getDimSize(first),
          width = inType.getDimSize(first + 1);
  int64_t outW = outType.getDimSize(first + 1);
  int64_t n = outType.getDimSize(first) * outW;
  KernelCall call;
  Descriptor &d = call.descriptor;
  d[PASO_GEMM_M] = channels;
  d[PASO_GEMM_N] = n;
  d[PASO_GEMM_K] = kernel[0] * kernel[1];
  d[PASO_GEMM_BATCH] = images;
  d[PASO_GEMM_LDC] = n;
  d[PASO_GEMM_B_LAYOUT] = nhwc ? PASO_B_NHWC_IMAGE : PASO_B_IM2COL;
  d[PASO_GEMM_B_BATCH_STRIDE] = channels * height * width;
  d[PASO_GEMM_C_BATCH_STRIDE] = channels * n;
  setWindow(d, channels, height, width, kernel[0], kernel[1], strides, pads,
            dilations, outW);
  d[PASO_GEMM_WINDOW_OP] = PASO_WINDOW_MAX;
  call.b = input;
  call.window = true;
  call.algorithm = nhwc ? "max-pool window, channels-last" : "max-pool window";
  call.flops = double(images) * channels * n * kernel[0] * kernel[1];
  call.bytes = 4.0 * images * channels * (height * width + n);
  return call;
}

/// Constant right-hand sides already packed, by (weights, transposed (1)
/// | fp16 (2)), with the fp16 packing's weight exponent: an unrolled
/// recurrent layer multiplies by the same R at every step.
using PackedWeights =
    DenseMap<std::pair<Value, unsigned>, std::pair<Value, int64_t>>;

/// The call for lhs[..., M, K] x op(rhs) + bias, or nullopt. Packed weights
/// are created before the first call that uses them, which precedes every
/// later one.
std::optional<KernelCall> planMatMul(OpBuilder &b, FusedMatMulOp op,
                                     const GemmPlan &shapeOnly,
                                     PackedWeights &packedWeights,
                                     bool half) {
  int64_t tileRows = shapeOnly.mr;
  Value lhs = op.getLhs(), rhs = op.getRhs(), bias = op.getBias();
  if (!isStaticF32(lhs) || !isStaticF32(rhs) || !isStaticF32(op) ||
      (bias && !isStaticF32(bias)))
    return std::nullopt;
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  if (lhsType.getRank() < 2 || rhsType.getRank() != 2)
    return std::nullopt;
  bool transposed = op.getTransRhs();
  int64_t k = lhsType.getShape().back();
  int64_t n = rhsType.getDimSize(transposed ? 0 : 1);
  int64_t m = lhsType.getNumElements() / std::max<int64_t>(1, k);
  if (rhsType.getDimSize(transposed ? 1 : 0) != k ||
      (bias && cast<RankedTensorType>(bias.getType()).getNumElements() != n))
    return std::nullopt;
  KernelCall call;
  Descriptor &d = call.descriptor;
  if (!setActivation(d, op.getActivation(), op.getActivationParams()))
    return std::nullopt;
  d[PASO_GEMM_M] = m;
  d[PASO_GEMM_N] = n;
  d[PASO_GEMM_K] = k;
  d[PASO_GEMM_BATCH] = 1;
  d[PASO_GEMM_LDA] = k;
  d[PASO_GEMM_LDC] = n;
  call.a = lhs;
  call.b = rhs;
  // fp16 only with constant weights (the kernel's B is prepacked).
  half = half && rhs.getDefiningOp<ConstantOp>();
  auto &[packed, exponent] =
      packedWeights[{rhs, (transposed ? 1u : 0u) | (half ? 2u : 0u)}];
  std::optional<SmallVector<float>> weights;
  if (!packed)
    weights = readF32Constant(rhs);
  if (weights) {
    exponent = half ? halfWeightExponent(*weights) : 0;
    float scale = std::ldexp(1.0f, -exponent);
    packed = packPanels(
        b, rhs.getLoc(), n, k,
        half ? halfPanelColumns(shapeOnly, n) : shapeOnly.nr,
        [&](int64_t col, int64_t row) {
          return scale * (transposed ? (*weights)[col * k + row]
                                     : (*weights)[row * n + col]);
        },
        half ? "packed_weights_f16" : "packed_weights", half);
  }
  if (packed && half) {
    // A is read as the rows of a 1 x M image of K channels.
    call.b = packed;
    call.halfWeightExponent = exponent;
    d[PASO_GEMM_B_LAYOUT] = PASO_B_PACKED;
    call.half = true;
    call.shape.bPrepacked = true;
    call.algorithm = "fp16 gemm, packed weights";
  } else if (packed) {
    call.b = packed;
    d[PASO_GEMM_B_LAYOUT] = PASO_B_PACKED;
    call.shape.bPrepacked = true;
    call.algorithm = m <= tileRows / 3 ? "gemm, row at a time, packed weights"
                                       : "gemm, packed weights";
  } else {
    d[PASO_GEMM_B_LAYOUT] = transposed ? PASO_B_TRANSPOSED : PASO_B_ROW_MAJOR;
    d[PASO_GEMM_LDB] = transposed ? k : n;
    call.algorithm = "gemm";
  }
  if (bias) {
    call.bias = bias;
    d[PASO_GEMM_BIAS] = PASO_BIAS_COLUMN;
  }
  call.shape.m = m;
  call.shape.n = n;
  call.shape.k = k;
  return call;
}

/// `value` as the matrix operand op(B): a transpose swapping only the last
/// two dims is read through the kernel's transposed layout instead of
/// being materialised.
std::pair<Value, bool> throughTranspose(Value value) {
  auto transpose = value.getDefiningOp<TransposeOp>();
  if (!transpose)
    return {value, false};
  ArrayRef<int64_t> perm = transpose.getPerm();
  int64_t rank = perm.size();
  for (int64_t i = 0; i < rank - 2; ++i)
    if (perm[i] != i)
      return {value, false};
  if (rank < 2 || perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
    return {value, false};
  return {transpose.getInput(), true};
}

/// The call for a batched f32 matmul [..., M, K] x [..., K, N] with equal
/// batch dims (attention's products), or nullopt.
std::optional<KernelCall> planBatchedMatMul(MatMulOp op) {
  Value lhs = op.getLhs();
  auto [rhs, transposed] = throughTranspose(op.getRhs());
  if (!isStaticF32(lhs) || !isStaticF32(rhs) || !isStaticF32(op))
    return std::nullopt;
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  auto outType = cast<RankedTensorType>(op.getType());
  int64_t rank = lhsType.getRank();
  if (rank < 3 || rhsType.getRank() != rank || outType.getRank() != rank ||
      lhsType.getShape().drop_back(2) != rhsType.getShape().drop_back(2))
    return std::nullopt;
  int64_t m = lhsType.getDimSize(rank - 2), k = lhsType.getDimSize(rank - 1);
  int64_t n = outType.getDimSize(rank - 1);
  if (rhsType.getDimSize(transposed ? rank - 1 : rank - 2) != k)
    return std::nullopt;
  int64_t batch = lhsType.getNumElements() / std::max<int64_t>(1, m * k);
  KernelCall call;
  Descriptor &d = call.descriptor;
  d[PASO_GEMM_M] = m;
  d[PASO_GEMM_N] = n;
  d[PASO_GEMM_K] = k;
  d[PASO_GEMM_BATCH] = batch;
  d[PASO_GEMM_LDA] = k;
  d[PASO_GEMM_B_LAYOUT] = transposed ? PASO_B_TRANSPOSED : PASO_B_ROW_MAJOR;
  d[PASO_GEMM_LDB] = transposed ? k : n;
  d[PASO_GEMM_LDC] = n;
  d[PASO_GEMM_A_BATCH_STRIDE] = m * k;
  d[PASO_GEMM_B_BATCH_STRIDE] = k * n;
  d[PASO_GEMM_C_BATCH_STRIDE] = m * n;
  call.a = lhs;
  call.b = rhs;
  call.shape.m = m;
  call.shape.n = n;
  call.shape.k = k;
  call.shape.batch = batch;
  call.algorithm = transposed ? "batched gemm, transposed B read in place"
                              : "batched gemm";
  return call;
}

/// The call for a transpose that swaps two groups of trailing dims (a
/// batch of matrix transposes: NCHW <-> NHWC per image), or nullopt.
std::optional<KernelCall> planTranspose(TransposeOp op) {
  if (!isStaticF32(op.getInput()) || !isStaticF32(op))
    return std::nullopt;
  // A batched matmul reads a right-hand side transposed in its last two
  // dims in place (planBatchedMatMul): leave such a transpose to it.
  for (Operation *user : op->getUsers())
    if (auto matmul = dyn_cast<MatMulOp>(user))
      if (matmul.getRhs() == op.getResult() &&
          throughTranspose(op.getResult()).second)
        return std::nullopt;
  ArrayRef<int64_t> perm = op.getPerm();
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(op.getInput().getType()).getShape();
  int64_t rank = perm.size(), batchDims = 0;
  while (batchDims < rank && perm[batchDims] == batchDims)
    ++batchDims;
  if (batchDims >= rank - 1)
    return std::nullopt;
  // perm[batchDims:] must be [split, .., rank-1, batchDims, .., split-1].
  int64_t split = perm[batchDims];
  for (int64_t i = batchDims; i < rank; ++i) {
    int64_t offset = i - batchDims;
    int64_t want = split + offset < rank ? split + offset
                                         : batchDims + offset - (rank - split);
    if (perm[i] != want)
      return std::nullopt;
  }
  auto product = [&](int64_t from, int64_t to) {
    int64_t p = 1;
    for (int64_t d = from; d < to; ++d)
      p *= shape[d];
    return p;
  };
  KernelCall call;
  Descriptor &d = call.descriptor;
  d[PASO_GEMM_M] = product(batchDims, split);
  d[PASO_GEMM_N] = product(split, rank);
  d[PASO_GEMM_K] = 1;
  d[PASO_GEMM_BATCH] = product(0, batchDims);
  call.a = op.getInput();
  call.transpose = true;
  call.algorithm = "transpose, tiled";
  call.bytes = 8.0 * product(0, rank);
  return call;
}

/// The call for a softmax over the last axis or a layer normalisation
/// over trailing dims with a scale (and shift) of one value per element of
/// a row, in f32: the row kernel, or nullopt.
std::optional<KernelCall> planRows(Operation *op) {
  Value input = op->getOperand(0);
  if (!isStaticF32(input) || !isStaticF32(op->getResult(0)))
    return std::nullopt;
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  auto softmax = dyn_cast<SoftmaxOp>(op);
  auto norm = dyn_cast<LayerNormOp>(op);
  int64_t axis = softmax ? softmax.getAxis() : norm.getAxis();
  if (axis < 0 || axis >= rank || (softmax && axis != rank - 1))
    return std::nullopt;
  // Rows are the trailing dims from `axis` on.
  int64_t n = 1;
  for (int64_t i = axis; i < rank; ++i)
    n *= type.getDimSize(i);
  auto elements = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getNumElements();
  };
  KernelCall call;
  Descriptor &d = call.descriptor;
  if (softmax) {
    d[PASO_GEMM_WINDOW_OP] = PASO_ROWS_SOFTMAX;
    call.algorithm = "softmax rows";
  } else {
    Value scale = norm.getScale(), bias = norm.getBias();
    if (!isStaticF32(scale) || elements(scale) != n ||
        (bias && (!isStaticF32(bias) || elements(bias) != n)))
      return std::nullopt;
    d[PASO_GEMM_WINDOW_OP] = PASO_ROWS_LAYER_NORM;
    d[PASO_GEMM_ALPHA_BITS] = floatBits(norm.getEpsilon().convertToDouble());
    call.b = scale;
    call.bias = bias;
    call.algorithm = "layer-norm rows";
  }
  int64_t m = type.getNumElements() / std::max<int64_t>(1, n);
  d[PASO_GEMM_M] = m;
  d[PASO_GEMM_N] = n;
  d[PASO_GEMM_K] = 1;
  d[PASO_GEMM_BATCH] = 1;
  call.a = input;
  call.rows = true;
  call.flops = 8.0 * m * n;
  call.bytes = 8.0 * m * n;
  return call;
}

/// Where a convolution writes straight into its Concat's result: the
/// channels-last concat of convolution outputs along channels is, per
/// pixel, the outputs side by side, so each product stores its columns at
/// a channel offset with the concat's row length (no copy afterwards).
struct ConcatSlot {
  ConcatOp concat;
  int64_t offset = 0, total = 0;
};

/// Slots for every input of `concat` when all of them qualify: static f32
/// ungrouped channels-last convolutions with constant filters, no
/// residual, used only by the concat (once), in its block.
std::optional<SmallVector<std::pair<Operation *, ConcatSlot>>>
concatSlots(ConcatOp concat) {
  auto type = dyn_cast<RankedTensorType>(concat.getType());
  if (!type || !type.hasStaticShape() || !type.getElementType().isF32() ||
      type.getRank() != 4 || concat.getAxis() != 3 ||
      concat.getInputs().size() < 2)
    return std::nullopt;
  SmallVector<std::pair<Operation *, ConcatSlot>> slots;
  int64_t offset = 0;
  for (Value input : concat.getInputs()) {
    Operation *producer = input.getDefiningOp();
    auto conv = dyn_cast_or_null<ConvOp>(producer);
    auto fused = dyn_cast_or_null<FusedConvOp>(producer);
    bool channelsLast = conv ? conv.getChannelsLast()
                             : fused && fused.getChannelsLast();
    Value filter = conv ? conv.getFilter() : fused ? fused.getFilter() : Value();
    int64_t group = conv ? conv.getGroup() : fused ? fused.getGroup() : 0;
    if (!channelsLast || group != 1 || (fused && fused.getResidual()) ||
        !producer->hasOneUse() ||
        producer->getBlock() != concat->getBlock() ||
        !filter.getDefiningOp<ConstantOp>() || !isStaticF32(filter) ||
        !isStaticF32(producer->getOperand(0)) ||
        llvm::any_of(slots, [&](auto &slot) { return slot.first == producer; }))
      return std::nullopt;
    int64_t channels = cast<RankedTensorType>(input.getType()).getDimSize(3);
    slots.push_back({producer, ConcatSlot{concat, offset, type.getDimSize(3)}});
    offset += channels;
  }
  return slots;
}

struct PasoCallCpuKernelsPass
    : paso::impl::PasoCallCpuKernelsPassBase<PasoCallCpuKernelsPass> {
  using Base::Base;
  PasoCallCpuKernelsPass() = default;
  explicit PasoCallCpuKernelsPass(const TargetDescription &description)
      : target(description) {}

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (failed(resolvePassTarget(module, targetName, target)))
      return signalPassFailure();
    if (forceWinogradTile != 0 && forceWinogradTile != 2 &&
        forceWinogradTile != 4) {
      mlir::emitError(module.getLoc())
          << "--paso-force-winograd=" << forceWinogradTile.getValue()
          << ": the output tile edge must be 2 or 4";
      return signalPassFailure();
    }
    // Kernel ids continue after the integer kernels'
    // (paso-call-cpu-integer-kernels runs first), so a profile tells every
    // runtime kernel apart.
    module.walk([&](func::CallOp call) {
      if (auto id = call->getAttrOfType<IntegerAttr>("paso.kernel_id"))
        kernelCount = std::max<int64_t>(kernelCount, id.getInt());
    });
    // The register tile depends only on the target.
    GemmPlan tile = planGemm(*target, GemmShape{1, 1, 1});
    SmallVector<Operation *> candidates;
    DenseMap<Operation *, ConcatSlot> slots;
    PackedWeights packedWeights;
    module.walk([&](Operation *op) {
      if (isa<ConvOp, FusedConvOp, FusedMatMulOp, MaxPoolOp, MatMulOp,
              TransposeOp, ConcatOp, SoftmaxOp, LayerNormOp>(op))
        candidates.push_back(op);
      if (auto concat = dyn_cast<ConcatOp>(op))
        if (auto found = concatSlots(concat))
          for (auto &[producer, slot] : *found)
            slots[producer] = slot;
    });
    // The buffer of each concat its convolutions write into, allocated at
    // the first of them.
    DenseMap<Operation *, Value> concatBuffers;
    for (Operation *op : candidates) {
      OpBuilder b(op);
      if (auto concat = dyn_cast<ConcatOp>(op)) {
        if (Value buffer = concatBuffers.lookup(concat)) {
          SmallVector<Operation *> producers;
          for (Value input : concat.getInputs())
            producers.push_back(input.getDefiningOp());
          concat.replaceAllUsesWith(bufferization::ToTensorOp::create(
              b, concat.getLoc(), concat.getType(), buffer,
              /*restrict=*/true, /*writable=*/true)
                                        .getResult());
          concat.erase();
          for (Operation *producer : producers)
            producer->erase();
        }
        continue;
      }
      std::optional<KernelCall> call =
          planCall(b, op, tile, packedWeights);
      if (!call)
        continue;
      auto slot = slots.find(op);
      if (slot == slots.end()) {
        emitCall(b, op, *call);
        continue;
      }
      // A slot's convolutions always plan (concatSlots checked them).
      Value &buffer = concatBuffers[slot->second.concat];
      if (!buffer) {
        auto type = cast<RankedTensorType>(slot->second.concat.getType());
        buffer = memref::AllocOp::create(
            b, op->getLoc(),
            MemRefType::get(type.getShape(), type.getElementType()));
      }
      Descriptor &d = call->descriptor;
      d[PASO_GEMM_LDC] = slot->second.total;
      d[PASO_GEMM_C_BATCH_STRIDE] = d[PASO_GEMM_M] * slot->second.total;
      call->algorithm += ", into its concat";
      emitCall(b, op, *call, buffer, slot->second.offset);
    }
  }

  /// The kernel call replacing `op`, or nullopt when no kernel takes it:
  /// the fp16 kernel for a layer given half precision, else the f32 ones.
  std::optional<KernelCall> planCall(OpBuilder &b, Operation *op,
                                     const GemmPlan &tile,
                                     PackedWeights &packedWeights) {
    auto conv = dyn_cast<ConvOp>(op);
    auto fused = dyn_cast<FusedConvOp>(op);
    bool half = runsInHalfPrecision(op, *target);
    std::optional<KernelCall> call;
    if (conv && half)
      call = planHalfConvolution(
          b, op, conv.getInput(), conv.getFilter(), conv.getBias(), Value(),
          conv.getStrides(), conv.getPads(), conv.getDilations(),
          conv.getGroup(), conv.getChannelsLast(), "none", {}, tile);
    else if (fused && half)
      call = planHalfConvolution(
          b, op, fused.getInput(), fused.getFilter(), fused.getBias(),
          fused.getResidual(), fused.getStrides(), fused.getPads(),
          fused.getDilations(), fused.getGroup(), fused.getChannelsLast(),
          fused.getActivation(), fused.getActivationParams(), tile);
    if (call)
      return call;
    if (conv && conv.getChannelsLast())
      return planConvolutionNhwc(
          b, op, conv.getInput(), conv.getFilter(), conv.getBias(), Value(),
          conv.getStrides(), conv.getPads(), conv.getDilations(),
          conv.getGroup(), "none", {}, tile, *target);
    if (fused && fused.getChannelsLast())
      return planConvolutionNhwc(
          b, op, fused.getInput(), fused.getFilter(), fused.getBias(),
          fused.getResidual(), fused.getStrides(), fused.getPads(),
          fused.getDilations(), fused.getGroup(), fused.getActivation(),
          fused.getActivationParams(), tile, *target);
    if (conv)
      return planConvolution(b, op, conv.getInput(), conv.getFilter(),
                             conv.getBias(), Value(), conv.getStrides(),
                             conv.getPads(), conv.getDilations(),
                             conv.getGroup(), "none", {}, tile, *target);
    if (fused)
      return planConvolution(
          b, op, fused.getInput(), fused.getFilter(), fused.getBias(),
          fused.getResidual(), fused.getStrides(), fused.getPads(),
          fused.getDilations(), fused.getGroup(), fused.getActivation(),
          fused.getActivationParams(), tile, *target);
    if (auto pool = dyn_cast<MaxPoolOp>(op))
      return planMaxPool(pool);
    if (auto matmul = dyn_cast<MatMulOp>(op))
      return planBatchedMatMul(matmul);
    if (auto transpose = dyn_cast<TransposeOp>(op))
      return planTranspose(transpose);
    if (isa<SoftmaxOp, LayerNormOp>(op))
      return planRows(op);
    return planMatMul(b, cast<FusedMatMulOp>(op), tile, packedWeights,
                        half);
  }

  /// Emits the descriptor, the call and the tensor result replacing `op`.
  /// With `into`, the call writes at `offset` floats into that buffer
  /// (a concat's) and `op` is left for the concat's rewrite to erase.
  void emitCall(OpBuilder &b, Operation *op, KernelCall &call,
                Value into = Value(), int64_t offset = 0) {
    ModuleOp module = getOperation();
    Location loc = op->getLoc();
    Descriptor &d = call.descriptor;
    GemmPlan plan = planGemm(*target, call.shape);
    std::string kernel = call.winograd       ? "paso_winograd_f32"
                         : call.winogradNhwc ? "paso_winograd_nhwc_f32"
                         : call.half         ? "paso_gemm_f16"
                                             : "paso_gemm_f32";
    if (call.transpose) {
      ThreadPlan threads = planThreads(*target, 0, call.bytes,
                                       kernelTimeScale(*target, "transpose"));
      plan.maxThreads = threads.threads;
      plan.predictedSeconds = threads.seconds;
      kernel = "paso_transpose_f32";
    } else if (call.rows) {
      ThreadPlan threads = planThreads(*target, call.flops, call.bytes,
                                       kernelTimeScale(*target, "rows"));
      plan.maxThreads = threads.threads;
      plan.predictedSeconds = threads.seconds;
      kernel = "paso_rows_f32";
    } else if (call.window) {
      ThreadPlan threads = planThreads(*target, call.flops, call.bytes,
                                       kernelTimeScale(*target, "window"));
      plan.maxThreads = threads.threads;
      plan.predictedSeconds = threads.seconds;
      kernel = "paso_depthwise_f32";
    } else {
      d[PASO_GEMM_KC] = plan.kc;
      d[PASO_GEMM_NC] = plan.nc;
    }
    if (call.half) {
      // The f32 product's time at the fp16 kernel's multiply-add rate.
      double ratio = fp16ThroughputRatio(*target);
      plan.predictedSeconds /= ratio;
      plan.singleThreadSeconds /= ratio;
    }
    d[PASO_GEMM_MAX_THREADS] = plan.maxThreads;
    plan.predictedSeconds += call.extraSeconds / plan.maxThreads;
    // The class calibration scales, and the work a profile's roofline
    // analysis divides by the measured time.
    StringRef kernelClass = call.winograd || call.winogradNhwc ? "winograd"
                            : call.transpose                   ? "transpose"
                            : call.rows                        ? "rows"
                            : call.window                      ? "window"
                                                               : "gemm";
    // On one thread (what a profile for calibration runs).
    double singleThreadSeconds =
        (call.transpose || call.rows || call.window
             ? predictSeconds(*target, call.flops, call.bytes, 1)
             : plan.singleThreadSeconds) +
        call.extraSeconds;
    double rawSeconds = plan.predictedSeconds,
           rawSingleThreadSeconds = singleThreadSeconds;
    const GemmShape &shape = call.shape;
    // What the profile's reader needs to tell kernels apart, and what
    // names a kernel a calibration measured: the output's shape and, for
    // products, the product's.
    auto resultType = cast<RankedTensorType>(op->getResult(0).getType());
    std::string outputShape, product;
    for (int64_t dim : resultType.getShape())
      outputShape += (outputShape.empty() ? "" : "x") + std::to_string(dim);
    if (kernelClass == "gemm" || kernelClass == "winograd")
      product = llvm::formatv("M={0} N={1} K={2} batch={3}", shape.m,
                              shape.n, shape.k, shape.batch)
                    .str();
    if (std::optional<double> measured = measuredKernelSeconds(
            *target, kernelSignature(call.algorithm, outputShape, product))) {
      // Measured on this target (one thread); the threads still divide it
      // as the model says.
      plan.predictedSeconds = *measured * rawSeconds / rawSingleThreadSeconds;
      singleThreadSeconds = *measured;
    } else {
      plan.predictedSeconds *= kernelTimeScale(*target, kernelClass);
      singleThreadSeconds *= kernelTimeScale(*target, kernelClass);
    }
    double flops = call.flops > 0 ? call.flops
                                  : 2.0 * shape.batch * shape.m * shape.n *
                                        shape.k;
    double bytes = call.bytes > 0
                       ? call.bytes
                       : 4.0 * shape.batch *
                             (shape.m * shape.k + shape.k * shape.n +
                              shape.m * shape.n);
    // Numbered in program order, as the report lists the calls, so that
    // PASO_PROFILE's measurements line up with the predictions.
    d[PASO_GEMM_KERNEL_ID] = ++kernelCount;
    // The 512-bit variants, for the 12 x 32 register tile. Window kernels
    // vectorise along output rows: rows of at most 8 pixels fill a 256-bit
    // vector, and a 512-bit one would be half padding.
    // Channels-last windows vectorise along channels instead.
    int64_t vectorised = d[PASO_GEMM_B_LAYOUT] == PASO_B_NHWC_IMAGE
                             ? d[PASO_GEMM_M]
                             : d[PASO_GEMM_OUT_W];
    bool narrowRows = (call.window && vectorised <= 8) ||
                      (call.rows && d[PASO_GEMM_N] <= 8);
    if (call.half ? wideHalfKernel(plan, d[PASO_GEMM_N])
                  : plan.mr == PASO_GEMM_MR_512 && !narrowRows &&
                        !call.transpose)
      kernel += "_v16";
    assert(d[PASO_GEMM_ACCUMULATE] == 0 &&
           "generated products overwrite their result");

    // Winograd takes a seventh argument: its scratch buffer.
    func::FuncOp callee =
        cpu::declareKernel(module, kernel, call.winograd ? 7 : 6);
    // The descriptor: a private constant global per call.
    // The fp16 kernel's descriptor has one more field.
    SmallVector<int64_t> fields(d.begin(), d.end());
    if (call.half) {
      fields.push_back(call.halfColumns ? 1 : 0);
      fields.push_back(call.halfWeightExponent);
    }
    memref::GlobalOp global = cpu::createDescriptorGlobal(
        module, loc, "__paso_gemm_descriptor_", fields, counter);
    auto addressOf = [&](Value memref) {
      return cpu::addressOf(b, loc, memref);
    };
    auto bufferOf = [&](Value tensor) {
      return cpu::readAddress(b, loc, tensor);
    };
    // The output is allocated before the operands' pointers are taken:
    // the arena plan sees an operand's last use at its pointer, and the
    // output must not share memory with an operand the call still reads.
    Value output =
        into ? into
             : memref::AllocOp::create(b, loc,
                                       MemRefType::get(resultType.getShape(),
                                                       resultType
                                                           .getElementType()));
    // Winograd's scratch for the transformed planes: in the arena like any
    // buffer, allocated (like the output) before operand pointers are
    // taken.
    Value scratch;
    if (call.winograd)
      scratch = memref::AllocOp::create(
          b, loc, MemRefType::get({call.scratchFloats}, b.getF32Type()));
    Value descriptor = memref::GetGlobalOp::create(b, loc, global.getType(),
                                                   global.getSymName());
    Value a = bufferOf(call.a), bValue = bufferOf(call.b);
    Value bias = bufferOf(call.bias), residual = bufferOf(call.residual);
    Value outputAddress = addressOf(output);
    if (offset)
      outputAddress = arith::AddIOp::create(
          b, loc, outputAddress,
          arith::ConstantOp::create(b, loc,
                                    b.getI64IntegerAttr(offset * 4)));
    SmallVector<Value> operands{addressOf(descriptor), a, bValue,
                                outputAddress, bias, residual};
    if (scratch)
      operands.push_back(addressOf(scratch));
    auto callOp = func::CallOp::create(b, loc, callee, operands);
    callOp->setAttr("paso.algorithm", b.getStringAttr(call.algorithm));
    callOp->setAttr("paso.threads", b.getI64IntegerAttr(plan.maxThreads));
    callOp->setAttr("paso.kernel_id",
                    b.getI64IntegerAttr(d[PASO_GEMM_KERNEL_ID]));
    callOp->setAttr("paso.predicted_us",
                    b.getF64FloatAttr(plan.predictedSeconds * 1e6));
    callOp->setAttr("paso.predicted_1t_us",
                    b.getF64FloatAttr(singleThreadSeconds * 1e6));
    callOp->setAttr("paso.kernel_class", b.getStringAttr(kernelClass));
    callOp->setAttr("paso.output_shape", b.getStringAttr(outputShape));
    if (!product.empty())
      callOp->setAttr("paso.product", b.getStringAttr(product));
    callOp->setAttr("paso.raw_predicted_us",
                    b.getF64FloatAttr(rawSeconds * 1e6));
    callOp->setAttr("paso.raw_predicted_1t_us",
                    b.getF64FloatAttr(rawSingleThreadSeconds * 1e6));
    callOp->setAttr("paso.flops", b.getF64FloatAttr(flops));
    callOp->setAttr("paso.bytes", b.getF64FloatAttr(bytes));
    if (into)
      return;
    Value result = bufferization::ToTensorOp::create(
        b, loc, resultType, output, /*restrict=*/true, /*writable=*/true);
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }

  std::optional<TargetDescription> target;
  unsigned counter = 0;
  int64_t kernelCount = 0;
};

} // namespace

static constexpr llvm::StringLiteral kPrecisionAttr = "paso.precision";

void mlir::paso::markHalfPrecision(Operation *op) {
  op->setAttr(kPrecisionAttr, StringAttr::get(op->getContext(), "f16"));
}

bool mlir::paso::runsInHalfPrecision(Operation *op,
                                     const TargetDescription &target) {
  auto precision = op->getAttrOfType<StringAttr>(kPrecisionAttr);
  return precision && precision.getValue() == "f16" &&
         hasFp16Arithmetic(target);
}

std::unique_ptr<Pass>
mlir::paso::createCallCpuKernelsPass(const TargetDescription &target) {
  return std::make_unique<PasoCallCpuKernelsPass>(target);
}
