//===- TargetDescription.cpp - hardware targets as data -------------------===//

#include "paso/Target/TargetDescription.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Threading.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <vector>

using namespace mlir::paso;

/// Describes the machine the compiler runs on. Peak numbers are left 0
/// (unknown): clock speeds cannot be read portably, and calibration from
/// profiles supplies the real figures.
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
  return host;
}

llvm::ArrayRef<TargetDescription> mlir::paso::getBuiltinTargets() {
  static const std::vector<TargetDescription> targets = [] {
    std::vector<TargetDescription> list{detectHost()};
#define PASO_TARGET(NAME, SUMMARY, TRIPLE, CPU, FEATURES, VECTOR, CORES, L1,   \
                    L2, L3, F32, F16, I8, MEM, ACCEL)                          \
  list.push_back(TargetDescription{NAME, SUMMARY, TRIPLE, CPU, FEATURES,        \
                                   VECTOR, CORES, L1, L2, L3, F32, F16, I8,    \
                                   MEM, ACCEL});
#include "BuiltinTargets.def"
    return list;
  }();
  return targets;
}

std::optional<TargetDescription> mlir::paso::lookupTarget(llvm::StringRef name) {
  for (const TargetDescription &target : getBuiltinTargets())
    if (target.name == name)
      return target;
  return std::nullopt;
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
