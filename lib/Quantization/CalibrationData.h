//===- CalibrationData.h - the samples --calibration-data names -*- C++ -*-===//
//
// An .npz whose arrays are named after the model's inputs and stacked
// along a new leading sample axis (np.savez or np.savez_compressed), or a
// directory of such files, read in name order. Every mistake is an error
// naming the file and the array: a name the model has no input for, a
// missing input, another shape or dtype, differing sample counts, no
// samples, NaN or infinity.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_QUANTIZATION_CALIBRATIONDATA_H
#define PASO_LIB_QUANTIZATION_CALIBRATIONDATA_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::paso {

/// A model input as the samples must match it.
struct CalibrationInput {
  std::string name;
  std::vector<int64_t> shape;
  /// NumPy's type string without byte order ("f4", "u1", "i1", "i8").
  std::string npyType;
};

struct CalibrationSamples {
  /// samples[s][i]: the dense bytes of input i in sample s.
  std::vector<std::vector<std::vector<char>>> samples;
};

/// Reads `path` for `inputs`.
llvm::Expected<CalibrationSamples>
loadCalibrationData(llvm::StringRef path,
                    const std::vector<CalibrationInput> &inputs);

/// The members of a zip archive (an .npz): name and uncompressed bytes.
/// Stored and deflated members, zip64 included.
llvm::Expected<std::vector<std::pair<std::string, std::vector<char>>>>
readZipArchive(llvm::StringRef path);

} // namespace mlir::paso

#endif // PASO_LIB_QUANTIZATION_CALIBRATIONDATA_H
