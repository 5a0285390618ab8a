//===- ReportHtml.cpp - the compile report as one self-contained page -----===//
//
// `paso-opt --report=report.html`: the same facts as the JSON report on a
// page a person reads: the decisions per layer (kernel, layout, precision,
// threads, predicted time), the predicted time per kernel as a bar chart,
// the fused graph as a chain of kernels with their ONNX nodes, and the
// graph passes. Inline CSS and SVG only: no script, no network.
//
//===----------------------------------------------------------------------===//

#include "paso/Pipelines/Report.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>

using namespace mlir::paso;

namespace {

std::string escape(llvm::StringRef text) {
  std::string out;
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
  return out;
}

/// The ONNX node name inside an origin such as `node 'conv1' (Conv)`.
std::string nodeName(llvm::StringRef origin) {
  size_t open = origin.find('\''), close = origin.rfind('\'');
  if (open == llvm::StringRef::npos || close <= open)
    return origin.str();
  return origin.slice(open + 1, close).str();
}

std::string joinNodes(const std::vector<std::string> &origins) {
  std::string text;
  for (const std::string &origin : origins)
    text += (text.empty() ? "" : ", ") + nodeName(origin);
  return text;
}

/// Precision and layout as the runtime-kernel algorithm names them.
std::string precisionOf(llvm::StringRef algorithm) {
  return algorithm.contains("int8") || algorithm.contains("u8") ||
                 algorithm.contains("s8")
             ? "int8"
             : "fp32";
}
std::string layoutOf(llvm::StringRef algorithm) {
  return algorithm.contains("channels-last") ? "NHWC" : "NCHW";
}

constexpr const char *kStyle = R"(
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 70em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; }
table { border-collapse: collapse; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: left; }
th { background: #f0f0f0; } td.num { text-align: right; }
.meta { line-height: 1.6; } svg text { font-family: sans-serif; }
)";

} // namespace

void CompileReport::writeHtml(llvm::raw_ostream &os) const {
  // Beside a one-thread profile, the one-thread prediction.
  auto shown = [&](const RuntimeKernel &kernel) {
    return measuredThreads == 1 ? kernel.singleThreadMicroseconds
                                : kernel.predictedMicroseconds;
  };
  double total = 0, longest = 0, measuredTotal = 0;
  bool profiled = !profilePath.empty();
  for (const RuntimeKernel &kernel : runtimeKernels) {
    total += shown(kernel);
    longest = std::max({longest, shown(kernel),
                        kernel.measuredMicroseconds});
    measuredTotal += std::max(0.0, kernel.measuredMicroseconds);
  }
  os << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
     << "<title>PASO report: " << escape(modelName) << "</title>\n<style>"
     << kStyle << "</style>\n</head>\n<body>\n"
     << "<h1>PASO compile report: " << escape(modelName) << "</h1>\n"
     << "<p class=\"meta\" id=\"summary\">Target <b>" << escape(targetName)
     << "</b>. " << kernels.size() << " kernels after fusion, "
     << runtimeKernels.size() << " of them runtime kernels, "
     << llvm::format("%.0f", total) << " &micro;s predicted in all";
  if (profiled)
    os << ", " << llvm::format("%.0f", measuredTotal)
       << " &micro;s measured (profile " << escape(profilePath) << ": a run "
       << llvm::format("%.0f", measuredRunMicroseconds)
       << " &micro;s, of which generated code "
       << llvm::format("%.0f", measuredGeneratedMicroseconds)
       << " &micro;s against " << llvm::format("%.0f", generatedMicroseconds)
       << " predicted)";
  os << ".<br>\n"
     << "Layout: " << escape(layout) << ".<br>\n";
  if (arenaPeak >= 0)
    os << "Arena: " << arenaPeak / 1024 << " KiB at peak (" << arenaNaive / 1024
       << " KiB without reuse).";
  os << "</p>\n";

  // Predicted time per runtime kernel.
  os << (profiled ? "<h2>Predicted and measured time per kernel</h2>\n"
                  : "<h2>Predicted time per kernel</h2>\n");
  if (runtimeKernels.empty()) {
    os << "<p>No runtime kernels (everything runs as generated loops).</p>\n";
  } else {
    // With a profile each kernel has a second, grey bar: measured.
    const int barHeight = 14, left = 60, width = 620;
    const int rowHeight = profiled ? 2 * barHeight + 6 : barHeight + 4;
    int height = static_cast<int>(runtimeKernels.size()) * rowHeight + 10;
    os << "<svg id=\"time-chart\" width=\"" << left + width + 120
       << "\" height=\"" << height << "\" role=\"img\" aria-label=\""
       << "predicted microseconds per kernel\">\n";
    for (auto [i, kernel] : llvm::enumerate(runtimeKernels)) {
      int y = 5 + static_cast<int>(i) * rowHeight;
      double fraction =
          longest > 0 ? shown(kernel) / longest : 0;
      os << "<text x=\"" << left - 6 << "\" y=\"" << y + barHeight - 3
         << "\" font-size=\"11\" text-anchor=\"end\">#" << kernel.id
         << "</text><rect x=\"" << left << "\" y=\"" << y << "\" width=\""
         << llvm::format("%.1f", std::max(1.0, fraction * width))
         << "\" height=\"" << barHeight << "\" fill=\""
         << (precisionOf(kernel.algorithm) == "int8" ? "#d08c2c" : "#4a78b5")
         << "\"><title>" << escape(kernel.algorithm) << ": "
         << escape(joinNodes(kernel.origins)) << "</title></rect>"
         << "<text x=\"" << left + fraction * width + 4 << "\" y=\""
         << y + barHeight - 3 << "\" font-size=\"11\">"
         << llvm::format("%.1f", shown(kernel))
         << " &micro;s</text>\n";
      if (profiled && kernel.measuredMicroseconds >= 0) {
        double measured =
            longest > 0 ? kernel.measuredMicroseconds / longest : 0;
        int my = y + barHeight + 1;
        os << "<rect class=\"measured\" x=\"" << left << "\" y=\"" << my
           << "\" width=\""
           << llvm::format("%.1f", std::max(1.0, measured * width))
           << "\" height=\"" << barHeight << "\" fill=\"#9a9a9a\"><title>"
           << "measured</title></rect><text x=\""
           << left + measured * width + 4 << "\" y=\""
           << my + barHeight - 3 << "\" font-size=\"11\">"
           << llvm::format("%.1f", kernel.measuredMicroseconds)
           << " &micro;s measured</text>\n";
      }
    }
    os << "</svg>\n<p>Blue: fp32 kernels, orange: int8"
       << (profiled ? (measuredThreads == 1
                           ? "; grey: measured (median per run, from the "
                             "profile, at one thread; the predictions shown "
                             "are the one-thread ones)."
                           : "; grey: measured (median per run, from the "
                             "profile).")
                    : ". No profile was given (--profile), so only the cost "
                      "model's predictions are shown.")
       << "</p>\n";
  }

  // Decisions per layer.
  os << "<h2>Per-layer decisions</h2>\n<table id=\"decisions\">\n<tr><th>#"
        "</th><th>kernel</th><th>layout</th><th>precision</th><th>threads"
        "</th><th>predicted &micro;s</th>"
     << (profiled ? "<th>measured &micro;s</th>" : "")
     << "<th>ONNX nodes</th></tr>\n";
  for (const RuntimeKernel &kernel : runtimeKernels)
    os << "<tr><td class=\"num\">" << kernel.id << "</td><td>"
       << escape(kernel.algorithm) << "</td><td>" << layoutOf(kernel.algorithm)
       << "</td><td>" << precisionOf(kernel.algorithm) << "</td><td "
       << "class=\"num\">" << kernel.threads << "</td><td class=\"num\">"
       << llvm::format("%.1f", shown(kernel)) << "</td><td>"
       << (profiled ? (kernel.measuredMicroseconds >= 0
                           ? llvm::formatv("{0:F1}</td><td>",
                                           kernel.measuredMicroseconds)
                                 .str()
                           : std::string("-</td><td>"))
                    : std::string())
       << escape(joinNodes(kernel.origins)) << "</td></tr>\n";
  os << "</table>\n";

  // The Edge TPU mapping: every TFLite op, mapped or where it stopped.
  if (wroteTFLite) {
    os << "<h2>Edge TPU</h2>\n<p>" << edgeTpu.mappedOps() << " of "
       << edgeTpu.ops.size() << " TFLite ops map to the Edge TPU; "
       << edgeTpu.bytes << " bytes. "
       << (edgeTpu.cut.empty() ? std::string("Every op maps.")
                               : "Cut: " + escape(edgeTpu.cut) + ".")
       << (edgeTpu.cpuLibrary.empty()
               ? std::string()
               : " The rest runs on the CPU in " + escape(edgeTpu.cpuLibrary) +
                     ", from the .tflite's outputs.")
       << "</p>\n<table id=\"edgetpu\">\n<tr><th>TFLite op</th><th>version"
          "</th><th>on the Edge TPU</th><th>note</th><th>ONNX nodes</th>"
          "</tr>\n";
    for (const EdgeTpuOp &op : edgeTpu.ops)
      os << "<tr><td>" << (op.tflite.empty() ? "(CPU)" : escape(op.tflite))
         << "</td><td class=\"num\">" << op.version << "</td><td>"
         << (op.mapped ? "yes" : "no") << "</td><td>" << escape(op.note)
         << "</td><td>" << escape(op.origins) << "</td></tr>\n";
    os << "</table>\n";
  }

  // The CUDA placement: which ops run on the GPU, which stay and why.
  if (cuda) {
    os << "<h2>CUDA</h2>\n<p>" << cudaOpsOnGpu() << " of " << cudaPlacement.size()
       << " ops run on the GPU (" << escape(cudaChip) << ", PTX "
       << cudaPtxVersion / 10 << "." << cudaPtxVersion % 10 << ") in "
       << cudaKernels << " kernels"
       << (cudaEmulated ? ", emulated on the host" : "")
       << ".</p>\n<table id=\"cuda\">\n<tr><th>device</th><th>op</th>"
          "<th>why</th><th>ONNX nodes</th></tr>\n";
    for (const GpuPlacement &placement : cudaPlacement)
      os << "<tr><td>" << escape(placement.device) << "</td><td>"
         << escape(placement.op) << "</td><td>" << escape(placement.reason)
         << "</td><td>" << escape(placement.origins) << "</td></tr>\n";
    os << "</table>\n";
  }

  // The fused graph: the kernels in program order.
  os << "<h2>Fused graph</h2>\n";
  const int boxHeight = 34, gap = 12, boxWidth = 640;
  int graphHeight = static_cast<int>(kernels.size()) * (boxHeight + gap) + 10;
  os << "<svg id=\"graph\" width=\"" << boxWidth + 20 << "\" height=\""
     << graphHeight << "\" role=\"img\" aria-label=\"fused graph\">\n"
     << "<defs><marker id=\"arrow\" markerWidth=\"8\" markerHeight=\"8\" "
        "refX=\"4\" refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" "
        "fill=\"#888\"/></marker></defs>\n";
  for (auto [i, kernel] : llvm::enumerate(kernels)) {
    int y = 5 + static_cast<int>(i) * (boxHeight + gap);
    bool fused = kernel.origins.size() > 1;
    std::string nodes = joinNodes(kernel.origins);
    if (nodes.size() > 95)
      nodes = nodes.substr(0, 92) + "...";
    os << "<rect x=\"10\" y=\"" << y << "\" width=\"" << boxWidth
       << "\" height=\"" << boxHeight << "\" rx=\"5\" fill=\""
       << (fused ? "#e3ecf7" : "#f7f7f7") << "\" stroke=\"#999\"/>"
       << "<text x=\"18\" y=\"" << y + 14 << "\" font-size=\"12\" "
       << "font-weight=\"bold\">" << escape(kernel.op) << "</text>"
       << "<text x=\"18\" y=\"" << y + 28 << "\" font-size=\"10\">"
       << escape(nodes) << "</text>\n";
    if (i + 1 < kernels.size())
      os << "<line x1=\"" << 10 + boxWidth / 2 << "\" y1=\"" << y + boxHeight
         << "\" x2=\"" << 10 + boxWidth / 2 << "\" y2=\""
         << y + boxHeight + gap - 2
         << "\" stroke=\"#888\" marker-end=\"url(#arrow)\"/>\n";
  }
  os << "</svg>\n<p>Kernels in the order they run; shaded boxes fuse "
        "several ONNX nodes.</p>\n";

  // The graph passes.
  os << "<h2>Graph passes</h2>\n<table id=\"passes\">\n<tr><th>pass</th>"
        "<th>op count changes</th></tr>\n";
  for (const PassEntry &pass : passes) {
    std::string changes;
    for (const auto &[name, delta] : pass.delta)
      changes += (changes.empty() ? "" : ", ") + name + " " +
                 (delta > 0 ? "+" : "") + std::to_string(delta);
    os << "<tr><td>" << escape(pass.name) << "</td><td>"
       << (changes.empty() ? std::string("no change") : escape(changes))
       << "</td></tr>\n";
  }
  os << "</table>\n</body>\n</html>\n";
}
