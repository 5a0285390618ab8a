//===- ReportProfile.cpp - the kernel table, and measurements beside it ---===//
//
// The compiler's side of profiling (docs/profiling.md): the kernel table
// model.so carries (what each runtime kernel is, the work it does, what
// the cost model predicted, calibrated and raw), the prediction for the
// generated code between the kernels, and a profile's measurements read
// back into the report.
//
//===----------------------------------------------------------------------===//

#include "paso/Pipelines/Report.h"

#include "paso/Dialect/Paso/IR/PasoDialect.h"
#include "paso/Target/CostModel.h"
#include "paso/Target/Profile.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::paso;

/// Bytes of a statically shaped tensor, else 0.
static double tensorBytes(Type type) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return 0;
  int64_t bits = tensor.getElementType().isIntOrFloat()
                     ? tensor.getElementTypeBitWidth()
                     : 32;
  return double(tensor.getNumElements()) * std::max<int64_t>(1, bits / 8);
}

void CompileReport::recordGeneratedWork(ModuleOp module,
                                        const TargetDescription &target) {
  // Each paso op left is a loop nest that reads its computed operands and
  // writes its results once, an operation per element: elementwise and
  // data-movement code is bound by that traffic, small tensors by the
  // loop's fixed cost, and transcendental functions by their arithmetic.
  // linalg's fusion saves some traffic; calibration fits the three.
  double flops = 0, bytes = 0;
  GeneratedWork work;
  module.walk([&](Operation *op) {
    // A reshape of a contiguous tensor is a view: no loop, no traffic.
    if (!isa<PasoDialect>(op->getDialect()) || isa<ConstantOp, ReshapeOp>(op))
      return;
    ++work.ops;
    for (Value operand : op->getOperands())
      if (!operand.getDefiningOp<ConstantOp>())
        bytes += tensorBytes(operand.getType());
    for (Type type : op->getResultTypes()) {
      bytes += tensorBytes(type);
      flops += tensorBytes(type) / 4;
    }
    if (isa<SigmoidOp, TanhOp, ExpOp, LogOp, ErfOp, SinOp, CosOp, TanOp,
            AsinOp, AcosOp, AtanOp, SinhOp, CoshOp, AsinhOp, AcoshOp,
            AtanhOp, SoftplusOp, EluOp, GeluOp, PowOp>(op))
      work.transcendentals += tensorBytes(op->getResult(0).getType()) / 4;
  });
  work.trafficMicroseconds = predictSeconds(target, flops, bytes, 1) * 1e6;
  generatedWork = work;
  generatedRawMicroseconds = predictGeneratedMicroseconds(target, work, true);
  generatedMicroseconds = predictGeneratedMicroseconds(target, work);
}

std::string CompileReport::kernelTableJson() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  llvm::json::OStream json(os);
  json.object([&] {
    json.attribute("format", "paso-kernel-table");
    json.attribute("version", kProfileFormatVersion);
    json.attribute("model", modelName);
    json.attribute("target", targetName);
    json.attribute("peak_gflops_per_core", peakGflopsPerCore);
    json.attribute("memory_gbps", memoryGBps);
    json.attributeObject("generated", [&] {
      json.attribute("predicted_us", generatedMicroseconds);
      json.attribute("raw_predicted_us", generatedRawMicroseconds);
      // What calibration fits the generated code's costs to.
      json.attribute("traffic_us", generatedWork.trafficMicroseconds);
      json.attribute("ops", generatedWork.ops);
      json.attribute("transcendentals", generatedWork.transcendentals);
    });
    json.attributeArray("kernels", [&] {
      for (const RuntimeKernel &kernel : runtimeKernels) {
        if (kernel.id <= 0)
          continue;
        json.object([&] {
          json.attribute("id", kernel.id);
          json.attribute("class", kernel.kernelClass);
          json.attribute("algorithm", kernel.algorithm);
          json.attribute("threads", kernel.threads);
          json.attribute("precision",
                         kernel.kernelClass == "int8" ? "int8" : "fp32");
          json.attribute("output_shape", kernel.outputShape);
          if (!kernel.product.empty())
            json.attribute("product", kernel.product);
          json.attribute("flops", kernel.flops);
          json.attribute("bytes", kernel.bytes);
          json.attribute("roof_gbps", kernel.roofGBps);
          json.attribute("predicted_us", kernel.predictedMicroseconds);
          json.attribute("raw_predicted_us", kernel.rawPredictedMicroseconds);
          json.attribute("predicted_1t_us", kernel.singleThreadMicroseconds);
          json.attribute("raw_predicted_1t_us",
                         kernel.rawSingleThreadMicroseconds);
          json.attributeArray("onnx_nodes", [&] {
            for (const std::string &origin : kernel.origins)
              json.value(origin);
          });
        });
      }
    });
  });
  return text;
}

LogicalResult CompileReport::attachProfile(llvm::StringRef path,
                                           std::string &error) {
  llvm::Expected<Profile> profile = readProfile(path);
  if (!profile) {
    error = llvm::toString(profile.takeError());
    return failure();
  }
  auto mismatch = [&](const llvm::Twine &what) {
    error = ("profile '" + path + "' " + what +
             "; profile the model.so this command builds")
                .str();
    return failure();
  };
  if (profile->model != modelName)
    return mismatch("is of model '" + profile->model + "', not '" +
                    modelName + "'");
  if (profile->target != targetName)
    return mismatch("was measured for target '" + profile->target +
                    "', not '" + targetName + "'");
  std::map<int64_t, const ProfiledKernel *> measured;
  for (const ProfiledKernel &kernel : profile->kernels)
    measured[kernel.id] = &kernel;
  size_t numbered = 0;
  for (RuntimeKernel &kernel : runtimeKernels) {
    if (kernel.id <= 0)
      continue;
    ++numbered;
    auto it = measured.find(kernel.id);
    if (it == measured.end())
      return mismatch("has no kernel " + llvm::Twine(kernel.id));
    if (it->second->algorithm != kernel.algorithm)
      return mismatch("ran kernel " + llvm::Twine(kernel.id) + " as '" +
                      it->second->algorithm + "', this build as '" +
                      kernel.algorithm + "'");
    kernel.measuredMicroseconds = it->second->medianMicroseconds;
    measuredThreads = profile->threads;
  }
  if (numbered != profile->kernels.size())
    return mismatch("has " + llvm::Twine(profile->kernels.size()) +
                    " kernels, this build " + llvm::Twine(numbered));
  measuredGeneratedMicroseconds = profile->generatedMedianMicroseconds;
  measuredRunMicroseconds = profile->runMedianMicroseconds;
  profilePath = path.str();
  return success();
}
