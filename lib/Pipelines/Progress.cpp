//===- Progress.cpp - compile stages shown on a terminal ------------------===//

#include "Progress.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace mlir::paso;

static bool lineShowing = false;

void mlir::paso::clearProgressLine() {
  if (!lineShowing)
    return;
  llvm::errs() << "\r\x1b[K";
  llvm::errs().flush();
  lineShowing = false;
}

Progress::Progress(llvm::StringRef tool, llvm::StringRef input, int stages)
    : prefix((tool + ": " + input + ": ").str()), stages(stages),
      start(std::chrono::steady_clock::now()) {
  const char *setting = std::getenv("PASO_PROGRESS");
  const char *term = std::getenv("TERM");
  enabled = stages > 0 && llvm::sys::Process::StandardErrIsDisplayed() &&
            !(setting && llvm::StringRef(setting) == "0") &&
            !(term && llvm::StringRef(term) == "dumb");
}

void Progress::stage(llvm::StringRef what) {
  ++current;
  if (!enabled)
    return;
  double seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  clearProgressLine();
  llvm::errs() << prefix << "[" << current << "/" << stages << "] " << what
               << " (" << llvm::format("%.1f", seconds) << " s)";
  llvm::errs().flush();
  lineShowing = true;
}
