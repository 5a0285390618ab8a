//===- Npy.cpp - NumPy .npy files for the model runner --------------------===//

#include "paso/Runtime/Npy.h"

#include <cstring>
#include <fstream>
#include <iterator>
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

bool parse(const char *bytes, size_t size, const std::string &name,
           Array &array, std::string &error) {
  auto fail = [&](const std::string &why) {
    error = "'" + name + "' " + why;
    return false;
  };
  if (size < 10 || std::memcmp(bytes, "\x93NUMPY", 6) != 0)
    return fail("is not a .npy file");
  const unsigned char *u = reinterpret_cast<const unsigned char *>(bytes);
  size_t offset = bytes[6] == 1 ? 10 : 12;
  uint32_t headerSize =
      bytes[6] == 1 ? uint32_t(u[8] | (u[9] << 8))
                    : uint32_t(u[8] | (u[9] << 8) | (u[10] << 16) |
                               (uint32_t(u[11]) << 24));
  if (size < offset || size - offset < headerSize)
    return fail("has a truncated header");
  std::string header(bytes + offset, headerSize);
  offset += headerSize;
  std::string descr;
  if (!quotedValue(header, "descr", descr) || descr.size() < 3 ||
      (descr[0] != '<' && descr[0] != '|'))
    return fail("is not a little-endian array");
  if (header.find("'fortran_order': True") != std::string::npos)
    return fail("is Fortran-ordered; save it C-ordered");
  array.type = descr.substr(1);
  array.shape.clear();
  size_t open = header.find('(', header.find("'shape'"));
  size_t close = header.find(')', open);
  if (open == std::string::npos || close == std::string::npos)
    return fail("has no shape in its header");
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  std::string dim;
  while (std::getline(dims, dim, ','))
    if (dim.find_first_not_of(' ') != std::string::npos)
      array.shape.push_back(std::stoll(dim));
  size_t count = 1;
  for (int64_t d : array.shape)
    count *= static_cast<size_t>(d);
  size_t elementSize = std::strtoul(array.type.c_str() + 1, nullptr, 10);
  if (elementSize == 0)
    return fail("has an unsupported element type '" + array.type + "'");
  if (size - offset < count * elementSize)
    return fail("holds fewer elements than its shape says");
  array.data.assign(bytes + offset, bytes + offset + count * elementSize);
  return true;
}

bool read(const std::string &path, Array &array, std::string &error) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot open '" + path + "'";
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                          std::istreambuf_iterator<char>());
  return parse(bytes.data(), bytes.size(), path, array, error);
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
