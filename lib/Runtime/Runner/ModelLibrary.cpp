//===- ModelLibrary.cpp - a compiled model loaded through its C ABI -------===//

#include "paso/Runtime/ModelLibrary.h"

#include <dlfcn.h>

namespace paso {

template <typename T>
static bool bind(void *library, const char *name, T &slot) {
  slot = reinterpret_cast<T>(dlsym(library, name));
  return slot != nullptr;
}

std::unique_ptr<ModelLibrary> ModelLibrary::open(const std::string &path,
                                                 std::string &error) {
  std::string where = path.find('/') == std::string::npos ? "./" + path : path;
  void *handle = dlopen(where.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    error = "cannot load '" + path + "': " + dlerror();
    return nullptr;
  }
  std::unique_ptr<ModelLibrary> library(new ModelLibrary());
  library->handle = handle;
  ModelApi &api = library->functions;
  if (!bind(handle, "paso_abi_version", api.abiVersion) ||
      !bind(handle, "paso_num_inputs", api.numInputs) ||
      !bind(handle, "paso_num_outputs", api.numOutputs) ||
      !bind(handle, "paso_input_info", api.inputInfo) ||
      !bind(handle, "paso_output_info", api.outputInfo) ||
      !bind(handle, "paso_context_create", api.contextCreate) ||
      !bind(handle, "paso_context_destroy", api.contextDestroy) ||
      !bind(handle, "paso_run", api.run) ||
      !bind(handle, "paso_status_string", api.statusString) ||
      !bind(handle, "paso_model_name", api.modelName) ||
      !bind(handle, "paso_target_name", api.targetName) ||
      !bind(handle, "paso_set_num_threads", api.setNumThreads) ||
      !bind(handle, "paso_get_num_threads", api.getNumThreads) ||
      !bind(handle, "paso_kernel_table", api.kernelTable) ||
      !bind(handle, "paso_profile_enable", api.profileEnable) ||
      !bind(handle, "paso_profile_read", api.profileRead) ||
      !bind(handle, "paso_profile_counters", api.profileCounters) ||
      !bind(handle, "paso_profile_trace", api.profileTrace) ||
      !bind(handle, "paso_uses_gpu", api.usesGpu) ||
      !bind(handle, "paso_gpu_error", api.gpuError)) {
    error = "'" + path + "' is not a PASO model (missing C ABI)";
    return nullptr;
  }
  if (api.abiVersion() != PASO_ABI_VERSION) {
    error = "'" + path + "' has ABI version " +
            std::to_string(api.abiVersion()) + ", this runner " +
            std::to_string(PASO_ABI_VERSION);
    return nullptr;
  }
  return library;
}

ModelLibrary::~ModelLibrary() {
  if (context)
    functions.contextDestroy(context);
  if (handle)
    dlclose(handle);
}

bool ModelLibrary::run(const std::vector<const void *> &inputs,
                       std::vector<std::vector<char>> &outputs,
                       std::string &error) {
  if (!context && functions.contextCreate(&context) != PASO_OK) {
    error = "cannot create a model context (out of memory?)";
    return false;
  }
  int32_t count = functions.numOutputs();
  outputs.resize(count);
  std::vector<void *> pointers(count);
  std::vector<size_t> sizes(count);
  for (int32_t i = 0; i < count; ++i) {
    sizes[i] = functions.outputInfo(i)->byte_size;
    outputs[i].resize(sizes[i]);
    pointers[i] = outputs[i].data();
  }
  std::vector<size_t> inputSizes(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i)
    inputSizes[i] = functions.inputInfo(static_cast<int32_t>(i))->byte_size;
  paso_status status = functions.run(context, inputs.data(), inputSizes.data(),
                                     pointers.data(), sizes.data());
  if (status != PASO_OK) {
    error = std::string("the model failed: ") + functions.statusString(status);
    if (status == PASO_ERROR_NO_GPU || status == PASO_ERROR_GPU)
      error += std::string(": ") + functions.gpuError();
    return false;
  }
  return true;
}

} // namespace paso
