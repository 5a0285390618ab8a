//===- LayoutConverters.cpp - rearranging ONNX ops as paso compositions ---===//
//
// DepthToSpace, SpaceToDepth and Tile are reshapes around a transpose or a
// broadcast; Trilu and OneHot are selects against constant masks; CumSum is
// a product with a constant triangular matrix (so it runs on the matrix
// kernels rather than as a serial scan); Einsum is reductions, then
// transposes and reshapes around one batched matmul per pair of operands.
//
//===----------------------------------------------------------------------===//

#include "Composer.h"

#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::paso;

namespace mlir::paso::onnx_import {
namespace {

/// A constant i1 matrix rows x cols with `predicate(i, j)`.
Value maskConstant(Composer &c, int64_t rows, int64_t cols,
                   llvm::function_ref<bool(int64_t, int64_t)> predicate) {
  SmallVector<bool> bits;
  bits.reserve(rows * cols);
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      bits.push_back(predicate(i, j));
  auto type = RankedTensorType::get({rows, cols}, c.node.builder.getI1Type());
  return c.node.constant(
      llvm::cast<ElementsAttr>(DenseElementsAttr::get(type, ArrayRef<bool>(bits))));
}

LogicalResult convertDepthToSpace(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  ArrayRef<int64_t> s = Composer::shapeOf(x);
  int64_t b = node.getInt("blocksize", 0);
  if (s.size() != 4 || b <= 0 || s[1] % (b * b) != 0)
    return node.emitError() << "DepthToSpace needs a 4-D input whose channels "
                               "divide by blocksize^2";
  std::string mode = node.getString("mode", "DCR");
  int64_t n = s[0], ch = s[1] / (b * b), h = s[2], w = s[3];
  Value moved;
  if (mode == "DCR")
    moved = c.transpose(c.reshape(x, {n, b, b, ch, h, w}), {0, 3, 4, 1, 5, 2});
  else if (mode == "CRD")
    moved = c.transpose(c.reshape(x, {n, ch, b, b, h, w}), {0, 1, 4, 2, 5, 3});
  else
    return node.emitError() << "unknown DepthToSpace mode '" << mode << "'";
  return c.bind(c.reshape(moved, {n, ch, h * b, w * b}));
}

LogicalResult convertSpaceToDepth(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  ArrayRef<int64_t> s = Composer::shapeOf(x);
  int64_t b = node.getInt("blocksize", 0);
  if (s.size() != 4 || b <= 0 || s[2] % b != 0 || s[3] % b != 0)
    return node.emitError() << "SpaceToDepth needs a 4-D input whose height "
                               "and width divide by blocksize";
  int64_t n = s[0], ch = s[1], h = s[2] / b, w = s[3] / b;
  Value moved = c.transpose(c.reshape(x, {n, ch, h, b, w, b}),
                            {0, 3, 5, 1, 2, 4});
  return c.bind(c.reshape(moved, {n, ch * b * b, h, w}));
}

/// Tile: view [d0, d1, ...] as [1, d0, 1, d1, ...], broadcast the ones to
/// the repeats, and merge each pair.
LogicalResult convertTile(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  FailureOr<SmallVector<int64_t>> repeats = node.constantInts(1, "repeats");
  if (!x || failed(repeats))
    return failure();
  ArrayRef<int64_t> s = Composer::shapeOf(x);
  if (repeats->size() != s.size())
    return node.emitError() << "Tile repeats needs " << s.size()
                            << " entries, got " << repeats->size();
  SmallVector<int64_t> interleaved, broadcast, result;
  for (auto [size, repeat] : llvm::zip(s, *repeats)) {
    if (repeat < 0)
      return node.emitError() << "Tile repeats must be >= 0";
    interleaved.append({1, size});
    broadcast.append({repeat, size});
    result.push_back(repeat * size);
  }
  return c.bind(c.reshape(
      c.broadcastTo(c.reshape(x, interleaved), broadcast), result));
}

/// Trilu: keep the upper (j - i >= k) or lower (j - i <= k) triangle of the
/// last two dims.
LogicalResult convertTrilu(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "input");
  if (!x)
    return failure();
  int64_t k = 0;
  if (node.input(1)) {
    FailureOr<SmallVector<int64_t>> given = node.constantInts(1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return node.emitError() << "Trilu k must be a scalar";
    k = given->front();
  }
  ArrayRef<int64_t> s = Composer::shapeOf(x);
  if (s.size() < 2)
    return node.emitError() << "Trilu needs rank >= 2";
  bool upper = node.getInt("upper", 1) != 0;
  Value mask = maskConstant(c, s[s.size() - 2], s.back(),
                            [&](int64_t i, int64_t j) {
                              return upper ? j - i >= k : j - i <= k;
                            });
  return c.bind(
      c.op<WhereOp>({mask, x, c.scalar(Composer::elementType(x), 0)}));
}

/// OneHot: values[1] where the iota along the new axis equals the index
/// (negative indices count from depth), values[0] elsewhere.
LogicalResult convertOneHot(NodeImporter &node) {
  Composer c(node);
  Value indices = c.input(0, "indices"), values = c.input(2, "values");
  FailureOr<SmallVector<double>> depthValue = node.constantFloats(1, "depth");
  if (!indices || !values || failed(depthValue))
    return failure();
  if (depthValue->size() != 1 || depthValue->front() < 1)
    return node.emitError() << "OneHot depth must be a positive scalar";
  if (Composer::typeOf(values).getNumElements() != 2)
    return node.emitError() << "OneHot values must hold [off, on]";
  auto depth = static_cast<int64_t>(depthValue->front());
  ArrayRef<int64_t> indexShape = Composer::shapeOf(indices);
  int64_t rank = indexShape.size() + 1;
  FailureOr<int64_t> axis = node.normalizeAxis(node.getInt("axis", -1), rank);
  if (failed(axis))
    return failure();
  Type i64 = node.builder.getI64Type();
  // Float indices are truncated, as ONNX Runtime does.
  Value index = c.cast(indices, i64);
  Value wrapped = c.op<WhereOp>(
      {c.op<LessOp>({index, c.scalar(i64, 0)}),
       c.op<AddOp>({index, c.scalar(i64, depth)}), index});
  SmallVector<int64_t> expanded(indexShape);
  expanded.insert(expanded.begin() + *axis, 1);
  SmallVector<int64_t> iotaShape(rank, 1);
  iotaShape[*axis] = depth;
  Value iota = c.reshape(c.i64s(llvm::to_vector(llvm::seq<int64_t>(0, depth))),
                         iotaShape);
  Value hit = c.op<EqualOp>({c.reshape(wrapped, expanded), iota});
  Value flat = c.reshape(values, {2});
  Value off = c.reshape(c.sliceAxis(flat, 0, 0, 1), {});
  Value on = c.reshape(c.sliceAxis(flat, 0, 1, 2), {});
  return c.bind(c.op<WhereOp>({hit, on, off}));
}

/// CumSum along `axis`: move it last, multiply by the 0/1 matrix whose
/// entry (i, j) says whether input i adds into output j, move it back.
LogicalResult convertCumSum(NodeImporter &node) {
  Composer c(node);
  Value x = c.input(0, "x");
  FailureOr<SmallVector<int64_t>> axisValue = node.constantInts(1, "axis");
  if (!x || failed(axisValue))
    return failure();
  if (axisValue->size() != 1)
    return node.emitError() << "CumSum axis must be a scalar";
  ArrayRef<int64_t> s = Composer::shapeOf(x);
  int64_t rank = s.size();
  FailureOr<int64_t> axis = node.normalizeAxis(axisValue->front(), rank);
  if (failed(axis))
    return failure();
  bool exclusive = node.getInt("exclusive", 0) != 0;
  bool reverse = node.getInt("reverse", 0) != 0;
  int64_t length = s[*axis];
  Value triangle = c.cast(
      maskConstant(c, length, length,
                   [&](int64_t i, int64_t j) {
                     if (reverse)
                       return exclusive ? i > j : i >= j;
                     return exclusive ? i < j : i <= j;
                   }),
      Composer::elementType(x));
  SmallVector<int64_t> perm;
  for (int64_t i = 0; i < rank; ++i)
    if (i != *axis)
      perm.push_back(i);
  perm.push_back(*axis);
  SmallVector<int64_t> inverse(rank);
  for (int64_t i = 0; i < rank; ++i)
    inverse[perm[i]] = i;
  Value moved = c.transpose(x, perm);
  SmallVector<int64_t> movedShape(Composer::shapeOf(moved));
  int64_t rows = length ? Composer::typeOf(moved).getNumElements() / length : 0;
  Value product = c.op<MatMulOp>({c.reshape(moved, {rows, length}), triangle});
  return c.bind(c.transpose(c.reshape(product, movedShape), inverse));
}

//===--- Einsum ---------------------------------------------------------------===//

/// A tensor with one label per dim.
struct Labelled {
  Value value;
  std::string labels;
};

/// Sums `t` over the labels not in `keep`.
Labelled sumOutExcept(Composer &c, Labelled t, StringRef keep) {
  SmallVector<int64_t> axes;
  std::string kept;
  for (auto [i, label] : llvm::enumerate(t.labels)) {
    if (keep.contains(label))
      kept.push_back(label);
    else
      axes.push_back(i);
  }
  if (axes.empty())
    return t;
  return {c.reduce<ReduceSumOp>(t.value, axes, false), kept};
}

/// `t` transposed so that its labels read `order`.
Value arrange(Composer &c, Labelled t, StringRef order) {
  SmallVector<int64_t> perm;
  for (char label : order)
    perm.push_back(t.labels.find(label));
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return t.value;
  return c.transpose(t.value, perm);
}

/// The product of two labelled tensors keeping the labels in `keep`: a
/// batched matmul over [shared kept labels] x [A's own] x [B's own], the
/// shared labels not kept being contracted.
Labelled contract(Composer &c, Labelled a, Labelled b, StringRef keep,
                  const llvm::DenseMap<char, int64_t> &sizes) {
  std::string batch, contracted, aOwn, bOwn;
  for (char label : a.labels) {
    bool inB = b.labels.find(label) != std::string::npos;
    if (inB)
      (keep.contains(label) ? batch : contracted).push_back(label);
    else
      aOwn.push_back(label);
  }
  for (char label : b.labels)
    if (a.labels.find(label) == std::string::npos)
      bOwn.push_back(label);
  auto product = [&](StringRef labels) {
    int64_t p = 1;
    for (char label : labels)
      p *= sizes.lookup(label);
    return p;
  };
  int64_t bt = product(batch), m = product(aOwn), k = product(contracted),
          n = product(bOwn);
  Value lhs = c.reshape(arrange(c, a, batch + aOwn + contracted), {bt, m, k});
  Value rhs = c.reshape(arrange(c, b, batch + contracted + bOwn), {bt, k, n});
  Value result = c.op<MatMulOp>({lhs, rhs});
  std::string labels = batch + aOwn + bOwn;
  SmallVector<int64_t> shape;
  for (char label : labels)
    shape.push_back(sizes.lookup(label));
  return {c.reshape(result, shape), labels};
}

/// Einsum without diagonals: each operand is first summed over the labels
/// no one else needs, then operands are contracted pairwise, left to
/// right, and the result transposed to the output's order. Ellipses stand
/// for the same leading dims in every operand.
LogicalResult convertEinsum(NodeImporter &node) {
  Composer c(node);
  std::string equation;
  for (char ch : node.getString("equation", ""))
    if (ch != ' ')
      equation.push_back(ch);
  StringRef eq(equation);
  auto [lhs, rhs] = eq.split("->");
  bool explicitOutput = eq.contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != node.numInputs())
    return node.emitError() << "Einsum equation '" << equation << "' names "
                            << terms.size() << " operands, the node has "
                            << node.numInputs();
  // Ellipsis dims get the labels '0'.., which equations cannot use.
  int64_t ellipsisRank = 0;
  SmallVector<Labelled> operands;
  for (auto [i, term] : llvm::enumerate(terms)) {
    Value v = c.input(i, "Inputs");
    if (!v)
      return failure();
    int64_t rank = Composer::typeOf(v).getRank();
    int64_t letters = term.size() - (term.contains("...") ? 3 : 0);
    ellipsisRank = std::max(ellipsisRank, rank - letters);
    operands.push_back({v, term.str()});
  }
  if (ellipsisRank > 10)
    return node.emitError() << "Einsum ellipsis covers too many dims";
  std::string allEllipsis;
  for (int64_t i = 0; i < ellipsisRank; ++i)
    allEllipsis.push_back('0' + i);
  auto expand = [&](StringRef term, int64_t rank) -> FailureOr<std::string> {
    size_t dots = term.find("...");
    int64_t letters = term.size() - (dots == StringRef::npos ? 0 : 3);
    if (dots == StringRef::npos) {
      if (letters != rank)
        return failure();
      return term.str();
    }
    int64_t count = rank - letters;
    if (count < 0)
      return failure();
    return (term.take_front(dots) + StringRef(allEllipsis).take_back(count) +
            term.drop_front(dots + 3))
        .str();
  };
  llvm::DenseMap<char, int64_t> sizes;
  llvm::StringMap<int> uses;
  for (Labelled &operand : operands) {
    ArrayRef<int64_t> shape = Composer::shapeOf(operand.value);
    FailureOr<std::string> labels = expand(operand.labels, shape.size());
    if (failed(labels))
      return node.emitError() << "Einsum term '" << operand.labels
                              << "' does not match its operand's rank "
                              << shape.size();
    operand.labels = *labels;
    for (auto [d, label] : llvm::enumerate(operand.labels)) {
      if (!llvm::isAlpha(label) && !llvm::isDigit(label))
        return node.emitError() << "Einsum label '" << label
                                << "' is not a letter";
      if (llvm::count(operand.labels, label) > 1)
        return node.emitError() << "Einsum diagonals (label '" << label
                                << "' twice in one term) are not supported";
      auto [it, inserted] = sizes.try_emplace(label, shape[d]);
      if (!inserted && it->second != shape[d])
        return node.emitError() << "Einsum label '" << label
                                << "' has sizes " << it->second << " and "
                                << shape[d]
                                << " (broadcasting is not supported)";
      ++uses[StringRef(&label, 1)];
    }
  }
  std::string output;
  if (explicitOutput) {
    size_t dots = rhs.find("...");
    output = dots == StringRef::npos
                 ? rhs.str()
                 : (rhs.take_front(dots) + allEllipsis +
                    rhs.drop_front(dots + 3))
                       .str();
  } else {
    // Implicit output: the ellipsis, then labels used once, sorted.
    std::string once;
    for (auto &entry : uses)
      if (entry.second == 1 && llvm::isAlpha(entry.getKey()[0]))
        once += entry.getKey();
    llvm::sort(once);
    output = allEllipsis + once;
  }
  for (char label : output)
    if (!sizes.count(label))
      return node.emitError() << "Einsum output label '" << label
                              << "' is not in any input";
  // Which labels each step must keep: the output's and later operands'.
  auto needed = [&](size_t after) {
    std::string keep = output;
    for (size_t j = after; j < operands.size(); ++j)
      keep += operands[j].labels;
    return keep;
  };
  Labelled acc = sumOutExcept(c, operands[0], needed(1));
  for (size_t j = 1; j < operands.size(); ++j) {
    std::string keep = needed(j + 1);
    Labelled next = sumOutExcept(c, operands[j], keep + acc.labels);
    acc = sumOutExcept(c, acc, keep + next.labels);
    acc = contract(c, acc, next, keep, sizes);
    if (c.hasFailed())
      return failure();
  }
  acc = sumOutExcept(c, acc, output);
  return c.bind(arrange(c, acc, output));
}

} // namespace

void appendLayoutConverters(SmallVectorImpl<OpConverter> &converters) {
  converters.append({
      {"DepthToSpace", 1, convertDepthToSpace},
      {"SpaceToDepth", 1, convertSpaceToDepth},
      {"Tile", 6, convertTile},
      {"Trilu", 14, convertTrilu},
      {"OneHot", 9, convertOneHot},
      {"CumSum", 11, convertCumSum},
      {"Einsum", 12, convertEinsum},
  });
}

} // namespace mlir::paso::onnx_import
