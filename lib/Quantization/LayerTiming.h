//===- LayerTiming.h - per-layer times measured on the host -----*- C++ -*-===//
//
// Mixed precision trades accuracy for time, so its times should be
// measured where they can be. PASO compiles the model for the host
// all-fp32 in NCHW (the integer kernels' layout, so where the fp32 layers
// of a mix run) and all-int8 (the same quantisation the final model gets),
// and runs both with the runtime's profiler: each layer's kernels (matched
// by the ONNX node in the kernel table) give its time at each precision,
// and the generated code's growth from fp32 to int8 gives the cost of the
// quantise/dequantise passes. The float model in its own layout is timed
// whole, as the alternative to any mix. For another target the host's
// times are carried over by the cost model's ratio target/host.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_LAYERTIMING_H
#define PASO_LIB_QUANTIZATION_LAYERTIMING_H

#include "QuantizationPlan.h"

#include "paso/Quantization/PostTrainingQuantization.h"

namespace mlir::paso {

struct HostLayerTimes {
  /// One-thread seconds per layer (index as QuantPlan::layers); < 0 where
  /// no kernel of the layer was found in the profile.
  std::vector<double> fp32, int8;
  /// How much longer the all-int8 build's generated code ran than the
  /// all-fp32 build's: its quantise and dequantise passes (and integer
  /// adds), in seconds.
  double generatedGrowth = 0;
  /// Whole runs: the all-int8 build, and the float model in the layout
  /// the compiler would give it.
  double int8Run = 0, floatRun = 0;
  /// With fp16 (`half`): each layer's seconds on the fp16 kernel in NCHW
  /// (< 0: none, or not an fp16 layer), and the all-fp16 model's whole run
  /// in its own layout.
  std::vector<double> fp16;
  double halfRun = 0;
};

/// Measures `module`'s layers (planned as `plan`) on the host: compiles
/// it all-fp32 and all-int8 with `grid` and `corrections` (and, with
/// `half`, all-fp16), and profiles the builds on `sample` (the model's
/// inputs, dense bytes). Failure (after an error) when a build fails.
FailureOr<HostLayerTimes>
measureHostLayerTimes(ModuleOp module, const QuantPlan &plan,
                      const std::vector<ActivationParams> &grid,
                      const std::vector<std::vector<float>> &corrections,
                      const CompileForHost &compile,
                      const std::vector<std::vector<char>> &sample,
                      bool half);

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_LAYERTIMING_H
