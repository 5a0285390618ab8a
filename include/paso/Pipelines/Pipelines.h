//===- Pipelines.h - paso-opt's stages and pass pipelines -------*- C++ -*-===//
//
// The top layer: which dialects and passes the tools register, the stages
// `--emit` can stop at, and the pass pipeline that leads to each.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_PIPELINES_PIPELINES_H
#define PASO_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringRef.h"

#include <optional>
#include <string>

namespace mlir::paso {

/// The stages `paso-opt --emit=` can stop at, in pipeline order.
enum class EmitStage {
  OnnxMlir,
  Paso,
  Linalg,
  Llvm,
  Asm,
  Obj,
  So,
  /// A static archive (model.a) of one object, plus model.h.
  Archive,
  TFLite,
  Ptx
};

/// Parses an `--emit` value; nullopt when unknown.
std::optional<EmitStage> parseEmitStage(llvm::StringRef name);
/// The `--emit` spelling of a stage.
llvm::StringRef emitStageName(EmitStage stage);
/// All `--emit` spellings, comma separated, for help and errors.
std::string listEmitStages();
/// The stage an output file name implies (`model.so` -> so, `x.ll` -> llvm);
/// nullopt for names that imply none (`-`, `.mlir`).
std::optional<EmitStage> emitStageForOutput(llvm::StringRef path);

/// Registers every dialect that paso-opt reads or writes.
void registerPasoDialects(DialectRegistry &registry);
/// Registers paso's passes and the upstream ones its pipelines and lit
/// tests use, so each runs alone on `.mlir` input.
void registerPasoPasses();

/// Clean-up run right after import: folding, canonicalisation, CSE.
void buildGraphCleanupPipeline(OpPassManager &pm);

/// The graph optimisations of -O1 and above, as textual pass names run on
/// each function: clean-up, kernel recognition, batch-norm folding,
/// convolution epilogue fusion, clean-up again.
ArrayRef<StringRef> graphOptimizationSteps();
void buildGraphOptimizationPipeline(OpPassManager &pm);

/// paso to linalg on tensors (plus clean-up above -O0).
void buildLowerToLinalgPipeline(OpPassManager &pm, unsigned optLevel);

} // namespace mlir::paso

#endif // PASO_PIPELINES_PIPELINES_H
