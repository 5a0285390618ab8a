//===- Npy.h - NumPy .npy files for the model runner ------------*- C++ -*-===//
//
// Reads and writes little-endian, C-ordered .npy arrays (format 1.0-3.0).
// Plain C++17 with no LLVM dependency, so paso-run cross-compiles with any
// target toolchain.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_RUNTIME_NPY_H
#define PASO_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace paso::npy {

struct Array {
  /// NumPy type string without byte order: "f4", "i8", "b1", ...
  std::string type;
  std::vector<int64_t> shape;
  std::vector<char> data;
};

/// NumPy's type string for a paso_dtype (ONNX numbering); empty if none.
std::string typeForDtype(int dtype);

/// Parses a .npy image of `size` bytes (`name` for messages, such as a
/// member of an .npz); on failure returns false and sets `error`.
bool parse(const char *bytes, size_t size, const std::string &name,
           Array &array, std::string &error);

/// Reads `path`; on failure returns false and sets `error`.
bool read(const std::string &path, Array &array, std::string &error);

/// Writes `array` to `path`; on failure returns false and sets `error`.
bool write(const std::string &path, const Array &array, std::string &error);

} // namespace paso::npy

#endif // PASO_RUNTIME_NPY_H
