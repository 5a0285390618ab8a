//===- Profile.h - measured kernel times, and calibration from them -*- C++ -*-===//
//
// A profile is what `paso-run model.so --profile=p.json` measures: the
// model's kernel table (embedded in model.so by the compiler: each runtime
// kernel's class, work and predicted time) with the measured time of each
// kernel and of the whole run. docs/profiling.md describes the format.
//
// Calibration fits, per kernel class, the scale from the cost model's raw
// prediction to the measured time, and writes it into a target
// description (`kernel_time_scale`), which every decision then reads.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TARGET_PROFILE_H
#define PASO_TARGET_PROFILE_H

#include "paso/Target/CostModel.h"
#include "paso/Target/TargetDescription.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::paso {

inline constexpr int kProfileFormatVersion = 2;

struct ProfiledKernel {
  int64_t id = 0;
  std::string kernelClass, algorithm, outputShape, product;
  std::vector<std::string> onnxNodes;
  int64_t threads = 1;
  double flops = 0, bytes = 0;
  /// The cost model's prediction with the build's calibration, and
  /// without any (what calibration fits to).
  double predictedMicroseconds = 0, rawPredictedMicroseconds = 0;
  /// The same on one thread, which calibration fits to (profiles for it
  /// run one thread).
  double singleThreadMicroseconds = 0, rawSingleThreadMicroseconds = 0;
  /// Median time per run.
  double medianMicroseconds = 0;
};

struct Profile {
  std::string path, model, target;
  int64_t threads = 1, runs = 0;
  double runMedianMicroseconds = 0;
  /// The generated (linalg) code: predicted, raw, and measured as the run
  /// time minus the kernels' times.
  double generatedPredictedMicroseconds = 0, generatedRawMicroseconds = 0,
         generatedMedianMicroseconds = 0;
  /// What the generated code did (CostModel.h), which its costs are
  /// fitted to.
  GeneratedWork generatedWork;
  std::vector<ProfiledKernel> kernels;
};

/// Reads and checks a profile: every field present with its type, times
/// finite and non-negative, kernel ids unique. Errors name the file and
/// the field.
llvm::Expected<Profile> readProfile(llvm::StringRef path);

/// What one kernel class's fit found.
struct ClassFit {
  std::string kernelClass;
  int64_t samples = 0;
  double measuredMicroseconds = 0, rawPredictedMicroseconds = 0;
  double scale = 1;
};

/// Fits `base` to `profiles` (all of the same target as `base`; the first
/// three from those measured at one thread):
///  - kernel_time_scale: per class, the ratio of the summed measured times
///    to the summed raw predictions, so that a model's predicted total
///    matches where its big kernels do (classes no profile exercises keep
///    their scale);
///  - kernel_times_us: each measured kernel's median (the median over the
///    profiles that ran it), which the compiler uses for that kernel;
///  - the generated code's costs (predictGeneratedMicroseconds): the
///    "generated" scale of its traffic time, generated_op_us,
///    transcendental_ns and run_overhead_us, a non-negative least-squares
///    fit of its measured times weighted by 1 / the run's time (each
///    model's relative error counts alike); from fewer profiles than
///    terms, the ratio of measured to raw prediction scales all of them;
///  - thread_handoff_us, from the profiles at more threads: the median of
///    a threaded kernel's time minus its one-thread time / its threads.
/// Errors for a profile of another target, for no one-thread profile and
/// for threaded profiles without one-thread ones of the same kernels name
/// the file.
llvm::Expected<TargetDescription>
calibrateTarget(const TargetDescription &base,
                const std::vector<Profile> &profiles,
                std::vector<ClassFit> &fits);

} // namespace mlir::paso

#endif // PASO_TARGET_PROFILE_H
