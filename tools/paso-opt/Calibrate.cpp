//===- Calibrate.cpp - paso-opt --calibrate -------------------------------===//

#include "Calibrate.h"

#include "paso/Target/CostModel.h"
#include "paso/Target/Profile.h"
#include "paso/Target/TargetDescription.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

using namespace mlir::paso;

namespace {

int fail(const llvm::Twine &message) {
  llvm::errs() << "paso-opt: error: " << message << "\n";
  return 1;
}

/// The clock a `perf stat -x,` run measured, in GHz: cycles over
/// task-clock. Errors name the file and line.
llvm::Expected<double> readPerfStatClock(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return llvm::createStringError("perf stat file '" + path +
                                   "': " + buffer.getError().message());
  std::optional<double> cycles, taskClockMs;
  llvm::SmallVector<llvm::StringRef> lines;
  (*buffer)->getBuffer().split(lines, '\n');
  for (auto [number, line] : llvm::enumerate(lines)) {
    line = line.trim();
    if (line.empty() || line.starts_with("#"))
      continue;
    // value,unit,event,run time,percentage[,metric,metric unit]
    llvm::SmallVector<llvm::StringRef> fields;
    line.split(fields, ',');
    auto where = [&, number = number] {
      return "perf stat file '" + path.str() + "' line " +
             std::to_string(number + 1);
    };
    if (fields.size() < 3)
      return llvm::createStringError(
          where() + ": expected `perf stat -x,` fields (value,unit,event,...)");
    llvm::StringRef value = fields[0].trim(), event = fields[2].trim();
    // perf writes the event with its modifiers ("cycles:u").
    event = event.split(':').first;
    if (value.starts_with("<"))
      continue; // <not supported> / <not counted>: nothing measured
    double parsed;
    if (value.getAsDouble(parsed))
      return llvm::createStringError(where() + ": '" + value +
                                     "' is not a number");
    if (event == "cycles")
      cycles = parsed;
    else if (event == "task-clock")
      taskClockMs = parsed;
  }
  if (!cycles || !taskClockMs || *taskClockMs <= 0)
    return llvm::createStringError(
        "perf stat file '" + path +
        "' has no measured cycles and task-clock (hardware counters may be "
        "unavailable where it ran)");
  return *cycles / (*taskClockMs * 1e6);
}

} // namespace

bool paso::opt::calibrationRequested(int argc, char **argv) {
  for (int i = 1; i < argc; ++i)
    if (llvm::StringRef(argv[i]) == "--calibrate" ||
        llvm::StringRef(argv[i]) == "-calibrate")
      return true;
  return false;
}

int paso::opt::runCalibration(int argc, char **argv) {
  std::string targetName = "host", output;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg(argv[i]);
    auto value = [&](llvm::StringRef flag) -> std::optional<std::string> {
      for (llvm::StringRef prefix : {"--", "-"}) {
        std::string name = (prefix + flag).str();
        if (arg == name && i + 1 < argc)
          return std::string(argv[++i]);
        if (arg.starts_with(name + "="))
          return arg.drop_front(name.size() + 1).str();
      }
      return std::nullopt;
    };
    if (arg == "--calibrate" || arg == "-calibrate")
      continue;
    if (auto target = value("target")) {
      targetName = *target;
    } else if (arg == "-o" && i + 1 < argc) {
      output = argv[++i];
    } else if (arg.starts_with("-o") && arg.size() > 2) {
      output = arg.drop_front(2).str();
    } else if (arg.starts_with("-")) {
      return fail("--calibrate takes profiles, -target and -o; '" + arg +
                  "' is not one of them");
    } else {
      files.push_back(arg.str());
    }
  }
  if (files.empty())
    return fail("--calibrate needs profiles: paso-opt --calibrate "
                "p1.json [p2.json ...] -target=T -o board.json");
  if (output.empty())
    return fail("--calibrate needs -o FILE.json for the target it writes");
  llvm::Expected<TargetDescription> base = resolveTarget(targetName);
  if (!base)
    return fail(llvm::toString(base.takeError()));

  std::vector<Profile> profiles;
  std::vector<double> clocks;
  for (const std::string &file : files) {
    if (llvm::StringRef(file).ends_with(".csv")) {
      llvm::Expected<double> ghz = readPerfStatClock(file);
      if (!ghz)
        return fail(llvm::toString(ghz.takeError()));
      clocks.push_back(*ghz);
      continue;
    }
    llvm::Expected<Profile> profile = readProfile(file);
    if (!profile)
      return fail(llvm::toString(profile.takeError()));
    profiles.push_back(std::move(*profile));
  }
  TargetDescription source = *base;
  if (!clocks.empty()) {
    // The measured clock sets the f32 peak the roofline divides by (two
    // FMA pipes of full vectors per core, as the defaults assume).
    double ghz = 0;
    for (double clock : clocks)
      ghz += clock / clocks.size();
    double lanes = source.vectorBits / 32.0;
    source.peakGflopsF32 = ghz * 2 * 2 * lanes * source.cores;
    llvm::outs() << llvm::format("clock: %.2f GHz from perf stat; f32 peak "
                                 "%.1f GFLOP/s over %u cores\n",
                                 ghz, source.peakGflopsF32, source.cores);
  }
  std::vector<ClassFit> fits;
  TargetDescription calibrated = source;
  if (!profiles.empty()) {
    llvm::Expected<TargetDescription> fitted =
        calibrateTarget(source, profiles, fits);
    if (!fitted)
      return fail(llvm::toString(fitted.takeError()));
    calibrated = std::move(*fitted);
  }
  for (const std::string &file : files)
    if (llvm::StringRef(file).ends_with(".csv"))
      calibrated.calibratedFrom.push_back(file);
  calibrated.summary =
      base->summary + " (calibrated from " + std::to_string(files.size()) +
      " file" + (files.size() == 1 ? "" : "s") + ")";
  if (!fits.empty()) {
    llvm::outs() << llvm::format("%-10s %8s %14s %14s %8s\n", "class",
                                 "kernels", "measured us", "predicted us",
                                 "scale");
    for (const ClassFit &fit : fits)
      llvm::outs() << llvm::format("%-10s %8lld %14.1f %14.1f %8.3f\n",
                                   fit.kernelClass.c_str(),
                                   (long long)fit.samples,
                                   fit.measuredMicroseconds,
                                   fit.rawPredictedMicroseconds, fit.scale);
  }
  if (!profiles.empty())
    llvm::outs() << llvm::format(
        "%zu measured kernels kept by signature; generated code: %.3f x "
        "traffic time + %.3f us per op + %.2f ns per transcendental + "
        "%.1f us per run\n",
        calibrated.kernelTimesMicroseconds.size(),
        kernelTimeScale(calibrated, "generated"),
        calibrated.generatedOpMicroseconds.value_or(0),
        calibrated.transcendentalNanoseconds.value_or(0),
        calibrated.runOverheadMicroseconds);
  if (calibrated.threadHandoffMicroseconds)
    llvm::outs() << llvm::format(
        "thread hand-off: %.1f us per threaded kernel (from the profiles at "
        "more than one thread)\n",
        *calibrated.threadHandoffMicroseconds);
  std::error_code ec;
  llvm::ToolOutputFile file(output, ec, llvm::sys::fs::OF_None);
  if (ec)
    return fail("cannot write '" + output + "': " + ec.message());
  writeTargetFile(calibrated, file.os());
  file.keep();
  return 0;
}
