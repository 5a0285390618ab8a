//===- SharedObjectLinker.cpp - model.so through in-process lld -----------===//
//
// paso-opt invokes no external tool: the object file is linked by lld's ELF
// driver inside the compiler. The .so records DT_NEEDED for libc and libm
// only, and only when the target's copies are on this machine (the host's,
// or a cross sysroot such as /usr/aarch64-linux-gnu for aarch64); otherwise
// the model's few libc/libm symbols resolve from the loading process.
//
//===----------------------------------------------------------------------===//

#include "paso/Target/CPU/CpuBackend.h"

#include "lld/Common/Driver.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Triple.h"

LLD_HAS_DRIVER(elf)

using namespace mlir;
using namespace mlir::paso;

/// Directories holding libc.so.6 and libm.so.6 for `triple`.
static std::vector<std::string> libraryDirs(const llvm::Triple &triple) {
  std::string multiarch = (llvm::Triple::getArchTypeName(triple.getArch()) +
                           "-linux-gnu")
                              .str();
  return {"/lib/" + multiarch, "/usr/lib/" + multiarch,
          "/usr/" + multiarch + "/lib"};
}

LogicalResult mlir::paso::linkSharedObject(llvm::StringRef objectPath,
                                           llvm::StringRef outputPath,
                                           const TargetDescription &target,
                                           Location loc) {
  llvm::Triple triple(target.triple);
  std::vector<std::string> args = {
      "ld.lld",     "-shared",          "-o",
      outputPath.str(), objectPath.str(), "--as-needed",
      "-z",         "noexecstack",      "-z",
      "relro",      "-z",               "now",
      "--hash-style=gnu",
      // A program linked against the model records this name (found
      // through its rpath), not the build directory's path.
      ("-soname=" + llvm::sys::path::filename(outputPath)).str(),
      // Calls between the ABI functions stay inside this model even when
      // another model exporting the same short names was loaded first.
      "-Bsymbolic"};
  // A model for a GPU target opens the CUDA driver with dlopen, which
  // glibc before 2.34 (JetPack 4 and 5) keeps in libdl.so.2, as it keeps
  // the thread functions in libpthread.so.0: both are named even where
  // this machine's libc has their functions. The runtime binds those
  // functions' pre-2.34 versions (paso_cuda.c, paso_threads.c).
  auto addLibrary = [&](const char *library) {
    for (const std::string &dir : libraryDirs(triple)) {
      std::string path = dir + "/" + library;
      if (llvm::sys::fs::exists(path)) {
        args.push_back(path);
        return;
      }
    }
  };
  if (cudaDeviceOf(target)) {
    args.push_back("--no-as-needed");
    addLibrary("libdl.so.2");
    addLibrary("libpthread.so.0");
    args.push_back("--as-needed");
  }
  for (const char *library : {"libm.so.6", "libc.so.6"})
    addLibrary(library);
  std::vector<const char *> argv;
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  std::string output;
  llvm::raw_string_ostream stream(output);
  lld::Result result =
      lld::lldMain(argv, stream, stream, {{lld::Gnu, &lld::elf::link}});
  if (result.retCode != 0)
    return emitError(loc) << "linking '" << outputPath
                          << "' failed: " << output;
  return success();
}
