//===- Npy.cpp - NumPy .npy files for the model runner --------------------===//

#include "paso/Runtime/Npy.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace paso::npy {

std::string typeForDtype(int dtype) {
  switch (dtype) {
  case 1: return "f4";
  case 2: return "u1";
  case 3: return "i1";
  case 4: return "u2";
  case 5: return "i2";
  case 6: return "i4";
  case 7: return "i8";
  case 9: return "b1";
  case 10: return "f2";
  case 11: return "f8";
  case 12: return "u4";
  case 13: return "u8";
  default: return "";
  }
}

/// The text between the quotes after `key` in a header dict.
static bool quotedValue(const std::string &header, const std::string &key,
                        std::string &value) {
  size_t at = header.find("'" + key + "'");
  if (at == std::string::npos)
    return false;
  size_t open = header.find('\'', header.find(':', at) + 1);
  size_t close = header.find('\'', open + 1);
  if (open == std::string::npos || close == std::string::npos)
    return false;
  value = header.substr(open + 1, close - open - 1);
  return true;
}

bool read(const std::string &path, Array &array, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  char magic[8];
  if (!file.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0) {
    error = "'" + path + "' is not a .npy file";
    return false;
  }
  uint32_t headerSize = 0;
  if (magic[6] == 1) {
    unsigned char bytes[2];
    file.read(reinterpret_cast<char *>(bytes), 2);
    headerSize = bytes[0] | (bytes[1] << 8);
  } else {
    unsigned char bytes[4];
    file.read(reinterpret_cast<char *>(bytes), 4);
    headerSize = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) |
                 (uint32_t(bytes[3]) << 24);
  }
  std::string header(headerSize, '\0');
  if (!file.read(&header[0], headerSize)) {
    error = "'" + path + "' has a truncated header";
    return false;
  }
  std::string descr;
  if (!quotedValue(header, "descr", descr) || descr.size() < 3 ||
      (descr[0] != '<' && descr[0] != '|')) {
    error = "'" + path + "' is not a little-endian array";
    return false;
  }
  if (header.find("'fortran_order': True") != std::string::npos) {
    error = "'" + path + "' is Fortran-ordered; save it C-ordered";
    return false;
  }
  array.type = descr.substr(1);
  array.shape.clear();
  size_t open = header.find('(', header.find("'shape'"));
  size_t close = header.find(')', open);
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  std::string dim;
  while (std::getline(dims, dim, ','))
    if (dim.find_first_not_of(' ') != std::string::npos)
      array.shape.push_back(std::stoll(dim));
  int64_t count = 1;
  for (int64_t d : array.shape)
    count *= d;
  size_t elementSize = std::stoul(array.type.substr(1));
  array.data.resize(count * elementSize);
  if (!file.read(array.data.data(), array.data.size())) {
    error = "'" + path + "' holds fewer elements than its shape says";
    return false;
  }
  return true;
}

bool write(const std::string &path, const Array &array, std::string &error) {
  std::ostringstream dict;
  dict << "{'descr': '" << (array.type[0] == 'b' || array.type == "u1" ||
                                    array.type == "i1"
                                ? "|"
                                : "<")
       << array.type << "', 'fortran_order': False, 'shape': (";
  for (int64_t d : array.shape)
    dict << d << ", ";
  dict << "), }";
  std::string header = dict.str();
  // Pad so the data starts on a 64-byte boundary, ending in a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot write '" + path + "'";
    return false;
  }
  uint16_t size = static_cast<uint16_t>(header.size());
  file.write("\x93NUMPY\x01\x00", 8);
  char sizeBytes[2] = {static_cast<char>(size & 0xff),
                       static_cast<char>(size >> 8)};
  file.write(sizeBytes, 2);
  file.write(header.data(), header.size());
  file.write(array.data.data(), array.data.size());
  if (!file) {
    error = "writing '" + path + "' failed";
    return false;
  }
  return true;
}

} // namespace paso::npy
