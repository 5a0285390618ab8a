//===- EdgeTpuRules.h - what the Edge TPU compiler maps ---------*- C++ -*-===//
//
// One table of the TFLite ops PASO writes: the version it writes (the
// lowest TFLite runs int8 at), the newest version Coral's edgetpu_compiler
// (16) accepts, and whether it maps at all. The lowering asks it; the
// test suite's checker keeps its own copy of the rules on purpose.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_TARGET_EDGETPU_EDGETPURULES_H
#define PASO_LIB_TARGET_EDGETPU_EDGETPURULES_H

#include "TFLiteModel.h"

#include <string>
#include <vector>

namespace mlir::paso::edgetpu {

struct OpRule {
  OpCode code;
  const char *name;
  int32_t version;        ///< written: the int8 version
  int32_t newestMapped;   ///< 0: the Edge TPU does not run it
  const char *runtime;    ///< min_runtime_version for that version
};

const OpRule &ruleFor(OpCode code);

/// Why a tensor of `shape` cannot live on the Edge TPU ("" when it can):
/// at most the three innermost dimensions larger than one.
std::string shapeRule(const std::vector<int32_t> &shape);

std::string runtimeVersionFor(OpCode code, int32_t version);

} // namespace mlir::paso::edgetpu

#endif // PASO_LIB_TARGET_EDGETPU_EDGETPURULES_H
