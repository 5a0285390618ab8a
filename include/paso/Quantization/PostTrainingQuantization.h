//===- PostTrainingQuantization.h - int8 and mixed precision ----*- C++ -*-===//
//
// `paso-opt model.onnx --quantize=int8|mixed --calibration-data=PATH`:
// PASO quantises a float model itself. Activation ranges come from running
// the float model, compiled by PASO for the host with every candidate
// tensor as an extra output, over the user's samples. The result is the
// graph a QDQ model imports as (dequantize(quantize(x)) on activations,
// per-channel int8 weights), so paso-fold-qdq and the integer kernels of
// the imported-model path take over. docs/quantization.md.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_QUANTIZATION_POSTTRAININGQUANTIZATION_H
#define PASO_QUANTIZATION_POSTTRAININGQUANTIZATION_H

#include "paso/Target/TargetDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::paso {

enum class QuantizeMode { None, Int8, Fp16, Mixed };
enum class CalibrationMethod { MinMax, Percentile, Entropy, Mse };

/// --accuracy-budget: the least output SQNR in dB against fp32, or the
/// largest share (in percentage points) of top-1 decisions that may change,
/// on the held-back samples.
struct AccuracyBudget {
  enum class Metric { Sqnr, Top1 } metric = Metric::Sqnr;
  double value = 30;
};

struct QuantizeOptions {
  QuantizeMode mode = QuantizeMode::None;
  std::string calibrationData;
  CalibrationMethod method = CalibrationMethod::MinMax;
  AccuracyBudget budget;
  /// Every activation int8 and one weight scale per product: the TFLite
  /// scheme the Edge TPU back end writes (set by the compiler for it).
  bool fullInteger = false;
  /// Mixed: time the layers on the host (LayerTiming.h), or take the cost
  /// model's predictions alone, which makes the build reproducible (the
  /// same inputs give the same mix on any machine, busy or not).
  bool measureLayerTimes = true;
};

/// Parses `--quantize`, `--calibration-method` and `--accuracy-budget`
/// spellings; nullopt when unknown.
std::optional<QuantizeMode> parseQuantizeMode(StringRef text);
std::optional<CalibrationMethod> parseCalibrationMethod(StringRef text);
std::optional<AccuracyBudget> parseAccuracyBudget(StringRef text);
StringRef calibrationMethodName(CalibrationMethod method);

/// What the quantiser decided for one layer, for --report.
struct LayerPrecision {
  std::string name;      ///< ONNX node name(s)
  std::string kind;      ///< conv, depthwise conv, matmul
  std::string precision; ///< int8, fp16 or fp32
  /// Output SQNR (dB) against fp32 on the held-back samples with this
  /// layer alone in int8 (its weights and both activations).
  double sensitivityDb = 0;
  /// One-thread time on the target at each precision: the cost model's,
  /// or (mixed) measured on the host and carried over by it.
  double fp32Microseconds = 0, int8Microseconds = 0;
  /// The same at fp16 (--quantize=fp16).
  double fp16Microseconds = 0;
  std::string reason;
};

struct QuantizationSummary {
  std::string method;
  int64_t calibrationSamples = 0, heldBackSamples = 0;
  /// The output SQNR (dB) and the share of changed top-1 decisions (%) of
  /// the chosen configuration on the held-back samples (simulated).
  double sqnrDb = 0, top1ChangedPercent = 0;
  std::string budget;
  /// The cost model's time for the quantised layers and the precision
  /// boundaries: all fp32, and as chosen.
  double predictedFp32Microseconds = 0, predictedMicroseconds = 0;
  /// Whether the layer times were measured on the host (mixed) rather
  /// than predicted.
  bool timesMeasured = false;
  /// Whether mixed precision kept fp32 throughout because the float model
  /// in its own layout ran faster than the best mix.
  bool floatModelFaster = false;
  /// Whether the weights' rounding bias is corrected (when it helps).
  bool biasCorrection = false;
  /// Layer pairs whose weight ranges cross-layer equalisation evened out
  /// (the full-integer scheme's per-tensor products).
  unsigned equalizedPairs = 0;
  /// --quantize=fp16: layers in half precision, no calibration.
  bool halfPrecision = false;
  /// Whether mixed precision took the all-fp16 model in its own layout,
  /// faster than any mix and within the budget.
  bool halfModelFaster = false;
  std::vector<LayerPrecision> layers;
};

/// Compiles a module (the calibration model) to a shared object for the
/// host at `path`, in `layout` (auto, nchw or nhwc; empty: the usual
/// choice); the caller of quantizeModule provides it (the compiler's own
/// pipeline), so this library needs no back end.
using CompileForHost = std::function<LogicalResult(
    ModuleOp module, StringRef path, StringRef layout)>;

/// Quantises `module`'s `@main` (graph optimised up to, not including, the
/// epilogue fusions) in place. Errors (bad calibration data) are emitted
/// at `fileLoc`'s file.
LogicalResult quantizeModule(ModuleOp module, const QuantizeOptions &options,
                             const TargetDescription &target,
                             const CompileForHost &compile,
                             QuantizationSummary &summary);

} // namespace mlir::paso

#endif // PASO_QUANTIZATION_POSTTRAININGQUANTIZATION_H
