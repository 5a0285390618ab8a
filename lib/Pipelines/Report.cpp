//===- Report.cpp - what the optimisation pipeline did, per pass ----------===//

#include "paso/Pipelines/Report.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Import/OnnxImporter.h"
#include "paso/Target/CostModel.h"
#include "paso/Target/CUDA/CudaBackend.h"
#include "llvm/ADT/StringExtras.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/Pass.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::paso;

std::map<std::string, int64_t> CompileReport::census(ModuleOp module) {
  std::map<std::string, int64_t> counts;
  module.walk([&](Operation *op) {
    if (isa<PasoDialect>(op->getDialect()) && !isa<ConstantOp>(op))
      ++counts[op->getName().getStringRef().str()];
  });
  return counts;
}

void CompileReport::recordPass(Pass &pass,
                               const std::map<std::string, int64_t> &before,
                               const std::map<std::string, int64_t> &after) {
  PassEntry entry;
  entry.name = pass.getArgument().str();
  std::map<std::string, int64_t> all = before;
  all.insert(after.begin(), after.end());
  auto count = [](const std::map<std::string, int64_t> &m,
                  const std::string &name) {
    auto it = m.find(name);
    return it == m.end() ? int64_t(0) : it->second;
  };
  for (const auto &entryPair : all) {
    const std::string &name = entryPair.first;
    if (int64_t delta = count(after, name) - count(before, name))
      entry.delta[name] = delta;
  }
  passes.push_back(std::move(entry));
}

/// The ONNX node descriptions inside `loc`, added to `origins` once each.
static void collectOrigins(Location loc, std::vector<std::string> &origins) {
  for (std::string &node : describeOnnxNodes(loc))
    if (!llvm::is_contained(origins, node))
      origins.push_back(std::move(node));
}

void CompileReport::recordLayout(ModuleOp module) {
  auto decision = module->getAttrOfType<StringAttr>("paso.layout");
  if (!decision)
    return;
  int64_t channelsLast = 0, transposes = 0;
  module.walk([&](Operation *op) {
    channelsLast += isChannelsLast(op);
    transposes += isa<TransposeOp>(op);
  });
  layout = decision.getValue().str() + "; " + std::to_string(channelsLast) +
           " ops channels-last, " + std::to_string(transposes) +
           " transposes in the graph";
}

void CompileReport::recordKernels(ModuleOp module) {
  module.walk([&](Operation *op) {
    if (!isa<PasoDialect>(op->getDialect()) || isa<ConstantOp>(op))
      return;
    Kernel kernel;
    kernel.op = op->getName().getStringRef().str();
    if (auto fused = dyn_cast<FusedConvOp>(op))
      kernel.op += " (" + fused.getActivation().str() +
                   (fused.getResidual() ? ", residual" : "") + ")";
    if (auto fused = dyn_cast<FusedMatMulOp>(op))
      kernel.op += " (" + fused.getActivation().str() +
                   (fused.getBias() ? ", bias" : "") + ")";
    collectOrigins(op->getLoc(), kernel.origins);
    kernels.push_back(std::move(kernel));
  });
}

void CompileReport::recordRuntimeKernels(ModuleOp module,
                                         const TargetDescription &target) {
  peakGflopsPerCore = peakFlopsPerCore(target) / 1e9;
  memoryGBps = memoryBytesPerSecond(target) / 1e9;
  module.walk([&](func::CallOp call) {
    auto algorithm = call->getAttrOfType<StringAttr>("paso.algorithm");
    if (!algorithm)
      return;
    RuntimeKernel kernel;
    kernel.algorithm = algorithm.str();
    if (auto id = call->getAttrOfType<IntegerAttr>("paso.kernel_id"))
      kernel.id = id.getInt();
    if (auto threads = call->getAttrOfType<IntegerAttr>("paso.threads"))
      kernel.threads = threads.getInt();
    if (auto time = call->getAttrOfType<FloatAttr>("paso.predicted_us"))
      kernel.predictedMicroseconds = time.getValueAsDouble();
    if (auto name = call->getAttrOfType<StringAttr>("paso.kernel_class"))
      kernel.kernelClass = name.str();
    if (auto shape = call->getAttrOfType<StringAttr>("paso.output_shape"))
      kernel.outputShape = shape.str();
    if (auto product = call->getAttrOfType<StringAttr>("paso.product"))
      kernel.product = product.str();
    if (auto flops = call->getAttrOfType<FloatAttr>("paso.flops"))
      kernel.flops = flops.getValueAsDouble();
    if (auto bytes = call->getAttrOfType<FloatAttr>("paso.bytes"))
      kernel.bytes = bytes.getValueAsDouble();
    kernel.roofGBps =
        bandwidthBytesPerSecond(target, kernel.bytes, kernel.threads) / 1e9;
    kernel.singleThreadMicroseconds = kernel.predictedMicroseconds;
    if (auto time = call->getAttrOfType<FloatAttr>("paso.predicted_1t_us"))
      kernel.singleThreadMicroseconds = time.getValueAsDouble();
    kernel.rawPredictedMicroseconds = kernel.predictedMicroseconds;
    kernel.rawSingleThreadMicroseconds = kernel.singleThreadMicroseconds;
    if (auto raw = call->getAttrOfType<FloatAttr>("paso.raw_predicted_us"))
      kernel.rawPredictedMicroseconds = raw.getValueAsDouble();
    if (auto raw = call->getAttrOfType<FloatAttr>("paso.raw_predicted_1t_us"))
      kernel.rawSingleThreadMicroseconds = raw.getValueAsDouble();
    collectOrigins(call.getLoc(), kernel.origins);
    runtimeKernels.push_back(std::move(kernel));
  });
}

void CompileReport::recordCuda(ModuleOp module, const CudaDevice &device,
                               size_t kernelCount, bool emulated) {
  cuda = true;
  cudaChip = device.chip();
  cudaPtxVersion = device.ptxVersion;
  cudaKernels = kernelCount;
  cudaEmulated = emulated;
  if (auto records = module->getAttrOfType<ArrayAttr>(kCudaPlacementAttr))
    for (auto record : records.getAsRange<DictionaryAttr>()) {
      GpuPlacement placement;
      placement.device = record.getAs<StringAttr>("device").str();
      placement.op = record.getAs<StringAttr>("op").str();
      placement.reason = record.getAs<StringAttr>("reason").str();
      if (auto loc = record.getAs<LocationAttr>("loc"))
        placement.origins = llvm::join(describeOnnxNodes(loc), ", ");
      cudaPlacement.push_back(std::move(placement));
    }
}

void CompileReport::recordArena(int64_t peak, int64_t naive) {
  arenaPeak = peak;
  arenaNaive = naive;
}

void CompileReport::writeJson(llvm::raw_ostream &os) const {
  llvm::json::OStream json(os, 2);
  json.object([&] {
    json.attributeArray("passes", [&] {
      for (const PassEntry &pass : passes)
        json.object([&] {
          json.attribute("pass", pass.name);
          json.attributeObject("op_count_changes", [&] {
            for (const auto &[name, delta] : pass.delta)
              json.attribute(name, delta);
          });
        });
    });
    json.attributeArray("fused_groups", [&] {
      for (const Kernel &kernel : kernels)
        if (kernel.origins.size() > 1)
          json.object([&] {
            json.attribute("kernel", kernel.op);
            json.attributeArray("onnx_nodes", [&] {
              for (const std::string &origin : kernel.origins)
                json.value(origin);
            });
          });
    });
    json.attribute("layout", layout);
    if (quantized)
      json.attributeObject("quantization", [&] {
        json.attribute("mode", quantization.halfPrecision ? "fp16"
                               : quantization.budget.rfind("none", 0) == 0
                                   ? "int8"
                                   : "mixed");
        json.attribute("fp16_model_faster", quantization.halfModelFaster);
        json.attribute("method", quantization.method);
        json.attribute("budget", quantization.budget);
        json.attribute("bias_correction", quantization.biasCorrection);
        json.attribute("equalized_pairs", quantization.equalizedPairs);
        json.attribute("layer_times", quantization.timesMeasured
                                          ? "measured on the host"
                                          : "cost model");
        json.attribute("calibration_samples", quantization.calibrationSamples);
        json.attribute("held_back_samples", quantization.heldBackSamples);
        json.attribute("sqnr_db", quantization.sqnrDb);
        json.attribute("top1_changed_percent",
                       quantization.top1ChangedPercent);
        json.attribute("predicted_fp32_us",
                       quantization.predictedFp32Microseconds);
        json.attribute("predicted_us", quantization.predictedMicroseconds);
        json.attributeArray("layers", [&] {
          for (const LayerPrecision &layer : quantization.layers)
            json.object([&] {
              json.attribute("onnx_nodes", layer.name);
              json.attribute("kind", layer.kind);
              json.attribute("precision", layer.precision);
              json.attribute("sensitivity_sqnr_db", layer.sensitivityDb);
              json.attribute("predicted_fp32_us", layer.fp32Microseconds);
              json.attribute("predicted_int8_us", layer.int8Microseconds);
              if (layer.fp16Microseconds > 0)
                json.attribute("predicted_fp16_us", layer.fp16Microseconds);
              json.attribute("reason", layer.reason);
            });
        });
      });
    if (cuda)
      json.attributeObject("cuda", [&] {
        json.attribute("chip", cudaChip);
        json.attribute("ptx_version", static_cast<int64_t>(cudaPtxVersion));
        json.attribute("kernels", static_cast<int64_t>(cudaKernels));
        json.attribute("emulated", cudaEmulated);
        json.attributeArray("ops", [&] {
          for (const GpuPlacement &placement : cudaPlacement)
            json.object([&] {
              json.attribute("device", placement.device);
              json.attribute("op", placement.op);
              json.attribute("reason", placement.reason);
              json.attribute("onnx_nodes", placement.origins);
            });
        });
      });
    if (wroteTFLite)
      json.attributeObject("edgetpu", [&] {
        json.attribute("bytes", edgeTpu.bytes);
        json.attribute("ops", static_cast<int64_t>(edgeTpu.ops.size()));
        json.attribute("mapped_ops", edgeTpu.mappedOps());
        json.attribute("cut", edgeTpu.cut);
        json.attribute("cut_in_tflite", edgeTpu.cutInFile);
        json.attribute("cpu_library", edgeTpu.cpuLibrary);
        json.attributeArray("rewrites", [&] {
          for (const std::string &rewrite : edgeTpu.rewrites)
            json.value(rewrite);
        });
        auto ios = [&](const char *key, const std::vector<EdgeTpuIo> &list) {
          json.attributeArray(key, [&] {
            for (const EdgeTpuIo &io : list)
              json.object([&] {
                json.attribute("name", io.name);
                json.attributeArray("shape", [&] {
                  for (int64_t d : io.shape)
                    json.value(d);
                });
                json.attribute("type", io.type);
                json.attribute("scale", io.scale);
                json.attribute("zero_point", io.zeroPoint);
              });
          });
        };
        ios("inputs", edgeTpu.inputs);
        ios("outputs", edgeTpu.outputs);
        json.attributeArray("tflite_ops", [&] {
          for (const EdgeTpuOp &op : edgeTpu.ops)
            json.object([&] {
              json.attribute("op", op.tflite);
              json.attribute("version", op.version);
              json.attribute("edgetpu", op.mapped);
              json.attribute("onnx_nodes", op.origins);
              json.attribute("note", op.note);
            });
        });
      });
    json.attributeObject("generated_code", [&] {
      json.attribute("predicted_us", generatedMicroseconds);
      if (measuredGeneratedMicroseconds >= 0)
        json.attribute("measured_us", measuredGeneratedMicroseconds);
    });
    if (!profilePath.empty())
      json.attributeObject("profile", [&] {
        json.attribute("path", profilePath);
        json.attribute("run_us", measuredRunMicroseconds);
      });
    if (arenaPeak >= 0)
      json.attributeObject("arena", [&] {
        json.attribute("peak_bytes", arenaPeak);
        json.attribute("naive_bytes", arenaNaive);
      });
    json.attributeArray("runtime_kernels", [&] {
      for (const RuntimeKernel &kernel : runtimeKernels)
        json.object([&] {
          json.attribute("id", kernel.id);
          json.attribute("algorithm", kernel.algorithm);
          json.attribute("threads", kernel.threads);
          json.attribute("predicted_us", kernel.predictedMicroseconds);
          json.attribute("class", kernel.kernelClass);
          if (kernel.measuredMicroseconds >= 0)
            json.attribute("measured_us", kernel.measuredMicroseconds);
          json.attributeArray("onnx_nodes", [&] {
            for (const std::string &origin : kernel.origins)
              json.value(origin);
          });
        });
    });
    json.attributeArray("kernels", [&] {
      for (const Kernel &kernel : kernels)
        json.object([&] {
          json.attribute("kernel", kernel.op);
          json.attributeArray("onnx_nodes", [&] {
            for (const std::string &origin : kernel.origins)
              json.value(origin);
          });
        });
    });
  });
  os << "\n";
}

void CompileReport::writeText(llvm::raw_ostream &os) const {
  os << "== passes\n";
  for (const PassEntry &pass : passes) {
    os << pass.name << ":";
    if (pass.delta.empty())
      os << " no change";
    for (const auto &[name, delta] : pass.delta)
      os << " " << name << (delta > 0 ? " +" : " ") << delta;
    os << "\n";
  }
  os << "== fused groups\n";
  for (const Kernel &kernel : kernels)
    if (kernel.origins.size() > 1) {
      os << kernel.op << " <-";
      for (const std::string &origin : kernel.origins)
        os << " " << origin << ";";
      os << "\n";
    }
  os << "== layout\n" << layout << "\n";
  if (quantized && quantization.halfPrecision) {
    os << "== quantisation (fp16: weights and products in half precision, "
          "f32 between layers; no calibration)\n"
       << llvm::format("predicted %.0f us (fp32 %.0f us) for these layers\n",
                       quantization.predictedMicroseconds,
                       quantization.predictedFp32Microseconds);
    for (const LayerPrecision &layer : quantization.layers)
      os << llvm::format("%-4s %-14s fp32 %8.1f us, fp16 %8.1f us: ",
                         layer.precision.c_str(), layer.kind.c_str(),
                         layer.fp32Microseconds, layer.fp16Microseconds)
         << layer.reason << " <- " << layer.name << "\n";
  } else if (quantized) {
    os << "== quantisation (" << quantization.method << " ranges from "
       << quantization.calibrationSamples << " samples; bias correction "
       << (quantization.biasCorrection ? "on" : "off")
       << "; " << quantization.equalizedPairs << " layer pairs equalised"
       << "; layer times "
       << (quantization.timesMeasured ? "measured on the host" : "predicted")
       << "; budget "
       << quantization.budget << ")\n"
       << llvm::format("held-back samples: %lld, output SQNR %.1f dB, "
                       "%.2f%% of top-1 decisions changed; predicted %.0f us "
                       "(fp32 %.0f us) for these layers and conversions\n",
                       (long long)quantization.heldBackSamples,
                       quantization.sqnrDb, quantization.top1ChangedPercent,
                       quantization.predictedMicroseconds,
                       quantization.predictedFp32Microseconds);
    for (const LayerPrecision &layer : quantization.layers) {
      os << llvm::format("%-4s %-14s alone %5.1f dB, fp32 %8.1f us, int8 "
                         "%8.1f us",
                         layer.precision.c_str(), layer.kind.c_str(),
                         layer.sensitivityDb, layer.fp32Microseconds,
                         layer.int8Microseconds);
      if (layer.fp16Microseconds > 0)
        os << llvm::format(", fp16 %8.1f us", layer.fp16Microseconds);
      os << ": " << layer.reason << " <- " << layer.name << "\n";
    }
  }
  if (cuda) {
    os << "== cuda (" << cudaChip << ", PTX " << cudaPtxVersion / 10 << "."
       << cudaPtxVersion % 10 << ": " << cudaOpsOnGpu() << " of "
       << cudaPlacement.size() << " ops on the GPU in " << cudaKernels
       << " kernels" << (cudaEmulated ? ", emulated on the host" : "")
       << ")\n";
    for (const GpuPlacement &placement : cudaPlacement) {
      os << placement.device << "  " << placement.op;
      if (!placement.reason.empty())
        os << " (" << placement.reason << ")";
      os << " <- " << placement.origins << "\n";
    }
  }
  if (wroteTFLite) {
    os << "== edge tpu (" << edgeTpu.mappedOps() << " of "
       << edgeTpu.ops.size() << " TFLite ops map; " << edgeTpu.bytes
       << " bytes)\n";
    for (const EdgeTpuIo &io : edgeTpu.inputs)
      os << llvm::format("input  %s int8, scale %g, zero point %lld\n",
                         io.name.c_str(), io.scale, (long long)io.zeroPoint);
    for (const EdgeTpuIo &io : edgeTpu.outputs)
      os << llvm::format("output %s int8, scale %g, zero point %lld\n",
                         io.name.c_str(), io.scale, (long long)io.zeroPoint);
    for (const EdgeTpuOp &op : edgeTpu.ops) {
      os << (op.mapped ? "tpu  " : "cpu  ")
         << (op.tflite.empty() ? std::string("(not written)")
                               : op.tflite + " v" + std::to_string(op.version));
      if (!op.note.empty())
        os << " (" << op.note << ")";
      os << " <- " << op.origins << "\n";
    }
    os << (edgeTpu.cut.empty() ? std::string("every op maps to the Edge TPU")
                               : "cut: " + edgeTpu.cut)
       << "\n";
    if (!edgeTpu.cpuLibrary.empty())
      os << "cpu part: " << edgeTpu.cpuLibrary
         << " (inputs: the .tflite's outputs)\n";
  }
  if (arenaPeak >= 0)
    os << "== arena\npeak " << arenaPeak << " bytes, naive " << arenaNaive
       << " bytes\n";
  if (!runtimeKernels.empty()) {
    double total = 0;
    for (const RuntimeKernel &kernel : runtimeKernels)
      total += kernel.predictedMicroseconds;
    os << "== runtime kernels (" << runtimeKernels.size()
       << ", cost model: " << llvm::format("%.0f", total)
       << " us predicted in all)\n";
    for (const RuntimeKernel &kernel : runtimeKernels) {
      os << kernel.id << ": " << kernel.algorithm << ", " << kernel.threads
         << (kernel.threads == 1 ? " thread, " : " threads, ")
         << llvm::format("%.1f", kernel.predictedMicroseconds) << " us";
      if (kernel.measuredMicroseconds >= 0)
        os << llvm::format(" (one thread %.1f us, measured %.1f us at %lld)",
                           kernel.singleThreadMicroseconds,
                           kernel.measuredMicroseconds,
                           (long long)measuredThreads);
      os << " <-";
      for (const std::string &origin : kernel.origins)
        os << " " << origin << ";";
      os << "\n";
    }
  }
  os << "== kernels (" << kernels.size() << ")\n";
  for (const Kernel &kernel : kernels) {
    os << kernel.op << " <-";
    for (const std::string &origin : kernel.origins)
      os << " " << origin << ";";
    os << "\n";
  }
}
