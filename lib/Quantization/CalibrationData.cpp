//===- CalibrationData.cpp - the samples --calibration-data names ---------===//

#include "CalibrationData.h"

#include "paso/Runtime/Npy.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <zlib.h>

#include <cmath>
#include <cstring>
#include <map>

using namespace mlir;
using namespace mlir::paso;

static llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

namespace {
/// Little-endian fields of a zip record.
struct Cursor {
  const unsigned char *data;
  size_t size;
  uint64_t read(size_t at, int bytes) const {
    uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
      value = value << 8 | data[at + i];
    return value;
  }
};
} // namespace

llvm::Expected<std::vector<std::pair<std::string, std::vector<char>>>>
mlir::paso::readZipArchive(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return fail("cannot read '" + path + "': " + buffer.getError().message());
  Cursor c{reinterpret_cast<const unsigned char *>((*buffer)->getBufferStart()),
           (*buffer)->getBufferSize()};
  auto notNpz = [&](const char *why) {
    return fail("'" + path + "' is not an .npz archive (" + why +
                "); write it with numpy.savez");
  };
  // The end-of-central-directory record, searched backwards past a comment.
  if (c.size < 22)
    return notNpz("too short");
  size_t end = c.size - 22;
  while (c.read(end, 4) != 0x06054b50) {
    if (end == 0 || c.size - end > 22 + 65535)
      return notNpz("no zip directory");
    --end;
  }
  uint64_t entries = c.read(end + 10, 2), directory = c.read(end + 16, 4);
  if (directory == 0xffffffff || entries == 0xffff) {
    // zip64: the locator just before points at the zip64 end record.
    if (end < 20 || c.read(end - 20, 4) != 0x07064b50)
      return notNpz("bad zip64 locator");
    uint64_t record = c.read(end - 12, 8);
    if (record + 56 > c.size || c.read(record, 4) != 0x06064b50)
      return notNpz("bad zip64 record");
    entries = c.read(record + 32, 8);
    directory = c.read(record + 48, 8);
  }
  std::vector<std::pair<std::string, std::vector<char>>> members;
  size_t at = directory;
  for (uint64_t e = 0; e < entries; ++e) {
    if (at + 46 > c.size || c.read(at, 4) != 0x02014b50)
      return notNpz("bad directory entry");
    uint64_t method = c.read(at + 10, 2);
    uint64_t packed = c.read(at + 20, 4), size = c.read(at + 24, 4);
    uint64_t nameLength = c.read(at + 28, 2), extraLength = c.read(at + 30, 2),
             commentLength = c.read(at + 32, 2);
    uint64_t local = c.read(at + 42, 4);
    if (at + 46 + nameLength + extraLength > c.size)
      return notNpz("truncated directory");
    std::string name(reinterpret_cast<const char *>(c.data + at + 46),
                     nameLength);
    // zip64 sizes and offset, in this order, for the fields that overflow.
    for (size_t x = at + 46 + nameLength; x + 4 <= at + 46 + nameLength +
                                                      extraLength;) {
      uint64_t id = c.read(x, 2), length = c.read(x + 2, 2);
      size_t field = x + 4;
      if (id == 1) {
        if (size == 0xffffffff)
          size = c.read(field, 8), field += 8;
        if (packed == 0xffffffff)
          packed = c.read(field, 8), field += 8;
        if (local == 0xffffffff)
          local = c.read(field, 8);
      }
      x += 4 + length;
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (local + 30 > c.size || c.read(local, 4) != 0x04034b50)
      return notNpz("bad member header");
    uint64_t start = local + 30 + c.read(local + 26, 2) + c.read(local + 28, 2);
    if (start + packed > c.size)
      return notNpz("truncated member");
    std::vector<char> bytes(size);
    if (method == 0) {
      if (packed != size)
        return notNpz("inconsistent member size");
      std::memcpy(bytes.data(), c.data + start, size);
    } else if (method == 8) {
      z_stream stream{};
      if (inflateInit2(&stream, -MAX_WBITS) != Z_OK)
        return fail("zlib failed to initialise");
      stream.next_in = const_cast<unsigned char *>(c.data + start);
      stream.avail_in = static_cast<uInt>(packed);
      stream.next_out = reinterpret_cast<unsigned char *>(bytes.data());
      stream.avail_out = static_cast<uInt>(size);
      int status = inflate(&stream, Z_FINISH);
      inflateEnd(&stream);
      if (status != Z_STREAM_END || stream.total_out != size)
        return notNpz(("member '" + name + "' does not inflate").c_str());
    } else {
      return notNpz("compression method other than stored or deflate");
    }
    members.emplace_back(std::move(name), std::move(bytes));
  }
  return members;
}

static std::string shapeText(llvm::ArrayRef<int64_t> shape) {
  return "[" + llvm::join(llvm::map_range(shape, [](int64_t d) {
                            return std::to_string(d);
                          }),
                          ", ") +
         "]";
}

/// Appends the samples of one .npz to `out`.
static llvm::Error readNpz(llvm::StringRef path,
                           const std::vector<CalibrationInput> &inputs,
                           CalibrationSamples &out) {
  auto members = readZipArchive(path);
  if (!members)
    return members.takeError();
  std::string expected = llvm::join(
      llvm::map_range(inputs,
                      [](const CalibrationInput &input) {
                        return "'" + input.name + "' " +
                               shapeText(input.shape) + " " + input.npyType;
                      }),
      ", ");
  std::map<std::string, ::paso::npy::Array> arrays;
  for (auto &[member, bytes] : *members) {
    llvm::StringRef name(member);
    name.consume_back(".npy");
    auto input = llvm::find_if(inputs, [&](const CalibrationInput &i) {
      return i.name == name;
    });
    if (input == inputs.end())
      return fail("'" + path + "': array '" + name +
                  "' is not an input of the model; its inputs are " +
                  expected);
    ::paso::npy::Array array;
    std::string error;
    if (!::paso::npy::parse(bytes.data(), bytes.size(), path.str() + ":" + member,
                    array, error))
      return fail(error);
    arrays[name.str()] = std::move(array);
  }
  int64_t count = -1;
  std::string countFrom;
  for (const CalibrationInput &input : inputs) {
    auto found = arrays.find(input.name);
    if (found == arrays.end())
      return fail("'" + path + "' has no array '" + input.name +
                  "'; arrays are named after the model's inputs: " +
                  expected);
    ::paso::npy::Array &array = found->second;
    std::string where = "'" + path.str() + "': array '" + input.name + "'";
    if (array.type != input.npyType)
      return fail(where + " has dtype " + array.type + ", the input is " +
                  input.npyType);
    // [samples, ...input shape], or one sample of the input's shape, or,
    // for an input of batch 1, samples stacked along the batch axis.
    std::vector<int64_t> shape = array.shape;
    if (shape == input.shape)
      shape.insert(shape.begin(), 1);
    else if (!input.shape.empty() && input.shape[0] == 1 &&
             shape.size() == input.shape.size() &&
             std::equal(input.shape.begin() + 1, input.shape.end(),
                        shape.begin() + 1))
      shape.insert(shape.begin() + 1, 1);
    if (shape.size() != input.shape.size() + 1 ||
        !std::equal(input.shape.begin(), input.shape.end(),
                    shape.begin() + 1))
      return fail(where + " has shape " + shapeText(array.shape) +
                  "; expected [samples, " +
                  shapeText(input.shape).substr(1));
    if (count >= 0 && shape[0] != count)
      return fail(where + " has " + llvm::Twine(shape[0]) +
                  " samples, array '" + countFrom + "' " +
                  llvm::Twine(count));
    count = shape[0];
    countFrom = input.name;
    if (count == 0)
      return fail(where + " holds no samples");
    size_t sampleBytes = array.data.size() / count;
    if (input.npyType == "f4") {
      const float *values = reinterpret_cast<const float *>(array.data.data());
      size_t perSample = sampleBytes / 4;
      for (size_t i = 0; i < array.data.size() / 4; ++i)
        if (!std::isfinite(values[i]))
          return fail(where + " sample " + llvm::Twine(i / perSample) +
                      " holds " + (std::isnan(values[i]) ? "NaN" : "infinity") +
                      " at element " + llvm::Twine(i % perSample));
    }
    size_t first = out.samples.size();
    if (&input == &inputs.front())
      out.samples.resize(first + count,
                         std::vector<std::vector<char>>(inputs.size()));
    else
      first -= count;
    size_t index = &input - &inputs.front();
    for (int64_t s = 0; s < count; ++s)
      out.samples[first + s][index].assign(
          array.data.begin() + s * sampleBytes,
          array.data.begin() + (s + 1) * sampleBytes);
  }
  return llvm::Error::success();
}

llvm::Expected<CalibrationSamples>
mlir::paso::loadCalibrationData(llvm::StringRef path,
                                const std::vector<CalibrationInput> &inputs) {
  CalibrationSamples samples;
  if (!llvm::sys::fs::exists(path))
    return fail("--calibration-data '" + path + "' does not exist");
  if (!llvm::sys::fs::is_directory(path)) {
    if (llvm::Error error = readNpz(path, inputs, samples))
      return std::move(error);
    return samples;
  }
  std::vector<std::string> files;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(path, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".npz")
      files.push_back(it->path());
  if (ec)
    return fail("cannot list '" + path + "': " + ec.message());
  if (files.empty())
    return fail("--calibration-data directory '" + path +
                "' holds no .npz files");
  llvm::sort(files);
  for (const std::string &file : files)
    if (llvm::Error error = readNpz(file, inputs, samples))
      return std::move(error);
  return samples;
}
