//===- OnnxImporter.cpp - ONNX ModelProto to the paso dialect -------------===//
//
// Reads and validates the model file, then imports its main graph: inputs
// (with static shapes), initializers, nodes in order, outputs. Unsupported
// ops are collected over the whole graph first so one error lists them all.
//
//===----------------------------------------------------------------------===//

#include "paso/Import/OnnxImporter.h"

#include "NodeImporter.h"
#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <functional>

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <limits>

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::onnx_import;

/// Prefix of the op-type part of a node location, `onnx.Conv`.
static constexpr llvm::StringLiteral kOpTypePrefix = "onnx.";

void mlir::paso::registerOnnxImportDialects(DialectRegistry &registry) {
  registry.insert<PasoDialect, func::FuncDialect>();
}

llvm::Expected<std::pair<std::string, SmallVector<int64_t>>>
mlir::paso::parseInputShape(StringRef text) {
  size_t colon = text.rfind(':');
  if (colon == StringRef::npos || colon == 0)
    return llvm::createStringError(
        "--input-shape expects NAME:DIMS such as data:1x3x224x224, got '" +
        text + "'");
  std::string name = text.take_front(colon).str();
  SmallVector<int64_t> dims;
  SmallVector<StringRef> parts;
  // `name:` with no dims is a scalar.
  if (colon + 1 == text.size())
    return std::make_pair(name, dims);
  text.drop_front(colon + 1).split(parts, 'x');
  for (StringRef part : parts) {
    int64_t dim = 0;
    if (part.getAsInteger(10, dim) || dim < 0)
      return llvm::createStringError("--input-shape '" + text +
                                     "': bad dim '" + part + "'");
    dims.push_back(dim);
  }
  return std::make_pair(name, dims);
}

std::vector<std::string> mlir::paso::describeOnnxNodes(Location loc) {
  std::vector<std::string> nodes;
  std::function<void(Location)> collect = [&](Location inner) {
    if (auto fused = dyn_cast<FusedLoc>(inner)) {
      for (Location member : fused.getLocations())
        collect(member);
      return;
    }
    std::string node = describeOnnxLocation(inner);
    if (!node.empty() && !llvm::is_contained(nodes, node))
      nodes.push_back(node);
  };
  collect(loc);
  return nodes;
}

std::string mlir::paso::describeOnnxLocation(Location loc) {
  auto nameLoc = dyn_cast<NameLoc>(loc);
  if (!nameLoc)
    return "";
  auto typeLoc = dyn_cast<NameLoc>(nameLoc.getChildLoc());
  if (!typeLoc || !typeLoc.getName().strref().starts_with(kOpTypePrefix))
    return "";
  return ("node '" + nameLoc.getName().strref() + "' (" +
          typeLoc.getName().strref().drop_front(kOpTypePrefix.size()) + ")")
      .str();
}

void mlir::paso::printSupportedOnnxOps(llvm::raw_ostream &os) {
  os << "| ONNX op | opsets |\n|---|---|\n";
  ArrayRef<OpConverter> converters = getOpConverters();
  for (size_t i = 0; i < converters.size(); ++i) {
    const OpConverter &converter = converters[i];
    if (i > 0 && converters[i - 1].opType == converter.opType)
      continue;
    // Ops of other domains are versioned by their own opset.
    if (converter.opType.contains('.')) {
      os << "| " << converter.opType << " | " << converter.sinceVersion
         << " (its domain's opset) |\n";
      continue;
    }
    // Converters for one op type are sorted by version; the oldest bounds
    // the range (the newest runs to kMaxOnnxOpset).
    os << "| " << converter.opType << " | "
       << std::max(converter.sinceVersion, kMinOnnxOpset) << "-"
       << kMaxOnnxOpset << " |\n";
  }
}

namespace {

/// Imports one ModelProto.
class ModelImporter {
public:
  ModelImporter(MLIRContext &context, StringRef path,
                const OnnxImportOptions &options)
      : context(context), path(path), options(options),
        fileLoc(FileLineColLoc::get(&context, path, 0, 0)) {
    modelDir = llvm::sys::path::parent_path(path).str();
  }

  OwningOpRef<ModuleOp> run();

  /// `--check`: keep importing after a bad node and count what happened.
  bool keepGoing = false;
  OnnxCheckResult check;
  /// Under --check, the outputs of nodes that failed or were skipped.
  llvm::StringSet<> failedValues;

private:
  LogicalResult load();
  LogicalResult checkVersions();
  LogicalResult checkSupported();
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &info);
  LogicalResult checkOutput(const onnx::ValueInfoProto &info, Value value);
  Location nodeLocation(const onnx::NodeProto &node, int index);
  void setModuleAttributes(ModuleOp module,
                           ArrayRef<const onnx::ValueInfoProto *> inputs);

  /// Converts `graph`'s nodes, in order, defining their outputs in `values`.
  LogicalResult importNodes(const onnx::GraphProto &graph, OpBuilder &builder,
                            ValueMap &values, MissingOutputMap &missingOutputs);
  /// Converts one node at `loc`.
  LogicalResult importNode(const onnx::NodeProto &node, Location loc,
                           OpBuilder &builder, ValueMap &values,
                           MissingOutputMap &missingOutputs);
  /// Imports a subgraph of the node at `loc` (see NodeImporter).
  FailureOr<SmallVector<Value>>
  importSubgraph(const onnx::GraphProto &graph, Location loc,
                 OpBuilder &builder, const ValueMap &outer,
                 const MissingOutputMap &outerMissing, ValueRange inputs);

  /// The opset version the model imports for the node's domain.
  int64_t domainOpset(const onnx::NodeProto &node) const;

  MLIRContext &context;
  StringRef path;
  const OnnxImportOptions &options;
  Location fileLoc;
  std::string modelDir;
  onnx::ModelProto model;
  int64_t opset = 0;
};

} // namespace

LogicalResult ModelImporter::load() {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return emitError(fileLoc) << "cannot open '" << path
                              << "': " << buffer.getError().message();
  StringRef bytes = (*buffer)->getBuffer();
  google::protobuf::io::ArrayInputStream stream(bytes.data(), bytes.size());
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(std::numeric_limits<int>::max());
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage())
    return emitError(fileLoc)
           << "'" << path
           << "' is not a valid ONNX model: protobuf parsing failed (the file "
              "is truncated or not an ONNX file)";
  if (model.ir_version() <= 0 || !model.has_graph())
    return emitError(fileLoc) << "'" << path
                              << "' is not an ONNX model: it has no "
                                 "ir_version or no graph";
  return success();
}

LogicalResult ModelImporter::checkVersions() {
  if (model.ir_version() > kMaxOnnxIrVersion)
    return emitError(fileLoc) << "ONNX IR version " << model.ir_version()
                              << " is newer than the newest supported ("
                              << kMaxOnnxIrVersion << ")";
  for (const onnx::OperatorSetIdProto &entry : model.opset_import())
    if (entry.domain().empty() || entry.domain() == "ai.onnx")
      opset = entry.version();
  if (opset == 0)
    return emitError(fileLoc) << "the model imports no default-domain opset";
  if (opset > kMaxOnnxOpset)
    return emitError(fileLoc) << "opset " << opset
                              << " is newer than the newest supported ("
                              << kMaxOnnxOpset << ")";
  if (opset < kMinOnnxOpset)
    return emitError(fileLoc) << "opset " << opset
                              << " is older than the oldest supported ("
                              << kMinOnnxOpset << ")";
  return success();
}

int64_t ModelImporter::domainOpset(const onnx::NodeProto &node) const {
  if (node.domain().empty() || node.domain() == "ai.onnx")
    return opset;
  for (const onnx::OperatorSetIdProto &entry : model.opset_import())
    if (entry.domain() == node.domain())
      return entry.version();
  // ONNX Runtime's exporters sometimes omit the com.microsoft import.
  return 1;
}

Location mlir::paso::onnxNodeLocation(MLIRContext &context,
                                     llvm::StringRef name,
                                     llvm::StringRef opType) {
  Location typeLoc =
      NameLoc::get(StringAttr::get(&context, (kOpTypePrefix + opType).str()));
  return NameLoc::get(StringAttr::get(&context, name), typeLoc);
}

Location ModelImporter::nodeLocation(const onnx::NodeProto &node, int index) {
  std::string name =
      node.name().empty() ? "#" + std::to_string(index) : node.name();
  return onnxNodeLocation(context, name, node.op_type());
}

/// Calls `fn` on every node of `graph` and of the subgraphs its nodes hold
/// (If branches, Loop and Scan bodies), with the node's index in its graph.
static void walkNodes(
    const onnx::GraphProto &graph,
    llvm::function_ref<void(const onnx::NodeProto &, int)> fn) {
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    fn(node, index);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      if (attr.has_g())
        walkNodes(attr.g(), fn);
      for (const onnx::GraphProto &subgraph : attr.graphs())
        walkNodes(subgraph, fn);
    }
  }
}

LogicalResult ModelImporter::checkSupported() {
  SmallVector<std::string> unsupported;
  walkNodes(model.graph(), [&](const onnx::NodeProto &node, int index) {
    std::string where = describeOnnxLocation(nodeLocation(node, index));
    if (lookupConverter(converterKey(node), domainOpset(node)))
      return;
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      unsupported.push_back(where + " from domain '" + node.domain() + "'");
      return;
    }
    std::optional<int64_t> oldest = oldestSupportedOpset(node.op_type());
    unsupported.push_back(
        where + (oldest ? " (supported from opset " + std::to_string(*oldest) +
                              ", the model uses " + std::to_string(opset) + ")"
                        : std::string()));
  });
  if (unsupported.empty() || keepGoing)
    return success();
  InFlightDiagnostic diag = emitError(fileLoc);
  diag << unsupported.size() << " node(s) use unsupported ops:";
  for (const std::string &entry : unsupported)
    diag << "\n  " << entry;
  return diag;
}

FailureOr<RankedTensorType>
ModelImporter::inputType(const onnx::ValueInfoProto &info) {
  Location loc = NameLoc::get(StringAttr::get(&context, info.name()), fileLoc);
  if (!info.type().has_tensor_type())
    return emitError(loc) << "input '" << info.name()
                          << "' is not a tensor (sequences, maps and optionals "
                             "are not supported)";
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  Type element = convertElementType(&context, tensor.elem_type());
  if (!element)
    return emitError(loc) << "input '" << info.name() << "' has element type "
                          << onnxTypeName(tensor.elem_type())
                          << ", which is not supported";
  auto override = options.inputShapes.find(info.name());
  if (override != options.inputShapes.end()) {
    if (tensor.has_shape() &&
        static_cast<size_t>(tensor.shape().dim_size()) !=
            override->second.size())
      return emitError(loc) << "--input-shape gives input '" << info.name()
                            << "' rank " << override->second.size()
                            << " but the model declares rank "
                            << tensor.shape().dim_size();
    return RankedTensorType::get(override->second, element);
  }
  if (!tensor.has_shape())
    return emitError(loc) << "input '" << info.name()
                          << "' has no shape; give one with --input-shape="
                          << info.name() << ":DIMS";
  SmallVector<int64_t> shape;
  for (auto [d, dim] : llvm::enumerate(tensor.shape().dim())) {
    if (dim.has_dim_value() && dim.dim_value() > 0) {
      shape.push_back(dim.dim_value());
      continue;
    }
    std::string symbol =
        dim.has_dim_param() ? "'" + dim.dim_param() + "'" : "unnamed";
    if (d == 0) {
      emitRemark(loc) << "input '" << info.name() << "' dim 0 ("
                      << symbol
                      << ") is symbolic; using batch size 1 (override with "
                         "--input-shape)";
      shape.push_back(1);
      continue;
    }
    return emitError(loc) << "input '" << info.name() << "' dim " << d << " ("
                          << symbol
                          << ") is symbolic; give a static shape with "
                             "--input-shape="
                          << info.name() << ":DIMS";
  }
  return RankedTensorType::get(shape, element);
}

LogicalResult ModelImporter::checkOutput(const onnx::ValueInfoProto &info,
                                         Value value) {
  if (!info.type().has_tensor_type())
    return success();
  const onnx::TypeProto::Tensor &tensor = info.type().tensor_type();
  auto type = cast<RankedTensorType>(value.getType());
  Location loc = NameLoc::get(StringAttr::get(&context, info.name()), fileLoc);
  if (type.hasStaticShape() && type.getNumElements() == 0)
    return emitError(loc) << "output '" << info.name()
                          << "' has no elements (a dim of size 0); PASO "
                             "compiles only models with non-empty outputs";
  Type declared = convertElementType(&context, tensor.elem_type());
  if (tensor.elem_type() != 0 && declared != type.getElementType())
    return emitError(loc) << "output '" << info.name() << "' is declared as "
                          << onnxTypeName(tensor.elem_type())
                          << " but computes " << type.getElementType();
  if (!tensor.has_shape())
    return success();
  bool agrees = tensor.shape().dim_size() == type.getRank();
  for (int d = 0; agrees && d < tensor.shape().dim_size(); ++d) {
    const auto &dim = tensor.shape().dim(d);
    if (dim.has_dim_value() && dim.dim_value() > 0 &&
        dim.dim_value() != type.getDimSize(d))
      agrees = false;
  }
  if (agrees)
    return success();
  std::string declaredShape;
  for (int d = 0; d < tensor.shape().dim_size(); ++d) {
    const auto &dim = tensor.shape().dim(d);
    declaredShape += (d ? "x" : "") + (dim.has_dim_value()
                                           ? std::to_string(dim.dim_value())
                                           : std::string("?"));
  }
  std::string computed;
  llvm::raw_string_ostream os(computed);
  llvm::interleave(type.getShape(), os, "x");
  return emitError(loc) << "output '" << info.name() << "' is declared as "
                        << declaredShape << " but the graph computes "
                        << computed;
}

void ModelImporter::setModuleAttributes(
    ModuleOp module, ArrayRef<const onnx::ValueInfoProto *> inputs) {
  Builder b(&context);
  SmallVector<NamedAttribute> opsets;
  for (const onnx::OperatorSetIdProto &entry : model.opset_import())
    opsets.push_back(b.getNamedAttr(
        entry.domain().empty() ? "ai.onnx" : entry.domain(),
        b.getI64IntegerAttr(entry.version())));
  SmallVector<Attribute> inputNames, outputNames;
  for (const onnx::ValueInfoProto *info : inputs)
    inputNames.push_back(b.getStringAttr(info->name()));
  for (const onnx::ValueInfoProto &info : model.graph().output())
    outputNames.push_back(b.getStringAttr(info.name()));
  module->setAttr("paso.onnx.ir_version", b.getI64IntegerAttr(model.ir_version()));
  module->setAttr("paso.onnx.producer",
                  b.getStringAttr(model.producer_name() +
                                  (model.producer_version().empty()
                                       ? ""
                                       : " " + model.producer_version())));
  module->setAttr("paso.onnx.opsets", b.getDictionaryAttr(opsets));
  module->setAttr("paso.onnx.graph_name",
                  b.getStringAttr(model.graph().name()));
  module->setAttr("paso.onnx.input_names", b.getArrayAttr(inputNames));
  module->setAttr("paso.onnx.output_names", b.getArrayAttr(outputNames));
  if (model.metadata_props_size() > 0) {
    SmallVector<NamedAttribute> props;
    for (const onnx::StringStringEntryProto &entry : model.metadata_props())
      props.push_back(
          b.getNamedAttr(entry.key(), b.getStringAttr(entry.value())));
    module->setAttr("paso.onnx.metadata", b.getDictionaryAttr(props));
  }
}

LogicalResult ModelImporter::importNodes(const onnx::GraphProto &graph,
                                         OpBuilder &builder, ValueMap &values,
                                         MissingOutputMap &missingOutputs) {
  for (auto [index, node] : llvm::enumerate(graph.node())) {
    Location loc = nodeLocation(node, index);
    ++check.nodes;
    // Under --check a node fed by a failed one cannot be checked: it is
    // skipped quietly, and its outputs skip their users in turn.
    bool fedByFailure =
        keepGoing && llvm::any_of(node.input(), [&](const std::string &in) {
          return failedValues.contains(in);
        });
    if (!fedByFailure &&
        succeeded(importNode(node, loc, builder, values, missingOutputs)))
      continue;
    if (!keepGoing)
      return failure();
    ++(fedByFailure ? check.skipped : check.failed);
    for (const std::string &out : node.output())
      failedValues.insert(out);
  }
  return success();
}

LogicalResult ModelImporter::importNode(const onnx::NodeProto &node,
                                        Location loc, OpBuilder &builder,
                                        ValueMap &values,
                                        MissingOutputMap &missingOutputs) {
  const OpConverter *converter =
      lookupConverter(converterKey(node), domainOpset(node));
  if (!converter) {
    std::optional<int64_t> oldest = oldestSupportedOpset(node.op_type());
    InFlightDiagnostic diag = emitError(loc);
    diag << "op " << converterKey(node) << " is not supported";
    if (oldest && (node.domain().empty() || node.domain() == "ai.onnx"))
      diag << " at opset " << opset << " (supported from opset " << *oldest
           << ")";
    return diag;
  }
  for (const std::string &input : node.input()) {
    auto missing = missingOutputs.find(input);
    if (missing != missingOutputs.end())
      return emitError(loc) << "input '" << input << "' is " << missing->second
                            << ", which the importer does not support";
    if (!input.empty() && !values.count(input))
      return emitError(loc)
             << "input '" << input
             << "' is not defined by an earlier node, an initializer or a "
                "graph input (the graph is not topologically sorted, or the "
                "file is truncated)";
  }
  NodeImporter importer(node, opset, loc, builder, values, missingOutputs,
                        modelDir);
  importer.importSubgraph = [&](const onnx::GraphProto &subgraph,
                                ValueRange inputs) {
    return importSubgraph(subgraph, loc, builder, values, missingOutputs,
                          inputs);
  };
  return convertNode(importer, *converter);
}

FailureOr<SmallVector<Value>> ModelImporter::importSubgraph(
    const onnx::GraphProto &graph, Location loc, OpBuilder &builder,
    const ValueMap &outer, const MissingOutputMap &outerMissing,
    ValueRange inputs) {
  // A copy of the enclosing scope: the subgraph sees its names, but its own
  // names do not leak out (an unrolled loop body defines them each time).
  ValueMap values = outer;
  MissingOutputMap missingOutputs = outerMissing;
  if (static_cast<size_t>(graph.input_size()) != inputs.size())
    return emitError(loc) << "subgraph '" << graph.name() << "' takes "
                          << graph.input_size() << " inputs, the node gives "
                          << inputs.size();
  for (auto [info, value] : llvm::zip(graph.input(), inputs))
    values[info.name()] = value;
  for (const onnx::TensorProto &init : graph.initializer()) {
    Location initLoc = NameLoc::get(builder.getStringAttr(init.name()));
    FailureOr<ElementsAttr> value =
        convertTensor(init, &context, modelDir, initLoc);
    if (failed(value))
      return failure();
    values[init.name()] = ConstantOp::create(builder, initLoc, *value);
  }
  if (failed(importNodes(graph, builder, values, missingOutputs)))
    return failure();
  if (keepGoing && check.failed + check.skipped > 0)
    return {};
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    Value value = values.lookup(info.name());
    if (!value)
      return emitError(loc) << "subgraph '" << graph.name() << "' output '"
                            << info.name() << "' is not computed by any node";
    results.push_back(value);
  }
  return results;
}

OwningOpRef<ModuleOp> ModelImporter::run() {
  if (failed(load()) || failed(checkVersions()) || failed(checkSupported()))
    return {};
  const onnx::GraphProto &graph = model.graph();
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  OpBuilder builder(&context);
  ValueMap values;
  MissingOutputMap missingOutputs;

  // Inputs: graph inputs that are not initializers (IR < 4 lists both).
  llvm::StringSet<> initializerNames;
  for (const onnx::TensorProto &init : graph.initializer())
    initializerNames.insert(init.name());
  for (const auto &entry : options.inputShapes)
    if (llvm::none_of(graph.input(), [&](const onnx::ValueInfoProto &info) {
          return info.name() == entry.getKey() &&
                 !initializerNames.contains(info.name());
        })) {
      emitError(fileLoc) << "--input-shape names '" << entry.getKey()
                         << "', which is not an input of the model";
      return {};
    }
  SmallVector<const onnx::ValueInfoProto *> inputs;
  SmallVector<Type> inputTypes;
  for (const onnx::ValueInfoProto &info : graph.input()) {
    if (initializerNames.contains(info.name()))
      continue;
    FailureOr<RankedTensorType> type = inputType(info);
    if (failed(type))
      return {};
    inputs.push_back(&info);
    inputTypes.push_back(*type);
  }

  setModuleAttributes(*module, inputs);
  builder.setInsertionPointToEnd(module->getBody());
  auto func = func::FuncOp::create(builder, fileLoc, "main",
                                   builder.getFunctionType(inputTypes, {}));
  Block *body = func.addEntryBlock();
  builder.setInsertionPointToStart(body);
  for (auto [i, info] : llvm::enumerate(inputs)) {
    BlockArgument arg = body->getArgument(i);
    arg.setLoc(NameLoc::get(builder.getStringAttr(info->name())));
    func.setArgAttr(i, "paso.name", builder.getStringAttr(info->name()));
    values[info->name()] = arg;
  }

  for (const onnx::TensorProto &init : graph.initializer()) {
    Location loc = NameLoc::get(builder.getStringAttr(init.name()));
    FailureOr<ElementsAttr> value =
        convertTensor(init, &context, modelDir, loc);
    if (failed(value))
      return {};
    values[init.name()] = ConstantOp::create(builder, loc, *value);
  }

  if (failed(importNodes(graph, builder, values, missingOutputs)))
    return {};

  if (keepGoing && check.failed + check.skipped > 0)
    return {};
  SmallVector<Value> results;
  for (const onnx::ValueInfoProto &info : graph.output()) {
    Value value = values.lookup(info.name());
    if (missingOutputs.count(info.name())) {
      emitError(fileLoc) << "graph output '" << info.name() << "' is "
                         << missingOutputs.lookup(info.name())
                         << ", which the importer does not support";
      return {};
    }
    if (!value) {
      emitError(fileLoc) << "graph output '" << info.name()
                         << "' is not computed by any node";
      return {};
    }
    // Quantised values leave the model as their integer storage.
    value = storageOf(builder, fileLoc, value);
    if (failed(checkOutput(info, value)))
      return {};
    results.push_back(value);
  }
  func::ReturnOp::create(builder, fileLoc, results);
  func.setType(builder.getFunctionType(inputTypes, ValueRange(results).getTypes()));
  for (auto [i, info] : llvm::enumerate(graph.output()))
    func.setResultAttr(i, "paso.name", builder.getStringAttr(info.name()));
  return module;
}

OnnxCheckResult mlir::paso::checkOnnxModel(StringRef path,
                                           MLIRContext &context,
                                           const OnnxImportOptions &options) {
  context.loadDialect<PasoDialect, func::FuncDialect>();
  ModelImporter importer(context, path, options);
  importer.keepGoing = true;
  OwningOpRef<ModuleOp> module = importer.run();
  OnnxCheckResult result = importer.check;
  // A clean import that still failed stopped at the model itself.
  result.modelError = !module && result.failed == 0 && result.skipped == 0;
  return result;
}

OwningOpRef<ModuleOp>
mlir::paso::importOnnxModel(StringRef path, MLIRContext &context,
                            const OnnxImportOptions &options) {
  context.loadDialect<PasoDialect, func::FuncDialect>();
  return ModelImporter(context, path, options).run();
}
