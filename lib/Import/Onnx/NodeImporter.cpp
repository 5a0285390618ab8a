//===- NodeImporter.cpp - per-node view used by op converters -------------===//

#include "NodeImporter.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Import/OnnxImporter.h"

#include "mlir/IR/Matchers.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;

namespace mlir::paso::onnx_import {

Value NodeImporter::input(size_t i) const {
  if (i >= static_cast<size_t>(node.input_size()) || node.input(i).empty())
    return {};
  return values.lookup(node.input(i));
}

FailureOr<Value> NodeImporter::requiredInput(size_t i, StringRef what) const {
  if (Value value = input(i))
    return value;
  return emitError() << "missing required input " << i << " (" << what << ")";
}

RankedTensorType NodeImporter::inputType(size_t i) const {
  return cast<RankedTensorType>(input(i).getType());
}

/// The dense constant behind `value`, if any.
static DenseElementsAttr constantOf(Value value) {
  DenseElementsAttr attr;
  if (value && matchPattern(value, m_Constant(&attr)))
    return attr;
  return {};
}

FailureOr<SmallVector<int64_t>>
NodeImporter::constantInts(size_t i, StringRef what) const {
  DenseElementsAttr attr = constantOf(input(i));
  if (!attr || !isa<IntegerType>(attr.getElementType()))
    return emitError() << "input " << i << " (" << what
                       << ") must be an integer constant, or computable from "
                          "static shapes at import";
  SmallVector<int64_t> result;
  for (const APInt &value : attr.getValues<APInt>())
    result.push_back(attr.getElementType().isUnsignedInteger()
                         ? static_cast<int64_t>(value.getZExtValue())
                         : value.getSExtValue());
  return result;
}

FailureOr<SmallVector<int64_t>>
NodeImporter::intsFromAttrOrInput(StringRef name, int64_t inputSince,
                                  size_t i) const {
  if (opset < inputSince)
    return getInts(name);
  if (!input(i))
    return SmallVector<int64_t>();
  return constantInts(i, name);
}

FailureOr<SmallVector<double>>
NodeImporter::constantFloats(size_t i, StringRef what) const {
  DenseElementsAttr attr = constantOf(input(i));
  if (!attr)
    return emitError() << "input " << i << " (" << what
                       << ") must be a constant";
  SmallVector<double> result;
  if (isa<FloatType>(attr.getElementType())) {
    for (const APFloat &value : attr.getValues<APFloat>())
      result.push_back(value.convertToDouble());
  } else {
    for (const APInt &value : attr.getValues<APInt>())
      result.push_back(static_cast<double>(value.getSExtValue()));
  }
  return result;
}

const onnx::AttributeProto *NodeImporter::attribute(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

int64_t NodeImporter::getInt(StringRef name, int64_t defaultValue) const {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->i() : defaultValue;
}

float NodeImporter::getFloat(StringRef name, float defaultValue) const {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->f() : defaultValue;
}

std::string NodeImporter::getString(StringRef name,
                                    StringRef defaultValue) const {
  const onnx::AttributeProto *attr = attribute(name);
  return attr ? attr->s() : defaultValue.str();
}

SmallVector<int64_t> NodeImporter::getInts(StringRef name) const {
  const onnx::AttributeProto *attr = attribute(name);
  if (!attr)
    return {};
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

SmallVector<float> NodeImporter::getFloats(StringRef name) const {
  const onnx::AttributeProto *attr = attribute(name);
  if (!attr)
    return {};
  return SmallVector<float>(attr->floats().begin(), attr->floats().end());
}

FailureOr<SmallVector<Value>> NodeImporter::finishOp(Operation *op) {
  bool allConstant = llvm::all_of(op->getOperands(), [](Value operand) {
    return operand.getDefiningOp<ConstantOp>() != nullptr;
  });
  SmallVector<OpFoldResult> folded;
  if (!allConstant || op->getNumOperands() == 0 ||
      failed(op->fold(folded)) || folded.empty())
    return SmallVector<Value>(op->getResults());
  SmallVector<Value> results;
  for (auto [result, fold] : llvm::zip(op->getResults(), folded)) {
    if (auto value = dyn_cast<Value>(fold)) {
      results.push_back(value);
      continue;
    }
    auto elements = cast<ElementsAttr>(cast<Attribute>(fold));
    results.push_back(ConstantOp::create(builder, loc, elements));
  }
  if (llvm::any_of(results,
                   [&](Value value) { return value.getDefiningOp() == op; }))
    return SmallVector<Value>(op->getResults());
  op->erase();
  return results;
}

Value NodeImporter::constant(ElementsAttr attr) {
  return ConstantOp::create(builder, loc, attr);
}

Value NodeImporter::constantI64(ArrayRef<int64_t> data) {
  auto type = RankedTensorType::get({static_cast<int64_t>(data.size())},
                                    builder.getI64Type());
  return constant(cast<ElementsAttr>(DenseElementsAttr::get(type, data)));
}

LogicalResult NodeImporter::setOutputs(ValueRange results) {
  for (int i = 0, e = node.output_size(); i < e; ++i) {
    const std::string &name = node.output(i);
    if (name.empty())
      continue;
    if (static_cast<size_t>(i) >= results.size())
      missingOutputs[name] = "output " + std::to_string(i) + " of " +
                             describeOnnxLocation(loc);
    else
      values[name] = results[i];
  }
  return success();
}

NamedAttribute NodeImporter::i64Attr(StringRef name, int64_t value) const {
  return attr(name, builder.getI64IntegerAttr(value));
}
NamedAttribute NodeImporter::f32Attr(StringRef name, float value) const {
  return attr(name, builder.getF32FloatAttr(value));
}
NamedAttribute NodeImporter::boolAttr(StringRef name, bool value) const {
  return attr(name, builder.getBoolAttr(value));
}
NamedAttribute NodeImporter::arrayAttr(StringRef name,
                                       ArrayRef<int64_t> data) const {
  return attr(name, builder.getDenseI64ArrayAttr(data));
}
NamedAttribute NodeImporter::strAttr(StringRef name, StringRef value) const {
  return attr(name, builder.getStringAttr(value));
}

FailureOr<int64_t> NodeImporter::normalizeAxis(int64_t axis, int64_t rank,
                                               StringRef what) const {
  int64_t normalized = axis < 0 ? axis + rank : axis;
  if (normalized < 0 || normalized >= rank)
    return emitError() << what << " " << axis << " is out of range for rank "
                       << rank;
  return normalized;
}

FailureOr<ElementsAttr>
NodeImporter::convertTensor(const onnx::TensorProto &tensor) const {
  return onnx_import::convertTensor(tensor, getContext(), modelDir, loc);
}

FailureOr<SmallVector<Value>> NodeImporter::convertAs(StringRef opType,
                                                      ValueRange inputs,
                                                      unsigned numOutputs) {
  const OpConverter *converter = lookupConverter(opType, opset);
  if (!converter)
    return emitError() << "no converter for " << opType << " at opset "
                       << opset;
  // A node of its own whose inputs and outputs are names no ONNX graph
  // can use (they start with a NUL), bound for the converter's duration.
  onnx::NodeProto twin;
  twin.set_name(node.name());
  twin.set_op_type(opType.str());
  *twin.mutable_attribute() = node.attribute();
  std::string prefix(1, '\0');
  prefix += node.name();
  SmallVector<std::string> names;
  for (auto [i, value] : llvm::enumerate(inputs)) {
    names.push_back(prefix + ".in" + std::to_string(i));
    twin.add_input(value ? names.back() : std::string());
    if (value)
      values[names.back()] = value;
  }
  for (unsigned i = 0; i < numOutputs; ++i)
    twin.add_output(prefix + ".out" + std::to_string(i));
  NodeImporter importer(twin, opset, loc, builder, values, missingOutputs,
                        modelDir);
  importer.importSubgraph = importSubgraph;
  LogicalResult converted = converter->convert(importer);
  SmallVector<Value> results;
  for (unsigned i = 0; i < numOutputs; ++i)
    results.push_back(values.lookup(twin.output(i)));
  for (const std::string &name : names)
    values.erase(name);
  for (const std::string &name : twin.output())
    values.erase(name);
  if (failed(converted))
    return failure();
  if (llvm::any_of(results, [](Value v) { return !v; }))
    return emitError() << opType << " did not produce " << numOutputs
                       << " output(s)";
  return results;
}

std::string converterKey(const onnx::NodeProto &node) {
  if (node.domain().empty() || node.domain() == "ai.onnx")
    return node.op_type();
  return node.domain() + "." + node.op_type();
}

//===----------------------------------------------------------------------===//
// Converter registry
//===----------------------------------------------------------------------===//

/// All converters, sorted by op type then version.
static ArrayRef<OpConverter> allConverters() {
  static const SmallVector<OpConverter> converters = [] {
    SmallVector<OpConverter> list;
    appendMathConverters(list);
    appendNNConverters(list);
    appendTensorConverters(list);
    appendQuantConverters(list);
    appendActivationConverters(list);
    appendNormalizationConverters(list);
    appendLayoutConverters(list);
    appendConvConverters(list);
    appendConvTransposeConverters(list);
    appendControlFlowConverters(list);
    appendGeneratorConverters(list);
    appendIndexingConverters(list);
    appendQuantRecurrentConverters(list);
    appendRecurrentConverters(list);
    llvm::sort(list, [](const OpConverter &a, const OpConverter &b) {
      return std::make_pair(a.opType, a.sinceVersion) <
             std::make_pair(b.opType, b.sinceVersion);
    });
    return list;
  }();
  return converters;
}

const OpConverter *lookupConverter(StringRef opType, int64_t opset) {
  const OpConverter *best = nullptr;
  for (const OpConverter &converter : allConverters())
    if (converter.opType == opType && converter.sinceVersion <= opset)
      best = &converter;
  return best;
}

ArrayRef<OpConverter> getOpConverters() { return allConverters(); }

std::optional<int64_t> oldestSupportedOpset(StringRef opType) {
  for (const OpConverter &converter : allConverters())
    if (converter.opType == opType)
      return converter.sinceVersion;
  return std::nullopt;
}

} // namespace mlir::paso::onnx_import
