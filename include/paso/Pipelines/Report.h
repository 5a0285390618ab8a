//===- Report.h - what the optimisation pipeline did, per pass --*- C++ -*-===//
//
// `paso-opt --report=FILE` records, for each graph pass, how the census of
// paso ops changed; for each final kernel, the ONNX nodes it came
// from (read from fused locations); the runtime kernels chosen for them by
// the cost model; and the arena plan (peak vs naive).
// Written as JSON, or as readable text for `--report=-`.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_PIPELINES_REPORT_H
#define PASO_PIPELINES_REPORT_H

#include "paso/Quantization/PostTrainingQuantization.h"
#include "paso/Target/CostModel.h"
#include "paso/Target/TargetDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/raw_ostream.h"

#include "paso/Target/EdgeTPU/EdgeTpuBackend.h"

#include <map>
#include <string>
#include <vector>

namespace mlir {
class Pass;
} // namespace mlir

namespace mlir::paso {

class CompileReport {
public:
  /// Op counts by name, for the paso ops of `module`.
  static std::map<std::string, int64_t> census(ModuleOp module);

  /// Records one pass by the census before and after it.
  void recordPass(Pass &pass, const std::map<std::string, int64_t> &before,
                  const std::map<std::string, int64_t> &after);
  /// Records the kernels of the optimised graph with their ONNX origins.
  void recordKernels(ModuleOp module);
  /// Records the runtime-kernel calls paso-call-cpu-kernels made: the
  /// algorithm, thread count and predicted time the cost model chose,
  /// with the kernel class, FLOPs and bytes, and the prediction before
  /// `target`'s calibration.
  void recordRuntimeKernels(ModuleOp module, const TargetDescription &target);
  /// Records the predicted time of what the runtime kernels do not run
  /// (the paso ops left for linalg code generation), on paso ops, after
  /// the kernel calls replaced theirs.
  void recordGeneratedWork(ModuleOp module, const TargetDescription &target);
  /// Records the layout paso-select-cpu-layout chose (and why), with the
  /// number of channels-last ops and of transposes left.
  void recordLayout(ModuleOp module);
  /// Records the arena plan read from the lowered entry function.
  void recordArena(int64_t peak, int64_t naive);

  /// Records what the quantiser decided, per layer (--quantize).
  void recordQuantization(const QuantizationSummary &summary) {
    quantization = summary;
    quantized = true;
  }
  /// Records the Edge TPU back end's mapping: every TFLite op written, its
  /// version, whether the Edge TPU maps it, and the cut.
  void recordEdgeTpu(const EdgeTpuSummary &summary) {
    edgeTpu = summary;
    wroteTFLite = true;
  }
  /// Records a CUDA target's placement (paso-gpu-offload's
  /// paso.cuda.placement on the lowered entry): which ops run on the GPU,
  /// which stay on the CPU and why.
  void recordCuda(ModuleOp module, const CudaDevice &device,
                  size_t kernelCount, bool emulated);
  /// Names the model and target the report is about.
  void recordModel(llvm::StringRef model, llvm::StringRef target) {
    modelName = model.str();
    targetName = target.str();
  }

  /// The kernel table embedded in model.so (`paso_kernel_table()`), which
  /// `paso-run --profile` puts beside its measurements
  /// (docs/profiling.md).
  std::string kernelTableJson() const;

  /// Reads a profile `paso-run --profile` wrote and puts its measurements
  /// beside the predictions; the profile must be of this model, target
  /// and kernel table. On failure, `error` says why (the caller names
  /// the file).
  LogicalResult attachProfile(llvm::StringRef path, std::string &error);

  void writeJson(llvm::raw_ostream &os) const;
  void writeText(llvm::raw_ostream &os) const;
  /// One self-contained HTML page (ReportHtml.cpp).
  void writeHtml(llvm::raw_ostream &os) const;

private:
  struct PassEntry {
    std::string name;
    std::map<std::string, int64_t> delta;
  };
  struct Kernel {
    std::string op;
    std::vector<std::string> origins;
  };
  struct RuntimeKernel {
    int64_t id = 0;
    std::string algorithm, kernelClass = "gemm";
    /// The output's shape ("1x56x56x64") and, for products, the product's
    /// ("M=3136 N=64 K=576 batch=1").
    std::string outputShape, product;
    int64_t threads = 1;
    double predictedMicroseconds = 0, rawPredictedMicroseconds = 0;
    /// The same on one thread.
    double singleThreadMicroseconds = 0, rawSingleThreadMicroseconds = 0;
    double flops = 0, bytes = 0;
    /// The memory roof the cost model puts this kernel's traffic under.
    double roofGBps = 0;
    std::vector<std::string> origins;
    /// From an attached profile: median time per run (< 0: none).
    double measuredMicroseconds = -1;
  };
  /// The generated code's prediction (calibrated and raw) and, with a
  /// profile, its measured share (run time minus the kernels).
  double generatedMicroseconds = 0, generatedRawMicroseconds = 0;
  GeneratedWork generatedWork;
  double measuredGeneratedMicroseconds = -1, measuredRunMicroseconds = -1;
  std::string profilePath;
  int64_t measuredThreads = 0;
  double peakGflopsPerCore = 0, memoryGBps = 0;
  std::vector<PassEntry> passes;
  std::vector<Kernel> kernels;
  std::vector<RuntimeKernel> runtimeKernels;
  int64_t arenaPeak = -1, arenaNaive = -1;
  bool quantized = false;
  QuantizationSummary quantization;
  bool wroteTFLite = false;
  EdgeTpuSummary edgeTpu;
  struct GpuPlacement {
    std::string device, op, reason, origins;
  };
  bool cuda = false;
  std::string cudaChip;
  unsigned cudaPtxVersion = 0;
  size_t cudaKernels = 0;
  bool cudaEmulated = false;
  std::vector<GpuPlacement> cudaPlacement;
  size_t cudaOpsOnGpu() const {
    return llvm::count_if(cudaPlacement, [](const GpuPlacement &placement) {
      return placement.device == "gpu";
    });
  }
  std::string modelName, targetName;
  std::string layout = "NCHW (as imported; the layout pass runs at -O1 and "
                       "above)";
};

} // namespace mlir::paso

#endif // PASO_PIPELINES_REPORT_H
