//===- HalidePreprocess.cpp - the pre-processing pipeline's bitcode -------===//
//
// paso-preprocess-gen (tools/paso-preprocess-gen) links Halide 14, which
// carries its own LLVM 14; paso-opt holds LLVM 22, so the generator runs
// as a child process and hands back LLVM bitcode, which LLVM 22 reads and
// links into the model like the runtime (docs/preprocess.md).
//
// The generator is looked for in $PASO_PREPROCESS_GEN, then beside the
// running paso-opt (build/bin, an install's bin, the wheel's bin).
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::paso;

/// The generator's path, or "" when there is none.
static std::string findGenerator() {
  if (const char *path = std::getenv("PASO_PREPROCESS_GEN"))
    return path;
  // Any function's address identifies this executable.
  static int anchor;
  std::string self = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  llvm::SmallString<256> path(llvm::sys::path::parent_path(self));
  llvm::sys::path::append(path, "paso-preprocess-gen");
  return llvm::sys::fs::can_execute(path) ? path.str().str() : "";
}

/// Halide's target string for `target`: the architecture and the vector
/// extensions Halide's code generation uses, from the target's features.
static FailureOr<std::string> halideTarget(const TargetDescription &target,
                                           Location loc) {
  llvm::Triple triple(target.triple);
  llvm::SmallVector<llvm::StringRef> list;
  llvm::StringRef(target.features).split(list, ',', -1, false);
  auto has = [&](llvm::StringRef feature) {
    return llvm::is_contained(list, ("+" + feature).str());
  };
  if (triple.getArch() == llvm::Triple::x86_64) {
    std::string result = "x86-64-linux";
    // AVX2 implies the rest; 512-bit vectors gain little on a resize and
    // keep the bitcode to intrinsics every LLVM since 14 reads.
    if (has("avx2"))
      result += "-sse41-avx-avx2";
    else if (has("avx"))
      result += "-sse41-avx";
    else if (has("sse4.1"))
      result += "-sse41";
    if (has("fma"))
      result += "-fma";
    if (has("f16c"))
      result += "-f16c";
    return result;
  }
  if (triple.getArch() == llvm::Triple::aarch64)
    return std::string("arm-64-linux");
  return emitError(loc) << "--preprocess: no Halide target for '"
                        << target.triple << "'";
}

FailureOr<std::unique_ptr<llvm::Module>> mlir::paso::generatePreprocessPipeline(
    DictionaryAttr options, const TargetDescription &target,
    llvm::LLVMContext &context, Location loc) {
  std::string generator = findGenerator();
  if (generator.empty())
    return emitError(loc)
           << "--preprocess needs paso-preprocess-gen, which this build of "
              "PASO lacks (it is built when Halide 14 is installed: apt-get "
              "install libhalide14-0-dev; or set PASO_PREPROCESS_GEN)";
  FailureOr<std::string> halide = halideTarget(target, loc);
  if (failed(halide))
    return failure();

  llvm::SmallString<128> bitcodePath, logPath;
  if (llvm::sys::fs::createTemporaryFile("paso-preprocess", "bc",
                                         bitcodePath) ||
      llvm::sys::fs::createTemporaryFile("paso-preprocess", "log", logPath))
    return emitError(loc) << "--preprocess: cannot create temporary files";
  llvm::FileRemover removeBitcode(bitcodePath), removeLog(logPath);

  std::vector<std::string> args{generator};
  for (NamedAttribute option : options)
    if (auto value = dyn_cast<StringAttr>(option.getValue()))
      args.push_back(("--" + option.getName().strref() + "=" +
                      value.getValue())
                         .str());
  args.push_back("--target=" + *halide);
  args.push_back(("--output=" + bitcodePath).str());
  std::vector<llvm::StringRef> argv(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(logPath), llvm::StringRef(logPath)};
  std::string error;
  int status = llvm::sys::ExecuteAndWait(generator, argv, std::nullopt,
                                         redirects, /*SecondsToWait=*/120,
                                         /*MemoryLimit=*/0, &error);
  if (status != 0) {
    std::string log;
    if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().trim().str();
    return emitError(loc) << "--preprocess: " << generator << " failed ("
                          << (error.empty() ? "exit " + std::to_string(status)
                                            : error)
                          << ")" << (log.empty() ? "" : ": " + log);
  }
  auto buffer = llvm::MemoryBuffer::getFile(bitcodePath);
  if (!buffer)
    return emitError(loc) << "--preprocess: cannot read the pipeline: "
                          << buffer.getError().message();
  auto module = llvm::parseBitcodeFile((*buffer)->getMemBufferRef(), context);
  if (!module)
    return emitError(loc) << "--preprocess: the pipeline's bitcode is "
                             "unreadable: "
                          << llvm::toString(module.takeError());
  return std::move(*module);
}
