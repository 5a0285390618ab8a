//===- ModelLibrary.h - a compiled model loaded through its C ABI -*- C++ -*-===//
//
// dlopen()s a PASO model.so and binds its C ABI (paso_model.h), checking
// the ABI version. paso-run and the quantiser's calibration runs share it.
// Plain C++17 with no LLVM dependency, so paso-run cross-compiles with any
// target toolchain.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_RUNTIME_MODELLIBRARY_H
#define PASO_RUNTIME_MODELLIBRARY_H

#include "paso/Runtime/paso_model.h"

#include <memory>
#include <string>
#include <vector>

namespace paso {

struct ModelApi {
  decltype(&paso_abi_version) abiVersion;
  decltype(&paso_num_inputs) numInputs;
  decltype(&paso_num_outputs) numOutputs;
  decltype(&paso_input_info) inputInfo;
  decltype(&paso_output_info) outputInfo;
  decltype(&paso_context_create) contextCreate;
  decltype(&paso_context_destroy) contextDestroy;
  decltype(&paso_run) run;
  decltype(&paso_status_string) statusString;
  decltype(&paso_model_name) modelName;
  decltype(&paso_target_name) targetName;
  decltype(&paso_set_num_threads) setNumThreads;
  decltype(&paso_get_num_threads) getNumThreads;
  // Profiling (ABI 4).
  decltype(&paso_kernel_table) kernelTable;
  decltype(&paso_profile_enable) profileEnable;
  decltype(&paso_profile_read) profileRead;
  decltype(&paso_profile_counters) profileCounters;
  decltype(&paso_profile_trace) profileTrace;
  // CUDA targets (ABI 5).
  decltype(&paso_uses_gpu) usesGpu;
  decltype(&paso_gpu_error) gpuError;
};

/// A loaded model; unloads on destruction.
class ModelLibrary {
public:
  /// Loads `path` (a bare file name is taken from the current directory,
  /// not the library search path); null with `error` set on failure.
  static std::unique_ptr<ModelLibrary> open(const std::string &path,
                                            std::string &error);
  ~ModelLibrary();

  const ModelApi &api() const { return functions; }

  /// Runs once on a context of its own: `inputs` and `outputs` are dense
  /// buffers of each tensor's byte_size (outputs are resized here).
  /// False with `error` set when the model reports a failure.
  bool run(const std::vector<const void *> &inputs,
           std::vector<std::vector<char>> &outputs, std::string &error);

private:
  ModelLibrary() = default;
  void *handle = nullptr;
  paso_context *context = nullptr;
  ModelApi functions{};
};

} // namespace paso

#endif // PASO_RUNTIME_MODELLIBRARY_H
