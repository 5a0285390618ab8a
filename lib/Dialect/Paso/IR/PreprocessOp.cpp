//===- PreprocessOp.cpp - paso.preprocess ---------------------------------===//
//
// The verifier rejects what the Halide pipeline cannot mean: a frame
// whose shape does not fit its format, an output that is not one image of
// the mapped channels, a mean/std list of another length, std <= 0.
//
//===----------------------------------------------------------------------===//

#include "paso/Dialect/Paso/IR/PasoDialect.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::paso;

std::pair<int64_t, int64_t> PreprocessOp::getFrameSize() {
  ArrayRef<int64_t> shape = getFrame().getType().getShape();
  if (getFormat() == "nv12")
    return {shape[1], shape[0] * 2 / 3};
  return {shape[1], shape[0]};
}

std::tuple<int64_t, int64_t, int64_t> PreprocessOp::getImageSize() {
  ArrayRef<int64_t> shape = getOutput().getType().getShape();
  if (getLayout() == "nchw")
    return {shape[3], shape[2], shape[1]};
  return {shape[2], shape[1], shape[3]};
}

LogicalResult PreprocessOp::verify() {
  StringRef format = getFormat();
  if (!llvm::is_contained({"rgb", "bgr", "rgba", "bgra", "nv12"}, format))
    return emitOpError("format must be rgb, bgr, rgba, bgra or nv12, got '")
           << format << "'";
  if (!llvm::is_contained({"bt601", "bt709"}, getMatrix()))
    return emitOpError("matrix must be bt601 or bt709, got '")
           << getMatrix() << "'";
  if (!llvm::is_contained({"limited", "full"}, getRange()))
    return emitOpError("range must be limited or full, got '")
           << getRange() << "'";
  if (!llvm::is_contained({"bilinear", "none"}, getResize()))
    return emitOpError("resize must be bilinear or none, got '")
           << getResize() << "'";
  if (!llvm::is_contained({"nchw", "nhwc"}, getLayout()))
    return emitOpError("layout must be nchw or nhwc, got '")
           << getLayout() << "'";

  RankedTensorType frameType = getFrame().getType();
  if (!frameType.hasStaticShape())
    return emitOpError("frame shape must be static");
  ArrayRef<int64_t> frame = frameType.getShape();
  int64_t components = 3;
  if (format == "nv12") {
    if (frame.size() != 2 || frame[0] % 3 != 0 || (frame[0] / 3) % 2 != 0 ||
        frame[1] % 2 != 0)
      return emitOpError("an nv12 frame is (3H/2) x W with H and W even, "
                         "got ")
             << frameType;
  } else {
    components = format.size();
    if (frame.size() != 3 || frame[2] != components)
      return emitOpError("an ")
             << format << " frame is H x W x " << components << ", got "
             << frameType;
  }

  RankedTensorType outputType = getOutput().getType();
  if (!outputType.hasStaticShape() || outputType.getRank() != 4 ||
      outputType.getDimSize(0) != 1)
    return emitOpError("result must be one static image (1 x C x H x W or "
                       "1 x H x W x C), got ")
           << outputType;
  auto [width, height, channels] = getImageSize();
  if (static_cast<int64_t>(getChannelMap().size()) != channels)
    return emitOpError("channel_map has ")
           << getChannelMap().size() << " entries for " << channels
           << " channels";
  for (int64_t component : getChannelMap())
    if (component < 0 || component >= components)
      return emitOpError("channel_map entry ")
             << component << " is not a component of a " << format
             << " pixel";
  if (static_cast<int64_t>(getMean().size()) != channels ||
      static_cast<int64_t>(getStd().size()) != channels)
    return emitOpError("mean and std need one value per channel (")
           << channels << ")";
  if (llvm::any_of(getStd(), [](double s) { return !(s > 0); }))
    return emitOpError("std values must be positive");
  if (!(getScale().convertToDouble() > 0))
    return emitOpError("scale must be positive");
  auto [frameWidth, frameHeight] = getFrameSize();
  if (getResize() == "none" && (frameWidth != width || frameHeight != height))
    return emitOpError("resize = \"none\" needs a ")
           << width << "x" << height << " frame, got " << frameWidth << "x"
           << frameHeight;
  return success();
}
