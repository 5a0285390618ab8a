//===- paso-preprocess-gen.cpp - camera pre-processing as a Halide pipeline ===//
//
// paso-opt runs this program to turn a `--preprocess` spec into LLVM
// bitcode that it links into model.so. It is a separate process because
// Halide 14 links its own LLVM (14), which must never share a process with
// the LLVM 22 inside paso-opt; bitcode is the hand-over because LLVM reads
// the bitcode of older releases, and linking it into the model's module
// lets the Halide code and its runtime be internalised like the rest of
// the model (two models with pre-processing in one program do not clash).
//
// The arguments are the spec already checked and resolved by paso-opt
// (docs/preprocess.md describes the spec); errors here are internal ones.
//
// The pipeline, `paso_preprocess_pipeline_(frame, out)`:
//   frame  uint8, HWC interleaved (dims k, x, y) or NV12 (dims x, row)
//   out    float32, N=1, in NCHW (dims x, y, c, n) or NHWC (dims c, x, y, n)
//   out = convert(bilinear(frame)) * multiplier[c] + offset[c]
//
//===----------------------------------------------------------------------===//

#include "Halide.h"

#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace Halide;

namespace {

[[noreturn]] void fail(const std::string &message) {
  std::fprintf(stderr, "paso-preprocess-gen: error: %s\n", message.c_str());
  std::exit(1);
}

std::vector<double> numbers(const std::string &text) {
  std::vector<double> values;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ','))
    values.push_back(std::strtod(item.c_str(), nullptr));
  return values;
}

std::pair<int, int> size(const std::string &text) {
  int width = 0, height = 0;
  if (std::sscanf(text.c_str(), "%dx%d", &width, &height) != 2 ||
      width <= 0 || height <= 0)
    fail("bad size '" + text + "'");
  return {width, height};
}

/// The YUV -> RGB matrix of `standard` (bt601 or bt709) for `range`
/// (limited: Y in [16, 235], chroma in [16, 240]; full: [0, 255]), from
/// the standard's luma weights Kr and Kb.
struct YuvMatrix {
  double yScale, yOffset, chromaScale, rV, gU, gV, bU;
};
YuvMatrix yuvMatrix(const std::string &standard, const std::string &range) {
  double kr = standard == "bt709" ? 0.2126 : 0.299;
  double kb = standard == "bt709" ? 0.0722 : 0.114;
  double kg = 1 - kr - kb;
  bool limited = range == "limited";
  YuvMatrix m;
  m.yScale = limited ? 255.0 / 219.0 : 1.0;
  m.yOffset = limited ? 16.0 : 0.0;
  m.chromaScale = limited ? 255.0 / 224.0 : 1.0;
  m.rV = 2 * (1 - kr);
  m.bU = 2 * (1 - kb);
  m.gU = -2 * kb * (1 - kb) / kg;
  m.gV = -2 * kr * (1 - kr) / kg;
  return m;
}

} // namespace

int main(int argc, char **argv) {
  std::map<std::string, std::string> options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    size_t eq = arg.find('=');
    if (arg.rfind("--", 0) != 0 || eq == std::string::npos)
      fail("expected --key=value, got '" + arg + "'");
    options[arg.substr(2, eq - 2)] = arg.substr(eq + 1);
  }
  auto option = [&](const char *key) {
    auto it = options.find(key);
    if (it == options.end())
      fail(std::string("missing --") + key);
    return it->second;
  };
  const std::string format = option("format");
  const auto [frameW, frameH] = size(option("frame"));
  const auto [outW, outH] = size(option("size"));
  const std::string layout = option("layout");
  const bool bilinear = option("resize") == "bilinear";
  const std::vector<double> channelMap = numbers(option("channel-map"));
  const std::vector<double> multiplier = numbers(option("multiplier"));
  const std::vector<double> offset = numbers(option("offset"));
  const int channels = static_cast<int>(channelMap.size());
  if (multiplier.size() != channelMap.size() ||
      offset.size() != channelMap.size())
    fail("--channel-map, --multiplier and --offset differ in length");
  if (!bilinear && (frameW != outW || frameH != outH))
    fail("resize=none needs the frame size to equal the output size");

  Var x("x"), y("y"), c("c"), n("n");

  // The frame's pixel at integer (xi, yi) as float RGB-or-other component
  // `component` (0, 1, 2 for R, G, B of NV12; the byte index in the pixel
  // for interleaved formats).
  const bool nv12 = format == "nv12";
  const int components = format == "rgba" || format == "bgra" ? 4 : 3;
  ImageParam frame(UInt(8), nv12 ? 2 : 3, "frame");
  Func pixel("pixel");
  Var xi("xi"), yi("yi"), k("k");
  if (nv12) {
    frame.dim(0).set_bounds(0, frameW).set_stride(1);
    frame.dim(1).set_bounds(0, frameH * 3 / 2).set_stride(frameW);
    YuvMatrix m = yuvMatrix(option("matrix"), option("range"));
    Expr luma = (cast<float>(frame(xi, yi)) - float(m.yOffset)) *
                float(m.yScale);
    Expr chromaX = (xi / 2) * 2, chromaY = frameH + yi / 2;
    Expr u = (cast<float>(frame(chromaX, chromaY)) - 128.0f) *
             float(m.chromaScale);
    Expr v = (cast<float>(frame(chromaX + 1, chromaY)) - 128.0f) *
             float(m.chromaScale);
    Expr rgb[3] = {luma + float(m.rV) * v,
                   luma + float(m.gU) * u + float(m.gV) * v,
                   luma + float(m.bU) * u};
    for (Expr &value : rgb)
      value = clamp(value, 0.0f, 255.0f);
    pixel(xi, yi, k) = select(k == 0, rgb[0], k == 1, rgb[1], rgb[2]);
  } else {
    frame.dim(0).set_bounds(0, components).set_stride(1);
    frame.dim(1).set_bounds(0, frameW).set_stride(components);
    frame.dim(2).set_bounds(0, frameH).set_stride(components * frameW);
    pixel(xi, yi, k) = cast<float>(frame(k, xi, yi));
  }

  // Model channel c reads component channelMap[c].
  Expr component = int(channelMap.back());
  for (int i = channels - 2; i >= 0; --i)
    component = select(c == i, int(channelMap[i]), component);
  Expr mul = float(multiplier.back()), add = float(offset.back());
  for (int i = channels - 2; i >= 0; --i) {
    mul = select(c == i, float(multiplier[i]), mul);
    add = select(c == i, float(offset[i]), add);
  }

  Expr value;
  if (bilinear) {
    // Half-pixel centres, edges clamped: ONNX Resize linear/half_pixel,
    // OpenCV INTER_LINEAR and PyTorch align_corners=False agree on it.
    auto axis = [](Expr out, int from, int to) {
      Expr source = max((cast<float>(out) + 0.5f) * float(double(from) / to) -
                            0.5f,
                        0.0f);
      Expr low = min(cast<int>(floor(source)), from - 1);
      Expr high = min(low + 1, from - 1);
      return std::tuple<Expr, Expr, Expr>{low, high, source - low};
    };
    auto [x0, x1, ax] = axis(x, frameW, outW);
    auto [y0, y1, ay] = axis(y, frameH, outH);
    Expr top = lerp(pixel(x0, y0, component), pixel(x1, y0, component), ax);
    Expr bottom =
        lerp(pixel(x0, y1, component), pixel(x1, y1, component), ax);
    value = lerp(top, bottom, ay);
  } else {
    value = pixel(x, y, component);
  }

  Func out("out");
  Expr result = value * mul + add;
  const bool nchw = layout == "nchw";
  if (nchw)
    out(x, y, c, n) = result;
  else
    out(c, x, y, n) = result;

  // Dense output of the model's input shape.
  OutputImageParam output = out.output_buffer();
  int extents[4] = {outW, outH, channels, 1};
  if (!nchw) {
    extents[0] = channels;
    extents[1] = outW;
    extents[2] = outH;
  }
  int stride = 1;
  for (int d = 0; d < 4; ++d) {
    output.dim(d).set_bounds(0, extents[d]).set_stride(stride);
    stride *= extents[d];
  }

  // Rows in parallel (on the model's thread pool: the model runtime
  // provides halide_do_par_for), all channels of a row together so the
  // bilinear taps are computed once, vectors along the row.
  Target target(option("target"));
  const int lanes = target.natural_vector_size<float>();
  Var yo("yo");
  if (nchw) {
    out.reorder(x, c, y, n).unroll(c);
  } else {
    out.reorder(c, x, y, n).unroll(c);
  }
  out.vectorize(x, lanes, TailStrategy::GuardWithIf);
  out.split(y, yo, y, 8, TailStrategy::GuardWithIf).parallel(yo);

  target = target.with_feature(Target::NoAsserts)
               .with_feature(Target::NoBoundsQuery);
  out.compile_to_bitcode(option("output"), {frame},
                         "paso_preprocess_pipeline_", target);
  return 0;
}
