//===- Calibrate.h - paso-opt --calibrate -----------------------*- C++ -*-===//
//
// `paso-opt --calibrate p1.json [p2.json ...] [perf.csv ...] -target=T
// -o board.json` fits T's cost model to profiles (paso-run --profile) and,
// from `perf stat -x,` output, the clock, and writes a target file
// (docs/profiling.md). Its arguments are read before LLVM's option parser,
// which takes one positional input.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TOOLS_PASO_OPT_CALIBRATE_H
#define PASO_TOOLS_PASO_OPT_CALIBRATE_H

namespace paso::opt {

/// Whether argv asks for --calibrate.
bool calibrationRequested(int argc, char **argv);

/// Runs --calibrate; returns the exit status.
int runCalibration(int argc, char **argv);

} // namespace paso::opt

#endif // PASO_TOOLS_PASO_OPT_CALIBRATE_H
