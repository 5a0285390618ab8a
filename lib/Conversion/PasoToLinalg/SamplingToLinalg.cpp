//===- SamplingToLinalg.cpp - paso.grid_sample to linalg.generic ----------===//
//
// One indexed generic over the output: each element reads its (x, y) from
// the grid, maps them to pixel coordinates as ONNX's reference does (clamp
// for border padding, fold back for reflection), and sums its 1, 4 or 16
// taps, each tap fetched with the padding rule (0 outside for zeros).
//
//===----------------------------------------------------------------------===//

#include "LinalgBuilders.h"
#include "PatternsInternal.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::paso;
using namespace mlir::paso::lowering;

namespace {

/// Scalar arithmetic of one output element, in the input's float type.
struct Sampler {
  OpBuilder &b;
  Location l;
  Type type;
  StringRef mode, padding;
  bool alignCorners;

  Value c(double v) { return scalarConstant(b, l, type, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, l, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, l, x, y); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, l, x, y); }
  Value less(Value x, Value y) {
    return arith::CmpFOp::create(b, l, arith::CmpFPredicate::OLT, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, l, c, x, y);
  }
  Value floor(Value x) { return math::FloorOp::create(b, l, x); }
  Value clamp(Value x, double lo, double hi) {
    return arith::MinimumFOp::create(
        b, l, arith::MaximumFOp::create(b, l, x, c(lo)), c(hi));
  }

  /// The edges reflection folds at: pixel centres or outer edges.
  std::pair<double, double> borders(int64_t size) {
    return alignCorners ? std::make_pair(0.0, size - 1.0)
                        : std::make_pair(-0.5, size - 0.5);
  }

  /// `x` reflected into [lo, hi] by its nearer edge until inside.
  Value reflect(Value x, double lo, double hi) {
    double range = hi - lo;
    if (range <= 0)
      return c(lo);
    auto fold = [&](Value distance, Value nearEdge, Value farEdge,
                    bool fromLow) {
      Value turns = floor(mul(distance, c(1 / range)));
      Value rest = sub(distance, mul(turns, c(range)));
      Value half = mul(turns, c(0.5));
      Value even = arith::CmpFOp::create(b, l, arith::CmpFPredicate::OEQ,
                                         floor(half), half);
      Value towardsNear = fromLow ? add(nearEdge, rest) : sub(nearEdge, rest);
      Value towardsFar = fromLow ? sub(farEdge, rest) : add(farEdge, rest);
      return select(even, towardsNear, towardsFar);
    };
    Value below = fold(sub(c(lo), x), c(lo), c(hi), /*fromLow=*/true);
    Value above = fold(sub(x, c(hi)), c(hi), c(lo), /*fromLow=*/false);
    return select(less(x, c(lo)), below, select(less(c(hi), x), above, x));
  }

  /// The pixel coordinate of normalised `g` along a dim of `size`.
  Value coordinate(Value g, int64_t size) {
    Value x = alignCorners
                  ? mul(add(g, c(1)), c((size - 1) / 2.0))
                  : mul(sub(mul(add(g, c(1)), c(size)), c(1)), c(0.5));
    if (mode == "nearest")
      x = math::RoundEvenOp::create(b, l, x);
    auto [lo, hi] = borders(size);
    if (padding == "border")
      return select(arith::OrIOp::create(b, l, less(x, c(lo)), less(c(hi), x)),
                    clamp(x, 0, size - 1), x);
    if (padding == "reflection")
      return reflect(x, lo, hi);
    return x;
  }

  /// The tap index `i` (integral, as a float) of a dim of `size` after the
  /// padding rule, and whether it lies inside (always, but for zeros).
  std::pair<Value, Value> tapIndex(Value i, int64_t size) {
    Value inside = arith::AndIOp::create(
        b, l, arith::CmpFOp::create(b, l, arith::CmpFPredicate::OGE, i, c(0)),
        less(i, c(size)));
    if (padding == "border")
      i = clamp(i, 0, size - 1);
    else if (padding == "reflection") {
      auto [lo, hi] = borders(size);
      i = clamp(reflect(i, lo, hi), 0, size - 1);
    } else
      i = clamp(i, 0, size - 1); // read in bounds, masked below
    Value index = arith::IndexCastOp::create(
        b, l, b.getIndexType(),
        arith::FPToSIOp::create(b, l, b.getI64Type(), i));
    if (padding != "zeros")
      inside = arith::ConstantOp::create(b, l, b.getBoolAttr(true));
    return {index, inside};
  }

  /// Interpolation weights of the taps at offsets `first`.. from floor(x).
  SmallVector<Value> weights(Value t) {
    if (mode == "linear")
      return {sub(c(1), t), t};
    // Keys' cubic convolution with alpha = -0.75, as ONNX.
    const double a = -0.75;
    auto far = [&](Value d) { // 1 < |d| < 2
      return sub(mul(add(mul(sub(mul(c(a), d), c(5 * a)), d), c(8 * a)), d),
                 c(4 * a));
    };
    auto near = [&](Value d) { // |d| <= 1
      return add(mul(mul(sub(mul(c(a + 2), d), c(a + 3)), d), d), c(1));
    };
    return {far(add(t, c(1))), near(t), near(sub(c(1), t)),
            far(sub(c(2), t))};
  }
};

struct GridSampleLowering : OpConversionPattern<GridSampleOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GridSampleOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput(), grid = adaptor.getGrid();
    auto inType = cast<RankedTensorType>(input.getType());
    int64_t height = inType.getDimSize(2), width = inType.getDimSize(3);
    Type element = inType.getElementType();
    Value result = indexedGeneric(
        rewriter, op.getLoc(), op.getType(),
        [&](OpBuilder &b, Location l, ArrayRef<Value> out) {
          Sampler s{b, l, element, op.getMode(), op.getPaddingMode(),
                    op.getAlignCorners()};
          Value n = out[0], ch = out[1];
          auto gridAt = [&](int64_t k) {
            return tensor::ExtractOp::create(
                b, l, grid,
                ValueRange{n, out[2], out[3], indexConstant(b, l, k)});
          };
          Value x = s.coordinate(gridAt(0), width);
          Value y = s.coordinate(gridAt(1), height);
          auto pixel = [&](Value row, Value col) {
            auto [r, rowInside] = s.tapIndex(row, height);
            auto [q, colInside] = s.tapIndex(col, width);
            Value v = tensor::ExtractOp::create(b, l, input,
                                                ValueRange{n, ch, r, q});
            return s.select(arith::AndIOp::create(b, l, rowInside, colInside),
                            v, s.c(0));
          };
          if (s.mode == "nearest")
            return pixel(y, x);
          Value x0 = s.floor(x), y0 = s.floor(y);
          SmallVector<Value> wx = s.weights(s.sub(x, x0));
          SmallVector<Value> wy = s.weights(s.sub(y, y0));
          int64_t first = s.mode == "linear" ? 0 : -1;
          Value sum = s.c(0);
          for (auto [i, weightY] : llvm::enumerate(wy)) {
            Value row = s.add(y0, s.c(first + static_cast<int64_t>(i)));
            Value rowSum = s.c(0);
            for (auto [j, weightX] : llvm::enumerate(wx)) {
              Value col = s.add(x0, s.c(first + static_cast<int64_t>(j)));
              rowSum = s.add(rowSum, s.mul(weightX, pixel(row, col)));
            }
            sum = s.add(sum, s.mul(weightY, rowSum));
          }
          return sum;
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::paso::lowering::populateSamplingLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<GridSampleLowering>(patterns.getContext());
}
