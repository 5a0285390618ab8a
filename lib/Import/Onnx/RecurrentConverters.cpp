//===- RecurrentConverters.cpp - ONNX LSTM, GRU and RNN to paso -----------===//
//
// PASO compiles static shapes, so a recurrent layer is unrolled here into
// ops that already have kernels rather than given a loop op of its own. Per
// direction, one gemm projects the input of every time step at once (the
// large product, on the GEMM micro-kernel with packed weights when W is a
// constant); each step then multiplies the state by R and does the gate
// arithmetic. The price is IR and code linear in the sequence length.
//
// sequence_lens may be a run-time input, so it masks every step with
// paso.where: past a sequence's end its state is carried unchanged and its
// Y rows are zero. A reverse direction walks the steps backwards under the
// same mask, which starts each sequence at its own last step. Where ONNX
// leaves a detail open this follows ONNX Runtime: alpha/beta are consumed
// only by the activations that take them, clip bounds the gate inputs but
// not the cell state fed to h(), input_forget sets f = 1 - i, and a zero
// length yields zero final states.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

enum class Cell { Rnn, Gru, Lstm };

int64_t numGates(Cell cell) {
  return cell == Cell::Rnn ? 1 : cell == Cell::Gru ? 3 : 4;
}

/// The default activation functions of one direction: f for RNN, f and g
/// for GRU, f, g and h for LSTM.
ArrayRef<StringRef> defaultActivations(Cell cell) {
  static const StringRef rnn[] = {"tanh"};
  static const StringRef gru[] = {"sigmoid", "tanh"};
  static const StringRef lstm[] = {"sigmoid", "tanh", "tanh"};
  return cell == Cell::Rnn   ? ArrayRef<StringRef>(rnn)
         : cell == Cell::Gru ? ArrayRef<StringRef>(gru)
                             : ArrayRef<StringRef>(lstm);
}

/// An activation function of the `activations` attribute, lower-cased.
struct Activation {
  std::string name;
  float alpha = 0.0f, beta = 0.0f;
};

/// Which of alpha and beta each activation takes, with ONNX Runtime's
/// defaults for a list that runs out.
struct ActivationParams {
  StringRef name;
  bool takesAlpha, takesBeta;
  float alpha, beta;
};
const ActivationParams kActivations[] = {
    {"relu", false, false, 0, 0},
    {"tanh", false, false, 0, 0},
    {"sigmoid", false, false, 0, 0},
    {"affine", true, true, 0, 0},
    {"leakyrelu", true, false, 0.01f, 0},
    {"thresholdedrelu", true, false, 0, 0},
    {"scaledtanh", true, true, 0, 0},
    {"hardsigmoid", true, true, 0.2f, 0.5f},
    {"elu", true, false, 1.0f, 0},
    {"softsign", false, false, 0, 0},
    {"softplus", false, false, 0, 0},
};

/// The node's attributes and input shapes, checked.
struct Layer {
  Cell cell;
  int64_t directions, seq, batch, input, hidden;
  /// `reverse` direction; layout 1 ([batch, seq, ...] X, Y and states).
  bool reverse, batchMajor;
  Type element;
  std::optional<float> clip;
  bool inputForget, linearBeforeReset;
  /// defaultActivations(cell).size() per direction, directions in order.
  SmallVector<Activation> activations;
};

std::string shapeString(ArrayRef<int64_t> shape) {
  return llvm::join(
      llvm::map_range(shape, [](int64_t d) { return std::to_string(d); }), "x");
}

FailureOr<SmallVector<Activation>>
readActivations(NodeImporter &node, Cell cell, int64_t directions) {
  ArrayRef<StringRef> defaults = defaultActivations(cell);
  int64_t perDirection = defaults.size();
  SmallVector<std::string> names;
  if (const onnx::AttributeProto *attr = node.attribute("activations")) {
    if (attr->strings_size() != perDirection * directions)
      return node.emitError()
             << "activations lists " << attr->strings_size()
             << " functions, expected " << perDirection * directions << " ("
             << perDirection << " per direction)";
    for (const std::string &name : attr->strings())
      names.push_back(name);
  } else {
    for (int64_t d = 0; d < directions; ++d)
      for (StringRef name : defaults)
        names.push_back(name.str());
  }
  SmallVector<float> alphas = node.getFloats("activation_alpha");
  SmallVector<float> betas = node.getFloats("activation_beta");
  size_t nextAlpha = 0, nextBeta = 0;
  SmallVector<Activation> result;
  for (const std::string &name : names) {
    std::string lower = StringRef(name).lower();
    const ActivationParams *params =
        llvm::find_if(kActivations, [&](const ActivationParams &p) {
          return p.name == lower;
        });
    if (params == std::end(kActivations))
      return node.emitError()
             << "activation '" << name
             << "' is not supported (expected Relu, Tanh, Sigmoid, Affine, "
                "LeakyRelu, ThresholdedRelu, ScaledTanh, HardSigmoid, Elu, "
                "Softsign or Softplus)";
    Activation activation{lower, params->alpha, params->beta};
    if (params->takesAlpha && nextAlpha < alphas.size())
      activation.alpha = alphas[nextAlpha++];
    if (params->takesBeta && nextBeta < betas.size())
      activation.beta = betas[nextBeta++];
    result.push_back(activation);
  }
  return result;
}

/// Checks that present input `i` has shape `expected`.
LogicalResult checkShape(NodeImporter &node, size_t i, StringRef what,
                         ArrayRef<int64_t> expected, StringRef meaning) {
  if (!node.input(i))
    return success();
  RankedTensorType type = node.inputType(i);
  if (type.getShape() == expected)
    return success();
  return node.emitError() << what << " has shape "
                          << shapeString(type.getShape()) << ", expected "
                          << shapeString(expected) << " (" << meaning << ")";
}

FailureOr<Layer> readLayer(NodeImporter &node, Cell cell) {
  const char *required[] = {"X", "W", "R"};
  for (size_t i = 0; i < 3; ++i)
    if (failed(node.requiredInput(i, required[i])))
      return failure();
  Layer layer;
  layer.cell = cell;
  std::string direction = node.getString("direction", "forward");
  if (direction != "forward" && direction != "reverse" &&
      direction != "bidirectional")
    return node.emitError() << "unknown direction '" << direction
                            << "' (expected forward, reverse or bidirectional)";
  layer.directions = direction == "bidirectional" ? 2 : 1;
  layer.reverse = direction == "reverse";
  int64_t layout = node.getInt("layout", 0);
  if (layout != 0 && layout != 1)
    return node.emitError() << "layout must be 0 or 1, got " << layout;
  layer.batchMajor = layout == 1;

  RankedTensorType xType = node.inputType(0);
  if (xType.getRank() != 3 || !xType.hasStaticShape())
    return node.emitError() << "X must have a static 3-D shape, got " << xType
                            << ": the time loop is unrolled at import";
  layer.element = xType.getElementType();
  if (!isa<FloatType>(layer.element))
    return node.emitError() << "X must be a float tensor";
  layer.seq = xType.getDimSize(layer.batchMajor ? 1 : 0);
  layer.batch = xType.getDimSize(layer.batchMajor ? 0 : 1);
  layer.input = xType.getDimSize(2);
  if (xType.getNumElements() == 0)
    return node.emitError() << "X has an empty dim: " << xType;

  RankedTensorType rType = node.inputType(2);
  if (rType.getRank() != 3 || !rType.hasStaticShape())
    return node.emitError() << "R must have a static 3-D shape";
  layer.hidden = node.getInt("hidden_size", rType.getDimSize(2));
  if (layer.hidden < 1)
    return node.emitError()
           << "hidden_size must be positive, got " << layer.hidden;
  int64_t gates = numGates(cell), d = layer.directions, h = layer.hidden;
  int64_t b = layer.batch;
  StringRef gateRows = cell == Cell::Rnn   ? "hidden_size"
                       : cell == Cell::Gru ? "3*hidden_size"
                                           : "4*hidden_size";
  std::string meaning = ("[num_directions, " + gateRows).str();
  std::string withHidden = " with hidden_size " + std::to_string(h);
  SmallVector<int64_t> state = layer.batchMajor ? SmallVector<int64_t>{b, d, h}
                                                : SmallVector<int64_t>{d, b, h};
  StringRef stateMeaning = layer.batchMajor
                               ? "[batch_size, num_directions, hidden_size]"
                               : "[num_directions, batch_size, hidden_size]";
  if (failed(checkShape(node, 1, "W", {d, gates * h, layer.input},
                        meaning + ", input_size]" + withHidden)) ||
      failed(checkShape(node, 2, "R", {d, gates * h, h},
                        meaning + ", hidden_size]" + withHidden)) ||
      failed(checkShape(node, 3, "B", {d, 2 * gates * h},
                        "[num_directions, 2*" + gateRows.str() + "]")) ||
      failed(checkShape(node, 4, "sequence_lens", {b}, "[batch_size]")) ||
      failed(checkShape(node, 5, "initial_h", state, stateMeaning)))
    return failure();
  if (cell == Cell::Lstm &&
      (failed(checkShape(node, 6, "initial_c", state, stateMeaning)) ||
       failed(checkShape(node, 7, "P", {d, 3 * h},
                         "[num_directions, 3*hidden_size]"))))
    return failure();
  for (size_t i : {1, 2, 3, 5, 6, 7})
    if (node.input(i) && node.inputType(i).getElementType() != layer.element)
      return node.emitError()
             << "input " << i << " must have the element type of X";
  if (node.input(4) && !isa<IntegerType>(node.inputType(4).getElementType()))
    return node.emitError() << "sequence_lens must be an integer tensor";

  if (node.has("clip")) {
    layer.clip = node.getFloat("clip", 0.0f);
    if (!(*layer.clip > 0.0f))
      return node.emitError() << "clip must be positive, got " << *layer.clip;
  }
  layer.inputForget = node.getInt("input_forget", 0) != 0;
  layer.linearBeforeReset = node.getInt("linear_before_reset", 0) != 0;
  FailureOr<SmallVector<Activation>> activations =
      readActivations(node, cell, layer.directions);
  if (failed(activations))
    return failure();
  layer.activations = std::move(*activations);
  return layer;
}

/// The Composer's chain of ops (the first failure, already reported at the
/// node, makes every later step null) with what the recurrent layers add:
/// splits, gates' products, splats of X's element type, direction cuts.
class Builder : public Composer {
public:
  Builder(NodeImporter &node, Type element) : Composer(node), element(element) {}

  bool ok() const { return !hasFailed(); }

  SmallVector<Value> split(Value value, int64_t axis, ArrayRef<int64_t> sizes) {
    if (sizes.size() == 1)
      return {value};
    if (hasFailed() || !value) {
      fail();
      return SmallVector<Value>(sizes.size());
    }
    FailureOr<SmallVector<Value>> results = node.create<SplitOp>(
        value, {node.i64Attr("axis", axis), node.arrayAttr("sizes", sizes)});
    if (mlir::failed(results)) {
      fail();
      return SmallVector<Value>(sizes.size());
    }
    return *results;
  }

  Value concat(ValueRange values, int64_t axis) {
    if (values.size() == 1)
      return values.front();
    return op<ConcatOp>(values, {node.i64Attr("axis", axis)});
  }
  Value add(Value a, Value b) { return op<AddOp>({a, b}); }
  Value sub(Value a, Value b) { return op<SubOp>({a, b}); }
  Value mul(Value a, Value b) { return op<MulOp>({a, b}); }

  /// lhs x rhs^T (+ bias): ONNX stores W and R as [gates*hidden, in].
  Value gemmTransposed(Value lhs, Value rhs, Value bias) {
    SmallVector<Value> operands{lhs, rhs};
    if (bias)
      operands.push_back(bias);
    return op<GemmOp>(operands,
                      {node.f32Attr("alpha", 1.0f), node.f32Attr("beta", 1.0f),
                       node.boolAttr("trans_a", false),
                       node.boolAttr("trans_b", true)});
  }

  /// A float constant of X's element type, splat over `shape`.
  Value splat(double value, ArrayRef<int64_t> shape = {}) {
    auto type = RankedTensorType::get(shape, element);
    return node.constant(llvm::cast<ElementsAttr>(DenseElementsAttr::get(
        type, FloatAttr::get(element, value).getValue())));
  }
  Value intScalar(Type type, int64_t value) {
    auto tensorType = RankedTensorType::get({}, type);
    return node.constant(llvm::cast<ElementsAttr>(DenseElementsAttr::get(
        tensorType, APInt(type.getIntOrFloatBitWidth(), value,
                          /*isSigned=*/true))));
  }

  /// Rows [begin, end) of direction `dir` of a [num_directions, rows, ...]
  /// tensor, as [end - begin, ...]. A constant is cut here rather than by
  /// paso.slice: the folders leave resource blobs alone, and the GEMM
  /// kernel packs a right-hand side only when it is a constant.
  Value rows(Value tensor, int64_t dir, int64_t begin, int64_t end,
             StringRef name) {
    if (!tensor)
      return {};
    auto type = llvm::cast<RankedTensorType>(tensor.getType());
    SmallVector<int64_t> shape{end - begin};
    llvm::append_range(shape, type.getShape().drop_front(2));
    auto resultType = RankedTensorType::get(shape, type.getElementType());
    int64_t inner = resultType.getNumElements() / (end - begin);
    int64_t offset = (dir * type.getDimSize(1) + begin) * inner;
    if (Value cut = rearrangedConstant(
            tensor, resultType, [&](int64_t i) { return offset + i; }, name))
      return cut;
    SmallVector<int64_t> starts{dir, begin}, ends{dir + 1, end};
    for (int64_t size : type.getShape().drop_front(2)) {
      starts.push_back(0);
      ends.push_back(size);
    }
    Value slice = op<SliceOp>(
        tensor,
        {node.arrayAttr("starts", starts), node.arrayAttr("ends", ends),
         node.arrayAttr("steps", SmallVector<int64_t>(starts.size(), 1))});
    return reshape(slice, shape);
  }

private:
  Type element;
};

/// One direction's result: its Y steps in time order and its final states.
struct DirectionResult {
  SmallVector<Value> steps;
  Value h, c;
};

/// Unrolls one direction of a checked layer.
class Unroller {
public:
  Unroller(NodeImporter &node, const Layer &layer, Builder &b, int64_t dir)
      : node(node), layer(layer), b(b), dir(dir),
        act(ArrayRef(layer.activations)
                .slice(dir * defaultActivations(layer.cell).size(),
                       defaultActivations(layer.cell).size())) {}

  /// `x` is [seq * batch, input], time-major; `lengths` [batch, 1] or null;
  /// `h0`/`c0` are [num_directions, batch, hidden] or null.
  DirectionResult run(Value x, Value lengths, Value h0, Value c0) {
    int64_t gates = numGates(layer.cell), h = layer.hidden;
    Value w = node.input(1), r = node.input(2), bias = node.input(3);
    std::string tag =
        (node.node.name().empty() ? node.node.op_type() : node.node.name()) +
        ".dir" + std::to_string(dir);
    Value inputBias =
        bias ? b.rows(bias, dir, 0, gates * h, tag + ".Wb") : Value();
    Value projected = b.gemmTransposed(
        x, b.rows(w, dir, 0, gates * h, tag + ".W"), inputBias);
    SmallVector<Value> inputs =
        b.split(projected, 0, SmallVector<int64_t>(layer.seq, layer.batch));

    // GRU multiplies the reset gate into the state (or its product) before
    // the hidden gate's product, so its R splits into [z r] and [h] rows.
    int64_t firstRows = layer.cell == Cell::Gru ? 2 * h : gates * h;
    recurrence = b.rows(r, dir, 0, firstRows, tag + ".R");
    if (bias)
      recurrenceBias =
          b.rows(bias, dir, gates * h, gates * h + firstRows, tag + ".Rb");
    if (layer.cell == Cell::Gru) {
      hiddenRecurrence = b.rows(r, dir, 2 * h, 3 * h, tag + ".Rh");
      if (bias)
        hiddenBias = b.rows(bias, dir, 5 * h, 6 * h, tag + ".Rbh");
    }
    if (Value p = node.input(7)) {
      peepholeI = b.rows(p, dir, 0, h, tag + ".Pi");
      peepholeO = b.rows(p, dir, h, 2 * h, tag + ".Po");
      peepholeF = b.rows(p, dir, 2 * h, 3 * h, tag + ".Pf");
    }

    SmallVector<int64_t> stateShape{layer.batch, h};
    Value hState = h0 ? b.rows(h0, dir, 0, layer.batch, tag + ".h0")
                      : b.splat(0.0, stateShape);
    Value cState;
    if (layer.cell == Cell::Lstm)
      cState = c0 ? b.rows(c0, dir, 0, layer.batch, tag + ".c0")
                  : b.splat(0.0, stateShape);
    Value zero = lengths ? b.splat(0.0) : Value();
    Type lengthType =
        lengths ? cast<RankedTensorType>(lengths.getType()).getElementType()
                : Type();

    DirectionResult result;
    result.steps.resize(layer.seq);
    bool backwards = layer.reverse || dir == 1;
    for (int64_t k = 0; k < layer.seq; ++k) {
      int64_t t = backwards ? layer.seq - 1 - k : k;
      auto [hNext, cNext] = step(inputs[t], hState, cState);
      if (!lengths) {
        result.steps[t] = hState = hNext;
        cState = cNext;
        continue;
      }
      Value running = b.op<LessOp>({b.intScalar(lengthType, t), lengths});
      result.steps[t] = b.op<WhereOp>({running, hNext, zero});
      hState = b.op<WhereOp>({running, hNext, hState});
      if (cState)
        cState = b.op<WhereOp>({running, cNext, cState});
    }
    if (lengths) {
      Value nonEmpty = b.op<GreaterOp>({lengths, b.intScalar(lengthType, 0)});
      hState = b.op<WhereOp>({nonEmpty, hState, zero});
      if (cState)
        cState = b.op<WhereOp>({nonEmpty, cState, zero});
    }
    result.h = hState;
    result.c = cState;
    return result;
  }

private:
  /// clip (if any) then the activation.
  Value gate(Value pre, const Activation &activation) {
    if (layer.clip)
      pre = b.op<ClipOp>(
          pre, {node.attr("min", node.builder.getF64FloatAttr(-*layer.clip)),
                node.attr("max", node.builder.getF64FloatAttr(*layer.clip))});
    return activate(pre, activation);
  }

  Value activate(Value x, const Activation &a) {
    StringRef name = a.name;
    if (name == "relu")
      return b.op<ReluOp>(x);
    if (name == "tanh")
      return b.op<TanhOp>(x);
    if (name == "sigmoid")
      return b.op<SigmoidOp>(x);
    if (name == "softplus")
      return b.op<SoftplusOp>(x);
    if (name == "leakyrelu")
      return b.op<LeakyReluOp>(x, {node.f32Attr("alpha", a.alpha)});
    if (name == "elu")
      return b.op<EluOp>(x, {node.f32Attr("alpha", a.alpha)});
    if (name == "hardsigmoid")
      return b.op<HardSigmoidOp>(
          x, {node.f32Attr("alpha", a.alpha), node.f32Attr("beta", a.beta)});
    if (name == "affine")
      return b.add(b.mul(x, b.splat(a.alpha)), b.splat(a.beta));
    if (name == "scaledtanh")
      return b.mul(b.op<TanhOp>(b.mul(x, b.splat(a.beta))), b.splat(a.alpha));
    if (name == "thresholdedrelu")
      return b.op<WhereOp>(
          {b.op<GreaterOp>({x, b.splat(a.alpha)}), x, b.splat(0.0)});
    // Softsign, the last one readActivations accepts.
    return b.op<DivOp>({x, b.add(b.op<AbsOp>(x), b.splat(1.0))});
  }

  /// One time step from the projected input `x` [batch, gates * hidden].
  std::pair<Value, Value> step(Value x, Value h, Value c) {
    int64_t hidden = layer.hidden;
    switch (layer.cell) {
    case Cell::Rnn: {
      Value pre = b.add(x, b.gemmTransposed(h, recurrence, recurrenceBias));
      return {gate(pre, act[0]), Value()};
    }
    case Cell::Gru: {
      SmallVector<Value> xs = b.split(x, 1, {hidden, hidden, hidden});
      SmallVector<Value> hs = b.split(
          b.gemmTransposed(h, recurrence, recurrenceBias), 1, {hidden, hidden});
      Value z = gate(b.add(xs[0], hs[0]), act[0]);
      Value r = gate(b.add(xs[1], hs[1]), act[0]);
      Value candidateInput =
          layer.linearBeforeReset
              ? b.mul(r, b.gemmTransposed(h, hiddenRecurrence, hiddenBias))
              : b.gemmTransposed(b.mul(r, h), hiddenRecurrence, hiddenBias);
      Value candidate = gate(b.add(xs[2], candidateInput), act[1]);
      // (1 - z) * candidate + z * h
      return {b.add(candidate, b.mul(z, b.sub(h, candidate))), Value()};
    }
    case Cell::Lstm: {
      Value pre = b.add(x, b.gemmTransposed(h, recurrence, recurrenceBias));
      SmallVector<Value> g = b.split(pre, 1, {hidden, hidden, hidden, hidden});
      Value i = g[0], o = g[1], f = g[2], cell = g[3];
      if (peepholeI)
        i = b.add(i, b.mul(peepholeI, c));
      i = gate(i, act[0]);
      if (layer.inputForget) {
        f = b.sub(b.splat(1.0), i);
      } else {
        if (peepholeF)
          f = b.add(f, b.mul(peepholeF, c));
        f = gate(f, act[0]);
      }
      Value cNext = b.add(b.mul(f, c), b.mul(i, gate(cell, act[1])));
      if (peepholeO)
        o = b.add(o, b.mul(peepholeO, cNext));
      o = gate(o, act[0]);
      return {b.mul(o, activate(cNext, act[2])), cNext};
    }
    }
    llvm_unreachable("unknown cell");
  }

  NodeImporter &node;
  const Layer &layer;
  Builder &b;
  int64_t dir;
  ArrayRef<Activation> act;
  Value recurrence, recurrenceBias, hiddenRecurrence, hiddenBias;
  Value peepholeI, peepholeO, peepholeF;
};

/// [batch, 1] lengths that mask steps, null when no sequence ends early,
/// or failure for constant lengths outside [0, seq_length].
FailureOr<Value> readLengths(NodeImporter &node, Builder &b,
                             const Layer &layer) {
  Value lengths = node.input(4);
  if (!lengths)
    return Value();
  if (auto constant = lengths.getDefiningOp<ConstantOp>()) {
    if (auto dense = dyn_cast<DenseIntElementsAttr>(constant.getValue())) {
      bool full = true;
      for (const APInt &value : dense.getValues<APInt>()) {
        int64_t length = value.getSExtValue();
        if (length < 0 || length > layer.seq)
          return node.emitError() << "sequence_lens holds " << length
                                  << ", outside [0, " << layer.seq << "]";
        full &= length == layer.seq;
      }
      if (full)
        return Value();
    }
  }
  return b.reshape(lengths, {layer.batch, 1});
}

LogicalResult convertRecurrent(NodeImporter &node, Cell cell) {
  FailureOr<Layer> checked = readLayer(node, cell);
  if (failed(checked))
    return failure();
  const Layer &layer = *checked;
  Builder b(node, layer.element);
  FailureOr<Value> lengths = readLengths(node, b, layer);
  if (failed(lengths))
    return failure();

  // Layout 1 is batch-major; the unrolled steps want time-major rows.
  Value x = node.input(0);
  Value h0 = node.input(5);
  Value c0 = cell == Cell::Lstm ? node.input(6) : Value();
  if (layer.batchMajor) {
    x = b.transpose(x, {1, 0, 2});
    if (h0)
      h0 = b.transpose(h0, {1, 0, 2});
    if (c0)
      c0 = b.transpose(c0, {1, 0, 2});
  }
  x = b.reshape(x, {layer.seq * layer.batch, layer.input});

  SmallVector<DirectionResult> directions;
  for (int64_t dir = 0; dir < layer.directions; ++dir)
    directions.push_back(
        Unroller(node, layer, b, dir).run(x, *lengths, h0, c0));

  auto wanted = [&](int i) {
    return i < node.node.output_size() && !node.node.output(i).empty();
  };
  int64_t h = layer.hidden;
  SmallVector<Value> outputs(3);
  if (wanted(0)) {
    SmallVector<Value> perDirection;
    for (const DirectionResult &result : directions)
      perDirection.push_back(
          b.reshape(b.concat(result.steps, 0), {layer.seq, 1, layer.batch, h}));
    outputs[0] = b.concat(perDirection, 1);
    if (layer.batchMajor)
      outputs[0] = b.transpose(outputs[0], {2, 0, 1, 3});
  }
  for (int i : {1, 2}) {
    if (!wanted(i) || (i == 2 && cell != Cell::Lstm))
      continue;
    SmallVector<Value> finals;
    for (const DirectionResult &result : directions)
      finals.push_back(
          b.reshape(i == 1 ? result.h : result.c, {1, layer.batch, h}));
    outputs[i] = b.concat(finals, 0);
    if (layer.batchMajor)
      outputs[i] = b.transpose(outputs[i], {1, 0, 2});
  }
  if (!b.ok())
    return failure();
  outputs.resize(cell == Cell::Lstm ? 3 : 2);
  return node.setOutputs(outputs);
}

LogicalResult convertRnn(NodeImporter &node) {
  return convertRecurrent(node, Cell::Rnn);
}
LogicalResult convertGru(NodeImporter &node) {
  return convertRecurrent(node, Cell::Gru);
}
LogicalResult convertLstm(NodeImporter &node) {
  return convertRecurrent(node, Cell::Lstm);
}

} // namespace

void appendRecurrentConverters(SmallVectorImpl<OpConverter> &converters) {
  // Opset 14 added `layout` and 22 more float types; one converter reads
  // every form from opset 7 on.
  converters.append({
      {"RNN", 7, convertRnn},
      {"GRU", 7, convertGru},
      {"LSTM", 7, convertLstm},
  });
}

} // namespace mlir::paso::onnx_import
