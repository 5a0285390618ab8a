//===- ControlFlowConverters.cpp - If, Loop and Scan ----------------------===//
//
// PASO compiles one static dataflow graph, so control flow is resolved at
// import:
//  - If with a condition known at import becomes its branch. Otherwise both
//    branches are imported and each output is selected with paso.where:
//    both run, which is correct because ONNX subgraphs have no side effects,
//    and it needs the branches' outputs to agree in type and shape.
//  - Loop and Scan are unrolled: the trip count (Loop's M, Scan's sequence
//    length) and every iteration's condition must be known at import, which
//    also makes the iteration number a constant that folds inside the body.
// Unrolling is capped so that a model with a huge loop gets an error, not
// a compile that never ends.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "paso/Dialect/Paso/IR/ConstantValues.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

/// Most iterations a Loop or Scan is unrolled to.
constexpr int64_t kMaxUnrolledIterations = 4096;

const onnx::GraphProto *graphAttribute(NodeImporter &node, StringRef name) {
  const onnx::AttributeProto *attr = node.attribute(name);
  return attr && attr->has_g() ? &attr->g() : nullptr;
}

/// A boolean known at import: the value of a one-element constant.
std::optional<bool> constantCondition(Value value) {
  std::optional<SmallVector<int64_t>> ints = readIntConstant(value);
  if (!ints || ints->size() != 1)
    return std::nullopt;
  return ints->front() != 0;
}

std::string typeString(Type type) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << type;
  return text;
}

LogicalResult convertIf(NodeImporter &node) {
  Composer c(node);
  Value condition = c.input(0, "cond");
  const onnx::GraphProto *thenBranch = graphAttribute(node, "then_branch");
  const onnx::GraphProto *elseBranch = graphAttribute(node, "else_branch");
  if (!condition)
    return failure();
  if (!thenBranch || !elseBranch)
    return node.emitError() << "If needs then_branch and else_branch graphs";
  if (Composer::typeOf(condition).getNumElements() != 1)
    return node.emitError() << "If condition must have one element";
  if (std::optional<bool> known = constantCondition(condition)) {
    FailureOr<SmallVector<Value>> taken =
        node.importSubgraph(*known ? *thenBranch : *elseBranch, {});
    return failed(taken) ? failure() : node.setOutputs(*taken);
  }
  FailureOr<SmallVector<Value>> thenValues =
      node.importSubgraph(*thenBranch, {});
  if (failed(thenValues))
    return failure();
  FailureOr<SmallVector<Value>> elseValues =
      node.importSubgraph(*elseBranch, {});
  if (failed(elseValues))
    return failure();
  if (thenValues->size() != elseValues->size())
    return node.emitError() << "If branches give " << thenValues->size()
                            << " and " << elseValues->size() << " outputs";
  SmallVector<Value> selected;
  for (auto [i, pair] : llvm::enumerate(llvm::zip(*thenValues, *elseValues))) {
    auto [t, e] = pair;
    if (t.getType() != e.getType())
      return node.emitError()
             << "If condition is known only at run time, so both branches "
                "are compiled and output "
             << i << " is selected between them; it needs one type, but the "
                     "branches give "
             << typeString(t.getType()) << " and " << typeString(e.getType());
    selected.push_back(c.op<WhereOp>({condition, t, e}));
  }
  return c.bind(selected);
}

/// `values` stacked along a new dim `axis`.
Value stack(Composer &c, ArrayRef<Value> values, int64_t axis) {
  SmallVector<Value> expanded;
  for (Value v : values) {
    if (!v)
      return {};
    SmallVector<int64_t> shape(Composer::shapeOf(v));
    if (axis > static_cast<int64_t>(shape.size()))
      return c.error("a scan output axis is out of range");
    shape.insert(shape.begin() + axis, 1);
    expanded.push_back(c.reshape(v, shape));
  }
  if (expanded.size() == 1)
    return expanded.front();
  return c.op<ConcatOp>(expanded, {c.node.i64Attr("axis", axis)});
}

Value i64Scalar(Composer &c, int64_t value) {
  return c.scalar(c.node.builder.getI64Type(), value);
}

LogicalResult convertLoop(NodeImporter &node) {
  Composer c(node);
  const onnx::GraphProto *body = graphAttribute(node, "body");
  if (!body)
    return node.emitError() << "Loop needs a body graph";
  std::optional<int64_t> tripCount;
  // PASO unrolls loops: the trip count and the first condition must be
  // known at import.
  if (node.input(0)) {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(0, "M");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return node.emitError() << "Loop trip count M must be a scalar";
    tripCount = given->front();
  }
  bool running = true;
  if (node.input(1)) {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "cond");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return node.emitError() << "Loop condition must be a scalar";
    running = given->front() != 0;
  }
  int64_t limit = tripCount.value_or(kMaxUnrolledIterations + 1);
  if (tripCount && *tripCount > kMaxUnrolledIterations)
    return node.emitError() << "Loop trip count " << *tripCount
                            << " exceeds the unrolling limit of "
                            << kMaxUnrolledIterations;
  SmallVector<Value> carried;
  for (size_t i = 2; i < node.numInputs(); ++i) {
    Value v = c.input(i, "v_initial");
    if (!v)
      return failure();
    carried.push_back(v);
  }
  int64_t numScans = body->output_size() - 1 - carried.size();
  if (numScans < 0)
    return node.emitError() << "Loop body has fewer outputs than loop-carried "
                               "values";
  std::vector<SmallVector<Value>> scans(numScans);
  Type i1 = node.builder.getI1Type();
  int64_t iteration = 0;
  for (; running && iteration < limit; ++iteration) {
    if (iteration == kMaxUnrolledIterations)
      return node.emitError() << "Loop runs past the unrolling limit of "
                              << kMaxUnrolledIterations << " iterations";
    SmallVector<Value> inputs{i64Scalar(c, iteration), c.scalar(i1, 1)};
    inputs.append(carried);
    FailureOr<SmallVector<Value>> outputs = node.importSubgraph(*body, inputs);
    if (failed(outputs))
      return failure();
    std::optional<bool> next = constantCondition(outputs->front());
    if (!next)
      return node.emitError() << "Loop condition of iteration " << iteration
                              << " depends on run-time values; PASO unrolls "
                                 "loops and needs it at import";
    running = *next;
    carried.assign(outputs->begin() + 1,
                   outputs->begin() + 1 + carried.size());
    for (int64_t k = 0; k < numScans; ++k)
      scans[k].push_back((*outputs)[1 + carried.size() + k]);
  }
  SmallVector<Value> results(carried);
  for (const SmallVector<Value> &scan : scans) {
    if (scan.empty())
      return node.emitError() << "Loop runs zero iterations, so its scan "
                                 "outputs would be empty";
    results.push_back(stack(c, scan, 0));
  }
  return c.bind(results);
}

LogicalResult convertScan(NodeImporter &node) {
  Composer c(node);
  const onnx::GraphProto *body = graphAttribute(node, "body");
  int64_t numScanInputs = node.getInt("num_scan_inputs", 0);
  int64_t numInputs = node.numInputs();
  if (!body || numScanInputs < 1 || numScanInputs > numInputs)
    return node.emitError() << "Scan needs a body and 1 <= num_scan_inputs <= "
                               "the number of inputs";
  int64_t numStates = numInputs - numScanInputs;
  int64_t numScanOutputs = body->output_size() - numStates;
  if (numScanOutputs < 0)
    return node.emitError() << "Scan body has fewer outputs than states";
  auto listOr = [&](StringRef name, int64_t size) {
    SmallVector<int64_t> v = node.getInts(name);
    if (v.empty())
      v.assign(size, 0);
    return v;
  };
  SmallVector<int64_t> inAxes = listOr("scan_input_axes", numScanInputs);
  SmallVector<int64_t> inDirs = listOr("scan_input_directions", numScanInputs);
  SmallVector<int64_t> outAxes = listOr("scan_output_axes", numScanOutputs);
  SmallVector<int64_t> outDirs =
      listOr("scan_output_directions", numScanOutputs);
  if (static_cast<int64_t>(inAxes.size()) != numScanInputs ||
      static_cast<int64_t>(inDirs.size()) != numScanInputs ||
      static_cast<int64_t>(outAxes.size()) != numScanOutputs ||
      static_cast<int64_t>(outDirs.size()) != numScanOutputs)
    return node.emitError() << "Scan axes and directions need one entry per "
                               "scan input and output";
  SmallVector<Value> states, sequences;
  for (int64_t i = 0; i < numInputs; ++i) {
    Value v = c.input(i, i < numStates ? "initial_state" : "scan_input");
    if (!v)
      return failure();
    (i < numStates ? states : sequences).push_back(v);
  }
  int64_t length = -1;
  for (auto [j, seq] : llvm::enumerate(sequences)) {
    FailureOr<int64_t> axis =
        node.normalizeAxis(inAxes[j], Composer::typeOf(seq).getRank(),
                           "scan_input_axes");
    if (failed(axis))
      return failure();
    inAxes[j] = *axis;
    int64_t size = Composer::shapeOf(seq)[*axis];
    if (length >= 0 && size != length)
      return node.emitError() << "Scan inputs have different lengths ("
                              << length << " and " << size << ")";
    length = size;
  }
  if (length > kMaxUnrolledIterations)
    return node.emitError() << "Scan length " << length
                            << " exceeds the unrolling limit of "
                            << kMaxUnrolledIterations;
  std::vector<SmallVector<Value>> outputs(numScanOutputs);
  for (int64_t t = 0; t < length; ++t) {
    SmallVector<Value> inputs(states);
    for (auto [j, seq] : llvm::enumerate(sequences)) {
      int64_t index = inDirs[j] ? length - 1 - t : t;
      SmallVector<int64_t> shape(Composer::shapeOf(seq));
      shape.erase(shape.begin() + inAxes[j]);
      inputs.push_back(
          c.reshape(c.sliceAxis(seq, inAxes[j], index, index + 1), shape));
    }
    if (c.hasFailed())
      return failure();
    FailureOr<SmallVector<Value>> results = node.importSubgraph(*body, inputs);
    if (failed(results))
      return failure();
    states.assign(results->begin(), results->begin() + numStates);
    for (int64_t k = 0; k < numScanOutputs; ++k)
      outputs[k].push_back((*results)[numStates + k]);
  }
  SmallVector<Value> results(states);
  for (int64_t k = 0; k < numScanOutputs; ++k) {
    if (outputs[k].empty())
      return node.emitError() << "Scan of length 0 has empty scan outputs";
    if (outDirs[k])
      std::reverse(outputs[k].begin(), outputs[k].end());
    int64_t rank = Composer::typeOf(outputs[k].front()).getRank() + 1;
    FailureOr<int64_t> axis =
        node.normalizeAxis(outAxes[k], rank, "scan_output_axes");
    if (failed(axis))
      return failure();
    results.push_back(stack(c, outputs[k], *axis));
  }
  return c.bind(results);
}

} // namespace

void appendControlFlowConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"If", 1, convertIf},
      {"Loop", 1, convertLoop},
      {"Scan", 9, convertScan},
  });
}

} // namespace mlir::paso::onnx_import
