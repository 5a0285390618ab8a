//===- TargetDescription.cpp - hardware targets as data -------------------===//

#include "paso/Target/TargetDescription.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Threading.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <cmath>
#include <vector>

using namespace mlir::paso;

/// Size in bytes of the per-core data cache at `level`, read from Linux's
/// sysfs (`/sys/devices/system/cpu/cpu0/cache/index*/`), or 0 when unknown.
static uint64_t detectCacheBytes(unsigned level) {
  for (unsigned index = 0; index < 8; ++index) {
    std::string dir =
        "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(index);
    auto read = [&](llvm::StringRef file) -> std::string {
      // sysfs files claim a size they do not have: read them as streams.
      auto buffer = llvm::MemoryBuffer::getFileAsStream(dir + "/" + file.str());
      return buffer ? (*buffer)->getBuffer().trim().str() : std::string();
    };
    std::string type = read("type");
    if (type.empty())
      return 0;
    unsigned found = 0;
    if (llvm::StringRef(read("level")).getAsInteger(10, found) ||
        found != level || (type != "Data" && type != "Unified"))
      continue;
    std::string sizeText = read("size");
    llvm::StringRef size = sizeText;
    uint64_t scale = size.consume_back("K") ? 1024
                     : size.consume_back("M") ? 1024 * 1024
                                              : 1;
    uint64_t value = 0;
    return size.getAsInteger(10, value) ? 0 : value * scale;
  }
  return 0;
}

/// Describes the machine the compiler runs on: caches from sysfs where
/// Linux provides them. Peak numbers are left 0 (unknown): clock speeds
/// cannot be read portably, and calibration from profiles supplies the
/// real figures.
static TargetDescription detectHost() {
  TargetDescription host;
  host.name = "host";
  host.summary = "the machine running paso-opt (detected)";
  host.triple = llvm::sys::getProcessTriple();
  host.cpu = llvm::sys::getHostCPUName().str();
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  std::vector<std::string> enabled;
  for (const auto &feature : features)
    if (feature.getValue())
      enabled.push_back("+" + feature.getKey().str());
  llvm::sort(enabled);
  host.features = llvm::join(enabled, ",");
  host.vectorBits = features.lookup("avx512f") ? 512
                    : features.lookup("avx2")  ? 256
                                               : 128;
  host.cores = std::max(1u, llvm::hardware_concurrency().compute_thread_count());
  host.l1dBytes = detectCacheBytes(1);
  host.l2Bytes = detectCacheBytes(2);
  host.l3Bytes = detectCacheBytes(3);
  return host;
}

llvm::ArrayRef<TargetDescription> mlir::paso::getBuiltinTargets() {
  static const std::vector<TargetDescription> targets = [] {
    std::vector<TargetDescription> list{detectHost()};
#define PASO_TARGET(NAME, SUMMARY, TRIPLE, CPU, FEATURES, VECTOR, CORES, L1,   \
                    L2, L3, F32, F16, I8, MEM, ACCEL)                          \
  list.push_back(TargetDescription{NAME, SUMMARY, TRIPLE, CPU, FEATURES,        \
                                   VECTOR, CORES, L1, L2, L3, F32, F16, I8,    \
                                   MEM, ACCEL, {}, {}, 0, {}});
#include "BuiltinTargets.def"
    return list;
  }();
  return targets;
}

namespace {
/// The chips LLVM's NVPTX back end and ptxas know, with the first PTX ISA
/// version that can name each (PTX ISA manual, "Release notes"); PASO
/// writes at least 6.5, what JetPack 4's CUDA 10.2 driver takes.
struct ChipPtx {
  unsigned sm, firstPtx;
};
constexpr ChipPtx kCudaChips[] = {
    {50, 65}, {52, 65}, {53, 65}, {60, 65}, {61, 65}, {62, 65},
    {70, 65}, {72, 65}, {75, 65}, {80, 70}, {86, 71}, {87, 74},
    {89, 78}, {90, 78}, {100, 86}, {101, 86}, {120, 87}};
} // namespace

llvm::Expected<std::optional<CudaDevice>>
mlir::paso::parseCudaAccelerator(llvm::StringRef accelerator) {
  llvm::StringRef rest = accelerator;
  if (!rest.consume_front("cuda:"))
    return std::nullopt;
  auto [chip, ptx] = rest.split(':');
  CudaDevice device;
  auto known = [&]() -> const ChipPtx * {
    for (const ChipPtx &entry : kCudaChips)
      if (entry.sm == device.sm)
        return &entry;
    return nullptr;
  };
  std::vector<std::string> chips;
  for (const ChipPtx &entry : kCudaChips)
    chips.push_back("sm_" + std::to_string(entry.sm));
  if (!chip.consume_front("sm_") || chip.getAsInteger(10, device.sm) ||
      !known())
    return llvm::createStringError(
        "accelerator '" + accelerator + "': unknown CUDA chip (known: " +
        llvm::join(chips, ", ") + ")");
  device.ptxVersion = known()->firstPtx;
  if (!ptx.empty()) {
    unsigned version = 0;
    if (!ptx.consume_front("ptx") || ptx.getAsInteger(10, version) ||
        version < 60 || version > 99)
      return llvm::createStringError(
          "accelerator '" + accelerator +
          "': the PTX version is written ptxNN, e.g. ptx74 for PTX ISA 7.4");
    if (version < device.ptxVersion)
      return llvm::createStringError(
          "accelerator '" + accelerator + "': sm_" +
          std::to_string(device.sm) + " needs PTX ISA " +
          std::to_string(device.ptxVersion / 10) + "." +
          std::to_string(device.ptxVersion % 10) + " or newer");
    device.ptxVersion = version;
  }
  return device;
}

std::optional<CudaDevice>
mlir::paso::cudaDeviceOf(const TargetDescription &target) {
  llvm::Expected<std::optional<CudaDevice>> device =
      parseCudaAccelerator(target.accelerator);
  if (!device) {
    llvm::consumeError(device.takeError());
    return std::nullopt;
  }
  return *device;
}

std::optional<TargetDescription> mlir::paso::lookupTarget(llvm::StringRef name) {
  for (const TargetDescription &target : getBuiltinTargets())
    if (target.name == name)
      return target;
  // cuda-sm_XX: this machine's CPU with a discrete GPU (a workstation or a
  // server running the model), the GPU path tested where one is lent.
  llvm::StringRef chip = name;
  if (chip.consume_front("cuda-")) {
    llvm::Expected<std::optional<CudaDevice>> device =
        parseCudaAccelerator(("cuda:" + chip).str());
    if (!device) {
      llvm::consumeError(device.takeError());
      return std::nullopt;
    }
    TargetDescription target = getBuiltinTargets().front();
    target.name = name.str();
    target.summary = "this machine's CPU + a CUDA GPU " + chip.str();
    target.accelerator = "cuda:" + chip.str() + ":ptx" +
                         std::to_string((*device)->ptxVersion);
    return target;
  }
  return std::nullopt;
}

llvm::Expected<TargetDescription>
mlir::paso::loadTargetFile(llvm::StringRef path) {
  auto fail = [&](const llvm::Twine &message) {
    return llvm::createStringError("target file '" + path + "': " + message);
  };
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return fail(buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return fail(llvm::toString(json.takeError()));
  const llvm::json::Object *object = json->getAsObject();
  if (!object)
    return fail("expected a JSON object");
  TargetDescription target;
  if (std::optional<llvm::StringRef> base = object->getString("base")) {
    std::optional<TargetDescription> builtin = lookupTarget(*base);
    if (!builtin)
      return fail("unknown base target '" + *base + "'");
    target = *builtin;
  }
  static const llvm::StringRef known[] = {
      "base", "name", "summary", "triple", "cpu", "features", "vector_bits",
      "cores", "l1d_bytes", "l2_bytes", "l3_bytes", "peak_gflops_f32",
      "peak_gflops_f16", "peak_gops_i8", "memory_gbps", "accelerator",
      "kernel_time_scale", "kernel_times_us", "run_overhead_us",
      "generated_op_us", "transcendental_ns", "thread_handoff_us",
      "calibrated_from"};
  for (const auto &entry : *object)
    if (!llvm::is_contained(known, entry.first.str()))
      return fail("unknown field '" + entry.first.str() + "'");
  auto string = [&](llvm::StringRef key, std::string &field) -> llvm::Error {
    if (const llvm::json::Value *value = object->get(key)) {
      if (!value->getAsString())
        return fail("'" + key + "' must be a string");
      field = value->getAsString()->str();
    }
    return llvm::Error::success();
  };
  auto number = [&](llvm::StringRef key, auto &field) -> llvm::Error {
    if (const llvm::json::Value *value = object->get(key)) {
      std::optional<double> n = value->getAsNumber();
      if (!n || *n < 0)
        return fail("'" + key + "' must be a non-negative number");
      field = static_cast<std::decay_t<decltype(field)>>(*n);
    }
    return llvm::Error::success();
  };
  for (auto [key, field] :
       {std::pair{"name", &target.name}, {"summary", &target.summary},
        {"triple", &target.triple}, {"cpu", &target.cpu},
        {"features", &target.features},
        {"accelerator", &target.accelerator}})
    if (llvm::Error error = string(key, *field))
      return std::move(error);
  if (llvm::Error error = number("vector_bits", target.vectorBits))
    return std::move(error);
  if (llvm::Error error = number("cores", target.cores))
    return std::move(error);
  for (auto [key, field] : {std::pair{"l1d_bytes", &target.l1dBytes},
                            {"l2_bytes", &target.l2Bytes},
                            {"l3_bytes", &target.l3Bytes}})
    if (llvm::Error error = number(key, *field))
      return std::move(error);
  for (auto [key, field] :
       {std::pair{"peak_gflops_f32", &target.peakGflopsF32},
        {"peak_gflops_f16", &target.peakGflopsF16},
        {"peak_gops_i8", &target.peakGopsI8},
        {"memory_gbps", &target.memoryGBps}})
    if (llvm::Error error = number(key, *field))
      return std::move(error);
  if (const llvm::json::Value *value = object->get("kernel_time_scale")) {
    const llvm::json::Object *scales = value->getAsObject();
    if (!scales)
      return fail("'kernel_time_scale' must be an object of kernel class: "
                  "number");
    for (const auto &[name, scale] : *scales) {
      if (!llvm::is_contained(kKernelClasses, name.str()))
        return fail("'kernel_time_scale' has unknown kernel class '" +
                    name.str() + "' (classes: " +
                    llvm::join(llvm::ArrayRef(kKernelClasses), ", ") + ")");
      std::optional<double> n = scale.getAsNumber();
      if (!n || !(*n > 0) || *n > 1e3)
        return fail("'kernel_time_scale' of '" + name.str() +
                    "' must be a number in (0, 1000]");
      target.kernelTimeScale[name.str()] = *n;
    }
  }
  if (const llvm::json::Value *value = object->get("kernel_times_us")) {
    const llvm::json::Object *times = value->getAsObject();
    if (!times)
      return fail("'kernel_times_us' must be an object of kernel "
                  "signature: microseconds");
    for (const auto &[signature, time] : *times) {
      std::optional<double> n = time.getAsNumber();
      if (!n || !(*n > 0) || !std::isfinite(*n))
        return fail("'kernel_times_us' of '" + signature.str() +
                    "' must be a positive number");
      target.kernelTimesMicroseconds[signature.str()] = *n;
    }
  }
  if (llvm::Error error =
          number("run_overhead_us", target.runOverheadMicroseconds))
    return std::move(error);
  for (auto [key, field] :
       {std::pair{"generated_op_us", &target.generatedOpMicroseconds},
        {"transcendental_ns", &target.transcendentalNanoseconds},
        {"thread_handoff_us", &target.threadHandoffMicroseconds}})
    if (object->get(key)) {
      double value = 0;
      if (llvm::Error error = number(key, value))
        return std::move(error);
      *field = value;
    }
  if (const llvm::json::Value *value = object->get("calibrated_from")) {
    const llvm::json::Array *files = value->getAsArray();
    if (!files)
      return fail("'calibrated_from' must be an array of strings");
    target.calibratedFrom.clear();
    for (const llvm::json::Value &file : *files) {
      if (!file.getAsString())
        return fail("'calibrated_from' must be an array of strings");
      target.calibratedFrom.push_back(file.getAsString()->str());
    }
  }
  if (target.name.empty() || target.triple.empty() || target.cpu.empty())
    return fail("'name', 'triple' and 'cpu' are required (directly or "
                "through 'base')");
  if (target.cores == 0 || target.vectorBits == 0)
    return fail("'cores' and 'vector_bits' must be positive");
  if (llvm::Expected<std::optional<CudaDevice>> device =
          parseCudaAccelerator(target.accelerator);
      !device)
    return fail(llvm::toString(device.takeError()));
  return target;
}

llvm::Expected<TargetDescription>
mlir::paso::resolveTarget(llvm::StringRef nameOrPath) {
  if (nameOrPath.ends_with(".json"))
    return loadTargetFile(nameOrPath);
  if (std::optional<TargetDescription> target = lookupTarget(nameOrPath))
    return *target;
  return llvm::createStringError("unknown target '" + nameOrPath +
                                 "'; valid targets: " + listTargetNames() +
                                 ", cuda-sm_XX (this CPU + a CUDA GPU), or "
                                 "a .json target file");
}

std::string mlir::paso::listTargetNames() {
  std::vector<std::string> names;
  for (const TargetDescription &target : getBuiltinTargets())
    names.push_back(target.name);
  return llvm::join(names, ", ");
}

/// Prints a peak figure, or "-" for an unsupported or unknown precision.
static void printPeak(llvm::raw_ostream &os, double value) {
  if (value > 0)
    os << llvm::format("%8.1f", value);
  else
    os << llvm::format("%8s", "-");
}

void mlir::paso::printTargets(llvm::raw_ostream &os) {
  os << llvm::format("%-16s %-26s %-12s %5s %5s %8s %8s %8s %8s %8s %8s  %s\n",
                     "target", "triple", "cpu", "vec", "cores", "L1d KiB",
                     "L2 KiB", "f32 GF/s", "f16 GF/s", "i8 GOP/s", "mem GB/s",
                     "accelerator");
  for (const TargetDescription &t : getBuiltinTargets()) {
    os << llvm::format("%-16s %-26s %-12s %5u %5u %8llu %8llu ",
                       t.name.c_str(), t.triple.c_str(), t.cpu.c_str(),
                       t.vectorBits, t.cores,
                       (unsigned long long)(t.l1dBytes >> 10),
                       (unsigned long long)(t.l2Bytes >> 10));
    printPeak(os, t.peakGflopsF32);
    os << ' ';
    printPeak(os, t.peakGflopsF16);
    os << ' ';
    printPeak(os, t.peakGopsI8);
    os << ' ';
    printPeak(os, t.memoryGBps);
    os << "  " << (t.accelerator.empty() ? "-" : t.accelerator) << "\n";
  }
  os << "\nfeatures:\n";
  for (const TargetDescription &t : getBuiltinTargets())
    os << "  " << t.name << ": " << (t.features.empty() ? "-" : t.features)
       << "  (" << t.summary << ")\n";
}

void mlir::paso::writeTargetFile(const TargetDescription &target,
                                 llvm::raw_ostream &os) {
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attribute("name", target.name);
    json.attribute("summary", target.summary);
    json.attribute("triple", target.triple);
    json.attribute("cpu", target.cpu);
    json.attribute("features", target.features);
    json.attribute("vector_bits", target.vectorBits);
    json.attribute("cores", target.cores);
    json.attribute("l1d_bytes", target.l1dBytes);
    json.attribute("l2_bytes", target.l2Bytes);
    json.attribute("l3_bytes", target.l3Bytes);
    json.attribute("peak_gflops_f32", target.peakGflopsF32);
    json.attribute("peak_gflops_f16", target.peakGflopsF16);
    json.attribute("peak_gops_i8", target.peakGopsI8);
    json.attribute("memory_gbps", target.memoryGBps);
    json.attribute("accelerator", target.accelerator);
    json.attributeObject("kernel_time_scale", [&] {
      for (const auto &[name, scale] : target.kernelTimeScale)
        json.attribute(name, scale);
    });
    json.attributeObject("kernel_times_us", [&] {
      for (const auto &[signature, time] : target.kernelTimesMicroseconds)
        json.attribute(signature, time);
    });
    json.attribute("run_overhead_us", target.runOverheadMicroseconds);
    if (target.generatedOpMicroseconds)
      json.attribute("generated_op_us", *target.generatedOpMicroseconds);
    if (target.transcendentalNanoseconds)
      json.attribute("transcendental_ns", *target.transcendentalNanoseconds);
    if (target.threadHandoffMicroseconds)
      json.attribute("thread_handoff_us", *target.threadHandoffMicroseconds);
    json.attributeArray("calibrated_from", [&] {
      for (const std::string &file : target.calibratedFrom)
        json.value(file);
    });
  });
  os << "\n";
}
