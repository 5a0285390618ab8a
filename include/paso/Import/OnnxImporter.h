//===- OnnxImporter.h - ONNX ModelProto to the paso dialect -----*- C++ -*-===//
//
// Public API of the ONNX importer: reads an ONNX file (with external data)
// and builds a module holding one `func.func @main` of paso ops with static
// shapes. Errors are emitted as MLIR diagnostics whose location names the
// ONNX node (see describeOnnxLocation).
//
//===----------------------------------------------------------------------===//

#ifndef PASO_IMPORT_ONNXIMPORTER_H
#define PASO_IMPORT_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::paso {

/// Newest ONNX IR version and default-domain opset the importer accepts.
/// They match the onnx Python package the project pins (1.19).
constexpr int64_t kMaxOnnxIrVersion = 12;
constexpr int64_t kMaxOnnxOpset = 24;
/// Oldest default-domain opset with any converter.
constexpr int64_t kMinOnnxOpset = 7;

struct OnnxImportOptions {
  /// Static shapes that replace the model's declared input shapes, by name.
  llvm::StringMap<llvm::SmallVector<int64_t>> inputShapes;
};

/// Parses one `--input-shape` value, `name:1x3x224x224` (the name may itself
/// contain ':'; the last one separates; `name:` alone is a scalar). Returns an error message on bad
/// syntax.
llvm::Expected<std::pair<std::string, llvm::SmallVector<int64_t>>>
parseInputShape(llvm::StringRef text);

/// What `checkOnnxModel` found.
struct OnnxCheckResult {
  /// Nodes in the model, subgraphs included.
  unsigned nodes = 0;
  /// Nodes that do not import; each has had an error emitted at it.
  unsigned failed = 0;
  /// Nodes not checked because an input comes from a failed node.
  unsigned skipped = 0;
  /// The model itself (file, versions, inputs, outputs) has a problem.
  bool modelError = false;
};

/// Imports the model without compiling it and without stopping at the first
/// bad node: every node that does not convert gets its error emitted to
/// `context`'s handler, and nodes fed by a failed node are skipped. This is
/// `paso-opt --check`.
OnnxCheckResult checkOnnxModel(llvm::StringRef path, MLIRContext &context,
                               const OnnxImportOptions &options);

/// Imports the ONNX model at `path`. On failure the diagnostics have been
/// emitted to `context`'s handler and null is returned.
OwningOpRef<ModuleOp> importOnnxModel(llvm::StringRef path,
                                      MLIRContext &context,
                                      const OnnxImportOptions &options);

/// The location the importer gives ONNX node `name` of type `opType`,
/// which describeOnnxLocation reads back.
Location onnxNodeLocation(MLIRContext &context, llvm::StringRef name,
                          llvm::StringRef opType);

/// Human-readable form of a node location produced by the importer, such as
/// `node 'conv1' (Conv)`; empty for any other location (the message itself
/// then names the input, output or tensor).
std::string describeOnnxLocation(Location loc);

/// describeOnnxLocation of every node inside `loc`, each once, in order:
/// a fused op's location holds one per ONNX node it replaced.
std::vector<std::string> describeOnnxNodes(Location loc);

/// Prints the supported ONNX ops, one per line with the opsets each
/// converter covers, as a Markdown table (docs/onnx-ops.md is this output).
void printSupportedOnnxOps(llvm::raw_ostream &os);

/// Registers the dialects the imported IR uses.
void registerOnnxImportDialects(DialectRegistry &registry);

} // namespace mlir::paso

#endif // PASO_IMPORT_ONNXIMPORTER_H
