//===- QuantizationPlan.h - which layers and tensors go to int8 -*- C++ -*-===//
//
// The layers PASO quantises are the products with constant weights:
// convolutions (depthwise included), MatMul with a constant matrix and
// Gemm. A layer in int8 has its weights symmetric per output channel in
// [-127, 127] (the range every integer kernel takes, SMLAL's included)
// and its input and output activations asymmetric per tensor; its output
// is taken after a ReLU or Clip that alone consumes it, as the integer
// epilogue clamps. An Add whose two operands are int8 gets an int8 output
// too (the integer residual add). This is the placement of ONNX Runtime's
// QDQ quantiser, so the graph then folds as an imported QDQ model does.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_QUANTIZATIONPLAN_H
#define PASO_LIB_QUANTIZATION_QUANTIZATIONPLAN_H

#include "RangeEstimation.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <string>
#include <vector>

namespace mlir::paso {

struct QuantLayer {
  Operation *op = nullptr;
  unsigned weightOperand = 1;
  /// The weight constant's output-channel axis (per-channel scales).
  int64_t weightAxis = 0;
  /// Indices into QuantPlan::values.
  int input = -1, output = -1;
  std::string name, kind;
  /// The layer's own ONNX node ("node 'conv' (Conv)"), as kernel tables
  /// name it; empty without one.
  std::string node;
  double flops = 0;
  /// One scale for all the weights (products in the full-integer scheme).
  bool perTensorWeights = false;
};

struct QuantPlan {
  /// Every activation int8, not only the layers' (the TFLite scheme).
  bool fullInteger = false;
  std::vector<QuantLayer> layers;
  /// Activation tensors to calibrate, in program order.
  std::vector<Value> values;
  /// Adds of two calibrated values: {output, lhs, rhs} value indices.
  std::vector<std::array<int, 3>> adds;
  /// Per value, for the cost of precision boundaries: the layer or add
  /// producing it (-1: none), the layers and adds reading it, and whether
  /// anything else reads it (then it is read in float).
  struct Uses {
    int producerLayer = -1, producerAdd = -1;
    std::vector<int> layers, adds;
    bool others = false;
  };
  std::vector<Uses> uses;
};

/// The layers and activations of `main`, in program order (the same for
/// a clone of the function).
///
/// With `fullInteger` (the TFLite and Edge TPU scheme) every float
/// activation is a value to quantise, except those that only feed a ReLU
/// or Clip (quantised after it) and the results of reshapes and max
/// poolings (which keep their input's grid); products get one weight
/// scale.
QuantPlan planQuantization(func::FuncOp main, bool fullInteger = false);

/// The values that are int8 when `int8Layers[l]` says which layers are.
std::vector<bool> quantizedValues(const QuantPlan &plan,
                                  const std::vector<bool> &int8Layers);

/// Weights of layer `layer` quantised per channel: the int8 values and
/// one scale per output channel.
struct QuantizedWeights {
  RankedTensorType type;
  std::vector<int64_t> values;
  std::vector<double> scales;
  /// Dequantised again, for the simulation, and its error (dequantised
  /// minus float).
  std::vector<float> fakeQuantized, error;
};
/// `minScales` (one per channel, or empty) floors the scales: a channel of
/// (near) zero weights would otherwise get a scale so small that its bias,
/// in units of input scale x weight scale, overflows int32.
std::optional<QuantizedWeights>
quantizeWeights(const QuantLayer &layer, ArrayRef<double> minScales = {});

/// Bias correction: the shift of each output channel's mean that the
/// weights' rounding causes, sum(error x mean input), negated. `inputMeans`
/// holds the mean of each input channel (NCHW channels for convolutions,
/// the last axis for products) over the calibration samples. (Zero
/// padding at the borders is not accounted for.)
std::vector<float> biasCorrection(const QuantLayer &layer,
                                  const QuantizedWeights &weights,
                                  const std::vector<double> &inputMeans);

/// The output channels of `layer` (the per-channel scale count).
int64_t outputChannels(const QuantLayer &layer);

/// Rewrites `main` (planned as `plan`): the chosen layers' weights become
/// dequantize(int8 constant) and every int8 value v is replaced, for its
/// users, by dequantize(quantize(v)) with `params[v]`.
void applyQuantization(const QuantPlan &plan,
                       const std::vector<bool> &int8Layers,
                       const std::vector<ActivationParams> &params,
                       const std::vector<std::vector<float>> &corrections);

/// Turns `main` (planned as `plan`) into the calibration and simulation
/// model: one more input, `kParamsInput`, holds per value (enable, scale,
/// zero point), then per layer an enable flag, then per layer a bias
/// correction per output channel (simulationParamCount); an enabled value
/// is fake-quantised to int8 for its users, an enabled layer computes with
/// fake-quantised weights plus its correction. With every flag 0
/// the model computes the float model exactly. Every value is appended to
/// the outputs as computed in float, for the ranges.
LogicalResult buildSimulationModel(ModuleOp module, func::FuncOp main,
                                   const QuantPlan &plan);
int64_t simulationParamCount(const QuantPlan &plan);
/// Where layer `l`'s correction starts in the parameters.
int64_t correctionOffset(const QuantPlan &plan, size_t l);
inline constexpr const char *kParamsInput = "__paso_quant_params";

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_QUANTIZATIONPLAN_H
