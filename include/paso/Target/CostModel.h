//===- CostModel.h - analytic cost model for CPU kernels --------*- C++ -*-===//
//
// Predicts the run time of a kernel on a target from its arithmetic and
// the bytes it moves, using only the numbers of the TargetDescription
// (peak FLOP/s, memory bandwidth, cache sizes, cores): a roofline per
// kernel. The same numbers choose the GEMM kernel's blocking and how many
// threads a product is worth. Everything it knows about a machine is data,
// so calibration from device profiles only has to rewrite the description.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TARGET_COSTMODEL_H
#define PASO_TARGET_COSTMODEL_H

#include "paso/Target/TargetDescription.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::paso {

/// Defaults for numbers a description leaves 0 (a detected host has no
/// peak figures): a 2 GHz core with two FMA pipes, 10 GB/s of DRAM, 32 KiB
/// L1d and 512 KiB L2.
struct CostModelDefaults {
  static constexpr double kGhz = 2.0;
  static constexpr double kFmaPipes = 2;
  static constexpr double kMemoryGBps = 10.0;
  static constexpr uint64_t kL1dBytes = 32 << 10;
  static constexpr uint64_t kL2Bytes = 512 << 10;
  /// Bandwidth of one core from its L2 when the data fits there (the
  /// activations between layers usually do; weights stream from DRAM).
  static constexpr double kCacheGBpsPerCore = 30.0;
  /// Bandwidth per core from a shared L3 that holds the data.
  static constexpr double kL3GBpsPerCore = 15.0;
  /// Winograd F(2x2, 3x3) transforms: cycles per (channel, 2x2 tile), in
  /// and out, and the overhead of the implicit im2col over a plain
  /// product for the direct 3x3 convolution it competes with (measured
  /// with the runtime's kernels on an AVX-512 core; calibration refines
  /// them per device).
  static constexpr double kWinogradCyclesPerTile = 25;
  /// The channels-last transforms run along channels: cycles per (vector
  /// of channels, 2x2 tile), in or out; F(4x4, 3x3)'s in proportion to
  /// the 36 planes it loads and stores instead of 16.
  static constexpr double kWinogradNhwcCyclesPerVector = 40;
  static constexpr double kIm2colOverhead = 1.6;
  /// The int8 kernels' costs beyond their multiply-add lanes, in lanes
  /// (one int8 multiply-add of the micro-kernel's tile), fitted by least
  /// squares to per-layer profiles (`paso-run --profile`) of MobileNetV2,
  /// ResNet-18 and SqueezeNet (QOperator, 81 products, 34 depthwise
  /// layers) built both ways on an AVX-512 VNNI core; calibration scales
  /// the whole class per device (docs/performance.md). NCHW products:
  /// requantising epilogue per output, packing per im2col byte.
  static constexpr double kInt8NchwPerOutput = 40;
  static constexpr double kInt8NchwPerPackedByte = 24;
  /// NHWC products (pixels as rows): a lane costs 0.83 of an NCHW one,
  /// the epilogue and the pixels' packing as below.
  static constexpr double kInt8NhwcLane = 0.83;
  static constexpr double kInt8NhwcPerOutput = 53;
  static constexpr double kInt8NhwcPerPackedByte = 22.5;
  /// Depthwise windows. NCHW: per lane of an output row (16 pixels a
  /// vector, times the stride, which widens the row read) with a dot
  /// product, and per (channel, output row). NHWC with a dot product: per
  /// output, plus per output per row stride (the expanded rows). Without
  /// one, both layouts widen and multiply per tap.
  static constexpr double kInt8DepthwiseNchwPerLane = 43;
  static constexpr double kInt8DepthwiseNchwPerRow = 1900;
  static constexpr double kInt8DepthwiseNhwcPerOutput = 26;
  static constexpr double kInt8DepthwiseNhwcPerStride = 89;
  static constexpr double kInt8DepthwisePerTap = 15;
  /// Poolings of 8-bit values (paso_qpool_8), per (vector of 64 bytes,
  /// tap): a strided load, shuffle and mask along NCHW rows; a contiguous
  /// load channels-last. From SqueezeNet's three 3x3 max pools (3.5 and
  /// 1.65 ns per vector tap on this host).
  static constexpr double kInt8PoolNchwPerTap = 360;
  static constexpr double kInt8PoolNhwcPerTap = 170;
  /// Largest Winograd scratch (transformed inputs and products, part of
  /// the arena) a layer may take: beyond it the direct kernel runs,
  /// whatever the predicted gain, to keep the arena small on boards with
  /// little memory.
  static constexpr double kWinogradMaxScratchBytes = 16 << 20;
  /// Largest block of channels-last Winograd planes (a^2 x tiles x
  /// (C + M) floats), which the runtime allocates per piece of work.
  static constexpr double kWinogradMaxBlockBytes = 4 << 20;
  /// Cost of handing a piece of work to a pool thread and joining it.
  static constexpr double kThreadHandoffSeconds = 10e-6;
  /// The code generated through linalg, before calibration: cycles per
  /// op (a loop nest's set-up and its pass, which dominate small tensors:
  /// an LSTM's gates) and per element through a vectorised
  /// transcendental function (exp, tanh, sigmoid, erf...), both measured
  /// on this host's models (docs/profiling.md).
  static constexpr double kGeneratedOpCycles = 300;
  static constexpr double kTranscendentalCycles = 2.5;
  /// The int8 kernels' time over their roofline at the instruction's
  /// int8 throughput (int8ThroughputRatio), before calibration: packing,
  /// im2col and requantisation keep them from four times the f32 rate.
  /// Measured on this host's MobileNetV2 (2.85) and ResNet-50 (about 2);
  /// at 1 it planned nearly every int8 layer on one thread.
  static constexpr double kInt8KernelTimeScale = 2.5;
};

/// One f32 matrix product C[M x N] = A[M x K] x B[K x N], `batch` times.
struct GemmShape {
  int64_t m = 0, n = 0, k = 0, batch = 1;
  /// A or B is prepacked at compile time (no packing work at run time).
  bool aPrepacked = false, bPrepacked = false;
};

/// How the runtime kernel runs a product, and what it should cost.
struct GemmPlan {
  /// Register tile of the micro-kernel (fixed by the vector width).
  int64_t mr = 6, nr = 16;
  /// K and N extents of the packed B block that stays in L2; the A panel
  /// (mr x kc) and one B panel (kc x nr) share L1.
  int64_t kc = 256, nc = 1024;
  /// Threads worth using (1: the overhead would exceed the gain).
  int64_t maxThreads = 1;
  /// Predicted time on one core and on maxThreads cores.
  double singleThreadSeconds = 0, predictedSeconds = 0;
};

/// The calibrated scale of a kernel class's predictions (measured over
/// predicted, from the target's kernel_time_scale; uncalibrated, 1, or
/// kInt8KernelTimeScale for the int8 kernels).
/// Every prediction a decision compares goes through it, so calibration
/// moves the decisions: Winograd or direct, NCHW or NHWC, threads.
double kernelTimeScale(const TargetDescription &target,
                       llvm::StringRef kernelClass);

/// What the code generated through linalg (everything the runtime kernels
/// do not run) does in one run: the roofline time of its elementwise
/// traffic (each op reading its computed operands and writing its
/// results; reshapes are views and move nothing), the ops it runs and the
/// elements it passes through transcendental functions.
struct GeneratedWork {
  double trafficMicroseconds = 0, ops = 0, transcendentals = 0;
};

/// The generated code's predicted time: the target's "generated" scale x
/// the traffic time, plus its cost per op and per transcendental element
/// and its fixed cost per run (calibrated, else the defaults; `raw`: the
/// defaults, scale 1 and no fixed cost, which calibration fits to).
double predictGeneratedMicroseconds(const TargetDescription &target,
                                    const GeneratedWork &work,
                                    bool raw = false);
/// The defaults of its costs per op and per transcendental element, in
/// microseconds (CostModelDefaults' cycles at its clock).
double defaultGeneratedOpMicroseconds();
double defaultTranscendentalMicroseconds();

/// The channels-last 3x3 convolution's forms, as the runtime-kernel calls
/// name them (their `paso.algorithm`), which the Winograd decision looks
/// up among a calibration's measured kernels.
inline constexpr llvm::StringLiteral kNhwcDirectConvAlgorithm =
    "gemm, channels-last, implicit im2col";
inline constexpr llvm::StringLiteral kNhwcWinograd2Algorithm =
    "winograd F(2x2,3x3), channels-last";
inline constexpr llvm::StringLiteral kNhwcWinograd4Algorithm =
    "winograd F(4x4,3x3), channels-last";

/// How calibration and the compiler name one kernel: its algorithm, output
/// shape and product ("gemm, channels-last, implicit im2col|1x56x56x64|
/// M=3136 N=64 K=576 batch=1").
std::string kernelSignature(llvm::StringRef algorithm,
                            llvm::StringRef outputShape,
                            llvm::StringRef product);

/// The calibrated one-thread time of the kernel `signature` names, when
/// the calibration profiles ran it.
std::optional<double> measuredKernelSeconds(const TargetDescription &target,
                                            llvm::StringRef signature);

/// Single-core f32 peak in FLOP/s (description, else the defaults).
double peakFlopsPerCore(const TargetDescription &target);
/// DRAM bandwidth in bytes/s.
double memoryBytesPerSecond(const TargetDescription &target);
/// Peak int8 multiply-adds over peak fp32 ones: the target's stated peaks,
/// else what its features' integer instructions give.
double int8ThroughputRatio(const TargetDescription &target);

/// Whether the target's CPU computes in half precision (aarch64 with
/// +fullfp16, x86-64 with +avx512fp16): the fp16 GEMM kernel runs there
/// and `--quantize=fp16` is accepted (docs/quantization.md).
bool hasFp16Arithmetic(const TargetDescription &target);

/// The fp16 kernel's multiply-adds per f32 FMA: the stated peaks' ratio,
/// else 2 (twice the lanes per vector); 1 without fp16 arithmetic.
double fp16ThroughputRatio(const TargetDescription &target);

/// The bandwidth the roofline gives `bytes` of traffic on `threads`
/// cores: the cores' L2, else the L3, else DRAM (the rule below).
double bandwidthBytesPerSecond(const TargetDescription &target, double bytes,
                               int64_t threads = 1);

/// Roofline time of a kernel doing `flops` and moving `bytes` on `threads`
/// cores: from the cores' L2 when the bytes fit there, else from the L3
/// when they fit there (both scaling with threads), else from DRAM
/// (shared by all cores).
double predictSeconds(const TargetDescription &target, double flops,
                      double bytes, int64_t threads = 1);

/// Blocking, threads and predicted time of `shape` on `target`.
GemmPlan planGemm(const TargetDescription &target, const GemmShape &shape);

/// How a 3x3, stride-1, dilation-1 convolution of `images` images with
/// `channels` input and `filters` output channels and an outH x outW
/// output runs: directly (implicit-im2col GEMM) or by Winograd F(2x2, 3x3)
/// (16 products of filters x channels x tiles plus transforms), whichever
/// is predicted faster. Winograd needs at least one full register-tile
/// width of 2x2 tiles, or its products are mostly padding, and a scratch
/// of at most kWinogradMaxScratchBytes.
///
/// Channels-last (NHWC), the products read the image in place, so the
/// direct kernel has no packing overhead; Winograd's output tiles are 2x2
/// (F(2x2, 3x3)) or 4x4 (F(4x4, 3x3): fewer multiplications, larger
/// transformed filters), whichever is predicted faster, and it runs block
/// by block of `tilesPerBlock` tiles, streaming the transformed filters
/// once per block.
struct ConvolutionChoice {
  bool winograd = false;
  double directSeconds = 0, winogradSeconds = 0;
  int64_t tilesPerBlock = 0, tile = 2;
};
/// Single-thread time of Winograd's input and output transforms for an
/// outH x outW output: they run a vector of tiles along each tile row, so
/// a row of fewer tiles than vector lanes costs a whole vector.
double winogradTransformSeconds(const TargetDescription &target,
                                int64_t images, int64_t channels,
                                int64_t filters, int64_t outH, int64_t outW);

/// The blocking (tiles per block) the channels-last Winograd kernel runs
/// F(tile x tile, 3x3) with on this layer: what chooseConvolution3x3 picks
/// for that tile, so a layer forced to a tile runs (and is measured, and
/// named) as the decision would run it.
int64_t winogradNhwcTilesPerBlock(const TargetDescription &target,
                                  int64_t images, int64_t channels,
                                  int64_t filters, int64_t outH, int64_t outW,
                                  int64_t tile);

ConvolutionChoice chooseConvolution3x3(const TargetDescription &target,
                                       int64_t images, int64_t channels,
                                       int64_t filters, int64_t outH,
                                       int64_t outW, bool channelsLast);

/// One 2-D convolution (or pooling, as a depthwise window without
/// weights) as the layout choice sees it.
struct ConvolutionShape {
  int64_t images = 1, channels = 0, filters = 0;
  int64_t kernelH = 1, kernelW = 1, strideH = 1, strideW = 1;
  int64_t outH = 0, outW = 0;
  bool depthwise = false, pointwise = false, winogradEligible = false;
};

/// Predicted single-thread time of a convolution with its runtime kernel
/// in NCHW (products vectorised along output pixels over a packed implicit
/// im2col, depthwise windows along output rows, Winograd where
/// chooseConvolution3x3 takes it) or NHWC (products vectorised along
/// output channels reading the image in place, depthwise windows along
/// channels). Both charge the lanes a partial vector wastes; with the
/// packing and Winograd that is what separates the layouts, since the
/// direct arithmetic is the same.
double predictConvolutionSeconds(const TargetDescription &target,
                                 const ConvolutionShape &shape,
                                 bool channelsLast);

/// Predicted single-thread time of a quantised convolution (paso.qconv)
/// on the runtime's int8 kernels in NCHW (paso_qgemm.c: 12 filters x 16
/// pixels per tile over a packed implicit im2col; depthwise windows along
/// output rows) or NHWC (qgemm_pixels.inc: 12 pixels x 16 filters, the
/// pixels packed from the image; depthwise windows along channels,
/// paso_qdepthwise_nhwc.c). Work is counted in the micro-kernel's int8
/// multiply-add lanes, tiles rounded up, plus each layout's epilogue and
/// packing per output and per byte, with weights fitted to per-layer
/// profiles of the runtime's kernels (CostModelDefaults::kInt8*).
double predictIntegerConvolutionSeconds(const TargetDescription &target,
                                        const ConvolutionShape &shape,
                                        bool channelsLast);

/// Predicted single-thread time of a max or average pooling of 8-bit
/// values on paso_qpool_8, whose vectors hold 64 bytes: 64 output columns
/// of one row in NCHW (short rows leave lanes empty, and every row pays
/// its loads), 64 channels of one pixel channels-last. `shape` is the
/// window as a depthwise convolution (convolutionCostShape).
double predictIntegerPoolSeconds(const TargetDescription &target,
                                 const ConvolutionShape &shape,
                                 bool channelsLast);

/// Threads worth using for a kernel doing `flops` over `bytes` of memory
/// traffic, and its predicted time on that many: threads split the
/// arithmetic, not the traffic, and each costs a hand-off. The choice
/// weighs the roofline time times `classScale` (the kernel class's
/// calibrated scale) against the target's hand-off; `seconds` is in raw
/// roofline units (the hand-off divided by the scale), so that the
/// caller's scaling gives the calibrated time.
struct ThreadPlan {
  int64_t threads = 1;
  double seconds = 0;
};
ThreadPlan planThreads(const TargetDescription &target, double flops,
                       double bytes, double classScale = 1);
/// The hand-off: the target's calibrated one, else the default.
double threadHandoffSeconds(const TargetDescription &target);

} // namespace mlir::paso

#endif // PASO_TARGET_COSTMODEL_H
