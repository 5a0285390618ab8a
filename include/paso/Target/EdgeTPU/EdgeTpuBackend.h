//===- EdgeTpuBackend.h - int8 TFLite for the Coral Edge TPU ----*- C++ -*-===//
//
// The Edge TPU back end writes a fully int8-quantised paso graph (QDQ form:
// every activation a `paso.quantize` result, weights dequantised int8
// constants) as a TFLite flatbuffer that uses only the ops, op versions and
// quantisation forms Coral's edgetpu_compiler maps (docs/edgetpu.md), and
// says for every op whether it maps and, if not, which rule stopped it.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_TARGET_EDGETPU_EDGETPUBACKEND_H
#define PASO_TARGET_EDGETPU_EDGETPUBACKEND_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <string>
#include <vector>

namespace mlir::paso {

/// One TFLite op written, or one paso op that could not be, for --report.
struct EdgeTpuOp {
  std::string origins;  ///< the ONNX node(s) it came from
  std::string tflite;   ///< CONV_2D, ...; empty when not written
  int version = 0;      ///< the op version written
  bool mapped = false;  ///< the Edge TPU compiler maps it
  std::string note;     ///< the rule that stopped it, or what was rewritten
};

/// A model input or output of the TFLite file: its int8 grid.
struct EdgeTpuIo {
  std::string name;
  std::vector<int64_t> shape; ///< as written (NHWC for images)
  std::string type;           ///< int8 or uint8
  double scale = 0;
  int64_t zeroPoint = 0;
};

struct EdgeTpuSummary {
  std::vector<EdgeTpuOp> ops;
  std::vector<EdgeTpuIo> inputs, outputs;
  std::vector<std::string> rewrites; ///< graph rewrites made to map more
  /// The first op that does not map, with its rule; empty when all map.
  std::string cut;
  /// The cut is at an op written into the file (the Edge TPU compiler
  /// stops there and TFLite runs the rest of the file on the CPU).
  bool cutInFile = false;
  int64_t bytes = 0;
  /// The graph was cut where an op cannot be written: the ops after it
  /// run on the CPU, from the TFLite file's outputs.
  bool cpuRemainder = false;
  std::string cpuLibrary; ///< where the compiler wrote that part
  int64_t mappedOps() const;
};

/// The graph steps before emission: those of the CPU pipeline without the
/// folds into PASO's own integer kernels (TFLite ops carry the
/// quantisation of their tensors themselves).
ArrayRef<StringRef> edgeTpuGraphSteps();

/// Writes `module` (a quantised graph after edgeTpuGraphSteps) as a TFLite
/// file to `os`. Where an op cannot be written, the graph is cut there:
/// with `remainder`, the file holds the ops before the cut, its outputs
/// are the int8 values the rest reads, and `remainder` receives that rest
/// as a model (those values as NHWC int8 inputs) for the CPU back end;
/// without it, or when nothing before the cut maps, it is an error at the
/// ONNX node.
LogicalResult writeEdgeTpuTFLite(ModuleOp module, llvm::raw_ostream &os,
                                 EdgeTpuSummary &summary,
                                 OwningOpRef<ModuleOp> *remainder = nullptr);

/// True when `module` holds quantised values (a pre-quantised import or
/// the quantiser's output): what the Edge TPU needs.
bool hasQuantizedValues(ModuleOp module);

} // namespace mlir::paso

#endif // PASO_TARGET_EDGETPU_EDGETPUBACKEND_H
