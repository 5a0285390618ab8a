//===- PatternsInternal.h - paso-to-linalg pattern families -----*- C++ -*-===//
//
// Each op family lowers in its own file; the pass collects them here.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_CONVERSION_PASOTOLINALG_PATTERNSINTERNAL_H
#define PASO_LIB_CONVERSION_PASOTOLINALG_PATTERNSINTERNAL_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::paso::lowering {

void populateMathLoweringPatterns(RewritePatternSet &patterns);
void populateSamplingLoweringPatterns(RewritePatternSet &patterns);
void populateNNLoweringPatterns(RewritePatternSet &patterns);
void populateTensorLoweringPatterns(RewritePatternSet &patterns);
void populateQuantLoweringPatterns(RewritePatternSet &patterns);

/// The CPU back end computes on signless integers and floats; an op with an
/// unsigned element type is reported at its ONNX node.
LogicalResult checkLowerableTypes(Operation *op);

} // namespace mlir::paso::lowering

#endif // PASO_LIB_CONVERSION_PASOTOLINALG_PATTERNSINTERNAL_H
