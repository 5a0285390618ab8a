//===- TensorConversion.cpp - ONNX TensorProto to elements attrs ----------===//
//
// Converts ONNX tensors, inline or in external files, to MLIR elements
// attributes. External data must stay inside the model's directory: a
// location that escapes it (absolute, `..`, or a symlink out) is rejected so
// a model file cannot make the compiler read arbitrary files.
//
//===----------------------------------------------------------------------===//

#include "NodeImporter.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;

namespace mlir::paso::onnx_import {

/// Tensors up to this many elements are printed inline as `dense`; larger
/// ones become resource blobs (integer shape-like tensors excepted).
constexpr int64_t kMaxInlineElements = 16;
constexpr int64_t kMaxInlineIndexElements = 4096;

Type convertElementType(MLIRContext *context, int32_t onnxType) {
  Builder b(context);
  switch (onnxType) {
  case onnx::TensorProto::FLOAT:
    return b.getF32Type();
  case onnx::TensorProto::DOUBLE:
    return b.getF64Type();
  case onnx::TensorProto::FLOAT16:
    return b.getF16Type();
  case onnx::TensorProto::BFLOAT16:
    return b.getBF16Type();
  case onnx::TensorProto::BOOL:
    return b.getI1Type();
  case onnx::TensorProto::INT8:
    return b.getI8Type();
  case onnx::TensorProto::INT16:
    return b.getI16Type();
  case onnx::TensorProto::INT32:
    return b.getI32Type();
  case onnx::TensorProto::INT64:
    return b.getI64Type();
  case onnx::TensorProto::UINT8:
    return b.getIntegerType(8, /*isSigned=*/false);
  case onnx::TensorProto::UINT16:
    return b.getIntegerType(16, /*isSigned=*/false);
  case onnx::TensorProto::UINT32:
    return b.getIntegerType(32, /*isSigned=*/false);
  case onnx::TensorProto::UINT64:
    return b.getIntegerType(64, /*isSigned=*/false);
  default:
    return {};
  }
}

std::string onnxTypeName(int32_t onnxType) {
  if (onnx::TensorProto::DataType_IsValid(onnxType))
    return onnx::TensorProto::DataType_Name(
        static_cast<onnx::TensorProto::DataType>(onnxType));
  return "data type " + std::to_string(onnxType);
}

/// Reads the external bytes of `tensor`, checking the location is confined
/// to `modelDir`.
static FailureOr<std::string> readExternalData(const onnx::TensorProto &tensor,
                                               StringRef modelDir,
                                               Location loc) {
  std::string location;
  uint64_t offset = 0;
  std::optional<uint64_t> length;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    if (entry.key() == "location")
      location = entry.value();
    else if (entry.key() == "offset" &&
             StringRef(entry.value()).getAsInteger(10, offset))
      return emitError(loc) << "tensor '" << tensor.name()
                            << "': bad external data offset '"
                            << entry.value() << "'";
    else if (entry.key() == "length") {
      uint64_t value = 0;
      if (StringRef(entry.value()).getAsInteger(10, value))
        return emitError(loc) << "tensor '" << tensor.name()
                              << "': bad external data length '"
                              << entry.value() << "'";
      length = value;
    }
  }
  if (location.empty())
    return emitError(loc) << "tensor '" << tensor.name()
                          << "' has external data without a location";
  if (llvm::sys::path::is_absolute(location))
    return emitError(loc) << "tensor '" << tensor.name()
                          << "': external data location '" << location
                          << "' is absolute; it must be relative to the "
                             "model's directory";
  SmallString<256> dir(modelDir.empty() ? "." : modelDir);
  SmallString<256> realDir, realFile;
  if (llvm::sys::fs::real_path(dir, realDir))
    return emitError(loc) << "cannot resolve model directory '" << dir << "'";
  SmallString<256> path(realDir);
  llvm::sys::path::append(path, location);
  if (std::error_code ec = llvm::sys::fs::real_path(path, realFile))
    return emitError(loc) << "tensor '" << tensor.name()
                          << "': cannot open external data '" << location
                          << "': " << ec.message();
  StringRef fileRef = realFile;
  if (!fileRef.starts_with(realDir) ||
      !llvm::sys::path::is_separator(fileRef[realDir.size()]))
    return emitError(loc) << "tensor '" << tensor.name()
                          << "': external data location '" << location
                          << "' escapes the model's directory";
  uint64_t fileSize = 0;
  if (llvm::sys::fs::file_size(realFile, fileSize) || offset > fileSize)
    return emitError(loc) << "tensor '" << tensor.name()
                          << "': external data offset " << offset
                          << " is past the end of '" << location << "'";
  uint64_t size = length.value_or(fileSize - offset);
  if (offset + size > fileSize)
    return emitError(loc) << "tensor '" << tensor.name() << "': external data "
                          << "range [" << offset << ", " << offset + size
                          << ") is past the end of '" << location << "' ("
                          << fileSize << " bytes)";
  auto buffer = llvm::MemoryBuffer::getFileSlice(realFile, size, offset);
  if (!buffer)
    return emitError(loc) << "tensor '" << tensor.name()
                          << "': cannot read external data '" << location
                          << "': " << buffer.getError().message();
  return (*buffer)->getBuffer().str();
}

/// Packs the typed repeated fields of `tensor` into little-endian bytes of
/// `elementBytes` each.
static std::string packTypedFields(const onnx::TensorProto &tensor,
                                   unsigned elementBytes) {
  std::string bytes;
  auto append = [&](auto value) {
    bytes.append(reinterpret_cast<const char *>(&value), elementBytes);
  };
  switch (tensor.data_type()) {
  case onnx::TensorProto::FLOAT:
    for (float v : tensor.float_data())
      append(v);
    break;
  case onnx::TensorProto::DOUBLE:
    for (double v : tensor.double_data())
      append(v);
    break;
  case onnx::TensorProto::INT64:
    for (int64_t v : tensor.int64_data())
      append(v);
    break;
  case onnx::TensorProto::UINT32:
  case onnx::TensorProto::UINT64:
    for (uint64_t v : tensor.uint64_data())
      append(v);
    break;
  default:
    // INT8/16/32, UINT8/16, BOOL, FLOAT16 and BFLOAT16 live in int32_data;
    // appending the low bytes of each is right on little-endian hosts.
    for (int32_t v : tensor.int32_data())
      append(v);
    break;
  }
  return bytes;
}

FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                      MLIRContext *context, StringRef modelDir,
                                      Location loc) {
  Type elementType = convertElementType(context, tensor.data_type());
  if (!elementType)
    return emitError(loc) << "tensor '" << tensor.name() << "' has type "
                          << onnxTypeName(tensor.data_type())
                          << ", which is not supported";
  SmallVector<int64_t> shape;
  int64_t count = 1;
  for (int64_t dim : tensor.dims()) {
    if (dim < 0)
      return emitError(loc) << "tensor '" << tensor.name()
                            << "' has negative dim " << dim;
    shape.push_back(dim);
    count *= dim;
  }
  auto type = RankedTensorType::get(shape, elementType);
  unsigned bitWidth = elementType.getIntOrFloatBitWidth();
  unsigned elementBytes = bitWidth == 1 ? 1 : bitWidth / 8;

  std::string external;
  StringRef bytes;
  std::string packed;
  if (tensor.data_location() == onnx::TensorProto::EXTERNAL) {
    FailureOr<std::string> data = readExternalData(tensor, modelDir, loc);
    if (failed(data))
      return failure();
    external = std::move(*data);
    bytes = external;
  } else if (tensor.has_raw_data()) {
    bytes = tensor.raw_data();
  } else {
    packed = packTypedFields(tensor, elementBytes);
    bytes = packed;
  }
  if (static_cast<int64_t>(bytes.size()) != count * elementBytes)
    return emitError(loc) << "tensor '" << tensor.name() << "' holds "
                          << bytes.size() << " bytes of data, expected "
                          << count * elementBytes << " for " << count
                          << " elements of " << onnxTypeName(tensor.data_type());

  if (bitWidth == 1) {
    SmallVector<bool> values;
    for (char byte : bytes)
      values.push_back(byte != 0);
    return cast<ElementsAttr>(DenseElementsAttr::get(type, values));
  }
  return elementsFromBytes(type, ArrayRef<char>(bytes.data(), bytes.size()),
                           tensor.name().empty() ? "onnx_tensor"
                                                 : tensor.name());
}

ElementsAttr elementsFromBytes(RankedTensorType type, ArrayRef<char> bytes,
                               StringRef name) {
  int64_t count = type.getNumElements();
  bool isIndex = isa<IntegerType>(type.getElementType()) &&
                 type.getElementTypeBitWidth() >= 32;
  if (count <= kMaxInlineElements ||
      (isIndex && count <= kMaxInlineIndexElements))
    return cast<ElementsAttr>(DenseElementsAttr::getFromRawBuffer(type, bytes));
  return cast<ElementsAttr>(DenseResourceElementsAttr::get(
      type, name,
      HeapAsmResourceBlob::allocateAndCopyWithAlign(bytes, /*align=*/16)));
}

} // namespace mlir::paso::onnx_import
