//===- Progress.h - compile stages shown on a terminal ----------*- C++ -*-===//
//
// A long compile (ResNet-50, an unrolled LSTM) is quiet for seconds; on a
// terminal paso-opt shows which stage it is in, on one line rewritten in
// place and erased at the end. When stderr is not a terminal (CI logs,
// pipes, the test suite) nothing is printed. Diagnostics erase the line
// before they print (clearProgressLine).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_PIPELINES_PROGRESS_H
#define PASO_LIB_PIPELINES_PROGRESS_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Chrono.h"

#include <string>

namespace mlir::paso {

/// Erases the progress line, if one is showing.
void clearProgressLine();

class Progress {
public:
  /// Shows stages of compiling `input` when stderr is a terminal (and
  /// PASO_PROGRESS is not 0); never with `stages` 0 (nested compiles).
  Progress(llvm::StringRef tool, llvm::StringRef input, int stages);
  ~Progress() { clearProgressLine(); }

  /// Starts the next stage, `what` ("optimising the graph").
  void stage(llvm::StringRef what);

private:
  bool enabled;
  std::string prefix;
  int stages, current = 0;
  std::chrono::steady_clock::time_point start;
};

} // namespace mlir::paso

#endif // PASO_LIB_PIPELINES_PROGRESS_H
