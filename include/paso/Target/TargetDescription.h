//===- TargetDescription.h - hardware targets as data -----------*- C++ -*-===//
//
// A target is a description, not code: the LLVM triple, CPU and features to
// generate code for, plus the numbers the cost model reasons with (vector
// width, cores, caches, peak throughput per precision, memory bandwidth).
// Built-in targets live in BuiltinTargets.def; `host` is detected.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TARGET_TARGETDESCRIPTION_H
#define PASO_TARGET_TARGETDESCRIPTION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mlir::paso {

struct TargetDescription {
  std::string name;
  std::string summary;
  std::string triple;
  std::string cpu;
  /// LLVM feature string, e.g. "+neon,+dotprod".
  std::string features;
  unsigned vectorBits = 128;
  unsigned cores = 1;
  uint64_t l1dBytes = 0, l2Bytes = 0, l3Bytes = 0;
  /// Peak throughput of all cores in GFLOP/s (GOP/s for int8); 0 = no
  /// native support for that precision.
  double peakGflopsF32 = 0, peakGflopsF16 = 0, peakGopsI8 = 0;
  double memoryGBps = 0;
  /// Off-CPU accelerator ("cuda:sm_87:ptx74", "edgetpu"), empty when none.
  std::string accelerator;
  /// Calibration (paso-opt --calibrate, docs/profiling.md): measured over
  /// predicted time per kernel class (kKernelClasses); a missing class is
  /// 1, the analytic model as it stands.
  std::map<std::string, double> kernelTimeScale;
  /// Measured one-thread times of kernels the calibration profiles ran,
  /// by kernelSignature (CostModel.h), in microseconds: a kernel seen on
  /// the device is predicted by its measurement, others by the scales.
  std::map<std::string, double> kernelTimesMicroseconds;
  /// The generated code's fixed cost per run (calibrated), microseconds.
  double runOverheadMicroseconds = 0;
  /// The generated code's cost per op (each a loop nest) and per element
  /// through a transcendental function (calibrated; unset: the cost
  /// model's defaults, CostModelDefaults).
  std::optional<double> generatedOpMicroseconds, transcendentalNanoseconds;
  /// The cost of handing a kernel's pieces to the thread pool and joining
  /// them (calibrated from profiles at more than one thread; unset:
  /// CostModelDefaults::kThreadHandoffSeconds). It decides the threads
  /// per layer.
  std::optional<double> threadHandoffMicroseconds;
  /// The profiles the scales were fitted to, for the record.
  std::vector<std::string> calibratedFrom;
};

/// The kernel classes the cost model predicts and calibration scales:
/// the runtime's GEMM (direct convolutions, products), Winograd, window
/// (depthwise, pooling), row (softmax, LayerNorm), transpose and integer
/// (int8 GEMM) kernels, and the code generated through linalg for
/// everything else.
inline constexpr llvm::StringLiteral kKernelClasses[] = {
    "gemm", "winograd", "window", "rows", "transpose", "int8", "generated"};

/// A target's CUDA GPU: compute capability (87 for sm_87) and the PTX ISA
/// version to write (74 for 7.4), the newest its board's driver JITs.
struct CudaDevice {
  unsigned sm = 0;
  unsigned ptxVersion = 0;
  std::string chip() const { return "sm_" + std::to_string(sm); }
  /// The NVPTX feature naming the PTX version ("+ptx74").
  std::string ptxFeature() const { return "+ptx" + std::to_string(ptxVersion); }
};

/// Parses an accelerator "cuda:sm_XX[:ptxNN]": nullopt for any other kind,
/// an error for an unknown chip or a PTX version below the chip's first.
/// Without `:ptxNN` the chip's first PTX version (at least 6.5) is taken.
llvm::Expected<std::optional<CudaDevice>>
parseCudaAccelerator(llvm::StringRef accelerator);

/// The CUDA GPU of `target` (validated when the target was made), if any.
std::optional<CudaDevice> cudaDeviceOf(const TargetDescription &target);

/// Writes `target` as a target file loadTargetFile reads back.
void writeTargetFile(const TargetDescription &target, llvm::raw_ostream &os);

/// The built-in targets, `host` first (detected on first use).
llvm::ArrayRef<TargetDescription> getBuiltinTargets();

/// The built-in target called `name`, or nullopt. `cuda-sm_XX` is the
/// host CPU with a CUDA GPU of compute capability XX.
std::optional<TargetDescription> lookupTarget(llvm::StringRef name);

/// Reads a target description from a JSON file: an object with the fields
/// of TargetDescription in snake case (`name`, `triple`, `cpu`, `features`,
/// `vector_bits`, `cores`, `l1d_bytes`, `l2_bytes`, `l3_bytes`,
/// `peak_gflops_f32`, `peak_gflops_f16`, `peak_gops_i8`, `memory_gbps`,
/// `accelerator`, `summary`), or `"base": "<built-in>"` plus overrides.
llvm::Expected<TargetDescription> loadTargetFile(llvm::StringRef path);

/// A built-in name, or a path ending in `.json` read by loadTargetFile.
llvm::Expected<TargetDescription> resolveTarget(llvm::StringRef nameOrPath);

/// Comma-separated names of all built-in targets, for error messages.
std::string listTargetNames();

/// Prints every target with its parameters as a table.
void printTargets(llvm::raw_ostream &os);

} // namespace mlir::paso

#endif // PASO_TARGET_TARGETDESCRIPTION_H
