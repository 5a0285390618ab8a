//===- Profile.cpp - reading profiles, fitting the cost model -------------===//

#include "paso/Target/Profile.h"

#include "paso/Target/CostModel.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace mlir::paso;

namespace {

/// Typed access to a JSON object with errors naming the file and the
/// field's path.
class Reader {
public:
  Reader(llvm::StringRef path) : path(path) {}

  llvm::Error fail(const llvm::Twine &message) const {
    return llvm::createStringError("profile '" + path + "': " + message);
  }

  llvm::Error string(const llvm::json::Object &object, llvm::StringRef key,
                     const llvm::Twine &where, std::string &into) const {
    std::optional<llvm::StringRef> value = object.getString(key);
    if (!value)
      return fail(where + "'" + key + "' is missing or not a string");
    into = value->str();
    return llvm::Error::success();
  }

  llvm::Error number(const llvm::json::Object &object, llvm::StringRef key,
                     const llvm::Twine &where, double &into) const {
    std::optional<double> value = object.getNumber(key);
    if (!value)
      return fail(where + "'" + key + "' is missing or not a number");
    if (!std::isfinite(*value) || *value < 0)
      return fail(where + "'" + key + "' must be finite and non-negative");
    into = *value;
    return llvm::Error::success();
  }

  llvm::Error integer(const llvm::json::Object &object, llvm::StringRef key,
                      const llvm::Twine &where, int64_t &into) const {
    double value;
    if (llvm::Error error = number(object, key, where, value))
      return error;
    if (value != std::floor(value))
      return fail(where + "'" + key + "' must be an integer");
    into = static_cast<int64_t>(value);
    return llvm::Error::success();
  }

  std::string path;
};

} // namespace

llvm::Expected<Profile> mlir::paso::readProfile(llvm::StringRef path) {
  Reader r(path);
  auto buffer = llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return r.fail(buffer.getError().message());
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json)
    return r.fail("not JSON (" + llvm::toString(json.takeError()) +
                  "); is the file truncated?");
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return r.fail("expected a JSON object");
  if (root->getString("format") != llvm::StringRef("paso-profile"))
    return r.fail("not a PASO profile (no \"format\": \"paso-profile\"); "
                  "write one with paso-run MODEL.so --profile=FILE");
  int64_t version = 0;
  if (llvm::Error error = r.integer(*root, "version", "", version))
    return std::move(error);
  if (version != kProfileFormatVersion)
    return r.fail("format version " + llvm::Twine(version) +
                  ", this PASO reads version " +
                  llvm::Twine(kProfileFormatVersion));

  Profile profile;
  profile.path = path.str();
  if (llvm::Error error = r.string(*root, "model", "", profile.model))
    return std::move(error);
  if (llvm::Error error = r.string(*root, "target", "", profile.target))
    return std::move(error);
  if (llvm::Error error = r.integer(*root, "threads", "", profile.threads))
    return std::move(error);
  if (llvm::Error error = r.integer(*root, "runs", "", profile.runs))
    return std::move(error);
  if (profile.runs < 1 || profile.threads < 1)
    return r.fail("'runs' and 'threads' must be at least 1");
  const llvm::json::Object *run = root->getObject("run_us");
  if (!run)
    return r.fail("'run_us' is missing or not an object");
  if (llvm::Error error =
          r.number(*run, "median", "run_us.", profile.runMedianMicroseconds))
    return std::move(error);
  const llvm::json::Object *generated = root->getObject("generated");
  if (!generated)
    return r.fail("'generated' is missing or not an object");
  for (auto [key, field] :
       {std::pair{"predicted_us", &profile.generatedPredictedMicroseconds},
        {"raw_predicted_us", &profile.generatedRawMicroseconds},
        {"median_us", &profile.generatedMedianMicroseconds}})
    if (llvm::Error error = r.number(*generated, key, "generated.", *field))
      return std::move(error);

  const llvm::json::Array *kernels = root->getArray("kernels");
  if (!kernels)
    return r.fail("'kernels' is missing or not an array");
  std::set<int64_t> ids;
  for (auto [index, value] : llvm::enumerate(*kernels)) {
    std::string where = "kernels[" + std::to_string(index) + "].";
    const llvm::json::Object *object = value.getAsObject();
    if (!object)
      return r.fail(where.substr(0, where.size() - 1) + " is not an object");
    ProfiledKernel kernel;
    if (llvm::Error error = r.integer(*object, "id", where, kernel.id))
      return std::move(error);
    if (!ids.insert(kernel.id).second)
      return r.fail(where + "'id' " + llvm::Twine(kernel.id) +
                    " appears twice");
    if (llvm::Error error =
            r.string(*object, "class", where, kernel.kernelClass))
      return std::move(error);
    if (!llvm::is_contained(kKernelClasses, kernel.kernelClass))
      return r.fail(where + "'class' '" + kernel.kernelClass +
                    "' is not a kernel class");
    if (llvm::Error error =
            r.string(*object, "algorithm", where, kernel.algorithm))
      return std::move(error);
    if (llvm::Error error = r.integer(*object, "threads", where,
                                      kernel.threads))
      return std::move(error);
    for (auto [key, field] :
         {std::pair{"flops", &kernel.flops}, {"bytes", &kernel.bytes},
          {"predicted_us", &kernel.predictedMicroseconds},
          {"raw_predicted_us", &kernel.rawPredictedMicroseconds},
          {"predicted_1t_us", &kernel.singleThreadMicroseconds},
          {"raw_predicted_1t_us", &kernel.rawSingleThreadMicroseconds},
          {"median_us", &kernel.medianMicroseconds}})
      if (llvm::Error error = r.number(*object, key, where, *field))
        return std::move(error);
    if (std::optional<llvm::StringRef> shape =
            object->getString("output_shape"))
      kernel.outputShape = shape->str();
    if (std::optional<llvm::StringRef> product = object->getString("product"))
      kernel.product = product->str();
    if (const llvm::json::Array *nodes = object->getArray("onnx_nodes"))
      for (const llvm::json::Value &node : *nodes)
        if (std::optional<llvm::StringRef> name = node.getAsString())
          kernel.onnxNodes.push_back(name->str());
    profile.kernels.push_back(std::move(kernel));
  }
  return profile;
}

llvm::Expected<TargetDescription>
mlir::paso::calibrateTarget(const TargetDescription &base,
                            const std::vector<Profile> &profiles,
                            std::vector<ClassFit> &fits) {
  if (profiles.empty())
    return llvm::createStringError("--calibrate needs at least one profile");
  std::map<std::string, ClassFit> byClass;
  for (const Profile &profile : profiles) {
    if (profile.target != base.name)
      return llvm::createStringError(
          "profile '" + profile.path + "' was measured for target '" +
          profile.target + "', not '" + base.name +
          "'; calibrate each target from its own profiles");
    // The scales are single-core efficiencies; threading is the cost
    // model's hand-off term, not theirs.
    if (profile.threads != 1)
      return llvm::createStringError(
          "profile '" + profile.path + "' ran " +
          std::to_string(profile.threads) +
          " threads; calibrate from profiles measured with --threads 1");
    for (const ProfiledKernel &kernel : profile.kernels) {
      ClassFit &fit = byClass[kernel.kernelClass];
      ++fit.samples;
      fit.measuredMicroseconds += kernel.medianMicroseconds;
      fit.rawPredictedMicroseconds += kernel.rawSingleThreadMicroseconds;
    }
    ClassFit &generated = byClass["generated"];
    ++generated.samples;
    generated.measuredMicroseconds += profile.generatedMedianMicroseconds;
    generated.rawPredictedMicroseconds += profile.generatedRawMicroseconds;
  }
  TargetDescription calibrated = base;
  // Measured kernels, by signature; a kernel several profiles (or layers)
  // ran takes the median.
  std::map<std::string, std::vector<double>> measured;
  for (const Profile &profile : profiles)
    for (const ProfiledKernel &kernel : profile.kernels)
      if (kernel.medianMicroseconds > 0)
        measured[kernelSignature(kernel.algorithm, kernel.outputShape,
                                 kernel.product)]
            .push_back(kernel.medianMicroseconds);
  for (auto &[signature, times] : measured) {
    std::sort(times.begin(), times.end());
    calibrated.kernelTimesMicroseconds[signature] = times[times.size() / 2];
  }
  // Generated code: measured = scale x raw + overhead, least squares over
  // the profiles (one profile: the ratio, no overhead).
  double n = profiles.size(), sr = 0, sm = 0, srr = 0, srm = 0;
  for (const Profile &profile : profiles) {
    double r = profile.generatedRawMicroseconds,
           m = profile.generatedMedianMicroseconds;
    sr += r;
    sm += m;
    srr += r * r;
    srm += r * m;
  }
  double determinant = n * srr - sr * sr;
  double generatedScale = sr > 0 ? sm / sr : 1, overhead = 0;
  if (n >= 2 && determinant > 1e-12) {
    double scale = (n * srm - sr * sm) / determinant;
    double intercept = (sm - scale * sr) / n;
    if (scale > 0 && intercept >= 0) {
      generatedScale = scale;
      overhead = intercept;
    }
  }
  calibrated.runOverheadMicroseconds = overhead;
  fits.clear();
  for (auto &[name, fit] : byClass) {
    fit.kernelClass = name;
    if (name == "generated" && fit.rawPredictedMicroseconds > 0) {
      fit.scale = std::clamp(generatedScale, 1e-3, 1e3);
      calibrated.kernelTimeScale[name] = fit.scale;
    } else if (fit.rawPredictedMicroseconds <= 0 ||
               fit.measuredMicroseconds <= 0) {
      fit.scale = kernelTimeScale(base, name);
    } else {
      // Within what a target file may hold.
      fit.scale = std::clamp(
          fit.measuredMicroseconds / fit.rawPredictedMicroseconds, 1e-3, 1e3);
      calibrated.kernelTimeScale[name] = fit.scale;
    }
    fits.push_back(fit);
  }
  calibrated.calibratedFrom.clear();
  for (const Profile &profile : profiles)
    calibrated.calibratedFrom.push_back(profile.path);
  return calibrated;
}
