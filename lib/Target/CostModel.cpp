//===- CostModel.cpp - analytic cost model for CPU kernels ----------------===//

#include "paso/Target/CostModel.h"

#include <algorithm>
#include <cmath>

using namespace mlir::paso;

double mlir::paso::kernelTimeScale(const TargetDescription &target,
                                    llvm::StringRef kernelClass) {
  auto it = target.kernelTimeScale.find(kernelClass.str());
  if (it != target.kernelTimeScale.end())
    return it->second;
  return kernelClass == "int8" ? CostModelDefaults::kInt8KernelTimeScale : 1.0;
}

std::string mlir::paso::kernelSignature(llvm::StringRef algorithm,
                                        llvm::StringRef outputShape,
                                        llvm::StringRef product) {
  return (algorithm + "|" + outputShape + "|" + product).str();
}

std::optional<double>
mlir::paso::measuredKernelSeconds(const TargetDescription &target,
                                  llvm::StringRef signature) {
  auto it = target.kernelTimesMicroseconds.find(signature.str());
  if (it == target.kernelTimesMicroseconds.end())
    return std::nullopt;
  return it->second * 1e-6;
}

double mlir::paso::peakFlopsPerCore(const TargetDescription &target) {
  if (target.peakGflopsF32 > 0)
    return target.peakGflopsF32 * 1e9 / std::max(1u, target.cores);
  double lanes = std::max(4u, target.vectorBits / 32);
  return CostModelDefaults::kGhz * 1e9 * CostModelDefaults::kFmaPipes * lanes *
         2;
}

double mlir::paso::int8ThroughputRatio(const TargetDescription &target) {
  if (target.peakGopsI8 > 0 && target.peakGflopsF32 > 0)
    return target.peakGopsI8 / target.peakGflopsF32;
  // From the instruction the integer kernel would use, against one FMA:
  // VPDPBUSD and SDOT do four multiply-adds per 32-bit lane; SMLAL pairs
  // two per 16-bit lane; AVX2's widened bytes (VPMADDWD) gain nothing
  // (docs/quantization.md).
  llvm::StringRef features = target.features;
  if (features.contains("+avx512vnni") || features.contains("+avxvnni") ||
      features.contains("+dotprod"))
    return 4;
  if (features.contains("+neon") || target.triple.rfind("aarch64", 0) == 0)
    return 2;
  return 1;
}

bool mlir::paso::hasFp16Arithmetic(const TargetDescription &target) {
  llvm::StringRef triple = target.triple, features = target.features;
  if (triple.starts_with("aarch64"))
    return features.contains("+fullfp16");
  if (triple.starts_with("x86_64"))
    return features.contains("+avx512fp16");
  return false;
}

double mlir::paso::fp16ThroughputRatio(const TargetDescription &target) {
  if (!hasFp16Arithmetic(target))
    return 1;
  if (target.peakGflopsF16 > 0 && target.peakGflopsF32 > 0)
    return target.peakGflopsF16 / target.peakGflopsF32;
  return 2;
}

double mlir::paso::memoryBytesPerSecond(const TargetDescription &target) {
  return (target.memoryGBps > 0 ? target.memoryGBps
                                : CostModelDefaults::kMemoryGBps) *
         1e9;
}

double mlir::paso::bandwidthBytesPerSecond(const TargetDescription &target,
                                           double bytes, int64_t threads) {
  threads = std::max<int64_t>(1, threads);
  uint64_t l2 = target.l2Bytes ? target.l2Bytes : CostModelDefaults::kL2Bytes;
  if (bytes <= double(l2) * threads)
    return CostModelDefaults::kCacheGBpsPerCore * 1e9 * threads;
  if (bytes <= double(target.l3Bytes))
    return CostModelDefaults::kL3GBpsPerCore * 1e9 * threads;
  // Cores share the memory bus: DRAM bandwidth does not scale.
  return memoryBytesPerSecond(target);
}

double mlir::paso::predictSeconds(const TargetDescription &target,
                                  double flops, double bytes,
                                  int64_t threads) {
  threads = std::max<int64_t>(1, threads);
  double compute = flops / (peakFlopsPerCore(target) * threads);
  double memory = bytes / bandwidthBytesPerSecond(target, bytes, threads);
  return std::max(compute, memory);
}

double mlir::paso::defaultGeneratedOpMicroseconds() {
  return CostModelDefaults::kGeneratedOpCycles / (CostModelDefaults::kGhz * 1e3);
}

double mlir::paso::defaultTranscendentalMicroseconds() {
  return CostModelDefaults::kTranscendentalCycles /
         (CostModelDefaults::kGhz * 1e3);
}

double mlir::paso::predictGeneratedMicroseconds(
    const TargetDescription &target, const GeneratedWork &work, bool raw) {
  double opMicroseconds = defaultGeneratedOpMicroseconds();
  double transcendentalMicroseconds = defaultTranscendentalMicroseconds();
  if (raw)
    return work.trafficMicroseconds + work.ops * opMicroseconds +
           work.transcendentals * transcendentalMicroseconds;
  return work.trafficMicroseconds * kernelTimeScale(target, "generated") +
         work.ops * target.generatedOpMicroseconds.value_or(opMicroseconds) +
         work.transcendentals *
             (target.transcendentalNanoseconds
                  ? *target.transcendentalNanoseconds * 1e-3
                  : transcendentalMicroseconds) +
         target.runOverheadMicroseconds;
}

double mlir::paso::threadHandoffSeconds(const TargetDescription &target) {
  return target.threadHandoffMicroseconds
             ? *target.threadHandoffMicroseconds * 1e-6
             : CostModelDefaults::kThreadHandoffSeconds;
}

ThreadPlan mlir::paso::planThreads(const TargetDescription &target,
                                   double flops, double bytes,
                                   double classScale) {
  // More than one thread only when it saves at least two hand-offs' worth
  // over the best count so far (in raw units: the hand-off over the
  // class's calibrated scale).
  double handoff = threadHandoffSeconds(target) / std::max(classScale, 1e-3);
  ThreadPlan plan{1, predictSeconds(target, flops, bytes, 1)};
  for (int64_t threads = 2; threads <= std::max(1u, target.cores); ++threads) {
    double seconds = predictSeconds(target, flops, bytes, threads) + handoff;
    if (seconds + 2 * handoff < plan.seconds)
      plan = ThreadPlan{threads, seconds};
  }
  return plan;
}

GemmPlan mlir::paso::planGemm(const TargetDescription &target,
                              const GemmShape &shape) {
  GemmPlan plan;
  if (target.vectorBits >= 512) {
    plan.mr = 12;
    plan.nr = 32;
  }
  uint64_t l1 = target.l1dBytes ? target.l1dBytes
                                : CostModelDefaults::kL1dBytes;
  uint64_t l2 = target.l2Bytes ? target.l2Bytes : CostModelDefaults::kL2Bytes;
  // The A panel and the B panel being streamed take at most 3/4 of L1,
  // leaving room for the C tile and stack; kc is a multiple of 8 (whole
  // cache lines of the packed panels) between 64 and 512.
  int64_t kc = static_cast<int64_t>(l1 * 3 / 4) / ((plan.mr + plan.nr) * 4);
  kc = std::clamp<int64_t>(kc / 8 * 8, 64, 512);
  // A K shorter than the block needs no more; one at most a quarter
  // longer is taken whole (1x1 layers of 256 channels), which the panels
  // still leave in L1, rather than as a full block and a short one that
  // costs a second pass over C.
  int64_t wholeK = std::max<int64_t>(8, (shape.k + 7) / 8 * 8);
  plan.kc = wholeK <= kc * 5 / 4 ? wholeK : kc;
  // The packed B block (kc x nc) takes half of L2.
  int64_t nc = static_cast<int64_t>(l2 / 2) / (plan.kc * 4);
  nc = std::max(plan.nr, nc / plan.nr * plan.nr);
  int64_t paddedN = (shape.n + plan.nr - 1) / plan.nr * plan.nr;
  plan.nc = std::min(nc, paddedN);

  // Arithmetic includes the padding of partial register tiles.
  double paddedM = std::ceil(double(shape.m) / plan.mr) * plan.mr;
  double flops = 2.0 * paddedM * paddedN * shape.k * shape.batch;
  // Bytes from memory: A and B once, C written (and read for the
  // epilogue); packing re-reads what it packs.
  double bytes = 4.0 * shape.batch *
                 (double(shape.m) * shape.k * (shape.aPrepacked ? 1 : 2) +
                  double(shape.k) * shape.n * (shape.bPrepacked ? 1 : 2) +
                  2.0 * shape.m * shape.n);
  plan.singleThreadSeconds = predictSeconds(target, flops, bytes, 1);
  ThreadPlan threads =
      planThreads(target, flops, bytes, kernelTimeScale(target, "gemm"));
  plan.maxThreads = threads.threads;
  plan.predictedSeconds = threads.seconds;
  return plan;
}

double mlir::paso::winogradTransformSeconds(const TargetDescription &target,
                                            int64_t images, int64_t channels,
                                            int64_t filters, int64_t outH,
                                            int64_t outW) {
  double clock = peakFlopsPerCore(target) /
                 (CostModelDefaults::kFmaPipes *
                  std::max(4u, target.vectorBits / 32) * 2);
  // The runtime's vectors: 16 lanes on 512-bit targets, 8 elsewhere.
  int64_t lanes = target.vectorBits >= 512 ? 16 : 8;
  int64_t tilesW = (outW + 1) / 2, tilesH = (outH + 1) / 2;
  int64_t paddedTiles = tilesH * ((tilesW + lanes - 1) / lanes * lanes);
  return double(images) * (channels + filters) * paddedTiles *
         CostModelDefaults::kWinogradCyclesPerTile / clock;
}

/// Channels-last Winograd with t x t output tiles (t = 2 or 4): its
/// predicted single-thread time and tiles per block.
static std::pair<double, int64_t>
winogradNhwcSeconds(const TargetDescription &target, int64_t images,
                    int64_t channels, int64_t filters, int64_t outH,
                    int64_t outW, int64_t tile, int64_t mr) {
  int64_t alpha = tile + 2, planes = alpha * alpha;
  int64_t tiles = ((outH + tile - 1) / tile) * ((outW + tile - 1) / tile);
  // Tiles per block: few enough that V and the products of a block stay
  // in half of L2, in whole register tiles, unless streaming the
  // transformed filters once per block would cost more than letting the
  // planes of fewer, larger blocks spill (written once, read once).
  uint64_t l2 = target.l2Bytes ? target.l2Bytes : CostModelDefaults::kL2Bytes;
  double filterBytes = 4.0 * planes * channels * filters;
  double planeBytes = 4.0 * planes * tiles * (channels + filters);
  int64_t fit =
      static_cast<int64_t>(l2 / 2) / (4 * planes * (channels + filters));
  fit = std::max(mr, fit / mr * mr);
  int64_t blocks = (tiles + fit - 1) / fit;
  // The fewest blocks the runtime's per-piece allocation allows.
  int64_t fewest = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(
             planeBytes / CostModelDefaults::kWinogradMaxBlockBytes)));
  double spill = planeBytes / fewest > double(l2) ? 2 * planeBytes : 0;
  if (filterBytes > double(l2) / 2 && fewest < blocks &&
      fewest * filterBytes + spill <= blocks * filterBytes)
    blocks = fewest;
  // Balanced blocks of whole register tiles.
  int64_t tilesPerBlock =
      std::min(tiles, ((tiles + blocks - 1) / blocks + mr - 1) / mr * mr);
  blocks = (tiles + tilesPerBlock - 1) / tilesPerBlock;
  GemmShape products{tilesPerBlock, filters, channels,
                     planes * images * blocks, false, true};
  double productSeconds = planGemm(target, products).singleThreadSeconds;
  // Each block streams all transformed filters. Beyond L2 they are
  // charged at the memory's bandwidth even where the L3 could hold them,
  // and added to the arithmetic rather than overlapped with it: inside a
  // model every layer's weights pass through the caches once per
  // inference and evict each other, and a layer with few tiles per
  // filter panel waits for each panel (chains of four 256-channel 14x14
  // layers: F(4x4) 1.65 ms per layer, F(2x2) 1.0, direct 2.05; alone, all
  // three are 30-50% faster or about even). So the larger F(4x4)
  // filters lose where weights dominate.
  if (filterBytes > double(l2) / 2)
    productSeconds +=
        filterBytes * images * blocks / memoryBytesPerSecond(target);
  double clock = peakFlopsPerCore(target) /
                 (CostModelDefaults::kFmaPipes *
                  std::max(4u, target.vectorBits / 32) * 2);
  int64_t lanes = target.vectorBits >= 512 ? 16 : 8;
  double vectors =
      (channels + lanes - 1) / lanes + (filters + lanes - 1) / lanes;
  // The transforms' work grows with the planes they load and store.
  double transformSeconds = double(images) * tiles * vectors *
                            CostModelDefaults::kWinogradNhwcCyclesPerVector *
                            planes / 16 / clock;
  return {productSeconds + transformSeconds, tilesPerBlock};
}

/// The channels-last half of chooseConvolution3x3: direct, or Winograd
/// with the tile size predicted fastest.
static ConvolutionChoice chooseConvolution3x3Nhwc(
    const TargetDescription &target, int64_t images, int64_t channels,
    int64_t filters, int64_t outH, int64_t outW) {
  ConvolutionChoice choice;
  GemmShape direct{outH * outW, filters, 9 * channels, images, false, true};
  GemmPlan plan = planGemm(target, direct);
  uint64_t l2 = target.l2Bytes ? target.l2Bytes : CostModelDefaults::kL2Bytes;
  // The direct kernel streams its filters once, on the same terms.
  double directFilterBytes = 36.0 * channels * filters;
  choice.directSeconds = plan.singleThreadSeconds;
  if (directFilterBytes > double(l2) / 2)
    choice.directSeconds +=
        directFilterBytes / memoryBytesPerSecond(target);
  choice.directSeconds *= kernelTimeScale(target, "gemm");
  // A calibrated target may have measured the candidates themselves (the
  // calibration suite runs each form of its 3x3 layers): the decision then
  // compares measurements, which no scale fitted to the forms models
  // happened to get can bias. The recorded predictions stay the model's.
  std::string output = std::to_string(images) + "x" + std::to_string(outH) +
                       "x" + std::to_string(outW) + "x" +
                       std::to_string(filters);
  auto measured = [&](llvm::StringRef algorithm, const GemmShape &shape) {
    return measuredKernelSeconds(
        target, kernelSignature(algorithm, output,
                                "M=" + std::to_string(shape.m) +
                                    " N=" + std::to_string(shape.n) +
                                    " K=" + std::to_string(shape.k) +
                                    " batch=" + std::to_string(shape.batch)));
  };
  double directCost = measured(kNhwcDirectConvAlgorithm, direct)
                          .value_or(choice.directSeconds);
  double winogradCost = 0;
  choice.winogradSeconds = 0;
  for (int64_t tile : {2, 4}) {
    int64_t tiles = ((outH + tile - 1) / tile) * ((outW + tile - 1) / tile);
    // At least one full register tile of rows and one of filters, or the
    // products are mostly padding and the per-plane calls cost more than
    // their arithmetic (a 4-to-2-channel decoder layer measured 58 us by
    // F(4x4) against 10.9 predicted).
    if (tiles < plan.mr || filters < plan.nr)
      continue;
    auto [seconds, tilesPerBlock] = winogradNhwcSeconds(
        target, images, channels, filters, outH, outW, tile, plan.mr);
    seconds *= kernelTimeScale(target, "winograd");
    int64_t blocks = (tiles + tilesPerBlock - 1) / tilesPerBlock;
    GemmShape products{std::min(tilesPerBlock, tiles), filters, channels,
                       (tile + 2) * (tile + 2) * images * blocks};
    double cost = measured(tile == 4 ? kNhwcWinograd4Algorithm
                                     : kNhwcWinograd2Algorithm,
                           products)
                      .value_or(seconds);
    if (winogradCost == 0 || cost < winogradCost) {
      winogradCost = cost;
      choice.winogradSeconds = seconds;
      choice.tilesPerBlock = tilesPerBlock;
      choice.tile = tile;
    }
  }
  // A 10% margin: the transforms' cost is the least certain number here.
  choice.winograd = winogradCost > 0 && winogradCost < 0.9 * directCost;
  return choice;
}

int64_t mlir::paso::winogradNhwcTilesPerBlock(
    const TargetDescription &target, int64_t images, int64_t channels,
    int64_t filters, int64_t outH, int64_t outW, int64_t tile) {
  int64_t mr = planGemm(target, GemmShape{1, 1, 1}).mr;
  return winogradNhwcSeconds(target, images, channels, filters, outH, outW,
                             tile, mr)
      .second;
}

ConvolutionChoice mlir::paso::chooseConvolution3x3(
    const TargetDescription &target, int64_t images, int64_t channels,
    int64_t filters, int64_t outH, int64_t outW, bool channelsLast) {
  if (channelsLast)
    return chooseConvolution3x3Nhwc(target, images, channels, filters, outH,
                                    outW);
  ConvolutionChoice choice;
  GemmShape direct{filters, outH * outW, 9 * channels, images, true, false};
  choice.directSeconds = planGemm(target, direct).singleThreadSeconds *
                         CostModelDefaults::kIm2colOverhead;
  int64_t tiles = ((outH + 1) / 2) * ((outW + 1) / 2);
  GemmShape products{filters, tiles, channels, 16 * images, true, false};
  GemmPlan plan = planGemm(target, products);
  choice.winogradSeconds =
      plan.singleThreadSeconds +
      winogradTransformSeconds(target, images, channels, filters, outH, outW);
  choice.directSeconds *= kernelTimeScale(target, "gemm");
  choice.winogradSeconds *= kernelTimeScale(target, "winograd");
  // A 10% margin: the transforms' cost is the least certain number here.
  double scratchBytes = 4.0 * 16 * (channels + filters) * tiles;
  choice.winograd = tiles >= plan.nr &&
                    scratchBytes <= CostModelDefaults::kWinogradMaxScratchBytes &&
                    choice.winogradSeconds < 0.9 * choice.directSeconds;
  return choice;
}

double mlir::paso::predictIntegerConvolutionSeconds(
    const TargetDescription &target, const ConvolutionShape &shape,
    bool channelsLast) {
  using D = CostModelDefaults;
  auto roundUp = [](int64_t x, int64_t to) { return (x + to - 1) / to * to; };
  llvm::StringRef features = target.features;
  bool dot = features.contains("+avx512vnni") ||
             features.contains("+avxvnni") || features.contains("+dotprod");
  double images = static_cast<double>(shape.images);
  int64_t pixels = shape.outH * shape.outW;
  int64_t taps = shape.kernelH * shape.kernelW;
  double outputs = images * pixels * shape.filters;
  double lanes;
  if (shape.depthwise) {
    bool windowDot = dot && (channelsLast ? shape.kernelW <= 4
                                          : shape.kernelH == 3 &&
                                                shape.kernelW == 3);
    if (channelsLast) {
      double vectors = images * pixels * roundUp(shape.channels, 16);
      lanes = windowDot ? vectors * (D::kInt8DepthwiseNhwcPerOutput +
                                     D::kInt8DepthwiseNhwcPerStride *
                                         shape.strideH)
                        : vectors * D::kInt8DepthwisePerTap * taps;
    } else {
      double rowLanes = images * shape.channels * shape.outH *
                        roundUp(shape.outW, 16) * shape.strideW;
      lanes = (windowDot ? rowLanes * D::kInt8DepthwiseNchwPerLane
                         : rowLanes * D::kInt8DepthwisePerTap * taps) +
              images * shape.channels * shape.outH *
                  D::kInt8DepthwiseNchwPerRow;
    }
  } else {
    int64_t k = roundUp(shape.channels * taps, 4);
    double packed = images * pixels * shape.channels * taps;
    if (channelsLast)
      lanes = images * roundUp(pixels, 12) * roundUp(shape.filters, 16) * k *
                  D::kInt8NhwcLane +
              outputs * D::kInt8NhwcPerOutput +
              packed * D::kInt8NhwcPerPackedByte;
    else
      lanes = images * roundUp(shape.filters, 12) * roundUp(pixels, 16) * k +
              outputs * D::kInt8NchwPerOutput +
              (shape.pointwise ? 0 : packed * D::kInt8NchwPerPackedByte);
  }
  double bytes = images * (shape.channels * pixels * shape.strideH *
                               shape.strideW +
                           outputs / images);
  return predictSeconds(target, 2.0 * lanes / int8ThroughputRatio(target),
                        bytes, 1) *
         kernelTimeScale(target, "int8");
}

double mlir::paso::predictIntegerPoolSeconds(const TargetDescription &target,
                                             const ConvolutionShape &shape,
                                             bool channelsLast) {
  using D = CostModelDefaults;
  auto blocks = [](int64_t x) { return static_cast<double>((x + 63) / 64); };
  double images = static_cast<double>(shape.images);
  double taps = static_cast<double>(shape.kernelH * shape.kernelW);
  double pixels = static_cast<double>(shape.outH * shape.outW);
  double lanes = channelsLast
                     ? images * pixels * blocks(shape.channels) * taps *
                           D::kInt8PoolNhwcPerTap
                     : images * shape.channels * shape.outH *
                           blocks(shape.outW) * taps * D::kInt8PoolNchwPerTap;
  double bytes = images * shape.channels *
                 (pixels * shape.strideH * shape.strideW + pixels);
  return predictSeconds(target, 2.0 * lanes / int8ThroughputRatio(target),
                        bytes, 1) *
         kernelTimeScale(target, "int8");
}

double mlir::paso::predictConvolutionSeconds(const TargetDescription &target,
                                             const ConvolutionShape &shape,
                                             bool channelsLast) {
  int64_t lanes = target.vectorBits >= 512 ? 16 : 8;
  int64_t pixels = shape.outH * shape.outW;
  int64_t taps = shape.kernelH * shape.kernelW;
  auto roundUp = [](int64_t x, int64_t to) { return (x + to - 1) / to * to; };
  if (shape.depthwise) {
    // NCHW vectorises each output row (short rows leave lanes empty);
    // NHWC vectorises the channels.
    double lanesUsed = channelsLast
                           ? double(roundUp(shape.channels, lanes)) * pixels
                           : double(shape.channels) * shape.outH *
                                 roundUp(shape.outW, lanes);
    double flops = 2.0 * shape.images * lanesUsed * taps;
    double bytes = 4.0 * shape.images * shape.channels *
                   (pixels * shape.strideH * shape.strideW + pixels);
    return predictSeconds(target, flops, bytes, 1) *
           kernelTimeScale(target, "window");
  }
  int64_t k = shape.channels * taps;
  if (shape.winogradEligible) {
    ConvolutionChoice choice =
        chooseConvolution3x3(target, shape.images, shape.channels,
                             shape.filters, shape.outH, shape.outW,
                             channelsLast);
    return choice.winograd ? choice.winogradSeconds : choice.directSeconds;
  }
  // NCHW: C[filters x pixels] with prepacked filters as A; NHWC:
  // C[pixels x filters] with prepacked filters as B.
  GemmShape product =
      channelsLast
          ? GemmShape{pixels, shape.filters, k, shape.images, false, true}
          : GemmShape{shape.filters, pixels, k, shape.images, true, false};
  double seconds = planGemm(target, product).singleThreadSeconds *
                   kernelTimeScale(target, "gemm");
  // NCHW packs its implicit im2col (B); NHWC reads the image in place.
  return shape.pointwise || channelsLast
             ? seconds
             : seconds * CostModelDefaults::kIm2colOverhead;
}
