//===- NodeImporter.h - per-node view used by op converters -----*- C++ -*-===//
//
// A converter turns one ONNX NodeProto into paso ops through this class: it
// reads attributes with ONNX defaults, fetches inputs (constant ones as
// plain numbers), creates ops with inferred result types -- failing with a
// diagnostic at the node instead of asserting -- and binds the node outputs.
//
//===----------------------------------------------------------------------===//

#ifndef PASO_LIB_IMPORT_ONNX_NODEIMPORTER_H
#define PASO_LIB_IMPORT_ONNX_NODEIMPORTER_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "llvm/ADT/StringMap.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <optional>

namespace mlir::paso::onnx_import {

/// Names of the values defined so far in the graph being imported.
using ValueMap = llvm::StringMap<Value>;
/// Node outputs the importer does not produce (Dropout's mask, MaxPool's
/// indices), mapped to a description of their producer. Only a use is an
/// error.
using MissingOutputMap = llvm::StringMap<std::string>;

/// Maps an ONNX TensorProto data type to an MLIR element type; null for
/// types the importer does not handle (strings, complex, 4/8-bit floats).
Type convertElementType(MLIRContext *context, int32_t onnxType);

/// The ONNX spelling of a data type, for diagnostics.
std::string onnxTypeName(int32_t onnxType);

/// Converts a TensorProto (initializer, Constant or attribute) to an
/// elements attribute, reading external data relative to `modelDir`. Large
/// tensors become `dense_resource` blobs so textual IR stays small.
FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor,
                                      MLIRContext *context,
                                      llvm::StringRef modelDir, Location loc);

/// An elements attribute of `type` over little-endian `bytes` (at least
/// 8-bit elements), stored as `convertTensor` stores initializers: inline
/// when small, otherwise a resource blob named `name`.
ElementsAttr elementsFromBytes(RankedTensorType type, ArrayRef<char> bytes,
                               llvm::StringRef name);

class NodeImporter {
public:
  NodeImporter(const onnx::NodeProto &node, int64_t opset, Location loc,
               OpBuilder &builder, ValueMap &values,
               MissingOutputMap &missingOutputs, llvm::StringRef modelDir)
      : node(node), opset(opset), loc(loc), builder(builder), values(values),
        missingOutputs(missingOutputs), modelDir(modelDir) {}

  const onnx::NodeProto &node;
  /// The default-domain opset the model imports.
  const int64_t opset;
  const Location loc;
  OpBuilder &builder;

  MLIRContext *getContext() const { return builder.getContext(); }
  InFlightDiagnostic emitError() const { return mlir::emitError(loc); }

  //===--- Inputs ----------------------------------------------------------===//

  /// Number of inputs listed, including trailing empty (absent) ones.
  size_t numInputs() const { return node.input_size(); }
  /// Input `i`, or null when absent (not listed or an empty name).
  Value input(size_t i) const;
  /// Input `i`; emits an error naming `what` when it is absent.
  FailureOr<Value> requiredInput(size_t i, llvm::StringRef what) const;
  /// The ranked type of a present input.
  RankedTensorType inputType(size_t i) const;

  /// Input `i` as integers; it must be constant after import-time folding.
  FailureOr<SmallVector<int64_t>> constantInts(size_t i,
                                               llvm::StringRef what) const;
  /// Integers that older opsets give as attribute `name` and opsets from
  /// `inputSince` on as the optional constant input `i`; empty when absent.
  FailureOr<SmallVector<int64_t>> intsFromAttrOrInput(llvm::StringRef name,
                                                      int64_t inputSince,
                                                      size_t i) const;
  /// Input `i` as doubles (float or integer constant).
  FailureOr<SmallVector<double>> constantFloats(size_t i,
                                                llvm::StringRef what) const;

  //===--- Attributes (ONNX defaults supplied by the caller) ----------------===//

  const onnx::AttributeProto *attribute(llvm::StringRef name) const;
  bool has(llvm::StringRef name) const { return attribute(name); }
  int64_t getInt(llvm::StringRef name, int64_t defaultValue) const;
  float getFloat(llvm::StringRef name, float defaultValue) const;
  std::string getString(llvm::StringRef name,
                        llvm::StringRef defaultValue) const;
  SmallVector<int64_t> getInts(llvm::StringRef name) const;
  SmallVector<float> getFloats(llvm::StringRef name) const;

  //===--- Results ---------------------------------------------------------===//

  /// Builds `OpTy` with inferred result types. On a shape or type error the
  /// diagnostic is reported at the node and failure returned. Ops whose
  /// operands are all constants are folded on the spot, which evaluates the
  /// shape arithmetic of exported models.
  template <typename OpTy>
  FailureOr<SmallVector<Value>> create(ValueRange operands,
                                       ArrayRef<NamedAttribute> attrs = {}) {
    SmallVector<Type> types;
    OperationState state(loc, OpTy::getOperationName());
    state.addOperands(operands);
    state.addAttributes(attrs);
    // Inherent attributes live in the op's properties, which inference
    // reads; set them up as the generated builders do.
    if constexpr (!std::is_same_v<typename OpTy::Properties,
                                  EmptyProperties>) {
      auto *properties = &state.getOrAddProperties<typename OpTy::Properties>();
      if (failed(OpTy::setPropertiesFromAttr(
              *properties, state.attributes.getDictionary(getContext()),
              [&] { return emitError(); })))
        return failure();
    }
    if (failed(OpTy::inferReturnTypes(
            getContext(), loc, state.operands,
            state.attributes.getDictionary(getContext()),
            state.getRawProperties(), state.regions, types)))
      return failure();
    state.addTypes(types);
    return finishOp(builder.create(state));
  }

  /// As `create` for single-result ops.
  template <typename OpTy>
  FailureOr<Value> create1(ValueRange operands,
                           ArrayRef<NamedAttribute> attrs = {}) {
    FailureOr<SmallVector<Value>> results = create<OpTy>(operands, attrs);
    if (failed(results))
      return failure();
    return results->front();
  }

  /// A paso.constant holding `attr`.
  Value constant(ElementsAttr attr);
  /// A rank-1 i64 constant.
  Value constantI64(ArrayRef<int64_t> values);

  /// Binds the node's outputs, in order, to `results`. Outputs the node
  /// lists beyond `results` are recorded as missing; using one is an error.
  LogicalResult setOutputs(ValueRange results);

  /// Named attribute shorthands.
  NamedAttribute attr(llvm::StringRef name, Attribute value) const {
    return builder.getNamedAttr(name, value);
  }
  NamedAttribute i64Attr(llvm::StringRef name, int64_t value) const;
  NamedAttribute f32Attr(llvm::StringRef name, float value) const;
  NamedAttribute boolAttr(llvm::StringRef name, bool value) const;
  NamedAttribute arrayAttr(llvm::StringRef name,
                           ArrayRef<int64_t> values) const;
  NamedAttribute strAttr(llvm::StringRef name, llvm::StringRef value) const;

  /// Normalises a possibly negative axis against `rank`, or errors.
  FailureOr<int64_t> normalizeAxis(int64_t axis, int64_t rank,
                                   llvm::StringRef what = "axis") const;

  /// Converts a TensorProto (initializer or attribute) to an elements attr.
  FailureOr<ElementsAttr> convertTensor(const onnx::TensorProto &tensor) const;

  /// Runs the default-domain converter of `opType` on this node's
  /// attributes with `inputs` in place of its inputs and returns its first
  /// `numOutputs` outputs: how quantised ops reuse their float twins
  /// (QLinearAdd is Add between a dequantize and a quantize).
  FailureOr<SmallVector<Value>> convertAs(llvm::StringRef opType,
                                          ValueRange inputs,
                                          unsigned numOutputs);

  /// Imports a subgraph (an If branch, a Loop or Scan body) at the
  /// builder's insertion point with its inputs bound to `inputs` and the
  /// enclosing graphs' names visible; returns its outputs. Set by the
  /// model importer.
  std::function<FailureOr<SmallVector<Value>>(const onnx::GraphProto &,
                                              ValueRange inputs)>
      importSubgraph;

private:
  FailureOr<SmallVector<Value>> finishOp(Operation *op);

  ValueMap &values;
  MissingOutputMap &missingOutputs;
  llvm::StringRef modelDir;
};

/// A converter handles one ONNX op type from `sinceVersion` until the next
/// converter registered for the same type. Ops of other domains than the
/// default one are registered as `<domain>.<op type>` (for example
/// `com.microsoft.QLinearAdd`) with that domain's opset version.
using ConvertFn = LogicalResult (*)(NodeImporter &);
struct OpConverter {
  llvm::StringRef opType;
  int64_t sinceVersion;
  ConvertFn convert;
};

void appendMathConverters(SmallVectorImpl<OpConverter> &converters);
void appendNNConverters(SmallVectorImpl<OpConverter> &converters);
void appendTensorConverters(SmallVectorImpl<OpConverter> &converters);
void appendQuantConverters(SmallVectorImpl<OpConverter> &converters);
void appendActivationConverters(SmallVectorImpl<OpConverter> &converters);
void appendNormalizationConverters(SmallVectorImpl<OpConverter> &converters);
void appendLayoutConverters(SmallVectorImpl<OpConverter> &converters);
void appendConvConverters(SmallVectorImpl<OpConverter> &converters);
void appendConvTransposeConverters(SmallVectorImpl<OpConverter> &converters);
void appendControlFlowConverters(SmallVectorImpl<OpConverter> &converters);
void appendGeneratorConverters(SmallVectorImpl<OpConverter> &converters);
void appendIndexingConverters(SmallVectorImpl<OpConverter> &converters);
void appendQuantRecurrentConverters(SmallVectorImpl<OpConverter> &converters);
void appendRecurrentConverters(SmallVectorImpl<OpConverter> &converters);

/// Runs `converter` on the node. Nodes that are not quantisation-aware
/// but get quantised inputs (QOperator models run MaxPool, Reshape or
/// Concat on uint8 tensors) run on the dequantised values, and their float
/// outputs are quantised back to the first quantised input's type: exact
/// for the data-movement and max/min ops ONNX allows on integers.
LogicalResult convertNode(NodeImporter &node, const OpConverter &converter);

/// `value` itself, or its integer storage (`quant.scast`) when quantised:
/// ONNX values and graph outputs are plain integers.
Value storageOf(OpBuilder &builder, Location loc, Value value);

/// The registry key of a node's op: its type, prefixed by its domain
/// unless that is the default one.
std::string converterKey(const onnx::NodeProto &node);

/// Explicit strides, dilations and pads of a sliding-window node.
struct Window {
  SmallVector<int64_t> kernel, strides, dilations, pads;
};

/// Reads the window attributes of `node` for an input of `inputType` and
/// resolves `auto_pad` into explicit pads.
FailureOr<Window> readWindow(NodeImporter &node, RankedTensorType inputType,
                             ArrayRef<int64_t> kernel);

/// The axes a reduction node reduces (sorted, non-negative; every dim when
/// ONNX says so) and whether it keeps them.
struct ReduceAxes {
  SmallVector<int64_t> axes;
  bool keepdims;
};

/// Reads a reduction node's axes: an attribute until `axesInputSince`, then
/// the optional constant input 1.
FailureOr<ReduceAxes> readReduceAxes(NodeImporter &node,
                                     int64_t axesInputSince);

/// All converters, sorted by op type then version.
ArrayRef<OpConverter> getOpConverters();
/// The converter for `opType` at `opset`, or null.
const OpConverter *lookupConverter(llvm::StringRef opType, int64_t opset);
/// The oldest opset any converter of `opType` handles, or nullopt.
std::optional<int64_t> oldestSupportedOpset(llvm::StringRef opType);

} // namespace mlir::paso::onnx_import

#endif // PASO_LIB_IMPORT_ONNX_NODEIMPORTER_H
