//===- InsertPreprocess.cpp - a camera frame in front of the model --------===//
//
// paso-insert-preprocess parses the --preprocess spec, finds the model's
// image input and makes @main take the uint8 frame instead, computing the
// image with paso.preprocess. The spec's syntax and defaults are decided
// in docs/preprocess.md; every error names the key or input at fault.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::paso {
#define GEN_PASS_DEF_INSERTPREPROCESSPASS
#include "paso/Dialect/Paso/Transforms/Passes.h.inc"
} // namespace mlir::paso

using namespace mlir;
using namespace mlir::paso;

namespace {

/// The spec, parsed; lists hold what the user wrote (one value or one per
/// channel).
struct PreprocessSpec {
  int64_t frameWidth = 0, frameHeight = 0;
  std::string format = "rgb", input, channels = "rgb", resize = "bilinear";
  std::string matrix = "bt601", range = "limited", layout;
  double scale = 1.0 / 255.0;
  SmallVector<double> mean{0.0}, std{1.0};
};

constexpr StringLiteral kKeys =
    "frame, format, input, channels, resize, scale, mean, std, matrix, "
    "range, layout";

/// The ImageNet statistics most torchvision-style models are trained with.
const SmallVector<double> kImagenetMean{0.485, 0.456, 0.406};
const SmallVector<double> kImagenetStd{0.229, 0.224, 0.225};

std::optional<double> parseNumber(StringRef text) {
  double value;
  auto [numerator, denominator] = text.split('/');
  if (numerator.trim().getAsDouble(value))
    return std::nullopt;
  if (!denominator.empty()) {
    double divisor;
    if (denominator.trim().getAsDouble(divisor) || divisor == 0)
      return std::nullopt;
    value /= divisor;
  }
  return value;
}

/// Parses `spec`, or returns an error message.
FailureOr<PreprocessSpec> parseSpec(StringRef specText, std::string &error) {
  PreprocessSpec spec;
  auto fail = [&](const Twine &message) {
    error = message.str();
    return failure();
  };
  auto oneOf = [&](StringRef key, StringRef value,
                   std::initializer_list<StringRef> allowed,
                   std::string &into) -> LogicalResult {
    if (!llvm::is_contained(allowed, value))
      return fail("'" + key + "' must be one of " +
                  llvm::join(allowed, ", ") + ", got '" + value + "'");
    into = value.str();
    return success();
  };
  auto list = [&](StringRef key, StringRef value,
                  const SmallVector<double> &named,
                  SmallVector<double> &into) -> LogicalResult {
    if (value == "imagenet") {
      into = named;
      return success();
    }
    into.clear();
    SmallVector<StringRef> items;
    value.split(items, ':');
    for (StringRef item : items) {
      std::optional<double> number = parseNumber(item);
      if (!number)
        return fail("'" + key + "' takes numbers separated by ':' (or " +
                    "'imagenet'), got '" + value + "'");
      into.push_back(*number);
    }
    return success();
  };
  bool sawFrame = false;
  SmallVector<StringRef> pairs;
  specText.split(pairs, ',', -1, /*KeepEmpty=*/false);
  if (pairs.empty())
    return fail("the spec is empty; it needs at least frame=WxH");
  for (StringRef pair : pairs) {
    auto [key, value] = pair.split('=');
    key = key.trim();
    value = value.trim();
    if (!pair.contains('=') || value.empty())
      return fail("expected key=value, got '" + pair + "'");
    LogicalResult parsed = success();
    if (key == "frame") {
      std::string size = value.lower();
      auto [width, height] = StringRef(size).split('x');
      if (width.getAsInteger(10, spec.frameWidth) ||
          height.getAsInteger(10, spec.frameHeight) ||
          spec.frameWidth <= 0 || spec.frameHeight <= 0)
        return fail("'frame' must be WIDTHxHEIGHT in pixels, got '" + value +
                    "'");
      sawFrame = true;
    } else if (key == "format") {
      parsed = oneOf(key, value, {"rgb", "bgr", "rgba", "bgra", "nv12"},
                     spec.format);
    } else if (key == "input") {
      spec.input = value.str();
    } else if (key == "channels") {
      parsed = oneOf(key, value, {"rgb", "bgr"}, spec.channels);
    } else if (key == "resize") {
      parsed = oneOf(key, value, {"bilinear", "none"}, spec.resize);
    } else if (key == "scale") {
      std::optional<double> scale = parseNumber(value);
      if (!scale || !(*scale > 0))
        return fail("'scale' must be a positive number or 1/N, got '" +
                    value + "'");
      spec.scale = *scale;
    } else if (key == "mean") {
      parsed = list(key, value, kImagenetMean, spec.mean);
    } else if (key == "std") {
      parsed = list(key, value, kImagenetStd, spec.std);
      if (succeeded(parsed) &&
          llvm::any_of(spec.std, [](double s) { return !(s > 0); }))
        return fail("'std' values must be positive, got '" + value + "'");
    } else if (key == "matrix") {
      parsed = oneOf(key, value, {"bt601", "bt709"}, spec.matrix);
    } else if (key == "range") {
      parsed = oneOf(key, value, {"limited", "full"}, spec.range);
    } else if (key == "layout") {
      parsed = oneOf(key, value, {"nchw", "nhwc"}, spec.layout);
    } else {
      return fail("unknown key '" + key + "' (keys: " + kKeys + ")");
    }
    if (failed(parsed))
      return failure();
  }
  if (!sawFrame)
    return fail("'frame=WxH' is required (the camera frame's size)");
  if (spec.format == "nv12" &&
      (spec.frameWidth % 2 != 0 || spec.frameHeight % 2 != 0))
    return fail("an nv12 frame needs an even width and height, got " +
                Twine(spec.frameWidth) + "x" + Twine(spec.frameHeight));
  return spec;
}

/// The layout an image input's shape implies, or "" when it is no image.
std::string imageLayout(RankedTensorType type, StringRef requested) {
  if (!type || !type.hasStaticShape() || type.getRank() != 4 ||
      !type.getElementType().isF32() || type.getDimSize(0) != 1)
    return "";
  bool nchw = type.getDimSize(1) == 3, nhwc = type.getDimSize(3) == 3;
  if (!requested.empty())
    return (requested == "nchw" ? nchw : nhwc) ? requested.str() : "";
  return nchw ? "nchw" : nhwc ? "nhwc" : "";
}

/// "(1x3x224x224 f32)" for the error messages.
std::string describeShape(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    return "(not a ranked tensor)";
  std::string text;
  for (int64_t dim : tensor.getShape())
    text += (text.empty() ? "" : "x") +
            (ShapedType::isDynamic(dim) ? std::string("?")
                                        : std::to_string(dim));
  std::string element;
  llvm::raw_string_ostream os(element);
  os << tensor.getElementType();
  return "(" + text + " " + element + ")";
}

struct InsertPreprocessPass
    : paso::impl::InsertPreprocessPassBase<InsertPreprocessPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    auto error = [&](const Twine &message) {
      mlir::emitError(module.getLoc(), "--preprocess: ") << message;
      signalPassFailure();
    };
    std::string message;
    FailureOr<PreprocessSpec> spec = parseSpec(this->spec, message);
    if (failed(spec))
      return error(message);
    auto main = module.lookupSymbol<func::FuncOp>("main");
    if (!main)
      return error("the module has no @main function");

    // The input to feed: the one named, or the only image input.
    std::optional<unsigned> index;
    SmallVector<std::string> names;
    for (unsigned i = 0; i < main.getNumArguments(); ++i) {
      auto name = main.getArgAttrOfType<StringAttr>(i, "paso.name");
      std::string argName = name ? name.str() : "input" + std::to_string(i);
      names.push_back(argName);
      auto type = dyn_cast<RankedTensorType>(main.getArgument(i).getType());
      if (!spec->input.empty()) {
        if (argName == spec->input)
          index = i;
        continue;
      }
      if (imageLayout(type, spec->layout).empty())
        continue;
      if (index)
        return error("the model has several image inputs ('" +
                     names[*index] + "', '" + argName +
                     "'); choose one with input=NAME");
      index = i;
    }
    if (!index) {
      if (!spec->input.empty())
        return error("the model has no input '" + spec->input +
                     "' (inputs: " + llvm::join(names, ", ") + ")");
      SmallVector<std::string> described;
      for (unsigned i = 0; i < names.size(); ++i)
        described.push_back(
            names[i] + " " +
            describeShape(main.getArgument(i).getType()));
      std::string shapes = spec->layout == "nchw"   ? "1x3xHxW"
                           : spec->layout == "nhwc" ? "1xHxWx3"
                                                    : "1x3xHxW or 1xHxWx3";
      return error("the model has no float image input of shape " + shapes +
                   " (inputs: " + llvm::join(described, ", ") + ")");
    }
    BlockArgument argument = main.getArgument(*index);
    auto imageType = dyn_cast<RankedTensorType>(argument.getType());
    std::string layout = imageLayout(imageType, spec->layout);
    if (layout.empty())
      return error("input '" + names[*index] + "' " +
                   describeShape(argument.getType()) +
                   " is not a float image of shape 1x3xHxW or 1xHxWx3" +
                   (spec->layout.empty() ? ""
                                         : " in layout " + spec->layout));

    auto perChannel = [&](StringRef key, SmallVector<double> values)
        -> FailureOr<SmallVector<double>> {
      if (values.size() == 1)
        values.assign(3, values.front());
      if (values.size() != 3) {
        error("'" + key + "' needs 1 or 3 values for a 3-channel input, "
              "got " + Twine(values.size()));
        return failure();
      }
      return values;
    };
    FailureOr<SmallVector<double>> mean = perChannel("mean", spec->mean);
    if (failed(mean))
      return;
    FailureOr<SmallVector<double>> stdDev = perChannel("std", spec->std);
    if (failed(stdDev))
      return;
    int64_t width = imageType.getDimSize(layout == "nchw" ? 3 : 2);
    int64_t height = imageType.getDimSize(2 - (layout == "nchw" ? 0 : 1));
    if (spec->resize == "none" &&
        (spec->frameWidth != width || spec->frameHeight != height))
      return error("resize=none needs the frame to be the model's " +
                   Twine(width) + "x" + Twine(height) + ", got " +
                   Twine(spec->frameWidth) + "x" + Twine(spec->frameHeight));

    // Model channel c reads frame component channel_map[c]: bgr frames
    // and bgr models swap R and B.
    bool frameBgr = spec->format == "bgr" || spec->format == "bgra";
    bool modelBgr = spec->channels == "bgr";
    SmallVector<int64_t> channelMap{0, 1, 2};
    if (frameBgr != modelBgr)
      channelMap = {2, 1, 0};

    MLIRContext *context = &getContext();
    auto u8 = IntegerType::get(context, 8, IntegerType::Unsigned);
    RankedTensorType frameType =
        spec->format == "nv12"
            ? RankedTensorType::get(
                  {spec->frameHeight * 3 / 2, spec->frameWidth}, u8)
            : RankedTensorType::get(
                  {spec->frameHeight, spec->frameWidth,
                   static_cast<int64_t>(spec->format.size())},
                  u8);
    OpBuilder b(context);
    b.setInsertionPointToStart(&main.getBody().front());
    argument.setType(frameType);
    auto preprocess = PreprocessOp::create(
        b, argument.getLoc(), imageType, argument, spec->format,
        spec->matrix, spec->range, spec->resize, layout, channelMap,
        llvm::APFloat(spec->scale), *mean, *stdDev);
    argument.replaceAllUsesExcept(preprocess.getOutput(), preprocess);
    main.setFunctionType(FunctionType::get(
        context, main.getBody().front().getArgumentTypes(),
        main.getResultTypes()));
  }
};

} // namespace
