//===- Profiling.h - paso-run --profile and --trace --------------*- C++ -*-===//
//
// Runs a model with its profiling on (the ABI 4 functions of
// paso_model.h), puts the measurements beside the kernel table the model
// carries, prints the top kernels and writes the profile (and a
// Chrome/Perfetto trace). docs/profiling.md describes both files.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TOOLS_PASO_RUN_PROFILING_H
#define PASO_TOOLS_PASO_RUN_PROFILING_H

#include "paso/Runtime/ModelLibrary.h"

#include <functional>
#include <string>

namespace paso::run {

struct ProfileOptions {
  std::string modelPath, profilePath, tracePath;
  int runs = 20, threads = 1, top = 10;
};

/// Profiles the model whose ABI is `api` (already loaded and warmed up)
/// over `options.runs` calls of `runOnce`; returns the exit status (errors
/// are printed).
int profileModel(const ModelApi &api, const std::function<int()> &runOnce,
                 const ProfileOptions &options);

} // namespace paso::run

#endif // PASO_TOOLS_PASO_RUN_PROFILING_H
