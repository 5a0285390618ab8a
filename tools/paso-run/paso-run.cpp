//===- paso-run.cpp - run a compiled model.so -----------------------------===//
//
// paso-run model.so [--input NAME=FILE.npy ...] [--output-dir DIR]
//                   [--bench N] [--threads N] [--seed S]
//                   [--profile FILE.json] [--trace FILE.json] [--runs N]
//
// Loads a model through its C ABI (dlopen), feeds .npy inputs (or seeded
// random ones), prints a summary of every output, optionally writes them as
// .npy files, with --bench reports median and p90 latency, and with
// --profile/--trace measures every kernel (Profiling.cpp). Depends only
// on libc/libdl so it cross-compiles for the device (see CMakeLists.txt).
//
//===----------------------------------------------------------------------===//

#include "Profiling.h"

#include "paso/Runtime/ModelLibrary.h"
#include "paso/Runtime/Npy.h"
#include "paso/Runtime/paso_model.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {


int fail(const std::string &message) {
  std::fprintf(stderr, "paso-run: error: %s\n", message.c_str());
  return 1;
}


/// " quantised (scale s, zero point z)" for a quantised tensor, else "".
std::string quantisation(const paso_tensor_info *info) {
  if (info->scale == 0)
    return "";
  char text[96];
  std::snprintf(text, sizeof text, " quantised (scale %g, zero point %d)",
                info->scale, info->zero_point);
  return text;
}

std::string shapeString(const std::vector<int64_t> &shape) {
  std::string text;
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? "x" : "") + std::to_string(shape[i]);
  return text.empty() ? "scalar" : text;
}

/// Element `i` of a buffer as a double, for summaries.
double element(const char *data, int dtype, size_t i) {
  switch (dtype) {
  case PASO_FLOAT32: return reinterpret_cast<const float *>(data)[i];
  case PASO_FLOAT64: return reinterpret_cast<const double *>(data)[i];
  case PASO_INT8: return reinterpret_cast<const int8_t *>(data)[i];
  case PASO_UINT8: return reinterpret_cast<const uint8_t *>(data)[i];
  case PASO_INT16: return reinterpret_cast<const int16_t *>(data)[i];
  case PASO_INT32: return reinterpret_cast<const int32_t *>(data)[i];
  case PASO_INT64: return double(reinterpret_cast<const int64_t *>(data)[i]);
  case PASO_BOOL: return reinterpret_cast<const uint8_t *>(data)[i];
  default: return NAN;
  }
}

/// Fills a buffer with deterministic values: floats in [-1, 1), integers in
/// [0, 10) (valid indices for any table of ten or more rows), bools 0/1.
void fillRandom(std::vector<char> &buffer, int dtype, size_t count,
                uint64_t &state) {
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  for (size_t i = 0; i < count; ++i) {
    uint64_t r = next();
    double unit = double(r >> 11) / double(1ull << 53);
    switch (dtype) {
    case PASO_FLOAT32: reinterpret_cast<float *>(buffer.data())[i] = float(unit * 2 - 1); break;
    case PASO_FLOAT64: reinterpret_cast<double *>(buffer.data())[i] = unit * 2 - 1; break;
    case PASO_INT64: reinterpret_cast<int64_t *>(buffer.data())[i] = int64_t(r % 10); break;
    case PASO_INT32: reinterpret_cast<int32_t *>(buffer.data())[i] = int32_t(r % 10); break;
    case PASO_INT8: reinterpret_cast<int8_t *>(buffer.data())[i] = int8_t(r % 10); break;
    case PASO_UINT8: reinterpret_cast<uint8_t *>(buffer.data())[i] = uint8_t(r % 10); break;
    case PASO_BOOL: reinterpret_cast<uint8_t *>(buffer.data())[i] = uint8_t(r & 1); break;
    default: buffer[i % buffer.size()] = char(r); break;
    }
  }
}

void usage() {
  std::printf(
      "usage: paso-run MODEL.so [--input NAME=FILE.npy ...] [--output-dir DIR]\n"
      "                [--bench N] [--threads N] [--seed S]\n\n"
      "Runs a model compiled by paso-opt. Inputs not given are random (seeded).\n"
      "--bench N times N runs after one warm-up and prints median and p90.\n"
      "--threads N caps the threads a run uses (default: $PASO_NUM_THREADS,\n"
      "else every core).\n"
      "--profile FILE.json times every kernel over --runs N runs (default 20)\n"
      "with perf counters where the system allows, prints the top kernels\n"
      "and writes the profile (paso-opt --report/--calibrate read it).\n"
      "--trace FILE.json writes a Chrome/Perfetto trace of those runs.\n"
      "--top N lists N kernels (default 10).\n"
      "A MODEL.tflite (paso-opt's Edge TPU output) runs through LiteRT\n"
      "(python3 -m paso.tflite; $PASO_PYTHON picks the interpreter).\n");
}

} // namespace

/// A .tflite (paso-opt's Edge TPU output) runs through LiteRT's Python
/// package: paso-run hands the command line to `python3 -m paso.tflite`
/// ($PASO_PYTHON picks the interpreter), with PASO's own Python package
/// on the path when this is a build-tree paso-run.
int runTFLite(char **argv) {
  const char *python = std::getenv("PASO_PYTHON");
  if (!python || !*python)
    python = "python3";
#ifdef PASO_PYTHON_DIR
  struct stat info;
  if (stat(PASO_PYTHON_DIR, &info) == 0) {
    std::string path = PASO_PYTHON_DIR;
    if (const char *old = std::getenv("PYTHONPATH"); old && *old)
      path += std::string(":") + old;
    setenv("PYTHONPATH", path.c_str(), 1);
  }
#endif
  std::vector<char *> args = {const_cast<char *>(python),
                              const_cast<char *>("-m"),
                              const_cast<char *>("paso.tflite")};
  for (char **arg = argv + 1; *arg; ++arg)
    args.push_back(*arg);
  args.push_back(nullptr);
  execvp(python, args.data());
  return fail(std::string("running a .tflite needs Python with the paso "
                          "package and ai-edge-litert; cannot start '") +
              python + "': " + std::strerror(errno));
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.size() > 7 && arg.compare(arg.size() - 7, 7, ".tflite") == 0)
      return runTFLite(argv);
  }
  std::string modelPath, outputDir;
  std::map<std::string, std::string> inputFiles;
  int bench = 0, threads = 0;
  paso::run::ProfileOptions profile;
  bool profiling = false;
  uint64_t seed = 42;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const std::string &flag) -> std::string {
      if (arg.rfind(flag + "=", 0) == 0)
        return arg.substr(flag.size() + 1);
      if (i + 1 < argc)
        return argv[++i];
      return "";
    };
    if (arg == "--help" || arg == "-h") {
      usage();
      return 0;
    }
    if (arg.rfind("--input", 0) == 0) {
      std::string spec = value("--input");
      size_t eq = spec.rfind('=');
      if (eq == std::string::npos || eq == 0)
        return fail("--input expects NAME=FILE.npy, got '" + spec + "'");
      inputFiles[spec.substr(0, eq)] = spec.substr(eq + 1);
    } else if (arg.rfind("--output-dir", 0) == 0) {
      outputDir = value("--output-dir");
    } else if (arg.rfind("--bench", 0) == 0) {
      bench = std::atoi(value("--bench").c_str());
      if (bench < 1)
        return fail("--bench needs a positive run count");
    } else if (arg.rfind("--threads", 0) == 0) {
      threads = std::atoi(value("--threads").c_str());
      if (threads < 1)
        return fail("--threads needs a positive count");
    } else if (arg.rfind("--profile", 0) == 0) {
      profile.profilePath = value("--profile");
      profiling = true;
      if (profile.profilePath.empty())
        return fail("--profile needs a file name");
    } else if (arg.rfind("--trace", 0) == 0) {
      profile.tracePath = value("--trace");
      profiling = true;
      if (profile.tracePath.empty())
        return fail("--trace needs a file name");
    } else if (arg.rfind("--runs", 0) == 0) {
      profile.runs = std::atoi(value("--runs").c_str());
      if (profile.runs < 1)
        return fail("--runs needs a positive run count");
    } else if (arg.rfind("--top", 0) == 0) {
      profile.top = std::atoi(value("--top").c_str());
      if (profile.top < 1)
        return fail("--top needs a positive count");
    } else if (arg.rfind("--seed", 0) == 0) {
      seed = std::strtoull(value("--seed").c_str(), nullptr, 10) | 1;
    } else if (!arg.empty() && arg[0] == '-') {
      return fail("unknown option '" + arg + "' (see --help)");
    } else if (modelPath.empty()) {
      modelPath = arg;
    } else {
      return fail("more than one model given");
    }
  }
  if (modelPath.empty()) {
    usage();
    return 1;
  }
  if (modelPath.find('/') == std::string::npos)
    modelPath = "./" + modelPath;
  std::string loadError;
  std::unique_ptr<paso::ModelLibrary> library =
      paso::ModelLibrary::open(modelPath, loadError);
  if (!library)
    return fail(loadError);
  const paso::ModelApi &api = library->api();
  if (threads > 0)
    api.setNumThreads(threads);
  std::printf("model '%s' (target %s, %d threads)\n", api.modelName(),
              api.targetName(), api.getNumThreads());

  int numInputs = api.numInputs(), numOutputs = api.numOutputs();
  std::vector<std::vector<char>> inputs(numInputs), outputs(numOutputs);
  std::vector<const void *> inputPtrs;
  std::vector<void *> outputPtrs;
  std::vector<size_t> inputSizes, outputSizes;
  uint64_t state = seed * 2654435761u + 1;
  for (int i = 0; i < numInputs; ++i) {
    const paso_tensor_info *info = api.inputInfo(i);
    std::vector<int64_t> shape(info->shape, info->shape + info->rank);
    auto file = inputFiles.find(info->name);
    if (file != inputFiles.end()) {
      paso::npy::Array array;
      std::string error;
      if (!paso::npy::read(file->second, array, error))
        return fail(error);
      if (array.type != paso::npy::typeForDtype(info->dtype) ||
          array.shape != shape)
        return fail("input '" + std::string(info->name) + "' must be " +
                    paso::npy::typeForDtype(info->dtype) + " " +
                    shapeString(shape) + ", '" + file->second + "' is " +
                    array.type + " " + shapeString(array.shape));
      inputs[i] = std::move(array.data);
      inputFiles.erase(file);
    } else {
      size_t count = 1;
      for (int64_t d : shape)
        count *= size_t(d);
      inputs[i].assign(info->byte_size, 0);
      fillRandom(inputs[i], info->dtype, count, state);
    }
    inputPtrs.push_back(inputs[i].data());
    inputSizes.push_back(inputs[i].size());
    std::printf("input  '%s' %s %s%s%s\n", info->name,
                paso::npy::typeForDtype(info->dtype).c_str(),
                shapeString(shape).c_str(),
                quantisation(info).c_str(),
                file == inputFiles.end() ? " (random)" : "");
  }
  if (!inputFiles.empty())
    return fail("--input names '" + inputFiles.begin()->first +
                "', which is not an input of the model");
  for (int i = 0; i < numOutputs; ++i) {
    outputs[i].assign(api.outputInfo(i)->byte_size, 0);
    outputPtrs.push_back(outputs[i].data());
    outputSizes.push_back(outputs[i].size());
  }

  paso_context *context = nullptr;
  paso_status status = api.contextCreate(&context);
  // A GPU model's failures carry the driver's own words.
  auto describe = [&](paso_status status) {
    std::string text = api.statusString(status);
    if (status == PASO_ERROR_NO_GPU || status == PASO_ERROR_GPU)
      text += std::string(": ") + api.gpuError();
    return text;
  };
  if (status != PASO_OK)
    return fail("cannot create a context: " + describe(status));
  auto runOnce = [&]() {
    return api.run(context, inputPtrs.data(), inputSizes.data(),
                   outputPtrs.data(), outputSizes.data());
  };
  status = runOnce();
  if (status != PASO_OK)
    return fail("run failed: " + describe(status));

  for (int i = 0; i < numOutputs; ++i) {
    const paso_tensor_info *info = api.outputInfo(i);
    std::vector<int64_t> shape(info->shape, info->shape + info->rank);
    size_t count = 1;
    for (int64_t d : shape)
      count *= size_t(d);
    double lo = INFINITY, hi = -INFINITY, sum = 0;
    for (size_t k = 0; k < count; ++k) {
      double v = element(outputs[i].data(), info->dtype, k);
      lo = std::min(lo, v);
      hi = std::max(hi, v);
      sum += v;
    }
    std::printf("output '%s' %s %s%s: min %.6g max %.6g mean %.6g first [",
                info->name, paso::npy::typeForDtype(info->dtype).c_str(),
                shapeString(shape).c_str(), quantisation(info).c_str(), lo,
                hi, count ? sum / count : 0.0);
    for (size_t k = 0; k < std::min<size_t>(count, 5); ++k)
      std::printf("%s%.6g", k ? ", " : "", element(outputs[i].data(),
                                                   info->dtype, k));
    std::printf("]\n");
    if (!outputDir.empty()) {
      paso::npy::Array array{paso::npy::typeForDtype(info->dtype), shape,
                             outputs[i]};
      std::string name = info->name;
      std::replace(name.begin(), name.end(), '/', '_');
      std::string error;
      if (!paso::npy::write(outputDir + "/" + name + ".npy", array, error))
        return fail(error);
    }
  }

  if (bench > 0) {
    std::vector<double> times;
    for (int r = 0; r < bench; ++r) {
      auto start = std::chrono::steady_clock::now();
      runOnce();
      auto end = std::chrono::steady_clock::now();
      times.push_back(
          std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(times.begin(), times.end());
    double median = times[times.size() / 2];
    double p90 = times[std::min(times.size() - 1,
                                size_t(std::ceil(times.size() * 0.9)) - 1)];
    std::printf("latency over %d runs: median %.3f ms, p90 %.3f ms\n", bench,
                median, p90);
  }
  if (profiling) {
    profile.modelPath = modelPath;
    profile.threads = api.getNumThreads();
    int result = paso::run::profileModel(
        api, [&]() { return int(runOnce()); }, profile);
    if (result != 0)
      return result;
  }
  api.contextDestroy(context);
  return 0;
}
