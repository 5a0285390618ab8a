//===- CpuBackend.h - CPU code generation to a shared object ----*- C++ -*-===//
//
// From linalg-on-tensors to model.so: bufferisation into one static arena,
// lowering to the LLVM dialect, LLVM IR with the model's C ABI tables and the
// embedded runtime, an object file from LLVM's TargetMachine for the
// target's triple/cpu/features, and an in-process lld link.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TARGET_CPU_CPUBACKEND_H
#define PASO_TARGET_CPU_CPUBACKEND_H

#include "paso/Target/CostModel.h"
#include "paso/Target/TargetDescription.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::paso {

#define GEN_PASS_DECL
#include "paso/Target/CPU/Passes.h.inc"
#define GEN_PASS_REGISTRATION
#include "paso/Target/CPU/Passes.h.inc"

/// For passes that take a target by name (their `target` option) unless
/// constructed with a resolved description: resolves `nameOrPath` into
/// `target` once; on failure reports the error at `op` and returns failure.
LogicalResult resolvePassTarget(Operation *op, llvm::StringRef nameOrPath,
                                std::optional<TargetDescription> &target);

/// paso-call-cpu-integer-kernels for an already resolved target.
std::unique_ptr<Pass>
createCallCpuIntegerKernelsPass(const TargetDescription &target);

/// paso-call-cpu-kernels for an already resolved target description.
std::unique_ptr<Pass> createCallCpuKernelsPass(const TargetDescription &target);

/// The --paso-layout command-line option's value (default auto).
std::string commandLineLayout();

/// paso-select-cpu-layout for a resolved target; `layout` is auto, nchw
/// or nhwc (empty: the --paso-layout command-line option, default auto).
std::unique_ptr<Pass> createSelectCpuLayoutPass(const TargetDescription &target,
                                                llvm::StringRef layout = "");

/// A convolution (plain or depthwise, NCHW) or pooling as the cost model
/// sees it, or nullopt when the runtime's convolution kernels do not take
/// it (grouped, channels-last already, dynamic shapes).
std::optional<ConvolutionShape> convolutionCostShape(Operation *op);

/// Marks `op` (a convolution or product) to compute in half precision,
/// `paso.precision = "f16"` (--quantize=fp16, mixed precision); the graph's
/// fusions carry the mark along.
void markHalfPrecision(Operation *op);

/// Whether `op` carries that mark and `target` computes in fp16 (then the
/// fp16 kernel runs it; elsewhere the mark is ignored).
bool runsInHalfPrecision(Operation *op, const TargetDescription &target);

/// The module attribute paso-call-preprocess leaves for translation: the
/// options of paso-preprocess-gen for the model's pre-processing.
constexpr llvm::StringLiteral kPreprocessAttrName = "paso.preprocess";

/// Runs paso-preprocess-gen with `options` (kPreprocessAttrName) for
/// `target` and reads the Halide pipeline's bitcode into `context`.
FailureOr<std::unique_ptr<llvm::Module>>
generatePreprocessPipeline(DictionaryAttr options,
                           const TargetDescription &target,
                           llvm::LLVMContext &context, Location loc);

/// The inputs and outputs a compiled model exposes through its C ABI.
struct ModelInterface {
  struct Tensor {
    std::string name;
    /// ONNX TensorProto data type number (the ABI's paso_dtype).
    int dtype = 0;
    std::vector<int64_t> shape;
    uint64_t byteSize = 0;
    /// Per-tensor quantisation of an int8/uint8 tensor (scale 0: none).
    double scale = 0;
    int64_t zeroPoint = 0;
  };
  std::string modelName;
  std::string targetName;
  std::vector<Tensor> inputs, outputs;
  /// The C identifier this model's own ABI names start with
  /// (`<tag>_paso_run`), so that several models live in one program.
  std::string tag;
  /// Whether the short `paso_*` names are exported too: yes for a shared
  /// object (what dlopen users look up), no for a static archive, where
  /// two models' short names would clash at link time.
  bool exportShortNames = true;
  /// The kernel table (JSON, docs/profiling.md) `paso_kernel_table()`
  /// returns, for profiles.
  std::string kernelTable;
  /// A CUDA target's GPU kernels: the PTX module and its kernels' names in
  /// launch-index order (the CUDA layer is linked when there are any).
  std::string gpuPtx;
  std::vector<std::string> gpuKernels;
};

/// The functions of the C ABI (include/paso/Runtime/paso_model.h): what a
/// model exports, short and tagged, and what model.h maps.
inline constexpr llvm::StringLiteral kAbiFunctions[] = {
    "paso_abi_version",     "paso_model_name",     "paso_target_name",
    "paso_num_inputs",      "paso_num_outputs",    "paso_input_info",
    "paso_output_info",     "paso_arena_size",     "paso_context_create",
    "paso_context_destroy", "paso_run",            "paso_status_string",
    "paso_set_num_threads", "paso_get_num_threads", "paso_kernel_table",
    "paso_profile_enable",  "paso_profile_read",   "paso_profile_counters",
    "paso_profile_trace",   "paso_uses_gpu",       "paso_gpu_error"};

/// Reads the interface from `@main` while it is still on tensors.
FailureOr<ModelInterface> describeModelInterface(ModuleOp module);

/// Name of the model's entry function in generated code (the ABI's
/// paso_model_invoke_ calls it).
constexpr llvm::StringLiteral kModelEntryName = "paso_model_main_";

/// Renames `@main` to kModelEntryName, marks its inputs read-only for
/// bufferisation and drops the paso attributes the interface was read from.
LogicalResult prepareEntryFunction(ModuleOp module);

/// Bufferises linalg-on-tensors into the static arena and lowers everything
/// to the LLVM dialect for a target with `vectorBits`-wide vectors (which
/// picks the GEMM micro-kernel). `optLevel` 0 keeps the straight lowering.
/// `acceleratorSteps` (a pass pipeline ending in a comma) run on the
/// bufferised IR first: the CUDA back end's placement and launches.
void buildCpuLoweringPipeline(OpPassManager &pm, unsigned optLevel,
                              unsigned vectorBits,
                              llvm::StringRef acceleratorSteps = "");

/// Translates the LLVM-dialect module to LLVM IR for `target`, adds the ABI
/// tables and entry point, links the runtime and hides everything but the
/// ABI. Runs LLVM's optimisation pipeline at `optLevel`.
FailureOr<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &context,
                  const ModelInterface &interface,
                  const TargetDescription &target, unsigned optLevel);

/// Writes `module` as an object file (or assembly) for `target`.
LogicalResult emitMachineCode(llvm::Module &module,
                              const TargetDescription &target,
                              unsigned optLevel, bool assembly,
                              llvm::raw_pwrite_stream &os, Location loc);

/// Links `objectPath` into the shared object `outputPath` with lld,
/// in-process; DT_NEEDED only for libc/libm when the target's are found.
LogicalResult linkSharedObject(llvm::StringRef objectPath,
                               llvm::StringRef outputPath,
                               const TargetDescription &target, Location loc);

/// The text of model.h: the C ABI plus this model's tensors.
std::string generateModelHeader(const ModelInterface &interface);

} // namespace mlir::paso

#endif // PASO_TARGET_CPU_CPUBACKEND_H
